"""The C target on arm_simd ops: arm_neon.h intrinsics, cross-built with each
NEON machine's gcc under the strict flags and run under qemu with the board's
CPU, against NumPy."""

from __future__ import annotations

import numpy as np
import pytest
from xdsl.dialects.builtin import IntegerType, Signedness, VectorType, f16, f32, i8, i16, i32

from pelemay_ir import cross, ir
from pelemay_ir.targets import c
from pelemay_ir.targets import c_types

ARMV7 = ("armv7", "armv7-a8")
ALL_NEON = ("aarch64", *ARMV7)

# --- programs --------------------------------------------------------------------

ELEMENTWISE = """
func.func @ew(%x: memref<10xf32>, %y: memref<10xf32>, %z: memref<10xf32>, %arena: memref<48xi8>)
    attributes {pelemay.entry, pelemay.num_inputs = 2 : i64, pelemay.arena_bytes = 48 : i64, pelemay.arena_align = 16 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c10 = arith.constant 10 : index
  %half = arith.constant 0.5 : f32
  %zero = arith.constant 0.0 : f32
  %t = memref.view %arena[%c0][] : memref<48xi8> to memref<12xf32>
  %halves = arm_simd.dup %half : f32 -> vector<4xf32>
  scf.for %i = %c0 to %c8 step %c4 {
    %a = arm_simd.load %x[%i] : memref<10xf32> -> vector<4xf32>
    %b = arm_simd.load %y[%i] : memref<10xf32> -> vector<4xf32>
    %s = arm_simd.add %a, %b : vector<4xf32>, vector<4xf32> -> vector<4xf32>
    %p = arm_simd.mul %s, %a : vector<4xf32>, vector<4xf32> -> vector<4xf32>
    %h = arm_simd.mul %p, %halves : vector<4xf32>, vector<4xf32> -> vector<4xf32>
    %m = arm_simd.max %h, %b : vector<4xf32>, vector<4xf32> -> vector<4xf32>
    arm_simd.store %m, %t[%i] : vector<4xf32>, memref<12xf32>
  }
  scf.for %i = %c8 to %c10 step %c1 {
    %a = memref.load %x[%i] : memref<10xf32>
    %b = memref.load %y[%i] : memref<10xf32>
    %s = arith.addf %a, %b : f32
    %p = arith.mulf %s, %a : f32
    %h = arith.mulf %p, %half : f32
    %m = arith.maximumf %h, %b : f32
    memref.store %m, %t[%i] : memref<12xf32>
  }
  scf.for %i = %c0 to %c8 step %c4 {
    %v = arm_simd.load %t[%i] : memref<12xf32> -> vector<4xf32>
    arm_simd.store %v, %z[%i] : vector<4xf32>, memref<10xf32>
  }
  %zeros = arm_simd.dup %zero : f32 -> vector<4xf32>
  scf.for %i = %c8 to %c10 step %c1 {
    %v = arm_simd.load_lane %t[%i], %zeros, 2 : memref<12xf32>, vector<4xf32> -> vector<4xf32>
    arm_simd.store_lane %v, 2, %z[%i] : vector<4xf32>, memref<10xf32>
  }
  func.return
}
"""


MIXED_ARENA = ELEMENTWISE.replace(
    "  %halves =", "  %ints = memref.view %arena[%c0][] : memref<48xi8> to memref<12xi32>\n  %halves =", 1
)
"""Views of two element types share the arena: every access to it goes through bytes."""

F16_ADD = """
func.func @hadd(%x: memref<16xf16>, %y: memref<16xf16>, %z: memref<16xf16>)
    attributes {pelemay.entry, pelemay.num_inputs = 2 : i64} {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %one = arith.constant 1.0 : f16
  %ones = arm_simd.dup %one : f16 -> vector<8xf16>
  scf.for %i = %c0 to %c16 step %c8 {
    %a = arm_simd.load %x[%i] : memref<16xf16> -> vector<8xf16>
    %b = arm_simd.load %y[%i] : memref<16xf16> -> vector<8xf16>
    %s = arm_simd.add %a, %b : vector<8xf16>, vector<8xf16> -> vector<8xf16>
    %t = arm_simd.fma %s, %a, %ones : vector<8xf16>, vector<8xf16>, vector<8xf16> -> vector<8xf16>
    arm_simd.store %t, %z[%i] : vector<8xf16>, memref<16xf16>
  }
  func.return
}
"""


