"""Faults, with real processes: Redis dies, the server dies, a client's network goes away.

Each test runs its own redis-server (append-only file, fsync every second) or server process,
so killing it disturbs nothing else.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import requests

from tests.conftest import card, create_class, free_port, need, ok, refusal, start_open_round


class RedisProcess:
    """A private redis-server we may kill -9 and start again on the same data."""

    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.dir = data_dir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", str(self.dir), "--appendonly", "yes", "--appendfsync", "everysec",
             "--save", "", "--logfile", str(self.dir / "redis.log")])
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if client.ping():
                    return
            except (redis.ConnectionError, redis.BusyLoadingError):
                time.sleep(0.05)  # polling an external process for readiness
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisProcess]:
    need(shutil.which("redis-server") is not None, "redis-server is not installed")
    server = RedisProcess(tmp_path)
    server.start()
    yield server
    if server.proc and server.proc.poll() is None:
        server.kill()


def aof_contains(data_dir: Path, needle: str) -> bool:
    return any(needle.encode() in p.read_bytes() for p in data_dir.rglob("*.aof*")
               if p.is_file())


def test_redis_killed_mid_round(own_redis, make_server, clients) -> None:
    server = make_server(REDIS_URL=own_redis.url, ASYNC_MODE="gevent")
    klass = create_class(server.url)
    teacher = clients(server.url, {"token": klass.teacher_secret})
    seats = [klass.join(f"Kid {i}") for i in range(5)]
    kids = [clients(server.url, {"token": s["seat_token"]}) for s in seats]
    start_open_round(teacher)
    acked = [ok(k.call("card.submit", card(f"before-kill-{i}", f"Card {i}")))["card"]["id"]
             for i, k in enumerate(kids[:4])]
    # The append-only file has them (fsync'd within a second: everysec).
    deadline = time.monotonic() + 5
    while not all(aof_contains(own_redis.dir, cid) for cid in acked):
        assert time.monotonic() < deadline, "cards never reached the append-only file"
        time.sleep(0.05)  # polling an external file
    time.sleep(1.1)  # the promise covers cards acknowledged more than a second before a crash
    own_redis.kill()

    # While Redis is down: a clear error, fast, and the server stays up.
    started = time.monotonic()
    down = kids[4].call("card.submit", card("during-outage", "Lost?"), timeout=15)
    assert down["ok"] is False and down["error"]["code"] == "unavailable"
    assert time.monotonic() - started < 10
    health = requests.get(f"{server.url}/healthz", timeout=15)
    assert health.status_code == 503 and health.json()["redis"] == "down"
    assert server.proc is not None and server.proc.poll() is None
    # A new connection is refused as "unavailable" (retry, keep the seat), not "not_authorised".
    assert refusal(server.url, {"token": seats[0]["seat_token"]})["message"] == "unavailable"

    own_redis.start()
    # It recovers on its own: clients are told to resync, and the cards are all there.
    teacher.wait_for("resync", timeout=20)
    snap = ok(teacher.call("snapshot.get", {}))["snapshot"]
    assert set(acked) <= {c["id"] for c in snap["cards"]}
    assert snap["round"]["status"] == "open"
    retried = ok(kids[4].call("card.submit", card("during-outage", "Lost?")))
    assert retried["duplicate"] is False
    teacher.wait_for("card.added", lambda d: d["card"]["id"] == retried["card"]["id"],
                     timeout=30)
    assert requests.get(f"{server.url}/healthz", timeout=10).status_code == 200


def test_server_killed_mid_rotation_resumes(redis_url, make_server, clients) -> None:
    server = make_server(REDIS_URL=redis_url, ASYNC_MODE="gevent")
    klass = create_class(server.url)
    teacher = clients(server.url, {"token": klass.teacher_secret})
    seats = [klass.join(n) for n in ("Ana", "Ben", "Cy", "Di")]
    kids = [clients(server.url, {"token": s["seat_token"]}) for s in seats]
    for k in kids:
        k.wait_for("snapshot")
    teacher.wait_for("snapshot", lambda d: True)
    teacher.wait_for("presence", lambda d: d["student_id"] == seats[-1]["student_id"])
    ok(teacher.call("rotation.plan", {"size": 2, "rotations": 3, "minutes": 5}))
    ok(teacher.call("rotation.start", {}))
    started = teacher.wait_for("rotation.changed", lambda d: d["set"].get("status") == "running")
    before = {"id": started["id"], **started["set"]}
    server.stop("kill")
    server.start()
    again = clients(server.url, {"token": seats[0]["seat_token"]})
    view = again.wait_for("snapshot")["rotation"]
    assert view["status"] == "running" and view["current"] == 0
    assert view["deadline"] == before["deadline"]
    # The timer still fires after the restart (brought forward rather than waited for).
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    r.zadd("rp:deadlines", {f"rotation|{klass.class_id}|{before['id']}:0": 0})
    again.wait_for("rotation.updated", lambda d: d["rotation"].get("current") == 1)


class FlakyProxy:
    """A TCP proxy whose 'network' can be cut: open connections drop, new ones are refused."""

    def __init__(self, target_port: int) -> None:
        self.target = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.conns: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target))
            with self.lock:
                self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.up = False
        with self.lock:
            for s in self.conns:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
            self.conns.clear()

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self.listener.close()


def test_client_offline_for_30_seconds_comes_back_the_same(live_server, clients) -> None:
    klass = create_class(live_server.url)
    teacher = clients(live_server.url, {"token": klass.teacher_secret})
    seat = klass.join("Ana")
    proxy = FlakyProxy(int(live_server.url.rsplit(":", 1)[1]))
    try:
        ana = clients(f"http://127.0.0.1:{proxy.port}", {"token": seat["seat_token"]},
                      reconnection=True)
        ana.wait_for("snapshot")
        start_open_round(teacher)
        first = ok(ana.call("card.submit", card("offline-card-1", "Sent before the outage")))
        proxy.cut()
        teacher.wait_for("presence", lambda d: d["online"] is False, timeout=60)
        time.sleep(30)  # the scenario: thirty seconds without a network
        proxy.restore()
        snaps = lambda d: d["you"]["id"] == seat["student_id"]  # noqa: E731
        ana.wait_for("snapshot", snaps)
        deadline = time.monotonic() + 30
        while len(ana.received("snapshot")) < 2:
            assert time.monotonic() < deadline, "no fresh snapshot after reconnecting"
            ana.wait_for("snapshot", timeout=max(0.1, deadline - time.monotonic()))
        while "/" not in ana.sio.namespaces:  # the snapshot can beat the connect packet
            assert time.monotonic() < deadline, "never reconnected"
            time.sleep(0.01)  # polling the client library's own state
        latest = ana.received("snapshot")[-1]
        assert latest["you"]["id"] == seat["student_id"]
        assert [c["id"] for c in latest["cards"]] == [first["card"]["id"]]
        # The app retries the submission it was not sure about: stored once.
        again = ok(ana.call("card.submit", card("offline-card-1", "Sent before the outage")))
        assert again["duplicate"] is True and again["card"]["id"] == first["card"]["id"]
        teacher.wait_for("presence", lambda d: d["online"] is True)
    finally:
        proxy.close()


def test_ghosts_of_a_killed_server_are_not_online(redis_url, make_server, clients) -> None:
    """kill -9 with students connected, restart: nobody is shown online, nobody gets a room."""
    server = make_server(REDIS_URL=redis_url, ASYNC_MODE="gevent")
    klass = create_class(server.url)
    teacher = clients(server.url, {"token": klass.teacher_secret})
    seats = [klass.join(n) for n in ("Ana", "Ben", "Cy", "Di")]
    for s in seats:
        clients(server.url, {"token": s["seat_token"]}).wait_for("snapshot")
    for s in seats:
        teacher.wait_for("presence", lambda d, s=s: d == {"student_id": s["student_id"],
                                                          "online": True})
    server.stop("kill")
    server.start()
    teacher = clients(server.url, {"token": klass.teacher_secret})
    snap = teacher.wait_for("snapshot")
    assert [s["online"] for s in snap["students"]] == [False] * 4
    planned = teacher.call("rotation.plan", {"size": 2, "rotations": 2, "minutes": 5})
    assert planned["ok"] is False and "no students present" in planned["error"]["message"]
    # One student comes back: online again, and the only one a plan places.
    clients(server.url, {"token": seats[0]["seat_token"]}).wait_for("snapshot")
    teacher.wait_for("presence", lambda d: d == {"student_id": seats[0]["student_id"],
                                                 "online": True})
    snap = ok(teacher.call("snapshot.get", {}))["snapshot"]
    online = {s["id"] for s in snap["students"] if s["online"]}
    assert online == {seats[0]["student_id"]}
    ok(teacher.call("rotation.plan", {"size": 2, "rotations": 2, "minutes": 5}))
    plan = teacher.wait_for("rotation.updated")["rotation"]
    placed = {s["id"] for rotation in plan["rotations"] for room in rotation for s in room}
    assert placed == {seats[0]["student_id"]}


def test_a_store_timeout_is_no_outage_and_may_have_happened(own_redis, make_server,
                                                             clients) -> None:
    """Writes stall for ~5.6 s (CLIENT PAUSE WRITE) while reads go on: a student's card times
    out as `unavailable` ("may or may not have happened"). Nobody is told to resync (that is
    for real outages), and retries with the same client id make one card."""
    server = make_server(REDIS_URL=own_redis.url, ASYNC_MODE="gevent")
    klass = create_class(server.url)
    other = create_class(server.url, name="Another class")
    teacher = clients(server.url, {"token": klass.teacher_secret})
    bystander = clients(server.url, {"token": other.teacher_secret})
    kid = clients(server.url, {"token": klass.join("Ana")["seat_token"]})
    opened = start_open_round(teacher, timer=600)
    bystander.wait_for("snapshot")
    admin = redis.Redis(port=own_redis.port)
    admin.execute_command("CLIENT", "PAUSE", 5600, "WRITE")
    first = kid.call("card.submit", card("slow-store-1", "Hello"), timeout=20)
    assert first["ok"] is False and first["error"]["code"] == "unavailable"
    assert "may or may not" in first["error"]["message"]
    retried = ok(kid.call("card.submit", card("slow-store-1", "Hello"), timeout=20))
    again = ok(kid.call("card.submit", card("slow-store-1", "Hello")))
    assert again["duplicate"] is True and again["card"]["id"] == retried["card"]["id"]
    # Barrier: the scheduler fires a timer after the failure (its writes wait for the pause
    # to end), and a round trip follows; any resync would have been sent before both.
    admin.zadd("rp:deadlines", {f"round|{klass.class_id}|{opened['id']}": 0})
    teacher.wait_for("round.updated", lambda d: d["round"]["status"] == "closed", timeout=20)
    ok(bystander.call("snapshot.get", {}))
    ok(teacher.call("snapshot.get", {}))
    assert teacher.received("resync") == [] and bystander.received("resync") == []
    assert [c["card"]["author"] for c in teacher.received("card.added")] == ["Ana"]
