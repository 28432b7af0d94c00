"""Input schemas: every field typed and bounded, unknown fields refused.

Pydantic models in strict mode, so "5" is not an int and a list is not a string. The same
models describe the HTTP API in the OpenAPI document.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

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
