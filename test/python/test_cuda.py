"""The cuda target: every bundled model through pelemay-to-cuda, built with
nvcc's strict flags (no GPU needed), run on the CPU emulator against the
reference, and, on a machine with a GPU (`-m gpu`), run on it.

Every ptensor op takes the same path in test_lower_to_loops.py, whose
`check` builds each program with nvcc and runs it on the emulator."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pelemay_ir import api, cbuild, cudabuild, ir, reference
from pelemay_ir.ir import CompileError
from pelemay_ir.targets import cuda
from test_lower_to_loops import assert_close, random_array

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
MODELS = ("mlp", "lenet5", "resblock", "mobilenet_v1", "mobilenet_v2")


def model_inputs(name: str) -> tuple[list[np.ndarray], list[np.ndarray]]:
    module = ir.load(EXAMPLES / f"{name}.mlir")
    fn = reference.entry_function(module)
    rng = np.random.default_rng(0)
    inputs = [random_array(rng, a.type.get_shape(), "f32") for a in fn.body.block.args]
    return inputs, reference.evaluate(module, inputs)


@pytest.mark.parametrize("name", MODELS)
def test_bundled_model_builds_strictly_with_nvcc_without_spills(name):
    module = api.lower_to_cuda(EXAMPLES / f"{name}.mlir")
    header, source = cuda.emit_cuda(module)
    kernels = cudabuild.check_build(header, source, name, "sm_90")
    launches = len(re.findall(r"^    PELEMAY_CUDA_LAUNCH\(", source, re.M))
    assert len(kernels) == launches > 0
    for kernel, report in kernels.items():
        assert report.spill_stores == report.spill_loads == 0, (kernel, report)
        assert 0 < report.registers <= 255


@pytest.mark.parametrize("name", MODELS)
def test_bundled_model_runs_on_the_emulator(name):
    inputs, want = model_inputs(name)
    got = api.compile(EXAMPLES / f"{name}.mlir", target="cuda", emulate=True)(*inputs)
    for k, (g, w) in enumerate(zip(got, want)):
        assert_close(g, w, f"{name} output {k} (CUDA on the CPU emulator)")


SANITIZED_RUN = """
import sys
import numpy as np
from pelemay_ir import api, cudabuild
program = cudabuild.compile_module(api.lower_to_cuda(sys.argv[1]), emulate=True, sanitize=True)
x = np.frombuffer(sys.stdin.buffer.read(), np.float32).reshape(program.interface.inputs[0].shape)
sys.stdout.buffer.write(program(x)[0].tobytes())
"""
"""Runs a sanitized emulated build in a Python started with the sanitizers' runtimes preloaded."""


@pytest.mark.parametrize("name", ("mlp", "lenet5"))
def test_emulated_kernels_are_clean_under_sanitizers(name):
    """ASan and UBSan check every index the kernels compute and every helper they call."""
    path = str(EXAMPLES / f"{name}.mlir")
    inputs, want = model_inputs(name)
    module = api.lower_to_cuda(path)  # built here (cached), loaded only in the child
    cudabuild.build_emulated(*cuda.emit_cuda(module), cuda.interface(module).base, sanitize=True)
    runtimes = [subprocess.run(["g++", f"-print-file-name={lib}"], capture_output=True, text=True).stdout.strip()
                for lib in ("libasan.so", "libubsan.so")]
    env = {**os.environ, "LD_PRELOAD": " ".join(runtimes), "ASAN_OPTIONS": "detect_leaks=0"}
    done = subprocess.run([sys.executable, "-c", SANITIZED_RUN, path], input=inputs[0].tobytes(),
                          capture_output=True, env=env)
    errors = done.stderr.decode(errors="replace")[-3000:]
    assert done.returncode == 0 and "runtime error" not in errors, errors
    got = np.frombuffer(done.stdout, np.float32).reshape(want[0].shape)
    assert_close(got, want[0], f"{name} under ASan and UBSan")


def test_gpu_build_is_a_library_exporting_the_run_function_and_the_host_shim():
    module = api.lower_to_cuda(EXAMPLES / "mlp.mlir", arch="sm_80")
    header, source = cuda.emit_cuda(module)
    library = cudabuild.build_gpu(header, source, "mlp", "sm_80")
    symbols = subprocess.run(["nm", "-D", "--defined-only", str(library)], capture_output=True, text=True).stdout
    for name in ("mlp_run_cuda", "pelemay_device_alloc", "pelemay_copy_to_device", "pelemay_copy_to_host",
                 "pelemay_synchronize", "pelemay_device_free"):
        assert re.search(rf"\bT {name}$", symbols, re.M), name


