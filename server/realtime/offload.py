"""Run CPU-bound work (the rotation planner) without freezing the event loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from server.extensions import socketio

T = TypeVar("T")


def run_blocking(fn: Callable[[], T]) -> T:
    """In gevent/eventlet, run `fn` on a real OS thread so other greenlets keep being served
    (the GIL is released every few milliseconds); in threading mode, just call it."""
    mode = socketio.async_mode
    if mode == "gevent":
        import gevent

        return gevent.get_hub().threadpool.spawn(fn).get()  # type: ignore[no-any-return]
    if mode == "eventlet":
        from eventlet import tpool

        return tpool.execute(fn)  # type: ignore[no-any-return]
    return fn()
