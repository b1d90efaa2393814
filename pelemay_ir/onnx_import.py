"""Import an ONNX model as a ptensor program: `pelemay_ir.import_onnx` and
the `pelemay-import-onnx` console script.

The graph walk, its values and their layout live here; what each ONNX op
becomes is in `pelemay_ir.onnx_ops`. Three rules, each decided once:

- **Compile-time values.** Initializers, `Constant` nodes and every node
  whose inputs are all known (Shape, Gather, Unsqueeze, Concat chains) are
  folded at import with onnx's own reference evaluator, so a Reshape's shape
  or a Slice's bounds are plain numbers by the time a translator needs them.
  Where such a value is a graph input, the model is rejected naming the node
  (or the caller fixes it with `constants=`).
- **Layout.** The function keeps the graph's interface (inputs and outputs
  in graph order, ONNX element types, NCHW; int64, uint8, int16, uint16,
  uint32 and uint64 are held as int32, see `pelemay_ir.onnx_values`). A 4-D activation that enters a
  convolution is transposed to NHWC once and stays NHWC through the ops that
  do not care (elementwise, pooling, batch norm, concat); it goes back to
  NCHW only where an op needs the ONNX order (a reshape, a graph output).
  Filters are rearranged to HWCF at import.
- **Locations.** Every op made for a node carries `loc("NODE"("MODEL":I:1))`,
  I the node's 1-based position in the graph, so diagnostics and the C
  comments name the ONNX node.

Anything the importer cannot translate raises `OnnxImportError`: one line
naming the node, its op and the feature.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from xdsl.dialects.builtin import FileLineColLoc, IntAttr, ModuleOp, NameLoc, StringAttr

from pelemay_ir import weights as weights_file
from pelemay_ir.builder import BuildError, ProgramBuilder, Tensor, module_text
from pelemay_ir.ir import CompileError
from pelemay_ir.onnx_values import HELD_KINDS, KIND_SAFE, NARROW_BITS, WIDE_SAFE, WRAPPED, Held, Node, OnnxImportError, _type_name
from pelemay_ir.shapes import ShapeError

INLINE_LIMIT = 16
"""Constants with at most this many elements are printed inline; larger ones
go to the weights file."""

NCHW_TO_NHWC = (0, 2, 3, 1)
NHWC_TO_NCHW = (0, 3, 1, 2)

NOT_FOLDED = frozenset(
    {"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli"}
)
"""Ops whose result is not a function of their inputs: never folded."""

SAME_SHAPE = frozenset({
    "Identity", "Cast", "CastLike", "Abs", "Neg", "Sqrt", "Log", "Exp", "Relu", "Sigmoid", "Tanh",
    "Sin", "Cos", "Tan", "Asin", "Acos", "Atan",
    "Reciprocal", "Floor", "Ceil", "Round", "Softplus", "Softsign", "Erf", "Sign", "Not",
})
"""Unary ops whose result has their first input's shape: a shape declared for
the result is the input's too."""


def _element_types():
    from onnx import TensorProto

    return {
        TensorProto.FLOAT: "f32",
        TensorProto.FLOAT16: "f16",
        TensorProto.INT32: "i32",
        TensorProto.INT8: "i8",
        TensorProto.BOOL: "i1",
        TensorProto.INT64: "i32",  # narrowed: see WIDE_SAFE
        **{code: "i32" for code in HELD_KINDS},  # held as int32: see KIND_SAFE and NARROW_BITS
    }


SUPPORTED_TYPES = "float, float16, int32, int8, bool, int64, uint8, int16, uint16, uint32, uint64 (held as int32)"

SUPPORTED_NUMPY = (np.dtype(np.float32), np.dtype(np.float16), np.dtype(np.int32), np.dtype(np.int8), np.dtype(np.bool_))

INT32_RANGE = (np.iinfo(np.int32).min, np.iinfo(np.int32).max)

TYPE_PRESERVING = frozenset({
    "Identity", "Dropout", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Slice", "Concat",
    "Split", "Expand", "Tile", "Gather", "Pad", "DepthToSpace", "SpaceToDepth", "Where", "Max", "Min",
    "ReduceMax", "ReduceMin", "GatherElements", "Trilu", "GatherND", "ScatterElements", "Scatter",
    "ScatterND", "TopK", "ReverseSequence", "MaxPool", "Mod", "Div", "Add", "Sub", "Mul", "Neg", "Abs",
    "Sum", "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor", "BitwiseNot",
})
"""Ops whose int32 result has their operands' element type: where the graph
does not declare a result's type (inside a function body), a held integer
type carries over through these only."""