def elementwise_reference(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.maximum((x + y) * x * np.float32(0.5), y)


def dot_program(fused: bool, across: bool) -> str:
    """16-element f32 dot product: four lane accumulators (fma or mla), then
    reduced across (A64 vaddvq) or pairwise on the halves (every NEON)."""
    acc_op = "fma" if fused else "mla"
    if across:
        reduce = "%r = arm_simd.reduce_add %acc : vector<4xf32> -> f32"
    else:
        reduce = """%lo = arm_simd.get_low %acc : vector<4xf32> -> vector<2xf32>
  %hi = arm_simd.get_high %acc : vector<4xf32> -> vector<2xf32>
  %p1 = arm_simd.padd %lo, %hi : vector<2xf32>, vector<2xf32> -> vector<2xf32>
  %p2 = arm_simd.padd %p1, %p1 : vector<2xf32>, vector<2xf32> -> vector<2xf32>
  %both = arm_simd.combine %p2, %p2 : vector<2xf32>, vector<2xf32> -> vector<4xf32>
  %c0i = arith.constant 0 : index
  arm_simd.store_lane %both, 0, %out[%c0i] : vector<4xf32>, memref<1xf32>"""
    store = "memref.store %r, %out[%c0] : memref<1xf32>" if across else ""
    return f"""
func.func @dot(%a: memref<16xf32>, %b: memref<16xf32>, %out: memref<1xf32>)
    attributes {{pelemay.entry, pelemay.num_inputs = 2 : i64}} {{
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %zero = arith.constant 0.0 : f32
  %init = arm_simd.dup %zero : f32 -> vector<4xf32>
  %acc = scf.for %i = %c0 to %c16 step %c4 iter_args(%s = %init) -> (vector<4xf32>) {{
    %x = arm_simd.load %a[%i] : memref<16xf32> -> vector<4xf32>
    %y = arm_simd.load %b[%i] : memref<16xf32> -> vector<4xf32>
    %n = arm_simd.{acc_op} %s, %x, %y : vector<4xf32>, vector<4xf32>, vector<4xf32> -> vector<4xf32>
    scf.yield %n : vector<4xf32>
  }}
  {reduce}
  {store}
  func.return
}}
"""


def unfused_dot_reference(a: np.ndarray, b: np.ndarray) -> np.float32:
    """Lane accumulators with the product rounded before the add, then
    (l0 + l1) + (l2 + l3): what vmlaq_f32 and vpadd/vaddvq compute."""
    lanes = np.zeros(4, np.float32)
    for k in range(0, 16, 4):
        lanes = lanes + a[k:k + 4] * b[k:k + 4]
    return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])


WIDENING_MAC = """
func.func @mac(%a: memref<32xi8>, %b: memref<32xi8>, %out: memref<8xi16>)
    attributes {pelemay.entry, pelemay.num_inputs = 2 : i64} {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  %zero = arith.constant 0 : i16
  %init = arm_simd.dup %zero : i16 -> vector<8xi16>
  %acc = scf.for %i = %c0 to %c32 step %c16 iter_args(%s = %init) -> (vector<8xi16>) {
    %x = arm_simd.load %a[%i] : memref<32xi8> -> vector<16xi8>
    %y = arm_simd.load %b[%i] : memref<32xi8> -> vector<16xi8>
    %xl = arm_simd.get_low %x : vector<16xi8> -> vector<8xi8>
    %yl = arm_simd.get_low %y : vector<16xi8> -> vector<8xi8>
    %xh = arm_simd.get_high %x : vector<16xi8> -> vector<8xi8>
    %yh = arm_simd.get_high %y : vector<16xi8> -> vector<8xi8>
    %lo = arm_simd.mull %xl, %yl : vector<8xi8>, vector<8xi8> -> vector<8xi16>
    %sum = arm_simd.add %s, %lo : vector<8xi16>, vector<8xi16> -> vector<8xi16>
    %n = arm_simd.mlal %sum, %xh, %yh : vector<8xi16>, vector<8xi8>, vector<8xi8> -> vector<8xi16>
    scf.yield %n : vector<8xi16>
  }
  arm_simd.store %acc, %out[%c0] : vector<8xi16>, memref<8xi16>
  func.return
}
"""


