"""Loop nests for the elementwise ops: unary, binary, compare, select, cast,
clamp and batch_norm (elementwise with per-channel vectors).

One nest over the output shape; each operand is read at the output's index
with NumPy broadcasting (size-1 dimensions read index 0, missing leading
dimensions are dropped). The scalar rules are docs/semantics.md's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from xdsl.dialects import arith, math
from xdsl.dialects.builtin import FloatAttr, IntegerAttr, IntegerType, f32, i1
from xdsl.ir import Attribute, SSAValue

from pelemay_ir import dtypes
from pelemay_ir.dialects import pbuf
from pelemay_ir.dialects import ptensor as pt
from pelemay_ir.passes.loops_emitter import (
    Emitter,
    Index,
    compute_type,
    element_of,
    is_float,
    shape_of,
)

Scalar = Callable[[Emitter, list[SSAValue]], SSAValue]


def broadcast_index(ivs: Sequence[SSAValue], shape: Sequence[int]) -> list[Index]:
    """The index of an operand of `shape` read at output index `ivs`."""
    lead = len(ivs) - len(shape)
    return [0 if d == 1 else ivs[lead + k] for k, d in enumerate(shape)]


def map_elements(em: Emitter, op: pbuf.DestinationOp, fn: Scalar):
    """out[i] = fn(inputs at i, broadcast), in compute types."""
    out = op.output_
    inputs = list(op.inputs_)

    def body(ivs: list[SSAValue]) -> None:
        values = [em.load(v, broadcast_index(ivs, shape_of(v))) for v in inputs]
        em.store(fn(em, values), out, ivs)

    return em.nest(shape_of(out), body)


# -- unary ----------------------------------------------------------------------------


def _neg(em: Emitter, x: SSAValue) -> SSAValue:
    if is_float(x.type):
        return em.value(arith.NegfOp(x))
    return em.subv(em.zero(x.type), x)


def _abs(em: Emitter, x: SSAValue) -> SSAValue:
    if is_float(x.type):
        return em.math(math.AbsFOp, x)
    negative = em.cmpi(x, em.zero(x.type), "slt")
    return em.select(negative, em.subv(em.zero(x.type), x), x)  # abs(INT_MIN) wraps to INT_MIN


def _relu(em: Emitter, x: SSAValue) -> SSAValue:
    return em.maxv(x, em.zero(x.type))


def _relu6(em: Emitter, x: SSAValue) -> SSAValue:
    return em.minv(em.maxv(x, em.zero(x.type)), em.scalar(6, x.type))


def _rsqrt(em: Emitter, x: SSAValue) -> SSAValue:
    return em.divv(em.f32(1.0), em.sqrt(x))


def _sigmoid(em: Emitter, x: SSAValue) -> SSAValue:
    e = em.math(math.ExpOp, em.value(arith.NegfOp(x)))
    return em.divv(em.f32(1.0), em.addv(em.f32(1.0), e))


def _gelu(em: Emitter, x: SSAValue) -> SSAValue:
    erf = em.math(math.ErfOp, em.mulv(x, em.f32(0.7071067811865476)))
    return em.mulv(em.mulv(em.f32(0.5), x), em.addv(em.f32(1.0), erf))


def _unary(fn: Callable[[Emitter, SSAValue], SSAValue]) -> Scalar:
    return lambda em, values: fn(em, values[0])


def _libm(cls) -> Scalar:
    return lambda em, values: em.math(cls, values[0])


def rounded_bound(attr: Attribute, element: Attribute) -> float | int:
    """A clamp bound or pad value rounded to the element type, as the reference does."""
    assert isinstance(attr, FloatAttr | IntegerAttr)
    value = np.array(attr.value.data).astype(dtypes.numpy_dtype(element))
    return float(value) if is_float(element) else int(value)


def _clamp(em: Emitter, op: pbuf.DestinationOp):
    element = element_of(op.output_)
    t = compute_type(element)
    lo = em.scalar(rounded_bound(op.min, element), t)  # pyright: ignore[reportAttributeAccessIssue]
    hi = em.scalar(rounded_bound(op.max, element), t)  # pyright: ignore[reportAttributeAccessIssue]
    return map_elements(em, op, lambda em, v: em.minv(em.maxv(v[0], lo), hi))


# -- binary, compare, select --------------------------------------------------------------

_FLOAT_PREDICATES = {"eq": "oeq", "ne": "une", "lt": "olt", "le": "ole", "gt": "ogt", "ge": "oge"}
_INT_PREDICATES = {"eq": "eq", "ne": "ne", "lt": "slt", "le": "sle", "gt": "sgt", "ge": "sge"}


def _compare(em: Emitter, op: pbuf.DestinationOp):
    predicate = op.predicate.data  # pyright: ignore[reportAttributeAccessIssue]

    def fn(em: Emitter, v: list[SSAValue]) -> SSAValue:
        if is_float(v[0].type):
            return em.cmpf(v[0], v[1], _FLOAT_PREDICATES[predicate])  # NaN: false, ne: true
        return em.cmpi(v[0], v[1], _INT_PREDICATES[predicate])

    return map_elements(em, op, fn)


# -- cast -------------------------------------------------------------------------------------


def convert(em: Emitter, x: SSAValue, source: Attribute, target: Attribute) -> SSAValue:
    """`x` (compute type of element type `source`) converted to the compute type
    of `target`, by the cast rules of docs/semantics.md."""
    if target == i1:
        if source == i1:
            return x
        if is_float(source):
            return em.cmpf(x, em.f32(0.0), "une")  # NaN -> true, -0.0 -> false
        return em.cmpi(x, em.zero(x.type), "ne")
    if source == i1:
        if is_float(target):
            return em.select(x, em.f32(1.0), em.f32(0.0))
        return em.value(arith.ExtUIOp(x, target))  # pyright: ignore[reportArgumentType]
    if is_float(source):
        if is_float(target):
            return x  # f32 in both; `store` rounds to f16
        return em.value(arith.FPToSIOp(x, target))  # pyright: ignore[reportArgumentType]  (saturating, NaN -> 0)
    if is_float(target):
        return em.value(arith.SIToFPOp(x, f32))  # nearest even; `store` rounds on to f16
    assert isinstance(source, IntegerType) and isinstance(target, IntegerType)
    if source.width.data == target.width.data:
        return x
    if source.width.data < target.width.data:
        return em.value(arith.ExtSIOp(x, target))
    return em.value(arith.TruncIOp(x, target))  # wraps: keeps the low bits


def _cast(em: Emitter, op: pbuf.DestinationOp):
    source = element_of(op.inputs_[0])
    target = element_of(op.output_)
    return map_elements(em, op, lambda em, v: convert(em, v[0], source, target))


# -- batch_norm -------------------------------------------------------------------------------


def _batch_norm(em: Emitter, op: pbuf.DestinationOp):
    x, scale, offset, mean, variance = op.inputs_
    out = op.output_
    eps = em.f32(float(np.float32(op.epsilon.value.data)))  # pyright: ignore[reportAttributeAccessIssue]

    def body(ivs: list[SSAValue]) -> None:
        c = [ivs[-1]]
        centred = em.subv(em.load(x, ivs), em.load(mean, c))
        std = em.sqrt(em.addv(em.load(variance, c), eps))
        y = em.addv(em.mulv(em.divv(centred, std), em.load(scale, c)), em.load(offset, c))
        em.store(y, out, ivs)

    return em.nest(shape_of(out), body)


_LIBM = {
    pt.ExpOp: math.ExpOp, pt.LogOp: math.LogOp, pt.SqrtOp: math.SqrtOp, pt.TanhOp: math.TanhOp,
    pt.SinOp: math.SinOp, pt.CosOp: math.CosOp, pt.TanOp: math.TanOp, pt.AsinOp: math.AsinOp,
    pt.AcosOp: math.AcosOp, pt.AtanOp: math.AtanOp,
}
"""The unary ops that are one math-dialect op (a libm call in C and LLVM)."""


def _simple(fn: Scalar):
    return lambda em, op: map_elements(em, op, fn)


KERNELS = {
    pt.NegOp: _simple(_unary(_neg)),
    pt.AbsOp: _simple(_unary(_abs)),
    pt.ReluOp: _simple(_unary(_relu)),
    pt.Relu6Op: _simple(_unary(_relu6)),
    **{op: _simple(_libm(fn)) for op, fn in _LIBM.items()},
    pt.RsqrtOp: _simple(_unary(_rsqrt)),
    pt.SigmoidOp: _simple(_unary(_sigmoid)),
    pt.GeluOp: _simple(_unary(_gelu)),
    pt.ClampOp: _clamp,
    pt.AddOp: _simple(lambda em, v: em.addv(v[0], v[1])),
    pt.SubOp: _simple(lambda em, v: em.subv(v[0], v[1])),
    pt.MulOp: _simple(lambda em, v: em.mulv(v[0], v[1])),
    pt.DivOp: _simple(lambda em, v: em.divv(v[0], v[1])),
    pt.MaxOp: _simple(lambda em, v: em.maxv(v[0], v[1])),
    pt.MinOp: _simple(lambda em, v: em.minv(v[0], v[1])),
    pt.CompareOp: _compare,
    pt.SelectOp: _simple(lambda em, v: em.select(v[0], v[1], v[2])),
    pt.CastOp: _cast,
    pt.BatchNormOp: _batch_norm,
}
