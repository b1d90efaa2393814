"""arm_simd: ARM NEON at the level of its C intrinsics, on builtin vector types.

Each op is one NEON intrinsic family; `intrinsic()` names the intrinsic an op
prints to for its vector type, and `machines()` names the machines of the
machine vocabulary (docs/design.md) whose NEON has it. The op set is the one
the vectorizer needs for elementwise ops, reductions, matmul and int8 dot
products.

Vectors are 128-bit (Q registers): vector<4xf32>, vector<4xi32>,
vector<8xi16>, vector<16xi8>, vector<8xf16>; 64-bit halves (D registers:
vector<2xf32>, vector<2xi32>, vector<4xi16>, vector<8xi8>) appear where an
intrinsic works on halves (pairwise add, widening multiply). Signless integer
vectors are signed (the `_s` intrinsics); comparison masks are unsigned
vectors of the same lane width (vector<4xui32>, ...), as NEON's uint32x4_t.

f16 vectors: arithmetic on float16x8_t is ARMv8.2-A FP16, which of our
machines only aarch64-dotprod (Cortex-A55) has; every op on an f16 vector is
therefore available on aarch64-dotprod only, loads and stores included, so a
program either has the whole f16 path or none of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from xdsl.dialects.builtin import (
    I64,
    IndexType,
    IntegerAttr,
    IntegerType,
    MemRefType,
    Signedness,
    StringAttr,
    VectorType,
    f16,
    f32,
    i8,
    i16,
    i32,
    i64,
)
from xdsl.ir import Attribute, Dialect, Operation, SSAValue
from xdsl.irdl import (
    BaseAttr,
    IRDLOperation,
    ParsePropInAttrDict,
    VerificationContext,
    irdl_op_definition,
    operand_def,
    prop_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from pelemay_ir.dialects.ptensor import type_str
from pelemay_ir.machines import MACHINES

# --- machines ----------------------------------------------------------------

# Read off the one machine table (pelemay_ir.machines), in its order.
NEON_MACHINES = tuple(n for n, m in MACHINES.items() if m.vectors is not None and m.vectors.isa == "neon")
"""Every machine with NEON: the base ARMv7 Advanced SIMD set."""
FUSED_MACHINES = tuple(n for n in NEON_MACHINES if MACHINES[n].vectors.fused_multiply_add)  # pyright: ignore
"""VFPv4 fused multiply-add: Cortex-A7/A15 and every AArch64 core, not Cortex-A8."""
AARCH64_MACHINES = tuple(n for n in NEON_MACHINES if MACHINES[n].pointer_bits == 64)
"""The A64 additions to NEON (across-vector reductions, ...)."""
DOTPROD_MACHINES = tuple(n for n in NEON_MACHINES if "+dotprod" in MACHINES[n].llvm.features.split(","))  # pyright: ignore
"""ARMv8.2-A dot product (SDOT) and FP16 arithmetic."""
FP16_MACHINES = DOTPROD_MACHINES

# --- vector types ------------------------------------------------------------


def _vec(elem: Attribute, lanes: int) -> VectorType:
    return VectorType(elem, [lanes])


def _unsigned(width: int) -> IntegerType:
    return IntegerType(width, Signedness.UNSIGNED)


F32X4, I32X4, I16X8, I8X16, F16X8 = (
    _vec(f32, 4), _vec(i32, 4), _vec(i16, 8), _vec(i8, 16), _vec(f16, 8)
)
F32X2, I32X2, I16X4, I8X8 = _vec(f32, 2), _vec(i32, 2), _vec(i16, 4), _vec(i8, 8)
Q_TYPES = (F32X4, I32X4, I16X8, I8X16, F16X8)
D_TYPES = (F32X2, I32X2, I16X4, I8X8)

_SUFFIX = {f32: "f32", i32: "s32", i16: "s16", i8: "s8", f16: "f16"}
_HALF = {F32X4: F32X2, I32X4: I32X2, I16X8: I16X4, I8X16: I8X8}


def suffix(t: VectorType) -> str:
    """The intrinsic suffix of a vector's element type: f32, s32, s16, s8, f16."""
    return _SUFFIX[t.element_type]


def mask_of(t: VectorType) -> VectorType:
    """The comparison mask of a vector type: unsigned lanes of the same width."""
    elem = t.element_type
    width = elem.width.data if isinstance(elem, IntegerType) else elem.bitwidth  # pyright: ignore
    return _vec(_unsigned(width), t.get_shape()[0])


def _q_table(stem: str, types: Sequence[VectorType] = Q_TYPES) -> dict[Attribute, str]:
    """`vaddq_f32`, `vaddq_s32`, ... for the given Q types."""
    return {t: f"{stem}q_{suffix(t)}" for t in types}


def _d_table(stem: str, types: Sequence[VectorType] = D_TYPES) -> dict[Attribute, str]:
    return {t: f"{stem}_{suffix(t)}" for t in types}


