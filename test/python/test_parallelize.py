"""parallelize{threads=N} and the C target's threaded loops: which loops get
marked, results equal to the reference with 2 and 3 threads, and a
ThreadSanitizer run that finds no race (and does find one where there is)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from xdsl.context import Context
from xdsl.dialects import arith, scf
from xdsl.dialects.builtin import IntegerAttr, i64

from pelemay_ir import api, cbuild, ir, llvmbuild, pipelines, reference, run
from pelemay_ir.builder import ProgramBuilder
from pelemay_ir.passes.parallelize import PARALLEL_ATTR, ParallelizePass
from pelemay_ir.targets import abi, c, c_harness, llvm

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TSAN_FLAGS = ("-fsanitize=thread", "-g", "-pthread")


pytestmark = pytest.mark.usefixtures("private_cache")


@pytest.fixture(autouse=True)
def xeon_host(model_host):
    """Block sizes and packing follow the host's vector unit and L2: these
    tests model an AVX-512 Xeon whatever machine runs them."""
    model_host("intel-xeon-avx512")


def matmul(m: int, k: int, n: int):
    b = ProgramBuilder("mm")
    x, y = b.argument("a", (m, k), "f32"), b.argument("b", (k, n), "f32")
    b.returns(b.matmul(x, y))
    return b.build()


def conv():
    rng = np.random.default_rng(1)
    b = ProgramBuilder("cv")
    x = b.argument("x", (1, 20, 20, 8), "f32")
    w = b.weight("w", rng.standard_normal((3, 3, 8, 16)).astype(np.float32))
    b.returns(b.relu(b.conv2d(x, w, padding=(1, 1, 1, 1))))
    return b.build()


def elementwise():
    b = ProgramBuilder("ew")
    x, y = b.argument("x", (256, 256), "f32"), b.argument("y", (256, 256), "f32")
    b.returns(b.relu(b.add(x, y)))
    return b.build()


def marked(module) -> list[scf.ForOp]:
    return [op for op in module.walk() if isinstance(op, scf.ForOp) and PARALLEL_ATTR in op.attributes]


def bounds(loop: scf.ForOp) -> tuple[int, ...]:
    constants = [v.owner for v in (loop.lb, loop.ub, loop.step)]
    assert all(isinstance(c, arith.ConstantOp) for c in constants)
    return tuple(c.value.value.data for c in constants)  # pyright: ignore[reportAttributeAccessIssue]


def random_inputs(module) -> list[np.ndarray]:
    return run.random_inputs(reference.entry_function(module), seed=3)


def check_against_reference(module, threads: int, **options) -> None:
    inputs = random_inputs(module)
    got = api.compile(module, threads=threads, **{"min_work": 0, **options})(*inputs)
    want = reference.evaluate(module, inputs)
    for g, w in zip(got, want):
        error, ok = run.compare(g, w)
        assert ok, f"max abs error {error} with {threads} threads"


# --- which loops are marked -----------------------------------------------------------------


def test_matmul_row_blocks_are_marked():
    lowered = api.lower(matmul(67, 61, 53), threads=2, min_work=0)
    loops = marked(lowered)
    # the register-blocked row loop (8 rows a step) of the main block and of the column tail
    assert loops and all(bounds(loop)[2] > 1 for loop in loops)
    assert all(loop.attributes[PARALLEL_ATTR].value.data == 2 for loop in loops)
    scalar = marked(api.lower(matmul(67, 61, 53), vectorize=False, threads=3, min_work=0))
    assert [bounds(loop) for loop in scalar] == [(0, 67, 1)]


def test_packed_matmul_splits_each_panel():
    """The panel loop shares the packing scratch and stays sequential; inside
    it the packing copy and the row blocks run on the threads."""
    loops = marked(api.lower(matmul(1024, 1024, 1024), threads=2, min_work=0))
    assert len(loops) == 2
    for loop in loops:
        panel = loop.parent_op()
        assert isinstance(panel, scf.ForOp) and PARALLEL_ATTR not in panel.attributes
        lb, ub, step = bounds(panel)
        assert (lb, ub) == (0, 1024) and step > 1
    rows = bounds(loops[1])
    assert rows[0] == 0 and rows[2] > 1  # the row blocks


def test_packed_matmul_on_threads_matches_the_reference():
    check_against_reference(matmul(256, 512, 1024), threads=2)


def test_conv_and_elementwise_rows_are_marked():
    for vectorize in (True, False):
        lowered = api.lower(conv(), vectorize=vectorize, threads=2, min_work=0)
        nests = {op.attributes["pelemay.source"].data: [bounds(loop) for loop in marked(op)]
                 for op in lowered.walk() if isinstance(op, scf.ForOp) and "pelemay.source" in op.attributes}
        # output rows (oy); the scalar lowering applies the relu in a nest of its own
        want = {"ptensor.conv2d+ptensor.relu": [(0, 20, 1)]} if vectorize else \
            {"ptensor.conv2d": [(0, 20, 1)], "ptensor.relu": [(0, 20, 1)]}
        assert nests == want
        loops = marked(api.lower(elementwise(), vectorize=vectorize, threads=2, min_work=0))
        assert loops and bounds(loops[0])[:2] == (0, 256)


def test_mobilenet_heavy_nests_are_marked():
    lowered = api.lower(EXAMPLES / "mobilenet_v1.mlir", threads=2, min_work=0)
    nests = [op for op in lowered.walk() if isinstance(op, scf.ForOp) and "pelemay.source" in op.attributes]
    convs = [n for n in nests if n.attributes["pelemay.source"].data.startswith("ptensor.conv2d")]
    matmuls = [n for n in nests if n.attributes["pelemay.source"].data.startswith("ptensor.matmul")]
    # 1 stem + 13 depthwise + 13 pointwise (the largest run as matmuls) + the classifier
    assert len(convs) + len(matmuls) == 28 and len(matmuls) >= 1
    unmarked = [n for n in convs if not marked(n)]
    # only the smallest layer (7x7, one depthwise 3x3 of 1024 channels split into tiny rows) may stay
    assert len(unmarked) <= 1
    assert all(marked(n) for n in matmuls)


LOOPS = """func.func @loops(%x: memref<8192xf32>, %o1: memref<8192xf32>, %o2: memref<8192xf32>, %o3: memref<8192xf32>, %o4: memref<8192xf32>, %o5: memref<8192xf32>) attributes {pelemay.entry, pelemay.num_inputs = 1 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = arith.constant 8192 : index
  %one = arith.constant 1.0 : f32
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %x[%i] : memref<8192xf32>
    %w = arith.addf %v, %one : f32
    memref.store %w, %o1[%i] : memref<8192xf32>
  }
  scf.for %i = %c1 to %n step %c1 {
    %p = arith.subi %i, %c1 : index
    %v = memref.load %o2[%p] : memref<8192xf32>
    %w = arith.addf %v, %one : f32
    memref.store %w, %o2[%i] : memref<8192xf32>
  }
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %x[%i] : memref<8192xf32>
    %s = memref.load %o3[%c0] : memref<8192xf32>
    %w = arith.addf %v, %s : f32
    memref.store %w, %o3[%c0] : memref<8192xf32>
  }
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %o4[%i] : memref<8192xf32>
    %w = arith.addf %v, %one : f32
    %u = arith.mulf %w, %w : f32
    memref.store %u, %o4[%i] : memref<8192xf32>
  }
  %last = arith.constant 8191 : index
  scf.for %i = %c0 to %last step %c1 {
    %q = arith.addi %i, %c1 : index
    %v = memref.load %o5[%q] : memref<8192xf32>
    %w = arith.addf %v, %one : f32
    memref.store %w, %o5[%i] : memref<8192xf32>
  }
  func.return
}
"""


def test_small_programs_stay_sequential_by_default():
    """Waking the kept threads costs tens of microseconds: a function whose
    parallel loops do less than min-work statements in all keeps none of its marks."""
    assert not marked(api.lower(matmul(67, 61, 53), threads=2))
    assert marked(api.lower(matmul(67, 61, 53), threads=2, min_work=0))
    assert marked(api.lower(conv(), threads=2, min_work=10_000))
    assert not marked(api.lower(conv(), threads=2, min_work=10**9))
    assert "parallelize{threads=2 min-work=0}" in pipelines.pass_list("pelemay-to-c", threads=2, min_work=0)
    assert "min-work" not in pipelines.pass_list("pelemay-to-c", threads=2)


def test_only_independent_loops_are_marked():
    module = ir.parse(LOOPS, "loops.mlir")
    ParallelizePass(threads=2, min_work=0).apply(Context(), module)
    loops = [op for op in module.body.block.first_op.body.block.ops if isinstance(op, scf.ForOp)]
    assert [PARALLEL_ATTR in loop.attributes for loop in loops] == [
        True,  # o1[i] = x[i] + 1
        False,  # o2[i] = o2[i - 1] + 1: reads what the previous iteration wrote
        False,  # o3[0] += x[i]: every iteration writes the same element
        True,  # o4[i] = f(o4[i]): in place, each iteration its own element
        False,  # o5[i] = o5[i + 1] + 1: reads what the next iteration overwrites
    ]


VIEWS = """func.func @v(%x: memref<64xf32>, %arena: memref<16384xi8>) attributes {pelemay.entry, pelemay.num_inputs = 1 : i64, pelemay.arena_bytes = 16384 : i64, pelemay.arena_align = 16 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %at = arith.constant OFFSET : index
  %n = arith.constant 2047 : index
  %a = memref.view %arena[%c0][] : memref<16384xi8> to memref<2048xf32>
  %b = memref.view %arena[%at][] : memref<16384xi8> to memref<2048xf32>
  scf.for %i = %c0 to %n step %c1 {
    %q = arith.addi %i, %c1 : index
    %v = memref.load %b[%q] : memref<2048xf32>
    %w = arith.addf %v, %v : f32
    %u = arith.mulf %w, %v : f32
    %t = arith.mulf %u, %v : f32
    %s = arith.mulf %t, %v : f32
    %r = arith.mulf %s, %v : f32
    %z = arith.mulf %r, %v : f32
    memref.store %z, %a[%i] : memref<2048xf32>
  }
  func.return
}
"""


def test_views_of_the_same_bytes_defeat_the_proof():
    for offset, independent in ((0, False), (8, False), (8192, True)):
        module = ir.parse(VIEWS.replace("OFFSET", str(offset)), "views.mlir")
        ParallelizePass(threads=2, min_work=0).apply(Context(), module)
        assert bool(marked(module)) == independent, offset


def test_threads_one_changes_nothing():
    for module in (matmul(67, 61, 53), conv()):
        plain = c.emit_c(api.lower(module))
        assert c.emit_c(api.lower(module, threads=1)) == plain
        assert "pthread" not in plain[1] and "pelemay_parallel" not in plain[1]
    assert "parallelize" not in pipelines.pass_list("pelemay-to-c", threads=1)
    assert pipelines.pass_list("pelemay-to-c", threads=4).endswith("parallelize{threads=4}")
    module = api.lower(matmul(67, 61, 53))
    ParallelizePass(threads=1).apply(Context(), module)
    assert not marked(module)


def test_printed_c_outlines_marked_loops():
    header, source = c.emit_c(api.lower(matmul(67, 61, 53), threads=3, min_work=0))
    assert source.count("#include <pthread.h>") == 1
    assert source.index("#define _POSIX_C_SOURCE") < source.index("#include")
    assert "static void pelemay_parallel_for(" in source
    assert "pthread_t thread[2];" in source  # N - 1 started threads, a fixed array
    assert "malloc" not in source
    assert "struct pelemay_mm_run_parallel_0_context {" in source
    # the call claims the kept team (or runs its own) and hands it back before it returns
    assert source.count("static struct pelemay_team pelemay_kept_team;") == 1
    assert source.count("struct pelemay_team *const pelemay_team = pelemay_team_claim(&pelemay_own_team);") == 1
    assert "pelemay_parallel_for(pelemay_team, 3, pelemay_mm_run_parallel_0, &pelemay_context, 0, 64, 8);" in source
    assert "pelemay_team_release(pelemay_team);\n    return PELEMAY_OK;" in source
    assert "pthread" not in header


def test_bad_options_are_errors():
    with pytest.raises(ir.CompileError, match="target 'cortex-m4' is bare metal"):
        pipelines.pass_list("pelemay-to-c", target="cortex-m4", threads=2)
    with pytest.raises(ir.CompileError, match="option 'threads' is a number of threads"):
        pipelines.pass_list("pelemay-to-loops", threads=0)
    with pytest.raises(ir.CompileError, match="threads must be an integer"):
        ParallelizePass(threads=0).apply(Context(), api.lower(conv()))
    with pytest.raises(ir.CompileError, match="option 'min-work' is a count of statements, 0 or more, got '-1'"):
        pipelines.pass_list("pelemay-to-c", threads=2, min_work=-1)
    with pytest.raises(ir.CompileError, match="min-work must be an integer"):
        ParallelizePass(threads=2, min_work=-1).apply(Context(), api.lower(conv()))


def test_printed_llvm_runs_marked_loops_on_a_team():
    """The llvm target outlines as the C target does and prints its own runtime."""
    lowered = api.lower(EXAMPLES / "resblock.mlir", threads=2, min_work=0)
    text = llvm.emit_llvm(lowered)
    assert text.count("call void @pelemay.parallel_for(ptr %team, i32 2,") == len(marked(lowered))
    # the call claims the kept team (or runs its own, on its stack) and hands it back before it returns
    assert text.count("alloca %pelemay.team") == 1
    assert text.count("%team = call ptr @pelemay.team_claim(ptr %own.team)") == 1
    assert "call void @pelemay.team_release(ptr %team)\n  ret void" in text
    assert "declare i32 @pthread_create(ptr, ptr, ptr, ptr)" in text
    assert "malloc" not in text
    assert "pelemay.parallel" not in llvm.emit_llvm(api.lower(EXAMPLES / "resblock.mlir"))


# --- results -------------------------------------------------------------------------------


@pytest.mark.parametrize("threads", [2, 3])
def test_matmul_with_tails_equals_reference(threads):
    check_against_reference(matmul(67, 61, 53), threads)
    check_against_reference(matmul(67, 61, 53), threads, vectorize=False)


@pytest.mark.parametrize("threads", [2, 3])
def test_conv_equals_reference(threads):
    check_against_reference(conv(), threads)


@pytest.mark.parametrize("threads", [2, 3])
def test_llvm_threads_equal_reference(threads):
    check_against_reference(matmul(67, 61, 53), threads, emit="llvm")
    check_against_reference(conv(), threads, emit="llvm", vectorize=False)


@pytest.mark.parametrize("target", ["aarch64", "armv7"])
def test_llvm_threads_under_qemu_equal_reference(target):
    """32- and 64-bit pointers: the team's ptrdiff_t and pthread_t are the machine's."""
    check_against_reference(matmul(67, 61, 53), 2, emit="llvm", target=target)


@pytest.mark.parametrize("model,threads", [("mlp", 2), ("lenet5", 3), ("resblock", 2)])
def test_bundled_models_equal_reference(model, threads):
    check_against_reference(ir.load(EXAMPLES / f"{model}.mlir"), threads)
    check_against_reference(ir.load(EXAMPLES / f"{model}.mlir"), threads, emit="llvm")


@pytest.mark.slow
@pytest.mark.parametrize("model", ["mlp", "lenet5", "resblock", "mobilenet_v1"])
@pytest.mark.parametrize("threads", [2, 3])
def test_bundled_models_equal_reference_every_thread_count(model, threads):
    check_against_reference(ir.load(EXAMPLES / f"{model}.mlir"), threads)
    check_against_reference(ir.load(EXAMPLES / f"{model}.mlir"), threads, vectorize=False)


def test_pelemay_run_threads(capsys):
    assert run.main([str(EXAMPLES / "mlp.mlir"), "--threads", "2", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["ok"] and result["threads"] == 2
    assert run.main([str(EXAMPLES / "mlp.mlir"), "--threads", "2", "--target", "cortex-m4"]) == 1
    assert "bare metal" in capsys.readouterr().err


# --- ThreadSanitizer -------------------------------------------------------------------------


def tsan_run(lowered, inputs: list[np.ndarray], tmp_path: Path) -> subprocess.CompletedProcess:
    """Build the harness of `lowered` with ThreadSanitizer and run it once."""
    header, source = c.emit_c(lowered)
    name = abi.interface(lowered).base
    exe = cbuild.build_harness(header, source, c_harness.emit_harness(lowered), name, cflags=TSAN_FLAGS)
    (tmp_path / "in.bin").write_bytes(b"".join(np.ascontiguousarray(a).tobytes() for a in inputs))
    env = {**os.environ, "TSAN_OPTIONS": "exitcode=66 halt_on_error=0"}
    return subprocess.run([str(exe), str(tmp_path / "in.bin"), str(tmp_path / "out.bin")],
                          capture_output=True, text=True, env=env, timeout=300)


def llvm_build(lowered, main: str, tmp_path: Path, flags: tuple[str, ...], text: str | None = None) -> Path:
    """The llvm target's module (or `text`) linked with the C program `main`, built with `flags`."""
    clang = llvmbuild.find_tool("clang")
    (tmp_path / "m.ll").write_text(text or llvm.emit_llvm(lowered))
    (tmp_path / f"{abi.interface(lowered).base}.h").write_text(c.emit_header(lowered))
    (tmp_path / "main.c").write_text(main)
    subprocess.run([clang, "-O1", *flags, "-c", "m.ll", "-o", "m.o"], cwd=tmp_path, check=True)
    subprocess.run([clang, *flags, "main.c", "m.o", "-o", "harness", "-lm"], cwd=tmp_path, check=True)
    return tmp_path / "harness"


