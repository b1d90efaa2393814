"""ARM cost of our code: instructions per run under qemu, NEON vs scalar vs gcc -O3.

    python bench/arm.py [--quick] [--full] [--only NAME,...] [--out bench/results/arm.md]

Wall time under emulation means nothing, so the figure is the number of guest
instructions one call of the generated run function executes, callees (expf,
...) included, counted by our qemu plugin (pelemay_ir.icount). For every
kernel and model, on aarch64, armv7 and armv7-a8, three builds of the same
program are counted, each only after its outputs matched the reference
evaluator's:

- NEON: `pelemay-to-c` with `vectorize=True`, built as `pelemay_ir.compile`
  builds it (shown as "not built yet" where the pipeline has no such option);
- scalar: the same with `vectorize=False` (today's default);
- gcc -O3 -ffast-math: the scalar C, built with those flags on top of the
  machine's own (-mcpu, -mfpu), so gcc's auto-vectoriser is the yardstick.

For the kernels, llvm-mca also times the hottest inner loop of each aarch64
build on Cortex-A72 and Cortex-A53 (bench/hot_loop.py; docs/bench-arm.md).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from xdsl.dialects.builtin import ModuleOp

ROOT = Path(__file__).resolve().parent.parent
_BENCH = str(Path(__file__).resolve().parent)
# The modules beside this file, imported with this folder on sys.path only for
# the moment (E402: after the path is set).
_added = _BENCH not in sys.path
sys.path.insert(0, _BENCH)
import anchor_ort  # noqa: E402  (see above)
import anchor_xnnpack  # noqa: E402  (see above)
import anchors  # noqa: E402  (see above)
import hot_loop  # noqa: E402  (see above)

if _added:  # left there, bench/distributed.py would hide Dask's package
    sys.path.remove(_BENCH)

TARGETS = ("aarch64", "armv7", "armv7-a8")
FAST_MATH = ("-O3", "-ffast-math")


@dataclass(frozen=True)
class Variant:
    """One way of building a program: which lowering, which extra C flags."""

    key: str
    title: str
    vectorize: bool
    cflags: tuple[str, ...] = ()


VARIANTS = (
    Variant("neon", "NEON", True),
    Variant("scalar", "scalar", False),
    Variant("gcc", "gcc -O3 -ffast-math", False, FAST_MATH),
)


@dataclass(frozen=True)
class Anchor:
    """A third-party library run on the same model (bench/anchors.py)."""

    key: str
    title: str
    targets: tuple[str, ...]
    count: Callable
    """(module, inputs, target) -> (instructions, outputs)."""


ANCHORS = (
    Anchor("xnnpack", "XNNPACK", ("aarch64", "armv7"), anchor_xnnpack.count),
    Anchor("ort", "onnxruntime", ("aarch64",), anchor_ort.count),
)
"""Measured on the model rows only; onnxruntime has no ARMv7 wheel on PyPI."""


def anchors_of(target: str) -> tuple[Anchor, ...]:
    return tuple(a for a in ANCHORS if target in a.targets)


# --- the programs ---------------------------------------------------------------


def _kernel(name: str, shapes: Sequence[Sequence[int]], body: Callable) -> ModuleOp:
    from pelemay_ir.builder import ProgramBuilder

    b = ProgramBuilder(name)
    args = [b.argument(chr(ord("a") + k), shape) for k, shape in enumerate(shapes)]
    b.returns(body(b, *args))
    return b.build()


N = 10007
"""Elementwise length: about 10k, three past a multiple of four (a tail)."""

KERNELS: dict[str, tuple[str, Callable[[], ModuleOp]]] = {
    "add": (f"a + b, {N} f32", lambda: _kernel("add", [(N,), (N,)], lambda b, x, y: b.add(x, y))),
    "fma_relu": (f"relu(a*b + c), {N} f32", lambda: _kernel(
        "fma_relu", [(N,)] * 3, lambda b, x, y, z: b.relu(b.add(b.mul(x, y), z)))),
    "matmul": ("matmul 64x67 @ 67x61", lambda: _kernel(
        "matmul", [(64, 67), (67, 61)], lambda b, x, w: b.matmul(x, w))),
    "matmul_mlp": ("matmul 1x784 @ 784x256 (mlp layer 1)", lambda: _kernel(
        "matmul_mlp", [(1, 784), (784, 256)], lambda b, x, w: b.matmul(x, w))),
    "conv2d": ("conv2d 3x3 pad 1, 1x16x16x16 -> 16", lambda: _kernel(
        "conv2d", [(1, 16, 16, 16), (3, 3, 16, 16)],
        lambda b, x, w: b.conv2d(x, w, padding=(1, 1, 1, 1)))),
    "depthwise": ("depthwise conv2d 3x3 pad 1, 1x16x16x32", lambda: _kernel(
        "depthwise", [(1, 16, 16, 32), (3, 3, 1, 32)],
        lambda b, x, w: b.conv2d(x, w, padding=(1, 1, 1, 1), groups=32))),
    "max_pool2d": ("max_pool2d 2x2 stride 2, 1x16x16x30", lambda: _kernel(
        "max_pool2d", [(1, 16, 16, 30)], lambda b, x: b.max_pool2d(x, (2, 2), (2, 2)))),
    "softmax": ("softmax over 8x100", lambda: _kernel(
        "softmax", [(8, 100)], lambda b, x: b.softmax(x, axis=-1))),
    "reduce_sum": ("reduce_sum over the last axis, 64x203", lambda: _kernel(
        "reduce_sum", [(64, 203)], lambda b, x: b.reduce_sum(x, [1]))),
}

MODELS = {
    "mlp": "examples/mlp.mlir",
    "lenet5": "examples/lenet5.mlir",
    "resblock": "examples/resblock.mlir",
}
FULL_MODELS = {
    "mobilenet_v1": "examples/mobilenet_v1.mlir (weights external)",
    "mobilenet_v2": "examples/mobilenet_v2.mlir (weights external)",
}
QUICK = ("add", "matmul")


@dataclass
class Program:
    """A kernel or model to measure."""

    name: str
    title: str
    source: ModuleOp | Path
    weights: str
    kernel: bool


def programs(names: Sequence[str]) -> list[Program]:
    chosen = []
    for name in names:
        if name in KERNELS:
            title, make = KERNELS[name]
            chosen.append(Program(name, title, make(), "embedded", True))
        else:
            path = ROOT / "examples" / f"{name}.mlir"
            weights = "external" if name in FULL_MODELS else "embedded"
            title = (MODELS | FULL_MODELS)[name]
            chosen.append(Program(name, title, path, weights, False))
    return chosen


# --- one measurement ------------------------------------------------------------


class NotBuiltYet(Exception):
    """The pipeline has no `vectorize` option yet."""


@dataclass
class Cell:
    """One program built one way for one machine."""

    count: int | None = None
    status: str = "ok"
    """ok, not built yet, wrong output, failed."""
    detail: str = ""

    def text(self) -> str:
        if self.count is not None:
            return f"{self.count:,}"
        return self.status


def _rejects_vectorize(error: Exception) -> bool:
    message = str(error)
    return "vectorize" in message and ("unknown option" in message or "keyword" in message)


def lower(program: Program, target: str, vectorize: bool) -> ModuleOp:
    """The loop-level module `pelemay_ir.compile` builds for `target`.

    Without a `vectorize` option the scalar lowering is today's default and
    the NEON one does not exist yet (NotBuiltYet)."""
    from pelemay_ir import api
    from pelemay_ir.ir import CompileError

    try:
        return api.lower(program.source, target=target, weights=program.weights,
                         vectorize=vectorize)
    except (CompileError, TypeError) as e:
        if not _rejects_vectorize(e):
            raise
    if vectorize:
        raise NotBuiltYet
    return api.lower(program.source, target=target, weights=program.weights)


def inputs_of(program: Program) -> list[np.ndarray]:
    """Seeded standard-normal inputs, as `pelemay-run` makes them."""
    from pelemay_ir import ir, reference, run

    module = program.source if isinstance(program.source, ModuleOp) else ir.load(program.source)
    return run.random_inputs(reference.entry_function(module), seed=0)


def count_and_run(module: ModuleOp, target: str, cflags: Sequence[str],
                  inputs: Sequence[np.ndarray]) -> tuple[int, list[np.ndarray]]:
    """Build the harness and run it once under the counting plugin: the count,
    and the outputs that run wrote (so the counted run is the checked run)."""
    from pelemay_ir import cross, icount
    from pelemay_ir import weights as weights_file
    from pelemay_ir.targets import abi

    iface = abi.interface(module)
    exe = cross.build_program(module, target, cflags)
    with tempfile.TemporaryDirectory(prefix="pelemay-bench-") as tmp:
        in_path, out_path = Path(tmp) / "inputs.bin", Path(tmp) / "outputs.bin"
        in_path.write_bytes(b"".join(np.ascontiguousarray(a).tobytes() for a in inputs))
        args = [str(in_path), str(out_path)]
        if iface.external_weights:
            w_path = Path(tmp) / "weights.bin"
            w_path.write_bytes(bytes(weights_file.blob_of(module)))
            args.append(str(w_path))
        count = icount.count_instructions(exe, target, args, function=iface.run)
        data = out_path.read_bytes()
    outputs, at = [], 0
    for buffer in iface.outputs:
        size = int(np.prod(buffer.shape, dtype=np.int64)) * np.dtype(buffer.dtype).itemsize
        outputs.append(np.frombuffer(data[at:at + size], buffer.dtype).reshape(buffer.shape))
        at += size
    if at != len(data):
        raise RuntimeError(f"{exe} wrote {len(data)} bytes of outputs; expected {at}")
    return count, outputs


def check(outputs: Sequence[np.ndarray], expected: Sequence[np.ndarray]) -> tuple[bool, float]:
    """Whether every output is within `pelemay-run`'s tolerance; the largest error."""
    from pelemay_ir import run

    results = [run.compare(np.asarray(got), want) for got, want in zip(outputs, expected)]
    ok = len(outputs) == len(expected) and all(within for _, within in results)
    return ok, max((error for error, _ in results), default=0.0)


