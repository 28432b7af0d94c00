"""Every Redis key Rapport uses, and every update that touches more than one of them.

Nothing else in the code base names a key. Multi-key updates run as MULTI/EXEC transactions
(with WATCH where a check must hold until the write), so a crash never leaves half an update.
Every key of a class, credentials and join code included, expires `retention_days` after the
class's last activity (sliding TTL: `_refresh` on every write, `SLIDE_CLASS` hourly).
`docs/redis-keys.md` lists the keys, their types and TTLs.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import time
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple, TypeVar

import redis

PREFIX = "rp"
TTL_CACHE_SECONDS = 60
REACTIONS = ("heart", "clap", "smile", "star", "wow")
T = TypeVar("T")
Record = dict[str, Any]  # a JSON object as stored


HEARTBEAT_SECONDS = 5  # how often a process says it is alive
HEARTBEAT_TTL = 20  # a process silent this long is dead: its sockets are ghosts
PROCESS_KEYS_TTL = 86400  # registries of sockets outlive any heartbeat gap, not forever


class SocketOpened(NamedTuple):
    student_sockets: int  # the student's live sockets now (0 for staff)
    close: list[str]  # the oldest sockets beyond a cap: to be closed


class StoreUnavailable(Exception):
    """Redis did not answer; the action did not happen."""


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# ---- key names -------------------------------------------------------------------------------

def class_key(class_id: str) -> str:
    return f"{PREFIX}:class:{class_id}"  # hash: field -> JSON value


def code_key(code: str) -> str:
    return f"{PREFIX}:code:{code}"  # string: class id


def cred_key(secret_hash: str) -> str:
    return f"{PREFIX}:cred:{secret_hash}"  # string: JSON {class_id, role, student_id?}


def students_key(class_id: str) -> str:
    return f"{PREFIX}:class:{class_id}:students"  # hash: student id -> JSON record


def names_key(class_id: str) -> str:
    return f"{PREFIX}:class:{class_id}:names"  # hash: normalised name -> student id


def roster_key(class_id: str) -> str:
    return f"{PREFIX}:class:{class_id}:roster"  # hash: roster id -> JSON entry


def rejoin_key(class_id: str) -> str:
    return f"{PREFIX}:class:{class_id}:rejoin"  # hash: rejoin-code hash -> student id


def roster_names_key(class_id: str) -> str:
    return f"{PREFIX}:class:{class_id}:roster-names"  # hash: normalised name -> roster id


def sockets_key(class_id: str) -> str:
    # hash: Socket.IO sid -> JSON {"cred": credential hash, "student_id"?}, on any process
    return f"{PREFIX}:class:{class_id}:sockets"


def current_round_key(class_id: str) -> str:
    return f"{PREFIX}:class:{class_id}:round"  # string: id of the current round


def rounds_key(class_id: str) -> str:
    return f"{PREFIX}:class:{class_id}:rounds"  # list: round ids, oldest first


def round_key(class_id: str, round_id: str) -> str:
    return f"{PREFIX}:class:{class_id}:round:{round_id}"  # hash: field -> JSON value


def cards_key(class_id: str, round_id: str) -> str:
    return f"{PREFIX}:class:{class_id}:round:{round_id}:cards"  # hash: card id -> JSON card


def authors_key(class_id: str, round_id: str) -> str:
    # hash: student id -> JSON {"card_id", "client_id"}: one card per student, idempotent posts
    return f"{PREFIX}:class:{class_id}:round:{round_id}:authors"


def reactions_key(class_id: str, round_id: str) -> str:
    return f"{PREFIX}:class:{class_id}:round:{round_id}:reactions"  # hash: card:reaction -> n


def reacted_key(class_id: str, round_id: str) -> str:
    return f"{PREFIX}:class:{class_id}:round:{round_id}:reacted"  # set: card:student:reaction


def reactions_dirty_key() -> str:
    # set: "class_id|round_id|card_id" of every card whose counts changed since they were last
    # sent, shared by every process (Lua `REACT_CARD` adds, `TAKE_DIRTY_REACTIONS` takes)
    return f"{PREFIX}:reactions-dirty"


def reactions_sent_key(class_id: str, card_id: str) -> str:
    # string: when (epoch ms) any process last sent a card's counts: one send per card per
    # flush interval across all processes
    return f"{PREFIX}:reactions-sent:{class_id}:{card_id}"


def replies_key(class_id: str, round_id: str, card_id: str) -> str:
    return f"{PREFIX}:class:{class_id}:round:{round_id}:replies:{card_id}"  # list: JSON replies


def student_cards_key(class_id: str, student_id: str) -> str:
    return f"{PREFIX}:class:{class_id}:student:{student_id}:cards"  # list: "round_id/card_id"


def used_prompts_key(class_id: str) -> str:
    return f"{PREFIX}:class:{class_id}:used-prompts"  # set: prompt ids the class has had


def custom_prompts_key(class_id: str) -> str:
    return f"{PREFIX}:class:{class_id}:custom-prompts"  # hash: prompt id -> JSON prompt


def host_cards_key(class_id: str) -> str:
    return f"{PREFIX}:class:{class_id}:host-cards"  # list: JSON host cards, newest first


def photo_key(class_id: str, photo_id: str) -> str:
    return f"{PREFIX}:class:{class_id}:photo:{photo_id}"  # hash: meta (JSON), jpeg (base64)


def audio_key(class_id: str, audio_id: str) -> str:
    return f"{PREFIX}:class:{class_id}:audio:{audio_id}"  # hash: meta (JSON), data (base64)


# A card's attachments: kind -> (key, field holding the base64 bytes).
ATTACHMENTS = {"photo": (photo_key, "jpeg"), "audio": (audio_key, "data")}


def rotation_key(class_id: str) -> str:
    return f"{PREFIX}:class:{class_id}:rotation"  # hash: the current rotation plan (JSON values)


def pairs_key(class_id: str) -> str:
    return f"{PREFIX}:class:{class_id}:pairs"  # hash: "a|b" (sorted ids) -> times met in rooms


def spotlights_key(class_id: str) -> str:
    return f"{PREFIX}:class:{class_id}:spotlights"  # list: JSON {student_id, card_id, at}


def checkin_plan_key(class_id: str) -> str:
    return f"{PREFIX}:class:{class_id}:checkin-plan"  # string: JSON settings + plan


def checkin_log_key(class_id: str) -> str:
    return f"{PREFIX}:class:{class_id}:checkin-log"  # hash: "week:slot" -> JSON meeting


def notes_key(class_id: str) -> str:
    return f"{PREFIX}:class:{class_id}:notes"  # hash: student id -> JSON private teacher notes


def rate_key(action: str, subject: str) -> str:
    return f"{PREFIX}:rate:{action}:{subject}"  # hash: token bucket {t: tokens, ts: ms}


def process_key(name: str) -> str:
    # string: the boot id of the live process called `name`; expires HEARTBEAT_TTL after its
    # last heartbeat, so a crashed process's key is gone within that time (or replaced at once
    # when the same host:port starts again)
    return f"{PREFIX}:proc:{name}"


def processes_key() -> str:
    return f"{PREFIX}:procs"  # set: "name|boot" of every process that registered sockets


def process_sockets_key(member: str) -> str:
    return f"{PREFIX}:proc-sockets:{member}"  # set: "class_id sid" of that process's sockets


def address_sockets_key(address: str) -> str:
    return f"{PREFIX}:addr-sockets:{address}"  # sorted set: "class_id sid" by opening time (ms)


def deadlines_key() -> str:
    # sorted set: "kind|class_id|item_id" scored by deadline (epoch ms), shared by all processes
    return f"{PREFIX}:deadlines"


def class_keys(class_id: str) -> list[str]:
    """The fixed keys of a class (credentials and the join code are found through the record)."""
    return [
        class_key(class_id), students_key(class_id), names_key(class_id),
        roster_key(class_id), roster_names_key(class_id), sockets_key(class_id),
        current_round_key(class_id), rounds_key(class_id), used_prompts_key(class_id),
        custom_prompts_key(class_id), host_cards_key(class_id), index_key(class_id),
        rotation_key(class_id), pairs_key(class_id), spotlights_key(class_id),
        checkin_plan_key(class_id), checkin_log_key(class_id), notes_key(class_id),
        rejoin_key(class_id),
    ]


def index_key(class_id: str) -> str:
    """Set of the class's other keys (rounds, cards, photos…), so deletion finds them all."""
    return f"{PREFIX}:class:{class_id}:index"


