"""What the ONNX importer and its op table share: the one exception, a
translated value (`Held`), and the node being translated (`Node`), so that
`pelemay_ir.onnx_ops` needs nothing of the graph walk in
`pelemay_ir.onnx_import`."""

from __future__ import annotations

from dataclasses import dataclass, field
import numpy as np

from pelemay_ir.builder import Tensor
from pelemay_ir.ir import CompileError


class OnnxImportError(CompileError):
    """The one exception `import_onnx` raises: the model (or a node of it)
    uses an op, attribute, element type or dynamic value the importer cannot
    translate, or is not a valid ONNX model. `str()` is one line."""


WIDE_SAFE = frozenset({
    "Identity", "Dropout", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Slice", "Concat",
    "Split", "Expand", "Tile", "Gather", "Pad", "DepthToSpace", "SpaceToDepth", "Shape", "Size",
    "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual", "Where", "Max", "Min",
    "ReduceMax", "ReduceMin", "Cast", "CastLike", "ArgMax", "ArgMin",
    "GatherElements", "Trilu", "NegativeLogLikelihoodLoss", "SoftmaxCrossEntropyLoss",
    "Mod",  # a remainder is smaller than its divisor: no int32 overflow
    "OneHot", "GatherND", "ScatterElements", "Scatter", "ScatterND", "EyeLike",
    "HannWindow", "HammingWindow", "BlackmanWindow", "TopK", "ReverseSequence", "MaxUnpool",
    "Scan",  # slices its inputs and concatenates its outputs; the body's nodes check themselves
})
"""Ops that only move, compare or select values (or read them as indices):
on these an ONNX int64 value held as int32 gives ONNX's result exactly.
ptensor has no 64-bit integers, so an int64 graph input is an int32 argument
(its values must fit) and int64 arithmetic is rejected, never wrapped."""

WIDE_BITS = frozenset({"BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor", "BitwiseNot"})
"""Bit operations on int64 values held as int32 (which fit int32): And, Or,
Xor, Not and right shifts of sign-extended values are the sign extension of
their int32 results (pelemay_ir.onnx_ops_bits rejects left shifts)."""

EXPONENT_ONLY = frozenset({"Pow"})
"""Ops an int64 or held value may enter in one position only, which the op
checks: Pow's exponent (cast to the float base's type, exactly as an int32
exponent; an integer base with a run-time exponent is rejected)."""

HELD_KINDS = {2: "uint8", 5: "int16", 4: "uint16", 12: "uint32", 13: "uint64"}
"""ONNX integer types (TensorProto codes) whose values are held as int32 (the
interface takes and returns int32 arrays holding the same values)."""

NARROW_BITS = {"uint8": (8, False), "int16": (16, True), "uint16": (16, False)}
"""Kinds every value of which fits int32 (width, signed): their arithmetic is
computed in int32 (which wraps modulo 2^32) and reduced modulo 2^width, which
gives ONNX's wrapped result exactly."""

KIND_SAFE = WIDE_SAFE | {
    "MaxPool", "Div", "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor", "BitwiseNot",
    "QuantizeLinear", "DequantizeLinear", "BitCast", "MatMulInteger", "ConvInteger",
}
"""Ops any held kind may enter: moves, comparisons, selections, and the
division, shifts and bit operations, whose results stay in the operands' range
for the non-negative uint32 and uint64 values held (pelemay_ir.onnx_ops_bits
checks the rest: a left shift or a bitwise not of those is rejected), and
(de)quantization, which reads them exactly and clips its results to the range
(pelemay_ir.onnx_ops_quant)."""

WRAPPED = frozenset({"Add", "Sub", "Mul", "Neg", "Abs", "Sum", "Div"})
"""Arithmetic on the NARROW_BITS kinds: computed in int32, then wrapped."""


@dataclass(eq=False)
class Held:
    """A runtime value: a ptensor tensor, NCHW as in ONNX or held as NHWC."""

    tensor: Tensor
    nhwc: bool = False
    wide: bool = False  # an ONNX int64 value, held as int32
    kind: str | None = None  # another ONNX integer type held as int32 (HELD_KINDS)
    _other: Tensor | None = field(default=None, repr=False)  # the same value in the other layout

    @property
    def shape(self) -> tuple[int, ...]:
        """The ONNX shape (NCHW for a value held as NHWC)."""
        s = self.tensor.shape
        return (s[0], s[3], s[1], s[2]) if self.nhwc else s

    @property
    def dtype(self) -> np.dtype:
        return self.tensor.dtype


Value = "np.ndarray | Held"


