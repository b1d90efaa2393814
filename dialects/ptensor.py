"""ptensor: value-semantic tensor ops on builtin ranked, static tensor types.

The top level of Pelemay IR. Each op verifies its operand and result types with
the rules in `pelemay_ir.shapes`, so a malformed program is rejected where it
was written. Element types: f32, f16, i32, i8 (i8 matmul and conv accumulate
into i32) and i1 for comparison results. The meaning of every op is given by
`pelemay_ir.reference`; docs/semantics.md states it in words.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from xdsl.dialects.builtin import (
    I64,
    i64,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    FloatAttr,
    IntegerAttr,
    IntegerType,
    StringAttr,
    TensorType,
    UnitAttr,
    f16,
    f32,
    i1,
    i8,
    i32,
)
from xdsl.ir import Attribute, Dialect, Operation, SSAValue
from xdsl.irdl import (
    BaseAttr,
    IRDLOperation,
    OptPropertyDef,
    ParsePropInAttrDict,
    VarConstraint,
    VariadicDef,
    VerificationContext,
    base,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.traits import ConstantLike, Pure
from xdsl.utils.exceptions import ParseError, VerifyException

from pelemay_ir import shapes
from pelemay_ir.shapes import ShapeError

NUMERIC = (f32, f16, i32, i8)
FLOATS = (f32, f16)
ALL_ELEMENTS = (*NUMERIC, i1)
_PROPS_IN_ATTR_DICT = (ParsePropInAttrDict(),)


def type_str(t: Attribute) -> str:
    from xdsl.printer import Printer as _P
    from io import StringIO

    out = StringIO()
    _P(stream=out).print_attribute(t)
    return out.getvalue()


class RankedTensorConstraint(BaseAttr[TensorType]):
    """Accepts builtin ranked tensor types.

    The same check as `base(TensorType)`, with a message a user can act on:
    the parser of the custom syntax runs it before any verifier can name the
    operand, so its text is all the user sees.
    """

    def verify(self, attr: Attribute, constraint_context: VerificationContext) -> None:
        if not isinstance(attr, TensorType):
            raise VerifyException(f"expected a ranked tensor type, got {type_str(attr)}")


RANKED_TENSOR = RankedTensorConstraint(TensorType)


def static_shape(t: Attribute, what: str) -> tuple[int, ...]:
    """The static shape of a tensor type, or a diagnostic naming `what`."""
    if not isinstance(t, TensorType):
        raise VerifyException(f"{what} must be a ranked tensor, got {type_str(t)}")
    shape = tuple(t.get_shape())
    if any(d < 0 for d in shape):
        raise VerifyException(
            f"{what} has dynamic shape {type_str(t)}; only static shapes are supported"
        )
    return shape


def element(t: Attribute) -> Attribute:
    assert isinstance(t, TensorType)
    return t.element_type


def check_element(t: Attribute, allowed: Sequence[Attribute], what: str) -> None:
    el = element(t)
    if el not in allowed:
        names = ", ".join(type_str(a) for a in allowed)
        expected = f"one of {names}" if len(allowed) > 1 else names
        raise VerifyException(f"{what} has element type {type_str(el)}; expected {expected}")


def ints(attr: DenseArrayBase | None) -> tuple[int, ...]:
    return () if attr is None else tuple(int(v) for v in attr.get_values())


def i64_array(values: Sequence[int]) -> DenseArrayBase:
    return DenseArrayBase.from_list(i64, list(values))


def scalar_value(attr: Attribute) -> float | int:
    if isinstance(attr, FloatAttr):
        return float(attr.value.data)
    if isinstance(attr, IntegerAttr):
        return int(attr.value.data)
    raise TypeError(f"expected a number, got {type_str(attr)}")


def scalar_attr(value: float | int, elem: Attribute) -> Attribute:
    if isinstance(elem, IntegerType):
        return IntegerAttr(int(value), elem)
    return FloatAttr(float(value), elem)  # pyright: ignore[reportArgumentType]


class TensorOp(IRDLOperation):
    """Shared checks: static shapes, the declared result type, and positions."""

    def verify(self, verify_nested_ops: bool = True) -> None:
        # Checked before the generic IRDL constraints, whose messages name
        # neither the operand nor what a user should write instead.
        definition = type(self).get_irdl_definition()
        fixed = [d for _, d in definition.operands if not isinstance(d, VariadicDef)]
        if len(fixed) == len(definition.operands) and len(self.operands) != len(fixed):
            raise VerifyException(
                f"expects {len(fixed)} operand{'s' if len(fixed) != 1 else ''}, "
                f"got {len(self.operands)}"
            )
        if len(self.results) != 1:
            raise VerifyException(f"expects 1 result, got {len(self.results)}")
        for i, opnd in enumerate(self.operands):
            static_shape(opnd.type, f"operand #{i}")
        for i, res in enumerate(self.results):
            static_shape(res.type, "result")
        props = definition.properties
        for name, prop in props.items():
            if name not in self.properties:
                if not isinstance(prop, OptPropertyDef):
                    raise VerifyException(f"requires property '{name}'")
                continue
            try:
                prop.constr.verify(self.properties[name], VerificationContext())
            except VerifyException as e:
                raise VerifyException(f"property '{name}' is invalid: {e}") from None
        for name in self.attributes:
            if name in props:
                raise VerifyException(
                    f"attribute '{name}' shadows the property of that name; "
                    "write it once, as the property"
                )
        self.verify_signature()
        super().verify(verify_nested_ops)

    def verify_signature(self) -> None:
        """Relations between types that IRDL would report in its own words."""

    def expect_result(self, shape: Sequence[int], elem: Attribute) -> None:
        res = self.results[0].type
        got = static_shape(res, "result")
        if got != tuple(shape) or element(res) != elem:
            want = TensorType(elem, list(shape))
            raise VerifyException(
                f"result type {type_str(res)} does not match the inferred type "
                f"{type_str(want)}"
            )

    def operand_shape(self, index: int, what: str | None = None) -> tuple[int, ...]:
        return static_shape(self.operands[index].type, what or f"operand #{index}")

    def verify_(self) -> None:
        try:
            self.verify_shapes()
        except ShapeError as e:
            raise VerifyException(str(e)) from None

    def verify_shapes(self) -> None:
        """Per-op rules: raise ShapeError or VerifyException."""


# --- constants ---------------------------------------------------------------


_LITERAL_CHECKS = (
    "Shape mismatch in dense literal",
    "Dense literal attribute should have a static shape",
    "Expected memref, vector or tensor type",
    "Hex string in denseAttr is invalid",
    "Expected at least one element in the dense literal",
)


@irdl_op_definition
class ConstantOp(TensorOp):
    """A literal tensor: `ptensor.constant dense<[1.0, 2.0]> : tensor<2xf32>`."""

    name = "ptensor.constant"
    value = prop_def(DenseIntOrFPElementsAttr)
    result = result_def(RANKED_TENSOR)
    traits = traits_def(Pure(), ConstantLike())

    def __init__(self, value: DenseIntOrFPElementsAttr):
        super().__init__(properties={"value": value}, result_types=[value.type])

    def verify_shapes(self) -> None:
        check_element(self.result.type, ALL_ELEMENTS, "result")
        if self.value.type != self.result.type:
            raise VerifyException(
                f"value type {type_str(self.value.type)} differs from result "
                f"type {type_str(self.result.type)}"
            )

    @classmethod
    def parse(cls, parser: Parser) -> ConstantOp:
        pos = parser.pos
        try:
            value = parser.parse_attribute()
        except ParseError as e:
            # xDSL checks a literal against its type once both are read, and
            # then points at the token after them; point at the literal.
            if not e.msg.startswith(_LITERAL_CHECKS):
                raise
            parser.raise_error(e.msg, pos, pos + 5)
        if not isinstance(value, DenseIntOrFPElementsAttr):
            parser.raise_error(
                "ptensor.constant expects a dense<...> : tensor<...> literal",
                pos,
                parser.pos,
            )
        attrs = parser.parse_optional_attr_dict()
        op = cls(value)
        op.attributes.update(attrs)
        return op

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_attribute(self.value)
        printer.print_op_attributes(self.attributes)


@irdl_op_definition
class WeightOp(TensorOp):
    """A named tensor stored outside the text, in the module's weights file.

    `ptensor.weight "fc1.w" at 0 : tensor<784x256xf32>` reads the tensor's
    bytes (little-endian, row-major) at byte offset 0 of the file named by the
    module attribute `ptensor.weights`. Keeping weights out of the text keeps
    large models small and fast to parse; see docs/weights.md.
    """

    name = "ptensor.weight"
    key = prop_def(StringAttr)
    offset = prop_def(IntegerAttr[I64])
    result = result_def(RANKED_TENSOR)
    traits = traits_def(Pure(), ConstantLike())
    irdl_options = _PROPS_IN_ATTR_DICT
    assembly_format = "$key `at` $offset attr-dict `:` type($result)"

    def __init__(self, key: str, offset: int, type: TensorType):
        super().__init__(
            properties={"key": StringAttr(key), "offset": IntegerAttr(offset, i64)},
            result_types=[type],
        )

    def verify_shapes(self) -> None:
        check_element(self.result.type, NUMERIC, "result")
        if self.offset.value.data < 0:
            raise VerifyException(f"offset {self.offset.value.data} is negative")


# --- elementwise -------------------------------------------------------------


class UnaryOp(TensorOp):
    T: ClassVar = VarConstraint("T", RANKED_TENSOR)
    input = operand_def(T)
    result = result_def(T)
    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($result)"
    ALLOWED: ClassVar[tuple[Attribute, ...]] = NUMERIC

    def __init__(self, input: SSAValue | Operation):
        value = SSAValue.get(input)
        super().__init__(operands=[value], result_types=[value.type])

    def verify_signature(self) -> None:
        if len(self.operands) == 1 and len(self.results) == 1:
            a, r = self.operands[0].type, self.results[0].type
            if a != r:
                raise VerifyException(
                    f"result type {type_str(r)} differs from operand type {type_str(a)}"
                )

    def verify_shapes(self) -> None:
        check_element(self.input.type, self.ALLOWED, "operand")


class FloatUnaryOp(UnaryOp):
    ALLOWED: ClassVar[tuple[Attribute, ...]] = FLOATS


@irdl_op_definition
class NegOp(UnaryOp):
    """`-x` elementwise; integers wrap (`-INT_MIN` is `INT_MIN`)."""

    name = "ptensor.neg"


@irdl_op_definition
class AbsOp(UnaryOp):
    """`|x|` elementwise; integers wrap (`abs(INT_MIN)` is `INT_MIN`)."""

    name = "ptensor.abs"


@irdl_op_definition
class ReluOp(UnaryOp):
    """max(x, 0) elementwise; NaN stays NaN."""

    name = "ptensor.relu"


@irdl_op_definition
class Relu6Op(UnaryOp):
    """min(max(x, 0), 6) elementwise; NaN stays NaN."""

    name = "ptensor.relu6"


@irdl_op_definition
class ExpOp(FloatUnaryOp):
    """e^x elementwise (floats)."""

    name = "ptensor.exp"


@irdl_op_definition
class LogOp(FloatUnaryOp):
    """The natural logarithm elementwise (floats)."""

    name = "ptensor.log"


@irdl_op_definition
class SqrtOp(FloatUnaryOp):
    """The square root elementwise (floats)."""

    name = "ptensor.sqrt"


@irdl_op_definition
class RsqrtOp(FloatUnaryOp):
    """1 / sqrt(x) elementwise (floats)."""

    name = "ptensor.rsqrt"


@irdl_op_definition
class TanhOp(FloatUnaryOp):
    """tanh(x) elementwise (floats)."""

    name = "ptensor.tanh"


@irdl_op_definition
class SinOp(FloatUnaryOp):
    """sin(x) elementwise, x in radians (floats)."""

    name = "ptensor.sin"


@irdl_op_definition
class CosOp(FloatUnaryOp):
    """cos(x) elementwise, x in radians (floats)."""

    name = "ptensor.cos"


@irdl_op_definition
class TanOp(FloatUnaryOp):
    """tan(x) elementwise, x in radians (floats)."""

    name = "ptensor.tan"


@irdl_op_definition
class AsinOp(FloatUnaryOp):
    """arcsin(x) elementwise, in [-pi/2, pi/2]; NaN outside [-1, 1] (floats)."""

    name = "ptensor.asin"


@irdl_op_definition
class AcosOp(FloatUnaryOp):
    """arccos(x) elementwise, in [0, pi]; NaN outside [-1, 1] (floats)."""

    name = "ptensor.acos"


@irdl_op_definition
class AtanOp(FloatUnaryOp):
    """arctan(x) elementwise, in [-pi/2, pi/2] (floats)."""

    name = "ptensor.atan"


@irdl_op_definition
class SigmoidOp(FloatUnaryOp):
    """1 / (1 + exp(-x)) elementwise (floats)."""

    name = "ptensor.sigmoid"


@irdl_op_definition
class GeluOp(FloatUnaryOp):
    """0.5 * x * (1 + erf(x / sqrt(2))) elementwise, the exact erf form (floats)."""

    name = "ptensor.gelu"


@irdl_op_definition
class ClampOp(UnaryOp):
    """Clamp to [min, max]; both bounds have the operand's element type."""

    name = "ptensor.clamp"
    min = prop_def(base(FloatAttr) | base(IntegerAttr))
    max = prop_def(base(FloatAttr) | base(IntegerAttr))
    irdl_options = _PROPS_IN_ATTR_DICT

    def __init__(self, input: SSAValue | Operation, lo: float, hi: float):
        value = SSAValue.get(input)
        el = element(value.type)
        IRDLOperation.__init__(
            self,
            operands=[value],
            result_types=[value.type],
            properties={"min": scalar_attr(lo, el), "max": scalar_attr(hi, el)},
        )

    def verify_shapes(self) -> None:
        super().verify_shapes()
        el = element(self.input.type)
        for what, bound in (("min", self.min), ("max", self.max)):
            if bound.type != el:  # pyright: ignore[reportAttributeAccessIssue]
                raise VerifyException(
                    f"{what} bound has type {type_str(bound.type)}, expected the "  # pyright: ignore
                    f"operand's element type {type_str(el)}"
                )
        if scalar_value(self.min) > scalar_value(self.max):
            raise VerifyException(
                f"min {scalar_value(self.min)} exceeds max {scalar_value(self.max)}"
            )


