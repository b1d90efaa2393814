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

The tiles are `memref.alloca`s in the workgroup address space (3) at the
top of the kernel: xDSL 0.74's `gpu.func` has no attribution lists.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects import arith, gpu, memref, scf
from xdsl.dialects.builtin import FloatAttr, Float32Type, IndexType, IntegerAttr, MemRefType, f32
from xdsl.ir import Block, Operation, OpResult, Region, SSAValue

from pelemay_ir.passes.gpu_points import fused_ivs, steps
from pelemay_ir.passes.parallelize import constant_bounds
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
class Matmul:
    """A recognised matmul nest: C[i, j] = sum_k A[i, k] * B[k, j]."""

    a: SSAValue
    b: SSAValue
    c: SSAValue
    m: int
    n: int
    k: int


def _from_zero(loop: scf.ForOp) -> int | None:
    """The trip count of a loop from 0 by 1, else None."""
    bounds = constant_bounds(loop)
    if bounds is None or bounds[0] != 0 or bounds[2] != 1:
        return None
    return bounds[1]


def _rank2_f32(v: SSAValue) -> bool:
    return isinstance(v.type, MemRefType) and len(v.type.get_shape()) == 2 \
        and isinstance(v.type.element_type, Float32Type)


def matmul_nest(nest: list[scf.ForOp]) -> Matmul | None:
    """The matmul a parallel nest computes, if it is one the tiled kernel takes."""
    if len(nest) != 2:
        return None
    outer, inner = nest
    m, n = _from_zero(outer), _from_zero(inner)
    body = [op for op in inner.body.block.ops if not isinstance(op, scf.YieldOp)]
    if m is None or n is None or len(body) != 2:
        return None
    reduce, store = body
    i, j = outer.body.block.args[0], inner.body.block.args[0]
    if not isinstance(reduce, scf.ForOp) or not isinstance(store, memref.StoreOp) or len(reduce.iter_args) != 1 \
            or store.value is not reduce.results[0] or list(store.indices) != [i, j] or not _rank2_f32(store.memref):
        return None
    k_size = _from_zero(reduce)
    init = reduce.iter_args[0]
    zero = isinstance(init, OpResult) and isinstance(init.op, arith.ConstantOp) \
        and isinstance(init.op.value, FloatAttr) and init.op.value.value.data == 0.0
    steps = [op for op in reduce.body.block.ops]
    if k_size is None or not zero or len(steps) != 5:
        return None
    load_a, load_b, mul, add, yielded = steps
    k, acc = reduce.body.block.args
    if not (isinstance(load_a, memref.LoadOp) and isinstance(load_b, memref.LoadOp)
            and isinstance(mul, arith.MulfOp) and isinstance(add, arith.AddfOp) and isinstance(yielded, scf.YieldOp)):
        return None
    if list(load_a.indices) != [i, k] or list(load_b.indices) != [k, j] \
            or not _rank2_f32(load_a.memref) or not _rank2_f32(load_b.memref) \
            or {mul.lhs, mul.rhs} != {load_a.res, load_b.res} or {add.lhs, add.rhs} != {acc, mul.result} \
            or list(yielded.operands) != [add.result]:
        return None
    if m < TM // 2 or n < TN // 2:
        return None
    return Matmul(load_a.memref, load_b.memref, store.memref, m, n, k_size)


class _Ops:
    """Appends ops to a block and gives their results; index constants are
    made once, at the top of the kernel (`root`)."""

    def __init__(self, block: Block, root: _Ops | None = None):
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

    def clamped_load(self, source: SSAValue, row: SSAValue, col: SSAValue, rows: int, cols: int,
                     zero: SSAValue) -> SSAValue:
        """source[row, col], or zero outside it (the load reads a clamped, in-range element)."""
        inside = []
        indices = []
        for x, size in ((row, rows), (col, cols)):
            last = self.index(size - 1)
            inside.append(self.below(x, self.index(size)))
            indices.append(self.add(arith.MinUIOp(x, last)))
        both = self.add(arith.AndIOp(*inside))
        value = self.add(memref.LoadOp.get(source, indices))
        return self.add(arith.SelectOp(both, value, zero))


