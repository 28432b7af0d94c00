"""Presence that survives crashes, and the socket caps: two processes' stores on one fakeredis.

A process's liveness is its heartbeat key; "the process crashed" is that key lapsing, which
here is deleting it (what its TTL does after HEARTBEAT_TTL seconds).
"""

from __future__ import annotations

import fakeredis
import pytest

from server.domain import classes
from server.store import RedisStore
from server.store.redis_store import process_key


@pytest.fixture
def redis_client() -> fakeredis.FakeRedis:
    return fakeredis.FakeRedis(decode_responses=True)


def store_of(client: fakeredis.FakeRedis, name: str) -> RedisStore:
    store = RedisStore(client, default_retention_days=30, process_name=name)
    store.heartbeat()
    return store


def open_socket(store: RedisStore, class_id: str, sid: str, seat: str, student: str | None,
                address: str = "10.0.0.1", address_cap: int | None = None) -> list[str]:
    return store.socket_opened(class_id, sid, seat, student, address=address, seat_cap=2,
                               address_cap=address_cap).close


def test_a_dead_process_sockets_are_ghosts_then_purged(redis_client) -> None:
    a, b = store_of(redis_client, "host-a:5000"), store_of(redis_client, "host-b:5000")
    made = classes.create_class(a, "Bio", "9-12", retention_days=30)
    cid = made.class_id
    open_socket(a, cid, "sid-1", "seat-ana", "ana")
    open_socket(b, cid, "sid-2", "seat-ben", "ben")
    assert b.online_students(cid) == {"ana", "ben"}

    redis_client.delete(process_key("host-a:5000"))  # A crashed and its heartbeat lapsed
    assert b.online_students(cid) == {"ben"}  # not shown online, even before the purge
    assert b.sockets_of(cid, everyone=True) == ["sid-2"]
    assert b.purge_dead_processes() == [(cid, "ana")]  # staff are told: Ana went offline
    assert set(redis_client.hkeys(f"rp:class:{cid}:sockets")) == {"sid-2"}
    assert b.purge_dead_processes() == []


def test_a_restart_under_the_same_name_drops_the_old_run_at_once(redis_client) -> None:
    old = store_of(redis_client, "host-a:5000")
    made = classes.create_class(old, "Bio", "9-12", retention_days=30)
    open_socket(old, made.class_id, "sid-1", "seat-ana", "ana")
    new = store_of(redis_client, "host-a:5000")  # kill -9, start again on the same port
    assert new.online_students(made.class_id) == set()
    assert new.purge_dead_processes() == [(made.class_id, "ana")]


def test_a_live_process_purged_by_mistake_registers_its_sockets_again(redis_client) -> None:
    """A long store outage let A's heartbeat lapse and B purged A's sockets: A's next beat
    puts them back."""
    a, b = store_of(redis_client, "host-a:5000"), store_of(redis_client, "host-b:5000")
    made = classes.create_class(a, "Bio", "9-12", retention_days=30)
    open_socket(a, made.class_id, "sid-1", "seat-ana", "ana")
    redis_client.delete(process_key("host-a:5000"))
    b.purge_dead_processes()
    a.heartbeat()
    assert b.online_students(made.class_id) == {"ana"}


def test_caps_close_the_oldest_sockets(redis_client) -> None:
    a = store_of(redis_client, "host-a:5000")
    made = classes.create_class(a, "Bio", "9-12", retention_days=30)
    cid = made.class_id
    assert open_socket(a, cid, "s1", "seat-ana", "ana") == []
    assert open_socket(a, cid, "s2", "seat-ana", "ana") == []
    assert open_socket(a, cid, "s3", "seat-ana", "ana") == ["s1"]  # seat cap 2
    # Address cap 4: Ana's 3 (s1 not closed yet here) and Ben's first fill it; the next
    # socket from that address closes the oldest of them.
    assert open_socket(a, cid, "s4", "seat-ben", "ben", address_cap=4) == []
    assert open_socket(a, cid, "s5", "seat-cy", "cy", address_cap=4) == ["s1"]
    assert open_socket(a, cid, "s6", "seat-di", "di", address="10.0.0.2", address_cap=4) == []
