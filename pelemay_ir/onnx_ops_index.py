"""The op table's indexing family: EyeLike, OneHot, GatherND,
ScatterElements (and the older Scatter) and ScatterND. Run-time indices
become one-hot masks (index == iota) and the picks and writes selects and
sums over them, so values are moved exactly; indices are only compared (and,
for the N-D ops, combined into a row number below the data's size), so int64
indices held as int32 are exact."""

from __future__ import annotations

import numpy as np

from pelemay_ir.builder import Tensor
from pelemay_ir.onnx_ops import _text, op
from pelemay_ir.onnx_ops_layout import _gather_runtime, one_hot, pick
from pelemay_ir.onnx_values import Held, Node


@op("EyeLike")
def _eye_like(node: Node):
    """Depends on the input's shape only: folded at import."""
    wide = isinstance(node.value(0), Held) and node.value(0).wide
    stand_in = np.zeros(node.shape(0), dtype=np.int64 if wide else node.dtype(0))
    return node.importer.fold_with(node, {node.proto.input[0]: stand_in})


@op("OneHot")
def _one_hot(node: Node):
    b = node.b
    depth = int(np.asarray(node.const(1, "the depth")).reshape(-1)[0])
    idx = node.tensor(0)
    rank = len(idx.shape)
    axis = node.attrs.get("axis", -1)
    axis = axis % (rank + 1)
    if idx.dtype.kind == "f":
        idx = b.cast(idx, "i32")  # ONNX casts the indices to integers (toward zero)
    elif idx.dtype != np.int32:
        idx = b.cast(idx, "i32")
    hot = one_hot(node, idx, depth, axis)
    values = node.tensor(2)
    off = b.reshape(b.slice(values, [0], [1]), ())
    on = b.reshape(b.slice(values, [1], [1]), ())
    if values.dtype == np.bool_:
        return [Held(b.cast(b.select(hot, b.cast(on, "i32"), b.cast(off, "i32")), "i1"))]
    return [Held(b.select(hot, on, off))]


def _rows(node: Node, indices: Tensor, dims: list[int]) -> Tensor:
    """Row numbers (i32) of the index tuples in the last axis of `indices`
    into a block of shape `dims` (negative components count from the end)."""
    b = node.b
    q = indices.shape[-1]
    lead = list(indices.shape[:-1])
    row = None
    for k in range(q):
        c = b.reshape(b.slice(indices, [0] * len(lead) + [k], lead + [1]), lead)
        c = b.select(b.compare("lt", c, node.scalar(0, c)), b.add(c, node.scalar(dims[k], c)), c)
        stride = int(np.prod(dims[k + 1:q]))
        term = b.mul(c, node.scalar(stride, c)) if stride != 1 else c
        row = term if row is None else b.add(row, term)
    return row


@op("GatherND")
def _gather_nd(node: Node):
    b = node.b
    data, indices = node.tensor(0), node.tensor(1)
    if indices.dtype != np.int32:
        raise node.fail(f"indices of element type {indices.dtype} are not supported (int32, int64)")
    bd = node.attrs.get("batch_dims", 0)
    dshape, ishape = list(data.shape), list(indices.shape)
    q = ishape[-1]
    batch = int(np.prod(dshape[:bd]))
    block = dshape[bd:bd + q]
    rest = dshape[bd + q:]
    row = _rows(node, indices, block)  # (B..., M...)
    if bd:
        per = int(np.prod(block))
        m = ishape[bd:-1]
        offsets = (np.arange(batch, dtype=np.int32) * per).reshape(dshape[:bd] + [1] * len(m))
        row = b.add(row, node.constant(offsets))
    table = b.reshape(data, (batch * int(np.prod(block)), int(np.prod(rest))))
    y = _gather_runtime(node, table, row, 0)
    return [Held(b.reshape(y, ishape[:-1] + rest))]


def _combine(node: Node, reduction: str, base: Tensor, hot: Tensor, upd: Tensor, axis: int) -> Tensor:
    """`base` with the updates `upd` (broadcast against the one-hot `hot`, the
    updates' own axis `axis` being summed away) written or folded in."""
    b = node.b
    full = tuple(np.broadcast_shapes(hot.shape, upd.shape))
    if hot.shape != full:
        hot = b.broadcast(hot, full)
    if upd.shape != full:
        upd = b.broadcast(upd, full)
    hit = b.reduce_max(b.cast(hot, "i32"), [axis])
    any_hit = b.compare("ne", hit, node.constant(np.zeros((), np.int32)))
    if reduction in ("none", "add"):
        total = pick(node, upd, hot, axis)
        return b.select(any_hit, total, base) if reduction == "none" else b.add(base, total)
    if reduction == "mul":
        one = node.scalar(1, upd)
        factors = b.select(hot, upd, one)
        acc = None
        for k in range(hot.shape[axis]):
            start = [0] * len(hot.shape)
            start[axis] = k
            size = list(hot.shape)
            size[axis] = 1
            f = b.reshape(b.slice(factors, start, size), [d for i, d in enumerate(hot.shape) if i != axis])
            acc = f if acc is None else b.mul(acc, f)
        return b.mul(base, acc)
    if reduction in ("max", "min"):
        if upd.dtype.kind == "f":
            fill = -np.inf if reduction == "max" else np.inf
        else:
            info = np.iinfo(upd.dtype)
            fill = info.min if reduction == "max" else info.max
        ext = b.select(hot, upd, node.scalar(fill, upd))
        red = (b.reduce_max if reduction == "max" else b.reduce_min)(ext, [axis])
        folded = (b.max if reduction == "max" else b.min)(base, red)
        return b.select(any_hit, folded, base)
    raise node.fail(f"attribute reduction={reduction} is not supported")


