"""Loop nests for the ops that only move elements: broadcast, transpose, slice,
concat, pad, and `pbuf.copy`.

Elements move as stored (f16 stays f16: no conversion is needed to copy), so
these nests are loads and stores with index arithmetic only.
"""

from __future__ import annotations

from xdsl.ir import Operation, SSAValue

from pelemay_ir.dialects import pbuf
from pelemay_ir.dialects import ptensor as pt
from pelemay_ir.passes.loops_elementwise import broadcast_index, rounded_bound
from pelemay_ir.passes.loops_emitter import Emitter, compute_type, element_of, shape_of
from pelemay_ir.shapes import normalize_axis


def copy_nest(em: Emitter, source: SSAValue, target: SSAValue) -> Operation:
    def body(ivs: list[SSAValue]) -> None:
        em.store_raw(em.load_raw(source, ivs), target, ivs)

    return em.nest(shape_of(target), body)


def _broadcast(em: Emitter, op: pbuf.DestinationOp):
    x, out = op.inputs_[0], op.output_

    def body(ivs: list[SSAValue]) -> None:
        em.store_raw(em.load_raw(x, broadcast_index(ivs, shape_of(x))), out, ivs)

    return em.nest(shape_of(out), body)


def _transpose(em: Emitter, op: pbuf.DestinationOp):
    x, out = op.inputs_[0], op.output_
    perm = pt.ints(op.permutation)  # pyright: ignore[reportAttributeAccessIssue]

    def body(ivs: list[SSAValue]) -> None:
        index: list[SSAValue] = list(ivs)  # each entry is set below
        for d, p in enumerate(perm):
            index[p] = ivs[d]  # result[i] = input[j] with j[perm[d]] = i[d]
        em.store_raw(em.load_raw(x, index), out, ivs)

    return em.nest(shape_of(out), body)


def _slice(em: Emitter, op: pbuf.DestinationOp):
    x, out = op.inputs_[0], op.output_
    offsets = pt.ints(op.offsets)  # pyright: ignore[reportAttributeAccessIssue]
    strides = pt.ints(op.strides)  # pyright: ignore[reportAttributeAccessIssue]

    def body(ivs: list[SSAValue]) -> None:
        index = [em.add(em.mul(i, s), o) for i, o, s in zip(ivs, offsets, strides)]
        em.store_raw(em.load_raw(x, index), out, ivs)

    return em.nest(shape_of(out), body)


def _concat(em: Emitter, op: pbuf.DestinationOp):
    """One nest per operand, each writing its slab of the output."""
    out = op.output_
    axis = normalize_axis(op.axis.value.data, len(shape_of(out)))  # pyright: ignore[reportAttributeAccessIssue]
    nests: list[Operation] = []
    start = 0
    for x in op.inputs_:

        def body(ivs: list[SSAValue], x: SSAValue = x, start: int = start) -> None:
            index = [em.add(v, start) if d == axis else v for d, v in enumerate(ivs)]
            em.store_raw(em.load_raw(x, ivs), out, index)

        nests.append(em.nest(shape_of(x), body))
        start += shape_of(x)[axis]
    return nests


def _pad(em: Emitter, op: pbuf.DestinationOp):
    """Fill the output with the pad value, then copy the input into its interior."""
    x, out = op.inputs_[0], op.output_
    low = pt.ints(op.low)  # pyright: ignore[reportAttributeAccessIssue]
    element = element_of(out)
    value = em.scalar(rounded_bound(op.value, element), compute_type(element))  # pyright: ignore[reportAttributeAccessIssue]
    fill = em.nest(shape_of(out), lambda ivs: em.store(value, out, ivs))

    def body(ivs: list[SSAValue]) -> None:
        em.store_raw(em.load_raw(x, ivs), out, [em.add(v, lo) for v, lo in zip(ivs, low)])

    return [fill, em.nest(shape_of(x), body)]


KERNELS = {
    pt.BroadcastOp: _broadcast,
    pt.TransposeOp: _transpose,
    pt.SliceOp: _slice,
    pt.ConcatOp: _concat,
    pt.PadOp: _pad,
}
