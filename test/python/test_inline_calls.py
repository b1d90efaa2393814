"""inline-calls: programs that call their own functions compile like any
other (the default pipelines inline first) and match the reference; a
recursive call is a located error."""

from __future__ import annotations

import numpy as np
import pytest

import pelemay_ir
from pelemay_ir import api, ir, reference
from pelemay_ir.ir import CompileError
from pelemay_ir.registry import make_pipeline

CALLS = """\
func.func private @layer(%x: tensor<2x4xf32>, %w: tensor<4x4xf32>) -> tensor<2x4xf32> {
  %y = ptensor.matmul %x, %w : tensor<2x4xf32>, tensor<4x4xf32> -> tensor<2x4xf32>
  %r = ptensor.relu %y : tensor<2x4xf32>
  func.return %r : tensor<2x4xf32>
}
func.func {visibility}@block(%x: tensor<2x4xf32>, %w: tensor<4x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %a = func.call @layer(%x, %w) : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
  %b = func.call @layer(%a, %w) : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
  %s = ptensor.add %a, %b : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
  func.return %s, %a : tensor<2x4xf32>, tensor<2x4xf32>
}
func.func @net(%x: tensor<2x4xf32>, %w1: tensor<4x4xf32>, %w2: tensor<4x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %p, %q = func.call @block(%x, %w1) : (tensor<2x4xf32>, tensor<4x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>)
  %n = ptensor.neg %q : tensor<2x4xf32>
  %o = func.call @layer(%p, %w2) : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
  func.return %o, %n : tensor<2x4xf32>, tensor<2x4xf32>
}
"""

RNG = np.random.default_rng(7)


def _inputs():
    return [RNG.standard_normal(s).astype(np.float32) for s in ((2, 4), (4, 4), (4, 4))]


@pytest.mark.parametrize("visibility", ["private ", ""], ids=["private", "public"])
def test_inlining_leaves_no_call_and_drops_private_callees(visibility):
    module = ir.parse(CALLS.replace("{visibility}", visibility))
    for p in make_pipeline("inline-calls"):
        p.apply(ir.make_context(), module)
    ir.verify(module)
    assert not any(op.name == "func.call" for op in module.walk())
    names = [f.sym_name.data for f in module.ops]
    assert names == (["net"] if visibility else ["block", "net"])


@pytest.mark.parametrize("target,emit,vectorize", [
    ("host", "c", None), ("host", "c", False), ("host", "llvm", None), ("aarch64", "c", None),
])
def test_program_with_calls_matches_the_reference(target, emit, vectorize):
    module = ir.parse(CALLS.replace("{visibility}", "private "))
    inputs = _inputs()
    expected = reference.evaluate(module, inputs)
    program = pelemay_ir.compile(module, target=target, emit=emit, vectorize=vectorize)
    got = program(*inputs)
    assert len(got) == 2
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-5)


RECURSIVE = """\
func.func @even(%x: tensor<2xf32>) -> tensor<2xf32> {
  %y = func.call @odd(%x) : (tensor<2xf32>) -> tensor<2xf32>
  func.return %y : tensor<2xf32>
}
func.func @odd(%x: tensor<2xf32>) -> tensor<2xf32> {
  %n = ptensor.neg %x : tensor<2xf32>
  %y = func.call @even(%n) : (tensor<2xf32>) -> tensor<2xf32>
  func.return %y : tensor<2xf32>
}
"""


def test_recursion_is_a_located_error():
    module = ir.parse(RECURSIVE, "rec.mlir")
    with pytest.raises(CompileError) as raised:
        api.lower(module)
    assert str(raised.value) == (
        "rec.mlir:7:3: error: recursive call to '@even' cannot be inlined "
        "(a program's calls must not form a cycle)"
    )


def test_call_of_a_declaration_is_a_located_error():
    text = """\
func.func private @ext(%x: tensor<2xf32>) -> tensor<2xf32>
func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {
  %y = func.call @ext(%x) : (tensor<2xf32>) -> tensor<2xf32>
  func.return %y : tensor<2xf32>
}
"""
    with pytest.raises(CompileError, match=r"^decl.mlir:3:3: error: cannot inline a call to '@ext': it is a declaration"):
        api.lower(ir.parse(text, "decl.mlir"))