class BinaryOp(TensorOp):
    """Elementwise with NumPy broadcasting; both operands share an element type."""

    lhs = operand_def(RANKED_TENSOR)
    rhs = operand_def(RANKED_TENSOR)
    result = result_def(RANKED_TENSOR)
    traits = traits_def(Pure())
    assembly_format = (
        "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)"
    )

    def __init__(self, lhs: SSAValue | Operation, rhs: SSAValue | Operation):
        a, b = SSAValue.get(lhs), SSAValue.get(rhs)
        shape = shapes.broadcast(a.type.get_shape(), b.type.get_shape())  # pyright: ignore
        super().__init__(
            operands=[a, b], result_types=[TensorType(element(a.type), shape)]
        )

    def verify_shapes(self) -> None:
        check_element(self.lhs.type, NUMERIC, "lhs")
        if element(self.lhs.type) != element(self.rhs.type):
            raise VerifyException(
                f"operand element types differ: {type_str(element(self.lhs.type))} "
                f"and {type_str(element(self.rhs.type))}"
            )
        shape = shapes.broadcast(self.operand_shape(0), self.operand_shape(1))
        self.expect_result(shape, element(self.lhs.type))


@irdl_op_definition
class AddOp(BinaryOp):
    """a + b with NumPy broadcasting; integers wrap."""

    name = "ptensor.add"


