"""`pelemay-opt` as users run it: a separate process, its stdout, stderr and
exit code. Every failure must be one clear diagnostic and exit code 1, never a
Python traceback, and a failed run must leave `-o` untouched.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pelemay_ir import driver


def tool(name: str) -> str:
    """The console script installed beside this interpreter (or on PATH)."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    assert found, f"{name} is not installed"
    return found


PELEMAY_OPT = tool("pelemay-opt")


def run(*args: str, stdin: str = "", tool_path: str = PELEMAY_OPT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool_path, *args], input=stdin, capture_output=True, text=True, timeout=120
    )


def assert_clean_failure(proc: subprocess.CompletedProcess[str], pattern: str) -> None:
    everything = proc.stdout + proc.stderr
    assert proc.returncode == 1, everything
    assert "Traceback" not in everything, everything
    assert re.search(pattern, proc.stderr, re.MULTILINE), proc.stderr


VALID = """\
func.func @f(%x: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x3xf32> {
  %0 = ptensor.add %x, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  %1 = ptensor.relu %0 : tensor<2x3xf32>
  func.return %1 : tensor<2x3xf32>
}
"""

# (name, program, the diagnostic expected on stderr, as a regex)
BAD_PROGRAMS = [
    (
        "syntax",
        "func.func @f(%x: tensor<2xf32> -> tensor<2xf32> {\n  func.return\n}\n",
        r"^{file}:1:32: error: '\)' expected$",
    ),
    (
        "unknown_op",
        "func.func @f(%x: tensor<2xf32>) {\n  %0 = ptensor.nope %x : tensor<2xf32>\n  func.return\n}\n",
        r"^{file}:2:3: error: unknown operation 'ptensor.nope'$",
    ),
    (
        "verifier",
        "func.func @f(%x: tensor<2xi8>) {\n  %0 = ptensor.exp %x : tensor<2xi8>\n  func.return\n}\n",
        r"^{file}:2:3: error: 'ptensor.exp' op operand has element type i8; expected one of f32, f16$",
    ),
    (
        "non_tensor_custom",
        "func.func @f(%x: f32) {\n  %0 = ptensor.exp %x : f32\n  func.return\n}\n",
        r"^{file}:2:3: error: 'ptensor.exp' op expected a ranked tensor type, got f32$",
    ),
    (
        "non_tensor_generic",
        'func.func @f(%x: f32) {\n  %0 = "ptensor.exp"(%x) : (f32) -> f32\n  func.return\n}\n',
        r"^{file}:2:3: error: 'ptensor.exp' op operand #0 must be a ranked tensor, got f32$",
    ),
    (
        "dynamic",
        "func.func @f(%x: tensor<?xf32>) {\n  %0 = ptensor.exp %x : tensor<?xf32>\n  func.return\n}\n",
        r"^{file}:2:3: error: 'ptensor.exp' op operand #0 has dynamic shape tensor<\?xf32>; "
        r"only static shapes are supported$",
    ),
    (
        "bad_property",
        "func.func @f(%x: tensor<2xf32>) {\n"
        "  %0 = ptensor.softmax %x {axis = 0 : i32} : tensor<2xf32> -> tensor<2xf32>\n"
        "  func.return\n}\n",
        r"^{file}:2:3: error: 'ptensor.softmax' op property 'axis' is invalid: .*i64.*i32$",
    ),
    (
        "nested_region",
        "func.func @f(%x: tensor<2xf32>, %c: i1) {\n  scf.if %c {\n"
        "    %0 = ptensor.reshape %x : tensor<2xf32> -> tensor<3xf32>\n  }\n  func.return\n}\n",
        r"^{file}:3:5: error: 'ptensor.reshape' op reshape from 2 \(2 elements\) to 3",
    ),
    (
        "undefined_value",
        "func.func @f() {\n  %0 = ptensor.exp %nope : tensor<2xf32>\n  func.return\n}\n",
        r"^{file}:2:20: error: use of undeclared SSA value name '%nope'$",
    ),
    (
        "truncated",
        "func.func @f(%x: tensor<2xf32>) {\n  %0 = ptensor.exp %x : tensor<2x",
        r"^{file}:2:\d+: error: ",
    ),
]


