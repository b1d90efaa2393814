"""`parallelize{threads=N}`: mark the loops whose iterations may run on N cores.

For each top-level loop nest of each function the pass looks at the
outermost `scf.for` (going down through loops of one trip, and then into
every loop of their body) and marks it `pelemay.parallel = N : i64` when
its iterations provably touch disjoint memory. `outline-parallel` (which
the printers run) turns a marked loop into a worker run by N threads;
nothing else changes, so the marks are all this pass adds.

Soundness criterion (a loop L with induction variable `iv`, constant
bounds and constant step `S`):

- L has no iter_args (no value flows from one iteration to the next) and
  holds no `func.call` and no op that touches a memref other than the
  loads and stores listed below (memref.load/store, vector.load/store,
  arm_simd.load/store/load2/store2/load_x2/load_x4/load_lane/store_lane)
  and memref.view / reinterpret_cast;
- every memref is traced to its storage: an entry argument (inputs and
  outputs are distinct arrays), a byte range of the arena or weights (a
  view at a constant offset), an alloca, or a global; the arguments of a
  non-entry function may alias one another. Storage written inside L must
  be reached only through views of one identity (same storage, same
  offset, same type) everywhere in L; any other access that may overlap it
  defeats the proof. An alloca made inside L is private to an iteration;
- for every written buffer there is one dimension `d` such that every
  access to it in L (each store, and each load: reading the same slice, as
  an in-place elementwise op or softmax re-reading `out` does, is fine)
  has index `iv + c` in dimension d with `0 <= c` and `c + extent <= S`,
  where c may come from constants, from `arith.addi/subi/minsi/maxsi`, and
  from the induction variables of inner loops with bounds relative to `iv`
  (a matmul row block writes rows `i0 + r`, r < R; a cache panel writes
  columns `j` in `[p, min(p + P, N))`); `extent` is the vector's lanes when
  d is the last dimension of a vector access, else 1. Iteration k then
  writes only inside `[lb + k*S, lb + (k+1)*S)` along d: no iteration reads
  or writes what another writes.

Whatever the analysis cannot prove stays sequential, and so do loops of
fewer than 2 trips (the pass goes into them instead), loops whose whole
work is below `MIN_WORK` statement executions, about the cost of handing a
loop to running threads, and every loop of a function whose parallel work
in all is below the `min-work` option (default `MIN_TEAM_WORK`), about
what waking the program's threads costs (they start once and sleep between
calls: targets/c_runtime.py). A loop that is not
provably parallel is looked into when it runs at most
`MAX_SEQUENTIAL_TRIPS` times (its loops are handed to the threads once per
iteration); a longer one stops the descent, since the hand-overs would
cost more than they give.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, func, memref, scf, vector
from xdsl.dialects.builtin import IntegerAttr, i64, MemRefType, ModuleOp, VectorType
from xdsl.ir import BlockArgument, Operation, OpResult, SSAValue
from xdsl.passes import ModulePass

from pelemay_ir.dialects import arm_simd
from pelemay_ir.dialects.parallel import MAX_THREADS
from pelemay_ir.ir import CompileError

PARALLEL_ATTR = "pelemay.parallel"
"""On a marked scf.for: how many threads run its iterations."""
MIN_WORK = 1 << 14
"""Loops doing fewer statement executions than this stay sequential (about
the cost of handing a loop to threads already running)."""
MIN_TEAM_WORK = 1 << 20
"""The default `min-work`: a function whose parallel loops do fewer statement
executions than this in all stays sequential (a few times the cost of waking
its kept threads after an idle spell, measured in docs/vectorize.md)."""
MAX_SEQUENTIAL_TRIPS = 16
"""A loop that must stay sequential but runs at most this many times may hold
parallel loops: each of its iterations hands them to the threads (a packed
matmul's panel loop, whose iterations share the packing scratch, around the
row blocks)."""
ENTRY_ATTR = "pelemay.entry"


# --- value ranges relative to the loop's induction variable ---------------------------


@dataclass(frozen=True)
class Affine:
    """v = k * iv + r with r in [lo, hi] (None: unbounded on that side), k 0 or 1."""

    k: int
    lo: int | None
    hi: int | None


def _add(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a + b


def constant_value(v: SSAValue) -> int | None:
    if isinstance(v, OpResult) and isinstance(v.op, arith.ConstantOp) and isinstance(v.op.value, IntegerAttr):
        return v.op.value.value.data
    return None


class _Ranges:
    """What each index value inside loop L is, as an `Affine` of L's iv."""

    def __init__(self, loop: scf.ForOp, lb: int, ub: int):
        self.loop = loop
        self.iv = loop.body.block.args[0]
        self.iv_range = (lb, ub - 1)
        self.memo: dict[SSAValue, Affine | None] = {}

    def of(self, v: SSAValue) -> Affine | None:
        if v not in self.memo:
            self.memo[v] = None  # cycles (none in SSA, but be safe)
            self.memo[v] = self._compute(v)
        return self.memo[v]

    def _inside(self, op: Operation) -> bool:
        return self.loop.is_ancestor(op)

    def _compute(self, v: SSAValue) -> Affine | None:
        if v is self.iv:
            return Affine(1, 0, 0)
        c = constant_value(v)
        if c is not None:
            return Affine(0, c, c)
        if isinstance(v, BlockArgument):
            owner = v.block.parent_op()
            if owner is None or not self._inside(owner):
                return Affine(0, None, None)  # fixed while L runs
            if isinstance(owner, scf.ForOp) and v.index == 0:
                return self._inner_iv(owner)
            return None
        assert isinstance(v, OpResult)
        op = v.op
        if not self._inside(op):
            return Affine(0, None, None)
        if isinstance(op, arith.AddiOp):
            a, b = self.of(op.lhs), self.of(op.rhs)
            if a is None or b is None or a.k + b.k > 1:
                return None
            return Affine(a.k + b.k, _add(a.lo, b.lo), _add(a.hi, b.hi))
        if isinstance(op, arith.SubiOp):
            a, b = self.of(op.lhs), self.of(op.rhs)
            if a is None or b is None or a.k - b.k not in (0, 1):
                return None
            return Affine(a.k - b.k, _add(a.lo, None if b.hi is None else -b.hi),
                          _add(a.hi, None if b.lo is None else -b.lo))
        if isinstance(op, (arith.MinSIOp, arith.MaxSIOp)):
            return self._min_max(op)
        return None

    def _min_max(self, op: arith.MinSIOp | arith.MaxSIOp) -> Affine | None:
        a, b = self.of(op.lhs), self.of(op.rhs)
        if a is None or b is None:
            return None
        if a.k != b.k:  # bring the constant one to the iv's form: c - iv is within [c - ivmax, c - ivmin]
            a, b = (a, b) if a.k == 1 else (b, a)
            b = Affine(1, _add(b.lo, -self.iv_range[1]), _add(b.hi, -self.iv_range[0]))
        small = isinstance(op, arith.MinSIOp)

        def pick(x: int | None, y: int | None, lower: bool) -> int | None:
            # the min's upper bound is the smaller upper bound (an unbounded side loses);
            # its lower bound is the smaller lower bound (unbounded wins). Dually for max.
            if lower == small:
                return None if x is None or y is None else min(x, y) if small else max(x, y)
            if x is None or y is None:
                return x if y is None else y
            return min(x, y) if small else max(x, y)

        return Affine(a.k, pick(a.lo, b.lo, True), pick(a.hi, b.hi, False))

    def _inner_iv(self, inner: scf.ForOp) -> Affine | None:
        step = constant_value(inner.step)
        lb, ub = self.of(inner.lb), self.of(inner.ub)
        if step is None or step <= 0 or lb is None or ub is None or lb.k != ub.k:
            return None
        if lb.lo is None:
            return Affine(lb.k, None, None)
        if ub.hi is None:
            return Affine(lb.k, lb.lo, None)
        if lb.lo == lb.hi:  # iv = lb + j * step < ub
            top = lb.lo + max(0, (ub.hi - 1 - lb.lo)) // step * step
        else:
            top = ub.hi - 1
        return Affine(lb.k, lb.lo, max(top, lb.lo))


