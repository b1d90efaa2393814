"""The cost model that sizes register blocks and cache blocks.

Nothing here is tuned per benchmark: every choice follows from the machine's
vector width and vector register count (machines.Vectors),
and from the op's shape.

Register block (the micro-kernel). A block of `rows` x `vectors` accumulators
(rows of the output times W-lane vectors of its columns) costs, per step of
the reduction, `vectors` loads of the right operand, `rows` broadcasts of
the left one and rows*vectors fused multiply-adds. It must fit the register
file with the operands of one step and a few registers left to the C
compiler (addresses of spilled temporaries, the loop's own needs), one in
eight: rows*vectors + vectors + 1 <= registers - registers/8.
Among the blocks that fit, the model takes the one with the most
multiply-adds per value moved, rows*vectors / (rows + vectors), preferring
wider blocks on ties, with `vectors` at most what the output's columns fill
and `rows` at most the output's rows.

Cache block. Every row block of a matmul sweeps all of B's columns; when B
(K x N floats) is larger than half the L2 cache it would be read from memory
once per row block. The columns are then taken in panels of K x P floats
that fit half the L2, P a multiple of the register block's columns, and all
row blocks sweep one panel before the next (the A rows of a block, K floats
each, stay in L1).
"""

from __future__ import annotations

from pelemay_ir.machines import Vectors

MAX_ROWS = 8
MAX_VECTORS = 4


def register_block(v: Vectors, out_rows: int, out_columns: int, lanes: int | None = None) -> tuple[int, int]:
    """(rows, vectors) of the micro-kernel for an output of that many rows and
    columns, on vectors of `lanes` f32 (default: the machine's widest)."""
    lanes = lanes or v.f32_lanes
    most_vectors = max(1, min(MAX_VECTORS, out_columns // lanes))
    best: tuple[float, int, int] | None = None
    for vectors in range(1, most_vectors + 1):
        budget = v.registers - v.registers // 8
        rows = min(MAX_ROWS, max(1, out_rows), (budget - 1 - vectors) // vectors)
        if rows < 1:
            continue
        score = (rows * vectors / (rows + vectors), vectors, rows)
        if best is None or score > best:
            best = score
    assert best is not None
    return best[2], best[1]



def panel_columns(v: Vectors, reduction: int, block_columns: int) -> int:
    """Columns of B per L2-resident panel (a multiple of block_columns)."""
    fit = (v.l2_bytes // 2) // (4 * max(1, reduction))
    return max(block_columns, fit // block_columns * block_columns)


MIN_LANES = 4


def lanes_for(v: Vectors, row: int) -> int:
    """The vector width for rows of `row` elements: the machine's widest that a
    row fills, halving down to 4 lanes (128 bits), so that 6 or 12 channels
    still vectorise on a 16-lane machine."""
    lanes = v.f32_lanes
    while lanes > MIN_LANES and lanes > row:
        lanes //= 2
    return lanes
