"""Loop nests for the sliding-window ops: conv2d (NHWC input, HWCF filter,
stride, dilation, padding, groups) and max/avg pooling.

Padding is never read: for each output row (column) the kernel taps that fall
inside the input are computed once, as loop bounds,

    lo = max(0, ceil((pad - o*stride) / dilation))
    hi = min(K, ceil((size + pad - o*stride) / dilation))

so the innermost loops carry no bounds checks and no branches. This is exact
for conv2d (padding adds zeros), for max pooling (padding never wins) and for
average pooling (padding is not counted: the count is the product of the two
ranges).
"""

from __future__ import annotations

from xdsl.dialects.builtin import f32, i8, i32
from xdsl.ir import SSAValue

from pelemay_ir.dialects import pbuf
from pelemay_ir.dialects import ptensor as pt
from pelemay_ir.passes.loops_emitter import Emitter, Index, compute_type, element_of, shape_of


class Window:
    """The taps [lo, hi) of one output position's window that read inside the
    input, and `base` = o*stride - pad, the input index of tap 0."""

    def __init__(self, lo: Index, hi: Index, base: Index):
        self.lo, self.hi, self.base = lo, hi, base

    def input_index(self, em: Emitter, tap: SSAValue, dilation: int) -> Index:
        return em.add(em.mul(tap, dilation), self.base)


def window(
    em: Emitter, o: SSAValue, stride: int, dilation: int, pad: int, size: int, kernel: int, out_size: int
) -> Window:
    """The window of output position `o` along one dimension.

    Bounds that hold for every output position (no padding on that side) are
    constants, so unpadded windows have fixed trip counts the C compiler can
    unroll."""
    base = em.sub(em.mul(o, stride), pad)
    last_tap = (out_size - 1) * stride + (kernel - 1) * dilation - pad

    def ceil_div(a: Index) -> Index:
        # ceil(a / d) for d > 0 as (a + d - 1) / d: exact for a > 0; for a <= 0
        # it gives a value <= 0 whose clamp (or empty range) is the same.
        return a if dilation == 1 else em.div(em.add(a, dilation - 1), dilation)

    lo: Index = 0
    hi: Index = kernel
    if pad > 0:
        lo = em.max_(ceil_div(em.sub(0, base)), 0)  # first tap at or after input row 0
    if last_tap > size - 1:
        hi = em.min_(ceil_div(em.sub(size, base)), kernel)  # taps before input row `size`
    return Window(lo, hi, base)


def _conv2d(em: Emitter, op: pbuf.DestinationOp):
    x, w = op.inputs_[0], op.inputs_[1]
    bias = op.inputs_[2] if len(op.inputs_) == 3 else None
    out = op.output_
    batch, h, wd, _ = shape_of(x)
    kh, kw, cg, f = shape_of(w)
    _, oh, ow, _ = shape_of(out)
    sh, sw = pt.ints(op.strides)  # pyright: ignore[reportAttributeAccessIssue]
    dh, dw = pt.ints(op.dilations)  # pyright: ignore[reportAttributeAccessIssue]
    top, _, left, _ = pt.ints(op.padding)  # pyright: ignore[reportAttributeAccessIssue]
    groups = op.groups.value.data  # pyright: ignore[reportAttributeAccessIssue]
    fg = f // groups  # output channels per group
    acc_type = i32 if element_of(x) == i8 else compute_type(element_of(x))

    def output(n: SSAValue, oy: SSAValue, ox: SSAValue, rows: Window, cols: Window, fo: Index, cbase: Index) -> None:
        def tap(ivs: list[SSAValue], acc: list[SSAValue]) -> list[SSAValue]:
            i, j, c = ivs
            a = em.load(x, [n, rows.input_index(em, i, dh), cols.input_index(em, j, dw), em.add(cbase, c)])
            b = em.load(w, [i, j, c, fo])
            return [em.addv(acc[0], em.mulv(em.widen(a, acc_type), em.widen(b, acc_type)))]

        (total,) = em.reduce([(rows.lo, rows.hi), (cols.lo, cols.hi), (0, cg)], [em.zero(acc_type)], tap)
        if bias is not None:
            total = em.addv(total, em.load(bias, [fo]))
        em.store(total, out, [n, oy, ox, fo])

    def pixel(n: SSAValue, oy: SSAValue, rows: Window, ox: SSAValue) -> None:
        cols = window(em, ox, sw, dw, left, wd, kw, ow)
        if groups == 1:
            em.for_(0, f, lambda fo, _: output(n, oy, ox, rows, cols, fo, 0))
            return

        def group(g: SSAValue, _: list[SSAValue]) -> None:
            cbase = em.mul(g, cg)  # the group's first input channel
            if fg == 1:
                output(n, oy, ox, rows, cols, g, cbase)
            else:
                em.for_(0, fg, lambda fl, _: output(n, oy, ox, rows, cols, em.add(em.mul(g, fg), fl), cbase))

        em.for_(0, groups, group)

    return _pixels(em, batch, oh, ow, lambda n, oy: window(em, oy, sh, dh, top, h, kh, oh), pixel)