class VectorConstraint(BaseAttr[VectorType]):
    """Accepts builtin vector types, with a message the custom syntax can show."""

    def verify(self, attr: Attribute, constraint_context: VerificationContext) -> None:
        if not isinstance(attr, VectorType):
            raise VectorConstraint.error(attr)

    @staticmethod
    def error(attr: Attribute) -> VerifyException:
        return VerifyException(f"expected a vector type, got {type_str(attr)}")


class MemRefConstraint(BaseAttr[MemRefType]):
    def verify(self, attr: Attribute, constraint_context: VerificationContext) -> None:
        if not isinstance(attr, MemRefType):
            raise VerifyException(f"expected a memref type, got {type_str(attr)}")


VECTOR = VectorConstraint(VectorType)
MEMREF = MemRefConstraint(MemRefType)
_PROPS_IN_ATTR_DICT = (ParsePropInAttrDict(),)


def _one_of(types: Sequence[Attribute]) -> str:
    names = ", ".join(type_str(t) for t in types)
    return f"one of {names}" if len(types) > 1 else names


# --- the shared base -----------------------------------------------------------


class ArmSimdOp(IRDLOperation):
    """An op that is one NEON intrinsic family.

    `INTRINSICS` maps the op's key vector type (by default its result's) to the
    intrinsic it prints to; its keys are the only types the op accepts.
    `MACHINES` lists the machines that have the intrinsics; an op on f16
    vectors narrows that to FP16_MACHINES.
    """

    MACHINES: ClassVar[tuple[str, ...]] = NEON_MACHINES
    INTRINSICS: ClassVar[dict[Attribute, str]] = {}
    KEY: ClassVar[str] = "result"
    """The operand or result whose type selects the intrinsic."""

    def key_type(self) -> Attribute:
        return getattr(self, self.KEY).type

    def intrinsic(self) -> str:
        """The C intrinsic this op prints to (the op must verify)."""
        return self.INTRINSICS[self.key_type()]

    def machines(self) -> tuple[str, ...]:
        """The machines whose NEON has this op at its vector type."""
        if any(_has_f16(v.type) for v in (*self.operands, *self.results)):
            return tuple(m for m in self.MACHINES if m in FP16_MACHINES)
        return self.MACHINES

    def verify_(self) -> None:
        key = self.key_type()
        if key not in self.INTRINSICS:
            raise VerifyException(
                f"{self.KEY} has type {type_str(key)}; expected {_one_of(list(self.INTRINSICS))}"
            )
        self.verify_types(key)  # pyright: ignore[reportArgumentType]

    def verify_types(self, key: VectorType) -> None:
        """The types the other operands and results must have, given the key's."""

    def expect(self, what: str, want: Attribute) -> None:
        got = getattr(self, what).type
        if got != want:
            raise VerifyException(f"{what} has type {type_str(got)}; expected {type_str(want)}")


def _has_f16(t: Attribute) -> bool:
    return isinstance(t, VectorType) and t.element_type == f16


def _expect_all(op: ArmSimdOp, names: Sequence[str], want: Attribute) -> None:
    for name in names:
        op.expect(name, want)


# --- memory ----------------------------------------------------------------------


class _MemoryOp(ArmSimdOp):
    """Loads and stores of whole vectors or one lane at memref[indices]: the
    lanes are consecutive elements along the memref's last dimension."""

    def verify_memory(self, vector_type: VectorType) -> None:
        memref_type = self.memref.type  # pyright: ignore[reportAttributeAccessIssue]
        if memref_type.element_type != vector_type.element_type:
            raise VerifyException(
                f"memref has element type {type_str(memref_type.element_type)}; "
                f"expected {type_str(vector_type.element_type)}, the vector's"
            )
        rank = len(memref_type.get_shape())
        count = len(self.indices)  # pyright: ignore[reportAttributeAccessIssue]
        if count != rank:
            raise VerifyException(f"expects {rank} indices for a rank-{rank} memref, got {count}")


def _lane_in_range(op: Operation, lane: IntegerAttr, vector_type: VectorType) -> None:
    lanes = vector_type.get_shape()[0]
    if not 0 <= lane.value.data < lanes:
        raise VerifyException(
            f"lane {lane.value.data} is out of range for {type_str(vector_type)} (0..{lanes - 1})"
        )


@irdl_op_definition
class LoadOp(_MemoryOp):
    """`vld1q_f32(&m[i, j])`: a whole vector from consecutive elements."""

    name = "arm_simd.load"
    memref = operand_def(MEMREF)
    indices = var_operand_def(IndexType)
    result = result_def(VECTOR)
    assembly_format = "$memref `[` $indices `]` attr-dict `:` type($memref) `->` type($result)"
    INTRINSICS: ClassVar = _q_table("vld1")

    def __init__(self, memref: SSAValue, indices: Sequence[SSAValue], type: VectorType):
        super().__init__(operands=[memref, indices], result_types=[type])

    def verify_types(self, key: VectorType) -> None:
        self.verify_memory(key)


