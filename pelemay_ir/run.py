"""`pelemay-run MODEL.mlir`: compile a model for a machine, run it, and check
it against the reference evaluator.

The end-to-end proof for one model on one machine: the `pelemay-to-c{target=T}`
pipeline, the C (or LLVM) printer, the host or cross compiler, the run (ctypes
on the host, qemu-user for the other Linux machines, a qemu-system board model
for bare metal), then every output compared with
`pelemay_ir.reference.evaluate` on the same inputs. A bare-metal machine
(cortex-m4) is also measured against its typical board (sections, stack,
arena): a model that does not fit is reported and not run; one that fits
runs, and its instructions per inference are counted.

    pelemay-run MODEL.mlir [--target T] [--emit c|llvm] [--weights embedded|external]
                           [--inputs F.npz] [--seed N] [--threads N] [--json]
    pelemay-run MODEL.mlir --target cuda [--arch sm_90] [--emulate] [--inputs F.npz] [--seed N] [--json]
    pelemay-run MODEL.mlir (--workers N | --scheduler ADDRESS) [--units F.json] [--batches K]
                           [--group G] [--gantt F.svg] [--inputs F.npz] [--seed N] [--json]

With --workers or --scheduler the model is partitioned into pipeline stages
on units (`partition`; the units of F.json, else one per Dask worker at the
speed the probe measures) and run by `pelemay_ir.distributed` on a Dask
cluster: a LocalCluster of N worker processes here, or the one at ADDRESS.

Exit 0 when every output is within tolerance, 1 otherwise (and for a model
that does not fit its bare-metal board); errors are one line on stderr,
never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from xdsl.dialects import func

from pelemay_ir import api, cbuild, cross, dtypes, icount, ir, reference, weights
from pelemay_ir.ir import CompileError
from pelemay_ir.machines import MACHINES, machine
from pelemay_ir.pipelines import WEIGHTS_MODES
from pelemay_ir.targets import abi

EMITS = ("c", "llvm")
TIMING_RUNS = 7
"""Host runs timed (after one warm-up); the median is reported."""
TIMING_BUDGET_S = 5.0
"""Stop timing early once this much time is spent (large models)."""


class UsageError(Exception):
    """Bad inputs or options from the user: reported in one line."""


def tolerance(expected: np.ndarray) -> float:
    """The float tolerance of one output: 1e-4 relative to its magnitude, at least 1e-4."""
    finite = expected[np.isfinite(expected)]
    scale = float(np.max(np.abs(finite))) if finite.size else 0.0
    return 1e-4 * max(1.0, scale)


def compare(got: np.ndarray, expected: np.ndarray) -> tuple[float, bool]:
    """(max abs error, within tolerance): floats to `tolerance`, integers exactly.
    NaN matches NaN and an infinity matches the same infinity."""
    if got.shape != expected.shape or got.dtype != expected.dtype:
        return float("inf"), False
    if np.issubdtype(expected.dtype, np.floating):
        a, b = got.astype(np.float64), expected.astype(np.float64)
        same = (a == b) | (np.isnan(a) & np.isnan(b))
        with np.errstate(invalid="ignore"):  # inf - inf
            diff = np.where(same, 0.0, np.abs(a - b))
        diff = np.where(np.isnan(diff), np.inf, diff)
        error = float(np.max(diff)) if diff.size else 0.0
        return error, error <= tolerance(expected)
    diff = np.abs(got.astype(np.int64) - expected.astype(np.int64))
    error = float(np.max(diff)) if diff.size else 0.0
    return error, error == 0


def random_inputs(function: func.FuncOp, seed: int) -> list[np.ndarray]:
    """Seeded inputs for every argument: standard normal floats, small integers
    (within [-8, 8), so products and sums stay far from overflow), 0/1 for i1."""
    rng = np.random.default_rng(seed)
    arrays = []
    for arg in function.args:
        dtype = dtypes.numpy_dtype(arg.type.element_type)
        shape = tuple(arg.type.get_shape())
        if np.issubdtype(dtype, np.floating):
            arrays.append(rng.standard_normal(shape).astype(dtype))
        elif dtype == np.bool_:
            arrays.append(rng.integers(0, 2, shape).astype(dtype))
        elif np.issubdtype(dtype, np.unsignedinteger):
            arrays.append(rng.integers(0, 8, shape).astype(dtype))
        else:
            arrays.append(rng.integers(-8, 8, shape).astype(dtype))
    return arrays


def read_inputs(path: str, function: func.FuncOp) -> list[np.ndarray]:
    """The arrays of an .npz file, keyed by argument name or argN, in argument order."""
    if not Path(path).is_file():
        raise UsageError(f"cannot read inputs '{path}': no such file")
    if not zipfile.is_zipfile(path):
        raise UsageError(f"inputs '{path}' is not an .npz archive (numpy.savez) of named arrays")
    try:
        with np.load(path, allow_pickle=False) as npz:
            given = {key: npz[key] for key in npz.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise UsageError(f"cannot read inputs '{path}': {e}") from None
    try:
        return reference.bind_inputs(function, given)
    except reference.InputError as e:
        raise UsageError(f"inputs '{path}': {e}") from None


def _plan(module, target: str, weights: str, report_dir: str, vectorize: bool, threads: int = 1):
    report = os.path.join(report_dir, "plan.json")
    lowered = api.lower(
        module, target=target, weights=weights, vectorize=vectorize, threads=threads, report=report
    )
    with open(report) as f:
        plan = json.load(f)
    return lowered, plan


def _time_host(program, inputs: Sequence[np.ndarray]) -> tuple[list[np.ndarray], float]:
    """The outputs of one run, and the median seconds of up to TIMING_RUNS more."""
    outputs = program(*inputs)
    times: list[float] = []
    spent = 0.0
    while len(times) < TIMING_RUNS and (spent < TIMING_BUDGET_S or len(times) < 3):
        start = time.perf_counter()
        program(*inputs)
        times.append(time.perf_counter() - start)
        spent += times[-1]
    return outputs, statistics.median(times)


def _llvm_available() -> None:
    from pelemay_ir import llvmbuild

    if not llvmbuild.have_tools():
        raise UsageError(
            "--emit llvm needs LLVM >= 16 (opt, llc, clang); install Debian's llvm-16 and clang-16"
        )


def run_model(
    model: str,
    target: str = "host",
    emit: str = "c",
    weights: str = "embedded",
    inputs_path: str | None = None,
    seed: int = 0,
    scalar: bool = False,
    threads: int = 1,
) -> dict[str, object]:
    """Compile, build, run and check one model; the summary as plain data."""
    m = machine(target)
    if emit not in EMITS:
        raise UsageError(f"unknown emit '{emit}'; valid choices: {', '.join(EMITS)}")
    if weights not in WEIGHTS_MODES:
        raise UsageError(f"unknown weights mode '{weights}'; valid modes: {', '.join(WEIGHTS_MODES)}")
    m.require_tools()
    if emit == "llvm":
        _llvm_available()
    module = ir.load(model)
    function = reference.entry_function(module)
    with tempfile.TemporaryDirectory(prefix="pelemay-run-") as tmp:
        lowered, plan = _plan(
            module, target, weights, tmp, vectorize=not scalar and m.vectors is not None, threads=threads
        )
    inputs = read_inputs(inputs_path, function) if inputs_path else random_inputs(function, seed)
    iface = abi.interface(lowered)
    result: dict[str, object] = {
        "model": model,
        "target": target,
        "emit": emit,
        "weights": weights,
        "vectorized": not scalar and m.vectors is not None,
        "threads": threads,
        "entry": iface.run,
        "inputs": inputs_path or f"random (seed {seed})",
        "arena_bytes": plan["arena_bytes"],
        "lower_bound_bytes": plan["lower_bound_bytes"],
        "naive_bytes": plan["naive_bytes"],
        "run_seconds": None,
        "max_abs_error": None,
    }
    instructions = None
    if not m.hosted:
        build = cross.build_bare_metal(lowered, m, emit=emit)
        result.update(build.as_dict())
        result["runner"] = " ".join(m.runner or ())
        if not build.fits:
            result.update(ran=False, ok=False, not_run=build.misfit)
            return result
    if target == "host":
        if emit == "c":
            program = cbuild.compile_module(lowered, cflags=(*m.cflags, *(("-pthread",) if threads > 1 else ())))
        else:
            from pelemay_ir import llvmbuild

            program = llvmbuild.compile_module(lowered)
        outputs, seconds = _time_host(program, inputs)
        result["run_seconds"] = seconds
    else:
        build = cross.build_program if emit == "c" else cross.build_llvm_program
        exe = build(lowered, m)
        outputs = cross.run_program(exe, lowered, m, inputs)
        result["runner"] = " ".join(m.runner or ())
        if not m.hosted:  # the cost figure of code for an emulated microcontroller
            instructions = icount.count_program(exe, lowered, m, inputs)
    _check_outputs(result, iface, outputs, reference.evaluate(module, inputs))
    if not m.hosted:
        result["ran"] = True
        result["instructions"] = instructions
    return result


def run_cuda_model(model: str, arch: str | None = None, emulate: bool = False,
                   inputs_path: str | None = None, seed: int = 0) -> dict[str, object]:
    """`--target cuda`: pelemay-to-cuda, nvcc (or the CPU emulator), the run
    (inputs copied to the device and outputs back), the check."""
    from pelemay_ir import cudabuild
    from pelemay_ir.targets import cuda

    module = ir.load(model)
    function = reference.entry_function(module)
    with tempfile.TemporaryDirectory(prefix="pelemay-run-") as tmp:
        report = os.path.join(tmp, "plan.json")
        lowered = api.lower_to_cuda(module, arch, report=report)
        with open(report) as f:
            plan = json.load(f)
    inputs = read_inputs(inputs_path, function) if inputs_path else random_inputs(function, seed)
    program = cudabuild.compile_module(lowered, emulate=emulate)
    outputs, seconds = _time_host(program, inputs)
    result: dict[str, object] = {
        "model": model, "target": "cuda", "arch": cuda.architecture(lowered),
        "device": "the CPU emulator" if emulate else "the GPU", "emit": "cuda", "weights": "external",
        "vectorized": False, "threads": 1, "entry": program.interface.run,
        "inputs": inputs_path or f"random (seed {seed})",
        "arena_bytes": plan["arena_bytes"], "lower_bound_bytes": plan["lower_bound_bytes"],
        "naive_bytes": plan["naive_bytes"], "run_seconds": seconds,
    }
    _check_outputs(result, program.interface, outputs, reference.evaluate(module, inputs))
    return result


def _check_outputs(result: dict[str, object], iface: abi.Interface, outputs: Sequence[np.ndarray],
                   expected: Sequence[np.ndarray]) -> None:
    """Each output against the reference, into `result`."""
    checks = []
    for buffer, got, want in zip(iface.outputs, outputs, expected):
        error, ok = compare(got, want)
        checks.append({
            "name": buffer.name,
            "shape": list(want.shape),
            "dtype": str(want.dtype),
            "max_abs_error": error,
            "tolerance": tolerance(want) if np.issubdtype(want.dtype, np.floating) else 0.0,
            "ok": ok,
        })
    result["outputs"] = checks
    result["max_abs_error"] = max((c["max_abs_error"] for c in checks), default=0.0)
    result["ok"] = all(c["ok"] for c in checks)


SCHEDULER_TIMEOUT_S = 10
"""How long --scheduler waits to reach the cluster."""


def _distributed_client(workers: int | None, scheduler: str | None, machines: Sequence[str]):
    """(client, cluster or None): a LocalCluster of `workers` processes (the
    first offering `machines`), or a connection to `scheduler`."""
    try:
        from distributed import Client
    except ImportError:
        raise UsageError("--workers and --scheduler need Dask distributed: "
                         "pip install 'pelemay-ir[distributed]'") from None
    from pelemay_ir import distributed

    if scheduler:
        try:
            return Client(scheduler, timeout=SCHEDULER_TIMEOUT_S, set_as_default=False), None
        except (OSError, TimeoutError, ValueError) as e:
            raise UsageError(f"cannot reach the Dask scheduler at '{scheduler}': {_one_line(e)}") from None
    if len(machines) > workers:
        raise UsageError(f"the units need {len(machines)} workers offering {', '.join(machines)}, "
                         f"but --workers is {workers}")
    cluster = distributed.local_cluster(workers, machines, silence_logs=50)
    client = Client(cluster, set_as_default=False)
    client.wait_for_workers(workers)
    return client, cluster


def run_distributed(
    model: str,
    workers: int | None = None,
    scheduler: str | None = None,
    units: str | None = None,
    inputs_path: str | None = None,
    seed: int = 0,
    batches: int = 1,
    gantt: str | None = None,
    group: int = 1,
) -> dict[str, object]:
    """Partition the model on units, stream `batches` inputs through it on a
    Dask cluster, and check every output against the reference evaluator."""
    from pelemay_ir import distributed
    from pelemay_ir.passes import partition

    if (workers is None) == (scheduler is None):
        raise UsageError("give one of --workers N and --scheduler ADDRESS")
    if workers is not None and workers < 1:
        raise UsageError(f"--workers must be >= 1, got {workers}")
    if batches < 1 or group < 1:
        raise UsageError(f"--batches and --group must be >= 1, got {batches} and {group}")
    if inputs_path and batches > 1:
        raise UsageError("--inputs gives one batch; drop --batches or --inputs")
    module = ir.load(model)
    function = reference.entry_function(module)
    spec = partition.read_units(units) if units else None
    machines = []
    if spec is not None:
        partition.cluster_from_dict(spec, units, probe=lambda m: 1.0)  # check it before starting workers
        machines = [u.get("machine", "host") for u in spec["units"] if u.get("machine", "host") != "host"]
    feeds = ([read_inputs(inputs_path, function)] if inputs_path
             else [random_inputs(function, seed + b) for b in range(batches)])
    client, cluster = _distributed_client(workers, scheduler, machines)
    try:
        from distributed import get_task_stream

        found = {a: dict(w.get("resources") or {})
                 for a, w in client.scheduler_info(n_workers=-1)["workers"].items()}
        if spec is None:
            spec = distributed.probe_units(client)
        plan = distributed.make_plan(module, partition.cluster_from_dict(
            spec, units or "probed units", probe=lambda m: distributed.probe_speed(client, m)))
        with get_task_stream(client) as tasks:
            start = time.perf_counter()
            outputs = list(distributed.stream(plan, iter(feeds), client, group=group))
            seconds = time.perf_counter() - start
        if gantt:
            from pelemay_ir import gantt as gantt_svg
            from pelemay_ir.driver import atomic_write

            names = {a: f"w{k}" for k, a in enumerate(sorted(found))}
            title = f"@{plan.entry}: {len(plan.parts)} parts, {len(feeds)} inputs on {len(found)} workers (measured)"
            atomic_write(Path(gantt), gantt_svg.svg(sorted(names.values()),
                                                     distributed.measured_bars(tasks.data, names), title))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    expected = [reference.evaluate(module, feed) for feed in feeds]
    checks = []
    for k, want in enumerate(expected[0]):
        worst, ok = 0.0, True
        for got, wanted in zip(outputs, expected):
            error, fine = compare(got[k], wanted[k])
            worst, ok = max(worst, error), ok and fine
        checks.append({
            "name": f"out{k}",
            "shape": list(want.shape),
            "dtype": str(want.dtype),
            "max_abs_error": worst,
            "tolerance": tolerance(want) if np.issubdtype(want.dtype, np.floating) else 0.0,
            "ok": ok,
        })
    return {
        "model": model,
        "entry": plan.entry,
        "cluster": f"scheduler {scheduler}" if scheduler else f"LocalCluster of {workers} workers",
        "workers": {f"w{k}": distributed.worker_machine(found[a]) for k, a in enumerate(sorted(found))},
        "units": spec,
        "plan": plan.describe(),
        "inputs": inputs_path or (f"random (seed {seed})" if batches == 1 else f"random (seeds {seed}..{seed + batches - 1})"),
        "batches": len(feeds),
        "group": group,
        "seconds": seconds,
        "batches_per_second": len(feeds) / seconds,
        "gantt": gantt,
        "outputs": checks,
        "max_abs_error": max((c["max_abs_error"] for c in checks), default=0.0),
        "ok": all(c["ok"] for c in checks),
    }


def distributed_summary(result: dict[str, object]) -> str:
    units = result["units"]
    lines = [f"{result['model']}: {result['entry']} on a Dask cluster ({result['cluster']}: "
             + ", ".join(f"{w} {m}" for w, m in result["workers"].items()) + ")"]
    lines.append("  units: " + ", ".join(f"{u['name']} {u.get('machine', 'host')} {u['gflops']} GFLOP/s"
                                          for u in units["units"])
                 + (f"; link {units['link']}" if "link" in units else "")
                 + (f"; overhead {units['overhead_ms']} ms" if "overhead_ms" in units else ""))
    lines += ["  " + line for line in str(result["plan"]).splitlines()]
    lines.append(f"  inputs: {result['inputs']}")
    for c in result["outputs"]:
        lines.append(
            f"  output {c['name']} {c['dtype']}{c['shape']}: max abs error {c['max_abs_error']:.3g} "
            f"(tolerance {c['tolerance']:.3g}) {'ok' if c['ok'] else 'MISMATCH'}"
        )
    lines.append(f"  run: {result['batches']} batches in {result['seconds']:.3f} s "
                 f"({result['batches_per_second']:.1f} batches/s, measured here)")
    if result["gantt"]:
        lines.append(f"  gantt: {result['gantt']}")
    lines.append("  ok" if result["ok"] else "  FAILED: outputs differ from the reference")
    return "\n".join(lines)


def summary(result: dict[str, object]) -> str:
    """The result as a few readable lines."""
    unit = f"{result['target']} {result['arch']}, on {result['device']}" if "device" in result else result["target"]
    lines = [f"{result['model']}: {result['entry']} on {unit} "
             f"(emit {result['emit']}, weights {result['weights']}, "
             f"{'vector' if result['vectorized'] else 'scalar'} loops"
             + (f", {result['threads']} threads" if result.get("threads", 1) != 1 else "") + ")"]
    lines.append(
        f"  memory: arena {result['arena_bytes']} B, lower bound {result['lower_bound_bytes']} B, "
        f"naive {result['naive_bytes']} B"
    )
    if "text" in result:
        lines.append(
            f"  object: text {result['text']} B, data {result['data']} B, bss {result['bss']} B; "
            f"stack {result['stack_bytes']} B"
            + ("" if result["stack_bounded"] else " (a frame is dynamic: at least this)")
            + (f", plus the library calls {', '.join(result['external_calls'])}"
               if result["external_calls"] else "")
        )
        for what, limit, fits in (("flash", "flash_limit", "fits_flash"), ("RAM", "ram_limit", "fits_ram")):
            used = result["flash_bytes"] if what == "flash" else result["ram_bytes"]
            extra = "" if what == "flash" else " (data + bss + arena; the stack comes on top)"
            verdict = "fits" if result[fits] else "does NOT fit"
            if what == "flash" and result["external_weights_bytes"] is not None:
                extra = f" (program only; the {result['external_weights_bytes']} B of external weights live apart)"
            lines.append(f"  {what}: {used} B{extra}; {verdict} the {result[limit]} B of an {result['board']}")
        if not result["ran"]:
            lines.append(f"  not run: {result['not_run']}")
            lines.append("  FAILED: does not fit its board")
            return "\n".join(lines)
    lines.append(f"  inputs: {result['inputs']}")
    outputs = result["outputs"]
    assert isinstance(outputs, list)
    for c in outputs:
        lines.append(
            f"  output {c['name']} {c['dtype']}{c['shape']}: max abs error {c['max_abs_error']:.3g} "
            f"(tolerance {c['tolerance']:.3g}) {'ok' if c['ok'] else 'MISMATCH'}"
        )
    if result["run_seconds"] is not None:
        where = f"on {result['device']}, copies included" if "device" in result else "on the host"
        lines.append(f"  run: {result['run_seconds'] * 1e3:.3f} ms (median {where})")
    elif result.get("instructions") is not None:
        lines.append(f"  run: once under {result.get('runner')}: "
                     f"{result['instructions']:,} instructions per inference")
    else:
        lines.append(f"  run: once under {result.get('runner')} (emulated time is not reported)")
    verdict = "ok" if result["ok"] else "FAILED: outputs differ from the reference"
    if result.get("ran"):
        verdict += f" (ran on the board model; fits the {result['board']})"
    lines.append("  " + verdict)
    return "\n".join(lines)


def build_arg_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pelemay-run",
        description="Compile a model for a machine, run it (under qemu off the host) "
        "and compare its outputs with the reference evaluator.",
    )
    p.add_argument("model", help="the program (.mlir)")
    p.add_argument("--target", default="host", help="machine: " + ", ".join(MACHINES) + ", or the GPU unit cuda")
    p.add_argument("--arch", help="with --target cuda: the GPU architecture (default sm_90)")
    p.add_argument("--emulate", action="store_true",
                   help="with --target cuda: run the CUDA source on the CPU emulator (no GPU needed)")
    p.add_argument("--emit", default="c", help="printer: " + ", ".join(EMITS))
    p.add_argument("--weights", default="embedded", help="weights: " + ", ".join(WEIGHTS_MODES))
    p.add_argument("--inputs", metavar="F.npz", help="inputs keyed by argument name or arg0, arg1, ...")
    p.add_argument("--seed", type=int, default=0, help="seed of the random inputs (default 0)")
    p.add_argument("--scalar", action="store_true", help="scalar loops only (no vectorize)")
    p.add_argument("--threads", type=int, default=1, metavar="N",
                   help="run the loops proved independent on N threads (default 1)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    d = p.add_argument_group("distributed (Dask)")
    d.add_argument("--workers", type=int, metavar="N", help="run on a LocalCluster of N worker processes")
    d.add_argument("--scheduler", metavar="ADDRESS", help="run on the Dask cluster whose scheduler is at ADDRESS")
    d.add_argument("--units", metavar="F.json",
                   help="the units to partition for (default: one per worker, measured by the speed probe)")
    d.add_argument("--batches", type=int, default=1, metavar="K",
                   help="stream K seeded inputs (seeds SEED..SEED+K-1; default 1)")
    d.add_argument("--group", type=int, default=1, metavar="G",
                   help="batches per Dask task (amortizes Dask's per-task cost; default 1)")
    d.add_argument("--gantt", metavar="F.svg", help="write the run's measured Gantt chart")
    return p


def _one_line(e: BaseException) -> str:
    """An error as one line: compiler output is long, so keep its first error."""
    lines = [line.strip() for line in str(e).splitlines() if line.strip()]
    if not lines:
        return type(e).__name__
    if len(lines) > 1 and not isinstance(e, CompileError):
        detail = next((line for line in lines[1:] if "error" in line), lines[1])
        return f"{lines[0]}: {detail}"
    return lines[0]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_arg_parser()
    args = parser.parse_args(argv)
    distributed_run = args.workers is not None or args.scheduler is not None
    if not distributed_run and (args.units or args.gantt or args.batches != 1 or args.group != 1):
        parser.error("--units, --batches, --group and --gantt need --workers or --scheduler")
    if distributed_run:
        chosen = [f"--{k}" for k, default in (("target", "host"), ("emit", "c"), ("weights", "embedded"),
                                              ("threads", 1), ("scalar", False)) if getattr(args, k) != default]
        if chosen:
            parser.error(f"{', '.join(chosen)}: with --workers or --scheduler each unit's machine "
                         "comes from the units file")
    cuda_run = args.target == "cuda"
    if not cuda_run and (args.arch or args.emulate):
        parser.error("--arch and --emulate need --target cuda")
    if cuda_run:
        chosen = [f"--{k}" for k, default in (("emit", "c"), ("weights", "embedded"), ("threads", 1),
                                              ("scalar", False)) if getattr(args, k) != default]
        if chosen or distributed_run:
            parser.error(f"{', '.join(chosen or ['--workers/--scheduler'])}: not options of --target cuda "
                         "(CUDA, weights external, one device)")
    try:
        if cuda_run:
            result = run_cuda_model(args.model, args.arch, args.emulate, args.inputs, args.seed)
        elif distributed_run:
            result = run_distributed(args.model, args.workers, args.scheduler, args.units, args.inputs,
                                     args.seed, args.batches, args.gantt, args.group)
        else:
            result = run_model(
                args.model, args.target, args.emit, args.weights, args.inputs, args.seed, args.scalar,
                args.threads,
            )
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # every failure is one line; PELEMAY_DEBUG shows the traceback
        if os.environ.get("PELEMAY_DEBUG"):
            raise
        if isinstance(e, CompileError):
            message = _one_line(e)
        elif isinstance(e, subprocess.TimeoutExpired):
            message = f"pelemay-run: error: {' '.join(map(str, e.cmd))} ran past {e.timeout:.0f} s"
        elif isinstance(e, (UsageError, weights.WeightsError, cbuild.BuildError, cbuild.RunError,
                            icount.CountError)) or type(e).__name__ in (
                "LLVMToolError", "DistributedError", "UnplaceableError"):
            message = f"pelemay-run: error: {_one_line(e)}"
        else:
            message = f"pelemay-run: internal error: {type(e).__name__}: {_one_line(e)}"
        print(message, file=sys.stderr)
        if args.json:
            print(json.dumps({"ok": False, "error": message, "model": args.model,
                              "target": args.target, "emit": args.emit}))
        return 1
    print(json.dumps(result, sort_keys=True) if args.json
          else distributed_summary(result) if distributed_run else summary(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