def tsan_build_llvm(lowered, main: str, tmp_path: Path) -> Path:
    """The llvm target's module with its functions marked `sanitize_thread`
    (what clang's -fsanitize=thread adds to the functions it compiles from C),
    linked with the C program `main`."""
    text = llvm.emit_llvm(lowered).replace("attributes #0 = { nounwind", "attributes #0 = { nounwind sanitize_thread")
    return llvm_build(lowered, main, tmp_path, TSAN_FLAGS, text)


def tsan_run_llvm(lowered, inputs: list[np.ndarray], tmp_path: Path) -> subprocess.CompletedProcess:
    """The same through the llvm target."""
    exe = tsan_build_llvm(lowered, c_harness.emit_harness(lowered), tmp_path)
    (tmp_path / "in.bin").write_bytes(b"".join(np.ascontiguousarray(a).tobytes() for a in inputs))
    env = {**os.environ, "TSAN_OPTIONS": "exitcode=66 halt_on_error=0"}
    return subprocess.run([str(exe), str(tmp_path / "in.bin"), str(tmp_path / "out.bin")],
                          capture_output=True, text=True, env=env, timeout=300)


def assert_race_free(done: subprocess.CompletedProcess) -> None:
    assert "ThreadSanitizer" not in done.stderr, done.stderr[:4000]
    assert done.returncode == 0, done.stderr[:4000]


