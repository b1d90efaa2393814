"""The op table's network family: convolution, pooling, normalisation and
softmax (registered in `pelemay_ir.onnx_ops.OPS`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pelemay_ir.onnx_ops import OPS, _float, _softmax_axis, _text, op
from pelemay_ir.onnx_values import Held, Node


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


def _window_rank(node: Node) -> None:
    if len(node.shape(0)) not in (3, 4) and not (len(node.shape(0)) == 5 and node.op in ("MaxPool", "AveragePool", "LpPool")):
        raise node.fail(f"a {len(node.shape(0)) - 2}-D window is not supported (1-D and 2-D only)")


def _attrs_2d(attrs: dict) -> dict:
    """A 1-D window's attributes as those of a 2-D window of height 1."""
    out = dict(attrs)
    for k, fill in (("kernel_shape", 1), ("strides", 1), ("dilations", 1), ("output_padding", 0), ("output_shape", 1)):
        if k in out:
            out[k] = [fill, *out[k]]
    if "pads" in out:
        out["pads"] = [0, out["pads"][0], 0, out["pads"][1]]
    return out


def _windowed(node: Node, fn):
    """fn(x_nhwc, spatial) on a 2-D window; a 1-D window (N, C, L) runs as a
    2-D one over (N, C, 1, L) and comes back as (N, C', L')."""
    b = node.b
    _window_rank(node)
    if len(node.shape(0)) == 4:
        return [Held(fn(node.nhwc(0), node.shape(0)[2:]), True)]
    n, c, length = node.shape(0)
    saved = node.attrs
    node.attrs = _attrs_2d(saved)
    try:
        y = fn(b.transpose(b.reshape(node.tensor(0), (n, c, 1, length)), (0, 2, 3, 1)), (1, length))
    finally:
        node.attrs = saved
    return [Held(b.transpose(b.reshape(y, (n, y.shape[2], y.shape[3])), (0, 2, 1)))]


@op("Conv")
def _conv(node: Node):
    b = node.b
    w_v = node.value(1)
    one_d = len(node.shape(1)) == 3

    def fn(x, spatial):
        kernel = ([1] if one_d else []) + list(node.shape(1)[2:])
        strides = list(node.attrs.get("strides", [1, 1]))
        dilations = list(node.attrs.get("dilations", [1, 1]))
        group = node.attrs.get("group", 1)
        pads = _window_pads(node, spatial, kernel, strides, dilations)
        if isinstance(w_v, Held):
            wt = node.tensor(1)
            if one_d:
                wt = b.reshape(wt, (wt.shape[0], wt.shape[1], 1, wt.shape[2]))
            w = b.transpose(wt, (2, 3, 1, 0))
        else:
            wa = np.asarray(w_v)[:, :, None, :] if one_d else np.asarray(w_v)
            w = node.constant(np.ascontiguousarray(np.transpose(wa, (2, 3, 1, 0))))
        bias = node.tensor(2) if node.has(2) else None
        _float(node, x)
        return b.conv2d(x, w, bias, strides, dilations, pads, group)

    return _windowed(node, fn)


