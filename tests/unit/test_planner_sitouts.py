"""Capped rooms (``rooms`` with ``max_size``): the students who do not fit sit out, spread so
that nobody sits out twice before everyone has sat out once; the rooms and constraints keep
their rules; `rapport plan` and live rotations agree (fakeredis, in process)."""

from __future__ import annotations

import json
from collections import Counter
from itertools import combinations

import fakeredis
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.domain import classes, rotations
from server.domain.classes import Identity
from server.domain.errors import InvalidInput
from server.domain.projections import rotation_for_staff
from server.domain.prompts import load_library
from server.planner import PlanError, PlanRequest, evaluate, plan, room_sizes
from server.planner.cli import main
from server.store import RedisStore


def sit_outs_by_rotation(request: PlanRequest, result_rotations: list[list[list[str]]]
                         ) -> list[list[str]]:
    present = [s for s in request.students if s not in request.absent]
    return [[s for s in present if s not in {x for room in rotation for x in room}]
            for rotation in result_rotations]


@st.composite
def capped_requests(draw: st.DrawFn) -> PlanRequest:
    n = draw(st.integers(min_value=2, max_value=26))
    students = [f"s{i}" for i in range(n)]
    rooms = draw(st.integers(min_value=1, max_value=max(1, n // 2)))
    max_size = draw(st.integers(min_value=2, max_value=6))
    together: list[list[str]] = []
    if draw(st.booleans()) and n >= 4 and max_size >= 2:
        together = [draw(st.lists(st.sampled_from(students), min_size=2, max_size=2,
                                  unique=True))]
    grouped = {s for g in together for s in g}
    apart: list[tuple[str, str]] = []
    free = [s for s in students if s not in grouped]
    if rooms >= 2 and len(free) >= 2 and draw(st.booleans()):
        a, b = draw(st.lists(st.sampled_from(free), min_size=2, max_size=2, unique=True))
        apart = [(a, b)]
    return PlanRequest(students=students, rooms=rooms, max_size=max_size,
                       rotations=draw(st.integers(min_value=1, max_value=7)),
                       apart=apart, together=together,
                       seed=draw(st.integers(min_value=0, max_value=3)),
                       time_limit=0.2, max_iterations=200)


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(capped_requests())
def test_capped_rooms_keep_every_rule(request: PlanRequest) -> None:
    try:
        result = plan(request)
    except PlanError as error:
        # only an odd number of sit-outs with every student in a pair group can refuse
        assert "sit out" in str(error) or "keep" in str(error)
        return
    n = len(request.students)
    assert request.rooms is not None and request.max_size is not None
    sizes = room_sizes(n, None, request.rooms, max_size=request.max_size)
    assert n < 2 or min(sizes) >= 2  # never a room of one
    assert max(sizes) <= request.max_size
    out_each = n - sum(sizes)
    assert out_each == max(0, n - request.rooms * request.max_size)
    sat = Counter[str]()
    for rotation, out in zip(result.rotations, sit_outs_by_rotation(request, result.rotations),
                             strict=True):
        assert sorted(map(len, rotation), reverse=True) == sizes
        placed = [s for room in rotation for s in room]
        assert len(placed) == len(set(placed))
        assert len(out) == out_each
        room_of = {s: i for i, room in enumerate(rotation) for s in room}
        for a, b in request.apart:
            assert a not in room_of or room_of.get(a) != room_of.get(b)
        for group in request.together:  # together in a room, or sitting out together
            assert len({room_of.get(s) for s in group}) == 1
        sat.update(out)
        if not request.together:
            # after every rotation: nobody sat out twice before everyone sat out once
            counts = [sat[s] for s in request.students]
            assert max(counts) - min(counts) <= 1
    assert result.stats.violations == 0
    counts = [sat[s] for s in request.students]
    if out_each:
        assert (result.stats.sit_outs_min, result.stats.sit_outs_max) == (min(counts),
                                                                            max(counts))
    meetings = Counter(frozenset(p) for rotation in result.rotations for room in rotation
                       for p in combinations(room, 2))
    assert result.stats.repeats == sum(c - 1 for c in meetings.values())
    assert result.stats.lower_bound <= result.stats.repeats


def test_sit_outs_follow_the_already_run_rotations() -> None:
    students = [f"s{i}" for i in range(10)]
    first = [["s0", "s1", "s2"], ["s3", "s4", "s5"]]  # s6..s9 sat out
    request = PlanRequest(students=students, rooms=2, max_size=3, rotations=3,
                          fixed_rotations=[first], seed=1, time_limit=0.3)
    result = plan(request)
    assert result.rotations[0] == first
    out = sit_outs_by_rotation(request, result.rotations)
    fresh = {f"s{i}" for i in range(6)}  # those who have not sat out yet
    assert set(out[1]) <= fresh
    assert fresh - set(out[1]) <= set(out[2])  # the last two of them next
    assert result.stats.sit_outs_max - result.stats.sit_outs_min <= 1


def test_capped_lower_bound_is_the_aggregate_count() -> None:
    # 6 students, 1 room of 3, 5 rotations: 15 meetings, 15 pairs: no repeat is forced...
    request = PlanRequest(students=list("abcdef"), rooms=1, max_size=3, rotations=5,
                          time_limit=0.5)
    assert evaluate([], request).lower_bound == 0
    # ...but 6 rotations hold 18 meetings of 15 pairs: at least 3 repeats
    request.rotations = 6
    result = plan(request)
    assert result.stats.lower_bound == 3
    assert result.stats.repeats >= 3


@pytest.mark.parametrize(("fields", "needle"), [
    ({"size": 3, "rooms": None, "max_size": 3}, "room count"),
    ({"max_size": 1}, "at least 2"),
])
def test_bad_caps_are_refused(fields: dict[str, object], needle: str) -> None:
    request = PlanRequest(students=list("abcdefg"), rooms=2, rotations=2)
    for key, value in fields.items():
        setattr(request, key, value)
    with pytest.raises(PlanError, match=needle):
        plan(request)


def test_room_sizes_with_a_cap_exhaustive() -> None:
    for count in range(1, 61):
        for rooms in range(1, count + 2):
            for cap in range(2, 9):
                sizes = room_sizes(count, None, rooms, max_size=cap)
                assert count < 2 or min(sizes) >= 2
                assert max(sizes) <= max(cap, -(-count // len(sizes)))
                if sum(sizes) < count:
                    assert sizes == [cap] * rooms
                else:
                    assert sizes == room_sizes(count, None, rooms)


def _store_with(count: int) -> tuple[RedisStore, str]:
    store = RedisStore(fakeredis.FakeRedis(decode_responses=True), default_retention_days=30)
    store.heartbeat()
    made = classes.create_class(store, "Bio", "9-12", retention_days=30)
    for number in range(count):
        student, _seat = classes.join_class(store, made.join_code, f"Kid {number}")
        store.socket_opened(made.class_id, f"sid-{number}", f"hash-{number}", student["id"],
                            address="127.0.0.1", seat_cap=2, address_cap=None)
    return store, made.class_id


def test_live_rotations_and_rapport_plan_sit_the_same_number_out(
    capsys: pytest.CaptureFixture[str],
) -> None:
    store, class_id = _store_with(11)
    record = rotations.build_plan(
        store, load_library(), Identity(class_id, "teacher"), size=None, rooms=3, max_size=3,
        rotations=4, minutes=5, absent=[], apart=[], together=[])
    live = [sorted(map(len, rooms), reverse=True) for rooms in record["rotations"]]
    view = rotation_for_staff(record, {}, 0)
    assert view is not None
    out = [[m["id"] for m in row] for row in view["sitting_out"]]
    assert [len(row) for row in out] == [2, 2, 2, 2]
    assert len({s for row in out for s in row}) == 8  # four rotations, nobody twice
    assert record["stats"]["sit_outs_max"] == 1 and record["stats"]["violations"] == 0
    assert main(["--students", "11", "--rooms", "3", "--max-size", "3", "--rotations", "4",
                 "--time-limit", "0.2", "--format", "json"]) == 0
    output = json.loads(capsys.readouterr().out)
    assert [sorted(map(len, rooms), reverse=True) for rooms in output["rotations"]] == live
    assert [len(row) for row in output["sit_outs"]] == [2, 2, 2, 2]
    with pytest.raises(InvalidInput, match="cannot be combined"):
        rotations.build_plan(
            store, load_library(), Identity(class_id, "teacher"), size=None, rooms=3,
            max_size=3, rotations=2, minutes=5, absent=[], apart=[], together=[],
            checkin_room=2)


def test_no_cap_means_nobody_sits_out() -> None:
    store, class_id = _store_with(7)
    record = rotations.build_plan(
        store, load_library(), Identity(class_id, "teacher"), size=None, rooms=2,
        rotations=2, minutes=5, absent=[], apart=[], together=[])
    view = rotation_for_staff(record, {}, 0)
    assert view is not None and view["sitting_out"] == [[], []]
    assert sum(map(len, record["rotations"][0])) == 7


def test_a_student_who_leaves_is_planned_around_and_the_spread_holds() -> None:
    store, class_id = _store_with(9)
    teacher = Identity(class_id, "teacher")
    record = rotations.build_plan(
        store, load_library(), teacher, size=None, rooms=2, max_size=3, rotations=5,
        minutes=5, absent=[], apart=[], together=[])
    rotations.start_rotation(store, teacher)
    leaver = record["rotations"][1][0][0]  # in a room of rotation 2, which is still to come
    changed = rotations.student_left(store, load_library(), class_id, leaver)
    assert changed is not None
    _before, updated = changed
    assert updated["rotations"][0] == record["rotations"][0]  # the running one stays
    assert all(leaver not in room for rot in updated["rotations"][1:] for room in rot)
    out = rotation_for_staff(updated, {}, 0)
    assert out is not None
    sat = Counter(m["id"] for row in out["sitting_out"] for m in row)
    stayed = [s for s in updated["students"] if s != leaver]
    # 8 students left, 6 seats: 2 sit out each rotation to come (3 of 9 sat out the first,
    # which counts for the spread)
    assert [len(row) for row in out["sitting_out"]][1:] == [2, 2, 2, 2]
    counts = [sat[s] for s in stayed]
    assert max(counts) - min(counts) <= 1
    assert updated["stats"]["violations"] == 0
