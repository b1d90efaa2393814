"""Elementwise f32 ops on vectors, standalone or fused as an epilogue.

An elementwise op is computed along the last dimension, W lanes at a time
with a scalar tail. Its operands are read broadcast as in NumPy: an operand
whose last dimension is the output's is loaded as a vector, one whose last
dimension is 1 (or a scalar) is loaded once and splatted.

The same `Chain` serves as the epilogue of matmul, conv and pooling: the
elementwise ops that follow a producer and only read its result are applied
to the producer's registers before the store (bias, residual add, relu,
relu6, clamp), so the intermediate is never written and read back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from xdsl.dialects import arith
from xdsl.dialects.builtin import f32
from xdsl.ir import Operation, SSAValue

from pelemay_ir.dialects import pbuf
from pelemay_ir.machines import Vectors
from pelemay_ir.dialects import ptensor as pt
from pelemay_ir.passes.loops_elementwise import broadcast_index, rounded_bound
from pelemay_ir.passes.loops_emitter import Emitter, element_of, shape_of
from pelemay_ir.passes.vector_emitter import VectorEmitter

Fn = Callable[[Emitter, list[SSAValue], bool, pbuf.DestinationOp], SSAValue]
"""(emitter, operand values, on vectors?, the op) -> result value."""


def _binary(vector_name: str, scalar_name: str) -> Fn:
    def fn(em: Emitter, v: list[SSAValue], vec: bool, op: pbuf.DestinationOp) -> SSAValue:
        return getattr(em, vector_name if vec else scalar_name)(v[0], v[1])

    return fn


def _clamp_values(em: Emitter, x: SSAValue, lo: float, hi: float, vec: bool) -> SSAValue:
    if vec:
        assert isinstance(em, VectorEmitter)
        return em.vmin(em.vmax(x, em.vconst(lo)), em.vconst(hi))
    return em.minv(em.maxv(x, em.f32(lo)), em.f32(hi))


def _relu(em: Emitter, v: list[SSAValue], vec: bool, op: pbuf.DestinationOp) -> SSAValue:
    if vec:
        assert isinstance(em, VectorEmitter)
        return em.vmax(v[0], em.vconst(0.0))
    return em.maxv(v[0], em.f32(0.0))


def _relu6(em: Emitter, v: list[SSAValue], vec: bool, op: pbuf.DestinationOp) -> SSAValue:
    return _clamp_values(em, v[0], 0.0, 6.0, vec)


def _clamp(em: Emitter, v: list[SSAValue], vec: bool, op: pbuf.DestinationOp) -> SSAValue:
    lo = rounded_bound(op.min, f32)  # pyright: ignore[reportAttributeAccessIssue]
    hi = rounded_bound(op.max, f32)  # pyright: ignore[reportAttributeAccessIssue]
    return _clamp_values(em, v[0], float(lo), float(hi), vec)


def _neg(em: Emitter, v: list[SSAValue], vec: bool, op: pbuf.DestinationOp) -> SSAValue:
    if vec:
        assert isinstance(em, VectorEmitter)
        return em.vneg(v[0])
    return em.value(arith.NegfOp(v[0]))


FUNCTIONS: dict[type[Operation], Fn] = {
    pt.AddOp: _binary("vadd", "addv"),
    pt.SubOp: _binary("vsub", "subv"),
    pt.MulOp: _binary("vmul", "mulv"),
    pt.DivOp: _binary("vdiv", "divv"),
    pt.MaxOp: _binary("vmax", "maxv"),
    pt.MinOp: _binary("vmin", "minv"),
    pt.ReluOp: _relu,
    pt.Relu6Op: _relu6,
    pt.ClampOp: _clamp,
    pt.NegOp: _neg,
}
"""ptensor op -> its computation on vectors and on scalars (the tail)."""


def is_elementwise(op: Operation) -> bool:
    """An op this module computes: f32 operands and result."""
    return (
        isinstance(op, pbuf.DestinationOp)
        and op.TENSOR_OP in FUNCTIONS
        and all(element_of(v) == f32 for v in op.operands)
    )


def operand(em: Emitter, buffer: SSAValue, ivs: Sequence[SSAValue | int], vec: bool) -> SSAValue:
    """`buffer` read broadcast at output index `ivs` (whose last entry is the
    first lane when `vec`): a vector load, a splatted scalar, or a scalar."""
    shape = shape_of(buffer)
    index = broadcast_index(ivs, shape)  # pyright: ignore[reportArgumentType]
    if not vec:
        return em.load(buffer, index)
    assert isinstance(em, VectorEmitter)
    if shape and shape[-1] != 1:
        return em.vload(buffer, index)
    return em.splat(em.load(buffer, index))


@dataclass
class Chain:
    """Elementwise ops applied in order to a producer's value; each reads the
    previous value (`through`) and possibly other buffers."""

    ops: list[pbuf.DestinationOp]
    through: SSAValue
    """The buffer the first op reads the producer's value from."""

    @property
    def output(self) -> SSAValue | None:
        return self.ops[-1].output_ if self.ops else None

    def apply(self, em: Emitter, value: SSAValue, ivs: Sequence[SSAValue | int], vec: bool,
              read: Callable[[SSAValue], SSAValue] | None = None) -> SSAValue:
        """`read` gives the value of another buffer (default: `operand` at `ivs`)."""
        previous = self.through
        for op in self.ops:
            values = [value if v == previous else read(v) if read else operand(em, v, ivs, vec) for v in op.inputs_]
            value = FUNCTIONS[op.TENSOR_OP](em, values, vec, op)
            previous = op.output_
        return value


