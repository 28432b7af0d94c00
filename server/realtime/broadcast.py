"""Emits that follow a change, shared by HTTP and socket handlers.

Who receives what is decided here, in one place: private content goes only to the teacher's
room and the one student's room.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request

from server.context import services
from server.domain import views
from server.extensions import socketio
from server.realtime import rooms


def student_joined(class_id: str, student: dict[str, Any]) -> None:
    view = views.staff_student(services().store, class_id, student, online=False)
    socketio.emit("student.joined", {"student": view}, to=rooms.staff(class_id))


def student_updated(class_id: str, student: dict[str, Any]) -> None:
    store = services().store
    online = student["id"] in store.online_students(class_id)
    socketio.emit("student.updated",
                  {"student": views.staff_student(store, class_id, student, online=online)},
                  to=rooms.staff(class_id))
    socketio.emit("student.updated", {"student": views.self_student(student)},
                  to=rooms.student(class_id, student["id"]))


def student_removed(class_id: str, student_id: str) -> None:
    socketio.emit("student.removed", {"student_id": student_id}, to=rooms.staff(class_id))
    socketio.emit("removed", {"message": "Your teacher removed you from this class."},
                  to=rooms.student(class_id, student_id))
    socketio.close_room(rooms.student(class_id, student_id))


def presence(class_id: str, student_id: str, online: bool) -> None:
    socketio.emit("presence", {"student_id": student_id, "online": online},
                  to=rooms.staff(class_id))


def class_updated(class_id: str) -> None:
    """Each audience gets the class as its role may see it."""
    store = services().store
    record = store.get_class(class_id)
    if record is None:
        return
    staff_view = views.class_view(services(), record, for_staff=True,
                                  host_url=request.host_url if has_request_context() else "")
    socketio.emit("class.updated", {"class": staff_view}, to=rooms.staff(class_id))
    public = views.class_view(services(), record, for_staff=False)
    for room in (rooms.students(class_id), rooms.stage(class_id)):
        socketio.emit("class.updated", {"class": public}, to=room)


def roster_changed(class_id: str) -> None:
    """A roster import re-links students: staff re-sync from a fresh snapshot."""
    socketio.emit("resync", {}, to=rooms.staff(class_id))


def credentials_changed(class_id: str) -> None:
    """A rotated or revoked link: sockets still using it will fail their next check."""
    socketio.emit("resync", {}, to=rooms.staff(class_id))
    socketio.emit("resync", {}, to=rooms.stage(class_id))


def class_deleted(class_id: str) -> None:
    socketio.emit("class.deleted", {}, to=rooms.everyone(class_id))
    socketio.close_room(rooms.everyone(class_id))