def measure(module: ModuleOp, target: str, cflags: Sequence[str],
            inputs: Sequence[np.ndarray], expected: Sequence[np.ndarray]) -> Cell:
    count, outputs = count_and_run(module, target, cflags, inputs)
    return checked(count, outputs, expected)


NOT_MEASURED = ("unavailable", "not expressible")
"""Anchor cells without a count that are no failure of ours: the library
could not be fetched here, or cannot spell the model."""
NOT_FAILURES = ("ok", "not built yet", *NOT_MEASURED)

_unavailable: dict[tuple[str, str], str] = {}
"""(anchor, target) -> why it cannot be fetched: asked once per run."""


def measure_anchor(anchor: Anchor, source: ModuleOp | Path, target: str,
                   inputs: Sequence[np.ndarray], expected: Sequence[np.ndarray]) -> Cell:
    """One count of a third-party library's inference, only if its outputs
    matched the reference; a library that cannot be fetched or cannot
    express the model is a cell that says so."""
    from pelemay_ir import ir

    if (anchor.key, target) in _unavailable:
        return Cell(None, "unavailable", _unavailable[anchor.key, target])
    module = source if isinstance(source, ModuleOp) else ir.load(source)
    try:
        count, outputs = anchor.count(module, inputs, target)
    except anchors.AnchorUnavailable as e:
        _unavailable[anchor.key, target] = str(e)
        return Cell(None, "unavailable", str(e))
    except (anchor_xnnpack.NotExpressible, anchor_ort.NotExpressible) as e:
        return Cell(None, "not expressible", str(e))
    return checked(count, outputs, expected)


