"""Rate limits shared by every process: token buckets. (Hot events take their token in the
same round trip as their write instead: `Guard`.)"""

from __future__ import annotations

from server.store.base import Bucket, StoreBase
from server.store.keys import rate_key


class LimitsRepo(StoreBase):
    def take_token(self, action: str, subject: str, *, per_minute: float, burst: int,
                   now_ms: int, consume: bool = True) -> bool:
        bucket = Bucket(action, subject, per_minute, burst, now_ms)
        return bool(self.lua["take_token"](
            keys=[rate_key(action, subject)],
            args=[per_minute / 60_000, burst, now_ms, bucket.refill_ms, "1" if consume else "0"]))
