"""Row kernels of `outline-gpu-kernels`: a parallel nest whose points each
reduce a long row (reduce_sum/max/min/mean along an axis or several,
softmax's max and sum) runs one block per point instead of one thread. A
reduction over every axis is a nest of one point: one block then shares
the whole tensor instead of one thread summing it.

The point's body is a sequence of steps, each a pure op, a load, a store,
a loop without carried values whose iterations are independent, or a
reduction loop: one carried value, combined by `addf`, `maximumf` or
`minimumf` with a term that does not depend on it, and no stores. A
reduction over several axes is a nest of such loops, each carrying the
value into the next (`levels`): its iterations, flattened into one
sequence, are the row, each split back into the levels' induction
variables by remainder and division as a point is. The
block's threads split each loop's iterations (thread t takes t, t + T, ...).
For a reduction each thread folds its iterations into a partial from the
combiner's identity, the partials meet in workgroup memory and are
combined by a tree of log2 T halving steps, each ended by a barrier, and
every thread reads the block's total (combined with the loop's initial
value) before a last barrier frees the buffer for the next reduction. A
store at the top of the body is made by thread 0. A barrier stands before
and after each step that writes memory, so no thread reads what another
is writing or overwrites what another still reads; the point loop (blocks
stride over the points) is the same for every thread of a block, so each
barrier is reached by all.

Sums are reassociated (each thread adds its own stride of terms, then the
tree adds the partials), as on any parallel reduction, and so are the sums
of a whole tensor; maximum and minimum are exact, and a NaN anywhere wins,
as on a CPU (`maximumf` and `minimumf` propagate it in any order).
"""

from __future__ import annotations

from xdsl.dialects import arith, gpu, memref, scf
from xdsl.dialects.builtin import Float32Type, FloatAttr, IndexType, IntegerAttr, f32, i32
from xdsl.ir import Block, Operation, Region, SSAValue

from pelemay_ir.dialects.gpu_shuffle import ShuffleModeEnum, ShuffleOp
from pelemay_ir.passes.gpu_points import fused_ivs, point_loop, points, steps
from pelemay_ir.passes.parallelize import Access, constant_bounds, independent, memory_access, trip_count
from pelemay_ir.targets.printable import WORKGROUP

WARP = 32
MIN_ROW = WARP
"""A reduction this long (a warp) or longer, all its levels' iterations
together, makes a point worth a block..."""
MAX_POINTS = 16384
"""...when there are at most this many points: more would fill a GPU's
resident threads (132 SMs x 2048 on an H100 or H200) with a thread each."""
MAX_NEST_POINTS = 128
"""A reduction over several axes takes a block a point only with at most
this many points, fewer than an H200's 132 multiprocessors: its threads pay
a division and a remainder an element, and more points (a pooling's or a
convolution's windows) keep a thread each (docs/cuda.md)."""
IDENTITY = {arith.AddfOp: 0.0, arith.MaximumfOp: float("-inf"), arith.MinimumfOp: float("inf")}
"""The combiners a row kernel takes, and the partial each thread starts from."""


def _pure(op: Operation) -> bool:
    return not op.regions and op.dialect_name() in ("arith", "math", "index")


def levels(loop: scf.ForOp) -> list[scf.ForOp]:
    """The loops of a reduction nest, `loop` first: each one carries a value
    and holds, besides pure ops that do not read it, only the next, which
    carries that value on and whose result it yields (a sum over several
    axes). Their iterations, in order, fold every term into one value."""
    found = [loop]
    while len(found[-1].iter_args) == 1:
        level = found[-1]
        body = list(level.body.block.ops)
        inner = [op for op in body if isinstance(op, scf.ForOp)]
        acc = level.body.block.args[1]
        if len(inner) != 1 or constant_bounds(inner[0]) is None or list(inner[0].iter_args) != [acc] or \
                [use.operation for use in acc.uses] != [inner[0]] or \
                list(body[-1].operands) != [inner[0].results[0]] or \
                [use.operation for use in inner[0].results[0].uses] != [body[-1]] or \
                not all(_pure(op) for op in body[:-1] if op is not inner[0]):
            break
        found.append(inner[0])
    return found


def elements(loop: scf.ForOp) -> int:
    """The iterations of `loop`, all the levels of a reduction nest's together."""
    count = 1
    for level in levels(loop):
        count *= trip_count(*constant_bounds(level))  # pyright: ignore[reportCallIssue]
    return count


