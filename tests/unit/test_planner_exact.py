"""Brute-force checks on tiny instances: the lower bound is valid and the planner optimal."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from functools import cache
from itertools import combinations
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.planner import PlanError, PlanRequest, plan
from server.planner.constructions import (
    TABLE_PATH,
    delete_points,
    kirkman_15,
    kirkman_cyclic,
    load_designs,
    round_robin,
    stored_designs,
    subspace_classes,
    transversal_classes,
)


def partitions(students: tuple[str, ...], sizes: tuple[int, ...]) -> list[list[list[str]]]:
    """All ways to split ``students`` into rooms of the given sizes (room order ignored)."""
    if not sizes:
        return [[]]
    first, rest = students[0], students[1:]
    result = []
    for size in sorted(set(sizes)):  # the first student's room may have any of the sizes
        other_sizes = list(sizes)
        other_sizes.remove(size)
        for mates in combinations(rest, size - 1):
            room = [first, *mates]
            remaining = tuple(s for s in rest if s not in mates)
            for tail in partitions(remaining, tuple(other_sizes)):
                result.append([room, *tail])
    return result


def optimum(request: PlanRequest) -> int | None:
    """Minimum repeats over all schedules that respect the hard constraints (None: none)."""
    present = tuple(s for s in request.students if s not in request.absent)
    count = -(-len(present) // request.size) if request.size else request.rooms
    assert count
    count = min(count, max(1, len(present) // 2))  # never a room of one
    base, extra = divmod(len(present), count)
    sizes = tuple([base + 1] * extra + [base] * (count - extra))
    allowed = []
    for rooms in partitions(present, sizes):
        room_of = {s: i for i, room in enumerate(rooms) for s in room}
        if any(room_of[a] == room_of[b] for a, b in request.apart):
            continue
        if any(len({room_of[s] for s in group}) > 1 for group in request.together):
            continue
        allowed.append(rooms)
    if not allowed:
        return None
    history = Counter({frozenset((a, b)): c for a, b, c in request.history or []})

    @cache
    def best(chosen: tuple[int, ...]) -> int:
        if len(chosen) == request.rotations:
            counts = Counter(history)
            for index in chosen:
                for room in allowed[index]:
                    for a, b in combinations(room, 2):
                        counts[frozenset((a, b))] += 1
            return sum(max(0, c - 1) for c in counts.values())
        start = chosen[-1] if chosen else 0  # rotation order does not change repeats
        return min(best((*chosen, i)) for i in range(start, len(allowed)))

    return best(())


@st.composite
def tiny_requests(draw: st.DrawFn) -> PlanRequest:
    n = draw(st.integers(min_value=3, max_value=7))
    students = [chr(ord("a") + i) for i in range(n)]
    size = draw(st.integers(min_value=2, max_value=4))
    rotations = draw(st.integers(min_value=1, max_value=3))
    together = []
    if size >= 3 and draw(st.booleans()):
        together = [students[:2]]
    apart = [(students[-1], students[-2])] if n > size and draw(st.booleans()) else []
    history = [
        (a, b, draw(st.integers(1, 2)))
        for a, b in draw(
            st.lists(st.sampled_from(list(combinations(students, 2))), max_size=3, unique=True)
        )
    ]
    return PlanRequest(
        students=students,
        size=size,
        rotations=rotations,
        together=together,
        apart=apart,
        history=history,
        seed=draw(st.integers(0, 5)),
        time_limit=60.0,
        max_iterations=400,
    )


@settings(derandomize=True, max_examples=40, deadline=None)
@given(tiny_requests())
def test_bound_is_valid_and_plan_is_optimal(request: PlanRequest) -> None:
    best = optimum(request)
    if best is None:
        with pytest.raises(PlanError):
            plan(request)
        return
    result = plan(request)
    assert result.stats.lower_bound <= best
    assert result.stats.repeats == best


def _assert_no_repeats(rotations: list[list[list[int]]], n: int, room_count: int) -> None:
    seen: set[frozenset[int]] = set()
    for rotation in rotations:
        assert sorted(p for room in rotation for p in room) == list(range(n))
        assert len(rotation) == room_count
        assert max(map(len, rotation)) - min(map(len, rotation)) <= 1
        for room in rotation:
            for pair in combinations(room, 2):
                assert frozenset(pair) not in seen
                seen.add(frozenset(pair))


def test_constructions_are_resolvable_without_repeats() -> None:
    import random

    _assert_no_repeats(kirkman_15(7), 15, 5)
    assert len(kirkman_15(7)) == 7
    for n in (21, 33, 39):
        design = kirkman_cyclic(n, n)
        assert len(design) == (n - 1) // 2
        _assert_no_repeats(design, n, n // 3)
    for n in (9, 10):
        _assert_no_repeats(round_robin(n, n), n, (n + 1) // 2)
    for n, k, expected in ((16, 4, 5), (25, 5, 6), (32, 4, 8), (27, 3, 13), (64, 8, 9)):
        design = subspace_classes(n, k, expected, random.Random(0))
        assert len(design) == expected
        _assert_no_repeats(design, n, n // k)
    for n, rooms in ((20, 5), (29, 8), (36, 9), (33, 11), (13, 4), (45, 9)):
        design = transversal_classes(n, rooms, 99)
        assert len(design) == rooms
        _assert_no_repeats(design, n, rooms)


def test_iteration_cap_keeps_plans_reproducible() -> None:
    request = PlanRequest(
        students=[str(i) for i in range(40)],
        size=4,
        rotations=12,
        seed=3,
        time_limit=60.0,
        max_iterations=50,
    )
    assert plan(request).rotations == plan(dataclasses.replace(request)).rotations


def test_stored_designs_are_verified_on_load(tmp_path: Path) -> None:
    designs = load_designs(TABLE_PATH)
    assert designs == stored_designs()
    for (n, k), classes in designs.items():
        _assert_no_repeats(classes, n, n // k)
        assert all(len(room) == k for rotation in classes for room in rotation)
    # a table with a pair that meets twice is refused
    broken = json.loads(TABLE_PATH.read_text(encoding="utf-8"))
    name, entry = next(iter(broken.items()))
    if "rotations" in entry:
        entry["rotations"][1] = entry["rotations"][0]
    else:
        entry["invariant"].append(entry["invariant"][0] if entry["invariant"] else [0] * entry["k"])
    path = tmp_path / "designs.json"
    path.write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(ValueError, match=name):
        load_designs(path)


def test_deleting_points_keeps_rooms_even() -> None:
    import random

    design = transversal_classes(32, 8, 8)  # TD(4, 8): groups of 8 never meet
    trimmed = delete_points(design, 5, random.Random(0))
    assert trimmed is not None
    _assert_no_repeats(trimmed, 27, 8)
    assert all(sorted(map(len, rotation)) == [3] * 5 + [4] * 3 for rotation in trimmed)
    assert delete_points(kirkman_15(7), 2, random.Random(0)) is None  # every pair meets


# every family of classroom size with a known design without a repeated pair (n <= 40,
# as many rotations as the design allows; bench/planner.py --families measures the rest)
PERFECT_FAMILIES = [
    (20, 2, 19), (9, 3, 4), (12, 3, 4), (15, 3, 7), (18, 3, 8), (16, 3, 8), (21, 3, 10),
    (24, 3, 11), (27, 3, 13), (30, 3, 14), (33, 3, 16), (36, 3, 17), (39, 3, 19), (16, 4, 5),
    (20, 4, 5), (24, 4, 7), (28, 4, 9), (32, 4, 10), (31, 4, 10), (30, 4, 10), (36, 4, 9),
    (40, 4, 13), (25, 5, 6), (30, 5, 6), (35, 5, 7), (40, 5, 8),
    (14, 3, 7), (28, 3, 14), (27, 4, 9), (29, 4, 8), (39, 4, 13),
]


@pytest.mark.parametrize(("n", "k", "rotations"), PERFECT_FAMILIES)
def test_known_designs_are_planned_without_repeats(n: int, k: int, rotations: int) -> None:
    # keep-apart pairs can hold without a repeat only where some pairs never meet
    complete = rotations * (k - 1) >= n - 1
    apart = [] if complete else [("s0", "s1"), ("s2", "s3")]
    request = PlanRequest(students=[f"s{i}" for i in range(n)], size=k, rotations=rotations,
                          apart=apart, seed=n, time_limit=8)
    result = plan(request)
    assert result.stats.repeats == 0 and result.stats.violations == 0
    assert result.stats.optimal
    assert len(result.rotations) == rotations
