"""Building the portable vector level: loops whose bodies compute on
`vector<Wxf32>` with xDSL's `vector` and `arith` ops.

This is the one vocabulary the vector kernels (vector_*.py) speak. It is
what both printers take as it is (GCC/Clang vector extensions in C, vector
types in LLVM IR) and what `convert-vector-to-arm-simd` maps one to one onto
NEON intrinsics, so a kernel is written once for every machine and the lane
count W is its only machine-dependent parameter.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from xdsl.dialects import arith, vector
from xdsl.dialects.builtin import DenseArrayBase, DenseIntOrFPElementsAttr, VectorType, f32, i32, i64
from xdsl.ir import Block, OpResult, SSAValue

from pelemay_ir.passes.legalize import LOOSE_MINMAX
from pelemay_ir.passes.loops_emitter import Emitter, Index

_KINDS = {
    "add": vector.CombiningKindFlag.ADD,
    "max": vector.CombiningKindFlag.MAXIMUMF,
    "min": vector.CombiningKindFlag.MINIMUMF,
}


BITS_OPS = (arith.BitcastOp, arith.ShLIOp)
"""The vector level's ops on vector<Wxi32>: the bits of f32 lanes
(`arith.bitcast`, both ways) shifted left by a splat constant (`arith.shli`)."""


def shift_amount(op: arith.ShLIOp) -> int | None:
    """The amount of a vector shift by a splat constant in 0..31 (the only
    shift of the vector level: every printer takes it as an immediate), else None."""
    amount = op.rhs
    if not (isinstance(amount, OpResult) and isinstance(amount.op, arith.ConstantOp)):
        return None
    value = amount.op.value
    if not isinstance(value, DenseIntOrFPElementsAttr):
        return None
    values = {int(v) for v in value.get_values()}
    if len(values) != 1:
        return None
    (shift,) = values
    return shift if 0 <= shift < 32 else None


def deinterleave_masks(lanes: int) -> tuple[list[int], list[int]]:
    """vector.shuffle masks taking the even and the odd lanes of 2W."""
    return list(range(0, 2 * lanes, 2)), list(range(1, 2 * lanes, 2))


def interleave_mask(lanes: int) -> list[int]:
    """The vector.shuffle mask that interleaves two W-lane vectors into 2W."""
    return [k // 2 + (k % 2) * lanes for k in range(2 * lanes)]


class VectorEmitter(Emitter):
    """An Emitter that also builds W-lane f32 vector ops."""

    def __init__(self, entry: Block, lanes: int):
        super().__init__(entry)
        self.set_lanes(lanes)

    def set_lanes(self, lanes: int) -> None:
        """Vectors of `lanes` f32 from here on (an op whose rows are narrower than
        the machine's widest vector takes a narrower one)."""
        self.lanes = lanes
        self.vtype = VectorType(f32, [lanes])
        self.itype = VectorType(i32, [lanes])

    def vload(self, buffer: SSAValue, indices: Sequence[Index], vtype: VectorType | None = None) -> SSAValue:
        """W consecutive elements along the last dimension, from `indices` on
        (as many as `vtype` holds, if given)."""
        return self.value(
            vector.LoadOp.create(operands=[buffer, *(self.index(i) for i in indices)],
                                 result_types=[vtype or self.vtype])
        )

    def vstore(self, value: SSAValue, buffer: SSAValue, indices: Sequence[Index]) -> None:
        self.emit(vector.StoreOp.create(operands=[value, buffer, *(self.index(i) for i in indices)]))

    def vload2(self, buffer: SSAValue, indices: Sequence[Index]) -> tuple[SSAValue, SSAValue]:
        """2W consecutive elements from `indices` on, deinterleaved: (the even-
        numbered, the odd-numbered). One vector.load of vector<2Wxf32> and two
        vector.shuffle, which convert-vector-to-arm-simd makes one load2."""
        both = self.vload(buffer, indices, VectorType(f32, [2 * self.lanes]))
        return tuple(  # pyright: ignore[reportReturnType]
            self.value(vector.ShuffleOp(both, both, DenseArrayBase.from_list(i64, mask), result_type=self.vtype))
            for mask in deinterleave_masks(self.lanes)
        )

    def vstore2(self, even: SSAValue, odd: SSAValue, buffer: SSAValue, indices: Sequence[Index]) -> None:
        """The inverse of vload2: `even` and `odd` interleaved into 2W elements."""
        wide = VectorType(f32, [2 * self.lanes])
        both = self.value(vector.ShuffleOp(even, odd, DenseArrayBase.from_list(i64, interleave_mask(self.lanes)),
                                           result_type=wide))
        self.vstore(both, buffer, indices)

    def put(self, value: SSAValue, buffer: SSAValue, indices: Sequence[Index], vec: bool) -> None:
        """A vector store, or a scalar one (the kernels' tails)."""
        if vec:
            self.vstore(value, buffer, indices)
        else:
            self.store(value, buffer, indices)

    def splat(self, scalar: SSAValue) -> SSAValue:
        return self.value(vector.BroadcastOp(scalar, self.vtype))

    def lane(self, v: SSAValue, lane: int) -> SSAValue:
        """Lane `lane` (a constant) of `v`, as a scalar."""
        return self.value(vector.ExtractOp(v, [lane], f32))

    def vconst(self, value: float) -> SSAValue:
        """A splat constant, made once per function beside the other constants."""
        scalar = self.f32(value)
        bits = struct.pack("<f", value)
        return self._constant(("splat", self.lanes, bits), lambda: vector.BroadcastOp(scalar, self.vtype))

    def vfma(self, a: SSAValue, b: SSAValue, acc: SSAValue) -> SSAValue:
        """a * b + acc, lane by lane."""
        return self.value(vector.FMAOp(a, b, acc))

    def vadd(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self.value(arith.AddfOp(a, b))

    def vsub(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self.value(arith.SubfOp(a, b))

    def vmul(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self.value(arith.MulfOp(a, b))

    def vdiv(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self.value(arith.DivfOp(a, b))

    def vmax(self, a: SSAValue, b: SSAValue, loose: bool = False) -> SSAValue:
        """NaN-propagating, as arith.maximumf and the scalar kernels; `loose`:
        either operand on a NaN or on zeros of either sign (`fastmath<nnan,nsz>`,
        legalize's loose minmax), for a value whose user gets the same result
        either way."""
        flags = arith.FastMathFlagsAttr(sorted(LOOSE_MINMAX) if loose else "none")
        return self.value(arith.MaximumfOp(a, b, flags))

    def vmin(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self.value(arith.MinimumfOp(a, b))

    def vneg(self, a: SSAValue) -> SSAValue:
        return self.value(arith.NegfOp(a))

    def hreduce(self, v: SSAValue, kind: str) -> SSAValue:
        """The lanes of `v` combined into one f32 (`add`, `max` or `min`)."""
        return self.value(
            vector.ReductionOp.create(
                operands=[v], result_types=[f32], properties={"kind": vector.CombiningKindAttr(_KINDS[kind])}
            )
        )

    def vbits(self, v: SSAValue) -> SSAValue:
        """The bits of each f32 lane as an i32 lane (no conversion)."""
        return self.value(arith.BitcastOp(v, self.itype))

    def vfloat(self, bits: SSAValue) -> SSAValue:
        """i32 lanes read as the bits of f32 lanes."""
        return self.value(arith.BitcastOp(bits, self.vtype))

    def vshift_left(self, bits: SSAValue, amount: int) -> SSAValue:
        """Each i32 lane shifted left by a constant amount (0..31)."""
        shift = self._constant(
            ("ishift", self.lanes, amount),
            lambda: arith.ConstantOp(DenseIntOrFPElementsAttr.from_list(self.itype, [amount])),
        )
        return self.value(arith.ShLIOp(bits, shift))
