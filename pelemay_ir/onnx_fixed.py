"""Graph inputs an ONNX node needs at compile time (a Reshape's shape, a
Reduce's axes): fixed from the shapes the graph declares, kept as arguments
of the compiled function, and checked at every call.

A value is fixed only where the declared output shape leaves one meaning:
every value that gives that shape computes the same thing (a Reshape's
`[2, -1, 4]` and `[2, 3, 4]`), so the run-time check accepts exactly those.
Where the shape leaves a choice that changes the result (a Slice's start,
how a Pad splits its padding) nothing is fixed and the importer rejects the
model naming the node.

The rules travel on the entry function as the `pelemay.fixed_inputs`
attribute (JSON). The generated run function (C and LLVM) accepts exactly
the value it was compiled for and returns PELEMAY_ERR_INPUT for any other;
`cbuild.check_inputs`, which every Python call goes through (host, LLVM,
qemu), accepts any value with the same meaning, raises a ValueError naming
the node otherwise, and passes the compiled value on.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence

import numpy as np

ATTR = "pelemay.fixed_inputs"

IDENTITY_ON_ONE = frozenset({"ReduceSum", "ReduceMax", "ReduceMin", "ReduceMean", "ReduceProd"})
"""Reductions for which reducing an axis of size 1 changes nothing."""


WINDOWS = frozenset({"HannWindow", "HammingWindow", "BlackmanWindow"})
"""Window functions: their size is their output's length."""


class Undetermined(Exception):
    """The declared shapes leave more than one meaning (or none)."""


# --- what a value means --------------------------------------------------------


def reshape_to(data: Sequence[int], shape: Sequence[int], allowzero: int) -> tuple[int, ...] | None:
    out = [data[i] if d == 0 and not allowzero and i < len(data) else int(d) for i, d in enumerate(shape)]
    if out.count(-1) > 1 or any(d < -1 for d in out):
        return None
    if -1 in out:
        known = int(np.prod([d for d in out if d != -1]))
        if known == 0 or int(np.prod(data)) % known:
            return None
        out[out.index(-1)] = int(np.prod(data)) // known
    return tuple(out) if int(np.prod(out)) == int(np.prod(data)) else None


def squeeze_to(data: Sequence[int], axes: Sequence[int]) -> tuple[int, ...] | None:
    rank = len(data)
    if any(not -rank <= a < rank for a in axes):
        return None
    drop = {a % rank for a in axes} if len(axes) else {i for i, d in enumerate(data) if d == 1}
    if len(drop) != len(axes) and len(axes) or any(data[a] != 1 for a in drop):
        return None
    return tuple(d for i, d in enumerate(data) if i not in drop)


def unsqueeze_to(data: Sequence[int], axes: Sequence[int]) -> tuple[int, ...] | None:
    rank = len(data) + len(axes)
    if not len(axes) or any(not -rank <= a < rank for a in axes) or len({a % rank for a in axes}) != len(axes):
        return None
    out = list(data)
    for a in sorted(a % rank for a in axes):
        out.insert(a, 1)
    return tuple(out)


def expand_to(data: Sequence[int], shape: Sequence[int]) -> tuple[int, ...] | None:
    try:
        return tuple(np.broadcast_shapes(tuple(data), tuple(int(d) for d in shape)))
    except ValueError:
        return None


def reduced_axes(rule: dict, axes: Sequence[int]) -> set[int] | None:
    """The axes a Reduce's value reduces, less those that change nothing."""
    rank = rule["rank"]
    if any(not -rank <= a < rank for a in axes):
        return None
    chosen = {a % rank for a in axes} if len(axes) else (set() if rule["noop"] else set(range(rank)))
    return chosen - set(rule["ignore"])


def reduce_to(data: Sequence[int], axes: Sequence[int], keepdims: bool, noop: bool) -> tuple[int, ...] | None:
    """The shape a Reduce with these axes makes of `data`."""
    rank = len(data)
    if any(not -rank <= a < rank for a in axes):
        return None
    chosen = {a % rank for a in axes} if len(axes) else (set() if noop else set(range(rank)))
    if not chosen:
        return tuple(data)
    if keepdims:
        return tuple(1 if i in chosen else d for i, d in enumerate(data))
    return tuple(d for i, d in enumerate(data) if i not in chosen)


