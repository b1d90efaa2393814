"""Generate docs/ops.md, the reference of every op of our dialects, from the op definitions.

    python tools/gen_op_docs.py > docs/ops.md     # regenerate
    python tools/gen_op_docs.py --check           # exit 1 when docs/ops.md is out of date

Each entry takes its summary and description from the op class's docstring,
its operands, results and properties from the IRDL definition (NEON ops add
their intrinsics and machines), and shows one example. The reference is
written from the code so that it cannot drift from it; the examples are the
one hand-written part, and each is checked on generation: parsed and
verified by `pelemay_ir.ir.parse` (what `pelemay-opt` runs) in a function
whose arguments are the example's free values, and printed back exactly as
written, so the reference shows the syntax the printer writes. The examples
of pbuf's destination-passing twins are derived from their ptensor op's.
"""

from __future__ import annotations

import argparse
import inspect
import re
import sys
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

from xdsl.dialects.builtin import (
    DenseIntOrFPElementsAttr,
    FloatAttr,
    Float64Type,
    IndexType,
    IntegerAttr,
    MemRefType,
    ModuleOp,
    StringAttr,
    SymbolRefAttr,
    TensorType,
    UnitAttr,
    VectorType,
    f16,
)
from xdsl.ir import Block, Dialect
from xdsl.irdl import (
    OptOperandDef,
    OptPropertyDef,
    OptResultDef,
    VarOperandDef,
    VarResultDef,
)
from xdsl.irdl.constraints import (
    AnyAttr,
    AnyOf,
    BaseAttr,
    EqAttrConstraint,
    ParamAttrConstraint,
    RangeLengthConstraint,
    RangeOf,
    VarConstraint,
)
from xdsl.printer import Printer

from pelemay_ir.dialects import arm_simd, index, parallel, pbuf, ptensor, units
from pelemay_ir.ir import CompileError, parse

DOC = Path(__file__).resolve().parents[1] / "docs" / "ops.md"
DIALECTS: tuple[Dialect, ...] = (ptensor.PTensor, pbuf.PBuf, arm_simd.ArmSimd, units.Units, parallel.Parallel, index.Index)


@dataclass(frozen=True)
class Example:
    """Op lines in the printer's syntax, checked inside `func.func @example(args)`
    (or, for ops that live at module level, in the module itself)."""

    body: str
    args: str = ""
    module_level: bool = False

    def program(self) -> str:
        if self.module_level:
            return self.body + "\n"
        lines = "\n".join("  " + line for line in self.body.splitlines())
        return f"func.func @example({self.args}) {{\n{lines}\n  func.return\n}}\n"


def _x(t: str, op: str, attrs: str = "") -> Example:
    """One op on `%x` of type `t`, with the same result type (elementwise unary ops)."""
    return Example(f"%y = {op} %x{attrs} : {t}", f"%x: {t}")


_T = "tensor<2x3xf32>"
_Q = "vector<4xf32>"
_BIN = "%a, %b : tensor<4x1xf32>, tensor<3xf32> -> tensor<4x3xf32>"
_BIN_ARGS = "%a: tensor<4x1xf32>, %b: tensor<3xf32>"
_VBIN = f"%a, %b : {_Q}, {_Q} -> {_Q}"
_VARGS = f"%a: {_Q}, %b: {_Q}"