def build(body: Block, mm: Matmul, epilogue: list[list[scf.ForOp]], nest: list[scf.ForOp],
          mapping: dict[SSAValue, SSAValue]) -> int:
    """Append the tiled kernel of `mm` (its operands through `mapping`) to the
    kernel body, the fused nests' bodies after each output; returns the
    number of tiles (the blocks a launch needs)."""
    o = _Ops(body)
    a, b, c = mapping[mm.a], mapping[mm.b], mapping[mm.c]
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

    t = _Ops(tile_block, o)
    tile = tile_block.args[0]
    m0 = t.mul(t.add(arith.DivUIOp(tile, t.index(tiles_n))), t.index(TM), "m0")
    n0 = t.mul(t.add(arith.RemUIOp(tile, t.index(tiles_n))), t.index(TN), "n0")
    k_block = Block(arg_types=[IndexType()] + [f32] * (R * R))
    k_block.args[0].name_hint = "k0"
    k_loop = scf.ForOp(t.index(0), t.index(mm.k), t.index(TK), [zero] * (R * R), Region(k_block))
    tile_block.add_op(k_loop)

    s = _Ops(k_block, o)
    k0 = k_block.args[0]
    for q in range(TM * TK // THREADS):  # the block loads the A slice: row ty + TY q, column tx
        row = s.plus(ty, s.index(TY * q))
        value = s.clamped_load(a, s.plus(m0, row), s.plus(k0, tx), mm.m, mm.k, zero)
        s.do(memref.StoreOp.get(value, a_tile, [tx, row]))
    for q in range(TK * TN // THREADS):  # and the B slice: row b_row + THREADS / TN q, column b_col
        row = s.plus(b_row, s.index(THREADS // TN * q))
        value = s.clamped_load(b, s.plus(k0, row), s.plus(n0, b_col), mm.k, mm.n, zero)
        s.do(memref.StoreOp.get(value, b_tile, [row, b_col]))
    k_block.add_op(gpu.BarrierOp())
    step_block = Block(arg_types=[IndexType()] + [f32] * (R * R))
    step_loop = scf.ForOp(s.index(0), s.index(TK), s.index(1), list(k_block.args[1:]), Region(step_block))
    k_block.add_op(step_loop)
    k_block.add_op(gpu.BarrierOp())
    k_block.add_op(scf.YieldOp(*step_loop.results))

    u = _Ops(step_block, o)
    kk = step_block.args[0]
    rows = [u.add(memref.LoadOp.get(a_tile, [kk, u.plus(ty, u.index(TY * r))])) for r in range(R)]
    cols = [u.add(memref.LoadOp.get(b_tile, [kk, u.plus(tx, u.index(TX * col))])) for col in range(R)]
    sums = [u.add(arith.AddfOp(step_block.args[1 + R * r + col], u.add(arith.MulfOp(rows[r], cols[col]))))
            for r in range(R) for col in range(R)]
    step_block.add_op(scf.YieldOp(*sums))

    rows_c, cols_c = t.index(mm.m), t.index(mm.n)
    for r in range(R):
        row = t.plus(m0, t.plus(ty, t.index(TY * r)), "row")
        for col in range(R):
            column = t.plus(n0, t.plus(tx, t.index(TX * col)), "col")
            inside = t.add(arith.AndIOp(t.below(row, rows_c), t.below(column, cols_c)))
            then = Block()
            then.add_op(memref.StoreOp.get(k_loop.results[R * r + col], c, [row, column]))
            _epilogue(then, epilogue, nest, mapping, [row, column], (c, k_loop.results[R * r + col]))
            _drop_overwritten_stores(then, [row, column])
            then.add_op(scf.YieldOp())
            tile_block.add_op(scf.IfOp(inside, [], [then]))
    tile_block.add_op(scf.YieldOp())
    return tiles


def _epilogue(block: Block, nests: list[list[scf.ForOp]], first: list[scf.ForOp],
              mapping: dict[SSAValue, SSAValue], at: list[SSAValue], stored: tuple[SSAValue, SSAValue]) -> None:
    """The fused nests' bodies at one output, in order. A load at the point
    from the buffer value last stored at the point takes the stored value
    (any store elsewhere forgets it: views may alias)."""
    mapping = dict(mapping)
    for loop, index in zip(first, at):
        mapping[loop.body.block.args[0]] = index
    mapping = fused_ivs([first, *nests], mapping)
    known: dict[SSAValue, SSAValue] = {stored[0]: stored[1]}
    for op in steps(nests):
        if isinstance(op, memref.LoadOp) and [mapping.get(v, v) for v in op.indices] == at \
                and mapping.get(op.memref, op.memref) in known:
            mapping[op.res] = known[mapping.get(op.memref, op.memref)]
            continue
        copy = op.clone(value_mapper=mapping)
        block.add_op(copy)
        mapping.update(zip(op.results, copy.results))
        if isinstance(copy, memref.StoreOp):
            known = {copy.memref: copy.value} if list(copy.indices) == at else {}


def _drop_overwritten_stores(block: Block, at: list[SSAValue]) -> None:
    """Erase each store at the point that a later store to the same buffer
    value overwrites before any load at the point could read it. A load
    elsewhere cannot: fused nests touch what they write only at the point
    (outline_gpu_kernels._fusable), so it reads another buffer."""
    pending: dict[SSAValue, memref.StoreOp] = {}
    for op in list(block.ops):
        if isinstance(op, memref.StoreOp) and list(op.indices) == at:
            if op.memref in pending:
                dead = pending.pop(op.memref)
                dead.detach()
                dead.erase()
            pending[op.memref] = op
        elif isinstance(op, memref.LoadOp):
            if list(op.indices) == at:
                pending.clear()
        elif op.regions or op.dialect_name() not in ("arith", "math", "index"):
            pending.clear()
