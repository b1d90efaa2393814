"""parallel: a loop's iterations run on a team of threads.

`outline-parallel` (passes/outline_parallel.py) moves the body of each loop
that `parallelize` marked into a worker function and leaves one op in its
place:

    parallel.for @mm_parallel_0(%a, %out) from %c0 to %c64 step %c8 threads 2 : memref<64x67xf32>, memref<64x61xf32>

The worker `func.func private @mm_parallel_0(%a, %out, %lo: index, %hi: index)`
runs the iterations `lo, lo + step, ... < hi`; the op runs iterations
`[from, to)` in `threads` contiguous chunks of whole steps, the first on the
calling thread, and returns when all are done. Each printer prints the small
runtime it needs (docs/architecture.md), so the output stays one file.
"""

from __future__ import annotations

from xdsl.dialects import func
from xdsl.dialects.builtin import I64, IndexType, IntegerAttr, SymbolRefAttr, i64
from xdsl.ir import Dialect, SSAValue
from xdsl.irdl import IRDLOperation, irdl_op_definition, operand_def, prop_def, var_operand_def
from xdsl.traits import SymbolTable
from xdsl.utils.exceptions import VerifyException

MAX_THREADS = 256
"""The largest team a parallel loop may ask for."""


@irdl_op_definition
class ForOp(IRDLOperation):
    """Run worker `@worker(captures..., lo, hi)` over [lower_bound, upper_bound) on `threads` threads."""

    name = "parallel.for"
    worker = prop_def(SymbolRefAttr)
    threads = prop_def(IntegerAttr[I64])
    captures = var_operand_def()
    lower_bound = operand_def(IndexType)
    upper_bound = operand_def(IndexType)
    step = operand_def(IndexType)

    assembly_format = (
        "$worker `(` $captures `)` `from` $lower_bound `to` $upper_bound `step` $step "
        "`threads` $threads attr-dict `:` type($captures)"
    )

    def __init__(self, worker: str, captures: list[SSAValue], lower_bound: SSAValue,
                 upper_bound: SSAValue, step: SSAValue, threads: int):
        super().__init__(
            operands=[captures, lower_bound, upper_bound, step],
            properties={"worker": SymbolRefAttr(worker), "threads": IntegerAttr(threads, i64)},
        )

    def verify_(self) -> None:
        threads = self.threads.value.data
        if not 2 <= threads <= MAX_THREADS:
            raise VerifyException(f"a parallel loop runs on 2 to {MAX_THREADS} threads, not {threads}")
        worker = SymbolTable.lookup_symbol(self, self.worker)
        if worker is None:
            return  # a module being built: the printers look the worker up again
        if not isinstance(worker, func.FuncOp):
            raise VerifyException(f"'@{self.worker.root_reference.data}' is not a func.func")
        want = [*(v.type for v in self.captures), IndexType(), IndexType()]
        ftype = worker.function_type
        if list(ftype.inputs.data) != want or ftype.outputs.data:
            raise VerifyException(
                f"worker '@{self.worker.root_reference.data}' must take the captured values' types "
                f"and then (index, index) and return nothing; it is {ftype}"
            )


Parallel = Dialect("parallel", [ForOp])
