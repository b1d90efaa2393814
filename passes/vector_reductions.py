"""Vector kernels of the f32 reductions (reduce_sum/max/min/mean) and softmax.

When the last axis is kept (a global pooling over H and W in NHWC), each
output row of the last axis is a vector accumulator over the reduced
positions: no horizontal step at all. When the last axis is reduced, W lanes
accumulate side by side along it and are combined once at the end
(`vector.reduction`), with a scalar tail; the sum's order differs from the
scalar loop's, within rounding. softmax takes its max, its exp (vector_math.py;
the tail calls the C library's) and its normalisation on vectors: the
division by the row's sum is one reciprocal per row and a multiply per
element. Neither kernel takes an epilogue.
"""

from __future__ import annotations

from xdsl.dialects import math
from xdsl.dialects.builtin import f32
from xdsl.ir import Operation, SSAValue

from pelemay_ir.dialects import pbuf
from pelemay_ir.dialects import ptensor as pt
from pelemay_ir.machines import Vectors
from pelemay_ir.passes.loops_emitter import Index, element_of, shape_of
from pelemay_ir.passes.loops_reductions import input_index, reduced_axes
from pelemay_ir.passes.vector_elementwise import UNROLL, Chain
from pelemay_ir.passes.vector_emitter import VectorEmitter
from pelemay_ir.passes.vector_math import exp_nonpositive, interleaved
from pelemay_ir.shapes import normalize_axis

_KIND = {pt.ReduceSumOp: "add", pt.ReduceMeanOp: "add", pt.ReduceMaxOp: "max", pt.ReduceMinOp: "min"}
REDUCTIONS = tuple(_KIND)
"""The reduce ops: their vectors run along the input's last axis when it is reduced."""
_START = {"add": 0.0, "max": float("-inf"), "min": float("inf")}


def _combine(em: VectorEmitter, kind: str, acc: SSAValue, v: SSAValue, vec: bool, loose: bool = False) -> SSAValue:
    if kind == "add":
        return em.vadd(acc, v) if vec else em.addv(acc, v)
    if kind == "max":
        return em.vmax(acc, v, loose) if vec else em.maxv(acc, v)
    return em.vmin(acc, v) if vec else em.minv(acc, v)


def _along_last(em: VectorEmitter, kind: str, x: SSAValue, row: list[Index], size: int,
                loose: bool = False) -> SSAValue:
    """The `kind` reduction of x[row..., k] over k < size: W lanes, then a
    scalar tail. `loose`: a max whose lanes may drop a NaN or a zero's sign
    (softmax's shift: a NaN of the row still makes the row's sum NaN, and
    x - (+0) equals x - (-0))."""
    lanes = em.lanes
    vector_end = size - size % lanes
    unrolled_end = size - size % (UNROLL * lanes)
    total = em.f32(_START[kind])
    if vector_end:
        accs = [em.vconst(_START[kind])] * (UNROLL if unrolled_end else 1)
        if unrolled_end:  # independent accumulators: no chain of dependent adds

            def step(k: SSAValue, acc: list[SSAValue]) -> list[SSAValue]:
                return [_combine(em, kind, acc[u], em.vload(x, [*row, em.add(k, u * lanes)]), True, loose)
                        for u in range(UNROLL)]

            accs = list(em.for_(0, unrolled_end, step, accs, step=UNROLL * lanes).results)
            while len(accs) > 1:
                accs = [_combine(em, kind, accs[i], accs[i + 1], True, loose) for i in range(0, len(accs), 2)]
        if unrolled_end < vector_end:

            def single(k: SSAValue, acc: list[SSAValue]) -> list[SSAValue]:
                return [_combine(em, kind, acc[0], em.vload(x, [*row, k]), True, loose)]

            accs = list(em.for_(unrolled_end, vector_end, single, accs, step=lanes).results)
        total = em.hreduce(accs[0], kind)
    if vector_end < size:

        def tail(k: list[SSAValue], acc: list[SSAValue]) -> list[SSAValue]:
            return [_combine(em, kind, acc[0], em.load(x, [*row, k[0]]), False)]

        (total,) = em.reduce([(vector_end, size)], [total], tail)
    return total


