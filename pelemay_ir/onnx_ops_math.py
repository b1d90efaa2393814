"""The op table's arithmetic family beyond ptensor's own ops, each a
composition: Floor, Ceil and Round from the truncating cast to i32 (exact:
a float of magnitude 2^23 or more is already an integer and is kept), Mod
(integer remainders exactly, float ones as x - y * trunc(x / y)), Pow with a
run-time exponent, Erf from gelu, IsNaN, IsInf, ReduceProd, Hardmax and
LpNormalization."""

from __future__ import annotations

import numpy as np

from pelemay_ir.builder import Tensor
from pelemay_ir.onnx_ops import _composite, _elementwise, _empty_reduction, _float, _reduce_axes, _softmax_axis, op
from pelemay_ir.onnx_values import Held, Node

_INTEGRAL = 2.0 ** 23
"""From this magnitude on every f32 is an integer (every f16 from 2048)."""


def trunc(node: Node, x: Tensor) -> Tensor:
    """x rounded toward zero, NaN and infinities kept."""
    b = node.b
    limit = _INTEGRAL if x.dtype == np.float32 else 2048.0
    small = b.compare("lt", b.abs(x), node.scalar(limit, x))
    t = b.cast(b.cast(b.clamp(x, -limit, limit), "i32"), x.element_type)
    return b.select(small, t, x)


def floor(node: Node, x: Tensor) -> Tensor:
    b = node.b
    t = trunc(node, x)
    return b.select(b.compare("gt", t, x), b.sub(t, node.scalar(1, x)), t)


def ceil(node: Node, x: Tensor) -> Tensor:
    b = node.b
    t = trunc(node, x)
    return b.select(b.compare("lt", t, x), b.add(t, node.scalar(1, x)), t)


@_composite("Floor")
def _floor(node, x):
    return floor(node, x)


@_composite("Ceil")
def _ceil(node, x):
    return ceil(node, x)


@_composite("Round")
def _round(node, x):
    """Halves to even, as ONNX (and NumPy) round."""
    b = node.b
    f = floor(node, x)
    frac = b.sub(x, f)  # exact below 2^23
    up = b.add(f, node.scalar(1, x))
    half = node.scalar(0.5, x)
    odd = b.compare("ne", b.mul(floor(node, b.mul(f, half)), node.scalar(2, x)), f)
    tie = b.select(odd, up, f)
    return b.select(b.compare("gt", frac, half), up, b.select(b.compare("lt", frac, half), f, tie))


@_composite("Erf")
def _erf(node, x):
    """erf(x) = 2 gelu(w) / w - 1 with w = x sqrt(2) (gelu is ptensor's exact-erf form)."""
    b = node.b
    w = b.mul(x, node.scalar(np.sqrt(2.0), x))
    zero = b.compare("eq", x, node.scalar(0, x))
    safe = b.select(zero, node.scalar(1, x), w)
    y = b.sub(b.div(b.mul(node.scalar(2, x), b.gelu(safe)), safe), node.scalar(1, x))
    return b.select(zero, x, y)


@_composite("IsNaN")
def _isnan(node, x):
    return node.b.compare("ne", x, x)


@op("IsInf")
def _isinf(node: Node):
    b = node.b
    pos, neg = node.attrs.get("detect_positive", 1), node.attrs.get("detect_negative", 1)

    def fn(x):
        _float(node, x)
        hits = []
        if pos:
            hits.append(b.compare("eq", x, node.scalar(np.inf, x)))
        if neg:
            hits.append(b.compare("eq", x, node.scalar(-np.inf, x)))
        if not hits:
            return b.compare("lt", b.abs(x), node.scalar(-1, x))  # never true
        if len(hits) == 1:
            return hits[0]
        return b.compare("eq", b.abs(x), node.scalar(np.inf, x))

    return [_elementwise(node, fn, [0])]


