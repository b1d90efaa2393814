"""The ONNX importer: a declared list of ONNX node tests passes end to end
(import -> pelemay_ir.compile on the host C path -> compare with onnx's
expected outputs), and an unsupported op is one line naming the node."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import onnx

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import onnx_node_report  # noqa: E402

MUST_PASS = [
    # elementwise and activations
    "test_abs", "test_relu", "test_add", "test_add_bcast", "test_sub_example", "test_mul_example",
    "test_div_example", "test_neg_example", "test_exp_example", "test_log_example", "test_sqrt_example",
    "test_reciprocal_example", "test_sigmoid_example", "test_tanh_example", "test_sign", "test_clip_example",
    "test_leakyrelu", "test_leakyrelu_default", "test_elu_example", "test_selu_example", "test_celu",
    "test_hardsigmoid_example", "test_hardswish", "test_mish", "test_softplus_example", "test_softsign_example",
    "test_thresholdedrelu_example", "test_shrink_hard", "test_prelu_example", "test_gelu_default_1",
    "test_gelu_tanh_1", "test_max_example", "test_min_example", "test_mean_example", "test_sum_example",
    # logic and selection
    "test_equal", "test_greater", "test_less", "test_and2d", "test_or_bcast3v1d", "test_xor3d", "test_not_2d",
    "test_where_example", "test_cast_FLOAT_to_FLOAT16", "test_castlike_FLOAT_to_FLOAT16",
    # int64 indices and results
    "test_gather_0", "test_argmax_no_keepdims_example", "test_argmin_no_keepdims_example",
    "test_argmax_default_axis_example_select_last_index",
    # graph inputs fixed from declared shapes, checked at each call
    "test_reshape_negative_dim", "test_reshape_reordered_all_dims", "test_expand_dim_changed", "test_tile",
    "test_squeeze", "test_unsqueeze_axis_0", "test_constantofshape_float_ones",
    "test_split_variable_parts_1d_opset18", "test_reduce_sum_keepdims_example",
    "test_reduce_mean_default_axes_keepdims_example",
    # layout
    "test_identity", "test_transpose_default", "test_concat_1d_axis_0", "test_flatten_axis0",
    "test_depthtospace_example", "test_spacetodepth", "test_shape_example", "test_size_example",
    # networks' building blocks
    "test_conv_with_strides_padding", "test_conv_with_autopad_same", "test_basic_conv_with_padding",
    "test_maxpool_2d_default", "test_maxpool_2d_precomputed_pads", "test_averagepool_2d_precomputed_pads",
    "test_globalaveragepool", "test_globalmaxpool", "test_batchnorm_example", "test_instancenorm_example",
    "test_mvn", "test_gemm_default_no_bias", "test_gemm_alpha", "test_matmul_2d", "test_softmax_axis_0",
    "test_softmax_axis_1", "test_logsoftmax_example_1", "test_lstm_defaults", "test_lstm_with_initial_bias",
    "test_dropout_default",
    # ops ONNX defines as functions, imported through their function bodies
    "test_attention_4d", "test_attention_4d_causal_fp16", "test_attention_3d_gqa_attn_mask",
    "test_attention_4d_with_past_and_present", "test_attention_4d_softcap", "test_rms_normalization_2d_axis0",
    "test_rotary_embedding", "test_group_normalization_example", "test_swish", "test_center_crop_pad_crop_and_pad",
    # losses and one-hot picks and writes
    "test_nllloss_NCd1d2_with_weight_reduction_mean", "test_nllloss_NCd1_ii", "test_sce_mean_weight_ii_3d",
    "test_sce_none_log_prob", "test_gather_elements_negative_indices", "test_gathernd_example_int32_batch_dim1",
    "test_scatter_elements_with_reduction_max", "test_scatternd_add",
    "test_eyelike_populate_off_main_diagonal", "test_triu_neg", "test_tril",
    # resizing with constant interpolation matrices (sizes fixed from the declared output)
    "test_resize_upsample_sizes_nearest", "test_resize_downsample_sizes_cubic",
    "test_resize_downsample_sizes_linear_pytorch_half_pixel", "test_resize_upsample_scales_cubic_A_n0p5_exclude_outside",
    "test_resize_downsample_scales_linear_align_corners", "test_upsample_nearest",
    # arithmetic compositions
    "test_floor", "test_ceil", "test_round", "test_mod_mixed_sign_int32", "test_mod_mixed_sign_float32",
    "test_mod_int64_fmod", "test_pow", "test_erf", "test_isnan", "test_isinf", "test_reduce_prod_keepdims_example",
    "test_hardmax_axis_1", "test_l2normalization_axis_1", "test_reduce_sum_empty_set", "test_sinh", "test_asinh",
    "test_det_nd", "test_lrn", "test_hannwindow", "test_top_k_smallest", "test_reversesequence_batch",
    # windows and recurrences
    "test_causal_conv_with_state_basic", "test_averagepool_1d_default", "test_lppool_2d_default",
    "test_convtranspose_pads", "test_convtranspose_1d", "test_gru_defaults", "test_simple_rnn_defaults",
    "test_maxpool_3d_default", "test_averagepool_2d_dilations", "test_maxpool_with_argmax_2d_precomputed_pads",
    # uint8, int16, uint16 (wrapped arithmetic) and uint32, uint64 (values that fit) held as int32
    "test_add_uint8", "test_sub_int16", "test_mul_uint16", "test_div_uint32", "test_min_uint64",
    "test_mod_uint16", "test_greater_equal_uint8_expanded", "test_maxpool_2d_uint8", "test_top_k_uint64",
    # shifts and bit operations composed from ptensor arithmetic
    "test_bitshift_left_uint8", "test_bitshift_right_uint16", "test_bitshift_right_int64",
    "test_bitwise_and_i32_2d", "test_bitwise_or_i16_4d", "test_bitwise_xor_ui8_bcast_4v3d", "test_bitwise_not_3d",
    "test_bitcast_uint16_to_int16", "test_pow_types_float32_uint32", "test_pow_types_float32_int64",
    # quantization and integer matrix products
    "test_quantizelinear_axis", "test_quantizelinear_int16", "test_dequantizelinear_blocked",
    "test_dynamicquantizelinear_expanded", "test_matmulinteger", "test_convinteger_with_padding",
    "test_cumsum_1d_int32_exclusive", "test_cumprod_1d_int32_exclusive",
    # trigonometric functions (ptensor ops) and Scan unrolled over its static length
    "test_sin_example", "test_cos", "test_tan_example", "test_asin", "test_acos_example", "test_atan",
    "test_scan_sum", "test_scan9_sum", "test_scan9_multi_state", "test_linear_attention_gated_delta",
    "test_linear_attention_decode_step_expanded",
]


@pytest.fixture(scope="module")
def cases():
    return {c.name: c for c in onnx_node_report.load_cases()}


@pytest.mark.parametrize("name", MUST_PASS)
def test_node_test_passes(cases, name):
    outcome = onnx_node_report.run_case(cases[name])
    assert outcome.status == "pass", outcome.reason


@pytest.mark.slow
@pytest.mark.parametrize("name", MUST_PASS)
def test_node_test_passes_through_llvm(cases, name):
    outcome = onnx_node_report.run_case(cases[name], emit="llvm")
    assert outcome.status == "pass", outcome.reason


def test_unsupported_op_is_one_line(tmp_path):
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
    node = helper.make_node("Unique", ["x"], ["y"], name="my_unique")
    model = helper.make_model(helper.make_graph([node], "g", [x], [y]), opset_imports=[helper.make_opsetid("", 17)])
    path = tmp_path / "m.onnx"
    onnx.save(model, str(path))
    out = tmp_path / "out" / "m.mlir"
    proc = subprocess.run([sys.executable, "-m", "pelemay_ir.onnx_import", str(path), "-o", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.strip().count("\n") == 0
    assert "my_unique" in proc.stderr and "Unique" in proc.stderr
    assert not out.exists()
    from pelemay_ir.onnx_import import OnnxImportError, import_onnx

    with pytest.raises(OnnxImportError, match="my_unique"):
        import_onnx(model)


def _model(nodes, inputs, outputs, initializers=(), opset=18):
    from onnx import helper

    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def test_reshape_shape_input_is_fixed_and_checked():
    """A Reshape whose shape is a graph input: fixed from the declared output
    shape, kept as an argument, and any call value meaning that shape runs."""
    from onnx import TensorProto, helper

    import pelemay_ir

    model = _model(
        [helper.make_node("Reshape", ["x", "shape"], ["y"], name="the_reshape")],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 12]),
         helper.make_tensor_value_info("shape", TensorProto.INT64, [3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3, 4])],
    )
    run = pelemay_ir.compile(pelemay_ir.import_onnx(model))
    assert [b.name for b in run.interface.inputs] == ["x", "shape"]
    x = np.arange(24, dtype=np.float32).reshape(2, 12)
    for shape in ([2, 3, 4], [2, -1, 4], [0, 3, -1]):
        (y,) = run(x, np.array(shape, dtype=np.int32))
        np.testing.assert_array_equal(y, x.reshape(2, 3, 4))
    with pytest.raises(ValueError, match=r"input 1 \('shape'\) was fixed .*'the_reshape'.*\[2, 3, 4\].*got \[4, 3, 2\]"):
        run(x, np.array([4, 3, 2], dtype=np.int32))


@pytest.mark.parametrize("emit", ["c", "llvm"])
def test_generated_code_checks_a_fixed_input(emit):
    """Called directly (as from C), the run function accepts the compiled
    value only and returns PELEMAY_ERR_INPUT for any other."""
    from onnx import TensorProto, helper

    import pelemay_ir
    from pelemay_ir.cbuild import aligned, aligned_array
    from pelemay_ir.targets import abi

    model = _model(
        [helper.make_node("Reshape", ["x", "shape"], ["y"])],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 12]),
         helper.make_tensor_value_info("shape", TensorProto.INT64, [3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3, 4])],
    )
    run = pelemay_ir.compile(pelemay_ir.import_onnx(model), emit=emit)
    codes = {name: value for name, value, _ in abi.ERROR_CODES}
    x = np.arange(24, dtype=np.float32).reshape(2, 12)
    y = aligned_array((2, 3, 4), np.float32)
    arena = aligned(max(run.interface.arena_bytes, 1), run.interface.arena_align)
    for shape, code in (([2, 3, 4], "PELEMAY_OK"), ([2, -1, 4], "PELEMAY_ERR_INPUT"), ([4, 3, 2], "PELEMAY_ERR_INPUT")):
        s = np.array(shape, dtype=np.int32)
        assert run.call_raw(x.ctypes.data, s.ctypes.data, y.ctypes.data, arena.ctypes.data) == codes[code]
    np.testing.assert_array_equal(y, x.reshape(2, 3, 4))


def test_reduce_axes_input_is_fixed_where_the_shape_decides():
    from onnx import TensorProto, helper

    import pelemay_ir
    from pelemay_ir.onnx_import import OnnxImportError

    def model(out_shape, keepdims):
        return _model(
            [helper.make_node("ReduceSum", ["x", "axes"], ["y"], name="sum", keepdims=keepdims)],
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 2, 2]),
             helper.make_tensor_value_info("axes", TensorProto.INT64, [1])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)],
        )

    run = pelemay_ir.compile(pelemay_ir.import_onnx(model([1, 2, 2], 1)))
    x = np.random.default_rng(0).standard_normal((3, 2, 2)).astype(np.float32)
    for axes in ([0], [-3]):
        np.testing.assert_allclose(run(x, np.array(axes, np.int32))[0], x.sum(0, keepdims=True), rtol=1e-6)
    with pytest.raises(ValueError, match="must reduce the axes"):
        run(x, np.array([1], np.int32))
    # [3, 2] could be axis 1 or axis 2 of [3, 2, 2]: nothing decides, so the node is named
    with pytest.raises(OnnxImportError, match=r"node 'sum' \(ReduceSum\).*nothing in the graph determines it"):
        pelemay_ir.import_onnx(model([3, 2], 0))


def test_slice_bounds_from_graph_inputs_are_rejected_naming_the_node():
    from onnx import TensorProto, helper

    from pelemay_ir.onnx_import import OnnxImportError, import_onnx

    model = _model(
        [helper.make_node("Slice", ["x", "starts", "ends"], ["y"], name="cut")],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [10]),
         helper.make_tensor_value_info("starts", TensorProto.INT64, [1]),
         helper.make_tensor_value_info("ends", TensorProto.INT64, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3])],
    )
    with pytest.raises(OnnxImportError, match=r"node 'cut' \(Slice\): the starts \(input 'starts'\)"):
        import_onnx(model)


def test_int64_values_are_indices_not_arithmetic():
    """int64 graph inputs are int32 arguments: gathered with, compared, moved;
    int64 arithmetic (which could overflow int32) is rejected naming the node."""
    from onnx import TensorProto, helper, numpy_helper

    import pelemay_ir
    from pelemay_ir.onnx_import import OnnxImportError

    table = np.random.default_rng(1).standard_normal((7, 3)).astype(np.float32)
    model = _model(
        [helper.make_node("Gather", ["table", "ids"], ["rows"], name="embed"),
         helper.make_node("ArgMax", ["rows"], ["best"], axis=2, keepdims=0, name="pick")],
        [helper.make_tensor_value_info("ids", TensorProto.INT64, [2, 4])],
        [helper.make_tensor_value_info("rows", TensorProto.FLOAT, [2, 4, 3]),
         helper.make_tensor_value_info("best", TensorProto.INT64, [2, 4])],
        [numpy_helper.from_array(table, "table")],
    )
    run = pelemay_ir.compile(pelemay_ir.import_onnx(model))
    ids = np.array([[0, 6, -1, 3], [2, 2, 5, -7]], dtype=np.int32)
    rows, best = run(ids)
    np.testing.assert_array_equal(rows, table[ids])
    np.testing.assert_array_equal(best, table[ids].argmax(2))
    assert best.dtype == np.int32
    add = _model(
        [helper.make_node("Add", ["a", "b"], ["c"], name="plus")],
        [helper.make_tensor_value_info(n, TensorProto.INT64, [2]) for n in "ab"],
        [helper.make_tensor_value_info("c", TensorProto.INT64, [2])],
    )
    with pytest.raises(OnnxImportError, match=r"node 'plus' \(Add\): int64 arithmetic is not supported"):
        pelemay_ir.import_onnx(add)


def _held_int_model(op, elem, shape_a, shape_b, **attrs):
    from onnx import helper

    return _model(
        [helper.make_node(op, ["a", "b"][: 1 if op in ("Neg", "Abs", "BitwiseNot") else 2], ["c"], name="it", **attrs)],
        [helper.make_tensor_value_info("a", elem, shape_a), helper.make_tensor_value_info("b", elem, shape_b)][
            : 1 if op in ("Neg", "Abs", "BitwiseNot") else 2],
        [helper.make_tensor_value_info("c", elem, shape_a)],
    )


@pytest.mark.parametrize("op,dtype,attrs", [
    ("Add", "uint8", {}), ("Sub", "uint8", {}), ("Mul", "uint8", {}),
    ("Add", "int16", {}), ("Sub", "int16", {}), ("Mul", "int16", {}), ("Neg", "int16", {}), ("Abs", "int16", {}),
    ("Mul", "uint16", {}), ("Sub", "uint16", {}), ("Div", "int16", {}),
    ("BitwiseAnd", "int32", {}), ("BitwiseOr", "int16", {}), ("BitwiseXor", "int8", {}), ("BitwiseXor", "uint16", {}),
    ("BitwiseNot", "int32", {}), ("BitwiseNot", "uint8", {}), ("BitwiseAnd", "int64", {}),
    ("BitShift", "uint8", {"direction": "LEFT"}), ("BitShift", "uint16", {"direction": "LEFT"}),
    ("BitShift", "int32", {"direction": "LEFT"}), ("BitShift", "int8", {"direction": "RIGHT"}),
    ("BitShift", "int64", {"direction": "RIGHT"}), ("BitShift", "uint32", {"direction": "RIGHT"}),
])
def test_integers_held_as_int32_match_onnx_reference(op, dtype, attrs):
    """Values at the ends of each type's range (and shifts past its width):
    wrapped arithmetic and the composed bit operations give onnx.reference's
    results exactly; inputs and results travel as int32 arrays."""
    from onnx import helper
    from onnx.reference import ReferenceEvaluator

    import pelemay_ir

    dt = np.dtype(dtype)
    info = np.iinfo(dt)
    lo, hi = max(int(info.min), -(2**31)), min(int(info.max), 2**31 - 1)
    rng = np.random.default_rng(7)
    edge = np.array([lo, hi, 0, 1, lo + 1, hi - 1, (lo + hi) // 2], dtype=np.int64)
    a = np.concatenate([edge, rng.integers(lo, hi, 25, endpoint=True)]).astype(dt).reshape(4, 8)
    if op == "BitShift":
        b = rng.integers(0, dt.itemsize * 8 + 2, (4, 8)).astype(dt)
    else:
        b = np.concatenate([edge[::-1], rng.integers(lo, hi, 25, endpoint=True)]).astype(dt).reshape(4, 8)
        if op == "Div":
            b[b == 0] = 3
            a[(a == info.min) & (b == -1)] = 5  # numpy's int16 -32768 // -1 is undefined
    elem = helper.np_dtype_to_tensor_dtype(dt)
    model = _held_int_model(op, elem, [4, 8], [4, 8], **attrs)
    unary = op in ("Neg", "Abs", "BitwiseNot")
    feeds = {"a": a} if unary else {"a": a, "b": b}
    with np.errstate(all="ignore"):
        (want,) = ReferenceEvaluator(model).run(None, feeds)
    run = pelemay_ir.compile(pelemay_ir.import_onnx(model))
    args = [x.astype(np.int32) if dt not in (np.int8, np.int32) else x for x in feeds.values()]
    (got,) = run(*args)
    np.testing.assert_array_equal(got.astype(np.int64), want.astype(np.int64))


@pytest.mark.parametrize("src,dst", [("int32", "uint8"), ("int32", "int16"), ("int16", "uint16"),
                                     ("uint16", "uint8"), ("uint8", "uint32"), ("float32", "uint8")])
def test_casts_to_integers_held_as_int32_match_onnx_reference(src, dst):
    """Integer casts keep the low bits (as NumPy's astype); a float in the
    target's range is truncated toward zero."""
    from onnx import helper
    from onnx.reference import ReferenceEvaluator

    import pelemay_ir

    s, d = np.dtype(src), np.dtype(dst)
    rng = np.random.default_rng(3)
    if s.kind == "f":
        x = rng.uniform(0, 255.99, 24).astype(s)
    else:
        info = np.iinfo(s)
        x = np.concatenate([[info.min, info.max, 0, -1 if info.min < 0 else 1],
                            rng.integers(max(info.min, -(2**31)), min(info.max, 2**31 - 1), 20)]).astype(s)
    model = _model(
        [helper.make_node("Cast", ["x"], ["y"], to=helper.np_dtype_to_tensor_dtype(d), name="it")],
        [helper.make_tensor_value_info("x", helper.np_dtype_to_tensor_dtype(s), [24])],
        [helper.make_tensor_value_info("y", helper.np_dtype_to_tensor_dtype(d), [24])],
    )
    (want,) = ReferenceEvaluator(model).run(None, {"x": x})
    run = pelemay_ir.compile(pelemay_ir.import_onnx(model))
    (got,) = run(x if s in (np.float32, np.int32) else x.astype(np.int32))
    np.testing.assert_array_equal(got.astype(np.int64), want.astype(np.int64))


@pytest.mark.parametrize("op", ["CumSum", "CumProd"])
@pytest.mark.parametrize("exclusive,reverse", [(0, 0), (1, 0), (0, 1), (1, 1)])
def test_cumulative_ops_match_onnx_reference(op, exclusive, reverse):
    from onnx import TensorProto, helper, numpy_helper
    from onnx.reference import ReferenceEvaluator

    import pelemay_ir

    model = _model(
        [helper.make_node(op, ["x", "axis"], ["y"], exclusive=exclusive, reverse=reverse, name="it")],
        [helper.make_tensor_value_info("x", TensorProto.INT32, [3, 5])],
        [helper.make_tensor_value_info("y", TensorProto.INT32, [3, 5])],
        [numpy_helper.from_array(np.array(-1, np.int32), "axis")],
        opset=26,  # CumProd is new in opset 26
    )
    x = np.random.default_rng(5).integers(-9, 9, (3, 5)).astype(np.int32)
    (want,) = ReferenceEvaluator(model).run(None, {"x": x})
    (got,) = pelemay_ir.compile(pelemay_ir.import_onnx(model))(x)
    np.testing.assert_array_equal(got, want)


def test_held_types_that_could_leave_int32_are_rejected_naming_the_node():
    from onnx import TensorProto

    import pelemay_ir
    from pelemay_ir.onnx_import import OnnxImportError

    for op, elem, attrs, what in [
        ("Add", TensorProto.UINT32, {}, "uint32 arithmetic is not supported"),
        ("BitShift", TensorProto.UINT64, {"direction": "LEFT"}, "a left shift of uint64"),
        ("BitShift", TensorProto.INT64, {"direction": "LEFT"}, "a left shift of int64"),
        ("BitwiseNot", TensorProto.UINT32, {}, "a bitwise not of uint32"),
        ("Sum", TensorProto.UINT32, {}, "uint32 arithmetic is not supported"),
    ]:
        with pytest.raises(OnnxImportError, match=rf"node 'it' \({op}\): {what}"):
            pelemay_ir.import_onnx(_held_int_model(op, elem, [2], [2], **attrs))


@pytest.mark.parametrize("rule,value,ok", [
    ({"rule": "reshape", "data": [2, 12], "shape": [2, 3, 4], "allowzero": 0}, [2, -1, 4], True),
    ({"rule": "reshape", "data": [2, 12], "shape": [2, 3, 4], "allowzero": 0}, [2, -1, -1], False),
    ({"rule": "reshape", "data": [2, 12], "shape": [2, 3, 4], "allowzero": 1}, [0, 3, 4], False),
    ({"rule": "expand", "data": [3, 1], "shape": [2, 3, 6]}, [2, 1, 6], True),
    ({"rule": "squeeze", "data": [1, 3, 1], "shape": [3]}, [], True),
    ({"rule": "squeeze", "data": [1, 3, 1], "shape": [3]}, [0], False),
    ({"rule": "unsqueeze", "data": [3], "shape": [1, 3, 1]}, [0, -1], True),
    ({"rule": "axes", "rank": 3, "noop": False, "keepdims": True, "data": [1, 3, 4], "shape": [1, 3, 1],
      "ignore": [0], "axes": [2]}, [0, 2], True),
    ({"rule": "axes", "rank": 3, "noop": False, "keepdims": True, "data": [2, 3, 4], "shape": [1, 1, 1],
      "ignore": [], "axes": [0, 1, 2]}, [], True),
    # reducing the size-1 axis too changes nothing but the shape, which keepdims=0 makes visible
    ({"rule": "axes", "rank": 2, "noop": True, "keepdims": False, "data": [1, 3], "shape": [3],
      "ignore": [0], "axes": []}, [], False),
    ({"rule": "axes", "rank": 2, "noop": True, "keepdims": False, "data": [1, 3], "shape": [3],
      "ignore": [0], "axes": []}, [-2], True),
    ({"rule": "equal", "value": [2, 2]}, [2, 2], True),
    ({"rule": "equal", "value": [2, 2]}, [2, 3], False),
])
def test_fixed_input_rules(rule, value, ok):
    from pelemay_ir import onnx_fixed

    assert onnx_fixed.accepts(rule, np.array(value, dtype=np.int64)) is ok


@pytest.mark.slow
def test_report_survives_a_test_that_overruns(cases):
    """A test past its timeout is an error and its worker is replaced; the
    run goes on to the next test."""
    outcomes = onnx_node_report.run_all([cases["test_abs"], cases["test_relu"]], "c", jobs=1, timeout=0.01)
    assert sorted(o.name for o in outcomes) == ["test_abs", "test_relu"]
    assert all(o.status == "error" and "timed out" in o.reason for o in outcomes)


@pytest.mark.parametrize("name,status,reason", [
    # an optional sequence, folded at import, is never taken for a tensor
    ("test_if_opt", "rejected", "a sequence or an optional"),
    # Slice bounds that nothing in the graph determines: only the test's own data fixes them
    ("test_slice", "bound", "axes, ends, starts, steps"),
    ("test_add_uint32", "rejected", "uint32 arithmetic is not supported"),
    ("test_bitshift_left_uint64", "rejected", "a left shift of uint64 values held as int32"),
    ("test_cast_FLOAT_to_INT4", "rejected", "cast to int4"),
    # a float graph input is never fixed at compile time (only integer ones are)
    ("test_onehot_with_axis", "bound", "depth"),
    # tf_crop_and_resize's roi is not determined by the output shape
    ("test_resize_tf_crop_and_resize", "bound", "roi"),
    # how Pad splits its padding is a run-time input in ONNX's test: the data fixes it
    ("test_reflect_pad", "bound", "pads"),
    # the body of an op ONNX defines as a function: the failing body node names the node it came from
    ("test_attention_4d_gqa_causal_nonpad_decode", "rejected", "Attention_0/Sub"),
])
def test_node_test_outcome_and_reason(cases, name, status, reason):
    outcome = onnx_node_report.run_case(cases[name])
    assert (outcome.status, reason in outcome.reason) == (status, True), outcome


def test_if_on_a_known_condition_imports_the_taken_branch():
    from onnx import TensorProto, helper, numpy_helper

    import pelemay_ir

    def branch(op):
        return helper.make_graph([helper.make_node(op, ["x"], ["y_" + op])], op, [],
                                 [helper.make_tensor_value_info("y_" + op, TensorProto.FLOAT, [3])])

    for flag, want in ((True, np.abs), (False, np.negative)):
        model = _model(
            [helper.make_node("If", ["flag"], ["y"], then_branch=branch("Abs"), else_branch=branch("Neg"))],
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3])],
            [numpy_helper.from_array(np.array(flag), "flag")],
        )
        x = np.array([-1.5, 0.0, 2.0], np.float32)
        np.testing.assert_array_equal(pelemay_ir.compile(pelemay_ir.import_onnx(model))(x)[0], want(x))


