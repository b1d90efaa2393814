"""The C types and literals of loop-level values: how an MLIR type is held
in a C variable and stored in memory (f16 as its bits), and exact literals."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from xdsl.dialects.builtin import (
    DenseIntOrFPElementsAttr,
    Float16Type,
    Float32Type,
    Float64Type,
    IndexType,
    MemRefType,
    Signedness,
    TensorType,
    VectorType,
)
from xdsl.ir import Attribute

from pelemay_ir import dtypes
from pelemay_ir.targets import c_runtime as rt
from pelemay_ir.targets.printable import is_neon_vector, row_major_rule


class Unsupported(Exception):
    """A type the C target cannot represent; turned into a located CompileError."""


def type_key(t: Attribute) -> str:
    """t's key in the one scalar table (pelemay_ir.dtypes), or Unsupported."""
    k = dtypes.key(t)
    if k is not None:
        return k
    if isinstance(t, TensorType):
        raise Unsupported(f"tensor value of type {t}: tensors must be bufferized and lowered to loops before the C target")
    raise Unsupported(f"type {t} is not supported by the C target")


def value_ctype(t: Attribute) -> str:
    """The C type an SSA value of type t is held in (f16 values live in float;
    arm_simd vectors in arm_neon.h's types)."""
    if isinstance(t, VectorType):
        return neon_ctype(t)
    key = type_key(t)
    return {"f32": "float", "f16": "float", "f64": "double", "index": "ptrdiff_t"}.get(
        key, "uint8_t" if key == "i1" else f"int{key[1:]}_t"
    )


def neon_ctype(t: VectorType) -> str:
    """`float32x4_t`, `int8x8_t`, `uint32x4_t`, ...: arm_neon.h's type of a
    64- or 128-bit vector (signless integers are signed, as in arm_simd)."""
    if not is_neon_vector(t):
        raise Unsupported(f"vector type {t} is not a 64- or 128-bit NEON vector")
    elem = t.element_type
    if isinstance(elem, (Float16Type, Float32Type)):
        base, bits = "float", elem.bitwidth
    else:
        bits = elem.width.data
        base = "uint" if elem.signedness.data == Signedness.UNSIGNED else "int"
    return f"{base}{bits}x{t.get_shape()[0]}_t"


def storage_ctype(t: Attribute) -> str:
    """The C type a memref element of type t is stored as (f16 is uint16_t bits)."""
    return "uint16_t" if type_key(t) == "f16" else value_ctype(t)


def numpy_dtype(t: Attribute) -> np.dtype:
    return dtypes.SCALARS[type_key(t)]


def int_info(t: Attribute) -> rt.IntType:
    return rt.INDEX if isinstance(t, IndexType) else rt.int_type(t.width.data)


def float_info(t: Attribute) -> rt.FloatType:
    return {"f32": rt.F32, "f16": rt.F16, "f64": rt.F64}[type_key(t)]


def is_float(t: Attribute) -> bool:
    return isinstance(t, (Float16Type, Float32Type, Float64Type))


def is_f16(t: Attribute) -> bool:
    return isinstance(t, Float16Type)


def memref_shape(t: MemRefType, what: str) -> tuple[int, ...]:
    reason = row_major_rule(t, "c")
    if reason:
        raise Unsupported(f"{what}: {reason}")
    type_key(t.element_type)
    return tuple(t.get_shape())


def count(shape: Iterable[int]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def float_literal(value: float, t: Attribute) -> str:
    """A C literal of exactly the value (shortest round-trip decimal; NAN/INFINITY)."""
    key = type_key(t)
    if np.isnan(value):
        return "NAN"
    if np.isinf(value):
        return "INFINITY" if value > 0 else "(-INFINITY)"
    if key == "f64":
        text = repr(float(value))
        suffix = ""
    else:
        if key == "f16":
            value = float(np.float16(value))
        text = np.format_float_positional(np.float32(value), unique=True, trim="0") if abs(value) == 0 or 1e-4 <= abs(value) < 1e7 \
            else np.format_float_scientific(np.float32(value), unique=True, trim="0")
        suffix = "f"
    if not any(ch in text for ch in ".eE"):
        text += ".0"
    text += suffix
    return f"({text})" if text.startswith("-") else text


def hex_float(value: float, key: str) -> str:
    """The exact hexadecimal literal (C99) of a float or double array element."""
    if np.isnan(value):
        return "NAN"
    if np.isinf(value):
        return "INFINITY" if value > 0 else "-INFINITY"
    text = float(value).hex()
    mantissa, exponent = text.split("p")
    mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
    return f"{mantissa}p{exponent}" + ("" if key == "f64" else "f")


def int_literal(value: int, t: Attribute) -> str:
    info = int_info(t)
    if info.bits == 1:
        return "1" if value & 1 else "0"
    if info is not rt.INDEX:
        value &= (1 << info.bits) - 1
        if value >= 1 << (info.bits - 1):
            value -= 1 << info.bits
        if value == -(1 << (info.bits - 1)) and info.bits >= 32:
            return info.minimum
    text = str(value)
    if info.bits == 64 and not -(2**31) < value < 2**31:
        text = f"INT64_C({value})" if info is not rt.INDEX else f"(ptrdiff_t)INT64_C({value})"
    return f"({text})" if text.startswith("-") else text


def dense_values(init: DenseIntOrFPElementsAttr, key: str, n: int) -> np.ndarray | None:
    raw = init.data.data
    dtype = {"f16": "<u2", "i1": "<i1", "index": "<i8"}.get(key, dtypes.SCALARS[key].newbyteorder("<"))
    arr = np.frombuffer(raw, dtype=dtype)
    if arr.size == 1 and n != 1:
        arr = np.full(n, arr[0], dtype=arr.dtype)
    if arr.size != n:
        return None
    return arr


def c_initialisers(values: np.ndarray, key: str) -> list[str]:
    if values.size == 0:
        return ["0"]
    if key in ("f32", "f64"):
        return [hex_float(float(v), key) for v in values]
    if key == "f16":
        return [f"0x{int(v):04x}" for v in values]
    if key == "i1":
        return ["1" if v else "0" for v in values]
    bits = 64 if key == "index" else int(key[1:])
    out = []
    for v in values.tolist():
        if v == -(1 << (bits - 1)) and bits >= 32:
            out.append(f"INT{bits}_MIN" if key != "index" else "PTRDIFF_MIN")
        elif bits == 64 and not -(2**31) < v < 2**31:
            out.append(f"INT64_C({v})")
        else:
            out.append(str(v))
    return out
