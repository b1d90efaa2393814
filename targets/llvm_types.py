"""How the llvm target names and types things: LLVM types of MLIR types, the
machine's NEON family and f16 storage, global names and exact literals, and
a memref as a base pointer, an offset and static strides."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

import numpy as np
from xdsl.dialects.builtin import Float16Type, Float32Type, Float64Type, IndexType, IntegerType, MemRefType
from xdsl.ir import Attribute

from pelemay_ir.ir import CompileError
from pelemay_ir.machines import Machine
from pelemay_ir.machines import machine as machine_named


def native_host() -> bool:
    """Whether host code is built for the CPU running it (machines.py gives the
    host `-march=native` when it has a vector unit to vectorize for)."""
    return "-march=native" in machine_named("host").cflags


SOURCE_ATTR = "pelemay.source"  # the ptensor op a loop nest was lowered from


def neon_family(m: Machine) -> str | None:
    """Whose NEON intrinsics the machine takes: `aarch64` (llvm.aarch64.neon.*),
    `arm` (llvm.arm.neon.*, ARMv7), or None (no NEON)."""
    if m.llvm.triple.startswith("aarch64"):
        return "aarch64"
    if m.llvm.triple.startswith("armv7") and "+neon" in m.llvm.features.split(","):
        return "arm"
    return None


def machine(name: str) -> Machine:
    """The machine called `name`, which the llvm target prints for."""
    m = machine_named(name)
    if m.llvm is None:
        raise CompileError(f"target '{name}' has no LLVM description in pelemay_ir.machines")
    return m


def half_storage(m: Machine) -> str:
    """How an f16 sits in memory: LLVM's half where the machine converts it in
    hardware, else its bits as i16 converted by HELPERS (no runtime library)."""
    return "half" if m.llvm.half_conversions else "i16"


_NAME = re.compile(r"[-a-zA-Z$._][-a-zA-Z$._0-9]*\Z")


def global_name(sym: str) -> str:
    if _NAME.match(sym):
        return "@" + sym
    escaped = "".join(c if c.isprintable() and c not in '"\\' else f"\\{ord(c):02X}" for c in sym)
    return f'@"{escaped}"'


def float_literal(value: float, t: Attribute) -> str:
    """LLVM's exact hexadecimal form (half as 0xH, float and double as the double's bits)."""
    if isinstance(t, Float16Type):
        return f"0xH{int(np.float16(value).view(np.uint16)):04X}"
    if isinstance(t, Float32Type):
        value = float(np.float32(value))
    return "0x" + struct.pack(">d", value).hex().upper()


def float_array_literals(data: bytes, t: Attribute, half_storage: str) -> list[str]:
    if isinstance(t, Float16Type):
        bits = np.frombuffer(data, "<u2")
        if half_storage == "i16":
            return [str(int(b) - 65536 if b >= 32768 else int(b)) for b in bits]
        return [f"0xH{int(b):04X}" for b in bits]
    if isinstance(t, Float32Type):
        wide = np.frombuffer(data, "<f4").astype(np.float64).view(np.uint64)
    else:
        wide = np.frombuffer(data, "<u8")
    return [f"0x{int(b):016X}" for b in wide]


def is_float(t: Attribute) -> bool:
    return isinstance(t, Float16Type | Float32Type | Float64Type)


def float_bits(t: Attribute) -> int:
    return {Float16Type: 16, Float32Type: 32, Float64Type: 64}[type(t)]


def int_bits(t: Attribute, m: Machine) -> int:
    if isinstance(t, IndexType):
        return m.pointer_bits
    assert isinstance(t, IntegerType)
    return t.width.data


@dataclass
class MemRefValue:
    """A memref as MLIR's bare-pointer convention holds it: the base pointer,
    the element offset from it (an int, or an index value's text) and static strides."""

    base: str
    offset: int | str
    type: MemRefType
