"""Request/result types and input validation for the breakout-rotation planner.

Everything here is plain data: the search code works on the compact ``Instance`` that
``build_instance`` derives from a ``PlanRequest`` after checking every hard constraint.

Size: the planner's request and result types and the checks of every hard constraint that
`build_instance` (110 lines) runs to build the Instance: the types and their checks change together.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

HistoryInput = Mapping[Any, int] | Iterable[Any] | None


class PlanError(ValueError):
    """The request cannot be planned; the message names the conflicting input."""


@dataclass
class PlanRequest:
    """What the teacher asks for.

    ``rotations`` is the total number of rotations in the plan *including* the already-run
    ``fixed_rotations`` (which are returned unchanged as the first rotations).
    ``history`` is pair history from earlier lessons, either a mapping
    ``{frozenset({a, b}) or (a, b): count}`` or an iterable of ``(a, b, count)`` triples
    (the JSON form ``{"pairs": [["a", "b", 2], ...]}`` is accepted too).
    Give exactly one of ``size`` (students per room) or ``rooms``; ``leftover`` says
    where the students who do not fill a room of ``size`` go (see ``room_sizes``).
    ``max_size`` (only with ``rooms``) caps the rooms: when ``rooms * max_size`` is less
    than the class, the others sit out each rotation (they stay in the main room), spread
    so that nobody sits out twice before everyone has sat out once.
    ``max_iterations`` optionally caps the search so that runs are reproducible
    independently of machine speed.
    """

    students: list[str]
    size: int | None = None
    rooms: int | None = None
    rotations: int = 1
    leftover: str = "smaller"
    max_size: int | None = None
    apart: list[tuple[str, str]] = field(default_factory=list)
    together: list[list[str]] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)
    history: Any = None
    fixed_rotations: list[list[list[str]]] = field(default_factory=list)
    seed: int = 0
    time_limit: float = 2.0
    max_iterations: int | None = None


@dataclass
class PlanStats:
    """Statistics of a schedule; ``to_dict`` gives the JSON shape used by the UI/CLI."""

    repeats: int
    lower_bound: int
    max_meetings: int
    first_repeat_rotation: int | None
    distinct_partners_min: int
    distinct_partners_mean: float
    violations: int
    new_pair_share: float
    sit_outs_min: int = 0
    sit_outs_max: int = 0
    seconds: float = 0.0
    violation_details: list[str] = field(default_factory=list)

    @property
    def optimal(self) -> bool:
        """Proved optimal: no schedule can have fewer repeats than the (valid) lower bound."""
        return self.repeats == self.lower_bound

    def to_dict(self) -> dict[str, Any]:
        return {
            "repeats": self.repeats,
            "lower_bound": self.lower_bound,
            "optimal": self.optimal,
            "max_meetings": self.max_meetings,
            "first_repeat_rotation": self.first_repeat_rotation,
            "distinct_partners_min": self.distinct_partners_min,
            "distinct_partners_mean": round(self.distinct_partners_mean, 3),
            "violations": self.violations,
            "new_pair_share": round(self.new_pair_share, 4),
            "sit_outs_min": self.sit_outs_min,
            "sit_outs_max": self.sit_outs_max,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class Plan:
    rotations: list[list[list[str]]]
    stats: PlanStats


@dataclass
class Instance:
    """Validated, index-based view of a request.

    Present students are indices ``0..n-1``; ``names`` maps indices back to ids.
    ``units`` are the placement units: merged keep-together groups and single students.
    ``prior`` counts earlier meetings (history + fixed rotations) for pairs of present
    students, keyed by ``(i, j)`` with ``i < j``; ``prior_repeats`` is the constant part of
    the repeat count that no future rotation can change.
    """

    names: list[str]
    room_sizes: list[int]  # sums to n, or less when students sit out (capped rooms)
    future_rotations: int
    fixed: list[list[list[str]]]
    apart: set[tuple[int, int]]
    units: list[list[int]]
    unit_of: list[int]
    prior: dict[tuple[int, int], int]
    prior_repeats: int
    history_by_names: dict[frozenset[str], int]

    @property
    def n(self) -> int:
        return len(self.names)

    @property
    def total_rotations(self) -> int:
        return len(self.fixed) + self.future_rotations

    @property
    def sit_outs(self) -> int:
        """Students who sit out each rotation (0 unless the rooms are capped)."""
        return self.n - sum(self.room_sizes)


LEFTOVER_RULES = ("smaller", "larger")
DEFAULT_LEFTOVER = "smaller"


def room_sizes(
    count: int, size: int | None, rooms: int | None, leftover: str = DEFAULT_LEFTOVER,
    max_size: int | None = None,
) -> list[int]:
    """Room sizes for ``count`` students, largest first: as even as possible, never a room
    of one.  The one rule ``rapport plan`` and live rotations share.

    * ``size`` k with ``leftover="smaller"`` (the default): ceil(count / k) rooms, so no
      room holds more than k and the leftover makes some rooms smaller (usually k - 1);
    * ``size`` k with ``leftover="larger"``: floor(count / k) rooms, so no room holds fewer
      than k and the leftover students join rooms of k + 1; when there are more leftover
      students than rooms (a room would need k + 2), it falls back to "smaller";
    * ``rooms`` m: m rooms;
    * ``rooms`` m with ``max_size`` c: the same, but when m rooms would hold more than c,
      m rooms of exactly c, and the other count - m * c students sit out (the sizes then
      sum to less than ``count``).
    Sizes then differ by at most one, and when a room of one would remain (two or more
    students), there is one room fewer: 5 students in rooms of 2 are rooms of 3 and 2.
    """
    if (size is None) == (rooms is None):
        raise PlanError("give exactly one of room size or room count")
    if count <= 0:
        raise PlanError("no students present to plan for")
    if leftover not in LEFTOVER_RULES:
        raise PlanError(f"leftover must be one of {', '.join(LEFTOVER_RULES)}, got {leftover!r}")
    if size is not None and max_size is not None:
        raise PlanError("a most-per-room cap goes with a room count, not a room size")
    if size is not None:
        if not isinstance(size, int) or isinstance(size, bool) or size < 2:
            raise PlanError(f"room size must be a whole number of at least 2, got {size!r}")
        room_count = math.ceil(count / size)
        if leftover == "larger" and count // size and count % size <= count // size:
            room_count = count // size
    else:
        if not isinstance(rooms, int) or isinstance(rooms, bool) or rooms < 1:
            raise PlanError(f"room count must be a positive integer, got {rooms!r}")
        room_count = rooms
        if max_size is not None:
            if not isinstance(max_size, int) or isinstance(max_size, bool) or max_size < 2:
                raise PlanError(f"most students per room must be a whole number of at least 2, "
                                f"got {max_size!r}")
            if count > rooms * max_size:
                return [max_size] * rooms
    room_count = min(room_count, max(1, count // 2))  # no one alone in a room
    base, extra = divmod(count, room_count)
    return [base + 1] * extra + [base] * (room_count - extra)


def normalize_history(history: HistoryInput) -> dict[frozenset[str], int]:
    """Accept the documented history shapes and return ``{frozenset({a, b}): count}``."""
    if history is None:
        return {}
    if isinstance(history, Mapping) and "pairs" in history:
        history = cast("Mapping[Any, int] | Iterable[Any]", history["pairs"])
    items: list[tuple[Any, Any, Any]] = []
    if isinstance(history, Mapping):
        for key, count in history.items():
            pair = list(key)
            if len(pair) != 2:
                raise PlanError(f"history key {key!r} is not a pair of students")
            items.append((pair[0], pair[1], count))
    else:
        for entry in history:
            if not isinstance(entry, list | tuple) or len(entry) not in (2, 3):
                raise PlanError(f"history entry {entry!r} is not [a, b, count]")
            count = entry[2] if len(entry) == 3 else 1
            items.append((entry[0], entry[1], count))
    result: dict[frozenset[str], int] = {}
    for a, b, count in items:
        a, b = str(a), str(b)
        if a == b:
            raise PlanError(f"history pair ({a}, {b}) names the same student twice")
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise PlanError(f"history count for ({a}, {b}) must be a non-negative integer")
        if count:
            key = frozenset((a, b))
            result[key] = result.get(key, 0) + count
    return result


def _find_root(parent: list[int], index: int) -> int:
    while parent[index] != index:
        parent[index] = parent[parent[index]]
        index = parent[index]
    return index


def build_instance(request: PlanRequest) -> Instance:
    """Validate ``request`` and derive the index-based instance; raise ``PlanError``."""
    students = [str(s) for s in request.students]
    seen: set[str] = set()
    for student in students:
        if student in seen:
            raise PlanError(f"student {student!r} is listed twice")
        seen.add(student)
    known = set(students)
    absent = {str(s) for s in request.absent}
    for student in absent:
        if student not in known:
            raise PlanError(f"absent student {student!r} is not in the student list")
    names = [s for s in students if s not in absent]
    index_of = {name: i for i, name in enumerate(names)}

    if not isinstance(request.rotations, int) or request.rotations < 1:
        raise PlanError(f"rotations must be a positive integer, got {request.rotations!r}")
    fixed = [[[str(s) for s in room] for room in rotation] for rotation in request.fixed_rotations]
    if len(fixed) > request.rotations:
        raise PlanError(
            f"{len(fixed)} rotations already run but only {request.rotations} rotations asked"
        )
    for number, rotation in enumerate(fixed, start=1):
        members = [s for room in rotation for s in room]
        duplicates = sorted({s for s in members if members.count(s) > 1})
        if duplicates:
            raise PlanError(f"already-run rotation {number} lists {duplicates[0]!r} twice")

    sizes = room_sizes(len(names), request.size, request.rooms, request.leftover,
                       request.max_size)
    largest_room = sizes[0]

    # Merge keep-together groups that share students (union-find over present students).
    parent = list(range(len(names)))
    for group in request.together:
        group_names = [str(s) for s in group]
        for student in group_names:
            if student not in known:
                raise PlanError(f"keep-together group {group_names} names unknown {student!r}")
        present = [index_of[s] for s in group_names if s in index_of]
        for other in present[1:]:
            root_a, root_b = _find_root(parent, present[0]), _find_root(parent, other)
            if root_a != root_b:
                parent[root_b] = root_a
    groups: dict[int, list[int]] = {}
    for i in range(len(names)):
        groups.setdefault(_find_root(parent, i), []).append(i)
    units = sorted(groups.values(), key=lambda unit: (-len(unit), unit[0]))
    unit_of = [0] * len(names)
    for unit_index, unit in enumerate(units):
        for member in unit:
            unit_of[member] = unit_index
        if len(unit) > largest_room:
            member_names = ", ".join(names[m] for m in unit)
            raise PlanError(
                f"keep-together group ({member_names}) has {len(unit)} students "
                f"but rooms hold at most {largest_room}"
            )

    apart: set[tuple[int, int]] = set()
    for pair in request.apart:
        pair_names = [str(s) for s in pair]
        if len(pair_names) != 2:
            raise PlanError(f"keep-apart entry {pair_names} must name exactly two students")
        a, b = pair_names
        for student in (a, b):
            if student not in known:
                raise PlanError(f"keep-apart pair ({a}, {b}) names unknown student {student!r}")
        if a == b:
            raise PlanError(f"keep-apart pair ({a}, {b}) names the same student twice")
        if a not in index_of or b not in index_of:
            continue  # an absent student cannot meet anyone
        i, j = sorted((index_of[a], index_of[b]))
        if unit_of[i] == unit_of[j]:
            together = ", ".join(names[m] for m in units[unit_of[i]])
            raise PlanError(f"keep-apart pair ({a}, {b}) is inside keep-together group "
                            f"({together})")
        apart.add((i, j))
    _check_apart_cliques(names, units, unit_of, apart, len(sizes))
    _check_packing(names, units, sizes)
    _check_joint_placement(names, units, apart, sizes)

    history = normalize_history(request.history)
    prior: dict[tuple[int, int], int] = {}
    all_counts: dict[frozenset[str], int] = dict(history)
    for rotation in fixed:
        for room in rotation:
            for x in range(len(room)):
                for y in range(x + 1, len(room)):
                    key = frozenset((room[x], room[y]))
                    all_counts[key] = all_counts.get(key, 0) + 1
    prior_repeats = 0
    for key, count in all_counts.items():
        prior_repeats += max(0, count - 1)
        a, b = tuple(key)
        if a in index_of and b in index_of:
            i, j = sorted((index_of[a], index_of[b]))
            prior[(i, j)] = count

    return Instance(
        names=names,
        room_sizes=sizes,
        future_rotations=request.rotations - len(fixed),
        fixed=fixed,
        apart=apart,
        units=units,
        unit_of=unit_of,
        prior=prior,
        prior_repeats=prior_repeats,
        history_by_names=history,
    )


def _check_apart_cliques(
    names: list[str],
    units: list[list[int]],
    unit_of: list[int],
    apart: set[tuple[int, int]],
    room_count: int,
) -> None:
    """Raise when more mutually keep-apart units exist than rooms (exact max clique)."""
    if not apart:
        return
    neighbours: dict[int, set[int]] = {}
    for i, j in apart:
        ui, uj = unit_of[i], unit_of[j]
        neighbours.setdefault(ui, set()).add(uj)
        neighbours.setdefault(uj, set()).add(ui)
    best: list[int] = []
    budget = [200_000]  # the apart graph is tiny in practice; cap the work anyway

    def expand(clique: list[int], candidates: set[int], excluded: set[int]) -> None:
        nonlocal best
        budget[0] -= 1
        if budget[0] < 0 or len(best) > room_count:
            return
        if not candidates and not excluded:
            if len(clique) > len(best):
                best = list(clique)
            return
        if len(clique) + len(candidates) <= len(best):
            return
        pivot = max(candidates | excluded, key=lambda u: len(neighbours[u] & candidates))
        for unit in sorted(candidates - neighbours[pivot]):
            expand([*clique, unit], candidates & neighbours[unit], excluded & neighbours[unit])
            candidates = candidates - {unit}
            excluded = excluded | {unit}

    expand([], set(neighbours), set())
    if len(best) > room_count:
        listed = ", ".join(names[units[u][0]] for u in sorted(best))
        raise PlanError(
            f"{len(best)} students are all kept apart from each other ({listed}) "
            f"but there are only {room_count} rooms"
        )


def pack_groups(
    group_sizes: list[int],
    capacities: list[int],
    order: list[int] | None = None,
    node_limit: int = 100_000,
) -> list[int] | None:
    """Room index per group so that no room overflows, or None if none was found.

    Exact backtracking over groups (largest first, or ``order``); rooms with equal free
    space are interchangeable, so only one of them is tried.  Singles always fit after.
    """
    sequence = (
        order
        if order is not None
        else sorted(range(len(group_sizes)), key=lambda g: -group_sizes[g])
    )
    free = list(capacities)
    placement = [-1] * len(group_sizes)
    nodes = [0]

    def place(position: int) -> bool:
        if position == len(sequence):
            return True
        nodes[0] += 1
        if nodes[0] > node_limit:
            return False
        group = sequence[position]
        tried: set[int] = set()
        for room, space in enumerate(free):
            if space >= group_sizes[group] and space not in tried:
                tried.add(space)
                free[room] -= group_sizes[group]
                placement[group] = room
                if place(position + 1):
                    return True
                free[room] += group_sizes[group]
        return False

    return placement if place(0) else None


def place_constrained(
    units: list[list[int]],
    capacities: list[int],
    apart_of: list[set[int]],
    rng: random.Random | None = None,
    node_limit: int = 50_000,
) -> tuple[list[int] | None, bool]:
    """Rooms for the constrained units (groups, apart students) of one rotation.

    Backtracking: every unit goes to a room with space and none of its keep-apart
    partners; the remaining single students always fit afterwards.  Returns (room per
    unit or None, whether the search was complete).  ``rng`` shuffles the room order.
    """
    order = sorted(range(len(units)), key=lambda u: -len(units[u]))
    free = list(capacities)
    members: list[set[int]] = [set() for _ in capacities]
    placement = [-1] * len(units)
    nodes = [0]

    def place(position: int) -> bool:
        if position == len(order):
            return True
        nodes[0] += 1
        if nodes[0] > node_limit:
            return False
        unit = units[order[position]]
        forbidden = set().union(*(apart_of[s] for s in unit))
        rooms = list(range(len(capacities)))
        if rng is not None:
            rng.shuffle(rooms)
        tried_empty: set[int] = set()
        for room in rooms:
            if free[room] < len(unit) or members[room] & forbidden:
                continue
            if not members[room]:
                if free[room] in tried_empty:
                    continue  # empty rooms of one size are interchangeable
                tried_empty.add(free[room])
            free[room] -= len(unit)
            members[room].update(unit)
            placement[order[position]] = room
            if place(position + 1):
                return True
            free[room] += len(unit)
            members[room].difference_update(unit)
        return False

    found = place(0)
    return (placement if found else None), nodes[0] <= node_limit


def _check_packing(names: list[str], units: list[list[int]], room_sizes: list[int]) -> None:
    """Keep-together groups must fit into the rooms together."""
    groups = [unit for unit in units if len(unit) > 1]
    if not groups or pack_groups([len(g) for g in groups], room_sizes) is not None:
        return
    # name the first group that no longer fits with the larger ones placed
    for count in range(1, len(groups) + 1):
        if pack_groups([len(g) for g in groups[:count]], room_sizes) is None:
            group = ", ".join(names[m] for m in groups[count - 1])
            raise PlanError(
                f"keep-together group ({group}) does not fit: the rooms are already "
                "filled by other keep-together groups"
            )


def _check_joint_placement(
    names: list[str], units: list[list[int]], apart: set[tuple[int, int]], room_sizes: list[int]
) -> None:
    """Keep-together groups and keep-apart pairs must fit into one rotation together."""
    if not apart:
        return
    apart_of: list[set[int]] = [set() for _ in names]
    for i, j in apart:
        apart_of[i].add(j)
        apart_of[j].add(i)
    constrained = [u for u in units if len(u) > 1 or any(apart_of[s] for s in u)]
    placement, complete = place_constrained(constrained, room_sizes, apart_of)
    if placement is None and complete:
        pairs = ", ".join(f"({names[i]}, {names[j]})" for i, j in sorted(apart))
        groups = "; ".join(", ".join(names[m] for m in u) for u in units if len(u) > 1)
        raise PlanError(
            f"the keep-apart pairs {pairs} cannot all be split while keeping the groups "
            f"({groups}) together in {len(room_sizes)} rooms"
        )
