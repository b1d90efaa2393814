"""The cost model that sizes register blocks and cache blocks.

Nothing here is tuned per benchmark: every choice follows from the machine's
vector width and vector register count (machines.Vectors),
and from the op's shape; only the packing threshold is a measured constant.

Register block (the micro-kernel). A block of `rows` x `vectors` accumulators
(rows of the output times W-lane vectors of its columns) costs, per step of
the reduction, `vectors` loads of the right operand, `rows` broadcasts of
the left one and rows*vectors fused multiply-adds. It must fit the register
file with the operands of one step and a few registers left to the C
compiler (addresses of spilled temporaries, the loop's own needs), one in
eight: rows*vectors + vectors + 1 <= registers - registers/8 (the matmul on
AVX-512 reads its broadcast from memory: no + 1, embedded_broadcast).
Among the blocks that fit, the model takes the one with the most
multiply-adds per value moved, rows*vectors / (rows + vectors), preferring
wider blocks on ties, with `vectors` at most what the output's columns fill
and `rows` at most the output's rows.

Lane-multiply machines (Vectors.lane_multiply: every NEON machine) take a vector of
`lanes` left-operand elements per row and multiply by its lanes, so `lanes`
steps cost `rows` vector loads of the left operand and lanes*vectors of the
right one: per step rows/lanes + vectors values moved, and the block must
also hold the rows' vectors: rows*vectors + rows + vectors <= registers -
registers/8. On ties (equal multiply-adds per value moved) a block whose
columns divide the output's comes first, as it leaves no narrower tail block.

Cache block. Every row block of a matmul sweeps all of B's columns; when B
(K x N floats) is larger than half the L2 cache it would be read from memory
once per row block. The columns are then taken in panels of K x P floats
that fit half the L2, P a multiple of the register block's columns, and all
row blocks sweep one panel before the next (the A rows of a block, K floats
each, stay in L1).

Packing (packs_b). Each panel's full register-block columns are copied once
into a scratch buffer, block after block, so that the micro-kernel reads B
sequentially; the scratch is a planned arena buffer (passes/pack_operands.py).
"""

from __future__ import annotations

import math

from pelemay_ir.machines import Vectors

MAX_ROWS = 8
MAX_VECTORS = 4


def _register_budget(v: Vectors) -> int:
    """Vector registers the micro-kernel may fill: all but one in eight."""
    return v.registers - v.registers // 8


