"""vectorize{target=T}: planned buffer ops (pbuf) become vector loop nests.

Runs after plan-memory and before convert-pbuf-to-loops, on the structured
ops themselves (as MLIR's linalg vectorizer does): the op says what the loop
nest computes, so the kernel is generated right the first time instead of
being recovered from scalar loops. Each f32 matmul, conv2d, pooling and
elementwise op the kernels take becomes loops over the portable vector level
(vector_emitter.py) with W = the machine's f32 lanes (fewer, down to 4, for
rows narrower than that: vector_cost.lanes_for); everything else is left
for convert-pbuf-to-loops' scalar kernels. On NEON machines,
convert-vector-to-arm-simd then turns the vectors into arm_simd intrinsics.

Fusion. The elementwise ops right after a producer that only read its
result (bias add, residual add, relu, relu6, clamp) are applied to the
producer's registers and their buffer is written once (vector_elementwise.
Chain). A fused op's output may not overlap what the producer still reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass

from pelemay_ir.dialects import pbuf
from pelemay_ir.dialects import ptensor as pt
from pelemay_ir.ir import CompileError, location_of
from pelemay_ir.machines import Vectors, vector_unit
from pelemay_ir.passes.convert_pbuf_to_loops import SOURCE_ATTR
from pelemay_ir.passes.loops_emitter import shape_of
from pelemay_ir.passes.vector_cost import lanes_for
from pelemay_ir.passes.vector_elementwise import Chain, elementwise, is_elementwise
from pelemay_ir.passes.vector_emitter import VectorEmitter
from pelemay_ir.passes.vector_matmul import matmul
from pelemay_ir.passes.vector_reductions import REDUCTIONS, reduction, softmax
from pelemay_ir.passes.vector_windows import conv2d, pool2d

PASS_NAME = "vectorize"

Kernel = Callable[[VectorEmitter, pbuf.DestinationOp, Chain, Vectors], "Operation | None"]

KERNELS: dict[type[Operation], Kernel] = {
    pt.MatmulOp: matmul,
    pt.Conv2DOp: conv2d,
    pt.MaxPool2DOp: pool2d,
    pt.AvgPool2DOp: pool2d,
    **dict.fromkeys(REDUCTIONS, reduction),
    pt.SoftmaxOp: softmax,
}
"""Ops with a vector kernel of their own."""

TAKES_EPILOGUE = (pt.MatmulOp, pt.Conv2DOp, pt.MaxPool2DOp, pt.AvgPool2DOp)

def _overlap(x: SSAValue, y: SSAValue) -> str:
    """`none`, `same` (the very same bytes and shape) or `partial`."""
    if not pbuf.overlap(x, y):
        return "none"
    return "same" if pbuf.extent(x) == pbuf.extent(y) and x.type == y.type else "partial"


def _seen_elsewhere(buffer: SSAValue, fused: tuple[Operation, ...]) -> bool:
    """Does anything but the fused ops see the buffer's bytes: another op, a
    reshaped name of it, or the caller (the buffer is, or reshapes, an argument)?"""
    while True:
        if any(u.operation not in fused for u in buffer.uses):
            return True
        owner = buffer.owner
        if not isinstance(owner, pbuf.ReshapeOp):
            return not isinstance(owner, Operation)  # a block argument: the caller's buffer
        fused = (*fused, owner)
        buffer = owner.source


def _fusable(producer: pbuf.DestinationOp, chain: Chain, follower: Operation) -> bool:
    """May `follower` join `chain` as the next epilogue op of `producer`?"""
    if not is_elementwise(follower):
        return False
    assert isinstance(follower, pbuf.DestinationOp)
    current = chain.output or producer.output_
    fused = (producer, *chain.ops, follower)
    if [v for v in follower.inputs_].count(current) != 1:
        return False
    if follower.output_.type != current.type:
        return False
    if follower.output_ != current and _seen_elsewhere(current, fused):
        return False  # the fused op would not write a value someone else reads
    elementwise_producer = is_elementwise(producer)
    reads = [*producer.inputs_, *(v for op in [*chain.ops, follower] for v in op.inputs_)]
    for read in reads:
        if read == current:
            continue
        kind = _overlap(follower.output_, read)
        if kind == "partial" or (kind == "same" and not elementwise_producer):
            return False
    return True


def _chain(ops: list[Operation], at: int, producer: pbuf.DestinationOp) -> tuple[Chain, int]:
    """The longest fusable chain after ops[at], and the index after it."""
    chain = Chain([], producer.output_)
    i = at + 1
    while i < len(ops):
        if isinstance(ops[i], pbuf.PLANNED_NAMING_OPS):  # they only name memory: fusion looks past them
            i += 1
            continue
        if not _fusable(producer, chain, ops[i]):
            break
        chain.ops.append(ops[i])  # pyright: ignore[reportArgumentType]
        i += 1
    return chain, i


def _annotate(nest: Operation, source: pbuf.DestinationOp, chain: Chain) -> None:
    nest.location = source.location
    names = [source.TENSOR_OP.name, *(op.TENSOR_OP.name for op in chain.ops)]
    nest.attributes[SOURCE_ATTR] = StringAttr("+".join(names))


def _row(op: pbuf.DestinationOp) -> int:
    """The length of the rows the op's kernel runs its vectors along: the
    output's last dimension, or the input's for a reduction."""
    shape = shape_of(op.inputs_[0] if op.TENSOR_OP in REDUCTIONS else op.output_)
    return shape[-1] if shape else 1


def vectorize_function(function: func.FuncOp, vectors: Vectors) -> None:
    em = VectorEmitter(function.body.block, vectors.f32_lanes)
    ops = list(function.body.block.ops)
    i = 0
    while i < len(ops):
        op = ops[i]
        kernel = KERNELS.get(op.TENSOR_OP) if isinstance(op, pbuf.DestinationOp) else None
        if kernel is None and not is_elementwise(op):
            i += 1
            continue
        assert isinstance(op, pbuf.DestinationOp)
        if kernel is None or op.TENSOR_OP in TAKES_EPILOGUE:
            chain, after = _chain(ops, i, op)
        else:
            chain, after = Chain([], op.output_), i + 1
        em.insert_before(chain.ops[-1] if chain.ops else op)  # after what the fused ops read is made
        em.set_lanes(lanes_for(vectors, _row(op)))
        nest = kernel(em, op, chain, vectors) if kernel else elementwise(em, op, chain, vectors)
        if nest is None:
            i += 1
            continue
        _annotate(nest, op, chain)
        for fused in [op, *chain.ops]:
            buffers = [v.owner for v in fused.operands if isinstance(v.owner, pbuf.ViewOp)]
            fused.detach()
            fused.erase()
            for view in buffers:  # an intermediate no longer written or read
                if isinstance(view, pbuf.ViewOp) and not view.result.uses and view.parent is not None:
                    view.detach()
                    view.erase()
        i = after


@dataclass(frozen=True)
class VectorizePass(ModulePass):
    """f32 matmul/conv/pooling/elementwise pbuf ops -> vector loop nests with fused epilogues."""

    name = PASS_NAME

    target: str = "host"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        vectors = vector_unit(
            self.target, PASS_NAME, " to generate code for; its programs take the scalar loops (leave vectorize out)"
        )
        for node in op.walk():
            if node.name.startswith("ptensor.") and not isinstance(node, ModuleOp):
                raise CompileError(
                    f"'{node.name}' is a tensor op; run bufferize and plan-memory before {PASS_NAME}",
                    location_of(node),
                )
        for function in [f for f in op.ops if isinstance(f, func.FuncOp) and f.body.blocks]:
            vectorize_function(function, vectors)

