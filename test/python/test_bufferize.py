"""bufferize and the pbuf dialect: buffers, destination passing, in-place ops,
and the buffer interpreter agreeing with the reference evaluator."""

from __future__ import annotations

import numpy as np
import pytest
from xdsl.dialects import func

from pelemay_ir import buffer_interpreter, dtypes, ir, reference, weights
from pelemay_ir.dialects import pbuf
from pelemay_ir.ir import CompileError
from pelemay_ir.passes.bufferize import BufferizePass


def context():
    ctx = ir.make_context()
    if "pbuf" not in ctx.registered_dialect_names:
        ctx.register_dialect("pbuf", lambda: pbuf.PBuf)
    return ctx


def parse(text: str, name: str = "test.mlir"):
    return ir.parse(text, name, context())


def bufferize(module):
    BufferizePass().apply(context(), module)
    ir.verify(module)
    return module


def random_inputs(module, seed: int = 0):
    function = reference.entry_function(module)
    rng = np.random.default_rng(seed)
    out = []
    for arg in function.body.block.args:
        dtype = dtypes.numpy_dtype(arg.type.element_type)
        shape = tuple(arg.type.get_shape())
        if dtype.kind == "f":
            out.append(rng.standard_normal(shape).astype(dtype))
        elif dtype == np.bool_:
            out.append(rng.integers(0, 2, shape).astype(dtype))
        else:
            out.append(rng.integers(-50, 50, shape).astype(dtype))
    return out


def assert_same_as_reference(text: str, module=None, seed: int = 0):
    """Bufferize `text` and check the buffer interpreter reproduces the reference bit for bit."""
    module = module or parse(text)
    inputs = random_inputs(module, seed)
    want = reference.evaluate(module, inputs)
    bufferize(module)
    got = buffer_interpreter.run(module, inputs)
    assert len(got) == len(want)
    for w, g in zip(want, got):
        assert w.dtype == g.dtype and w.shape == g.shape
        assert np.array_equal(w, g, equal_nan=True)
    return module


def ops_named(module, name: str):
    return [op for op in module.walk() if op.name == name]


MLP = """
func.func @mlp(%x: tensor<2x8xf32>, %w1: tensor<8x16xf32>, %w2: tensor<16x4xf32>) -> tensor<2x4xf32> {
  %h = ptensor.matmul %x, %w1 : tensor<2x8xf32>, tensor<8x16xf32> -> tensor<2x16xf32>
  %b = ptensor.constant dense<0.25> : tensor<16xf32>
  %hb = ptensor.add %h, %b : tensor<2x16xf32>, tensor<16xf32> -> tensor<2x16xf32>
  %r = ptensor.relu %hb : tensor<2x16xf32>
  %o = ptensor.matmul %r, %w2 : tensor<2x16xf32>, tensor<16x4xf32> -> tensor<2x4xf32>
  %s = ptensor.softmax %o {axis = -1 : i64} : tensor<2x4xf32> -> tensor<2x4xf32>
  func.return %s : tensor<2x4xf32>
}
"""


def test_mlp_signature_in_place_and_numbers():
    module = assert_same_as_reference(MLP)
    function = reference.entry_function(module)
    types = [str(t) for t in function.function_type.inputs.data]
    assert types[-1] == "memref<2x4xf32>" and len(types) == 4
    assert not function.function_type.outputs.data
    assert function.arg_attrs.data[3].data["pbuf.output"].value.data == 0
    # add and relu run in place in the matmul's buffer; softmax writes the out-param
    allocs = ops_named(module, "pbuf.alloc")
    assert [a.buffer_name.data for a in allocs] == ["h", "o"]
    add = ops_named(module, "pbuf.add")[0]
    relu = ops_named(module, "pbuf.relu")[0]
    assert add.output_ is add.inputs_[0] is relu.inputs_[0] is relu.output_
    softmax = ops_named(module, "pbuf.softmax")[0]
    assert softmax.output_ is function.body.block.args[3]
    assert not ops_named(module, "pbuf.copy")


def test_in_place_needs_a_dying_intermediate_of_the_output_type():
    text = """
func.func @f(%x: tensor<4x4xf32>, %y: tensor<4xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>) {
  %a = ptensor.exp %x : tensor<4x4xf32>
  %n = ptensor.neg %x : tensor<4x4xf32>
  %s = ptensor.add %y, %a : tensor<4xf32>, tensor<4x4xf32> -> tensor<4x4xf32>
  %v = ptensor.reshape %s : tensor<4x4xf32> -> tensor<16xf32>
  %t = ptensor.tanh %s : tensor<4x4xf32>
  %w = ptensor.reshape %v : tensor<16xf32> -> tensor<4x4xf32>
  %u = ptensor.mul %t, %w : tensor<4x4xf32>, tensor<4x4xf32> -> tensor<4x4xf32>
  func.return %u, %n : tensor<4x4xf32>, tensor<4x4xf32>
}
"""
    module = assert_same_as_reference(text)
    exp = ops_named(module, "pbuf.exp")[0]
    neg = ops_named(module, "pbuf.neg")[0]
    add = ops_named(module, "pbuf.add")[0]
    tanh = ops_named(module, "pbuf.tanh")[0]
    mul = ops_named(module, "pbuf.mul")[0]
    assert exp.output_ is not exp.inputs_[0]  # input is an argument
    assert neg.output_ is reference.entry_function(module).body.block.args[3]
    assert add.output_ is exp.output_  # %a dies at the add (the broadcast %y is not 4x4)
    # %s is still read later through the views %v, %w: tanh may not overwrite it
    assert tanh.output_ is not add.output_
    assert mul.inputs_[0] is tanh.output_
    assert isinstance(ops_named(module, "pbuf.reshape")[0], pbuf.ReshapeOp)