@irdl_op_definition
class StoreOp(_MemoryOp):
    """`vst1q_f32(&m[i, j], v)`: a whole vector to consecutive elements."""

    name = "arm_simd.store"
    value = operand_def(VECTOR)
    memref = operand_def(MEMREF)
    indices = var_operand_def(IndexType)
    assembly_format = (
        "$value `,` $memref `[` $indices `]` attr-dict `:` type($value) `,` type($memref)"
    )
    KEY: ClassVar = "value"
    INTRINSICS: ClassVar = _q_table("vst1")

    def __init__(self, value: SSAValue, memref: SSAValue, indices: Sequence[SSAValue]):
        super().__init__(operands=[value, memref, indices])

    def verify_types(self, key: VectorType) -> None:
        self.verify_memory(key)


PAIR_TYPES = (F32X4, I32X4, I16X8, I8X16)
"""The types of the two-vector structure loads and stores."""


@irdl_op_definition
class Load2Op(_MemoryOp):
    """`vld2q_f32(&m[i, j])`: two vectors' worth of consecutive elements,
    deinterleaved: the even-numbered ones in `even`, the odd-numbered in `odd`.
    One instruction with a post-increment for two vectors: ARMv7's vld1 takes
    no immediate offset, so two vld1 need two address registers."""

    name = "arm_simd.load2"
    memref = operand_def(MEMREF)
    indices = var_operand_def(IndexType)
    even = result_def(VECTOR)
    odd = result_def(VECTOR)
    assembly_format = "$memref `[` $indices `]` attr-dict `:` type($memref) `->` type($even) `,` type($odd)"
    KEY: ClassVar = "even"
    INTRINSICS: ClassVar = _q_table("vld2", PAIR_TYPES)

    def __init__(self, memref: SSAValue, indices: Sequence[SSAValue], type: VectorType):
        super().__init__(operands=[memref, indices], result_types=[type, type])

    def verify_types(self, key: VectorType) -> None:
        self.expect("odd", key)
        self.verify_memory(key)


@irdl_op_definition
class Store2Op(_MemoryOp):
    """`vst2q_f32(&m[i, j], {even, odd})`: the inverse of load2, interleaving
    `even` and `odd` into two vectors' worth of consecutive elements."""

    name = "arm_simd.store2"
    even = operand_def(VECTOR)
    odd = operand_def(VECTOR)
    memref = operand_def(MEMREF)
    indices = var_operand_def(IndexType)
    assembly_format = (
        "$even `,` $odd `,` $memref `[` $indices `]` attr-dict `:` type($even) `,` type($odd) `,` type($memref)"
    )
    KEY: ClassVar = "even"
    INTRINSICS: ClassVar = _q_table("vst2", PAIR_TYPES)

    def __init__(self, even: SSAValue, odd: SSAValue, memref: SSAValue, indices: Sequence[SSAValue]):
        super().__init__(operands=[even, odd, memref, indices])

    def verify_types(self, key: VectorType) -> None:
        self.expect("odd", key)
        self.verify_memory(key)


class _LoadXOp(_MemoryOp):
    """`vld1q_f32_x2` / `_x4`: consecutive vectors of consecutive elements, in
    order, by one multi-register `ld1` / `vld1`. A row of vectors streamed from
    memory then costs a half or a quarter of the load instructions (ARMv7's
    vld1 takes no immediate offset, and AArch64's `ldp` pairs only two, within
    a small one)."""

    memref = operand_def(MEMREF)
    indices = var_operand_def(IndexType)
    KEY: ClassVar = "v0"

    def __init__(self, memref: SSAValue, indices: Sequence[SSAValue], type: VectorType):
        super().__init__(operands=[memref, indices], result_types=[type] * len(self.get_irdl_definition().results))

    def verify_types(self, key: VectorType) -> None:
        _expect_all(self, [name for name, _ in self.get_irdl_definition().results], key)
        self.verify_memory(key)


@irdl_op_definition
class LoadX2Op(_LoadXOp):
    """`vld1q_f32_x2(&m[i, j])`: two vectors (`vld1.32 {d0-d3}` on ARMv7, whose
    GCC 12 arm_neon.h lacks the intrinsic: the C target prints a helper that
    writes the instruction out there, targets/c_neon.py)."""

    name = "arm_simd.load_x2"
    v0 = result_def(VECTOR)
    v1 = result_def(VECTOR)
    assembly_format = "$memref `[` $indices `]` attr-dict `:` type($memref) `->` type($v0) `,` type($v1)"
    INTRINSICS: ClassVar = {F32X4: "vld1q_f32_x2"}


@irdl_op_definition
class LoadX4Op(_LoadXOp):
    """`vld1q_f32_x4(&m[i, j])`: four vectors (`ld1 {v0.4s-v3.4s}`), AArch64
    only: ARMv7's vld1 fills at most four D registers, two vectors."""

    name = "arm_simd.load_x4"
    v0 = result_def(VECTOR)
    v1 = result_def(VECTOR)
    v2 = result_def(VECTOR)
    v3 = result_def(VECTOR)
    assembly_format = (
        "$memref `[` $indices `]` attr-dict `:` type($memref) `->` type($v0) `,` type($v1) `,` type($v2) `,` type($v3)"
    )
    MACHINES: ClassVar = AARCH64_MACHINES
    INTRINSICS: ClassVar = {t: f"vld1q_{suffix(t)}_x4" for t in PAIR_TYPES}