# ---- key registry: what docs/redis-keys.md is checked against (tests/unit/test_docs.py) -------

RETENTION = "retention after the class's last activity"


class KeySpec(NamedTuple):
    name: Callable[..., str]  # the function above that names the key
    type: str  # Redis type
    ttl: str  # TTL policy, as docs/redis-keys.md's TTL column starts

    @property
    def pattern(self) -> str:
        """The key's name with each argument shown as `{argument}`."""
        params = self.name.__code__.co_varnames[:self.name.__code__.co_argcount]
        return self.name(*(f"{{{p}}}" for p in params))


KEY_REGISTRY: tuple[KeySpec, ...] = (
    KeySpec(class_key, "hash", RETENTION),
    KeySpec(code_key, "string", RETENTION),
    KeySpec(cred_key, "string", RETENTION),
    KeySpec(students_key, "hash", RETENTION),
    KeySpec(names_key, "hash", RETENTION),
    KeySpec(rejoin_key, "hash", RETENTION),
    KeySpec(roster_key, "hash", RETENTION),
    KeySpec(roster_names_key, "hash", RETENTION),
    KeySpec(sockets_key, "hash", RETENTION),
    KeySpec(process_key, "string", f"{HEARTBEAT_TTL} s"),
    KeySpec(processes_key, "set", "1 day"),
    KeySpec(process_sockets_key, "set", "1 day"),
    KeySpec(address_sockets_key, "sorted set", "1 day"),
    KeySpec(current_round_key, "string", RETENTION),
    KeySpec(rounds_key, "list", RETENTION),
    KeySpec(round_key, "hash", RETENTION),
    KeySpec(cards_key, "hash", RETENTION),
    KeySpec(authors_key, "hash", RETENTION),
    KeySpec(reactions_key, "hash", RETENTION),
    KeySpec(reacted_key, "set", RETENTION),
    KeySpec(reactions_dirty_key, "set", "1 day"),
    KeySpec(reactions_sent_key, "string", "ten flush intervals"),
    KeySpec(replies_key, "list", RETENTION),
    KeySpec(student_cards_key, "list", RETENTION),
    KeySpec(used_prompts_key, "set", RETENTION),
    KeySpec(custom_prompts_key, "hash", RETENTION),
    KeySpec(host_cards_key, "list", RETENTION),
    KeySpec(photo_key, "hash", RETENTION),
    KeySpec(audio_key, "hash", RETENTION),
    KeySpec(index_key, "set", RETENTION),
    KeySpec(rotation_key, "hash", RETENTION),
    KeySpec(pairs_key, "hash", RETENTION),
    KeySpec(spotlights_key, "list", RETENTION),
    KeySpec(checkin_plan_key, "string", RETENTION),
    KeySpec(checkin_log_key, "hash", RETENTION),
    KeySpec(notes_key, "hash", RETENTION),
    KeySpec(rate_key, "hash", "the time the bucket takes to refill"),
    KeySpec(deadlines_key, "sorted set", "400 days"),
)


# Post a card once per student per round, only while the round is open. A retry with the same
# client id returns the stored card instead of posting twice.
ADD_CARD = """
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= '"open"' then return {'closed', ''} end
local mine = redis.call('HGET', KEYS[2], ARGV[1])
if mine then
  local ref = cjson.decode(mine)
  if ref['client_id'] == ARGV[2] then
    return {'exists', redis.call('HGET', KEYS[3], ref['card_id'])}
  end
  return {'taken', redis.call('HGET', KEYS[3], ref['card_id'])}
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[5])
redis.call('HSET', KEYS[3], ARGV[3], ARGV[4])
redis.call('LPUSH', KEYS[4], ARGV[6])
for i = 2, 4 do redis.call('EXPIRE', KEYS[i], ARGV[7]) end
return {'ok', ARGV[4]}
"""

# Compare-and-set one hash field: the caller read `old`, decided `new`; nobody changed it since.
CAS_FIELD = """
local current = redis.call('HGET', KEYS[1], ARGV[1])
if (current or '') ~= ARGV[2] then return 0 end
if ARGV[3] == '' then redis.call('HDEL', KEYS[1], ARGV[1])
else redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
"""

