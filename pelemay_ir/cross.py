"""Building generated C for a machine other than the host, and running it there.

Hosted machines (aarch64, armv7, riscv64, ...) get the model plus
`c.emit_harness`'s `main`, built statically with the machine's cross compiler
under the same strict flags as host builds, and run under qemu-user with the
board's CPU named; inputs and outputs travel as raw bytes in files
(`cbuild.run_harness`). A bare-metal machine (cortex-m4) has no operating
system to run a harness on, so its check is the build itself: the model
compiled to an object, with its section sizes and the run function's stack
use, which is what decides whether it fits a microcontroller.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from pelemay_ir import cbuild
from pelemay_ir import weights as weights_file
from pelemay_ir.machines import Machine, machine
from pelemay_ir.targets import c as c_target

RUN_TIMEOUT = 600.0
"""Seconds a program may run under emulation before it counts as hung."""


def _machine(target: str | Machine) -> Machine:
    return target if isinstance(target, Machine) else machine(target)


def build_program(
    module: ModuleOp, target: str | Machine, cflags: Sequence[str] = ()
) -> Path:
    """The harness executable of a loop-level module for a hosted machine (cached)."""
    m = _machine(target)
    if not m.hosted:
        raise ValueError(f"target '{m.name}' is bare metal: build an object with build_bare_metal")
    m.require_tools()
    header, source = c_target.emit_c(module)
    harness = c_target.emit_harness(module)
    name = c_target.interface(module).base
    return cbuild.build_harness(
        header, source, harness, name, cflags=(*m.cflags, *m.ldflags, *cflags), cc=m.cc
    )


def run_program(
    exe: Path,
    module: ModuleOp,
    target: str | Machine,
    inputs: Sequence[np.ndarray],
    weights: bytes | None = None,
    timeout: float = RUN_TIMEOUT,
) -> list[np.ndarray]:
    """Run a harness built by `build_program` on `inputs` (argument order).

    External weights come from the module's weights file unless given."""
    m = _machine(target)
    if not m.runs:
        raise ValueError(f"programs for target '{m.name}' cannot run here")
    iface = c_target.interface(module)
    inputs = cbuild.check_inputs(iface, inputs)
    if iface.external_weights and weights is None:
        weights = bytes(weights_file.blob_of(module))
    spec = [(b.shape, b.dtype) for b in iface.outputs]
    return cbuild.run_harness(
        exe, inputs, spec, runner=m.runner or (), weights=weights, timeout=timeout
    )


def run(
    module: ModuleOp,
    target: str | Machine,
    inputs: Sequence[np.ndarray],
    weights: bytes | None = None,
    cflags: Sequence[str] = (),
) -> list[np.ndarray]:
    """Build a loop-level module for `target` and run it once on `inputs`."""
    exe = build_program(module, target, cflags)
    return run_program(exe, module, target, inputs, weights)


class EmulatedProgram:
    """A model built for a machine, called like `cbuild.CompiledProgram`: with
    NumPy arrays in argument order, returning the list of outputs; each call
    runs the program once under the machine's emulator (or natively on the host)."""

    def __init__(self, module: ModuleOp, target: str | Machine, emit: str = "c",
                 weights: bytes | None = None):
        self.machine = _machine(target)
        self.interface = c_target.interface(module)
        if emit == "c":
            self.executable = build_program(module, self.machine)
        elif emit == "llvm":
            self.executable = build_llvm_program(module, self.machine)
        else:
            raise ValueError(f"unknown emit '{emit}'; valid choices: c, llvm")
        self._module = module
        self._weights = weights

    def __call__(self, *inputs: np.ndarray) -> list[np.ndarray]:
        return run_program(self.executable, self._module, self.machine, inputs, self._weights)


# --- bare metal -------------------------------------------------------------------


