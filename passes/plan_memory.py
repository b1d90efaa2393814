"""plan-memory: give every intermediate buffer a fixed offset in one arena.

Runs on bufferized functions (pbuf). Per function:

1. (io-in-arena=true) inputs and outputs get arena buffers too: each input is
   copied in at the start, each output copied out at the end, and the function
   arguments are marked `{pbuf.arena_offset = N}` (see docs/memory.md);
2. (reorder=true) the ops are put in the topological order that keeps the
   fewest bytes alive, when that beats the written order;
3. liveness: the ops that touch buffers are numbered 0, 1, 2, ... (steps); a
   buffer lives from the first step that touches it to the last, inclusive,
   touches through `pbuf.reshape` views included. A buffer that a `pbuf.copy`
   fills from a function argument lives from step 0 (so a caller may write all
   inputs into the arena before the call);
4. the planner (`pelemay_ir.memory.planner`) places the buffers;
5. rewrite: `pbuf.arena` first in the function, each `pbuf.alloc` becomes a
   `pbuf.view` of it at its offset.

`target=T` (default host) names the machine: a buffer, or an arena, larger
than the machine can index (PTRDIFF_MAX) is a located error. A target given
is recorded on the module (`pelemay.target`), so the printers print for it.

`report=PATH` writes the plan as JSON (docs/memory.md), `table=PATH` as text,
`plot=PATH` as SVG. `verify-memory-plan` re-checks the result independently.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    ArrayAttr,
    DictionaryAttr,
    IntegerAttr,
    MemRefType,
    ModuleOp,
    StringAttr,
    TensorType,
    i64,
)
from xdsl.ir import Block, BlockArgument, Operation, SSAValue
from xdsl.passes import ModulePass

from pelemay_ir.dialects import pbuf
from pelemay_ir import machines
from pelemay_ir.ir import CompileError, location_of
from pelemay_ir.memory import planner, report, schedule
from pelemay_ir.memory.planner import Buffer, Plan
from pelemay_ir.passes.bufferize import out_param_count

ARENA_OFFSET_ATTR = "pbuf.arena_offset"
"""Argument attribute (io-in-arena): where the argument's copy lives in the arena."""

def is_step(op: Operation) -> bool:
    """An op that reads or writes buffer contents, numbered in liveness."""
    return isinstance(op, pbuf.DestinationOp | pbuf.CopyOp)


def reads_and_writes(op: Operation) -> tuple[list[SSAValue], SSAValue]:
    if isinstance(op, pbuf.CopyOp):
        return [op.source], op.target
    assert isinstance(op, pbuf.DestinationOp)
    return list(op.inputs_), op.output_


def alloc_root(value: SSAValue) -> SSAValue | None:
    """The pbuf.alloc whose bytes `value` shows (through reshape views), if any."""
    while isinstance(value.owner, pbuf.ReshapeOp):
        value = value.owner.source
    return value if isinstance(value.owner, pbuf.AllocOp) else None


def _check_plannable(function: func.FuncOp) -> None:
    name = function.sym_name.data
    if len(function.body.blocks) != 1:
        raise CompileError(
            f"function @{name} has several blocks; plan-memory plans straight-line functions",
            location_of(function),
        )
    for op in function.body.block.ops:
        if any(isinstance(v.type, TensorType) for v in (*op.operands, *op.results)):
            raise CompileError(
                f"'{op.name}' works on tensors; plan-memory needs buffers, run bufferize first",
                location_of(op),
            )
        if isinstance(op, pbuf.ArenaOp):
            raise CompileError(
                f"function @{name} already has an arena; plan-memory runs once",
                location_of(op),
            )
        if not (isinstance(op, pbuf.NAMING_OPS) or is_step(op) or isinstance(op, func.ReturnOp)):
            raise CompileError(
                f"plan-memory does not know how '{op.name}' uses buffers",
                location_of(op),
            )


def _check_addressable(function: func.FuncOp, machine: machines.Machine | machines.Device) -> None:
    """Every buffer the function touches fits the machine's index arithmetic."""
    for value in function.body.block.args:
        if isinstance(value.type, MemRefType):
            _check_size(f"argument '{value.name_hint or value.index}'",
                        pbuf.buffer_bytes(value.type), machine, function)
    for op in function.walk():
        for value in op.results:
            if isinstance(value.type, MemRefType):
                _check_size(f"buffer '{value.name_hint or op.name}'",
                            pbuf.buffer_bytes(value.type), machine, op)


