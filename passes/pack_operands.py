"""pack-operands{target=T}: give the f32 matmuls that pack B a scratch buffer.

The vector matmul kernel (vector_matmul.py) copies each cache panel of B's
columns into a contiguous scratch, laid out block after block (K rows of
register-block columns each), so that the micro-kernel reads B sequentially
instead of one row N floats apart per step (vector_cost.packs_b says when
that pays). The scratch must be memory the program already has: a
`pbuf.alloc` made here, before plan-memory, so the arena holds it (the
generated code never calls malloc) and the memory report lists it. Each
such `pbuf.matmul` becomes

    %s = pbuf.alloc {name = "h.packed_b"} : memref<PxKxCxf32>
    pbuf.packed_matmul %a, %b, %s, %h : ...

so that the scratch is live exactly during the matmul's step. The scratch
holds one panel (at most half the L2 cache, or one block of columns when
even that is larger), never the whole of B.

Runs after bufferize and before plan-memory, in the pipelines whenever
vectorize runs. With threads > 1 the panel loop stays sequential (its
iterations share the scratch) and parallelize splits the packing copy and
the row blocks inside each panel.
`force=true` packs every matmul the kernel can pack, whatever the cost
model says (to test the kernel at small shapes).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import MemRefType, ModuleOp, f32
from xdsl.passes import ModulePass

from pelemay_ir.dialects import pbuf
from pelemay_ir.dialects import ptensor as pt
from pelemay_ir.ir import CompileError, location_of
from pelemay_ir.machines import Vectors, vector_unit
from pelemay_ir.passes.loops_emitter import element_of, shape_of
from pelemay_ir.passes.vector_cost import packed_b_shape, packs_b

PASS_NAME = "pack-operands"

MATMUL = pbuf.DESTINATION_OPS[pt.MatmulOp]


def _scratch_name(matmul: pbuf.DestinationOp) -> str:
    """Named after the matmul's output buffer, so the memory report says whose it is."""
    owner = matmul.output_.owner
    base = owner.buffer_name.data if isinstance(owner, pbuf.AllocOp) else matmul.output_.name_hint
    return f"{base or 'matmul'}.packed_b"


def pack_function(function: func.FuncOp, vectors: Vectors, force: bool) -> None:
    for op in [o for o in function.body.block.ops if type(o) is MATMUL]:
        assert isinstance(op, pbuf.DestinationOp)
        a, b = op.inputs_
        if any(element_of(v) != f32 for v in (a, b, op.output_)):
            continue
        m, k = shape_of(a)[-2:]
        n = shape_of(b)[-1]
        shape = packed_b_shape(vectors, m, k, n)
        if shape is None or not (force or packs_b(vectors, m, k, n)):
            continue
        name = _scratch_name(op)
        scratch = pbuf.AllocOp(name, MemRefType(f32, shape))
        scratch.location = op.location
        scratch.result.name_hint = name
        packed = pbuf.PackedMatmulOp.build([a, b, scratch.result], op.output_, attributes=dict(op.attributes))
        packed.location = op.location
        block = function.body.block
        block.insert_op_before(scratch, op)
        block.insert_op_before(packed, op)
        block.erase_op(op)


@dataclass(frozen=True)
class PackOperandsPass(ModulePass):
    """f32 pbuf.matmul -> pbuf.packed_matmul with a scratch alloc, where packing B pays."""

    name = PASS_NAME

    target: str = "host"
    force: bool = False

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        vectors = vector_unit(
            self.target, PASS_NAME, ", and only its vector kernels pack operands (leave pack-operands out)"
        )
        for node in op.walk():
            if isinstance(node, pbuf.ArenaOp):
                raise CompileError(
                    f"{PASS_NAME} runs before plan-memory: the scratch buffers it adds must be planned",
                    location_of(node),
                )
            if node.name.startswith("ptensor.") and not isinstance(node, ModuleOp):
                raise CompileError(
                    f"'{node.name}' is a tensor op; run bufferize before {PASS_NAME}", location_of(node)
                )
        for function in [f for f in op.ops if isinstance(f, func.FuncOp) and f.body.blocks]:
            pack_function(function, vectors, self.force)
