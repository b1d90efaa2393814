"""Runs of vector loads that read one stretch of memory, vector after vector.

A micro-kernel step reads a row of B (or of a filter) as several
vector.load of consecutive columns: [.., j], [.., j + 4], [.., j + 8], ...
On a machine with a multi-register load (A64's `ld1 {v0.4s-v3.4s}`) four such
loads are one instruction. This module finds them: loads of one memref in one
block whose indices differ only in a constant step of one vector along the
last dimension, with nothing between them that may write memory, so the first
of them may read what the others read.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects import arith, memref, vector
from xdsl.dialects.builtin import IntegerAttr, VectorType
from xdsl.ir import Block, Operation, SSAValue

Term = tuple[SSAValue | None, int]
"""An index as root + constant (root None: a constant)."""


def _constant(value: SSAValue) -> int | None:
    owner = value.owner
    if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr):
        return owner.value.value.data
    return None


def _term(value: SSAValue) -> Term:
    """The index as root + constant, peeling arith.addi of constants."""
    c = _constant(value)
    if c is not None:
        return None, c
    owner = value.owner
    if isinstance(owner, arith.AddiOp):
        for root, other in ((owner.lhs, owner.rhs), (owner.rhs, owner.lhs)):
            c = _constant(other)
            if c is not None:
                base, offset = _term(root)
                return base, offset + c
    return value, 0


def _may_write(op: Operation) -> bool:
    """Whether the op may write memory or run code that does (conservative:
    only loads and the region-free arith, math and vector ops that do not store
    are known not to)."""
    if isinstance(op, (vector.LoadOp, memref.LoadOp)):
        return False
    dialect = op.name.split(".", 1)[0]
    stores = any(word in op.name for word in ("store", "write", "scatter"))
    return bool(op.regions) or stores or dialect not in ("arith", "math", "vector")


def _key(load: vector.LoadOp) -> tuple:
    """What the loads of one run share: the memref, the leading indices and
    the root of the last one."""
    *leading, last = load.indices
    return load.base, tuple(_term(i) for i in leading), _term(last)[0]


def _runs_in(loads: Sequence[vector.LoadOp], count: int, lanes: int) -> list[list[vector.LoadOp]]:
    """Runs of `count` loads at consecutive vector offsets, lowest first, each
    starting at the first of its loads in program order."""
    order = {load: k for k, load in enumerate(loads)}
    by_offset = {_term(load.indices[-1])[1]: load for load in reversed(loads)}
    runs: list[list[vector.LoadOp]] = []
    taken: set[vector.LoadOp] = set()
    for offset in sorted(by_offset):
        wanted = [by_offset.get(offset + k * lanes) for k in range(count)]
        run = [load for load in wanted if load is not None and load not in taken]
        if len(run) < count or min(order[load] for load in run) != order[run[0]]:
            continue
        runs.append(run)
        taken.update(run)
    return runs


def consecutive_loads(block: Block, vector_type: VectorType, count: int) -> list[list[vector.LoadOp]]:
    """The runs of `count` loads of `vector_type` in `block` (not its nested
    blocks) that one multi-register load may replace."""
    lanes = vector_type.get_shape()[0]
    runs: list[list[vector.LoadOp]] = []
    open_loads: dict[tuple, list[vector.LoadOp]] = {}

    def close() -> None:
        for loads in open_loads.values():
            runs.extend(_runs_in(loads, count, lanes))
        open_loads.clear()

    for op in block.ops:
        if isinstance(op, vector.LoadOp) and op.result.type == vector_type and op.indices:
            open_loads.setdefault(_key(op), []).append(op)
        elif _may_write(op):
            close()
    close()
    return runs
