"""The time the domain and the scheduler read: wall time (for deadlines and what records say)
and a monotonic clock (for cooldowns). Read here and nowhere else, so a test can set the time
and move it on (`ManualClock`) instead of sleeping: a round's timer then really fires when the
test advances the clock and ticks the scheduler.
"""

from __future__ import annotations

import time
from collections.abc import Callable

_wall: Callable[[], float] = time.time
_monotonic: Callable[[], float] = time.monotonic


def now() -> float:
    """Seconds since the epoch."""
    return _wall()


def now_ms() -> int:
    """Milliseconds since the epoch: deadlines, card and reply times."""
    return int(_wall() * 1000)


def monotonic() -> float:
    """Seconds on a clock that never goes back: intervals and cooldowns."""
    return _monotonic()


def use(wall: Callable[[], float], monotonic_: Callable[[], float]) -> None:
    """Read the time from these from now on (a test's `ManualClock`)."""
    global _wall, _monotonic
    _wall, _monotonic = wall, monotonic_


def reset() -> None:
    """Back to the machine's clocks."""
    use(time.time, time.monotonic)


class ManualClock:
    """A clock that stands still until told to move: `advance(seconds)` moves both times."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01 00:00 UTC
        self.wall_seconds = start
        self.monotonic_seconds = 1_000.0

    def wall(self) -> float:
        return self.wall_seconds

    def monotonic(self) -> float:
        return self.monotonic_seconds

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock only moves forward")
        self.wall_seconds += seconds
        self.monotonic_seconds += seconds

    def install(self) -> ManualClock:
        use(self.wall, self.monotonic)
        return self
