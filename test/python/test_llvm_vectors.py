"""The llvm target on vectors: the portable vector ops (vector<Wxf32>) and the
arm_simd ops, printed as LLVM vector IR, checked by `opt -passes=verify` and
`llc` for every machine, and run (host through ctypes, the boards under
qemu-user with their own CPU named) against NumPy. Every program has a tail:
lengths that are not a multiple of the lane count."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest

from pelemay_ir import cross, ir, llvmbuild, machines
from pelemay_ir.dialects import arm_simd
from pelemay_ir.ir import CompileError
from pelemay_ir.targets import llvm, llvm_runtime

# tools/setup.sh installs LLVM 16, the cross compilers and qemu-user: a
# missing tool is a broken set-up, so it fails the tests instead of skipping.


pytestmark = pytest.mark.usefixtures("private_cache")


RNG_SEED = 20261101


def run_on(machine: str, module, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """Build for `machine` and run once: ctypes on the host, qemu-user elsewhere."""
    if machine == "host":
        return llvmbuild.compile_module(module)(*inputs)
    if not llvmbuild.can_run(machine):
        pytest.fail(f"no cross compiler or qemu-user for {machine}: run tools/setup.sh")
    return cross.run_llvm(module, machine, inputs)


def assert_same_floats(got: np.ndarray, want: np.ndarray, what: str) -> None:
    """Equal values, NaN where NaN, and the same sign of zero."""
    got_nan, want_nan = np.isnan(got), np.isnan(want)
    np.testing.assert_array_equal(got_nan, want_nan, err_msg=f"{what}: NaN positions")
    np.testing.assert_array_equal(got[~got_nan], want[~want_nan], err_msg=what)
    np.testing.assert_array_equal(np.signbit(got[~got_nan]), np.signbit(want[~want_nan]),
                                  err_msg=f"{what}: signs of zero")


def nan_max(a: np.ndarray, b: np.ndarray, is_max: bool = True) -> np.ndarray:
    """arith.maximumf / minimumf: NaN if either is NaN, and -0 < +0."""
    pick = np.where(a > b, a, b) if is_max else np.where(a < b, a, b)
    tie = (np.where(np.signbit(a), b, a) if is_max else np.where(np.signbit(a), a, b))
    r = np.where(a == b, tie, pick)
    return np.where(np.isnan(a) | np.isnan(b), np.nan, r).astype(np.result_type(a, b))


def fused(a: np.ndarray, b: np.ndarray, c: np.ndarray, dtype=np.float32) -> np.ndarray:
    """a * b + c rounded once (exact in float64 for the data used here)."""
    return (a.astype(np.float64) * b.astype(np.float64) + c.astype(np.float64)).astype(dtype)


# --- portable vectors ----------------------------------------------------------------

ROWS = 3


def portable_program(lanes: int) -> str:
    """Elementwise (every portable arith op, fma, broadcast) and per-row
    reductions (add; maximumf; minimumf with an accumulator) over rows whose
    length needs a scalar tail, with vectors at unaligned addresses."""
    n = 2 * lanes + 3
    main = n // lanes * lanes
    V = f"vector<{lanes}xf32>"
    M = f"memref<{ROWS}x{n}xf32>"
    return f"""
func.func @portable(%x: {M}, %y: {M}, %s: memref<1xf32>, %e: {M}, %f: {M}, %g: {M},
                    %dot: memref<{ROWS}xf32>, %hi: memref<{ROWS}xf32>, %lo: memref<{ROWS}xf32>)
    attributes {{pelemay.entry, pelemay.num_inputs = 3 : i64}} {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %cw = arith.constant {lanes} : index
  %rows = arith.constant {ROWS} : index
  %main = arith.constant {main} : index
  %n = arith.constant {n} : index
  %two = arith.constant 2.0 : f32
  %k = memref.load %s[%c0] : memref<1xf32>
  %kv = vector.broadcast %k : f32 to {V}
  %twos = vector.broadcast %two : f32 to {V}
  %zeros = arith.constant dense<0.0> : {V}
  scf.for %i = %c0 to %rows step %c1 {{
    %x0 = vector.load %x[%i, %c0] : {M}, {V}
    %y0 = vector.load %y[%i, %c0] : {M}, {V}
    %acc:3 = scf.for %j = %c0 to %main step %cw iter_args(%sum = %zeros, %mx = %x0, %mn = %y0)
        -> ({V}, {V}, {V}) {{
      %a = vector.load %x[%i, %j] : {M}, {V}
      %b = vector.load %y[%i, %j] : {M}, {V}
      %ev = vector.fma %a, %b, %kv : {V}
      vector.store %ev, %e[%i, %j] : {M}, {V}
      %d = arith.subf %a, %b : {V}
      %p = arith.addf %a, %twos : {V}
      %q = arith.divf %d, %p : {V}
      %nb = arith.negf %b : {V}
      %fv = arith.maximumf %q, %nb : {V}
      vector.store %fv, %f[%i, %j] : {M}, {V}
      %m = arith.mulf %a, %b : {V}
      %gv = arith.minimumf %m, %a : {V}
      vector.store %gv, %g[%i, %j] : {M}, {V}
      %sum2 = arith.addf %sum, %m : {V}
      %mx2 = arith.maximumf %mx, %a : {V}
      %mn2 = arith.minimumf %mn, %b : {V}
      scf.yield %sum2, %mx2, %mn2 : {V}, {V}, {V}
    }}
    %r0 = vector.reduction <add>, %acc#0 : {V} into f32
    %h0 = vector.reduction <maximumf>, %acc#1 : {V} into f32
    %ys = memref.load %y[%i, %c0] : {M}
    %l0 = vector.reduction <minimumf>, %acc#2, %ys : {V} into f32
    %tail:3 = scf.for %j = %main to %n step %c1 iter_args(%r = %r0, %h = %h0, %l = %l0)
        -> (f32, f32, f32) {{
      %a = memref.load %x[%i, %j] : {M}
      %b = memref.load %y[%i, %j] : {M}
      %ev = math.fma %a, %b, %k : f32
      memref.store %ev, %e[%i, %j] : {M}
      %d = arith.subf %a, %b : f32
      %p = arith.addf %a, %two : f32
      %q = arith.divf %d, %p : f32
      %nb = arith.negf %b : f32
      %fv = arith.maximumf %q, %nb : f32
      memref.store %fv, %f[%i, %j] : {M}
      %m = arith.mulf %a, %b : f32
      %gv = arith.minimumf %m, %a : f32
      memref.store %gv, %g[%i, %j] : {M}
      %r2 = arith.addf %r, %m : f32
      %h2 = arith.maximumf %h, %a : f32
      %l2 = arith.minimumf %l, %b : f32
      scf.yield %r2, %h2, %l2 : f32, f32, f32
    }}
    memref.store %tail#0, %dot[%i] : memref<{ROWS}xf32>
    memref.store %tail#1, %hi[%i] : memref<{ROWS}xf32>
    memref.store %tail#2, %lo[%i] : memref<{ROWS}xf32>
  }}
  func.return
}}
"""


def portable_inputs(lanes: int) -> list[np.ndarray]:
    n = 2 * lanes + 3
    rng = np.random.default_rng(RNG_SEED + lanes)
    x = (rng.integers(-40, 41, (ROWS, n)) / 8).astype(np.float32)
    y = (rng.integers(-40, 41, (ROWS, n)) / 8).astype(np.float32)
    x[0, 1], y[0, 1] = -0.0, 0.0          # maximumf/minimumf order -0 below +0
    x[0, 2], y[0, 2] = 0.0, -0.0
    x[0, lanes + 1] = y[0, lanes + 1] = 1 + 2.0**-12  # fused: x*y-1 keeps the 2^-24
    x[1, lanes] = np.nan                   # a NaN in the vector part of row 1
    y[2, n - 1] = np.nan                   # and in the scalar tail of row 2
    x[2, 3] = -2.0                         # (x - y) / (x + 2) divides by zero
    s = np.array([-1.0], np.float32)
    return [x, y, s]


def portable_reference(lanes: int, x: np.ndarray, y: np.ndarray, s: np.ndarray) -> list[np.ndarray]:
    """The program's own order: lane accumulators, an in-order reduction of
    the lanes from -0.0, then the tail; all in float32."""
    n = x.shape[1]
    main = n // lanes * lanes
    e = fused(x, y, np.broadcast_to(s[0], x.shape))
    with np.errstate(divide="ignore", invalid="ignore"):
        f = nan_max((x - y) / (x + np.float32(2)), -y)
    m = x * y
    g = nan_max(m, x, is_max=False)
    dot, hi, lo = (np.zeros(ROWS, np.float32) for _ in range(3))
    for i in range(ROWS):
        acc = np.zeros(lanes, np.float32)
        mx, mn = x[i, :lanes].copy(), y[i, :lanes].copy()
        for j in range(0, main, lanes):
            acc = acc + m[i, j:j + lanes]
            mx = nan_max(mx, x[i, j:j + lanes])
            mn = nan_max(mn, y[i, j:j + lanes], is_max=False)
        r = np.float32(-0.0)
        for v in acc:
            r = np.float32(r + v)
        h, low = mx[0], y[i, 0]
        for v in mx[1:]:
            h = nan_max(np.float32(h), np.float32(v))
        for v in mn:
            low = nan_max(np.float32(v), np.float32(low), is_max=False)
        for j in range(main, n):
            r = np.float32(r + m[i, j])
            h = nan_max(np.float32(h), x[i, j])
            low = nan_max(np.float32(low), y[i, j], is_max=False)
        dot[i], hi[i], lo[i] = r, h, low
    return [e, f, g, dot, hi, lo]


def check_portable(machine: str, lanes: int) -> None:
    module = ir.parse(portable_program(lanes), f"portable{lanes}.mlir")
    inputs = portable_inputs(lanes)
    got = run_on(machine, module, inputs)
    want = portable_reference(lanes, *inputs)
    for name, g, w in zip(("e", "f", "g", "dot", "hi", "lo"), got, want):
        assert_same_floats(g, w, f"{name} (W={lanes}, {machine})")
    # The fused lane: x*y - 1 with x = y = 1 + 2^-12 keeps the 2^-24 an unfused
    # multiply-add rounds away.
    assert got[0][0, lanes + 1] == np.float32(2.0**-11 + 2.0**-24)


@pytest.mark.parametrize("lanes", [4, 8, 16])
def test_portable_vectors_run_on_host(lanes):
    check_portable("host", lanes)


def test_portable_vectors_run_on_aarch64():
    check_portable("aarch64", 4)


@pytest.mark.slow
@pytest.mark.parametrize("machine", [m for m in llvmbuild.RUNNABLE if m != "host"])
@pytest.mark.parametrize("lanes", [4, 8, 16])
def test_portable_vectors_run_on_every_board(machine, lanes):
    check_portable(machine, lanes)


SOFTMAX = """
func.func @main(%x: tensor<4x1000xf32>) -> tensor<4x1000xf32> {
  %y = ptensor.softmax %x {axis = -1 : i64} : tensor<4x1000xf32> -> tensor<4x1000xf32>
  func.return %y : tensor<4x1000xf32>
}
"""


def test_vector_fma_runs_lane_by_lane_on_a_machine_without_fused_multiply_add(monkeypatch):
    """armv7-a8 has no fused multiply-add: each lane of a vector fma calls
    fmaf, through memory. (LLVM 16 expanding llvm.fma.v4f32 into those calls
    itself clobbered their first arguments with a splat constant.) The
    program: a softmax vectorized for a host with 256-bit vectors and FMA,
    whose exp is a chain of fmas with constant addends."""
    from pelemay_ir import api, machines, reference

    host = machines.MACHINES["host"]
    avx2 = machines.Vectors("portable", 256, 16, True, 32 * 1024, 512 * 1024)
    monkeypatch.setitem(machines.MACHINES, "host", dataclasses.replace(host, vectors=avx2))
    module = ir.parse(SOFTMAX, "softmax.mlir")
    lowered = api.lower(module, vectorize=True)
    text = llvm.emit_llvm(lowered, "armv7-a8")
    assert "@llvm.fma.v" not in text and f"call void @{llvm_runtime.FMA_LANES}(" in text
    assert "@llvm.fma.v8f32" in llvm.emit_llvm(lowered, "armv7")
    x = np.random.default_rng(RNG_SEED).standard_normal((4, 1000)).astype(np.float32)
    (got,) = run_on("armv7-a8", lowered, [x])
    (want,) = reference.evaluate(module, [x])
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-12)


def relu_program(lanes: int, n: int) -> str:
    """Two relus per vector: maximumf with a +0 constant on either side, the
    constant a dense vector or a broadcast scalar."""
    V, M = f"vector<{lanes}xf32>", f"memref<{n}xf32>"
    return f"""
