"""Building generated CUDA and running it: with nvcc for a GPU, or with a C++
compiler on the CPU emulator, through one ctypes loader.

Both builds link the program with `HOST_SHIM`, five C functions (allocate,
free, copy in, copy out, synchronise) over the CUDA runtime, so Python needs
no CUDA binding. The emulator (`EMULATOR_HEADER`, given to the compiler as
<cuda_runtime.h>) implements that runtime subset on the host and runs each
launch's blocks one after another and the threads of a block in lock-step
between barriers: each thread is a fiber (ucontext) that runs until it
reaches `__syncthreads()` or ends, the last thread first in one block and
the first thread first in the next (each launch starting with the other
order than the launch before), and the block's `__shared__` memory is
one buffer; at `__shfl_down_sync`/`__shfl_xor_sync` a warp's lanes wait
for each other the same way and exchange values. A kernel whose threads
depended on an order the GPU does not promise (a missing barrier) reads
what another thread has not yet written and fails against the reference;
a barrier or shuffle not every thread it waits for reaches fails the
launch. Emulated builds are C++17 with -Wall -Wextra
-Werror, optionally under ASan and UBSan, which check every index the
kernels compute.
"""

from __future__ import annotations

import ctypes
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from pelemay_ir import cbuild, machines, weights as weights_file
from pelemay_ir.cbuild import RunError
from pelemay_ir.errors import CompileError
from pelemay_ir.targets import abi, cuda

NVCC_FLAGS = ("-std=c++17", "-O3", "-Werror", "all-warnings", "-Xcompiler", "-Wall,-Wextra,-Werror",
              "-Xptxas", "-warn-spills,--warning-as-error")
"""The strict build: every nvcc, host-compiler and ptxas warning (register spills included) is an error."""
EMULATOR_FLAGS = ("-x", "c++", "-std=c++17", "-O1", "-Wall", "-Wextra", "-Werror", "-I.")

HOST_SHIM = """\
/* Host functions the Python loader calls (pelemay_ir/cudabuild.py). */
#include <cuda_runtime.h>

extern "C" {
int pelemay_device_alloc(void **pointer, size_t bytes) { return (int)cudaMalloc(pointer, bytes ? bytes : 1); }
int pelemay_device_free(void *pointer) { return (int)cudaFree(pointer); }
int pelemay_copy_to_device(void *device, const void *host, size_t bytes)
{
    return (int)cudaMemcpy(device, host, bytes, cudaMemcpyHostToDevice);
}
int pelemay_copy_to_host(void *host, const void *device, size_t bytes)
{
    return (int)cudaMemcpy(host, device, bytes, cudaMemcpyDeviceToHost);
}
int pelemay_synchronize(void) { return (int)cudaDeviceSynchronize(); }
}
"""