UNROLL = 4
"""Vectors per iteration of the main loop: independent work for the pipeline
and a quarter of the loop overhead, well within every register file."""


def elementwise(em: VectorEmitter, op: pbuf.DestinationOp, chain: Chain, vectors: Vectors) -> Operation | None:
    """The loop nest of `op` followed by `chain`, or None when the rows are
    shorter than one vector (the scalar kernel is as good). Where vector
    accesses take no offset (ARMv7), the unrolled loop computes two vectors at
    a time on deinterleaved halves (vload2/vstore2): every op is lane by lane,
    so the lanes' order does not matter between the load and the store."""
    out = chain.output or op.output_
    shape = shape_of(out)
    lanes = em.lanes
    if not shape or shape[-1] < lanes:
        return None
    last = shape[-1]
    vector_end = last - last % lanes
    unrolled_end = last - last % (UNROLL * lanes)

    def compute(ivs: list[SSAValue | int], vec: bool) -> None:
        values = [operand(em, v, ivs, vec) for v in op.inputs_]
        value = chain.apply(em, FUNCTIONS[op.TENSOR_OP](em, values, vec, op), ivs, vec)
        em.put(value, out, ivs, vec)

    def compute_pair(ivs: list[SSAValue | int]) -> None:
        halves: dict[SSAValue, tuple[SSAValue, SSAValue]] = {}

        def read(buffer: SSAValue, half: int) -> SSAValue:
            shape = shape_of(buffer)
            if not shape or shape[-1] == 1:
                return operand(em, buffer, ivs, True)
            if buffer not in halves:
                halves[buffer] = em.vload2(buffer, broadcast_index(ivs, shape))  # pyright: ignore[reportArgumentType]
            return halves[buffer][half]

        results = []
        for half in (0, 1):
            values = [read(v, half) for v in op.inputs_]
            value = FUNCTIONS[op.TENSOR_OP](em, values, True, op)
            results.append(chain.apply(em, value, ivs, True, lambda v, h=half: read(v, h)))
        em.vstore2(results[0], results[1], out, ivs)

    def unrolled(outer: list[SSAValue], j: SSAValue) -> None:
        if vectors.load_offsets:
            for u in range(UNROLL):
                compute([*outer, em.add(j, u * lanes)], True)
        else:
            for u in range(0, UNROLL, 2):
                compute_pair([*outer, em.add(j, u * lanes)])

    def row(outer: list[SSAValue]) -> None:
        if unrolled_end:
            em.for_(0, unrolled_end, lambda j, _: unrolled(outer, j), step=UNROLL * lanes)
        if unrolled_end < vector_end:
            em.for_(unrolled_end, vector_end, lambda j, _: compute([*outer, j], True), step=lanes)
        if vector_end < last:
            em.for_(vector_end, last, lambda j, _: compute([*outer, j], False))

    if len(shape) == 1:  # one loop of one trip carries the location
        return em.for_(0, 1, lambda _i, _c: row([]))
    return em.nest(shape[:-1], row)