@irdl_op_definition
class LoadLaneOp(_MemoryOp):
    """`vld1q_lane_f32(&m[i], v, lane)`: `vector` with one lane replaced from memory."""

    name = "arm_simd.load_lane"
    memref = operand_def(MEMREF)
    indices = var_operand_def(IndexType)
    vector = operand_def(VECTOR)
    lane = prop_def(IntegerAttr[I64])
    result = result_def(VECTOR)
    irdl_options = _PROPS_IN_ATTR_DICT
    assembly_format = (
        "$memref `[` $indices `]` `,` $vector `,` $lane attr-dict "
        "`:` type($memref) `,` type($vector) `->` type($result)"
    )
    INTRINSICS: ClassVar = _q_table("vld1", Q_TYPES)

    def __init__(self, memref: SSAValue, indices: Sequence[SSAValue], vector: SSAValue, lane: int):
        super().__init__(
            operands=[memref, indices, vector],
            properties={"lane": IntegerAttr(lane, i64)},
            result_types=[vector.type],
        )

    def intrinsic(self) -> str:
        return self.INTRINSICS[self.key_type()].replace("q_", "q_lane_")

    def verify_types(self, key: VectorType) -> None:
        self.expect("vector", key)
        self.verify_memory(key)
        _lane_in_range(self, self.lane, key)


@irdl_op_definition
class StoreLaneOp(_MemoryOp):
    """`vst1q_lane_f32(&m[i], v, lane)`: one lane of `value` to memory."""

    name = "arm_simd.store_lane"
    value = operand_def(VECTOR)
    memref = operand_def(MEMREF)
    indices = var_operand_def(IndexType)
    lane = prop_def(IntegerAttr[I64])
    irdl_options = _PROPS_IN_ATTR_DICT
    assembly_format = (
        "$value `,` $lane `,` $memref `[` $indices `]` attr-dict "
        "`:` type($value) `,` type($memref)"
    )
    KEY: ClassVar = "value"
    INTRINSICS: ClassVar = _q_table("vst1")

    def __init__(self, value: SSAValue, lane: int, memref: SSAValue, indices: Sequence[SSAValue]):
        super().__init__(
            operands=[value, memref, indices], properties={"lane": IntegerAttr(lane, i64)}
        )

    def intrinsic(self) -> str:
        return self.INTRINSICS[self.key_type()].replace("q_", "q_lane_")

    def verify_types(self, key: VectorType) -> None:
        self.verify_memory(key)
        _lane_in_range(self, self.lane, key)


# --- lanes and halves ----------------------------------------------------------------


@irdl_op_definition
class DupOp(ArmSimdOp):
    """`vdupq_n_f32(x)`: every lane set to the scalar `value`."""

    name = "arm_simd.dup"
    value = operand_def()
    result = result_def(VECTOR)
    traits = traits_def(Pure())
    assembly_format = "$value attr-dict `:` type($value) `->` type($result)"
    INTRINSICS: ClassVar = _q_table("vdup", Q_TYPES)

    def __init__(self, value: SSAValue, type: VectorType):
        super().__init__(operands=[value], result_types=[type])

    def intrinsic(self) -> str:
        return self.INTRINSICS[self.key_type()].replace("q_", "q_n_")

    def verify_types(self, key: VectorType) -> None:
        self.expect("value", key.element_type)


class _HalfOp(ArmSimdOp):
    input = operand_def(VECTOR)
    result = result_def(VECTOR)
    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"
    KEY: ClassVar = "input"

    def __init__(self, input: SSAValue):
        super().__init__(operands=[input], result_types=[_HALF[input.type]])  # pyright: ignore

    def verify_types(self, key: VectorType) -> None:
        self.expect("result", _HALF[key])


@irdl_op_definition
class GetLowOp(_HalfOp):
    """`vget_low_f32(v)`: lanes 0..n/2-1 as a 64-bit vector."""

    name = "arm_simd.get_low"
    INTRINSICS: ClassVar = {t: f"vget_low_{suffix(t)}" for t in _HALF}


@irdl_op_definition
class GetHighOp(_HalfOp):
    """`vget_high_f32(v)`: lanes n/2..n-1 as a 64-bit vector."""

    name = "arm_simd.get_high"
    INTRINSICS: ClassVar = {t: f"vget_high_{suffix(t)}" for t in _HALF}


@irdl_op_definition
class CombineOp(ArmSimdOp):
    """`vcombine_f32(low, high)`: two 64-bit vectors as one 128-bit vector."""

    name = "arm_simd.combine"
    low = operand_def(VECTOR)
    high = operand_def(VECTOR)
    result = result_def(VECTOR)
    traits = traits_def(Pure())
    assembly_format = "$low `,` $high attr-dict `:` type($low) `,` type($high) `->` type($result)"
    INTRINSICS: ClassVar = {t: f"vcombine_{suffix(t)}" for t in _HALF}

    def __init__(self, low: SSAValue, high: SSAValue):
        full = next(q for q, d in _HALF.items() if d == low.type)
        super().__init__(operands=[low, high], result_types=[full])

    def verify_types(self, key: VectorType) -> None:
        _expect_all(self, ("low", "high"), _HALF[key])


