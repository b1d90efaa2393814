"""docs/ops.md: generated from the op definitions, with an entry and an example pelemay-opt parses for every op."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("gen_op_docs", ROOT / "tools" / "gen_op_docs.py")
gen = importlib.util.module_from_spec(_spec)
sys.modules["gen_op_docs"] = gen  # its dataclass looks itself up there
_spec.loader.exec_module(gen)

OPS = [op.get_irdl_definition().name for dialect in gen.DIALECTS for op in dialect.operations]


def test_docs_ops_md_is_what_the_op_definitions_generate():
    assert (ROOT / "docs" / "ops.md").read_text() == gen.render(), (
        "docs/ops.md is out of date: run python tools/gen_op_docs.py > docs/ops.md"
    )


def test_the_check_flag_agrees():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_op_docs.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_every_op_has_an_entry_whose_example_pelemay_opt_parses(tmp_path):
    text = (ROOT / "docs" / "ops.md").read_text()
    examples = gen.examples()
    assert sorted(examples) == sorted(OPS)  # no op without an example, no example of a vanished op
    for name in OPS:
        assert f"### `{name}`\n" in text, f"docs/ops.md has no entry for {name}"
        entry = text.split(f"### `{name}`\n", 1)[1].split("\n### ", 1)[0]
        shown = re.search(r"```mlir\n(.*?)\n```", entry, re.S)
        assert shown is not None and shown.group(1) == examples[name].body, name
        assert name in shown.group(1)

    # Every example, as its checked program, through pelemay-opt in one run.
    source = tmp_path / "examples.mlir"
    source.write_text("// -----\n".join(examples[name].program() for name in OPS))
    result = subprocess.run([sys.executable, "-m", "pelemay_ir.driver", str(source), "--split-input-file"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    chunks = result.stdout.split("// -----\n")
    assert len(chunks) == len(OPS)
    for name, chunk in zip(OPS, chunks):
        assert re.search(rf"{re.escape(name)}\s", chunk), (name, chunk)


@pytest.mark.parametrize(
    "example, message",
    [
        # Shapes that do not broadcast.
        (gen.Example("%y = ptensor.add %a, %b : tensor<2xf32>, tensor<3xf32> -> tensor<3xf32>",
                     "%a: tensor<2xf32>, %b: tensor<3xf32>"), "is rejected"),
        # Parses, but not in the printer's spelling (the generic form).
        (gen.Example('%y = "ptensor.add"(%a, %b) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>',
                     "%a: tensor<3xf32>, %b: tensor<3xf32>"), "prints as"),
        (gen.Example("%y = ptensor.sub %a, %b : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>",
                     "%a: tensor<3xf32>, %b: tensor<3xf32>"), "has no ptensor.add op"),
    ],
)
def test_a_wrong_example_is_named(example, message):
    with pytest.raises(gen.ExampleError, match=message) as error:
        gen.check("ptensor.add", example)
    assert "ptensor.add" in str(error.value)
