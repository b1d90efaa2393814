"""What each ONNX op becomes in ptensor: the importer's translation table.

`OPS[op_type](node)` returns the node's outputs (runtime `Held` values or
known arrays). Ops ptensor has are one op; the rest are compositions of
ptensor ops (LeakyRelu a select, Gemm a matmul and an add, LSTM unrolled
over its static sequence length, Gather on a runtime index a one-hot
matmul). Layout: ops that do not care keep their input's layout (NHWC
activations stay NHWC), convolution and pooling work on NHWC, every other
op sees the ONNX layout (`pelemay_ir.onnx_import` explains the rule).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from pelemay_ir.builder import Tensor
from pelemay_ir.onnx_values import Held, Node

OPS: dict[str, Callable[[Node], list]] = {}


def op(*names: str):
    def register(fn):
        for n in names:
            OPS[n] = fn
        return fn

    return register


def _float(node: Node, t: Tensor, what: str = "input") -> None:
    if t.dtype not in (np.float32, np.float16):
        raise node.fail(f"{what} of element type {t.dtype} is not supported (floats only)")


def _layout_of(node: Node) -> bool:
    """Whether the node's runtime inputs are all held as NHWC (and one is)."""
    held = [node.value(i) for i in range(node.n_inputs) if node.has(i) and isinstance(node.value(i), Held)]
    return bool(held) and all(h.nhwc for h in held)


def _elementwise(node: Node, fn: Callable[..., Tensor], inputs: Sequence[int]) -> Held:
    """Apply fn to inputs in NHWC where a runtime operand is NHWC and the result is 4-D."""
    shapes = [node.shape(i) for i in inputs]
    out_rank = max(len(s) for s in shapes)
    nhwc = out_rank == 4 and any(isinstance(node.value(i), Held) and node.value(i).nhwc for i in inputs)
    if nhwc:
        args = [node.nhwc(i) for i in inputs]
    else:
        args = [node.tensor(i) for i in inputs]
    return Held(fn(*args), nhwc)


# --- elementwise -------------------------------------------------------------


def _unary(name: str, method: str, floats: bool = False):
    def translate(node: Node):
        b = node.b

        def fn(x):
            if floats:
                _float(node, x)
            return getattr(b, method)(x)

        return [_elementwise(node, fn, [0])]

    OPS[name] = translate


for _name, _method, _floats in (
    ("Neg", "neg", False),
    ("Abs", "abs", False),
    ("Relu", "relu", False),
    ("Exp", "exp", True),
    ("Log", "log", True),
    ("Sqrt", "sqrt", True),
    ("Tanh", "tanh", True),
    ("Sin", "sin", True),
    ("Cos", "cos", True),
    ("Tan", "tan", True),
    ("Asin", "asin", True),
    ("Acos", "acos", True),
    ("Atan", "atan", True),
    ("Sigmoid", "sigmoid", True),
):
    _unary(_name, _method, _floats)


def _composite(name: str, floats: bool = True):
    """Register fn(node, x) -> Tensor as a one-input elementwise op."""

    def register(fn):
        def translate(node: Node):
            def apply(x):
                if floats:
                    _float(node, x)
                return fn(node, x)

            return [_elementwise(node, apply, [0])]

        OPS[name] = translate
        return fn

    return register


@op("Identity")
def _identity(node: Node):
    return [node.value(0)]


@op("Dropout")
def _dropout(node: Node):
    if node.has(2):
        training = node.const(2, "training_mode")
        if bool(np.asarray(training)):
            raise node.fail("training_mode=true is not supported")
    if len(node.proto.output) > 1 and node.proto.output[1]:
        return [node.value(0), np.ones(node.shape(0), dtype=np.bool_)]  # nothing dropped
    return [node.value(0)]


@_composite("Reciprocal")
def _reciprocal(node, x):
    return node.b.div(node.scalar(1, x), x)


