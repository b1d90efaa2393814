"""convert-pbuf-to-loops: planned buffers (pbuf) become loops over memrefs.

The last step before a printer: what remains is xDSL's own func, scf, memref,
arith and math, in a shape the C printer (targets/c.py) prints one to one.
Per function (docs/lowering.md gives the full contract):

- signature: inputs, outputs, then `%arena: memref<Nxi8>` (when the plan
  needs bytes); with `weights=external` a first `%weights: memref<Mxi8>`
  argument holds the weights file. Function attributes say what the C entry
  point needs: `pelemay.entry` (the last function, as in the reference
  evaluator), `pelemay.num_inputs`, `pelemay.arena_bytes`,
  `pelemay.arena_align`, `pelemay.weights_arg`, `pelemay.weights_bytes`;
- `pbuf.view` -> `memref.view` of the arena at the same byte offset;
- `pbuf.weight` -> a `memref.global` constant holding the data
  (`weights=embedded`) read with `memref.get_global`, or a `memref.view` of
  the weights argument at the weight's file offset (`weights=external`);
  `pbuf.constant` -> a `memref.global` constant;
- `pbuf.reshape` -> a `memref.view` at the same offset when the bytes lie in
  the arena or the weights argument, else `memref.reinterpret_cast`;
- every compute op and `pbuf.copy` -> one loop nest (a few for concat and
  pad) following pelemay_ir.reference exactly; the outermost loop carries
  the source op's location and `pelemay.source = "ptensor.<op>"`.

Loops stay loops (no unrolling here): every op costs xDSL compile time and a
line of C, and MobileNet must go from ptensor to C in seconds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func, memref
from xdsl.dialects.builtin import (
    ArrayAttr,
    BytesAttr,
    DenseIntOrFPElementsAttr,
    DictionaryAttr,
    FunctionType,
    IntegerAttr,
    MemRefType,
    ModuleOp,
    StringAttr,
    TensorType,
    UnitAttr,
    i1,
    i8,
    i64,
)
from xdsl.ir import Attribute, BlockArgument, Operation, SSAValue
from xdsl.passes import ModulePass

from pelemay_ir import dtypes, weights
from pelemay_ir.dialects import pbuf
from pelemay_ir.dialects.ptensor import type_str
from pelemay_ir.ir import CompileError, location_of
from pelemay_ir.passes import (
    loops_elementwise,
    loops_layout,
    loops_matmul,
    loops_reductions,
    loops_windows,
)
from pelemay_ir.passes.loops_emitter import Emitter

PASS_NAME = "convert-pbuf-to-loops"
WEIGHTS_MODES = ("embedded", "external")

ENTRY_ATTR = "pelemay.entry"
NUM_INPUTS_ATTR = "pelemay.num_inputs"
ARENA_BYTES_ATTR = "pelemay.arena_bytes"
ARENA_ALIGN_ATTR = "pelemay.arena_align"
WEIGHTS_ARG_ATTR = "pelemay.weights_arg"
WEIGHTS_BYTES_ATTR = "pelemay.weights_bytes"
SOURCE_ATTR = "pelemay.source"
"""On the outermost loop of each nest: the name of the op it computes."""

DEFAULT_ARENA_ALIGN = 16

Kernel = Callable[[Emitter, pbuf.DestinationOp], "Operation | list[Operation]"]

KERNELS: dict[type[Operation], Kernel] = {
    **loops_elementwise.KERNELS,
    **loops_reductions.KERNELS,
    **loops_matmul.KERNELS,
    **loops_windows.KERNELS,
    **loops_layout.KERNELS,
}
"""ptensor op class -> the loop nest of its pbuf twin."""


def c_identifier(name: str) -> str:
    """`fc1.w` -> `fc1_w`: a symbol name the C printer can use as it is."""
    ident = re.sub(r"[^A-Za-z0-9_]", "_", name)
    if not ident or ident[0].isdigit():
        ident = "w_" + ident
    return ident


def _dense(array: np.ndarray, element: Attribute) -> DenseIntOrFPElementsAttr:
    """The literal of a memref.global holding `array`, every element spelled out."""
    t = TensorType(element, list(array.shape))
    if element == i1:
        return DenseIntOrFPElementsAttr.from_list(t, [int(v) for v in array.reshape(-1)])
    data = np.ascontiguousarray(array, dtype=dtypes.numpy_dtype(element).newbyteorder("<"))
    return DenseIntOrFPElementsAttr(t, BytesAttr(data.tobytes()))


def _literal_array(value: DenseIntOrFPElementsAttr) -> np.ndarray:
    """The full array of a pbuf.constant literal (a splat is expanded)."""
    t = value.type
    assert isinstance(t, TensorType)
    shape = tuple(t.get_shape())
    dtype = dtypes.numpy_dtype(t.element_type)
    if dtype == np.bool_:
        flat = np.array([v != 0 for v in value.get_values()], dtype=np.bool_)
    else:
        flat = np.frombuffer(value.data.data, dtype=dtype.newbyteorder("<"))
    if flat.size == 1 and int(np.prod(shape, dtype=np.int64)) != 1:
        return np.full(shape, flat[0], dtype=dtype)
    return flat.reshape(shape)


class _Globals:
    """The module's memref.global constants: unique C-friendly names, each
    piece of data stored once however often it is read."""

    def __init__(self, module: ModuleOp):
        self.module = module
        self.taken = {
            op.sym_name.data  # pyright: ignore[reportAttributeAccessIssue]
            for op in module.ops
            if isinstance(op, func.FuncOp | memref.GlobalOp)
        }
        self.by_key: dict[object, memref.GlobalOp] = {}
        self.by_name: dict[str, memref.GlobalOp] = {}

    def get(self, key: object, name: str, make_data: Callable[[], DenseIntOrFPElementsAttr], type: MemRefType) -> memref.GlobalOp:
        found = self.by_key.get(key)
        if found is not None:
            return found
        base, n = c_identifier(name), 1
        unique = base
        while unique in self.taken:
            n += 1
            unique = f"{base}_{n}"
        self.taken.add(unique)
        op = memref.GlobalOp.get(
            StringAttr(unique), type, make_data(), StringAttr("private"), UnitAttr()
        )
        first_function = next((o for o in self.module.ops if isinstance(o, func.FuncOp)), None)
        if first_function is None:
            self.module.body.block.add_op(op)
        else:
            self.module.body.block.insert_op_before(op, first_function)
        self.by_key[key] = op
        self.by_name[unique] = op
        return op

    def reshaped(self, name: str, type: MemRefType) -> memref.GlobalOp:
        """The global `name`'s data seen with another shape (stored once per shape)."""
        original = self.by_name[name]
        if original.type == type:
            return original
        literal = original.initial_value
        assert isinstance(literal, DenseIntOrFPElementsAttr)

        def data() -> DenseIntOrFPElementsAttr:
            t = TensorType(type.element_type, type.get_shape())
            return DenseIntOrFPElementsAttr(t, literal.data)

        return self.get(("reshape", name, type), name, data, type)


