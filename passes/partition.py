"""partition: split a ptensor program into pipeline stages placed on units.

`partition{units="units.json"}` reads the units (name, machine, speed) and
the links between them (bandwidth, latency) from a JSON file
(docs/distributed.md), and cuts the entry function's op sequence into
consecutive stages, one per unit at most, the units taking stages in the
order they are declared (a unit may get none). The cut points come from a
dynamic program over split points, as Neurosurgeon chooses its split:

- a stage costs the per-part overhead, plus its ops' work (floating-point
  operations, `op_flops`) divided by its unit's speed, plus the bytes live at
  its first cut sent over the link from the previous stage's unit (the
  link's latency plus the bytes at its bandwidth);
- `objective=throughput` (the default, for `distributed.stream`) minimises
  the slowest stage, a pipeline's period, where a link's latency does not
  count (the unit works on other inputs meanwhile; ties: the total);
  `latency` minimises the total (`distributed.run` of one input).

Each stage becomes an ordinary ptensor function `@ENTRY_partK` that takes the
values live at its first cut and returns those live at its last (the final
part returns the program's results), so data flows strictly from one stage
to the next; weights and constants are copied into every part that reads
them. The entry function becomes the schedule: `units.run` per part and
`units.transfer` where consecutive parts sit on different units (see
dialects/units.py). `plan=PATH` writes the plan as text, `gantt=PATH` the
predicted pipeline of `batches` inputs as an SVG Gantt chart.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import FunctionType, ModuleOp, TensorType
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.passes import ModulePass

from pelemay_ir.dialects import ptensor, units
from pelemay_ir.ir import CompileError

OBJECTIVES = ("throughput", "latency")
DEFAULT_LINK = {"gbps": 1.0, "latency_ms": 0.2}
"""A link not listed in the units file: gigabit Ethernet."""
DEFAULT_OVERHEAD_MS = 2.0
"""Per part and call: Dask's own per-task cost on a small machine (bench/results/distributed.md)."""
FREE_OPS = (ptensor.WeightOp, ptensor.ConstantOp)
"""Ops that read no values: copied into each part that uses them, never sent."""


@dataclass(frozen=True)
class Unit:
    name: str
    machine: str
    gflops: float
    """Sustained speed on this program's ops, in 1e9 floating-point operations per second."""


@dataclass(frozen=True)
class Link:
    bytes_per_s: float
    latency_s: float

    def seconds(self, nbytes: int) -> float:
        return self.latency_s + nbytes / self.bytes_per_s


@dataclass(frozen=True)
class Cluster:
    """What the cost model knows: units in pipeline order, links, per-part overhead."""

    units: tuple[Unit, ...]
    links: dict[frozenset[str], Link]
    default_link: Link
    overhead_s: float

    def link(self, a: str, b: str) -> Link:
        return self.links.get(frozenset((a, b)), self.default_link)


def _link(spec: object, where: str) -> Link:
    if not isinstance(spec, dict):
        raise CompileError(f"{where}: a link is an object with gbps and latency_ms")
    try:
        gbps, latency = float(spec.get("gbps", DEFAULT_LINK["gbps"])), float(
            spec.get("latency_ms", DEFAULT_LINK["latency_ms"])
        )
    except (TypeError, ValueError):
        raise CompileError(f"{where}: gbps and latency_ms must be numbers") from None
    if not gbps > 0 or latency < 0:
        raise CompileError(f"{where}: gbps must be > 0 and latency_ms >= 0")
    return Link(gbps * 1e9 / 8, latency * 1e-3)


