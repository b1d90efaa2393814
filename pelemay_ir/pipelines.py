"""Named pipelines: what `-p 'pelemay-to-c{target=aarch64}'` expands to.

Each pipeline is a function from its options (an xDSL ArgSpec) to a pass-list
string, so `pelemay-opt`, `pelemay_ir.compile` and the docs run the same
passes. Options:

- `target=T`: the machine (docs/design.md): host, aarch64, aarch64-dotprod,
  armv7, armv7-a8, riscv64, cortex-m4;
- `vectorize=true|false`: run `vectorize{target=T}` (and, on the NEON
  machines, `convert-vector-to-arm-simd{target=T}`; and
  `pointwise-to-matmul{target=T}` first, `pack-operands{target=T}` before
  plan-memory). The default is true on
  machines with a vector unit (host, the ARM application cores) and false on
  the others (riscv64 rv64gc, cortex-m4), where true is an error;
- `weights=embedded|external` (convert-pbuf-to-loops);
- `pack-weights=true|false` (default true; pack-operands' `weights`): a
  matmul's B that is a weight is packed at compile time into the kernel's
  layout, in a weights file of the program's own (docs/weights.md);
- `threads=N` (default 1): N > 1 ends the pipeline with
  `parallelize{threads=N}`, whose marked loops the printers run on N
  threads (pthreads); an error on a machine with no operating system;
- `min-work=W`: parallelize's `min-work` (a function whose parallel loops do
  less work than W stays sequential; 0 runs every provable loop on threads);
- `algorithm`, `alignment`, `io-in-arena`, `reorder`, `report`, `table`,
  `plot` (plan-memory).

Every pipeline starts with `inline-calls`: calls between the program's
functions have no buffer form, so each entry function becomes one body.

No canonicalize runs after the lowering: xDSL's canonicalize inlines loops
of one trip, and with them the location and `pelemay.source` of the nest
they carry; the lowering already creates each constant once per function.
"""

from __future__ import annotations

from collections.abc import Callable

from xdsl.utils.arg_spec import ArgSpec, ParameterListType

from pelemay_ir import machines as machine_table
from pelemay_ir.ir import CompileError

MACHINES = tuple(machine_table.MACHINES)
WEIGHTS_MODES = ("embedded", "external")
PLAN_OPTIONS = ("algorithm", "alignment", "io_in_arena", "reorder", "report", "table", "plot")


def option_values(pipeline: str, parameters: dict[str, ParameterListType], valid: tuple[str, ...]) -> dict[str, object]:
    """Option name (with `_`) -> its one value; an unknown option, or one given
    several values, is an error naming the valid ones."""
    values: dict[str, object] = {}
    for raw, value in parameters.items():
        key = raw.replace("-", "_")
        if key not in valid:
            names = ", ".join(v.replace("_", "-") for v in valid)
            raise CompileError(f"{pipeline}: unknown option '{raw}'; valid options: {names}")
        if len(value) != 1:
            raise CompileError(f"{pipeline}: option '{raw}' takes one value, got {len(value)}")
        values[key] = value[0]
    return values


class PipelineOptions:
    """The options of one pipeline spec, checked, with the valid choices in every error."""

    def __init__(self, pipeline: str, parameters: dict[str, ParameterListType]):
        self.pipeline = pipeline
        self.values = option_values(pipeline, parameters,
                                    ("target", "weights", "pack_weights", "vectorize", "threads", "min_work",
                                     *PLAN_OPTIONS))
        self.target = self._choice("target", MACHINES, "host", "machines")
        self.weights = self._choice("weights", WEIGHTS_MODES, "embedded", "modes")
        vectors = machine_table.machine(self.target).vectors
        self.vectorize = self._flag("vectorize", vectors is not None)
        self.pack_weights = self._flag("pack_weights", True)
        self.neon = self.vectorize and vectors is not None and vectors.isa == "neon"
        self.threads = self._threads()
        self.min_work = self._min_work()

    def _integer(self, key: str, default: int, lowest: int, highest: int | None, what: str) -> int:
        """An integer option in [lowest, highest], given as a number or its digits."""
        value = self.values.get(key, default)
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < lowest or (highest is not None and value > highest):
            raise CompileError(f"{self.pipeline}: option '{key.replace('_', '-')}' is {what}, got '{value}'")
        return value

    def _threads(self) -> int:
        from pelemay_ir.passes.parallelize import MAX_THREADS

        value = self._integer("threads", 1, 1, MAX_THREADS, f"a number of threads from 1 to {MAX_THREADS}")
        if value > 1 and not machine_table.machine(self.target).hosted:
            raise CompileError(
                f"{self.pipeline}: threads={value} needs an operating system with threads; "
                f"target '{self.target}' is bare metal (use threads=1)"
            )
        return value

    def _min_work(self) -> tuple[int, ...]:
        """() for parallelize's default, else the one value given."""
        if "min_work" not in self.values:
            return ()
        return (self._integer("min_work", 0, 0, None, "a count of statements, 0 or more"),)

    def _flag(self, key: str, default: bool) -> bool:
        value = self.values.get(key, default)
        if isinstance(value, str) and value in ("true", "false"):
            value = value == "true"
        if not isinstance(value, bool):
            raise CompileError(f"{self.pipeline}: option '{key}' is true or false, got '{value}'")
        return value

    def _choice(self, key: str, valid: tuple[str, ...], default: str, what: str) -> str:
        value = self.values.get(key, default)
        if not isinstance(value, str) or value not in valid:
            raise CompileError(
                f"{self.pipeline}: unknown {key} '{value}'; valid {what}: " + ", ".join(valid)
            )
        return value

    def plan_memory(self) -> ArgSpec:
        params = {
            k.replace("_", "-"): (self.values[k],)  # pyright: ignore[reportArgumentType]
            for k in PLAN_OPTIONS
            if k in self.values
        }
        return ArgSpec("plan-memory", {"target": (self.target,), **params})


