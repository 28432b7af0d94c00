"""The JSON bodies the HTTP API answers with: each route declares its type (server/http/api.py)
and the OpenAPI document's response schemas are generated from these (server/http/openapi.py).
tests/integration/test_http_answers.py checks real answers against the document."""

from __future__ import annotations

from typing import Annotated, Any, Literal, NotRequired

from pydantic import Field
from typing_extensions import TypedDict  # pydantic reads typing.TypedDict only on 3.12+

Stored = dict[str, Any]  # a stored record as kept (server/domain/records.py), not closed here


class Health(TypedDict):
    status: Literal["ok", "unavailable"]
    store: str
    redis: Literal["ok", "down"]
    durable: bool
    async_mode: str
    warning: NotRequired[str]


class ClassCreated(TypedDict):
    class_id: str
    name: str
    grade_band: str
    join_code: str
    join_url: str
    teacher_secret: str
    teacher_url: str
    cohost_secret: str
    cohost_url: str
    join_warning: NotRequired[Annotated[str, Field(description=(
        "present when join_url points to this computer only (loopback, no PUBLIC_URL): a "
        "sentence saying students on other devices cannot open it and what to do"))]]


class Seated(TypedDict):
    class_id: str
    student_id: str
    name: str
    seat_token: str


class RosterImported(TypedDict):
    imported: int


class SecretRotated(TypedDict):
    secret: str
    url: str


class PhotoStored(TypedDict):
    photo_id: str


class AudioStored(TypedDict):
    audio_id: str
    mime: Literal["audio/webm", "audio/ogg", "audio/mp4"]
    duration_ms: int


class ByHand(TypedDict):
    student: str
    room: str


class ZoomByHand(TypedDict):
    with_email: int
    by_hand: list[ByHand]


class BbbMeeting(TypedDict):
    moderator_url: str
    duplicate: Annotated[bool, Field(
        description="the meeting already existed: it keeps its first groups")]
    rotation: Annotated[int | None, Field(
        description="1-based rotation whose rooms were given, or null")]
    rooms: int


class PromptPiece(TypedDict):
    """One string in the language asked for, or in English when it is not translated yet;
    set lang and dir on the element that shows it."""

    lang: str | None
    dir: Literal["ltr", "rtl", "auto"]
    text: str
    status: Literal["reviewed", "draft", "not-yet", "source", "custom"]


class PromptOriginal(TypedDict):
    lang: Literal["en"] | None
    text: str
    starter: str | None


class LocalizedPrompt(TypedDict):
    id: str
    lang: Annotated[str, Field(description="the language served (en if none fits)")]
    text: PromptPiece
    starter: PromptPiece | None
    original: PromptOriginal


class Language(TypedDict):
    tag: str
    name: str
    dir: Literal["ltr", "rtl"]


class InterfaceBundle(TypedDict):
    lang: Annotated[str, Field(description="the language served (en if none fits)")]
    dir: Literal["ltr", "rtl"]
    name: Annotated[str, Field(description="the language's own name")]
    draft: Annotated[bool, Field(description="some translations are drafts, not yet reviewed")]
    messages: Annotated[dict[str, str], Field(description=(
        "key -> text with {placeholders}; plural forms as key#one, key#other ... "
        "(CLDR categories)"))]
    languages: Annotated[list[Language], Field(
        description="every shipped language, for a language menu")]


class RoundExport(TypedDict):
    round: Annotated[Stored, Field(description="the round as staff see it")]
    cards: Annotated[list[Stored], Field(
        description="every card as the teacher sees it, each with its `replies`")]


class PrivateThread(TypedDict):
    round_id: str
    card_id: str
    student_id: str | None
    card_text: Annotated[str | None, Field(description="null once the card is withdrawn")]
    card_withdrawn: bool
    replies: list[Stored]
    started_at: int


class CheckinsKept(TypedDict):
    settings: Stored | None
    log: list[Stored]


class ClassExport(TypedDict):
    """Everything the class holds; stored times as they are (epoch milliseconds)."""

    # "class" is a Python keyword: the alias is the field's name.
    class_: Annotated[Stored, Field(alias="class")]
    students: list[Stored]
    roster: list[Stored]
    rounds: Annotated[list[Stored], Field(
        description="each round with its `answered` and its cards, their reactions, replies "
                    "and spoken answer (`audio`)")]
    about_teacher: list[Stored]
    custom_prompts: list[Stored]
    used_prompts: list[str]
    rotation: Stored | None
    pair_history: Annotated[list[list[str | int]], Field(
        description="[student id, student id, times paired]")]
    spotlights: list[Stored]
    checkins: CheckinsKept
    notes: dict[str, Stored]
    private_threads: list[PrivateThread]