EMULATOR_HEADER = """\
/* The CUDA runtime subset Pelemay IR's generated code and host shim use,
 * emulated on the CPU (pelemay_ir/cudabuild.py). */
#ifndef PELEMAY_CUDA_EMULATOR_H
#define PELEMAY_CUDA_EMULATOR_H

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <ucontext.h>

struct dim3 {
    unsigned x, y, z;
};
struct alignas(16) float4 {
    float x, y, z, w;
};
inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }
typedef struct pelemay_emulated_stream *cudaStream_t;
typedef int cudaError_t;
enum {
    cudaSuccess = 0,
    cudaErrorMemoryAllocation = 2,
    cudaErrorInvalidConfiguration = 9,
    cudaErrorLaunchFailure = 719
};
enum cudaMemcpyKind { cudaMemcpyHostToDevice = 1, cudaMemcpyDeviceToHost = 2 };

inline dim3 threadIdx, blockIdx, blockDim, gridDim;
inline cudaError_t pelemay_emulated_error = cudaSuccess;

#define __global__
#define __device__
#define __host__
#define __launch_bounds__(threads)
/* Blocks run one after another, so one buffer serves each block in turn. */
#define __shared__ static

inline cudaError_t cudaGetLastError(void)
{
    cudaError_t error = pelemay_emulated_error;
    pelemay_emulated_error = cudaSuccess;
    return error;
}

inline cudaError_t cudaMalloc(void **pointer, size_t bytes)
{
    *pointer = std::aligned_alloc(256, (bytes + 255) / 256 * 256);
    return *pointer ? cudaSuccess : cudaErrorMemoryAllocation;
}

inline cudaError_t cudaFree(void *pointer)
{
    std::free(pointer);
    return cudaSuccess;
}

inline cudaError_t cudaMemcpy(void *to, const void *from, size_t bytes, cudaMemcpyKind)
{
    std::memcpy(to, from, bytes);
    return cudaSuccess;
}

inline cudaError_t cudaDeviceSynchronize(void) { return cudaSuccess; }

/* The threads of a block are fibers that run in lock-step: each runs until
 * it waits for others (at __syncthreads(), for its block; at a shuffle, for
 * its warp) or ends, and none goes on before all it waits for have come.
 * Blocks run from the last; their threads last first in the first block,
 * first first in the next, and so on, so that a kernel relying on either
 * order fails; each launch starts with the other order than the launch
 * before, so a kernel of one block meets both in two launches. A warp whose first lane to run ends without waiting runs its
 * other lanes directly (no fiber); a wait met then, or one that not every
 * thread it waits for reaches, fails the launch, as it would hang or
 * misbehave on a GPU. */
enum pelemay_wait { pelemay_runs, pelemay_at_barrier, pelemay_at_shuffle };
struct pelemay_fiber {
    ucontext_t context;
    bool started;
    bool done;
    pelemay_wait wait;
    float value;  /* at a shuffle: what the lane gives, then what it gets */
    unsigned lane; /* at a shuffle: the lane it reads */
};
inline ucontext_t pelemay_scheduler;
inline pelemay_fiber *pelemay_current = nullptr;
inline bool pelemay_direct = false;
inline const std::function<void()> *pelemay_body = nullptr;
inline constexpr size_t pelemay_stack_bytes = 256 * 1024;
inline constexpr unsigned pelemay_warp = 32;
inline bool pelemay_starts_reversed = true; /* the order of the next launch's first block */

/* Where a thread waits for others: false (and the launch fails) when it
 * runs directly, its block's first thread having ended without waiting. */
inline bool pelemay_wait_for_others(pelemay_wait wait, const char *what)
{
    if (pelemay_direct) {
        std::fprintf(stderr, "cuda emulator: %s not reached by every thread of block %u\\n", what, blockIdx.x);
        pelemay_emulated_error = cudaErrorLaunchFailure;
        return false;
    }
    pelemay_current->wait = wait;
    swapcontext(&pelemay_current->context, &pelemay_scheduler);
    return true;
}

inline void __syncthreads(void) { pelemay_wait_for_others(pelemay_at_barrier, "__syncthreads()"); }

/* A warp's lanes exchange values: each gets the value of lane `lane` (its
 * own when that is past the warp). Every lane of the warp must take part. */
inline float pelemay_shuffle(float value, unsigned lane)
{
    pelemay_current->value = value;
    pelemay_current->lane = lane;
    return pelemay_wait_for_others(pelemay_at_shuffle, "a warp shuffle") ? pelemay_current->value : value;
}

inline float __shfl_down_sync(unsigned, float value, unsigned delta)
{
    return pelemay_shuffle(value, threadIdx.x % pelemay_warp + delta);
}

inline float __shfl_xor_sync(unsigned, float value, int mask)
{
    return pelemay_shuffle(value, (threadIdx.x % pelemay_warp) ^ (unsigned)mask);
}

inline void pelemay_fiber_main(void)
{
    (*pelemay_body)();
    pelemay_current->done = true;
}

inline void pelemay_start_fiber(pelemay_fiber *fiber, char *stack)
{
    getcontext(&fiber->context);
    fiber->context.uc_stack.ss_sp = stack;
    fiber->context.uc_stack.ss_size = pelemay_stack_bytes;
    fiber->context.uc_link = &pelemay_scheduler;
    makecontext(&fiber->context, pelemay_fiber_main, 0);
    fiber->started = true;
    fiber->done = false;
    fiber->wait = pelemay_runs;
}

/* Runs fiber t until it waits for others or ends. */
inline void pelemay_resume(pelemay_fiber *fibers, long t)
{
    threadIdx = {(unsigned)t, 0u, 0u};
    pelemay_current = &fibers[t];
    swapcontext(&pelemay_scheduler, &fibers[t].context);
}

/* The thread that runs at position `at` of a block's order. */
inline long pelemay_thread_at(long at, long threads, bool reverse) { return reverse ? threads - 1 - at : at; }

/* Lets go the warps whose every lane waits at a shuffle (each lane gets the
 * value of the lane it reads), or the block when all its threads wait at a
 * barrier. False when there is none to let go. */
inline bool pelemay_release(pelemay_fiber *fibers, long threads)
{
    bool released = false;
    for (long base = 0; base < threads; base += pelemay_warp) {
        long end = base + (long)pelemay_warp < threads ? base + (long)pelemay_warp : threads;
        bool all = true;
        for (long t = base; t < end; ++t) {
            all = all && !fibers[t].done && fibers[t].wait == pelemay_at_shuffle;
        }
        if (!all) {
            continue;
        }
        float given[pelemay_warp];
        for (long t = base; t < end; ++t) {
            given[t - base] = fibers[t].value;
        }
        for (long t = base; t < end; ++t) {
            long from = base + (long)fibers[t].lane;
            fibers[t].value = from < end ? given[from - base] : fibers[t].value;
            fibers[t].wait = pelemay_runs;
        }
        released = true;
    }
    if (released) {
        return true;
    }
    for (long t = 0; t < threads; ++t) {
        if (fibers[t].done || fibers[t].wait != pelemay_at_barrier) {
            return false;
        }
    }
    for (long t = 0; t < threads; ++t) {
        fibers[t].wait = pelemay_runs;
    }
    return true;
}

/* The rest of a block whose first thread waits for others: rounds, each
 * taking every thread that may run to its next wait or end in the block's
 * order, then letting go what waits complete. False when threads wait for
 * ones that will never come (a barrier or shuffle in divergent code). */
inline bool pelemay_lock_step(pelemay_fiber *fibers, char *stacks, long threads, bool reverse)
{
    for (long t = 0; t < threads; ++t) {
        if (!fibers[t].started) {
            pelemay_start_fiber(&fibers[t], stacks + (size_t)t * pelemay_stack_bytes);
        }
    }
    bool uniform = true;
    for (;;) {
        for (long at = 0; at < threads; ++at) {
            long t = pelemay_thread_at(at, threads, reverse);
            if (!fibers[t].done && fibers[t].wait == pelemay_runs) {
                pelemay_resume(fibers, t);
            }
        }
        bool running = false;
        for (long t = 0; t < threads; ++t) {
            running = running || !fibers[t].done;
        }
        if (!running) {
            return uniform;
        }
        if (!pelemay_release(fibers, threads)) { /* a deadlock on a GPU: let every thread go on */
            uniform = false;
            for (long t = 0; t < threads; ++t) {
                fibers[t].wait = pelemay_runs;
            }
        }
    }
}

template <typename Kernel>
void pelemay_emulate_launch(long blocks, long threads, cudaStream_t, Kernel kernel)
{
    if (blocks < 1 || blocks > 2147483647L || threads < 1 || threads > 1024) {
        pelemay_emulated_error = cudaErrorInvalidConfiguration;
        return;
    }
    gridDim = {(unsigned)blocks, 1u, 1u};
    blockDim = {(unsigned)threads, 1u, 1u};
    std::function<void()> body(kernel);
    pelemay_body = &body;
    pelemay_fiber *fibers = new pelemay_fiber[threads];
    char *stacks = (char *)std::malloc((size_t)threads * pelemay_stack_bytes);
    bool starts_reversed = pelemay_starts_reversed;
    pelemay_starts_reversed = !starts_reversed;
    for (long block = blocks - 1; block >= 0; --block) {
        blockIdx = {(unsigned)block, 0u, 0u};
        bool reverse = ((blocks - 1 - block) % 2 == 0) == starts_reversed;
        for (long t = 0; t < threads; ++t) {
            fibers[t].started = fibers[t].done = false;
        }
        bool waits = false;
        for (long at = 0; at < threads && !waits; at += pelemay_warp) { /* warp by warp, in the block's order */
            long first = pelemay_thread_at(at, threads, reverse);
            pelemay_start_fiber(&fibers[first], stacks + (size_t)first * pelemay_stack_bytes);
            pelemay_resume(fibers, first);
            waits = !fibers[first].done;
            if (!waits) { /* its first lane met no barrier or shuffle: the others run directly */
                pelemay_direct = true;
                for (long lane = 1; lane < (long)pelemay_warp && at + lane < threads; ++lane) {
                    long t = pelemay_thread_at(at + lane, threads, reverse);
                    threadIdx = {(unsigned)t, 0u, 0u};
                    kernel();
                    fibers[t].started = fibers[t].done = true;
                }
                pelemay_direct = false;
            }
        }
        if (waits && !pelemay_lock_step(fibers, stacks, threads, reverse)) {
            std::fprintf(stderr, "cuda emulator: threads of block %ld wait for ones that never come\\n", block);
            pelemay_emulated_error = cudaErrorLaunchFailure;
        }
    }
    std::free(stacks);
    delete[] fibers;
}

#define PELEMAY_CUDA_LAUNCH(kernel, blocks, threads, stream, ...) \\
    pelemay_emulate_launch((blocks), (threads), (stream), [&]() { kernel(__VA_ARGS__); })

#endif
"""


