"""The C target on the portable vector ops (vector.load/store/broadcast/fma/
reduction, float arith on vector<Wxf32>): GCC/Clang vector extensions, built
with gcc and clang under the strict C99 flags, run against NumPy at widths
4, 8 and 16 with scalar tails, under ASan/UBSan, and cross-built for aarch64
and run under qemu.

Default tier: every width with gcc and clang, one sanitizer run, one aarch64
run, the arm_simd interplay. `-m slow`: every width under the sanitizers,
with contraction allowed (-ffp-contract=fast -march=native), and on aarch64
and armv7."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

from pelemay_ir import cbuild, cross, ir
from pelemay_ir.targets import c
from pelemay_ir.targets import abi
from pelemay_ir.targets import c_harness

WIDTHS = (4, 8, 16)
ROWS = 2
OPS = ("addf", "subf", "mulf", "divf", "maximumf", "minimumf", "negf", "relu", "relu_via_arena")
"""The elementwise results, in the order of the first dimension of output %o."""


def clang() -> str:
    found = shutil.which("clang") or shutil.which("clang-16")
    assert found, "clang (clang-16) must be installed"
    return found


def width_program(w: int) -> str:
    """Every portable vector op on rows of n = 2w + 3 floats: a vector loop of
    step w, then a scalar tail of 3; reductions of one vector with and without
    an accumulator; a loop-carried vector sum; a constant vector; a copy through
    an arena shared by two element types (so reached as bytes)."""
    n = 2 * w + 3
    main = 2 * w
    vt = f"vector<{w}xf32>"
    row = f"memref<{ROWS}x{n}xf32>"
    out = f"memref<{len(OPS)}x{ROWS}x{n}xf32>"
    arena = 4 * n
    vector_body = []
    scalar_body = []
    for k, (vop, sop) in enumerate([
        ("%add = arith.addf %a, %b", "%add = arith.addf %a, %b"),
        ("%sub = arith.subf %a, %sv", "%sub = arith.subf %a, %s"),
        ("%mul = arith.mulf %a, %b", "%mul = arith.mulf %a, %b"),
        ("%div = arith.divf %a, %b", "%div = arith.divf %a, %b"),
        ("%max = arith.maximumf %a, %b", "%max = arith.maximumf %a, %b"),
        ("%min = arith.minimumf %a, %b", "%min = arith.minimumf %a, %b"),
        ("%neg = arith.negf %a", "%neg = arith.negf %a"),
        ("%relu = arith.maximumf %a, %zeros", "%relu = arith.maximumf %a, %zero"),
    ]):
        name = vop.split(" ", 1)[0]
        vector_body += [f"{vop} : {vt}", f"%c{k}_ = arith.constant {k} : index",
                        f"vector.store {name}, %o[%c{k}_, %r, %i] : {out}, {vt}"]
        scalar_body += [f"{sop} : f32", f"%c{k}_ = arith.constant {k} : index",
                        f"memref.store {name}, %o[%c{k}_, %r, %i] : {out}"]
    vector_body += [
        f"%relu2 = arith.maximumf %zeros, %b : {vt}",
        f"vector.store %relu2, %t[%i] : memref<{n}xf32>, {vt}",
        f"%back = vector.load %t[%i] : memref<{n}xf32>, {vt}",
        f"vector.store %back, %o[%c8, %r, %i] : {out}, {vt}",
        f"%f = vector.fma %a, %b, %sv : {vt}",
        f"vector.store %f, %fused[%r, %i] : {row}, {vt}",
    ]
    scalar_body += [
        "%relu2 = arith.maximumf %zero, %b : f32",
        f"memref.store %relu2, %o[%c8, %r, %i] : {out}",
        "%p = arith.mulf %a, %b : f32",
        "%f = arith.addf %p, %s : f32",
        f"memref.store %f, %fused[%r, %i] : {row}",
    ]
    vb = "\n      ".join(vector_body)
    sb = "\n      ".join(scalar_body)
    reductions = []
    for k, (kind, acc) in enumerate([("add", ""), ("maximumf", ""), ("minimumf", ""),
                                     ("add", ", %s"), ("maximumf", ", %s"), ("minimumf", ", %s")]):
        reductions += [f"%red{k} = vector.reduction <{kind}>, %v1{acc} : {vt} into f32",
                       f"%k{k} = arith.constant {k} : index",
                       f"memref.store %red{k}, %red[%k{k}] : memref<9xf32>"]
    rb = "\n  ".join(reductions)
    return f"""
