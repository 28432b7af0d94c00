"""Classes end to end, on a live gevent server and a real Redis: a join journey over real
sockets (presence, removal closing the socket), the handshake's origin check and the health
of the real store. The rules of classes, roles and joining: test_classes.py, in process."""

from __future__ import annotations

import pytest
import requests
import socketio

from tests.conftest import ClassInfo, create_class

pytestmark = pytest.mark.redis


@pytest.fixture
def klass(live_server) -> ClassInfo:
    return create_class(live_server.url)


def test_join_and_rejoin_with_seat_token(live_server, klass: ClassInfo, clients) -> None:
    teacher = clients(live_server.url, {"token": klass.teacher_secret})
    seat = klass.join("Ana")
    joined = teacher.wait_for("student.joined")
    assert joined["student"]["name"] == "Ana"
    student = clients(live_server.url, {"token": seat["seat_token"]})
    snap = student.wait_for("snapshot")
    assert snap["role"] == "student" and snap["you"]["id"] == seat["student_id"]
    assert "join_code" not in snap["class"] and "students" not in snap
    teacher.wait_for("presence", lambda d: d == {"student_id": seat["student_id"],
                                                  "online": True})
    student.close()
    teacher.wait_for("presence", lambda d: d["online"] is False)
    again = clients(live_server.url, {"token": seat["seat_token"]})
    assert again.wait_for("snapshot")["you"]["id"] == seat["student_id"]


def test_removed_student_is_disconnected_and_refused(live_server, klass, clients) -> None:
    seat = klass.join("Dee")
    student = clients(live_server.url, {"token": seat["seat_token"]})
    student.wait_for("snapshot")
    teacher = clients(live_server.url, {"token": klass.teacher_secret})
    assert teacher.call("student.remove", {"student_id": seat["student_id"]})["ok"]
    student.wait_for("removed")
    teacher.wait_for("student.removed")
    with pytest.raises(socketio.exceptions.ConnectionError):
        clients(live_server.url, {"token": seat["seat_token"]})
    # The name is free again, and the old student is gone from the teacher's snapshot.
    klass.join("Dee")
    fresh = clients(live_server.url, {"token": klass.teacher_secret})
    ids = [s["id"] for s in fresh.wait_for("snapshot")["students"]]
    assert seat["student_id"] not in ids


def test_foreign_origin_handshake_is_refused(live_server, klass, clients) -> None:
    handshake = f"{live_server.url}/socket.io/?EIO=4&transport=polling"
    foreign = requests.get(handshake, headers={"Origin": "http://evil.example"}, timeout=10)
    assert foreign.status_code == 400
    own = requests.get(handshake, headers={"Origin": live_server.url}, timeout=10)
    assert own.status_code == 200 and own.text.startswith("0{")
    with pytest.raises((socketio.exceptions.ConnectionError, ValueError)):
        clients(live_server.url, {"token": klass.teacher_secret},
                headers={"Origin": "http://evil.example"})


def test_healthz_and_openapi(live_server) -> None:
    health = requests.get(f"{live_server.url}/healthz", timeout=10)
    assert health.status_code == 200
    assert health.json()["store"] == "redis" and health.json()["redis"] == "ok"
    doc = requests.get(f"{live_server.url}/api/openapi.json", timeout=10).json()
    assert doc["openapi"].startswith("3.")
    assert {"/api/classes", "/api/join", "/healthz"} <= set(doc["paths"])


