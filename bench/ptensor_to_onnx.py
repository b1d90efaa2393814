"""A ptensor program as an ONNX graph (onnx.helper), for onnxruntime.

The CPU benchmark runs the same programs, with the same weights, through
onnxruntime. ONNX convolutions are NCHW with OIHW filters, so each framework
gets its native layout: 4-D program inputs are fed transposed to NCHW and
filters (weights or inputs) as OIHW, all outside the timed call; a 4-D
result stays NCHW and is transposed back after it. Inside the graph a value
is transposed to NHWC only where the program's meaning depends on the order
(before a reshape or an op mixing it with a non-NCHW value).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from xdsl.dialects.builtin import ModuleOp, TensorType, f32
from xdsl.ir import SSAValue

from pelemay_ir import reference, weights
from pelemay_ir.dialects import ptensor as pt

OPSET = 17

NCHW_OF_NHWC = (0, 3, 1, 2)
NHWC_OF_NCHW = (0, 2, 3, 1)
OIHW_OF_HWCF = (3, 2, 0, 1)


class NotExpressible(ValueError):
    """The program uses an op (or a form of one) this translation does not spell."""


@dataclass
class OnnxProgram:
    """An ONNX model plus how to feed it the program's inputs and read its outputs."""

    model: object  # onnx.ModelProto
    input_names: list[str]
    feed_transforms: list[Callable[[np.ndarray], np.ndarray]]
    output_names: list[str]
    output_shapes: list[tuple[int, ...]]
    output_transforms: list[Callable[[np.ndarray], np.ndarray]]

    def feeds(self, inputs: list[np.ndarray]) -> dict[str, np.ndarray]:
        return {
            name: np.ascontiguousarray(transform(x))
            for name, transform, x in zip(self.input_names, self.feed_transforms, inputs)
        }

    def results(self, outputs: list[np.ndarray]) -> list[np.ndarray]:
        """The model's outputs in the program's layout."""
        return [np.ascontiguousarray(t(x)) for t, x in zip(self.output_transforms, outputs)]


def _shape(v: SSAValue) -> tuple[int, ...]:
    t = v.type
    if not isinstance(t, TensorType) or t.element_type != f32:
        raise NotExpressible(f"only f32 tensors are spelt here, got {t}")
    return tuple(t.get_shape())


def _same(x: np.ndarray) -> np.ndarray:
    return x