func.func @vec{w}(%x: {row}, %y: {row}, %sp: memref<1xf32>, %o: {out}, %fused: {row},
                  %red: memref<9xf32>, %arena: memref<{arena}xi8>)
    attributes {{pelemay.entry, pelemay.num_inputs = 3 : i64, pelemay.arena_bytes = {arena} : i64}} {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c6 = arith.constant 6 : index
  %c7 = arith.constant 7 : index
  %c8 = arith.constant 8 : index
  %cw = arith.constant {w} : index
  %cmain = arith.constant {main} : index
  %cn = arith.constant {n} : index
  %crows = arith.constant {ROWS} : index
  %zero = arith.constant 0.0 : f32
  %t = memref.view %arena[%c0][] : memref<{arena}xi8> to memref<{n}xf32>
  %as_ints = memref.view %arena[%c0][] : memref<{arena}xi8> to memref<{n}xi32>
  %s = memref.load %sp[%c0] : memref<1xf32>
  %sv = vector.broadcast %s : f32 to {vt}
  %zeros = vector.broadcast %zero : f32 to {vt}
  scf.for %r = %c0 to %crows step %c1 {{
    scf.for %i = %c0 to %cmain step %cw {{
      %a = vector.load %x[%r, %i] : {row}, {vt}
      %b = vector.load %y[%r, %i] : {row}, {vt}
      {vb}
    }}
    scf.for %i = %cmain to %cn step %c1 {{
      %a = memref.load %x[%r, %i] : {row}
      %b = memref.load %y[%r, %i] : {row}
      {sb}
    }}
  }}
  %v1 = vector.load %x[%c1, %c0] : {row}, {vt}
  {rb}
  %lanes = scf.for %i = %c0 to %cmain step %cw iter_args(%acc = %zeros) -> ({vt}) {{
    %b = vector.load %y[%c1, %i] : {row}, {vt}
    %next = arith.addf %acc, %b : {vt}
    scf.yield %next : {vt}
  }}
  %sum = vector.reduction <add>, %lanes : {vt} into f32
  memref.store %sum, %red[%c6] : memref<9xf32>
  %v0 = vector.load %x[%c0, %c0] : {row}, {vt}
  %nan_max = vector.reduction <maximumf>, %v0 : {vt} into f32
  memref.store %nan_max, %red[%c7] : memref<9xf32>
  %twos = arith.constant dense<2.0> : {vt}
  %doubled = arith.mulf %v1, %twos : {vt}
  %dsum = vector.reduction <add>, %doubled : {vt} into f32
  memref.store %dsum, %red[%c8] : memref<9xf32>
  func.return
}}
"""


# --- the reference ---------------------------------------------------------------------


def maximumf(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """arith.maximumf: NaN if either is NaN, -0 < +0."""
    r = np.where(a > b, a, b)
    r = np.where(a == b, np.where(np.signbit(a), b, a), r)
    return np.where(np.isnan(a) | np.isnan(b), np.float32(np.nan), r).astype(np.float32)


def minimumf(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    r = np.where(a < b, a, b)
    r = np.where(a == b, np.where(np.signbit(a), a, b), r)
    return np.where(np.isnan(a) | np.isnan(b), np.float32(np.nan), r).astype(np.float32)


def in_lane_order(values: np.ndarray, combine, start=None) -> np.float32:
    acc = values[0] if start is None else start
    for v in values[0 if start is not None else 1:]:
        acc = np.float32(combine(np.float32(acc), v))
    return np.float32(acc)


def reference(w: int, x: np.ndarray, y: np.ndarray, s: np.float32):
    zero = np.zeros_like(x)
    with np.errstate(all="ignore"):
        elementwise = np.stack([
            x + y, x - s, x * y, x / y, maximumf(x, y), minimumf(x, y), -x,
            maximumf(x, zero), maximumf(zero, y),
        ]).astype(np.float32)
        unfused = (x * y + s).astype(np.float32)
        fused = (x.astype(np.float64) * y + s).astype(np.float32)
        v1 = x[1, :w]

        def scalar_max(a, b):
            return maximumf(np.float32(a), np.float32(b))

        def scalar_min(a, b):
            return minimumf(np.float32(a), np.float32(b))

        lanes = np.zeros(w, np.float32)
        for k in range(0, 2 * w, w):
            lanes = (lanes + y[1, k:k + w]).astype(np.float32)
        red = np.array([
            in_lane_order(v1, np.add), in_lane_order(v1, scalar_max), in_lane_order(v1, scalar_min),
            in_lane_order(v1, np.add, s), in_lane_order(v1, scalar_max, s), in_lane_order(v1, scalar_min, s),
            in_lane_order(lanes, np.add), in_lane_order(x[0, :w], scalar_max),
            in_lane_order((v1 * np.float32(2)).astype(np.float32), np.add),
        ], np.float32)
    return elementwise, unfused, fused, red


def inputs(w: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random rows with NaN, infinities, signed zeros and ties in vector lanes
    and in the tail; row 1's first vector holds both zeros but no NaN."""
    rng = np.random.default_rng(seed)
    n = 2 * w + 3
    x = rng.standard_normal((ROWS, n)).astype(np.float32)
    y = rng.standard_normal((ROWS, n)).astype(np.float32)
    x[0, :4] = [np.nan, -0.0, 0.0, np.inf]
    y[0, :4] = [1.0, 0.0, -0.0, np.nan]
    x[0, w:w + 4] = [2.5, -np.inf, -0.0, 0.0]
    y[0, w:w + 4] = [2.5, 1.0, -0.0, 0.0]
    x[1, :3] = [-0.0, 0.0, -1.5]
    x[1, -3:] = [np.nan, -0.0, 3.0]
    y[1, -3:] = [2.0, 0.0, np.nan]
    return x, y, np.array([0.75], np.float32)


