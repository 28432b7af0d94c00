"""Schedule state with incremental pair bookkeeping, greedy construction and tabu search.

The state keeps, for every pair of present students (i, j), a key
``mask | prior << R`` where bit r of ``mask`` says the pair shares a room in future
rotation r and ``prior`` counts earlier meetings (history + already-run rotations).
The cost of a pair is a function of that key only (memoised in ``PairCost``), so a swap
in rotation r changes each affected key by XOR with ``1 << r`` and its effect is a handful
of table look-ups.

Pair cost (all integers, roughly lexicographic):
  REPEAT_WEIGHT * repeats + SPREAD_WEIGHT * repeats * (repeats - 1) / 2 + time term
where repeats = max(0, meetings - 1) over all meetings of the pair. The quadratic term
makes one pair meeting three times worse than two pairs meeting twice; the time term adds
w(r) (from 100 for the first future rotation down to 1 for the last) for every meeting
in rotation r that is a repeat, so unavoidable repeats drift to later rotations.

Size: the schedule state and the greedy and tabu searches that change it share the incremental
pair bookkeeping described above; apart, each would need the other's internals.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from itertools import combinations

from .model import Instance, PlanError, place_constrained

REPEAT_WEIGHT = 100_000
SPREAD_WEIGHT = 1_000
TIME_WEIGHT_MAX = 100
TENURE_MIN, TENURE_MAX = 2, 6
STALL_BASE, STALL_PER_STUDENT = 100, 6


class PairCost(dict[int, int]):
    """Memoised cost of a pair key (see the module docstring)."""

    def __init__(self, rotations: int) -> None:
        super().__init__()
        self.rotations = rotations
        self.rotation_mask = (1 << rotations) - 1
        span = max(1, rotations - 1)
        self.time_weight = [
            1 + (TIME_WEIGHT_MAX - 1) * (rotations - 1 - r) // span for r in range(rotations)
        ]

    def __missing__(self, key: int) -> int:
        mask = key & self.rotation_mask
        prior = key >> self.rotations
        meetings = prior + mask.bit_count()
        repeats = max(0, meetings - 1)
        cost = REPEAT_WEIGHT * repeats + SPREAD_WEIGHT * repeats * (repeats - 1) // 2
        first_is_new = prior == 0
        for r in range(self.rotations):
            if mask >> r & 1:
                if first_is_new:
                    first_is_new = False  # the pair's first-ever meeting is not a repeat
                else:
                    cost += self.time_weight[r]
        self[key] = cost
        return cost


class FlipCost(dict[int, int]):
    """Memoised cost change of toggling one rotation bit of a pair key."""

    def __init__(self, cost_of: PairCost, bit: int) -> None:
        super().__init__()
        self.cost_of = cost_of
        self.bit = bit

    def __missing__(self, key: int) -> int:
        value = self.cost_of[key ^ self.bit] - self.cost_of[key]
        self[key] = value
        return value


class PairRepeats(dict[int, int]):
    """Memoised number of repeats a pair key adds on top of its prior meetings."""

    def __init__(self, rotations: int) -> None:
        super().__init__()
        self.rotations = rotations
        self.rotation_mask = (1 << rotations) - 1

    def __missing__(self, key: int) -> int:
        prior = key >> self.rotations
        meetings = prior + (key & self.rotation_mask).bit_count()
        value = max(0, meetings - 1) - max(0, prior - 1)
        self[key] = value
        return value


class Schedule:
    """Future rotations of the present students plus incremental pair keys."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.n = instance.n
        self.rotation_count = instance.future_rotations
        self.cost_of = PairCost(self.rotation_count)
        self.repeats_of = PairRepeats(self.rotation_count)
        self.flip = [FlipCost(self.cost_of, 1 << r) for r in range(self.rotation_count)]
        n = self.n
        self.keys = [0] * (n * n)
        for (i, j), count in instance.prior.items():
            self.keys[i * n + j] = self.keys[j * n + i] = count << self.rotation_count
        self.rooms: list[list[list[int]]] = []
        self.room_of: list[list[int]] = []
        self.apart_of: list[set[int]] = [set() for _ in range(n)]
        for i, j in instance.apart:
            self.apart_of[i].add(j)
            self.apart_of[j].add(i)
        self.sizes_differ = len(set(instance.room_sizes)) > 1
        self.single = [len(instance.units[instance.unit_of[s]]) == 1 for s in range(n)]

    # -- whole-schedule values ---------------------------------------------------------
    def _met_pairs(self) -> set[int]:
        """Flat indices i*n+j (i < j) of pairs with a non-zero key."""
        n = self.n
        pairs = {i * n + j for i, j in self.instance.prior}
        for rotation in self.rooms:
            for room in rotation:
                for x in room:
                    for y in room:
                        if x < y:
                            pairs.add(x * n + y)
        return pairs

    def total_cost(self) -> int:
        keys, cost_of = self.keys, self.cost_of
        return sum(cost_of[keys[index]] for index in self._met_pairs())

    def future_repeats(self) -> int:
        keys, repeats_of = self.keys, self.repeats_of
        return sum(repeats_of[keys[index]] for index in self._met_pairs())

    def set_rotations(self, rotations: list[list[list[int]]]) -> None:
        n = self.n
        prior_only = (1 << self.rotation_count) - 1
        self.keys = [key & ~prior_only for key in self.keys]
        self.rooms = [[list(room) for room in rotation] for rotation in rotations]
        self.room_of = []
        for r, rotation in enumerate(self.rooms):
            bit = 1 << r
            where = [0] * n
            for room_index, room in enumerate(rotation):
                for x in room:
                    where[x] = room_index
                    for y in room:
                        if x != y:
                            self.keys[x * n + y] |= bit
            self.room_of.append(where)
        self._compute_removal()

    def _compute_removal(self) -> None:
        """removal[r][s]: cost change if s left its room in rotation r (own group excluded)."""
        n, keys, cost_of = self.n, self.keys, self.cost_of
        unit_of = self.instance.unit_of
        self.removal = []
        for r, rotation in enumerate(self.rooms):
            bit = 1 << r
            gains = [0] * n
            for room in rotation:
                for s in room:
                    row, unit_s, total = s * n, unit_of[s], 0
                    for x in room:
                        if unit_of[x] != unit_s:  # own group partners meet anyway
                            key = keys[row + x]
                            total += cost_of[key ^ bit] - cost_of[key]
                    gains[s] = total
            self.removal.append(gains)

    def snapshot(self) -> list[list[list[int]]]:
        return [[list(room) for room in rotation] for rotation in self.rooms]

    # -- moves -------------------------------------------------------------------------
    def exchange_delta(
        self, r: int, room_a: int, movers_a: list[int], room_b: int, movers_b: list[int]
    ) -> int:
        """Cost change of moving ``movers_a`` from room_a to room_b and ``movers_b`` back."""
        n, keys, cost_of, bit = self.n, self.keys, self.cost_of, 1 << r
        rooms = self.rooms[r]
        stay_a = [x for x in rooms[room_a] if x not in movers_a]
        stay_b = [y for y in rooms[room_b] if y not in movers_b]
        delta = 0
        for movers, old_mates, new_mates in (
            (movers_a, stay_a, stay_b),
            (movers_b, stay_b, stay_a),
        ):
            for s in movers:
                row = s * n
                for x in (*old_mates, *new_mates):
                    key = keys[row + x]
                    delta += cost_of[key ^ bit] - cost_of[key]
        return delta

    def exchange(
        self, r: int, room_a: int, movers_a: list[int], room_b: int, movers_b: list[int]
    ) -> int:
        """Apply the exchange; return the change in future repeats."""
        n, keys, repeats_of, bit = self.n, self.keys, self.repeats_of, 1 << r
        cost_of, removal = self.cost_of, self.removal
        rotation_mask = self.cost_of.rotation_mask
        rooms = self.rooms[r]
        stay_a = [x for x in rooms[room_a] if x not in movers_a]
        stay_b = [y for y in rooms[room_b] if y not in movers_b]
        change = 0
        for movers, old_mates, new_mates in (
            (movers_a, stay_a, stay_b),
            (movers_b, stay_b, stay_a),
        ):
            for s in movers:
                row = s * n
                for x in (*old_mates, *new_mates):
                    key = keys[row + x]
                    new_key = key ^ bit
                    change += repeats_of[new_key] - repeats_of[key]
                    keys[row + x] = keys[x * n + s] = new_key
                    # keep removal gains of both students current in every shared rotation
                    shared = (key | new_key) & rotation_mask
                    while shared:
                        low = shared & -shared
                        shared ^= low
                        term = 0
                        if new_key & low:
                            term += cost_of[new_key ^ low] - cost_of[new_key]
                        if key & low:
                            term -= cost_of[key ^ low] - cost_of[key]
                        if term:
                            gains = removal[low.bit_length() - 1]
                            gains[s] += term
                            gains[x] += term
        rooms[room_a] = stay_a + movers_b
        rooms[room_b] = stay_b + movers_a
        where = self.room_of[r]
        for s in movers_b:
            where[s] = room_a
        for s in movers_a:
            where[s] = room_b
        return change

    def fits_apart(self, r: int, movers: list[int], target_room: int, leaving: list[int]) -> bool:
        """True when ``movers`` may join ``target_room`` (minus ``leaving``) in rotation r."""
        for s in movers:
            if self.apart_of[s]:
                for mate in self.rooms[r][target_room]:
                    if mate in self.apart_of[s] and mate not in leaving:
                        return False
        return True


