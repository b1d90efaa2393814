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
anchors = sys.modules["anchors"]
anchor_xnnpack = sys.modules["anchor_xnnpack"]
anchor_ort = sys.modules["anchor_ort"]

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


# --- the XNNPACK and onnxruntime anchors (no network needed) ---------------------


def _model(name):
    from pelemay_ir import ir

    return ir.load(ROOT / "examples" / f"{name}.mlir")


def test_xnnpack_driver_fuses_bias_and_activation_like_a_converter():
    program = anchor_xnnpack.translate(_model("mlp"))
    source = program.source
    # three matmul + bias layers: fully-connected nodes with the bias, the
    # relus folded into their output range, nothing left for add or clamp
    assert source.count("xnn_define_fully_connected(") == 3
    assert source.count("XNN_FLAG_TRANSPOSE_WEIGHTS") == 3
    assert source.count("0.0f, INFINITY") == 2
    assert "xnn_define_add2" not in source and "xnn_define_clamp" not in source
    assert "XNN_INVALID_VALUE_ID, v" not in source  # every fully-connected node has a bias
    assert program.input_shapes == [(1, 784)] and program.output_shapes == [(1, 10)]
    assert "anchor_run(runtime);" in source and source.count("anchor_run(") == 2


def test_xnnpack_constants_are_the_weights_in_xnnpack_layouts():
    from pelemay_ir import weights
    from pelemay_ir.dialects import ptensor as pt

    module = _model("lenet5")
    program = anchor_xnnpack.translate(module)
    blob = np.frombuffer(program.constants, np.float32)
    ops = {op.key.data: op for op in module.walk() if isinstance(op, pt.WeightOp)}

    def read(name):
        op = ops[name]
        return np.array(weights.read(module, name, op.offset.value.data, op.results[0].type))

    def holds(array):
        flat = np.ascontiguousarray(array, np.float32).ravel()
        starts = np.flatnonzero(blob == flat[0])
        return any(np.array_equal(blob[s:s + flat.size], flat) for s in starts)

    conv2 = read("conv2.w")  # HWIO 5x5x6x16 -> XNNPACK's OHWI
    assert holds(conv2.transpose(3, 0, 1, 2)) and not holds(conv2)
    assert holds(read("fc1.w"))  # [in, out] as is: the transposed-weights flag
    assert holds(read("fc1.b"))
    assert "xnn_define_average_pooling_2d(g, 0, 0, 0, 0, 2, 2, 2, 2," in program.source
    assert "xnn_define_static_reshape(g, 2," in program.source


def test_xnnpack_depthwise_and_global_pooling():
    program = anchor_xnnpack.translate(_model("mobilenet_v2"))
    assert program.source.count("xnn_define_depthwise_convolution_2d(") == 17
    assert "xnn_define_global_average_pooling_2d(" in program.source
    assert "xnn_define_softmax(" in program.source
    # residual adds stay adds; relu6 is folded into the convolutions
    assert program.source.count("xnn_define_add2(") == 10
    assert program.source.count("0.0f, 6.0f") == 35


def test_xnnpack_rejects_what_it_cannot_spell():
    from pelemay_ir.builder import ProgramBuilder

    b = ProgramBuilder("e")
    b.returns(b.exp(b.argument("a", (4,))))
    with pytest.raises(anchor_xnnpack.NotExpressible, match="ptensor.exp"):
        anchor_xnnpack.translate(b.build())
    b = ProgramBuilder("m")  # a matmul by a computed (non-weight) matrix
    b.returns(b.matmul(b.argument("a", (2, 3)), b.argument("b", (3, 4))))
    with pytest.raises(anchor_xnnpack.NotExpressible, match="static weights"):
        anchor_xnnpack.translate(b.build())


def test_ort_driver_uses_the_stable_api_table():
    source = anchor_ort.driver_source([(1, 1, 32, 32)], ["in0"], [(1, 10)], ["out0"])
    for name, index in anchor_ort.API_INDEX.items():
        assert f"#define API_{name} {index}" in source
    assert "static const int64_t in_shape0[] = {1, 1, 32, 32};" in source
    assert '"1.32.0"' in source and "GetApi(32)" in source
    assert "SetIntraOpNumThreads])(options, 1)" in source
    assert source.count("anchor_run(") == 2


