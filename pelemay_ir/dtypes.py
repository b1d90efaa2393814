"""The element types Pelemay IR knows: one table from MLIR type to NumPy dtype.

Loop-level code may hold every scalar of `SCALARS` (targets/c_types.py and the
LLVM printer read it); tensors, buffers and weights hold the `TENSOR_ELEMENTS`
among them (what ptensor ops accept and the reference evaluator computes).
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import Float16Type, Float32Type, Float64Type, IndexType, IntegerType
from xdsl.ir import Attribute

SCALARS: dict[str, np.dtype] = {
    "f32": np.dtype(np.float32),
    "f16": np.dtype(np.float16),
    "f64": np.dtype(np.float64),
    "i1": np.dtype(np.bool_),
    "i8": np.dtype(np.int8),
    "i16": np.dtype(np.int16),
    "i32": np.dtype(np.int32),
    "i64": np.dtype(np.int64),
    "index": np.dtype(np.intp),
}
"""Type key -> NumPy dtype of every scalar type (index: the host's pointer width)."""

TENSOR_ELEMENTS = ("f32", "f16", "i32", "i8", "i1")
"""The keys of the element types tensors hold."""


def key(t: Attribute) -> str | None:
    """`f32`, `i8`, `index`, ...: t's key in SCALARS, or None for other types."""
    if isinstance(t, Float32Type):
        return "f32"
    if isinstance(t, Float16Type):
        return "f16"
    if isinstance(t, Float64Type):
        return "f64"
    if isinstance(t, IndexType):
        return "index"
    if isinstance(t, IntegerType) and f"i{t.width.data}" in SCALARS:
        return f"i{t.width.data}"
    return None


def numpy_dtype(elem: Attribute) -> np.dtype:
    """The NumPy dtype of a tensor element type."""
    k = key(elem)
    if k not in TENSOR_ELEMENTS:
        raise ValueError(f"element type {elem} has no NumPy counterpart")
    return SCALARS[k]


def element_type(dtype: np.dtype | type) -> Attribute:
    from xdsl.dialects.builtin import f16, f32, i1, i8, i32

    dt = np.dtype(dtype)
    for k, attr in zip(TENSOR_ELEMENTS, (f32, f16, i32, i8, i1)):
        if SCALARS[k] == dt:
            return attr
    raise ValueError(f"NumPy dtype {dt} is not one of f32, f16, i32, i8, bool")