def widening_mac_reference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Lane l sums a[16c + 8h + l] * b[...] over chunks c and halves h, wrapping at 16 bits."""
    products = a.astype(np.int64) * b.astype(np.int64)
    return products.reshape(4, 8).sum(axis=0).astype(np.int16)


SDOT = """
func.func @sdot(%a: memref<32xi8>, %b: memref<32xi8>, %out: memref<4xi32>)
    attributes {pelemay.entry, pelemay.num_inputs = 2 : i64} {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  %zero = arith.constant 0 : i32
  %init = arm_simd.dup %zero : i32 -> vector<4xi32>
  %acc = scf.for %i = %c0 to %c32 step %c16 iter_args(%s = %init) -> (vector<4xi32>) {
    %x = arm_simd.load %a[%i] : memref<32xi8> -> vector<16xi8>
    %y = arm_simd.load %b[%i] : memref<32xi8> -> vector<16xi8>
    %n = arm_simd.sdot %s, %x, %y : vector<4xi32>, vector<16xi8>, vector<16xi8> -> vector<4xi32>
    scf.yield %n : vector<4xi32>
  }
  arm_simd.store %acc, %out[%c0] : vector<4xi32>, memref<4xi32>
  func.return
}
"""


STRUCTURES = """
func.func @pairs(%x: memref<16xf32>, %h: memref<32xi16>, %y: memref<16xf32>, %g: memref<32xi16>)
    attributes {pelemay.entry, pelemay.num_inputs = 2 : i64} {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  scf.for %i = %c0 to %c16 step %c8 {
    %a, %b = arm_simd.load2 %x[%i] : memref<16xf32> -> vector<4xf32>, vector<4xf32>
    %d = arm_simd.sub %b, %a : vector<4xf32>, vector<4xf32> -> vector<4xf32>
    arm_simd.store2 %d, %a, %y[%i] : vector<4xf32>, vector<4xf32>, memref<16xf32>
  }
  scf.for %i = %c0 to %c32 step %c16 {
    %a, %b = arm_simd.load2 %h[%i] : memref<32xi16> -> vector<8xi16>, vector<8xi16>
    arm_simd.store2 %b, %a, %g[%i] : vector<8xi16>, vector<8xi16>, memref<32xi16>
  }
  func.return
}
"""
"""load2 / store2: y[2k] = x[2k+1] - x[2k], y[2k+1] = x[2k]; g swaps each pair of h."""


def sdot_reference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Lane l sums the four products at 4l..4l+3 of each 16-byte chunk."""
    products = (a.astype(np.int64) * b.astype(np.int64)).reshape(2, 4, 4)
    return products.sum(axis=(0, 2)).astype(np.int32)


def parsed(text: str):
    return ir.parse(text, "neon.mlir")


def run_on(machine: str, text: str, *inputs: np.ndarray) -> list[np.ndarray]:
    module = parsed(text)
    c.emit_c(module, machine=machine)  # the machine has every op the program uses
    return cross.run(module, machine, list(inputs))


# --- printing ----------------------------------------------------------------------


def test_vector_types_map_to_arm_neon_types():
    def u(w: int) -> IntegerType:
        return IntegerType(w, Signedness.UNSIGNED)

    expected = {
        VectorType(f32, [4]): "float32x4_t", VectorType(i32, [4]): "int32x4_t",
        VectorType(i16, [8]): "int16x8_t", VectorType(i8, [16]): "int8x16_t",
        VectorType(f32, [2]): "float32x2_t", VectorType(i16, [4]): "int16x4_t",
        VectorType(i8, [8]): "int8x8_t", VectorType(u(32), [4]): "uint32x4_t",
        VectorType(u(8), [16]): "uint8x16_t", VectorType(f16, [8]): "float16x8_t",
    }
    assert {t: c_types.value_ctype(t) for t in expected} == expected


