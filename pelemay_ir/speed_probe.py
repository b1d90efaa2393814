"""The speed probe: a unit's speed measured where it runs, for the
partition's cost model (`"gflops": "probe"` in units.json). It compiles and
runs a program, so `pelemay_ir.distributed` runs it as a task on a worker of
the unit's machine; the partition pass itself only reads the figure."""

from __future__ import annotations

PROBE_SIZE = 128
PROBE_RUNS = 3
PROBE_SECONDS = 0.05


def probe_gflops(machine: str) -> float:
    """The speed probe: a unit's speed measured where this runs, the median
    time of a PROBE_SIZE^3 f32 matmul built for the machine, called at least
    PROBE_RUNS times and for PROBE_SECONDS after a warm-up call (run under
    qemu-user off the host, as such a unit runs its parts, so an emulated
    unit's process start is part of its speed)."""
    import statistics
    import time

    import numpy as np

    from pelemay_ir import api
    from pelemay_ir.builder import ProgramBuilder

    n = PROBE_SIZE
    b = ProgramBuilder("probe")
    x = b.argument("x", (n, n), "f32")
    b.returns(b.matmul(x, b.weight("w", np.ones((n, n), np.float32))))
    program = api.compile(b.build(), target=machine)
    inputs = np.ones((n, n), np.float32)
    program(inputs)
    times: list[float] = []
    while len(times) < PROBE_RUNS or sum(times) < PROBE_SECONDS:
        start = time.perf_counter()
        program(inputs)
        times.append(time.perf_counter() - start)
    return 2 * n**3 / statistics.median(times) / 1e9