def test_one_hot_of_run_time_indices_matches_onnx_reference():
    """OneHot with a known depth: int64 indices (negative and out of range
    included) at run time, on and off values of the graph's choosing."""
    from onnx import TensorProto, helper, numpy_helper
    from onnx.reference import ReferenceEvaluator

    import pelemay_ir

    model = _model(
        [helper.make_node("OneHot", ["i", "depth", "values"], ["y"], axis=1)],
        [helper.make_tensor_value_info("i", TensorProto.INT64, [2, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 5, 3])],
        [numpy_helper.from_array(np.array(5, np.int64), "depth"),
         numpy_helper.from_array(np.array([-0.5, 2.0], np.float32), "values")],
    )
    i = np.array([[0, 4, -1], [7, -5, 2]], np.int64)
    want = ReferenceEvaluator(model).run(None, {"i": i})[0]
    got = pelemay_ir.compile(pelemay_ir.import_onnx(model))(i.astype(np.int32))[0]
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("opset,in_dir,out_dir,in_axis,out_axis", [
    (16, 0, 0, 0, 0), (16, 1, 0, 1, 0), (16, 0, 1, 0, 1), (16, 1, 1, 1, -1), (8, 1, 0, 0, 0),
])
def test_scan_matches_onnx_reference(opset, in_dir, out_dir, in_axis, out_axis):
    """Scan unrolled: a running state and a scan output, either direction on
    either axis, a body reading a value of the enclosing graph; opset 8's
    batch axis (onnxruntime: onnx.reference scans forward only)."""
    import onnxruntime
    from onnx import TensorProto, helper, numpy_helper

    import pelemay_ir

    f = TensorProto.FLOAT
    body = helper.make_graph(
        [helper.make_node("Add", ["s_in", "x_t"], ["sum"]), helper.make_node("Mul", ["sum", "w"], ["s_out"]),
         helper.make_node("Sin", ["s_out"], ["y_t"])],
        "body",
        [helper.make_tensor_value_info("s_in", f, [3]), helper.make_tensor_value_info("x_t", f, [3])],
        [helper.make_tensor_value_info("s_out", f, [3]), helper.make_tensor_value_info("y_t", f, [3])],
    )
    if opset == 8:
        node = helper.make_node("Scan", ["", "s0", "x"], ["s", "y"], body=body, num_scan_inputs=1, directions=[in_dir])
        shapes = {"s0": [2, 3], "x": [2, 4, 3], "s": [2, 3], "y": [2, 4, 3]}
    else:
        node = helper.make_node("Scan", ["s0", "x"], ["s", "y"], body=body, num_scan_inputs=1,
                                scan_input_directions=[in_dir], scan_output_directions=[out_dir],
                                scan_input_axes=[in_axis], scan_output_axes=[out_axis])
        shapes = {"s0": [3], "x": [4, 3] if in_axis == 0 else [3, 4], "s": [3], "y": [4, 3] if out_axis == 0 else [3, 4]}
    model = _model(
        [node],
        [helper.make_tensor_value_info(n, f, shapes[n]) for n in ("s0", "x")],
        [helper.make_tensor_value_info(n, f, shapes[n]) for n in ("s", "y")],
        [numpy_helper.from_array(np.array([0.5, -1.0, 0.75], np.float32), "w")],
        opset=opset,
    )
    rng = np.random.default_rng(11)
    feeds = {n: rng.standard_normal(shapes[n]).astype(np.float32) for n in ("s0", "x")}
    model.ir_version = 8
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    want = session.run(None, feeds)
    got = pelemay_ir.compile(pelemay_ir.import_onnx(model))(*feeds.values())
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def test_scan_state_changing_shape_is_rejected_naming_the_node():
    from onnx import TensorProto, helper

    import pelemay_ir
    from pelemay_ir.onnx_import import OnnxImportError

    f = TensorProto.FLOAT
    body = helper.make_graph(
        [helper.make_node("Concat", ["s_in", "x_t"], ["s_out"], axis=0), helper.make_node("Identity", ["x_t"], ["y_t"])],
        "body",
        [helper.make_tensor_value_info("s_in", f, ["n"]), helper.make_tensor_value_info("x_t", f, [2])],
        [helper.make_tensor_value_info("s_out", f, ["n"]), helper.make_tensor_value_info("y_t", f, [2])],
    )
    model = _model(
        [helper.make_node("Scan", ["s0", "x"], ["s", "y"], body=body, num_scan_inputs=1, name="grows")],
        [helper.make_tensor_value_info("s0", f, [2]), helper.make_tensor_value_info("x", f, [3, 2])],
        [helper.make_tensor_value_info("s", f, ["n"]), helper.make_tensor_value_info("y", f, [3, 2])],
    )
    with pytest.raises(OnnxImportError, match=r"node 'grows' \(Scan\): state 0 changes shape from \[2\] to \[4\]"):
        pelemay_ir.import_onnx(model)


