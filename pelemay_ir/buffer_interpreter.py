"""Run a pbuf program on real bytes: one NumPy arena, views at the planned offsets.

This is how the memory plan is tested before any C exists: every `pbuf.view`
is a NumPy view into one byte array, exactly as generated code will address
`arena + offset`, so two buffers that wrongly share bytes corrupt each other
here too and the result differs from `reference.evaluate`. The arithmetic is
`reference.apply` on each op's ptensor twin, so only the memory differs.

Unplanned programs (after `bufferize`, before `plan-memory`) run too: each
`pbuf.alloc` is then a separate array. Fresh memory is filled with 0xFF bytes
(NaN for floats, -1 for integers) so that reading a buffer before it is written
shows up in the results. Inputs, weights and constants are read-only, so a
program that writes into them fails.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import MemRefType, ModuleOp
from xdsl.ir import Operation, SSAValue

from pelemay_ir import dtypes, reference, weights
from pelemay_ir.dialects import pbuf
from pelemay_ir.ir import CompileError, location_of
from pelemay_ir.passes.bufferize import out_param_count
from pelemay_ir.reference import InputError

POISON = 0xFF


def run(
    module: ModuleOp,
    inputs: Sequence[np.ndarray] | Mapping[str, np.ndarray],
    entry: str | None = None,
) -> list[np.ndarray]:
    """Run bufferized function `entry` (default: the last one) on `inputs`.

    `inputs` follow `reference.evaluate`: arrays in argument order, or a dict by
    argument name or "argN". Returns the out-params' contents, in result order.
    """
    function = reference.entry_function(module, entry)
    if not function.body.blocks:
        raise CompileError(
            f"function @{function.sym_name.data} is only declared", location_of(function)
        )
    args = list(function.body.block.args)
    n_out = out_param_count(function)
    params, outs = args[: len(args) - n_out], args[len(args) - n_out :]
    env: dict[SSAValue, np.ndarray] = {}
    for param, value in zip(params, _bind(function, params, inputs)):
        env[param] = value
    for out in outs:
        env[out] = _fresh(out.type)  # pyright: ignore
    for op in function.body.block.ops:
        if isinstance(op, func.ReturnOp):
            return [env[o].copy() for o in outs]
        _execute(op, env, module)
    raise CompileError(
        f"function @{function.sym_name.data} ends without func.return", location_of(function)
    )


def _bind(
    function: func.FuncOp,
    params: list[SSAValue],
    inputs: Sequence[np.ndarray] | Mapping[str, np.ndarray],
) -> list[np.ndarray]:
    name = function.sym_name.data
    if isinstance(inputs, Mapping):
        keys = {f"arg{i}": i for i in range(len(params))}
        keys.update({p.name_hint: i for i, p in enumerate(params) if p.name_hint})
        values: list[object] = [None] * len(params)
        for key, value in inputs.items():
            if key.removeprefix("%") not in keys:
                raise InputError(
                    f"function '{name}' has no argument named '{key}'; valid names: "
                    + ", ".join(keys)
                )
            values[keys[key.removeprefix("%")]] = value
        missing = [f"arg{i}" for i, v in enumerate(values) if v is None]
        if missing:
            raise InputError(f"function '{name}' is missing inputs for {', '.join(missing)}")
    else:
        values = list(inputs)
        if len(values) != len(params):
            raise InputError(
                f"function '{name}' takes {len(params)} inputs, got {len(values)}"
            )
    bound = []
    for i, (param, value) in enumerate(zip(params, values)):
        t = param.type
        assert isinstance(t, MemRefType)
        dtype = dtypes.numpy_dtype(t.element_type)
        array = np.asarray(value)
        if array.dtype != dtype or array.shape != tuple(t.get_shape()):
            raise InputError(
                f"argument arg{i} of '{name}' expects {dtype} of shape "
                f"{tuple(t.get_shape())}, got {array.dtype} of shape {array.shape}"
            )
        array = array.copy()
        array.setflags(write=False)
        bound.append(array)
    return bound


def _fresh(t: MemRefType) -> np.ndarray:
    raw = np.full(pbuf.buffer_bytes(t), POISON, dtype=np.uint8)
    return raw.view(dtypes.numpy_dtype(t.element_type)).reshape(tuple(t.get_shape()))


def _arena(op: pbuf.ArenaOp) -> np.ndarray:
    """The arena's bytes, starting at an address aligned as the plan demands."""
    size, align = op.size.value.data, op.alignment.value.data
    raw = np.full(size + align, POISON, dtype=np.uint8)
    start = -raw.ctypes.data % align
    return raw[start : start + size]


def _execute(op: Operation, env: dict[SSAValue, np.ndarray], module: ModuleOp) -> None:
    if isinstance(op, pbuf.DestinationOp):
        twin = op.tensor_twin()
        value = reference.apply(twin, [env[v] for v in op.inputs_], module)
        _store(op, env[op.output_], value)  # computed first: in-place ops are safe
    elif isinstance(op, pbuf.CopyOp):
        _store(op, env[op.target], env[op.source])
    elif isinstance(op, pbuf.ArenaOp):
        env[op.result] = _arena(op)
    elif isinstance(op, pbuf.ViewOp):
        t = op.result.type
        assert isinstance(t, MemRefType)
        start = op.offset.value.data
        raw = env[op.source][start : start + pbuf.buffer_bytes(t)]
        env[op.result] = raw.view(dtypes.numpy_dtype(t.element_type)).reshape(tuple(t.get_shape()))
    elif isinstance(op, pbuf.AllocOp):
        env[op.result] = _fresh(op.result.type)  # pyright: ignore
    elif isinstance(op, pbuf.ReshapeOp):
        view = env[op.source].view()
        view.shape = tuple(op.result.type.get_shape())  # pyright: ignore  (raises rather than copy)
        env[op.result] = view
    elif isinstance(op, pbuf.WeightOp):
        t = pbuf.tensor_of(op.result.type)  # pyright: ignore
        try:
            value = weights.read(module, op.key.data, op.offset.value.data, t)
        except weights.WeightsError as e:
            raise CompileError(str(e), location_of(op)) from None
        env[op.result] = _read_only(value)
    elif isinstance(op, pbuf.ConstantOp):
        env[op.result] = _read_only(_literal(op))
    else:
        raise CompileError(f"the buffer interpreter cannot run '{op.name}'", location_of(op))


def _store(op: Operation, target: np.ndarray, value: np.ndarray) -> None:
    if not target.flags.writeable:
        raise CompileError(
            f"'{op.name}' writes into a read-only buffer (an input, weight or constant)",
            location_of(op),
        )
    np.copyto(target, value, casting="no")


def _read_only(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.setflags(write=False)
    return view


def _literal(op: pbuf.ConstantOp) -> np.ndarray:
    t = op.value.type
    dtype = dtypes.numpy_dtype(t.element_type)  # pyright: ignore
    shape = tuple(t.get_shape())  # pyright: ignore
    values = np.array(op.value.get_values(), dtype=dtype)
    if values.size == 1 and int(np.prod(shape)) != 1:
        return np.broadcast_to(values.reshape(()), shape).copy()
    return values.reshape(shape)