HELD_KINDS_NUMPY = {np.dtype(k): k for k in ("uint8", "int16", "uint16", "uint32", "uint64")}

_SSA = re.compile(r"[^\w$.-]")
_C_ID = re.compile(r"[^A-Za-z0-9_]")


def _ssa_name(name: str) -> str:
    hint = _SSA.sub("_", name)
    return hint if hint and not hint[0].isdigit() else f"v{hint}"


def _function_name(graph_name: str) -> str:
    name = _C_ID.sub("_", graph_name).strip("_")
    if not name:
        return "model"
    return name if not name[0].isdigit() else f"model_{name}"


class _Importer:
    def __init__(self, model, source: str, shapes: Mapping[str, Sequence[int]], constants: Mapping[str, np.ndarray]):
        self.model = model
        self.source = source
        self.opset = next(
            (o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 1
        )
        self.builder = ProgramBuilder(_function_name(model.graph.name))
        self.values: dict[str, object] = {}
        self.shapes = dict(shapes)
        self.constants = dict(constants)
        self._weight_names: set[str] = set()
        self.graph_inputs: dict[str, int] = {}  # name -> argument position
        self.fixed: dict[str, np.ndarray] = {}  # graph inputs fixed at compile time
        self.fixed_rules: list[dict] = []
        self.types = _value_types(model)
        self._consumers: dict[str, list[str]] | None = None

    def where(self, index: int | None) -> str:
        return f"{self.source}:{index + 1}:1" if index is not None else self.source

    def location(self, node: Node):
        return NameLoc(
            StringAttr(node.name),
            FileLineColLoc(StringAttr(self.source), IntAttr(node.index + 1), IntAttr(1)),
        )

    # --- the interface ---------------------------------------------------------

    def run(self) -> ModuleOp:
        from onnx import TensorProto, numpy_helper

        graph = self.model.graph
        for init in graph.initializer:
            self.values[init.name] = numpy_helper.to_array(init)
        for name, array in self.constants.items():
            self.values[name] = np.asarray(array)
        elem_types = _element_types()
        unknown = set(self.shapes) - {i.name for i in graph.input}
        if unknown:
            raise OnnxImportError(f"--shape names '{sorted(unknown)[0]}', which is not a graph input", self.source)
        for inp in graph.input:
            if inp.name in self.values:
                continue  # an initializer listed as an input (IR version < 4), or fixed by the caller
            tt = inp.type.tensor_type
            if not inp.type.HasField("tensor_type"):
                raise OnnxImportError(f"graph input '{inp.name}' is not a tensor", self.source)
            if tt.elem_type not in elem_types:
                raise OnnxImportError(
                    f"graph input '{inp.name}' has element type {_type_name(tt.elem_type)}; "
                    f"supported: {SUPPORTED_TYPES}",
                    self.source,
                )
            shape = self._input_shape(inp)
            arg = self.builder.argument(self._unique_name(inp.name), shape, elem_types[tt.elem_type])
            self.values[inp.name] = Held(arg, wide=tt.elem_type == TensorProto.INT64, kind=HELD_KINDS.get(tt.elem_type))
            self.graph_inputs[inp.name] = len(self.graph_inputs)
        for index, proto in enumerate(graph.node):
            self._node(Node(self, proto, index))
        results = []
        for out in graph.output:
            v = self.values.get(out.name)
            if v is None:
                raise OnnxImportError(f"graph output '{out.name}' is not computed by any node", self.source)
            tt = out.type.tensor_type
            if out.type.WhichOneof("value") not in (None, "tensor_type"):
                raise OnnxImportError(f"graph output '{out.name}' is not a tensor", self.source)
            if out.type.HasField("tensor_type") and tt.elem_type and tt.elem_type not in elem_types:
                raise OnnxImportError(
                    f"graph output '{out.name}' has element type {_type_name(tt.elem_type)}; "
                    f"supported: {SUPPORTED_TYPES}",
                    self.source,
                )
            self.builder.location = None
            t = self.plain(v, None)
            declared = [d.dim_value if d.HasField("dim_value") else None for d in tt.shape.dim] if tt.HasField("shape") else None
            if declared is not None and (
                len(declared) != len(t.shape) or any(d is not None and d != s for d, s in zip(declared, t.shape))
            ):
                raise OnnxImportError(
                    f"graph output '{out.name}' is declared with shape {declared} but computes {list(t.shape)}",
                    self.source,
                )
            results.append(t)
        if not results:
            raise OnnxImportError("the graph has no outputs", self.source)
        self.builder.returns(*results)
        try:
            module = self.builder.build()
        except (BuildError, ShapeError) as e:
            raise OnnxImportError(f"the imported program is invalid: {e}", self.source) from None
        module.location = FileLineColLoc(StringAttr(self.source), IntAttr(0), IntAttr(0))
        if self.fixed_rules:
            from xdsl.dialects import func

            from pelemay_ir import onnx_fixed

            entry = next(op for op in module.ops if isinstance(op, func.FuncOp))
            entry.attributes[onnx_fixed.ATTR] = StringAttr(onnx_fixed.encode(self.fixed_rules))
        return module

    def _input_shape(self, inp) -> list[int]:
        dims = inp.type.tensor_type.shape.dim
        if inp.name in self.shapes:
            given = [int(d) for d in self.shapes[inp.name]]
            if len(given) != len(dims) and inp.type.tensor_type.HasField("shape"):
                raise OnnxImportError(
                    f"--shape gives input '{inp.name}' rank {len(given)} but the graph declares rank {len(dims)}",
                    self.source,
                )
            for g, d in zip(given, dims):
                if d.HasField("dim_value") and d.dim_value != g:
                    raise OnnxImportError(
                        f"--shape gives input '{inp.name}' the shape {given} but the graph fixes a dimension to {d.dim_value}",
                        self.source,
                    )
            return given
        shape = []
        for d in dims:
            if not d.HasField("dim_value"):
                sym = d.dim_param or "?"
                raise OnnxImportError(
                    f"graph input '{inp.name}' has the symbolic dimension '{sym}'; "
                    f"give its shape with --shape {inp.name}=1x... (shapes= in Python)",
                    self.source,
                )
            shape.append(int(d.dim_value))
        return shape

    def _unique_name(self, onnx_name: str) -> str:
        name = _ssa_name(onnx_name)
        base, k = name, 1
        while name in self._weight_names:
            name, k = f"{base}_{k}", k + 1
        self._weight_names.add(name)
        return name

    # --- nodes -----------------------------------------------------------------

    def _node(self, node: Node) -> None:
        from pelemay_ir import (  # noqa: F401  (the op families: importing them fills OPS)
            onnx_ops_bits, onnx_ops_index, onnx_ops_layout, onnx_ops_losses, onnx_ops_math, onnx_ops_nn,
            onnx_ops_quant, onnx_ops_recurrent, onnx_ops_resize,
        )
        from pelemay_ir.onnx_ops import OPS

        proto = node.proto
        if proto.domain not in ("", "ai.onnx"):
            raise node.fail(f"operators of domain '{proto.domain}' are not supported")
        for i, name in enumerate(proto.input):
            if name and name not in self.values:
                raise node.fail(f"input '{name}' is not defined before the node")
        self.builder.location = self.location(node)
        inputs = [self.values[n] for n in proto.input if n]
        if node.op == "Constant":
            outputs = [self._constant_attr(node)]
        elif (
            all(not isinstance(v, Held) for v in inputs) and node.op not in NOT_FOLDED and node.op in _FOLDABLE
            and not any(isinstance(self.values.get(n), Held) for n in _outer_names(proto))
        ):
            outputs = self._fold(node)
        else:
            translate = OPS.get(node.op)
            if translate is None:
                from pelemay_ir import onnx_functions

                inner = onnx_functions.body(node)
                if inner is None:
                    raise node.fail("this operator is not supported")
                translate = lambda node: self.expand(node, inner)  # noqa: E731  (a closure over this function body)
            try:
                outputs = translate(node)
            except OnnxImportError:
                raise
            except (BuildError, ShapeError) as e:
                raise node.fail(f"cannot be expressed: {e}") from None
        named = [n for n in proto.output]
        if len(outputs) < len([n for n in named if n]):
            missing = [n for n in named[len(outputs):] if n]
            if missing:
                raise node.fail(f"output '{missing[0]}' (output #{named.index(missing[0])}) is not supported")
        for name, v in zip(named, outputs):
            if not name:
                continue
            if isinstance(v, Held) and v.tensor.value.name_hint is None:
                v.tensor.value.name_hint = _ssa_name(name)
            if isinstance(v, Held) and v.dtype == np.int32 and not v.wide and not v.kind:
                if self._int64_result(name, inputs):
                    v = Held(v.tensor, v.nhwc, wide=True)
                else:
                    v = self._held_kind(node, name, inputs, v)
            elif isinstance(v, Held) and v.dtype != np.int32 and self._declared_kind(name):
                raise node.fail(f"a {self._declared_kind(name)} result computed as {v.dtype} is not supported")
            self.values[name] = v
        self.builder.location = None

    def _constant_attr(self, node: Node) -> np.ndarray:
        from onnx import numpy_helper

        a = node.proto.attribute[0] if node.proto.attribute else None
        if a is None:
            raise node.fail("a Constant node needs a value attribute")
        if a.name == "value":
            return numpy_helper.to_array(a.t)
        v = node.attrs[a.name]
        if a.name in ("value_float", "value_int"):
            return np.array(v, dtype=np.float32 if a.name == "value_float" else np.int64)
        if a.name in ("value_floats", "value_ints"):
            return np.array(v, dtype=np.float32 if a.name == "value_floats" else np.int64)
        raise node.fail(f"attribute {a.name} is not supported")

    def inline(self, node: Node, graph) -> list:
        """A subgraph's nodes imported in place of `node`; its outputs are the node's."""
        from onnx import numpy_helper

        for init in graph.initializer:
            self.values[init.name] = numpy_helper.to_array(init)
        for proto in graph.node:
            self._node(Node(self, proto, node.index))
        self.builder.location = self.location(node)
        return [self.values[o.name] for o in graph.output]

    def expand(self, node: Node, nodes) -> list:
        """The nodes of `node`'s ONNX function body imported in its place."""
        for proto in nodes:
            self._node(Node(self, proto, node.index))
        self.builder.location = self.location(node)
        missing = [o for o in node.proto.output if o and o not in self.values]
        if missing:
            raise node.fail(f"its function body does not compute output '{missing[0]}'")
        return [self.values[o] if o else None for o in node.proto.output]

    def fold_with(self, node: Node, stand_ins: dict[str, np.ndarray]) -> list[np.ndarray]:
        """Fold a node whose result does not depend on the values of the
        run-time inputs given stand-ins for (CastLike's `target_type`)."""
        return self._fold(node, stand_ins)

    def _fold(self, node: Node, stand_ins: dict[str, np.ndarray] | None = None) -> list[np.ndarray]:
        """Evaluate a node on known inputs with onnx's reference evaluator."""
        from onnx.reference import ReferenceEvaluator

        feeds = {n: (stand_ins or {}).get(n, self.values[n]) for n in node.proto.input if n}
        outer = {n: self.values[n] for n in _outer_names(node.proto) if n in self.values}
        try:
            if outer:  # a subgraph (If, Loop) reads known values of the enclosing graph
                from onnx import helper

                feeds.update(outer)
                graph = helper.make_graph(
                    [node.proto], "fold",
                    [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(v.dtype), v.shape) for n, v in feeds.items()],
                    [helper.make_empty_tensor_value_info(o) for o in node.proto.output if o],
                )
                evaluator = ReferenceEvaluator(graph, opsets={"": self.opset})
            else:
                evaluator = ReferenceEvaluator(node.proto, opsets={"": self.opset})
            outputs = evaluator.run(None, feeds)
        except Exception as e:  # noqa: BLE001 - onnx raises many types; report one line
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise node.fail(f"cannot be evaluated at compile time: {first}") from None
        if any(not isinstance(o, (np.ndarray, np.generic)) for o in outputs):
            raise node.fail("its result is a sequence or an optional, which is not supported (tensors only)")
        return [np.asarray(o) for o in outputs]

    def fix_input(self, node: Node, i: int, what: str) -> np.ndarray:
        """A graph input node needs at compile time, fixed from the declared
        shapes (`pelemay_ir.onnx_fixed`); it stays an argument, checked at each call."""
        from pelemay_ir import onnx_fixed

        name = node.proto.input[i]
        data = node.shape(0)
        outs = [node.declared(k) for k in range(len(node.proto.output))]
        try:
            if node.dtype(i).kind not in "iu":
                raise onnx_fixed.Undetermined(f"only integer inputs are fixed, this one is {node.dtype(i)}")
            length = int(np.prod(node.shape(i)))
            value, rule = onnx_fixed.determine(node.op, node.attrs, i, length, data, outs[0] if outs else None, outs)
        except onnx_fixed.Undetermined as e:
            raise node.fail(
                f"{what} (input '{name}') must be known at compile time, but it is a graph input "
                f"and nothing in the graph determines it ({e})"
            ) from None
        rule.update(input=self.graph_inputs[name], name=name, node=node.name, op=node.op)
        if name in self.fixed:
            if not onnx_fixed.accepts(rule, self.fixed[name]):
                raise node.fail(f"{what} (input '{name}') is fixed to another value by an earlier node")
            value = self.fixed[name]
        self.fixed[name] = value
        rule["value"] = [int(v) for v in np.asarray(value).reshape(-1)]  # what the generated code accepts
        self.fixed_rules.append(rule)
        return value

    def declared_shape(self, name: str, depth: int = 0) -> tuple[int, ...] | None:
        """A value's static shape as the graph declares it, or where it does
        not, as declared for what a shape-preserving unary op (a Cast, a Sqrt)
        makes of it."""
        t = self.types.get(name)
        if t is not None and t.shape is not None and all(d is not None for d in t.shape):
            return t.shape
        if depth > 8:
            return None
        if self._consumers is None:
            self._consumers = {}
            for proto in self.model.graph.node:
                if proto.input and proto.op_type in SAME_SHAPE:
                    self._consumers.setdefault(proto.input[0], []).append(proto.output[0])
        for out in self._consumers.get(name, []):
            shape = self.declared_shape(out, depth + 1)
            if shape is not None:
                return shape
        return None

    def _int64_result(self, name: str, inputs: list) -> bool:
        """Whether an int32 result holds an ONNX int64 value: as the graph's
        types say, or (where they are unknown) when an int64 operand made it."""
        from onnx import TensorProto

        t = self.types.get(name)
        if t is not None and t.elem_type:
            return t.elem_type == TensorProto.INT64
        return any(isinstance(v, Held) and v.wide for v in inputs) or any(
            isinstance(v, np.ndarray) and v.dtype == np.int64 for v in inputs
        )

    def _declared_kind(self, name: str) -> str | None:
        t = self.types.get(name)
        return HELD_KINDS.get(t.elem_type) if t is not None else None

    def _held_kind(self, node: Node, name: str, inputs: list, v: Held) -> Held:
        """An int32 result that holds another ONNX integer type (HELD_KINDS), as
        the graph's types say or (where they are unknown) as its operands are:
        wrapped to its width after arithmetic; an op that could leave it out of
        its range is rejected."""
        t = self.types.get(name)
        if t is not None and t.elem_type:
            kind = HELD_KINDS.get(t.elem_type)
        else:
            kind = next((x.kind for x in inputs if isinstance(x, Held) and x.kind), None) or next(
                (HELD_KINDS_NUMPY.get(x.dtype) for x in inputs if isinstance(x, np.ndarray) and x.dtype in HELD_KINDS_NUMPY), None
            )
            if kind is not None and node.op not in TYPE_PRESERVING:
                raise node.fail(f"the element type of its int32 result from {kind} operands is unknown")
        if kind is None:
            return v
        same = any(isinstance(x, Held) and x.kind == kind for x in inputs)
        if kind in NARROW_BITS and node.op in WRAPPED:
            from pelemay_ir.onnx_ops import wrap

            return Held(wrap(node, v.tensor, kind), v.nhwc, kind=kind)
        if node.op in ("Cast", "CastLike") and not same:
            raise node.fail(f"cast to {kind} is not supported")
        if node.op not in KIND_SAFE and node.op not in WIDE_SAFE:
            raise node.fail(f"a {kind} result is not supported ({kind} values are held as int32)")
        return Held(v.tensor, v.nhwc, kind=kind)

    def is_int64(self, name: str) -> bool:
        from onnx import TensorProto

        t = self.types.get(name)
        return t is not None and t.elem_type == TensorProto.INT64

    # --- values and layouts ----------------------------------------------------

    def materialize(self, array: np.ndarray, node: Node | None) -> Tensor:
        """A known array as a ptensor value (inline when small, else a weight)."""
        if array.dtype == np.int64:
            if array.size and (array.min() < INT32_RANGE[0] or array.max() > INT32_RANGE[1]):
                what = "a compile-time int64 value outside the int32 range"
                raise (node.fail(f"{what} is used at run time") if node else OnnxImportError(what + " is a graph output", self.source))
            array = array.astype(np.int32)
        if array.dtype in HELD_KINDS_NUMPY:  # held as int32, as a graph input of its type is
            if array.size and array.max() > INT32_RANGE[1]:
                what = f"a compile-time {array.dtype} value outside the int32 range"
                raise (node.fail(f"{what} is used at run time") if node else OnnxImportError(what + " is a graph output", self.source))
            array = array.astype(np.int32)
        if array.dtype not in SUPPORTED_NUMPY:
            what = f"a compile-time value of element type {array.dtype}"
            raise (node.fail(f"{what} is used at run time; supported: float32, float16, int32, int8, bool")
                   if node else OnnxImportError(what + " is a graph output", self.source))
        if array.size <= INLINE_LIMIT or array.dtype == np.bool_:
            return self.builder.constant(array)
        key = self._unique_name(node.proto.output[0] if node and node.proto.output else "const")
        return self.builder.weight(key, np.ascontiguousarray(array))

    def plain(self, v, node: Node | None) -> Tensor:
        if not isinstance(v, Held):
            return self.materialize(np.asarray(v), node)
        if not v.nhwc:
            return v.tensor
        if v._other is None:
            v._other = self.builder.transpose(v.tensor, NHWC_TO_NCHW)
        return v._other

    def nhwc(self, v, node: Node) -> Tensor:
        if not isinstance(v, Held):
            a = np.asarray(v)
            return self.materialize(np.ascontiguousarray(np.transpose(a.reshape((1,) * (4 - a.ndim) + a.shape), NCHW_TO_NHWC)), node)
        if v.nhwc:
            return v.tensor
        if len(v.shape) < 4:
            return self.builder.transpose(
                self.builder.reshape(v.tensor, (1,) * (4 - len(v.shape)) + v.shape), NCHW_TO_NHWC
            )
        if v._other is None:
            v._other = self.builder.transpose(v.tensor, NCHW_TO_NHWC)
        return v._other