@op("Mod")
def _mod(node: Node):
    """fmod=1: the remainder with x's sign (C fmod); fmod=0: with y's sign
    (Python). Integers exactly (ptensor's division truncates; x mod 0 is 0);
    floats x - y * trunc(x / y), within rounding of the quotient."""
    b = node.b
    c_style = bool(node.attrs.get("fmod", 0))

    def fn(x, y):
        if x.dtype == np.bool_:
            raise node.fail("boolean operands are not valid")
        if x.dtype.kind == "f":
            r = b.sub(x, b.mul(y, trunc(node, b.div(x, y))))
            finite_x = b.compare("lt", b.abs(x), node.scalar(np.inf, x))
            infinite_y = b.compare("eq", b.abs(y), node.scalar(np.inf, y))
            r = b.select(infinite_y, b.select(finite_x, x, r), r)  # fmod(x, inf) = x
        else:
            r = b.sub(x, b.mul(y, b.div(x, y)))
            r = b.select(b.compare("eq", y, node.scalar(0, y)), node.scalar(0, r), r)  # NumPy's x mod 0 = 0
        if c_style:
            return r
        zero = node.scalar(0, r)
        r_neg = b.cast(b.compare("lt", r, zero), "i32")
        y_neg = b.cast(b.compare("lt", y, zero), "i32")
        nonzero = b.cast(b.compare("ne", r, zero), "i32")
        fix = b.compare("ne", b.mul(nonzero, b.abs(b.sub(r_neg, y_neg))), node.constant(np.zeros((), np.int32)))
        return b.select(fix, b.add(r, y), r)

    return [_elementwise(node, fn, [0, 1])]


@op("Pow")
def _pow(node: Node):
    """A known exponent of 0.5, 1, 2 or 3 stays a sqrt or products (exact);
    any other float power is exp(y log|x|), its sign restored for negative
    bases with an integral exponent (NaN for a fractional one), x^0 = 1."""
    from pelemay_ir.onnx_ops import _pow_known

    base = node.value(0)
    if isinstance(base, Held) and (base.wide or base.kind):
        what = "int64" if base.wide else base.kind
        raise node.fail(f"{what} arithmetic is not supported (powers of its {what} base could leave int32)")
    if not isinstance(node.value(1), Held):
        e = np.asarray(node.value(1))
        if e.size == 1 and float(e.reshape(())) in (0.5, 1.0, 2.0, 3.0):
            return _pow_known(node)
    b = node.b

    def fn(x, y):
        if x.dtype.kind != "f":
            raise node.fail(f"a base of element type {x.dtype} with a run-time or non-trivial exponent is not supported (floats only)")
        if y.dtype != x.dtype:
            y = b.cast(y, x.element_type)
        mag = b.exp(b.mul(y, b.log(b.abs(x))))
        integral = b.compare("eq", floor(node, y), y)
        half = b.mul(y, node.scalar(0.5, y))
        odd = b.compare("ne", floor(node, half), half)
        signed = b.select(integral, b.select(odd, b.neg(mag), mag), b.div(node.scalar(0, x), node.scalar(0, x)))
        y_ = b.select(b.compare("lt", x, node.scalar(0, x)), signed, mag)
        return b.select(b.compare("eq", y, node.scalar(0, y)), node.scalar(1, x), y_)

    return [_elementwise(node, fn, [0, 1])]


@op("ReduceProd")
def _reduce_prod(node: Node):
    """Products of slices along the reduced axes (moved last and flattened)."""
    b = node.b
    x = node.tensor(0)
    keep = bool(node.attrs.get("keepdims", 1))
    rank = len(x.shape)
    axes = _reduce_axes(node, rank) if rank else None
    if axes is None:
        return [Held(b.reshape(x, x.shape))]
    if any(x.shape[a] == 0 for a in axes):
        return _empty_reduction(node, x)
    if x.dtype == np.bool_:
        raise node.fail("boolean input is not valid")
    rest = [a for a in range(rank) if a not in axes]
    t = b.transpose(x, rest + axes) if rest + axes != list(range(rank)) else x
    outer = [x.shape[a] for a in rest]
    k = int(np.prod([x.shape[a] for a in axes]))
    t = b.reshape(t, (int(np.prod(outer)), k))
    acc = b.slice(t, [0, 0], [t.shape[0], 1])
    for j in range(1, k):
        acc = b.mul(acc, b.slice(t, [0, j], [t.shape[0], 1]))
    shape = [1 if a in axes else d for a, d in enumerate(x.shape)] if keep else outer
    return [Held(b.reshape(acc, shape))]


@op("Hardmax")
def _hardmax(node: Node):
    """1 at the first maximum along the axis, 0 elsewhere (argmax, one-hot)."""
    b = node.b
    x = node.tensor(0)
    _float(node, x)
    shape = x.shape
    t, axis = _softmax_axis(node, x)
    idx = b.argmax(t, axis, True)
    iota = np.arange(t.shape[axis], dtype=np.int32).reshape([t.shape[axis]] + [1] * (len(t.shape) - axis - 1))
    y = b.cast(b.compare("eq", idx, node.constant(iota)), x.element_type)
    return [Held(b.reshape(y, shape) if y.shape != shape else y)]