def checked(count: int, outputs: Sequence[np.ndarray], expected: Sequence[np.ndarray]) -> Cell:
    ok, error = check(outputs, expected)
    if not ok:
        return Cell(None, "wrong output", f"max abs error {error:.3g}")
    if count <= 0:
        return Cell(None, "failed", f"count {count}")
    return Cell(count)


# --- llvm-mca on the hottest loop -----------------------------------------------


@dataclass
class LoopTiming:
    instructions: int
    cycles: dict[str, float]
    calls: tuple[str, ...]


def assembly(module: ModuleOp, target: str, cflags: Sequence[str]) -> str:
    """gcc's assembly of the model source, with exactly the flags of its build."""
    from pelemay_ir import cbuild
    from pelemay_ir.machines import machine
    from pelemay_ir.targets import abi
    from pelemay_ir.targets import c as c_target

    m = machine(target)
    header, source = c_target.emit_c(module)
    name = abi.interface(module).base
    with tempfile.TemporaryDirectory(prefix="pelemay-asm-") as tmp:
        (Path(tmp) / f"{name}.h").write_text(header)
        (Path(tmp) / f"{name}.c").write_text(source)
        command = [m.cc, *cbuild.STRICT_FLAGS, *m.cflags, *cflags, "-S", f"{name}.c",
                   "-o", f"{name}.s"]
        done = subprocess.run(command, cwd=tmp, capture_output=True, text=True)
        if done.returncode != 0:
            raise cbuild.BuildError(f"{' '.join(command)} failed:\n{done.stderr}")
        return (Path(tmp) / f"{name}.s").read_text()


