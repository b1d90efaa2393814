"""Generated C off the host: every bundled model cross compiled, run under
qemu-user with the board's CPU named (Cortex-M4: booted on qemu-system-arm's
board model), and compared with the reference; the Cortex-M4 build measured;
every model's harness run under ASan/UBSan on the host.

Default tier: mlp and lenet5 on every emulated machine (each well under a
second), the Cortex-M4 build of mlp, the board's canary, fault and argument
passing, and the sanitizer runs of the small models. `-m slow`: resblock on
every machine (seconds each under emulation; on the Cortex-M4 board model,
which has more memory than the STM32F407VG it does not fit) and the
MobileNets (tens of seconds).
"""

from __future__ import annotations

import subprocess
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from pelemay_ir import api, cbuild, cross, ir, machines, pipelines, reference
from pelemay_ir.ir import CompileError
from pelemay_ir.run import compare, random_inputs
from pelemay_ir.targets import c_harness

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EMULATED = [m.name for m in machines.MACHINES.values() if m.emulated]


@lru_cache(maxsize=None)
def lowered(name: str, target: str, weights: str):
    return api.lower(EXAMPLES / f"{name}.mlir", target=target, weights=weights)


@lru_cache(maxsize=None)
def inputs_and_expected(name: str):
    module = ir.load(EXAMPLES / f"{name}.mlir")
    inputs = random_inputs(reference.entry_function(module), seed=1)
    return inputs, reference.evaluate(module, inputs)


def check_on(name: str, target: str, weights: str = "embedded", cflags=()) -> float:
    """Build `name` for `target`, run it there once, compare; the max abs error."""
    module = lowered(name, target, weights)
    inputs, expected = inputs_and_expected(name)
    exe = cross.build_program(module, target, cflags)
    got = cross.run_program(exe, module, target, inputs)
    assert len(got) == len(expected)
    errors = []
    for g, w in zip(got, expected):
        error, ok = compare(g, w)
        assert ok, f"{name} on {target}: max abs error {error}"
        errors.append(error)
    return max(errors)


# --- the machine table ---------------------------------------------------------------


def test_machines_are_the_design_vocabulary():
    assert tuple(machines.MACHINES) == pipelines.MACHINES


def test_unknown_machine_lists_the_valid_ones():
    with pytest.raises(CompileError) as e:
        machines.machine("vax")
    assert "unknown target 'vax'" in str(e.value)
    for name in pipelines.MACHINES:
        assert name in str(e.value)


def test_missing_tool_names_its_package():
    m = machines.Machine("toy", "a board", "no-such-cc-gcc", (), ("no-such-qemu",), ("gcc-toy",))
    assert m.missing_tools() == ["no-such-cc-gcc", "no-such-qemu"]
    with pytest.raises(CompileError, match="install the Debian packages: gcc-toy"):
        m.require_tools()


def test_every_machine_has_its_tools_installed():
    for m in machines.MACHINES.values():
        assert m.missing_tools() == [], f"{m.name}: apt-get install {' '.join(m.packages)}"


def test_cross_programs_are_for_the_board():
    """The executable really is an ELF for the machine (not a host binary that
    happens to run); the bare-metal one starts with its vector table at
    address 0, where the Cortex-M4 reads the initial stack pointer and reset."""
    elf_machine = {"aarch64": 183, "aarch64-dotprod": 183, "armv7": 40, "armv7-a8": 40, "riscv64": 243,
                   "cortex-m4": 40}
    for target in EMULATED:
        exe = cross.build_program(lowered("mlp", target, "embedded"), target)
        header = exe.read_bytes()[:20]
        assert header[:4] == b"\x7fELF"
        assert int.from_bytes(header[18:20], "little") == elf_machine[target], target
    m = machines.machine("cortex-m4")
    exe = cross.build_program(lowered("mlp", "cortex-m4", "embedded"), m)
    sections = subprocess.run([m.cc[: -len("gcc")] + "objdump", "-h", str(exe)],
                              capture_output=True, text=True, check=True).stdout
    vectors = next(line.split() for line in sections.splitlines() if ".vectors" in line)
    assert int(vectors[2], 16) == 16 * 4 and int(vectors[3], 16) == 0  # 16 entries at VMA 0


FMA_PROGRAM = """
#include <math.h>
#include <stdio.h>
int main(int argc, char **argv)
{
    volatile float a = (float)argc, b = 1.5f, c = 0.25f;
    (void)argv;
    printf("%f\\n", (double)fmaf(a, b, c));
    return 0;
}
"""


