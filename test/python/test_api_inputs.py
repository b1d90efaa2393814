"""`pelemay_ir.compile`'s callable refuses wrong inputs with the same
exception type and message wherever the program runs: ctypes on the host and
the harness under qemu-user share one check (`cbuild.check_inputs`)."""

from __future__ import annotations

import numpy as np
import pytest

import pelemay_ir
from pelemay_ir import ir

PROGRAM = """\
func.func @f(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = ptensor.relu %x : tensor<2x3xf32>
  func.return %0 : tensor<2x3xf32>
}
"""

# (the call's inputs, the exception type, its message as a regex)
MISTAKES = [
    ((np.ones((2, 3)),), TypeError, r"input 0 \('x'\) must have dtype float32, got float64"),
    (([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]],), TypeError, r"input 0 \('x'\) must be a NumPy array, got list"),
    ((np.ones((3, 2), np.float32),), ValueError, r"input 0 \('x'\) must have shape \(2, 3\), got \(3, 2\)"),
    ((np.ones((2, 3), np.float32),) * 2, TypeError, r"takes 1 inputs, got 2"),
    ((), TypeError, r"takes 1 inputs, got 0"),
]


@pytest.fixture(scope="module", params=["host", "aarch64"])
def program(request):
    return pelemay_ir.compile(ir.parse(PROGRAM), target=request.param)


@pytest.mark.parametrize("inputs,error,message", MISTAKES, ids=["dtype", "list", "shape", "too-many", "none"])
def test_same_mistake_same_exception(program, inputs, error, message):
    with pytest.raises(error, match=message) as raised:
        program(*inputs)
    assert type(raised.value) is error


def test_right_inputs_still_run(program):
    x = np.array([[-1, 2, -3], [4, -5, 6]], np.float32)
    np.testing.assert_array_equal(program(x)[0], np.maximum(x, 0))
