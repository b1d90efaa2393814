"""pelemay_ir.distributed on LocalClusters: a partitioned program's results
are bit-identical to the single-process run, a stream keeps its order,
workers killed at random moments cost only time, a part no live worker can
run fails after a bounded time, and an aarch64 unit (qemu-user) matches the
host. The full fault-tolerance counts of issue 19 are in the slow tier."""

from __future__ import annotations

import json
import os
import random
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import pelemay_ir
from pelemay_ir import distributed, ir, reference
from pelemay_ir.run import compare

ROOT = Path(__file__).resolve().parents[2]
RESBLOCK = ROOT / "examples/resblock.mlir"
LENET = ROOT / "examples/lenet5.mlir"
TWO_UNITS = {"units": [{"name": "u0", "gflops": 20}, {"name": "u1", "gflops": 20}],
             "link": {"gbps": 10, "latency_ms": 0.1}, "overhead_ms": 0.5}
HOST_AND_BOARD = {"units": [{"name": "u0", "gflops": 20}, {"name": "board", "machine": "aarch64", "gflops": 20}],
                  "link": {"gbps": 1000, "latency_ms": 0}, "overhead_ms": 0}


def units_per_worker(n: int) -> dict:
    return {"units": [{"name": f"u{k}", "gflops": 20} for k in range(n)],
            "link": {"gbps": 1000, "latency_ms": 0}, "overhead_ms": 0}


@pytest.fixture(scope="module", autouse=True)
def nannies_keep_lost_workers():
    """A LocalCluster closes the nanny of a worker that is absent when its
    `lost-worker-timeout` (15 s) after some earlier loss ends, so a worker
    killed again at that moment would not come back: these tests kill often."""
    import importlib

    import dask
    import distributed  # noqa: F401  (its defaults load first: on exit, set() removes a key it found absent)

    importlib.import_module("distributed")  # its config defaults first, so leaving the set below keeps them
    with dask.config.set({"distributed.deploy.lost-worker-timeout": "1h"}):
        yield


@pytest.fixture(scope="module")
def client():
    from distributed import Client

    with distributed.local_cluster(2) as cluster, Client(cluster) as c:
        c.wait_for_workers(2)
        yield c


def _inputs(seed: int, model: Path = RESBLOCK) -> list[np.ndarray]:
    function = reference.entry_function(ir.load(model))
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(a.type.get_shape()).astype(np.float32) for a in function.args]


def _identical(got: list[np.ndarray], want: list[np.ndarray]) -> bool:
    return len(got) == len(want) and all(np.array_equal(g, w) for g, w in zip(got, want))


def _live_pids(client, workers: int) -> list[int]:
    """The process ids of `workers` or more workers that their nannies have
    started (a worker killed while its nanny still starts it is not
    restarted: Dask's nanny gives up on it, see docs/distributed.md)."""
    from distributed.core import Status

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        nannies = list(client.cluster.workers.values())
        pids = [n.process.pid for n in nannies
                if n.status == Status.running and n.process and n.process.status == Status.running]
        if len(pids) >= workers and len(client.run(os.getpid, on_error="ignore")) >= workers:
            return sorted(pids)
        time.sleep(0.05)
    states = {name: (str(n.status), n.process and str(n.process.status)) for name, n in client.cluster.workers.items()}
    raise AssertionError(f"fewer than {workers} started workers after 60 s: {states}")


def _kill_at(client, delay: float, rng: random.Random, workers: int) -> tuple[threading.Timer, list[float]]:
    """SIGKILL a random started worker process `delay` seconds from now; the
    timer, and a list that gets the moment of the kill."""
    pid = rng.choice(_live_pids(client, workers))
    fired: list[float] = []

    def kill():
        fired.append(time.monotonic())
        os.kill(pid, signal.SIGKILL)

    timer = threading.Timer(delay, kill)
    timer.start()
    return timer, fired


def test_two_parts_run_bit_identical_to_one_process(client):
    plan = distributed.make_plan(RESBLOCK, TWO_UNITS, objective="throughput")
    assert len(plan.parts) == 2
    inputs = _inputs(0)
    want = pelemay_ir.compile(str(RESBLOCK))(*inputs)
    got = distributed.run(str(RESBLOCK), inputs, client, units=TWO_UNITS, objective="throughput")
    assert _identical(got, want)


