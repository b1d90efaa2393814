"""Portable vectors in C: vector<Wxf32> (and vector<Wxi32> for its bits)
as GCC/Clang vector extensions, one typedef per width, loads and stores
through memcpy, operators for arithmetic, helpers for the rest.
Each handler takes the function printer (targets/c.py) and the op."""

from __future__ import annotations

from collections.abc import Sequence
from xdsl.dialects import arith, vector
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, Float32Type, IntegerAttr, VectorType, i1, i32
from xdsl.ir import Operation, OpResult, SSAValue

from pelemay_ir.dialects import mask
from pelemay_ir.passes.vector_emitter import BITS_OPS, shift_amount
from pelemay_ir.targets import c_runtime as rt
from pelemay_ir.targets.c_scalar import nothing
from pelemay_ir.targets.c_types import PORTABLE_LANES, Unsupported, is_portable_vector, numpy_dtype


_VECTOR_ARITH = ("addf", "subf", "mulf", "divf", "maximumf", "minimumf", "negf")


_ON_BITS = ("arith.constant", *(op.name for op in BITS_OPS), "arith.andi", "arith.ori", "mask.select")
"""The ops that take vector<Wxi32> (and their constant shift amounts)."""

_ON_MASKS = ("mask.cmpf", "mask.select")
"""The ops that make or take vector<Wxi1>, held as vector<Wxi32> of all-ones and zero lanes."""

_REDUCTION_KINDS = ("add",)


def is_vector_op(op: Operation) -> bool:
    """A vector.* or mask.* op, or an arith or math op on vector values (arm_simd ops are not)."""
    if op.name.startswith(("vector.", "mask.")):
        return True
    return op.name.startswith(("arith.", "math.")) and any(
        isinstance(v.type, VectorType) for v in (*op.operands, *op.results)
    )


def check_vector_op(op: Operation) -> None:
    """Raise Unsupported unless `op` is in the portable vector op set on vector<Wxf32>."""
    if op.name not in VECTOR_HANDLERS:
        names = ", ".join(f"arith.{n}" for n in _VECTOR_ARITH)
        raise Unsupported(
            f"'{op.name}' on vectors cannot be printed as C: the C target prints vector arithmetic {names}, "
            "and arith.bitcast and arith.shli (by a constant) on the bits of f32 lanes"
        )
    for v in (*op.operands, *op.results):
        if isinstance(v.type, VectorType) and not is_portable_vector(v.type):
            raise Unsupported(
                f"'{op.name}' on {v.type} cannot be printed as C: portable vectors are vector<Wxf32> "
                f"with W = {', '.join(map(str, PORTABLE_LANES[:-1]))} or {PORTABLE_LANES[-1]}"
            )
        if isinstance(v.type, VectorType) and v.type.element_type == i32 and op.name not in _ON_BITS:
            raise Unsupported(
                f"'{op.name}' on {v.type} cannot be printed as C: i32 vectors are the bits of f32 "
                f"vectors, taken by {', '.join(_ON_BITS)}"
            )
        if isinstance(v.type, VectorType) and v.type.element_type == i1 and op.name not in _ON_MASKS:
            raise Unsupported(f"'{op.name}' on {v.type} cannot be printed as C: i1 vectors are the masks "
                              f"of {', '.join(_ON_MASKS)}")
    if isinstance(op, arith.BitcastOp) and op.input.type.get_shape() != op.result.type.get_shape():
        raise Unsupported("'arith.bitcast' between vectors of different lane counts cannot be printed as C")
    if isinstance(op, arith.ShLIOp) and shift_amount(op) is None:
        raise Unsupported("'arith.shli' on vectors needs a constant splat amount in 0..31")
    if isinstance(op, vector.ReductionOp) and op.kind.data.value not in _REDUCTION_KINDS:
        raise Unsupported(
            f"'vector.reduction <{op.kind.data.value}>' cannot be printed as C: the C target reduces with "
            "<add> (and <maximumf>, <minimumf> as legalize writes them out)"
        )
    if isinstance(op, vector.ExtractOp) and (op.dynamic_position or len(op.static_position.get_values()) != 1):
        raise Unsupported("'vector.extract' takes one constant lane in the C target")
    if isinstance(op, vector.BroadcastOp) and not isinstance(op.source.type, Float32Type):
        raise Unsupported(
            f"'vector.broadcast' of {op.source.type} cannot be printed as C: only an f32 scalar is broadcast"
        )
    if isinstance(op, arith.ConstantOp) and not isinstance(op.value, DenseIntOrFPElementsAttr):
        raise Unsupported(f"'arith.constant' of {op.result.type} needs a dense value")
    if isinstance(op, (vector.LoadOp, vector.StoreOp)):
        _check_vector_access(op)


def _check_vector_access(op: vector.LoadOp | vector.StoreOp) -> None:
    """The W lanes lie along the memref's last dimension; a constant last index must leave room."""
    t = op.base.type
    v = op.result.type if isinstance(op, vector.LoadOp) else op.vector.type
    lanes = v.get_shape()[0]
    shape = t.get_shape()
    if not shape or shape[-1] < lanes:
        raise Unsupported(f"'{op.name}' of {v} from {t}: the {lanes} lanes must fit in the last dimension")
    last = op.indices[-1]
    if isinstance(last, OpResult) and isinstance(last.op, arith.ConstantOp) and isinstance(last.op.value, IntegerAttr):
        at = last.op.value.value.data
        if not 0 <= at <= shape[-1] - lanes:
            raise Unsupported(f"'{op.name}' of {v} at index {at} of {t} is out of bounds")


def _vector_address(fp, op: Operation, memref_value: SSAValue, indices: Sequence[SSAValue]) -> str:
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
    where = _vector_address(fp, op, op.base, op.indices)
    name = _vector_result(fp, op)
    fp.emit(f"memcpy(&{name}, {where}, sizeof {name});")


def _vector_store(fp, op: vector.StoreOp) -> None:
    where = _vector_address(fp, op, op.base, op.indices)
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
