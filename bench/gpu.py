"""GPU speed of the cuda target beside PyTorch eager (cuDNN, cuBLAS), f32.

    python bench/gpu.py [--only NAME,...] [--rounds N] [--arch sm_90] [--out FILE]
    python bench/gpu.py --emulate --device cpu --only mlp_b1,lenet5_b1   # the flow, without a GPU

Workloads: MobileNet v1 and v2 at batch 1 and 32, the MLP at batch 1 and
1024, LeNet-5 and the ResNet block at batch 1 (tools/make_examples.py's
networks with the bundled seeded weights), a 4096x4096 matmul and a 3x3
convolution 56x56x64 -> 64 at batch 32. Each is compiled by pelemay-to-cuda
and nvcc (built first, never timed) and run by PyTorch from the same
program and weights (bench/anchor_torch.py, TF32 off). Both outputs are
checked, against each other and, at batch 1, against the reference
evaluator; a wrong result is reported, not timed. Timing: `--rounds`
interleaved rounds, each timing several calls of one side then the other on
inputs already on the device, each call waited for; the table gives the
median call per side and the median of the rounds' ratios (PyTorch time /
ours: above 1 means ours is faster).

The device tool's machine has nvcc, PyTorch and NumPy but not this
project's other dependencies: tools/gpu_check.sh installs the carried
wheels and runs this with the GPU tests.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
from anchor_torch import TorchProgram  # noqa: E402  (after the path is set, above)

sys.path.remove(str(BENCH))


@dataclass(frozen=True)
class Workload:
    name: str
    what: str
    build: Callable[[], object]
    """Makes the ptensor module (weights attached)."""
    check_reference: bool
    """Batch 1 and the small programs are checked against the reference evaluator too."""


def _examples():
    spec = importlib.util.spec_from_file_location("make_examples", ROOT / "tools" / "make_examples.py")
    module = importlib.util.module_from_spec(spec)  # pyright: ignore[reportArgumentType]
    sys.modules["make_examples"] = module
    spec.loader.exec_module(module)  # pyright: ignore[reportOptionalMemberAccess]
    return module


def model(name: str, batch: int) -> Workload:
    def build():
        return _examples().MODELS[name](batch=batch).build()

    return Workload(f"{name}_b{batch}", f"{name} at batch {batch}", build, batch == 1)


def matmul(n: int) -> Workload:
    def build():
        from pelemay_ir.builder import ProgramBuilder

        b = ProgramBuilder(f"matmul{n}")
        x = b.argument("a", (n, n))
        w = b.weight("b", (np.random.default_rng(1).standard_normal((n, n)) / np.sqrt(n)).astype(np.float32))
        b.returns(b.matmul(x, w))
        return b.build()

    return Workload(f"matmul{n}", f"matmul {n}x{n} @ {n}x{n}", build, False)


def conv3x3(batch: int, size: int, channels: int) -> Workload:
    def build():
        from pelemay_ir.builder import ProgramBuilder

        b = ProgramBuilder(f"conv{size}")
        x = b.argument("x", (batch, size, size, channels))
        rng = np.random.default_rng(2)
        w = b.weight("w", (rng.standard_normal((3, 3, channels, channels)) / np.sqrt(9 * channels)).astype(np.float32))
        bias = b.weight("bias", rng.standard_normal(channels).astype(np.float32))
        b.returns(b.conv2d(x, w, bias, padding=(1, 1, 1, 1)))
        return b.build()

    return Workload(f"conv3x3_b{batch}", f"conv2d 3x3 {size}x{size}x{channels} -> {channels}, batch {batch}",
                    build, False)


WORKLOADS = [
    model("mobilenet_v1", 1), model("mobilenet_v1", 32), model("mobilenet_v2", 1), model("mobilenet_v2", 32),
    model("mlp", 1), model("mlp", 1024), model("lenet5", 1), model("resblock", 1),
    matmul(4096), conv3x3(32, 56, 64),
]


def inputs_for(module) -> list[np.ndarray]:
    from pelemay_ir import reference

    rng = np.random.default_rng(0)
    return [rng.standard_normal(a.type.get_shape()).astype(np.float32)
            for a in reference.entry_function(module).body.block.args]


def close(got: np.ndarray, want: np.ndarray) -> tuple[bool, float]:
    scale = float(np.max(np.abs(want))) or 1.0
    error = float(np.max(np.abs(got.astype(np.float64) - want)))
    return error <= 1e-4 * scale + 1e-6, error / scale


def time_calls(call: Callable[[], None], calls: int) -> float:
    """The median of `calls` timed calls, in seconds."""
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@dataclass
class Row:
    workload: Workload
    ours_s: float | None = None
    torch_s: float | None = None
    ratio: float | None = None
    error: float | None = None
    registers: int | None = None
    kernels: int | None = None
    note: str = ""


def run(workloads: list[Workload], arch: str, device: str, emulate: bool, rounds: int) -> list[Row]:
    from pelemay_ir import api, cudabuild, reference
    from pelemay_ir.targets import cuda

    modules = {w.name: w.build() for w in workloads}
    lowered = {name: api.lower_to_cuda(m, arch) for name, m in modules.items()}

    def build(name: str):
        module = lowered[name]
        header, source = cuda.emit_cuda(module)
        report = cudabuild.check_build(header, source, cuda.interface(module).base, arch)
        return report, cudabuild.compile_module(module, emulate=emulate)

    with ThreadPoolExecutor() as pool:  # nvcc runs one kernel file per process
        built = dict(zip(lowered, pool.map(build, lowered)))
    rows = []
    for w in workloads:
        row = Row(w)
        rows.append(row)
        report, ours = built[w.name]
        row.kernels = len(report)
        row.registers = max((k.registers for k in report.values()), default=0)
        inputs = inputs_for(modules[w.name])
        anchor = TorchProgram(modules[w.name], device)
        got, want = ours(*inputs)[0], anchor(*inputs)[0]
        ok, row.error = close(got, want)
        if ok and w.check_reference:
            ok, _ = close(got, reference.evaluate(modules[w.name], inputs)[0])
        if not ok:
            row.note = "WRONG: outputs differ"
            continue
        ours_call, torch_call = ours.device_call(*inputs), anchor.device_call(*inputs)
        ours_call(), torch_call()  # warm-up
        calls = max(1, min(20, int(0.2 / max(time_calls(ours_call, 1), 1e-6))))
        ours_times, torch_times, ratios = [], [], []
        for _ in range(rounds):
            a, b = time_calls(ours_call, calls), time_calls(torch_call, calls)
            ours_times.append(a)
            torch_times.append(b)
            ratios.append(b / a)
        row.ours_s, row.torch_s = statistics.median(ours_times), statistics.median(torch_times)
        row.ratio = statistics.median(ratios)
    return rows


def machine_line(device: str, emulate: bool) -> str:
    import torch

    if device.startswith("cuda"):
        name = torch.cuda.get_device_name(0)
        try:
            driver = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                                    capture_output=True, text=True).stdout.strip()
        except OSError:
            driver = "unknown"
        return f"{name}, driver {driver}, PyTorch {torch.__version__}"
    return f"{platform.processor() or platform.machine()} CPU (ours on the CPU emulator: {emulate}), PyTorch {torch.__version__}"


def render(rows: list[Row], arch: str, device: str, emulate: bool, rounds: int) -> str:
    lines = [
        f"# GPU: the cuda target beside PyTorch eager ({datetime.date.today().isoformat()})",
        "",
        f"Generated by `python bench/gpu.py` on {machine_line(device, emulate)}; nvcc -arch={arch}. "
        f"Median call (inputs on the device, each call waited for), {rounds} interleaved rounds; "
        "ratio = PyTorch time / ours (above 1: ours is faster). TF32 off.",
        "",
        "| workload | ours | PyTorch | ratio | max error (relative) | kernels | most registers | note |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        def ms(s: float | None) -> str:
            return "–" if s is None else f"{s * 1e3:.3f} ms"

        ratio = "–" if r.ratio is None else f"{r.ratio:.2f}"
        error = "–" if r.error is None else f"{r.error:.1e}"
        lines.append(f"| {r.workload.what} | {ms(r.ours_s)} | {ms(r.torch_s)} | {ratio} | {error} | "
                     f"{r.kernels} | {r.registers} | {r.note} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", help="comma-separated workload names: " + ", ".join(w.name for w in WORKLOADS))
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--arch", default="sm_90")
    p.add_argument("--device", default="cuda", help="where PyTorch runs (cuda, or cpu with --emulate)")
    p.add_argument("--emulate", action="store_true", help="run ours on the CPU emulator (no GPU)")
    p.add_argument("--out", type=Path, help="write the table there (else print it)")
    args = p.parse_args(argv)
    chosen = WORKLOADS
    if args.only:
        names = args.only.split(",")
        unknown = sorted(set(names) - {w.name for w in WORKLOADS})
        if unknown:
            p.error(f"unknown workload {unknown[0]}; valid: " + ", ".join(w.name for w in WORKLOADS))
        chosen = [w for w in WORKLOADS if w.name in names]
    rows = run(chosen, args.arch, args.device, args.emulate, args.rounds)
    text = render(rows, args.arch, args.device, args.emulate, args.rounds)
    if args.out:
        args.out.write_text(text)
    print(text)
    return 1 if any(r.note for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
