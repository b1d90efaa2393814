"""Generate the bundled example models (examples/*.mlir and *.weights).

    python tools/make_examples.py [--out DIR] [--only mlp lenet5 ...] [--no-stats]

The models are the standard architectures with random weights: what matters
for a compiler is their shapes, op mix and sizes, not trained accuracy. Each
model draws from its own seeded NumPy generator, so one model can be rebuilt
alone and the files are byte-identical on every run.

Initialisation keeps activations in a sane range on a unit-normal input: He
scaling (std sqrt(2 / fan_in)) before ReLU/ReLU6, LeCun scaling (sqrt(1 /
fan_in)) before linear outputs (bottlenecks, logits). Batch norm is folded
into the convolution as inference does it: random BN statistics, then
w' = w * gamma / sqrt(var + eps) and b' = beta - mean * gamma / sqrt(var + eps)
per output channel, so the programs contain no batch_norm ops.

Padding is TensorFlow's "same", given explicitly as (top, bottom, left,
right): a stride-1 3x3 convolution pads [1, 1, 1, 1]; a stride-2 3x3
convolution on an even size pads [0, 1, 0, 1] (the extra row and column go
at the bottom and right), as in the Keras/TFLite MobileNets.

Every parameter tensor (biases included) lives in the weights side file, so
the .mlir text stays small and fast to parse.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

from pelemay_ir.builder import ProgramBuilder, Tensor

BN_EPSILON = 1e-3
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


class Net:
    """A ProgramBuilder plus the seeded generator and layer helpers the models share."""

    def __init__(self, name: str):
        self.b = ProgramBuilder(name)
        self.rng = np.random.default_rng(zlib.crc32(name.encode()))

    def normal(self, shape: tuple[int, ...], std: float) -> np.ndarray:
        return (self.rng.standard_normal(shape) * std).astype(np.float32)

    def dense(self, x: Tensor, units: int, key: str, gain: float = 2.0) -> Tensor:
        """x @ W + b; `gain` 2 for a ReLU after it (He), 1 for a linear output."""
        fan_in = x.shape[-1]
        w = self.b.weight(f"{key}.w", self.normal((fan_in, units), math.sqrt(gain / fan_in)))
        bias = self.b.weight(f"{key}.b", self.normal((units,), 0.01))
        return self.b.add(self.b.matmul(x, w, name=f"{key}.matmul"), bias, name=key)

    def conv(
        self,
        x: Tensor,
        out_channels: int,
        kernel: int,
        key: str,
        stride: int = 1,
        depthwise: bool = False,
        padding: tuple[int, int, int, int] | None = None,
        gain: float = 2.0,
        batch_norm: bool = True,
    ) -> Tensor:
        """Conv2d with a bias; TF-"same" padding unless given; BN folded in."""
        channels = x.shape[3]
        groups = channels if depthwise else 1
        if depthwise:
            out_channels = channels
        per_group = channels // groups
        fan_in = kernel * kernel * per_group
        w = self.normal((kernel, kernel, per_group, out_channels), math.sqrt(gain / fan_in))
        bias = self.normal((out_channels,), 0.01)
        if batch_norm:
            w, bias = self.fold_batch_norm(w, out_channels)
        if padding is None:
            padding = (*same_padding(x.shape[1], kernel, stride), *same_padding(x.shape[2], kernel, stride))
        return self.b.conv2d(
            x,
            self.b.weight(f"{key}.w", w),
            self.b.weight(f"{key}.b", bias),
            strides=(stride, stride),
            padding=padding,
            groups=groups,
            name=key,
        )

    def fold_batch_norm(self, w: np.ndarray, channels: int) -> tuple[np.ndarray, np.ndarray]:
        """Random inference BN statistics folded into HWCF weights and a bias."""
        gamma = self.rng.uniform(0.8, 1.2, channels)
        beta = self.rng.normal(0.0, 0.1, channels)
        mean = self.rng.normal(0.0, 0.1, channels)
        var = self.rng.uniform(0.8, 1.2, channels)
        scale = gamma / np.sqrt(var + BN_EPSILON)
        folded_w = (w.astype(np.float64) * scale).astype(np.float32)
        folded_b = (beta - mean * scale).astype(np.float32)
        return folded_w, folded_b

    def classifier(self, x: Tensor, classes: int, softmax: bool) -> Tensor:
        """Global average pool, flatten, fc, and softmax (or the logits)."""
        batch, h, w, c = x.shape
        pooled = self.b.avg_pool2d(x, (h, w), name="pool")
        flat = self.b.reshape(pooled, (batch, c), name="flatten")
        logits = self.dense(flat, classes, "fc", gain=1.0)
        return self.b.softmax(logits, name="probs") if softmax else logits


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow "same": output ceil(size / stride); the odd pixel goes after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


# --- the models ----------------------------------------------------------------


def mlp(batch: int = 1) -> ProgramBuilder:
    """1x784 -> 256 -> 128 -> 10 with ReLU between (no softmax: logits out)."""
    n = Net("mlp")
    b = n.b
    x = b.argument("x", (batch, 784), "f32")
    h = b.relu(n.dense(x, 256, "fc1"), name="fc1.relu")
    h = b.relu(n.dense(h, 128, "fc2"), name="fc2.relu")
    b.returns(n.dense(h, 10, "fc3", gain=1.0))
    return b


def lenet5(batch: int = 1) -> ProgramBuilder:
    """The classic LeNet-5 on a 32x32 NHWC image (valid convolutions, no BN)."""
    n = Net("lenet5")
    b = n.b
    x = b.argument("x", (batch, 32, 32, 1), "f32")
    h = b.relu(n.conv(x, 6, 5, "conv1", padding=(0, 0, 0, 0), batch_norm=False), name="conv1.relu")
    h = b.avg_pool2d(h, (2, 2), (2, 2), name="pool1")
    h = b.relu(n.conv(h, 16, 5, "conv2", padding=(0, 0, 0, 0), batch_norm=False), name="conv2.relu")
    h = b.avg_pool2d(h, (2, 2), (2, 2), name="pool2")
    h = b.reshape(h, (batch, 400), name="flatten")
    h = b.relu(n.dense(h, 120, "fc1"), name="fc1.relu")
    h = b.relu(n.dense(h, 84, "fc2"), name="fc2.relu")
    b.returns(n.dense(h, 10, "fc3", gain=1.0))
    return b


# (pointwise output channels, depthwise stride) of MobileNet v1's 13 blocks.
MOBILENET_V1_BLOCKS = [
    (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
    (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1),
]  # fmt: skip


def mobilenet_v1(softmax: bool = True, batch: int = 1) -> ProgramBuilder:
    """MobileNet v1, width 1.0, 224x224: conv 3x3/2 then 13 depthwise-separable blocks."""
    n = Net("mobilenet_v1")
    b = n.b
    h = b.argument("x", (batch, 224, 224, 3), "f32")
    h = b.relu6(n.conv(h, 32, 3, "conv1", stride=2), name="conv1.relu6")
    for i, (channels, stride) in enumerate(MOBILENET_V1_BLOCKS, start=1):
        h = b.relu6(n.conv(h, 0, 3, f"b{i}.dw", stride=stride, depthwise=True), name=f"b{i}.dw.relu6")
        h = b.relu6(n.conv(h, channels, 1, f"b{i}.pw"), name=f"b{i}.pw.relu6")
    b.returns(n.classifier(h, 1000, softmax))
    return b


# (expansion t, output channels c, repeats n, first stride s) of MobileNet v2.
MOBILENET_V2_STAGES = [
    (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
    (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
]  # fmt: skip


def mobilenet_v2(softmax: bool = True, batch: int = 1) -> ProgramBuilder:
    """MobileNet v2, width 1.0, 224x224: inverted residuals with linear bottlenecks."""
    n = Net("mobilenet_v2")
    b = n.b
    h = b.argument("x", (batch, 224, 224, 3), "f32")
    h = b.relu6(n.conv(h, 32, 3, "conv1", stride=2), name="conv1.relu6")
    block = 0
    for t, c, repeats, first_stride in MOBILENET_V2_STAGES:
        for r in range(repeats):
            block += 1
            stride = first_stride if r == 0 else 1
            key = f"b{block}"
            x = h
            if t != 1:
                h = b.relu6(n.conv(h, x.shape[3] * t, 1, f"{key}.expand"), name=f"{key}.expand.relu6")
            h = b.relu6(n.conv(h, 0, 3, f"{key}.dw", stride=stride, depthwise=True), name=f"{key}.dw.relu6")
            h = n.conv(h, c, 1, f"{key}.project", gain=1.0)
            if stride == 1 and x.shape[3] == c:
                h = b.add(x, h, name=f"{key}.add")
    h = b.relu6(n.conv(h, 1280, 1, "conv_last"), name="conv_last.relu6")
    b.returns(n.classifier(h, 1000, softmax))
    return b


def resblock(batch: int = 1) -> ProgramBuilder:
    """A ResNet basic block on 1x56x56x64: conv-relu-conv, add the skip, relu."""
    n = Net("resblock")
    b = n.b
    x = b.argument("x", (batch, 56, 56, 64), "f32")
    h = b.relu(n.conv(x, 64, 3, "conv1"), name="conv1.relu")
    h = n.conv(h, 64, 3, "conv2", gain=1.0)
    b.returns(b.relu(b.add(h, x, name="add"), name="out"))
    return b


MODELS: dict[str, Callable[..., ProgramBuilder]] = {
    "mlp": mlp,
    "lenet5": lenet5,
    "resblock": resblock,
    "mobilenet_v1": mobilenet_v1,
    "mobilenet_v2": mobilenet_v2,
}
CLASSIFIERS = {"mobilenet_v1", "mobilenet_v2"}  # end in softmax; take softmax=False


def generate(name: str, out_dir: Path) -> Path:
    """Write OUT/NAME.mlir (and NAME.weights); returns the .mlir path."""
    return MODELS[name]().save(out_dir / f"{name}.mlir")


def activation_stats(name: str) -> str:
    """Spread of the output and of every intermediate on a seeded unit-normal input.

    A healthy initialisation keeps every layer's standard deviation within a
    couple of orders of magnitude of 1 (ReLU6 layers saturate at 6). For
    classifiers the logits are measured (a softmax output hides their scale).
    """
    try:
        from pelemay_ir import reference
    except ImportError:
        return "(no reference evaluator to measure activations)"
    builder = MODELS[name](softmax=False) if name in CLASSIFIERS else MODELS[name]()
    module = builder.build()
    rng = np.random.default_rng(0)
    values = {
        t.value: rng.standard_normal(t.shape).astype(np.float32) for t in builder.arguments
    }
    stds = []
    for op in reference.entry_function(module).body.block.ops:
        if op.name == "func.return":
            break
        out = reference.apply(op, [values[v] for v in op.operands], module)
        values[op.results[0]] = out
        if op.name != "ptensor.weight":
            stds.append(float(out.std()))
    out = values[reference.entry_function(module).body.block.last_op.operands[0]]
    label = "logits" if name in CLASSIFIERS else "out"
    return (
        f"{label} std {out.std():.3g} max|x| {np.abs(out).max():.3g}; "
        f"layer std {min(stds):.3g}..{max(stds):.3g}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=EXAMPLES, help=f"output folder (default {EXAMPLES})")
    parser.add_argument("--only", nargs="+", choices=list(MODELS), help="models to write")
    parser.add_argument(
        "--no-stats", dest="stats", action="store_false", help="skip the activation statistics"
    )
    args = parser.parse_args(argv)
    total = time.perf_counter()
    for name in args.only or list(MODELS):
        start = time.perf_counter()
        path = generate(name, args.out)
        elapsed = time.perf_counter() - start
        weights = path.with_suffix(".weights")
        wsize = weights.stat().st_size if weights.exists() else 0
        line = (
            f"{name:13s} {path.stat().st_size:8d} B text {wsize:10d} B weights "
            f"{elapsed:6.2f} s"
        )
        if args.stats:
            line += "  " + activation_stats(name)
        print(line, flush=True)
    print(f"generated in {time.perf_counter() - total:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
