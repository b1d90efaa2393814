"""pointwise-to-matmul{target=T}: run large 1x1 convolutions as matmuls.

A 1x1 convolution with unit strides and dilations, no padding and one group
is a matmul of the input's pixels (N*H*W rows of C) by the filter (C x F).
The vector conv kernel (vector_windows.py) has no cache blocking: every
block of output pixels reads the whole filter, so once the filter is larger
than half the L2 cache it comes from memory again for each block. The
matmul kernel sweeps L2-sized panels of it (vector_cost.panel_columns) and
packs them where that pays. So an f32 pointwise conv whose filter exceeds
half the L2 of machine T becomes

    %x2 = ptensor.reshape %x    : N x H x W x C -> (N*H*W) x C
    %w2 = ptensor.reshape %w    : 1 x 1 x C x F -> C x F
    %m  = ptensor.matmul %x2, %w2
    %y  = ptensor.add %m, %bias                      (when it has a bias)
    %r  = ptensor.reshape %y    : (N*H*W) x F -> N x H x W x F

and elementwise ops that alone use the result (the ReLU6 after it; a bias
or scale of F values) move before the last reshape, so the matmul kernel
fuses them. Reshapes are
views after bufferize: nothing is copied. Off NEON, a pointwise conv whose
output rows are short for the conv kernel's pixel blocks (7 or 14 pixels in
blocks of 5: a block of 2 or 4 is left per row) becomes a matmul too, whose
row blocks run over all the image's pixels. Other pointwise convs stay
convs, which the conv kernel runs as fast or faster (docs/vectorize.md).

Runs on the tensor level, before bufferize, where vectorize runs. With
`target=cuda` every f32 pointwise conv becomes a matmul: on the GPU unit
the matmul is the tiled kernel of `outline-gpu-kernels` (docs/cuda.md),
where the conv is one thread an output; a residual add after it moves
before the last reshape too (its other operand viewed as pixels x F), so
that the kernel fuses it.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, f32
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass

from pelemay_ir.dialects import ptensor as pt
from pelemay_ir.machines import Vectors, vector_unit
from pelemay_ir.passes.vector_cost import lanes_for, outgrows_half_l2, register_block

PASS_NAME = "pointwise-to-matmul"


def is_pointwise(conv: pt.Conv2DOp) -> bool:
    """A 1x1 f32 conv that is a matmul over pixels."""
    kh, kw = conv.filter.type.get_shape()[:2]  # pyright: ignore[reportAttributeAccessIssue]
    return (
        (kh, kw) == (1, 1)
        and conv.groups.value.data == 1
        and all(v == 1 for v in pt.ints(conv.strides) + pt.ints(conv.dilations))
        and not any(pt.ints(conv.padding))
        and all(pt.element(v.type) == f32 for v in (conv.input, conv.filter, conv.result))
    )


def filter_outgrows_l2(conv: pt.Conv2DOp, vectors: Vectors) -> bool:
    c, f = conv.filter.type.get_shape()[2:]  # pyright: ignore[reportAttributeAccessIssue]
    return outgrows_half_l2(vectors, c * f)


SHORT_ROW_SHARE = 5
"""A row is short when its pixels left after the full register blocks are
at least 1/SHORT_ROW_SHARE of it (7 pixels in blocks of 5, 14 in blocks of 5)."""


def rows_leave_short_blocks(conv: pt.Conv2DOp, vectors: Vectors) -> bool:
    """Off NEON: does the conv kernel, which blocks the pixels of one output
    row, leave a narrow block of many of each row's pixels, where the matmul
    blocks all N*H*W pixels as rows? (7x7 and 14x14 images in blocks of 5
    pixels.) Only for channels that fill whole vectors: the matmul's last
    columns take a pass of their own. The block is counted with the
    broadcast in a register; on AVX-512 the conv kernel reads it from memory
    and blocks 6 pixels (1 left of 7, 2 of 14), where the matmul was still
    the faster, while 28x28 (4 left of 28) was slower as a matmul in
    MobileNet v1."""
    if vectors.isa == "neon":
        return False
    f = conv.filter.type.get_shape()[3]  # pyright: ignore[reportAttributeAccessIssue]
    width = conv.result.type.get_shape()[2]  # pyright: ignore[reportAttributeAccessIssue]
    lanes = lanes_for(vectors, f)
    if f < lanes or f % lanes:
        return False
    rows, _ = register_block(vectors, width, f, lanes, by_lane=True)
    return (width % rows) * SHORT_ROW_SHARE >= width


def _moves_through_reshape(op: Operation, value: SSAValue, whole: bool) -> bool:
    """A unary elementwise op, or a binary one whose other operand is a
    vector or scalar (a bias, a scale), or with `whole` a tensor of the
    conv's shape (a residual, viewed as (pixels, F) too): it reads
    (pixels, F) as it read (N, H, W, F)."""
    if isinstance(op, pt.UnaryOp):
        return True
    if isinstance(op, pt.BinaryOp) and list(op.operands).count(value) == 1:
        other = next(v for v in op.operands if v is not value)
        return len(other.type.get_shape()) <= 1 or (whole and other.type == value.type)  # pyright: ignore
    return False


def _insert(op: Operation, before: Operation, hint: str | None) -> SSAValue:
    """op placed before `before`, with its location."""
    op.location = before.location
    before.parent_block().insert_op_before(op, before)  # pyright: ignore[reportOptionalMemberAccess]
    result = op.results[0]
    result.name_hint = hint
    return result


def rewrite(conv: pt.Conv2DOp, whole: bool = False) -> None:
    """The conv as a matmul; `whole`: a binary op with a tensor of the conv's
    shape moves through the reshape too."""
    n, h, w, c = conv.input.type.get_shape()  # pyright: ignore[reportAttributeAccessIssue]
    f = conv.filter.type.get_shape()[3]  # pyright: ignore[reportAttributeAccessIssue]
    hint = conv.result.name_hint
    pixels = _insert(pt.ReshapeOp(conv.input, (n * h * w, c)), conv, None)
    weights = _insert(pt.ReshapeOp(conv.filter, (c, f)), conv, None)
    flat = _insert(pt.MatmulOp(pixels, weights), conv, f"{hint}.matmul" if hint else None)
    if conv.bias is not None:
        flat = _insert(pt.AddOp(flat, conv.bias), conv, f"{hint}.flat" if hint else None)
    # elementwise ops that alone read the result run on the flat matmul output
    replaced: list[Operation] = [conv]
    while len(uses := list((last := replaced[-1]).results[0].uses)) == 1:
        user = uses[0].operation
        if not _moves_through_reshape(user, last.results[0], whole) or user.parent_block() is not conv.parent_block():
            break
        operands = [flat if v is last.results[0] else
                    _insert(pt.ReshapeOp(v, (n * h * w, f)), user, None) if v.type == last.results[0].type else v
                    for v in user.operands]
        moved = type(user).create(
            operands=operands, result_types=[pt.TensorType(pt.element(user.results[0].type), flat.type.get_shape())],  # pyright: ignore[reportAttributeAccessIssue]
            properties=dict(user.properties), attributes=dict(user.attributes),
        )
        hint = user.results[0].name_hint
        flat = _insert(moved, user, f"{hint}.flat" if hint else None)
        replaced.append(user)
    last = replaced[-1]
    shaped = _insert(pt.ReshapeOp(flat, (n, h, w, f)), last, last.results[0].name_hint)
    last.results[0].replace_all_uses_with(shaped)
    for op in reversed(replaced):
        op.detach()
        op.erase()


@dataclass(frozen=True)
class PointwiseToMatmulPass(ModulePass):
    """f32 1x1 convs whose filter outgrows half the L2 (or, off NEON, whose
    output rows leave short pixel blocks) -> reshape, matmul, add, reshape."""

    name = PASS_NAME

    target: str = "host"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        whole = self.target == "cuda"
        if whole:  # the GPU unit's matmul is its tiled kernel (docs/cuda.md): all of them
            chosen = is_pointwise
        else:
            vectors = vector_unit(
                self.target, PASS_NAME, "; the choice is between its vector kernels (leave pointwise-to-matmul out)"
            )

            def chosen(conv: pt.Conv2DOp) -> bool:
                return is_pointwise(conv) and (filter_outgrows_l2(conv, vectors)
                                               or rows_leave_short_blocks(conv, vectors))
        for function in [f for f in op.ops if isinstance(f, func.FuncOp) and f.body.blocks]:
            for conv in [o for o in function.body.block.ops if isinstance(o, pt.Conv2DOp)]:
                if chosen(conv):
                    rewrite(conv, whole)
