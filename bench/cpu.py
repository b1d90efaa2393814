"""CPU speed of our generated code beside NumPy, naive C, IREE and onnxruntime (f32).

    python bench/cpu.py [--quick] [--repeat N] [--budget S] [--only NAME,...]
                        [--impl KEY,...] [--out bench/results/cpu.md]

Every workload (square matmuls, the bundled MLP at batch 1 and 64, LeNet-5,
MobileNet v1, an elementwise chain, a softmax, a 3x3 convolution) is one
ptensor program with seeded inputs. Each implementation is built first
(build time is never timed), called once and checked against the reference
(NumPy in float64 for the kernels, pelemay_ir.reference for the models); a
wrong result is reported, not timed. Then the call is timed many times with
inputs, outputs and scratch memory allocated once. The report gives the
median per call with its IQR and min-max, GFLOP/s (GB/s for the
memory-bound kernels) and the ratio to ours measured in the same run.
docs/bench-cpu.md explains the method and the optional extras.
"""

from __future__ import annotations

import os
import sys

if "numpy" not in sys.modules:
    # The timed code here is single-threaded; idle BLAS threads left spinning
    # by the float64 reference products would take a core from it. The NumPy
    # rows run in their own processes with their own thread settings.
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
        os.environ.setdefault(_var, "1")

import argparse
import ctypes
import datetime
import importlib.metadata
import importlib.util
import inspect
import json
import math
import platform
import subprocess
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
# The translators beside this file, imported with this folder on sys.path only
# for the moment: left there, its distributed.py would hide Dask's package.
_added = str(BENCH) not in sys.path
sys.path.insert(0, str(BENCH))
import ptensor_to_linalg  # noqa: E402  (after the path is set, above)
import ptensor_to_onnx  # noqa: E402  (after the path is set, above)

if _added:
    sys.path.remove(str(BENCH))

TOLERANCE = 1e-3
"""Largest accepted max|out - expected| / max|expected|: far above f32
rounding of any summation order, far below any real mistake."""

THREAD_VARIABLES = (
    "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS",
)  # fmt: skip


class BenchError(RuntimeError):
    """Bad command-line input (an unknown workload or implementation)."""


# --- workloads ---------------------------------------------------------------


@dataclass
class Workload:
    """One program, its inputs and what each implementation needs to run it."""

    name: str
    family: str  # matmul, mlp, lenet5, mobilenet_v1, chain, softmax, conv3x3
    make_module: Callable[[], object]  # a fresh ModuleOp each call
    make_inputs: Callable[[], list[np.ndarray]]
    numpy_fn: Callable[[list[np.ndarray]], np.ndarray] | None  # None: the reference evaluator
    exact: Callable[[list[np.ndarray]], np.ndarray] | None  # float64 result; None: the reference
    naive: tuple[str, Callable[[list[np.ndarray], np.ndarray], list]] | None  # C function, its extra args
    flops: float | None = None
    bytes_moved: float | None = None
    note: str = ""
    _inputs: list[np.ndarray] | None = field(default=None, repr=False)
    _expected: np.ndarray | None = field(default=None, repr=False)

    @property
    def inputs(self) -> list[np.ndarray]:
        if self._inputs is None:
            self._inputs = self.make_inputs()
        return self._inputs

    @property
    def expected(self) -> np.ndarray:
        if self._expected is None:
            if self.exact is not None:
                self._expected = self.exact(self.inputs)
            else:
                self._expected = reference_run(self.make_module(), self.inputs)
        return self._expected

    @property
    def is_model(self) -> bool:
        return self.naive is None


def rng_for(name: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(name.encode()))


def normal(rng: np.random.Generator, shape: tuple[int, ...], scale: float = 1.0) -> np.ndarray:
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def reference_run(module, inputs: list[np.ndarray]) -> np.ndarray:
    """The first result of the entry function, op by op with pelemay_ir.reference.apply
    (`evaluate` would also re-verify the module on every call)."""
    from pelemay_ir import reference

    function = reference.entry_function(module)
    values = dict(zip(function.body.block.args, inputs))
    for op in function.body.block.ops:
        if op.name == "func.return":
            return values[op.operands[0]]
        values[op.results[0]] = reference.apply(op, [values[v] for v in op.operands], module)
    raise ValueError("the entry function has no func.return")


def model_flops(module) -> float:
    """2 FLOPs per multiply-add of every matmul and convolution (the rest is small)."""
    from pelemay_ir import reference
    from pelemay_ir.dialects import ptensor as pt

    total = 0
    for op in reference.entry_function(module).body.block.ops:
        if isinstance(op, pt.MatmulOp):
            a = op.lhs.type.get_shape()
            total += 2 * math.prod(op.results[0].type.get_shape()) * a[-1]
        elif isinstance(op, pt.Conv2DOp):
            kh, kw, per_group, _ = op.filter.type.get_shape()
            total += 2 * math.prod(op.results[0].type.get_shape()) * kh * kw * per_group
    return float(total)


