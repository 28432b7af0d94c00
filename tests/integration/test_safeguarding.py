"""For schools' safeguarding, in process: a class switch that turns private replies off, and a
teacher's export that holds every private thread, withdrawn cards' threads included."""

from __future__ import annotations

from tests.conftest import card, ok, start_open_round
from tests.inprocess import InProcessApp


def test_private_replies_can_be_turned_off_and_every_thread_is_exported(
        rapport: InProcessApp) -> None:
    klass = rapport.create_class()
    auth = {"Authorization": f"Bearer {klass.teacher_secret}"}
    seat = klass.join("Ana")
    teacher = rapport.connect({"token": klass.teacher_secret})
    cohost = rapport.connect({"token": klass.cohost_secret})
    ana = rapport.connect({"token": seat["seat_token"]})
    assert ana.first("snapshot")["class"]["private_replies"] is True
    start_open_round(teacher)
    first = ok(ana.call("card.submit", card("ana-card-0001", "I miss my old school",
                                            "teacher")))["card"]
    ok(teacher.call("reply.send", {"card_id": first["id"], "text": "Tell me more?"}))
    rapport.tick(20)  # her answer comes later (replies are ordered by time)
    ok(ana.call("reply.send", {"card_id": first["id"], "text": "Maybe later"}))
    # She withdraws the card: it leaves every screen, its thread stays in the teacher's record.
    ok(ana.call("card.withdraw", {"card_id": first["id"]}))
    second = ok(ana.call("card.submit", card("ana-card-0002", "Football", "class")))["card"]

    # The school's rule: no private replies in this class. Only the teacher sets it.
    refused = cohost.call("class.settings", {"private_replies": False})
    assert refused["error"]["code"] == "forbidden"
    ok(teacher.call("class.settings", {"private_replies": False}))
    ana.first("class.updated", lambda d: d["class"]["private_replies"] is False)
    for who in (teacher, ana):
        answer = who.call("reply.send", {"card_id": second["id"], "text": "Hello"})
        assert answer["error"]["code"] == "conflict", answer
        assert answer["error"]["message"] == "Private replies are turned off in this class."
    snap = ok(teacher.call("snapshot.get", {}))["snapshot"]
    assert snap["class"]["private_replies"] is False and snap["class"]["approval_required"] is False

    data = rapport.web.get(f"/api/classes/{klass.class_id}/export",
                        headers=auth).get_json()
    assert data["class"]["private_replies_off"] is True
    (thread,) = data["private_threads"]
    assert thread["card_id"] == first["id"] and thread["card_withdrawn"] is True
    assert thread["student_id"] == seat["student_id"] and thread["card_text"] is None
    assert [(r["from"], r["text"]) for r in thread["replies"]] == [
        ("teacher", "Tell me more?"), ("student", "Maybe later")]

    # Turned back on, replies flow again; deleting Ana deletes her kept thread too.
    ok(teacher.call("class.settings", {"private_replies": True}))
    ok(teacher.call("reply.send", {"card_id": second["id"], "text": "Great match!"}))
    assert rapport.web.delete(f"/api/classes/{klass.class_id}/students/"
                           f"{seat['student_id']}", headers=auth).status_code == 204
    data = rapport.web.get(f"/api/classes/{klass.class_id}/export",
                        headers=auth).get_json()
    assert data["private_threads"] == []