def _check_size(what: str, size: int, machine: machines.Machine | machines.Device, at: Operation) -> None:
    limit = machine.largest_object_bytes
    if size > limit:
        raise CompileError(
            f"plan-memory: {what} needs {size} bytes; target '{machine.name}' "
            f"({machine.pointer_bits}-bit) addresses at most {limit} bytes in one buffer",
            location_of(at),
        )


def _unique(name: str, taken: set[str]) -> str:
    base, n = name, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    taken.add(name)
    return name


def lifetimes(block: Block) -> dict[SSAValue, tuple[int, int]]:
    """(first step, last step) of every alloc some step touches, in block order."""
    spans: dict[SSAValue, tuple[int, int]] = {}
    step = 0
    for op in block.ops:
        if not is_step(op):
            continue
        for value in op.operands:
            root = alloc_root(value)
            if root is not None:
                first, last = spans.get(root, (step, step))
                spans[root] = (min(first, step), max(last, step))
        if isinstance(op, pbuf.CopyOp) and isinstance(op.source, BlockArgument):
            root = alloc_root(op.target)
            if root is not None:
                spans[root] = (0, spans[root][1])
        step += 1
    return spans


def _peak(block: Block, alignment: int) -> int:
    spans = lifetimes(block)
    buffers = [
        Buffer(f"b{i}", pbuf.buffer_bytes(v.type), *spans[v])  # pyright: ignore
        for i, v in enumerate(spans)
        if pbuf.buffer_bytes(v.type) > 0  # pyright: ignore
    ]
    return planner.lower_bound(buffers, alignment)


@dataclass
class FunctionPlan:
    """The plan of one function: its buffers, the placement and each buffer's role."""

    function: str
    buffers: list[Buffer]
    plan: Plan
    alignment: int
    kinds: dict[str, str] = field(default_factory=dict)

    def report(self) -> dict[str, Any]:
        data = report.report_dict(self.buffers, self.plan, self.alignment)
        for entry in data["buffers"]:
            entry["kind"] = self.kinds.get(entry["name"], "intermediate")
        return {"function": self.function, **data}


