"""The llvm target: loop-level programs printed as LLVM IR, checked by
`opt -passes=verify`, compiled by `llc` for every machine, built for the host
with clang, run through ctypes and compared with NumPy."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from xdsl.utils.arg_spec import ArgSpec

from pelemay_ir import cbuild, cross, ir, llvmbuild, machines, registry
from pelemay_ir.ir import CompileError
from pelemay_ir.targets import abi
from pelemay_ir.targets import llvm

# tools/setup.sh installs LLVM 16, the cross compilers and qemu-user: a
# missing tool is a broken set-up, so it fails the tests instead of skipping.


pytestmark = pytest.mark.usefixtures("private_cache")


def entry(num_inputs: int, arena: int = 0, extra: str = "") -> str:
    attrs = f"pelemay.entry, pelemay.num_inputs = {num_inputs} : i64"
    if arena:
        attrs += f", pelemay.arena_bytes = {arena} : i64, pelemay.arena_align = 16 : i64"
    return f"attributes {{{attrs}{extra}}}"


def glob(name: str, values: list[float], elem: str) -> str:
    n = len(values)
    return (
        f'"memref.global"() <{{sym_name = "{name}", sym_visibility = "private", '
        f"type = memref<{n}x{elem}>, initial_value = dense<{values}> : tensor<{n}x{elem}>, "
        "constant}> : () -> ()"
    )


INDEX_CONSTANTS = """
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %c3 = arith.constant 3 : index
    %c4 = arith.constant 4 : index
    %c8 = arith.constant 8 : index
