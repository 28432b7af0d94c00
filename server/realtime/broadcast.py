"""Emits that follow a change, shared by HTTP and socket handlers and the scheduler.

Which rooms get which event, and in what order when one change causes several, is decided
here, in one place; what each audience may see of it is `server.domain.projections`. Private
content goes only to the teacher's room and the one student's room. Every event of a class
goes out through `server.realtime.coalesce`, which sends bursts of card and count events as
one `batch` per audience, in order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, has_request_context, request

from server.context import services
from server.domain import projections, rounds
from server.domain.records import (
    CardRecord,
    ReplyRecord,
    RotationMessage,
    RotationRecord,
    RoundRecord,
    StudentRecord,
)
from server.domain.runtime import now_ms
from server.extensions import socketio
from server.realtime import rooms, senders
from server.realtime.coalesce import Deliveries

_DIRECT = Deliveries()  # no app (or in process tests): every event at once


def _out() -> Deliveries:
    """Where a class's events go: through the app's coalescing (server.realtime.coalesce)."""
    found: Deliveries = current_app.extensions.get("rapport.deliveries", _DIRECT)
    return found


def _to_staff(event: str, class_id: str, payload: Callable[[str], dict[str, Any]]) -> None:
    """Emit to the teacher and the co-host, each the payload their role may see."""
    _out().emit(event, payload("teacher"), to=rooms.teacher(class_id))
    _out().emit(event, payload("cohost"), to=rooms.cohost(class_id))


def student_joined(class_id: str, student: StudentRecord) -> None:
    store = services().store
    _to_staff("student.joined", class_id, lambda role: {"student": projections.staff_student(
        store, class_id, student, online=False, role=role)})


def student_updated(class_id: str, student: StudentRecord) -> None:
    store = services().store
    online = student["id"] in store.online_students(class_id)
    _to_staff("student.updated", class_id, lambda role: {"student": projections.staff_student(
        store, class_id, student, online=online, role=role)})
    _out().emit("student.updated", {"student": projections.self_student(student)},
                  to=rooms.student(class_id, student["id"]))


def student_removed(class_id: str, student_id: str) -> None:
    _out().emit("student.removed", {"student_id": student_id}, to=rooms.staff(class_id))
    _out().emit("removed", {"message": "Your teacher removed you from this class."},
                  to=rooms.student(class_id, student_id))
    _revoked(rooms.student(class_id, student_id))


def student_forgotten(class_id: str, student_id: str) -> None:
    """A student's data was deleted: gone from every screen, their sockets closed."""
    _out().emit("student.removed", {"student_id": student_id}, to=rooms.staff(class_id))
    _out().emit("resync", {}, to=rooms.everyone(class_id))
    _revoked(rooms.student(class_id, student_id))


def seat_moved(class_id: str, old_seat_hash: str) -> None:
    """A seat went to another device with a rejoin code: the old device is told and closed."""
    sids = services().store.sockets_of(class_id, cred_hash=old_seat_hash)
    for sid in sids:
        socketio.emit("seat.moved", {"message": "You opened this class on another device, so "
                                                "this one has left it."}, to=sid)
    _revoked(rooms.credential(class_id, old_seat_hash))


def presence(class_id: str, student_id: str, online: bool) -> None:
    _out().emit("presence", {"student_id": student_id, "online": online},
                  to=rooms.staff(class_id))


def class_updated(class_id: str, host_url: str | None = None) -> None:
    """Each audience gets the class as its role may see it. Links are made with `host_url`
    when PUBLIC_URL is unset (the HTTP request's own URL when not given)."""
    store = services().store
    record = store.get_class(class_id)
    if record is None:
        return
    if host_url is None:
        host_url = request.host_url if has_request_context() else ""
    # The teacher's view is the co-host's too: both are in the staff room.
    staff_view = projections.class_for(services(), record, "teacher", host_url)
    _out().emit("class.updated", {"class": staff_view}, to=rooms.staff(class_id))
    public = projections.class_for(services(), record, "student", host_url)
    _out().emit("class.updated", {"class": public}, to=rooms.students(class_id))
    stage_view = projections.class_for(services(), record, "stage", host_url)
    _out().emit("class.updated", {"class": stage_view}, to=rooms.stage(class_id))


def roster_changed(class_id: str) -> None:
    """A roster import re-links students: staff re-sync from a fresh snapshot."""
    _out().emit("resync", {}, to=rooms.staff(class_id))


