"""The fair check-in planner: capacity honesty, weighted fairness, carry-forward, exports."""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import random
from collections import Counter
from datetime import UTC, date, datetime, time
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from server.domain.checkins import (
    REASON_CARRIED,
    REASON_NOT_SEEN,
    CheckinStudent,
    PastMeeting,
    capacity_check,
    ical_escape,
    ical_fold,
    plan_checkins,
    plan_to_csv,
    plan_to_ical,
)
from server.domain.errors import InvalidInput
from server.domain.followup import CalendarChoice

STAMP = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def roster(count: int, ell: int = 0) -> list[CheckinStudent]:
    """`count` students; the first `ell` are tagged ELL."""
    return [CheckinStudent(f"s{i:03d}", f"Student {i}", ("ELL",) if i < ell else ())
            for i in range(count)]


def assert_guarantee(plan) -> None:
    """s_i + p_i/w_i <= s_j + p_j/w_j + 1/w_i for every i with p_i >= 1 (module docstring)."""
    start = plan.start_virtual_time
    weights = {sid: _w(plan, sid) for sid in plan.meetings}
    finish = {sid: start[sid] + plan.meetings[sid] / weights[sid] for sid in plan.meetings}
    lowest = min(finish.values(), default=0)
    for sid, meetings in plan.meetings.items():
        if meetings:
            assert finish[sid] <= lowest + 1 / weights[sid], sid


def _w(plan, student_id: str) -> Fraction:
    return Fraction(str(plan.weights[student_id]))


# ---- capacity --------------------------------------------------------------------------------

def test_capacity_140_students_6_slots_5_weeks_is_honest() -> None:
    capacity = capacity_check(roster(140, ell=20), slots_per_week=6, horizon_weeks=5)
    assert capacity.total_slots == 30
    assert capacity.meetings_needed == 140
    assert capacity.everyone_seen is False
    assert capacity.weeks_to_see_everyone == 24
    assert capacity.slots_needed_per_week == 28
    assert capacity.message.startswith(
        "With 6 slots a week, seeing all 140 students once takes 24 weeks; "
        "your horizon is 5 weeks.")
    assert "10-minute" in capacity.message and "1 hour" in capacity.message


def test_capacity_fair_share_per_weight_class() -> None:
    capacity = capacity_check(roster(140, ell=20), slots_per_week=32, horizon_weeks=5)
    assert capacity.everyone_seen is True
    assert capacity.weeks_to_see_everyone == 5
    shares = {share.weight: share for share in capacity.fair_share}
    assert shares[2.0].students == 20 and shares[2.0].meetings_per_student == 2.0
    assert shares[2.0].tags == ("ELL",)
    assert shares[1.0].students == 120 and shares[1.0].meetings_per_student == 1.0
    assert "Everyone can be seen" in capacity.message


def test_capacity_zero_slots_and_empty_roster() -> None:
    capacity = capacity_check(roster(10), slots_per_week=0, horizon_weeks=4)
    assert capacity.weeks_to_see_everyone is None
    assert capacity.everyone_seen is False
    assert "no check-in slots" in capacity.message
    empty = capacity_check([], slots_per_week=3, horizon_weeks=4)
    assert empty.everyone_seen is True and empty.weeks_to_see_everyone == 0


@pytest.mark.parametrize("kwargs", [
    {"slots_per_week": -1}, {"slots_per_week": 201}, {"slots_per_week": 2.5},
    {"horizon_weeks": 0}, {"horizon_weeks": 53}, {"meeting_minutes": 4},
    {"meeting_minutes": 61}, {"tag_weights": {"ELL": 0}}, {"tag_weights": {"ELL": True}},
])
def test_bad_inputs_are_refused(kwargs: dict) -> None:
    arguments = {"slots_per_week": 6, "horizon_weeks": 5, "meeting_minutes": 10} | kwargs
    with pytest.raises(InvalidInput):
        plan_checkins(roster(5), **arguments)


def test_duplicate_ids_and_bad_history_are_refused() -> None:
    with pytest.raises(InvalidInput):
        plan_checkins([CheckinStudent("a"), CheckinStudent("a")], 2, 2)
    with pytest.raises(InvalidInput):
        plan_checkins(roster(3), 2, 2, history=[{"student_id": "s000", "week": -1,
                                                  "status": "late"}], current_week=0)


# ---- the plan --------------------------------------------------------------------------------

