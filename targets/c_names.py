"""What generated C calls things: identifiers that cannot clash with the
language, libc or the helpers, and the source positions comments and errors name."""

from __future__ import annotations

import re
from collections.abc import Iterable

from xdsl.dialects.builtin import FileLineColLoc, NameLoc
from xdsl.ir import Attribute, Operation

from pelemay_ir.ir import CompileError, location_of
from pelemay_ir.targets import c_runtime as rt


_KEYWORDS = set(
    "auto break case char const continue default do double else enum extern float for goto if "
    "inline int long register restrict return short signed sizeof static struct switch typedef "
    "union unsigned void volatile while _Bool _Complex _Imaginary main bool true false asm "
    "NULL offsetof errno".split()
)


_MATH = (
    "acos asin atan atan2 cos sin tan acosh asinh atanh cosh sinh tanh exp exp2 expm1 frexp "
    "ilogb ldexp log log10 log1p log2 logb modf scalbn scalbln cbrt fabs hypot pow sqrt erf erfc "
    "lgamma tgamma ceil floor nearbyint rint lrint llrint round lround llround trunc fmod "
    "remainder remquo copysign nan nextafter nexttoward fdim fmax fmin fma"
).split()


_RESERVED = (
    _KEYWORDS
    | {n + s for n in _MATH for s in ("", "f", "l")}
    | set(
        "isnan isinf isfinite isnormal signbit fpclassify isgreater isgreaterequal isless "
        "islessequal islessgreater isunordered memcpy memmove memset memcmp memchr strlen strcpy "
        "strncpy strcat strncat strcmp strncmp strchr strrchr strstr strtok strerror strspn "
        "strcspn strpbrk strcoll strxfrm".split()
    )
)


def c_identifier(hint: str | None, default: str = "v") -> str:
    """A C identifier that cannot clash with the language, libc, macros or helpers."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", hint or "") or default
    if name[0].isdigit():
        name = default + name
    if (
        name in _RESERVED
        or name.endswith("_t")
        or name.startswith(("_", rt.PREFIX, "PELEMAY", "pelemay"))
        or re.fullmatch(r"[A-Z0-9_]+", name)
    ):
        name = "v_" + name
    return name


class Namer:
    """Hands out distinct C identifiers, each derived from a hint."""

    def __init__(self, taken: Iterable[str] = ()):
        self.taken = set(taken)
        self.last: dict[str, int] = {}  # per base, the last suffix tried: linear, not quadratic

    def fresh(self, hint: str | None, default: str = "v") -> str:
        base = c_identifier(hint, default)
        name, n = base, self.last.get(base, 0)
        if n:
            name = f"{base}_{n}"
        while name in self.taken:
            n += 1
            name = f"{base}_{n}"
        self.last[base] = n
        self.taken.add(name)
        return name


def describe_location(loc: Attribute) -> str | None:
    """`ptensor.conv2d at lenet5.mlir:12:5` for a NameLoc, `lenet5.mlir:12:5` for a file loc."""
    if isinstance(loc, NameLoc):
        inner = describe_location(loc.location)
        name = loc.desc.data
        return f"{name} at {inner}" if inner else name
    if isinstance(loc, FileLineColLoc):
        return f"{loc.filename.data}:{loc.line.data}:{loc.column.data}"
    return None


def comment(text: str) -> str:
    return "/* " + text.replace("*/", "* /") + " */"


def _error_location(op: Operation) -> str | None:
    node: Operation | None = op
    while node is not None:
        loc = node.location
        while isinstance(loc, NameLoc):
            loc = loc.location
        if isinstance(loc, FileLineColLoc):
            return f"{loc.filename.data}:{loc.line.data}:{loc.column.data}"
        node = node.parent_op()
    return location_of(op)


def fail(op: Operation, message: str) -> CompileError:
    return CompileError(message, _error_location(op))
