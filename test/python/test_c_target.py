"""The C target: loop-level programs printed as C99, built with strict warnings,
run through ctypes and a sanitized harness, and compared with NumPy."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from pelemay_ir import cbuild, files, ir
from pelemay_ir.targets import c
from pelemay_ir.targets import c_harness
from pelemay_ir.targets import c_header
from test_llvm_vectors import nan_max

STRICT = ("-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic")


pytestmark = pytest.mark.usefixtures("private_cache")


def glob(name: str, array: np.ndarray, elem: str) -> str:
    shape = "x".join(map(str, array.shape))
    if elem == "i1":
        body = str(array.astype(bool).tolist()).lower()
    elif elem.startswith("f"):
        body = str([float(v) for v in array.ravel()]) if array.ndim == 1 else str(array.astype(np.float64).tolist())
    else:
        body = str(array.tolist())
    return (
        f'"memref.global"() <{{sym_name = "{name}", sym_visibility = "private", '
        f"type = memref<{shape}x{elem}>, initial_value = dense<{body}> : tensor<{shape}x{elem}>, "
        f"constant}}> : () -> ()"
    )


def entry_attrs(num_inputs: int, arena: int = 0, extra: str = "") -> str:
    attrs = f"pelemay.entry, pelemay.num_inputs = {num_inputs} : i64"
    if arena:
        attrs += f", pelemay.arena_bytes = {arena} : i64, pelemay.arena_align = 16 : i64"
    return f"attributes {{{attrs}{extra}}}"


def compile_text(text: str, weights: bytes | None = None, cc: str = "gcc"):
    module = ir.parse(text, "test.mlir")
    return cbuild.compile_module(module, cc=cc, weights=weights), module


def compilers() -> list[str]:
    """gcc and clang: the set-up script installs both (clang as clang-16)."""
    clang = shutil.which("clang") or shutil.which("clang-16")
    assert shutil.which("gcc") and clang, "gcc and clang (clang-16) must be installed"
    return ["gcc", clang]


# --- programs ------------------------------------------------------------------------

RNG = np.random.default_rng(7)
W = RNG.standard_normal((3, 4)).astype(np.float32)
B = RNG.standard_normal(4).astype(np.float32)

MLP = f"""
module {{
  {glob("w", W, "f32")}
  {glob("b", B, "f32")}
  func.func @mlp(%x: memref<2x3xf32>, %out0: memref<2x4xf32>, %arena: memref<64xi8>) {entry_attrs(1, 64)} {{
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %c3 = arith.constant 3 : index
    %c4 = arith.constant 4 : index
    %off = arith.constant 16 : index
    %zero = arith.constant 0.0 : f32
    %t = memref.view %arena[%off][] : memref<64xi8> to memref<2x4xf32> loc("ptensor.matmul"("mlp.mlir":3:5))
    %w = memref.get_global @w : memref<3x4xf32>
    %b = memref.get_global @b : memref<4xf32>
    scf.for %i = %c0 to %c2 step %c1 {{
      scf.for %j = %c0 to %c4 step %c1 {{
        %bias = memref.load %b[%j] : memref<4xf32>
        %sum = scf.for %k = %c0 to %c3 step %c1 iter_args(%acc = %bias) -> (f32) {{
          %xv = memref.load %x[%i, %k] : memref<2x3xf32>
          %wv = memref.load %w[%k, %j] : memref<3x4xf32>
          %p = arith.mulf %xv, %wv : f32
          %s = arith.addf %acc, %p : f32
          scf.yield %s : f32
        }}
        memref.store %sum, %t[%i, %j] : memref<2x4xf32>
      }}
    }} loc("ptensor.matmul"("mlp.mlir":3:5))
    scf.for %i = %c0 to %c2 step %c1 {{
      scf.for %j = %c0 to %c4 step %c1 {{
        %v = memref.load %t[%i, %j] : memref<2x4xf32>
        %r = arith.maximumf %v, %zero : f32
        memref.store %r, %out0[%i, %j] : memref<2x4xf32>
      }}
    }} loc("ptensor.relu"("mlp.mlir":4:5))
    func.return
  }}
}}
"""


def mlp_reference(x: np.ndarray) -> np.ndarray:
    t = np.zeros((2, 4), np.float32)
    for i in range(2):
        for j in range(4):
            acc = B[j]
            for k in range(3):
                acc = np.float32(acc + np.float32(x[i, k] * W[k, j]))
            t[i, j] = acc
    return np.maximum(t, np.float32(0))


def test_mlp_embedded_weights_matches_numpy():
    prog, _ = compile_text(MLP)
    x = RNG.standard_normal((2, 3)).astype(np.float32)
    (out,) = prog(x)
    np.testing.assert_array_equal(out, mlp_reference(x))


@pytest.mark.parametrize("cc", compilers())
def test_builds_with_each_compiler(cc):
    prog, _ = compile_text(MLP, cc=cc)
    x = np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(prog(x)[0], mlp_reference(x))


def test_printed_c_is_readable_and_stable():
    module = ir.parse(MLP, "test.mlir")
    header, source = c.emit_c(module)
    again = c.emit_c(ir.parse(MLP, "test.mlir"))
    assert (header, source) == again
    assert "int mlp_run(const float *x, float *out0, void *arena);" in header
    assert "#define MLP_ARENA_BYTES 64" in header and "#define MLP_ARENA_ALIGN 16" in header
    assert '#ifdef __cplusplus' in header and 'extern "C"' in header
    assert "/* ptensor.matmul at mlp.mlir:3:5 */" in source
    assert "/* ptensor.relu at mlp.mlir:4:5 */" in source
    assert "static const float w[12]" in source
    assert "malloc" not in source
    includes = {line for line in source.splitlines() if line.startswith("#include <")}
    assert includes <= {"#include <math.h>", "#include <stddef.h>", "#include <stdint.h>", "#include <string.h>"}
    assert "for (ptrdiff_t k = 0; k < 3; k += 1)" in source


def test_null_and_misaligned_arena_codes():
    prog, _ = compile_text(MLP)
    x = np.ones((2, 3), np.float32)
    out = np.zeros((2, 4), np.float32)
    arena = cbuild.aligned(64 + 16, 16)
    assert prog.call_raw(x.ctypes.data, out.ctypes.data, arena.ctypes.data) == 0
    assert prog.call_raw(None, out.ctypes.data, arena.ctypes.data) == 1
    assert prog.call_raw(x.ctypes.data, out.ctypes.data, None) == 1
    assert prog.call_raw(x.ctypes.data, out.ctypes.data, arena.ctypes.data + 4) == 2


def test_wrong_inputs_raise_python_errors():
    prog, _ = compile_text(MLP)
    with pytest.raises(TypeError, match="takes 1 inputs, got 2"):
        prog(np.ones((2, 3), np.float32), np.ones((2, 3), np.float32))
    with pytest.raises(TypeError, match="dtype float32, got float64"):
        prog(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"shape \(2, 3\), got \(3, 2\)"):
        prog(np.ones((3, 2), np.float32))
    with pytest.raises(TypeError, match="must be a NumPy array"):
        prog([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])


def test_non_contiguous_input_is_accepted():
    prog, _ = compile_text(MLP)
    x = RNG.standard_normal((3, 2)).astype(np.float32).T
    np.testing.assert_array_equal(prog(x)[0], mlp_reference(x))


# --- external weights -----------------------------------------------------------------------

EXTERNAL = f"""
module attributes {{ptensor.weights = "ext.weights"}} {{
  func.func @ext(%weights: memref<80xi8>, %x: memref<4xf32>, %y: memref<4xf32>)
      {entry_attrs(1, 0, ", pelemay.weights_arg")} {{
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    %c64 = arith.constant 64 : index
    %scale = memref.view %weights[%c0][] : memref<80xi8> to memref<4xf32>
    %shift = memref.view %weights[%c64][] : memref<80xi8> to memref<4xi32>
    scf.for %i = %c0 to %c4 step %c1 {{
      %a = memref.load %x[%i] : memref<4xf32>
      %s = memref.load %scale[%i] : memref<4xf32>
      %k = memref.load %shift[%i] : memref<4xi32>
      %kf = arith.sitofp %k : i32 to f32
      %m = arith.mulf %a, %s : f32
      %r = arith.addf %m, %kf : f32
      memref.store %r, %y[%i] : memref<4xf32>
    }}
    func.return
  }}
}}
"""


def external_blob() -> tuple[bytes, np.ndarray, np.ndarray]:
    scale = np.array([1.5, -2.0, 0.25, 3.0], np.float32)
    shift = np.array([1, -7, 100, 0], np.int32)
    blob = scale.tobytes() + bytes(48) + shift.tobytes()
    return blob, scale, shift


def test_external_weights():
    blob, scale, shift = external_blob()
    prog, module = compile_text(EXTERNAL, weights=blob)
    header, source = c.emit_c(module)
    assert "int ext_run(const void *weights, const float *x, float *y, void *arena);" in header
    assert "#define EXT_WEIGHTS_BYTES 80" in header
    assert "#define EXT_ARENA_BYTES 0" in header
    assert "static const" not in source
    x = np.array([1.0, 2.0, -3.0, 4.5], np.float32)
    expected = x * scale + shift.astype(np.float32)
    np.testing.assert_array_equal(prog(x)[0], expected)
    out = np.zeros(4, np.float32)
    assert prog.call_raw(None, x.ctypes.data, out.ctypes.data, None) == 1


def test_external_weights_of_wrong_size_are_refused():
    module = ir.parse(EXTERNAL, "test.mlir")
    header, source = c.emit_c(module)
    lib = cbuild.build_shared(header, source, "ext")
    with pytest.raises(ValueError, match="needs 80 bytes of weights, got 3"):
        cbuild.load(lib, module, weights=b"abc")


# --- f16 -----------------------------------------------------------------------------------

F16_CONVERT = """
func.func @conv(%h: memref<65536xf16>, %f: memref<4096xf32>, %wide: memref<65536xf32>, %narrow: memref<4096xf16>)
    attributes {pelemay.entry, pelemay.num_inputs = 2 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = arith.constant 65536 : index
  %m = arith.constant 4096 : index
  scf.for %i = %c0 to %n step %c1 {
    %a = memref.load %h[%i] : memref<65536xf16>
    %b = arith.extf %a : f16 to f32
    memref.store %b, %wide[%i] : memref<65536xf32>
  }
  scf.for %i = %c0 to %m step %c1 {
    %a = memref.load %f[%i] : memref<4096xf32>
    %b = arith.truncf %a : f32 to f16
    memref.store %b, %narrow[%i] : memref<4096xf16>
  }
  func.return
}
"""


def test_f16_conversions_are_exact_both_ways():
    prog, _ = compile_text(F16_CONVERT)
    every = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.float16)
    # float32 values around every f16 rounding boundary: ties, subnormals, overflow.
    halves = np.arange(0, 65536, 16, dtype=np.uint32).astype(np.uint16).view(np.float16).astype(np.float32)
    bits = halves.view(np.uint32)
    probes = np.concatenate([
        (bits + np.uint32(0x1000)).view(np.float32),  # exact ties between two f16 values
        (bits + np.uint32(0x0fff)).view(np.float32),
        (bits + np.uint32(0x1001)).view(np.float32),
        np.array([65504, 65519.996, 65520, 1e9, -1e9, 2.0**-25, 2.0**-25 * 1.0000001, 2.0**-26,
                  3 * 2.0**-26, 1e-45, np.inf, -np.inf, np.nan, -0.0], np.float32),
    ])[:4096]
    probes = np.resize(probes, 4096).astype(np.float32)
    with np.errstate(over="ignore"):
        wide, narrow = prog(every, probes)
        expected_narrow = probes.astype(np.float16)
    expected_wide = every.astype(np.float32)
    nan = np.isnan(expected_wide)
    np.testing.assert_array_equal(np.isnan(wide), nan)
    np.testing.assert_array_equal(wide[~nan].view(np.uint32), expected_wide[~nan].view(np.uint32))
    nan = np.isnan(expected_narrow)
    np.testing.assert_array_equal(np.isnan(narrow), nan)
    np.testing.assert_array_equal(narrow[~nan].view(np.uint16), expected_narrow[~nan].view(np.uint16))


F16_ARITH = """
func.func @half(%a: memref<64xf16>, %b: memref<64xf16>, %out: memref<64xf16>, %mixed: memref<64xf32>)
    attributes {pelemay.entry, pelemay.num_inputs = 2 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = arith.constant 64 : index
  %third = arith.constant 0.333 : f16
  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %a[%i] : memref<64xf16>
    %y = memref.load %b[%i] : memref<64xf16>
    %p = arith.mulf %x, %y : f16
    %s = arith.addf %p, %third : f16
    %d = arith.divf %s, %y : f16
    memref.store %d, %out[%i] : memref<64xf16>
    %xf = arith.extf %x : f16 to f32
    %yf = arith.extf %y : f16 to f32
    %q = arith.mulf %xf, %yf : f32
    memref.store %q, %mixed[%i] : memref<64xf32>
  }
  func.return
}
"""


def test_f16_arithmetic_rounds_after_each_op():
    prog, _ = compile_text(F16_ARITH)
    a = (RNG.standard_normal(64) * 30).astype(np.float16)
    b = (RNG.standard_normal(64) * 30).astype(np.float16)
    out, mixed = prog(a, b)
    third = np.float16(0.333)
    with np.errstate(all="ignore"):
        expected = ((a * b) + third) / b
    np.testing.assert_array_equal(out.view(np.uint16), expected.view(np.uint16))
    np.testing.assert_array_equal(mixed, a.astype(np.float32) * b.astype(np.float32))


# --- integers ---------------------------------------------------------------------------------

def int_binary_program(ops: list[str], elem: str, n: int) -> str:
    args = ", ".join(f"%o{k}: memref<{n}x{elem}>" for k in range(len(ops)))
    body = "\n".join(
        f"""    %r{k} = arith.{op} %x, %y : {elem}
    memref.store %r{k}, %o{k}[%i] : memref<{n}x{elem}>"""
        for k, op in enumerate(ops)
    )
    return f"""
