"""`legalize`: the loop level's machine- and language-dependent ops made
explicit once, for every printer.

`arith` leaves some results undefined (MLIR: poison): division by zero,
`MIN / -1`, shifts by the width or more, float-to-integer conversions out of
range. Pelemay IR defines them (docs/semantics.md), and these
`RewritePattern`s write the definition out as target-independent IR, in the
spirit of MLIR's `arith-expand`:

- division and remainder: the divisor replaced by 1 where the instruction
  would be undefined, then the defined result selected
  (x / 0 = 0, x % 0 = x, MIN / -1 = MIN, MIN % -1 = 0);
- shifts: the amount read as unsigned, and amounts of at least the width
  give 0 (shli, shrui) or the sign (shrsi); an index's width is the
  machine's, `index.sizeof`;
- fptosi / fptoui: truncation that saturates at the type's bounds, NaN
  giving 0, as selects around a conversion of an in-range value;
- maximumf / minimumf: NaN propagates (the first NaN operand), and -0 < +0:
  against a constant that is not NaN (a relu, a clamp) one compare and one
  select, `x P c ? c : x`, whose predicate keeps the sign rule of zeros;
  otherwise branches (scf.if) that take the larger, then the smaller, and
  only for equal or unordered operands the tie (the sign bits of both: max
  and, min or) and the NaN selects; f16 in f32 (exact). Scalars only:
  xDSL's `arith.cmpf` and `arith.select` take a scalar i1, so the same rule
  on vectors (and in vector.reduction) is still each printer's own;
- f16 arithmetic: computed in f32 and rounded once to f16 (`extf`, the op
  in f32, `truncf`), which is exact for +, -, *, / and sqrt (f32 carries
  more than twice f16's precision) and what every printer can do; ops
  whose f16 result is exact on f16 operands (negation, abs, floor, ceil,
  trunc, round, copysign, compare, select) stay f16.

Each op left behind carries `pelemay.defined`: its operands are where every
language agrees on its meaning, so a printer prints it as the plain
instruction (C still computes signed wrap in unsigned types: that is C's
own rule, kept in its printer). The printers run this pass, and
`outline-parallel`, on a module that needs them (`legalized`).
"""

from __future__ import annotations

import numpy as np
from xdsl.context import Context
from xdsl.dialects import arith, math, scf
from xdsl.dialects.builtin import (
    Float16Type,
    Float32Type,
    Float64Type,
    FloatAttr,
    IntegerAttr,
    IntegerType,
    ModuleOp,
    UnitAttr,
    VectorType,
    f16,
    f32,
    i32,
    i64,
)
from xdsl.ir import Attribute, Block, Operation, OpResult, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
)

from pelemay_ir.dialects.index import MIN_INDEX_BITS, SizeOfOp
from pelemay_ir.passes.outline_parallel import has_marked_loops, outline_parallel_loops

DEFINED = "pelemay.defined"
"""On a division, shift or float-to-integer conversion: its operands lie
where the instruction is defined in every language (set by `legalize`)."""

_DIVISIONS = (arith.DivSIOp, arith.RemSIOp, arith.DivUIOp, arith.RemUIOp)
_SHIFTS = (arith.ShLIOp, arith.ShRSIOp, arith.ShRUIOp)
_FLOAT_TO_INT = (arith.FPToSIOp, arith.FPToUIOp)
GUARDED = (*_DIVISIONS, *_SHIFTS, *_FLOAT_TO_INT)
"""The ops `legalize` leaves marked `pelemay.defined` (printed as the plain instruction)."""


def _constant_int(v: SSAValue) -> int | None:
    if isinstance(v, OpResult) and isinstance(v.op, arith.ConstantOp) and isinstance(v.op.value, IntegerAttr):
        return v.op.value.value.data
    return None