def _pixels(em: Emitter, batch: int, oh: int, ow: int, rows_of, pixel):
    """for n, for oy (rows window computed once per row), for ox: pixel(n, oy, rows, ox)."""

    def image(n: SSAValue, _: list[SSAValue]) -> None:
        def row(oy: SSAValue, _: list[SSAValue]) -> None:
            rows = rows_of(n, oy)
            em.for_(0, ow, lambda ox, _: pixel(n, oy, rows, ox))

        em.for_(0, oh, row)

    return em.for_(0, batch, image)


def _pool(em: Emitter, op: pbuf.DestinationOp, kind: str):
    x, out = op.inputs_[0], op.output_
    _, h, wd, _ = shape_of(x)
    kh, kw = pt.ints(op.kernel)  # pyright: ignore[reportAttributeAccessIssue]
    sh, sw = pt.ints(op.strides)  # pyright: ignore[reportAttributeAccessIssue]
    top, _, left, _ = pt.ints(op.padding)  # pyright: ignore[reportAttributeAccessIssue]
    t = compute_type(element_of(x))
    batch, oh, ow, channels = shape_of(out)

    def pixel(n: SSAValue, oy: SSAValue, rows: Window, ox: SSAValue) -> None:
        cols = window(em, ox, sw, 1, left, wd, kw, ow)
        count = None
        if kind == "avg":  # the in-bounds elements only
            count = em.index_to(em.mul(em.sub(rows.hi, rows.lo), em.sub(cols.hi, cols.lo)), f32)

        def channel(c: SSAValue, _: list[SSAValue]) -> None:
            def tap(ivs: list[SSAValue], acc: list[SSAValue]) -> list[SSAValue]:
                i, j = ivs
                v = em.load(x, [n, rows.input_index(em, i, 1), cols.input_index(em, j, 1), c])
                return [em.maxv(acc[0], v) if kind == "max" else em.addv(acc[0], v)]

            init = em.lowest(t) if kind == "max" else em.f32(0.0)
            (total,) = em.reduce([(rows.lo, rows.hi), (cols.lo, cols.hi)], [init], tap)
            if count is not None:
                total = em.divv(total, count)
            em.store(total, out, [n, oy, ox, c])

        em.for_(0, channels, channel)

    return _pixels(em, batch, oh, ow, lambda n, oy: window(em, oy, sh, 1, top, h, kh, oh), pixel)


KERNELS = {
    pt.Conv2DOp: _conv2d,
    pt.MaxPool2DOp: lambda em, op: _pool(em, op, "max"),
    pt.AvgPool2DOp: lambda em, op: _pool(em, op, "avg"),
}
