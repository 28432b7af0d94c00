"""Socket.IO handlers: validate, call the domain, emit.

The credential is checked once, at connect (server/realtime/connect.py); the socket's sender
is then kept in process memory (server/realtime/senders.py), and a revocation (a removed
student, a rotated link, a deleted class) closes the sockets it concerns at once, on every
process. Every client event goes through `handler()`, which passes the flood guard
(server/realtime/flood.py), finds the sender (a revoked socket's events are refused), takes
its turn (admission control), validates the payload against its schema, lets the domain check
the sender's role, and turns refusals into the one error ack shape.

The handlers sit on python-socketio's server directly, with the socket id as argument: an
event pushes an app context (the handlers reach the services through it) but no request
context and no session, which Flask-SocketIO would build for every event.

Size: one short handler per client event (about 40), the `handler()` wrapper they all go
through and the table that registers them: the socket side of docs/PROTOCOL.md, read against it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, cast

from flask import Flask
from flask_socketio import SocketIO
from socketio.exceptions import ConnectionRefusedError

from server.context import Services, services
from server.domain import classes, followup, limits, projections, rotations, rounds, snapshot
from server.domain.classes import Identity
from server.domain.errors import DomainError, Forbidden, Revoked
from server.domain.records import CardEdit, CardRecord, RotationRecord, RoundRecord
from server.domain.runtime import now_ms
from server.realtime import broadcast, connect, flood, senders
from server.realtime.admission import admission, busy_error
from server.realtime.offload import run_blocking
from server.realtime.packets import MALFORMED, AnsweringPacket
from server.schemas import (
    CardRef,
    ClassSettings,
    EditCard,
    Empty,
    ExtendRound,
    HideCard,
    HostCard,
    LinkStudent,
    LockClass,
    MarkCheckin,
    MoveStudent,
    OpenRound,
    PlanCheckins,
    PlanRotations,
    PromptQuery,
    React,
    RecordQuery,
    RejoinCodeRequest,
    RenameStudent,
    Reply,
    RotationMessage,
    Schema,
    SetLanguage,
    SetNote,
    SetRetention,
    Spotlight,
    StarCard,
    StartRound,
    StudentRef,
    SubmitCard,
    parse,
)
from server.store import Guard, StoreUnavailable

log = logging.getLogger(__name__)
Ack = dict[str, Any]
Handler = Callable[[Identity, Any], Ack]  # (sender, validated payload) -> ack result
_sender: ContextVar[senders.Sender] = ContextVar("sender")  # the event being handled's


def _error(code: str, message: str) -> Ack:
    return {"ok": False, "error": {"code": code, "message": message}}


def _flooded() -> Ack:
    return _error("rate_limited", "Too many messages. Slow down a little.")


def _host_url() -> str:
    """The URL the sender's page connected to (for links, when PUBLIC_URL is unset)."""
    return _sender.get().host_url


EVENT_COST = {"get_snapshot": 5.0}  # a snapshot is a dozen store reads


def handler(app: Flask, server: Any, schema: type[Schema], fn: Handler) -> Callable[..., Ack]:
    """The python-socketio handler of one event: `fn` gets the sender and the valid payload."""
    cost = EVENT_COST.get(fn.__name__, 1.0)
    svc: Services = app.extensions["rapport"]

    def run(sid: str, data: Any = None, *extra: Any) -> Ack:
        sender = senders.current(sid)
        if not flood.allowed(svc, sid, sender, cost):
            return _flooded()
        if extra:
            return _error("invalid", "Send one JSON object per event.")
        if sender is None:  # revoked: closed already, unless it was still connecting then
            server.disconnect(sid, ignore_queue=True)
            return {"ok": False, "error": Revoked().to_dict()}
        if not admission.enter():  # refused before doing anything: the client sends it again
            return {"ok": False, "error": busy_error()}
        token = _sender.set(sender)
        try:
            with app.app_context():
                payload = parse(schema, data)
                result = fn(sender.identity, payload)
                return {"ok": True, **result}
        except Revoked as exc:  # found by the handler's own round trip (`_guard`)
            server.disconnect(sid, ignore_queue=True)
            return {"ok": False, "error": exc.to_dict()}
        except DomainError as exc:
            return {"ok": False, "error": exc.to_dict()}
        except StoreUnavailable as exc:
            # A timeout may be a slow store, not an outage: this client retries and nobody
            # else is disturbed. Only an unreachable store makes everyone resync afterwards.
            log.warning("store unavailable during %s: %s", fn.__name__, exc)
            with app.app_context():
                connect.store_failed(exc)
            return _error("unavailable", "The server cannot reach its store in time. It may or "
                          "may not have done this: try again.")
        finally:
            _sender.reset(token)
            admission.leave()

    run.__name__ = fn.__name__
    return run


