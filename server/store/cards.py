"""Cards, their reactions and their private reply threads."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from server.domain.records import (
    CardRecord,
    ReplyRecord,
    RoundRecord,
    SpotlightEntry,
    StudentRecord,
)
from server.store.base import NO_GUARD, Guard, Record, dumps
from server.store.keys import (
    REACTIONS,
    authors_key,
    cards_key,
    class_key,
    class_keys,
    current_round_key,
    index_key,
    reacted_key,
    reactions_dirty_key,
    reactions_key,
    reactions_sent_key,
    replies_key,
    round_key,
    spotlights_key,
    student_cards_key,
    students_key,
)
from server.store.rounds import RoundsRepo

HISTORY = 50  # a student's cards shown as their history, newest first
CARD_CONTEXTS = 100_000  # students whose card context this process remembers (then forgets all)


class CardContext(NamedTuple):
    """What a card is built on: the current round's id, the student's record, class fields."""

    round_id: str | None
    student: StudentRecord | None
    class_fields: Record


class CardsRepo(RoundsRepo):
    """Cards belong to rounds: this area reads the round list too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # What the last card here was built on (`submit_card`), as stored: per class its
        # current round id and class fields, per student their record.
        self._class_context: dict[str, list[str]] = {}
        self._student_context: dict[tuple[str, str], str] = {}

    def add_card(self, class_id: str, round_id: str, card: CardRecord
                 ) -> tuple[str, CardRecord | None]:
        """Store a card as it is: ('ok', card), ('exists', stored card), ('taken', other card)
        or ('closed', None) when the round is not open."""
        return self._add_card(class_id, round_id, card, [], (), NO_GUARD)

    def submit_card(self, class_id: str, student_id: str,
                    build: Callable[[CardContext], CardRecord], *,
                    class_fields: Sequence[str] = (), guard: Guard = NO_GUARD
                    ) -> tuple[str, CardRecord | None]:
        """Store the card `build` makes from a `CardContext` (the current round id, the
        student's record, the class record's `class_fields`), with `guard`: in one round trip
        when Redis still holds what this process last read of them, else `build` runs again
        on what it holds now. Returns what `add_card` does, or ('revoked' | 'rate_limited',
        None) when the guard refused."""
        of_class = self._class_context.get(class_id)
        student = self._student_context.get((class_id, student_id))
        while True:
            if of_class is None or student is None or len(of_class) != 1 + len(class_fields):
                # Not seen here yet: read what a card is built on.
                pipe = self.r.pipeline(transaction=False)
                pipe.get(current_round_key(class_id))
                pipe.hget(students_key(class_id), student_id)
                for field in class_fields:
                    pipe.hget(class_key(class_id), field)
                round_id, student, *fields = [raw or "" for raw in pipe.execute()]
                of_class = [round_id, *fields]
            seen = [of_class[0], student, *of_class[1:]]
            card = build(CardContext(
                of_class[0] or None, json.loads(student) if student else None,
                {f: json.loads(raw) if raw else None
                 for f, raw in zip(class_fields, of_class[1:], strict=True)}))
            outcome, found = self._add_card(class_id, card["round_id"], card, seen,
                                            class_fields, guard)
            if outcome == "stale":
                of_class, student = [found[0], *found[2:]], found[1]
                continue
            if len(self._student_context) > CARD_CONTEXTS:
                self._student_context.clear()
                self._class_context.clear()
            self._class_context[class_id] = of_class
            self._student_context[(class_id, student_id)] = student
            return outcome, found

    def create_round(self, class_id: str, record: RoundRecord) -> bool:
        """`RoundsRepo.create_round`; this process's next card knows the new round at once."""
        created = super().create_round(class_id, record)
        if created and class_id in self._class_context:
            self._class_context[class_id] = [record["id"], *self._class_context[class_id][1:]]
        return created

    def _add_card(self, class_id: str, round_id: str, card: CardRecord, expected: list[str],
                  class_fields: Sequence[str], guard: Guard) -> tuple[str, Any]:
        author = dumps({"card_id": card["id"], "client_id": card["client_id"]})
        student_id = card["student_id"]
        found = self.lua["submit_card"](
            keys=[current_round_key(class_id), students_key(class_id), class_key(class_id),
                  round_key(class_id, round_id), authors_key(class_id, round_id),
                  cards_key(class_id, round_id), student_cards_key(class_id, student_id),
                  index_key(class_id)],
            args=[guard.arg(), student_id, dumps(expected), dumps(list(class_fields)),
                  card["client_id"], card["id"], dumps(card), author, f"{round_id}/{card['id']}",
                  self._ttl(class_id)])
        outcome = found[0]
        if outcome == "stale":
            return outcome, list(found[1])
        if outcome == "ok":
            self._slide_if_due(class_id)
        return outcome, (json.loads(found[1]) if len(found) > 1 and found[1] else None)

    def get_card(self, class_id: str, round_id: str, card_id: str) -> CardRecord | None:
        raw = self.r.hget(cards_key(class_id, round_id), card_id)
        return json.loads(raw) if raw else None

    def list_cards(self, class_id: str, round_id: str) -> list[CardRecord]:
        cards = [json.loads(v) for v in self.r.hvals(cards_key(class_id, round_id))]
        return sorted(cards, key=lambda c: (c["created_at"], c["id"]))

    def update_card(self, class_id: str, round_id: str, card_id: str,
                    change: Callable[[CardRecord], CardRecord | None]) -> CardRecord | None:
        """Compare-and-set a card: `change(card)` returns the new card, or None to decline."""
        key = cards_key(class_id, round_id)
        while True:
            raw = self.r.hget(key, card_id)
            if raw is None:
                return None
            new = change(json.loads(raw))
            if new is None:
                return None
            if self.lua["cas_field"](keys=[key],
                                     args=[card_id, raw, dumps(new), self._ttl(class_id)]):
                return new

    def delete_card(self, class_id: str, round_id: str, card: CardRecord) -> None:
        """Withdraw: the card, its author slot and its reactions go. Its private thread stays
        for the teacher's record and export (safeguarding) until retention or deletion."""
        pipe = self.r.pipeline(transaction=True)
        pipe.hdel(cards_key(class_id, round_id), card["id"])
        pipe.hdel(authors_key(class_id, round_id), card["student_id"])
        pipe.lrem(student_cards_key(class_id, card["student_id"]), 0, f"{round_id}/{card['id']}")
        for reaction in REACTIONS:
            pipe.hdel(reactions_key(class_id, round_id), f"{card['id']}:{reaction}")
        pipe.delete(reactions_sent_key(class_id, card["id"]))
        pipe.execute()

    def answered(self, class_id: str, round_id: str) -> list[str]:
        return list(self.r.hkeys(authors_key(class_id, round_id)))

    def student_card_refs(self, class_id: str, student_id: str,
                          limit: int = HISTORY) -> list[tuple[str, str]]:
        refs = self.r.lrange(student_cards_key(class_id, student_id), 0, limit - 1)
        return [tuple(ref.split("/", 1)) for ref in refs]  # type: ignore[misc]

    def cards_by_ref(self, class_id: str, refs: list[tuple[str, str]]) -> list[CardRecord]:
        pipe = self.r.pipeline(transaction=False)
        for round_id, card_id in refs:
            pipe.hget(cards_key(class_id, round_id), card_id)
        return [json.loads(raw) for raw in pipe.execute() if raw]

    def react_to_card(self, class_id: str, card_id: str, student_id: str, reaction: str, *,
                      seen_if: Sequence[Mapping[str, Any]], guard: Guard = NO_GUARD
                      ) -> tuple[str, CardRecord | None]:
        """Count a reaction to a card of the current round matching one of the `seen_if`
        patterns (the domain's rule for which cards the student sees), with `guard`, in one
        round trip. Returns ('ok', card), or ('missing' | 'no_round' | 'revoked' |
        'rate_limited', None) when nothing was counted."""
        found = self.lua["react_card"](
            keys=[current_round_key(class_id), reactions_dirty_key()],
            args=[guard.arg(), card_id, student_id, dumps(list(seen_if)), reaction,
                  self._ttl(class_id), cards_key(class_id, "%s"), reacted_key(class_id, "%s"),
                  reactions_key(class_id, "%s"), f"{class_id}|"])
        return (found[0], json.loads(found[1])) if found[0] == "ok" else (found[0], None)

    def set_spotlight(self, class_id: str, card_id: str | None, *,
                      allowed: Sequence[Mapping[str, Any]], at_ms: int,
                      guard: Guard = NO_GUARD) -> tuple[str, CardRecord | None, dict[str, int]]:
        """Spotlight a card of the current round that matches one of the `allowed` patterns
        (the domain's rule), or nothing (`card_id` None), with `guard`, in one round trip: the
        round's spotlight is set and the connection record's entry (the card's author, at
        `at_ms`) added. Returns ('ok', card, its reaction counts),
        ('refused', the card or None, {}) when it may not be, or ('no_round' | 'revoked' |
        'rate_limited', None, {})."""
        marker = f"author-{secrets.token_hex(8)}"  # where the script puts the card's author
        entry: SpotlightEntry = {"student_id": marker, "card_id": card_id or "", "at": at_ms}
        found = self.lua["spotlight"](
            keys=[current_round_key(class_id), spotlights_key(class_id), *class_keys(class_id)],
            args=[guard.arg(), card_id or "", dumps(list(allowed)), dumps(card_id),
                  dumps(entry), dumps(marker), self._ttl(class_id),
                  round_key(class_id, "%s"), cards_key(class_id, "%s"),
                  reactions_key(class_id, "%s")])
        outcome = found[0]
        card = json.loads(found[1]) if len(found) > 1 and found[1] else None
        if outcome != "ok":
            return outcome, card, {}
        self._slide_if_due(class_id)
        flat = found[2]
        return outcome, card, {flat[i]: int(flat[i + 1]) for i in range(0, len(flat), 2)}

    def take_dirty_reactions(self, interval_ms: int, now_ms: int
                             ) -> tuple[list[tuple[str, CardRecord, dict[str, int]]], int]:
        """The cards whose counts changed and that no process sent within `interval_ms` before
        `now_ms`, each with its counts read in the same atomic step: ([(class id, card,
        counts)], how many changed cards wait because they were sent too recently)."""
        left, taken = self.lua["take_dirty_reactions"](
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

    def add_reply(self, class_id: str, round_id: str, card_id: str, reply: ReplyRecord
                  ) -> None:
        key = replies_key(class_id, round_id, card_id)
        pipe = self.r.pipeline()
        pipe.rpush(key, dumps(reply))
        pipe.ltrim(key, -200, -1)
        self._track(pipe, class_id, key)
        pipe.execute()

    def replies(self, class_id: str, round_id: str,
                card_ids: Iterable[str]) -> dict[str, list[ReplyRecord]]:
        ids = list(card_ids)
        pipe = self.r.pipeline(transaction=False)
        for card_id in ids:
            pipe.lrange(replies_key(class_id, round_id, card_id), 0, -1)
        return {cid: [json.loads(r) for r in raw]
                for cid, raw in zip(ids, pipe.execute(), strict=True) if raw}

    # ---- every card and thread of the class (the connection record, the export) ------------

    def all_cards(self, class_id: str) -> list[CardRecord]:
        """Every card of every round of the class (for the record and the export)."""
        round_ids = self.list_round_ids(class_id)
        pipe = self.r.pipeline(transaction=False)
        for round_id in round_ids:
            pipe.hvals(cards_key(class_id, round_id))
        return [json.loads(v) for values in pipe.execute() for v in values]

    def all_replies(self, class_id: str) -> list[ReplyRecord]:
        keys = [k for k in self.r.smembers(index_key(class_id)) if ":replies:" in k]
        pipe = self.r.pipeline(transaction=False)
        for key in keys:
            pipe.lrange(key, 0, -1)
        return [json.loads(v) for values in pipe.execute() for v in values]
