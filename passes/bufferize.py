"""bufferize: ptensor values become pbuf buffers, in destination-passing style.

Every ptensor op becomes its pbuf twin writing into an explicit output buffer,
so that memory becomes something the compiler can see and plan:

- function arguments become memref arguments owned by the caller; results
  become extra memref arguments appended to the signature (out-params, marked
  `{pbuf.output = K}`), and the function returns nothing;
- the op producing a returned value writes straight into its out-param (through
  a `pbuf.reshape` view when the value is returned reshaped), so results are
  never copied; a returned argument, weight or constant, or a value returned
  twice, is copied with `pbuf.copy`;
- `ptensor.reshape` becomes a `pbuf.reshape` view of the same bytes;
- an elementwise op writes in place into an input buffer when that input is an
  intermediate (not an argument, weight or constant), has the output's exact
  type and is read by no later op, also not through a view: input and output
  are then one buffer;
- when the op producing a result could write in place that way, its input is
  computed in the out-param too, and so on down the chain: the steps of an
  elementwise chain that ends in a result take no arena;
- every other result gets a fresh `pbuf.alloc`, named after the value
  (`%conv1` gives "conv1"), for `plan-memory` to place.

All functions are analysed before any is rewritten, so an error (a dynamic
shape, an op without a buffer form) leaves the module untouched.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    ArrayAttr,
    DictionaryAttr,
    FunctionType,
    IntegerAttr,
    MemRefType,
    ModuleOp,
    TensorType,
    i64,
)
from xdsl.ir import Attribute, Block, BlockArgument, Operation, SSAValue
from xdsl.passes import ModulePass

from pelemay_ir.dialects import pbuf
from pelemay_ir.dialects import ptensor as pt
from pelemay_ir.dialects.ptensor import type_str
from pelemay_ir.ir import CompileError, location_of

OUTPUT_ATTR = "pbuf.output"
"""Argument attribute marking an out-param; its value is the result's index."""

_NEVER = math.inf  # the last reader of a returned value: after the function


def out_param_count(function: func.FuncOp) -> int:
    """How many trailing arguments of a bufferized function are out-params."""
    attrs = function.arg_attrs.data if function.arg_attrs is not None else ()
    return sum(1 for d in attrs if OUTPUT_ATTR in d.data)


def _check_tensor(t: Attribute, what: str, op: Operation) -> TensorType:
    if not isinstance(t, TensorType):
        raise CompileError(
            f"bufferize handles tensors only; {what} has type {type_str(t)}", location_of(op)
        )
    if any(d < 0 for d in t.get_shape()):
        raise CompileError(
            f"{what} has dynamic shape {type_str(t)}; bufferize needs static shapes",
            location_of(op),
        )
    return t


@dataclass
class _Decisions:
    """What the analysis of one function decided, before anything is rewritten."""

    function: func.FuncOp
    destination: dict[SSAValue, int]  # computed root value -> out-param it is written into
    in_place: dict[Operation, int]  # elementwise op -> operand index whose buffer it reuses
    copies: list[tuple[SSAValue, int]]  # (returned value, out-param) filled by pbuf.copy


def _root(value: SSAValue) -> SSAValue:
    """The value whose bytes `value` shows: reshapes are views of their input."""
    while isinstance(value.owner, pt.ReshapeOp):
        value = value.owner.input
    return value


