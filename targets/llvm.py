"""The `llvm` target: textual LLVM IR printed straight from the loop level.

Input is what `convert-pbuf-to-loops` leaves: `func`, `scf`, `memref`, `arith`
and `math` ops on static memrefs, one function marked `pelemay.entry`, the
arena and (with external weights) the weights blob as `memref<Nxi8>`
arguments. Output is one LLVM module (opaque pointers, LLVM 16 syntax) for one
machine of the vocabulary (docs/design.md), exporting what the C target exports:

    i32 @mlp_run([ptr %weights,] ptr %in0, ..., ptr %out0, ..., ptr %arena)
    @mlp_arena_bytes, @mlp_arena_align [, @mlp_weights_bytes, @mlp_weights_align]: constant i64

Why a direct printer and not xDSL's llvm dialect: xDSL 0.74 has no
func/arith/scf/math -> llvm conversions, and a printer that walks the loop
level once is smaller than writing those four conversions, keeps every op's
source position at hand for diagnostics, and gives the exact semantics of
docs/semantics.md (wrapping, guarded division, saturating casts,
NaN-propagating max/min) without a round trip through another dialect.
Vectors: the portable vector ops (`vector.load/store/broadcast/fma/reduction`
and `arith` float arithmetic on `vector<Wxf32>`) print as LLVM vector IR for
every machine; `arm_simd` ops print as the same vector IR or as the
`llvm.aarch64.neon.*` / `llvm.arm.neon.*` intrinsic of the machine's NEON, and
only for a machine that has them. docs/llvm-target.md describes the output.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from xdsl.dialects import arith, func, math, memref, scf, vector
from xdsl.dialects.builtin import (
    DenseIntOrFPElementsAttr,
    Float16Type,
    Float32Type,
    Float64Type,
    FloatAttr,
    IndexType,
    IntegerAttr,
    IntegerType,
    MemRefType,
    ModuleOp,
    NoneAttr,
    StringAttr,
    TensorType,
    VectorType,
    i32,
)
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue

from pelemay_ir.dialects import arm_simd, parallel
from pelemay_ir.dialects.index import SizeOfOp
from pelemay_ir.ir import CompileError, location_of
from pelemay_ir.machines import Machine
from pelemay_ir.machines import machine as machine_named
from pelemay_ir.passes.vector_emitter import deinterleave_masks, interleave_mask, shift_amount
from pelemay_ir.passes.verify_arm_simd import check_machine
from pelemay_ir.passes.legalize import legalized
from pelemay_ir.targets import abi
from pelemay_ir.targets import c_names
from pelemay_ir.targets import c_vectors
from pelemay_ir.targets.llvm_runtime import (
    F16_TO_F32,
    F32_TO_F16,
    FMA_LANES,
    HELPERS,
    PARALLEL_FOR,
    TEAM_STOP,
    TEAM_TYPE,
    team_runtime,
    team_types,
)

# -- machines ---------------------------------------------------------------------


def native_host() -> bool:
    """Whether host code is built for the CPU running it (machines.py gives the
    host `-march=native` when it has a vector unit to vectorize for)."""
    return "-march=native" in machine_named("host").cflags


# Return codes of `<name>_run`: the C target's (docs/c-target.md).
_CODES = {name: value for name, value, _ in abi.ERROR_CODES}
RUN_OK = _CODES["PELEMAY_OK"]
RUN_NULL_POINTER = _CODES["PELEMAY_ERR_NULL"]
RUN_MISALIGNED = _CODES["PELEMAY_ERR_ALIGN"]
RUN_BAD_INPUT = _CODES["PELEMAY_ERR_INPUT"]

ENTRY_ATTR = abi.ENTRY_ATTR
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


# -- literals and names -------------------------------------------------------------

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


def _float_array_literals(data: bytes, t: Attribute, half_storage: str) -> list[str]:
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


# -- memrefs ------------------------------------------------------------------------


@dataclass
class MemRefValue:
    """A memref as MLIR's bare-pointer convention holds it: the base pointer,
    the element offset from it (an int, or an index value's text) and static strides."""

    base: str
    offset: int | str
    type: MemRefType


# -- function printer ----------------------------------------------------------------


_INT_BINARY = {
    arith.AddiOp: "add", arith.SubiOp: "sub", arith.MuliOp: "mul",
    arith.AndIOp: "and", arith.OrIOp: "or", arith.XOrIOp: "xor",
}
_FLOAT_BINARY = {arith.AddfOp: "fadd", arith.SubfOp: "fsub", arith.MulfOp: "fmul", arith.DivfOp: "fdiv"}
_INT_MINMAX = {arith.MaxSIOp: "smax", arith.MinSIOp: "smin", arith.MaxUIOp: "umax", arith.MinUIOp: "umin"}
_CASTS = {
    arith.ExtFOp: "fpext", arith.TruncFOp: "fptrunc", arith.SIToFPOp: "sitofp",
    arith.UIToFPOp: "uitofp", arith.ExtSIOp: "sext", arith.ExtUIOp: "zext",
    arith.TruncIOp: "trunc", arith.BitcastOp: "bitcast",
}
_FLOAT_INTRINSIC_UNARY = {
    math.ExpOp: "exp", math.Exp2Op: "exp2", math.LogOp: "log", math.Log2Op: "log2",
    math.Log10Op: "log10", math.SqrtOp: "sqrt", math.SinOp: "sin", math.CosOp: "cos",
    math.FloorOp: "floor", math.CeilOp: "ceil", math.TruncOp: "trunc", math.RoundOp: "round",
    math.RoundEvenOp: "roundeven", math.AbsFOp: "fabs",
}
_FLOAT_INTRINSIC_BINARY = {
    math.PowFOp: "pow", math.CopySignOp: "copysign",
    arith.MaxnumfOp: "maxnum", arith.MinnumfOp: "minnum",
}
_LIBM_UNARY = {
    math.TanhOp: "tanh", math.ErfOp: "erf", math.AtanOp: "atan", math.AsinOp: "asin",
    math.AcosOp: "acos", math.TanOp: "tan", math.SinhOp: "sinh", math.CoshOp: "cosh",
    math.ExpM1Op: "expm1", math.Log1pOp: "log1p", math.CbrtOp: "cbrt",
    math.AsinhOp: "asinh", math.AcoshOp: "acosh", math.AtanhOp: "atanh",
}
_LIBM_BINARY = {math.Atan2Op: "atan2"}
_INT_INTRINSIC_UNARY = {math.CountLeadingZerosOp: "ctlz", math.CountTrailingZerosOp: "cttz",
                        math.CtPopOp: "ctpop"}


_FRESH = re.compile(r"(v|i|acc|w|p|ix|scratch)[0-9]+\Z|entry\Z")
"""The names the printer makes up (labels have a dot); an argument named like them is renamed."""
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class FunctionPrinter:
    """Prints one func.func: structured control flow becomes blocks and phis."""

    def __init__(self, module: ModulePrinter, op: func.FuncOp, name: str, linkage: str):
        self.module = module
        self.m = module.machine
        self.op = op
        self.name = name
        self.linkage = linkage
        self.lines: list[str | None] = []
        self.values: dict[SSAValue, str] = {}
        self.ints: dict[SSAValue, int] = {}  # integer constants, for folding addresses
        self.memrefs: dict[SSAValue, MemRefValue] = {}
        self.counter = 0
        self.block = "entry"
        self.allocas: list[str] = []
        self.fma_slots: dict[str, list[str]] = {}  # vector type -> FMA_LANES' out, a, b, c
        self.location_stack: list[str | None] = [None]
        self.half_of: dict[str, str] = {}  # float value -> the f16 it was widened from
        self.team: str | None = None  # the team of threads, once a parallel.for needs it

    # -- helpers --------------------------------------------------------------------

    def fresh(self, hint: str = "v") -> str:
        self.counter += 1
        return f"%{hint}{self.counter}"

    def label(self, hint: str) -> str:
        self.counter += 1
        return f"{hint}{self.counter}"

    def inst(self, text: str) -> None:
        self.lines.append("  " + text)

    def emit(self, text: str, hint: str = "v") -> str:
        name = self.fresh(hint)
        self.inst(f"{name} = {text}")
        return name

    def start_block(self, label: str) -> None:
        self.lines.append(f"{label}:")
        self.block = label

    def error(self, op: Operation, message: str) -> CompileError:
        return CompileError(f"'{op.name}' op {message}", location_of(op))

    def ty(self, t: Attribute, op: Operation | None = None) -> str:
        if isinstance(t, IntegerType):
            return f"i{t.width.data}"
        if isinstance(t, IndexType):
            return f"i{self.m.pointer_bits}"
        if isinstance(t, Float32Type):
            return "float"
        if isinstance(t, Float16Type):
            return "float"  # f16 values live in float, rounded to f16 (docs/semantics.md)
        if isinstance(t, Float64Type):
            return "double"
        if isinstance(t, MemRefType):
            return "ptr"
        if isinstance(t, VectorType) and t.get_num_dims() == 1 and not t.get_num_scalable_dims():
            return f"<{t.get_shape()[0]} x {self.lane_ty(t.element_type, op)}>"
        where = op or self.op
        raise self.error(where, f"uses type {t}, which the llvm target cannot print")

    def lane_ty(self, t: Attribute, op: Operation | None) -> str:
        """A vector lane: as a scalar, except that f16 lanes are LLVM's half (a
        vector of f16 is real FP16 arithmetic, aarch64-dotprod only)."""
        if isinstance(t, Float16Type):
            return "half"
        if isinstance(t, IntegerType | IndexType | Float32Type | Float64Type):
            return self.ty(t, op)
        raise self.error(op or self.op, f"uses vectors of {t}, which the llvm target cannot print")

    def storage_ty(self, t: Attribute, op: Operation) -> str:
        """How an element sits in memory: i1 as one byte, as NumPy's bool."""
        if isinstance(t, IntegerType) and t.width.data == 1:
            return "i8"
        if isinstance(t, Float16Type):
            return half_storage(self.m)
        return self.ty(t, op)

    def val(self, v: SSAValue, op: Operation) -> str:
        if v in self.values:
            return self.values[v]
        if v in self.memrefs:
            return self.memref_pointer(v, op)
        raise self.error(op, "uses a value the llvm target did not print (an unsupported producer)")

    def bind(self, v: SSAValue, text: str) -> None:
        if isinstance(v.type, MemRefType):
            self.memrefs[v] = MemRefValue(text, self.static_offset(v.type, v), v.type)
        else:
            self.values[v] = text

    def static_offset(self, t: MemRefType, v: SSAValue) -> int:
        offset = t.get_offset()
        if offset is None:
            owner = v.owner if isinstance(v.owner, Operation) else self.op
            raise self.error(owner, f"has a memref with a dynamic offset ({t}); the llvm target needs static layouts")
        return offset

    def strides(self, t: MemRefType, op: Operation) -> list[int]:
        strides = t.get_strides()
        if strides is None or any(s is None for s in strides):
            raise self.error(op, f"uses {t}, whose strides are not static")
        return [int(s) for s in strides]  # pyright: ignore[reportArgumentType]

    def index_ty(self) -> str:
        return f"i{self.m.pointer_bits}"

    def add_index(self, a: int | str, b: int | str) -> int | str:
        if isinstance(a, int) and isinstance(b, int):
            return a + b
        if a == 0:
            return b
        if b == 0:
            return a
        return self.emit(f"add nsw {self.index_ty()} {a}, {b}", "ix")

    def mul_index(self, a: int | str, k: int) -> int | str:
        if isinstance(a, int):
            return a * k
        if k == 1:
            return a
        if k == 0:
            return 0
        return self.emit(f"mul nsw {self.index_ty()} {a}, {k}", "ix")

    def index_operand(self, v: SSAValue, op: Operation) -> int | str:
        if v in self.ints:
            return self.ints[v]
        return self.val(v, op)

    def gep(self, elem: str, base: str, offset: int | str) -> str:
        if offset == 0:
            return base
        return self.emit(f"getelementptr inbounds {elem}, ptr {base}, {self.index_ty()} {offset}", "p")

    def memref_pointer(self, v: SSAValue, op: Operation) -> str:
        """The pointer a callee (or a phi) receives: the base, such that the
        memref type's own static offset finds the first element."""
        mv = self.memrefs[v]
        want = self.static_offset(mv.type, v)
        if mv.offset == want:
            return mv.base
        delta = mv.offset - want if isinstance(mv.offset, int) else self.add_index(mv.offset, -want)
        return self.gep(self.storage_ty(mv.type.element_type, op), mv.base, delta)

    def address(self, v: SSAValue, indices: Sequence[SSAValue], op: Operation) -> tuple[str, str]:
        mv = self.memrefs.get(v)
        if mv is None:
            raise self.error(op, "accesses a memref the llvm target did not print")
        elem = self.storage_ty(mv.type.element_type, op)
        linear: int | str = mv.offset
        for index, stride in zip(indices, self.strides(mv.type, op)):
            linear = self.add_index(linear, self.mul_index(self.index_operand(index, op), stride))
        return self.gep(elem, mv.base, linear), elem

    def align_of(self, t: Attribute) -> int:
        if isinstance(t, IntegerType):
            return max(1, (t.width.data + 7) // 8)
        if isinstance(t, IndexType):
            return self.m.pointer_bits // 8
        return float_bits(t) // 8

    def call_intrinsic(self, name: str, ret: str, args: Sequence[tuple[str, str]]) -> str:
        self.module.declare(f"declare {ret} @{name}({', '.join(t for t, _ in args)})")
        return self.emit(f"call {ret} @{name}({', '.join(f'{t} {a}' for t, a in args)})")

    # -- f16 ------------------------------------------------------------------------

    def half_to_float(self, stored: str) -> str:
        """An f16 in memory (half, or its bits as i16) as the float that holds it."""
        if self.m.llvm.half_conversions:
            value = self.emit(f"fpext half {stored} to float")
        else:
            self.module.use_helper(F16_TO_F32)
            value = self.emit(f"call float @{F16_TO_F32}(i16 {stored})")
        self.half_of[value] = stored  # so storing it again needs no conversion
        return value

    def float_to_half(self, value: str) -> str:
        """A float rounded to f16 (nearest even, overflow to infinity), as stored."""
        if value in self.half_of:
            return self.half_of[value]
        if self.m.llvm.half_conversions:
            return self.emit(f"fptrunc float {value} to half")
        self.module.use_helper(F32_TO_F16)
        return self.emit(f"call i16 @{F32_TO_F16}(float {value})")

    def rounded(self, op: Operation, value: str) -> str:
        """An op's result: computed in float, rounded once if its type is f16."""
        if isinstance(op.results[0].type, Float16Type):
            return self.half_to_float(self.float_to_half(value))
        return value

    # -- functions ------------------------------------------------------------------

    def print(self) -> list[str]:
        op = self.op
        ftype = op.function_type
        results = [self.ty(t, op) for t in ftype.outputs.data]
        ret = self.return_type(results)
        if not op.body.blocks:
            params = ", ".join(self.ty(t, op) for t in ftype.inputs.data)
            return [f"declare {ret} {self.name}({params})", ""]
        if len(op.body.blocks) > 1:
            raise self.error(op, "has more than one block; the llvm target prints structured (scf) control flow only")
        block = op.body.blocks[0]
        params, taken = [], set()
        for i, arg in enumerate(block.args):
            hint = arg.name_hint
            if not hint or not _PLAIN.match(hint) or _FRESH.match(hint) or hint in taken:
                hint = f"arg{i}"
            while hint in taken:
                hint += "_"
            taken.add(hint)
            params.append(f"{self.ty(arg.type, op)} %{hint}")
            self.bind(arg, f"%{hint}")
        self.lines.append(f"define {self.linkage}{ret} {self.name}({', '.join(params)}) #0 {{")
        self.lines.append("entry:")
        alloca_slot = len(self.lines)
        self.lines.append(None)  # scratch buffers, known once the body is printed
        self.print_block(block)
        self.lines[alloca_slot] = "\n".join(self.allocas) or None
        self.lines.append("}")
        self.lines.append("")
        return [line for line in self.lines if line is not None]

    @staticmethod
    def return_type(results: list[str]) -> str:
        if not results:
            return "void"
        if len(results) == 1:
            return results[0]
        return "{ " + ", ".join(results) + " }"

    def print_block(self, block: Block) -> None:
        for op in block.ops:
            self.print_op(op)

    def print_region_body(self, region: Region, args: Sequence[str]) -> list[SSAValue]:
        """Print a single-block region with its arguments bound; returns the
        operands of its terminator (scf.yield / scf.condition args)."""
        block = region.blocks[0]
        for arg, text in zip(block.args, args, strict=True):
            self.bind(arg, text)
        ops = list(block.ops)
        for op in ops[:-1]:
            self.print_op(op)
        term = ops[-1]
        if isinstance(term, scf.YieldOp):
            return list(term.arguments)
        if isinstance(term, scf.ConditionOp):
            return [term.condition, *term.args]
        raise self.error(term, "is not a terminator the llvm target knows")

    # -- ops ------------------------------------------------------------------------

    def print_op(self, op: Operation) -> None:
        handler = _HANDLERS.get(type(op))
        if handler is None:
            raise unprintable(op)
        if not op.regions and SOURCE_ATTR not in op.attributes:
            handler(self, op)
            return
        # A loop nest says which source op it computes, as the C target's comments do.
        where = c_names.describe_location(op.location)
        source = op.attributes.get(SOURCE_ATTR)
        if isinstance(source, StringAttr) and where and not where.startswith(source.data):
            where = f"{source.data} at {where}"
        if where and where != self.location_stack[-1]:
            self.lines.append(f"  ; {where}")
        self.location_stack.append(where or self.location_stack[-1])
        handler(self, op)
        self.location_stack.pop()

    def results(self, op: Operation, text: str) -> None:
        self.bind(op.results[0], text)

    # arith

    def p_constant(self, op: arith.ConstantOp) -> None:
        value, t = op.value, op.result.type
        if isinstance(value, IntegerAttr) and isinstance(t, IntegerType | IndexType):
            bits = int_bits(t, self.m)
            n = value.value.data
            n = (n + (1 << (bits - 1))) % (1 << bits) - (1 << (bits - 1)) if bits > 1 else n & 1
            self.ints[op.result] = n
            self.values[op.result] = ("true" if n else "false") if bits == 1 else str(n)
            return
        if isinstance(value, FloatAttr) and is_float(t):
            v = value.value.data
            if isinstance(t, Float16Type):
                v, t = float(np.float16(v)), Float32Type()
            self.values[op.result] = float_literal(v, t)
            return
        if isinstance(value, DenseIntOrFPElementsAttr) and isinstance(t, VectorType):
            self.values[op.result] = self.vector_literal(value, t, op)
            return
        raise self.error(op, f"has a value ({value}) the llvm target cannot print; only scalar and vector constants")

    def operands(self, op: Operation) -> list[str]:
        return [self.val(v, op) for v in op.operands]

    def p_int_binary(self, op: Operation) -> None:
        a, b = self.operands(op)
        t = self.ty(op.results[0].type, op)
        self.results(op, self.emit(f"{_INT_BINARY[type(op)]} {t} {a}, {b}"))

    def p_float_binary(self, op: Operation) -> None:
        a, b = self.operands(op)
        t = self.ty(op.results[0].type, op)
        self.results(op, self.rounded(op, self.emit(f"{_FLOAT_BINARY[type(op)]} {t} {a}, {b}")))

    def p_int_minmax(self, op: Operation) -> None:
        a, b = self.operands(op)
        t = self.ty(op.results[0].type, op)
        self.results(op, self.call_intrinsic(f"llvm.{_INT_MINMAX[type(op)]}.{t}", t, [(t, a), (t, b)]))

    def p_division(self, op: Operation) -> None:
        """On operands `legalize` made safe (pelemay.defined)."""
        a, b = self.operands(op)
        t = self.ty(op.results[0].type, op)
        instr = {arith.DivSIOp: "sdiv", arith.RemSIOp: "srem", arith.DivUIOp: "udiv", arith.RemUIOp: "urem"}[type(op)]
        self.results(op, self.emit(f"{instr} {t} {a}, {b}"))

    def p_shift(self, op: Operation) -> None:
        """By an amount below the width (legalize; on vectors a splat constant, check_portable_arith)."""
        a, b = self.operands(op)
        t = self.ty(op.results[0].type, op)
        instr = {arith.ShLIOp: "shl", arith.ShRUIOp: "lshr", arith.ShRSIOp: "ashr"}[type(op)]
        self.results(op, self.emit(f"{instr} {t} {a}, {b}"))

    def p_index_sizeof(self, op: SizeOfOp) -> None:
        self.ints[op.result] = self.m.pointer_bits
        self.results(op, str(self.m.pointer_bits))

    def p_cmpi(self, op: arith.CmpiOp) -> None:
        a, b = self.operands(op)
        pred = arith.CMPI_COMPARISON_OPERATIONS[op.predicate.value.data]
        self.results(op, self.emit(f"icmp {pred} {self.ty(op.lhs.type, op)} {a}, {b}"))

    def p_cmpf(self, op: arith.CmpfOp) -> None:
        a, b = self.operands(op)
        pred = arith.CMPF_COMPARISON_OPERATIONS[op.predicate.value.data]
        self.results(op, self.emit(f"fcmp {pred} {self.ty(op.lhs.type, op)} {a}, {b}"))

    def p_select(self, op: arith.SelectOp) -> None:
        c, a, b = self.operands(op)
        t = self.ty(op.result.type, op)
        self.results(op, self.emit(f"select i1 {c}, {t} {a}, {t} {b}"))

    def p_negf(self, op: arith.NegfOp) -> None:
        (a,) = self.operands(op)
        self.results(op, self.emit(f"fneg {self.ty(op.result.type, op)} {a}"))

    def p_float_minmax(self, op: Operation) -> None:
        """maximumf/minimumf: a NaN operand gives NaN (the first NaN), and -0 < +0.
        A select sequence: LLVM 16 cannot lower llvm.maximum on x86, ARM or RISC-V.
        With a constant (c_vectors.Bound: a relu, a clamp) it needs only one
        compare and one select: `x P c ? c : x`."""
        rt = op.results[0].type
        t = self.ty(rt, op)
        bound = c_vectors.bound_of(op)
        if bound is not None:
            x = self.val(bound.x, op)
            c = "zeroinitializer" if bound.relu else self.val(bound.c, op)
            cond = f"<{rt.get_shape()[0]} x i1>"
            take = self.emit(f"fcmp o{bound.predicate} {t} {x}, {c}")
            self.results(op, self.emit(f"select {cond} {take}, {t} {c}, {t} {x}"))
            return
        a, b = self.operands(op)
        lanes = rt.get_shape()[0] if isinstance(rt, VectorType) else None
        lane_t = self.lane_ty(rt.element_type, op) if isinstance(rt, VectorType) else t
        self.results(op, self.float_minmax(a, b, lane_t, lanes, isinstance(op, arith.MaximumfOp)))

    def float_minmax(self, a: str, b: str, lane_t: str, lanes: int | None, is_max: bool) -> str:
        """The NaN-propagating max/min of two floats, or lane by lane of two
        `<lanes x lane_t>` vectors (the same sequence on vector types)."""
        def of(elem: str) -> str:
            return f"<{lanes} x {elem}>" if lanes else elem

        t, cond = of(lane_t), of("i1")
        width = {"double": 64, "half": 16}.get(lane_t, 32)
        bits_t, zero = of(f"i{width}"), ("zeroinitializer" if lanes else "0")
        pick = self.emit(f"fcmp {'ogt' if is_max else 'olt'} {t} {a}, {b}")
        larger = self.emit(f"select {cond} {pick}, {t} {a}, {t} {b}")
        equal = self.emit(f"fcmp oeq {t} {a}, {b}")
        bits = self.emit(f"bitcast {t} {a} to {bits_t}")
        negative = self.emit(f"icmp slt {bits_t} {bits}, {zero}")
        tie = (
            self.emit(f"select {cond} {negative}, {t} {b}, {t} {a}")
            if is_max
            else self.emit(f"select {cond} {negative}, {t} {a}, {t} {b}")
        )
        ordered = self.emit(f"select {cond} {equal}, {t} {tie}, {t} {larger}")
        b_nan = self.emit(f"fcmp uno {t} {b}, {b}")
        with_b = self.emit(f"select {cond} {b_nan}, {t} {b}, {t} {ordered}")
        a_nan = self.emit(f"fcmp uno {t} {a}, {a}")
        return self.emit(f"select {cond} {a_nan}, {t} {a}, {t} {with_b}")

    def p_cast(self, op: Operation) -> None:
        (a,) = self.operands(op)
        src, dst = op.operands[0].type, op.results[0].type
        st, dt = self.ty(src, op), self.ty(dst, op)
        if isinstance(op, arith.BitcastOp) and isinstance(src, Float16Type):
            stored = self.float_to_half(a)  # the f16's bits
            self.results(op, stored if stored.startswith("%") and not self.m.llvm.half_conversions
                         else self.emit(f"bitcast half {stored} to i16"))
            return
        if isinstance(op, arith.BitcastOp) and isinstance(dst, Float16Type):
            stored = a if not self.m.llvm.half_conversions else self.emit(f"bitcast i16 {a} to half")
            self.results(op, self.half_to_float(stored))
            return
        if st == dt:  # f16 <-> f32: the float already holds the f16 value
            self.results(op, self.rounded(op, a))
            return
        value = self.emit(f"{_CASTS[type(op)]} {st} {a} to {dt}")
        self.results(op, self.rounded(op, value))

    def p_index_cast(self, op: Operation) -> None:
        (a,) = self.operands(op)
        src, dst = op.operands[0].type, op.results[0].type
        sb, db = int_bits(src, self.m), int_bits(dst, self.m)
        if sb == db:
            self.results(op, a)
            if op.operands[0] in self.ints:
                self.ints[op.results[0]] = self.ints[op.operands[0]]
            return
        if sb > db:
            instr = "trunc"
        else:
            instr = "sext"
        self.results(op, self.emit(f"{instr} {self.ty(src, op)} {a} to {self.ty(dst, op)}"))

    def p_fptoint(self, op: Operation) -> None:
        """Of a value in range (legalize)."""
        (a,) = self.operands(op)
        src, dst = self.ty(op.operands[0].type, op), self.ty(op.results[0].type, op)
        kind = "fptosi" if isinstance(op, arith.FPToSIOp) else "fptoui"
        self.results(op, self.emit(f"{kind} {src} {a} to {dst}"))

    # math

    def p_float_intrinsic(self, op: Operation) -> None:
        args = self.operands(op)
        t = self.ty(op.results[0].type, op)
        name = (_FLOAT_INTRINSIC_UNARY | _FLOAT_INTRINSIC_BINARY)[type(op)]
        intrinsic = "rint" if name == "roundeven" and not self.m.llvm.libm_roundeven else name
        value = self.call_intrinsic(f"llvm.{intrinsic}.{_suffix(t)}", t, [(t, a) for a in args])
        self.results(op, value if name in _EXACT_ON_F16 else self.rounded(op, value))

    def p_fma(self, op: math.FmaOp) -> None:
        args = self.operands(op)
        t = self.ty(op.result.type, op)
        self.results(op, self.rounded(op, self.call_intrinsic(f"llvm.fma.{_suffix(t)}", t, [(t, a) for a in args])))

    def p_rsqrt(self, op: math.RsqrtOp) -> None:
        (a,) = self.operands(op)
        rt = op.result.type
        t = self.ty(rt, op)
        root = self.call_intrinsic(f"llvm.sqrt.{_suffix(t)}", t, [(t, a)])
        one = float_literal(1.0, Float64Type() if t == "double" else Float32Type())
        self.results(op, self.rounded(op, self.emit(f"fdiv {t} {one}, {root}")))

    def p_libm(self, op: Operation) -> None:
        """libm functions: float and double directly, f16 through float."""
        args = self.operands(op)
        rt = op.results[0].type
        self.ty(rt, op)  # a type the target prints
        base = (_LIBM_UNARY | _LIBM_BINARY)[type(op)]
        if isinstance(rt, Float64Type):
            name, ct = base, "double"
        else:
            name, ct = base + "f", "float"
        self.module.declare(f"declare {ct} @{name}({', '.join(ct for _ in args)})")
        r = self.emit(f"call {ct} @{name}({', '.join(f'{ct} {a}' for a in args)})")
        self.results(op, self.rounded(op, r))

    def p_absi(self, op: math.AbsIOp) -> None:
        (a,) = self.operands(op)
        t = self.ty(op.result.type, op)
        self.results(op, self.call_intrinsic(f"llvm.abs.{t}", t, [(t, a), ("i1", "false")]))

    def p_int_intrinsic(self, op: Operation) -> None:
        (a,) = self.operands(op)
        t = self.ty(op.results[0].type, op)
        name = _INT_INTRINSIC_UNARY[type(op)]
        args = [(t, a)] if name == "ctpop" else [(t, a), ("i1", "false")]
        self.results(op, self.call_intrinsic(f"llvm.{name}.{t}", t, args))

    def p_fpowi(self, op: math.FPowIOp) -> None:
        a, n = self.operands(op)
        t, nt = self.ty(op.result.type, op), self.ty(op.operands[1].type, op)
        self.results(op, self.rounded(op, self.call_intrinsic(f"llvm.powi.{_suffix(t)}.{nt}", t, [(t, a), (nt, n)])))

    # memref

    def p_load(self, op: memref.LoadOp) -> None:
        ptr, elem = self.address(op.memref, op.indices, op)
        et = op.res.type
        value = self.emit(f"load {elem}, ptr {ptr}, align {self.align_of(et)}")
        if isinstance(et, Float16Type):
            value = self.half_to_float(value)
        elif elem != self.ty(et, op):  # i1 stored as a byte: any nonzero byte is true
            value = self.emit(f"icmp ne {elem} {value}, 0")
        self.results(op, value)

    def p_store(self, op: memref.StoreOp) -> None:
        ptr, elem = self.address(op.memref, op.indices, op)
        value = self.val(op.value, op)
        et = op.value.type
        if isinstance(et, Float16Type):
            value = self.float_to_half(value)
        elif elem != self.ty(et, op):
            value = self.emit(f"zext i1 {value} to {elem}")
        self.inst(f"store {elem} {value}, ptr {ptr}, align {self.align_of(et)}")

    def p_view(self, op: memref.ViewOp) -> None:
        if op.sizes:
            raise self.error(op, "has dynamic sizes; the llvm target needs static shapes")
        src = self.memrefs[op.source]
        shift = self.add_index(src.offset, self.index_operand(op.byte_shift, op))
        base = self.gep("i8", src.base, shift)
        self.memrefs[op.result] = MemRefValue(base, 0, op.result.type)  # pyright: ignore

    def p_get_global(self, op: memref.GetGlobalOp) -> None:
        sym = op.name_.root_reference.data
        self.module.require_global(sym, op)
        self.memrefs[op.memref] = MemRefValue(global_name(sym), 0, op.memref.type)  # pyright: ignore

    def p_subview(self, op: memref.SubviewOp) -> None:
        src = self.memrefs[op.source]
        strides = self.strides(src.type, op)
        self.strides(op.result.type, op)  # the result's layout must be static
        dynamic = iter(op.offsets)
        offset = src.offset
        for static, stride in zip(op.static_offsets.get_values(), strides):
            part = self.index_operand(next(dynamic), op) if static == memref.DYNAMIC_INDEX else static
            offset = self.add_index(offset, self.mul_index(part, stride))
        self.memrefs[op.result] = MemRefValue(src.base, offset, op.result.type)  # pyright: ignore

    def p_reinterpret_cast(self, op: memref.ReinterpretCastOp) -> None:
        src = self.memrefs[op.source]
        self.strides(op.result.type, op)
        (static,) = op.static_offsets.get_values()
        offset = self.index_operand(op.offsets[0], op) if static == memref.DYNAMIC_INDEX else static
        # The offset counts from the source's base pointer (MLIR's aligned pointer).
        self.memrefs[op.result] = MemRefValue(src.base, offset, op.result.type)  # pyright: ignore

    def p_same_buffer(self, op: Operation) -> None:
        """Ops that only retype a memref: the same base and offset."""
        src = self.memrefs[op.operands[0]]
        result_type = op.results[0].type
        assert isinstance(result_type, MemRefType)
        self.strides(result_type, op)
        self.memrefs[op.results[0]] = MemRefValue(src.base, src.offset, result_type)

    def p_alloca(self, op: memref.AllocaOp) -> None:
        """Scratch on the stack, allocated once in the entry block (so a loop
        does not grow the stack) and zeroed where the op stands, as in C."""
        t = op.memref.type
        if op.dynamic_sizes or not isinstance(t, MemRefType):
            raise self.error(op, "has dynamic sizes; the llvm target needs static shapes")
        elem = self.storage_ty(t.element_type, op)
        count = int(np.prod(t.get_shape(), dtype=np.int64))
        align = max(16, op.alignment.value.data if op.alignment is not None else 0)
        name = self.fresh("scratch")
        self.allocas.append(f"  {name} = alloca [{count} x {elem}], align {align}")
        size = count * self.align_of(t.element_type)
        it = self.index_ty()
        self.module.declare(f"declare void @llvm.memset.p0.{it}(ptr, i8, {it}, i1)")
        self.inst(f"call void @llvm.memset.p0.{it}(ptr {name}, i8 0, {it} {size}, i1 false)")
        self.memrefs[op.memref] = MemRefValue(name, 0, t)

    def p_dim(self, op: memref.DimOp) -> None:
        t = op.source.type
        if op.index not in self.ints or not isinstance(t, MemRefType):
            raise self.error(op, "needs a constant dimension index")
        size = t.get_shape()[self.ints[op.index]]
        self.ints[op.result] = size
        self.values[op.result] = str(size)

    def p_copy(self, op: memref.CopyOp) -> None:
        src, dst = self.memrefs[op.source], self.memrefs[op.destination]
        for mv in (src, dst):
            if mv.type.layout != NoneAttr() and self.strides(mv.type, op) != list(
                MemRefType.strides_for_shape(mv.type.get_shape())
            ):
                raise self.error(op, "copies a non-contiguous memref; the llvm target copies contiguous ones only")
        elem = self.storage_ty(src.type.element_type, op)
        count = int(np.prod(src.type.get_shape(), dtype=np.int64))
        size = count * self.align_of(src.type.element_type)
        it = self.index_ty()
        s = self.gep(elem, src.base, src.offset)
        d = self.gep(elem, dst.base, dst.offset)
        self.module.declare(f"declare void @llvm.memcpy.p0.p0.{it}(ptr, ptr, {it}, i1)")
        self.inst(f"call void @llvm.memcpy.p0.p0.{it}(ptr {d}, ptr {s}, {it} {size}, i1 false)")

    # scf

    def phi_value(self, v: SSAValue, op: Operation) -> tuple[str, str]:
        return self.ty(v.type, op), self.val(v, op)

    def p_for(self, op: scf.ForOp) -> None:
        t = self.ty(op.lb.type, op)
        lb, ub, step = (self.val(v, op) for v in (op.lb, op.ub, op.step))
        inits = [self.phi_value(v, op) for v in op.iter_args]
        pre = self.block
        header, body, exit_ = self.label("for.header"), self.label("for.body"), self.label("for.exit")
        self.inst(f"br label %{header}")
        self.start_block(header)
        phi_slot = len(self.lines)
        self.lines.append(None)  # the phis, once the latch is known
        iv = self.fresh("i")
        carried = [self.fresh("acc") for _ in inits]
        cond = self.emit(f"icmp slt {t} {iv}, {ub}")
        self.inst(f"br i1 {cond}, label %{body}, label %{exit_}")
        self.start_block(body)
        yields = self.print_region_body(op.body, [iv, *carried])
        nexts = [self.phi_value(v, op)[1] for v in yields]
        next_iv = self.emit(f"add {t} {iv}, {step}")
        self.inst(f"br label %{header}")
        latch = self.block
        phis = [f"  {iv} = phi {t} [ {lb}, %{pre} ], [ {next_iv}, %{latch} ]"]
        for name, (ty, init), nxt in zip(carried, inits, nexts):
            phis.append(f"  {name} = phi {ty} [ {init}, %{pre} ], [ {nxt}, %{latch} ]")
        self.lines[phi_slot] = "\n".join(phis)
        self.start_block(exit_)
        for result, name in zip(op.res, carried):
            self.bind(result, name)

    def p_if(self, op: scf.IfOp) -> None:
        cond = self.val(op.cond, op)
        then, merge = self.label("if.then"), self.label("if.end")
        has_else = bool(op.false_region.blocks) and (
            bool(op.output) or len(op.false_region.blocks[0].ops) > 1
        )
        other = self.label("if.else") if has_else else merge
        pre = self.block
        self.inst(f"br i1 {cond}, label %{then}, label %{other}")
        self.start_block(then)
        then_values = [self.phi_value(v, op)[1] for v in self.print_region_body(op.true_region, [])]
        self.inst(f"br label %{merge}")
        then_end = self.block
        else_values: list[str] = []
        else_end = pre
        if has_else:
            self.start_block(other)
            else_values = [self.phi_value(v, op)[1] for v in self.print_region_body(op.false_region, [])]
            self.inst(f"br label %{merge}")
            else_end = self.block
        self.start_block(merge)
        for result, a, b in zip(op.output, then_values, else_values):
            name = self.emit(
                f"phi {self.ty(result.type, op)} [ {a}, %{then_end} ], [ {b}, %{else_end} ]"
            )
            self.bind(result, name)

    def p_while(self, op: scf.WhileOp) -> None:
        inits = [self.phi_value(v, op) for v in op.arguments]
        pre = self.block
        before, after, exit_ = self.label("while.cond"), self.label("while.body"), self.label("while.exit")
        self.inst(f"br label %{before}")
        self.start_block(before)
        phi_slot = len(self.lines)
        self.lines.append(None)
        carried = [self.fresh("w") for _ in inits]
        cond, *passed = self.print_region_body(op.before_region, carried)
        passed_text = [self.phi_value(v, op)[1] for v in passed]
        self.inst(f"br i1 {self.val(cond, op)}, label %{after}, label %{exit_}")
        self.start_block(after)
        yields = self.print_region_body(op.after_region, passed_text)
        nexts = [self.phi_value(v, op)[1] for v in yields]
        self.inst(f"br label %{before}")
        latch = self.block
        self.lines[phi_slot] = "\n".join(
            f"  {name} = phi {ty} [ {init}, %{pre} ], [ {nxt}, %{latch} ]"
            for name, (ty, init), nxt in zip(carried, inits, nexts)
        ) or None
        self.start_block(exit_)
        for result, text in zip(op.res, passed_text):
            self.bind(result, text)

    # func

    def p_call(self, op: func.CallOp) -> None:
        callee = self.module.function_name(op.callee.root_reference.data, op)
        args = ", ".join(f"{self.ty(v.type, op)} {self.val(v, op)}" for v in op.arguments)
        results = [self.ty(r.type, op) for r in op.res]
        ret = self.return_type(results)
        if not results:
            self.inst(f"call void {callee}({args})")
            return
        value = self.emit(f"call {ret} {callee}({args})")
        if len(results) == 1:
            self.bind(op.res[0], value)
            return
        for i, r in enumerate(op.res):
            self.bind(r, self.emit(f"extractvalue {ret} {value}, {i}"))

    def p_parallel(self, op: parallel.ForOp) -> None:
        """Store the captured values in a context on the stack and run the
        worker's entry (ModulePrinter.worker_entry) on the function's team."""
        if self.team is None:
            self.team = "%team"
            self.allocas += [f"  {self.team} = alloca {TEAM_TYPE}, align 8",
                             f"  store {TEAM_TYPE} zeroinitializer, ptr {self.team}"]
        types = [self.ty(v.type, op) for v in op.captures]
        context = "null"
        if types:
            context = self.fresh("context")
            struct = "{ " + ", ".join(types) + " }"
            self.allocas.append(f"  {context} = alloca {struct}, align 8")
            for k, (t, v) in enumerate(zip(types, op.captures)):
                slot = self.emit(f"getelementptr inbounds {struct}, ptr {context}, i32 0, i32 {k}", "p")
                self.inst(f"store {t} {self.val(v, op)}, ptr {slot}")
        entry = self.module.worker_entry(op, types)
        it = self.index_ty()
        bounds = ", ".join(f"{it} {self.val(v, op)}" for v in (op.lower_bound, op.upper_bound, op.step))
        self.inst(f"call void @{PARALLEL_FOR}(ptr {self.team}, i32 {op.threads.value.data}, "
                  f"ptr {entry}, ptr {context}, {bounds})")

    def p_return(self, op: func.ReturnOp) -> None:
        if self.team is not None:
            self.inst(f"call void @{TEAM_STOP}(ptr {self.team})")
        values = [(self.ty(v.type, op), self.val(v, op)) for v in op.arguments]
        if not values:
            self.inst("ret void")
            return
        if len(values) == 1:
            self.inst(f"ret {values[0][0]} {values[0][1]}")
            return
        ret = self.return_type([t for t, _ in values])
        agg = "undef"
        for i, (t, v) in enumerate(values):
            agg = self.emit(f"insertvalue {ret} {agg}, {t} {v}, {i}")
        self.inst(f"ret {ret} {agg}")


    # -- vectors ----------------------------------------------------------------------

    def vector_literal(self, value: DenseIntOrFPElementsAttr, t: VectorType, op: Operation) -> str:
        """`<4 x float> <float 1.0, ...>` (or zeroinitializer): a splat is repeated."""
        lane_t = self.lane_ty(t.element_type, op)
        lanes = t.get_shape()[0]
        values = list(value.get_values())
        if len(values) == 1:
            values *= lanes
        elem = t.element_type
        if isinstance(elem, IntegerType | IndexType):
            bits = int_bits(elem, self.m)
            wrapped = [(int(v) + (1 << (bits - 1))) % (1 << bits) - (1 << (bits - 1)) if bits > 1 else int(v) & 1
                       for v in values]
            items = [("true" if v else "false") if bits == 1 else str(v) for v in wrapped]
            zero = all(v == 0 for v in wrapped)
        else:
            items = [float_literal(float(v), elem) for v in values]
            zero = all(float(v) == 0 and not np.signbit(v) for v in values)
        if zero:
            return "zeroinitializer"
        return "<" + ", ".join(f"{lane_t} {i}" for i in items) + ">"

    @staticmethod
    def lane_list(lanes: Sequence[int]) -> str:
        """A shufflevector mask: `<2 x i32> <i32 2, i32 3>`."""
        return f"<{len(lanes)} x i32> <" + ", ".join(f"i32 {k}" for k in lanes) + ">"

    def splat(self, scalar: str, vt: str, lane_t: str, lanes: int) -> str:
        """Every lane set to `scalar`: insertelement, then a zero-mask shufflevector."""
        first = self.emit(f"insertelement {vt} poison, {lane_t} {scalar}, i32 0")
        return self.emit(f"shufflevector {vt} {first}, {vt} poison, <{lanes} x i32> zeroinitializer")

    def lanes_of(self, v: str, vt: str, lanes: Sequence[int]) -> str:
        return self.emit(f"shufflevector {vt} {v}, {vt} poison, {self.lane_list(lanes)}")

    def vector_pointer(self, m: SSAValue, indices: Sequence[SSAValue], op: Operation) -> tuple[str, int]:
        """The address of memref[indices] and the alignment of one element: a
        vector access needs only the element's alignment (`align 4` for f32)."""
        ptr, _ = self.address(m, indices, op)
        mt = m.type
        assert isinstance(mt, MemRefType)
        return ptr, self.align_of(mt.element_type)

    def scalar_in_lane(self, value: str, elem: Attribute) -> str:
        """A scalar as a lane: an f16 scalar lives in a float, an f16 lane is a half."""
        return self.float_to_half(value) if isinstance(elem, Float16Type) else value

    def lane_as_scalar(self, value: str, elem: Attribute) -> str:
        return self.half_to_float(value) if isinstance(elem, Float16Type) else value

    # portable vector ops (vector dialect, and arith on vector<Wxf32>)

    def portable(self, t: Attribute, op: Operation) -> tuple[str, int]:
        """The LLVM type and lane count of a portable vector: one-dimensional, f32."""
        if not (isinstance(t, VectorType) and isinstance(t.element_type, Float32Type)
                and t.get_num_dims() == 1 and not t.get_num_scalable_dims()):
            raise self.error(op, f"on {t} cannot be printed by the llvm target: the portable "
                                 "vector ops take one-dimensional vectors of f32 (vector<Wxf32>)")
        return self.ty(t, op), t.get_shape()[0]

    def p_vector_load(self, op: vector.LoadOp) -> None:
        vt, _ = self.portable(op.result.type, op)
        ptr, align = self.vector_pointer(op.base, op.indices, op)
        self.results(op, self.emit(f"load {vt}, ptr {ptr}, align {align}"))

    def p_vector_store(self, op: vector.StoreOp) -> None:
        vt, _ = self.portable(op.vector.type, op)
        ptr, align = self.vector_pointer(op.base, op.indices, op)
        self.inst(f"store {vt} {self.val(op.vector, op)}, ptr {ptr}, align {align}")

    def p_vector_broadcast(self, op: vector.BroadcastOp) -> None:
        vt, lanes = self.portable(op.vector.type, op)
        source = self.val(op.source, op)
        if op.source.type == op.vector.type:
            self.results(op, source)
        elif isinstance(op.source.type, Float32Type):
            self.results(op, self.splat(source, vt, "float", lanes))
        else:
            raise self.error(op, f"broadcasts {op.source.type}; the llvm target broadcasts an f32 scalar")

    def p_vector_fma(self, op: vector.FMAOp) -> None:
        """lhs * rhs + acc, rounded once (llvm.fma: fused on every machine; a
        machine without a fused instruction calls libm's fmaf per lane)."""
        vt, lanes = self.portable(op.res.type, op)
        args = [(vt, self.val(v, op)) for v in (op.lhs, op.rhs, op.acc)]
        if self.m.llvm.fused_multiply_add:
            self.results(op, self.call_intrinsic(f"llvm.fma.v{lanes}f32", vt, args))
        else:
            self.results(op, self.fma_by_lanes(vt, lanes, [a for _, a in args]))

    def fma_by_lanes(self, vt: str, lanes: int, args: Sequence[str]) -> str:
        """A vector fma on a machine without a fused instruction: the operands
        go through stack slots to FMA_LANES, which calls libm's fmaf per lane.
        (LLVM 16's ARM backend, expanding llvm.fma.v4f32 into fmaf calls
        itself, can clobber an argument register with a splat constant.)"""
        slots = self.fma_slots.get(vt)
        if slots is None:
            slots = self.fma_slots[vt] = [self.fresh("fma.slot") for _ in range(4)]
            self.allocas += [f"  {slot} = alloca {vt}, align 16" for slot in slots]
        for slot, value in zip(slots[1:], args, strict=True):
            self.inst(f"store {vt} {value}, ptr {slot}, align 16")
        self.module.use_helper(FMA_LANES)
        self.module.declare("declare float @fmaf(float, float, float)")
        self.inst(f"call void @{FMA_LANES}({', '.join(f'ptr {slot}' for slot in slots)}, i32 {lanes})")
        return self.emit(f"load {vt}, ptr {slots[0]}, align 16")

    def p_vector_reduction(self, op: vector.ReductionOp) -> None:
        """add: llvm.vector.reduce.fadd without `reassoc`, so the lanes are
        added in order from the start value (-0.0, or `acc`): the same result
        on every machine. maximumf/minimumf: halves combined by the
        NaN-propagating select sequence (log2 W steps), then `acc` if given."""
        vt, lanes = self.portable(op.vector.type, op)
        v = self.val(op.vector, op)
        acc = self.val(op.acc, op) if op.acc is not None else None
        kind = op.kind.data
        if kind == vector.CombiningKindFlag.ADD:
            start = acc or float_literal(-0.0, Float32Type())
            self.results(op, self.call_intrinsic(
                f"llvm.vector.reduce.fadd.v{lanes}f32", "float", [("float", start), (vt, v)]))
        elif kind in (vector.CombiningKindFlag.MAXIMUMF, vector.CombiningKindFlag.MINIMUMF):
            is_max = kind == vector.CombiningKindFlag.MAXIMUMF
            r = self.reduce_minmax(v, lanes, is_max)
            if acc is not None:
                r = self.float_minmax(acc, r, "float", None, is_max)
            self.results(op, r)
        else:
            raise self.error(op, f"of kind <{kind}> cannot be printed by the llvm target: "
                                 "the portable reductions are <add>, <maximumf> and <minimumf>")

    def reduce_minmax(self, v: str, lanes: int, is_max: bool) -> str:
        """NaN-propagating max/min across the lanes: halve while the count is
        even, then fold what is left lane by lane."""
        while lanes > 1 and lanes % 2 == 0:
            half, vt = lanes // 2, f"<{lanes} x float>"
            low = self.lanes_of(v, vt, range(half))
            high = self.lanes_of(v, vt, range(half, lanes))
            v, lanes = self.float_minmax(low, high, "float", half, is_max), half
        vt = f"<{lanes} x float>"
        r = self.emit(f"extractelement {vt} {v}, i32 0")
        for k in range(1, lanes):
            lane = self.emit(f"extractelement {vt} {v}, i32 {k}")
            r = self.float_minmax(r, lane, "float", None, is_max)
        return r

    # arm_simd: NEON intrinsics as vector IR

    def neon(self, op: Operation) -> str:
        family = neon_family(self.m)
        if family is None:  # check_machine rejects these first; kept for direct callers
            raise self.error(op, f"cannot be printed for target '{self.m.name}', which has no NEON")
        return family

    def simd_types(self, v: SSAValue, op: Operation) -> tuple[str, str, VectorType]:
        """(LLVM vector type, LLVM lane type, the vector type) of an arm_simd value."""
        t = v.type
        assert isinstance(t, VectorType)
        return self.ty(t, op), self.lane_ty(t.element_type, op), t

    @staticmethod
    def vsuffix(t: VectorType) -> str:
        """An intrinsic's overload suffix: v4f32, v8f16, v16i8, ..."""
        elem = t.element_type
        lane = f"i{elem.width.data}" if isinstance(elem, IntegerType) else _suffix(
            {Float32Type: "float", Float16Type: "half", Float64Type: "double"}[type(elem)])
        return f"v{t.get_shape()[0]}{lane}"

    def p_simd_load(self, op: arm_simd.LoadOp) -> None:
        vt, _, _ = self.simd_types(op.result, op)
        ptr, align = self.vector_pointer(op.memref, op.indices, op)
        self.results(op, self.emit(f"load {vt}, ptr {ptr}, align {align}"))

    def p_simd_store(self, op: arm_simd.StoreOp) -> None:
        vt, _, _ = self.simd_types(op.value, op)
        ptr, align = self.vector_pointer(op.memref, op.indices, op)
        self.inst(f"store {vt} {self.val(op.value, op)}, ptr {ptr}, align {align}")

    def p_simd_load2(self, op: arm_simd.Load2Op) -> None:
        """One load of both vectors, split into even and odd lanes by two
        shufflevectors (LLVM's interleaved-access pass makes them vld2 / ld2)."""
        vt, lane_t, t = self.simd_types(op.even, op)
        lanes = t.get_shape()[0]
        ptr, align = self.vector_pointer(op.memref, op.indices, op)
        wide = self.emit(f"load <{2 * lanes} x {lane_t}>, ptr {ptr}, align {align}")
        for result, lanes_taken in zip((op.even, op.odd), deinterleave_masks(lanes)):
            mask = ", ".join(f"i32 {k}" for k in lanes_taken)
            self.bind(result, self.emit(
                f"shufflevector <{2 * lanes} x {lane_t}> {wide}, <{2 * lanes} x {lane_t}> poison, <{lanes} x i32> <{mask}>"))

    def p_simd_store2(self, op: arm_simd.Store2Op) -> None:
        vt, lane_t, t = self.simd_types(op.even, op)
        lanes = t.get_shape()[0]
        ptr, align = self.vector_pointer(op.memref, op.indices, op)
        mask = ", ".join(f"i32 {k}" for k in interleave_mask(lanes))
        even, odd = self.val(op.even, op), self.val(op.odd, op)
        wide = self.emit(f"shufflevector {vt} {even}, {vt} {odd}, <{2 * lanes} x i32> <{mask}>")
        self.inst(f"store <{2 * lanes} x {lane_t}> {wide}, ptr {ptr}, align {align}")

    def p_simd_load_lane(self, op: arm_simd.LoadLaneOp) -> None:
        vt, lane_t, _ = self.simd_types(op.result, op)
        ptr, align = self.vector_pointer(op.memref, op.indices, op)
        x = self.emit(f"load {lane_t}, ptr {ptr}, align {align}")
        v = self.val(op.vector, op)
        self.results(op, self.emit(f"insertelement {vt} {v}, {lane_t} {x}, i32 {op.lane.value.data}"))

    def p_simd_store_lane(self, op: arm_simd.StoreLaneOp) -> None:
        vt, lane_t, _ = self.simd_types(op.value, op)
        ptr, align = self.vector_pointer(op.memref, op.indices, op)
        x = self.emit(f"extractelement {vt} {self.val(op.value, op)}, i32 {op.lane.value.data}")
        self.inst(f"store {lane_t} {x}, ptr {ptr}, align {align}")

    def p_simd_get_lane(self, op: Operation) -> None:
        """One lane as a scalar (an f16 lane widened to the float that holds it)."""
        source = op.operands[0]
        vt, _, t = self.simd_types(source, op)
        lane = op.properties["lane"]
        assert isinstance(lane, IntegerAttr)
        x = self.emit(f"extractelement {vt} {self.val(source, op)}, i32 {lane.value.data}")
        self.results(op, self.lane_as_scalar(x, t.element_type))

    def p_simd_set_lane(self, op: Operation) -> None:
        """`vector` with one lane replaced by a scalar: insertelement."""
        value, source = op.operands[0], op.operands[1]
        vt, lane_t, t = self.simd_types(source, op)
        lane = op.properties["lane"]
        assert isinstance(lane, IntegerAttr)
        x = self.scalar_in_lane(self.val(value, op), t.element_type)
        v = self.val(source, op)
        self.results(op, self.emit(f"insertelement {vt} {v}, {lane_t} {x}, i32 {lane.value.data}"))

    def p_simd_dup(self, op: arm_simd.DupOp) -> None:
        vt, lane_t, t = self.simd_types(op.result, op)
        scalar = self.scalar_in_lane(self.val(op.value, op), t.element_type)
        self.results(op, self.splat(scalar, vt, lane_t, t.get_shape()[0]))

    def p_simd_half(self, op: Operation) -> None:
        """get_low / get_high: a shufflevector of the lower or upper lanes."""
        source = op.operands[0]
        vt, _, t = self.simd_types(source, op)
        n = t.get_shape()[0]
        lanes = range(n // 2) if isinstance(op, arm_simd.GetLowOp) else range(n // 2, n)
        self.results(op, self.lanes_of(self.val(source, op), vt, lanes))

    def p_simd_combine(self, op: arm_simd.CombineOp) -> None:
        dt, _, t = self.simd_types(op.low, op)
        low, high = self.val(op.low, op), self.val(op.high, op)
        mask = self.lane_list(range(2 * t.get_shape()[0]))
        self.results(op, self.emit(f"shufflevector {dt} {low}, {dt} {high}, {mask}"))

    def p_simd_unary(self, op: Operation) -> None:
        """neg: fneg, or 0 - x (wrapping); abs: llvm.fabs, or llvm.abs with
        INT_MIN kept (wrapping, as vabsq_s32)."""
        source = op.operands[0]
        vt, _, t = self.simd_types(source, op)
        a = self.val(source, op)
        floats = not isinstance(t.element_type, IntegerType)
        if isinstance(op, arm_simd.NegOp):
            r = self.emit(f"fneg {vt} {a}" if floats else f"sub {vt} zeroinitializer, {a}")
        elif floats:
            r = self.call_intrinsic(f"llvm.fabs.{self.vsuffix(t)}", vt, [(vt, a)])
        else:
            r = self.call_intrinsic(f"llvm.abs.{self.vsuffix(t)}", vt, [(vt, a), ("i1", "false")])
        self.results(op, r)

    def p_simd_binary(self, op: Operation) -> None:
        """add, sub, mul, div: the IR instructions (integers wrap); max, min: NEON's
        own float max/min (NaN-propagating, as vmaxq_f32) or llvm.smax/smin;
        padd, pmax, pmin: the pairwise NEON intrinsics."""
        lhs, rhs = op.operands[0], op.operands[1]
        vt, _, t = self.simd_types(lhs, op)
        a, b = self.val(lhs, op), self.val(rhs, op)
        floats = not isinstance(t.element_type, IntegerType)
        name = op.name.removeprefix("arm_simd.")
        if name in ("add", "sub", "mul", "div"):  # div: float lanes only (vdivq_f32)
            self.results(op, self.emit(f"{'f' if floats else ''}{name} {vt} {a}, {b}"))
            return
        if name in ("max", "min") and not floats:
            intrinsic = f"llvm.s{name}.{self.vsuffix(t)}"
        else:
            intrinsic = f"{_NEON_BINARY[self.neon(op), name, floats]}.{self.vsuffix(t)}"
        self.results(op, self.call_intrinsic(intrinsic, vt, [(vt, a), (vt, b)]))

    def p_simd_accumulate(self, op: Operation) -> None:
        """fma: llvm.fma (fused); mla: a multiply, then an add (unfused, as
        vmlaq); mlal: the widening multiply of `mull`, then an add; sdot:
        llvm.aarch64.neon.sdot."""
        acc_v, lhs, _ = op.operands
        acc, a, b = (self.val(v, op) for v in op.operands)
        vt, _, t = self.simd_types(lhs, op)
        floats = not isinstance(t.element_type, IntegerType)
        if isinstance(op, arm_simd.FmaOp):
            r = self.call_intrinsic(f"llvm.fma.{self.vsuffix(t)}", vt, [(vt, a), (vt, b), (vt, acc)])
        elif isinstance(op, arm_simd.MlaOp):
            product = self.emit(f"{'fmul' if floats else 'mul'} {vt} {a}, {b}")
            r = self.emit(f"{'fadd' if floats else 'add'} {vt} {acc}, {product}")
        elif isinstance(op, arm_simd.MlalOp):
            wt, _, _ = self.simd_types(acc_v, op)
            product = self.widening_multiply(op, a, b, t, acc_v.type)  # pyright: ignore[reportArgumentType]
            r = self.emit(f"add {wt} {acc}, {product}")
        else:
            wt, _, wide = self.simd_types(acc_v, op)
            r = self.call_intrinsic(f"llvm.aarch64.neon.sdot.{self.vsuffix(wide)}.{self.vsuffix(t)}",
                                    wt, [(wt, acc), (vt, a), (vt, b)])
        self.results(op, r)

    def widening_multiply(self, op: Operation, a: str, b: str, t: VectorType, wide: VectorType) -> str:
        """vmull_s8 / vmull_s16: exact lane products at twice the width."""
        name = "llvm.aarch64.neon.smull" if self.neon(op) == "aarch64" else "llvm.arm.neon.vmulls"
        vt, wt = self.ty(t, op), self.ty(wide, op)
        return self.call_intrinsic(f"{name}.{self.vsuffix(wide)}", wt, [(vt, a), (vt, b)])

    def p_simd_mull(self, op: arm_simd.MullOp) -> None:
        t, wide = op.lhs.type, op.result.type
        assert isinstance(t, VectorType) and isinstance(wide, VectorType)
        self.results(op, self.widening_multiply(op, self.val(op.lhs, op), self.val(op.rhs, op), t, wide))

    def p_simd_compare(self, op: arm_simd.CompareOp) -> None:
        """An ordered fcmp (NaN compares false, as vceqq/vcgeq/...) or a signed
        icmp, then sext: all-ones lanes where it holds."""
        vt, _, t = self.simd_types(op.lhs, op)
        mt = self.ty(op.result.type, op)
        a, b = self.val(op.lhs, op), self.val(op.rhs, op)
        predicate = op.predicate.data
        if isinstance(t.element_type, IntegerType):
            test = self.emit(f"icmp {_INT_PREDICATES[predicate]} {vt} {a}, {b}")
        else:
            test = self.emit(f"fcmp o{predicate} {vt} {a}, {b}")
        lanes = t.get_shape()[0]
        self.results(op, self.emit(f"sext <{lanes} x i1> {test} to {mt}"))

    def p_simd_select(self, op: arm_simd.SelectOp) -> None:
        """vbslq: a bitwise select, (mask & a) | (~mask & b), on the bits of the
        lanes (for a mask from `compare`, the lane select)."""
        vt, _, t = self.simd_types(op.lhs, op)
        mt, mask_lane, mask_t = self.simd_types(op.mask, op)
        m, a, b = (self.val(v, op) for v in (op.mask, op.lhs, op.rhs))
        if vt != mt:
            a = self.emit(f"bitcast {vt} {a} to {mt}")
            b = self.emit(f"bitcast {vt} {b} to {mt}")
        ones = "<" + ", ".join([f"{mask_lane} -1"] * mask_t.get_shape()[0]) + ">"
        inverse = self.emit(f"xor {mt} {m}, {ones}")
        from_a = self.emit(f"and {mt} {m}, {a}")
        from_b = self.emit(f"and {mt} {inverse}, {b}")
        r = self.emit(f"or {mt} {from_a}, {from_b}")
        if vt != mt:
            r = self.emit(f"bitcast {mt} {r} to {vt}")
        self.results(op, r)

    def p_simd_reduce(self, op: Operation) -> None:
        """vaddvq/vmaxvq/vminvq: llvm.aarch64.neon.{f,s}{add,max,min}v; the
        integer forms return an i32, truncated to an i8 or i16 lane."""
        source = op.operands[0]
        vt, lane_t, t = self.simd_types(source, op)
        self.neon(op)
        kind = op.name.removeprefix("arm_simd.reduce_")
        if isinstance(t.element_type, IntegerType):
            r = self.call_intrinsic(f"llvm.aarch64.neon.s{kind}v.i32.{self.vsuffix(t)}", "i32",
                                    [(vt, self.val(source, op))])
            if lane_t != "i32":
                r = self.emit(f"trunc i32 {r} to {lane_t}")
        else:
            r = self.call_intrinsic(f"llvm.aarch64.neon.f{kind}v.{_suffix(lane_t)}.{self.vsuffix(t)}",
                                    lane_t, [(vt, self.val(source, op))])
        self.results(op, r)

    def p_simd_convert(self, op: arm_simd.ConvertOp) -> None:
        """i32 -> f32: sitofp (nearest); f32 -> i32: llvm.fptosi.sat (toward
        zero, saturating, NaN -> 0, as vcvtq_s32_f32)."""
        vt, _, t = self.simd_types(op.input, op)
        rt, _, result = self.simd_types(op.result, op)
        a = self.val(op.input, op)
        if isinstance(t.element_type, IntegerType):
            self.results(op, self.emit(f"sitofp {vt} {a} to {rt}"))
        else:
            name = f"llvm.fptosi.sat.{self.vsuffix(result)}.{self.vsuffix(t)}"
            self.results(op, self.call_intrinsic(name, rt, [(vt, a)]))

    def p_simd_reinterpret(self, op: arm_simd.ReinterpretOp) -> None:
        vt, _, _ = self.simd_types(op.input, op)
        rt, _, _ = self.simd_types(op.result, op)
        self.results(op, self.emit(f"bitcast {vt} {self.val(op.input, op)} to {rt}"))

    def p_simd_shift_left(self, op: arm_simd.ShiftLeftOp) -> None:
        vt, lane_t, t = self.simd_types(op.input, op)
        amounts = ", ".join([f"{lane_t} {op.amount.value.data}"] * t.get_shape()[0])
        self.results(op, self.emit(f"shl {vt} {self.val(op.input, op)}, <{amounts}>"))


_NEON_BINARY = {
    (family, name, floats): intrinsic
    for family, table in {
        "aarch64": {("max", True): "fmax", ("min", True): "fmin", ("padd", True): "faddp",
                    ("padd", False): "addp", ("pmax", True): "fmaxp", ("pmax", False): "smaxp",
                    ("pmin", True): "fminp", ("pmin", False): "sminp"},
        "arm": {("max", True): "vmaxs", ("min", True): "vmins", ("padd", True): "vpadd",
                ("padd", False): "vpadd", ("pmax", True): "vpmaxs", ("pmax", False): "vpmaxs",
                ("pmin", True): "vpmins", ("pmin", False): "vpmins"},
    }.items()
    for (name, floats), short in table.items()
    for intrinsic in [f"llvm.{family}.neon.{short}"]
}
"""arm_simd ops that are one NEON intrinsic of each ISA: (family, op, float lanes) -> name."""

_INT_PREDICATES = {"eq": "eq", "ge": "sge", "gt": "sgt", "le": "sle", "lt": "slt"}
"""arm_simd.compare on integer lanes: signed, as the _s intrinsics."""

_EXACT_ON_F16 = {"fabs", "floor", "ceil", "trunc", "round", "roundeven", "copysign", "maxnum", "minnum"}
"""Intrinsics whose float result for f16 operands is already an f16 value."""


def _suffix(t: str) -> str:
    return {"float": "f32", "half": "f16", "double": "f64"}.get(t, t)


_HANDLERS: dict[type[Operation], object] = {
    arith.ConstantOp: FunctionPrinter.p_constant,
    **{k: FunctionPrinter.p_int_binary for k in _INT_BINARY},
    **{k: FunctionPrinter.p_float_binary for k in _FLOAT_BINARY},
    **{k: FunctionPrinter.p_int_minmax for k in _INT_MINMAX},
    **{k: FunctionPrinter.p_division for k in (arith.DivSIOp, arith.RemSIOp, arith.DivUIOp, arith.RemUIOp)},
    **{k: FunctionPrinter.p_shift for k in (arith.ShLIOp, arith.ShRUIOp, arith.ShRSIOp)},
    arith.CmpiOp: FunctionPrinter.p_cmpi,
    arith.CmpfOp: FunctionPrinter.p_cmpf,
    arith.SelectOp: FunctionPrinter.p_select,
    arith.NegfOp: FunctionPrinter.p_negf,
    arith.MaximumfOp: FunctionPrinter.p_float_minmax,
    arith.MinimumfOp: FunctionPrinter.p_float_minmax,
    **{k: FunctionPrinter.p_cast for k in _CASTS},
    arith.IndexCastOp: FunctionPrinter.p_index_cast,
    arith.FPToSIOp: FunctionPrinter.p_fptoint,
    arith.FPToUIOp: FunctionPrinter.p_fptoint,
    **{k: FunctionPrinter.p_float_intrinsic for k in _FLOAT_INTRINSIC_UNARY | _FLOAT_INTRINSIC_BINARY},
    math.FmaOp: FunctionPrinter.p_fma,
    math.RsqrtOp: FunctionPrinter.p_rsqrt,
    **{k: FunctionPrinter.p_libm for k in _LIBM_UNARY | _LIBM_BINARY},
    math.AbsIOp: FunctionPrinter.p_absi,
    **{k: FunctionPrinter.p_int_intrinsic for k in _INT_INTRINSIC_UNARY},
    math.FPowIOp: FunctionPrinter.p_fpowi,
    memref.LoadOp: FunctionPrinter.p_load,
    memref.StoreOp: FunctionPrinter.p_store,
    memref.ViewOp: FunctionPrinter.p_view,
    memref.GetGlobalOp: FunctionPrinter.p_get_global,
    memref.SubviewOp: FunctionPrinter.p_subview,
    memref.ReinterpretCastOp: FunctionPrinter.p_reinterpret_cast,
    memref.CastOp: FunctionPrinter.p_same_buffer,
    memref.CollapseShapeOp: FunctionPrinter.p_same_buffer,
    memref.ExpandShapeOp: FunctionPrinter.p_same_buffer,
    memref.AssumeAlignmentOp: FunctionPrinter.p_same_buffer,
    memref.DimOp: FunctionPrinter.p_dim,
    memref.AllocaOp: FunctionPrinter.p_alloca,
    memref.CopyOp: FunctionPrinter.p_copy,
    scf.ForOp: FunctionPrinter.p_for,
    scf.IfOp: FunctionPrinter.p_if,
    scf.WhileOp: FunctionPrinter.p_while,
    func.CallOp: FunctionPrinter.p_call,
    parallel.ForOp: FunctionPrinter.p_parallel,
    SizeOfOp: FunctionPrinter.p_index_sizeof,
    func.ReturnOp: FunctionPrinter.p_return,
    vector.LoadOp: FunctionPrinter.p_vector_load,
    vector.StoreOp: FunctionPrinter.p_vector_store,
    vector.BroadcastOp: FunctionPrinter.p_vector_broadcast,
    vector.FMAOp: FunctionPrinter.p_vector_fma,
    vector.ReductionOp: FunctionPrinter.p_vector_reduction,
}

_SIMD_HANDLERS = {
    "load": FunctionPrinter.p_simd_load,
    "store": FunctionPrinter.p_simd_store,
    "load2": FunctionPrinter.p_simd_load2,
    "store2": FunctionPrinter.p_simd_store2,
    "load_lane": FunctionPrinter.p_simd_load_lane,
    "store_lane": FunctionPrinter.p_simd_store_lane,
    "get_lane": FunctionPrinter.p_simd_get_lane,
    "set_lane": FunctionPrinter.p_simd_set_lane,
    "dup": FunctionPrinter.p_simd_dup,
    "get_low": FunctionPrinter.p_simd_half,
    "get_high": FunctionPrinter.p_simd_half,
    "combine": FunctionPrinter.p_simd_combine,
    "neg": FunctionPrinter.p_simd_unary,
    "abs": FunctionPrinter.p_simd_unary,
    **{name: FunctionPrinter.p_simd_binary
       for name in ("add", "sub", "mul", "div", "max", "min", "padd", "pmax", "pmin")},
    **{name: FunctionPrinter.p_simd_accumulate for name in ("fma", "mla", "mlal", "sdot")},
    "mull": FunctionPrinter.p_simd_mull,
    "compare": FunctionPrinter.p_simd_compare,
    "select": FunctionPrinter.p_simd_select,
    **{name: FunctionPrinter.p_simd_reduce for name in ("reduce_add", "reduce_max", "reduce_min")},
    "convert": FunctionPrinter.p_simd_convert,
    "reinterpret": FunctionPrinter.p_simd_reinterpret,
    "shift_left": FunctionPrinter.p_simd_shift_left,
}
"""arm_simd ops by name (`arm_simd.` dropped): an op the dialect gains is
printed once it has an entry here, and is an error naming it until then."""
_HANDLERS.update(
    {cls: _SIMD_HANDLERS[cls.name.removeprefix("arm_simd.")]
     for cls in arm_simd.OPS if cls.name.removeprefix("arm_simd.") in _SIMD_HANDLERS}
)

_PORTABLE_ARITH = (arith.AddfOp, arith.SubfOp, arith.MulfOp, arith.DivfOp, arith.MaximumfOp,
                   arith.MinimumfOp, arith.NegfOp)
"""The arith ops of the portable vector set: on vector<Wxf32> they print as the
scalar instructions on <W x float>."""


_STRUCTURE = (func.FuncOp, memref.GlobalOp, scf.YieldOp, scf.ConditionOp)
"""Ops printed by their parent, not by a handler of their own."""


def unprintable(op: Operation) -> CompileError:
    dialect = op.name.split(".", 1)[0]
    if dialect == "ptensor":
        hint = "bufferize it and lower it to loops first ('bufferize', 'plan-memory', 'convert-pbuf-to-loops')"
    elif dialect == "pbuf":
        hint = "lower the buffer-level op to loops first ('convert-pbuf-to-loops')"
    elif op.name in ("memref.alloc", "memref.dealloc"):
        hint = "generated code never allocates; intermediates live in the arena ('plan-memory')"
    elif dialect in ("linalg", "tensor", "bufferization"):
        hint = "lower it to loops first (e.g. 'convert-linalg-to-loops')"
    elif dialect == "vector":
        hint = ("the llvm target prints the portable vector ops only (vector.load, vector.store, "
                "vector.broadcast, vector.fma, vector.reduction)")
    elif dialect == "arm_simd":
        hint = "the llvm target has no printing for this arm_simd op"
    elif dialect in ("func", "scf", "memref", "arith", "math"):
        hint = "the llvm target does not support this op (docs/llvm-target.md lists those it prints)"
    else:
        hint = "the llvm target prints only loop-level func/scf/memref/arith/math/vector/arm_simd ops"
    return CompileError(f"'{op.name}' op cannot be printed by the llvm target: {hint}", location_of(op))


def check_portable_arith(op: Operation) -> None:
    """arith and math on vectors: the portable set on vector<Wxf32> only."""
    vectors = [v.type for v in (*op.operands, *op.results) if isinstance(v.type, VectorType)]
    def one_dimensional(t: Attribute, element: Attribute) -> bool:
        return (isinstance(t, VectorType) and t.element_type == element
                and t.get_num_dims() == 1 and not t.get_num_scalable_dims())

    types = [v.type for v in (*op.operands, *op.results)]
    if isinstance(op, arith.BitcastOp):  # the bits of f32 lanes, and back
        portable = (sorted(str(t.element_type) for t in types) == ["f32", "i32"]  # pyright: ignore
                    and all(one_dimensional(t, t.element_type) for t in types)  # pyright: ignore
                    and types[0].get_shape() == types[1].get_shape())  # pyright: ignore
    elif isinstance(op, arith.ShLIOp):
        portable = all(one_dimensional(t, i32) for t in types) and shift_amount(op) is not None
    else:
        portable = isinstance(op, _PORTABLE_ARITH) and all(one_dimensional(t, Float32Type()) for t in types)
    if not portable:
        raise CompileError(
            f"'{op.name}' op on {vectors[0]} cannot be printed by the llvm target: on vectors it "
            "prints arith.addf, subf, mulf, divf, maximumf, minimumf and negf of vector<Wxf32>, "
            "arith.bitcast between vector<Wxf32> and vector<Wxi32>, and arith.shli of vector<Wxi32> "
            "by a splat constant below 32",
            location_of(op))


# -- module printer ----------------------------------------------------------------


class ModulePrinter:
    def __init__(self, module: ModuleOp, m: Machine):
        self.module_op = module
        self.machine = m
        self.declarations: set[str] = set()
        self.helpers: set[str] = set()
        self.functions: dict[str, func.FuncOp] = {}
        self.globals: dict[str, memref.GlobalOp] = {}
        self.reserved: dict[str, str] = {}
        self.worker_entries: list[str] = []
        self.max_threads = 1

    def worker_entry(self, op: parallel.ForOp, types: list[str]) -> str:
        """`@W.entry(ptr context, index lo, index hi)`: loads the captured
        values from the context and calls the worker W with them."""
        sym = op.worker.root_reference.data
        worker = self.function_name(sym, op)
        name = global_name(sym + ".entry")
        it = f"i{self.machine.pointer_bits}"
        struct = "{ " + ", ".join(types) + " }"
        lines = [f"define internal void {name}(ptr %context, {it} %lo, {it} %hi) #0 {{", "entry:"]
        args = []
        for k, t in enumerate(types):
            lines += [f"  %p{k} = getelementptr inbounds {struct}, ptr %context, i32 0, i32 {k}",
                      f"  %v{k} = load {t}, ptr %p{k}"]
            args.append(f"{t} %v{k}")
        lines += [f"  call void {worker}({', '.join([*args, f'{it} %lo', f'{it} %hi'])})", "  ret void", "}", ""]
        self.worker_entries += lines
        return name

    def declare(self, line: str) -> None:
        self.declarations.add(line)

    def use_helper(self, name: str) -> None:
        self.helpers.add(name)

    def function_name(self, sym: str, op: Operation) -> str:
        if sym not in self.functions:
            raise CompileError(f"'{op.name}' op calls '@{sym}', which the module does not define", location_of(op))
        return global_name(sym)

    def require_global(self, sym: str, op: Operation) -> None:
        if sym not in self.globals:
            raise CompileError(f"'{op.name}' op reads '@{sym}', which is not a memref.global of the module", location_of(op))

    def print(self) -> str:
        self.check_level()
        for op in self.module_op.ops:
            if isinstance(op, func.FuncOp):
                self.functions[op.sym_name.data] = op
            elif isinstance(op, memref.GlobalOp):
                self.globals[op.sym_name.data] = op
            else:
                raise unprintable(op)
        entry = self.entry()
        exported = self.exported_names(entry)
        for sym in [*self.functions, *self.globals]:
            if sym in exported:
                raise CompileError(
                    f"the symbol '@{sym}' clashes with the exported '@{sym}' of the llvm target",
                    location_of(self.functions.get(sym) or self.globals[sym]),
                )
        m = self.machine
        out = [
            f"; Pelemay IR: entry @{entry.entry}, machine '{m.name}'",
            f'target datalayout = "{m.llvm.datalayout}"',
            f'target triple = "{m.llvm.triple}"',
            "",
        ]
        self.max_threads = max([op.threads.value.data for op in self.module_op.walk() if isinstance(op, parallel.ForOp)],
                               default=1)
        if self.max_threads > 1:
            out += team_types(self.max_threads, f"i{m.pointer_bits}")
        out += self.export_globals(entry)
        for sym, g in self.globals.items():
            out.append(self.global_line(sym, g))
        if self.globals:
            out.append("")
        for sym, fop in self.functions.items():
            # Only `<name>_run` and the sizes are exported: two programs link together.
            out += FunctionPrinter(self, fop, global_name(sym), "internal ").print()
        out += self.run_function(entry)
        out += self.worker_entries
        if self.max_threads > 1:
            out.append(team_runtime(self.max_threads, f"i{m.pointer_bits}"))
        for name in sorted(self.helpers):
            owner = self.functions.get(name) or self.globals.get(name)
            if owner is not None:
                raise CompileError(f"the symbol '@{name}' clashes with a helper of the llvm target", location_of(owner))
            out.append(HELPERS[name])
        declarations = self.external_declarations()
        if declarations:
            out += [*declarations, ""]
        if m.name == "host" and native_host():
            out.append("attributes #0 = { nounwind }")  # the CPU the build names (-march=native)
        else:
            out.append(f'attributes #0 = {{ nounwind "target-cpu"="{m.llvm.cpu}" "target-features"="{m.llvm.features}" }}')
        if m.llvm.module_flags:
            ids = ", ".join(f"!{i}" for i in range(len(m.llvm.module_flags)))
            out.append("")
            out.append(f"!llvm.module.flags = !{{{ids}}}")
            out += [f"!{i} = {flag}" for i, flag in enumerate(m.llvm.module_flags)]
        return "\n".join(out) + "\n"

    def check_level(self) -> None:
        """Name the first op that is not at the loop level before anything else
        (a type error deeper in would hide the missing lowering)."""
        for op in self.module_op.walk():
            if op is self.module_op or type(op) in _HANDLERS or isinstance(op, _STRUCTURE):
                continue
            raise unprintable(op)
        for op in self.module_op.walk():
            if op.dialect_name() in ("arith", "math") and not isinstance(op, arith.ConstantOp) and any(
                isinstance(v.type, VectorType) for v in (*op.operands, *op.results)
            ):
                check_portable_arith(op)
        # An arm_simd op the machine lacks (or any, for a machine without NEON).
        check_machine(self.module_op, self.machine.name)
        for op in self.module_op.walk():
            if isinstance(op, arith.ConstantOp) and isinstance(op.result.type, TensorType):
                raise CompileError(
                    f"'{op.name}' op of a tensor cannot be printed by the llvm target: "
                    "bufferize it and lower it to loops first ('bufferize', 'plan-memory', "
                    "'convert-pbuf-to-loops')", location_of(op))

    def external_declarations(self) -> list[str]:
        """libm functions and intrinsics used, sorted; a module symbol of the
        same name would capture the calls, so it is an error."""
        for line in sorted(self.declarations):
            sym = line.split("(")[0].split()[-1][1:]
            owner = self.functions.get(sym) or self.globals.get(sym)
            if owner is not None:
                raise CompileError(
                    f"the symbol '@{sym}' clashes with the library function of that name "
                    "the llvm target calls", location_of(owner))
        return sorted(self.declarations)

    def entry(self) -> abi.Interface:
        """The run function's convention, shared with the C target so that both
        export the same names, argument order, sizes and alignments."""
        entries = [f for f in self.functions.values() if ENTRY_ATTR in f.attributes]
        if len(entries) != 1:
            where = location_of(entries[1]) if len(entries) > 1 else location_of(self.module_op)
            what = "more than one function is" if entries else "no function is"
            raise CompileError(
                f"{what} marked '{ENTRY_ATTR}'; the llvm target exports exactly one "
                "(convert-pbuf-to-loops marks it)",
                where,
            )
        return abi.interface(self.module_op)

    @staticmethod
    def exported_sizes(entry: abi.Interface) -> dict[str, int]:
        sizes = {
            f"{entry.base}_arena_bytes": entry.arena_bytes,
            f"{entry.base}_arena_align": entry.arena_align,
        }
        if entry.weights_bytes is not None:
            sizes[f"{entry.base}_weights_bytes"] = entry.weights_bytes
            sizes[f"{entry.base}_weights_align"] = entry.weights_align
        return sizes

    def exported_names(self, entry: abi.Interface) -> set[str]:
        return {entry.run, *self.exported_sizes(entry)}

    def export_globals(self, entry: abi.Interface) -> list[str]:
        return [f"@{name} = constant i64 {value}" for name, value in self.exported_sizes(entry).items()] + [""]

    def global_line(self, sym: str, g: memref.GlobalOp) -> str:
        t = g.type
        elem = t.get_element_type()
        if g.constant is None:
            raise CompileError(
                f"'memref.global' op '@{sym}' is mutable; generated code keeps no mutable globals "
                "(intermediates live in the arena)", location_of(g))
        value = g.initial_value
        if not isinstance(value, DenseIntOrFPElementsAttr):
            raise CompileError(f"'memref.global' op '@{sym}' has no initial value", location_of(g))
        count = int(np.prod(t.get_shape(), dtype=np.int64))
        if isinstance(elem, IntegerType):
            width = elem.width.data
            if width == 1:
                items = ["1" if v else "0" for v in value.get_values()]
                et = "i8"
            else:
                items = [str(v) for v in value.get_values()]
                et = f"i{width}"
        elif is_float(elem):
            et = {Float16Type: half_storage(self.machine), Float32Type: "float", Float64Type: "double"}[type(elem)]
            items = _float_array_literals(value.data.data, elem, et)
        else:
            raise CompileError(f"'memref.global' op '@{sym}' has elements of type {elem}, which the llvm target cannot print", location_of(g))
        if len(items) == 1 and count != 1:
            items = items * count
        zero = {"0", "0x0000000000000000", "0xH0000"}  # +0.0 only: -0.0 is not zero bits
        if all(i in zero for i in items):
            init = "zeroinitializer"
        else:
            init = "[" + ", ".join(f"{et} {i}" for i in items) + "]"
        visibility = g.sym_visibility.data
        linkage = "internal " if visibility == "private" else ""
        align = g.alignment.value.data if g.alignment is not None else 16
        return f"{global_name(sym)} = {linkage}constant [{count} x {et}] {init}, align {align}"

    def run_function(self, entry: abi.Interface) -> list[str]:
        """`i32 <name>_run(...)`: checks the pointers as the C target does, then runs."""
        def local(name: str) -> str:  # C names never hold a dot; labels here do, or are `entry`
            return name + "_" if name == "entry" else name

        weights = local(entry.weights_name) if entry.weights_name else None
        arena = local(entry.arena_name)
        buffers = [local(b.name) for b in (*entry.inputs, *entry.outputs)]
        params = ([weights] if weights else []) + buffers + [arena]
        checked = ([weights] if weights else []) + buffers
        if entry.arena_bytes > 0:
            checked.append(arena)
        lines = [f"define i32 @{entry.run}({', '.join(f'ptr %{n}' for n in params)}) #0 {{", "entry:"]
        blocks: list[tuple[str, list[str], str]] = []  # (label, body, failure code)
        if checked:
            body, any_null = [], ""
            for n in checked:
                body.append(f"  %{n}.null = icmp eq ptr %{n}, null")
                if any_null:
                    body.append(f"  %{n}.anynull = or i1 {any_null}, %{n}.null")
                    any_null = f"%{n}.anynull"
                else:
                    any_null = f"%{n}.null"
            blocks.append((any_null, body, str(RUN_NULL_POINTER)))
        it = f"i{self.machine.pointer_bits}"
        for name, align, needed in (
            (arena, entry.arena_align, entry.arena_bytes > 0 and entry.arena_align > 1),
            (weights, entry.weights_align, entry.external_weights and entry.weights_align > 1),
        ):
            if needed:
                body = [
                    f"  %{name}.address = ptrtoint ptr %{name} to {it}",
                    f"  %{name}.low = and {it} %{name}.address, {align - 1}",
                    f"  %{name}.misaligned = icmp ne {it} %{name}.low, 0",
                ]
                blocks.append((f"%{name}.misaligned", body, str(RUN_MISALIGNED)))
        for k, values in sorted(entry.fixed_values.items()):
            if not values:
                continue  # an empty input has one value only
            b = entry.inputs[k]
            n, et = local(b.name), f"i{np.dtype(b.dtype).itemsize * 8}"
            body, any_bad = [], ""
            for j, v in enumerate(values):
                body += [
                    f"  %{n}.at{j} = getelementptr inbounds {et}, ptr %{n}, {it} {j}",
                    f"  %{n}.v{j} = load {et}, ptr %{n}.at{j}",
                    f"  %{n}.ne{j} = icmp ne {et} %{n}.v{j}, {v}",
                ]
                if any_bad:
                    body.append(f"  %{n}.any{j} = or i1 {any_bad}, %{n}.ne{j}")
                    any_bad = f"%{n}.any{j}"
                else:
                    any_bad = f"%{n}.ne{j}"
            blocks.append((any_bad, body, str(RUN_BAD_INPUT)))
        for k, (flag, body, code) in enumerate(blocks):
            if k:
                lines.append(f"check.{k}:")
            lines += body
            following = f"check.{k + 1}" if k + 1 < len(blocks) else "run.program"
            lines.append(f"  br i1 {flag}, label %fail.{k}, label %{following}")
            lines += [f"fail.{k}:", f"  ret i32 {code}"]
        call_args = ", ".join(f"ptr %{n}" for n in params if n != arena or entry.arena_bytes > 0)
        if blocks:
            lines.append("run.program:")
        lines += [
            f"  call void {global_name(entry.entry)}({call_args})",
            f"  ret i32 {RUN_OK}",
            "}",
            "",
        ]
        return lines


def emit_llvm(module: ModuleOp, target: str = "host") -> str:
    """The module as textual LLVM IR for the machine `target`."""
    return ModulePrinter(legalized(module), machine(target)).print()
