"""What `pelemay-opt` offers: passes, named pipelines and output targets.

One list, so the driver, the `xdsl.universe` plugin and the docs agree. A pass,
pipeline or target appears here only once it works end to end.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
from collections.abc import Callable
from io import StringIO
from pathlib import Path

from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.printer import Printer
from xdsl.utils.arg_spec import ArgSpec, parse_pipeline
from xdsl.utils.exceptions import ArgSpecParseError

from pelemay_ir import pipelines as pipelines_module
from pelemay_ir.ir import CompileError


def own_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    """Pelemay IR's passes, imported only when used."""

    def inline_calls():
        from pelemay_ir.passes.inline_calls import InlineCallsPass

        return InlineCallsPass

    def bufferize():
        from pelemay_ir.passes.bufferize import BufferizePass

        return BufferizePass

    def plan_memory():
        from pelemay_ir.passes.plan_memory import PlanMemoryPass

        return PlanMemoryPass

    def verify_memory_plan():
        from pelemay_ir.passes.verify_memory_plan import VerifyMemoryPlanPass

        return VerifyMemoryPlanPass

    def convert_pbuf_to_loops():
        from pelemay_ir.passes.convert_pbuf_to_loops import ConvertPbufToLoopsPass

        return ConvertPbufToLoopsPass

    def verify_arm_simd():
        from pelemay_ir.passes.verify_arm_simd import VerifyArmSimdPass

        return VerifyArmSimdPass

    def pointwise_to_matmul():
        from pelemay_ir.passes.pointwise_to_matmul import PointwiseToMatmulPass

        return PointwiseToMatmulPass

    def pack_operands():
        from pelemay_ir.passes.pack_operands import PackOperandsPass

        return PackOperandsPass

    def vectorize():
        from pelemay_ir.passes.vectorize import VectorizePass

        return VectorizePass

    def convert_vector_to_arm_simd():
        from pelemay_ir.passes.convert_vector_to_arm_simd import ConvertVectorToArmSimd

        return ConvertVectorToArmSimd

    def parallelize():
        from pelemay_ir.passes.parallelize import ParallelizePass

        return ParallelizePass

    def outline_parallel():
        from pelemay_ir.passes.outline_parallel import OutlineParallelPass

        return OutlineParallelPass

    def outline_gpu_kernels():
        from pelemay_ir.passes.outline_gpu_kernels import OutlineGpuKernelsPass

        return OutlineGpuKernelsPass

    def legalize():
        from pelemay_ir.passes.legalize import LegalizePass

        return LegalizePass

    def partition():
        from pelemay_ir.passes.partition import PartitionPass

        return PartitionPass

    return {
        "verify-arm-simd": verify_arm_simd,
        "pointwise-to-matmul": pointwise_to_matmul,
        "inline-calls": inline_calls,
        "bufferize": bufferize,
        "pack-operands": pack_operands,
        "plan-memory": plan_memory,
        "verify-memory-plan": verify_memory_plan,
        "vectorize": vectorize,
        "convert-pbuf-to-loops": convert_pbuf_to_loops,
        "convert-vector-to-arm-simd": convert_vector_to_arm_simd,
        "parallelize": parallelize,
        "outline-parallel": outline_parallel,
        "outline-gpu-kernels": outline_gpu_kernels,
        "legalize": legalize,
        "partition": partition,
    }


def passes() -> dict[str, Callable[[], type[ModulePass]]]:
    """xDSL's passes plus ours (ours never shadow a name of xDSL's)."""
    from xdsl.transforms import get_all_passes

    available = dict(get_all_passes())
    for name, factory in own_passes().items():
        assert name not in available, f"pass name '{name}' clashes with xDSL's"
        available[name] = factory
    return available


PIPELINES: dict[str, Callable[[ArgSpec], str]] = pipelines_module.PIPELINES
"""Named pipelines: name -> function from the spec's options to a pass list."""


def pipelines() -> list[str]:
    return list(PIPELINES)


def expand_pipeline(spec: ArgSpec) -> str | None:
    build = PIPELINES.get(spec.name)
    return None if build is None else build(spec)


def make_pipeline(spec: str, available: dict[str, Callable[[], type[ModulePass]]] | None = None) -> list[ModulePass]:
    """Parse a `-p` pass list (named pipelines expanded); an unknown pass or a
    bad option is a CompileError that names it and the valid choices."""
    available = passes() if available is None else available
    try:
        specs = list(parse_pipeline(spec))
    except ArgSpecParseError as e:
        raise CompileError(f"cannot parse pass pipeline '{spec}': {e}") from None
    result: list[ModulePass] = []
    for s in specs:
        expanded = expand_pipeline(s)
        if expanded is not None:
            result.extend(make_pipeline(expanded, available))
            continue
        if s.name not in available:
            close = nearest_pass(s.name, available)
            hint = f" (did you mean '{close}'?)" if close else ""
            raise CompileError(
                f"unknown pass '{s.name}'{hint}; `pelemay-opt --list-passes` lists them all"
            )
        cls = available[s.name]()
        try:
            result.append(cls.from_pass_spec(s))
        except (ValueError, TypeError) as e:
            fields = [f.name.replace("_", "-") for f in dataclasses.fields(cls) if f.init]
            raise CompileError(
                f"bad options for pass '{s.name}': {e}; valid options: "
                + (", ".join(fields) if fields else "none")
            ) from None
    return result


