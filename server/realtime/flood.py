"""The flood guard: token buckets in process memory, checked before any Redis round trip.

Every client event (server/realtime/events.py) passes it first; a socket's buckets go with
the socket (server/realtime/connect.py).
"""

from __future__ import annotations

import time

from server.context import Services
from server.realtime import senders


class FloodGuard:
    """Token buckets in process memory, per socket, per seat (every socket opened with one
    credential together) and per address: a flood is refused before any Redis round trip.
    Generous enough for any real use of the protocol. In the seat and address buckets a
    snapshot costs more than a click; those two are off with the rate limits (load tests)."""

    SOCKET = (20.0, 60.0)  # (tokens per second, burst)
    SEAT = (30.0, 90.0)
    ADDRESS = (300.0, 900.0)  # a whole school can sit behind one address
    PRUNE_EVERY = 5000

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}
        self._calls = 0

    def allow(self, sid: str, seat: str | None = None, address: str | None = None,
              cost: float = 1.0) -> bool:
        now = time.monotonic()
        wanted = [(f"s:{sid}", self.SOCKET)]
        if seat:
            wanted.append((f"c:{seat}", self.SEAT))
        if address:
            wanted.append((f"a:{address}", self.ADDRESS))
        levels = []
        for key, (rate, burst) in wanted:
            tokens, last = self._buckets.get(key, (burst, now))
            price = 1.0 if key.startswith("s:") else cost
            levels.append((key, min(burst, tokens + (now - last) * rate), price))
        allowed = all(tokens >= price for _, tokens, price in levels)
        for key, tokens, price in levels:
            self._buckets[key] = (tokens - price if allowed else tokens, now)
        self._calls += 1
        if self._calls % self.PRUNE_EVERY == 0:  # buckets idle for a minute are full again
            self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < 60}
        return allowed

    def forget(self, sid: str) -> None:
        self._buckets.pop(f"s:{sid}", None)


flood_guard = FloodGuard()


def allowed(svc: Services, sid: str, sender: senders.Sender | None, cost: float = 1.0) -> bool:
    """Whether one more event of this socket passes: its seat's and address's buckets too
    once it has a sender, unless the rate limits are off."""
    if not svc.limits.enabled or sender is None:
        return flood_guard.allow(sid)
    return flood_guard.allow(sid, sender.token_hash, sender.address, cost)
