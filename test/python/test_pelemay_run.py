"""`pelemay-run`: compile, build, run and check a model; its JSON, its exit
codes and its one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pelemay_ir import reference, run

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MLP = str(EXAMPLES / "mlp.mlir")


def pelemay_run(*args: str) -> subprocess.CompletedProcess[str]:
    """The command as users run it, in a fresh process."""
    return subprocess.run(
        [sys.executable, "-m", "pelemay_ir.run", *args], capture_output=True, text=True
    )


def run_main(capsys, *args: str) -> tuple[int, str, str]:
    code = run.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_mlp_on_the_host_as_json():
    done = pelemay_run(MLP, "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["ok"] is True
    assert result["target"] == "host" and result["emit"] == "c" and result["model"] == MLP
    assert 0 <= result["max_abs_error"] <= 1e-4
    assert result["arena_bytes"] == 1536
    assert result["lower_bound_bytes"] <= result["arena_bytes"] <= result["naive_bytes"]
    assert result["run_seconds"] > 0
    (output,) = result["outputs"]
    assert output["shape"] == [1, 10] and output["dtype"] == "float32" and output["ok"]


def test_readable_summary(capsys):
    code, out, _ = run_main(capsys, MLP)
    assert code == 0
    assert "mlp_run on host" in out and "arena 1536 B" in out and out.rstrip().endswith("ok")


def test_inputs_by_name_and_by_position(tmp_path, capsys):
    x = np.random.default_rng(7).standard_normal((1, 784)).astype(np.float32)
    np.savez(tmp_path / "named.npz", x=x)
    np.savez(tmp_path / "positional.npz", arg0=x)
    results = []
    for name in ("named", "positional"):
        code, out, err = run_main(capsys, MLP, "--inputs", str(tmp_path / f"{name}.npz"), "--json")
        assert code == 0, err
        results.append(json.loads(out))
    assert results[0]["max_abs_error"] == results[1]["max_abs_error"]
    assert results[0]["ok"] and results[1]["ok"]


def test_given_inputs_are_the_ones_used(tmp_path, capsys, monkeypatch):
    """The reference sees exactly the arrays of the file."""
    x = np.full((1, 784), 0.5, np.float32)
    np.savez(tmp_path / "in.npz", x=x)
    seen = []
    evaluate = reference.evaluate

    def spy(module, inputs, entry=None):
        seen.append([np.array(a) for a in inputs])
        return evaluate(module, inputs, entry)

    monkeypatch.setattr(reference, "evaluate", spy)
    code, _, _ = run_main(capsys, MLP, "--inputs", str(tmp_path / "in.npz"))
    assert code == 0
    np.testing.assert_array_equal(seen[0][0], x)


def test_mismatch_exits_1(capsys, monkeypatch):
    evaluate = reference.evaluate
    monkeypatch.setattr(
        reference, "evaluate", lambda m, i, entry=None: [a + 1 for a in evaluate(m, i, entry)]
    )
    code, out, _ = run_main(capsys, MLP, "--json")
    result = json.loads(out)
    assert code == 1 and result["ok"] is False and result["max_abs_error"] > 0.9


def test_wrong_input_shape_is_a_clear_error(tmp_path):
    np.savez(tmp_path / "bad.npz", x=np.zeros((1, 783), np.float32))
    done = pelemay_run(MLP, "--inputs", str(tmp_path / "bad.npz"))
    assert done.returncode == 1
    line = one_line_error(done.stderr)
    assert "'x' (arg0) expects tensor<1x784xf32>" in line and "shape (1, 783)" in line


def test_unknown_input_name_lists_the_valid_ones(tmp_path, capsys):
    np.savez(tmp_path / "bad.npz", y=np.zeros((1, 784), np.float32))
    code, _, err = run_main(capsys, MLP, "--inputs", str(tmp_path / "bad.npz"))
    assert code == 1
    assert "no argument named 'y'; valid names: arg0, x" in one_line_error(err)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"not a zip", "is not an .npz archive"),
        (None, "no such file"),
    ],
)
def test_bad_npz_is_one_line(tmp_path, capsys, content, message):
    path = tmp_path / "in.npz"
    if content is not None:
        path.write_bytes(content)
    code, _, err = run_main(capsys, MLP, "--inputs", str(path))
    assert code == 1 and message in one_line_error(err)


def test_bad_model_path_is_one_line():
    done = pelemay_run("no/such/model.mlir", "--json")
    assert done.returncode == 1
    assert "cannot read 'no/such/model.mlir'" in one_line_error(done.stderr)
    assert json.loads(done.stdout)["ok"] is False


def test_model_with_a_parse_error_points_at_it(tmp_path, capsys):
    bad = tmp_path / "bad.mlir"
    bad.write_text("builtin.module {\n  func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {\n    %y = ptensor.nope %x\n")
    code, _, err = run_main(capsys, str(bad))
    assert code == 1
    assert one_line_error(err).startswith(f"{bad}:3:")


@pytest.mark.parametrize(
    "args, message",
    [
        (("--target", "vax"), "valid machines: host, aarch64, aarch64-dotprod, armv7, armv7-a8, riscv64, cortex-m4"),
        (("--emit", "asm"), "valid choices: c, llvm"),
        (("--weights", "flash"), "valid modes: embedded, external"),
    ],
)
def test_bad_options_list_the_choices(capsys, args, message):
    code, _, err = run_main(capsys, MLP, *args)
    assert code == 1 and message in one_line_error(err)


def test_external_weights_on_the_host(capsys):
    code, out, err = run_main(capsys, MLP, "--weights", "external", "--json")
    assert code == 0, err
    assert json.loads(out)["weights"] == "external"


def test_cross_target_runs_once_under_qemu(capsys):
    code, out, err = run_main(capsys, str(EXAMPLES / "lenet5.mlir"), "--target", "armv7-a8", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["ok"] and result["run_seconds"] is None
    assert result["runner"].startswith("qemu-arm -cpu cortex-a8")


@pytest.mark.parametrize("model", ("mlp", "lenet5"))
def test_cortex_m4_runs_on_the_board_model_and_reports_the_fit(capsys, model):
    """`ok` comes from the run on qemu-system-arm's Cortex-M4F; the fit against
    the STM32F407VG is reported beside it."""
    code, out, err = run_main(capsys, str(EXAMPLES / f"{model}.mlir"), "--target", "cortex-m4", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["ran"] is True and result["ok"] is True and result["run_seconds"] is None
    assert result["runner"].startswith("qemu-system-arm -M mps2-an386")
    assert 0 <= result["max_abs_error"] <= result["outputs"][0]["tolerance"]
    assert result["instructions"] > 100_000
    assert result["fits"] is result["fits_flash"] is result["fits_ram"] is True
    assert result["board"] == "STM32F407VG" and result["data"] == 0 and result["bss"] == 0
    assert 0 < result["stack_bytes"] < 1024
    if model == "mlp":
        assert result["text"] > 900_000 and result["arena_bytes"] == 1536


def test_cortex_m4_model_that_does_not_fit_is_not_run(capsys):
    code, out, err = run_main(capsys, str(EXAMPLES / "resblock.mlir"), "--target", "cortex-m4")
    assert code == 1, err
    assert "RAM: 802816 B (data + bss + arena; the stack comes on top); does NOT fit" in out
    assert "not run: the model does not fit the STM32F407VG (RAM 802816 B + stack" in out
    assert "output" not in out


def test_tolerance_rules():
    f = np.array([1000.0, -2.0], np.float32)
    assert run.compare(f + np.float32(0.09), f) == pytest.approx((0.09, True), rel=1e-3)  # 1e-4 * 1000
    assert not run.compare(f + np.float32(0.2), f)[1]
    small = np.array([0.5], np.float32)
    assert not run.compare(small + np.float32(2e-4), small)[1]  # 1e-4 * max(1, 0.5)
    nan = np.array([np.nan, np.inf], np.float32)
    assert run.compare(nan.copy(), nan) == (0.0, True)
    assert not run.compare(np.array([0.0, np.inf], np.float32), nan)[1]
    i = np.array([3, -4], np.int32)
    assert run.compare(i.copy(), i) == (0.0, True)
    assert run.compare(i + 1, i) == (1.0, False)


@pytest.mark.parametrize("target", ("host", "riscv64"))
def test_llvm_emit(capsys, target):
    code, out, err = run_main(capsys, MLP, "--emit", "llvm", "--target", target, "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["ok"] and result["emit"] == "llvm"
    assert (result["run_seconds"] is None) == (target != "host")
