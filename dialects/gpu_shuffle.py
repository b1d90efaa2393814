"""`gpu.shuffle`, which xDSL 0.74's gpu dialect lacks, as MLIR defines it
(here in the generic form): `%r, %valid = gpu.shuffle down %value, %offset,
%width : f32`. Lane i of a warp gets `value` from lane i + offset (`down`),
i - offset (`up`), i ^ offset (`xor`) or offset (`idx`), its own when that
lane is not below `width`; `valid` says which. Every lane must take part."""

from __future__ import annotations

from enum import auto

from xdsl.dialects import arith
from xdsl.dialects.builtin import Float32Type, IntegerAttr, i1, i32
from xdsl.dialects.utils import EnumAttribute
from xdsl.ir import SpacedOpaqueSyntaxAttribute, SSAValue
from xdsl.irdl import IRDLOperation, irdl_attr_definition, irdl_op_definition, operand_def, prop_def, result_def
from xdsl.utils.str_enum import StrEnum


class ShuffleModeEnum(StrEnum):
    xor = auto()
    up = auto()
    down = auto()
    idx = auto()


@irdl_attr_definition
class ShuffleModeAttr(EnumAttribute[ShuffleModeEnum], SpacedOpaqueSyntaxAttribute):
    name = "gpu.shuffle_mode"


@irdl_op_definition
class ShuffleOp(IRDLOperation):
    name = "gpu.shuffle"

    mode = prop_def(ShuffleModeAttr)
    value = operand_def(Float32Type)
    offset = operand_def(i32)
    width = operand_def(i32)
    shuffled = result_def(Float32Type)
    valid = result_def(i1)

    def __init__(self, mode: ShuffleModeEnum, value: SSAValue, offset: SSAValue, width: SSAValue):
        super().__init__(operands=[value, offset, width], result_types=[value.type, i1],
                         properties={"mode": ShuffleModeAttr(mode)})


def warp_width(op: ShuffleOp) -> int | None:
    """The shuffle's width when it is a constant."""
    owner = op.width.owner
    if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr):
        return owner.value.value.data
    return None