@dataclass(frozen=True)
class BareMetalBuild:
    """What a microcontroller build of one model takes."""

    target: str
    object_path: Path
    text: int
    data: int
    bss: int
    arena_bytes: int
    stack_bytes: int
    """Worst stack depth from the run function through the functions of the
    model's own source (the compiler's -fstack-usage frames, along gcc's
    -fcallgraph-info or the LLVM text's calls)."""
    stack_bounded: bool
    """False when some frame is dynamic (then stack_bytes is only a lower bound)."""
    external_calls: tuple[str, ...]
    """Library functions the model calls (libm), whose stack is not counted."""
    external_weights_bytes: int | None
    """The weights blob the run function takes (weights=external), which the
    board keeps apart from the program (flash, SD card, OTA image); None when
    the weights are embedded (then they are part of `text`)."""
    flash_limit: int | None
    ram_limit: int | None
    board: str | None
    """The board whose flash and RAM are the limits."""

    @property
    def flash_bytes(self) -> int:
        """Read-only image: code, constants (embedded weights) and initialised
        data; external weights are not counted."""
        return self.text + self.data

    @property
    def ram_bytes(self) -> int:
        """RAM the model needs: its static data plus the arena the caller provides
        (the stack comes on top)."""
        return self.data + self.bss + self.arena_bytes

    @property
    def fits_flash(self) -> bool | None:
        return None if self.flash_limit is None else self.flash_bytes <= self.flash_limit

    @property
    def fits_ram(self) -> bool | None:
        if self.ram_limit is None:
            return None
        return self.ram_bytes + self.stack_bytes <= self.ram_limit

    def as_dict(self) -> dict[str, object]:
        return {
            "text": self.text,
            "data": self.data,
            "bss": self.bss,
            "stack_bytes": self.stack_bytes,
            "stack_bounded": self.stack_bounded,
            "external_calls": list(self.external_calls),
            "flash_bytes": self.flash_bytes,
            "external_weights_bytes": self.external_weights_bytes,
            "ram_bytes": self.ram_bytes,
            "flash_limit": self.flash_limit,
            "ram_limit": self.ram_limit,
            "board": self.board,
            "fits_flash": self.fits_flash,
            "fits_ram": self.fits_ram,
        }


def build_bare_metal(
    module: ModuleOp,
    target: str | Machine = "cortex-m4",
    cflags: Sequence[str] = (),
    emit: str = "c",
) -> BareMetalBuild:
    """Compile the model (no harness) to an object for a bare-metal machine and
    measure it: sections (`size`), and the run function's stack.

    `emit="c"` builds the C with the machine's gcc; `emit="llvm"` builds the
    llvm target's text with clang for the same CPU."""
    m = _machine(target)
    m.require_tools()
    iface = c_target.interface(module)
    name = iface.base
    if emit == "c":
        header, source = c_target.emit_c(module)
        flags = (*cbuild.STRICT_FLAGS, *m.cflags, *cflags, "-fstack-usage", "-fcallgraph-info=su")
        command = [m.cc, *flags, "-c", f"{name}.c", "-o", f"{name}.o"]
        where = _build_in_cache({f"{name}.h": header, f"{name}.c": source}, command, f"{name}.o", m.cc)
        calls = _callgraph_edges((where / f"{name}.ci").read_text())
    elif emit == "llvm":
        from pelemay_ir import llvmbuild
        from pelemay_ir.targets import llvm as llvm_target

        text = llvm_target.emit_llvm(module, m.name)
        llvmbuild.verify(text)
        clang = llvmbuild.find_tool("clang")
        triple = llvm_target.machine(m.name).triple
        command = [clang, f"--target={triple}", "-O2", "-fstack-usage", *cflags,
                   "-c", f"{name}.ll", "-o", f"{name}.o"]
        where = _build_in_cache({f"{name}.ll": text}, command, f"{name}.o", clang)
        calls = _llvm_calls(text)
    else:
        raise ValueError(f"unknown emit '{emit}'")
    obj = where / f"{name}.o"
    text_bytes, data, bss = _sections(obj, m.size_tool)
    frames, bounded = _frames((where / f"{name}.su").read_text())
    stack, external = _worst_stack(iface.run, frames, calls)
    return BareMetalBuild(
        target=m.name,
        object_path=obj,
        text=text_bytes,
        data=data,
        bss=bss,
        arena_bytes=iface.arena_bytes,
        stack_bytes=stack,
        stack_bounded=all(bounded.values()),
        external_calls=tuple(sorted(external)),
        external_weights_bytes=iface.weights_bytes,
        flash_limit=m.flash_bytes,
        ram_limit=m.ram_bytes,
        board=m.sized_board,
    )


def build_llvm_program(
    module: ModuleOp, target: str | Machine, cflags: Sequence[str] = ()
) -> Path:
    """The harness executable with the model from the llvm target: `llc` makes
    the machine's object, the machine's gcc compiles the harness and links."""
    from pelemay_ir import llvmbuild
    from pelemay_ir.targets import llvm as llvm_target

    m = _machine(target)
    if not m.hosted:
        raise ValueError(f"target '{m.name}' is bare metal: build an object with build_bare_metal")
    m.require_tools()
    text = llvm_target.emit_llvm(module, m.name)
    llvmbuild.verify(text)
    obj = llvmbuild.compile_object(text, m.name)
    iface = c_target.interface(module)
    name = iface.base
    header = c_target.emit_header(module)
    files: dict[str, str | bytes] = {
        f"{name}.h": header,
        f"{name}_main.c": c_target.emit_harness(module),
        f"{name}.o": obj,
    }
    flags = (*cbuild.STRICT_FLAGS, *m.cflags, *m.ldflags, *cflags)
    # llc's objects use the static relocation model: link a position-dependent program.
    command = [m.cc, *flags, "-no-pie", f"{name}_main.c", f"{name}.o", "-o", name, "-lm"]
    return _build_in_cache(files, command, name, m.cc) / name