def test_intrinsics_printed_with_pointers_lanes_and_include():
    _, source = c.emit_c(parsed(ELEMENTWISE))
    assert "#include <arm_neon.h>" in source
    for call in ("vdupq_n_f32(0.5f)", "vaddq_f32(", "vmulq_f32(", "vmaxq_f32(", "vld1q_f32(&x[i])",
                 "vld1q_lane_f32(", ", 2)", "vst1q_lane_f32(&z[i_3], ", "vst1q_f32(&z[i_2], "):
        assert call in source, call
    _, plain = c.emit_c(parsed(
        "func.func @p(%x: memref<1xf32>) attributes {pelemay.entry, pelemay.num_inputs = 1 : i64} {\n"
        "  func.return\n}"
    ))
    assert "arm_neon.h" not in plain


def test_vector_ops_need_a_neon_machine():
    module = parsed(dot_program(fused=True, across=False))
    for machine in ("host", "riscv64"):
        with pytest.raises(ir.CompileError, match=f"'arm_simd.dup' .* not available on target '{machine}'"):
            c.emit_c(module, machine=machine)
    with pytest.raises(ir.CompileError, match="'arm_simd.fma' \\(vfmaq_f32\\) is not available on target 'armv7-a8'"):
        c.emit_c(module, machine="armv7-a8")
    with pytest.raises(ir.CompileError, match="vaddvq_f32.*not available on target 'armv7'"):
        c.emit_c(parsed(dot_program(fused=False, across=True)), machine="armv7")
    with pytest.raises(ir.CompileError, match="vdotq_s32.*not available on target 'aarch64'"):
        c.emit_c(parsed(SDOT), machine="aarch64")


def test_store_into_an_input_is_rejected():
    text = SDOT.replace("%out[%c0] : vector<4xi32>, memref<4xi32>", "%a[%c0] : vector<4xi32>, memref<32xi8>")
    with pytest.raises(ir.CompileError):
        c.emit_c(parsed(text))


# --- cross-built and run -----------------------------------------------------------

RNG = np.random.default_rng(7)


@pytest.mark.parametrize("machine", ALL_NEON)
def test_elementwise_with_scalar_tail(machine):
    x, y = (RNG.standard_normal(10).astype(np.float32) for _ in range(2))
    (z,) = run_on(machine, ELEMENTWISE, x, y)
    np.testing.assert_array_equal(z, elementwise_reference(x, y))


@pytest.mark.parametrize("machine", ALL_NEON)
def test_structure_loads_and_stores(machine):
    _, source = c.emit_c(parsed(STRUCTURES), machine=machine)
    assert "const float32x4x2_t a = vld2q_f32(&x[i]);" in source
    assert "vst2q_s16(&g[i_1], (int16x8x2_t){{a_1.val[1], a_1.val[0]}});" in source
    x = RNG.standard_normal(16).astype(np.float32)
    h = RNG.integers(-30000, 30000, 32).astype(np.int16)
    y, g = run_on(machine, STRUCTURES, x, h)
    even, odd = x[0::2], x[1::2]
    np.testing.assert_array_equal(y, np.stack([odd - even, even], axis=1).ravel())
    np.testing.assert_array_equal(g, h.reshape(-1, 2)[:, ::-1].ravel())


def row_loads(count: int) -> str:
    """load_x{count}: the `count` vectors of each row of x from element 4,
    stored in reverse order of vectors."""
    vt = "vector<4xf32>"
    names = [f"%v{k}" for k in range(count)]
    stores = "\n".join(
        f"    %at{k} = arith.constant {4 * (count - 1 - k)} : index\n"
        f"    arm_simd.store %v{k}, %y[%r, %at{k}] : {vt}, memref<2x{4 * count}xf32>"
        for k in range(count)
    )
    return f"""
func.func @rows(%x: memref<2x20xf32>, %y: memref<2x{4 * count}xf32>)
    attributes {{pelemay.entry, pelemay.num_inputs = 1 : i64}} {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  scf.for %r = %c0 to %c2 step %c1 {{
    {", ".join(names)} = arm_simd.load_x{count} %x[%r, %c4] : memref<2x20xf32> -> {", ".join([vt] * count)}
{stores}
  }}
  func.return
}}
"""