@_composite("Gelu")
def _gelu(node, x):
    approx = node.attrs.get("approximate", b"none")
    b = node.b
    if approx in (b"none", "none"):
        return b.gelu(x)
    if approx in (b"tanh", "tanh"):
        inner = b.mul(node.scalar(math.sqrt(2 / math.pi), x), b.add(x, b.mul(node.scalar(0.044715, x), b.mul(x, b.mul(x, x)))))
        return b.mul(b.mul(node.scalar(0.5, x), x), b.add(node.scalar(1, x), b.tanh(inner)))
    raise node.fail(f"attribute approximate={_text(approx)} is not supported")


def _text(v) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


@_composite("LeakyRelu")
def _leaky_relu(node, x):
    b = node.b
    alpha = node.attrs.get("alpha", 0.01)
    return b.select(b.compare("lt", x, node.scalar(0, x)), b.mul(x, node.scalar(alpha, x)), x)


@_composite("Elu")
def _elu(node, x):
    b = node.b
    alpha = node.attrs.get("alpha", 1.0)
    neg = b.mul(node.scalar(alpha, x), b.sub(b.exp(x), node.scalar(1, x)))
    return b.select(b.compare("lt", x, node.scalar(0, x)), neg, x)


@_composite("Selu")
def _selu(node, x):
    b = node.b
    alpha = node.attrs.get("alpha", 1.67326319217681884765625)
    gamma = node.attrs.get("gamma", 1.05070102214813232421875)
    neg = b.sub(b.mul(node.scalar(alpha, x), b.exp(x)), node.scalar(alpha, x))
    return b.mul(node.scalar(gamma, x), b.select(b.compare("le", x, node.scalar(0, x)), neg, x))


@_composite("Celu")
def _celu(node, x):
    b = node.b
    alpha = node.attrs.get("alpha", 1.0)
    neg = b.mul(node.scalar(alpha, x), b.sub(b.exp(b.div(x, node.scalar(alpha, x))), node.scalar(1, x)))
    return b.add(b.relu(x), b.min(node.scalar(0, x), neg))


@_composite("ThresholdedRelu")
def _thresholded_relu(node, x):
    b = node.b
    alpha = node.attrs.get("alpha", 1.0)
    return b.select(b.compare("gt", x, node.scalar(alpha, x)), x, node.scalar(0, x))


@_composite("HardSigmoid")
def _hard_sigmoid(node, x):
    b = node.b
    alpha, beta = node.attrs.get("alpha", 0.2), node.attrs.get("beta", 0.5)
    return b.clamp(b.add(b.mul(x, node.scalar(alpha, x)), node.scalar(beta, x)), 0.0, 1.0)


@_composite("HardSwish")
def _hard_swish(node, x):
    b = node.b
    gate = b.clamp(b.add(b.mul(x, node.scalar(1 / 6, x)), node.scalar(0.5, x)), 0.0, 1.0)
    return b.mul(x, gate)


@_composite("Softplus")
def _softplus(node, x):
    b = node.b
    return b.log(b.add(b.exp(x), node.scalar(1, x)))


@_composite("Softsign")
def _softsign(node, x):
    b = node.b
    return b.div(x, b.add(node.scalar(1, x), b.abs(x)))


@_composite("Mish")
def _mish(node, x):
    b = node.b
    return b.mul(x, b.tanh(b.log(b.add(b.exp(x), node.scalar(1, x)))))


@_composite("Shrink")
def _shrink(node, x):
    b = node.b
    lambd, bias = node.attrs.get("lambd", 0.5), node.attrs.get("bias", 0.0)
    low = b.compare("lt", x, node.scalar(-lambd, x))
    high = b.compare("gt", x, node.scalar(lambd, x))
    return b.select(low, b.add(x, node.scalar(bias, x)), b.select(high, b.sub(x, node.scalar(bias, x)), node.scalar(0, x)))


@_composite("Sign", floats=False)
def _sign(node, x):
    b = node.b
    zero = b.mul(x, node.scalar(0, x)) if x.dtype.kind == "f" else node.scalar(0, x)
    return b.select(
        b.compare("gt", x, node.scalar(0, x)),
        node.scalar(1, x),
        b.select(b.compare("lt", x, node.scalar(0, x)), node.scalar(-1, x), zero),
    )