SHAPED = {"reshape": reshape_to, "squeeze": squeeze_to, "unsqueeze": unsqueeze_to, "expand": expand_to}


def accepts(rule: dict, value: np.ndarray) -> bool:
    """Whether `value` means what the program was compiled for."""
    v = [int(x) for x in np.asarray(value).reshape(-1)]
    kind = rule["rule"]
    if kind == "equal":
        return v == rule["value"]
    if kind == "axes":
        return (reduced_axes(rule, v) == set(rule["axes"])
                and reduce_to(rule["data"], v, rule["keepdims"], rule["noop"]) == tuple(rule["shape"]))
    if kind == "reshape":
        return reshape_to(rule["data"], v, rule["allowzero"]) == tuple(rule["shape"])
    return SHAPED[kind](rule["data"], v) == tuple(rule["shape"])


def meaning(rule: dict) -> str:
    kind = rule["rule"]
    if kind == "equal":
        return f"must be {rule['value']}"
    if kind == "axes":
        return f"must reduce the axes {sorted(rule['axes'])} of {list(rule['data'])} to {list(rule['shape'])}"
    return f"must give the shape {list(rule['shape'])} from {list(rule['data'])}"


# --- fixing a value at import --------------------------------------------------


def determine(op: str, attrs: dict, index: int, length: int, data: tuple[int, ...],
              out: tuple[int, ...] | None, outs: Sequence[tuple[int, ...] | None] = ()) -> tuple[np.ndarray, dict]:
    """The value (`length` integers) of input `index` of an `op` node whose
    first input has shape `data` and whose first output is declared `out`
    (all outputs: `outs`), and the rule a call's value must follow. Raises
    Undetermined."""
    value, rule = _determine(op, attrs, index, length, data, out, outs)
    if value.size != length or not accepts(rule, value):
        raise Undetermined(f"no value of {length} integers gives the declared output shape")
    return value, rule


