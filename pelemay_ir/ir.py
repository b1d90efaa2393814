"""Reading and checking programs: the context, a parser that remembers where
every op was written, and verification that reports `FILE:LINE:COL: error:`.

Everything that turns text into a module goes through here (the driver, the
reference evaluator, `pelemay_ir.compile`), so every tool reports errors the
same way and every op carries its source position into later passes.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

from xdsl.context import Context
from xdsl.dialects import arith, builtin, func, math, memref, scf
from xdsl.dialects.builtin import FileLineColLoc, IntAttr, ModuleOp, StringAttr, UnknownLoc
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.irdl import AttributeInvT, IRDLOperation, VerificationContext
from xdsl.parser import Parser, UnresolvedOperand
from xdsl.utils.exceptions import DiagnosticException, ParseError, VerifyException
from xdsl.utils.lexer import Span
from xdsl.utils.mlir_lexer import MLIRLexer

from pelemay_ir import weights
from pelemay_ir.errors import CompileError  # noqa: F401  (re-exported: most modules import it from here)


def own_dialects():
    """Pelemay IR's dialects, by name (lazily loaded)."""

    def ptensor():
        from pelemay_ir.dialects.ptensor import PTensor

        return PTensor

    def pbuf():
        from pelemay_ir.dialects.pbuf import PBuf

        return PBuf

    def arm_simd():
        from pelemay_ir.dialects.arm_simd import ArmSimd

        return ArmSimd

    def units():
        from pelemay_ir.dialects.units import Units

        return Units

    def parallel():
        from pelemay_ir.dialects.parallel import Parallel

        return Parallel

    def index():
        from pelemay_ir.dialects.index import Index

        return Index

    def mask():
        from pelemay_ir.dialects.mask import Mask

        return Mask

    return {"ptensor": ptensor, "pbuf": pbuf, "arm_simd": arm_simd, "units": units, "parallel": parallel,
            "index": index, "mask": mask}


def _vector():
    from xdsl.dialects.vector import Vector

    return Vector


def _gpu():
    from xdsl.dialects.gpu import GPU
    from xdsl.ir import Dialect

    from pelemay_ir.dialects.gpu_shuffle import ShuffleModeAttr, ShuffleOp

    return Dialect("gpu", [*GPU.operations, ShuffleOp], [*GPU.attributes, ShuffleModeAttr])


def dialects():
    """The dialects a Pelemay IR program may use, by name (lazily loaded)."""
    return {
        "builtin": lambda: builtin.Builtin,
        "func": lambda: func.Func,
        "arith": lambda: arith.Arith,
        "math": lambda: math.Math,
        "scf": lambda: scf.Scf,
        "memref": lambda: memref.MemRef,
        "vector": _vector,
        "gpu": _gpu,
        **own_dialects(),
    }


def make_context() -> Context:
    ctx = Context()
    for name, factory in dialects().items():
        ctx.register_dialect(name, factory)
    return ctx


def location_of(op: Operation) -> str | None:
    """`file:line:col` of the op, or of its nearest located ancestor."""
    node: Operation | None = op
    while node is not None:
        loc = node.location
        if isinstance(loc, FileLineColLoc):
            return f"{loc.filename.data}:{loc.line.data}:{loc.column.data}"
        node = node.parent_op()
    return None