"""

BIAS = [1.0, -2.0, 0.5, 4.0]

# out = max(x + bias, 0), the sum kept in an arena view.
ELEMENTWISE = f"""
{glob("bias", BIAS, "f32")}
func.func @ew(%x: memref<2x4xf32>, %out: memref<2x4xf32>, %arena: memref<64xi8>) {entry(1, 64)} {{
    {INDEX_CONSTANTS}
    %off = arith.constant 32 : index
    %zero = arith.constant 0.0 : f32
    %t = memref.view %arena[%off][] : memref<64xi8> to memref<2x4xf32>
    %b = memref.get_global @bias : memref<4xf32>
    scf.for %i = %c0 to %c2 step %c1 {{
      scf.for %j = %c0 to %c4 step %c1 {{
        %v = memref.load %x[%i, %j] : memref<2x4xf32>
        %w = memref.load %b[%j] : memref<4xf32>
        %s = arith.addf %v, %w : f32
        memref.store %s, %t[%i, %j] : memref<2x4xf32>
      }}
    }}
    scf.for %i = %c0 to %c2 step %c1 {{
      scf.for %j = %c0 to %c4 step %c1 {{
        %v = memref.load %t[%i, %j] : memref<2x4xf32>
        %r = arith.maximumf %v, %zero : f32
        memref.store %r, %out[%i, %j] : memref<2x4xf32>
      }}
    }}
    func.return
}}
"""

# out = a @ b, the dot product carried in iter_args.
MATMUL = f"""
func.func @mm(%a: memref<2x3xf32>, %b: memref<3x4xf32>, %out: memref<2x4xf32>) {entry(2)} {{
    {INDEX_CONSTANTS}
    %zero = arith.constant 0.0 : f32
    scf.for %i = %c0 to %c2 step %c1 {{
      scf.for %j = %c0 to %c4 step %c1 {{
        %sum = scf.for %k = %c0 to %c3 step %c1 iter_args(%acc = %zero) -> (f32) {{
          %x = memref.load %a[%i, %k] : memref<2x3xf32>
          %y = memref.load %b[%k, %j] : memref<3x4xf32>
          %p = arith.mulf %x, %y : f32
          %n = arith.addf %acc, %p : f32
          scf.yield %n : f32
        }}
        memref.store %sum, %out[%i, %j] : memref<2x4xf32>
      }}
    }}
    func.return
}}
"""

# out = x * w with w read from the external weights blob at byte 16.
EXTERNAL = f"""
func.func @ext(%weights: memref<32xi8>, %x: memref<4xf32>, %out: memref<4xf32>)
    {entry(1, extra=", pelemay.weights_arg")} {{
    {INDEX_CONSTANTS}
    %off = arith.constant 16 : index
    %w = memref.view %weights[%off][] : memref<32xi8> to memref<4xf32>
    scf.for %i = %c0 to %c4 step %c1 {{
      %a = memref.load %x[%i] : memref<4xf32>
      %b = memref.load %w[%i] : memref<4xf32>
      %p = arith.mulf %a, %b : f32
      memref.store %p, %out[%i] : memref<4xf32>
    }}
    func.return
}}
"""

# f16 as storage: r = f16(f32(h) * 1.5), s = h + h computed on f16 values.
HALF = f"""
func.func @half(%h: memref<8xf16>, %r: memref<8xf16>, %s: memref<8xf16>) {entry(1)} {{
    {INDEX_CONSTANTS}
    %k = arith.constant 1.5 : f32
    scf.for %i = %c0 to %c8 step %c1 {{
      %v = memref.load %h[%i] : memref<8xf16>
      %f = arith.extf %v : f16 to f32
      %m = arith.mulf %f, %k : f32
      %t = arith.truncf %m : f32 to f16
      memref.store %t, %r[%i] : memref<8xf16>
      %d = arith.addf %v, %v : f16
      memref.store %d, %s[%i] : memref<8xf16>
    }}
    func.return
}}
"""

# Integer rules: wrapping i8 add/mul, guarded division, shifts for every amount.
INTEGER = f"""
func.func @ints(%a: memref<8xi8>, %b: memref<8xi8>, %x: memref<8xi32>, %y: memref<8xi32>,
                %add: memref<8xi8>, %mul: memref<8xi8>, %ds: memref<8xi32>, %rs: memref<8xi32>,
                %du: memref<8xi32>, %ru: memref<8xi32>, %shl: memref<8xi32>, %shr: memref<8xi32>,
                %sar: memref<8xi32>, %abs: memref<8xi8>, %sar40: memref<8xi32>,
                %div3: memref<8xi32>) {entry(4)} {{
    {INDEX_CONSTANTS}
    %k40 = arith.constant 40 : i32
    %kneg3 = arith.constant -3 : i32
    scf.for %i = %c0 to %c8 step %c1 {{
      %p = memref.load %a[%i] : memref<8xi8>
      %q = memref.load %b[%i] : memref<8xi8>
      %s = arith.addi %p, %q : i8
      memref.store %s, %add[%i] : memref<8xi8>
      %m = arith.muli %p, %q : i8
      memref.store %m, %mul[%i] : memref<8xi8>
      %ab = math.absi %p : i8
      memref.store %ab, %abs[%i] : memref<8xi8>
      %u = memref.load %x[%i] : memref<8xi32>
      %v = memref.load %y[%i] : memref<8xi32>
      %d1 = arith.divsi %u, %v : i32
      memref.store %d1, %ds[%i] : memref<8xi32>
      %r1 = arith.remsi %u, %v : i32
      memref.store %r1, %rs[%i] : memref<8xi32>
      %d2 = arith.divui %u, %v : i32
      memref.store %d2, %du[%i] : memref<8xi32>
      %r2 = arith.remui %u, %v : i32
      memref.store %r2, %ru[%i] : memref<8xi32>
      %s1 = arith.shli %u, %v : i32
      memref.store %s1, %shl[%i] : memref<8xi32>
      %s2 = arith.shrui %u, %v : i32
      memref.store %s2, %shr[%i] : memref<8xi32>
      %s3 = arith.shrsi %u, %v : i32
      memref.store %s3, %sar[%i] : memref<8xi32>
      %s4 = arith.shrsi %u, %k40 : i32
      memref.store %s4, %sar40[%i] : memref<8xi32>
      %d3 = arith.divsi %u, %kneg3 : i32
      memref.store %d3, %div3[%i] : memref<8xi32>
    }}
    func.return
}}
"""

# Casts: saturating float -> int, int -> float, compare results stored as bytes.
CASTS = f"""
func.func @casts(%f: memref<8xf32>, %i8: memref<8xi8>, %i32: memref<8xi32>, %u8: memref<8xi8>,
                 %back: memref<8xf32>, %pos: memref<8xi1>) {entry(1)} {{
    {INDEX_CONSTANTS}
    %zero = arith.constant 0.0 : f32
    scf.for %i = %c0 to %c8 step %c1 {{
      %v = memref.load %f[%i] : memref<8xf32>
      %a = arith.fptosi %v : f32 to i8
      memref.store %a, %i8[%i] : memref<8xi8>
      %b = arith.fptosi %v : f32 to i32
      memref.store %b, %i32[%i] : memref<8xi32>
      %c = arith.fptoui %v : f32 to i8
      memref.store %c, %u8[%i] : memref<8xi8>
      %d = arith.sitofp %b : i32 to f32
      memref.store %d, %back[%i] : memref<8xf32>
      %g = arith.cmpf ogt, %v, %zero : f32
      memref.store %g, %pos[%i] : memref<8xi1>
    }}
    func.return
}}
"""

MATH_OPS = ["exp", "log", "sqrt", "tanh", "erf", "absf", "rsqrt", "floor", "roundeven", "sin"]
MATH = f"""
func.func @maths(%x: memref<8xf32>, %y: memref<8xf32>, {", ".join(f"%{n}: memref<8xf32>" for n in MATH_OPS)},
                 %fma: memref<8xf32>, %maxnum: memref<8xf32>, %minimum: memref<8xf32>,
                 %pow: memref<8xf32>) {entry(2)} {{
    {INDEX_CONSTANTS}
    scf.for %i = %c0 to %c8 step %c1 {{
      %v = memref.load %x[%i] : memref<8xf32>
      %w = memref.load %y[%i] : memref<8xf32>
{"".join(f"      %res_{n} = math.{n} %v : f32{chr(10)}      memref.store %res_{n}, %{n}[%i] : memref<8xf32>{chr(10)}" for n in MATH_OPS)}
      %f = math.fma %v, %w, %v : f32
      memref.store %f, %fma[%i] : memref<8xf32>
      %mx = arith.maxnumf %v, %w : f32
      memref.store %mx, %maxnum[%i] : memref<8xf32>
      %mn = arith.minimumf %v, %w : f32
      memref.store %mn, %minimum[%i] : memref<8xf32>
      %pw = math.powf %v, %w : f32
      memref.store %pw, %pow[%i] : memref<8xf32>
    }}
    func.return
}}
"""

# scf.if with a result, scf.while, and a call of an internal function.
CONTROL = f"""
func.func private @twice(%v: f32) -> f32 {{
    %r = arith.addf %v, %v : f32
    func.return %r : f32
}}
func.func @control(%x: memref<4xf32>, %y: memref<4xf32>, %steps: memref<4xi32>) {entry(1)} {{
    {INDEX_CONSTANTS}
    %zero = arith.constant 0.0 : f32
    %one = arith.constant 1.0 : f32
    %half = arith.constant 0.5 : f32
    %n0 = arith.constant 0 : i32
    %n1 = arith.constant 1 : i32
    scf.for %i = %c0 to %c4 step %c1 {{
      %v = memref.load %x[%i] : memref<4xf32>
      %neg = arith.cmpf olt, %v, %zero : f32
      %r = scf.if %neg -> (f32) {{
        scf.yield %zero : f32
      }} else {{
        %t = func.call @twice(%v) : (f32) -> f32
        scf.yield %t : f32
      }}
      memref.store %r, %y[%i] : memref<4xf32>
      %a = math.absf %v : f32
      %res:2 = "scf.while"(%a, %n0) ({{
      ^bb0(%cur: f32, %cnt: i32):
        %big = arith.cmpf oge, %cur, %one : f32
        "scf.condition"(%big, %cur, %cnt) : (i1, f32, i32) -> ()
      }}, {{
      ^bb1(%cur2: f32, %cnt2: i32):
        %next = arith.mulf %cur2, %half : f32
        %inc = arith.addi %cnt2, %n1 : i32
        scf.yield %next, %inc : f32, i32
      }}) : (f32, i32) -> (f32, i32)
      memref.store %res#1, %steps[%i] : memref<4xi32>
    }}
    func.return
}}
"""

F32_SAMPLES = 6 * 65536


def f32_samples() -> np.ndarray:
    """Each f16 value as a float, the midpoints to its neighbours and the floats
    right beside them (ties to even, overflow near 65520, subnormals, zeros),
    with both signs, plus infinities and NaNs."""
    h = np.arange(0, 0x7C00, dtype=np.uint16).view(np.float16).astype(np.float64)
    mid = (h + np.append(h[1:], 65536.0)) / 2
    mids = mid.astype(np.float32)
    around = np.concatenate([mids, np.nextafter(mids, np.float32(0)), np.nextafter(mids, np.float32(np.inf))])
    values = np.concatenate([h.astype(np.float32), around])
    values = np.concatenate([values, -values])
    special = np.array([np.inf, -np.inf, np.nan, -np.nan, 1e30, -1e-30], np.float32)
    out = np.concatenate([values, special])
    return np.resize(out, F32_SAMPLES).astype(np.float32)


# Views of one buffer: a strided subview, reinterpret_cast, collapse_shape,
# and a zeroed stack scratch buffer filled by memref.copy.
VIEWS = f"""
func.func @views(%x: memref<4x4xf32>, %y: memref<2x2xf32>, %z: memref<16xf32>, %w: memref<4xf32>)
    {entry(1)} {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %s = memref.subview %x[1, 2] [2, 2] [1, 1] : memref<4x4xf32> to memref<2x2xf32, strided<[4, 1], offset: 6>>
  scf.for %i = %c0 to %c2 step %c1 {{
    scf.for %j = %c0 to %c2 step %c1 {{
      %v = memref.load %s[%i, %j] : memref<2x2xf32, strided<[4, 1], offset: 6>>
      memref.store %v, %y[%i, %j] : memref<2x2xf32>
    }}
  }}
  %flat = memref.reinterpret_cast %x to offset: [0], sizes: [16], strides: [1] : memref<4x4xf32> to memref<16xf32>
  %scratch = memref.alloca() : memref<16xf32>
  "memref.copy"(%flat, %scratch) : (memref<16xf32>, memref<16xf32>) -> ()
  scf.for %i = %c0 to %c16 step %c1 {{
    %v = memref.load %scratch[%i] : memref<16xf32>
    %d = arith.addf %v, %v : f32
    memref.store %d, %z[%i] : memref<16xf32>
  }}
  %col = memref.collapse_shape %x [[0, 1]] : memref<4x4xf32> into memref<16xf32>
  %diag = memref.subview %col[0] [4] [5] : memref<16xf32> to memref<4xf32, strided<[5]>>
  scf.for %i = %c0 to %c4 step %c1 {{
    %v = memref.load %diag[%i] : memref<4xf32, strided<[5]>>
    memref.store %v, %w[%i] : memref<4xf32>
  }}
  func.return
}}
"""

# Every f16 widened, and floats around each f16 rounding boundary narrowed:
# hardware conversions and the integer helpers must both agree with NumPy.
CONVERT = f"""
func.func @convert(%h: memref<65536xf16>, %f: memref<{F32_SAMPLES}xf32>, %wide: memref<65536xf32>,
                   %narrow: memref<{F32_SAMPLES}xf16>) {entry(2)} {{
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %n = arith.constant 65536 : index
    %m = arith.constant {F32_SAMPLES} : index
    scf.for %i = %c0 to %n step %c1 {{
      %v = memref.load %h[%i] : memref<65536xf16>
      %w = arith.extf %v : f16 to f32
      memref.store %w, %wide[%i] : memref<65536xf32>
    }}
    scf.for %i = %c0 to %m step %c1 {{
      %v = memref.load %f[%i] : memref<{F32_SAMPLES}xf32>
      %t = arith.truncf %v : f32 to f16
      memref.store %t, %narrow[%i] : memref<{F32_SAMPLES}xf16>
    }}
    func.return
}}
"""

PROGRAMS = {
    "convert": CONVERT,
    "views": VIEWS,
    "elementwise": ELEMENTWISE,
    "matmul": MATMUL,
    "external": EXTERNAL,
    "half": HALF,
    "integer": INTEGER,
    "casts": CASTS,
    "math": MATH,
    "control": CONTROL,
}


def parse(name: str):
    return ir.parse(PROGRAMS[name], f"{name}.mlir")


def build(name: str, weights: bytes | None = None) -> cbuild.CompiledProgram:
    return llvmbuild.compile_module(parse(name), weights=weights)


# --- printing ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_same_input_gives_byte_identical_output(name):
    first = llvm.emit_llvm(parse(name), "aarch64")
    assert llvm.emit_llvm(parse(name), "aarch64") == first
    module = parse(name)
    assert llvm.emit_llvm(module, "aarch64") == llvm.emit_llvm(module, "aarch64")


def test_exports_run_function_and_sizes():
    text = llvm.emit_llvm(parse("elementwise"))
    assert "define i32 @ew_run(ptr %x, ptr %out, ptr %arena) #0 {" in text
    assert "@ew_arena_bytes = constant i64 64" in text
    assert "@ew_arena_align = constant i64 16" in text
    assert "define internal void @ew(" in text
    assert "@bias = internal constant [4 x float]" in text
    ext = llvm.emit_llvm(parse("external"))
    assert "define i32 @ext_run(ptr %weights, ptr %x, ptr %out, ptr %arena) #0 {" in ext
    assert "@ext_weights_bytes = constant i64 32" in ext
    assert "@ext_weights_align = constant i64 4" in ext


@pytest.mark.parametrize("machine", sorted(machines.MACHINES))
def test_machine_header(machine):
    m = llvm.machine(machine).llvm
    text = llvm.emit_llvm(parse("matmul"), machine)
    assert f'target triple = "{m.triple}"' in text
    if machine == "host" and llvm.native_host():
        assert "attributes #0 = { nounwind }" in text  # the build's -march=native names the CPU
    else:
        assert f'"target-cpu"="{m.cpu}"' in text
    index = "i64" if machine in ("host", "aarch64", "aarch64-dotprod", "riscv64") else "i32"
    assert f"phi {index} [ 0, " in text


def test_one_machine_vocabulary():
    from pelemay_ir import pipelines

    assert tuple(machines.MACHINES) == pipelines.MACHINES
    assert all(m.llvm is not None for m in machines.MACHINES.values())


def test_integer_arithmetic_has_no_poison_flags():
    text = llvm.emit_llvm(parse("integer"))
    body = text[text.index("define internal"):]
    for line in body.splitlines():
        if " = add " in line or " = mul " in line or " = sub " in line:
            assert "nsw" not in line and "nuw" not in line, line
    casts = llvm.emit_llvm(parse("casts"))  # saturated by legalize, then the plain instruction
    assert " = fptosi float " in casts and "fcmp uno float" in casts


def test_unknown_machine_is_an_error():
    with pytest.raises(CompileError, match="unknown target 'vax'; valid machines: host, aarch64"):
        llvm.emit_llvm(parse("matmul"), "vax")
    with pytest.raises(CompileError, match="unknown option 'cpu' of the llvm target"):
        registry.printer_machine(parse("matmul"), ArgSpec("llvm", {"cpu": ("a53",)}))
    assert registry.printer_machine(parse("matmul"), ArgSpec("llvm", {"target": ("armv7-a8",)})) == "armv7-a8"


def test_unprintable_op_names_op_position_and_pass():
    text = """
