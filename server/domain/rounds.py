"""Show-and-tell rounds: the lifecycle, cards, spotlight, reactions and private replies.

Rules live here; who may *see* what lives in `server.domain.projections`. Times are epoch
milliseconds from an injectable clock so that tests can pin them.

Size: every action on a round and its cards (about 30 short functions, none over 40 lines), with
the prompt choice, the attachments and the export of a round, because each checks the same round
and card state.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import Any, cast

from server.domain import limits, projections
from server.domain.audio import check_audio
from server.domain.classes import Identity, require_class, require_staff, require_teacher
from server.domain.common import MAX_TIMER, MIN_TIMER
from server.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    Revoked,
)
from server.domain.moderation import needs_review
from server.domain.photos import process_photo
from server.domain.projections import HOST_CARD
from server.domain.prompts import PromptLibrary, validate_custom_prompt
from server.domain.records import (
    REACTIONS,
    AttachmentMeta,
    CardEdit,
    CardRecord,
    CardStatus,
    ClassUpdate,
    HostCard,
    ReplyRecord,
    ReplySender,
    RoundRecord,
    RoundUpdate,
    Visibility,
)
from server.domain.runtime import Clock, Runner, now_ms, run_here
from server.domain.spreadsheet import iso_time
from server.domain.text import clean_text, collapse_spaces, strip_invisible
from server.store import NO_GUARD, Guard
from server.store.cards import CardContext
from server.store.redis_store import RedisStore

MAX_CARD_TEXT = 500
MAX_REPLY_TEXT = 1000
NO_ROUND = "There is no round yet. Start one first."


# ---- the round -------------------------------------------------------------------------------

def current_round(store: RedisStore, class_id: str) -> RoundRecord | None:
    round_id = store.current_round_id(class_id)
    return store.get_round(class_id, round_id) if round_id else None


def require_round(store: RedisStore, class_id: str) -> RoundRecord:
    record = current_round(store, class_id)
    if record is None:
        raise Conflict(NO_ROUND)
    return record


@dataclass(frozen=True)
class PromptChoices:
    prompts: list[dict[str, Any]]  # the library's, filtered as asked
    custom: list[dict[str, Any]]  # the class's own
    suggestion: dict[str, Any] | None
    used: list[str]
    categories: dict[str, dict[str, Any]]


def prompt_choices(store: RedisStore, library: PromptLibrary, identity: Identity, *,
                   category: str | None, depth: str | None, grade_band: str | None,
                   include_used: bool) -> PromptChoices:
    """What the host picks the next round's prompt from: the library for the class's grade band
    (unless another is asked for), without the prompts the class has had unless asked; the
    suggestion is never one it has had."""
    require_staff(identity)
    used = store.used_prompt_ids(identity.class_id)
    band = grade_band or require_class(store, identity.class_id)["grade_band"]
    exclude = () if include_used else used
    found = library.filter(category=category, depth=depth, grade_band=band, exclude_ids=exclude)
    suggestion = library.suggest(category=category, depth=depth, grade_band=band,
                                 exclude_ids=used)
    return PromptChoices(
        prompts=[p.to_dict() for p in found], custom=store.custom_prompts(identity.class_id),
        suggestion=suggestion.to_dict() if suggestion else None, used=sorted(used),
        categories={k: c.to_dict() for k, c in library.categories.items()})


def start_round(store: RedisStore, library: PromptLibrary, identity: Identity, *,
                prompt_id: str | None = None, custom_text: str | None = None,
                category: str | None = None, clock: Clock = now_ms) -> RoundRecord:
    require_staff(identity)
    require_class(store, identity.class_id)
    if (prompt_id is None) == (custom_text is None):
        raise InvalidInput("Choose a prompt from the library or write your own, not both.")
    if prompt_id is not None:
        prompt = library.get(prompt_id)
        if prompt is None:
            custom = {p["id"]: p for p in store.custom_prompts(identity.class_id)}
            if prompt_id not in custom:
                raise NotFound("No such prompt.")
            prompt_view = custom[prompt_id]
        else:
            prompt_view = prompt.to_dict()
    else:
        assert custom_text is not None
        made = validate_custom_prompt(custom_text, category,
                                      id=f"custom-{secrets.token_hex(6)}")
        prompt_view = made.to_dict()
        store.put_custom_prompt(identity.class_id, prompt_view)
    record: RoundRecord = {
        "id": secrets.token_hex(6), "status": "draft",
        "prompt": {"id": prompt_view.get("id"), "text": prompt_view["text"],
                   "category": prompt_view.get("category"), "depth": prompt_view.get("depth"),
                   "starter": prompt_view.get("starter"), "custom": prompt_view.get("custom")},
        "host_card": None, "opened_at": None, "deadline": None, "closed_at": None,
        "spotlight": None, "created_at": clock(),
    }
    if not store.create_round(identity.class_id, record):
        raise Conflict("A round is still open. Close it before starting another.")
    return record


def post_host_card(store: RedisStore, identity: Identity, *, text: str | None, skip: bool,
                   audio_id: str | None = None, clock: Clock = now_ms) -> RoundRecord:
    """The host shares first: their own answer (written, spoken or both), or a deliberate
    skip. A spoken answer is heard by the whole class, like the written one."""
    require_staff(identity)
    current = require_round(store, identity.class_id)
    meta: AttachmentMeta | None = None  # the recording's, checked below
    if skip:
        written, audio_id = "", None
    else:
        if text is None and audio_id is None:
            raise InvalidInput("Write your answer, or skip.")
        if audio_id is not None:
            meta = store.attachment_meta("audio", identity.class_id, audio_id)
            if meta is None or meta.get("staff") != identity.role or meta.get("card_id"):
                raise NotFound("That recording was not found. Record it again.")
        written = text or ""
        spoken_only = audio_id is not None and not written.strip()
        written = "" if spoken_only else clean_text(written, MAX_CARD_TEXT, "answer")
    card: HostCard = {"text": written, "skipped": skip, "audio_id": audio_id,
                      "author_role": identity.role, "posted_at": clock(),
                      "prompt": current["prompt"]["text"]}

    def change(record: RoundRecord) -> RoundUpdate | None:
        shared = record.get("host_card")
        if identity.role != "teacher" and shared and shared.get("author_role") == "teacher":
            raise Forbidden("The teacher has shared their own answer; only they can change it.")
        return None if record["status"] == "closed" else {"host_card": card}

    updated = store.update_round(identity.class_id, current["id"], change)
    if updated is None:
        raise Conflict("This round is closed.")
    if not card["skipped"]:
        store.add_host_card(identity.class_id, card)
    if card["audio_id"] is not None and meta is not None:
        store.set_attachment_meta("audio", identity.class_id, card["audio_id"],
                                  {**meta, "round_id": current["id"], "card_id": HOST_CARD})
    return updated


def open_round(store: RedisStore, identity: Identity, timer_seconds: int | None,
               clock: Clock = now_ms) -> RoundRecord:
    require_staff(identity)
    if timer_seconds is not None and not MIN_TIMER <= timer_seconds <= MAX_TIMER:
        raise InvalidInput(f"The timer must be {MIN_TIMER} to {MAX_TIMER} seconds.")
    current = require_round(store, identity.class_id)
    now = clock()

    def change(record: RoundRecord) -> RoundUpdate | None:
        if record["status"] != "draft":
            return None
        if record["host_card"] is None:
            raise Conflict("Share your own answer first (or skip it): students answer after "
                           "they have seen yours.")
        deadline = now + timer_seconds * 1000 if timer_seconds else None
        return {"status": "open", "opened_at": now, "deadline": deadline}

    updated = store.update_round(identity.class_id, current["id"], change)
    if updated is None:
        raise Conflict("This round is already open or closed.")
    store.set_deadline("round", identity.class_id, updated["id"], updated["deadline"])
    return updated


def extend_round(store: RedisStore, identity: Identity, seconds: int,
                 clock: Clock = now_ms) -> RoundRecord:
    require_staff(identity)
    current = require_round(store, identity.class_id)
    now = clock()

    def change(record: RoundRecord) -> RoundUpdate | None:
        if record["status"] != "open":
            return None
        base = max(record["deadline"] or now, now)
        return {"deadline": base + seconds * 1000}

    updated = store.update_round(identity.class_id, current["id"], change)
    if updated is None:
        raise Conflict("Only an open round can be extended.")
    store.set_deadline("round", identity.class_id, updated["id"], updated["deadline"])
    return updated


def close_round(store: RedisStore, class_id: str, round_id: str,
                clock: Clock = now_ms) -> RoundRecord | None:
    """Close an open round; None if it was not open (so it closes exactly once)."""
    now = clock()

    def change(record: RoundRecord) -> RoundUpdate | None:
        if record["status"] != "open":
            return None
        return {"status": "closed", "closed_at": now}

    updated = store.update_round(class_id, round_id, change)
    store.set_deadline("round", class_id, round_id, None)
    return updated


def close_current_round(store: RedisStore, identity: Identity,
                        clock: Clock = now_ms) -> RoundRecord:
    require_staff(identity)
    current = require_round(store, identity.class_id)
    updated = close_round(store, identity.class_id, current["id"], clock)
    if updated is None:
        raise Conflict("This round is not open.")
    return updated


# ---- cards -----------------------------------------------------------------------------------

def _require_student(identity: Identity) -> str:
    if identity.role != "student" or identity.student_id is None:
        raise Forbidden("Only students post cards.")
    return identity.student_id


def _status_for(store: RedisStore, class_id: str, visibility: str, text: str
                ) -> tuple[CardStatus, bool]:
    """(status, flagged) of a card with this text."""
    flagged = needs_review(text)
    if visibility == "teacher":
        return "visible", flagged
    record = require_class(store, class_id)
    return _status_from(flagged, visibility, record.get("approval_required")), flagged


def _status_from(flagged: bool, visibility: str, approval_required: object) -> CardStatus:
    """Class cards wait for approval when approval is on or when flagged."""
    if visibility == "teacher":
        return "visible"
    return "pending" if flagged or approval_required else "visible"


ATTACHMENT_KINDS = ("photo", "audio")
ATTACHMENT_NAMES = {"photo": "photo", "audio": "recording"}


def attachment_id(card: CardRecord, kind: str) -> str | None:
    """The card's photo or recording id (cards from before voice answers have no audio_id)."""
    return card.get("photo_id") if kind == "photo" else card.get("audio_id")