def builder_module(name: str, build: Callable) -> Callable[[], object]:
    def make():
        from pelemay_ir.builder import ProgramBuilder

        b = ProgramBuilder(name)
        build(b)
        return b.build()

    return make


def matmul_workload(n: int) -> Workload:
    name = f"matmul-{n}"

    def build(b):
        b.returns(b.matmul(b.argument("a", (n, n)), b.argument("b", (n, n)), name="c"))

    return Workload(
        name, "matmul", builder_module(f"matmul{n}", build),
        lambda: [normal(rng_for(name), (n, n)), normal(rng_for(name + "b"), (n, n))],
        numpy_fn=lambda x: x[0] @ x[1],
        exact=lambda x: x[0].astype(np.float64) @ x[1].astype(np.float64),
        naive=("naive_matmul", lambda x, out: [n, n, n]),
        flops=2.0 * n**3,
    )


def chain_numpy(x: list[np.ndarray]) -> np.ndarray:
    a, b, c, d, e = x
    return np.maximum(a * b + c, 0) * d - e


def chain_workload(count: int, label: str) -> Workload:
    name = f"chain-{label}"

    def build(b):
        a, x, c, d, e = (b.argument(k, (count,)) for k in "abcde")
        b.returns(b.sub(b.mul(b.relu(b.add(b.mul(a, x), c)), d), e, name="out"))

    return Workload(
        name, "chain", builder_module("chain", build),
        lambda: [normal(rng_for(name + k), (count,)) for k in "abcde"],
        numpy_fn=chain_numpy,
        exact=lambda x: chain_numpy([v.astype(np.float64) for v in x]),
        naive=("naive_chain", lambda x, out: [count]),
        bytes_moved=6.0 * 4 * count,
        note="relu(a*b + c)*d - e",
    )


def softmax_numpy(x: list[np.ndarray]) -> np.ndarray:
    e = np.exp(x[0] - x[0].max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_workload(rows: int, cols: int) -> Workload:
    name = f"softmax-{rows}x{cols}"

    def build(b):
        b.returns(b.softmax(b.argument("x", (rows, cols)), axis=-1, name="y"))

    return Workload(
        name, "softmax", builder_module("softmax", build),
        lambda: [normal(rng_for(name), (rows, cols))],
        numpy_fn=softmax_numpy,
        exact=lambda x: softmax_numpy([x[0].astype(np.float64)]),
        naive=("naive_softmax", lambda x, out: [rows, cols]),
        bytes_moved=2.0 * 4 * rows * cols,
        note="last axis",
    )


def conv_im2col(x: np.ndarray, w: np.ndarray, pad: int) -> np.ndarray:
    """Stride-1 NHWC x HWCF convolution: im2col (a copy of every 3x3 window) then one matmul."""
    kh, kw, c, f = w.shape
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(1, 2))  # N,OH,OW,C,kh,kw
    n, oh, ow = windows.shape[:3]
    cols = windows.transpose(0, 1, 2, 4, 5, 3).reshape(n * oh * ow, kh * kw * c)
    return (cols @ w.reshape(kh * kw * c, f)).reshape(n, oh, ow, f)


def conv_workload(size: int, channels: int, out_channels: int) -> Workload:
    name = f"conv3x3-{size}x{size}x{channels}-{out_channels}"
    x_shape, w_shape = (1, size, size, channels), (3, 3, channels, out_channels)

    def build(b):
        x, w = b.argument("x", x_shape), b.argument("w", w_shape)
        b.returns(b.conv2d(x, w, padding=(1, 1, 1, 1), name="y"))

    return Workload(
        name, "conv3x3", builder_module("conv3x3", build),
        lambda: [normal(rng_for(name), x_shape), normal(rng_for(name + "w"), w_shape, (9 * channels) ** -0.5)],
        numpy_fn=lambda x: conv_im2col(x[0], x[1], 1),
        exact=lambda x: conv_im2col(x[0].astype(np.float64), x[1].astype(np.float64), 1),
        naive=("naive_conv2d", lambda x, out: [1, size, size, channels, out_channels, 3, 3, 1]),
        flops=2.0 * size * size * out_channels * 9 * channels,
        note="padding 1, stride 1; NumPy: im2col + matmul",
    )


def load_example(name: str) -> Callable[[], object]:
    def make():
        from pelemay_ir import ir

        return ir.load(ROOT / "examples" / f"{name}.mlir")

    return make


