"""The main job: a bundled model compiled to C, built, run and checked against NumPy.

`python -m pelemay_ir.demo [MODEL.mlir] [--out DIR]` runs the `pelemay-to-c`
pipeline (bufferize, plan the memory into one arena, verify the plan, lower
to loops), writes the C source and header, builds them with the system C
compiler, runs the program on seeded inputs and compares its outputs with
the reference evaluator. It prints the memory plan and where its report and
plot were written.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from pelemay_ir import api, cbuild, dtypes, ir, reference
from pelemay_ir.targets import c as c_target

DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "examples" / "lenet5.mlir"


def seeded_inputs(func, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for arg in func.body.block.args:
        dtype = dtypes.numpy_dtype(arg.type.element_type)
        shape = tuple(arg.type.get_shape())
        if dtype.kind == "f":
            out.append(rng.standard_normal(shape).astype(dtype))
        else:
            out.append(rng.integers(-8, 8, shape).astype(dtype))
    return out


def within_tolerance(got: np.ndarray, want: np.ndarray) -> tuple[bool, float, float]:
    """The rule of docs/semantics.md: floats within 1e-4 * max(1, max|reference|), integers exact."""
    err = float(np.max(np.abs(got.astype(np.float64) - want.astype(np.float64)))) if got.size else 0.0
    if want.dtype.kind != "f":
        return err == 0, err, 0.0
    tol = 1e-4 * max(1.0, float(np.max(np.abs(want)))) if want.size else 0.0
    return err <= tol, err, tol


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", nargs="?", default=str(DEFAULT_MODEL))
    p.add_argument("--out", default="out", help="where the C, the plan report and the plot go")
    args = p.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    try:
        original = ir.load(args.model)
        entry = reference.entry_function(original)
        name = entry.sym_name.data
        inputs = seeded_inputs(entry)
        t0 = time.perf_counter()
        lowered = api.lower(
            original,
            report=str(out / f"{name}.plan.json"),
            table=str(out / f"{name}.plan.txt"),
            plot=str(out / f"{name}.plan.svg"),
        )
        header, source = c_target.emit_c(lowered)
        t_compile = time.perf_counter() - t0
        (out / f"{name}.h").write_text(header)
        (out / f"{name}.c").write_text(source)
        t0 = time.perf_counter()
        program = cbuild.compile_module(lowered)
        t_build = time.perf_counter() - t0
        want = reference.evaluate(original, inputs)
        got = program(*inputs)
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            program(*inputs)
            times.append(time.perf_counter() - t0)
    except (ir.CompileError, cbuild.BuildError, cbuild.RunError) as e:
        print(e, file=sys.stderr)
        return 1
    n_ops = sum(1 for op in entry.walk() if op.name.startswith("ptensor."))
    print(f"model      {args.model} (@{name}, {n_ops} ptensor ops)")
    print(f"compile    ptensor -> C in {t_compile:.2f} s: {out / (name + '.c')}, {out / (name + '.h')} "
          f"({len(source.splitlines())} lines)")
    print(f"build      {t_build:.2f} s (gcc -std=c99 -O2 -Wall -Wextra -Werror, cached by content hash)")
    print(f"run        {statistics.median(times) * 1e3:.2f} ms (median of {len(times)})")
    print()
    print((out / f"{name}.plan.txt").read_text().rstrip())
    print(f"plan       report {out / (name + '.plan.json')}, plot {out / (name + '.plan.svg')}")
    print()
    ok = True
    for i, (g, w) in enumerate(zip(got, want)):
        good, err, tol = within_tolerance(g, w)
        ok &= good
        print(f"output {i}   {'x'.join(map(str, g.shape))} {g.dtype}: max |C - NumPy reference| = {err:.3g} "
              f"(tolerance {tol:.3g}) {'ok' if good else 'MISMATCH'}")
    print("ok" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