def _combiner(loop: scf.ForOp) -> Operation | None:
    """The op that folds each term into a reduction loop's (or reduction
    nest's) carried value, if the loop is one."""
    innermost = levels(loop)[-1]
    if len(innermost.iter_args) != 1 or not isinstance(innermost.iter_args[0].type, Float32Type):
        return None
    body = list(innermost.body.block.ops)
    acc = innermost.body.block.args[1]
    yielded = body[-1]
    combine = yielded.operands[0].owner if len(yielded.operands) == 1 else None
    if not isinstance(combine, tuple(IDENTITY)) or acc not in combine.operands:
        return None
    if [use.operation for use in acc.uses] != [combine] or len(combine.operands) != 2 or \
            combine.operands[0] is combine.operands[1]:
        return None
    for op in innermost.body.walk():
        if op is innermost:
            continue
        if isinstance(op, memref.StoreOp) or (op.regions and not isinstance(op, scf.ForOp)):
            return None
        if isinstance(op, scf.ForOp) or memory_access(op) is False:
            return None
    return combine


def _writes(op: Operation) -> bool:
    return any(isinstance(found := memory_access(o), Access) and found.writes for o in op.walk())


def rows(nests: list[list[scf.ForOp]]) -> bool:
    """Does a point of these nests reduce a row long enough to take a block?"""
    if not nests or not nests[0] or points(nests[0]) > MAX_POINTS:
        return False
    long = False
    for op in steps(nests):
        if _pure(op) or isinstance(op, (memref.LoadOp, memref.StoreOp)):
            continue
        bounds = constant_bounds(op) if isinstance(op, scf.ForOp) else None
        if bounds is None:
            return False
        if _combiner(op) is not None and (  # pyright: ignore[reportArgumentType]
                len(levels(op)) == 1 or points(nests[0]) <= MAX_NEST_POINTS):  # pyright: ignore[reportArgumentType]
            long = long or elements(op) >= MIN_ROW  # pyright: ignore[reportArgumentType]
        elif not independent(op):  # pyright: ignore[reportArgumentType]
            return False
    return long


def threads_for(nests: list[list[scf.ForOp]], block_size: int) -> int:
    """The block's threads: a power of two, at least a warp, at most `block_size`
    and not beyond the longest loop of the row."""
    longest = max(elements(op) for op in steps(nests) if isinstance(op, scf.ForOp))
    threads = WARP
    while threads < min(block_size, longest):
        threads *= 2
    return threads


def build(point: Block, nests: list[list[scf.ForOp]], mapping: dict[SSAValue, SSAValue], tid: SSAValue,
          partials: SSAValue, threads: int) -> None:
    """Append the body of one point, the block's threads sharing its loops,
    to `point` (`mapping` holds the first nest's induction variables)."""
    mapping = fused_ivs(nests, mapping)
    last_barrier = [False]

    def add(op: Operation) -> Operation:
        point.add_op(op)
        last_barrier[0] = isinstance(op, gpu.BarrierOp)
        return op

    def barrier() -> None:
        if not last_barrier[0]:
            add(gpu.BarrierOp())

    def index(v: int) -> SSAValue:
        return add(arith.ConstantOp(IntegerAttr(v, IndexType()))).results[0]

    for op in steps(nests):
        writes = _writes(op)
        if writes:
            barrier()
        if isinstance(op, scf.ForOp):
            _split(op, mapping, tid, threads, add, index, partials, barrier)
        elif isinstance(op, memref.StoreOp):
            then = Block()
            then.add_op(op.clone(value_mapper=mapping))
            then.add_op(scf.YieldOp())
            first = add(arith.CmpiOp(tid, index(0), "eq")).results[0]
            add(scf.IfOp(first, [], [then]))
        else:
            copy = add(op.clone(value_mapper=mapping))
            mapping.update(zip(op.results, copy.results))
        if writes:
            barrier()


