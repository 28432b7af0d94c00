"""Breakout rotations in process, with 28 student sockets and a co-host; the rotation timer
fires when the test moves the clock past it and ticks the scheduler."""

from __future__ import annotations

from itertools import combinations
from typing import Any

from server.planner import PlanRequest, plan
from tests.conftest import card, start_open_round
from tests.inprocess import InProcessApp


def ok(ack: dict[str, Any]) -> dict[str, Any]:
    assert ack["ok"] is True, ack
    return ack


def pairs_of(rotations: list[list[list[str]]]) -> set[frozenset[str]]:
    return {frozenset(p) for rooms in rotations for room in rooms for p in combinations(room, 2)}


def ids(rotation_view: dict[str, Any]) -> list[list[list[str]]]:
    return [[[s["id"] for s in room] for room in rot] for rot in rotation_view["rotations"]]


def staff_plans(events: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    """Every state of the plan a staff page holds, in order: a whole plan (snapshot or
    `rotation.updated`), then each `rotation.changed` and `rotation.message` applied to it as
    web/js/rotation-host.js does. Each change must be made from the plan and revision held
    (the changes here are sequential)."""
    states: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for name, data in events:
        if name in ("snapshot", "rotation.updated"):
            current = data["rotation"]
        elif name == "rotation.changed":
            assert current is not None and (current["id"], current["rev"]) == (
                data["id"], data["base"]), (current and current["rev"], data)
            current = {**current, **data["set"], "rev": data["rev"],
                       "server_time": data["server_time"],
                       "rotations": list(current["rotations"]),
                       "starters": list(current["starters"])}
            for index, rooms in data["rotations"].items():
                current["rotations"][int(index)] = rooms
            for index, row in data["starters"].items():
                current["starters"][int(index)] = row
        elif name == "rotation.message" and current is not None:
            current = {**current, "message": data["message"]}  # not a revision
        else:
            continue
        if current is not None:
            states.append(current)
    return states


def wait_plan(staff: Any, predicate: Any = lambda _: True) -> dict[str, Any]:
    """The first plan state of a staff client that satisfies `predicate` (waits for it)."""
    return staff.wait_until(lambda events: next(
        (p for p in staff_plans(events) if predicate(p)), None))


def test_rotation_with_dropout_timer_and_history(rapport: InProcessApp) -> None:
    klass = rapport.create_class()
    cohost = rapport.connect({"token": klass.cohost_secret})
    seats = [klass.join(f"Kid {i:02d}") for i in range(28)]
    students = {s["student_id"]: rapport.connect({"token": s["seat_token"]})
                for s in seats}
    for s in students.values():
        s.first("snapshot")
    cohost.first("presence", lambda d: d["student_id"] == seats[-1]["student_id"])
    first, second = seats[0]["student_id"], seats[1]["student_id"]
    ok(cohost.call("rotation.plan", {"size": 4, "rotations": 4, "minutes": 5,
                                     "apart": [[first, second]]}))
    draft = wait_plan(cohost)
    assert draft["status"] == "draft" and draft["stats"]["violations"] == 0
    assert draft["stats"]["repeats"] == draft["stats"]["lower_bound"] == 0
    plan_ids = ids(draft)
    assert all(len(room) == 4 for room in plan_ids[0])
    # A hand move changes the stats at once (two rooms of 3 and 5 break the size rule).
    moved = ok(cohost.call("rotation.move", {"rotation": 1, "student_id": plan_ids[1][0][0],
                                             "room": 1}))
    assert moved["stats"]["violations"] > 0
    # Staff get the move as a change: the one rotation whose rooms changed, not the plan.
    change = cohost.first("rotation.changed")
    assert set(change["rotations"]) == {"1"} and change["set"]["stats"] == moved["stats"]
    assert [len(room) for room in change["rotations"]["1"]][:2] == [3, 5]
    ok(cohost.call("rotation.move", {"rotation": 1, "student_id": plan_ids[1][0][0],
                                     "room": 0}))
    ok(cohost.call("rotation.start", {}))
    running = wait_plan(cohost, lambda p: p["status"] == "running")
    plan_ids = ids(running)
    # Students heard of the draft once; the moves told them nothing new, so nothing.
    for student in students.values():
        assert [d["rotation"]["status"] for d in student.received("rotation.updated")] == [
            "draft", "running"]

    def check_assignments(number: int, present: dict[str, Any]) -> None:
        rooms = plan_ids[number]
        for sid, client in present.items():
            view = client.first(
                "rotation.updated",
                lambda d: d["rotation"].get("current") == number)["rotation"]
            room = next(r for r in rooms if sid in r)
            assert view["room"] == rooms.index(room) + 1
            names = {s["student_id"]: s["name"] for s in seats}
            assert sorted(view["roommates"]) == sorted(names[x] for x in room if x != sid)
            assert view["deadline"] > view["server_time"]
            assert view["starter"]
            assert "rotations" not in view  # a student never gets the whole plan

    check_assignments(0, students)
    ok(cohost.call("rotation.message", {"text": "Two minutes left!"}))
    for client in students.values():
        client.first("rotation.message", lambda d: d["message"]["text"] == "Two minutes left!")
    ok(cohost.call("rotation.skip", {}))
    check_assignments(1, students)
    # A student drops out during rotation 2: rotations 3 and 4 are re-planned without them.
    leaver = seats[5]["student_id"]
    students.pop(leaver).close()
    replanned = wait_plan(cohost, lambda p: leaver in p["left"])
    new_ids = ids(replanned)
    assert new_ids[:2] == plan_ids[:2]  # the rotations that ran are kept as they were
    assert all(leaver not in room for rot in new_ids[2:] for room in rot)
    assert replanned["stats"]["violations"] == 0
    assert all(not {first, second} <= set(room) for rot in new_ids for room in rot)
    plan_ids = new_ids
    # The server's timer ends rotation 2 when its five minutes are up, not before.
    deadline = replanned["deadline"]
    rapport.tick((deadline - rapport.clock.wall_seconds * 1000) / 1000 - 0.1)
    assert all(c.received("rotation.updated")[-1]["rotation"]["current"] == 1
               for c in students.values())
    rapport.tick(0.1)
    check_assignments(2, students)
    ok(cohost.call("rotation.skip", {}))
    check_assignments(3, students)
    ok(cohost.call("rotation.end", {}))
    cohost.first("rotation.changed", lambda d: d["set"].get("status") == "ended")
    # Staff got every change of the plan as a change, and the changes add up to the plan.
    held = staff_plans(cohost.events)[-1]
    fresh = ok(cohost.call("snapshot.get", {}))["snapshot"]["rotation"]
    assert {**held, "server_time": 0} == {**fresh, "server_time": 0}
    assert len(cohost.received("rotation.updated")) == 1  # the plan, whole, once
    lesson_one = pairs_of(plan_ids)

    # Next lesson: the same class plans again; history steers it away from earlier pairs.
    ok(cohost.call("rotation.plan", {"size": 4, "rotations": 4, "minutes": 5}))
    lesson_two = wait_plan(
        cohost, lambda p: p["status"] == "draft" and p["id"] != replanned["id"])
    with_history = len(pairs_of(ids(lesson_two)) & lesson_one)
    present = [s["student_id"] for s in seats if s["student_id"] != leaver]
    without = plan(PlanRequest(students=present, size=4, rotations=4, seed=0, time_limit=1.0))
    without_history = len(pairs_of(without.rotations) & lesson_one)
    assert with_history < without_history


def test_rotation_events_are_staff_only(rapport: InProcessApp) -> None:
    klass = rapport.create_class()
    student = rapport.connect({"token": klass.join("Ana")["seat_token"]})
    for event, payload in [("rotation.plan", {"size": 2, "rotations": 1, "minutes": 1}),
                           ("rotation.start", {}), ("rotation.message", {"text": "hi"})]:
        assert student.call(event, payload)["error"]["code"] == "forbidden"


def test_impossible_constraints_name_the_conflict(rapport: InProcessApp) -> None:
    klass = rapport.create_class()
    teacher = rapport.connect({"token": klass.teacher_secret})
    seats = [klass.join(n) for n in ("Ana", "Ben", "Cy", "Di")]
    kids = [rapport.connect({"token": s["seat_token"]}) for s in seats]
    for k in kids:
        k.first("snapshot")
    teacher.first("presence", lambda d: d["student_id"] == seats[-1]["student_id"])
    a, b, c = (s["student_id"] for s in seats[:3])
    ack = teacher.call("rotation.plan", {"size": 2, "rotations": 2, "minutes": 5,
                                         "together": [[a, b, c]]})
    assert ack["ok"] is False and ack["error"]["code"] == "invalid"
    assert "cannot all hold" in ack["error"]["message"]


def test_checkin_room_takes_the_students_most_due(rapport: InProcessApp) -> None:
    klass = rapport.create_class()
    teacher = rapport.connect({"token": klass.teacher_secret})
    seats = [klass.join(f"Pupil {i}") for i in range(9)]
    kids = {s["student_id"]: rapport.connect({"token": s["seat_token"]})
            for s in seats}
    for k in kids.values():
        k.first("snapshot")
    teacher.first("presence", lambda d: d["student_id"] == seats[-1]["student_id"])
    # Pupil 0 had a real conversation (a private exchange): least due of all.
    start_open_round(teacher)
    posted = ok(kids[seats[0]["student_id"]].call(
        "card.submit", card("pupil0-card-1", "Hello", "teacher")))["card"]
    ok(teacher.call("reply.send", {"card_id": posted["id"], "text": "Lovely!"}))
    ok(teacher.call("rotation.plan", {"size": 4, "rotations": 3, "minutes": 5,
                                      "checkin_room": 2}))
    plan = wait_plan(teacher)
    rotations = ids(plan)
    teacher_rooms = [rot[0] for rot in rotations]
    assert all(len(room) == 2 for room in teacher_rooms)
    seen = [s for room in teacher_rooms for s in room]
    assert len(set(seen)) == 6  # a different two each rotation
    assert seats[0]["student_id"] not in seen  # the one already reached waits
    for rot in rotations:
        placed = sorted(s for room in rot for s in room)
        assert placed == sorted(kids)  # every rotation still places everyone once
    assert plan["stats"]["violations"] == 0 and plan["stats"]["lower_bound"] is None
    ok(teacher.call("rotation.start", {}))
    first = teacher_rooms[0][0]
    view = kids[first].first("rotation.updated",
                                lambda d: d["rotation"].get("status") == "running")["rotation"]
    assert view["room"] == 1 and view["with_teacher"] is True