def sockets_replaced(sids: list[str]) -> None:
    """Sockets beyond a seat's (or an address's) cap: told why, then closed, oldest first."""
    payload = {"reason": "too_many_connections",
               "message": "This class was opened on another screen, so this one was closed. "
                          "Reload the page to use it here instead."}
    for sid in sids:
        # A socket of this process is closed at once, so tell it directly (the queue would
        # deliver after the close); another process's gets message and close in queue order.
        here = socketio.server.manager.is_connected(sid, "/")
        socketio.emit("closed", payload, to=sid, ignore_queue=here)
    _disconnect(sids)


def _disconnect(sids: list[str]) -> None:
    # With a message queue this reaches sockets held by other processes too.
    for sid in sids:
        socketio.server.disconnect(sid, namespace="/")


def _revoked(room: str) -> None:
    """A credential stopped working: close the room's sockets at once, on every process (after
    the emits above, in order). Sockets keep their sender in process memory, so this is what
    stops them (server/realtime/senders.py)."""
    senders.disconnect_room(socketio.server, room)


def credential_revoked(class_id: str, cred_hash: str | None) -> None:
    """A rotated or revoked link: every socket opened with it is closed, on any process."""
    if cred_hash:
        _revoked(rooms.credential(class_id, cred_hash))


def class_deleted(class_id: str) -> None:
    _out().emit("class.deleted", {}, to=rooms.everyone(class_id))
    _revoked(rooms.everyone(class_id))


# ---- rounds ----------------------------------------------------------------------------------

def _audience_rooms(class_id: str, card: CardRecord) -> dict[str, str]:
    # Order matters: "students" includes the author, who then gets their own view last.
    return {
        "students": rooms.students(class_id),
        "author": rooms.student(class_id, card["student_id"]),
        "cohost": rooms.cohost(class_id),
        "teacher": rooms.teacher(class_id),
    }


def staff_round(class_id: str, record: RoundRecord, role: str) -> dict[str, Any] | None:
    store = services().store
    return projections.round_view(
        record, staff=True, answered=projections.answered_as(store, class_id, record["id"], role),
        student_count=len(store.list_students(class_id)), server_time=now_ms())


def round_updated(class_id: str, record: RoundRecord) -> None:
    _to_staff("round.updated", class_id,
              lambda role: {"round": staff_round(class_id, record, role)})
    public = projections.round_view(record, staff=False, server_time=now_ms())
    _out().emit("round.updated", {"round": public}, to=rooms.students(class_id))
    store = services().store
    stage = projections.round_view(record, staff=False, server_time=now_ms(),
                             answered=store.answered(class_id, record["id"]),
                             student_count=len(store.list_students(class_id)))
    _out().emit("round.updated", {"round": stage}, to=rooms.stage(class_id))


def card_changed(class_id: str, before: CardRecord | None,
                 after: CardRecord | None) -> None:
    """Tell every audience what it may now see of a card: added, updated or removed."""
    card = after or before
    assert card is not None
    # A card that did not exist before has no reactions yet: no need to ask the store.
    counts = services().store.reaction_counts(class_id, card["round_id"], [card["id"]]) \
        if before is not None else {}
    seen_by_students: tuple[Any, Any] | None = None
    for audience, room in _audience_rooms(class_id, card).items():
        old = projections.card_view(audience, before)
        new = projections.card_view(audience, after, counts.get(card["id"]))
        if audience == "students":
            seen_by_students = (old, new)
        elif audience == "author" and seen_by_students == (old, new):
            continue  # the author is in the students room and already got this very event
        if new is not None:
            _out().emit("card.added" if old is None else "card.updated", {"card": new},
                          to=room)
        elif old is not None:
            _out().emit("card.removed", {"card_id": card["id"]}, to=room)


def round_started(class_id: str, record: RoundRecord) -> None:
    """A new round: the last round's spotlight leaves every screen first."""
    spotlight(class_id, None)
    round_updated(class_id, record)


def card_posted(class_id: str, card: CardRecord) -> None:
    card_changed(class_id, None, card)
    answered(class_id, card["round_id"])


def card_edited(class_id: str, before: CardRecord, after: CardRecord) -> None:
    card_changed(class_id, before, after)
    if projections.answered_changed(before, after):
        answered(class_id, after["round_id"])