# --- where memrefs live -----------------------------------------------------------------


@dataclass(frozen=True)
class Storage:
    """The memory a memref value reaches: `root` and a byte range in it (None: unknown)."""

    root: object
    start: int | None
    end: int | None
    type: MemRefType

    def overlaps(self, other: Storage) -> bool:
        if self.root != other.root:
            return False
        if self.start is None or self.end is None or other.start is None or other.end is None:
            return True  # an unknown range may overlap anything of its root
        return self.start < other.end and other.start < self.end

    @property
    def identity(self) -> tuple[object, int | None, MemRefType]:
        return (self.root, self.start, self.type)


_UNKNOWN_ROOT = "unknown memory"


def _byte_size(t: MemRefType) -> int | None:
    n = 1
    for d in t.get_shape():
        if d < 0:
            return None
        n *= d
    element_bytes = getattr(t.element_type, "size", None)  # none for index: its width is the machine's
    return n * element_bytes if isinstance(element_bytes, int) else None


def storage_of(v: SSAValue) -> Storage:
    t = v.type
    assert isinstance(t, MemRefType)
    if isinstance(v, BlockArgument):
        owner = v.block.parent_op()
        if isinstance(owner, func.FuncOp) and ENTRY_ATTR in owner.attributes:
            return Storage(v, 0, _byte_size(t), t)
        if isinstance(owner, func.FuncOp):
            return Storage(("arguments of", owner), None, None, t)
        return Storage(_UNKNOWN_ROOT, None, None, t)
    assert isinstance(v, OpResult)
    op = v.op
    if isinstance(op, memref.ViewOp):
        src = storage_of(op.source)
        shift = constant_value(op.byte_shift)
        size = _byte_size(t)
        if src.start is None or shift is None or size is None:
            return Storage(src.root, None, None, t)
        return Storage(src.root, src.start + shift, src.start + shift + size, t)
    if isinstance(op, memref.ReinterpretCastOp):
        src = storage_of(op.source)
        return Storage(src.root, src.start, src.end, t)
    if isinstance(op, memref.AllocaOp):
        return Storage(op, 0, _byte_size(t), t)
    if isinstance(op, memref.GetGlobalOp):
        return Storage(("global", op.name_.root_reference.data), 0, _byte_size(t), t)
    return Storage(_UNKNOWN_ROOT, None, None, t)