_LANE_TYPES = (*Q_TYPES, *D_TYPES)


def _lane_intrinsic(stem: str, t: VectorType) -> str:
    """`vgetq_lane_f32` for a Q vector, `vget_lane_f32` for a D vector."""
    q = "q" if t in Q_TYPES else ""
    return f"{stem}{q}_lane_{suffix(t)}"


@irdl_op_definition
class GetLaneOp(ArmSimdOp):
    """`vgetq_lane_f32(v, lane)` (`vget_lane_f32` on a 64-bit vector): one
    lane as a scalar; the lane is a constant, as the intrinsic requires."""

    name = "arm_simd.get_lane"
    input = operand_def(VECTOR)
    lane = prop_def(IntegerAttr[I64])
    result = result_def()
    traits = traits_def(Pure())
    irdl_options = _PROPS_IN_ATTR_DICT
    assembly_format = "$input `,` $lane attr-dict `:` type($input) `->` type($result)"
    KEY: ClassVar = "input"
    INTRINSICS: ClassVar = {t: _lane_intrinsic("vget", t) for t in _LANE_TYPES}

    def __init__(self, input: SSAValue, lane: int):
        super().__init__(
            operands=[input],
            properties={"lane": IntegerAttr(lane, i64)},
            result_types=[input.type.element_type],  # pyright: ignore[reportAttributeAccessIssue]
        )

    def verify_types(self, key: VectorType) -> None:
        self.expect("result", key.element_type)
        _lane_in_range(self, self.lane, key)


@irdl_op_definition
class SetLaneOp(ArmSimdOp):
    """`vsetq_lane_f32(x, v, lane)` (`vset_lane_f32` on a 64-bit vector):
    `vector` with one lane replaced by the scalar `value`."""

    name = "arm_simd.set_lane"
    value = operand_def()
    vector = operand_def(VECTOR)
    lane = prop_def(IntegerAttr[I64])
    result = result_def(VECTOR)
    traits = traits_def(Pure())
    irdl_options = _PROPS_IN_ATTR_DICT
    assembly_format = (
        "$value `,` $vector `,` $lane attr-dict `:` type($value) `,` type($vector) `->` type($result)"
    )
    KEY: ClassVar = "vector"
    INTRINSICS: ClassVar = {t: _lane_intrinsic("vset", t) for t in _LANE_TYPES}

    def __init__(self, value: SSAValue, vector: SSAValue, lane: int):
        super().__init__(
            operands=[value, vector],
            properties={"lane": IntegerAttr(lane, i64)},
            result_types=[vector.type],
        )

    def verify_types(self, key: VectorType) -> None:
        self.expect("value", key.element_type)
        self.expect("result", key)
        _lane_in_range(self, self.lane, key)


# --- elementwise -------------------------------------------------------------------


class _UnaryOp(ArmSimdOp):
    KEY: ClassVar = "input"
    input = operand_def(VECTOR)
    result = result_def(VECTOR)
    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def __init__(self, input: SSAValue):
        super().__init__(operands=[input], result_types=[input.type])

    def verify_types(self, key: VectorType) -> None:
        self.expect("result", key)


@irdl_op_definition
class NegOp(_UnaryOp):
    """`vnegq_f32(a)`: -a."""

    name = "arm_simd.neg"
    INTRINSICS: ClassVar = _q_table("vneg")


@irdl_op_definition
class AbsOp(_UnaryOp):
    """`vabsq_f32(a)`: |a| (integers wrap: |INT_MIN| is INT_MIN)."""

    name = "arm_simd.abs"
    INTRINSICS: ClassVar = _q_table("vabs")


class _BinaryOp(ArmSimdOp):
    KEY: ClassVar = "lhs"
    lhs = operand_def(VECTOR)
    rhs = operand_def(VECTOR)
    result = result_def(VECTOR)
    traits = traits_def(Pure())
    assembly_format = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)"

    def __init__(self, lhs: SSAValue, rhs: SSAValue):
        super().__init__(operands=[lhs, rhs], result_types=[lhs.type])

    def verify_types(self, key: VectorType) -> None:
        _expect_all(self, ("rhs", "result"), key)


@irdl_op_definition
class AddOp(_BinaryOp):
    """`vaddq_f32(a, b)`: a + b (integers wrap)."""

    name = "arm_simd.add"
    INTRINSICS: ClassVar = _q_table("vadd")


@irdl_op_definition
class SubOp(_BinaryOp):
    """`vsubq_f32(a, b)`: a - b (integers wrap)."""

    name = "arm_simd.sub"
    INTRINSICS: ClassVar = _q_table("vsub")


@irdl_op_definition
class MulOp(_BinaryOp):
    """`vmulq_f32(a, b)`: a * b (integers keep the low half)."""

    name = "arm_simd.mul"
    INTRINSICS: ClassVar = _q_table("vmul")


