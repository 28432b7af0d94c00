"""Algebraic starting schedules with no repeated pair.

* ``round_robin``: the circle method, n-1 (or n) perfect rounds for rooms of two.
* ``subspace_classes``: for n = p^m and room size p^d (p prime), the cosets of
  d-dimensional subspaces of GF(p)^m that pairwise meet only in 0 form parallel classes in
  which no pair meets twice (two points share a coset of W iff their difference lies in W).
  d = 1, m = 2 is the affine plane AG(2, p) (25 = AG(2, 5)); 16 students in rooms of four
  use a spread of GF(2)^4 (isomorphic to AG(2, 4)); 32 in fours use a partial spread of
  2-spaces of GF(2)^5 (up to 9 rotations); 27 in threes give the Kirkman system AG(3, 3).
* ``kirkman_15``: a packing of PG(3, 2) into 7 line spreads, i.e. Kirkman's schoolgirls.

Every function returns a list of rotations over point indices ``0..n-1`` (each rotation a
list of rooms), or ``[]`` when it does not apply.  Searches are bounded by node counts,
never by time, so results only depend on the random generator.

Size: a catalogue of independent constructions (15 to 100 lines each) that the engine tries in
turn; each is self-contained mathematics, and they share the finite-field helpers.
"""

from __future__ import annotations

import json
import random
from functools import cache
from itertools import combinations
from pathlib import Path


