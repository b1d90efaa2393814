"""The ONNX importer: a declared list of ONNX node tests passes end to end
(import -> pelemay_ir.compile on the host C path -> compare with onnx's
expected outputs), and an unsupported op is one line naming the node."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import onnx_node_report  # noqa: E402

MUST_PASS = [
    "test_abs", "test_relu", "test_add", "test_add_bcast", "test_conv_with_strides_padding",
    "test_conv_with_autopad_same", "test_maxpool_2d_default", "test_gemm_default_no_bias",
    "test_softmax_axis_0", "test_lstm_defaults", "test_batchnorm_example", "test_identity",
    "test_transpose_default", "test_leakyrelu", "test_leakyrelu_default",
]


@pytest.fixture(scope="module")
def cases():
    return {c.name: c for c in onnx_node_report.load_cases()}


@pytest.mark.parametrize("name", MUST_PASS)
def test_node_test_passes(cases, name):
    outcome = onnx_node_report.run_case(cases[name])
    assert outcome.status == "pass", outcome.reason


def test_unsupported_op_is_one_line(tmp_path):
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
    node = helper.make_node("Sin", ["x"], ["y"], name="my_sin")
    model = helper.make_model(helper.make_graph([node], "g", [x], [y]), opset_imports=[helper.make_opsetid("", 17)])
    path = tmp_path / "m.onnx"
    onnx.save(model, str(path))
    out = tmp_path / "out" / "m.mlir"
    proc = subprocess.run([sys.executable, "-m", "pelemay_ir.onnx_import", str(path), "-o", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.strip().count("\n") == 0
    assert "my_sin" in proc.stderr and "Sin" in proc.stderr
    assert not out.exists()
    from pelemay_ir.onnx_import import OnnxImportError, import_onnx

    with pytest.raises(OnnxImportError, match="my_sin"):
        import_onnx(model)
