"""`outline-parallel`: each loop marked `pelemay.parallel = N` becomes a
worker function and one `parallel.for` that runs it on N threads.

Printers then print a call and a function, never carve a loop body out of
text. The worker takes the values its body uses from outside the loop,
except those it can rebuild: constants, global reads and views and reshapes
of what it takes. So a worker receives the arena pointer once and rebuilds
its views at their constant offsets, and a C compiler sees one base with
constant offsets, not unrelated pointers that might alias.

A marked loop inside a marked loop runs sequentially on its chunk's thread
(its mark is dropped). The printers run this pass themselves on a module
that still holds marks, so loop-level input prints as before.
"""

from __future__ import annotations

from xdsl.context import Context
from xdsl.dialects import arith, func, memref, scf, vector
from xdsl.dialects.builtin import IndexType, IntegerAttr, ModuleOp, StringAttr
from xdsl.ir import Block, BlockArgument, Operation, OpResult, Region, SSAValue
from xdsl.passes import ModulePass

from pelemay_ir.dialects.parallel import MAX_THREADS, ForOp
from pelemay_ir.ir import CompileError, location_of
from pelemay_ir.passes.parallelize import PARALLEL_ATTR

_REBUILT = (arith.ConstantOp, vector.BroadcastOp, memref.GetGlobalOp, memref.ViewOp, memref.ReinterpretCastOp)
"""Pure ops a worker repeats rather than takes as arguments (a splat stays
visible as one, for the relu and clamp forms)."""


def has_marked_loops(module: ModuleOp) -> bool:
    return any(isinstance(op, scf.ForOp) and PARALLEL_ATTR in op.attributes for op in module.walk())


def uses_threads(module: ModuleOp) -> bool:
    """Whether the printed program starts threads (and so links with -pthread)."""
    return any(
        isinstance(op, ForOp) or isinstance(op, scf.ForOp) and _threads(op) > 1
        for op in module.walk() if isinstance(op, ForOp) or PARALLEL_ATTR in op.attributes
    )


def _threads(loop: scf.ForOp) -> int:
    attr = loop.attributes[PARALLEL_ATTR]
    if not isinstance(attr, IntegerAttr) or not 1 <= attr.value.data <= MAX_THREADS:
        raise CompileError(f"'{PARALLEL_ATTR}' must be an integer from 1 to {MAX_THREADS}, got {attr}",
                           location_of(loop))
    return attr.value.data


def _outermost_marked(op: Operation) -> list[scf.ForOp]:
    found = []
    for region in op.regions:
        for block in region.blocks:
            for inner in block.ops:
                if isinstance(inner, scf.ForOp) and PARALLEL_ATTR in inner.attributes:
                    found.append(inner)
                else:
                    found += _outermost_marked(inner)
    return found


def _used_from_outside(ops: list[Operation], first: list[SSAValue], inside: set[SSAValue]) -> list[SSAValue]:
    """Values defined outside `ops` (and not in `inside`) that they read (after `first`), in first-use order."""
    inside = set(inside)
    for top in ops:
        for op in top.walk():
            inside.update(op.results)
            for region in op.regions:
                for block in region.blocks:
                    inside.update(block.args)
    seen: dict[SSAValue, None] = dict.fromkeys(first)
    for top in ops:
        for op in top.walk():
            for v in op.operands:
                if v not in inside:
                    seen.setdefault(v, None)
    return list(seen)


