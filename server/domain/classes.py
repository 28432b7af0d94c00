"""Classes, credentials, joining and the roster: the rules, in plain Python.

Handlers call these functions with a store (`server.store.RedisStore`); nothing here knows
about HTTP or sockets.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from server.domain import clock, limits
from server.domain.common import MAX_CLASS_NAME, MAX_RETENTION_DAYS, MIN_RETENTION_DAYS
from server.domain.errors import Forbidden, InvalidInput, Locked, NameTaken, NotFound
from server.domain.names import clean_display_name, normalise_name
from server.domain.records import (
    GRADE_BANDS,
    ClassRecord,
    GradeBand,
    RosterRecord,
    StudentRecord,
)
from server.roster import RosterEntry, parse_roster_csv
from server.store.redis_store import RedisStore

# No 0/O, 1/I/L: a code read aloud or copied from a projector is typed right the first time.
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 6
# A rejoin code is typed from one device into another: same alphabet, 8 characters (~40 bits),
# one use, and guesses spend the per-address budget of wrong join codes.
REJOIN_CODE_LENGTH = 8
SECRET_BYTES = 24  # 192 bits
GENERIC_CODE_ERROR = "That class code did not work. Check it with your teacher."
NO_SUCH_STUDENT = "No such student in this class."
GENERIC_REJOIN_ERROR = ("That rejoin code did not work. It works only once: make a new one on "
                        "your other device, or ask your teacher for one.")

Role = Literal["teacher", "cohost", "student", "stage"]
STAFF_ROLES = ("teacher", "cohost")


@dataclass(frozen=True)
class Identity:
    """Who is on the other end of a request or socket, as proven by their credential."""

    class_id: str
    role: Role
    student_id: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES


@dataclass(frozen=True)
class NewClass:
    class_id: str
    join_code: str
    teacher_secret: str
    cohost_secret: str
    record: ClassRecord


def hash_secret(secret: str) -> str:
    # Secrets are 192 random bits, so a fast hash is enough: nobody can brute-force the preimage.
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if not ch.isspace() and ch != "-")


def create_class(store: RedisStore, name: str, grade_band: GradeBand, retention_days: int
                 ) -> NewClass:
    name = " ".join(name.split())
    if not name or len(name) > MAX_CLASS_NAME:
        raise InvalidInput(f"A class name needs 1 to {MAX_CLASS_NAME} characters.")
    if grade_band not in GRADE_BANDS:
        raise InvalidInput(f"Grade band must be one of {', '.join(GRADE_BANDS)}.")
    if not MIN_RETENTION_DAYS <= retention_days <= MAX_RETENTION_DAYS:
        raise InvalidInput(f"Retention must be between {MIN_RETENTION_DAYS} and "
                           f"{MAX_RETENTION_DAYS} days.")
    class_id = secrets.token_hex(8)
    teacher_secret, cohost_secret = new_secret(), new_secret()
    record: ClassRecord = {
        "id": class_id, "name": name, "grade_band": grade_band, "locked": False,
        "retention_days": retention_days, "created_at": int(clock.now()), "join_code": "",
    }
    for _ in range(20):  # a clash among 887 million codes is rare; a few tries always do
        code = new_join_code()
        record["join_code"] = code
        if store.create_class(record, code, hash_secret(teacher_secret),
                              hash_secret(cohost_secret)):
            return NewClass(class_id, code, teacher_secret, cohost_secret, record)
    raise RuntimeError("could not find a free join code")


def authenticate(store: RedisStore, token: object, view: object = None) -> Identity | None:
    """The identity a secret or seat token proves, or None. `view='stage'` asks for the stage."""
    if not isinstance(token, str) or not 16 <= len(token) <= 64:
        return None
    cred = store.credential(hash_secret(token))
    if cred is None:
        return None
    role: Role = cred["role"]
    if view == "stage":
        if role not in STAFF_ROLES:
            return None
        role = "stage"
    elif view is not None:
        return None
    return Identity(cred["class_id"], role, cred.get("student_id"))


def require_class(store: RedisStore, class_id: str) -> ClassRecord:
    record = store.get_class(class_id)
    if record is None:
        raise NotFound("This class no longer exists.")
    return record


def join_class(store: RedisStore, code: object, name: object, lang: str | None = None
               ) -> tuple[StudentRecord, str]:
    """Seat a new student; returns (student record, seat token). ``lang`` is the interface
    language they chose (already checked against the shipped list by the schema)."""
    if not isinstance(code, str) or len(code) > 16:
        raise NotFound(GENERIC_CODE_ERROR)
    class_id = store.class_id_for_code(normalise_code(code))
    if class_id is None:
        raise NotFound(GENERIC_CODE_ERROR)
    record = store.get_class(class_id)
    shown, norm = clean_display_name(name, record.get("staff_names", []) if record else [])
    seat_token = new_secret()
    student: StudentRecord = {
        "id": secrets.token_hex(6), "name": shown, "roster_id": None,
        "joined_at": int(clock.now()),
    }
    if lang:
        student["lang"] = lang
    entry = store.roster_entry_by_name(class_id, norm)
    if entry is not None:
        student["roster_id"] = entry["id"]
    outcome = store.add_student(class_id, student, norm, hash_secret(seat_token))
    if outcome == "missing":
        raise NotFound(GENERIC_CODE_ERROR)
    if outcome == "locked":
        raise Locked("This class is locked right now. Ask your teacher to unlock it.")
    if outcome == "name_taken":
        raise NameTaken("Someone in this class already uses that name. Try adding an initial.")
    return student, seat_token


def _rejoin_hash(class_id: str, rejoin_code: str) -> str:
    # Scoped to the class: the same code in two classes is two different credentials.
    return hash_secret(f"rejoin:{class_id}:{normalise_code(rejoin_code)}")


def format_rejoin_code(code: str) -> str:
    """ABCD-EFGH: easier to read out and to type."""
    return f"{code[:4]}-{code[4:]}"


def make_rejoin_code(store: RedisStore, identity: Identity, student_id: str | None) -> str:
    """A one-time code that gives a seat to a new device. A student gets one for their own
    seat; the teacher (owner) for any student ("this is the same student"). Each new code
    replaces the seat's previous one. Only its hash is stored."""
    if identity.role == "student":
        if student_id not in (None, identity.student_id):
            raise Forbidden("You can only make a rejoin code for yourself.")
        target = identity.student_id
    elif identity.role == "teacher":
        if student_id is None:
            raise InvalidInput("Choose the student who needs a rejoin code.")
        target = student_id
    else:
        raise Forbidden("Only the student or the class's teacher can make a rejoin code.")
    assert target is not None
    code = "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(REJOIN_CODE_LENGTH))
    if not store.set_rejoin_code(identity.class_id, target, _rejoin_hash(identity.class_id, code)):
        raise NotFound(NO_SUCH_STUDENT)
    return format_rejoin_code(code)