@op("ScatterElements", "Scatter")
def _scatter_elements(node: Node):
    """Each data position takes the updates whose index (along `axis`) names it."""
    b = node.b
    data, indices, updates = node.tensor(0), node.tensor(1), node.tensor(2)
    if data.dtype == np.bool_:
        raise node.fail("boolean data is not supported")
    shape = list(data.shape)
    rank = len(shape)
    axis = node.attrs.get("axis", 0) % rank
    reduction = _text(node.attrs.get("reduction", b"none"))
    ishape = list(indices.shape)
    if any(ishape[k] != shape[k] for k in range(rank) if k != axis):
        raise node.fail("indices smaller than the data on an axis other than `axis` are not supported")
    # axis moved last in data; indices and updates get the data's axis as a new last axis
    perm = [k for k in range(rank) if k != axis] + [axis]
    back = list(range(rank - 1))
    back.insert(axis, rank - 1)
    d = b.transpose(data, perm) if axis != rank - 1 else data
    idx = b.transpose(indices, perm) if axis != rank - 1 else indices
    upd = b.transpose(updates, perm) if axis != rank - 1 else updates
    hot = one_hot(node, idx, shape[axis], rank)  # (..., Ia, Sa)
    upd = b.reshape(upd, list(upd.shape) + [1])
    y = _combine(node, reduction, d, hot, upd, rank - 1)
    return [Held(b.transpose(y, back) if axis != rank - 1 else y)]


@op("ScatterND")
def _scatter_nd(node: Node):
    """Each data row (the index tuples' block) takes the update slices naming it."""
    b = node.b
    data, indices, updates = node.tensor(0), node.tensor(1), node.tensor(2)
    if data.dtype == np.bool_:
        raise node.fail("boolean data is not supported")
    if indices.dtype != np.int32:
        raise node.fail(f"indices of element type {indices.dtype} are not supported (int32, int64)")
    reduction = _text(node.attrs.get("reduction", b"none"))
    dshape = list(data.shape)
    q = indices.shape[-1]
    rows_n = int(np.prod(dshape[:q]))
    width = int(np.prod(dshape[q:]))
    count = int(np.prod(indices.shape[:-1]))
    row = b.reshape(_rows(node, indices, dshape[:q]), (count,))
    hot = one_hot(node, row, rows_n, 1)  # (count, rows)
    hot = b.reshape(hot, (count, rows_n, 1))
    upd = b.reshape(updates, (count, 1, width))
    table = b.reshape(data, (rows_n, width))
    y = _combine(node, reduction, table, hot, upd, 0)
    return [Held(b.reshape(y, dshape))]


@op("HannWindow", "HammingWindow", "BlackmanWindow")
def _window(node: Node):
    """A window depends on its size alone (fixed from the declared output
    length where it is a graph input): folded at import."""
    size = np.asarray(node.const(0, "the size")).astype(np.int64)
    return node.importer.fold_with(node, {node.proto.input[0]: size})


@op("TopK")
def _top_k(node: Node):
    """k rounds of: the extreme of the entries not yet taken, the lowest
    index holding it (ONNX's order for ties), that entry taken. Exact; k is
    fixed from the declared output shape where it is a graph input. NaN
    inputs are not supported (a NaN is never taken)."""
    b = node.b
    x = node.tensor(0)
    if x.dtype == np.bool_:
        raise node.fail("boolean input is not supported")
    shape = list(x.shape)
    rank = len(shape)
    axis = node.attrs.get("axis", -1) % rank
    k = int(np.asarray(node.const(1, "k")).reshape(-1)[0])
    largest = bool(node.attrs.get("largest", 1))
    n = shape[axis]
    if not 0 < k <= n:
        raise node.fail(f"k={k} is not supported (1 to {n})")
    if x.dtype.kind == "f":
        fill = -np.inf if largest else np.inf
    else:
        info = np.iinfo(x.dtype)
        fill = info.min if largest else info.max
    iota = node.constant(np.arange(n, dtype=np.int32).reshape([n] + [1] * (rank - axis - 1)))
    big = node.constant(np.array(n, np.int32))
    zero_i = node.constant(np.array(0, np.int32))
    taken = None  # i32 0/1, the shape of x
    values, indices = [], []
    for _ in range(k):
        cur = x if taken is None else b.select(b.compare("ne", taken, zero_i), node.scalar(fill, x), x)
        m = (b.reduce_max if largest else b.reduce_min)(cur, [axis], True)
        cand = b.cast(b.compare("eq", x, m), "i32")
        if taken is not None:
            cand = b.mul(cand, b.sub(node.constant(np.array(1, np.int32)), taken))
        idx = b.reduce_min(b.select(b.compare("ne", cand, zero_i), iota, big), [axis], True)
        hot = b.cast(b.compare("eq", iota, idx), "i32")
        taken = hot if taken is None else b.add(taken, hot)
        values.append(m)
        indices.append(idx)
    vals = b.concat(values, axis) if k > 1 else values[0]
    idxs = b.concat(indices, axis) if k > 1 else indices[0]
    return [Held(vals), Held(idxs, wide=True)]


