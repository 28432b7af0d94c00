"""Data promises, in process (the store is fakeredis): every key expires, activity slides the
expiry, export is complete, deletion is real. On the real Redis: test_live_data.py."""

from __future__ import annotations

import io
import json
from typing import Any

import redis
from PIL import Image

from server.domain.classes import Identity
from server.domain.limits import LIMITS, seat_of
from server.store.keys import RETENTION, spec_of
from server.store.redis_store import SLIDE_EVERY_SECONDS, RedisStore
from tests.conftest import ok, play_full_journey, start_open_round
from tests.inprocess import InProcessApp, Klass
from tests.integration.test_rounds import upload


def class_dump(r: redis.Redis, class_id: str) -> str:
    """Every key and value that mentions the class, as one string to search (pipelined: the
    shared Redis holds every engineer's test data)."""
    keys = list(r.scan_iter(match="rp:*", count=5000))
    pipe = r.pipeline(transaction=False)
    for key in keys:
        pipe.type(key)
    kinds = pipe.execute()
    read = {"string": pipe.get, "hash": pipe.hgetall, "list": lambda k: pipe.lrange(k, 0, -1),
            "set": pipe.smembers, "zset": lambda k: pipe.zrange(k, 0, -1)}
    wanted = [(key, kind) for key, kind in zip(keys, kinds, strict=True) if kind in read]
    for key, kind in wanted:
        read[kind](key)
    parts = []
    for (key, kind), value in zip(wanted, pipe.execute(), strict=True):
        if kind == "set":
            value = sorted(value)
        # JSON keeps apostrophes as they are (repr would escape them and hide a match).
        parts.append(f"{key}={json.dumps(value, ensure_ascii=False)}")
    return "\n".join(p for p in parts if class_id in p)


def full_journey(rapport: InProcessApp) -> tuple[Klass, list[dict[str, Any]], dict[str, Any]]:
    klass = rapport.create_class()
    r = rapport.web.post(f"/api/classes/{klass.class_id}/roster",
                         data="name,email,tags\nAna,ana@school.example,ELL\n",
                         headers={**klass.auth(klass.teacher_secret), "Content-Type": "text/csv"})
    assert r.status_code == 200, r.get_data(as_text=True)
    seats = [klass.join(n) for n in ("Ana", "Ben", "Cy", "Di")]
    teacher = rapport.teacher(klass)
    kids = [rapport.student(s) for s in seats]
    start_open_round(teacher)
    png = io.BytesIO()
    Image.new("RGB", (40, 30), (0, 90, 0)).save(png, format="PNG")
    photo_id = upload(klass, seats[0]["seat_token"], png.getvalue(),
                      "g.png").get_json()["photo_id"]
    made = play_full_journey(teacher, kids, seats, photo_id)
    # Reaction counts are sent: each card's marker of when (kept a few seconds) is there.
    rapport.tick()
    return klass, seats, made


def test_every_key_has_a_ttl_after_a_full_journey(rapport: InProcessApp) -> None:
    klass, _seats, _made = full_journey(rapport)
    r = rapport.redis
    keys = list(r.scan_iter(match="rp:*", count=1000))
    assert any(k.startswith(f"rp:class:{klass.class_id}:round:") for k in keys)
    without_ttl = [k for k in keys if r.ttl(k) == -1]
    assert without_ttl == []
    # And they really go: a class idle for longer than its retention leaves nothing behind.
    rapport.clock.advance(181 * 86400)
    assert list(r.scan_iter(match=f"rp:class:{klass.class_id}*")) == []
    assert keys_of_class(r, klass.class_id) == []


def keys_of_class(r: redis.Redis, class_id: str) -> list[str]:
    """Every key named after the class, plus its join code and credentials (found by value)."""
    named = list(r.scan_iter(match="rp:*", count=5000))
    strings = [k for k in named if k.startswith(("rp:code:", "rp:cred:"))]
    values = r.mget(strings) if strings else []
    return [k for k in named if class_id in k] + [
        k for k, v in zip(strings, values, strict=True) if v and class_id in v]


