"""The tiled matmul kernel of `outline-gpu-kernels`: a matmul loop nest (and
the nests fused after it, its epilogue) as blocks of output tiles staged
through workgroup memory.

A block computes a TM x TN tile of C = A B. Each K-slice of TK columns of A
and rows of B is loaded by the whole block into workgroup (`__shared__`)
tiles, the block waits at `gpu.barrier`, and each of its TX x TY threads
accumulates an R x R register block of the tile from them; a second barrier
keeps the next slice's loads from overwriting a tile still being read.
Thread (tx, ty) owns the rows ty + TY r and columns tx + TX c, so a warp's
stores of C are contiguous and its reads of the B tile conflict-free; the A
tile is stored transposed with one column of padding so that its stores
hit distinct banks too. Loads past M, N or K read a clamped element and
use zero instead, and only outputs inside C are stored, so any shape is
exact. After the K loop each in-range output runs the fused nests' bodies, as in
the untiled kernel, with a value stored at the point forwarded to the
loads that follow it and a store that a later one overwrites left out.

Tiles are spread over blocks by a grid-stride loop (every thread of a block
takes the same trips, so the barriers are reached by all). Only f32 matmuls
of two rank-2 operands whose output is at least TM/2 x TN/2 are tiled: for
a thinner one (a batch-1 dense layer) a tile would leave most threads idle
in few blocks, and a block an output (passes/gpu_block_reduce.py) spreads
its dot products better.

What A is comes from the nest: a matrix (`matmul_nest`) or a convolution's
input gathered by the im2col index arithmetic (passes/gpu_conv_gemm.py, the
implicit GEMM). Its `Operand` builds, for a row of A once a tile and for a
column once a slice, the indices and validity of each element; B is a
row-major [K, N] matrix (a filter HWCF is one, reshaped).

The tiles are `memref.alloca`s in the workgroup address space (3) at the
top of the kernel: xDSL 0.74's `gpu.func` has no attribution lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from xdsl.dialects import arith, gpu, memref, scf
from xdsl.dialects.builtin import FloatAttr, Float32Type, IndexType, IntegerAttr, MemRefType, NoneAttr, f32
from xdsl.ir import Block, Operation, OpResult, Region, SSAValue

from pelemay_ir.passes.gpu_points import fused_ivs, steps
from pelemay_ir.passes.parallelize import constant_bounds, constant_value
from pelemay_ir.targets.printable import WORKGROUP

TM = TN = 64
"""Rows and columns of C a block computes."""
TK = 16
"""Columns of A (rows of B) a block stages at a time."""
TX = TY = 16
"""Threads of a block along the columns and the rows: TX * TY threads."""
R = TM // TY
"""Each thread's register block is R x R outputs (TN // TX == TM // TY)."""
THREADS = TX * TY


@dataclass
class Line:
    """A row (or column) of A as an `Operand` builds it: whether it lies
    inside A, and the values its elements' indices are made of."""

    inside: SSAValue
    parts: list[SSAValue]


class Operand(Protocol):
    """How the kernel reads A[m, k]: `row` once a tile for each row a thread
    loads and stores, `column` once a slice, `load` for each element (zero
    outside A). `point` gives the nest's induction variables of an output row."""

    source: SSAValue

    def row(self, o: Ops, m: SSAValue) -> Line: ...

    def column(self, o: Ops, k: SSAValue) -> Line: ...

    def load(self, o: Ops, source: SSAValue, row: Line, column: Line, zero: SSAValue) -> SSAValue: ...

    def point(self, row: Line) -> list[SSAValue]: ...


@dataclass
class Matrix:
    """A rank-2 A, read at clamped indices."""

    source: SSAValue
    m: int
    k: int

    def row(self, o: Ops, m: SSAValue) -> Line:
        return Line(o.below(m, o.index(self.m)), [o.minu(m, self.m - 1, "row")])

    def column(self, o: Ops, k: SSAValue) -> Line:
        return Line(o.below(k, o.index(self.k)), [o.minu(k, self.k - 1)])

    def load(self, o: Ops, source: SSAValue, row: Line, column: Line, zero: SSAValue) -> SSAValue:
        value = o.add(memref.LoadOp.get(source, [*row.parts, *column.parts]))
        return o.add(arith.SelectOp(o.add(arith.AndIOp(row.inside, column.inside)), value, zero))

    def point(self, row: Line) -> list[SSAValue]:
        return row.parts


@dataclass
class Gemm:
    """A recognised nest computing C = A B, M x N over K, then `tail` (the
    ops of the nest's point after its reduction `reduce`, whose result is
    the accumulator) at each output."""

    a: Operand
    b: SSAValue
    m: int
    n: int
    k: int
    nest: list[scf.ForOp]
    reduce: scf.ForOp
    tail: list[Operation]


