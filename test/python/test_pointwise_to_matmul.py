"""pointwise-to-matmul: large 1x1 convs run on the matmul kernel, with the
same results as the reference, on the host and under qemu, and their
filters stored once."""

from __future__ import annotations

import numpy as np
import pytest
from xdsl.dialects import scf

from pelemay_ir import api, reference, run
from pelemay_ir.builder import ProgramBuilder
from pelemay_ir.targets import c

pytestmark = pytest.mark.usefixtures("private_cache")


def pointwise(pixels: int, channels: int, features: int, bias: bool = True):
    """A 1x1 conv (+ bias) + ReLU6 whose filter is `channels` x `features` floats."""
    rng = np.random.default_rng(7)
    b = ProgramBuilder("pw")
    x = b.argument("x", (1, pixels, pixels, channels))
    w = b.weight("w", rng.standard_normal((1, 1, channels, features)).astype(np.float32) / channels**0.5)
    y = b.conv2d(x, w)
    if bias:
        y = b.add(y, b.weight("b", rng.standard_normal(features).astype(np.float32)))
    b.returns(b.relu6(y))
    return b.build()


def sources(lowered) -> list[str]:
    return [op.attributes["pelemay.source"].data for op in lowered.walk()
            if isinstance(op, scf.ForOp) and "pelemay.source" in op.attributes]


def assert_equals_reference(module, **options) -> None:
    inputs = run.random_inputs(reference.entry_function(module), seed=5)
    got = api.compile(module, **options)(*inputs)
    want = reference.evaluate(module, inputs)
    for g, w in zip(got, want):
        error, ok = run.compare(g, w)
        assert ok, f"max abs error {error}"


def test_a_filter_larger_than_half_the_l2_runs_on_the_matmul_kernel():
    # aarch64: 512 KiB L2. 384 x 512 floats (768 KiB) goes, 256 x 256 (256 KiB) stays.
    assert sources(api.lower(pointwise(7, 384, 512), target="aarch64"))[0].startswith("ptensor.matmul")
    assert sources(api.lower(pointwise(7, 256, 256), target="aarch64"))[0].startswith("ptensor.conv2d")
    # the scalar pipeline keeps every conv
    assert sources(api.lower(pointwise(7, 384, 512), target="aarch64", vectorize=False))[0].startswith("ptensor.conv2d")


def test_short_rows_run_on_the_matmul_kernel_off_neon(model_host):
    """With 32 registers of 16 lanes the conv kernel blocks 5 pixels of an
    output row: a 7x7 or 14x14 image leaves a narrow block of 2 or 4 pixels
    per row, so off NEON such a pointwise conv becomes a matmul over all 49
    or 196 pixels, its bias and ReLU6 fused; 28x28 (3 left of 28) and
    channels that are not whole vectors stay convs, and so does every small
    filter on NEON and with 16 registers of 8 lanes (blocks of 3 pixels: 1
    left of 7, 2 of 14)."""
    model_host("intel-xeon-avx512")
    assert sources(api.lower(pointwise(7, 64, 64)))[0] == "ptensor.matmul+ptensor.add+ptensor.relu6"
    assert sources(api.lower(pointwise(14, 32, 64)))[0].startswith("ptensor.matmul")
    assert sources(api.lower(pointwise(28, 32, 64)))[0].startswith("ptensor.conv2d")
    assert sources(api.lower(pointwise(7, 64, 24)))[0].startswith("ptensor.conv2d")
    assert sources(api.lower(pointwise(7, 64, 64), target="aarch64"))[0].startswith("ptensor.conv2d")
    assert_equals_reference(pointwise(7, 64, 64))
    assert_equals_reference(pointwise(14, 32, 64, bias=False))
    model_host("amd-epyc-avx2")
    assert sources(api.lower(pointwise(7, 64, 64)))[0].startswith("ptensor.conv2d")
    assert sources(api.lower(pointwise(14, 64, 64)))[0].startswith("ptensor.conv2d")


def test_the_matmul_fuses_bias_and_relu6():
    lowered = api.lower(pointwise(7, 384, 512), target="aarch64")
    assert sources(lowered)[0] == "ptensor.matmul+ptensor.add+ptensor.relu6"


@pytest.mark.parametrize("bias", [True, False])
def test_results_equal_the_reference_on_the_host(bias):
    # 7x7 pixels (a tail of the 8-row blocks), a filter of 4 MiB: larger than half any host L2
    assert_equals_reference(pointwise(7, 1024, 1024, bias))


def test_results_equal_the_reference_under_qemu():
    assert_equals_reference(pointwise(5, 384, 520), target="aarch64")


def test_the_filter_is_stored_once():
    """Embedded weights: the filter is kept in the shape the matmul reads, not twice."""
    _, source = c.emit_c(api.lower(pointwise(7, 1024, 1024), target="aarch64"))
    assert source.count("static const float") == 2  # the filter and the bias
    assert "[1048576]" in source