class _Builder:
    """Inserts ops before the matched one (or at the end of `block`), with its location."""

    def __init__(self, op: Operation, rewriter: PatternRewriter, block: Block | None = None):
        self.op = op
        self.rewriter = rewriter
        self.block = block

    def add(self, new: Operation) -> SSAValue:
        new.location = self.op.location
        if self.block is None:
            self.rewriter.insert(new)
        else:
            self.block.add_op(new)
        return new.results[0]

    def yield_(self, v: SSAValue) -> None:
        assert self.block is not None
        self.block.add_op(_yield(v, self.op))

    def int(self, value: int, t: Attribute) -> SSAValue:
        return self.add(arith.ConstantOp(IntegerAttr(value, t)))

    def float(self, value: float, t: Attribute) -> SSAValue:
        return self.add(arith.ConstantOp(FloatAttr(value, t)))

    def defined(self, new: Operation) -> SSAValue:
        new.attributes[DEFINED] = UnitAttr()
        return self.add(new)

    def select(self, cond: SSAValue, a: SSAValue, b: SSAValue) -> SSAValue:
        return self.add(arith.SelectOp(cond, a, b))


def _pending(op: Operation) -> bool:
    return DEFINED not in op.attributes and not isinstance(op.results[0].type, VectorType)


class GuardDivision(RewritePattern):
    """divsi/remsi/divui/remui: defined for every divisor."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, _DIVISIONS) or not _pending(op):
            return
        signed = isinstance(op, arith.DivSIOp | arith.RemSIOp)
        a, b = op.operands
        t = op.results[0].type
        known = _constant_int(b)
        by_minus_one = known == -1 or (isinstance(t, IntegerType) and t.width.data == 1 and known == 1)
        if known is not None and known != 0 and not (signed and by_minus_one):
            rewriter.notify_op_modified(op)
            op.attributes[DEFINED] = UnitAttr()  # defined for every dividend
            return
        at = _Builder(op, rewriter)
        zero = at.add(arith.CmpiOp(b, at.int(0, t), "eq"))
        bad = zero
        if signed:
            minus_one = at.add(arith.CmpiOp(b, at.int(-1, t), "eq"))
            bad = at.add(arith.OrIOp(zero, minus_one))
        quotient = at.defined(type(op)(a, at.select(bad, at.int(1, t), b)))
        if isinstance(op, arith.DivSIOp):
            negated = at.add(arith.SubiOp(at.int(0, t), a))
            quotient = at.select(minus_one, negated, quotient)  # pyright: ignore[reportPossiblyUnboundVariable]
        by_zero = at.int(0, t) if isinstance(op, arith.DivSIOp | arith.DivUIOp) else a
        rewriter.replace(op, [], [at.select(zero, by_zero, quotient)])


class GuardShift(RewritePattern):
    """shli/shrsi/shrui: the amount read as unsigned; the width or more shifts
    everything out. An index's width is the machine's: `index.sizeof`."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, _SHIFTS) or not _pending(op):
            return
        a, b = op.operands
        t = op.results[0].type
        at = _Builder(op, rewriter)
        known = _constant_int(b)
        if isinstance(t, IntegerType):
            bits = t.width.data
            known = None if known is None else known % (1 << bits)
            safe, out = bits, bits  # amounts below `safe` are defined, from `out` all bits go
        else:
            bits = None
            safe, out = MIN_INDEX_BITS, 64
            known = None if known is None else known % (1 << 64)
        if known is not None and known < safe:
            rewriter.notify_op_modified(op)
            op.attributes[DEFINED] = UnitAttr()
            return
        if known is not None and known >= out and bits is not None:
            fill = at.defined(arith.ShRSIOp(a, at.int(bits - 1, t))) if isinstance(op, arith.ShRSIOp) else at.int(0, t)
            rewriter.replace(op, [], [fill])
            return
        width = at.int(bits, t) if bits is not None else at.add(SizeOfOp())
        big = at.add(arith.CmpiOp(b, width, "uge")) if bits != 1 else at.add(arith.CmpiOp(b, at.int(0, t), "ne"))
        if isinstance(op, arith.ShRSIOp):  # the sign fills: shift by width - 1
            last = at.int(bits - 1, t) if bits is not None else at.add(arith.SubiOp(width, at.int(1, t)))
            rewriter.replace(op, [], [at.defined(arith.ShRSIOp(a, at.select(big, last, b)))])
            return
        shifted = at.defined(type(op)(a, at.select(big, at.int(0, t), b)))
        rewriter.replace(op, [], [at.select(big, at.int(0, t), shifted)])