def assert_same(got: np.ndarray, want: np.ndarray) -> None:
    """NaN where NumPy has NaN; every other value bit for bit (so -0 is not +0)."""
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    keep = ~np.isnan(want)
    np.testing.assert_array_equal(got[keep].view(np.uint32), want[keep].view(np.uint32))


def check(w: int, outputs, x, y, s, contracted: bool = False) -> None:
    elementwise, unfused, fused, red = reference(w, x, y, s[0])
    o, f, r = outputs
    assert_same(o, elementwise)
    assert_same(r, red)
    if contracted:
        np.testing.assert_array_equal(np.isnan(f), np.isnan(unfused))
        with np.errstate(invalid="ignore"):
            near_fused = np.abs(f.astype(np.float64) - fused) <= np.spacing(np.abs(fused))
        assert ((f == unfused) | near_fused | np.isnan(unfused)).all()
    else:
        assert_same(f, unfused)


def parsed(text: str):
    return ir.parse(text, "vectors.mlir")


# --- printing --------------------------------------------------------------------------


def test_typedefs_once_in_a_fixed_order_and_identical_output():
    text = width_program(16) + width_program(4).replace("@vec4", "@narrow").replace("pelemay.entry, ", "")
    module = parsed(f"module {{{text}}}")
    _, source = c.emit_c(module)
    typedefs = [line for line in source.splitlines() if line.startswith("typedef")]
    assert typedefs == [
        "typedef float pelemay_f32x16 __attribute__((vector_size(64)));",
        "typedef int32_t pelemay_i32x16 __attribute__((vector_size(64)));",
    ]  # @narrow is not called: its types are not printed
    assert c.emit_c(parsed(f"module {{{text}}}")) == c.emit_c(module)


def test_every_width_prints_its_types_and_helpers():
    for w in WIDTHS:
        _, source = c.emit_c(parsed(width_program(w)))
        t = f"pelemay_f32x{w}"
        assert f"typedef float {t} __attribute__((vector_size({4 * w})));" in source
        assert f"typedef int32_t pelemay_i32x{w} __attribute__((vector_size({4 * w})));" in source
        assert source.index(f"typedef float {t}") < source.index(f"typedef int32_t pelemay_i32x{w}")
        for text in (f"memcpy(&a, &x[r * {2 * w + 3} + i], sizeof a);",
                     f"memcpy(&o[r * {2 * w + 3} + i], &add, sizeof({t}));",
                     f"const {t} sv = ({t}){{{', '.join(['s'] * w)}}};",
                     f"const {t} f = a * b + sv;", f"const {t} neg = -a;",
                     f"const {t} max = ({t})((", f"const pelemay_i32x{w} v = (pelemay_i32x{w})(a > b);",
                     f"const {t} relu = ({t})((", f"const {t} relu2 = ({t})((",
                     f"pl_vec_reduce_add_acc_f32x{w}(s, &v1)", "memcpy(t + (i) * 4, &relu2, ",
                     "memcpy(&back, t + (i) * 4, sizeof back);"):
            assert text in source, (w, text)
        assert "#include <arm_neon.h>" not in source