EXAMPLES: dict[str, Example] = {
    # ptensor
    "ptensor.constant": Example("%c = ptensor.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>"),
    "ptensor.weight": Example('%w = ptensor.weight "fc1.w" at 0 : tensor<784x256xf32>'),
    **{f"ptensor.{name}": _x(_T, f"ptensor.{name}") for name in (
        "neg", "abs", "relu", "relu6", "exp", "log", "sqrt", "rsqrt", "tanh", "sin", "cos", "tan", "asin",
        "acos", "atan", "sigmoid", "gelu")},
    "ptensor.clamp": _x(_T, "ptensor.clamp", " {min = -1.000000e+00 : f32, max = 1.000000e+00 : f32}"),
    **{f"ptensor.{name}": Example(f"%y = ptensor.{name} {_BIN}", _BIN_ARGS) for name in (
        "add", "sub", "mul", "div", "max", "min")},
    "ptensor.compare": Example(
        '%m = ptensor.compare "lt", %a, %b : tensor<4x1xf32>, tensor<3xf32> -> tensor<4x3xi1>', _BIN_ARGS),
    "ptensor.select": Example(
        "%y = ptensor.select %m, %a, %b : tensor<4x3xi1>, tensor<4x3xf32>, tensor<3xf32> -> tensor<4x3xf32>",
        "%m: tensor<4x3xi1>, %a: tensor<4x3xf32>, %b: tensor<3xf32>"),
    "ptensor.cast": Example("%y = ptensor.cast %x : tensor<2x3xf32> -> tensor<2x3xi8>", f"%x: {_T}"),
    **{f"ptensor.{name}": Example(
        f"%y = ptensor.{name} %x {{axes = array<i64: 1>}} : tensor<2x3xf32> -> tensor<2xf32>", f"%x: {_T}")
       for name in ("reduce_sum", "reduce_max", "reduce_min")},
    "ptensor.reduce_mean": Example(
        "%y = ptensor.reduce_mean %x {axes = array<i64: 0>, keepdims} : tensor<2x3xf32> -> tensor<1x3xf32>",
        f"%x: {_T}"),
    "ptensor.argmax": Example(
        "%i = ptensor.argmax %x {axes = array<i64: 1>} : tensor<2x3xf32> -> tensor<2xi32>", f"%x: {_T}"),
    "ptensor.matmul": Example(
        "%y = ptensor.matmul %a, %b : tensor<1x784xf32>, tensor<784x256xf32> -> tensor<1x256xf32>",
        "%a: tensor<1x784xf32>, %b: tensor<784x256xf32>"),
    "ptensor.reshape": Example("%y = ptensor.reshape %x : tensor<2x3xf32> -> tensor<6xf32>", f"%x: {_T}"),
    "ptensor.broadcast": Example("%y = ptensor.broadcast %x : tensor<3xf32> -> tensor<2x3xf32>", "%x: tensor<3xf32>"),
    "ptensor.transpose": Example(
        "%y = ptensor.transpose %x {permutation = array<i64: 1, 0>} : tensor<2x3xf32> -> tensor<3x2xf32>",
        f"%x: {_T}"),
    "ptensor.slice": Example(
        "%y = ptensor.slice %x {offsets = array<i64: 0, 1>, sizes = array<i64: 2, 2>, strides = array<i64: 1, 1>}"
        " : tensor<2x3xf32> -> tensor<2x2xf32>", f"%x: {_T}"),
    "ptensor.concat": Example(
        "%y = ptensor.concat %a, %b {axis = 1 : i64} : tensor<2x3xf32>, tensor<2x5xf32> -> tensor<2x8xf32>",
        "%a: tensor<2x3xf32>, %b: tensor<2x5xf32>"),
    "ptensor.pad": Example(
        "%y = ptensor.pad %x {low = array<i64: 1, 0>, high = array<i64: 1, 2>, value = 0.000000e+00 : f32}"
        " : tensor<2x3xf32> -> tensor<4x5xf32>", f"%x: {_T}"),
    "ptensor.conv2d": Example(
        "%y = ptensor.conv2d %x, %w, %bias {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>,"
        " padding = array<i64: 0, 1, 0, 1>, groups = 1 : i64}"
        " : tensor<1x28x28x3xf32>, tensor<3x3x3x8xf32>, tensor<8xf32> -> tensor<1x14x14x8xf32>",
        "%x: tensor<1x28x28x3xf32>, %w: tensor<3x3x3x8xf32>, %bias: tensor<8xf32>"),
    **{f"ptensor.{name}": Example(
        f"%y = ptensor.{name} %x {{kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>,"
        " padding = array<i64: 0, 0, 0, 0>} : tensor<1x28x28x8xf32> -> tensor<1x14x14x8xf32>",
        "%x: tensor<1x28x28x8xf32>") for name in ("max_pool2d", "avg_pool2d")},
    "ptensor.softmax": Example(
        "%y = ptensor.softmax %x {axis = -1 : i64} : tensor<2x10xf32> -> tensor<2x10xf32>", "%x: tensor<2x10xf32>"),
    "ptensor.layer_norm": Example(
        "%y = ptensor.layer_norm %x, %scale, %offset {axis = -1 : i64, epsilon = 1.000000e-05 : f32}"
        " : tensor<2x5x8xf32>, tensor<8xf32>, tensor<8xf32> -> tensor<2x5x8xf32>",
        "%x: tensor<2x5x8xf32>, %scale: tensor<8xf32>, %offset: tensor<8xf32>"),
    "ptensor.batch_norm": Example(
        "%y = ptensor.batch_norm %x, %scale, %offset, %mean, %variance {epsilon = 1.000000e-03 : f32}"
        " : tensor<1x4x4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>"
        " -> tensor<1x4x4x3xf32>",
        "%x: tensor<1x4x4x3xf32>, %scale: tensor<3xf32>, %offset: tensor<3xf32>, %mean: tensor<3xf32>,"
        " %variance: tensor<3xf32>"),
    # pbuf (the destination-passing twins are derived from the ptensor examples)
    "pbuf.packed_matmul": Example(
        "pbuf.packed_matmul %a, %b, %scratch, %out"
        " : memref<4x8xf32>, memref<8x16xf32>, memref<2x8x8xf32>, memref<4x16xf32>",
        "%a: memref<4x8xf32>, %b: memref<8x16xf32>, %scratch: memref<2x8x8xf32>, %out: memref<4x16xf32>"),
    "pbuf.alloc": Example('%conv1 = pbuf.alloc {name = "conv1"} : memref<1x26x26x8xf32>'),
    "pbuf.arena": Example("%arena = pbuf.arena {size = 1024 : i64, alignment = 16 : i64} : memref<1024xi8>"),
    "pbuf.view": Example(
        "%arena = pbuf.arena {size = 1024 : i64, alignment = 16 : i64} : memref<1024xi8>\n"
        '%conv1 = pbuf.view %arena[64] {name = "conv1"} : memref<1024xi8> -> memref<4x4xf32>'),
    "pbuf.reshape": Example("%flat = pbuf.reshape %b : memref<2x3xf32> -> memref<6xf32>", "%b: memref<2x3xf32>"),
    "pbuf.weight": Example('%w = pbuf.weight "fc1.w" at 0 : memref<784x256xf32>'),
    "pbuf.constant": Example("%c = pbuf.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>"),
    "pbuf.copy": Example(
        "pbuf.copy %src, %dst : memref<4xf32>, memref<4xf32>", "%src: memref<4xf32>, %dst: memref<4xf32>"),
    # arm_simd
    "arm_simd.load": Example(f"%v = arm_simd.load %m[%i] : memref<16xf32> -> {_Q}", "%m: memref<16xf32>, %i: index"),
    "arm_simd.store": Example(
        f"arm_simd.store %v, %m[%i] : {_Q}, memref<16xf32>", f"%v: {_Q}, %m: memref<16xf32>, %i: index"),
    "arm_simd.load2": Example(
        f"%even, %odd = arm_simd.load2 %m[%i] : memref<16xf32> -> {_Q}, {_Q}", "%m: memref<16xf32>, %i: index"),
    "arm_simd.store2": Example(
        f"arm_simd.store2 %even, %odd, %m[%i] : {_Q}, {_Q}, memref<16xf32>",
        f"%even: {_Q}, %odd: {_Q}, %m: memref<16xf32>, %i: index"),
    "arm_simd.load_x2": Example(
        f"%v0, %v1 = arm_simd.load_x2 %m[%i] : memref<16xf32> -> {_Q}, {_Q}", "%m: memref<16xf32>, %i: index"),
    "arm_simd.load_x4": Example(
        f"%v0, %v1, %v2, %v3 = arm_simd.load_x4 %m[%i] : memref<16xf32> -> {_Q}, {_Q}, {_Q}, {_Q}",
        "%m: memref<16xf32>, %i: index"),
    "arm_simd.load_lane": Example(
        f"%w = arm_simd.load_lane %m[%i], %v, 1 : memref<16xf32>, {_Q} -> {_Q}",
        f"%m: memref<16xf32>, %i: index, %v: {_Q}"),
    "arm_simd.store_lane": Example(
        f"arm_simd.store_lane %v, 3, %m[%i] : {_Q}, memref<16xf32>", f"%v: {_Q}, %m: memref<16xf32>, %i: index"),
    "arm_simd.dup": Example(f"%v = arm_simd.dup %x : f32 -> {_Q}", "%x: f32"),
    "arm_simd.get_low": Example(f"%low = arm_simd.get_low %v : {_Q} -> vector<2xf32>", f"%v: {_Q}"),
    "arm_simd.get_high": Example(f"%high = arm_simd.get_high %v : {_Q} -> vector<2xf32>", f"%v: {_Q}"),
    "arm_simd.combine": Example(
        f"%v = arm_simd.combine %low, %high : vector<2xf32>, vector<2xf32> -> {_Q}",
        "%low: vector<2xf32>, %high: vector<2xf32>"),
    "arm_simd.get_lane": Example(f"%x = arm_simd.get_lane %v, 2 : {_Q} -> f32", f"%v: {_Q}"),
    "arm_simd.set_lane": Example(f"%w = arm_simd.set_lane %x, %v, 0 : f32, {_Q} -> {_Q}", f"%x: f32, %v: {_Q}"),
    "arm_simd.neg": Example(f"%y = arm_simd.neg %x : {_Q} -> {_Q}", f"%x: {_Q}"),
    "arm_simd.abs": Example(
        "%y = arm_simd.abs %x : vector<4xi32> -> vector<4xi32>", "%x: vector<4xi32>"),
    **{f"arm_simd.{name}": Example(f"%y = arm_simd.{name} {_VBIN}", _VARGS) for name in (
        "add", "sub", "mul", "div", "max", "min")},
    **{f"arm_simd.{name}": Example(
        f"%y = arm_simd.{name} %a, %b : vector<2xf32>, vector<2xf32> -> vector<2xf32>",
        "%a: vector<2xf32>, %b: vector<2xf32>") for name in ("padd", "pmax", "pmin")},
    "arm_simd.fma": Example(f"%y = arm_simd.fma %acc, %a, %b : {_Q}, {_Q}, {_Q} -> {_Q}", f"%acc: {_Q}, {_VARGS}"),
    "arm_simd.mla": Example(
        "%y = arm_simd.mla %acc, %a, %b : vector<4xi32>, vector<4xi32>, vector<4xi32> -> vector<4xi32>",
        "%acc: vector<4xi32>, %a: vector<4xi32>, %b: vector<4xi32>"),
    "arm_simd.mla_lane": Example(
        f"%y = arm_simd.mla_lane %acc, %a, %v, 1 : {_Q}, {_Q}, vector<2xf32> -> {_Q}",
        f"%acc: {_Q}, %a: {_Q}, %v: vector<2xf32>"),
    "arm_simd.compare": Example(f'%mask = arm_simd.compare "lt", %a, %b : {_Q}, {_Q} -> vector<4xui32>', _VARGS),
    "arm_simd.select": Example(
        f"%y = arm_simd.select %mask, %a, %b : vector<4xui32>, {_Q}, {_Q} -> {_Q}",
        f"%mask: vector<4xui32>, {_VARGS}"),
    **{f"arm_simd.{name}": Example(f"%s = arm_simd.{name} %v : {_Q} -> f32", f"%v: {_Q}") for name in (
        "reduce_add", "reduce_max", "reduce_min")},
    "arm_simd.convert": Example(f"%f = arm_simd.convert %n : vector<4xi32> -> {_Q}", "%n: vector<4xi32>"),
    "arm_simd.reinterpret": Example(f"%bits = arm_simd.reinterpret %v : {_Q} -> vector<4xi32>", f"%v: {_Q}"),
    "arm_simd.shift_left": Example(
        "%y = arm_simd.shift_left %n, 23 : vector<4xi32> -> vector<4xi32>", "%n: vector<4xi32>"),
    "arm_simd.mull": Example(
        "%p = arm_simd.mull %a, %b : vector<8xi8>, vector<8xi8> -> vector<8xi16>",
        "%a: vector<8xi8>, %b: vector<8xi8>"),
    "arm_simd.mlal": Example(
        "%y = arm_simd.mlal %acc, %a, %b : vector<8xi16>, vector<8xi8>, vector<8xi8> -> vector<8xi16>",
        "%acc: vector<8xi16>, %a: vector<8xi8>, %b: vector<8xi8>"),
    "arm_simd.sdot": Example(
        "%y = arm_simd.sdot %acc, %a, %b : vector<4xi32>, vector<16xi8>, vector<16xi8> -> vector<4xi32>",
        "%acc: vector<4xi32>, %a: vector<16xi8>, %b: vector<16xi8>"),
    # units
    "units.unit": Example('units.unit "u0" {machine = "aarch64", gflops = 2.000000e+01 : f64}', module_level=True),
    "units.run": Example(
        '%y = units.run @m_part0 on "u0" (%x) {seconds = 1.000000e-03 : f64} : (tensor<1x8xf32>) -> tensor<1x8xf32>',
        "%x: tensor<1x8xf32>"),
    "units.transfer": Example(
        '%z = units.transfer %y from "u0" to "u1" {bytes = 32 : i64, seconds = 2.000000e-04 : f64} : tensor<1x8xf32>',
        "%y: tensor<1x8xf32>"),
    # loop level
    "parallel.for": Example(
        "parallel.for @example_parallel_0(%x, %y) from %c0 to %c64 step %c8 threads 2 : memref<64xf32>, memref<64xf32>",
        "%x: memref<64xf32>, %y: memref<64xf32>, %c0: index, %c64: index, %c8: index"),
    "index.sizeof": Example("%bits = index.sizeof"),
}