def test_activity_slides_the_expiry_of_every_key_of_the_class(rapport: InProcessApp) -> None:
    """Credentials, join code, seat tokens, old rounds, replies, photos: one day's activity
    pushes every key of the class back to the full retention (an injectable clock, no sleep)."""
    klass, seats, _made = full_journey(rapport)
    r = rapport.redis
    found = keys_of_class(r, klass.class_id)
    specs = {k: spec_of(k) for k in found}
    assert None not in specs.values(), specs  # every key is in the registry
    # Keys the registry keeps for seconds (when counts were last sent) do not slide: exempt
    # by their TTL policy, and the journey made some, so the exemption is exercised.
    keys = [k for k, spec in specs.items() if spec is not None and spec.ttl == RETENTION]
    assert len(keys) < len(found)
    kinds = {k.split(":")[1] for k in keys}
    assert {"class", "code", "cred"} <= kinds
    assert sum(1 for k in keys if k.startswith("rp:cred:")) == 2 + len(seats)
    assert any(":replies:" in k for k in keys) and any(":photo:" in k for k in keys)
    retention = 180 * 86400
    now = [1000.0]
    store = RedisStore(r, default_retention_days=180, clock=lambda: now[0])

    def age_every_key() -> None:  # as if the class had been idle for all but a minute of it
        for key in keys:
            r.expire(key, 60)

    for _day in range(2):
        age_every_key()
        now[0] += SLIDE_EVERY_SECONDS
        store.socket_opened(klass.class_id, "sid-teacher-back", "h", None,  # teacher returns
                            address="127.0.0.1", seat_cap=8, address_cap=None)
        store.socket_closed(klass.class_id, "sid-teacher-back")
        stale = {k: r.ttl(k) for k in keys if r.ttl(k) < retention - 60}
        assert stale == {}, stale
    # Within the hour the slide is not repeated (one script per class per hour, not per event).
    age_every_key()
    store.set_class_fields(klass.class_id, {"name": "Period 3 Biology"})
    assert r.ttl(f"rp:code:{klass.join_code}") <= 60


def test_export_is_complete(rapport: InProcessApp) -> None:
    klass, seats, made = full_journey(rapport)
    auth = {"Authorization": f"Bearer {klass.teacher_secret}"}
    data = rapport.web.get(f"/api/classes/{klass.class_id}/export",
                        headers=auth).get_json()
    assert data["class"]["name"] == "Period 3 Biology"
    assert {s["id"] for s in data["students"]} == {s["student_id"] for s in seats}
    assert all("seat_hash" not in s for s in data["students"])
    assert [e["name"] for e in data["roster"]] == ["Ana"]
    (round_,) = data["rounds"]
    cards = {c["id"]: c for c in round_["cards"]}
    assert set(cards) == {made[k]["id"] for k in ("ana", "ben", "cy")}
    ana = cards[made["ana"]["id"]]
    assert ana["reactions"] == {"heart": 1} and ana["photo_id"] == made["photo_id"]
    assert [r["text"] for r in ana["replies"]] == ["Love the box!", "Thanks!"]
    assert cards[made["cy"]["id"]]["reactions"] == {"star": 1}
    assert cards[made["ben"]["id"]]["visibility"] == "teacher"
    assert round_["host_card"]["text"].startswith("I collect old maps")
    assert data["about_teacher"][0]["text"].startswith("I collect old maps")
    assert data["rotation"]["status"] == "running" and data["pair_history"]
    assert data["spotlights"][0]["card_id"] == made["ana"]["id"]
    assert data["checkins"]["log"][0]["status"] == "done"
    assert data["notes"][seats[0]["student_id"]]["text"] == "Ana: maps"
    as_csv = rapport.web.get(f"/api/classes/{klass.class_id}/export",
                          query_string={"format": "csv"}, headers=auth).get_data(as_text=True)
    assert "Ana's green box" in as_csv and "teacher: Love the box!" in as_csv
    cohost = rapport.web.get(f"/api/classes/{klass.class_id}/export",
                          headers={"Authorization": f"Bearer {klass.cohost_secret}"})
    assert cohost.status_code == 403


