"""Sockets, in process: why a connection is refused, how many one seat may hold, and a retried
reply. (A refusal as a real client's `connect_error` sees it: test_faults.py, live.)"""

from __future__ import annotations

from server.domain.limits import SEAT_SOCKETS
from tests.conftest import card, ok, start_open_round
from tests.inprocess import InProcessApp


def test_a_refused_connection_says_why(rapport: InProcessApp) -> None:
    klass = rapport.create_class()
    seat = klass.join("Ana")
    for auth in ({"token": "not-a-real-token"}, {}, {"token": seat["seat_token"] + "x"}):
        data = rapport.connect(auth).refused
        assert data["message"] == "not_authorised"
        assert data["data"]["code"] == "not_authorised" and data["data"]["message"]


def test_a_seat_beyond_its_socket_cap_closes_the_oldest(rapport: InProcessApp) -> None:
    klass = rapport.create_class()
    seat = klass.join("Ana")
    teacher = rapport.connect({"token": klass.teacher_secret})
    first = rapport.connect({"token": seat["seat_token"]})
    first.first("snapshot")
    rest = [rapport.connect({"token": seat["seat_token"]}) for _ in range(SEAT_SOCKETS)]
    closed = first.first("closed")
    assert closed["reason"] == "too_many_connections" and "another screen" in closed["message"]
    assert not first.is_connected()
    assert all(r.is_connected() for r in rest)
    assert ok(rest[-1].call("snapshot.get", {}))["snapshot"]["you"]["name"] == "Ana"
    # The student never looked offline to the teacher.
    presence = teacher.received("presence")
    assert presence and all(p["online"] for p in presence)


def test_a_retried_reply_is_stored_once(rapport: InProcessApp) -> None:
    """`unavailable` may or may not have happened: the same client id makes one reply."""
    klass = rapport.create_class()
    teacher = rapport.connect({"token": klass.teacher_secret})
    kid = rapport.connect({"token": klass.join("Ana")["seat_token"]})
    start_open_round(teacher)
    posted = ok(kid.call("card.submit", card("reply-retry-card", "My map", "teacher")))
    send = {"card_id": posted["card"]["id"], "text": "Love it!", "client_id": "reply-retry-1"}
    first = ok(teacher.call("reply.send", send))
    again = ok(teacher.call("reply.send", send))
    assert first["duplicate"] is False and again == {**first, "duplicate": True}
    other = ok(teacher.call("reply.send", {**send, "client_id": "reply-retry-2"}))["reply"]
    snap = ok(kid.call("snapshot.get", {}))["snapshot"]
    assert [r["text"] for r in snap["replies"]] == ["Love it!", "Love it!"]
    # Events keep their order: once the later reply is in, a resent one would be too.
    kid.first("reply", lambda d: d["reply"]["id"] == other["id"])
    assert len(kid.received("reply")) == 2  # the retry was not sent to the student again
