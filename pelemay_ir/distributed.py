"""Running a partitioned program on Dask distributed: `run` and `stream`.

A program is cut into parts by `partition` (passes/partition.py); here each
part becomes one Dask task per input, on a user's `dask.distributed.Client`.
The policy, documented in docs/distributed.md:

- Parts are shipped once per client: a worker plugin carries every part's
  MLIR text and its own weights to each worker, present and future, and each
  worker compiles a part the first time it runs it (`pelemay_ir.compile` for
  the part's machine; builds are cached on disk), keeping the callable in a
  module-level cache keyed by the part's hash. Tasks carry only that key and
  the arrays.
- Placement: a part for the `host` machine runs on any worker; a part for
  another machine needs the Dask resource of that name (a worker started
  with `--resources "aarch64=1"` runs aarch64 parts, under qemu-user here).
  Each unit is pinned to one such worker, loosely: when that worker is gone,
  Dask places the part on any worker that has the resource.
- Fault tolerance is Dask's: a task lost with its worker is run again
  elsewhere (a part is a pure function of its inputs, so a rerun gives the
  same bytes), and results lost with a worker are recomputed from their
  lineage; inputs travel inside the task graph, so nothing is lost for
  good. After `distributed.scheduler.allowed-failures` deaths of workers
  running the same task, Dask gives up (KilledWorker), reported here with
  the part's name.
- When no live worker can run some part (no worker offers its machine) for
  `placement_timeout` seconds, the call fails with `UnplaceableError`
  naming the parts and the machines they need.
- `stream` keeps up to `window` inputs in flight (stage k of input i+1 runs
  while stage k+1 of input i does) and yields each input's outputs exactly
  once, in input order.
"""

from __future__ import annotations

import collections
import hashlib
import itertools
import threading
import time
import uuid
import weakref
from collections.abc import Iterable, Iterator, Sequence
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

    @cached_property
    def key(self) -> str:
        return hashlib.sha256("".join(p.key for p in self.parts).encode()).hexdigest()


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


def make_plan(model: ModuleOp | str | Path, units=None, objective: str = "throughput") -> Plan:
    """The plan of a program: partitioned already (its `units.run` schedule), or
    partitioned here on `units` (a units JSON path, a dict of that format, or
    None for a single host unit)."""
    from pelemay_ir.dialects import units as units_dialect
    from pelemay_ir.passes import partition

    module = _load(model)
    if not any(isinstance(op, units_dialect.RunOp) for op in module.walk()):
        if units is None:
            units = {"units": [{"name": "host", "machine": "host", "gflops": 1.0}]}
        cluster = partition.read_cluster(str(units)) if isinstance(units, (str, Path)) else (
            units if isinstance(units, partition.Cluster) else partition.cluster_from_dict(units))
        partition.partition(module, cluster, objective)
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
    return Plan(entry.sym_name.data, tuple(parts), tuple(operands), results, len(entry.args))


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


def _run_part(key: str, picks: Sequence[tuple[int, int]], *sources: Sequence[np.ndarray]) -> list[np.ndarray]:
    """One task: part `key` on the arrays picked (source, index) from its sources."""
    part = _PARTS.get(key)
    if part is None:
        raise DistributedError(f"part {key[:12]} was never installed on this worker")
    return program(part)(*(sources[s][k] for s, k in picks))


class PartsPlugin:
    """A Dask worker plugin carrying a plan's parts to every worker, present and future."""

    def __init__(self, parts: dict[str, Part]):
        self.parts = parts

    def setup(self, worker) -> None:
        _PARTS.update(self.parts)


# --- on the client ----------------------------------------------------------------------

_INSTALLED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def install(plan: Plan, client) -> None:
    """Send the plan's parts to the cluster's workers, once per client."""
    done = _INSTALLED.setdefault(client, set())
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

    def refresh(self) -> dict[str, dict[str, float]]:
        if time.monotonic() - self.at > POLL_S:
            info = self.client.scheduler_info(n_workers=-1)["workers"]
            self.workers = {a: dict(w.get("resources") or {}) for a, w in info.items()}
            self.at = time.monotonic()
        return self.workers

    def placement(self, plan: Plan) -> dict[str, str | None]:
        """unit -> preferred worker: the k-th unit of a machine on the k-th able worker."""
        workers = self.refresh()
        chosen: dict[str, str | None] = {}
        seen: collections.Counter = collections.Counter()
        for p in plan.parts:
            if p.unit in chosen:
                continue
            able = sorted(a for a, r in workers.items() if can_run(r, p.machine))
            chosen[p.unit] = able[seen[p.machine] % len(able)] if able else None
            seen[p.machine] += 1
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
        self.part_of_key: dict[str, str] = {}
        install(plan, client)

    def submit(self, inputs: Sequence[np.ndarray], index: int):
        plan = self.plan
        if len(inputs) != plan.arguments:
            raise TypeError(f"{plan.entry} takes {plan.arguments} inputs, got {len(inputs)}")
        placement = self.cluster.placement(plan)
        futures = []
        for n, (part, operands) in enumerate(zip(plan.parts, plan.operands)):
            sources: list = [list(inputs)]
            slots: dict[int, int] = {-1: 0}
            picks = []
            for src, k in operands:
                if src not in slots:
                    slots[src] = len(sources)
                    sources.append(futures[src])
                picks.append((slots[src], k))
            if not any(s == -1 for s, _ in operands):
                sources[0] = []
            key = f"{part.name}-{self.tag}-{index}"
            self.part_of_key[key] = part.name
            worker = placement[part.unit]
            futures.append(self.client.submit(
                _run_part, part.key, picks, *sources, key=key, pure=False,
                workers=[worker] if worker else None, allow_other_workers=True,
                resources=part.resources,
            ))
        return futures, list(inputs)

    def result(self, submitted) -> list[np.ndarray]:
        """The program's outputs for one submitted input, failing after a
        bounded time when some part has no worker able to run it."""
        from distributed import wait

        futures, inputs = submitted
        needed = [futures[p] for p in {p for p, _ in self.plan.results if p >= 0}]
        unplaceable_since: float | None = None
        while True:
            try:
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
        return [np.asarray(inputs[k]) if p < 0 else outputs[p][k] for p, k in self.plan.results]


def run(model, inputs: Sequence[np.ndarray], client, units=None, objective: str = "latency",
        placement_timeout: float = PLACEMENT_TIMEOUT_S) -> list[np.ndarray]:
    """The outputs of `model` (a path, a module, partitioned or not) on
    `inputs` (arrays in argument order), computed on `client`'s cluster."""
    plan = make_plan(model, units, objective)
    runner = _Runner(plan, client, placement_timeout)
    return runner.result(runner.submit(inputs, 0))


def stream(model, batches: Iterable[Sequence[np.ndarray]], client, units=None,
           objective: str = "throughput", window: int | None = None,
           placement_timeout: float = PLACEMENT_TIMEOUT_S) -> Iterator[list[np.ndarray]]:
    """Each batch's outputs, in order, with the stages of consecutive batches
    overlapping on their units; `batches` may be a lazy generator. At most
    `window` batches are in flight (default: two per part)."""
    plan = make_plan(model, units, objective)
    runner = _Runner(plan, client, placement_timeout)
    window = window or 2 * len(plan.parts)
    pending: collections.deque = collections.deque()
    try:
        for index, inputs in zip(itertools.count(), batches):
            pending.append(runner.submit(inputs, index))
            if len(pending) >= window:
                yield runner.result(pending.popleft())
        while pending:
            yield runner.result(pending.popleft())
    finally:
        for futures, _ in pending:
            client.cancel(futures)
