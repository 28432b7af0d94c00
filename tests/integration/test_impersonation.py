"""Nobody poses as staff or as a classmate, and no text hides behind invisible characters."""

from __future__ import annotations

import pytest
import requests

from tests.conftest import card, create_class, ok, start_open_round

pytestmark = pytest.mark.redis


def join(base: str, code: str, name: str) -> requests.Response:
    return requests.post(f"{base}/api/join", json={"code": code, "name": name}, timeout=10)


def test_look_alike_staff_and_classmate_names_and_invisible_text_are_refused(
        live_server, clients) -> None:
    base = live_server.url
    klass = create_class(base)
    teacher = clients(base, {"token": klass.teacher_secret})
    cohost = clients(base, {"token": klass.cohost_secret})
    teacher.wait_for("snapshot")
    refused = cohost.call("class.settings", {"staff_names": ["Mr. Hacker"]})
    assert refused["error"]["code"] == "forbidden"
    ok(teacher.call("class.settings", {"staff_names": ["Mr. Smith", "Ms. Lee"]}))
    assert teacher.wait_for("class.updated")["class"]["staff_names"] == ["Mr. Smith", "Ms. Lee"]
    for name in ("ᴛᴇᴀᴄʜᴇʀ", "Ꭲeacher", "teache\u0301r", "Lehrer", "Maestra", "老师",
                 "Mr Smith", "MS.LEE", "Мr. Ѕmith", "\u3164", "\u115f\u3164", "\u202e\u200b"):
        answer = join(base, klass.join_code, name)
        assert answer.status_code == 400, (name, answer.text)
        assert answer.json()["error"]["code"] == "invalid"
    assert join(base, klass.join_code, "Smith").status_code == 200  # a surname is not a title
    ana = join(base, klass.join_code, "Ana").json()
    look_alike = join(base, klass.join_code, "Аna")  # Cyrillic А
    assert look_alike.status_code == 409 and look_alike.json()["error"]["code"] == "name_taken"
    renamed = teacher.call("student.rename", {"student_id": ana["student_id"],
                                              "name": "Profesora Ana"})
    assert renamed["error"]["code"] == "invalid"

    # Card text, replies and notes lose bidi overrides, zero-width and filler characters.
    start_open_round(teacher)
    kid = clients(base, {"token": ana["seat_token"]})
    kid.wait_for("snapshot")
    posted = ok(kid.call("card.submit", card("ana-bidi-0001",
                                            "my \u202egod\u202c\u200b pet\u3164 \u2066x\u2069")))
    assert posted["card"]["text"] == "my god pet x"
    reply = ok(teacher.call("reply.send", {"card_id": posted["card"]["id"],
                                           "text": "lo\u200bve\u202e it"}))
    assert reply["reply"]["text"] == "love it"
    note = ok(teacher.call("note.set", {"student_id": ana["student_id"],
                                        "text": "\u202eshy\u2069"}))
    assert "\u202e" not in repr(note) and "shy" in repr(note)