def rebatched(module, batch: int, name: str):
    """A copy of a dense program (weight, matmul, add, relu) for a batch of
    `batch` rows, built with pelemay_ir.builder from the same weights."""
    from pelemay_ir import reference, weights
    from pelemay_ir.builder import ProgramBuilder
    from pelemay_ir.dialects import ptensor as pt

    b = ProgramBuilder(name)
    function = reference.entry_function(module)
    values = {}
    for arg in function.body.block.args:
        shape = tuple(arg.type.get_shape())
        values[arg] = b.argument(arg.name_hint or "x", (batch, *shape[1:]))
    for op in function.body.block.ops:
        if op.name == "func.return":
            b.returns(*(values[v] for v in op.operands))
            break
        hint = op.results[0].name_hint
        if isinstance(op, pt.WeightOp):
            array = weights.read(module, op.key.data, op.offset.value.data, op.results[0].type)
            values[op.results[0]] = b.weight(op.key.data, np.array(array), name=hint)
        elif isinstance(op, pt.MatmulOp):
            values[op.results[0]] = b.matmul(values[op.lhs], values[op.rhs], name=hint)
        elif isinstance(op, pt.AddOp):
            values[op.results[0]] = b.add(values[op.lhs], values[op.rhs], name=hint)
        elif isinstance(op, pt.ReluOp):
            values[op.results[0]] = b.relu(values[op.input], name=hint)
        else:
            raise ValueError(f"rebatching knows weight, matmul, add and relu, not '{op.name}'")
    return b.build()


def model_workload(name: str, example: str, batch: int | None = None) -> Workload:
    if batch is None:
        make = load_example(example)
    else:
        def make():
            return rebatched(load_example(example)(), batch, f"{example}_b{batch}")

    def inputs():
        from pelemay_ir import reference

        args = reference.entry_function(make()).body.block.args
        return [normal(rng_for(name + str(k)), tuple(a.type.get_shape())) for k, a in enumerate(args)]

    return Workload(
        name, example, make, inputs, numpy_fn=None, exact=None, naive=None,
        flops=model_flops(make()),
        note=f"examples/{example}.mlir" + (f" rebuilt for batch {batch}, same weights" if batch else ""),
    )


def workloads(quick: bool) -> list[Workload]:
    if quick:
        return [
            matmul_workload(32), matmul_workload(64),
            model_workload("mlp-b1", "mlp"), model_workload("mlp-b64", "mlp", 64),
            model_workload("lenet5", "lenet5"),
            chain_workload(4096, "4096"), softmax_workload(64, 64), conv_workload(8, 8, 8),
        ]  # fmt: skip
    return [
        *(matmul_workload(n) for n in (128, 256, 512, 1024)),
        model_workload("mlp-b1", "mlp"), model_workload("mlp-b64", "mlp", 64),
        model_workload("lenet5", "lenet5"), model_workload("resblock", "resblock"),
        model_workload("mobilenet_v1", "mobilenet_v1"), model_workload("mobilenet_v2", "mobilenet_v2"),
        chain_workload(1 << 20, "1M"), softmax_workload(1024, 1024), conv_workload(56, 64, 64),
    ]  # fmt: skip


def select(all_workloads: list[Workload], only: str | None) -> list[Workload]:
    """`--only`: workload names or families (`matmul` is every matmul)."""
    if not only:
        return all_workloads
    wanted = [w.strip() for w in only.split(",") if w.strip()]
    chosen = []
    for key in wanted:
        hits = [w for w in all_workloads if key in (w.name, w.family)]
        if not hits:
            names = ", ".join(dict.fromkeys([w.family for w in all_workloads] + [w.name for w in all_workloads]))
            raise BenchError(f"unknown workload '{key}'; valid names: {names}")
        chosen += [w for w in hits if w not in chosen]
    return [w for w in all_workloads if w in chosen]


# --- checking and timing -----------------------------------------------------


def relative_error(out: np.ndarray, expected: np.ndarray) -> float:
    out = np.asarray(out, dtype=np.float64)
    if out.shape != expected.shape:
        return math.inf
    if not np.all(np.isfinite(out)):
        return math.inf
    scale = float(np.max(np.abs(expected))) or 1.0
    return float(np.max(np.abs(out - expected))) / scale


WARM_UP = 0.05
"""Seconds of untimed back-to-back calls before each sample (0.005 with
--quick). What is timed is
the steady state of back-to-back calls: threads left spinning by the
implementation sampled before (onnxruntime's pool spins for tens of
milliseconds after a run) have stopped, and the CPUs are busy, not waking
from idle, which on a virtual machine can cost the first calls of any
multi-threaded implementation more than its second thread brings
(docs/bench-cpu.md)."""