@op("ReverseSequence")
def _reverse_sequence(node: Node):
    """out[t, b] = x[len_b - 1 - t, b] for t < len_b, else x[t, b]: the
    source time step per position, a one-hot over time, and a pick."""
    b = node.b
    x = node.tensor(0)
    lens = node.tensor(1)
    if lens.dtype != np.int32:
        raise node.fail(f"sequence_lens of element type {lens.dtype} are not supported (int32, int64)")
    rank = len(x.shape)
    t_axis = node.attrs.get("time_axis", 0) % rank
    b_axis = node.attrs.get("batch_axis", 1) % rank
    steps = x.shape[t_axis]
    t_shape = [1] * rank
    t_shape[t_axis] = steps
    l_shape = [1] * rank
    l_shape[b_axis] = x.shape[b_axis]
    t = node.constant(np.arange(steps, dtype=np.int32).reshape(t_shape))
    length = b.reshape(lens, l_shape)
    src = b.select(b.compare("lt", t, length), b.sub(b.sub(length, node.constant(np.array(1, np.int32))), t), t)
    src = b.broadcast(src, x.shape) if src.shape != x.shape else src
    hot = one_hot(node, src, steps, rank)  # a new last axis over the source step
    perm = list(range(rank))
    perm.remove(t_axis)
    lifted = b.transpose(x, perm + [t_axis])  # time last, then a size-1 axis where time was
    lifted = b.reshape(lifted, _insert([x.shape[p] for p in perm], t_axis, 1) + [steps])
    return [Held(pick(node, b.broadcast(lifted, hot.shape), hot, rank))]


def _insert(items: list, at: int, value) -> list:
    out = list(items)
    out.insert(at, value)
    return out


_MAX_UNPOOL_PAIRS = 1 << 22
"""MaxUnpool compares every output position with every index."""


@op("MaxUnpool")
def _max_unpool(node: Node):
    """Each position of the unpooled shape takes the value whose flat index
    (over the whole tensor) names it, the last one where several do (as
    onnx.reference writes them in order); zeros elsewhere. An output_shape
    beyond that shape adds zeros at the end of each axis, as onnx.reference."""
    b = node.b
    x, idx = node.tensor(0), node.tensor(1)
    shape = list(x.shape)
    k = len(shape) - 2
    kernel = [int(v) for v in node.attrs["kernel_shape"]]
    strides = [int(v) for v in node.attrs.get("strides", [1] * k)]
    pads = [int(v) for v in node.attrs.get("pads", [0] * 2 * k)]
    if list(idx.shape) != shape or len(kernel) != k:
        raise node.fail("the indices must have the input's shape, and kernel_shape one entry per spatial axis")
    unpooled = shape[:2] + [(shape[2 + d] - 1) * strides[d] - pads[d] - pads[k + d] + kernel[d] for d in range(k)]
    out = unpooled
    if node.has(2):
        out = [int(v) for v in np.asarray(node.const(2, "the output shape")).reshape(-1)]
        if len(out) != len(shape) or any(o < u for o, u in zip(out, unpooled)):
            raise node.fail(f"an output_shape {out} smaller than the unpooled shape {unpooled} is not supported")
    positions, count = int(np.prod(unpooled)), int(np.prod(shape))
    if positions * count > _MAX_UNPOOL_PAIRS:
        raise node.fail(f"{positions} output positions by {count} indices is not supported (at most 2^22 pairs)")
    hot = one_hot(node, b.reshape(idx, [count]), positions, 0)  # (positions, count)
    order = node.constant(np.arange(1, count + 1, dtype=np.int32))
    last = b.reduce_max(b.select(hot, order, node.scalar(0, order)), [1], keepdims=True)
    y = pick(node, b.reshape(x, [1, count]), b.compare("eq", last, order), 1)
    y = b.reshape(y, unpooled)
    if out != unpooled:
        y = b.pad(y, [0] * len(out), [o - u for o, u in zip(out, unpooled)], 0)
    return [Held(y)]
