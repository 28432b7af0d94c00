"""Who sees what (server/domain/projections.py): the card table of docs/PROTOCOL.md, and the
rules other parts apply (the store's reaction check, attachments) agreeing with it."""

from __future__ import annotations

import itertools
from typing import Any

import fakeredis
import pytest

from server.domain import projections
from server.domain.classes import Identity
from server.store import RedisStore

VISIBILITIES = ("class", "teacher")
STATUSES = ("visible", "pending", "hidden")


def _card(visibility: str, status: str, student_id: str = "ana", **extra: Any) -> dict[str, Any]:
    return {"id": f"c-{student_id}", "round_id": "r1", "student_id": student_id, "author": "Ana",
            "client_id": "client-1", "text": "My dog", "visibility": visibility,
            "spotlight_ok": True, "photo_id": None, "audio_id": None, "status": status,
            "flagged": False, "starred": False, "created_at": 1, "updated_at": 1, **extra}


# Who sees a card, by (visibility, status): PROTOCOL.md's card table.
SEES = {
    ("class", "visible"): {"teacher", "cohost", "author", "students", "stage"},
    ("class", "pending"): {"teacher", "cohost", "author"},
    ("class", "hidden"): {"teacher", "cohost"},
    ("teacher", "visible"): {"teacher", "author"},
    ("teacher", "pending"): {"teacher", "author"},
    ("teacher", "hidden"): {"teacher"},
}


@pytest.mark.parametrize(("visibility", "status"), SEES)
def test_each_audience_sees_a_card_as_the_table_says(visibility: str, status: str) -> None:
    card = _card(visibility, status)
    seen = {a for a in ("teacher", "cohost", "author", "students", "stage")
            if projections.card_view(a, card) is not None}
    assert seen == SEES[(visibility, status)]
    assert projections.student_sees(card, "ana") == ("author" in seen)
    assert projections.student_sees(card, "ben") == ("students" in seen)
    # client_id is for retries only; flagged is for staff only.
    assert "client_id" not in (projections.card_view("teacher", card) or {})
    for audience in seen - {"teacher", "cohost"}:
        assert "flagged" not in (projections.card_view(audience, card) or {})


def test_the_store_counts_a_reaction_exactly_when_the_rule_allows_it() -> None:
    """The store checks the card and counts in one round trip (in Lua): it must agree with
    projections.may_react for every author, visibility and status."""
    store = RedisStore(fakeredis.FakeRedis(decode_responses=True), default_retention_days=30)
    store.create_round("k1", {"id": "r1", "status": "open", "prompt": {"id": None}})
    for n, (visibility, status) in enumerate(itertools.product(VISIBILITIES, STATUSES)):
        card = _card(visibility, status, student_id=f"s{n}")
        assert store.add_card("k1", "r1", card)[0] == "ok"
        for reactor in (card["student_id"], "someone-else"):
            outcome, _ = store.react_to_card(
                "k1", card["id"], reactor, "heart",
                seen_if=projections.may_react_patterns(reactor))
            counted = outcome == "ok"
            assert counted == projections.may_react(card, reactor), (visibility, status, reactor)


def test_a_thread_is_seen_by_the_teacher_and_the_cards_author_only() -> None:
    card = _card("teacher", "visible")
    seen = {who for who, identity in {
        "teacher": Identity("k1", "teacher"), "cohost": Identity("k1", "cohost"),
        "stage": Identity("k1", "stage"), "author": Identity("k1", "student", "ana"),
        "other": Identity("k1", "student", "ben")}.items()
        if projections.sees_thread(identity, card)}
    assert seen == {"teacher", "author"}


@pytest.mark.parametrize(("status", "spotlight", "expected"), [
    ("visible", None, {"teacher", "cohost", "author", "other"}),
    ("visible", "c-ana", {"teacher", "cohost", "author", "other", "stage"}),
    ("pending", "c-ana", {"teacher", "cohost", "author"}),
    ("hidden", "c-ana", {"teacher"}),
])
def test_an_attached_photo_is_seen_by_whoever_sees_its_card(status: str, spotlight: str | None,
                                                            expected: set[str]) -> None:
    card = _card("class", status, photo_id="p1")
    meta = {"student_id": "ana", "card_id": card["id"], "round_id": "r1"}
    seen = {who for who, identity in {
        "teacher": Identity("k1", "teacher"), "cohost": Identity("k1", "cohost"),
        "stage": Identity("k1", "stage"), "author": Identity("k1", "student", "ana"),
        "other": Identity("k1", "student", "ben")}.items()
        if projections.may_see_attachment(identity, "photo", "p1", meta, card, spotlight)}
    assert seen == expected
    # Another card's photo id, or a card gone: nobody.
    assert not projections.may_see_attachment(Identity("k1", "teacher"), "photo", "p2", meta,
                                               card, spotlight)
    assert not projections.may_see_attachment(Identity("k1", "teacher"), "photo", "p1", meta,
                                              None, spotlight)
