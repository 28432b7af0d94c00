"""The co-host's boundaries, in process (PRODUCT.md: run rounds and rotations, see
class-visible cards; never private cards, private replies, notes, e-mails, tags or anything
derived from them)."""

from __future__ import annotations

from types import SimpleNamespace

from tests.conftest import card, ok, start_open_round
from tests.inprocess import InProcessApp


def class_with_cohost(rapport: InProcessApp) -> SimpleNamespace:
    """A class with a roster (e-mails, ELL tags), four students online, teacher and co-host."""
    klass = rapport.create_class()
    auth = {"Authorization": f"Bearer {klass.teacher_secret}"}
    names = ["Ana", "Ben", "Cy", "Di"]
    roster = "name,email,tags\n" + "".join(f"{n},{n.lower()}@school.example,ELL\n"
                                             for n in names)
    r = rapport.web.post(f"/api/classes/{klass.class_id}/roster", data=roster,
                         headers={**auth, "Content-Type": "text/csv"})
    assert r.status_code == 200, r.get_data(as_text=True)
    seats = {n: klass.join(n) for n in names}
    teacher = rapport.connect({"token": klass.teacher_secret})
    cohost = rapport.connect({"token": klass.cohost_secret})
    kids = {n: rapport.connect({"token": s["seat_token"]}) for n, s in seats.items()}
    for kid in kids.values():
        kid.first("snapshot")
    cohost.first("snapshot")
    start_open_round(teacher)
    return SimpleNamespace(klass=klass, auth=auth, seats=seats, teacher=teacher, cohost=cohost,
                           kids=kids, ids={n: s["student_id"] for n, s in seats.items()})


def test_cohost_cannot_change_the_teachers_own_card(rapport: InProcessApp) -> None:
    c = class_with_cohost(rapport)
    teacher, cohost = c.teacher, c.cohost
    refused = cohost.call("round.host_card", {"text": "The co-host's words instead"})
    assert refused["error"]["code"] == "forbidden", refused
    current = ok(teacher.call("snapshot.get", {}))["snapshot"]["round"]
    assert current["host_card"]["author_role"] == "teacher"
    assert current["host_card"]["text"].startswith("I collect old maps")


def test_cohost_is_never_told_who_posted_privately(rapport: InProcessApp) -> None:
    c = class_with_cohost(rapport)
    teacher, cohost, kids = c.teacher, c.cohost, c.kids
    ana, ben, cy = c.ids["Ana"], c.ids["Ben"], c.ids["Cy"]
    # Ana answers "just my teacher", Ben for the class: the co-host learns of Ben only.
    ok(kids["Ana"].call("card.submit", card("ana-private-01", "only for you", "teacher")))
    ok(kids["Ben"].call("card.submit", card("ben-class-0001", "for everyone")))
    teacher.first("answered", lambda d: d["count"] == 2)
    assert set(teacher.received("answered")[-1]["answered"]) == {ana, ben}
    seen = cohost.first("answered", lambda d: ben in d["answered"])
    assert seen["answered"] == [ben] and seen["count"] == 1
    snap = ok(cohost.call("snapshot.get", {}))["snapshot"]
    assert snap["round"]["answered"] == [ben]
    # Cy posts for the class, then makes it "just my teacher": the co-host's list follows.
    cy_card = ok(kids["Cy"].call("card.submit", card("cy-class-00001", "cy's words")))["card"]
    cohost.first("answered", lambda d: cy in d["answered"])
    ok(kids["Cy"].call("card.edit", {"card_id": cy_card["id"], "visibility": "teacher"}))
    cohost.first("answered", lambda d: d["answered"] == [ben])
    teacher.first("answered", lambda d: set(d["answered"]) == {ana, ben, cy})

    assert "only for you" not in cohost.blob()


def test_no_private_derived_data_reaches_the_cohost(rapport: InProcessApp) -> None:
    """No check-in room order, no Zoom e-mail export, no tags: in any snapshot or event."""
    c = class_with_cohost(rapport)
    klass, auth, teacher, cohost = c.klass, c.auth, c.teacher, c.cohost
    ben = c.ids["Ben"]
    # A check-in room is ordered from the connection record: the teacher's alone.
    refused = cohost.call("rotation.plan", {"size": 2, "rotations": 2, "minutes": 5,
                                            "checkin_room": 1})
    assert refused["error"]["code"] == "forbidden", refused
    assert "teacher" in refused["error"]["message"]
    ok(cohost.call("rotation.plan", {"size": 2, "rotations": 2, "minutes": 5}))

    # The Zoom export is made of e-mail addresses: the teacher's, not the co-host's.
    base = f"/api/classes/{klass.class_id}/rotations/1/export"
    cohost_auth = {"Authorization": f"Bearer {klass.cohost_secret}"}
    for fmt in ("zoom", "zoom-by-hand"):
        r = rapport.web.get(base, query_string={"format": fmt}, headers=cohost_auth)
        assert r.status_code == 403, (fmt, r.get_data(as_text=True))
        assert "e-mail" in r.get_json()["error"]["message"]
    assert rapport.web.get(base, query_string={"format": "csv"},
                           headers=cohost_auth).status_code == 200
    r = rapport.web.get(base, query_string={"format": "zoom"}, headers=auth)
    assert r.status_code == 200 and "ana@school.example" in r.get_data(as_text=True)

    # Tags and e-mails never reach the co-host, in the snapshot or any live event.
    ok(teacher.call("student.rename", {"student_id": ben, "name": "Benny"}))
    cohost.first("student.updated", lambda d: d["student"]["name"] == "Benny")
    fresh = rapport.connect({"token": klass.cohost_secret})
    fresh.first("snapshot")
    for who in (cohost, fresh):
        blob = who.blob()
        assert "@school.example" not in blob
        assert "ELL" not in blob and "'tags'" not in blob
    assert all("tags" in s for s in teacher.first("snapshot")["students"])
