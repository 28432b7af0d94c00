"""Check-ins, the connection record, notes and exports, in process (the clock is the test's)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from tests.conftest import card, ok, start_open_round
from tests.inprocess import InProcessApp

NOTE = "secret-note-Ana-struggles-5b1"
PRIVATE = "private-card-a8e0"
REPLY = "private-reply-42c"


def roster_csv(names: list[str], ell: set[str]) -> str:
    lines = ["name,email,tags"]
    lines += [f"{n},{n.lower().replace(' ', '.')}@school.example,{'ELL' if n in ell else ''}"
              for n in names]
    return "\n".join(lines) + "\n"


def test_checkins_record_and_cohost_sees_nothing_private(rapport: InProcessApp) -> None:
    klass = rapport.create_class()
    names = [f"Pupil {i}" for i in range(8)]
    auth = {"Authorization": f"Bearer {klass.teacher_secret}", "Content-Type": "text/csv"}
    r = rapport.web.post(f"/api/classes/{klass.class_id}/roster",
                      data=roster_csv(names, {"Pupil 0", "Pupil 1"}), headers=auth)
    assert r.status_code == 200
    seats = [klass.join(n) for n in names]
    teacher = rapport.connect({"token": klass.teacher_secret})
    cohost = rapport.connect({"token": klass.cohost_secret})
    author = rapport.connect({"token": seats[2]["seat_token"]})
    start_open_round(teacher)
    posted = ok(author.call("card.submit", card("private-0001", PRIVATE, "teacher")))["card"]
    ok(teacher.call("reply.send", {"card_id": posted["id"], "text": REPLY}))

    # Capacity and a fair plan: 8 students, 2 slots a week, 2 weeks -> not everyone.
    short = ok(teacher.call("checkins.plan", {"slots_per_week": 2, "weeks": 2}))["checkins"]
    assert short["capacity"]["everyone_seen"] is False
    assert short["capacity"]["weeks_to_see_everyone"] == 4
    # 5 slots a week for 2 weeks: everyone once, ELL students (weight 2) twice.
    plan = ok(teacher.call("checkins.plan", {"slots_per_week": 5, "weeks": 2}))["checkins"]
    assert plan["capacity"]["everyone_seen"] is True
    meetings = plan["meetings"]
    ell = {seats[0]["student_id"], seats[1]["student_id"]}
    assert all(meetings[sid] == 2 for sid in ell)
    assert all(meetings[s["student_id"]] == 1 for s in seats if s["student_id"] not in ell)
    first = plan["weeks"][0]["slots"][0]
    after = ok(teacher.call("checkins.mark", {"week": 0, "slot": 0, "student_id":
                                              first["student_id"], "status": "missed"}))
    carried = after["checkins"]["weeks"][0]["slots"]
    assert first["student_id"] in [s["student_id"] for s in carried]
    ok(teacher.call("checkins.mark", {"week": 0, "slot": 1,
                                      "student_id": seats[3]["student_id"], "status": "done"}))
    ics = rapport.web.get(f"/api/classes/{klass.class_id}/checkins.ics", headers=auth)
    assert ics.status_code == 200 and ics.get_data(as_text=True).startswith("BEGIN:VCALENDAR\r\n")
    as_csv = rapport.web.get(f"/api/classes/{klass.class_id}/checkins.csv",
                          headers=auth)
    assert as_csv.status_code == 200 and as_csv.data.startswith("\ufeffweek".encode())
    chosen = rapport.web.get(f"/api/classes/{klass.class_id}/checkins.ics",
                          query_string={"days": "tue,thu", "time": "15:30",
                                  "tz": "America/New_York"}, headers=auth)
    starts = [datetime.strptime(line[8:], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
              for line in chosen.get_data(as_text=True).splitlines() if line.startswith("DTSTART:")]
    local = [s.astimezone(ZoneInfo("America/New_York")) for s in starts]
    assert starts and min(starts) > datetime.fromtimestamp(rapport.clock.wall_seconds, UTC)
    assert {d.weekday() for d in local} <= {1, 3} and local[0].strftime("%H:%M") == "15:30"
    refused = rapport.web.get(f"/api/classes/{klass.class_id}/checkins.ics",
                           query_string={"days": "funday"}, headers=auth)
    assert refused.status_code == 400 and "mon, tue" in refused.get_json()["error"]["message"]

    # The record: the reply and the done check-in count as real connections.
    ok(teacher.call("note.set", {"student_id": seats[2]["student_id"], "text": NOTE}))
    record = ok(teacher.call("record.get", {"days": 14}))["record"]
    by_id = {s["student_id"]: s for s in record["students"]}
    assert by_id[seats[2]["student_id"]]["days_since_connection"] == 0
    assert by_id[seats[3]["student_id"]]["days_since_connection"] == 0
    assert seats[4]["student_id"] in record["not_reached"]
    assert {row["tag"] for row in record["coverage"]} >= {"ELL", "untagged"}
    assert record["notes"][seats[2]["student_id"]]["text"] == NOTE
    assert record["reflection_questions"]

    # The co-host: every follow-up event refused, nothing private ever received.
    for event, payload in [("record.get", {}), ("checkins.get", {}),
                           ("checkins.plan", {"slots_per_week": 1, "weeks": 1}),
                           ("note.set", {"student_id": seats[2]["student_id"], "text": "x"}),
                           ("checkins.mark", {"week": 0, "slot": 0, "status": "done",
                                              "student_id": seats[2]["student_id"]})]:
        assert cohost.call(event, payload)["error"]["code"] == "forbidden", event
    fresh_cohost = rapport.connect({"token": klass.cohost_secret})
    fresh_cohost.first("snapshot")
    ok(fresh_cohost.call("snapshot.get", {}))
    for c in (cohost, fresh_cohost):
        blob = c.blob()
        assert PRIVATE not in blob and REPLY not in blob and NOTE not in blob
    cohost_auth = {"Authorization": f"Bearer {klass.cohost_secret}"}
    for path in ("checkins.csv", "checkins.ics"):
        r = rapport.web.get(f"/api/classes/{klass.class_id}/{path}",
                         headers=cohost_auth)
        assert r.status_code == 403


def test_rotation_exports(rapport: InProcessApp) -> None:
    klass = rapport.create_class()
    names = ["Ana", "Ben", "Cy", "Di"]
    auth = {"Authorization": f"Bearer {klass.teacher_secret}"}
    seats = [klass.join(n) for n in names]
    kids = [rapport.connect({"token": s["seat_token"]}) for s in seats]
    for k in kids:
        k.first("snapshot")
    cohost = rapport.connect({"token": klass.cohost_secret})
    cohost.first("snapshot", lambda d: sum(s["online"] for s in d["students"]) == 4)
    ok(cohost.call("rotation.plan", {"size": 2, "rotations": 3, "minutes": 5}))
    cohost.first("rotation.updated")
    base = f"/api/classes/{klass.class_id}/rotations/1/export"
    zoom = rapport.web.get(base, query_string={"format": "zoom"}, headers=auth)
    assert zoom.status_code == 400 and "e-mail" in zoom.get_json()["error"]["message"]
    # Di joined late and has no e-mail: the others are pre-assigned, Di is listed for by hand.
    rapport.web.post(f"/api/classes/{klass.class_id}/roster", data=roster_csv(names[:3], set()),
                     headers={**auth, "Content-Type": "text/csv"})
    zoom = rapport.web.get(base, query_string={"format": "zoom"}, headers=auth)
    assert zoom.status_code == 200 and zoom.data.startswith("\ufeff".encode())
    lines = zoom.data.decode("utf-8-sig").splitlines()
    assert lines[0] == "Pre-assign Room Name,Email Address" and len(lines) == 4
    assert "di@school.example" not in zoom.get_data(as_text=True)
    by_hand = rapport.web.get(base, query_string={"format": "zoom-by-hand"},
                              headers=auth).get_json()
    assert [e["student"] for e in by_hand["by_hand"]] == ["Di"]
    assert by_hand["by_hand"][0]["room"] in ("Room 1", "Room 2") and by_hand["with_email"] == 3
    plain = rapport.web.get(base, headers=auth).data.decode("utf-8-sig")
    assert plain.splitlines()[0] == "rotation,room,student" and len(plain.splitlines()) == 5
    page = rapport.web.get(base, query_string={"format": "html", "tz": "Europe/Paris"},
                           headers=auth).get_data(as_text=True)
    assert "Rotation 1 of 3" in page and "Ana" in page
    assert "Period 3 Biology" in page and "minute 0 to 5 after the rotations start" in page
    ok(cohost.call("rotation.start", {}))
    running = rapport.web.get(base.replace("/1/", "/2/"), query_string={"format": "html"},
                              headers=auth).get_data(as_text=True)
    assert re.search(r"\d\d:\d\d to \d\d:\d\d \(5 minutes\)", running)
    assert "00:05 to 00:10 (5 minutes)" in running  # the clock's 00:00 UTC, plus rotation 1
    mars = rapport.web.get(base, query_string={"format": "html", "tz": "Mars/Olympus"},
                           headers=auth)
    assert mars.get_json()["error"]["message"] == "The time zone “Mars/Olympus” is not known."
    student = rapport.web.get(base, headers=klass.auth(seats[0]["seat_token"]))
    assert student.status_code == 403


def test_room_starters_use_only_class_visible_cards(rapport: InProcessApp) -> None:
    klass = rapport.create_class()
    teacher = rapport.connect({"token": klass.teacher_secret})
    seats = [klass.join(n) for n in ("Ana", "Ben")]
    kids = [rapport.connect({"token": s["seat_token"]}) for s in seats]
    start_open_round(teacher)
    ok(kids[0].call("card.submit", card("ana-card-001", "I play basketball every weekend")))
    ok(kids[1].call("card.submit", card("ben-card-001", "Basketball and chess, secretlyknitting",
                                        "teacher")))
    teacher.first("answered", lambda d: d["count"] == 2)
    ok(teacher.call("rotation.plan", {"size": 2, "rotations": 1, "minutes": 5}))
    starters = teacher.first("rotation.updated")["rotation"]["starters"]
    # Ben's card is private: no shared topic, so the starter is a library prompt.
    assert starters[0][0]["kind"] == "prompt"
    assert "secretlyknitting" not in repr(starters)


def test_shared_topic_starter(rapport: InProcessApp) -> None:
    klass = rapport.create_class()
    teacher = rapport.connect({"token": klass.teacher_secret})
    seats = [klass.join(n) for n in ("Ana", "Ben")]
    kids = [rapport.connect({"token": s["seat_token"]}) for s in seats]
    start_open_round(teacher)
    ok(kids[0].call("card.submit", card("ana-card-002", "I play basketball every weekend")))
    ok(kids[1].call("card.submit", card("ben-card-002", "Basketball with my cousins")))
    teacher.first("answered", lambda d: d["count"] == 2)
    ok(teacher.call("rotation.plan", {"size": 2, "rotations": 1, "minutes": 5}))
    starter: dict[str, Any] = teacher.first("rotation.updated")["rotation"]["starters"][0][0]
    assert starter["kind"] == "shared" and starter["topic"] == "basketball"


def test_capped_rooms_over_the_protocol(rapport: InProcessApp) -> None:
    """rotation.plan with max_size: the staff view says who sits out; the plain list and the
    printed page name them under the main room, the Zoom file leaves them out."""
    klass = rapport.create_class()
    names = ["Ana", "Ben", "Cy", "Di", "Ed"]
    auth = {"Authorization": f"Bearer {klass.teacher_secret}"}
    seats = [klass.join(n) for n in names]
    kids = [rapport.connect({"token": s["seat_token"]}) for s in seats]
    for k in kids:
        k.first("snapshot")
    teacher = rapport.connect({"token": klass.teacher_secret})
    teacher.first("snapshot", lambda d: sum(s["online"] for s in d["students"]) == 5)
    refused = teacher.call("rotation.plan", {"size": 2, "max_size": 2, "rotations": 2,
                                             "minutes": 5})
    assert refused["error"]["code"] == "invalid"
    ok(teacher.call("rotation.plan", {"rooms": 2, "max_size": 2, "rotations": 5,
                                      "minutes": 5}))
    view = teacher.first("rotation.updated")["rotation"]
    out = [[m["name"] for m in row] for row in view["sitting_out"]]
    assert [len(row) for row in out] == [1] * 5
    assert sorted(name for row in out for name in row) == sorted(names)  # each once
    assert view["stats"]["sit_outs_min"] == view["stats"]["sit_outs_max"] == 1
    assert all(sum(map(len, rooms)) == 4 for rooms in view["rotations"])
    base = f"/api/classes/{klass.class_id}/rotations/1/export"
    plain = rapport.web.get(base, headers=auth).data.decode("utf-8-sig").splitlines()
    assert plain[-1] == f"1,Main room (sitting out),{out[0][0]}" and len(plain) == 6
    page = rapport.web.get(base, query_string={"format": "html"},
                           headers=auth).get_data(as_text=True)
    assert "Main room (sitting out)" in page
    rapport.web.post(f"/api/classes/{klass.class_id}/roster", data=roster_csv(names, set()),
                     headers={**auth, "Content-Type": "text/csv"})
    zoom = rapport.web.get(base, query_string={"format": "zoom"}, headers=auth)
    assert len(zoom.data.decode("utf-8-sig").splitlines()) == 5  # header + the 4 in rooms
