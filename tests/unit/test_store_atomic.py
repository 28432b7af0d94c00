"""The store's boundary and its one-round-trip updates, on fakeredis (Lua via lupa) and on the
real Redis: a Redis failure surfaces as `StoreUnavailable`; combined checks and writes happen
together or not at all."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import fakeredis
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from server.domain import classes, rounds
from server.domain.classes import Identity
from server.domain.errors import Conflict, Forbidden, NotFound, RateLimited, Revoked
from server.store import NO_GUARD, Bucket, Guard, RedisStore, StoreUnavailable
from server.store.cards import CardContext
from server.store.keys import (
    authors_key,
    cards_key,
    rate_key,
    reacted_key,
    reactions_key,
    spotlights_key,
    student_cards_key,
)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def store(request: pytest.FixtureRequest) -> Iterator[RedisStore]:
    if request.param == "memory":
        client: Any = fakeredis.FakeRedis(decode_responses=True)
    else:
        client = redis.Redis.from_url(request.getfixturevalue("redis_url"),
                                      decode_responses=True)
    yield RedisStore(client, default_retention_days=30)
    client.close()


@dataclass
class Lesson:
    """A class with an open round, Ana and Ben seated."""

    teacher: Identity
    ana: Identity
    ben: Identity
    round_id: str
    creds: dict[str, str]  # who -> credential hash

    @property
    def class_id(self) -> str:
        return self.teacher.class_id


def _lesson(store: RedisStore) -> Lesson:
    made = classes.create_class(store, "Bio", "9-12", retention_days=30)
    teacher = Identity(made.class_id, "teacher")
    ana, ana_seat = classes.join_class(store, made.join_code, "Ana")
    ben, ben_seat = classes.join_class(store, made.join_code, "Ben")
    # A written prompt: the library is not consulted.
    started = rounds.start_round(store, None, teacher,  # type: ignore[arg-type]
                                 custom_text="Show us something green", category="light-fun")
    rounds.post_host_card(store, teacher, text=None, skip=True)
    rounds.open_round(store, teacher, None)
    creds = {"teacher": classes.hash_secret(made.teacher_secret),
             "ana": classes.hash_secret(ana_seat), "ben": classes.hash_secret(ben_seat)}
    return Lesson(teacher, Identity(made.class_id, "student", ana["id"]),
                  Identity(made.class_id, "student", ben["id"]), started["id"], creds)


def _round_with_cards(store: RedisStore) -> tuple[Identity, Identity, Identity, str]:
    lesson = _lesson(store)
    return lesson.teacher, lesson.ana, lesson.ben, lesson.round_id


def _submit(store: RedisStore, who: Identity, client_id: str, guard: Guard = NO_GUARD,
            **card: Any) -> tuple[dict[str, Any], bool]:
    fields = {"text": "My green plant", "visibility": "class", "spotlight_ok": True,
              "photo_id": None, **card}
    return rounds.submit_card(store, who, client_id=client_id, guard=guard, **fields)


def _bucket(action: str, who: Identity, burst: int) -> Bucket:
    return Bucket(action, who.student_id or "staff", per_minute=0.001, burst=burst, now_ms=1)


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


def test_a_reaction_and_its_rate_limit_happen_together(store: RedisStore) -> None:
    lesson = _lesson(store)
    card, _ = _submit(store, lesson.ana, "ana-card-1")
    guard = Guard(lesson.creds["ben"], _bucket("react", lesson.ben, burst=2))
    rounds.react(store, lesson.ben, card["id"], "heart", guard)
    rounds.react(store, lesson.ben, card["id"], "star", guard)
    with pytest.raises(RateLimited):
        rounds.react(store, lesson.ben, card["id"], "wow", guard)  # no token left: not counted
    assert store.reaction_counts(lesson.class_id, lesson.round_id) == {
        card["id"]: {"heart": 1, "star": 1}}
    # A seat that stopped working: refused before any token is taken, nothing counted.
    bucket = rate_key("react", lesson.ana.student_id or "")
    classes.remove_student(store, lesson.teacher, lesson.ana.student_id or "")
    with pytest.raises(Revoked):
        rounds.react(store, lesson.ana, card["id"], "clap",
                     Guard(lesson.creds["ana"], _bucket("react", lesson.ana, burst=2)))
    assert store.r.exists(bucket) == 0
    assert store.reaction_counts(lesson.class_id, lesson.round_id) == {
        card["id"]: {"heart": 1, "star": 1}}


def test_two_submits_at_once_by_one_student_store_one_card(store: RedisStore) -> None:
    """Two processes post for Ana at the same moment: while one builds its card (having read
    the round and her record), the other stores one; the first is then told it is taken, and
    Ana has one card, one author slot and one history entry."""
    lesson = _lesson(store)
    other = RedisStore(store.r, default_retention_days=30)  # a second process, same Redis
    student_id = lesson.ana.student_id or ""

    def card(seen: CardContext, client_id: str, card_id: str) -> dict[str, Any]:
        return {"id": card_id, "round_id": seen.round_id, "student_id": student_id,
                "author": (seen.student or {})["name"], "client_id": client_id, "text": "Hi",
                "visibility": "class", "status": "visible", "created_at": 1}

    builds = []

    def build_here(seen: CardContext) -> dict[str, Any]:
        builds.append(seen)
        if len(builds) == 1:  # in between this process's read and its write
            assert other.submit_card(lesson.class_id, student_id,
                                     lambda s: card(s, "client-b", "card-b"))[0] == "ok"
        return card(seen, "client-a", "card-a")

    outcome, stored = store.submit_card(lesson.class_id, student_id, build_here)
    assert outcome == "taken" and stored is not None and stored["id"] == "card-b"
    r, cid, rid = store.r, lesson.class_id, lesson.round_id
    assert r.hkeys(cards_key(cid, rid)) == ["card-b"]
    assert r.hkeys(authors_key(cid, rid)) == [student_id]
    assert r.lrange(student_cards_key(cid, student_id), 0, -1) == [f"{rid}/card-b"]
    # The same post sent twice (same client id) is one card too: the retry gets it back.
    again = store.submit_card(cid, student_id, lambda s: card(s, "client-b", "card-c"))
    assert again[0] == "exists" and again[1] is not None and again[1]["id"] == "card-b"
    assert r.hkeys(cards_key(cid, rid)) == ["card-b"]


def test_a_card_and_its_rate_limit_happen_together(store: RedisStore) -> None:
    lesson = _lesson(store)
    guard = Guard(lesson.creds["ana"], _bucket("card", lesson.ana, burst=1))
    _submit(store, lesson.ana, "ana-card-1", guard)
    # Out of tokens: refused before anything is stored (a retry of the same card included).
    other = RedisStore(store.r, default_retention_days=30)
    with pytest.raises(RateLimited):
        _submit(other, lesson.ben, "ben-card-1",
                Guard(lesson.creds["ben"], _bucket("card", lesson.ana, burst=1)))
    assert store.answered(lesson.class_id, lesson.round_id) == [lesson.ana.student_id]
    # A removed seat's card is refused before a token is taken.
    classes.remove_student(store, lesson.teacher, lesson.ben.student_id or "")
    with pytest.raises(Revoked):
        _submit(store, lesson.ben, "ben-card-2",
                Guard(lesson.creds["ben"], _bucket("card", lesson.ben, burst=1)))
    assert store.r.exists(rate_key("card", lesson.ben.student_id or "")) == 0
    assert store.answered(lesson.class_id, lesson.round_id) == [lesson.ana.student_id]


def test_a_card_is_built_again_when_what_it_was_built_on_changed(store: RedisStore) -> None:
    """This process remembers what Ben's last card was built on (round, his record, the
    class's approval setting); another process changes all three. His next card is built on
    what Redis holds, not on what this process remembered."""
    lesson = _lesson(store)
    other = RedisStore(store.r, default_retention_days=30)  # a second process, same Redis
    first, _ = _submit(store, lesson.ben, "ben-card-0")
    assert (first["author"], first["status"]) == ("Ben", "visible")
    classes.rename_student(other, lesson.teacher, lesson.ben.student_id or "", "Benjamin")
    rounds.set_settings(other, lesson.teacher, approval_required=True, private_replies=None)
    rounds.close_current_round(other, lesson.teacher)
    started = rounds.start_round(other, None, lesson.teacher,  # type: ignore[arg-type]
                                 custom_text="Show us something blue", category="light-fun")
    rounds.post_host_card(other, lesson.teacher, text=None, skip=True)
    rounds.open_round(other, lesson.teacher, None)
    card, created = _submit(store, lesson.ben, "ben-card-1")
    assert created
    assert (card["round_id"], card["author"], card["status"]) == (
        started["id"], "Benjamin", "pending")
    assert store.get_card(lesson.class_id, started["id"], card["id"]) == card


@pytest.mark.parametrize("visibility", ["class", "teacher"])
@pytest.mark.parametrize("spotlight_ok", [True, False])
@pytest.mark.parametrize("status", ["visible", "pending", "hidden"])
def test_the_store_spotlights_exactly_the_cards_the_rule_allows(
        store: RedisStore, visibility: str, spotlight_ok: bool, status: str) -> None:
    """The store checks the card where it reads it (patterns from the domain); a refused
    spotlight changes nothing, and the refusal says why as the rule does."""
    lesson = _lesson(store)
    card, _ = _submit(store, lesson.ana, "ana-card-1", visibility=visibility,
                      spotlight_ok=spotlight_ok)
    if status != card["status"]:
        store.update_card(lesson.class_id, lesson.round_id, card["id"],
                          lambda c: {**c, "status": status})
    allowed = visibility == "class" and spotlight_ok and status == "visible"
    guard = Guard(lesson.creds["teacher"])
    if allowed:
        shown, counts = rounds.set_spotlight(store, lesson.teacher, card["id"], guard)
        assert shown is not None and shown["id"] == card["id"] and counts == {}
        assert store.get_round(lesson.class_id, lesson.round_id)["spotlight"] == card["id"]
        entries = store.spotlights(lesson.class_id)
        assert [(e["student_id"], e["card_id"]) for e in entries] == [
            (lesson.ana.student_id, card["id"])]
        return
    expected = Forbidden if visibility != "class" or not spotlight_ok else Conflict
    with pytest.raises(expected):
        rounds.set_spotlight(store, lesson.teacher, card["id"], guard)
    assert store.get_round(lesson.class_id, lesson.round_id)["spotlight"] is None
    assert store.r.llen(spotlights_key(lesson.class_id)) == 0