def test_32_slots_5_weeks_everyone_seen_and_ell_twice_as_often() -> None:
    plan = plan_checkins(roster(140, ell=20), slots_per_week=32, horizon_weeks=5)
    assert [len(week) for week in plan.schedule()] == [32] * 5
    assert plan.unseen() == []
    ell = [plan.meetings[f"s{i:03d}"] for i in range(20)]
    others = [plan.meetings[f"s{i:03d}"] for i in range(20, 140)]
    assert set(ell) == {2} and set(others) == {1}
    assert_guarantee(plan)


def test_everyone_seen_once_before_anyone_twice() -> None:
    plan = plan_checkins(roster(140, ell=20), slots_per_week=32, horizon_weeks=5)
    first_140 = [slot.student_id for slot in plan.slots()[:140]]
    assert len(set(first_140)) == 140
    assert all(REASON_NOT_SEEN in slot.reasons for slot in plan.slots()[:140])
    # Vulnerable students are seen first among the never-seen.
    assert {slot.student_id for slot in plan.slots()[:20]} == {f"s{i:03d}" for i in range(20)}
    assert plan.slots()[0].why == "not seen yet; ELL: weighted 2x"


def test_scarce_capacity_sees_new_students_and_prioritises_weighted() -> None:
    plan = plan_checkins(roster(140, ell=20), slots_per_week=6, horizon_weeks=5)
    assert sum(plan.meetings.values()) == 30
    assert max(plan.meetings.values()) == 1
    assert len(plan.unseen()) == 110


def test_more_slots_than_students_is_proportional() -> None:
    students = [CheckinStudent("a", "A", ("ELL",)), CheckinStudent("b", "B"),
                CheckinStudent("c", "C"), CheckinStudent("d", "D", ("priority",))]
    plan = plan_checkins(students, slots_per_week=12, horizon_weeks=4)  # 48 slots, weight 6
    assert plan.meetings == {"a": 16, "b": 8, "c": 8, "d": 16}
    assert_guarantee(plan)
    # Spread out: a weight-1 student is never seen twice in a row.
    order = [slot.student_id for slot in plan.slots()]
    assert all(x != y for x, y in itertools.pairwise(order) if x in "bc")


def test_multiple_tags_take_the_largest_weight() -> None:
    students = [CheckinStudent("x", "X", ("ELL", "priority")), CheckinStudent("y", "Y"),
                CheckinStudent("z", "Z", ("new",))]
    plan = plan_checkins(students, slots_per_week=8, horizon_weeks=3,
                         tag_weights={"ELL": 2, "priority": 3, "new": 1.5})
    assert plan.weights == {"x": 3.0, "y": 1.0, "z": 1.5}
    # 24 slots over total weight 5.5: x ~13.1, y ~4.4, z ~6.5.
    assert plan.meetings == {"x": 13, "y": 4, "z": 7}
    assert_guarantee(plan)
    reasons = {slot.student_id: slot.why for slot in plan.slots()}
    assert "priority: weighted 3x" in reasons["x"]
    assert "new: weighted 1.5x" in reasons["z"]


def test_tag_matching_ignores_case() -> None:
    plan = plan_checkins([CheckinStudent("a", "A", ("ell",)), CheckinStudent("b", "B")], 3, 1)
    assert plan.weights == {"a": 2.0, "b": 1.0}


def test_zero_slots_gives_empty_weeks() -> None:
    plan = plan_checkins(roster(10), slots_per_week=0, horizon_weeks=3)
    assert plan.schedule() == [[], [], []]
    assert plan.capacity.weeks_to_see_everyone is None
    assert len(plan.unseen()) == 10


def test_no_students_gives_empty_weeks() -> None:
    plan = plan_checkins([], slots_per_week=4, horizon_weeks=2)
    assert plan.schedule() == [[], []]


def test_missed_meeting_is_carried_forward_to_the_first_slot() -> None:
    students = roster(140, ell=20)
    first = plan_checkins(students, slots_per_week=6, horizon_weeks=1)
    met = first.schedule()[0]
    missed = met[3]
    history = [PastMeeting(sid, 0, "missed" if sid == missed else "done") for sid in met]
    plan = plan_checkins(students, slots_per_week=6, horizon_weeks=2, history=history,
                         current_week=1)
    assert plan.start_week == 1
    assert plan.weeks[0][0].student_id == missed
    assert plan.weeks[0][0].reasons[0] == REASON_CARRIED
    # Those seen last week are not picked again while others wait.
    planned = set(plan.schedule()[0] + plan.schedule()[1])
    assert planned.isdisjoint(set(met) - {missed})


