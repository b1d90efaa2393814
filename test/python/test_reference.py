"""The reference evaluator against hand-computed results, op by op and rule by rule.

Each expected value below is worked out by hand (or by an explicit loop in
the test), so these tests pin down docs/semantics.md independently of NumPy's
own choices on overflow, NaN and rounding.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from xdsl.dialects.builtin import ModuleOp

from pelemay_ir import ir, reference, weights
from pelemay_ir.dialects import ptensor as pt
from pelemay_ir.ir import CompileError

NAN = np.nan
INF = np.inf
I32_MIN, I32_MAX = -(2**31), 2**31 - 1

_ELEM = {
    np.dtype(np.float32): "f32",
    np.dtype(np.float16): "f16",
    np.dtype(np.int32): "i32",
    np.dtype(np.int8): "i8",
    np.dtype(np.bool_): "i1",
}


def T(a: np.ndarray) -> str:
    """The MLIR tensor type of an array."""
    return "tensor<" + "".join(f"{d}x" for d in a.shape) + _ELEM[a.dtype] + ">"


def run_op(line: str, result_type: str, *args: np.ndarray) -> np.ndarray:
    """Evaluate `%r = LINE` in a function of `%a0, %a1, ...` typed like `args`."""
    params = ", ".join(f"%a{i}: {T(a)}" for i, a in enumerate(args))
    text = (
        f"func.func @f({params}) -> {result_type} {{\n"
        f"  %r = {line}\n"
        f"  func.return %r : {result_type}\n"
        "}\n"
    )
    (out,) = reference.evaluate(ir.parse(text), list(args))
    return out


def unary(name: str, x: np.ndarray) -> np.ndarray:
    return run_op(f"ptensor.{name} %a0 : {T(x)}", T(x), x)


def binary(name: str, a: np.ndarray, b: np.ndarray, result: str | None = None) -> np.ndarray:
    shape = np.broadcast_shapes(a.shape, b.shape)
    result = result or T(np.zeros(shape, a.dtype))
    return run_op(f"ptensor.{name} %a0, %a1 : {T(a)}, {T(b)} -> {result}", result, a, b)


def f32a(*values) -> np.ndarray:
    return np.array(values, dtype=np.float32)


def same(got: np.ndarray, want: np.ndarray) -> None:
    """Exact equality, NaN equal to NaN, dtype and shape included."""
    want = np.asarray(want)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_array_equal(got, want)


# --- constants -------------------------------------------------------------------


@pytest.mark.parametrize(
    "literal, want",
    [
        ("dense<[1.5, -2.0]> : tensor<2xf32>", f32a(1.5, -2.0)),
        ("dense<2.5> : tensor<2x2xf16>", np.full((2, 2), 2.5, np.float16)),
        ("dense<[[-128, 127]]> : tensor<1x2xi8>", np.array([[-128, 127]], np.int8)),
        ("dense<-7> : tensor<i32>", np.array(-7, np.int32)),
        ("dense<[true, false, true]> : tensor<3xi1>", np.array([True, False, True])),
    ],
)
def test_constant(literal, want):
    ty = literal.split(" : ")[1]
    same(run_op(f"ptensor.constant {literal}", ty), want)


# --- elementwise unary --------------------------------------------------------------


def test_float_unary_ops():
    x = f32a(-2.0, -0.5, 0.0, 0.5, 4.0, 8.0)
    same(unary("neg", x), f32a(2.0, 0.5, -0.0, -0.5, -4.0, -8.0))
    same(unary("abs", x), f32a(2.0, 0.5, 0.0, 0.5, 4.0, 8.0))
    same(unary("relu", x), f32a(0, 0, 0, 0.5, 4, 8))
    same(unary("relu6", x), f32a(0, 0, 0, 0.5, 4, 6))
    pos = f32a(0.25, 1.0, 4.0, 16.0)
    same(unary("sqrt", pos), f32a(0.5, 1, 2, 4))
    same(unary("rsqrt", pos), f32a(2, 1, 0.5, 0.25))
    same(unary("log", f32a(1.0)), f32a(0.0))
    same(unary("exp", f32a(0.0, -INF)), f32a(1.0, 0.0))
    same(unary("sigmoid", f32a(0.0, -INF, INF)), f32a(0.5, 0.0, 1.0))
    same(unary("tanh", f32a(0.0, INF, -INF)), f32a(0.0, 1.0, -1.0))
    same(unary("gelu", f32a(0.0, -INF)), f32a(0.0, NAN))  # -inf * 0 is NaN


def test_transcendentals_match_math_rounded_to_f32():
    x = f32a(-3.0, -1.0, -0.25, 0.3, 1.0, 2.5)
    erf_gelu = [0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in x.tolist()]
    same(unary("gelu", x), np.array(erf_gelu, np.float32))
    same(unary("exp", x), np.array([math.exp(v) for v in x.tolist()], np.float32))
    same(unary("tanh", x), np.array([math.tanh(v) for v in x.tolist()], np.float32))
    sig = [1 / (1 + math.exp(-v)) for v in x.tolist()]
    same(unary("sigmoid", x), np.array(sig, np.float32))
    same(unary("log", f32a(2.0, 10.0)), np.array([math.log(2), math.log(10)], np.float32))


def test_gelu_known_value():
    # 0.5 * (1 + erf(1/sqrt 2)) = Phi(1) = 0.8413447460685429
    same(unary("gelu", f32a(1.0)), f32a(0.8413447460685429))


def test_float_domain_edges():
    same(unary("log", f32a(0.0, -1.0)), f32a(-INF, NAN))
    same(unary("sqrt", f32a(-1.0)), f32a(NAN))
    same(unary("rsqrt", f32a(0.0)), f32a(INF))
    same(unary("exp", f32a(100.0)), f32a(INF))


def test_nan_propagates_through_relu_and_clamp():
    x = f32a(NAN, -1.0, 7.0)
    same(unary("relu", x), f32a(NAN, 0, 7))
    same(unary("relu6", x), f32a(NAN, 0, 6))
    line = f"ptensor.clamp %a0 {{min = -0.5 : f32, max = 0.5 : f32}} : {T(x)}"
    same(run_op(line, T(x), x), f32a(NAN, -0.5, 0.5))


@pytest.mark.parametrize("dtype, lo, hi", [(np.int8, -128, 127), (np.int32, I32_MIN, I32_MAX)])
def test_integer_unary_wraps(dtype, lo, hi):
    x = np.array([lo, lo + 1, -3, 0, 5, 9, hi], dtype)
    same(unary("neg", x), np.array([lo, hi, 3, 0, -5, -9, lo + 1], dtype))
    same(unary("abs", x), np.array([lo, hi, 3, 0, 5, 9, hi], dtype))
    same(unary("relu", x), np.array([0, 0, 0, 0, 5, 9, hi], dtype))
    same(unary("relu6", x), np.array([0, 0, 0, 0, 5, 6, 6], dtype))
    el = _ELEM[np.dtype(dtype)]
    line = f"ptensor.clamp %a0 {{min = -4 : {el}, max = 6 : {el}}} : {T(x)}"
    same(run_op(line, T(x), x), np.array([-4, -4, -3, 0, 5, 6, 6], dtype))


def test_clamp_bounds_round_to_f16():
    x = np.array([0.0, 1.0], np.float16)
    # 0.1 is not an f16; its f16 rounding is 0.0999755859375.
    line = f"ptensor.clamp %a0 {{min = 0.1 : f16, max = 0.5 : f16}} : {T(x)}"
    same(run_op(line, T(x), x), np.array([0.0999755859375, 0.5], np.float16))


# --- elementwise binary -----------------------------------------------------------------


def test_float_binary_ops():
    a, b = f32a(6.0, -3.0, 1.0, 0.0), f32a(2.0, 4.0, 0.0, 0.0)
    same(binary("add", a, b), f32a(8, 1, 1, 0))
    same(binary("sub", a, b), f32a(4, -7, 1, 0))
    same(binary("mul", a, b), f32a(12, -12, 0, 0))
    same(binary("div", a, b), f32a(3, -0.75, INF, NAN))
    same(binary("max", a, b), f32a(6, 4, 1, 0))
    same(binary("min", a, b), f32a(2, -3, 0, 0))


def test_float_max_min_propagate_nan_from_either_side():
    a, b = f32a(NAN, 1.0, NAN), f32a(1.0, NAN, NAN)
    same(binary("max", a, b), f32a(NAN, NAN, NAN))
    same(binary("min", a, b), f32a(NAN, NAN, NAN))


def test_f32_arithmetic_stays_in_f32():
    # In f64 this would be exactly 1 + 2^-30; in f32 it rounds back to 1.
    same(binary("add", f32a(1.0), f32a(2.0**-30)), f32a(1.0))
    # 16777216 + 1 is not an f32: ties to even.
    same(binary("add", f32a(16777216.0), f32a(1.0)), f32a(16777216.0))


@pytest.mark.parametrize(
    "a_shape, b_shape, out_shape",
    [
        ((3, 1), (1, 4), (3, 4)),
        ((2, 3, 4), (4,), (2, 3, 4)),
        ((), (2, 2), (2, 2)),
        ((1, 1, 5), (3, 1), (1, 3, 5)),
        ((2, 1, 3), (1, 4, 1), (2, 4, 3)),
    ],
)
def test_broadcasting(a_shape, b_shape, out_shape):
    a = np.arange(int(np.prod(a_shape)), dtype=np.float32).reshape(a_shape)
    b = np.arange(int(np.prod(b_shape)), dtype=np.float32).reshape(b_shape) * 10
    got = binary("add", a, b)
    assert got.shape == out_shape
    for index in np.ndindex(out_shape):
        ai = tuple(0 if d == 1 else i for i, d in zip(index[len(index) - len(a_shape) :], a_shape))
        bi = tuple(0 if d == 1 else i for i, d in zip(index[len(index) - len(b_shape) :], b_shape))
        assert got[index] == a[ai] + b[bi]


def test_i8_arithmetic_wraps():
    a = np.array([127, -128, 100, -100, 16], np.int8)
    b = np.array([1, -1, 100, 100, 16], np.int8)
    same(binary("add", a, b), np.array([-128, 127, -56, 0, 32], np.int8))
    same(binary("sub", a, b), np.array([126, -127, 0, 56, 0], np.int8))
    same(binary("mul", a, b), np.array([127, -128, 16, -16, 0], np.int8))


def test_i32_arithmetic_wraps():
    a = np.array([I32_MAX, I32_MIN, 65536, 46341], np.int32)
    b = np.array([1, 1, 65536, 46341], np.int32)
    same(binary("add", a, b), np.array([I32_MIN, I32_MIN + 1, 131072, 92682], np.int32))
    same(binary("sub", a, b), np.array([I32_MAX - 1, I32_MAX, 0, 0], np.int32))
    # 46341^2 = 2147488281 = 2^31 + 4633 wraps to -2^31 + 4633.
    same(binary("mul", a, b), np.array([I32_MAX, I32_MIN, 0, I32_MIN + 4633], np.int32))


@pytest.mark.parametrize("dtype", [np.int8, np.int32])
def test_integer_division_truncates_and_defines_edge_cases(dtype):
    lo = np.iinfo(dtype).min
    a = np.array([7, -7, 7, -7, 5, -5, 0, lo, lo], dtype)
    b = np.array([2, 2, -2, -2, 0, 0, 0, -1, 1], dtype)
    same(binary("div", a, b), np.array([3, -3, -3, 3, 0, 0, 0, lo, lo], dtype))


def test_integer_max_min():
    a = np.array([I32_MIN, 5, -1], np.int32)
    b = np.array([0, 5, -2], np.int32)
    same(binary("max", a, b), np.array([0, 5, -1], np.int32))
    same(binary("min", a, b), np.array([I32_MIN, 5, -2], np.int32))


def test_f16_rounds_after_each_op_to_nearest_even():
    def h(*v):
        return np.array(v, np.float16)

    # f16 spacing at 2048 is 2: 2049 ties to even 2048, 2051 ties to 2052.
    same(binary("add", h(2048, 2048), h(1, 3)), h(2048, 2052))
    # 65504 + 16 = 65520 is halfway to 65536, which overflows: +inf.
    same(binary("add", h(65504, 65504), h(15, 16)), h(65504, INF))
    # 0.1 * 3 in f32 then rounded once (not f16 products of f16 steps).
    same(binary("mul", h(0.1), h(3)), h(np.float32(np.float16(0.1)) * np.float32(3)))
    same(binary("div", h(1), h(3)), h(1 / 3))


def test_f16_reduction_accumulates_in_f32():
    x = np.array([2048, 1, 1], np.float16)
    # Summed in f16 step by step this would stay 2048; in f32 it is 2050.
    got = run_op(f"ptensor.reduce_sum %a0 {{axes = array<i64: 0>}} : {T(x)} -> tensor<f16>", "tensor<f16>", x)
    same(got, np.array(2050, np.float16))


# --- compare and select ---------------------------------------------------------------


@pytest.mark.parametrize(
    "pred, want",
    [
        ("eq", [False, True, False, False, False]),
        ("ne", [True, False, True, True, True]),
        ("lt", [True, False, False, False, False]),
        ("le", [True, True, False, False, False]),
        ("gt", [False, False, True, False, False]),
        ("ge", [False, True, True, False, False]),
    ],
)
def test_compare_floats_nan_is_unordered(pred, want):
    a, b = f32a(1, 2, 3, NAN, NAN), f32a(2, 2, 2, 1, NAN)
    line = f'ptensor.compare "{pred}", %a0, %a1 : {T(a)}, {T(b)} -> tensor<5xi1>'
    same(run_op(line, "tensor<5xi1>", a, b), np.array(want))


def test_compare_integers_broadcast():
    a = np.array([[1], [5]], np.int8)
    b = np.array([0, 1, 5], np.int8)
    line = f'ptensor.compare "ge", %a0, %a1 : {T(a)}, {T(b)} -> tensor<2x3xi1>'
    same(run_op(line, "tensor<2x3xi1>", a, b), np.array([[1, 1, 0], [1, 1, 1]], bool))


def test_select_broadcasts_three_ways():
    c = np.array([[True], [False]])
    a = np.array([1, 2, 3], np.int32)
    b = np.array(9, np.int32).reshape(())
    line = f"ptensor.select %a0, %a1, %a2 : {T(c)}, {T(a)}, {T(b)} -> tensor<2x3xi32>"
    same(run_op(line, "tensor<2x3xi32>", c, a, b), np.array([[1, 2, 3], [9, 9, 9]], np.int32))


# --- cast ------------------------------------------------------------------------------------


def cast(x: np.ndarray, to: str) -> np.ndarray:
    ty = T(x).rsplit("x", 1)[0] + "x" + to + ">" if x.shape else f"tensor<{to}>"
    return run_op(f"ptensor.cast %a0 : {T(x)} -> {ty}", ty, x)


def test_cast_float_to_int_truncates_and_saturates():
    x = f32a(1.9, -1.9, 300.7, -300.0, 127.99, -128.5, NAN, INF, -INF, -0.0)
    same(cast(x, "i8"), np.array([1, -1, 127, -128, 127, -128, 0, 127, -128, 0], np.int8))
    y = f32a(3e9, -3e9, 2147483520.0, -2147483648.0, NAN, 2.5)
    same(cast(y, "i32"), np.array([I32_MAX, I32_MIN, 2147483520, I32_MIN, 0, 2], np.int32))
    same(cast(np.array([60000, -2.5, -INF], np.float16), "i8"), np.array([127, -2, -128], np.int8))


def test_cast_int_to_int_wraps():
    same(cast(np.array([300, -129, 127, 256], np.int32), "i8"), np.array([44, 127, 127, 0], np.int8))
    same(cast(np.array([-1, 127], np.int8), "i32"), np.array([-1, 127], np.int32))


def test_cast_to_and_from_bool():
    same(cast(f32a(0.0, -0.0, 2.5, NAN), "i1"), np.array([False, False, True, True]))
    same(cast(np.array([0, -3], np.int8), "i1"), np.array([False, True]))
    b = np.array([True, False])
    same(cast(b, "f32"), f32a(1, 0))
    same(cast(b, "i8"), np.array([1, 0], np.int8))
    same(cast(b, "f16"), np.array([1, 0], np.float16))


def test_cast_float_widths_round_to_nearest_even():
    x = f32a(1 + 2**-11, 1 + 3 * 2**-11, 65520.0, 65519.0, -1e6)
    same(cast(x, "f16"), np.array([1.0, 1 + 2**-9, INF, 65504, -INF], np.float16))
    h = np.array([0.1, 65504], np.float16)
    same(cast(h, "f32"), np.array([np.float32(np.float16(0.1)), 65504], np.float32))


def test_cast_int_to_float_goes_through_f32():
    x = np.array([16777217, 2049, 2051, 70000], np.int32)
    same(cast(x, "f32"), f32a(16777216, 2049, 2051, 70000))
    same(cast(x, "f16"), np.array([INF, 2048, 2052, INF], np.float16))


# --- reductions ---------------------------------------------------------------------------------


def reduce(name: str, x: np.ndarray, axes, result: str, keepdims=False) -> np.ndarray:
    kd = ", keepdims" if keepdims else ""
    ax = ", ".join(str(a) for a in axes)
    return run_op(f"ptensor.{name} %a0 {{axes = array<i64: {ax}>{kd}}} : {T(x)} -> {result}", result, x)


def test_reduce_over_axes_and_keepdims():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    same(reduce("reduce_sum", x, [1], "tensor<2x4xf32>"), np.array([[12, 15, 18, 21], [48, 51, 54, 57]], np.float32))
    same(reduce("reduce_sum", x, [0, 2], "tensor<1x3x1xf32>", keepdims=True), np.array([[[60], [92], [124]]], np.float32))
    same(reduce("reduce_max", x, [-1], "tensor<2x3xf32>"), np.array([[3, 7, 11], [15, 19, 23]], np.float32))
    same(reduce("reduce_min", x, [0, 1, 2], "tensor<f32>"), np.array(0, np.float32))
    same(reduce("reduce_mean", x, [2], "tensor<2x3x1xf32>", keepdims=True), np.array([[[1.5], [5.5], [9.5]], [[13.5], [17.5], [21.5]]], np.float32))


def test_reduce_max_min_propagate_nan():
    x = np.array([[1, NAN, 3], [4, 5, 6]], np.float32)
    same(reduce("reduce_max", x, [1], "tensor<2xf32>"), f32a(NAN, 6))
    same(reduce("reduce_min", x, [1], "tensor<2xf32>"), f32a(NAN, 4))
    same(reduce("reduce_sum", x, [1], "tensor<2xf32>"), f32a(NAN, 15))


def test_integer_reductions():
    x = np.array([[100, 100, 100], [-128, -1, 0]], np.int8)
    # 300 wraps to 44 in i8; -129 wraps to 127.
    same(reduce("reduce_sum", x, [1], "tensor<2xi8>"), np.array([44, 127], np.int8))
    same(reduce("reduce_max", x, [1], "tensor<2xi8>"), np.array([100, 0], np.int8))
    same(reduce("reduce_min", x, [0], "tensor<3xi8>"), np.array([-128, -1, 0], np.int8))
    # Mean: exact sum, then division truncating toward zero: -129 / 3 = -43.
    same(reduce("reduce_mean", x, [1], "tensor<2xi8>"), np.array([100, -43], np.int8))
    y = np.array([-7, 0, I32_MAX, I32_MAX], np.int32).reshape(2, 2)
    same(reduce("reduce_mean", y, [1], "tensor<2xi32>"), np.array([-3, I32_MAX], np.int32))
    same(reduce("reduce_sum", y, [1], "tensor<2xi32>"), np.array([-7, -2], np.int32))


def test_argmax_first_maximum_and_nan():
    x = np.array([[1, 3, 3, 2], [NAN, 5, NAN, 9], [-INF, -INF, -INF, -INF], [0.0, -0.0, 0.0, 0.0]], np.float32)
    same(reduce("argmax", x, [1], "tensor<4xi32>"), np.array([1, 0, 0, 0], np.int32))
    same(reduce("argmax", x, [0], "tensor<1x4xi32>", keepdims=True), np.array([[1, 1, 1, 1]], np.int32))
    i = np.array([[-5, 7, 7], [2, 2, 1]], np.int8)
    same(reduce("argmax", i, [-1], "tensor<2xi32>"), np.array([1, 0], np.int32))


def test_argmax_nan_wins_later_in_row():
    x = np.array([[1, 9, NAN, NAN]], np.float32)
    same(reduce("argmax", x, [1], "tensor<1xi32>"), np.array([2], np.int32))


# --- matmul ---------------------------------------------------------------------------------------


def matmul(a: np.ndarray, b: np.ndarray, result: str) -> np.ndarray:
    return run_op(f"ptensor.matmul %a0, %a1 : {T(a)}, {T(b)} -> {result}", result, a, b)


def test_matmul_small():
    a = np.array([[1, 2, 3], [4, 5, 6]], np.float32)
    b = np.array([[7, 8], [9, 10], [11, 12]], np.float32)
    same(matmul(a, b, "tensor<2x2xf32>"), np.array([[58, 64], [139, 154]], np.float32))


def test_matmul_batch_broadcast():
    rng = np.random.default_rng(0)
    a = rng.integers(-3, 4, (2, 1, 2, 3)).astype(np.float32)
    b = rng.integers(-3, 4, (3, 3, 4)).astype(np.float32)
    got = matmul(a, b, "tensor<2x3x2x4xf32>")
    for p in range(2):
        for q in range(3):
            for i in range(2):
                for j in range(4):
                    assert got[p, q, i, j] == sum(a[p, 0, i, k] * b[q, k, j] for k in range(3))


def test_matmul_i8_accumulates_in_i32():
    a = np.array([[127, -128], [-128, -128]], np.int8)
    b = np.array([[127], [-128]], np.int8)
    same(matmul(a, b, "tensor<2x1xi32>"), np.array([[127 * 127 + 128 * 128], [-128 * 127 + 128 * 128]], np.int32))


def test_matmul_i32_wraps():
    a = np.array([[65536, 1]], np.int32)
    b = np.array([[65536], [7]], np.int32)
    same(matmul(a, b, "tensor<1x1xi32>"), np.array([[7]], np.int32))


def test_matmul_f16_rounds_once():
    a = np.array([[2048, 1, 1]], np.float16)
    b = np.ones((3, 1), np.float16)
    same(matmul(a, b, "tensor<1x1xf16>"), np.array([[2050]], np.float16))


# --- layout ------------------------------------------------------------------------------------------


def test_reshape_broadcast_transpose():
    x = np.arange(6, dtype=np.int32).reshape(2, 3)
    same(run_op(f"ptensor.reshape %a0 : {T(x)} -> tensor<3x2xi32>", "tensor<3x2xi32>", x), np.array([[0, 1], [2, 3], [4, 5]], np.int32))
    v = np.array([[1], [2]], np.int8)
    same(run_op(f"ptensor.broadcast %a0 : {T(v)} -> tensor<2x2x3xi8>", "tensor<2x2x3xi8>", v), np.array([[[1] * 3, [2] * 3]] * 2, np.int8))
    y = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    got = run_op(f"ptensor.transpose %a0 {{permutation = array<i64: 2, 0, 1>}} : {T(y)} -> tensor<4x2x3xf32>", "tensor<4x2x3xf32>", y)
    for i, j, k in np.ndindex(4, 2, 3):
        assert got[i, j, k] == y[j, k, i]
    b = np.array([[True, False, True, True]])
    same(run_op(f"ptensor.reshape %a0 : {T(b)} -> tensor<2x2xi1>", "tensor<2x2xi1>", b), np.array([[True, False], [True, True]]))


def test_slice_with_strides():
    x = np.arange(30, dtype=np.float32).reshape(5, 6)
    line = f"ptensor.slice %a0 {{offsets = array<i64: 1, 0>, sizes = array<i64: 2, 3>, strides = array<i64: 2, 2>}} : {T(x)} -> tensor<2x3xf32>"
    same(run_op(line, "tensor<2x3xf32>", x), np.array([[6, 8, 10], [18, 20, 22]], np.float32))


def test_concat_and_pad():
    a = np.array([[1, 2]], np.int32)
    b = np.array([[3], ], np.int32)
    line = f"ptensor.concat %a0, %a1 {{axis = -1 : i64}} : {T(a)}, {T(b)} -> tensor<1x3xi32>"
    same(run_op(line, "tensor<1x3xi32>", a, b), np.array([[1, 2, 3]], np.int32))
    x = f32a(1, 2).reshape(1, 2)
    line = f"ptensor.pad %a0 {{low = array<i64: 1, 0>, high = array<i64: 0, 2>, value = -1.5 : f32}} : {T(x)} -> tensor<2x4xf32>"
    same(run_op(line, "tensor<2x4xf32>", x), np.array([[-1.5] * 4, [1, 2, -1.5, -1.5]], np.float32))
    h = np.array([1], np.float16)
    line = f"ptensor.pad %a0 {{low = array<i64: 1>, high = array<i64: 0>, value = 0.1 : f16}} : {T(h)} -> tensor<2xf16>"
    same(run_op(line, "tensor<2xf16>", h), np.array([0.1, 1], np.float16))


# --- convolution and pooling -----------------------------------------------------------------------


def naive_conv(x, w, bias, strides, dilations, padding, groups, acc):
    """Direct loops over every output element: an independent statement of conv2d."""
    n, h, wd, c = x.shape
    kh, kw, cg, f = w.shape
    top, bottom, left, right = padding
    oh = (h + top + bottom - (dilations[0] * (kh - 1) + 1)) // strides[0] + 1
    ow = (wd + left + right - (dilations[1] * (kw - 1) + 1)) // strides[1] + 1
    out = np.zeros((n, oh, ow, f), dtype=np.int64 if acc == "int" else np.float64)
    fg = f // groups
    for b, oy, ox, o in np.ndindex(n, oh, ow, f):
        g = o // fg
        total = 0
        for i, j, ci in np.ndindex(kh, kw, cg):
            y = oy * strides[0] + i * dilations[0] - top
            xx = ox * strides[1] + j * dilations[1] - left
            if 0 <= y < h and 0 <= xx < wd:
                total += int(x[b, y, xx, g * cg + ci]) * int(w[i, j, ci, o]) if acc == "int" else float(x[b, y, xx, g * cg + ci]) * float(w[i, j, ci, o])
        out[b, oy, ox, o] = total + (0 if bias is None else bias[o].item())
    return out


def conv(x, w, bias=None, strides=(1, 1), dilations=(1, 1), padding=(0, 0, 0, 0), groups=1, result_elem=None):
    n, h, wd, c = x.shape
    kh, kw, cg, f = w.shape
    oh = (h + padding[0] + padding[1] - (dilations[0] * (kh - 1) + 1)) // strides[0] + 1
    ow = (wd + padding[2] + padding[3] - (dilations[1] * (kw - 1) + 1)) // strides[1] + 1
    el = result_elem or _ELEM[x.dtype]
    result = f"tensor<{n}x{oh}x{ow}x{f}x{el}>"
    attrs = (
        f"strides = array<i64: {strides[0]}, {strides[1]}>, dilations = array<i64: {dilations[0]}, {dilations[1]}>, "
        f"padding = array<i64: {', '.join(map(str, padding))}>, groups = {groups} : i64"
    )
    args = [x, w] + ([] if bias is None else [bias])
    operands = ", ".join(f"%a{i}" for i in range(len(args)))
    types = ", ".join(T(a) for a in args)
    return run_op(f"ptensor.conv2d {operands} {{{attrs}}} : {types} -> {result}", result, *args)


def test_conv2d_hand_computed():
    x = np.arange(1, 10, dtype=np.float32).reshape(1, 3, 3, 1)
    w = np.ones((2, 2, 1, 1), np.float32)
    same(conv(x, w), np.array([[12, 16], [24, 28]], np.float32).reshape(1, 2, 2, 1))
    # Zero padding all round, stride 2: windows at (-1,-1), (-1,1), (1,-1), (1,1).
    same(conv(x, w, strides=(2, 2), padding=(1, 1, 1, 1)), np.array([[1, 5], [11, 28]], np.float32).reshape(1, 2, 2, 1))
    b = f32a(0.5)
    same(conv(x, w, bias=b, dilations=(2, 2)), np.array([[20.5]], np.float32).reshape(1, 1, 1, 1))


@pytest.mark.parametrize(
    "x_shape, w_shape, strides, dilations, padding, groups",
    [
        ((1, 5, 5, 2), (3, 3, 2, 3), (1, 1), (1, 1), (1, 1, 1, 1), 1),
        ((2, 6, 7, 4), (3, 2, 2, 6), (2, 1), (1, 2), (0, 1, 2, 0), 2),
        ((1, 6, 6, 3), (3, 3, 1, 3), (2, 2), (1, 1), (1, 1, 1, 1), 3),  # depthwise
        ((1, 5, 5, 2), (2, 2, 1, 4), (1, 1), (2, 2), (0, 0, 1, 1), 2),  # depth multiplier 2
    ],
)
def test_conv2d_matches_loops(x_shape, w_shape, strides, dilations, padding, groups):
    rng = np.random.default_rng(1)
    x = rng.integers(-4, 5, x_shape).astype(np.float32)
    w = rng.integers(-4, 5, w_shape).astype(np.float32)
    bias = rng.integers(-4, 5, w_shape[3]).astype(np.float32)
    want = naive_conv(x, w, bias, strides, dilations, padding, groups, "float").astype(np.float32)
    same(conv(x, w, bias, strides, dilations, padding, groups), want)


def test_conv2d_i8_accumulates_in_i32():
    rng = np.random.default_rng(2)
    x = rng.integers(-128, 128, (1, 4, 4, 8), dtype=np.int8)
    w = rng.integers(-128, 128, (3, 3, 8, 4), dtype=np.int8)
    bias = np.array([I32_MAX, -5, 0, I32_MIN], np.int32)
    want = naive_conv(x, w, bias, (1, 1), (1, 1), (1, 1, 1, 1), 1, "int")
    # The bias add wraps in i32 as everything else does.
    same(conv(x, w, bias, padding=(1, 1, 1, 1), result_elem="i32"), want.astype(np.int32))
    dw = rng.integers(-128, 128, (3, 3, 1, 8), dtype=np.int8)
    want = naive_conv(x, dw, None, (2, 2), (1, 1), (1, 1, 1, 1), 8, "int").astype(np.int32)
    same(conv(x, dw, strides=(2, 2), padding=(1, 1, 1, 1), groups=8, result_elem="i32"), want)


def test_conv2d_i32_wraps():
    x = np.full((1, 1, 1, 2), 65536, np.int32)
    w = np.full((1, 1, 2, 1), 65536, np.int32)
    same(conv(x, w), np.zeros((1, 1, 1, 1), np.int32))


def test_conv2d_f16_rounds_once():
    x = np.array([2048, 1, 1], np.float16).reshape(1, 1, 1, 3)
    w = np.ones((1, 1, 3, 1), np.float16)
    same(conv(x, w), np.array([2050], np.float16).reshape(1, 1, 1, 1))


def pool(name, x, kernel, strides, padding, oh, ow):
    result = f"tensor<{x.shape[0]}x{oh}x{ow}x{x.shape[3]}x{_ELEM[x.dtype]}>"
    attrs = (
        f"kernel = array<i64: {kernel[0]}, {kernel[1]}>, strides = array<i64: {strides[0]}, {strides[1]}>, "
        f"padding = array<i64: {', '.join(map(str, padding))}>"
    )
    return run_op(f"ptensor.{name} %a0 {{{attrs}}} : {T(x)} -> {result}", result, x)


def test_max_pool_padding_never_wins():
    x = -np.arange(1, 10, dtype=np.float32).reshape(1, 3, 3, 1)
    got = pool("max_pool2d", x, (2, 2), (2, 2), (1, 0, 1, 0), 2, 2)
    same(got, np.array([[-1, -2], [-4, -5]], np.float32).reshape(1, 2, 2, 1))
    i = (-np.arange(1, 10, dtype=np.int8) * 14).reshape(1, 3, 3, 1)  # down to -126
    same(pool("max_pool2d", i, (2, 2), (1, 1), (0, 1, 0, 1), 3, 3)[0, 2, 2, 0], np.int8(-126))


def test_max_pool_nan_propagates():
    x = np.array([1, NAN, 3, 4], np.float32).reshape(1, 2, 2, 1)
    same(pool("max_pool2d", x, (2, 1), (1, 1), (0, 0, 0, 0), 1, 2), np.array([3, NAN], np.float32).reshape(1, 1, 2, 1))


def test_avg_pool_does_not_count_padding():
    x = np.array([1, 2, 3, 4], np.float32).reshape(1, 2, 2, 1)
    got = pool("avg_pool2d", x, (2, 2), (1, 1), (1, 1, 1, 1), 3, 3)
    want = np.array([[1, 1.5, 2], [2, 2.5, 3], [3, 3.5, 4]], np.float32).reshape(1, 3, 3, 1)
    same(got, want)
    h = x.astype(np.float16)
    same(pool("avg_pool2d", h, (2, 2), (2, 2), (0, 0, 0, 0), 1, 1), np.array([2.5], np.float16).reshape(1, 1, 1, 1))


# --- normalisation --------------------------------------------------------------------------------------


def test_softmax():
    x = np.array([[0, math.log(3)], [1000, 1000]], np.float32)
    line = f"ptensor.softmax %a0 {{axis = -1 : i64}} : {T(x)} -> {T(x)}"
    got = run_op(line, T(x), x)
    np.testing.assert_allclose(got, [[0.25, 0.75], [0.5, 0.5]], rtol=1e-6)
    line = f"ptensor.softmax %a0 {{axis = 0 : i64}} : {T(x)} -> {T(x)}"
    got = run_op(line, T(x), x)
    np.testing.assert_allclose(got, [[0, 0], [1, 1]], atol=1e-30)


def test_layer_norm():
    x = np.array([[1, 2, 3, 4], [2, 2, 2, 2]], np.float32)
    s = f32a(1, 1, 2, 2)
    o = f32a(0, 0, 0, 1)
    line = f"ptensor.layer_norm %a0, %a1, %a2 {{axis = 1 : i64, epsilon = 0.0 : f32}} : {T(x)}, {T(s)}, {T(o)} -> {T(x)}"
    got = run_op(line, T(x), x, s, o)
    z = np.array([-1.5, -0.5, 0.5, 1.5]) / math.sqrt(1.25)  # biased variance 1.25
    np.testing.assert_allclose(got[0], z * [1, 1, 2, 2] + [0, 0, 0, 1], rtol=1e-6)
    same(got[1], f32a(NAN, NAN, NAN, NAN))  # 0 / sqrt(0) with epsilon 0
    x3 = np.arange(12, dtype=np.float32).reshape(3, 2, 2)
    s2, o2 = np.ones((2, 2), np.float32), np.zeros((2, 2), np.float32)
    line = f"ptensor.layer_norm %a0, %a1, %a2 {{axis = -2 : i64, epsilon = 1.0 : f32}} : {T(x3)}, {T(s2)}, {T(o2)} -> {T(x3)}"
    got = run_op(line, T(x3), x3, s2, o2)
    # Each 2x2 block is m + [-1.5, -0.5, 0.5, 1.5], variance 1.25, + epsilon 1.
    np.testing.assert_allclose(got.reshape(3, 4), np.tile([-1.5, -0.5, 0.5, 1.5], (3, 1)) / 1.5, rtol=1e-6)


def test_batch_norm():
    x = np.array([[[[1, 10], [3, 20]]]], np.float32)  # NHWC, C = 2
    scale, offset, mean, var = f32a(2, 1), f32a(0, 1), f32a(2, 15), f32a(3, 24)
    args = [x, scale, offset, mean, var]
    types = ", ".join(T(a) for a in args)
    line = f"ptensor.batch_norm %a0, %a1, %a2, %a3, %a4 {{epsilon = 1.0 : f32}} : {types} -> {T(x)}"
    got = run_op(line, T(x), *args)
    np.testing.assert_allclose(got, [[[[-1, 0], [1, 2]]]], rtol=1e-6)


# --- evaluate: functions, inputs, errors ---------------------------------------------------------------

PROGRAM = """
func.func private @scale(%v: tensor<2xf32>, %k: tensor<2xf32>) -> tensor<2xf32> {
  %r = ptensor.mul %v, %k : tensor<2xf32>, tensor<2xf32> -> tensor<2xf32>
  func.return %r : tensor<2xf32>
}
func.func @main(%x: tensor<2xf32>, %1: tensor<2xi8>) -> (tensor<2xf32>, tensor<2xi8>) {
  %k = ptensor.constant dense<[2.0, 3.0]> : tensor<2xf32>
  %s = func.call @scale(%x, %k) : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %t = func.call @scale(%s, %k) : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %n = ptensor.neg %1 : tensor<2xi8>
  func.return %t, %n : tensor<2xf32>, tensor<2xi8>
}
"""

X = f32a(1, -1)
Y = np.array([3, -128], np.int8)


def check_program_outputs(outs):
    assert len(outs) == 2
    same(outs[0], f32a(4, -9))
    same(outs[1], np.array([-3, -128], np.int8))


def test_evaluate_list_dict_and_path(tmp_path):
    module = ir.parse(PROGRAM)
    check_program_outputs(reference.evaluate(module, [X, Y]))
    check_program_outputs(reference.evaluate(module, {"x": X, "arg1": Y}))
    check_program_outputs(reference.evaluate(module, {"arg0": X, "arg1": Y}))
    path = tmp_path / "prog.mlir"
    path.write_text(PROGRAM)
    check_program_outputs(reference.evaluate(path, (X, Y)))
    check_program_outputs(reference.evaluate(str(path), (X, Y), entry="main"))


def test_evaluate_entry_selection():
    module = ir.parse(PROGRAM)
    (out,) = reference.evaluate(module, [X, f32a(5, 5)], entry="scale")
    same(out, f32a(5, -5))
    with pytest.raises(ValueError, match="no function 'nope'; it has: scale, main"):
        reference.evaluate(module, [X, Y], entry="nope")
    with pytest.raises(ValueError, match="no func.func"):
        reference.evaluate(ModuleOp([]), [])


def test_outputs_are_fresh_arrays():
    module = ir.parse(PROGRAM)
    outs = reference.evaluate(module, [X, Y])
    outs[0][0] = 100  # must not disturb the inputs or later runs
    same(X, f32a(1, -1))
    check_program_outputs(reference.evaluate(module, [X, Y]))


@pytest.mark.parametrize(
    "inputs, message",
    [
        ([X], r"takes 2 arguments \('x' \(arg0\), arg1\), got 1"),
        ([X, Y, Y], "got 3 inputs"),
        ([X.astype(np.float64), Y], r"argument 'x' \(arg0\) expects tensor<2xf32> .*got float64 array of shape \(2,\)"),
        ([X, Y.astype(np.int32)], "argument arg1 expects tensor<2xi8>.*got int32"),
        ([X.reshape(1, 2), Y], r"got float32 array of shape \(1, 2\)"),
        ([[1.0, -1.0], Y], "expects a NumPy array .*got list"),
        ({"x": X}, r"missing inputs for arg1"),
        ({"x": X, "y": Y}, "no argument named 'y'; valid names: arg0, x, arg1"),
        ({"x": X, "arg0": X, "arg1": Y}, "given twice"),
        (X, "not one array"),
    ],
)
def test_evaluate_checks_inputs(inputs, message):
    with pytest.raises(reference.InputError, match=message):
        reference.evaluate(ir.parse(PROGRAM), inputs)


def test_unknown_op_is_named_with_its_position():
    text = """func.func @f() -> tensor<2xf32> {
  %c = arith.constant dense<1.0> : tensor<2xf32>
  func.return %c : tensor<2xf32>
}
"""
    with pytest.raises(CompileError) as info:
        reference.evaluate(ir.parse(text, "prog.mlir"), [])
    assert re.fullmatch(
        r"prog.mlir:2:\d+: error: the reference evaluator has no meaning for op 'arith.constant'",
        str(info.value),
    )


def test_call_to_declaration_is_an_error():
    text = """func.func private @ext(tensor<2xf32>) -> tensor<2xf32>
