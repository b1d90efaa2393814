"""Building loop-level IR (scf/memref/arith/math) for one function.

`convert-pbuf-to-loops` writes every kernel with this small builder instead of
constructing xDSL ops by hand, so the rules that hold for all of them live in
one place:

- f16 is a storage type: `load` extends f16 to f32 and `store` rounds back, so
  kernels compute in f32 (or in the integer type) only;
- constants are created once per function, at its start, so the loop bodies
  hold work only and the C printer sees each literal once;
- index arithmetic with constants folds while it is built (`x * 1`, `x + 0`),
  because every op costs compile time (xDSL) and a line of C.
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import Callable, Sequence
from math import prod as math_prod

from xdsl.dialects import arith, math, memref, scf
from xdsl.dialects.builtin import (
    Float16Type,
    Float32Type,
    FloatAttr,
    IndexType,
    IntegerAttr,
    IntegerType,
    MemRefType,
    f32,
)
from xdsl.ir import Attribute, Block, Operation, SSAValue

INDEX = IndexType()

Index = SSAValue | int
"""A loop index or offset: an SSA value of type index, or a constant."""


def is_float(t: Attribute) -> bool:
    return isinstance(t, Float32Type | Float16Type)


def compute_type(element: Attribute) -> Attribute:
    """The type an element is computed in: f32 for floats (f16 included)."""
    return f32 if is_float(element) else element


def element_of(buffer: SSAValue) -> Attribute:
    t = buffer.type
    assert isinstance(t, MemRefType)
    return t.element_type


def shape_of(buffer: SSAValue) -> tuple[int, ...]:
    t = buffer.type
    assert isinstance(t, MemRefType)
    return tuple(t.get_shape())


def int_limits(t: Attribute) -> tuple[int, int]:
    assert isinstance(t, IntegerType)
    bits = t.width.data
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


class Emitter:
    """Inserts ops before an anchor op of a function's entry block, or at the end
    of the block of the loop being built; constants go to the function's start."""

    def __init__(self, entry: Block):
        self.entry = entry
        self._constants: dict[tuple[object, ...], SSAValue] = {}
        self._last_constant: Operation | None = None
        self._block: Block = entry
        self._before: Operation | None = None

    # -- where ops go ---------------------------------------------------------------

    def insert_before(self, anchor: Operation) -> None:
        self._block, self._before = anchor.parent_block(), anchor  # pyright: ignore

    def emit(self, op: Operation) -> Operation:
        if self._before is not None:
            self._block.insert_op_before(op, self._before)
        else:
            self._block.add_op(op)
        return op

    def value(self, op: Operation) -> SSAValue:
        return self.emit(op).results[0]

    # -- constants ----------------------------------------------------------------------

    def _constant(self, key: tuple[object, ...], make: Callable[[], Operation]) -> SSAValue:
        found = self._constants.get(key)
        if found is not None:
            return found
        op = make()
        if self._last_constant is None:
            first = self.entry.first_op
            if first is None:
                self.entry.add_op(op)
            else:
                self.entry.insert_op_before(op, first)
        else:
            self.entry.insert_op_after(op, self._last_constant)
        self._last_constant = op
        self._constants[key] = op.results[0]
        return op.results[0]

    def index(self, n: Index) -> SSAValue:
        if isinstance(n, SSAValue):
            return n
        return self._constant(("index", n), lambda: arith.ConstantOp(IntegerAttr(n, INDEX)))

    def int_(self, value: int, t: Attribute) -> SSAValue:
        assert isinstance(t, IntegerType)
        return self._constant(("int", t, value), lambda: arith.ConstantOp(IntegerAttr(value, t)))

    def f32(self, value: float) -> SSAValue:
        # Keyed by bits, so that -0.0 and 0.0 (and NaNs) stay distinct.
        bits = struct.pack("<f", value)
        return self._constant(("f32", bits), lambda: arith.ConstantOp(FloatAttr(value, f32)))

    def scalar(self, value: float | int, t: Attribute) -> SSAValue:
        """A constant in compute type `t` (f32 or an integer type)."""
        if is_float(t):
            return self.f32(float(value))
        return self.int_(int(value), t)

    def zero(self, t: Attribute) -> SSAValue:
        return self.scalar(0, t)

    def lowest(self, t: Attribute) -> SSAValue:
        """The identity of max: -inf, or the integer minimum."""
        return self.f32(float("-inf")) if is_float(t) else self.int_(int_limits(t)[0], t)

    def highest(self, t: Attribute) -> SSAValue:
        return self.f32(float("inf")) if is_float(t) else self.int_(int_limits(t)[1], t)

    # -- index arithmetic (folding constants) --------------------------------------------

    def add(self, a: Index, b: Index) -> Index:
        if isinstance(a, int) and isinstance(b, int):
            return a + b
        if isinstance(b, int) and b == 0:
            return a
        if isinstance(a, int) and a == 0:
            return b
        return self.value(arith.AddiOp(self.index(a), self.index(b)))

    def sub(self, a: Index, b: Index) -> Index:
        if isinstance(a, int) and isinstance(b, int):
            return a - b
        if isinstance(b, int) and b == 0:
            return a
        return self.value(arith.SubiOp(self.index(a), self.index(b)))

    def mul(self, a: Index, b: Index) -> Index:
        if isinstance(a, int) and isinstance(b, int):
            return a * b
        if isinstance(a, int):
            a, b = b, a
        if isinstance(b, int) and b == 1:
            return a
        if isinstance(b, int) and b == 0:
            return 0
        return self.value(arith.MuliOp(self.index(a), self.index(b)))

    def div(self, a: Index, k: int) -> Index:
        """Truncating division by a positive constant."""
        if isinstance(a, int):
            return int(a / k) if a < 0 else a // k
        if k == 1:
            return a
        return self.value(arith.DivSIOp(a, self.index(k)))

    def max_(self, a: Index, b: int) -> Index:
        if isinstance(a, int):
            return max(a, b)
        return self.value(arith.MaxSIOp(a, self.index(b)))

    def min_(self, a: Index, b: int) -> Index:
        if isinstance(a, int):
            return min(a, b)
        return self.value(arith.MinSIOp(a, self.index(b)))

    # -- memory ----------------------------------------------------------------------------

    def load_raw(self, buffer: SSAValue, indices: Sequence[Index]) -> SSAValue:
        return self.value(memref.LoadOp.get(buffer, [self.index(i) for i in indices]))

    def store_raw(self, value: SSAValue, buffer: SSAValue, indices: Sequence[Index]) -> None:
        self.emit(memref.StoreOp.get(value, buffer, [self.index(i) for i in indices]))

    def load(self, buffer: SSAValue, indices: Sequence[Index]) -> SSAValue:
        """An element in its compute type (f16 extended to f32)."""
        value = self.load_raw(buffer, indices)
        if isinstance(value.type, Float16Type):
            value = self.value(arith.ExtFOp(value, f32))
        return value

    def store(self, value: SSAValue, buffer: SSAValue, indices: Sequence[Index]) -> None:
        """Store a compute-type value, rounding to f16 when the buffer holds f16."""
        if isinstance(element_of(buffer), Float16Type) and not isinstance(value.type, Float16Type):
            value = self.value(arith.TruncFOp(value, element_of(buffer)))
        self.store_raw(value, buffer, indices)

    # -- loops ------------------------------------------------------------------------------

    def for_(
        self,
        lower: Index,
        upper: Index,
        body: Callable[[SSAValue, list[SSAValue]], Sequence[SSAValue] | None],
        inits: Sequence[SSAValue] = (),
        step: int = 1,
    ) -> scf.ForOp:
        """`scf.for %iv = lower to upper step step`; `body(iv, carried)` returns the
        values carried to the next iteration (one per init)."""
        block = Block(arg_types=[INDEX, *(v.type for v in inits)])
        block.args[0].name_hint = None
        saved = self._block, self._before
        self._block, self._before = block, None
        try:
            carried = body(block.args[0], list(block.args[1:])) or []
            assert len(carried) == len(inits), "a loop body must carry one value per init"
            self.emit(scf.YieldOp(*carried))
        finally:
            self._block, self._before = saved
        loop = scf.ForOp(self.index(lower), self.index(upper), self.index(step), list(inits), block)
        self.emit(loop)
        return loop

    def nest(self, bounds: Sequence[int], body: Callable[[list[SSAValue]], None]) -> scf.ForOp:
        """A perfect nest over `bounds` (one loop per dimension, outermost first).

        A rank-0 nest is one loop of one trip, so every kernel has an outermost
        loop to carry its source location."""
        if not bounds:
            return self.for_(0, 1, lambda iv, _: body([]))

        def level(depth: int, ivs: list[SSAValue]) -> scf.ForOp:
            def inner(iv: SSAValue, _: list[SSAValue]) -> None:
                if depth + 1 == len(bounds):
                    body([*ivs, iv])
                else:
                    level(depth + 1, [*ivs, iv])

            return self.for_(0, bounds[depth], inner)

        return level(0, [])

    def reduce(
        self,
        bounds: Sequence[tuple[Index, Index]],
        inits: Sequence[SSAValue],
        body: Callable[[list[SSAValue], list[SSAValue]], Sequence[SSAValue]],
        unroll: int = 0,
    ) -> list[SSAValue]:
        """Loops over the ranges `bounds` carrying `inits`; returns the final values.
        With no bounds the body runs once, inline; with constant bounds of at
        most `unroll` trips in all, once per trip, inline (constant indices)."""
        if not bounds:
            return list(body([], list(inits)))
        if all(isinstance(b, int) for bound in bounds for b in bound):
            trips = [range(lo, hi) for lo, hi in bounds]  # pyright: ignore[reportArgumentType]
            if 0 < math_prod(len(t) for t in trips) <= unroll:
                values = list(inits)
                for ivs in itertools.product(*trips):
                    values = list(body(list(ivs), values))  # pyright: ignore[reportArgumentType]
                return values

        def level(depth: int, ivs: list[SSAValue], carried: Sequence[SSAValue]) -> list[SSAValue]:
            def inner(iv: SSAValue, values: list[SSAValue]) -> Sequence[SSAValue]:
                if depth + 1 == len(bounds):
                    return body([*ivs, iv], values)
                return level(depth + 1, [*ivs, iv], values)

            lo, hi = bounds[depth]
            return list(self.for_(lo, hi, inner, carried).results)

        return level(0, [], inits)

    # -- scalar arithmetic in compute types ----------------------------------------------------

    def binary(self, float_op: type[Operation], int_op: type[Operation], a: SSAValue, b: SSAValue) -> SSAValue:
        cls = float_op if is_float(a.type) else int_op
        return self.value(cls(a, b))  # pyright: ignore[reportCallIssue]

    def addv(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self.binary(arith.AddfOp, arith.AddiOp, a, b)

    def subv(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self.binary(arith.SubfOp, arith.SubiOp, a, b)

    def mulv(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self.binary(arith.MulfOp, arith.MuliOp, a, b)

    def divv(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self.binary(arith.DivfOp, arith.DivSIOp, a, b)

    def maxv(self, a: SSAValue, b: SSAValue) -> SSAValue:
        """NaN-propagating for floats (arith.maximumf)."""
        return self.binary(arith.MaximumfOp, arith.MaxSIOp, a, b)

    def minv(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self.binary(arith.MinimumfOp, arith.MinSIOp, a, b)

    def math(self, cls: type[Operation], x: SSAValue) -> SSAValue:
        return self.value(cls(x))  # pyright: ignore[reportCallIssue]

    def sqrt(self, x: SSAValue) -> SSAValue:
        return self.math(math.SqrtOp, x)

    def select(self, cond: SSAValue, a: SSAValue, b: SSAValue) -> SSAValue:
        return self.value(arith.SelectOp(cond, a, b))

    def cmpf(self, a: SSAValue, b: SSAValue, predicate: str) -> SSAValue:
        return self.value(arith.CmpfOp(a, b, predicate))

    def cmpi(self, a: SSAValue, b: SSAValue, predicate: str) -> SSAValue:
        return self.value(arith.CmpiOp(a, b, predicate))

    def widen(self, x: SSAValue, t: Attribute) -> SSAValue:
        """A signed integer widened to `t` (exact), or `x` when it already has type `t`."""
        if x.type == t:
            return x
        return self.value(arith.ExtSIOp(x, t))  # pyright: ignore[reportArgumentType]

    def index_to(self, i: Index, t: Attribute) -> SSAValue:
        """An index as an integer of type `t`, or as f32."""
        if isinstance(i, int):
            return self.scalar(i, t)
        if is_float(t):
            as_int = self.value(arith.IndexCastOp(i, IntegerType(32)))
            return self.value(arith.SIToFPOp(as_int, f32))
        return self.value(arith.IndexCastOp(i, t))