def cluster_from_dict(spec: object, where: str = "units", probe: Callable[[str], float] | None = None) -> Cluster:
    """Check and read a units description (the JSON format of docs/distributed.md).
    A speed given as "probe" is measured by `probe(machine)`, which
    `pelemay_ir.distributed` runs on a worker of the unit's machine; a pass
    compiles without running anything, so without `probe` it is an error."""
    from pelemay_ir import machines

    if not isinstance(spec, dict) or not isinstance(spec.get("units"), list) or not spec["units"]:
        raise CompileError(f"{where}: expected an object with a non-empty list 'units'")
    found: list[Unit] = []
    for k, u in enumerate(spec["units"]):
        if not isinstance(u, dict) or not isinstance(u.get("name"), str):
            raise CompileError(f"{where}: unit #{k} needs a string 'name'")
        name = u["name"]
        machine = u.get("machine", "host")
        if machine not in machines.MACHINES:
            raise CompileError(
                f"{where}: unit '{name}' has unknown machine '{machine}'; valid machines: "
                + ", ".join(machines.MACHINES)
            )
        speed = u.get("gflops")
        if speed == "probe" and probe is None:
            raise CompileError(
                f"{where}: unit '{name}' asks for the speed probe, which runs on the cluster "
                "(pelemay-run --workers/--scheduler, pelemay_ir.distributed); declare its 'gflops' here"
            )
        if speed == "probe":
            speed = probe(machine)  # pyright: ignore[reportOptionalCall]
        if isinstance(speed, bool) or not isinstance(speed, (int, float)) or not speed > 0:
            raise CompileError(f"{where}: unit '{name}' needs 'gflops', a number > 0 or \"probe\"")
        if any(f.name == name for f in found):
            raise CompileError(f"{where}: unit '{name}' is declared twice")
        found.append(Unit(name, machine, float(speed)))
    names = {u.name for u in found}
    links: dict[frozenset[str], Link] = {}
    for k, entry in enumerate(spec.get("links", [])):
        between = entry.get("between") if isinstance(entry, dict) else None
        if not (isinstance(between, list) and len(between) == 2 and set(between) <= names):
            raise CompileError(f"{where}: link #{k} needs 'between': two declared unit names")
        links[frozenset(between)] = _link(entry, f"{where}: link #{k}")
    overhead = spec.get("overhead_ms", DEFAULT_OVERHEAD_MS)
    if isinstance(overhead, bool) or not isinstance(overhead, (int, float)) or overhead < 0:
        raise CompileError(f"{where}: overhead_ms must be a number >= 0")
    return Cluster(tuple(found), links, _link(spec.get("link", DEFAULT_LINK), f"{where}: link"),
                   overhead * 1e-3)


