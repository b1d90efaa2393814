"""Integer bit operations from ptensor arithmetic: BitShift, BitwiseAnd, Or,
Xor and Not, and the wrap-around of arithmetic on the narrow integer types
held as int32 (uint8, int16, uint16).

ptensor has no shifts or bitwise ops; its integers wrap modulo 2^32 and its
division truncates (x / 0 = 0), so these are exact compositions:

- wrap to w bits: r = t - (t / 2^w) * 2^w, plus 2^w where negative (offset by
  2^(w-1) for a signed type); int32 arithmetic is exact modulo 2^32, hence
  modulo 2^w.
- bits: a non-negative value's bit j is q_j - 2 q_(j+1), q_j = x / 2^j; a
  signed value's sign bit is x < 0, its other bits those of x + 2^(w-1)
  (x - INT_MIN, wrapping, for int32).
- And, Or, Xor of bits a, b: ab, a + b - ab, a + b - 2ab, summed with their
  weights (the sign bit's weight is -2^(w-1)); Not is -1 - x, or 2^w - 1 - x.
- shifts: 2^y is a sum of one-hot terms (zero where y >= the width); a left
  shift multiplies and wraps, a right shift divides (rounding down for
  negative values; division by the zero of a too-large shift gives 0, or -1
  for a negative value, as NumPy's shifts do).

int64 values held as int32 (they fit int32) and the non-negative uint32 and
uint64 values held as int32 (below 2^31) keep their results in range for
And, Or, Xor and right shifts; their left shifts and uint32/uint64 Not could
leave it and are rejected naming the node."""

from __future__ import annotations

import numpy as np

from pelemay_ir.builder import Tensor
from pelemay_ir.onnx_ops import _elementwise, _wrap_bits, op
from pelemay_ir.onnx_values import NARROW_BITS, Held, Node

INT_MIN = int(np.iinfo(np.int32).min)


def _int_type(node: Node) -> tuple[int, bool, str]:
    """(width, signed, name) of the node's integer operands as held in int32:
    width 31 unsigned for uint32/uint64 (their held values are below 2^31),
    32 signed for int64 (its held values fit int32)."""
    ref = next((node.value(i) for i in range(node.n_inputs) if node.has(i) and isinstance(node.value(i), Held)), None)
    if ref is None:
        ref = node.value(0)
    if isinstance(ref, Held):
        if ref.wide:
            return 32, True, "int64"
        if ref.kind in NARROW_BITS:
            return (*NARROW_BITS[ref.kind], ref.kind)
        if ref.kind:
            return 31, False, ref.kind
    dt = np.dtype(ref.dtype)
    if dt == np.int64:
        return 32, True, "int64"
    if dt.name in NARROW_BITS:
        return (*NARROW_BITS[dt.name], dt.name)
    if dt.name in ("uint32", "uint64"):
        return 31, False, dt.name
    if dt == np.int32:
        return 32, True, "int32"
    if dt == np.int8:
        return 8, True, "int8"
    raise node.fail(f"element type {dt} is not valid (integers only)")


def _i32(node: Node, x: Tensor) -> Tensor:
    return node.b.cast(x, "i32") if x.dtype != np.int32 else x


def _back(node: Node, r: Tensor, name: str) -> Tensor:
    """An int8 result computed in int32 (in range) back to int8."""
    return node.b.cast(r, "i8") if name == "int8" else r


def _bits(node: Node, x: Tensor, width: int, signed: bool) -> tuple[list[Tensor], Tensor | None]:
    """x's value bits, lowest first, and its sign bit (signed types), as 0/1 int32."""
    b = node.b
    sign = None
    if signed:
        neg = b.compare("lt", x, node.scalar(0, x))
        top = -(1 << (width - 1)) if width < 32 else INT_MIN
        x = b.select(neg, b.sub(x, node.scalar(top, x)), x)
        sign = b.cast(neg, "i32")
        width -= 1
    two = node.scalar(2, x)
    out, q = [], x
    for _ in range(width):
        q2 = b.div(q, two)
        out.append(b.sub(q, b.mul(q2, two)))
        q = q2
    return out, sign


_COMBINE = {
    "BitwiseAnd": lambda b, p, q: b.mul(p, q),
    "BitwiseOr": lambda b, p, q: b.sub(b.add(p, q), b.mul(p, q)),
    "BitwiseXor": lambda b, p, q: b.sub(b.add(p, q), b.add(b.mul(p, q), b.mul(p, q))),
}


@op("BitwiseAnd", "BitwiseOr", "BitwiseXor")
def _bitwise(node: Node):
    width, signed, name = _int_type(node)
    combine = _COMBINE[node.op]
    b = node.b

    def fn(x, y):
        x, y = _i32(node, x), _i32(node, y)
        xb, xs = _bits(node, x, width, signed)
        yb, ys = _bits(node, y, width, signed)
        acc = None
        for j, (p, q) in enumerate(zip(xb, yb)):
            term = combine(b, p, q)
            if j:
                term = b.mul(term, node.scalar(1 << j, term))
            acc = term if acc is None else b.add(acc, term)
        if signed:
            top = -(1 << (width - 1)) if width < 32 else INT_MIN
            acc = b.add(acc, b.mul(combine(b, xs, ys), node.scalar(top, acc)))
        return _back(node, acc, name)

    return [_elementwise(node, fn, [0, 1])]


@op("BitwiseNot")
def _bitwise_not(node: Node):
    width, signed, name = _int_type(node)
    if not signed and width == 31:
        raise node.fail(f"a bitwise not of {name} values held as int32 is not supported (its result may not fit int32)")
    ones = -1 if signed else (1 << width) - 1
    return [_elementwise(node, lambda x: node.b.sub(node.scalar(ones, x), x), [0])]


@op("BitShift")
def _bitshift(node: Node):
    direction = node.attrs.get("direction", b"")
    direction = direction.decode() if isinstance(direction, bytes) else str(direction)
    if direction not in ("LEFT", "RIGHT"):
        raise node.fail(f"attribute direction={direction} is not supported (LEFT or RIGHT)")
    width, signed, name = _int_type(node)
    left = direction == "LEFT"
    if left and name in ("int64", "uint32", "uint64"):
        raise node.fail(f"a left shift of {name} values held as int32 is not supported (its result may not fit int32)")
    b = node.b

    def fn(x, y):
        x, y = _i32(node, x), _i32(node, y)
        limit = min(width, 32 if left else 31)
        p = None
        for j in range(limit):
            weight = (1 << j) if j < 31 else INT_MIN
            term = b.mul(b.cast(b.compare("eq", y, node.scalar(j, y)), "i32"), node.scalar(weight, y))
            p = term if p is None else b.add(p, term)
        if left:
            r = b.mul(x, p)
            if width < 32:
                r = _wrap_bits(node, r, width, signed)
            return _back(node, r, name)
        q = b.div(x, p)
        if signed:  # round down: one less where x is negative and p does not divide it
            neg = b.cast(b.compare("lt", x, node.scalar(0, x)), "i32")
            inexact = b.cast(b.compare("ne", b.mul(q, p), x), "i32")
            q = b.sub(q, b.mul(neg, inexact))
        return _back(node, q, name)

    return [_elementwise(node, fn, [0, 1])]
