"""Quantized arithmetic: QuantizeLinear and DequantizeLinear to and from int8
and the integer types held as int32 (uint8, int16, uint16), per tensor, per
axis and blocked, with onnx.reference's arithmetic (MatMulInteger and
ConvInteger below say why they are exact):

- DequantizeLinear: (x - zero_point) in float32 (exact: both are integers
  below 2^24) times the scale, rounded once to the scale's type;
- QuantizeLinear: x / scale in the operands' type, rounded half to even,
  plus the zero point, clipped to the output type's range. The rounded
  quotient is clamped to +-2^24 before it becomes an integer (any value
  beyond clips to the range's end either way), so no conversion overflows."""

from __future__ import annotations

import numpy as np

from pelemay_ir.builder import Tensor
from pelemay_ir.onnx_ops import op
from pelemay_ir.onnx_values import HELD_KINDS, NARROW_BITS, Held, Node

_RANGES = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767), "uint16": (0, 65535)}


def _kind(node: Node, i: int) -> str | None:
    """The ONNX integer type of input i (int8 natively, or held as int32)."""
    v = node.value(i)
    if isinstance(v, Held):
        if v.kind:
            return v.kind if v.kind in NARROW_BITS else None
        return "int8" if v.dtype == np.int8 else None
    dt = np.asarray(v).dtype
    return dt.name if dt.name in _RANGES else None


def _param(node: Node, i: int, shape: tuple[int, ...], axis: int, block: int) -> Tensor:
    """Input i (a scale or zero point) broadcastable to `shape`, as reshape_input makes it."""
    b = node.b
    t = node.tensor(i)
    s = tuple(t.shape)
    if len(s) == 0:
        return t
    if int(np.prod(s)) == 1:
        return b.reshape(t, ())
    rank = len(shape)
    if not block:
        if len(s) != 1 or s[0] != shape[axis]:
            raise node.fail(f"a per-axis parameter of shape {list(s)} does not match axis {axis} of {list(shape)}")
        return b.reshape(t, [1] * axis + [s[0]] + [1] * (rank - axis - 1))
    if len(s) != rank or s[axis] * block != shape[axis]:
        raise node.fail(f"block_size={block} with a parameter of shape {list(s)} is not supported (whole blocks only)")
    lifted = b.reshape(t, s[: axis + 1] + (1,) + s[axis + 1:])
    spread = b.broadcast(lifted, s[: axis + 1] + (block,) + s[axis + 1:])
    return b.reshape(spread, shape)


@op("DequantizeLinear")
def _dequantize(node: Node):
    node.reject_attrs(output_dtype=0)
    kind = _kind(node, 0)
    if kind is None:
        raise node.fail(f"an input of element type {node.dtype(0)} is not supported (int8, uint8, int16, uint16)")
    shape = node.shape(0)
    axis = int(node.attrs.get("axis", 1)) % max(len(shape), 1)
    block = int(node.attrs.get("block_size", 0))
    b = node.b
    scale = _param(node, 1, shape, axis, block)
    if scale.dtype.kind != "f":
        raise node.fail("the scale must be a float")
    x = b.cast(node.tensor(0), "f32")
    if node.has(2):
        if _kind(node, 2) != kind:
            raise node.fail("the zero point's element type differs from the input's")
        x = b.sub(x, b.cast(_param(node, 2, shape, axis, block), "f32"))
    y = b.mul(x, b.cast(scale, "f32") if scale.dtype != np.float32 else scale)
    return [Held(y if scale.dtype == np.float32 else b.cast(y, "f16"))]


@op("QuantizeLinear")
def _quantize(node: Node):
    from onnx import helper

    from pelemay_ir.onnx_ops_math import _round

    node.reject_attrs(saturate=1, precision=0)
    shape = node.shape(0)
    axis = int(node.attrs.get("axis", 1)) % max(len(shape), 1)
    block = int(node.attrs.get("block_size", 0))
    if node.has(2):
        kind = _kind(node, 2)
        if kind is None:
            raise node.fail(f"a zero point of element type {node.dtype(2)} is not supported (int8, uint8, int16, uint16)")
    else:
        code = int(node.attrs.get("output_dtype", 0))
        kind = HELD_KINDS.get(code) or (np.dtype(helper.tensor_dtype_to_np_dtype(code)).name if code else "uint8")
        if kind not in _RANGES:
            raise node.fail(f"output type {kind} is not supported (int8, uint8, int16, uint16)")
    b = node.b
    x = node.tensor(0)
    if x.dtype.kind != "f":
        raise node.fail("the input must be a float")
    scale = _param(node, 1, shape, axis, block)
    if x.dtype != scale.dtype:  # NumPy's promotion: float16 with float32 divides in float32
        x, scale = b.cast(x, "f32"), b.cast(scale, "f32")
    q = _round(node, b.div(x, scale))
    q = b.cast(b.clamp(q, -(2.0**24), 2.0**24), "i32")
    if node.has(2):
        q = b.add(q, b.cast(_param(node, 2, shape, axis, block), "i32"))
    lo, hi = _RANGES[kind]
    q = b.min(b.max(q, node.scalar(lo, q)), node.scalar(hi, q))
    if kind == "int8":
        return [Held(b.cast(q, "i8"))]
    return [Held(q, kind=kind)]