@irdl_op_definition
class DivOp(_BinaryOp):
    """`vdivq_f32(a, b)`: a / b, correctly rounded. A64 only: ARMv7 NEON has
    no vector division (only a reciprocal estimate)."""

    name = "arm_simd.div"
    MACHINES: ClassVar = AARCH64_MACHINES
    INTRINSICS: ClassVar = _q_table("vdiv", (F32X4, F16X8))


@irdl_op_definition
class MaxOp(_BinaryOp):
    """`vmaxq_f32(a, b)`: the larger lane (a NaN lane gives NaN)."""

    name = "arm_simd.max"
    INTRINSICS: ClassVar = _q_table("vmax")


@irdl_op_definition
class MinOp(_BinaryOp):
    """`vminq_f32(a, b)`: the smaller lane (a NaN lane gives NaN)."""

    name = "arm_simd.min"
    INTRINSICS: ClassVar = _q_table("vmin")


@irdl_op_definition
class PairwiseAddOp(_BinaryOp):
    """`vpadd_f32(a, b)`: sums of adjacent lane pairs of a, then of b, on
    64-bit halves (the form ARMv7 has; AArch64 keeps it)."""

    name = "arm_simd.padd"
    INTRINSICS: ClassVar = _d_table("vpadd")


@irdl_op_definition
class PairwiseMaxOp(_BinaryOp):
    """`vpmax_f32(a, b)`: the larger of each adjacent lane pair of a, then of b,
    on 64-bit halves (a NaN lane gives NaN); ARMv7's step towards a max across."""

    name = "arm_simd.pmax"
    INTRINSICS: ClassVar = _d_table("vpmax")


@irdl_op_definition
class PairwiseMinOp(_BinaryOp):
    """`vpmin_f32(a, b)`: the smaller of each adjacent lane pair of a, then of
    b, on 64-bit halves (a NaN lane gives NaN)."""

    name = "arm_simd.pmin"
    INTRINSICS: ClassVar = _d_table("vpmin")


class _AccumulateOp(ArmSimdOp):
    """acc + a * b, the accumulator first as in the intrinsics."""

    KEY: ClassVar = "lhs"
    acc = operand_def(VECTOR)
    lhs = operand_def(VECTOR)
    rhs = operand_def(VECTOR)
    result = result_def(VECTOR)
    traits = traits_def(Pure())
    assembly_format = (
        "$acc `,` $lhs `,` $rhs attr-dict "
        "`:` type($acc) `,` type($lhs) `,` type($rhs) `->` type($result)"
    )

    def __init__(self, acc: SSAValue, lhs: SSAValue, rhs: SSAValue):
        super().__init__(operands=[acc, lhs, rhs], result_types=[self.result_type(acc, lhs)])

    @classmethod
    def result_type(cls, acc: SSAValue, lhs: SSAValue) -> Attribute:
        return acc.type

    def verify_types(self, key: VectorType) -> None:
        _expect_all(self, ("acc", "rhs", "result"), key)


@irdl_op_definition
class FmaOp(_AccumulateOp):
    """`vfmaq_f32(acc, a, b)`: acc + a * b rounded once (fused).

    Needs VFPv4, which Cortex-A8 (armv7-a8) lacks; use `mla` there."""

    name = "arm_simd.fma"
    MACHINES: ClassVar = FUSED_MACHINES
    INTRINSICS: ClassVar = _q_table("vfma", (F32X4, F16X8))


@irdl_op_definition
class MlaOp(_AccumulateOp):
    """`vmlaq_f32(acc, a, b)`: acc + a * b, the product rounded before the add
    (unfused, every NEON machine); integers wrap."""

    name = "arm_simd.mla"
    INTRINSICS: ClassVar = _q_table("vmla", (F32X4, I32X4, I16X8, I8X16))


@irdl_op_definition
class MlaLaneOp(_AccumulateOp):
    """`vmlaq_lane_f32(acc, a, v, lane)`: acc + a * v[lane], v a 64-bit
    vector, the product rounded before the add (unfused, every NEON machine).
    ARMv7's by-scalar multiply-add (`vmla.f32 q, q, d[lane]`): its fused
    `vfma` has no such form."""

    name = "arm_simd.mla_lane"
    lane = prop_def(IntegerAttr[I64])
    irdl_options = _PROPS_IN_ATTR_DICT
    assembly_format = (
        "$acc `,` $lhs `,` $rhs `,` $lane attr-dict "
        "`:` type($acc) `,` type($lhs) `,` type($rhs) `->` type($result)"
    )
    INTRINSICS: ClassVar = {F32X4: "vmlaq_lane_f32"}

    def __init__(self, acc: SSAValue, lhs: SSAValue, rhs: SSAValue, lane: int):
        IRDLOperation.__init__(self, operands=[acc, lhs, rhs], properties={"lane": IntegerAttr(lane, i64)},
                               result_types=[acc.type])

    def verify_types(self, key: VectorType) -> None:
        _expect_all(self, ("acc", "result"), key)
        self.expect("rhs", _HALF[key])
        _lane_in_range(self, self.lane, _HALF[key])