@irdl_op_definition
class SubOp(BinaryOp):
    """a - b with NumPy broadcasting; integers wrap."""

    name = "ptensor.sub"


@irdl_op_definition
class MulOp(BinaryOp):
    """a * b with NumPy broadcasting; integers wrap."""

    name = "ptensor.mul"


@irdl_op_definition
class DivOp(BinaryOp):
    """a / b with NumPy broadcasting; integers truncate toward zero, and x / 0 is 0."""

    name = "ptensor.div"


@irdl_op_definition
class MaxOp(BinaryOp):
    """The larger of a and b with NumPy broadcasting; a NaN operand gives NaN."""

    name = "ptensor.max"


@irdl_op_definition
class MinOp(BinaryOp):
    """The smaller of a and b with NumPy broadcasting; a NaN operand gives NaN."""

    name = "ptensor.min"


COMPARE_PREDICATES = ("eq", "ne", "lt", "le", "gt", "ge")


@irdl_op_definition
class CompareOp(TensorOp):
    """`ptensor.compare "lt", %a, %b : ...` gives an i1 tensor (broadcasting)."""

    name = "ptensor.compare"
    predicate = prop_def(StringAttr)
    lhs = operand_def(RANKED_TENSOR)
    rhs = operand_def(RANKED_TENSOR)
    result = result_def(RANKED_TENSOR)
    traits = traits_def(Pure())
    assembly_format = (
        "$predicate `,` $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) "
        "`->` type($result)"
    )

    def __init__(self, predicate: str, lhs: SSAValue | Operation, rhs: SSAValue | Operation):
        a, b = SSAValue.get(lhs), SSAValue.get(rhs)
        shape = shapes.broadcast(a.type.get_shape(), b.type.get_shape())  # pyright: ignore
        super().__init__(
            operands=[a, b],
            result_types=[TensorType(i1, shape)],
            properties={"predicate": StringAttr(predicate)},
        )

    def verify_shapes(self) -> None:
        if self.predicate.data not in COMPARE_PREDICATES:
            raise VerifyException(
                f"unknown predicate '{self.predicate.data}'; expected one of "
                + ", ".join(COMPARE_PREDICATES)
            )
        check_element(self.lhs.type, NUMERIC, "lhs")
        if element(self.lhs.type) != element(self.rhs.type):
            raise VerifyException(f"operand element types differ: {type_str(element(self.lhs.type))} and {type_str(element(self.rhs.type))}")
        self.expect_result(
            shapes.broadcast(self.operand_shape(0), self.operand_shape(1)), i1
        )


