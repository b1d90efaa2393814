"""The meaning of every ptensor op, computed with NumPy: the oracle of all testing.

Every lowering (C, LLVM, NEON) is checked by comparing its output with this
module's, so the rules here are the ones generated C99 can follow on every
target without undefined behaviour (docs/semantics.md states them):
integers wrap in two's complement and divide truncating toward zero with
x / 0 = 0; float max/min propagate NaN; f16 is a storage type, computed in f32
and rounded to f16 after each op. Float work is done in float32, so a C
implementation differs from this one only by summation order and libm.

`evaluate` runs a function of a module; `apply` computes one op from arrays,
knowing nothing of SSA values, so a buffer-level interpreter can reuse it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import FloatAttr, IntegerAttr, ModuleOp, TensorType
from xdsl.ir import Attribute, Operation, SSAValue

from pelemay_ir import dtypes, ir, weights
from pelemay_ir.dialects import ptensor as pt
from pelemay_ir.ir import CompileError, location_of
from pelemay_ir.shapes import fmt, normalize_axes, normalize_axis

F32 = np.dtype(np.float32)
F64 = np.dtype(np.float64)
I64 = np.dtype(np.int64)
U64 = np.dtype(np.uint64)

MAX_CALL_DEPTH = 200

Kernel = Callable[[Operation, list[np.ndarray], "ModuleOp | None"], np.ndarray]


class InputError(ValueError):
    """The arrays given to `evaluate` do not match the function's arguments."""


# --- public entry points -----------------------------------------------------


def evaluate(
    module_or_path: ModuleOp | str | Path,
    inputs: Sequence[np.ndarray] | Mapping[str, np.ndarray],
    entry: str | None = None,
) -> list[np.ndarray]:
    """Run function `entry` (default: see `entry_function`) on `inputs`.

    `inputs` are arrays in argument order, or a dict keyed by argument name
    (`%x` is "x") or by position ("arg0", "arg1", ...). Each array must have
    exactly the argument's shape and dtype. Returns the results in order.
    """
    if isinstance(module_or_path, ModuleOp):
        module = module_or_path
        ir.verify(module)
    elif isinstance(module_or_path, (str, Path)):
        module = ir.load(module_or_path)
    else:
        raise TypeError(
            "evaluate expects a ModuleOp or the path of a .mlir file, got "
            f"{type(module_or_path).__name__}"
        )
    function = entry_function(module, entry)
    args = bind_inputs(function, inputs)
    return [np.array(v, copy=True) for v in _call(module, function, args, depth=0)]


def entry_function(module: ModuleOp, entry: str | None = None) -> func.FuncOp:
    """The function `entry` names, or else the last func.func of the module.

    The last one is the default because helpers are defined before the
    function that calls them, so the program's main function comes last.
    """
    functions = [op for op in module.ops if isinstance(op, func.FuncOp)]
    if not functions:
        raise ValueError("the module has no func.func to evaluate")
    if entry is None:
        return functions[-1]
    for f in functions:
        if f.sym_name.data == entry:
            return f
    names = ", ".join(f.sym_name.data for f in functions)
    raise ValueError(f"the module has no function '{entry}'; it has: {names}")


def apply(op: Operation, args: Sequence[np.ndarray], module: ModuleOp | None = None) -> np.ndarray:
    """Compute one ptensor op on arrays; `module` is needed only for ptensor.weight.

    Uses only the op's properties and result type, never its SSA operands.
    """
    kernel = KERNELS.get(type(op))
    if kernel is None:
        raise CompileError(
            f"the reference evaluator has no meaning for op '{op.name}'", location_of(op)
        )
    if len(args) != len(op.operands):
        raise ValueError(
            f"'{op.name}' takes {len(op.operands)} operands, got {len(args)} arrays"
        )
    out_type = op.results[0].type
    assert isinstance(out_type, TensorType)
    dtype = dtypes.numpy_dtype(out_type.element_type)
    shape = tuple(out_type.get_shape())
    with np.errstate(all="ignore"):
        try:
            value = kernel(op, [np.asarray(a) for a in args], module)
        except weights.WeightsError as e:
            raise CompileError(str(e), location_of(op)) from None
        value = np.asarray(value).astype(dtype, copy=False)
    if value.shape != shape:
        raise CompileError(
            f"'{op.name}' computed a {fmt(value.shape)} array for result type "
            f"{pt.type_str(out_type)}",
            location_of(op),
        )
    return value


