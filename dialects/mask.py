"""mask: a compare of vectors lane by lane, and a select by its lanes.

xDSL 0.74's `arith.cmpf` gives a scalar i1 and `arith.select` takes one, so
a rule that `legalize` writes out as compares and selects (the NaN and
zero-sign rule of maximumf/minimumf) needs these two ops on vectors:

    %m = mask.cmpf "ogt", %a, %b : vector<8xf32> -> vector<8xi1>
    %r = mask.select %m, %a, %b : vector<8xi1>, vector<8xf32>

`cmpf` has arith.cmpf's meaning in each lane (an ordered predicate is false
where either lane is NaN); `select` takes lane k of `lhs` where lane k of
the mask is true, else lane k of `rhs`.
"""

from __future__ import annotations

from typing import ClassVar

from xdsl.dialects.builtin import StringAttr, VectorType, i1
from xdsl.ir import Attribute, Dialect, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    VarConstraint,
    irdl_op_definition,
    operand_def,
    prop_def,
    result_def,
    traits_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

PREDICATES = ("oeq", "ogt", "oge", "olt", "ole", "one", "ord", "ueq", "ugt", "uge", "ult", "ule", "une", "uno")
"""arith.cmpf's predicates less the constant ones (`false`, `true`)."""


def mask_type(t: Attribute) -> VectorType:
    """The mask of vectors of type t: as many i1 lanes."""
    assert isinstance(t, VectorType)
    return VectorType(i1, t.get_shape())


def _check_mask(t: Attribute, values: Attribute) -> None:
    if t != mask_type(values):
        raise VerifyException(f"the mask of {values} is {mask_type(values)}, not {t}")


@irdl_op_definition
class CmpfOp(IRDLOperation):
    """arith.cmpf lane by lane: an i1 lane per pair of float lanes."""

    name = "mask.cmpf"
    T: ClassVar = VarConstraint("T", VectorType.constr())
    predicate = prop_def(StringAttr)
    lhs = operand_def(T)
    rhs = operand_def(T)
    result = result_def(VectorType)
    traits = traits_def(Pure())

    assembly_format = "$predicate `,` $lhs `,` $rhs attr-dict `:` type($lhs) `->` type($result)"

    def __init__(self, lhs: SSAValue, rhs: SSAValue, predicate: str):
        super().__init__(operands=[lhs, rhs], result_types=[mask_type(lhs.type)],
                         properties={"predicate": StringAttr(predicate)})

    def verify_(self) -> None:
        if self.predicate.data not in PREDICATES:
            raise VerifyException(f"predicate '{self.predicate.data}' is not one of {', '.join(PREDICATES)}")
        _check_mask(self.result.type, self.lhs.type)


@irdl_op_definition
class SelectOp(IRDLOperation):
    """Lane k of lhs where lane k of the mask holds, else lane k of rhs."""

    name = "mask.select"
    T: ClassVar = VarConstraint("T", VectorType.constr())
    mask = operand_def(VectorType)
    lhs = operand_def(T)
    rhs = operand_def(T)
    result = result_def(T)
    traits = traits_def(Pure())

    assembly_format = "$mask `,` $lhs `,` $rhs attr-dict `:` type($mask) `,` type($result)"

    def __init__(self, mask: SSAValue, lhs: SSAValue, rhs: SSAValue):
        super().__init__(operands=[mask, lhs, rhs], result_types=[lhs.type])

    def verify_(self) -> None:
        _check_mask(self.mask.type, self.lhs.type)


Mask = Dialect("mask", [CmpfOp, SelectOp])
