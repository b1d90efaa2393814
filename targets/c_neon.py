"""arm_simd ops in C: the arm_neon.h intrinsic each names.
Each handler takes the function printer (targets/c.py) and the op."""

from __future__ import annotations

from xdsl.dialects.builtin import IntegerAttr, MemRefType, VectorType
from xdsl.ir import Attribute, Operation, SSAValue

from pelemay_ir.dialects import arm_simd
from pelemay_ir.targets.c_liveness import STORES
from pelemay_ir.targets.c_types import Unsupported, is_f16, neon_ctype, numpy_dtype, storage_ctype


def _neon_pointer(fp, op: Operation, memref_value: SSAValue, indices: list[SSAValue]) -> str:
    """`&buf[i * 16 + j]`: the address of memref[indices], typed as the
    intrinsic's element pointer (`float16_t *` for f16, stored as uint16_t)."""
    m = fp.memrefs[memref_value]
    writes = type(op) in STORES
    if writes and m.const:
        raise Unsupported(f"'{op.name}' into a read-only buffer ({m.origin})")
    idx = fp.index(m, indices)
    q = "" if writes else "const "
    if m.raw:
        size = numpy_dtype(m.element).itemsize
        where = f"{m.expr} + ({idx}) * {size}" if size > 1 else f"{m.expr} + {idx}"
        return f"({q}{_neon_element(m.element)} *)({q}void *)({where})"
    if is_f16(m.element):
        return f"({q}float16_t *)({q}void *)&{m.expr}[{idx}]"
    return f"&{m.expr}[{idx}]"


def _neon_element(t: Attribute) -> str:
    return "float16_t" if is_f16(t) else storage_ctype(t)


def _arm_simd(fp, op: arm_simd.ArmSimdOp) -> None:
    """Any arm_simd op: its intrinsic called on its operands in order, except
    that a memref and its indices become one element pointer passed first (as
    every NEON load and store takes it), then the constant lane or shift amount if any."""
    args: list[str] = []
    operands = list(op.operands)
    k = 0
    while k < len(operands):
        v = operands[k]
        if isinstance(v.type, MemRefType):
            rank = len(v.type.get_shape())
            args.insert(0, _neon_pointer(fp, op, v, operands[k + 1:k + 1 + rank]))
            k += 1 + rank
        else:
            args.append(fp.expr(v))
            k += 1
    for immediate in ("lane", "amount"):
        value = op.properties.get(immediate)
        if isinstance(value, IntegerAttr):
            args.append(str(value.value.data))
    call = f"{op.intrinsic()}({', '.join(args)})"
    if op.results:
        fp.scalar(op, lambda: call)
    else:
        fp.emit(call + ";")


def _neon_struct_ctype(t: Attribute, count: int = 2) -> str:
    """`float32x4x2_t`: the struct of `count` vectors vld2q / vld1q_x4 return
    and vst2q takes."""
    assert isinstance(t, VectorType)
    return neon_ctype(t).removesuffix("_t") + f"x{count}_t"


_LOAD_X2 = (
    "pl_vld1q_f32_x2",
    "static inline float32x4x2_t pl_vld1q_f32_x2(const float32_t *p)\n"
    "{\n"
    "    /* vld1q_f32_x2, which GCC's AArch32 arm_neon.h (GCC 12) lacks: there its\n"
    "       one instruction, vld1.32 of four D registers, is written out. */\n"
    "#if defined(__aarch64__) || defined(__clang__)\n"
    "    return vld1q_f32_x2(p);\n"
    "#else\n"
    "    union { float32x4x2_t v; __builtin_neon_oi o; } r;\n"
    "    __asm__(\"vld1.32 %h0, [%1]\" : \"=w\"(r.o) : \"r\"(p), \"m\"(*(const float32_t (*)[8])p));\n"
    "    return r.v;\n"
    "#endif\n"
    "}\n",
)
"""load_x2's intrinsic as a helper that every C compiler of a NEON machine builds."""


def _arm_simd_load_struct(fp, op: arm_simd.Load2Op | arm_simd.LoadX2Op | arm_simd.LoadX4Op) -> None:
    """`const float32x4x2_t v = vld2q_f32(p);` whose vectors are v.val[0],
    v.val[1], ... (load2's even and odd halves, load_x2's and load_x4's
    consecutive vectors)."""
    if not fp.live.any_live(op):
        return
    first = op.results[0]
    name = fp.names.fresh(first.name_hint or ("quad" if len(op.results) == 4 else "pair"))
    struct = _neon_struct_ctype(first.type, len(op.results))
    call = fp.p.helper(_LOAD_X2) if isinstance(op, arm_simd.LoadX2Op) else op.intrinsic()
    fp.emit(f"const {struct} {name} = {call}({_neon_pointer(fp, op, op.memref, list(op.indices))});")
    for k, result in enumerate(op.results):
        fp.exprs[result] = f"{name}.val[{k}]"


def _arm_simd_store2(fp, op: arm_simd.Store2Op) -> None:
    pair = _neon_struct_ctype(op.even.type)
    pointer = _neon_pointer(fp, op, op.memref, list(op.indices))
    fp.emit(f"{op.intrinsic()}({pointer}, ({pair}){{{{{fp.expr(op.even)}, {fp.expr(op.odd)}}}}});")


NEON_HANDLERS = {
    **{op.name: _arm_simd for op in arm_simd.OPS},
    "arm_simd.load2": _arm_simd_load_struct,
    "arm_simd.load_x2": _arm_simd_load_struct,
    "arm_simd.load_x4": _arm_simd_load_struct,
    "arm_simd.store2": _arm_simd_store2,
}
"""arm_simd ops by name."""
