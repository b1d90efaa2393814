"""pbuf: the tensor ops on buffers, and the one arena they live in.

The buffer level of Pelemay IR. Every compute op of `ptensor` has a twin here
in destination-passing style: its operands are the ptensor op's inputs as
memrefs followed by ONE output memref that the op writes, and it has no
results:

    pbuf.add %a, %b, %out : memref<4xf32>, memref<4xf32>, memref<4xf32>

The twins are generated from the ptensor classes (same properties, same shape
rules, same diagnostics), so the two levels cannot drift apart. The rest of the
dialect says where bytes live:

- `pbuf.alloc` an intermediate buffer whose place is not decided yet;
- `pbuf.arena` the function's one static byte buffer, and `pbuf.view` a
  buffer at a fixed byte offset in it (what `plan-memory` turns allocs into);
- `pbuf.weight` / `pbuf.constant` read-only data that never enters the arena;
- `pbuf.reshape` a view with another shape over the same bytes (no copy);
- `pbuf.copy` copies one buffer into another of the same type;
- `pbuf.packed_matmul` a matmul with a scratch buffer for packing B.

Buffers are contiguous, row-major memrefs with static shapes. docs/memory.md
describes how programs get here and how the arena is planned.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Sequence
from typing import ClassVar

from xdsl.dialects.builtin import (
    I64,
    DenseIntOrFPElementsAttr,
    IntegerAttr,
    MemRefType,
    NoneAttr,
    StringAttr,
    TensorType,
    i8,
    i64,
)
from xdsl.ir import Attribute, Block, Dialect, Operation, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    OptOperandDef,
    OptPropertyDef,
    ParsePropInAttrDict,
    VarOperandDef,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.traits import ConstantLike, NoMemoryEffect, Pure
from xdsl.utils.exceptions import DiagnosticException, VerifyException

from pelemay_ir import dtypes
from pelemay_ir.dialects import ptensor
from pelemay_ir.dialects.ptensor import type_str

_PROPS_IN_ATTR_DICT = (ParsePropInAttrDict(),)

# ptensor ops that have no destination-passing twin: they produce data without
# computing (constants, weights) or become a view (reshape).
NOT_COMPUTE = (ptensor.ConstantOp, ptensor.WeightOp, ptensor.ReshapeOp)


# --- types ---------------------------------------------------------------------


def is_contiguous(t: Attribute) -> bool:
    """A memref with a static shape and the default row-major layout."""
    return (
        isinstance(t, MemRefType)
        and isinstance(t.layout, NoneAttr)
        and all(d >= 0 for d in t.get_shape())
    )


def memref_of(t: TensorType) -> MemRefType:
    """The buffer type that holds a value of tensor type `t`."""
    return MemRefType(t.element_type, t.get_shape())


def tensor_of(t: MemRefType) -> TensorType:
    """The tensor type a buffer of type `t` holds."""
    return TensorType(t.element_type, t.get_shape())


def numel(t: MemRefType | TensorType) -> int:
    n = 1
    for d in t.get_shape():
        n *= d
    return n


def buffer_bytes(t: MemRefType | TensorType) -> int:
    """Size in bytes of a contiguous buffer (i1 takes one byte per element)."""
    return numel(t) * dtypes.numpy_dtype(t.element_type).itemsize


def _require_contiguous(t: Attribute, what: str) -> MemRefType:
    if not isinstance(t, MemRefType):
        raise VerifyException(f"{what} must be a memref, got {type_str(t)}")
    if any(d < 0 for d in t.get_shape()):
        raise VerifyException(
            f"{what} has dynamic shape {type_str(t)}; only static shapes are supported"
        )
    if not isinstance(t.layout, NoneAttr):
        raise VerifyException(
            f"{what} has layout {type_str(t.layout)}; pbuf buffers are contiguous "
            "and row-major"
        )
    return t


# --- compute ops in destination-passing style -----------------------------------


def _in_buffer_terms(message: str) -> str:
    """A ptensor diagnostic reworded for the buffer twin (output, memref)."""
    message = re.sub(r"\bresult\b", "output", message)
    return message.replace("tensor<", "memref<").replace("ranked tensor", "memref")


_TWINS: weakref.WeakKeyDictionary[Operation, tuple[tuple[Attribute, ...], Operation]] = (
    weakref.WeakKeyDictionary()
)


class DestinationOp(IRDLOperation):
    """A ptensor computation that writes its result into the last operand.

    Verification builds the ptensor op this one mirrors (inputs and result as
    tensors of the buffers' types) and verifies that, so both levels accept
    exactly the same programs.
    """

    TENSOR_OP: ClassVar[type[ptensor.TensorOp]]

    @property
    def inputs_(self) -> Sequence[SSAValue]:
        return self.operands[:-1]

    @property
    def output_(self) -> SSAValue:
        return self.operands[-1]

    @classmethod
    def build(
        cls,
        inputs: Sequence[SSAValue],
        output: SSAValue,
        properties: dict[str, Attribute] | None = None,
        attributes: dict[str, Attribute] | None = None,
    ) -> DestinationOp:
        return cls.create(
            operands=[*inputs, output],
            properties=dict(properties or {}),
            attributes=dict(attributes or {}),
        )

    def tensor_twin(self) -> Operation:
        """The ptensor op computing what this op writes (cached, detached)."""
        types = tuple(v.type for v in (*self.inputs_, self.output_))
        cached = _TWINS.get(self)
        if cached is not None and cached[0] == types:
            return cached[1]
        block = Block(arg_types=[tensor_of(t) for t in types[:-1]])  # pyright: ignore
        twin = self.TENSOR_OP.create(
            operands=list(block.args),
            result_types=[tensor_of(types[-1])],  # pyright: ignore
            properties=dict(self.properties),
            attributes=dict(self.attributes),
        )
        twin.location = self.location
        _TWINS[self] = (types, twin)
        return twin

    def verify_(self) -> None:
        for i, value in enumerate(self.inputs_):
            _require_contiguous(value.type, f"operand #{i}")
        _require_contiguous(self.output_.type, "output")
        try:
            self.tensor_twin().verify()
        except DiagnosticException as e:
            raise VerifyException(_in_buffer_terms(str(e))) from None

    @classmethod
    def parse(cls, parser: Parser) -> DestinationOp:
        pos = parser.pos
        names = parser.parse_comma_separated_list(
            parser.Delimiter.NONE, parser.parse_unresolved_operand
        )
        attrs = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        types = parser.parse_comma_separated_list(parser.Delimiter.NONE, parser.parse_type)
        if len(types) != len(names):
            parser.raise_error(
                f"{cls.name} has {len(names)} operands but {len(types)} types", pos, parser.pos
            )
        values = [parser.resolve_operand(n, t) for n, t in zip(names, types)]
        prop_names = set(cls.get_irdl_definition().properties)
        props = {k: v for k, v in attrs.items() if k in prop_names}
        rest = {k: v for k, v in attrs.items() if k not in prop_names}
        return cls.build(values[:-1], values[-1], props, rest)

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_list(self.operands, printer.print_operand)
        printer.print_op_attributes({**self.properties, **self.attributes})
        printer.print_string(" : ")
        printer.print_list([v.type for v in self.operands], printer.print_attribute)


def _destination_twin(tensor_cls: type[ptensor.TensorOp]) -> type[DestinationOp]:
    """The pbuf class mirroring one ptensor op: same operands (as memrefs) plus
    an output, same properties, no results."""
    op_def = tensor_cls.get_irdl_definition()
    short = op_def.name.split(".", 1)[1]
    namespace: dict[str, object] = {
        "name": f"pbuf.{short}",
        "TENSOR_OP": tensor_cls,
        "__module__": __name__,
        "__qualname__": tensor_cls.__name__,
        "__doc__": f"`{op_def.name}` writing its result into the last operand.",
        "__annotations__": {"TENSOR_OP": "ClassVar[type[ptensor.TensorOp]]"},
    }
    for name, operand in op_def.operands:
        if isinstance(operand, OptOperandDef):
            namespace[name] = opt_operand_def(MemRefType)
        elif isinstance(operand, VarOperandDef):
            namespace[name] = var_operand_def(MemRefType)
        else:
            namespace[name] = operand_def(MemRefType)
    namespace["output"] = operand_def(MemRefType)
    for accessor, (ir_name, kind) in op_def.accessor_names.items():
        if kind != "property":
            continue
        prop = op_def.properties[ir_name]
        make = opt_prop_def if isinstance(prop, OptPropertyDef) else prop_def
        namespace[accessor] = make(prop.constr, prop.default_value, prop_name=ir_name)
    cls = type(tensor_cls.__name__, (DestinationOp,), namespace)
    return irdl_op_definition(cls)


# ptensor op class -> its pbuf twin, for every ptensor op that computes.
DESTINATION_OPS: dict[type[Operation], type[DestinationOp]] = {
    cls: _destination_twin(cls)
    for cls in ptensor.PTensor.operations
    if cls not in NOT_COMPUTE and issubclass(cls, ptensor.TensorOp)
}
for _cls in DESTINATION_OPS.values():
    globals()[_cls.__name__] = _cls

# Elementwise ops: output element i depends only on input element i (after
# broadcasting), so the output may share a buffer with an input of its type.
ELEMENTWISE: frozenset[type[Operation]] = frozenset(
    DESTINATION_OPS[c]
    for c in DESTINATION_OPS
    if issubclass(c, ptensor.UnaryOp | ptensor.BinaryOp)
    or c in (ptensor.CompareOp, ptensor.SelectOp, ptensor.CastOp)
)


# --- a matmul with a packing workspace ---------------------------------------------


@irdl_op_definition
class PackedMatmulOp(DestinationOp):
    """`pbuf.matmul` with a scratch buffer the vector kernel packs panels of B into:
    `pbuf.packed_matmul %a, %b, %scratch, %out : ..., memref<PxKxCxf32>, ...`.

    The scratch (panels of C columns, each K rows of C floats; see
    passes/pack_operands.py) is an operand so that plan-memory keeps it alive
    exactly while the matmul runs; a `pbuf.weight` there is B packed at
    compile time, all of its blocks. It is not an input: `inputs_` is (A, B),
    and every kernel that ignores the scratch computes the plain matmul.
    """

    name = "pbuf.packed_matmul"
    TENSOR_OP: ClassVar[type[ptensor.TensorOp]] = ptensor.MatmulOp
    lhs = operand_def(MemRefType)
    rhs = operand_def(MemRefType)
    scratch = operand_def(MemRefType)
    output = operand_def(MemRefType)

    @property
    def inputs_(self) -> Sequence[SSAValue]:
        return self.operands[:2]

    def verify_(self) -> None:
        super().verify_()
        t = _require_contiguous(self.scratch.type, "scratch")
        k = self.lhs.type.get_shape()[-1]  # pyright: ignore[reportAttributeAccessIssue]
        shape = t.get_shape()
        if t.element_type != self.rhs.type.element_type or len(shape) != 3 or shape[1] != k:  # pyright: ignore
            raise VerifyException(
                f"scratch {type_str(t)} must be memref<PxKxCx{type_str(self.rhs.type.element_type)}> "  # pyright: ignore
                f"with K = {k}, the matmul's reduction size"
            )


# --- where buffers live -----------------------------------------------------------


@irdl_op_definition
class AllocOp(IRDLOperation):
    """An intermediate buffer not yet placed: `pbuf.alloc {name = "conv1"} : memref<...>`."""

    name = "pbuf.alloc"
    buffer_name = prop_def(StringAttr, prop_name="name")
    result = result_def(MemRefType)
    irdl_options = _PROPS_IN_ATTR_DICT
    assembly_format = "attr-dict `:` type($result)"

    def __init__(self, name: str, type: MemRefType):
        super().__init__(properties={"name": StringAttr(name)}, result_types=[type])

    def verify_(self) -> None:
        _require_contiguous(self.result.type, "alloc")


@irdl_op_definition
class ArenaOp(IRDLOperation):
    """The function's one arena: `pbuf.arena {size = 1024, alignment = 16} : memref<1024xi8>`.

    The caller provides these bytes (aligned to `alignment`); every planned
    buffer is a `pbuf.view` into them.
    """

    name = "pbuf.arena"
    size = prop_def(IntegerAttr[I64])
    alignment = prop_def(IntegerAttr[I64])
    result = result_def(MemRefType)
    traits = traits_def(NoMemoryEffect())
    irdl_options = _PROPS_IN_ATTR_DICT
    assembly_format = "attr-dict `:` type($result)"

    def __init__(self, size: int, alignment: int):
        super().__init__(
            properties={
                "size": IntegerAttr(size, i64),
                "alignment": IntegerAttr(alignment, i64),
            },
            result_types=[MemRefType(i8, [size])],
        )

    def verify_(self) -> None:
        size, align = self.size.value.data, self.alignment.value.data
        if size < 0:
            raise VerifyException(f"arena size {size} is negative")
        if align <= 0 or align & (align - 1):
            raise VerifyException(f"arena alignment {align} is not a power of two")
        if self.result.type != MemRefType(i8, [size]):
            raise VerifyException(
                f"arena type {type_str(self.result.type)} must be memref<{size}xi8>"
            )


@irdl_op_definition
class ViewOp(IRDLOperation):
    """A buffer at a fixed byte offset of the arena:
    `pbuf.view %arena[64] {name = "conv1"} : memref<1024xi8> -> memref<4x4xf32>`."""

    name = "pbuf.view"
    source = operand_def(MemRefType)
    offset = prop_def(IntegerAttr[I64])
    buffer_name = opt_prop_def(StringAttr, prop_name="name")
    result = result_def(MemRefType)
    traits = traits_def(NoMemoryEffect())

    def __init__(self, source: SSAValue, offset: int, type: MemRefType, name: str | None = None):
        super().__init__(
            operands=[source],
            properties={
                "offset": IntegerAttr(offset, i64),
                "name": None if name is None else StringAttr(name),
            },
            result_types=[type],
        )

    def verify_(self) -> None:
        src = self.source.type
        if not (isinstance(src, MemRefType) and src.element_type == i8 and len(src.get_shape()) == 1):
            raise VerifyException(f"view source must be an arena memref<Nxi8>, got {type_str(src)}")
        _require_contiguous(self.result.type, "view")
        offset = self.offset.value.data
        end = offset + buffer_bytes(self.result.type)
        if offset < 0 or end > src.get_shape()[0]:
            raise VerifyException(
                f"view bytes {offset}..{end} lie outside the arena of {src.get_shape()[0]} bytes"
            )

    @classmethod
    def parse(cls, parser: Parser) -> ViewOp:
        source = parser.parse_unresolved_operand()
        parser.parse_punctuation("[")
        offset = parser.parse_integer(allow_boolean=False, allow_negative=True)
        parser.parse_punctuation("]")
        attrs = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        src_type = parser.parse_type()
        parser.parse_punctuation("->")
        res_type = parser.parse_type()
        name = attrs.pop("name", None)
        op = cls(parser.resolve_operand(source, src_type), offset, res_type)  # pyright: ignore
        if name is not None:
            op.properties["name"] = name
        op.attributes.update(attrs)
        return op

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_operand(self.source)
        printer.print_string(f"[{self.offset.value.data}]")
        extra = dict(self.attributes)
        if self.buffer_name is not None:
            extra = {"name": self.buffer_name, **extra}
        printer.print_op_attributes(extra)
        printer.print_string(" : ")
        printer.print_attribute(self.source.type)
        printer.print_string(" -> ")
        printer.print_attribute(self.result.type)


@irdl_op_definition
class ReshapeOp(IRDLOperation):
    """The same bytes seen with another shape: `pbuf.reshape %b : memref<2x3xf32> -> memref<6xf32>`."""

    name = "pbuf.reshape"
    source = operand_def(MemRefType)
    result = result_def(MemRefType)
    traits = traits_def(NoMemoryEffect())
    assembly_format = "$source attr-dict `:` type($source) `->` type($result)"

    def __init__(self, source: SSAValue, type: MemRefType):
        super().__init__(operands=[source], result_types=[type])

    def verify_(self) -> None:
        src = _require_contiguous(self.source.type, "reshape source")
        res = _require_contiguous(self.result.type, "reshape result")
        if src.element_type != res.element_type or numel(src) != numel(res):
            raise VerifyException(
                f"reshape from {type_str(src)} to {type_str(res)} changes the "
                "element type or the number of elements"
            )


@irdl_op_definition
class WeightOp(IRDLOperation):
    """A read-only tensor of the module's weights file (see ptensor.weight);
    never placed in the arena: `pbuf.weight "fc1.w" at 0 : memref<784x256xf32>`."""

    name = "pbuf.weight"
    key = prop_def(StringAttr)
    offset = prop_def(IntegerAttr[I64])
    result = result_def(MemRefType)
    traits = traits_def(Pure(), ConstantLike())
    irdl_options = _PROPS_IN_ATTR_DICT
    assembly_format = "$key `at` $offset attr-dict `:` type($result)"

    def __init__(self, key: str, offset: int, type: MemRefType):
        super().__init__(
            properties={"key": StringAttr(key), "offset": IntegerAttr(offset, i64)},
            result_types=[type],
        )

    def verify_(self) -> None:
        _require_contiguous(self.result.type, "weight")
        if self.offset.value.data < 0:
            raise VerifyException(f"weight offset {self.offset.value.data} is negative")


@irdl_op_definition
class ConstantOp(IRDLOperation):
    """A read-only literal buffer, never in the arena:
    `pbuf.constant dense<[1.0, 2.0]> : tensor<2xf32>` gives a memref<2xf32>.

    The literal keeps its tensor type, as MLIR's memref.global does."""

    name = "pbuf.constant"
    value = prop_def(DenseIntOrFPElementsAttr)
    result = result_def(MemRefType)
    traits = traits_def(Pure(), ConstantLike())

    def __init__(self, value: DenseIntOrFPElementsAttr):
        super().__init__(
            properties={"value": value},
            result_types=[memref_of(value.type)],  # pyright: ignore
        )

    def verify_(self) -> None:
        if not isinstance(self.value.type, TensorType):
            raise VerifyException("constant literal must have a tensor type")
        if self.result.type != memref_of(self.value.type):
            raise VerifyException(
                f"constant type {type_str(self.result.type)} does not hold the literal "
                f"of type {type_str(self.value.type)}"
            )

    @classmethod
    def parse(cls, parser: Parser) -> ConstantOp:
        pos = parser.pos
        value = parser.parse_attribute()
        if not isinstance(value, DenseIntOrFPElementsAttr) or not isinstance(value.type, TensorType):
            parser.raise_error(
                "pbuf.constant expects a dense<...> : tensor<...> literal", pos, parser.pos
            )
        op = cls(value)
        op.attributes.update(parser.parse_optional_attr_dict())
        return op

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_attribute(self.value)
        printer.print_op_attributes(self.attributes)


@irdl_op_definition
class CopyOp(IRDLOperation):
    """Copy a buffer into another of the same type: `pbuf.copy %src, %dst : memref<4xf32>, memref<4xf32>`."""

    name = "pbuf.copy"
    source = operand_def(MemRefType)
    target = operand_def(MemRefType)
    assembly_format = "$source `,` $target attr-dict `:` type($source) `,` type($target)"

    def __init__(self, source: SSAValue, target: SSAValue):
        super().__init__(operands=[source, target])

    def verify_(self) -> None:
        src = _require_contiguous(self.source.type, "copy source")
        dst = _require_contiguous(self.target.type, "copy target")
        if src != dst:
            raise VerifyException(
                f"copy source {type_str(src)} and target {type_str(dst)} differ"
            )


NAMING_OPS = (AllocOp, ArenaOp, ViewOp, ReshapeOp, WeightOp, ConstantOp)
"""Ops that do no work on buffer contents: they only name buffers or data."""
PLANNED_NAMING_OPS = NAMING_OPS[1:]
"""The naming ops left once plan-memory has made every alloc a view of the arena."""


def extent(buffer: SSAValue) -> tuple[SSAValue, int, int]:
    """(the memory it is part of, first byte, end byte) of a buffer: a view's
    arena and offset, through reshapes; any other buffer is its own memory."""
    size = buffer_bytes(buffer.type)  # pyright: ignore[reportArgumentType]
    owner = buffer.owner
    if isinstance(owner, ViewOp):
        start = owner.offset.value.data
        return owner.source, start, start + size
    if isinstance(owner, ReshapeOp):
        root, start, _ = extent(owner.source)
        return root, start, start + size
    return buffer, 0, size


def overlap(x: SSAValue, y: SSAValue) -> bool:
    """Whether two buffers share a byte."""
    rx, sx, ex = extent(x)
    ry, sy, ey = extent(y)
    return rx is ry and sx < ey and sy < ex


PBuf = Dialect(
    "pbuf",
    [
        *DESTINATION_OPS.values(),
        AllocOp,
        ArenaOp,
        ViewOp,
        ReshapeOp,
        WeightOp,
        ConstantOp,
        CopyOp,
        PackedMatmulOp,
    ],
)
