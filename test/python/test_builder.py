"""The Python builder: every ptensor op, printing, saving, errors, determinism."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, StringAttr

from pelemay_ir import ir, reference, weights
from pelemay_ir.builder import BuildError, ProgramBuilder, module_text
from pelemay_ir.dialects import ptensor
from pelemay_ir.dialects.ptensor import PTensor
from pelemay_ir.shapes import ShapeError


def elementwise_program() -> ProgramBuilder:
    b = ProgramBuilder("elementwise")
    x = b.argument("x", (2, 3), "f32")
    row = b.argument("row", (3,), np.float32)
    h = b.neg(x, name="neg")
    for method in ("abs", "relu", "relu6", "exp", "sqrt", "rsqrt", "tanh", "asin", "sin", "acos", "atan", "cos", "tan",
                   "sigmoid", "gelu"):
        h = getattr(b, method)(h, name=method)
    h = b.log(b.add(h, 1.0), name="log")
    h = b.clamp(h, -1.0, 1.0, name="clamp")
    h = b.add(h, row, name="add")
    h = b.sub(h, row)
    h = b.mul(2.0, h)
    h = b.div(h, b.constant(np.array([1.0, 2.0, 4.0], np.float32), name="divisor"))
    h = b.max(h, b.min(h, 0.5))
    mask = b.compare("lt", h, row, name="mask")
    picked = b.select(mask, h, 0.0, name="picked")
    as_int = b.cast(picked, "i32", name="as_int")
    half = b.cast(picked, "f16")
    small = b.cast(b.constant(np.array([1, -2, 3], np.int32)), np.int8)
    flags = b.cast(b.constant(np.array([True, False, True])), "f32")
    b.returns(picked, as_int, half, small, flags)
    return b


def reduction_and_layout_program() -> ProgramBuilder:
    b = ProgramBuilder("layout")
    x = b.argument("x", (2, 3, 4), "f32")
    w = b.weight("w", np.arange(20, dtype=np.float32).reshape(4, 5) / 20)
    sums = b.reduce_sum(x, [2], name="sums")
    maxes = b.reduce_max(x, [0, 2], keepdims=True)
    mins = b.reduce_min(x, [1])
    means = b.reduce_mean(x, [-1])
    index = b.argmax(x, 1, name="index")
    prod = b.matmul(x, w, name="prod")
    flat = b.reshape(prod, (6, 5))
    wide = b.broadcast(b.constant(np.ones((1, 5), np.float32)), (6, 5))
    turned = b.transpose(b.add(flat, wide), [1, 0])
    part = b.slice(turned, [0, 1], [3, 2], [2, 2])
    joined = b.concat([part, part], axis=0)
    padded = b.pad(joined, [1, 0], [0, 2], value=-1.0)
    b.returns(sums, maxes, mins, means, index, padded)
    return b


def network_program() -> ProgramBuilder:
    b = ProgramBuilder("network")
    rng = np.random.default_rng(1)
    x = b.argument("image", (1, 8, 8, 4), "f32")
    q = b.argument("q", (1, 6, 6, 2), "i8")
    w = b.weight("conv.w", rng.standard_normal((3, 3, 4, 8)).astype(np.float32))
    bias = b.weight("conv.b", rng.standard_normal(8).astype(np.float32))
    dw = b.weight("dw.w", rng.standard_normal((3, 3, 1, 8)).astype(np.float32))
    h = b.conv2d(x, w, bias, padding=(1, 1, 1, 1), name="conv")
    h = b.conv2d(h, dw, strides=(2, 2), dilations=(1, 1), padding=(0, 1, 0, 1), groups=8, name="dw")
    h = b.max_pool2d(h, (2, 2), name="maxpool")
    h = b.avg_pool2d(h, (2, 2), (1, 1), (1, 0, 1, 0), name="avgpool")
    qw = b.weight("q.w", rng.integers(-5, 5, (3, 3, 2, 4)).astype(np.int8))
    qb = b.weight("q.b", np.arange(4, dtype=np.int32))
    acc = b.conv2d(q, qw, qb, name="qconv")
    h16 = b.weight("f16", np.ones(8, np.float16))
    scale = b.weight("ln.scale", np.ones(8, np.float32))
    offset = b.weight("ln.offset", np.zeros(8, np.float32))
    normed = b.layer_norm(h, scale, offset, axis=-1, epsilon=1e-5, name="ln")
    bn = b.batch_norm(normed, scale, offset, offset, scale, epsilon=1e-3, name="bn")
    probs = b.softmax(b.reshape(bn, (1, 32)), axis=-1, name="probs")
    b.returns(probs, acc, b.cast(h16, "f32"))
    return b


PROGRAMS = [elementwise_program, reduction_and_layout_program, network_program]


def test_every_ptensor_op_has_a_builder_method_and_is_exercised():
    used: set[str] = set()
    for make in PROGRAMS:
        used |= {op.name for op in make().build().walk()}
    every_op = {op.name for op in PTensor.operations}
    assert every_op - used == set()
    for name in every_op:
        method = name.removeprefix("ptensor.")
        assert method in ("constant", "weight") or callable(getattr(ProgramBuilder, method))


@pytest.mark.parametrize("make", PROGRAMS, ids=lambda m: m.__name__)
def test_text_round_trips(make):
    text = module_text(make().build())
    again = module_text(ir.parse(text, "roundtrip.mlir"))
    assert again == text


@pytest.mark.parametrize("make", PROGRAMS, ids=lambda m: m.__name__)
def test_save_then_load_gives_the_same_weights(make, tmp_path: Path):
    builder = make()
    path = builder.save(tmp_path / "model.mlir")
    built = builder.build()
    loaded = ir.load(path)
    assert module_text(loaded) == path.read_text() == module_text(built)
    built_weights = [op for op in built.walk() if isinstance(op, ptensor.WeightOp)]
    loaded_weights = [op for op in loaded.walk() if isinstance(op, ptensor.WeightOp)]
    assert len(built_weights) == len(loaded_weights)
    if built_weights:
        assert loaded.attributes[weights.WEIGHTS_ATTR] == StringAttr("model.weights")
    for a, c in zip(built_weights, loaded_weights):
        args = (a.key.data, a.offset.value.data, a.result.type)
        expect = weights.read(built, *args)
        got = weights.read(loaded, c.key.data, c.offset.value.data, c.result.type)
        assert got.dtype == expect.dtype and np.array_equal(got, expect)


def test_weight_values_survive_saving(tmp_path: Path):
    values = np.random.default_rng(7).standard_normal((5, 7)).astype(np.float32)
    b = ProgramBuilder("w")
    x = b.argument("x", (2, 5))
    b.returns(b.matmul(x, b.weight("fc.w", values)))
    loaded = ir.load(b.save(tmp_path / "w.mlir"))
    (op,) = [op for op in loaded.walk() if isinstance(op, ptensor.WeightOp)]
    assert np.array_equal(weights.read(loaded, "fc.w", op.offset.value.data, op.result.type), values)


def test_values_carry_shape_dtype_and_printed_names():
    b = ProgramBuilder("names")
    x = b.argument("x", (1, 4), "f16")
    y = b.relu(x, name="act")
    assert (y.shape, y.dtype) == ((1, 4), np.dtype(np.float16))
    assert [a.shape for a in b.arguments] == [(1, 4)]
    b.returns(y)
    text = module_text(b.build())
    assert "func.func @names(%x: tensor<1x4xf16>)" in text
    assert "%act = ptensor.relu %x" in text


def test_builder_operand_order_matches_the_reference():
    b = ProgramBuilder("order")
    x = b.argument("x", (3,), "f32")
    y = b.argument("y", (3,), "f32")
    b.returns(b.sub(1.0, x), b.div(x, y), b.sub(x, 2.0))
    xv = np.array([1.0, 2.0, 3.0], np.float32)
    yv = np.array([2.0, 4.0, 8.0], np.float32)
    outs = reference.evaluate(b.build(), [xv, yv])
    np.testing.assert_array_equal(outs[0], 1.0 - xv)
    np.testing.assert_array_equal(outs[1], xv / yv)
    np.testing.assert_array_equal(outs[2], xv - 2.0)


def test_saved_program_evaluates_like_numpy(tmp_path: Path):
    rng = np.random.default_rng(3)
    w = rng.standard_normal((4, 3)).astype(np.float32)
    bias = rng.standard_normal(3).astype(np.float32)
    b = ProgramBuilder("dense")
    x = b.argument("x", (2, 4))
    b.returns(b.relu(b.add(b.matmul(x, b.weight("w", w)), b.weight("b", bias))))
    path = b.save(tmp_path / "dense.mlir")
    xv = rng.standard_normal((2, 4)).astype(np.float32)
    (out,) = reference.evaluate(path, [xv])
    np.testing.assert_allclose(out, np.maximum(xv @ w + bias, 0), rtol=1e-6, atol=1e-6)


def test_no_weights_means_no_attribute_and_no_file(tmp_path: Path):
    b = ProgramBuilder("plain")
    b.returns(b.relu(b.argument("x", (2,))))
    path = b.save(tmp_path / "plain.mlir")
    assert weights.WEIGHTS_ATTR not in b.build().attributes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain.mlir"]
    assert ir.load(path).attributes.get(weights.WEIGHTS_ATTR) is None


def test_saving_is_deterministic(tmp_path: Path):
    first = network_program().save(tmp_path / "a" / "net.mlir")
    second = network_program().save(tmp_path / "b" / "net.mlir")
    for suffix in (".mlir", ".weights"):
        assert first.with_suffix(suffix).read_bytes() == second.with_suffix(suffix).read_bytes()


def test_weights_file_is_named_after_the_saved_file(tmp_path: Path):
    b = network_program()
    path = b.save(tmp_path / "renamed.mlir")
    assert 'ptensor.weights = "renamed.weights"' in path.read_text()
    assert (tmp_path / "renamed.weights").is_file()


def _arg(b: ProgramBuilder, shape, dtype="f32"):
    return b.argument(f"a{len(b.arguments)}", shape, dtype)


SHAPE_ERRORS = [
    ("ptensor.matmul", lambda b: b.matmul(_arg(b, (2, 3)), _arg(b, (2, 3)))),
    ("ptensor.add", lambda b: b.add(_arg(b, (2, 3)), _arg(b, (4,)))),
    ("ptensor.compare", lambda b: b.compare("eq", _arg(b, (2,)), _arg(b, (3,)))),
    ("ptensor.reshape", lambda b: b.reshape(_arg(b, (2, 3)), (5,))),
    ("ptensor.broadcast", lambda b: b.broadcast(_arg(b, (2, 3)), (3, 3))),
    ("ptensor.transpose", lambda b: b.transpose(_arg(b, (2, 3)), [0, 0])),
    ("ptensor.slice", lambda b: b.slice(_arg(b, (4,)), [2], [3])),
    ("ptensor.concat", lambda b: b.concat([_arg(b, (2, 3)), _arg(b, (3, 2))], axis=0)),
    ("ptensor.pad", lambda b: b.pad(_arg(b, (2,)), [1, 1], [0, 0])),
    ("ptensor.reduce_sum", lambda b: b.reduce_sum(_arg(b, (2, 3)), [2])),
    ("ptensor.argmax", lambda b: b.argmax(_arg(b, (2, 3)), 5)),
    ("ptensor.conv2d", lambda b: b.conv2d(_arg(b, (1, 4, 4, 3)), _arg(b, (3, 3, 2, 8)))),
    ("ptensor.conv2d", lambda b: b.conv2d(_arg(b, (1, 2, 2, 3)), _arg(b, (3, 3, 3, 8)))),
    ("ptensor.max_pool2d", lambda b: b.max_pool2d(_arg(b, (1, 4, 4)), (2, 2))),
    ("ptensor.avg_pool2d", lambda b: b.avg_pool2d(_arg(b, (1, 4, 4, 1)), (2, 2), padding=(2, 0, 0, 0))),
    ("ptensor.softmax", lambda b: b.softmax(_arg(b, (2, 3)), axis=2)),
    ("ptensor.reshape", lambda b: b.reshape(_arg(b, (2, 3)), (-6,))),
]


@pytest.mark.parametrize("op_name, call", SHAPE_ERRORS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(SHAPE_ERRORS)])
def test_shape_errors_name_the_op(op_name, call):
    with pytest.raises(ShapeError, match=f"^{op_name}: ") as info:
        call(ProgramBuilder("bad"))
    assert isinstance(info.value, ValueError)


BUILD_ERRORS = [
    ("ptensor.add: operand element types differ", lambda b: b.add(_arg(b, (2,)), _arg(b, (2,), "i32"))),
    ("ptensor.exp", lambda b: b.exp(_arg(b, (2,), "i32"))),
    ("ptensor.layer_norm", lambda b: b.layer_norm(_arg(b, (2, 3)), _arg(b, (2,)), _arg(b, (3,)))),
    ("ptensor.batch_norm", lambda b: b.batch_norm(*(_arg(b, s) for s in [(2, 3), (3,), (3,), (3,), (2,)]))),
    ("ptensor.conv2d: bias", lambda b: b.conv2d(_arg(b, (1, 3, 3, 1)), _arg(b, (1, 1, 1, 2)), _arg(b, (3,)))),
    ("ptensor.compare: unknown predicate", lambda b: b.compare("lte", _arg(b, (2,)), _arg(b, (2,)))),
    ("ptensor.select", lambda b: b.select(_arg(b, (2,)), _arg(b, (2,)), _arg(b, (2,)))),
    ("ptensor.clamp: min 2.0 exceeds max", lambda b: b.clamp(_arg(b, (2,)), 2.0, 1.0)),
    ("unknown dtype 'f64'", lambda b: b.argument("x", (2,), "f64")),
    ("defined twice", lambda b: [b.argument("x", (2,)), b.argument("x", (2,))]),
    ("weight 'w' is defined twice", lambda b: [b.weight("w", np.ones(2, np.float32)) for _ in range(2)]),
    ("float64", lambda b: b.weight("w", np.ones(2))),
    ("i1 tensors cannot be stored", lambda b: b.weight("w", np.ones(2, bool))),
    ("not a valid SSA name", lambda b: b.relu(_arg(b, (2,)), name="1st")),
    ("at least one operand must be a tensor", lambda b: b.add(1.0, 2.0)),
    ("has no results", lambda b: b.build()),
    ("returns\\(\\) needs at least one value", lambda b: b.returns()),
    ("another program", lambda b: b.relu(ProgramBuilder("other").argument("x", (2,)))),
    ("expected a Tensor", lambda b: b.relu(np.ones(2, np.float32))),
]


def test_function_name_must_be_a_c_identifier():
    with pytest.raises(BuildError, match="C identifier"):
        ProgramBuilder("mobilenet-v2")


@pytest.mark.parametrize("message, call", BUILD_ERRORS, ids=[m for m, _ in BUILD_ERRORS])
def test_bad_calls_raise_a_clear_value_error(message, call):
    with pytest.raises(ValueError, match=message):
        call(ProgramBuilder("bad"))


def test_a_built_program_is_closed():
    b = ProgramBuilder("closed")
    x = b.argument("x", (2,))
    b.returns(x)
    module = b.build()
    assert b.build() is module
    with pytest.raises(BuildError, match="already built"):
        b.relu(x)


def test_returns_is_called_once():
    b = ProgramBuilder("twice")
    x = b.argument("x", (2,))
    b.returns(x)
    with pytest.raises(BuildError, match="already called"):
        b.returns(x)


def test_built_module_is_a_single_verified_function():
    module = elementwise_program().build()
    assert isinstance(module, ModuleOp)
    (fn,) = list(module.ops)
    assert isinstance(fn, func.FuncOp) and fn.sym_name.data == "elementwise"
    ir.verify(module)
