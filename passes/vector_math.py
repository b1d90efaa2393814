"""exp on vectors, for the softmax kernel: no library call, W lanes at a time.

The C library's expf is one call per element and the largest cost of a
softmax. This is the classic range reduction, written with the portable
vector ops only (so it prints for every machine, NEON included):

    exp(x) = 2^n * exp(r),  n = round(x / ln 2),  r = x - n ln 2,  |r| <= ln2 / 2

- n is rounded by adding 1.5 * 2^23 + 127 to x / ln 2: the sum's low mantissa
  bits then hold n + 127, and subtracting the constant again gives n exactly.
- r is taken in two steps (Cody and Waite): ln 2 split into a part with few
  mantissa bits, whose product with n is exact, and the rest.
- exp(r) is its Taylor polynomial of degree 7 in Horner form (coefficients
  1/k!); its truncation error at |r| = ln2 / 2 is below 2^-27.
- 2^n is built directly as a float: n + 127 shifted into the exponent field.

Measured against float64 exp over [-87.3, 0]: at most 1.4 units in the last
place. Inputs must be at most 0 (softmax's x - max): larger ones would
overflow the exponent field. Inputs below -87.33 (where exp underflows to
subnormals) give 2^-126 * exp(r) instead, under 1.2e-38; a NaN stays NaN.
"""

from __future__ import annotations

import math

from xdsl.ir import SSAValue

from pelemay_ir.passes.vector_emitter import VectorEmitter

ROUNDING = 1.5 * 2**23 + 127
"""x / ln 2 plus this holds round(x / ln 2) + 127 in its low mantissa bits."""
LN2_HIGH = 0.693359375
"""ln 2 to 9 bits: n * LN2_HIGH is exact for |n| < 2^15."""
LN2_LOW = math.log(2) - LN2_HIGH
LOWEST = -87.33654
"""Below ln(2^-126) the exponent field would underflow."""
DEGREE = 7


SPLATS = 12
"""Splat constants the exp keeps in registers (LOWEST, 1 / ln 2, ROUNDING, the
two parts of ln 2 and the distinct Taylor coefficients)."""
LIVE_PER_VECTOR = 3
"""Values one exp in flight keeps (its input, the shifted sum, r or p)."""


def interleaved(registers: int, most: int) -> int:
    """How many exps to compute side by side (at most `most`): as many as fit
    the register file beside the constants, at least one."""
    return max(1, min(most, (registers - SPLATS) // LIVE_PER_VECTOR))


def exp_nonpositive(em: VectorEmitter, xs: list[SSAValue]) -> list[SSAValue]:
    """exp of each lane of each vector of xs, for lanes <= 0. Each exp is a
    chain of about fifteen dependent ops, so the vectors go step by step side
    by side: the core overlaps the independent chains instead of waiting on
    one (softmax 1024x1024 in a C harness: 318 -> 290 us with four)."""
    xs = [em.vmax(x, em.vconst(LOWEST)) for x in xs]
    shifted = [em.vfma(x, em.vconst(1 / math.log(2)), em.vconst(ROUNDING)) for x in xs]
    ns = [em.vsub(s, em.vconst(ROUNDING)) for s in shifted]
    rs = [em.vfma(n, em.vconst(-LN2_HIGH), x) for n, x in zip(ns, xs)]
    rs = [em.vfma(n, em.vconst(-LN2_LOW), r) for n, r in zip(ns, rs)]
    ps = [em.vconst(1 / math.factorial(DEGREE))] * len(xs)
    for k in range(DEGREE - 1, -1, -1):
        ps = [em.vfma(p, r, em.vconst(1 / math.factorial(k))) for p, r in zip(ps, rs)]
    scales = [em.vfloat(em.vshift_left(em.vbits(s), 23)) for s in shifted]
    return [em.vmul(p, scale) for p, scale in zip(ps, scales)]
