"""The op table's recurrent family: LSTM, GRU, RNN and Scan unrolled over
their static sequence length. For the three cells, per step and direction one
matmul for the input and one for the hidden state, the gates sliced out of the
result; forward, reverse or both, either layout. Scan imports its body once
per step (registered in `pelemay_ir.onnx_ops.OPS`)."""

from __future__ import annotations

import numpy as np

from pelemay_ir.builder import Tensor
from pelemay_ir.onnx_ops import _float, _text, op
from pelemay_ir.onnx_values import Held, Node

_ACTIVATIONS = {"Sigmoid": "sigmoid", "Tanh": "tanh", "Relu": "relu"}


class _Frame:
    """What the three ops share: the input as (seq, batch, features), the
    directions, and each direction's weights, biases and initial states."""

    def __init__(self, node: Node, gates: int, defaults: list[str]):
        b = self.b = node.b
        self.node = node
        self.direction = _text(node.attrs.get("direction", b"forward"))
        if self.direction not in ("forward", "reverse", "bidirectional"):
            raise node.fail(f"attribute direction={self.direction} is not supported")
        self.dirs = 2 if self.direction == "bidirectional" else 1
        names = [_text(a) for a in node.attrs.get("activations", [])] or defaults * self.dirs
        if len(names) != len(defaults) * self.dirs or any(n not in _ACTIVATIONS for n in names):
            raise node.fail(f"attribute activations={names} is not supported (Sigmoid, Tanh, Relu)")
        if "activation_alpha" in node.attrs or "activation_beta" in node.attrs:
            raise node.fail("attributes activation_alpha and activation_beta are not supported")
        self.activations = [names[d * len(defaults):(d + 1) * len(defaults)] for d in range(self.dirs)]
        if "clip" in node.attrs:
            raise node.fail("attribute clip is not supported")
        if node.has(4):
            raise node.fail("input sequence_lens is not supported")
        self.layout = node.attrs.get("layout", 0)
        x = node.tensor(0)
        _float(node, x)
        self.x = b.transpose(x, (1, 0, 2)) if self.layout else x
        self.seq, self.batch, self.features = self.x.shape
        self.hidden = node.attrs.get("hidden_size", node.shape(2)[-1])
        self.gates = gates

    def act(self, d: int, k: int, t: Tensor) -> Tensor:
        return getattr(self.b, _ACTIVATIONS[self.activations[d][k]])(t)

    def part(self, i: int, d: int, transpose: bool = False) -> Tensor:
        """Direction d of input i (its leading num_directions axis dropped),
        a known matrix transposed at import."""
        b, node = self.b, self.node
        v = node.value(i)
        shape = node.shape(i)
        if isinstance(v, Held):
            t = b.reshape(b.slice(node.tensor(i), [d] + [0] * (len(shape) - 1), [1, *shape[1:]]), shape[1:])
            return b.transpose(t, (1, 0)) if transpose else t
        a = np.asarray(v)[d]
        return node.constant(np.ascontiguousarray(a.T if transpose else a))

    def biases(self, d: int) -> tuple[Tensor | None, Tensor | None]:
        """Direction d's input and recurrence biases (gates * hidden each)."""
        if not self.node.has(3):
            return None, None
        n = self.gates * self.hidden
        bd = self.part(3, d)
        return self.b.slice(bd, [0], [n]), self.b.slice(bd, [n], [n])

    def state(self, i: int, d: int) -> Tensor:
        b, node = self.b, self.node
        if not node.has(i):
            return node.constant(np.zeros((self.batch, self.hidden), dtype=self.x.dtype))
        t = node.tensor(i)
        if self.layout:
            t = b.transpose(t, (1, 0, 2))
        return b.reshape(b.slice(t, [d, 0, 0], [1, self.batch, self.hidden]), (self.batch, self.hidden))

    def steps(self, d: int) -> range:
        backward = self.direction == "reverse" or d == 1
        return range(self.seq - 1, -1, -1) if backward else range(self.seq)

    def x_at(self, t: int) -> Tensor:
        return self.b.reshape(self.b.slice(self.x, [t, 0, 0], [1, self.batch, self.features]), (self.batch, self.features))

    def slab(self, t: Tensor, k: int) -> Tensor:
        """Gate k's columns of a (batch, gates * hidden) value."""
        return self.b.slice(t, [0, k * self.hidden], [self.batch, self.hidden])

    def outputs(self, ys: list[list[Tensor]], finals: list[list[Tensor]]) -> list[Held]:
        """Y (seq, dirs, batch, hidden) and the final states (dirs, batch, hidden)."""
        b = self.b
        per_dir = []
        for steps in ys:
            parts = [b.reshape(h, (1, 1, self.batch, self.hidden)) for h in steps]
            per_dir.append(b.concat(parts, 0) if len(parts) > 1 else parts[0])
        y = b.concat(per_dir, 1) if self.dirs > 1 else per_dir[0]
        out = [y]
        for k in range(len(finals[0])):
            hs = [b.reshape(f[k], (1, self.batch, self.hidden)) for f in finals]
            out.append(b.concat(hs, 0) if self.dirs > 1 else hs[0])
        if self.layout:
            out = [b.transpose(out[0], (2, 0, 1, 3))] + [b.transpose(h, (1, 0, 2)) for h in out[1:]]
        return [Held(t) for t in out]


