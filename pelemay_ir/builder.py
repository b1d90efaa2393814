"""Build ptensor programs from Python instead of writing MLIR text.

Frontends, the example-model generator and property tests all need to make
well-typed programs; this gives them one method per ptensor op, infers every
result type through the op constructors (so `pelemay_ir.shapes` stays the one
place that knows shapes) and reports a bad call at the call, naming the op:

    b = ProgramBuilder("mlp")
    x = b.argument("x", (1, 784), "f32")
    w = b.weight("fc1.w", np.zeros((784, 10), np.float32))
    b.returns(b.relu(b.matmul(x, w), name="h"))
    b.save("examples/mlp.mlir")          # also writes examples/mlp.weights

Large tensors go to the weights side file (`weight`); small literals may be
inlined (`constant`). The same program always saves to byte-identical files.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Union

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    BytesAttr,
    DenseIntOrFPElementsAttr,
    ModuleOp,
    TensorType,
)
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

from pelemay_ir import dtypes, weights
from pelemay_ir.dialects import ptensor
from pelemay_ir.ir import CompileError, verify
from pelemay_ir.shapes import ShapeError

DTYPE_NAMES = {
    "f32": np.dtype(np.float32),
    "f16": np.dtype(np.float16),
    "i32": np.dtype(np.int32),
    "i8": np.dtype(np.int8),
    "i1": np.dtype(np.bool_),
}

DTypeLike = Union[str, np.dtype, type, Attribute]


class BuildError(ValueError):
    """A builder call that cannot make a valid program (bad name, type or order)."""


@dataclass(frozen=True, eq=False)
class Tensor:
    """A value of the program being built, with its shape and dtype at hand."""

    value: SSAValue
    builder: ProgramBuilder

    @property
    def type(self) -> TensorType:
        return self.value.type  # pyright: ignore[reportReturnType]

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.type.get_shape())

    @property
    def dtype(self) -> np.dtype:
        return dtypes.numpy_dtype(self.type.element_type)

    @property
    def element_type(self) -> Attribute:
        return self.type.element_type

    def __repr__(self) -> str:
        return f"Tensor(%{self.value.name_hint or '?'}: {ptensor.type_str(self.type)})"


Operand = Union[Tensor, float, int, bool]


def element_type_of(dtype: DTypeLike) -> Attribute:
    """The xDSL element type for "f32", np.float32 or f32 alike, or a BuildError."""
    if isinstance(dtype, Attribute):
        if dtype in ptensor.ALL_ELEMENTS:
            return dtype
        raise BuildError(f"element type {ptensor.type_str(dtype)} is not one of f32, f16, i32, i8, i1")
    if isinstance(dtype, str):
        if dtype not in DTYPE_NAMES:
            raise BuildError(
                f"unknown dtype '{dtype}'; expected one of {', '.join(DTYPE_NAMES)}"
            )
        dtype = DTYPE_NAMES[dtype]
    try:
        return dtypes.element_type(dtype)
    except (ValueError, TypeError) as e:
        raise BuildError(str(e)) from None


def module_text(module: ModuleOp) -> str:
    """The module as MLIR text, printed by xDSL (what `save` writes)."""
    out = io.StringIO()
    Printer(stream=out).print_op(module)
    return out.getvalue() + "\n"


_NAME = re.compile(r"[A-Za-z_$.-][\w$.-]*")
_C_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ProgramBuilder:
    """Builds one `func.func` (the entry) in a module, plus its weights blob."""

    def __init__(self, name: str):
        if not _C_IDENTIFIER.fullmatch(name):
            raise BuildError(
                f"function name '{name}' must be a C identifier: generated code is "
                f"named after it ({name}_run)"
            )
        self.name = name
        self._block = Block()
        self._arg_names: set[str] = set()
        self._weights = weights.WeightsWriter()
        self._weight_keys: set[str] = set()
        self._results: list[Tensor] | None = None
        self._module: ModuleOp | None = None
        self.location: Attribute | None = None
        """The location given to every op made from now on (a frontend's source node)."""

    # --- program structure ---------------------------------------------------

    def argument(self, name: str, shape: Sequence[int], dtype: DTypeLike = "f32") -> Tensor:
        """A new function argument, printed as `%name`."""
        self._check_open()
        if name in self._arg_names:
            raise BuildError(f"argument '{name}' is defined twice")
        shape = _shape(shape, f"argument '{name}'")
        arg = self._block.insert_arg(TensorType(element_type_of(dtype), shape), len(self._block.args))
        _set_name(arg, name)
        self._arg_names.add(name)
        return Tensor(arg, self)

    @property
    def arguments(self) -> list[Tensor]:
        """The function's arguments so far, in order."""
        return [Tensor(a, self) for a in self._block.args]

    def returns(self, *values: Tensor) -> None:
        """The function's results, in order (call once)."""
        self._check_open()
        if self._results is not None:
            raise BuildError("returns() was already called")
        if not values:
            raise BuildError("returns() needs at least one value")
        self._results = [self._tensor(v, "returns") for v in values]

    def build(self) -> ModuleOp:
        """The verified module, its weights attached in memory."""
        if self._module is not None:
            return self._module
        if self._results is None:
            raise BuildError(f"function '{self.name}' has no results; call returns() first")
        results = [t.value for t in self._results]
        self._block.add_op(func.ReturnOp(*results))
        fn = func.FuncOp(
            self.name,
            ([a.type for a in self._block.args], [v.type for v in results]),
            Region(self._block),
        )
        module = ModuleOp([fn])
        if self._weight_keys:
            weights.attach(module, self._weights.blob(), f"{self.name}.weights")
        try:
            verify(module)
        except CompileError as e:
            raise BuildError(str(e)) from None
        self._module = module
        return module

    def save(self, mlir_path: str | Path) -> Path:
        """Write FILE.mlir and, when the program has weights, FILE.weights beside it.

        The module's `ptensor.weights` attribute is set to the weights file's
        name, so the pair can be moved together and loaded with `ir.load`.
        """
        path = Path(mlir_path)
        module = self.build()
        if self._weight_keys:
            weights.attach(module, self._weights.blob(), path.with_suffix(".weights").name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(module_text(module))
        weights.save(module, path)
        return path

    # --- constants -----------------------------------------------------------

    def constant(self, array: np.ndarray | float | int | bool, dtype: DTypeLike | None = None, *, name: str | None = None) -> Tensor:
        """A literal printed inline as `dense<...>`: keep it small."""
        arr = _array(array, dtype, "constant")
        attr = DenseIntOrFPElementsAttr(
            TensorType(dtypes.element_type(arr.dtype), list(arr.shape)),
            BytesAttr(_le_bytes(arr)),
        )
        return self._emit(ptensor.ConstantOp, attr, name=name)

    def weight(self, key: str, array: np.ndarray, dtype: DTypeLike | None = None, *, name: str | None = None) -> Tensor:
        """A tensor stored in the weights file under `key` (printed as `%key`)."""
        self._check_open()
        if key in self._weight_keys:
            raise BuildError(f"weight '{key}' is defined twice")
        arr = _array(array, dtype, f"weight '{key}'")
        if arr.dtype == np.bool_:
            raise BuildError(f"weight '{key}': i1 tensors cannot be stored as weights")
        offset = self._weights.add(arr)
        self._weight_keys.add(key)
        etype = TensorType(dtypes.element_type(arr.dtype), list(arr.shape))
        return self._emit(ptensor.WeightOp, key, offset, etype, name=name or _hint_from(key))

    # --- elementwise ---------------------------------------------------------

    def neg(self, x: Tensor, *, name: str | None = None) -> Tensor:
        return self._unary(ptensor.NegOp, x, name)

    def abs(self, x: Tensor, *, name: str | None = None) -> Tensor:
        return self._unary(ptensor.AbsOp, x, name)

    def relu(self, x: Tensor, *, name: str | None = None) -> Tensor:
        return self._unary(ptensor.ReluOp, x, name)

    def relu6(self, x: Tensor, *, name: str | None = None) -> Tensor:
        return self._unary(ptensor.Relu6Op, x, name)

    def exp(self, x: Tensor, *, name: str | None = None) -> Tensor:
        return self._unary(ptensor.ExpOp, x, name)

    def log(self, x: Tensor, *, name: str | None = None) -> Tensor:
        return self._unary(ptensor.LogOp, x, name)

    def sqrt(self, x: Tensor, *, name: str | None = None) -> Tensor:
        return self._unary(ptensor.SqrtOp, x, name)

    def rsqrt(self, x: Tensor, *, name: str | None = None) -> Tensor:
        return self._unary(ptensor.RsqrtOp, x, name)

    def tanh(self, x: Tensor, *, name: str | None = None) -> Tensor:
        return self._unary(ptensor.TanhOp, x, name)

    def sin(self, x: Tensor, *, name: str | None = None) -> Tensor:
        return self._unary(ptensor.SinOp, x, name)

    def cos(self, x: Tensor, *, name: str | None = None) -> Tensor:
        return self._unary(ptensor.CosOp, x, name)

    def tan(self, x: Tensor, *, name: str | None = None) -> Tensor:
        return self._unary(ptensor.TanOp, x, name)

    def asin(self, x: Tensor, *, name: str | None = None) -> Tensor:
        return self._unary(ptensor.AsinOp, x, name)

    def acos(self, x: Tensor, *, name: str | None = None) -> Tensor:
        return self._unary(ptensor.AcosOp, x, name)

    def atan(self, x: Tensor, *, name: str | None = None) -> Tensor:
        return self._unary(ptensor.AtanOp, x, name)

    def sigmoid(self, x: Tensor, *, name: str | None = None) -> Tensor:
        return self._unary(ptensor.SigmoidOp, x, name)

    def gelu(self, x: Tensor, *, name: str | None = None) -> Tensor:
        return self._unary(ptensor.GeluOp, x, name)

    def clamp(self, x: Tensor, lo: float, hi: float, *, name: str | None = None) -> Tensor:
        return self._emit(ptensor.ClampOp, self._value(x, "ptensor.clamp"), lo, hi, name=name)

    def add(self, a: Operand, b: Operand, *, name: str | None = None) -> Tensor:
        return self._binary(ptensor.AddOp, a, b, name)

    def sub(self, a: Operand, b: Operand, *, name: str | None = None) -> Tensor:
        return self._binary(ptensor.SubOp, a, b, name)

    def mul(self, a: Operand, b: Operand, *, name: str | None = None) -> Tensor:
        return self._binary(ptensor.MulOp, a, b, name)

    def div(self, a: Operand, b: Operand, *, name: str | None = None) -> Tensor:
        return self._binary(ptensor.DivOp, a, b, name)

    def max(self, a: Operand, b: Operand, *, name: str | None = None) -> Tensor:
        return self._binary(ptensor.MaxOp, a, b, name)

    def min(self, a: Operand, b: Operand, *, name: str | None = None) -> Tensor:
        return self._binary(ptensor.MinOp, a, b, name)

    def compare(self, predicate: str, a: Operand, b: Operand, *, name: str | None = None) -> Tensor:
        """Elementwise `a PRED b` (eq, ne, lt, le, gt, ge) as an i1 tensor."""
        x, y = self._pair(a, b, "ptensor.compare")
        return self._emit(ptensor.CompareOp, predicate, x, y, name=name)

    def select(self, cond: Tensor, a: Operand, b: Operand, *, name: str | None = None) -> Tensor:
        c = self._value(cond, "ptensor.select")
        x, y = self._pair(a, b, "ptensor.select")
        return self._emit(ptensor.SelectOp, c, x, y, name=name)

    def cast(self, x: Tensor, dtype: DTypeLike, *, name: str | None = None) -> Tensor:
        return self._emit(ptensor.CastOp, self._value(x, "ptensor.cast"), element_type_of(dtype), name=name)

    # --- reductions ----------------------------------------------------------

    def reduce_sum(self, x: Tensor, axes: Sequence[int], keepdims: bool = False, *, name: str | None = None) -> Tensor:
        return self._reduce(ptensor.ReduceSumOp, x, axes, keepdims, name)

    def reduce_max(self, x: Tensor, axes: Sequence[int], keepdims: bool = False, *, name: str | None = None) -> Tensor:
        return self._reduce(ptensor.ReduceMaxOp, x, axes, keepdims, name)

    def reduce_min(self, x: Tensor, axes: Sequence[int], keepdims: bool = False, *, name: str | None = None) -> Tensor:
        return self._reduce(ptensor.ReduceMinOp, x, axes, keepdims, name)

    def reduce_mean(self, x: Tensor, axes: Sequence[int], keepdims: bool = False, *, name: str | None = None) -> Tensor:
        return self._reduce(ptensor.ReduceMeanOp, x, axes, keepdims, name)

    def argmax(self, x: Tensor, axis: int, keepdims: bool = False, *, name: str | None = None) -> Tensor:
        """Index (i32) of the first maximum along `axis`."""
        return self._reduce(ptensor.ArgmaxOp, x, [axis], keepdims, name)

    # --- linear algebra and layout -------------------------------------------

    def matmul(self, a: Tensor, b: Tensor, *, name: str | None = None) -> Tensor:
        op = "ptensor.matmul"
        return self._emit(ptensor.MatmulOp, self._value(a, op), self._value(b, op), name=name)

    def reshape(self, x: Tensor, shape: Sequence[int], *, name: str | None = None) -> Tensor:
        return self._emit(ptensor.ReshapeOp, self._value(x, "ptensor.reshape"), _shape(shape, "ptensor.reshape"), name=name)

    def broadcast(self, x: Tensor, shape: Sequence[int], *, name: str | None = None) -> Tensor:
        return self._emit(ptensor.BroadcastOp, self._value(x, "ptensor.broadcast"), _shape(shape, "ptensor.broadcast"), name=name)

    def transpose(self, x: Tensor, perm: Sequence[int], *, name: str | None = None) -> Tensor:
        return self._emit(ptensor.TransposeOp, self._value(x, "ptensor.transpose"), list(perm), name=name)

    def slice(
        self,
        x: Tensor,
        offsets: Sequence[int],
        sizes: Sequence[int],
        strides: Sequence[int] | None = None,
        *,
        name: str | None = None,
    ) -> Tensor:
        return self._emit(
            ptensor.SliceOp,
            self._value(x, "ptensor.slice"),
            list(offsets),
            list(sizes),
            None if strides is None else list(strides),
            name=name,
        )

    def concat(self, xs: Sequence[Tensor], axis: int, *, name: str | None = None) -> Tensor:
        if not xs:
            raise ShapeError("ptensor.concat: needs at least one operand")
        return self._emit(ptensor.ConcatOp, [self._value(v, "ptensor.concat") for v in xs], axis, name=name)

    def pad(self, x: Tensor, low: Sequence[int], high: Sequence[int], value: float = 0, *, name: str | None = None) -> Tensor:
        return self._emit(ptensor.PadOp, self._value(x, "ptensor.pad"), list(low), list(high), value, name=name)

    # --- convolution, pooling, normalisation ---------------------------------

    def conv2d(
        self,
        x: Tensor,
        filter: Tensor,
        bias: Tensor | None = None,
        strides: Sequence[int] = (1, 1),
        dilations: Sequence[int] = (1, 1),
        padding: Sequence[int] = (0, 0, 0, 0),
        groups: int = 1,
        *,
        name: str | None = None,
    ) -> Tensor:
        """NHWC input, HWCF filter; padding is (top, bottom, left, right)."""
        op = "ptensor.conv2d"
        return self._emit(
            ptensor.Conv2DOp,
            self._value(x, op),
            self._value(filter, op),
            None if bias is None else self._value(bias, op),
            list(strides),
            list(dilations),
            list(padding),
            groups,
            name=name,
        )

    def max_pool2d(
        self,
        x: Tensor,
        kernel: Sequence[int],
        strides: Sequence[int] | None = None,
        padding: Sequence[int] = (0, 0, 0, 0),
        *,
        name: str | None = None,
    ) -> Tensor:
        return self._pool(ptensor.MaxPool2DOp, x, kernel, strides, padding, name)

    def avg_pool2d(
        self,
        x: Tensor,
        kernel: Sequence[int],
        strides: Sequence[int] | None = None,
        padding: Sequence[int] = (0, 0, 0, 0),
        *,
        name: str | None = None,
    ) -> Tensor:
        return self._pool(ptensor.AvgPool2DOp, x, kernel, strides, padding, name)

    def softmax(self, x: Tensor, axis: int = -1, *, name: str | None = None) -> Tensor:
        return self._emit(ptensor.SoftmaxOp, self._value(x, "ptensor.softmax"), axis, name=name)

    def layer_norm(
        self, x: Tensor, scale: Tensor, offset: Tensor, axis: int = -1, epsilon: float = 1e-5, *, name: str | None = None
    ) -> Tensor:
        op = "ptensor.layer_norm"
        return self._emit(
            ptensor.LayerNormOp,
            *(self._value(v, op) for v in (x, scale, offset)),
            axis,
            epsilon,
            name=name,
        )

    def batch_norm(
        self,
        x: Tensor,
        scale: Tensor,
        offset: Tensor,
        mean: Tensor,
        variance: Tensor,
        epsilon: float = 1e-5,
        *,
        name: str | None = None,
    ) -> Tensor:
        op = "ptensor.batch_norm"
        return self._emit(
            ptensor.BatchNormOp,
            *(self._value(v, op) for v in (x, scale, offset, mean, variance)),
            epsilon,
            name=name,
        )

    # --- plumbing ------------------------------------------------------------

    def _unary(self, cls: type[Operation], x: Tensor, name: str | None) -> Tensor:
        return self._emit(cls, self._value(x, cls.name), name=name)

    def _binary(self, cls: type[Operation], a: Operand, b: Operand, name: str | None) -> Tensor:
        x, y = self._pair(a, b, cls.name)
        return self._emit(cls, x, y, name=name)

    def _reduce(self, cls: type[Operation], x: Tensor, axes: Sequence[int], keepdims: bool, name: str | None) -> Tensor:
        return self._emit(cls, self._value(x, cls.name), list(axes), keepdims, name=name)

    def _pool(self, cls, x, kernel, strides, padding, name) -> Tensor:
        return self._emit(
            cls,
            self._value(x, cls.name),
            list(kernel),
            None if strides is None else list(strides),
            list(padding),
            name=name,
        )

    def _pair(self, a: Operand, b: Operand, op: str) -> tuple[SSAValue, SSAValue]:
        """Two operands; a Python number becomes a scalar of the other's dtype."""
        if not isinstance(a, Tensor) and not isinstance(b, Tensor):
            raise BuildError(f"{op}: at least one operand must be a tensor")
        if not isinstance(a, Tensor):
            a = self.constant(np.array(a, dtype=b.dtype))  # pyright: ignore[reportAttributeAccessIssue]
        if not isinstance(b, Tensor):
            b = self.constant(np.array(b, dtype=a.dtype))
        return self._value(a, op), self._value(b, op)

    def _tensor(self, v: object, op: str) -> Tensor:
        if not isinstance(v, Tensor):
            raise BuildError(f"{op}: expected a Tensor made by this builder, got {type(v).__name__}")
        if v.builder is not self:
            raise BuildError(f"{op}: the operand belongs to another program ('{v.builder.name}')")
        return v

    def _value(self, v: object, op: str) -> SSAValue:
        return self._tensor(v, op).value

    def _emit(self, cls: type[Operation], *args, name: str | None) -> Tensor:
        """Make, verify and append one op; errors name the op."""
        self._check_open()
        op_name = cls.name
        try:
            op = cls(*args)
            op.verify()
        except ShapeError as e:
            raise ShapeError(f"{op_name}: {e}") from None
        except VerifyException as e:
            if _caused_by_shape(e):
                raise ShapeError(f"{op_name}: {e}") from None
            raise BuildError(f"{op_name}: {e}") from None
        if name is not None:
            _set_name(op.results[0], name)
        if self.location is not None:
            op.location = self.location
        self._block.add_op(op)
        return Tensor(op.results[0], self)

    def _check_open(self) -> None:
        if self._module is not None:
            raise BuildError(f"program '{self.name}' is already built; start a new ProgramBuilder")


def _caused_by_shape(e: BaseException) -> bool:
    """Op verifiers re-raise shape rule failures as VerifyException; find the rule."""
    seen = e.__context__
    while seen is not None:
        if isinstance(seen, ShapeError):
            return True
        seen = seen.__context__
    return False


def _set_name(value: SSAValue, name: str) -> None:
    if not _NAME.fullmatch(name):
        raise BuildError(
            f"value name '{name}' is not a valid SSA name (letters, digits, '_', '$', '.', '-'; "
            "not starting with a digit)"
        )
    value.name_hint = name


def _hint_from(key: str) -> str:
    """A weight key as an SSA name: other characters become '_'."""
    hint = re.sub(r"[^\w$.-]", "_", key)
    return hint if _NAME.fullmatch(hint) else f"w{hint}"


def _shape(shape: Sequence[int], what: str) -> list[int]:
    dims = list(shape)
    if any(not isinstance(d, (int, np.integer)) or isinstance(d, bool) or d < 0 for d in dims):
        raise ShapeError(f"{what}: shape {dims} must be non-negative integers")
    return [int(d) for d in dims]


def _array(array: object, dtype: DTypeLike | None, what: str) -> np.ndarray:
    """An array in a supported dtype; float64 must be converted explicitly."""
    if dtype is not None:
        return np.asarray(array, dtype=dtypes.numpy_dtype(element_type_of(dtype)))
    arr = np.asarray(array)
    if arr.dtype not in DTYPE_NAMES.values():
        raise BuildError(
            f"{what}: NumPy dtype {arr.dtype} is not one of f32, f16, i32, i8, bool; "
            "pass dtype= or convert it (e.g. .astype(np.float32))"
        )
    return arr


def _le_bytes(arr: np.ndarray) -> bytes:
    return np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes()