def from_zero(loop: scf.ForOp) -> int | None:
    """The trip count of a loop from 0 by 1, else None."""
    bounds = constant_bounds(loop)
    if bounds is None or bounds[0] != 0 or bounds[2] != 1:
        return None
    return bounds[1]


def f32_memref(v: SSAValue, rank: int) -> bool:
    """An f32 memref of `rank` dimensions in the identity (row-major) layout."""
    return isinstance(v.type, MemRefType) and len(v.type.get_shape()) == rank \
        and isinstance(v.type.element_type, Float32Type) and isinstance(v.type.layout, NoneAttr)


def zero_sum(loop: scf.ForOp) -> SSAValue | None:
    """The carried value of a loop that carries one f32 from 0.0."""
    if len(loop.iter_args) != 1:
        return None
    init = loop.iter_args[0]
    zero = isinstance(init, OpResult) and isinstance(init.op, arith.ConstantOp) \
        and isinstance(init.op.value, FloatAttr) and init.op.value.value.data == 0.0
    return loop.body.block.args[1] if zero else None


def multiply_add(loop: scf.ForOp, acc: SSAValue) -> tuple[memref.LoadOp, memref.LoadOp] | None:
    """The two loads of a loop body that only adds their product to `acc`
    (its carried value), index arithmetic aside."""
    ops = list(loop.body.block.ops)
    loads = [op for op in ops if isinstance(op, memref.LoadOp)]
    rest = [op for op in ops if not isinstance(op, memref.LoadOp)]
    if len(loads) != 2 or len(rest) < 3:
        return None
    mul, add, yielded = rest[-3:]
    if not (isinstance(mul, arith.MulfOp) and isinstance(add, arith.AddfOp) and isinstance(yielded, scf.YieldOp)):
        return None
    if {mul.lhs, mul.rhs} != {loads[0].res, loads[1].res} or {add.lhs, add.rhs} != {acc, mul.result} \
            or list(yielded.operands) != [add.result] \
            or not all(isinstance(op, (arith.AddiOp, arith.SubiOp, arith.MuliOp)) for op in rest[:-3]):
        return None
    return loads[0], loads[1]


def tail(nest: list[scf.ForOp], reduce: scf.ForOp) -> list[Operation] | None:
    """What a point of `nest` runs after `reduce` (its last loop), with the
    pure ops before it that those use; None if anything before it touches
    memory."""
    body = [op for op in nest[-1].body.block.ops if not isinstance(op, scf.YieldOp)]
    point = steps([nest])
    before = point[:len(point) - len(body)] + body[:body.index(reduce)]
    after = body[body.index(reduce) + 1:]
    if any(op.regions or op.dialect_name() not in ("arith", "math", "index") for op in before):
        return None
    needed = {v for op in after for v in op.operands}
    kept = []
    for op in reversed(before):
        if any(r in needed for r in op.results):
            kept.append(op)
            needed.update(op.operands)
    return kept[::-1] + after


def big_enough(m: int, n: int) -> bool:
    """Is an M x N output worth tiles (at least half a tile each way)?"""
    return m >= TM // 2 and n >= TN // 2


def matmul_nest(nest: list[scf.ForOp]) -> Gemm | None:
    """The matmul a parallel nest computes, if it is one the tiled kernel takes."""
    if len(nest) != 2:
        return None
    outer, inner = nest
    m, n = from_zero(outer), from_zero(inner)
    body = [op for op in inner.body.block.ops if not isinstance(op, scf.YieldOp)]
    if m is None or n is None or len(body) != 2:
        return None
    reduce, store = body
    i, j = outer.body.block.args[0], inner.body.block.args[0]
    if not isinstance(reduce, scf.ForOp) or not isinstance(store, memref.StoreOp) \
            or store.value is not reduce.results[0] or list(store.indices) != [i, j] or not f32_memref(store.memref, 2):
        return None
    k_size = from_zero(reduce)
    acc = zero_sum(reduce)
    loads = multiply_add(reduce, acc) if acc is not None and len(reduce.body.block.ops) == 5 else None
    if k_size is None or loads is None:
        return None
    load_a, load_b = loads
    k = reduce.body.block.args[0]
    if list(load_a.indices) != [i, k] or list(load_b.indices) != [k, j] \
            or not f32_memref(load_a.memref, 2) or not f32_memref(load_b.memref, 2) or not big_enough(m, n):
        return None
    return Gemm(Matrix(load_a.memref, m, k_size), load_b.memref, m, n, k_size, nest, reduce, [store])


