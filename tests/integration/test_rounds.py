"""Show-and-tell rounds end to end: real Redis, a live gevent server, real Socket.IO clients."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
import redis
import requests
from PIL import Image

from tests.conftest import ClassInfo, Recorder, create_class

pytestmark = pytest.mark.redis

SECRET_REPLY = "only-for-you-7f3a"
SECRET_CARD = "private-card-91c2"


def ok(ack: dict[str, Any]) -> dict[str, Any]:
    assert ack["ok"] is True, ack
    return ack


def start_open_round(teacher: Recorder, timer: int | None = None) -> dict[str, Any]:
    listing = ok(teacher.call("prompt.list", {}))
    prompt = listing["suggestion"]
    ok(teacher.call("round.start", {"prompt_id": prompt["id"]}))
    ok(teacher.call("round.host_card", {"text": "I collect old maps; here is one from 1902."}))
    return ok(teacher.call("round.open", {"timer_seconds": timer}))["round"]


def card(client_id: str, text: str, visibility: str = "class", spotlight_ok: bool = True,
         photo_id: str | None = None) -> dict[str, Any]:
    return {"client_id": client_id, "text": text, "visibility": visibility,
            "spotlight_ok": spotlight_ok, "photo_id": photo_id}


def test_thirty_students_privacy_and_counts(live_server, clients) -> None:
    klass = create_class(live_server.url)
    teacher = clients(live_server.url, {"token": klass.teacher_secret})
    cohost = clients(live_server.url, {"token": klass.cohost_secret})
    stage = clients(live_server.url, {"token": klass.teacher_secret, "view": "stage"})
    seats = [klass.join(f"Student {i:02d}") for i in range(30)]
    students = [clients(live_server.url, {"token": s["seat_token"]}) for s in seats]
    for s in students:
        s.wait_for("snapshot")
    round_ = start_open_round(teacher)
    for s in students:
        got = s.wait_for("round.updated", lambda d: d["round"]["status"] == "open")
        assert got["round"]["host_card"]["text"].startswith("I collect old maps")
    # Student 0 posts privately; the rest post to the class.
    private = ok(students[0].call("card.submit", card("c-private-0", SECRET_CARD, "teacher")))
    for i, s in enumerate(students[1:], start=1):
        ok(s.call("card.submit", card(f"card-{i:04d}", f"My card number {i}")))
    answered = teacher.wait_for("answered", lambda d: d["count"] == 30)
    assert sorted(answered["answered"]) == sorted(s["student_id"] for s in seats)
    assert answered["student_count"] == 30
    # The stage shows how many answered, never who.
    assert stage.wait_for("answered", lambda d: d["count"] == 30) == {"count": 30,
                                                                      "student_count": 30}
    assert not any(s["student_id"] in repr(stage.events) for s in seats)
    arrived = {e["card"]["id"] for e in teacher.received("card.added")}
    assert len(arrived) == 30 and private["card"]["id"] in arrived
    # Replies: teacher to the private card, the author answers.
    ok(teacher.call("reply.send", {"card_id": private["card"]["id"], "text": SECRET_REPLY}))
    students[0].wait_for("reply", lambda d: d["reply"]["text"] == SECRET_REPLY)
    ok(students[0].call("reply.send", {"card_id": private["card"]["id"],
                                       "text": SECRET_REPLY + "-back"}))
    teacher.wait_for("reply", lambda d: d["reply"]["text"] == SECRET_REPLY + "-back")
    # Others cannot reply on someone else's card, and the co-host cannot reply at all.
    assert students[1].call("reply.send", {"card_id": private["card"]["id"],
                                           "text": "hi"})["ok"] is False
    assert cohost.call("reply.send", {"card_id": private["card"]["id"],
                                      "text": "hi"})["ok"] is False
    # Fresh snapshots for everyone, then check every event every socket received.
    late = [clients(live_server.url, {"token": seats[i]["seat_token"]}) for i in (1, 2)]
    late_cohost = clients(live_server.url, {"token": klass.cohost_secret})
    for c in [*late, late_cohost]:
        c.wait_for("snapshot")
    outsiders = [*students[1:], *late, cohost, late_cohost, stage]
    for c in outsiders:
        blob = repr(c.events)
        assert SECRET_CARD not in blob and SECRET_REPLY not in blob
    teacher_snapshot = clients(live_server.url, {"token": klass.teacher_secret}).wait_for(
        "snapshot")
    assert SECRET_CARD in repr(teacher_snapshot) and SECRET_REPLY in repr(teacher_snapshot)
    author_snapshot = clients(live_server.url, {"token": seats[0]["seat_token"]}).wait_for(
        "snapshot")
    assert SECRET_CARD in repr(author_snapshot) and SECRET_REPLY in repr(author_snapshot)
    cohost_cards = late_cohost.received("snapshot")[0]["cards"]
    assert len(cohost_cards) == 29
    assert round_["status"] == "open"


def test_same_card_three_times_is_stored_once(live_server, redis_url, clients) -> None:
    klass = create_class(live_server.url)
    teacher = clients(live_server.url, {"token": klass.teacher_secret})
    seat = klass.join("Ana")
    student = clients(live_server.url, {"token": seat["seat_token"]})
    start_open_round(teacher)
    acks = [student.call("card.submit", card("retry-123456", "Same card")) for _ in range(3)]
    assert len({a["card"]["id"] for a in acks}) == 1
    assert [a["duplicate"] for a in acks] == [False, True, True]
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    round_id = r.get(f"rp:class:{klass.class_id}:round")
    assert r.hlen(f"rp:class:{klass.class_id}:round:{round_id}:cards") == 1
    # A different submission by the same student is refused, not stored twice.
    other = student.call("card.submit", card("another-12345", "Second card"))
    assert other["ok"] is False and other["error"]["code"] == "conflict"


def test_students_cannot_run_rounds_and_bad_input_changes_nothing(live_server, clients) -> None:
    klass = create_class(live_server.url)
    teacher = clients(live_server.url, {"token": klass.teacher_secret})
    student = clients(live_server.url, {"token": klass.join("Bo")["seat_token"]})
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
    snap = clients(live_server.url, {"token": klass.teacher_secret}).wait_for("snapshot")
    assert snap["cards"] == [] and snap["round"]["answered"] == []
    # The teacher posts no cards: that is the host card's job.
    assert teacher.call("card.submit", card("teacher-card-1", "hi"))["error"]["code"] == \
        "forbidden"


def test_open_needs_host_card_first(live_server, clients) -> None:
    klass = create_class(live_server.url)
    teacher = clients(live_server.url, {"token": klass.teacher_secret})
    ok(teacher.call("round.start", {"custom_text": "Show us a mug you love."}))
    refused = teacher.call("round.open", {"timer_seconds": None})
    assert refused["ok"] is False and "first" in refused["error"]["message"]
    ok(teacher.call("round.host_card", {"skip": True}))
    ok(teacher.call("round.open", {"timer_seconds": None}))
    again = teacher.call("round.start", {"custom_text": "Another one?"})
    assert again["error"]["code"] == "conflict"


def test_spotlight_hide_approve_and_reactions(live_server, clients) -> None:
    klass = create_class(live_server.url)
    teacher = clients(live_server.url, {"token": klass.teacher_secret})
    cohost = clients(live_server.url, {"token": klass.cohost_secret})
    ana = clients(live_server.url, {"token": klass.join("Ana")["seat_token"]})
    ben = clients(live_server.url, {"token": klass.join("Ben")["seat_token"]})
    stage = clients(live_server.url, {"token": klass.teacher_secret, "view": "stage"})
    start_open_round(teacher)
    shy = ok(ana.call("card.submit", card("ana-shy-0001", "No spotlight please",
                                          spotlight_ok=False)))["card"]
    ana_card = ok(ana.call("card.edit", {"card_id": shy["id"], "spotlight_ok": True}))["card"]
    ben.wait_for("card.updated", lambda d: d["card"]["spotlight_ok"] is True)
    ok(cohost.call("spotlight.set", {"card_id": ana_card["id"]}))
    for c in (stage, ben, ana, teacher):
        c.wait_for("spotlight", lambda d: d["card"] and d["card"]["id"] == ana_card["id"])
    # Reactions: counted once per kind per student, broadcast coalesced.
    for _ in range(5):
        ok(ben.call("react", {"card_id": ana_card["id"], "reaction": "heart"}))
    ok(ben.call("react", {"card_id": ana_card["id"], "reaction": "clap"}))
    final = stage.wait_for("reactions", lambda d: d["counts"] == {"heart": 1, "clap": 1})
    assert final["card_id"] == ana_card["id"]
    assert len(stage.received("reactions")) <= 2
    assert ben.call("react", {"card_id": ana_card["id"], "reaction": "angry"})["ok"] is False
    # Hiding takes the card off every student screen and the spotlight, at once.
    ok(teacher.call("card.hide", {"card_id": ana_card["id"], "hidden": True}))
    ben.wait_for("card.removed", lambda d: d["card_id"] == ana_card["id"])
    ana.wait_for("card.removed", lambda d: d["card_id"] == ana_card["id"])
    stage.wait_for("spotlight", lambda d: d["card"] is None)
    fresh = clients(live_server.url, {"token": klass.join("Cy")["seat_token"]})
    assert fresh.wait_for("snapshot")["cards"] == []
    # Approval: class cards wait for the teacher.
    ok(teacher.call("class.settings", {"approval_required": True}))
    ben_card = ok(ben.call("card.submit", card("ben-card-0001", "My skateboard")))["card"]
    assert ben_card["status"] == "pending"
    with_pending = clients(live_server.url, {"token": klass.join("Di")["seat_token"]})
    assert with_pending.wait_for("snapshot")["cards"] == []
    ok(cohost.call("card.approve", {"card_id": ben_card["id"]}))
    fresh.wait_for("card.added", lambda d: d["card"]["id"] == ben_card["id"])
    # Only the teacher stars.
    assert cohost.call("card.star", {"card_id": ben_card["id"], "starred": True})["ok"] is False
    ok(teacher.call("card.star", {"card_id": ben_card["id"], "starred": True}))


def test_offensive_text_is_flagged_for_review_not_deleted(live_server, clients) -> None:
    klass = create_class(live_server.url)
    teacher = clients(live_server.url, {"token": klass.teacher_secret})
    ana = clients(live_server.url, {"token": klass.join("Ana")["seat_token"]})
    ben = clients(live_server.url, {"token": klass.join("Ben")["seat_token"]})
    start_open_round(teacher)
    posted = ok(ana.call("card.submit", card("ana-rude-0001", "this is shit")))["card"]
    assert posted["status"] == "pending"
    seen = teacher.wait_for("card.added", lambda d: d["card"]["id"] == posted["id"])
    assert seen["card"]["flagged"] is True and seen["card"]["text"] == "this is shit"
    assert all(e["card"]["id"] != posted["id"] for e in ben.received("card.added"))
    # Who a student is, and their family's names, are never held (issue 10).
    proud = ok(ben.call("card.submit", card("ben-proud-0001", "I am gay and proud. Dick is "
                                                              "my grandpa")))["card"]
    assert proud["status"] == "visible"
    seen = teacher.wait_for("card.added", lambda d: d["card"]["id"] == proud["id"])
    assert seen["card"]["flagged"] is False


def test_timer_closes_round_once_and_survives_restart(make_server, redis_url, clients) -> None:
    server = make_server(REDIS_URL=redis_url, ASYNC_MODE="gevent")
    klass = create_class(server.url)
    teacher = clients(server.url, {"token": klass.teacher_secret})
    seat = klass.join("Ana")
    opened = start_open_round(teacher, timer=30)
    student = clients(server.url, {"token": seat["seat_token"]})
    posted = ok(student.call("card.submit", card("ana-card-0001", "Before the restart")))
    server.stop("kill")
    server.start()
    student_back = clients(server.url, {"token": seat["seat_token"]})
    again = student_back.wait_for("snapshot")
    assert again["round"]["status"] == "open"
    assert again["round"]["deadline"] == opened["deadline"]
    assert [c["id"] for c in again["cards"]] == [posted["card"]["id"]]
    left_ms = again["round"]["deadline"] - again["round"]["server_time"]
    assert 0 < left_ms <= 30_000
    teacher2 = clients(server.url, {"token": klass.teacher_secret})
    ok(teacher2.call("round.extend", {"seconds": 10}))
    # The restarted server's timer fires: the deadline is brought to now (as if the 40 s had
    # passed) instead of sleeping, and the round closes for everyone, once.
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    member = f"round|{klass.class_id}|{opened['id']}"
    assert r.zadd("rp:deadlines", {member: 0}, xx=True, ch=True) == 1  # it was scheduled
    closed = teacher2.wait_for("round.updated", lambda d: d["round"]["status"] == "closed")
    assert closed["round"]["id"] == opened["id"] and closed["round"]["closed_at"] is not None
    student_back.wait_for("round.updated", lambda d: d["round"]["status"] == "closed")
    probe = clients(server.url, {"token": klass.teacher_secret}).wait_for("snapshot")
    assert probe["round"]["status"] == "closed"
    assert r.zscore("rp:deadlines", member) is None
    closes = [e for e in teacher2.received("round.updated") if e["round"]["status"] == "closed"]
    assert len(closes) == 1
    assert teacher2.call("round.close", {})["ok"] is False


def test_deadline_fires_exactly_once_with_two_processes(make_server, redis_url, clients) -> None:
    first = make_server(REDIS_URL=redis_url, ASYNC_MODE="gevent")
    second = make_server(REDIS_URL=redis_url, ASYNC_MODE="gevent")
    klass = create_class(first.url)
    teacher = clients(first.url, {"token": klass.teacher_secret})
    watcher = clients(second.url, {"token": klass.join("Eve")["seat_token"]})
    start_open_round(teacher, timer=30)
    # Bring the deadline to now (as if 30 s had passed) without sleeping in the test.
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    round_id = r.get(f"rp:class:{klass.class_id}:round")
    member = f"round|{klass.class_id}|{round_id}"
    r.zadd("rp:deadlines", {member: 0})
    watcher.wait_for("round.updated", lambda d: d["round"]["status"] == "closed")
    teacher.wait_for("round.updated", lambda d: d["round"]["status"] == "closed")
    # One close, seen once by each socket even though both processes watch the deadline.
    probe = clients(first.url, {"token": klass.teacher_secret})
    probe.wait_for("snapshot")
    closes = [e for e in watcher.received("round.updated") if e["round"]["status"] == "closed"]
    assert len(closes) == 1


def make_jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (2000, 1500), (30, 120, 200))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees when shown
    gps = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)}
    exif[0x8825] = gps
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def upload(klass: ClassInfo, token: str, data: bytes, name: str = "photo.jpg") -> requests.Response:
    return requests.post(f"{klass.base}/api/classes/{klass.class_id}/photos",
                         files={"photo": (name, data, "image/jpeg")},
                         headers={"Authorization": f"Bearer {token}"}, timeout=30)


def fetch_photo(klass: ClassInfo, token: str, photo_id: str) -> requests.Response:
    return requests.get(f"{klass.base}/api/classes/{klass.class_id}/photos/{photo_id}",
                        headers={"Authorization": f"Bearer {token}"}, timeout=10)


def test_photos(live_server, clients) -> None:
    klass = create_class(live_server.url)
    teacher = clients(live_server.url, {"token": klass.teacher_secret})
    ana_seat, ben_seat = klass.join("Ana"), klass.join("Ben")
    ana = clients(live_server.url, {"token": ana_seat["seat_token"]})
    start_open_round(teacher)
    original = make_jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)
    r = upload(klass, ana_seat["seat_token"], original)
    assert r.status_code == 201, r.text
    photo_id = r.json()["photo_id"]
    # Before it is attached, only the uploader sees it.
    assert fetch_photo(klass, ben_seat["seat_token"], photo_id).status_code == 404
    own = fetch_photo(klass, ana_seat["seat_token"], photo_id)
    assert own.status_code == 200 and own.headers["Content-Type"] == "image/jpeg"
    cleaned = Image.open(io.BytesIO(own.content))
    assert not cleaned.getexif()
    assert "exif" not in cleaned.info and "icc_profile" not in cleaned.info
    assert b"Exif" not in own.content[:4096]
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
    assert text.status_code == 400 and "not a photo" in text.json()["error"]["message"]
    big = io.BytesIO()
    Image.new("1", (20000, 20000)).save(big, format="PNG")
    bomb = upload(klass, ben_seat["seat_token"], big.getvalue(), "big.png")
    assert bomb.status_code == 400 and "too large" in bomb.json()["error"]["message"]
    assert upload(klass, klass.teacher_secret, original).status_code == 403
    huge = upload(klass, ben_seat["seat_token"], b"\xff\xd8" + b"0" * (7 * 1024 * 1024))
    assert huge.status_code == 413


def test_round_export(live_server, clients) -> None:
    klass = create_class(live_server.url)
    teacher = clients(live_server.url, {"token": klass.teacher_secret})
    ana = clients(live_server.url, {"token": klass.join("Ana")["seat_token"]})
    round_ = start_open_round(teacher)
    posted = ok(ana.call("card.submit", card("ana-export-1", "=HYPERLINK(\"x\")", "teacher")))
    ok(teacher.call("reply.send", {"card_id": posted["card"]["id"], "text": "Thank you!"}))
    ben = clients(live_server.url, {"token": klass.join("Ben")["seat_token"]})
    ok(ben.call("card.submit", card("ben-export-1", "-3 degrees today", "teacher")))
    url = f"{live_server.url}/api/classes/{klass.class_id}/rounds/{round_['id']}/export"
    auth = {"Authorization": f"Bearer {klass.teacher_secret}"}
    exported = requests.get(url, headers=auth, timeout=10).json()
    assert [c["text"] for c in exported["cards"]] == ["=HYPERLINK(\"x\")", "-3 degrees today"]
    assert exported["cards"][0]["replies"][0]["text"] == "Thank you!"
    raw = requests.get(url, params={"format": "csv", "tz": "Europe/Paris"}, headers=auth,
                       timeout=10).content
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: spreadsheets read it as UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["text"] for r in rows] == ["'=HYPERLINK(\"x\")", "'-3 degrees today"]
    # Empty cells stay empty (no lone apostrophe); times are ISO 8601 with the zone's offset.
    assert [r["replies"] for r in rows] == ["teacher: Thank you!", ""]
    assert all(v != "'" for r in rows for v in r.values())
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[12]:00", rows[0]["created_at"])
    cohost = requests.get(url, headers={"Authorization": f"Bearer {klass.cohost_secret}"},
                          timeout=10)
    assert cohost.status_code == 403


def test_retried_card_with_photo_returns_the_stored_card(live_server, clients) -> None:
    klass = create_class(live_server.url)
    teacher = clients(live_server.url, {"token": klass.teacher_secret})
    seat = klass.join("Ana")
    ana = clients(live_server.url, {"token": seat["seat_token"]})
    start_open_round(teacher)
    photo = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 10, 10)).save(photo, format="PNG")
    photo_id = upload(klass, seat["seat_token"], photo.getvalue(), "red.png").json()["photo_id"]
    payload = card("retry-photo-01", "With a photo", photo_id=photo_id)
    first, second = ok(ana.call("card.submit", payload)), ok(ana.call("card.submit", payload))
    assert first["card"]["id"] == second["card"]["id"] and second["duplicate"] is True
    assert second["card"]["photo_id"] == photo_id