@op("Clip")
def _clip(node: Node):
    b = node.b
    if node.opset < 11:
        lo, hi = node.attrs.get("min", -np.inf), node.attrs.get("max", np.inf)
        return [_elementwise(node, lambda x: b.clamp(x, float(lo), float(hi)), [0])]
    inputs = [0] + [i for i in (1, 2) if node.has(i)]

    def fn(x, *bounds):
        k = 0
        if node.has(1):
            x = b.max(x, bounds[k])
            k += 1
        if node.has(2):
            x = b.min(x, bounds[k])
        return x

    return [_elementwise(node, fn, inputs)]


def _binary(name: str, fn: Callable[[Node, Tensor, Tensor], Tensor]):
    def translate(node: Node):
        return [_elementwise(node, lambda x, y: fn(node, x, y), [0, 1])]

    OPS[name] = translate


_binary("Add", lambda n, x, y: n.b.add(x, y))
_binary("Sub", lambda n, x, y: n.b.sub(x, y))
_binary("Mul", lambda n, x, y: n.b.mul(x, y))
_binary("Equal", lambda n, x, y: n.b.compare("eq", *_numeric(n, x, y)))
_binary("Less", lambda n, x, y: n.b.compare("lt", x, y))
_binary("LessOrEqual", lambda n, x, y: n.b.compare("le", x, y))
_binary("Greater", lambda n, x, y: n.b.compare("gt", x, y))
_binary("GreaterOrEqual", lambda n, x, y: n.b.compare("ge", x, y))


def _numeric(node: Node, *xs: Tensor) -> list[Tensor]:
    """Booleans as i32 (compare, select and arithmetic take numbers)."""
    return [node.b.cast(x, "i32") if x.dtype == np.bool_ else x for x in xs]


@op("Div")
def _div(node: Node):
    return [_elementwise(node, lambda x, y: node.b.div(x, y), [0, 1])]


@op("PRelu")
def _prelu(node: Node):
    b = node.b

    def fn(x, slope):
        return b.select(b.compare("lt", x, node.scalar(0, x)), b.mul(x, slope), x)

    return [_elementwise(node, fn, [0, 1])]


def _pow_known(node: Node):
    """Pow with a known exponent of 0.5, 1, 2 or 3: a sqrt or products (exact;
    `pelemay_ir.onnx_ops_math` registers Pow and calls this)."""
    b = node.b
    if isinstance(node.value(1), Held):
        raise node.fail("a runtime exponent is not supported (only a known 0.5, 1, 2 or 3)")
    e = np.asarray(node.value(1))
    if e.size != 1 or float(e.reshape(())) not in (0.5, 1.0, 2.0, 3.0):
        raise node.fail(f"exponent {e.tolist()} is not supported (only 0.5, 1, 2 or 3)")
    k = float(e.reshape(()))
    out_shape = np.broadcast_shapes(node.shape(0), e.shape)

    def fn(x):
        if k == 0.5:
            _float(node, x)
            y = b.sqrt(x)
        elif k == 1.0:
            y = x
        elif k == 2.0:
            y = b.mul(x, x)
        else:
            y = b.mul(b.mul(x, x), x)
        return y if y.shape == tuple(out_shape) else b.reshape(y, out_shape)

    if tuple(out_shape) != node.shape(0):
        return [Held(fn(node.tensor(0)))]
    return [_elementwise(node, fn, [0])]


def _variadic(name: str, method: str, mean: bool = False):
    def translate(node: Node):
        b = node.b
        idx = [i for i in range(node.n_inputs) if node.has(i)]

        def fn(*xs):
            acc = xs[0]
            for x in xs[1:]:
                acc = getattr(b, method)(acc, x)
            if len(xs) == 1:
                shape = acc.shape
                acc = b.reshape(acc, shape)  # a value of its own: the result is not the input
            if mean:
                acc = b.div(acc, node.scalar(len(xs), acc))
            return acc

        return [_elementwise(node, fn, idx)]

    OPS[name] = translate


_variadic("Sum", "add")
_variadic("Max", "max")
_variadic("Min", "min")
_variadic("Mean", "add", mean=True)


