"""Shared fixtures: the app in this process (tests/inprocess.py: `rapport`, `make_app`,
`manual_clock`), and for the end-to-end layer a real Redis, live servers on real ports and
recording Socket.IO clients."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
import socketio

from tests.inprocess import make_app, manual_clock, rapport  # noqa: F401  (fixtures)

REPO = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"
# A database of its own (1, not the 0 a developer's Rapport uses by default): the end-to-end
# layer empties it once at the start of a session, and never touches database 0.
REDIS_URL = os.environ.get("RAPPORT_TEST_REDIS_URL", "redis://127.0.0.1:6379/1")


def need(condition: bool, reason: str) -> None:
    """Skip on a laptop without the real part; in CI a missing part is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


def redis_answers(url: str = REDIS_URL) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="session")
def redis_url() -> str:
    need(redis_answers(), f"no Redis server answers at {REDIS_URL}")
    client = redis.Redis.from_url(REDIS_URL)
    if int(client.connection_pool.connection_kwargs.get("db", 0)) != 0:
        client.flushdb()  # what earlier runs left, so key counts start from nothing
    client.close()
    return REDIS_URL


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    """A `rapport serve` process on a real port."""

    env: dict[str, str]
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> LiveServer:
        assert self.log_path is not None
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "server", "serve", "--port", str(self.port)],
            cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-3000:]}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code in (200, 503):
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.05)  # polling an external process for readiness
        raise RuntimeError(f"server did not start: {self.log_path.read_text()[-3000:]}")

    def stop(self, sig: str = "term") -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            (self.proc.kill if sig == "kill" else self.proc.terminate)()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path else ""


def server_env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("RAPPORT_") and k not in ("REDIS_URL", "ASYNC_MODE", "PUBLIC_URL")}
    # Rate limits off by default: the suite creates hundreds of classes from 127.0.0.1.
    # tests/integration/test_security.py checks the limits on a server of its own.
    env.update(RAPPORT_INSTANCE_PATH=str(tmp / "instance"), SECRET_KEY="test-secret-key-0123456789",
               PYTHONUNBUFFERED="1", RAPPORT_RATE_LIMITS="off")
    env.update(extra)
    return env