@dataclass(frozen=True)
class ValueType:
    """What the graph (or onnx's shape inference) declares about a value."""

    elem_type: int
    shape: tuple[int | None, ...] | None  # None: rank unknown; None entries: unknown dimensions


def _value_types(model) -> dict[str, ValueType]:
    """Declared element types and shapes of the graph's values, with those
    onnx's shape inference adds (best effort: a model it cannot infer keeps
    what it declares)."""
    from onnx import shape_inference

    try:
        inferred = shape_inference.infer_shapes(model, data_prop=True)
    except Exception:  # noqa: BLE001 - inference is a help, not a requirement
        inferred = model
    g = inferred.graph
    out: dict[str, ValueType] = {}
    for vi in (*g.input, *g.value_info, *g.output):
        if not vi.type.HasField("tensor_type"):
            continue
        tt = vi.type.tensor_type
        shape = (
            tuple(d.dim_value if d.HasField("dim_value") else None for d in tt.shape.dim)
            if tt.HasField("shape") else None
        )
        out[vi.name] = ValueType(tt.elem_type, shape)
    return out


def _outer_names(proto) -> set[str]:
    """Names a node's subgraphs read from the enclosing graph."""
    found: set[str] = set()
    for a in proto.attribute:
        for g in (*([a.g] if a.HasField("g") else []), *a.graphs):
            made = {i.name for i in g.input} | {i.name for i in g.initializer}
            for n in g.node:
                found |= {i for i in (*n.input, *_outer_names(n)) if i and i not in made}
                made |= set(n.output)
    return found