def time_hot_loop(module: ModuleOp, cflags: Sequence[str]) -> LoopTiming | None:
    loop = hot_loop.hottest_loop(assembly(module, "aarch64", cflags))
    if loop is None:
        return None
    cycles = {core: hot_loop.cycles_per_iteration(loop, core) for core in hot_loop.CORES}
    return LoopTiming(len(loop.body), cycles, loop.calls)


# --- the suite ------------------------------------------------------------------


@dataclass
class Row:
    program: Program
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)
    """(target, variant key) -> cell."""
    loops: dict[str, LoopTiming | None | str] = field(default_factory=dict)
    """variant key -> the aarch64 hot loop's timing (a string: why there is none)."""


def _one_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}"


def measure_program(program: Program, targets: Sequence[str], mca: bool,
                    with_anchors: bool = True) -> Row:
    from pelemay_ir import reference

    row = Row(program)
    inputs = inputs_of(program)
    expected = reference.evaluate(program.source, inputs)
    for target in targets:
        modules: dict[bool, ModuleOp | Cell] = {}
        for vectorize in (True, False):
            try:
                modules[vectorize] = lower(program, target, vectorize)
            except NotBuiltYet:
                modules[vectorize] = Cell(None, "not built yet")
            except Exception as e:  # noqa: BLE001 (reported in the table, suite goes on)
                modules[vectorize] = Cell(None, "failed", _one_line(e))
        for variant in VARIANTS:
            module = modules[variant.vectorize]
            if isinstance(module, Cell):
                row.cells[target, variant.key] = module
                if mca and target == "aarch64":
                    row.loops[variant.key] = module.status
                continue
            t0 = time.perf_counter()
            try:
                cell = measure(module, target, variant.cflags, inputs, expected)
            except Exception as e:  # noqa: BLE001 (a build or run failure is a cell, the suite goes on)
                cell = Cell(None, "failed", _one_line(e))
            row.cells[target, variant.key] = cell
            note = f" ({cell.detail})" if cell.detail else ""
            print(f"{program.name} {target} {variant.key}: {cell.text()}{note} "
                  f"[{time.perf_counter() - t0:.1f} s]", file=sys.stderr)
            if mca and target == "aarch64" and cell.status == "ok":
                try:
                    row.loops[variant.key] = time_hot_loop(module, variant.cflags)
                except Exception as e:  # noqa: BLE001 (an estimate that fails is a note in the table)
                    row.loops[variant.key] = _one_line(e)
        if program.kernel or not with_anchors:
            continue
        for anchor in anchors_of(target):
            t0 = time.perf_counter()
            try:
                cell = measure_anchor(anchor, program.source, target, inputs, expected)
            except Exception as e:  # noqa: BLE001 (a failing anchor is a cell, the suite goes on)
                cell = Cell(None, "failed", _one_line(e))
            row.cells[target, anchor.key] = cell
            note = f" ({cell.detail})" if cell.detail else ""
            print(f"{program.name} {target} {anchor.key}: {cell.text()}{note} "
                  f"[{time.perf_counter() - t0:.1f} s]", file=sys.stderr)
    return row


# --- the report -----------------------------------------------------------------


def _ratio(top: Cell, bottom: Cell) -> str:
    if top.count is None or bottom.count is None:
        return "–"
    return f"{top.count / bottom.count:.2f}"