# ---- snapshot (the one sent on connect: server/realtime/connect.py) --------------------------

def get_snapshot(identity: Identity, _body: Empty) -> Ack:
    snap = snapshot.build(services(), identity, _host_url(), now_ms())
    if snap is None:
        raise Forbidden("This class no longer exists.")
    return {"snapshot": snap}


# ---- class management ------------------------------------------------------------------------

def lock_class(identity: Identity, body: LockClass) -> Ack:
    record = classes.set_locked(services().store, identity, body.locked)
    broadcast.class_updated(identity.class_id, _host_url())
    return {"class": {k: record[k] for k in ("id", "name", "grade_band", "locked")}}


def set_retention(identity: Identity, body: SetRetention) -> Ack:
    record = classes.set_retention(services().store, identity, body.retention_days)
    broadcast.class_updated(identity.class_id, _host_url())
    return {"retention_days": record["retention_days"]}


def remove_student(identity: Identity, body: StudentRef) -> Ack:
    classes.remove_student(services().store, identity, body.student_id)
    broadcast.student_removed(identity.class_id, body.student_id)
    return {}


def rename_student(identity: Identity, body: RenameStudent) -> Ack:
    student = classes.rename_student(services().store, identity, body.student_id, body.name)
    broadcast.student_updated(identity.class_id, student)
    return {"student": projections.self_student(student)}


def link_student(identity: Identity, body: LinkStudent) -> Ack:
    student = classes.link_student(services().store, identity, body.student_id, body.roster_id)
    broadcast.student_updated(identity.class_id, student)
    return {"student": projections.self_student(student)}


def rejoin_code(identity: Identity, body: RejoinCodeRequest) -> Ack:
    code = classes.make_rejoin_code(services().store, identity, body.student_id)
    record = classes.require_class(services().store, identity.class_id)
    link = services().join_url(record["join_code"], _host_url())
    return {"rejoin_code": code, "rejoin_url": classes.rejoin_link(link, code)}


def seat_language(identity: Identity, body: SetLanguage) -> Ack:
    student = classes.set_student_language(services().store, identity, body.lang)
    broadcast.student_updated(identity.class_id, student)
    return {"lang": body.lang}


def class_language(identity: Identity, body: SetLanguage) -> Ack:
    classes.set_class_language(services().store, identity, body.lang)
    broadcast.class_updated(identity.class_id, _host_url())
    return {"lang": body.lang}


def class_settings(identity: Identity, body: ClassSettings) -> Ack:
    rounds.set_settings(services().store, identity, approval_required=body.approval_required,
                        private_replies=body.private_replies, staff_names=body.staff_names)
    broadcast.class_updated(identity.class_id, _host_url())
    return {}


# ---- rounds ----------------------------------------------------------------------------------

def list_prompts(identity: Identity, body: PromptQuery) -> Ack:
    choices = rounds.prompt_choices(
        services().store, services().library, identity, category=body.category,
        depth=body.depth, grade_band=body.grade_band, include_used=body.include_used)
    return {"prompts": choices.prompts, "custom": choices.custom,
            "suggestion": choices.suggestion, "used": choices.used,
            "categories": choices.categories}


