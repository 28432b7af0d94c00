"""The shapes of what Rapport stores, and the fixed vocabularies inside them.

Each record is a `TypedDict`: the JSON object exactly as the store keeps it, typed for mypy at
no cost at run time. Each vocabulary (reactions, grade bands, statuses…) is written once, as a
`Literal`; the tuples that code iterates over are derived from it, the input schemas
(`server/schemas.py`) use the same `Literal`s, and `tests/unit/test_shared_constants.py` holds
the browser's copies (web/js, web/*.html) to them. `docs/redis-keys.md` says where each record
lives.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict, get_args

# ---- vocabularies ----------------------------------------------------------------------------

Reaction = Literal["heart", "clap", "smile", "star", "wow"]
REACTIONS: tuple[Reaction, ...] = get_args(Reaction)

GradeBand = Literal["K-2", "3-5", "6-8", "9-12", "adult"]
GRADE_BANDS: tuple[GradeBand, ...] = get_args(GradeBand)

Depth = Literal["light", "medium", "deep"]  # how personal a prompt is
DEPTHS: tuple[Depth, ...] = get_args(Depth)

Visibility = Literal["teacher", "class"]  # "just my teacher" or "my class"
VISIBILITIES: tuple[Visibility, ...] = get_args(Visibility)

CardStatus = Literal["pending", "visible", "hidden"]
RoundStatus = Literal["draft", "open", "closed"]
RotationStatus = Literal["draft", "running", "ended"]

CheckinStatus = Literal["done", "missed"]
CHECKIN_STATUSES: tuple[CheckinStatus, ...] = get_args(CheckinStatus)

ReplySender = Literal["teacher", "student"]
REPLY_SENDERS: tuple[ReplySender, ...] = get_args(ReplySender)


# ---- a class and its people ------------------------------------------------------------------

class ClassRecord(TypedDict):
    """`rp:class:{class_id}` (one JSON value per field). The credential hashes stay in the
    store: `get_class` never returns them."""

    id: str
    name: str
    grade_band: GradeBand
    locked: bool
    retention_days: int
    created_at: int  # epoch seconds
    join_code: str
    lang: NotRequired[str]  # the teacher's interface language
    approval_required: NotRequired[bool]
    private_replies_off: NotRequired[bool]
    staff_names: NotRequired[list[str]]


class ClassUpdate(TypedDict, total=False):
    """The fields a change to a class sets (`store.set_class_fields`)."""

    locked: bool
    lang: str
    approval_required: bool
    private_replies_off: bool
    staff_names: list[str]


class StudentRecord(TypedDict):
    """`rp:class:{class_id}:students` value. `norm` and `seat_hash` are added by the store
    when the student is seated; `removed` marks a student taken out of the class."""

    id: str
    name: str
    roster_id: str | None
    joined_at: int  # epoch seconds
    lang: NotRequired[str]
    norm: NotRequired[str]
    seat_hash: NotRequired[str]
    rejoin_hash: NotRequired[str]
    removed: NotRequired[bool]


class StudentUpdate(TypedDict, total=False):
    """The fields a student's own settings change (`store.set_student_fields`)."""

    lang: str


class RosterRecord(TypedDict):
    """`rp:class:{class_id}:roster` value: one imported roster row."""

    id: str  # "r1", "r2", … in file order
    name: str
    email: str | None
    tags: list[str]


class Credential(TypedDict):
    """`rp:cred:{hash}`: what a secret or seat token opens."""

    class_id: str
    role: Literal["teacher", "cohost", "student"]
    student_id: NotRequired[str]


# ---- rounds, cards, replies ------------------------------------------------------------------

class RoundPrompt(TypedDict):
    """The prompt as the round keeps it (a copy: the library may change later)."""

    id: str | None
    text: str
    category: str | None
    depth: str | None
    starter: str | None
    custom: bool | None


class HostCard(TypedDict):
    """The host's own answer, shared before the students answer (also `rp:…:host-cards`)."""

    text: str
    skipped: bool
    audio_id: str | None
    author_role: str  # "teacher" or "cohost"
    posted_at: int  # epoch ms
    prompt: str


class RoundRecord(TypedDict):
    """`rp:class:{class_id}:round:{round_id}` (one JSON value per field). Times in epoch ms."""

    id: str
    status: RoundStatus
    prompt: RoundPrompt
    host_card: HostCard | None
    opened_at: int | None
    deadline: int | None
    closed_at: int | None
    spotlight: str | None  # card id
    created_at: int