@irdl_op_definition
class SelectOp(TensorOp):
    """`cond ? a : b` elementwise, the three operands broadcast together."""

    name = "ptensor.select"
    cond = operand_def(RANKED_TENSOR)
    true_value = operand_def(RANKED_TENSOR)
    false_value = operand_def(RANKED_TENSOR)
    result = result_def(RANKED_TENSOR)
    traits = traits_def(Pure())
    assembly_format = (
        "$cond `,` $true_value `,` $false_value attr-dict `:` type($cond) `,` "
        "type($true_value) `,` type($false_value) `->` type($result)"
    )

    def __init__(self, cond: SSAValue | Operation, a: SSAValue | Operation, b: SSAValue | Operation):
        c, x, y = SSAValue.get(cond), SSAValue.get(a), SSAValue.get(b)
        shape = shapes.broadcast(*(v.type.get_shape() for v in (c, x, y)))  # pyright: ignore
        super().__init__(operands=[c, x, y], result_types=[TensorType(element(x.type), shape)])

    def verify_shapes(self) -> None:
        check_element(self.cond.type, (i1,), "condition")
        check_element(self.true_value.type, NUMERIC, "true value")
        if element(self.true_value.type) != element(self.false_value.type):
            raise VerifyException(
                f"true value has element type {type_str(element(self.true_value.type))} "
                f"but false value has {type_str(element(self.false_value.type))}"
            )
        shape = shapes.broadcast(*(self.operand_shape(i) for i in range(3)))
        self.expect_result(shape, element(self.true_value.type))


@irdl_op_definition
class CastOp(TensorOp):
    """Element type conversion; the rules (saturation, wrapping) are in docs/semantics.md."""

    name = "ptensor.cast"
    input = operand_def(RANKED_TENSOR)
    result = result_def(RANKED_TENSOR)
    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def __init__(self, input: SSAValue | Operation, elem: Attribute):
        value = SSAValue.get(input)
        super().__init__(
            operands=[value],
            result_types=[TensorType(elem, value.type.get_shape())],  # pyright: ignore
        )

    def verify_shapes(self) -> None:
        check_element(self.input.type, ALL_ELEMENTS, "operand")
        check_element(self.result.type, ALL_ELEMENTS, "result")
        self.expect_result(self.operand_shape(0), element(self.result.type))


# --- reductions --------------------------------------------------------------