def test_tsan_matmul_has_no_race(tmp_path):
    module = matmul(67, 61, 53)
    lowered = api.lower(module, threads=2, min_work=0)
    assert marked(lowered)
    assert_race_free(tsan_run(lowered, random_inputs(module), tmp_path))


def test_tsan_resblock_has_no_race(tmp_path):
    module = ir.load(EXAMPLES / "resblock.mlir")
    lowered = api.lower(module, threads=2, min_work=0)
    assert marked(lowered)
    assert_race_free(tsan_run(lowered, random_inputs(module), tmp_path))


LOOPS_CALLS = """#include "loops.h"

static float x[8192], o[5][8192];

/* Many calls: the threads claim a loop's chunks as they come, so a worker
 * busy starting up may leave one call's chunks to the caller. */
int main(void)
{
    int k;
    for (k = 0; k < 2000; k++) {
        if (loops_run(x, o[0], o[1], o[2], o[3], o[4], NULL) != 0) {
            return 1;
        }
    }
    return 0;
}
"""


def test_tsan_reports_a_loop_marked_without_proof(tmp_path):
    """The check can fail: the dependent loop o2[i] = o2[i-1] + 1, marked by
    hand, races across the chunk boundaries and ThreadSanitizer says so."""
    module = ir.parse(LOOPS, "loops.mlir")
    dependent = [op for op in module.body.block.first_op.body.block.ops if isinstance(op, scf.ForOp)][1]
    ParallelizePass(threads=2, min_work=0).apply(Context(), module)
    assert PARALLEL_ATTR not in dependent.attributes
    dependent.attributes[PARALLEL_ATTR] = IntegerAttr(2, i64)
    header, source = c.emit_c(module)
    exe = cbuild.build_harness(header, source, LOOPS_CALLS, "loops", cflags=TSAN_FLAGS)
    done = subprocess.run([str(exe)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "TSAN_OPTIONS": "exitcode=66 halt_on_error=0"})
    assert "WARNING: ThreadSanitizer: data race" in done.stderr
    assert done.returncode != 0


