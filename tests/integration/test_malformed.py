"""Malformed input always gets a clear JSON error or error ack, never an HTML page, a
RecursionError or silence (in process: the app's own request and packet parsing)."""

from __future__ import annotations

import io
import json
from typing import Any

from tests.inprocess import Client, InProcessApp


def test_every_api_refusal_is_json(rapport: InProcessApp) -> None:
    web = rapport.web
    # 100,000 nested brackets (the finding): over the JSON size limit, refused unparsed.
    deepest = web.post("/api/join", data="[" * 100_000, content_type="application/json")
    assert deepest.status_code == 413 and deepest.get_json()["error"]["code"] == "too_large"
    deep = web.post("/api/join", data="[" * 60_000, content_type="application/json")
    assert deep.status_code == 400, deep.get_data(as_text=True)[:300]
    assert deep.get_json()["error"]["code"] == "invalid"
    assert "nests more than" in deep.get_json()["error"]["message"]
    broken = web.post("/api/classes", data='{"name": "Bio", ', content_type="application/json")
    assert broken.status_code == 400 and broken.get_json()["error"]["message"] == (
        "That message is not valid JSON.")
    padded = web.post("/api/join", data=json.dumps({"code": "x" * 70_000}),
                      content_type="application/json")
    assert padded.status_code == 413 and padded.get_json()["error"]["code"] == "too_large"
    # 7 MB: over the whole-request limit, refused by Werkzeug while reading, still JSON.
    klass = rapport.create_class()
    seat = klass.join("Ana")
    huge = web.post(f"/api/classes/{klass.class_id}/photos",
                    data={"photo": (io.BytesIO(b"x" * (7 * 1024 * 1024)), "big.jpg",
                                    "image/jpeg")},
                    content_type="multipart/form-data", headers=klass.auth(seat["seat_token"]))
    assert huge.status_code == 413, huge.get_data(as_text=True)[:300]
    assert huge.headers["Content-Type"].startswith("application/json")
    assert huge.get_json()["error"] == {"code": "too_large",
                                        "message": "The request is too large: at most 6 MiB."}
    for method, path in (("GET", "/api/no-such-thing"), ("PUT", "/api/join")):
        answer = web.open(path, method=method)
        assert answer.headers["Content-Type"].startswith("application/json"), (method, path)
        assert set(answer.get_json()["error"]) == {"code", "message"}


def raw_event(client: Client, ack_id: int, payload: str) -> Any:
    """A Socket.IO EVENT packet with an ack id and the given text as its data, handed to the
    server exactly as the transport would (no client library would produce these)."""
    client.socketio.server._handle_eio_message(client.eio_sid, f"2{ack_id}{payload}")
    ack, client.acks = client.acks, None
    assert ack is not None, f"no ack for packet {ack_id}"
    return ack["args"][0]


def test_malformed_socket_packets_with_an_ack_id_get_an_error_ack(rapport: InProcessApp) -> None:
    teacher = rapport.teacher(rapport.create_class())
    sent = {
        1: '["snapshot.get",' + "[" * 60_000,              # deep (under the 64 KiB cap)
        2: '["round.start",{"prompt_id":',                  # cut short
        3: '{"event":"round.start"}',                       # not [name, payload]
        4: "[]",                                            # no event name
        5: '["round.start",{"prompt_id":"x"}] trailing',    # junk after the JSON
    }
    for ack_id, payload in sent.items():
        answer = raw_event(teacher, ack_id, payload)
        assert answer["ok"] is False and answer["error"]["code"] == "invalid", (ack_id, answer)
        assert answer["error"]["message"], ack_id
    # The socket is still served.
    assert raw_event(teacher, 6, '["snapshot.get",{}]')["snapshot"]["role"] == "teacher"