class Node:
    """One ONNX node being translated: its inputs, attributes and the builder."""

    def __init__(self, importer, proto, index: int):
        """`importer`: the graph walk (onnx_import._Importer) the node belongs to."""
        from onnx import helper

        self.importer = importer
        self.proto = proto
        self.index = index
        self.op = proto.op_type
        self.name = proto.name or f"{proto.op_type}_{index}"
        self.b = importer.builder
        self.opset = importer.opset
        self.attrs = {a.name: helper.get_attribute_value(a) for a in proto.attribute}

    # --- diagnostics -----------------------------------------------------------

    def fail(self, feature: str) -> OnnxImportError:
        return OnnxImportError(f"node '{self.name}' ({self.op}): {feature}", self.importer.where(self.index))

    def reject_attrs(self, **allowed_defaults) -> None:
        """Reject any attribute that is set to something other than its allowed value."""
        for name, ok in allowed_defaults.items():
            if name in self.attrs and self.attrs[name] not in (ok if isinstance(ok, tuple) else (ok,)):
                raise self.fail(f"attribute {name}={_show(self.attrs[name])} is not supported")

    # --- inputs ----------------------------------------------------------------

    @property
    def n_inputs(self) -> int:
        return len(self.proto.input)

    def has(self, i: int) -> bool:
        return i < len(self.proto.input) and self.proto.input[i] != ""

    def value(self, i: int):
        return self.importer.values[self.proto.input[i]]

    def const(self, i: int, what: str) -> np.ndarray:
        """Input i, which must be known at import time."""
        v = self.value(i)
        if isinstance(v, Held):
            name = self.proto.input[i]
            if name in self.importer.graph_inputs:
                return self.importer.fix_input(self, i, what)
            raise self.fail(
                f"{what} (input '{name}') must be known at compile time, but it is computed at run time"
            )
        return v

    def declared(self, k: int = 0) -> tuple[int, ...] | None:
        """Output k's static shape as the graph (or shape inference) declares it."""
        return self.importer.declared_shape(self.proto.output[k]) if k < len(self.proto.output) else None

    def ints(self, attr: str, i: int, what: str) -> list[int] | None:
        """Integers given as attribute `attr` (older opsets) or as input i (newer)."""
        if attr in self.attrs:
            return [int(v) for v in np.atleast_1d(self.attrs[attr])]
        if self.has(i):
            return [int(v) for v in np.atleast_1d(self.const(i, what))]
        return None

    def shape(self, i: int) -> tuple[int, ...]:
        v = self.value(i)
        return v.shape if isinstance(v, Held) else tuple(v.shape)

    def dtype(self, i: int) -> np.dtype:
        return self.value(i).dtype

    def tensor(self, i: int) -> Tensor:
        """Input i as a ptensor value in the ONNX layout."""
        return self.importer.plain(self._runtime(self.value(i)), self)

    def as_tensor(self, v) -> Tensor:
        return self.importer.plain(self._runtime(v), self)

    def nhwc(self, i: int) -> Tensor:
        """Rank-4 input i held as NHWC."""
        return self.importer.nhwc(self._runtime(self.value(i)), self)

    def as_nhwc(self, v) -> Tensor:
        return self.importer.nhwc(self._runtime(v), self)

    def _runtime(self, v):
        """v, used as a run-time operand: an int64 one only by ops that cannot overflow."""
        if isinstance(v, Held) and v.wide and self.op not in WIDE_SAFE | WIDE_BITS | EXPONENT_ONLY:
            raise self.fail(
                "int64 arithmetic is not supported (ptensor has no 64-bit integers; "
                "int64 values are moved, compared, used as indices, combined bitwise and shifted right)"
            )
        if isinstance(v, Held) and v.kind and self.op not in KIND_SAFE | EXPONENT_ONLY and not (
            v.kind in NARROW_BITS and self.op in WRAPPED
        ):
            raise self.fail(
                f"{v.kind} arithmetic is not supported ({v.kind} values are held as int32; "
                + ("they are moved, compared, divided, shifted, combined bitwise, and added, subtracted "
                   "and multiplied with wrap-around)"
                   if v.kind in NARROW_BITS else
                   "they are moved, compared, divided, shifted right and combined bitwise; "
                   "other arithmetic could leave int32)")
            )
        return v

    def constant(self, array) -> Tensor:
        return self.importer.materialize(np.asarray(array), self)

    def scalar(self, value, like: Tensor) -> Tensor:
        """A rank-0 constant of `like`'s element type."""
        return self.constant(np.array(value, dtype=like.dtype))


def _show(v) -> str:
    if isinstance(v, bytes):
        return v.decode(errors="replace")
    if isinstance(v, (list, tuple, np.ndarray)):
        return str(list(np.asarray(v).tolist()))
    return str(v)


def _type_name(elem_type: int) -> str:
    from onnx import TensorProto

    try:
        return TensorProto.DataType.Name(elem_type).lower()
    except ValueError:
        return f"#{elem_type}"