func.func @relu(%x: {M}, %y: {M}, %z: {M}) attributes {{pelemay.entry, pelemay.num_inputs = 1 : i64}} {{
  %c0 = arith.constant 0 : index
  %cw = arith.constant {lanes} : index
  %n = arith.constant {n} : index
  %zero = arith.constant 0.0 : f32
  %zeros = arith.constant dense<0.0> : {V}
  %splat = vector.broadcast %zero : f32 to {V}
  scf.for %i = %c0 to %n step %cw {{
    %a = vector.load %x[%i] : {M}, {V}
    %r = arith.maximumf %a, %zeros : {V}
    vector.store %r, %y[%i] : {M}, {V}
    %r2 = arith.maximumf %splat, %a : {V}
    vector.store %r2, %z[%i] : {M}, {V}
  }}
  func.return
}}
"""


@pytest.mark.parametrize("machine", ["host", "aarch64"])
@pytest.mark.parametrize("lanes", [4, 16])
def test_relu_is_one_compare_and_keeps_nan_and_the_sign_rule(machine, lanes):
    """maximumf(x, +0) prints as `x <= 0 ? +0 : x`, not the general
    NaN-propagating sequence (which made a memory-bound relu chain 1.2x slower
    on the host): -0 and negatives give +0, NaN stays NaN."""
    special = [-0.0, 0.0, np.nan, -np.nan, -1.5, 2.5, -np.inf, np.inf, 1e-45, -1e-45, 3.0e38, -3.0e38]
    x = np.resize(np.array(special, np.float32), 2 * 16)
    module = ir.parse(relu_program(lanes, x.size), "relu.mlir")
    text = llvm.emit_llvm(module, machine)
    assert text.count(f"fcmp ole <{lanes} x float> ") == 2 and "fcmp une" not in text
    # the zero, a dense constant or a broadcast of one, is a constant operand
    selects = re.findall(rf"select <{lanes} x i1> %v\d+, <{lanes} x float> zeroinitializer, ", text)
    assert len(selects) == 2 and text.count(", zeroinitializer\n") == 2 and "insertelement" not in text
    y, z = run_on(machine, module, [x])
    want = nan_max(x, np.zeros_like(x))
    assert_same_floats(y, want, f"maximumf(x, +0) W={lanes} on {machine}")
    assert_same_floats(z, want, f"maximumf(+0, x) W={lanes} on {machine}")


BOUNDS = [("maximumf", -87.33654), ("maximumf", -0.0), ("maximumf", 6.0), ("maximumf", 1e-45),
          ("minimumf", 6.0), ("minimumf", 0.0), ("minimumf", -0.0), ("minimumf", -3.0e38)]


def bound_program(lanes: int, n: int) -> str:
    """maximumf/minimumf of x and each constant of BOUNDS (one output each),
    the constant a broadcast scalar or a dense vector, on either side."""
    V, M = f"vector<{lanes}xf32>", f"memref<{n}xf32>"
    outputs = ", ".join(f"%y{k}: {M}" for k in range(len(BOUNDS)))
    constants, body = [], []
    for k, (kind, value) in enumerate(BOUNDS):
        literal = repr(float(np.float32(value)))
        if k % 2:
            constants.append(f"%b{k} = arith.constant dense<{literal}> : {V}")
        else:
            constants.append(f"%s{k} = arith.constant {literal} : f32")
            constants.append(f"%b{k} = vector.broadcast %s{k} : f32 to {V}")
        operands = f"%b{k}, %a" if k % 4 >= 2 else f"%a, %b{k}"
        body.append(f"%r{k} = arith.{kind} {operands} : {V}")
        body.append(f"vector.store %r{k}, %y{k}[%i] : {M}, {V}")
    lines = "\n  ".join(constants)
    steps = "\n    ".join(body)
    return f"""
