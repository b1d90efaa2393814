"""The main job: a bundled model through the pipeline, checked against NumPy.

`python -m pelemay_ir.demo [MODEL.mlir]` parses the model, runs the
tensor-level pipeline, evaluates it and the original with the reference
evaluator on seeded inputs, and prints a summary.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from pelemay_ir import dtypes, ir, reference
from pelemay_ir.driver import make_pipeline
from pelemay_ir import registry

TENSOR_PIPELINE = "canonicalize,cse"


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
    args = p.parse_args(argv)
    try:
        t0 = time.perf_counter()
        module = ir.load(args.model)
        t_parse = time.perf_counter() - t0
        original = ir.load(args.model)
        ctx = ir.make_context()
        t0 = time.perf_counter()
        for pass_ in make_pipeline(TENSOR_PIPELINE, registry.passes()):
            pass_.apply(ctx, module)
            ir.verify(module)
        t_passes = time.perf_counter() - t0
        entry = reference.entry_function(module)
        inputs = seeded_inputs(entry)
        t0 = time.perf_counter()
        got = reference.evaluate(module, inputs)
        t_eval = time.perf_counter() - t0
        want = reference.evaluate(original, inputs)
    except ir.CompileError as e:
        print(e, file=sys.stderr)
        return 1
    n_ops = sum(1 for op in entry.walk() if op.name.startswith("ptensor."))
    print(f"model      {args.model} (@{entry.sym_name.data}, {n_ops} ptensor ops)")
    print(f"parse      {t_parse * 1e3:.1f} ms; pipeline '{TENSOR_PIPELINE}' {t_passes * 1e3:.1f} ms")
    print(f"evaluate   {t_eval * 1e3:.1f} ms with the NumPy reference evaluator")
    ok = True
    for i, (g, w) in enumerate(zip(got, want)):
        err = float(np.max(np.abs(g.astype(np.float64) - w.astype(np.float64)))) if g.size else 0.0
        tol = 1e-4 * max(1.0, float(np.max(np.abs(w)))) if w.dtype.kind == "f" else 0.0
        ok &= err <= tol
        print(f"output {i}   shape {'x'.join(map(str, g.shape))} {g.dtype}; max |x| {float(np.max(np.abs(g))):.4g}; "
              f"max error vs. unoptimised {err:.3g} (tolerance {tol:.3g})")
    print("ok" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