def test_relu_is_one_compare_and_one_select():
    w = 8
    text = f"""
func.func @relu(%x: memref<8xf32>, %y: memref<8xf32>) attributes {{pelemay.entry, pelemay.num_inputs = 1 : i64}} {{
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %zeros = vector.broadcast %zero : f32 to vector<{w}xf32>
  %a = vector.load %x[%c0] : memref<8xf32>, vector<{w}xf32>
  %r = arith.maximumf %a, %zeros : vector<{w}xf32>
  vector.store %r, %y[%c0] : memref<8xf32>, vector<{w}xf32>
  func.return
}}
"""
    def compares(source: str) -> list[str]:
        return re.findall(r"= \(pelemay_i32x8\)\((.*)\);$", source, re.M)

    assert compares(c.emit_c(parsed(text))[1]) == ["a <= zeros"]  # x <= +0 takes +0: -0 too
    negative = text.replace("0.0 : f32", "-0.0 : f32")
    assert compares(c.emit_c(parsed(negative))[1]) == ["a < zeros"]  # max(-0, -0) keeps x
    dense = text.replace("vector.broadcast %zero : f32 to", "arith.constant dense<0.0> :")
    assert compares(c.emit_c(parsed(dense))[1]) == [f"a <= (pelemay_f32x8){{{', '.join(['0.0f'] * w)}}}"]
    negative_dense = dense.replace("dense<0.0>", "dense<-0.0>")
    assert compares(c.emit_c(parsed(negative_dense))[1]) == [f"a < (pelemay_f32x8){{{', '.join(['(-0.0f)'] * w)}}}"]
    x = np.array([-1.0, -0.0, 0.0, np.nan, 2.0, -np.inf, np.inf, 1e-45], np.float32)
    zeros = np.zeros_like(x)
    swapped = text.replace("%a, %zeros :", "%zeros, %a :")
    for source_text, want in ((text, maximumf(x, zeros)), (swapped, maximumf(x, zeros)),
                              (dense, maximumf(x, zeros)), (negative, maximumf(x, -zeros)),
                              (negative_dense, maximumf(x, -zeros))):
        (got,) = cbuild.compile_module(parsed(source_text))(x)
        assert_same(got, want)


def error_of(text: str) -> str:
    with pytest.raises(ir.CompileError) as caught:
        c.emit_c(parsed(text))
    return str(caught.value)


def one_op(body: str, arg: str = "memref<16xf32>") -> str:
    return f"""func.func @f(%x: {arg}, %y: {arg}) attributes {{pelemay.entry, pelemay.num_inputs = 1 : i64}} {{
  %c0 = arith.constant 0 : index
  {body}
  func.return
}}
"""


