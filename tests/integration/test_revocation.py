"""Revocation cuts a socket off at once, on every process.

A socket's sender is checked once, at connect, and kept in its process's memory
(server/realtime/senders.py). So a removed student, a rotated teacher link and a deleted class
must close the sockets they concern at once, wherever those sockets are, and what such a
socket sends afterwards must not be served. The sockets here are bare websockets that ignore
the server's disconnect and keep sending, as a misbehaving client would.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import requests
import websocket

from tests.conftest import ClassInfo, LiveServer, create_class

pytestmark = pytest.mark.redis


class Stubborn:
    """Engine.IO v4 / Socket.IO v5 over a bare websocket, which keeps the connection after
    the server disconnects it from the namespace and sends on regardless."""

    def __init__(self, base: str, auth: dict[str, Any]) -> None:
        url = base.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        self.base, self.auth = base, auth
        self.frames: list[str] = []
        self.ws = websocket.create_connection(url, timeout=10, origin=base)
        assert self.ws.recv().startswith("0")  # Engine.IO open
        self.ws.send("40" + json.dumps(auth))
        self.until(lambda f: f.startswith("40"))
        if not self.events("snapshot"):  # (sent from the connect handler: it may come first)
            self.until(lambda f: f.startswith('42["snapshot"'))

    def until(self, wanted: Callable[[str], bool]) -> str:
        """Read frames (all kept) up to the first one that is `wanted`."""
        while True:
            frame = self.ws.recv()
            if frame == "2":  # Engine.IO ping
                self.ws.send("3")
                continue
            self.frames.append(frame)
            if wanted(frame):
                return frame

    def events(self, name: str) -> list[Any]:
        prefix = f'42["{name}",'
        return [json.loads(f[2:])[1] for f in self.frames if f.startswith(prefix)]

    def cut_off(self) -> None:
        """Wait for the server's disconnect, then send an event anyway (ack id 7): it must get
        no answer. A connect request sent after it is the barrier: answered (refused) only
        after the event was dropped or served. A fresh connection is refused outright."""
        self.until(lambda f: f == "41")
        self.ws.send('427["snapshot.get",{}]')
        self.ws.send("40" + json.dumps(self.auth))
        answer = self.until(lambda f: f.startswith(("44", "40")))
        assert answer.startswith("44"), answer
        assert not [f for f in self.frames if f.startswith("437")], self.frames
        self.ws.close()
        assert connect_refusal(self.base, self.auth) == "not_authorised"


def connect_refusal(base: str, auth: dict[str, Any]) -> str | None:
    """The code a fresh connection with `auth` is refused with (None: it was accepted)."""
    url = base.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    ws = websocket.create_connection(url, timeout=10, origin=base)
    try:
        assert ws.recv().startswith("0")
        ws.send("40" + json.dumps(auth))
        while True:
            frame = ws.recv()
            if frame.startswith("44"):
                return str(json.loads(frame[2:])["data"]["code"])
            if frame.startswith("40"):
                return None
    finally:
        ws.close()


def _auth(klass: ClassInfo) -> dict[str, str]:
    return {"Authorization": f"Bearer {klass.teacher_secret}"}


def remove(teacher: Any, student_id: str) -> None:
    assert teacher.call("student.remove", {"student_id": student_id})["ok"]


def rotate_teacher_link(base: str, klass: ClassInfo) -> str:
    r = requests.post(f"{base}/api/classes/{klass.class_id}/secrets/teacher",
                      headers=_auth(klass), timeout=10)
    assert r.status_code == 200, r.text
    return str(r.json()["secret"])


def delete_class(base: str, klass: ClassInfo) -> None:
    r = requests.delete(f"{base}/api/classes/{klass.class_id}", headers=_auth(klass),
                        timeout=10)
    assert r.status_code == 204, r.text


def test_a_removed_student_is_cut_off_and_refused(live_server, clients) -> None:
    klass = create_class(live_server.url)
    seat, other = klass.join("Ana"), klass.join("Ben")
    ana = Stubborn(live_server.url, {"token": seat["seat_token"]})
    ben = clients(live_server.url, {"token": other["seat_token"]})
    teacher = clients(live_server.url, {"token": klass.teacher_secret})
    remove(teacher, seat["student_id"])
    ana.cut_off()
    assert ana.events("removed"), ana.frames  # told why, before the disconnect
    assert ben.call("snapshot.get", {})["ok"]  # the classmate is not touched


def test_a_rotated_teacher_link_cuts_off_its_sockets(live_server, clients) -> None:
    klass = create_class(live_server.url)
    page = Stubborn(live_server.url, {"token": klass.teacher_secret})
    stage = Stubborn(live_server.url, {"token": klass.teacher_secret, "view": "stage"})
    cohost = clients(live_server.url, {"token": klass.cohost_secret})
    fresh = rotate_teacher_link(live_server.url, klass)
    page.cut_off()
    stage.cut_off()
    assert cohost.call("snapshot.get", {})["ok"]  # another credential: still served
    assert clients(live_server.url, {"token": fresh}).wait_for("snapshot")["role"] == "teacher"


def test_a_deleted_class_cuts_off_every_socket(live_server) -> None:
    klass = create_class(live_server.url)
    seat = klass.join("Ana")
    sockets = [Stubborn(live_server.url, {"token": token}) for token in
               (klass.teacher_secret, klass.cohost_secret, seat["seat_token"])]
    delete_class(live_server.url, klass)
    for socket in sockets:
        socket.cut_off()
        assert socket.events("class.deleted"), socket.frames


@pytest.fixture
def two_processes(redis_url, make_server) -> tuple[LiveServer, LiveServer]:
    env = {"REDIS_URL": redis_url, "ASYNC_MODE": "gevent"}
    return make_server(**env), make_server(**env)


def test_revocations_reach_sockets_on_another_process(two_processes, clients) -> None:
    a, b = two_processes
    klass = create_class(a.url)
    seat, other = klass.join("Ana"), klass.join("Ben")
    teacher = clients(a.url, {"token": klass.teacher_secret})
    on_b = Stubborn(b.url, {"token": seat["seat_token"]})
    ben_on_b = clients(b.url, {"token": other["seat_token"]})
    teacher_on_b = Stubborn(b.url, {"token": klass.teacher_secret})

    remove(teacher, seat["student_id"])  # on A
    on_b.cut_off()
    assert on_b.events("removed"), on_b.frames
    assert ben_on_b.call("snapshot.get", {})["ok"]

    fresh = rotate_teacher_link(a.url, klass)  # on A: the teacher's page on B is closed
    teacher_on_b.cut_off()
    assert teacher.wait_for("disconnect") is None  # and so is the one on A

    klass.teacher_secret = fresh
    sockets = [Stubborn(b.url, {"token": fresh}), Stubborn(b.url, {"token": other["seat_token"]})]
    delete_class(a.url, klass)
    for socket in sockets:
        socket.cut_off()
        assert socket.events("class.deleted"), socket.frames