def _build_in_cache(
    files: dict[str, str | bytes], command: Sequence[str], product: str, tool: str
) -> Path:
    """Run `command` in a directory holding `files`, cached like cbuild's builds
    (by the files, the command and the tool's version); the directory holding
    `product` and whatever side files the tool wrote (.su, .ci)."""
    key = hashlib.sha256()
    for part in (cbuild.compiler_version(tool), *command):
        key.update(part.encode() + b"\0")
    for file in sorted(files):
        data = files[file]
        key.update(file.encode() + b"\0" + (data.encode() if isinstance(data, str) else data) + b"\0")
    digest = key.hexdigest()
    where = cbuild.cache_root() / digest[:2] / digest
    if (where / product).exists():
        return where
    where.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=where.parent, prefix=f".{digest[:8]}."))
    for file, data in files.items():
        (staging / file).write_bytes(data.encode() if isinstance(data, str) else data)
    done = subprocess.run(list(command), cwd=staging, capture_output=True, text=True)
    if done.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise cbuild.BuildError(f"{' '.join(command)} failed:\n{done.stderr}")
    try:
        os.replace(staging, where)
    except OSError:  # built at the same time elsewhere: keep that one
        if not (where / product).exists():
            raise
    return where


def _sections(obj: Path, size_tool: str) -> tuple[int, int, int]:
    """(text, data, bss) in bytes, as Berkeley `size` counts them."""
    done = subprocess.run([size_tool, str(obj)], capture_output=True, text=True)
    if done.returncode != 0:
        raise cbuild.BuildError(f"{size_tool} {obj} failed:\n{done.stderr}")
    lines = done.stdout.strip().splitlines()
    text, data, bss = (int(v) for v in lines[-1].split()[:3])
    return text, data, bss


def _frames(su: str) -> tuple[dict[str, int], dict[str, bool]]:
    """Per function, its own frame in bytes and whether the size is bounded."""
    frames, bounded = {}, {}
    for line in su.splitlines():
        if not line.strip():
            continue
        where, size, qualifier = line.split("\t")
        function = where.rsplit(":", 1)[-1]
        frames[function] = int(size)
        bounded[function] = qualifier.strip() in ("static", "dynamic,bounded")
    return frames, bounded


_EDGE = re.compile(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"')


def _callgraph_edges(callgraph: str) -> dict[str, set[str]]:
    """Caller -> callees, from gcc's -fcallgraph-info file."""
    calls: dict[str, set[str]] = {}
    for source, target in _EDGE.findall(callgraph):
        calls.setdefault(source, set()).add(target)
    return calls


_DEFINE = re.compile(r"^define [^@]*@([-\w.$]+)\(")
_CALL = re.compile(r"\bcall [^@]*@([-\w.$]+)\(")


def _llvm_calls(text: str) -> dict[str, set[str]]:
    """Caller -> callees, read from LLVM IR text (intrinsics excluded)."""
    calls: dict[str, set[str]] = {}
    current = None
    for line in text.splitlines():
        define = _DEFINE.match(line)
        if define:
            current = define.group(1)
            calls.setdefault(current, set())
        elif line.startswith("}"):
            current = None
        elif current is not None:
            for callee in _CALL.findall(line):
                if not callee.startswith("llvm."):
                    calls[current].add(callee)
    return calls


def _worst_stack(
    entry: str, frames: dict[str, int], calls: dict[str, set[str]]
) -> tuple[int, set[str]]:
    """The deepest stack from `entry` through the functions of the unit, and the
    names of the called functions defined elsewhere (library code, whose stack
    is not counted). A function of the unit without a frame of its own was
    inlined into its callers: its callees count from there."""
    external: set[str] = set()

    def depth(function: str, path: tuple[str, ...]) -> int:
        if function in path:
            raise cbuild.BuildError(f"recursion through {function}: the stack is unbounded")
        deepest = 0
        for callee in sorted(calls.get(function, ())):
            if callee in frames or callee in calls:
                deepest = max(deepest, depth(callee, (*path, function)))
            else:
                external.add(callee)
        return frames.get(function, 0) + deepest

    if entry not in frames:
        raise cbuild.BuildError(f"the compiler reported no stack use for {entry}")
    return depth(entry, ()), external
