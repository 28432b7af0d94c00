"""Property and behaviour tests for the breakout-rotation planner."""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys
from collections import Counter
from itertools import combinations
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.planner import (
    LEFTOVER_RULES,
    Plan,
    PlanError,
    PlanRequest,
    PlanStats,
    evaluate,
    plan,
    room_sizes,
)
from server.planner.cli import main

REPO_ROOT = Path(__file__).resolve().parents[2]


# -- an independent statistics counter (deliberately not sharing code with the planner) --


def count_meetings(
    rotations: list[list[list[str]]], history: list[tuple[str, str, int]]
) -> Counter[frozenset[str]]:
    counts: Counter[frozenset[str]] = Counter()
    for a, b, times in history:
        counts[frozenset((a, b))] += times
    for rotation in rotations:
        for room in rotation:
            for a, b in combinations(room, 2):
                counts[frozenset((a, b))] += 1
    return counts


def repeats_of(counts: Counter[frozenset[str]]) -> int:
    return sum(max(0, c - 1) for c in counts.values())


def expected_sizes(
    present: int, size: int | None, rooms: int | None, leftover: str = "smaller"
) -> list[int]:
    """The documented rule, written out independently: even sizes, never a room of one."""
    if size:
        room_count = math.ceil(present / size)
        if leftover == "larger" and present >= size and present % size <= present // size:
            room_count = present // size
    else:
        assert rooms
        room_count = rooms
    while room_count > 1 and present < 2 * room_count:
        room_count -= 1
    return sorted(
        [present // room_count + 1] * (present % room_count)
        + [present // room_count] * (room_count - present % room_count)
    )


# -- strategies ------------------------------------------------------------------------


@st.composite
def requests(draw: st.DrawFn) -> tuple[PlanRequest, list[tuple[str, str, int]]]:
    n = draw(st.integers(min_value=2, max_value=24))
    students = [f"s{i}" for i in range(n)]
    absent = draw(st.lists(st.sampled_from(students), max_size=2, unique=True))
    present = [s for s in students if s not in absent]
    if len(present) < 2:
        absent = []
        present = students
    use_rooms = draw(st.booleans())
    leftover = draw(st.sampled_from(["smaller", "larger"]))
    if use_rooms:
        size, rooms = None, draw(st.integers(min_value=1, max_value=len(present) + 2))
    else:
        size, rooms = draw(st.integers(min_value=2, max_value=len(present) + 2)), None
    room_count = len(expected_sizes(len(present), size, rooms, leftover))
    smallest = len(present) // room_count
    together: list[list[str]] = []
    if smallest >= 2 and len(present) >= 4 and draw(st.booleans()):
        together = [draw(st.lists(st.sampled_from(present), min_size=2, max_size=2, unique=True))]
    grouped = {s for g in together for s in g}
    apart: list[tuple[str, str]] = []
    if room_count >= 2 and draw(st.booleans()):
        candidates = [s for s in present if s not in grouped]
        if len(candidates) >= 2:
            pair = draw(st.lists(st.sampled_from(candidates), min_size=2, max_size=2, unique=True))
            apart = [(pair[0], pair[1])]
    history = [
        (a, b, c)
        for a, b, c in draw(
            st.lists(
                st.tuples(
                    st.sampled_from(students),
                    st.sampled_from(students),
                    st.integers(min_value=1, max_value=3),
                ),
                max_size=6,
            )
        )
        if a != b
    ]
    request = PlanRequest(
        students=students,
        size=size,
        rooms=rooms,
        leftover=leftover,
        rotations=draw(st.integers(min_value=1, max_value=6)),
        apart=apart,
        together=together,
        absent=absent,
        history=history,
        seed=draw(st.integers(min_value=0, max_value=3)),
        time_limit=0.2,
        max_iterations=300,
    )
    return request, history


def check_plan(request: PlanRequest, result: Plan, history: list[tuple[str, str, int]]) -> None:
    present = [s for s in request.students if s not in request.absent]
    sizes = expected_sizes(len(present), request.size, request.rooms, request.leftover)
    assert len(present) < 2 or min(sizes) >= 2  # never a room of one
    assert len(result.rotations) == request.rotations
    for rotation in result.rotations[len(request.fixed_rotations) :]:
        placed = [s for room in rotation for s in room]
        assert sorted(placed) == sorted(present)
        assert sorted(len(room) for room in rotation) == sizes
        room_of = {s: i for i, room in enumerate(rotation) for s in room}
        for a, b in request.apart:
            if a in room_of and b in room_of:
                assert room_of[a] != room_of[b]
        for group in request.together:
            assert len({room_of[s] for s in group if s in room_of}) <= 1
    counts = count_meetings(result.rotations, history)
    stats = result.stats
    assert stats.repeats == repeats_of(counts)
    assert stats.max_meetings == max(counts.values(), default=0)
    assert stats.violations == 0
    assert stats.lower_bound <= stats.repeats
    partners = {s: set() for s in present}
    for rotation in result.rotations:
        for room in rotation:
            for a, b in combinations(room, 2):
                if a in partners:
                    partners[a].add(b)
                if b in partners:
                    partners[b].add(a)
    assert stats.distinct_partners_min == min(len(p) for p in partners.values())
    assert stats.distinct_partners_mean == pytest.approx(
        sum(len(p) for p in partners.values()) / len(partners)
    )
    seen: Counter[frozenset[str]] = Counter({frozenset((a, b)): c for a, b, c in history})
    first_repeat = None
    for number, rotation in enumerate(result.rotations, start=1):
        for room in rotation:
            for a, b in combinations(room, 2):
                if seen[frozenset((a, b))] and first_repeat is None:
                    first_repeat = number
                seen[frozenset((a, b))] += 1
    assert stats.first_repeat_rotation == first_repeat


# -- properties ------------------------------------------------------------------------


@settings(
    derandomize=True, max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(requests())
def test_plans_are_valid_partitions_with_honest_stats(
    case: tuple[PlanRequest, list[tuple[str, str, int]]],
) -> None:
    request, history = case
    try:
        result = plan(request)
    except PlanError as error:
        # the only infeasible case generated: a together group fills a room and the
        # apart pair cannot be split over the rest
        assert request.apart and request.together, str(error)
        assert "keep-apart" in str(error)
        return
    check_plan(request, result, history)
    recomputed = evaluate(result.rotations, request)
    assert recomputed.repeats == result.stats.repeats
    assert recomputed.lower_bound == result.stats.lower_bound


@settings(derandomize=True, max_examples=15, deadline=None)
@given(requests())
def test_same_seed_same_plan(case: tuple[PlanRequest, list[tuple[str, str, int]]]) -> None:
    request, _history = case
    # the iteration cap, not the clock, must end the search for runs to be comparable
    request = dataclasses.replace(request, time_limit=60.0, max_iterations=200)
    assert plan(request).rotations == plan(request).rotations


@settings(derandomize=True, max_examples=25, deadline=None)
@given(requests(), st.integers(min_value=1, max_value=2))
def test_fixed_rotations_are_kept_and_leavers_dropped(
    case: tuple[PlanRequest, list[tuple[str, str, int]]], kept: int
) -> None:
    request, history = case
    try:
        first = plan(request)
    except PlanError:
        return  # infeasible apart/together mix, covered above
    kept = min(kept, len(first.rotations))
    present = [s for s in request.students if s not in request.absent]
    leaver = present[-1]
    replanned_request = PlanRequest(
        students=request.students,
        size=request.size,
        rooms=request.rooms,
        rotations=request.rotations + 1,
        apart=request.apart,
        together=request.together,
        absent=[*request.absent, leaver],
        history=request.history,
        fixed_rotations=first.rotations[:kept],
        seed=1,
        time_limit=0.2,
        max_iterations=300,
    )
    if len(present) <= 2 or (request.rooms and request.rooms > len(present) - 1):
        return
    try:
        replanned = plan(replanned_request)
    except PlanError as error:
        assert "keep-together" in str(error) or "room" in str(error)
        return
    assert replanned.rotations[:kept] == first.rotations[:kept]
    for rotation in replanned.rotations[kept:]:
        assert leaver not in {s for room in rotation for s in room}
    check_plan(replanned_request, replanned, history)


# -- examples --------------------------------------------------------------------------


def test_history_counts_as_met() -> None:
    students = [str(i) for i in range(1, 7)]
    request = PlanRequest(
        students=students, size=2, rotations=1, history={"pairs": [["1", "2", 2]]}, time_limit=0.2
    )
    result = plan(request)
    assert result.stats.repeats >= 1  # the history pair already met twice
    assert result.stats.lower_bound == 1
    assert ["1", "2"] not in result.rotations[0]
    assert result.stats.repeats == 1


def test_stats_to_dict_keys() -> None:
    result = plan(PlanRequest(students=list("abcdef"), size=3, rotations=2, time_limit=0.2))
    assert isinstance(result.stats, PlanStats)
    assert result.stats.to_dict()["optimal"] is (result.stats.repeats == result.stats.lower_bound)
    assert set(result.stats.to_dict()) == {
        "repeats",
        "lower_bound",
        "optimal",
        "max_meetings",
        "first_repeat_rotation",
        "distinct_partners_min",
        "distinct_partners_mean",
        "violations",
        "new_pair_share",
        "sit_outs_min",
        "sit_outs_max",
        "seconds",
    }
    json.dumps(result.stats.to_dict())


def test_evaluate_counts_hand_made_violations() -> None:
    request = PlanRequest(
        students=list("abcdef"), size=3, rotations=1, apart=[("a", "b")], together=[["c", "d"]]
    )
    stats = evaluate([[["a", "b", "c"], ["d", "e", "f"]]], request)
    assert stats.violations == 2  # a/b share a room, c/d are split


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"apart": [("1", "99")]}, "99"),
        ({"together": [["1", "2", "3", "4", "5"]]}, "keep-together group"),
        ({"together": [["1", "2"], ["2", "3"]], "apart": [("1", "3")]}, "(1, 3)"),
        ({"apart": [(a, b) for a, b in combinations("1234", 2)], "size": 4}, "kept apart"),
        ({"absent": ["42"]}, "42"),
        (
            {"together": [["1", "2", "3", "4"], ["5", "6", "7", "8"]], "apart": [("9", "10")]},
            "cannot all be split",
        ),
        ({"size": 0}, "room size"),
        ({"size": 1}, "at least 2"),
        ({"leftover": "sideways"}, "leftover"),
        ({"rotations": 0}, "rotations"),
        (
            {
                "rooms": 3,
                "size": None,
                "together": [["1", "2", "3"], ["4", "5", "6"], ["7", "8", "9"], ["10", "11"]],
            },
            "fit",
        ),
    ],
)
def test_infeasible_requests_name_the_conflict(changes: dict[str, object], needle: str) -> None:
    fields: dict[str, object] = {
        "students": [str(i) for i in range(1, 13)],
        "size": 4,
        "rotations": 2,
    }
    fields.update(changes)
    with pytest.raises(PlanError) as caught:
        plan(PlanRequest(**fields))  # type: ignore[arg-type]
    assert needle in str(caught.value)