@op("LpNormalization")
def _lp_norm(node: Node):
    b = node.b
    x = node.tensor(0)
    _float(node, x)
    axis = node.attrs.get("axis", -1) % len(x.shape)
    p = node.attrs.get("p", 2)
    if p == 1:
        norm = b.reduce_sum(b.abs(x), [axis], True)
    elif p == 2:
        norm = b.sqrt(b.reduce_sum(b.mul(x, x), [axis], True))
    else:
        raise node.fail(f"attribute p={p} is not supported (1 or 2)")
    zero = b.compare("eq", norm, node.scalar(0, norm))
    return [Held(b.select(zero, node.scalar(0, x), b.div(x, b.select(zero, node.scalar(1, x), norm))))]


@_composite("Sinh")
def _sinh(node, x):
    b = node.b
    return b.mul(b.sub(b.exp(x), b.exp(b.neg(x))), node.scalar(0.5, x))


@_composite("Cosh")
def _cosh(node, x):
    b = node.b
    return b.mul(b.add(b.exp(x), b.exp(b.neg(x))), node.scalar(0.5, x))


@_composite("Asinh")
def _asinh(node, x):
    """sign(x) log(|x| + sqrt(x^2 + 1)): no cancellation for negative x."""
    b = node.b
    ax = b.abs(x)
    y = b.log(b.add(ax, b.sqrt(b.add(b.mul(x, x), node.scalar(1, x)))))
    return b.select(b.compare("lt", x, node.scalar(0, x)), b.neg(y), y)


@_composite("Acosh")
def _acosh(node, x):
    b = node.b
    return b.log(b.add(x, b.sqrt(b.sub(b.mul(x, x), node.scalar(1, x)))))


@_composite("Atanh")
def _atanh(node, x):
    b = node.b
    one = node.scalar(1, x)
    return b.mul(b.log(b.div(b.add(one, x), b.sub(one, x))), node.scalar(0.5, x))


@op("Det")
def _det(node: Node):
    """Determinants of 1x1, 2x2 and 3x3 matrices by their closed forms."""
    b = node.b
    x = node.tensor(0)
    _float(node, x)
    n = x.shape[-1]
    lead = list(x.shape[:-2])
    if n > 3 or x.shape[-2] != n:
        raise node.fail(f"matrices of size {x.shape[-2]}x{n} are not supported (square, up to 3x3)")

    def e(i, j):
        return b.reshape(b.slice(x, [0] * len(lead) + [i, j], lead + [1, 1]), lead)

    if n == 1:
        return [Held(e(0, 0))]
    if n == 2:
        return [Held(b.sub(b.mul(e(0, 0), e(1, 1)), b.mul(e(0, 1), e(1, 0))))]

    def minor(i, j, k, m):
        return b.sub(b.mul(e(1, i), e(2, j)), b.mul(e(1, k), e(2, m)))

    t = b.mul(e(0, 0), minor(1, 2, 2, 1))
    t = b.sub(t, b.mul(e(0, 1), minor(0, 2, 2, 0)))
    return [Held(b.add(t, b.mul(e(0, 2), minor(0, 1, 1, 0))))]


@op("CumSum", "CumProd")
def _cumulative(node: Node):
    """Running sums or products along the axis, one slice at a time (the
    order NumPy's cumsum and cumprod use; integers wrap as theirs do), for
    axes of at most 256 entries; exclusive and reverse as ONNX defines them."""
    b = node.b
    x = node.tensor(0)
    if x.dtype == np.bool_:
        raise node.fail("boolean input is not valid")
    rank = len(x.shape)
    axis = int(np.asarray(node.const(1, "the axis")).reshape(-1)[0])
    if not -rank <= axis < rank:
        raise node.fail(f"axis {axis} is out of range for rank {rank}")
    axis %= rank
    n = x.shape[axis]
    if n == 0 or n > 256:
        raise node.fail(f"an axis of {n} entries is not supported (1 to 256)")
    combine = b.add if node.op == "CumSum" else b.mul
    size = list(x.shape)
    size[axis] = 1

    def part(k):
        offsets = [0] * rank
        offsets[axis] = k
        return b.slice(x, offsets, size)

    order = range(n - 1, -1, -1) if node.attrs.get("reverse", 0) else range(n)
    exclusive = bool(node.attrs.get("exclusive", 0))
    out, acc = {}, None
    for k in order:
        if exclusive:
            out[k] = acc if acc is not None else b.broadcast(node.scalar(0 if node.op == "CumSum" else 1, x), size)
        s = part(k)
        acc = s if acc is None else combine(acc, s)
        if not exclusive:
            out[k] = acc
    return [Held(b.concat([out[k] for k in range(n)], axis) if n > 1 else out[0])]
