"""The store's boundary and its one-round-trip updates, on fakeredis (Lua via lupa) and on the
real Redis: a Redis failure surfaces as `StoreUnavailable`; combined checks and writes happen
together or not at all."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import fakeredis
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from server.domain import classes, rounds
from server.domain.classes import Identity
from server.domain.errors import NotFound
from server.store import RedisStore, StoreUnavailable
from server.store.keys import reacted_key, reactions_key


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def store(request: pytest.FixtureRequest) -> Iterator[RedisStore]:
    if request.param == "memory":
        client: Any = fakeredis.FakeRedis(decode_responses=True)
    else:
        client = redis.Redis.from_url(request.getfixturevalue("redis_url"),
                                      decode_responses=True)
    yield RedisStore(client, default_retention_days=30)
    client.close()


def _round_with_cards(store: RedisStore) -> tuple[Identity, Identity, Identity, str]:
    """A class with an open round, Ana and Ben seated; returns (teacher, ana, ben, round id)."""
    made = classes.create_class(store, "Bio", "9-12", retention_days=30)
    teacher = Identity(made.class_id, "teacher")
    ana, _ = classes.join_class(store, made.join_code, "Ana")
    ben, _ = classes.join_class(store, made.join_code, "Ben")
    # A written prompt: the library is not consulted.
    started = rounds.start_round(store, None, teacher,  # type: ignore[arg-type]
                                 custom_text="Show us something green", category="light-fun")
    rounds.post_host_card(store, teacher, text=None, skip=True)
    rounds.open_round(store, teacher, None)
    return (teacher, Identity(made.class_id, "student", ana["id"]),
            Identity(made.class_id, "student", ben["id"]), started["id"])


# ---- the boundary --------------------------------------------------------------------------

def test_an_unreachable_store_is_an_outage() -> None:
    with socket.socket() as s:  # a port nobody listens on: connection refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = RedisStore(redis.Redis(port=port, decode_responses=True, socket_connect_timeout=1,
                                   retry=Retry(NoBackoff(), 0)))
    with pytest.raises(StoreUnavailable) as caught:
        store.get_class("c1")
    assert caught.value.unreachable is True
    assert isinstance(caught.value.__cause__, redis.ConnectionError)


def test_a_store_that_does_not_answer_in_time_is_not_an_outage() -> None:
    with socket.socket() as listener:  # accepts (the kernel's backlog) but never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        store = RedisStore(redis.Redis(port=listener.getsockname()[1], decode_responses=True,
                                       socket_timeout=0.2, retry=Retry(NoBackoff(), 0)))
        with pytest.raises(StoreUnavailable) as caught:
            store.credential("abc")
    assert caught.value.unreachable is False
    assert isinstance(caught.value.__cause__, redis.TimeoutError)


def test_every_public_method_is_behind_the_boundary() -> None:
    public = [name for name in dir(RedisStore)
              if not name.startswith("_") and callable(getattr(RedisStore, name))]
    assert len(public) > 50
    unguarded = [name for name in public
                 if getattr(RedisStore, name).__code__.co_name != "call"]
    assert unguarded == []


# ---- reactions -----------------------------------------------------------------------------

def test_a_reaction_to_a_card_the_student_cannot_see_is_refused_and_changes_nothing(
        store: RedisStore) -> None:
    teacher, ana, ben, round_id = _round_with_cards(store)
    card, _ = rounds.submit_card(store, ana, client_id="a1", text="My green plant",
                                 visibility="class", spotlight_ok=True, photo_id=None)
    private, _ = rounds.submit_card(store, ben, client_id="b1", text="For the teacher only",
                                    visibility="teacher", spotlight_ok=False, photo_id=None)
    rounds.moderate_card(store, teacher, card["id"], hidden=True)
    class_id = ana.class_id
    for who, target in ((ben, card["id"]), (ana, private["id"]), (ana, "no-such-card")):
        with pytest.raises(NotFound):
            rounds.react(store, who, target, "heart")
    assert store.r.hgetall(reactions_key(class_id, round_id)) == {}
    assert store.r.smembers(reacted_key(class_id, round_id)) == set()
    # Her own hidden card she still sees, and may react to; so may Ben once it is shown again.
    rounds.react(store, ana, card["id"], "star")
    rounds.moderate_card(store, teacher, card["id"], hidden=False, approve=True)
    rounds.react(store, ben, card["id"], "heart")
    rounds.react(store, ben, card["id"], "heart")  # once per student and reaction
    assert store.reaction_counts(class_id, round_id) == {card["id"]: {"star": 1, "heart": 1}}
