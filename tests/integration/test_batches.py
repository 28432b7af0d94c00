"""Coalesced deliveries on a real server and real sockets: a class posting, editing,
withdrawing and reacting in bursts. Every socket gets every event it should, once, in the order
the server made them, and fewer messages than events (bursts came as `batch` messages).

The window is set long (RAPPORT_BATCH_MS) so that every burst surely falls in one: what is
checked is what arrives and in which order, never how fast."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.conftest import Recorder, card, create_class, ok, start_open_round

pytestmark = pytest.mark.redis

KIDS = 8


def positions(client: Recorder, event: str, key: Any) -> list[int]:
    """Where `event`s about one card are in the client's record (`key(payload)` its card)."""
    return [i for i, (name, data) in enumerate(client.events) if name == event
            and key(data)]


def test_bursts_arrive_complete_and_in_order(redis_url, make_server, clients) -> None:
    server = make_server(REDIS_URL=redis_url, ASYNC_MODE="gevent", RAPPORT_BATCH_MS="400")
    klass = create_class(server.url)
    teacher = clients(server.url, {"token": klass.teacher_secret})
    cohost = clients(server.url, {"token": klass.cohost_secret})
    stage = clients(server.url, {"token": klass.teacher_secret, "view": "stage"})
    seats = [klass.join(f"Kid {i}") for i in range(KIDS)]
    kids = [clients(server.url, {"token": seat["seat_token"]}) for seat in seats]
    for kid in kids:
        kid.wait_for("snapshot")
    for seat in seats:  # the class coming online reaches the staff, each student once
        for staff in (teacher, cohost):
            staff.wait_for("presence", lambda d, s=seat: d == {"student_id": s["student_id"],
                                                               "online": True})
    assert len(teacher.received("presence")) == KIDS
    start_open_round(teacher)

    # A burst: every student posts at once (two of them for the teacher only).
    posted: list[dict[str, Any]] = [{}] * KIDS

    def post(i: int) -> None:
        visibility = "teacher" if i < 2 else "class"
        posted[i] = ok(kids[i].call("card.submit", card(f"burst-{i:04d}-card", f"Thing {i}",
                                                        visibility=visibility)))["card"]

    threads = [threading.Thread(target=post, args=(i,)) for i in range(KIDS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then each edits theirs, two withdraw, and the teacher spotlights a class card.
    for i, kid in enumerate(kids):
        ok(kid.call("card.edit", {"card_id": posted[i]["id"], "text": f"Thing {i}, edited"}))
    for i in (3, 4):
        ok(kids[i].call("card.withdraw", {"card_id": posted[i]["id"]}))
    ok(teacher.call("spotlight.set", {"card_id": posted[5]["id"]}))
    # Reactions to several cards: their counts go out in one step, to everyone.
    for i in (5, 6, 7):
        for kid in kids[:3]:
            ok(kid.call("react", {"card_id": posted[i]["id"], "reaction": "heart"}))

    for i in (5, 6, 7):
        for watcher in (teacher, cohost, stage, *kids):
            watcher.wait_for("reactions", lambda d, c=posted[i]["id"]: d["card_id"] == c
                             and d["counts"] == {"heart": 3})
    teacher.wait_for("answered", lambda d: d["count"] == KIDS - 2)
    cohost.wait_for("answered", lambda d: d["count"] == KIDS - 4)
    stage.wait_for("answered", lambda d: d["count"] == KIDS - 2)

    def card_is(c: dict[str, Any]) -> Any:
        return lambda d: d.get("card", {}).get("id") == c["id"] or d.get("card_id") == c["id"]

    for who in (teacher, cohost, *kids):
        for i, c in enumerate(posted):
            mine = who is kids[i]
            sees = who is teacher or mine or i >= 2
            added = positions(who, "card.added", card_is(c))
            updated = positions(who, "card.updated", card_is(c))
            removed = positions(who, "card.removed", card_is(c))
            if not sees:
                assert added == updated == removed == [], (i, who.events)
                continue
            if mine and who is not teacher:
                # The author's own card: posted through their ack; the class's copy, if any,
                # comes as `card.added` once.
                assert len(added) <= 1
            else:
                assert len(added) == 1, (i, added)
            assert len(updated) == 1 and (not added or added[0] < updated[0]), (i, who.events)
            assert len(removed) == (1 if i in (3, 4) else 0)
            assert all(updated[0] < r for r in removed)
    # The last count each got is the count after the withdrawals.
    assert teacher.received("answered")[-1]["count"] == KIDS - 2
    assert stage.received("answered")[-1]["count"] == KIDS - 2
    # A class card reaches a student before the spotlight on it (the spotlight sent what was
    # waiting first).
    for kid in kids:
        added = positions(kid, "card.added", card_is(posted[5]))
        spot = positions(kid, "spotlight", lambda d: (d["card"] or {}).get("id")
                         == posted[5]["id"])
        assert spot and (not added or added[0] < spot[0]), kid.events
    # Fewer messages than events: the bursts came as batches.
    for who in (teacher, cohost, stage, *kids):
        assert who.batches, who.events
        assert all(len(b["events"]) > 1 for b in who.batches)
