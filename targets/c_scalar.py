"""Scalar arith and math ops in C: each a C expression, or a call of a
helper from targets/c_runtime.py where C leaves the result undefined.
Each handler takes the function printer (targets/c.py) and the op."""

from __future__ import annotations

from xdsl.dialects import arith
from xdsl.dialects.builtin import IndexType, MemRefType
from xdsl.ir import Attribute, Operation

from pelemay_ir.dialects.index import SizeOfOp
from pelemay_ir.targets import c_runtime as rt
from pelemay_ir.targets.c_types import Unsupported, float_info, int_info, is_f16, type_key, value_ctype


def nothing(fp, op: Operation) -> None:
    """Printed elsewhere (constants inline, functions and globals at file scope)."""


def _float_binary(symbol: str):
    def handle(fp, op: Operation) -> None:
        fp.scalar(op, lambda: f"{fp.expr(op.lhs)} {symbol} {fp.expr(op.rhs)}")
    return handle


def _wrap_binary(name: str):
    def handle(fp, op: Operation) -> None:
        t = int_info(op.result.type)
        fp.scalar(op, lambda: f"{fp.p.helper(rt.wrap(name, t))}({fp.expr(op.lhs)}, {fp.expr(op.rhs)})")
    return handle


def _division(name: str):
    """On operands `legalize` made safe (pelemay.defined): C's own operator."""
    symbol = "/" if name.startswith("div") else "%"

    def handle(fp, op: Operation) -> None:
        t = int_info(op.result.type)
        a, b = fp.expr(op.lhs), fp.expr(op.rhs)
        if name.endswith("ui"):
            fp.scalar(op, lambda: f"({t.c})(({t.unsigned}){a} {symbol} ({t.unsigned}){b})")
        else:
            fp.scalar(op, lambda: f"({t.c})({a} {symbol} {b})")
    return handle


def _shift(name: str):
    """By an amount below the width (legalize); left shifts in the unsigned type,
    the signed right shift of the complement of a negative value (C leaves
    right shifts of negative values to the implementation)."""
    def handle(fp, op: Operation) -> None:
        t = int_info(op.result.type)
        if t.bits == 1:
            raise Unsupported(f"'{op.name}' on i1 is not supported by the C target")
        a, b = fp.expr(op.lhs), f"({t.unsigned}){fp.expr(op.rhs)}"
        if name == "shli":
            e = f"({t.c})({t.unsigned})(({t.wide})({t.unsigned}){a} << {b})"
        elif name == "shrui":
            e = f"({t.c})({t.unsigned})(({t.unsigned}){a} >> {b})"
        else:
            e = f"({t.c})({a} < 0 ? ~(~{a} >> {b}) : {a} >> {b})"
        fp.scalar(op, lambda: e)
    return handle


def _index_sizeof(fp, op: SizeOfOp) -> None:
    fp.scalar(op, lambda: "(ptrdiff_t)(sizeof(ptrdiff_t) * 8)")


def _bitwise(symbol: str):
    def handle(fp, op: Operation) -> None:
        ct = value_ctype(op.result.type)
        fp.scalar(op, lambda: f"({ct})({fp.expr(op.lhs)} {symbol} {fp.expr(op.rhs)})")
    return handle


def _int_minmax(signed: bool, larger: bool):
    def handle(fp, op: Operation) -> None:
        t = int_info(op.result.type)
        a, b = fp.expr(op.lhs), fp.expr(op.rhs)
        rel = ">" if larger else "<"
        if signed and t.bits == 1:
            # As signed i1, true is -1: the max is true only if both are.
            e = f"(uint8_t)({a} & {b})" if larger else f"(uint8_t)({a} | {b})"
        elif signed:
            e = f"{a} {rel} {b} ? {a} : {b}"
        else:
            e = f"({t.unsigned}){a} {rel} ({t.unsigned}){b} ? {a} : {b}"
        fp.scalar(op, lambda: e)
    return handle