def test_qemu_names_the_board_cpu(tmp_path):
    """A VFPv4 fused multiply-add runs on the Cortex-A7 and traps on the
    Cortex-A8, which lacks it: emulation does not hide a missing instruction."""
    armv7, a8 = machines.machine("armv7"), machines.machine("armv7-a8")
    source = tmp_path / "fma.c"
    source.write_text(FMA_PROGRAM)
    exe = tmp_path / "fma"
    subprocess.run([armv7.cc, *armv7.cflags, *armv7.ldflags, "-O2", str(source), "-o", str(exe), "-lm"],
                   check=True)
    ok = subprocess.run([*armv7.runner, str(exe)], capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout.strip() == "1.750000"
    trapped = subprocess.run([*a8.runner, str(exe)], capture_output=True, text=True)
    assert trapped.returncode != 0


# --- models under qemu ----------------------------------------------------------------


@pytest.mark.parametrize("target", EMULATED)
@pytest.mark.parametrize("name", ("mlp", "lenet5"))
def test_small_models_under_qemu(name, target):
    check_on(name, target)


@pytest.mark.parametrize("target", ("aarch64", "armv7"))
def test_external_weights_under_qemu(target):
    check_on("mlp", target, "external")


@pytest.mark.slow
@pytest.mark.parametrize("target", EMULATED)
def test_resblock_under_qemu(target):
    check_on("resblock", target)


@pytest.mark.slow
@pytest.mark.parametrize("target", ("aarch64", "armv7-a8", "riscv64"))
@pytest.mark.parametrize("name", ("mobilenet_v1", "mobilenet_v2"))
def test_mobilenets_under_qemu(name, target):
    check_on(name, target, "external")


def test_wrong_inputs_are_refused_before_running():
    module = lowered("mlp", "aarch64", "embedded")
    exe = cross.build_program(module, "aarch64")
    with pytest.raises(ValueError, match="shape"):
        cross.run_program(exe, module, "aarch64", [np.zeros((1, 783), np.float32)])


# --- bare metal ------------------------------------------------------------------------


def test_cortex_m4_build_of_mlp():
    module = lowered("mlp", "cortex-m4", "embedded")
    build = cross.build_bare_metal(module, "cortex-m4")
    header = build.object_path.read_bytes()[:20]
    assert int.from_bytes(header[18:20], "little") == 40  # EM_ARM
    weights_bytes = (EXAMPLES / "mlp.weights").stat().st_size
    assert build.text >= weights_bytes  # embedded weights are read-only: flash, not RAM
    assert build.data == 0 and build.bss == 0  # no mutable globals
    assert build.arena_bytes == 1536
    assert 0 < build.stack_bytes < 1024 and build.stack_bounded
    assert build.flash_bytes == build.text and build.ram_bytes == build.arena_bytes
    assert build.fits_flash is (build.flash_bytes <= 1024 * 1024)


def test_cortex_m4_stack_counts_called_functions():
    """The worst stack follows calls through the unit, skipping inlined frames."""
    frames = {"m_run": 16, "big": 100, "small": 8}
    calls = {"m_run": {"inlined", "small"}, "inlined": {"big", "expf"}, "small": set()}
    depth, external = cross._worst_stack("m_run", frames, calls)
    assert depth == 116 and external == {"expf"}


def test_bare_metal_harness_gets_its_arguments_through_semihosting(tmp_path):
    """The board model passes the command line and the files to `main`, and
    its exit code back: a path with a comma (QEMU's option separator) arrives
    whole, and a wrong input file is the harness's usage error, exit 2."""
    m = machines.machine("cortex-m4")
    module = lowered("mlp", "cortex-m4", "embedded")
    exe = cross.build_program(module, m)
    inputs, expected = inputs_and_expected("mlp")
    where = tmp_path / "a,b"
    where.mkdir()
    (where / "in.bin").write_bytes(inputs[0].tobytes())
    done = subprocess.run(m.command(str(exe), [str(where / "in.bin"), str(where / "out.bin")]),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    got = np.fromfile(where / "out.bin", np.float32).reshape(expected[0].shape)
    assert compare(got, expected[0])[1]
    (where / "short.bin").write_bytes(b"\0" * 8)
    done = subprocess.run(m.command(str(exe), [str(where / "short.bin"), str(where / "out.bin")]),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "expected exactly 3136 bytes" in done.stderr


SPILL = """
func.func @spill(%x: memref<4xf32>, %y: memref<4xf32>, %arena: memref<16xi8>)
    attributes {pelemay.entry, pelemay.num_inputs = 1 : i64, pelemay.arena_bytes = 16 : i64, pelemay.arena_align = 16 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c6 = arith.constant 6 : index
  %t = memref.view %arena[%c0][] : memref<16xi8> to memref<4xf32>
  scf.for %i = %c0 to %c6 step %c1 {
    %j = arith.remui %i, %c4 : index
    %v = memref.load %x[%j] : memref<4xf32>
    memref.store %v, %t[%i] : memref<4xf32>
  }
  scf.for %i = %c0 to %c4 step %c1 {
    %v = memref.load %t[%i] : memref<4xf32>
    memref.store %v, %y[%i] : memref<4xf32>
  }
  func.return
}
"""
"""A run function that stores six floats into a four-float view filling its
16-byte arena: 8 bytes past the end, which no memory protection of the board
would catch."""


@pytest.mark.parametrize("target", ("host", "cortex-m4"))
def test_canary_catches_a_write_past_the_arena(target):
    module = ir.parse(SPILL, "spill.mlir")
    exe = cross.build_program(module, target)
    with pytest.raises(cbuild.RunError) as e:
        cross.run_program(exe, module, target, [np.ones(4, np.float32)])
    message = str(e.value)
    assert "exited with 4 (the run function wrote past the end of its arena)" in message
    assert "spill_run wrote past the end of its arena (SPILL_ARENA_BYTES = 16)" in message


FAULT_PROGRAM = """
#include <stdint.h>
int main(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        __builtin_trap();
    }
    return *(volatile uint32_t *)0xF0000000u == 7u; /* nothing is mapped there */
}
"""


@pytest.mark.parametrize("argument", ([], ["trap"]))
def test_board_fault_exits_instead_of_hanging(tmp_path, argument):
    """An invalid access or an undefined instruction ends the run with the
    fault handler's exit code and message, not a hang until the timeout."""
    m = machines.machine("cortex-m4")
    files = {"fault.c": FAULT_PROGRAM, **cross.board_sources(m)}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    exe = tmp_path / "fault.elf"
    subprocess.run([m.cc, *cbuild.STRICT_FLAGS, *m.cflags, *m.ldflags, *sorted(files), "-o", str(exe)],
                   cwd=tmp_path, check=True)
    done = subprocess.run(m.command(str(exe), argument), capture_output=True, text=True, timeout=60)
    assert done.returncode == c_harness.HARNESS_EXIT_FAULT
    assert "processor fault" in done.stderr


def test_compile_runs_on_the_board_and_refuses_what_does_not_fit():
    """`pelemay_ir.compile` for cortex-m4: a callable that boots the board model
    at each call; a model larger than the STM32F407VG is refused before it runs."""
    inputs, expected = inputs_and_expected("mlp")
    program = api.compile(EXAMPLES / "mlp.mlir", target="cortex-m4", weights="external")
    assert isinstance(program, cross.EmulatedProgram)
    (got,) = program(*inputs)
    assert compare(got, expected[0])[1]
    with pytest.raises(CompileError, match=r"does not fit the STM32F407VG \(RAM 802816 B"):
        api.compile(EXAMPLES / "resblock.mlir", target="cortex-m4")


# --- sanitizers on the host ---------------------------------------------------------------


@pytest.mark.parametrize("weights", ("embedded", "external"))
@pytest.mark.parametrize("name", ("mlp", "lenet5", "resblock"))
def test_models_clean_under_sanitizers(name, weights):
    check_on(name, "host", weights, cflags=cbuild.SANITIZE_FLAGS)


@pytest.mark.slow
@pytest.mark.parametrize("name", ("mobilenet_v1", "mobilenet_v2"))
def test_mobilenets_clean_under_sanitizers(name):
    check_on(name, "host", "external", cflags=cbuild.SANITIZE_FLAGS)


# --- the llvm target off the host ---------------------------------------------------------


@pytest.mark.parametrize("target", EMULATED)
def test_llvm_output_under_qemu(target):
    """llc's object for the machine, linked with the harness by its gcc: the
    CPU features the llvm target names must exist on the board."""
    module = lowered("lenet5", target, "embedded")
    inputs, expected = inputs_and_expected("lenet5")
    exe = cross.build_llvm_program(module, target)
    (got,) = cross.run_program(exe, module, target, inputs)
    error, ok = compare(got, expected[0])
    assert ok, f"lenet5 via llvm on {target}: max abs error {error}"


def test_llvm_cortex_m4_build_of_mlp():
    build = cross.build_bare_metal(lowered("mlp", "cortex-m4", "embedded"), "cortex-m4", emit="llvm")
    assert int.from_bytes(build.object_path.read_bytes()[18:20], "little") == 40  # EM_ARM
    assert build.text >= (EXAMPLES / "mlp.weights").stat().st_size
    assert build.data == 0 and build.bss == 0
    assert 0 < build.stack_bytes < 1024 and build.stack_bounded


def test_emulated_program_is_called_like_a_host_one():
    module = lowered("mlp", "riscv64", "external")
    inputs, expected = inputs_and_expected("mlp")
    program = cross.EmulatedProgram(module, "riscv64")
    assert program.interface.run == "mlp_run"
    for _ in range(2):
        (got,) = program(*inputs)
        assert compare(got, expected[0])[1]
