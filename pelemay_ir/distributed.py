"""Running a partitioned program on Dask distributed: `run` and `stream`.

A program is cut into parts by `partition` (passes/partition.py); here each
part becomes one Dask task per input (or per group of inputs), on a user's
`dask.distributed.Client`. Dask is the engine: it places, moves, retries
and recomputes; this module says where parts should go and checks that
they can. The policy, documented in docs/distributed.md:

- Parts are shipped once per client: a worker plugin carries every part's
  MLIR text and its own weights to each worker, present and future, and each
  worker compiles a part the first time it runs it (`pelemay_ir.compile` for
  the part's machine; builds are cached on disk), keeping the callable in a
  module-level cache keyed by the part's hash. Tasks carry only that key and
  the arrays.
- Placement: a part for the `host` machine runs on any worker; a part for
  another machine needs the Dask resource of that name (a worker started
  with `--resources "aarch64=1"` runs aarch64 parts, under qemu-user here).
  Each unit is pinned to one able worker, loosely: when that worker is gone,
  Dask places the part on any worker that has the resource (a scheduler
  plugin re-pins tasks stranded on a dead worker, dask/distributed#7346).
- Fault tolerance is Dask's: a task lost with its worker is run again
  elsewhere (a part is a pure function of its inputs, so a rerun gives the
  same bytes), and results lost with a worker are recomputed from their
  lineage; inputs travel inside the task graph, so nothing is lost for
  good. After `distributed.scheduler.allowed-failures` deaths of workers
  running the same task, Dask gives up (KilledWorker), reported here as a
  DistributedError naming the part.
- When no live worker can run some part (no worker offers its machine) for
  `placement_timeout` seconds, the call fails with `UnplaceableError`
  naming the parts and the machines they need.
- `stream` keeps up to `window` groups of inputs in flight (stage k of input
  i+1 runs while stage k+1 of input i does) and yields each input's outputs
  exactly once, in input order.
"""

from __future__ import annotations

import collections
import copy
import hashlib
import itertools
import re
import statistics
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, StringAttr, i64

from pelemay_ir import dtypes, ir
from pelemay_ir import weights as weights_file
from pelemay_ir.ir import CompileError

PLACEMENT_TIMEOUT_S = 30.0
"""How long a part may find no live worker able to run it before the call fails."""
POLL_S = 0.5
"""How often a waiting call checks that every part still has a worker."""


class DistributedError(RuntimeError):
    """A distributed call failed: the message names the part."""


class UnplaceableError(DistributedError):
    """No live worker can run some part: the message names it and its machine."""


# --- the plan: parts and how values flow between them ----------------------------------


@dataclass(frozen=True)
class Part:
    """One part as it travels to workers: a standalone ptensor module (text)
    with only the weights it reads."""

    name: str
    unit: str
    machine: str
    text: str
    weights: bytes
    predicted_s: float

    @cached_property
    def key(self) -> str:
        h = hashlib.sha256()
        for piece in (self.machine.encode(), self.text.encode(), self.weights):
            h.update(hashlib.sha256(piece).digest())
        return h.hexdigest()

    @property
    def resources(self) -> dict[str, float] | None:
        """The Dask resource a worker needs to run this part (none for host parts)."""
        return None if self.machine == "host" else {self.machine: 1}


Source = tuple[int, int]
"""Where a value comes from: (-1, k) the program's argument k, (p, k) result k of part p."""


@dataclass(frozen=True)
class Plan:
    entry: str
    parts: tuple[Part, ...]
    operands: tuple[tuple[Source, ...], ...]
    """Per part, where each of its arguments comes from."""
    results: tuple[Source, ...]
    """Where each of the program's results comes from."""
    arguments: int
    text: str = ""
    """The partition's plan as text (`partition.plan_text`), when partitioned here."""

    @cached_property
    def key(self) -> str:
        return hashlib.sha256("".join(p.key for p in self.parts).encode()).hexdigest()

    def describe(self) -> str:
        """The plan as text: the partition's table, or one line per part."""
        return self.text or "".join(
            f"part{k} @{p.name} on {p.unit} ({p.machine}): predicted {p.predicted_s * 1e3:.3f} ms\n"
            for k, p in enumerate(self.parts))


