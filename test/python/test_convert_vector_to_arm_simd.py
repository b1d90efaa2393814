"""convert-vector-to-arm-simd: loop-level functions in the portable vector op
set, converted for each NEON machine, printed as C, cross-built and run under
qemu with the board's CPU, against NumPy; and the ops it must refuse."""

from __future__ import annotations

import numpy as np
import pytest
from xdsl.utils.arg_spec import parse_pipeline

from pelemay_ir import cross, ir
from pelemay_ir.dialects import arm_simd
from pelemay_ir.passes.convert_vector_to_arm_simd import (
    ConvertVectorToArmSimd,
    convert_vector_to_arm_simd,
)
from pelemay_ir.targets import c

MACHINES = ("aarch64", "armv7", "armv7-a8")
F32 = np.float32

# --- programs ----------------------------------------------------------------------

ROWS, COLS = 2, 11
"""Two vector steps of 4 and a scalar tail of 3 in every row."""
VECTOR_END = COLS - COLS % 4

FMA_OFFSET = -(1.0 + 2.0**-11)
"""With x = y = 1 + 2**-12, x * y + FMA_OFFSET is 2**-24 fused and 0 unfused."""

# (vector form, scalar form) of each output plane; %a, %b are the inputs,
# %k the broadcast FMA_OFFSET (%off as a scalar).
ELEMENTWISE_OPS = [
    ("arith.addf %a, %b : vector<4xf32>", "arith.addf %a, %b : f32"),
    ("arith.subf %a, %b : vector<4xf32>", "arith.subf %a, %b : f32"),
    ("arith.mulf %a, %b : vector<4xf32>", "arith.mulf %a, %b : f32"),
    ("arith.divf %a, %b : vector<4xf32>", "arith.divf %a, %b : f32"),
    ("arith.maximumf %a, %b : vector<4xf32>", "arith.maximumf %a, %b : f32"),
    ("arith.minimumf %a, %b : vector<4xf32>", "arith.minimumf %a, %b : f32"),
    ("arith.negf %a : vector<4xf32>", "arith.negf %a : f32"),
    ("vector.fma %a, %b, %k : vector<4xf32>", "math.fma %a, %b, %off : f32"),
]
PLANES = len(ELEMENTWISE_OPS)


def elementwise_program() -> str:
    """out[p, i, j] = op_p(x[i, j], y[i, j]): vector steps, then a scalar tail."""
    shape = f"{ROWS}x{COLS}xf32"
    out = f"{PLANES}x{ROWS}x{COLS}xf32"
    vector_body, scalar_body = [], []
    for p, (vector_op, scalar_op) in enumerate(ELEMENTWISE_OPS):
        vector_body += [
            f"      %v{p} = {vector_op}",
            f"      vector.store %v{p}, %out[%p{p}, %i, %j] : memref<{out}>, vector<4xf32>",
        ]
        scalar_body += [
            f"      %s{p} = {scalar_op}",
            f"      memref.store %s{p}, %out[%p{p}, %i, %j] : memref<{out}>",
        ]
    planes = "\n".join(f"  %p{p} = arith.constant {p} : index" for p in range(PLANES))
    return f"""
func.func @ew(%x: memref<{shape}>, %y: memref<{shape}>, %out: memref<{out}>)
    attributes {{pelemay.entry, pelemay.num_inputs = 2 : i64}} {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %rows = arith.constant {ROWS} : index
  %vend = arith.constant {VECTOR_END} : index
  %cols = arith.constant {COLS} : index
  %off = arith.constant {FMA_OFFSET!r} : f32
{planes}
  %k = vector.broadcast %off : f32 to vector<4xf32>
  scf.for %i = %c0 to %rows step %c1 {{
    scf.for %j = %c0 to %vend step %c4 {{
      %a = vector.load %x[%i, %j] : memref<{shape}>, vector<4xf32>
      %b = vector.load %y[%i, %j] : memref<{shape}>, vector<4xf32>
{chr(10).join(vector_body)}
    }}
    scf.for %j = %vend to %cols step %c1 {{
      %a = memref.load %x[%i, %j] : memref<{shape}>
      %b = memref.load %y[%i, %j] : memref<{shape}>
{chr(10).join(scalar_body)}
    }}
  }}
  func.return
}}
"""


