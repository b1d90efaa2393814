"""Shape rules of the tensor ops, as plain functions on tuples.

One place states what shape each op produces, so the dialect's verifiers, the
builder (which infers result types) and the reference evaluator agree. Every
rule raises `ShapeError` with a message that names the offending dimension.
"""

from __future__ import annotations

from collections.abc import Sequence

Shape = tuple[int, ...]


class ShapeError(ValueError):
    """A shape or attribute that an op cannot accept."""


def broadcast(*shapes: Sequence[int]) -> Shape:
    """NumPy broadcasting: align on the right, size-1 dimensions stretch."""
    rank = max(len(s) for s in shapes)
    out: list[int] = []
    for i in range(rank):
        sizes = {s[len(s) - rank + i] for s in shapes if len(s) - rank + i >= 0}
        sizes.discard(1)
        if len(sizes) > 1:
            listed = " and ".join(fmt(s) for s in shapes)
            raise ShapeError(
                f"shapes {listed} do not broadcast: dimension {i} of the "
                f"result would be {sorted(sizes)}"
            )
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def normalize_axis(axis: int, rank: int, what: str = "axis") -> int:
    if not -rank <= axis < rank:
        raise ShapeError(f"{what} {axis} is out of range for rank {rank}")
    return axis % rank


def normalize_axes(axes: Sequence[int], rank: int) -> tuple[int, ...]:
    norm = tuple(normalize_axis(a, rank) for a in axes)
    if len(set(norm)) != len(norm):
        raise ShapeError(f"axes {list(axes)} repeat an axis")
    return tuple(sorted(norm))


def reduce(shape: Sequence[int], axes: Sequence[int], keepdims: bool) -> Shape:
    norm = normalize_axes(axes, len(shape))
    if not norm:
        raise ShapeError("a reduction needs at least one axis")
    if keepdims:
        return tuple(1 if i in norm else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in norm)


def matmul(a: Sequence[int], b: Sequence[int]) -> Shape:
    if len(a) < 2 or len(b) < 2:
        raise ShapeError(
            f"matmul operands need rank >= 2, got {fmt(a)} and {fmt(b)}"
        )
    if a[-1] != b[-2]:
        raise ShapeError(
            f"matmul contraction mismatch: lhs {fmt(a)} has K={a[-1]} but "
            f"rhs {fmt(b)} has K={b[-2]}"
        )
    try:
        batch = broadcast(a[:-2], b[:-2])
    except ShapeError as e:
        raise ShapeError(f"matmul batch dimensions: {e}") from None
    return (*batch, a[-2], b[-1])


def transpose(shape: Sequence[int], perm: Sequence[int]) -> Shape:
    if sorted(perm) != list(range(len(shape))):
        raise ShapeError(
            f"permutation {list(perm)} is not a permutation of 0..{len(shape) - 1}"
        )
    return tuple(shape[p] for p in perm)


def reshape(shape: Sequence[int], new: Sequence[int]) -> Shape:
    if numel(shape) != numel(new):
        raise ShapeError(
            f"reshape from {fmt(shape)} ({numel(shape)} elements) to "
            f"{fmt(new)} ({numel(new)} elements) changes the element count"
        )
    return tuple(new)


def broadcast_to(shape: Sequence[int], target: Sequence[int]) -> Shape:
    try:
        fits = len(target) >= len(shape) and broadcast(shape, target) == tuple(target)
    except ShapeError:
        fits = False
    if not fits:
        raise ShapeError(f"shape {fmt(shape)} cannot broadcast to {fmt(target)}")
    return tuple(target)


def slice_(
    shape: Sequence[int],
    offsets: Sequence[int],
    sizes: Sequence[int],
    strides: Sequence[int],
) -> Shape:
    rank = len(shape)
    for name, v in (("offsets", offsets), ("sizes", sizes), ("strides", strides)):
        if len(v) != rank:
            raise ShapeError(f"slice {name} has {len(v)} entries, expected {rank}")
    for i, (d, o, n, s) in enumerate(zip(shape, offsets, sizes, strides)):
        if s < 1 or o < 0 or n < 0:
            raise ShapeError(
                f"slice dimension {i}: offset {o}, size {n} and stride {s} "
                "must be >= 0, >= 0 and >= 1"
            )
        if n > 0 and o + (n - 1) * s >= d:
            raise ShapeError(
                f"slice dimension {i}: offset {o} + (size {n} - 1) * stride {s} "
                f"reaches past the dimension's size {d}"
            )
    return tuple(sizes)


