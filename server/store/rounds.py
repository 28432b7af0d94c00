"""Rounds: the current round, the round history, the teacher's own answers and prompts."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import cast

from server.domain.records import HostCard, RoundRecord, RoundUpdate
from server.store.base import Record, StoreBase, dumps
from server.store.client import Pipeline
from server.store.keys import (
    authors_key,
    cards_key,
    current_round_key,
    custom_prompts_key,
    host_cards_key,
    reacted_key,
    reactions_key,
    round_key,
    rounds_key,
    used_prompts_key,
)


class RoundsRepo(StoreBase):
    def current_round_id(self, class_id: str) -> str | None:
        return self.r.get(current_round_key(class_id))

    def create_round(self, class_id: str, record: RoundRecord) -> bool:
        """Make `record` the current round unless the current one is still open."""
        round_id = record["id"]

        def body(pipe: Pipeline) -> bool:
            current = pipe.get(current_round_key(class_id))
            if current is not None:
                status = pipe.hget(round_key(class_id, current), "status")
                if status is not None and json.loads(status) == "open":
                    return False
            pipe.multi()
            rkey = round_key(class_id, round_id)
            pipe.hset(rkey, mapping={k: dumps(v) for k, v in record.items()})
            pipe.set(current_round_key(class_id), round_id)
            pipe.rpush(rounds_key(class_id), round_id)
            prompt_id = record["prompt"].get("id")
            if prompt_id:
                pipe.sadd(used_prompts_key(class_id), prompt_id)
            self._track(pipe, class_id, rkey, cards_key(class_id, round_id),
                        authors_key(class_id, round_id), reactions_key(class_id, round_id),
                        reacted_key(class_id, round_id))
            self._refresh(pipe, class_id)
            pipe.execute()
            return True

        return self._watched([current_round_key(class_id)], body)

    def get_round(self, class_id: str, round_id: str) -> RoundRecord | None:
        raw = self.r.hgetall(round_key(class_id, round_id))
        return cast(RoundRecord, {k: json.loads(v) for k, v in raw.items()}) if raw else None

    def list_round_ids(self, class_id: str) -> list[str]:
        return list(self.r.lrange(rounds_key(class_id), 0, -1))

    def update_round(self, class_id: str, round_id: str,
                     change: Callable[[RoundRecord], RoundUpdate | None]
                     ) -> RoundRecord | None:
        """Apply `change(round) -> fields to set` atomically; None from change means no-op.

        Returns the updated round, or None when the change declined (or the round is gone).
        """
        return self._update_record(class_id, round_key(class_id, round_id), change)

    def add_host_card(self, class_id: str, card: HostCard) -> None:
        pipe = self.r.pipeline()
        pipe.lpush(host_cards_key(class_id), dumps(card))
        pipe.ltrim(host_cards_key(class_id), 0, 199)
        self._refresh(pipe, class_id)
        pipe.execute()

    def host_cards(self, class_id: str, limit: int = 50) -> list[HostCard]:
        return [json.loads(v) for v in self.r.lrange(host_cards_key(class_id), 0, limit - 1)]

    def used_prompt_ids(self, class_id: str) -> set[str]:
        return set(self.r.smembers(used_prompts_key(class_id)))

    def put_custom_prompt(self, class_id: str, prompt: Record) -> None:
        pipe = self.r.pipeline()
        pipe.hset(custom_prompts_key(class_id), prompt["id"], dumps(prompt))
        self._refresh(pipe, class_id)
        pipe.execute()

    def custom_prompts(self, class_id: str) -> list[Record]:
        return [json.loads(v) for v in self.r.hvals(custom_prompts_key(class_id))]
