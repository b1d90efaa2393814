"""Static arena planning: one byte offset per buffer, computed at compile time.

Embedded users hand the generated code a single arena, so every intermediate
buffer needs a fixed offset in it such that no two buffers alive at the same op
overlap. The arena size is judged against two yardsticks: `naive_bytes` (every
buffer gets its own space) and `lower_bound` (the most bytes alive at one op,
which no placement can beat). Finding the best placement is NP-hard (dynamic
storage allocation), so the default algorithm combines cheap heuristics, an
exact search for small problems and a deterministic local search.

Lifetimes are inclusive op indices: a buffer written by op 3 and last read by
op 5 is alive at ops 3, 4 and 5, and conflicts with any buffer alive at one of
them (an op's inputs and outputs never share bytes here; in-place reuse is
decided before planning, by giving both values one buffer).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Sequence


@dataclass(frozen=True)
class Buffer:
    """A region of the arena needed from op `first_use` to op `last_use` inclusive."""

    name: str
    size: int
    first_use: int
    last_use: int


@dataclass(frozen=True)
class Plan:
    """Offsets (bytes from the start of the arena) and the arena size they need."""

    offsets: dict[str, int]
    arena_bytes: int
    algorithm: str


ALGORITHMS: tuple[str, ...] = ("greedy-by-size", "greedy-by-conflicts", "best-fit", "search")
"""Placement algorithms, weakest first.

- greedy-by-size: TensorFlow Lite Micro's GreedyMemoryPlanner; largest buffer
  first, each at the lowest offset free for its whole lifetime.
- greedy-by-conflicts: TVM USMP's greedy_by_conflicts; buffers that conflict
  with the most others first, lowest free offset.
- best-fit: largest first, each in the tightest gap that holds it.
- search: the best of several orderings and placements, an exact placement when
  at most two buffers are alive at any op, branch and bound for small problems
  and a seeded hill climb over the placement order otherwise. Never worse than
  greedy-by-size.
