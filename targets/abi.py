"""The interface a generated program exports, the same through every printer:
the entry function's attributes, the run function's arguments in order
(weights, inputs, outputs, arena), sizes and alignments, and its return
codes. The C header, the LLVM module's exports, the ctypes loader and the
test harness all read it from here (docs/design.md)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import numpy as np
from xdsl.dialects import func, memref
from xdsl.dialects.builtin import IntegerAttr, IntegerType, MemRefType, ModuleOp
from xdsl.ir import Attribute

from pelemay_ir.ir import CompileError, location_of
from pelemay_ir.targets.c_names import Namer, fail
from pelemay_ir.targets.c_types import Unsupported, memref_shape, numpy_dtype, storage_ctype, type_key


ENTRY_ATTR = "pelemay.entry"


NUM_INPUTS_ATTR = "pelemay.num_inputs"


ARENA_BYTES_ATTR = "pelemay.arena_bytes"


ARENA_ALIGN_ATTR = "pelemay.arena_align"


WEIGHTS_ARG_ATTR = "pelemay.weights_arg"


WEIGHTS_ALIGN_ATTR = "pelemay.weights_align"


DEFAULT_ARENA_ALIGN = 16


FIXED_INPUTS_ATTR = "pelemay.fixed_inputs"
"""Rules for inputs a program was compiled for one meaning of (see pelemay_ir.onnx_fixed)."""


ERROR_CODES = (
    ("PELEMAY_OK", 0, "success"),
    ("PELEMAY_ERR_NULL", 1, "a pointer argument is NULL"),
    ("PELEMAY_ERR_ALIGN", 2, "a pointer (arena, weights; on a GPU inputs and outputs too) is not aligned as required"),
    ("PELEMAY_ERR_INPUT", 3, "an input the program was compiled for one value of holds another"),
)


@dataclass(frozen=True)
class Buffer:
    """An input or output array of the run function."""

    name: str
    shape: tuple[int, ...]
    element: str  # f32, f16, i8, ...
    dtype: np.dtype
    ctype: str  # the C element type of the pointer


@dataclass(frozen=True)
class Interface:
    """What the run function takes: how the C names, the ctypes loader and the
    harness agree on argument order, sizes and alignment."""

    entry: str
    base: str
    inputs: tuple[Buffer, ...]
    outputs: tuple[Buffer, ...]
    arena_name: str
    arena_bytes: int
    arena_align: int
    weights_name: str | None
    weights_bytes: int | None
    weights_align: int
    fixed_inputs: str | None = None  # pelemay_ir.onnx_fixed's rules: inputs compiled for one meaning
    io_align: int = 1
    """The alignment the run function requires of each input and output (the cuda unit's 128-bit accesses)."""
    unit: str | None = None
    """The GPU unit the run function is for (`cuda`: `m_run_cuda`, `M_CUDA_ARENA_BYTES`); None on a CPU."""

    @property
    def fixed_values(self) -> dict[int, tuple[int, ...]]:
        """Input position -> the one value the run function accepts for it."""
        if not self.fixed_inputs:
            return {}
        return {r["input"]: tuple(int(v) for v in r["value"]) for r in json.loads(self.fixed_inputs)}

    @property
    def run(self) -> str:
        return f"{self.base}_run" + (f"_{self.unit}" if self.unit else "")

    @property
    def macro(self) -> str:
        return (self.base + (f"_{self.unit}" if self.unit else "")).upper()

    @property
    def external_weights(self) -> bool:
        return self.weights_bytes is not None


def entry_function(module: ModuleOp) -> func.FuncOp:
    entries = [op for op in module.ops if isinstance(op, func.FuncOp) and ENTRY_ATTR in op.attributes]
    if len(entries) != 1:
        found = ", ".join("@" + f.sym_name.data for f in entries) or "none"
        raise CompileError(
            f"the C target needs exactly one func.func with the '{ENTRY_ATTR}' attribute "
            f"(found {found})",
            location_of(module),
        )
    return entries[0]


def _int_attr(fn: func.FuncOp, name: str) -> int | None:
    attr = fn.attributes.get(name)
    if attr is None:
        return None
    if not isinstance(attr, IntegerAttr):
        raise fail(fn, f"attribute '{name}' of @{fn.sym_name.data} must be an integer")
    return attr.value.data


def interface(module: ModuleOp) -> Interface:
    """The entry function's calling convention (docs/design.md)."""
    fn = entry_function(module)
    name = fn.sym_name.data
    args = list(fn.args)
    if not fn.body.blocks:
        raise fail(fn, f"entry function @{name} has no body")
    if fn.function_type.outputs.data:
        raise fail(fn, f"entry function @{name} must return nothing (outputs are arguments)")
    for a in args:
        if not isinstance(a.type, MemRefType):
            raise fail(fn, f"argument %{a.name_hint or a.index} of entry function @{name} is a "
                        f"{a.type}; entry arguments must be memrefs")
    weights_name = weights_bytes = None
    namer = Namer()
    if WEIGHTS_ARG_ATTR in fn.attributes:
        if not args or not _is_byte_buffer(args[0].type):
            raise fail(fn, f"@{name} has '{WEIGHTS_ARG_ATTR}' but its first argument is not a memref<Nxi8>")
        w = args.pop(0)
        weights_name = namer.fresh(w.name_hint, "weights")
        weights_bytes = w.type.get_shape()[0]
    arena_bytes = _int_attr(fn, ARENA_BYTES_ATTR)
    arena_arg = None
    if arena_bytes is None:
        arena_bytes = 0
    if arena_bytes > 0:
        if not args or not _is_byte_buffer(args[-1].type):
            raise fail(fn, f"@{name} has {ARENA_BYTES_ATTR} = {arena_bytes} but its last argument is not the arena (memref<Nxi8>)")
        arena_arg = args.pop()
        if arena_arg.type.get_shape()[0] != arena_bytes:
            raise fail(fn, f"@{name}: {ARENA_BYTES_ATTR} = {arena_bytes} but the arena argument is {arena_arg.type}")
    arena_align = _int_attr(fn, ARENA_ALIGN_ATTR) or DEFAULT_ARENA_ALIGN
    if arena_align & (arena_align - 1):
        raise fail(fn, f"@{name}: {ARENA_ALIGN_ATTR} = {arena_align} is not a power of two")
    num_inputs = _int_attr(fn, NUM_INPUTS_ATTR)
    if num_inputs is None:
        raise fail(fn, f"entry function @{name} lacks the '{NUM_INPUTS_ATTR}' attribute saying how many arguments are inputs")
    if not 0 <= num_inputs <= len(args):
        raise fail(fn, f"@{name}: {NUM_INPUTS_ATTR} = {num_inputs} but it has {len(args)} input/output arguments")
    buffers = []
    for i, a in enumerate(args):
        role = "in" if i < num_inputs else "out"
        default = f"{role}{i if role == 'in' else i - num_inputs}"
        try:
            shape = memref_shape(a.type, f"argument {default}")
            buffers.append(Buffer(
                namer.fresh(a.name_hint, default), shape, type_key(a.type.element_type),
                numpy_dtype(a.type.element_type), storage_ctype(a.type.element_type),
            ))
        except Unsupported as e:
            raise fail(fn, str(e)) from None
    arena_name = namer.fresh(arena_arg.name_hint if arena_arg else None, "arena")
    weights_align = _int_attr(fn, WEIGHTS_ALIGN_ATTR) or _weights_alignment(fn)
    result = Interface(
        entry=name,
        base=_base_name(name),
        inputs=tuple(buffers[:num_inputs]),
        outputs=tuple(buffers[num_inputs:]),
        arena_name=arena_name,
        arena_bytes=arena_bytes,
        arena_align=arena_align,
        weights_name=weights_name,
        weights_bytes=weights_bytes,
        weights_align=weights_align,
        fixed_inputs=fn.attributes[FIXED_INPUTS_ATTR].data if FIXED_INPUTS_ATTR in fn.attributes else None,
    )
    for k in result.fixed_values:
        if not 0 <= k < len(result.inputs) or not result.inputs[k].element.startswith("i"):
            raise fail(fn, f"@{name}: '{FIXED_INPUTS_ATTR}' names input {k}; only integer inputs are checked "
                           "against a compiled value")
    return result


def _base_name(symbol: str) -> str:
    """`mlp` for @mlp: the run function and macros add suffixes, so only
    characters C does not allow need replacing."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", symbol) or "model"
    return "model_" + name.lstrip("_") if name[0].isdigit() or name[0] == "_" else name


def _is_byte_buffer(t: Attribute) -> bool:
    return (
        isinstance(t, MemRefType)
        and len(t.get_shape()) == 1
        and t.get_shape()[0] >= 0
        and isinstance(t.element_type, IntegerType)
        and t.element_type.width.data == 8
    )


def _weights_alignment(fn: func.FuncOp) -> int:
    """The largest element size read from the weights: typed reads need it."""
    if WEIGHTS_ARG_ATTR not in fn.attributes or not fn.args:
        return 1
    align = 1
    for use in fn.args[0].uses:
        if isinstance(use.operation, memref.ViewOp):
            align = max(align, numpy_dtype(use.operation.result.type.element_type).itemsize)
    return align


@dataclass(frozen=True)
class EntryChecks:
    """What the run function checks before it runs, in order, each failure
    returning its code: every pointer it dereferences is not NULL
    (PELEMAY_ERR_NULL), the arena, weights, and inputs and outputs where asked
    are aligned (PELEMAY_ERR_ALIGN: (parameter, ARENA, WEIGHTS or IO,
    alignment)), and each input fixed at compile time holds its value
    (PELEMAY_ERR_INPUT)."""

    not_null: tuple[str, ...]
    aligned: tuple[tuple[str, str, int], ...]
    fixed: tuple[tuple[Buffer, tuple[int, ...]], ...]


def entry_checks(iface: Interface) -> EntryChecks:
    weights = (iface.weights_name,) if iface.weights_name else ()
    arena = (iface.arena_name,) if iface.arena_bytes > 0 else ()
    aligned = []
    if iface.arena_bytes > 0 and iface.arena_align > 1:
        aligned.append((iface.arena_name, "ARENA", iface.arena_align))
    if iface.external_weights and iface.weights_align > 1:
        aligned.append((iface.weights_name, "WEIGHTS", iface.weights_align))
    if iface.io_align > 1:
        aligned += [(b.name, "IO", iface.io_align) for b in (*iface.inputs, *iface.outputs)]
    fixed = tuple((iface.inputs[k], values) for k, values in sorted(iface.fixed_values.items())
                  if values)  # an empty input has one value only
    return EntryChecks((*weights, *(b.name for b in (*iface.inputs, *iface.outputs)), *arena),
                       tuple(aligned), fixed)