RED_ROWS = 4


def reduction_program() -> str:
    """out[0, i]: sum of row i (lane sums, reduced, then the tail added);
    out[1, i], out[2, i]: max and min (the tail first, then reduced with it
    as the reduction's accumulator)."""
    shape = f"{RED_ROWS}x{COLS}xf32"
    out = f"3x{RED_ROWS}xf32"

    def lanes(kind: str, init: str) -> str:
        return f"""    %{kind}v = scf.for %j = %c0 to %vend step %c4 iter_args(%s = %{init}) -> (vector<4xf32>) {{
      %v = vector.load %x[%i, %j] : memref<{shape}>, vector<4xf32>
      %n = arith.{kind}f %s, %v : vector<4xf32>
      scf.yield %n : vector<4xf32>
    }}"""

    def tail(kind: str, start: str, result: str) -> str:
        return f"""    %{result} = scf.for %j = %vend to %cols step %c1 iter_args(%s = %{start}) -> (f32) {{
      %e = memref.load %x[%i, %j] : memref<{shape}>
      %n = arith.{kind}f %s, %e : f32
      scf.yield %n : f32
    }}"""

    return f"""
func.func @red(%x: memref<{shape}>, %out: memref<{out}>)
    attributes {{pelemay.entry, pelemay.num_inputs = 1 : i64}} {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %rows = arith.constant {RED_ROWS} : index
  %vend = arith.constant {VECTOR_END} : index
  %cols = arith.constant {COLS} : index
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %pinf = arith.constant 0x7F800000 : f32
  %zeros = vector.broadcast %zero : f32 to vector<4xf32>
  %lows = vector.broadcast %ninf : f32 to vector<4xf32>
  %highs = vector.broadcast %pinf : f32 to vector<4xf32>
  scf.for %i = %c0 to %rows step %c1 {{
{lanes("add", "zeros")}
    %sum = vector.reduction <add>, %addv : vector<4xf32> into f32
{tail("add", "sum", "total")}
    memref.store %total, %out[%c0, %i] : memref<{out}>
{lanes("maximum", "lows")}
{tail("maximum", "ninf", "tmax")}
    %max = vector.reduction <maximumf>, %maximumv, %tmax : vector<4xf32> into f32
    memref.store %max, %out[%c1, %i] : memref<{out}>
{lanes("minimum", "highs")}
{tail("minimum", "pinf", "tmin")}
    %min = vector.reduction <minimumf>, %minimumv, %tmin : vector<4xf32> into f32
    memref.store %min, %out[%c2, %i] : memref<{out}>
  }}
  func.return
}}
"""


# --- references ----------------------------------------------------------------------


def fused_multiply_add(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """a * b + c rounded once to f32. The product is exact in f64; the f64 sum
    is made round-to-odd (TwoSum error), so rounding it to f32 is exact too."""
    p = a.astype(np.float64) * b.astype(np.float64)
    c64 = np.broadcast_to(np.asarray(c, np.float64), p.shape)
    s = p + c64
    bv = s - p
    err = (p - (s - bv)) + (c64 - bv)
    even = (s.view(np.uint64) & 1) == 0
    toward = np.where(err > 0, np.inf, -np.inf)
    s = np.where((err != 0) & even & np.isfinite(s), np.nextafter(s, toward), s)
    return s.astype(F32)


def elementwise_reference(x: np.ndarray, y: np.ndarray, machine: str) -> np.ndarray:
    off = F32(FMA_OFFSET)
    fused = fused_multiply_add(x, y, off)
    if machine == "armv7-a8":  # vmlaq_f32 in the vector steps; fmaf in the tail
        fused[:, :VECTOR_END] = (x * y + off)[:, :VECTOR_END]
    with np.errstate(divide="ignore", invalid="ignore"):
        planes = [x + y, x - y, x * y, x / y, np.maximum(x, y), np.minimum(x, y), -x, fused]
    return np.stack(planes).astype(F32)


def reduction_reference(x: np.ndarray) -> np.ndarray:
    out = np.zeros((3, RED_ROWS), F32)
    for i, row in enumerate(x):
        lanes = np.zeros(4, F32)
        for k in range(0, VECTOR_END, 4):
            lanes = lanes + row[k:k + 4]
        total = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])
        for e in row[VECTOR_END:]:
            total = F32(total + e)
        out[:, i] = total, np.max(row), np.min(row)
    return out