@dataclass(frozen=True)
class PlanMemoryPass(ModulePass):
    """Liveness, placement and rewrite of allocs into views of one arena per function."""

    name = "plan-memory"

    algorithm: str = planner.DEFAULT_ALGORITHM
    alignment: int = 16
    report: str | None = None
    table: str | None = None
    plot: str | None = None
    io_in_arena: bool = False
    reorder: bool = False
    target: str | None = None

    def check_options(self) -> None:
        machines.unit(self.target or "host")
        if self.algorithm not in planner.ALGORITHMS:
            raise CompileError(
                f"plan-memory: unknown algorithm '{self.algorithm}'; valid algorithms: "
                + ", ".join(planner.ALGORITHMS)
            )
        a = self.alignment
        if isinstance(a, bool) or not isinstance(a, int) or a <= 0 or a & (a - 1):
            raise CompileError(
                f"plan-memory: alignment must be a positive power of two, got {a}"
            )

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        self.check_options()
        functions = [
            f for f in op.ops if isinstance(f, func.FuncOp) and f.body.blocks
        ]
        machine = machines.unit(self.target or "host")
        if self.target is not None:
            op.attributes[machines.TARGET_ATTR] = StringAttr(self.target)
        for function in functions:
            _check_plannable(function)
            _check_addressable(function, machine)
        plans = [self.plan_function(f) for f in functions]
        self.write_reports(plans)

    # -- one function ------------------------------------------------------------

    def plan_function(self, function: func.FuncOp) -> FunctionPlan:
        block = function.body.block
        kinds: dict[SSAValue, str] = {}
        if self.io_in_arena:
            kinds = _move_io_into_arena(function)
        if self.reorder:
            _reorder(block, self.alignment)
        spans = lifetimes(block)
        for alloc in [o for o in block.ops if isinstance(o, pbuf.AllocOp)]:
            if alloc.result not in spans:
                _erase_unused(alloc)

        taken: set[str] = set()
        names: dict[SSAValue, str] = {}
        buffers: list[Buffer] = []
        for alloc in [o for o in block.ops if isinstance(o, pbuf.AllocOp)]:
            name = _unique(alloc.buffer_name.data, taken)
            names[alloc.result] = name
            size = pbuf.buffer_bytes(alloc.result.type)  # pyright: ignore
            if size > 0:
                buffers.append(Buffer(name, size, *spans[alloc.result]))
        try:
            placement = planner.plan(buffers, self.algorithm, self.alignment)
        except ValueError as e:
            raise CompileError(f"plan-memory: {e}", location_of(function)) from None
        _check_size(f"the arena of '{function.sym_name.data}'", placement.arena_bytes,
                    machines.unit(self.target or "host"), function)

        arena = pbuf.ArenaOp(placement.arena_bytes, self.alignment)
        arena.location = function.location
        arena.result.name_hint = "arena"
        block.insert_op_before(arena, block.first_op)  # pyright: ignore
        for alloc in [o for o in block.ops if isinstance(o, pbuf.AllocOp)]:
            name = names[alloc.result]
            view = pbuf.ViewOp(
                arena.result, placement.offsets.get(name, 0), alloc.result.type, name  # pyright: ignore
            )
            view.location = alloc.location
            view.result.name_hint = alloc.result.name_hint
            block.insert_op_before(view, alloc)
            alloc.result.replace_all_uses_with(view.result)
            block.erase_op(alloc)
        if self.io_in_arena:
            _mark_arena_offsets(function, kinds, names, placement)
        return FunctionPlan(
            function.sym_name.data,
            buffers,
            placement,
            self.alignment,
            {names[v]: kind for v, kind in kinds.items() if v in names},
        )

    # -- reports -----------------------------------------------------------------

    def write_reports(self, plans: list[FunctionPlan]) -> None:
        if not plans:
            return
        entry = plans[-1]  # the last function is the entry, as in the reference evaluator
        if self.report is not None:
            data = entry.report()
            if len(plans) > 1:
                data["functions"] = [p.report() for p in plans]
            _write(self.report, json.dumps(data, sort_keys=True, indent=2) + "\n")
        if self.table is not None:
            text = "\n".join(
                f"@{p.function}\n" + report.report_table(p.buffers, p.plan, p.alignment)
                for p in plans
            )
            _write(self.table, text if text.endswith("\n") else text + "\n")
        if self.plot is not None:
            _write(
                self.plot,
                report.plot_svg(entry.buffers, entry.plan, f"@{entry.function}", entry.alignment),
            )


def _write(path: str, text: str) -> None:
    target = Path(path)
    try:
        if target.parent != Path(""):
            target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    except OSError as e:
        raise CompileError(f"plan-memory: cannot write '{path}': {e.strerror}") from None


def _erase_unused(alloc: pbuf.AllocOp) -> None:
    """Remove an alloc no step touches, with the views of it."""

    def erase(op: Operation) -> None:
        for use in list(op.results[0].uses):
            erase(use.operation)
        op.parent_block().erase_op(op)  # pyright: ignore

    erase(alloc)


# -- inputs and outputs in the arena ----------------------------------------------


def _move_io_into_arena(function: func.FuncOp) -> dict[SSAValue, str]:
    """Give every argument an arena buffer: copied in first, copied out last."""
    block = function.body.block
    args = list(block.args)
    outputs = out_param_count(function)
    first = block.first_op
    ret = block.last_op
    assert first is not None and isinstance(ret, func.ReturnOp)
    kinds: dict[SSAValue, str] = {}
    for index, arg in enumerate(args):
        if not isinstance(arg.type, MemRefType):
            continue
        is_output = index >= len(args) - outputs
        name = arg.name_hint or f"arg{index}"
        alloc = pbuf.AllocOp(name, arg.type)
        alloc.location = function.location
        alloc.result.name_hint = f"{name}_in_arena"
        block.insert_op_before(alloc, first)
        arg.replace_all_uses_with(alloc.result)
        if is_output:
            copy = pbuf.CopyOp(alloc.result, arg)
            block.insert_op_before(copy, ret)
        else:
            copy = pbuf.CopyOp(arg, alloc.result)
            block.insert_op_before(copy, first)
        copy.location = function.location
        kinds[alloc.result] = "output" if is_output else "input"
    return kinds