def nearest_pass(name: str, available: dict[str, Callable[[], type[ModulePass]]]) -> str | None:
    """The pass or pipeline name closest to a misspelt one: ours first, since
    a user of pelemay-opt most likely meant one of them, else xDSL's."""
    ours = [*own_passes(), *PIPELINES]
    for names in (ours, [n for n in available if n not in ours]):
        close = difflib.get_close_matches(name, names, n=1)
        if close:
            return close[0]
    return None


def _summary(doc: str | None) -> str:
    """The first line of a docstring (the one-line description)."""
    lines = (doc or "").strip().splitlines()
    return lines[0].strip() if lines else ""


def pass_listing() -> str:
    """`--list-passes`: our passes and pipelines, each with the first line of
    its docstring, then xDSL's pass names."""
    ours = {name: _summary(factory().__doc__) for name, factory in sorted(own_passes().items())}
    pipelines = {name: _summary(build.__doc__) for name, build in sorted(PIPELINES.items())}
    width = max(map(len, [*ours, *pipelines])) + 2
    lines = ["Pelemay IR passes:"]
    lines += [f"  {name:<{width}}{doc}" for name, doc in ours.items()]
    lines.append("Pelemay IR pipelines:")
    lines += [f"  {name:<{width}}{doc}" for name, doc in pipelines.items()]
    lines.append("xDSL passes:")
    lines += [f"  {name}" for name in sorted(set(passes()) - set(ours))]
    return "\n".join(lines) + "\n"


def print_mlir(module: ModuleOp, args: argparse.Namespace) -> str:
    out = StringIO()
    Printer(
        stream=out,
        print_generic_format=args.print_op_generic,
        print_debuginfo=args.print_debuginfo,
    ).print_op(module)
    out.write("\n")
    return out.getvalue()


def _c_target():
    from pelemay_ir.targets import c

    return c


def _print_llvm(module: ModuleOp, args: argparse.Namespace, spec: ArgSpec) -> str:
    from pelemay_ir.targets import llvm

    return llvm.emit_llvm(module, printer_machine(module, spec))


def _print_cuda(module: ModuleOp, args: argparse.Namespace, spec: ArgSpec) -> str:
    from pelemay_ir.targets import cuda

    if spec.parameters:
        raise CompileError(f"unknown option '{sorted(spec.parameters)[0]}' of the cuda target; it takes none "
                           "(the architecture is pelemay-to-cuda's option 'arch')")
    return cuda.stdout_text(module)


def printer_machine(module: ModuleOp, spec: ArgSpec) -> str:
    """`-t c{target=T}`, `-t llvm{target=T}`: the printers' one option,
    checked; without it, the machine the module was lowered for."""
    from pelemay_ir import machines

    unknown = sorted(set(spec.parameters) - {"target"})
    if unknown:
        raise CompileError(f"unknown option '{unknown[0]}' of the {spec.name} target; valid options: target")
    values = spec.parameters.get("target")
    if values is not None and (len(values) != 1 or not isinstance(values[0], str)):
        raise CompileError(
            f"the {spec.name} target's option 'target' takes one machine name: " + ", ".join(machines.MACHINES)
        )
    return machines.printed_machine(module, values[0] if values else None, spec.name)


TARGETS: dict[str, Callable[[ModuleOp, argparse.Namespace, ArgSpec], str]] = {
    "mlir": lambda module, args, spec: print_mlir(module, args),
    "c": lambda module, args, spec: _c_target().stdout_text(module, printer_machine(module, spec)),
    "llvm": _print_llvm,
    "cuda": _print_cuda,
}
"""Printers of `-t`. Only pelemay-opt has them: xDSL owns the name `llvm`."""


def targets() -> list[str]:
    return list(TARGETS)


def emit(spec: ArgSpec, module: ModuleOp, args: argparse.Namespace) -> str:
    return TARGETS[spec.name](module, args, spec)


def write_output(spec: ArgSpec, path: Path, text: str) -> None:
    """`-o`: the C target writes NAME.c and NAME.h; the others one file."""
    if spec.name == "c":
        _c_target().write(path, text)
        return
    if spec.name == "cuda":
        from pelemay_ir.targets import cuda

        cuda.write(path, text)
        return
    from pelemay_ir.files import atomic_write

    atomic_write(path, text)
