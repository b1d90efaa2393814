"""`outline-gpu-kernels`: the loop level of a planned program becomes GPU
kernels and the host code that launches them.

What runs where: the entry function stays on the host, where it keeps only
what touches no memory (constants, index arithmetic, views of the device
arena and weights) and one `gpu.launch_func` per kernel, in program order on
one stream. Everything that reads or writes memory moves into a `gpu.func`
kernel of the module's `gpu.module @pelemay_kernels`:

- each top-level loop nest is one kernel. Its outer loops, as deep as they
  are perfectly nested (only pure ops between them) and provably
  independent (the soundness criterion of `parallelize`, applied to each
  loop with the ones around it fixed), collapse into one index space of
  T = trips_1 * ... * trips_k points, which a grid-stride loop spreads over
  the threads: thread g of G handles points g, g + G, ...; each point is
  split back into the loops' induction variables by division and
  remainder. The rest of the nest runs sequentially inside each point;
- an f32 matmul nest becomes a tiled kernel (passes/gpu_tiled_matmul.py),
  so does a convolution of one group as an implicit GEMM
  (passes/gpu_conv_gemm.py), and a nest whose points reduce long rows
  (along one axis or several, a reduction over all axes being one point)
  a kernel of a block a point (passes/gpu_block_reduce.py), and an elementwise kernel whose accesses
  are provably 16-byte aligned takes four elements a point
  (passes/gpu_vectors.py): the rule of each is decided here, once;
- a nest without a parallel loop that is no such reduction (a short
  reduction to a scalar), and each run of top-level loads and stores, runs
  in a kernel of one thread.
  Ops that use a kernel's results join it, so no value crosses from device
  to host.

A kernel takes the values its ops use from the host (the arena, weights,
inputs and outputs, and scalars) and rebuilds constants and views inside,
as `outline-parallel`'s workers do. Launches use `block-size` threads a
block (fewer for a small index space, in whole warps) and as many blocks as
cover T, at most `MAX_BLOCKS`. `arch` is recorded on the module
(`pelemay.cuda_arch`) for the printer and the build.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, func, gpu, memref, scf
from xdsl.dialects.builtin import IndexType, IntegerAttr, ModuleOp, StringAttr, SymbolRefAttr, UnitAttr
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from pelemay_ir import machines
from pelemay_ir.ir import CompileError, location_of
from pelemay_ir.passes import gpu_block_reduce as block_reduce
from pelemay_ir.passes import gpu_conv_gemm as conv_gemm
from pelemay_ir.passes import gpu_tiled_matmul as tiled_matmul
from pelemay_ir.passes import gpu_vectors
from pelemay_ir.passes.gpu_points import at_the_point, fused_ivs, point_loop, points, steps
from pelemay_ir.passes.outline_parallel import Captures
from pelemay_ir.passes.parallelize import (
    ENTRY_ATTR,
    Access,
    constant_bounds,
    constant_value,
    independent,
    memory_access,
    storage_of,
    trip_count,
)

KERNELS = "pelemay_kernels"
"""The symbol of the module's gpu.module."""
ARCH_ATTR = "pelemay.cuda_arch"
"""Module attribute: the GPU architecture the program is built for."""
MAX_BLOCKS = 1 << 16
"""Launches use at most this many blocks; the grid-stride loop covers the rest."""
WARP = 32

_HOST_OPS = (arith.ConstantOp, memref.ViewOp, memref.ReinterpretCastOp, memref.GetGlobalOp)
"""Top-level ops that stay on the host: they touch no memory (kernels rebuild
them rather than take them, so a global's address never crosses). Every other
op with memory effects or regions moves into a kernel."""


def _pure(op: Operation) -> bool:
    """An op that touches no memory and holds no region (safe to repeat in each thread)."""
    return not op.regions and (
        op.dialect_name() in ("arith", "math", "index") or isinstance(op, (memref.ViewOp, memref.ReinterpretCastOp))
    )


