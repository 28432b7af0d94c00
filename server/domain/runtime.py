"""What the domain takes from the process it runs in: the time, and where CPU-bound work runs.

Both are injectable (`clock=`, `run=`) so tests can pin the time and handlers can take work off
the event loop. A module of its own, below every domain module, so none imports another
module only for these.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server.domain import clock

Clock = Callable[[], int]
Runner = Callable[[Callable[[], Any]], Any]  # runs CPU-bound work off the event loop


def now_ms() -> int:
    """Epoch milliseconds: every time in the domain is in these (from `clock`, which a test
    can set)."""
    return clock.now_ms()


def run_here(fn: Callable[[], Any]) -> Any:
    return fn()
