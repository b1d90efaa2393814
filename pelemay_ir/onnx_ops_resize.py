"""The op table's Resize: with its scales or sizes (and roi) known at
compile time, resizing is separable, one linear map per resized axis. Each
map is computed at import by onnx's reference interpolation itself, applied
to the identity (and to zeros for the extrapolated rows of
tf_crop_and_resize), so every mode, coordinate transformation, cubic
coefficient, exclude_outside and antialias setting is ONNX's; at run time
each axis is one matmul with that constant matrix (nearest modes: a one-hot
matrix, so exact)."""

from __future__ import annotations

import math

import numpy as np

from pelemay_ir.builder import Tensor
from pelemay_ir.onnx_ops import _float, _text, op
from pelemay_ir.onnx_values import Held, Node


def _coeffs(node: Node, mode: str, nearest_mode: str, a: float, antialias: bool):
    from onnx.reference.ops import op_resize as r

    if mode == "nearest":
        if antialias:
            raise node.fail("attribute antialias=1 is not valid with mode=nearest")
        return lambda x, scale: r._nearest_coeffs(x, mode=nearest_mode)
    if mode == "cubic":
        fn = r._cubic_coeffs_antialias if antialias else r._cubic_coeffs
        return lambda x, scale: fn(x, scale, A=a)
    if mode == "linear":
        return r._linear_coeffs_antialias if antialias else r._linear_coeffs
    raise node.fail(f"attribute mode={mode} is not supported")


def _known(node: Node, i: int, what: str) -> np.ndarray | None:
    if not node.has(i) or 0 in node.shape(i):
        return None
    return np.asarray(node.const(i, what))


@op("Resize")
def _resize(node: Node):
    from onnx.reference.ops import op_resize as r

    if node.opset < 11:
        raise node.fail("Resize before opset 11 is not supported")
    x = node.tensor(0)
    _float(node, x)
    shape = list(x.shape)
    rank = len(shape)
    mode = _text(node.attrs.get("mode", b"nearest"))
    ctm = _text(node.attrs.get("coordinate_transformation_mode", b"half_pixel"))
    policy = _text(node.attrs.get("keep_aspect_ratio_policy", b"stretch"))
    fct = _coeffs(node, mode, _text(node.attrs.get("nearest_mode", b"round_prefer_floor")),
                  float(node.attrs.get("cubic_coeff_a", -0.75)), bool(node.attrs.get("antialias", 0)))
    axes = [a % rank for a in node.attrs.get("axes", range(rank))]
    sizes = _known(node, 3, "the sizes")
    scales = None if sizes is not None else _known(node, 2, "the scales")
    if sizes is None and scales is None:
        raise node.fail("neither scales nor sizes is given")
    roi = _known(node, 1, "the roi") if ctm == "tf_crop_and_resize" else None
    full_roi = [0.0] * rank + [1.0] * rank
    if roi is not None:
        for k, a in enumerate(axes):
            full_roi[a], full_roi[rank + a] = float(roi[k]), float(roi[len(axes) + k])
    # per-axis scale and output size, as onnx.reference's _interpolate_nd decides them
    if sizes is not None:
        out = list(shape)
        for k, a in enumerate(axes):
            out[a] = int(sizes[k])
        scale = [o / d for o, d in zip(out, shape)]
        if policy != "stretch":
            if policy not in ("not_larger", "not_smaller"):
                raise node.fail(f"attribute keep_aspect_ratio_policy={policy} is not supported")
            s = (min if policy == "not_larger" else max)(scale[a] for a in axes)
            scale = [s if a in axes else 1.0 for a in range(rank)]
            out = [int(s * shape[a] + 0.5) if a in axes else shape[a] for a in range(rank)]
    else:
        scale = [1.0] * rank
        for k, a in enumerate(axes):
            scale[a] = float(scales[k])
        out = [int(v) for v in (np.array(scale) * np.array(shape))]
    if 0 in out:
        raise node.fail("an empty result is not supported")
    extrapolation = float(node.attrs.get("extrapolation_value", 0.0))
    y = x
    for a in axes:
        trivial = math.isclose(scale[a], 1.0) and out[a] == shape[a] and (
            roi is None or (math.isclose(full_roi[a], 0.0) and math.isclose(full_roi[a + rank], 1.0)))
        if trivial:
            continue
        kw = dict(roi=None if roi is None else [full_roi[a], full_roi[a + rank]],
                  extrapolation_value=extrapolation, coordinate_transformation_mode=ctm,
                  exclude_outside=bool(node.attrs.get("exclude_outside", 0)))
        try:
            m = r._interpolate_1d_along_axis(np.eye(shape[a]), 0, scale[a], out[a], fct, **kw)
            c = r._interpolate_1d_along_axis(np.zeros((shape[a], 1)), 0, scale[a], out[a], fct, **kw)
        except (ValueError, IndexError) as e:
            raise node.fail(f"cannot be resized: {e}") from None
        y = _along(node, y, a, m - c, c[:, 0])
    if y is x:
        y = node.b.reshape(x, x.shape)
    return [Held(y)]


def _along(node: Node, x: Tensor, axis: int, m: np.ndarray, offset: np.ndarray) -> Tensor:
    """x with `axis` mapped by the matrix m (out x in), plus offset per output row."""
    b = node.b
    rank = len(x.shape)
    perm = [k for k in range(rank) if k != axis] + [axis]
    t = b.transpose(x, perm) if axis != rank - 1 else x
    lead = list(t.shape[:-1])
    t = b.reshape(t, (int(np.prod(lead)), x.shape[axis]))
    t = b.matmul(t, node.constant(np.ascontiguousarray(m.T).astype(x.dtype)))
    if np.any(offset):
        t = b.add(t, node.constant(offset.astype(x.dtype)))
    t = b.reshape(t, lead + [m.shape[0]])
    if axis != rank - 1:
        back = list(range(rank - 1))
        back.insert(axis, rank - 1)
        t = b.transpose(t, back)
    return t