class ExampleError(Exception):
    """An example that does not parse, verify, hold its op or print back as written."""


def _print(op) -> str:
    out = StringIO()
    Printer(stream=out).print_op(op)
    return out.getvalue()


def _body_lines(module: ModuleOp, example: Example) -> str:
    """The example's ops as the printer writes them."""
    if example.module_level:
        ops = list(module.ops)
    else:
        function = next(iter(module.ops))
        ops = list(function.body.block.ops)[:-1]  # without func.return
    return "\n".join(_print(op) for op in ops)


def check(name: str, example: Example):
    """Parse and verify the example, as pelemay-opt does; it must hold op `name`
    and print back exactly as written. Returns that op."""
    try:
        module = parse(example.program(), f"<example of {name}>")
    except CompileError as e:
        raise ExampleError(f"the example of {name} is rejected: {e}") from None
    found = next((op for op in module.walk() if op.name == name), None)
    if found is None:
        raise ExampleError(f"the example of {name} has no {name} op")
    printed = _body_lines(module, example)
    if printed != example.body:
        raise ExampleError(f"the example of {name} prints as\n{printed}\nnot as written:\n{example.body}")
    return found


def _twin_example(twin: type[pbuf.DestinationOp]) -> Example:
    """The ptensor example with memrefs for tensors and the result as a last
    operand: what `bufferize` writes for it."""
    source = EXAMPLES[twin.TENSOR_OP.get_irdl_definition().name]
    module = parse(source.program())
    function = next(iter(module.ops))
    op = next(iter(function.body.block.ops))
    values = [*op.operands, op.results[0]]
    block = Block(arg_types=[pbuf.memref_of(v.type) for v in values])
    for arg, value in zip(block.args, values):
        arg.name_hint = value.name_hint
    block.add_op(twin.build(block.args[:-1], block.args[-1], dict(op.properties), dict(op.attributes)))
    args = ", ".join(f"%{arg.name_hint}: {_print_attr(arg.type)}" for arg in block.args)
    return Example(_print(block.first_op), args)


