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


@op("Pow")
def _pow(node: Node):
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


@op("Cast")
def _cast(node: Node):
    to = node.attrs.get("to")
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
            raise node.fail("a reduction over an empty axis is not supported")
        return [Held(build(node, x, axes, keep))]

    OPS[name] = translate


_reduction("ReduceSum", lambda n, x, a, k: n.b.reduce_sum(x, a, k))
_reduction("ReduceMax", lambda n, x, a, k: _on_bools(n, x, lambda t: n.b.reduce_max(t, a, k)))
_reduction("ReduceMin", lambda n, x, a, k: _on_bools(n, x, lambda t: n.b.reduce_min(t, a, k)))


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


@op("ArgMax", "ArgMin")
def _arg_extreme(node: Node):
    """ptensor's argmax (first maximum); ArgMin on -x (floats) or -1 - x
    (integers, which cannot overflow); the last index by reversing the axis."""
    b = node.b
    x = node.tensor(0)
    shape = x.shape
    if not shape:
        raise node.fail("a rank-0 input is not supported")
    axis = node.attrs.get("axis", 0) % len(shape)
    keep = bool(node.attrs.get("keepdims", 1))
    last = bool(node.attrs.get("select_last_index", 0))
    if x.dtype == np.bool_:
        x = b.cast(x, "i32")
    if last:
        x = _take(node, x, axis, list(range(shape[axis] - 1, -1, -1)))
    if node.op == "ArgMin":
        x = b.neg(x) if x.dtype.kind == "f" else b.sub(node.scalar(-1, x), x)
    y = b.argmax(x, axis, keep)
    if last:
        y = b.sub(node.scalar(shape[axis] - 1, y), y)
    return [Held(y)]


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


# --- layout ------------------------------------------------------------------


@op("Reshape")
def _reshape(node: Node):
    shape = [int(d) for d in node.const(1, "the shape")]
    src = node.shape(0)
    allowzero = node.attrs.get("allowzero", 0)
    out = [src[i] if d == 0 and not allowzero else d for i, d in enumerate(shape)]
    if -1 in out:
        known = int(np.prod([d for d in out if d != -1]))
        out[out.index(-1)] = int(np.prod(src)) // known if known else 0
    return [Held(node.b.reshape(node.tensor(0), out))]


@op("Flatten")
def _flatten(node: Node):
    shape = node.shape(0)
    axis = node.attrs.get("axis", 1)
    axis = axis + len(shape) if axis < 0 else axis  # -1 is the last axis, not the end
    return [Held(node.b.reshape(node.tensor(0), (int(np.prod(shape[:axis])), int(np.prod(shape[axis:])))))]


@op("Squeeze")
def _squeeze(node: Node):
    shape = node.shape(0)
    axes = node.ints("axes", 1, "the axes")
    axes = [a % len(shape) for a in axes] if axes else [i for i, d in enumerate(shape) if d == 1]
    return [Held(node.b.reshape(node.tensor(0), [d for i, d in enumerate(shape) if i not in axes]))]


@op("Unsqueeze")
def _unsqueeze(node: Node):
    shape = list(node.shape(0))
    axes = node.ints("axes", 1, "the axes") or []
    rank = len(shape) + len(axes)
    for a in sorted(x % rank for x in axes):
        shape.insert(a, 1)
    return [Held(node.b.reshape(node.tensor(0), shape))]


@op("Expand")
def _expand(node: Node):
    target = [int(d) for d in node.const(1, "the shape")]
    out = np.broadcast_shapes(node.shape(0), tuple(target))
    x = node.tensor(0)
    return [Held(node.b.broadcast(x, out) if tuple(out) != x.shape else node.b.reshape(x, out))]


@op("Transpose")
def _transpose(node: Node):
    rank = len(node.shape(0))
    perm = [int(p) for p in node.attrs.get("perm", list(range(rank))[::-1])]
    v = node.value(0)
    if isinstance(v, Held) and v.nhwc and rank == 4:
        # ONNX axes of the NCHW value held as NHWC: compose with the hold's permutation.
        return [Held(node.b.transpose(v.tensor, [NCHW_POS[p] for p in perm]))]
    return [Held(node.b.transpose(node.tensor(0), perm))]