def register_block(
    v: Vectors, out_rows: int, out_columns: int, lanes: int | None = None, by_lane: bool = False,
    broadcast_operand: bool = False,
) -> tuple[int, int]:
    """(rows, vectors) of the micro-kernel for an output of that many rows and
    columns, on vectors of `lanes` f32 (default: the machine's widest);
    `by_lane`: for the matmul and conv2d kernels (lane multiply where the
    machine has it);
    `broadcast_operand`: the broadcast element is read by the multiply-add
    itself and needs no register (embedded_broadcast)."""
    lanes = lanes or v.f32_lanes
    broadcast = 0 if broadcast_operand else 1
    most_vectors = max(1, min(MAX_VECTORS, out_columns // lanes))
    best: tuple = ()
    budget = _register_budget(v)
    for vectors in range(1, most_vectors + 1):
        if by_lane and v.lane_multiply:
            rows = min(MAX_ROWS, max(1, out_rows), (budget - vectors) // (vectors + 1))
            moved = rows / lanes + vectors
            even = out_columns % (vectors * lanes) == 0
            score: tuple = (rows * vectors / moved, even, vectors, rows)
        else:
            rows = min(MAX_ROWS, max(1, out_rows), (budget - broadcast - vectors) // vectors)
            score = (rows * vectors / (rows + vectors), vectors, rows)
        if rows >= 1 and score > best:
            best = score
    assert best
    return best[-1], best[-2]

MAX_ROW_VECTORS = 16


def embedded_broadcast(v: Vectors) -> bool:
    """Whether the machine's vector multiply-add reads a broadcast element
    from memory as its operand (AVX-512's `{1to16}`), so that the matmul
    block's broadcast of A takes no register: a block of 6 rows x 4 vectors
    (24 accumulators and 4 of B) instead of 5 x 4. AVX2 and NEON broadcast
    into a register first."""
    return v.isa == "portable" and v.bits == 512


def matmul_block(v: Vectors, m: int, n: int, lanes: int | None = None) -> tuple[int, int]:
    """The matmul micro-kernel's (rows, vectors): register_block, except for a
    one-row product (a matrix-vector product, batch-1 dense layers). There
    each vector of B is used once, so nothing is gained by reuse and the
    kernel is a stream of B: the block takes as many vectors of the row as
    the registers hold (an accumulator and a B value each), at most 16, so
    that each step reads a long contiguous piece of B's row."""
    if m > 1:
        return register_block(v, m, n, lanes, by_lane=True, broadcast_operand=embedded_broadcast(v))
    lanes = lanes or v.f32_lanes
    return 1, max(1, min(MAX_ROW_VECTORS, (_register_budget(v) - 1) // 2, n // lanes))


def outgrows_half_l2(v: Vectors, f32_count: int) -> bool:
    """Whether that many floats of an operand (B, a filter) are more than half
    the L2 cache: then it is swept in L2-sized panels, not read whole per block."""
    return 4 * f32_count > v.l2_bytes // 2


def panel_columns(v: Vectors, reduction: int, block_columns: int) -> int:
    """Columns of B per L2-resident panel (a multiple of block_columns)."""
    fit = (v.l2_bytes // 2) // (4 * max(1, reduction))
    return max(block_columns, fit // block_columns * block_columns)


def packed_b_shape(v: Vectors, m: int, k: int, n: int) -> tuple[int, int, int] | None:
    """The scratch buffer (blocks, K, block columns) into which the f32 matmul
    kernel would pack one panel of B's full register-block columns (an M x K
    by K x N product), or None when it has no such columns. It holds one panel
    (panel_columns), not the whole of B."""
    lanes = lanes_for(v, n)
    if n < lanes:
        return None  # no vector kernel
    _, vectors = matmul_block(v, m, n, lanes)
    block_columns = vectors * lanes
    full_columns = n - n % block_columns
    if not full_columns:
        return None
    panel = min(panel_columns(v, k, block_columns), full_columns)
    return panel // block_columns, k, block_columns


def prepacked_b_shape(v: Vectors, m: int, k: int, n: int) -> tuple[int, int, int] | None:
    """B packed at compile time (a weight): all its blocks (N / C, K, C), or
    None unless its columns are whole blocks, so the kernel never reads B in
    place (packed_b_shape's C)."""
    shape = packed_b_shape(v, m, k, n)
    if shape is None or n % shape[2]:
        return None
    return n // shape[2], k, shape[2]


PAGE = 4096
"""The L1 set period of every machine here (way size: 32 KiB 8-way, 48 KiB
12-way; 4 KiB pages): rows a multiple of it apart share their L1 sets."""

MIN_ALIASED_SWEEPS = 4608
"""Packing pays when (rows of B sharing one 4 KiB offset) x (row blocks
sweeping B) reaches this; measured on x86 hosts (AMD EPYC with AVX-512,
Intel Xeon with AVX-512) over square and skinny matmuls from 6 to 1024 rows
(docs/vectorize.md, Packing): between 4096, where the AMD host lost, and
5120, where the Intel host gained."""


def aliased_rows(k: int, n: int) -> int:
    """How many of B's K rows (N floats each) start at one offset modulo 4 KiB,
    that is, fall in the same L1 sets (and the same few L2 sets)."""
    return k * math.gcd(4 * n, PAGE) // PAGE


def packs_b(v: Vectors, m: int, k: int, n: int) -> bool:
    """Whether the f32 matmul kernel should pack B's panels (packed_b_shape).

    Packed, a block's K rows of block-columns floats are consecutive and the
    micro-kernel streams them. In place, successive rows are N floats apart;
    when many of them start at the same offset modulo 4 KiB (N a multiple of
    1024 floats: all of them) they fall in the same L1 sets and overflow the
    L2 sets they share too, and every row block reads them from memory again.
    Packing costs one copy of B, so it pays when B is swept by several row
    blocks that each lose to aliasing: aliased rows x row blocks at least
    MIN_ALIASED_SWEEPS. B merely larger than L1, with rows that do not alias,
    gains nothing measurable (the panels already stay in L2) and loses the
    copy when few row blocks read it.
    """
    if packed_b_shape(v, m, k, n) is None:
        return False
    rows, _ = matmul_block(v, m, n, lanes_for(v, n))
    row_blocks = -(-m // rows)
    return row_blocks >= 2 and aliased_rows(k, n) * row_blocks >= MIN_ALIASED_SWEEPS


MIN_LANES = 4


def lanes_for(v: Vectors, row: int) -> int:
    """The vector width for rows of `row` elements: the machine's widest that a
    row fills, halving down to 4 lanes (128 bits), so that 6 or 12 channels
    still vectorise on a 16-lane machine."""
    lanes = v.f32_lanes
    while lanes > MIN_LANES and lanes > row:
        lanes //= 2
    return lanes