def _print_attr(attr) -> str:
    out = StringIO()
    Printer(stream=out).print_attribute(attr)
    return out.getvalue()


def examples() -> dict[str, Example]:
    """Every op's example, the twins' derived from their ptensor op's."""
    found = dict(EXAMPLES)
    for twin in pbuf.DESTINATION_OPS.values():
        found[twin.get_irdl_definition().name] = _twin_example(twin)
    return found


# --- what the definitions say ------------------------------------------------------

_KINDS = {
    TensorType: "ranked tensor",
    MemRefType: "memref",
    VectorType: "vector",
    IndexType: "index",
    StringAttr: "string",
    SymbolRefAttr: "symbol",
    UnitAttr: "flag",
    FloatAttr: "float",
    IntegerAttr: "integer",
    DenseIntOrFPElementsAttr: "dense literal",
}
_WIDTHS = {Float64Type: "f64"}


def describe(constraint) -> str:
    """A constraint of the IRDL definition in words."""
    if isinstance(constraint, RangeLengthConstraint):
        return describe(constraint.constraint)
    if isinstance(constraint, RangeOf):
        return describe(constraint.constr)
    if isinstance(constraint, VarConstraint):
        return f"{describe(constraint.constraint)} `{constraint.name}`"
    if isinstance(constraint, AnyAttr):
        return "any type"
    if isinstance(constraint, EqAttrConstraint):
        return _print_attr(constraint.attr)
    if isinstance(constraint, AnyOf):
        return " or ".join(describe(c) for c in constraint.attr_constrs)
    if isinstance(constraint, BaseAttr) and constraint.attr in _KINDS:
        return _KINDS[constraint.attr]
    if isinstance(constraint, BaseAttr) and constraint.attr in _WIDTHS:
        return _WIDTHS[constraint.attr]
    if isinstance(constraint, ParamAttrConstraint):  # the parameters that are types: i64 of IntegerAttr[I64]
        params = [
            describe(c) for c in constraint.param_constrs
            if isinstance(c, EqAttrConstraint) or (isinstance(c, BaseAttr) and c.attr in _WIDTHS)
        ]
        if constraint.base_attr.name == "array":
            return f"`array<{', '.join(params)}>`"
        if constraint.base_attr in _KINDS:
            return " ".join([*params, _KINDS[constraint.base_attr]])
    raise ValueError(f"no words for the constraint {constraint!r}: add them to tools/gen_op_docs.py")


