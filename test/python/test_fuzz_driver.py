"""Mutated programs never crash `pelemay-opt`.

Valid ptensor programs are damaged the way hands and tools damage text
(characters and tokens deleted, duplicated or swapped, the file cut short,
numbers in shapes and attributes changed) and fed to the driver in-process.
Whatever the damage, the run must end with exit code 0 or 1 and either output
or `FILE:LINE:COL: error:` diagnostics: no traceback, no internal error.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pelemay_ir import driver

SEEDS = [
    """\
func.func @mlp(%x: tensor<2x4xf32>, %b: tensor<3xf32>) -> tensor<2x3xf32> {
  %w = ptensor.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0], [0.5, 0.25, 0.125]]> : tensor<4x3xf32>
  %h = ptensor.matmul %x, %w : tensor<2x4xf32>, tensor<4x3xf32> -> tensor<2x3xf32>
  %s = ptensor.add %h, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  %r = ptensor.clamp %s {min = 0.0 : f32, max = 6.0 : f32} : tensor<2x3xf32>
  %m = ptensor.softmax %r {axis = -1 : i64} : tensor<2x3xf32> -> tensor<2x3xf32>
  func.return %m : tensor<2x3xf32>
}
""",
    """\
func.func @conv(%x: tensor<1x8x8x3xf32>, %w: tensor<3x3x3x4xf32>, %b: tensor<4xf32>) -> tensor<1x3x3x4xf32> {
  %c = ptensor.conv2d %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, groups = 1 : i64} : tensor<1x8x8x3xf32>, tensor<3x3x3x4xf32>, tensor<4xf32> -> tensor<1x8x8x4xf32>
  %p = ptensor.max_pool2d %c {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<1x8x8x4xf32> -> tensor<1x4x4x4xf32>
  %a = ptensor.avg_pool2d %p {kernel = array<i64: 2, 2>, strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>} : tensor<1x4x4x4xf32> -> tensor<1x3x3x4xf32>
  func.return %a : tensor<1x3x3x4xf32>
}
""",
    """\
module attributes {ptensor.weights = "w.bin"} {
  func.func @layout(%x: tensor<2x3x4xi8>, %c: tensor<4xi1>) -> tensor<4x6xi32> {
    %w = ptensor.weight "w" at 16 : tensor<4xi8>
    %t = ptensor.transpose %x {permutation = array<i64: 2, 0, 1>} : tensor<2x3x4xi8> -> tensor<4x2x3xi8>
    %r = ptensor.reshape %t : tensor<4x2x3xi8> -> tensor<4x6xi8>
    %s = ptensor.slice %r {offsets = array<i64: 0, 1>, sizes = array<i64: 2, 5>, strides = array<i64: 2, 1>} : tensor<4x6xi8> -> tensor<2x5xi8>
    %p = ptensor.pad %s {low = array<i64: 1, 0>, high = array<i64: 1, 1>, value = 0 : i8} : tensor<2x5xi8> -> tensor<4x6xi8>
    %k = ptensor.concat %p, %r {axis = 0 : i64} : tensor<4x6xi8>, tensor<4x6xi8> -> tensor<8x6xi8>
    %q = ptensor.slice %k {offsets = array<i64: 0, 0>, sizes = array<i64: 4, 6>, strides = array<i64: 1, 1>} : tensor<8x6xi8> -> tensor<4x6xi8>
    %i = ptensor.cast %q : tensor<4x6xi8> -> tensor<4x6xi32>
    %e = ptensor.compare "lt", %w, %w : tensor<4xi8>, tensor<4xi8> -> tensor<4xi1>
    %v = ptensor.select %e, %w, %w : tensor<4xi1>, tensor<4xi8>, tensor<4xi8> -> tensor<4xi8>
    %g = ptensor.argmax %i {axes = array<i64: 1>, keepdims} : tensor<4x6xi32> -> tensor<4x1xi32>
    %n = ptensor.reduce_sum %i {axes = array<i64: -1>} : tensor<4x6xi32> -> tensor<4xi32>
    %o = ptensor.broadcast %n : tensor<4xi32> -> tensor<6x4xi32>
    %y = ptensor.transpose %o {permutation = array<i64: 1, 0>} : tensor<6x4xi32> -> tensor<4x6xi32>
    func.return %y : tensor<4x6xi32>
  }
}
""",
    """\
