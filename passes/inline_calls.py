"""inline-calls: replace every func.call by the body of the function it calls.

The buffer level plans one arena per function and the printers give each
function its own interface, so a call between two ptensor functions has no
lowering; the verifier and the reference evaluator accept it all the same.
Inlining first gives the later passes one body per entry function, with the
callee's ops at their own source positions. Callees are inlined before their
callers, so nested calls go in whole; a cycle of calls (recursion) is an
error at the call that closes it. A private function left with no call is
removed: nothing outside the module can reach it.

xDSL 0.74 has no general inliner (only `inline-snrt`), hence this one.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from pelemay_ir.ir import CompileError, location_of


def _calls(function: func.FuncOp) -> list[func.CallOp]:
    return [op for op in function.walk() if isinstance(op, func.CallOp)]


def _callee(functions: dict[str, func.FuncOp], call: func.CallOp) -> func.FuncOp:
    name = call.callee.string_value()
    callee = functions.get(name)
    if callee is None:
        raise CompileError(f"call to unknown function '@{name}'", location_of(call))
    if not callee.body.blocks:
        raise CompileError(
            f"cannot inline a call to '@{name}': it is a declaration without a body",
            location_of(call),
        )
    if len(callee.body.blocks) != 1:
        raise CompileError(
            f"cannot inline a call to '@{name}': its body has more than one block",
            location_of(call),
        )
    return callee


def callees_first(functions: dict[str, func.FuncOp]) -> list[func.FuncOp]:
    """The functions ordered so that each comes after every function it calls;
    a cycle is an error at the call that closes it."""
    order: list[func.FuncOp] = []
    state: dict[str, str] = {}  # name -> "open" while on the path, "done" after

    def visit(function: func.FuncOp) -> None:
        name = function.sym_name.data
        state[name] = "open"
        for call in _calls(function):
            callee = _callee(functions, call)
            seen = state.get(callee.sym_name.data)
            if seen == "open":
                raise CompileError(
                    f"recursive call to '@{callee.sym_name.data}' cannot be inlined "
                    "(a program's calls must not form a cycle)",
                    location_of(call),
                )
            if seen is None:
                visit(callee)
        state[name] = "done"
        order.append(function)

    for function in functions.values():
        if function.sym_name.data not in state:
            visit(function)
    return order


def inline_call(call: func.CallOp, callee: func.FuncOp) -> None:
    """Put a copy of `callee`'s body in place of `call`."""
    body = callee.body.clone()
    block = body.blocks[0]
    ret = block.last_op
    assert isinstance(ret, func.ReturnOp), "a verified func.func ends in func.return"
    values = list(ret.arguments)
    block.erase_op(ret)
    Rewriter.inline_block(block, InsertPoint.before(call), call.arguments)
    for result, value in zip(call.res, values, strict=True):
        result.replace_all_uses_with(value)
    call.detach()
    call.erase()


@dataclass(frozen=True)
class InlineCallsPass(ModulePass):
    """Inline every func.call of a function of the same module (recursion is an error)."""

    name = "inline-calls"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        functions = {f.sym_name.data: f for f in op.ops if isinstance(f, func.FuncOp)}
        called: set[str] = set()
        for function in callees_first(functions):
            for call in _calls(function):
                callee = _callee(functions, call)
                called.add(callee.sym_name.data)
                inline_call(call, callee)
        for name in called:
            function = functions[name]
            if function.sym_visibility is not None and function.sym_visibility.data == "private":
                function.detach()
                function.erase()