RNG = np.random.default_rng(11)


def elementwise_inputs() -> tuple[np.ndarray, np.ndarray]:
    x, y = (RNG.standard_normal((ROWS, COLS)).astype(F32) for _ in range(2))
    near_one = F32(1.0 + 2.0**-12)
    x[0, 1] = y[0, 1] = near_one  # vector step: fused and unfused differ
    x[1, 9] = y[1, 9] = near_one  # tail: fmaf, fused on every machine
    y[0, 2], x[1, 3], y[1, 3] = 0.0, 0.0, 0.0  # x / 0 and 0 / 0
    x[0, 6] = np.nan  # NaN through max / min in a vector step ...
    y[1, 10] = np.nan  # ... and in the tail
    return x, y


def reduction_inputs() -> np.ndarray:
    x = RNG.standard_normal((RED_ROWS, COLS)).astype(F32)
    x[1, 5] = np.nan  # in a vector step
    x[2, 9] = np.nan  # in the tail
    x[3] = -np.abs(x[3]) - 1  # every element below zero: max is not the init
    return x


# --- helpers ---------------------------------------------------------------------------


def converted(text: str, machine: str, name: str = "prog.mlir"):
    module = ir.parse(text, name)
    convert_vector_to_arm_simd(module, machine)
    ir.verify(module)
    return module


def op_names(module) -> set[str]:
    return {op.name for op in module.walk()}


def run_on(machine: str, text: str, *inputs: np.ndarray) -> list[np.ndarray]:
    module = converted(text, machine)
    c.emit_c(module, machine=machine)
    return cross.run(module, machine, list(inputs))


# --- structure -------------------------------------------------------------------------


@pytest.mark.parametrize("machine", (*MACHINES, "aarch64-dotprod"))
def test_every_vector_op_becomes_arm_simd(machine):
    names = op_names(converted(elementwise_program(), machine)) | op_names(
        converted(reduction_program(), machine)
    )
    assert not {n for n in names if n.startswith("vector.")}
    aarch64 = machine.startswith("aarch64")
    expected = {"load", "store", "dup", "add", "sub", "mul", "max", "min", "neg"}
    expected |= {"fma" if machine != "armv7-a8" else "mla"}
    expected |= {"div", "reduce_add", "reduce_max", "reduce_min"} if aarch64 else {
        "get_lane", "set_lane", "get_low", "get_high", "padd", "pmax", "pmin"
    }
    have = {n.removeprefix("arm_simd.") for n in names if n.startswith("arm_simd.")}
    assert have == expected


def test_intrinsics_printed():
    _, a64 = c.emit_c(converted(elementwise_program(), "aarch64"), machine="aarch64")
    for call in ("vld1q_f32(&x[", "vst1q_f32(&out[", "vdupq_n_f32(", "vdivq_f32(", "vfmaq_f32(",
                 "vnegq_f32(", "vmaxq_f32(", "vminq_f32("):
        assert call in a64, call
    _, a8 = c.emit_c(converted(elementwise_program(), "armv7-a8"), machine="armv7-a8")
    assert "vmlaq_f32(" in a8 and "vfmaq_f32(" not in a8 and "vdivq_f32" not in a8
    assert "vgetq_lane_f32(a, 3)" in a8 and "vsetq_lane_f32(" in a8
    _, v7 = c.emit_c(converted(reduction_program(), "armv7"), machine="armv7")
    for call in ("vget_low_f32(", "vget_high_f32(", "vpadd_f32(", "vpmax_f32(", "vpmin_f32(",
                 "vget_lane_f32("):
        assert call in v7, call


