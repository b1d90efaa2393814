"""One func.func as LLVM IR: structured control flow as blocks and phis,
memrefs as base pointers with static strides, scalar ops as instructions.
Vectors and arm_simd ops are the mixins of targets/llvm_vectors.py and
targets/llvm_simd.py; the module around the functions is targets/llvm.py."""

from __future__ import annotations

import re
from collections.abc import Sequence

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
    NoneAttr,
    StringAttr,
    VectorType,
)
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue

from pelemay_ir.dialects import arm_simd, mask, parallel
from pelemay_ir.dialects.index import SizeOfOp
from pelemay_ir.ir import CompileError, location_of
from pelemay_ir.targets import c_names
from pelemay_ir.targets.llvm_runtime import F16_TO_F32, F32_TO_F16, PARALLEL_FOR, TEAM_CLAIM, TEAM_RELEASE, TEAM_TYPE
from pelemay_ir.targets.llvm_simd import SIMD_HANDLERS, SimdPrinting, type_suffix
from pelemay_ir.targets.llvm_types import (
    SOURCE_ATTR,
    MemRefValue,
    float_bits,
    float_literal,
    global_name,
    half_storage,
    int_bits,
    is_float,
)
from pelemay_ir.targets.llvm_vectors import VectorPrinting


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
    arith.MaximumfOp: "maximum", arith.MinimumfOp: "minimum",  # left by legalize on scalar_minmax machines
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


class FunctionPrinter(VectorPrinting, SimdPrinting):
    """Prints one func.func: structured control flow becomes blocks and phis."""

    def __init__(self, module, op: func.FuncOp, name: str, linkage: str):
        """`module`: the ModulePrinter of targets/llvm.py (declarations, helpers, names)."""
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
        """A conversion's result, rounded once if its type is f16 (legalize
        leaves f16 arithmetic as f32 arithmetic and a truncf)."""
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
        handler = HANDLERS.get(type(op))
        if handler is None:
            raise self.error(op, "cannot be printed inside a function by the llvm target")
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
        self.results(op, self.emit(f"{_FLOAT_BINARY[type(op)]} {t} {a}, {b}"))

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
        """By an amount below the width (legalize; on vectors a splat constant, targets/printable.py)."""
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
        value = self.call_intrinsic(f"llvm.{intrinsic}.{type_suffix(t)}", t, [(t, a) for a in args])
        self.results(op, value)

    def p_fma(self, op: math.FmaOp) -> None:
        args = self.operands(op)
        t = self.ty(op.result.type, op)
        self.results(op, self.call_intrinsic(f"llvm.fma.{type_suffix(t)}", t, [(t, a) for a in args]))

    def p_rsqrt(self, op: math.RsqrtOp) -> None:
        (a,) = self.operands(op)
        rt = op.result.type
        t = self.ty(rt, op)
        root = self.call_intrinsic(f"llvm.sqrt.{type_suffix(t)}", t, [(t, a)])
        one = float_literal(1.0, Float64Type() if t == "double" else Float32Type())
        self.results(op, self.emit(f"fdiv {t} {one}, {root}"))

    def p_libm(self, op: Operation) -> None:
        """libm functions, float and double (f16 arrives widened to f32 by legalize)."""
        args = self.operands(op)
        rt = op.results[0].type
        self.ty(rt, op)  # a type the target prints
        base = (_LIBM_UNARY | _LIBM_BINARY)[type(op)]
        if isinstance(rt, Float64Type):
            name, ct = base, "double"
        else:
            name, ct = base + "f", "float"
        self.module.declare(f"declare {ct} @{name}({', '.join(ct for _ in args)})")
        self.results(op, self.emit(f"call {ct} @{name}({', '.join(f'{ct} {a}' for a in args)})"))

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
        self.results(op, self.call_intrinsic(f"llvm.powi.{type_suffix(t)}.{nt}", t, [(t, a), (nt, n)]))

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
        worker's entry (ModulePrinter.worker_entry) on the team the function
        claims (the kept one, or its own when another call holds that)."""
        if self.team is None:
            self.team = "%team"
            self.allocas += [f"  %own.team = alloca {TEAM_TYPE}, align 8",
                             f"  store {TEAM_TYPE} zeroinitializer, ptr %own.team",
                             f"  {self.team} = call ptr @{TEAM_CLAIM}(ptr %own.team)"]
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
            self.inst(f"call void @{TEAM_RELEASE}(ptr {self.team})")
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




HANDLERS: dict[type[Operation], object] = {
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
    vector.ExtractOp: FunctionPrinter.p_vector_extract,
    vector.ShuffleOp: FunctionPrinter.p_vector_shuffle,
    mask.CmpfOp: FunctionPrinter.p_mask_cmpf,
    mask.SelectOp: FunctionPrinter.p_mask_select,
}

HANDLERS.update(
    {cls: SIMD_HANDLERS[cls.name.removeprefix("arm_simd.")]
     for cls in arm_simd.OPS if cls.name.removeprefix("arm_simd.") in SIMD_HANDLERS}
)
