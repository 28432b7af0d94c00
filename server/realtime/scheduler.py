"""Background work of each process: fire due deadlines, flush coalesced reaction counts,
say the process is alive and purge the sockets of processes that are not.

Deadlines live in Redis (a sorted set shared by every process), so they survive restarts;
ZREM decides which process fires each one, so a deadline fires exactly once.
Reaction counts are incremented in Redis at once but broadcast at most every FLUSH_SECONDS
per card, so a class clicking hearts costs one message per card per interval, not per click.
The changed cards are a set in Redis shared by every process, taken with their counts in one
atomic step only when no process sent them within the interval: with several processes a
card's counts still go out once per interval, and the last counts always do.
"""

from __future__ import annotations

import logging

from flask import Flask

from server.context import Services
from server.domain import clock, rotations, rounds
from server.domain.runtime import now_ms
from server.extensions import socketio
from server.realtime import broadcast
from server.store import StoreUnavailable
from server.store.keys import HEARTBEAT_SECONDS

log = logging.getLogger(__name__)
TICK_SECONDS = 0.1
FLUSH_SECONDS = 0.5
RESYNC_COOLDOWN_SECONDS = 30.0


class Scheduler:
    """The background work as methods a test can call: `tick()` does at once everything the
    loops would do by now, reading the time from `server.domain.clock`; `start()` runs the
    loops that call the same methods in production."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        # Set by a reaction here, and while changed cards wait for their interval: only then
        # does a step ask the store (the changed cards themselves are kept in Redis).
        self._reactions_pending = False
        self._started = False
        self._store_down = False
        self._resync_pending = False
        self._last_resync = -RESYNC_COOLDOWN_SECONDS

    def start(self, background: bool = True) -> None:
        """Say this process is alive and, with `background`, run the loops (without, a test
        calls `tick()` instead)."""
        if not self._started:
            self._started = True
            try:
                # At once, not on the first beat: a restart under the same name makes the
                # previous run's sockets ghosts before anyone can be shown them as online.
                self.app.extensions["rapport"].store.heartbeat()
            except StoreUnavailable:
                log.warning("heartbeat: store unavailable at start")
            if background:
                socketio.start_background_task(self._run)
                socketio.start_background_task(self._keep_alive)

    def reaction_changed(self, class_id: str, round_id: str, card_id: str) -> None:
        self._reactions_pending = True

    def tick(self) -> None:
        """One pass of all the background work, as due by the clock: what a test calls after
        moving the clock on."""
        self.step()
        self.keep_alive()

    def step(self) -> None:
        """Fire due deadlines, resync after an outage, send reaction counts that are due
        (each card's at most every FLUSH_SECONDS, across all processes: see the store)."""
        try:
            with self.app.app_context():
                self.fire_due_deadlines()
                if self._store_down:
                    self._store_down = False
                    self._resync_pending = True
                    log.warning("store is back")
                self._resync_if_due()
                if self._reactions_pending:
                    self.flush_reactions()
        except StoreUnavailable as exc:
            if not exc.unreachable:
                # Slow, not down (a timeout on an overloaded process): the next tick tries
                # again; resyncing every client now would only add to the load.
                log.warning("store slow in background work (%s); trying again", exc)
                return
            # This loop reads the store ten times a second: its failing is a real outage.
            # A handler's timeout is not (the store may just be slow): that client gets
            # `unavailable` and retries, and nobody else is disturbed.
            if not self._store_down:
                log.warning("store unavailable; actions are refused until it is back")
            self._store_down = True
        except Exception:  # keep the loop alive whatever one iteration hit
            log.exception("background work failed")

    def _run(self) -> None:
        while True:
            socketio.sleep(TICK_SECONDS)
            self.step()

    def store_unreachable(self) -> None:
        """A handler could not connect to the store at all (refused, reset, still loading):
        an outage, so everyone here resyncs once it answers again. A timeout is not one."""
        self._store_down = True

    def _resync_if_due(self) -> None:
        """After an outage every client here fetches a fresh snapshot: once, and never more
        often than every RESYNC_COOLDOWN_SECONDS however often the store flaps. Sent to this
        process's sockets directly, since the message queue may still be reconnecting."""
        now = clock.monotonic()
        if self._resync_pending and now - self._last_resync >= RESYNC_COOLDOWN_SECONDS:
            self._resync_pending = False
            self._last_resync = now
            log.warning("asking clients to resync")
            socketio.server.emit("resync", {}, namespace="/", ignore_queue=True)

    def keep_alive(self) -> None:
        """Heartbeat of this process, and the purge of processes that died without a word:
        their students go offline."""
        try:
            with self.app.app_context():
                svc: Services = self.app.extensions["rapport"]
                svc.store.heartbeat()
                for class_id, student_id in svc.store.purge_dead_processes():
                    broadcast.presence(class_id, student_id, False)
        except StoreUnavailable:
            log.warning("heartbeat: store unavailable")
        except Exception:
            log.exception("heartbeat failed")

    def _keep_alive(self) -> None:
        """`keep_alive` every HEARTBEAT_SECONDS; a loop of its own, apart from `_run`, so a
        slow store here delays no timer."""
        while True:
            self.keep_alive()
            socketio.sleep(HEARTBEAT_SECONDS)

    def fire_due_deadlines(self) -> None:
        svc: Services = self.app.extensions["rapport"]
        for kind, class_id, item_id in svc.store.due_deadlines(now_ms()):
            if not svc.store.claim_deadline(kind, class_id, item_id):
                continue  # another process fired it
            if kind == "round":
                closed = rounds.close_round(svc.store, class_id, item_id)
                if closed is not None:
                    broadcast.round_updated(class_id, closed)
            elif kind == "rotation":
                _plan_id, _, number = item_id.partition(":")
                before = svc.store.get_rotation(class_id)
                moved = rotations.advance(svc.store, class_id, expected=int(number))
                if moved is not None:
                    broadcast.rotation_changed(class_id, before, moved)

    def flush_reactions(self) -> None:
        """Send the counts of the cards that changed, on whichever process reacted, and that
        no process sent within FLUSH_SECONDS; the rest wait for a later step."""
        self._reactions_pending = False
        svc: Services = self.app.extensions["rapport"]
        try:
            due, left = svc.store.take_dirty_reactions(round(FLUSH_SECONDS * 1000),
                                                       now_ms())
        except Exception:
            self._reactions_pending = True
            raise
        if left:
            self._reactions_pending = True
        for class_id, card, counts in due:
            broadcast.reactions(class_id, card, counts)
