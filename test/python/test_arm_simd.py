"""arm_simd: built ops verify, name their intrinsic, and the availability
table per op and machine matches the NEON each machine has."""

from __future__ import annotations

import pytest
from xdsl.dialects.builtin import IndexType, MemRefType, ModuleOp, f16, f32, i8, i16, i32
from xdsl.utils.exceptions import VerifyException
from xdsl.utils.test_value import create_ssa_value

from pelemay_ir.dialects import arm_simd as a
from pelemay_ir.ir import CompileError, parse
from pelemay_ir.machines import MACHINES
from pelemay_ir.passes.verify_arm_simd import VerifyArmSimdPass, check_machine

F32X4, I32X4, I16X8, I8X16, F16X8 = a.F32X4, a.I32X4, a.I16X8, a.I8X16, a.F16X8
F32X2, I8X8 = a.F32X2, a.I8X8


def v(t):
    return create_ssa_value(t)


def built_ops():
    """One op of each kind, built through its constructor: (op, intrinsic)."""
    m = v(MemRefType(f32, [4, 16]))
    i = v(IndexType())
    q = v(F32X4)
    return [
        (a.LoadOp(m, [i, i], F32X4), "vld1q_f32"),
        (a.StoreOp(q, m, [i, i]), "vst1q_f32"),
        (a.Load2Op(m, [i, i], F32X4), "vld2q_f32"),
        (a.Store2Op(q, q, m, [i, i]), "vst2q_f32"),
        (a.LoadX2Op(m, [i, i], F32X4), "vld1q_f32_x2"),
        (a.LoadX4Op(m, [i, i], F32X4), "vld1q_f32_x4"),
        (a.LoadLaneOp(m, [i, i], q, 3), "vld1q_lane_f32"),
        (a.StoreLaneOp(q, 0, m, [i, i]), "vst1q_lane_f32"),
        (a.DupOp(v(i16), I16X8), "vdupq_n_s16"),
        (a.GetLowOp(q), "vget_low_f32"),
        (a.GetHighOp(v(I8X16)), "vget_high_s8"),
        (a.CombineOp(v(F32X2), v(F32X2)), "vcombine_f32"),
        (a.GetLaneOp(q, 3), "vgetq_lane_f32"),
        (a.GetLaneOp(v(I8X8), 7), "vget_lane_s8"),
        (a.SetLaneOp(v(f32), q, 1), "vsetq_lane_f32"),
        (a.SetLaneOp(v(i16), v(a.I16X4), 0), "vset_lane_s16"),
        (a.NegOp(v(I32X4)), "vnegq_s32"),
        (a.AbsOp(q), "vabsq_f32"),
        (a.AddOp(q, q), "vaddq_f32"),
        (a.SubOp(v(I16X8), v(I16X8)), "vsubq_s16"),
        (a.MulOp(v(I8X16), v(I8X16)), "vmulq_s8"),
        (a.DivOp(q, q), "vdivq_f32"),
        (a.MaxOp(q, q), "vmaxq_f32"),
        (a.MinOp(v(I32X4), v(I32X4)), "vminq_s32"),
        (a.PairwiseAddOp(v(F32X2), v(F32X2)), "vpadd_f32"),
        (a.PairwiseMaxOp(v(F32X2), v(F32X2)), "vpmax_f32"),
        (a.PairwiseMinOp(v(a.I32X2), v(a.I32X2)), "vpmin_s32"),
        (a.FmaOp(q, q, q), "vfmaq_f32"),
        (a.MlaOp(q, q, q), "vmlaq_f32"),
        (a.MlaLaneOp(q, q, v(F32X2), 1), "vmlaq_lane_f32"),
        (a.CompareOp("le", q, q), "vcleq_f32"),
        (a.SelectOp(v(a.mask_of(F32X4)), q, q), "vbslq_f32"),
        (a.ReduceAddOp(q), "vaddvq_f32"),
        (a.ReduceMaxOp(q), "vmaxvq_f32"),
        (a.ReduceMinOp(v(I32X4)), "vminvq_s32"),
        (a.ConvertOp(v(I32X4), F32X4), "vcvtq_f32_s32"),
        (a.ConvertOp(q, I32X4), "vcvtq_s32_f32"),
        (a.ReinterpretOp(q, I32X4), "vreinterpretq_s32_f32"),
        (a.ReinterpretOp(v(I32X4), F32X4), "vreinterpretq_f32_s32"),
        (a.ShiftLeftOp(v(I32X4), 23), "vshlq_n_s32"),
        (a.ShiftLeftOp(v(I8X16), 7), "vshlq_n_s8"),
        (a.MullOp(v(I8X8), v(I8X8)), "vmull_s8"),
        (a.MlalOp(v(I16X8), v(I8X8), v(I8X8)), "vmlal_s8"),
        (a.SdotOp(v(I32X4), v(I8X16), v(I8X16)), "vdotq_s32"),
        (a.AddOp(v(F16X8), v(F16X8)), "vaddq_f16"),
        (a.FmaOp(v(F16X8), v(F16X8), v(F16X8)), "vfmaq_f16"),
        (a.DivOp(v(F16X8), v(F16X8)), "vdivq_f16"),
        (a.GetLaneOp(v(F16X8), 0), "vgetq_lane_f16"),
    ]