def test_carried_forward_beats_other_weighted_students() -> None:
    # Everyone has been seen once; b missed their second meeting last week.
    students = [CheckinStudent("a", "A"), CheckinStudent("b", "B"), CheckinStudent("c", "C")]
    history = [PastMeeting(s, -3, "done") for s in "abc"] + [PastMeeting("b", -1, "missed")]
    plan = plan_checkins(students, slots_per_week=1, horizon_weeks=3, history=history)
    assert plan.schedule() == [["b"], ["a"], ["c"]]
    assert plan.weeks[0][0].why == REASON_CARRIED


def test_done_history_advances_and_late_history_is_ignored() -> None:
    students = [CheckinStudent("a", "A"), CheckinStudent("b", "B"), CheckinStudent("c", "C")]
    history = [PastMeeting("a", 0, "done"), PastMeeting("b", 1, "done"),
               PastMeeting("c", 2, "done"),  # from the current week: ignored
               {"student_id": "gone", "week": 0, "status": "done"}]  # not on the roster
    plan = plan_checkins(students, slots_per_week=1, horizon_weeks=3, history=history,
                         current_week=2)
    assert plan.schedule() == [["c"], ["a"], ["b"]]
    assert plan.weeks[1][0].why == "next in turn — last seen week 0"
    # The same as data, for a page that words it in its language and numbers weeks its way.
    assert plan.to_dict()["weeks"][1]["slots"][0]["because"] == {
        "kind": "in_turn", "last_week": 0, "weighted": [], "weight": None}
    assert plan.weeks[0][0].because is not None and plan.weeks[0][0].because.kind == "not_seen"


def test_late_joiner_does_not_take_a_streak_of_slots() -> None:
    students = [*roster(5), CheckinStudent("late", "Late", ("new",))]
    history = [PastMeeting(f"s{i:03d}", week, "done") for i in range(5) for week in range(-8, 0)]
    plan = plan_checkins(students, slots_per_week=6, horizon_weeks=1, history=history)
    week = plan.schedule()[0]
    assert week[0] == "late"
    # Everyone else is 8 meetings in; the late joiner starts one untagged meeting (two at
    # weight 2) behind them, not eight: two catch-up meetings plus their regular turn.
    assert week == ["late", "late", "late", "s000", "s001", "s002"]
    assert plan.start_virtual_time["late"] == 7
    assert_guarantee(plan)


def test_same_inputs_same_plan_and_seed_only_changes_ties() -> None:
    students = roster(60, ell=10)
    history = [PastMeeting("s005", -1, "missed"), PastMeeting("s030", -2, "done")]
    one = plan_checkins(students, 7, 6, history=history)
    two = plan_checkins(list(students), 7, 6, history=list(history))
    assert one.to_dict() == two.to_dict()
    seeded = [plan_checkins(students, 7, 6, history=history, seed=42) for _ in range(2)]
    assert seeded[0].schedule() == seeded[1].schedule()
    assert seeded[0].schedule() != one.schedule()
    # The seed only reorders ties: how many meetings each weight class gets does not change.
    def per_class(plan) -> Counter:
        return Counter((plan.weights[sid], count) for sid, count in plan.meetings.items())
    assert per_class(seeded[0]) == per_class(one)
    assert seeded[0].weeks[0][0].student_id == "s005"  # the carried-forward student still first


def test_dict_inputs_are_accepted() -> None:
    plan = plan_checkins([{"id": "a", "name": "A", "tags": ["ELL"]}, {"id": "b", "name": "B"}],
                         slots_per_week=3, horizon_weeks=1,
                         history=[{"student_id": "a", "week": -1, "status": "done"}])
    # a (weight 2, seen once) starts at 1/2; b at 0; at a tie the weighted student goes first.
    assert plan.schedule() == [["b", "a", "a"]]


