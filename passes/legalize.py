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
- maximumf / minimumf, on scalars and vectors, and vector.reduction
  <maximumf|minimumf> (halves of the vector combined): NaN propagates (the
  first NaN operand), and -0 < +0, as compares and selects without a
  branch (`minmax`); against a constant that is not NaN (a relu, a clamp)
  one compare and one select. On a machine whose FPU has the rule as one
  instruction (Machine.scalar_minmax: AArch64) scalars stay the op, marked. On vectors the compares and selects are
  mask.cmpf and mask.select (dialects/mask.py: xDSL's arith.cmpf and
  arith.select take a scalar i1); f16 in f32 (exact);
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

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects import arith, math, vector
from xdsl.dialects.builtin import (
    AnyFloat,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    Float16Type,
    Float32Type,
    Float64Type,
    FloatAttr,
    IntegerAttr,
    IntegerType,
    ModuleOp,
    StringAttr,
    UnitAttr,
    VectorType,
    f16,
    f32,
    i32,
    i64,
)
from xdsl.ir import Attribute, Operation, OpResult, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
)

from pelemay_ir.dialects import mask
from pelemay_ir.dialects.index import MIN_INDEX_BITS, SizeOfOp
from pelemay_ir.machines import MACHINES, TARGET_ATTR, Machine
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
    """Inserts ops before the matched one, with its location."""

    def __init__(self, op: Operation, rewriter: PatternRewriter):
        self.op = op
        self.rewriter = rewriter

    def add(self, new: Operation) -> SSAValue:
        new.location = self.op.location
        self.rewriter.insert(new)
        return new.results[0]

    def int(self, value: int, t: Attribute) -> SSAValue:
        return self.add(arith.ConstantOp(IntegerAttr(value, t)))

    def float(self, value: float, t: Attribute) -> SSAValue:
        return self.add(arith.ConstantOp(FloatAttr(value, t)))

    def defined(self, new: Operation) -> SSAValue:
        new.attributes[DEFINED] = UnitAttr()
        return self.add(new)

    def select(self, cond: SSAValue, a: SSAValue, b: SSAValue) -> SSAValue:
        """arith.select, or on vectors mask.select."""
        return self.add(mask.SelectOp(cond, a, b) if isinstance(cond.type, VectorType) else arith.SelectOp(cond, a, b))

    def cmpf(self, a: SSAValue, b: SSAValue, predicate: str) -> SSAValue:
        """arith.cmpf, or on vectors mask.cmpf."""
        return self.add(mask.CmpfOp(a, b, predicate) if isinstance(a.type, VectorType) else arith.CmpfOp(a, b, predicate))


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
    """The value of a float constant, or of every lane of a splat one (a
    vector.broadcast of a constant, or a dense constant of one value); else None."""
    if not isinstance(v, OpResult):
        return None
    op = v.op
    if isinstance(op, vector.BroadcastOp):
        return _float_constant(op.source)
    if isinstance(op, arith.ConstantOp) and isinstance(op.value, FloatAttr):
        return float(op.value.value.data)
    if isinstance(op, arith.ConstantOp) and isinstance(op.value, DenseIntOrFPElementsAttr):
        values = np.asarray(op.value.get_values(), dtype=np.float64)
        bits = values.view(np.uint64)
        if values.size and isinstance(_float_element(op.result.type), AnyFloat) and (bits == bits[0]).all():
            return float(values[0])
    return None


_BITS = {Float32Type: i32, Float64Type: i64}
"""The integer type of a float's bits."""


def _bits_type(t: Attribute) -> Attribute:
    """The integer type (or vector of it) holding the bits of a float (vector)."""
    if isinstance(t, VectorType):
        return VectorType(_BITS[type(t.element_type)], t.get_shape())
    return _BITS[type(t)]


def minmax(at: _Builder, a: SSAValue, b: SSAValue, is_max: bool, instruction: bool = False,
           loose: bool = False) -> SSAValue:
    """maximumf/minimumf of two f32 or f64 values or vectors: the one place of
    their rule (docs/semantics.md). NaN propagates (the first NaN operand),
    and -0 < +0. Compares and selects without a branch, so a C compiler can
    vectorise a loop of them:

        pick    = a > b ? a : b       (b when equal or unordered: a NaN b stays)
        ordered = a == b ? bits(a) & bits(b) : pick     (or: min; -0 and +0)
        result  = a is NaN ? a : ordered

    Against a constant c that is not NaN (a relu, a clamp), one compare and one
    select, `x P c ? c : x`: a NaN x compares false and stays, and P keeps the
    sign rule of zeros (a max takes c on ties when c has no sign bit, a min
    when it has one). Otherwise, on scalars of a machine whose FPU has the
    rule as one instruction (`instruction`, Machine.scalar_minmax: A64's
    FMAX/FMIN), the op itself, marked defined. An op marked
    `fastmath<nnan,nsz>` (`loose`: its user gets the same result whichever
    operand is picked on NaN or on zeros of either sign, as softmax's shift)
    is `pick` alone."""
    for x, c in ((a, b), (b, a)):
        value = _float_constant(c)
        if value is None or np.isnan(value):
            continue
        negative = bool(np.signbit(value))
        predicate = ("olt" if negative else "ole") if is_max else ("oge" if negative else "ogt")
        return at.select(at.cmpf(x, c, predicate), c, x)
    if instruction and not isinstance(a.type, VectorType):
        return at.defined(arith.MaximumfOp(a, b) if is_max else arith.MinimumfOp(a, b))
    pick = at.select(at.cmpf(a, b, "ogt" if is_max else "olt"), a, b)
    if loose:
        return pick
    bits = _bits_type(a.type)
    a_bits, b_bits = at.add(arith.BitcastOp(a, bits)), at.add(arith.BitcastOp(b, bits))
    tie = at.add(arith.BitcastOp(at.add(arith.AndIOp(a_bits, b_bits) if is_max else arith.OrIOp(a_bits, b_bits)),
                                 a.type))
    ordered = at.select(at.cmpf(a, b, "oeq"), tie, pick)
    return at.select(at.cmpf(a, a, "une"), a, ordered)  # a != a: a is NaN