def _bounds(signed: bool, width: int) -> tuple[int, int]:
    return (-(1 << (width - 1)), (1 << (width - 1)) - 1) if signed else (0, (1 << width) - 1)


def _as_float(value: float, t: Attribute) -> float:
    """value in t's precision (rounded: 2^31 in f16 is infinity, which still bounds)."""
    dtype = {Float16Type: np.float16, Float32Type: np.float32, Float64Type: np.float64}[type(t)]
    with np.errstate(over="ignore"):
        return float(dtype(value))


class SaturateFloatToInt(RewritePattern):
    """fptosi/fptoui: truncate; at or past a bound give the bound; NaN gives 0."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, _FLOAT_TO_INT) or not _pending(op):
            return
        (x,) = op.operands
        f, t = x.type, op.results[0].type
        width = t.width.data
        signed = isinstance(op, arith.FPToSIOp)
        low, high = _bounds(signed, width)
        at = _Builder(op, rewriter)
        # Past the bounds: x <= low - 1 < everything that truncates in range (or <= low,
        # which is exact, when signed); x >= high + 1.
        below = at.add(arith.CmpfOp(x, at.float(_as_float(low if signed else -1.0, f), f), "ole"))
        above = at.add(arith.CmpfOp(x, at.float(_as_float(high + 1.0, f), f), "oge"))
        nan = at.add(arith.CmpfOp(x, x, "uno"))
        outside = at.add(arith.OrIOp(at.add(arith.OrIOp(below, above)), nan))
        inside = at.defined(type(op)(at.select(outside, at.float(0.0, f), x), t))
        result = at.select(nan, at.int(0, t), inside)
        result = at.select(below, at.int(low, t), result)
        rewriter.replace(op, [], [at.select(above, at.int(high, t), result)])


def _float_constant(v: SSAValue) -> float | None:
    if isinstance(v, OpResult) and isinstance(v.op, arith.ConstantOp) and isinstance(v.op.value, FloatAttr):
        return float(v.op.value.value.data)
    return None


_BITS = {Float32Type: i32, Float64Type: i64}
"""The integer type of a float's bits."""