def concat(shapes: Sequence[Sequence[int]], axis: int) -> Shape:
    if not shapes:
        raise ShapeError("concat needs at least one operand")
    rank = len(shapes[0])
    ax = normalize_axis(axis, rank)
    for k, s in enumerate(shapes):
        if len(s) != rank or any(
            a != b for i, (a, b) in enumerate(zip(s, shapes[0])) if i != ax
        ):
            raise ShapeError(
                f"concat operand {k} has shape {fmt(s)}, which differs from "
                f"{fmt(shapes[0])} outside axis {ax}"
            )
    return tuple(
        sum(s[ax] for s in shapes) if i == ax else d for i, d in enumerate(shapes[0])
    )


def pad(shape: Sequence[int], low: Sequence[int], high: Sequence[int]) -> Shape:
    if len(low) != len(shape) or len(high) != len(shape):
        raise ShapeError(
            f"pad needs {len(shape)} low and high amounts, got {len(low)} and {len(high)}"
        )
    if any(v < 0 for v in (*low, *high)):
        raise ShapeError(f"pad amounts must be >= 0, got low {list(low)} and high {list(high)}")
    return tuple(d + lo + hi for d, lo, hi in zip(shape, low, high))


def _window(
    size: int, kernel: int, stride: int, dilation: int, pad_lo: int, pad_hi: int, what: str
) -> int:
    span = dilation * (kernel - 1) + 1
    padded = size + pad_lo + pad_hi
    if span > padded:
        raise ShapeError(
            f"{what}: window of {span} does not fit the padded size {padded}"
        )
    return (padded - span) // stride + 1


def _check_window_attrs(
    strides: Sequence[int], dilations: Sequence[int], padding: Sequence[int]
) -> None:
    if len(strides) != 2 or any(s < 1 for s in strides):
        raise ShapeError(f"strides must be two values >= 1, got {list(strides)}")
    if len(dilations) != 2 or any(d < 1 for d in dilations):
        raise ShapeError(f"dilations must be two values >= 1, got {list(dilations)}")
    if len(padding) != 4 or any(p < 0 for p in padding):
        raise ShapeError(
            "padding must be four values >= 0 (top, bottom, left, right), "
            f"got {list(padding)}"
        )


def conv2d(
    x: Sequence[int],
    w: Sequence[int],
    strides: Sequence[int],
    dilations: Sequence[int],
    padding: Sequence[int],
    groups: int,
) -> Shape:
    """NHWC input, HWCF filter (kh, kw, in_channels / groups, out_channels)."""
    if len(x) != 4 or len(w) != 4:
        raise ShapeError(
            f"conv2d needs a rank-4 NHWC input and a rank-4 HWCF filter, got "
            f"{fmt(x)} and {fmt(w)}"
        )
    _check_window_attrs(strides, dilations, padding)
    n, h, wd, c = x
    kh, kw, cg, f = w
    if groups < 1 or c % groups or f % groups:
        raise ShapeError(
            f"groups {groups} must divide the input channels {c} and the "
            f"output channels {f}"
        )
    if cg != c // groups:
        raise ShapeError(
            f"filter {fmt(w)} has {cg} input channels per group, expected "
            f"{c // groups} (input channels {c} / groups {groups})"
        )
    oh = _window(h, kh, strides[0], dilations[0], padding[0], padding[1], "conv2d height")
    ow = _window(wd, kw, strides[1], dilations[1], padding[2], padding[3], "conv2d width")
    return (n, oh, ow, f)


def pool2d(
    x: Sequence[int], kernel: Sequence[int], strides: Sequence[int], padding: Sequence[int]
) -> Shape:
    if len(x) != 4:
        raise ShapeError(f"pooling needs a rank-4 NHWC input, got {fmt(x)}")
    if len(kernel) != 2 or any(k < 1 for k in kernel):
        raise ShapeError(f"kernel must be two values >= 1, got {list(kernel)}")
    _check_window_attrs(strides, (1, 1), padding)
    if padding[0] >= kernel[0] or padding[1] >= kernel[0] or padding[2] >= kernel[1] or padding[3] >= kernel[1]:
        raise ShapeError(
            f"padding {list(padding)} must be smaller than the kernel {list(kernel)}"
        )
    n, h, w, c = x
    oh = _window(h, kernel[0], strides[0], 1, padding[0], padding[1], "pooling height")
    ow = _window(w, kernel[1], strides[1], 1, padding[2], padding[3], "pooling width")
    return (n, oh, ow, c)


def numel(shape: Sequence[int]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def fmt(shape: Sequence[int]) -> str:
    """A shape as MLIR writes it: 1x784, or `scalar` for rank 0."""
    return "x".join(str(d) for d in shape) if shape else "scalar"
