"""Reads served from one round trip: a client that answers the store's read commands from
what one Lua script fetched (`lua/snapshot_reads.lua`), so code that reads a dozen things
through the store (the snapshot) costs one round trip, unchanged. A read it was not given
goes to Redis as usual: slower, never wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class Prefetched:
    """Hashes (whole, or some fields), strings and lists (their first entries, or whole) as
    one script returned them at one moment, in front of the real client."""

    def __init__(self, client: Any, entries: Sequence[Sequence[Any]]) -> None:
        self._client = client
        self._hashes: dict[str, dict[str, str]] = {}
        self._fields: dict[str, dict[str, str | None]] = {}
        self._strings: dict[str, str | None] = {}
        self._lists: dict[str, tuple[list[str], bool]] = {}  # key -> (first entries, whole)
        for kind, key, value in entries:
            if kind == "h":
                self._hashes[key] = dict(zip(value[::2], value[1::2], strict=True))
            elif kind == "f":
                self._fields.setdefault(key, {})[value[0]] = value[1] if len(value) > 1 else None
            elif kind == "s":
                self._strings[key] = value or None
            else:
                self._lists[key] = (list(value), kind == "l")

    def __getattr__(self, name: str) -> Any:  # anything else: the real client
        return getattr(self._client, name)

    def hgetall(self, name: str) -> dict[str, str]:
        if name in self._hashes:
            return dict(self._hashes[name])
        return dict(self._client.hgetall(name))

    def hvals(self, name: str) -> list[str]:
        if name in self._hashes:
            return list(self._hashes[name].values())
        return list(self._client.hvals(name))

    def hkeys(self, name: str) -> list[str]:
        if name in self._hashes:
            return list(self._hashes[name])
        return list(self._client.hkeys(name))

    def hget(self, name: str, key: str) -> str | None:
        if name in self._hashes:
            return self._hashes[name].get(key)
        if key in self._fields.get(name, {}):
            return self._fields[name][key]
        value: str | None = self._client.hget(name, key)
        return value

    def get(self, name: str) -> str | None:
        if name in self._strings:
            return self._strings[name]
        value: str | None = self._client.get(name)
        return value

    def mget(self, keys: Sequence[str]) -> list[str | None]:
        if all(key in self._strings for key in keys):
            return [self._strings[key] for key in keys]
        return list(self._client.mget(keys))

    def lrange(self, name: str, start: int, end: int) -> list[str]:
        if self.has("lrange", (name, start, end)):
            items = self._lists[name][0]
            return items[start:] if end == -1 else items[start:end + 1]
        return list(self._client.lrange(name, start, end))

    def has(self, command: str, args: tuple[Any, ...]) -> bool:
        """Whether `command(*args)` is answered without the real client."""
        key: str = args[0] if args else ""
        if command in ("hgetall", "hvals", "hkeys"):
            return key in self._hashes
        if command == "hget":
            return key in self._hashes or args[1] in self._fields.get(key, {})
        if command == "get":
            return key in self._strings
        if command == "lrange" and key in self._lists:
            items, whole = self._lists[key]
            return whole or 0 <= args[1] <= args[2] < len(items)
        return False

    def pipeline(self, transaction: bool = True) -> _Pipeline:
        return _Pipeline(self, transaction)


class _Pipeline:
    """Queued reads, answered from the prefetched values; a pipeline of the real client when
    one of them was not prefetched."""

    def __init__(self, prefetched: Prefetched, transaction: bool) -> None:
        self._prefetched = prefetched
        self._transaction = transaction
        self._queued: list[tuple[str, tuple[Any, ...]]] = []

    def __getattr__(self, name: str) -> Any:
        def queue(*args: Any) -> _Pipeline:
            self._queued.append((name, args))
            return self
        return queue

    def __len__(self) -> int:
        return len(self._queued)

    def execute(self) -> list[Any]:
        if all(self._prefetched.has(name, args) for name, args in self._queued):
            return [getattr(self._prefetched, name)(*args) for name, args in self._queued]
        pipe = self._prefetched._client.pipeline(transaction=self._transaction)
        for name, args in self._queued:
            getattr(pipe, name)(*args)
        return list(pipe.execute())

    def __enter__(self) -> _Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self._queued = []