class ReduceOp(TensorOp):
    input = operand_def(RANKED_TENSOR)
    axes = prop_def(DenseArrayBase[I64])
    keepdims = opt_prop_def(UnitAttr)
    result = result_def(RANKED_TENSOR)
    traits = traits_def(Pure())
    irdl_options = _PROPS_IN_ATTR_DICT
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"
    ALLOWED: ClassVar[tuple[Attribute, ...]] = NUMERIC

    def __init__(self, input: SSAValue | Operation, axes: Sequence[int], keepdims: bool = False):
        value = SSAValue.get(input)
        shape = shapes.reduce(value.type.get_shape(), axes, keepdims)  # pyright: ignore
        super().__init__(
            operands=[value],
            result_types=[TensorType(self.result_element(element(value.type)), shape)],
            properties={"axes": i64_array(axes), "keepdims": UnitAttr() if keepdims else None},
        )

    @staticmethod
    def result_element(elem: Attribute) -> Attribute:
        return elem

    def verify_shapes(self) -> None:
        check_element(self.input.type, self.ALLOWED, "operand")
        shape = shapes.reduce(self.operand_shape(0), ints(self.axes), self.keepdims is not None)
        self.expect_result(shape, self.result_element(element(self.input.type)))


@irdl_op_definition
class ReduceSumOp(ReduceOp):
    """The sum over `axes` (`keepdims` keeps them as size-1 dimensions); integers wrap."""

    name = "ptensor.reduce_sum"


@irdl_op_definition
class ReduceMaxOp(ReduceOp):
    """The maximum over `axes` (`keepdims` keeps them as size-1 dimensions); NaN if any
    element is NaN."""

    name = "ptensor.reduce_max"


@irdl_op_definition
class ReduceMinOp(ReduceOp):
    """The minimum over `axes` (`keepdims` keeps them as size-1 dimensions); NaN if any
    element is NaN."""

    name = "ptensor.reduce_min"


@irdl_op_definition
class ReduceMeanOp(ReduceOp):
    """The mean over `axes` (`keepdims` keeps them as size-1 dimensions); integers divide
    the exact sum, truncating toward zero."""

    name = "ptensor.reduce_mean"


@irdl_op_definition
class ArgmaxOp(ReduceOp):
    """Index (i32) of the first maximum along one axis."""

    name = "ptensor.argmax"

    @staticmethod
    def result_element(elem: Attribute) -> Attribute:
        return i32

    def verify_shapes(self) -> None:
        if len(ints(self.axes)) != 1:
            raise VerifyException(
                f"takes exactly one axis, got {list(ints(self.axes))}"
            )
        super().verify_shapes()


# --- linear algebra and layout -----------------------------------------------


def accumulator(elem: Attribute) -> Attribute:
    """i8 products accumulate and are returned in i32; other types in their own."""
    return i32 if elem == i8 else elem


@irdl_op_definition
class MatmulOp(TensorOp):
    """NumPy matmul on rank >= 2 operands, batch dimensions broadcasting."""

    name = "ptensor.matmul"
    lhs = operand_def(RANKED_TENSOR)
    rhs = operand_def(RANKED_TENSOR)
    result = result_def(RANKED_TENSOR)
    traits = traits_def(Pure())
    assembly_format = (
        "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)"
    )

    def __init__(self, lhs: SSAValue | Operation, rhs: SSAValue | Operation):
        a, b = SSAValue.get(lhs), SSAValue.get(rhs)
        shape = shapes.matmul(a.type.get_shape(), b.type.get_shape())  # pyright: ignore
        super().__init__(
            operands=[a, b], result_types=[TensorType(accumulator(element(a.type)), shape)]
        )

    def verify_shapes(self) -> None:
        check_element(self.lhs.type, NUMERIC, "lhs")
        if element(self.lhs.type) != element(self.rhs.type):
            raise VerifyException(
                f"operand element types differ: {type_str(element(self.lhs.type))} "
                f"and {type_str(element(self.rhs.type))}"
            )
        shape = shapes.matmul(self.operand_shape(0), self.operand_shape(1))
        self.expect_result(shape, accumulator(element(self.lhs.type)))


class ShapedResultOp(TensorOp):
    """Ops whose result shape is given by the declared result type."""

    input = operand_def(RANKED_TENSOR)
    result = result_def(RANKED_TENSOR)
    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def __init__(self, input: SSAValue | Operation, shape: Sequence[int]):
        value = SSAValue.get(input)
        super().__init__(
            operands=[value], result_types=[TensorType(element(value.type), list(shape))]
        )


@irdl_op_definition
class ReshapeOp(ShapedResultOp):
    """The same elements in row-major order, in the result type's shape."""

    name = "ptensor.reshape"

    def verify_shapes(self) -> None:
        out = static_shape(self.result.type, "result")
        self.expect_result(shapes.reshape(self.operand_shape(0), out), element(self.input.type))


@irdl_op_definition
class BroadcastOp(ShapedResultOp):
    """NumPy `broadcast_to` the result type's shape."""

    name = "ptensor.broadcast"

    def verify_shapes(self) -> None:
        out = static_shape(self.result.type, "result")
        self.expect_result(
            shapes.broadcast_to(self.operand_shape(0), out), element(self.input.type)
        )