# --- running functions -------------------------------------------------------


def bind_inputs(
    function: func.FuncOp, inputs: Sequence[np.ndarray] | Mapping[str, np.ndarray]
) -> list[np.ndarray]:
    """The inputs in argument order, each checked for exact shape and dtype."""
    params = list(function.body.block.args) if function.body.blocks else []
    labels = [_arg_label(a, i) for i, a in enumerate(params)]
    name = function.sym_name.data
    if isinstance(inputs, Mapping):
        values = _inputs_by_name(params, inputs, name)
    else:
        if isinstance(inputs, np.ndarray):
            raise InputError(
                f"inputs of '{name}' must be a list of arrays or a dict, not one array"
            )
        values = list(inputs)
        if len(values) != len(params):
            raise InputError(
                f"function '{name}' takes {len(params)} arguments "
                f"({', '.join(labels) or 'none'}), got {len(values)} inputs"
            )
    bound = []
    for param, label, value in zip(params, labels, values):
        bound.append(_check_input(param.type, label, value))
    return bound


def _arg_label(arg: SSAValue, index: int) -> str:
    hint = arg.name_hint
    return f"'{hint}' (arg{index})" if hint else f"arg{index}"


def _inputs_by_name(
    params: list[SSAValue], inputs: Mapping[str, np.ndarray], function: str
) -> list[np.ndarray]:
    keys = {}
    for i, p in enumerate(params):
        keys[f"arg{i}"] = i
        if p.name_hint:
            keys[p.name_hint] = i
    found: dict[int, tuple[str, np.ndarray]] = {}
    for key, value in inputs.items():
        key = key.removeprefix("%")
        if key not in keys:
            valid = ", ".join(keys) or "none"
            raise InputError(
                f"function '{function}' has no argument named '{key}'; valid names: {valid}"
            )
        index = keys[key]
        if index in found:
            raise InputError(
                f"argument arg{index} of '{function}' is given twice, as "
                f"'{found[index][0]}' and '{key}'"
            )
        found[index] = (key, value)
    missing = [_arg_label(p, i) for i, p in enumerate(params) if i not in found]
    if missing:
        raise InputError(f"function '{function}' is missing inputs for {', '.join(missing)}")
    return [found[i][1] for i in range(len(params))]


def _check_input(type_: Attribute, label: str, value: object) -> np.ndarray:
    assert isinstance(type_, TensorType)
    dtype = dtypes.numpy_dtype(type_.element_type)
    shape = tuple(type_.get_shape())
    want = f"{pt.type_str(type_)} (NumPy {dtype}, shape {shape})"
    if not isinstance(value, (np.ndarray, np.generic)):
        raise InputError(
            f"argument {label} expects a NumPy array {want}, got {type(value).__name__}"
        )
    array = np.asarray(value)
    if array.dtype != dtype or array.shape != shape:
        raise InputError(
            f"argument {label} expects {want}, got {array.dtype} array of shape {array.shape}"
        )
    return array


def _call(
    module: ModuleOp, function: func.FuncOp, args: list[np.ndarray], depth: int
) -> list[np.ndarray]:
    if depth > MAX_CALL_DEPTH:
        raise CompileError(
            f"calls nest deeper than {MAX_CALL_DEPTH} (recursion through "
            f"'{function.sym_name.data}'?)",
            location_of(function),
        )
    if not function.body.blocks:
        raise CompileError(
            f"function '{function.sym_name.data}' is only declared, it has no body",
            location_of(function),
        )
    if len(function.body.blocks) != 1:
        raise CompileError(
            f"function '{function.sym_name.data}' has several blocks; the reference "
            "evaluator runs straight-line functions only",
            location_of(function),
        )
    block = function.body.block
    ops = list(block.ops)
    last_use: dict[SSAValue, int] = {}
    for index, op in enumerate(ops):
        for operand in op.operands:
            last_use[operand] = index
    env: dict[SSAValue, np.ndarray] = dict(zip(block.args, args))
    for index, op in enumerate(ops):
        operands = [env[v] for v in op.operands]
        if isinstance(op, func.ReturnOp):
            return operands
        if isinstance(op, func.CallOp):
            results = _call(module, _callee(module, op), operands, depth + 1)
        else:
            results = [apply(op, operands, module=module)]
        env.update(zip(op.results, results))
        for operand in op.operands:
            if last_use.get(operand) == index:
                env.pop(operand, None)
    raise CompileError(
        f"function '{function.sym_name.data}' ends without func.return", location_of(function)
    )


