"""The loop nest of matmul: C[..., i, j] = sum_k A[..., i, k] * B[..., k, j].

Batch dimensions broadcast as in NumPy; the sum is carried in iter_args, in
f32 for floats (f16 rounds once at the store), in i32 for i8 operands
(sign-extended, wrapping) and in i32 for i32.
"""

from __future__ import annotations

from xdsl.dialects.builtin import i8, i32
from xdsl.ir import SSAValue

from pelemay_ir.dialects import pbuf
from pelemay_ir.dialects import ptensor as pt
from pelemay_ir.passes.loops_elementwise import broadcast_index
from pelemay_ir.passes.loops_emitter import Emitter, compute_type, element_of, shape_of


def _matmul(em: Emitter, op: pbuf.DestinationOp):
    a, b = op.inputs_
    out = op.output_
    a_shape, b_shape, out_shape = shape_of(a), shape_of(b), shape_of(out)
    k_size = a_shape[-1]
    acc_type = i32 if element_of(a) == i8 else compute_type(element_of(a))

    def body(ivs: list[SSAValue]) -> None:
        batch, i, j = ivs[:-2], ivs[-2], ivs[-1]
        a_batch = broadcast_index(batch, a_shape[:-2])
        b_batch = broadcast_index(batch, b_shape[:-2])

        def step(k: list[SSAValue], acc: list[SSAValue]) -> list[SSAValue]:
            x = em.widen(em.load(a, [*a_batch, i, k[0]]), acc_type)
            y = em.widen(em.load(b, [*b_batch, k[0], j]), acc_type)
            return [em.addv(acc[0], em.mulv(x, y))]

        (total,) = em.reduce([(0, k_size)], [em.zero(acc_type)], step)
        em.store(total, out, ivs)

    return em.nest(out_shape, body)


KERNELS = {pt.MatmulOp: _matmul}