def _edited_attachment(changes: CardEdit, kind: str) -> tuple[bool, str | None]:
    """(does the edit set the card's photo or recording, the id it sets: None removes it)."""
    if kind == "photo":
        return "photo_id" in changes, changes.get("photo_id")
    return "audio_id" in changes, changes.get("audio_id")


def _own_attachment(store: RedisStore, identity: Identity, kind: str,
                    item_id: str) -> AttachmentMeta:
    meta = store.attachment_meta(kind, identity.class_id, item_id)
    if meta is None or meta["student_id"] != identity.student_id:
        raise NotFound(f"That {ATTACHMENT_NAMES[kind]} was not found. Upload it again.")
    return meta


def _attach(store: RedisStore, identity: Identity, kind: str, item_id: str | None,
            round_id: str, card_id: str) -> None:
    if item_id is None:
        return
    meta = _own_attachment(store, identity, kind, item_id)
    if meta.get("card_id") not in (None, card_id):
        raise Conflict(f"That {ATTACHMENT_NAMES[kind]} belongs to another card.")
    store.set_attachment_meta(kind, identity.class_id, item_id,
                              {**meta, "round_id": round_id, "card_id": card_id})


def _card_text(text: str, audio_id: str | None) -> str:
    """A spoken answer may come without words; otherwise the card needs its text."""
    if audio_id is not None and not text.strip():
        return ""
    return clean_text(text, MAX_CARD_TEXT, "card")