func.func @bounds(%x: {M}, {outputs}) attributes {{pelemay.entry, pelemay.num_inputs = 1 : i64}} {{
  %c0 = arith.constant 0 : index
  %cw = arith.constant {lanes} : index
  %n = arith.constant {n} : index
  {lines}
  scf.for %i = %c0 to %n step %cw {{
    %a = vector.load %x[%i] : {M}, {V}
    {steps}
  }}
  func.return
}}
"""


@pytest.mark.parametrize("emit,machine", [("c", "host"), ("llvm", "host"), ("llvm", "aarch64")])
@pytest.mark.parametrize("lanes", [4, 16])
def test_a_bound_is_one_compare_and_one_select(emit, machine, lanes):
    """maximumf/minimumf with a constant (the clamp inside exp, relu6's upper
    bound) prints as `x P c ? c : x` in both printers, not the general
    NaN-propagating sequence, and keeps its meaning bit for bit: NaN stays
    NaN, and the sign rule of zeros holds whichever zero the constant is."""
    special = [-0.0, 0.0, np.nan, -np.nan, -1.5, 2.5, 6.0, -87.33654, -90.0, -np.inf, np.inf,
               1e-45, -1e-45, 3.0e38, -3.0e38]
    x = np.resize(np.array(special, np.float32), 2 * 16)
    module = ir.parse(bound_program(lanes, x.size), "bounds.mlir")
    if emit == "c":
        from pelemay_ir import cbuild
        from pelemay_ir.targets import c

        text = c.emit_c(module)[1]
        masks = re.findall(rf"= \(pelemay_i32x{lanes}\)\((.*)\);$", text, re.M)
        assert len(masks) == len(BOUNDS) and not any("!=" in m or "==" in m for m in masks)
        outputs = cbuild.compile_module(module)(x)
    else:
        text = llvm.emit_llvm(module, machine)
        assert "fcmp une" not in text and text.count(f"select <{lanes} x i1> ") == len(BOUNDS)
        outputs = run_on(machine, module, [x])
    for (kind, value), got in zip(BOUNDS, outputs):
        want = nan_max(x, np.full_like(x, value), kind == "maximumf")
        assert_same_floats(got, want, f"{kind}(x, {value}) W={lanes} {emit} on {machine}")


@pytest.mark.parametrize("lanes", [4, 8, 16])
def test_portable_vectors_print_as_llvm_vector_ir(lanes):
    text = llvm.emit_llvm(ir.parse(portable_program(lanes)), "aarch64")
    v = f"<{lanes} x float>"
    assert re.search(rf"= load {v}, ptr %\w+, align 4\n", text)
    assert re.search(rf"store {v} %\w+, ptr %\w+, align 4\n", text)
    assert f"call {v} @llvm.fma.v{lanes}f32(" in text
    assert f"call float @llvm.vector.reduce.fadd.v{lanes}f32(float 0x8000000000000000, {v} " in text
    assert "reassoc" not in text
    # vector max/min as compares and selects; AArch64's scalar ones are its fmax (llvm.maximum.f32)
    assert "@llvm.maximum.v" not in text and "@llvm.vector.reduce.fmax" not in text
    assert f"fdiv {v} " in text and f"fneg {v} " in text
    assert f"select <{lanes} x i1> " in text
    assert f"shufflevector {v} %" in text


@pytest.mark.parametrize("machine", sorted(machines.MACHINES))
def test_portable_vectors_verify_and_compile_for_every_machine(machine):
    for lanes in (4, 8, 16):
        text = llvm.emit_llvm(ir.parse(portable_program(lanes)), machine)
        llvmbuild.verify(text)
        assert llvmbuild.compile_object(text, machine)[:4] == b"\x7fELF"


# --- arm_simd ------------------------------------------------------------------------
#
# A program for a machine is the sections that machine has: each section
# reads its own inputs, writes its own outputs and knows its NumPy reference.


@dataclass
class Section:
    inputs: dict[str, np.ndarray]
    outputs: dict[str, tuple[tuple[int, ...], np.dtype]]
    body: str
    reference: Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]]
    exact_floats: set[str] = field(default_factory=set)
    """Float outputs whose sign of zero is checked too."""


_MLIR_ELEM = {np.dtype(np.float32): "f32", np.dtype(np.int32): "i32", np.dtype(np.int16): "i16",
              np.dtype(np.int8): "i8", np.dtype(np.float16): "f16"}


def memref(shape: tuple[int, ...], dtype) -> str:
    return f"memref<{'x'.join(map(str, shape))}x{_MLIR_ELEM[np.dtype(dtype)]}>"


def vec(lanes: int, elem: str) -> str:
    return f"vector<{lanes}x{elem}>"


def elementwise_loops(p: str, lanes: int, n: int, elem_of: dict[str, str], ops: str,
                      outs: dict[str, str], tail_lane: int) -> str:
    """A vector loop over the multiple-of-`lanes` part and a scalar tail that
    moves one lane at a time with load_lane/store_lane. `ops` computes the
    outputs from the loaded vectors `%NAME$` (`$` becomes _m or _t); `outs`
    maps an output memref to the vector it stores; `elem_of` gives the
    element type of every input and output."""
    main = n // lanes * lanes
    lines = [f"  %{p}main = arith.constant {main} : index",
             f"  %{p}n = arith.constant {n} : index",
             f"  %{p}step = arith.constant {lanes} : index"]
    for elem in sorted(set(elem_of.values())):
        zero = "0.0" if elem.startswith("f") else "0"
        lines += [f"  %{p}zero_{elem}s = arith.constant {zero} : {elem}",
                  f"  %{p}zeros_{elem} = arm_simd.dup %{p}zero_{elem}s : {elem} -> {vec(lanes, elem)}"]
    loads = [name for name in elem_of if name not in outs]
    for tag, var, lo, hi, step in (("_m", "i", "%c0", f"%{p}main", f"%{p}step"),
                                   ("_t", "j", f"%{p}main", f"%{p}n", "%c1")):
        lines.append(f"  scf.for %{p}{var} = {lo} to {hi} step {step} {{")
        index = f"%{p}{var}"
        for name in loads:
            elem = elem_of[name]
            vt, mt = vec(lanes, elem), f"memref<{n}x{elem}>"
            if tag == "_m":
                lines.append(f"    %{name}{tag} = arm_simd.load %{name}[{index}] : {mt} -> {vt}")
            else:
                lines.append(f"    %{name}{tag} = arm_simd.load_lane %{name}[{index}], "
                             f"%{p}zeros_{elem}, {tail_lane} : {mt}, {vt} -> {vt}")
        lines += ["    " + line.strip().replace("$", tag) for line in ops.strip().splitlines()]
        for out, value in outs.items():
            elem = elem_of[out]
            vt, mt = vec(lanes, elem), f"memref<{n}x{elem}>"
            if tag == "_m":
                lines.append(f"    arm_simd.store %{value}{tag}, %{out}[{index}] : {vt}, {mt}")
            else:
                lines.append(f"    arm_simd.store_lane %{value}{tag}, {tail_lane}, %{out}[{index}] : {vt}, {mt}")
        lines.append("  }")
    return "\n".join(lines)


PREDICATES = arm_simd.COMPARE_PREDICATES


def compare_code_ops(p: str, v: str, mask: str, x: str, y: str) -> str:
    """Σ 2^k over the predicates that hold (compare, then select between
    dup'ed constants, then add): one output checks all five predicates."""
    lines = []
    total = None
    for k, pred in enumerate(PREDICATES):
        lines.append(f'%{p}m{pred}$ = arm_simd.compare "{pred}", %{x}$, %{y}$ : {v}, {v} -> {mask}')
        lines.append(f"%{p}s{pred}$ = arm_simd.select %{p}m{pred}$, %{p}bit{k}, %{p}nil : {mask}, {v}, {v} -> {v}")
        if total is None:
            total = f"{p}s{pred}"
        else:
            lines.append(f"%{p}t{pred}$ = arm_simd.add %{total}$, %{p}s{pred}$ : {v}, {v} -> {v}")
            total = f"{p}t{pred}"
    lines.append(f"%{p}code$ = arm_simd.add %{total}$, %{p}nil : {v}, {v} -> {v}")
    return "\n".join(lines)


def compare_code_constants(p: str, lanes: int, elem: str) -> str:
    form = "{}.0" if elem.startswith("f") else "{}"
    lines = []
    for k in range(len(PREDICATES)):
        lines.append(f"  %{p}bit{k}s = arith.constant {form.format(1 << k)} : {elem}")
        lines.append(f"  %{p}bit{k} = arm_simd.dup %{p}bit{k}s : {elem} -> {vec(lanes, elem)}")
    lines.append(f"  %{p}nils = arith.constant {form.format(0)} : {elem}")
    lines.append(f"  %{p}nil = arm_simd.dup %{p}nils : {elem} -> {vec(lanes, elem)}")
    return "\n".join(lines)


def compare_code(x: np.ndarray, y: np.ndarray, dtype) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        tests = [x == y, x >= y, x > y, x <= y, x < y]
    return sum((t.astype(np.int64) << k) for k, t in enumerate(tests)).astype(dtype)


def neon_max(x: np.ndarray, y: np.ndarray, is_max: bool) -> np.ndarray:
    r = np.maximum(x, y) if is_max else np.minimum(x, y)
    return np.where(np.isnan(x) | np.isnan(y), np.nan, r).astype(x.dtype)


def f32_section(rng: np.random.Generator) -> Section:
    """Every elementwise f32 op, compare/select, convert both ways; 10 lanes
    of data (a tail of 2)."""
    n = 10
    x = (rng.integers(-40, 41, n) / 8).astype(np.float32)
    y = (rng.integers(-40, 41, n) / 8).astype(np.float32)
    x[[0, 1, 2, 3, 8]] = [np.nan, np.inf, 3e9, -3e9, -0.0]
    y[[4, 5, 9]] = [np.nan, -np.inf, x[9]]   # a NaN, and an equal pair in the tail
    x[6], y[6] = 1 + 2.0**-12, -1.0          # mla: y + x*x keeps no 2^-24 (unfused)
    k = np.array([0, 1, -1, 16777217, 2**31 - 1, -(2**31), 7, -7, 33554435, 5], np.int32)
    F, I, M = vec(4, "f32"), vec(4, "i32"), vec(4, "ui32")
    ops = f"""
    %fadd$ = arm_simd.add %fx$, %fy$ : {F}, {F} -> {F}
    %fsub$ = arm_simd.sub %fx$, %fy$ : {F}, {F} -> {F}
    %fmul$ = arm_simd.mul %fx$, %fy$ : {F}, {F} -> {F}
    %fmax$ = arm_simd.max %fx$, %fy$ : {F}, {F} -> {F}
    %fmin$ = arm_simd.min %fx$, %fy$ : {F}, {F} -> {F}
    %fneg$ = arm_simd.neg %fx$ : {F} -> {F}
    %fabs$ = arm_simd.abs %fx$ : {F} -> {F}
    %fmla$ = arm_simd.mla %fy$, %fx$, %fx$ : {F}, {F}, {F} -> {F}
    %fhigh$ = arm_simd.get_high %fy$ : {F} -> {vec(2, "f32")}
    %fmll$ = arm_simd.mla_lane %fx$, %fy$, %fhigh$, 0 : {F}, {F}, {vec(2, "f32")} -> {F}
    %fgt$ = arm_simd.compare "gt", %fx$, %fy$ : {F}, {F} -> {M}
    %fsel$ = arm_simd.select %fgt$, %fx$, %fy$ : {M}, {F}, {F} -> {F}
    %fcvi$ = arm_simd.convert %fx$ : {F} -> {I}
    %fcvf$ = arm_simd.convert %fk$ : {I} -> {F}
    %fbits$ = arm_simd.reinterpret %fx$ : {F} -> {I}
    %fshl$ = arm_simd.shift_left %fk$, 23 : {I} -> {I}
    %fpow$ = arm_simd.reinterpret %fshl$ : {I} -> {F}
    {compare_code_ops("f", F, M, "fx", "fy")}
    """
    names = ["add", "sub", "mul", "max", "min", "neg", "abs", "mla", "mll", "sel", "cvf", "code", "pow"]
    outs = {f"fo_{name}": f"f{name}" if name != "code" else "fcode" for name in names}
    outs["fo_cvi"] = "fcvi"
    outs["fo_bits"] = "fbits"
    ints = ("fo_cvi", "fo_bits")
    elem_of = {"fx": "f32", "fy": "f32", "fk": "i32", **{o: "i32" if o in ints else "f32" for o in outs}}
    body = compare_code_constants("f", 4, "f32") + "\n" + elementwise_loops("f", 4, n, elem_of, ops, outs, 2)

    def reference(v):
        a, b = v["fx"], v["fy"]
        # mla_lane by lane 2 of each vector of y: the tail's vector holds y[j] there
        lane2 = np.array([b[i // 4 * 4 + 2] if i < n // 4 * 4 else b[i] for i in range(n)], np.float32)
        with np.errstate(all="ignore"):
            wide = np.trunc(np.nan_to_num(a.astype(np.float64), nan=0.0))
            return {
                "fo_add": a + b, "fo_sub": a - b, "fo_mul": a * b,
                "fo_max": neon_max(a, b, True), "fo_min": neon_max(a, b, False),
                "fo_neg": -a, "fo_abs": np.abs(a), "fo_mla": b + a * a, "fo_mll": a + b * lane2,
                "fo_sel": np.where(a > b, a, b), "fo_cvf": v["fk"].astype(np.float32),
                "fo_code": compare_code(a, b, np.float32),
                "fo_cvi": np.clip(wide, -(2**31), 2**31 - 1).astype(np.int32),
                "fo_bits": a.view(np.int32),
                "fo_pow": (v["fk"].view(np.uint32) << np.uint32(23)).view(np.float32),
            }

    return Section(
        {"fx": x, "fy": y, "fk": k},
        {o: ((n,), np.dtype(np.int32 if o in ints else np.float32)) for o in outs},
        body, reference, exact_floats={"fo_neg", "fo_abs", "fo_sel", "fo_pow"},
    )


def int_section(rng: np.random.Generator, dtype, lanes: int, tail: int) -> Section:
    """Every elementwise integer op at one lane width (wrapping at the limits),
    compare/select; lengths with a tail."""
    info = np.iinfo(dtype)
    elem = _MLIR_ELEM[np.dtype(dtype)]
    p = elem  # i32, i16, i8: the section's prefix
    n = 2 * lanes + tail
    a = rng.integers(info.min, info.max, n, endpoint=True).astype(dtype)
    b = rng.integers(-100, 100, n).astype(dtype)
    a[:4] = [info.min, info.max, -1, 0]
    b[:4] = [-1, 1, info.min, 0]
    b[n - 1] = a[n - 1]
    V, M = vec(lanes, elem), vec(lanes, "u" + elem)
    ops = f"""
    %{p}add$ = arm_simd.add %{p}a$, %{p}b$ : {V}, {V} -> {V}
    %{p}sub$ = arm_simd.sub %{p}a$, %{p}b$ : {V}, {V} -> {V}
    %{p}mul$ = arm_simd.mul %{p}a$, %{p}b$ : {V}, {V} -> {V}
    %{p}max$ = arm_simd.max %{p}a$, %{p}b$ : {V}, {V} -> {V}
    %{p}min$ = arm_simd.min %{p}a$, %{p}b$ : {V}, {V} -> {V}
    %{p}neg$ = arm_simd.neg %{p}a$ : {V} -> {V}
    %{p}abs$ = arm_simd.abs %{p}a$ : {V} -> {V}
    %{p}mla$ = arm_simd.mla %{p}b$, %{p}a$, %{p}b$ : {V}, {V}, {V} -> {V}
    %{p}lt$ = arm_simd.compare "lt", %{p}a$, %{p}b$ : {V}, {V} -> {M}
    %{p}sel$ = arm_simd.select %{p}lt$, %{p}a$, %{p}b$ : {M}, {V}, {V} -> {V}
    {compare_code_ops(p, V, M, p + "a", p + "b")}
    """
    names = ["add", "sub", "mul", "max", "min", "neg", "abs", "mla", "sel", "code"]
    outs = {f"{p}o_{name}": f"{p}{name}" for name in names}
    elem_of = {f"{p}a": elem, f"{p}b": elem, **{o: elem for o in outs}}
    body = compare_code_constants(p, lanes, elem) + "\n" + elementwise_loops(p, lanes, n, elem_of, ops, outs, lanes - 1)

    def reference(v):
        x, y = v[f"{p}a"], v[f"{p}b"]
        with np.errstate(over="ignore"):
            want = {"add": x + y, "sub": x - y, "mul": x * y, "max": np.maximum(x, y),
                    "min": np.minimum(x, y), "neg": -x, "abs": np.abs(x), "mla": y + x * y,
                    "sel": np.where(x < y, x, y), "code": compare_code(x, y, dtype)}
        return {f"{p}o_{k}": w.astype(dtype) for k, w in want.items()}

    return Section({f"{p}a": a, f"{p}b": b}, {o: ((n,), np.dtype(dtype)) for o in outs}, body, reference)


def pairwise_section(rng: np.random.Generator) -> Section:
    """get_low/get_high, padd on the halves and on its own result, combine;
    pmax/pmin; get_lane of a Q and a D vector into set_lane: f32 and every
    integer width (two vectors each, so the second has an offset)."""
    types = [("f32", np.float32, 4), ("i32", np.int32, 4), ("i16", np.int16, 8), ("i8", np.int8, 16)]
    inputs, outputs, lines = {}, {}, []
    for elem, dtype, lanes in types:
        n = 2 * lanes
        if elem == "f32":
            data = (rng.integers(-40, 41, n) / 8).astype(np.float32)
        else:
            info = np.iinfo(dtype)
            data = rng.integers(info.min, info.max, n, endpoint=True).astype(dtype)
        inputs[f"pw_{elem}"] = data
        outputs[f"pwo_{elem}"] = ((n,), np.dtype(dtype))
        outputs[f"pwm_{elem}"] = ((n,), np.dtype(dtype))
        Q, D, mt = vec(lanes, elem), vec(lanes // 2, elem), f"memref<{n}x{elem}>"
        lines += [
            f"  %pw_{elem}_n = arith.constant {n} : index",
            f"  %pw_{elem}_step = arith.constant {lanes} : index",
            f"  scf.for %pw_{elem}_i = %c0 to %pw_{elem}_n step %pw_{elem}_step {{",
            f"    %pw_{elem}_v = arm_simd.load %pw_{elem}[%pw_{elem}_i] : {mt} -> {Q}",
            f"    %pw_{elem}_lo = arm_simd.get_low %pw_{elem}_v : {Q} -> {D}",
            f"    %pw_{elem}_hi = arm_simd.get_high %pw_{elem}_v : {Q} -> {D}",
            f"    %pw_{elem}_p = arm_simd.padd %pw_{elem}_lo, %pw_{elem}_hi : {D}, {D} -> {D}",
            f"    %pw_{elem}_q = arm_simd.padd %pw_{elem}_p, %pw_{elem}_lo : {D}, {D} -> {D}",
            f"    %pw_{elem}_c = arm_simd.combine %pw_{elem}_q, %pw_{elem}_hi : {D}, {D} -> {Q}",
            f"    arm_simd.store %pw_{elem}_c, %pwo_{elem}[%pw_{elem}_i] : {Q}, {mt}",
            f"    %pw_{elem}_mx = arm_simd.pmax %pw_{elem}_lo, %pw_{elem}_hi : {D}, {D} -> {D}",
            f"    %pw_{elem}_mn = arm_simd.pmin %pw_{elem}_lo, %pw_{elem}_hi : {D}, {D} -> {D}",
            f"    %pw_{elem}_m = arm_simd.combine %pw_{elem}_mx, %pw_{elem}_mn : {D}, {D} -> {Q}",
            f"    %pw_{elem}_g = arm_simd.get_lane %pw_{elem}_m, 0 : {Q} -> {elem}",
            f"    %pw_{elem}_gd = arm_simd.get_lane %pw_{elem}_lo, {lanes // 2 - 1} : {D} -> {elem}",
            f"    %pw_{elem}_m1 = arm_simd.set_lane %pw_{elem}_g, %pw_{elem}_m, {lanes - 1} : {elem}, {Q} -> {Q}",
            f"    %pw_{elem}_m2 = arm_simd.set_lane %pw_{elem}_gd, %pw_{elem}_m1, 0 : {elem}, {Q} -> {Q}",
            f"    arm_simd.store %pw_{elem}_m2, %pwm_{elem}[%pw_{elem}_i] : {Q}, {mt}",
            "  }",
        ]

    def reference(v):
        out = {}
        for elem, dtype, lanes in types:
            rows = v[f"pw_{elem}"].reshape(2, lanes)
            result, extremes = [], []
            with np.errstate(over="ignore"):
                for row in rows:
                    lo, hi = row[: lanes // 2], row[lanes // 2:]
                    p = row[0::2] + row[1::2]                       # padd(lo, hi)
                    both = np.concatenate([p, lo])
                    q = both[0::2] + both[1::2]                      # padd(p, lo)
                    result.append(np.concatenate([q, hi]).astype(dtype))
                    m = np.concatenate([np.maximum(row[0::2], row[1::2]),   # pmax, pmin
                                        np.minimum(row[0::2], row[1::2])]).astype(dtype)
                    m[-1], m[0] = m[0], lo[-1]                        # get_lane, set_lane
                    extremes.append(m)
            out[f"pwo_{elem}"] = np.concatenate(result)
            out[f"pwm_{elem}"] = np.concatenate(extremes)
        return out

    return Section(inputs, outputs, "\n".join(lines), reference)


def widening_section(rng: np.random.Generator) -> Section:
    """mull on the low halves, mlal adding the high halves' products: i8 -> i16
    (the sum wraps at the limits) and i16 -> i32."""
    inputs, outputs, lines = {}, {}, []
    kinds = [("i8", "i16", np.int8, np.int16, 16), ("i16", "i32", np.int16, np.int32, 8)]
    for narrow, wide, dtype, wdtype, lanes in kinds:
        n = 2 * lanes
        info = np.iinfo(dtype)
        a = rng.integers(info.min, info.max, n, endpoint=True).astype(dtype)
        b = rng.integers(info.min, info.max, n, endpoint=True).astype(dtype)
        a[[0, lanes // 2]] = b[[0, lanes // 2]] = info.min   # min*min + min*min wraps
        inputs[f"wa_{narrow}"], inputs[f"wb_{narrow}"] = a, b
        outputs[f"wo_{narrow}"] = ((n,), np.dtype(wdtype))
        Q, D, W = vec(lanes, narrow), vec(lanes // 2, narrow), vec(lanes // 2, wide)
        half = lanes // 2
        pre = f"w_{narrow}"
        lines += [
            f"  %{pre}_n = arith.constant {n} : index",
            f"  %{pre}_step = arith.constant {lanes} : index",
            f"  %{pre}_half = arith.constant {half} : index",
            f"  scf.for %{pre}_i = %c0 to %{pre}_n step %{pre}_step {{",
            f"    %{pre}_a = arm_simd.load %wa_{narrow}[%{pre}_i] : memref<{n}x{narrow}> -> {Q}",
            f"    %{pre}_b = arm_simd.load %wb_{narrow}[%{pre}_i] : memref<{n}x{narrow}> -> {Q}",
            f"    %{pre}_al = arm_simd.get_low %{pre}_a : {Q} -> {D}",
            f"    %{pre}_bl = arm_simd.get_low %{pre}_b : {Q} -> {D}",
            f"    %{pre}_ah = arm_simd.get_high %{pre}_a : {Q} -> {D}",
            f"    %{pre}_bh = arm_simd.get_high %{pre}_b : {Q} -> {D}",
            f"    %{pre}_p = arm_simd.mull %{pre}_al, %{pre}_bl : {D}, {D} -> {W}",
            f"    %{pre}_s = arm_simd.mlal %{pre}_p, %{pre}_ah, %{pre}_bh : {W}, {D}, {D} -> {W}",
            f"    arm_simd.store %{pre}_p, %wo_{narrow}[%{pre}_i] : {W}, memref<{n}x{wide}>",
            f"    %{pre}_j = arith.addi %{pre}_i, %{pre}_half : index",
            f"    arm_simd.store %{pre}_s, %wo_{narrow}[%{pre}_j] : {W}, memref<{n}x{wide}>",
            "  }",
        ]

    def reference(v):
        out = {}
        for narrow, _, dtype, wdtype, lanes in kinds:
            a = v[f"wa_{narrow}"].astype(np.int64).reshape(2, lanes)
            b = v[f"wb_{narrow}"].astype(np.int64).reshape(2, lanes)
            half = lanes // 2
            low = a[:, :half] * b[:, :half]
            total = low + a[:, half:] * b[:, half:]
            out[f"wo_{narrow}"] = np.concatenate([low, total], axis=1).reshape(-1).astype(wdtype)
        return out

    return Section(inputs, outputs, "\n".join(lines), reference)


def fused_section(rng: np.random.Generator) -> Section:
    """fma (acc + x*y rounded once) with a tail; lane 1 tells fused from unfused."""
    n = 10
    x = (rng.integers(-40, 41, n) / 8).astype(np.float32)
    y = (rng.integers(-40, 41, n) / 8).astype(np.float32)
    z = (rng.integers(-40, 41, n) / 8).astype(np.float32)
    for i in (1, 9):  # in the vector part and in the tail
        x[i] = y[i] = 1 + 2.0**-12
        z[i] = -1.0
    F = vec(4, "f32")
    ops = f"%fm$ = arm_simd.fma %mz$, %mx$, %my$ : {F}, {F}, {F} -> {F}"
    elem_of = {"mx": "f32", "my": "f32", "mz": "f32", "mo": "f32"}
    body = elementwise_loops("m", 4, n, elem_of, ops, {"mo": "fm"}, 3)
    return Section({"mx": x, "my": y, "mz": z}, {"mo": ((n,), np.dtype(np.float32))}, body,
                   lambda v: {"mo": fused(v["mx"], v["my"], v["mz"])})


def structure_section(rng: np.random.Generator) -> Section:
    """load2 / store2 of f32 and i8: po[2k] = px[2k+1] - px[2k], po[2k+1] =
    px[2k]; pg swaps each pair of ph."""
    x = (rng.integers(-40, 41, 16) / 8).astype(np.float32)
    h = rng.integers(-128, 128, 64).astype(np.int8)
    F, B = vec(4, "f32"), vec(16, "i8")
    body = f"""
  %c8 = arith.constant 8 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  scf.for %pi = %c0 to %c16 step %c8 {{
    %pe, %po_ = arm_simd.load2 %px[%pi] : memref<16xf32> -> {F}, {F}
    %pd = arm_simd.sub %po_, %pe : {F}, {F} -> {F}
    arm_simd.store2 %pd, %pe, %po[%pi] : {F}, {F}, memref<16xf32>
  }}
  scf.for %pj = %c0 to %c64 step %c32 {{
    %qe, %qo = arm_simd.load2 %ph[%pj] : memref<64xi8> -> {B}, {B}
    arm_simd.store2 %qo, %qe, %pg[%pj] : {B}, {B}, memref<64xi8>
  }}"""

    def reference(v: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        even, odd = v["px"][0::2], v["px"][1::2]
        return {"po": np.stack([odd - even, even], axis=1).ravel(),
                "pg": v["ph"].reshape(-1, 2)[:, ::-1].ravel()}

    return Section({"px": x, "ph": h}, {"po": ((16,), np.dtype(np.float32)), "pg": ((64,), np.dtype(np.int8))},
                   body, reference)


def multi_load_section(rng: np.random.Generator, count: int) -> Section:
    """load_x2 / load_x4: `count` consecutive vectors in one load, stored
    back in reverse order, so a vector taken from the wrong place shows."""
    n = 4 * count
    x = (rng.integers(-40, 41, n + 4) / 8).astype(np.float32)
    F = vec(4, "f32")
    results = ", ".join(f"%ml{count}_{k}" for k in range(count))
    lines = [f"  %ml{count}_base = arith.constant 4 : index",
             f"  {results} = arm_simd.load_x{count} %ml{count}x[%ml{count}_base] : memref<{n + 4}xf32> -> "
             + ", ".join([F] * count)]
    for k in range(count):
        lines += [f"  %ml{count}_at{k} = arith.constant {4 * (count - 1 - k)} : index",
                  f"  arm_simd.store %ml{count}_{k}, %ml{count}o[%ml{count}_at{k}] : {F}, memref<{n}xf32>"]

    def reference(v):
        return {f"ml{count}o": v[f"ml{count}x"][4:].reshape(count, 4)[::-1].ravel()}

    return Section({f"ml{count}x": x}, {f"ml{count}o": ((n,), np.dtype(np.float32))}, "\n".join(lines), reference)


def reduce_section(rng: np.random.Generator) -> Section:
    """Across-vector add/max/min (AArch64) of two vectors per type, the
    integer sums wrapping to the lane width; and f32 division (AArch64)."""
    types = [("f32", np.float32, 4), ("i32", np.int32, 4), ("i16", np.int16, 8), ("i8", np.int8, 16)]
    inputs, outputs, lines = {}, {}, ["  %r_three = arith.constant 3 : index"]
    for elem, dtype, lanes in types:
        n = 2 * lanes
        if elem == "f32":
            data = (rng.integers(-40, 41, n) / 8).astype(np.float32)
            data[lanes + 2] = np.nan
        else:
            info = np.iinfo(dtype)
            data = rng.integers(info.min, info.max, n, endpoint=True).astype(dtype)
        inputs[f"r_{elem}"] = data
        outputs[f"ro_{elem}"] = ((6,), np.dtype(dtype))
        Q, mt, ot = vec(lanes, elem), f"memref<{n}x{elem}>", f"memref<6x{elem}>"
        pre = f"r{elem}"
        lines += [
            f"  %{pre}_step = arith.constant {lanes} : index",
            f"  scf.for %{pre}_c = %c0 to %c2 step %c1 {{",
            f"    %{pre}_i = arith.muli %{pre}_c, %{pre}_step : index",
            f"    %{pre}_o = arith.muli %{pre}_c, %r_three : index",
            f"    %{pre}_o1 = arith.addi %{pre}_o, %c1 : index",
            f"    %{pre}_o2 = arith.addi %{pre}_o, %c2 : index",
            f"    %{pre}_v = arm_simd.load %r_{elem}[%{pre}_i] : {mt} -> {Q}",
            f"    %{pre}_add = arm_simd.reduce_add %{pre}_v : {Q} -> {elem}",
            f"    %{pre}_max = arm_simd.reduce_max %{pre}_v : {Q} -> {elem}",
            f"    %{pre}_min = arm_simd.reduce_min %{pre}_v : {Q} -> {elem}",
            f"    memref.store %{pre}_add, %ro_{elem}[%{pre}_o] : {ot}",
            f"    memref.store %{pre}_max, %ro_{elem}[%{pre}_o1] : {ot}",
            f"    memref.store %{pre}_min, %ro_{elem}[%{pre}_o2] : {ot}",
        ]
        if elem == "f32":
            inputs["r_den"] = (rng.integers(1, 41, n) / 8 * rng.choice([-1, 1], n)).astype(np.float32)
            outputs["ro_div"] = ((n,), np.dtype(np.float32))
            lines += [
                f"    %rdiv_d = arm_simd.load %r_den[%{pre}_i] : {mt} -> {Q}",
                f"    %rdiv_q = arm_simd.div %{pre}_v, %rdiv_d : {Q}, {Q} -> {Q}",
                f"    arm_simd.store %rdiv_q, %ro_div[%{pre}_i] : {Q}, {mt}",
            ]
        lines.append("  }")

    def reference(v):
        out = {}
        for elem, dtype, lanes in types:
            rows = v[f"r_{elem}"].reshape(2, lanes)
            result = []
            for row in rows:
                if elem == "f32":
                    total = (row[0] + row[1]) + (row[2] + row[3])   # faddp, then faddp
                    hi = np.nan if np.isnan(row).any() else row.max()
                    lo = np.nan if np.isnan(row).any() else row.min()
                else:
                    total = row.astype(np.int64).sum()
                    hi, lo = row.max(), row.min()
                result += [total, hi, lo]
            out[f"ro_{elem}"] = np.array(result, np.float64 if elem == "f32" else np.int64).astype(dtype)
        out["ro_div"] = v["r_f32"] / v["r_den"]
        return out

    return Section(inputs, outputs, "\n".join(lines), reference)


def dotprod_section(rng: np.random.Generator) -> Section:
    """sdot, and the FP16 arithmetic of ARMv8.2-A (dup of an f16 scalar,
    add, mul, div, max, fma, neg, abs, compare/select, get_lane/set_lane)
    with a tail."""
    a = rng.integers(-128, 128, 32).astype(np.int8)
    b = rng.integers(-128, 128, 32).astype(np.int8)
    a[:4] = b[:4] = -128
    acc = rng.integers(-(2**31), 2**31 - 1 - 4 * 16384, 8).astype(np.int32)
    n = 12
    hx = (rng.integers(-40, 41, n) / 8).astype(np.float16)
    hy = (rng.integers(-40, 41, n) / 8).astype(np.float16)
    hx[[2, 10]] = np.nan
    hy[11] = hx[11]
    H, HM = vec(8, "f16"), vec(8, "ui16")
    I32, I8 = vec(4, "i32"), vec(16, "i8")
    sdot = [
        "  %d_n = arith.constant 2 : index",
        "  scf.for %d_c = %c0 to %d_n step %c1 {",
        "    %d_i = arith.muli %d_c, %c16 : index",
        "    %d_k = arith.muli %d_c, %c4 : index",
        f"    %d_acc = arm_simd.load %dacc[%d_k] : memref<8xi32> -> {I32}",
        f"    %d_a = arm_simd.load %da[%d_i] : memref<32xi8> -> {I8}",
        f"    %d_b = arm_simd.load %db[%d_i] : memref<32xi8> -> {I8}",
        f"    %d_r = arm_simd.sdot %d_acc, %d_a, %d_b : {I32}, {I8}, {I8} -> {I32}",
        f"    arm_simd.store %d_r, %do[%d_k] : {I32}, memref<8xi32>",
        "  }",
        "  %h_halfs = arith.constant 0.5 : f16",
        f"  %h_half = arm_simd.dup %h_halfs : f16 -> {H}",
    ]
    ops = f"""
    %hadd$ = arm_simd.add %hx$, %hy$ : {H}, {H} -> {H}
    %hmul$ = arm_simd.mul %hadd$, %h_half : {H}, {H} -> {H}
    %hmax$ = arm_simd.max %hx$, %hy$ : {H}, {H} -> {H}
    %hfma$ = arm_simd.fma %hx$, %hy$, %hx$ : {H}, {H}, {H} -> {H}
    %hneg$ = arm_simd.neg %hx$ : {H} -> {H}
    %habs$ = arm_simd.abs %hneg$ : {H} -> {H}
    %hge$ = arm_simd.compare "ge", %hx$, %hy$ : {H}, {H} -> {HM}
    %hsel$ = arm_simd.select %hge$, %habs$, %hmul$ : {HM}, {H}, {H} -> {H}
    %hdiv$ = arm_simd.div %hx$, %hy$ : {H}, {H} -> {H}
    %hfirst$ = arm_simd.get_lane %hmax$, 0 : {H} -> f16
    %hset$ = arm_simd.set_lane %hfirst$, %hmax$, 7 : f16, {H} -> {H}
    """
    outs = {"ho_mul": "hmul", "ho_max": "hset", "ho_fma": "hfma", "ho_sel": "hsel", "ho_div": "hdiv"}
    elem_of = {"hx": "f16", "hy": "f16", **{o: "f16" for o in outs}}
    body = "\n".join(sdot) + "\n" + elementwise_loops("h", 8, n, elem_of, ops, outs, 5)

    def reference(v):
        x, y = v["hx"], v["hy"]
        prods = v["da"].astype(np.int64) * v["db"].astype(np.int64)
        dots = prods.reshape(8, 4).sum(axis=1)
        hmul = ((x + y) * np.float16(0.5)).astype(np.float16)
        with np.errstate(invalid="ignore"):
            sel = np.where(x >= y, np.abs(-x), hmul)
        hmax = neon_max(x, y, True)
        hmax[7::8][: n // 8] = hmax[0::8][: n // 8]   # lane 7 <- lane 0 in the vector part
        with np.errstate(all="ignore"):
            hdiv = (x / y).astype(np.float16)
        return {
            "do": (v["dacc"].astype(np.int64) + dots).astype(np.int32), "ho_div": hdiv,
            "ho_mul": hmul, "ho_max": hmax,
            "ho_fma": fused(x, y, x, np.float16), "ho_sel": sel.astype(np.float16),
        }

    return Section({"da": a, "db": b, "dacc": acc, "hx": hx, "hy": hy},
                   {"do": ((8,), np.dtype(np.int32)), **{o: ((n,), np.dtype(np.float16)) for o in outs}},
                   body, reference)


def sections_for(machine: str) -> list[Section]:
    """The sections whose ops `machine` has (a fixed seed: the same data every run)."""
    rng = np.random.default_rng(RNG_SEED)
    sections = [f32_section(rng), int_section(rng, np.int32, 4, 2), int_section(rng, np.int16, 8, 3),
                int_section(rng, np.int8, 16, 5), pairwise_section(rng), widening_section(rng),
                structure_section(rng), multi_load_section(rng, 2)]
    if machine in arm_simd.FUSED_MACHINES:
        sections.append(fused_section(rng))
    if machine in arm_simd.AARCH64_MACHINES:
        sections += [reduce_section(rng), multi_load_section(rng, 4)]
    if machine in arm_simd.DOTPROD_MACHINES:
        sections.append(dotprod_section(rng))
    return sections


def simd_program(sections: list[Section]) -> str:
    inputs = {k: v for s in sections for k, v in s.inputs.items()}
    outputs = {k: v for s in sections for k, v in s.outputs.items()}
    args = [f"%{k}: {memref(v.shape, v.dtype)}" for k, v in inputs.items()]
    args += [f"%{k}: {memref(shape, dtype)}" for k, (shape, dtype) in outputs.items()]
    body = "\n".join(s.body for s in sections)
    return f"""
func.func @simd({", ".join(args)}) attributes {{pelemay.entry, pelemay.num_inputs = {len(inputs)} : i64}} {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
{body}
  func.return
}}
"""


def check_simd(machine: str) -> None:
    sections = sections_for(machine)
    module = ir.parse(simd_program(sections), f"simd-{machine}.mlir")
    inputs = [v for s in sections for v in s.inputs.values()]
    got = dict(zip([k for s in sections for k in s.outputs], run_on(machine, module, inputs)))
    for s in sections:
        for name, want in s.reference(s.inputs).items():
            if name in s.exact_floats:
                assert_same_floats(got[name], want, f"{name} on {machine}")
            else:
                np.testing.assert_array_equal(got[name], want, err_msg=f"{name} on {machine}")


SIMD_BOARDS = ("aarch64", "armv7", "armv7-a8")


@pytest.mark.parametrize("machine", SIMD_BOARDS)
def test_arm_simd_ops_run_on_board(machine):
    check_simd(machine)


def test_arm_simd_dotprod_and_f16_run_on_aarch64_dotprod():
    check_simd("aarch64-dotprod")


def test_programs_use_every_arm_simd_op():
    """The per-machine programs together exercise every op of the dialect."""
    used = set()
    for machine in (*SIMD_BOARDS, "aarch64-dotprod"):
        module = ir.parse(simd_program(sections_for(machine)))
        used |= {op.name for op in module.walk()}
    missing = {cls.name for cls in arm_simd.OPS} - used
    assert not missing, f"arm_simd ops no test program uses: {sorted(missing)}"


@pytest.mark.parametrize("machine", (*SIMD_BOARDS, "aarch64-dotprod"))
def test_arm_simd_programs_verify_and_compile(machine):
    text = llvm.emit_llvm(ir.parse(simd_program(sections_for(machine))), machine)
    llvmbuild.verify(text)
    assert llvmbuild.compile_object(text, machine)[:4] == b"\x7fELF"


def test_arm_simd_intrinsics_follow_the_machine():
    a64 = llvm.emit_llvm(ir.parse(simd_program(sections_for("aarch64"))), "aarch64")
    arm = llvm.emit_llvm(ir.parse(simd_program(sections_for("armv7"))), "armv7")
    dot = llvm.emit_llvm(ir.parse(simd_program(sections_for("aarch64-dotprod"))), "aarch64-dotprod")
    for text, family in ((a64, "aarch64"), (arm, "arm")):
        other = "arm" if family == "aarch64" else "aarch64"
        assert f"@llvm.{other}.neon." not in text
        assert "call <4 x float> @llvm.fma.v4f32(" in text
        assert "fadd <4 x float>" in text and "fmul <4 x float>" in text  # mla: unfused
        assert "shufflevector <4 x float>" in text
        assert "sitofp <4 x i32>" in text and "@llvm.fptosi.sat.v4i32.v4f32(" in text
        assert "sext <4 x i1>" in text and "fcmp ogt <4 x float>" in text
        assert "call <8 x i16> @llvm.smin.v8i16(" in text
    assert "@llvm.aarch64.neon.faddp.v2f32(" in a64 and "@llvm.aarch64.neon.addp.v8i8(" in a64
    assert "@llvm.aarch64.neon.fmax.v4f32(" in a64 and "@llvm.aarch64.neon.smull.v8i16(" in a64
    assert "@llvm.aarch64.neon.faddv.f32.v4f32(" in a64 and "@llvm.aarch64.neon.sminv.i32.v16i8(" in a64
    assert "@llvm.arm.neon.vpadd.v2f32(" in arm and "@llvm.arm.neon.vmaxs.v4f32(" in arm
    assert "@llvm.arm.neon.vmulls.v4i32(" in arm
    assert "@llvm.aarch64.neon.sdot.v4i32.v16i8(" in dot and "fadd <8 x half>" in dot
    assert "@llvm.aarch64.neon.fmax.v8f16(" in dot


# --- errors ----------------------------------------------------------------------------

ONE_OP = """
func.func @f(%x: memref<8xf32>, %y: memref<8xf32>) attributes {{pelemay.entry, pelemay.num_inputs = 1 : i64}} {{
  %c0 = arith.constant 0 : index
  %a = arm_simd.load %x[%c0] : memref<8xf32> -> vector<4xf32>
  {line}
  arm_simd.store %r, %y[%c0] : vector<4xf32>, memref<8xf32>
  func.return
}}
"""


@pytest.mark.parametrize("machine", ["host", "riscv64", "cortex-m4"])
def test_arm_simd_on_a_machine_without_neon_is_an_error(machine):
    text = ONE_OP.format(line="%r = arm_simd.add %a, %a : vector<4xf32>, vector<4xf32> -> vector<4xf32>")
    with pytest.raises(CompileError, match=rf"one.mlir:4:\d+: error: 'arm_simd.load' \(vld1q_f32\) "
                                           rf"is not available on target '{machine}'"):
        llvm.emit_llvm(ir.parse(text, "one.mlir"), machine)


@pytest.mark.parametrize("line,machine,intrinsic", [
    ("%r = arm_simd.fma %a, %a, %a : vector<4xf32>, vector<4xf32>, vector<4xf32> -> vector<4xf32>",
     "armv7-a8", "vfmaq_f32"),
    ("%s = arm_simd.reduce_add %a : vector<4xf32> -> f32\n  %r = arm_simd.dup %s : f32 -> vector<4xf32>",
     "armv7", "vaddvq_f32"),
])
def test_arm_simd_op_the_machine_lacks_is_an_error(line, machine, intrinsic):
    with pytest.raises(CompileError, match=rf"one.mlir:5:\d+: error: '.*' \({intrinsic}\) is not "
                                           rf"available on target '{machine}'; machines that have it"):
        llvm.emit_llvm(ir.parse(ONE_OP.format(line=line), "one.mlir"), machine)


PORTABLE_ONE_OP = """
func.func @f(%x: memref<8x{e}>, %y: memref<8x{e}>) attributes {{pelemay.entry, pelemay.num_inputs = 1 : i64}} {{
  %c0 = arith.constant 0 : index
  %a = vector.load %x[%c0] : memref<8x{e}>, vector<4x{e}>
  {line}
  vector.store %r, %y[%c0] : memref<8x{e}>, vector<4x{e}>
  func.return
}}
"""


@pytest.mark.parametrize("e,line,message", [
    ("f32", "%b = arith.bitcast %a : vector<4xf32> to vector<4xi32>\n  %i = arith.addi %b, %b : vector<4xi32>\n"
            "  %r = arith.bitcast %i : vector<4xi32> to vector<4xf32>",
     r"p.mlir:6:\d+: error: 'arith.addi' op cannot be printed by the llvm target: on vectors it prints "
     r"arith.addf, .* on the bits of f32 lanes"),
    ("i32", "%c0i = arith.constant 0 : i32\n  %r = vector.broadcast %c0i : i32 to vector<4xi32>",
     r"p.mlir:4:\d+: error: 'vector.load' op cannot be printed by the llvm target: "
     r"vector<4xi32> holds the bits of f32 lanes, which only arith.constant, arith.bitcast, .* take"),
    ("f32", "%b = arith.bitcast %a : vector<4xf32> to vector<4xi32>\n  %i = arith.shli %b, %b : vector<4xi32>\n"
            "  %r = arith.bitcast %i : vector<4xi32> to vector<4xf32>",
     r"p.mlir:6:\d+: error: 'arith.shli' op cannot be printed by the llvm target: "
     r"a shift of vector lanes is by a constant splat amount in 0..31"),
    ("f32", "%t = arith.cmpf olt, %a, %a : vector<4xf32>\n  %r = arith.addf %a, %a : vector<4xf32>",
     r"p.mlir:5:\d+: error: 'arith.cmpf' op cannot be printed by the llvm target: on vectors it prints"),
    ("f32", "%z = arith.constant 0.0 : f32\n  %r = vector.transfer_read %x[%c0], %z : memref<8xf32>, vector<4xf32>",
     r"p.mlir:6:\d+: error: 'vector.transfer_read' op cannot be printed by the llvm target: "
     r"of the vector dialect it prints vector.broadcast, vector.extract, .*vector.store"),
])
def test_vector_op_outside_the_portable_set_is_an_error(e, line, message):
    with pytest.raises(CompileError, match=message):
        llvm.emit_llvm(ir.parse(PORTABLE_ONE_OP.format(e=e, line=line), "p.mlir"))


def test_reduction_kind_outside_the_set_is_an_error():
    line = "%s = vector.reduction <mul>, %a : vector<4xf32> into f32\n  %r = vector.broadcast %s : f32 to vector<4xf32>"
    with pytest.raises(CompileError, match=r"p.mlir:5:\d+: error: 'vector.reduction' op cannot be printed by the llvm target: of kind <mul>: it reduces with <add>"):
        llvm.emit_llvm(ir.parse(PORTABLE_ONE_OP.format(e="f32", line=line), "p.mlir"))


# --- the real pipeline ------------------------------------------------------------------


def check_vectorized_model(model: str, machine: str) -> None:
    """A bundled model lowered for `machine` (vectorized: portable vectors on
    the host, arm_simd on NEON machines), printed by this target, run, and
    compared with the reference evaluator."""
    from pathlib import Path

    from pelemay_ir import api, reference
    from pelemay_ir import weights as weights_file
    from pelemay_ir.dtypes import numpy_dtype

    path = Path(__file__).resolve().parents[2] / "examples" / f"{model}.mlir"
    lowered = api.lower(path, target=machine, weights="external")
    vector_ops = [op.name for op in lowered.walk() if op.name.split(".")[0] in ("vector", "arm_simd")]
    assert vector_ops, f"{model} for {machine} has no vector code to print"
    source = ir.load(path)
    args = [f for f in source.ops if f.name == "func.func"][-1].args
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal(a.type.get_shape()).astype(numpy_dtype(a.type.element_type)) for a in args]
    blob = bytes(weights_file.blob_of(lowered))
    if machine == "host":
        outputs = llvmbuild.compile_module(lowered, blob)(*inputs)
    else:
        outputs = cross.run_llvm(lowered, machine, inputs, blob)
    for got, want in zip(outputs, reference.evaluate(source, inputs), strict=True):
        assert np.max(np.abs(got - want)) <= 1e-4 * max(1.0, float(np.max(np.abs(want))))


@pytest.mark.parametrize("model,machine", [("mlp", "host"), ("lenet5", "armv7-a8")])
def test_vectorized_pipeline_runs_like_the_reference(model, machine):
    check_vectorized_model(model, machine)


@pytest.mark.slow
@pytest.mark.parametrize("machine", ["host", "aarch64", "aarch64-dotprod", "armv7", "armv7-a8"])
@pytest.mark.parametrize("model", ["mlp", "lenet5", "resblock"])
def test_vectorized_pipeline_runs_like_the_reference_on_every_vector_machine(model, machine):
    check_vectorized_model(model, machine)


MASK_PREDICATES = {
    "oeq": np.equal, "ogt": np.greater, "oge": np.greater_equal, "olt": np.less, "ole": np.less_equal,
    "one": lambda a, b: (a < b) | (a > b), "ord": lambda a, b: ~(np.isnan(a) | np.isnan(b)),
    "ueq": lambda a, b: ~((a < b) | (a > b)), "ugt": lambda a, b: ~(a <= b), "uge": lambda a, b: ~(a < b),
    "ult": lambda a, b: ~(a >= b), "ule": lambda a, b: ~(a > b), "une": np.not_equal,
    "uno": lambda a, b: np.isnan(a) | np.isnan(b),
}
"""mask.cmpf's predicates, as arith.cmpf's on each pair of lanes."""


@pytest.mark.parametrize("emit", ["c", "llvm"])
def test_every_mask_predicate_selects_the_lanes_it_holds_for(emit):
    """mask.cmpf with each predicate, then mask.select of x where it holds and
    y elsewhere: NaN, zeros of both signs and infinities on either side."""
    from pelemay_ir.dialects.mask import PREDICATES

    assert sorted(PREDICATES) == sorted(MASK_PREDICATES)
    special = np.array([np.nan, -0.0, 0.0, 1.0, -1.0, np.inf, -np.inf, 2.0], np.float32)
    x, y = np.repeat(special, 8), np.tile(special, 8)
    V, M = "vector<8xf32>", "memref<64xf32>"
    steps = "\n".join(
        f"    %m{k} = mask.cmpf \"{p}\", %a, %b : {V} -> vector<8xi1>\n"
        f"    %r{k} = mask.select %m{k}, %a, %b : vector<8xi1>, {V}\n"
        f"    vector.store %r{k}, %o{k}[%i] : {M}, {V}" for k, p in enumerate(MASK_PREDICATES))
    outs = ", ".join(f"%o{k}: {M}" for k in range(len(MASK_PREDICATES)))
    module = ir.parse(f"""
func.func @masks(%x: {M}, %y: {M}, {outs}) attributes {{pelemay.entry, pelemay.num_inputs = 2 : i64}} {{
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c64 = arith.constant 64 : index
  scf.for %i = %c0 to %c64 step %c8 {{
    %a = vector.load %x[%i] : {M}, {V}
    %b = vector.load %y[%i] : {M}, {V}
{steps}
  }}
  func.return
}}
""", "masks.mlir")
    if emit == "c":
        from pelemay_ir import cbuild

        outputs = cbuild.compile_module(module)(x, y)
    else:
        outputs = run_on("host", module, [x, y])
    assert len(outputs) == len(MASK_PREDICATES)
    with np.errstate(invalid="ignore"):
        for (name, holds), got in zip(MASK_PREDICATES.items(), outputs):
            assert_same_floats(got, np.where(holds(x, y), x, y), name)