def _callee(module: ModuleOp, call: func.CallOp) -> func.FuncOp:
    name = call.callee.string_value()
    for op in module.ops:
        if isinstance(op, func.FuncOp) and op.sym_name.data == name:
            return op
    raise CompileError(f"call to unknown function '@{name}'", location_of(call))


# --- helpers -----------------------------------------------------------------


def _is_float(a: np.ndarray) -> bool:
    return a.dtype.kind == "f"


def _wide(a: np.ndarray) -> np.ndarray:
    """Where an op computes: f16 and f32 in float32, integers exactly in int64."""
    if a.dtype.kind == "f":
        return a.astype(F32, copy=False)
    if a.dtype.kind == "i":
        return a.astype(I64, copy=False)
    return a


def _scalar(attr: Attribute, like: np.ndarray) -> np.ndarray:
    """A bound or pad value: the attribute rounded to the operand's element type."""
    assert isinstance(attr, (FloatAttr, IntegerAttr))
    value = np.array(attr.value.data).astype(like.dtype)
    return _wide(value)


def _trunc_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Integer division truncating toward zero, with x / 0 = 0 (int64, exact)."""
    a, b = np.broadcast_arrays(a, b)
    zero = b == 0
    safe = np.where(zero, 1, b)
    q = np.abs(a) // np.abs(safe)
    q = np.where((a < 0) != (safe < 0), -q, q)
    return np.where(zero, 0, q)


def _props(op: Operation, name: str) -> tuple[int, ...]:
    return pt.ints(getattr(op, name))


def _int(op: Operation, name: str) -> int:
    return getattr(op, name).value.data


# --- constants -----------------------------------------------------------------


def _constant(op: pt.ConstantOp, args, module) -> np.ndarray:
    ty = op.value.type
    dtype = dtypes.numpy_dtype(ty.element_type)
    raw = np.int8 if dtype == np.bool_ else dtype.newbyteorder("<")
    flat = np.frombuffer(op.value.data.data, dtype=raw)
    if dtype == np.bool_:
        flat = flat != 0
    shape = tuple(ty.get_shape())
    if flat.size == 1:
        return np.full(shape, flat[0], dtype=dtype)
    return flat.reshape(shape)


def _weight(op: pt.WeightOp, args, module) -> np.ndarray:
    if module is None:
        raise CompileError(
            f"ptensor.weight '{op.key.data}' needs the module to read its weights from",
            location_of(op),
        )
    ty = op.result.type
    assert isinstance(ty, TensorType)
    return weights.read(module, op.key.data, op.offset.value.data, ty)


# --- elementwise ---------------------------------------------------------------


def _unary(float_fn: Callable, int_fn: Callable | None = None) -> Kernel:
    def kernel(op, args, module):
        x = _wide(args[0])
        if _is_float(x):
            return float_fn(x)
        assert int_fn is not None
        return int_fn(x)

    return kernel


def _rounded_once(fn: Callable) -> Callable:
    """A transcendental function: computed in float64, rounded once to float32."""
    return lambda x: fn(x.astype(F64)).astype(F32)


_erf64 = np.frompyfunc(math.erf, 1, 1)


def _gelu64(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + np.asarray(_erf64(x / np.sqrt(2.0)), dtype=F64))


def _relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, x.dtype.type(0))


def _relu6(x: np.ndarray) -> np.ndarray:
    return np.minimum(np.maximum(x, x.dtype.type(0)), x.dtype.type(6))


def _clamp(op: pt.ClampOp, args, module) -> np.ndarray:
    x = _wide(args[0])
    lo, hi = _scalar(op.min, args[0]), _scalar(op.max, args[0])
    return np.minimum(np.maximum(x, lo), hi)


def _binary(fn: Callable, int_fn: Callable | None = None) -> Kernel:
    def kernel(op, args, module):
        a, b = _wide(args[0]), _wide(args[1])
        if int_fn is not None and not _is_float(a):
            return int_fn(a, b)
        return fn(a, b)

    return kernel


_COMPARE = {
    "eq": np.equal,
    "ne": np.not_equal,
    "lt": np.less,
    "le": np.less_equal,
    "gt": np.greater,
    "ge": np.greater_equal,
}


def _compare(op: pt.CompareOp, args, module) -> np.ndarray:
    return _COMPARE[op.predicate.data](_wide(args[0]), _wide(args[1]))


def _select(op: pt.SelectOp, args, module) -> np.ndarray:
    return np.where(args[0], args[1], args[2])


def _cast(op: pt.CastOp, args, module) -> np.ndarray:
    x = args[0]
    ty = op.result.type
    assert isinstance(ty, TensorType)
    target = dtypes.numpy_dtype(ty.element_type)
    if target == np.bool_:
        return x != 0
    if x.dtype == np.bool_:
        return x.astype(target)
    if target.kind == "f":
        # Integers become f32 first (nearest even), then f16 if asked: C's path.
        return x.astype(F32).astype(target) if x.dtype.kind == "i" else x.astype(target)
    if x.dtype.kind == "i":
        return x.astype(target)  # wraps
    info = np.iinfo(target)
    t = np.trunc(x.astype(F64))
    t = np.where(np.isnan(t), 0.0, np.clip(t, info.min, info.max))
    return t.astype(target)


# --- reductions ----------------------------------------------------------------


def _axes(op: pt.ReduceOp, x: np.ndarray) -> tuple[int, ...]:
    return normalize_axes(_props(op, "axes"), x.ndim)


def _keep(op: pt.ReduceOp) -> bool:
    return op.keepdims is not None


def _reduce_sum(op, args, module) -> np.ndarray:
    x = _wide(args[0])
    return np.sum(x, axis=_axes(op, x), keepdims=_keep(op), dtype=x.dtype)


def _reduce_extreme(fn: Callable, float_start: float, int_start: Callable) -> Kernel:
    def kernel(op, args, module):
        x = _wide(args[0])
        start = float_start if _is_float(x) else int_start(np.iinfo(args[0].dtype))
        return fn(x, axis=_axes(op, x), keepdims=_keep(op), initial=start)

    return kernel


def _reduce_mean(op, args, module) -> np.ndarray:
    x = _wide(args[0])
    axes = _axes(op, x)
    count = int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
    total = np.sum(x, axis=axes, keepdims=_keep(op), dtype=x.dtype)
    if _is_float(x):
        return total / np.float32(count)
    return _trunc_div(total, np.int64(count))


def _argmax(op: pt.ArgmaxOp, args, module) -> np.ndarray:
    x = _wide(args[0])
    (axis,) = _axes(op, x)
    if x.shape[axis] == 0:
        shape = [1 if i == axis else d for i, d in enumerate(x.shape)]
        index = np.zeros(shape, dtype=I64)
    else:
        index = np.argmax(x, axis=axis, keepdims=True)
        if _is_float(x):
            nan = np.isnan(x)
            index = np.where(
                nan.any(axis=axis, keepdims=True), np.argmax(nan, axis=axis, keepdims=True), index
            )
    return index if _keep(op) else np.squeeze(index, axis=axis)


# --- linear algebra and layout ---------------------------------------------------


def _exact_int(a: np.ndarray) -> tuple[np.ndarray, str]:
    """i8 products sum exactly in float64 (BLAS speed); wider ints wrap in uint64."""
    if a.dtype == np.int8:
        return a.astype(F64), "f64"
    return a.astype(I64).view(U64), "u64"


def _back_to_int(v: np.ndarray, how: str) -> np.ndarray:
    return v.astype(I64) if how == "f64" else v.view(I64)


def _matmul(op, args, module) -> np.ndarray:
    a, b = args
    if _is_float(a):
        return np.matmul(a.astype(F32), b.astype(F32))
    wa, how = _exact_int(a)
    wb, _ = _exact_int(b)
    return _back_to_int(np.matmul(wa, wb), how)


def _reshape(op, args, module) -> np.ndarray:
    return args[0].reshape(tuple(op.result.type.get_shape()))


def _broadcast(op, args, module) -> np.ndarray:
    return np.broadcast_to(args[0], tuple(op.result.type.get_shape()))


def _transpose(op, args, module) -> np.ndarray:
    return np.transpose(args[0], _props(op, "permutation"))


def _slice(op, args, module) -> np.ndarray:
    index = tuple(
        slice(o, o + (n - 1) * s + 1, s) if n else slice(0, 0)
        for o, n, s in zip(_props(op, "offsets"), _props(op, "sizes"), _props(op, "strides"))
    )
    return args[0][index]


def _concat(op, args, module) -> np.ndarray:
    return np.concatenate(args, axis=normalize_axis(_int(op, "axis"), args[0].ndim))


def _pad(op, args, module) -> np.ndarray:
    x = args[0]
    value = np.array(op.value.value.data).astype(x.dtype)
    if x.ndim == 0:
        return x.copy()  # nothing to pad (np.pad refuses a rank-0 array)
    return np.pad(
        x, list(zip(_props(op, "low"), _props(op, "high"))), constant_values=value
    )


# --- convolution, pooling, normalisation -----------------------------------------


def _windows(xp: np.ndarray, kernel, strides, dilations, out_hw):
    """Per kernel tap (i, j): the view v[n, y, x, c] = xp[n, y*sh + i*dh, x*sw + j*dw, c]."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, strides, dilations, out_hw
    for i in range(kh):
        for j in range(kw):
            y0, x0 = i * dh, j * dw
            yield i, j, xp[:, y0 : y0 + (oh - 1) * sh + 1 : sh, x0 : x0 + (ow - 1) * sw + 1 : sw, :]


