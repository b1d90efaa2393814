"""Portable vectors in LLVM IR: vector<Wxf32> ops as `<W x float>` instructions."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from xdsl.dialects import vector
from xdsl.dialects.builtin import (
    DenseIntOrFPElementsAttr,
    Float16Type,
    Float32Type,
    IndexType,
    IntegerType,
    MemRefType,
    VectorType,
)
from xdsl.ir import Attribute, Operation, SSAValue

from pelemay_ir.dialects import mask
from pelemay_ir.targets.llvm_runtime import FMA_LANES
from pelemay_ir.targets.llvm_types import float_literal, int_bits


class VectorPrinting:
    """FunctionPrinter's methods for the portable vector ops (a mixin)."""

    def vector_literal(self, value: DenseIntOrFPElementsAttr, t: VectorType, op: Operation) -> str:
        """`<4 x float> <float 1.0, ...>` (or zeroinitializer): a splat is repeated."""
        lane_t = self.lane_ty(t.element_type, op)
        lanes = t.get_shape()[0]
        values = list(value.get_values())
        if len(values) == 1:
            values *= lanes
        elem = t.element_type
        if isinstance(elem, IntegerType | IndexType):
            bits = int_bits(elem, self.m)
            wrapped = [(int(v) + (1 << (bits - 1))) % (1 << bits) - (1 << (bits - 1)) if bits > 1 else int(v) & 1
                       for v in values]
            items = [("true" if v else "false") if bits == 1 else str(v) for v in wrapped]
            zero = all(v == 0 for v in wrapped)
        else:
            items = [float_literal(float(v), elem) for v in values]
            zero = all(float(v) == 0 and not np.signbit(v) for v in values)
        if zero:
            return "zeroinitializer"
        return "<" + ", ".join(f"{lane_t} {i}" for i in items) + ">"

    @staticmethod
    def lane_list(lanes: Sequence[int]) -> str:
        """A shufflevector mask: `<2 x i32> <i32 2, i32 3>`."""
        return f"<{len(lanes)} x i32> <" + ", ".join(f"i32 {k}" for k in lanes) + ">"

    def splat(self, scalar: str, vt: str, lane_t: str, lanes: int) -> str:
        """Every lane set to `scalar`: insertelement, then a zero-mask shufflevector."""
        first = self.emit(f"insertelement {vt} poison, {lane_t} {scalar}, i32 0")
        return self.emit(f"shufflevector {vt} {first}, {vt} poison, <{lanes} x i32> zeroinitializer")

    def lanes_of(self, v: str, vt: str, lanes: Sequence[int]) -> str:
        return self.emit(f"shufflevector {vt} {v}, {vt} poison, {self.lane_list(lanes)}")

    def vector_pointer(self, m: SSAValue, indices: Sequence[SSAValue], op: Operation) -> tuple[str, int]:
        """The address of memref[indices] and the alignment of one element: a
        vector access needs only the element's alignment (`align 4` for f32)."""
        ptr, _ = self.address(m, indices, op)
        mt = m.type
        assert isinstance(mt, MemRefType)
        return ptr, self.align_of(mt.element_type)

    def scalar_in_lane(self, value: str, elem: Attribute) -> str:
        """A scalar as a lane: an f16 scalar lives in a float, an f16 lane is a half."""
        return self.float_to_half(value) if isinstance(elem, Float16Type) else value

    def lane_as_scalar(self, value: str, elem: Attribute) -> str:
        return self.half_to_float(value) if isinstance(elem, Float16Type) else value

    # portable vector ops (vector dialect, and arith on vector<Wxf32>)

    def portable(self, t: Attribute, op: Operation) -> tuple[str, int]:
        """The LLVM type and lane count of a portable vector: one-dimensional, f32."""
        if not (isinstance(t, VectorType) and isinstance(t.element_type, Float32Type)
                and t.get_num_dims() == 1 and not t.get_num_scalable_dims()):
            raise self.error(op, f"on {t} cannot be printed by the llvm target: the portable "
                                 "vector ops take one-dimensional vectors of f32 (vector<Wxf32>)")
        return self.ty(t, op), t.get_shape()[0]

    def p_vector_load(self, op: vector.LoadOp) -> None:
        vt, _ = self.portable(op.result.type, op)
        ptr, align = self.vector_pointer(op.base, op.indices, op)
        self.results(op, self.emit(f"load {vt}, ptr {ptr}, align {align}"))

    def p_vector_store(self, op: vector.StoreOp) -> None:
        vt, _ = self.portable(op.vector.type, op)
        ptr, align = self.vector_pointer(op.base, op.indices, op)
        self.inst(f"store {vt} {self.val(op.vector, op)}, ptr {ptr}, align {align}")

    def p_vector_broadcast(self, op: vector.BroadcastOp) -> None:
        vt, lanes = self.portable(op.vector.type, op)
        source = self.val(op.source, op)
        if not source.startswith("%"):
            # A constant: a constant vector, which its users take as an operand (a relu's zero).
            zero = source == float_literal(0.0, Float32Type())
            self.results(op, "zeroinitializer" if zero else "<" + ", ".join([f"float {source}"] * lanes) + ">")
        else:
            self.results(op, self.splat(source, vt, "float", lanes))

    def p_vector_fma(self, op: vector.FMAOp) -> None:
        """lhs * rhs + acc, rounded once (llvm.fma: fused on every machine; a
        machine without a fused instruction calls libm's fmaf per lane)."""
        vt, lanes = self.portable(op.res.type, op)
        args = [(vt, self.val(v, op)) for v in (op.lhs, op.rhs, op.acc)]
        if self.m.llvm.fused_multiply_add:
            self.results(op, self.call_intrinsic(f"llvm.fma.v{lanes}f32", vt, args))
        else:
            self.results(op, self.fma_by_lanes(vt, lanes, [a for _, a in args]))

    def fma_by_lanes(self, vt: str, lanes: int, args: Sequence[str]) -> str:
        """A vector fma on a machine without a fused instruction: the operands
        go through stack slots to FMA_LANES, which calls libm's fmaf per lane.
        (LLVM 16's ARM backend, expanding llvm.fma.v4f32 into fmaf calls
        itself, can clobber an argument register with a splat constant.)"""
        slots = self.fma_slots.get(vt)
        if slots is None:
            slots = self.fma_slots[vt] = [self.fresh("fma.slot") for _ in range(4)]
            self.allocas += [f"  {slot} = alloca {vt}, align 16" for slot in slots]
        for slot, value in zip(slots[1:], args, strict=True):
            self.inst(f"store {vt} {value}, ptr {slot}, align 16")
        self.module.use_helper(FMA_LANES)
        self.module.declare("declare float @fmaf(float, float, float)")
        self.inst(f"call void @{FMA_LANES}({', '.join(f'ptr {slot}' for slot in slots)}, i32 {lanes})")
        return self.emit(f"load {vt}, ptr {slots[0]}, align 16")

    def p_vector_reduction(self, op: vector.ReductionOp) -> None:
        """add: llvm.vector.reduce.fadd without `reassoc`, so the lanes are
        added in order from the start value (-0.0, or `acc`): the same result
        on every machine. (legalize writes <maximumf> and <minimumf> out.)"""
        vt, lanes = self.portable(op.vector.type, op)
        start = self.val(op.acc, op) if op.acc is not None else float_literal(-0.0, Float32Type())
        self.results(op, self.call_intrinsic(
            f"llvm.vector.reduce.fadd.v{lanes}f32", "float", [("float", start), (vt, self.val(op.vector, op))]))

    def p_vector_extract(self, op: vector.ExtractOp) -> None:
        vt, _ = self.portable(op.vector.type, op)
        (lane,) = op.static_position.get_values()
        self.results(op, self.emit(f"extractelement {vt} {self.val(op.vector, op)}, i32 {lane}"))

    def p_vector_shuffle(self, op: vector.ShuffleOp) -> None:
        vt, _ = self.portable(op.v1.type, op)
        self.portable(op.result.type, op)
        a, b = self.val(op.v1, op), self.val(op.v2, op)
        self.results(op, self.emit(f"shufflevector {vt} {a}, {vt} {b}, {self.lane_list(list(op.mask.get_values()))}"))

    def p_mask_cmpf(self, op: mask.CmpfOp) -> None:
        vt, _ = self.portable(op.lhs.type, op)
        a, b = self.val(op.lhs, op), self.val(op.rhs, op)
        self.results(op, self.emit(f"fcmp {op.predicate.data} {vt} {a}, {b}"))

    def p_mask_select(self, op: mask.SelectOp) -> None:
        vt, lanes = self.portable(op.result.type, op)
        m, a, b = (self.val(v, op) for v in (op.mask, op.lhs, op.rhs))
        self.results(op, self.emit(f"select <{lanes} x i1> {m}, {vt} {a}, {vt} {b}"))