def _split(loop: scf.ForOp, mapping: dict[SSAValue, SSAValue], tid: SSAValue, threads: int, add, index,
           partials: SSAValue, barrier) -> None:
    """`loop` with its iterations spread over the block's threads; a
    reduction's total, through the workgroup tree, in every thread."""
    combine = _combiner(loop)
    identity = None
    if combine is not None:
        identity = add(arith.ConstantOp(FloatAttr(IDENTITY[type(combine)], f32))).results[0]
    if len(levels(loop)) > 1:
        value = _flattened(loop, mapping, tid, threads, add, index, identity)  # pyright: ignore[reportArgumentType]
    else:
        value = _strided(loop, mapping, tid, threads, add, index, identity)
    if combine is None:
        return
    if threads > WARP:  # through workgroup memory down to a warp's partials
        add(memref.StoreOp.get(value, partials, [tid]))
        barrier()
        width = threads // 2
        while width >= WARP:
            then = Block()
            mine = memref.LoadOp.get(partials, [tid])
            there = arith.AddiOp(tid, index(width))
            theirs = memref.LoadOp.get(partials, [there.result])
            both = type(combine)(mine.res, theirs.res)
            then.add_ops([there, mine, theirs, both, memref.StoreOp.get(both.results[0], partials, [tid]),
                          scf.YieldOp()])
            active = add(arith.CmpiOp(tid, index(width), "ult")).results[0]
            add(scf.IfOp(active, [], [then]))
            add(gpu.BarrierOp())
            width //= 2
    warp = Block()  # the first warp folds its lanes' partials by shuffles down; lane 0 keeps the total

    def in_warp(op: Operation) -> SSAValue:
        warp.add_op(op)
        return op.results[0]

    if threads > WARP:
        value = in_warp(memref.LoadOp.get(partials, [tid]))
    lanes = in_warp(arith.ConstantOp(IntegerAttr(WARP, i32)))
    offset = WARP // 2
    while offset >= 1:
        step = in_warp(arith.ConstantOp(IntegerAttr(offset, i32)))
        value = in_warp(type(combine)(value, in_warp(ShuffleOp(ShuffleModeEnum.down, value, step, lanes))))
        offset //= 2
    lane_zero = Block()
    lane_zero.add_ops([memref.StoreOp.get(value, partials, [index(0)]), scf.YieldOp()])
    first_lane = in_warp(arith.CmpiOp(tid, index(0), "eq"))
    warp.add_ops([scf.IfOp(first_lane, [], [lane_zero]), scf.YieldOp()])
    first_warp = add(arith.CmpiOp(tid, index(WARP), "ult")).results[0]
    add(scf.IfOp(first_warp, [], [warp]))
    add(gpu.BarrierOp())
    total = add(memref.LoadOp.get(partials, [index(0)])).results[0]
    initial = mapping.get(loop.iter_args[0], loop.iter_args[0])
    result = add(type(combine)(initial, total)).results[0]
    add(gpu.BarrierOp())
    mapping[loop.results[0]] = result


def _strided(loop: scf.ForOp, mapping: dict[SSAValue, SSAValue], tid: SSAValue, threads: int, add, index,
             identity: SSAValue | None) -> SSAValue | None:
    """`loop`, thread t taking iterations t, t + T, ...: its partial, if it carries one."""
    lb, ub, step = constant_bounds(loop)  # pyright: ignore[reportGeneralTypeIssues]
    offset = add(arith.MuliOp(tid, index(step))).results[0]
    start = add(arith.AddiOp(offset, index(lb))).results[0]
    body = Block(arg_types=[IndexType()] + ([f32] if identity is not None else []))
    split = scf.ForOp(start, index(ub), index(step * threads), [identity] if identity is not None else [],
                      Region(body))
    inner = dict(mapping)
    inner.update(zip(loop.body.block.args, body.args))
    for op in loop.body.block.ops:
        copy = op.clone(value_mapper=inner)
        body.add_op(copy)
        inner.update(zip(op.results, copy.results))
    add(split)
    return split.results[0] if identity is not None else None


def _flattened(loop: scf.ForOp, mapping: dict[SSAValue, SSAValue], tid: SSAValue, threads: int, add, index,
               identity: SSAValue) -> SSAValue:
    """A reduction nest's iterations as one sequence, thread t taking t,
    t + T, ..., each split back into the levels' induction variables: the
    thread's partial."""
    nest = levels(loop)
    built = Block()
    body, inner = point_loop(built, nest, tid, index(threads), elements(loop), mapping, carried=identity,
                             what="element")
    for level in nest:
        inner[level.body.block.args[1]] = body.args[1]
        for op in level.body.block.ops:
            if level is nest[-1] or (op is not level.body.block.last_op and not isinstance(op, scf.ForOp)):
                copy = op.clone(value_mapper=inner)
                body.add_op(copy)
                inner.update(zip(op.results, copy.results))
    ops = list(built.ops)
    for op in ops:
        op.detach()
        add(op)
    return ops[-1].results[0]  # the loop's


def partial_buffer(body: Block, threads: int) -> SSAValue:
    """The workgroup buffer the partials of a block's reductions meet in."""
    alloca = memref.AllocaOp.get(f32, shape=[threads], memory_space=WORKGROUP)
    alloca.memref.name_hint = "partials"
    body.add_op(alloca)
    return alloca.memref