func.func @ints(%a: memref<{n}x{elem}>, %b: memref<{n}x{elem}>, {args})
    attributes {{pelemay.entry, pelemay.num_inputs = 2 : i64}} {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = arith.constant {n} : index
  scf.for %i = %c0 to %n step %c1 {{
    %x = memref.load %a[%i] : memref<{n}x{elem}>
    %y = memref.load %b[%i] : memref<{n}x{elem}>
{body}
  }}
  func.return
}}
"""


def trunc_div(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x / 0 = 0, x % 0 = x, MIN / -1 = MIN, MIN % -1 = 0, truncating toward zero."""
    q, r = [], []
    bits = a.dtype.itemsize * 8
    for x, y in zip(a.tolist(), b.tolist()):
        if y == 0:
            q.append(0)
            r.append(x)
            continue
        t = abs(x) // abs(y) * (1 if (x < 0) == (y < 0) else -1)
        q.append(((t + 2 ** (bits - 1)) % 2**bits) - 2 ** (bits - 1))
        r.append(x - t * y)
    return np.array(q, a.dtype), np.array(r, a.dtype)


@pytest.mark.parametrize("dtype,elem", [(np.int8, "i8"), (np.int32, "i32"), (np.int64, "i64"), (np.int16, "i16")])
def test_integer_arithmetic_wraps_and_divides_safely(dtype, elem):
    info = np.iinfo(dtype)
    special = [info.min, info.max, -1, 0, 1, 7, -7, info.min, 3]
    other = [-1, 1, info.min, 5, 0, 2, 2, 0, info.max]
    n = 64
    a = np.resize(np.array(special, dtype), n)
    b = np.resize(np.array(other, dtype), n)
    a[len(special):] = RNG.integers(info.min, info.max, n - len(special), dtype=dtype, endpoint=True)
    b[len(other):] = RNG.integers(info.min, info.max, n - len(other), dtype=dtype, endpoint=True)
    ops = ["addi", "subi", "muli", "divsi", "remsi", "maxsi", "minsi", "xori"]
    prog, _ = compile_text(int_binary_program(ops, elem, n))
    got = prog(a, b)
    with np.errstate(over="ignore"):
        q, r = trunc_div(a, b)
        expected = [a + b, a - b, a * b, q, r, np.maximum(a, b), np.minimum(a, b), a ^ b]
    for op, g, e in zip(ops, got, expected):
        np.testing.assert_array_equal(g, e, err_msg=op)