def _fold_table() -> frozenset[str]:
    """Every op of the default domain: any of them is folded when its inputs are known."""
    from onnx import defs

    return frozenset(s.name for s in defs.get_all_schemas() if s.domain in ("", "ai.onnx"))


class _LazyFoldable:
    _ops: frozenset[str] | None = None

    def __contains__(self, op: str) -> bool:
        if self._ops is None:
            _LazyFoldable._ops = _fold_table()
        return op in self._ops  # pyright: ignore[reportOperatorIssue]


_FOLDABLE = _LazyFoldable()


def _load(model_or_path):
    import onnx

    if isinstance(model_or_path, (str, Path)):
        path = Path(model_or_path)
        try:
            model = onnx.load(str(path))
        except FileNotFoundError:
            raise OnnxImportError(f"cannot read '{path}': no such file") from None
        except Exception as e:  # noqa: BLE001 - protobuf's decode errors have no common base
            raise OnnxImportError(f"'{path}' is not an ONNX model: {type(e).__name__}: {e}".splitlines()[0]) from None
        return model, path.name
    if isinstance(model_or_path, onnx.ModelProto):
        return model_or_path, f"{model_or_path.graph.name or 'model'}.onnx"
    raise TypeError(f"import_onnx expects an onnx.ModelProto or a path, got {type(model_or_path).__name__}")


