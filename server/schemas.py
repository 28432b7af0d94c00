"""Input schemas: every field typed and bounded, unknown fields refused.

Pydantic models in strict mode, so "5" is not an int and a list is not a string. The same
models describe the HTTP API in the OpenAPI document.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from server.domain.errors import InvalidInput

GradeBand = Literal["K-2", "3-5", "6-8", "9-12", "adult"]
StudentId = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z0-9]+$")]


class Schema(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class CreateClass(Schema):
    name: Annotated[str, Field(min_length=1, max_length=80)]
    grade_band: GradeBand
    retention_days: Annotated[int, Field(ge=1, le=400)] | None = None


class JoinClass(Schema):
    code: Annotated[str, Field(max_length=16)]
    name: Annotated[str, Field(min_length=1, max_length=120)]  # trimmed to 40 by the domain


class LockClass(Schema):
    locked: bool


class StudentRef(Schema):
    student_id: StudentId


class RenameStudent(Schema):
    student_id: StudentId
    name: Annotated[str, Field(min_length=1, max_length=120)]


class LinkStudent(Schema):
    student_id: StudentId
    roster_id: Annotated[str, Field(max_length=8, pattern=r"^r[0-9]+$")] | None


M = TypeVar("M", bound=Schema)


def parse(model: type[M], data: Any) -> M:
    """Validate `data` against `model`, turning any failure into one readable InvalidInput."""
    if not isinstance(data, dict):
        raise InvalidInput("The message must be a JSON object.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "message"
        raise InvalidInput(f"{where}: {first['msg']}") from None


# ---- rounds ----------------------------------------------------------------------------------

CardId = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z0-9]+$")]
PhotoId = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z0-9]+$")]
CardText = Annotated[str, Field(min_length=1, max_length=600)]  # 500 after trimming
Visibility = Literal["teacher", "class"]
Reaction = Literal["heart", "clap", "smile", "star", "wow"]


class Empty(Schema):
    pass


class ClassSettings(Schema):
    approval_required: bool


class PromptQuery(Schema):
    category: Annotated[str, Field(max_length=40)] | None = None
    depth: Literal["light", "medium", "deep"] | None = None
    grade_band: GradeBand | None = None
    include_used: bool = False


class StartRound(Schema):
    prompt_id: Annotated[str, Field(min_length=1, max_length=80)] | None = None
    custom_text: Annotated[str, Field(min_length=1, max_length=260)] | None = None
    category: Annotated[str, Field(max_length=40)] | None = None


class HostCard(Schema):
    text: CardText | None = None
    skip: bool = False


class OpenRound(Schema):
    timer_seconds: Annotated[int, Field(ge=30, le=3600)] | None = None


class ExtendRound(Schema):
    seconds: Annotated[int, Field(ge=10, le=1800)]


class SubmitCard(Schema):
    client_id: Annotated[str, Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    text: CardText
    visibility: Visibility
    spotlight_ok: bool
    photo_id: PhotoId | None = None


class EditCard(Schema):
    """Only the fields sent change; `photo_id: null` removes the photo, but the card's text,
    visibility and consent can never be null."""

    card_id: CardId
    text: CardText | None = None
    visibility: Visibility | None = None
    spotlight_ok: bool | None = None
    photo_id: PhotoId | None = None

    @model_validator(mode="before")
    @classmethod
    def no_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name in ("text", "visibility", "spotlight_ok"):
                if name in data and data[name] is None:
                    raise ValueError(f"{name} cannot be null")
        return data


class CardRef(Schema):
    card_id: CardId


class HideCard(Schema):
    card_id: CardId
    hidden: bool


class StarCard(Schema):
    card_id: CardId
    starred: bool


class Spotlight(Schema):
    card_id: CardId | None


class React(Schema):
    card_id: CardId
    reaction: Reaction


class Reply(Schema):
    card_id: CardId
    text: Annotated[str, Field(min_length=1, max_length=1100)]  # 1000 after trimming
    round_id: CardId | None = None


# ---- rotations -------------------------------------------------------------------------------

Pair = Annotated[list[StudentId], Field(min_length=2, max_length=2)]
Group = Annotated[list[StudentId], Field(min_length=2, max_length=10)]


class PlanRotations(Schema):
    size: Annotated[int, Field(ge=2, le=20)] | None = None
    rooms: Annotated[int, Field(ge=1, le=100)] | None = None
    rotations: Annotated[int, Field(ge=1, le=12)]
    minutes: Annotated[int, Field(ge=1, le=60)]
    absent: Annotated[list[StudentId], Field(max_length=300)] = []
    apart: Annotated[list[Pair], Field(max_length=100)] = []
    together: Annotated[list[Group], Field(max_length=50)] = []
    checkin_room: Annotated[int, Field(ge=0, le=6)] = 0
    seed: Annotated[int, Field(ge=0, le=2**31)] = 0


class MoveStudent(Schema):
    rotation: Annotated[int, Field(ge=0, le=11)]
    student_id: StudentId
    room: Annotated[int, Field(ge=0, le=99)]


class RotationMessage(Schema):
    text: Annotated[str, Field(min_length=1, max_length=280)]


# ---- check-ins and the connection record -----------------------------------------------------

TagName = Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_-]+$")]


class PlanCheckins(Schema):
    slots_per_week: Annotated[int, Field(ge=0, le=200)]
    minutes: Annotated[int, Field(ge=5, le=60)] = 10
    weeks: Annotated[int, Field(ge=1, le=52)]
    weights: Annotated[dict[TagName, Annotated[int, Field(ge=1, le=5)]],
                       Field(max_length=20)] | None = None


class MarkCheckin(Schema):
    week: Annotated[int, Field(ge=0, le=520)]
    slot: Annotated[int, Field(ge=0, le=199)]
    student_id: StudentId
    status: Literal["done", "missed"]


class RecordQuery(Schema):
    days: Annotated[int, Field(ge=1, le=365)] = 14


class SetNote(Schema):
    student_id: StudentId
    text: Annotated[str, Field(max_length=2100)]