def greedy_rotation(
    schedule: Schedule, r: int, rng: random.Random, attempts: int = 50
) -> list[list[int]]:
    """Fill rotation r unit by unit, each into the allowed room that adds the least cost."""
    instance = schedule.instance
    n, keys, cost_of, bit = schedule.n, schedule.keys, schedule.cost_of, 1 << r
    capacities = instance.room_sizes
    multi = [u for u in instance.units if len(u) > 1]
    singles = [u for u in instance.units if len(u) == 1]
    # most constrained singles (keep-apart) go first so they still find an allowed room
    constrained = [u for u in singles if schedule.apart_of[u[0]]]
    free_singles = [u for u in singles if not schedule.apart_of[u[0]]]
    # partners each student met before (prior meetings or another rotation): only rooms
    # holding one of them can cost anything, so the rest need no pair look-ups
    met: list[set[int]] = [set() for _ in range(n)]
    for i, j in instance.prior:
        met[i].add(j)
        met[j].add(i)
    for other, rotation in enumerate(schedule.rooms):
        if other != r:
            for room in rotation:
                for x in room:
                    met[x].update(room)
    for x in range(n):
        met[x].discard(x)
    apart_of = schedule.apart_of
    failed: list[int] | None = None
    forced_rooms: dict[tuple[int, ...], int] = {}
    for _attempt in range(attempts):
        rng.shuffle(constrained)
        rng.shuffle(free_singles)
        order = multi + constrained + free_singles
        rooms: list[list[int]] = [[] for _ in capacities]
        free = list(capacities)
        where = [-1] * n
        open_rooms = list(range(len(capacities)))
        failed = None
        if _attempt >= 3 and (multi or constrained):
            # the cost-driven choices keep boxing units in: place the constrained units
            # by backtracking instead (random room order) and let the greedy do the rest
            fixed_units = multi + constrained
            placement, _complete = place_constrained(fixed_units, capacities, apart_of, rng)
            if placement is not None:
                forced_rooms = dict(zip(map(tuple, fixed_units), placement, strict=True))
        for unit in order:
            added: dict[int, int] = {}
            blocked: set[int] = set()
            for s in unit:
                row = s * n
                for mate in met[s]:
                    room_index = where[mate]
                    if room_index >= 0:
                        key = keys[row + mate]
                        added[room_index] = (
                            added.get(room_index, 0) + cost_of[key ^ bit] - cost_of[key]
                        )
                for mate in apart_of[s]:
                    if where[mate] >= 0:
                        blocked.add(where[mate])
            size = len(unit)
            best_rooms: list[int] = []
            best_score = 0
            for room_index in open_rooms:
                if free[room_index] < size or room_index in blocked:
                    continue
                # prefer emptier rooms slightly so large units/apart pairs keep options
                score = added.get(room_index, 0) * 64 - free[room_index]
                if not best_rooms or score < best_score:
                    best_rooms, best_score = [room_index], score
                elif score == best_score:
                    best_rooms.append(room_index)
            chosen = forced_rooms.get(tuple(unit), -1)
            if chosen < 0:
                if not best_rooms:
                    failed = unit
                    break
                chosen = rng.choice(best_rooms)
            rooms[chosen].extend(unit)
            free[chosen] -= size
            for s in unit:
                where[s] = chosen
            if not free[chosen]:
                open_rooms.remove(chosen)
        if failed is None:
            return rooms
    members = failed or []
    names = ", ".join(instance.names[s] for s in members)
    apart_names = sorted(
        {f"({instance.names[s]}, {instance.names[o]})" for s in members for o in apart_of[s]}
    )
    detail = f" (keep-apart {', '.join(apart_names)})" if apart_names else ""
    raise PlanError(
        f"could not place ({names}) in rotation {len(instance.fixed) + r + 1}: "
        f"the keep-apart and keep-together constraints leave it no room{detail}"
    )