LANE_FMA = ("%l = vector.extract %a[2] : f32 from vector<4xf32>\n"
            "  %s = vector.broadcast %l : f32 to vector<4xf32>\n"
            "  %r = vector.fma %s, %b, %b : vector<4xf32>")


@pytest.mark.parametrize("machine", [m for m in MACHINES if m.startswith("aarch64")])
def test_a_constant_lane_becomes_get_lane(machine):
    """vector.extract of lane 2 times a vector: get_lane, whose broadcast into
    a multiply-add the C compiler makes an fmla by element on AArch64."""
    module = converted(one_op(LANE_FMA), machine)
    lane = next(op for op in module.walk() if isinstance(op, arm_simd.GetLaneOp))
    assert lane.lane.value.data == 2
    assert not {n for n in op_names(module) if n.startswith("vector.")}
    assert lane.intrinsic() == "vgetq_lane_f32"


@pytest.mark.parametrize("machine", [m for m in MACHINES if not m.startswith("aarch64")])
def test_a_multiply_add_by_lane_is_mla_lane_on_armv7(machine):
    """ARMv7 has no fused multiply-add by scalar: a multiply-add by a broadcast
    lane is one vmla by scalar of that lane's half (lane 2: the high half's
    lane 0); the broadcast and the extract go."""
    module = converted(one_op(LANE_FMA), machine)
    names = {n for n in op_names(module) if n.startswith(("vector.", "arm_simd."))}
    assert names == {"arm_simd.get_high", "arm_simd.mla_lane"}
    mla = next(op for op in module.walk() if isinstance(op, arm_simd.MlaLaneOp))
    assert mla.lane.value.data == 0 and isinstance(mla.rhs.owner, arm_simd.GetHighOp)
    assert mla.intrinsic() == "vmlaq_lane_f32"


def test_a_lane_broadcast_read_elsewhere_stays_a_dup():
    """Only a broadcast that multiply-adds alone take becomes mla_lane."""
    text = one_op(LANE_FMA + "\n  %q = arith.addf %s, %b : vector<4xf32>")
    names = op_names(converted(text, "armv7"))
    assert "arm_simd.mla_lane" not in names and "arm_simd.dup" in names


def test_converted_ops_keep_the_source_position():
    module = converted(elementwise_program(), "armv7")
    fma = next(op for op in module.walk() if isinstance(op, arm_simd.FmaOp))
    line = next(k for k, text in enumerate(elementwise_program().splitlines(), 1) if "vector.fma" in text)
    assert ir.location_of(fma) == f"prog.mlir:{line}:7"


def test_pass_from_its_pipeline_spec():
    (spec,) = parse_pipeline("convert-vector-to-arm-simd{target=armv7-a8}")
    pass_ = ConvertVectorToArmSimd.from_pass_spec(spec)
    assert pass_.target == "armv7-a8"
    module = ir.parse(elementwise_program(), "prog.mlir")
    pass_.apply(ir.make_context(), module)
    assert "arm_simd.mla" in op_names(module)


# --- cross-built and run ---------------------------------------------------------------


@pytest.mark.parametrize("machine", MACHINES)
def test_elementwise_ops_with_tails(machine):
    x, y = elementwise_inputs()
    (out,) = run_on(machine, elementwise_program(), x, y)
    want = elementwise_reference(x, y, machine)
    for p, (vector_op, _) in enumerate(ELEMENTWISE_OPS):
        np.testing.assert_array_equal(out[p], want[p], err_msg=vector_op)
    fma = out[PLANES - 1]
    assert fma[1, 9] == 2.0**-24  # the tail's fmaf is fused everywhere
    assert fma[0, 1] == (0.0 if machine == "armv7-a8" else 2.0**-24)


@pytest.mark.parametrize("machine", MACHINES)
def test_reductions_with_tails_and_nan(machine):
    x = reduction_inputs()
    (out,) = run_on(machine, reduction_program(), x)
    want = reduction_reference(x)
    np.testing.assert_array_equal(out, want)
    assert np.isnan(out[1:, 1]).all() and np.isnan(out[1:, 2]).all()