def submit_card(store: RedisStore, identity: Identity, *, client_id: str, text: str,
                visibility: Visibility, spotlight_ok: bool, photo_id: str | None,
                audio_id: str | None = None, clock: Clock = now_ms,
                guard: Guard = NO_GUARD) -> tuple[CardRecord, bool]:
    """Post the student's card; returns (card, created). A retry returns the stored card.
    One round trip in the common case (no attachment): the card is built from what this
    process last read of the round, the student and the class, and stored with the `guard`
    only if that is still so (else built again)."""
    student_id = _require_student(identity)
    card_id, now = secrets.token_hex(6), clock()

    def build(seen: CardContext) -> CardRecord:
        if seen.round_id is None:
            raise Conflict(NO_ROUND)
        if seen.student is None:
            raise Revoked()  # their data was deleted: the seat is gone with it
        cleaned = _card_text(text, audio_id)
        flagged = needs_review(cleaned)
        status = _status_from(flagged, visibility, seen.class_fields["approval_required"])
        for kind, item_id in (("photo", photo_id), ("audio", audio_id)):
            if item_id is None:
                continue
            meta = _own_attachment(store, identity, kind, item_id)
            # Attached already: fine for a retry of this round's card (add_card sorts it out).
            if meta.get("card_id") and meta.get("round_id") != seen.round_id:
                raise Conflict(f"That {ATTACHMENT_NAMES[kind]} belongs to another card.")
        card: CardRecord = {
            "id": card_id, "round_id": seen.round_id, "student_id": student_id,
            "author": seen.student["name"], "client_id": client_id, "text": cleaned,
            "visibility": visibility, "spotlight_ok": spotlight_ok, "photo_id": photo_id,
            "audio_id": audio_id, "status": status, "flagged": flagged, "starred": False,
            "created_at": now, "updated_at": now,
        }
        return card

    outcome, stored = store.submit_card(identity.class_id, student_id, build,
                                        class_fields=("approval_required",), guard=guard)
    refused = limits.refusal(outcome, "card")
    if refused is not None:
        raise refused
    if outcome == "closed":
        raise Conflict("This round is not open for cards right now.")
    if outcome == "taken":
        raise Conflict("You already posted a card in this round. You can edit it instead.")
    assert stored is not None
    if outcome == "ok":
        _attach(store, identity, "photo", photo_id, stored["round_id"], card_id)
        _attach(store, identity, "audio", audio_id, stored["round_id"], card_id)
    return stored, outcome == "ok"


