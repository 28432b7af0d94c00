"""What every area of the store shares: the client, its Lua scripts, the TTL rule, the
transaction helpers, and the one boundary where a Redis failure becomes `StoreUnavailable`.

Multi-key updates run as MULTI/EXEC transactions (with WATCH where a check must hold until the
write) or as one Lua script, so a crash never leaves half an update. Every key of a class,
credentials and join code included, expires `retention_days` after the class's last activity
(sliding TTL: `_refresh` on every write, the `slide_class` script hourly).
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, TypeVar, cast

import redis

from server.domain.common import DEFAULT_RETENTION_DAYS
from server.store.client import Client, Pipeline, Script
from server.store.keys import (
    class_key,
    class_keys,
    code_key,
    cred_key,
    index_key,
    rate_key,
    students_key,
)

T = TypeVar("T")
P = ParamSpec("P")
Record = dict[str, Any]  # a JSON object as stored (records: server/domain/records.py)
R = TypeVar("R", bound=Mapping[str, object])
TTL_CACHE_SECONDS = 60
LUA_DIR = Path(__file__).parent / "lua"

# How often (per class, per process) the slide_class script runs with the class's activity.
# Retention is counted in whole days, so sliding at most once an hour keeps every key within an
# hour of `retention_days` after the class's last activity, at a cost that does not grow per
# event.
SLIDE_EVERY_SECONDS = 3600.0


class StoreUnavailable(Exception):
    """Redis did not answer (or refused the command): the action did not happen, or may have.

    `unreachable` is True when the store could not be reached at all (connection refused or
    reset, still loading): an outage. A timeout is not one: the store may just be slow."""

    def __init__(self, message: str, *, unreachable: bool) -> None:
        super().__init__(message)
        self.unreachable = unreachable


def guarded(fn: Callable[P, T]) -> Callable[P, T]:
    """Turn any Redis failure inside `fn` into `StoreUnavailable`."""

    @functools.wraps(fn)
    def call(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return fn(*args, **kwargs)
        except redis.RedisError as exc:
            # This process's own pool full (MaxConnectionsError) is overload, not an outage.
            unreachable = (isinstance(exc, redis.ConnectionError)
                           and not isinstance(exc, redis.MaxConnectionsError))
            raise StoreUnavailable(f"{type(exc).__name__}: {exc}",
                                   unreachable=unreachable) from exc

    return call


def store_boundary(cls: type[T]) -> type[T]:
    """Guard every public method of the facade: the one place Redis errors are translated,
    so no caller imports redis to catch them."""
    for name in dir(cls):
        if not name.startswith("_") and callable(method := getattr(cls, name)):
            setattr(cls, name, guarded(method))
    return cls


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def lua_source(path: Path) -> str:
    """A script's text, after the libraries it names on `-- uses: _x.lua` lines."""
    text = path.read_text(encoding="utf-8")
    uses = [line.split(":", 1)[1].strip() for line in text.splitlines()
            if line.startswith("-- uses:")]
    return "".join((LUA_DIR / name).read_text(encoding="utf-8") for name in uses) + text


def load_scripts(client: Client) -> dict[str, Script]:
    """Every script under lua/ by file name (`add_card.lua` -> "add_card"); files starting
    with `_` are libraries, not scripts."""
    return {path.stem: client.register_script(lua_source(path))
            for path in sorted(LUA_DIR.glob("*.lua")) if not path.stem.startswith("_")}


@dataclass(frozen=True)
class Bucket:
    """A rate-limit token to take: `burst` tokens, refilled at `per_minute`."""

    action: str
    subject: str
    per_minute: float
    burst: int
    now_ms: int

    @property
    def refill_ms(self) -> int:
        """How long an untouched bucket is kept: until it would be full again, and a second."""
        return int(self.burst / self.per_minute * 60_000) + 1000


@dataclass(frozen=True)
class Guard:
    """Checks that ride on a write in its one round trip, atomically with it: the sender's
    credential (by its hash) still exists, and a rate-limit token is taken. A refused check
    means nothing was written (a taken token stays taken when the write itself is refused)."""

    cred_hash: str | None = None
    bucket: Bucket | None = None

    def arg(self) -> str:
        """The guard as the scripts read it (`guard_refusal` in lua/_lib.lua)."""
        b = self.bucket
        return dumps({"cred": cred_key(self.cred_hash) if self.cred_hash else "",
                      "bucket": None if b is None else {
                          "key": rate_key(b.action, b.subject), "rate": b.per_minute / 60_000,
                          "burst": b.burst, "now": b.now_ms, "refill": b.refill_ms}})