"""

DEFAULT_ALGORITHM = "search"

EXACT_SEARCH_MAX_BUFFERS = 14
"""Up to this many buffers, `search` runs branch and bound (node-limited)."""

_BRANCH_AND_BOUND_NODES = 60_000
_HILL_CLIMB_WORK = 3_000_000  # conflict-list entries visited, across all evaluations
_HILL_CLIMB_SEED = 20240611


# ---------------------------------------------------------------------------
# Input checking and the yardsticks


def _align(size: int, alignment: int) -> int:
    return -(-size // alignment) * alignment


def _validate(buffers: Sequence[Buffer], alignment: int) -> None:
    if not isinstance(alignment, int) or isinstance(alignment, bool) or alignment <= 0:
        raise ValueError(f"alignment must be a positive integer, got {alignment!r}")
    seen: set[str] = set()
    for buf in buffers:
        if buf.name in seen:
            raise ValueError(f"buffer name {buf.name!r} is used twice")
        seen.add(buf.name)
        if not isinstance(buf.size, int) or buf.size <= 0:
            raise ValueError(f"buffer {buf.name!r} has size {buf.size!r}; sizes must be positive integers")
        if not isinstance(buf.first_use, int) or not isinstance(buf.last_use, int):
            raise ValueError(f"buffer {buf.name!r} has non-integer lifetime {buf.first_use!r}..{buf.last_use!r}")
        if buf.first_use < 0 or buf.last_use < buf.first_use:
            raise ValueError(
                f"buffer {buf.name!r} has lifetime {buf.first_use}..{buf.last_use}; "
                "need 0 <= first_use <= last_use"
            )


def lower_bound(buffers: Sequence[Buffer], alignment: int = 16) -> int:
    """The most aligned bytes alive at one op: no placement can use less."""
    _validate(buffers, alignment)
    events: list[tuple[int, int]] = []
    for buf in buffers:
        size = _align(buf.size, alignment)
        events.append((buf.first_use, size))
        events.append((buf.last_use + 1, -size))
    events.sort(key=lambda e: (e[0], e[1]))  # frees before allocations at the same op
    live = peak = 0
    for _, delta in events:
        live += delta
        peak = max(peak, live)
    return peak


def naive_bytes(buffers: Sequence[Buffer], alignment: int = 16) -> int:
    """The arena with no reuse at all: every buffer gets its own aligned space."""
    _validate(buffers, alignment)
    return sum(_align(buf.size, alignment) for buf in buffers)


# ---------------------------------------------------------------------------
# The problem in index form, shared by all algorithms


class _Problem:
    """Aligned sizes and the conflict graph (buffers alive at a common op)."""

    def __init__(self, buffers: Sequence[Buffer], alignment: int):
        self.buffers = list(buffers)
        self.n = len(self.buffers)
        self.size = [_align(b.size, alignment) for b in self.buffers]
        self.first = [b.first_use for b in self.buffers]
        self.last = [b.last_use for b in self.buffers]
        self.bound = lower_bound(self.buffers, alignment)
        self.conflicts: list[list[int]] = [[] for _ in range(self.n)]
        by_start = sorted(range(self.n), key=lambda i: (self.first[i], i))
        for pos, i in enumerate(by_start):
            for j in by_start[pos + 1 :]:
                if self.first[j] > self.last[i]:
                    break
                self.conflicts[i].append(j)
                self.conflicts[j].append(i)
        self.work_per_evaluation = self.n + sum(len(c) for c in self.conflicts)

    def max_alive_count(self) -> int:
        events = [(self.first[i], 1) for i in range(self.n)] + [(self.last[i] + 1, -1) for i in range(self.n)]
        live = peak = 0
        for _, delta in sorted(events):  # at equal ops, -1 (a death) sorts before +1
            live += delta
            peak = max(peak, live)
        return peak

    # -- orderings -----------------------------------------------------------

    def order_by_size(self) -> list[int]:
        """TFLite Micro's order: size descending, then first use, then name."""
        return sorted(range(self.n), key=lambda i: (-self.size[i], self.first[i], self.buffers[i].name))

    def order_by_conflicts(self) -> list[int]:
        return sorted(
            range(self.n),
            key=lambda i: (-len(self.conflicts[i]), -self.size[i], self.first[i], self.buffers[i].name),
        )

    def order_by_area(self) -> list[int]:
        return sorted(
            range(self.n),
            key=lambda i: (-self.size[i] * (self.last[i] - self.first[i] + 1), self.first[i], self.buffers[i].name),
        )

    def order_by_conflict_bytes(self) -> list[int]:
        """Buffers whose neighbours weigh most first: they sit in the tightest spots."""
        weight = [self.size[i] + sum(self.size[j] for j in self.conflicts[i]) for i in range(self.n)]
        return sorted(range(self.n), key=lambda i: (-weight[i], -self.size[i], self.buffers[i].name))

    def order_by_start(self) -> list[int]:
        return sorted(range(self.n), key=lambda i: (self.first[i], -self.size[i], self.buffers[i].name))

    # -- placement -----------------------------------------------------------

    def first_fit_offset(self, i: int, offsets: list[int]) -> int:
        """Lowest offset where buffer i overlaps no placed buffer it conflicts with."""
        size = self.size
        taken = sorted((offsets[j], offsets[j] + size[j]) for j in self.conflicts[i] if offsets[j] >= 0)
        candidate = 0
        need = size[i]
        for start, end in taken:
            if start - candidate >= need:
                break
            if end > candidate:
                candidate = end
        return candidate

    def best_fit_offset(self, i: int, offsets: list[int]) -> int:
        """Offset of the smallest free gap that holds buffer i (top of the pile if none)."""
        size = self.size
        taken = sorted((offsets[j], offsets[j] + size[j]) for j in self.conflicts[i] if offsets[j] >= 0)
        need = size[i]
        best_gap = None
        best_offset = None
        candidate = 0
        for start, end in taken:
            gap = start - candidate
            if gap >= need and (best_gap is None or gap < best_gap):
                best_gap, best_offset = gap, candidate
            if end > candidate:
                candidate = end
        return candidate if best_offset is None else best_offset

    def place(self, order: Sequence[int], best_fit: bool = False) -> list[int]:
        offsets = [-1] * self.n
        fit = self.best_fit_offset if best_fit else self.first_fit_offset
        for i in order:
            offsets[i] = fit(i, offsets)
        return offsets

    def arena(self, offsets: Sequence[int]) -> int:
        return max((offsets[i] + self.size[i] for i in range(self.n)), default=0)