@pytest.mark.parametrize(("n", "k", "rotations"), [(15, 3, 7), (16, 4, 5), (25, 5, 6), (32, 4, 8)])
def test_zero_repeat_designs_are_found(n: int, k: int, rotations: int) -> None:
    request = PlanRequest(
        students=[str(i) for i in range(1, n + 1)], size=k, rotations=rotations, time_limit=8
    )
    result = plan(request)
    assert result.stats.repeats == 0
    assert result.stats.max_meetings == 1
    assert result.stats.first_repeat_rotation is None


def test_constrained_class_reaches_its_bound() -> None:
    request = PlanRequest(
        students=[str(i) for i in range(1, 30)],
        size=4,
        rotations=6,
        apart=[("1", "2"), ("3", "4"), ("5", "6")],
        together=[["7", "8"]],
        time_limit=8,
    )
    result = plan(request)
    assert result.stats.lower_bound == 5
    assert result.stats.repeats == 5


# -- command line ----------------------------------------------------------------------


def test_cli_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--students", "9", "--size", "3", "--rotations", "4", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["rotations"]) == 4
    assert all(
        isinstance(s, str) for rotation in data["rotations"] for room in rotation for s in room
    )
    assert data["stats"]["repeats"] == 0  # AG(2, 3)
    assert data["stats"]["violations"] == 0


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--apart", "1,77"], "77"),
        (["--together", "1,2,3,4"], "keep-together group"),
        (["--apart", "1,2", "--apart", "1,3", "--apart", "2,3", "--rooms", "2"], "kept apart"),
    ],
)
def test_cli_exit_2_names_conflict(
    capsys: pytest.CaptureFixture[str], extra: list[str], needle: str
) -> None:
    args = ["--students", "9", "--rotations", "2", *extra]
    if "--rooms" not in extra:
        args += ["--size", "3"]
    assert main(args) == 2
    assert needle in capsys.readouterr().err