def test_run_function_checks_its_pointers():
    module = api.lower_to_cuda(EXAMPLES / "lenet5.mlir")
    program = cudabuild.compile_module(module, emulate=True)
    iface = program.interface
    run = program._run
    x = np.zeros(iface.inputs[0].shape, np.float32)
    out = np.zeros(iface.outputs[0].shape, np.float32)
    arena = cbuild.aligned(iface.arena_bytes, 256)
    weights = cbuild.aligned(iface.weights_bytes, 256)
    assert run(weights.ctypes.data, None, out.ctypes.data, arena.ctypes.data, None) == 1  # PELEMAY_ERR_NULL
    assert run(weights.ctypes.data, x.ctypes.data, out.ctypes.data, arena.ctypes.data + 4, None) == 2  # ALIGN
    shifted = cbuild.aligned(max(x.nbytes, out.nbytes) + 16, 256).ctypes.data + 4  # inputs, outputs: 16 bytes
    assert run(weights.ctypes.data, shifted, out.ctypes.data, arena.ctypes.data, None) == 2
    assert run(weights.ctypes.data, x.ctypes.data, shifted, arena.ctypes.data, None) == 2
    assert run(weights.ctypes.data, x.ctypes.data, out.ctypes.data, arena.ctypes.data, None) == 0