def test_unsigned_division_and_shifts():
    n = 16
    a = np.array([-1, 100, -128, 5, 127, -5, 64, 1] * 2, np.int8)
    b = np.array([0, 3, 7, 8, -1, 2, 9, 0] * 2, np.int8)
    ops = ["divui", "remui", "shli", "shrui", "shrsi"]
    prog, _ = compile_text(int_binary_program(ops, "i8", n))
    divui, remui, shli, shrui, shrsi = prog(a, b)
    ua, ub = a.view(np.uint8).astype(np.int64), b.view(np.uint8).astype(np.int64)
    safe = np.where(ub == 0, 1, ub)
    np.testing.assert_array_equal(divui.view(np.uint8), np.where(ub == 0, 0, ua // safe))
    np.testing.assert_array_equal(remui.view(np.uint8), np.where(ub == 0, ua, ua % safe))
    big = ub >= 8
    np.testing.assert_array_equal(shli.view(np.uint8), np.where(big, 0, (ua << np.minimum(ub, 8)) & 255))
    np.testing.assert_array_equal(shrui.view(np.uint8), np.where(big, 0, ua >> np.minimum(ub, 8)))
    np.testing.assert_array_equal(shrsi, np.where(big, np.where(a < 0, -1, 0), a.astype(np.int64) >> np.minimum(ub, 7)))


CASTS = """
func.func @casts(%x: memref<16xf32>, %s32: memref<16xi32>, %s8: memref<16xi8>, %u8: memref<16xi8>, %mx: memref<16xf32>, %mn: memref<16xf32>, %nm: memref<16xf32>)
    attributes {pelemay.entry, pelemay.num_inputs = 1 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = arith.constant 16 : index
  %one = arith.constant 1.0 : f32
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %x[%i] : memref<16xf32>
    %a = arith.fptosi %v : f32 to i32
    memref.store %a, %s32[%i] : memref<16xi32>
    %b = arith.fptosi %v : f32 to i8
    memref.store %b, %s8[%i] : memref<16xi8>
    %u = arith.fptoui %v : f32 to i8
    memref.store %u, %u8[%i] : memref<16xi8>
    %hi = arith.maximumf %v, %one : f32
    memref.store %hi, %mx[%i] : memref<16xf32>
    %lo = arith.minimumf %v, %one : f32
    memref.store %lo, %mn[%i] : memref<16xf32>
    %num = arith.maxnumf %v, %one : f32
    memref.store %num, %nm[%i] : memref<16xf32>
  }
  func.return
}
"""


def test_fptosi_saturates_and_nan_propagates_through_max():
    x = np.array([np.nan, np.inf, -np.inf, 3e9, -3e9, 2147483520.0, -2147483648.0, 300.0, -300.0,
                  127.9, -128.9, 255.5, -0.7, 1.5, -1.5, 0.0], np.float32)
    prog, _ = compile_text(CASTS)
    s32, s8, u8, mx, mn, nm = prog(x)
    finite = np.nan_to_num(x.astype(np.float64), nan=0.0, posinf=1e300, neginf=-1e300)
    np.testing.assert_array_equal(s32, np.clip(np.trunc(finite), -2**31, 2**31 - 1).astype(np.int32))
    np.testing.assert_array_equal(s8, np.clip(np.trunc(finite), -128, 127).astype(np.int8))
    np.testing.assert_array_equal(u8.view(np.uint8), np.clip(np.trunc(finite), 0, 255).astype(np.uint8))
    np.testing.assert_array_equal(mx, np.maximum(x, np.float32(1)))  # NaN propagates
    np.testing.assert_array_equal(mn, np.minimum(x, np.float32(1)))
    np.testing.assert_array_equal(nm, np.fmax(x, np.float32(1)))  # maxnumf ignores NaN
    assert np.isnan(mx[0]) and np.isnan(mn[0]) and nm[0] == 1.0


MINMAX = """
func.func @minmax(%a: memref<12xf32>, %b: memref<12xf32>, %c: memref<12xf64>, %d: memref<12xf64>,
                  %mx: memref<12xf32>, %mn: memref<12xf32>, %mxd: memref<12xf64>, %mnd: memref<12xf64>)
    attributes {pelemay.entry, pelemay.num_inputs = 4 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = arith.constant 12 : index
  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %a[%i] : memref<12xf32>
    %y = memref.load %b[%i] : memref<12xf32>
    %hi = arith.maximumf %x, %y : f32
    memref.store %hi, %mx[%i] : memref<12xf32>
    %lo = arith.minimumf %x, %y : f32
    memref.store %lo, %mn[%i] : memref<12xf32>
    %u = memref.load %c[%i] : memref<12xf64>
    %v = memref.load %d[%i] : memref<12xf64>
    %hid = arith.maximumf %u, %v : f64
    memref.store %hid, %mxd[%i] : memref<12xf64>
    %lod = arith.minimumf %u, %v : f64
    memref.store %lod, %mnd[%i] : memref<12xf64>
  }
  func.return
}
"""


@pytest.mark.parametrize("machine,instruction", [("aarch64", True), ("armv7", False), ("host", False)])
@pytest.mark.parametrize("emit", ["c", "llvm"])
def test_scalar_maximumf_minimumf_on_each_machine(emit, machine, instruction):
    """On AArch64 scalar maximumf/minimumf are one FMAX/FMIN (Machine.scalar_minmax:
    C through an inline-assembly helper, LLVM through llvm.maximum/minimum), elsewhere
    legalize's compares and selects; either way NaN propagates and -0 < +0, in f32 and f64."""
    from pelemay_ir import cross
    from pelemay_ir.machines import machine as machine_named
    from pelemay_ir.targets import llvm

    nan, inf = np.nan, np.inf
    a = np.array([nan, 1.0, nan, -0.0, 0.0, -0.0, 0.0, 2.5, -inf, inf, 3.0, -7.0], np.float32)
    b = np.array([1.0, nan, nan, 0.0, -0.0, -0.0, 0.0, 2.5, 4.0, 4.0, -3.0, -7.5], np.float32)
    module = ir.parse(MINMAX, "minmax.mlir")
    printed = c.emit_c(module, machine=machine)[1] if emit == "c" else llvm.emit_llvm(module, machine)
    spelled = ("fmax %s0" in printed and "fmin %d0" in printed) if emit == "c" else (
        "@llvm.maximum.f32" in printed and "@llvm.minimum.f64" in printed)
    assert spelled == instruction == machine_named(machine).scalar_minmax
    wide_a, wide_b = a.astype(np.float64), b.astype(np.float64)
    run = cross.run_llvm if emit == "llvm" else cross.run
    outs = run(module, machine, [a, b, wide_a, wide_b])
    for got, x, y, is_max in zip(outs, [a, a, wide_a, wide_a], [b, b, wide_b, wide_b], [True, False, True, False]):
        want = nan_max(x, y, is_max)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(np.signbit(got[~np.isnan(got)]), np.signbit(want[~np.isnan(want)]))


# --- helpers, scf.if, mixed arena ------------------------------------------------------------------

HELPERS = """
func.func @clip(%v: f32, %lo: f32, %hi: f32) -> f32 {
  %below = arith.cmpf olt, %v, %lo : f32
  %r = scf.if %below -> (f32) {
    scf.yield %lo : f32
  } else {
    %above = arith.cmpf ogt, %v, %hi : f32
    %m = arith.select %above, %hi, %v : f32
    scf.yield %m : f32
  }
  func.return %r : f32
}
func.func @fill(%buf: memref<8xi32>, %k: i32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.for %i = %c0 to %c8 step %c1 {
    %ii = arith.index_cast %i : index to i32
    %v = arith.muli %ii, %k : i32
    memref.store %v, %buf[%i] : memref<8xi32>
  }
  func.return
}
func.func @unused_helper(%v: f32) -> f32 {
  func.return %v : f32
}
func.func @prog(%x: memref<8xf32>, %y: memref<8xf32>, %z: memref<8xi32>, %arena: memref<64xi8>)
    attributes {pelemay.entry, pelemay.num_inputs = 1 : i64, pelemay.arena_bytes = 64 : i64, pelemay.arena_align = 16 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c32 = arith.constant 32 : index
  %lo = arith.constant -1.0 : f32
  %hi = arith.constant 2.0 : f32
  %k = arith.constant 3 : i32
  %floats = memref.view %arena[%c0][] : memref<64xi8> to memref<8xf32>
  %ints = memref.view %arena[%c32][] : memref<64xi8> to memref<8xi32>
  scf.for %i = %c0 to %c8 step %c1 {
    %v = memref.load %x[%i] : memref<8xf32>
    %e = math.exp %v : f32
    %c = func.call @clip(%e, %lo, %hi) : (f32, f32, f32) -> f32
    memref.store %c, %floats[%i] : memref<8xf32>
  }
  func.call @fill(%ints, %k) : (memref<8xi32>, i32) -> ()
  scf.for %i = %c0 to %c8 step %c1 {
    %v = memref.load %floats[%i] : memref<8xf32>
    %w = memref.load %ints[%i] : memref<8xi32>
    %neg = arith.negf %v : f32
    memref.store %neg, %y[%i] : memref<8xf32>
    memref.store %w, %z[%i] : memref<8xi32>
  }
  func.return
}
"""


def test_helper_functions_if_and_mixed_type_arena():
    module = ir.parse(HELPERS, "test.mlir")
    header, source = c.emit_c(module)
    assert "static float clip(float v, float lo, float hi);" in source
    assert "static void fill(unsigned char *buf, int32_t k);" in source
    assert "unused_helper" not in source
    assert "pl_load_float(" in source  # arena shared by f32 and i32: accessed through memcpy
    prog = cbuild.compile_module(module)
    x = np.linspace(-3, 3, 8).astype(np.float32)
    y, z = prog(x)
    np.testing.assert_allclose(y, -np.clip(np.exp(x), -1, 2), rtol=1e-6)
    np.testing.assert_array_equal(z, np.arange(8, dtype=np.int32) * 3)


# --- harness and sanitizers ---------------------------------------------------------------------


def test_harness_runs_clean_under_sanitizers():
    module = ir.parse(HELPERS, "test.mlir")
    header, source = c.emit_c(module)
    harness = c_harness.emit_harness(module)
    exe = cbuild.build_harness(header, source, harness, "prog", cflags=cbuild.SANITIZE_FLAGS)
    x = np.linspace(-3, 3, 8).astype(np.float32)
    y, z = cbuild.run_harness(exe, [x], [((8,), np.float32), ((8,), np.int32)])
    np.testing.assert_allclose(y, -np.clip(np.exp(x), -1, 2), rtol=1e-6)
    np.testing.assert_array_equal(z, np.arange(8, dtype=np.int32) * 3)


def test_sanitized_harness_for_integer_edge_cases_and_external_weights():
    text = int_binary_program(["addi", "muli", "divsi", "remsi", "shli", "shrsi"], "i32", 8)
    module = ir.parse(text, "test.mlir")
    exe = cbuild.build_harness(*c.emit_c(module), c_harness.emit_harness(module), "ints", cflags=cbuild.SANITIZE_FLAGS)
    a = np.array([-2**31, 2**31 - 1, -1, 5, -2**31, 0, 9, -9], np.int32)
    b = np.array([-1, 1, 0, 40, -2**31, -1, 31, 33], np.int32)
    spec = [((8,), np.int32)] * 6
    results = cbuild.run_harness(exe, [a, b], spec)
    q, r = trunc_div(a, b)
    np.testing.assert_array_equal(results[2], q)
    np.testing.assert_array_equal(results[3], r)

    blob, scale, shift = external_blob()
    module = ir.parse(EXTERNAL, "test.mlir")
    exe = cbuild.build_harness(*c.emit_c(module), c_harness.emit_harness(module), "ext", cflags=cbuild.SANITIZE_FLAGS)
    x = np.array([1.0, 2.0, -3.0, 4.5], np.float32)
    (y,) = cbuild.run_harness(exe, [x], [((4,), np.float32)], weights=blob)
    np.testing.assert_array_equal(y, x * scale + shift.astype(np.float32))


def test_harness_rejects_inputs_of_the_wrong_size(tmp_path):
    module = ir.parse(MLP, "test.mlir")
    exe = cbuild.build_harness(*c.emit_c(module), c_harness.emit_harness(module), "mlp")
    with pytest.raises(cbuild.RunError, match="expected exactly 24 bytes"):
        cbuild.run_harness(exe, [np.ones(5, np.float32)], [((2, 4), np.float32)])


# --- driver-facing output and errors -------------------------------------------------------------


def test_write_splits_header_and_source(tmp_path):
    module = ir.parse(MLP, "test.mlir")
    text = c.stdout_text(module)
    assert text.index("#ifndef MLP_H_INCLUDED") < text.index("int mlp_run(const float *x, float *out0, void *arena)\n{")
    c.write(tmp_path / "out" / "model.c", text)
    source = (tmp_path / "out" / "model.c").read_text()
    header = (tmp_path / "out" / "model.h").read_text()
    assert '#include "model.h"' in source
    assert header.startswith(c_header.HEADER_BANNER) and source.startswith(c_header.SOURCE_BANNER)
    subprocess.run(["gcc", *STRICT, "-c", "model.c", "-o", "model.o"], cwd=tmp_path / "out", check=True)
    with pytest.raises(ir.CompileError, match="does not end in .c"):
        c.write(tmp_path / "model.txt", text)


def test_unsupported_op_names_op_position_and_lowering():
    text = """func.func @f(%x: memref<4xf32>, %y: memref<4xf32>) attributes {pelemay.entry, pelemay.num_inputs = 1 : i64} {
  %c0 = arith.constant 0 : index
  %a = memref.load %x[%c0] : memref<4xf32>
  %t = arith.constant dense<1.0> : tensor<4xf32>
  %e = ptensor.exp %t : tensor<4xf32>
  func.return
}
"""
    module = ir.parse(text, "prog.mlir")
    with pytest.raises(ir.CompileError) as err:
        c.emit_c(module)
    assert str(err.value).startswith("prog.mlir:5:")
    assert "error: 'ptensor.exp' op cannot be printed by the c target" in str(err.value)
    assert "bufferize it and lower it to loops first" in str(err.value)


def test_unsupported_arith_op_and_bad_entry():
    text = """func.func @f(%x: memref<4xi32>, %y: memref<4xi32>) attributes {pelemay.entry, pelemay.num_inputs = 1 : i64} {
  %c0 = arith.constant 0 : index
  %a = memref.load %x[%c0] : memref<4xi32>
  %b = arith.ceildivsi %a, %a : i32
  memref.store %b, %y[%c0] : memref<4xi32>
  func.return
}
"""
    with pytest.raises(ir.CompileError, match=r"prog.mlir:4:\d+: error: 'arith.ceildivsi' op cannot be printed by the c target: "
                       r"it prints \d+ of the arith dialect's ops"):
        c.emit_c(ir.parse(text, "prog.mlir"))
    no_entry = text.replace("pelemay.entry, ", "")
    with pytest.raises(ir.CompileError, match="exactly one func.func with the 'pelemay.entry'"):
        c.emit_c(ir.parse(no_entry, "prog.mlir"))


def test_store_into_input_is_refused():
    text = """func.func @f(%x: memref<4xf32>, %y: memref<4xf32>) attributes {pelemay.entry, pelemay.num_inputs = 1 : i64} {
  %c0 = arith.constant 0 : index
  %a = memref.load %y[%c0] : memref<4xf32>
  memref.store %a, %x[%c0] : memref<4xf32>
  func.return
}
"""
    with pytest.raises(ir.CompileError, match=r"prog.mlir:4:\d+: error: 'memref.store' into a read-only buffer \(input\)"):
        c.emit_c(ir.parse(text, "prog.mlir"))


def test_names_never_clash_with_c():
    text = """func.func @main(%int: memref<2xf32>, %exp: memref<2xf32>) attributes {pelemay.entry, pelemay.num_inputs = 1 : i64} {
  %c0 = arith.constant 0 : index
  %float = memref.load %int[%c0] : memref<2xf32>
  %expf = math.exp %float : f32
  %NAN = arith.addf %expf, %expf : f32
  memref.store %NAN, %exp[%c0] : memref<2xf32>
  func.return
}
"""
    module = ir.parse(text, "prog.mlir")
    header, source = c.emit_c(module)
    assert "int main_run(const float *v_int, float *v_exp, void *arena);" in header
    prog = cbuild.compile_module(module)
    (out,) = prog(np.array([1.0, 2.0], np.float32))
    assert out[0] == pytest.approx(2 * np.e, rel=1e-6)


def test_driver_writes_c_and_h_when_the_target_is_registered(tmp_path, monkeypatch, capsys):
    from pelemay_ir import driver, registry

    monkeypatch.setitem(registry.TARGETS, "c", lambda module, args, spec: c.stdout_text(module))

    def write_output(spec, path, text):
        if spec.name == "c":
            c.write(path, text)
        else:
            files.atomic_write(path, text)

    monkeypatch.setattr(registry, "write_output", write_output)
    src = tmp_path / "mlp.mlir"
    src.write_text(MLP)
    assert driver.main([str(src), "-t", "c", "-o", str(tmp_path / "out" / "mlp.c")]) == 0
    assert (tmp_path / "out" / "mlp.h").read_text().startswith(c_header.HEADER_BANNER)
    assert driver.main([str(src), "-t", "c"]) == 0
    printed = capsys.readouterr().out
    assert printed.index("#define MLP_ARENA_BYTES") < printed.index("int mlp_run(const float *x, float *out0, void *arena)\n{")


# --- every op on every type -----------------------------------------------------------------

INT_TYPES = {"i1": np.bool_, "i8": np.int8, "i16": np.int16, "i32": np.int32, "i64": np.int64, "index": np.intp}
FLOAT_TYPES = {"f16": np.float16, "f32": np.float32, "f64": np.float64}
INT_OPS = ["addi", "subi", "muli", "divsi", "remsi", "divui", "remui", "maxsi", "minsi", "maxui",
           "minui", "andi", "ori", "xori", "shli", "shrsi", "shrui"]
FLOAT_OPS = ["addf", "subf", "mulf", "divf", "maximumf", "minimumf", "maxnumf", "minnumf"]
MATH_UNARY = ["exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "tanh", "erf",
              "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh",
              "cbrt", "absf", "floor", "ceil", "trunc", "round", "roundeven"]
CMPI = ["eq", "ne", "slt", "sle", "sgt", "sge", "ult", "ule", "ugt", "uge"]
CMPF = ["false", "oeq", "ogt", "oge", "olt", "ole", "one", "ord", "ueq", "ugt", "uge", "ult", "ule", "une", "uno", "true"]
CASTS_LIST = [
    ("extsi", "i8", "i32"), ("extsi", "i1", "i32"), ("extui", "i8", "i64"), ("extui", "i1", "i8"),
    ("trunci", "i32", "i8"), ("trunci", "i64", "i1"), ("index_cast", "i32", "index"),
    ("index_cast", "index", "i8"), ("index_cast", "i1", "index"), ("index_cast", "index", "i64"),
    ("sitofp", "i8", "f16"), ("sitofp", "i32", "f32"), ("sitofp", "i64", "f64"), ("sitofp", "i1", "f32"),
    ("uitofp", "i8", "f32"), ("uitofp", "i64", "f16"), ("fptosi", "f16", "i8"), ("fptosi", "f32", "i64"),
    ("fptosi", "f64", "i32"), ("fptosi", "f32", "i1"), ("fptoui", "f32", "i8"), ("fptoui", "f64", "i64"),
    ("fptoui", "f16", "i16"), ("extf", "f16", "f32"), ("extf", "f32", "f64"), ("truncf", "f64", "f32"),
    ("truncf", "f32", "f16"), ("bitcast", "f32", "i32"), ("bitcast", "i16", "f16"), ("bitcast", "f16", "i16"),
    ("bitcast", "i64", "f64"),
]


def every_op_program(n: int) -> tuple[str, list[tuple[str, str]]]:
    """One loop applying every supported op to every type it takes; the outputs' types."""
    types = list(INT_TYPES) + list(FLOAT_TYPES)
    args = [f"%in_{t}: memref<{n}x{t}>" for t in types]
    lines, outs = [], []

    def out(value: str, t: str) -> None:
        k = len(outs)
        outs.append((f"%o{k}", t, value))
        lines.append(f"    memref.store {value}, %o{k}[%i] : memref<{n}x{t}>")

    for t in types:
        lines.append(f"    %x_{t} = memref.load %in_{t}[%i] : memref<{n}x{t}>")
        lines.append(f"    %y_{t} = memref.load %in_{t}[%j] : memref<{n}x{t}>")
    for t in INT_TYPES:
        for op in INT_OPS:
            if t == "i1" and op in ("shli", "shrsi", "shrui"):
                continue
            lines.append(f"    %{op}_{t} = arith.{op} %x_{t}, %y_{t} : {t}")
            out(f"%{op}_{t}", t)
        for p in CMPI:
            lines.append(f"    %c{p}_{t} = arith.cmpi {p}, %x_{t}, %y_{t} : {t}")
            out(f"%c{p}_{t}", "i1")
        lines.append(f"    %sel_{t} = arith.select %x_i1, %x_{t}, %y_{t} : {t}")
        out(f"%sel_{t}", t)
        if t != "index":
            lines.append(f"    %abs_{t} = math.absi %x_{t} : {t}")
            out(f"%abs_{t}", t)
    for t in FLOAT_TYPES:
        for op in FLOAT_OPS:
            lines.append(f"    %{op}_{t} = arith.{op} %x_{t}, %y_{t} : {t}")
            out(f"%{op}_{t}", t)
        lines.append(f"    %neg_{t} = arith.negf %x_{t} : {t}")
        out(f"%neg_{t}", t)
        for p in CMPF:
            lines.append(f"    %f{p}_{t} = arith.cmpf {p}, %x_{t}, %y_{t} : {t}")
            out(f"%f{p}_{t}", "i1")
        for m in MATH_UNARY:
            lines.append(f"    %{m}_{t} = math.{m} %x_{t} : {t}")
            out(f"%{m}_{t}", t)
        for m in ("powf", "atan2", "copysign"):
            lines.append(f"    %{m}_{t} = math.{m} %x_{t}, %y_{t} : {t}")
            out(f"%{m}_{t}", t)
        lines.append(f"    %fma_{t} = math.fma %x_{t}, %y_{t}, %x_{t} : {t}")
        out(f"%fma_{t}", t)
    for k, (op, src, dst) in enumerate(CASTS_LIST):
        lines.append(f"    %cast{k} = arith.{op} %x_{src} : {src} to {dst}")
        out(f"%cast{k}", dst)
    args += [f"{name}: memref<{n}x{t}>" for name, t, _ in outs]
    text = f"""
func.func @every(%{', %'.join(a[1:] for a in args)})
    attributes {{pelemay.entry, pelemay.num_inputs = {len(types)} : i64}} {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = arith.constant {n} : index
  %last = arith.constant {n - 1} : index
  scf.for %i = %c0 to %n step %c1 {{
    %j = arith.subi %last, %i : index
{chr(10).join(lines)}
  }}
  func.return
}}
"""
    return text, outs


def every_op_inputs(n: int) -> list[np.ndarray]:
    rng = np.random.default_rng(3)
    inputs = []
    for t, dtype in INT_TYPES.items():
        if t == "i1":
            inputs.append(rng.integers(0, 2, n).astype(np.bool_))
            continue
        info = np.iinfo(dtype)
        a = rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True)
        a[: 8] = [info.min, info.max, -1, 0, 1, info.bits - 1, info.bits, 2][: 8]
        inputs.append(a)
    for t, dtype in FLOAT_TYPES.items():
        a = (rng.standard_normal(n) * 100).astype(dtype)
        a[: 8] = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e30 if t != "f16" else 60000.0, -5e9 if t != "f16" else -60000.0, 0.5]
        inputs.append(a)
    return inputs


