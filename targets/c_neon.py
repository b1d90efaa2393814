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


def _neon_pair_ctype(t: Attribute) -> str:
    """`float32x4x2_t`: the struct of two vectors vld2q returns and vst2q takes."""
    assert isinstance(t, VectorType)
    return neon_ctype(t).removesuffix("_t") + "x2_t"


def _arm_simd_load2(fp, op: arm_simd.Load2Op) -> None:
    """`const float32x4x2_t v = vld2q_f32(p);` whose halves are v.val[0] and v.val[1]."""
    if not fp.live.any_live(op):
        return
    name = fp.names.fresh(op.even.name_hint or "pair")
    pair = _neon_pair_ctype(op.even.type)
    fp.emit(f"const {pair} {name} = {op.intrinsic()}({_neon_pointer(fp, op, op.memref, list(op.indices))});")
    fp.exprs[op.even], fp.exprs[op.odd] = f"{name}.val[0]", f"{name}.val[1]"


def _arm_simd_store2(fp, op: arm_simd.Store2Op) -> None:
    pair = _neon_pair_ctype(op.even.type)
    pointer = _neon_pointer(fp, op, op.memref, list(op.indices))
    fp.emit(f"{op.intrinsic()}({pointer}, ({pair}){{{{{fp.expr(op.even)}, {fp.expr(op.odd)}}}}});")


NEON_HANDLERS = {
    **{op.name: _arm_simd for op in arm_simd.OPS},
    "arm_simd.load2": _arm_simd_load2,
    "arm_simd.store2": _arm_simd_store2,
}
"""arm_simd ops by name."""