def translate(module: ModuleOp) -> OnnxProgram:
    """The entry function of `module` as an ONNX model (or NotExpressible)."""
    from onnx import TensorProto, helper, numpy_helper

    function = reference.entry_function(module)
    nodes: list = []
    initializers: list = []
    # SSA value -> (onnx name, "nchw" for a 4-D activation held as NCHW, else "plain")
    names: dict[SSAValue, tuple[str, str]] = {}
    constants: dict[SSAValue, np.ndarray] = {}
    counter = iter(range(1 << 30))

    def fresh(hint: str) -> str:
        return f"{hint}_{next(counter)}"

    def initializer(array: np.ndarray, hint: str, dtype: type = np.float32) -> str:
        name = fresh(hint)
        initializers.append(numpy_helper.from_array(np.ascontiguousarray(array, dtype=dtype), name))
        return name

    def node(op_type: str, inputs: list[str], hint: str, **attrs) -> str:
        out = fresh(hint)
        nodes.append(helper.make_node(op_type, inputs, [out], **attrs))
        return out

    def plain(v: SSAValue) -> str:
        """The value in its program layout (NHWC for 4-D)."""
        if v in constants:
            return initializer(constants[v], "w")
        name, layout = names[v]
        if layout == "nchw":
            return node("Transpose", [name], "nhwc", perm=list(NHWC_OF_NCHW))
        return name

    # Which program inputs are used as convolution filters (fed as OIHW).
    block = function.body.block
    filter_args = {op.filter for op in block.ops if isinstance(op, pt.Conv2DOp)}
    graph_inputs, input_names, transforms = [], [], []
    for k, arg in enumerate(block.args):
        shape = _shape(arg)
        name = f"in{k}"
        if arg in filter_args:
            transform, fed_shape, layout = (lambda x: x.transpose(OIHW_OF_HWCF)), tuple(shape[i] for i in OIHW_OF_HWCF), "oihw"
        elif len(shape) == 4:
            transform, fed_shape, layout = (lambda x: x.transpose(NCHW_OF_NHWC)), tuple(shape[i] for i in NCHW_OF_NHWC), "nchw"
        else:
            transform, fed_shape, layout = _same, shape, "plain"
        graph_inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, list(fed_shape)))
        input_names.append(name)
        transforms.append(transform)
        names[arg] = (name, layout)

    # (onnx name, shape as produced, transform back to the program's layout)
    outputs: list[tuple[str, tuple[int, ...], Callable[[np.ndarray], np.ndarray]]] = []
    for op in block.ops:
        if op.name == "func.return":
            for v in op.operands:
                shape = _shape(v)
                if v in names and names[v][1] == "nchw":
                    # left NCHW; transposed back after the timed call
                    nchw = tuple(shape[i] for i in NCHW_OF_NHWC)
                    outputs.append((names[v][0], nchw, lambda x: x.transpose(NHWC_OF_NCHW)))
                else:
                    outputs.append((plain(v), shape, _same))
            break
        result = op.results[0]
        if isinstance(op, pt.WeightOp):
            constants[result] = np.array(weights.read(module, op.key.data, op.offset.value.data, result.type))
            continue
        if isinstance(op, pt.Conv2DOp):
            x_name, x_layout = names[op.input] if op.input in names else (plain(op.input), "plain")
            if x_layout != "nchw":
                x_name = node("Transpose", [x_name], "nchw", perm=list(NCHW_OF_NHWC))
            if op.filter in constants:
                w_name = initializer(constants[op.filter].transpose(OIHW_OF_HWCF), "filter")
            elif names[op.filter][1] == "oihw":
                w_name = names[op.filter][0]
            else:
                raise NotExpressible("a convolution filter computed by the program")
            inputs = [x_name, w_name]
            if op.bias is not None:
                inputs.append(plain(op.bias))
            top, bottom, left, right = pt.ints(op.padding)
            out = node(
                "Conv", inputs, "conv",
                strides=list(pt.ints(op.strides)), dilations=list(pt.ints(op.dilations)),
                pads=[top, left, bottom, right], group=op.groups.value.data,
            )
            names[result] = (out, "nchw")
        elif isinstance(op, pt.AvgPool2DOp):
            x_name, layout = names[op.input]
            if layout != "nchw":
                x_name = node("Transpose", [x_name], "nchw", perm=list(NCHW_OF_NHWC))
            top, bottom, left, right = pt.ints(op.padding)
            out = node(
                "AveragePool", [x_name], "pool", kernel_shape=list(pt.ints(op.kernel)),
                strides=list(pt.ints(op.strides)), pads=[top, left, bottom, right], count_include_pad=0,
            )
            names[result] = (out, "nchw")
        elif isinstance(op, (pt.ReluOp, pt.Relu6Op)):
            x_name, layout = names[op.input]
            if isinstance(op, pt.ReluOp):
                out = node("Relu", [x_name], "relu")
            else:
                lo = initializer(np.array(0, np.float32), "lo")
                hi = initializer(np.array(6, np.float32), "hi")
                out = node("Clip", [x_name, lo, hi], "relu6")
            names[result] = (out, layout)
        elif isinstance(op, (pt.AddOp, pt.SubOp, pt.MulOp, pt.DivOp, pt.MaxOp, pt.MinOp)):
            kind = {pt.AddOp: "Add", pt.SubOp: "Sub", pt.MulOp: "Mul", pt.DivOp: "Div",
                    pt.MaxOp: "Max", pt.MinOp: "Min"}[type(op)]
            layouts = {names[v][1] for v in op.operands if v in names}
            if "nchw" in layouts and all(v in names and names[v][1] == "nchw" for v in op.operands):
                out = node(kind, [names[v][0] for v in op.operands], kind.lower())
                names[result] = (out, "nchw")
            else:
                names[result] = (node(kind, [plain(v) for v in op.operands], kind.lower()), "plain")
        elif isinstance(op, pt.MatmulOp):
            names[result] = (node("MatMul", [plain(op.lhs), plain(op.rhs)], "matmul"), "plain")
        elif isinstance(op, pt.ReshapeOp):
            shape = initializer(np.array(_shape(result)), "shape", np.int64)
            names[result] = (node("Reshape", [plain(op.input), shape], "reshape"), "plain")
        elif isinstance(op, pt.SoftmaxOp):
            axis = op.axis.value.data
            names[result] = (node("Softmax", [plain(op.input)], "softmax", axis=axis), "plain")
        else:
            raise NotExpressible(f"'{op.name}' has no ONNX spelling here")

    output_names = []
    graph_outputs = []
    for k, (name, shape, _) in enumerate(outputs):
        out_name = f"out{k}"
        nodes.append(helper.make_node("Identity", [name], [out_name]))
        graph_outputs.append(helper.make_tensor_value_info(out_name, TensorProto.FLOAT, list(shape)))
        output_names.append(out_name)
    graph = helper.make_graph(nodes, function.sym_name.data, graph_inputs, graph_outputs, initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    return OnnxProgram(
        model, input_names, transforms, output_names,
        [shape for _, shape, _ in outputs], [t for _, _, t in outputs],
    )
