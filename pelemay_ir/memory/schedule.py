"""Op ordering that lowers the arena: the order decides which buffers are alive together.

Ops form a dependency graph through the buffers they produce and consume, and
any topological order computes the same result. The planner can never go below
the most bytes alive at one op, so picking the order is the first lever on the
arena size. Small graphs are ordered exactly (dynamic programming over the sets
of ops already run); larger ones by greedy rules that run the op which frees
the most or allocates the least, keeping whichever order peaks lowest.

Liveness matches the planner's: a buffer is alive from the op that produces it
through the last op that consumes it, inclusive; a buffer nobody consumes is
alive only at its producer; a buffer nobody produces (an unpinned input) is
alive from the first op. Pinned buffers (function inputs and outputs, which
live outside the arena) cost nothing.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence, Set as AbstractSet

EXACT_ORDER_MAX_OPS = 20
"""Up to this many ops, the order is searched exactly (if the state space is small)."""

_EXACT_ORDER_MAX_STATES = 20_000


class _Graph:
    def __init__(
        self,
        num_ops: int,
        produces: Sequence[Sequence[str]],
        consumes: Sequence[Sequence[str]],
        sizes: Mapping[str, int],
        pinned: set[str],
    ):
        if not isinstance(num_ops, int) or num_ops < 0:
            raise ValueError(f"number of ops must be a non-negative integer, got {num_ops!r}")
        if len(produces) != num_ops or len(consumes) != num_ops:
            raise ValueError(
                f"{num_ops} ops but {len(produces)} lists of produced and {len(consumes)} lists of consumed buffers"
            )
        self.n = num_ops
        self.producer: dict[str, int] = {}
        for op, names in enumerate(produces):
            for name in names:
                if name in self.producer:
                    raise ValueError(f"buffer {name!r} is produced by both op {self.producer[name]} and op {op}")
                self.producer[name] = op
        self.consumers: dict[str, list[int]] = {}
        for op, names in enumerate(consumes):
            for name in dict.fromkeys(names):
                if self.producer.get(name) != op:  # an op reading what it writes adds no dependency
                    self.consumers.setdefault(name, []).append(op)
        names = sorted(set(self.producer) | set(self.consumers))
        self.cost: dict[str, int] = {}
        for name in names:
            if name in pinned:
                continue
            if name not in sizes:
                raise ValueError(f"buffer {name!r} has no size")
            size = sizes[name]
            if not isinstance(size, int) or size < 0:
                raise ValueError(f"buffer {name!r} has size {size!r}; sizes must be non-negative integers")
            self.cost[name] = size
        self.predecessors: list[set[int]] = [set() for _ in range(num_ops)]
        for name, ops in self.consumers.items():
            if name in self.producer:
                for op in ops:
                    self.predecessors[op].add(self.producer[name])
        self.successors: list[list[int]] = [[] for _ in range(num_ops)]
        for op, preds in enumerate(self.predecessors):
            for pred in preds:
                self.successors[pred].append(op)
        # Bytes an op allocates (its costed outputs) and buffers it may free.
        self.outputs: list[list[str]] = [[b for b in dict.fromkeys(produces[op]) if b in self.cost] for op in range(num_ops)]
        self.inputs: list[list[str]] = [
            [b for b in dict.fromkeys(consumes[op]) if b in self.cost and self.producer.get(b) != op]
            for op in range(num_ops)
        ]
        self.unproduced = [b for b in self.cost if b not in self.producer]

    def check_acyclic(self) -> None:
        if len(self._kahn_order()) != self.n:
            raise ValueError("the ops' dependencies form a cycle; no order can run them")

    def _kahn_order(self) -> list[int]:
        pending = [len(p) for p in self.predecessors]
        ready = [op for op in range(self.n) if pending[op] == 0]
        heapq.heapify(ready)
        order = []
        while ready:
            op = heapq.heappop(ready)
            order.append(op)
            for succ in self.successors[op]:
                pending[succ] -= 1
                if pending[succ] == 0:
                    heapq.heappush(ready, succ)
        return order

    def is_topological(self, order: Sequence[int]) -> bool:
        position = {op: i for i, op in enumerate(order)}
        if sorted(position) != list(range(self.n)) or len(order) != self.n:
            return False
        return all(position[pred] < position[op] for op in range(self.n) for pred in self.predecessors[op])

    def peak(self, order: Sequence[int]) -> int:
        """Most costed bytes alive at one step when running `order`."""
        position = [0] * self.n
        for step, op in enumerate(order):
            position[op] = step
        delta = [0] * (self.n + 1)
        for name, size in self.cost.items():
            users = self.consumers.get(name, [])
            start = position[self.producer[name]] if name in self.producer else 0
            end = max((position[op] for op in users), default=start)
            delta[start] += size
            delta[end + 1] -= size
        live = peak = 0
        for change in delta:
            live += change
            peak = max(peak, live)
        return peak

    # -- greedy orders -------------------------------------------------------

    def greedy(self, rule: str) -> list[int]:
        """Run ready ops one at a time, each time the one that `rule` ranks best."""
        remaining = {name: len(self.consumers.get(name, [])) for name in self.cost}
        live = sum(self.cost[name] for name in self.unproduced if remaining[name] > 0)
        pending = [len(p) for p in self.predecessors]
        ready = {op for op in range(self.n) if pending[op] == 0}
        order: list[int] = []
        while ready:
            best_key = None
            best_op = -1
            for op in ready:
                allocated = sum(self.cost[b] for b in self.outputs[op])
                freed = sum(self.cost[b] for b in self.inputs[op] if remaining[b] == 1)
                freed += sum(self.cost[b] for b in self.outputs[op] if remaining[b] == 0)
                step = live + allocated
                change = allocated - freed
                key = (step, change, op) if rule == "lowest-step" else (change, step, op)
                if best_key is None or key < best_key:
                    best_key, best_op = key, op
            op = best_op
            ready.remove(op)
            order.append(op)
            live += best_key[1] if rule == "lowest-step" else best_key[0]
            for b in self.inputs[op]:
                remaining[b] -= 1
            for succ in self.successors[op]:
                pending[succ] -= 1
                if pending[succ] == 0:
                    ready.add(succ)
        return order

    # -- exact order for small graphs ----------------------------------------

    def exact(self) -> list[int] | None:
        """Lowest-peak order by dynamic programming over sets of finished ops.

        The bytes alive after a set of ops finishes depend only on the set, so
        the best peak to reach a set is well defined. Returns None when the
        number of reachable sets exceeds the budget.
        """
        bit = [1 << op for op in range(self.n)]
        pred_mask = [sum(bit[p] for p in self.predecessors[op]) for op in range(self.n)]
        consumer_mask = {name: sum(bit[op] for op in self.consumers.get(name, [])) for name in self.cost}
        initial_live = sum(self.cost[name] for name in self.unproduced if consumer_mask[name])
        # state -> (peak so far, live bytes after it, previous state, last op)
        layer: dict[int, tuple[int, int, int, int]] = {0: (0, initial_live, -1, -1)}
        history: list[dict[int, tuple[int, int, int, int]]] = [layer]
        states = 1
        for _ in range(self.n):
            following: dict[int, tuple[int, int, int, int]] = {}
            for done in sorted(layer):
                peak, live, _, _ = layer[done]
                for op in range(self.n):
                    if done & bit[op] or (pred_mask[op] & ~done):
                        continue
                    after = done | bit[op]
                    allocated = sum(self.cost[b] for b in self.outputs[op])
                    step = live + allocated
                    freed = sum(self.cost[b] for b in self.inputs[op] if not consumer_mask[b] & ~after)
                    freed += sum(self.cost[b] for b in self.outputs[op] if not consumer_mask[b])
                    candidate = (max(peak, step), step - freed, done, op)
                    known = following.get(after)
                    if known is None or candidate[0] < known[0]:
                        following[after] = candidate
            states += len(following)
            if states > _EXACT_ORDER_MAX_STATES:
                return None
            layer = following
            history.append(layer)
        order: list[int] = []
        state = (1 << self.n) - 1
        for depth in range(self.n, 0, -1):
            _, _, previous, op = history[depth][state]
            order.append(op)
            state = previous
        order.reverse()
        return order


def memory_aware_order(
    num_ops: int,
    produces: Sequence[Sequence[str]],
    consumes: Sequence[Sequence[str]],
    sizes: Mapping[str, int],
    pinned: AbstractSet[str] = frozenset(),
) -> list[int]:
    """A topological order of the ops with the lowest live-byte peak found.

    Returns `list(range(num_ops))` (the original order) unless another order
    peaks strictly lower; raises ValueError if the original order is not itself
    a valid order (an op reads a buffer produced later) or the graph is cyclic.
    """
    graph = _Graph(num_ops, produces, consumes, sizes, set(pinned))
    graph.check_acyclic()
    original = list(range(num_ops))
    if not graph.is_topological(original):
        raise ValueError("the ops are not in dependency order: some op reads a buffer produced by a later op")
    best_order, best_peak = original, graph.peak(original)
    candidates = []
    if num_ops <= EXACT_ORDER_MAX_OPS:
        exact = graph.exact()
        if exact is not None:
            candidates.append(exact)
    if not candidates:
        candidates += [graph.greedy("lowest-step"), graph.greedy("most-freed")]
    for order in candidates:
        peak = graph.peak(order)
        if peak < best_peak:
            best_order, best_peak = order, peak
    return best_order


def live_peak(
    order: Sequence[int],
    produces: Sequence[Sequence[str]],
    consumes: Sequence[Sequence[str]],
    sizes: Mapping[str, int],
    pinned: AbstractSet[str] = frozenset(),
) -> int:
    """Most unpinned bytes alive at one step when the ops run in `order`."""
    graph = _Graph(len(produces), produces, consumes, sizes, set(pinned))
    if not graph.is_topological(order):
        raise ValueError(f"{list(order)} is not a topological order of the ops")
    return graph.peak(order)
