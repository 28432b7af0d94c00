"""Socket.IO handlers: authenticate on connect, then validate, call the domain, emit.

Every client event goes through `handler()`, which checks the sender's credential is still
valid (a removed student or a rotated link stops working at once), validates the payload
against its schema and turns refusals into the one error ack shape.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import redis
from flask import request, session
from flask_socketio import SocketIO, disconnect, emit, join_room
from pydantic import BaseModel

from server.context import services
from server.domain import classes, views
from server.domain.classes import Identity
from server.domain.errors import DomainError, Forbidden
from server.realtime import broadcast, rooms
from server.schemas import LinkStudent, LockClass, RenameStudent, StudentRef, parse

log = logging.getLogger(__name__)
Ack = dict[str, Any]
Handler = Callable[[Identity, Any], Ack]


def _error(code: str, message: str) -> Ack:
    return {"ok": False, "error": {"code": code, "message": message}}


def current_identity() -> Identity:
    """The sender's identity, re-checked against the store on every event."""
    identity: Identity | None = session.get("identity")
    token_hash = session.get("token_hash")
    if identity is None or token_hash is None:
        raise Forbidden("Not signed in.")
    if services().store.credential(token_hash) is None:
        disconnect()
        raise Forbidden("This link or seat is not valid any more.")
    return identity


def handler(schema: type[BaseModel] | None, fn: Callable[[Identity, Any], Ack]
            ) -> Callable[..., Ack]:
    def run(data: Any = None) -> Ack:
        try:
            identity = current_identity()
            payload = parse(schema, data) if schema is not None else None
            result = fn(identity, payload)
            return {"ok": True, **result}
        except DomainError as exc:
            return {"ok": False, "error": exc.to_dict()}
        except redis.RedisError:
            log.warning("store unavailable during %s", fn.__name__)
            return _error("unavailable", "The server cannot reach its store. Try again shortly.")

    run.__name__ = fn.__name__
    return run


# ---- connection ------------------------------------------------------------------------------

def on_connect(auth: Any = None) -> bool:
    svc = services()
    token = auth.get("token") if isinstance(auth, dict) else None
    view = auth.get("view") if isinstance(auth, dict) else None
    try:
        identity = classes.authenticate(svc.store, token, view)
    except redis.RedisError:
        return False
    if identity is None:
        return False
    snap = views.snapshot(svc, identity, request.host_url)
    if snap is None:
        return False
    session["identity"] = identity
    session["token_hash"] = classes.hash_secret(token)  # type: ignore[arg-type]
    class_id = identity.class_id
    join_room(rooms.everyone(class_id))
    if identity.is_staff:
        join_room(rooms.staff(class_id))
        if identity.role == "teacher":
            join_room(rooms.teacher(class_id))
    elif identity.role == "stage":
        join_room(rooms.stage(class_id))
    else:
        assert identity.student_id
        join_room(rooms.students(class_id))
        join_room(rooms.student(class_id, identity.student_id))
        if svc.store.socket_opened(class_id, identity.student_id) == 1:
            broadcast.presence(class_id, identity.student_id, True)
            snap["you"]["online"] = True
    emit("snapshot", snap)
    return True


def on_disconnect(*_args: Any) -> None:
    identity: Identity | None = session.get("identity")
    if identity is None or identity.role != "student" or identity.student_id is None:
        return
    try:
        if services().store.socket_closed(identity.class_id, identity.student_id) == 0:
            broadcast.presence(identity.class_id, identity.student_id, False)
    except redis.RedisError:
        log.warning("store unavailable while recording a disconnect")


# ---- class management ------------------------------------------------------------------------

def lock_class(identity: Identity, body: LockClass) -> Ack:
    record = classes.set_locked(services().store, identity, body.locked)
    broadcast.class_updated(identity.class_id)
    return {"class": {k: record[k] for k in ("id", "name", "grade_band", "locked")}}


def remove_student(identity: Identity, body: StudentRef) -> Ack:
    classes.remove_student(services().store, identity, body.student_id)
    broadcast.student_removed(identity.class_id, body.student_id)
    return {}


def rename_student(identity: Identity, body: RenameStudent) -> Ack:
    student = classes.rename_student(services().store, identity, body.student_id, body.name)
    broadcast.student_updated(identity.class_id, student)
    return {"student": views.self_student(student)}


def link_student(identity: Identity, body: LinkStudent) -> Ack:
    student = classes.link_student(services().store, identity, body.student_id, body.roster_id)
    broadcast.student_updated(identity.class_id, student)
    return {"student": views.self_student(student)}


EVENTS: dict[str, tuple[type[BaseModel] | None, Callable[[Identity, Any], Ack]]] = {
    "class.lock": (LockClass, lock_class),
    "student.remove": (StudentRef, remove_student),
    "student.rename": (RenameStudent, rename_student),
    "student.link": (LinkStudent, link_student),
}


def on_unknown_event(event: str, *_args: Any) -> Ack:
    return _error("invalid", f"Unknown event {event[:40]!r}.")


def register(socketio: SocketIO) -> None:
    socketio.on_event("connect", on_connect)
    socketio.on_event("disconnect", on_disconnect)
    socketio.on_event("*", on_unknown_event)
    for name, (schema, fn) in EVENTS.items():
        socketio.on_event(name, handler(schema, fn))
