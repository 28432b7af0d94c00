"""Students (seats, names, rejoin codes) and the class roster."""

from __future__ import annotations

import json
from typing import cast

from server.domain.records import RosterRecord, StudentRecord, StudentUpdate
from server.store.base import StoreBase, dumps
from server.store.client import Pipeline
from server.store.keys import (
    class_key,
    cred_key,
    names_key,
    rejoin_key,
    roster_key,
    roster_names_key,
    students_key,
)


class StudentsRepo(StoreBase):
    def add_student(self, class_id: str, student: StudentRecord, norm: str,
                    seat_hash: str) -> str:
        """Seat a student atomically: 'ok', 'missing', 'locked' or 'name_taken'."""
        keys = [class_key(class_id), names_key(class_id)]

        def body(pipe: Pipeline) -> str:
            record = self._class_record(class_id, pipe)
            if record is None:
                return "missing"
            if record.get("locked"):
                return "locked"
            if pipe.hexists(names_key(class_id), norm):
                return "name_taken"
            stored = {**student, "norm": norm, "seat_hash": seat_hash}
            pipe.multi()
            pipe.hset(names_key(class_id), norm, student["id"])
            pipe.hset(students_key(class_id), student["id"], dumps(stored))
            pipe.set(cred_key(seat_hash), dumps(
                {"class_id": class_id, "role": "student", "student_id": student["id"]}
            ), ex=self._ttl(class_id))
            self._refresh(pipe, class_id)
            pipe.execute()
            return "ok"

        return self._watched(keys, body)

    def get_student(self, class_id: str, student_id: str) -> StudentRecord | None:
        raw = self.r.hget(students_key(class_id), student_id)
        return json.loads(raw) if raw else None

    def list_students(self, class_id: str, *, include_removed: bool = False
                      ) -> list[StudentRecord]:
        students: list[StudentRecord] = [json.loads(v)
                                         for v in self.r.hvals(students_key(class_id))]
        if not include_removed:
            students = [s for s in students if not s.get("removed")]
        return sorted(students, key=lambda s: (s["joined_at"], s["id"]))

    def put_student(self, class_id: str, student: StudentRecord) -> None:
        pipe = self.r.pipeline()
        pipe.hset(students_key(class_id), student["id"], dumps(student))
        self._refresh(pipe, class_id)
        pipe.execute()

    def set_student_fields(self, class_id: str, student_id: str, fields: StudentUpdate
                           ) -> StudentRecord | None:
        """Change fields of a seated student's record (e.g. their language); None when the
        student is gone or removed."""

        def body(pipe: Pipeline) -> StudentRecord | None:
            raw = pipe.hget(students_key(class_id), student_id)
            if raw is None:
                return None
            student: StudentRecord = json.loads(raw)
            if student.get("removed"):
                return None
            student = cast(StudentRecord, {**student, **fields})
            pipe.multi()
            pipe.hset(students_key(class_id), student_id, dumps(student))
            self._refresh(pipe, class_id)
            pipe.execute()
            return student

        return self._watched([students_key(class_id)], body)

    def rename_student(self, class_id: str, student_id: str, shown: str, norm: str) -> bool:
        """Rename unless another student has that name; frees the old name."""

        def body(pipe: Pipeline) -> bool:
            raw = pipe.hget(students_key(class_id), student_id)
            if raw is None:
                return False
            student = json.loads(raw)
            holder = pipe.hget(names_key(class_id), norm)
            if holder not in (None, student_id) or student.get("removed"):
                return False
            pipe.multi()
            pipe.hdel(names_key(class_id), student["norm"])
            pipe.hset(names_key(class_id), norm, student_id)
            student.update(name=shown, norm=norm)
            pipe.hset(students_key(class_id), student_id, dumps(student))
            self._refresh(pipe, class_id)
            pipe.execute()
            return True

        return self._watched([students_key(class_id), names_key(class_id)], body)

    def remove_student(self, class_id: str, student_id: str) -> None:
        """Take a student out of the class: their seat token stops working at once."""

        def body(pipe: Pipeline) -> None:
            raw = pipe.hget(students_key(class_id), student_id)
            if raw is None:
                return
            student = json.loads(raw)
            pipe.multi()
            pipe.delete(cred_key(student["seat_hash"]))
            pipe.hdel(names_key(class_id), student["norm"])
            if student.get("rejoin_hash"):
                pipe.hdel(rejoin_key(class_id), student["rejoin_hash"])
            student.pop("rejoin_hash", None)
            # Kept (marked) until the teacher deletes their data: their cards still exist.
            pipe.hset(students_key(class_id), student_id, dumps({**student, "removed": True}))
            pipe.execute()

        self._watched([students_key(class_id)], body)

    def set_rejoin_code(self, class_id: str, student_id: str, code_hash: str) -> bool:
        """Give a seat a new rejoin code (replacing its previous one); False if no such seat."""

        def body(pipe: Pipeline) -> bool:
            raw = pipe.hget(students_key(class_id), student_id)
            student = json.loads(raw) if raw else None
            if student is None or student.get("removed"):
                return False
            pipe.multi()
            if student.get("rejoin_hash"):
                pipe.hdel(rejoin_key(class_id), student["rejoin_hash"])
            pipe.hset(rejoin_key(class_id), code_hash, student_id)
            student["rejoin_hash"] = code_hash
            pipe.hset(students_key(class_id), student_id, dumps(student))
            self._refresh(pipe, class_id)
            pipe.execute()
            return True

        return self._watched([students_key(class_id), rejoin_key(class_id)], body)

    def rejoin_seat(self, class_id: str, code_hash: str,
                    new_seat_hash: str) -> tuple[StudentRecord, str] | None:
        """Use a rejoin code once: the seat gets a new seat token and the old one stops
        working. Returns (student, old seat hash), or None when the code is not valid."""

        def body(pipe: Pipeline) -> tuple[StudentRecord, str] | None:
            student_id = pipe.hget(rejoin_key(class_id), code_hash)
            raw = pipe.hget(students_key(class_id), student_id) if student_id else None
            student: StudentRecord | None = json.loads(raw) if raw else None
            if (student is None or student.get("removed")
                    or student.get("rejoin_hash") != code_hash):
                return None
            old = student["seat_hash"]
            student["seat_hash"] = new_seat_hash
            student.pop("rejoin_hash")
            pipe.multi()
            pipe.hdel(rejoin_key(class_id), code_hash)
            pipe.delete(cred_key(old))
            pipe.set(cred_key(new_seat_hash), dumps(
                {"class_id": class_id, "role": "student", "student_id": student["id"]}
            ), ex=self._ttl(class_id))
            pipe.hset(students_key(class_id), student["id"], dumps(student))
            self._refresh(pipe, class_id)
            pipe.execute()
            return student, old

        return self._watched([students_key(class_id), rejoin_key(class_id)], body)

    # ---- roster ------------------------------------------------------------------------------

    def replace_roster(self, class_id: str, entries: list[RosterRecord],
                       norms: list[str]) -> None:
        pipe = self.r.pipeline()
        pipe.delete(roster_key(class_id), roster_names_key(class_id))
        if entries:
            pipe.hset(roster_key(class_id), mapping={e["id"]: dumps(e) for e in entries})
            pipe.hset(roster_names_key(class_id),
                      mapping={n: e["id"] for n, e in zip(norms, entries, strict=True)})
        self._refresh(pipe, class_id)
        pipe.execute()

    def list_roster(self, class_id: str) -> list[RosterRecord]:
        entries: list[RosterRecord] = [json.loads(v) for v in self.r.hvals(roster_key(class_id))]
        return sorted(entries, key=lambda e: int(e["id"][1:]))

    def get_roster_entry(self, class_id: str, roster_id: str) -> RosterRecord | None:
        raw = self.r.hget(roster_key(class_id), roster_id)
        return json.loads(raw) if raw else None

    def roster_entry_by_name(self, class_id: str, norm: str) -> RosterRecord | None:
        roster_id = self.r.hget(roster_names_key(class_id), norm)
        return self.get_roster_entry(class_id, roster_id) if roster_id else None
