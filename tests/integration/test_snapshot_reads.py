"""The snapshot's reads in one round trip (`RedisStore.reading`, lua/snapshot_reads.lua), in
process: for every role, the snapshot built from the one round trip is the one built from
separate reads, and none of its reads had to go to Redis on its own."""

from __future__ import annotations

from typing import Any

import pytest

import server.store.redis_store as redis_store
from server.domain import snapshot
from server.domain.classes import Identity
from server.store import RedisStore
from server.store.prefetch import Prefetched
from tests.conftest import card, ok, start_open_round
from tests.inprocess import InProcessApp


class _NoRoundTrip:
    """The client behind the prefetched reads: any read that reaches it was not prefetched."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the snapshot read {name} outside its one round trip")


def _lesson(rapport: InProcessApp) -> tuple[str, dict[str, Identity]]:
    """Two rounds (history), class and private cards, a reply, reactions, a spotlight, students
    online and offline, a roster and a planned rotation."""
    klass = rapport.create_class()
    teacher = rapport.teacher(klass)
    seats = [klass.join(name) for name in ("Ana", "Ben", "Cy", "Dee")]
    students = [rapport.student(seat) for seat in seats[:3]]  # Dee stays offline
    start_open_round(teacher)
    ok(students[0].call("card.submit", card("ana-1-0001", "Maps of old towns")))
    ok(teacher.call("round.close", {}))
    start_open_round(teacher)
    ana = ok(students[0].call("card.submit", card("ana-2-0001", "A green box")))["card"]
    ok(students[1].call("card.submit", card("ben-2-0001", "Just for you", "teacher", False)))
    ok(students[2].call("react", {"card_id": ana["id"], "reaction": "heart"}))
    ok(teacher.call("reply.send", {"card_id": ana["id"], "text": "Love the box!"}))
    ok(teacher.call("spotlight.set", {"card_id": ana["id"]}))
    ok(teacher.call("rotation.plan", {"size": 2, "rotations": 2, "minutes": 5}))
    rapport.tick(1)
    who = {"teacher": Identity(klass.class_id, "teacher"),
           "cohost": Identity(klass.class_id, "cohost"),
           "stage": Identity(klass.class_id, "stage")}
    for seat in seats:
        who[seat["name"] if "name" in seat else seat["student_id"]] = Identity(
            klass.class_id, "student", seat["student_id"])
    return klass.class_id, who


def test_the_snapshot_reads_everything_in_one_round_trip(
        rapport: InProcessApp, monkeypatch: pytest.MonkeyPatch) -> None:
    _class_id, who = _lesson(rapport)
    one_trip = {name: snapshot.build(rapport.services, identity, "http://rapport.test/", 0)
                for name, identity in who.items()}
    with monkeypatch.context() as separately:
        separately.setattr(RedisStore, "reading", lambda self, *_args: self)
        separate = {name: snapshot.build(rapport.services, identity, "http://rapport.test/", 0)
                    for name, identity in who.items()}
    assert one_trip == separate
    # The lesson shows up in them: history, the thread, counts, presence, the rotation.
    teacher, ana = one_trip["teacher"], next(
        snap for name, snap in one_trip.items() if name not in ("teacher", "cohost", "stage")
        and snap and snap["you"]["name"] == "Ana")
    assert teacher is not None and teacher["replies"] and teacher["rotation"]
    assert sum(s["online"] for s in teacher["students"]) == 3
    assert ana["my_cards"] and ana["spotlight"]["reactions"] == {"heart": 1}
    # and nothing a snapshot reads goes to Redis on its own.
    monkeypatch.setattr(redis_store, "Prefetched",
                        lambda _client, entries: Prefetched(_NoRoundTrip(), entries))
    for name, identity in who.items():
        assert snapshot.build(rapport.services, identity, "http://rapport.test/", 0) \
            == one_trip[name], name