def _analyse(function: func.FuncOp) -> _Decisions:
    block = function.body.block
    for i, t in enumerate(function.function_type.inputs.data):
        _check_tensor(t, f"argument #{i} of @{function.sym_name.data}", function)
    for i, t in enumerate(function.function_type.outputs.data):
        _check_tensor(t, f"result #{i} of @{function.sym_name.data}", function)

    ops = list(block.ops)
    if not ops or not isinstance(ops[-1], func.ReturnOp):
        raise CompileError(
            f"function @{function.sym_name.data} must end with func.return",
            location_of(function),
        )
    last_read: dict[SSAValue, float] = {}
    for index, op in enumerate(ops):
        if isinstance(op, func.ReturnOp):
            if index != len(ops) - 1:
                raise CompileError("func.return must be the last op", location_of(op))
            for value in op.operands:
                last_read[_root(value)] = _NEVER
            continue
        if not (isinstance(op, pt.ReshapeOp | pt.ConstantOp | pt.WeightOp) or type(op) in pbuf.DESTINATION_OPS):
            raise CompileError(
                f"bufferize does not know op '{op.name}'; only ptensor ops and "
                "func.return have a buffer form",
                location_of(op),
            )
        for i, value in enumerate(op.operands):
            _check_tensor(value.type, f"operand #{i} of '{op.name}'", op)
        for i, value in enumerate(op.results):
            _check_tensor(value.type, f"result #{i} of '{op.name}'", op)
        if isinstance(op, pt.ReshapeOp):
            continue  # a view: its readers are counted on its root
        for value in op.operands:
            root = _root(value)
            last_read[root] = max(last_read.get(root, -1), index)

    def computed(value: SSAValue) -> bool:
        return not isinstance(value, BlockArgument) and not isinstance(
            value.owner, pt.ConstantOp | pt.WeightOp
        )

    destination: dict[SSAValue, int] = {}
    copies: list[tuple[SSAValue, int]] = []
    for k, value in enumerate(ops[-1].operands):
        root = _root(value)
        if computed(root) and root not in destination:
            destination[root] = k
        else:
            copies.append((value, k))

    position = {op: index for index, op in enumerate(ops)}

    def reusable(op: Operation) -> int | None:
        """The operand an elementwise op may overwrite: an intermediate of the
        result's type that no later op reads."""
        if pbuf.DESTINATION_OPS.get(type(op)) not in pbuf.ELEMENTWISE:
            return None
        for j, value in enumerate(op.operands):
            root = _root(value)
            if (
                computed(root)
                and root not in destination
                and value.type == op.results[0].type
                and last_read.get(root) == position[op]
            ):
                return j
        return None

    # A result's elementwise producer runs in place on an operand: that operand
    # is then computed in the out-param too, and so on down the chain, so the
    # steps of a chain that ends in a result take no arena.
    for value, k in list(destination.items()):
        while (j := reusable(value.owner)) is not None and value.owner.operands[j] == _root(value.owner.operands[j]):
            value = value.owner.operands[j]
            destination[value] = k

    in_place: dict[Operation, int] = {}
    for op in ops:
        if op.results and op.results[0] not in destination and (j := reusable(op)) is not None:
            in_place[op] = j
    return _Decisions(function, destination, in_place, copies)