def parallel_nest(loop: scf.ForOp) -> list[scf.ForOp]:
    """The outer loops of `loop`'s nest that may all run at once: constant
    bounds, no carried values, each independent with the ones around it
    fixed, each the only loop in the body of the one before (pure ops aside)."""
    nest: list[scf.ForOp] = []
    current = loop
    while True:
        bounds = constant_bounds(current)
        if bounds is None or current.iter_args or (trip_count(*bounds) > 1 and not independent(current)):
            return nest
        nest.append(current)
        body = [op for op in current.body.block.ops if not isinstance(op, scf.YieldOp)]
        loops = [op for op in body if isinstance(op, scf.ForOp)]
        if len(loops) != 1 or not all(_pure(op) for op in body if op is not loops[0]):
            return nest
        current = loops[0]


def _groups(fn: func.FuncOp) -> list[list[Operation]]:
    """The top-level ops of `fn` that run on the device, in kernels: each loop
    nest alone, and each op that touches memory with the ops that use its results."""
    groups: list[list[Operation]] = []
    owner: dict[SSAValue, int] = {}
    for op in list(fn.body.block.ops):
        if isinstance(op, func.ReturnOp):
            if op.operands:
                raise CompileError("the cuda target's entry function returns nothing (outputs are arguments)",
                                   location_of(op))
            continue
        users = {owner[v] for v in op.operands if v in owner}
        if users:  # it uses what a kernel computes: it joins that kernel (and those since)
            index = min(users)
            groups[index:] = [[o for g in groups[index:] for o in g] + [op]]
        elif isinstance(op, _HOST_OPS) or _pure(op):
            continue
        elif isinstance(op, func.CallOp):
            raise CompileError("the cuda target needs calls inlined (run inline-calls first)", location_of(op))
        else:
            groups.append([op])
            index = len(groups) - 1
        for member in groups[index]:
            owner.update(dict.fromkeys(member.results, index))
    return groups


@dataclass
class _Plan:
    """One kernel: its top-level ops, and for a grid-stride kernel the
    parallel nest of each (fused nests share their index space)."""

    ops: list[Operation]
    nests: list[list[scf.ForOp]]


def _fusable(nests: list[list[scf.ForOp]]) -> bool:
    """May these nests run as one kernel, point by point, each point doing
    their bodies in order? They must have the same index space, and every
    access to memory any of them writes must be at the point: the element
    whose indices are the nest's induction variables. No point then reads
    or writes what another point touches in those buffers."""
    shape = [constant_bounds(loop) for loop in nests[0]]
    if any([constant_bounds(loop) for loop in nest] != shape for nest in nests):
        return False
    accesses = []
    for nest in nests:
        for op in nest[-1].body.walk():
            found = memory_access(op)
            if found is False:
                return False
            if isinstance(found, Access):
                accesses.append((nest, found, storage_of(found.memref)))
    written = [where for _, a, where in accesses if a.writes]
    for nest, a, where in accesses:
        if not any(where.overlaps(w) for w in written):
            continue
        if any(where.identity != w.identity for w in written if where.overlaps(w)):
            return False
        if a.lanes != 1 or len(a.indices) != len(nest) or \
                not all(at_the_point(index, level) for index, level in zip(a.indices, nest)):
            return False
    return True


def _kernels(groups: list[list[Operation]]) -> list[_Plan]:
    """Each group a kernel, except that consecutive loop nests over the same
    index space that touch what they write only at their own point fuse."""
    plans: list[_Plan] = []
    for group in groups:
        nest = parallel_nest(group[0]) if len(group) == 1 and isinstance(group[0], scf.ForOp) else []
        if points(nest) == 1 and not block_reduce.rows([nest]):
            plans.append(_Plan(group, []))  # nothing to spread: the whole group in one thread
        elif plans and plans[-1].nests and _fusable([*plans[-1].nests, nest]):
            plans[-1].ops.append(group[0])
            plans[-1].nests.append(nest)
        else:
            plans.append(_Plan(group, [nest]))
    return plans