def import_onnx(
    model_or_path,
    shapes: Mapping[str, Sequence[int]] | None = None,
    constants: Mapping[str, np.ndarray] | None = None,
) -> ModuleOp:
    """An ONNX model (a path or an `onnx.ModelProto`) as a verified ptensor
    module that `pelemay_ir.compile` accepts as it is: its weights are
    attached in memory under the name `FUNCTION.weights`.

    `shapes` fixes the symbolic dimensions of graph inputs (`{"x": (1, 3, 224,
    224)}`); `constants` fixes graph inputs to known values, which leave the
    function's interface (for a Reshape's shape that is a graph input, say).
    Raises `OnnxImportError` (one line: node, op, feature) for anything it
    cannot translate.
    """
    import onnx

    model, source = _load(model_or_path)
    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as e:
        raise OnnxImportError(f"not a valid ONNX model: {str(e).strip().splitlines()[0]}", source) from None
    if model.graph.sparse_initializer:
        raise OnnxImportError("sparse initializers are not supported", source)
    importer = _Importer(model, source, shapes or {}, constants or {})
    return importer.run()


def save(module: ModuleOp, mlir_path: str | Path) -> Path:
    """Write an imported module as MLIR text and its weights file beside it."""
    path = Path(mlir_path)
    if weights_file.WEIGHTS_ATTR in module.attributes:
        weights_file.attach(module, weights_file.blob_of(module), path.with_suffix(".weights").name)
    text = module_text(module)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    weights_file.save(module, path)
    return path