func.func @f(%x: memref<4xf32>, %y: memref<4xf32>) attributes {pelemay.entry, pelemay.num_inputs = 1 : i64} {
  pbuf.exp %x, %y : memref<4xf32>, memref<4xf32>
  func.return
}
"""
    module = ir.parse(text, "bad.mlir")
    with pytest.raises(CompileError) as e:
        llvm.emit_llvm(module)
    message = str(e.value)
    assert message.startswith("bad.mlir:3:3: error: 'pbuf.exp' op cannot be printed by the llvm target")
    assert "convert-pbuf-to-loops" in message


def test_tensor_level_op_names_bufferize():
    text = """
func.func @f(%x: memref<4xf32>) attributes {pelemay.entry, pelemay.num_inputs = 1 : i64} {
  %t = arith.constant dense<1.0> : tensor<4xf32>
  %e = ptensor.exp %t : tensor<4xf32>
  func.return
}
"""
    with pytest.raises(CompileError, match=r"t.mlir:4:\d+: error: 'ptensor.exp' op .*bufferize"):
        llvm.emit_llvm(ir.parse(text, "t.mlir"))


def test_missing_entry_is_an_error():
    text = "func.func @f(%x: memref<4xf32>) { func.return }"
    with pytest.raises(CompileError, match="no function is marked 'pelemay.entry'"):
        llvm.emit_llvm(ir.parse(text))


def test_symbol_clashing_with_export_is_an_error():
    text = f"""
