"""Malformed input always gets a clear JSON error or error ack, never an HTML page, a
RecursionError or silence."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
import websocket

from tests.conftest import create_class

pytestmark = pytest.mark.redis


def test_every_api_refusal_is_json(live_server) -> None:
    base = live_server.url
    # 100,000 nested brackets (the finding): over the JSON size limit, refused unparsed.
    deepest = requests.post(f"{base}/api/join", data="[" * 100_000,
                            headers={"Content-Type": "application/json"}, timeout=30)
    assert deepest.status_code == 413 and deepest.json()["error"]["code"] == "too_large"
    deep = requests.post(f"{base}/api/join", data="[" * 60_000,
                         headers={"Content-Type": "application/json"}, timeout=30)
    assert deep.status_code == 400, deep.text[:300]
    assert deep.json()["error"]["code"] == "invalid"
    assert "nests more than" in deep.json()["error"]["message"]
    broken = requests.post(f"{base}/api/classes", data='{"name": "Bio", ',
                           headers={"Content-Type": "application/json"}, timeout=10)
    assert broken.status_code == 400 and broken.json()["error"]["message"] == (
        "That message is not valid JSON.")
    padded = requests.post(f"{base}/api/join", data=json.dumps({"code": "x" * 70_000}),
                           headers={"Content-Type": "application/json"}, timeout=10)
    assert padded.status_code == 413 and padded.json()["error"]["code"] == "too_large"
    # 7 MB: over the whole-request limit, refused by Werkzeug while reading, still JSON.
    klass = create_class(base)
    seat = klass.join("Ana")
    huge = requests.post(f"{base}/api/classes/{klass.class_id}/photos",
                         files={"photo": ("big.jpg", b"x" * (7 * 1024 * 1024), "image/jpeg")},
                         headers={"Authorization": f"Bearer {seat['seat_token']}"}, timeout=30)
    assert huge.status_code == 413, huge.text[:300]
    assert huge.headers["Content-Type"].startswith("application/json")
    assert huge.json()["error"] == {"code": "too_large",
                                    "message": "The request is too large: at most 6 MiB."}
    for method, path in (("GET", "/api/no-such-thing"), ("PUT", "/api/join")):
        answer = requests.request(method, f"{base}{path}", timeout=10)
        assert answer.headers["Content-Type"].startswith("application/json"), (method, path)
        assert set(answer.json()["error"]) == {"code", "message"}


class RawSocket:
    """Engine.IO v4 / Socket.IO v5 over a bare websocket, to send packets no client library
    would produce."""

    def __init__(self, base: str, auth: dict[str, Any]) -> None:
        url = base.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        self.ws = websocket.create_connection(url, timeout=10, origin=base)
        assert self.ws.recv().startswith("0")  # Engine.IO open
        self.ws.send("40" + json.dumps(auth))
        assert self.next_message().startswith("40")

    def next_message(self) -> str:
        while True:
            frame = self.ws.recv()
            if frame == "2":  # Engine.IO ping
                self.ws.send("3")
                continue
            if frame.startswith("42"):  # a broadcast event: not what we wait for
                continue
            return frame

    def ack(self, ack_id: int) -> Any:
        prefix = f"43{ack_id}"
        while True:
            frame = self.next_message()
            if frame.startswith(prefix) and not frame[len(prefix)].isdigit():
                return json.loads(frame[len(prefix):])[0]


def test_malformed_socket_packets_with_an_ack_id_get_an_error_ack(live_server) -> None:
    klass = create_class(live_server.url)
    raw = RawSocket(live_server.url, {"token": klass.teacher_secret})
    sent = {
        1: '["snapshot.get",' + "[" * 60_000,              # deep (under the 64 KiB cap)
        2: '["round.start",{"prompt_id":',                  # cut short
        3: '{"event":"round.start"}',                       # not [name, payload]
        4: "[]",                                            # no event name
        5: '["round.start",{"prompt_id":"x"}] trailing',    # junk after the JSON
    }
    for ack_id, payload in sent.items():
        raw.ws.send(f"42{ack_id}{payload}")
        answer = raw.ack(ack_id)
        assert answer["ok"] is False and answer["error"]["code"] == "invalid", (ack_id, answer)
        assert answer["error"]["message"], ack_id
    raw.ws.send('426["snapshot.get",{}]')  # the socket is still served
    assert raw.ack(6)["snapshot"]["role"] == "teacher"
    raw.ws.close()