def _standalone(part: func.FuncOp, blob) -> tuple[str, bytes]:
    """A part as module text plus its own compact weights blob (offsets renumbered)."""
    from pelemay_ir.dialects import ptensor

    module = ModuleOp([])
    clone = part.clone()
    clone.properties.pop("sym_visibility", None)
    clone.attributes.pop("sym_visibility", None)
    module.body.block.add_op(clone)
    writer = weights_file.WeightsWriter()
    seen: dict[int, int] = {}
    for op in clone.walk():
        if isinstance(op, ptensor.WeightOp):
            t = op.result.type
            old = op.offset.value.data
            if old not in seen:
                nbytes = int(np.prod(t.get_shape(), dtype=np.int64)) * dtypes.numpy_dtype(t.element_type).itemsize
                seen[old] = writer.add(np.frombuffer(bytes(blob[old:old + nbytes]), np.uint8))
            op.properties["offset"] = IntegerAttr(seen[old], i64)
    if seen:
        module.attributes[weights_file.WEIGHTS_ATTR] = StringAttr(f"{clone.sym_name.data}.weights")
    from io import StringIO

    from xdsl.printer import Printer

    out = StringIO()
    Printer(stream=out).print_op(module)
    return out.getvalue() + "\n", writer.blob()


def _load(model: ModuleOp | str | Path) -> ModuleOp:
    if isinstance(model, (str, Path)):
        return ir.load(model)
    if not isinstance(model, ModuleOp):
        raise TypeError(f"model must be a ModuleOp or the path of a .mlir file, got {type(model).__name__}")
    copy = model.clone()
    if weights_file.WEIGHTS_ATTR in model.attributes:
        weights_file.attach(copy, weights_file.blob_of(model))
    return copy


def make_plan(model: ModuleOp | str | Path, units=None, objective: str = "throughput",
              probe: Callable[[str], float] | None = None) -> Plan:
    """The plan of a program: partitioned already (its `units.run` schedule), or
    partitioned here on `units` (a units JSON path, a dict of that format, a
    `partition.Cluster`, or None for a single host unit); speeds declared
    "probe" are measured by `probe(machine)`."""
    from pelemay_ir.dialects import units as units_dialect
    from pelemay_ir.passes import partition

    module = _load(model)
    plan_text = ""
    if not any(isinstance(op, units_dialect.RunOp) for op in module.walk()):
        if units is None:
            units = {"units": [{"name": "host", "machine": "host", "gflops": 1.0}]}
        cluster = partition.read_cluster(str(units), probe) if isinstance(units, (str, Path)) else (
            units if isinstance(units, partition.Cluster) else partition.cluster_from_dict(units, probe=probe))
        entry_name = partition.entry_function(module).sym_name.data
        plan_text = partition.plan_text(entry_name, partition.partition(module, cluster, objective), objective)
        ir.verify(module)
    machines = {u.sym_name.data: u.machine.data for u in module.ops if isinstance(u, units_dialect.UnitOp)}
    functions = {f.sym_name.data: f for f in module.ops if isinstance(f, func.FuncOp)}
    entries = [f for f in functions.values() if any(isinstance(op, units_dialect.RunOp) for op in f.walk())]
    if len(entries) != 1:
        raise CompileError(f"a partitioned module has one schedule function; found {len(entries)}")
    entry = entries[0]
    blob = weights_file.blob_of(module) if weights_file.WEIGHTS_ATTR in module.attributes else b""
    where: dict = {a: (-1, k) for k, a in enumerate(entry.args)}
    parts: list[Part] = []
    operands: list[tuple[Source, ...]] = []
    for op in entry.body.block.ops:
        if isinstance(op, units_dialect.TransferOp):
            where.update({r: where[v] for v, r in zip(op.values, op.res)})
        elif isinstance(op, units_dialect.RunOp):
            name, unit = op.callee.root_reference.data, op.unit.data
            if name not in functions or unit not in machines:
                raise CompileError(f"units.run calls @{name} on unit '{unit}': no such "
                                   + ("function" if name not in functions else "unit"), ir.location_of(op))
            text, own = _standalone(functions[name], blob)
            operands.append(tuple(where[v] for v in op.args))
            where.update({r: (len(parts), k) for k, r in enumerate(op.res)})
            parts.append(Part(name, unit, machines[unit], text, own, op.seconds.value.data))
        elif isinstance(op, func.ReturnOp):
            results = tuple(where[v] for v in op.arguments)
        else:
            raise CompileError(f"a schedule holds only units.run and units.transfer, found {op.name}",
                               ir.location_of(op))
    return Plan(entry.sym_name.data, tuple(parts), tuple(operands), results, len(entry.args), plan_text)


