"""Rate limits shared by every process: token buckets."""

from __future__ import annotations

from server.store.base import StoreBase
from server.store.keys import rate_key


class LimitsRepo(StoreBase):
    def take_token(self, action: str, subject: str, *, per_minute: float, burst: int,
                   now_ms: int, consume: bool = True) -> bool:
        refill_ms = int(burst / per_minute * 60_000) + 1000
        return bool(self.lua["take_token"](
            keys=[rate_key(action, subject)],
            args=[per_minute / 60_000, burst, now_ms, refill_ms, "1" if consume else "0"]))