def _table(rows: list[tuple[str, str, str]]) -> list[str]:
    if not rows:
        return []
    return ["| | name | kind |", "|---|---|---|", *(f"| {role} | `{name}` | {kind} |" for role, name, kind in rows), ""]


def _arity(definition, kind: str) -> str:
    if isinstance(definition, OptOperandDef | OptResultDef):
        return f"{kind} (optional)"
    if isinstance(definition, VarOperandDef | VarResultDef):
        return f"{kind} (any number)"
    return kind


def _neon(op: arm_simd.ArmSimdOp) -> list[str]:
    """The vector types the op accepts (its intrinsic table's keys), the
    intrinsic of the example and the machines that have the op."""
    types = ", ".join(f"`{_print_attr(t)}`" for t in op.INTRINSICS)
    machines = ", ".join(f"`{m}`" for m in op.MACHINES)
    if any(t.element_type == f16 for t in op.INTRINSICS):
        fp16 = ", ".join(f"`{m}`" for m in op.MACHINES if m in arm_simd.FP16_MACHINES)
        machines += f"; on f16 vectors {fp16}"
    return [f"Types of `{op.KEY}`: {types}; the example prints as `{op.intrinsic()}`.", "", f"Machines: {machines}.", ""]


def _anchor(name: str) -> str:
    return re.sub(r"[^a-z0-9_-]", "", name.lower())


