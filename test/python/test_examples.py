"""The bundled example models: they load, match their generator byte for byte,
their weights files hold exactly their weights, and they evaluate sanely."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from xdsl.dialects import func
from xdsl.dialects.builtin import TensorType

from pelemay_ir import dtypes, ir, reference, weights
from pelemay_ir.dialects import ptensor

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SMALL = ["mlp", "lenet5", "resblock"]
LARGE = ["mobilenet_v1", "mobilenet_v2"]


def _load_generator():
    spec = importlib.util.spec_from_file_location("make_examples", ROOT / "tools" / "make_examples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_examples = _load_generator()


def _entry(module) -> func.FuncOp:
    functions = [op for op in module.ops if isinstance(op, func.FuncOp)]
    assert len(functions) == 1
    return functions[0]


def test_the_committed_models_are_exactly_the_generated_ones():
    assert sorted(p.stem for p in EXAMPLES.glob("*.mlir")) == sorted(make_examples.MODELS)
    assert sorted(SMALL + LARGE) == sorted(make_examples.MODELS)


@pytest.mark.parametrize("name", SMALL + LARGE)
def test_model_loads_and_its_entry_is_named_after_the_file(name):
    path = EXAMPLES / f"{name}.mlir"
    module = ir.load(path)
    assert _entry(module).sym_name.data == name
    assert path.stat().st_size < 64 * 1024, "weights belong in the side file, not the text"


@pytest.mark.parametrize("name", SMALL + LARGE)
def test_weights_file_holds_exactly_the_weight_ops(name):
    module = ir.load(EXAMPLES / f"{name}.mlir")
    spans = []
    for op in module.walk():
        if isinstance(op, ptensor.WeightOp):
            t = op.result.type
            assert isinstance(t, TensorType)
            size = int(np.prod(t.get_shape())) * dtypes.numpy_dtype(t.element_type).itemsize
            spans.append((op.offset.value.data, size))
    spans.sort()
    assert spans, "every example has weights"
    for (start, size), (next_start, _) in zip(spans, spans[1:]):
        assert start + size <= next_start, "weights overlap"
    assert all(start % weights.WEIGHT_ALIGN == 0 for start, _ in spans)
    path = weights.weights_path(module)
    assert path == EXAMPLES / f"{name}.weights"
    last_start, last_size = spans[-1]
    assert path.stat().st_size == last_start + last_size


def _regenerate_and_compare(names, out: Path):
    assert make_examples.main(["--out", str(out), "--only", *names, "--no-stats"]) == 0
    for name in names:
        for suffix in (".mlir", ".weights"):
            fresh = (out / name).with_suffix(suffix).read_bytes()
            committed = (EXAMPLES / name).with_suffix(suffix).read_bytes()
            assert fresh == committed, f"{name}{suffix} differs from a fresh generation"


def test_generator_reproduces_the_small_models(tmp_path: Path):
    _regenerate_and_compare(SMALL, tmp_path)


def test_generator_reproduces_the_mobilenets(tmp_path: Path):
    """31 MB of weights, but under a second: cheap enough for the default tier."""
    _regenerate_and_compare(LARGE, tmp_path)


@pytest.mark.parametrize("name", SMALL + LARGE)
def test_model_evaluates_to_finite_outputs_of_the_declared_shape(name):
    path = EXAMPLES / f"{name}.mlir"
    fn = _entry(ir.load(path))
    rng = np.random.default_rng(0)
    inputs = [
        rng.standard_normal(tuple(t.get_shape())).astype(dtypes.numpy_dtype(t.element_type))
        for t in fn.function_type.inputs.data
    ]
    outputs = reference.evaluate(path, inputs)
    assert len(outputs) == len(fn.function_type.outputs.data)
    for out, t in zip(outputs, fn.function_type.outputs.data):
        assert out.shape == tuple(t.get_shape())
        assert np.isfinite(out).all()
    ends_in_softmax = isinstance(fn.body.block.last_op.operands[0].owner, ptensor.SoftmaxOp)
    assert ends_in_softmax == (name in make_examples.CLASSIFIERS)
    if ends_in_softmax:
        (probs,) = outputs
        assert (probs >= 0).all()
        np.testing.assert_allclose(probs.sum(axis=-1), 1.0, rtol=1e-5)
        assert probs.max() < 0.5, "logits exploded: softmax is nearly one-hot"
    else:
        assert 1e-2 < float(outputs[0].std()) < 1e2, "activations vanished or exploded"
