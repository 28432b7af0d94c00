"""Socket.IO room names: one per class, per role group and per student, and which of them a
socket joins (`of`). What each room is sent is `server.realtime.broadcast`."""

from __future__ import annotations

from server.domain.classes import Identity


def everyone(class_id: str) -> str:
    return f"c:{class_id}"


def staff(class_id: str) -> str:
    return f"c:{class_id}:staff"


def teacher(class_id: str) -> str:
    return f"c:{class_id}:teacher"


def students(class_id: str) -> str:
    return f"c:{class_id}:students"


def stage(class_id: str) -> str:
    return f"c:{class_id}:stage"


def student(class_id: str, student_id: str) -> str:
    return f"c:{class_id}:s:{student_id}"


def cohost(class_id: str) -> str:
    return f"c:{class_id}:cohost"


def of(identity: Identity) -> list[str]:
    """The rooms a socket of `identity` joins: the class; staff the staff room and their own
    role's; the stage its room; a student the students' room and their own."""
    class_id = identity.class_id
    if identity.is_staff:
        return [everyone(class_id), staff(class_id),
                teacher(class_id) if identity.role == "teacher" else cohost(class_id)]
    if identity.role == "stage":
        return [everyone(class_id), stage(class_id)]
    assert identity.student_id
    return [everyone(class_id), students(class_id), student(class_id, identity.student_id)]


def credential(class_id: str, cred_hash: str) -> str:
    """Every socket opened with one credential (a seat, or a teacher or co-host link): what a
    rotated or revoked link, or a seat moved to another device, closes."""
    return f"c:{class_id}:k:{cred_hash}"