@pytest.mark.parametrize("mode", ["edge", "reflect", "wrap"])
def test_pad_modes_match_onnx_reference(mode):
    """Pad with the input's own entries, on two axes at once, wider than the
    axis for edge and wrap."""
    from onnx import TensorProto, helper, numpy_helper
    from onnx.reference import ReferenceEvaluator

    import pelemay_ir

    pads = [1, 0, 2, 2, 3, 1] if mode == "reflect" else [1, 0, 5, 2, 6, 1]
    out = [2 + pads[0] + pads[3], 3 + pads[1] + pads[4], 4 + pads[2] + pads[5]]
    model = _model(
        [helper.make_node("Pad", ["x", "pads"], ["y"], mode=mode)],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, out)],
        [numpy_helper.from_array(np.array(pads, np.int64), "pads")],
    )
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    (want,) = ReferenceEvaluator(model).run(None, {"x": x})
    (got,) = pelemay_ir.compile(pelemay_ir.import_onnx(model))(x)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("output_shape", [None, [1, 2, 7, 6]])
def test_max_unpool_matches_onnx_reference(output_shape):
    """Run-time int64 indices over the whole tensor, repeated ones with
    different values included (the last write wins), and an output_shape
    larger than the unpooled one."""
    from onnx import TensorProto, helper, numpy_helper
    from onnx.reference import ReferenceEvaluator

    import pelemay_ir

    inputs = ["x", "i"] + (["shape"] if output_shape else [])
    model = _model(
        [helper.make_node("MaxUnpool", inputs, ["y"], kernel_shape=[2, 2], strides=[2, 2])],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 3, 3]),
         helper.make_tensor_value_info("i", TensorProto.INT64, [1, 2, 3, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, output_shape or [1, 2, 6, 6])],
        [numpy_helper.from_array(np.array(output_shape, np.int64), "shape")] if output_shape else [],
    )
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, 2, 3, 3)).astype(np.float32)
    i = rng.integers(0, 72, (1, 2, 3, 3)).astype(np.int64)
    i.reshape(-1)[[3, 11]] = i.reshape(-1)[0]
    (want,) = ReferenceEvaluator(model).run(None, {"x": x, "i": i})
    (got,) = pelemay_ir.compile(pelemay_ir.import_onnx(model))(x, i.astype(np.int32))
    np.testing.assert_array_equal(got, want)