def _own_open_card(store: RedisStore, identity: Identity, card_id: str
                   ) -> tuple[RoundRecord, CardRecord]:
    student_id = _require_student(identity)
    current = require_round(store, identity.class_id)
    card = store.get_card(identity.class_id, current["id"], card_id)
    if card is None or card["student_id"] != student_id:
        raise NotFound("No such card.")
    if current["status"] != "open":
        raise Conflict("The round is closed: cards can no longer change.")
    return current, card


def edit_card(store: RedisStore, identity: Identity, card_id: str, changes: CardEdit,
              clock: Clock = now_ms) -> tuple[CardRecord, CardRecord]:
    """Returns (card before, card after)."""
    current, before = _own_open_card(store, identity, card_id)
    audio_id = changes.get("audio_id", attachment_id(before, "audio"))
    if "text" in changes:
        changes["text"] = _card_text(changes["text"], audio_id)
    elif audio_id is None and not before["text"]:
        raise InvalidInput("The card is empty.")  # removing the recording of a wordless card
    for kind in ATTACHMENT_KINDS:
        sets, item_id = _edited_attachment(changes, kind)
        if sets and item_id != attachment_id(before, kind):
            _attach(store, identity, kind, item_id, current["id"], card_id)
    previous: list[CardRecord] = []  # the card as the (last) attempt of the change found it

    def change(card: CardRecord) -> CardRecord:
        previous[:] = [card.copy()]
        new = cast(CardRecord, {**card, **changes, "updated_at": clock()})
        if card["status"] != "hidden":
            new["status"], new["flagged"] = _status_for(
                store, identity.class_id, new["visibility"], new["text"])
            # An approved card stays approved unless its text changed.
            if card["status"] == "visible" and new["status"] == "pending" and \
                    new["text"] == card["text"] and not new["flagged"]:
                new["status"] = "visible"
        return new

    after = store.update_card(identity.class_id, current["id"], card_id, change)
    if after is None:
        raise NotFound("No such card.")
    for kind in ATTACHMENT_KINDS:
        old = attachment_id(before, kind)
        if old and old != attachment_id(after, kind):
            store.delete_attachment(kind, identity.class_id, old)
    return previous[0], after


def withdraw_card(store: RedisStore, identity: Identity, card_id: str
                  ) -> tuple[CardRecord, bool]:
    """Delete the author's card; returns it and whether it was in the spotlight (then every
    screen must be told the spotlight is empty)."""
    current, card = _own_open_card(store, identity, card_id)
    store.delete_card(identity.class_id, current["id"], card)
    for kind in ATTACHMENT_KINDS:
        item_id = attachment_id(card, kind)
        if item_id:
            store.delete_attachment(kind, identity.class_id, item_id)
    spotlit = current.get("spotlight") == card_id
    if spotlit:
        store.update_round(identity.class_id, current["id"], lambda _r: {"spotlight": None})
    return card, spotlit


