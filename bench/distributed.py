"""Streamed MobileNet v1 on Dask LocalClusters: 2 workers against 1.

    python bench/distributed.py [--quick] [--rounds R] [--batches B] [--group G]
                                [--out bench/results/distributed.md]

Two LocalClusters live side by side, one of 1 worker process and one of 2
(single-threaded each). Each is described by the speed probe
(`distributed.probe_units`: every worker's GFLOP/s, the link between two
workers, Dask's per-task cost) and the model is partitioned for it by the
cost model (objective `throughput`): one part on the 1-worker cluster, as
many pipeline stages as the model chooses on the 2-worker one. Every output
is checked bit for bit against the single-process build before anything is
timed. Then rounds run every setup in turn (the order reversed every other
round), each streaming the same batches, one Dask task per part and batch,
and one per part and group of G batches; the report gives the median
throughput of each and the median per-round ratio.

Beside it: Dask's own per-task overhead measured from this process (an empty
task's round trip, and its cost when many are in flight), our per-stage
overhead (a one-input run's latency minus the parts' in-process time, per
part), and the cost model's predicted stage times beside those the workers
measured (Dask's task stream). docs/distributed.md explains the method.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
# Run as a script, this file's folder comes first on sys.path, where its own
# name would hide Dask's `distributed` package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH]

import numpy as np  # noqa: E402
DISTINCT_INPUTS = 8
"""Batches cycle through this many seeded inputs (each checked once, bit for bit)."""


class BenchError(RuntimeError):
    """A wrong result or a bad option: reported, never timed."""


def machine_line() -> str:
    model, cores = platform.machine(), str(os.cpu_count())
    try:
        text = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        fields = {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in text.splitlines() if ":" in line)}
        model = fields.get("Model name", model)
    except (OSError, subprocess.CalledProcessError):
        pass
    return f"{model}, {cores} logical CPUs"


def version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def median_time(call, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def in_process(plan, inputs, repeat: int) -> tuple[list[np.ndarray], list[float]]:
    """The plan's parts run one after another in this process: the outputs and
    each part's median time (what a stage costs without Dask)."""
    from pelemay_ir import distributed

    values: list[list[np.ndarray]] = []
    seconds = []
    for part, operands in zip(plan.parts, plan.operands):
        program = distributed.program(part)
        args = [inputs[k] if p < 0 else values[p][k] for p, k in operands]
        values.append(program(*args))
        seconds.append(median_time(lambda: program(*args), repeat))
    return [inputs[k] if p < 0 else values[p][k] for p, k in plan.results], seconds


def cpu_seconds(client) -> list[float]:
    """CPU seconds used so far by this process (the client and a
    LocalCluster's scheduler) and by each worker process, in address order."""
    here = os.times()
    workers = client.run(os.times)
    return [here.user + here.system] + [workers[a].user + workers[a].system for a in sorted(workers)]


def machine_ceiling(client, part, inputs, seconds: float) -> tuple[float, float]:
    """The model's rate without Dask in the loop: on one worker process alone,
    and summed over two worker processes running at once (what 2 workers
    could give at best on this machine)."""
    from pelemay_ir import distributed

    workers = sorted(client.scheduler_info(n_workers=-1)["workers"])[:2]

    def on(addresses):
        return client.gather([client.submit(distributed.loop_rate, part, inputs, seconds, workers=[a], pure=False)
                              for a in addresses])

    on(workers)  # compiles the model on both
    return on(workers[:1])[0], sum(on(workers))


def stage_times(records, plan) -> dict[str, dict[str, list[float]]]:
    """Per part: the compute and incoming transfer durations the workers reported."""
    from pelemay_ir import distributed

    out = {p.name: {"compute": [], "transfer": []} for p in plan.parts}
    for record in records:
        key = distributed._TASK_KEY.fullmatch(str(record["key"]))
        if not key or key["name"] not in out:
            continue
        for ss in record.get("startstops", ()):
            if ss["action"] in ("compute", "transfer"):
                out[key["name"]][ss["action"]].append(ss["stop"] - ss["start"])
    return out


def ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1e3:.2f} ms"


