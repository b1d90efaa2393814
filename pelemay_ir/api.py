"""`pelemay_ir.compile`: a ptensor program in, a callable on NumPy arrays out.

The Python face of the `pelemay-to-c` pipeline: parse (or take) a module, run
the pipeline, print C, build it with the host compiler and load it with
ctypes. The callable takes the inputs in argument order and returns the
outputs as a list, like `pelemay_ir.reference.evaluate`, so the two can be
compared directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import DiagnosticException

from pelemay_ir import ir, pipelines
from pelemay_ir import weights as weights_file
from pelemay_ir.ir import CompileError

EMITS = ("c", "llvm")


def _passes(pass_list: str) -> list[ModulePass]:
    from pelemay_ir import registry

    return registry.make_pipeline(pass_list)

def _own_copy(module_or_path: ModuleOp | str | Path, ctx: Context) -> ModuleOp:
    """The module to compile: parsed from a path, or a copy of the caller's
    module (which must stay as it was) that keeps its weights."""
    if isinstance(module_or_path, (str, Path)):
        return ir.load(module_or_path, ctx)
    if not isinstance(module_or_path, ModuleOp):
        raise TypeError(
            "compile expects a ModuleOp or the path of a .mlir file, got "
            f"{type(module_or_path).__name__}"
        )
    ir.verify(module_or_path)
    copy = module_or_path.clone()
    weights_file.inherit_origin(copy, module_or_path)
    if weights_file.WEIGHTS_ATTR in module_or_path.attributes:
        try:
            weights_file.attach(copy, weights_file.blob_of(module_or_path))
        except weights_file.WeightsError:
            pass  # reported where a weight is read, with its position
    return copy


def lower(
    module_or_path: ModuleOp | str | Path,
    target: str = "host",
    weights: str = "embedded",
    vectorize: bool | None = None,
    threads: int = 1,
    **plan_options: str | int | bool,
) -> ModuleOp:
    """The loop-level module `pelemay-to-c` makes of a program (what `-t c` prints).
    `vectorize` None takes the machine's default (see pelemay_ir.pipelines);
    `threads` > 1 marks the loops that run on that many threads (parallelize)."""
    if vectorize is not None:
        plan_options = {**plan_options, "vectorize": vectorize}
    if threads != 1:
        plan_options = {**plan_options, "threads": threads}
    return _run_pipeline(module_or_path, "pelemay-to-c", target=target, weights=weights, **plan_options)


def lower_to_cuda(module_or_path: ModuleOp | str | Path, arch: str | None = None,
                  **plan_options: str | int | bool) -> ModuleOp:
    """The module `pelemay-to-cuda` makes of a program (what `-t cuda` prints)."""
    if arch is not None:
        plan_options = {**plan_options, "arch": arch}
    return _run_pipeline(module_or_path, "pelemay-to-cuda", **plan_options)


def _run_pipeline(module_or_path: ModuleOp | str | Path, name: str, **options: str | int | bool) -> ModuleOp:
    ctx = ir.make_context()
    module = _own_copy(module_or_path, ctx)
    pass_list = pipelines.pass_list(name, **options)
    for p in _passes(pass_list):
        try:
            p.apply(ctx, module)
        except CompileError:
            raise
        except DiagnosticException as e:
            raise CompileError(f"pass '{p.name}' failed: {e}") from None
        ir.verify(module)
    return module


def compile(
    module_or_path: ModuleOp | str | Path,
    target: str = "host",
    emit: str = "c",
    weights: str = "embedded",
    cflags: Sequence[str] = (),
    cc: str = "gcc",
    vectorize: bool | None = None,
    threads: int = 1,
    arch: str | None = None,
    emulate: bool = False,
    **plan_options: str | int | bool,
):
    """Compile a ptensor program into a callable on NumPy arrays.

    `target` names the machine (see pelemay_ir.pipelines.MACHINES), `emit` the
    printer, `weights` where the weights live (`embedded` in the C, or
    `external`: read from the module's weights file and passed at each call).
    `threads` > 1 runs the loops `parallelize` proves independent on that
    many threads (the build links with -pthread).
    Extra keywords are plan-memory options (`algorithm`, `io_in_arena`, ...).
    Returns a callable: call it with the inputs in argument order; it returns
    the list of outputs. On the host it is a `cbuild.CompiledProgram` (ctypes);
    for another machine a `cross.EmulatedProgram`, which runs the machine's
    build under qemu-user, or for cortex-m4 on qemu-system-arm's Cortex-M4F
    board model (a model that does not fit the STM32F407VG is refused).
    Both check each call's inputs alike (`cbuild.check_inputs`): TypeError
    for the wrong count, a non-array or the wrong dtype, ValueError for the
    wrong shape.

    `target="cuda"` compiles for the GPU unit (`pelemay-to-cuda{arch}`, weights
    always external, nvcc for architecture `arch`); the callable copies inputs
    to the device and outputs back (`cudabuild.CudaProgram`). With
    `emulate=True` the same CUDA source runs on the CPU emulator instead (no
    GPU needed: how the tests check the kernels).
    """
    if target == "cuda":
        from pelemay_ir import cudabuild

        return cudabuild.compile_module(lower_to_cuda(module_or_path, arch, **plan_options), emulate=emulate)
    if emulate or arch is not None:
        raise CompileError(f"target '{target}': emulate and arch are options of target 'cuda'")
    if emit not in EMITS:
        raise CompileError(f"unknown emit '{emit}'; valid choices: " + ", ".join(EMITS))
    if target not in pipelines.MACHINES:
        raise CompileError(
            f"unknown target '{target}'; valid machines: " + ", ".join(pipelines.MACHINES)
        )
    from pelemay_ir import machines

    if not machines.machine(target).runs:
        raise CompileError(f"target '{target}': nothing runs its programs here")
    module = lower(
        module_or_path, target=target, weights=weights, vectorize=vectorize, threads=threads, **plan_options
    )
    if target != "host":
        from pelemay_ir import cross

        blob = bytes(weights_file.blob_of(module)) if weights == "external" else None
        return cross.EmulatedProgram(module, target, emit, blob)
    if emit == "llvm":
        from pelemay_ir import llvmbuild

        return llvmbuild.compile_module(module)
    from pelemay_ir import cbuild

    host_flags = machines.machine("host").cflags if cc == "gcc" else ()
    thread_flags = ("-pthread",) if threads > 1 else ()
    return cbuild.compile_module(module, cflags=(*host_flags, *thread_flags, *cflags), cc=cc)
