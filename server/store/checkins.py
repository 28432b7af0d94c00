"""One-on-one check-ins, the teacher's private notes and the spotlight history (the
connection record)."""

from __future__ import annotations

import json

from server.domain.records import CheckinMeeting, CheckinPlanRecord, Note, SpotlightEntry
from server.store.base import StoreBase, dumps
from server.store.keys import checkin_log_key, checkin_plan_key, notes_key, spotlights_key


class CheckinsRepo(StoreBase):
    def add_spotlight(self, class_id: str, entry: SpotlightEntry) -> None:
        pipe = self.r.pipeline()
        pipe.rpush(spotlights_key(class_id), dumps(entry))
        pipe.ltrim(spotlights_key(class_id), -5000, -1)
        self._refresh(pipe, class_id)
        pipe.execute()

    def spotlights(self, class_id: str) -> list[SpotlightEntry]:
        return [json.loads(v) for v in self.r.lrange(spotlights_key(class_id), 0, -1)]

    def get_notes(self, class_id: str) -> dict[str, Note]:
        return {k: json.loads(v) for k, v in self.r.hgetall(notes_key(class_id)).items()}

    def set_note(self, class_id: str, student_id: str, note: Note | None) -> None:
        pipe = self.r.pipeline()
        if note is None:
            pipe.hdel(notes_key(class_id), student_id)
        else:
            pipe.hset(notes_key(class_id), student_id, dumps(note))
        self._refresh(pipe, class_id)
        pipe.execute()

    # ---- check-ins ---------------------------------------------------------------------------

    def get_checkin_plan(self, class_id: str) -> CheckinPlanRecord | None:
        raw = self.r.get(checkin_plan_key(class_id))
        return json.loads(raw) if raw else None

    def put_checkin_plan(self, class_id: str, plan: CheckinPlanRecord) -> None:
        pipe = self.r.pipeline()
        pipe.set(checkin_plan_key(class_id), dumps(plan))
        self._refresh(pipe, class_id)
        pipe.execute()

    def checkin_log(self, class_id: str) -> list[CheckinMeeting]:
        return [json.loads(v) for v in self.r.hvals(checkin_log_key(class_id))]

    def log_checkin(self, class_id: str, meeting: CheckinMeeting) -> None:
        pipe = self.r.pipeline()
        pipe.hset(checkin_log_key(class_id), f"{meeting['week']}:{meeting['slot']}",
                  dumps(meeting))
        self._refresh(pipe, class_id)
        pipe.execute()