def med(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def measure(model: Path, rounds: int, batches: int, repeat: int, group: int, quick: bool) -> dict:
    import dask
    from distributed import Client, get_task_stream

    import pelemay_ir
    from pelemay_ir import distributed, ir, reference
    from pelemay_ir.run import random_inputs

    module = ir.load(model)
    feeds = [random_inputs(reference.entry_function(module), seed) for seed in range(DISTINCT_INPUTS)]
    single = pelemay_ir.compile(str(model), weights="external")
    expected = [single(*feed) for feed in feeds]
    single_s = median_time(lambda: single(*feeds[0]), repeat)

    result: dict = {"model": model.name, "rounds": rounds, "batches": batches, "group": group,
                    "single_s": single_s, "load_before": os.getloadavg()}
    with dask.config.set({"distributed.deploy.lost-worker-timeout": "1h"}), \
            distributed.local_cluster(1) as c1, Client(c1) as one, \
            distributed.local_cluster(2) as c2, Client(c2) as two:
        one.wait_for_workers(1)
        two.wait_for_workers(2)
        setups = {}
        for n, client in ((1, one), (2, two)):
            units = distributed.probe_units(client)
            plan = distributed.make_plan(model, units, "throughput")
            for g in sorted({1, group}):  # compiles on the workers, and checks every output
                got = list(distributed.stream(plan, iter(feeds), client, group=g))
                for i, (outputs, want) in enumerate(zip(got, expected)):
                    if not all(np.array_equal(a, b) for a, b in zip(outputs, want)):
                        raise BenchError(f"{n} worker(s), group {g}: batch {i} differs from the single-process build")
            _, part_s = in_process(plan, feeds[0], repeat)
            latency_s = median_time(lambda: distributed.run(plan, feeds[0], client), repeat)
            setups[n] = {"client": client, "units": units, "plan": plan, "part_s": part_s,
                         "latency_s": latency_s, "throughput": {g: [] for g in {1, group}},
                         "records": {g: [] for g in {1, group}}, "cpu": {g: [] for g in {1, group}}}
        configs = [(n, g) for g in sorted({1, group}) for n in (1, 2)]
        for r in range(rounds):
            for n, g in (configs if r % 2 == 0 else configs[::-1]):
                s = setups[n]
                before = cpu_seconds(s["client"])
                with get_task_stream(s["client"]) as tasks:
                    start = time.perf_counter()
                    count = sum(1 for _ in distributed.stream(
                        s["plan"], (feeds[i % DISTINCT_INPUTS] for i in range(batches)), s["client"], group=g))
                    wall = time.perf_counter() - start
                after = cpu_seconds(s["client"])
                if count != batches:
                    raise BenchError(f"{n} worker(s): {count} results for {batches} batches")
                s["throughput"][g].append(batches / wall)
                s["records"][g].extend(tasks.data)
                s["cpu"][g].append([(b - a) / batches for a, b in zip(before, after)])
        whole = setups[1]["plan"].parts[0]
        result["alone_rate"], result["pair_rate"] = machine_ceiling(two, whole, feeds[0], 0.3 if quick else 5.0)
        result["empty_round_trip_s"] = distributed.task_overhead_s(one, rounds=max(repeat, 20))
        result["empty_pipelined_s"] = statistics.median(distributed.pipelined_task_cost_s(one, 200) for _ in range(3))
        for s in setups.values():
            s["stages"] = {g: stage_times(records, s["plan"]) for g, records in s["records"].items()}
            del s["client"], s["records"]
        result["setups"] = setups
    result["load_after"] = os.getloadavg()
    return result


def report(r: dict, quick: bool) -> str:
    one, two = r["setups"][1], r["setups"][2]
    groups = sorted(one["throughput"])
    lines = [
        "# Distributed: streamed " + r["model"].removesuffix(".mlir") + " on Dask, 2 workers against 1",
        "",
        "Written by `python bench/distributed.py" + (" --quick" if quick else "") + "` on "
        + datetime.date.today().isoformat() + "; the method is in docs/distributed.md.",
        "",
        f"- CPU: {machine_line()}; load average {r['load_before'][0]:.2f} before, "
        f"{r['load_after'][0]:.2f} after (the machine is shared)",
        f"- Python {platform.python_version()}; dask {version('dask')}, distributed {version('distributed')}; "
        f"NumPy {np.__version__}",
        f"- {r['rounds']} rounds, each running every setup once (in turn, the order reversed every other "
        f"round), of {r['batches']} batches (a batch is one input of the model; they cycle through "
        f"{DISTINCT_INPUTS} seeded inputs); single-threaded worker processes; every output bit-identical "
        "to the single-process build",
        "- group: how many consecutive batches share one Dask task per part (`stream(..., group=G)`)",
        "",
        "## Throughput",
        "",
        "| setup | parts | group | median | per round |",
        "|---|---|---|---|---|",
        f"| single process, no Dask | 1 | - | {1 / r['single_s']:.1f} inputs/s | - |",
        f"| the model in a loop on 1 worker process, no Dask tasks | 1 | - | {r['alone_rate']:.1f} inputs/s | - |",
        f"| the model in a loop on 2 worker processes at once, summed | 1 each | - | {r['pair_rate']:.1f} inputs/s"
        " | - |",
    ]
    for g in groups:
        for n, s in ((1, one), (2, two)):
            lines.append(f"| {n} worker{'s' if n > 1 else ''} | {len(s['plan'].parts)} | {g} | "
                         f"{statistics.median(s['throughput'][g]):.1f} inputs/s | "
                         + ", ".join(f"{x:.1f}" for x in s["throughput"][g]) + " |")
    lines.append("")
    for g in groups:
        t1, t2 = statistics.median(one["throughput"][g]), statistics.median(two["throughput"][g])
        ratios = [b / a for a, b in zip(one["throughput"][g], two["throughput"][g])]
        lines.append(f"- group {g}: 2 workers / 1 worker **{t2 / t1:.2f}x** (ratio of medians); per-round "
                     f"ratios: median {statistics.median(ratios):.2f}x, range {min(ratios):.2f}-{max(ratios):.2f}x")
    lines.append(f"- this machine's own ceiling for 2 processes (two loops at once against one): "
                 f"**{r['pair_rate'] / r['alone_rate']:.2f}x**")
    lines += [
        "",
        "## Overheads",
        "",
        "| what | median |",
        "|---|---|",
        f"| Dask: an empty task's round trip from this process | {ms(r['empty_round_trip_s'])} |",
        f"| Dask: an empty task's cost with 200 in flight | {ms(r['empty_pipelined_s'])} |",
    ]
    for n, s in ((1, one), (2, two)):
        parts = len(s["plan"].parts)
        compute = sum(s["part_s"])
        lines.append(f"| ours, {n} worker{'s' if n > 1 else ''}: one input's latency through `run` | "
                     f"{ms(s['latency_s'])} |")
        lines.append(f"| ours, {n} worker{'s' if n > 1 else ''}: per-stage overhead, (latency - parts in "
                     f"process) / {parts} | {ms((s['latency_s'] - compute) / parts)} |")
    lines += [
        "",
        "## CPU time per input (medians over the rounds)",
        "",
        "| setup | group | this process (client, scheduler) | each worker | all | the parts in process |",
        "|---|---|---|---|---|---|",
    ]
    for g in groups:
        for n, s in ((1, one), (2, two)):
            per = [statistics.median(column) for column in zip(*s["cpu"][g])]
            lines.append(f"| {n} worker{'s' if n > 1 else ''} | {g} | {ms(per[0])} | "
                         + ", ".join(ms(x) for x in per[1:]) + f" | {ms(sum(per))} | {ms(sum(s['part_s']))} |")
    lines += ["", "## The cost model: predicted and measured stage times (per input)", ""]
    for n, s in ((1, one), (2, two)):
        units = s["units"]
        lines.append(f"{n} worker{'s' if n > 1 else ''}: probed units "
                     + ", ".join(f"{u['name']} {u['machine']} {u['gflops']:.1f} GFLOP/s" for u in units["units"])
                     + (f"; link {units['link']['gbps']:.2f} Gbit/s, {units['link']['latency_ms']:.2f} ms"
                        if "link" in units else "")
                     + f"; per-part overhead {units['overhead_ms']:.2f} ms")
        lines.append("")
        lines.append("| part | unit | predicted compute | of which work | in process | "
                     + " | ".join(f"worker, group {g}" for g in groups)
                     + " | predicted transfer in | " + " | ".join(f"transfer in, group {g}" for g in groups) + " |")
        lines.append("|---" * (5 + 2 * len(groups) + 1) + "|")
        transfers = {}
        for row in s["plan"].describe().splitlines():
            cells = row.split()
            if cells and cells[0].startswith("part") and cells[0][4:].isdigit():
                transfers[int(cells[0][4:])] = float(cells[-2]) * 1e-3
        for k, part in enumerate(s["plan"].parts):
            worker = [med(s["stages"][g][part.name]["compute"]) for g in groups]
            moved = [med(s["stages"][g][part.name]["transfer"]) for g in groups]
            work = part.predicted_s - units["overhead_ms"] * 1e-3
            lines.append(f"| part{k} | {part.unit} | {ms(part.predicted_s)} | {ms(work)} | {ms(s['part_s'][k])} | "
                         + " | ".join(ms(w / g if w is not None else None) for w, g in zip(worker, groups))
                         + f" | {ms(transfers.get(k))} | "
                         + " | ".join(ms(t / g if t is not None else None) for t, g in zip(moved, groups)) + " |")
        lines.append("")
    lines.append("Predicted compute is the per-part overhead (the probe's empty-task round trip) plus the "
                 "part's work at the probed speed (a matmul's); the worker columns are the part's call on its worker (Dask's task stream), "
                 "divided by the group; in process: the same part called here without Dask.")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench/distributed.py", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="LeNet-5, 1 round of 6 batches (what the tests run)")
    p.add_argument("--rounds", type=int, help="rounds per cluster (default 4)")
    p.add_argument("--batches", type=int, help="batches per round (default 512: a stream long enough that filling and draining the pipeline is a small part of it)")
    p.add_argument("--group", type=int, default=32, help="batches per Dask task in the grouped rows (default 32)")
    p.add_argument("--out", default=str(BENCH / "results" / "distributed.md"))
    args = p.parse_args(argv)
    rounds = args.rounds if args.rounds is not None else 1 if args.quick else 4
    batches = args.batches if args.batches is not None else 6 if args.quick else 512
    if rounds < 1 or batches < 1 or args.group < 1:
        print("bench/distributed.py: error: --rounds, --batches and --group must be >= 1", file=sys.stderr)
        return 2
    model = ROOT / "examples" / ("lenet5.mlir" if args.quick else "mobilenet_v1.mlir")
    try:
        result = measure(model, rounds, batches, repeat=5 if args.quick else 15, group=args.group, quick=args.quick)
    except BenchError as e:
        print(f"bench/distributed.py: error: {e}", file=sys.stderr)
        return 1
    text = report(result, args.quick)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
