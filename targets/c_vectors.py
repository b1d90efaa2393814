"""Portable vectors in C: vector<Wxf32> (and vector<Wxi32> for its bits)
as GCC/Clang vector extensions, one typedef per width, loads and stores
through memcpy, operators for arithmetic, helpers for the rest.
Each handler takes the function printer (targets/c.py) and the op."""

from __future__ import annotations

from collections.abc import Sequence
from xdsl.dialects import arith, vector
from xdsl.ir import Operation, SSAValue

from pelemay_ir.dialects import mask
from pelemay_ir.passes.vector_emitter import shift_amount
from pelemay_ir.targets import c_runtime as rt
from pelemay_ir.targets.c_scalar import nothing
from pelemay_ir.targets.c_types import Unsupported, numpy_dtype


def vector_address(fp, op: Operation, memref_value: SSAValue, indices: Sequence[SSAValue]) -> str:
    """The address of memref[indices] as memcpy takes it (any alignment)."""
    m = fp.memrefs[memref_value]
    if isinstance(op, vector.StoreOp) and m.const:
        raise Unsupported(f"'{op.name}' into a read-only buffer ({m.origin})")
    idx = fp.index(m, list(indices))
    if m.raw:
        return m.expr if idx == "0" else f"{m.expr} + ({idx}) * {numpy_dtype(m.element).itemsize}"
    return f"&{m.expr}[{idx}]"


def _vector_result(fp, op: Operation) -> str:
    """A variable for op's vector result, written through a pointer (memcpy or a helper)."""
    v = op.results[0]
    name = fp.names.fresh(v.name_hint)
    fp.emit(f"{fp.p.ctype(v.type)} {name};")
    fp.exprs[v] = name
    return name


def _vector_load(fp, op: vector.LoadOp) -> None:
    where = vector_address(fp, op, op.base, op.indices)
    name = _vector_result(fp, op)
    fp.emit(f"memcpy(&{name}, {where}, sizeof {name});")


def _vector_store(fp, op: vector.StoreOp) -> None:
    where = vector_address(fp, op, op.base, op.indices)
    fp.emit(f"memcpy({where}, &{fp.expr(op.vector)}, sizeof({fp.p.ctype(op.vector.type)}));")


def _vector_broadcast(fp, op: vector.BroadcastOp) -> None:
    t = op.vector.type
    s = fp.expr(op.source)
    fp.scalar(op, lambda: f"({fp.p.ctype(t)}){{{', '.join([s] * t.get_shape()[0])}}}")


def _vector_bitcast(fp, op: arith.BitcastOp) -> None:
    """A cast between vector types of one size reinterprets the bits (GCC and Clang)."""
    fp.scalar(op, lambda: f"({fp.p.ctype(op.result.type)}){fp.expr(op.input)}")


def _vector_shift_left(fp, op: arith.ShLIOp) -> None:
    """On unsigned lanes, where a left shift is defined for every value."""
    lanes = op.result.type.get_shape()[0]
    unsigned = fp.p.vector_typedef("u32", lanes)
    signed = fp.p.ctype(op.result.type)
    fp.scalar(op, lambda: f"({signed})(({unsigned}){fp.expr(op.lhs)} << {shift_amount(op)})")


def _vector_fma(fp, op: vector.FMAOp) -> None:
    """a * b + c: fused only where the C compiler contracts (docs/c-target.md)."""
    fp.scalar(op, lambda: f"{fp.expr(op.lhs)} * {fp.expr(op.rhs)} + {fp.expr(op.acc)}")


def _vector_binary(symbol: str):
    def handle(fp, op: Operation) -> None:
        fp.scalar(op, lambda: f"{fp.expr(op.lhs)} {symbol} {fp.expr(op.rhs)}")
    return handle


def _vector_negf(fp, op: arith.NegfOp) -> None:
    fp.scalar(op, lambda: f"-{fp.expr(op.operand)}")


_MASK_COMPARES = {
    "oeq": "{a} == {b}", "ogt": "{a} > {b}", "oge": "{a} >= {b}", "olt": "{a} < {b}", "ole": "{a} <= {b}",
    "une": "{a} != {b}", "one": "({a} < {b}) | ({a} > {b})", "ord": "({a} == {a}) & ({b} == {b})",
    "uno": "({a} != {a}) | ({b} != {b})", "ueq": "~(({a} < {b}) | ({a} > {b}))", "ugt": "~({a} <= {b})",
    "uge": "~({a} < {b})", "ult": "~({a} >= {b})", "ule": "~({a} > {b})",
}
"""mask.cmpf's predicates as vector comparisons, which give all-ones lanes where they hold
(and, being ordered, zero lanes where either operand is NaN)."""


def _mask_cmpf(fp, op: mask.CmpfOp) -> None:
    m = fp.p.ctype(op.result.type)
    compare = _MASK_COMPARES[op.predicate.data].format(a=fp.expr(op.lhs), b=fp.expr(op.rhs))
    fp.scalar(op, lambda: f"({m})({compare})")


def _mask_select(fp, op: mask.SelectOp) -> None:
    """On the bits of the lanes: (mask & a) | (~mask & b) (C has no `?:` on vectors)."""
    m = fp.p.ctype(op.mask.type)
    t = fp.p.ctype(op.result.type)
    k, a, b = fp.expr(op.mask), fp.expr(op.lhs), fp.expr(op.rhs)
    fp.scalar(op, lambda: f"({t})(({k} & ({m})({a})) | (~{k} & ({m})({b})))")


def _vector_extract(fp, op: vector.ExtractOp) -> None:
    (lane,) = op.static_position.get_values()
    fp.scalar(op, lambda: f"({fp.expr(op.vector)})[{lane}]")


def _vector_shuffle(fp, op: vector.ShuffleOp) -> None:
    """A compound literal of the lanes taken, which gcc and clang make one shuffle."""
    width = op.v1.type.get_shape()[0]
    lanes = [f"({fp.expr(op.v1)})[{k}]" if k < width else f"({fp.expr(op.v2)})[{k - width}]"
             for k in op.mask.get_values()]
    fp.scalar(op, lambda: f"({fp.p.ctype(op.result.type)}){{{', '.join(lanes)}}}")


def _vector_reduction(fp, op: vector.ReductionOp) -> None:
    v = fp.p.vector(op.vector.type)
    helper = fp.p.helper(rt.vector_reduction(v, op.acc is not None))
    acc = f"{fp.expr(op.acc)}, " if op.acc is not None else ""
    fp.scalar(op, lambda: f"{helper}({acc}&{fp.expr(op.vector)})")


VECTOR_HANDLERS = {
    "vector.load": _vector_load,
    "vector.store": _vector_store,
    "vector.broadcast": _vector_broadcast,
    "vector.fma": _vector_fma,
    "vector.reduction": _vector_reduction,
    "vector.extract": _vector_extract,
    "vector.shuffle": _vector_shuffle,
    "mask.cmpf": _mask_cmpf,
    "mask.select": _mask_select,
    "arith.constant": nothing,
    "arith.addf": _vector_binary("+"),
    "arith.subf": _vector_binary("-"),
    "arith.mulf": _vector_binary("*"),
    "arith.divf": _vector_binary("/"),
    "arith.negf": _vector_negf,
    "arith.bitcast": _vector_bitcast,
    "arith.shli": _vector_shift_left,
    "arith.andi": _vector_binary("&"),
    "arith.ori": _vector_binary("|"),
}
"""Portable vector ops (and arith on vectors), printed with vector extensions."""
