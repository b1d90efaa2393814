"""The implicit-GEMM form of a convolution nest for the tiled kernel of
`outline-gpu-kernels` (passes/gpu_tiled_matmul.py).

An f32 conv2d of one group (NHWC input, HWCF filter) is C = A B with
M = batch * out_h * out_w rows (n, oy, ox), N = filters and
K = kh * kw * channels (i, j, c, the filter's own order, so B is the filter
as a [K, N] matrix):

    A[(n, oy, ox), (i, j, c)] = x[n, oy*sh + i*dh - top, ox*sw + j*dw - left, c]

and 0 where that falls in the padding. The tile's loads gather A from the
input as they stage it (im2col without its buffer): a row's n and window
origin are computed once a tile, a column's tap and channel once a slice.

The nest is recognised from what `convert-pbuf-to-loops` makes of a conv2d
(passes/loops_windows.py) by checking its meaning, not its spelling: the
input's indices are affine in the induction variables with the coefficients
above, the filter is read at [i, j, c, f], and the window loops' bounds,
evaluated for every output row and column, are exactly the taps that fall
inside the input (the others are A's zeros).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects import arith, memref, scf
from xdsl.ir import OpResult, SSAValue

from pelemay_ir.passes.gpu_tiled_matmul import (
    Gemm,
    Line,
    Ops,
    big_enough,
    f32_memref,
    from_zero,
    multiply_add,
    tail,
    zero_sum,
)
from pelemay_ir.passes.parallelize import constant_bounds, constant_value

_EVALUATED = {arith.AddiOp: lambda a, b: a + b, arith.SubiOp: lambda a, b: a - b, arith.MuliOp: lambda a, b: a * b,
              arith.MaxSIOp: max, arith.MinSIOp: min,
              arith.DivSIOp: lambda a, b: None if b == 0 else abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)}


def _evaluate(v: SSAValue, known: dict[SSAValue, int]) -> int | None:
    """The value of an index expression given the values of some induction
    variables; None if it depends on anything else."""
    if v in known:
        return known[v]
    c = constant_value(v)
    if c is not None:
        return c
    if not isinstance(v, OpResult) or type(v.op) not in _EVALUATED:
        return None
    a, b = (_evaluate(x, known) for x in v.op.operands)
    return None if a is None or b is None else _EVALUATED[type(v.op)](a, b)


def _affine(v: SSAValue, ivs: set[SSAValue]) -> dict[SSAValue | None, int] | None:
    """v as a sum of coefficients times the induction variables `ivs` (and a
    constant, under None); None if it is not one."""
    if v in ivs:
        return {v: 1}
    c = constant_value(v)
    if c is not None:
        return {None: c}
    if not isinstance(v, OpResult) or not isinstance(v.op, (arith.AddiOp, arith.SubiOp, arith.MuliOp)):
        return None
    a, b = _affine(v.op.operands[0], ivs), _affine(v.op.operands[1], ivs)
    if a is None or b is None:
        return None
    if isinstance(v.op, arith.MuliOp):
        if set(b) == {None}:
            a, b = b, a
        if set(a) != {None}:
            return None
        return {key: a[None] * coefficient for key, coefficient in b.items()}
    sign = -1 if isinstance(v.op, arith.SubiOp) else 1
    total = dict(a)
    for key, coefficient in b.items():
        total[key] = total.get(key, 0) + sign * coefficient
    return {key: coefficient for key, coefficient in total.items() if coefficient or key is None}


def _only_loop(loop: scf.ForOp, acc: SSAValue) -> scf.ForOp | None:
    """The loop that is all of `loop`'s body, carrying `acc` through it."""
    ops = list(loop.body.block.ops)
    if len(ops) != 2 or not isinstance(ops[0], scf.ForOp) or not isinstance(ops[1], scf.YieldOp):
        return None
    inner, yielded = ops
    if list(inner.iter_args) != [acc] or list(yielded.operands) != [inner.results[0]]:
        return None
    return inner


def _taps(loop: scf.ForOp, iv: SSAValue, outputs: int, stride: int, dilation: int, pad: int, size: int,
          kernel: int) -> bool:
    """Does the window loop run, at each output position, over exactly the
    taps that read inside the input?"""
    if constant_value(loop.step) != 1:
        return False
    for o in range(outputs):
        lo, hi = _evaluate(loop.lb, {iv: o}), _evaluate(loop.ub, {iv: o})
        inside = [t for t in range(kernel) if 0 <= o * stride + t * dilation - pad < size]
        if lo is None or hi is None or list(range(lo, hi)) != inside:
            return False
    return True


