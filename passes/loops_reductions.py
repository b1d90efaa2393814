"""Loop nests for the ops that reduce along axes: reduce_sum/max/min/mean,
argmax, softmax and layer_norm.

An outer nest runs over the kept positions; an inner nest carries the
accumulator in `scf.for` iter_args (no memory traffic, no scratch buffer).
Floats accumulate in f32 (f16 too, rounded once at the store); integer sums
wrap in the element type, except reduce_mean which sums exactly in a wider
type (i8 in i32, i32 in i64), as docs/semantics.md says.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from xdsl.dialects import arith, math
from xdsl.dialects.builtin import i32, i64
from xdsl.ir import SSAValue

from pelemay_ir.dialects import pbuf
from pelemay_ir.dialects import ptensor as pt
from pelemay_ir.passes.loops_emitter import Emitter, Index, compute_type, element_of, is_float, shape_of
from pelemay_ir.shapes import normalize_axes, normalize_axis


def reduced_axes(op: pbuf.DestinationOp, rank: int) -> tuple[int, ...]:
    return normalize_axes(pt.ints(op.axes), rank)  # pyright: ignore[reportAttributeAccessIssue]


def input_index(
    out_ivs: Sequence[SSAValue], inner: Sequence[SSAValue], rank: int, axes: Sequence[int], keepdims: bool
) -> list[Index]:
    """The input index for output index `out_ivs` and reduced-axis index `inner`."""
    kept = iter(out_ivs if not keepdims else [v for d, v in enumerate(out_ivs) if d not in axes])
    reduced = iter(inner)
    return [next(reduced) if d in axes else next(kept) for d in range(rank)]


def _reduction(em: Emitter, op: pbuf.DestinationOp, kind: str):
    x, out = op.inputs_[0], op.output_
    shape = shape_of(x)
    axes = reduced_axes(op, len(shape))
    keepdims = op.keepdims is not None  # pyright: ignore[reportAttributeAccessIssue]
    element = element_of(x)
    t = compute_type(element)
    if kind == "mean" and not is_float(t):
        acc_type = i64 if element == i32 else i32
    else:
        acc_type = t
    count = int(np.prod([shape[a] for a in axes], dtype=np.int64))
    if kind == "max":
        init = em.lowest(t)
    elif kind == "min":
        init = em.highest(t)
    else:
        init = em.zero(acc_type)
    bounds = [(0, shape[a]) for a in axes]

    def body(ivs: list[SSAValue]) -> None:
        def step(inner: list[SSAValue], acc: list[SSAValue]) -> list[SSAValue]:
            v = em.load(x, input_index(ivs, inner, len(shape), axes, keepdims))
            if kind == "max":
                return [em.maxv(acc[0], v)]
            if kind == "min":
                return [em.minv(acc[0], v)]
            return [em.addv(acc[0], em.widen(v, acc_type))]

        (total,) = em.reduce(bounds, [init], step)
        if kind == "mean":
            total = em.divv(total, em.scalar(count, acc_type))  # ints: truncating, x / 0 = 0
            if total.type != t:
                total = em.value(arith.TruncIOp(total, t))  # pyright: ignore[reportArgumentType]  (in range)
        em.store(total, out, ivs)

    return em.nest(shape_of(out), body)


def _argmax(em: Emitter, op: pbuf.DestinationOp):
    """Index of the first maximum; for floats a NaN beats everything (first NaN wins)."""
    x, out = op.inputs_[0], op.output_
    shape = shape_of(x)
    (axis,) = reduced_axes(op, len(shape))
    keepdims = op.keepdims is not None  # pyright: ignore[reportAttributeAccessIssue]
    t = compute_type(element_of(x))

    def body(ivs: list[SSAValue]) -> None:
        def step(inner: list[SSAValue], acc: list[SSAValue]) -> list[SSAValue]:
            best, index = acc
            v = em.load(x, input_index(ivs, inner, len(shape), (axis,), keepdims))
            if is_float(t):
                greater = em.cmpf(v, best, "ogt")
                nan_over_number = em.value(
                    arith.AndIOp(em.cmpf(v, v, "uno"), em.cmpf(best, best, "ord"))
                )
                better = em.value(arith.OrIOp(greater, nan_over_number))
            else:
                better = em.cmpi(v, best, "sgt")
            here = em.index_to(inner[0], i32)
            return [em.select(better, v, best), em.select(better, here, index)]

        _, index = em.reduce([(0, shape[axis])], [em.lowest(t), em.int_(0, i32)], step)
        em.store(index, out, ivs)

    return em.nest(shape_of(out), body)


def _softmax(em: Emitter, op: pbuf.DestinationOp):
    """exp(x - max) / sum(exp(x - max)) along the axis: three passes over it."""
    x, out = op.inputs_[0], op.output_
    shape = shape_of(x)
    axis = normalize_axis(op.axis.value.data, len(shape))  # pyright: ignore[reportAttributeAccessIssue]
    outer = [1 if d == axis else n for d, n in enumerate(shape)]
    along = [(0, shape[axis])]

    def at(ivs: list[SSAValue], k: SSAValue) -> list[SSAValue]:
        return [k if d == axis else v for d, v in enumerate(ivs)]

    def body(ivs: list[SSAValue]) -> None:
        (top,) = em.reduce(along, [em.lowest(compute_type(element_of(x)))],
                           lambda k, acc: [em.maxv(acc[0], em.load(x, at(ivs, k[0])))])

        def shifted_exp(k: SSAValue) -> SSAValue:
            return em.math(math.ExpOp, em.subv(em.load(x, at(ivs, k)), top))

        (total,) = em.reduce(along, [em.f32(0.0)], lambda k, acc: [em.addv(acc[0], shifted_exp(k[0]))])

        def write(k: SSAValue, _: list[SSAValue]) -> None:
            em.store(em.divv(shifted_exp(k), total), out, at(ivs, k))

        em.for_(0, shape[axis], write)

    return em.nest(outer, body)


def _layer_norm(em: Emitter, op: pbuf.DestinationOp):
    """Mean and biased variance over the trailing dimensions, then normalise."""
    x, scale, offset = op.inputs_
    out = op.output_
    shape = shape_of(x)
    axis = normalize_axis(op.axis.value.data, len(shape))  # pyright: ignore[reportAttributeAccessIssue]
    inner = [(0, n) for n in shape[axis:]]
    count = em.f32(float(np.prod(shape[axis:], dtype=np.int64)))
    eps = em.f32(float(np.float32(op.epsilon.value.data)))  # pyright: ignore[reportAttributeAccessIssue]

    def body(ivs: list[SSAValue]) -> None:
        (total,) = em.reduce(inner, [em.f32(0.0)], lambda k, acc: [em.addv(acc[0], em.load(x, [*ivs, *k]))])
        mean = em.divv(total, count)

        def centred(k: list[SSAValue]) -> SSAValue:
            return em.subv(em.load(x, [*ivs, *k]), mean)

        def square(k: list[SSAValue], acc: list[SSAValue]) -> list[SSAValue]:
            c = centred(k)
            return [em.addv(acc[0], em.mulv(c, c))]

        (squares,) = em.reduce(inner, [em.f32(0.0)], square)
        std = em.sqrt(em.addv(em.divv(squares, count), eps))

        def write(k: list[SSAValue], acc: list[SSAValue]) -> list[SSAValue]:
            y = em.addv(em.mulv(em.divv(centred(k), std), em.load(scale, k)), em.load(offset, k))
            em.store(y, out, [*ivs, *k])
            return []

        em.reduce(inner, [], write)

    return em.nest(list(shape[:axis]), body)


KERNELS = {
    pt.ReduceSumOp: lambda em, op: _reduction(em, op, "sum"),
    pt.ReduceMaxOp: lambda em, op: _reduction(em, op, "max"),
    pt.ReduceMinOp: lambda em, op: _reduction(em, op, "min"),
    pt.ReduceMeanOp: lambda em, op: _reduction(em, op, "mean"),
    pt.ArgmaxOp: _argmax,
    pt.SoftmaxOp: _softmax,
    pt.LayerNormOp: _layer_norm,
}
