"""The store's atomic updates and TTLs, on fakeredis (fast; the real Redis runs in integration)."""

from __future__ import annotations

import fakeredis
import pytest

from server.domain import classes
from server.domain.classes import Identity
from server.domain.errors import Forbidden, Locked, NameTaken, NotFound
from server.store import RedisStore
from server.store.redis_store import SLIDE_EVERY_SECONDS


@pytest.fixture
def store() -> RedisStore:
    return RedisStore(fakeredis.FakeRedis(decode_responses=True), default_retention_days=30)


def test_join_flow_and_ttls(store: RedisStore) -> None:
    made = classes.create_class(store, "Bio", "9-12", retention_days=30)
    student, seat = classes.join_class(store, made.join_code.lower(), "Ana")
    identity = classes.authenticate(store, seat)
    assert identity == Identity(made.class_id, "student", student["id"])
    assert classes.authenticate(store, made.teacher_secret) == Identity(made.class_id, "teacher")
    assert classes.authenticate(store, made.cohost_secret, "stage") == Identity(
        made.class_id, "stage")
    assert classes.authenticate(store, seat, "stage") is None
    for key in store.r.keys("*"):
        assert 0 < store.r.ttl(key) <= 30 * 86400, key


def test_a_write_after_an_hour_slides_the_expiry_of_every_key() -> None:
    """Not only that a TTL exists: activity pushes every key's expiry back (SLIDE_CLASS), and
    within the hour it is not run again. (tests/integration/test_data.py does the same on the
    real Redis after a whole lesson.)"""
    now = [1000.0]
    store = RedisStore(fakeredis.FakeRedis(decode_responses=True), default_retention_days=30,
                       clock=lambda: now[0])
    made = classes.create_class(store, "Bio", "9-12", retention_days=30)
    classes.join_class(store, made.join_code, "Ana")
    keys = store.r.keys("*")
    assert any(k.startswith("rp:cred:") for k in keys) and f"rp:code:{made.join_code}" in keys
    for key in keys:  # as if the class had been idle for all but a minute of its retention
        store.r.expire(key, 60)
    now[0] += SLIDE_EVERY_SECONDS
    store.set_class_fields(made.class_id, {"name": "Bio 2"})
    assert {k: store.r.ttl(k) for k in keys if store.r.ttl(k) < 30 * 86400 - 60} == {}
    for key in keys:
        store.r.expire(key, 60)
    now[0] += SLIDE_EVERY_SECONDS / 2
    store.set_class_fields(made.class_id, {"name": "Bio 3"})
    assert store.r.ttl(f"rp:code:{made.join_code}") <= 60  # slid at most once an hour


def test_join_refusals(store: RedisStore) -> None:
    made = classes.create_class(store, "Bio", "9-12", retention_days=30)
    classes.join_class(store, made.join_code, "Ana")
    with pytest.raises(NameTaken):
        classes.join_class(store, made.join_code, "ANA")
    with pytest.raises(NotFound) as wrong:
        classes.join_class(store, "QQQQQQ", "Ben")
    assert wrong.value.message == classes.GENERIC_CODE_ERROR
    teacher = Identity(made.class_id, "teacher")
    classes.set_locked(store, teacher, True)
    with pytest.raises(Locked):
        classes.join_class(store, made.join_code, "Ben")


def test_roles_checked_in_domain(store: RedisStore) -> None:
    made = classes.create_class(store, "Bio", "9-12", retention_days=30)
    student, _ = classes.join_class(store, made.join_code, "Ana")
    for role in ("cohost", "student", "stage"):
        with pytest.raises(Forbidden):
            classes.set_locked(store, Identity(made.class_id, role), True)  # type: ignore[arg-type]
        with pytest.raises(Forbidden):
            classes.remove_student(store, Identity(made.class_id, role),  # type: ignore[arg-type]
                                   student["id"])
    assert store.get_class(made.class_id)["locked"] is False
    assert store.get_student(made.class_id, student["id"]) is not None