@op("And", "Or", "Xor")
def _logic(node: Node):
    b = node.b

    def fn(x, y):
        xi, yi = b.cast(x, "i32"), b.cast(y, "i32")
        if node.op == "And":
            return b.cast(b.mul(xi, yi), "i1")
        if node.op == "Or":
            return b.cast(b.add(xi, yi), "i1")
        return b.compare("ne", xi, yi)

    return [_elementwise(node, fn, [0, 1])]


@op("Not")
def _not(node: Node):
    b = node.b
    return [_elementwise(node, lambda x: b.compare("eq", b.cast(x, "i32"), node.scalar(0, b.cast(x, "i32"))), [0])]


@op("Where")
def _where(node: Node):
    b = node.b

    def fn(c, x, y):
        if x.dtype == np.bool_:
            return b.cast(b.select(c, b.cast(x, "i32"), b.cast(y, "i32")), "i1")
        return b.select(c, x, y)

    return [_elementwise(node, fn, [0, 1, 2])]


_ONNX_TO_PTENSOR = {1: "f32", 10: "f16", 6: "i32", 3: "i8", 9: "i1", 7: "i32"}
INT64 = 7


def wrap(node: Node, t: Tensor, kind: str) -> Tensor:
    """An int32 result of arithmetic on `kind` values, reduced to kind's range."""
    from pelemay_ir.onnx_values import NARROW_BITS

    bits, signed = NARROW_BITS[kind]
    return _wrap_bits(node, t, bits, signed)


def _wrap_bits(node: Node, t: Tensor, bits: int, signed: bool) -> Tensor:
    b = node.b
    m = 1 << bits
    if signed:
        t = b.add(t, node.scalar(m >> 1, t))
    r = b.sub(t, b.mul(b.div(t, node.scalar(m, t)), node.scalar(m, t)))
    r = b.select(b.compare("lt", r, node.scalar(0, r)), b.add(r, node.scalar(m, r)), r)
    if signed:
        r = b.sub(r, node.scalar(m >> 1, r))
    return r


def _cast_to_held(node: Node, kind: str) -> list:
    """A cast to an integer type held as int32: uint8, int16, uint16 keep the
    low bits of the int32 value (a float is truncated toward zero first; in
    their range that is exact, outside it ONNX leaves the result undefined);
    uint32 and uint64 only from types whose values are non-negative int32."""
    from pelemay_ir.onnx_values import NARROW_BITS

    src = node.value(0)
    if kind in NARROW_BITS:
        held = _elementwise(node, lambda x: wrap(node, node.b.cast(x, "i32") if x.dtype != np.int32 else x, kind), [0])
        return [Held(held.tensor, held.nhwc, kind=kind)]
    nonneg = ("uint8", "uint16", "uint32", "uint64")
    if not (isinstance(src, Held) and (src.kind in nonneg or src.dtype == np.bool_)):
        raise node.fail(f"cast to {kind} is not supported from {getattr(src, 'kind', None) or node.dtype(0)} "
                        f"({kind} values are held as int32: only from bool and unsigned types)")
    held = _elementwise(node, lambda x: node.b.cast(x, "i32") if x.dtype != np.int32 else x, [0])
    return [Held(held.tensor, held.nhwc, kind=kind)]


@op("Cast")
def _cast(node: Node):
    from pelemay_ir.onnx_values import HELD_KINDS

    to = node.attrs.get("to")
    if to in HELD_KINDS:
        node.reject_attrs(saturate=1, round_mode=(b"up", "up"))
        return _cast_to_held(node, HELD_KINDS[to])
    if to not in _ONNX_TO_PTENSOR:
        from pelemay_ir.onnx_values import _type_name

        raise node.fail(f"cast to {_type_name(to)} is not supported")
    if to == INT64 and node.dtype(0).kind == "f":
        raise node.fail("cast from a float to int64 is not supported (ptensor has no 64-bit integers)")
    node.reject_attrs(saturate=1, round_mode=(b"up", "up"))
    return [_elementwise(node, lambda x: node.b.cast(x, _ONNX_TO_PTENSOR[to]), [0])]