@dataclass
class Im2col:
    """A of a convolution: its rows the output pixels, its columns the taps
    and channels, read from the input x (0 in the padding)."""

    source: SSAValue
    out_h: int
    out_w: int
    rows: int
    strides: tuple[int, int]
    dilations: tuple[int, int]
    pads: tuple[int, int]
    kernel_w: int
    channels: int
    taps: int

    def row(self, o: Ops, m: SSAValue) -> Line:
        """n, oy, ox of the row (a dimension of one, a constant 0: the point
        of the nests fused after it), and its window's origin oy*sh - top,
        ox*sw - left."""
        inside = o.below(m, o.index(self.rows))
        rest = o.minu(m, self.rows - 1)
        split = []
        for size, name in ((self.out_w, "ox"), (self.out_h, "oy"), (self.rows // (self.out_h * self.out_w), "n")):
            if size == 1:
                split.append(o.index(0))
            elif name == "n":
                split.append(rest)
            else:
                rest, at = o.divide(rest, size)
                split.append(at)
            split[-1].name_hint = split[-1].name_hint or name
        ox, oy, n = split
        origins = []
        for at, stride, pad in zip((oy, ox), self.strides, self.pads):
            scaled = o.mul(at, o.index(stride)) if stride != 1 else at
            origins.append(o.add(arith.SubiOp(scaled, o.index(pad))) if pad else scaled)
        return Line(inside, [n, oy, ox, *origins])

    def column(self, o: Ops, k: SSAValue) -> Line:
        """The column's channel c and its tap's offsets i*dh, j*dw."""
        inside = o.below(k, o.index(self.taps))
        tap, c = o.divide(k, self.channels)
        i, j = o.divide(tap, self.kernel_w)
        offsets = [o.mul(t, o.index(d)) if d != 1 else t for t, d in zip((i, j), self.dilations)]
        return Line(inside, [c, *offsets])

    def load(self, o: Ops, source: SSAValue, row: Line, column: Line, zero: SSAValue) -> SSAValue:
        n, _, _, y0, x0 = row.parts
        c, dy, dx = column.parts
        _, h, w, _ = source.type.get_shape()  # pyright: ignore[reportAttributeAccessIssue]
        inside = o.add(arith.AndIOp(row.inside, column.inside))
        indices = [n]
        for origin, offset, size in ((y0, dy, h), (x0, dx, w)):
            at = o.plus(origin, offset)
            inside = o.add(arith.AndIOp(inside, o.below(at, o.index(size))))  # unsigned: above -1 too
            indices.append(o.minu(at, size - 1))
        value = o.add(memref.LoadOp.get(source, [*indices, c]))
        return o.add(arith.SelectOp(inside, value, zero))

    def point(self, row: Line) -> list[SSAValue]:
        return row.parts[:3]


def conv_nest(nest: list[scf.ForOp]) -> Gemm | None:
    """The convolution a parallel nest [n, oy, ox, f] computes, if it is one
    the tiled kernel takes as an implicit GEMM."""
    if len(nest) != 4:
        return None
    trips = [from_zero(loop) for loop in nest]
    if None in trips:
        return None
    batch, out_h, out_w, filters = trips  # pyright: ignore[reportGeneralTypeIssues]
    n, oy, ox, f = (loop.body.block.args[0] for loop in nest)
    reduces = [op for op in nest[-1].body.block.ops if isinstance(op, scf.ForOp)]
    if len(reduces) != 1 or not big_enough(batch * out_h * out_w, filters):
        return None
    rows_loop = reduces[0]
    acc = zero_sum(rows_loop)
    cols_loop = _only_loop(rows_loop, acc) if acc is not None else None
    channels_loop = _only_loop(cols_loop, cols_loop.body.block.args[1]) if cols_loop is not None else None
    if channels_loop is None:
        return None
    loads = multiply_add(channels_loop, channels_loop.body.block.args[1])
    after = tail(nest, rows_loop)
    if loads is None or after is None:
        return None
    i, j, c = (loop.body.block.args[0] for loop in (rows_loop, cols_loop, channels_loop))
    x_load, w_load = loads if list(loads[1].indices) == [i, j, c, f] else loads[::-1]
    x, w = x_load.memref, w_load.memref
    if list(w_load.indices) != [i, j, c, f] or not f32_memref(x, 4) or not f32_memref(w, 4):
        return None
    images, h, wd, channels = x.type.get_shape()  # pyright: ignore[reportAttributeAccessIssue]
    kh, kw, filter_channels, filter_count = w.type.get_shape()  # pyright: ignore[reportAttributeAccessIssue]
    if (images, filter_channels, filter_count) != (batch, channels, filters) \
            or constant_bounds(channels_loop) != (0, channels, 1):
        return None
    ivs = {n, oy, ox, i, j, c}
    index = [_affine(v, ivs) for v in x_load.indices]
    if None in index or index[0] != {n: 1} or index[3] != {c: 1}:
        return None
    geometry = []
    for found, out, tap in ((index[1], oy, i), (index[2], ox, j)):
        assert found is not None
        stride, dilation, pad = found.get(out, 0), found.get(tap, 0), -found.get(None, 0)
        if stride < 1 or dilation < 1 or pad < 0 or set(found) - {out, tap, None}:
            return None
        geometry.append((stride, dilation, pad))
    (sh, dh, top), (sw, dw, left) = geometry
    if not _taps(rows_loop, oy, out_h, sh, dh, top, h, kh) or not _taps(cols_loop, ox, out_w, sw, dw, left, wd, kw):
        return None
    a = Im2col(x, out_h, out_w, batch * out_h * out_w, (sh, sw), (dh, dw), (top, left), kw, channels,
               kh * kw * channels)
    return Gemm(a, w, batch * out_h * out_w, filters, kh * kw * channels, nest, rows_loop, after)
