"""The README's main job runs end to end and leaves its files behind."""

from pathlib import Path

from pelemay_ir import demo

ROOT = Path(__file__).resolve().parents[2]


def test_demo_compiles_runs_and_checks(tmp_path, capsys):
    assert demo.main([str(ROOT / "examples" / "mlp.mlir"), "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "arena 1536 B" in text and text.rstrip().endswith("ok")
    for suffix in (".c", ".h", ".plan.json", ".plan.txt", ".plan.svg"):
        assert (tmp_path / f"mlp{suffix}").is_file()


def test_demo_reports_a_bad_model(tmp_path, capsys):
    bad = tmp_path / "bad.mlir"
    bad.write_text("func.func @f(%x: tensor<2xf32>) -> tensor<3xf32> {\n  func.return %x : tensor<2xf32>\n}\n")
    assert demo.main([str(bad), "--out", str(tmp_path)]) == 1
    assert "bad.mlir:2:3: error:" in capsys.readouterr().err