def test_cli_zoom_needs_emails(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "--students",
                "6",
                "--size",
                "3",
                "--rotations",
                "2",
                "--format",
                "zoom",
                "--time-limit",
                "0.2",
            ]
        )
        == 2
    )
    assert "e-mail" in capsys.readouterr().err


def test_cli_zoom_with_roster(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "name,email,tags\n" + "".join(f"Student {i},s{i}@school.example,\n" for i in range(1, 7)),
        encoding="utf-8",
    )
    out = tmp_path / "zoom.csv"
    code = main(
        [
            "--roster",
            str(roster),
            "--size",
            "3",
            "--rotations",
            "2",
            "--format",
            "zoom",
            "--out",
            str(out),
            "--time-limit",
            "0.2",
        ]
    )
    assert code == 0
    for number in (1, 2):
        lines = (tmp_path / f"zoom-rotation-{number}.csv").read_text().splitlines()
        assert lines[0] == "Pre-assign Room Name,Email Address"
        assert len(lines) == 7
        assert {line.split(",")[0] for line in lines[1:]} == {"Room 1", "Room 2"}
    assert (
        main(["--roster", str(roster), "--size", "3", "--rotations", "1", "--format", "zoom"]) == 0
    )
    assert "Pre-assign Room Name,Email Address" in capsys.readouterr().out