# --- on the workers ---------------------------------------------------------------------

_PARTS: dict[str, Part] = {}
_PROGRAMS: dict[str, object] = {}
_LOCK = threading.Lock()


def program(part: Part):
    """The part compiled for its machine (the host's C through ctypes, or its
    machine's build under qemu-user), once per process."""
    with _LOCK:
        if part.key not in _PROGRAMS:
            from pelemay_ir import api

            module = ir.parse(part.text, part.name)
            if part.weights:
                weights_file.attach(module, part.weights)
            mode = "external" if part.weights else "embedded"  # a part that reads no weights takes none
            _PROGRAMS[part.key] = api.compile(module, target=part.machine, weights=mode)
        return _PROGRAMS[part.key]


def _run_part(key: str, members: int, picks: Sequence[tuple[int, int]],
              *sources: Sequence[Sequence[np.ndarray]]) -> list[list[np.ndarray]]:
    """One task: part `key` on each of a group's `members` inputs, its
    arguments picked (source, index) from its sources (each a list with one
    entry per member: the program's arguments, or a previous part's results)."""
    part = _PARTS.get(key)
    if part is None:
        raise DistributedError(f"part {key[:12]} was never installed on this worker")
    run = program(part)
    return [run(*(sources[s][m][k] for s, k in picks)) for m in range(members)]


class PartsPlugin:
    """A Dask worker plugin carrying a plan's parts to every worker, present and future."""

    def __init__(self, parts: dict[str, Part]):
        self.parts = parts

    def setup(self, worker) -> None:
        _PARTS.update(self.parts)


# --- on the client ----------------------------------------------------------------------

_INSTALLED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class StaleRestrictionsPlugin:
    """A Dask scheduler plugin: a part is pinned to its unit's worker loosely
    (`allow_other_workers`), yet a task that became `no-worker` while no
    worker was running stays so when only new workers join, for its pin names
    a dead address (dask/distributed#7346). When a worker joins, such tasks
    whose pins name no live worker are pinned to it instead (still loosely,
    and still needing their resources, if any)."""

    name = "pelemay-stale-restrictions"

    def add_worker(self, scheduler, worker: str) -> None:
        for ts in list(scheduler.unrunnable):
            pins = ts.worker_restrictions
            if ts.loose_restrictions and pins and not any(a in scheduler.workers for a in pins):
                ts.worker_restrictions = {worker}


def _has_plugin(name: str, dask_scheduler=None) -> bool:
    return name in dask_scheduler.plugins


def install(plan: Plan, client) -> None:
    """Send the plan's parts to the cluster's workers, once per client (and
    the scheduler plugin above, once)."""
    done = _INSTALLED.setdefault(client, set())
    if not done and not client.run_on_scheduler(_has_plugin, StaleRestrictionsPlugin.name):
        from distributed.diagnostics.plugin import SchedulerPlugin

        client.register_plugin(type("PelemayStaleRestrictions", (StaleRestrictionsPlugin, SchedulerPlugin), {})(),
                               name=StaleRestrictionsPlugin.name)
    if plan.key not in done:
        from distributed.diagnostics.plugin import WorkerPlugin

        plugin = type("PelemayParts", (PartsPlugin, WorkerPlugin), {})({p.key: p for p in plan.parts})
        client.register_plugin(plugin, name=f"pelemay-parts-{plan.key[:16]}")
        done.add(plan.key)