def test_tsan_llvm_resblock_has_no_race(tmp_path):
    module = ir.load(EXAMPLES / "resblock.mlir")
    lowered = api.lower(module, threads=2, min_work=0)
    assert marked(lowered)
    assert_race_free(tsan_run_llvm(lowered, random_inputs(module), tmp_path))


def test_tsan_llvm_reports_a_loop_marked_without_proof(tmp_path):
    module = ir.parse(LOOPS, "loops.mlir")
    dependent = [op for op in module.body.block.first_op.body.block.ops if isinstance(op, scf.ForOp)][1]
    dependent.attributes[PARALLEL_ATTR] = IntegerAttr(2, i64)
    done = subprocess.run([str(tsan_build_llvm(module, LOOPS_CALLS, tmp_path))], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "TSAN_OPTIONS": "exitcode=66 halt_on_error=0"})
    assert "WARNING: ThreadSanitizer: data race" in done.stderr
    assert done.returncode != 0


HELPER = """func.func @twice(%x: memref<64x64xf32>, %o: memref<64x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = arith.constant 64 : index
  scf.for %i = %c0 to %n step %c1 {
    scf.for %j = %c0 to %n step %c1 {
      %v = memref.load %x[%i, %j] : memref<64x64xf32>
      %w = arith.addf %v, %v : f32
      memref.store %w, %o[%i, %j] : memref<64x64xf32>
    } {pelemay.parallel = 2 : i64}
  } {pelemay.parallel = 2 : i64}
  func.return
}
func.func @run(%x: memref<64x64xf32>, %o: memref<64x64xf32>, %p: memref<64x64xf32>) attributes {pelemay.entry, pelemay.num_inputs = 1 : i64} {
  func.call @twice(%x, %o) : (memref<64x64xf32>, memref<64x64xf32>) -> ()
  func.call @twice(%o, %p) : (memref<64x64xf32>, memref<64x64xf32>) -> ()
  func.return
}
"""


