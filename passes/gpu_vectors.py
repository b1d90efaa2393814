"""Elementwise points four lanes wide: 128-bit loads and stores on the GPU.

A grid-stride kernel whose every access is at the point (the element whose
indices are the point's induction variables), of f32, takes four
consecutive elements of the innermost dimension a point when that is sound
and aligned: each load becomes one `vector.load` of vector<4xf32> and its
four lanes (`vector.extract`), the scalar ops run once a lane, and each
store gathers its four lanes (`vector.broadcast`, `vector.insert`) into
one `vector.store`. The CUDA printer prints these as `float4` accesses,
which need 16-byte aligned addresses; that is proved here or the point
stays scalar: every access's memref starts 16-byte aligned within memory
whose base the run function guarantees aligned (the arena at its planned
alignment, the weights at theirs, inputs and outputs at `IO_ALIGN`, which
the cuda run function checks), its rows are a multiple of four elements and
the innermost loop starts at a multiple of four and runs a multiple of four.
"""

from __future__ import annotations

from xdsl.dialects import arith, memref, scf, vector
from xdsl.dialects.builtin import Float32Type, IndexType, IntegerAttr, MemRefType, ModuleOp, NoneAttr, VectorType, f32
from xdsl.ir import Block, Operation, SSAValue

from pelemay_ir.passes.gpu_points import at_the_point, steps
from pelemay_ir.passes.parallelize import constant_bounds, storage_of, trip_count
from pelemay_ir.targets.abi import WEIGHTS_ARG_ATTR, entry_function, interface

LANES = 4
"""Elements a widened point takes: one 128-bit access of f32."""
IO_ALIGN = 16
"""The alignment the cuda run function requires of its inputs and outputs
(cudaMalloc gives 256): a widened access's address must be a multiple of it."""


def base_alignments(module: ModuleOp) -> dict[SSAValue, int]:
    """Each argument of the entry function and the alignment of its address
    that the host contract guarantees."""
    fn = entry_function(module)
    iface = interface(module)
    args = list(fn.args)
    alignments = dict.fromkeys(args, IO_ALIGN)
    if WEIGHTS_ARG_ATTR in fn.attributes:
        alignments[args[0]] = iface.weights_align
    if iface.arena_bytes > 0:
        alignments[args[-1]] = iface.arena_align
    return alignments


def _aligned(ref: SSAValue, alignments: dict[SSAValue, int]) -> bool:
    """Is every row of `ref` at a 16-byte aligned address, by the contract and the plan?"""
    t = ref.type
    if not isinstance(t, MemRefType) or not isinstance(t.element_type, Float32Type) \
            or not isinstance(t.layout, NoneAttr) or not t.get_shape() or t.get_shape()[-1] % LANES:
        return False
    where = storage_of(ref)
    bytes_ = LANES * 4
    return where.start is not None and where.start % bytes_ == 0 and alignments.get(where.root, 1) % bytes_ == 0  # pyright: ignore[reportArgumentType]


def widens(nests: list[list[scf.ForOp]], alignments: dict[SSAValue, int]) -> bool:
    """May each point of these (fused) nests take LANES consecutive elements
    of the innermost dimension, with aligned 128-bit accesses?"""
    lb, ub, step = constant_bounds(nests[0][-1])  # pyright: ignore[reportGeneralTypeIssues]
    if step != 1 or lb % LANES or trip_count(lb, ub, step) % LANES:
        return False
    for nest in nests:
        for op in steps([nest]):
            if op.regions:
                return False
            if isinstance(op, (memref.LoadOp, memref.StoreOp)):
                if len(op.indices) != len(nest) \
                        or not all(at_the_point(i, level) for i, level in zip(op.indices, nest)) \
                        or not _aligned(op.memref, alignments):
                    return False
            elif op.dialect_name() not in ("arith", "math"):
                return False
    return True


def build(block: Block, nests: list[list[scf.ForOp]], mapping: dict[SSAValue, SSAValue]) -> None:
    """Append to `block` what one widened point runs: `mapping` holds the
    induction variables at its first lane."""
    ivs = [nest[-1].body.block.args[0] for nest in nests]
    lanes = [dict(mapping)]
    for k in range(1, LANES):
        offset = arith.ConstantOp(IntegerAttr(k, IndexType()))
        iv = arith.AddiOp(mapping[ivs[0]], offset.result)
        block.add_ops([offset, iv])
        lanes.append({**mapping, **dict.fromkeys(ivs, iv.result)})
    wide = VectorType(f32, [LANES])

    def first(v: SSAValue) -> SSAValue:
        return lanes[0].get(v, v)

    for op in steps(nests):
        ops: list[Operation] = []
        if isinstance(op, memref.LoadOp):
            load = vector.LoadOp(first(op.memref), [first(i) for i in op.indices], wide)
            ops.append(load)
            for k, lane in enumerate(lanes):
                ops.append(vector.ExtractOp(load.result, [k], f32))
                lane[op.res] = ops[-1].results[0]
        elif isinstance(op, memref.StoreOp):
            value: Operation = vector.BroadcastOp(lanes[0].get(op.value, op.value), wide)
            ops.append(value)
            for k in range(1, LANES):
                value = vector.InsertOp(lanes[k].get(op.value, op.value), value.results[0], [k], wide)
                ops.append(value)
            ops.append(vector.StoreOp(value.results[0], first(op.memref), [first(i) for i in op.indices]))
        else:
            for lane in lanes:
                copy = op.clone(value_mapper=lane)
                ops.append(copy)
                lane.update(zip(op.results, copy.results))
        block.add_ops(ops)
