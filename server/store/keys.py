"""Every Redis key Rapport uses: its name, type and TTL policy (`KEY_REGISTRY`).

Nothing else in the code base names a key; `docs/redis-keys.md` is checked against the
registry (`tests/unit/test_docs.py`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

from server.domain.records import REACTIONS as REACTIONS  # each names a `reactions_key` field

PREFIX = "rp"

HEARTBEAT_SECONDS = 5  # how often a process says it is alive
HEARTBEAT_TTL = 20  # a process silent this long is dead: its sockets are ghosts
PROCESS_KEYS_TTL = 86400  # registries of sockets outlive any heartbeat gap, not forever
DEADLINES_TTL = 400 * 86400


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
    # sent, shared by every process (Lua `react_card` adds, `take_dirty_reactions` takes)
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


# ---- the registry: what docs/redis-keys.md is checked against (tests/unit/test_docs.py) -----

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




def spec_of(key: str) -> KeySpec | None:
    """The registry's entry for a key name: of the patterns it matches, the most specific
    (most fixed characters: `rp:class:{class_id}:students`, not `rp:class:{class_id}`)."""
    best: tuple[int, KeySpec] | None = None
    for spec in KEY_REGISTRY:
        parts = re.split(r"\{[a-z_]+\}", spec.pattern)
        if re.fullmatch(".+".join(map(re.escape, parts)), key):
            fixed = sum(map(len, parts))
            if best is None or fixed > best[0]:
                best = (fixed, spec)
    return best[1] if best else None
