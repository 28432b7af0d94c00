"""Show-and-tell rounds' rules, in process: the app, its store (fakeredis), Socket.IO test
clients and a clock the test moves (a round's timer fires when the scheduler ticks past it).
The live-server journey, the restart and the two-process deadline are in test_live_rounds.py."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from PIL import Image

from tests.conftest import card, ok, start_open_round
from tests.inprocess import Client, InProcessApp, Klass

SECRET_REPLY = "only-for-you-7f3a"
SECRET_CARD = "private-card-91c2"


def test_thirty_students_privacy_and_counts(rapport: InProcessApp) -> None:
    klass = rapport.create_class()
    teacher, cohost, stage = rapport.teacher(klass), rapport.cohost(klass), rapport.stage(klass)
    seats = [klass.join(f"Student {i:02d}") for i in range(30)]
    students = [rapport.student(s) for s in seats]
    round_ = start_open_round(teacher)
    for s in students:
        got = s.first("round.updated", lambda d: d["round"]["status"] == "open")
        assert got["round"]["host_card"]["text"].startswith("I collect old maps")
    # Student 0 posts privately; the rest post to the class.
    private = ok(students[0].call("card.submit", card("c-private-0", SECRET_CARD, "teacher")))
    for i, s in enumerate(students[1:], start=1):
        ok(s.call("card.submit", card(f"card-{i:04d}", f"My card number {i}")))
    answered = teacher.received("answered")[-1]
    assert answered["count"] == 30
    assert sorted(answered["answered"]) == sorted(s["student_id"] for s in seats)
    assert answered["student_count"] == 30
    # The stage shows how many answered, never who.
    assert stage.received("answered")[-1] == {"count": 30, "student_count": 30}
    assert not any(s["student_id"] in stage.blob() for s in seats)
    arrived = {e["card"]["id"] for e in teacher.received("card.added")}
    assert len(arrived) == 30 and private["card"]["id"] in arrived
    # Replies: teacher to the private card, the author answers.
    ok(teacher.call("reply.send", {"card_id": private["card"]["id"], "text": SECRET_REPLY}))
    students[0].first("reply", lambda d: d["reply"]["text"] == SECRET_REPLY)
    ok(students[0].call("reply.send", {"card_id": private["card"]["id"],
                                       "text": SECRET_REPLY + "-back"}))
    teacher.first("reply", lambda d: d["reply"]["text"] == SECRET_REPLY + "-back")
    # Others cannot reply on someone else's card, and the co-host cannot reply at all.
    assert students[1].call("reply.send", {"card_id": private["card"]["id"],
                                           "text": "hi"})["ok"] is False
    assert cohost.call("reply.send", {"card_id": private["card"]["id"],
                                      "text": "hi"})["ok"] is False
    # Fresh snapshots for everyone, then check every event every socket received.
    late = [rapport.student(seats[i]) for i in (1, 2)]
    late_cohost = rapport.cohost(klass)
    outsiders = [*students[1:], *late, cohost, late_cohost, stage]
    for c in outsiders:
        blob = c.blob()
        assert SECRET_CARD not in blob and SECRET_REPLY not in blob
    teacher_snapshot = rapport.teacher(klass).first("snapshot")
    assert SECRET_CARD in repr(teacher_snapshot) and SECRET_REPLY in repr(teacher_snapshot)
    author_snapshot = rapport.student(seats[0]).first("snapshot")
    assert SECRET_CARD in repr(author_snapshot) and SECRET_REPLY in repr(author_snapshot)
    cohost_cards = late_cohost.received("snapshot")[0]["cards"]
    assert len(cohost_cards) == 29
    assert round_["status"] == "open"


def test_same_card_three_times_is_stored_once(rapport: InProcessApp) -> None:
    klass = rapport.create_class()
    teacher = rapport.teacher(klass)
    student = rapport.student(klass.join("Ana"))
    start_open_round(teacher)
    acks = [student.call("card.submit", card("retry-123456", "Same card")) for _ in range(3)]
    assert len({a["card"]["id"] for a in acks}) == 1
    assert [a["duplicate"] for a in acks] == [False, True, True]
    r = rapport.redis
    round_id = r.get(f"rp:class:{klass.class_id}:round")
    assert r.hlen(f"rp:class:{klass.class_id}:round:{round_id}:cards") == 1
    # A different submission by the same student is refused, not stored twice.
    other = student.call("card.submit", card("another-12345", "Second card"))
    assert other["ok"] is False and other["error"]["code"] == "conflict"


def test_students_cannot_run_rounds_and_bad_input_changes_nothing(rapport: InProcessApp) -> None:
    klass = rapport.create_class()
    teacher = rapport.teacher(klass)
    student = rapport.student(klass.join("Bo"))
    for event, payload in [("round.start", {"custom_text": "What is your dog called?"}),
                           ("round.open", {}), ("spotlight.set", {"card_id": None}),
                           ("prompt.list", {})]:
        assert student.call(event, payload)["error"]["code"] == "forbidden", event
    start_open_round(teacher)
    bad = [
        card("short", "x"),  # client id too short
        card("good-client-id", ""),
        card("good-client-id", "x" * 501),
        {**card("good-client-id", "hi"), "visibility": "world"},
        {**card("good-client-id", "hi"), "extra": 1},
        {**card("good-client-id", "hi"), "spotlight_ok": "yes"},
        "not an object",
    ]
    for payload in bad:
        ack = student.call("card.submit", payload)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid", payload
    snap = rapport.teacher(klass).first("snapshot")
    assert snap["cards"] == [] and snap["round"]["answered"] == []
    # The teacher posts no cards: that is the host card's job.
    assert teacher.call("card.submit", card("teacher-card-1", "hi"))["error"]["code"] == \
        "forbidden"


def test_open_needs_host_card_first(rapport: InProcessApp) -> None:
    teacher = rapport.teacher(rapport.create_class())
    ok(teacher.call("round.start", {"custom_text": "Show us a mug you love."}))
    refused = teacher.call("round.open", {"timer_seconds": None})
    assert refused["ok"] is False and "first" in refused["error"]["message"]
    ok(teacher.call("round.host_card", {"skip": True}))
    ok(teacher.call("round.open", {"timer_seconds": None}))
    again = teacher.call("round.start", {"custom_text": "Another one?"})
    assert again["error"]["code"] == "conflict"


def test_spotlight_hide_approve_and_reactions(rapport: InProcessApp) -> None:
    klass = rapport.create_class()
    teacher, cohost = rapport.teacher(klass), rapport.cohost(klass)
    ana = rapport.student(klass.join("Ana"))
    ben = rapport.student(klass.join("Ben"))
    stage = rapport.stage(klass)
    start_open_round(teacher)
    shy = ok(ana.call("card.submit", card("ana-shy-0001", "No spotlight please",
                                          spotlight_ok=False)))["card"]
    ana_card = ok(ana.call("card.edit", {"card_id": shy["id"], "spotlight_ok": True}))["card"]
    ben.first("card.updated", lambda d: d["card"]["spotlight_ok"] is True)
    ok(cohost.call("spotlight.set", {"card_id": ana_card["id"]}))
    for c in (stage, ben, ana, teacher):
        c.first("spotlight", lambda d: d["card"] and d["card"]["id"] == ana_card["id"])
    # Reactions: counted once per kind per student, broadcast coalesced: a card's counts go
    # out at the next tick, then at most once per flush interval, always the latest counts.
    rapport.tick(1)  # nothing changed: nothing to send
    assert stage.received("reactions") == []
    for _ in range(5):
        ok(ben.call("react", {"card_id": ana_card["id"], "reaction": "heart"}))
    ok(ben.call("react", {"card_id": ana_card["id"], "reaction": "clap"}))
    rapport.tick(0.1)
    assert stage.received("reactions") == [{"card_id": ana_card["id"],
                                            "counts": {"heart": 1, "clap": 1}}]
    ok(ana.call("react", {"card_id": ana_card["id"], "reaction": "heart"}))
    rapport.tick(0.1)
    assert len(stage.received("reactions")) == 1  # sent 0.1 s ago: waits for its interval
    rapport.tick(0.4)
    assert stage.received("reactions")[1:] == [{"card_id": ana_card["id"],
                                                "counts": {"heart": 2, "clap": 1}}]
    assert ben.call("react", {"card_id": ana_card["id"], "reaction": "angry"})["ok"] is False
    # Hiding takes the card off every student screen and the spotlight, at once.
    ok(teacher.call("card.hide", {"card_id": ana_card["id"], "hidden": True}))
    ben.first("card.removed", lambda d: d["card_id"] == ana_card["id"])
    ana.first("card.removed", lambda d: d["card_id"] == ana_card["id"])
    assert stage.received("spotlight")[-1]["card"] is None
    fresh = rapport.student(klass.join("Cy"))
    assert fresh.first("snapshot")["cards"] == []
    # Approval: class cards wait for the teacher.
    ok(teacher.call("class.settings", {"approval_required": True}))
    ben_card = ok(ben.call("card.submit", card("ben-card-0001", "My skateboard")))["card"]
    assert ben_card["status"] == "pending"
    assert not any(e["card"]["id"] == ben_card["id"] for e in fresh.received("card.added"))
    with_pending = rapport.student(klass.join("Di"))
    assert with_pending.first("snapshot")["cards"] == []
    ok(cohost.call("card.approve", {"card_id": ben_card["id"]}))
    fresh.first("card.added", lambda d: d["card"]["id"] == ben_card["id"])
    # Only the teacher stars.
    assert cohost.call("card.star", {"card_id": ben_card["id"], "starred": True})["ok"] is False
    ok(teacher.call("card.star", {"card_id": ben_card["id"], "starred": True}))


def test_withdrawing_the_spotlit_card_empties_every_screens_spotlight(
        rapport: InProcessApp) -> None:
    """The author takes back the card on the projector: the stage and the class stop showing it
    at once (the stored round already spotlit nothing; live screens were never told)."""
    klass = rapport.create_class()
    teacher, stage = rapport.teacher(klass), rapport.stage(klass)
    ana = rapport.student(klass.join("Ana"))
    ben = rapport.student(klass.join("Ben"))
    start_open_round(teacher)
    posted = ok(ana.call("card.submit", card("ana-spot-0001", "My compass")))["card"]
    ok(teacher.call("spotlight.set", {"card_id": posted["id"]}))
    for c in (stage, ben, teacher):
        c.first("spotlight", lambda d: d["card"] and d["card"]["id"] == posted["id"])
    ok(ana.call("card.withdraw", {"card_id": posted["id"]}))
    rapport.tick(0.1)  # the batched card.removed goes out too
    for c in (stage, ben, ana, teacher):
        assert c.received("spotlight")[-1] == {"card": None}
    assert "My compass" not in str(rapport.stage(klass).first("snapshot"))


def test_offensive_text_is_flagged_for_review_not_deleted(rapport: InProcessApp) -> None:
    klass = rapport.create_class()
    teacher = rapport.teacher(klass)
    ana = rapport.student(klass.join("Ana"))
    ben = rapport.student(klass.join("Ben"))
    start_open_round(teacher)
    posted = ok(ana.call("card.submit", card("ana-rude-0001", "this is shit")))["card"]
    assert posted["status"] == "pending"
    seen = teacher.first("card.added", lambda d: d["card"]["id"] == posted["id"])
    assert seen["card"]["flagged"] is True and seen["card"]["text"] == "this is shit"
    assert all(e["card"]["id"] != posted["id"] for e in ben.received("card.added"))
    # Who a student is, and their family's names, are never held (issue 10).
    proud = ok(ben.call("card.submit", card("ben-proud-0001", "I am gay and proud. Dick is "
                                                              "my grandpa")))["card"]
    assert proud["status"] == "visible"
    seen = teacher.first("card.added", lambda d: d["card"]["id"] == proud["id"])
    assert seen["card"]["flagged"] is False


def closes(client: Client) -> list[dict[str, Any]]:
    return [e for e in client.received("round.updated") if e["round"]["status"] == "closed"]


def test_timer_closes_the_round_once_when_it_runs_out(rapport: InProcessApp) -> None:
    """The deadline fires by the clock: not a second early, once, for everyone; an extension
    moves it, and the teacher cannot close the round a second time."""
    klass = rapport.create_class()
    teacher = rapport.teacher(klass)
    student = rapport.student(klass.join("Ana"))
    opened = start_open_round(teacher, timer=30)
    assert opened["deadline"] == opened["opened_at"] + 30_000
    posted = ok(student.call("card.submit", card("ana-card-0001", "Before the bell")))
    rapport.tick(29.9)
    assert closes(teacher) == [] and closes(student) == []
    extended = ok(teacher.call("round.extend", {"seconds": 10}))["round"]
    assert extended["deadline"] == opened["deadline"] + 10_000
    rapport.tick(10)  # 39.9 s after opening: the old deadline has passed, the new one not
    assert closes(teacher) == []
    rapport.tick(0.1)
    [closed] = closes(teacher)
    assert closed["round"]["id"] == opened["id"]
    assert closed["round"]["closed_at"] == opened["opened_at"] + 40_000
    assert [e["round"]["id"] for e in closes(student)] == [opened["id"]]
    assert rapport.redis.zscore("rp:deadlines", f"round|{klass.class_id}|{opened['id']}") is None
    rapport.tick(60)
    assert len(closes(teacher)) == 1 and len(closes(student)) == 1
    assert rapport.teacher(klass).first("snapshot")["round"]["status"] == "closed"
    assert teacher.call("round.close", {})["ok"] is False
    late = student.call("card.edit", {"card_id": posted["card"]["id"], "text": "Too late"})
    assert late["ok"] is False and late["error"]["code"] == "conflict"


def make_jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (2000, 1500), (30, 120, 200))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees when shown
    gps = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)}
    exif[0x8825] = gps
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def upload(klass: Klass, token: str, data: bytes, name: str = "photo.jpg") -> Any:
    return klass.web.post(f"/api/classes/{klass.class_id}/photos",
                          data={"photo": (io.BytesIO(data), name, "image/jpeg")},
                          headers=klass.auth(token), content_type="multipart/form-data")


def fetch_photo(klass: Klass, token: str, photo_id: str) -> Any:
    return klass.web.get(f"/api/classes/{klass.class_id}/photos/{photo_id}",
                         headers=klass.auth(token))


def test_photos(rapport: InProcessApp) -> None:
    klass = rapport.create_class()
    teacher = rapport.teacher(klass)
    ana_seat, ben_seat = klass.join("Ana"), klass.join("Ben")
    ana = rapport.student(ana_seat)
    start_open_round(teacher)
    original = make_jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)
    r = upload(klass, ana_seat["seat_token"], original)
    assert r.status_code == 201, r.get_data(as_text=True)
    photo_id = r.get_json()["photo_id"]
    # Before it is attached, only the uploader sees it.
    assert fetch_photo(klass, ben_seat["seat_token"], photo_id).status_code == 404
    own = fetch_photo(klass, ana_seat["seat_token"], photo_id)
    assert own.status_code == 200 and own.headers["Content-Type"] == "image/jpeg"
    cleaned = Image.open(io.BytesIO(own.data))
    assert not cleaned.getexif()
    assert "exif" not in cleaned.info and "icc_profile" not in cleaned.info
    assert b"Exif" not in own.data[:4096]
    assert cleaned.size == (960, 1280)  # rotated upright, then fitted into 1280 px
    posted = ok(ana.call("card.submit", card("ana-photo-001", "My globe", photo_id=photo_id)))
    card_id = posted["card"]["id"]
    assert fetch_photo(klass, ben_seat["seat_token"], photo_id).status_code == 200
    assert fetch_photo(klass, klass.cohost_secret, photo_id).status_code == 200
    ok(teacher.call("card.hide", {"card_id": card_id, "hidden": True}))
    for token in (ben_seat["seat_token"], ana_seat["seat_token"], klass.cohost_secret):
        assert fetch_photo(klass, token, photo_id).status_code == 404
    # Refusals with clear errors.
    text = upload(klass, ben_seat["seat_token"], b"hello, I am not a photo", "notes.jpg")
    assert text.status_code == 400 and "not a photo" in text.get_json()["error"]["message"]
    big = io.BytesIO()
    Image.new("1", (20000, 20000)).save(big, format="PNG")
    bomb = upload(klass, ben_seat["seat_token"], big.getvalue(), "big.png")
    assert bomb.status_code == 400 and "too large" in bomb.get_json()["error"]["message"]
    assert upload(klass, klass.teacher_secret, original).status_code == 403
    huge = upload(klass, ben_seat["seat_token"], b"\xff\xd8" + b"0" * (7 * 1024 * 1024))
    assert huge.status_code == 413


def test_round_export(rapport: InProcessApp) -> None:
    klass = rapport.create_class()
    teacher = rapport.teacher(klass)
    ana = rapport.student(klass.join("Ana"))
    round_ = start_open_round(teacher)
    posted = ok(ana.call("card.submit", card("ana-export-1", "=HYPERLINK(\"x\")", "teacher")))
    ok(teacher.call("reply.send", {"card_id": posted["card"]["id"], "text": "Thank you!"}))
    rapport.tick(61)  # cards a minute apart, so the export's order is the order of posting
    ben = rapport.student(klass.join("Ben"))
    ok(ben.call("card.submit", card("ben-export-1", "-3 degrees today", "teacher")))
    url = f"/api/classes/{klass.class_id}/rounds/{round_['id']}/export"
    auth = klass.auth(klass.teacher_secret)
    exported = rapport.web.get(url, headers=auth).get_json()
    assert [c["text"] for c in exported["cards"]] == ["=HYPERLINK(\"x\")", "-3 degrees today"]
    assert exported["cards"][0]["replies"][0]["text"] == "Thank you!"
    raw = rapport.web.get(url, query_string={"format": "csv", "tz": "Europe/Paris"},
                          headers=auth).data
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: spreadsheets read it as UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["text"] for r in rows] == ["'=HYPERLINK(\"x\")", "'-3 degrees today"]
    # Empty cells stay empty (no lone apostrophe); times are ISO 8601 with the zone's offset.
    assert [r["replies"] for r in rows] == ["teacher: Thank you!", ""]
    assert all(v != "'" for r in rows for v in r.values())
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[12]:00", rows[0]["created_at"])
    assert rows[0]["created_at"] == "2026-01-01T01:00:00+01:00"  # the clock's time, in Paris
    cohost = rapport.web.get(url, headers=klass.auth(klass.cohost_secret))
    assert cohost.status_code == 403


def test_retried_card_with_photo_returns_the_stored_card(rapport: InProcessApp) -> None:
    klass = rapport.create_class()
    teacher = rapport.teacher(klass)
    seat = klass.join("Ana")
    ana = rapport.student(seat)
    start_open_round(teacher)
    photo = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 10, 10)).save(photo, format="PNG")
    photo_id = upload(klass, seat["seat_token"], photo.getvalue(), "red.png").get_json()[
        "photo_id"]
    payload = card("retry-photo-01", "With a photo", photo_id=photo_id)
    first, second = ok(ana.call("card.submit", payload)), ok(ana.call("card.submit", payload))
    assert first["card"]["id"] == second["card"]["id"] and second["duplicate"] is True
    assert second["card"]["photo_id"] == photo_id