@irdl_op_definition
class TransposeOp(TensorOp):
    """Dimensions permuted: result dimension d is input dimension `permutation[d]`."""

    name = "ptensor.transpose"
    input = operand_def(RANKED_TENSOR)
    permutation = prop_def(DenseArrayBase[I64])
    result = result_def(RANKED_TENSOR)
    traits = traits_def(Pure())
    irdl_options = _PROPS_IN_ATTR_DICT
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def __init__(self, input: SSAValue | Operation, perm: Sequence[int]):
        value = SSAValue.get(input)
        shape = shapes.transpose(value.type.get_shape(), perm)  # pyright: ignore
        super().__init__(
            operands=[value],
            result_types=[TensorType(element(value.type), shape)],
            properties={"permutation": i64_array(perm)},
        )

    def verify_shapes(self) -> None:
        shape = shapes.transpose(self.operand_shape(0), ints(self.permutation))
        self.expect_result(shape, element(self.input.type))


@irdl_op_definition
class SliceOp(TensorOp):
    """Strided slice: element i of dimension d is input[offsets[d] + i * strides[d]]."""

    name = "ptensor.slice"
    input = operand_def(RANKED_TENSOR)
    offsets = prop_def(DenseArrayBase[I64])
    sizes = prop_def(DenseArrayBase[I64])
    strides = prop_def(DenseArrayBase[I64])
    result = result_def(RANKED_TENSOR)
    traits = traits_def(Pure())
    irdl_options = _PROPS_IN_ATTR_DICT
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def __init__(
        self,
        input: SSAValue | Operation,
        offsets: Sequence[int],
        sizes: Sequence[int],
        strides: Sequence[int] | None = None,
    ):
        value = SSAValue.get(input)
        strides = strides or [1] * len(sizes)
        shape = shapes.slice_(value.type.get_shape(), offsets, sizes, strides)  # pyright: ignore
        super().__init__(
            operands=[value],
            result_types=[TensorType(element(value.type), shape)],
            properties={
                "offsets": i64_array(offsets),
                "sizes": i64_array(sizes),
                "strides": i64_array(strides),
            },
        )

    def verify_shapes(self) -> None:
        shape = shapes.slice_(
            self.operand_shape(0), ints(self.offsets), ints(self.sizes), ints(self.strides)
        )
        self.expect_result(shape, element(self.input.type))


@irdl_op_definition
class ConcatOp(TensorOp):
    """The operands joined along `axis` (negative counts from the end), in operand order."""

    name = "ptensor.concat"
    inputs = var_operand_def(RANKED_TENSOR)
    axis = prop_def(IntegerAttr[I64])
    result = result_def(RANKED_TENSOR)
    traits = traits_def(Pure())
    irdl_options = _PROPS_IN_ATTR_DICT
    assembly_format = "$inputs attr-dict `:` type($inputs) `->` type($result)"

    def __init__(self, inputs: Sequence[SSAValue | Operation], axis: int):
        values = [SSAValue.get(v) for v in inputs]
        shape = shapes.concat([v.type.get_shape() for v in values], axis)  # pyright: ignore
        super().__init__(
            operands=[values],
            result_types=[TensorType(element(values[0].type), shape)],
            properties={"axis": IntegerAttr(axis, i64)},
        )

    def verify_shapes(self) -> None:
        if not self.inputs:
            raise VerifyException("concat needs at least one operand")
        el = element(self.inputs[0].type)
        for k, v in enumerate(self.inputs):
            if element(v.type) != el:
                raise VerifyException(
                    f"operand #{k} has element type {type_str(element(v.type))}, "
                    f"expected {type_str(el)} as operand #0 has"
                )
        shape = shapes.concat(
            [self.operand_shape(i) for i in range(len(self.inputs))], self.axis.value.data
        )
        self.expect_result(shape, el)


@irdl_op_definition
class PadOp(TensorOp):
    """Constant padding: `low[d]` and `high[d]` elements of `value` around dimension d."""

    name = "ptensor.pad"
    input = operand_def(RANKED_TENSOR)
    low = prop_def(DenseArrayBase[I64])
    high = prop_def(DenseArrayBase[I64])
    value = prop_def(base(FloatAttr) | base(IntegerAttr))
    result = result_def(RANKED_TENSOR)
    traits = traits_def(Pure())
    irdl_options = _PROPS_IN_ATTR_DICT
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def __init__(
        self, input: SSAValue | Operation, low: Sequence[int], high: Sequence[int], value: float = 0
    ):
        v = SSAValue.get(input)
        el = element(v.type)
        shape = shapes.pad(v.type.get_shape(), low, high)  # pyright: ignore
        super().__init__(
            operands=[v],
            result_types=[TensorType(el, shape)],
            properties={
                "low": i64_array(low),
                "high": i64_array(high),
                "value": scalar_attr(value, el),
            },
        )

    def verify_shapes(self) -> None:
        el = element(self.input.type)
        if self.value.type != el:  # pyright: ignore[reportAttributeAccessIssue]
            raise VerifyException(
                f"pad value has type {type_str(self.value.type)}, expected the operand's "
                f"element type {type_str(el)}"  # pyright: ignore
            )
        shape = shapes.pad(self.operand_shape(0), ints(self.low), ints(self.high))
        self.expect_result(shape, el)


# --- convolution, pooling, normalisation -------------------------------------


