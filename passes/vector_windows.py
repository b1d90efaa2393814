"""Vector kernels of the sliding-window ops: conv2d (NHWC input, HWCF filter)
and max/avg pooling, vectorised along the channels (NHWC keeps them
contiguous).

conv2d with groups = 1 is the matmul micro-kernel in disguise: a block of
`rows` output pixels of one output row times `vectors` vectors of output
channels stays in registers while the taps (ky, kx, c) stream past, one
filter row of F channels loaded per tap and one input element broadcast per
pixel. Pixels whose window lies inside the input along x take this block;
the pixels at the left and right borders (and the leftovers) take blocks of
one pixel whose x taps are bounded as in the scalar kernel
(loops_windows.window). Depthwise conv2d (groups = C = F) and pooling read a
vector of channels per tap. The epilogue chain is applied before the store.
"""

from __future__ import annotations

from xdsl.dialects.builtin import f32
from xdsl.ir import Operation, SSAValue

from pelemay_ir.dialects import pbuf
from pelemay_ir.dialects import ptensor as pt
from pelemay_ir.machines import Vectors
from pelemay_ir.passes.loops_emitter import Index, element_of, shape_of
from pelemay_ir.passes.loops_windows import Window, window
from pelemay_ir.passes.vector_cost import embedded_broadcast, outgrows_half_l2, register_block
from pelemay_ir.passes.vector_elementwise import Chain
from pelemay_ir.passes.vector_emitter import VectorEmitter
from pelemay_ir.passes.vector_matmul import _rereadable, lane_step, outer_product_step, reduce_by_lanes


SMALL_WINDOW = 9
"""Windows of constant bounds (no padding) with at most this many taps are
unrolled: a 2x2 or 3x3 pooling window costs no loop overhead."""


SMALL_ROW = 16
"""A conv2d filter row of at most this many taps x channels, with fewer
channels than a vector holds (an image's first layer), is unrolled for the
pixels whose window lies inside the input: no loop of 3 channels per tap.
Where loads take no offset (ARMv7) only rows of one channel are: unrolled,
every load there needs its address computed, which the loop's
post-incremented pointers spare."""