def _what_removes(op: Operation) -> str:
    if op.name.startswith("ptensor."):
        return f"'{op.name}' is a tensor op; run bufferize and plan-memory before {PASS_NAME}"
    if isinstance(op, pbuf.AllocOp):
        return (
            f"buffer '{op.buffer_name.data}' has no place in the arena; run plan-memory "
            f"before {PASS_NAME}"
        )
    return f"{PASS_NAME} cannot lower '{op.name}'"


def _already_lowered(op: Operation) -> bool:
    """Loop-level ops another pass (vectorize) wrote: kept as they are."""
    return op.dialect_name() in ("scf", "arith", "vector")


def _check_lowerable(function: func.FuncOp) -> None:
    if len(function.body.blocks) != 1:
        raise CompileError(
            f"function @{function.sym_name.data} has several blocks; {PASS_NAME} lowers "
            "straight-line functions",
            location_of(function),
        )
    for op in function.body.block.ops:
        known = isinstance(
            op,
            pbuf.ArenaOp | pbuf.ViewOp | pbuf.WeightOp | pbuf.ConstantOp | pbuf.ReshapeOp
            | pbuf.CopyOp | func.ReturnOp,
        )
        if not known and not _already_lowered(op) and not (
            isinstance(op, pbuf.DestinationOp) and op.TENSOR_OP in KERNELS
        ):
            raise CompileError(_what_removes(op), location_of(op))
    for i, t in enumerate(function.function_type.inputs.data):
        if not isinstance(t, MemRefType):
            raise CompileError(
                f"argument #{i} of @{function.sym_name.data} has type {type_str(t)}; "
                f"run bufferize before {PASS_NAME}",
                location_of(function),
            )
    if function.function_type.outputs.data:
        raise CompileError(
            f"@{function.sym_name.data} returns values; run bufferize before {PASS_NAME}",
            location_of(function),
        )