# Token bucket: refill at ARGV[1] tokens/ms up to ARGV[2]; take one if ARGV[5] == '1'.
# Returns 1 when a token was (or, when only peeking, would be) available.
TAKE_TOKEN = """
local now = tonumber(ARGV[3])
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tokens = tonumber(redis.call('HGET', KEYS[1], 't'))
local ts = tonumber(redis.call('HGET', KEYS[1], 'ts'))
if tokens == nil then tokens = burst; ts = now end
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local ok = 0
if tokens >= 1 then
  ok = 1
  if ARGV[5] == '1' then tokens = tokens - 1 end
end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return ok
"""

# One reaction of each kind per student per card; returns the card's new count for it.
REACT = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return -1 end
local n = redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return n
"""

# The same count, in one round trip with the card lookup: only a card the student may see
# (their own, or a visible class card) takes a reaction. Returns {'ok', card} or {'missing'}.
REACT_CARD = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return {'missing'} end
local card = cjson.decode(raw)
if card['student_id'] ~= ARGV[2] and
   (card['visibility'] ~= 'class' or card['status'] ~= 'visible') then
  return {'missing'}
end
if redis.call('SADD', KEYS[2], ARGV[1] .. ':' .. ARGV[2] .. ':' .. ARGV[3]) == 1 then
  redis.call('HINCRBY', KEYS[3], ARGV[1] .. ':' .. ARGV[3], 1)
  redis.call('EXPIRE', KEYS[2], ARGV[4])
  redis.call('EXPIRE', KEYS[3], ARGV[4])
  redis.call('SADD', KEYS[4], ARGV[5])
  redis.call('EXPIRE', KEYS[4], 86400)
end
return {'ok', raw}
"""

# Take the cards whose counts are due to be sent, for every process at once: a dirty card not
# sent by anyone within the interval (its sent key holds the time of the last send) leaves the
# dirty set and comes back with its counts and record, read in the same atomic step, so a
# reaction counted later makes it dirty again (nothing lost) and no two sends carry the same
# counts. The time is the caller's (the scheduler's clock, which a test moves on); the sent key
# expires after ten intervals only to clean up. KEYS[1] the dirty set; ARGV[1] the interval
# (ms), ARGV[2..4] the names of the sent, reactions and cards keys with `%s` for their parts,
# ARGV[5] now (epoch ms). Returns {dirty cards left unsent, {member, card JSON or false,
# {reaction, n, ...}}...}.
TAKE_DIRTY_REACTIONS = """
local taken, left, counts_of = {}, 0, {}
local interval, now = tonumber(ARGV[1]), tonumber(ARGV[5])
for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local class_id, round_id, card_id = string.match(member, '^([^|]*)|([^|]*)|(.*)$')
  if not card_id then
    redis.call('SREM', KEYS[1], member)
  elseif (tonumber(redis.call('GET', string.format(ARGV[2], class_id, card_id)) or '')
          or -math.huge) <= now - interval then
    redis.call('SET', string.format(ARGV[2], class_id, card_id), ARGV[5], 'PX', interval * 10)
    redis.call('SREM', KEYS[1], member)
    local rkey = string.format(ARGV[3], class_id, round_id)
    if not counts_of[rkey] then counts_of[rkey] = redis.call('HGETALL', rkey) end
    local all, prefix, counts = counts_of[rkey], card_id .. ':', {}
    for i = 1, #all, 2 do
      if string.sub(all[i], 1, #prefix) == prefix then
        counts[#counts + 1] = string.sub(all[i], #prefix + 1)
        counts[#counts + 1] = all[i + 1]
      end
    end
    local card = redis.call('HGET', string.format(ARGV[4], class_id, round_id), card_id)
    taken[#taken + 1] = {member, card or false, counts}
  else
    left = left + 1
  end
end
return {left, taken}
"""


# Slide the expiry of everything a class has, credentials and join code included: its fixed
# keys, every key in its index, the join code, the staff credentials and every seat token.
# KEYS[1] the class record, KEYS[2] its students, KEYS[3] its index, then its other fixed keys;
# ARGV[1] the TTL, ARGV[2] and ARGV[3] the names of the join-code and credential keys without
# their last part (code_key(""), cred_key("")).
SLIDE_CLASS = """
local ttl = ARGV[1]
local function unquote(raw) return raw and string.match(raw, '^"(.+)"$') end
for i = 1, #KEYS do redis.call('EXPIRE', KEYS[i], ttl) end
for _, key in ipairs(redis.call('SMEMBERS', KEYS[3])) do redis.call('EXPIRE', key, ttl) end
local code = unquote(redis.call('HGET', KEYS[1], 'join_code'))
if code then redis.call('EXPIRE', ARGV[2] .. code, ttl) end
for _, field in ipairs({'teacher_hash', 'cohost_hash'}) do
  local secret = unquote(redis.call('HGET', KEYS[1], field))
  if secret then redis.call('EXPIRE', ARGV[3] .. secret, ttl) end
end
for _, raw in ipairs(redis.call('HVALS', KEYS[2])) do
  local seat = cjson.decode(raw)['seat_hash']
  if seat then redis.call('EXPIRE', ARGV[3] .. seat, ttl) end
end
return 1
"""

# How often (per class, per process) SLIDE_CLASS runs with the class's activity. Retention is
# counted in whole days, so sliding at most once an hour keeps every key within an hour of
# `retention_days` after the class's last activity, at a cost that does not grow per event.
SLIDE_EVERY_SECONDS = 3600.0


