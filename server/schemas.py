"""Input schemas: every field typed and bounded, unknown fields refused.

Pydantic models in strict mode, so "5" is not an int and a list is not a string. The same
models describe the HTTP API in the OpenAPI document.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from server.domain import checkins
from server.domain.common import (
    MAX_CLASS_NAME,
    MAX_NAME_LENGTH,
    MAX_RETENTION_DAYS,
    MAX_TIMER,
    MIN_RETENTION_DAYS,
    MIN_TIMER,
)
from server.domain.errors import InvalidInput
from server.domain.followup import MAX_NOTE
from server.domain.prompts import MAX_TEXT_LENGTH as MAX_PROMPT_TEXT
from server.domain.records import CheckinStatus, Depth, GradeBand, Reaction, Visibility
from server.domain.rounds import MAX_CARD_TEXT, MAX_REPLY_TEXT
from server.roster import MAX_TAG_LENGTH, TAG_PATTERN

# The vocabularies (GradeBand, Reaction, Visibility, Depth, CheckinStatus) are the records'
# own Literals and the limits come from server/domain/common.py: each has one home.
# The interface's shipped languages (server/domain/ui_translations.py UI_LANGUAGES; a unit
# test keeps the two equal).
UiLanguage = Literal["en", "es", "ar", "zh-Hans", "vi", "uk"]
StudentId = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z0-9]+$")]
RetentionDays = Annotated[int, Field(ge=MIN_RETENTION_DAYS, le=MAX_RETENTION_DAYS)]


class Schema(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class CreateClass(Schema):
    name: Annotated[str, Field(min_length=1, max_length=MAX_CLASS_NAME)]
    grade_band: GradeBand
    retention_days: RetentionDays | None = None


class JoinClass(Schema):
    code: Annotated[str, Field(max_length=16)]
    name: Annotated[str, Field(min_length=1, max_length=120)]  # trimmed to 40 by the domain
    lang: UiLanguage | None = None  # the interface language the student chose


class RejoinSeat(Schema):
    code: Annotated[str, Field(max_length=16)]
    rejoin_code: Annotated[str, Field(max_length=16)]


class RejoinCodeRequest(Schema):
    student_id: StudentId | None = None  # the teacher names the student; a student omits it


class LockClass(Schema):
    locked: bool


class SetRetention(Schema):
    retention_days: RetentionDays


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
    """Validate `data` against `model`, turning any failure into one plain sentence."""
    if not isinstance(data, dict):
        raise InvalidInput("The message must be a JSON object.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(plain_error(model.__name__, exc.errors()[0])) from None


# What people call a field, by (schema, field) or by field; the rest read "Slots per week".
_LABELS: dict[tuple[str, str] | str, str] = {
    ("CreateClass", "name"): "The class name",
    ("JoinClass", "name"): "Your name",
    ("RenameStudent", "name"): "The name",
    ("Reply", "text"): "The reply",
    ("RotationMessage", "text"): "The message",
    ("SetNote", "text"): "The note",
    "text": "Your answer",
    "code": "The class code",
    "rejoin_code": "The rejoin code",
    "custom_text": "Your prompt",
    "grade_band": "The grade band",
    "retention_days": "The retention period (days)",
    "timer_seconds": "The timer (seconds)",
    "client_id": "The submission id",
    "spotlight_ok": "The spotlight choice",
    "apart": "Keep apart",
    "together": "Keep together",
    "checkin_room": "The check-in room",
}
# Some text is trimmed before its real limit applies; the schema bound is a looser guard.
_SHOWN_LIMITS: dict[tuple[str, str] | str, int] = {
    ("JoinClass", "name"): MAX_NAME_LENGTH,
    ("RenameStudent", "name"): MAX_NAME_LENGTH,
    ("Reply", "text"): MAX_REPLY_TEXT,
    ("SetNote", "text"): MAX_NOTE,
    ("RotationMessage", "text"): 280,
    "text": MAX_CARD_TEXT,
    "custom_text": MAX_PROMPT_TEXT,
}


def _lookup(table: dict[Any, Any], model: str, name: str) -> Any:
    return table.get((model, name), table.get(name))


def plain_error(model: str, error: Any) -> str:
    """One pydantic error as a sentence a teacher or student understands (no field paths)."""
    loc = [p for p in error.get("loc", ()) if isinstance(p, str)]
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        return f"This does not take a field called “{loc[-1] if loc else '?'}”."
    name = loc[0] if loc else ""
    label = _lookup(_LABELS, model, name) or (name.replace("_", " ").capitalize() or "A value")
    if len(error.get("loc", ())) > 1 and kind not in ("missing",):
        label = f"An entry in “{label}”"
    if kind == "missing":
        return f"{label} is missing."
    if kind == "string_too_short":
        if ctx.get("min_length", 1) <= 1:
            return f"{label} cannot be empty."
        return f"{label} needs at least {ctx['min_length']} characters."
    if kind == "string_too_long":
        limit = _lookup(_SHOWN_LIMITS, model, name) or ctx.get("max_length")
        return f"{label} can be at most {limit} characters."
    if kind == "too_short":
        return f"{label} needs at least {ctx.get('min_length')} entries."
    if kind == "too_long":
        return f"{label} can have at most {ctx.get('max_length')} entries."
    if kind in ("greater_than_equal", "greater_than"):
        bound = ctx.get("ge", ctx.get("gt"))
        return f"{label} must be at least {bound}." if kind == "greater_than_equal" \
            else f"{label} must be more than {bound}."
    if kind in ("less_than_equal", "less_than"):
        bound = ctx.get("le", ctx.get("lt"))
        return f"{label} can be at most {bound}." if kind == "less_than_equal" \
            else f"{label} must be less than {bound}."
    if kind == "literal_error":
        choices = str(ctx.get("expected", "")).replace("'", "")
        return f"{label} must be one of: {choices}."
    if kind == "string_pattern_mismatch":
        return f"{label} has characters that are not allowed here."
    if kind == "string_type":
        return f"{label} must be text."
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"{label} must be a whole number."
    if kind == "bool_type":
        return f"{label} must be true or false."
    if kind in ("list_type", "tuple_type"):
        return f"{label} must be a list."
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"{label} must be an object."
    if kind == "value_error":
        reason = str(ctx.get("error", "")) or str(error.get("msg", ""))
        reason = reason.removeprefix("Value error, ").strip().rstrip(".")
        return f"{reason[:1].upper()}{reason[1:]}." if reason else f"{label} is not valid."
    return f"{label} is not valid."


# ---- rounds ----------------------------------------------------------------------------------

CardId = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z0-9]+$")]
PhotoId = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z0-9]+$")]
CardText = Annotated[str, Field(min_length=1, max_length=600)]  # 500 after trimming
# A card with a spoken answer may have no words; without one the domain refuses empty text.
CardAnswer = Annotated[str, Field(max_length=600)]
AudioId = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z0-9]+$")]


class Empty(Schema):
    pass


class SetLanguage(Schema):
    lang: UiLanguage


class ClassSettings(Schema):
    """Only the settings sent change; at least one."""

    approval_required: bool | None = None
    private_replies: bool | None = None
    # The teacher's and co-host's own names ("Mr. Smith"): no student may take them.
    staff_names: Annotated[list[Annotated[str, Field(max_length=MAX_NAME_LENGTH)]],
                           Field(max_length=4)] | None = None


class PromptQuery(Schema):
    category: Annotated[str, Field(max_length=40)] | None = None
    depth: Depth | None = None
    grade_band: GradeBand | None = None
    include_used: bool = False


class StartRound(Schema):
    prompt_id: Annotated[str, Field(min_length=1, max_length=80)] | None = None
    custom_text: Annotated[str, Field(min_length=1, max_length=260)] | None = None
    category: Annotated[str, Field(max_length=40)] | None = None


class HostCard(Schema):
    text: CardAnswer | None = None
    skip: bool = False
    audio_id: AudioId | None = None


class OpenRound(Schema):
    timer_seconds: Annotated[int, Field(ge=MIN_TIMER, le=MAX_TIMER)] | None = None


class ExtendRound(Schema):
    seconds: Annotated[int, Field(ge=10, le=1800)]


# The client's own id of a post, so a retry is stored once (web/js/socket.js makes them).
ClientId = Annotated[str, Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class SubmitCard(Schema):
    client_id: ClientId
    text: CardAnswer
    visibility: Visibility
    spotlight_ok: bool
    photo_id: PhotoId | None = None
    audio_id: AudioId | None = None


class EditCard(Schema):
    """Only the fields sent change; `photo_id: null` removes the photo (`audio_id: null` the
    recording), but the card's text,
    visibility and consent can never be null."""

    card_id: CardId
    text: CardAnswer | None = None
    visibility: Visibility | None = None
    spotlight_ok: bool | None = None
    photo_id: PhotoId | None = None
    audio_id: AudioId | None = None

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
    # Optional: a retry with the same id (after `unavailable` or a lost ack) is stored once.
    client_id: ClientId | None = None


# ---- rotations -------------------------------------------------------------------------------

Pair = Annotated[list[StudentId], Field(min_length=2, max_length=2)]
Group = Annotated[list[StudentId], Field(min_length=2, max_length=10)]


class PlanRotations(Schema):
    size: Annotated[int, Field(ge=2, le=20)] | None = None
    rooms: Annotated[int, Field(ge=1, le=100)] | None = None
    leftover: Literal["smaller", "larger"] = "smaller"
    max_size: Annotated[int, Field(ge=2, le=20)] | None = None  # with rooms: others sit out
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

TagName = Annotated[str, Field(min_length=1, max_length=MAX_TAG_LENGTH,
                                pattern=TAG_PATTERN.pattern)]  # a roster tag


class PlanCheckins(Schema):
    slots_per_week: Annotated[int, Field(ge=checkins.MIN_SLOTS, le=checkins.MAX_SLOTS)]
    minutes: Annotated[int, Field(ge=checkins.MIN_MINUTES, le=checkins.MAX_MINUTES)] = 10
    weeks: Annotated[int, Field(ge=checkins.MIN_HORIZON, le=checkins.MAX_HORIZON)]
    weights: Annotated[dict[TagName, Annotated[int, Field(ge=1, le=5)]],
                       Field(max_length=20)] | None = None


class MarkCheckin(Schema):
    week: Annotated[int, Field(ge=0, le=520)]
    slot: Annotated[int, Field(ge=0, le=checkins.MAX_SLOTS - 1)]
    student_id: StudentId
    status: CheckinStatus


class RecordQuery(Schema):
    days: Annotated[int, Field(ge=1, le=365)] = 14


class SetNote(Schema):
    student_id: StudentId
    text: Annotated[str, Field(max_length=2100)]