def test_every_op_kind_is_built():
    assert {type(op) for op, _ in built_ops()} == set(a.OPS)


@pytest.mark.parametrize("op,intrinsic", built_ops(), ids=lambda x: getattr(x, "name", x))
def test_built_ops_verify_and_name_their_intrinsic(op, intrinsic):
    op.verify()
    assert op.intrinsic() == intrinsic


# Written from the Arm intrinsics reference, independently of the dialect:
# which machines have each intrinsic.
NEON = {"armv7-a8", "armv7", "aarch64", "aarch64-dotprod"}
EXPECTED = {
    "vfmaq_f32": {"armv7", "aarch64", "aarch64-dotprod"},
    "vaddvq_f32": {"aarch64", "aarch64-dotprod"},
    "vmaxvq_f32": {"aarch64", "aarch64-dotprod"},
    "vminvq_s32": {"aarch64", "aarch64-dotprod"},
    "vdotq_s32": {"aarch64-dotprod"},
    "vld1q_f32_x4": {"aarch64", "aarch64-dotprod"},
    "vaddq_f16": {"aarch64-dotprod"},
    "vfmaq_f16": {"aarch64-dotprod"},
    "vdivq_f32": {"aarch64", "aarch64-dotprod"},
    "vdivq_f16": {"aarch64-dotprod"},
    "vgetq_lane_f16": {"aarch64-dotprod"},
}


@pytest.mark.parametrize("op,intrinsic", built_ops(), ids=lambda x: getattr(x, "name", x))
def test_availability_table(op, intrinsic):
    want = EXPECTED.get(intrinsic, NEON)
    assert set(op.machines()) == want
    for name in MACHINES:
        module = ModuleOp([op.clone()])
        if name in want:
            check_machine(module, name)
        else:
            with pytest.raises(CompileError, match=f"not available on target '{name}'"):
                check_machine(module, name)


def test_machines_without_neon_reject_everything():
    for op, _ in built_ops():
        for name in ("host", "riscv64", "cortex-m4"):
            assert name not in op.machines()


@pytest.mark.parametrize(
    "build,message",
    [
        (lambda: a.AddOp(v(F32X4), v(I32X4)), "rhs has type vector<4xi32>; expected vector<4xf32>"),
        (lambda: a.MlaOp(v(F16X8), v(F16X8), v(F16X8)), "lhs has type vector<8xf16>; expected one of"),
        (lambda: a.DupOp(v(f16), F32X4), "value has type f16; expected f32"),
        (lambda: a.SdotOp(v(I16X8), v(I8X16), v(I8X16)), "acc has type vector<8xi16>; expected vector<4xi32>"),
        (lambda: a.LoadOp(v(MemRefType(i32, [8])), [v(IndexType())], F32X4),
         "memref has element type i32; expected f32"),
        (lambda: a.LoadLaneOp(v(MemRefType(i8, [32])), [v(IndexType())], v(I8X16), 16),
         "lane 16 is out of range"),
        (lambda: a.CompareOp("ne", v(F32X4), v(F32X4)), "unknown predicate 'ne'"),
        (lambda: a.GetLaneOp(v(F32X2), 2), "lane 2 is out of range for vector<2xf32>"),
        (lambda: a.MlaLaneOp(v(F32X4), v(F32X4), v(F32X4), 0), "rhs has type vector<4xf32>; expected vector<2xf32>"),
        (lambda: a.MlaLaneOp(v(F32X4), v(F32X4), v(F32X2), 2), "lane 2 is out of range for vector<2xf32>"),
        (lambda: a.SetLaneOp(v(i32), v(F32X4), 0), "value has type i32; expected f32"),
        (lambda: a.PairwiseMaxOp(v(F32X4), v(F32X4)), "lhs has type vector<4xf32>; expected one of"),
    ],
)
def test_type_errors_name_the_operand(build, message):
    with pytest.raises(VerifyException, match=message.replace("(", r"\(")):
        build().verify()


def test_pass_reports_position_and_rejects_unknown_target():
    from pelemay_ir.ir import make_context

    ctx = make_context()
    if "arm_simd" not in ctx.registered_dialect_names:
        ctx.register_dialect("arm_simd", lambda: a.ArmSimd)
    module = parse(
        "func.func @f(%x: vector<4xf32>) -> f32 {\n"
        "  %0 = arm_simd.reduce_max %x : vector<4xf32> -> f32\n"
        "  func.return %0 : f32\n}\n",
        "prog.mlir",
        ctx,
    )
    VerifyArmSimdPass(target="aarch64").apply(ctx, module)
    with pytest.raises(CompileError) as e:
        VerifyArmSimdPass(target="armv7").apply(ctx, module)
    assert str(e.value) == (
        "prog.mlir:2:3: error: 'arm_simd.reduce_max' (vmaxvq_f32) is not available on target "
        "'armv7'; machines that have it: aarch64, aarch64-dotprod"
    )
    with pytest.raises(CompileError, match="unknown target 'armv9'; valid targets: host, aarch64"):
        VerifyArmSimdPass(target="armv9").apply(ctx, module)