class Ops:
    """Appends ops to a block and gives their results; index constants are
    made once, at the top of the kernel (`root`)."""

    def __init__(self, block: Block, root: Ops | None = None):
        self.block = block
        self.root = root or self
        self.constants: dict[int, SSAValue] = {}

    def add(self, op: Operation, hint: str | None = None) -> SSAValue:
        self.block.add_op(op)
        if hint:
            op.results[0].name_hint = hint
        return op.results[0]

    def do(self, op: Operation) -> None:
        self.block.add_op(op)

    def index(self, v: int) -> SSAValue:
        constants = self.root.constants
        if v not in constants:
            op = arith.ConstantOp(IntegerAttr(v, IndexType()))
            top = self.root.block
            if top.first_op is None:
                top.add_op(op)
            else:
                top.insert_op_before(op, top.first_op)
            constants[v] = op.result
        return constants[v]

    def mul(self, x: SSAValue, y: SSAValue, hint: str | None = None) -> SSAValue:
        return self.add(arith.MuliOp(x, y), hint)

    def plus(self, x: SSAValue, y: SSAValue, hint: str | None = None) -> SSAValue:
        return self.add(arith.AddiOp(x, y), hint)

    def below(self, x: SSAValue, bound: SSAValue) -> SSAValue:
        return self.add(arith.CmpiOp(x, bound, "ult"))

    def minu(self, x: SSAValue, most: int, hint: str | None = None) -> SSAValue:
        return self.add(arith.MinUIOp(x, self.index(most)), hint)

    def divide(self, x: SSAValue, by: int) -> tuple[SSAValue, SSAValue]:
        """x / by and x % by (unsigned)."""
        return self.add(arith.DivUIOp(x, self.index(by))), self.add(arith.RemUIOp(x, self.index(by)))


