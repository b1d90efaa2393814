"""vectorize: every vector kernel, with tails and fused epilogues, run against
the reference on the host and (C and LLVM) on the NEON machines under qemu."""

from __future__ import annotations

import numpy as np
import pytest
from xdsl.dialects import vector
from xdsl.dialects.builtin import StringAttr

from pelemay_ir import api, reference
from pelemay_ir.builder import ProgramBuilder
from pelemay_ir.dialects import pbuf
from pelemay_ir.ir import CompileError
from pelemay_ir.machines import MACHINES
from pelemay_ir.passes.convert_pbuf_to_loops import SOURCE_ATTR
from pelemay_ir.passes.vector_cost import panel_columns, register_block

NEON = ["aarch64", "armv7", "armv7-a8"]


def _rand(rng, shape):
    return rng.standard_normal(shape).astype(np.float32)


def matmul_epilogue(rng):
    b = ProgramBuilder("mm")
    a = b.argument("a", (13, 67))
    w = b.weight("w", _rand(rng, (67, 61)))
    bias = b.weight("bias", _rand(rng, (61,)))
    b.returns(b.relu(b.add(b.matmul(a, w), bias)))
    return b.build(), [_rand(rng, (13, 67))]


def matvec(rng):
    b = ProgramBuilder("mv")
    a = b.argument("a", (1, 37))
    b.returns(b.matmul(a, b.weight("w", _rand(rng, (37, 45)))))
    return b.build(), [_rand(rng, (1, 37))]


def batched_matmul(rng):
    b = ProgramBuilder("bmm")
    a = b.argument("a", (2, 5, 9))
    b.returns(b.matmul(a, b.argument("w", (1, 9, 19))))
    return b.build(), [_rand(rng, (2, 5, 9)), _rand(rng, (1, 9, 19))]


def chain(rng):
    b = ProgramBuilder("chain")
    x, y, z = b.argument("x", (3, 37)), b.argument("y", (3, 37)), b.argument("z", (37,))
    s = b.argument("s", (3, 1))
    b.returns(b.sub(b.mul(b.relu(b.add(b.mul(x, y), z)), s), x))
    return b.build(), [_rand(rng, (3, 37)), _rand(rng, (3, 37)), _rand(rng, (37,)), _rand(rng, (3, 1))]


def conv(rng):
    b = ProgramBuilder("conv")
    x = b.argument("x", (1, 9, 11, 5))
    w, bias = b.weight("w", _rand(rng, (3, 3, 5, 19))), b.weight("b", _rand(rng, (19,)))
    b.returns(b.relu6(b.conv2d(x, w, bias, strides=(1, 2), padding=(1, 1, 1, 1))))
    return b.build(), [_rand(rng, (1, 9, 11, 5))]


def conv_dilated_residual(rng):
    b = ProgramBuilder("res")
    x = b.argument("x", (1, 10, 13, 8))
    y = b.conv2d(x, b.weight("w", _rand(rng, (3, 3, 8, 8))), dilations=(2, 1), padding=(2, 2, 1, 1))
    b.returns(b.relu(b.add(y, x)))
    return b.build(), [_rand(rng, (1, 10, 13, 8))]


def big_filter(rng):
    """Filters over half the L2 cache take the channels-outer loop order."""
    b = ProgramBuilder("big")
    x = b.argument("x", (1, 4, 6, 128))
    w, bias = b.weight("w", _rand(rng, (3, 3, 128, 130))), b.weight("b", _rand(rng, (130,)))
    b.returns(b.relu(b.conv2d(x, w, bias, padding=(1, 1, 1, 1))))
    return b.build(), [_rand(rng, (1, 4, 6, 128))]


def depthwise(rng):
    b = ProgramBuilder("dw")
    x = b.argument("x", (1, 9, 11, 21))
    w, bias = b.weight("w", _rand(rng, (3, 3, 1, 21))), b.weight("b", _rand(rng, (21,)))
    b.returns(b.conv2d(x, w, bias, strides=(2, 2), padding=(1, 1, 1, 1), groups=21))
    return b.build(), [_rand(rng, (1, 9, 11, 21))]


def pooling(rng):
    b = ProgramBuilder("pool")
    x = b.argument("x", (1, 9, 11, 21))
    b.returns(
        b.max_pool2d(x, (3, 3), strides=(2, 2), padding=(1, 1, 1, 1)),
        b.avg_pool2d(x, (2, 3), strides=(2, 2), padding=(0, 1, 1, 0)),
    )
    return b.build(), [_rand(rng, (1, 9, 11, 21))]


def reductions(rng):
    b = ProgramBuilder("red")
    x = b.argument("x", (2, 5, 7, 19))
    b.returns(
        b.reduce_sum(x, [3]), b.reduce_max(x, [1, 3], keepdims=True), b.reduce_mean(x, [1, 2]),
        b.reduce_min(x, [0, 2]), b.softmax(x),
    )
    return b.build(), [_rand(rng, (2, 5, 7, 19))]