def _staff_card(store: RedisStore, identity: Identity, card_id: str, *, round_id: str | None
                ) -> tuple[RoundRecord, CardRecord]:
    require_staff(identity)
    current = require_round(store, identity.class_id)
    if round_id not in (None, current["id"]):
        record = store.get_round(identity.class_id, round_id)
        if record is None:
            raise NotFound("No such round.")
        current = record
    card = store.get_card(identity.class_id, current["id"], card_id)
    # A card the co-host may not see (a private one) does not exist for them.
    if card is None or projections.card_view(identity.role, card) is None:
        raise NotFound("No such card.")
    return current, card


def moderate_card(store: RedisStore, identity: Identity, card_id: str, *,
                  hidden: bool | None = None, approve: bool = False, starred: bool | None = None,
                  clock: Clock = now_ms) -> tuple[CardRecord, CardRecord]:
    """Hide/unhide, approve or star a card; returns (card before, card after)."""
    if starred is not None:
        require_teacher(identity)
    current, before = _staff_card(store, identity, card_id, round_id=None)

    def change(card: CardRecord) -> CardRecord:
        new = card.copy()
        if hidden is True:
            new["status"] = "hidden"
        elif hidden is False and card["status"] == "hidden":
            new["status"] = "pending" if card["visibility"] == "class" else "visible"
        if approve and new["status"] == "pending":
            new["status"] = "visible"
        if starred is not None:
            new["starred"] = starred
        new["moderated_at"] = clock()
        return new

    after = store.update_card(identity.class_id, current["id"], card_id, change)
    if after is None:
        raise NotFound("No such card.")
    if after["status"] != "visible" and current.get("spotlight") == card_id:
        store.update_round(identity.class_id, current["id"], lambda _r: {"spotlight": None})
    return before, after


# The cards a round may spotlight (as patterns: the store checks them where it reads the card);
# `_refuse_spotlight` says why any other card may not be.
SPOTLIGHTABLE = [{"visibility": "class", "spotlight_ok": True, "status": "visible"}]


def _refuse_spotlight(identity: Identity, card: CardRecord | None) -> DomainError:
    # A card the co-host may not see (a private one) does not exist for them.
    if card is None or projections.card_view(identity.role, card) is None:
        return NotFound("No such card.")
    if card["visibility"] != "class" or not card["spotlight_ok"]:
        return Forbidden("Only cards whose author chose \"my class\" and allowed the "
                         "spotlight can be spotlighted.")
    if card["status"] != "visible":
        return Conflict("Approve this card before spotlighting it.")
    return Conflict("This card cannot be spotlighted.")  # SPOTLIGHTABLE disagrees: a bug


def set_spotlight(store: RedisStore, identity: Identity, card_id: str | None,
                  guard: Guard = NO_GUARD) -> tuple[CardRecord | None, dict[str, int]]:
    """Spotlight a card of the current round (or none); returns (the card, its reaction
    counts). One round trip: the `guard`, the round, the card and whether it may be
    spotlighted, the round's spotlight and the connection record's entry, atomically."""
    require_staff(identity)
    outcome, card, counts = store.set_spotlight(identity.class_id, card_id,
                                                allowed=SPOTLIGHTABLE, at_ms=now_ms(),
                                                guard=guard)
    refused = limits.refusal(outcome, None)
    if refused is not None:
        raise refused
    if outcome == "no_round":
        raise Conflict(NO_ROUND)
    if outcome == "refused":
        raise _refuse_spotlight(identity, card)
    return card, counts


def spotlight_gone(store: RedisStore, class_id: str, before: CardRecord,
                   after: CardRecord) -> bool:
    """After moderation: should every screen be told the spotlight is empty? When the card
    stopped being visible and the round now spotlights nothing (`moderate_card` takes a card
    that is no longer visible out of the spotlight)."""
    if before["status"] != "visible" or after["status"] == "visible":
        return False
    record = current_round(store, class_id)
    return record is not None and record.get("spotlight") is None