def _interior(size: int, kernel: int, stride: int, dilation: int, pad: int, out_size: int) -> tuple[int, int]:
    """[first, end) of the output positions whose whole window is inside the input."""
    first = -(-pad // stride)
    end = (size - 1 - (kernel - 1) * dilation + pad) // stride + 1
    first = min(first, out_size)
    return first, max(first, min(end, out_size))


def _initial(em: VectorEmitter, bias: SSAValue | None, c0: Index, nv: int, start: float) -> list[SSAValue]:
    """The accumulators of nv vectors of channels from c0 (nv = 0: the one
    channel c0, scalar): the bias there, or `start` when there is none."""
    if bias is None:
        return [em.vconst(start) if nv else em.f32(start)] * max(nv, 1)
    if nv == 0:
        return [em.load(bias, [c0])]
    return [em.vload(bias, [em.add(c0, v * em.lanes)]) for v in range(nv)]


def _channel_blocks(em: VectorEmitter, channels: int, nvec: int, block, overlap: bool = False) -> None:
    """block(c0, vectors) over full blocks, then one-vector blocks; for the
    channels left, one vector block ending at the last channel when
    `overlap` (it recomputes a few channels already stored, with the same
    result), else block(c, 0) per channel (scalar)."""
    lanes = em.lanes
    full = channels - channels % (nvec * lanes)
    vector_end = channels - channels % lanes
    em.for_(0, full, lambda c0, _: block(c0, nvec), step=nvec * lanes)
    if full < vector_end:
        em.for_(full, vector_end, lambda c0, _: block(c0, 1), step=lanes)
    if vector_end < channels and overlap and channels >= lanes:
        block(channels - lanes, 1)
    elif vector_end < channels:
        em.for_(vector_end, channels, lambda c, _: block(c, 0))


def _ragged_blocks(em: VectorEmitter, channels: int, nvec: int, block) -> None:
    """block(c0, vectors, back) over the channels as ceil(channels / W)
    vectors whose last one ends at the last channel (`back` lanes before
    where a whole vector would start): full blocks of nvec vectors, then one
    block of the vectors left, that last vector among them, so that its
    channels share the block's broadcasts instead of taking a pass of their own."""
    lanes = em.lanes
    count = -(-channels // lanes)
    back = count * lanes - channels
    full = count - count % nvec
    if count % nvec == 0:  # the last full block holds the shifted vector
        full -= nvec
    if full:
        em.for_(0, full * lanes, lambda c0, _: block(c0, nvec, 0), step=nvec * lanes)
    block(full * lanes, count - full, back)


def conv2d(em: VectorEmitter, op: pbuf.DestinationOp, chain: Chain, vectors: Vectors) -> Operation | None:
    if any(element_of(v) != f32 for v in op.operands):
        return None
    x, w = op.inputs_[0], op.inputs_[1]
    bias = op.inputs_[2] if len(op.inputs_) == 3 else None
    out = chain.output or op.output_
    batch, h, wd, c_in = shape_of(x)
    kh, kw, cg, f = shape_of(w)
    _, oh, ow, _ = shape_of(op.output_)
    sh, sw = pt.ints(op.strides)  # pyright: ignore[reportAttributeAccessIssue]
    dh, dw = pt.ints(op.dilations)  # pyright: ignore[reportAttributeAccessIssue]
    top, _, left, _ = pt.ints(op.padding)  # pyright: ignore[reportAttributeAccessIssue]
    groups = op.groups.value.data  # pyright: ignore[reportAttributeAccessIssue]
    lanes = em.lanes
    if f < lanes:
        return None
    if groups == c_in == f and cg == 1:
        return _depthwise(em, op, chain, vectors)
    if groups != 1:
        return None
    overlap = vectors.isa == "neon" and _rereadable(op, chain)
    # Off NEON, channels that are not a whole number of vectors take one more
    # vector ending at the last channel, inside the last register block
    # (_ragged_blocks), not scalar channels of their own.
    ragged = vectors.isa != "neon" and f % lanes != 0 and _rereadable(op, chain)
    columns = -(-f // lanes) * lanes if ragged else f
    from_memory = embedded_broadcast(vectors)  # the pixel's broadcast
    rows, nvec = register_block(vectors, ow, columns, em.lanes, by_lane=True, broadcast_operand=from_memory)

    def channel_blocks(nv: int, body) -> None:
        """body(fo, nv, back) over the output channels (back: see _ragged_blocks)."""
        if ragged:
            _ragged_blocks(em, f, nv, body)
        else:
            _channel_blocks(em, f, nv, lambda fo, nv: body(fo, nv, 0), overlap)
    inner_first, inner_end = _interior(wd, kw, sw, dw, left, ow)

    def block(n: SSAValue, oy: SSAValue, rows_w: Window, ox0: Index, pixels: int, cols: Window | None, fo: Index,
              nv: int, back: int = 0) -> None:
        """`pixels` output pixels from ox0 times nv vectors of channels from fo
        (nv = 0: the one channel fo, in scalar), the last vector `back`
        channels earlier than whole vectors would put it."""
        lo, hi = (0, kw) if cols is None else (cols.lo, cols.hi)
        starts = [v * lanes - (back if v == nv - 1 else 0) for v in range(nv)]

        def at_tap(ky: SSAValue, kx: SSAValue):
            iy = rows_w.input_index(em, ky, dh)

            def pixel_at(p: int, c: Index) -> list[Index]:
                return [n, iy, em.add(em.sub(em.mul(em.add(ox0, p), sw), left), em.mul(kx, dw)), c]

            def filter_row(c: Index) -> list[SSAValue]:
                if nv == 0:
                    return [em.load(w, [ky, kx, c, fo])]
                return [em.vload(w, [ky, kx, c, em.add(fo, start)]) for start in starts]

            def step(c: SSAValue, acc: list[SSAValue]) -> list[SSAValue]:
                wv = filter_row(c)
                if nv == 0:
                    return [em.addv(acc[p], em.mulv(em.load(x, pixel_at(p, c)), wv[0])) for p in range(pixels)]
                return outer_product_step(em, acc, pixels, lambda p: em.load(x, pixel_at(p, c)), wv)

            def quad(c: SSAValue, acc: list[SSAValue]) -> list[SSAValue]:
                return lane_step(em, acc, pixels, lambda p: em.vload(x, pixel_at(p, c)),
                                 lambda lane: filter_row(em.add(c, lane)))

            return step, quad

        def taps(ivs: list[SSAValue], acc: list[SSAValue]) -> list[SSAValue]:
            step, quad = at_tap(*ivs)
            return reduce_by_lanes(em, vectors, c_in, True, acc, step, quad)

        def tap(ivs: list[SSAValue], acc: list[SSAValue]) -> list[SSAValue]:
            ky, kx, c = ivs
            return at_tap(ky, kx)[0](c, acc)

        def row_taps(ivs: list[SSAValue], acc: list[SSAValue]) -> list[SSAValue]:
            """One filter row's taps and channels, unrolled (constant offsets)."""
            return em.reduce([(0, kw), (0, c_in)], acc, lambda kc, values: tap([ivs[0], *kc], values),
                             unroll=kw * c_in)

        if back:
            first = [] if bias is None else [em.vload(bias, [em.add(fo, start)]) for start in starts]
            inits = first * pixels if first else [em.vconst(0.0)] * (pixels * nv)
        else:
            inits = [v for _ in range(pixels) for v in _initial(em, bias, fo, nv, 0.0)]
        small_row = c_in < lanes and kw * c_in <= SMALL_ROW and (vectors.load_offsets or c_in == 1)
        if nv and vectors.isa == "neon" and cols is None and small_row:
            acc = em.reduce([(rows_w.lo, rows_w.hi)], inits, row_taps)
        elif nv and vectors.lane_multiply:
            acc = em.reduce([(rows_w.lo, rows_w.hi), (lo, hi)], inits, taps)
        else:
            acc = em.reduce([(rows_w.lo, rows_w.hi), (lo, hi), (0, c_in)], inits, tap)
        for p in range(pixels):
            for v in range(max(nv, 1)):
                index = [n, oy, em.add(ox0, p), em.add(fo, starts[v] if nv else 0)]
                value = acc[p * nv + v] if nv else acc[p]
                em.put(chain.apply(em, value, index, nv > 0), out, index, nv > 0)

    def pixel_groups(oy: SSAValue, rows_w: Window, run) -> None:
        """run(ox0, pixels, cols) over one output row: border pixels one at a
        time (cols: their x taps), interior pixels in blocks (cols None)."""

        def border(start: int, end: int) -> None:
            if start < end:
                em.for_(start, end, lambda ox, _: run(ox, 1, window(em, ox, sw, dw, left, wd, kw, ow)))

        blocked_end = inner_first + (inner_end - inner_first) // rows * rows
        border(0, inner_first)
        if inner_first < blocked_end:
            em.for_(inner_first, blocked_end, lambda ox0, _: run(ox0, rows, None), step=rows)
        if blocked_end < inner_end:  # the pixels left: one narrower block
            run(blocked_end, inner_end - blocked_end, None)
        border(inner_end, ow)

    def pixels_outer(n: SSAValue) -> None:
        def row(oy: SSAValue, _: list[SSAValue]) -> None:
            rows_w = window(em, oy, sh, dh, top, h, kh, oh)

            def run(ox0: Index, pixels: int, cols: Window | None) -> None:
                nv = nvec if pixels == rows else register_block(
                    vectors, pixels, columns, em.lanes, by_lane=True, broadcast_operand=from_memory)[1]
                channel_blocks(nv, lambda fo, nv, back: block(n, oy, rows_w, ox0, pixels, cols, fo, nv, back))

            pixel_groups(oy, rows_w, run)

        em.for_(0, oh, row)

    def channels_outer(n: SSAValue) -> None:
        def channel_block(fo: Index, nv: int, back: int) -> None:
            def row(oy: SSAValue, _: list[SSAValue]) -> None:
                rows_w = window(em, oy, sh, dh, top, h, kh, oh)
                pixel_groups(oy, rows_w,
                             lambda ox0, pixels, cols: block(n, oy, rows_w, ox0, pixels, cols, fo, nv, back))

            em.for_(0, oh, row)

        channel_blocks(nvec, channel_block)

    # Filters larger than half the L2 cache are swept once per image, not once
    # per pixel block: the channel blocks go outside (vector_cost.py).
    image = channels_outer if outgrows_half_l2(vectors, kh * kw * c_in * f) else pixels_outer
    return em.for_(0, batch, lambda n, _: image(n))


def _windowed_channels(
    em: VectorEmitter, op: pbuf.DestinationOp, chain: Chain, vectors: Vectors,
    kernel: tuple[int, int], strides: tuple[int, int], dilations: tuple[int, int], pad: tuple[int, int],
    tap_value, initial, finish, overlap_tail: bool = True, rectangle=None,
) -> Operation:
    """for n, oy, ox, channel blocks: acc = initial; for the taps inside the
    input: acc = tap_value(acc, ...); store finish(acc) through the chain.
    `overlap_tail`: the channels left after the whole vectors may take one
    overlapping vector block (on NEON, when nothing read is written).
    `rectangle(n, rows, columns, overlap)`, if given, computes the output
    positions whose windows lie inside the input on both axes ([first, end)
    of rows and of columns), which the per-pixel loops then skip."""
    x = op.inputs_[0]
    out = chain.output or op.output_
    _, h, wd, _ = shape_of(x)
    batch, oh, ow, channels = shape_of(op.output_)
    (kh, kw), (sh, sw), (dh, dw), (top, left) = kernel, strides, dilations, pad
    lanes = em.lanes
    nvec = register_block(vectors, 1, channels, em.lanes)[1]
    overlap = overlap_tail and vectors.isa == "neon" and _rereadable(op, chain)

    def pixel(n: SSAValue, oy: SSAValue, rows_w: Window, ox: SSAValue, cols: Window) -> None:
        def block(c0: Index, nv: int) -> None:
            def tap(ivs: list[SSAValue], acc: list[SSAValue]) -> list[SSAValue]:
                ky, kx = ivs
                at = [n, rows_w.input_index(em, ky, dh), cols.input_index(em, kx, dw)]
                return [tap_value(acc[v], at, ky, kx, em.add(c0, v * lanes), nv > 0) for v in range(max(nv, 1))]

            acc = em.reduce([(rows_w.lo, rows_w.hi), (cols.lo, cols.hi)], initial(c0, nv), tap, unroll=SMALL_WINDOW)
            for v in range(max(nv, 1)):
                index = [n, oy, ox, em.add(c0, v * lanes)]
                value = chain.apply(em, finish(acc[v], rows_w, cols, nv > 0), index, nv > 0)
                em.put(value, out, index, nv > 0)

        _channel_blocks(em, channels, nvec, block, overlap)

    inner_rows, inner_columns = _interior(h, kh, sh, dh, top, oh), _interior(wd, kw, sw, dw, left, ow)

    def image(n: SSAValue, _: list[SSAValue]) -> None:
        def row(oy: SSAValue, rows_w: Window, skip: bool) -> None:
            _split(em, ow, inner_columns,
                   lambda ox: pixel(n, oy, rows_w, ox, window(em, ox, sw, dw, left, wd, kw, ow)),
                   None if skip else lambda ox: pixel(n, oy, rows_w, ox, Window(0, kw, em.sub(em.mul(ox, sw), left))))

        _split(em, oh, inner_rows,
               lambda oy: row(oy, window(em, oy, sh, dh, top, h, kh, oh), False),
               lambda oy: row(oy, Window(0, kh, em.sub(em.mul(oy, sh), top)), rectangle is not None))
        if rectangle is not None and inner_rows[0] < inner_rows[1] and inner_columns[0] < inner_columns[1]:
            rectangle(n, inner_rows, inner_columns, overlap)

    return em.for_(0, batch, image)


def _split(em: VectorEmitter, size: int, inner: tuple[int, int], border, interior) -> None:
    """border(o) for the output positions whose window crosses the padding,
    interior(o) for the others: their windows have constant bounds, so a
    small one is unrolled with constant offsets."""
    first, end = inner
    for lo, hi, body in ((0, first, border), (first, end, interior), (end, size, border)):
        if lo < hi and body is not None:
            em.for_(lo, hi, lambda o, _, body=body: body(o))


def _depthwise(em: VectorEmitter, op: pbuf.DestinationOp, chain: Chain, vectors: Vectors) -> Operation:
    x, w = op.inputs_[0], op.inputs_[1]
    bias = op.inputs_[2] if len(op.inputs_) == 3 else None
    kh, kw, _, _ = shape_of(w)
    top, _, left, _ = pt.ints(op.padding)  # pyright: ignore[reportAttributeAccessIssue]

    def tap(acc: SSAValue, at: list, ky: SSAValue, kx: SSAValue, c: Index, vec: bool) -> SSAValue:
        if vec:
            return em.vfma(em.vload(x, [*at, c]), em.vload(w, [ky, kx, 0, c]), acc)
        return em.addv(acc, em.mulv(em.load(x, [*at, c]), em.load(w, [ky, kx, 0, c])))

    (sh, sw), (dh, dw) = pt.ints(op.strides), pt.ints(op.dilations)  # pyright: ignore
    channels = shape_of(op.output_)[3]
    out = chain.output or op.output_
    lanes = em.lanes
    _, h, wd, _ = shape_of(x)
    # Each channel block sweeps the image: off NEON only where one image stays
    # in the L2 cache (measured slower than per-pixel blocks from memory).
    sweeps = vectors.isa == "neon" or not outgrows_half_l2(vectors, h * wd * channels)
    nvec = _stationary_vectors(vectors, kh * kw, channels, lanes) if sweeps else 0

    def rectangle(n: SSAValue, rows: tuple[int, int], columns: tuple[int, int], overlap: bool) -> None:
        """Channel blocks outside, the block's filter taps and bias loaded
        once into registers, then every inside position of the block."""

        def block(c0: Index, nv: int) -> None:
            vec = nv > 0
            count = max(nv, 1)
            channel = [em.add(c0, v * lanes) for v in range(count)]
            taps = [[em.vload(w, [ky, kx, 0, c]) if vec else em.load(w, [ky, kx, 0, c]) for c in channel]
                    for ky in range(kh) for kx in range(kw)]
            start = _initial(em, bias, c0, nv, 0.0)

            def position(oy: SSAValue, ox: SSAValue) -> None:
                iy0, ix0 = em.sub(em.mul(oy, sh), top), em.sub(em.mul(ox, sw), left)
                acc = list(start)
                for t, (ky, kx) in enumerate((ky, kx) for ky in range(kh) for kx in range(kw)):
                    at = [n, em.add(iy0, ky * dh), em.add(ix0, kx * dw)]
                    for v, c in enumerate(channel):
                        if vec:
                            acc[v] = em.vfma(em.vload(x, [*at, c]), taps[t][v], acc[v])
                        else:
                            acc[v] = em.addv(acc[v], em.mulv(em.load(x, [*at, c]), taps[t][v]))
                for v, c in enumerate(channel):
                    index = [n, oy, ox, c]
                    em.put(chain.apply(em, acc[v], index, vec), out, index, vec)

            def row(oy: SSAValue, _: list[SSAValue]) -> None:
                em.for_(*columns, lambda ox, _: position(oy, ox))

            em.for_(*rows, row)

        _channel_blocks(em, channels, nvec, block, overlap)

    return _windowed_channels(
        em, op, chain, vectors, (kh, kw), (sh, sw), (dh, dw),
        (top, left), tap, lambda c0, nv: _initial(em, bias, c0, nv, 0.0), lambda acc, _r, _c, _v: acc,
        rectangle=rectangle if nvec else None,
    )


def _stationary_vectors(vectors: Vectors, taps: int, channels: int, lanes: int) -> int:
    """Vectors of channels per block whose filter taps stay in registers while
    the block sweeps the inside of the image (0: none fit): the taps, an
    accumulator, the bias and an input vector per vector, and one spare,
    within the micro-kernel's register budget."""
    if channels < lanes:
        return 0
    budget = vectors.registers - vectors.registers // 8
    fits = [nv for nv in range(1, 5) if taps * nv + 3 * nv + 1 <= budget and nv * lanes <= channels]
    return max(fits, default=0)


def pool2d(em: VectorEmitter, op: pbuf.DestinationOp, chain: Chain, vectors: Vectors) -> Operation | None:
    x = op.inputs_[0]
    if element_of(x) != f32 or element_of(op.output_) != f32 or shape_of(op.output_)[3] < em.lanes:
        return None
    is_max = isinstance(op, pbuf.DestinationOp) and op.TENSOR_OP is pt.MaxPool2DOp
    top, _, left, _ = pt.ints(op.padding)  # pyright: ignore[reportAttributeAccessIssue]
    start = float("-inf") if is_max else 0.0

    def tap(acc: SSAValue, at: list, _ky: SSAValue, _kx: SSAValue, c: Index, vec: bool) -> SSAValue:
        if vec:
            v = em.vload(x, [*at, c])
            return em.vmax(acc, v) if is_max else em.vadd(acc, v)
        v = em.load(x, [*at, c])
        return em.maxv(acc, v) if is_max else em.addv(acc, v)

    def finish(acc: SSAValue, rows_w: Window, cols: Window, vec: bool) -> SSAValue:
        if is_max:
            return acc
        count = em.index_to(em.mul(em.sub(rows_w.hi, rows_w.lo), em.sub(cols.hi, cols.lo)), f32)
        return em.vdiv(acc, em.splat(count)) if vec else em.divv(acc, count)

    return _windowed_channels(
        em, op, chain, vectors, pt.ints(op.kernel), pt.ints(op.strides), (1, 1),  # pyright: ignore
        (top, left), tap, lambda c0, nv: _initial(em, None, c0, nv, start), finish,
        # An average's vector division is four scalar ones on ARMv7: a tail of
        # fewer channels costs less divided one by one.
        overlap_tail=is_max,
    )