@irdl_op_definition
class Conv2DOp(TensorOp):
    """2-D convolution, NHWC input, HWCF filter, optional bias of F.

    `groups` = C with filter HxWx1xF is a depthwise convolution. i8 input and
    filter accumulate into an i32 result (and take an i32 bias).
    """

    name = "ptensor.conv2d"
    input = operand_def(RANKED_TENSOR)
    filter = operand_def(RANKED_TENSOR)
    bias = opt_operand_def(RANKED_TENSOR)
    strides = prop_def(DenseArrayBase[I64])
    dilations = prop_def(DenseArrayBase[I64])
    padding = prop_def(DenseArrayBase[I64])
    groups = prop_def(IntegerAttr[I64])
    result = result_def(RANKED_TENSOR)
    traits = traits_def(Pure())
    irdl_options = _PROPS_IN_ATTR_DICT
    assembly_format = (
        "$input `,` $filter (`,` $bias^)? attr-dict `:` type($input) `,` "
        "type($filter) (`,` type($bias)^)? `->` type($result)"
    )

    def __init__(
        self,
        input: SSAValue | Operation,
        filter: SSAValue | Operation,
        bias: SSAValue | Operation | None = None,
        strides: Sequence[int] = (1, 1),
        dilations: Sequence[int] = (1, 1),
        padding: Sequence[int] = (0, 0, 0, 0),
        groups: int = 1,
    ):
        x, w = SSAValue.get(input), SSAValue.get(filter)
        shape = shapes.conv2d(
            x.type.get_shape(), w.type.get_shape(), strides, dilations, padding, groups  # pyright: ignore
        )
        super().__init__(
            operands=[x, w, [] if bias is None else [SSAValue.get(bias)]],
            result_types=[TensorType(accumulator(element(x.type)), shape)],
            properties={
                "strides": i64_array(strides),
                "dilations": i64_array(dilations),
                "padding": i64_array(padding),
                "groups": IntegerAttr(groups, i64),
            },
        )

    def verify_shapes(self) -> None:
        check_element(self.input.type, NUMERIC, "input")
        el = element(self.input.type)
        if element(self.filter.type) != el:
            raise VerifyException(
                f"filter has element type {type_str(element(self.filter.type))}, "
                f"expected the input's {type_str(el)}"
            )
        shape = shapes.conv2d(
            self.operand_shape(0),
            self.operand_shape(1),
            ints(self.strides),
            ints(self.dilations),
            ints(self.padding),
            self.groups.value.data,
        )
        acc = accumulator(el)
        if self.bias is not None:
            bshape = static_shape(self.bias.type, "bias")
            if bshape != (shape[3],) or element(self.bias.type) != acc:
                raise VerifyException(
                    f"bias type {type_str(self.bias.type)} does not match "
                    f"{type_str(TensorType(acc, [shape[3]]))} (one {type_str(acc)} per "
                    "output channel)"
                )
        self.expect_result(shape, acc)


class Pool2DOp(TensorOp):
    input = operand_def(RANKED_TENSOR)
    kernel = prop_def(DenseArrayBase[I64])
    strides = prop_def(DenseArrayBase[I64])
    padding = prop_def(DenseArrayBase[I64])
    result = result_def(RANKED_TENSOR)
    traits = traits_def(Pure())
    irdl_options = _PROPS_IN_ATTR_DICT
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"
    ALLOWED: ClassVar[tuple[Attribute, ...]] = NUMERIC

    def __init__(
        self,
        input: SSAValue | Operation,
        kernel: Sequence[int],
        strides: Sequence[int] | None = None,
        padding: Sequence[int] = (0, 0, 0, 0),
    ):
        x = SSAValue.get(input)
        strides = strides or kernel
        shape = shapes.pool2d(x.type.get_shape(), kernel, strides, padding)  # pyright: ignore
        super().__init__(
            operands=[x],
            result_types=[TensorType(element(x.type), shape)],
            properties={
                "kernel": i64_array(kernel),
                "strides": i64_array(strides),
                "padding": i64_array(padding),
            },
        )

    def verify_shapes(self) -> None:
        check_element(self.input.type, self.ALLOWED, "input")
        shape = shapes.pool2d(
            self.operand_shape(0), ints(self.kernel), ints(self.strides), ints(self.padding)
        )
        self.expect_result(shape, element(self.input.type))


@irdl_op_definition
class MaxPool2DOp(Pool2DOp):
    """Max over each window; padding never wins (it is -inf)."""

    name = "ptensor.max_pool2d"


@irdl_op_definition
class AvgPool2DOp(Pool2DOp):
    """Mean over each window's in-bounds elements (padding is not counted)."""

    name = "ptensor.avg_pool2d"
    ALLOWED: ClassVar[tuple[Attribute, ...]] = FLOATS


@irdl_op_definition
class SoftmaxOp(TensorOp):
    """exp(x - max) / sum(exp(x - max)) along `axis` (floats)."""

    name = "ptensor.softmax"
    input = operand_def(RANKED_TENSOR)
    axis = prop_def(IntegerAttr[I64])
    result = result_def(RANKED_TENSOR)
    traits = traits_def(Pure())
    irdl_options = _PROPS_IN_ATTR_DICT
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def __init__(self, input: SSAValue | Operation, axis: int = -1):
        x = SSAValue.get(input)
        super().__init__(
            operands=[x], result_types=[x.type], properties={"axis": IntegerAttr(axis, i64)}
        )

    def verify_shapes(self) -> None:
        check_element(self.input.type, FLOATS, "input")
        shape = self.operand_shape(0)
        shapes.normalize_axis(self.axis.value.data, len(shape))
        self.expect_result(shape, element(self.input.type))


