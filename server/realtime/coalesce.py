"""Fewer, larger deliveries where nobody can tell: the events of a class that come in bursts
(cards arriving, `answered`, reaction counts, students coming online) wait a short window
(`RAPPORT_BATCH_MS`, 25 ms) and then go out together, one `batch` message per audience
instead of one message per event.

Order is kept for every socket: a class's events are queued in the order they were made, any
other event of the class first sends what is queued, and the queue is cut into batches so that
an event only joins an earlier batch when no batch in between reaches any of its sockets (the
rooms of a class nest: everyone ⊇ staff ⊇ teacher, co-host; everyone ⊇ students ⊇ one student;
everyone ⊇ stage). A batch of one event is sent as that event, unchanged. Only state-setting
events are delayed (a card as it is now, the counts as they are now), so one arriving after a
snapshot that already has it changes nothing.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from server.extensions import socketio

log = logging.getLogger(__name__)

COALESCED = frozenset({"card.added", "card.updated", "card.removed", "answered", "reactions",
                       "presence"})
_EVERYONE = frozenset({"teacher", "cohost", "stage", "students"})
_LOCKS = 64

Queued = tuple[str, Any, tuple[str, ...]]  # event, payload, rooms


def _class_of(targets: tuple[str, ...]) -> str | None:
    """The class whose rooms these are (`c:{class_id}…`), None for a socket id."""
    found = {t.split(":", 2)[1] for t in targets if t.startswith("c:")}
    if len(found) != 1 or len(targets) != sum(t.startswith("c:") for t in targets):
        return None
    return found.pop()


def _reach(room: str) -> frozenset[str]:
    """Who in its class a room reaches: role groups, or one student (`s:{id}`); a room of
    another kind is taken to reach anyone (`*`)."""
    parts = room.split(":", 3)
    if len(parts) == 2:
        return _EVERYONE
    if parts[2] == "staff":
        return frozenset({"teacher", "cohost"})
    if parts[2] == "s" and len(parts) == 4:
        return frozenset({f"s:{parts[3]}"})
    if parts[2] in _EVERYONE:
        return frozenset({parts[2]})
    return frozenset({"*"})


def _overlap(a: frozenset[str], b: frozenset[str]) -> bool:
    if a & b or "*" in a or "*" in b:
        return True
    return ("students" in a and any(t.startswith("s:") for t in b)) or (
        "students" in b and any(t.startswith("s:") for t in a))


def batches(queue: list[Queued]) -> list[tuple[tuple[str, ...], list[tuple[str, Any]]]]:
    """The queue cut into (rooms, events) to send in this order: each event joins the last
    batch that reaches any of its sockets when that batch has exactly its rooms, else starts a
    new batch at the end. Every socket then gets its events in the order they were made."""
    out: list[tuple[tuple[str, ...], frozenset[str], list[tuple[str, Any]]]] = []
    for event, payload, targets in queue:
        reach = frozenset().union(*map(_reach, targets))
        last = next((b for b in reversed(out) if _overlap(b[1], reach)), None)
        if last is not None and last[0] == targets:
            last[2].append((event, payload))
        else:
            out.append((targets, reach, [(event, payload)]))
    return [(targets, events) for targets, _reach_of, events in out]


class Deliveries:
    """Every emit of `server.realtime.broadcast` goes through `emit`. With a window of 0 (in
    process tests, where a handler's events must all have arrived when it returns) it is
    `socketio.emit` itself."""

    def __init__(self, window: float = 0.0) -> None:
        self.window = window
        self._queues: dict[str, list[Queued]] = {}
        # Made here, in create_app, after gevent/eventlet patched threading: green locks.
        self._guard = threading.Lock()
        self._sending = [threading.RLock() for _ in range(_LOCKS)]

    def emit(self, event: str, payload: Any, *, to: str | list[str]) -> None:
        targets = (to,) if isinstance(to, str) else tuple(to)
        class_id = _class_of(targets) if self.window > 0 else None
        if class_id is None:
            socketio.emit(event, payload, to=to)
            return
        if event not in COALESCED:
            with self._lock_of(class_id):
                self._send_queued(class_id)
                socketio.emit(event, payload, to=to)
            return
        with self._guard:
            queue = self._queues.get(class_id)
            first = queue is None
            if queue is None:
                queue = self._queues[class_id] = []
            queue.append((event, payload, targets))
        if first:
            socketio.start_background_task(self._flush_later, class_id)

    def flush(self, class_id: str) -> None:
        """Send what the class has queued, now."""
        with self._lock_of(class_id):
            self._send_queued(class_id)

    def _lock_of(self, class_id: str) -> Any:
        return self._sending[hash(class_id) % _LOCKS]

    def _flush_later(self, class_id: str) -> None:
        socketio.sleep(self.window)
        try:
            self.flush(class_id)
        except Exception:  # the queue is down: clients resync when the store is back
            log.exception("could not send the waiting events of class %s", class_id)

    def _send_queued(self, class_id: str) -> None:
        """Under the class's lock, so nothing of the class is sent in between."""
        with self._guard:
            queue = self._queues.pop(class_id, None)
        for targets, events in batches(queue or []):
            to: str | list[str] = targets[0] if len(targets) == 1 else list(targets)
            if len(events) == 1:
                socketio.emit(events[0][0], events[0][1], to=to)
            else:
                socketio.emit("batch", {"events": [[name, data] for name, data in events]},
                              to=to)