def test_helper_functions_keep_their_own_team(tmp_path):
    """A function called twice claims the kept team on each call; a marked
    loop inside a worker runs on the worker's thread."""
    module = ir.parse(HELPER, "helper.mlir")
    header, source = c.emit_c(module)
    assert source.count("pelemay_team_claim(&pelemay_own_team);") == 1
    assert source.count("pelemay_parallel_for(pelemay_team,") == 1
    x = np.arange(64 * 64, dtype=np.float32).reshape(64, 64)
    done = tsan_run(module, [x], tmp_path)
    assert_race_free(done)
    out = np.frombuffer((tmp_path / "out.bin").read_bytes(), np.float32)
    np.testing.assert_array_equal(out, np.concatenate([2 * x.ravel(), 4 * x.ravel()]))


CONCURRENT_CALLS = """#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>
#include "run.h"

static float x[64 * 64];

/* Calls run_run a few times and checks o = 2x, p = 4x. */
static void *calls(void *arg)
{
    static float o[2][64 * 64], p[2][64 * 64];
    int which = *(const int *)arg, k, i;
    for (k = 0; k < 20; k++) {
        if (run_run(x, o[which], p[which], NULL) != 0) return (void *)1;
        for (i = 0; i < 64 * 64; i++) {
            if (o[which][i] != 2 * x[i] || p[which][i] != 4 * x[i]) return (void *)1;
        }
    }
    return NULL;
}

int main(void)
{
    pthread_t other;
    int zero = 0, one = 1, status = 0;
    void *failed_here, *failed_there;
    pid_t child;
    for (int i = 0; i < 64 * 64; i++) x[i] = (float)i;
    /* the first call starts the kept team; then two callers at once: one
     * holds it, the other runs a team of its own */
    if (calls(&zero) != NULL) return 1;
    if (pthread_create(&other, NULL, calls, &one) != 0) return 1;
    failed_here = calls(&zero);
    if (pthread_join(other, &failed_there) != 0 || failed_here || failed_there) return 1;
    /* a forked child has none of the kept team's workers: it starts its own */
    child = fork();
    if (child == 0) _exit(calls(&zero) != NULL);
    if (child < 0 || waitpid(child, &status, 0) != child) return 1;
    puts(WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "ok" : "child failed");
    return !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
"""