def react(store: RedisStore, identity: Identity, card_id: str, reaction: str,
          guard: Guard = NO_GUARD) -> CardRecord:
    """Count a student's reaction to a card they can see; returns the card. One round trip:
    the `guard`, the current round, the card, may this student react to it, and the count,
    atomically."""
    student_id = _require_student(identity)
    if reaction not in REACTIONS:
        raise InvalidInput(f"Reactions are {', '.join(REACTIONS)}.")
    outcome, card = store.react_to_card(identity.class_id, card_id, student_id, reaction,
                                        seen_if=projections.may_react_patterns(student_id),
                                        guard=guard)
    refused = limits.refusal(outcome, "react")
    if refused is not None:
        raise refused
    if outcome == "no_round":
        raise Conflict(NO_ROUND)
    if card is None:
        raise NotFound("No such card.")
    return card


def send_reply(store: RedisStore, identity: Identity, card_id: str, text: str,
               round_id: str | None = None, clock: Clock = now_ms,
               client_id: str | None = None) -> tuple[ReplyRecord, CardRecord, bool]:
    """A private reply on a card's thread; returns (reply, card, created). Sent again with the
    same `client_id`, it returns the stored reply (created False) instead of a second one."""
    text = clean_text(text, MAX_REPLY_TEXT, "reply")
    current = require_round(store, identity.class_id)
    if round_id not in (None, current["id"]):
        found = store.get_round(identity.class_id, round_id)
        if found is None:
            raise NotFound("No such card.")
        current = found
    card = store.get_card(identity.class_id, current["id"], card_id)
    if card is None:
        raise NotFound("No such card.")
    if identity.role in ("teacher", "student") \
            and require_class(store, identity.class_id).get("private_replies_off"):
        raise Conflict("Private replies are turned off in this class.")
    if not projections.sees_thread(identity, card):
        raise NotFound("No such card.")  # co-host, stage, other students: not theirs to see
    sender: ReplySender = "teacher" if identity.role == "teacher" else "student"
    if sender == "student" and not store.replies(identity.class_id, current["id"], [card_id]):
        raise Conflict("You can answer once your teacher has replied to your card.")
    reply_id = secrets.token_hex(6)
    if client_id is not None:
        # The same sender and client id always make the same reply id: a retry finds it.
        reply_id = hashlib.sha256(f"{card_id}:{sender}:{client_id}".encode()).hexdigest()[:12]
        thread = store.replies(identity.class_id, current["id"], [card_id]).get(card_id, [])
        stored = next((r for r in thread if r["id"] == reply_id), None)
        if stored is not None:
            return stored, card, False
    reply: ReplyRecord = {"id": reply_id, "card_id": card_id, "round_id": current["id"],
                          "student_id": card["student_id"], "from": sender, "text": text,
                          "at": clock()}
    store.add_reply(identity.class_id, current["id"], card_id, reply)
    return reply, card, True


def set_settings(store: RedisStore, identity: Identity, *, approval_required: bool | None,
                 private_replies: bool | None, staff_names: list[str] | None = None) -> None:
    """The teacher's class switches. `private_replies: false` (a school's safeguarding rule)
    stops every new private reply; the threads already written stay in the export.
    `staff_names`: the teacher's and co-host's own names, which no student may take."""
    require_teacher(identity)
    fields: ClassUpdate = {}
    if staff_names is not None:
        cleaned = [collapse_spaces(strip_invisible(unicodedata.normalize("NFC", n), name=True))
                   for n in staff_names]
        fields["staff_names"] = [n for n in cleaned if n]
    if approval_required is not None:
        fields["approval_required"] = approval_required
    if private_replies is not None:
        fields["private_replies_off"] = not private_replies
    if not fields:
        raise InvalidInput("Send a setting to change: approval_required, private_replies or "
                           "staff_names.")
    store.set_class_fields(identity.class_id, fields)


# ---- photos and export -----------------------------------------------------------------------

def store_photo(store: RedisStore, identity: Identity, data: bytes,
                clock: Clock = now_ms, run: Runner = run_here) -> str:
    """Check, clean and keep an uploaded photo; it is attached to a card when posted.
    Decoding is CPU work: `run` takes it off the event loop."""
    student_id = _require_student(identity)
    jpeg = run(lambda: process_photo(data))
    photo_id = secrets.token_hex(12)  # random, unguessable name
    meta: AttachmentMeta = {"student_id": student_id, "card_id": None, "round_id": None,
                            "uploaded_at": clock(), "bytes": len(jpeg)}
    store.put_attachment("photo", identity.class_id, photo_id, meta,
                         base64.b64encode(jpeg).decode())
    return photo_id