def _versions(targets: Sequence[str]) -> list[str]:
    from pelemay_ir import cbuild
    from pelemay_ir.machines import machine

    lines = []
    for tool in sorted({machine(t).cc for t in targets} | {machine(t).runner[0] for t in targets}):
        text = (cbuild.compiler_version(tool) if tool.endswith("gcc")
                else subprocess.run([tool, "--version"], capture_output=True,
                                    text=True).stdout)
        lines.append(f"`{tool}`: {text.splitlines()[0] if text else 'unknown'}")
    return lines


def _paragraph(text: str) -> list[str]:
    return textwrap.wrap(text, 80, break_long_words=False, break_on_hyphens=False)


def report(rows: Sequence[Row], targets: Sequence[str], command: str) -> str:
    from pelemay_ir.machines import machine

    lines = [
        "# ARM cost: guest instructions per run (qemu-user)",
        "",
        *_paragraph(
            f"Generated by `{command}`. Each figure is the number of guest instructions one "
            "call of the generated run function executes under qemu-user, from entry to "
            "return, callees (libm's `expf`, ...) included (`pelemay_ir.icount`), in a run "
            "whose outputs matched the reference evaluator. NEON: our vectorised code "
            "(`vectorize=True`); scalar: our scalar code; both built as `pelemay_ir.compile` "
            "builds them (gcc `-O2`). gcc -O3 -ffast-math: the same scalar C built with "
            "those flags on top of the machine's `-mcpu`/`-mfpu`, i.e. gcc's "
            "auto-vectoriser. A ratio below 1 means the first executes fewer instructions. "
            "Instructions are not cycles: see the llvm-mca table and docs/bench-arm.md."
        ),
        "",
        *_paragraph(
            "Anchors, on the model rows: XNNPACK is Debian 12's libxnnpack0 "
            f"{anchors.XNNPACK_VERSION} (arm64, armhf) driving the same network through its "
            "subgraph API, NHWC, no thread pool; onnxruntime is the "
            f"onnxruntime=={anchors.ORT_VERSION} aarch64 wheel's libonnxruntime.so driving "
            "the program's ONNX export (bench/ptensor_to_onnx.py) through its C API with one "
            "thread (PyPI has no ARMv7 wheel). Both get the same weights and inputs; the "
            "count is one inference call after a warm-up one (XNNPACK's "
            "`xnn_invoke_runtime`, onnxruntime's `Run`), made in a qemu sysroot that "
            "describes the board (Raspberry Pi 4 for aarch64, Raspberry Pi 2 for armv7) in "
            "its /proc/cpuinfo, since both libraries pick their kernels by core "
            "(bench/anchors.py, docs/bench-arm.md). onnxruntime's count varies by up to "
            "about 1.5% from one suite run to another; XNNPACK's and ours repeat exactly. "
            "\"unavailable\": the library could not be fetched here."
        ),
        "",
    ]
    for target in targets:
        m = machine(target)
        measured = [a for a in anchors_of(target)
                    if any((target, a.key) in row.cells for row in rows)]
        head = ["NEON", "scalar", "gcc -O3 -ffast-math", *(a.title for a in measured),
                "NEON / scalar", "NEON / gcc", "gcc / scalar", *(f"NEON / {a.title}" for a in measured)]
        lines += [
            f"## {target}: {m.board} (`{' '.join(m.cflags)}`)",
            "",
            "| program | " + " | ".join(head) + " |",
            "|---|" + "---:|" * len(head),
        ]
        for row in rows:
            if not any(t == target for t, _ in row.cells):
                continue
            neon, scalar, gcc = (row.cells[target, v.key] for v in VARIANTS)
            others = [row.cells.get((target, a.key)) for a in measured]
            cells = [neon.text(), scalar.text(), gcc.text(),
                     *(c.text() if c else "–" for c in others),
                     _ratio(neon, scalar), _ratio(neon, gcc), _ratio(gcc, scalar),
                     *(_ratio(neon, c) if c else "–" for c in others)]
            lines.append(f"| {row.program.name}: {row.program.title} | " + " | ".join(cells) + " |")
        lines.append("")
    timed = [row for row in rows if row.loops]
    if timed:
        lines += [
            "## llvm-mca: the hottest inner loop of each aarch64 kernel build",
            "",
            *_paragraph(
                "Steady-state cycles per iteration of the hottest innermost loop of gcc's "
                "assembly of each build (of the loops on vector registers if any, the most "
                "deeply nested, then the longest: bench/hot_loop.py), as `llvm-mca-16 "
                "-mtriple=aarch64-linux-gnu -mcpu=CORE` simulates it repeated back to back. "
                "`insns`: the loop body's instructions. One iteration of vector code covers "
                "several elements, so compare cycles per iteration across builds with the "
                "work per iteration in mind. `+ call f`: the body calls f, whose cycles are "
                "not included. LLVM has no usable scheduling model for our ARMv7 cores "
                "(docs/bench-arm.md), so there is no ARMv7 estimate."
            ),
            "",
            "| kernel | " + " | ".join(
                f"{v.title}: insns | A72 | A53" for v in VARIANTS) + " |",
            "|---|" + "---:|" * (3 * len(VARIANTS)),
        ]
        for row in timed:
            cells = []
            for v in VARIANTS:
                timing = row.loops.get(v.key, "–")
                if isinstance(timing, LoopTiming):
                    calls = "".join(f" + call {c}" for c in timing.calls)
                    cells += [f"{timing.instructions}{calls}",
                              *(f"{timing.cycles[core]:.1f}" for core in hot_loop.CORES)]
                else:
                    cells += ["no loop" if timing is None else timing, "–", "–"]
            lines.append(f"| {row.program.name} | " + " | ".join(cells) + " |")
        lines.append("")
    failures = [(row.program.name, t, v, c) for row in rows for (t, v), c in row.cells.items()
                if c.status not in NOT_FAILURES]
    missing = sorted({(t, k, f"{c.status}: {c.detail}") for row in rows
                      for (t, k), c in row.cells.items() if c.status in NOT_MEASURED})
    if missing:
        lines += ["## Anchors not measured", ""]
        lines += [f"- {k} {t}: {detail}" for t, k, detail in missing]
        lines.append("")
    if failures:
        lines += ["## Failures", ""]
        lines += [f"- {name} {t} {v}: {c.status} {c.detail}".rstrip() for name, t, v, c in failures]
        lines.append("")
    lines += ["Tools: " + "; ".join(_versions(targets)) + ".", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true",
                   help=f"only {' and '.join(QUICK)} on aarch64 (what CI runs)")
    p.add_argument("--full", action="store_true",
                   help="also the MobileNets (weights external; long under qemu)")
    p.add_argument("--only", default="", metavar="NAME,...",
                   help="kernels and models to measure: " + ", ".join(
                       [*KERNELS, *MODELS, *FULL_MODELS]))
    p.add_argument("--no-anchors", action="store_true",
                   help="skip the XNNPACK and onnxruntime columns of the model rows")
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "arm.md"))
    args = p.parse_args(argv)

    known = [*KERNELS, *MODELS, *FULL_MODELS]
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in names if n not in known]
        if unknown:
            p.error(f"unknown program {', '.join(unknown)}; valid: {', '.join(known)}")
    elif args.quick:
        names = list(QUICK)
    else:
        names = [*KERNELS, *MODELS, *(FULL_MODELS if args.full else ())]
    targets = ("aarch64",) if args.quick else TARGETS
    try:
        from pelemay_ir.machines import machine

        for t in targets:
            machine(t).require_tools()
        hot_loop.mca_tool()
    except Exception as e:  # noqa: BLE001 (a missing tool: one line, not a traceback)
        print(f"error: {e}", file=sys.stderr)
        return 1

    rows = [measure_program(program, targets, mca=program.kernel, with_anchors=not args.no_anchors)
            for program in programs(names)]
    command = "python bench/arm.py" + "".join(
        f" {a}" for a in (argv if argv is not None else sys.argv[1:]) if not a.startswith("--out")
        and a != args.out)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(report(rows, targets, command))
    print(f"wrote {args.out}", file=sys.stderr)
    bad = [c for row in rows for c in row.cells.values() if c.status not in NOT_FAILURES]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