class Captures:
    """What a function outlined from `ops` takes and rebuilds: block arguments
    for the values it takes, clones of the pure ops it repeats (`prelude`), and
    the mapping from the originals to both. `first`: values taken first;
    `inside`: values the outlined code defines itself (an induction variable)."""

    def __init__(self, ops: list[Operation], first: list[SSAValue] = (), inside: set[SSAValue] = frozenset()):
        self.rebuilt: list[Operation] = []  # in an order that defines before use
        taken: dict[SSAValue, None] = {}
        seen: set[SSAValue] = set()

        def visit(v: SSAValue) -> None:
            if v in seen:
                return
            seen.add(v)
            if isinstance(v, OpResult) and isinstance(v.op, _REBUILT):
                for operand in v.op.operands:
                    visit(operand)
                self.rebuilt.append(v.op)
            else:
                taken[v] = None

        for v in _used_from_outside(ops, list(first), inside):
            visit(v)
        # Arguments in the order of the function's own, then by first use.
        order = {v: k for k, v in enumerate(taken)}
        self.captures = sorted(taken, key=lambda v: (
            (0, v.index) if isinstance(v, BlockArgument) and isinstance(v.block.parent_op(), func.FuncOp)
            else (1, order[v])))
        self.block = Block(arg_types=[v.type for v in self.captures])
        self.mapping: dict[SSAValue, SSAValue] = {}
        for v, arg in zip(self.captures, self.block.args):
            arg.name_hint = v.name_hint
            self.mapping[v] = arg
        self.prelude = []
        for op in self.rebuilt:
            copy = op.clone(value_mapper=self.mapping)
            self.prelude.append(copy)
            self.mapping.update(zip(op.results, copy.results))


class _Worker(Captures):
    """Builds the worker function of one loop."""

    def __init__(self, loop: scf.ForOp):
        super().__init__(list(loop.body.block.ops), [loop.step], set(loop.body.block.args))

    def function(self, loop: scf.ForOp, name: str) -> func.FuncOp:
        lo = self.block.insert_arg(IndexType(), len(self.block.args))
        hi = self.block.insert_arg(IndexType(), len(self.block.args))
        lo.name_hint, hi.name_hint = "lo", "hi"
        body = loop.clone(value_mapper=dict(self.mapping))
        body.operands = [lo, hi, self.mapping[loop.step]]
        del body.attributes[PARALLEL_ATTR]
        for op in body.walk():
            if isinstance(op, scf.ForOp):
                op.attributes.pop(PARALLEL_ATTR, None)
        self.block.add_ops([*self.prelude, body, func.ReturnOp()])
        fn = func.FuncOp(name, ([a.type for a in self.block.args], []), Region(self.block),
                         visibility=StringAttr("private"))
        fn.location = loop.location
        return fn


def outline_parallel_loops(module: ModuleOp) -> None:
    taken = {op.sym_name.data for op in module.ops if isinstance(op, func.FuncOp | memref.GlobalOp)}
    for fn in [op for op in module.ops if isinstance(op, func.FuncOp)]:
        count = 0
        for loop in _outermost_marked(fn):
            threads = _threads(loop)
            if threads == 1:
                del loop.attributes[PARALLEL_ATTR]
                continue
            if loop.iter_args:
                raise CompileError(f"a loop marked '{PARALLEL_ATTR}' cannot carry values (iter_args) "
                                   "between iterations", location_of(loop))
            if not isinstance(loop.lb.type, IndexType):
                raise CompileError(f"a loop marked '{PARALLEL_ATTR}' must count with an index, "
                                   f"not {loop.lb.type}", location_of(loop))
            name = f"{fn.sym_name.data}_parallel_{count}"
            while name in taken:
                count += 1
                name = f"{fn.sym_name.data}_parallel_{count}"
            taken.add(name)
            count += 1
            worker = _Worker(loop)
            module.body.block.insert_op_before(worker.function(loop, name), fn)
            run = ForOp(name, worker.captures, loop.lb, loop.ub, loop.step, threads)
            run.location = loop.location
            for key in ("pelemay.source",):
                if key in loop.attributes:
                    run.attributes[key] = loop.attributes[key]
            loop.parent_block().insert_op_before(run, loop)
            loop.detach()
            loop.erase()


class OutlineParallelPass(ModulePass):
    """Outline loops marked `pelemay.parallel` into workers run by `parallel.for`."""

    name = "outline-parallel"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        outline_parallel_loops(op)
