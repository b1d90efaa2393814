"""The memory benchmark runs, and its figures meet the arena targets:
ours <= 1.05 x the lower bound and never above TFLite Micro's greedy-by-size."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("bench_memory", ROOT / "bench" / "memory.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


@pytest.mark.parametrize("model", bench.MODELS)
def test_arena_targets(model):
    path = ROOT / "examples" / f"{model}.mlir"
    greedy = bench.plan_report(path, "greedy-by-size", reorder=False)
    ours = bench.plan_report(path, "search", reorder=False)
    assert ours["arena_bytes"] <= greedy["arena_bytes"]
    assert ours["arena_bytes"] <= 1.05 * ours["lower_bound_bytes"]
    assert ours["lower_bound_bytes"] <= ours["arena_bytes"] <= ours["naive_bytes"]


def test_bench_writes_its_table(tmp_path):
    out = tmp_path / "memory.md"
    assert bench.main(["--models", "mlp", "lenet5", "--out", str(out)]) == 0
    text = out.read_text()
    assert "| lenet5 | 32,336 | 23,520 | 23,520 |" in text
    assert "f32/4 (not int8)" in text
