"""Show-and-tell rounds end to end: real Redis, a live gevent server, real Socket.IO clients.
A journey smoke, the restart and two processes sharing one deadline; the rules themselves are
tested in process (test_rounds.py)."""

from __future__ import annotations

import pytest
import redis
import requests

from tests.conftest import ClassInfo, card, create_class, ok, start_open_round

pytestmark = pytest.mark.redis

SECRET_REPLY = "only-for-you-7f3a"
SECRET_CARD = "private-card-91c2"


def test_round_journey_on_a_live_server(live_server, clients) -> None:
    """One round through the real stack: cards, a private card and its reply, reactions
    flushed by the real loop, and what each audience's socket received."""
    klass = create_class(live_server.url)
    teacher = clients(live_server.url, {"token": klass.teacher_secret})
    cohost = clients(live_server.url, {"token": klass.cohost_secret})
    stage = clients(live_server.url, {"token": klass.teacher_secret, "view": "stage"})
    seats = [klass.join(f"Student {i}") for i in range(3)]
    students = [clients(live_server.url, {"token": s["seat_token"]}) for s in seats]
    for s in students:
        s.wait_for("snapshot")
    start_open_round(teacher)
    for s in students:
        s.wait_for("round.updated", lambda d: d["round"]["status"] == "open")
    private = ok(students[0].call("card.submit", card("c-private-0", SECRET_CARD, "teacher")))
    shared = [ok(s.call("card.submit", card(f"card-{i:04d}", f"My card number {i}")))
              for i, s in enumerate(students[1:], start=1)]
    teacher.wait_for("answered", lambda d: d["count"] == 3)
    assert stage.wait_for("answered", lambda d: d["count"] == 3) == {"count": 3,
                                                                     "student_count": 3}
    ok(teacher.call("reply.send", {"card_id": private["card"]["id"], "text": SECRET_REPLY}))
    students[0].wait_for("reply", lambda d: d["reply"]["text"] == SECRET_REPLY)
    ok(students[0].call("react", {"card_id": shared[0]["card"]["id"], "reaction": "heart"}))
    stage.wait_for("reactions", lambda d: d["counts"] == {"heart": 1})
    probe = clients(live_server.url, {"token": seats[1]["seat_token"]})
    assert [c["id"] for c in probe.wait_for("snapshot")["cards"]] == \
        [shared[0]["card"]["id"], shared[1]["card"]["id"]]
    for c in (students[1], students[2], cohost, stage, probe):
        assert SECRET_CARD not in repr(c.events) and SECRET_REPLY not in repr(c.events)
    assert not any(s["student_id"] in repr(stage.events) for s in seats)


def test_an_open_round_survives_a_restart_and_its_timer_fires_after(make_server, redis_url,
                                                                    clients) -> None:
    server = make_server(REDIS_URL=redis_url, ASYNC_MODE="gevent")
    klass = create_class(server.url)
    teacher = clients(server.url, {"token": klass.teacher_secret})
    seat = klass.join("Ana")
    opened = start_open_round(teacher, timer=30)
    student = clients(server.url, {"token": seat["seat_token"]})
    posted = ok(student.call("card.submit", card("ana-card-0001", "Before the restart")))
    server.stop("kill")
    server.start()
    student_back = clients(server.url, {"token": seat["seat_token"]})
    again = student_back.wait_for("snapshot")
    assert again["round"]["status"] == "open"
    assert again["round"]["deadline"] == opened["deadline"]
    assert [c["id"] for c in again["cards"]] == [posted["card"]["id"]]
    left_ms = again["round"]["deadline"] - again["round"]["server_time"]
    assert 0 < left_ms <= 30_000
    teacher2 = clients(server.url, {"token": klass.teacher_secret})
    ok(teacher2.call("round.extend", {"seconds": 10}))
    # The restarted server fires the deadline it found in Redis: brought to now instead of
    # sleeping 40 s (the timer's own timing is tested in process, by the clock: test_rounds.py).
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    member = f"round|{klass.class_id}|{opened['id']}"
    assert r.zadd("rp:deadlines", {member: 0}, xx=True, ch=True) == 1  # it was scheduled
    closed = teacher2.wait_for("round.updated", lambda d: d["round"]["status"] == "closed")
    assert closed["round"]["id"] == opened["id"] and closed["round"]["closed_at"] is not None
    student_back.wait_for("round.updated", lambda d: d["round"]["status"] == "closed")
    probe = clients(server.url, {"token": klass.teacher_secret}).wait_for("snapshot")
    assert probe["round"]["status"] == "closed"
    assert r.zscore("rp:deadlines", member) is None
    closes = [e for e in teacher2.received("round.updated") if e["round"]["status"] == "closed"]
    assert len(closes) == 1
    assert teacher2.call("round.close", {})["ok"] is False


def test_deadline_fires_exactly_once_with_two_processes(make_server, redis_url, clients) -> None:
    first = make_server(REDIS_URL=redis_url, ASYNC_MODE="gevent")
    second = make_server(REDIS_URL=redis_url, ASYNC_MODE="gevent")
    klass = create_class(first.url)
    teacher = clients(first.url, {"token": klass.teacher_secret})
    watcher = clients(second.url, {"token": klass.join("Eve")["seat_token"]})
    start_open_round(teacher, timer=30)
    # Bring the deadline to now (as if 30 s had passed) without sleeping in the test.
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    round_id = r.get(f"rp:class:{klass.class_id}:round")
    member = f"round|{klass.class_id}|{round_id}"
    r.zadd("rp:deadlines", {member: 0})
    watcher.wait_for("round.updated", lambda d: d["round"]["status"] == "closed")
    teacher.wait_for("round.updated", lambda d: d["round"]["status"] == "closed")
    # One close, seen once by each socket even though both processes watch the deadline.
    probe = clients(first.url, {"token": klass.teacher_secret})
    probe.wait_for("snapshot")
    closes = [e for e in watcher.received("round.updated") if e["round"]["status"] == "closed"]
    assert len(closes) == 1




def upload(klass: ClassInfo, token: str, data: bytes, name: str = "photo.jpg"
           ) -> requests.Response:
    """A photo upload to a live server (the rules of photos: test_rounds.py, in process)."""
    return requests.post(f"{klass.base}/api/classes/{klass.class_id}/photos",
                         files={"photo": (name, data, "image/jpeg")},
                         headers={"Authorization": f"Bearer {token}"}, timeout=30)