@dataclass(frozen=True)
class OutlineGpuKernelsPass(ModulePass):
    """Move each loop nest of the entry function into a GPU kernel and launch it."""

    name = "outline-gpu-kernels"

    arch: str | None = None
    block_size: int = 256

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        device = machines.DEVICES["cuda"]
        arch = device.architecture(self.arch)
        if isinstance(self.block_size, bool) or not isinstance(self.block_size, int) \
                or self.block_size not in (32, 64, 128, 256, 512, 1024):
            raise CompileError(f"outline-gpu-kernels: block-size must be 32, 64, 128, 256, 512 or 1024, "
                               f"got {self.block_size!r}")
        if any(isinstance(o, gpu.ModuleOp) for o in op.ops):
            raise CompileError("outline-gpu-kernels: the module already holds a gpu.module", location_of(op))
        kernels = Block()
        builder = _KernelBuilder(kernels, self.block_size, gpu_vectors.base_alignments(op))
        for fn in [f for f in op.ops if isinstance(f, func.FuncOp) and f.body.blocks]:
            if ENTRY_ATTR not in fn.attributes:
                raise CompileError(f"outline-gpu-kernels: function @{fn.sym_name.data} is not an entry "
                                   "function; run inline-calls and the buffer pipeline first", location_of(fn))
            for plan in _kernels(_groups(fn)):
                builder.outline(fn, plan)
        # xDSL 0.74 annotates gpu.module's name as a SymbolRefAttr but verifies a StringAttr
        op.body.block.add_op(gpu.ModuleOp(StringAttr(KERNELS), Region(kernels)))  # pyright: ignore[reportArgumentType]
        op.attributes["gpu.container_module"] = UnitAttr()
        op.attributes[ARCH_ATTR] = StringAttr(arch)


