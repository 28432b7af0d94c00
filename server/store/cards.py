"""Cards, their reactions and their private reply threads."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence

from server.domain.records import CardRecord, ReplyRecord
from server.store.base import dumps
from server.store.keys import (
    REACTIONS,
    authors_key,
    cards_key,
    index_key,
    reacted_key,
    reactions_dirty_key,
    reactions_key,
    reactions_sent_key,
    replies_key,
    round_key,
    student_cards_key,
)
from server.store.rounds import RoundsRepo


class CardsRepo(RoundsRepo):
    """Cards belong to rounds: this area reads the round list too."""

    def add_card(self, class_id: str, round_id: str, card: CardRecord
                 ) -> tuple[str, CardRecord | None]:
        """Store a card: ('ok', card), ('exists', stored card), ('taken', other card) or
        ('closed', None) when the round is not open."""
        author = dumps({"card_id": card["id"], "client_id": card["client_id"]})
        ref = f"{round_id}/{card['id']}"
        status, raw = self.lua["add_card"](
            keys=[round_key(class_id, round_id), authors_key(class_id, round_id),
                  cards_key(class_id, round_id), student_cards_key(class_id, card["student_id"])],
            args=[card["student_id"], card["client_id"], card["id"], dumps(card), author, ref,
                  self._ttl(class_id)],
        )
        if status == "ok":
            pipe = self.r.pipeline()
            self._track(pipe, class_id, student_cards_key(class_id, card["student_id"]))
            pipe.execute()
        return status, (json.loads(raw) if raw else None)

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
        pipe.execute()

    def answered(self, class_id: str, round_id: str) -> list[str]:
        return list(self.r.hkeys(authors_key(class_id, round_id)))

    def student_card_refs(self, class_id: str, student_id: str,
                          limit: int = 50) -> list[tuple[str, str]]:
        refs = self.r.lrange(student_cards_key(class_id, student_id), 0, limit - 1)
        return [tuple(ref.split("/", 1)) for ref in refs]  # type: ignore[misc]

    def cards_by_ref(self, class_id: str, refs: list[tuple[str, str]]) -> list[CardRecord]:
        pipe = self.r.pipeline(transaction=False)
        for round_id, card_id in refs:
            pipe.hget(cards_key(class_id, round_id), card_id)
        return [json.loads(raw) for raw in pipe.execute() if raw]

    def react_to_card(self, class_id: str, round_id: str, card_id: str, student_id: str,
                      reaction: str, *, seen_if: Sequence[Mapping[str, str]]
                      ) -> CardRecord | None:
        """Count a reaction to a card matching one of the `seen_if` patterns (the domain's
        rule for which cards the student sees), in one round trip; returns the card, or None
        when there is no such card."""
        found = self.lua["react_card"](
            keys=[cards_key(class_id, round_id), reacted_key(class_id, round_id),
                  reactions_key(class_id, round_id), reactions_dirty_key()],
            args=[card_id, student_id, reaction, self._ttl(class_id), dumps(list(seen_if)),
                  f"{class_id}|{round_id}|{card_id}"])
        return json.loads(found[1]) if found[0] == "ok" else None

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