def rejoin_link(join_url: str, code: str) -> str:
    """The link that opens the join page with a rejoin code filled in. The code travels in the
    fragment: never sent to a server, never in a log."""
    return f"{join_url}#rejoin={code.replace('-', '')}"


def rejoin_class(store: RedisStore, code: object,
                 rejoin_code: object) -> tuple[str, StudentRecord, str, str]:
    """Move a seat to this device with a rejoin code.

    Returns (class id, student, new seat token, old seat hash). The old seat token stops
    working at once and the code is used up, so one person never holds two seats and a code
    seen over a shoulder opens nothing once used."""
    if not isinstance(code, str) or len(code) > 16:
        raise NotFound(GENERIC_CODE_ERROR)
    class_id = store.class_id_for_code(normalise_code(code))
    if class_id is None:
        raise NotFound(GENERIC_CODE_ERROR)
    if not isinstance(rejoin_code, str) or len(normalise_code(rejoin_code)) != REJOIN_CODE_LENGTH:
        raise NotFound(GENERIC_REJOIN_ERROR)
    seat_token = new_secret()
    moved = store.rejoin_seat(class_id, _rejoin_hash(class_id, rejoin_code),
                              hash_secret(seat_token))
    if moved is None:
        raise NotFound(GENERIC_REJOIN_ERROR)
    student, old_hash = moved
    return class_id, student, seat_token, old_hash


def require_teacher(identity: Identity) -> None:
    if identity.role != "teacher":
        raise Forbidden("Only the class's teacher can do that.")


def require_staff(identity: Identity) -> None:
    if not identity.is_staff:
        raise Forbidden("Only the teacher or co-host can do that.")


def set_retention(store: RedisStore, identity: Identity, days: int) -> ClassRecord:
    """How long the class is kept after its last change (teacher only)."""
    require_teacher(identity)
    if not MIN_RETENTION_DAYS <= days <= MAX_RETENTION_DAYS:
        raise InvalidInput(f"The retention period must be {MIN_RETENTION_DAYS} to "
                           f"{MAX_RETENTION_DAYS} days.")
    store.set_retention(identity.class_id, days)
    return require_class(store, identity.class_id)