def test_cli_csv_and_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--students", "5", "--size", "2", "--rotations", "2", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "rotation,room,student"
    assert len(lines) == 1 + 2 * 5
    assert main(["--students", "5", "--size", "2", "--rotations", "2"]) == 0
    assert "Repeated pair meetings" in capsys.readouterr().out


def test_cli_history_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    history = tmp_path / "history.json"
    history.write_text(json.dumps({"pairs": [["1", "2", 3]]}), encoding="utf-8")
    assert (
        main(
            [
                "--students",
                "4",
                "--size",
                "2",
                "--rotations",
                "1",
                "--history",
                str(history),
                "--format",
                "json",
            ]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out)["stats"]["repeats"] == 2


def test_cli_module_entrypoint() -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "server.planner.cli",
            "--students",
            "8",
            "--size",
            "3",
            "--rotations",
            "2",
            "--together",
            "1,99",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 2
    assert "99" in completed.stderr


def test_groups_swap_with_groups() -> None:
    # four pairs, two rooms of four: only whole pairs can move; the best uses all three
    # pairings of the pairs before repeating one (12 forced + 8 = 20 repeats)
    request = PlanRequest(
        students=list("abcdefgh"),
        size=4,
        rotations=4,
        together=[["a", "b"], ["c", "d"], ["e", "f"], ["g", "h"]],
        time_limit=5,
        max_iterations=2000,
    )
    result = plan(request)
    assert result.stats.lower_bound == 20
    assert result.stats.repeats == 20


def test_progress_reports_fraction_and_repeats() -> None:
    calls: list[tuple[float, int]] = []
    request = PlanRequest(students=[str(i) for i in range(12)], size=3, rotations=6, time_limit=0.3)
    result = plan(request, progress=lambda fraction, repeats: calls.append((fraction, repeats)))
    assert calls
    assert all(0.0 <= fraction <= 1.0 for fraction, _ in calls)
    assert calls[-1] == (1.0, result.stats.repeats)


def test_room_sizes_are_even_and_never_one() -> None:
    """Every class size and every request: sizes differ by at most one, no room of one,
    and the leftover rule keeps rooms at most k ("smaller") or at least k ("larger")."""
    for count in range(1, 61):
        for leftover in LEFTOVER_RULES:
            for size in range(2, count + 3):
                sizes = room_sizes(count, size, None, leftover)
                assert sum(sizes) == count and max(sizes) - min(sizes) <= 1
                assert count < 2 or min(sizes) >= 2
                if leftover == "smaller" and min(sizes) >= 2 and count % size != 1:
                    assert max(sizes) <= size or len(sizes) == count // 2
                if leftover == "larger" and count >= size and count % size <= count // size:
                    assert size <= min(sizes) and max(sizes) <= size + 1
                assert sizes == sorted(expected_sizes(count, size, None, leftover), reverse=True)
            for rooms in range(1, count + 3):
                sizes = room_sizes(count, None, rooms, leftover)
                assert sum(sizes) == count and max(sizes) - min(sizes) <= 1
                assert count < 2 or min(sizes) >= 2
                assert len(sizes) == max(1, min(rooms, count // 2))
