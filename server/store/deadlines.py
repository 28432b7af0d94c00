"""Deadlines shared by every process (round ends, rotation steps): whoever claims one
first fires it."""

from __future__ import annotations

from server.store.base import StoreBase
from server.store.keys import DEADLINES_TTL, deadlines_key


class DeadlinesRepo(StoreBase):
    def set_deadline(self, kind: str, class_id: str, item_id: str, at_ms: int | None) -> None:
        member = f"{kind}|{class_id}|{item_id}"
        if at_ms is None:
            self.r.zrem(deadlines_key(), member)
            return
        pipe = self.r.pipeline()
        pipe.zadd(deadlines_key(), {member: at_ms})
        pipe.expire(deadlines_key(), DEADLINES_TTL)
        pipe.execute()

    def due_deadlines(self, now_ms: int, limit: int = 100) -> list[tuple[str, str, str]]:
        members = self.r.zrangebyscore(deadlines_key(), "-inf", now_ms, start=0, num=limit)
        return [tuple(m.split("|", 2)) for m in members]  # type: ignore[misc]

    def claim_deadline(self, kind: str, class_id: str, item_id: str) -> bool:
        """True for exactly one caller across all processes."""
        return bool(self.r.zrem(deadlines_key(), f"{kind}|{class_id}|{item_id}"))
