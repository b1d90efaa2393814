"""index: what the machine decides about the index type, as MLIR's `index`
dialect has it.

`index.sizeof` is the width of `index` in bits (32 or 64, the machine's
pointer width): `legalize` guards shifts of index values with it, so the
guard holds on every machine and each printer prints the width it knows
(C: `sizeof(ptrdiff_t) * 8`; LLVM: the machine's pointer width).
"""

from __future__ import annotations

from xdsl.dialects.builtin import IndexType
from xdsl.ir import Dialect
from xdsl.irdl import IRDLOperation, irdl_op_definition, result_def, traits_def
from xdsl.traits import Pure

MIN_INDEX_BITS = 32
"""No machine this project targets has a narrower index."""


@irdl_op_definition
class SizeOfOp(IRDLOperation):
    """The width of `index` in bits."""

    name = "index.sizeof"
    result = result_def(IndexType)
    traits = traits_def(Pure())
    assembly_format = "attr-dict"

    def __init__(self):
        super().__init__(result_types=[IndexType()])


Index = Dialect("index", [SizeOfOp])