def _annotate(nests: Operation | list[Operation], source: Operation, name: str) -> None:
    for loop in nests if isinstance(nests, list) else [nests]:
        loop.location = source.location
        loop.attributes[SOURCE_ATTR] = StringAttr(name)


def _weights_bytes(module: ModuleOp) -> int:
    """The size of the weights argument: the whole weights file (the caller
    passes the file as it is), or the end of the last weight read when the
    file is not at hand."""
    end = 0
    for op in module.walk():
        if isinstance(op, pbuf.WeightOp):
            end = max(end, op.offset.value.data + pbuf.buffer_bytes(op.result.type))  # pyright: ignore
    try:
        return max(end, len(weights.blob_of(module)))
    except weights.WeightsError:
        return end


def _compact_derived_weights(module: ModuleOp) -> None:
    """A weights file a pass made (weights.derive) holds only what the code
    reads: weights nothing uses any more (a B that the kernel reads packed)
    are dropped and the others laid out again, each range of the old file
    that they read copied once from a 64-byte boundary, so that every weight
    keeps its alignment."""
    unused = [o for o in module.walk() if isinstance(o, pbuf.ReshapeOp | pbuf.WeightOp) and not o.result.uses]
    while unused:
        dead = unused.pop()
        source = dead.source.owner if isinstance(dead, pbuf.ReshapeOp) else None
        dead.detach()
        dead.erase()
        if isinstance(source, pbuf.ReshapeOp | pbuf.WeightOp) and not source.result.uses:
            unused.append(source)
    live = [o for o in module.walk() if isinstance(o, pbuf.WeightOp)]
    try:
        blob = np.frombuffer(bytes(weights.blob_of(module)), dtype=np.uint8)
    except weights.WeightsError as e:
        raise CompileError(str(e), location_of(module)) from None
    ranges: list[list[int]] = []
    for start, end in sorted(
        (o.offset.value.data, o.offset.value.data + pbuf.buffer_bytes(o.result.type)) for o in live  # pyright: ignore
    ):
        start -= start % weights.WEIGHT_ALIGN
        if ranges and start <= ranges[-1][1]:
            ranges[-1][1] = max(ranges[-1][1], end)
        else:
            ranges.append([start, end])
    writer = weights.WeightsWriter()
    moved = [(start, end, writer.add(blob[start:end])) for start, end in ranges]
    for o in live:
        at = o.offset.value.data
        start, _, new = next(r for r in moved if r[0] <= at < r[1] or r[0] == at)
        o.properties["offset"] = IntegerAttr(at - start + new, i64)
    weights.derive(module, writer.blob())