def _entry(op, example: Example, instance) -> list[str]:
    definition = op.get_irdl_definition()
    doc = inspect.cleandoc(op.__dict__.get("__doc__") or "")
    if not doc:
        raise ValueError(f"{definition.name} has no docstring: say in one line what it computes")
    summary, _, rest = doc.partition("\n\n")
    out = [f"### `{definition.name}`", "", " ".join(summary.split()), ""]
    if rest:
        out += [rest, ""]
    if issubclass(op, pbuf.DestinationOp) and op is not pbuf.PackedMatmulOp:
        twin = op.TENSOR_OP.get_irdl_definition().name
        out += [f"Same properties and shape rules as [`{twin}`](#{_anchor(twin)}).", ""]
    out += ["```mlir", example.body, "```", ""]
    out += _table(
        [("operand", n, _arity(d, describe(d.constr))) for n, d in definition.operands]
        + [("result", n, _arity(d, describe(d.constr))) for n, d in definition.results]
        + [("property", n, describe(p.constr) + (" (optional)" if isinstance(p, OptPropertyDef) else ""))
           for n, p in definition.properties.items()]
    )
    if isinstance(instance, arm_simd.ArmSimdOp):
        out += _neon(instance)
    return out


def render() -> str:
    """docs/ops.md, every example checked."""
    found = examples()
    out = [
        "# Op reference",
        "",
        "<!-- Generated by tools/gen_op_docs.py from the op definitions; do not edit."
        " Regenerate: python tools/gen_op_docs.py > docs/ops.md -->",
        "",
        "Every op of Pelemay IR's own dialects, with an example in the syntax",
        "`pelemay-opt` reads and prints (each example is parsed, verified and",
        "printed back when this page is generated). What the ptensor ops compute",
        "is in [semantics.md](semantics.md); where each level sits, in",
        "[design.md](design.md). Properties are written in the attribute",
        "dictionary `{...}` unless the syntax names them; a kind marked with a",
        "letter (`T`) is one type, the same wherever that letter appears.",
        "",
    ]
    for dialect in DIALECTS:
        ops = list(dialect.operations)
        out += [f"- [{dialect.name}](#{dialect.name}): "
                + ", ".join(f"[{op.get_irdl_definition().name.split('.', 1)[1]}](#{_anchor(op.get_irdl_definition().name)})"
                            for op in ops)]
    out.append("")
    for dialect in DIALECTS:
        module = sys.modules[next(iter(dialect.operations)).__module__]
        out += [f"## {dialect.name}", "", inspect.cleandoc(module.__doc__ or ""), ""]
        for op in dialect.operations:
            name = op.get_irdl_definition().name
            if name not in found:
                raise ValueError(f"{name} has no example: add one to EXAMPLES in tools/gen_op_docs.py")
            out += _entry(op, found[name], check(name, found[name]))
    return "\n".join(out).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when docs/ops.md differs from the definitions")
    args = parser.parse_args(argv)
    try:
        text = render()
    except (ExampleError, ValueError) as e:
        print(f"gen_op_docs: error: {e}", file=sys.stderr)
        return 1
    if args.check:
        if not DOC.exists() or DOC.read_text() != text:
            print("gen_op_docs: docs/ops.md is out of date: run python tools/gen_op_docs.py > docs/ops.md",
                  file=sys.stderr)
            return 1
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
