"""The element types Pelemay IR knows, and their NumPy and C counterparts."""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import f16, f32, i1, i8, i32
from xdsl.ir import Attribute

_TABLE: list[tuple[Attribute, np.dtype]] = [
    (f32, np.dtype(np.float32)),
    (f16, np.dtype(np.float16)),
    (i32, np.dtype(np.int32)),
    (i8, np.dtype(np.int8)),
    (i1, np.dtype(np.bool_)),
]


def numpy_dtype(elem: Attribute) -> np.dtype:
    for attr, dtype in _TABLE:
        if attr == elem:
            return dtype
    raise ValueError(f"element type {elem} has no NumPy counterpart")


def element_type(dtype: np.dtype | type) -> Attribute:
    dt = np.dtype(dtype)
    for attr, known in _TABLE:
        if known == dt:
            return attr
    raise ValueError(f"NumPy dtype {dt} is not one of f32, f16, i32, i8, bool")
