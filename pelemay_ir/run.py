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
from pelemay_ir.targets import c as c_target

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
    iface = c_target.interface(lowered)
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
    expected = reference.evaluate(module, inputs)
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
    if not m.hosted:
        result["ran"] = True
        result["instructions"] = instructions
    return result


def summary(result: dict[str, object]) -> str:
    """The result as a few readable lines."""
    lines = [f"{result['model']}: {result['entry']} on {result['target']} "
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
        lines.append(f"  run: {result['run_seconds'] * 1e3:.3f} ms (median on the host)")
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
    p.add_argument("--target", default="host", help="machine: " + ", ".join(MACHINES))
    p.add_argument("--emit", default="c", help="printer: " + ", ".join(EMITS))
    p.add_argument("--weights", default="embedded", help="weights: " + ", ".join(WEIGHTS_MODES))
    p.add_argument("--inputs", metavar="F.npz", help="inputs keyed by argument name or arg0, arg1, ...")
    p.add_argument("--seed", type=int, default=0, help="seed of the random inputs (default 0)")
    p.add_argument("--scalar", action="store_true", help="scalar loops only (no vectorize)")
    p.add_argument("--threads", type=int, default=1, metavar="N",
                   help="run the loops proved independent on N threads (default 1)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
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
    args = build_arg_parser().parse_args(argv)
    try:
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
                            icount.CountError)) or type(e).__name__ == "LLVMToolError":
            message = f"pelemay-run: error: {_one_line(e)}"
        else:
            message = f"pelemay-run: internal error: {type(e).__name__}: {_one_line(e)}"
        print(message, file=sys.stderr)
        if args.json:
            print(json.dumps({"ok": False, "error": message, "model": args.model,
                              "target": args.target, "emit": args.emit}))
        return 1
    print(json.dumps(result, sort_keys=True) if args.json else summary(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
