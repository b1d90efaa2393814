"""Instruction counts under qemu-user and on the Cortex-M4 board model under
qemu-system-arm: exact, repeatable, and callees included."""

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from pelemay_ir import api, cross, icount
from pelemay_ir.machines import machine
from pelemay_ir.targets import abi

MLP = Path(__file__).resolve().parents[2] / "examples" / "mlp.mlir"

LOOP_PROGRAM = r"""
#include <stdlib.h>

volatile int scratch;

/* a callee larger than its caller: a count without callees could not reach it */
__attribute__((noinline)) int step(int s, int i)
{
    scratch = s;
    scratch += i; scratch += 1; scratch += 2; scratch += 3;
    scratch += 4; scratch += 5; scratch += 6; scratch += 7;
    return scratch;
}

__attribute__((noinline)) int work(int n)
{
    int s = 0;
    for (int i = 0; i < n; i++) s = step(s, i);
    return s;
}

int main(int argc, char **argv)
{
    (void)argc;
    return work(atoi(argv[1])) == 12345;
}
"""


def _loop_program(tmp_path, target):
    m = machine(target)
    files = {"loop.c": LOOP_PROGRAM, **cross.board_sources(m)}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    exe = tmp_path / f"loop-{target}"
    subprocess.run([m.cc, "-O2", *m.cflags, *m.ldflags, *sorted(files), "-o", str(exe)],
                   cwd=tmp_path, check=True)
    return exe


@pytest.mark.parametrize("target", ["aarch64", "armv7", "cortex-m4"])
def test_count_is_linear_in_trip_count_and_repeatable(tmp_path, target):
    exe = _loop_program(tmp_path, target)
    counts = {n: icount.count_instructions(exe, target, [str(n)], function="work")
              for n in (10, 100, 1000)}
    per_trip = (counts[100] - counts[10]) // 90
    # step's instructions are counted: a trip costs more than all of work's code
    objdump = machine(target).cc[: -len("gcc")] + "objdump"
    listing = subprocess.run([objdump, "-d", "--disassemble=work", str(exe)],
                             capture_output=True, text=True, check=True).stdout
    work_size = len(re.findall(r"^\s*[0-9a-f]+:\s", listing, re.M))
    assert 0 < work_size < per_trip
    for n, c in counts.items():
        assert c == counts[10] + per_trip * (n - 10)
    assert icount.count_instructions(exe, target, ["1000"], function="work") == counts[1000]


def test_function_never_called_is_an_error(tmp_path):
    exe = _loop_program(tmp_path, "aarch64")
    with pytest.raises(icount.CountError, match="no function 'absent'"):
        icount.count_instructions(exe, "aarch64", ["1"], function="absent")


def test_host_target_is_refused(tmp_path):
    with pytest.raises(icount.CountError, match="emulated machine"):
        icount.count_instructions(tmp_path / "x", "host", [])


@pytest.mark.parametrize("target", ["aarch64", "armv7", "cortex-m4"])
def test_model_harness_count_is_stable(target):
    module = api.lower(MLP, target=target)
    iface = abi.interface(module)
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal(b.shape).astype(b.dtype) for b in iface.inputs]
    first = icount.count_model(module, target, inputs)
    assert first > 1000
    assert icount.count_model(module, target, inputs) == first