class _KernelBuilder:
    """Builds kernels into the gpu.module's block and their launches in place."""

    def __init__(self, kernels: Block, block_size: int, alignments: dict[SSAValue, int]):
        self.kernels = kernels
        self.alignments = alignments
        self.block_size = block_size
        self.count = 0

    def outline(self, fn: func.FuncOp, plan: _Plan) -> None:
        group = plan.ops
        if plan.nests:
            inside = {loop.body.block.args[0] for nest in plan.nests for loop in nest}
            taken = [o for nest in plan.nests for loop in nest for o in loop.body.block.ops
                     if o not in nest and not isinstance(o, scf.YieldOp)]
        else:
            inside, taken = set(), group
        captures = Captures(taken, inside=inside)
        name = f"{fn.sym_name.data}_kernel_{self.count}"
        self.count += 1
        body = captures.block
        body.add_ops(captures.prelude)
        tiled = tiled_matmul.matmul_nest(plan.nests[0]) or conv_gemm.conv_nest(plan.nests[0]) if plan.nests else None
        if tiled is not None:
            tiles = tiled_matmul.build(body, tiled, plan.nests[1:], captures.mapping)
            threads, blocks = tiled_matmul.THREADS, min(MAX_BLOCKS, tiles)
        elif block_reduce.rows(plan.nests):
            count = points(plan.nests[0])
            threads = block_reduce.threads_for(plan.nests, self.block_size)
            self._block_a_point(body, plan.nests, captures.mapping, count, threads)
            blocks = min(MAX_BLOCKS, count)
        elif plan.nests:
            lanes = gpu_vectors.LANES if gpu_vectors.widens(plan.nests, self.alignments) else 1
            count = points(plan.nests[0]) // lanes
            self._grid_stride(body, plan.nests, captures.mapping, count, lanes)
            threads = min(self.block_size, -(-count // WARP) * WARP)
            blocks = min(MAX_BLOCKS, -(-count // threads))
        else:
            for op in group:
                body.add_op(op.clone(value_mapper=captures.mapping))
            threads = blocks = 1
        body.add_op(gpu.ReturnOp([]))
        kernel = gpu.FuncOp(name, ([a.type for a in body.args], []), Region(body), kernel=True)
        kernel.location = group[0].location
        sources = [op.attributes["pelemay.source"].data for op in group  # pyright: ignore[reportAttributeAccessIssue]
                   if isinstance(op.attributes.get("pelemay.source"), StringAttr)]
        if sources:
            kernel.attributes["pelemay.source"] = StringAttr("+".join(sources))
        self.kernels.add_op(kernel)
        anchor = group[0]
        sizes: dict[int, SSAValue] = {}
        for size in (1, blocks, threads):
            if size not in sizes:
                sizes[size] = self._index(anchor, size)
        grid = [sizes[blocks], sizes[1], sizes[1]]
        block = [sizes[threads], sizes[1], sizes[1]]
        launch = gpu.LaunchFuncOp(SymbolRefAttr(KERNELS, [StringAttr(name)]), grid, block,
                                  kernelOperands=captures.captures)
        launch.location = anchor.location
        Rewriter.insert_op(launch, InsertPoint.before(anchor))
        for op in reversed(group):
            op.detach()
        for op in reversed(group):
            op.erase()

    def _index(self, anchor: Operation, value: int) -> SSAValue:
        constant = arith.ConstantOp(IntegerAttr(value, IndexType()))
        Rewriter.insert_op(constant, InsertPoint.before(anchor))
        return constant.result

    def _block_a_point(self, body: Block, nests: list[list[scf.ForOp]], mapping: dict[SSAValue, SSAValue],
                       count: int, threads: int) -> None:
        """`for (p = blockIdx.x; p < count; p += gridDim.x)`, each point's row
        shared by the block's threads (passes/gpu_block_reduce.py)."""
        x = gpu.DimensionAttr(gpu.DimensionEnum.X)
        partials = block_reduce.partial_buffer(body, threads)
        ids = [gpu.ThreadIdOp(x), gpu.BlockIdOp(x), gpu.GridDimOp(x)]
        body.add_ops(ids)
        tid, first, stride = (o.result for o in ids)
        tid.name_hint = "tid"
        point_block, mapping = point_loop(body, nests[0], first, stride, count, mapping)
        block_reduce.build(point_block, nests, mapping, tid, partials, threads)
        point_block.add_op(scf.YieldOp())

    def _grid_stride(self, body: Block, nests: list[list[scf.ForOp]], mapping: dict[SSAValue, SSAValue],
                     count: int, lanes: int) -> None:
        """`for (p = blockIdx.x * blockDim.x + threadIdx.x; p < count; p += gridDim.x * blockDim.x)`,
        each point split into the induction variables of the nests' shared
        index space, then each nest's body in order (`lanes` consecutive
        elements of the innermost dimension a point: passes/gpu_vectors.py)."""
        x = gpu.DimensionAttr(gpu.DimensionEnum.X)
        ids = [gpu.BlockIdOp(x), gpu.BlockDimOp(x), gpu.ThreadIdOp(x), gpu.GridDimOp(x)]
        block_id, block_dim, thread_id, grid_dim = (o.result for o in ids)
        first = arith.MuliOp(block_id, block_dim)
        start = arith.AddiOp(first.result, thread_id)
        stride = arith.MuliOp(grid_dim, block_dim)
        body.add_ops([*ids, first, start, stride])
        point_block, mapping = point_loop(body, nests[0], start.result, stride.result, count, mapping, lanes)
        mapping = fused_ivs(nests, mapping)
        if lanes > 1:
            gpu_vectors.build(point_block, nests, mapping)
            point_block.add_op(scf.YieldOp())
            return
        for op in steps(nests):
            copy = op.clone(value_mapper=mapping)
            point_block.add_op(copy)
            mapping.update(zip(op.results, copy.results))
        point_block.add_op(scf.YieldOp())
