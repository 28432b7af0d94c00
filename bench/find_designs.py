"""Find the resolvable designs stored in ``server/planner/tables/designs.json``.

Usage: python bench/find_designs.py [--only NAME ...] [--seconds S] [--nodes N]

Regenerate the stored table (about 5 minutes on a loaded 2-core machine):
python bench/find_designs.py --only nkts-24 nkts-30-b nkts-36-b rbibd-28-4 rbibd-40-4 \
    golf-24-4-7-b golf-30-5-6 nkts-18-m golf-32-4-10-z2 --seconds 150

Every design is a set of rotations (parallel classes) of n = levels * q + fixed points in rooms
of k in which no pair meets twice.  Points are (x, level) with x in Z_q, plus a few fixed
points that every translation leaves alone.  A design is
* ``invariant`` classes: {(s + a_0, 0), ..., (s + a_{k-1}, k-1)} for s in Z_q (levels == k);
* the q translates (x -> x + 1) of one ``base`` class.
Two points meet in a translate of a base block iff their difference "orbit" (level pair and
difference, up to sign on one level) is one of the block's, so a base class whose blocks
cover distinct orbits, none of them covered by an invariant class, gives q + t rotations with
no repeated pair.  The base class is an exact cover (Knuth's algorithm X: every point
once, every orbit at most once, or exactly once when the pair count is tight), or, for a
shape with a multiplier symmetry, randomised backtracking over the orbits of that map;
restarted with fresh random invariant classes and fixed-point rooms.  Seeds are fixed
(one per name), so a run regenerates the same table.

``MULTI`` shapes have no invariant classes but several base classes, each translated (q *
bases rotations), all their rooms chosen in one exact cover: this found NKTS(18) on
Z_4 x 4 levels + 2 fixed points, which has no design of the one-base shapes.

``GROUP`` shapes (social golfers 8-4-10) have no translation moving rotations: every rotation
is invariant under Z_2^3 acting on 4 levels, and the rotations are an exact cover of pair
orbits (``invariant_design``); stored written out in full.

Designs without such a shape are found by the planner's own tabu search run for longer than
a lesson allows (``TABU``: ``plan`` with the constructions off, seeds 0, 1, ... until a
schedule has no repeated pair) and stored written out in full.
``server/planner/constructions.py`` re-verifies every stored design on load.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from server.planner import PlanRequest, engine, plan  # noqa: E402
from server.planner.constructions import TABLE_PATH as TABLE  # noqa: E402
from server.planner.constructions import expand_cyclic, is_resolvable  # noqa: E402

# name: (q, levels, k, invariant classes, fixed points[, (m, shift)]): with (m, shift) the
# base class is also invariant under (x, level) -> (m * x, level + shift), which shrinks the
# search to one room per orbit of that map.
SHAPES: dict[str, tuple[int, ...]] = {
    # found, stored in the table
    "nkts-24": (8, 3, 3, 3, 0),  # nearly Kirkman: 24 in threes, 11 rotations
    "nkts-30-b": (14, 2, 3, 0, 2),  # 30 in threes, 14 rotations
    "nkts-36-b": (17, 2, 3, 0, 2),  # 36 in threes, 17 rotations
    "rbibd-28-4": (7, 4, 4, 2, 0),  # resolvable (28, 4, 1): 28 in fours, 9 rotations
    "rbibd-40-4": (13, 3, 4, 0, 1, 3, 1),  # resolvable (40, 4, 1): 40 in fours, 13 rotations
    "golf-24-4-7-b": (7, 3, 4, 0, 3),  # social golfers 6-4-7: 24 in fours, 7 rotations
    "golf-30-5-6": (6, 5, 5, 0, 0),  # 6-5-6: 30 in fives, 6 rotations
    # not found so far (see docs/PLANNER.md, "Design families and the gap")
    "nkts-18": (8, 2, 3, 0, 2),  # 18 in threes, 8 rotations (none with this symmetry)
    "nkts-18-b": (6, 3, 3, 2, 0),  # (none with this symmetry either)
    # 8-4-10 (32 in fours, 10 rotations): none of these three nor the two MULTI shapes gave
    # one in minutes; GROUP's golf-32-4-10-z2 does in seconds and is the stored one
    "golf-32-4-10": (8, 4, 4, 2, 0),
    "golf-32-4-10-b": (10, 3, 4, 0, 2),
    "golf-32-4-10-c": (10, 3, 4, 0, 2, 1, 1),
    "golf-36-4-11": (9, 4, 4, 2, 0),  # 9-4-11: 36 in fours, 11 rotations
    "golf-30-5-7": (6, 5, 5, 1, 0),  # 6-5-7: 30 in fives, 7 rotations
    "golf-35-5-8": (7, 5, 5, 1, 0),  # 7-5-8: 35 in fives, 8 rotations
    "golf-40-5-9": (8, 5, 5, 1, 0),  # 8-5-9: 40 in fives, 9 rotations
}


def orbit(a: tuple[int, int], b: tuple[int, int], q: int) -> tuple[int, int, int] | None:
    """Difference orbit of two points (x, level); level -1 - i is the fixed point i.  None:
    two fixed points, or a half orbit (difference q/2 on one level), which q translates
    would cover twice."""
    (x, low), (y, high) = sorted((a, b), key=lambda p: (p[1], p[0]))
    if low < 0:
        return None if high < 0 else (low, high, 0)
    if low == high:
        d = (y - x) % q
        if 2 * d == q:
            return None
        return (low, low, min(d, q - d))
    return (low, high, (y - x) % q)

# name: (q, levels, k, base classes, fixed points): several base classes, all translated
MULTI: dict[str, tuple[int, int, int, int, int]] = {
    "nkts-18-m": (4, 4, 3, 2, 2),  # 18 in threes, 8 rotations
    "golf-32-4-10-m": (5, 6, 4, 2, 2),  # 32 in fours, 10 rotations
    "golf-32-4-10-m2": (2, 16, 4, 5, 0),
}

# name: (students, room size, rotations) for the tabu search
TABU: dict[str, tuple[int, int, int]] = {
    "nkts-18-tabu": (18, 3, 8),
}

# name: (levels, k, rotations): every rotation invariant under the translations of
# Z_2^3 = {0..7} with XOR acting on each of ``levels`` copies (see ``invariant_design``)
GROUP: dict[str, tuple[int, int, int]] = {
    "golf-32-4-10-z2": (4, 4, 10),  # social golfers 8-4-10: 32 in fours, 10 rotations
}


def tabu_design(n: int, k: int, rotations: int, seconds: float) -> dict | None:
    engine.USE_CONSTRUCTIONS = False
    deadline = time.perf_counter() + seconds
    seed = 0
    while time.perf_counter() < deadline:
        request = PlanRequest(students=[str(i) for i in range(n)], size=k, rotations=rotations,
                              seed=seed, time_limit=max(0.0, deadline - time.perf_counter()))
        result = plan(request)
        if result.stats.repeats == 0:
            classes = [[[int(s) for s in room] for room in rotation]
                       for rotation in result.rotations]
            return {"n": n, "k": k, "seed": seed, "rotations": classes}
        seed += 1
    return None


def valid_rooms(points: list[tuple[int, int]], k: int, q: int, open_orbits: set
                ) -> list[tuple[tuple[tuple[int, int], ...], list[tuple[int, int, int]]]]:
    """Every room of k points whose pairs have distinct open orbits, with those orbits."""
    rooms = []
    for room in itertools.combinations(points, k):
        orbits = [orbit(a, b, q) for a, b in itertools.combinations(room, 2)]
        if None in orbits or len(set(orbits)) < len(orbits):
            continue
        if all(o in open_orbits for o in orbits):
            rooms.append((room, orbits))  # type: ignore[arg-type]
    return rooms  # type: ignore[return-value]


def exact_cover(options: dict[int, list], primary: set, rng: random.Random,
                node_limit: int) -> list[int] | None:
    """Knuth's algorithm X (dict form, smallest primary column first, options in random
    order): options covering every primary item exactly once and every other item at most
    once, or None (none exists, or the node limit was hit)."""
    columns: dict[object, set[int]] = {}
    for option, items in options.items():
        for item in items:
            columns.setdefault(item, set()).add(option)
    for item in primary:
        columns.setdefault(item, set())
    order = list(options)
    rng.shuffle(order)
    rank = {option: i for i, option in enumerate(order)}
    chosen: list[int] = []
    nodes = [0]

    def select(option: int) -> list[set[int]]:
        removed = []
        for item in options[option]:
            for other in columns[item]:
                for other_item in options[other]:
                    if other_item != item:
                        columns[other_item].discard(other)
            removed.append(columns.pop(item))
        return removed

    def deselect(option: int, removed: list[set[int]]) -> None:
        for item in reversed(options[option]):
            columns[item] = removed.pop()
            for other in columns[item]:
                for other_item in options[other]:
                    if other_item != item:
                        columns[other_item].add(other)

    def solve() -> bool:
        nodes[0] += 1
        if nodes[0] > node_limit:
            return False
        open_primary = [item for item in columns if item in primary]
        if not open_primary:
            return True
        item = min(open_primary, key=lambda c: len(columns[c]))
        for option in sorted(columns[item], key=rank.__getitem__):
            chosen.append(option)
            removed = select(option)
            if solve():
                return True
            deselect(option, removed)
            chosen.pop()
            if nodes[0] > node_limit:
                return False
        return False

    return chosen if solve() else None


def multi_base_design(q: int, levels: int, k: int, bases: int, fixed: int, rng: random.Random,
                      seconds: float, node_limit: int) -> dict | None:
    """``bases`` base classes whose q translates each make a rotation (q * bases rotations),
    all their rooms chosen in one exact cover: every point once per base class, every
    orbit at most once (exactly once when the pair count is tight)."""
    points = [(x, level) for level in range(levels) for x in range(q)]
    points += [(0, -1 - i) for i in range(fixed)]
    open_orbits = {orbit(a, b, q) for a, b in itertools.combinations(points, 2)} - {None}
    rooms = valid_rooms(points, k, q, open_orbits)
    options = {}
    for j in range(bases):
        for i, (room, orbits) in enumerate(rooms):
            options[j * len(rooms) + i] = [("p", j, p) for p in room] + [("o", o) for o in orbits]
    tight = len(open_orbits) == bases * len(points) // k * k * (k - 1) // 2
    primary = {("p", j, p) for j in range(bases) for p in points}
    primary |= {("o", o) for o in open_orbits} if tight else set()
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        chosen = exact_cover(options, primary, rng, node_limit)
        if chosen is not None:
            classes: list[list[list[int]]] = [[] for _ in range(bases)]
            for option in chosen:
                room = rooms[option % len(rooms)][0]
                classes[option // len(rooms)].append([[x, level] for x, level in room])
            return {"q": q, "levels": levels, "k": k, "fixed": fixed, "invariant": [],
                    "bases": classes}
    return None


def invariant_design(levels: int, k: int, rotations: int, rng: random.Random,
                     seconds: float, node_limit: int) -> dict | None:
    """Rotations each invariant under the group G = Z_2^3 (x -> x XOR g on every level).

    Points are (x, level), x in G, numbered level * 8 + x.  G permutes the pairs in orbits
    (8 pairs, or 4 for a pair {x, x ^ g} on one level), so a G-invariant rotation is a union
    of block orbits that tile whole levels, and it covers whole pair orbits.  32 in fours
    over 10 rotations meet 480 of the 496 pairs: each student misses exactly one classmate.
    Fixing that missed matching to {(x, l), (x ^ 1, l)} (one choice up to symmetry: a
    relabelling of G and of the levels), the rotations are an exact cover of the other pair
    orbits by G-invariant rotations (Knuth's algorithm X).  About 13,000 nodes; the
    linear construction (a partial spread of GF(2)^5, invariant under all of Z_2^5) stops at 9
    rotations, and every Z_2^5-invariant design is linear.
    """
    group = range(8)
    points = [(x, level) for level in range(levels) for x in group]
    index = {p: i for i, p in enumerate(points)}

    def shift(p: int, g: int) -> int:
        x, level = points[p]
        return index[(x ^ g, level)]

    orbit_of: dict[tuple[int, int], int] = {}
    orbit_size: list[int] = []
    for a, b in itertools.combinations(range(len(points)), 2):
        if (a, b) not in orbit_of:
            pairs = {tuple(sorted((shift(a, g), shift(b, g)))) for g in group}
            for pair in pairs:
                orbit_of[pair] = len(orbit_size)  # type: ignore[index]
            orbit_size.append(len(pairs))
    # block orbits that tile the levels they touch, every pair in them once
    pieces: dict[frozenset[int], list[tuple[frozenset[int], list[list[int]]]]] = {}
    seen: set[tuple[int, ...]] = set()
    for block in itertools.combinations(range(len(points)), k):
        if block in seen:
            continue
        blocks = {tuple(sorted(shift(p, g) for p in block)) for g in group}
        seen |= blocks
        cover = [p for b in blocks for p in b]
        touched = frozenset(points[p][1] for p in cover)
        pairs = [pair for b in blocks for pair in itertools.combinations(b, 2)]
        orbits = frozenset(orbit_of[pair] for pair in pairs)  # type: ignore[index]
        if len(set(cover)) == len(cover) == 8 * len(touched) and \
                sum(orbit_size[o] for o in orbits) == len(pairs):
            pieces.setdefault(touched, []).append((orbits, [list(b) for b in sorted(blocks)]))
    classes: list[tuple[frozenset[int], list[list[int]]]] = []

    def tile(free: frozenset[int], orbits: frozenset[int], rooms: list[list[int]]) -> None:
        if not free:
            classes.append((orbits, rooms))
            return
        for touched, options in pieces.items():
            if min(free) in touched and touched <= free:
                for piece_orbits, blocks in options:
                    tile(free - touched, orbits | piece_orbits, rooms + blocks)

    tile(frozenset(range(levels)), frozenset(), [])
    missed = {orbit_of[(index[(0, level)], index[(1, level)])] for level in range(levels)}
    options = {i: sorted(orbits) for i, (orbits, _rooms) in enumerate(classes)
               if not orbits & missed}
    primary = set(range(len(orbit_size))) - missed
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        chosen = exact_cover(options, primary, rng, node_limit)
        if chosen is not None and len(chosen) == rotations:
            return {"n": len(points), "k": k, "rotations": [classes[i][1] for i in chosen]}
    return None


class Search:
    """Randomised backtracking for one shape (see the module docstring)."""

    def __init__(self, q: int, levels: int, k: int, t: int, fixed: int, rng: random.Random,
                 nodes_per_try: int, multiplier: tuple[int, int] = (1, 0)) -> None:
        self.q, self.levels, self.k, self.t, self.fixed = q, levels, k, t, fixed
        self.multiplier = multiplier
        self.rng = rng
        self.nodes_per_try = nodes_per_try
        self.points = [(x, level) for level in range(levels) for x in range(q)]
        self.free: set[tuple[int, int]] = set()
        self.used: set[tuple[int, int, int]] = set()
        self.blocks: list[list[tuple[int, int]]] = []
        self.order: list[tuple[int, int]] = []
        self.nodes = 0

    def run(self, deadline: float) -> dict | None:
        while time.perf_counter() < deadline:
            invariant = self._invariant_classes()
            if invariant is None or not self._fixed_point_rooms():
                continue
            self.order = [p for p in self.points if p in self.free]
            self.rng.shuffle(self.order)
            self.nodes = 0
            # algorithm X lists every candidate room first: only when there are few enough
            listable = math.comb(len(self.free), self.k) <= 50_000
            found = self._exact() if self.multiplier == (1, 0) and listable else self._extend()
            if found:
                base = [[[x, level] for x, level in block] for block in self.blocks]
                return {"q": self.q, "levels": self.levels, "k": self.k, "fixed": self.fixed,
                        "invariant": invariant, "base": base}
        return None

    def _invariant_classes(self) -> list[list[int]] | None:
        """t offset lists (a_0 = 0) whose rooms cover pairwise distinct orbits."""
        self.used = set()
        invariant: list[list[int]] = []
        for _ in range(self.t):
            for _attempt in range(200):
                offsets = [0] + [self.rng.randrange(self.q) for _ in range(self.k - 1)]
                covered = {(i, j, (offsets[j] - offsets[i]) % self.q)
                           for i, j in itertools.combinations(range(self.k), 2)}
                if not covered & self.used:
                    self.used |= covered
                    invariant.append(offsets)
                    break
            else:
                return None
        return invariant

    def _fixed_point_rooms(self) -> bool:
        """Room of fixed point i in the base class: it and k - 1 points of distinct levels."""
        self.free = set(self.points)
        self.blocks = []
        for i in range(self.fixed):
            levels = list(range(self.levels))
            self.rng.shuffle(levels)
            for _attempt in range(2000):
                mates = [
                    self.rng.choice([p for p in self.points if p[1] == level and p in self.free])
                    for level in sorted(levels[: self.k - 1])
                ]
                if self._image(mates) == sorted(mates):
                    break  # a room the multiplier map fixes
            else:
                return False
            orbits = [orbit(a, b, self.q) for a, b in itertools.combinations(mates, 2)]
            orbits += [(-1 - i, p[1], 0) for p in mates]
            if None in orbits or len(set(orbits)) < len(orbits) or set(orbits) & self.used:
                return False
            self.used |= set(orbits)  # type: ignore[arg-type]
            self.blocks.append([(0, -1 - i), *mates])
            self.free -= set(mates)
        return True

    def _exact(self) -> bool:
        """The base class as an exact cover of the free points and the open orbits."""
        free = sorted(self.free)
        fixed = [(0, -1 - i) for i in range(self.fixed)]
        open_orbits = {orbit(a, b, self.q) for a, b in itertools.combinations(free, 2)}
        open_orbits |= {orbit(a, b, self.q) for a in free for b in fixed}
        open_orbits = {o for o in open_orbits if o is not None} - self.used
        rooms = valid_rooms(free, self.k, self.q, open_orbits)
        options = {i: [("p", p) for p in room] + [("o", o) for o in orbits]
                   for i, (room, orbits) in enumerate(rooms)}
        tight = len(open_orbits) == len(free) // self.k * self.k * (self.k - 1) // 2
        primary = {("p", p) for p in free} | ({("o", o) for o in open_orbits} if tight else set())
        chosen = exact_cover(options, primary, self.rng, self.nodes_per_try)
        if chosen is None:
            return False
        self.blocks.extend(list(rooms[i][0]) for i in chosen)
        return True

    def _extend(self) -> bool:
        self.nodes += 1
        if self.nodes > self.nodes_per_try:
            return False
        if not self.free:
            return True
        anchor = next(p for p in self.order if p in self.free)
        others = [p for p in self.order if p in self.free and p != anchor]
        self.rng.shuffle(others)
        return self._grow([anchor], others, set())

    def _image(self, block: list[tuple[int, int]]) -> list[tuple[int, int]]:
        m, shift = self.multiplier
        return sorted(((m * x) % self.q, (level + shift) % self.levels) for x, level in block)

    def _images(self, block: list[tuple[int, int]], added: set[tuple[int, int, int]]
                ) -> tuple[list[list[tuple[int, int]]], set[tuple[int, int, int]]] | None:
        """The block's orbit under the multiplier map and all orbits they cover, or None
        when the images overlap, use taken points or cover an orbit twice."""
        images = [sorted(block)]
        while True:
            nxt = self._image(images[-1])
            if nxt == images[0]:
                break
            images.append(nxt)
        if len(images) == 1:
            return images, added
        points = [p for image in images for p in image]
        if len(set(points)) < len(points) or any(p not in self.free for p in points):
            return None
        covered = set(added)
        for image in images[1:]:
            for a, b in itertools.combinations(image, 2):
                o = orbit(a, b, self.q)
                if o is None or o in covered or o in self.used:
                    return None
                covered.add(o)
        return images, covered

    def _grow(self, block: list[tuple[int, int]], candidates: list[tuple[int, int]],
              added: set[tuple[int, int, int]]) -> bool:
        if len(block) == self.k:
            orbit_of_block = self._images(block, added)
            if orbit_of_block is None:
                return False
            images, covered = orbit_of_block
            for image in images:
                self.free.difference_update(image)
                self.blocks.append(list(image))
            self.used.update(covered)
            if self._extend():
                return True
            self.used.difference_update(covered)
            del self.blocks[len(self.blocks) - len(images):]
            for image in images:
                self.free.update(image)
            return False
        for position, p in enumerate(candidates):
            new = [orbit(p, b, self.q) for b in block]
            if None in new or len(set(new)) < len(new):
                continue
            if any(o in self.used or o in added for o in new):
                continue
            if self._grow([*block, p], candidates[position + 1:], added | set(new)):  # type: ignore[arg-type]
                return True
            if self.nodes > self.nodes_per_try:
                return False
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--seconds", type=float, default=120.0, help="per design")
    parser.add_argument("--nodes", type=int, default=3000, help="backtracking nodes per try")
    args = parser.parse_args(argv)
    for name in [*SHAPES, *MULTI, *TABU, *GROUP]:
        if args.only is not None and name not in args.only:
            continue
        started = time.perf_counter()
        if name in SHAPES:
            q, levels, k, t, fixed, *multiplier = SHAPES[name]
            n, rotations = levels * q + fixed, q + t
            found = Search(q, levels, k, t, fixed, random.Random(name), args.nodes,
                           (multiplier[0], multiplier[1]) if multiplier else (1, 0)).run(
                started + args.seconds)
            classes = [] if found is None else expand_cyclic(
                q, levels, found["invariant"], [found["base"]])
        elif name in MULTI:
            q, levels, k, bases, fixed = MULTI[name]
            n, rotations = levels * q + fixed, q * bases
            found = multi_base_design(q, levels, k, bases, fixed, random.Random(name),
                                      args.seconds, args.nodes)
            classes = [] if found is None else expand_cyclic(q, levels, [], found["bases"])
        elif name in GROUP:
            levels, k, rotations = GROUP[name]
            n = 8 * levels
            found = invariant_design(levels, k, rotations, random.Random(name), args.seconds,
                                     args.nodes)
            classes = [] if found is None else found["rotations"]
        else:
            n, k, rotations = TABU[name]
            found = tabu_design(n, k, rotations, args.seconds)
            classes = [] if found is None else found["rotations"]
        took = time.perf_counter() - started
        if found is None:
            print(f"{name}: not found in {took:.1f}s", flush=True)
            continue
        print(f"{name}: {n} in rooms of {k}, {rotations} rotations, {took:.1f}s", flush=True)
        assert is_resolvable(classes, n, k), name
        table = json.loads(TABLE.read_text(encoding="utf-8")) if TABLE.exists() else {}
        table[name] = found
        TABLE.write_text(json.dumps(dict(sorted(table.items())), separators=(",", ":")) + "\n",
                         encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