def _pool(node: Node, kind: str):
    b = node.b
    if len(node.proto.output) > 1 and node.proto.output[1]:
        if kind != "max" or len(node.shape(0)) != 4:
            raise node.fail("the Indices output is not supported (2-D MaxPool only)")
        return _max_pool_with_indices(node)
    node.reject_attrs(storage_order=0)
    if len(node.shape(0)) == 5:
        return [Held(_pool_3d(node, kind))]

    def fn(x, spatial):
        kernel = list(node.attrs["kernel_shape"])
        strides = list(node.attrs.get("strides", [1, 1]))
        dilations = list(node.attrs.get("dilations", [1, 1]))
        keff = [(k - 1) * d + 1 for k, d in zip(kernel, dilations)]
        pads = _window_pads(node, spatial, kernel, strides, dilations)
        declared_pads = list(pads)
        if node.attrs.get("ceil_mode", 0):
            for k, d in enumerate(spatial):
                lo, hi = pads[2 * k], pads[2 * k + 1]
                span = d + lo + hi - keff[k]
                out = -(-span // strides[k]) + 1
                if (out - 1) * strides[k] >= d + lo:
                    out -= 1  # ONNX drops a last window that starts in the end padding
                pads[2 * k + 1] = max(hi, (out - 1) * strides[k] + keff[k] - d - lo)
        if dilations != [1, 1]:
            return _slice_pool(node, x, [1, 2], kind, kernel, strides, dilations,
                               pads[0::2] + pads[1::2], declared_pads[0::2] + declared_pads[1::2])
        if kind == "lp":
            p = int(node.attrs.get("p", 2))
            if not 1 <= p <= 8:
                raise node.fail(f"attribute p={p} is not supported (1 to 8)")
            _float(node, x)
            area = float(np.prod(kernel))
            t = ax = b.abs(x)
            for _ in range(p - 1):
                t = b.mul(t, ax)
            t = b.pad(t, [0, pads[0], pads[2], 0], [0, pads[1], pads[3], 0], 0.0) if any(pads) else t
            y = b.mul(b.avg_pool2d(t, kernel, strides, [0, 0, 0, 0]), node.scalar(area, x))
            if p == 1:
                return y
            return b.sqrt(y) if p == 2 else b.exp(b.div(b.log(y), node.scalar(p, y)))
        if kind == "avg" and node.attrs.get("count_include_pad", 0) and any(pads):
            x = b.pad(x, [0, pads[0], pads[2], 0], [0, pads[1], pads[3], 0], 0.0)
            pads = [0, 0, 0, 0]
        if kind == "avg":
            _float(node, x)
        return (b.max_pool2d if kind == "max" else b.avg_pool2d)(x, kernel, strides, pads)

    return _windowed(node, fn)


def _max_pool_with_indices(node: Node):
    """MaxPool and the flat index of each maximum (the first, row-major or,
    with storage_order=1, column-major within each image): the kernel
    offsets' strided slices compared in turn, each carrying its constant
    indices."""
    b = node.b
    x = node.tensor(0)
    n, c, h, w = x.shape
    kernel = list(node.attrs["kernel_shape"])
    strides = list(node.attrs.get("strides", [1, 1]))
    dil = list(node.attrs.get("dilations", [1, 1]))
    if node.attrs.get("ceil_mode", 0):
        raise node.fail("attribute ceil_mode=1 with the Indices output is not supported")
    pads = _window_pads(node, (h, w), kernel, strides, dil)  # top, bottom, left, right
    outs = [(d + lo + hi - (k - 1) * dl - 1) // s + 1
            for d, lo, hi, k, dl, s in zip((h, w), pads[0::2], pads[1::2], kernel, dil, strides)]
    fill = -np.inf if x.dtype.kind == "f" else float(np.iinfo(x.dtype).min)
    xp = b.pad(x, [0, 0, pads[0], pads[2]], [0, 0, pads[1], pads[3]], fill)
    column = bool(node.attrs.get("storage_order", 0))
    image = (np.arange(n * c, dtype=np.int64) * h * w).reshape(n, c, 1, 1)
    best = best_idx = None
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            part = b.slice(xp, [0, 0, i * dil[0], j * dil[1]], [n, c, outs[0], outs[1]], [1, 1, strides[0], strides[1]])
            rows = np.arange(outs[0]) * strides[0] + i * dil[0] - pads[0]
            cols = np.arange(outs[1]) * strides[1] + j * dil[1] - pads[2]
            flat = cols[None, :] * h + rows[:, None] if column else rows[:, None] * w + cols[None, :]
            idx = node.constant((image + flat[None, None]).astype(np.int64))
            if best is None:
                best, best_idx = part, idx
                continue
            better = b.compare("gt", part, best)
            best, best_idx = b.select(better, part, best), b.select(better, idx, best_idx)
    return [Held(best), Held(best_idx, wide=True)]


def _pool_3d(node: Node, kind: str):
    """A 3-D window on the ONNX layout (N, C, D, H, W) by strided slices."""
    x = node.tensor(0)
    spatial = list(x.shape[2:])
    kernel = list(node.attrs["kernel_shape"])
    strides = list(node.attrs.get("strides", [1] * 3))
    dilations = list(node.attrs.get("dilations", [1] * 3))
    keff = [(k - 1) * d + 1 for k, d in zip(kernel, dilations)]
    auto = _text(node.attrs.get("auto_pad", b"NOTSET"))
    if auto in ("NOTSET", ""):
        pads = [int(p) for p in node.attrs.get("pads", [0] * 6)]
    elif auto == "VALID":
        pads = [0] * 6
    else:
        lo, hi = [], []
        for d, ke, s in zip(spatial, keff, strides):
            total = max((-(-d // s) - 1) * s + ke - d, 0)
            small = total // 2
            lo.append(small if auto == "SAME_UPPER" else total - small)
            hi.append(total - small if auto == "SAME_UPPER" else small)
        pads = lo + hi
    declared = list(pads)
    if node.attrs.get("ceil_mode", 0):
        for k, d in enumerate(spatial):
            lo, hi = pads[k], pads[k + 3]
            out = -(-(d + lo + hi - keff[k]) // strides[k]) + 1
            if (out - 1) * strides[k] >= d + lo:
                out -= 1  # ONNX drops a last window that starts in the end padding
            pads[k + 3] = max(hi, (out - 1) * strides[k] + keff[k] - d - lo)
    return _slice_pool(node, x, [2, 3, 4], kind, kernel, strides, dilations, pads, declared)


def _slice_pool(node: Node, x, axes, kind: str, kernel, strides, dilations, pads, declared_pads):
    """A window of any rank and dilation as the max or sum over its kernel
    offsets, each a strided slice of the padded input (its spatial `axes`,
    pads as all begins then all ends); an average divides
    by the count of input (with count_include_pad, of input and declared
    padding) entries in each window, a constant."""
    import itertools

    b = node.b
    shape = list(x.shape)
    dims = [shape[a] for a in axes]
    nd = len(kernel)
    lo, hi = pads[:nd], pads[nd:]
    dhi = declared_pads[nd:]
    keff = [(k - 1) * dl + 1 for k, dl in zip(kernel, dilations)]
    outs = [(d + l + u - ke) // s + 1 for d, l, u, ke, s in zip(dims, lo, hi, keff, strides)]
    if kind != "max":
        _float(node, x)
    p = int(node.attrs.get("p", 2)) if kind == "lp" else 1
    if kind == "lp":
        t = ax = b.abs(x)
        for _ in range(p - 1):
            t = b.mul(t, ax)
        x = t
    fill = -np.inf if kind == "max" else 0.0
    if x.dtype.kind != "f" and kind == "max":
        fill = float(np.iinfo(x.dtype).min)
    low, high = [0] * len(shape), [0] * len(shape)
    for a, l, u in zip(axes, lo, hi):
        low[a], high[a] = l, u
    xp = b.pad(x, low, high, fill)
    acc = None
    for offs in itertools.product(*(range(k) for k in kernel)):
        start, size, step = [0] * len(shape), list(xp.shape), [1] * len(shape)
        for a, o, dl, n_out, s in zip(axes, offs, dilations, outs, strides):
            start[a], size[a], step[a] = o * dl, n_out, s
        part = b.slice(xp, start, size, step)
        acc = part if acc is None else (b.max(acc, part) if kind == "max" else b.add(acc, part))
    if kind == "max":
        return acc
    if kind == "lp":
        return acc if p == 1 else (b.sqrt(acc) if p == 2 else b.exp(b.div(b.log(acc), node.scalar(p, acc))))
    ones = np.zeros([d + l + u for d, l, u in zip(dims, lo, hi)], dtype=x.dtype)
    if node.attrs.get("count_include_pad", 0):
        ones[tuple(slice(0, l + d + dh) for l, d, dh in zip(lo, dims, dhi))] = 1
    else:
        ones[tuple(slice(l, l + d) for l, d in zip(lo, dims))] = 1
    count = np.zeros(outs, dtype=x.dtype)
    for offs in itertools.product(*(range(k) for k in kernel)):
        count += ones[tuple(slice(o * dl, o * dl + (n - 1) * s + 1, s) for o, dl, n, s in zip(offs, dilations, outs, strides))]
    count_shape = [1] * len(shape)
    for a, n in zip(axes, outs):
        count_shape[a] = n
    return b.div(acc, node.constant(count.reshape(count_shape)))


OPS["MaxPool"] = lambda node: _pool(node, "max")
OPS["AveragePool"] = lambda node: _pool(node, "avg")
OPS["LpPool"] = lambda node: _pool(node, "lp")  # p-th root of the sum of |x|^p over the window


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

    t, axis = _softmax_axis(node, x)
    y = on(t, axis)
    return [Held(b.reshape(y, shape) if y.shape != shape else y)]


OPS["Softmax"] = lambda node: _softmax_like(node, False)
OPS["LogSoftmax"] = lambda node: _softmax_like(node, True)


@op("ConvTranspose")
def _conv_transpose(node: Node):
    """The input dilated by the strides (zeros between its entries), padded,
    and convolved with the filter flipped and its channel axes swapped per
    group; onnx.reference's output extent (pads, output_padding,
    output_shape, auto_pad) decides the padding."""
    b = node.b
    one_d = len(node.shape(1)) == 3
    xs = node.shape(0)
    if len(xs) not in (3, 4):
        raise node.fail(f"a {len(xs) - 2}-D window is not supported (1-D and 2-D only)")
    group = node.attrs.get("group", 1)
    w = node.tensor(1)  # (C, F/g, k...)
    if one_d:
        w = b.reshape(w, (w.shape[0], w.shape[1], 1, w.shape[2]))
    c, fg, kh, kw = w.shape
    cg = c // group
    w = b.reshape(w, (group, cg, fg, kh, kw))
    w = b.transpose(w, (0, 2, 1, 3, 4))
    w = b.reshape(w, (group * fg, cg, kh, kw))
    from pelemay_ir.onnx_ops_layout import _take

    if kh > 1:
        w = _take(node, w, 2, list(range(kh - 1, -1, -1)))
    if kw > 1:
        w = _take(node, w, 3, list(range(kw - 1, -1, -1)))
    w = b.transpose(w, (2, 3, 1, 0))  # HWCF
    bias = node.tensor(2) if node.has(2) else None

    def fn(x, spatial):
        _float(node, x)
        a = node.attrs
        n = len(spatial)
        kernel = [kh, kw]
        strides = list(a.get("strides", [1] * n))
        dil = list(a.get("dilations", [1] * n))
        opad = list(a.get("output_padding", [0] * n))
        auto = _text(a.get("auto_pad", b"NOTSET"))
        out_shape = list(a["output_shape"])[-n:] if "output_shape" in a else None
        keff = [(k - 1) * d + 1 for k, d in zip(kernel, dil)]
        pads = list(a["pads"]) if "pads" in a else None
        if pads is None and auto in ("SAME_UPPER", "SAME_LOWER"):
            if out_shape is None:
                out_shape = [spatial[i] * strides[i] for i in range(n)]
            total = [strides[i] * (spatial[i] - 1) + opad[i] + keff[i] - out_shape[i] for i in range(n)]
            if auto == "SAME_UPPER":
                pads = [t // 2 for t in total] + [t - t // 2 for t in total]
            else:
                pads = [t - t // 2 for t in total] + [t // 2 for t in total]
        pads = pads or [0] * (2 * n)
        if out_shape is None:
            out_shape = [strides[i] * (spatial[i] - 1) + opad[i] + keff[i] - pads[i] - pads[i + n] for i in range(n)]
        # dilate by the strides
        nb, h, wd, ch = x.shape
        sh, sw = strides
        if sh > 1 or sw > 1:
            t = b.reshape(x, (nb, h, 1, wd, 1, ch))
            t = b.pad(t, [0] * 6, [0, 0, sh - 1, 0, sw - 1, 0], 0.0)
            t = b.reshape(t, (nb, h * sh, wd * sw, ch))
            x = b.slice(t, [0, 0, 0, 0], [nb, (h - 1) * sh + 1, (wd - 1) * sw + 1, ch])
        full = [strides[i] * (spatial[i] - 1) + keff[i] for i in range(n)]
        low = [keff[i] - 1 - pads[i] for i in range(n)]
        high = [out_shape[i] + pads[i] - full[i] + keff[i] - 1 for i in range(n)]
        if any(v < 0 for v in low + high):
            start = [0] + [max(-v, 0) for v in low] + [0]
            size = [nb] + [x.shape[1 + i] - max(-low[i], 0) - max(-high[i], 0) for i in range(n)] + [ch]
            x = b.slice(x, start, size)
            low, high = [max(v, 0) for v in low], [max(v, 0) for v in high]
        return b.conv2d(x, w, bias, [1, 1], dil, [low[0], high[0], low[1], high[1]], group)

    return _windowed(node, fn)


@op("LRN")
def _lrn(node: Node):
    """x / (bias + alpha / size * sum of squares over the channel window)^beta,
    the window a sum of channel slices of the zero-padded squares."""
    b = node.b
    x = node.tensor(0)
    _float(node, x)
    size = int(node.attrs["size"])
    alpha, beta, bias = node.attrs.get("alpha", 1e-4), node.attrs.get("beta", 0.75), node.attrs.get("bias", 1.0)
    shape = list(x.shape)
    rank = len(shape)
    lo, hi = (size - 1) // 2, size - 1 - (size - 1) // 2
    sq = b.pad(b.mul(x, x), [0, lo] + [0] * (rank - 2), [0, hi] + [0] * (rank - 2), 0.0)
    total = None
    for k in range(size):
        part = b.slice(sq, [0, k] + [0] * (rank - 2), shape)
        total = part if total is None else b.add(total, part)
    base = b.add(node.scalar(bias, x), b.mul(total, node.scalar(alpha / size, x)))
    return [Held(b.div(x, b.exp(b.mul(b.log(base), node.scalar(beta, x)))))]