func.func @norm(%x: tensor<2x5x8xf16>, %s: tensor<8xf16>, %c: i1) -> tensor<2x5x8xf16> {
  %y = scf.if %c -> (tensor<2x5x8xf16>) {
    %l = ptensor.layer_norm %x, %s, %s {axis = -1 : i64, epsilon = 1.0e-5 : f32} : tensor<2x5x8xf16>, tensor<8xf16>, tensor<8xf16> -> tensor<2x5x8xf16>
    scf.yield %l : tensor<2x5x8xf16>
  } else {
    %b = ptensor.batch_norm %x, %s, %s, %s, %s {epsilon = 1.0e-3 : f32} : tensor<2x5x8xf16>, tensor<8xf16>, tensor<8xf16>, tensor<8xf16>, tensor<8xf16> -> tensor<2x5x8xf16>
    %g = "ptensor.gelu"(%b) : (tensor<2x5x8xf16>) -> tensor<2x5x8xf16>
    scf.yield %g : tensor<2x5x8xf16>
  }
  func.return %y : tensor<2x5x8xf16>
}
// -----
func.func @second(%a: tensor<3xi32>) -> tensor<3xi32> {
  %n = ptensor.neg %a : tensor<3xi32>
  %m = ptensor.max %n, %a : tensor<3xi32>, tensor<3xi32> -> tensor<3xi32>
  func.return %m : tensor<3xi32>
}
""",
]

def generic_form(text: str) -> str:
    """The seed as `--print-op-generic` writes it: properties in `<{...}>`,
    regions in `({...})`, a second syntax for the mutations to damage."""
    code, out, err = run_in_process(text, "--print-op-generic")
    assert code == 0, err
    return out


TOKEN = re.compile(r"%?[\w.]+|\"[^\"]*\"|->|\S")
NUMBER = re.compile(r"-?\d+")


@st.composite
def mutation(draw, text: str) -> str:
    kind = draw(st.sampled_from(["char", "token", "truncate", "number"]))
    if kind == "truncate":
        return text[: draw(st.integers(0, len(text)))]
    if kind == "number":
        spans = [m.span() for m in NUMBER.finditer(text)]
        if not spans:
            return text
        start, end = draw(st.sampled_from(spans))
        value = draw(st.sampled_from([0, 1, -1, 2, 3, 7, 2**31, 2**63, -(2**63) - 1, 10**30]))
        return f"{text[:start]}{value}{text[end:]}"
    if kind == "char":
        spans = [(i, i + 1) for i in range(len(text))]
    else:
        spans = [m.span() for m in TOKEN.finditer(text)]
    if not spans:
        return text
    i = draw(st.integers(0, len(spans) - 1))
    start, end = spans[i]
    edit = draw(st.sampled_from(["delete", "duplicate", "swap"]))
    if edit == "delete":
        return text[:start] + text[end:]
    if edit == "duplicate":
        return text[:end] + text[start:end] + text[end:]
    j = draw(st.integers(0, len(spans) - 1))
    (a, b), (c, d) = sorted([spans[i], spans[j]])
    if b > c:  # overlapping spans: nothing to swap
        return text
    return text[:a] + text[c:d] + text[b:c] + text[a:b] + text[d:]


@st.composite
def damaged_programs(draw) -> str:
    text = draw(st.sampled_from(SEEDS + GENERIC_SEEDS))
    for _ in range(draw(st.integers(1, 3))):
        if not text:
            break
        text = draw(mutation(text))
    return text


def run_in_process(text: str, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    stdin = sys.stdin
    sys.stdin = io.StringIO(text)
    try:
        with (
            mock.patch.dict(os.environ, {"PELEMAY_DEBUG": ""}),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            code = driver.main(["--split-input-file", *args])
    finally:
        sys.stdin = stdin
    return code, out.getvalue(), err.getvalue()


GENERIC_SEEDS = [generic_form(seed) for seed in SEEDS]


def test_seeds_are_valid():
    for seed in SEEDS + GENERIC_SEEDS:
        code, out, err = run_in_process(seed)
        assert (code, err) == (0, ""), err
        assert "ptensor." in out


@settings(
    max_examples=500,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(text=damaged_programs(), generic=st.booleans())
def test_damaged_program_never_crashes(text: str, generic: bool):
    code, out, err = run_in_process(text, *(["--print-op-generic"] if generic else []))
    assert code in (0, 1)
    assert "Traceback" not in out + err
    assert "internal error" not in err, err
    if code == 1:
        lines = err.splitlines()
        assert lines, "exit code 1 without a diagnostic"
        assert all(
            re.match(r"<stdin>:\d+:\d+: error: ", line) for line in lines if "error:" in line
        ), err
    else:
        assert err == ""
        # Whatever was accepted prints as text that is accepted again.
        again, _, err2 = run_in_process(out)
        assert again == 0, err2
