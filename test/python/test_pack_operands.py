"""pack-operands and the packed matmul kernel: B's panels copied into a planned
arena scratch, run against the reference on the host and under qemu."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from xdsl.dialects import vector

from pelemay_ir import api, cbuild, cross, ir, machines, pipelines, reference, registry, weights
from pelemay_ir.builder import ProgramBuilder
from pelemay_ir.dialects import arm_simd, pbuf
from pelemay_ir.ir import CompileError
from pelemay_ir.machines import MACHINES
from pelemay_ir.passes.vector_cost import packed_b_shape, packs_b, panel_columns, register_block

INTEL = machines.parse_host_cpu(machines.MODELLED_HOSTS["intel-xeon-avx512"])
AMD = machines.parse_host_cpu(machines.MODELLED_HOSTS["amd-epyc-avx2"])


def _rand(rng, shape):
    return rng.standard_normal(shape).astype(np.float32)


def dense(m: int, k: int, n: int, epilogue: bool = True, seed: int = 0):
    """A @ B (+ bias, relu) with B an argument, so nothing is folded."""
    rng = np.random.default_rng(seed)
    b = ProgramBuilder("dense")
    a, w = b.argument("a", (m, k)), b.argument("w", (k, n))
    bias = b.weight("bias", _rand(rng, (n,))) if epilogue else None
    h = b.matmul(a, w)
    b.returns(b.relu(b.add(h, bias)) if bias is not None else h)
    return b.build(), [_rand(rng, (m, k)), _rand(rng, (k, n))]


def _passes(target: str, force: bool, vectorize: bool = True) -> str:
    """The pelemay-to-c passes, with pack-operands forced to pack when asked."""
    text = pipelines.pass_list("pelemay-to-c", target=target, vectorize=vectorize)
    if not vectorize:  # the scalar path keeps a packed op it does not vectorize
        text = text.replace("bufferize,", f'bufferize,pack-operands{{target="{target}"}},')
    assert "pack-operands{" in text
    return text.replace("pack-operands{", "pack-operands{force=true ") if force else text


def _lower(module, passes: str):
    ctx = ir.make_context()
    copy = module.clone()
    if weights.WEIGHTS_ATTR in module.attributes:
        weights.attach(copy, weights.blob_of(module))
    module = copy
    for p in registry.make_pipeline(passes):
        p.apply(ctx, module)
        ir.verify(module)
    return module


def _packed_stores(lowered) -> int:
    """Vector stores into a rank-3 buffer: the packing copy's, and only it writes one."""
    return sum(
        1 for op in lowered.walk()
        if isinstance(op, vector.StoreOp | arm_simd.StoreOp) and len(op.operands[1].type.get_shape()) == 3  # pyright: ignore
    )


def _close(got, want):
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6 * max(1.0, float(np.max(np.abs(w)))))


@pytest.mark.parametrize("shape", [(67, 129, 75), (256, 300, 517)], ids=lambda s: "x".join(map(str, s)))
def test_packed_matmul_with_epilogue_matches_the_reference_on_the_host(shape):
    module, inputs = dense(*shape)
    lowered = _lower(module, _passes("host", force=True))
    assert _packed_stores(lowered) > 0
    program = cbuild.compile_module(lowered, cflags=machines.machine("host").cflags)
    _close(program(*inputs), reference.evaluate(module, inputs))


def test_several_panels_with_a_narrower_last_one():
    """256x300x517 takes B's 512 full block columns in panels narrower than
    that on an AVX2 host with 512 KiB of L2."""
    shape = packed_b_shape(AMD, 256, 300, 517)
    assert shape is not None
    blocks, k, columns = shape
    full_columns = 517 - 517 % columns
    assert k == 300 and blocks * columns < full_columns and full_columns % (blocks * columns)


