"""Admission control: how many client events do their work at once, and how many may wait.

Under overload a process used to start every event the moment it arrived: hundreds of handlers
interleaved on one loop, each holding a Redis connection while it waited for its turn, until
the connection pool ran out and events were answered `unavailable`. Now at most `slots`
events (and connects) run at once; the others wait their turn in arrival order, so latency grows
but nothing fails. Only when `max_waiting` events are already queued is new work refused, with
`busy` and a pause to retry after (docs/PROTOCOL.md); work already admitted is never dropped.
"""

from __future__ import annotations

import threading
from collections import deque

SLOTS = 64  # events running at once per process: enough to keep one core and Redis busy
MAX_WAITING = 1000  # queued beyond that, new events are refused with `busy`
RETRY_AFTER_MS = 1000


class Admission:
    """A FIFO gate of `slots` turns. Green under gevent/eventlet (threading is patched).

    Re-entrant: work that already holds a turn (a handler whose revocation disconnects a
    socket, which runs the disconnect handler on the same greenlet) does not queue again."""

    def __init__(self, slots: int = SLOTS, max_waiting: int = MAX_WAITING) -> None:
        self.slots = slots
        self.max_waiting = max_waiting
        self._lock = threading.Lock()
        self._running = 0
        self._queue: deque[threading.Event] = deque()
        self._held = threading.local()  # per greenlet under gevent/eventlet
        self.refused = 0  # for logs and tests

    @property
    def waiting(self) -> int:
        return len(self._queue)

    def enter(self, *, refusable: bool = True) -> bool:
        """Take a turn, waiting for one if all are taken. False (nothing taken) when the queue
        is full and this work may be refused; `refusable=False` always waits (clean-up work
        such as a disconnect)."""
        depth = getattr(self._held, "depth", 0)
        if depth:
            self._held.depth = depth + 1
            return True
        with self._lock:
            if self._running < self.slots and not self._queue:
                self._running += 1
                self._held.depth = 1
                return True
            if refusable and len(self._queue) >= self.max_waiting:
                self.refused += 1
                return False
            turn = threading.Event()
            self._queue.append(turn)
        turn.wait()  # set by leave(), which hands its turn straight to the longest waiting
        self._held.depth = 1
        return True

    def leave(self) -> None:
        self._held.depth -= 1
        if self._held.depth:
            return
        with self._lock:
            if self._queue:
                self._queue.popleft().set()  # the turn passes on: still running, no barging
            else:
                self._running -= 1


admission = Admission()


def busy_error() -> dict[str, object]:
    return {"code": "busy", "message": "The server is very busy. Trying again in a moment.",
            "retry_after_ms": RETRY_AFTER_MS}