def softmax_wide_range(rng):
    """exp's whole range: differences to the row's max down to -120 (past
    where f32 exp underflows), -inf entries, and rows of 181: on 16 lanes
    two steps of four exps side by side, three single vectors and a tail."""
    b = ProgramBuilder("sm")
    x = b.argument("x", (5, 181))
    b.returns(b.softmax(x))
    data = rng.uniform(-120.0, 0.0, (5, 181)).astype(np.float32)
    data[:, 7] = 0.0
    data[1, [3, 150, 180]] = -np.inf
    data[2] = rng.uniform(-2.0, 2.0, 181)
    return b.build(), [data]


KERNELS = [
    reductions, softmax_wide_range, matmul_epilogue, matvec, batched_matmul, chain, conv, conv_dilated_residual, big_filter,
    depthwise, pooling,
]


def _check(module, inputs, target="host", emit="c", vectorize=True):
    want = reference.evaluate(module, inputs)
    got = api.compile(module, target=target, emit=emit, vectorize=vectorize)(*inputs)
    for g, w in zip(got, want):
        # Sums taken in another order differ by rounding, which scales with the outputs' size.
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6 * max(1.0, float(np.max(np.abs(w)))))


@pytest.mark.parametrize("make", KERNELS, ids=lambda f: f.__name__)
def test_host_kernels_match_the_reference(make):
    module, inputs = make(np.random.default_rng(1))
    _check(module, inputs)


@pytest.mark.parametrize("emit", ["c", "llvm"])
def test_softmax_exp_is_within_a_few_units_in_the_last_place(emit):
    """The vector exp (passes/vector_math.py) against float64: each softmax
    output within 8 ulp, a bound a cruder polynomial or a wrong 2^n misses."""
    module, (x,) = softmax_wide_range(np.random.default_rng(3))
    (got,) = api.compile(module, emit=emit)(x)
    wide = np.exp(x.astype(np.float64) - x.max(axis=1, keepdims=True).astype(np.float64))
    want = wide / wide.sum(axis=1, keepdims=True)
    normal = want > 1e-30
    error = np.abs(got[normal] - want[normal]) / want[normal]
    assert error.max() <= 8 * 2.0**-24
    # below f32 exp's normal range: 2^-126 * exp(r) in place of a subnormal
    assert np.all(np.abs(got[~normal] - want[~normal]) <= 8 * 2.0**-24 * want[~normal] + 1.2e-38)


@pytest.mark.parametrize("machine", NEON)
@pytest.mark.parametrize("make", [matmul_epilogue, conv, depthwise, chain, softmax_wide_range], ids=lambda f: f.__name__)
def test_neon_kernels_under_qemu(machine, make):
    module, inputs = make(np.random.default_rng(2))
    _check(module, inputs, target=machine)


