"""Sockets against a live gevent server on the real Redis: why a connection is refused, how
many one seat may hold, and how fast one seat may talk."""

from __future__ import annotations

from typing import Any

import pytest
import socketio

from server.domain.limits import SEAT_SOCKETS
from tests.conftest import card, create_class, ok, start_open_round

pytestmark = pytest.mark.redis


def refusal(url: str, auth: dict[str, Any]) -> Any:
    """What a client's `connect_error` handler receives when the server refuses it."""
    got: list[Any] = []
    client = socketio.Client(reconnection=False)
    client.on("connect_error", got.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(url, auth=auth, transports=["websocket"], wait_timeout=10)
    assert got, "no connect_error"
    return got[0]


def test_a_refused_connection_says_why(live_server) -> None:
    klass = create_class(live_server.url)
    seat = klass.join("Ana")
    for auth in ({"token": "not-a-real-token"}, {}, {"token": seat["seat_token"] + "x"}):
        data = refusal(live_server.url, auth)
        assert data["message"] == "not_authorised"
        assert data["data"]["code"] == "not_authorised" and data["data"]["message"]


def test_a_seat_beyond_its_socket_cap_closes_the_oldest(live_server, clients) -> None:
    klass = create_class(live_server.url)
    seat = klass.join("Ana")
    teacher = clients(live_server.url, {"token": klass.teacher_secret})
    first = clients(live_server.url, {"token": seat["seat_token"]})
    first.wait_for("snapshot")
    rest = [clients(live_server.url, {"token": seat["seat_token"]}) for _ in range(SEAT_SOCKETS)]
    closed = first.wait_for("closed")
    assert closed["reason"] == "too_many_connections" and "another screen" in closed["message"]
    first.wait_for("disconnect")
    assert all(r.sio.connected for r in rest)
    assert ok(rest[-1].call("snapshot.get", {}))["snapshot"]["you"]["name"] == "Ana"
    # The student never looked offline to the teacher.
    presence = teacher.received("presence")
    assert presence and all(p["online"] for p in presence)


def test_a_retried_reply_is_stored_once(live_server, clients) -> None:
    """`unavailable` may or may not have happened: the same client id makes one reply."""
    klass = create_class(live_server.url)
    teacher = clients(live_server.url, {"token": klass.teacher_secret})
    kid = clients(live_server.url, {"token": klass.join("Ana")["seat_token"]})
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
    kid.wait_for("reply", lambda d: d["reply"]["id"] == other["id"])
    assert len(kid.received("reply")) == 2  # the retry was not sent to the student again