@dataclass
class Timing:
    knobs: dict

    def calibrate(self, call: Callable[[], object]) -> tuple[int, float]:
        """Back-to-back calls per sample (enough to last `min_sample` seconds)
        and seconds per call, from one call and then one such batch."""
        min_sample = self.knobs["min_sample"]
        start = time.perf_counter()
        call()
        per_call = time.perf_counter() - start
        if per_call >= min_sample:
            return 1, per_call
        inner = max(1, math.ceil(min_sample / max(per_call, 1e-9)))
        start = time.perf_counter()
        for _ in range(inner):
            call()
        per_call = (time.perf_counter() - start) / inner
        return max(1, math.ceil(min_sample / max(per_call, 1e-9))), per_call

    def interleave(self, calls: dict[str, Callable[[], object]]) -> dict[str, list[float]]:
        """Seconds per call of each of `calls`, sampled in interleaved rounds
        (the order rotating each round, `warm_up` seconds of untimed calls
        before each sample), so a noisy spell of this shared machine falls on all of them:
        `repeat` samples each, fewer when its `budget` would be exceeded, never
        fewer than 3."""
        repeat, budget = self.knobs["repeat"], self.knobs["budget"]
        plan = {k: self.calibrate(call) for k, call in calls.items()}
        wanted = {k: min(repeat, max(3, int(budget / (per_call * inner)))) for k, (inner, per_call) in plan.items()}
        times: dict[str, list[float]] = {k: [] for k in calls}
        keys = list(calls)
        for r in range(max(wanted.values(), default=0)):
            for k in keys[r % len(keys):] + keys[:r % len(keys)]:
                if len(times[k]) >= wanted[k]:
                    continue
                warm = time.perf_counter() + self.knobs["warm_up"]
                while time.perf_counter() < warm:
                    calls[k]()
                inner = plan[k][0]
                start = time.perf_counter()
                for _ in range(inner):
                    calls[k]()
                times[k].append((time.perf_counter() - start) / inner)
        return times

    def measure(self, call: Callable[[], object]) -> list[float]:
        return self.interleave({"": call})[""]


@dataclass
class Result:
    workload: str
    impl: str
    status: str  # ok, wrong, or why it did not run
    times: list[float] = field(default_factory=list)
    error: float | None = None

    @property
    def median(self) -> float:
        return float(np.median(self.times))


def check(w: Workload, impl: str, output: Callable[[], np.ndarray]) -> Result:
    """The first output against the reference: ok (to be timed) or wrong."""
    err = relative_error(output(), w.expected)
    return Result(w.name, impl, "ok" if err <= TOLERANCE else "wrong", error=err)


def check_and_time(w: Workload, impl: str, call: Callable[[], object], output: Callable[[], np.ndarray],
                   timing: Timing) -> Result:
    call()
    r = check(w, impl, output)
    if r.status == "ok":
        r.times = timing.measure(call)
    return r


# --- implementations ---------------------------------------------------------


class Skip(Exception):
    """An implementation cannot run a workload; the message says why (shown in the table)."""


class NativeCall:
    """A generated run function called through ctypes with buffers allocated once."""

    def __init__(self, program, inputs: list[np.ndarray]):
        from pelemay_ir.cbuild import aligned, aligned_array

        iface = program.interface
        self.program = program
        # every buffer on a cache line, as an embedding program would place them
        self.inputs = [aligned_array(b.shape, b.dtype) for b in iface.inputs]
        for buffer, x in zip(self.inputs, inputs):
            buffer[...] = x
        self.outputs = [aligned_array(b.shape, b.dtype) for b in iface.outputs]
        self.arena = aligned(iface.arena_bytes, iface.arena_align)
        self.pointers = [a.ctypes.data for a in (*self.inputs, *self.outputs, self.arena)]
        if program.weights is not None:  # external: the program's own file, aligned as it asks
            self.pointers.insert(0, program.weights.ctypes.data)

    def __call__(self) -> None:
        rc = self.program.call_raw(*self.pointers)
        if rc != 0:
            raise RuntimeError(f"{self.program.interface.run} returned {rc}")

    def output(self) -> np.ndarray:
        return self.outputs[0]


def weights_blob(module):
    from pelemay_ir import weights

    return weights.blob_of(module) if weights.WEIGHTS_ATTR in module.attributes else None


def ours(emit: str, threads: int | None = None) -> Callable:
    def prepare(w: Workload):
        from pelemay_ir import api

        if emit == "llvm":
            from pelemay_ir import llvmbuild

            if not llvmbuild.have_tools():
                raise Skip("not installed (LLVM >= 16: opt, llc, clang)")
        options = {}
        if threads is not None:
            if "threads" not in inspect.signature(api.compile).parameters:
                raise Skip("not built yet (pelemay_ir.api.compile has no threads= argument)")
            options["threads"] = threads
        module = w.make_module()
        mode = "external" if weights_blob(module) is not None else "embedded"
        program = api.compile(module, target="host", emit=emit, weights=mode, **options)
        native = NativeCall(program, w.inputs)
        return native, native.output

    return prepare


class NaiveLibrary:
    """bench/cpu_naive.c built once per run with gcc -O3 -march=native."""

    FLAGS = ("-O3", "-march=native", "-shared", "-fPIC")

    def __init__(self):
        self._lib = None
        self._dir = None

    def get(self):
        if self._lib is None:
            self._dir = tempfile.TemporaryDirectory(prefix="pelemay-bench-")
            path = Path(self._dir.name) / "libnaive.so"
            command = ["gcc", *self.FLAGS, str(BENCH / "cpu_naive.c"), "-o", str(path), "-lm"]
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0:
                raise Skip(f"failed: {' '.join(command)}: {done.stderr.strip()[:200]}")
            self._lib = ctypes.CDLL(str(path))
        return self._lib