func.func private @ew_run() {{ func.return }}
{ELEMENTWISE}
"""
    with pytest.raises(CompileError, match="'@ew_run' clashes"):
        llvm.emit_llvm(ir.parse(text))


# --- LLVM's tools judge ---------------------------------------------------------------


@pytest.mark.parametrize("machine", sorted(machines.MACHINES))
def test_every_program_verifies_and_compiles_for_machine(machine):
    for name in sorted(PROGRAMS):
        text = llvm.emit_llvm(parse(name), machine)
        llvmbuild.verify(text)
        obj = llvmbuild.compile_object(text, machine)
        assert obj[:4] == b"\x7fELF", name


def test_verifier_rejects_broken_text():
    text = llvm.emit_llvm(parse("matmul")).replace("ret i32 0", "ret i64 0")
    with pytest.raises(llvmbuild.LLVMToolError, match="opt -passes=verify failed"):
        llvmbuild.verify(text)


# --- running: on the host through ctypes, and on each board under qemu-user ------------

Runner = Callable[..., list[np.ndarray]]
"""run(program_name, *inputs, weights=None) -> outputs"""


def check_elementwise(run: Runner) -> None:
    x = np.array([[1, -5, np.nan, -0.5], [3, 1.5, -4, 0.5]], np.float32)
    (out,) = run("elementwise", x)
    np.testing.assert_array_equal(out, np.maximum(x + np.array(BIAS, np.float32), 0))
    assert np.isnan(out[0, 2])


def check_matmul(run: Runner) -> None:
    rng = np.random.default_rng(1)
    a = rng.standard_normal((2, 3)).astype(np.float32)
    b = rng.standard_normal((3, 4)).astype(np.float32)
    (out,) = run("matmul", a, b)
    np.testing.assert_allclose(out, a @ b, rtol=1e-6, atol=1e-6)


def check_external(run: Runner) -> None:
    w = np.array([2, -1, 0.5, 8], np.float32)
    blob = b"\xee" * 16 + w.tobytes()
    x = np.array([1, 2, 3, 4], np.float32)
    (out,) = run("external", x, weights=blob)
    np.testing.assert_array_equal(out, x * w)


def check_half(run: Runner) -> None:
    h = np.array([1, -2.5, 65504, 1e-7, np.inf, np.nan, 0.333, 3e4], np.float16)
    r, s = run("half", h)
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(r, (h.astype(np.float32) * np.float32(1.5)).astype(np.float16))
        np.testing.assert_array_equal(s, (h.astype(np.float32) * 2).astype(np.float16))


def check_integer(run: Runner) -> None:
    a = np.array([127, -128, 100, -1, 5, 0, 64, -7], np.int8)
    b = np.array([1, -1, 100, 127, -3, 9, 2, 2], np.int8)
    imin = np.iinfo(np.int32).min
    x = np.array([7, -7, imin, imin, 5, -9, 1, -1], np.int32)
    y = np.array([2, 2, -1, 1, 0, 0, 33, 31], np.int32)
    add, mul, ds, rs, du, ru, shl, shr, sar, ab, sar40, div3 = run("integer", a, b, x, y)
    np.testing.assert_array_equal(sar40, np.where(x < 0, -1, 0))
    np.testing.assert_array_equal(div3, [int(v / -3) for v in x.tolist()])  # toward zero
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(add, (a.astype(np.int32) + b).astype(np.int8))
        np.testing.assert_array_equal(mul, (a.astype(np.int32) * b).astype(np.int8))
        np.testing.assert_array_equal(ab, np.abs(a))  # abs(-128) = -128
    np.testing.assert_array_equal(ds, [3, -3, imin, imin, 0, 0, 0, 0])
    np.testing.assert_array_equal(rs, [1, -1, 0, 0, 5, -9, 1, -1])
    ux, uy = x.view(np.uint32).astype(np.uint64), y.view(np.uint32).astype(np.uint64)
    want_du = np.where(uy == 0, 0, ux // np.maximum(uy, 1)).astype(np.uint32).view(np.int32)
    want_ru = np.where(uy == 0, ux, ux % np.maximum(uy, 1)).astype(np.uint32).view(np.int32)
    np.testing.assert_array_equal(du, want_du)
    np.testing.assert_array_equal(ru, want_ru)
    np.testing.assert_array_equal(shl, shifted(x, y, "shl"))
    np.testing.assert_array_equal(shr, shifted(x, y, "shr"))
    np.testing.assert_array_equal(sar, shifted(x, y, "sar"))


def shifted(x: np.ndarray, y: np.ndarray, kind: str) -> list[int]:
    """The shift rule of docs/semantics.md for i32, on Python integers: the
    amount read as unsigned; 32 or more gives 0 (or the sign for `sar`)."""
    out = []
    for a, n in zip(x.tolist(), y.tolist()):
        n &= 0xFFFFFFFF
        if kind == "sar":
            r = (-1 if a < 0 else 0) if n >= 32 else a >> n
        elif n >= 32:
            r = 0
        elif kind == "shl":
            r = (a << n) & 0xFFFFFFFF
        else:
            r = (a & 0xFFFFFFFF) >> n
        out.append(r - (1 << 32) if r >= 1 << 31 else r)
    return out


def check_casts(run: Runner) -> None:
    f = np.array([1.9, -1.9, 300, -300, np.nan, np.inf, -np.inf, 3e9], np.float32)
    i8, i32, u8, back, pos = run("casts", f)
    np.testing.assert_array_equal(i8, [1, -1, 127, -128, 0, 127, -128, 127])
    imax, imin = np.iinfo(np.int32).max, np.iinfo(np.int32).min
    np.testing.assert_array_equal(i32, [1, -1, 300, -300, 0, imax, imin, imax])
    np.testing.assert_array_equal(u8.view(np.uint8), [1, 0, 255, 0, 0, 255, 0, 255])
    np.testing.assert_array_equal(back, i32.astype(np.float32))
    assert pos.dtype == np.bool_
    np.testing.assert_array_equal(pos, f > 0)


def check_math(run: Runner) -> None:
    x = np.array([0.5, 1.5, 2.0, 4.0, 0.25, 9.0, 3.3, 0.1], np.float32)
    y = np.array([1.0, np.nan, -2.0, 0.5, 2.0, 1.0, -3.3, 0.0], np.float32)
    outs = run("math", x, y)
    got = dict(zip([*MATH_OPS, "fma", "maxnum", "minimum", "pow"], outs))
    d = x.astype(np.float64)
    want = {
        "exp": np.exp(d), "log": np.log(d), "sqrt": np.sqrt(d), "tanh": np.tanh(d),
        "erf": np.array([math.erf(t) for t in d]), "absf": np.abs(d), "rsqrt": 1 / np.sqrt(d),
        "floor": np.floor(d), "roundeven": np.round(d), "sin": np.sin(d),
        "fma": d * y + d, "pow": np.power(d, y.astype(np.float64)),
    }
    for name, value in want.items():
        np.testing.assert_allclose(got[name], value.astype(np.float32), rtol=2e-6, atol=1e-7, err_msg=name)
    np.testing.assert_array_equal(got["maxnum"], np.fmax(x, y))  # NaN ignored
    np.testing.assert_array_equal(got["minimum"], np.minimum(x, y))  # NaN propagates
    assert np.isnan(got["minimum"][1]) and got["maxnum"][1] == x[1]


def check_control(run: Runner) -> None:
    x = np.array([-1, 3, 0.5, 8], np.float32)
    y, steps = run("control", x)
    np.testing.assert_array_equal(y, np.where(x < 0, 0, 2 * x))
    np.testing.assert_array_equal(steps, [1, 2, 0, 4])


def check_views(run: Runner) -> None:
    x = np.arange(16, dtype=np.float32).reshape(4, 4)
    y, z, w = run("views", x)
    np.testing.assert_array_equal(y, x[1:3, 2:4])
    np.testing.assert_array_equal(z, 2 * x.ravel())
    np.testing.assert_array_equal(w, np.diag(x))


def check_convert(run: Runner) -> None:
    h = np.arange(65536, dtype=np.uint16).view(np.float16)
    f = f32_samples()
    wide, narrow = run("convert", h, f)
    want = h.astype(np.float32)
    nan = np.isnan(want)
    np.testing.assert_array_equal(wide[~nan].view(np.uint32), want[~nan].view(np.uint32))
    assert np.isnan(wide[nan]).all()
    with np.errstate(over="ignore"):
        want16 = f.astype(np.float16)
    nan16 = np.isnan(want16)
    np.testing.assert_array_equal(narrow[~nan16].view(np.uint16), want16[~nan16].view(np.uint16))
    assert np.isnan(narrow[nan16]).all()


CHECKS = {name: globals()[f"check_{name}"] for name in sorted(PROGRAMS)}


def run_on_host(name: str, *inputs: np.ndarray, weights: bytes | None = None) -> list[np.ndarray]:
    return build(name, weights)(*inputs)


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_program_runs_on_host(name):
    CHECKS[name](run_on_host)


BOARDS = [m for m in llvmbuild.RUNNABLE if m != "host"]


@pytest.mark.parametrize("machine", BOARDS)
@pytest.mark.parametrize("name", sorted(CHECKS))
def test_program_runs_on_board_under_qemu(name, machine):
    """llc's object for the board, linked with the C target's test driver and
    run with the board's CPU named, so a missing instruction fails."""
    if not llvmbuild.can_run(machine):
        pytest.fail(f"no cross compiler or qemu-user for {machine}: run tools/setup.sh")

    def run_on_board(program: str, *inputs: np.ndarray, weights: bytes | None = None):
        return cross.run_llvm(parse(program), machine, inputs, weights)

    CHECKS[name](run_on_board)