def test_returns_of_arguments_constants_and_twice_returned_values_are_copied():
    text = """
func.func @f(%x: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<1x3xf32>) {
  %c = ptensor.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %a = ptensor.add %x, %c : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  %r = ptensor.reshape %a : tensor<3xf32> -> tensor<1x3xf32>
  func.return %x, %c, %a, %a, %r : tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<1x3xf32>
}
"""
    module = assert_same_as_reference(text)
    args = reference.entry_function(module).body.block.args
    add = ops_named(module, "pbuf.add")[0]
    assert add.output_ is args[3]  # first return of %a: written straight into out-param 2
    copies = [(c.source, c.target) for c in ops_named(module, "pbuf.copy")]
    assert (args[0], args[1]) in copies
    assert any(dst is args[2] and isinstance(src.owner, pbuf.ConstantOp) for src, dst in copies)
    assert (args[3], args[4]) in copies
    reshaped = [d for s, d in copies if d is args[5]]
    assert reshaped and ops_named(module, "pbuf.alloc") == []


def test_returned_reshape_is_written_through_a_view_of_the_out_param():
    text = """
func.func @f(%x: tensor<2x3xf32>) -> tensor<6xf32> {
  %e = ptensor.exp %x : tensor<2x3xf32>
  %r = ptensor.reshape %e : tensor<2x3xf32> -> tensor<6xf32>
  func.return %r : tensor<6xf32>
}
"""
    module = assert_same_as_reference(text)
    exp = ops_named(module, "pbuf.exp")[0]
    view = exp.output_.owner
    assert isinstance(view, pbuf.ReshapeOp)
    assert view.source is reference.entry_function(module).body.block.args[1]
    assert not ops_named(module, "pbuf.copy") and not ops_named(module, "pbuf.alloc")


