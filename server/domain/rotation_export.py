"""A rotation taken out of Rapport: a plain list, a printable page, or Zoom's breakout-room
pre-assignment (made of students' e-mail addresses, so the teacher's only)."""

from __future__ import annotations

from datetime import datetime, tzinfo

from server.domain.classes import Identity
from server.domain.errors import Forbidden, InvalidInput
from server.domain.projections import sitting_out
from server.domain.records import RotationRecord
from server.store.redis_store import RedisStore


def rotation_times(record: RotationRecord, number: int, where: tzinfo) -> str:
    """When rotation `number` (1-based) runs, for a printed list: clock times once the
    rotations have started (from the current rotation's deadline), else minutes from the start."""
    minutes = record["settings"]["minutes"]
    span = minutes * 60_000
    current, deadline = record.get("current", -1), record.get("deadline")
    if record.get("status") == "running" and deadline and current >= 0:
        begins = deadline - span * (current - (number - 1) + 1)
        start = datetime.fromtimestamp(begins / 1000, where)
        end = datetime.fromtimestamp((begins + span) / 1000, where)
        return f"{start:%H:%M} to {end:%H:%M} ({minutes} minutes)"
    first = (number - 1) * minutes
    return f"minute {first} to {first + minutes} after the rotations start ({minutes} minutes)"


def export_rows(record: RotationRecord, number: int, names: dict[str, str]
                ) -> list[tuple[str, str]]:
    """(room name, student id) for rotation `number` (1-based)."""
    if not 1 <= number <= len(record["rotations"]):
        raise InvalidInput("No such rotation.")
    return [(f"Room {i + 1}", sid) for i, room in enumerate(record["rotations"][number - 1])
            for sid in room]


SITTING_OUT = "Main room (sitting out)"


def sitting_out_rows(record: RotationRecord, number: int) -> list[tuple[str, str]]:
    """(SITTING_OUT, student id) for the students who sit out rotation `number` (1-based)
    when the rooms are capped: the plain list and the printed page name them, Zoom does not
    (they stay in the main session)."""
    return [(SITTING_OUT, sid) for sid in sitting_out(record)[number - 1]]


def require_email_access(identity: Identity) -> None:
    """The Zoom pre-assign export is made of students' e-mail addresses: the teacher's only."""
    if identity.role != "teacher":
        raise Forbidden("Only the teacher can export for Zoom: it lists students' e-mail "
                        "addresses. Use the CSV or the printable list.")


def zoom_assignments(store: RedisStore, identity: Identity, rows: list[tuple[str, str]],
                     names: dict[str, str]) -> tuple[list[tuple[str, str]], list[dict[str, str]]]:
    """For the (room, student id) `rows` of a rotation: (room, e-mail) for every student Zoom
    can pre-assign (their roster entry has an e-mail), and the others, to be moved by hand."""
    require_email_access(identity)
    roster = {e["id"]: e for e in store.list_roster(identity.class_id)}
    students = {s["id"]: s for s in store.list_students(identity.class_id)}
    entries = {sid: roster.get(s.get("roster_id") or "") for sid, s in students.items()}
    emails = {sid: entry.get("email") if entry else None for sid, entry in entries.items()}
    assigned: list[tuple[str, str]] = []
    by_hand: list[dict[str, str]] = []
    for room, sid in rows:
        email = emails.get(sid)
        if email:
            assigned.append((room, str(email)))
        else:
            by_hand.append({"student": names[sid], "room": room})
    return assigned, by_hand


def zoom_csv_rows(assigned: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The rows of Zoom's pre-assign CSV; refused when there is nobody to pre-assign."""
    if not assigned:
        raise InvalidInput("No student in this rotation has an e-mail address, so Zoom has "
                           "nothing to pre-assign. Import a roster with e-mails, or use "
                           "the printable list.")
    return assigned