_CMPI = {
    "eq": ("==", False), "ne": ("!=", False), "slt": ("<", True), "sle": ("<=", True),
    "sgt": (">", True), "sge": (">=", True), "ult": ("<", False), "ule": ("<=", False),
    "ugt": (">", False), "uge": (">=", False),
}


def _cmpi(fp, op: arith.CmpiOp) -> None:
    pred = arith.CMPI_COMPARISON_OPERATIONS[op.predicate.value.data]
    symbol, signed = _CMPI[pred]
    t = int_info(op.lhs.type)
    a, b = fp.expr(op.lhs), fp.expr(op.rhs)
    if t.bits == 1 and signed:
        a, b = f"-(int){a}", f"-(int){b}"
    elif pred[0] == "u":
        a, b = f"({t.unsigned}){a}", f"({t.unsigned}){b}"
    fp.scalar(op, lambda: f"{a} {symbol} {b}")


_CMPF = {
    "false": "0", "oeq": "{a} == {b}", "ogt": "{a} > {b}", "oge": "{a} >= {b}", "olt": "{a} < {b}",
    "ole": "{a} <= {b}", "one": "({a} < {b} || {a} > {b})", "ord": "({a} == {a} && {b} == {b})",
    "ueq": "!({a} < {b} || {a} > {b})", "ugt": "!({a} <= {b})", "uge": "!({a} < {b})",
    "ult": "!({a} >= {b})", "ule": "!({a} > {b})", "une": "{a} != {b}",
    "uno": "({a} != {a} || {b} != {b})", "true": "1",
}


def _cmpf(fp, op: arith.CmpfOp) -> None:
    pred = arith.CMPF_COMPARISON_OPERATIONS[op.predicate.value.data]
    fp.scalar(op, lambda: _CMPF[pred].format(a=fp.expr(op.lhs), b=fp.expr(op.rhs)))


def _select(fp, op: arith.SelectOp) -> None:
    if isinstance(op.result.type, MemRefType):
        raise Unsupported("'arith.select' of memrefs is not supported by the C target")
    fp.scalar(op, lambda: f"{fp.expr(op.cond)} ? {fp.expr(op.lhs)} : {fp.expr(op.rhs)}")


def _float_minmax(name: str):
    """maxnumf/minnumf: C's fmax/fmin (a NaN operand gives the other)."""
    def handle(fp, op: Operation) -> None:
        f = float_info(op.result.type)
        e = f"{'fmax' if name == 'maxnumf' else 'fmin'}{f.libm}({fp.expr(op.lhs)}, {fp.expr(op.rhs)})"
        fp.scalar(op, lambda: e)
    return handle


def _a64_minmax(instruction: str):
    """maximumf/minimumf as legalize leaves them on machines with the
    instruction (Machine.scalar_minmax): A64's FMAX/FMIN, which C spells
    only as inline assembly (fmaxf is maxNum: a NaN operand gives the other).
    Elsewhere they arrive as compares and selects."""
    def handle(fp, op: Operation) -> None:
        f = float_info(op.result.type)
        register = {"float": "s", "double": "d"}[f.c]
        name = f"pl_{instruction}_{f.suffix}"
        helper = fp.p.helper((name, (
            f"static inline {f.c} {name}({f.c} a, {f.c} b)\n{{\n"
            f"    /* A64 {instruction.upper()}: a NaN operand gives NaN, -0 < +0 (maximumf/minimumf). */\n"
            f"#if defined(__FAST_MATH__)\n"
            f"    return a {'>' if instruction == 'fmax' else '<'} b ? a : b; /* NaN and the sign of zero waived */\n"
            f"#else\n"
            f"    {f.c} r;\n"
            f"    __asm__(\"{instruction} %{register}0, %{register}1, %{register}2\" : \"=w\"(r) : \"w\"(a), \"w\"(b));\n"
            f"    return r;\n"
            f"#endif\n}}\n"
        )))
        fp.scalar(op, lambda: f"{helper}({fp.expr(op.lhs)}, {fp.expr(op.rhs)})")
    return handle

def _negf(fp, op: arith.NegfOp) -> None:
    fp.scalar(op, lambda: f"-{fp.expr(op.operand)}")