NO_GUARD = Guard()


class StoreBase:
    def __init__(self, client: Any, default_retention_days: int = DEFAULT_RETENTION_DAYS,
                 clock: Callable[[], float] = time.monotonic,
                 process_name: str | None = None) -> None:
        self.r = cast(Client, client)  # decode_responses: see server/store/client.py
        # This process: a stable name (host:port when serving) and a fresh id per start.
        name = process_name or f"{socket.gethostname()}:{os.getpid()}"
        self.process = f"{name}|{secrets.token_hex(6)}"
        self._mine: dict[str, tuple[str, str]] = {}  # sid -> (class id, stored entry)
        self.default_retention_days = default_retention_days
        self._ttl_cache: dict[str, tuple[int, float]] = {}  # class -> (ttl, read at)
        self._clock = clock
        self._slid_at: dict[str, float] = {}
        self.lua = load_scripts(self.r)

    def ping(self) -> bool:
        try:
            return bool(self.r.ping())
        except redis.RedisError:
            return False

    def _ttl(self, class_id: str) -> int:
        cached = self._ttl_cache.get(class_id)
        # Re-read after a minute: another process may have changed the retention period.
        if cached is not None and time.monotonic() - cached[1] < TTL_CACHE_SECONDS:
            return cached[0]
        days = self.r.hget(class_key(class_id), "retention_days")
        ttl = int(json.loads(days) if days else self.default_retention_days) * 86400
        self._ttl_cache[class_id] = (ttl, time.monotonic())
        return ttl

    def _refresh(self, pipe: Pipeline, class_id: str) -> None:
        """Queue EXPIREs that keep a class's own keys alive as long as it is used, and (at
        most once an hour) slide everything else of the class along with them."""
        ttl = self._ttl(class_id)
        for key in class_keys(class_id):
            pipe.expire(key, ttl)
        self._slide(pipe, class_id)

    def _slide(self, pipe: Pipeline, class_id: str) -> None:
        """Queue slide_class when this process has not slid the class for an hour. (Were the
        transaction it rides on to be retried, the next slide waits for the next hour.)"""
        now = self._clock()
        if now - self._slid_at.get(class_id, -SLIDE_EVERY_SECONDS) < SLIDE_EVERY_SECONDS:
            return
        self._slid_at[class_id] = now
        keys = [class_key(class_id), students_key(class_id), index_key(class_id),
                *class_keys(class_id)]
        self.lua["slide_class"](keys=keys, args=[self._ttl(class_id), code_key(""), cred_key("")],
                                client=pipe)

    def _slide_if_due(self, class_id: str) -> None:
        """`_slide` on its own, for writes made by a script (an extra round trip an hour)."""
        pipe = self.r.pipeline()
        self._slide(pipe, class_id)
        if len(pipe):
            pipe.execute()

    def _track(self, pipe: Pipeline, class_id: str, *keys: str) -> None:
        """Record dynamic keys in the class index and give them the class's TTL."""
        ttl = self._ttl(class_id)
        pipe.sadd(index_key(class_id), *keys)
        pipe.expire(index_key(class_id), ttl)
        for key in keys:
            pipe.expire(key, ttl)
        self._slide(pipe, class_id)

    def _watched(self, keys: Iterable[str], body: Callable[[Pipeline], T]) -> T:
        """Run `body(pipe)` under WATCH of `keys`, retrying when another writer got there first."""
        with self.r.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(*keys)
                    return body(pipe)
                except redis.WatchError:
                    continue

    def _update_record(self, class_id: str, rkey: str,
                       change: Callable[[R], Mapping[str, object] | None]) -> R | None:
        """WATCH a JSON-valued hash, let `change` decide the fields to set, write them.
        `R` is the record type the hash holds (a round, a rotation)."""

        def body(pipe: Pipeline) -> R | None:
            raw = pipe.hgetall(rkey)
            if not raw:
                return None
            record = cast(R, {k: json.loads(v) for k, v in raw.items()})
            fields = change(record)
            if fields is None:
                return None
            pipe.multi()
            pipe.hset(rkey, mapping={k: dumps(v) for k, v in fields.items()})
            pipe.expire(rkey, self._ttl(class_id))
            self._refresh(pipe, class_id)
            pipe.execute()
            return cast(R, {**record, **fields})

        return self._watched([rkey], body)

    def _class_record(self, class_id: str, client: Client | Pipeline | None = None
                      ) -> Record | None:
        raw = (client or self.r).hgetall(class_key(class_id))
        return {k: json.loads(v) for k, v in raw.items()} if raw else None
