"""Presence: the open sockets of every process, the processes' heartbeats, and the purge
of the sockets of processes that died without a word."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import NamedTuple

from server.store.base import Record, StoreBase, dumps
from server.store.client import Client, Pipeline
from server.store.keys import (
    HEARTBEAT_TTL,
    PROCESS_KEYS_TTL,
    address_sockets_key,
    process_key,
    process_sockets_key,
    processes_key,
    sockets_key,
)


class SocketOpened(NamedTuple):
    student_sockets: int  # the student's live sockets now (0 for staff)
    close: list[str]  # the oldest sockets beyond a cap: to be closed


class PresenceRepo(StoreBase):
    def _sockets(self, class_id: str, client: Client | None = None, *,
                 ghosts: bool = False) -> dict[str, Record]:
        """The class's sockets held by live processes (a crashed process's are ghosts, left
        out unless asked for: deletion takes them too)."""
        raw = (client or self.r).hgetall(sockets_key(class_id))
        entries = {sid: json.loads(v) for sid, v in raw.items()}
        if ghosts:
            return entries
        alive = self._live_processes({e.get("proc", "") for e in entries.values()})
        return {sid: e for sid, e in entries.items() if e.get("proc") in alive}

    def _live_processes(self, members: Iterable[str]) -> set[str]:
        members = [m for m in members if "|" in m]
        if not members:
            return set()
        boots = self.r.mget([process_key(m.rsplit("|", 1)[0]) for m in members])
        return {m for m, boot in zip(members, boots, strict=True)
                if boot == m.rsplit("|", 1)[1]}

    def socket_opened(self, class_id: str, sid: str, cred_hash: str, student_id: str | None,
                      *, address: str = "unknown", seat_cap: int | None = None,
                      address_cap: int | None = None) -> SocketOpened:
        """Record an open socket of this process. Beyond `seat_cap` live sockets on one
        credential, or `address_cap` from one address, the oldest are returned to be closed."""
        now = int(time.time() * 1000)
        entry = dumps({"cred": cred_hash, "student_id": student_id, "proc": self.process,
                        "addr": address, "at": now})
        ref = f"{class_id} {sid}"
        pipe = self.r.pipeline()
        pipe.hset(sockets_key(class_id), sid, entry)
        pipe.expire(sockets_key(class_id), self._ttl(class_id))
        self._register(pipe, ref, address, now)
        pipe.zremrangebyscore(address_sockets_key(address), "-inf", now - PROCESS_KEYS_TTL * 1000)
        pipe.zrange(address_sockets_key(address), 0, -1)
        at = len(pipe) - 1
        self._slide(pipe, class_id)  # opening the class is activity, even with nothing written
        by_address = pipe.execute()[at]
        self._mine[sid] = (class_id, entry)  # to register again if purged by mistake
        live = self._sockets(class_id)
        others = sorted((e["at"], s) for s, e in live.items()
                        if e["cred"] == cred_hash and s != sid)
        close = [] if seat_cap is None else \
            [s for _, s in others[:max(0, len(others) + 1 - seat_cap)]]
        by_address = [r for r in by_address if r != ref]
        if address_cap is not None and len(by_address) + 1 > address_cap:
            oldest = by_address[:len(by_address) + 1 - address_cap]
            self.r.zrem(address_sockets_key(address), *oldest)  # gone even if a ghost
            close += [r.split(" ", 1)[1] for r in oldest if r.split(" ", 1)[1] not in close]
        if student_id is None:
            return SocketOpened(0, close)
        mine = sum(1 for s, e in live.items() if e.get("student_id") == student_id
                   and s not in close)
        return SocketOpened(mine, close)

    @staticmethod
    def _unregister(pipe: Pipeline, class_id: str, sockets: dict[str, Record]) -> None:
        """Take deleted sockets out of their process's and address's indexes too."""
        for sid, entry in sockets.items():
            ref = f"{class_id} {sid}"
            if entry.get("proc"):
                pipe.srem(process_sockets_key(entry["proc"]), ref)
            if entry.get("addr"):
                pipe.zrem(address_sockets_key(entry["addr"]), ref)

    def _register(self, pipe: Pipeline, ref: str, address: str, now: int) -> None:
        """Index a socket under this process (for the purge if it dies) and its address."""
        pipe.sadd(process_sockets_key(self.process), ref)
        pipe.expire(process_sockets_key(self.process), PROCESS_KEYS_TTL)
        pipe.sadd(processes_key(), self.process)
        pipe.expire(processes_key(), PROCESS_KEYS_TTL)
        pipe.zadd(address_sockets_key(address), {ref: now})
        pipe.expire(address_sockets_key(address), PROCESS_KEYS_TTL)

    def socket_closed(self, class_id: str, sid: str) -> tuple[str | None, int]:
        """Forget a socket; returns (its student id or None, live sockets that student has)."""
        self._mine.pop(sid, None)
        pipe = self.r.pipeline()
        pipe.hget(sockets_key(class_id), sid)
        pipe.hdel(sockets_key(class_id), sid)
        pipe.srem(process_sockets_key(self.process), f"{class_id} {sid}")
        pipe.expire(sockets_key(class_id), self._ttl(class_id))
        raw = pipe.execute()[0]
        entry = json.loads(raw) if raw else {}
        if entry.get("addr"):
            self.r.zrem(address_sockets_key(entry["addr"]), f"{class_id} {sid}")
        student_id = entry.get("student_id")
        if student_id is None:
            return None, 0
        return student_id, sum(1 for e in self._sockets(class_id).values()
                               if e.get("student_id") == student_id)

    def online_students(self, class_id: str) -> set[str]:
        return {s["student_id"] for s in self._sockets(class_id).values() if s.get("student_id")}

    def sockets_of(self, class_id: str, *, cred_hash: str | None = None,
                   student_id: str | None = None, everyone: bool = False) -> list[str]:
        return [sid for sid, s in self._sockets(class_id).items()
                if everyone or (cred_hash and s["cred"] == cred_hash)
                or (student_id and s.get("student_id") == student_id)]

    # ---- processes: heartbeat and the purge of crashed ones ---------------------------------

    def heartbeat(self) -> None:
        """Say this process is alive. Starting under the name of a crashed process (same
        host:port) makes that one dead at once. If our key had lapsed (a long store outage)
        another process may have purged our sockets: register them again."""
        name, boot = self.process.rsplit("|", 1)
        pipe = self.r.pipeline()
        pipe.get(process_key(name))
        pipe.set(process_key(name), boot, ex=HEARTBEAT_TTL)
        pipe.expire(process_sockets_key(self.process), PROCESS_KEYS_TTL)
        pipe.expire(processes_key(), PROCESS_KEYS_TTL)
        previous = pipe.execute()[0]
        if previous != boot and self._mine:
            now = int(time.time() * 1000)
            pipe = self.r.pipeline()
            for sid, (class_id, entry) in list(self._mine.items()):
                pipe.hset(sockets_key(class_id), sid, entry)
                self._register(pipe, f"{class_id} {sid}", json.loads(entry)["addr"], now)
            pipe.execute()

    def purge_dead_processes(self) -> list[tuple[str, str]]:
        """Drop the sockets of processes that stopped without saying so (kill -9, power cut).
        Returns (class id, student id) of students left with no live socket."""
        members = list(self.r.smembers(processes_key()))
        alive = self._live_processes(members)
        dead = [m for m in members if m not in alive]
        touched: set[tuple[str, str]] = set()
        for member in dead:
            refs = [ref.split(" ", 1) for ref in self.r.smembers(process_sockets_key(member))]
            pipe = self.r.pipeline(transaction=False)
            for class_id, sid in refs:
                pipe.hget(sockets_key(class_id), sid)
            entries = pipe.execute()
            pipe = self.r.pipeline()
            for (class_id, sid), raw in zip(refs, entries, strict=True):
                entry = json.loads(raw) if raw else {}
                if entry.get("proc") not in (None, member):
                    continue  # the sid was reused by a live process: not ours to drop
                pipe.hdel(sockets_key(class_id), sid)
                if entry.get("addr"):
                    pipe.zrem(address_sockets_key(entry["addr"]), f"{class_id} {sid}")
                if entry.get("student_id"):
                    touched.add((class_id, entry["student_id"]))
            pipe.delete(process_sockets_key(member))
            pipe.srem(processes_key(), member)
            pipe.execute()
        return sorted((class_id, student_id) for class_id, student_id in touched
                      if student_id not in self.online_students(class_id))