def test_a_stream_delivers_every_batch_in_order(client):
    batches = [_inputs(seed) for seed in range(6)]
    program = pelemay_ir.compile(str(RESBLOCK))
    got = list(distributed.stream(str(RESBLOCK), iter(batches), client, units=TWO_UNITS))
    assert len(got) == len(batches)
    for outputs, inputs in zip(got, batches):
        assert _identical(outputs, program(*inputs))
    grouped = list(distributed.stream(str(RESBLOCK), iter(batches), client, units=TWO_UNITS, group=4))
    assert len(grouped) == len(batches)  # a group of 4, then one of 2
    for outputs, inputs in zip(grouped, batches):
        assert _identical(outputs, program(*inputs))


def kill_runs(client, runs: int, workers: int, seed: int) -> None:
    """`runs` calls of `run`, each with a random worker SIGKILLed at a random
    moment within an undisturbed run's time: every result bit-identical."""
    rng = random.Random(seed)
    plan = distributed.make_plan(RESBLOCK, units_per_worker(workers), objective="throughput")
    assert len(plan.parts) == workers
    program = pelemay_ir.compile(str(RESBLOCK))
    distributed.run(plan, _inputs(0), client)  # compiled on the workers
    spans = []
    for _ in range(3):
        start = time.perf_counter()
        distributed.run(plan, _inputs(0), client)
        spans.append(time.perf_counter() - start)
    span = sorted(spans)[1]
    during = 0
    for k in range(runs):
        inputs = _inputs(100 + k)
        timer, fired = _kill_at(client, rng.uniform(0, span), rng, workers)
        got = distributed.run(plan, inputs, client)
        returned = time.monotonic()
        timer.join()
        during += fired[0] < returned
        assert _identical(got, program(*inputs)), f"run {k}"
    assert during >= runs // 2, f"only {during} of {runs} kills landed while a run was going on"


def test_runs_survive_a_worker_killed_at_a_random_moment(client):
    kill_runs(client, runs=3, workers=2, seed=19)


def kill_stream(client, batches: int, workers: int, seed: int) -> None:
    """A stream of `batches` inputs with a random worker SIGKILLed twice, at
    random points of the stream: each batch arrives once, in order,
    bit-identical; then a restarted worker (its nanny brings it back at a
    new address) runs parts again."""
    from distributed import get_task_stream

    rng = random.Random(seed)
    plan = distributed.make_plan(RESBLOCK, units_per_worker(workers), objective="throughput")
    program = pelemay_ir.compile(str(RESBLOCK))
    _live_pids(client, workers)
    before = set(client.scheduler_info(n_workers=-1)["workers"])
    kills = sorted(rng.sample(range(batches - 2), 2))
    seen = []

    def feed():
        for i in range(batches):
            seen.append(i)
            yield _inputs(1000 + i)

    got = []
    for i, outputs in enumerate(distributed.stream(plan, feed(), client)):
        got.append(outputs)
        if i in kills:
            _kill_at(client, rng.uniform(0, 0.02), rng, 1)[0].join()
    assert seen == list(range(batches))  # the generator was read once, lazily
    assert len(got) == batches
    for i, outputs in enumerate(got):
        assert _identical(outputs, program(*_inputs(1000 + i))), f"batch {i}"

    _live_pids(client, workers)
    after = set(client.scheduler_info(n_workers=-1)["workers"])
    assert after - before, "no worker came back after the kills"
    with get_task_stream(client) as tasks:
        again = list(distributed.stream(plan, (_inputs(i) for i in range(4 * workers)), client))
    assert all(_identical(o, program(*_inputs(i))) for i, o in enumerate(again))
    assert {t["worker"] for t in tasks.data} & (after - before), "a restarted worker ran nothing"


def test_a_stream_with_two_kills_delivers_each_batch_once_in_order(client):
    kill_stream(client, batches=20, workers=2, seed=19)


@pytest.mark.slow
@pytest.mark.parametrize("workers", [2, 3, 4])
def test_twenty_runs_with_a_kill_each(workers):
    from distributed import Client

    with distributed.local_cluster(workers) as cluster, Client(cluster) as c:
        c.wait_for_workers(workers)
        kill_runs(c, runs=20, workers=workers, seed=workers)