def greedy_schedule(schedule: Schedule, rng: random.Random) -> list[list[list[int]]]:
    """Round-by-round greedy (each round sees the pair keys of the rounds before it)."""
    schedule.set_rotations([])
    built: list[list[list[int]]] = []
    for r in range(schedule.rotation_count):
        rotation = greedy_rotation(schedule, r, rng)
        built.append(rotation)
        schedule.set_rotations(built)
    return built


class TabuSearch:
    """Dotu/Van Hentenryck style tabu search on swaps that touch a conflicting student.

    Each iteration looks, in every rotation, at students that share their room with
    someone they meet elsewhere too (their removal gain is negative) and evaluates every
    swap with a student of another room, plus moves into a smaller room when room sizes
    differ and exchanges of a keep-together group with whole units of the same size.  The
    best non-tabu move is applied (a tabu move only when it beats the best cost so far).
    After a long stretch without a new best, the search restarts from the best schedule
    with a few random swaps.
    """

    def __init__(self, schedule: Schedule, rng: random.Random, target_repeats: int) -> None:
        self.schedule = schedule
        self.rng = rng
        self.target_future = target_repeats
        # tabu_until[r][s]: iteration until which moving s in rotation r is tabu
        self.tabu_until = [[0] * schedule.n for _ in range(schedule.rotation_count)]
        self.iteration = 0

    def run(
        self,
        start: list[list[list[int]]],
        deadline: float,
        max_iterations: int | None,
        on_best: Callable[[int], None],
    ) -> tuple[list[list[list[int]]], int, int]:
        """Return (best rotations, best cost, best future repeats)."""
        schedule, rng = self.schedule, self.rng
        schedule.set_rotations(start)
        cost = schedule.total_cost()
        repeats = schedule.future_repeats()
        best, best_cost, best_repeats = schedule.snapshot(), cost, repeats
        on_best(best_repeats)
        if best_repeats <= self.target_future or schedule.rotation_count == 0:
            return best, best_cost, best_repeats
        stall = 0
        stall_limit = STALL_BASE + STALL_PER_STUDENT * schedule.n
        perturb_strength = 1
        stuck = False
        while True:
            self.iteration += 1
            if max_iterations is not None and self.iteration > max_iterations:
                break
            if time.perf_counter() >= deadline:
                break
            if not self.iteration % 32:
                on_best(best_repeats)  # lets the caller report progress during stalls
            move = self._best_move(cost, best_cost)
            if move is None:
                stall = stall_limit  # nothing admissible: force a perturbation
                stuck = True
            else:
                delta, r, room_a, movers_a, room_b, movers_b = move
                repeats += schedule.exchange(r, room_a, movers_a, room_b, movers_b)
                cost += delta
                for s in (*movers_a, *movers_b):
                    self.tabu_until[r][s] = self.iteration + rng.randint(TENURE_MIN, TENURE_MAX)
                if cost < best_cost:
                    best, best_cost, best_repeats = schedule.snapshot(), cost, repeats
                    stall = 0
                    perturb_strength = 1
                    on_best(best_repeats)
                    if best_repeats <= self.target_future:
                        break
                else:
                    stall += 1
            if stall >= stall_limit:
                schedule.set_rotations(best)
                swapped = sum(self._random_swap() for _ in range(perturb_strength))
                if stuck and not swapped:
                    break  # no move of any kind exists (e.g. everyone in fixed groups)
                stuck = False
                perturb_strength = min(perturb_strength + 1, 2 + schedule.n // 4)
                cost = schedule.total_cost()
                repeats = schedule.future_repeats()
                for row in self.tabu_until:
                    row[:] = [0] * len(row)
                stall = 0
        return best, best_cost, best_repeats

    def _random_swap(self) -> bool:
        """Swap two random single students of one rotation; False if none was found."""
        schedule, rng = self.schedule, self.rng
        for _try in range(20):
            r = rng.randrange(schedule.rotation_count)
            rooms = schedule.rooms[r]
            if len(rooms) < 2:
                return False
            room_a, room_b = rng.sample(range(len(rooms)), 2)
            singles_a = [s for s in rooms[room_a] if schedule.single[s]]
            singles_b = [s for s in rooms[room_b] if schedule.single[s]]
            if not singles_a or not singles_b:
                continue
            a, b = rng.choice(singles_a), rng.choice(singles_b)
            if schedule.fits_apart(r, [a], room_b, [b]) and schedule.fits_apart(
                r, [b], room_a, [a]
            ):
                schedule.exchange(r, room_a, [a], room_b, [b])
                return True
        return False

    def _best_move(
        self, cost: int, best_cost: int
    ) -> tuple[int, int, int, list[int], int, list[int]] | None:
        schedule = self.schedule
        n, keys = schedule.n, schedule.keys
        single, apart_of = schedule.single, schedule.apart_of
        unit_of = schedule.instance.unit_of
        iteration = self.iteration
        best_delta: int | None = None
        best_moves: list[tuple[int, int, int, list[int], int, list[int]]] = []
        aspiration = best_cost - cost  # a tabu move is allowed when delta < aspiration

        for r in range(schedule.rotation_count):
            rooms = schedule.rooms[r]
            where = schedule.room_of[r]
            removal = schedule.removal[r]
            flip = schedule.flip[r]
            tabu = self.tabu_until[r]
            joining_cache: dict[int, list[int]] = {}
            groups_done: set[int] = set()
            sizes_differ = schedule.sizes_differ
            for a in range(n):
                if removal[a] >= 0:
                    continue
                room_a = where[a]
                if not single[a]:
                    unit = unit_of[a]
                    if unit not in groups_done:
                        groups_done.add(unit)
                        group = schedule.instance.units[unit]
                        self._group_moves(r, group, cost, best_cost, best_moves, best_delta)
                        if best_moves:
                            best_delta = best_moves[0][0]
                    continue
                a_tabu = tabu[a] > iteration
                members_a = rooms[room_a]
                join_a = joining_cache.get(room_a)
                if join_a is None:
                    # cost of every student joining a's room as it is now
                    join_a = [0] * n
                    for s in range(n):
                        if where[s] != room_a:
                            row = s * n
                            total = 0
                            for y in members_a:
                                total += flip[keys[row + y]]
                            join_a[s] = total
                    joining_cache[room_a] = join_a
                row_a = a * n
                removal_a = removal[a]
                for room_b, members_b in enumerate(rooms):
                    if room_b == room_a:
                        continue
                    base = removal_a
                    for y in members_b:
                        base += flip[keys[row_a + y]]
                    if sizes_differ and len(members_b) < len(members_a):
                        # plain move of a into a smaller room keeps the size rule
                        delta = base
                        if (
                            (best_delta is None or delta <= best_delta)
                            and (not a_tabu or delta < aspiration)
                            and not (apart_of[a] and apart_of[a] & set(members_b))
                        ):
                            if best_delta is None or delta < best_delta:
                                best_delta, best_moves = delta, []
                            best_moves.append((delta, r, room_a, [a], room_b, []))
                    for b in members_b:
                        delta = base + removal[b] + join_a[b] - 2 * flip[keys[row_a + b]]
                        if best_delta is not None and delta > best_delta:
                            continue
                        if not single[b]:
                            continue
                        if (a_tabu or tabu[b] > iteration) and delta >= aspiration:
                            continue
                        if apart_of[a] and apart_of[a] & (set(members_b) - {b}):
                            continue
                        if apart_of[b] and apart_of[b] & (set(members_a) - {a}):
                            continue
                        if best_delta is None or delta < best_delta:
                            best_delta, best_moves = delta, []
                        best_moves.append((delta, r, room_a, [a], room_b, [b]))
        if not best_moves:
            return None
        return self.rng.choice(best_moves)

    def _group_moves(
        self,
        r: int,
        group: list[int],
        cost: int,
        best_cost: int,
        best_moves: list[tuple[int, int, int, list[int], int, list[int]]],
        best_delta: int | None,
    ) -> None:
        """Exchange a keep-together group with whole units of the same total size elsewhere.

        The partner set is made of whole units (singles and/or other groups) of another
        room; a few combinations per room are tried, so the scan stays cheap.
        """
        schedule, rng = self.schedule, self.rng
        instance = schedule.instance
        rooms = schedule.rooms[r]
        room_a = schedule.room_of[r][group[0]]
        tabu = any(self.tabu_until[r][s] > self.iteration for s in group)
        size = len(group)
        for room_b, members_b in enumerate(rooms):
            if room_b == room_a:
                continue
            units_b = list({instance.unit_of[s]: None for s in members_b})
            rng.shuffle(units_b)
            tried = 0
            for count in range(1, size + 1):
                if tried >= 6:
                    break
                for combination in combinations(units_b, count):
                    if sum(len(instance.units[u]) for u in combination) != size:
                        continue
                    tried += 1
                    chosen = [s for u in combination for s in instance.units[u]]
                    if not schedule.fits_apart(r, group, room_b, chosen):
                        continue
                    if not schedule.fits_apart(r, chosen, room_a, group):
                        continue
                    delta = schedule.exchange_delta(r, room_a, list(group), room_b, chosen)
                    if tabu and delta >= best_cost - cost:
                        continue
                    current = best_moves[0][0] if best_moves else best_delta
                    if current is None or delta < current:
                        best_moves.clear()
                    if not best_moves or delta == best_moves[0][0]:
                        best_moves.append((delta, r, room_a, list(group), room_b, chosen))
                    if tried >= 6:
                        break