func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {
  %r = func.call @ext(%x) : (tensor<2xf32>) -> tensor<2xf32>
  func.return %r : tensor<2xf32>
}
"""
    with pytest.raises(CompileError, match="'ext' is only declared"):
        reference.evaluate(ir.parse(text), [X])


def test_recursion_is_reported():
    text = """func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {
  %r = func.call @f(%x) : (tensor<2xf32>) -> tensor<2xf32>
  func.return %r : tensor<2xf32>
}
"""
    with pytest.raises(CompileError, match="calls nest deeper"):
        reference.evaluate(ir.parse(text), [X])


# --- weights and apply -------------------------------------------------------------------------------------


def weight_module(arrays: dict[str, np.ndarray]) -> ModuleOp:
    writer = weights.WeightsWriter()
    offsets = {k: writer.add(a) for k, a in arrays.items()}
    lines = [
        f'  %{k} = ptensor.weight "{k}" at {offsets[k]} : {T(a)}' for k, a in arrays.items()
    ]
    text = (
        "func.func @f(%x: tensor<2x2xf32>) -> (tensor<2x2xf32>, tensor<3xi8>) {\n"
        + "\n".join(lines)
        + "\n  %y = ptensor.matmul %x, %w : tensor<2x2xf32>, tensor<2x2xf32> -> tensor<2x2xf32>\n"
        "  func.return %y, %q : tensor<2x2xf32>, tensor<3xi8>\n}\n"
    )
    module = ir.parse(text)
    weights.attach(module, writer.blob(), "f.weights")
    return module


def test_weights_are_read_from_the_attached_blob():
    w = np.array([[1, 2], [3, 4]], np.float32)
    q = np.array([-1, 0, 7], np.int8)
    module = weight_module({"w": w, "q": q})
    y, got_q = reference.evaluate(module, [np.eye(2, dtype=np.float32)])
    same(y, w)
    same(got_q, q)
    got_q[0] = 5  # outputs are copies, not views of the weights
    same(reference.evaluate(module, [np.eye(2, dtype=np.float32)])[1], q)


def test_weights_missing_is_a_located_error():
    text = """func.func @f() -> tensor<2xf32> {
  %w = ptensor.weight "w" at 0 : tensor<2xf32>
  func.return %w : tensor<2xf32>
}
"""
    with pytest.raises(CompileError, match=r"<stdin>:2:\d+: error: .*no 'ptensor.weights' attribute"):
        reference.evaluate(ir.parse(text), [])
    module = ir.parse(text)
    weights.attach(module, b"\0" * 4)
    with pytest.raises(CompileError, match="needs bytes 0..8 but the weights file holds 4 bytes"):
        reference.evaluate(module, [])


def test_apply_uses_only_properties_and_result_type():
    text = """func.func @f(%x: tensor<2x3xf32>) -> tensor<1x3xf32> {
  %r = ptensor.relu %x : tensor<2x3xf32>
  %s = ptensor.reduce_sum %r {axes = array<i64: 0>, keepdims} : tensor<2x3xf32> -> tensor<1x3xf32>
  func.return %s : tensor<1x3xf32>
}
"""
    relu, total, _ = list(ir.parse(text).body.block.ops)[0].body.block.ops
    # Arrays that were never the SSA operands: apply computes from them alone.
    x = f32a(-1, 2, -3, 4, NAN, -0.0).reshape(2, 3)
    same(reference.apply(relu, [x]), np.array([[0, 2, 0], [4, NAN, 0]], np.float32))
    same(reference.apply(total, [np.ones((2, 3), np.float32)]), np.full((1, 3), 2, np.float32))
    with pytest.raises(ValueError, match="takes 1 operands, got 2 arrays"):
        reference.apply(relu, [x, x])
    with pytest.raises(CompileError, match="computed a 1x3x3 array for result type tensor<1x3xf32>"):
        reference.apply(total, [np.ones((4, 3, 3), np.float32)])
    weight = next(op for op in weight_module({"w": np.eye(2, dtype=np.float32), "q": np.zeros(3, np.int8)}).walk() if isinstance(op, pt.WeightOp))
    with pytest.raises(CompileError, match="needs the module"):
        reference.apply(weight, [])


def test_every_ptensor_op_has_a_kernel():
    assert set(pt.PTensor.operations) == set(reference.KERNELS)
