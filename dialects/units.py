"""units: a program split into parts that run on units (cores, boards, GPUs).

The level `partition` produces. The module keeps every part as an ordinary
ptensor `func.func` (so each compiles with `pelemay_ir.compile` for its
unit's machine) and adds:

- `units.unit "u0" {machine = "host", gflops = 20.0 : f64}`: a unit, declared
  once at module level, with the machine its parts compile for and the speed
  the cost model assumed;
- a schedule function (the program's entry, same name and signature) whose
  body is a pipeline of `units.run` (call a part on a unit) and
  `units.transfer` (move values from one unit to the next) ops:

      %a:2 = units.run @m_part0 on "u0" (%x) {seconds = 1.0e-03 : f64} : (tensor<..>) -> (tensor<..>, tensor<..>)
      %b:2 = units.transfer %a#0, %a#1 from "u0" to "u1" {bytes = 8 : i64, seconds = 2.0e-04 : f64} : tensor<..>, tensor<..>
      %c = units.run @m_part1 on "u1" (%b#0, %b#1) {seconds = 1.2e-03 : f64} : (tensor<..>, tensor<..>) -> tensor<..>
      func.return %c : tensor<..>

`seconds` are the cost model's predictions (docs/distributed.md); the
runtime (`pelemay_ir.distributed`) reads the schedule and the parts.
"""

from __future__ import annotations

from xdsl.dialects.builtin import (
    I64,
    FloatAttr,
    Float64Type,
    FunctionType,
    IntegerAttr,
    StringAttr,
    SymbolRefAttr,
    TensorType,
    f64,
    i64,
)
from xdsl.ir import Attribute, Dialect, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_op_definition,
    prop_def,
    var_operand_def,
    var_result_def,
)
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

_PROPS_IN_ATTR_DICT = (ParsePropInAttrDict(),)


@irdl_op_definition
class UnitOp(IRDLOperation):
    """A unit the program's parts run on: a name, a machine, a speed."""

    name = "units.unit"
    sym_name = prop_def(StringAttr)
    machine = prop_def(StringAttr)
    gflops = prop_def(FloatAttr[Float64Type])
    irdl_options = _PROPS_IN_ATTR_DICT
    assembly_format = "$sym_name attr-dict"

    def __init__(self, name: str, machine: str, gflops: float):
        super().__init__(properties={
            "sym_name": StringAttr(name),
            "machine": StringAttr(machine),
            "gflops": FloatAttr(gflops, f64),
        })

    def verify_(self) -> None:
        from pelemay_ir import machines

        if self.machine.data not in machines.MACHINES:
            raise VerifyException(
                f"unit '{self.sym_name.data}' has unknown machine '{self.machine.data}'; "
                "valid machines: " + ", ".join(machines.MACHINES)
            )
        if not self.gflops.value.data > 0:
            raise VerifyException(f"unit '{self.sym_name.data}' has speed {self.gflops.value.data}; it must be > 0")


def _types(values) -> str:
    return ", ".join(str(v.type) for v in values)


@irdl_op_definition
class RunOp(IRDLOperation):
    """Call part `callee` on unit `unit`: its operands are the part's arguments,
    its results the part's results."""

    name = "units.run"
    callee = prop_def(SymbolRefAttr)
    unit = prop_def(StringAttr)
    seconds = prop_def(FloatAttr[Float64Type])
    args = var_operand_def(TensorType)
    res = var_result_def(TensorType)

    def __init__(self, callee: str, unit: str, args: list[SSAValue], result_types: list[Attribute], seconds: float):
        super().__init__(
            operands=[args],
            result_types=[result_types],
            properties={
                "callee": SymbolRefAttr(callee),
                "unit": StringAttr(unit),
                "seconds": FloatAttr(seconds, f64),
            },
        )

    @classmethod
    def parse(cls, parser: Parser) -> RunOp:
        callee = parser.parse_symbol_name().data
        parser.parse_keyword("on")
        unit = parser.parse_str_literal()
        args = parser.parse_comma_separated_list(
            parser.Delimiter.PAREN, parser.parse_unresolved_operand
        )
        attrs = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        pos = parser.pos
        ftype = parser.parse_function_type()
        if len(ftype.inputs) != len(args):
            parser.raise_error(f"{len(args)} operands but {len(ftype.inputs)} operand types", pos, parser.pos)
        operands = parser.resolve_operands(args, ftype.inputs.data, pos)
        seconds = attrs.pop("seconds", FloatAttr(0.0, f64))
        op = cls(callee, unit, operands, list(ftype.outputs.data), 0.0)
        op.properties["seconds"] = seconds
        op.attributes.update(attrs)
        return op

    def print(self, printer: Printer) -> None:
        printer.print_string(f" @{self.callee.root_reference.data} on ")
        printer.print_string_literal(self.unit.data)
        printer.print_string(" (")
        printer.print_list(self.args, printer.print_operand)
        printer.print_string(")")
        printer.print_op_attributes({"seconds": self.seconds, **self.attributes})
        printer.print_string(" : ")
        printer.print_attribute(FunctionType.from_lists([a.type for a in self.args], [r.type for r in self.res]))


@irdl_op_definition
class TransferOp(IRDLOperation):
    """Move values from unit `source` to unit `dest` (an identity on values:
    it says where data crosses a link, and what the cost model charged)."""

    name = "units.transfer"
    source = prop_def(StringAttr)
    dest = prop_def(StringAttr)
    bytes = prop_def(IntegerAttr[I64])
    seconds = prop_def(FloatAttr[Float64Type])
    values = var_operand_def(TensorType)
    res = var_result_def(TensorType)

    def __init__(self, values: list[SSAValue], source: str, dest: str, nbytes: int, seconds: float):
        super().__init__(
            operands=[values],
            result_types=[[v.type for v in values]],
            properties={
                "source": StringAttr(source),
                "dest": StringAttr(dest),
                "bytes": IntegerAttr(nbytes, i64),
                "seconds": FloatAttr(seconds, f64),
            },
        )

    def verify_(self) -> None:
        if [v.type for v in self.values] != [r.type for r in self.res]:
            raise VerifyException("a transfer's results have its operands' types")

    @classmethod
    def parse(cls, parser: Parser) -> TransferOp:
        args = parser.parse_comma_separated_list(parser.Delimiter.NONE, parser.parse_unresolved_operand)
        parser.parse_keyword("from")
        source = parser.parse_str_literal()
        parser.parse_keyword("to")
        dest = parser.parse_str_literal()
        attrs = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        pos = parser.pos
        types = parser.parse_comma_separated_list(parser.Delimiter.NONE, parser.parse_type)
        if len(types) != len(args):
            parser.raise_error(f"{len(args)} operands but {len(types)} types", pos, parser.pos)
        operands = parser.resolve_operands(args, types, pos)
        op = cls(operands, source, dest, 0, 0.0)
        for key in ("bytes", "seconds"):
            if key in attrs:
                op.properties[key] = attrs.pop(key)
        op.attributes.update(attrs)
        return op

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_list(self.values, printer.print_operand)
        printer.print_string(" from ")
        printer.print_string_literal(self.source.data)
        printer.print_string(" to ")
        printer.print_string_literal(self.dest.data)
        printer.print_op_attributes({"bytes": self.bytes, "seconds": self.seconds, **self.attributes})
        printer.print_string(" : ")
        printer.print_list([v.type for v in self.values], printer.print_attribute)


Units = Dialect("units", [UnitOp, RunOp, TransferOp])