@pytest.mark.parametrize("seed", range(30))
def test_fairness_guarantee_holds_for_random_classes(seed: int) -> None:
    rng = random.Random(seed)
    tags = ["ELL", "new", "priority", "band"]
    students = [CheckinStudent(f"s{i}", f"S{i}", tuple(rng.sample(tags, rng.randint(0, 2))))
                for i in range(rng.randint(1, 40))]
    weights = {"ELL": 2, "new": rng.choice([1.5, 2, 3]), "priority": rng.choice([2, 4])}
    history = [PastMeeting(rng.choice(students).id, rng.randint(-6, -1),
                           rng.choice(["done", "done", "missed"]))
               for _ in range(rng.randint(0, 30))]
    plan = plan_checkins(students, rng.randint(0, 30), rng.randint(1, 8), tag_weights=weights,
                         history=history, seed=rng.choice([None, seed]))
    assert_guarantee(plan)
    fresh = plan_checkins(students, rng.randint(1, 30), rng.randint(1, 8), tag_weights=weights)
    assert_guarantee(fresh)
    # Without history: p_i <= floor(w_i / w_j * p_j) + 1 for every pair.
    for i, p_i in fresh.meetings.items():
        for j, p_j in fresh.meetings.items():
            assert p_i <= math.floor(_w(fresh, i) / _w(fresh, j) * p_j) + 1
    # Nobody gets more than one meeting above their ideal share of the slots.
    total_slots = sum(fresh.meetings.values())
    total_weight = sum(_w(fresh, sid) for sid in fresh.meetings)
    for sid, count in fresh.meetings.items():
        assert count <= total_slots * _w(fresh, sid) / total_weight + 1
    # And nobody gets a second meeting while someone has had none.
    order = [slot.student_id for slot in fresh.slots()]
    first_repeat = next((n for n, sid in enumerate(order) if sid in order[:n]), len(order))
    assert first_repeat >= min(len(students), len(order))


# ---- exports ---------------------------------------------------------------------------------

def small_plan():
    students = [CheckinStudent("a", "Ana", ("ELL",)), CheckinStudent("b", "Ben"),
                CheckinStudent("c", "Chi")]
    return plan_checkins(students, slots_per_week=7, horizon_weeks=2)


def test_csv_has_one_row_per_slot_and_is_formula_safe() -> None:
    plan = small_plan()
    names = {"a": "Ana, \"A\"", "b": "=HYPERLINK(1)"}
    rows = list(csv.reader(io.StringIO(plan_to_csv(plan, names))))
    assert rows[0] == ["week", "slot", "student", "tags", "reason"]
    assert len(rows) == 1 + 14
    assert rows[1][:4] == ["0", "1", "Ana, \"A\"", "ELL"]
    assert rows[1][4] == "not seen yet; ELL: weighted 2x"
    ben = next(row for row in rows[1:] if row[2].endswith("HYPERLINK(1)"))
    assert ben[2] == "'=HYPERLINK(1)"
    assert any(row[2] == "c" for row in rows[1:])  # unknown name falls back to the id


def unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")[:-1]


def test_ical_is_well_formed_rfc5545() -> None:
    plan = small_plan()
    long_name = "Zoë; the \\ great, Ω\nsecond line " + "é" * 60
    text = plan_to_ical(plan, {"a": long_name, "b": "Ben"}, date(2026, 3, 2),
                        minutes=10, dtstamp=STAMP)
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    physical = text.split("\r\n")[:-1]
    assert all(len(line.encode("utf-8")) <= 75 for line in physical)
    assert any(line.startswith(" ") for line in physical)  # something was folded
    lines = unfold(text)
    depth, stack = 0, []
    for line in lines:
        if line.startswith("BEGIN:"):
            stack.append(line[6:])
        elif line.startswith("END:"):
            assert stack.pop() == line[4:]
        depth = max(depth, len(stack))
    assert stack == [] and depth == 2
    assert lines[0] == "BEGIN:VCALENDAR" and "VERSION:2.0" in lines
    assert any(line.startswith("PRODID:") for line in lines)
    assert lines.count("BEGIN:VEVENT") == 14
    summaries = [line for line in lines if line.startswith("SUMMARY:")]
    assert "SUMMARY:Check-in: Zoë\\; the \\\\ great\\, Ω\\nsecond line " + "é" * 60 \
        in summaries
    assert "SUMMARY:Check-in: Ben" in summaries and "SUMMARY:Check-in: c" in summaries
    uids = [line for line in lines if line.startswith("UID:")]
    assert len(set(uids)) == 14 and all(uid.endswith("@rapport") for uid in uids)
    assert "UID:checkin-a-w0-s0@rapport" in uids
    assert all(line == "DTSTAMP:20260101T120000Z" for line in lines if line.startswith("DTSTAMP"))


