"""Which values the C code of a function needs: C compilers reject
(-Wall -Werror) variables that are never read."""

from __future__ import annotations

from collections.abc import Iterable

from xdsl.dialects import func, gpu, memref, scf, vector
from xdsl.ir import BlockArgument, Operation, OpResult, SSAValue

from pelemay_ir.dialects import arm_simd, parallel


STORES = {memref.StoreOp: 1, arm_simd.StoreOp: 1, arm_simd.StoreLaneOp: 1, vector.StoreOp: 1, arm_simd.Store2Op: 2}
"""Ops writing a memref: the operand number of the memref."""


ROOT_OPS = (func.CallOp, func.ReturnOp, parallel.ForOp, gpu.LaunchFuncOp, *STORES)


EFFECTFUL = (scf.ForOp, scf.IfOp, func.CallOp, parallel.ForOp)


class Liveness:
    """Which SSA values (and loop/if result slots) the program's effects need.

    C compilers reject (-Wall -Werror) variables that are never read, so a value
    is printed only when something that matters depends on it.
    """

    def __init__(self, fn: func.FuncOp):
        self.values: set[SSAValue] = set()
        self.slots: set[tuple[Operation, int]] = set()
        self._work: list[SSAValue] = []
        for op in fn.walk():
            if isinstance(op, ROOT_OPS):
                self._mark_all(op.operands)
            elif isinstance(op, scf.ForOp):
                self._mark_all((op.lb, op.ub, op.step))
            elif isinstance(op, scf.IfOp):
                self._mark(op.cond)
        while self._work:
            v = self._work.pop()
            if isinstance(v, OpResult):
                op = v.op
                if isinstance(op, (scf.ForOp, scf.IfOp)):
                    self._mark_slot(op, v.index)
                else:
                    self._mark_all(op.operands)
            elif isinstance(v, BlockArgument):
                owner = v.block.parent_op()
                if isinstance(owner, scf.ForOp) and v.index > 0:
                    self._mark_slot(owner, v.index - 1)

    def _mark(self, v: SSAValue) -> None:
        if v not in self.values:
            self.values.add(v)
            self._work.append(v)

    def _mark_all(self, vs: Iterable[SSAValue]) -> None:
        for v in vs:
            self._mark(v)

    def _mark_slot(self, op: Operation, k: int) -> None:
        if (op, k) in self.slots:
            return
        self.slots.add((op, k))
        if isinstance(op, scf.ForOp):
            self._mark(op.iter_args[k])
        for region in op.regions:
            for block in region.blocks:
                last = block.last_op
                if isinstance(last, scf.YieldOp) and k < len(last.operands):
                    self._mark(last.operands[k])

    def any_live(self, op: Operation) -> bool:
        return any(r in self.values for r in op.results)