@op("CastLike")
def _cast_like(node: Node):
    if not isinstance(node.value(0), Held):  # a known value cast like a run-time one: fold it
        like = np.int64 if node.importer.is_int64(node.proto.input[1]) else node.dtype(1)
        return node.importer.fold_with(node, {node.proto.input[1]: np.zeros((), dtype=like)})
    like = node.value(1)
    if isinstance(like, Held) and like.kind:
        node.reject_attrs(saturate=1)
        return _cast_to_held(node, like.kind)
    target = node.dtype(1)
    if node.importer.is_int64(node.proto.input[1]) and node.dtype(0).kind == "f":
        raise node.fail("cast from a float to int64 is not supported (ptensor has no 64-bit integers)")
    name = {np.dtype(np.float32): "f32", np.dtype(np.float16): "f16", np.dtype(np.int32): "i32", np.dtype(np.int8): "i8", np.dtype(np.bool_): "i1"}.get(np.dtype(target))
    if name is None:
        raise node.fail(f"cast to {target} is not supported")
    node.reject_attrs(saturate=1)
    return [_elementwise(node, lambda x: node.b.cast(x, name), [0])]


# --- reductions --------------------------------------------------------------


def _reduce_axes(node: Node, rank: int) -> list[int] | None:
    """The reduced axes, or None for the identity (noop_with_empty_axes)."""
    axes = node.ints("axes", 1, "the axes")
    if not axes:
        if node.attrs.get("noop_with_empty_axes", 0):
            return None
        return list(range(rank))
    return sorted(a % rank for a in axes)


def _reduction(name: str, build: Callable[[Node, Tensor, list[int], bool], Tensor], floats: bool = False):
    def translate(node: Node):
        b = node.b
        x = node.tensor(0)
        if floats:
            _float(node, x)
        keep = bool(node.attrs.get("keepdims", 1))
        if x.shape == ():
            return [Held(b.reshape(x, ()))]
        axes = _reduce_axes(node, len(x.shape))
        if axes is None:
            return [Held(b.reshape(x, x.shape))]
        if any(x.shape[a] == 0 for a in axes):
            return _empty_reduction(node, x)
        return [Held(build(node, x, axes, keep))]

    OPS[name] = translate


_reduction("ReduceSum", lambda n, x, a, k: n.b.reduce_sum(x, a, k))
_reduction("ReduceMax", lambda n, x, a, k: _on_bools(n, x, lambda t: n.b.reduce_max(t, a, k)))
_reduction("ReduceMin", lambda n, x, a, k: _on_bools(n, x, lambda t: n.b.reduce_min(t, a, k)))


def _empty_reduction(node: Node, x: Tensor) -> list:
    """A reduction over an empty axis: its result (the reduction's identity,
    0, 1, -inf, ...) depends on the shapes only, so it is folded at import."""
    wide = isinstance(node.value(0), Held) and node.value(0).wide
    stand_ins = {node.proto.input[0]: np.zeros(x.shape, dtype=np.int64 if wide else x.dtype)}
    if node.has(1) and "axes" not in node.attrs:
        stand_ins[node.proto.input[1]] = np.array(node.ints("", 1, "the axes"), dtype=np.int64)
    return node.importer.fold_with(node, stand_ins)


def _on_bools(node: Node, x: Tensor, fn: Callable[[Tensor], Tensor]) -> Tensor:
    """fn on x, booleans as i32 and back (max is any, min is all)."""
    if x.dtype != np.bool_:
        return fn(x)
    return node.b.cast(fn(node.b.cast(x, "i32")), "i1")
_reduction("ReduceMean", lambda n, x, a, k: n.b.reduce_mean(x, a, k))
_reduction("ReduceL1", lambda n, x, a, k: n.b.reduce_sum(n.b.abs(x), a, k))
_reduction("ReduceL2", lambda n, x, a, k: n.b.sqrt(n.b.reduce_sum(n.b.mul(x, x), a, k)), floats=True)
_reduction("ReduceSumSquare", lambda n, x, a, k: n.b.reduce_sum(n.b.mul(x, x), a, k))
_reduction("ReduceLogSum", lambda n, x, a, k: n.b.log(n.b.reduce_sum(x, a, k)), floats=True)
_reduction("ReduceLogSumExp", lambda n, x, a, k: n.b.log(n.b.reduce_sum(n.b.exp(x), a, k)), floats=True)