def _pad_hw(x: np.ndarray, padding, value) -> np.ndarray:
    top, bottom, left, right = padding
    if not any(padding):
        return x
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=value)


def _conv2d(op: pt.Conv2DOp, args, module) -> np.ndarray:
    """Sum over taps of shifted views times the tap's filter slice.

    One BLAS product per tap (or a broadcast multiply when each group has one
    input channel, as in depthwise convolution) keeps MobileNet-sized models
    to seconds without looping over channels in Python.
    """
    x, w = args[0], args[1]
    if _is_float(x):
        x, w, how = x.astype(F32), w.astype(F32), "float"
    else:
        x, how = _exact_int(x)
        w, _ = _exact_int(w)
    n, _, _, c = x.shape
    kh, kw, cg, f = w.shape
    groups = _int(op, "groups")
    fg = f // groups
    _, oh, ow, _ = op.result.type.get_shape()
    wg = w.reshape(kh, kw, cg, groups, fg)
    xp = _pad_hw(x, _props(op, "padding"), 0)
    acc = np.zeros((n, oh, ow, groups, fg), dtype=x.dtype)
    taps = _windows(xp, (kh, kw), _props(op, "strides"), _props(op, "dilations"), (oh, ow))
    for i, j, view in taps:
        tap = wg[i, j]  # (cg, groups, fg)
        if cg == 1:
            acc += view.reshape(n, oh, ow, groups, 1) * tap[0]
        elif groups == 1:
            acc += (view.reshape(-1, c) @ tap[:, 0, :]).reshape(n, oh, ow, 1, fg)
        else:
            per_group = view.reshape(-1, groups, cg).transpose(1, 0, 2)  # (g, p, cg)
            prod = np.matmul(per_group, tap.transpose(1, 0, 2))  # (g, p, fg)
            acc += prod.transpose(1, 0, 2).reshape(n, oh, ow, groups, fg)
    out = acc.reshape(n, oh, ow, f)
    if how != "float":
        # Wrap to the i32 accumulator before adding the bias, as C would.
        out = _back_to_int(out, how).astype(np.int32).astype(I64)
    if len(args) == 3:
        out = out + _wide(args[2])
    return out