def nvcc() -> str:
    """The nvcc on PATH, or an error saying how to get one."""
    found = shutil.which(machines.DEVICES["cuda"].compiler)
    if found is None:
        raise CompileError("the cuda target builds with nvcc, not found on PATH; install the CUDA toolkit "
                           "(12 or 13: NVIDIA's cuda-nvcc package, or the toolkit installer)")
    return found


@dataclass(frozen=True)
class KernelReport:
    """What ptxas says of one kernel."""

    registers: int
    spill_stores: int
    spill_loads: int
    stack_bytes: int


def check_build(header: str, source: str, name: str, arch: str) -> dict[str, KernelReport]:
    """Compile a generated program with the strict flags (no GPU needed) and
    return ptxas's report of each kernel (by its mangled name)."""
    files = {f"{name}.h": header, f"{name}.cu": source}
    flags = (f"-arch={arch}", *NVCC_FLAGS, "-Xptxas", "-v", "-c")
    target = cbuild.cached_build(files, f"{name}.o", flags, nvcc(), suffix=".cu", libraries=())
    return kernel_reports((target.parent / f"{name}.o.log").read_text())


def kernel_reports(log: str) -> dict[str, KernelReport]:
    """ptxas -v's lines, kernel by kernel."""
    found = {}
    pattern = (r"Function properties for (\S+)\s+(\d+) bytes stack frame, (\d+) bytes spill stores, "
               r"(\d+) bytes spill loads\s+ptxas info\s+: Used (\d+) registers")
    for name, stack, stores, loads, registers in re.findall(pattern, log):
        found[name] = KernelReport(int(registers), int(stores), int(loads), int(stack))
    return found