def _source_bits(t: Attribute) -> rt.IntType:
    return int_info(t)


def _extsi(fp, op: Operation) -> None:
    ct = value_ctype(op.result.type)
    a = fp.expr(op.input)
    src = _source_bits(op.input.type)
    fp.scalar(op, lambda: f"({ct})(-(int){a})" if src.bits == 1 else f"({ct}){a}")


def _extui(fp, op: Operation) -> None:
    ct = value_ctype(op.result.type)
    src = _source_bits(op.input.type)
    fp.scalar(op, lambda: f"({ct})({src.unsigned}){fp.expr(op.input)}")


def _trunci(fp, op: Operation) -> None:
    dst = int_info(op.result.type)
    a = fp.expr(op.input)
    fp.scalar(op, lambda: f"(uint8_t)({a} & 1)" if dst.bits == 1 else f"({dst.c})({dst.unsigned}){a}")


def _index_cast(fp, op: Operation) -> None:
    src, dst = int_info(op.input.type), int_info(op.result.type)
    a = fp.expr(op.input)
    if dst is rt.INDEX:
        e = f"(ptrdiff_t)(-(int){a})" if src.bits == 1 else f"(ptrdiff_t){a}"
    elif dst.bits == 1:
        e = f"(uint8_t)({a} & 1)"
    elif dst.bits == 64:
        e = f"(int64_t){a}"
    else:
        e = f"({dst.c})({dst.unsigned}){a}"
    fp.scalar(op, lambda: e)


def _itofp(signed: bool):
    def handle(fp, op: Operation) -> None:
        src = int_info(op.input.type)
        ct = value_ctype(op.result.type)
        a = fp.expr(op.input)
        if src.bits == 1:
            e = f"({ct})(-(int){a})" if signed else f"({ct}){a}"
        else:
            e = f"({ct}){a}" if signed else f"({ct})({src.unsigned}){a}"
        fp.scalar(op, lambda: e)
    return handle


def _fptoi(signed: bool):
    """Of a value in range (legalize): C's truncating conversion."""
    def handle(fp, op: Operation) -> None:
        t = int_info(op.result.type)
        x = fp.expr(op.input)
        fp.scalar(op, lambda: f"({t.c}){x}" if signed else f"({t.c})({t.unsigned}){x}")
    return handle


def _extf(fp, op: Operation) -> None:
    """f16 -> f32 is the same float (an f16 value lives in one): no new variable."""
    a = fp.expr(op.input)
    if value_ctype(op.result.type) == "float":
        fp.exprs[op.result] = a
    else:
        fp.scalar(op, lambda: f"(double){a}")


def _truncf(fp, op: Operation) -> None:
    src, dst = type_key(op.input.type), type_key(op.result.type)
    if src == "f64" and dst == "f16":
        raise Unsupported("'arith.truncf' from f64 to f16 is not supported (it would round twice); truncate to f32 first")
    a = fp.expr(op.input)
    fp.scalar(op, lambda: fp.round16(op.result.type, a) if dst == "f16" else f"(float){a}")


def _bitcast(fp, op: Operation) -> None:
    src, dst = op.input.type, op.result.type
    a = fp.expr(op.input)
    if src == dst:
        fp.scalar(op, lambda: a)
    elif is_f16(src):
        fp.scalar(op, lambda: f"(int16_t){fp.p.fixed('pl_f32_to_f16')}({a})")
    elif is_f16(dst):
        fp.scalar(op, lambda: f"{fp.p.fixed('pl_f16_to_f32')}((uint16_t){a})")
    else:
        if isinstance(src, IndexType) or isinstance(dst, IndexType):
            raise Unsupported("'arith.bitcast' of index is not supported by the C target")
        fp.scalar(op, lambda: f"{fp.p.helper(rt.bitcast(value_ctype(src), value_ctype(dst)))}({a})")