def _determine(op, attrs, index, length, data, out, outs) -> tuple[np.ndarray, dict]:
    if op == "Split" and index == 1:
        axis = attrs.get("axis", 0) % len(data)
        if not outs or any(o is None for o in outs):
            raise Undetermined("the output shapes are not declared")
        sizes = [o[axis] for o in outs]
        if sum(sizes) != data[axis]:
            raise Undetermined("the declared output shapes do not add up")
        return np.array(sizes, np.int64), {"rule": "equal", "value": sizes}
    if out is None:
        raise Undetermined("its output shape is not declared")
    if (op, index) in (("ConstantOfShape", 0), ("MaxUnpool", 2)):
        return np.array(out, np.int64), {"rule": "equal", "value": list(out)}
    if op == "Reshape" and index == 1:
        allowzero = int(attrs.get("allowzero", 0))
        if reshape_to(data, out, allowzero) != out:
            raise Undetermined("the declared output shape does not fit the input")
        return np.array(out, np.int64), {"rule": "reshape", "data": list(data), "shape": list(out), "allowzero": allowzero}
    if op == "Expand" and index == 1:
        value = out[len(out) - length:] if length <= len(out) else (1,) * (length - len(out)) + out
        return np.array(value, np.int64), {"rule": "expand", "data": list(data), "shape": list(out)}
    if op == "Tile" and index == 1:
        if len(out) != len(data) or any(d == 0 or o % d for d, o in zip(data, out)):
            raise Undetermined("the declared output shape is not a tiling of the input")
        reps = [o // d for d, o in zip(data, out)]
        return np.array(reps, np.int64), {"rule": "equal", "value": reps}
    if op in ("Squeeze", "Unsqueeze") and index == 1:
        small, big = (out, data) if op == "Squeeze" else (data, out)
        fn = squeeze_to if op == "Squeeze" else unsqueeze_to
        rule = {"rule": op.lower(), "data": list(data), "shape": list(out)}
        for axes in itertools.combinations(range(len(big)), length):
            if fn(data, list(axes)) == out:
                return np.array(axes, np.int64), rule
        raise Undetermined("the declared output shape does not fit the input")
    if op == "CenterCropPad" and index == 1:
        axes = [int(a) % len(data) for a in attrs.get("axes", range(len(data)))]
        if len(out) != len(data) or any(o != d for a, (o, d) in enumerate(zip(out, data)) if a not in axes):
            raise Undetermined("the declared output shape does not fit the input")
        value = [out[a] for a in axes]
        return np.array(value, np.int64), {"rule": "equal", "value": value}
    if op == "TopK" and index == 1:
        axis = int(attrs.get("axis", -1)) % len(data)
        if len(out) != len(data) or any(o != d for a, (o, d) in enumerate(zip(out, data)) if a != axis):
            raise Undetermined("the declared output shape does not fit the input")
        return np.array([out[axis]], np.int64), {"rule": "equal", "value": [out[axis]]}
    if op in ("CumSum", "CumProd") and index == 1 and len(data) == 1:  # one axis to run along
        return np.array(0, np.int64), {"rule": "equal", "value": [0]}
    if op in WINDOWS and index == 0:
        return np.array(out[0], np.int64), {"rule": "equal", "value": [out[0]]}
    if op == "OneHot" and index == 1:
        axis = int(attrs.get("axis", -1)) % len(out)
        if len(out) != len(data) + 1:
            raise Undetermined("the declared output shape does not fit the input")
        return np.array([out[axis]], np.int64), {"rule": "equal", "value": [out[axis]]}
    if op == "Resize" and index == 3:
        if attrs.get("keep_aspect_ratio_policy", b"stretch") not in (b"stretch", "stretch"):
            raise Undetermined("the sizes are not the output shape under keep_aspect_ratio_policy")
        axes = [int(a) % len(data) for a in attrs.get("axes", range(len(data)))]
        if len(out) != len(data) or any(out[a] != d for a, d in enumerate(data) if a not in axes):
            raise Undetermined("the declared output shape does not fit the input")
        value = [out[a] for a in axes]
        return np.array(value, np.int64), {"rule": "equal", "value": value}
    if op.startswith("Reduce") and index == 1:
        return _reduce_axes(op, attrs, length, data, out)
    raise Undetermined("the declared shapes do not determine it")


def _reduce_axes(op: str, attrs: dict, length: int, data: tuple[int, ...], out: tuple[int, ...]) -> tuple[np.ndarray, dict]:
    rank = len(data)
    keep = bool(attrs.get("keepdims", 1))
    noop = bool(attrs.get("noop_with_empty_axes", 0))
    rule = {"rule": "axes", "rank": rank, "noop": noop, "keepdims": keep, "data": list(data), "shape": list(out),
            "axes": [], "ignore": [a for a, d in enumerate(data) if d == 1] if op in IDENTITY_ON_ONE else []}
    fitting = [axes for k in range(rank + 1) for axes in itertools.combinations(range(rank), k)
               if reduce_to(data, axes, keep, noop) == out]
    meanings = {frozenset(reduced_axes(rule, list(axes))) for axes in fitting}
    if len(meanings) != 1:
        raise Undetermined("the declared output shape leaves " + ("no choice" if not meanings else "a choice of axes"))
    (reduced,) = meanings
    rule["axes"] = sorted(reduced)
    value = next((axes for axes in fitting if len(axes) == length), None)
    if value is None:
        raise Undetermined(f"no {length} axes give the declared output shape")
    return np.array(value, np.int64), rule


# --- the run-time check --------------------------------------------------------


def encode(rules: Sequence[dict]) -> str:
    return json.dumps(list(rules), separators=(",", ":"))


def check(encoded: str, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """The inputs with each fixed one replaced by the value it was compiled
    for (the generated code accepts that one only, PELEMAY_ERR_INPUT else);
    ValueError when a call passes a fixed input another meaning."""
    arrays = list(inputs)
    for rule in json.loads(encoded):
        k = rule["input"]
        if not accepts(rule, inputs[k]):
            given = np.asarray(inputs[k]).reshape(-1).tolist()
            raise ValueError(
                f"input {k} ('{rule['name']}') was fixed when the model was compiled "
                f"(node '{rule['node']}', {rule['op']}): it {meaning(rule)}, got {given}"
            )
        arrays[k] = np.array(rule["value"], dtype=inputs[k].dtype).reshape(inputs[k].shape)
    return arrays
