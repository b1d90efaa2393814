"""The ARM cost benchmark: its quick run writes a report of positive, checked
counts; wrong outputs are caught; the hot-loop finder picks real loops."""

import importlib.util
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from pelemay_ir.ir import CompileError

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("bench_arm", ROOT / "bench" / "arm.py")
bench = importlib.util.module_from_spec(spec)
sys.modules["bench_arm"] = bench  # dataclasses look their module up while it loads
spec.loader.exec_module(bench)
hot_loop = sys.modules["hot_loop"]

def test_quick_run_writes_checked_positive_counts(tmp_path):
    out = tmp_path / "arm.md"
    assert bench.main(["--quick", "--out", str(out)]) == 0
    text = out.read_text()
    rows = {line.split("|")[1].split(":")[0].strip(): line for line in text.splitlines()
            if re.match(r"\| (add|matmul): ", line)}
    assert set(rows) == {"add", "matmul"}
    for line in rows.values():
        neon, scalar, gcc = (c.strip() for c in line.split("|")[2:5])
        for cell in (scalar, gcc):
            assert re.fullmatch(r"[\d,]+", cell) and int(cell.replace(",", "")) > 0
        assert neon == "not built yet" or int(neon.replace(",", "")) > 0
    assert "## armv7" not in text  # --quick is aarch64 only
    mca = [line for line in text.splitlines() if line.startswith("| add |")]
    assert len(mca) == 1 and float(mca[0].split("|")[6]) > 0  # scalar A72 cycles


def test_counted_run_is_the_checked_run():
    program = bench.programs(["add"])[0]
    inputs = bench.inputs_of(program)
    module = bench.lower(program, "aarch64", vectorize=False)
    count, outputs = bench.count_and_run(module, "aarch64", (), inputs)
    assert count > 10007  # at least one instruction per element
    np.testing.assert_array_equal(outputs[0], inputs[0] + inputs[1])
    wrong = [outputs[0] + np.float32(1e-2)]
    assert bench.check(outputs, [inputs[0] + inputs[1]])[0]
    ok, error = bench.check(wrong, [inputs[0] + inputs[1]])
    assert not ok and error == pytest.approx(1e-2, rel=1e-3)


def test_missing_vectorize_option_means_not_built_yet(monkeypatch):
    from pelemay_ir import api

    real = api.lower
    seen = []

    def without_vectorize(source, **options):
        seen.append(sorted(options))
        if "vectorize" in options:
            raise CompileError("pelemay-to-c: unknown option 'vectorize'; valid options: target")
        return real(source, **options)

    monkeypatch.setattr(api, "lower", without_vectorize)
    program = bench.programs(["add"])[0]
    with pytest.raises(bench.NotBuiltYet):
        bench.lower(program, "aarch64", vectorize=True)
    assert bench.lower(program, "aarch64", vectorize=False) is not None
    assert ["target", "weights"] in seen  # the scalar lowering fell back to today's call


def test_unknown_program_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as stop:
        bench.main(["--only", "add,nonesuch"])
    assert stop.value.code == 2
    assert "unknown program nonesuch" in capsys.readouterr().err


NESTED = """
f:
    cbz x0, .L9
    mov x1, 0
.L2:
    mov x2, 0
.L3:
    ldr s0, [x3, x2, lsl 2]
    fadd s1, s1, s0
    add x2, x2, 1
    cmp x2, 67
    bne .L3
    add x1, x1, 1
    cmp x1, 61
    bne .L2
.L1:
    ret
.L9:
    mov x4, 7
.L4:
    ldr q0, [x3]
    fadd v1.4s, v1.4s, v0.4s
    subs x4, x4, 1
    b.ne .L4
    b .L1
"""


def test_hot_loop_takes_natural_loops_only():
    loops = {loop.label: loop for loop in hot_loop.innermost_loops(NESTED)}
    # .L2 holds .L3; `b .L1` jumps backwards but .L1 does not dominate it: no loop
    assert set(loops) == {".L3", ".L4"}
    assert loops[".L3"].depth == 2 and len(loops[".L3"].body) == 5
    assert loops[".L4"].depth == 1 and loops[".L4"].body[-1] == "b.ne .L4"
    # a loop on vector registers wins over a deeper scalar one
    assert hot_loop.hottest_loop(NESTED).label == ".L4"
    scalar_only = NESTED[: NESTED.index(".L9:")]
    assert hot_loop.hottest_loop(scalar_only).label == ".L3"
    assert hot_loop.hottest_loop("f:\n    ret\n") is None


def test_mca_counts_the_carried_dependence():
    loop = hot_loop.innermost_loops(NESTED)[0]  # .L3: an fadd accumulator
    a72 = hot_loop.cycles_per_iteration(loop, "cortex-a72")
    # the fadd chain bounds an iteration, not the 5 instructions' issue slots
    assert a72 >= 3.0