def _max_pool2d(op, args, module) -> np.ndarray:
    x = args[0]
    low = -np.inf if _is_float(x) else np.iinfo(x.dtype).min
    xp = _pad_hw(x, _props(op, "padding"), low)
    _, oh, ow, _ = op.result.type.get_shape()
    out = None
    for _, _, view in _windows(xp, _props(op, "kernel"), _props(op, "strides"), (1, 1), (oh, ow)):
        out = view.copy() if out is None else np.maximum(out, view)
    return out


def _avg_pool2d(op, args, module) -> np.ndarray:
    x = args[0].astype(F32)
    padding = _props(op, "padding")
    kernel, strides = _props(op, "kernel"), _props(op, "strides")
    _, oh, ow, _ = op.result.type.get_shape()
    xp = _pad_hw(x, padding, 0)
    inside = _pad_hw(np.ones((1, x.shape[1], x.shape[2], 1), F32), padding, 0)
    total = np.zeros((x.shape[0], oh, ow, x.shape[3]), F32)
    count = np.zeros((1, oh, ow, 1), F32)
    for (_, _, view), (_, _, mask) in zip(
        _windows(xp, kernel, strides, (1, 1), (oh, ow)),
        _windows(inside, kernel, strides, (1, 1), (oh, ow)),
    ):
        total += view
        count += mask
    return total / count


