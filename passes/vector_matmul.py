"""The register-blocked matmul micro-kernel, C[i, j] = sum_k A[i, k] * B[k, j].

A block of `rows` x `vectors` output vectors lives in registers for the whole
reduction: each step loads `vectors` vectors of one row of B, broadcasts one
element of A per row and does rows*vectors multiply-adds (vector_cost.py
sizes the block). When B is larger than half the L2 cache, its columns are
taken one L2-sized panel at a time, and every row block sweeps the panel
while it is cached. Given a scratch buffer (pbuf.packed_matmul, made by
pack-operands), each panel's full blocks of columns are first copied into
it, block after block, and the row blocks read them from there
sequentially. The whole vectors of columns left over after the full
blocks take one narrower block, reading B in place; the last few (fewer than a vector) take one
more vector block that ends at the last column and so recomputes some
columns already stored, with the same result (where nothing the kernel
reads lies in the output; else they take scalar columns). The rows left
over take one block of fewer rows. The epilogue chain (bias, relu, ...) is applied in
registers before the store.
Batch dimensions broadcast as in NumPy, as in the scalar kernel.
"""

from __future__ import annotations

from collections.abc import Callable

from xdsl.dialects.builtin import f32
from xdsl.ir import Operation, SSAValue

from pelemay_ir.dialects import pbuf
from pelemay_ir.ir import CompileError, location_of
from pelemay_ir.machines import Vectors
from pelemay_ir.passes.loops_elementwise import broadcast_index
from pelemay_ir.passes.loops_emitter import Index, element_of, shape_of
from pelemay_ir.passes.vector_cost import matmul_block, packed_b_shape, panel_columns, prepacked_b_shape
from pelemay_ir.passes.vector_elementwise import Chain
from pelemay_ir.passes.vector_emitter import VectorEmitter


def outer_product_step(
    em: VectorEmitter, acc: list[SSAValue], rows: int, row: Callable[[int], SSAValue], columns: list[SSAValue]
) -> list[SSAValue]:
    """One step of the micro-kernel: acc[r][v] += row(r) * columns[v] for
    r < rows, each row scalar read and broadcast once, just before its
    multiply-adds (matmul: elements of A and vectors of a row of B; conv2d:
    input pixels and vectors of a filter row)."""
    result = []
    for r in range(rows):
        splat = em.splat(row(r))
        result += [em.vfma(splat, column, acc[r * len(columns) + v]) for v, column in enumerate(columns)]
    return result


def lane_step(
    em: VectorEmitter, acc: list[SSAValue], rows: int, row_vector: Callable[[int], SSAValue],
    columns: Callable[[int], list[SSAValue]],
) -> list[SSAValue]:
    """`lanes` steps of the micro-kernel at once, on a machine whose
    multiply-add takes a lane of a register (Vectors.lane_multiply): each
    row's next `lanes` left-operand elements are loaded as one vector
    (row_vector(r)), and step l multiplies columns(l) by their lane l, so a
    step costs no broadcast and the loop runs a quarter of the trips."""
    rows_v = [row_vector(r) for r in range(rows)]
    for lane in range(em.lanes):
        acc = outer_product_step(em, acc, rows, lambda r: em.lane(rows_v[r], lane), columns(lane))
    return acc


def reduce_by_lanes(
    em: VectorEmitter, vectors: Vectors, size: int, by_lane: bool, acc: list[SSAValue],
    step: Callable[[SSAValue, list[SSAValue]], list[SSAValue]],
    quad: Callable[[SSAValue, list[SSAValue]], list[SSAValue]],
) -> list[SSAValue]:
    """The reduction over [0, size): quad(k, acc) covers k..k+lanes-1 while a
    whole vector of them is left, then step(k, acc) one k at a time; quad
    only on a machine that multiplies by lane and where `by_lane`."""
    whole = size - size % em.lanes if vectors.lane_multiply and by_lane else 0
    if not whole:
        return em.reduce([(0, size)], acc, lambda ks, values: step(ks[0], values))
    acc = list(em.for_(0, whole, quad, acc, step=em.lanes).results)
    if whole < size:
        acc = list(em.for_(whole, size, step, acc).results)
    return acc


