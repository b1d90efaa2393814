"""Random programs whose intermediates are also returned, used twice and read
by ops of every family, through every path (C, LLVM, two threads, scalar).

Fusion, in-place reuse and the memory plan all decide from who else reads a
value; a returned or shared intermediate is where such a decision can drop a
store. Each seed builds one program with the builder, runs it compiled and
through the reference evaluator, and compares every output.

Default tier: 100 programs, each through one path in turn. `-m slow`: 1,000
programs, each through all four paths.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

import pelemay_ir
from pelemay_ir import reference
from pelemay_ir.builder import ProgramBuilder, Tensor
from pelemay_ir.run import compare

PATHS = {
    "c": dict(emit="c"),
    "llvm": dict(emit="llvm"),
    "threads2": dict(emit="c", threads=2, min_work=0),
    "scalar": dict(emit="c", vectorize=False),
}


@dataclass
class RandomProgram:
    builder: ProgramBuilder
    inputs: list[np.ndarray]


def _pick(rng: np.random.Generator, values: list[Tensor], rank: int | None = None) -> Tensor | None:
    fit = [v for v in values if rank is None or len(v.shape) == rank]
    return fit[int(rng.integers(len(fit)))] if fit else None


def random_program(seed: int) -> RandomProgram:
    """A program of 3-7 ops over a matrix and an image whose intermediates
    feed several ops; one of them is read by an elementwise op and returned."""
    rng = np.random.default_rng(seed)
    b = ProgramBuilder(f"shared{seed}")
    inputs: list[np.ndarray] = []

    def argument(shape: tuple[int, ...]) -> Tensor:
        inputs.append(rng.uniform(-1.0, 1.0, shape).astype(np.float32))
        return b.argument(f"a{len(inputs) - 1}", shape, "f32")

    m, k = int(rng.integers(1, 6)), int(rng.integers(1, 12))
    h, w, c = int(rng.integers(3, 7)), int(rng.integers(3, 7)), int(rng.integers(1, 6))
    values = [argument((m, k)), argument((1, h, w, c))]
    uses: dict[int, int] = {}

    def use(v: Tensor) -> Tensor:
        uses[id(v)] = uses.get(id(v), 0) + 1
        return v

    def matmul(x: Tensor) -> Tensor:
        n = int(rng.integers(1, 20))
        return b.matmul(use(x), argument((x.shape[-1], n)))

    def conv(x: Tensor) -> Tensor:
        size, f = int(rng.choice([1, 3])), int(rng.integers(1, 9))
        depthwise = size == 3 and rng.random() < 0.3
        groups = x.shape[3] if depthwise else 1
        filter_ = argument((size, size, 1 if depthwise else x.shape[3], x.shape[3] if depthwise else f))
        bias = argument((filter_.shape[3],)) if rng.random() < 0.5 else None
        pad = (size // 2,) * 4 if rng.random() < 0.7 else (0, 0, 0, 0)
        if x.shape[1] + pad[0] + pad[1] < size or x.shape[2] + pad[2] + pad[3] < size:
            pad = (size // 2,) * 4
        return b.conv2d(use(x), filter_, bias, padding=pad, groups=groups)

    def pool(x: Tensor) -> Tensor:
        kind = b.max_pool2d if rng.random() < 0.5 else b.avg_pool2d
        return kind(use(x), (2, 2), (1, 1))

    def unary(x: Tensor) -> Tensor:
        op = rng.choice(["relu", "relu6", "neg", "abs", "tanh", "sigmoid", "clamp"])
        if op == "clamp":
            return b.clamp(use(x), -0.5, 0.5)
        return getattr(b, op)(use(x))

    def binary(x: Tensor) -> Tensor:
        op = str(rng.choice(["add", "sub", "mul", "max", "min", "div"]))
        other_kind = rng.choice(["same", "self", "bias", "argument"])
        if op == "div":  # a divisor kept away from zero
            return b.div(use(x), b.add(b.abs(argument(x.shape[-1:])), b.constant(np.float32(1.0))))
        if other_kind == "self":
            return getattr(b, op)(use(x), use(x))
        if other_kind == "same":
            same = [v for v in values if v.shape == x.shape and v is not x]
            if same:
                return getattr(b, op)(use(x), use(same[int(rng.integers(len(same)))]))
        if other_kind == "bias":
            return getattr(b, op)(use(x), argument(x.shape[-1:]))
        return getattr(b, op)(argument(x.shape), use(x))  # the shared value as the second operand

    def reduction(x: Tensor) -> Tensor:
        op = str(rng.choice(["reduce_sum", "reduce_max", "reduce_mean", "softmax"]))
        if op == "softmax":
            return b.softmax(use(x))
        return getattr(b, op)(use(x), [len(x.shape) - 1], keepdims=True)

    def layout(x: Tensor) -> Tensor:
        if rng.random() < 0.5:
            return b.reshape(use(x), (int(np.prod(x.shape)),))
        return b.transpose(use(x), list(reversed(range(len(x.shape)))))

    families = [
        (2, matmul), (4, conv), (4, pool), (None, unary), (None, binary), (None, reduction), (None, layout),
    ]
    producers = [(2, matmul), (4, conv)]
    steps = int(rng.integers(3, 8))
    for step in range(steps):
        # a producer first, so that later ops find a kernel result to share
        rank, family = producers[int(rng.integers(2))] if step == 0 else families[int(rng.integers(len(families)))]
        x = _pick(rng, values[2:] if step and rng.random() < 0.8 else values, rank)
        if x is None or (family is pool and (x.shape[1] < 2 or x.shape[2] < 2)):
            continue
        values.append(family(x))
    # a kernel result read by an epilogue-shaped op (and maybe once more), then
    # returned beside the last value: the caller is one more reader
    shared = _pick(rng, [v for v in values[2:] if uses.get(id(v), 0) == 0]) or values[-1]
    epilogue = unary(shared) if rng.random() < 0.5 else b.add(use(shared), argument(shared.shape[-1:]))
    twice = b.add(epilogue, use(shared)) if rng.random() < 0.5 else epilogue
    intermediates = [v for v in values[2:] if v is not values[-1]]
    extra = [v for v in intermediates if rng.random() < 0.4]
    b.returns(twice, *dict.fromkeys([values[-1], shared, *extra]))
    return RandomProgram(b, inputs)


def check(seed: int, path: str, tmp_path) -> None:
    program = random_program(seed)
    module = program.builder.build()
    expected = reference.evaluate(module, program.inputs)
    compiled = pelemay_ir.compile(program.builder.build(), **PATHS[path])
    got = compiled(*program.inputs)
    assert len(got) == len(expected)
    for i, (g, e) in enumerate(zip(got, expected)):
        error, ok = compare(np.asarray(g), np.asarray(e))
        assert ok, f"seed {seed}, path {path}: output {i} off by {error}"


@pytest.mark.parametrize("seed", range(100))
def test_shared_intermediates(seed: int, tmp_path) -> None:
    check(seed, list(PATHS)[seed % len(PATHS)], tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("path", list(PATHS))
@pytest.mark.parametrize("seed", range(1000))
def test_shared_intermediates_every_path(seed: int, path: str, tmp_path) -> None:
    check(seed, path, tmp_path)