# --- what it refuses ---------------------------------------------------------------------

WIDE_LOAD = """func.func @f(%m: memref<16xf32>, %i: index) {
  %v = vector.load %m[%i] : memref<16xf32>, vector<8xf32>
  func.return
}
"""


def one_op(line: str, args: str = "%a: vector<4xf32>, %b: vector<4xf32>") -> str:
    return f"func.func @f({args}) {{\n  {line}\n  func.return\n}}\n"


@pytest.mark.parametrize(
    "text,machine,message",
    [
        (WIDE_LOAD, "armv7",
         "prog.mlir:2:3: error: 'vector.load' of vector<8xf32> has no NEON form on 'armv7'; "
         "NEON vectors hold 4 f32"),
        (one_op("%r = arith.addf %a, %a : vector<4xf64>", "%a: vector<4xf64>"), "aarch64",
         "prog.mlir:2:3: error: 'arith.addf' of vector<4xf64> has no NEON form on 'aarch64'; "
         "NEON vectors hold 4 f32"),
        (one_op("%r = vector.fma %a, %a, %a : vector<16xf32>", "%a: vector<16xf32>"), "armv7-a8",
         "prog.mlir:2:3: error: 'vector.fma' of vector<16xf32> has no NEON form on 'armv7-a8'"),
        (one_op("%r = vector.reduction <mul>, %a : vector<4xf32> into f32"), "aarch64",
         "prog.mlir:2:3: error: 'vector.reduction' <mul> has no NEON form on 'aarch64'; "
         "the vector level reduces with <add>, <maximumf>, <minimumf>"),
        (one_op("%r = math.sqrt %a : vector<4xf32>"), "aarch64",
         "prog.mlir:2:3: error: 'math.sqrt' on vectors is not in the portable vector op set"),
        (one_op("%r = vector.broadcast %a : vector<4xf32> to vector<4xf32>"), "aarch64",
         "prog.mlir:2:3: error: 'vector.broadcast' from vector<4xf32> has no NEON form on "
         "'aarch64'; it broadcasts an f32 scalar"),
        (one_op("%r = vector.extract %a[%i] : f32 from vector<4xf32>", "%a: vector<4xf32>, %i: index"),
         "aarch64",
         "prog.mlir:2:3: error: 'vector.extract' has no NEON form on 'aarch64' unless it takes one "
         "constant lane of a vector"),
        (WIDE_LOAD.replace("vector<8xf32>", "vector<4xf32>"), "riscv64",
         "prog.mlir:2:3: error: 'vector.load' needs NEON, which target 'riscv64' lacks; "
         "NEON machines: aarch64, aarch64-dotprod, armv7, armv7-a8"),
        (WIDE_LOAD, "armv9", "error: unknown target 'armv9'; valid machines: host, aarch64"),
        # Already at the arm_simd level but beyond the machine: the final check.
        (one_op("%r = arm_simd.reduce_add %a : vector<4xf32> -> f32"), "armv7",
         "prog.mlir:2:3: error: 'arm_simd.reduce_add' (vaddvq_f32) is not available on target "
         "'armv7'"),
    ],
    ids=["wide", "f64", "fma16", "mul-kind", "math", "broadcast", "dynamic-lane", "no-neon", "unknown",
         "final-check"],
)
def test_refused(text, machine, message):
    module = ir.parse(text, "prog.mlir")
    before = str(module)
    with pytest.raises(ir.CompileError) as e:
        convert_vector_to_arm_simd(module, machine)
    assert str(e.value).startswith(message)
    assert str(module) == before  # checked before anything is rewritten