def _scratch_of(op: pbuf.DestinationOp, chain: Chain, vectors: Vectors, m: int, k: int, n: int) -> SSAValue | None:
    """The buffer to pack B's panels into, when the op carries one. The plan
    keeps it alive during the matmul only, so a fused op that writes its
    bytes (its buffer starts after the matmul) leaves B unpacked."""
    if not isinstance(op, pbuf.PackedMatmulOp):
        return None
    prepacked = isinstance(op.scratch.owner, pbuf.WeightOp)
    want = (prepacked_b_shape if prepacked else packed_b_shape)(vectors, m, k, n)
    have = shape_of(op.scratch)
    if want != have:
        raise CompileError(
            f"vectorize: the matmul's scratch has shape {'x'.join(map(str, have))}, but its kernel on this "
            f"machine packs {'x'.join(map(str, want)) if want else 'nothing'}; run pack-operands and "
            "vectorize for the same target",
            location_of(op),
        )
    if any(pbuf.overlap(fused.output_, op.scratch) for fused in chain.ops):
        return None
    return op.scratch


def _rereadable(op: pbuf.DestinationOp, chain: Chain) -> bool:
    """Whether columns may be computed twice: nothing the kernel reads (A, B,
    the fused ops' other operands) shares bytes with what it writes."""
    written = {op.output_, *(fused.output_ for fused in chain.ops)}
    read = [*op.inputs_, *(v for fused in chain.ops for v in fused.inputs_)]
    return not any(pbuf.overlap(w, r) for w in written for r in read if r not in written)