@pytest.mark.parametrize("body,arg,message", [
    ("%v = vector.load %x[%c0] : memref<16xf32>, vector<3xf32>\n"
     "  vector.store %v, %y[%c0] : memref<16xf32>, vector<3xf32>",
     "memref<16xf32>", r"vectors.mlir:3:\d+: error: 'vector.load' op cannot be printed by the c target: vector<3xf32> "
                       r"is not a portable vector: those are vector<Wxf32> .* with W = 4, 8 or 16"),
    ("%v = vector.load %x[%c0] : memref<16xi32>, vector<8xi32>\n"
     "  vector.store %v, %y[%c0] : memref<16xi32>, vector<8xi32>",
     "memref<16xi32>", r"vectors.mlir:3:\d+: .*'vector.load' op .*vector<8xi32> holds the bits of f32 lanes"),
    ("%v = vector.load %x[%c0] : memref<16xf32>, vector<32xf32>\n"
     "  vector.store %v, %y[%c0] : memref<16xf32>, vector<32xf32>",
     "memref<16xf32>", r"vectors.mlir:3:\d+: .*vector<32xf32>"),
    ("%v = vector.load %x[%c0] : memref<16xf16>, vector<8xf16>\n"
     "  vector.store %v, %y[%c0] : memref<16xf16>, vector<8xf16>",
     "memref<16xf16>", r"vectors.mlir:3:\d+: .*vector<8xf16>"),
    ("%v = vector.load %x[%c0] : memref<16xf32>, vector<4xf32>\n"
     "  %w = math.exp %v : vector<4xf32>\n"
     "  vector.store %w, %y[%c0] : memref<16xf32>, vector<4xf32>",
     "memref<16xf32>", r"vectors.mlir:4:\d+: .*'math.exp' op cannot be printed by the c target: on vectors it "
                       r"prints arith.addf, arith.subf, .*arith.negf"),
    ("%v = vector.load %x[%c0] : memref<16xf32>, vector<4xf32>\n"
     "  %m = arith.cmpf olt, %v, %v : vector<4xf32>\n"
     "  vector.store %v, %y[%c0] : memref<16xf32>, vector<4xf32>",
     "memref<16xf32>", r"vectors.mlir:4:\d+: .*'arith.cmpf' op cannot be printed by the c target: on vectors"),
    ("%v = vector.load %x[%c0] : memref<16xf32>, vector<4xf32>\n"
     "  %r = vector.reduction <mul>, %v : vector<4xf32> into f32\n"
     "  memref.store %r, %y[%c0] : memref<16xf32>",
     "memref<16xf32>", r"vectors.mlir:4:\d+: .*'vector.reduction' op cannot be printed by the c target: of kind <mul>: "
                       r"it reduces with <add> \(and <maximumf>, <minimumf> as legalize writes them out\)"),
    ("%v = vector.load %x[%c0] : memref<16xf32>, vector<4xf32>\n"
     "  %e = vector.extract %v[%c0] : f32 from vector<4xf32>\n"
     "  memref.store %e, %y[%c0] : memref<16xf32>",
     "memref<16xf32>", r"vectors.mlir:4:\d+: .*'vector.extract' op cannot be printed by the c target: .*takes one constant lane"),
    ("%c14 = arith.constant 14 : index\n"
     "  %v = vector.load %x[%c14] : memref<16xf32>, vector<4xf32>\n"
     "  vector.store %v, %y[%c0] : memref<16xf32>, vector<4xf32>",
     "memref<16xf32>", r"vectors.mlir:4:\d+: .*'vector.load' op cannot be printed by the c target: vector<4xf32> at index 14 of "
                       r"memref<16xf32> is out of bounds"),
    ("%v = vector.load %x[%c0] : memref<2xf32>, vector<4xf32>\n"
     "  vector.store %v, %y[%c0] : memref<2xf32>, vector<4xf32>",
     "memref<2xf32>", r"vectors.mlir:3:\d+: .*the 4 lanes of vector<4xf32> must fit in the last dimension of memref<2xf32>"),
    ("%v = vector.load %y[%c0] : memref<16xf32>, vector<4xf32>\n"
     "  vector.store %v, %x[%c0] : memref<16xf32>, vector<4xf32>",
     "memref<16xf32>", r"vectors.mlir:4:\d+: .*'vector.store' into a read-only buffer \(input\)"),
    ("%v = vector.load %x[%c0] : memref<16xf32>, vector<4xf32>\n"
     "  %b = arith.bitcast %v : vector<4xf32> to vector<4xi32>\n"
     "  %s = arith.addi %b, %b : vector<4xi32>",
     "memref<16xf32>", r"vectors.mlir:5:\d+: .*'arith.addi' op cannot be printed by the c target: on vectors it prints .*arith.negf "
                       r"of vector<Wxf32>, and arith.bitcast, arith.shli, .* on the bits of f32 lanes"),
    ("%v = vector.load %x[%c0] : memref<16xf32>, vector<4xf32>\n"
     "  %b = arith.bitcast %v : vector<4xf32> to vector<4xi32>\n"
     "  %s = vector.reduction <add>, %b : vector<4xi32> into i32",
     "memref<16xf32>", r"vectors.mlir:5:\d+: .*'vector.reduction' op cannot be printed by the c target: vector<4xi32> "
                       r"holds the bits of f32 lanes, which only arith.constant, arith.bitcast, arith.shli"),
    ("%v = vector.load %x[%c0] : memref<16xf32>, vector<4xf32>\n"
     "  %b = arith.bitcast %v : vector<4xf32> to vector<4xi32>\n"
     "  %s = arith.shli %b, %b : vector<4xi32>",
     "memref<16xf32>", r"vectors.mlir:5:\d+: .*'arith.shli' op .*a shift of vector lanes is by a constant splat amount in 0..31"),
])
def test_unsupported_vectors_are_located_errors(body, arg, message):
    error = error_of(one_op(body, arg))
    assert re.search(message, error), error