@op("LSTM")
def _lstm(node: Node):
    """Gates i, o, f, c; peepholes on i, f (previous cell) and o (new cell)."""
    node.reject_attrs(input_forget=0)
    f = _Frame(node, 4, ["Sigmoid", "Tanh", "Tanh"])
    b, hidden = f.b, f.hidden
    ys, finals = [], []
    for d in range(f.dirs):
        wt, rt = f.part(1, d, transpose=True), f.part(2, d, transpose=True)
        wb, rb = f.biases(d)
        bias = b.add(wb, rb) if wb is not None else None
        peep = None
        if node.has(7):
            pd = f.part(7, d)
            peep = [b.slice(pd, [k * hidden], [hidden]) for k in range(3)]  # i, o, f
        h, c = f.state(5, d), f.state(6, d)
        steps: list[Tensor | None] = [None] * f.seq
        for t in f.steps(d):
            gates = b.add(b.matmul(f.x_at(t), wt), b.matmul(h, rt))
            if bias is not None:
                gates = b.add(gates, bias)
            i_pre, o_pre, f_pre = f.slab(gates, 0), f.slab(gates, 1), f.slab(gates, 2)
            if peep is not None:
                i_pre, f_pre = b.add(i_pre, b.mul(peep[0], c)), b.add(f_pre, b.mul(peep[2], c))
            c = b.add(b.mul(f.act(d, 0, f_pre), c), b.mul(f.act(d, 0, i_pre), f.act(d, 1, f.slab(gates, 3))))
            if peep is not None:
                o_pre = b.add(o_pre, b.mul(peep[1], c))
            h = b.mul(f.act(d, 0, o_pre), f.act(d, 2, c))
            steps[t] = h
        ys.append(steps)
        finals.append([h, c])
    return f.outputs(ys, finals)


@op("GRU")
def _gru(node: Node):
    """Gates z, r, h; linear_before_reset either way."""
    f = _Frame(node, 3, ["Sigmoid", "Tanh"])
    b = f.b
    before = bool(node.attrs.get("linear_before_reset", 0))
    ys, finals = [], []
    for d in range(f.dirs):
        wt, rt = f.part(1, d, transpose=True), f.part(2, d, transpose=True)  # (features, 3H), (H, 3H)
        wb, rb = f.biases(d)
        rt_zr = b.slice(rt, [0, 0], [f.hidden, 2 * f.hidden])
        rt_h = b.slice(rt, [0, 2 * f.hidden], [f.hidden, f.hidden])
        h = f.state(5, d)
        steps: list[Tensor | None] = [None] * f.seq
        for t in f.steps(d):
            xw = b.matmul(f.x_at(t), wt)
            if wb is not None:
                xw = b.add(xw, wb)
            hr = b.matmul(h, rt_zr)
            if rb is not None:
                hr = b.add(hr, b.slice(rb, [0], [2 * f.hidden]))
            z = f.act(d, 0, b.add(f.slab(xw, 0), f.slab(hr, 0)))
            r = f.act(d, 0, b.add(f.slab(xw, 1), f.slab(hr, 1)))
            rbh = b.slice(rb, [2 * f.hidden], [f.hidden]) if rb is not None else None
            if before:
                hh = b.matmul(h, rt_h)
                if rbh is not None:
                    hh = b.add(hh, rbh)
                cand = b.mul(r, hh)
            else:
                cand = b.matmul(b.mul(r, h), rt_h)
                if rbh is not None:
                    cand = b.add(cand, rbh)
            n = f.act(d, 1, b.add(f.slab(xw, 2), cand))
            h = b.add(b.mul(b.sub(node.scalar(1, z), z), n), b.mul(z, h))
            steps[t] = h
        ys.append(steps)
        finals.append([h])
    return f.outputs(ys, finals)


@op("RNN")
def _rnn(node: Node):
    f = _Frame(node, 1, ["Tanh"])
    b = f.b
    ys, finals = [], []
    for d in range(f.dirs):
        wt, rt = f.part(1, d, transpose=True), f.part(2, d, transpose=True)
        wb, rb = f.biases(d)
        bias = b.add(wb, rb) if wb is not None else None
        h = f.state(5, d)
        steps: list[Tensor | None] = [None] * f.seq
        for t in f.steps(d):
            pre = b.add(b.matmul(f.x_at(t), wt), b.matmul(h, rt))
            if bias is not None:
                pre = b.add(pre, bias)
            h = f.act(d, 0, pre)
            steps[t] = h
        ys.append(steps)
        finals.append([h])
    return f.outputs(ys, finals)


_MAX_STEPS = 256
"""Scan is unrolled: each step imports its body once more."""