def start_round(identity: Identity, body: StartRound) -> Ack:
    record = rounds.start_round(services().store, services().library, identity,
                                prompt_id=body.prompt_id, custom_text=body.custom_text,
                                category=body.category)
    broadcast.round_started(identity.class_id, record)
    return {"round": broadcast.staff_round(identity.class_id, record, identity.role)}


def _round_changed(identity: Identity, record: RoundRecord) -> Ack:
    broadcast.round_updated(identity.class_id, record)
    return {"round": broadcast.staff_round(identity.class_id, record, identity.role)}


def host_card(identity: Identity, body: HostCard) -> Ack:
    return _round_changed(identity, rounds.post_host_card(
        services().store, identity, text=body.text, skip=body.skip, audio_id=body.audio_id))


def open_round(identity: Identity, body: OpenRound) -> Ack:
    return _round_changed(identity, rounds.open_round(services().store, identity,
                                                      body.timer_seconds))


def extend_round(identity: Identity, body: ExtendRound) -> Ack:
    return _round_changed(identity, rounds.extend_round(services().store, identity, body.seconds))


def close_round(identity: Identity, _body: Empty) -> Ack:
    return _round_changed(identity, rounds.close_current_round(services().store, identity))


def _limit(action: str, identity: Identity) -> None:
    services().limits.hit(action, limits.seat_of(identity))


def _guard(action: str | None, identity: Identity) -> Guard:
    """What the handler's one store round trip checks with its write: the sender's credential
    still exists (closing the moment between a revocation and its socket's closing), and one
    token of the `action` rate limit, if any."""
    token_hash = _sender.get().token_hash
    if action is None:
        return Guard(token_hash)
    return services().limits.guard(action, identity, token_hash)


def submit_card(identity: Identity, body: SubmitCard) -> Ack:
    card, created = rounds.submit_card(
        services().store, identity, client_id=body.client_id, text=body.text,
        visibility=body.visibility, spotlight_ok=body.spotlight_ok, photo_id=body.photo_id,
        audio_id=body.audio_id, guard=_guard("card", identity))
    if created:
        broadcast.card_posted(identity.class_id, card)
    return {"card": projections.card_view("author", card), "duplicate": not created}


def edit_card(identity: Identity, body: EditCard) -> Ack:
    _limit("card", identity)
    changes = cast(CardEdit, body.model_dump(exclude_unset=True, exclude={"card_id"}))
    before, after = rounds.edit_card(services().store, identity, body.card_id, changes)
    broadcast.card_edited(identity.class_id, before, after)
    return {"card": projections.card_view("author", after)}


def withdraw_card(identity: Identity, body: CardRef) -> Ack:
    card, spotlit = rounds.withdraw_card(services().store, identity, body.card_id)
    broadcast.card_withdrawn(identity.class_id, card, spotlit=spotlit)
    return {}


def _moderated(identity: Identity, before: CardRecord, after: CardRecord) -> Ack:
    broadcast.card_moderated(identity.class_id, before, after)
    return {"card": projections.card_view(identity.role, after)}


def hide_card(identity: Identity, body: HideCard) -> Ack:
    before, after = rounds.moderate_card(services().store, identity, body.card_id,
                                         hidden=body.hidden)
    return _moderated(identity, before, after)


def approve_card(identity: Identity, body: CardRef) -> Ack:
    before, after = rounds.moderate_card(services().store, identity, body.card_id, approve=True)
    return _moderated(identity, before, after)


def star_card(identity: Identity, body: StarCard) -> Ack:
    before, after = rounds.moderate_card(services().store, identity, body.card_id,
                                         starred=body.starred)
    return _moderated(identity, before, after)


def set_spotlight(identity: Identity, body: Spotlight) -> Ack:
    card, counts = rounds.set_spotlight(services().store, identity, body.card_id,
                                        _guard(None, identity))
    broadcast.spotlight(identity.class_id, card, counts)
    return {"card": projections.card_view("stage", card)}


def react(identity: Identity, body: React) -> Ack:
    card = rounds.react(services().store, identity, body.card_id, body.reaction,
                        _guard("react", identity))
    scheduler = services().scheduler
    assert scheduler is not None
    scheduler.reaction_changed(identity.class_id, card["round_id"], card["id"])
    return {}