@dataclass(frozen=True)
class Access:
    op: Operation
    memref: SSAValue
    indices: tuple[SSAValue, ...]
    lanes: int
    writes: bool


_VIEWS = (memref.ViewOp, memref.ReinterpretCastOp, memref.AllocaOp, memref.GetGlobalOp)


def _lanes(t) -> int:
    return t.get_shape()[0] if isinstance(t, VectorType) else 1


def memory_access(op: Operation) -> Access | None | bool:
    """The memory access `op` makes; None when it makes none; False when it
    touches memory in a way the analysis does not know."""
    if isinstance(op, memref.LoadOp):
        return Access(op, op.memref, tuple(op.indices), 1, False)
    if isinstance(op, memref.StoreOp):
        return Access(op, op.memref, tuple(op.indices), 1, True)
    if isinstance(op, vector.LoadOp):
        return Access(op, op.base, tuple(op.indices), _lanes(op.result.type), False)
    if isinstance(op, vector.StoreOp):
        return Access(op, op.base, tuple(op.indices), _lanes(op.vector.type), True)
    if isinstance(op, arm_simd.LoadOp):
        return Access(op, op.memref, tuple(op.indices), _lanes(op.result.type), False)
    if isinstance(op, arm_simd.StoreOp):
        return Access(op, op.memref, tuple(op.indices), _lanes(op.value.type), True)
    if isinstance(op, arm_simd.Load2Op):
        return Access(op, op.memref, tuple(op.indices), 2 * _lanes(op.even.type), False)
    if isinstance(op, (arm_simd.LoadX2Op, arm_simd.LoadX4Op)):
        return Access(op, op.memref, tuple(op.indices), len(op.results) * _lanes(op.v0.type), False)
    if isinstance(op, arm_simd.Store2Op):
        return Access(op, op.memref, tuple(op.indices), 2 * _lanes(op.even.type), True)
    if isinstance(op, arm_simd.LoadLaneOp):
        return Access(op, op.memref, tuple(op.indices), 1, False)
    if isinstance(op, arm_simd.StoreLaneOp):
        return Access(op, op.memref, tuple(op.indices), 1, True)
    if isinstance(op, func.CallOp):
        return False
    if isinstance(op, _VIEWS):
        return None
    if any(isinstance(v.type, MemRefType) for v in op.operands):
        return False
    return None


def constant_bounds(loop: scf.ForOp) -> tuple[int, int, int] | None:
    lb, ub, step = constant_value(loop.lb), constant_value(loop.ub), constant_value(loop.step)
    if lb is None or ub is None or step is None or step <= 0:
        return None
    return lb, ub, step