def test_vectors_do_not_cross_function_calls():
    text = """
func.func @twice(%v: vector<8xf32>) -> vector<8xf32> {
  %w = arith.addf %v, %v : vector<8xf32>
  func.return %w : vector<8xf32>
}
func.func @f(%x: memref<8xf32>, %y: memref<8xf32>) attributes {pelemay.entry, pelemay.num_inputs = 1 : i64} {
  %c0 = arith.constant 0 : index
  %v = vector.load %x[%c0] : memref<8xf32>, vector<8xf32>
  %w = func.call @twice(%v) : (vector<8xf32>) -> vector<8xf32>
  vector.store %w, %y[%c0] : memref<8xf32>, vector<8xf32>
  func.return
}
"""
    assert "vectors.mlir:2:1" in error_of(text) and "cannot cross C function calls" in error_of(text)


# --- built and run ----------------------------------------------------------------------


@pytest.mark.parametrize("cc", ["gcc", "clang"])
@pytest.mark.parametrize("w", WIDTHS)
def test_every_op_against_numpy(w, cc):
    module = parsed(width_program(w))
    program = cbuild.compile_module(module, cc=clang() if cc == "clang" else "gcc")
    x, y, s = inputs(w, seed=w)
    check(w, program(x, y, s), x, y, s)


def test_under_address_and_undefined_behaviour_sanitizers():
    w = 8
    module = parsed(width_program(w))
    flags = (*cbuild.SANITIZE_FLAGS, "-fsanitize=float-cast-overflow")
    exe = cbuild.build_harness(*c.emit_c(module), c_harness.emit_harness(module), "vec8", cflags=flags)
    x, y, s = inputs(w, seed=3)
    spec = [(b.shape, b.dtype) for b in abi.interface(module).outputs]
    check(w, cbuild.run_harness(exe, [x, y, s], spec), x, y, s)


def test_aarch64_under_qemu():
    w = 8
    x, y, s = inputs(w, seed=4)
    check(w, cross.run(parsed(width_program(w)), "aarch64", [x, y, s]), x, y, s)


NEON_AND_PORTABLE = """
func.func @mixed(%x: memref<8xf32>, %y: memref<8xf32>, %z: memref<8xf32>, %out: memref<1xf32>)
    attributes {pelemay.entry, pelemay.num_inputs = 2 : i64} {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  %zeros = vector.broadcast %zero : f32 to vector<4xf32>
  %acc = scf.for %i = %c0 to %c8 step %c4 iter_args(%s = %zeros) -> (vector<4xf32>) {
    %a = arm_simd.load %x[%i] : memref<8xf32> -> vector<4xf32>
    %b = vector.load %y[%i] : memref<8xf32>, vector<4xf32>
    %p = arm_simd.add %a, %b : vector<4xf32>, vector<4xf32> -> vector<4xf32>
    %m = arith.minimumf %p, %b : vector<4xf32>
    %r = arith.maximumf %m, %zeros : vector<4xf32>
    vector.store %r, %z[%i] : memref<8xf32>, vector<4xf32>
    %n = arm_simd.add %s, %r : vector<4xf32>, vector<4xf32> -> vector<4xf32>
    scf.yield %n : vector<4xf32>
  }
  %sum = vector.reduction <add>, %acc : vector<4xf32> into f32
  memref.store %sum, %out[%c0] : memref<1xf32>
  func.return
}
"""


def test_portable_and_neon_ops_share_vectors_on_aarch64():
    """In a program with arm_simd ops vector<4xf32> is float32x4_t for both kinds."""
    module = parsed(NEON_AND_PORTABLE)
    _, source = c.emit_c(module)
    assert "const float32x4_t r = (float32x4_t)((" in source and "(pelemay_i32x4)(p < b);" in source
    assert "typedef float pelemay_f32x4" not in source and "typedef int32_t pelemay_i32x4" in source
    x = np.array([1.0, -2.0, np.nan, -0.0, 3.0, 0.5, -4.0, 0.0], np.float32)
    y = np.array([0.5, 1.0, 1.0, 0.0, -1.0, np.nan, 8.0, -0.0], np.float32)
    z, out = cross.run(module, "aarch64", [x, y])
    r = maximumf(minimumf(x + y, y), np.zeros_like(x))
    assert_same(z, r)
    lanes = (r[:4] + r[4:]).astype(np.float32)
    assert_same(out, np.array([in_lane_order(lanes, np.add)], np.float32))


