"""A ptensor program as upstream MLIR text (linalg, tensor, arith), for IREE.

The CPU benchmark runs the same programs through IREE's llvm-cpu backend;
IREE reads upstream MLIR, not ptensor, so the f32 ops the benchmark's
workloads use are spelt here as the named linalg ops (matmul, conv_2d_nhwc_hwcf,
depthwise_conv_2d_nhwc_hwc, pooling_nhwc_sum, softmax) and linalg.generic for
elementwise work. Weights become function arguments after the program's own
inputs, so IREE sees the same tensors and no multi-megabyte literals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from xdsl.dialects.builtin import ModuleOp, TensorType, f32
from xdsl.ir import SSAValue

from pelemay_ir import reference, weights
from pelemay_ir.dialects import ptensor as pt


class NotExpressible(ValueError):
    """The program uses an op (or a form of one) this translation does not spell."""


@dataclass
class LinalgProgram:
    """MLIR text whose function `entry` takes the program's inputs, then `weights`."""

    text: str
    entry: str
    weights: list[np.ndarray] = field(default_factory=list)

    def arguments(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        return [*inputs, *self.weights]


def ttype(shape: tuple[int, ...]) -> str:
    return "tensor<" + "".join(f"{d}x" for d in shape) + "f32>"


def _ints(values: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(v) for v in values) + "]"


class _Translator:
    def __init__(self, module: ModuleOp):
        self.module = module
        self.lines: list[str] = []
        self.names: dict[SSAValue, str] = {}
        self.count = 0
        self.weight_args: list[tuple[str, tuple[int, ...]]] = []
        self.weight_arrays: list[np.ndarray] = []

    def fresh(self) -> str:
        self.count += 1
        return f"%v{self.count}"

    def emit(self, line: str) -> None:
        self.lines.append("    " + line)

    def zero_filled(self, shape: tuple[int, ...]) -> str:
        empty, filled = self.fresh(), self.fresh()
        self.emit(f"{empty} = tensor.empty() : {ttype(shape)}")
        self.emit(f"{filled} = linalg.fill ins(%zero : f32) outs({empty} : {ttype(shape)}) -> {ttype(shape)}")
        return filled

    def generic(self, out_shape: tuple[int, ...], operands: list[tuple[str, tuple[int, ...]]], body: list[str]) -> str:
        """Elementwise linalg.generic; operands broadcast numpy-style.

        `body` uses %a0, %a1, ... for the operands' elements and yields %r."""
        rank = len(out_shape)
        dims = [f"d{i}" for i in range(rank)]
        head = "(" + ", ".join(dims) + ")"
        maps = []
        for _, shape in operands:
            lead = rank - len(shape)
            exprs = [
                "0" if size == 1 and out_shape[lead + i] != 1 else dims[lead + i]
                for i, size in enumerate(shape)
            ]
            maps.append(f"affine_map<{head} -> ({', '.join(exprs)})>")
        maps.append(f"affine_map<{head} -> ({', '.join(dims)})>")
        empty, result = self.fresh(), self.fresh()
        self.emit(f"{empty} = tensor.empty() : {ttype(out_shape)}")
        ins = ", ".join(name for name, _ in operands)
        in_types = ", ".join(ttype(shape) for _, shape in operands)
        iterators = ", ".join(['"parallel"'] * rank)
        self.emit(
            f"{result} = linalg.generic {{indexing_maps = [{', '.join(maps)}], "
            f"iterator_types = [{iterators}]}} ins({ins} : {in_types}) "
            f"outs({empty} : {ttype(out_shape)}) {{"
        )
        args = ", ".join(f"%a{i}: f32" for i in range(len(operands)))
        self.emit(f"^bb0({args}, %o: f32):")
        for line in body:
            self.emit("  " + line)
        self.emit("  linalg.yield %r : f32")
        self.emit(f"}} -> {ttype(out_shape)}")
        return result

    def value(self, v: SSAValue) -> tuple[str, tuple[int, ...]]:
        return self.names[v], _shape(v)

    # --- ops ---------------------------------------------------------------

    def op(self, op) -> str:
        out = _shape(op.results[0])
        if isinstance(op, pt.WeightOp):
            name = f"%w{len(self.weight_args)}"
            self.weight_args.append((name, out))
            self.weight_arrays.append(
                np.ascontiguousarray(weights.read(self.module, op.key.data, op.offset.value.data, op.results[0].type))
            )
            return name
        unary = {
            pt.ReluOp: ["%r = arith.maximumf %a0, %zero : f32"],
            pt.Relu6Op: ["%m = arith.maximumf %a0, %zero : f32", "%r = arith.minimumf %m, %six : f32"],
            pt.NegOp: ["%r = arith.negf %a0 : f32"],
        }
        if type(op) in unary:
            return self.generic(out, [self.value(op.operands[0])], unary[type(op)])
        binary = {pt.AddOp: "arith.addf", pt.SubOp: "arith.subf", pt.MulOp: "arith.mulf", pt.DivOp: "arith.divf",
                  pt.MaxOp: "arith.maximumf", pt.MinOp: "arith.minimumf"}
        if type(op) in binary:
            operands = [self.value(v) for v in op.operands]
            return self.generic(out, operands, [f"%r = {binary[type(op)]} %a0, %a1 : f32"])
        if isinstance(op, pt.MatmulOp):
            (a, sa), (b, sb) = self.value(op.lhs), self.value(op.rhs)
            if len(sa) != 2 or len(sb) != 2:
                raise NotExpressible("only 2-D ptensor.matmul is spelt as linalg.matmul")
            init, result = self.zero_filled(out), self.fresh()
            self.emit(
                f"{result} = linalg.matmul ins({a}, {b} : {ttype(sa)}, {ttype(sb)}) "
                f"outs({init} : {ttype(out)}) -> {ttype(out)}"
            )
            return result
        if isinstance(op, pt.Conv2DOp):
            return self.conv2d(op, out)
        if isinstance(op, pt.AvgPool2DOp):
            return self.avg_pool(op, out)
        if isinstance(op, pt.ReshapeOp):
            return self.reshape(op, out)
        if isinstance(op, pt.SoftmaxOp):
            x, shape = self.value(op.input)
            axis = op.axis.value.data % len(shape)
            empty, result = self.fresh(), self.fresh()
            self.emit(f"{empty} = tensor.empty() : {ttype(out)}")
            self.emit(
                f"{result} = linalg.softmax dimension({axis}) ins({x} : {ttype(shape)}) "
                f"outs({empty} : {ttype(out)}) -> {ttype(out)}"
            )
            return result
        raise NotExpressible(f"'{op.name}' has no linalg spelling here")

    def conv2d(self, op: pt.Conv2DOp, out: tuple[int, ...]) -> str:
        x, xs = self.value(op.input)
        w, ws = self.value(op.filter)
        top, bottom, left, right = pt.ints(op.padding)
        strides, dilations = pt.ints(op.strides), pt.ints(op.dilations)
        groups = op.groups.value.data
        if any((top, bottom, left, right)):
            padded_shape = (xs[0], xs[1] + top + bottom, xs[2] + left + right, xs[3])
            padded = self.fresh()
            self.emit(f"{padded} = tensor.pad {x} low[0, {top}, {left}, 0] high[0, {bottom}, {right}, 0] {{")
            self.emit("^bb0(%i0: index, %i1: index, %i2: index, %i3: index):")
            self.emit("  tensor.yield %zero : f32")
            self.emit(f"}} : {ttype(xs)} to {ttype(padded_shape)}")
            x, xs = padded, padded_shape
        if op.bias is not None:
            b, bs = self.value(op.bias)
            empty, init = self.fresh(), self.fresh()
            self.emit(f"{empty} = tensor.empty() : {ttype(out)}")
            self.emit(f"{init} = linalg.broadcast ins({b} : {ttype(bs)}) outs({empty} : {ttype(out)}) dimensions = [0, 1, 2]")
        else:
            init = self.zero_filled(out)
        attrs = (
            f"{{dilations = dense<{_ints(dilations)}> : tensor<2xi64>, "
            f"strides = dense<{_ints(strides)}> : tensor<2xi64>}}"
        )
        result = self.fresh()
        if groups == 1:
            self.emit(
                f"{result} = linalg.conv_2d_nhwc_hwcf {attrs} ins({x}, {w} : {ttype(xs)}, {ttype(ws)}) "
                f"outs({init} : {ttype(out)}) -> {ttype(out)}"
            )
        elif groups == xs[3] and ws[2] == 1 and ws[3] == xs[3]:
            flat_shape = (ws[0], ws[1], ws[3])
            flat = self.fresh()
            self.emit(f"{flat} = tensor.collapse_shape {w} [[0], [1], [2, 3]] : {ttype(ws)} into {ttype(flat_shape)}")
            self.emit(
                f"{result} = linalg.depthwise_conv_2d_nhwc_hwc {attrs} ins({x}, {flat} : {ttype(xs)}, "
                f"{ttype(flat_shape)}) outs({init} : {ttype(out)}) -> {ttype(out)}"
            )
        else:
            raise NotExpressible(f"grouped convolution with {groups} groups (neither 1 nor depthwise)")
        return result

    def avg_pool(self, op: pt.AvgPool2DOp, out: tuple[int, ...]) -> str:
        x, xs = self.value(op.input)
        if any(pt.ints(op.padding)):
            raise NotExpressible("padded average pooling (padding is not counted) has no linalg spelling here")
        kernel, strides = pt.ints(op.kernel), pt.ints(op.strides)
        window, summed = self.fresh(), self.fresh()
        init = self.zero_filled(out)
        self.emit(f"{window} = tensor.empty() : {ttype(kernel)}")
        self.emit(
            f"{summed} = linalg.pooling_nhwc_sum {{dilations = dense<1> : tensor<2xi64>, "
            f"strides = dense<{_ints(strides)}> : tensor<2xi64>}} ins({x}, {window} : {ttype(xs)}, "
            f"{ttype(kernel)}) outs({init} : {ttype(out)}) -> {ttype(out)}"
        )
        scale = 1.0 / (kernel[0] * kernel[1])
        return self.generic(out, [(summed, out)], [f"%s = arith.constant {scale!r} : f32", "%r = arith.mulf %a0, %s : f32"])

    def reshape(self, op: pt.ReshapeOp, out: tuple[int, ...]) -> str:
        x, xs = self.value(op.input)
        count = int(np.prod(xs))
        flat = x
        if len(xs) != 1:
            flat = self.fresh()
            self.emit(f"{flat} = tensor.collapse_shape {x} [{_ints(tuple(range(len(xs))))}] : {ttype(xs)} into {ttype((count,))}")
        if len(out) == 1:
            return flat
        result = self.fresh()
        self.emit(
            f"{result} = tensor.expand_shape {flat} [{_ints(tuple(range(len(out))))}] output_shape {_ints(out)} "
            f": {ttype((count,))} into {ttype(out)}"
        )
        return result


def _shape(v: SSAValue) -> tuple[int, ...]:
    t = v.type
    if not isinstance(t, TensorType) or t.element_type != f32:
        raise NotExpressible(f"only f32 tensors are spelt here, got {t}")
    return tuple(t.get_shape())


def translate(module: ModuleOp, entry: str = "main") -> LinalgProgram:
    """The entry function of `module` as linalg MLIR text (or NotExpressible)."""
    function = reference.entry_function(module)
    tr = _Translator(module)
    params = []
    for k, arg in enumerate(function.body.block.args):
        tr.names[arg] = f"%in{k}"
        params.append(f"%in{k}: {ttype(_shape(arg))}")
    returned: list[str] = []
    result_types: list[str] = []
    tr.emit("%zero = arith.constant 0.0 : f32")
    tr.emit("%six = arith.constant 6.0 : f32")
    for op in function.body.block.ops:
        if op.name == "func.return":
            returned = [tr.names[v] for v in op.operands]
            result_types = [ttype(_shape(v)) for v in op.operands]
            break
        tr.names[op.results[0]] = tr.op(op)
    params += [f"{name}: {ttype(shape)}" for name, shape in tr.weight_args]
    text = "\n".join(
        [
            f"func.func @{entry}({', '.join(params)}) -> ({', '.join(result_types)}) {{",
            *tr.lines,
            f"    return {', '.join(returned)} : {', '.join(result_types)}",
            "}",
            "",
        ]
    )
    return LinalgProgram(text, entry, tr.weight_arrays)