@pytest.mark.parametrize("emit", ["c", "llvm"])
def test_kept_team_serves_concurrent_and_forked_calls(emit, tmp_path):
    """The team kept between calls: two threads calling at once (one runs its
    own team) and a forked child (which starts its own workers) get the same
    results, with no race ThreadSanitizer sees."""
    module = ir.parse(HELPER, "helper.mlir")
    if emit == "c":
        header, source = c.emit_c(module)
        exe = cbuild.build_harness(header, source, CONCURRENT_CALLS, "run", cflags=TSAN_FLAGS)
    else:
        exe = tsan_build_llvm(module, CONCURRENT_CALLS, tmp_path)
    # a child forked from threads may start threads (ThreadSanitizer refuses by default)
    env = {**os.environ, "TSAN_OPTIONS": "exitcode=66 halt_on_error=0 die_after_fork=0"}
    done = subprocess.run([str(exe)], capture_output=True, text=True, env=env, timeout=60)
    assert_race_free(done)
    assert done.stdout.strip() == "ok"


def add_one(n: int) -> str:
    return f"""  scf.for %i = %c0 to %c{n} step %c1 {{
    %v = memref.load %o[%i] : memref<256xf32>
    %w = arith.addf %v, %one : f32
    memref.store %w, %o[%i] : memref<256xf32>
  }} {{pelemay.parallel = 8 : i64}}
"""