def test_every_op_on_every_type_builds_strictly_and_runs_clean_under_sanitizers():
    n = 32
    text, outs = every_op_program(n)
    module = ir.parse(text, "every.mlir")
    header, source = c.emit_c(module)
    assert c.emit_c(ir.parse(text, "every.mlir")) == (header, source)
    flags = (*cbuild.SANITIZE_FLAGS, "-fsanitize=float-cast-overflow")
    exe = cbuild.build_harness(header, source, c_harness.emit_harness(module), "every", cflags=flags)
    inputs = every_op_inputs(n)
    spec = [((n,), np.dtype(INT_TYPES.get(t) or FLOAT_TYPES[t])) for _, t, _ in outs]
    results = dict(zip((value for _, _, value in outs), cbuild.run_harness(exe, inputs, spec)))
    # Spot checks against NumPy for the wrapping, unsigned, comparison and i1 rules.
    by_type = dict(zip(list(INT_TYPES) + list(FLOAT_TYPES), inputs))
    x16, y16 = by_type["i16"], by_type["i16"][::-1]
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(results["%addi_i16"], x16 + y16)
        np.testing.assert_array_equal(results["%muli_i16"], x16 * y16)
    np.testing.assert_array_equal(results["%maxui_i16"], np.where(x16.view(np.uint16) > y16.view(np.uint16), x16, y16))
    b1 = by_type["i1"]
    np.testing.assert_array_equal(results["%addi_i1"], b1 ^ b1[::-1])
    np.testing.assert_array_equal(results["%cslt_i1"], b1 & ~b1[::-1])  # signed i1: true is -1
    x, y = by_type["f32"], by_type["f32"][::-1]
    unordered = np.isnan(x) | np.isnan(y)
    expect = {"oeq": x == y, "ogt": x > y, "olt": x < y, "one": (x != y) & ~unordered, "ord": ~unordered,
              "ueq": (x == y) | unordered, "ult": (x < y) | unordered, "une": x != y, "uno": unordered}
    for p, e in expect.items():
        np.testing.assert_array_equal(results[f"%f{p}_f32"], e, err_msg=p)
    xi, yi = by_type["i32"], by_type["i32"][::-1]
    np.testing.assert_array_equal(results["%cult_i32"], xi.view(np.uint32) < yi.view(np.uint32))
    np.testing.assert_array_equal(results["%csge_i32"], xi >= yi)
    np.testing.assert_array_equal(results["%copysign_f32"], np.copysign(x, y))