class _Rewriter:
    """Builds the bufferized body of one analysed function."""

    def __init__(self, decisions: _Decisions):
        self.d = decisions
        self.names: set[str] = set()
        self.buffer: dict[SSAValue, SSAValue] = {}
        self.views: dict[tuple[SSAValue, MemRefType], SSAValue] = {}

    def unique(self, name: str) -> str:
        base, n = name, 1
        while name in self.names:
            n += 1
            name = f"{base}_{n}"
        self.names.add(name)
        return name

    def rewrite(self) -> None:
        function = self.d.function
        old = function.body.block
        inputs = [pbuf.memref_of(t) for t in function.function_type.inputs.data]  # pyright: ignore
        outputs = [pbuf.memref_of(t) for t in function.function_type.outputs.data]  # pyright: ignore
        new = Block(arg_types=[*inputs, *outputs])
        for old_arg, new_arg in zip(old.args, new.args):
            new_arg.name_hint = old_arg.name_hint
            self.buffer[old_arg] = new_arg
        out_params = list(new.args[len(inputs) :])
        for k, arg in enumerate(out_params):
            arg.name_hint = f"out{k}" if len(outputs) > 1 else "out"

        for index, op in enumerate(old.ops):
            if isinstance(op, func.ReturnOp):
                for value, k in self.d.copies:
                    self.emit(new, pbuf.CopyOp(self.buffer[value], out_params[k]), op)
                self.emit(new, func.ReturnOp(), op)
                break
            if isinstance(op, pt.ConstantOp):
                made = self.emit(new, pbuf.ConstantOp(op.value), op)
            elif isinstance(op, pt.WeightOp):
                made = self.emit(
                    new,
                    pbuf.WeightOp(op.key.data, op.offset.value.data, pbuf.memref_of(op.result.type)),  # pyright: ignore
                    op,
                )
            elif isinstance(op, pt.ReshapeOp):
                made = self.emit(
                    new, pbuf.ReshapeOp(self.buffer[op.input], pbuf.memref_of(op.result.type)), op  # pyright: ignore
                )
            else:
                self.buffer[op.results[0]] = self.output_buffer(new, op, out_params)
                twin = pbuf.DESTINATION_OPS[type(op)]
                self.emit(
                    new,
                    twin.build(
                        [self.buffer[v] for v in op.operands],
                        self.buffer[op.results[0]],
                        dict(op.properties),
                        dict(op.attributes),
                    ),
                    op,
                )
                continue
            result = made.results[0]
            result.name_hint = op.results[0].name_hint
            self.buffer[op.results[0]] = result

        for op in reversed(list(new.ops)):
            if isinstance(op, pbuf.ReshapeOp) and not op.result.uses:
                new.erase_op(op)  # a view only a return read, now served by its out-param
        self._replace_body(new, inputs, outputs)

    def output_buffer(self, block: Block, op: Operation, out_params: list[SSAValue]) -> SSAValue:
        result = op.results[0]
        memref = pbuf.memref_of(result.type)  # pyright: ignore
        if result in self.d.destination:
            target = out_params[self.d.destination[result]]
            if target.type == memref:
                return target
            if (target, memref) not in self.views:  # one view for every step of a chain
                view = self.emit(block, pbuf.ReshapeOp(target, memref), op)
                view.results[0].name_hint = result.name_hint
                self.views[(target, memref)] = view.results[0]
            return self.views[(target, memref)]
        if op in self.d.in_place:
            return self.buffer[op.operands[self.d.in_place[op]]]
        name = self.unique(result.name_hint or f"{op.name.split('.', 1)[1]}")
        alloc = self.emit(block, pbuf.AllocOp(name, memref), op)
        alloc.results[0].name_hint = result.name_hint
        return alloc.results[0]

    @staticmethod
    def emit(block: Block, op: Operation, source: Operation) -> Operation:
        op.location = source.location
        block.add_op(op)
        return op

    def _replace_body(self, new: Block, inputs: list[MemRefType], outputs: list[MemRefType]) -> None:
        function = self.d.function
        old_attrs = (
            list(function.arg_attrs.data)
            if function.arg_attrs is not None
            else [DictionaryAttr({}) for _ in inputs]
        )
        res_attrs = (
            list(function.res_attrs.data)
            if function.res_attrs is not None
            else [DictionaryAttr({}) for _ in outputs]
        )
        out_attrs = [
            DictionaryAttr({**res_attrs[k].data, OUTPUT_ATTR: IntegerAttr(k, i64)})
            for k in range(len(outputs))
        ]
        region = function.body
        old = region.block
        region.detach_block(old)
        old.drop_all_references()
        old.erase(safe_erase=False)
        region.add_block(new)
        function.function_type = FunctionType.from_lists([*inputs, *outputs], [])
        function.arg_attrs = ArrayAttr([*old_attrs, *out_attrs])
        function.res_attrs = None


def _has_tensors(function: func.FuncOp) -> bool:
    types = [*function.function_type.inputs.data, *function.function_type.outputs.data]
    if any(isinstance(t, TensorType) for t in types):
        return True
    return any(
        isinstance(v.type, TensorType) for op in function.walk() for v in (*op.operands, *op.results)
    )


@dataclass(frozen=True)
class BufferizePass(ModulePass):
    """ptensor -> pbuf: explicit buffers, destination passing, in-place elementwise ops."""

    name = "bufferize"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        decisions: list[_Decisions] = []
        for function in op.ops:
            if not isinstance(function, func.FuncOp) or not _has_tensors(function):
                continue
            if not function.body.blocks:
                raise CompileError(
                    f"bufferize cannot change the signature of the declaration "
                    f"@{function.sym_name.data}; define it or remove it",
                    location_of(function),
                )
            if len(function.body.blocks) != 1:
                raise CompileError(
                    f"function @{function.sym_name.data} has several blocks; bufferize "
                    "handles straight-line functions",
                    location_of(function),
                )
            decisions.append(_analyse(function))
        for d in decisions:
            _Rewriter(d).rewrite()