def card_withdrawn(class_id: str, card: CardRecord, *, spotlit: bool = False) -> None:
    """The card gone, the new count, then (when it was spotlit) an emptied spotlight: the
    stage and every student would otherwise keep showing a card its author took back."""
    card_changed(class_id, card, None)
    answered(class_id, card["round_id"])
    if spotlit:
        spotlight(class_id, None)


def card_moderated(class_id: str, before: CardRecord, after: CardRecord) -> None:
    """Hidden, approved or starred: the card first, then an emptied spotlight."""
    card_changed(class_id, before, after)
    if rounds.spotlight_gone(services().store, class_id, before, after):
        spotlight(class_id, None)


def answered(class_id: str, round_id: str) -> None:
    store = services().store.reading_round(class_id, round_id)  # one round trip
    ids = store.answered(class_id, round_id)
    students = len(store.list_students(class_id))

    def answered_for(role: str) -> dict[str, Any]:
        seen = ids if role == "teacher" else \
            projections.answered_as(store, class_id, round_id, role)
        return {"answered": seen, "count": len(seen), "student_count": students}

    _to_staff("answered", class_id, answered_for)
    _out().emit("answered", {"count": len(ids), "student_count": students},
                  to=rooms.stage(class_id))


def spotlight(class_id: str, card: CardRecord | None,
              counts: dict[str, int] | None = None) -> None:
    """`counts`: the card's reaction counts when the caller has them already."""
    if card is not None and counts is None:
        counts = services().store.reaction_counts(
            class_id, card["round_id"], [card["id"]]).get(card["id"])
    view = projections.card_view("stage", card, counts if card else None)
    _out().emit("spotlight", {"card": view}, to=rooms.everyone(class_id))


def reply(class_id: str, message: ReplyRecord, card: CardRecord) -> None:
    """Private: to the thread's audiences (projections.THREAD_AUDIENCES), the teacher's sockets
    and the card author's, nobody else."""
    _out().emit("reply", {"reply": message},
                  to=[rooms.teacher(class_id), rooms.student(class_id, card["student_id"])])


def reactions(class_id: str, card: CardRecord, counts: dict[str, int]) -> None:
    payload = {"card_id": card["id"], "counts": counts}
    if projections.reactions_public(card):
        _out().emit("reactions", payload, to=rooms.everyone(class_id))
    else:
        _out().emit("reactions", payload,
                      to=[rooms.teacher(class_id), rooms.student(class_id, card["student_id"])])



# ---- rotations -------------------------------------------------------------------------------

def rotation_updated(class_id: str, record: RotationRecord) -> None:
    """A new plan: everyone gets it whole."""
    rotation_changed(class_id, None, record)


def rotation_changed(class_id: str, before: RotationRecord | None,
                     after: RotationRecord) -> None:
    """Staff get what changed in the plan (`rotation.changed`, from revision `base` to `rev`),
    or the whole plan when it is a new one; the stage every room, each student only their own
    room, unless all they would learn is again that a draft exists."""
    store = services().store
    names = {s["id"]: s["name"] for s in store.list_students(class_id)}
    now = now_ms()
    changes = projections.rotation_changes(before, after, names)
    if changes is None:
        _out().emit("rotation.updated",
                      {"rotation": projections.rotation_for_staff(after, names, now)},
                      to=rooms.staff(class_id))
    else:
        fields, changed_rooms, starters = changes
        _out().emit("rotation.changed",
                      {"id": after["id"], "base": before.get("rev", 0) if before else 0,
                       "rev": after.get("rev", 0), "server_time": now, "set": fields,
                       "rotations": changed_rooms, "starters": starters},
                      to=rooms.staff(class_id))
    if before is not None and before["id"] == after["id"] and \
            before["status"] == after["status"] == "draft":
        return  # a draft adjusted: the stage and the students see only that there is a draft
    _out().emit("rotation.updated",
                  {"rotation": projections.rotation_for_stage(after, names, now)},
                  to=rooms.stage(class_id))
    for student_id in names:
        _out().emit("rotation.updated",
                      {"rotation": projections.rotation_for_student(after, student_id, names,
                                                                    now)},
                      to=rooms.student(class_id, student_id))


def rotation_message(class_id: str, message: RotationMessage) -> None:
    _out().emit("rotation.message", {"message": message}, to=rooms.everyone(class_id))