def read_units(path: str) -> object:
    """A units file's JSON, unchecked (`cluster_from_dict` checks it)."""
    try:
        text = Path(path).read_text()
    except OSError as e:
        raise CompileError(f"partition: cannot read units file '{path}': {e.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise CompileError(e.msg, f"{path}:{e.lineno}:{e.colno}") from None


def read_cluster(path: str, probe: Callable[[str], float] | None = None) -> Cluster:
    return cluster_from_dict(read_units(path), path, probe)


# --- the cost model -------------------------------------------------------------------


def _numel(t) -> int:
    return math.prod(t.get_shape()) if isinstance(t, TensorType) else 0


def value_bytes(value: SSAValue) -> int:
    from pelemay_ir import dtypes

    t = value.type
    return _numel(t) * dtypes.numpy_dtype(t.element_type).itemsize


def op_flops(op: Operation) -> float:
    """The work of one op: multiply-adds count two; other ops one per element touched."""
    out = _numel(op.results[0].type) if op.results else 0
    if isinstance(op, FREE_OPS + (ptensor.ReshapeOp,)):
        return 0.0
    if isinstance(op, ptensor.MatmulOp):
        return 2.0 * out * op.operands[0].type.get_shape()[-1]
    if isinstance(op, ptensor.Conv2DOp):
        kh, kw, cin = op.filter.type.get_shape()[:3]
        return 2.0 * out * kh * kw * cin
    if isinstance(op, ptensor.Pool2DOp):
        return float(out * math.prod(op.kernel.get_values()))
    return float(out + sum(_numel(v.type) for v in op.operands))


@dataclass(frozen=True)
class Stage:
    unit: Unit
    start: int
    end: int
    """Compute ops [start, end) of the function."""
    flops: float
    compute_s: float
    """Predicted: the per-part overhead plus the ops' work at the unit's speed."""
    in_bytes: int
    transfer_s: float
    """Predicted: sending the values live at `start` from the previous stage's unit (0 when the same unit or the first stage)."""
    latency_s: float = 0.0
    """The link's latency, part of `transfer_s`."""

    @property
    def seconds(self) -> float:
        """The stage's share of one input's latency."""
        return self.compute_s + self.transfer_s

    @property
    def period_s(self) -> float:
        """The stage's share of a pipeline's period: the link's latency is
        not in it, for the unit works on other inputs meanwhile."""
        return self.compute_s + self.transfer_s - self.latency_s


def split(flops: list[float], cut_bytes: list[int], cluster: Cluster, objective: str) -> list[Stage]:
    """The best stages: flops[i] is op i's work, cut_bytes[i] the bytes live
    before op i. Exact for the objective's primary measure (the slowest stage,
    or the total); O(ops^2 units^2)."""
    n, m = len(flops), len(cluster.units)
    prefix = [0.0]
    for f in flops:
        prefix.append(prefix[-1] + f)

    def stage(q: int, i: int, j: int, p: int | None) -> Stage:
        u = cluster.units[q]
        work = prefix[j] - prefix[i]
        transfer = latency = 0.0
        if p is not None and cluster.units[p].name != u.name:
            link = cluster.link(cluster.units[p].name, u.name)
            transfer, latency = link.seconds(cut_bytes[i]), link.latency_s
        return Stage(u, i, j, work, cluster.overhead_s + work / (u.gflops * 1e9),
                     cut_bytes[i] if p is not None else 0, transfer, latency)

    def score(prev: tuple[float, float], s: Stage) -> tuple[float, float]:
        if objective == "latency":
            return (prev[0] + s.seconds, 0.0)
        return (max(prev[0], s.period_s), prev[1] + s.seconds)

    # best[(i, p)]: the best stages covering ops [0, i) whose last stage is on unit p.
    best: dict[tuple[int, int], tuple[tuple[float, float], list[Stage]]] = {}
    for j in range(1, n + 1):
        for q in range(m):
            s = stage(q, 0, j, None)
            candidates = [(score((0.0, 0.0), s), [s])]
            for i in range(1, j):
                for p in range(q):
                    if (i, p) in best:
                        value, stages = best[(i, p)]
                        s = stage(q, i, j, p)
                        candidates.append((score(value, s), [*stages, s]))
            best[(j, q)] = min(candidates, key=lambda c: c[0])
    return min((best[(n, q)] for q in range(m)), key=lambda c: c[0])[1]


# --- the rewrite ------------------------------------------------------------------------


def _live_at_cuts(ops: list[Operation], function: func.FuncOp) -> list[list[SSAValue]]:
    """For each cut k (before ops[k]; k == len(ops) is the end), the values
    defined before it and used at or after it, in definition order."""
    index = {op: k for k, op in enumerate(ops)}
    n = len(ops)
    returned = function.body.block.last_op
    last_use: dict[SSAValue, int] = {}
    for k, op in enumerate([*ops, returned]):
        for v in op.operands:
            if v.owner in index or v in function.args:
                last_use[v] = max(last_use.get(v, -1), k)
    defined = [(v, -1) for v in function.args] + [(r, k) for k, op in enumerate(ops) for r in op.results]
    return [[v for v, at in defined if at < cut <= last_use.get(v, -1)] for cut in range(n + 1)]


def _part(name: str, ops: list[Operation], inputs: list[SSAValue], outputs: list[SSAValue],
          free: dict[SSAValue, Operation]) -> func.FuncOp:
    """A function computing `outputs` from `inputs` with clones of `ops` (and of the free ops they read)."""
    block = Block(arg_types=[v.type for v in inputs])
    mapping: dict[SSAValue, SSAValue] = dict(zip(inputs, block.args))

    def use(v: SSAValue) -> SSAValue:
        if v not in mapping and v in free:
            clone = free[v].clone()
            block.add_op(clone)
            mapping[v] = clone.results[0]
        return mapping[v]

    for op in ops:
        for v in op.operands:
            use(v)
        clone = op.clone(value_mapper=mapping)
        block.add_op(clone)
        mapping.update(zip(op.results, clone.results))
    results = [use(v) for v in outputs]
    block.add_op(func.ReturnOp(*results))
    ftype = FunctionType.from_lists([v.type for v in inputs], [v.type for v in outputs])
    return func.FuncOp(name, ftype, Region(block), visibility="private")


def entry_function(module: ModuleOp) -> func.FuncOp:
    functions = [f for f in module.ops if isinstance(f, func.FuncOp) and f.body.blocks]
    if len(functions) != 1:
        raise CompileError(f"partition: expects one function with a body, found {len(functions)}")
    function = functions[0]
    if any(isinstance(op, units.RunOp) for op in function.walk()):
        raise CompileError(f"partition: @{function.sym_name.data} is already partitioned")
    return function


def partition(module: ModuleOp, cluster: Cluster, objective: str = "throughput") -> list[Stage]:
    """Rewrite `module` in place into parts and a schedule; the stages chosen."""
    if objective not in OBJECTIVES:
        raise CompileError(f"partition: unknown objective '{objective}'; valid objectives: " + ", ".join(OBJECTIVES))
    function = entry_function(module)
    body = list(function.body.block.ops)[:-1]
    free = {op.results[0]: op for op in body if isinstance(op, FREE_OPS)}
    ops = [op for op in body if not isinstance(op, FREE_OPS)]
    if not ops:
        raise CompileError(f"partition: @{function.sym_name.data} computes nothing to partition")
    live = _live_at_cuts(ops, function)
    stages = split([op_flops(op) for op in ops], [sum(map(value_bytes, vs)) for vs in live], cluster, objective)

    entry = function.sym_name.data
    returned = list(function.body.block.last_op.operands)
    schedule = Block(arg_types=[a.type for a in function.args])
    mapping = dict(zip(function.args, schedule.args))
    parts: list[func.FuncOp] = []
    previous: Stage | None = None
    for k, s in enumerate(stages):
        inputs = live[s.start]
        outputs = returned if k == len(stages) - 1 else live[s.end]
        name = f"{entry}_part{k}"
        parts.append(_part(name, ops[s.start:s.end], inputs, outputs, free))
        args = [mapping[v] for v in inputs]
        if previous is not None and previous.unit.name != s.unit.name and args:
            moved = units.TransferOp(args, previous.unit.name, s.unit.name, s.in_bytes, s.transfer_s)
            schedule.add_op(moved)
            args = list(moved.res)
        run = units.RunOp(name, s.unit.name, args, [v.type for v in outputs], s.compute_s)
        schedule.add_op(run)
        mapping.update(zip(outputs, run.res))
        previous = s
    schedule.add_op(func.ReturnOp(*[mapping[v] for v in returned]))
    new_entry = func.FuncOp(entry, function.function_type, Region(schedule))
    new_entry.attributes.update(function.attributes)
    new_entry.arg_attrs = function.arg_attrs

    module.body.block.insert_ops_before(
        [units.UnitOp(u.name, u.machine, u.gflops) for u in cluster.units], function
    )
    module.body.block.insert_ops_before([*parts, new_entry], function)
    function.detach()
    function.erase()
    return stages


# --- reports --------------------------------------------------------------------------


def plan_text(entry: str, stages: list[Stage], objective: str) -> str:
    """The plan as a table, with the pipeline's predicted period and latency."""
    lines = [f"partition of @{entry} ({objective}): {len(stages)} parts",
             f"{'part':<8} {'unit':<10} {'machine':<10} {'ops':>9} {'MFLOP':>10} {'in KiB':>9} "
             f"{'transfer ms':>12} {'compute ms':>11}"]
    for k, s in enumerate(stages):
        lines.append(
            f"{'part' + str(k):<8} {s.unit.name:<10} {s.unit.machine:<10} {f'{s.start}..{s.end - 1}':>9} "
            f"{s.flops / 1e6:>10.2f} {s.in_bytes / 1024:>9.1f} {s.transfer_s * 1e3:>12.3f} {s.compute_s * 1e3:>11.3f}"
        )
    period = max(s.period_s for s in stages)
    latency = sum(s.seconds for s in stages)
    lines.append(f"predicted: latency {latency * 1e3:.3f} ms, pipeline period {period * 1e3:.3f} ms "
                 f"({1 / period:.1f} inputs/s)")
    return "\n".join(lines) + "\n"


def predicted_bars(stages: list[Stage], batches: int) -> list[tuple[str, float, float, str, str]]:
    """(row, start, end, label, kind) bars of `batches` inputs through the
    pipeline: stage k of input b starts when its unit is free and stage k-1 of
    input b has arrived."""
    bars = []
    unit_free: dict[str, float] = {}
    for b in range(batches):
        ready = 0.0
        for k, s in enumerate(stages):
            start = max(ready, unit_free.get(s.unit.name, 0.0))
            if s.transfer_s:
                bars.append((s.unit.name, start, start + s.transfer_s, f"b{b}", "transfer"))
            end = start + s.seconds
            bars.append((s.unit.name, start + s.transfer_s, end, f"p{k} b{b}", f"part{k}"))
            unit_free[s.unit.name] = end
            ready = end
    return bars


@dataclass(frozen=True)
class PartitionPass(ModulePass):
    """Cut the program into pipeline stages on the units of a JSON file."""

    name = "partition"

    units: str = ""
    objective: str = "throughput"
    plan: str | None = None
    gantt: str | None = None
    batches: int = 4

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if not self.units:
            raise CompileError('partition: the option units="FILE.json" is required')
        if self.batches < 1:
            raise CompileError(f"partition: batches must be >= 1, got {self.batches}")
        cluster = read_cluster(self.units)
        entry = entry_function(op).sym_name.data
        stages = partition(op, cluster, self.objective)
        from pelemay_ir import gantt
        from pelemay_ir.files import atomic_write

        if self.plan:
            atomic_write(Path(self.plan), plan_text(entry, stages, self.objective))
        if self.gantt:
            rows = [u.name for u in cluster.units]
            svg = gantt.svg(rows, predicted_bars(stages, self.batches),
                            f"@{entry}: {len(stages)} parts, {self.batches} inputs (predicted)")
            atomic_write(Path(self.gantt), svg)