NCHW_POS = (0, 3, 1, 2)
"""Where each NCHW axis sits in the NHWC hold."""


def _take(node: Node, x: Tensor, axis: int, indices: Sequence[int]) -> Tensor:
    """x's entries at `indices` along `axis` as slices (runs of step 1) and a concat."""
    b = node.b
    shape = list(x.shape)
    runs: list[tuple[int, int, int]] = []  # (start, count, step)
    for i in indices:
        if runs:
            s, c, st = runs[-1]
            if c == 1 and i != s and i - s > 0:
                runs[-1] = (s, 2, i - s)
                continue
            if c > 1 and i == s + c * st:
                runs[-1] = (s, c + 1, st)
                continue
        runs.append((i, 1, 1))
    parts = []
    for s, c, st in runs:
        offsets = [0] * len(shape)
        sizes = list(shape)
        strides = [1] * len(shape)
        offsets[axis], sizes[axis], strides[axis] = s, c, st
        parts.append(b.slice(x, offsets, sizes, strides))
    if not parts:
        raise node.fail("an empty selection is not supported")
    return parts[0] if len(parts) == 1 else b.concat(parts, axis)


@op("Slice")
def _slice(node: Node):
    shape = node.shape(0)
    rank = len(shape)
    if node.opset < 10:
        starts, ends, axes = node.attrs["starts"], node.attrs["ends"], node.attrs.get("axes")
        steps = None
    else:
        starts = node.ints("", 1, "the starts")
        ends = node.ints("", 2, "the ends")
        axes = node.ints("", 3, "the axes")
        steps = node.ints("", 4, "the steps")
    axes = [a % rank for a in (axes if axes is not None else range(len(starts)))]
    steps = steps or [1] * len(axes)
    offsets, sizes, strides = [0] * rank, list(shape), [1] * rank
    reverse: dict[int, list[int]] = {}
    for a, s, e, st in zip(axes, starts, ends, steps):
        d = shape[a]
        if st == 0:
            raise node.fail("a step of 0 is not valid")
        idx = list(range(*slice(int(s), int(e), int(st)).indices(d)))
        if st < 0:
            reverse[a] = idx
            continue
        if not idx:
            raise node.fail("an empty slice is not supported")
        offsets[a], sizes[a], strides[a] = idx[0], len(idx), int(st)
    y = node.b.slice(node.tensor(0), offsets, sizes, strides) if (offsets, sizes, strides) != ([0] * rank, list(shape), [1] * rank) else node.tensor(0)
    for a, idx in reverse.items():
        if not idx:
            raise node.fail("an empty slice is not supported")
        y = _take(node, y, a, idx)
    if y is node.tensor(0):
        y = node.b.reshape(y, y.shape)
    return [Held(y)]


@op("Concat")
def _concat(node: Node):
    axis = node.attrs["axis"]
    rank = len(node.shape(0))
    axis %= rank
    idx = [i for i in range(node.n_inputs) if node.has(i) and 0 not in node.shape(i)]
    if rank == 4 and _layout_of(node):
        return [Held(node.b.concat([node.nhwc(i) for i in idx], NCHW_POS[axis]), True)]
    xs = [node.tensor(i) for i in idx]
    return [Held(node.b.concat(xs, axis) if len(xs) > 1 else node.b.reshape(xs[0], xs[0].shape))]


