"""Checking and building the llvm target's output with LLVM's own tools.

`opt -passes=verify` and `llc` are the judges of the text the llvm target
prints; `clang` turns it into a host shared library that `pelemay_ir.cbuild`'s
`CompiledProgram` loads with ctypes, so the C and LLVM paths are called
exactly alike. Builds are cached on disk by a hash of the text, the flags and
the compiler's version (under $PELEMAY_CACHE, else ~/.cache/pelemay-ir).

For the Linux machines, `run` links `llc`'s object with the C
target's test driver using the machine's GNU cross compiler, and `run` runs
it under qemu-user with the board's CPU named, so an instruction the board
lacks fails instead of passing in emulation (docs/design.md, Machines).

The tools are LLVM 16 (Debian's `llvm-16` and `clang-16` packages, which
install `opt-16`, `llc-16`, `clang-16`); a newer LLVM reads the same text.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence

from functools import lru_cache
from pathlib import Path

from xdsl.dialects.builtin import ModuleOp

from pelemay_ir import cbuild, machines
from pelemay_ir.passes.outline_parallel import uses_threads
from pelemay_ir.targets import abi
from pelemay_ir.targets import llvm as llvm_target

VERSIONS = (16, 17, 18, 19, 20)
"""LLVM major versions tried, oldest first: the output is written in LLVM 16's syntax."""

SHARED_FLAGS = ("-O2", "-shared", "-fPIC")


class LLVMToolError(RuntimeError):
    """An LLVM tool is missing, or rejected the text (a bug in the llvm target)."""


@lru_cache(maxsize=None)
def find_tool(name: str) -> str:
    """The path of `opt`, `llc` or `clang`: `NAME-16` (or a newer suffix), else `NAME`."""
    for candidate in [*(f"{name}-{v}" for v in VERSIONS), name]:
        path = shutil.which(candidate)
        if path:
            return path
    raise LLVMToolError(
        f"'{name}' (LLVM >= 16) was not found on PATH; install Debian's llvm-16 and clang-16 packages"
    )


def have_tools() -> bool:
    try:
        for name in ("opt", "llc", "clang"):
            find_tool(name)
    except LLVMToolError:
        return False
    return True


@lru_cache(maxsize=None)
def tool_version(path: str) -> str:
    done = subprocess.run([path, "--version"], capture_output=True, text=True)
    return done.stdout


def _run(command: Sequence[str], text: str, what: str) -> subprocess.CompletedProcess[bytes]:
    done = subprocess.run(list(command), input=text.encode(), capture_output=True)
    if done.returncode != 0:
        raise LLVMToolError(f"{what} failed ({' '.join(command)}):\n{done.stderr.decode(errors='replace')}")
    return done


def verify(text: str) -> None:
    """`opt -passes=verify`: the text parses and is well-formed LLVM IR."""
    _run([find_tool("opt"), "-passes=verify", "-disable-output"], text, "opt -passes=verify")


def compile_object(text: str, machine: str = "host", opt_level: int = 2) -> bytes:
    """`llc` for the machine's triple: an ELF object, proving the backend
    can lower every instruction for that CPU."""
    m = llvm_target.machine(machine)
    done = _run(
        [find_tool("llc"), f"-mtriple={m.llvm.triple}", f"-O{opt_level}", "-filetype=obj", "-o", "-"],
        text,
        f"llc for '{machine}'",
    )
    return done.stdout


def build_shared(text: str, name: str, flags: Sequence[str] = ()) -> Path:
    """A host shared library of the module (`clang -O2 -shared -fPIC x.ll -lm`), cached."""
    clang = find_tool("clang")
    # Host modules name no CPU when built for this one: -march=native makes
    # W-lane vectors and llvm.fma the CPU's own instructions.
    native = ("-march=native",) if llvm_target.native_host() else ()
    all_flags = (*SHARED_FLAGS, *native, *flags)
    key = hashlib.sha256()
    for part in (clang, tool_version(clang), *all_flags, name, text):
        key.update(part.encode() + b"\0")
    digest = key.hexdigest()
    where = cbuild.cache_root() / "llvm" / digest[:2] / digest
    target = where / f"lib{name}.so"
    if target.exists():
        return target
    where.mkdir(parents=True, exist_ok=True)
    source = where / f"{name}.ll"
    source.write_text(text)
    fd, tmp = tempfile.mkstemp(dir=where, prefix=f".lib{name}.")
    os.close(fd)
    command = [clang, *all_flags, source.name, "-o", tmp, "-lm"]
    done = subprocess.run(command, cwd=where, capture_output=True, text=True)
    if done.returncode != 0:
        Path(tmp).unlink(missing_ok=True)
        raise LLVMToolError(f"{' '.join(command)} failed in {where}:\n{done.stderr}")
    os.replace(tmp, target)
    return target


def load(path: Path, module: ModuleOp, weights: bytes | None = None) -> cbuild.CompiledProgram:
    """The library as a callable on NumPy arrays, exactly as the C path loads
    its own (the run function has the same name, arguments and return codes)."""
    return cbuild.load(path, module, weights)


def compile_module(module: ModuleOp, weights: bytes | None = None) -> cbuild.CompiledProgram:
    """Print (for the host), verify, build and load a loop-level module."""
    text = llvm_target.emit_llvm(module, "host")
    verify(text)
    name = abi.interface(module).base
    return load(build_shared(text, name, ("-pthread",) if uses_threads(module) else ()), module, weights)


RUNNABLE = tuple(name for name, m in machines.MACHINES.items() if m.runs)
"""Machines whose programs run here (natively, under qemu-user, or on a
qemu-system board model)."""


def can_run(machine: str) -> bool:
    return have_tools() and not machines.machine(machine).missing_tools()