def matmul(em: VectorEmitter, op: pbuf.DestinationOp, chain: Chain, vectors: Vectors) -> Operation | None:
    a, b = op.inputs_
    if any(element_of(v) != f32 for v in (a, b, op.output_)):
        return None
    out = chain.output or op.output_
    a_shape, b_shape, out_shape = shape_of(a), shape_of(b), shape_of(op.output_)
    m, k_size = a_shape[-2:]
    n = b_shape[-1]
    lanes = em.lanes
    if n < lanes:
        return None
    block_rows, block_vectors = matmul_block(vectors, m, n, em.lanes)
    block_columns = block_vectors * lanes
    panel = panel_columns(vectors, k_size, block_columns)
    full_rows = m - m % block_rows
    full_columns = n - n % block_columns
    vector_columns = n - n % lanes
    scratch = _scratch_of(op, chain, vectors, m, k_size, n)
    prepacked = scratch is not None and isinstance(scratch.owner, pbuf.WeightOp)
    overlapping_tail = _rereadable(op, chain)
    if scratch is not None and not prepacked:
        panel = shape_of(scratch)[0] * block_columns

    def per_batch(batch: list[SSAValue]) -> None:
        a_batch = broadcast_index(batch, a_shape[:-2])
        b_batch = broadcast_index(batch, b_shape[:-2])

        def in_place(j0: Index) -> Callable[[SSAValue, int], SSAValue]:
            """The vectors of a row of B, read where B lies."""
            return lambda k, v: em.vload(b, [*b_batch, k, em.add(j0, v * lanes)])

        def tile(i0: Index, j0: Index, rows: int, nvec: int, b_row: Callable[[SSAValue, int], SSAValue]) -> None:
            def step(k: SSAValue, acc: list[SSAValue]) -> list[SSAValue]:
                bv = [b_row(k, v) for v in range(nvec)]
                return outer_product_step(em, acc, rows, lambda r: em.load(a, [*a_batch, em.add(i0, r), k]), bv)

            def quad(k: SSAValue, acc: list[SSAValue]) -> list[SSAValue]:
                return lane_step(
                    em, acc, rows, lambda r: em.vload(a, [*a_batch, em.add(i0, r), k]),
                    lambda lane: [b_row(em.add(k, lane), v) for v in range(nvec)],
                )

            # A one-row product (matmul_block's stream of B) goes by lane only
            # where four rows of its wide block load in few instructions.
            by_lane = m > 1 or vectors.load_x4
            acc = reduce_by_lanes(em, vectors, k_size, by_lane, [em.vconst(0.0)] * (rows * nvec), step, quad)
            for r in range(rows):
                for v in range(nvec):
                    index = [*batch, em.add(i0, r), em.add(j0, v * lanes)]
                    em.vstore(chain.apply(em, acc[r * nvec + v], index, True), out, index)

        def scalar_column(i0: Index, j: SSAValue, rows: int) -> None:
            def step(ks: list[SSAValue], acc: list[SSAValue]) -> list[SSAValue]:
                bk = em.load(b, [*b_batch, ks[0], j])
                return [
                    em.addv(acc[r], em.mulv(em.load(a, [*a_batch, em.add(i0, r), ks[0]]), bk))
                    for r in range(rows)
                ]

            totals = em.reduce([(0, k_size)], [em.f32(0.0)] * rows, step)
            for r in range(rows):
                index = [*batch, em.add(i0, r), j]
                em.store(chain.apply(em, totals[r], index, False), out, index)

        def over_rows(body) -> None:
            """body(i0, rows) for the full row blocks, then one block of the rows left."""
            em.for_(0, full_rows, lambda i0, _: body(i0, block_rows), step=block_rows)
            if full_rows < m:
                body(full_rows, m - full_rows)

        def blocks(i0: Index, rows: int, start: Index, end: Index) -> None:
            em.for_(start, end, lambda j0, _: tile(i0, j0, rows, block_vectors, in_place(j0)), step=block_columns)

        def packed_panel(jc: Index) -> None:
            """Copy the panel of B's columns from jc into the scratch, block
            after block (unless B was packed at compile time), then sweep it
            with every row block."""
            assert scratch is not None
            if full_columns % panel == 0:  # the scratch's panel never exceeds the full columns
                count: Index = panel // block_columns
            else:  # the last panel is narrower
                count = em.div(em.sub(em.min_(em.add(jc, panel), full_columns), jc), block_columns)
            first: Index = em.div(jc, block_columns) if prepacked else 0

            def pack_row(k: SSAValue, _) -> None:
                def pack_block(jb: SSAValue, _) -> None:
                    j0 = em.add(jc, em.mul(jb, block_columns))
                    for v in range(block_vectors):
                        row = em.vload(b, [*b_batch, k, em.add(j0, v * lanes)])
                        em.vstore(row, scratch, [jb, k, v * lanes])

                em.for_(0, count, pack_block)

            if not prepacked:
                em.for_(0, k_size, pack_row)

            def packed_blocks(i0: Index, rows: int) -> None:
                def block(jb: SSAValue, _) -> None:
                    j0 = em.add(jc, em.mul(jb, block_columns))
                    packed = em.add(first, jb)
                    tile(i0, j0, rows, block_vectors, lambda k, v: em.vload(scratch, [packed, k, v * lanes]))

                em.for_(0, count, block)

            over_rows(packed_blocks)

        if scratch is not None and panel >= full_columns:
            packed_panel(0)
        elif scratch is not None:
            em.for_(0, full_columns, lambda jc, _: packed_panel(jc), step=panel)
        elif full_columns and panel >= full_columns:
            over_rows(lambda i0, rows: blocks(i0, rows, 0, full_columns))
        elif full_columns:  # one L2-sized panel of B at a time, swept by every row block
            em.for_(
                0, full_columns,
                lambda jc, _: over_rows(lambda i0, rows: blocks(i0, rows, jc, em.min_(em.add(jc, panel), full_columns))),
                step=panel,
            )

        def leftover_columns(i0: Index, rows: int) -> None:
            if full_columns < vector_columns:
                tile(i0, full_columns, rows, (vector_columns - full_columns) // lanes, in_place(full_columns))
            if vector_columns < n and overlapping_tail:
                tile(i0, n - lanes, rows, 1, in_place(n - lanes))
            elif vector_columns < n:
                em.for_(vector_columns, n, lambda j, _: scalar_column(i0, j, rows))

        if full_columns < n:
            over_rows(leftover_columns)

    batch_shape = out_shape[:-2]
    if not batch_shape:
        return em.for_(0, 1, lambda _i, _c: per_batch([]))
    return em.nest(batch_shape, per_batch)