def _softmax(op, args, module) -> np.ndarray:
    x = args[0].astype(F32)
    axis = normalize_axis(_int(op, "axis"), x.ndim)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True, dtype=F32)


def _layer_norm(op, args, module) -> np.ndarray:
    x, scale, offset = (a.astype(F32) for a in args)
    axes = tuple(range(normalize_axis(_int(op, "axis"), x.ndim), x.ndim))
    eps = np.float32(op.epsilon.value.data)
    mean = np.mean(x, axis=axes, keepdims=True, dtype=F32)
    centred = x - mean
    var = np.mean(centred * centred, axis=axes, keepdims=True, dtype=F32)
    return centred / np.sqrt(var + eps) * scale + offset


def _batch_norm(op, args, module) -> np.ndarray:
    x, scale, offset, mean, var = (a.astype(F32) for a in args)
    eps = np.float32(op.epsilon.value.data)
    return (x - mean) / np.sqrt(var + eps) * scale + offset


KERNELS: dict[type[Operation], Kernel] = {
    pt.ConstantOp: _constant,
    pt.WeightOp: _weight,
    pt.NegOp: _unary(np.negative, np.negative),
    pt.AbsOp: _unary(np.abs, np.abs),
    pt.ReluOp: _unary(_relu, _relu),
    pt.Relu6Op: _unary(_relu6, _relu6),
    pt.ExpOp: _unary(_rounded_once(np.exp)),
    pt.LogOp: _unary(_rounded_once(np.log)),
    pt.SqrtOp: _unary(np.sqrt),
    pt.RsqrtOp: _unary(_rounded_once(lambda v: 1.0 / np.sqrt(v))),
    **{op: _unary(_rounded_once(fn)) for op, fn in (
        (pt.TanhOp, np.tanh), (pt.SinOp, np.sin), (pt.CosOp, np.cos), (pt.TanOp, np.tan),
        (pt.AsinOp, np.arcsin), (pt.AcosOp, np.arccos), (pt.AtanOp, np.arctan))},
    pt.SigmoidOp: _unary(_rounded_once(lambda v: 1.0 / (1.0 + np.exp(-v)))),
    pt.GeluOp: _unary(_rounded_once(_gelu64)),
    pt.ClampOp: _clamp,
    pt.AddOp: _binary(np.add),
    pt.SubOp: _binary(np.subtract),
    pt.MulOp: _binary(np.multiply),
    pt.DivOp: _binary(np.divide, _trunc_div),
    pt.MaxOp: _binary(np.maximum),
    pt.MinOp: _binary(np.minimum),
    pt.CompareOp: _compare,
    pt.SelectOp: _select,
    pt.CastOp: _cast,
    pt.ReduceSumOp: _reduce_sum,
    pt.ReduceMaxOp: _reduce_extreme(np.max, -np.inf, lambda info: info.min),
    pt.ReduceMinOp: _reduce_extreme(np.min, np.inf, lambda info: info.max),
    pt.ReduceMeanOp: _reduce_mean,
    pt.ArgmaxOp: _argmax,
    pt.MatmulOp: _matmul,
    pt.ReshapeOp: _reshape,
    pt.BroadcastOp: _broadcast,
    pt.TransposeOp: _transpose,
    pt.SliceOp: _slice,
    pt.ConcatOp: _concat,
    pt.PadOp: _pad,
    pt.Conv2DOp: _conv2d,
    pt.MaxPool2DOp: _max_pool2d,
    pt.AvgPool2DOp: _avg_pool2d,
    pt.SoftmaxOp: _softmax,
    pt.LayerNormOp: _layer_norm,
    pt.BatchNormOp: _batch_norm,
}