def round_robin(n: int, rotations: int) -> list[list[list[int]]]:
    """Circle method: rounds of pairs (plus one single if n is odd) with no repeated pair."""
    if n < 2:
        return []
    players = list(range(n)) + ([-1] if n % 2 else [])
    size = len(players)
    result: list[list[list[int]]] = []
    for _round in range(min(rotations, size - 1)):
        rooms: list[list[int]] = []
        for i in range(size // 2):
            pair = [p for p in (players[i], players[size - 1 - i]) if p >= 0]
            rooms.append(pair)
        result.append(sorted(rooms, key=len, reverse=True))
        players = [players[0], players[-1], *players[1:-1]]
    return result


def _prime_power(n: int) -> tuple[int, int] | None:
    """(p, m) with n == p**m for a prime p and m >= 1, else None."""
    if n < 2:
        return None
    for p in range(2, n + 1):
        if n % p == 0:
            m = 0
            while n % p == 0:
                n //= p
                m += 1
            return (p, m) if n == 1 else None
    return None


def _max_partial_spread(p: int, m: int, d: int) -> int:
    """Most pairwise-disjoint d-dimensional subspaces of GF(p)^m where it is known, so that
    the search does not spend its node budget looking for more: a spread when d divides m;
    one when 2d > m (any two meet); Beutelspacher's (p^m - p^(d+1)) / (p^d - 1) + 1 when
    m = 1 mod d (9 lines of GF(2)^5: 32 in fours get 9 rotations from it)."""
    whole, sub = int(p**m), int(p**d)
    if 2 * d > m and m % d:
        return 1
    if m % d == 1:
        return (whole - sub * p) // (sub - 1) + 1
    return (whole - 1) // (sub - 1)


def subspace_classes(
    n: int, room_size: int, rotations: int, rng: random.Random, node_limit: int = 20_000
) -> list[list[list[int]]]:
    """Parallel classes from a partial spread of GF(p)^m (see the module docstring)."""
    field = _prime_power(n)
    if field is None or room_size < 2 or n % room_size:
        return []
    p, m = field
    power = _prime_power(room_size)
    if power is None or power[0] != p or power[1] >= m:
        return []
    d = power[1]
    if n > 1024 or (n - 1) ** (d - 1) > 50_000:
        return []  # keep the candidate enumeration small

    def add(x: int, y: int) -> int:
        total, place = 0, 1
        for _ in range(m):
            total += ((x % p + y % p) % p) * place
            x //= p
            y //= p
            place *= p
        return total

    def scale(c: int, x: int) -> int:
        total, place = 0, 1
        for _ in range(m):
            total += ((x % p) * c % p) * place
            x //= p
            place *= p
        return total

    def span(generators: list[int]) -> frozenset[int]:
        space = {0}
        for g in generators:
            multiples = [scale(c, g) for c in range(p)]
            space = {add(s, mult) for s in space for mult in multiples}
        return frozenset(space)

    wanted = min(rotations, (n - 1) // (room_size - 1), _max_partial_spread(p, m, d))
    order = list(range(1, n))
    rng.shuffle(order)
    best: list[frozenset[int]] = []
    chosen: list[frozenset[int]] = []
    covered: set[int] = set()
    nodes = [0]

    def candidates(vector: int) -> list[frozenset[int]]:
        found: dict[frozenset[int], None] = {}
        free = [w for w in order if w not in covered and w != vector]

        def extend(generators: list[int], start: int) -> None:
            if len(generators) == d:
                space = span(generators)
                if len(space) == room_size and not (space - {0}) & covered:
                    found.setdefault(space)
                return
            for index in range(start, len(free)):
                extend([*generators, free[index]], index + 1)

        extend([vector], 0)
        return list(found)

    def search(position: int) -> bool:
        nonlocal best
        nodes[0] += 1
        if len(chosen) > len(best):
            best = list(chosen)
        if len(chosen) == wanted:
            return True
        if nodes[0] > node_limit or position >= len(order):
            return False
        uncovered_left = sum(1 for v in order[position:] if v not in covered)
        if len(chosen) + uncovered_left // (room_size - 1) < wanted:
            return False
        vector = order[position]
        if vector in covered:
            return search(position + 1)
        for space in candidates(vector):
            chosen.append(space)
            covered.update(space - {0})
            if search(position + 1):
                return True
            covered.difference_update(space - {0})
            chosen.pop()
        return search(position + 1)  # leave this vector uncovered (partial spread)

    search(0)
    classes: list[list[list[int]]] = []
    for space in best:
        unassigned = set(range(n))
        rooms: list[list[int]] = []
        for x in range(n):
            if x in unassigned:
                coset = sorted(add(x, w) for w in space)
                unassigned.difference_update(coset)
                rooms.append(coset)
        classes.append(rooms)
    return classes


def kirkman_15(rotations: int, node_limit: int = 200_000) -> list[list[list[int]]]:
    """Kirkman triple system on 15 points: 7 disjoint line spreads of PG(3, 2)."""
    points = list(range(1, 16))  # non-zero vectors of GF(2)^4; lines are {a, b, a ^ b}
    lines = sorted({tuple(sorted((a, b, a ^ b))) for a in points for b in points if a < b})
    line_bits = [(1 << (a - 1)) | (1 << (b - 1)) | (1 << (c - 1)) for a, b, c in lines]
    lines_through = {pt: [i for i, line in enumerate(lines) if pt in line] for pt in points}
    used = [False] * len(lines)
    packing: list[list[int]] = []
    nodes = [0]
    full = (1 << 15) - 1

    def build_class(current: list[int], covered: int) -> bool:
        nodes[0] += 1
        if nodes[0] > node_limit:
            return False
        if covered == full:
            packing.append(list(current))
            if len(packing) == 7 or build_class([], 0):
                return True
            packing.pop()
            return False
        point = next(pt for pt in points if not covered >> (pt - 1) & 1)
        for index in lines_through[point]:
            if used[index] or line_bits[index] & covered:
                continue
            # symmetry breaking: the first line of a class goes through point 1
            used[index] = True
            current.append(index)
            if build_class(current, covered | line_bits[index]):
                return True
            current.pop()
            used[index] = False
        return False

    if not build_class([], 0):
        return []
    return [
        [[pt - 1 for pt in lines[index]] for index in spread]
        for spread in packing[: min(rotations, 7)]
    ]


class GaloisField:
    """GF(q) for a prime power q: elements are 0..q-1 (polynomial coefficients base p)."""

    def __init__(self, q: int) -> None:
        power = _prime_power(q)
        if power is None:
            raise ValueError(f"{q} is not a prime power")
        self.q = q
        p, degree = power
        self.p = p

        def to_poly(x: int) -> list[int]:
            return [(x // p**i) % p for i in range(degree)]

        def from_poly(coefficients: list[int]) -> int:
            return sum(c * p**i for i, c in enumerate(coefficients))

        modulus = _irreducible(p, degree)
        self.add = [
            [
                from_poly([(a + b) % p for a, b in zip(to_poly(x), to_poly(y), strict=True)])
                for y in range(q)
            ]
            for x in range(q)
        ]
        self.mul = [[0] * q for _ in range(q)]
        for x in range(q):
            for y in range(q):
                product = [0] * (2 * degree)
                for i, a in enumerate(to_poly(x)):
                    for j, b in enumerate(to_poly(y)):
                        product[i + j] = (product[i + j] + a * b) % p
                # reduce by the monic modulus of the given degree
                for top in range(2 * degree - 1, degree - 1, -1):
                    factor = product[top]
                    if factor:
                        for i, c in enumerate(modulus):
                            product[top - degree + i] = (product[top - degree + i] - factor * c) % p
                self.mul[x][y] = from_poly(product[:degree])


def _irreducible(p: int, degree: int) -> list[int]:
    """Coefficients (low to high, monic) of an irreducible polynomial over GF(p)."""
    if degree == 1:
        return [0, 1]

    def remainder(numerator: list[int], divisor: list[int]) -> list[int]:
        rest = list(numerator)
        while len(rest) >= len(divisor) and any(rest):
            if rest[-1] == 0:
                rest.pop()
                continue
            factor = rest[-1] * pow(divisor[-1], p - 2, p) % p
            shift = len(rest) - len(divisor)
            for i, c in enumerate(divisor):
                rest[shift + i] = (rest[shift + i] - factor * c) % p
            rest.pop()
        return rest

    def monic(d: int) -> list[list[int]]:
        polys = []
        for code in range(p**d):
            polys.append([(code // p**i) % p for i in range(d)] + [1])
        return polys

    for candidate in monic(degree):
        if all(
            any(remainder(candidate, divisor))
            for d in range(1, degree // 2 + 1)
            for divisor in monic(d)
        ):
            return candidate
    raise ValueError("no irreducible polynomial")  # pragma: no cover


def transversal_classes(n: int, room_count: int, rotations: int) -> list[list[list[int]]]:
    """Resolvable transversal design: q = room_count a prime power, k = ceil(n / q) <= q.

    Points are (group i < k, x in GF(q)); rotation b has rooms {(i, a + b*i)} for each a.
    Two points of different groups meet only for b = (x - y) / (i - j), so q rotations
    have no repeated pair.  Removing the q*k - n surplus points from one group takes at
    most one student from any room, which leaves exactly the balanced room sizes.
    """
    q = room_count
    if q < 2 or _prime_power(q) is None or q > 256:
        return []
    size = -(-n // q)
    if size < 2 or size > q:
        return []
    surplus = q * size - n
    field = GaloisField(q)
    add, mul = field.add, field.mul
    # drop the last `surplus` points of the last group; renumber the rest densely
    index: dict[tuple[int, int], int] = {}
    for group in range(size):
        for x in range(q):
            if group == size - 1 and x >= q - surplus:
                continue
            index[(group, x)] = len(index)
    classes: list[list[list[int]]] = []
    for slope in range(min(rotations, q)):
        rooms: list[list[int]] = []
        for offset in range(q):
            room = []
            for group in range(size):
                point = (group, add[offset][mul[slope][group]])
                if point in index:
                    room.append(index[point])
            rooms.append(room)
        classes.append(sorted(rooms, key=len, reverse=True))
    return classes


# Kirkman triple systems KTS(3q) invariant under x -> x + 1 on Z_q x {0, 1, 2}: the
# invariant classes {(s, 0), (b + s, 1), (c + s, 2)} for s in Z_q, and one base class of q
# blocks of (x, level) points whose q translates are the other classes.  Found once by
# the backtracking search described in docs/PLANNER.md and re-verified on every use.
KIRKMAN_CYCLIC: dict[int, tuple[list[tuple[int, int]], list[list[tuple[int, int]]]]] = {
    7: (
        [(0, 0), (1, 2), (2, 5)],
        [
            [(0, 0), (1, 0), (3, 0)],
            [(2, 0), (0, 1), (6, 2)],
            [(4, 0), (1, 1), (3, 2)],
            [(5, 0), (4, 1), (1, 2)],
            [(6, 0), (2, 1), (0, 2)],
            [(3, 1), (5, 1), (6, 1)],
            [(2, 2), (4, 2), (5, 2)],
        ],
    ),
    11: (
        [(0, 0), (1, 2), (2, 1), (3, 5), (4, 7)],
        [
            [(0, 0), (1, 0), (3, 0)],
            [(2, 0), (6, 0), (0, 1)],
            [(4, 0), (10, 0), (8, 2)],
            [(5, 0), (0, 2), (2, 2)],
            [(7, 0), (4, 1), (6, 1)],
            [(8, 0), (3, 1), (7, 2)],
            [(9, 0), (5, 1), (1, 2)],
            [(1, 1), (6, 2), (9, 2)],
            [(2, 1), (8, 1), (9, 1)],
            [(7, 1), (10, 1), (5, 2)],
            [(3, 2), (4, 2), (10, 2)],
        ],
    ),
    13: (
        [(0, 0), (1, 2), (2, 1), (3, 5), (4, 7), (5, 3)],
        [
            [(0, 0), (1, 0), (3, 0)],
            [(2, 0), (6, 0), (0, 1)],
            [(4, 0), (9, 0), (2, 2)],
            [(5, 0), (12, 0), (11, 1)],
            [(7, 0), (3, 2), (4, 2)],
            [(8, 0), (3, 1), (12, 2)],
            [(10, 0), (5, 2), (9, 2)],
            [(11, 0), (7, 1), (8, 1)],
            [(1, 1), (5, 1), (11, 2)],
            [(2, 1), (7, 2), (10, 2)],
            [(4, 1), (10, 1), (12, 1)],
            [(6, 1), (9, 1), (0, 2)],
            [(1, 2), (6, 2), (8, 2)],
        ],
    ),
}


def kirkman_cyclic(n: int, rotations: int) -> list[list[list[int]]]:
    """KTS(21), KTS(33), KTS(39) from ``KIRKMAN_CYCLIC``: (n - 1) / 2 perfect rotations."""
    if n % 3 or n // 3 not in KIRKMAN_CYCLIC:
        return []
    q = n // 3
    invariant, base = KIRKMAN_CYCLIC[q]

    def index(x: int, level: int) -> int:
        return level * q + x % q

    classes = [
        [[index(x + shift, level) for x, level in block] for block in base] for shift in range(q)
    ]
    classes += [
        [[index(s, 0), index(b + s, 1), index(c + s, 2)] for s in range(q)] for b, c in invariant
    ]
    seen: set[tuple[int, int]] = set()
    for rotation in classes:  # re-verify: a partition per rotation, no pair twice
        if sorted(p for block in rotation for p in block) != list(range(n)):
            return []  # pragma: no cover
        for block in rotation:
            for x, y in ((block[0], block[1]), (block[0], block[2]), (block[1], block[2])):
                pair = (min(x, y), max(x, y))
                if pair in seen:
                    return []  # pragma: no cover
                seen.add(pair)
    return classes[:rotations]


# -- stored cyclic designs (tables/designs.json, found by bench/find_designs.py) ------------

TABLE_PATH = Path(__file__).with_name("tables") / "designs.json"


def expand_cyclic(
    q: int, levels: int, invariant: list[list[int]], bases: list[list[list[list[int]]]]
) -> list[list[list[int]]]:
    """Rotations of a cyclic design: the q translates x -> x + s of each base class, then
    one rotation per ``invariant`` offset list {(s + a_l, l)}.  Points (x, level) are
    numbered level * q + x; a fixed point i (level -1 - i) is levels * q + i."""

    def index(x: int, level: int) -> int:
        return levels * q - 1 - level if level < 0 else level * q + x % q

    classes = [
        [[index(x + s, level) for x, level in block] for block in base]
        for base in bases
        for s in range(q)
    ]
    for offsets in invariant:
        classes.append([[index(s + a, level) for level, a in enumerate(offsets)] for s in range(q)])
    return classes


def is_resolvable(classes: list[list[list[int]]], n: int, k: int) -> bool:
    """Every rotation splits 0..n-1 into rooms of k, and no pair meets twice."""
    seen: set[tuple[int, int]] = set()
    for rotation in classes:
        if sorted(p for room in rotation for p in room) != list(range(n)):
            return False
        for room in rotation:
            if len(room) != k:
                return False
            for x, y in combinations(sorted(room), 2):
                if (x, y) in seen:
                    return False
                seen.add((x, y))
    return True


@cache
def stored_designs() -> dict[tuple[int, int], list[list[list[int]]]]:
    """The table's designs, loaded once."""
    return load_designs(TABLE_PATH)


def load_designs(path: Path) -> dict[tuple[int, int], list[list[list[int]]]]:
    """{(n, k): rotations} from a design table, each re-verified here: a rotation that is
    not a partition into rooms of k, or a pair that meets twice, raises ValueError."""
    data = json.loads(path.read_text(encoding="utf-8"))
    designs: dict[tuple[int, int], list[list[list[int]]]] = {}
    for name, entry in data.items():
        if "rotations" in entry:  # written out in full
            n, k, classes = entry["n"], entry["k"], entry["rotations"]
        else:
            q, levels, k = entry["q"], entry["levels"], entry["k"]
            n = levels * q + entry["fixed"]
            bases = entry["bases"] if "bases" in entry else [entry["base"]]
            classes = expand_cyclic(q, levels, entry["invariant"], bases)
        if not is_resolvable(classes, n, k):
            raise ValueError(f"stored design {name} has a repeated pair or a broken rotation")
        if len(classes) > len(designs.get((n, k), [])):
            designs[(n, k)] = classes
    return designs


def resolvable_designs(
    k: int, rooms: int, rotations: int, rng: random.Random
) -> list[list[list[list[int]]]]:
    """Every construction for ``rooms`` rooms of exactly ``k`` (n = k * rooms points), each
    cut to at most ``rotations`` rotations."""
    n = k * rooms
    found: list[list[list[list[int]]]] = []
    if k == 2:
        found.append(round_robin(n, rotations))
    if n == 15 and k == 3:
        found.append(kirkman_15(rotations))
    if k == 3:
        found.append(kirkman_cyclic(n, rotations))
    found.append(subspace_classes(n, k, rotations, rng))
    found.append(transversal_classes(n, rooms, rotations))
    stored = stored_designs().get((n, k))
    if stored:
        found.append([[list(room) for room in rotation] for rotation in stored[:rotations]])
    return [design for design in found if design]


def delete_points(
    design: list[list[list[int]]], count: int, rng: random.Random, node_limit: int = 5_000
) -> list[list[list[int]]] | None:
    """The design without ``count`` points that never share a room (so every rotation loses
    one student from ``count`` different rooms: sizes k and k - 1), renumbered densely;
    None when no such set was found."""
    if count == 0:
        return design
    n = sum(len(room) for room in design[0])
    met = meeting_masks(design, n)
    order = list(range(n))
    rng.shuffle(order)
    later = [0] * (n + 1)  # later[i]: the points order[i:] as a bit mask
    for position in range(n - 1, -1, -1):
        later[position] = later[position + 1] | 1 << order[position]
    chosen: list[int] = []
    nodes = [0]

    def pick(start: int, blocked: int) -> bool:
        if len(chosen) == count:
            return True
        nodes[0] += 1
        if nodes[0] > node_limit:
            return False
        for position in range(start, len(order)):
            if (later[position] & ~blocked).bit_count() < count - len(chosen):
                return False  # too few points left that meet nobody chosen
            point = order[position]
            if not blocked >> point & 1:
                chosen.append(point)
                if pick(position + 1, blocked | met[point]):
                    return True
                chosen.pop()
        return False

    if not pick(0, 0):
        return None
    gone = set(chosen)
    renumber = {p: i for i, p in enumerate(p for p in range(n) if p not in gone)}
    return [
        [[renumber[p] for p in room if p not in gone] for room in rotation]
        for rotation in design
    ]


def meeting_masks(design: list[list[list[int]]], n: int) -> list[int]:
    """Bit mask per point of the points it shares a room with (itself included)."""
    met = [0] * n
    for rotation in design:
        for room in rotation:
            mask = sum(1 << p for p in room)
            for p in room:
                met[p] |= mask
    return met


def apart_labels(
    design: list[list[list[int]]],
    n: int,
    apart: set[tuple[int, int]],
    rng: random.Random,
    node_limit: int = 20_000,
) -> list[int] | None:
    """A random student for every design point (``labels[point]``) such that no apart pair
    shares a room: the apart students go first, each to a free point that meets none of
    its apart partners' points (backtracking), the others at random.  None if not found."""
    met = meeting_masks(design, n)
    partners: dict[int, set[int]] = {}
    for i, j in apart:
        partners.setdefault(i, set()).add(j)
        partners.setdefault(j, set()).add(i)
    students = sorted(partners, key=lambda s: (-len(partners[s]), rng.random()))
    points = list(range(n))
    rng.shuffle(points)
    point_of: dict[int, int] = {}
    taken = [0]
    nodes = [0]

    def place(index: int) -> bool:
        if index == len(students):
            return True
        nodes[0] += 1
        if nodes[0] > node_limit:
            return False
        student = students[index]
        avoid = 0
        for other in partners[student]:
            if other in point_of:
                avoid |= met[point_of[other]]
        for point in points:
            if (taken[0] | avoid) >> point & 1:
                continue
            point_of[student] = point
            taken[0] |= 1 << point
            if place(index + 1):
                return True
            taken[0] &= ~(1 << point)
            del point_of[student]
        return False

    if not place(0):
        return None
    labels = [-1] * n
    for student, point in point_of.items():
        labels[point] = student
    rest = [s for s in range(n) if s not in point_of]
    rng.shuffle(rest)
    for point in range(n):
        if labels[point] < 0:
            labels[point] = rest.pop()
    return labels