@pytest.mark.parametrize("machine,count,call", [
    *((m, 2, "const float32x4x2_t v0 = pl_vld1q_f32_x2(&x[r * 20 + 4]);") for m in ALL_NEON),
    ("aarch64", 4, "const float32x4x4_t v0 = vld1q_f32_x4(&x[r * 20 + 4]);"),
])
def test_multi_register_loads(machine, count, call):
    """vld1q_f32_x2 (through the helper that writes the instruction out for
    GCC's AArch32 arm_neon.h, which lacks it) and vld1q_f32_x4 (AArch64)."""
    text = row_loads(count)
    _, source = c.emit_c(parsed(text), machine=machine)
    assert call in source
    x = RNG.standard_normal((2, 20)).astype(np.float32)
    (y,) = run_on(machine, text, x)
    vectors = x[:, 4:4 + 4 * count].reshape(2, count, 4)
    np.testing.assert_array_equal(y, vectors[:, ::-1].reshape(2, 4 * count))


@pytest.mark.parametrize("machine", ALL_NEON)
def test_unfused_dot_with_pairwise_reduction(machine):
    a, b = (RNG.standard_normal(16).astype(np.float32) for _ in range(2))
    (out,) = run_on(machine, dot_program(fused=False, across=False), a, b)
    assert out[0] == unfused_dot_reference(a, b)


@pytest.mark.parametrize("machine,across", [("armv7", False), ("aarch64", False), ("aarch64", True)])
def test_fused_dot(machine, across):
    a, b = (RNG.standard_normal(16).astype(np.float32) for _ in range(2))
    (out,) = run_on(machine, dot_program(fused=True, across=across), a, b)
    np.testing.assert_allclose(out[0], np.dot(a.astype(np.float64), b), rtol=1e-5, atol=1e-6)


def test_unfused_dot_with_across_reduction():
    a, b = (RNG.standard_normal(16).astype(np.float32) for _ in range(2))
    (out,) = run_on("aarch64", dot_program(fused=False, across=True), a, b)
    assert out[0] == unfused_dot_reference(a, b)


@pytest.mark.parametrize("machine", ALL_NEON)
def test_int8_widening_multiply_accumulate(machine):
    a, b = (RNG.integers(-128, 128, 32).astype(np.int8) for _ in range(2))
    a[:8] = b[:8] = -128  # lane sums of 4 * 16384 wrap at 16 bits
    (out,) = run_on(machine, WIDENING_MAC, a, b)
    np.testing.assert_array_equal(out, widening_mac_reference(a, b))


def test_sdot_on_dotprod():
    a, b = (RNG.integers(-128, 128, 32).astype(np.int8) for _ in range(2))
    (out,) = run_on("aarch64-dotprod", SDOT, a, b)
    np.testing.assert_array_equal(out, sdot_reference(a, b))


@pytest.mark.parametrize("machine", ("aarch64", "armv7"))
def test_vectors_in_a_byte_arena(machine):
    module = parsed(MIXED_ARENA)
    _, source = c.emit_c(module)
    assert "vst1q_f32((float *)(void *)(" in source  # the arena is reached as bytes
    x, y = (RNG.standard_normal(10).astype(np.float32) for _ in range(2))
    (z,) = run_on(machine, MIXED_ARENA, x, y)
    np.testing.assert_array_equal(z, elementwise_reference(x, y))


def test_f16_vectors_on_dotprod():
    module = parsed(F16_ADD)
    with pytest.raises(ir.CompileError, match="not available on target 'aarch64'"):
        c.emit_c(module, machine="aarch64")
    x, y = (RNG.standard_normal(16).astype(np.float16) for _ in range(2))
    (z,) = run_on("aarch64-dotprod", F16_ADD, x, y)
    s = x + y
    np.testing.assert_array_equal(z, (s.astype(np.float64) + x).astype(np.float16))