def trip_count(lb: int, ub: int, step: int) -> int:
    return max(0, -(-(ub - lb) // step))


def work(op: Operation, ranges: _Ranges | None = None) -> int:
    """Statement executions of `op` (loops of unknown trip count count as one
    trip, or as their span when it is bounded relative to an outer iv)."""
    total = 0
    for inner in op.regions[0].block.ops if op.regions else ():
        total += _work_of(inner, ranges)
    if isinstance(op, scf.ForOp):
        bounds = constant_bounds(op)
        if bounds is not None:
            return total * trip_count(*bounds)
        if ranges is not None:
            step = constant_value(op.step)
            lb, ub = ranges.of(op.lb), ranges.of(op.ub)
            if step and step > 0 and lb and ub and lb.k == ub.k and lb.lo is not None and ub.hi is not None:
                return total * max(1, trip_count(lb.lo, ub.hi, step))
    return total


def _work_of(op: Operation, ranges: _Ranges | None) -> int:
    if isinstance(op, (arith.ConstantOp, scf.YieldOp)):
        return 0
    if isinstance(op, scf.ForOp):
        return work(op, ranges)
    if op.regions:
        return 1 + sum(_work_of(o, ranges) for r in op.regions for b in r.blocks for o in b.ops)
    return 1


def independent(loop: scf.ForOp) -> bool:
    """Whether L's iterations provably touch disjoint memory (see the module docstring)."""
    bounds = constant_bounds(loop)
    if bounds is None or loop.iter_args or loop.results:
        return False
    lb, ub, step = bounds
    ranges = _Ranges(loop, lb, ub)
    accesses: list[Access] = []
    for op in loop.body.walk():
        found = memory_access(op)
        if found is False:
            return False
        if isinstance(found, Access):
            accesses.append(found)
    placed = []
    for a in accesses:
        where = storage_of(a.memref)
        if where.root == _UNKNOWN_ROOT:
            return False
        if isinstance(where.root, Operation) and loop.is_ancestor(where.root):
            continue  # an alloca made in the iteration: private
        placed.append((a, where))
    written = {where.identity: where for a, where in placed if a.writes}
    for identity, where in written.items():
        group = []
        for a, other in placed:
            if other.identity == identity:
                group.append(a)
            elif other.overlaps(where):
                return False  # the same bytes through another view: not provable
        if not _one_slice(group, ranges, step):
            return False
    return True


def _one_slice(group: list[Access], ranges: _Ranges, step: int) -> bool:
    """Some dimension d where every access of the group stays in [iv, iv + step)."""
    rank = len(group[0].indices)
    for d in range(rank):
        last = d == rank - 1
        ok = True
        for a in group:
            r = ranges.of(a.indices[d])
            extent = a.lanes if last else 1
            if r is None or r.k != 1 or r.lo is None or r.hi is None or r.lo < 0 or r.hi + extent > step:
                ok = False
                break
        if ok:
            return True
    return False


def candidates(loop: scf.ForOp, around: int = 1) -> Iterator[tuple[scf.ForOp, int]]:
    """The loops to mark in the nest of `loop` (one trip: look inside), each
    with its statement executions over a whole call: its work times the trips
    of the loops `around` it."""
    bounds = constant_bounds(loop)
    if bounds is None:
        return
    trips = trip_count(*bounds)
    if trips < 2 or not independent(loop):
        if 0 < trips <= MAX_SEQUENTIAL_TRIPS:  # a few threads starts per inner loop
            for op in loop.body.block.ops:
                if isinstance(op, scf.ForOp):
                    yield from candidates(op, around * trips)
        return
    amount = work(loop, _Ranges(loop, bounds[0], bounds[1]))
    if amount >= MIN_WORK:
        yield loop, amount * around


@dataclass(frozen=True)
class ParallelizePass(ModulePass):
    """Mark provably independent outer loops `pelemay.parallel = threads`."""

    name = "parallelize"

    threads: int = 1
    min_work: int = MIN_TEAM_WORK

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if not isinstance(self.threads, int) or isinstance(self.threads, bool) or not 1 <= self.threads <= MAX_THREADS:
            raise CompileError(
                f"parallelize: threads must be an integer from 1 to {MAX_THREADS}, got {self.threads!r}"
            )
        if isinstance(self.min_work, bool) or not isinstance(self.min_work, int) or self.min_work < 0:
            raise CompileError(f"parallelize: min-work must be an integer, 0 or more, got {self.min_work!r}")
        if self.threads == 1:
            return
        for fn in op.ops:
            if not isinstance(fn, func.FuncOp) or not fn.body.blocks:
                continue
            found = [c for top in fn.body.block.ops if isinstance(top, scf.ForOp) for c in candidates(top)]
            if sum(total for _, total in found) < self.min_work:
                continue
            for loop, _ in found:
                loop.attributes[PARALLEL_ATTR] = IntegerAttr(self.threads, i64)