def set_student_language(store: RedisStore, identity: Identity, lang: str) -> StudentRecord:
    """A student's own interface language, remembered in their seat (the teacher sees it)."""
    if identity.role != "student" or not identity.student_id:
        raise Forbidden("Only a student sets their own language here.")
    student = store.set_student_fields(identity.class_id, identity.student_id, {"lang": lang})
    if student is None:
        raise NotFound(NO_SUCH_STUDENT)
    return student


def set_class_language(store: RedisStore, identity: Identity, lang: str) -> ClassRecord:
    """The teacher's interface language; the stage follows it (teacher only: a co-host's
    choice stays on their own device)."""
    require_teacher(identity)
    store.set_class_fields(identity.class_id, {"lang": lang})
    return require_class(store, identity.class_id)


def set_locked(store: RedisStore, identity: Identity, locked: bool) -> ClassRecord:
    require_teacher(identity)
    store.set_class_fields(identity.class_id, {"locked": locked})
    return require_class(store, identity.class_id)


def _require_student(store: RedisStore, class_id: str, student_id: str, *,
                     removed_ok: bool = False) -> StudentRecord:
    student = store.get_student(class_id, student_id)
    if student is None or (student.get("removed") and not removed_ok):
        raise NotFound(NO_SUCH_STUDENT)
    return student


def remove_student(store: RedisStore, identity: Identity, student_id: str) -> None:
    require_teacher(identity)
    _require_student(store, identity.class_id, student_id)
    store.remove_student(identity.class_id, student_id)


def rename_student(
    store: RedisStore, identity: Identity, student_id: str, name: object
) -> StudentRecord:
    require_teacher(identity)
    student = _require_student(store, identity.class_id, student_id)
    staff_names = require_class(store, identity.class_id).get("staff_names", [])
    shown, norm = clean_display_name(name, staff_names)
    if not store.rename_student(identity.class_id, student_id, shown, norm):
        raise NameTaken("Someone in this class already uses that name.")
    student["name"] = shown
    return student


def link_student(
    store: RedisStore, identity: Identity, student_id: str, roster_id: str | None
) -> StudentRecord:
    require_teacher(identity)
    student = _require_student(store, identity.class_id, student_id)
    if roster_id is not None and store.get_roster_entry(identity.class_id, roster_id) is None:
        raise NotFound("No such roster entry.")
    student["roster_id"] = roster_id
    store.put_student(identity.class_id, student)
    return student


def import_roster(store: RedisStore, identity: Identity, csv_text: str) -> int:
    """Replace the roster; link joined students whose names match a roster name."""
    require_teacher(identity)
    try:
        entries: list[RosterEntry] = parse_roster_csv(csv_text)
    except ValueError as exc:
        reason = str(exc).rstrip(".")
        raise InvalidInput("The roster was not imported (nothing changed). "
                           f"{reason[:1].upper()}{reason[1:]}.") from None
    records: list[RosterRecord] = [
        {"id": f"r{i + 1}", "name": e.name, "email": e.email, "tags": list(e.tags)}
        for i, e in enumerate(entries)
    ]
    store.replace_roster(identity.class_id, records, [normalise_name(e.name) for e in entries])
    by_norm = {normalise_name(r["name"]): r["id"] for r in records}
    for student in store.list_students(identity.class_id):
        roster_id = by_norm.get(normalise_name(student["name"]))
        if roster_id and student.get("roster_id") != roster_id:
            student["roster_id"] = roster_id
            store.put_student(identity.class_id, student)
    return len(records)


def rotate_secret(store: RedisStore, identity: Identity, role: str) -> tuple[str, str | None]:
    """A new teacher or co-host secret; returns (secret, hash of the one it replaced)."""
    require_teacher(identity)
    if role not in STAFF_ROLES:
        raise InvalidInput("Only the teacher and co-host links can be rotated.")
    secret = new_secret()
    old = store.replace_secret(identity.class_id, role, hash_secret(secret))
    return secret, old


def revoke_cohost(store: RedisStore, identity: Identity) -> str | None:
    """Turn the co-host link off; returns the hash of the revoked secret."""
    require_teacher(identity)
    return store.replace_secret(identity.class_id, "cohost", None)


def delete_class(store: RedisStore, identity: Identity) -> None:
    require_teacher(identity)
    store.delete_class(identity.class_id, limits.class_buckets(identity.class_id))


def forget_student(store: RedisStore, identity: Identity, student_id: str,
                   rate_actions: Iterable[str] = ()) -> None:
    """Delete a student and all their data, on request (journey 8), with the rate-limit
    buckets their seat has for `rate_actions`."""
    require_teacher(identity)
    _require_student(store, identity.class_id, student_id, removed_ok=True)
    store.forget_student(identity.class_id, student_id, rate_actions)
