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


def _cluster(latency_s: float):
    from pelemay_ir.passes.partition import Cluster, Link, Unit

    return Cluster((Unit("a", "host", 1.0), Unit("b", "host", 1.0)), {}, Link(1e12, latency_s), 0.0)


def test_a_links_latency_delays_one_input_but_not_a_pipeline():
    """Four ops of 1 GFLOP on two 1 GFLOP/s units behind a link of 0.5 s
    latency: a pipeline splits them (period 2 s: the unit works on other
    inputs while one crosses the link); one input's latency does not (4 s
    beats 4.5 s)."""
    from pelemay_ir.passes.partition import plan_text, split

    flops, cut_bytes = [1e9] * 4, [0, 64, 64, 64, 0]
    stages = split(flops, cut_bytes, _cluster(0.5), "throughput")
    assert [(s.unit.name, s.start, s.end) for s in stages] == [("a", 0, 2), ("b", 2, 4)]
    assert abs(stages[1].transfer_s - 0.5) < 1e-6 and abs(stages[1].period_s - 2.0) < 1e-6
    assert "pipeline period 2000.000 ms" in plan_text("f", stages, "throughput")
    (alone,) = split(flops, cut_bytes, _cluster(0.5), "latency")
    assert (alone.start, alone.end) == (0, 4)


def test_probed_speeds_are_measured_for_their_machine(tmp_path):
    from pelemay_ir.ir import CompileError
    from pelemay_ir.passes.partition import cluster_from_dict, read_cluster

    asked = []
    spec = {"units": [{"name": "u0", "gflops": "probe"}, {"name": "b", "machine": "aarch64", "gflops": "probe"}]}
    cluster = cluster_from_dict(spec, probe=lambda machine: asked.append(machine) or 2.5)
    assert asked == ["host", "aarch64"] and [u.gflops for u in cluster.units] == [2.5, 2.5]
    bad = tmp_path / "units.json"
    bad.write_text('{"units": [\n  {"name": "u0",}\n]}')
    try:
        read_cluster(str(bad))
    except CompileError as e:
        assert str(e) == f"{bad}:2:17: error: Expecting property name enclosed in double quotes"
    else:
        raise AssertionError("a units file that is not JSON was accepted")
