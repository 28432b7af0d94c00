"""The store: one facade, `RedisStore`, over one repository per area.

Key names and their TTL policies live in `server.store.keys`, Lua scripts under `lua/`, the
shared plumbing (TTL rule, transactions, scripts) in `server.store.base`, and each area in its
own module. Here: the facade, and the updates that span every area (a class's retention, its
deletion, forgetting one student). Every public method turns a Redis failure into
`StoreUnavailable` (`store_boundary`). `docs/redis-keys.md` lists the keys.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterable
from typing import cast

import redis

from server.store.attachments import AttachmentsRepo
from server.store.base import SLIDE_EVERY_SECONDS, StoreUnavailable, dumps, store_boundary
from server.store.cards import HISTORY, CardsRepo
from server.store.checkins import CheckinsRepo
from server.store.classes import ClassesRepo
from server.store.client import Client
from server.store.deadlines import DeadlinesRepo
from server.store.keys import (
    HEARTBEAT_SECONDS,
    REACTIONS,
    authors_key,
    cards_key,
    checkin_log_key,
    class_key,
    class_keys,
    code_key,
    cred_key,
    current_round_key,
    deadlines_key,
    host_cards_key,
    index_key,
    names_key,
    notes_key,
    pairs_key,
    process_key,
    rate_key,
    reacted_key,
    reactions_dirty_key,
    reactions_key,
    reactions_sent_key,
    rejoin_key,
    replies_key,
    roster_key,
    roster_names_key,
    rotation_key,
    round_key,
    sockets_key,
    spotlights_key,
    student_cards_key,
    students_key,
)
from server.store.limits import LimitsRepo
from server.store.prefetch import Prefetched
from server.store.presence import PresenceRepo, SocketOpened
from server.store.rotations import RotationsRepo
from server.store.students import StudentsRepo

__all__ = ["HEARTBEAT_SECONDS", "REACTIONS", "SLIDE_EVERY_SECONDS", "RedisStore", "SocketOpened",
           "StoreUnavailable", "process_key"]


@store_boundary
class RedisStore(ClassesRepo, StudentsRepo, PresenceRepo, CardsRepo, AttachmentsRepo,
                 RotationsRepo, CheckinsRepo, LimitsRepo, DeadlinesRepo):
    """Every Redis read and write of Rapport. Its methods raise `StoreUnavailable`, never a
    redis-py error."""

    def set_retention(self, class_id: str, days: int) -> None:
        """Keep the class `days` after its last change: every key it has gets the new TTL now."""
        record = self._class_record(class_id)
        if record is None:
            return
        ttl = days * 86400
        keys = [*class_keys(class_id), code_key(record["join_code"]),
                *self.r.smembers(index_key(class_id))]
        keys += [cred_key(h) for h in (record.get("teacher_hash"), record.get("cohost_hash")) if h]
        keys += [cred_key(s["seat_hash"])
                 for s in self.list_students(class_id, include_removed=True) if s.get("seat_hash")]
        pipe = self.r.pipeline()
        pipe.hset(class_key(class_id), "retention_days", dumps(days))
        for key in keys:
            pipe.expire(key, ttl)
        pipe.execute()
        self._ttl_cache[class_id] = (ttl, time.monotonic())

    def delete_class(self, class_id: str, rate_buckets: Iterable[tuple[str, str]] = ()) -> None:
        """Delete the class and everything in it, credentials and join code included, the
        short-lived keys naming it (when its reaction counts were sent) and the rate-limit
        buckets `rate_buckets` ((action, subject) pairs: its staff's)."""
        record = self._class_record(class_id)
        if record is None:
            return
        students = self.list_students(class_id, include_removed=True)
        keys = [*class_keys(class_id), code_key(record["join_code"])]
        keys += [rate_key(action, subject) for action, subject in rate_buckets]
        # Not indexed (written on every flush of counts): found by name. A class is deleted
        # rarely; scanning the key space then is cheaper than indexing every send.
        keys += list(self.r.scan_iter(match=_glob_escape(reactions_sent_key(class_id, "")) + "*",
                                      count=1000))
        keys += [cred_key(h) for h in (record.get("teacher_hash"), record.get("cohost_hash")) if h]
        keys += [cred_key(s["seat_hash"]) for s in students if s.get("seat_hash")]
        keys += list(self.r.smembers(index_key(class_id)))
        sockets = self._sockets(class_id, ghosts=True)
        pipe = self.r.pipeline()
        pipe.delete(*keys)
        self._unregister(pipe, class_id, sockets)
        pipe.execute()
        stale = [m for m, _ in self.r.zscan_iter(deadlines_key(), match=f"*|{class_id}|*")]
        if stale:
            self.r.zrem(deadlines_key(), *stale)
        dirty = list(self.r.sscan_iter(reactions_dirty_key(), match=f"{class_id}|*"))
        if dirty:
            self.r.srem(reactions_dirty_key(), *dirty)
        self._ttl_cache.pop(class_id, None)

    def forget_student(self, class_id: str, student_id: str,
                       rate_actions: Iterable[str] = ()) -> None:
        """Delete everything about one student: seat, name, roster row, cards, photos, voice
        recordings, replies, reactions they gave, pair history, check-ins, notes, spotlights,
        their rate-limit buckets for `rate_actions`. One transaction. (Their place in the
        rotation plan is the domain's to change: `rotations.forget_student`.)"""
        student = self.get_student(class_id, student_id)
        pipe = self.r.pipeline(transaction=True)
        if student is not None:
            pipe.delete(cred_key(student["seat_hash"]))
            pipe.hdel(students_key(class_id), student_id)
            if student.get("rejoin_hash"):
                pipe.hdel(rejoin_key(class_id), student["rejoin_hash"])
        for norm, holder in self.r.hgetall(names_key(class_id)).items():
            if holder == student_id:
                pipe.hdel(names_key(class_id), norm)
        # Their roster row (name, e-mail, tags): the one linked to them, or the one under
        # their name (which a join links automatically).
        roster_names = self.r.hgetall(roster_names_key(class_id))
        linked = [student.get("roster_id"), roster_names.get(student["norm"])] if student else []
        rows = {row for row in linked if row is not None}
        for row in rows:
            pipe.hdel(roster_key(class_id), row)
        for norm, row in roster_names.items():
            if row in rows:
                pipe.hdel(roster_names_key(class_id), norm)
        for action in rate_actions:
            pipe.delete(rate_key(action, student_id))
        for round_id in self.list_round_ids(class_id):
            cards = [c for c in self.list_cards(class_id, round_id)
                     if c["student_id"] == student_id]
            spotlight = json.loads(self.r.hget(round_key(class_id, round_id), "spotlight")
                                   or "null")
            if spotlight in {c["id"] for c in cards}:
                pipe.hset(round_key(class_id, round_id), "spotlight", dumps(None))
            for card in cards:
                pipe.hdel(cards_key(class_id, round_id), card["id"])
                pipe.delete(reactions_sent_key(class_id, card["id"]))
                pipe.srem(reactions_dirty_key(), f"{class_id}|{round_id}|{card['id']}")
                pipe.delete(replies_key(class_id, round_id, card["id"]))
                pipe.srem(index_key(class_id), replies_key(class_id, round_id, card["id"]))
                for kind in REACTIONS:
                    pipe.hdel(reactions_key(class_id, round_id), f"{card['id']}:{kind}")
            pipe.hdel(authors_key(class_id, round_id), student_id)
            # Reactions they gave (counts taken back) and reactions to their cards.
            theirs = {c["id"] for c in cards}
            for mark in self.r.smembers(reacted_key(class_id, round_id)):
                card_id, who, reaction = mark.split(":", 2)
                if card_id in theirs:
                    pipe.srem(reacted_key(class_id, round_id), mark)
                elif who == student_id:
                    pipe.srem(reacted_key(class_id, round_id), mark)
                    pipe.hincrby(reactions_key(class_id, round_id), f"{card_id}:{reaction}", -1)
        for key in self.r.smembers(index_key(class_id)):
            if ":replies:" in key:  # threads kept after their card was withdrawn
                first = self.r.lindex(key, 0)
                if first and json.loads(first).get("student_id") == student_id:
                    pipe.delete(key)
                    pipe.srem(index_key(class_id), key)
            if ":photo:" in key or ":audio:" in key:
                meta = json.loads(self.r.hget(key, "meta") or "{}")
                if meta.get("student_id") == student_id:
                    pipe.delete(key)
                    pipe.srem(index_key(class_id), key)
        pipe.delete(student_cards_key(class_id, student_id))
        pipe.srem(index_key(class_id), student_cards_key(class_id, student_id))
        for pair in self.r.hkeys(pairs_key(class_id)):
            if student_id in pair.split("|"):
                pipe.hdel(pairs_key(class_id), pair)
        for slot, raw in self.r.hgetall(checkin_log_key(class_id)).items():
            if json.loads(raw)["student_id"] == student_id:
                pipe.hdel(checkin_log_key(class_id), slot)
        pipe.hdel(notes_key(class_id), student_id)
        for raw in self.r.lrange(spotlights_key(class_id), 0, -1):
            if json.loads(raw)["student_id"] == student_id:
                pipe.lrem(spotlights_key(class_id), 0, raw)
        their_sockets = {sid: entry for sid, entry in self._sockets(class_id, ghosts=True).items()
                         if entry.get("student_id") == student_id}
        for sid in their_sockets:
            pipe.hdel(sockets_key(class_id), sid)
        self._unregister(pipe, class_id, their_sockets)
        pipe.execute()

    def reading(self, class_id: str, student_id: str | None = None) -> RedisStore:
        """This store, its reads of the class answered from one round trip made now (what a
        snapshot reads: `lua/snapshot_reads.lua`), for a reader of many things at once; the
        student's card history too when `student_id` is given. Writes go to Redis as usual."""
        entries = self.lua["snapshot_reads"](
            keys=[class_key(class_id), students_key(class_id), roster_key(class_id),
                  sockets_key(class_id), current_round_key(class_id), host_cards_key(class_id),
                  rotation_key(class_id),
                  student_cards_key(class_id, student_id) if student_id else ""],
            args=[round_key(class_id, "%s"), cards_key(class_id, "%s"),
                  reactions_key(class_id, "%s"), authors_key(class_id, "%s"),
                  process_key("%s"), replies_key(class_id, "%s", "%s"), HISTORY])
        view = copy.copy(self)
        view.r = cast(Client, Prefetched(self.r, entries))
        return view

    def reading_round(self, class_id: str, round_id: str) -> RedisStore:
        """This store, its reads of the round's authors and cards and of the class's students
        answered from one round trip made now (who answered, for the staff and the stage)."""
        hashes = [authors_key(class_id, round_id), cards_key(class_id, round_id),
                  students_key(class_id)]
        pipe = self.r.pipeline()
        for key in hashes:
            pipe.hgetall(key)
        entries = [("h", key, [x for pair in value.items() for x in pair])
                   for key, value in zip(hashes, pipe.execute(), strict=True)]
        view = copy.copy(self)
        view.r = cast(Client, Prefetched(self.r, entries))
        return view

    def rewrite_append_only_file(self) -> str:
        """Have Redis rewrite its append-only file, so deleted data leaves the disk as well.

        Returns 'started' (or scheduled after a running snapshot), 'off' (this Redis keeps no
        append-only file), 'busy' (a rewrite that began before the deletion is running: ask
        again when it ends) or 'refused: <why>' (e.g. an ACL without BGREWRITEAOF)."""
        try:
            if str(self.r.info("persistence").get("aof_enabled", "0")) != "1":
                return "off"
            self.r.bgrewriteaof()
            return "started"
        except redis.ResponseError as exc:
            if "already in progress" in str(exc):
                return "busy"
            return f"refused: {exc}"


def _glob_escape(text: str) -> str:
    """`text` matched literally by a SCAN pattern."""
    return "".join(f"\\{c}" if c in "*?[]\\" else c for c in text)
