"""Every refusal of a schema is one plain sentence: no pydantic wording, no field paths."""

from __future__ import annotations

import inspect

import pytest

from server import schemas
from server.domain.errors import InvalidInput

MODELS = [m for _, m in inspect.getmembers(schemas, inspect.isclass)
          if issubclass(m, schemas.Schema) and m is not schemas.Schema]
JARGON = ("should", "String", "Input", "input_value", "type=", "Value error", "[", "literal",
          "validation")
WRONG_VALUES = ["x" * 5000, "", 10**9, -5, 1.5, True, None, [], {}, ["x"] * 500, "🙂" * 3]


def refusal(model: type[schemas.Schema], data: dict) -> str | None:
    try:
        model.model_validate(data)
    except Exception:
        pass
    else:
        return None
    with pytest.raises(InvalidInput) as caught:
        schemas.parse(model, data)
    return caught.value.message


def plain(message: str) -> bool:
    return (message[:1].isupper() or message[:1] == "“") and message.endswith(".") \
        and not any(word in message for word in JARGON) and "." not in message[:-1].split()[0]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_field_of_every_schema_refuses_in_plain_words(model) -> None:
    seen = 0
    for name in model.model_fields:
        for wrong in WRONG_VALUES:
            message = refusal(model, {name: wrong})
            if message is not None:
                seen += 1
                assert plain(message), (model.__name__, name, wrong, message)
    unknown = refusal(model, {"surprise": 1})
    assert unknown is not None and plain(unknown)
    assert seen or not model.model_fields


@pytest.mark.parametrize(("model", "data", "expected"), [
    (schemas.JoinClass, {"code": "ABC", "name": "x" * 300},
     "Your name can be at most 40 characters."),
    (schemas.CreateClass, {"name": "x" * 121, "grade_band": "6-8"},
     "The class name can be at most 80 characters."),
    (schemas.CreateClass, {"name": "", "grade_band": "6-8"}, "The class name cannot be empty."),
    (schemas.CreateClass, {"name": "Bio", "grade_band": "13"},
     "The grade band must be one of: K-2, 3-5, 6-8, 9-12 or adult."),
    (schemas.CreateClass, {"name": "Bio", "grade_band": "6-8", "retention_days": 900},
     "The retention period (days) can be at most 400."),
    (schemas.CreateClass, {"grade_band": "6-8"}, "The class name is missing."),
    (schemas.OpenRound, {"timer_seconds": "60"}, "The timer (seconds) must be a whole number."),
    (schemas.Reply, {"card_id": "abc", "text": "y" * 2000},
     "The reply can be at most 1000 characters."),
    (schemas.PlanRotations, {"rotations": 3, "minutes": 5, "absent": ["Ana!"]},
     "An entry in “Absent” has characters that are not allowed here."),
    (schemas.EditCard, {"card_id": "abc", "text": None}, "Text cannot be null."),
    (schemas.LockClass, {"locked": True, "surprise": 1},
     "This does not take a field called “surprise”."),
])
def test_known_refusals_read_well(model, data, expected) -> None:
    assert refusal(model, data) == expected
