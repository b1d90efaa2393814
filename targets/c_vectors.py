"""Portable vectors in C: vector<Wxf32> (and vector<Wxi32> for its bits)
as GCC/Clang vector extensions, one typedef per width, loads and stores
through memcpy, operators for arithmetic, helpers for the rest.
Each handler takes the function printer (targets/c.py) and the op."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
import numpy as np
from xdsl.dialects import arith, vector
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, Float32Type, FloatAttr, IntegerAttr, VectorType, i32
from xdsl.ir import Operation, OpResult, SSAValue

from pelemay_ir.passes.vector_emitter import BITS_OPS, shift_amount
from pelemay_ir.targets import c_runtime as rt
from pelemay_ir.targets.c_scalar import nothing
from pelemay_ir.targets.c_types import PORTABLE_LANES, Unsupported, is_portable_vector, numpy_dtype


def splat_constant(v: SSAValue) -> float | None:
    """The value in every lane of v when v is a vector.broadcast of a float
    arith.constant or a dense constant vector of one value; else None."""
    if not isinstance(v, OpResult):
        return None
    op = v.op
    if isinstance(op, vector.BroadcastOp):
        src = op.source
        if isinstance(src, OpResult) and isinstance(src.op, arith.ConstantOp) and isinstance(src.op.value, FloatAttr):
            return float(np.float32(src.op.value.value.data))
        return None
    if isinstance(op, arith.ConstantOp) and isinstance(op.value, DenseIntOrFPElementsAttr):
        values = np.asarray(op.value.get_values(), dtype=np.float32)
        if values.size and (values.view(np.uint32) == values.view(np.uint32)[0]).all():
            return float(values[0])
    return None


@dataclass(frozen=True)
class Bound:
    """`arith.maximumf/minimumf x, c` (either order) on portable vectors, c a
    splat constant that is not NaN: `x <predicate> c ? c : x` lane by lane, one
    compare and one select. A NaN x compares false and stays; the predicate
    keeps the sign rule of zeros (max(-0, +0) = +0, min(-0, +0) = -0): a max
    takes c on ties when c has no sign bit, a min when it has one."""

    x: SSAValue
    c: SSAValue
    predicate: str  # "le", "lt", "ge" or "gt"
    relu: bool  # a max with +0: c's bits are zero, so the select is an and-not


def bound_of(op: Operation) -> Bound | None:
    if not isinstance(op, arith.MaximumfOp | arith.MinimumfOp) or not is_portable_vector(op.result.type):
        return None
    for x, c in ((op.lhs, op.rhs), (op.rhs, op.lhs)):
        value = splat_constant(c)
        if value is None or np.isnan(value):
            continue
        is_max = isinstance(op, arith.MaximumfOp)
        negative = bool(np.signbit(value))
        predicate = ("lt" if negative else "le") if is_max else ("ge" if negative else "gt")
        return Bound(x, c, predicate, relu=is_max and value == 0.0 and not negative)
    return None


def relu_input(op: Operation) -> SSAValue | None:
    """x for `arith.maximumf x, zeros` (either order) on portable vectors, where
    zeros is +0.0 in every lane: printed as one compare and one and-not."""
    bound = bound_of(op)
    return bound.x if bound is not None and bound.relu else None


_VECTOR_ARITH = ("addf", "subf", "mulf", "divf", "maximumf", "minimumf", "negf")


_ON_BITS = ("arith.constant", *(op.name for op in BITS_OPS))
"""The ops that take vector<Wxi32> (and their constant shift amounts)."""


_REDUCTION_KINDS = ("add", "maximumf", "minimumf")


def is_vector_op(op: Operation) -> bool:
    """A vector.* op, or an arith or math op on vector values (arm_simd ops are not)."""
    if op.name.startswith("vector."):
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
    if isinstance(op, arith.BitcastOp) and op.input.type.get_shape() != op.result.type.get_shape():
        raise Unsupported("'arith.bitcast' between vectors of different lane counts cannot be printed as C")
    if isinstance(op, arith.ShLIOp) and shift_amount(op) is None:
        raise Unsupported("'arith.shli' on vectors needs a constant splat amount in 0..31")
    if isinstance(op, vector.ReductionOp) and op.kind.data.value not in _REDUCTION_KINDS:
        raise Unsupported(
            f"'vector.reduction <{op.kind.data.value}>' cannot be printed as C: the C target reduces with "
            + ", ".join(f"<{k}>" for k in _REDUCTION_KINDS)
        )
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


def _vector_minmax(name: str):
    def handle(fp, op: Operation) -> None:
        v = fp.p.vector(op.result.type)
        bound = bound_of(op)
        if bound is not None and bound.relu:
            helper = fp.p.helper(rt.vector_relu(v))
            args = f"&{fp.expr(bound.x)}"
        elif bound is not None:
            helper = fp.p.helper(rt.vector_bound(bound.predicate, v))
            args = f"&{fp.expr(bound.x)}, &{fp.expr(bound.c)}"
        else:
            helper = fp.p.helper(rt.vector_minmax(name, v))
            args = f"&{fp.expr(op.lhs)}, &{fp.expr(op.rhs)}"
        result = _vector_result(fp, op)
        fp.emit(f"{helper}(&{result}, {args});")
    return handle


def _vector_reduction(fp, op: vector.ReductionOp) -> None:
    kind = op.kind.data.value
    v = fp.p.vector(op.vector.type)
    if kind != "add":
        fp.p.helper(rt.float_minmax(kind, rt.F32))
    helper = fp.p.helper(rt.vector_reduction(kind, v, op.acc is not None))
    acc = f"{fp.expr(op.acc)}, " if op.acc is not None else ""
    fp.scalar(op, lambda: f"{helper}({acc}&{fp.expr(op.vector)})")


VECTOR_HANDLERS = {
    "vector.load": _vector_load,
    "vector.store": _vector_store,
    "vector.broadcast": _vector_broadcast,
    "vector.fma": _vector_fma,
    "vector.reduction": _vector_reduction,
    "arith.constant": nothing,
    "arith.addf": _vector_binary("+"),
    "arith.subf": _vector_binary("-"),
    "arith.mulf": _vector_binary("*"),
    "arith.divf": _vector_binary("/"),
    "arith.negf": _vector_negf,
    "arith.maximumf": _vector_minmax("maximumf"),
    "arith.minimumf": _vector_minmax("minimumf"),
    "arith.bitcast": _vector_bitcast,
    "arith.shli": _vector_shift_left,
}
"""Portable vector ops (and arith on vectors), printed with vector extensions."""