def build(body: Block, mm: Gemm, epilogue: list[list[scf.ForOp]], mapping: dict[SSAValue, SSAValue]) -> int:
    """Append the tiled kernel of `mm` (its operands through `mapping`) to the
    kernel body, the fused nests' bodies after each output; returns the
    number of tiles (the blocks a launch needs)."""
    o = Ops(body)
    a, b = mapping[mm.a.source], mapping[mm.b]
    if tuple(b.type.get_shape()) != (mm.k, mm.n):  # pyright: ignore[reportAttributeAccessIssue]
        b = o.add(memref.ReinterpretCastOp(b, [], [], [], [0], [mm.k, mm.n], [mm.n, 1],
                                           MemRefType(f32, [mm.k, mm.n])), "b_matrix")
    tiles_n = -(-mm.n // TN)
    tiles = -(-mm.m // TM) * tiles_n
    x = gpu.DimensionAttr(gpu.DimensionEnum.X)
    a_tile = o.add(memref.AllocaOp.get(f32, shape=[TK, TM + 1], memory_space=WORKGROUP), "a_tile")
    b_tile = o.add(memref.AllocaOp.get(f32, shape=[TK, TN], memory_space=WORKGROUP), "b_tile")
    tid = o.add(gpu.ThreadIdOp(x), "tid")
    tx = o.add(arith.RemUIOp(tid, o.index(TX)), "tx")
    ty = o.add(arith.DivUIOp(tid, o.index(TX)), "ty")
    b_row = o.add(arith.DivUIOp(tid, o.index(TN)), "b_row")
    b_col = o.add(arith.RemUIOp(tid, o.index(TN)), "b_col")
    zero = o.add(arith.ConstantOp(FloatAttr(0.0, f32)))
    first = o.add(gpu.BlockIdOp(x), "first_tile")
    stride = o.add(gpu.GridDimOp(x), "tile_stride")
    tile_block = Block(arg_types=[IndexType()])
    tile_block.args[0].name_hint = "tile"
    o.do(scf.ForOp(first, o.index(tiles), stride, [], Region(tile_block)))

    t = Ops(tile_block, o)
    tile = tile_block.args[0]
    m0 = t.mul(t.add(arith.DivUIOp(tile, t.index(tiles_n))), t.index(TM), "m0")
    n0 = t.mul(t.add(arith.RemUIOp(tile, t.index(tiles_n))), t.index(TN), "n0")
    # thread (tx, ty) loads rows ty + TY q of the A slice and owns the same rows of C
    rows = [mm.a.row(t, t.plus(m0, t.plus(ty, t.index(TY * r)))) for r in range(R)]
    k_block = Block(arg_types=[IndexType()] + [f32] * (R * R))
    k_block.args[0].name_hint = "k0"
    k_loop = scf.ForOp(t.index(0), t.index(mm.k), t.index(TK), [zero] * (R * R), Region(k_block))
    tile_block.add_op(k_loop)

    s = Ops(k_block, o)
    k0 = k_block.args[0]
    column = mm.a.column(s, s.plus(k0, tx))
    for q in range(R):  # the block loads the A slice: row ty + TY q, column tx
        s.do(memref.StoreOp.get(mm.a.load(s, a, rows[q], column, zero), a_tile, [tx, s.plus(ty, s.index(TY * q))]))
    for q in range(TK * TN // THREADS):  # and the B slice: row b_row + THREADS / TN q, column b_col
        row = s.plus(b_row, s.index(THREADS // TN * q))
        b_slice = Matrix(b, mm.k, mm.n)
        value = b_slice.load(s, b, b_slice.row(s, s.plus(k0, row)), b_slice.column(s, s.plus(n0, b_col)), zero)
        s.do(memref.StoreOp.get(value, b_tile, [row, b_col]))
    k_block.add_op(gpu.BarrierOp())
    step_block = Block(arg_types=[IndexType()] + [f32] * (R * R))
    step_loop = scf.ForOp(s.index(0), s.index(TK), s.index(1), list(k_block.args[1:]), Region(step_block))
    k_block.add_op(step_loop)
    k_block.add_op(gpu.BarrierOp())
    k_block.add_op(scf.YieldOp(*step_loop.results))

    u = Ops(step_block, o)
    kk = step_block.args[0]
    a_values = [u.add(memref.LoadOp.get(a_tile, [kk, u.plus(ty, u.index(TY * r))])) for r in range(R)]
    b_values = [u.add(memref.LoadOp.get(b_tile, [kk, u.plus(tx, u.index(TX * col))])) for col in range(R)]
    sums = [u.add(arith.AddfOp(step_block.args[1 + R * r + col], u.add(arith.MulfOp(a_values[r], b_values[col]))))
            for r in range(R) for col in range(R)]
    step_block.add_op(scf.YieldOp(*sums))

    cols_c = t.index(mm.n)
    for r in range(R):
        for col in range(R):
            column = t.plus(n0, t.plus(tx, t.index(TX * col)), "col")
            inside = t.add(arith.AndIOp(rows[r].inside, t.below(column, cols_c)))
            then = Block()
            at = [*mm.a.point(rows[r]), column]
            _epilogue(then, mm, epilogue, mapping, at, k_loop.results[R * r + col])
            _drop_overwritten_stores(then, at)
            then.add_op(scf.YieldOp())
            tile_block.add_op(scf.IfOp(inside, [], [then]))
    tile_block.add_op(scf.YieldOp())
    return tiles


def _epilogue(block: Block, mm: Gemm, nests: list[list[scf.ForOp]], mapping: dict[SSAValue, SSAValue],
              at: list[SSAValue], accumulator: SSAValue) -> None:
    """The rest of the point (the reduction's result being the accumulator)
    and the fused nests' bodies at one output, in order. A load at the point
    from the buffer value last stored at the point takes the stored value
    (any store elsewhere forgets it: views may alias)."""
    mapping = dict(mapping)
    for loop, index in zip(mm.nest, at):
        mapping[loop.body.block.args[0]] = index
    mapping[mm.reduce.results[0]] = accumulator
    mapping = fused_ivs([mm.nest, *nests], mapping)
    known: dict[SSAValue, SSAValue] = {}
    for op in [*mm.tail, *steps(nests)]:
        if isinstance(op, memref.LoadOp) and _at(at, [mapping.get(v, v) for v in op.indices]) \
                and mapping.get(op.memref, op.memref) in known:
            mapping[op.res] = known[mapping.get(op.memref, op.memref)]
            continue
        copy = op.clone(value_mapper=mapping)
        block.add_op(copy)
        mapping.update(zip(op.results, copy.results))
        if isinstance(copy, memref.StoreOp):
            known = {copy.memref: copy.value} if _at(at, copy.indices) else {}


def _at(at: list[SSAValue], indices: Sequence[SSAValue]) -> bool:
    """Are `indices` the point `at`? A dimension of one trip is at a
    constant, which each nest may spell with its own constant op."""
    return len(indices) == len(at) and all(
        v is p or constant_value(v) is not None and constant_value(v) == constant_value(p) for v, p in zip(indices, at))


def _drop_overwritten_stores(block: Block, at: list[SSAValue]) -> None:
    """Erase each store at the point that a later store to the same buffer
    value overwrites before any load at the point could read it. A load
    elsewhere cannot: fused nests touch what they write only at the point
    (outline_gpu_kernels._fusable), so it reads another buffer."""
    pending: dict[SSAValue, memref.StoreOp] = {}
    for op in list(block.ops):
        if isinstance(op, memref.StoreOp) and _at(at, op.indices):
            if op.memref in pending:
                dead = pending.pop(op.memref)
                dead.detach()
                dead.erase()
            pending[op.memref] = op
        elif isinstance(op, memref.LoadOp):
            if _at(at, op.indices) or op.memref in pending:
                pending.clear()
        elif op.regions or op.dialect_name() not in ("arith", "math", "index"):
            pending.clear()