# ---------------------------------------------------------------------------
# The stronger strategies used by `search`


def _two_live_placement(problem: _Problem) -> list[int] | None:
    """Exact placement when at most two buffers are ever alive together.

    The conflict graph is then an interval graph without triangles, i.e. a
    forest, so it is two-colourable. Put one colour at offset 0 and the other
    flush against the lower bound: two conflicting buffers are alive at a common
    op, so their sizes add up to at most the bound and they cannot overlap.
    """
    if problem.max_alive_count() > 2:
        return None
    colour = [-1] * problem.n
    for root in range(problem.n):
        if colour[root] >= 0:
            continue
        colour[root] = 0
        stack = [root]
        while stack:
            i = stack.pop()
            for j in problem.conflicts[i]:
                if colour[j] < 0:
                    colour[j] = 1 - colour[i]
                    stack.append(j)
    return [0 if colour[i] == 0 else problem.bound - problem.size[i] for i in range(problem.n)]


def _branch_and_bound(problem: _Problem, best_arena: int, best_offsets: list[int]) -> tuple[int, list[int]]:
    """Search placement orders with first-fit, pruned, up to a node budget.

    Completeness: for any placement P, first-fit in the order of P's offsets
    puts every buffer at or below its offset in P; repeating this reaches a
    placement that first-fit reproduces exactly from its own offset order. So
    some optimal placement arises from an order whose first-fit offsets never
    decrease (ties broken by a fixed rank), and only such orders are searched.
    The rank keeps identical buffers adjacent, so trying only one of several
    identical buffers at a node loses nothing: swapping them maps every order
    onto one with the same offsets that passes the same rank tests.
    """
    n = problem.n
    size = problem.size
    by_rank = sorted(range(n), key=lambda i: (size[i], problem.first[i], problem.last[i], i))
    rank = [0] * n
    for position, i in enumerate(by_rank):
        rank[i] = position
    offsets = [-1] * n
    best = [best_arena, best_offsets]
    nodes = [0]

    def visit(placed: int, level: int, last_rank: int, arena: int) -> bool:
        """Returns True to stop the whole search (bound reached or budget spent)."""
        nodes[0] += 1
        if placed == n:
            if arena < best[0]:
                best[0], best[1] = arena, list(offsets)
            return best[0] <= problem.bound
        if nodes[0] > _BRANCH_AND_BOUND_NODES:
            return True
        choices = []
        completion = arena
        for i in range(n):
            if offsets[i] >= 0:
                continue
            offset = problem.first_fit_offset(i, offsets)
            completion = max(completion, offset + size[i], level + size[i])
            if offset < level or (offset == level and rank[i] < last_rank):
                continue
            choices.append((offset, -size[i], i))
        if completion >= best[0]:
            return False
        choices.sort()
        tried: set[tuple[int, int, int]] = set()
        for offset, _, i in choices:
            twin = (size[i], problem.first[i], problem.last[i])
            if twin in tried:  # an identical buffer was tried here: a mirrored subtree
                continue
            tried.add(twin)
            offsets[i] = offset
            stop = visit(placed + 1, offset, rank[i], max(arena, offset + size[i]))
            offsets[i] = -1
            if stop:
                return True
        return False

    visit(0, 0, -1, 0)
    return best[0], best[1]