def test_remove_frees_name_and_revokes_seat(store: RedisStore) -> None:
    made = classes.create_class(store, "Bio", "9-12", retention_days=30)
    student, seat = classes.join_class(store, made.join_code, "Ana")
    classes.remove_student(store, Identity(made.class_id, "teacher"), student["id"])
    assert classes.authenticate(store, seat) is None
    classes.join_class(store, made.join_code, "Ana")


def test_rename_refuses_taken_name(store: RedisStore) -> None:
    made = classes.create_class(store, "Bio", "9-12", retention_days=30)
    ana, _ = classes.join_class(store, made.join_code, "Ana")
    classes.join_class(store, made.join_code, "Ben")
    teacher = Identity(made.class_id, "teacher")
    with pytest.raises(NameTaken):
        classes.rename_student(store, teacher, ana["id"], "ben")
    classes.rename_student(store, teacher, ana["id"], "Ana Li")
    classes.join_class(store, made.join_code, "Ana")  # old name is free


def test_rotating_teacher_secret_revokes_the_old(store: RedisStore) -> None:
    made = classes.create_class(store, "Bio", "9-12", retention_days=30)
    teacher = Identity(made.class_id, "teacher")
    new, old_hash = classes.rotate_secret(store, teacher, "teacher")
    assert old_hash == classes.hash_secret(made.teacher_secret)
    assert classes.authenticate(store, made.teacher_secret) is None
    assert classes.authenticate(store, new) == teacher


def test_delete_class_leaves_no_key(store: RedisStore) -> None:
    made = classes.create_class(store, "Bio", "9-12", retention_days=30)
    classes.join_class(store, made.join_code, "Ana")
    classes.delete_class(store, Identity(made.class_id, "teacher"))
    assert store.r.keys("*") == []


NOW = 1_767_225_600_000


def test_changed_reaction_counts_are_sent_once_per_interval_by_one_process() -> None:
    """Two stores on one Redis are two processes: a card whose counts changed is taken (with
    its counts, read in the same step) by exactly one of them, not again while its interval
    lasts, and a reaction counted after the take makes it due again: nothing is lost."""
    from server.domain import rounds
    from server.domain.prompts import load_library

    server = fakeredis.FakeServer()
    a, b = (RedisStore(fakeredis.FakeRedis(server=server, decode_responses=True),
                       default_retention_days=30) for _ in range(2))
    made = classes.create_class(a, "Bio", "9-12", retention_days=30)
    teacher = Identity(made.class_id, "teacher")
    kids = [Identity(made.class_id, "student", classes.join_class(a, made.join_code, n)[0]["id"])
            for n in ("Ana", "Ben", "Cy")]
    rounds.start_round(a, load_library(), teacher, custom_text="Your weekend?")
    rounds.post_host_card(a, teacher, text=None, skip=True)
    rounds.open_round(a, teacher, None)
    card, _ = rounds.submit_card(a, kids[0], client_id="c" * 32, text="Hiking",
                                 visibility="class", spotlight_ok=True, photo_id=None)

    rounds.react(a, kids[1], card["id"], "heart")  # on process A
    rounds.react(b, kids[2], card["id"], "heart")  # on process B
    assert b.take_dirty_reactions(500, NOW) == ([(made.class_id, card, {"heart": 2})], 0)
    assert a.take_dirty_reactions(500, NOW) == ([], 0)  # B sent it: A has nothing to send

    rounds.react(a, kids[2], card["id"], "clap")
    # Sent within the interval: it waits, on both processes, and is not forgotten.
    assert a.take_dirty_reactions(500, NOW) == ([], 1)
    assert b.take_dirty_reactions(500, NOW) == ([], 1)
    assert a.take_dirty_reactions(500, NOW + 499) == ([], 1)
    assert a.take_dirty_reactions(500, NOW + 500) == (
        [(made.class_id, card, {"heart": 2, "clap": 1})], 0)  # the interval is over
    assert b.take_dirty_reactions(500, NOW + 500) == ([], 0)

    rounds.react(a, kids[2], card["id"], "clap")  # the same reaction again counts nothing
    assert b.take_dirty_reactions(500, NOW + 5000) == ([], 0)