def _mark_arena_offsets(
    function: func.FuncOp, kinds: dict[SSAValue, str], names: dict[SSAValue, str], placement: Plan
) -> None:
    block = function.body.block
    attrs = (
        list(function.arg_attrs.data)
        if function.arg_attrs is not None
        else [DictionaryAttr({}) for _ in block.args]
    )
    by_arg: dict[BlockArgument, int] = {}
    for op in block.ops:
        if isinstance(op, pbuf.CopyOp):
            for arg, buffer in ((op.source, op.target), (op.target, op.source)):
                if isinstance(arg, BlockArgument) and isinstance(buffer.owner, pbuf.ViewOp):
                    if buffer.owner.buffer_name is not None and buffer.owner.buffer_name.data in placement.offsets:
                        by_arg[arg] = placement.offsets[buffer.owner.buffer_name.data]
    for arg, offset in by_arg.items():
        attrs[arg.index] = DictionaryAttr(
            {**attrs[arg.index].data, ARENA_OFFSET_ATTR: IntegerAttr(offset, i64)}
        )
    function.arg_attrs = ArrayAttr(attrs)


# -- memory-aware op order ----------------------------------------------------------


def _reorder(block: Block, alignment: int) -> None:
    """Run the steps in the order that keeps the fewest bytes alive, if it is better.

    Each write of a buffer makes a new version of it; readers of a version and
    its writer must run before the next version's writer (zero-size ordering
    tokens say so), which keeps in-place ops correct in any order chosen.
    """
    ops = list(block.ops)
    steps = [op for op in ops if is_step(op)]
    if len(steps) < 2:
        return
    produces: list[list[str]] = [[] for _ in steps]
    consumes: list[list[str]] = [[] for _ in steps]
    sizes: dict[str, int] = {}
    pinned: set[str] = set()
    keys: dict[SSAValue, str] = {}
    version: dict[str, int] = {}
    readers: dict[str, list[int]] = {}
    writer: dict[str, int] = {}

    def key(value: SSAValue) -> str:
        root = alloc_root(value)
        target = root if root is not None else value
        if target not in keys:
            keys[target] = f"b{len(keys)}"
            if root is None:
                pinned.add(keys[target])
        return keys[target]

    def versioned(k: str) -> str:
        name = f"{k}#{version.get(k, 0)}"
        if k in pinned:
            pinned.add(name)
        return name

    for i, op in enumerate(steps):
        reads, write = reads_and_writes(op)
        for value in reads:
            k = key(value)
            consumes[i].append(versioned(k))
            readers.setdefault(k, []).append(i)
        k = key(write)
        before = [j for j in readers.pop(k, []) if j != i]
        if k in writer and writer[k] != i:
            before.append(writer[k])
        for j in sorted(set(before)):
            token = f"~{j}>{i}"
            produces[j].append(token)
            consumes[i].append(token)
            sizes[token] = 0
        version[k] = version.get(k, 0) + 1
        produces[i].append(versioned(k))
        writer[k] = i
        root = alloc_root(write)
        if root is not None:
            size = pbuf.buffer_bytes(root.type)  # pyright: ignore
            for n in range(version[k] + 1):
                sizes[f"{k}#{n}"] = size
    for target, k in keys.items():
        if k not in pinned:  # an alloc read before any write still costs its bytes
            for n in range(version.get(k, 0) + 1):
                sizes.setdefault(f"{k}#{n}", pbuf.buffer_bytes(target.type))  # pyright: ignore

    order = schedule.memory_aware_order(len(steps), produces, consumes, sizes, pinned)
    if order == list(range(len(steps))):
        return
    before_peak = _peak(block, alignment)
    others = [op for op in ops if not is_step(op) and not isinstance(op, func.ReturnOp)]
    ret = ops[-1]
    for op in ops:
        op.detach()
    for op in others + [steps[i] for i in order] + [ret]:
        block.add_op(op)
    if _peak(block, alignment) >= before_peak:  # the real bound did not improve: keep the original
        for op in list(block.ops):
            op.detach()
        for op in ops:
            block.add_op(op)
