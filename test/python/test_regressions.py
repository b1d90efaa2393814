"""Reproductions of defects users met, each kept as it was reported: the
program, the path it went wrong on, and what must happen instead."""

from __future__ import annotations

import numpy as np
import pytest

import pelemay_ir
from pelemay_ir import ir, reference
from pelemay_ir.run import compare

EPILOGUE_OF_A_RETURNED_RESULT = {
    "matmul": """
func.func @f(%x: tensor<3x5xf32>, %w: tensor<5x8xf32>) -> (tensor<3x8xf32>, tensor<3x8xf32>) {
  %y = ptensor.matmul %x, %w : tensor<3x5xf32>, tensor<5x8xf32> -> tensor<3x8xf32>
  %r = ptensor.relu %y : tensor<3x8xf32>
  func.return %r, %y : tensor<3x8xf32>, tensor<3x8xf32>
}""",
    "conv2d+bias": """
func.func @f(%x: tensor<1x5x5x3xf32>, %w: tensor<3x3x3x8xf32>, %b: tensor<8xf32>) -> (tensor<1x3x3x8xf32>, tensor<1x3x3x8xf32>) {
  %y = ptensor.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x5x5x3xf32>, tensor<3x3x3x8xf32> -> tensor<1x3x3x8xf32>
  %r = ptensor.add %y, %b : tensor<1x3x3x8xf32>, tensor<8xf32> -> tensor<1x3x3x8xf32>
  func.return %y, %r : tensor<1x3x3x8xf32>, tensor<1x3x3x8xf32>
}""",
    "matmul, reshaped": """
func.func @f(%x: tensor<3x5xf32>, %w: tensor<5x8xf32>) -> (tensor<3x8xf32>, tensor<24xf32>) {
  %y = ptensor.matmul %x, %w : tensor<3x5xf32>, tensor<5x8xf32> -> tensor<3x8xf32>
  %n = ptensor.neg %y : tensor<3x8xf32>
  %flat = ptensor.reshape %y : tensor<3x8xf32> -> tensor<24xf32>
  func.return %n, %flat : tensor<3x8xf32>, tensor<24xf32>
}""",
}

PATHS = {
    "C": dict(),
    "LLVM": dict(emit="llvm"),
    "threads=2": dict(threads=2, min_work=0),
    "aarch64": dict(target="aarch64"),
    "armv7": dict(target="armv7"),
}


def run_and_compare(text: str, **options) -> list[np.ndarray]:
    module = ir.parse(text)
    rng = np.random.default_rng(0)
    function = reference.entry_function(module)
    inputs = [rng.uniform(-1, 1, a.type.get_shape()).astype(np.float32) for a in function.args]
    expected = reference.evaluate(module, inputs)
    got = pelemay_ir.compile(ir.parse(text), **options)(*inputs)
    assert len(got) == len(expected)
    for i, (g, e) in enumerate(zip(got, expected)):
        error, ok = compare(np.asarray(g), e)
        assert ok, f"output {i} off by {error}"
    return got


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("program", EPILOGUE_OF_A_RETURNED_RESULT)
def test_a_returned_result_read_by_a_fused_epilogue_is_stored(program: str, path: str):
    run_and_compare(EPILOGUE_OF_A_RETURNED_RESULT[program], **PATHS[path])


ZERO_SIZE_INTERMEDIATE = """
func.func @z(%x: tensor<2x0x4xf32>) -> tensor<2x1x4xf32> {
  %v = ptensor.abs %x : tensor<2x0x4xf32>
  %r = ptensor.reduce_sum %v {axes = array<i64: 1>, keepdims} : tensor<2x0x4xf32> -> tensor<2x1x4xf32>
  func.return %r : tensor<2x1x4xf32>
}"""


@pytest.mark.parametrize("path", ["C", "LLVM", "armv7"])
def test_a_zero_size_intermediate_keeps_the_interface(path: str):
    (out,) = run_and_compare(ZERO_SIZE_INTERMEDIATE, **PATHS[path])
    assert out.shape == (2, 1, 4) and not out.any()


def test_a_zero_size_intermediate_adds_no_parameter():
    from pelemay_ir import api
    from pelemay_ir.targets import c

    header = c.emit_header(api.lower(ir.parse(ZERO_SIZE_INTERMEDIATE)))
    assert "int z_run(const float *x, float *out, void *arena);" in header
