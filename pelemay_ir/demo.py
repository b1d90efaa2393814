"""The main job: a bundled model through the pipeline, checked against NumPy.

`python -m pelemay_ir.demo [MODEL.mlir] [--out DIR]` parses the model, runs
the tensor-level pipeline, bufferizes it and plans its memory into one arena
(verified independently), runs the planned program on a real byte arena, and
checks the outputs against the reference evaluator on the original program.
It prints the memory plan and writes its report and plot to DIR.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from pelemay_ir import buffer_interpreter, dtypes, ir, reference
from pelemay_ir import registry

TENSOR_PIPELINE = "canonicalize,cse"


def buffer_pipeline(out: Path) -> str:
    return (
        f'bufferize,plan-memory{{report="{out}/plan.json" table="{out}/plan.txt" '
        f'plot="{out}/plan.svg"}},verify-memory-plan'
    )


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


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", nargs="?", default=str(Path(__file__).resolve().parent.parent / "examples" / "lenet5.mlir"))
    p.add_argument("--out", default="out", help="where the plan report and plot go")
    args = p.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    try:
        t0 = time.perf_counter()
        module = ir.load(args.model)
        t_parse = time.perf_counter() - t0
        original = ir.load(args.model)
        ctx = ir.make_context()
        t0 = time.perf_counter()
        for pass_ in registry.make_pipeline(TENSOR_PIPELINE):
            pass_.apply(ctx, module)
            ir.verify(module)
        entry = reference.entry_function(module)
        n_ops = sum(1 for op in entry.walk() if op.name.startswith("ptensor."))
        inputs = seeded_inputs(entry)
        for pass_ in registry.make_pipeline(buffer_pipeline(out)):
            pass_.apply(ctx, module)
            ir.verify(module)
        t_passes = time.perf_counter() - t0
        t0 = time.perf_counter()
        want = reference.evaluate(original, inputs)
        t_eval = time.perf_counter() - t0
        got = buffer_interpreter.run(module, inputs)
    except ir.CompileError as e:
        print(e, file=sys.stderr)
        return 1
    print(f"model      {args.model} (@{entry.sym_name.data}, {n_ops} ptensor ops)")
    print(f"compile    parse {t_parse * 1e3:.1f} ms; {TENSOR_PIPELINE}, bufferize, plan-memory, "
          f"verify-memory-plan {t_passes * 1e3:.1f} ms")
    print(f"reference  {t_eval * 1e3:.1f} ms (NumPy evaluator on the original program)")
    print()
    print((out / "plan.txt").read_text().rstrip())
    print()
    print(f"plan       {out / 'plan.json'} (report), {out / 'plan.svg'} (plot)")
    print("run        the planned program on one byte arena vs. the reference:")
    ok = True
    for i, (g, w) in enumerate(zip(got, want)):
        err = float(np.max(np.abs(g.astype(np.float64) - w.astype(np.float64)))) if g.size else 0.0
        tol = 1e-4 * max(1.0, float(np.max(np.abs(w)))) if w.dtype.kind == "f" else 0.0
        ok &= err <= tol
        print(f"output {i}   shape {'x'.join(map(str, g.shape))} {g.dtype}; max |x| {float(np.max(np.abs(g))):.4g}; "
              f"max error {err:.3g} (tolerance {tol:.3g})")
    print("ok" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
