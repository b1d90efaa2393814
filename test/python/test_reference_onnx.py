"""The reference evaluator against an independent implementation: ONNX's own.

Convolution, pooling, matmul and normalisation are where a reference is most
easily wrong (layouts, padding order, group slicing, biased variance), so each
is cross-checked with `onnx.reference.ReferenceEvaluator` on seeded random
inputs. ONNX is NCHW with OIHW filters; the arrays are transposed to match.
"""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

from pelemay_ir import ir, reference

RTOL, ATOL = 1e-4, 1e-5


def onnx_run(op_type: str, inputs: list[np.ndarray], opset: int = 17, **attrs) -> np.ndarray:
    """Run one ONNX node on `inputs` with the reference evaluator."""
    names = [f"in{i}" for i in range(len(inputs))]
    node = helper.make_node(op_type, names, ["out"], **attrs)
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, a.shape) for n, a in zip(names, inputs)],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, None)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    (out,) = ReferenceEvaluator(model).run(None, dict(zip(names, inputs)))
    return np.asarray(out)


def T(a: np.ndarray | tuple[int, ...]) -> str:
    shape = a.shape if isinstance(a, np.ndarray) else a
    return "tensor<" + "".join(f"{d}x" for d in shape) + "f32>"


def ours(line: str, result_shape: tuple[int, ...], *args: np.ndarray) -> np.ndarray:
    params = ", ".join(f"%a{i}: {T(a)}" for i, a in enumerate(args))
    rt = T(result_shape)
    text = f"func.func @f({params}) -> {rt} {{\n  %r = {line}\n  func.return %r : {rt}\n}}\n"
    (out,) = reference.evaluate(ir.parse(text), list(args))
    return out


def rand(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.standard_normal(shape).astype(np.float32)


def to_nchw(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


def to_nhwc(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1))


def window_out(size: int, k: int, s: int, d: int, lo: int, hi: int) -> int:
    return (size + lo + hi - (d * (k - 1) + 1)) // s + 1


def close(got: np.ndarray, want: np.ndarray) -> None:
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


# --- conv2d ---------------------------------------------------------------------------


CONV_CASES = [
    # (N, H, W, C, F, KH, KW, strides, dilations, padding [t, b, l, r], groups, bias)
    (1, 8, 8, 3, 4, 3, 3, (1, 1), (1, 1), (0, 0, 0, 0), 1, False),
    (2, 9, 7, 4, 6, 3, 3, (2, 2), (1, 1), (1, 1, 1, 1), 1, True),
    (1, 10, 11, 6, 6, 3, 3, (1, 2), (2, 1), (2, 0, 1, 3), 3, True),
    (1, 12, 12, 8, 8, 3, 3, (2, 2), (1, 1), (0, 1, 0, 1), 8, True),  # depthwise, TF "same"
    (1, 7, 7, 4, 8, 5, 3, (1, 1), (1, 2), (2, 2, 2, 2), 4, False),  # depth multiplier 2
    (3, 6, 6, 16, 32, 1, 1, (1, 1), (1, 1), (0, 0, 0, 0), 1, True),  # pointwise
    (1, 9, 9, 4, 2, 2, 4, (3, 1), (2, 2), (1, 2, 3, 0), 2, True),
]


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: "x".join(map(str, c[:7])))
def test_conv2d_matches_onnx(case):
    n, h, w, c, f, kh, kw, strides, dilations, padding, groups, with_bias = case
    rng = np.random.default_rng(hash(case) % 2**32)
    x = rand(rng, n, h, w, c)
    filt = rand(rng, kh, kw, c // groups, f)
    bias = rand(rng, f) if with_bias else None
    top, bottom, left, right = padding
    oh = window_out(h, kh, strides[0], dilations[0], top, bottom)
    ow = window_out(w, kw, strides[1], dilations[1], left, right)
    args = [x, filt] + ([bias] if with_bias else [])
    operands = ", ".join(f"%a{i}" for i in range(len(args)))
    attrs = (
        f"strides = array<i64: {strides[0]}, {strides[1]}>, "
        f"dilations = array<i64: {dilations[0]}, {dilations[1]}>, "
        f"padding = array<i64: {top}, {bottom}, {left}, {right}>, groups = {groups} : i64"
    )
    line = f"ptensor.conv2d {operands} {{{attrs}}} : {', '.join(T(a) for a in args)} -> {T((n, oh, ow, f))}"
    got = ours(line, (n, oh, ow, f), *args)
    onnx_inputs = [to_nchw(x), np.ascontiguousarray(filt.transpose(3, 2, 0, 1))]
    if with_bias:
        onnx_inputs.append(bias)
    want = onnx_run(
        "Conv",
        onnx_inputs,
        strides=list(strides),
        dilations=list(dilations),
        pads=[top, left, bottom, right],
        group=groups,
        kernel_shape=[kh, kw],
    )
    close(got, to_nhwc(want))


# --- pooling ------------------------------------------------------------------------------


POOL_CASES = [
    # (N, H, W, C, kernel, strides, padding [t, b, l, r])
    (1, 8, 8, 3, (2, 2), (2, 2), (0, 0, 0, 0)),
    (2, 7, 9, 4, (3, 3), (2, 2), (1, 1, 1, 1)),
    (1, 6, 5, 2, (3, 2), (1, 2), (2, 0, 1, 1)),
    (1, 7, 7, 5, (7, 7), (1, 1), (0, 0, 0, 0)),  # global
    (1, 5, 6, 3, (2, 3), (3, 1), (1, 1, 0, 2)),
]


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("case", POOL_CASES, ids=lambda c: "x".join(map(str, c[:4])) + f"-k{c[4]}-s{c[5]}-p{c[6]}")
def test_pool2d_matches_onnx(kind, case):
    n, h, w, c, kernel, strides, padding = case
    rng = np.random.default_rng(sum(map(hash, case)) % 2**32)
    x = rand(rng, n, h, w, c)
    top, bottom, left, right = padding
    oh = window_out(h, kernel[0], strides[0], 1, top, bottom)
    ow = window_out(w, kernel[1], strides[1], 1, left, right)
    attrs = (
        f"kernel = array<i64: {kernel[0]}, {kernel[1]}>, strides = array<i64: {strides[0]}, {strides[1]}>, "
        f"padding = array<i64: {top}, {bottom}, {left}, {right}>"
    )
    line = f"ptensor.{kind}_pool2d %a0 {{{attrs}}} : {T(x)} -> {T((n, oh, ow, c))}"
    got = ours(line, (n, oh, ow, c), x)
    extra = {"count_include_pad": 0} if kind == "avg" else {}
    want = onnx_run(
        "MaxPool" if kind == "max" else "AveragePool",
        [to_nchw(x)],
        kernel_shape=list(kernel),
        strides=list(strides),
        pads=[top, left, bottom, right],
        **extra,
    )
    close(got, to_nhwc(want))


# --- matmul -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "a_shape, b_shape",
    [
        ((4, 5), (5, 3)),
        ((1, 64), (64, 10)),
        ((3, 4, 5), (3, 5, 2)),
        ((2, 1, 4, 6), (3, 6, 5)),
        ((5, 7), (2, 7, 3)),
        ((2, 3, 1, 8), (1, 1, 8, 1)),
    ],
)
def test_matmul_matches_onnx(a_shape, b_shape):
    rng = np.random.default_rng(len(a_shape) * 100 + a_shape[-1])
    a, b = rand(rng, *a_shape), rand(rng, *b_shape)
    want = onnx_run("MatMul", [a, b])
    line = f"ptensor.matmul %a0, %a1 : {T(a)}, {T(b)} -> {T(want.shape)}"
    close(ours(line, want.shape, a, b), want)