def _hill_climb(problem: _Problem, order: list[int], offsets: list[int]) -> tuple[int, list[int]]:
    """Move buffers that touch the top of the arena earlier in the first-fit order.

    Seeded, and the number of evaluations is fixed by the problem size, so the
    result is deterministic. Ties in arena size are broken by the sum of buffer
    ends, which lets the search walk across plateaus towards compact plans.
    """
    n = problem.n
    size = problem.size
    rng = random.Random(_HILL_CLIMB_SEED)
    evaluations = max(30, min(3000, _HILL_CLIMB_WORK // max(1, problem.work_per_evaluation)))

    def score(offs: list[int]) -> tuple[int, int]:
        ends = [offs[i] + size[i] for i in range(n)]
        return max(ends), sum(ends)

    order = list(order)
    current = score(offsets)
    for _ in range(evaluations):
        if current[0] <= problem.bound:
            break
        top = current[0]
        critical = [i for i in range(n) if offsets[i] + size[i] == top]
        pick = rng.choice(critical)
        if rng.random() < 0.5 and problem.conflicts[pick]:
            pick = rng.choice(problem.conflicts[pick])  # or make room for it by moving a neighbour
        position = order.index(pick)
        if position == 0:
            continue
        target = rng.randrange(position)
        trial_order = order[:target] + [pick] + order[target:position] + order[position + 1 :]
        trial = list(offsets)
        for i in trial_order[target:]:
            trial[i] = -1
        for i in trial_order[target:]:
            trial[i] = problem.first_fit_offset(i, trial)
        trial_score = score(trial)
        if trial_score <= current:
            order, offsets, current = trial_order, trial, trial_score
    return current[0], offsets


def _search(problem: _Problem) -> list[int]:
    candidates: list[tuple[list[int], list[int]]] = []
    for order in (
        problem.order_by_size(),
        problem.order_by_conflicts(),
        problem.order_by_area(),
        problem.order_by_conflict_bytes(),
        problem.order_by_start(),
    ):
        for best_fit in (False, True):
            candidates.append((order, problem.place(order, best_fit)))
    best_offsets = candidates[0][1]
    best_arena = problem.arena(best_offsets)
    for _, offsets in candidates[1:]:
        arena = problem.arena(offsets)
        if arena < best_arena:
            best_offsets, best_arena = offsets, arena
    if best_arena <= problem.bound:
        return best_offsets

    exact = _two_live_placement(problem)
    if exact is not None:
        return exact

    # A first-fit order that reproduces the best placement (first-fit never
    # places a buffer above its offset in a placement whose offset order it
    # follows) starts the climb.
    start_order = sorted(range(problem.n), key=lambda i: (best_offsets[i], i))
    arena, offsets = _hill_climb(problem, start_order, problem.place(start_order))
    if arena < best_arena:
        best_arena, best_offsets = arena, offsets
    if best_arena > problem.bound and problem.n <= EXACT_SEARCH_MAX_BUFFERS:
        best_arena, best_offsets = _branch_and_bound(problem, best_arena, best_offsets)
    return best_offsets


# ---------------------------------------------------------------------------


def plan(buffers: Sequence[Buffer], algorithm: str = DEFAULT_ALGORITHM, alignment: int = 16) -> Plan:
    """Place every buffer in one arena; deterministic for a given input."""
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown memory planning algorithm {algorithm!r}; choose one of {', '.join(ALGORITHMS)}")
    _validate(buffers, alignment)
    problem = _Problem(buffers, alignment)
    if problem.n == 0:
        return Plan(offsets={}, arena_bytes=0, algorithm=algorithm)
    if algorithm == "greedy-by-size":
        offsets = problem.place(problem.order_by_size())
    elif algorithm == "greedy-by-conflicts":
        offsets = problem.place(problem.order_by_conflicts())
    elif algorithm == "best-fit":
        offsets = problem.place(problem.order_by_size(), best_fit=True)
    else:
        offsets = _search(problem)
    return Plan(
        offsets={buf.name: offsets[i] for i, buf in enumerate(problem.buffers)},
        arena_bytes=problem.arena(offsets),
        algorithm=algorithm,
    )
