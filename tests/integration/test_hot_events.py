"""The hot events' one round trip, in process: their write carries the sender's credential
check, so a seat whose credential is gone (deleted between its revocation and the closing of
its socket) changes nothing and its socket is closed."""

from __future__ import annotations

from server.domain.classes import hash_secret
from server.store.keys import cred_key
from tests.conftest import card, ok, start_open_round
from tests.inprocess import InProcessApp


def test_a_seat_whose_credential_is_gone_changes_nothing(rapport: InProcessApp) -> None:
    klass = rapport.create_class()
    teacher = rapport.teacher(klass)
    ana_seat, ben_seat, cy_seat = klass.join("Ana"), klass.join("Ben"), klass.join("Cy")
    ana, ben, cy = (rapport.student(s) for s in (ana_seat, ben_seat, cy_seat))
    start_open_round(teacher)
    posted = ok(ana.call("card.submit", card("ana-card-0001", "A green box")))["card"]
    # Only the credential goes (as in the instant before a revocation closes the socket).
    for who, seat, event, payload in (
            (ben, ben_seat, "react", {"card_id": posted["id"], "reaction": "heart"}),
            (cy, cy_seat, "card.submit", card("cy-card-0001", "Mine"))):
        rapport.redis.delete(cred_key(hash_secret(seat["seat_token"])))
        ack = who.call(event, payload)
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden", (event, ack)
        assert not who.is_connected(), event
    store = rapport.store
    round_id = posted["round_id"]
    assert store.reaction_counts(klass.class_id, round_id) == {}
    assert store.answered(klass.class_id, round_id) == [ana_seat["student_id"]]
    # The teacher's link, likewise, for the spotlight.
    rapport.redis.delete(cred_key(hash_secret(klass.teacher_secret)))
    ack = teacher.call("spotlight.set", {"card_id": posted["id"]})
    assert ack["ok"] is False and ack["error"]["code"] == "forbidden"
    assert store.get_round(klass.class_id, round_id)["spotlight"] is None