def send_reply(identity: Identity, body: Reply) -> Ack:
    _limit("reply", identity)
    message, card, created = rounds.send_reply(services().store, identity, body.card_id,
                                               body.text, body.round_id,
                                               client_id=body.client_id)
    if created:
        broadcast.reply(identity.class_id, message, card)
    return {"reply": message, "duplicate": not created}


# ---- rotations -------------------------------------------------------------------------------

def plan_rotations(identity: Identity, body: PlanRotations) -> Ack:
    svc = services()
    record = rotations.build_plan(
        svc.store, svc.library, identity, size=body.size, rooms=body.rooms,
        rotations=body.rotations, minutes=body.minutes, absent=body.absent,
        apart=body.apart, together=body.together, checkin_room=body.checkin_room,
        seed=body.seed, leftover=body.leftover, max_size=body.max_size, run=run_blocking)
    broadcast.rotation_updated(identity.class_id, record)
    return {}


def _rotation_changed(identity: Identity, before: RotationRecord | None,
                      record: RotationRecord) -> Ack:
    broadcast.rotation_changed(identity.class_id, before, record)
    return {"stats": record["stats"]}


def _plan_before(identity: Identity) -> RotationRecord | None:
    """The plan as it was, so staff get only what the change changes."""
    return services().store.get_rotation(identity.class_id)


def move_student(identity: Identity, body: MoveStudent) -> Ack:
    before = _plan_before(identity)
    return _rotation_changed(identity, before, rotations.move_student(
        services().store, services().library, identity, rotation=body.rotation,
        student_id=body.student_id, room=body.room))


def start_rotation(identity: Identity, _body: Empty) -> Ack:
    before = _plan_before(identity)
    return _rotation_changed(identity, before,
                             rotations.start_rotation(services().store, identity))


def skip_rotation(identity: Identity, _body: Empty) -> Ack:
    before = _plan_before(identity)
    return _rotation_changed(identity, before, rotations.skip(services().store, identity))


def extend_rotation(identity: Identity, body: ExtendRound) -> Ack:
    before = _plan_before(identity)
    return _rotation_changed(identity, before,
                             rotations.extend(services().store, identity, body.seconds))


def end_rotation(identity: Identity, _body: Empty) -> Ack:
    before = _plan_before(identity)
    return _rotation_changed(identity, before, rotations.end(services().store, identity))


def rotation_message(identity: Identity, body: RotationMessage) -> Ack:
    message = rotations.broadcast_message(services().store, identity, body.text)
    broadcast.rotation_message(identity.class_id, message)
    return {}


# ---- check-ins and the connection record (teacher only) --------------------------------------

def plan_checkins(identity: Identity, body: PlanCheckins) -> Ack:
    return {"checkins": followup.plan_checkins(
        services().store, identity, slots_per_week=body.slots_per_week, minutes=body.minutes,
        weeks=body.weeks, weights=body.weights)}


def get_checkins(identity: Identity, _body: Empty) -> Ack:
    return {"checkins": followup.current_checkins(services().store, identity)}


def mark_checkin(identity: Identity, body: MarkCheckin) -> Ack:
    followup.mark_checkin(services().store, identity, week=body.week, slot=body.slot,
                          student_id=body.student_id, status=body.status)
    return {"checkins": followup.current_checkins(services().store, identity)}


def get_record(identity: Identity, body: RecordQuery) -> Ack:
    return {"record": followup.connection_record(services().store, identity, body.days)}


def set_note(identity: Identity, body: SetNote) -> Ack:
    return {"note": followup.set_note(services().store, identity, body.student_id, body.text)}