def test_run_function_rejects_null_and_misaligned_pointers():
    program = build("elementwise")
    x = np.zeros((2, 4), np.float32)
    out = np.zeros((2, 4), np.float32)
    arena = np.zeros(64 + 32, np.uint8)
    base = arena.ctypes.data + (-arena.ctypes.data % 16)
    codes = {name: value for name, value, _ in abi.ERROR_CODES}
    assert program.call_raw(x.ctypes.data, out.ctypes.data, base) == codes["PELEMAY_OK"]
    assert program.call_raw(None, out.ctypes.data, base) == codes["PELEMAY_ERR_NULL"]
    assert program.call_raw(x.ctypes.data, out.ctypes.data, None) == codes["PELEMAY_ERR_NULL"]
    assert program.call_raw(x.ctypes.data, out.ctypes.data, base + 4) == codes["PELEMAY_ERR_ALIGN"]


def test_llvm_and_c_paths_agree():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((2, 3)).astype(np.float32)
    b = rng.standard_normal((3, 4)).astype(np.float32)
    via_llvm = build("matmul")(a, b)[0]
    via_c = cbuild.compile_module(parse("matmul"))(a, b)[0]
    np.testing.assert_allclose(via_llvm, via_c, rtol=1e-6, atol=1e-6)


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def check_model_against_reference(model: str, machine: str) -> None:
    """A bundled model through the real lowering (external weights), printed
    by this target, run on `machine` and compared with the reference."""
    from pelemay_ir import api, reference
    from pelemay_ir import weights as weights_file
    from pelemay_ir.dtypes import numpy_dtype

    path = EXAMPLES / f"{model}.mlir"
    lowered = api.lower(path, weights="external")
    source = ir.load(path)
    args = [f for f in source.ops if f.name == "func.func"][-1].args
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal(a.type.get_shape()).astype(numpy_dtype(a.type.element_type)) for a in args]
    if machine == "host":
        outputs = llvmbuild.compile_module(lowered)(*inputs)
    else:
        outputs = cross.run_llvm(lowered, machine, inputs, bytes(weights_file.blob_of(lowered)))
    for got, want in zip(outputs, reference.evaluate(source, inputs), strict=True):
        assert np.max(np.abs(got - want)) <= 1e-4 * max(1.0, float(np.max(np.abs(want))))