# --- compare and select ------------------------------------------------------------

COMPARE_PREDICATES = ("eq", "ge", "gt", "le", "lt")


@irdl_op_definition
class CompareOp(ArmSimdOp):
    """`vceqq_f32(a, b)` (vcgeq, vcgtq, vcleq, vcltq): all-ones lanes where the
    predicate holds, zero elsewhere, as unsigned lanes of the operands' width."""

    name = "arm_simd.compare"
    predicate = prop_def(StringAttr)
    lhs = operand_def(VECTOR)
    rhs = operand_def(VECTOR)
    result = result_def(VECTOR)
    traits = traits_def(Pure())
    irdl_options = _PROPS_IN_ATTR_DICT
    assembly_format = (
        "$predicate `,` $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)"
    )
    KEY: ClassVar = "lhs"
    INTRINSICS: ClassVar = _q_table("vc")

    def __init__(self, predicate: str, lhs: SSAValue, rhs: SSAValue):
        super().__init__(
            operands=[lhs, rhs],
            properties={"predicate": StringAttr(predicate)},
            result_types=[mask_of(lhs.type)],  # pyright: ignore[reportArgumentType]
        )

    def intrinsic(self) -> str:
        return self.INTRINSICS[self.key_type()].replace("vc", "vc" + self.predicate.data, 1)

    def verify_types(self, key: VectorType) -> None:
        if self.predicate.data not in COMPARE_PREDICATES:
            raise VerifyException(
                f"unknown predicate '{self.predicate.data}'; expected one of "
                + ", ".join(COMPARE_PREDICATES)
            )
        self.expect("rhs", key)
        self.expect("result", mask_of(key))


@irdl_op_definition
class SelectOp(ArmSimdOp):
    """`vbslq_f32(mask, a, b)`: bitwise select, the bits of a where mask bits
    are set, of b elsewhere (a lane select for masks from `compare`)."""

    name = "arm_simd.select"
    mask = operand_def(VECTOR)
    lhs = operand_def(VECTOR)
    rhs = operand_def(VECTOR)
    result = result_def(VECTOR)
    traits = traits_def(Pure())
    assembly_format = (
        "$mask `,` $lhs `,` $rhs attr-dict "
        "`:` type($mask) `,` type($lhs) `,` type($rhs) `->` type($result)"
    )
    INTRINSICS: ClassVar = _q_table("vbsl")

    def __init__(self, mask: SSAValue, lhs: SSAValue, rhs: SSAValue):
        super().__init__(operands=[mask, lhs, rhs], result_types=[lhs.type])

    def verify_types(self, key: VectorType) -> None:
        _expect_all(self, ("lhs", "rhs"), key)
        self.expect("mask", mask_of(key))


# --- reductions ----------------------------------------------------------------------


class _ReduceOp(ArmSimdOp):
    """Across-vector reductions: A64 only (ARMv7 reduces with `padd`)."""

    input = operand_def(VECTOR)
    result = result_def()
    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"
    KEY: ClassVar = "input"
    MACHINES: ClassVar = AARCH64_MACHINES

    def __init__(self, input: SSAValue):
        super().__init__(operands=[input], result_types=[input.type.element_type])  # pyright: ignore

    def verify_types(self, key: VectorType) -> None:
        self.expect("result", key.element_type)


_REDUCIBLE = (F32X4, I32X4, I16X8, I8X16)


@irdl_op_definition
class ReduceAddOp(_ReduceOp):
    """`vaddvq_f32(v)`: the sum of all lanes (integers wrap)."""

    name = "arm_simd.reduce_add"
    INTRINSICS: ClassVar = _q_table("vaddv", _REDUCIBLE)


@irdl_op_definition
class ReduceMaxOp(_ReduceOp):
    """`vmaxvq_f32(v)`: the largest lane."""

    name = "arm_simd.reduce_max"
    INTRINSICS: ClassVar = _q_table("vmaxv", _REDUCIBLE)


@irdl_op_definition
class ReduceMinOp(_ReduceOp):
    """`vminvq_f32(v)`: the smallest lane."""

    name = "arm_simd.reduce_min"
    INTRINSICS: ClassVar = _q_table("vminv", _REDUCIBLE)


# --- conversions, shifts and widening integer arithmetic ---------------------------------------

class _F32I32Op(ArmSimdOp):
    """An op from f32 lanes to i32 lanes or back, its key the input's type."""

    input = operand_def(VECTOR)
    result = result_def(VECTOR)
    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"
    KEY: ClassVar = "input"

    def __init__(self, input: SSAValue, type: VectorType):
        super().__init__(operands=[input], result_types=[type])

    def verify_types(self, key: VectorType) -> None:
        self.expect("result", F32X4 if key == I32X4 else I32X4)


@irdl_op_definition
class ConvertOp(_F32I32Op):
    """`vcvtq_f32_s32(v)` (i32 to f32, rounding to nearest) and
    `vcvtq_s32_f32(v)` (f32 to i32, rounding toward zero, saturating)."""

    name = "arm_simd.convert"
    INTRINSICS: ClassVar = {I32X4: "vcvtq_f32_s32", F32X4: "vcvtq_s32_f32"}


