"""``plan``: validation, starting schedules, tabu search, statistics."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable

from .constructions import apart_labels, delete_points, resolvable_designs
from .model import Instance, Plan, PlanError, PlanRequest, build_instance
from .search import Schedule, TabuSearch, greedy_rotation, greedy_schedule
from .stats import evaluate, lower_bound, sit_out_counts

Progress = Callable[[float, int], None]

# Benchmarks switch this off to measure the search on its own.
USE_CONSTRUCTIONS = True


def plan(request: PlanRequest, progress: Progress | None = None) -> Plan:
    """Plan ``request.rotations`` rotations (the already-run ones first, unchanged).

    ``progress(fraction_of_time_limit_used, best_repeats_so_far)`` is called a few
    times per second while searching.  Raises ``PlanError`` for infeasible requests.
    """
    started = time.perf_counter()
    instance = build_instance(request)
    rng = random.Random(request.seed)
    if instance.sit_outs and instance.future_rotations:
        rotations = _plan_with_sit_outs(request, instance, rng, progress)
        stats = evaluate(rotations, request)
        stats.seconds = time.perf_counter() - started
        return Plan(rotations=rotations, stats=stats)
    bound = lower_bound(instance)
    target_future = bound - instance.prior_repeats
    time_limit = max(0.0, float(request.time_limit))
    deadline = started + time_limit

    schedule = Schedule(instance)
    best_rotations: list[list[list[int]]] = []
    if instance.future_rotations:
        starts = _starting_schedules(instance, schedule, rng)
        best_start = min(starts, key=lambda item: item[0])
        last_report = [started, -1]

        def on_best(future_repeats: int) -> None:
            # report every new repeat count at once, otherwise at most five times a second
            now = time.perf_counter()
            changed = future_repeats != last_report[1]
            if progress is not None and (changed or now - last_report[0] >= 0.2):
                last_report[0], last_report[1] = now, future_repeats
                fraction = (now - started) / time_limit if time_limit else 1.0
                progress(min(1.0, fraction), instance.prior_repeats + future_repeats)

        search = TabuSearch(schedule, rng, target_future)
        best_rotations, _cost, best_future = search.run(
            best_start[1], deadline, request.max_iterations, on_best
        )
        if progress is not None:
            progress(1.0, instance.prior_repeats + best_future)

    rotations = [[list(room) for room in rotation] for rotation in instance.fixed]
    for rotation in order_rotations(instance, best_rotations):
        rotations.append([[instance.names[s] for s in room] for room in _tidy_rotation(rotation)])
    stats = evaluate(rotations, request)
    stats.seconds = time.perf_counter() - started
    return Plan(rotations=rotations, stats=stats)


def _plan_with_sit_outs(
    request: PlanRequest, instance: Instance, rng: random.Random, progress: Progress | None
) -> list[list[list[str]]]:
    """Capped rooms: rotation by rotation, the students who have sat out least sit out
    (ties at random, keep-together groups whole), then the others are planned into the
    rooms around every meeting so far.  With single students this keeps the sit-out counts
    within one of each other after every rotation: nobody sits out twice before everyone
    has sat out once.  Rotations are not reordered (that would break the spread).  Planning
    one rotation at a time can paint itself into a corner, so whole attempts (a quarter of
    the time limit each; four when ``max_iterations`` makes runs reproducible) are repeated
    with fresh random choices, keeping the one with the fewest repeats, until one reaches
    the lower bound."""
    bound = lower_bound(instance)
    limit = max(0.0, float(request.time_limit))
    deadline = time.perf_counter() + limit
    best: tuple[int, list[list[list[str]]]] | None = None
    attempt = 0
    while True:
        share = min(limit / 4, max(0.0, deadline - time.perf_counter()))
        found = _sit_out_attempt(request, instance, random.Random(rng.randrange(2**63)), share)
        attempt += 1
        if best is None or found[0] < best[0]:
            best = found
        if progress is not None:
            progress(min(1.0, 1 - (deadline - time.perf_counter()) / limit) if limit else 1.0,
                     best[0])
        if best[0] <= bound:
            break
        if request.max_iterations is not None:
            if attempt >= 4:
                break
        elif time.perf_counter() >= deadline:
            break
    return best[1]


def _sit_out_attempt(request: PlanRequest, instance: Instance, rng: random.Random,
                     time_limit: float) -> tuple[int, list[list[list[str]]]]:
    """One pass over the future rotations: (repeats, rotations)."""
    names = instance.names
    sat = sit_out_counts(instance.fixed, names)  # already-run rotations count too
    units = [[names[m] for m in unit] for unit in instance.units]
    apart = [(names[i], names[j]) for i, j in instance.apart]
    met: Counter[frozenset[str]] = Counter(instance.history_by_names)
    for rotation in instance.fixed:
        _count_meetings(met, rotation)
    rotations = [[list(room) for room in rotation] for rotation in instance.fixed]
    deadline = time.perf_counter() + time_limit
    future = instance.future_rotations
    for number in range(future):
        out = set(_pick_sit_outs(units, sat, instance.sit_outs, rng))
        for student in out:
            sat[student] += 1
        seated = [x for x in names if x not in out]
        rooms = plan(PlanRequest(
            students=seated, rooms=len(instance.room_sizes), rotations=1,
            apart=[p for p in apart if not set(p) & out],
            together=[u for u in units if len(u) > 1 and not set(u) & out],
            history=[(*sorted(pair), count) for pair, count in met.items() if count],
            seed=rng.randrange(2**31),
            time_limit=max(0.0, (deadline - time.perf_counter()) / (future - number)),
            max_iterations=request.max_iterations,
        )).rotations[0]
        _count_meetings(met, rooms)
        rotations.append(rooms)
    return sum(max(0, c - 1) for c in met.values()), rotations


def _pick_sit_outs(units: list[list[str]], sat: dict[str, int], count: int,
                   rng: random.Random) -> list[str]:
    """``count`` students in whole units, those who sat out least first: the earliest
    units in that order whose sizes still allow the rest to add up exactly."""
    order = sorted(units, key=lambda unit: (max(sat[x] for x in unit), rng.random()))
    reachable: list[set[int]] = [set() for _ in order] + [{0}]
    for index in range(len(order) - 1, -1, -1):
        after = reachable[index + 1]
        reachable[index] = after | {t + len(order[index]) for t in after
                                    if t + len(order[index]) <= count}
    if count not in reachable[0]:
        raise PlanError(f"{count} students cannot sit out each rotation while the keep-together "
                        "groups stay whole")
    picked: list[str] = []
    need = count
    for index, unit in enumerate(order):
        if len(unit) <= need and need - len(unit) in reachable[index + 1]:
            picked += unit
            need -= len(unit)
    return picked


def _count_meetings(met: Counter[frozenset[str]], rotation: list[list[str]]) -> None:
    for room in rotation:
        for i, a in enumerate(room):
            for b in room[i + 1:]:
                met[frozenset((a, b))] += 1


def order_rotations(instance: Instance, rotations: list[list[list[int]]]) -> list[list[list[int]]]:
    """Reorder the future rotations so that repeats come as late as possible.

    The order does not change how often any pair meets, only when.  Greedily take next
    the rotation with the fewest meetings of pairs that already met (prior meetings and
    the rotations taken so far); ties keep the search's order.
    """
    n = instance.n
    met = bytearray(n * n)
    for (i, j), count in instance.prior.items():
        if count:
            met[i * n + j] = met[j * n + i] = 1
    remaining = list(range(len(rotations)))
    ordered: list[list[list[int]]] = []
    while remaining:

        def repeats_if_next(index: int) -> int:
            return sum(
                met[x * n + y] for room in rotations[index] for x in room for y in room if x < y
            )

        chosen = min(remaining, key=lambda index: (repeats_if_next(index), index))
        remaining.remove(chosen)
        ordered.append(rotations[chosen])
        for room in rotations[chosen]:
            for x in room:
                for y in room:
                    if x != y:
                        met[x * n + y] = 1
    return ordered


def _tidy_rotation(rotation: list[list[int]]) -> list[list[int]]:
    """Stable presentation: members in roster order, larger rooms first, then by member."""
    rooms = [sorted(room) for room in rotation if room]
    return sorted(rooms, key=lambda room: (-len(room), room[0]))


def _starting_schedules(
    instance: Instance, schedule: Schedule, rng: random.Random
) -> list[tuple[int, list[list[list[int]]]]]:
    """Candidate starts as (cost, rotations): algebraic construction and greedy."""
    starts: list[tuple[int, list[list[list[int]]]]] = []
    constructed = _constructed_start(instance, schedule, rng) if USE_CONSTRUCTIONS else None
    if constructed is not None:
        schedule.set_rotations(constructed)
        starts.append((schedule.total_cost(), constructed))
    greedy = greedy_schedule(schedule, rng)
    schedule.set_rotations(greedy)
    starts.append((schedule.total_cost(), greedy))
    return starts


def _constructed_start(
    instance: Instance, schedule: Schedule, rng: random.Random
) -> list[list[list[int]]] | None:
    """A design-based start when the instance has the right shape, else None.

    Designs put every pair together at most once, so they only apply without
    keep-together groups; keep-apart pairs are handled by relabelling the points until
    no apart pair shares a room.  Rotations the design cannot provide are filled greedily.
    """
    n = instance.n
    sizes = instance.room_sizes
    rotations = instance.future_rotations
    if any(len(unit) > 1 for unit in instance.units):
        return None
    # Designs for rooms of the largest size; the rooms one smaller lose a point each, taken
    # from a set of points that never share a room in the rotations used.
    largest, room_count = sizes[0], len(sizes)
    candidates: list[list[list[list[int]]]] = []
    for design in resolvable_designs(largest, room_count, rotations, rng):
        trimmed = delete_points(design, largest * room_count - n, rng)
        if trimmed is not None:
            candidates.append(trimmed)
    wanted_sizes = sorted(sizes)
    candidates = [
        design
        for design in candidates
        if design and all(sorted(map(len, rotation)) == wanted_sizes for rotation in design)
    ]
    if not candidates:
        return None
    design = max(candidates, key=len)  # the first of the longest wins ties
    if len(design) < min(2, rotations):
        return None
    # Relabel the design's points at random so that no apart pair shares a room; with
    # earlier meetings (history, run rotations) keep the cheapest of a few labellings.
    best_cost: int | None = None
    best_design: list[list[list[int]]] | None = None
    for _attempt in range(20 if instance.prior else 1):
        labels = apart_labels(design, n, instance.apart, rng)
        if labels is None:
            break
        relabelled = [[[labels[p] for p in room] for room in rotation] for rotation in design]
        if not instance.prior:
            best_design = relabelled
            break
        schedule.set_rotations(relabelled)
        cost = schedule.total_cost()
        if best_cost is None or cost < best_cost:
            best_cost, best_design = cost, relabelled
    if best_design is None:
        return None
    relabelled = best_design
    # History may make some design rotations costly: the tabu search will repair them.
    schedule.set_rotations(relabelled)
    for r in range(len(relabelled), rotations):
        relabelled.append(greedy_rotation(schedule, r, rng))
        schedule.set_rotations(relabelled)
    return relabelled
