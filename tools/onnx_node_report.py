"""Run ONNX's node tests through the importer and the C path; print the pass
rate and the reasons for the rest, grouped.

    python tools/onnx_node_report.py [--emit c|llvm] [--only SUBSTRING ...] [--jobs N]
                                     [--timeout S] [--markdown FILE]

Each test: `pelemay_ir.import_onnx` -> `pelemay_ir.compile` (host) -> run on
every data set -> compare with the expected outputs at the test's own
tolerance (onnx's rtol/atol; integers and booleans exactly). Tests run in
worker processes, one at a time each, under a per-test timeout: a test that
hangs or crashes its worker is recorded as an error and the worker replaced,
so one bad test never stops the run. int64, uint8, int16, uint16, uint32 and
uint64 inputs are passed as the int32 arrays the compiled function takes (a
value outside int32 is a rejection).
Outcomes:
`pass`; `pass (compile-time inputs bound)` when a graph input the importer
needs at compile time (a Reshape's shape, say) had to be fixed with
`constants=`; `rejected` with the importer's one-line reason (grouped by the
feature it names); `compile error`; and `wrong` (ran, but outside
tolerance): the goal is none of those.
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing
import os
import re
import sys
import time
import warnings
from dataclasses import dataclass
from multiprocessing.connection import wait

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
                bound[m.group(1)] = _array(data[0][0][graph_inputs.index(m.group(1))])
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
            feeds = [_narrow(_array(inputs[k]), want.dtype) for k, want in zip(kept, run.interface.inputs)]
        except ValueError as e:
            return Outcome(case.name, "rejected", str(e))
        try:
            got = run(*feeds)
        except Exception as e:  # noqa: BLE001
            return Outcome(case.name, "error", f"run: {type(e).__name__}: {e}".splitlines()[0])
        for g, want in zip(got, expected):
            want = _array(want)
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


def _array(v) -> np.ndarray:
    """A data set's value: an array, or a TensorProto for element types NumPy lacks."""
    from onnx import TensorProto, numpy_helper

    return numpy_helper.to_array(v) if isinstance(v, TensorProto) else np.asarray(v)


HELD = {np.dtype(t) for t in ("int64", "uint8", "int16", "uint16", "uint32", "uint64")}


def _narrow(x: np.ndarray, want: np.dtype) -> np.ndarray:
    """An int64, uint8, int16, uint16, uint32 or uint64 input as the int32
    array the compiled function takes (docs/onnx.md: the values must fit)."""
    if x.dtype in HELD and want == np.int32:
        if x.size and (x.min() < np.iinfo(np.int32).min or x.max() > np.iinfo(np.int32).max):
            raise ValueError(f"graph input: {x.dtype} values outside the int32 range")
        return x.astype(np.int32)
    return x


def _serve(conn, emit: str) -> None:
    """A worker: run the test case sent on `conn`, send back its Outcome, repeat."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import pelemay_ir  # noqa: F401 - paid once, before the first test's clock starts

    conn.send("ready")
    while True:
        try:
            case = conn.recv()
        except EOFError:
            return
        if case is None:
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                outcome = run_case(case, emit)
            except BaseException as e:  # noqa: BLE001 - report, keep serving
                outcome = Outcome(case.name, "error", f"harness: {type(e).__name__}: {e}".splitlines()[0])
        conn.send(outcome)


class _Worker:
    def __init__(self, ctx, emit: str):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child, emit), daemon=True)
        self.proc.start()
        child.close()
        self.name: str | None = None
        self.started = 0.0
        self.ready = False

    def give(self, case) -> None:
        self.name, self.started = case.name, time.monotonic()
        self.conn.send(case)

    def stop(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join()
        self.conn.close()


def run_all(cases: list, emit: str, jobs: int, timeout: float, progress=None) -> list[Outcome]:
    """Every test case in `jobs` worker processes, each test under `timeout` seconds."""
    ctx = multiprocessing.get_context("spawn")
    todo = list(reversed(cases))
    workers = [_Worker(ctx, emit) for _ in range(max(1, min(jobs, len(cases))))]
    outcomes: list[Outcome] = []
    try:
        while todo or any(w.name for w in workers):
            for w in workers:
                if w.ready and w.name is None and todo:
                    w.give(todo.pop())
            busy = [w for w in workers if w.name]
            deadline = min((w.started + timeout for w in busy), default=time.monotonic() + 600)
            ready = wait([w.conn for w in workers], timeout=max(0.0, deadline - time.monotonic()))
            for k, w in enumerate(workers):
                failure = None
                if w.conn in ready:
                    try:
                        msg = w.conn.recv()
                    except (EOFError, OSError):
                        failure = f"the worker died (exit code {w.proc.exitcode})"
                    else:
                        if msg == "ready":
                            w.ready = True
                        else:
                            outcomes.append(msg)
                            if progress:
                                progress(msg)
                            w.name = None
                elif w.name and time.monotonic() > w.started + timeout:
                    failure = f"timed out after {timeout:.0f} s"
                if failure:
                    if w.name:
                        outcomes.append(Outcome(w.name, "error", failure))
                        if progress:
                            progress(outcomes[-1])
                    elif not w.ready:
                        raise RuntimeError(f"a worker failed to start: {failure}")
                    w.stop()
                    workers[k] = _Worker(ctx, emit)
    finally:
        for w in workers:
            w.stop()
    return outcomes


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


BEGIN, END = "<!-- node-report:begin -->", "<!-- node-report:end -->"


def update_docs(path: str, text: str, emit: str) -> None:
    """Put the report between the markers of `path`, leaving the rest as it is."""
    with open(path) as f:
        doc = f.read()
    if BEGIN not in doc or END not in doc:
        raise SystemExit(f"{path}: no {BEGIN} ... {END} markers")
    head, rest = doc.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    counts, _, groups = text.partition("\n\n")
    table = ["| outcome | tests |", "|---|---:|"] + [
        "| {} | {} |".format(*line.rsplit(": ", 1)) for line in counts.splitlines()
    ]
    groups = "\n".join("#" + line if line.startswith("## ") else line for line in groups.splitlines())
    body = (
        f"Generated by `python tools/onnx_node_report.py --emit {emit} --update-docs {path}`.\n\n"
        + "\n".join(table) + "\n\n" + groups.strip() + "\n"
    )
    with open(path, "w") as f:
        f.write(f"{head}{BEGIN}\n{body}{END}{tail}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emit", default="c", choices=("c", "llvm"))
    parser.add_argument("--only", nargs="*", default=None, help="run the tests whose names contain one of these")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds one test may take (default 120)")
    parser.add_argument("--verbose", action="store_true", help="print each outcome as it comes")
    parser.add_argument("--markdown", help="also write the report to this file")
    parser.add_argument(
        "--update-docs", metavar="FILE",
        help="replace the report between the node-report markers of FILE (docs/onnx.md)",
    )
    args = parser.parse_args(argv)
    cases = load_cases()
    if args.only:
        cases = [c for c in cases if any(s in c.name for s in args.only)]
    show = (lambda o: print(f"{o.status:9} {o.name} {o.reason}", flush=True)) if args.verbose else None
    outcomes = run_all(cases, args.emit, args.jobs, args.timeout, show)
    text = report(outcomes, len(cases))
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text + "\n")
    if args.update_docs:
        update_docs(args.update_docs, text, args.emit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
