"""Run CPU-bound work (photo decoding, the rotation planner, export formatting) off the event
loop, a few jobs at a time.

Under gevent or eventlet every socket of the process is served by one OS thread; a job that
computes for two seconds on it freezes every class on the process. Jobs here run on a small
pool of real OS threads instead: Pillow and zlib release the GIL while they work, and pure
Python gives it up every few milliseconds, so the loop keeps answering. The pool is bounded
(`CPU_WORKERS` jobs at once, the rest wait their turn without blocking the loop), so a burst
of worst-case uploads costs queueing time for the uploaders, not latency for everyone, and
never more memory than that many decodes.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from server.extensions import socketio

T = TypeVar("T")
CPU_WORKERS = max(1, min(4, os.cpu_count() or 1))


class CpuPool:
    """At most `workers` jobs at once, each on an OS thread when the loop is green."""

    def __init__(self, mode: str, workers: int = CPU_WORKERS) -> None:
        self.mode = mode
        self.workers = workers
        self._pool: Any = None
        self._slots: Any = None
        if mode == "gevent":
            from gevent.threadpool import ThreadPool

            self._pool = ThreadPool(maxsize=workers)  # spawn() waits, cooperatively, when full
        elif mode == "eventlet":
            from eventlet.semaphore import Semaphore

            self._slots = Semaphore(workers)
        else:
            self._slots = threading.BoundedSemaphore(workers)

    def run(self, fn: Callable[[], T]) -> T:
        if self.mode == "gevent":
            return self._pool.spawn(fn).get()  # type: ignore[no-any-return]
        with self._slots:
            if self.mode == "eventlet":
                from eventlet import tpool

                return tpool.execute(fn)  # type: ignore[no-any-return]
            return fn()  # threading mode: this request already has its own thread


_pools: dict[str, CpuPool] = {}
_pools_lock = threading.Lock()


def run_blocking(fn: Callable[[], T]) -> T:
    """Run `fn` on the process's CPU pool (made on first use for the server's async mode)."""
    mode = socketio.async_mode
    pool = _pools.get(mode)
    if pool is None:
        with _pools_lock:
            pool = _pools.setdefault(mode, CpuPool(mode))
    return pool.run(fn)