NAIVE = NaiveLibrary()


def scalar_pass_list(weights_mode: str) -> str:
    """pelemay-to-loops without the vector level (`vectorize=false` where the
    pipeline has that option; before it had, the pipeline was scalar)."""
    from pelemay_ir import pipelines
    from pelemay_ir.ir import CompileError

    try:
        return pipelines.pass_list("pelemay-to-loops", target="host", weights=weights_mode, vectorize=False)
    except CompileError:
        return pipelines.pass_list("pelemay-to-loops", target="host", weights=weights_mode)


def scalar_c_program(module):
    """Our scalar loop-level C, built with gcc -O3 -march=native: the models'
    naive-C baseline."""
    from pelemay_ir import cbuild, ir, registry

    blob = weights_blob(module)
    ctx = ir.make_context()
    for p in registry.make_pipeline(scalar_pass_list("external" if blob is not None else "embedded")):
        p.apply(ctx, module)
    return cbuild.compile_module(module, cflags=NaiveLibrary.FLAGS[:2], weights=None if blob is None else bytes(blob))


def naive_c(w: Workload):
    if w.naive is None:
        module = w.make_module()
        native = NativeCall(scalar_c_program(module), w.inputs)
        return native, native.output
    from pelemay_ir.cbuild import aligned_array

    function_name, extra = w.naive
    fn = getattr(NAIVE.get(), function_name)
    inputs = [aligned_array(x.shape, x.dtype) for x in w.inputs]  # on cache lines, as ours get them
    for buffer, x in zip(inputs, w.inputs):
        buffer[...] = x
    out = aligned_array(w.expected.shape, np.dtype(np.float32))
    args = [x.ctypes.data for x in inputs] + [out.ctypes.data] + extra(inputs, out)
    fn.argtypes = [ctypes.c_void_p] * (len(inputs) + 1) + [ctypes.c_int] * (len(args) - len(inputs) - 1)
    fn.restype = None

    def call(buffers=(inputs, out)):  # the addresses in args stay valid while call lives
        fn(*args)

    return call, lambda: out


class Iree:
    """IREE's rows. All workloads are compiled as one module (one compiler
    start-up instead of one per workload); a workload whose function breaks
    that compile is then compiled alone, so its error is its own."""

    def __init__(self):
        self.vmfb: dict[str, bytes | Skip] = {}
        self.programs: dict[str, object] = {}

    @staticmethod
    def available() -> bool:
        return all(importlib.util.find_spec(m) is not None for m in ("iree", "iree.compiler", "iree.runtime"))

    def compile(self, text: str) -> bytes:
        import iree.compiler as iree_compiler

        return iree_compiler.compile_str(
            text, target_backends=["llvm-cpu"], extra_args=["--iree-llvmcpu-target-cpu=host"]
        )

    def begin(self, ws: list[Workload]) -> None:
        if not self.available():
            return

        for k, w in enumerate(ws):
            try:
                self.programs[w.name] = ptensor_to_linalg.translate(w.make_module(), entry=f"w{k}")
            except ptensor_to_linalg.NotExpressible as e:
                self.vmfb[w.name] = Skip(f"not run ({e})")
        if not self.programs:
            return
        try:
            whole = self.compile("\n".join(p.text for p in self.programs.values()))
            for name in self.programs:
                self.vmfb[name] = whole
        except Exception:  # the compiler's error type varies by version; retried one by one
            for name, program in self.programs.items():
                try:
                    self.vmfb[name] = self.compile(program.text)
                except Exception as e:
                    message = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
                    self.vmfb[name] = Skip(f"failed: IREE compile: {message}")

    def __call__(self, w: Workload):
        if not self.available():
            raise Skip("not installed (pip install iree-base-compiler iree-base-runtime)")
        import iree.runtime as iree_runtime

        if w.name not in self.vmfb:
            self.begin([w])
        vmfb = self.vmfb[w.name]
        if isinstance(vmfb, Skip):
            raise vmfb
        program = self.programs[w.name]
        config = iree_runtime.Config("local-sync")
        context = iree_runtime.SystemContext(config=config)
        context.add_vm_module(iree_runtime.VmModule.copy_buffer(context.instance, vmfb))
        function = context.modules.module[program.entry]
        args = [iree_runtime.asdevicearray(config.device, np.ascontiguousarray(a)) for a in program.arguments(w.inputs)]
        holder = {}

        def call():
            holder["out"] = function(*args)

        def output():
            out = holder["out"]
            return (out[0] if isinstance(out, (tuple, list)) else out).to_host()

        return call, output


def onnxruntime(threads: int) -> Callable:
    return lambda w: _onnxruntime(w, threads)