def test_aarch64_packed_matmul_under_qemu():
    module, inputs = dense(67, 129, 75, seed=1)
    lowered = _lower(module, _passes("aarch64", force=True))
    assert _packed_stores(lowered) > 0
    _close(cross.EmulatedProgram(lowered, "aarch64")(*inputs), reference.evaluate(module, inputs))


def test_scalar_lowering_ignores_the_scratch():
    module, inputs = dense(67, 129, 75, seed=2)
    lowered = _lower(module, _passes("host", force=True, vectorize=False))
    assert not any(op.dialect_name() == "vector" for op in lowered.walk())
    program = cbuild.compile_module(lowered, cflags=machines.machine("host").cflags)
    _close(program(*inputs), reference.evaluate(module, inputs))


@pytest.mark.parametrize("host", ["intel-xeon-avx512", "amd-epyc-avx2"])
def test_the_default_pipeline_packs_an_aliasing_b_and_plans_one_panel(tmp_path, model_host, host):
    """N = 1024 floats: B's rows are 4 KiB apart. The scratch is an arena
    buffer in the memory report, one panel of B, not the whole of it."""
    HOST = model_host(host)
    m, k, n = 64, 512, 1024
    assert packs_b(HOST, m, k, n)
    module, inputs = dense(m, k, n, seed=3)
    report = tmp_path / "plan.json"
    lowered = api.lower(module, report=str(report))
    assert _packed_stores(lowered) > 0
    buffers = {b["name"]: b for b in json.loads(report.read_text())["buffers"]}
    scratch = buffers["out.packed_b"]  # named after the matmul's output buffer: the result's
    assert scratch["first_use"] == scratch["last_use"] == 0  # the matmul is the first step
    rows, vectors = register_block(HOST, m, n)
    panel = panel_columns(HOST, k, vectors * HOST.f32_lanes)
    assert scratch["size"] == 4 * k * min(panel, n) < 4 * k * n
    assert scratch["size"] <= max(HOST.l2_bytes // 2, 4 * k * vectors * HOST.f32_lanes)
    _close(api.compile(module)(*inputs), reference.evaluate(module, inputs))


@pytest.mark.parametrize("host", [INTEL, AMD], ids=["intel-xeon-avx512", "amd-epyc-avx2"])
def test_cost_model_packs_only_where_it_pays(host):
    assert packs_b(host, 1024, 1024, 1024)
    assert not packs_b(host, 64, 784, 256)  # the MLP's first layer: rows 1 KiB apart, B stays in L2
    assert not packs_b(host, 5, 1024, 1024)  # one row block reads B once
    assert packs_b(host, 49, 512, 1024)  # MobileNet's 7x7x512 -> 1024 pointwise conv: 10 row blocks
    assert not packs_b(host, 64, 64, 8)  # no full block of columns
    for machine in MACHINES.values():
        v = machine.vectors
        if v is None:
            continue
        shape = packed_b_shape(v, 1024, 1024, 1024)
        assert shape is not None
        blocks, k, columns = shape
        assert k == 1024 and blocks * columns == panel_columns(v, 1024, columns)


def test_packing_runs_with_vectors_only():
    assert "pack-operands" in pipelines.pass_list("pelemay-to-c", target="host")
    assert "pack-operands" in pipelines.pass_list("pelemay-to-c", target="host", threads=2)
    assert "pack-operands" not in pipelines.pass_list("pelemay-to-c", target="host", vectorize=False)


def test_bad_uses_are_clear_errors(model_host):
    model_host("intel-xeon-avx512")  # its panels differ from armv7's
    module, _ = dense(67, 129, 75)
    with pytest.raises(CompileError, match="no vector unit"):
        _lower(module, "bufferize,pack-operands{target=riscv64}")
    with pytest.raises(CompileError, match="runs before plan-memory"):
        _lower(module, "bufferize,plan-memory,pack-operands")
    with pytest.raises(CompileError, match="run bufferize before pack-operands"):
        _lower(module, "pack-operands")
    with pytest.raises(CompileError, match="same target"):
        _lower(module, "bufferize,pack-operands{target=armv7 force=true},plan-memory,vectorize{target=host}")


def test_the_verifier_checks_the_scratch_shape():
    text = """
    func.func @f(%a: memref<8x16xf32>, %b: memref<16x32xf32>, %out: memref<8x32xf32>) {
      %s = pbuf.alloc {name = "s"} : memref<1x15x16xf32>
      pbuf.packed_matmul %a, %b, %s, %out : memref<8x16xf32>, memref<16x32xf32>, memref<1x15x16xf32>, memref<8x32xf32>
      func.return
    }
    """
    with pytest.raises(Exception, match="K = 16"):
        ir.verify(ir.parse(text, "bad.mlir"))
    ok = text.replace("1x15x16", "1x16x16")
    module = ir.parse(ok, "ok.mlir")
    ir.verify(module)
    packed = next(op for op in module.walk() if isinstance(op, pbuf.PackedMatmulOp))
    assert list(packed.inputs_) == [packed.lhs, packed.rhs]


PLANNED = """
func.func @f(%a: memref<67x129xf32>, %w: memref<129x75xf32>, %out: memref<67x75xf32> {pbuf.output = 0 : i64}) {
  %arena = pbuf.arena {size = 73248 : i64, alignment = 16 : i64} : memref<73248xi8>
  %s = pbuf.view %arena[0] {name = "s"} : memref<73248xi8> -> memref<1x129x64xf32>
  %h = pbuf.view %arena[33024] {name = "h"} : memref<73248xi8> -> memref<67x75xf32>
  %r = pbuf.view %arena[OFFSET] {name = "r"} : memref<73248xi8> -> memref<67x75xf32>
  pbuf.packed_matmul %a, %w, %s, %h : memref<67x129xf32>, memref<129x75xf32>, memref<1x129x64xf32>, memref<67x75xf32>
  pbuf.relu %h, %r : memref<67x75xf32>, memref<67x75xf32>
  pbuf.copy %r, %out : memref<67x75xf32>, memref<67x75xf32>
  func.return
}
"""


@pytest.mark.parametrize("offset, packs", [(0, False), (12912, False), (53136, True)])
def test_a_fused_output_on_the_scratch_bytes_leaves_b_unpacked(offset, packs, model_host):
    """The plan may put a buffer that starts after the matmul (the fused relu's)
    on the scratch's bytes; the relu then writes while the kernel still reads
    the scratch, so the kernel reads B in place instead. The plan is written
    for an AVX-512 host (panels of 64 columns)."""
    model_host("intel-xeon-avx512")
    module = ir.parse(PLANNED.replace("OFFSET", str(offset)), "planned.mlir")
    lowered = _lower(module, "verify-memory-plan,vectorize{target=host},convert-pbuf-to-loops")
    assert (_packed_stores(lowered) > 0) == packs
    rng = np.random.default_rng(4)
    a, w = _rand(rng, (67, 129)), _rand(rng, (129, 75))
    got = cbuild.compile_module(lowered, cflags=machines.machine("host").cflags)(a, w)
    _close(got, [np.maximum(a.astype(np.float64) @ w, 0).astype(np.float32)])


# --- B packed at compile time ------------------------------------------------------------


def dense_weights(m: int, k: int, n: int, seed: int = 0, save: Path | None = None):
    """relu(A @ W + bias), W and the bias weights: the shape of a dense layer or a 1x1 conv."""
    rng = np.random.default_rng(seed)
    b = ProgramBuilder("dense")
    a = b.argument("a", (m, k))
    w, bias = b.weight("w", _rand(rng, (k, n))), b.weight("bias", _rand(rng, (n,)))
    b.returns(b.relu(b.add(b.matmul(a, w), bias)))
    if save is not None:
        b.save(save)
    return b.build(), [_rand(rng, (m, k))]


def _external(target: str, force: bool = True, pack_weights: bool = True) -> str:
    text = pipelines.pass_list("pelemay-to-c", target=target, weights="external", pack_weights=pack_weights)
    return text.replace("pack-operands{", "pack-operands{force=true ") if force else text


@pytest.mark.parametrize("target", ["host", "aarch64", "armv7"])
def test_a_weight_b_is_packed_at_compile_time_into_a_file_that_keeps_only_what_is_read(target, model_host):
    """Where the kernel would copy B's panels at run time and B is a weight,
    pack-operands packs all of it into a weight of the kernel's layout: the
    generated code copies nothing, and the program's weights file holds the
    packed B instead of B (the same size here) beside the bias."""
    model_host("intel-xeon-avx512")
    module, inputs = dense_weights(40, 96, 1024, seed=4)
    lowered = _lower(module, _external(target))
    assert weights.derived(lowered) and not weights.derived(module)
    assert _packed_stores(lowered) == 0
    assert len(weights.blob_of(lowered)) == len(weights.blob_of(module))
    want = reference.evaluate(module, inputs)
    if target == "host":
        _close(cbuild.compile_module(lowered, cflags=machines.machine("host").cflags)(*inputs), want)
    else:
        _close(cross.EmulatedProgram(lowered, target)(*inputs), want)
    kept = _lower(module, _external(target, pack_weights=False))
    assert not weights.derived(kept) and _packed_stores(kept) > 0


def test_a_weight_read_elsewhere_too_stays_in_the_file_and_is_packed_once(model_host):
    model_host("intel-xeon-avx512")
    rng = np.random.default_rng(5)
    b = ProgramBuilder("twice")
    x, y = b.argument("x", (40, 64)), b.argument("y", (24, 64))
    w = b.weight("w", _rand(rng, (64, 256)))
    b.returns(b.matmul(x, w), b.matmul(y, w), b.relu(w))
    module = b.build()
    inputs = [_rand(rng, (40, 64)), _rand(rng, (24, 64))]
    lowered = _lower(module, _external("host"))
    assert weights.derived(lowered) and _packed_stores(lowered) == 0
    assert len(weights.blob_of(lowered)) == 2 * 64 * 256 * 4  # W for the relu, and one packed copy
    got = cbuild.compile_module(lowered, cflags=machines.machine("host").cflags)(*inputs)
    _close(got, reference.evaluate(module, inputs))


def test_the_driver_writes_the_programs_weights_beside_its_output(tmp_path, capsys):
    """On aarch64 a 96 x 512 by 512 x 1024 product packs B (rows 4 KiB apart):
    `-o out/m.c` writes out/m.weights, the file the header's size describes;
    without -o there is nowhere to write it, which is an error."""
    from pelemay_ir import driver

    model = tmp_path / "dense.mlir"
    module, _ = dense_weights(96, 512, 1024, save=model)
    assert packs_b(MACHINES["aarch64"].vectors, 96, 512, 1024)
    out = tmp_path / "out" / "m.c"
    out.parent.mkdir()
    pipeline = "pelemay-to-c{target=aarch64 weights=external}"
    assert driver.main([str(model), "-p", pipeline, "-t", "c", "-o", str(out)]) == 0
    written = (tmp_path / "out" / "m.weights").read_bytes()
    assert written == bytes(weights.blob_of(api.lower(model, target="aarch64", weights="external")))
    assert written != (tmp_path / "dense.weights").read_bytes()
    assert f"#define DENSE_WEIGHTS_BYTES {len(written)}" in (tmp_path / "out" / "m.h").read_text()
    capsys.readouterr()
    assert driver.main([str(model), "-p", pipeline, "-t", "c"]) == 1
    assert "give -o" in capsys.readouterr().err
    assert driver.main([str(model), "-p", pipeline[:-1] + " pack-weights=false}", "-t", "c"]) == 0