def can_run(resources: dict[str, float], machine: str) -> bool:
    return machine == "host" or resources.get(machine, 0) >= 1


@dataclass
class _Cluster:
    """The live workers and their resources, refreshed at most every POLL_S."""

    client: object
    workers: dict[str, dict[str, float]] = field(default_factory=dict)
    at: float = -1.0
    last: dict[str, str] = field(default_factory=dict)
    """unit -> the worker it was last placed on, kept while no worker can take it."""

    def refresh(self) -> dict[str, dict[str, float]]:
        if time.monotonic() - self.at > POLL_S:
            info = self.client.scheduler_info(n_workers=-1)["workers"]
            self.workers = {a: dict(w.get("resources") or {}) for a, w in info.items()}
            self.at = time.monotonic()
        return self.workers

    def placement(self, plan: Plan) -> dict[str, str | None]:
        """unit -> preferred worker: each unit on its own able worker while
        there are enough, units of scarce machines first, a host unit
        preferring a worker that offers no other machine; while no worker can
        take a unit, the worker it had (a dead one: `StaleRestrictionsPlugin`
        moves its tasks to the next worker that joins)."""
        workers = self.refresh()
        units = list(dict.fromkeys((p.unit, p.machine) for p in plan.parts))
        units.sort(key=lambda um: um[1] == "host")
        load: collections.Counter = collections.Counter()
        chosen: dict[str, str | None] = {}
        for unit, machine in units:
            able = [a for a, r in workers.items() if can_run(r, machine)]
            best = min(able, key=lambda a: (load[a], len(workers[a]), a)) if able else self.last.get(unit)
            chosen[unit] = best
            load[best] += 1
        self.last.update((u, w) for u, w in chosen.items() if w)
        return chosen

    def missing(self, plan: Plan) -> list[Part]:
        workers = self.refresh()
        return [p for p in plan.parts if not any(can_run(r, p.machine) for r in workers.values())]


class _Runner:
    """Submits inputs through a plan and waits for their results."""

    def __init__(self, plan: Plan, client, placement_timeout: float):
        self.plan, self.client, self.placement_timeout = plan, client, placement_timeout
        self.cluster = _Cluster(client)
        self.tag = uuid.uuid4().hex[:8]
        install(plan, client)

    def submit(self, group: Sequence[Sequence[np.ndarray]], index: int):
        """Submit a group of inputs (each a list of arrays in argument order),
        the first being input `index`: one task per part for the whole group."""
        plan = self.plan
        for inputs in group:
            if len(inputs) != plan.arguments:
                raise TypeError(f"{plan.entry} takes {plan.arguments} inputs, got {len(inputs)}")
        group = [list(inputs) for inputs in group]
        placement = self.cluster.placement(plan)
        futures = []
        for part, operands in zip(plan.parts, plan.operands):
            sources: list = [group if any(src == -1 for src, _ in operands) else []]
            slots: dict[int, int] = {-1: 0}
            picks = []
            for src, k in operands:
                if src not in slots:
                    slots[src] = len(sources)
                    sources.append(futures[src])
                picks.append((slots[src], k))
            worker = placement[part.unit]
            futures.append(self.client.submit(
                _run_part, part.key, len(group), picks, *sources, key=f"{part.name}-{self.tag}-{index}", pure=False,
                workers=[worker] if worker else None, allow_other_workers=bool(worker),
                resources=part.resources,
            ))
        return futures, group

    def result(self, submitted) -> list[list[np.ndarray]]:
        """The program's outputs for each input of a submitted group, failing
        after a bounded time when some part has no worker able to run it."""
        from distributed import wait

        futures, group = submitted
        needed = [futures[p] for p in {p for p, _ in self.plan.results if p >= 0}]
        unplaceable_since: float | None = None
        while True:
            try:
                with self.client.as_current():
                    wait(needed, timeout=POLL_S, return_when="ALL_COMPLETED")
                break
            except TimeoutError:
                pass
            missing = self.cluster.missing(self.plan)
            if not missing:
                unplaceable_since = None
                continue
            unplaceable_since = unplaceable_since or time.monotonic()
            if time.monotonic() - unplaceable_since >= self.placement_timeout:
                self.client.cancel(futures)
                names = ", ".join(f"@{p.name} needs machine '{p.machine}'" for p in missing)
                offered = "; ".join(f"{a}: host{''.join(', ' + r for r in sorted(res))}"
                                    for a, res in sorted(self.cluster.workers.items())) or "none"
                raise UnplaceableError(
                    f"no live worker can run part {names} (a Dask worker resource of that name), "
                    f"for {self.placement_timeout:g} s; workers: {offered}"
                )
        outputs = {}
        for p, f in zip(range(len(futures)), futures):
            if f in needed:
                try:
                    outputs[p] = f.result()
                except Exception as e:
                    self.client.cancel(futures)
                    name = self.plan.parts[p].name
                    raise DistributedError(f"part @{name} failed: {type(e).__name__}: {e}") from e
        return [[np.asarray(inputs[k]) if p < 0 else outputs[p][m][k] for p, k in self.plan.results]
                for m, inputs in enumerate(group)]