def test_deleting_a_student_removes_all_their_data(rapport: InProcessApp) -> None:
    klass, seats, made = full_journey(rapport)
    ana = seats[0]["student_id"]
    r = rapport.redis
    assert ana in class_dump(r, klass.class_id)
    # This server runs without rate limits; give her seat the buckets a limited one keeps.
    store = RedisStore(r)
    for action in LIMITS:
        store.take_token(action, ana, per_minute=10, burst=10, now_ms=1)
    assert len(list(r.scan_iter(match=f"rp:rate:*:{ana}", count=1000))) == len(LIMITS)
    auth = {"Authorization": f"Bearer {klass.teacher_secret}"}
    resp = rapport.web.delete(f"/api/classes/{klass.class_id}/students/{ana}",
                           headers=auth)
    assert resp.status_code == 204
    dump = class_dump(r, klass.class_id)
    for trace in (ana, made["ana"]["id"], made["photo_id"], "Ana's green box", "Love the box!",
                  "Ana: maps", seats[0]["seat_token"], "ana@school.example", "ELL"):
        assert trace not in dump, trace
    # Roster row and both name indexes (joined name, roster name) are gone with her.
    assert r.hgetall(f"rp:class:{klass.class_id}:roster") == {}
    assert "ana" not in r.hgetall(f"rp:class:{klass.class_id}:names")
    assert r.hgetall(f"rp:class:{klass.class_id}:roster-names") == {}
    # And so are her seat's rate-limit buckets (none left for any action).
    assert list(r.scan_iter(match=f"rp:rate:*:{ana}", count=1000)) == []
    # Others' data is intact, and Ana's reaction to Cy's card is taken back.
    data = rapport.web.get(f"/api/classes/{klass.class_id}/export",
                        headers=auth).get_json()
    cards = {c["id"]: c for c in data["rounds"][0]["cards"]}
    assert set(cards) == {made["ben"]["id"], made["cy"]["id"]}
    assert cards[made["cy"]["id"]]["reactions"] in ({}, {"star": 0})
    assert rapport.connect({"token": seats[1]["seat_token"]}).first("snapshot")


def test_removed_student_data_can_still_be_deleted(rapport: InProcessApp) -> None:
    klass, seats, _made = full_journey(rapport)
    cy = seats[2]["student_id"]
    teacher = rapport.connect({"token": klass.teacher_secret})
    ok(teacher.call("student.remove", {"student_id": cy}))
    r = rapport.redis
    assert "Cy's guitar" in class_dump(r, klass.class_id)
    resp = rapport.web.delete(f"/api/classes/{klass.class_id}/students/{cy}",
                           headers={"Authorization": f"Bearer {klass.teacher_secret}"})
    assert resp.status_code == 204
    assert "Cy's guitar" not in class_dump(r, klass.class_id)


def test_deleting_the_class_leaves_nothing(rapport: InProcessApp) -> None:
    klass, _seats, made = full_journey(rapport)
    r = rapport.redis
    assert class_dump(r, klass.class_id)
    # This server runs without rate limits; give the staff the buckets a limited one keeps,
    # and leave a card's counts waiting to be sent, as a reaction just before would.
    store = RedisStore(r)
    for role in ("teacher", "cohost", "stage"):
        for action in LIMITS:
            store.take_token(action, seat_of(Identity(klass.class_id, role)), per_minute=10,
                             burst=10, now_ms=1)
    r.sadd("rp:reactions-dirty", f"{klass.class_id}|{made['ana']['round_id']}|{made['ana']['id']}")
    named = [k for k in r.scan_iter(match="rp:*", count=5000) if klass.class_id in k]
    assert any(k.startswith("rp:reactions-sent:") for k in named)
    assert any(k.startswith("rp:rate:") for k in named)
    resp = rapport.web.delete(f"/api/classes/{klass.class_id}",
                           headers={"Authorization": f"Bearer {klass.teacher_secret}"})
    assert resp.status_code == 204
    assert class_dump(r, klass.class_id) == ""
    assert [k for k in r.scan_iter(match="rp:*", count=5000) if klass.class_id in k] == []
    assert r.get(f"rp:code:{klass.join_code}") is None


def test_retention_change_applies_to_every_key_at_once(rapport: InProcessApp) -> None:
    klass, _seats, _made = full_journey(rapport)
    teacher = rapport.connect({"token": klass.teacher_secret})
    cohost = rapport.connect({"token": klass.cohost_secret})
    cohost.first("snapshot")
    assert cohost.call("class.retention", {"retention_days": 30})["error"]["code"] == "forbidden"
    assert teacher.call("class.retention", {"retention_days": 0})["error"]["message"] == \
        "The retention period (days) must be at least 1."
    assert ok(teacher.call("class.retention", {"retention_days": 30}))["retention_days"] == 30
    assert cohost.first("class.updated")["class"]["retention_days"] == 30
    r = rapport.redis
    cid = klass.class_id
    found = [k for k in r.scan_iter(match="rp:*", count=1000)
             if cid in k or (r.type(k) == "string" and cid in (r.get(k) or ""))]
    # Keys the registry keeps for seconds, not for the retention, are exempt by that policy.
    mine = [k for k in found if getattr(spec_of(k), "ttl", None) == RETENTION]
    assert len(mine) > 20 and len(mine) < len(found)
    ttls = {k: r.ttl(k) for k in mine}
    assert all(29 * 86400 < t <= 30 * 86400 for t in ttls.values()), ttls
