"""QuantizeLinear and DequantizeLinear to and from int8 and the integer types
held as int32 (uint8, int16, uint16), per tensor, per axis and blocked, with
onnx.reference's arithmetic:

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
