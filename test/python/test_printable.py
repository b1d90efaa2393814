"""The printable sets of targets/printable.py against the printers' handler
tables, and one wording for an op outside a printer's set."""

import pytest
from xdsl.dialects import gpu
from xdsl.rewriter import Rewriter

from pelemay_ir import ir
from pelemay_ir.targets import c, cuda, llvm, printable
from pelemay_ir.targets.llvm_function import HANDLERS


def test_each_printer_prints_exactly_its_set():
    fp = c.CFunctionPrinter
    assert set(fp.handlers) | set(fp.vector_handlers) == printable.C.ops
    cp = cuda.CudaFunctionPrinter
    assert set(cp.handlers) | set(cp.vector_handlers) == printable.CUDA.ops
    parents = {"func.func", "memref.global", "scf.yield", "scf.condition"}  # printed by their parent
    assert {cls.name for cls in HANDLERS} | parents == printable.LLVM.ops
    assert c.CPrinter.printable is printable.C and cuda.CudaPrinter.printable is printable.CUDA


ONE_OP = """func.func @f(%x: memref<4xf32>, %y: memref<4xf32>) attributes {pelemay.entry, pelemay.num_inputs = 1 : i64} {
  %c0 = arith.constant 0 : index
  %a = memref.load %x[%c0] : memref<4xf32>
  %b = math.ctlz %c0 : index
  memref.store %a, %y[%c0] : memref<4xf32>
  func.return
}
"""


@pytest.mark.parametrize("target", [printable.C, printable.CUDA])
def test_an_op_outside_the_set_is_named_with_its_position(target):
    with pytest.raises(ir.CompileError, match=rf"p.mlir:4:3: error: 'math.ctlz' op cannot be printed by the "
                                              rf"{target.target} target: it prints \d+ of the math dialect's ops"):
        printable.check(ir.parse(ONE_OP, "p.mlir"), target)
    with pytest.raises(ir.CompileError, match=r"p.mlir:4:3: error: 'math.ctlz' op cannot be printed by the c target"):
        c.emit_c(ir.parse(ONE_OP, "p.mlir"))


def test_gpu_ops_are_the_cuda_printers_own():
    module = ir.parse(ONE_OP, "p.mlir")
    ctlz = next(op for op in module.walk() if op.name == "math.ctlz")
    thread = gpu.ThreadIdOp(gpu.DimensionAttr(gpu.DimensionEnum.X))
    thread.location = ctlz.location
    Rewriter.replace_op(ctlz, thread)
    printable.check(module, printable.CUDA)
    with pytest.raises(ir.CompileError, match=r"p.mlir:4:3: error: 'gpu.thread_id' op cannot be printed by the "
                                              r"c target: it prints only loop-level .*"):
        c.emit_c(module)


def test_the_llvm_printer_prints_what_the_c_printer_refuses():
    """math.ctlz is in the LLVM set only: the same module prints there."""
    text = ONE_OP.replace("%b = math.ctlz %c0 : index", "%b = math.ctlz %c0 : index\n  %u = arith.index_cast %b : index to i32")
    assert "@llvm.ctlz" in llvm.emit_llvm(ir.parse(text, "p.mlir"))
