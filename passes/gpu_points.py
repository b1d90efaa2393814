"""The index space of a parallel nest on the GPU: its points, the loop that
spreads them, and what one point runs. Shared by the kernels of
`outline-gpu-kernels` (one thread a point, a block a point, the tiled
matmul's epilogue), so a point means the same in each."""

from __future__ import annotations

from xdsl.dialects import arith, scf
from xdsl.dialects.builtin import IndexType, IntegerAttr
from xdsl.ir import Block, Operation, Region, SSAValue

from pelemay_ir.passes.parallelize import constant_bounds, constant_value, trip_count


def points(nest: list[scf.ForOp]) -> int:
    """The points of a parallel nest's index space."""
    count = 1
    for loop in nest:
        count *= trip_count(*constant_bounds(loop))  # pyright: ignore[reportCallIssue]
    return count


def steps(nests: list[list[scf.ForOp]]) -> list[Operation]:
    """What one point of the (fused) nests runs, in order: each nest's ops
    between and inside its loops."""
    found = []
    for nest in nests:
        for depth, loop in enumerate(nest):
            inner = nest[depth + 1] if depth + 1 < len(nest) else None
            found += [op for op in loop.body.block.ops if op is not inner and not isinstance(op, scf.YieldOp)]
    return found


def at_the_point(index: SSAValue, level: scf.ForOp) -> bool:
    """Is `index` the induction variable of `level` (or its one value)?"""
    if index is level.body.block.args[0]:
        return True
    lb, ub, step = constant_bounds(level)  # pyright: ignore[reportGeneralTypeIssues]
    return trip_count(lb, ub, step) == 1 and constant_value(index) == lb


def fused_ivs(nests: list[list[scf.ForOp]], mapping: dict[SSAValue, SSAValue]) -> dict[SSAValue, SSAValue]:
    """`mapping`, which holds the first nest's induction variables, with each
    fused nest's mapped to the same values (they share the index space)."""
    mapping = dict(mapping)
    for nest in nests[1:]:
        for loop, first in zip(nest, nests[0]):
            mapping[loop.body.block.args[0]] = mapping[first.body.block.args[0]]
    return mapping


def point_loop(body: Block, nest: list[scf.ForOp], start: SSAValue, stride: SSAValue, count: int,
               mapping: dict[SSAValue, SSAValue], lanes: int = 1, carried: SSAValue | None = None,
               what: str = "point") -> tuple[Block, dict[SSAValue, SSAValue]]:
    """`for (p = start; p < count; p += stride)` appended to `body`, with each
    point split into the induction variables of `nest` by remainder and
    division: the loop's body (to be filled and closed with a yield) and
    `mapping` extended with those induction variables. A point of `lanes`
    lanes stands for that many consecutive values of the innermost one,
    which it holds the first of. The loop carries `carried`, if given (its
    value in the body is the body's second argument); `what` names the
    points in the printed code."""
    start.name_hint, stride.name_hint = start.name_hint or f"first_{what}", stride.name_hint or f"{what}_stride"
    end = arith.ConstantOp(IntegerAttr(count, IndexType()))
    end.result.name_hint = f"{what}s"
    body.add_op(end)
    point_block = Block(arg_types=[IndexType()] + ([carried.type] if carried is not None else []))
    point_block.args[0].name_hint = what
    body.add_op(scf.ForOp(start, end.result, stride, [carried] if carried is not None else [], Region(point_block)))
    rest: SSAValue = point_block.args[0]
    ops: list[Operation] = []
    ivs: dict[scf.ForOp, SSAValue] = {}

    def constant(v: int) -> SSAValue:
        c = arith.ConstantOp(IntegerAttr(v, IndexType()))
        ops.append(c)
        return c.result

    for k in range(len(nest) - 1, -1, -1):
        lb, ub, step = constant_bounds(nest[k])  # pyright: ignore[reportGeneralTypeIssues]
        trips = trip_count(lb, ub, step)
        if k == len(nest) - 1:
            trips, step = trips // lanes, step * lanes
        if trips == 1:
            ivs[nest[k]] = constant(lb)
            continue
        position = rest
        if any(trip_count(*constant_bounds(outer)) > 1 for outer in nest[:k]):  # pyright: ignore[reportCallIssue]
            n = constant(trips)
            remainder, quotient = arith.RemUIOp(rest, n), arith.DivUIOp(rest, n)
            ops += [remainder, quotient]
            position, rest = remainder.result, quotient.result
        if step != 1:
            scaled = arith.MuliOp(position, constant(step))
            ops.append(scaled)
            position = scaled.result
        if lb != 0:
            shifted = arith.AddiOp(position, constant(lb))
            ops.append(shifted)
            position = shifted.result
        ivs[nest[k]] = position
    point_block.add_ops(ops)
    mapping = dict(mapping)
    for loop in nest:
        ivs[loop].name_hint = loop.body.block.args[0].name_hint
        mapping[loop.body.block.args[0]] = ivs[loop]
    return point_block, mapping