# --- slow: the full matrix ----------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("cc", ["gcc", "clang"])
@pytest.mark.parametrize("w", WIDTHS)
def test_every_width_under_sanitizers(w, cc):
    module = parsed(width_program(w))
    flags = (*cbuild.SANITIZE_FLAGS, "-fsanitize=float-cast-overflow")
    exe = cbuild.build_harness(*c.emit_c(module), c_harness.emit_harness(module), f"vec{w}", cflags=flags,
                               cc=clang() if cc == "clang" else "gcc")
    x, y, s = inputs(w, seed=10 + w)
    spec = [(b.shape, b.dtype) for b in abi.interface(module).outputs]
    check(w, cbuild.run_harness(exe, [x, y, s], spec), x, y, s)


@pytest.mark.slow
@pytest.mark.parametrize("cc", ["gcc", "clang"])
@pytest.mark.parametrize("w", WIDTHS)
def test_contraction_allowed(w, cc):
    """-ffp-contract=fast may fuse vector.fma's a * b + c; nothing else changes."""
    module = parsed(width_program(w))
    flags = ("-O3", "-ffp-contract=fast", "-march=native")
    program = cbuild.compile_module(module, cflags=flags, cc=clang() if cc == "clang" else "gcc")
    x, y, s = inputs(w, seed=20 + w)
    check(w, program(x, y, s), x, y, s, contracted=True)


@pytest.mark.slow
@pytest.mark.parametrize("machine", ["aarch64", "armv7"])
@pytest.mark.parametrize("w", WIDTHS)
def test_every_width_on_arm(w, machine):
    x, y, s = inputs(w, seed=30 + w)
    check(w, cross.run(parsed(width_program(w)), machine, [x, y, s]), x, y, s)


LANES_AND_PAIRS = """
func.func @lanes(%x: memref<4xf32>, %out: memref<4xf32>, %scalars: memref<3xf32>)
    attributes {pelemay.entry, pelemay.num_inputs = 1 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %v = arm_simd.load %x[%c0] : memref<4xf32> -> vector<4xf32>
  %lo = arm_simd.get_low %v : vector<4xf32> -> vector<2xf32>
  %hi = arm_simd.get_high %v : vector<4xf32> -> vector<2xf32>
  %mx = arm_simd.pmax %lo, %hi : vector<2xf32>, vector<2xf32> -> vector<2xf32>
  %mn = arm_simd.pmin %lo, %hi : vector<2xf32>, vector<2xf32> -> vector<2xf32>
  %a = arm_simd.get_lane %mx, 1 : vector<2xf32> -> f32
  %b = arm_simd.get_lane %mn, 0 : vector<2xf32> -> f32
  %last = arm_simd.get_lane %v, 3 : vector<4xf32> -> f32
  %w = arm_simd.set_lane %a, %v, 0 : f32, vector<4xf32> -> vector<4xf32>
  %w2 = arm_simd.set_lane %b, %w, 1 : f32, vector<4xf32> -> vector<4xf32>
  arm_simd.store %w2, %out[%c0] : vector<4xf32>, memref<4xf32>
  memref.store %a, %scalars[%c0] : memref<3xf32>
  memref.store %b, %scalars[%c1] : memref<3xf32>
  memref.store %last, %scalars[%c2] : memref<3xf32>
  func.return
}
"""


@pytest.mark.parametrize("machine", ["aarch64", "armv7"])
def test_neon_lanes_and_pairwise_max_min(machine):
    """arm_simd.get_lane/set_lane take their lane as the constant last argument."""
    module = parsed(LANES_AND_PAIRS)
    _, source = c.emit_c(module, machine=machine)
    for call in ("vpmax_f32(lo, hi)", "vpmin_f32(lo, hi)", "vget_lane_f32(mx, 1)", "vget_lane_f32(mn, 0)",
                 "vgetq_lane_f32(v, 3)", "vsetq_lane_f32(a, v, 0)", "vsetq_lane_f32(b, w, 1)"):
        assert call in source, call
    x = np.array([1.5, -2.0, 7.0, 3.0], np.float32)
    out, scalars = cross.run(module, machine, [x])
    np.testing.assert_array_equal(out, np.array([7.0, -2.0, 7.0, 3.0], np.float32))
    np.testing.assert_array_equal(scalars, np.array([7.0, -2.0, 3.0], np.float32))
