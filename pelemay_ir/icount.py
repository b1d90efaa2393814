"""Guest instruction counts of a program's run function under qemu.

Wall time under emulation says nothing about a board, but the number of guest
instructions one call of `<name>_run` executes (its callees, such as libm's
`expf`, included) is exact and repeatable, so it serves as the cost figure of
code built for an emulated machine (qemu-user, or the bare-metal board model
under qemu-system). The count comes from a small TCG plugin of our own
(tools/qemu_icount/icount.c, built here with the host gcc), given the run
function's entry address and the return address of `main`'s call to it, both
read from the static executable with the machine's binutils
(docs/instruction-count.md).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from pelemay_ir import cbuild, cross
from pelemay_ir import weights as weights_file
from pelemay_ir.machines import Machine, machine
from pelemay_ir.targets import abi

PLUGIN_SOURCE = Path(__file__).resolve().parent.parent / "tools" / "qemu_icount" / "icount.c"


class CountError(RuntimeError):
    """The instruction count could not be taken."""


def plugin() -> Path:
    """The icount plugin shared object, built on first use into the build cache."""
    if not PLUGIN_SOURCE.exists():
        raise CountError(f"plugin source {PLUGIN_SOURCE} is missing")
    return cbuild.cached_build(
        {"icount.c": PLUGIN_SOURCE.read_text()}, "icount.so",
        ("-O2", "-Wall", "-Wextra", "-Werror", "-fPIC", "-shared", "-fvisibility=hidden"),
        "gcc",
    )


def _binutil(m: Machine, tool: str) -> str:
    prefix = m.cc[: -len("gcc")] if m.cc.endswith("-gcc") else ""
    command = prefix + tool
    if shutil.which(command) is None:
        raise CountError(f"target '{m.name}' needs {command}, not found on PATH")
    return command


def _symbol_address(exe: Path, m: Machine, name: str) -> int:
    listing = subprocess.run([_binutil(m, "nm"), str(exe)], capture_output=True, text=True,
                             check=True).stdout
    for line in listing.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == name and parts[1] in "Tt":
            return int(parts[0], 16) & ~1  # a Thumb function's address has bit 0 set
    raise CountError(f"{exe} has no function '{name}'")


_INSN = re.compile(r"^\s*([0-9a-f]+):\s")


def _return_address(exe: Path, m: Machine, callee: str) -> int:
    """The address of the instruction after `main`'s one call of `callee`."""
    text = subprocess.run([_binutil(m, "objdump"), "-d", "--disassemble=main", str(exe)],
                          capture_output=True, text=True, check=True).stdout
    addresses, calls = [], []
    for line in text.splitlines():
        found = _INSN.match(line)
        if not found:
            continue
        addresses.append(int(found.group(1), 16))
        if f"<{callee}>" in line:
            calls.append(len(addresses) - 1)
    if len(calls) != 1 or calls[0] + 1 >= len(addresses):
        raise CountError(f"main of {exe} must call {callee} exactly once; found {len(calls)} calls")
    return addresses[calls[0] + 1]


def _called_run(exe: Path, m: Machine) -> str:
    """The one `<name>_run` function `main` calls (a Pelemay harness calls exactly one)."""
    text = subprocess.run([_binutil(m, "objdump"), "-d", "--disassemble=main", str(exe)],
                          capture_output=True, text=True, check=True).stdout
    names = sorted(set(re.findall(r"<(\w+_run)>", text)))
    if len(names) != 1:
        raise CountError(f"main of {exe} calls {names or 'no'} *_run functions; name one")
    return names[0]


def count_instructions(
    executable: Path | str,
    target: str | Machine,
    args: Sequence[str] = (),
    function: str | None = None,
    timeout: float = cross.RUN_TIMEOUT,
) -> int:
    """Guest instructions one call of `function` (from `main`) executes when
    `executable args...` runs under the machine's qemu, callees included.

    `function` defaults to the `<name>_run` a Pelemay harness calls."""
    m = target if isinstance(target, Machine) else machine(target)
    if not m.emulated:
        raise CountError(f"target '{m.name}' does not run under qemu; instruction counts "
                         "need an emulated machine (aarch64, armv7, cortex-m4, ...)")
    m.require_tools()
    exe = Path(executable)
    name = function or _called_run(exe, m)
    entry = _symbol_address(exe, m, name)
    back = _return_address(exe, m, name)
    with tempfile.TemporaryDirectory(prefix="pelemay-icount-") as tmp:
        report = Path(tmp) / "icount.txt"
        spec = f"{plugin()},entry={entry:#x},return={back:#x},out={report}"
        command = m.command(str(exe), [str(a) for a in args], plugin=spec)
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise CountError(f"{' '.join(command)} exited with {done.returncode}:\n{done.stderr}")
        if not report.exists():
            raise CountError(f"the icount plugin wrote no report:\n{done.stderr}")
        fields = dict(line.split() for line in report.read_text().splitlines())
    if fields.get("entered") != "1" or fields.get("returned") != "1":
        raise CountError(f"{name} was not entered and returned from during the run of {exe}")
    return int(fields["insns"])


def count_model(
    module: ModuleOp,
    target: str | Machine,
    inputs: Sequence[np.ndarray],
    weights: bytes | None = None,
    cflags: Sequence[str] = (),
) -> int:
    """Guest instructions one run of a loop-level module executes on `inputs`
    (argument order), built with `cross.build_program` for `target`."""
    exe = cross.build_program(module, target, cflags)
    return count_program(exe, module, target, inputs, weights)


def count_program(
    executable: Path,
    module: ModuleOp,
    target: str | Machine,
    inputs: Sequence[np.ndarray],
    weights: bytes | None = None,
) -> int:
    """Guest instructions one run of a module's harness executable already
    built for `target` (by `cross.build_program` or `build_llvm_program`)
    executes on `inputs` (argument order)."""
    iface = abi.interface(module)
    inputs = cbuild.check_inputs(iface, inputs)
    if iface.external_weights and weights is None:
        weights = bytes(weights_file.blob_of(module))
    with tempfile.TemporaryDirectory(prefix="pelemay-icount-") as tmp:
        in_path, out_path = Path(tmp) / "inputs.bin", Path(tmp) / "outputs.bin"
        in_path.write_bytes(b"".join(np.ascontiguousarray(a).tobytes() for a in inputs))
        args = [str(in_path), str(out_path)]
        if weights is not None:
            (Path(tmp) / "weights.bin").write_bytes(weights)
            args.append(str(Path(tmp) / "weights.bin"))
        return count_instructions(executable, target, args, function=iface.run)
