"""Classes, their staff credentials and join codes."""

from __future__ import annotations

import json
import time
from typing import cast

from server.domain.records import ClassRecord, ClassUpdate, Credential
from server.store.base import StoreBase, dumps
from server.store.client import Pipeline
from server.store.keys import class_key, code_key, cred_key


class ClassesRepo(StoreBase):
    def create_class(self, record: ClassRecord, code: str, teacher_hash: str,
                     cohost_hash: str) -> bool:
        """Create the class unless its join code is taken by a live class."""
        class_id = record["id"]
        ttl = record["retention_days"] * 86400
        if not self.r.set(code_key(code), class_id, nx=True, ex=ttl):
            return False
        self._ttl_cache[class_id] = (ttl, time.monotonic())
        stored = {**record, "teacher_hash": teacher_hash, "cohost_hash": cohost_hash}
        pipe = self.r.pipeline()
        pipe.hset(class_key(class_id), mapping={k: dumps(v) for k, v in stored.items()})
        pipe.expire(class_key(class_id), ttl)
        pipe.set(cred_key(teacher_hash), dumps({"class_id": class_id, "role": "teacher"}), ex=ttl)
        pipe.set(cred_key(cohost_hash), dumps({"class_id": class_id, "role": "cohost"}), ex=ttl)
        pipe.execute()
        return True

    def get_class(self, class_id: str) -> ClassRecord | None:
        record = self._class_record(class_id)
        if record is not None:
            record.pop("teacher_hash", None)
            record.pop("cohost_hash", None)
        return cast(ClassRecord | None, record)

    def class_id_for_code(self, code: str) -> str | None:
        return self.r.get(code_key(code))

    def credential(self, secret_hash: str) -> Credential | None:
        raw = self.r.get(cred_key(secret_hash))
        return json.loads(raw) if raw else None

    def set_class_fields(self, class_id: str, fields: ClassUpdate) -> None:
        pipe = self.r.pipeline()
        pipe.hset(class_key(class_id), mapping={k: dumps(v) for k, v in fields.items()})
        self._refresh(pipe, class_id)
        pipe.execute()

    def replace_secret(self, class_id: str, role: str, new_hash: str | None) -> str | None:
        """Swap the teacher or co-host credential; the old secret stops working at once.

        Returns the old credential's hash, so its open sockets can be closed."""
        field = f"{role}_hash"

        def body(pipe: Pipeline) -> str | None:
            record = self._class_record(class_id, pipe) or {}
            old: str | None = record.get(field)
            pipe.multi()
            if old:
                pipe.delete(cred_key(old))
            pipe.hset(class_key(class_id), field, dumps(new_hash or ""))
            if new_hash:
                pipe.set(cred_key(new_hash), dumps({"class_id": class_id, "role": role}),
                         ex=self._ttl(class_id))
            pipe.execute()
            return old or None

        return self._watched([class_key(class_id)], body)
