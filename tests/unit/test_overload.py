"""Overload makes Rapport slower, never makes it fail while Redis is up.

The failure this guards against (docs/PERFORMANCE.md, *Overload*): redis-py 8 caps a connection
pool at 100 and raises `MaxConnectionsError` beyond, so a saturated process answered events
`unavailable`, lost reaction flushes and spotlights, and took its own full pool for a store
outage (a resync of every client). Each behaviour is checked here by saturating deterministically
(a held turn, a pool made full, connections held open), with no timing in the assertions.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import redis

from server.config import Config
from server.realtime import admission as admission_module
from server.realtime import events
from server.realtime.admission import Admission
from server.store.backends import MAX_CONNECTIONS, open_store
from tests.conftest import REDIS_URL, need, redis_answers
from tests.inprocess import InProcessApp


def _class_with_a_public_card(rapport: InProcessApp) -> tuple[Any, Any, Any, str]:
    klass = rapport.create_class()
    teacher = rapport.teacher(klass)
    author = rapport.student(klass.join("Ana"))
    reactor = rapport.student(klass.join("Ben"))
    assert teacher.call("round.start", {"custom_text": "What do you collect?"})["ok"]
    assert teacher.call("round.host_card", {"skip": True})["ok"]
    assert teacher.call("round.open", {"timer_seconds": None})["ok"]
    ack = author.call("card.submit", {"client_id": "card-ana-0001", "text": "Stamps from Peru.",
                                      "visibility": "class", "spotlight_ok": True})
    assert ack["ok"], ack
    return teacher, author, reactor, ack["card"]["id"]


class HeldTurns:
    """Every turn of `gate` taken by another thread until `release()`: a saturated process."""

    def __init__(self, gate: Admission) -> None:
        self.gate = gate
        self._held = threading.Barrier(gate.slots + 1)
        self._release = threading.Event()
        self._threads = [threading.Thread(target=self._hold) for _ in range(gate.slots)]
        for thread in self._threads:
            thread.start()
        self._held.wait()

    def _hold(self) -> None:
        assert self.gate.enter()
        self._held.wait()
        self._release.wait()
        self.gate.leave()

    def release(self) -> None:
        self._release.set()
        for thread in self._threads:
            thread.join()


def test_a_full_queue_refuses_new_work_busy_before_doing_any_of_it(
        rapport: InProcessApp, monkeypatch: Any) -> None:
    _teacher, author, reactor, card_id = _class_with_a_public_card(rapport)
    gate = Admission(slots=2, max_waiting=0)
    monkeypatch.setattr(events, "admission", gate)
    held = HeldTurns(gate)
    try:
        ack = reactor.call("react", {"card_id": card_id, "reaction": "heart"})
    finally:
        held.release()
    assert ack == {"ok": False, "error": {"code": "busy", "retry_after_ms": 1000,
                                          "message": admission_module.busy_error()["message"]}}
    rapport.tick(1)
    assert author.received("reactions") == []  # refused means nothing was done
    assert gate.refused == 1
    # The turns are free again: the same event sent again is done, once.
    assert reactor.call("react", {"card_id": card_id, "reaction": "heart"})["ok"]
    rapport.tick(1)
    assert author.received("reactions")[-1]["counts"] == {"heart": 1}
    assert "resync" not in author.names()


def test_a_connect_while_the_queue_is_full_is_refused_busy(
        rapport: InProcessApp, monkeypatch: Any) -> None:
    klass = rapport.create_class()
    seat = klass.join("Ana")
    gate = Admission(slots=1, max_waiting=0)
    monkeypatch.setattr(events, "admission", gate)
    held = HeldTurns(gate)
    try:
        refused = rapport.student(seat)
    finally:
        held.release()
    assert not refused.is_connected()
    assert refused.refused == {"message": "busy", "data": admission_module.busy_error()}
    admitted = rapport.student(seat)
    assert admitted.is_connected() and admitted.received("snapshot")


def test_a_turn_is_reentrant_and_handed_back() -> None:
    """A handler holding a turn whose revocation disconnects a socket runs the disconnect
    handler on the same thread: it must not queue behind itself."""
    gate = Admission(slots=1, max_waiting=0)
    assert gate.enter()
    assert gate.enter(refusable=False)  # nested: no second turn, no waiting
    gate.leave()
    assert not _enters_from_another_thread(gate)  # the outer turn is still held
    gate.leave()
    assert _enters_from_another_thread(gate)


def _enters_from_another_thread(gate: Admission) -> bool:
    result: list[bool] = []

    def enter() -> None:
        result.append(gate.enter())
        if result[0]:
            gate.leave()

    thread = threading.Thread(target=enter)
    thread.start()
    thread.join()
    return result[0]


def test_background_work_on_a_full_pool_is_slow_not_an_outage(rapport: InProcessApp) -> None:
    """A reaction flush that finds the pool full is sent on a later tick, and nobody is told
    to resync (a full pool of this process's own is no store outage)."""
    teacher, author, reactor, card_id = _class_with_a_public_card(rapport)
    assert reactor.call("react", {"card_id": card_id, "reaction": "clap"})["ok"]
    pool = rapport.redis.connection_pool
    cap = pool.max_connections
    pool.reset()
    pool.max_connections = 0  # every command now raises MaxConnectionsError
    try:
        rapport.tick(1)
    finally:
        pool.max_connections = cap
    assert author.received("reactions") == []
    rapport.tick(1)
    assert author.received("reactions")[-1]["counts"] == {"clap": 1}
    rapport.tick(60)  # past the resync cooldown: a resync would have been sent by now
    assert "resync" not in author.names() + teacher.names()


def test_the_store_and_queue_pools_take_more_than_admission_lets_run() -> None:
    """Three times the events admission runs at once, each holding a connection, fit in both
    pools of a real Redis (redis-py's default pool refused the 101st)."""
    need(redis_answers(), f"no Redis server answers at {REDIS_URL}")
    assert admission_module.SLOTS * 3 < MAX_CONNECTIONS
    handle = open_store(Config(secret_key="x" * 32, redis_url=REDIS_URL, store_mode="redis"))
    assert handle.message_queue is not None
    queue = redis.Redis.from_url(handle.message_queue)  # as python-socketio builds it
    try:
        for client in (handle.client, queue):
            pool = client.connection_pool
            held = [pool.get_connection() for _ in range(admission_module.SLOTS * 3)]
            assert all(c.is_connected for c in held)
            for connection in held:
                pool.release(connection)
    finally:
        queue.close()
        handle.close()


def test_the_handshake_gives_a_slow_client_a_minute_to_answer_a_ping(
        rapport: InProcessApp) -> None:
    """Under overload a ping waits behind the deliveries queued for its socket; Engine.IO's
    default 20 s dropped clients that were only slow (docs/PROTOCOL.md, *Overload*)."""
    opened = rapport.web.get("/socket.io/?EIO=4&transport=polling")
    assert opened.status_code == 200
    handshake = json.loads(opened.get_data(as_text=True)[1:])  # "0" + the open packet
    assert (handshake["pingInterval"], handshake["pingTimeout"]) == (25000, 60000)
