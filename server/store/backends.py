"""The three ways Rapport gets a Redis: a server from REDIS_URL, a private child redis-server,
or in-process fakeredis (nothing survives a restart, and Rapport says so loudly).

Pool size: redis-py 8 caps a connection pool at 100 connections unless told otherwise and
raises `MaxConnectionsError` (a ConnectionError) for the 101st command in flight. Under
overload every event waiting for its reply holds a connection, so at 16 classes or more on two
busy cores the cap was reached: events were answered `unavailable`, reaction flushes and
spotlights were lost, and each refusal counted as a store outage. Socket.IO's message queue
builds its own pool from its URL, with the same cap (a publish refused twice is dropped). Both
pools here allow `MAX_CONNECTIONS`; how much work runs at once is bounded before that, by
admission control (`server/realtime/admission.py`).
"""

from __future__ import annotations

import atexit
import logging
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis

from server.config import Config

log = logging.getLogger(__name__)

MEMORY_WARNING = (
    "Rapport is running on its in-memory store: everything is lost when the server stops. "
    "Install redis-server or set REDIS_URL to keep your classes."
)


MAX_CONNECTIONS = 2000  # per pool and process; Redis accepts 10,000 clients by default


def message_queue_url(url: str) -> str:
    """REDIS_URL for Socket.IO's message queue with the pool cap raised (a query argument:
    python-socketio builds that client from the URL alone)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.setdefault("max_connections", str(MAX_CONNECTIONS))
    return urlunsplit(parts._replace(query=urlencode(query)))


@dataclass
class StoreHandle:
    client: redis.Redis
    mode: str  # "redis" | "private-redis" | "memory"
    durable: bool
    message_queue: str | None = None  # URL for Socket.IO's message queue, when shared
    warning: str | None = None
    _child: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            if self._child is not None and self._child.poll() is None:
                # SIGTERM makes redis flush its append-only file and exit cleanly.
                self._child.terminate()
                try:
                    self._child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._child.kill()
            self._child = None


def open_store(config: Config) -> StoreHandle:
    mode = config.store_mode
    if mode is None:
        mode = "private-redis" if shutil.which("redis-server") else "memory"
        mode = "redis" if config.redis_url else mode
    if mode == "redis":
        assert config.redis_url
        client = redis.Redis.from_url(
            config.redis_url, decode_responses=True, health_check_interval=30,
            socket_connect_timeout=2, socket_timeout=5, max_connections=MAX_CONNECTIONS,
        )
        # One process needs no message queue: every socket it emits to is its own.
        queue = message_queue_url(config.redis_url) if config.processes == "many" else None
        return StoreHandle(client, "redis", durable=True, message_queue=queue)
    if mode == "private-redis":
        return _start_private_redis(config.instance_path)
    return _memory_store()


def _memory_store() -> StoreHandle:
    import fakeredis  # only needed in this mode

    log.warning("!" * 72)
    log.warning(MEMORY_WARNING)
    log.warning("!" * 72)
    server = fakeredis.FakeServer()
    client = fakeredis.FakeRedis(server=server, decode_responses=True)
    return StoreHandle(client, "memory", durable=False, warning=MEMORY_WARNING)


def _start_private_redis(instance_path: Path) -> StoreHandle:
    """Run our own redis-server on a unix socket in the instance folder.

    Append-only file with fsync every second: an acknowledged card survives a crash of the
    machine losing at most about one second. A server left running by an earlier process of ours
    (same socket, answers PING) is reused instead of started twice.
    """
    data_dir = instance_path / "redis"
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    sock = data_dir / "redis.sock"
    kwargs: dict[str, Any] = {"unix_socket_path": str(sock), "decode_responses": True,
                              "socket_timeout": 5, "max_connections": MAX_CONNECTIONS}
    existing = redis.Redis(**kwargs)
    try:
        existing.ping()
        log.info("reusing private Redis at %s", sock)
        return StoreHandle(existing, "private-redis", durable=True)
    except (redis.ConnectionError, FileNotFoundError, OSError):
        existing.close()
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not on PATH")
    args = [
        binary, "--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700",
        "--dir", str(data_dir), "--appendonly", "yes", "--appendfsync", "everysec",
        "--save", "", "--daemonize", "no", "--logfile", str(data_dir / "redis.log"),
    ]
    child = subprocess.Popen(args, stdin=subprocess.DEVNULL, start_new_session=True)
    client = redis.Redis(**kwargs)
    deadline = time.monotonic() + 15
    while True:
        try:
            client.ping()
            # Loading a large append-only file: PING answers LOADING until done.
            break
        except (redis.ConnectionError, redis.BusyLoadingError, FileNotFoundError, OSError):
            if child.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"private redis-server did not start; see {data_dir / 'redis.log'}"
                ) from None
            time.sleep(0.05)  # waiting on an external process to come up, not on our own code
    handle = StoreHandle(client, "private-redis", durable=True, _child=child)
    atexit.register(handle.close)
    log.info("private Redis started (pid %s) at %s", child.pid, sock)
    return handle