def test_first_bad_op_is_reported_and_nothing_rewritten():
    text = """func.func @f(%m: memref<16xf32>, %i: index) {
  %v = vector.load %m[%i] : memref<16xf32>, vector<4xf32>
  %w = vector.load %m[%i] : memref<16xf32>, vector<8xf32>
  %x = arith.negf %w : vector<8xf32>
  func.return
}
"""
    module = ir.parse(text, "prog.mlir")
    with pytest.raises(ir.CompileError, match="^prog.mlir:3:3: error: 'vector.load' of vector<8xf32>"):
        convert_vector_to_arm_simd(module, "aarch64")
    assert "arm_simd" not in str(module)


@pytest.mark.parametrize("machine", MACHINES)
def test_subnormals_flush_to_zero_in_armv7_neon_only(machine):
    """AArch32 NEON flushes subnormals (docs/arm-simd.md); the scalar tail and
    AArch64 NEON keep them."""
    tiny = F32(2.0**-130)
    x = np.full((ROWS, COLS), tiny, F32)
    y = np.zeros((ROWS, COLS), F32)
    (out,) = run_on(machine, elementwise_program(), x, y)
    sums = out[0]
    assert (sums[:, VECTOR_END:] == tiny).all()
    assert (sums[:, :VECTOR_END] == (0 if machine.startswith("armv7") else tiny)).all()


F16_LANES = """
func.func @h(%x: memref<8xf16>, %z: memref<8xf16>, %s: memref<1xf16>)
    attributes {pelemay.entry, pelemay.num_inputs = 1 : i64} {
  %c0 = arith.constant 0 : index
  %a = arm_simd.load %x[%c0] : memref<8xf16> -> vector<8xf16>
  %e = arm_simd.get_lane %a, 5 : vector<8xf16> -> f16
  %w = arm_simd.set_lane %e, %a, 0 : f16, vector<8xf16> -> vector<8xf16>
  %d = arm_simd.div %w, %a : vector<8xf16>, vector<8xf16> -> vector<8xf16>
  arm_simd.store %d, %z[%c0] : vector<8xf16>, memref<8xf16>
  memref.store %e, %s[%c0] : memref<1xf16>
  func.return
}
"""


def test_lane_ops_and_division_on_f16_vectors():
    """The ops this level added, on the f16 vectors of aarch64-dotprod."""
    module = ir.parse(F16_LANES, "h.mlir")
    for op in module.walk():
        if isinstance(op, arm_simd.ArmSimdOp):
            assert op.machines() == ("aarch64-dotprod",), op.name
    x = (RNG.standard_normal(8) + 3).astype(np.float16)
    z, s = cross.run(module, "aarch64-dotprod", [x])
    w = x.copy()
    w[0] = x[5]
    np.testing.assert_array_equal(z, w / x)
    assert s[0] == x[5]


ROW_LOADS = """
func.func @rows(%x: memref<3x24xf32>, %out: memref<3x24xf32>) attributes {pelemay.entry, pelemay.num_inputs = 1 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c12 = arith.constant 12 : index
  %c16 = arith.constant 16 : index
  %c20 = arith.constant 20 : index
  scf.for %i = %c0 to %c3 step %c1 {
    %a0 = vector.load %x[%i, %c0] : memref<3x24xf32>, vector<4xf32>
    %a1 = vector.load %x[%i, %c4] : memref<3x24xf32>, vector<4xf32>
    %j8 = arith.addi %c4, %c4 : index
    %a2 = vector.load %x[%i, %j8] : memref<3x24xf32>, vector<4xf32>
    %a3 = vector.load %x[%i, %c12] : memref<3x24xf32>, vector<4xf32>
    %a4 = vector.load %x[%i, %c16] : memref<3x24xf32>, vector<4xf32>
    vector.store %a0, %out[%i, %c16] : memref<3x24xf32>, vector<4xf32>
    %a5 = vector.load %x[%i, %c20] : memref<3x24xf32>, vector<4xf32>
    vector.store %a5, %out[%i, %c0] : memref<3x24xf32>, vector<4xf32>
    vector.store %a4, %out[%i, %c4] : memref<3x24xf32>, vector<4xf32>
    %j8o = arith.addi %c4, %c4 : index
    vector.store %a3, %out[%i, %j8o] : memref<3x24xf32>, vector<4xf32>
    vector.store %a2, %out[%i, %c12] : memref<3x24xf32>, vector<4xf32>
    vector.store %a1, %out[%i, %c20] : memref<3x24xf32>, vector<4xf32>
  }
  func.return
}
"""
"""Six consecutive vectors of each row, the fifth and sixth with a store
between them; written back as vectors 5, 4, 3, 2, 0, 1."""