def _minus_zero_point(node: Node, i: int, zp_at: int, per_element, allowed: str) -> Tensor:
    """Input i (int8 or uint8) in int32, less its zero point (input zp_at, if
    given): a scalar, or a 1-D one that `per_element(t, zp)` gives the shape
    to broadcast as (None where that layout is not allowed)."""
    b = node.b
    if _kind(node, i) not in ("int8", "uint8"):
        raise node.fail(f"an input of element type {node.dtype(i)} is not supported (int8, uint8)")
    t = b.cast(node.tensor(i), "i32")
    if not node.has(zp_at):
        return t
    zp = b.cast(node.tensor(zp_at), "i32")
    shape = [] if int(np.prod(zp.shape)) == 1 else per_element(t, zp)
    if shape is None:
        raise node.fail(f"a zero point of shape {list(zp.shape)} is not supported (a scalar, or {allowed})")
    return b.sub(t, zp if shape == list(zp.shape) else b.reshape(zp, shape))


@op("MatMulInteger")
def _matmul_integer(node: Node):
    """(A - a_zero_point) @ (B - b_zero_point) in int32, as ONNX defines it
    (products of 8-bit values; sums wrap modulo 2^32 as ONNX's int32 does).
    a_zero_point is a scalar or one per row of A, b_zero_point a scalar or
    one per column of B."""
    from pelemay_ir.onnx_ops import _matmul

    def per_row_or_column(t: Tensor, zp: Tensor, per: int) -> list[int] | None:
        if len(zp.shape) == 1 and len(t.shape) >= 2 and zp.shape[0] == t.shape[per]:
            return [zp.shape[0], 1] if per == -2 else [zp.shape[0]]
        return None

    ops = [_minus_zero_point(node, 0, 2, lambda t, zp: per_row_or_column(t, zp, -2), "one per row of A"),
           _minus_zero_point(node, 1, 3, lambda t, zp: per_row_or_column(t, zp, -1), "one per column of B")]
    return [Held(_matmul(node, *ops))]


@op("ConvInteger")
def _conv_integer(node: Node):
    """Conv of (x - x_zero_point) and (w - w_zero_point), zero-padded, in
    float32, then int32: every product of two 8-bit differences is at most
    255^2, so while a window holds at most 258 of them (2^24 / 255^2) every
    partial sum is an integer float32 holds exactly, in any order; larger
    windows are rejected."""
    from onnx import helper

    from pelemay_ir.onnx_ops import OPS

    b = node.b
    w_shape = node.shape(1)
    terms = int(np.prod(w_shape[1:]))
    if terms > 258:
        raise node.fail(f"a window of {terms} products is not supported (at most 258: sums must stay exact in float32)")
    def per_filter(t: Tensor, zp: Tensor) -> list[int] | None:
        if len(zp.shape) == 1 and zp.shape[0] == w_shape[0]:
            return [w_shape[0]] + [1] * (len(w_shape) - 1)
        return None

    shifted = [Held(b.cast(_minus_zero_point(node, 0, 2, lambda t, zp: None, "a scalar"), "f32")),
               Held(b.cast(_minus_zero_point(node, 1, 3, per_filter, "one per filter"), "f32"))]
    names = [f"{node.name}/x_shifted", f"{node.name}/w_shifted"]
    for name, v in zip(names, shifted):
        node.importer.values[name] = v
    proto = helper.make_node("Conv", names, [f"{node.name}/y_float"], name=node.name)
    proto.attribute.extend(node.proto.attribute)
    (y,) = OPS["Conv"](Node(node.importer, proto, node.index))
    return [Held(b.cast(y.tensor, "i32"), y.nhwc)]
