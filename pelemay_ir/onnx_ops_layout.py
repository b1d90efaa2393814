"""The op table's layout family: reshapes, transposes, slices, concat,
split, tile, pad, gathers and the shape queries (registered in
`pelemay_ir.onnx_ops.OPS`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pelemay_ir.builder import Tensor
from pelemay_ir.onnx_ops import _layout_of, _text, op
from pelemay_ir.onnx_values import Held, Node


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
    if mode not in ("constant", "edge", "reflect", "wrap"):
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
    if mode != "constant":
        for axis in range(rank):
            if low[axis] or high[axis]:
                x = _pad_from_inside(node, x, axis, low[axis], high[axis], mode)
        return [Held(x)]
    return [Held(node.b.pad(x, low, high, value))]


def _pad_from_inside(node: Node, x: Tensor, axis: int, low: int, high: int, mode: str) -> Tensor:
    """x padded along one axis with its own entries (edge, reflect, wrap):
    the source of each position is NumPy's pad of the positions themselves
    (what onnx.reference computes), copied as slices of consecutive runs."""
    b = node.b
    n = x.shape[axis]
    if n == 0:
        raise node.fail(f"mode={mode} on an empty axis is not valid")
    source = np.pad(np.arange(n), (low, high), mode=mode)
    runs: list[list[int]] = []
    for i in source.tolist():
        if runs and runs[-1][0] + runs[-1][1] == i:
            runs[-1][1] += 1
        else:
            runs.append([i, 1])
    pieces = []
    for start, size in runs:
        offsets = [0] * len(x.shape)
        sizes = list(x.shape)
        offsets[axis], sizes[axis] = start, size
        pieces.append(b.slice(x, offsets, sizes))
    return b.concat(pieces, axis) if len(pieces) > 1 else pieces[0]


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


def one_hot(node: Node, indices: Tensor, size: int, axis: int) -> Tensor:
    """A boolean one-hot of run-time `indices` with a new axis of `size`
    inserted at `axis` (indices == iota; negative indices count from the end)."""
    b = node.b
    if indices.dtype != np.int32:
        raise node.fail(f"run-time indices of element type {indices.dtype} are not supported (int32, int64)")
    shape = list(indices.shape)
    idx = b.reshape(indices, shape[:axis] + [1] + shape[axis:])
    idx = b.select(b.compare("lt", idx, node.scalar(0, idx)), b.add(idx, node.scalar(size, idx)), idx)
    iota = np.arange(size, dtype=np.int32).reshape([size] + [1] * (len(shape) - axis))
    return b.compare("eq", idx, node.constant(iota))


def pick(node: Node, data: Tensor, hot: Tensor, axis: int, keepdims: bool = False) -> Tensor:
    """The entries of `data` where the one-hot `hot` is set, summed over
    `axis`: exactly one entry per position, so the value comes out exact
    (select, not multiply: other entries never enter, infinities included)."""
    b = node.b
    kind = data.dtype
    if kind in (np.bool_, np.int8):
        data = b.cast(data, "i32")
    zero = node.scalar(0, data)
    if data.shape != hot.shape:
        data = b.broadcast(data, hot.shape)
    y = b.reduce_sum(b.select(hot, data, zero), [axis], keepdims)
    if kind in (np.bool_, np.int8):
        y = b.cast(y, "i1" if kind == np.bool_ else "i8")
    return y


@op("GatherElements")
def _gather_elements(node: Node):
    """out[p] = data[p with p[axis] = indices[p]]: a one-hot of the indices
    over the data's axis (a new last axis), data moved to match, and a pick."""
    b = node.b
    shape = node.shape(0)
    rank = len(shape)
    axis = node.attrs.get("axis", 0) % rank
    ishape = node.shape(1)
    if 0 in ishape:
        raise node.fail("empty indices are not supported")
    idx_v = node.value(1)
    data = node.tensor(0)
    if not isinstance(idx_v, Held):  # known indices: NumPy picks the positions, one take per entry
        positions = np.arange(int(np.prod(shape))).reshape(shape)
        positions = positions[tuple(slice(0, ishape[k]) if k != axis else slice(None) for k in range(rank))]
        flat = np.take_along_axis(positions, np.asarray(idx_v).astype(np.int64) % shape[axis], axis)
        y = _take(node, b.reshape(data, (int(np.prod(shape)),)), 0, [int(i) for i in flat.reshape(-1)])
        return [Held(b.reshape(y, ishape))]
    sizes = [ishape[k] if k != axis else shape[axis] for k in range(rank)]
    if sizes != list(shape):
        data = b.slice(data, [0] * rank, sizes)
    perm = [k for k in range(rank) if k != axis] + [axis]
    data = b.transpose(data, perm) if axis != rank - 1 else data
    data = b.reshape(data, [ishape[k] if k != axis else 1 for k in range(rank)] + [shape[axis]])
    hot = one_hot(node, node.tensor(1), shape[axis], rank)
    return [Held(pick(node, data, hot, rank))]


@op("Trilu")
def _trilu(node: Node):
    """The upper (or lower) triangle as a select with a constant mask."""
    shape = node.shape(0)
    if len(shape) < 2:
        raise node.fail("an input of rank below 2 is not valid")
    n, m = shape[-2:]
    if 0 in shape:
        raise node.fail("an empty input is not supported")
    b = node.b
    diff = np.arange(m)[None, :] - np.arange(n)[:, None]
    upper = bool(node.attrs.get("upper", 1))
    if node.has(1) and isinstance(node.value(1), Held):  # k at run time: compare with the diagonal offsets
        k = b.reshape(node.tensor(1), ())
        keep = b.compare("ge" if upper else "le", node.constant(diff.astype(np.int32)), k)
    else:
        k = int(np.asarray(node.value(1)).reshape(())) if node.has(1) else 0
        keep = node.constant((diff >= k) if upper else (diff <= k))
    x = node.tensor(0)
    if x.dtype == np.bool_:
        return [Held(b.cast(b.select(keep, b.cast(x, "i32"), node.constant(np.zeros((), np.int32))), "i1"))]
    return [Held(b.select(keep, x, node.scalar(0, x)))]


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