def test_weights_conv_pool_and_layout_ops():
    rng = np.random.default_rng(3)
    w = rng.standard_normal((3, 3, 2, 4)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    writer = weights.WeightsWriter()
    w_at, b_at = writer.add(w), writer.add(b)
    text = f"""
func.func @net(%x: tensor<1x8x8x2xf32>) -> tensor<4xf32> {{
  %w = ptensor.weight "w" at {w_at} : tensor<3x3x2x4xf32>
  %b = ptensor.weight "b" at {b_at} : tensor<4xf32>
  %c = ptensor.conv2d %x, %w, %b {{strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, groups = 1 : i64}} : tensor<1x8x8x2xf32>, tensor<3x3x2x4xf32>, tensor<4xf32> -> tensor<1x8x8x4xf32>
  %r = ptensor.relu6 %c : tensor<1x8x8x4xf32>
  %p = ptensor.max_pool2d %r {{kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>}} : tensor<1x8x8x4xf32> -> tensor<1x4x4x4xf32>
  %m = ptensor.reduce_mean %p {{axes = array<i64: 1, 2>}} : tensor<1x4x4x4xf32> -> tensor<1x4xf32>
  %t = ptensor.transpose %m {{permutation = array<i64: 1, 0>}} : tensor<1x4xf32> -> tensor<4x1xf32>
  %cat = ptensor.concat %t, %t {{axis = 1 : i64}} : tensor<4x1xf32>, tensor<4x1xf32> -> tensor<4x2xf32>
  %s = ptensor.reduce_max %cat {{axes = array<i64: 1>}} : tensor<4x2xf32> -> tensor<4xf32>
  func.return %s : tensor<4xf32>
}}
"""
    module = parse(text)
    weights.attach(module, writer.blob())
    assert_same_as_reference(text, module)
    assert len(ops_named(module, "pbuf.weight")) == 2
    assert ops_named(module, "pbuf.relu6")[0].output_ is ops_named(module, "pbuf.conv2d")[0].output_


def test_every_compute_op_has_a_twin_and_the_dialect_round_trips():
    from pelemay_ir.dialects import ptensor

    names = {c.name for c in ptensor.PTensor.operations}
    twins = {c.name.replace("pbuf.", "ptensor.") for c in pbuf.DESTINATION_OPS.values()}
    assert names - twins == {"ptensor.constant", "ptensor.weight", "ptensor.reshape"}
    module = bufferize(parse(MLP))
    text = str(module)
    assert str(parse(text)) == text
    assert "pbuf.add %h, %b, %h : memref<2x16xf32>, memref<16xf32>, memref<2x16xf32>" in text


def test_pbuf_verifier_speaks_of_buffers():
    bad = """
func.func @f(%a: memref<2x4xf32>, %b: memref<5xf32>, %o: memref<2x4xf32>) {
  pbuf.add %a, %b, %o : memref<2x4xf32>, memref<5xf32>, memref<2x4xf32>
  func.return
}
"""
    with pytest.raises(CompileError) as e:
        parse(bad, "bad.mlir")
    assert str(e.value).startswith("bad.mlir:3:3: error: 'pbuf.add' op shapes 2x4 and 5 do not broadcast")
    wrong_out = bad.replace("memref<5xf32>", "memref<4xf32>").replace(
        "%o: memref<2x4xf32>", "%o: memref<4x4xf32>"
    ).replace(", memref<2x4xf32>\n", ", memref<4x4xf32>\n")
    with pytest.raises(CompileError) as e:
        parse(wrong_out, "bad.mlir")
    assert "output type memref<4x4xf32> does not match the inferred type memref<2x4xf32>" in str(e.value)
    view = """
func.func @f() {
  %a = pbuf.arena {size = 16, alignment = 16} : memref<16xi8>
  %v = pbuf.view %a[8] : memref<16xi8> -> memref<4xf32>
  func.return
}
"""
    with pytest.raises(CompileError, match="view bytes 8..24 lie outside the arena of 16 bytes"):
        parse(view)


def test_dynamic_shapes_and_unknown_ops_are_located_errors_and_leave_the_module_alone():
    dynamic = """
func.func @f(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  func.return %x : tensor<?x4xf32>
}
"""
    module = parse(dynamic, "dyn.mlir")
    before = str(module)
    with pytest.raises(CompileError) as e:
        BufferizePass().apply(context(), module)
    assert str(e.value).startswith("dyn.mlir:2:1: error:") and "dynamic shape tensor<?x4xf32>" in str(e.value)
    assert str(module) == before

    unknown = """
func.func @g(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = ptensor.relu %x : tensor<4xf32>
  func.return %y : tensor<4xf32>
}
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = ptensor.neg %x : tensor<4xf32>
  %z = func.call @g(%y) : (tensor<4xf32>) -> tensor<4xf32>
  func.return %z : tensor<4xf32>
}
"""
    module = parse(unknown, "call.mlir")
    before = str(module)
    with pytest.raises(CompileError) as e:
        BufferizePass().apply(context(), module)
    assert str(e.value).startswith("call.mlir:8:3: error: bufferize does not know op 'func.call'")
    assert str(module) == before  # @g was analysed but not rewritten either


def test_locations_survive_bufferization():
    module = bufferize(parse(MLP, "mlp.mlir"))
    relu = ops_named(module, "pbuf.relu")[0]
    assert ir.location_of(relu) == "mlp.mlir:6:3"
    alloc = ops_named(module, "pbuf.alloc")[0]
    assert ir.location_of(alloc) == "mlp.mlir:3:3"


def test_i8_matmul_compare_select_cast():
    text = """
func.func @q(%a: tensor<3x5xi8>, %b: tensor<5x2xi8>, %t: tensor<3x2xi32>) -> (tensor<3x2xi32>, tensor<3x2xf32>) {
  %m = ptensor.matmul %a, %b : tensor<3x5xi8>, tensor<5x2xi8> -> tensor<3x2xi32>
  %c = ptensor.compare "lt", %m, %t : tensor<3x2xi32>, tensor<3x2xi32> -> tensor<3x2xi1>
  %s = ptensor.select %c, %m, %t : tensor<3x2xi1>, tensor<3x2xi32>, tensor<3x2xi32> -> tensor<3x2xi32>
  %f = ptensor.cast %s : tensor<3x2xi32> -> tensor<3x2xf32>
  %g = ptensor.max %s, %m : tensor<3x2xi32>, tensor<3x2xi32> -> tensor<3x2xi32>
  func.return %g, %f : tensor<3x2xi32>, tensor<3x2xf32>
}
"""
    module = assert_same_as_reference(text, seed=5)
    select = ops_named(module, "pbuf.select")[0]
    assert select.output_ is not select.inputs_[1]  # %m is read again by the max


def test_interpreter_checks_inputs():
    module = bufferize(parse(MLP))
    with pytest.raises(reference.InputError, match="takes 3 inputs, got 1"):
        buffer_interpreter.run(module, [np.zeros((2, 8), np.float32)])
    inputs = random_inputs(parse(MLP))
    by_name = buffer_interpreter.run(module, {"x": inputs[0], "w1": inputs[1], "arg2": inputs[2]})
    assert np.array_equal(by_name[0], buffer_interpreter.run(module, inputs)[0])


def test_declaration_only_functions_cannot_be_bufferized():
    module = parse("func.func private @ext(tensor<4xf32>) -> tensor<4xf32>\n", "decl.mlir")
    with pytest.raises(CompileError, match="declaration @ext"):
        BufferizePass().apply(context(), module)
    assert isinstance(next(iter(module.ops)), func.FuncOp)