def _onnxruntime(w: Workload, threads: int):
    if importlib.util.find_spec("onnxruntime") is None or importlib.util.find_spec("onnx") is None:
        raise Skip("not installed (pip install onnx onnxruntime)")
    import onnxruntime as ort


    try:
        program = ptensor_to_onnx.translate(w.make_module())
    except ptensor_to_onnx.NotExpressible as e:
        raise Skip(f"not run ({e})") from None
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    session = ort.InferenceSession(program.model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    feeds = program.feeds(w.inputs)
    binding = session.io_binding()
    for name, array in feeds.items():
        binding.bind_cpu_input(name, array)
    outputs = [np.zeros(shape, np.float32) for shape in program.output_shapes]
    for name, out in zip(program.output_names, outputs):
        binding.bind_output(name, "cpu", 0, np.float32, list(out.shape), out.ctypes.data)

    def call(buffers=(feeds, outputs)):  # the bound addresses stay valid while call lives
        session.run_with_iobinding(binding)

    return call, lambda: program.results(outputs)[0]


@dataclass(frozen=True)
class Impl:
    key: str
    label: str
    prepare: Callable | None  # None: run in a NumPy worker process
    applies: Callable[[Workload, list[Workload]], bool] = lambda w, ws: True
    begin: Callable[[list[Workload]], None] | None = None  # once, before the first workload


def largest_matmul(w: Workload, ws: list[Workload]) -> bool:
    matmuls = [x for x in ws if x.family == "matmul"]
    return bool(matmuls) and w is max(matmuls, key=lambda x: x.flops or 0)


def two_thread_rows(w: Workload, ws: list[Workload]) -> bool:
    """Where two threads are compared: every model (a user runs them on both
    cores of a board) and the largest matmul."""
    return w.family not in ("matmul", "chain", "softmax", "conv3x3") or largest_matmul(w, ws)


def all_threads() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def implementations() -> list[Impl]:
    n = all_threads()
    iree = Iree()
    return [
        Impl("ours-c", "ours (C)", ours("c")),
        Impl("ours-llvm", "ours (LLVM)", ours("llvm")),
        Impl("ours-c-2t", "ours (C), 2 threads", ours("c", threads=2), two_thread_rows),
        Impl("ours-llvm-2t", "ours (LLVM), 2 threads", ours("llvm", threads=2), two_thread_rows),
        Impl("numpy-1t", "NumPy, 1 thread", None),
        Impl(f"numpy-{n}t", f"NumPy, {n} threads", None),
        Impl("naive-c", "naive C", naive_c),
        Impl("iree", "IREE llvm-cpu", iree, begin=iree.begin),
        Impl("onnxruntime", "onnxruntime, 1 thread", onnxruntime(1)),
        Impl("onnxruntime-2t", "onnxruntime, 2 threads", onnxruntime(2), two_thread_rows),
    ]


def numpy_threads(key: str) -> int | None:
    if key.startswith("numpy-") and key.endswith("t"):
        return int(key[len("numpy-"):-1])
    return None


def run_numpy(ws: list[Workload], timing: Timing) -> list[Result]:
    """NumPy's rows, timed in this process (the caller has fixed the BLAS threads)."""
    results = []
    for w in ws:
        if w.numpy_fn is not None:
            fn, inputs = w.numpy_fn, w.inputs
            holder = {}

            def call(fn=fn, inputs=inputs, holder=holder):
                holder["out"] = fn(inputs)
        else:
            module, inputs = w.make_module(), w.inputs
            holder = {}

            def call(module=module, inputs=inputs, holder=holder):
                holder["out"] = reference_run(module, inputs)

        results.append(check_and_time(w, "numpy", call, lambda holder=holder: holder["out"], timing))
    return results


def numpy_in_worker(threads: int, ws: list[Workload], quick: bool, timing: Timing) -> tuple[list[Result], dict]:
    """Run NumPy's rows in a fresh process whose BLAS was started with `threads` threads."""
    env = dict(os.environ)
    env.update({var: str(threads) for var in THREAD_VARIABLES})
    command = [
        sys.executable, str(BENCH / "cpu_numpy_worker.py"), "--only", ",".join(w.name for w in ws),
        "--timing", json.dumps(timing.knobs),
    ]
    if quick:
        command.append("--quick")
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1][:200]
        return [Result(w.name, "numpy", f"failed: {reason}") for w in ws], {}
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return [Result(**r) for r in data["results"]], data["info"]


def numpy_info() -> dict:
    info = {"numpy": np.__version__, "blas": "unknown"}
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        info["blas"] = f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # the config layout differs across NumPy versions
        pass
    return info


# --- the report --------------------------------------------------------------


def fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def throughput(w: Workload, seconds: float) -> str:
    if w.flops:
        return f"{w.flops / seconds / 1e9:.2f} GFLOP/s"
    if w.bytes_moved:
        return f"{w.bytes_moved / seconds / 1e9:.2f} GB/s"
    return ""