class ExpandMinMax(RewritePattern):
    """Scalar maximumf/minimumf as compares, branches and selects (the NaN and zero-sign rules)."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, arith.MaximumfOp | arith.MinimumfOp):
            return
        t = op.result.type
        if t != f16 and type(t) not in _BITS:
            return  # vectors: xDSL's arith.cmpf and select take scalar i1 only, so the printers keep them
        at = _Builder(op, rewriter)
        is_max = isinstance(op, arith.MaximumfOp)
        if t == f16:  # exact in f32: the result is one of the operands
            wide = self.expand(at, at.add(arith.ExtFOp(op.lhs, f32)), at.add(arith.ExtFOp(op.rhs, f32)), is_max)
            rewriter.replace(op, [], [at.add(arith.TruncFOp(wide, f16))])
        else:
            rewriter.replace(op, [], [self.expand(at, op.lhs, op.rhs, is_max)])

    @staticmethod
    def expand(at: _Builder, a: SSAValue, b: SSAValue, is_max: bool) -> SSAValue:
        for x, c in ((a, b), (b, a)):
            value = _float_constant(c)
            if value is None or np.isnan(value):
                continue
            negative = bool(np.signbit(value))  # ties go to c when c has the sign the rule wants
            predicate = ("olt" if negative else "ole") if is_max else ("oge" if negative else "ogt")
            return at.select(at.add(arith.CmpfOp(x, c, predicate)), c, x)
        # Branches, as a C library's fmaximum is written: the ordered cases
        # decide with one compare each; only equal (a signed zero's tie) and
        # unordered operands reach the selects.
        first, second = ("ogt", "olt") if is_max else ("olt", "ogt")
        tie = _Builder(at.op, at.rewriter, Block())
        bits = _BITS[type(a.type)]
        a_bits, b_bits = tie.add(arith.BitcastOp(a, bits)), tie.add(arith.BitcastOp(b, bits))
        signs = tie.add(arith.AndIOp(a_bits, b_bits) if is_max else arith.OrIOp(a_bits, b_bits))
        equal = tie.add(arith.BitcastOp(signs, a.type))
        with_b = tie.select(tie.add(arith.CmpfOp(b, b, "uno")), b, equal)
        tie.yield_(tie.select(tie.add(arith.CmpfOp(a, a, "uno")), a, with_b))
        second_case = _Builder(at.op, at.rewriter, Block())
        second_case.yield_(second_case.add(scf.IfOp(
            second_case.add(arith.CmpfOp(a, b, second)), [a.type], [_yield(b, at.op)], [tie.block])))
        return at.add(scf.IfOp(at.add(arith.CmpfOp(a, b, first)), [a.type], [_yield(a, at.op)], [second_case.block]))


def _yield(v: SSAValue, like: Operation) -> Operation:
    op = scf.YieldOp(v)
    op.location = like.location
    return op


_INEXACT_ON_F16 = (
    arith.AddfOp, arith.SubfOp, arith.MulfOp, arith.DivfOp, arith.SIToFPOp, arith.UIToFPOp,
    math.ExpOp, math.Exp2Op, math.ExpM1Op, math.LogOp, math.Log2Op, math.Log10Op, math.Log1pOp,
    math.SqrtOp, math.RsqrtOp, math.CbrtOp, math.TanhOp, math.ErfOp, math.SinOp, math.CosOp,
    math.TanOp, math.AsinOp, math.AcosOp, math.AtanOp, math.Atan2Op, math.SinhOp, math.CoshOp,
    math.AsinhOp, math.AcoshOp, math.AtanhOp, math.PowFOp, math.FPowIOp, math.FmaOp,
)
"""Ops whose f16 result is a rounding of the exact one."""


class ComputeHalfInSingle(RewritePattern):
    """An inexact op on f16: the same op on the operands widened to f32 (exactly),
    then one rounding to f16."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, _INEXACT_ON_F16) or op.results[0].type != f16:
            return
        at = _Builder(op, rewriter)
        operands = [at.add(arith.ExtFOp(v, f32)) if v.type == f16 else v for v in op.operands]
        wide = at.add(type(op).create(operands=operands, result_types=[f32], properties=dict(op.properties),
                                      attributes=dict(op.attributes)))
        rewriter.replace(op, [], [at.add(arith.TruncFOp(wide, f16))])


PATTERNS = (GuardDivision(), GuardShift(), SaturateFloatToInt(), ExpandMinMax(), ComputeHalfInSingle())


def _needs_patterns(module: ModuleOp) -> bool:
    return any(
        isinstance(op, GUARDED) and _pending(op)
        or isinstance(op, arith.MaximumfOp | arith.MinimumfOp) and not isinstance(op.result.type, VectorType)
        or isinstance(op, _INEXACT_ON_F16) and op.results[0].type == f16
        for op in module.walk()
    )


def legalize(module: ModuleOp) -> None:
    """Outline parallel loops, then make every guarded op defined, in place."""
    outline_parallel_loops(module)
    patterns = GreedyRewritePatternApplier(list(PATTERNS), dce_enabled=False)  # printers print what they are given
    PatternRewriteWalker(patterns, apply_recursively=False).rewrite_module(module)


def legalized(module: ModuleOp) -> ModuleOp:
    """What a printer prints: the module itself when it is legal already, else a legalized copy."""
    if not has_marked_loops(module) and not _needs_patterns(module):
        return module
    module = module.clone()
    legalize(module)
    return module


class LegalizePass(ModulePass):
    """Outline parallel loops and make the ops arith leaves undefined defined."""

    name = "legalize"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        legalize(op)