class _FunctionLowering:
    def __init__(self, module: ModuleOp, function: func.FuncOp, mode: str, globals_: _Globals, weights_bytes: int):
        self.module = module
        self.function = function
        self.mode = mode
        self.globals = globals_
        self.weights_bytes = weights_bytes
        self.block = function.body.block
        self.em = Emitter(self.block)
        # Lowered buffers that are bytes of an i8 base (arena or weights): base, offset.
        self.placed: dict[SSAValue, tuple[SSAValue, int]] = {}
        self.weights_arg: BlockArgument | None = None
        self.arena_arg: BlockArgument | None = None

    def run(self, is_entry: bool) -> None:
        function, block = self.function, self.block
        arena = next((op for op in block.ops if isinstance(op, pbuf.ArenaOp)), None)
        arena_bytes = arena.size.value.data if arena is not None else 0
        align = arena.alignment.value.data if arena is not None else DEFAULT_ARENA_ALIGN
        attrs = (
            list(function.arg_attrs.data)
            if function.arg_attrs is not None
            else [DictionaryAttr({}) for _ in block.args]
        )
        num_inputs = sum(1 for d in attrs if "pbuf.output" not in d.data)
        if self.mode == "external":
            self.weights_arg = block.insert_arg(MemRefType(i8, [self.weights_bytes]), 0)
            self.weights_arg.name_hint = "weights"
            attrs.insert(0, DictionaryAttr({}))
        if arena is not None and arena_bytes > 0:
            self.arena_arg = block.insert_arg(arena.result.type, len(block.args))
            self.arena_arg.name_hint = "arena"
            attrs.append(DictionaryAttr({}))
        function.function_type = FunctionType.from_lists([a.type for a in block.args], [])
        function.arg_attrs = ArrayAttr(attrs)

        if is_entry:
            function.attributes[ENTRY_ATTR] = UnitAttr()
        function.attributes[NUM_INPUTS_ATTR] = IntegerAttr(num_inputs, i64)
        function.attributes[ARENA_BYTES_ATTR] = IntegerAttr(arena_bytes, i64)
        function.attributes[ARENA_ALIGN_ATTR] = IntegerAttr(align, i64)
        if self.weights_arg is not None:
            function.attributes[WEIGHTS_ARG_ATTR] = UnitAttr()
            function.attributes[WEIGHTS_BYTES_ATTR] = IntegerAttr(self.weights_bytes, i64)

        for op in list(block.ops):
            if isinstance(op, func.ReturnOp) or _already_lowered(op):
                continue
            self.em.insert_before(op)
            replacement = self.lower(op)
            if op.results:
                if replacement is None:
                    assert not op.results[0].uses
                else:
                    replacement.name_hint = op.results[0].name_hint
                    op.results[0].replace_all_uses_with(replacement)
            block.erase_op(op)
        # a weight read only through a reshaped copy; a packing scratch a scalar kernel does not use
        for op in [o for o in block.ops if isinstance(o, memref.GetGlobalOp | memref.ViewOp) and not o.results[0].uses]:
            block.erase_op(op)

    # -- one op ------------------------------------------------------------------------

    def lower(self, op: Operation) -> SSAValue | None:
        if isinstance(op, pbuf.ArenaOp):
            if self.arena_arg is None and op.result.uses:
                # A zero-byte plan still names its buffers of no elements: they are
                # never read or written, but need a base; the interface keeps no arena.
                return self.em.value(memref.AllocaOp.get(i8, shape=[1]))
            return self.arena_arg
        if isinstance(op, pbuf.ViewOp):
            return self.view(op.source, op.offset.value.data, op.result.type, op)  # pyright: ignore
        if isinstance(op, pbuf.WeightOp):
            return self.weight(op)
        if isinstance(op, pbuf.ConstantOp):
            array = _literal_array(op.value)
            t: MemRefType = op.result.type  # pyright: ignore
            g = self.globals.get(
                ("constant", op.value),
                op.result.name_hint or "constant",
                lambda: _dense(array, t.element_type),
                t,
            )
            return self.em.value(memref.GetGlobalOp(g.sym_name.data, t))
        if isinstance(op, pbuf.ReshapeOp):
            return self.reshape(op)
        if isinstance(op, pbuf.CopyOp):
            _annotate(loops_layout.copy_nest(self.em, op.source, op.target), op, op.name)
            return None
        assert isinstance(op, pbuf.DestinationOp)
        nests = KERNELS[op.TENSOR_OP](self.em, op)
        _annotate(nests, op, op.TENSOR_OP.name)
        return None

    def view(self, base: SSAValue, offset: int, t: MemRefType, source: Operation) -> SSAValue:
        view = memref.ViewOp(base, self.em.index(offset), [], t)
        view.location = source.location
        result = self.em.value(view)
        self.placed[result] = (base, offset)
        return result

    def weight(self, op: pbuf.WeightOp) -> SSAValue:
        t: MemRefType = op.result.type  # pyright: ignore
        key, offset = op.key.data, op.offset.value.data
        if self.weights_arg is not None:
            self._check_in_place(op)
            return self.view(self.weights_arg, offset, t, op)

        def data() -> DenseIntOrFPElementsAttr:
            try:
                array = weights.read(self.module, key, offset, pbuf.tensor_of(t))
            except weights.WeightsError as e:
                raise CompileError(str(e), location_of(op)) from None
            return _dense(array, t.element_type)

        g = self.globals.get(("weight", key, offset, t), key, data, t)
        return self.em.value(memref.GetGlobalOp(g.sym_name.data, t))

    def _check_in_place(self, op: pbuf.WeightOp) -> None:
        """External weights are read in place from the caller's file: each
        must start on its element size and, where the file is at hand, lie
        inside it."""
        key, offset = op.key.data, op.offset.value.data
        size = pbuf.buffer_bytes(op.result.type)  # pyright: ignore[reportArgumentType]
        itemsize = dtypes.numpy_dtype(op.result.type.element_type).itemsize  # pyright: ignore
        if offset % itemsize:
            raise CompileError(
                f"weight '{key}' at byte offset {offset} is not aligned to its {itemsize}-byte "
                "elements; external weights are read in place, so each starts on its element size",
                location_of(op),
            )
        try:
            blob = weights.blob_of(self.module)
        except weights.WeightsError:
            return  # not at hand: the caller passes the file at run time
        try:
            weights.check_extent(blob, key, offset, size)
        except weights.WeightsError as e:
            raise CompileError(str(e), location_of(op)) from None

    def reshape(self, op: pbuf.ReshapeOp) -> SSAValue:
        t: MemRefType = op.result.type  # pyright: ignore
        placed = self.placed.get(op.source)
        if placed is not None:
            return self.view(placed[0], placed[1], t, op)
        source = op.source.owner
        if isinstance(source, memref.GetGlobalOp):
            # Read-only data: the same bytes as a global of the new shape.
            g = self.globals.reshaped(source.name_.string_value(), t)
            return self.em.value(memref.GetGlobalOp(g.sym_name.data, t))
        shape = list(t.get_shape())
        strides = [int(np.prod(shape[d + 1 :], dtype=np.int64)) for d in range(len(shape))]
        cast = memref.ReinterpretCastOp(op.source, [], [], [], [0], shape, strides, t)
        cast.location = op.location
        return self.em.value(cast)


@dataclass(frozen=True)
class ConvertPbufToLoopsPass(ModulePass):
    """pbuf (planned) -> func/scf/memref/arith/math loops, weights as globals or an argument."""

    name = PASS_NAME

    weights: str = "embedded"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.weights not in WEIGHTS_MODES:
            raise CompileError(
                f"{PASS_NAME}: unknown weights mode '{self.weights}'; valid modes: "
                + ", ".join(WEIGHTS_MODES)
            )
        functions = [f for f in op.ops if isinstance(f, func.FuncOp) and f.body.blocks]
        for function in functions:
            _check_lowerable(function)
        if weights.derived(op):
            _compact_derived_weights(op)
        globals_ = _Globals(op)
        weights_bytes = _weights_bytes(op)
        for function in functions:
            _FunctionLowering(op, function, self.weights, globals_, weights_bytes).run(
                is_entry=function is functions[-1]
            )
        read = {o.name_.string_value() for o in op.walk() if isinstance(o, memref.GetGlobalOp)}
        for g in [g for g in op.ops if isinstance(g, memref.GlobalOp) and g.sym_name.data not in read]:
            op.body.block.erase_op(g)  # stored once, in the shape that is read
