"""The fast layer: the whole app in this process (`create_app` on the in-memory store),
Flask-SocketIO's test clients for teacher, co-host, stage and students, a manual clock and a
scheduler the test ticks. Handlers run synchronously, so by the time `call` returns every event
it caused has been delivered: nothing to wait for, no sleeps, no ports.

Timers really fire: `rapport.tick(31)` moves the clock 31 s on, running the background work
(due deadlines, reaction counts, resync, heartbeat) at least every heartbeat period on the way,
as the loops would. The in-memory Redis reads the same clock, so keys expire by it too.
"""

from __future__ import annotations

import dataclasses
import functools
import time
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import fakeredis._helpers
import fakeredis._socket._base
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_socketio import SocketIOTestClient
from socketio import packet

import server.app as app_module
from server.config import Config
from server.context import Services
from server.domain import clock
from server.extensions import socketio
from server.realtime.scheduler import Scheduler
from server.store import RedisStore
from server.store.redis_store import HEARTBEAT_SECONDS

SECRET_KEY = "test-secret-key-0123456789"

# The prompt library and the interface/prompt catalogs are files that do not change during a
# run; parsing them is nine tenths of `create_app`, so each is read once per session.
_load_library = functools.cache(app_module.load_library)
_translations: dict[tuple[Path, int], Any] = {}
_real_load_translations = app_module.load_translations


def _load_translations(directory: Path, library: Any) -> Any:
    key = (directory, id(library))  # the library is itself read once, so its id is stable
    if key not in _translations:
        _translations[key] = _real_load_translations(directory, library)
    return _translations[key]


_load_ui_catalogs = functools.cache(app_module.load_ui_catalogs)


class Client(SocketIOTestClient):
    """A Socket.IO client inside this process that keeps every event it got, in order."""

    refusals: ClassVar[dict[str, Any]] = {}  # eio sid -> the connect_error data the server sent

    def __init__(self, app: Flask, auth: dict[str, Any] | None,
                 headers: dict[str, str] | None = None,
                 web: FlaskClient | None = None) -> None:
        self._events: list[tuple[str, Any]] = []
        super().__init__(app, socketio, auth=auth, headers=headers, flask_test_client=web)

    def connect(self, namespace: str | None = None, query_string: str | None = None,
                headers: dict[str, str] | None = None, auth: Any = None) -> None:
        send = socketio.server._send_packet
        if not getattr(send, "records_refusals", False):
            def recording(eio_sid: str, pkt: packet.Packet) -> None:
                if pkt.packet_type == packet.CONNECT_ERROR:
                    Client.refusals[eio_sid] = pkt.data
                send(eio_sid, pkt)
            recording.records_refusals = True  # type: ignore[attr-defined]
            socketio.server._send_packet = recording
        super().connect(namespace, query_string, headers, auth)

    @property
    def refused(self) -> Any:
        """What the server said when it refused this connection ({code, message}), or None."""
        return Client.refusals.get(self.eio_sid)

    def call(self, event: str, data: Any = None, *extra: Any) -> Any:
        """Send `event` and return the server's ack. `data=None` sends no argument at all."""
        args = (() if data is None else (data,)) + extra
        return self.emit(event, *args, callback=True)

    def _drain(self) -> list[tuple[str, Any]]:
        for pkt in self.queue:
            args = pkt["args"]
            self._events.append((pkt["name"], args[0] if len(args) == 1 else args or None))
        self.queue = []
        return self._events

    @property
    def events(self) -> list[tuple[str, Any]]:
        """Every (event, payload) received so far, in order."""
        return list(self._drain())

    def received(self, event: str) -> list[Any]:
        """Every payload of `event` this client got so far."""
        return [data for name, data in self._drain() if name == event]

    def first(self, event: str, predicate: Callable[[Any], bool] = lambda _: True) -> Any:
        """The first `event` got so far whose payload satisfies `predicate`; failing that, an
        assertion error listing what did arrive (everything has already arrived)."""
        for name, data in self._drain():
            if name == event and predicate(data):
                return data
        raise AssertionError(f"no {event!r}; got {[name for name, _ in self._events]}")

    def wait_until(self, check: Callable[[list[tuple[str, Any]]], Any]) -> Any:
        """`check(events so far)`, which must not be None (everything has already arrived;
        named like the live client's, which waits)."""
        found = check(self.events)
        assert found is not None, f"not found in {[name for name, _ in self._events]}"
        return found

    def names(self) -> list[str]:
        return [name for name, _ in self._drain()]

    def blob(self) -> str:
        """Everything received, as text: for "this secret never reached me" checks."""
        return repr(self._drain())

    def close(self) -> None:
        if self.is_connected():
            self.disconnect()
        SocketIOTestClient.clients.pop(self.eio_sid, None)
        Client.refusals.pop(self.eio_sid, None)