@pytest.mark.parametrize("machine,loads", [
    ("aarch64", ["load"] * 6),
    ("armv7", ["load_x2", "load_x2", "load", "load"]),
    ("armv7-a8", ["load_x2", "load_x2", "load", "load"]),
])
def test_consecutive_loads_become_one_multi_register_load(machine, loads):
    """Two consecutive vectors are one load_x2 on ARMv7 (whose vld1 takes no
    offset); loads a store separates stay apart; on AArch64 copies stay
    single loads (gcc pairs them as `ldp`); the result is the same."""
    module = converted(ROW_LOADS, machine)
    got = [op.name.removeprefix("arm_simd.") for op in module.walk() if op.name.startswith("arm_simd.load")]
    assert got == loads
    x = np.arange(72, dtype=F32).reshape(3, 24)
    (out,) = run_on(machine, ROW_LOADS, x)
    np.testing.assert_array_equal(out, x.reshape(3, 6, 4)[:, [5, 4, 3, 2, 0, 1]].reshape(3, 24))


ROW_BY_LANES = """
func.func @lanes(%a: memref<4xf32>, %b: memref<2x16xf32>, %out: memref<2x16xf32>) attributes {pelemay.entry, pelemay.num_inputs = 2 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c12 = arith.constant 12 : index
  %f0 = arith.constant 0.0 : f32
  %zero = vector.broadcast %f0 : f32 to vector<4xf32>
  %av = vector.load %a[%c0] : memref<4xf32>, vector<4xf32>
  scf.for %i = %c0 to %c2 step %c1 {
    %l = vector.extract %av[1] : f32 from vector<4xf32>
    %s = vector.broadcast %l : f32 to vector<4xf32>
    %b0 = vector.load %b[%i, %c0] : memref<2x16xf32>, vector<4xf32>
    %b1 = vector.load %b[%i, %c4] : memref<2x16xf32>, vector<4xf32>
    %b2 = vector.load %b[%i, %c8] : memref<2x16xf32>, vector<4xf32>
    %b3 = vector.load %b[%i, %c12] : memref<2x16xf32>, vector<4xf32>
    %p0 = vector.fma %b0, %s, %zero : vector<4xf32>
    %p1 = vector.fma %s, %b1, %zero : vector<4xf32>
    %p2 = vector.fma %b2, %s, %zero : vector<4xf32>
    %p3 = vector.fma %b3, %s, %zero : vector<4xf32>
    vector.store %p0, %out[%i, %c0] : memref<2x16xf32>, vector<4xf32>
    vector.store %p1, %out[%i, %c4] : memref<2x16xf32>, vector<4xf32>
    vector.store %p2, %out[%i, %c8] : memref<2x16xf32>, vector<4xf32>
    vector.store %p3, %out[%i, %c12] : memref<2x16xf32>, vector<4xf32>
  }
  func.return
}
"""
"""A row of four vectors, each multiplied by one lane of another vector: the
step of the one-row matmul by lane."""


def test_a_row_multiplied_by_lanes_is_one_four_register_load_on_aarch64():
    """The one place AArch64 takes `ld1` of four registers: a row of B in a
    product by lane (rows too far apart for `ldp`'s offset); the result is
    the same."""
    module = converted(ROW_BY_LANES, "aarch64")
    got = [op.name.removeprefix("arm_simd.") for op in module.walk() if op.name.startswith("arm_simd.load")]
    assert got == ["load", "load_x4"]
    a = np.array([5, 3, 7, 11], dtype=F32)
    b = np.arange(32, dtype=F32).reshape(2, 16)
    (out,) = run_on("aarch64", ROW_BY_LANES, a, b)
    np.testing.assert_array_equal(out, b * a[1])