# --- softmax and normalisation ------------------------------------------------------------------


@pytest.mark.parametrize("shape, axis", [((4, 10), -1), ((2, 3, 5), 1), ((3, 4), 0), ((2, 2, 2, 7), 3)])
def test_softmax_matches_onnx(shape, axis):
    rng = np.random.default_rng(sum(shape) + axis)
    x = rand(rng, *shape) * 10
    line = f"ptensor.softmax %a0 {{axis = {axis} : i64}} : {T(x)} -> {T(x)}"
    close(ours(line, shape, x), onnx_run("Softmax", [x], opset=13, axis=axis))


@pytest.mark.parametrize("shape, axis, eps", [((4, 16), -1, 1e-5), ((2, 3, 8), 1, 1e-3), ((2, 5, 6), 2, 1e-6), ((3, 2, 2, 4), -3, 1e-5)])
def test_layer_norm_matches_onnx(shape, axis, eps):
    rng = np.random.default_rng(sum(shape) * 7 + axis)
    x = rand(rng, *shape) * 3 + 1
    trailing = shape[axis % len(shape) :]
    scale, offset = rand(rng, *trailing), rand(rng, *trailing)
    line = (
        f"ptensor.layer_norm %a0, %a1, %a2 {{axis = {axis} : i64, epsilon = {eps:e} : f32}} : "
        f"{T(x)}, {T(scale)}, {T(offset)} -> {T(x)}"
    )
    got = ours(line, shape, x, scale, offset)
    want = onnx_run("LayerNormalization", [x, scale, offset], axis=axis, epsilon=float(np.float32(eps)))
    close(got, want)


@pytest.mark.parametrize("shape, eps", [((1, 4, 4, 3), 1e-5), ((2, 3, 5, 8), 1e-3), ((3, 6), 1e-5)])
def test_batch_norm_matches_onnx(shape, eps):
    rng = np.random.default_rng(sum(shape))
    x = rand(rng, *shape)
    c = shape[-1]
    scale, offset, mean = rand(rng, c), rand(rng, c), rand(rng, c)
    var = (rng.random(c) + 0.1).astype(np.float32)
    args = [x, scale, offset, mean, var]
    line = (
        f"ptensor.batch_norm %a0, %a1, %a2, %a3, %a4 {{epsilon = {eps:e} : f32}} : "
        f"{', '.join(T(a) for a in args)} -> {T(x)}"
    )
    got = ours(line, shape, *args)
    channels_first = to_nchw(x) if x.ndim == 4 else x
    want = onnx_run(
        "BatchNormalization", [channels_first, scale, offset, mean, var], opset=15, epsilon=float(np.float32(eps))
    )
    close(got, to_nhwc(want) if x.ndim == 4 else want)