def first_line(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30)
        return (done.stdout or done.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "not found"


def machine_info() -> dict:
    info = {"model": platform.processor() or platform.machine(), "cores": "?", "threads_per_core": "?", "sockets": "1"}
    try:
        text = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return info
    fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    info["model"] = fields.get("Model name", info["model"])
    info["threads_per_core"] = fields.get("Thread(s) per core", "?")
    info["sockets"] = fields.get("Socket(s)", "1")
    per_socket = fields.get("Core(s) per socket")
    if per_socket and info["sockets"].isdigit():
        info["cores"] = str(int(per_socket) * int(info["sockets"]))
    return info


def package_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def tool_versions() -> dict:
    clang = "not found"
    try:
        from pelemay_ir import llvmbuild

        clang = first_line([llvmbuild.find_tool("clang"), "--version"])
    except Exception:  # no LLVM tools: reported as not found
        pass
    return {"gcc": first_line(["gcc", "--version"]), "clang": clang}


def fmt_ratio(ratio: float) -> str:
    return f"{ratio:.2g}" if ratio < 10 else f"{ratio:.0f}"


def ours_flags() -> dict:
    """The flags our two builds use in this checkout (for the report's header)."""
    from pelemay_ir import cbuild, llvmbuild, machines

    host = getattr(machines.machine("host"), "cflags", ())
    return {"c": " ".join((*cbuild.STRICT_FLAGS, *host)), "llvm": " ".join(llvmbuild.SHARED_FLAGS)}


def status_text(r: Result) -> str:
    if r.status == "wrong":
        return f"WRONG (error {r.error:.2g})"
    return r.status


def render(ws: list[Workload], impls: list[Impl], results: dict, context: dict) -> str:
    m, tools, pk = context["machine"], context["tools"], context["packages"]
    lines = [
        "# CPU speed, f32: ours beside NumPy, naive C, IREE and onnxruntime",
        "",
        f"Generated by `python bench/cpu.py{' --quick' if context['quick'] else ''}` "
        f"on {context['date']} in {context['seconds']:.0f} s. Method, flags and caveats: docs/bench-cpu.md.",
        "",
        f"- CPU: {m['model']}; {m['cores']} cores, {m['threads_per_core']} thread(s) per core "
        f"({all_threads()} usable here); load average at start {context['load']}",
        f"- gcc: {tools['gcc']}; clang: {tools['clang']}",
        f"- Python {platform.python_version()}; NumPy {pk['numpy']} ({pk['blas']}); "
        f"iree-base-compiler {pk['iree-base-compiler']}; iree-base-runtime {pk['iree-base-runtime']}; "
        f"onnxruntime {pk['onnxruntime']}; onnx {pk['onnx']}",
        f"- Timing: up to {context['knobs']['repeat']} samples per cell (at least 3; fewer when a cell's "
        f"{context['knobs']['budget']:g} s budget runs out), each sample of back-to-back calls lasting "
        f"at least {context['knobs']['min_sample'] * 1e3:g} ms after {context['knobs']['warm_up'] * 1e3:g} ms of "
        "untimed ones; build time never counted.",
        "",
        "Implementations: **ours (C)** `pelemay_ir.api.compile(..., target=\"host\", emit=\"c\", "
        f"weights=\"external\")` (gcc {context['flags']['c']}); **ours (LLVM)** the same "
        f"with `emit=\"llvm\"` (clang {context['flags']['llvm']}); **NumPy** hand-written NumPy for the kernels (conv: im2col + "
        "matmul), `pelemay_ir.reference` op by op for the models, each thread count in its own process; "
        "**naive C** the loops in bench/cpu_naive.c for the kernels (textbook i-j-k matmul) and, for the "
        "models, our scalar C (`pelemay-to-loops{vectorize=false}`), all built with `gcc -O3 -march=native`; **IREE** "
        "llvm-cpu with `--iree-llvmcpu-target-cpu=host`, `local-sync` driver (one thread), weights passed "
        "as arguments; **onnxruntime** CPU provider, `intra_op_num_threads=1` (and 2 in its two-thread column), NCHW. Every result is "
        f"checked first (max error / max magnitude <= {TOLERANCE:g}) against NumPy float64 for kernels and "
        "`pelemay_ir.reference` for models.",
        "",
        "## Median time per call (time / ours (C): above 1 means ours is faster)",
        "",
    ]
    shown = [i for i in impls if any((w.name, i.key) in results for w in ws)]
    lines.append("| workload | " + " | ".join(i.label for i in shown) + " |")
    lines.append("|---|" + "---:|" * len(shown))
    for w in ws:
        base = results.get((w.name, "ours-c"))
        cells = []
        for i in shown:
            r = results.get((w.name, i.key))
            if r is None:
                cells.append("")
            elif r.status != "ok":
                cells.append(status_text(r).split(" (")[0])
            elif base is not None and base.status == "ok" and i.key != "ours-c":
                cells.append(f"{fmt_time(r.median)} ({fmt_ratio(r.median / base.median)}×)")
            else:
                cells.append(fmt_time(r.median))
        lines.append(f"| {w.name} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Every measurement",
        "",
        "| workload | implementation | median | IQR | min–max | runs | throughput | time / ours (C) | result |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for w in ws:
        base = results.get((w.name, "ours-c"))
        for i in shown:
            r = results.get((w.name, i.key))
            if r is None:
                continue
            if r.status != "ok":
                lines.append(f"| {w.name} | {i.label} | | | | | | | {status_text(r)} |")
                continue
            q1, q3 = np.percentile(r.times, [25, 75])
            ratio = fmt_ratio(r.median / base.median) if base is not None and base.status == "ok" else ""
            lines.append(
                f"| {w.name} | {i.label} | {fmt_time(r.median)} | {fmt_time(q1)}–{fmt_time(q3)} | "
                f"{fmt_time(min(r.times))}–{fmt_time(max(r.times))} | {len(r.times)} | "
                f"{throughput(w, r.median)} | {ratio} | ok (error {r.error:.1g}) |"
            )
    lines += ["", "Workloads:", ""]
    for w in ws:
        size = f"{w.flops / 1e6:,.1f} MFLOP" if w.flops else f"{(w.bytes_moved or 0) / 1e6:,.1f} MB moved"
        lines.append(f"- {w.name}: {size}" + (f"; {w.note}" if w.note else ""))
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes, few repeats, no MobileNet (what CI runs)")
    p.add_argument("--repeat", type=int, default=None, help="samples per cell (default 30; 5 with --quick)")
    p.add_argument("--budget", type=float, default=None, help="seconds of timing per cell (default 2; 0.1 with --quick)")
    p.add_argument("--only", default=None, help="comma-separated workloads or families (matmul, mlp, ...)")
    p.add_argument("--impl", default=None, help="comma-separated implementation keys (default: all)")
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "cpu.md"))
    args = p.parse_args(argv)
    if args.repeat is not None and args.repeat < 1:
        p.error("--repeat must be at least 1")
    if args.budget is not None and args.budget <= 0:
        p.error("--budget must be positive")
    knobs = {
        "repeat": args.repeat or (5 if args.quick else 30),
        "budget": args.budget or (0.1 if args.quick else 2.0),
        "min_sample": 2e-4 if args.quick else 1e-3,
        "warm_up": WARM_UP / 10 if args.quick else WARM_UP,
    }
    timing = Timing(knobs)
    try:
        ws = select(workloads(args.quick), args.only)
        impls = implementations()
        if args.impl:
            keys = [k.strip() for k in args.impl.split(",") if k.strip()]
            valid = [i.key for i in impls]
            for k in keys:
                if k not in valid:
                    raise BenchError(f"unknown implementation '{k}'; valid keys: {', '.join(valid)}")
            impls = [i for i in impls if i.key in keys]
    except BenchError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    started = time.perf_counter()
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    results: dict[tuple[str, str], Result] = {}
    info = numpy_info()
    for impl in impls:
        threads = numpy_threads(impl.key)
        if threads is None:
            continue
        print(f"{impl.label}: all workloads in a worker process", flush=True)
        numpy_results, worker_info = numpy_in_worker(threads, ws, args.quick, timing)
        info.update(worker_info)
        for r in numpy_results:
            results[(r.workload, impl.key)] = Result(r.workload, impl.key, r.status, r.times, r.error)
    for impl in impls:
        if impl.begin is not None:
            impl.begin(ws)
    for w in ws:
        calls = {}
        for impl in impls:
            if impl.prepare is None or not impl.applies(w, ws):
                continue
            try:
                call, output = impl.prepare(w)
                call()
                r = check(w, impl.key, output)
                if r.status == "ok":
                    calls[impl.key] = call
            except Skip as e:
                r = Result(w.name, impl.key, str(e))
            except Exception as e:  # a build or run failure is a finding, reported in the table
                r = Result(w.name, impl.key, f"failed: {type(e).__name__}: {str(e).strip().splitlines()[0][:200] if str(e).strip() else ''}")
            results[(w.name, impl.key)] = r
        try:
            for key, times in timing.interleave(calls).items():
                results[(w.name, key)].times = times
        except Exception as e:  # a call that fails while timed: its row says so
            for key in calls:
                results[(w.name, key)] = Result(w.name, key, f"failed while timed: {type(e).__name__}: {e}")
        for impl in impls:
            r = results.get((w.name, impl.key))
            if r is not None:
                shown = fmt_time(r.median) if r.status == "ok" else status_text(r)
                print(f"{w.name:24s} {impl.label:24s} {shown}", flush=True)

    context = {
        "quick": args.quick,
        "date": datetime.date.today().isoformat(),
        "seconds": time.perf_counter() - started,
        "load": load,
        "knobs": knobs,
        "machine": machine_info(),
        "tools": tool_versions(),
        "flags": ours_flags(),
        "packages": {
            **{k: package_version(k) for k in ("iree-base-compiler", "iree-base-runtime", "onnxruntime", "onnx")},
            **info,
        },
    }
    text = render(ws, impls, results, context)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
