"""Nobody poses as staff or as a classmate, and no text hides behind invisible characters
(in process)."""

from __future__ import annotations

from typing import Any

from tests.conftest import card, ok, start_open_round
from tests.inprocess import InProcessApp


def join(rapport: InProcessApp, code: str, name: str) -> Any:
    return rapport.web.post("/api/join", json={"code": code, "name": name})


def test_look_alike_staff_and_classmate_names_and_invisible_text_are_refused(
        rapport: InProcessApp) -> None:
    klass = rapport.create_class()
    teacher = rapport.connect({"token": klass.teacher_secret})
    cohost = rapport.connect({"token": klass.cohost_secret})
    teacher.first("snapshot")
    refused = cohost.call("class.settings", {"staff_names": ["Mr. Hacker"]})
    assert refused["error"]["code"] == "forbidden"
    ok(teacher.call("class.settings", {"staff_names": ["Mr. Smith", "Ms. Lee"]}))
    assert teacher.first("class.updated")["class"]["staff_names"] == ["Mr. Smith", "Ms. Lee"]
    for name in ("ᴛᴇᴀᴄʜᴇʀ", "Ꭲeacher", "teache\u0301r", "Lehrer", "Maestra", "老师",
                 "Mr Smith", "MS.LEE", "Мr. Ѕmith", "\u3164", "\u115f\u3164", "\u202e\u200b"):
        answer = join(rapport, klass.join_code, name)
        assert answer.status_code == 400, (name, answer.get_data(as_text=True))
        assert answer.get_json()["error"]["code"] == "invalid"
    assert join(rapport, klass.join_code, "Smith").status_code == 200  # a surname is not a title
    ana = join(rapport, klass.join_code, "Ana").get_json()
    look_alike = join(rapport, klass.join_code, "Аna")  # Cyrillic А
    assert look_alike.status_code == 409 and look_alike.get_json()["error"]["code"] == "name_taken"
    renamed = teacher.call("student.rename", {"student_id": ana["student_id"],
                                              "name": "Profesora Ana"})
    assert renamed["error"]["code"] == "invalid"

    # Card text, replies and notes lose bidi overrides, zero-width and filler characters.
    start_open_round(teacher)
    kid = rapport.connect({"token": ana["seat_token"]})
    kid.first("snapshot")
    posted = ok(kid.call("card.submit", card("ana-bidi-0001",
                                            "my \u202egod\u202c\u200b pet\u3164 \u2066x\u2069")))
    assert posted["card"]["text"] == "my god pet x"
    reply = ok(teacher.call("reply.send", {"card_id": posted["card"]["id"],
                                           "text": "lo\u200bve\u202e it"}))
    assert reply["reply"]["text"] == "love it"
    note = ok(teacher.call("note.set", {"student_id": ana["student_id"],
                                        "text": "\u202eshy\u2069"}))
    assert "\u202e" not in repr(note) and "shy" in repr(note)