@pytest.mark.parametrize("name,program,pattern", BAD_PROGRAMS, ids=[b[0] for b in BAD_PROGRAMS])
def test_bad_program_gives_one_located_error(tmp_path: Path, name: str, program: str, pattern: str):
    path = tmp_path / f"{name}.mlir"
    path.write_text(program)
    proc = run(str(path))
    assert_clean_failure(proc, pattern.format(file=re.escape(str(path))))
    assert proc.stdout == ""
    assert len([line for line in proc.stderr.splitlines() if ": error: " in line]) == 1


def test_split_input_file_reports_each_chunk_at_its_line(tmp_path: Path):
    bad = "func.func @g(%x: tensor<2xi8>) {\n  %0 = ptensor.tanh %x : tensor<2xi8>\n  func.return\n}\n"
    path = tmp_path / "chunks.mlir"
    path.write_text(f"{VALID}// -----\n{bad}// -----\n{VALID}// -----\n{bad}")
    proc = run(str(path), "--split-input-file")
    assert_clean_failure(proc, rf"^{re.escape(str(path))}:8:3: error: 'ptensor.tanh' op")
    assert re.search(rf"^{re.escape(str(path))}:19:3: error: 'ptensor.tanh' op", proc.stderr, re.M)
    # The good chunks are still printed, separated like the input.
    assert proc.stdout.count("func.func @f") == 2
    assert proc.stdout.count("// -----") == 1


@pytest.mark.parametrize(
    "args,pattern",
    [
        (["-p", "canonicalise"], r"^pelemay-opt: error: unknown pass 'canonicalise' \(did you mean 'canonicalize'\?\); `pelemay-opt --list-passes` lists them all$"),
        (["-p", "bufferise,cse"], r"^pelemay-opt: error: unknown pass 'bufferise' \(did you mean 'bufferize'\?\);"),
        (["-p", "pelemay-to-cc"], r"^pelemay-opt: error: unknown pass 'pelemay-to-cc' \(did you mean 'pelemay-to-c'\?\);"),
        (["-p", "cse{depth=2}"], r"^pelemay-opt: error: bad options for pass 'cse': .*; valid options: none$"),
        (["-p", "cse,{"], r"^pelemay-opt: error: cannot parse pass pipeline 'cse,\{'"),
        (["-t", "verilog"], r"^pelemay-opt: error: unknown target 'verilog'; available targets: .*\bmlir\b"),
        (["--frobnicate"], r"^pelemay-opt: error: unrecognized arguments: --frobnicate$"),
    ],
    ids=["unknown-pass", "unknown-own-pass", "unknown-pipeline", "bad-option", "bad-pipeline", "unknown-target", "unknown-flag"],
)
def test_bad_command_line_names_the_problem(tmp_path: Path, args: list[str], pattern: str):
    path = tmp_path / "ok.mlir"
    path.write_text(VALID)
    proc = run(str(path), *args)
    assert_clean_failure(proc, pattern)
    assert proc.stderr.count("\n") == 1, proc.stderr  # one line, no usage block


