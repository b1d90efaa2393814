"""The distributed demo: a model split over two units, a worker killed mid-stream, the stream finishing correctly.

    python tools/distributed_demo.py [--model M.mlir] [--batches N] [--kill-after K] [--group G]
                                     [--svg docs/img/distributed-demo.svg]

Starts a LocalCluster of two worker processes, describes it with the speed
probe, partitions the model by the cost model (pipeline stages on the two
units), streams N seeded inputs and SIGKILLs the worker running the last
stage once K results have arrived. Dask runs the lost parts again on the
survivor; the worker's nanny starts a new process, which takes parts again.
Every output is checked bit for bit against the single-process build, and
the measured Gantt chart (a row per worker process, the kill as a red line)
is written to the SVG. Exit 0 when every batch arrived once, in order, and
right.
"""

from __future__ import annotations

import argparse
import collections
import os
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="tools/distributed_demo.py", description=__doc__.splitlines()[0])
    p.add_argument("--model", default=str(ROOT / "examples" / "mobilenet_v1.mlir"))
    p.add_argument("--batches", type=int, default=40)
    p.add_argument("--kill-after", type=int, default=12, metavar="K")
    p.add_argument("--group", type=int, default=1, help="batches per Dask task (stream's group)")
    p.add_argument("--svg", default=str(ROOT / "docs" / "img" / "distributed-demo.svg"))
    args = p.parse_args(argv)
    if not 0 < args.kill_after < args.batches:
        p.error("--kill-after must be between 0 and --batches")

    import dask
    import numpy as np
    from distributed import Client, get_task_stream

    import pelemay_ir
    from pelemay_ir import distributed, gantt, ir, reference
    from pelemay_ir.driver import atomic_write
    from pelemay_ir.run import random_inputs

    module = ir.load(args.model)
    function = reference.entry_function(module)
    single = pelemay_ir.compile(args.model, weights="external")

    def feed():
        for i in range(args.batches):
            yield random_inputs(function, i)

    with dask.config.set({"distributed.deploy.lost-worker-timeout": "1h"}), \
            distributed.local_cluster(2) as cluster, Client(cluster) as client:
        client.wait_for_workers(2)
        units = distributed.probe_units(client)
        plan = distributed.make_plan(module, units, "throughput")
        print(plan.describe(), end="")
        list(distributed.stream(plan, feed(), client, group=args.group, window=1))  # each worker compiles its part
        placement = distributed._Cluster(client).placement(plan)
        first = sorted(client.scheduler_info(n_workers=-1)["workers"])
        victim = placement[plan.parts[-1].unit]
        pids = client.run(os.getpid)
        names = {a: f"w{k}: " + ", ".join(f"part{i}" for i, part in enumerate(plan.parts)
                                          if placement[part.unit] == a) for k, a in enumerate(first)}
        got, killed_at = [], None
        with get_task_stream(client) as tasks:
            start = time.time()
            for i, outputs in enumerate(distributed.stream(plan, feed(), client, group=args.group)):
                got.append(outputs)
                if i + 1 == args.kill_after:
                    os.kill(pids[victim], signal.SIGKILL)
                    killed_at = time.time() - start
            seconds = time.time() - start
        back = sorted(set(client.scheduler_info(n_workers=-1)["workers"]) - set(first))
        for a in back:
            names[a] = f"{names[victim].split(':')[0]} restarted"
        names[victim] += " (killed)"
        bars = distributed.measured_bars(tasks.data, names, origin=start)
        title = (f"@{plan.entry}: {len(plan.parts)} parts on 2 workers, {args.batches} inputs, "
                 f"a worker SIGKILLed after {args.kill_after} results (measured)")
        rows = [names[a] for a in first] + [names[a] for a in back]
        atomic_write(Path(args.svg), gantt.svg(rows, bars, title, [(killed_at, f"SIGKILL {names[victim]}")]))

    wrong = [i for i, outputs in enumerate(got)
             if not all(np.array_equal(g, w) for g, w in zip(outputs, single(*random_inputs(function, i))))]
    runs = collections.Counter(str(t["key"]) for t in tasks.data)
    again = sum(1 for n in runs.values() if n > 1)
    print(f"worker {victim} (pid {pids[victim]}) SIGKILLed after {args.kill_after} results, "
          f"{killed_at * 1e3:.0f} ms into the stream")
    print(f"{len(got)} of {args.batches} batches delivered in order in {seconds:.2f} s; "
          f"{len(got) - len(wrong)} bit-identical to the single-process build")
    print(f"part runs finished twice (results lost with the worker, computed again): {again}; "
          f"workers that joined after the kill: {len(back)}")
    print(f"Gantt chart: {args.svg}")
    return 0 if len(got) == args.batches and not wrong else 1


if __name__ == "__main__":
    sys.exit(main())