def _files(header: str, source: str, name: str) -> dict[str, str]:
    return {f"{name}.h": header, f"{name}.cu": source, "pelemay_host.cu": HOST_SHIM}


def build_gpu(header: str, source: str, name: str, arch: str) -> Path:
    """A shared library for the GPU: the program and the host shim, by nvcc."""
    flags = (f"-arch={arch}", *NVCC_FLAGS, "-Xcompiler", "-fPIC", "-shared")
    return cbuild.cached_build(_files(header, source, name), f"lib{name}_cuda.so", flags, nvcc(), suffix=".cu")


def build_emulated(header: str, source: str, name: str, sanitize: bool = False, cxx: str = "g++") -> Path:
    """A shared library of the same program for the CPU emulator."""
    files = {**_files(header, source, name), "cuda_runtime.h": EMULATOR_HEADER}
    flags = (*EMULATOR_FLAGS, "-fPIC", "-shared", *(cbuild.SANITIZE_FLAGS if sanitize else ()))
    return cbuild.cached_build(files, f"lib{name}_emulated.so", flags, cxx, suffix=".cu")


CUDA_ERRORS = {
    35: "no CUDA driver, or one older than the runtime: is there a GPU here? emulate=True runs on the CPU",
    100: "no CUDA-capable device: emulate=True runs on the CPU",
    2: "out of device memory",
}
"""What the cudaError codes a user meets first mean."""


