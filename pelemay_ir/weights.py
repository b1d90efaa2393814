"""Weights kept beside the program text, in one binary file.

A module that uses `ptensor.weight` ops names its weights file in the module
attribute `ptensor.weights` (a path relative to the .mlir file). The file is
the tensors' raw little-endian row-major bytes, each starting at a multiple of
`WEIGHT_ALIGN`; each `ptensor.weight` op gives its tensor's byte offset. The
same file serves the C target's `weights=external` mode unchanged, unless
a pass derived the program's own from it (`derive`: B packed at compile time).

Why not inline `dense<...>` or `dense_resource` blobs: 17 MB of MobileNet
floats become 34 MB of hex text that every tool must lex and keep in memory;
a side file costs nothing to parse and can be mapped from flash as it is.
"""

from __future__ import annotations

import weakref
from pathlib import Path

import numpy as np
from xdsl.dialects.builtin import ModuleOp, StringAttr, TensorType, UnitAttr

from pelemay_ir import dtypes

WEIGHTS_ATTR = "ptensor.weights"
DERIVED_ATTR = "ptensor.weights_derived"
"""Marks a module whose weights a pass made (B packed into its kernel's
layout): the caller passes the compiled program's weights file, not the
model's, so it holds only what the generated code reads (compact)."""
WEIGHT_ALIGN = 64

_blobs: weakref.WeakKeyDictionary[ModuleOp, bytes | np.ndarray] = (
    weakref.WeakKeyDictionary()
)
_origins: weakref.WeakKeyDictionary[ModuleOp, Path] = weakref.WeakKeyDictionary()


class WeightsError(ValueError):
    """The weights file is missing, too short, or not named by the module."""


class WeightsWriter:
    """Collects arrays into one aligned blob and hands out their offsets."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._size = 0

    def add(self, array: np.ndarray) -> int:
        pad = -self._size % WEIGHT_ALIGN
        if pad:
            self._chunks.append(b"\0" * pad)
            self._size += pad
        offset = self._size
        data = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()
        self._chunks.append(data)
        self._size += len(data)
        return offset

    def blob(self) -> bytes:
        return b"".join(self._chunks)


def attach(module: ModuleOp, blob: bytes, file_name: str | None = None) -> None:
    """Give an in-memory module its weights (and the file name it will be saved as)."""
    _blobs[module] = blob
    if file_name is not None:
        module.attributes[WEIGHTS_ATTR] = StringAttr(file_name)


def derive(module: ModuleOp, blob: bytes) -> None:
    """Give a module weights made from its own: held in memory, under a name of
    their own, until written beside an output (`pelemay-opt -o`)."""
    if not derived(module):
        name = Path(module.attributes[WEIGHTS_ATTR].data).name  # pyright: ignore[reportAttributeAccessIssue]
        stem = name[: -len(".weights")] if name.endswith(".weights") else name
        module.attributes[DERIVED_ATTR] = UnitAttr()
        attach(module, blob, f"{stem}.packed.weights")
    else:
        attach(module, blob)


def derived(module: ModuleOp) -> bool:
    return DERIVED_ATTR in module.attributes


def remember_origin(module: ModuleOp, mlir_path: Path) -> None:
    """Record where a parsed module came from, to find its weights file later."""
    _origins[module] = mlir_path.resolve().parent


def inherit_origin(copy: ModuleOp, original: ModuleOp) -> None:
    """A copy of a module finds its weights file where the original would."""
    if original in _origins:
        _origins[copy] = _origins[original]


def weights_path(module: ModuleOp) -> Path | None:
    attr = module.attributes.get(WEIGHTS_ATTR)
    if not isinstance(attr, StringAttr):
        return None
    base = _origins.get(module, Path.cwd())
    return base / attr.data


def blob_of(module: ModuleOp) -> bytes | np.ndarray:
    """The module's weight bytes: attached in memory, or read from its file."""
    if module in _blobs:
        return _blobs[module]
    path = weights_path(module)
    if path is None:
        raise WeightsError(
            f"the module uses ptensor.weight but has no '{WEIGHTS_ATTR}' attribute "
            "naming its weights file"
        )
    if not path.is_file():
        raise WeightsError(f"weights file '{path}' does not exist")
    blob = np.memmap(path, dtype=np.uint8, mode="r") if path.stat().st_size else b""
    _blobs[module] = blob
    return blob


def check_extent(blob: bytes | np.ndarray, key: str, offset: int, size: int) -> None:
    """A weight's bytes lie inside the weights file."""
    if offset + size > len(blob):
        raise WeightsError(
            f"weight '{key}' needs bytes {offset}..{offset + size} but the weights file "
            f"holds {len(blob)} bytes"
        )


def read(module: ModuleOp, key: str, offset: int, type: TensorType) -> np.ndarray:
    """One weight tensor as a NumPy array (a read-only view when memory-mapped)."""
    dtype = dtypes.numpy_dtype(type.element_type)
    shape = tuple(type.get_shape())
    count = int(np.prod(shape, dtype=np.int64))
    blob = blob_of(module)
    check_extent(blob, key, offset, count * dtype.itemsize)
    return np.frombuffer(blob, dtype=dtype.newbyteorder("<"), count=count, offset=offset).reshape(shape)


def save(module: ModuleOp, mlir_path: Path) -> None:
    """Write an in-memory module's weights beside `mlir_path`, as its attribute says."""
    attr = module.attributes.get(WEIGHTS_ATTR)
    if isinstance(attr, StringAttr) and module in _blobs:
        blob = _blobs[module]
        (mlir_path.parent / attr.data).write_bytes(bytes(blob))