EVENTS: dict[str, tuple[type[Schema], Handler]] = {
    "snapshot.get": (Empty, get_snapshot),
    "class.lock": (LockClass, lock_class),
    "student.remove": (StudentRef, remove_student),
    "student.rename": (RenameStudent, rename_student),
    "student.link": (LinkStudent, link_student),
    "seat.rejoin_code": (RejoinCodeRequest, rejoin_code),
    "seat.language": (SetLanguage, seat_language),
    "class.language": (SetLanguage, class_language),
    "class.settings": (ClassSettings, class_settings),
    "class.retention": (SetRetention, set_retention),
    "prompt.list": (PromptQuery, list_prompts),
    "round.start": (StartRound, start_round),
    "round.host_card": (HostCard, host_card),
    "round.open": (OpenRound, open_round),
    "round.extend": (ExtendRound, extend_round),
    "round.close": (Empty, close_round),
    "card.submit": (SubmitCard, submit_card),
    "card.edit": (EditCard, edit_card),
    "card.withdraw": (CardRef, withdraw_card),
    "card.hide": (HideCard, hide_card),
    "card.approve": (CardRef, approve_card),
    "card.star": (StarCard, star_card),
    "spotlight.set": (Spotlight, set_spotlight),
    "react": (React, react),
    "reply.send": (Reply, send_reply),
    "rotation.plan": (PlanRotations, plan_rotations),
    "rotation.move": (MoveStudent, move_student),
    "rotation.start": (Empty, start_rotation),
    "rotation.skip": (Empty, skip_rotation),
    "rotation.extend": (ExtendRound, extend_rotation),
    "rotation.end": (Empty, end_rotation),
    "rotation.message": (RotationMessage, rotation_message),
    "checkins.plan": (PlanCheckins, plan_checkins),
    "checkins.get": (Empty, get_checkins),
    "checkins.mark": (MarkCheckin, mark_checkin),
    "record.get": (RecordQuery, get_record),
    "note.set": (SetNote, set_note),
}


def on_unknown_event(svc: Services, event: str, sid: str) -> Ack:
    if not flood.allowed(svc, sid, senders.current(sid)):
        return _flooded()
    return _error("invalid", f"Unknown event {str(event)[:40]!r}.")


def on_malformed_packet(sid: str, reason: Any = None) -> Ack:
    if not flood.flood_guard.allow(sid):
        return _flooded()
    return _error("invalid", str(reason)[:200])


def refuse_star_event(server: Any) -> None:
    """A client event literally named '*' would reach the catch-all handler without its name
    (a python-socketio quirk) and get no answer: refuse it before dispatch."""
    dispatch = server._trigger_event

    def guarded(event: str, namespace: str, *args: Any) -> Any:
        if event == "*":
            return _error("invalid", "Unknown event '*'.")
        return dispatch(event, namespace, *args)

    server._trigger_event = guarded
    # Undecodable packets become the MALFORMED event (answered above), not a silent drop.
    server.packet_class = AnsweringPacket


def register(socketio: SocketIO, app: Flask) -> None:
    """Put the handlers on `app`'s python-socketio server (after `socketio.init_app(app)`)."""
    server = socketio.server
    svc: Services = app.extensions["rapport"]

    def arrive(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        """`connect.on_connect` in its turn (admission control); refused with `busy` when too many
        wait."""
        if not admission.enter():
            raise ConnectionRefusedError("busy", busy_error())
        try:
            with app.app_context():
                connect.on_connect(server, sid, environ, auth)
        finally:
            admission.leave()

    def depart(sid: str, _reason: Any = None) -> None:
        """`connect.on_disconnect` in its turn; never refused (it cleans up)."""
        admission.enter(refusable=False)
        try:
            with app.app_context():
                connect.on_disconnect(sid)
        finally:
            admission.leave()

    def unknown(event: str, sid: str, *_args: Any) -> Ack:
        return on_unknown_event(svc, event, sid)

    def malformed(sid: str, reason: Any = None, *_args: Any) -> Ack:
        return on_malformed_packet(sid, reason)

    server.on("connect", arrive)
    server.on("disconnect", depart)
    server.on("*", unknown)
    server.on(MALFORMED, malformed)
    for name, (schema, fn) in EVENTS.items():
        server.on(name, handler(app, server, schema, fn))
    refuse_star_event(server)