@irdl_op_definition
class ReinterpretOp(_F32I32Op):
    """`vreinterpretq_s32_f32(v)` and `vreinterpretq_f32_s32(v)`: the same 128
    bits read as the other lane type, with no conversion (no instruction)."""

    name = "arm_simd.reinterpret"
    INTRINSICS: ClassVar = {F32X4: "vreinterpretq_s32_f32", I32X4: "vreinterpretq_f32_s32"}


@irdl_op_definition
class ShiftLeftOp(ArmSimdOp):
    """`vshlq_n_s32(v, n)`: each integer lane shifted left by the constant n
    (0 to the lane width - 1, as the intrinsic's immediate); bits shifted out
    are lost."""

    name = "arm_simd.shift_left"
    input = operand_def(VECTOR)
    amount = prop_def(IntegerAttr[I64])
    result = result_def(VECTOR)
    traits = traits_def(Pure())
    irdl_options = _PROPS_IN_ATTR_DICT
    assembly_format = "$input `,` $amount attr-dict `:` type($input) `->` type($result)"
    KEY: ClassVar = "input"
    INTRINSICS: ClassVar = {t: f"vshlq_n_{suffix(t)}" for t in (I32X4, I16X8, I8X16)}

    def __init__(self, input: SSAValue, amount: int):
        super().__init__(
            operands=[input], properties={"amount": IntegerAttr(amount, i64)}, result_types=[input.type]
        )

    def verify_types(self, key: VectorType) -> None:
        self.expect("result", key)
        width = key.element_type.width.data  # pyright: ignore[reportAttributeAccessIssue]
        if not 0 <= self.amount.value.data < width:
            raise VerifyException(f"shift amount {self.amount.value.data} is out of range for {type_str(key)} (0..{width - 1})")


_WIDE = {I8X8: I16X8, I16X4: I32X4}


@irdl_op_definition
class MullOp(ArmSimdOp):
    """`vmull_s8(a, b)`: lane products of two 64-bit vectors at twice the
    width (int8x8 to int16x8, int16x4 to int32x4), exact."""

    name = "arm_simd.mull"
    lhs = operand_def(VECTOR)
    rhs = operand_def(VECTOR)
    result = result_def(VECTOR)
    traits = traits_def(Pure())
    assembly_format = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)"
    KEY: ClassVar = "lhs"
    INTRINSICS: ClassVar = _d_table("vmull", list(_WIDE))

    def __init__(self, lhs: SSAValue, rhs: SSAValue):
        super().__init__(operands=[lhs, rhs], result_types=[_WIDE[lhs.type]])  # pyright: ignore

    def verify_types(self, key: VectorType) -> None:
        self.expect("rhs", key)
        self.expect("result", _WIDE[key])


@irdl_op_definition
class MlalOp(_AccumulateOp):
    """`vmlal_s8(acc, a, b)`: acc + a * b with the products widened (int8x8
    into int16x8, int16x4 into int32x4); the sum wraps."""

    name = "arm_simd.mlal"
    KEY: ClassVar = "lhs"
    INTRINSICS: ClassVar = _d_table("vmlal", list(_WIDE))

    def verify_types(self, key: VectorType) -> None:
        self.expect("rhs", key)
        _expect_all(self, ("acc", "result"), _WIDE[key])


@irdl_op_definition
class SdotOp(_AccumulateOp):
    """`vdotq_s32(acc, a, b)`: each i32 lane of acc plus the dot product of the
    four i8 lanes of a and b at the same place (ARMv8.2-A dot product)."""

    name = "arm_simd.sdot"
    KEY: ClassVar = "lhs"
    MACHINES: ClassVar = DOTPROD_MACHINES
    INTRINSICS: ClassVar = {I8X16: "vdotq_s32"}

    @classmethod
    def result_type(cls, acc: SSAValue, lhs: SSAValue) -> Attribute:
        return I32X4

    def verify_types(self, key: VectorType) -> None:
        self.expect("rhs", key)
        _expect_all(self, ("acc", "result"), I32X4)


OPS: tuple[type[ArmSimdOp], ...] = (
    LoadOp, StoreOp, Load2Op, Store2Op, LoadX2Op, LoadX4Op, LoadLaneOp, StoreLaneOp,
    DupOp, GetLowOp, GetHighOp, CombineOp, GetLaneOp, SetLaneOp, NegOp, AbsOp, AddOp, SubOp, MulOp, DivOp, MaxOp, MinOp,
    PairwiseAddOp, PairwiseMaxOp, PairwiseMinOp, FmaOp, MlaOp, MlaLaneOp,
    CompareOp, SelectOp, ReduceAddOp, ReduceMaxOp, ReduceMinOp, ConvertOp, ReinterpretOp,
    ShiftLeftOp, MullOp, MlalOp, SdotOp,
)

ArmSimd = Dialect("arm_simd", list(OPS), [])