@op("Split")
def _split(node: Node):
    shape = node.shape(0)
    axis = node.attrs.get("axis", 0) % len(shape)
    sizes = node.ints("split", 1, "the split sizes")
    n_out = len(node.proto.output)
    if sizes is None:
        parts = node.attrs.get("num_outputs", n_out)
        chunk = -(-shape[axis] // parts)
        sizes = [min(chunk, shape[axis] - k * chunk) for k in range(parts)]
    x = node.tensor(0)
    out, start = [], 0
    for size in sizes:
        offsets, sz = [0] * len(shape), list(shape)
        offsets[axis], sz[axis] = start, size
        out.append(Held(node.b.slice(x, offsets, sz)))
        start += size
    return out


@op("Tile")
def _tile(node: Node):
    repeats = [int(r) for r in node.const(1, "the repeats")]
    y = node.tensor(0)
    for axis, r in enumerate(repeats):
        if r == 0:
            raise node.fail("a repeat of 0 is not supported")
        if r > 1:
            y = node.b.concat([y] * r, axis)
    if y is node.tensor(0):
        y = node.b.reshape(y, y.shape)
    return [Held(y)]


@op("Pad")
def _pad(node: Node):
    mode = _text(node.attrs.get("mode", b"constant"))
    if mode != "constant":
        raise node.fail(f"attribute mode={mode} is not supported")
    shape = node.shape(0)
    rank = len(shape)
    pads = node.ints("pads", 1, "the pads") if node.opset >= 11 else node.attrs.get("pads", node.attrs.get("paddings"))
    value = node.attrs.get("value", 0.0)
    if node.opset >= 11 and node.has(2):
        value = float(np.asarray(node.const(2, "the constant value")).reshape(()))
    axes = node.ints("", 3, "the axes") if node.opset >= 18 else None
    axes = [a % rank for a in axes] if axes else list(range(rank))
    low, high = [0] * rank, [0] * rank
    for k, a in enumerate(axes):
        low[a], high[a] = int(pads[k]), int(pads[k + len(axes)])
    x = node.tensor(0)
    if any(p < 0 for p in low + high):
        offsets = [max(-p, 0) for p in low]
        sizes = [d - max(-lo, 0) - max(-hi, 0) for d, lo, hi in zip(shape, low, high)]
        x = node.b.slice(x, offsets, sizes)
        low, high = [max(p, 0) for p in low], [max(p, 0) for p in high]
    return [Held(node.b.pad(x, low, high, value))]


@op("DepthToSpace", "SpaceToDepth")
def _depth_space(node: Node):
    b = node.b
    n, c, h, w = node.shape(0)
    bs = node.attrs["blocksize"]
    x = node.tensor(0)
    if node.op == "SpaceToDepth":
        t = b.reshape(x, (n, c, h // bs, bs, w // bs, bs))
        mode = _text(node.attrs.get("mode", b"DCR"))
        if mode not in ("DCR", "CRD"):
            raise node.fail(f"attribute mode={mode} is not supported")
        t = b.transpose(t, (0, 3, 5, 1, 2, 4) if mode == "DCR" else (0, 1, 3, 5, 2, 4))
        return [Held(b.reshape(t, (n, c * bs * bs, h // bs, w // bs)))]
    if _text(node.attrs.get("mode", b"DCR")) == "DCR":
        t = b.transpose(b.reshape(x, (n, bs, bs, c // (bs * bs), h, w)), (0, 3, 4, 1, 5, 2))
    else:
        t = b.transpose(b.reshape(x, (n, c // (bs * bs), bs, bs, h, w)), (0, 1, 4, 2, 5, 3))
    return [Held(b.reshape(t, (n, c // (bs * bs), h * bs, w * bs)))]


@op("Gather")
def _gather(node: Node):
    shape = node.shape(0)
    axis = node.attrs.get("axis", 0) % len(shape)
    idx_v = node.value(1)
    if not isinstance(idx_v, Held):
        indices = np.asarray(idx_v).astype(np.int64)
        flat = [int(i) % shape[axis] for i in indices.reshape(-1)]
        y = _take(node, node.tensor(0), axis, flat) if flat else None
        if y is None:
            raise node.fail("empty indices are not supported")
        out_shape = shape[:axis] + indices.shape + shape[axis + 1:]
        return [Held(node.b.reshape(y, out_shape))]
    return [Held(_gather_runtime(node, node.tensor(0), node.tensor(1), axis))]


def _gather_runtime(node: Node, data: Tensor, indices: Tensor, axis: int) -> Tensor:
    """Entries of `data` at runtime indices along `axis`: a one-hot matrix
    times the table (the axis moved to the front and back again).

    Each output row is the sum of exactly one table row times 1 and the
    others times 0, so finite tables come out exact (integers in i32);
    negative indices count from the end as in ONNX.
    """
    b = node.b
    if indices.dtype != np.int32:
        raise node.fail(f"runtime indices of element type {indices.dtype} are not supported (int32, int64)")
    kind = data.dtype
    if kind in (np.bool_, np.int8):
        data = b.cast(data, "i32")
    elif kind not in (np.float32, np.float16, np.int32):
        raise node.fail(f"gathering from element type {kind} at runtime indices is not supported")
    rank = len(data.shape)
    if axis:
        data = b.transpose(data, (axis, *range(axis), *range(axis + 1, rank)))
    rows = data.shape[0]
    rest = data.shape[1:]
    idx = b.reshape(indices, (*indices.shape, 1))
    idx = b.select(b.compare("lt", idx, node.scalar(0, idx)), b.add(idx, node.scalar(rows, idx)), idx)
    iota = node.constant(np.arange(rows, dtype=np.int32))
    one_hot = b.cast(b.compare("eq", idx, iota), data.element_type)
    count = int(np.prod(indices.shape))
    table = b.reshape(data, (rows, int(np.prod(rest))))
    y = b.reshape(b.matmul(b.reshape(one_hot, (count, rows)), table), (*indices.shape, *rest))
    if axis:
        k = len(indices.shape)
        y = b.transpose(y, (*range(k, k + axis), *range(k), *range(k + axis, k + rank - 1)))
    if kind in (np.bool_, np.int8):
        y = b.cast(y, "i1" if kind == np.bool_ else "i8")
    return y


@op("Shape")
def _shape(node: Node):
    shape = np.array(node.shape(0), dtype=np.int64)
    start = node.attrs.get("start", 0)
    end = node.attrs.get("end", None)
    return [shape[start:end]]


@op("Size")
def _size(node: Node):
    return [np.array(int(np.prod(node.shape(0))), dtype=np.int64)]


# --- convolution, pooling, normalisation -------------------------------------


def _window_pads(node: Node, spatial: Sequence[int], kernel: Sequence[int], strides, dilations) -> list[int]:
    """ONNX pads (or auto_pad) as ptensor's [top, bottom, left, right]."""
    auto = _text(node.attrs.get("auto_pad", b"NOTSET"))
    if auto in ("NOTSET", ""):
        p = node.attrs.get("pads", [0, 0, 0, 0])
        return [int(p[0]), int(p[2]), int(p[1]), int(p[3])]
    if auto == "VALID":
        return [0, 0, 0, 0]
    out = []
    for d, k, s, dl in zip(spatial, kernel, strides, dilations):
        total = max((-(-d // s) - 1) * s + (k - 1) * dl + 1 - d, 0)
        small = total // 2
        out += [small, total - small] if auto == "SAME_UPPER" else [total - small, small]
    return out


def _spatial_2d(node: Node) -> None:
    if len(node.shape(0)) != 4:
        raise node.fail(f"a {len(node.shape(0)) - 2}-D window is not supported (2-D only)")


@op("Conv")
def _conv(node: Node):
    b = node.b
    _spatial_2d(node)
    w_v = node.value(1)
    kernel = list(node.shape(1)[2:])
    strides = list(node.attrs.get("strides", [1, 1]))
    dilations = list(node.attrs.get("dilations", [1, 1]))
    group = node.attrs.get("group", 1)
    pads = _window_pads(node, node.shape(0)[2:], kernel, strides, dilations)
    if isinstance(w_v, Held):
        w = b.transpose(node.tensor(1), (2, 3, 1, 0))
    else:
        w = node.constant(np.ascontiguousarray(np.transpose(w_v, (2, 3, 1, 0))))
    bias = node.tensor(2) if node.has(2) else None
    x = node.nhwc(0)
    _float(node, x)
    return [Held(b.conv2d(x, w, bias, strides, dilations, pads, group), True)]


def _pool(node: Node, kind: str):
    b = node.b
    _spatial_2d(node)
    if len(node.proto.output) > 1 and node.proto.output[1]:
        raise node.fail("the Indices output is not supported")
    node.reject_attrs(storage_order=0)
    kernel = list(node.attrs["kernel_shape"])
    strides = list(node.attrs.get("strides", [1, 1]))
    dilations = list(node.attrs.get("dilations", [1, 1]))
    if dilations != [1, 1]:
        raise node.fail(f"attribute dilations={dilations} is not supported")
    spatial = node.shape(0)[2:]
    pads = _window_pads(node, spatial, kernel, strides, dilations)
    x = node.nhwc(0)
    if node.attrs.get("ceil_mode", 0):
        for k, d in enumerate(spatial):
            lo, hi = pads[2 * k], pads[2 * k + 1]
            span = d + lo + hi - kernel[k]
            out = -(-span // strides[k]) + 1
            if (out - 1) * strides[k] >= d + lo:
                out -= 1  # ONNX drops a last window that starts in the end padding
            pads[2 * k + 1] = max(hi, (out - 1) * strides[k] + kernel[k] - d - lo)
    if kind == "avg" and node.attrs.get("count_include_pad", 0) and any(pads):
        x = b.pad(x, [0, pads[0], pads[2], 0], [0, pads[1], pads[3], 0], 0.0)
        pads = [0, 0, 0, 0]
    fn = b.max_pool2d if kind == "max" else b.avg_pool2d
    if kind == "avg":
        _float(node, x)
    return [Held(fn(x, kernel, strides, pads), True)]


OPS["MaxPool"] = lambda node: _pool(node, "max")
OPS["AveragePool"] = lambda node: _pool(node, "avg")


@op("GlobalAveragePool", "GlobalMaxPool")
def _global_pool(node: Node):
    rank = len(node.shape(0))
    if rank == 4:
        x = node.nhwc(0)
        fn = node.b.reduce_mean if node.op == "GlobalAveragePool" else node.b.reduce_max
        return [Held(fn(x, [1, 2], True), True)]
    fn = node.b.reduce_mean if node.op == "GlobalAveragePool" else node.b.reduce_max
    return [Held(fn(node.tensor(0), list(range(2, rank)), True))]


@op("BatchNormalization")
def _batch_norm(node: Node):
    b = node.b
    if node.attrs.get("training_mode", 0):
        raise node.fail("attribute training_mode=1 is not supported")
    if any(o for o in node.proto.output[1:]):
        raise node.fail("the training outputs (running mean and variance) are not supported")
    eps = node.attrs.get("epsilon", 1e-5)
    params = [node.tensor(i) for i in (1, 2, 3, 4)]
    rank = len(node.shape(0))
    if rank == 4:
        return [Held(b.batch_norm(node.nhwc(0), *params, eps), True)]
    x = node.tensor(0)
    if rank == 2:
        return [Held(b.batch_norm(x, *params, eps))]
    perm = [0, *range(2, rank), 1]
    back = [0, rank - 1, *range(1, rank - 1)]
    return [Held(b.transpose(b.batch_norm(b.transpose(x, perm), *params, eps), back))]


@op("LayerNormalization")
def _layer_norm(node: Node):
    b = node.b
    if node.attrs.get("stash_type", 1) != 1:
        raise node.fail("attribute stash_type other than float is not supported")
    x = node.tensor(0)
    axis = node.attrs.get("axis", -1) % len(x.shape)
    trailing = x.shape[axis:]

    def param(i, fill):
        if not node.has(i):
            return node.constant(np.full(trailing, fill, dtype=x.dtype))
        t = node.tensor(i)
        if t.shape != trailing:
            t = b.broadcast(t, trailing) if len(t.shape) <= len(trailing) else b.reshape(t, trailing)
        return t

    eps = node.attrs.get("epsilon", 1e-5)
    y = Held(b.layer_norm(x, param(1, 1), param(2, 0), axis, eps))
    if not any(o for o in node.proto.output[1:]):
        return [y]
    # Mean and InvStdDev (stash type float), as the ONNX function computes them
    xf = b.cast(x, "f32") if x.dtype != np.float32 else x
    axes = list(range(axis, len(x.shape)))
    mean = b.reduce_mean(xf, axes, True)
    centred = b.sub(xf, mean)
    var = b.reduce_mean(b.mul(centred, centred), axes, True)
    return [y, Held(mean), Held(b.rsqrt(b.add(var, node.scalar(eps, var))))]


@op("InstanceNormalization")
def _instance_norm(node: Node):
    b = node.b
    x = node.tensor(0)
    rank = len(x.shape)
    axes = list(range(2, rank))
    eps = node.attrs.get("epsilon", 1e-5)
    mean = b.reduce_mean(x, axes, True)
    centred = b.sub(x, mean)
    var = b.reduce_mean(b.mul(centred, centred), axes, True)
    norm = b.mul(centred, b.rsqrt(b.add(var, node.scalar(eps, x))))
    chan = (x.shape[1],) + (1,) * (rank - 2)
    scale, bias = (b.reshape(node.tensor(i), chan) for i in (1, 2))
    return [Held(b.add(b.mul(norm, scale), bias))]


@op("MeanVarianceNormalization")
def _mvn(node: Node):
    b = node.b
    x = node.tensor(0)
    axes = [a % len(x.shape) for a in node.attrs.get("axes", [0, 2, 3])]
    mean = b.reduce_mean(x, axes, True)
    centred = b.sub(x, mean)
    var = b.reduce_mean(b.mul(centred, centred), axes, True)
    return [Held(b.div(centred, b.add(b.sqrt(var), node.scalar(1e-9, x))))]


def _softmax_like(node: Node, log: bool):
    b = node.b
    x = node.tensor(0)
    _float(node, x)
    shape = x.shape
    default = 1 if node.opset < 13 else -1
    axis = node.attrs.get("axis", default) % len(shape)

    def on(t, ax):
        if not log and t.dtype == np.float16:
            # ONNX's Softmax function, op by op: each step rounds to float16
            # (what onnx.reference computes), not the float32 softmax rounded once.
            e = b.exp(b.sub(t, b.reduce_max(t, [ax], True)))
            return b.div(e, b.reduce_sum(e, [ax], True))
        if not log:
            return b.softmax(t, ax)
        shifted = b.sub(t, b.reduce_max(t, [ax], True))
        return b.sub(shifted, b.log(b.reduce_sum(b.exp(shifted), [ax], True)))

    if node.opset < 13 and axis != len(shape) - 1:
        flat = b.reshape(x, (int(np.prod(shape[:axis])), int(np.prod(shape[axis:]))))
        return [Held(b.reshape(on(flat, 1), shape))]
    return [Held(on(x, axis))]


OPS["Softmax"] = lambda node: _softmax_like(node, False)
OPS["LogSoftmax"] = lambda node: _softmax_like(node, True)


# --- recurrent ---------------------------------------------------------------


@op("LSTM")
def _lstm(node: Node):
    """LSTM unrolled over its static sequence length: per step one matmul for
    the input, one for the hidden state, the gates sliced out of their sum;
    forward, reverse or both, with peepholes, either layout."""
    b = node.b
    direction = _text(node.attrs.get("direction", b"forward"))
    if direction not in ("forward", "reverse", "bidirectional"):
        raise node.fail(f"attribute direction={direction} is not supported")
    dirs = 2 if direction == "bidirectional" else 1
    if "activations" in node.attrs and [_text(a) for a in node.attrs["activations"]] != ["Sigmoid", "Tanh", "Tanh"] * dirs:
        raise node.fail("attribute activations other than the default (Sigmoid, Tanh, Tanh) is not supported")
    if "clip" in node.attrs:
        raise node.fail("attribute clip is not supported")
    node.reject_attrs(input_forget=0)
    if node.has(4):
        raise node.fail("input sequence_lens is not supported")
    layout = node.attrs.get("layout", 0)
    x = node.tensor(0)
    _float(node, x)
    if layout:
        x = b.transpose(x, (1, 0, 2))
    seq, batch, features = x.shape
    hidden = node.attrs.get("hidden_size", node.shape(2)[-1])

    def part(i: int, d: int, transpose: bool = False) -> Tensor:
        """Direction d of input i (its leading num_directions axis dropped),
        a known matrix transposed at import."""
        v = node.value(i)
        shape = node.shape(i)
        if isinstance(v, Held):
            t = b.reshape(b.slice(node.tensor(i), [d] + [0] * (len(shape) - 1), [1, *shape[1:]]), shape[1:])
            return b.transpose(t, (1, 0)) if transpose else t
        a = np.asarray(v)[d]
        return node.constant(np.ascontiguousarray(a.T if transpose else a))

    def state(i: int, d: int) -> Tensor:
        if not node.has(i):
            return node.constant(np.zeros((batch, hidden), dtype=x.dtype))
        t = node.tensor(i)
        if layout:
            t = b.transpose(t, (1, 0, 2))
        return b.reshape(b.slice(t, [d, 0, 0], [1, batch, hidden]), (batch, hidden))

    ys, hs, cs = [], [], []
    for d in range(dirs):
        wt = part(1, d, transpose=True)  # (features, 4H)
        rt = part(2, d, transpose=True)  # (H, 4H)
        bias = None
        if node.has(3) and not isinstance(node.value(3), Held):
            bd = np.asarray(node.value(3))[d]
            bias = node.constant(bd[: 4 * hidden] + bd[4 * hidden:])
        elif node.has(3):
            bd = part(3, d)
            bias = b.add(b.slice(bd, [0], [4 * hidden]), b.slice(bd, [4 * hidden], [4 * hidden]))
        peep = None
        if node.has(7):
            pd = part(7, d)
            peep = [b.slice(pd, [k * hidden], [hidden]) for k in range(3)]  # i, o, f
        h, c = state(5, d), state(6, d)
        steps: list[Tensor | None] = [None] * seq
        backward = direction == "reverse" or d == 1
        for t in (range(seq - 1, -1, -1) if backward else range(seq)):
            xt = b.reshape(b.slice(x, [t, 0, 0], [1, batch, features]), (batch, features))
            gates = b.add(b.matmul(xt, wt), b.matmul(h, rt))
            if bias is not None:
                gates = b.add(gates, bias)

            def gate(k):
                return b.slice(gates, [0, k * hidden], [batch, hidden])

            i_pre, o_pre, f_pre = gate(0), gate(1), gate(2)
            if peep is not None:
                i_pre, f_pre = b.add(i_pre, b.mul(peep[0], c)), b.add(f_pre, b.mul(peep[2], c))
            c = b.add(b.mul(b.sigmoid(f_pre), c), b.mul(b.sigmoid(i_pre), b.tanh(gate(3))))
            if peep is not None:
                o_pre = b.add(o_pre, b.mul(peep[1], c))
            h = b.mul(b.sigmoid(o_pre), b.tanh(c))
            steps[t] = b.reshape(h, (1, 1, batch, hidden))
        ys.append(b.concat(steps, 0) if seq > 1 else steps[0])
        hs.append(b.reshape(h, (1, batch, hidden)))
        cs.append(b.reshape(c, (1, batch, hidden)))
    y = b.concat(ys, 1) if dirs > 1 else ys[0]  # (seq, dirs, batch, H)
    y_h = b.concat(hs, 0) if dirs > 1 else hs[0]
    y_c = b.concat(cs, 0) if dirs > 1 else cs[0]
    if layout:
        y = b.transpose(y, (2, 0, 1, 3))
        y_h, y_c = b.transpose(y_h, (1, 0, 2)), b.transpose(y_c, (1, 0, 2))
    return [Held(y), Held(y_h), Held(y_c)]


@op("ConstantOfShape")
def _constant_of_shape(node: Node):
    """Reached only when the shape is a graph input the declared output fixes."""
    from onnx import numpy_helper

    shape = [int(d) for d in node.const(0, "the shape")]
    fill = numpy_helper.to_array(node.attrs["value"]).reshape(-1) if "value" in node.attrs else np.zeros(1, np.float32)
    if 0 in shape:
        raise node.fail("an empty result is not supported")
    return [Held(node.constant(np.full(shape, fill[0], dtype=fill.dtype)))]


@op("If")
def _if(node: Node):
    """An If on a condition known at compile time: the taken branch's nodes
    are imported in its place (they read the enclosing graph's values)."""
    cond = np.asarray(node.const(0, "the condition"))
    if cond.size != 1:
        raise node.fail("the condition must hold one value")
    return node.importer.inline(node, node.attrs["then_branch" if bool(cond.reshape(())) else "else_branch"])