def plan_for(model, client, units=None, objective: str = "throughput") -> Plan:
    """`make_plan` with the client's workers measuring what is to be probed:
    `units="probe"` describes the workers themselves (`probe_units`), and a
    unit's speed declared "probe" is measured on a worker of its machine."""
    if isinstance(units, str) and units == "probe":
        units = probe_units(client)
    return make_plan(model, units, objective, probe=lambda machine: probe_speed(client, machine))


def run(model, inputs: Sequence[np.ndarray], client, units=None, objective: str = "latency",
        placement_timeout: float = PLACEMENT_TIMEOUT_S) -> list[np.ndarray]:
    """The outputs of `model` (a path, a module, partitioned or not, or a
    `Plan`) on `inputs` (arrays in argument order), computed on `client`'s
    cluster. `units`: see `plan_for`."""
    plan = model if isinstance(model, Plan) else plan_for(model, client, units, objective)
    runner = _Runner(plan, client, placement_timeout)
    return runner.result(runner.submit([inputs], 0))[0]


def stream(model, batches: Iterable[Sequence[np.ndarray]], client, units=None,
           objective: str = "throughput", window: int | None = None, group: int = 1,
           placement_timeout: float = PLACEMENT_TIMEOUT_S) -> Iterator[list[np.ndarray]]:
    """Each batch's outputs, in order, with the stages of consecutive batches
    overlapping on their units; `batches` may be a lazy generator. `group`
    consecutive batches share one Dask task per part (Dask's per-task cost
    paid once for them); at most `window` groups are in flight (default: two
    per part)."""
    if group < 1:
        raise ValueError(f"group must be >= 1, got {group}")
    plan = model if isinstance(model, Plan) else plan_for(model, client, units, objective)
    runner = _Runner(plan, client, placement_timeout)
    window = window or 2 * len(plan.parts)
    pending: collections.deque = collections.deque()
    source = iter(batches)
    index = 0
    try:
        while chunk := list(itertools.islice(source, group)):
            pending.append(runner.submit(chunk, index))
            index += len(chunk)
            if len(pending) >= window:
                yield from runner.result(pending.popleft())
        while pending:
            yield from runner.result(pending.popleft())
    finally:
        for futures, _ in pending:
            client.cancel(futures)


# --- measuring the cluster: the speed probe, links, Dask's own overhead ----------------

OVERHEAD_ROUNDS = 20
LINK_BYTES = 8 << 20
LINK_ROUNDS = 5