@op("Scan")
def _scan(node: Node):
    """Scan over static lengths, unrolled: the body imported once per step
    with the states carried and each scan input's slice at the step; the scan
    outputs' slices are concatenated along their axes. Opset 8's batch axis
    runs one such scan per batch entry."""
    m = node.attrs["num_scan_inputs"]
    first = 0 if node.opset >= 9 else 1  # opset 8's sequence_lens comes first
    values = [node.value(i) for i in range(first, node.n_inputs)]
    if not 0 < m <= len(values):
        raise node.fail(f"attribute num_scan_inputs={m} is not valid for {len(values)} inputs")
    if node.opset >= 9:
        scans = values[-m:]
        axes = [int(a) for a in node.attrs.get("scan_input_axes", [0] * m)]
        for a, v in zip(axes, scans):
            if not -len(v.shape) <= a < len(v.shape):
                raise node.fail(f"attribute scan_input_axes: axis {a} is out of range for rank {len(v.shape)}")
        axes = [a % len(v.shape) for a, v in zip(axes, scans)]
        return _unrolled(node, values[:-m], scans, axes, node.attrs.get("scan_input_directions", [0] * m))
    if node.has(0):
        raise node.fail("input sequence_lens is not supported")
    rows = []
    for k in range(values[0].shape[0]):
        entry = [_take(node, v, 0, k) for v in values]
        rows.append(_unrolled(node, entry[:-m], entry[-m:], [0] * m, node.attrs.get("directions", [0] * m)))
    return [_stack(node, [r[j] for r in rows], 0) for j in range(len(rows[0]))]


def _unrolled(node: Node, states: list, scans: list, in_axes: list[int], in_dirs: list[int]) -> list:
    """The final states and the stacked scan outputs of one scan."""
    body = node.attrs["body"]
    n, m = len(states), len(scans)
    if len(body.input) != n + m or len(body.output) < n:
        raise node.fail(f"the body takes {len(body.input)} inputs and gives {len(body.output)} outputs; "
                        f"expected {n + m} inputs and at least {n} outputs")
    k = len(body.output) - n
    out_axes = node.attrs.get("scan_output_axes", [0] * k)
    out_dirs = node.attrs.get("scan_output_directions", [0] * k)
    lengths = {v.shape[a] for v, a in zip(scans, in_axes)}
    if len(lengths) != 1:
        raise node.fail(f"scan inputs of different lengths {sorted(lengths)} are not valid")
    steps = lengths.pop()
    if not 0 < steps <= _MAX_STEPS:
        raise node.fail(f"a scan of {steps} steps is not supported (1 to {_MAX_STEPS})")
    importer = node.importer
    names = _defined(body)
    saved = {name: importer.values[name] for name in names if name in importer.values}
    outputs: list[list] = [[] for _ in range(k)]
    for t in range(steps):
        picked = [_take(node, v, a, steps - 1 - t if d else t) for v, a, d in zip(scans, in_axes, in_dirs)]
        for proto, v in zip(body.input, states + picked):
            importer.values[proto.name] = v
        results = importer.inline(node, body)
        for j, (old, new) in enumerate(zip(states, results[:n])):
            if tuple(old.shape) != tuple(new.shape):
                raise node.fail(f"state {j} changes shape from {list(old.shape)} to {list(new.shape)} in the body")
        states = results[:n]
        for j in range(k):
            outputs[j].append(results[n + j])
    for name in names:
        importer.values.pop(name, None)
    importer.values.update(saved)
    stacked = []
    for j, (parts, axis, d) in enumerate(zip(outputs, out_axes, out_dirs)):
        rank = len(parts[0].shape) + 1
        if not -rank <= axis < rank:
            raise node.fail(f"scan output {j}'s axis {axis} is out of range for rank {rank}")
        stacked.append(_stack(node, parts[::-1] if d else parts, axis % rank))
    return states + stacked


def _defined(graph) -> set[str]:
    """The names a body defines: its inputs, initializers and nodes' outputs."""
    names = {i.name for i in graph.input} | {i.name for i in graph.initializer}
    for proto in graph.node:
        names |= {o for o in proto.output if o}
    return names


def _take(node: Node, v, axis: int, k: int):
    """Entry k of v along axis, the axis removed (a known value stays known)."""
    if not isinstance(v, Held):
        return np.take(np.asarray(v), k, axis=axis)
    b = node.b
    t = node.as_tensor(v)
    shape = list(t.shape)
    starts = [0] * len(shape)
    starts[axis] = k
    part = b.slice(t, starts, shape[:axis] + [1] + shape[axis + 1:])
    return Held(b.reshape(part, shape[:axis] + shape[axis + 1:]), wide=v.wide, kind=v.kind)


def _stack(node: Node, parts: list, axis: int):
    """The parts stacked along a new axis (known parts stay known)."""
    if not any(isinstance(p, Held) for p in parts):
        return np.stack([np.asarray(p) for p in parts], axis=axis)
    b = node.b
    held = next(p for p in parts if isinstance(p, Held))
    pieces = []
    for p in parts:
        t = node.as_tensor(p) if isinstance(p, Held) else node.constant(p)
        shape = list(t.shape)
        pieces.append(b.reshape(t, shape[:axis] + [1] + shape[axis:]))
    return Held(b.concat(pieces, axis) if len(pieces) > 1 else pieces[0], wide=held.wide, kind=held.kind)
