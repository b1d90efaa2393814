"""Run ONNX's node tests through the importer and the C path; print the pass
rate and the reasons for the rest, grouped.

    python tools/onnx_node_report.py [--emit c|llvm] [--only SUBSTRING ...] [--jobs N] [--markdown FILE]

Each test: `pelemay_ir.import_onnx` -> `pelemay_ir.compile` (host) -> run on
every data set -> compare with the expected outputs at the test's own
tolerance (onnx's rtol/atol; integers and booleans exactly). Outcomes:
`pass`; `pass (compile-time inputs bound)` when a graph input the importer
needs at compile time (a Reshape's shape, say) had to be fixed with
`constants=`; `rejected` with the importer's one-line reason (grouped by the
feature it names); `compile error`; and `wrong` (ran, but outside
tolerance): the goal is none of those.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import os
import re
import sys
import warnings
from dataclasses import dataclass

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))


@dataclass
class Outcome:
    name: str
    status: str  # pass, bound, rejected, error, wrong
    reason: str = ""


def load_cases():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from onnx.backend.test.loader import load_model_tests

        return load_model_tests(kind="node")


def run_case(case, emit: str = "c") -> Outcome:
    """One node test end to end."""
    import pelemay_ir
    from pelemay_ir.ir import CompileError
    from pelemay_ir.onnx_import import OnnxImportError

    graph_inputs = [i.name for i in case.model.graph.input if i.name not in {x.name for x in case.model.graph.initializer}]
    bound: dict[str, np.ndarray] = {}
    data = case.data_sets
    while True:
        try:
            module = pelemay_ir.import_onnx(case.model, constants=bound)
            break
        except OnnxImportError as e:
            m = re.search(r"\(input '([^']+)'\) must be known at compile time", e.message)
            if m and m.group(1) in graph_inputs and m.group(1) not in bound and len(data) == 1:
                bound[m.group(1)] = data[0][0][graph_inputs.index(m.group(1))]
                continue
            return Outcome(case.name, "rejected", e.message)
        except Exception as e:  # noqa: BLE001 - a crash of the importer is a finding
            return Outcome(case.name, "error", f"importer crashed: {type(e).__name__}: {e}".splitlines()[0])
    try:
        run = pelemay_ir.compile(module, emit=emit)
    except CompileError as e:
        return Outcome(case.name, "error", f"compile: {e.message}".splitlines()[0])
    except Exception as e:  # noqa: BLE001
        return Outcome(case.name, "error", f"compile crashed: {type(e).__name__}: {e}".splitlines()[0])
    kept = [k for k, n in enumerate(graph_inputs) if n not in bound]
    for inputs, expected in data:
        try:
            got = run(*[np.asarray(inputs[k]) for k in kept])
        except Exception as e:  # noqa: BLE001
            return Outcome(case.name, "error", f"run: {type(e).__name__}: {e}".splitlines()[0])
        for g, want in zip(got, expected):
            want = np.asarray(want)
            if g.shape != want.shape:
                return Outcome(case.name, "wrong", f"shape {g.shape} != {want.shape}")
            if want.dtype.kind in "fc":
                ok = np.allclose(g.astype(np.float64), want.astype(np.float64), rtol=case.rtol, atol=case.atol, equal_nan=True)
            else:
                ok = np.array_equal(g, want)
            if not ok:
                err = np.max(np.abs(g.astype(np.float64) - want.astype(np.float64))) if g.size else 0
                return Outcome(case.name, "wrong", f"max error {err:.3g}")
    return Outcome(case.name, "bound" if bound else "pass", ", ".join(sorted(bound)))


def _worker(args):
    names, emit = args
    wanted = set(names)
    out = []
    for case in load_cases():
        if case.name in wanted:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out.append(run_case(case, emit))
    return out


def group(reason: str) -> str:
    """A reason without the node's name and values: the feature it names."""
    r = re.sub(r"^node '[^']*' \(([^)]*)\): ", r"\1: ", reason)
    r = re.sub(r"input '[^']*'", "input", r)
    r = re.sub(r"graph (input|output) '[^']*'", r"graph \1", r)
    r = re.sub(r"\[[-\d, ]*\]", "[...]", r)
    r = re.sub(r"=\S+ is not supported", " is not supported", r)
    return r


def report(outcomes: list[Outcome], total: int) -> str:
    counts = collections.Counter(o.status for o in outcomes)
    lines = [
        f"node tests: {total}",
        f"pass: {counts['pass']}",
        f"pass with compile-time inputs bound: {counts['bound']}",
        f"rejected by the importer: {counts['rejected']}",
        f"compile or run errors: {counts['error']}",
        f"wrong results: {counts['wrong']}",
        "",
    ]
    for status, title in (("wrong", "Wrong results"), ("error", "Compile or run errors"), ("rejected", "Rejected, by reason")):
        groups = collections.defaultdict(list)
        for o in outcomes:
            if o.status == status:
                groups[group(o.reason)].append(o.name)
        if not groups:
            continue
        lines.append(f"## {title}")
        lines.append("")
        for reason, names in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            shown = ", ".join(names[:4]) + (", ..." if len(names) > 4 else "")
            lines.append(f"- {len(names)}: {reason} ({shown})")
        lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emit", default="c", choices=("c", "llvm"))
    parser.add_argument("--only", nargs="*", default=None, help="run the tests whose names contain one of these")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--markdown", help="also write the report to this file")
    args = parser.parse_args(argv)
    cases = load_cases()
    if args.only:
        cases = [c for c in cases if any(s in c.name for s in args.only)]
    names = [c.name for c in cases]
    outcomes: list[Outcome] = []
    if args.jobs > 1:
        chunks = [(names[k:: args.jobs], args.emit) for k in range(args.jobs)]
        with concurrent.futures.ProcessPoolExecutor(args.jobs) as pool:
            for part in pool.map(_worker, chunks):
                outcomes.extend(part)
    else:
        for case in cases:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                outcomes.append(run_case(case, args.emit))
    text = report(outcomes, len(cases))
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
