"""Every ptensor op, through the whole pipeline to C, built and run, against
the reference evaluator.

Each test builds a small program (several shapes or variants of one op as
several results, so one gcc run checks them all), compiles it with
`pelemay_ir.api.compile` (ptensor -> bufferize -> plan-memory ->
convert-pbuf-to-loops -> C, built with -Werror) and compares every output
with `pelemay_ir.reference.evaluate`: floats within
`1e-4 * max(1, max|reference|)` with NaN where the reference has NaN,
integers and booleans exactly.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import shutil

import numpy as np
import pytest
from xdsl.dialects import func, scf
from xdsl.dialects.builtin import FileLineColLoc, StringAttr

from pelemay_ir import api, cudabuild, ir, pipelines, reference
from pelemay_ir.builder import ProgramBuilder
from pelemay_ir.ir import CompileError
from pelemay_ir.targets import cuda
from pelemay_ir.passes.bufferize import BufferizePass
from pelemay_ir.passes.convert_pbuf_to_loops import ConvertPbufToLoopsPass
from pelemay_ir.passes.plan_memory import PlanMemoryPass

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

FLOATS = ("f32", "f16")
INTS = ("i32", "i8")
NUMERIC = FLOATS + INTS
NP = {"f32": np.float32, "f16": np.float16, "i32": np.int32, "i8": np.int8, "i1": np.bool_}


# --- inputs and comparison -------------------------------------------------------------


def random_array(rng: np.random.Generator, shape, dtype: str, special: bool = False) -> np.ndarray:
    """Values that exercise the op: negatives, zeros, the integer extremes and,
    with `special`, NaN, infinities, -0.0 and values beyond the integer range."""
    shape = tuple(shape)
    if dtype in FLOATS:
        a = np.array(rng.standard_normal(shape) * 3, dtype=NP[dtype])
        if special and a.size:
            extra = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 0.5, -2.5, 300.7, -1e10, 1e10, 127.9, -129.0])
            flat = a.reshape(-1)
            k = min(flat.size, extra.size)
            with np.errstate(over="ignore"):  # 1e10 is inf in f16: fine
                flat[rng.choice(flat.size, k, replace=False)] = extra[:k].astype(NP[dtype])
        return a
    if dtype == "i1":
        return np.asarray(rng.random(shape) < 0.5)
    info = np.iinfo(NP[dtype])
    a = np.array(rng.integers(-20, 21, size=shape), dtype=NP[dtype])
    if a.size:
        flat = a.reshape(-1)
        extra = np.array([info.min, info.max, 0, -1, 1, info.min + 1], dtype=NP[dtype])
        k = min(flat.size, extra.size)
        flat[rng.choice(flat.size, k, replace=False)] = extra[:k]
        if dtype == "i8" or special:
            wide = rng.integers(info.min, info.max, size=flat.size, endpoint=True).astype(NP[dtype])
            mask = rng.random(flat.size) < 0.3
            flat[mask] = wide[mask]
    return a


def assert_close(got: np.ndarray, want: np.ndarray, label: str) -> None:
    assert got.shape == want.shape, f"{label}: shape {got.shape} != {want.shape}"
    assert got.dtype == want.dtype, f"{label}: dtype {got.dtype} != {want.dtype}"
    if want.dtype.kind != "f":
        bad = np.argwhere(got != want)
        assert bad.size == 0, f"{label}: {len(bad)} mismatches, first at {tuple(bad[0])}: {got[tuple(bad[0])]} != {want[tuple(bad[0])]}"
        return
    g, w = got.astype(np.float64), want.astype(np.float64)
    nan = np.isnan(w)
    assert np.array_equal(np.isnan(g), nan), f"{label}: NaN at different places"
    inf = np.isinf(w)
    assert np.array_equal(g[inf], w[inf]), f"{label}: infinities differ"
    finite = ~nan & ~inf
    if not finite.any():
        return
    scale = max(1.0, float(np.max(np.abs(w[finite]))))
    error = float(np.max(np.abs(g[finite] - w[finite])))
    assert error <= 1e-4 * scale, f"{label}: max_abs_error {error} > {1e-4 * scale}"


CLANG = shutil.which("clang") or shutil.which("clang-16") or "clang-16"
BUILDS = (("C with gcc", {}), ("C with clang", {"cc": CLANG}), ("LLVM IR", {"emit": "llvm"}),
          ("CUDA on the CPU emulator", {"target": "cuda", "emulate": True}))
"""Every program is built four ways: the C, LLVM and CUDA paths must agree with the reference
(the CUDA source runs on pelemay_ir.cudabuild's emulator, its threads in reverse order)."""
if os.environ.get("PELEMAY_TEST_GPU") == "1":  # tools/gpu_check.sh, on a machine with a GPU
    BUILDS = (BUILDS[-1], ("CUDA on the GPU", {"target": "cuda"}))


def check(b: ProgramBuilder, inputs: list[np.ndarray] | None = None, seed: int = 0, special: bool = False, **options):
    """Compile `b`'s program to C (gcc and clang) and to LLVM IR, run each and
    compare with the reference."""
    module = b.build()
    if inputs is None:
        rng = np.random.default_rng(seed)
        inputs = [random_array(rng, a.shape, _name(a.dtype), special) for a in b.arguments]
    want = reference.evaluate(module, inputs)
    results = []
    for build, extra in BUILDS:
        if extra.get("target") == "cuda":  # weights are always external on the GPU unit
            cuda_options = {k: v for k, v in options.items() if k != "weights"}
            check_nvcc_build(api.lower_to_cuda(module, **cuda_options))
            program = api.compile(module, **cuda_options, **extra)
        else:
            program = api.compile(module, **options, **extra)
        got = program(*inputs)
        assert len(got) == len(want)
        for k, (g, w) in enumerate(zip(got, want)):
            assert_close(g, w, f"{b.name} output {k} ({build})")
        results.append(got)
    return results[0]


def check_nvcc_build(module) -> None:
    """The CUDA source builds with nvcc's strict flags (warnings and spills are errors)."""
    header, source = cuda.emit_cuda(module)
    kernels = cudabuild.check_build(header, source, cuda.interface(module).base, cuda.architecture(module))
    assert kernels and all(k.spill_stores == k.spill_loads == 0 for k in kernels.values()), kernels


def _name(dtype: np.dtype) -> str:
    return {v: k for k, v in NP.items()}[np.dtype(dtype).type]


# --- elementwise ---------------------------------------------------------------------------

UNARY_ANY = ("neg", "abs", "relu", "relu6")
UNARY_FLOAT = ("exp", "log", "sqrt", "rsqrt", "tanh", "sin", "cos", "tan", "asin", "acos", "atan", "sigmoid", "gelu")


@pytest.mark.parametrize("dtype", NUMERIC)
def test_unary_ops_on_every_type(dtype):
    b = ProgramBuilder(f"unary_{dtype}")
    x = b.argument("x", (3, 5, 7), dtype)
    s = b.argument("s", (), dtype)
    outs = [getattr(b, name)(x) for name in UNARY_ANY] + [b.relu6(s)]
    lo, hi = (-2.5, 4.25) if dtype in FLOATS else (-7, 9)
    outs.append(b.clamp(x, lo, hi))
    if dtype in FLOATS:
        outs += [getattr(b, name)(x) for name in UNARY_FLOAT]
    b.returns(*outs)
    check(b, special=True)


@pytest.mark.parametrize("dtype", NUMERIC)
def test_binary_ops_broadcast(dtype):
    b = ProgramBuilder(f"binary_{dtype}")
    x = b.argument("x", (3, 1, 5), dtype)
    y = b.argument("y", (4, 5), dtype)
    s = b.argument("s", (), dtype)
    outs = []
    for name in ("add", "sub", "mul", "div", "max", "min"):
        outs.append(getattr(b, name)(x, y))
        outs.append(getattr(b, name)(s, x))
    b.returns(*outs)
    check(b, special=True)


def test_integer_division_rules():
    b = ProgramBuilder("divisions")
    x = b.argument("x", (8,), "i32")
    y = b.argument("y", (8,), "i32")
    b.returns(b.div(x, y))
    lo = np.iinfo(np.int32).min
    got = check(b, [np.array([7, -7, 7, -7, 5, lo, lo, 0], np.int32), np.array([2, 2, -2, -2, 0, -1, 1, 0], np.int32)])
    assert got[0].tolist() == [3, -3, -3, 3, 0, lo, lo, 0]


@pytest.mark.parametrize("dtype", NUMERIC)
def test_compare_and_select(dtype):
    b = ProgramBuilder(f"compare_{dtype}")
    x = b.argument("x", (2, 3, 4), dtype)
    y = b.argument("y", (3, 1), dtype)
    c = b.argument("c", (3, 4), "i1")
    outs = [b.compare(p, x, y) for p in ("eq", "ne", "lt", "le", "gt", "ge")]
    outs.append(b.select(c, x, y))
    outs.append(b.select(outs[2], y, x))
    b.returns(*outs)
    rng = np.random.default_rng(1)
    xs = random_array(rng, (2, 3, 4), dtype, special=True)
    ys = xs[0, :, :1].copy()  # equal elements, so eq/le/ge see ties
    if dtype in FLOATS:
        ys[1, 0] = np.nan
    check(b, [xs, ys, random_array(rng, (3, 4), "i1")])


@pytest.mark.parametrize("source", (*NUMERIC, "i1"))
def test_cast_to_every_type(source):
    b = ProgramBuilder(f"cast_from_{source}")
    x = b.argument("x", (4, 6), source)
    b.returns(*(b.cast(x, target) for target in (*NUMERIC, "i1")))
    check(b, special=True)


# --- reductions and normalisation -----------------------------------------------------------


@pytest.mark.parametrize("dtype", NUMERIC)
@pytest.mark.parametrize("op", ("reduce_sum", "reduce_max", "reduce_min", "reduce_mean"))
def test_reductions(op, dtype):
    b = ProgramBuilder(f"{op}_{dtype}")
    x = b.argument("x", (3, 4, 5), dtype)
    reduce = getattr(b, op)
    b.returns(
        reduce(x, [0]),
        reduce(x, [1, 2]),
        reduce(x, [-1], keepdims=True),
        reduce(x, [0, 1, 2]),
        reduce(x, [0, 2], keepdims=True),
    )
    check(b, seed=3)


@pytest.mark.parametrize("dtype", NUMERIC)
def test_argmax_first_maximum(dtype):
    b = ProgramBuilder(f"argmax_{dtype}")
    x = b.argument("x", (4, 6), dtype)
    b.returns(b.argmax(x, 1), b.argmax(x, 0, keepdims=True))
    xs = np.array([[1, 5, 5, 2, 0, 5], [3, 3, 3, 3, 3, 3], [-4, -2, -9, -2, -3, -8], [0, 7, 1, 7, 2, 1]]).astype(NP[dtype])
    if dtype in FLOATS:
        xs[2, 4] = np.nan
        xs[2, 5] = np.nan  # the first NaN wins
        xs[3, 0] = -np.inf
    check(b, [xs])


@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_layer_norm_batch_norm(dtype):
    b = ProgramBuilder(f"normalise_{dtype}")
    x = b.argument("x", (3, 4, 5), dtype)
    scale = b.argument("scale", (4, 5), dtype)
    offset = b.argument("offset", (4, 5), dtype)
    vec = [b.argument(n, (5,), dtype) for n in ("g", "h", "mean", "var")]
    b.returns(
        b.softmax(x),
        b.softmax(x, 0),
        b.layer_norm(x, scale, offset, axis=1, epsilon=1e-3),
        b.layer_norm(x, b.reshape(b.slice(scale, [0, 0], [1, 5]), (5,)), vec[0], axis=-1),
        b.batch_norm(x, vec[0], vec[1], vec[2], b.abs(vec[3]), epsilon=1e-3),
    )
    check(b, seed=5)


# --- matmul, convolution, pooling -------------------------------------------------------------


@pytest.mark.parametrize("dtype", NUMERIC)
def test_matmul_with_batch_broadcasting(dtype):
    b = ProgramBuilder(f"matmul_{dtype}")
    a = b.argument("a", (3, 5), dtype)
    w = b.argument("w", (5, 7), dtype)
    p = b.argument("p", (2, 1, 3, 4), dtype)
    q = b.argument("q", (3, 4, 5), dtype)
    b.returns(b.matmul(a, w), b.matmul(p, q))
    check(b, seed=7)


CONV_CASES = {
    "plain": dict(x=(1, 7, 6, 3), w=(3, 3, 3, 4), bias=True),
    "stride_padding": dict(x=(2, 9, 8, 3), w=(3, 2, 3, 5), strides=(2, 3), padding=(1, 2, 0, 1), bias=True),
    "dilation": dict(x=(1, 9, 10, 2), w=(3, 3, 2, 3), dilations=(2, 3), padding=(2, 1, 3, 2)),
    "groups": dict(x=(1, 6, 6, 4), w=(3, 3, 2, 6), groups=2, padding=(1, 1, 1, 1), bias=True),
    "depthwise": dict(x=(1, 7, 7, 3), w=(3, 3, 1, 6), groups=3, strides=(2, 2), padding=(1, 1, 1, 1), bias=True),
    "large_padding": dict(x=(1, 2, 3, 2), w=(3, 3, 2, 2), padding=(2, 2, 2, 2), dilations=(2, 1)),
    "implicit_gemm": dict(x=(2, 9, 8, 3), w=(3, 2, 3, 33), strides=(2, 1), padding=(1, 2, 0, 1), dilations=(1, 2),
                          bias=True),  # f32: a tiled kernel on the GPU (docs/cuda.md)
}


@pytest.mark.parametrize("dtype", (*FLOATS, "i8"))
@pytest.mark.parametrize("case", list(CONV_CASES))
def test_conv2d(case, dtype):
    spec = dict(CONV_CASES[case])
    b = ProgramBuilder(f"conv_{case}_{dtype}")
    x = b.argument("x", spec.pop("x"), dtype)
    w = b.argument("w", spec.pop("w"), dtype)
    bias = None
    if spec.pop("bias", False):
        bias = b.argument("bias", (w.shape[3],), "i32" if dtype == "i8" else dtype)
    b.returns(b.conv2d(x, w, bias, **spec))
    check(b, seed=11)


@pytest.mark.parametrize("dtype", NUMERIC)
def test_pooling(dtype):
    b = ProgramBuilder(f"pool_{dtype}")
    x = b.argument("x", (2, 7, 9, 3), dtype)
    outs = [
        b.max_pool2d(x, (2, 2)),
        b.max_pool2d(x, (3, 3), (2, 3), padding=(1, 2, 2, 1)),
    ]
    if dtype in FLOATS:
        outs += [b.avg_pool2d(x, (2, 3)), b.avg_pool2d(x, (3, 3), (2, 2), padding=(1, 1, 2, 0))]
    b.returns(*outs)
    check(b, seed=13)


# --- layout -------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", (*NUMERIC, "i1"))
def test_layout_ops(dtype):
    b = ProgramBuilder(f"layout_{dtype}")
    x = b.argument("x", (3, 4, 5), dtype)
    y = b.argument("y", (3, 2, 5), dtype)
    v = b.argument("v", (4, 1), dtype)
    pad_value = 1 if dtype == "i1" else 3
    b.returns(
        b.transpose(x, (2, 0, 1)),
        b.slice(x, (1, 0, 1), (2, 2, 2), (1, 3, 2)),
        b.concat([x, y, x], 1),
        b.pad(x, (1, 0, 2), (0, 2, 1), pad_value),
        b.broadcast(v, (2, 4, 3)),
        # A reshape of an intermediate: a view of the same arena bytes.
        b.transpose(b.reshape(b.transpose(x, (0, 2, 1)), (5, 12)), (1, 0)),
    )
    check(b, seed=17)


def test_reshape_of_arguments_and_results():
    """Reshapes of inputs and outputs are views of caller memory, never copies."""
    b = ProgramBuilder("reshapes")
    x = b.argument("x", (2, 6), "f32")
    b.returns(b.reshape(b.relu(b.reshape(x, (3, 4))), (12,)), b.reshape(x, (4, 3)))
    check(b)


# --- constants and weights --------------------------------------------------------------------


@pytest.mark.parametrize("mode", ("embedded", "external"))
def test_constants_and_weights(mode):
    b = ProgramBuilder(f"data_{mode}")
    x = b.argument("x", (2, 3), "f32")
    w = b.weight("layer.w", np.arange(6, dtype=np.float32).reshape(3, 2) - 2.5)
    k = b.weight("k8", np.arange(-3, 3, dtype=np.int8).reshape(2, 3))
    c = b.constant(np.array([[1.5, -2.0, 0.25]], np.float32))
    mask = b.constant(np.array([True, False, True]))
    y = b.matmul(b.add(x, c), w)
    b.returns(
        y,
        b.reshape(w, (6,)),
        b.select(mask, x, b.constant(np.float32(7.0))),
        b.cast(k, "i32"),
    )
    check(b, weights=mode)


@pytest.mark.parametrize(
    "options", ({"io_in_arena": True}, {"algorithm": "greedy-by-size"}, {"reorder": True}), ids=str
)
def test_plan_memory_options(options):
    check_model("lenet5", "external", **options)


# --- the bundled models ------------------------------------------------------------------------


def check_model(name: str, mode: str, **options) -> dict[str, float]:
    path = EXAMPLES / f"{name}.mlir"
    module = ir.load(path)
    fn = reference.entry_function(module)
    rng = np.random.default_rng(0)
    inputs = [random_array(rng, a.type.get_shape(), "f32") for a in fn.body.block.args]
    want = reference.evaluate(module, inputs)
    start = time.perf_counter()
    program = api.compile(path, weights=mode, **options)
    compile_s = time.perf_counter() - start
    start = time.perf_counter()
    got = program(*inputs)
    run_s = time.perf_counter() - start
    for k, (g, w) in enumerate(zip(got, want)):
        assert_close(g, w, f"{name} output {k}")
    error = max(float(np.max(np.abs(g.astype(np.float64) - w))) for g, w in zip(got, want))
    return {"compile_s": compile_s, "run_s": run_s, "max_abs_error": error}


@pytest.mark.parametrize("mode", ("embedded", "external"))
@pytest.mark.parametrize("name", ("mlp", "lenet5", "resblock"))
def test_small_models(name, mode):
    check_model(name, mode)


@pytest.mark.parametrize("name", ("mobilenet_v1", "mobilenet_v2"))
def test_mobilenets_external_weights(name):
    check_model(name, "external")


@pytest.mark.slow
@pytest.mark.parametrize("name", ("mobilenet_v1", "mobilenet_v2"))
def test_mobilenets_embedded_weights(name):
    check_model(name, "embedded")


# --- the loop-level contract --------------------------------------------------------------------


def lowered(text: str, mode: str = "embedded"):
    ctx = ir.make_context()
    module = ir.parse(text, "prog.mlir", ctx)
    for p in (BufferizePass(), PlanMemoryPass(), ConvertPbufToLoopsPass(weights=mode)):
        p.apply(ctx, module)
    ir.verify(module)
    return module


PROGRAM = """builtin.module {
  func.func @prog(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
    %e = ptensor.exp %x : tensor<2x3xf32>
    %t = ptensor.transpose %e {permutation = array<i64: 1, 0>} : tensor<2x3xf32> -> tensor<3x2xf32>
    %r = ptensor.reshape %t : tensor<3x2xf32> -> tensor<2x3xf32>
    %s = ptensor.add %r, %x : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
    func.return %s : tensor<2x3xf32>
  }
}
"""


def test_entry_signature_and_attributes():
    module = lowered(PROGRAM)
    (fn,) = [op for op in module.ops if isinstance(op, func.FuncOp)]
    assert [str(a.type) for a in fn.args] == [
        "memref<2x3xf32>",
        "memref<2x3xf32>",
        f"memref<{fn.attributes['pelemay.arena_bytes'].value.data}xi8>",  # pyright: ignore
    ]
    for key in ("pelemay.entry", "pelemay.num_inputs", "pelemay.arena_bytes", "pelemay.arena_align"):
        assert key in fn.attributes
    assert fn.attributes["pelemay.num_inputs"].value.data == 1  # pyright: ignore
    assert not any(op.name.startswith(("pbuf.", "ptensor.")) for op in module.walk())


def test_outer_loops_carry_source_location_and_name():
    module = lowered(PROGRAM)
    fn = next(op for op in module.ops if isinstance(op, func.FuncOp))
    outer = [op for op in fn.body.block.ops if isinstance(op, scf.ForOp)]
    assert [op.attributes["pelemay.source"] for op in outer] == [
        StringAttr("ptensor.exp"),
        StringAttr("ptensor.transpose"),
        StringAttr("ptensor.add"),
    ]
    assert [(op.location.line.data) for op in outer if isinstance(op.location, FileLineColLoc)] == [3, 4, 6]


def test_no_arena_argument_without_intermediates():
    text = """builtin.module {
  func.func @direct(%x: tensor<4xf32>) -> tensor<4xf32> {
    %y = ptensor.relu %x : tensor<4xf32>
    func.return %y : tensor<4xf32>
  }
}
"""
    fn = next(op for op in lowered(text).ops if isinstance(op, func.FuncOp))
    assert len(fn.args) == 2
    assert fn.attributes["pelemay.arena_bytes"].value.data == 0  # pyright: ignore


def test_external_weights_are_the_first_argument():
    module = ir.load(EXAMPLES / "mlp.mlir")
    ctx = ir.make_context()
    for p in (BufferizePass(), PlanMemoryPass(), ConvertPbufToLoopsPass(weights="external")):
        p.apply(ctx, module)
    fn = next(op for op in module.ops if isinstance(op, func.FuncOp))
    assert fn.args[0].type.get_shape() == ((EXAMPLES / "mlp.weights").stat().st_size,)  # pyright: ignore
    assert "pelemay.weights_arg" in fn.attributes
    assert not [op for op in module.ops if op.name == "memref.global"]


def test_embedded_weights_become_named_globals():
    module = ir.load(EXAMPLES / "mlp.mlir")
    ctx = ir.make_context()
    for p in (BufferizePass(), PlanMemoryPass(), ConvertPbufToLoopsPass()):
        p.apply(ctx, module)
    names = [op.sym_name.data for op in module.ops if op.name == "memref.global"]  # pyright: ignore
    assert names == ["fc1_w", "fc1_b", "fc2_w", "fc2_b", "fc3_w", "fc3_b"]


# --- errors -----------------------------------------------------------------------------------------


def test_tensor_ops_left_are_reported_with_position():
    ctx = ir.make_context()
    module = ir.parse(PROGRAM, "prog.mlir", ctx)
    with pytest.raises(CompileError) as e:
        ConvertPbufToLoopsPass().apply(ctx, module)
    assert "prog.mlir:" in str(e.value) and "bufferize" in str(e.value)


def test_unplanned_allocs_are_reported():
    ctx = ir.make_context()
    module = ir.parse(PROGRAM, "prog.mlir", ctx)
    BufferizePass().apply(ctx, module)
    with pytest.raises(CompileError, match="plan-memory") as e:
        ConvertPbufToLoopsPass().apply(ctx, module)
    assert e.value.location is not None and e.value.location.startswith("prog.mlir:")


def test_bad_options_name_the_valid_choices():
    with pytest.raises(CompileError, match="embedded, external"):
        ConvertPbufToLoopsPass(weights="flash").apply(ir.make_context(), ir.parse(PROGRAM))
    with pytest.raises(CompileError, match="host, aarch64, aarch64-dotprod, armv7, armv7-a8, riscv64, cortex-m4"):
        pipelines.pass_list("pelemay-to-c", target="x86")
    with pytest.raises(CompileError, match="valid options"):
        pipelines.pass_list("pelemay-to-loops", colour="red")
    with pytest.raises(CompileError, match="valid choices: c, llvm"):
        api.compile(EXAMPLES / "mlp.mlir", emit="wasm")


def test_pipelines_expand_for_every_machine():
    neon = {"aarch64", "aarch64-dotprod", "armv7", "armv7-a8"}
    for machine in pipelines.MACHINES:
        text = pipelines.pass_list("pelemay-to-c", target=machine, weights="external", io_in_arena=True)
        vector = machine in neon or machine == "host"
        assert text == (
            "inline-calls,"
            + (f'pointwise-to-matmul{{target="{machine}"}},' if vector else "")
            + "canonicalize,cse,bufferize,"
            + (f'pack-operands{{target="{machine}"}},' if vector else "")
            + f'plan-memory{{target="{machine}" io-in-arena=true}},verify-memory-plan,'
            + (f'vectorize{{target="{machine}"}},' if vector else "")
            + 'convert-pbuf-to-loops{weights="external"}'
            + (f',convert-vector-to-arm-simd{{target="{machine}"}}' if machine in neon else "")
        )
        scalar = pipelines.pass_list("pelemay-to-c", target=machine, vectorize=False)
        assert "vectorize" not in scalar


def test_vectorize_is_refused_where_there_is_no_vector_unit():
    with pytest.raises(CompileError, match="no vector unit"):
        api.lower(EXAMPLES / "mlp.mlir", target="riscv64", vectorize=True)
    with pytest.raises(CompileError, match="true or false"):
        pipelines.pass_list("pelemay-to-c", vectorize="maybe")