def reduction(em: VectorEmitter, op: pbuf.DestinationOp, chain: Chain, vectors: Vectors) -> Operation | None:
    x = op.inputs_[0]
    if element_of(x) != f32:
        return None
    shape = shape_of(x)
    rank = len(shape)
    axes = reduced_axes(op, rank)
    keepdims = op.keepdims is not None  # pyright: ignore[reportAttributeAccessIssue]
    kind = _KIND[op.TENSOR_OP]
    count = 1
    for a in axes:
        count *= shape[a]
    mean = op.TENSOR_OP is pt.ReduceMeanOp
    lanes = em.lanes
    out = op.output_
    out_shape = shape_of(out)
    if not shape or shape[-1] < lanes:
        return None

    def finish(total: SSAValue, vec: bool) -> SSAValue:
        if not mean:
            return total
        return em.vdiv(total, em.vconst(float(count))) if vec else em.divv(total, em.f32(float(count)))

    if rank - 1 in axes:  # the last axis is reduced: lanes along it
        inner_axes = [a for a in axes if a != rank - 1]

        def body(ivs: list[SSAValue]) -> None:
            def part(inner: list[SSAValue], acc: list[SSAValue]) -> list[SSAValue]:
                row = input_index(ivs, [*inner, em.index(0)], rank, axes, keepdims)[:-1]
                return [_combine(em, kind, acc[0], _along_last(em, kind, x, row, shape[-1]), False)]

            (total,) = em.reduce([(0, shape[a]) for a in inner_axes], [em.f32(_START[kind])], part)
            em.store(finish(total, False), out, ivs)

        return em.nest(out_shape, body) if out_shape else em.for_(0, 1, lambda _i, _c: body([]))

    # the last axis is kept: one vector accumulator per W outputs of the last axis
    channels = shape[-1]
    vector_end = channels - channels % lanes

    def outer(ivs: list[SSAValue]) -> None:
        def lane_block(c: SSAValue, vec: bool) -> None:
            def step(inner: list[SSAValue], acc: list[SSAValue]) -> list[SSAValue]:
                index = input_index([*ivs, c], inner, rank, axes, keepdims)
                v = em.vload(x, index) if vec else em.load(x, index)
                return [_combine(em, kind, acc[0], v, vec)]

            start = em.vconst(_START[kind]) if vec else em.f32(_START[kind])
            (total,) = em.reduce([(0, shape[a]) for a in axes], [start], step)
            em.put(finish(total, vec), out, [*ivs, c], vec)

        em.for_(0, vector_end, lambda c, _: lane_block(c, True), step=lanes)
        if vector_end < channels:
            em.for_(vector_end, channels, lambda c, _: lane_block(c, False))

    if len(out_shape) == 1:
        return em.for_(0, 1, lambda _i, _c: outer([]))
    return em.nest(out_shape[:-1], outer)


def softmax(em: VectorEmitter, op: pbuf.DestinationOp, chain: Chain, vectors: Vectors) -> Operation | None:
    x, out = op.inputs_[0], op.output_
    shape = shape_of(x)
    if element_of(x) != f32 or not shape:
        return None
    if normalize_axis(op.axis.value.data, len(shape)) != len(shape) - 1 or shape[-1] < em.lanes:  # pyright: ignore
        return None
    size = shape[-1]
    lanes = em.lanes
    vector_end = size - size % lanes
    side_by_side = interleaved(vectors.registers, UNROLL)
    grouped_end = size - size % (side_by_side * lanes)

    def row(ivs: list[SSAValue]) -> None:
        top = _along_last(em, "max", x, ivs, size, loose=True)
        tops = em.splat(top)

        def exp_stored(count: int):
            """`count` vectors a step; the sum adds them in order, as one at a time would."""
            def step(k: SSAValue, acc: list[SSAValue]) -> list[SSAValue]:
                at = [[*ivs, em.add(k, u * lanes)] for u in range(count)]
                es = exp_nonpositive(em, [em.vsub(em.vload(x, index), tops) for index in at])
                total = acc[0]
                for e, index in zip(es, at):
                    em.vstore(e, out, index)
                    total = em.vadd(total, e)
                return [total]
            return step

        sums = em.vconst(0.0)
        if grouped_end:
            (sums,) = em.for_(0, grouped_end, exp_stored(side_by_side), [sums], step=side_by_side * lanes).results
        if grouped_end < vector_end:
            (sums,) = em.for_(grouped_end, vector_end, exp_stored(1), [sums], step=lanes).results
        total = em.hreduce(sums, "add")
        if vector_end < size:

            def exp_tail(k: list[SSAValue], acc: list[SSAValue]) -> list[SSAValue]:
                e = em.math(math.ExpOp, em.subv(em.load(x, [*ivs, k[0]]), top))
                em.store(e, out, [*ivs, k[0]])
                return [em.addv(acc[0], e)]

            (total,) = em.reduce([(vector_end, size)], [total], exp_tail)
        scale = em.divv(em.f32(1.0), total)
        scales = em.splat(scale)
        em.for_(
            0, vector_end,
            lambda k, _: em.vstore(em.vmul(em.vload(out, [*ivs, k]), scales), out, [*ivs, k]),
            step=lanes,
        )
        if vector_end < size:
            em.for_(vector_end, size, lambda k, _: em.store(em.mulv(em.load(out, [*ivs, k]), scale), out, [*ivs, k]))

    if len(shape) == 1:
        return em.for_(0, 1, lambda _i, _c: row([]))
    return em.nest(shape[:-1], row)