def worker_machine(resources: dict[str, float]) -> str:
    """The machine a worker's parts compile for: the first machine it offers as a Dask resource, else the host."""
    from pelemay_ir import machines

    return next((m for m in machines.MACHINES if m != "host" and resources.get(m, 0) >= 1), "host")


def _able(client, machine: str) -> list[str]:
    workers = client.scheduler_info(n_workers=-1)["workers"]
    return sorted(a for a, w in workers.items() if can_run(dict(w.get("resources") or {}), machine))


def probe_speed(client, machine: str, worker: str | None = None) -> float:
    """The speed probe (`speed_probe.probe_gflops`) run as a task on `worker`,
    else on a live worker that runs `machine`: its GFLOP/s."""
    from pelemay_ir import speed_probe

    able = [worker] if worker else _able(client, machine)
    if not able:
        raise UnplaceableError(f"no live worker offers machine '{machine}' to measure its speed")
    resources = None if machine == "host" else {machine: 1}
    return client.submit(speed_probe.probe_gflops, machine, workers=able[:1], allow_other_workers=False,
                         resources=resources, pure=False).result()


def task_overhead_s(client, rounds: int = OVERHEAD_ROUNDS) -> float:
    """Dask's own per-task cost from here: the median round trip of an empty task."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        client.submit(_nothing, pure=False).result()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def pipelined_task_cost_s(client, tasks: int = 200) -> float:
    """Dask's cost per empty task when `tasks` are in flight at once (what a
    stream pays per task when the round trip overlaps other work)."""
    start = time.perf_counter()
    client.gather([client.submit(_nothing, pure=False) for _ in range(tasks)])
    return (time.perf_counter() - start) / tasks


def loop_rate(part: Part, inputs: Sequence[np.ndarray], seconds: float) -> float:
    """Inputs per second of `part` called in a loop where this runs, for
    `seconds`: its speed without Dask in the loop (a benchmark's ceiling)."""
    run = program(part)
    run(*inputs)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        run(*inputs)
        count += 1
    return count / (time.perf_counter() - start)


def _nothing() -> None:
    return None


def _zeros(nbytes: int) -> np.ndarray:
    return np.zeros(nbytes, np.uint8)


def _size(array: np.ndarray) -> int:
    return array.nbytes


def probe_link(client, a: str, b: str) -> dict[str, float] | None:
    """The link from worker `a` to `b` as the units format gives one
    (gbps, latency_ms): the median times Dask took moving 8 B (the latency)
    and LINK_BYTES (the bandwidth, counting the latency in: on a noisy
    machine the difference of two medians can be negative) between them,
    read from its task stream; None when it moved nothing."""
    from distributed import get_task_stream

    size_of_key: dict[str, int] = {}
    with get_task_stream(client) as stream:
        for _ in range(LINK_ROUNDS):
            for nbytes in (8, LINK_BYTES):
                source = client.submit(_zeros, nbytes, workers=[a], allow_other_workers=False, pure=False)
                sink = client.submit(_size, source, workers=[b], allow_other_workers=False, pure=False)
                sink.result()
                size_of_key[sink.key] = nbytes
                del source
    seconds: dict[int, list[float]] = {8: [], LINK_BYTES: []}
    for record in stream.data:
        nbytes = size_of_key.get(record["key"])
        for ss in record.get("startstops", ()):
            if nbytes and ss["action"] == "transfer":
                seconds[nbytes].append(ss["stop"] - ss["start"])
    if not seconds[8] or not seconds[LINK_BYTES]:
        return None
    big = statistics.median(seconds[LINK_BYTES])
    latency = min(statistics.median(seconds[8]), big)
    return {"gbps": round(8 * LINK_BYTES / big / 1e9, 3), "latency_ms": round(latency * 1e3, 4)}


def probe_units(client) -> dict:
    """A units description (the units.json format) of the client's live
    workers: one unit per worker, named w0, w1, ... in address order, of the
    machine it offers (`worker_machine`) at the speed the probe measures on
    it; the link between the first two workers and the per-part overhead (an
    empty task's round trip) measured too."""
    workers = {a: dict(w.get("resources") or {})
               for a, w in client.scheduler_info(n_workers=-1)["workers"].items()}
    if not workers:
        raise UnplaceableError("no live worker to measure")
    from pelemay_ir import speed_probe

    addresses = sorted(workers)
    machines_of = {a: worker_machine(workers[a]) for a in addresses}
    speeds = client.gather([
        client.submit(speed_probe.probe_gflops, machines_of[a], workers=[a], allow_other_workers=False, pure=False,
                      resources=None if machines_of[a] == "host" else {machines_of[a]: 1})
        for a in addresses
    ])
    spec: dict = {"units": [{"name": f"w{k}", "machine": machines_of[a], "gflops": round(speed, 3)}
                            for k, (a, speed) in enumerate(zip(addresses, speeds))]}
    if len(addresses) > 1:
        link = probe_link(client, addresses[0], addresses[1])
        if link:
            spec["link"] = link
    spec["overhead_ms"] = round(task_overhead_s(client) * 1e3, 3)
    return spec


# --- clusters on this machine, and what they did ------------------------------------------


WORKER_START_TIMEOUT_S = 120


def local_cluster(workers: int, machines: Sequence[str] = (), **options):
    """A `distributed.LocalCluster` of `workers` single-threaded worker
    processes on this machine (each under a nanny, which restarts it when it
    dies), returned once they have all joined; the first len(machines)
    workers offer those machines as Dask resources (an aarch64 worker runs
    its parts under qemu-user). The workers start without Dask's
    MALLOC_TRIM_THRESHOLD_, which would make glibc map and unmap a part's
    arena at every call (docs/distributed.md)."""
    import dask
    from distributed import LocalCluster

    if workers < 1:
        raise ValueError(f"a cluster needs at least one worker, got {workers}")
    if len(machines) > workers:
        raise ValueError(f"{len(machines)} machines to offer but only {workers} workers")
    options = {"threads_per_worker": 1, "processes": True, "dashboard_address": ":0", **options}
    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
        cluster = LocalCluster(n_workers=0, **options)
        try:
            for machine in machines:
                name, spec = next(iter(copy.deepcopy(cluster.new_worker_spec()).items()))
                spec["options"]["resources"] = {machine: 1}
                cluster.worker_spec[name] = spec
            cluster.scale(workers)
            cluster.wait_for_workers(workers, timeout=WORKER_START_TIMEOUT_S)
        except BaseException:
            cluster.close()
            raise
    return cluster


_TASK_KEY = re.compile(r"(?P<name>.+_part(?P<part>\d+))-[0-9a-f]{8}-(?P<index>\d+)")
"""A part's task key, as `_Runner.submit` names it."""


def measured_bars(records: Sequence[dict], names: dict[str, str] | None = None,
                  origin: float | None = None) -> list[tuple]:
    """Gantt bars (see pelemay_ir.gantt) of the parts Dask ran, from the
    records of `distributed.get_task_stream`: a row per worker (`names` maps
    addresses to row labels), a bar per part computed and a thin one per
    transfer into it, times in seconds from `origin` (a `time.time()`;
    default: the first start)."""
    bars = []
    for record in records:
        key = _TASK_KEY.fullmatch(str(record["key"]))
        if not key:
            continue
        part, index = key["part"], key["index"]
        row = (names or {}).get(record["worker"], record["worker"])
        for ss in record.get("startstops", ()):
            if ss["action"] == "compute":
                bars.append([row, ss["start"], ss["stop"], f"p{part} b{index}", f"part{part}"])
            elif ss["action"] == "transfer":
                bars.append([row, ss["start"], ss["stop"], f"b{index}", "transfer"])
    if origin is None:
        origin = min((b[1] for b in bars), default=0.0)
    return [(r, start - origin, stop - origin, label, kind) for r, start, stop, label, kind in bars]