@pytest.mark.parametrize("target,emit", [("host", "c"), ("host", "llvm"), ("aarch64", "c"), ("armv7", "c")])
def test_softmax_rows_with_nan_infinities_and_signed_zeros_match_the_reference(target, emit):
    """Softmax's shift drops a lane's NaN or a zero's sign (legalize's loose
    maximumf): a NaN anywhere in a row still makes the whole row NaN, as the
    reference's maximumf does, and so do +inf and a row of -inf; zeros of
    either sign give the same outputs."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((6, 37)).astype(np.float32)
    x[0, 5] = np.nan
    x[1, 36] = np.nan  # in the scalar tail
    x[2, 20] = np.inf
    x[3] = -np.inf
    x[4, ::2], x[4, 1::2] = -0.0, 0.0
    b = ProgramBuilder("sm")
    b.returns(b.softmax(b.argument("x", (6, 37))))
    module = b.build()
    (want,) = reference.evaluate(module, [x])
    (got,) = api.compile(module, target=target, emit=emit)(x)
    assert np.isnan(want[:4]).all() and not np.isnan(want[4:]).any()
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got[4:], want[4:], rtol=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("machine", NEON)
@pytest.mark.parametrize("emit", ["c", "llvm"])
@pytest.mark.parametrize("make", KERNELS, ids=lambda f: f.__name__)
def test_every_kernel_on_every_neon_machine(machine, emit, make):
    module, inputs = make(np.random.default_rng(3))
    _check(module, inputs, target=machine, emit=emit)


def test_epilogue_is_fused_and_its_buffer_disappears():
    module, _ = matmul_epilogue(np.random.default_rng(0))
    lowered = api.lower(module, vectorize=True)
    sources = [op.attributes[SOURCE_ATTR].data for op in lowered.walk() if SOURCE_ATTR in op.attributes]  # pyright: ignore
    assert sources == ["ptensor.matmul+ptensor.add+ptensor.relu"]
    assert any(isinstance(op, vector.FMAOp) for op in lowered.walk())
    assert not any(isinstance(op, pbuf.ViewOp) for op in lowered.walk())


def test_fused_epilogue_may_read_a_weight_made_after_the_producer():
    """The fused kernel goes where the last fused op was, after every buffer
    the epilogue reads is defined."""
    rng = np.random.default_rng(4)
    b = ProgramBuilder("late")
    a = b.argument("a", (13, 67))
    product = b.matmul(a, b.weight("w", _rand(rng, (67, 61))))
    bias = b.weight("bias", _rand(rng, (61,)))
    b.returns(b.relu(b.add(product, bias)))
    module = b.build()
    lowered = api.lower(module)
    assert any(op.attributes.get(SOURCE_ATTR) == StringAttr("ptensor.matmul+ptensor.add+ptensor.relu")
               for op in lowered.walk())
    _check(module, [_rand(rng, (13, 67))])


def test_no_fusion_when_the_intermediate_is_read_again():
    b = ProgramBuilder("two")
    x = b.argument("x", (4, 32))
    h = b.mul(x, x)
    b.returns(b.relu(h), b.add(h, x))
    module = b.build()
    lowered = api.lower(module, vectorize=True)
    sources = sorted(op.attributes[SOURCE_ATTR].data for op in lowered.walk() if SOURCE_ATTR in op.attributes)  # pyright: ignore
    assert "ptensor.mul" in sources  # h is written: two ops read it
    x_value = np.random.default_rng(0).standard_normal((4, 32)).astype(np.float32)
    _check(module, [x_value])


def test_scalar_path_stays_available():
    module, inputs = conv(np.random.default_rng(0))
    lowered = api.lower(module, vectorize=False)
    assert not any(op.dialect_name() == "vector" for op in lowered.walk())
    _check(module, inputs, vectorize=False)


def test_machines_without_a_vector_unit_refuse_vectorize():
    module, _ = chain(np.random.default_rng(0))
    for target in ("riscv64", "cortex-m4"):
        with pytest.raises(CompileError, match="no vector unit"):
            api.lower(module, target=target, vectorize=True)


def test_cost_model_fits_the_register_file():
    for m in MACHINES.values():
        if m.vectors is None:
            continue
        v = m.vectors
        for rows_out, columns in [(1, 256), (64, 256), (512, 512), (7, 5), (100, 12)]:
            rows, vecs = register_block(v, rows_out, columns)
            assert rows * vecs + vecs + 1 <= v.registers - v.registers // 8
            assert rows <= max(1, rows_out) and vecs <= max(1, columns // v.f32_lanes)
        panel = panel_columns(v, 1024, 64)
        assert panel % 64 == 0 and (panel == 64 or panel * 1024 * 4 <= v.l2_bytes // 2)
    armv7 = MACHINES["armv7"].vectors
    assert armv7 is not None and register_block(armv7, 512, 512) == (3, 3)


def test_avx512_matmul_blocks_take_the_broadcast_from_memory(model_host):
    """On AVX-512 the matmul's multiply-add reads A's broadcast element from
    memory, so its block has a register more: 6 rows x 4 vectors (24
    accumulators and 4 of B in 28 registers), and so has the conv kernel's;
    AVX2 and NEON keep one for the broadcast."""
    from pelemay_ir.passes.vector_cost import matmul_block

    avx512 = model_host("intel-xeon-avx512")
    assert matmul_block(avx512, 64, 256) == (6, 4)
    assert register_block(avx512, 64, 256, by_lane=True) == (5, 4)
    assert matmul_block(model_host("amd-epyc-avx2"), 64, 256) == (3, 3)
    assert matmul_block(MACHINES["aarch64"].vectors, 64, 256) == register_block(
        MACHINES["aarch64"].vectors, 64, 256, by_lane=True)
    model_host("intel-xeon-avx512")
    module, inputs = matmul_epilogue(np.random.default_rng(11))
    _check(module, inputs)


def test_narrow_rows_take_narrower_vectors(model_host):
    from pelemay_ir.passes.vector_cost import lanes_for

    host = model_host("intel-xeon-avx512")
    widest = host.f32_lanes
    assert lanes_for(host, 1000) == widest
    assert lanes_for(host, 6) == 4 and lanes_for(host, 3) == 4
    b = ProgramBuilder("narrow")
    x = b.argument("x", (1, 8, 8, 1))
    b.returns(b.relu(b.conv2d(x, b.weight("w", np.ones((5, 5, 1, 6), np.float32)), padding=(2, 2, 2, 2))))
    lowered = api.lower(b.build(), vectorize=True)
    widths = {op.results[0].type.get_shape()[0] for op in lowered.walk() if isinstance(op, vector.LoadOp)}  # pyright: ignore
    assert widths == {4}



@pytest.mark.parametrize("target", ["host", "aarch64"])
def test_the_last_columns_take_one_vector_block_ending_at_the_last_column(target):
    """61 columns: after the vector blocks, the last few columns are reached
    by one more vector block that ends at column 60 (recomputing a few
    columns already stored), not by scalar columns; results are the
    reference's."""
    module, inputs = matmul_epilogue(np.random.default_rng(6))
    lowered = api.lower(module, target=target)
    assert not any(op.name == "memref.store" for op in lowered.walk())
    _check(module, inputs, target=target)