class CudaProgram:
    """A generated CUDA program loaded with ctypes: call it with NumPy arrays in
    argument order; inputs are copied to the device, outputs back. Weights are
    uploaded once, and the arena allocated once, when the program is loaded."""

    def __init__(self, library: Path, iface: abi.Interface, weights: bytes | None):
        self.interface = iface
        self.library_path = library
        self._lib = ctypes.CDLL(str(library))
        self._lib.pelemay_device_free.argtypes = [ctypes.c_void_p]
        self._lib.pelemay_device_alloc.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_size_t]
        for name in ("pelemay_copy_to_device", "pelemay_copy_to_host"):
            getattr(self._lib, name).argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
        self._run = getattr(self._lib, iface.run)
        count = len(iface.inputs) + len(iface.outputs) + 2 + iface.external_weights
        self._run.argtypes = [ctypes.c_void_p] * count
        self._run.restype = ctypes.c_int
        self._owned: list[int] = []
        self._arena = self._alloc(iface.arena_bytes)
        self._weights = None
        if iface.external_weights:
            if weights is None or len(weights) != iface.weights_bytes:
                raise ValueError(f"{iface.run} needs {iface.weights_bytes} bytes of weights, "
                                 f"got {None if weights is None else len(weights)}")
            self._weights = self._alloc(len(weights))
            blob = np.frombuffer(bytes(weights), dtype=np.uint8)
            self._check(self._lib.pelemay_copy_to_device(self._weights, blob.ctypes.data, blob.nbytes), "copy")

    def _check(self, code: int, what: str) -> None:
        if code != 0:
            meaning = CUDA_ERRORS.get(code, "")
            raise RunError(f"{self.interface.run}: CUDA {what} failed with cudaError {code}"
                           + (f" ({meaning})" if meaning else ""))

    def _alloc(self, size: int) -> int:
        pointer = ctypes.c_void_p()
        self._check(self._lib.pelemay_device_alloc(ctypes.byref(pointer), size), "allocation")
        self._owned.append(pointer.value or 0)
        return pointer.value or 0

    def _upload(self, arrays: list[np.ndarray]) -> tuple[list[int], list[int]]:
        """Device buffers for the inputs (filled) and the outputs."""
        device_inputs = [self._alloc(a.nbytes) for a in arrays]
        device_outputs = [self._alloc(int(np.prod(b.shape)) * b.dtype.itemsize) for b in self.interface.outputs]
        for d, a in zip(device_inputs, arrays):
            self._check(self._lib.pelemay_copy_to_device(d, a.ctypes.data, a.nbytes), "copy")
        return device_inputs, device_outputs

    def _run_and_wait(self, device_inputs: list[int], device_outputs: list[int]) -> None:
        weights = [self._weights] if self._weights is not None else []
        rc = self._run(*weights, *device_inputs, *device_outputs, self._arena, None)
        if rc != 0:
            raise RunError(f"{self.interface.run} returned {rc} ({RETURN_CODES.get(rc, 'unknown code')})")
        self._check(self._lib.pelemay_synchronize(), "kernel execution")

    def __call__(self, *inputs: np.ndarray) -> list[np.ndarray]:
        arrays = cbuild.check_inputs(self.interface, inputs)
        outputs = [np.zeros(b.shape, b.dtype) for b in self.interface.outputs]
        start = len(self._owned)
        try:
            device_inputs, device_outputs = self._upload(arrays)
            self._run_and_wait(device_inputs, device_outputs)
            for o, d in zip(outputs, device_outputs):
                self._check(self._lib.pelemay_copy_to_host(o.ctypes.data, d, o.nbytes), "copy")
        finally:
            for pointer in self._owned[start:]:
                self._lib.pelemay_device_free(pointer)
            del self._owned[start:]
        return outputs

    def device_call(self, *inputs: np.ndarray):
        """Upload `inputs` once and return a function that runs the program on
        them and waits for it: what a benchmark times (no copies, no allocation)."""
        device_inputs, device_outputs = self._upload(cbuild.check_inputs(self.interface, inputs))
        return lambda: self._run_and_wait(device_inputs, device_outputs)

    def __del__(self) -> None:
        lib = getattr(self, "_lib", None)
        for pointer in getattr(self, "_owned", ()):
            lib.pelemay_device_free(pointer)  # pyright: ignore[reportOptionalMemberAccess]


RETURN_CODES = {**cbuild.RETURN_CODES, **{value: name for name, value, _ in cuda.CUDA_ERROR_CODES}}


def compile_module(module: ModuleOp, emulate: bool = False, sanitize: bool = False) -> CudaProgram:
    """Print, build and load a module after `pelemay-to-cuda`: for the GPU
    (nvcc, the module's architecture), or for the CPU emulator."""
    header, source = cuda.emit_cuda(module)
    iface = cuda.interface(module)
    if emulate:
        library = build_emulated(header, source, iface.base, sanitize)
    else:
        library = build_gpu(header, source, iface.base, cuda.architecture(module))
    blob = bytes(weights_file.blob_of(module)) if iface.weights_bytes else b"" if iface.external_weights else None
    return CudaProgram(library, iface, blob)
