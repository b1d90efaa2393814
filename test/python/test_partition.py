"""partition: the units level prints, parses back unchanged, and splits by the cost model."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_partition_round_trips_through_pelemay_opt(tmp_path):
    units = tmp_path / "units.json"
    units.write_text(json.dumps({"units": [{"name": "u0", "gflops": 20}, {"name": "u1", "gflops": 20}],
                                 "link": {"gbps": 10, "latency_ms": 0.1}, "overhead_ms": 0.5}))
    opt = [sys.executable, "-m", "pelemay_ir.driver"]
    first = subprocess.run([*opt, str(ROOT / "examples/resblock.mlir"), "-p",
                            f'partition{{units="{units}" plan="{tmp_path / "plan.txt"}" gantt="{tmp_path / "g.svg"}"}}'],
                           capture_output=True, text=True, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert 'units.run @resblock_part0 on "u0"' in first.stdout
    assert 'units.run @resblock_part1 on "u1"' in first.stdout
    assert "units.transfer" in first.stdout
    (tmp_path / "p.mlir").write_text(first.stdout)
    (tmp_path / "resblock.weights").write_bytes((ROOT / "examples/resblock.weights").read_bytes())
    second = subprocess.run([*opt, str(tmp_path / "p.mlir")], capture_output=True, text=True)
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout
    assert "pipeline period" in (tmp_path / "plan.txt").read_text()
    assert (tmp_path / "g.svg").read_text().startswith("<svg")


def test_a_probed_speed_is_measured_on_the_cluster_not_by_the_pass():
    import pytest

    from pelemay_ir.ir import CompileError
    from pelemay_ir.passes import partition

    spec = {"units": [{"name": "a", "machine": "host", "gflops": "probe"}]}
    with pytest.raises(CompileError, match="unit 'a' asks for the speed probe, which runs on the cluster"):
        partition.cluster_from_dict(spec)
    cluster = partition.cluster_from_dict(spec, probe=lambda machine: 2.5)
    assert [(u.name, u.machine, u.gflops) for u in cluster.units] == [("a", "host", 2.5)]