@pytest.mark.parametrize("model,machine", [("mlp", "host"), ("lenet5", "aarch64"), ("lenet5", "armv7-a8")])
def test_pipeline_output_runs_like_the_reference(model, machine):
    if not llvmbuild.can_run(machine):
        pytest.fail(f"LLVM tools, a cross compiler or qemu-user for {machine} are missing: run tools/setup.sh")
    check_model_against_reference(model, machine)


# The MobileNets' weights and arena (20 MB each) exceed even the 16 MiB heap
# of the Cortex-M4 board model, let alone the STM32F407VG's memory.
TOO_BIG_FOR_THE_BOARD = {("mobilenet_v1", "cortex-m4"), ("mobilenet_v2", "cortex-m4")}


@pytest.mark.slow
@pytest.mark.parametrize("model,machine", [
    (model, machine)
    for model in sorted(p.stem for p in EXAMPLES.glob("*.mlir"))
    for machine in llvmbuild.RUNNABLE
    if (model, machine) not in TOO_BIG_FOR_THE_BOARD
])
def test_every_model_runs_like_the_reference_on_every_machine(model, machine):
    if not llvmbuild.can_run(machine):
        pytest.fail(f"LLVM tools, a cross compiler or qemu-user for {machine} are missing: run tools/setup.sh")
    check_model_against_reference(model, machine)