class RedisStore:
    def __init__(self, client: redis.Redis, default_retention_days: int = 180,
                 clock: Callable[[], float] = time.monotonic,
                 process_name: str | None = None) -> None:
        self.r = client
        # This process: a stable name (host:port when serving) and a fresh id per start.
        name = process_name or f"{socket.gethostname()}:{os.getpid()}"
        self.process = f"{name}|{secrets.token_hex(6)}"
        self._mine: dict[str, tuple[str, str]] = {}  # sid -> (class id, stored entry)
        self.default_retention_days = default_retention_days
        self._ttl_cache: dict[str, tuple[int, float]] = {}  # class -> (ttl, read at)
        self._clock = clock
        self._slid_at: dict[str, float] = {}
        self._slide_class = client.register_script(SLIDE_CLASS)
        self._add_card = client.register_script(ADD_CARD)
        self._cas_field = client.register_script(CAS_FIELD)
        self._react = client.register_script(REACT)
        self._react_card = client.register_script(REACT_CARD)
        self._take_dirty_reactions = client.register_script(TAKE_DIRTY_REACTIONS)
        self._take_token = client.register_script(TAKE_TOKEN)

    # ---- plumbing ----------------------------------------------------------------------------

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

    def _refresh(self, pipe: Any, class_id: str) -> None:
        """Queue EXPIREs that keep a class's own keys alive as long as it is used, and (at
        most once an hour) slide everything else of the class along with them."""
        ttl = self._ttl(class_id)
        for key in class_keys(class_id):
            pipe.expire(key, ttl)
        self._slide(pipe, class_id)

    def _slide(self, pipe: Any, class_id: str) -> None:
        """Queue SLIDE_CLASS when this process has not slid the class for an hour. (Were the
        transaction it rides on to be retried, the next slide waits for the next hour.)"""
        now = self._clock()
        if now - self._slid_at.get(class_id, -SLIDE_EVERY_SECONDS) < SLIDE_EVERY_SECONDS:
            return
        self._slid_at[class_id] = now
        keys = [class_key(class_id), students_key(class_id), index_key(class_id),
                *class_keys(class_id)]
        self._slide_class(keys=keys, args=[self._ttl(class_id), code_key(""), cred_key("")],
                          client=pipe)

    def _watched(self, keys: Iterable[str], body: Callable[[Any], T]) -> T:
        """Run `body(pipe)` under WATCH of `keys`, retrying when another writer got there first."""
        with self.r.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(*keys)
                    return body(pipe)
                except redis.WatchError:
                    continue

    # ---- classes -----------------------------------------------------------------------------

    def create_class(self, record: Record, code: str, teacher_hash: str,
                     cohost_hash: str) -> bool:
        """Create the class unless its join code is taken by a live class."""
        class_id = record["id"]
        ttl = record["retention_days"] * 86400
        if not self.r.set(code_key(code), class_id, nx=True, ex=ttl):
            return False
        self._ttl_cache[class_id] = (ttl, time.monotonic())
        stored = {**record, "teacher_hash": teacher_hash, "cohost_hash": cohost_hash}
        pipe = self.r.pipeline()
        pipe.hset(class_key(class_id), mapping={k: _dumps(v) for k, v in stored.items()})
        pipe.expire(class_key(class_id), ttl)
        pipe.set(cred_key(teacher_hash), _dumps({"class_id": class_id, "role": "teacher"}), ex=ttl)
        pipe.set(cred_key(cohost_hash), _dumps({"class_id": class_id, "role": "cohost"}), ex=ttl)
        pipe.execute()
        return True

    def _class_record(self, class_id: str, client: Any = None) -> Record | None:
        raw = (client or self.r).hgetall(class_key(class_id))
        return {k: json.loads(v) for k, v in raw.items()} if raw else None

    def get_class(self, class_id: str) -> Record | None:
        record = self._class_record(class_id)
        if record is not None:
            record.pop("teacher_hash", None)
            record.pop("cohost_hash", None)
        return record

    def class_id_for_code(self, code: str) -> str | None:
        return self.r.get(code_key(code))

    def credential(self, secret_hash: str) -> Record | None:
        raw = self.r.get(cred_key(secret_hash))
        return json.loads(raw) if raw else None

    def set_class_fields(self, class_id: str, fields: Record) -> None:
        pipe = self.r.pipeline()
        pipe.hset(class_key(class_id), mapping={k: _dumps(v) for k, v in fields.items()})
        self._refresh(pipe, class_id)
        pipe.execute()

    def replace_secret(self, class_id: str, role: str, new_hash: str | None) -> str | None:
        """Swap the teacher or co-host credential; the old secret stops working at once.

        Returns the old credential's hash, so its open sockets can be closed."""
        field = f"{role}_hash"

        def body(pipe: Any) -> str | None:
            record = self._class_record(class_id, pipe) or {}
            old = record.get(field)
            pipe.multi()
            if old:
                pipe.delete(cred_key(old))
            pipe.hset(class_key(class_id), field, _dumps(new_hash or ""))
            if new_hash:
                pipe.set(cred_key(new_hash), _dumps({"class_id": class_id, "role": role}),
                         ex=self._ttl(class_id))
            pipe.execute()
            return old or None

        return self._watched([class_key(class_id)], body)

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
        pipe.hset(class_key(class_id), "retention_days", _dumps(days))
        for key in keys:
            pipe.expire(key, ttl)
        pipe.execute()
        self._ttl_cache[class_id] = (ttl, time.monotonic())

    def delete_class(self, class_id: str) -> None:
        """Delete the class and everything in it, credentials and join code included."""
        record = self._class_record(class_id)
        if record is None:
            return
        students = self.list_students(class_id, include_removed=True)
        keys = [*class_keys(class_id), code_key(record["join_code"])]
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
        self._ttl_cache.pop(class_id, None)

    # ---- students ----------------------------------------------------------------------------

    def add_student(self, class_id: str, student: Record, norm: str,
                    seat_hash: str) -> str:
        """Seat a student atomically: 'ok', 'missing', 'locked' or 'name_taken'."""
        keys = [class_key(class_id), names_key(class_id)]

        def body(pipe: Any) -> str:
            record = self._class_record(class_id, pipe)
            if record is None:
                return "missing"
            if record.get("locked"):
                return "locked"
            if pipe.hexists(names_key(class_id), norm):
                return "name_taken"
            stored = {**student, "norm": norm, "seat_hash": seat_hash}
            pipe.multi()
            pipe.hset(names_key(class_id), norm, student["id"])
            pipe.hset(students_key(class_id), student["id"], _dumps(stored))
            pipe.set(cred_key(seat_hash), _dumps(
                {"class_id": class_id, "role": "student", "student_id": student["id"]}
            ), ex=self._ttl(class_id))
            self._refresh(pipe, class_id)
            pipe.execute()
            return "ok"

        return self._watched(keys, body)

    def get_student(self, class_id: str, student_id: str) -> Record | None:
        raw = self.r.hget(students_key(class_id), student_id)
        return json.loads(raw) if raw else None

    def list_students(self, class_id: str, *, include_removed: bool = False) -> list[Record]:
        students = [json.loads(v) for v in self.r.hvals(students_key(class_id))]
        if not include_removed:
            students = [s for s in students if not s.get("removed")]
        return sorted(students, key=lambda s: (s["joined_at"], s["id"]))

    def put_student(self, class_id: str, student: Record) -> None:
        pipe = self.r.pipeline()
        pipe.hset(students_key(class_id), student["id"], _dumps(student))
        self._refresh(pipe, class_id)
        pipe.execute()

    def set_student_fields(self, class_id: str, student_id: str, fields: Record
                           ) -> Record | None:
        """Change fields of a seated student's record (e.g. their language); None when the
        student is gone or removed."""

        def body(pipe: Any) -> Record | None:
            raw = pipe.hget(students_key(class_id), student_id)
            if raw is None:
                return None
            student = json.loads(raw)
            if student.get("removed"):
                return None
            student.update(fields)
            pipe.multi()
            pipe.hset(students_key(class_id), student_id, _dumps(student))
            self._refresh(pipe, class_id)
            pipe.execute()
            return student

        return self._watched([students_key(class_id)], body)

    def rename_student(self, class_id: str, student_id: str, shown: str, norm: str) -> bool:
        """Rename unless another student has that name; frees the old name."""

        def body(pipe: Any) -> bool:
            raw = pipe.hget(students_key(class_id), student_id)
            if raw is None:
                return False
            student = json.loads(raw)
            holder = pipe.hget(names_key(class_id), norm)
            if holder not in (None, student_id) or student.get("removed"):
                return False
            pipe.multi()
            pipe.hdel(names_key(class_id), student["norm"])
            pipe.hset(names_key(class_id), norm, student_id)
            student.update(name=shown, norm=norm)
            pipe.hset(students_key(class_id), student_id, _dumps(student))
            self._refresh(pipe, class_id)
            pipe.execute()
            return True

        return self._watched([students_key(class_id), names_key(class_id)], body)

    def remove_student(self, class_id: str, student_id: str) -> None:
        """Take a student out of the class: their seat token stops working at once."""

        def body(pipe: Any) -> None:
            raw = pipe.hget(students_key(class_id), student_id)
            if raw is None:
                return
            student = json.loads(raw)
            pipe.multi()
            pipe.delete(cred_key(student["seat_hash"]))
            pipe.hdel(names_key(class_id), student["norm"])
            if student.get("rejoin_hash"):
                pipe.hdel(rejoin_key(class_id), student["rejoin_hash"])
            student.pop("rejoin_hash", None)
            # Kept (marked) until the teacher deletes their data: their cards still exist.
            pipe.hset(students_key(class_id), student_id, _dumps({**student, "removed": True}))
            pipe.execute()

        self._watched([students_key(class_id)], body)

    def set_rejoin_code(self, class_id: str, student_id: str, code_hash: str) -> bool:
        """Give a seat a new rejoin code (replacing its previous one); False if no such seat."""

        def body(pipe: Any) -> bool:
            raw = pipe.hget(students_key(class_id), student_id)
            student = json.loads(raw) if raw else None
            if student is None or student.get("removed"):
                return False
            pipe.multi()
            if student.get("rejoin_hash"):
                pipe.hdel(rejoin_key(class_id), student["rejoin_hash"])
            pipe.hset(rejoin_key(class_id), code_hash, student_id)
            student["rejoin_hash"] = code_hash
            pipe.hset(students_key(class_id), student_id, _dumps(student))
            self._refresh(pipe, class_id)
            pipe.execute()
            return True

        return self._watched([students_key(class_id), rejoin_key(class_id)], body)

    def rejoin_seat(self, class_id: str, code_hash: str,
                    new_seat_hash: str) -> tuple[Record, str] | None:
        """Use a rejoin code once: the seat gets a new seat token and the old one stops
        working. Returns (student, old seat hash), or None when the code is not valid."""

        def body(pipe: Any) -> tuple[Record, str] | None:
            student_id = pipe.hget(rejoin_key(class_id), code_hash)
            raw = pipe.hget(students_key(class_id), student_id) if student_id else None
            student = json.loads(raw) if raw else None
            if (student is None or student.get("removed")
                    or student.get("rejoin_hash") != code_hash):
                return None
            old = student["seat_hash"]
            student.update(seat_hash=new_seat_hash)
            student.pop("rejoin_hash")
            pipe.multi()
            pipe.hdel(rejoin_key(class_id), code_hash)
            pipe.delete(cred_key(old))
            pipe.set(cred_key(new_seat_hash), _dumps(
                {"class_id": class_id, "role": "student", "student_id": student["id"]}
            ), ex=self._ttl(class_id))
            pipe.hset(students_key(class_id), student["id"], _dumps(student))
            self._refresh(pipe, class_id)
            pipe.execute()
            return student, old

        return self._watched([students_key(class_id), rejoin_key(class_id)], body)

    # ---- roster ------------------------------------------------------------------------------

    def replace_roster(self, class_id: str, entries: list[Record],
                       norms: list[str]) -> None:
        pipe = self.r.pipeline()
        pipe.delete(roster_key(class_id), roster_names_key(class_id))
        if entries:
            pipe.hset(roster_key(class_id), mapping={e["id"]: _dumps(e) for e in entries})
            pipe.hset(roster_names_key(class_id),
                      mapping={n: e["id"] for n, e in zip(norms, entries, strict=True)})
        self._refresh(pipe, class_id)
        pipe.execute()

    def list_roster(self, class_id: str) -> list[Record]:
        entries = [json.loads(v) for v in self.r.hvals(roster_key(class_id))]
        return sorted(entries, key=lambda e: int(e["id"][1:]))

    def get_roster_entry(self, class_id: str, roster_id: str) -> Record | None:
        raw = self.r.hget(roster_key(class_id), roster_id)
        return json.loads(raw) if raw else None

    def roster_entry_by_name(self, class_id: str, norm: str) -> Record | None:
        roster_id = self.r.hget(roster_names_key(class_id), norm)
        return self.get_roster_entry(class_id, roster_id) if roster_id else None

    # ---- open sockets and presence ----------------------------------------------------------

    def _sockets(self, class_id: str, client: Any = None, *,
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
        entry = _dumps({"cred": cred_hash, "student_id": student_id, "proc": self.process,
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
    def _unregister(pipe: Any, class_id: str, sockets: dict[str, Record]) -> None:
        """Take deleted sockets out of their process's and address's indexes too."""
        for sid, entry in sockets.items():
            ref = f"{class_id} {sid}"
            if entry.get("proc"):
                pipe.srem(process_sockets_key(entry["proc"]), ref)
            if entry.get("addr"):
                pipe.zrem(address_sockets_key(entry["addr"]), ref)

    def _register(self, pipe: Any, ref: str, address: str, now: int) -> None:
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

    # ---- processes: heartbeat and the purge of crashed ones -----------------------------------

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

    # ---- rounds ------------------------------------------------------------------------------

    def _track(self, pipe: Any, class_id: str, *keys: str) -> None:
        """Record dynamic keys in the class index and give them the class's TTL."""
        ttl = self._ttl(class_id)
        pipe.sadd(index_key(class_id), *keys)
        pipe.expire(index_key(class_id), ttl)
        for key in keys:
            pipe.expire(key, ttl)
        self._slide(pipe, class_id)

    def current_round_id(self, class_id: str) -> str | None:
        return self.r.get(current_round_key(class_id))

    def create_round(self, class_id: str, record: Record) -> bool:
        """Make `record` the current round unless the current one is still open."""
        round_id = record["id"]

        def body(pipe: Any) -> bool:
            current = pipe.get(current_round_key(class_id))
            if current is not None:
                status = pipe.hget(round_key(class_id, current), "status")
                if status is not None and json.loads(status) == "open":
                    return False
            pipe.multi()
            rkey = round_key(class_id, round_id)
            pipe.hset(rkey, mapping={k: _dumps(v) for k, v in record.items()})
            pipe.set(current_round_key(class_id), round_id)
            pipe.rpush(rounds_key(class_id), round_id)
            if record["prompt"].get("id"):
                pipe.sadd(used_prompts_key(class_id), record["prompt"]["id"])
            self._track(pipe, class_id, rkey, cards_key(class_id, round_id),
                        authors_key(class_id, round_id), reactions_key(class_id, round_id),
                        reacted_key(class_id, round_id))
            self._refresh(pipe, class_id)
            pipe.execute()
            return True

        return self._watched([current_round_key(class_id)], body)

    def get_round(self, class_id: str, round_id: str) -> Record | None:
        raw = self.r.hgetall(round_key(class_id, round_id))
        return {k: json.loads(v) for k, v in raw.items()} if raw else None

    def list_round_ids(self, class_id: str) -> list[str]:
        return list(self.r.lrange(rounds_key(class_id), 0, -1))

    def update_round(self, class_id: str, round_id: str,
                     change: Callable[[Record], Record | None]) -> Record | None:
        """Apply `change(round) -> fields to set` atomically; None from change means no-op.

        Returns the updated round, or None when the change declined (or the round is gone).
        """
        return self._update_record(class_id, round_key(class_id, round_id), change)

    def _update_record(self, class_id: str, rkey: str,
                       change: Callable[[Record], Record | None]) -> Record | None:
        """WATCH a JSON-valued hash, let `change` decide the fields to set, write them."""

        def body(pipe: Any) -> Record | None:
            raw = pipe.hgetall(rkey)
            if not raw:
                return None
            record = {k: json.loads(v) for k, v in raw.items()}
            fields = change(record)
            if fields is None:
                return None
            pipe.multi()
            pipe.hset(rkey, mapping={k: _dumps(v) for k, v in fields.items()})
            pipe.expire(rkey, self._ttl(class_id))
            self._refresh(pipe, class_id)
            pipe.execute()
            return {**record, **fields}

        return self._watched([rkey], body)

    def add_host_card(self, class_id: str, card: Record) -> None:
        pipe = self.r.pipeline()
        pipe.lpush(host_cards_key(class_id), _dumps(card))
        pipe.ltrim(host_cards_key(class_id), 0, 199)
        self._refresh(pipe, class_id)
        pipe.execute()

    def host_cards(self, class_id: str, limit: int = 50) -> list[Record]:
        return [json.loads(v) for v in self.r.lrange(host_cards_key(class_id), 0, limit - 1)]

    def used_prompt_ids(self, class_id: str) -> set[str]:
        return set(self.r.smembers(used_prompts_key(class_id)))

    def put_custom_prompt(self, class_id: str, prompt: Record) -> None:
        pipe = self.r.pipeline()
        pipe.hset(custom_prompts_key(class_id), prompt["id"], _dumps(prompt))
        self._refresh(pipe, class_id)
        pipe.execute()

    def custom_prompts(self, class_id: str) -> list[Record]:
        return [json.loads(v) for v in self.r.hvals(custom_prompts_key(class_id))]

    # ---- rate limits (shared by every process) -----------------------------------------------

    def take_token(self, action: str, subject: str, *, per_minute: float, burst: int,
                   now_ms: int, consume: bool = True) -> bool:
        refill_ms = int(burst / per_minute * 60_000) + 1000
        return bool(self._take_token(
            keys=[rate_key(action, subject)],
            args=[per_minute / 60_000, burst, now_ms, refill_ms, "1" if consume else "0"]))

    # ---- deadlines (shared by every process) -------------------------------------------------

    def set_deadline(self, kind: str, class_id: str, item_id: str, at_ms: int | None) -> None:
        member = f"{kind}|{class_id}|{item_id}"
        if at_ms is None:
            self.r.zrem(deadlines_key(), member)
            return
        pipe = self.r.pipeline()
        pipe.zadd(deadlines_key(), {member: at_ms})
        pipe.expire(deadlines_key(), 400 * 86400)
        pipe.execute()

    def due_deadlines(self, now_ms: int, limit: int = 100) -> list[tuple[str, str, str]]:
        members = self.r.zrangebyscore(deadlines_key(), "-inf", now_ms, start=0, num=limit)
        return [tuple(m.split("|", 2)) for m in members]  # type: ignore[misc]

    def claim_deadline(self, kind: str, class_id: str, item_id: str) -> bool:
        """True for exactly one caller across all processes."""
        return bool(self.r.zrem(deadlines_key(), f"{kind}|{class_id}|{item_id}"))

    # ---- cards -------------------------------------------------------------------------------

    def add_card(self, class_id: str, round_id: str, card: Record) -> tuple[str, Record | None]:
        """Store a card: ('ok', card), ('exists', stored card), ('taken', other card) or
        ('closed', None) when the round is not open."""
        author = _dumps({"card_id": card["id"], "client_id": card["client_id"]})
        ref = f"{round_id}/{card['id']}"
        status, raw = self._add_card(
            keys=[round_key(class_id, round_id), authors_key(class_id, round_id),
                  cards_key(class_id, round_id), student_cards_key(class_id, card["student_id"])],
            args=[card["student_id"], card["client_id"], card["id"], _dumps(card), author, ref,
                  self._ttl(class_id)],
        )
        if status == "ok":
            pipe = self.r.pipeline()
            self._track(pipe, class_id, student_cards_key(class_id, card["student_id"]))
            pipe.execute()
        return status, (json.loads(raw) if raw else None)

    def get_card(self, class_id: str, round_id: str, card_id: str) -> Record | None:
        raw = self.r.hget(cards_key(class_id, round_id), card_id)
        return json.loads(raw) if raw else None

    def list_cards(self, class_id: str, round_id: str) -> list[Record]:
        cards = [json.loads(v) for v in self.r.hvals(cards_key(class_id, round_id))]
        return sorted(cards, key=lambda c: (c["created_at"], c["id"]))

    def update_card(self, class_id: str, round_id: str, card_id: str,
                    change: Callable[[Record], Record | None]) -> Record | None:
        """Compare-and-set a card: `change(card)` returns the new card, or None to decline."""
        key = cards_key(class_id, round_id)
        while True:
            raw = self.r.hget(key, card_id)
            if raw is None:
                return None
            new = change(json.loads(raw))
            if new is None:
                return None
            if self._cas_field(keys=[key], args=[card_id, raw, _dumps(new), self._ttl(class_id)]):
                return new

    def delete_card(self, class_id: str, round_id: str, card: Record) -> None:
        """Withdraw: the card, its author slot and its reactions go. Its private thread stays
        for the teacher's record and export (safeguarding) until retention or deletion."""
        pipe = self.r.pipeline(transaction=True)
        pipe.hdel(cards_key(class_id, round_id), card["id"])
        pipe.hdel(authors_key(class_id, round_id), card["student_id"])
        pipe.lrem(student_cards_key(class_id, card["student_id"]), 0, f"{round_id}/{card['id']}")
        for reaction in REACTIONS:
            pipe.hdel(reactions_key(class_id, round_id), f"{card['id']}:{reaction}")
        pipe.execute()

    def answered(self, class_id: str, round_id: str) -> list[str]:
        return list(self.r.hkeys(authors_key(class_id, round_id)))

    def student_card_refs(self, class_id: str, student_id: str,
                          limit: int = 50) -> list[tuple[str, str]]:
        refs = self.r.lrange(student_cards_key(class_id, student_id), 0, limit - 1)
        return [tuple(ref.split("/", 1)) for ref in refs]  # type: ignore[misc]

    def cards_by_ref(self, class_id: str, refs: list[tuple[str, str]]) -> list[Record]:
        pipe = self.r.pipeline(transaction=False)
        for round_id, card_id in refs:
            pipe.hget(cards_key(class_id, round_id), card_id)
        return [json.loads(raw) for raw in pipe.execute() if raw]

    # ---- reactions and replies ---------------------------------------------------------------

    def react(self, class_id: str, round_id: str, card_id: str, student_id: str,
              reaction: str) -> bool:
        """Count a reaction; False when this student already gave it to this card."""
        n = self._react(keys=[reacted_key(class_id, round_id), reactions_key(class_id, round_id)],
                        args=[f"{card_id}:{student_id}:{reaction}", f"{card_id}:{reaction}",
                              self._ttl(class_id)])
        return int(n) > 0

    def react_to_card(self, class_id: str, round_id: str, card_id: str, student_id: str,
                      reaction: str) -> Record | None:
        """Count a reaction to a card the student may see (their own or a visible class
        card), in one round trip; returns the card, or None when there is no such card."""
        found = self._react_card(
            keys=[cards_key(class_id, round_id), reacted_key(class_id, round_id),
                  reactions_key(class_id, round_id), reactions_dirty_key()],
            args=[card_id, student_id, reaction, self._ttl(class_id),
                  f"{class_id}|{round_id}|{card_id}"])
        return json.loads(found[1]) if found[0] == "ok" else None

    def take_dirty_reactions(self, interval_ms: int, now_ms: int
                             ) -> tuple[list[tuple[str, Record, dict[str, int]]], int]:
        """The cards whose counts changed and that no process sent within `interval_ms` before
        `now_ms`, each with its counts read in the same atomic step: ([(class id, card,
        counts)], how many changed cards wait because they were sent too recently)."""
        left, taken = self._take_dirty_reactions(
            keys=[reactions_dirty_key()],
            args=[interval_ms, reactions_sent_key("%s", "%s"), reactions_key("%s", "%s"),
                  cards_key("%s", "%s"), now_ms])
        due = []
        for member, raw, flat in taken:
            if raw:
                counts = {flat[i]: int(flat[i + 1]) for i in range(0, len(flat), 2)}
                due.append((member.split("|", 1)[0], json.loads(raw), counts))
        return due, int(left)

    def reaction_counts(self, class_id: str, round_id: str,
                        card_ids: Iterable[str] | None = None) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {}
        for field, n in self.r.hgetall(reactions_key(class_id, round_id)).items():
            card_id, reaction = field.split(":", 1)
            counts.setdefault(card_id, {})[reaction] = int(n)
        if card_ids is not None:
            wanted = set(card_ids)
            counts = {k: v for k, v in counts.items() if k in wanted}
        return counts

    def add_reply(self, class_id: str, round_id: str, card_id: str, reply: Record) -> None:
        key = replies_key(class_id, round_id, card_id)
        pipe = self.r.pipeline()
        pipe.rpush(key, _dumps(reply))
        pipe.ltrim(key, -200, -1)
        self._track(pipe, class_id, key)
        pipe.execute()

    def replies(self, class_id: str, round_id: str,
                card_ids: Iterable[str]) -> dict[str, list[Record]]:
        ids = list(card_ids)
        pipe = self.r.pipeline(transaction=False)
        for card_id in ids:
            pipe.lrange(replies_key(class_id, round_id, card_id), 0, -1)
        return {cid: [json.loads(r) for r in raw]
                for cid, raw in zip(ids, pipe.execute(), strict=True) if raw}

    # ---- photos and voice recordings (a card's attachments) ----------------------------------

    def put_attachment(self, kind: str, class_id: str, item_id: str, meta: Record,
                       data_b64: str) -> None:
        key_of, field = ATTACHMENTS[kind]
        key = key_of(class_id, item_id)
        pipe = self.r.pipeline()
        pipe.hset(key, mapping={"meta": _dumps(meta), field: data_b64})
        self._track(pipe, class_id, key)
        pipe.execute()

    def attachment_meta(self, kind: str, class_id: str, item_id: str) -> Record | None:
        raw = self.r.hget(ATTACHMENTS[kind][0](class_id, item_id), "meta")
        return json.loads(raw) if raw else None

    def attachment_data(self, kind: str, class_id: str, item_id: str) -> str | None:
        key_of, field = ATTACHMENTS[kind]
        return self.r.hget(key_of(class_id, item_id), field)

    def set_attachment_meta(self, kind: str, class_id: str, item_id: str, meta: Record) -> None:
        self.r.hset(ATTACHMENTS[kind][0](class_id, item_id), "meta", _dumps(meta))

    def delete_attachment(self, kind: str, class_id: str, item_id: str) -> None:
        key = ATTACHMENTS[kind][0](class_id, item_id)
        pipe = self.r.pipeline()
        pipe.delete(key)
        pipe.srem(index_key(class_id), key)
        pipe.execute()

    # ---- breakout rotations ------------------------------------------------------------------

    def get_rotation(self, class_id: str) -> Record | None:
        raw = self.r.hgetall(rotation_key(class_id))
        return {k: json.loads(v) for k, v in raw.items()} if raw else None

    def put_rotation(self, class_id: str, record: Record) -> None:
        pipe = self.r.pipeline()
        pipe.delete(rotation_key(class_id))
        pipe.hset(rotation_key(class_id), mapping={k: _dumps(v) for k, v in record.items()})
        self._refresh(pipe, class_id)
        pipe.execute()

    def update_rotation(self, class_id: str,
                        change: Callable[[Record], Record | None]) -> Record | None:
        return self._update_record(class_id, rotation_key(class_id), change)

    def pair_history(self, class_id: str) -> list[tuple[str, str, int]]:
        return [(*pair.split("|", 1), int(n))  # type: ignore[misc]
                for pair, n in self.r.hgetall(pairs_key(class_id)).items()]

    def record_pairs(self, class_id: str, pairs: list[tuple[str, str]]) -> None:
        """Count that these pairs met in a breakout room (the next lesson plans around it)."""
        if not pairs:
            return
        pipe = self.r.pipeline()
        for a, b in pairs:
            pipe.hincrby(pairs_key(class_id), "|".join(sorted((a, b))), 1)
        self._refresh(pipe, class_id)
        pipe.execute()

    # ---- connection record -------------------------------------------------------------------

    def add_spotlight(self, class_id: str, entry: Record) -> None:
        pipe = self.r.pipeline()
        pipe.rpush(spotlights_key(class_id), _dumps(entry))
        pipe.ltrim(spotlights_key(class_id), -5000, -1)
        self._refresh(pipe, class_id)
        pipe.execute()

    def spotlights(self, class_id: str) -> list[Record]:
        return [json.loads(v) for v in self.r.lrange(spotlights_key(class_id), 0, -1)]

    def all_cards(self, class_id: str) -> list[Record]:
        """Every card of every round of the class (for the record and the export)."""
        round_ids = self.list_round_ids(class_id)
        pipe = self.r.pipeline(transaction=False)
        for round_id in round_ids:
            pipe.hvals(cards_key(class_id, round_id))
        return [json.loads(v) for values in pipe.execute() for v in values]

    def all_replies(self, class_id: str) -> list[Record]:
        keys = [k for k in self.r.smembers(index_key(class_id)) if ":replies:" in k]
        pipe = self.r.pipeline(transaction=False)
        for key in keys:
            pipe.lrange(key, 0, -1)
        return [json.loads(v) for values in pipe.execute() for v in values]

    def get_notes(self, class_id: str) -> dict[str, Record]:
        return {k: json.loads(v) for k, v in self.r.hgetall(notes_key(class_id)).items()}

    def set_note(self, class_id: str, student_id: str, note: Record | None) -> None:
        pipe = self.r.pipeline()
        if note is None:
            pipe.hdel(notes_key(class_id), student_id)
        else:
            pipe.hset(notes_key(class_id), student_id, _dumps(note))
        self._refresh(pipe, class_id)
        pipe.execute()

    # ---- check-ins ---------------------------------------------------------------------------

    def get_checkin_plan(self, class_id: str) -> Record | None:
        raw = self.r.get(checkin_plan_key(class_id))
        return json.loads(raw) if raw else None

    def put_checkin_plan(self, class_id: str, plan: Record) -> None:
        pipe = self.r.pipeline()
        pipe.set(checkin_plan_key(class_id), _dumps(plan))
        self._refresh(pipe, class_id)
        pipe.execute()

    def checkin_log(self, class_id: str) -> list[Record]:
        return [json.loads(v) for v in self.r.hvals(checkin_log_key(class_id))]

    def log_checkin(self, class_id: str, meeting: Record) -> None:
        pipe = self.r.pipeline()
        pipe.hset(checkin_log_key(class_id), f"{meeting['week']}:{meeting['slot']}",
                  _dumps(meeting))
        self._refresh(pipe, class_id)
        pipe.execute()

    # ---- deleting one student's data ---------------------------------------------------------

    def forget_student(self, class_id: str, student_id: str,
                       rate_actions: Iterable[str] = ()) -> None:
        """Delete everything about one student: seat, name, roster row, cards, photos, voice
        recordings, replies, reactions they gave, pair history, check-ins, notes, spotlights,
        their rate-limit buckets for `rate_actions`. One transaction."""
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
        rows = {student.get("roster_id"), roster_names.get(student["norm"])} if student else set()
        rows.discard(None)
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
                pipe.hset(round_key(class_id, round_id), "spotlight", _dumps(None))
            for card in cards:
                pipe.hdel(cards_key(class_id, round_id), card["id"])
                pipe.delete(replies_key(class_id, round_id, card["id"]))
                pipe.srem(index_key(class_id), replies_key(class_id, round_id, card["id"]))
                for reaction in REACTIONS:
                    pipe.hdel(reactions_key(class_id, round_id), f"{card['id']}:{reaction}")
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
        self._forget_in_rotation(class_id, student_id)

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

    def _forget_in_rotation(self, class_id: str, student_id: str) -> None:
        def change(record: Record) -> Record | None:
            if student_id not in record.get("students", []):
                return None
            strip = [[[s for s in room if s != student_id] for room in rotation]
                     for rotation in record["rotations"]]
            return {"rotations": strip,
                    "students": [s for s in record["students"] if s != student_id],
                    "left": [s for s in record.get("left", []) if s != student_id],
                    "settings": {**record["settings"],
                                 "absent": [s for s in record["settings"]["absent"]
                                            if s != student_id],
                                 "apart": [p for p in record["settings"]["apart"]
                                           if student_id not in p],
                                 "together": [[s for s in g if s != student_id]
                                              for g in record["settings"]["together"]]},
                    "starters": []}

        self.update_rotation(class_id, change)