@dataclass
class Klass:
    """A class made through the HTTP API of the app in this process."""

    web: FlaskClient
    class_id: str
    join_code: str
    teacher_secret: str
    cohost_secret: str
    created: dict[str, Any]

    def join(self, name: str, **extra: Any) -> dict[str, Any]:
        r = self.web.post("/api/join", json={"code": self.join_code, "name": name, **extra})
        assert r.status_code == 200, r.get_data(as_text=True)
        body: dict[str, Any] = r.get_json()
        return body

    def auth(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}


class InProcessApp:
    """One app, its store, its clock and its clients, for one test."""

    def __init__(self, tmp: Path, manual: clock.ManualClock, **settings: Any) -> None:
        config = config_for(tmp, **settings)
        self.clock = manual
        self.app = create(config)
        self.web = self.app.test_client()
        self.services: Services = self.app.extensions["rapport"]
        self._clients: list[Client] = []

    @property
    def store(self) -> RedisStore:
        return self.services.store

    @property
    def redis(self) -> Any:
        """The fakeredis client under the store: to look at keys as the real Redis would."""
        return self.services.handle.client

    @property
    def scheduler(self) -> Scheduler:
        scheduler = self.services.scheduler
        assert isinstance(scheduler, Scheduler)
        return scheduler

    def tick(self, seconds: float = 0.0) -> None:
        """Move the clock on by `seconds` and run the background work as the loops would: at
        least every heartbeat period on the way, so this process stays alive to the store."""
        while True:
            step = min(seconds, HEARTBEAT_SECONDS)
            self.clock.advance(step)
            seconds -= step
            self.scheduler.tick()
            if seconds <= 0:
                return

    def create_class(self, name: str = "Period 3 Biology", grade_band: str = "9-12") -> Klass:
        r = self.web.post("/api/classes", json={"name": name, "grade_band": grade_band})
        assert r.status_code == 201, r.get_data(as_text=True)
        body = r.get_json()
        return Klass(self.web, body["class_id"], body["join_code"], body["teacher_secret"],
                     body["cohost_secret"], body)

    def connect(self, auth: dict[str, Any] | None = None, *,
                headers: dict[str, str] | None = None) -> Client:
        client = Client(self.app, auth, headers=headers)
        self._clients.append(client)
        return client

    def teacher(self, klass: Klass) -> Client:
        return self.connect({"token": klass.teacher_secret})

    def cohost(self, klass: Klass) -> Client:
        return self.connect({"token": klass.cohost_secret})

    def stage(self, klass: Klass) -> Client:
        return self.connect({"token": klass.teacher_secret, "view": "stage"})

    def student(self, seat: dict[str, Any]) -> Client:
        return self.connect({"token": seat["seat_token"]})

    def close(self) -> None:
        for client in self._clients:
            client.close()


def config_for(tmp: Path, **settings: Any) -> Config:
    """The test defaults (threading, in-memory store, no rate limits), `settings` over them."""
    config = Config(secret_key=SECRET_KEY, async_mode="threading", store_mode="memory",
                    instance_path=tmp, rate_limits=False, testing=True)
    return dataclasses.replace(config, **settings)


def create(config: Config) -> Flask:
    """`create_app` with the static catalogs read once per session and no background loops."""
    patch = pytest.MonkeyPatch()
    try:
        patch.setattr(app_module, "load_library", _load_library)
        patch.setattr(app_module, "load_translations", _load_translations)
        patch.setattr(app_module, "load_ui_catalogs", _load_ui_catalogs)
        return app_module.create_app(config, background=False)
    finally:
        patch.undo()


@pytest.fixture
def manual_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[clock.ManualClock]:
    """The domain's and the scheduler's time, standing still until the test moves it. The
    in-memory Redis reads it too, so keys expire (heartbeats, retention) by the same clock."""
    manual = clock.ManualClock().install()
    follows = types.SimpleNamespace(time=clock.now, sleep=time.sleep, monotonic=time.monotonic)
    for module in (fakeredis._socket._base, fakeredis._helpers):
        assert module.time is time, f"{module.__name__} reads the time differently now"
        monkeypatch.setattr(module, "time", follows)
    yield manual
    clock.reset()


@pytest.fixture
def make_app(tmp_path_factory: pytest.TempPathFactory,
             manual_clock: clock.ManualClock) -> Iterator[Callable[..., InProcessApp]]:
    """`make_app(**config)`: an app in this process; settings override the test defaults."""
    made: list[InProcessApp] = []

    def make(**settings: Any) -> InProcessApp:
        made.append(InProcessApp(tmp_path_factory.mktemp("app"), manual_clock, **settings))
        return made[-1]

    yield make
    for app in made:
        app.close()


@pytest.fixture
def rapport(make_app: Callable[..., InProcessApp]) -> InProcessApp:
    """The app in this process with the test defaults (memory store, no rate limits)."""
    return make_app()