class LocatingParser(Parser):
    """A parser that stamps each op with the position it was written at."""

    def __init__(self, ctx: Context, text: str, name: str, line_offset: int = 0):
        super().__init__(ctx, text, name)
        self._name = name
        self._line_offset = line_offset
        self._op_names: list[str] = []  # names of the ops being parsed, outermost first
        self._last_attr_dict: dict[str, Attribute] = {}
        self._first_use: dict[str, Span] = {}  # where each not-yet-defined value was used

    def parse_operation(self) -> Operation:
        where = self._current_token.span
        depth = len(self._op_names)
        try:
            op = super().parse_operation()
        except ParseError as e:
            if e.msg.endswith("is not registered") and e.span.start > where.start:
                # xDSL points past the name; point at the op like mlir-opt.
                name = e.msg.removeprefix("Operation ").removesuffix(" is not registered")
                raise ParseError(where, f"unknown operation '{name}'") from None
            if e.msg.startswith("Operation builtin.unregistered does not have a custom format"):
                name = self._op_names[depth] if len(self._op_names) > depth else "operation"
                raise ParseError(
                    where,
                    f"unknown operation '{name}'; an unregistered op must be written "
                    f'in the generic form "{name}"(...)',
                ) from None
            raise
        except VerifyException as e:
            # The custom syntax checks operand, result and property constraints
            # while parsing; report them at the op, as the verifier would.
            name = self._op_names[depth] if len(self._op_names) > depth else "operation"
            message = self._property_at_fault(name) or str(e)
            raise ParseError(where, f"'{name}' op {message}") from None
        except (NotImplementedError, ArithmeticError, ValueError, struct.error) as e:
            # xDSL builds attributes while parsing and some values it cannot
            # hold (a dense array of i100, a literal out of its type's range).
            name = self._op_names[depth] if len(self._op_names) > depth else "operation"
            message = str(e)
            if message.startswith("Format not implemented for "):
                width = message.removeprefix("Format not implemented for ")
                message = f"{width} is too wide for a dense array or literal (64 bits at most)"
            raise ParseError(where, f"'{name}' op cannot be built: {message}") from None
        finally:
            del self._op_names[depth:]
        if isinstance(op.location, UnknownLoc):
            # The op's own position, which starts at its results as in mlir-opt.
            loc = where.get_location()
            op.location = FileLineColLoc(
                StringAttr(self._name),
                IntAttr(loc.line + self._line_offset),
                IntAttr(loc.col),
            )
        return op

    def parse_optional_attr_dict(self) -> dict[str, Attribute]:
        attrs = super().parse_optional_attr_dict()
        self._last_attr_dict = dict(attrs)  # the caller moves properties out of `attrs`
        return attrs

    def _property_at_fault(self, op_name: str) -> str | None:
        """Which property of the last attribute dictionary breaks its
        constraint, in the verifier's words (the parser's own text has no name)."""
        op_type = self.ctx.get_optional_op(op_name)
        if op_type is None or not issubclass(op_type, IRDLOperation):
            return None
        for prop, prop_def in op_type.get_irdl_definition().properties.items():
            value = self._last_attr_dict.get(prop)
            if value is None:
                continue
            try:
                prop_def.constr.verify(value, VerificationContext())
            except VerifyException as e:
                return f"property '{prop}' is invalid: {e}"
        return None

    def parse_module(self, allow_implicit_module: bool = True) -> ModuleOp:
        try:
            return super().parse_module(allow_implicit_module)
        except ParseError as e:
            if e.msg.startswith("values used but not defined") and self._first_use:
                # xDSL reports this at the end of the input; point at the first use.
                name, span = min(
                    ((n, s) for n, s in self._first_use.items() if n in self.forward_ssa_references),
                    key=lambda item: item[1].start,
                    default=(None, None),
                )
                if name is not None and span is not None:
                    raise ParseError(span, f"use of undeclared SSA value name '%{name}'") from None
            if e.msg == " in block definition":
                # xDSL's message when a block holds something that is not an op.
                got = "the end of the input" if not e.span.text else f"'{e.span.text}'"
                raise ParseError(
                    e.span, f"expected an operation, a block label or '}}', got {got}"
                ) from None
            raise

    def resolve_operand(self, operand: UnresolvedOperand, type: AttributeInvT) -> SSAValue[AttributeInvT]:
        if operand.operand_name not in self.ssa_values:
            self._first_use.setdefault(operand.operand_name, operand.span)
        return super().resolve_operand(operand, type)

    def _parse_optional_integer_or_float_type(self):
        token = self._current_token
        match = _INTEGER_TYPE.fullmatch(token.text)
        if match and int(match.group(1)) > MAX_INTEGER_WIDTH:
            # xDSL would compute 2**width to range-check values, and run out of memory.
            self.raise_error(
                f"integer bitwidth is limited to {MAX_INTEGER_WIDTH} bits", token.span
            )
        return super()._parse_optional_integer_or_float_type()

    def _get_op_by_name(self, name: str) -> type[Operation]:
        self._op_names.append(name)
        return super()._get_op_by_name(name)


# xDSL 0.74's lexer matches string literals with `"(?:[^"\\...]+|\\...)*"`, which
# backtracks exponentially on an unterminated string (a stray `"` hangs the
# parser). The same language with possessive quantifiers cannot backtrack: the
# two alternatives never start with the same character.
MLIRLexer._unescaped_characters_regex = re.compile(
    r'"(?:[^"\\\n\v\f]++|\\(?:["nt\\]|[0-9A-Fa-f]{2}))*+"'
)

MAX_INTEGER_WIDTH = (1 << 24) - 1
"""The widest integer type, as in MLIR."""

_INTEGER_TYPE = re.compile(r"[su]?i(\d+)")


def parse(text: str, name: str = "<stdin>", ctx: Context | None = None, line_offset: int = 0) -> ModuleOp:
    """Parse MLIR text into a verified module; an empty text is an empty module."""
    ctx = ctx or make_context()
    if not text.strip() or _only_comments(text):
        module = ModuleOp([])
        module.location = FileLineColLoc(StringAttr(name), IntAttr(1 + line_offset), IntAttr(1))
        return module
    try:
        module = LocatingParser(ctx, text, name, line_offset).parse_module()
    except ParseError as e:
        span = e.span
        loc = span.get_location()
        message = e.msg
        if "{first_char}" in message:  # an unformatted message of xDSL's lexer
            message = message.replace("{first_char}", f"'{span.text[:1]}'")
        raise CompileError(
            message, f"{loc.file}:{loc.line + line_offset}:{loc.col}"
        ) from None
    verify(module)
    return module


def load(path: str | Path, ctx: Context | None = None) -> ModuleOp:
    """Parse a .mlir file; its weights file is then found beside it."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as e:
        raise CompileError(f"cannot read '{path}': {e.strerror}") from None
    except UnicodeDecodeError:
        raise CompileError(f"'{path}' is not UTF-8 text") from None
    module = parse(text, str(path), ctx)
    weights.remember_origin(module, path)
    return module


def verify(module: ModuleOp) -> None:
    """Verify op by op, so the error names the position of the op at fault."""
    for op in module.walk():
        try:
            op.verify(verify_nested_ops=False)
        except DiagnosticException as e:
            raise CompileError(f"'{op.name}' op {e}", location_of(op)) from None
        except (ValueError, AssertionError) as e:
            raise CompileError(f"'{op.name}' op is malformed: {e}", location_of(op)) from None


def _only_comments(text: str) -> bool:
    return all(
        not line.strip() or line.lstrip().startswith("//") for line in text.splitlines()
    )