@pytest.fixture
def make_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., LiveServer]]:
    started: list[LiveServer] = []

    def make(start: bool = True, **env: str) -> LiveServer:
        tmp = tmp_path_factory.mktemp("server")
        server = LiveServer(env=server_env(tmp, **env), log_path=tmp / "server.log")
        started.append(server)
        return server.start() if start else server

    yield make
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def live_server(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One gevent server on the real Redis, shared by the tests that only need a server."""
    tmp = tmp_path_factory.mktemp("live")
    server = LiveServer(env=server_env(tmp, REDIS_URL=redis_url, ASYNC_MODE="gevent"),
                        log_path=tmp / "server.log")
    server.start()
    yield server
    server.stop()


class Recorder:
    """A real Socket.IO client that records every event it receives, in order."""

    def __init__(self, url: str, auth: dict[str, Any] | None, *,
                 headers: dict[str, str] | None = None, reconnection: bool = False) -> None:
        self.url = url
        self.events: list[tuple[str, Any]] = []
        self.batches: list[Any] = []  # the `batch` messages as they came (their events are
        # in `events` too)
        self._cond = threading.Condition()
        self.sio = socketio.Client(reconnection=reconnection, reconnection_delay=0.5,
                                   reconnection_delay_max=2, randomization_factor=0)
        self.sio.on("*", self._record)
        # Recorded too, so a test can wait for the server to close the socket.
        self.sio.on("disconnect", lambda *_: self._record("disconnect"))
        self.auth = auth
        self.headers = headers or {}

    def _record(self, event: str, data: Any = None) -> None:
        with self._cond:
            if event == "batch":  # several events in one message: each as if it came alone
                self.batches.append(data)
                self.events.extend((name, payload) for name, payload in data["events"])
            else:
                self.events.append((event, data))
            self._cond.notify_all()

    def connect(self) -> Recorder:
        self.sio.connect(self.url, auth=self.auth, headers=self.headers,
                         transports=["websocket"], wait_timeout=10)
        return self

    def call(self, event: str, data: Any = None, timeout: float = 10) -> Any:
        return self.sio.call(event, data, timeout=timeout)

    def wait_for(self, event: str, predicate: Callable[[Any], bool] = lambda _: True,
                 timeout: float = 10) -> Any:
        """The first recorded `event` whose payload satisfies `predicate` (waits for it)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for name, data in self.events:
                    if name == event and predicate(data):
                        return data
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"no {event!r} within {timeout}s; got {[e for e, _ in self.events]}")
                self._cond.wait(left)

    def wait_until(self, check: Callable[[list[tuple[str, Any]]], Any],
                   timeout: float = 10) -> Any:
        """The first non-None `check(events so far)` (waits for more events until there is)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = check(list(self.events))
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"not within {timeout}s; got {[e for e, _ in self.events]}")
                self._cond.wait(left)

    def received(self, event: str) -> list[Any]:
        with self._cond:
            return [d for n, d in self.events if n == event]

    def close(self) -> None:
        if self.sio.connected:
            self.sio.disconnect()


@pytest.fixture
def clients() -> Iterator[Callable[..., Recorder]]:
    made: list[Recorder] = []

    def connect(url: str, auth: dict[str, Any] | None = None, **kw: Any) -> Recorder:
        rec = Recorder(url, auth, **kw)
        made.append(rec)
        return rec.connect()

    yield connect
    for rec in made:
        rec.close()


def refusal(url: str, auth: dict[str, Any]) -> Any:
    """What a real client's `connect_error` handler receives when the server refuses it."""
    got: list[Any] = []
    client = socketio.Client(reconnection=False)
    client.on("connect_error", got.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(url, auth=auth, transports=["websocket"], wait_timeout=10)
    assert got, "no connect_error"
    return got[0]


@dataclass
class ClassInfo:
    base: str
    class_id: str
    join_code: str
    teacher_secret: str
    cohost_secret: str

    def join(self, name: str) -> dict[str, Any]:
        r = requests.post(f"{self.base}/api/join", json={"code": self.join_code, "name": name},
                          timeout=10)
        assert r.status_code == 200, r.text
        return r.json()


def create_class(base: str, name: str = "Period 3 Biology", grade_band: str = "9-12") -> ClassInfo:
    r = requests.post(f"{base}/api/classes", json={"name": name, "grade_band": grade_band},
                      timeout=10)
    assert r.status_code == 201, r.text
    body = r.json()
    return ClassInfo(base, body["class_id"], body["join_code"], body["teacher_secret"],
                     body["cohost_secret"])


# ---- a round, for either layer (anything with `call(event, payload)` returning the ack) ---------

def ok(ack: dict[str, Any]) -> dict[str, Any]:
    assert ack["ok"] is True, ack
    return ack


def start_open_round(teacher: Any, timer: int | None = None) -> dict[str, Any]:
    listing = ok(teacher.call("prompt.list", {}))
    prompt = listing["suggestion"]
    ok(teacher.call("round.start", {"prompt_id": prompt["id"]}))
    ok(teacher.call("round.host_card", {"text": "I collect old maps; here is one from 1902."}))
    return ok(teacher.call("round.open", {"timer_seconds": timer}))["round"]


def card(client_id: str, text: str, visibility: str = "class", spotlight_ok: bool = True,
         photo_id: str | None = None) -> dict[str, Any]:
    return {"client_id": client_id, "text": text, "visibility": visibility,
            "spotlight_ok": spotlight_ok, "photo_id": photo_id}


def play_full_journey(teacher: Any, kids: list[Any], seats: list[dict[str, Any]],
                      photo_id: str, before_rotation: Callable[[], object] = lambda: None,
                      ) -> dict[str, Any]:
    """After the round is open: three cards (one with a photo, one private), a spotlight,
    reactions, a private thread, a rotation, check-ins and a note. Returns the cards made."""
    made = {
        "ana": ok(kids[0].call("card.submit", card("ana-card-777", "Ana's green box",
                                                   photo_id=photo_id)))["card"],
        "ben": ok(kids[1].call("card.submit", card("ben-card-777", "Ben private",
                                                   "teacher")))["card"],
        "cy": ok(kids[2].call("card.submit", card("cy-card-7777", "Cy's guitar")))["card"],
        "photo_id": photo_id,
    }
    ok(teacher.call("spotlight.set", {"card_id": made["ana"]["id"]}))
    ok(kids[1].call("react", {"card_id": made["ana"]["id"], "reaction": "heart"}))
    ok(kids[0].call("react", {"card_id": made["cy"]["id"], "reaction": "star"}))
    ok(teacher.call("reply.send", {"card_id": made["ana"]["id"], "text": "Love the box!"}))
    ok(kids[0].call("reply.send", {"card_id": made["ana"]["id"], "text": "Thanks!"}))
    ok(teacher.call("round.close", {}))
    before_rotation()
    ok(teacher.call("rotation.plan", {"size": 2, "rotations": 2, "minutes": 5}))
    ok(teacher.call("rotation.start", {}))
    ok(teacher.call("checkins.plan", {"slots_per_week": 2, "weeks": 2}))
    ok(teacher.call("checkins.mark", {"week": 0, "slot": 0,
                                      "student_id": seats[0]["student_id"], "status": "done"}))
    ok(teacher.call("note.set", {"student_id": seats[0]["student_id"], "text": "Ana: maps"}))
    return made


def chromium_path() -> str | None:
    return shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The habit checks (ruff, mypy, the web/js type check) run before every other test."""
    items.sort(key=lambda item: item.nodeid.split("::")[0] != "tests/unit/test_habits.py")
