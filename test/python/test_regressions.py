"""Reproductions of defects users met, each kept as it was reported: the
program, the path it went wrong on, and what must happen instead."""

from __future__ import annotations

import numpy as np
import pytest

import pelemay_ir
from pelemay_ir import api, ir, reference
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


RANK_0_IDENTITIES = """
func.func @r(%x: tensor<f32>) -> (tensor<f32>, tensor<f32>) {
  %p = ptensor.pad %x {low = array<i64>, high = array<i64>, value = 0.0 : f32} : tensor<f32> -> tensor<f32>
  %t = ptensor.transpose %x {permutation = array<i64>} : tensor<f32> -> tensor<f32>
  func.return %p, %t : tensor<f32>, tensor<f32>
}"""


@pytest.mark.parametrize("path", ["C", "LLVM", "armv7"])
def test_pad_and_transpose_of_a_rank_0_tensor_are_the_identity(path: str):
    got = run_and_compare(RANK_0_IDENTITIES, **PATHS[path])
    assert all(g.shape == () for g in got)


def _model_with_weights(folder, text: str, blob: bytes):
    (folder / "m.mlir").write_text('module attributes {ptensor.weights = "m.weights"} {' + text + "}")
    (folder / "m.weights").write_bytes(blob)
    return folder / "m.mlir"


WEIGHTED = """
func.func @m(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %w = ptensor.weight "w" at OFFSET : tensor<4x3xf32>
  %y = ptensor.matmul %x, %w : tensor<2x4xf32>, tensor<4x3xf32> -> tensor<2x3xf32>
  func.return %y : tensor<2x3xf32>
}"""


def _pelemay_run(*args: str, cwd=None):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "pelemay_ir.run", *args], capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize("weights", ["embedded", "external"])
@pytest.mark.parametrize("offset, blob_bytes, message", [
    (0, 20, "weight 'w' needs bytes 0..48 but the weights file holds 20 bytes"),  # a truncated file
    (48, 64, "weight 'w' needs bytes 48..96 but the weights file holds 64 bytes"),  # stored past its end
])
def test_a_weight_outside_its_file_is_a_located_error(tmp_path, weights, offset, blob_bytes, message):
    path = _model_with_weights(tmp_path, WEIGHTED.replace("OFFSET", str(offset)), bytes(blob_bytes))
    done = _pelemay_run(str(path), "--weights", weights)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip() == f"{path}:3:3: error: {message}"


def test_an_unaligned_external_weight_is_a_located_error(tmp_path):
    path = _model_with_weights(tmp_path, WEIGHTED.replace("OFFSET", "2"), bytes(64))
    assert _pelemay_run(str(path)).returncode == 0  # embedded: copied, so any offset reads
    done = _pelemay_run(str(path), "--weights", "external")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip() == (
        f"{path}:3:3: error: weight 'w' at byte offset 2 is not aligned to its 4-byte elements; "
        "external weights are read in place, so each starts on its element size"
    )


def test_weights_are_found_beside_the_mlir_not_in_the_working_directory(tmp_path, monkeypatch):
    """A module parsed from a folder without its weights file, compiled while
    the working directory holds a file of that name: the error names the
    module's folder, and the stray file is not read."""
    model = tmp_path / "model"
    model.mkdir()
    (model / "m.mlir").write_text('module attributes {ptensor.weights = "m.weights"} {'
                                  + WEIGHTED.replace("OFFSET", "0") + "}")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "m.weights").write_bytes(bytes(48))
    monkeypatch.chdir(elsewhere)
    module = ir.load(model / "m.mlir")
    with pytest.raises(Exception, match=f"weights file '{model / 'm.weights'}' does not exist"):
        pelemay_ir.compile(module)


AN_INTERMEDIATE_OF_4_GIB = """func.func @f(%x: tensor<1x4xf32>, %y: tensor<268435456x1xf32>) -> tensor<1x4xf32> {
  %e = ptensor.add %x, %y : tensor<1x4xf32>, tensor<268435456x1xf32> -> tensor<268435456x4xf32>
  %r = ptensor.reduce_sum %e {axes = array<i64: 0>, keepdims} : tensor<268435456x4xf32> -> tensor<1x4xf32>
  func.return %r : tensor<1x4xf32>
}"""

AN_ARENA_OF_3_GIB = """func.func @f(%x: tensor<1x4xf32>, %y: tensor<100663296x1xf32>) -> tensor<1x4xf32> {
  %e = ptensor.add %x, %y : tensor<1x4xf32>, tensor<100663296x1xf32> -> tensor<100663296x4xf32>
  %f = ptensor.neg %e : tensor<100663296x4xf32>
  %g = ptensor.mul %e, %f : tensor<100663296x4xf32>, tensor<100663296x4xf32> -> tensor<100663296x4xf32>
  %r = ptensor.reduce_sum %g {axes = array<i64: 0>, keepdims} : tensor<100663296x4xf32> -> tensor<1x4xf32>
  func.return %r : tensor<1x4xf32>
}"""

A_TENSOR_OF_2_POW_64_ELEMENTS = """func.func @f(%x: tensor<4294967296x4294967296xf32>) -> tensor<4294967296x4294967296xf32> {
  %e = ptensor.exp %x : tensor<4294967296x4294967296xf32>
  func.return %e : tensor<4294967296x4294967296xf32>
}"""

ARMV7_LIMIT = "target 'armv7' (32-bit) addresses at most 2147483647 bytes in one buffer"


@pytest.mark.parametrize("program, target, message", [
    (AN_INTERMEDIATE_OF_4_GIB, "armv7", f"2:3: error: plan-memory: buffer 'e' needs 4294967296 bytes; {ARMV7_LIMIT}"),
    (AN_ARENA_OF_3_GIB, "armv7", f"1:1: error: plan-memory: the arena of 'f' needs 3221225472 bytes; {ARMV7_LIMIT}"),
    (A_TENSOR_OF_2_POW_64_ELEMENTS, "host",
     "1:1: error: plan-memory: argument 'x' needs 73786976294838206464 bytes; "
     "target 'host' (64-bit) addresses at most 9223372036854775807 bytes in one buffer"),
])
def test_a_size_the_machine_cannot_address_is_a_located_error(tmp_path, program, target, message):
    path = tmp_path / "big.mlir"
    path.write_text(program)
    done = _pelemay_run(str(path), "--target", target)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip() == f"{path}:{message}"


def test_a_64_bit_machine_plans_what_a_32_bit_one_cannot(tmp_path):
    import json

    report = tmp_path / "plan.json"
    api.lower(ir.parse(AN_INTERMEDIATE_OF_4_GIB), target="aarch64", report=str(report))
    assert json.loads(report.read_text())["arena_bytes"] == 4 << 30
