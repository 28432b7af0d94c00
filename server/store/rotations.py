"""Breakout rotations: the current plan and how often each pair has met."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import cast

from server.domain.records import RotationRecord, RotationUpdate
from server.store.base import StoreBase, dumps
from server.store.keys import pairs_key, rotation_key


class RotationsRepo(StoreBase):
    def get_rotation(self, class_id: str) -> RotationRecord | None:
        raw = self.r.hgetall(rotation_key(class_id))
        return cast(RotationRecord, {k: json.loads(v) for k, v in raw.items()}) if raw else None

    def put_rotation(self, class_id: str, record: RotationRecord) -> None:
        pipe = self.r.pipeline()
        pipe.delete(rotation_key(class_id))
        pipe.hset(rotation_key(class_id), mapping={k: dumps(v) for k, v in record.items()})
        self._refresh(pipe, class_id)
        pipe.execute()

    def update_rotation(self, class_id: str,
                        change: Callable[[RotationRecord], RotationUpdate | None],
                        *, revision: bool = True) -> RotationRecord | None:
        """A change counts one more `rev` (unless `revision` is false), so staff screens that
        get the plan's changes, not the whole plan, can tell when they missed one."""

        def counted(record: RotationRecord) -> RotationUpdate | None:
            fields = change(record)
            if fields is None or not revision:
                return fields
            return {**fields, "rev": record.get("rev", 0) + 1}

        return self._update_record(class_id, rotation_key(class_id), counted)

    def pair_history(self, class_id: str) -> list[tuple[str, str, int]]:
        return [(*pair.split("|", 1), int(n))  # type: ignore[misc]
                for pair, n in self.r.hgetall(pairs_key(class_id)).items()]

    def record_pairs(self, class_id: str, pairs: list[tuple[str, str]]) -> None:
        """Count that these pairs met in a breakout room (the next lesson plans around it)."""
        if not pairs:
            return
        pipe = self.r.pipeline()
        for a, b in pairs:
            pipe.hincrby(pairs_key(class_id), "|".join(sorted((a, b))), 1)
        self._refresh(pipe, class_id)
        pipe.execute()
