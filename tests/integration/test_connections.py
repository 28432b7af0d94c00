"""Sockets against a live gevent server on the real Redis: why a connection is refused, how
many one seat may hold, and how fast one seat may talk."""

from __future__ import annotations

from typing import Any

import pytest
import socketio

from tests.conftest import create_class

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