def test_driver_writes_the_source_and_its_header(tmp_path):
    out = tmp_path / "out" / "lenet5.cu"
    out.parent.mkdir()
    done = subprocess.run([sys.executable, "-m", "pelemay_ir.driver", str(EXAMPLES / "lenet5.mlir"),
                           "-p", "pelemay-to-cuda", "-t", "cuda", "-o", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert '#include "lenet5.h"' in out.read_text()
    assert "int lenet5_run_cuda(" in out.with_suffix(".h").read_text()
    wrong = subprocess.run([sys.executable, "-m", "pelemay_ir.driver", str(EXAMPLES / "lenet5.mlir"),
                            "-p", "pelemay-to-cuda", "-t", "cuda", "-o", str(tmp_path / "m.c")],
                           capture_output=True, text=True)
    assert wrong.returncode == 1 and "Traceback" not in wrong.stderr
    assert "-t cuda writes a .cu file and its .h beside it" in wrong.stderr
    assert not (tmp_path / "m.c").exists()


def test_compile_for_cuda_refuses_options_of_other_targets():
    with pytest.raises(CompileError, match="option of target 'cuda'|options of target 'cuda'"):
        api.compile(EXAMPLES / "mlp.mlir", emulate=True)
    with pytest.raises(CompileError, match="unknown cuda architecture 'sm_50'"):
        api.compile(EXAMPLES / "mlp.mlir", target="cuda", arch="sm_50", emulate=True)


SANITIZED_PROGRAM = """
import sys
import numpy as np
from pelemay_ir import api, cudabuild
program = cudabuild.compile_module(api.lower_to_cuda(sys.argv[1]), emulate=True, sanitize=True)
with np.load(sys.argv[2]) as saved:
    got = program(*[saved[f"arr_{k}"] for k in range(len(saved.files))])
np.save(sys.argv[3], got[0])
"""


MIXED = (
    "builtin.module {\n  func.func @mixed(%x: tensor<70x33xf32>, %w: tensor<33x97xf32>, %b: tensor<97xf32>) "
    "-> tensor<70x97xf32> {\n"
    "    %y = ptensor.matmul %x, %w : tensor<70x33xf32>, tensor<33x97xf32> -> tensor<70x97xf32>\n"
    "    %a = ptensor.add %y, %b : tensor<70x97xf32>, tensor<97xf32> -> tensor<70x97xf32>\n"
    "    %s = ptensor.softmax %a {axis = -1 : i64} : tensor<70x97xf32> -> tensor<70x97xf32>\n"
    "    func.return %s : tensor<70x97xf32>\n  }\n}\n")
"""A tiled matmul, its bias add and a softmax of its rows (row kernels)."""


@pytest.mark.parametrize("program", ("matmul and softmax", "conv"))
def test_tiled_and_row_kernels_are_clean_under_sanitizers(tmp_path, program):
    """ASan and UBSan check the tiled matmul's edge tiles, its workgroup
    tiles, the row kernels' tree and the implicit GEMM's gathers from a
    padded input (stride 2, padding 1), run by the emulator's fibers."""
    text = MIXED if program != "conv" else str(conv(2, 7, 9, 5, 37, 3, 2, 1))
    path = tmp_path / "program.mlir"
    path.write_text(text)
    module = api.lower_to_cuda(path)
    source = cuda.emit_cuda(module)[1]
    assert "a_tile" in source and ("partials" in source or program == "conv")
    cudabuild.build_emulated(*cuda.emit_cuda(module), cuda.interface(module).base, sanitize=True)
    rng = np.random.default_rng(3)
    inputs = [random_array(rng, a.type.get_shape(), "f32")
              for a in reference.entry_function(ir.parse(text)).body.block.args]
    np.savez(tmp_path / "inputs.npz", *inputs)
    runtimes = [subprocess.run(["g++", f"-print-file-name={lib}"], capture_output=True, text=True).stdout.strip()
                for lib in ("libasan.so", "libubsan.so")]
    env = {**os.environ, "LD_PRELOAD": " ".join(runtimes), "ASAN_OPTIONS": "detect_leaks=0"}
    done = subprocess.run([sys.executable, "-c", SANITIZED_PROGRAM, str(path), str(tmp_path / "inputs.npz"),
                           str(tmp_path / "out.npy")], capture_output=True, env=env)
    errors = done.stderr.decode(errors="replace")[-3000:]
    assert done.returncode == 0 and "runtime error" not in errors and "ERROR: AddressSanitizer" not in errors, errors
    want = reference.evaluate(ir.parse(text), inputs)[0]
    assert_close(np.load(tmp_path / "out.npy"), want, f"{program} under ASan and UBSan")


# --- the emulator's lock-step blocks ----------------------------------------------------

REVERSE_IN_BLOCK = """
#include <cuda_runtime.h>
/* Each block reverses its 64 elements through shared memory. */
static __global__ void __launch_bounds__(64) reverse(const float *in, float *out)
{
    __shared__ float tile[64];
    tile[threadIdx.x] = in[blockIdx.x * 64 + threadIdx.x];
    BARRIER
    out[blockIdx.x * 64 + threadIdx.x] = tile[63 - threadIdx.x];
}
extern "C" int run(const float *in, float *out)
{
    PELEMAY_CUDA_LAUNCH(reverse, 3, 64, nullptr, in, out);
    return (int)cudaGetLastError();
}
"""


def _run_emulated(source: str) -> tuple[int, np.ndarray, np.ndarray]:
    import ctypes
    files = {"cuda_runtime.h": cudabuild.EMULATOR_HEADER, "reverse.cu": source}
    library = cbuild.cached_build(files, "libreverse.so", (*cudabuild.EMULATOR_FLAGS, "-fPIC", "-shared"), "g++",
                                  suffix=".cu")
    x = np.arange(192, dtype=np.float32)
    out = np.zeros_like(x)
    rc = ctypes.CDLL(str(library)).run(ctypes.c_void_p(x.ctypes.data), ctypes.c_void_p(out.ctypes.data))
    return rc, x, out


@pytest.mark.parametrize("barrier", ("__syncthreads();", "", "if (threadIdx.x < 32) __syncthreads();"))
def test_emulator_runs_a_block_in_lock_step_between_barriers(barrier):
    """Threads exchange through shared memory across a barrier; without it
    (or with one that not every thread reaches) the emulator's order, last
    thread first, makes the result wrong or the launch fail."""
    rc, x, out = _run_emulated(REVERSE_IN_BLOCK.replace("BARRIER", barrier))
    want = x.reshape(3, 64)[:, ::-1].reshape(-1)
    if barrier == "__syncthreads();":
        assert rc == 0
        np.testing.assert_array_equal(out, want)
    elif barrier:
        assert rc == 719  # cudaErrorLaunchFailure
    else:
        assert rc == 0 and not np.array_equal(out, want)


WARP_SUMS = """
#include <cuda_runtime.h>
/* Each warp sums its 32 values: down the lanes into lane 0, and across them into every lane. */
static __global__ void __launch_bounds__(64) sums(const float *in, float *down, float *across)
{
    const unsigned t = blockIdx.x * 64 + threadIdx.x;
    float d = in[t], a = in[t];
    if (CONDITION) {
        for (int offset = 16; offset > 0; offset /= 2) {
            d += __shfl_down_sync(0xffffffffu, d, offset);
            a += __shfl_xor_sync(0xffffffffu, a, offset);
        }
    }
    if (threadIdx.x % 32 == 0) {
        down[t / 32] = d;
    }
    across[t] = a;
}
extern "C" int run(const float *in, float *down, float *across)
{
    PELEMAY_CUDA_LAUNCH(sums, 2, 64, nullptr, in, down, across);
    return (int)cudaGetLastError();
}
"""


@pytest.mark.parametrize("condition", ("true", "threadIdx.x % 32 < 16"))
def test_emulator_exchanges_a_warps_values_at_shuffles(condition):
    """Lanes exchange at __shfl_down_sync and __shfl_xor_sync; a shuffle that
    not every lane of a warp reaches fails the launch."""
    import ctypes
    files = {"cuda_runtime.h": cudabuild.EMULATOR_HEADER, "sums.cu": WARP_SUMS.replace("CONDITION", condition)}
    library = cbuild.cached_build(files, "libsums.so", (*cudabuild.EMULATOR_FLAGS, "-fPIC", "-shared"), "g++",
                                  suffix=".cu")
    x = np.arange(128, dtype=np.float32)
    down, across = np.zeros(4, np.float32), np.zeros(128, np.float32)
    rc = ctypes.CDLL(str(library)).run(*(ctypes.c_void_p(a.ctypes.data) for a in (x, down, across)))
    if condition == "true":
        assert rc == 0
        np.testing.assert_array_equal(down, x.reshape(4, 32).sum(axis=1))
        np.testing.assert_array_equal(across, np.repeat(x.reshape(4, 32).sum(axis=1), 32))
    else:
        assert rc == 719  # cudaErrorLaunchFailure


# --- the tiled matmul ----------------------------------------------------------------------


def dense(m: int, k: int, n: int, epilogue: bool) -> ir.ModuleOp:
    """x @ w (+ b, relu when `epilogue`): the matmul the tiled kernel takes."""
    ops = [f"%y = ptensor.matmul %x, %w : tensor<{m}x{k}xf32>, tensor<{k}x{n}xf32> -> tensor<{m}x{n}xf32>"]
    if epilogue:
        ops += [f"%a = ptensor.add %y, %b : tensor<{m}x{n}xf32>, tensor<{n}xf32> -> tensor<{m}x{n}xf32>",
                f"%r = ptensor.relu %a : tensor<{m}x{n}xf32>"]
    bias = f", %b: tensor<{n}xf32>" if epilogue else ""
    text = (f"builtin.module {{\n  func.func @dense(%x: tensor<{m}x{k}xf32>, %w: tensor<{k}x{n}xf32>{bias}) "
            f"-> tensor<{m}x{n}xf32> {{\n    " + "\n    ".join(ops)
            + f"\n    func.return {'%r' if epilogue else '%y'} : tensor<{m}x{n}xf32>\n  }}\n}}\n")
    return ir.parse(text)


def run_emulated(module: ir.ModuleOp, source_module: ir.ModuleOp) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The emulated outputs of a lowered module, and the reference's, on random inputs."""
    fn = reference.entry_function(source_module)
    rng = np.random.default_rng(1)
    inputs = [random_array(rng, a.type.get_shape(), "f32") for a in fn.body.block.args]
    return cudabuild.compile_module(module, emulate=True)(*inputs), reference.evaluate(source_module, inputs)


@pytest.mark.parametrize("m, k, n, epilogue", [(37, 45, 70, True), (64, 16, 64, False), (130, 33, 97, True),
                                               (32, 5, 200, False), (65, 129, 33, True)])
def test_tiled_matmul_is_exact_on_edge_tiles_and_builds_without_spills(m, k, n, epilogue):
    module = api.lower_to_cuda(dense(m, k, n, epilogue))
    header, source = cuda.emit_cuda(module)
    assert source.count("__syncthreads();") == 2 and source.count("__shared__ float") == 2
    assert len(re.findall(r"^    PELEMAY_CUDA_LAUNCH\(", source, re.M)) == 1  # the epilogue is in the kernel
    for report in cudabuild.check_build(header, source, "dense", "sm_90").values():
        assert report.spill_stores == report.spill_loads == report.stack_bytes == 0, report
    got, want = run_emulated(module, dense(m, k, n, epilogue))
    assert_close(got[0], want[0], f"tiled matmul {m}x{k}x{n}")


def test_thin_matmul_is_not_tiled_but_each_output_takes_a_block():
    """A batch-1 dense layer is not tiled (a 64x64 tile would leave most
    threads idle): each output's sum over K is a row reduction of a block."""
    module = api.lower_to_cuda(dense(1, 64, 256, True))
    source = cuda.emit_cuda(module)[1]
    assert "a_tile" not in source and "__shared__ float partials[64];" in source
    got, want = run_emulated(module, dense(1, 64, 256, True))
    assert_close(got[0], want[0], "dense 1x64x256")


@pytest.mark.parametrize("name", ("mobilenet_v1", "mobilenet_v2"))
def test_convs_of_one_group_are_tiled_with_their_epilogues(name):
    """Every conv of one group with at least 32 pixels and filters runs as
    the tiled kernel (a 1x1 as a matmul, the first 3x3 as an implicit GEMM),
    its bias, relu6 and residual add fused: the model launches no more
    kernels than with the convs."""
    from pelemay_ir.dialects import ptensor
    from pelemay_ir.passes.pointwise_to_matmul import is_pointwise
    convs = [op for op in ir.load(EXAMPLES / f"{name}.mlir").walk()
             if isinstance(op, ptensor.Conv2DOp) and op.groups.value.data == 1
             and np.prod(op.result.type.get_shape()[:3]) >= 32 and op.result.type.get_shape()[3] >= 32]
    assert len([op for op in convs if not is_pointwise(op)]) == 1
    source = cuda.emit_cuda(api.lower_to_cuda(EXAMPLES / f"{name}.mlir"))[1]
    kernels = re.split(r"\nstatic __global__ ", source)[1:]
    assert len([k for k in kernels if "__shared__ float a_tile" in k]) == len(convs) > 10
    assert len(kernels) == {"mobilenet_v1": 30, "mobilenet_v2": 55}[name]


# --- convolutions as implicit GEMMs -----------------------------------------------------


def conv(batch: int, h: int, w: int, c: int, f: int, kernel: int, stride: int, pad: int, dilation: int = 1,
         epilogue: str = "relu") -> ir.ModuleOp:
    """A conv2d with its bias and `epilogue` (relu, relu6 or a residual add)."""
    k = (kernel - 1) * dilation + 1
    oh, ow = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
    out = f"tensor<{batch}x{oh}x{ow}x{f}xf32>"
    args = f"%x: tensor<{batch}x{h}x{w}x{c}xf32>, %w: tensor<{kernel}x{kernel}x{c}x{f}xf32>, %b: tensor<{f}xf32>"
    ops = [f"%y = ptensor.conv2d %x, %w, %b {{strides = array<i64: {stride}, {stride}>, dilations = array<i64: "
           f"{dilation}, {dilation}>, padding = array<i64: {pad}, {pad}, {pad}, {pad}>, groups = 1 : i64}} : "
           f"tensor<{batch}x{h}x{w}x{c}xf32>, tensor<{kernel}x{kernel}x{c}x{f}xf32>, tensor<{f}xf32> -> {out}"]
    if epilogue == "add":
        args += f", %r: {out}"
        ops.append(f"%z = ptensor.add %y, %r : {out}, {out} -> {out}")
    else:
        ops.append(f"%z = ptensor.{epilogue} %y : {out}")
    return ir.parse(f"builtin.module {{\n  func.func @conv({args}) -> {out} {{\n    " + "\n    ".join(ops)
                    + f"\n    func.return %z : {out}\n  }}\n}}\n")


CONVS = {"3x3 pad 1": (2, 7, 9, 5, 37, 3, 1, 1), "3x3 stride 2": (3, 7, 9, 5, 37, 3, 2, 0),
         "5x5 pad 2": (2, 7, 9, 5, 37, 5, 1, 2), "3x3 stride 2 pad 1 dilation 2": (3, 11, 8, 6, 40, 3, 2, 1, 2),
         "5x5 stride 3 pad 1, 70 filters": (2, 16, 13, 3, 70, 5, 3, 1)}


@pytest.mark.parametrize("shape", CONVS.values(), ids=CONVS.keys())
def test_conv_is_an_implicit_gemm_exact_on_odd_shapes_and_builds_without_spills(shape):
    module = api.lower_to_cuda(conv(*shape))
    header, source = cuda.emit_cuda(module)
    assert source.count("__syncthreads();") == 2 and source.count("__shared__ float") == 2
    assert len(re.findall(r"^    PELEMAY_CUDA_LAUNCH\(", source, re.M)) == 1  # bias and relu in the kernel
    for report in cudabuild.check_build(header, source, "conv", "sm_90").values():
        assert report.spill_stores == report.spill_loads == report.stack_bytes == 0, report
    got, want = run_emulated(module, conv(*shape))
    assert_close(got[0], want[0], f"conv {shape}")


@pytest.mark.parametrize("epilogue", ("relu6", "add"))
def test_conv_gemm_fuses_relu6_and_a_residual_add(epilogue):
    module = api.lower_to_cuda(conv(2, 6, 6, 8, 33, 3, 1, 1, epilogue=epilogue))
    assert len(re.findall(r"^    PELEMAY_CUDA_LAUNCH\(", cuda.emit_cuda(module)[1], re.M)) == 1
    got, want = run_emulated(module, conv(2, 6, 6, 8, 33, 3, 1, 1, epilogue=epilogue))
    assert_close(got[0], want[0], f"conv with {epilogue}")


def test_few_filters_keep_a_thread_an_output():
    """16 filters would leave three quarters of each 64-wide tile idle."""
    source = cuda.emit_cuda(api.lower_to_cuda(conv(1, 12, 12, 3, 16, 3, 1, 1)))[1]
    assert "__shared__" not in source


# --- row reductions, a block a row ----------------------------------------------------------


def reduction(op: str, shape: tuple[int, ...], axes: tuple[int, ...]) -> ir.ModuleOp:
    """One ptensor reduction of an input of `shape` over `axes`."""
    kept = "x".join(str(d) for k, d in enumerate(shape) if k not in axes)
    x, out = "tensor<" + "x".join(map(str, shape)) + "xf32>", f"tensor<{kept}xf32>" if kept else "tensor<f32>"
    line = f"%y = ptensor.{op} %x {{axes = array<i64: {', '.join(map(str, axes))}>}} : {x} -> {out}"
    return ir.parse(f"builtin.module {{\n  func.func @row(%x: {x}) -> {out} {{\n"
                    f"    {line}\n    func.return %y : {out}\n  }}\n}}\n")


def row_program(op: str, rows: int, length: int) -> ir.ModuleOp:
    """One ptensor op reducing (or normalising) each row of a rows x length input."""
    if op != "softmax":
        return reduction(op, (rows, length), (1,))
    line = f"%y = ptensor.softmax %x {{axis = -1 : i64}} : tensor<{rows}x{length}xf32> -> tensor<{rows}x{length}xf32>"
    return ir.parse(f"builtin.module {{\n  func.func @row(%x: tensor<{rows}x{length}xf32>) -> tensor<{rows}x{length}xf32> {{\n"
                    f"    {line}\n    func.return %y : tensor<{rows}x{length}xf32>\n  }}\n}}\n")


@pytest.mark.parametrize("op", ("reduce_sum", "reduce_max", "reduce_min", "reduce_mean", "softmax"))
@pytest.mark.parametrize("rows, length", [(3, 1000), (20, 37), (1, 300)])
def test_row_reductions_take_a_block_a_row(op, rows, length):
    module = api.lower_to_cuda(row_program(op, rows, length))
    header, source = cuda.emit_cuda(module)
    assert "__shared__ float partials[" in source and "__syncthreads();" in source
    for report in cudabuild.check_build(header, source, "row", "sm_90").values():
        assert report.spill_stores == report.spill_loads == report.stack_bytes == 0, report
    source_module = row_program(op, rows, length)
    rng = np.random.default_rng(2)
    x = random_array(rng, (rows, length), "f32", special=op in ("reduce_max", "reduce_min"))
    got = cudabuild.compile_module(module, emulate=True)(x)
    assert_close(got[0], reference.evaluate(source_module, [x])[0], f"{op} of {rows}x{length}")


WHOLE = {"37x129 to one": ((37, 129), (0, 1)), "3x5x7x11 to one": ((3, 5, 7, 11), (0, 1, 2, 3)),
         "40x50x3 to 3": ((40, 50, 3), (0, 1))}
"""Reductions over several axes: all of them (one point), or the leading
ones, leaving few points."""


@pytest.mark.parametrize("op", ("reduce_sum", "reduce_max", "reduce_min", "reduce_mean"))
@pytest.mark.parametrize("shape, axes", WHOLE.values(), ids=WHOLE.keys())
def test_reductions_over_several_axes_split_them_over_a_block(op, shape, axes):
    """Each point takes a block whose threads split the reduced elements,
    flattened into one sequence, and combine their partials by the tree
    and the shuffles: a total of one point is no longer one thread."""
    module = api.lower_to_cuda(reduction(op, shape, axes))
    header, source = cuda.emit_cuda(module)
    assert "__shared__ float partials[" in source and "__syncthreads();" in source and "__shfl_down_sync" in source
    (blocks, threads), = re.findall(r"^    PELEMAY_CUDA_LAUNCH\(\w+, (\d+), (\d+),", source, re.M)
    assert int(blocks) == np.prod([d for k, d in enumerate(shape) if k not in axes]) and int(threads) == 256
    for report in cudabuild.check_build(header, source, "row", "sm_90").values():
        assert report.spill_stores == report.spill_loads == report.stack_bytes == 0, report
    program = cudabuild.compile_module(module, emulate=True)
    rng = np.random.default_rng(4)
    for special in (False, True) if op in ("reduce_max", "reduce_min") else (False,):  # NaN wins, as on a CPU
        x = random_array(rng, shape, "f32", special=special)
        assert_close(program(x)[0], reference.evaluate(reduction(op, shape, axes), [x])[0],
                     f"{op} of {shape} over {axes}")


def test_short_reductions_over_several_axes_and_many_of_them_keep_one_thread():
    """A total of 20 elements is one thread's; so is each of 200 sums of
    7x7 (as a global average pooling's), a thread a point."""
    source = cuda.emit_cuda(api.lower_to_cuda(reduction("reduce_sum", (4, 5), (0, 1))))[1]
    assert "__shared__" not in source and "PELEMAY_CUDA_LAUNCH(pelemay_row_kernel_0, 1, 1," in source
    source = cuda.emit_cuda(api.lower_to_cuda(reduction("reduce_mean", (7, 7, 200), (0, 1))))[1]
    assert "__shared__" not in source and "PELEMAY_CUDA_LAUNCH(pelemay_row_kernel_0, 1, 224," in source


def test_short_rows_keep_one_thread_a_row():
    source = cuda.emit_cuda(api.lower_to_cuda(row_program("reduce_sum", 64, 16)))[1]
    assert "__shared__" not in source and "__syncthreads" not in source


@pytest.mark.parametrize("program", (lambda: dense(100, 40, 70, True), lambda: conv(*CONVS["3x3 pad 1"]),
                                     lambda: row_program("reduce_sum", 3, 1000),
                                     lambda: row_program("softmax", 2, 300),
                                     lambda: reduction("reduce_sum", *WHOLE["37x129 to one"]),
                                     lambda: reduction("reduce_mean", *WHOLE["3x5x7x11 to one"]),
                                     lambda: reduction("reduce_max", *WHOLE["40x50x3 to 3"])),
                         ids=("matmul", "conv", "reduce_sum", "softmax", "sum to one", "mean to one", "max to 3"))
def test_kernels_without_their_barriers_fail_on_the_emulator(program):
    """The emulator catches a missing barrier: the same kernels with their
    gpu.barrier ops erased read what other threads have not yet written.
    Each runs twice, on other inputs, so that a launch of one block meets
    both of the emulator's orders (and not the workgroup memory its last
    run left right)."""
    module = api.lower_to_cuda(program())
    barriers = [op for op in module.walk() if op.name == "gpu.barrier"]
    assert barriers
    fn = reference.entry_function(program())
    rng = np.random.default_rng(1)
    inputs = [[random_array(rng, a.type.get_shape(), "f32") for a in fn.body.block.args] for _ in range(2)]
    wants = [reference.evaluate(program(), x)[0] for x in inputs]
    run = cudabuild.compile_module(module, emulate=True)
    for x, want in zip(inputs, wants):
        assert_close(run(*x)[0], want, "with its barriers")
    for op in barriers:
        op.detach()
        op.erase()
    run = cudabuild.compile_module(module, emulate=True)
    assert not all(np.allclose(run(*x)[0], want, rtol=1e-3, atol=1e-3) for x, want in zip(inputs, wants))


# --- on a GPU (pytest -m gpu) -----------------------------------------------------------


@pytest.mark.gpu
@pytest.mark.parametrize("name", MODELS)
def test_bundled_model_runs_on_the_gpu(name):
    inputs, want = model_inputs(name)
    got = api.compile(EXAMPLES / f"{name}.mlir", target="cuda")(*inputs)
    for k, (g, w) in enumerate(zip(got, want)):
        assert_close(g, w, f"{name} output {k} (CUDA on the GPU)")


# --- elementwise points four lanes wide ----------------------------------------------------


def chain(shape: tuple[int, int]) -> ir.ModuleOp:
    """exp(x) into the arena, transposed, plus y and relu'd, transposed out, and a - y: the
    elementwise kernels read or write the arena, inputs and outputs; the transposes' do not
    take their points' own elements."""
    t = f"tensor<{shape[0]}x{shape[1]}xf32>"
    u = f"tensor<{shape[1]}x{shape[0]}xf32>"
    return ir.parse(f"""builtin.module {{
  func.func @chain(%x: {t}, %y: {u}) -> ({t}, {u}) {{
    %e = ptensor.exp %x : {t}
    %t = ptensor.transpose %e {{permutation = array<i64: 1, 0>}} : {t} -> {u}
    %a = ptensor.add %t, %y : {u}, {u} -> {u}
    %r = ptensor.relu %a : {u}
    %o = ptensor.transpose %r {{permutation = array<i64: 1, 0>}} : {u} -> {t}
    %s = ptensor.sub %a, %y : {u}, {u} -> {u}
    func.return %o, %s : {t}, {u}
  }}
}}
""")


def kernels_of(source: str) -> list[str]:
    return re.findall(r"^static __global__ .*?^}$", source, re.M | re.S)


def test_elementwise_points_use_128_bit_loads_and_stores():
    """Rows of 20 f32 (a multiple of 4) from inputs, outputs and the arena,
    all 16-byte aligned: each point of an elementwise kernel takes four
    elements by float4; the transposes' kernels stay scalar. Exact on the
    emulator and strict under nvcc."""
    source_module = chain((20, 12))
    module = api.lower_to_cuda(source_module)
    header, source = cuda.emit_cuda(module)
    wide = [k for k in kernels_of(source) if "float4" in k]
    assert any("arena_bytes" in k for k in wide) and len(wide) < len(kernels_of(source))
    for k in wide:
        assert re.search(r"const float4 \w+ = \*\(const float4 \*\)\(&\w+\[", k)
        assert re.search(r"^ +\*\(float4 \*\)\(&\w+\[.*\]\) = \w+;$", k, re.M)
        assert not re.search(r"= \w+\[[^]]*\];", k)  # no scalar loads left
    for report in cudabuild.check_build(header, source, "chain", "sm_90").values():
        assert report.spill_stores == report.spill_loads == report.stack_bytes == 0, report
    got, want = run_emulated(module, source_module)
    for k, (g, w) in enumerate(zip(got, want)):
        assert_close(g, w, f"chain output {k}")


def test_elementwise_points_stay_scalar_where_alignment_is_not_proved():
    """An arena planned to 4 bytes: its buffers' addresses are unknown modulo
    16, so no kernel that touches it widens (those on inputs and outputs
    alone still do). The scalar form, still exact. (An odd offset in an
    aligned arena: test/lit/passes/gpu-vectors.mlir.)"""
    source_module = chain((20, 12))
    module = api.lower_to_cuda(source_module, alignment=4)
    source = cuda.emit_cuda(module)[1]
    kernels = kernels_of(source)
    assert not any("float4" in k for k in kernels if "arena_bytes" in k)
    assert any("float4" in k for k in kernels)
    got, want = run_emulated(module, source_module)
    for k, (g, w) in enumerate(zip(got, want)):
        assert_close(g, w, f"chain output {k}")