# --- linear algebra ----------------------------------------------------------


def _matmul(node: Node, a: Tensor, bm: Tensor) -> Tensor:
    """ONNX MatMul (NumPy matmul, 1-D operands included)."""
    b = node.b
    a_vec, b_vec = len(a.shape) == 1, len(bm.shape) == 1
    if a_vec:
        a = b.reshape(a, (1, a.shape[0]))
    if b_vec:
        bm = b.reshape(bm, (bm.shape[0], 1))
    y = b.matmul(a, bm)
    if a_vec or b_vec:
        shape = list(y.shape)
        if b_vec:
            shape.pop(-1)
        if a_vec:
            shape.pop(-2 if not b_vec else -1)
        y = b.reshape(y, shape)
    return y


@op("MatMul")
def _matmul_op(node: Node):
    return [Held(_matmul(node, node.tensor(0), node.tensor(1)))]


@op("Gemm")
def _gemm(node: Node):
    b = node.b
    alpha, beta = node.attrs.get("alpha", 1.0), node.attrs.get("beta", 1.0)
    ops = []
    for i, attr in ((0, "transA"), (1, "transB")):
        v = node.value(i)
        if node.attrs.get(attr, 0):
            ops.append(node.constant(np.ascontiguousarray(v.T)) if not isinstance(v, Held) else b.transpose(node.tensor(i), (1, 0)))
        else:
            ops.append(node.tensor(i))
    y = b.matmul(*ops)
    if alpha != 1.0:
        y = b.mul(y, node.scalar(alpha, y))
    if node.has(2):
        c = node.value(2)
        if isinstance(c, Held):
            ct = node.tensor(2)
            if beta != 1.0:
                ct = b.mul(ct, node.scalar(beta, ct))
        else:
            ct = node.constant(np.asarray(c * beta if beta != 1.0 else c).astype(c.dtype))
        y = b.add(y, ct)
    return [Held(y)]



_WIDTH = {9: 1, 3: 1, 2: 1, 5: 2, 4: 2, 6: 4, 12: 4, 7: 8, 13: 8}
"""Bytes of the integer (and bool) ONNX types, by TensorProto code."""


@op("BitCast")
def _bitcast(node: Node):
    """Between integer types of one width the bits are kept: two's complement
    makes that a wrapping cast (uint8 -> int8: x - 256 from 128 on), exact on
    held values; float bit patterns have no ptensor counterpart."""
    from pelemay_ir.onnx_values import HELD_KINDS

    to = int(node.attrs.get("to", 0))
    v = node.value(0)
    kind, wide = getattr(v, "kind", None), getattr(v, "wide", False)
    src = 13 if kind == "uint64" else 12 if kind == "uint32" else 7 if wide else {
        "uint8": 2, "int16": 5, "uint16": 4}.get(kind) or {
        np.dtype(np.bool_): 9, np.dtype(np.int8): 3, np.dtype(np.int32): 6}.get(np.dtype(v.dtype))
    if src is None or to not in _WIDTH or to == 9 or _WIDTH[src] != _WIDTH[to]:
        raise node.fail("a bit cast other than between integer types of one width is not supported")
    if to in (12, 13) and src not in (12, 13):
        raise node.fail("a bit cast to an unsigned 32- or 64-bit type is not supported (its values may not fit int32)")
    if to in HELD_KINDS:
        return _cast_to_held(node, HELD_KINDS[to])
    return [_elementwise(node, lambda x: node.b.cast(x, _ONNX_TO_PTENSOR[to]), [0])]


def _softmax_axis(node: Node, x: Tensor) -> tuple[Tensor, int]:
    """The tensor and axis Softmax, LogSoftmax and Hardmax work on: before
    opset 13 the input is coerced to 2-D at `axis` (default 1), the axis
    being the second; from 13 on, the axis itself (default -1)."""
    shape = x.shape
    if node.opset < 13:
        axis = node.attrs.get("axis", 1) % len(shape)
        return node.b.reshape(x, (int(np.prod(shape[:axis])), int(np.prod(shape[axis:])))), 1
    return x, node.attrs.get("axis", -1) % len(shape)