@irdl_op_definition
class LayerNormOp(TensorOp):
    """Normalise over the trailing dimensions from `axis` on, then scale and shift."""

    name = "ptensor.layer_norm"
    input = operand_def(RANKED_TENSOR)
    scale = operand_def(RANKED_TENSOR)
    offset = operand_def(RANKED_TENSOR)
    axis = prop_def(IntegerAttr[I64])
    epsilon = prop_def(FloatAttr)
    result = result_def(RANKED_TENSOR)
    traits = traits_def(Pure())
    irdl_options = _PROPS_IN_ATTR_DICT
    assembly_format = (
        "$input `,` $scale `,` $offset attr-dict `:` type($input) `,` type($scale) "
        "`,` type($offset) `->` type($result)"
    )

    def __init__(
        self,
        input: SSAValue | Operation,
        scale: SSAValue | Operation,
        offset: SSAValue | Operation,
        axis: int = -1,
        epsilon: float = 1e-5,
    ):
        x = SSAValue.get(input)
        super().__init__(
            operands=[x, SSAValue.get(scale), SSAValue.get(offset)],
            result_types=[x.type],
            properties={"axis": IntegerAttr(axis, i64), "epsilon": FloatAttr(epsilon, f32)},
        )

    def verify_shapes(self) -> None:
        check_element(self.input.type, FLOATS, "input")
        shape = self.operand_shape(0)
        ax = shapes.normalize_axis(self.axis.value.data, len(shape))
        for i, what in ((1, "scale"), (2, "offset")):
            if self.operand_shape(i) != shape[ax:] or element(
                self.operands[i].type
            ) != element(self.input.type):
                raise VerifyException(
                    f"{what} must be {type_str(TensorType(element(self.input.type), list(shape[ax:])))}"
                    f", got {type_str(self.operands[i].type)}"
                )
        self.expect_result(shape, element(self.input.type))


@irdl_op_definition
class BatchNormOp(TensorOp):
    """Inference batch norm over the last (channel) dimension:
    (x - mean) / sqrt(variance + epsilon) * scale + offset."""

    name = "ptensor.batch_norm"
    input = operand_def(RANKED_TENSOR)
    scale = operand_def(RANKED_TENSOR)
    offset = operand_def(RANKED_TENSOR)
    mean = operand_def(RANKED_TENSOR)
    variance = operand_def(RANKED_TENSOR)
    epsilon = prop_def(FloatAttr)
    result = result_def(RANKED_TENSOR)
    traits = traits_def(Pure())
    irdl_options = _PROPS_IN_ATTR_DICT
    assembly_format = (
        "$input `,` $scale `,` $offset `,` $mean `,` $variance attr-dict `:` "
        "type($input) `,` type($scale) `,` type($offset) `,` type($mean) `,` "
        "type($variance) `->` type($result)"
    )

    def __init__(
        self,
        input: SSAValue | Operation,
        scale: SSAValue | Operation,
        offset: SSAValue | Operation,
        mean: SSAValue | Operation,
        variance: SSAValue | Operation,
        epsilon: float = 1e-5,
    ):
        x = SSAValue.get(input)
        super().__init__(
            operands=[x, *(SSAValue.get(v) for v in (scale, offset, mean, variance))],
            result_types=[x.type],
            properties={"epsilon": FloatAttr(epsilon, f32)},
        )

    def verify_shapes(self) -> None:
        check_element(self.input.type, FLOATS, "input")
        shape = self.operand_shape(0)
        if not shape:
            raise VerifyException(
                f"input needs rank >= 1 (its last dimension is the channel), "
                f"got {type_str(self.input.type)}"
            )
        want = TensorType(element(self.input.type), [shape[-1]])
        for i, what in enumerate(("scale", "offset", "mean", "variance"), start=1):
            if self.operands[i].type != want:
                raise VerifyException(
                    f"{what} must be {type_str(want)}, got "
                    f"{type_str(self.operands[i].type)}"
                )
        self.expect_result(shape, element(self.input.type))


PTensor = Dialect(
    "ptensor",
    [
        ConstantOp,
        WeightOp,
        NegOp,
        AbsOp,
        ReluOp,
        Relu6Op,
        ExpOp,
        LogOp,
        SqrtOp,
        RsqrtOp,
        TanhOp,
        SinOp,
        CosOp,
        TanOp,
        AsinOp,
        AcosOp,
        AtanOp,
        SigmoidOp,
        GeluOp,
        ClampOp,
        AddOp,
        SubOp,
        MulOp,
        DivOp,
        MaxOp,
        MinOp,
        CompareOp,
        SelectOp,
        CastOp,
        ReduceSumOp,
        ReduceMaxOp,
        ReduceMinOp,
        ReduceMeanOp,
        ArgmaxOp,
        MatmulOp,
        ReshapeOp,
        BroadcastOp,
        TransposeOp,
        SliceOp,
        ConcatOp,
        PadOp,
        Conv2DOp,
        MaxPool2DOp,
        AvgPool2DOp,
        SoftmaxOp,
        LayerNormOp,
        BatchNormOp,
    ],
)