_MATH_UNARY = {
    "exp": "exp", "exp2": "exp2", "expm1": "expm1", "log": "log", "log2": "log2", "log10": "log10",
    "log1p": "log1p", "sqrt": "sqrt", "tanh": "tanh", "erf": "erf", "sin": "sin", "cos": "cos",
    "tan": "tan", "asin": "asin", "acos": "acos", "atan": "atan", "sinh": "sinh", "cosh": "cosh",
    "asinh": "asinh", "acosh": "acosh", "atanh": "atanh", "cbrt": "cbrt", "absf": "fabs",
    "floor": "floor", "ceil": "ceil", "trunc": "trunc", "round": "round", "roundeven": "rint",
}
"""math op -> libm base name (f16 arrives widened by legalize where the result would round)."""
_MATH_BINARY = {"powf": "pow", "atan2": "atan2", "copysign": "copysign"}


def _libm(base: str):
    """A math op as its libm function of the operands' type (`expf`, `atan2`, ...)."""
    def handle(fp, op: Operation) -> None:
        args = ", ".join(fp.expr(v) for v in op.operands)
        e = f"{base}{float_info(op.results[0].type).libm}({args})"
        fp.scalar(op, lambda: e)
    return handle


def _rsqrt(fp, op: Operation) -> None:
    t = op.result.type
    f = float_info(t)
    one = "1.0" + f.literal
    fp.scalar(op, lambda: f"{one} / sqrt{f.libm}({fp.expr(op.operand)})")


def _fma(fp, op: Operation) -> None:
    t = op.result.type
    a, b, c = (fp.expr(v) for v in op.operands)
    fp.scalar(op, lambda: f"fma{float_info(t).libm}({a}, {b}, {c})")


def _absi(fp, op: Operation) -> None:
    t = int_info(op.result.type)
    fp.scalar(op, lambda: f"{fp.p.helper(rt.absi(t))}({fp.expr(op.operand)})")


SCALAR_HANDLERS = {
    "index.sizeof": _index_sizeof,
    "arith.constant": nothing,
    "arith.addf": _float_binary("+"),
    "arith.subf": _float_binary("-"),
    "arith.mulf": _float_binary("*"),
    "arith.divf": _float_binary("/"),
    "arith.negf": _negf,
    "arith.maximumf": _a64_minmax("fmax"),
    "arith.minimumf": _a64_minmax("fmin"),
    "arith.maxnumf": _float_minmax("maxnumf"),
    "arith.minnumf": _float_minmax("minnumf"),
    "arith.addi": _wrap_binary("addi"),
    "arith.subi": _wrap_binary("subi"),
    "arith.muli": _wrap_binary("muli"),
    "arith.divsi": _division("divsi"),
    "arith.remsi": _division("remsi"),
    "arith.divui": _division("divui"),
    "arith.remui": _division("remui"),
    "arith.maxsi": _int_minmax(True, True),
    "arith.minsi": _int_minmax(True, False),
    "arith.maxui": _int_minmax(False, True),
    "arith.minui": _int_minmax(False, False),
    "arith.andi": _bitwise("&"),
    "arith.ori": _bitwise("|"),
    "arith.xori": _bitwise("^"),
    "arith.shli": _shift("shli"),
    "arith.shrsi": _shift("shrsi"),
    "arith.shrui": _shift("shrui"),
    "arith.cmpi": _cmpi,
    "arith.cmpf": _cmpf,
    "arith.select": _select,
    "arith.extsi": _extsi,
    "arith.extui": _extui,
    "arith.trunci": _trunci,
    "arith.index_cast": _index_cast,
    "arith.sitofp": _itofp(True),
    "arith.uitofp": _itofp(False),
    "arith.fptosi": _fptoi(True),
    "arith.fptoui": _fptoi(False),
    "arith.extf": _extf,
    "arith.truncf": _truncf,
    "arith.bitcast": _bitcast,
    "math.rsqrt": _rsqrt,
    "math.fma": _fma,
    "math.absi": _absi,
    **{f"math.{n}": _libm(base) for n, base in (_MATH_UNARY | _MATH_BINARY).items()},
}
"""Scalar arith, math and index ops by name."""