def test_ical_places_slots_on_weekdays_and_is_stable() -> None:
    plan = small_plan()
    names = {"a": "Ana"}
    # 2026-03-04 is a Wednesday: the week's weekdays are Wed, Thu, Fri, Mon, Tue.
    text = plan_to_ical(plan, names, date(2026, 3, 4), dtstamp=STAMP)
    starts = [line[8:] for line in unfold(text) if line.startswith("DTSTART:")]
    ends = [line[6:] for line in unfold(text) if line.startswith("DTEND:")]
    assert starts[:7] == ["20260304T100000Z", "20260305T100000Z", "20260306T100000Z",
                          "20260309T100000Z", "20260310T100000Z", "20260304T101500Z",
                          "20260305T101500Z"]
    assert ends[0] == "20260304T101000Z"
    assert starts[7] == "20260311T100000Z"  # week two starts seven days later
    for stamp in starts:
        assert datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").weekday() < 5
    assert plan_to_ical(plan, names, date(2026, 3, 4), dtstamp=STAMP) == text


def test_ical_slot_times_and_time_zone() -> None:
    plan = small_plan()
    text = plan_to_ical(plan, {}, date(2026, 3, 2), slot_times=[time(8, 30), time(13, 0)],
                        minutes=20, tz_name="Europe/Paris", dtstamp=STAMP)
    lines = unfold(text)
    starts = [line[8:] for line in lines if line.startswith("DTSTART:")]
    ends = [line[6:] for line in lines if line.startswith("DTEND:")]
    # Paris is UTC+1 in early March; the sixth slot is the second of Monday: 13:00 local.
    assert starts[0] == "20260302T073000Z" and ends[0] == "20260302T075000Z"
    assert starts[5] == "20260302T120000Z"
    with pytest.raises(InvalidInput):
        plan_to_ical(plan, {}, date(2026, 3, 2), tz_name="Mars/Olympus")


def test_ical_helpers() -> None:
    assert ical_escape("a,b;c\\d\ne\r\nf") == "a\\,b\\;c\\\\d\\ne\\nf"
    folded = ical_fold("X" * 200)
    assert [len(part) for part in folded.split("\r\n")] == [75, 75, 52]
    emoji = ical_fold("S:" + "😀" * 40)  # 4-octet characters are never split
    assert all(len(part.encode()) <= 75 for part in emoji.split("\r\n"))
    assert emoji.replace("\r\n ", "") == "S:" + "😀" * 40


def test_plan_to_dict_is_json_ready() -> None:
    data = small_plan().to_dict()
    json.dumps(data)
    assert data["weeks"][0]["slots"][0] == {"slot": 0, "student_id": "a",
                                           "why": "not seen yet; ELL: weighted 2x",
                                           "reasons": ["not seen yet", "ELL: weighted 2x"],
                                           "because": {"kind": "not_seen", "last_week": None,
                                                       "weighted": ["ELL"], "weight": "2"}}
    assert data["meetings"]["a"] == 7  # weight 2 of a total 4, over 14 slots
    assert Counter(data["meetings"].values()) == Counter({7: 1, 4: 1, 3: 1})


def test_ical_chosen_weekdays_and_time_of_day() -> None:
    plan = small_plan()  # 14 slots a week over two weeks
    text = plan_to_ical(plan, {}, date(2026, 3, 3), minutes=10, tz_name="Europe/Paris",
                        dtstamp=STAMP, weekdays=(1, 3), day_start=time(15, 30))
    starts = [datetime.strptime(line[8:], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
              .astimezone(ZoneInfo("Europe/Paris"))
              for line in unfold(text) if line.startswith("DTSTART:")]
    assert {s.weekday() for s in starts} == {1, 3}
    assert starts[0].strftime("%a %H:%M") == "Tue 15:30"
    assert starts[1].strftime("%a %H:%M") == "Thu 15:30"
    assert starts[2].strftime("%a %H:%M") == "Tue 15:45"  # the next slot of that Tuesday


@pytest.mark.parametrize(("now", "expected"), [
    (datetime(2026, 3, 3, 14, 0, tzinfo=UTC), date(2026, 3, 3)),   # Tue, before 15:30 Paris
    (datetime(2026, 3, 3, 15, 0, tzinfo=UTC), date(2026, 3, 5)),   # Tue 16:00 Paris: Thu
    (datetime(2026, 3, 5, 23, 0, tzinfo=UTC), date(2026, 3, 10)),  # Fri in Paris: next Tue
])
def test_calendar_never_starts_in_the_past(now: datetime, expected: date) -> None:
    choice = CalendarChoice.from_query("tue,thu", "15:30", "Europe/Paris")
    assert choice.first_day(int(now.timestamp() * 1000)) == expected
    with pytest.raises(InvalidInput, match="15:30"):
        CalendarChoice.from_query(None, "25:00", None)
    with pytest.raises(InvalidInput, match="not known"):
        CalendarChoice.from_query(None, None, "Nowhere/Land")