PAIRS = 8
ALTERNATING = f"""func.func @run(%x: memref<256xf32>, %o: memref<256xf32>) attributes {{pelemay.entry, pelemay.num_inputs = 1 : i64}} {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c256 = arith.constant 256 : index
  %one = arith.constant 1.0 : f32
  scf.for %i = %c0 to %c256 step %c1 {{
    %v = memref.load %x[%i] : memref<256xf32>
    memref.store %v, %o[%i] : memref<256xf32>
  }} {{pelemay.parallel = 8 : i64}}
{(add_one(3) + add_one(256)) * PAIRS}  func.return
}}
"""
"""Loops of 3 and then 32 chunks, one after another, each adding 1 to its
elements: a chunk run twice, or a count of finished chunks gone past the
loop's, shows in the sums or as a hang."""

ALTERNATING_CALLS = f"""#include <stdio.h>
#include <unistd.h>
#include "run.h"

static float x[256], o[256];

int main(void)
{{
    int k, i;
    alarm(100); /* a lost chunk hangs the call: fail instead */
    for (i = 0; i < 256; i++) x[i] = (float)i;
    for (k = 0; k < 200000; k++) {{
        if (run_run(x, o, NULL) != 0) return 1;
        for (i = 0; i < 256; i++) {{
            if (o[i] != x[i] + (i < 3 ? {2 * PAIRS}.0f : {PAIRS}.0f)) {{
                printf("call %d: o[%d] = %g\\n", k, i, (double)o[i]);
                return 1;
            }}
        }}
    }}
    puts("ok");
    return 0;
}}
"""


@pytest.mark.parametrize("emit", ["c", "llvm"])
def test_late_claims_never_take_a_chunk_twice(emit, tmp_path):
    """Eight threads on however few CPUs, so they are often preempted between
    finishing a loop and claiming again: a claim made as the next loop (with
    more chunks) is posted must not take one of its chunks."""
    module = ir.parse(ALTERNATING, "alternating.mlir")
    if emit == "c":
        header, source = c.emit_c(module)
        exe = cbuild.build_harness(header, source, ALTERNATING_CALLS, "run", cflags=("-O2", "-pthread"))
    else:
        exe = llvm_build(module, ALTERNATING_CALLS, tmp_path, ("-O2", "-pthread"))
    done = subprocess.run([str(exe)], capture_output=True, text=True, timeout=150)
    assert done.returncode == 0 and done.stdout.strip() == "ok", (done.returncode, done.stdout[-400:])


@pytest.mark.slow
def test_neon_matmul_under_qemu_equals_reference():
    """On aarch64 the marked loops hold arm_simd stores (after convert-vector-to-arm-simd)."""
    module = matmul(67, 61, 53)
    assert marked(api.lower(module, target="aarch64", threads=2, min_work=0))
    check_against_reference(module, 2, target="aarch64")