@pytest.mark.slow
@pytest.mark.parametrize("workers", [2, 4])
def test_a_hundred_batches_with_two_kills(workers):
    from distributed import Client

    with distributed.local_cluster(workers) as cluster, Client(cluster) as c:
        c.wait_for_workers(workers)
        kill_stream(c, batches=100, workers=workers, seed=workers)


def test_a_part_no_worker_can_run_fails_after_a_bounded_time(client):
    """No worker offers aarch64: the call fails with UnplaceableError naming
    the part and the machine, after the placement timeout."""
    start = time.perf_counter()
    with pytest.raises(distributed.UnplaceableError) as failure:
        distributed.run(str(LENET), _inputs(0, LENET), client, units=HOST_AND_BOARD,
                         objective="throughput", placement_timeout=1.0)
    elapsed = time.perf_counter() - start
    assert "@lenet5_part1 needs machine 'aarch64'" in str(failure.value)
    assert 1.0 <= elapsed < 15.0


def test_an_aarch64_unit_matches_the_host_and_its_loss_is_reported(tmp_path):
    """A host worker and an aarch64 worker (qemu-user): the part placed on the
    board gives the host-only output within pelemay-run's tolerance; the
    probe sees both machines; once the board leaves for good, the next call
    fails with UnplaceableError, after a bounded time."""
    from distributed import Client

    with distributed.local_cluster(2, ["aarch64"]) as cluster, Client(cluster) as c:
        c.wait_for_workers(2)
        plan = distributed.make_plan(LENET, HOST_AND_BOARD)
        assert [p.machine for p in plan.parts] == ["host", "aarch64"]
        inputs = _inputs(3, LENET)
        (got,) = distributed.run(plan, inputs, c)
        (want,) = pelemay_ir.compile(str(LENET))(*inputs)
        error, ok = compare(got, want)
        assert ok, error

        probed = distributed.probe_units(c)
        assert sorted(u["machine"] for u in probed["units"]) == ["aarch64", "host"]
        assert all(u["gflops"] > 0 for u in probed["units"]) and probed["overhead_ms"] > 0
        json.dumps(probed)  # the units.json format

        (board,) = [name for name, spec in cluster.worker_spec.items() if spec["options"].get("resources")]
        del cluster.worker_spec[board]
        cluster.scale(1)
        deadline = time.monotonic() + 30
        while len(c.scheduler_info()["workers"]) > 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        start = time.perf_counter()
        with pytest.raises(distributed.UnplaceableError, match=r"@lenet5_part1 needs machine 'aarch64'"):
            distributed.run(plan, inputs, c, placement_timeout=1.0)
        assert time.perf_counter() - start < 15.0


def test_pelemay_run_on_local_workers_and_on_a_scheduler(client, tmp_path, capsys):
    from pelemay_ir import run

    units = tmp_path / "units.json"
    units.write_text(json.dumps(TWO_UNITS))
    gantt = tmp_path / "run.svg"
    address = client.scheduler.address
    assert run.main([str(RESBLOCK), "--scheduler", address, "--units", str(units), "--batches", "3", "--group", "2",
                     "--gantt", str(gantt), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["ok"] and result["batches"] == 3 and "2 parts" in result["plan"]
    assert gantt.read_text().startswith("<svg") and "p1 b2" in gantt.read_text()

    assert run.main([str(LENET), "--workers", "2"]) == 0
    out = capsys.readouterr().out
    assert "LocalCluster of 2 workers" in out and "GFLOP/s" in out and out.rstrip().endswith("ok")


def test_pelemay_run_distributed_errors_are_one_line(tmp_path, capsys, monkeypatch):
    from pelemay_ir import run

    monkeypatch.setattr(run, "SCHEDULER_TIMEOUT_S", 1)
    assert run.main([str(LENET), "--scheduler", "tcp://127.0.0.1:1", "--json"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("pelemay-run: error: cannot reach the Dask scheduler at 'tcp://127.0.0.1:1'")
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    bad = tmp_path / "units.json"
    bad.write_text('{"units": [{"name": "u0", "machine": "vax", "gflops": 1}]}')
    assert run.main([str(LENET), "--workers", "1", "--units", str(bad)]) == 1
    assert "unknown machine 'vax'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run.main([str(LENET), "--workers", "2", "--target", "aarch64"])