def _to_loops(pipeline: str, parameters: dict[str, ParameterListType]) -> str:
    options = PipelineOptions(pipeline, parameters)
    passes = [
        ArgSpec("inline-calls", {}),
        *([ArgSpec("pointwise-to-matmul", {"target": (options.target,)})] if options.vectorize else []),
        ArgSpec("canonicalize", {}),
        ArgSpec("cse", {}),
        ArgSpec("bufferize", {}),
        *([ArgSpec("pack-operands", {"target": (options.target,), **({} if options.pack_weights else {"weights": (False,)})})]
          if options.vectorize else []),
        options.plan_memory(),
        ArgSpec("verify-memory-plan", {}),
        *([ArgSpec("vectorize", {"target": (options.target,)})] if options.vectorize else []),
        ArgSpec("convert-pbuf-to-loops", {"weights": (options.weights,)}),
        *([ArgSpec("convert-vector-to-arm-simd", {"target": (options.target,)})] if options.neon else []),
        *([ArgSpec("parallelize", {"threads": (options.threads,), **({"min-work": options.min_work} if options.min_work else {})})]
          if options.threads > 1 else []),
    ]
    return ",".join(str(p) for p in passes)


def pelemay_to_loops(spec: ArgSpec) -> str:
    """ptensor -> loops (func/scf/memref/arith/math) for machine `target`."""
    return _to_loops(spec.name, spec.parameters)


def pelemay_to_c(spec: ArgSpec) -> str:
    """ptensor -> the loops the C printer (`-t c`) prints, for machine `target`.

    The same passes as pelemay-to-loops, under the name of what follows it."""
    return _to_loops(spec.name, spec.parameters)


CUDA_OPTIONS = ("arch", "block_size", *PLAN_OPTIONS)


def pelemay_to_cuda(spec: ArgSpec) -> str:
    """ptensor -> host code launching GPU kernels (what `-t cuda` prints), for architecture `arch`.

    Pointwise convs as matmuls (the tiled kernel's), then the buffer
    pipeline of a machine without vectors, planned for the `cuda`
    unit, weights always external (one device buffer the caller uploads
    once), then `outline-gpu-kernels{arch block-size}`."""
    values = option_values(spec.name, spec.parameters, CUDA_OPTIONS)
    machine_table.DEVICES["cuda"].architecture(values.get("arch"))  # pyright: ignore[reportArgumentType]
    plan = {k.replace("_", "-"): (v,) for k, v in values.items() if k in PLAN_OPTIONS}
    kernels = {k.replace("_", "-"): (v,) for k, v in values.items() if k not in PLAN_OPTIONS}
    passes = [
        ArgSpec("inline-calls", {}),
        ArgSpec("canonicalize", {}),
        ArgSpec("cse", {}),
        ArgSpec("pointwise-to-matmul", {"target": ("cuda",)}),
        ArgSpec("bufferize", {}),
        ArgSpec("plan-memory", {"target": ("cuda",), **plan}),
        ArgSpec("verify-memory-plan", {}),
        ArgSpec("convert-pbuf-to-loops", {"weights": ("external",)}),
        ArgSpec("outline-gpu-kernels", kernels),
    ]
    return ",".join(str(p) for p in passes)


PIPELINES: dict[str, Callable[[ArgSpec], str]] = {
    "pelemay-to-loops": pelemay_to_loops,
    "pelemay-to-c": pelemay_to_c,
    "pelemay-to-cuda": pelemay_to_cuda,
}
"""Pipeline name -> pass-list builder (registered in pelemay_ir.registry)."""


def pass_list(name: str, **options: str | int | bool) -> str:
    """The passes of pipeline `name` with Python keyword options
    (`pass_list("pelemay-to-c", target="host", io_in_arena=True)`)."""
    if name not in PIPELINES:
        raise CompileError(f"unknown pipeline '{name}'; valid pipelines: " + ", ".join(PIPELINES))
    params: dict[str, ParameterListType] = {k.replace("_", "-"): (v,) for k, v in options.items()}
    return PIPELINES[name](ArgSpec(name, params))
