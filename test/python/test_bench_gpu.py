"""The GPU benchmark's flow without a GPU: its workloads built by
pelemay-to-cuda and nvcc, run on the CPU emulator beside PyTorch on the CPU,
checked, timed and tabled (small sizes of each kind of workload)."""

import importlib.util
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("bench_gpu", ROOT / "bench" / "gpu.py")
bench = importlib.util.module_from_spec(spec)
sys.modules["bench_gpu"] = bench  # dataclasses look their module up by name
spec.loader.exec_module(bench)


def test_every_kind_of_workload_is_checked_timed_and_tabled():
    workloads = [bench.model("lenet5", 2), bench.model("mlp", 1), bench.matmul(64), bench.conv3x3(2, 8, 4)]
    rows = bench.run(workloads, "sm_90", "cpu", emulate=True, rounds=1)
    for row in rows:
        assert row.note == "" and row.ratio is not None and row.ratio > 0, row
        assert row.error is not None and row.error < 1e-5 and row.kernels > 0 and row.registers > 0
    table = bench.render(rows, "sm_90", "cpu", True, 1)
    assert table.count("\n| ") == 1 + len(workloads) and "matmul 64x64 @ 64x64" in table


def test_a_wrong_result_is_reported_not_timed(monkeypatch):
    monkeypatch.setattr(bench, "close", lambda got, want: (False, 1.0))
    (row,) = bench.run([bench.model("mlp", 1)], "sm_90", "cpu", emulate=True, rounds=1)
    assert row.note.startswith("WRONG") and row.ours_s is None and row.ratio is None


def test_the_workloads_are_the_issue_s_list():
    names = [w.name for w in bench.WORKLOADS]
    assert names == ["mobilenet_v1_b1", "mobilenet_v1_b32", "mobilenet_v2_b1", "mobilenet_v2_b32", "mlp_b1",
                     "mlp_b1024", "lenet5_b1", "resblock_b1", "matmul4096", "conv3x3_b32"]
    module = bench.model("mobilenet_v2", 32).build()
    assert [tuple(a.shape) for a in map(np.asarray, bench.inputs_for(module))] == [(32, 224, 224, 3)]
