"""What the domain takes from the process it runs in: the time, and where CPU-bound work runs.

Both are injectable (`clock=`, `run=`) so tests can pin the time and handlers can take work off
the event loop. A module of its own, below every domain module, so none imports another
module only for these.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

Clock = Callable[[], int]
Runner = Callable[[Callable[[], Any]], Any]  # runs CPU-bound work off the event loop


def now_ms() -> int:
    """Epoch milliseconds: every time in the domain is in these."""
    return int(time.time() * 1000)


def run_here(fn: Callable[[], Any]) -> Any:
    return fn()
