"""Networks a framework exported: MobileNet v2, ResNet-18, a transformer
encoder with token embeddings and an LSTM, written in torch.nn with seeded
random weights, exported by torch.onnx.export's default exporter, imported,
compiled and compared with onnxruntime's outputs on the same file.

The host C path runs the two small networks in the default tier; the two
convolutional ones and the aarch64 builds (qemu-user, compared with
onnxruntime's host outputs) are in the slow tier.
"""

from __future__ import annotations

import numpy as np
import pytest

import onnx_networks  # torch, onnxscript and onnxruntime: the test extra installs them

import pelemay_ir

TOLERANCE = {"rtol": 1e-3, "atol": 1e-4}
"""Float32 throughout: our order of summation differs from onnxruntime's, so
results agree to rounding, not bit for bit (measured: under 1e-6 on the host)."""


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """name -> (onnx path, input, onnxruntime's outputs), exported once per module."""
    cache: dict[str, tuple] = {}

    def get(name: str):
        if name not in cache:
            path, x = onnx_networks.export(name, tmp_path_factory.mktemp(name))
            cache[name] = (path, x, onnx_networks.onnxruntime_outputs(path, x))
        return cache[name]

    return get


def _feed(x: np.ndarray) -> np.ndarray:
    """int64 inputs are int32 arrays at the compiled function's interface."""
    return x.astype(np.int32) if x.dtype == np.int64 else x


def _check(name: str, exported, target: str = "host") -> None:
    path, x, want = exported(name)
    module = pelemay_ir.import_onnx(path)
    run = pelemay_ir.compile(module, target=target, weights="external")
    got = run(_feed(x))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape
        np.testing.assert_allclose(g, w, **TOLERANCE)


@pytest.mark.parametrize("name", ["transformer", "lstm"])
def test_small_network_on_host(name, exported):
    _check(name, exported)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["mobilenet_v2", "resnet18"])
def test_convolutional_network_on_host(name, exported):
    _check(name, exported)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(onnx_networks.NETWORKS))
def test_network_on_aarch64(name, exported):
    _check(name, exported, target="aarch64")


def test_exported_interface_is_kept(exported):
    """The function keeps the graph's interface: the token ids stay one
    argument of the graph's shape (int32 at the interface), logits come out
    in the graph's shape."""
    path, x, want = exported("transformer")
    module = pelemay_ir.import_onnx(path)
    run = pelemay_ir.compile(module, weights="external")
    (inp,) = run.interface.inputs
    assert inp.shape == x.shape and inp.dtype == np.int32
    assert [o.shape for o in run.interface.outputs] == [w.shape for w in want]
    with pytest.raises(TypeError, match="int32"):
        run(x)  # int64 arrays are not narrowed silently