class RoundUpdate(TypedDict, total=False):
    """The fields a change to a round sets (`store.update_round`)."""

    status: RoundStatus
    host_card: HostCard | None
    opened_at: int | None
    deadline: int | None
    closed_at: int | None
    spotlight: str | None


class CardRecord(TypedDict):
    """`rp:class:{class_id}:round:{round_id}:cards` value. Times in epoch ms."""

    id: str
    round_id: str
    student_id: str
    author: str  # the student's name when they posted
    client_id: str
    text: str
    visibility: Visibility
    spotlight_ok: bool
    photo_id: str | None
    audio_id: str | None
    status: CardStatus
    flagged: bool
    starred: bool
    created_at: int
    updated_at: int
    moderated_at: NotRequired[int]


class CardEdit(TypedDict, total=False):
    """What an author may change of their card (`rounds.edit_card`); a photo or recording id
    of None removes it."""

    text: str
    visibility: Visibility
    spotlight_ok: bool
    photo_id: str | None
    audio_id: str | None


# A private reply: "from" is a Python keyword, hence the functional form.
ReplyRecord = TypedDict("ReplyRecord", {
    "id": str, "card_id": str, "round_id": str, "student_id": str, "from": ReplySender,
    "text": str, "at": int,
})


class AttachmentMeta(TypedDict):
    """`meta` of `rp:…:photo:{id}` and `rp:…:audio:{id}`: whose it is and where it is used."""

    student_id: str | None  # None for the host's own recording
    card_id: str | None  # HOST_CARD for the host's answer; None until attached
    round_id: str | None
    uploaded_at: int
    bytes: int
    staff: NotRequired[str | None]  # recordings only: "teacher", "cohost" or None
    mime: NotRequired[str]
    duration_ms: NotRequired[int]


# ---- breakout rotations ----------------------------------------------------------------------

class RotationSettings(TypedDict):
    size: int | None
    rooms: int | None
    leftover: str
    max_size: NotRequired[int | None]  # with rooms: the others sit out (plans since issue 15)
    rotations: int
    minutes: int
    apart: list[list[str]]
    together: list[list[str]]
    absent: list[str]
    seed: int
    checkin_room: int


class Starter(TypedDict):
    """A room's conversation starter: a topic two members shared, or a library prompt."""

    kind: Literal["shared", "prompt"]
    text: str
    topic: NotRequired[str]
    names: NotRequired[list[str]]
    prompt_id: NotRequired[str | None]


RotationMessage = TypedDict("RotationMessage", {"text": str, "at": int, "from": str})


class RotationRecord(TypedDict):
    """`rp:class:{class_id}:rotation` (one JSON value per field): the current plan. `stats`
    is `PlanStats.to_dict()` plus `violation_details`."""

    id: str
    status: RotationStatus
    current: int  # index of the running rotation; -1 before the start
    deadline: int | None
    students: list[str]
    left: list[str]
    message: RotationMessage | None
    created_at: int
    settings: RotationSettings
    rotations: list[list[list[str]]]
    stats: dict[str, object]
    starters: list[list[Starter]]
    ended_at: NotRequired[int]
    rev: NotRequired[int]  # one more per change (`store.update_rotation`); none before the first


class RotationUpdate(TypedDict, total=False):
    """The fields a change to the rotation sets (`store.update_rotation`)."""

    status: RotationStatus
    current: int
    deadline: int | None
    students: list[str]
    left: list[str]
    message: RotationMessage | None
    settings: RotationSettings
    rotations: list[list[list[str]]]
    stats: dict[str, object]
    starters: list[list[Starter]]
    ended_at: int
    rev: int


# ---- the teacher's follow-up -----------------------------------------------------------------

class CheckinPlanRecord(TypedDict):
    """`rp:class:{class_id}:checkin-plan`: the settings the plan is made from (the plan itself
    is recomputed from them and the log)."""

    slots_per_week: int
    minutes: int
    weeks: int
    weights: dict[str, int] | None
    created_at: int  # epoch ms; week 0 starts here


class CheckinMeeting(TypedDict):
    """`rp:class:{class_id}:checkin-log` value: a meeting marked done or missed."""

    week: int
    slot: int
    student_id: str
    status: CheckinStatus
    at: int


class Note(TypedDict):
    """`rp:class:{class_id}:notes` value: the teacher's private note on a student."""

    text: str
    at: int


class SpotlightEntry(TypedDict):
    """`rp:class:{class_id}:spotlights` value: a card shown to the class."""

    student_id: str
    card_id: str
    at: int