def parse_shape_option(text: str) -> tuple[str, list[int]]:
    """`input=1x3x224x224` as ("input", [1, 3, 224, 224])."""
    name, sep, dims = text.rpartition("=")
    if not sep or not name or not re.fullmatch(r"\d+(x\d+)*|", dims):
        raise ValueError(f"--shape expects NAME=D1xD2x..., got '{text}'")
    return name, [int(d) for d in dims.split("x")] if dims else []


def main(argv: Sequence[str] | None = None) -> int:
    """`pelemay-import-onnx model.onnx -o out/model.mlir [--shape input=1x3x224x224]`."""
    parser = argparse.ArgumentParser(
        prog="pelemay-import-onnx",
        description="Import an ONNX model as a ptensor program (MODEL.mlir and MODEL.weights).",
    )
    parser.add_argument("model", help="the .onnx file")
    parser.add_argument("-o", "--output", required=True, help="the .mlir file to write (its .weights beside it)")
    parser.add_argument(
        "--shape", action="append", default=[], metavar="NAME=DxDx...",
        help="fix the shape of a graph input with symbolic dimensions (repeatable)",
    )
    args = parser.parse_args(argv)
    try:
        shapes = dict(parse_shape_option(s) for s in args.shape)
        module = import_onnx(args.model, shapes=shapes)
        save(module, args.output)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except CompileError as e:
        print(str(e), file=sys.stderr)
        return 1
    except OSError as e:
        print(f"error: cannot write '{args.output}': {e.strerror}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
