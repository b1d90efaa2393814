"""The CPU benchmark's quick run writes its report, and every row that ran is correct.

NumPy, naive C and ours always run; IREE and onnxruntime are optional bench
extras: when importable their rows must be correct, otherwise the report
must say "not installed".
"""

import importlib.util
import inspect
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("bench_cpu", ROOT / "bench" / "cpu.py")
bench = importlib.util.module_from_spec(spec)
sys.modules["bench_cpu"] = bench  # dataclasses look their module up by name
spec.loader.exec_module(bench)

ALLOWED_NOT_RUN = ("not installed", "not built yet")


def installed(*modules: str) -> bool:
    try:
        return all(importlib.util.find_spec(m) is not None for m in modules)
    except ModuleNotFoundError:  # `iree.compiler` when there is no `iree` at all
        return False


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("bench") / "cpu.md"
    assert bench.main(["--quick", "--out", str(out)]) == 0
    return out.read_text()


def measurements(text: str) -> dict[tuple[str, str], list[str]]:
    """(workload, implementation) -> the row's cells, from the 'Every measurement' table."""
    section = text.split("## Every measurement", 1)[1].split("Workloads:", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 9 and cells[0] not in ("workload",) and not cells[0].startswith("---"):
            rows[(cells[0], cells[1])] = cells
    return rows


def test_every_row_that_ran_is_correct(report):
    rows = measurements(report)
    assert rows
    for (workload, impl), cells in rows.items():
        result = cells[-1]
        assert result.startswith("ok") or result.startswith(ALLOWED_NOT_RUN), (workload, impl, result)
        if result.startswith("ok"):
            assert cells[2].endswith(("µs", "ms", " s")) and int(cells[5]) >= 3


def test_always_available_implementations_ran_everything(report):
    rows = measurements(report)
    for w in bench.workloads(quick=True):
        for impl in ("ours (C)", "NumPy, 1 thread", "naive C"):
            assert rows[(w.name, impl)][-1].startswith("ok"), (w.name, impl)


@pytest.mark.parametrize(
    "label, modules",
    [("IREE llvm-cpu", ("iree.compiler", "iree.runtime")), ("onnxruntime, 1 thread", ("onnx", "onnxruntime"))],
)
def test_optional_extras_run_or_say_not_installed(report, label, modules):
    rows = measurements(report)
    for w in bench.workloads(quick=True):
        result = rows[(w.name, label)][-1]
        if installed(*modules):
            assert result.startswith("ok"), (w.name, result)
        else:
            assert result.startswith("not installed"), (w.name, result)


def test_two_thread_row_follows_the_api(report):
    from pelemay_ir import api

    rows = measurements(report)
    two_threads = [c for (w, impl), c in rows.items() if impl == "ours (C), 2 threads"]
    # the largest matmul and every model, none of the other kernels
    assert [c[0] for c in two_threads] == ["matmul-64", "mlp-b1", "mlp-b64", "lenet5"]
    for cells in two_threads:
        if "threads" in inspect.signature(api.compile).parameters:
            assert cells[-1].startswith("ok")
        else:
            assert cells[-1].startswith("not built yet")


def test_header_names_the_machine_and_compilers(report):
    assert "- CPU: " in report and "thread(s) per core" in report
    assert "gcc: gcc" in report
    assert "NumPy " + np.__version__ in report


def test_a_wrong_result_is_reported_not_timed():
    w = bench.workloads(quick=True)[0]
    timing = bench.Timing({"repeat": 3, "budget": 0.01, "min_sample": 1e-4, "warm_up": 1e-3})
    wrong = bench.check_and_time(w, "x", lambda: None, lambda: w.expected + 1.0, timing)
    assert wrong.status == "wrong" and wrong.times == [] and wrong.error > bench.TOLERANCE
    right = bench.check_and_time(w, "x", lambda: None, lambda: w.expected.astype(np.float32), timing)
    assert right.status == "ok" and len(right.times) >= 3


def test_rebatched_mlp_computes_each_row_like_the_original():
    from pelemay_ir import ir

    original = ir.load(ROOT / "examples" / "mlp.mlir")
    batch = bench.rebatched(original, 3, "mlp_b3")
    x = np.random.default_rng(1).standard_normal((3, 784)).astype(np.float32)
    together = bench.reference_run(batch, [x])
    one_by_one = np.concatenate([bench.reference_run(original, [x[i:i + 1]]) for i in range(3)])
    np.testing.assert_allclose(together, one_by_one, rtol=1e-5, atol=1e-6)


def test_unknown_names_are_clear_errors(capsys, tmp_path):
    assert bench.main(["--quick", "--only", "nope", "--out", str(tmp_path / "x.md")]) == 2
    assert "unknown workload 'nope'" in capsys.readouterr().err
    assert bench.main(["--quick", "--impl", "tvm", "--out", str(tmp_path / "x.md")]) == 2
    assert "unknown implementation 'tvm'" in capsys.readouterr().err
    assert not (tmp_path / "x.md").exists()


def test_missing_extras_are_reported_not_installed(monkeypatch, tmp_path):
    real_find_spec = importlib.util.find_spec

    def without_extras(name, *args):
        if name.split(".")[0] in ("iree", "onnxruntime"):
            return None
        return real_find_spec(name, *args)

    monkeypatch.setattr(bench.importlib.util, "find_spec", without_extras)
    out = tmp_path / "cpu.md"
    assert bench.main(["--quick", "--only", "matmul-32", "--impl", "ours-c,iree,onnxruntime", "--out", str(out)]) == 0
    rows = measurements(out.read_text())
    assert rows[("matmul-32", "ours (C)")][-1].startswith("ok")
    assert rows[("matmul-32", "IREE llvm-cpu")][-1].startswith("not installed")
    assert rows[("matmul-32", "onnxruntime, 1 thread")][-1].startswith("not installed")
