"""verify-memory-plan: re-check a planned program from its IR alone.

A wrong arena plan corrupts data silently on the board, so the plan is checked
by code that shares nothing with `plan-memory` or the planner: the buffers,
their offsets and their lifetimes are read back from the pbuf program itself,
and `pelemay_ir.memory.plan_checker` checks that no two buffers alive at the
same step share a byte, that offsets are aligned and that everything fits.

The liveness rule is the documented one (docs/memory.md): ops that read or
write buffer contents are the steps 0, 1, 2, ...; a buffer lives from the
first step touching it (through any chain of `pbuf.reshape` views) to the last,
inclusive; a buffer filled by `pbuf.copy` from a function argument lives from
step 0.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import BlockArgument, SSAValue
from xdsl.passes import ModulePass

from pelemay_ir.dialects import pbuf
from pelemay_ir.ir import CompileError, location_of
from pelemay_ir.memory.plan_checker import check_plan


@dataclass(frozen=True)
class PlacedBuffer:
    name: str
    size: int
    first_use: int
    last_use: int


def _view_of(value: SSAValue) -> pbuf.ViewOp | None:
    owner = value.owner
    while isinstance(owner, pbuf.ReshapeOp):
        owner = owner.source.owner
    return owner if isinstance(owner, pbuf.ViewOp) else None


def check_function(function: func.FuncOp) -> None:
    """Raise CompileError when the function's arena plan is unsound."""
    name = function.sym_name.data
    where = location_of(function)
    ops = [op for block in function.body.blocks for op in block.ops]
    arenas = [op for op in ops if isinstance(op, pbuf.ArenaOp)]
    allocs = [op for op in ops if isinstance(op, pbuf.AllocOp)]
    if allocs:
        listed = ", ".join(f"'{a.buffer_name.data}'" for a in allocs)
        raise CompileError(
            f"function @{name} has buffers with no place in the arena ({listed}); "
            "run plan-memory first",
            location_of(allocs[0]),
        )
    views = [op for op in ops if isinstance(op, pbuf.ViewOp)]
    if not arenas:
        if views:
            raise CompileError(f"function @{name} has views but no pbuf.arena", where)
        return
    if len(arenas) > 1:
        raise CompileError(f"function @{name} has {len(arenas)} arenas; a function has one", where)
    arena = arenas[0]
    for view in views:
        if view.source != arena.result:
            raise CompileError(
                f"view '{_label(view)}' is not a view of the function's arena", location_of(view)
            )

    spans: dict[pbuf.ViewOp, list[int]] = {}
    step = 0
    for op in ops:
        if isinstance(op, pbuf.PLANNED_NAMING_OPS) or isinstance(op, func.ReturnOp):
            continue
        if not isinstance(op, pbuf.DestinationOp | pbuf.CopyOp):
            raise CompileError(
                f"verify-memory-plan does not know how '{op.name}' uses buffers",
                location_of(op),
            )
        for value in op.operands:
            view = _view_of(value)
            if view is not None:
                span = spans.setdefault(view, [step, step])
                span[0], span[1] = min(span[0], step), max(span[1], step)
        if isinstance(op, pbuf.CopyOp) and isinstance(op.source, BlockArgument):
            view = _view_of(op.target)
            if view is not None:
                spans[view][0] = 0
        step += 1

    taken: set[str] = set()
    buffers: list[PlacedBuffer] = []
    offsets: dict[str, int] = {}
    for view in views:
        size = pbuf.buffer_bytes(view.result.type)  # pyright: ignore
        if view not in spans or size == 0:
            continue
        label = _label(view)
        unique, n = label, 1
        while unique in taken:
            n += 1
            unique = f"{label}#{n}"
        taken.add(unique)
        buffers.append(PlacedBuffer(unique, size, *spans[view]))
        offsets[unique] = view.offset.value.data
    problems = check_plan(
        buffers, offsets, arena.size.value.data, arena.alignment.value.data
    )
    if problems:
        raise CompileError(
            f"the memory plan of @{name} is wrong: " + "; ".join(problems), where
        )


def _label(view: pbuf.ViewOp) -> str:
    if view.buffer_name is not None:
        return view.buffer_name.data
    return f"view at {view.offset.value.data}"


@dataclass(frozen=True)
class VerifyMemoryPlanPass(ModulePass):
    """Checks every function's arena plan; changes nothing."""

    name = "verify-memory-plan"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for function in op.ops:
            if isinstance(function, func.FuncOp) and function.body.blocks:
                check_function(function)
