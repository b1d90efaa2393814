"""The op table's losses: NegativeLogLikelihoodLoss and
SoftmaxCrossEntropyLoss as a one-hot pick of each target's entry (the
target compared with an iota over the classes, a select and a sum over
them), weights picked the same way, ignore_index a mask and the reductions
sums; the target is only compared, so int64 targets held as int32 are exact.
The results follow ONNX's reference, its choice of denominator for `mean`
included."""

from __future__ import annotations

import numpy as np

from pelemay_ir.onnx_ops import _float, _text, op
from pelemay_ir.onnx_ops_layout import one_hot, pick
from pelemay_ir.onnx_values import Held, Node


def _loss(node: Node, logp, sce: bool) -> Held:
    """The loss of log-probabilities `logp` (N, C, d...) against input 1."""
    b = node.b
    reduction = _text(node.attrs.get("reduction", b"mean"))
    if reduction not in ("none", "sum", "mean"):
        raise node.fail(f"attribute reduction={reduction} is not supported")
    shape = logp.shape
    if len(shape) < 2:
        raise node.fail("an input of rank below 2 is not valid")
    target = node.tensor(1)
    classes = shape[1]
    hot = one_hot(node, target, classes, 1)  # (N, C, d...)
    zero = node.scalar(0, logp)
    loss = b.neg(pick(node, logp, hot, 1))  # (N, d...)
    ignore = node.attrs.get("ignore_index")
    kept = b.compare("ne", target, node.constant(np.array(ignore, dtype=np.int32))) if ignore is not None else None
    if kept is not None:
        loss = b.select(kept, loss, zero)
    weight = None
    if node.has(2):
        w = node.tensor(2)
        w = b.reshape(w, (1, classes) + (1,) * (len(shape) - 2))
        weight = pick(node, b.broadcast(w, hot.shape), hot, 1)
        if kept is not None:
            weight = b.select(kept, weight, zero)
    elif kept is not None and (sce or ignore != -1):
        weight = b.select(kept, node.constant(np.ones(target.shape, dtype=logp.dtype)), zero)
    if weight is not None:
        loss = b.mul(weight, loss)
    axes = list(range(len(loss.shape)))
    if reduction == "none":
        return Held(loss)
    if reduction == "sum":
        return Held(b.reduce_sum(loss, axes))
    if weight is not None:
        return Held(b.div(b.reduce_sum(loss, axes), b.reduce_sum(weight, axes)))
    return Held(b.reduce_mean(loss, axes))


@op("NegativeLogLikelihoodLoss")
def _nll(node: Node):
    x = node.tensor(0)
    _float(node, x)
    return [_loss(node, x, sce=False)]


@op("SoftmaxCrossEntropyLoss")
def _sce(node: Node):
    b = node.b
    x = node.tensor(0)
    _float(node, x)
    shifted = b.sub(x, b.reduce_max(x, [1], True))
    logp = b.sub(shifted, b.log(b.reduce_sum(b.exp(shifted), [1], True)))
    return [_loss(node, logp, sce=True), Held(logp)]
