"""pack-operands{target=T weights=true}: give the f32 matmuls that pack B a
scratch buffer, or B packed at compile time when it is a weight.

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

When B is a weight (through reshapes) in whole blocks of columns and the
module's weights are at hand, there is no scratch and no copy at run time:
B is packed here, all of its blocks, into a weight appended to the module's
weights (which become the program's own, weights.derive), and that weight is
the packed matmul's fourth operand. `weights=false` leaves the weights file
as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import MemRefType, ModuleOp, f32
from xdsl.ir import SSAValue
from xdsl.passes import ModulePass

from pelemay_ir import weights
from pelemay_ir.dialects import pbuf
from pelemay_ir.dialects import ptensor as pt
from pelemay_ir.ir import CompileError, location_of
from pelemay_ir.machines import Vectors, vector_unit
from pelemay_ir.passes.loops_emitter import element_of, shape_of
from pelemay_ir.passes.vector_cost import packed_b_shape, packs_b, prepacked_b_shape

PASS_NAME = "pack-operands"

MATMUL = pbuf.DESTINATION_OPS[pt.MatmulOp]


def _scratch_name(matmul: pbuf.DestinationOp) -> str:
    """Named after the matmul's output buffer, so the memory report says whose it is."""
    owner = matmul.output_.owner
    base = owner.buffer_name.data if isinstance(owner, pbuf.AllocOp) else matmul.output_.name_hint
    return f"{base or 'matmul'}.packed_b"


class WeightPacker:
    """Packs weights at compile time: each packed copy is appended to the
    module's weights (a derived file, weights.derive), once per weight and
    block width however many matmuls read it."""

    def __init__(self, module: ModuleOp, blob: bytes | np.ndarray):
        self.module = module
        self.blob = blob
        self.extra: list[bytes] = []
        self.end = len(blob)
        self.made: dict[tuple[int, int, int, int], tuple[int, str]] = {}  # (offset, blocks, K, C) -> (offset, key)

    def pack(self, weight: pbuf.WeightOp, shape: tuple[int, int, int]) -> pbuf.WeightOp:
        """A weight holding B (the weight's bytes seen as K x N) in the
        kernel's layout `shape` (prepacked_b_shape): its N / C blocks of C
        columns, block after block, each K rows of C floats."""
        at = weight.offset.value.data
        blocks, k, columns = shape
        if (at, *shape) not in self.made:
            b = np.frombuffer(self.blob, dtype="<f4", count=k * blocks * columns, offset=at)
            packed = np.ascontiguousarray(b.reshape(k, blocks, columns).transpose(1, 0, 2))
            pad = -self.end % weights.WEIGHT_ALIGN
            self.extra += [b"\0" * pad, packed.astype("<f4").tobytes()]
            self.made[at, *shape] = (self.end + pad, f"{weight.key.data}.packed{columns}")
            self.end += pad + packed.nbytes
        offset, key = self.made[at, *shape]
        packed_op = pbuf.WeightOp(key, offset, MemRefType(f32, shape))
        packed_op.location = weight.location
        packed_op.result.name_hint = f"{weight.result.name_hint or 'w'}_packed"
        return packed_op

    def finish(self) -> None:
        if self.extra:
            weights.derive(self.module, b"".join([bytes(self.blob), *self.extra]))


def _packer(module: ModuleOp) -> WeightPacker | None:
    """The packer of the module's weights, or None when they are not at hand
    (B is then packed at run time, or read in place)."""
    if not any(isinstance(op, pbuf.WeightOp) for op in module.walk()):
        return None
    try:
        return WeightPacker(module, weights.blob_of(module))
    except weights.WeightsError:
        return None


def _weight_under(value: SSAValue) -> pbuf.WeightOp | None:
    """The weight whose bytes `value` is, through reshapes (a 1x1 filter seen as a matrix)."""
    while isinstance(value.owner, pbuf.ReshapeOp):
        value = value.owner.source
    return value.owner if isinstance(value.owner, pbuf.WeightOp) else None


def pack_function(function: func.FuncOp, vectors: Vectors, force: bool, packer: WeightPacker | None) -> None:
    for op in [o for o in function.body.block.ops if type(o) is MATMUL]:
        assert isinstance(op, pbuf.DestinationOp)
        a, b = op.inputs_
        if any(element_of(v) != f32 for v in (a, b, op.output_)):
            continue
        m, k = shape_of(a)[-2:]
        n = shape_of(b)[-1]
        shape = packed_b_shape(vectors, m, k, n)
        if shape is None:
            continue
        block = function.body.block
        weight = _weight_under(b)
        packs = force or packs_b(vectors, m, k, n)
        whole = prepacked_b_shape(vectors, m, k, n)
        if packs and packer is not None and weight is not None and len(shape_of(b)) == 2 and whole is not None:
            scratch = packer.pack(weight, whole)
        elif packs:
            name = _scratch_name(op)
            scratch = pbuf.AllocOp(name, MemRefType(f32, shape))
            scratch.result.name_hint = name
            scratch.location = op.location
        else:
            continue
        packed = pbuf.PackedMatmulOp.build([a, b, scratch.result], op.output_, attributes=dict(op.attributes))
        packed.location = op.location
        block.insert_op_before(scratch, op)
        block.insert_op_before(packed, op)
        block.erase_op(op)


@dataclass(frozen=True)
class PackOperandsPass(ModulePass):
    """f32 pbuf.matmul -> pbuf.packed_matmul with a scratch alloc or a packed weight, where packing B pays."""

    name = PASS_NAME

    target: str = "host"
    force: bool = False
    weights: bool = True

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
        packer = _packer(op) if self.weights else None
        for function in [f for f in op.ops if isinstance(f, func.FuncOp) and f.body.blocks]:
            pack_function(function, vectors, self.force, packer)
        if packer is not None:
            packer.finish()