def test_list_passes_shows_ours_first_with_a_description():
    proc = run("--list-passes")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    ours_end = lines.index("Pelemay IR pipelines:")
    xdsl_start = lines.index("xDSL passes:")
    assert lines[0] == "Pelemay IR passes:" and ours_end < xdsl_start
    ours = dict(line.split(maxsplit=1) for line in lines[1:ours_end])
    assert "bufferize" in ours and "plan-memory" in ours
    assert all(len(doc) > 10 for doc in ours.values()), ours
    pipelines = dict(line.split(maxsplit=1) for line in lines[ours_end + 1:xdsl_start])
    assert set(pipelines) >= {"pelemay-to-c", "pelemay-to-loops"}
    xdsl = [line.strip() for line in lines[xdsl_start + 1:]]
    assert "canonicalize" in xdsl and "cse" in xdsl and "bufferize" not in xdsl


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_output_file_mode_follows_the_umask(tmp_path: Path, umask: int):
    src = tmp_path / "in.mlir"
    src.write_text(VALID)
    out = tmp_path / "out.mlir"
    proc = subprocess.run(
        ["sh", "-c", f'umask {umask:03o} && exec "$@"', "sh", PELEMAY_OPT, str(src), "-o", str(out)],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask
    c_out = tmp_path / "f.c"
    proc = subprocess.run(
        ["sh", "-c", f'umask {umask:03o} && exec "$@"', "sh", PELEMAY_OPT, str(src),
         "-p", "pelemay-to-c", "-t", "c", "-o", str(c_out)],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    for written in (c_out, tmp_path / "f.h"):
        assert written.stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize(
    "make,pattern",
    [
        (lambda d: d / "missing.mlir", r"^pelemay-opt: error: cannot read '.*missing.mlir': No such file or directory$"),
        (lambda d: d, r"^pelemay-opt: error: cannot read '.*': Is a directory$"),
        (lambda d: (d / "latin1.mlir", (d / "latin1.mlir").write_bytes(b"// caf\xe9\n"))[0], r"^pelemay-opt: error: '.*latin1.mlir' is not UTF-8 text$"),
    ],
    ids=["missing", "directory", "not-utf8"],
)
def test_unreadable_input(tmp_path: Path, make, pattern: str):
    assert_clean_failure(run(str(make(tmp_path))), pattern)


@pytest.mark.parametrize(
    "extra",
    [[], ["--split-input-file"], ["-p", "nope"], ["-t", "nope"]],
    ids=["verify-error", "split-chunk-error", "bad-pass", "bad-target"],
)
def test_failed_run_leaves_output_file_unchanged(tmp_path: Path, extra: list[str]):
    src = tmp_path / "in.mlir"
    bad_chunk = "func.func @g(%x: tensor<2xi8>) {\n  %0 = ptensor.exp %x : tensor<2xi8>\n  func.return\n}\n"
    src.write_text(f"{VALID}// -----\n{bad_chunk}" if "--split-input-file" in extra else
                   (bad_chunk if not extra else VALID))
    out = tmp_path / "out.mlir"
    out.write_text("previous contents\n")
    proc = run(str(src), "-o", str(out), *extra)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert out.read_text() == "previous contents\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mlir", "out.mlir"]  # no temp left


def test_failed_run_does_not_create_output_file(tmp_path: Path):
    src = tmp_path / "in.mlir"
    src.write_text("func.func @f(%x: tensor<2xi8>) {\n  %0 = ptensor.log %x : tensor<2xi8>\n  func.return\n}\n")
    out = tmp_path / "sub" / "out.mlir"
    assert run(str(src), "-o", str(out)).returncode == 1
    assert not out.exists()


def test_successful_run_writes_output_file(tmp_path: Path):
    src = tmp_path / "in.mlir"
    src.write_text(VALID)
    out = tmp_path / "new" / "out.mlir"
    proc = run(str(src), "-o", str(out), "-p", "canonicalize,cse")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert "ptensor.relu" in out.read_text()
    assert run(str(out)).stdout == out.read_text()  # the output is valid input


@pytest.mark.parametrize("text", ["", "\n\n", "// only a comment\n"], ids=["empty", "blank", "comment"])
def test_empty_input_is_an_empty_module(tmp_path: Path, text: str):
    path = tmp_path / "empty.mlir"
    path.write_text(text)
    proc = run(str(path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "builtin.module {\n}\n"


@pytest.mark.parametrize("args", [[], ["-"]], ids=["implicit", "dash"])
def test_stdin_input(args: list[str]):
    proc = run(*args, stdin=VALID)
    assert proc.returncode == 0, proc.stderr
    assert "ptensor.add" in proc.stdout
    bad = run(*args, stdin="func.func @f() {\n  %0 = ptensor.bogus\n}\n")
    assert_clean_failure(bad, r"^<stdin>:2:3: error: unknown operation 'ptensor.bogus'$")


def test_version():
    proc = run("--version")
    assert proc.returncode == 0
    assert re.fullmatch(r"pelemay-opt \S+ \(xdsl 0\.74\.0\)\n", proc.stdout), proc.stdout


def test_internal_error_is_one_line_without_traceback(monkeypatch, capsys, tmp_path: Path):
    """A bug inside a pass or printer still ends as one line and exit code 1."""
    path = tmp_path / "ok.mlir"
    path.write_text(VALID)

    def broken_emit(*_args, **_kwargs):
        raise RuntimeError("printer exploded")

    monkeypatch.setattr(driver.registry, "emit", broken_emit)
    monkeypatch.delenv("PELEMAY_DEBUG", raising=False)
    assert driver.main([str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "pelemay-opt: internal error: RuntimeError: printer exploded "
        "(set PELEMAY_DEBUG=1 for a traceback)\n"
    )


# --- plain xdsl-opt, through the `xdsl.universe` plugin ---------------------

XDSL_OPT = tool("xdsl-opt")


def test_xdsl_opt_parses_ptensor_and_runs_its_own_passes(tmp_path: Path):
    path = tmp_path / "mixed.mlir"
    path.write_text(
        "func.func @f(%x: tensor<2xf32>, %i: i32) -> (tensor<2xf32>, i32) {\n"
        "  %a = ptensor.exp %x : tensor<2xf32>\n"
        "  %b = ptensor.exp %x : tensor<2xf32>\n"
        "  %s = ptensor.add %a, %b : tensor<2xf32>, tensor<2xf32> -> tensor<2xf32>\n"
        "  %z = arith.constant 0 : i32\n"
        "  %j = arith.addi %i, %z : i32\n"
        "  func.return %s, %j : tensor<2xf32>, i32\n}\n"
    )
    proc = run(str(path), "-p", "canonicalize,cse", tool_path=XDSL_OPT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("ptensor.exp") == 1  # cse merged the two
    assert "arith.addi" not in proc.stdout  # canonicalize folded x + 0
    generic = run(str(path), "--print-op-generic", tool_path=XDSL_OPT)
    assert '"ptensor.add"(%a, %b)' in generic.stdout


def test_xdsl_opt_keeps_its_own_dialects_and_targets(tmp_path: Path):
    path = tmp_path / "rv.mlir"
    path.write_text(
        "riscv_func.func @f() {\n  %0 = rv32.li 1 : !riscv.reg<a0>\n  riscv_func.return\n}\n"
    )
    proc = run(str(path), "-t", "riscv-asm", tool_path=XDSL_OPT)
    assert proc.returncode == 0, proc.stderr
    assert "li a0, 1" in proc.stdout


def test_xdsl_opt_parses_the_bundled_mlp():
    mlp = Path(__file__).resolve().parents[2] / "examples" / "mlp.mlir"
    proc = run(str(mlp), tool_path=XDSL_OPT)
    assert proc.returncode == 0, proc.stderr
    assert 'ptensor.weight "fc1.w" at 0 : tensor<784x256xf32>' in proc.stdout
    assert "func.func @mlp" in proc.stdout


# --- -o keeps the weights reachable ---------------------------------------------

WITH_WEIGHTS = """\
module attributes {ptensor.weights = "w.weights"} {
  func.func @f(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
    %w = ptensor.weight "w" at 0 : tensor<2x3xf32>
    %0 = ptensor.add %x, %w : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
    func.return %0 : tensor<2x3xf32>
  }
}
"""


def _model_with_weights(folder: Path) -> Path:
    folder.mkdir()
    (folder / "w.weights").write_bytes(np.arange(6, dtype="<f4").tobytes())
    src = folder / "m.mlir"
    src.write_text(WITH_WEIGHTS)
    return src


def test_output_elsewhere_carries_its_weights_and_runs(tmp_path: Path, monkeypatch):
    from pelemay_ir import run as pelemay_run

    src = _model_with_weights(tmp_path / "in")
    out = tmp_path / "out" / "lowered.mlir"
    proc = run(str(src), "-p", "canonicalize", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.parent.iterdir()) == ["lowered.mlir", "lowered.weights"]
    assert 'ptensor.weights = "lowered.weights"' in out.read_text()
    assert (out.parent / "lowered.weights").read_bytes() == (src.parent / "w.weights").read_bytes()
    monkeypatch.chdir(tmp_path)  # neither folder: the output finds its weights by itself
    result = pelemay_run.run_model(str(out), scalar=True)
    assert result["ok"] and result["max_abs_error"] == 0.0, result


def test_output_beside_input_keeps_naming_the_same_weights(tmp_path: Path):
    src = _model_with_weights(tmp_path / "in")
    out = src.parent / "copy.mlir"
    assert run(str(src), "-o", str(out)).returncode == 0
    assert 'ptensor.weights = "w.weights"' in out.read_text()
    assert sorted(p.name for p in src.parent.iterdir()) == ["copy.mlir", "m.mlir", "w.weights"]


def test_failed_run_writes_no_weights(tmp_path: Path):
    src = _model_with_weights(tmp_path / "in")
    src.write_text(WITH_WEIGHTS + "// -----\nfunc.func @g(%x: tensor<2xi8>) {\n  %0 = ptensor.exp %x : tensor<2xi8>\n  func.return\n}\n")
    out = tmp_path / "out" / "m.mlir"
    assert run(str(src), "--split-input-file", "-o", str(out)).returncode == 1
    assert not out.parent.exists() or not any(out.parent.iterdir())


MATMUL = """func.func @mm(%x: tensor<2x8xf32>, %w: tensor<8x8xf32>) -> tensor<2x8xf32> {
  %y = ptensor.matmul %x, %w : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
  func.return %y : tensor<2x8xf32>
}
"""


def test_printers_print_for_the_machine_the_module_was_lowered_for():
    lowered = ["-p", "pelemay-to-c{target=armv7}"]
    llvm = run(*lowered, "-t", "llvm", stdin=MATMUL)
    assert llvm.returncode == 0 and 'target triple = "armv7-unknown-linux-gnueabihf"' in llvm.stdout
    c = run(*lowered, "-t", "c", stdin=MATMUL)
    assert c.returncode == 0
    assert ("/* NEON intrinsics for armv7 (Cortex-A7/A15 (NEON with VFPv4 fused multiply-add)): build with "
            "arm-linux-gnueabihf-gcc -mcpu=cortex-a7 -mfpu=neon-vfpv4 -mfloat-abi=hard */\n#include <arm_neon.h>") in c.stdout
    assert_clean_failure(run(*lowered, "-t", "c{target=host}", stdin=MATMUL),
                         r"-t c\{target=host\}: the module was lowered for target 'armv7' \(pelemay.target\)")
    assert run(*lowered, "-t", "llvm{target=armv7}", stdin=MATMUL).stdout == llvm.stdout


@pytest.mark.parametrize("printer", ["c", "llvm"])
def test_printer_options_are_checked(printer: str):
    assert_clean_failure(run("-t", f"{printer}{{cpu=a53}}", stdin=MATMUL),
                         rf"unknown option 'cpu' of the {printer} target; valid options: target")
    assert_clean_failure(run("-t", f"{printer}{{target=vax}}", stdin=MATMUL), "unknown target 'vax'; valid machines: host")
