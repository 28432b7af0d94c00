"""Independent statistics of a schedule and the instance lower bound on repeats."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .model import Instance, PlanRequest, PlanStats, build_instance, room_sizes


def lower_bound(instance: Instance) -> int:
    """A valid lower bound on R = sum over pairs of max(0, meetings - 1).

    R splits into the repeats already fixed by history/run rotations, the repeats forced
    by keep-together pairs (they meet in every future rotation) and the repeats of every
    other pair.  For the latter, student s has F_s future partner slots, of which T_s go
    to its together partners; only u_s classmates are still unmet and allowed (not kept
    apart, not a together partner), so at least F_s - T_s - u_s of its slots repeat.
    Each repeat is seen by both students of the pair, hence the halving.
    """
    n = instance.n
    future = instance.future_rotations
    bound = instance.prior_repeats
    if future == 0:
        return bound
    if instance.sit_outs:
        return bound + _sit_out_bound(instance)
    sizes = instance.room_sizes
    smallest_slots = future * (min(sizes) - 1)
    total_slots = future * sum(size * (size - 1) for size in sizes)

    forbidden = [0] * n  # classmates that cannot be new partners (apart, already met)
    met_before: list[set[int]] = [set() for _ in range(n)]
    for (i, j), count in instance.prior.items():
        if count:
            met_before[i].add(j)
            met_before[j].add(i)
    for i, j in instance.apart:
        forbidden[i] += 1
        forbidden[j] += 1
    for i, j in instance.apart:
        # an apart pair that met before is counted once only
        if j in met_before[i]:
            forbidden[i] -= 1
            forbidden[j] -= 1
    # a together group that fills the largest room can never have anyone else with it
    full_members = {m for unit in instance.units if len(unit) >= max(sizes) for m in unit}
    if full_members:
        apart_partners: list[set[int]] = [set() for _ in range(n)]
        for i, j in instance.apart:
            apart_partners[i].add(j)
            apart_partners[j].add(i)
        for s in range(n):
            if s not in full_members:
                forbidden[s] += len(full_members - met_before[s] - apart_partners[s])

    per_student_excess = 0
    aggregate_excess = 0
    for unit in instance.units:
        group_size = len(unit)
        for member in unit:
            if group_size > 1:
                for other in unit:
                    if other > member:
                        count = instance.prior.get((member, other), 0)
                        bound += future if count else future - 1
            unmet_group = sum(1 for o in unit if o != member and o not in met_before[member])
            unmet_allowed = (n - 1) - len(met_before[member]) - forbidden[member] - unmet_group
            together_slots = future * (group_size - 1)
            per_student_excess += max(0, smallest_slots - together_slots - unmet_allowed)
            aggregate_excess += -together_slots - unmet_allowed
    aggregate_excess += total_slots
    counting = bound + math.ceil(max(per_student_excess, aggregate_excess, 0) / 2)
    return max(counting, instance.prior_repeats + _pigeonhole_bound(sizes, future))


def _sit_out_bound(instance: Instance) -> int:
    """With students sitting out, who meets how often depends on who sits out when, so only
    the aggregate count holds: the future rotations hold M meetings, and at most U of them
    can be first meetings (pairs not met before and not kept apart); the rest repeat."""
    n = instance.n
    meetings = instance.future_rotations * sum(s * (s - 1) // 2 for s in instance.room_sizes)
    met = {pair for pair, count in instance.prior.items() if count}
    unmet = n * (n - 1) // 2 - len(met) - len(instance.apart - met)
    return max(0, meetings - unmet)


def _pigeonhole_bound(sizes: list[int], future: int) -> int:
    """Repeats forced when rooms are larger than the room count.

    Take any future rotation as reference.  A room of size s in another rotation draws
    its students from the m reference rooms, so at least sum C(x_i, 2) of its pairs
    (x balanced over the m rooms) already met in the reference rotation; every such
    meeting is a distinct repeat.
    """
    rooms = len(sizes)
    per_rotation = 0
    for size in sizes:
        share, spill = divmod(size, rooms)
        per_rotation += spill * (share + 1) * share // 2
        per_rotation += (rooms - spill) * share * (share - 1) // 2
    return (future - 1) * per_rotation


@dataclass(frozen=True)
class MeetingStats:
    """What the meetings of a schedule add up to, on top of a history of meetings."""

    repeats: int  # sum over pairs of max(0, meetings - 1), history included
    max_meetings: int
    first_repeat_rotation: int | None
    distinct_partners_min: int
    distinct_partners_mean: float
    new_pair_share: float


def meeting_stats(rotations: Iterable[Iterable[Iterable[object]]],
                  history: Mapping[frozenset[str], int], *,
                  students: Iterable[str] | None = None, first_number: int = 1
                  ) -> MeetingStats:
    """Count the meetings of ``rotations`` (numbered from ``first_number``) after
    ``history`` (pair -> times met). Distinct partners are counted for ``students`` (None:
    for everyone placed); the one place these statistics are computed."""
    meetings: Counter[frozenset[str]] = Counter(history)
    repeats = sum(max(0, c - 1) for c in history.values())
    first_repeat: int | None = None
    count_all = students is None
    partners: dict[str, set[str]] = {name: set() for name in students or ()}
    total_meetings = 0
    new_meetings = 0
    for number, rotation in enumerate(rotations, start=first_number):
        for room in rotation:
            members = [str(s) for s in room]
            for x in range(len(members)):
                for y in range(x + 1, len(members)):
                    a, b = members[x], members[y]
                    key = frozenset((a, b))
                    total_meetings += 1
                    if meetings[key]:
                        repeats += 1
                        if first_repeat is None:
                            first_repeat = number
                    else:
                        new_meetings += 1
                    meetings[key] += 1
                    if count_all or a in partners:
                        partners.setdefault(a, set()).add(b)
                    if count_all or b in partners:
                        partners.setdefault(b, set()).add(a)
    distinct = [len(p) for p in partners.values()] or [0]
    return MeetingStats(
        repeats=repeats,
        max_meetings=max(meetings.values(), default=0),
        first_repeat_rotation=first_repeat,
        distinct_partners_min=min(distinct),
        distinct_partners_mean=sum(distinct) / len(distinct),
        new_pair_share=new_meetings / total_meetings if total_meetings else 1.0,
    )


def evaluate(rotations: list[list[list[str]]], request: PlanRequest) -> PlanStats:
    """Recompute every statistic of ``rotations`` for ``request`` from scratch.

    Violations are counted in the rotations after the already-run prefix (those are
    history and are not re-checked): keep-apart pairs sharing a room, split keep-together
    groups, absent or unknown students placed, present students missing or placed twice,
    and room sizes that break the size rule.
    """
    instance = build_instance(request)
    met = meeting_stats(rotations, instance.history_by_names, students=instance.names)
    details = _violations(rotations, request, instance)
    sat = sit_out_counts(rotations, instance.names) if instance.sit_outs else {}
    return PlanStats(
        repeats=met.repeats,
        lower_bound=lower_bound(instance),
        max_meetings=met.max_meetings,
        first_repeat_rotation=met.first_repeat_rotation,
        distinct_partners_min=met.distinct_partners_min,
        distinct_partners_mean=met.distinct_partners_mean,
        violations=len(details),
        new_pair_share=met.new_pair_share,
        sit_outs_min=min(sat.values(), default=0),
        sit_outs_max=max(sat.values(), default=0),
        violation_details=details,
    )


def sit_out_counts(rotations: list[list[list[str]]], present: list[str]) -> dict[str, int]:
    """How many of the rotations each present student spends outside every room."""
    counts = dict.fromkeys(present, 0)
    for rotation in rotations:
        placed = {str(s) for room in rotation for s in room}
        for student in present:
            if student not in placed:
                counts[student] += 1
    return counts


def _violations(
    rotations: list[list[list[str]]], request: PlanRequest, instance: Instance
) -> list[str]:
    present = set(instance.names)
    apart = [(instance.names[i], instance.names[j]) for i, j in instance.apart]
    groups = [[instance.names[m] for m in unit] for unit in instance.units if len(unit) > 1]
    expected_sizes = sorted(room_sizes(len(present), request.size, request.rooms, request.leftover,
                                       request.max_size))
    details: list[str] = []
    for number, rotation in enumerate(rotations, start=1):
        if number <= len(instance.fixed):
            continue
        room_of: dict[str, int] = {}
        for room_number, room in enumerate(rotation):
            for student in map(str, room):
                if student not in present:
                    details.append(f"rotation {number}: {student} is absent or unknown")
                elif student in room_of:
                    details.append(f"rotation {number}: {student} is placed twice")
                room_of.setdefault(student, room_number)
        # With capped rooms the students without a room sit out; the size rule counts them.
        missing = [] if instance.sit_outs else sorted(present - set(room_of))
        details.extend(f"rotation {number}: {student} has no room" for student in missing)
        if sorted(len(room) for room in rotation if room) != expected_sizes:
            details.append(f"rotation {number}: room sizes break the size rule")
        for a, b in apart:
            if a in room_of and room_of.get(a) == room_of.get(b):
                details.append(f"rotation {number}: keep-apart {a} and {b} share a room")
        for group in groups:
            if len({room_of.get(s) for s in group}) > 1:
                details.append(f"rotation {number}: keep-together group {group} is split")
    return details