@pytest.mark.parametrize("c_in", [1, 3])
@pytest.mark.parametrize("target", ["aarch64", "armv7"])
def test_channel_tails_take_one_overlapping_vector_block_on_neon(target, c_in):
    """6 channels: a vector block of channels 0..3, then one of 2..5 (2 and 3
    computed twice, to the same values), not two scalar channels; likewise
    the max pool after it. The filter rows of 5 x c_in taps and channels are
    unrolled for the inside pixels (aarch64; armv7 for one channel)."""
    rng = np.random.default_rng(7)
    b = ProgramBuilder("tail")
    x = b.argument("x", (1, 10, 10, c_in))
    y = b.relu(b.conv2d(x, b.weight("w", _rand(rng, (5, 5, c_in, 6))), b.weight("b", _rand(rng, (6,))),
                        padding=(2, 2, 2, 2)))
    b.returns(b.max_pool2d(y, (2, 2), strides=(2, 2)))
    module = b.build()
    lowered = api.lower(module, target=target, vectorize=True)
    assert not any(op.name == "memref.store" for op in lowered.walk())
    _check(module, [_rand(rng, (1, 10, 10, c_in))], target=target)


@pytest.mark.parametrize("host", ["intel-xeon-avx512", "amd-epyc-avx2"])
@pytest.mark.parametrize("kernel", [(1, 1), (3, 3)])
def test_conv_channel_tails_join_the_last_register_block_off_neon(model_host, host, kernel):
    """20 output channels (a vector and a quarter on 16 lanes, two and a half
    on 8): the last vector ends at channel 19 inside the last register block
    (recomputing a few channels to the same values), so no channel is stored
    as a scalar; results are the reference's, fused bias and relu6 included."""
    model_host(host)
    rng = np.random.default_rng(9)
    kh, kw = kernel
    b = ProgramBuilder("ragged")
    x = b.argument("x", (1, 7, 13, 6))
    y = b.conv2d(x, b.weight("w", _rand(rng, (kh, kw, 6, 20))), b.weight("b", _rand(rng, (20,))),
                 padding=(kh // 2, kh // 2, kw // 2, kw // 2))
    b.returns(b.relu6(y))
    module = b.build()
    lowered = api.lower(module, vectorize=True)
    assert not any(op.name == "memref.store" for op in lowered.walk())
    _check(module, [_rand(rng, (1, 7, 13, 6))])


@pytest.mark.parametrize("stride", [1, 2])
def test_depthwise_keeps_its_taps_in_registers_off_neon(model_host, stride):
    """An image that fits half the L2: each block of 16-lane channel vectors
    sweeps the inside of the image with its 3x3 taps in registers (40
    channels: blocks of two vectors, then the last 8 channels); the border
    pixels and the fused ReLU6 as before."""
    model_host("intel-xeon-avx512")
    rng = np.random.default_rng(10)
    b = ProgramBuilder("dw_stationary")
    x = b.argument("x", (1, 10, 12, 40))
    y = b.conv2d(x, b.weight("w", _rand(rng, (3, 3, 1, 40))), b.weight("b", _rand(rng, (40,))),
                 strides=(stride, stride), padding=(1, 1, 1, 1), groups=40)
    b.returns(b.relu6(y))
    _check(b.build(), [_rand(rng, (1, 10, 12, 40))])


@pytest.mark.parametrize("target", ["aarch64", "armv7"])
def test_matmul_and_conv_multiply_by_lane_where_the_machine_can(target):
    """AArch64's kernels load four reduction elements of the left operand as
    one vector and use its lanes (arm_simd.get_lane into the multiply-add: an
    fmla by element); ARMv7 has no fused multiply-add by lane and broadcasts
    each from memory."""
    for make in (matmul_epilogue, conv):
        module, inputs = make(np.random.default_rng(8))
        lowered = api.lower(module, target=target, vectorize=True)
        lanes = [op for op in lowered.walk() if op.name == "arm_simd.get_lane"]
        assert bool(lanes) == (target == "aarch64")
        _check(module, inputs, target=target)