def store_audio(store: RedisStore, identity: Identity, data: bytes,
                clock: Clock = now_ms, run: Runner = run_here) -> dict[str, Any]:
    """Check and keep a spoken answer as sent; it is attached to a card when posted (a
    student's card, or the host's own answer). Walking a minute of WebM blocks takes ~15 ms
    of CPU: `run` takes it off the event loop."""
    if identity.role == "student":
        student_id, staff = identity.student_id, None
    else:
        require_staff(identity)
        student_id, staff = None, identity.role
    info = run(lambda: check_audio(data))
    audio_id = secrets.token_hex(12)  # random, unguessable name
    meta: AttachmentMeta = {"student_id": student_id, "staff": staff, "card_id": None,
                            "round_id": None, "uploaded_at": clock(), "bytes": len(data),
                            "mime": info.mime, "duration_ms": info.duration_ms}
    store.put_attachment("audio", identity.class_id, audio_id, meta,
                         base64.b64encode(data).decode())
    return {"audio_id": audio_id, "mime": info.mime, "duration_ms": info.duration_ms}


def photo_for(store: RedisStore, identity: Identity, photo_id: str) -> bytes:
    return attachment_for(store, identity, "photo", photo_id)[0]


def attachment_for(store: RedisStore, identity: Identity, kind: str,
                   item_id: str) -> tuple[bytes, AttachmentMeta]:
    """(bytes, meta) of a photo or recording, if `identity` may see the card it belongs to;
    else NotFound.

    Hidden cards' attachments are served to nobody but the teacher; withdrawn cards'
    attachments are deleted with the card.
    """
    missing = f"No such {ATTACHMENT_NAMES[kind]}."
    meta = store.attachment_meta(kind, identity.class_id, item_id)
    if meta is None:
        raise NotFound(missing)
    card: CardRecord | None = None
    spotlight: str | None = None
    round_id, card_id = meta.get("round_id"), meta.get("card_id")
    if card_id not in (None, HOST_CARD) and round_id is not None and card_id is not None:
        card = store.get_card(identity.class_id, round_id, card_id)
        if identity.role == "stage":
            shown = current_round(store, identity.class_id)
            spotlight = shown.get("spotlight") if shown else None
    allowed = projections.may_see_attachment(identity, kind, item_id, meta, card, spotlight)
    data = store.attachment_data(kind, identity.class_id, item_id) if allowed else None
    if data is None:
        raise NotFound(missing)
    return base64.b64decode(data), meta


def export_round(store: RedisStore, identity: Identity, round_id: str) -> dict[str, Any]:
    require_teacher(identity)
    record = store.get_round(identity.class_id, round_id)
    if record is None:
        raise NotFound("No such round.")
    cards = store.list_cards(identity.class_id, round_id)
    counts = store.reaction_counts(identity.class_id, round_id)
    threads = store.replies(identity.class_id, round_id, [c["id"] for c in cards])
    return {
        "round": projections.round_view(record, staff=True,
                                  answered=store.answered(identity.class_id, round_id)),
        "cards": [
            {**(projections.card_view("teacher", c, counts.get(c["id"])) or {}),
             "replies": threads.get(c["id"], [])}
            for c in cards
        ],
    }


EXPORT_COLUMNS = ("card_id", "student", "visibility", "status", "spotlight_ok", "starred",
                  "flagged", "text", "reactions", "replies", "created_at")


def export_round_rows(export: dict[str, Any], where: tzinfo = UTC) -> list[dict[str, Any]]:
    return [
        {
            "card_id": c["id"], "student": c["author"], "visibility": c["visibility"],
            "status": c["status"], "spotlight_ok": c["spotlight_ok"],
            "starred": c.get("starred", False), "flagged": c.get("flagged", False),
            "text": c["text"], "reactions": sum(c["reactions"].values()),
            "replies": " | ".join(f"{r['from']}: {r['text']}" for r in c["replies"]),
            "created_at": iso_time(c["created_at"], where),
        }
        for c in export["cards"]
    ]
