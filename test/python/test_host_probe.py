"""The host probe (vector unit and caches) and its override: tests of the
cost model name the machine they model, so the suite passes on any host."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from pelemay_ir import machines
from pelemay_ir.ir import CompileError

TESTS = Path(__file__).resolve().parent


def test_modelled_hosts_parse():
    intel = machines.parse_host_cpu(machines.MODELLED_HOSTS["intel-xeon-avx512"])
    amd = machines.parse_host_cpu(machines.MODELLED_HOSTS["amd-epyc-avx2"])
    assert (intel.bits, intel.registers, intel.l1d_bytes, intel.l2_bytes) == (512, 32, 48 * 1024, 2 * 1024 * 1024)
    assert (amd.bits, amd.registers, amd.l1d_bytes, amd.l2_bytes) == (256, 16, 32 * 1024, 512 * 1024)
    assert machines.parse_host_cpu("sse").fused_multiply_add is False


@pytest.mark.parametrize("text, message", [
    ("avx3", "unknown vector unit 'avx3'"),
    ("avx2,l3=1M", "bad field 'l3=1M'"),
    ("avx2,l2=lots", "bad field 'l2=lots'"),
])
def test_bad_overrides_are_one_line_errors(text, message):
    with pytest.raises(CompileError, match=re.escape(message)):
        machines.parse_host_cpu(text)


def test_the_override_reaches_the_pipeline():
    """A fresh process compiles for an AVX2 host whatever this host has."""
    code = (
        "from pelemay_ir import machines; v = machines.machine('host').vectors; "
        "print(v.bits, v.l2_bytes)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True,
        env={**__import__("os").environ, machines.HOST_PROBE_VARIABLE: "avx2,l2=512K"},
    )
    assert done.stdout.split() == ["256", str(512 * 1024)], done.stderr


PROBES = re.compile(
    r"_host_vectors|_cache_bytes|cpu_count|sched_getaffinity|/proc/cpuinfo|/sys/devices/system/cpu"
    r"|MACHINES\[\"host\"\]\.vectors|machine\(\"host\"\)\.vectors"
)


def test_no_test_asks_this_host_directly():
    offenders = [
        f"{path.name}:{n}" for path in sorted(TESTS.glob("*.py")) if path.name != Path(__file__).name
        for n, line in enumerate(path.read_text().splitlines(), 1) if PROBES.search(line)
    ]
    assert not offenders, "tests of the cost model name the machine they model (model_host): " + ", ".join(offenders)