def test_board_files_describe_an_arm_board(tmp_path):
    board = anchors.BOARDS["aarch64"]
    anchors.write_board_files(tmp_path, board)
    cpuinfo = (tmp_path / "proc" / "cpuinfo").read_text()
    assert cpuinfo.count("processor\t:") == 4
    assert cpuinfo.count("CPU part\t: 0xd08") == 4  # Cortex-A72, Raspberry Pi 4
    assert "asimd" in cpuinfo
    cpu = tmp_path / "sys" / "devices" / "system" / "cpu"
    assert (cpu / "possible").read_text() == "0-3\n"
    assert (cpu / "cpu3" / "cpufreq" / "cpuinfo_max_freq").read_text() == "1500000\n"
    armv7 = anchors.BOARDS["armv7"].cpuinfo
    assert "CPU part\t: 0xc07" in armv7 and " neon " in armv7 and "vfpv4" in armv7


def test_sysroot_joins_the_cross_libc_the_libraries_and_the_board(tmp_path, monkeypatch):
    monkeypatch.setenv("PELEMAY_CACHE", str(tmp_path / "cache"))
    library = tmp_path / "libdemo.so.0"
    library.write_bytes(b"")
    root = anchors.sysroot("armv7", [library], tag="test")
    assert root.parent == tmp_path / "cache" / "anchors"
    assert (root / "lib").resolve() == Path("/usr/arm-linux-gnueabihf/lib").resolve()
    assert (root / "usr/lib/arm-linux-gnueabihf/libdemo.so.0").resolve() == library.resolve()
    assert "0xc07" in (root / "proc" / "cpuinfo").read_text()
    m = anchors.machine_in("armv7", root)
    assert m.runner[m.runner.index("-L") + 1] == str(root)
    assert m.runner[:3] == ("qemu-arm", "-cpu", "cortex-a7")


def test_unfetchable_anchor_is_a_note_not_a_failure(tmp_path, monkeypatch):
    monkeypatch.setenv("PELEMAY_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(anchors, "DEBIAN_MIRROR", "http://127.0.0.1:9/debian")
    monkeypatch.setattr(anchors, "PYPI_INDEX", "http://127.0.0.1:9/simple")
    with pytest.raises(anchors.AnchorUnavailable, match="arm64 XNNPACK"):
        anchors.debian_root("arm64")
    with pytest.raises(anchors.AnchorUnavailable, match="cannot fetch the onnxruntime"):
        anchors.ort_root()
    monkeypatch.setattr(bench, "_unavailable", {})
    program = bench.programs(["mlp"])[0]
    inputs = bench.inputs_of(program)
    cells = {a.key: bench.measure_anchor(a, program.source, "aarch64", inputs, [])
             for a in bench.ANCHORS}
    assert {c.status for c in cells.values()} == {"unavailable"}
    row = bench.Row(program, {("aarch64", "neon"): bench.Cell(100),
                              ("aarch64", "scalar"): bench.Cell(200),
                              ("aarch64", "gcc"): bench.Cell(150),
                              **{("aarch64", k): c for k, c in cells.items()}})
    text = bench.report([row], ["aarch64"], "python bench/arm.py")
    line = next(x for x in text.splitlines() if x.startswith("| mlp:"))
    assert line.count("unavailable") == 2
    assert "## Anchors not measured" in text and "## Failures" not in text
    notes = [x for x in text.splitlines() if x.startswith("- xnnpack aarch64: unavailable: ")]
    assert len(notes) == 1 and "arm64 XNNPACK" in notes[0]


@pytest.mark.slow
def test_anchors_count_checked_runs():
    """Fetches the libraries (network on first use), then counts real runs."""
    from pelemay_ir import reference

    program = bench.programs(["lenet5"])[0]
    inputs = bench.inputs_of(program)
    expected = reference.evaluate(program.source, inputs)
    for anchor in bench.ANCHORS:
        for target in anchor.targets:
            cell = bench.measure_anchor(anchor, program.source, target, inputs, expected)
            assert cell.status != "unavailable", cell.detail  # this test is about the anchors: fetching is part of it
            assert cell.status == "ok" and cell.count > 100_000, (anchor.key, target, cell)