def _float_element(t: Attribute) -> Attribute:
    return t.element_type if isinstance(t, VectorType) else t


@dataclass(frozen=True)
class ExpandMinMax(RewritePattern):
    """maximumf/minimumf on scalars and vectors of f32 or f64 (`minmax`); f16 in f32 (exact)."""

    instruction: bool
    """The machine computes scalar maximumf/minimumf in one instruction."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, arith.MaximumfOp | arith.MinimumfOp) or DEFINED in op.attributes:
            return
        t = op.result.type
        at = _Builder(op, rewriter)
        is_max = isinstance(op, arith.MaximumfOp)
        loose = LOOSE_MINMAX <= op.fastmath.data
        if t == f16:  # exact in f32: the result is one of the operands
            wide = minmax(at, at.add(arith.ExtFOp(op.lhs, f32)), at.add(arith.ExtFOp(op.rhs, f32)), is_max,
                          self.instruction, loose)
            rewriter.replace(op, [], [at.add(arith.TruncFOp(wide, f16))])
        elif type(_float_element(t)) in _BITS:
            rewriter.replace(op, [], [minmax(at, op.lhs, op.rhs, is_max, self.instruction, loose)])


LOOSE_MINMAX = frozenset({"nnan", "nsz"})
"""The fastmath flags under which maximumf/minimumf may pick either operand on
a NaN or on zeros of either sign (minmax's `loose`)."""

_REDUCTION_MINMAX = {vector.CombiningKindFlag.MAXIMUMF: True, vector.CombiningKindFlag.MINIMUMF: False}


def _reduces_minmax(op: Operation) -> bool:
    return (isinstance(op, vector.ReductionOp) and op.kind.data in _REDUCTION_MINMAX
            and op.vector.type.get_num_dims() == 1 and type(op.vector.type.element_type) in _BITS)


@dataclass(frozen=True)
class ExpandReduction(RewritePattern):
    """vector.reduction <maximumf|minimumf>: `minmax` of the vector and itself
    rotated by half its lanes, then by a quarter, ... (log2 W steps on whole
    vectors), then lane 0, then `acc` first if given. Max and min are
    associative and commutative under the rule (NaN if any lane is NaN,
    -0 < +0), so the order changes nothing but which NaN."""

    instruction: bool
    """As ExpandMinMax's: the lanes' scalar combines are one instruction."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not _reduces_minmax(op):
            return
        assert isinstance(op, vector.ReductionOp)
        at = _Builder(op, rewriter)
        is_max = _REDUCTION_MINMAX[op.kind.data]
        v, t = op.vector, op.vector.type
        width = span = t.get_shape()[0]
        while span % 2 == 0:  # lanes [0, span) combined pairwise, span / 2 apart
            half = span // 2
            rotation = [(k + half) % span if k < span else k for k in range(width)]
            rotated = at.add(vector.ShuffleOp(v, v, DenseArrayBase.from_list(i64, rotation), result_type=t))
            v, span = minmax(at, v, rotated, is_max), half
        lanes = [at.add(vector.ExtractOp(v, [k], t.element_type)) for k in range(span)]
        result = lanes.pop(0) if op.acc is None else op.acc
        for lane in lanes:
            result = minmax(at, result, lane, is_max, self.instruction)
        rewriter.replace(op, [], [result])


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


def _patterns(minmax_instruction: bool) -> list[RewritePattern]:
    return [GuardDivision(), GuardShift(), SaturateFloatToInt(), ExpandMinMax(minmax_instruction),
            ExpandReduction(minmax_instruction), ComputeHalfInSingle()]


def _needs_patterns(module: ModuleOp) -> bool:
    return any(
        isinstance(op, GUARDED) and _pending(op)
        or isinstance(op, arith.MaximumfOp | arith.MinimumfOp) and DEFINED not in op.attributes
        or _reduces_minmax(op)
        or isinstance(op, _INEXACT_ON_F16) and op.results[0].type == f16
        for op in module.walk()
    )


def legalize(module: ModuleOp, machine: Machine | None = None) -> None:
    """Outline parallel loops, then make every guarded op defined, in place,
    for `machine` (default: the CPU the module was lowered for, if recorded;
    else what every machine can print)."""
    if machine is None:
        recorded = module.attributes.get(TARGET_ATTR)
        machine = MACHINES.get(recorded.data) if isinstance(recorded, StringAttr) else None
    outline_parallel_loops(module)
    minmax_instruction = machine is not None and machine.scalar_minmax
    patterns = GreedyRewritePatternApplier(_patterns(minmax_instruction), dce_enabled=False)  # printers print what they are given
    PatternRewriteWalker(patterns, apply_recursively=False).rewrite_module(module)


def legalized(module: ModuleOp, machine: Machine | None = None) -> ModuleOp:
    """What a printer prints for `machine`: the module itself when it is legal
    already, else a legalized copy."""
    if not has_marked_loops(module) and not _needs_patterns(module):
        return module
    module = module.clone()
    legalize(module, machine)
    return module


class LegalizePass(ModulePass):
    """Outline parallel loops and make the ops arith leaves undefined defined."""

    name = "legalize"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        legalize(op)

