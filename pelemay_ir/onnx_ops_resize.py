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
    if not (node.has(3) and 0 not in node.shape(3)) and isinstance(node.value(2), Held):
        nearest = _text(node.attrs.get("nearest_mode", b"round_prefer_floor"))
        return [Held(_resize_runtime(node, x, axes, mode, ctm, node.tensor(2), nearest))]
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


def _resize_runtime(node: Node, x: Tensor, axes: list[int], mode: str, ctm: str, scales: Tensor,
                    nearest_mode: str) -> Tensor:
    """Resize by scales known only at run time: the output shape is the one
    the graph declares (a call whose scales give another is outside the
    model's own contract); per axis the interpolation matrix is built at run
    time from the scale, as onnx.reference builds it (coordinates in f32)."""
    from pelemay_ir.onnx_ops_math import floor

    b = node.b
    out = node.declared(0)
    if out is None:
        raise node.fail("the scales are computed at run time and the output shape is not declared")
    if bool(node.attrs.get("antialias", 0)):
        raise node.fail("attribute antialias=1 with scales known only at run time is not supported")
    if ctm == "tf_crop_and_resize":
        raise node.fail("coordinate_transformation_mode=tf_crop_and_resize with scales known only at run time is not supported")
    if mode not in ("nearest", "linear", "cubic"):
        raise node.fail(f"attribute mode={mode} is not supported")
    if nearest_mode not in ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil"):
        raise node.fail(f"attribute nearest_mode={nearest_mode} is not supported")
    a_coef = float(node.attrs.get("cubic_coeff_a", -0.75))
    exclude = bool(node.attrs.get("exclude_outside", 0))
    if scales.dtype != np.float32:
        scales = b.cast(scales, "f32")
    f32 = np.float32
    y = x
    for k, axis in enumerate(axes):
        size_in, size_out = x.shape[axis], out[axis]
        s = b.reshape(b.slice(scales, [k], [1]), ())
        ys = node.constant(np.arange(size_out, dtype=f32).reshape(1, size_out))

        def c(v):
            return node.constant(np.array(v, dtype=f32))

        width = b.mul(s, c(size_in))
        centred = b.sub(b.div(b.add(ys, c(0.5)), s), c(0.5))
        if ctm == "half_pixel":
            xo = centred
        elif ctm == "asymmetric":
            xo = b.div(ys, s)
        elif ctm == "align_corners":
            one = b.compare("eq", width, c(1.0))
            denom = b.select(one, c(1.0), b.sub(width, c(1.0)))
            xo = b.select(one, c(0.0), b.div(b.mul(ys, c(size_in - 1)), denom))
        elif ctm == "pytorch_half_pixel":
            xo = b.select(b.compare("eq", width, c(1.0)), c(-0.5), centred)
        elif ctm == "half_pixel_symmetric":
            adjustment = b.div(c(size_out), width)
            offset = b.mul(c(size_in / 2), b.sub(c(1.0), adjustment))
            xo = b.add(offset, centred)
        else:
            raise node.fail(f"attribute coordinate_transformation_mode={ctm} is not supported")
        x0 = floor(node, xo)
        ratio = b.sub(xo, x0)  # in [0, 1): an integral coordinate has ratio 0 (onnx's ratio 1, one tap later)
        x0i = b.cast(x0, "i32")
        if mode == "nearest":
            if nearest_mode == "round_prefer_floor":
                up = b.compare("gt", ratio, c(0.5))
            elif nearest_mode == "round_prefer_ceil":
                up = b.compare("ge", ratio, c(0.5))
            elif nearest_mode == "floor":
                up = b.compare("lt", ratio, c(0.0))  # never
            else:
                up = b.compare("gt", ratio, c(0.0))
            taps = [(0, b.select(up, c(0.0), c(1.0))), (1, b.select(up, c(1.0), c(0.0)))]
        elif mode == "linear":
            taps = [(0, b.sub(c(1.0), ratio)), (1, ratio)]
        else:
            r1, q = b.add(ratio, c(1.0)), b.sub(c(1.0), ratio)
            q1 = b.add(q, c(1.0))
            A = a_coef

            def far(t):
                return b.sub(b.mul(b.add(b.mul(b.sub(b.mul(c(A), t), c(5 * A)), t), c(8 * A)), t), c(4 * A))

            def near(t):
                return b.add(b.mul(b.mul(b.sub(b.mul(c(A + 2), t), c(A + 3)), t), t), c(1.0))

            taps = [(-1, far(r1)), (0, near(ratio)), (1, near(q)), (2, far(q1))]
        rows = node.constant(np.arange(size_in, dtype=np.int32).reshape(size_in, 1))
        idx = [b.add(x0i, node.constant(np.array(off, np.int32))) for off, _ in taps]
        coeffs = [w for _, w in taps]
        if exclude:
            inside = [b.mul(b.cast(b.compare("ge", i, node.constant(np.array(0, np.int32))), "f32"),
                            b.cast(b.compare("lt", i, node.constant(np.array(size_in, np.int32))), "f32")) for i in idx]
            coeffs = [b.mul(w, m) for w, m in zip(coeffs, inside)]
            total = coeffs[0]
            for w in coeffs[1:]:
                total = b.add(total, w)
            total = b.select(b.compare("eq", total, c(0.0)), c(1.0), total)
            coeffs = [b.div(w, total) for w in coeffs]
        mt = None  # (in, out)
        for i, w in zip(idx, coeffs):
            i = b.clamp(i, 0, size_in - 1)
            term = b.mul(b.cast(b.compare("eq", rows, i), "f32"), w)
            mt = term if mt is None else b.add(mt, term)
        if x.dtype != np.float32:
            mt = b.cast(mt, x.element_type)
        y = _along_runtime(node, y, axis, mt)
    return y


def _along_runtime(node: Node, x: Tensor, axis: int, mt: Tensor) -> Tensor:
    """x with `axis` mapped by the run-time matrix mt (in x out)."""
    b = node.b
    rank = len(x.shape)
    perm = [k for k in range(rank) if k != axis] + [axis]
    t = b.transpose(x, perm) if axis != rank - 1 else x
    lead = list(t.shape[:-1])
    t = b.reshape(b.matmul(b.reshape(t, (int(np.prod(lead)), x.shape[axis])), mt), lead + [mt.shape[1]])
    if axis != rank - 1:
        back = list(range(rank - 1))
        back.insert(axis, rank - 1)
        t = b.transpose(t, back)
    return t


@op("Upsample")
def _upsample(node: Node):
    """Upsample (opsets 7 to 9, nearest): onnx.reference repeats each entry
    `scale` times, the nearest resize with asymmetric coordinates, rounding down."""
    mode = _text(node.attrs.get("mode", b"nearest"))
    if mode != "nearest":
        raise node.fail(f"attribute mode={mode} is not supported (nearest)")
    x = node.tensor(0)
    _float(node, x)
    if "scales" in node.attrs:
        scales = node.constant(np.asarray(node.attrs["scales"], dtype=np.float32))
    else:
        scales = node.tensor(1)
    return [Held(_resize_runtime(node, x, list(range(len(x.shape))), "nearest", "asymmetric", scales, "floor"))]
