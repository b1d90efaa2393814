"""The `c` target: loop-level Pelemay IR (func/scf/memref/arith/math) printed as
dependency-free C99.

The output is a header and a source named after the entry function
(`func.func @mlp` gives `int mlp_run(...)`, `MLP_ARENA_BYTES`, ...). The
generated code includes only <stdint.h>, <stddef.h>, <string.h> and <math.h>
(and <arm_neon.h> when the module holds arm_simd ops), never allocates, keeps
no mutable globals, and has no undefined behaviour for any input values:
every operation whose C meaning could be undefined goes through a `static
inline` helper from `c_runtime` (docs/c-target.md).

The portable vector ops (`vector.load/store/broadcast/fma/reduction` and
float `arith` on vector<Wxf32>, W = 4, 8, 16) print as GCC/Clang vector
extensions: one `typedef float pelemay_f32xW __attribute__((vector_size))`
per width used, loads and stores through memcpy, operators for arithmetic.
vector<Wxi32> holds the bits of f32 lanes (`arith.bitcast`) for shifting by
a constant (`arith.shli`): how the vector exp builds powers of two.

A `parallel.for` (loops marked `pelemay.parallel = N`, outlined by
passes/outline_parallel.py, which the printer runs itself when marks remain)
prints as its worker: a struct of the values it takes, a `static void`
function running iterations [lo, hi), and a call of `pelemay_parallel_for`
(c_runtime), which runs the iterations in N chunks on the function's team of
pthreads (started by its first parallel loop, joined before it returns).
Only such programs include <pthread.h> (and define _POSIX_C_SOURCE first);
they link with -pthread.

Printing is a pure function of the module: names come from the IR's name
hints, helpers and globals are emitted in a fixed order, so the same input
gives byte-identical output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from xdsl.dialects import arith, func, memref, scf
from xdsl.dialects.builtin import (
    DenseIntOrFPElementsAttr,
    Float32Type,
    FloatAttr,
    IntegerAttr,
    IntegerType,
    MemRefType,
    ModuleOp,
    StringAttr,
    VectorType,
    i1,
)
from xdsl.ir import Attribute, Block, BlockArgument, Operation, OpResult, SSAValue

from pelemay_ir.dialects import arm_simd, parallel
from pelemay_ir.ir import CompileError
from pelemay_ir.passes.legalize import legalized
from pelemay_ir.targets import c_runtime as rt
from pelemay_ir.targets.abi import entry_checks, entry_function
from pelemay_ir.targets.c_header import HEADER_BANNER, SOURCE_BANNER, HeaderPrinter
from pelemay_ir.targets.c_liveness import EFFECTFUL, STORES, Liveness
from pelemay_ir.targets.c_names import Namer, comment, describe_location, fail
from pelemay_ir.targets.c_neon import NEON_HANDLERS
from pelemay_ir.targets.c_scalar import SCALAR_HANDLERS, nothing
from pelemay_ir.targets.c_types import (
    Unsupported,
    c_initialisers,
    count,
    dense_values,
    float_literal,
    int_literal,
    is_f16,
    neon_ctype,
    numpy_dtype,
    storage_ctype,
    type_key,
    value_ctype,
)
from pelemay_ir.targets.c_vectors import VECTOR_HANDLERS
from pelemay_ir.targets.printable import C, check, is_portable_vector, on_vectors


# --- memrefs in C -------------------------------------------------------------------


@dataclass(frozen=True)
class CMemRef:
    """How a memref value is reached in C: a pointer, typed or to raw bytes."""

    expr: str
    element: Attribute
    shape: tuple[int, ...]
    raw: bool  # an `unsigned char *` read and written through memcpy helpers
    const: bool
    origin: str  # input, output, arena, weights, global, alloca, param


# --- the printer ----------------------------------------------------------------------


STANDARD_INCLUDES = ("#include <math.h>", "#include <stddef.h>", "#include <stdint.h>", "#include <string.h>")
"""All a generated source needs beside its own header (and arm_neon.h or pthread.h where it uses them)."""


class CPrinter(HeaderPrinter):
    """Prints a legal loop-level module as one C source: file-scope helpers,
    weights, workers and functions, each function by `function_printer`."""

    function_printer: type  # CFunctionPrinter, set below it
    printable = C
    """The ops and types it prints (targets/printable.py)."""

    def __init__(self, module: ModuleOp, machine: str | None = None):
        super().__init__(module)
        self.machine = machine
        self.entry = entry_function(module)
        self.helpers: dict[str, str] = {}
        self.vector_typedefs: dict[str, str] = {}
        self.functions = {op.sym_name.data: op for op in module.ops if isinstance(op, func.FuncOp)}
        self.globals = {op.sym_name.data: op for op in module.ops if isinstance(op, memref.GlobalOp)}
        self.captured: dict[SSAValue, SSAValue] = {}
        """An outlined function's argument -> the value its caller passes (to trace views to their storage)."""
        for args, passed in self.outlined_calls():
            self.captured.update(zip(args, passed))
        self.worker_functions = {arg.block.parent_op() for arg in self.captured}
        self.uses_neon = any(isinstance(op, arm_simd.ArmSimdOp) for op in module.walk())
        self._check_ops()
        params = [b.name for b in (*self.iface.inputs, *self.iface.outputs)]
        params += [self.iface.arena_name, self.iface.weights_name or self.iface.arena_name]
        file_names = Namer({self.iface.run, *params})
        self.global_names = {sym: file_names.fresh(sym, "weight") for sym in self.globals}
        self.reachable = self._reachable_functions()
        self.function_names = {
            sym: file_names.fresh(sym, "fn") for sym, fn in self.functions.items()
            if sym in self.reachable and sym != self.iface.entry and fn not in self.worker_functions
        }
        self.file_scope = set(file_names.taken)
        self.raw_arena = self._arena_is_shared_by_types()
        self.written_params = self._written_params()
        self.workers: list[str] = []
        self.max_threads = 1

    def outlined_calls(self):
        """(arguments of an outlined function, the values its call site passes), for each call site."""
        for op in self.module.walk():
            if isinstance(op, parallel.ForOp) and op.worker.root_reference.data in self.functions:
                yield self.functions[op.worker.root_reference.data].args, op.captures

    # -- checks -------------------------------------------------------------------

    def _check_ops(self) -> None:
        check(self.module, self.printable)
        for worker in self.worker_functions:
            for op in worker.walk():
                if isinstance(op, parallel.ForOp):
                    raise fail(op, "a 'parallel.for' inside a worker is not supported (outline-parallel runs such a loop on its worker's thread)")
        for op in self.module.walk():
            if op is self.module:
                continue
            parent = op.parent_op()
            if isinstance(op, (func.FuncOp, memref.GlobalOp)) and parent is not self.module:
                raise fail(op, f"'{op.name}' must be at the top level of the module")
            if isinstance(op, func.FuncOp) and not op.body.blocks:
                raise fail(op, f"function @{op.sym_name.data} has no body (external functions are not supported)")
            if isinstance(op, func.FuncOp) and len(op.body.blocks) > 1:
                raise fail(op, f"function @{op.sym_name.data} has several blocks; the C target needs structured control flow (scf)")
            if isinstance(op, parallel.ForOp) and op.worker.root_reference.data not in self.functions:
                raise fail(op, f"'parallel.for' runs @{op.worker.root_reference.data}, which the module does not define")

    def ctype(self, t: Attribute) -> str:
        """The C type a value of type t is held in. A portable vector is its
        typedef, except that a program including arm_neon.h holds vector<4xf32>
        in float32x4_t, so that it flows between arm_simd and portable ops. A
        mask (vector<Wxi1>) is held as the i32 lanes a vector comparison gives."""
        if not isinstance(t, VectorType):
            return value_ctype(t)
        if self.uses_neon and t.element_type != i1:
            try:
                return neon_ctype(t)
            except Unsupported:
                pass
        if not is_portable_vector(t):
            raise Unsupported(f"vector type {t} is not a portable vector")
        return self.vector_typedef("f32" if isinstance(t.element_type, Float32Type) else "i32", t.get_shape()[0])

    def vector_typedef(self, element: str, lanes: int) -> str:
        name, text = rt.vector_typedef(element, lanes)
        self.vector_typedefs.setdefault(name, text)
        return name

    def vector(self, t: Attribute) -> rt.CVector:
        """The C vector type of a portable vector, for helpers."""
        return rt.CVector(t.get_shape()[0], self.ctype(t))

    def _reachable_functions(self) -> set[str]:
        seen, work = set(), [self.iface.entry]
        while work:
            sym = work.pop()
            if sym in seen:
                continue
            seen.add(sym)
            for op in self.functions[sym].walk():
                if isinstance(op, func.CallOp):
                    work.append(op.callee.root_reference.data)
                elif isinstance(op, parallel.ForOp):
                    work.append(op.worker.root_reference.data)
        return seen

    def _arena_is_shared_by_types(self) -> bool:
        """True when arena views have several element types: then every access
        to the arena goes through memcpy, so type-based alias analysis cannot
        reorder a store of one type past a load of another at the same bytes."""
        types = set()
        for op in self.module.walk():
            if isinstance(op, memref.ViewOp) and self._view_root(op) == "arena":
                types.add(storage_ctype(op.result.type.element_type))
        return len(types) > 1

    def _view_root(self, op: memref.ViewOp) -> str:
        src = op.source
        while isinstance(src, OpResult) and isinstance(src.op, memref.ViewOp) or src in self.captured:
            src = self.captured[src] if src in self.captured else src.op.source  # pyright: ignore
        if isinstance(src, BlockArgument) and src.block.parent_op() is self.entry:
            args = list(self.entry.args)
            if self.iface.arena_bytes > 0 and src is args[-1]:
                return "arena"
            if self.iface.external_weights and src is args[0]:
                return "weights"
        return "other"

    def _written_params(self) -> dict[str, set[int]]:
        """Which memref parameters each function stores into (directly or via calls)."""
        written: dict[str, set[int]] = {sym: set() for sym in self.functions}
        changed = True
        while changed:
            changed = False
            for sym, fn in self.functions.items():
                if not fn.body.blocks:
                    continue
                for i, a in enumerate(fn.args):
                    if i in written[sym] or not isinstance(a.type, MemRefType):
                        continue
                    if self._writes(a, written):
                        written[sym].add(i)
                        changed = True
        return written

    def _writes(self, v: SSAValue, written: dict[str, set[int]]) -> bool:
        for use in v.uses:
            op = use.operation
            if STORES.get(type(op)) == use.index:
                return True
            if isinstance(op, memref.ViewOp) and self._writes(op.result, written):
                return True
            if isinstance(op, func.CallOp) and use.index in written.get(op.callee.root_reference.data, ()):
                return True
            if isinstance(op, parallel.ForOp) and use.index in written.get(op.worker.root_reference.data, ()):
                return True
        return False

    def helper(self, made: tuple[str, str]) -> str:
        name, text = made
        self.helpers.setdefault(name, text)
        return name

    def fixed(self, name: str) -> str:
        for dep in rt.DEPENDS.get(name, ()):
            self.helpers.setdefault(dep, rt.FIXED[dep])
        self.helpers.setdefault(name, rt.FIXED[name])
        return name

    # -- output ---------------------------------------------------------------------

    def _neon_build_note(self) -> str:
        """How to compile this NEON source: the machine's compiler and flags."""
        from pelemay_ir import machines

        if self.machine is None:
            return "/* NEON intrinsics: build with the -mcpu/-mfpu flags of a machine that has them (docs/arm-simd.md). */"
        m = machines.machine(self.machine)
        return f"/* NEON intrinsics for {m.name} ({m.board}): build with {m.cc} {' '.join(m.cflags)} */"

    def source(self, header_name: str) -> str:
        functions = []
        prototypes = []
        for sym, fn in self.functions.items():
            if sym not in self.reachable or sym == self.iface.entry or fn in self.worker_functions:
                continue
            text, proto = self.function_printer(self, fn).helper_function()
            functions.append(text)
            prototypes.append(proto + ";")
        entry_text = self.function_printer(self, self.entry).entry_function()
        weights = self._weights()
        out = [
            f"{SOURCE_BANNER} of {self.iface.run}{self._origin()}. Do not edit. */",
            f'#include "{header_name}"',
            "",
            *STANDARD_INCLUDES,
            "",
        ]
        if self.uses_neon:
            out[-1:-1] = [self._neon_build_note(), "#include <arm_neon.h>"]
        if self.workers:
            out[1:1] = list(rt.PARALLEL_FEATURES)
            out[-1:-1] = list(rt.PARALLEL_INCLUDES)
        out += self.file_scope_definitions(weights)
        if prototypes:
            out += prototypes + [""]
        if self.workers:
            out += ["/* Multicore: loops marked pelemay.parallel run on threads (docs/vectorize.md). */", ""]
            out += [rt.parallel_runtime(self.max_threads)]
            out += self.workers
        for text in functions:
            out += [text]
        out += [entry_text]
        return "\n".join(out)

    def file_scope_definitions(self, weights: list[str]) -> list[str]:
        """Vector types, helpers and embedded weights, in a fixed order."""
        out = []
        if self.vector_typedefs:
            out += ["/* Vector types (GCC and Clang vector extensions; docs/c-target.md). */"]
            out += [self.vector_typedefs[name] for name in sorted(self.vector_typedefs, key=_typedef_order)]
            out += [""]
        if self.helpers:
            out += ["/* Operations with defined results for every input (docs/c-target.md). */", ""]
            for name in sorted(self.helpers, key=_helper_order):
                out += [self.qualified(self.helpers[name])]
        if weights:
            out += ["/* Weights (embedded, read-only). */"] + weights + [""]
        return out

    def qualified(self, helper: str) -> str:
        """A helper's definition as this dialect of C declares it (C: `static inline`)."""
        return helper

    weights_qualifier = "static const"
    """How embedded weights are declared at file scope."""

    def _weights(self) -> list[str]:
        out = []
        for sym, g in self.globals.items():
            if not any(
                isinstance(op, memref.GetGlobalOp) and op.name_.root_reference.data == sym
                for f in self.reachable for op in self.functions[f].walk()
            ):
                continue
            if g.constant is None:
                raise fail(g, f"global @{sym} is not constant; generated C keeps no mutable globals")
            init = g.initial_value
            if not isinstance(init, DenseIntOrFPElementsAttr):
                raise fail(g, f"global @{sym} has no initial value")
            t = g.type
            key = type_key(t.element_type)
            n = count(t.get_shape())
            values = dense_values(init, key, n)
            if values is None:
                raise fail(g, f"global @{sym}: initial value {init.type} does not fill {t}")
            items = c_initialisers(values, key)
            dims = "x".join(map(str, t.get_shape())) or "scalar"
            name = self.global_names[sym]
            out.append(f"/* @{sym}: {dims} {key} */")
            body = ",\n".join("    " + ", ".join(items[k:k + 8]) for k in range(0, len(items), 8))
            out.append(f"{self.weights_qualifier} {storage_ctype(t.element_type)} {name}[{max(n, 1)}] = {{\n{body}\n}};")
        return out


def _helper_order(name: str) -> tuple[int, str]:
    """f16 conversions first (others call them), then scalar helpers by name,
    then vector helpers (which call scalar ones) by name."""
    order = {"pl_f16_to_f32": 0, "pl_f32_to_f16": 1, "pl_f16_round": 2}
    return (order.get(name, 4 if name.startswith("pl_vec_") else 3), name)


def _typedef_order(name: str) -> tuple[int, str]:
    """`pelemay_f32x4`, `pelemay_i32x4`, `pelemay_f32x8`, ...: by width, then element."""
    element, lanes = name.removeprefix("pelemay_").split("x")
    return (int(lanes), element)


class CFunctionPrinter:
    """Prints one func.func: statements for ops, variables for live values.

    Table-driven: `handlers` maps an op name to how it prints (scalar ops
    from c_scalar.py, NEON from c_neon.py, structured ops and memrefs here),
    `vector_handlers` the ops on portable vectors (c_vectors.py). A C
    dialect subclasses this and CPrinter and extends the tables."""

    handlers: dict = {}  # filled below, once the methods exist
    vector_handlers: dict = VECTOR_HANDLERS

    def __init__(self, printer: CPrinter, fn: func.FuncOp):
        self.p = printer
        self.fn = fn
        self.live = Liveness(fn)
        self.names = Namer(printer.file_scope)
        self.exprs: dict[SSAValue, str] = {}
        self.memrefs: dict[SSAValue, CMemRef] = {}
        self.lines: list[str] = []
        self.depth = 1
        self.is_entry = fn is printer.entry
        self.location_stack: list[str | None] = [None]
        self._raw_bindings: list[str] = []
        self.uses_team = False
        """A parallel loop was printed: the function keeps a team of threads."""
        self.names.taken.update((rt.TEAM, rt.OWN_TEAM))

    def emit(self, line: str) -> None:
        self.lines.append("    " * self.depth + line)

    # -- functions -------------------------------------------------------------------

    def entry_function(self) -> str:
        i = self.p.iface
        args = list(self.fn.args)
        if i.external_weights:
            w = args.pop(0)
            self.names.taken.add(i.weights_name)
            self._bind_raw(w, i.weights_name, const=True, origin="weights", hint=f"{i.weights_name}_bytes")
        arena = args.pop() if i.arena_bytes > 0 else None
        for b, a in zip((*i.inputs, *i.outputs), args):
            self.names.taken.add(b.name)
            is_input = b in i.inputs
            self.memrefs[a] = CMemRef(b.name, a.type.element_type, b.shape, False, is_input, "input" if is_input else "output")
        self.names.taken.add(i.arena_name)
        if arena is not None:
            self._bind_raw(arena, i.arena_name, const=False, origin="arena", hint=f"{i.arena_name}_bytes")
        required = entry_checks(i)
        checks = []
        if required.not_null:
            checks.append(f"if ({' || '.join(f'{p} == NULL' for p in required.not_null)}) {{")
            checks.append("    return PELEMAY_ERR_NULL;")
            checks.append("}")
        for name, what, _ in required.aligned:
            checks.append(f"if (((uintptr_t){name} & (uintptr_t)({i.macro}_{what}_ALIGN - 1)) != 0u) {{")
            checks.append("    return PELEMAY_ERR_ALIGN;")
            checks.append("}")
        for b, values in required.fixed:
            checks.append(f"/* '{b.name}' was fixed when the program was compiled: {{{', '.join(map(str, values))}}} */")
            checks.append(f"if ({' || '.join(f'{b.name}[{j}] != {v}' for j, v in enumerate(values))}) {{")
            checks.append("    return PELEMAY_ERR_INPUT;")
            checks.append("}")
        if arena is None:
            checks.append(f"(void){i.arena_name};")
        for line in checks:
            self.emit(line)
        prelude = len(self.lines)
        self.block(self.fn.body.blocks[0])
        self.lines[prelude:prelude] = self._raw_bindings + self._team_declaration()
        body = "\n".join(self.lines)
        return f"{self.p._signature()}\n{{\n{body}\n}}\n"

    def _team_declaration(self) -> list[str]:
        return ["    " + line for line in rt.TEAM_DECLARATION] if self.uses_team else []

    def _bind_raw(self, arg: BlockArgument, param: str, const: bool, origin: str, hint: str) -> None:
        """Byte pointers to the arena and weights, declared only when something uses them."""
        if not any(True for _ in arg.uses):
            return
        name = self.names.fresh(hint)
        q = "const " if const else ""
        self._raw_bindings.append(f"    {q}unsigned char *const {name} = ({q}unsigned char *){param};")
        self.memrefs[arg] = CMemRef(name, arg.type.element_type, tuple(arg.type.get_shape()), True, const, origin)

    def helper_function(self) -> tuple[str, str]:
        fn = self.fn
        sym = fn.sym_name.data
        outs = fn.function_type.outputs.data
        if len(outs) > 1:
            raise fail(fn, f"function @{sym} returns {len(outs)} values; C functions return at most one")
        if outs and isinstance(outs[0], MemRefType):
            raise fail(fn, f"function @{sym} returns a memref; return buffers through arguments")
        for t in (*fn.function_type.inputs.data, *outs):
            if is_portable_vector(t) and self.p.ctype(t).startswith("pelemay_"):
                raise fail(fn, f"function @{sym} takes or returns {t}: portable vectors cannot cross "
                            "C function calls (compilers pass wide vectors differently by instruction set)")
        ret = self.p.ctype(outs[0]) if outs else "void"
        params, unused = [], []
        written = self.p.written_params[sym]
        for k, a in enumerate(fn.args):
            name = self.names.fresh(a.name_hint, f"arg{k}")
            if isinstance(a.type, MemRefType):
                raw = self.p.raw_arena
                const = k not in written
                ctype = "unsigned char" if raw else storage_ctype(a.type.element_type)
                params.append(f"{'const ' if const else ''}{ctype} *{name}")
                self.memrefs[a] = CMemRef(name, a.type.element_type, tuple(a.type.get_shape()), raw, const, "param")
            else:
                params.append(f"{self.p.ctype(a.type)} {name}")
                self.exprs[a] = name
            if not any(True for _ in a.uses):
                unused.append(name)
        proto = f"static {ret} {self.p.function_names[sym]}({', '.join(params) or 'void'})"
        for name in unused:
            self.emit(f"(void){name};")
        prelude = len(self.lines)
        self.block(fn.body.blocks[0])
        self.lines[prelude:prelude] = self._team_declaration()
        body = "\n".join(self.lines)
        return f"{proto}\n{{\n{body}\n}}\n", proto

    # -- blocks and structured ops -------------------------------------------------------

    def block(self, block: Block) -> None:
        for op in block.ops:
            self.op(op)

    def op(self, op: Operation) -> None:
        if op.results and not isinstance(op, EFFECTFUL) and not self.live.any_live(op):
            return  # nothing the program's effects depend on
        handler = self.vector_handlers[op.name] if on_vectors(op) else self.handlers[op.name]
        try:
            handler(self, op)
        except Unsupported as e:
            raise fail(op, str(e)) from None

    def expr(self, v: SSAValue) -> str:
        if isinstance(v, OpResult) and isinstance(v.op, arith.ConstantOp):
            return self.constant(v.op)
        return self.exprs[v]

    def constant(self, op: arith.ConstantOp) -> str:
        value = op.value
        t = op.result.type
        if is_portable_vector(t) and isinstance(value, DenseIntOrFPElementsAttr):
            lanes = t.get_shape()[0]
            values = list(value.get_values())
            values = values * lanes if len(values) == 1 else values
            literal = int_literal if isinstance(t.element_type, IntegerType) else float_literal
            items = ", ".join(literal(x, t.element_type) for x in values)  # pyright: ignore[reportArgumentType]
            return f"({self.p.ctype(t)}){{{items}}}"
        if isinstance(value, FloatAttr):
            return float_literal(value.value.data, t)
        if isinstance(value, IntegerAttr):
            return int_literal(value.value.data, t)
        raise fail(op, f"'arith.constant' of {t} cannot be printed as C; only scalar constants (tensor constants belong in memref.global)")

    def declare(self, v: SSAValue, expression: str, const: bool = True) -> None:
        name = self.names.fresh(v.name_hint)
        self.emit(f"{'const ' if const else ''}{self.p.ctype(v.type)} {name} = {expression};")
        self.exprs[v] = name

    def location_comment(self, op: Operation) -> None:
        text = describe_location(op.location)
        source = op.attributes.get("pelemay.source")
        if isinstance(source, StringAttr):
            text = f"{source.data} at {text}" if text else source.data
        if text is not None and text != self.location_stack[-1]:
            self.emit(comment(text))

    def for_op(self, op: scf.ForOp) -> None:
        body = op.body.blocks[0]
        iv = body.args[0]
        slots = []
        for k, (init, res, arg) in enumerate(zip(op.iter_args, op.results, body.args[1:])):
            if (op, k) not in self.live.slots:
                slots.append(None)
                continue
            name = self.names.fresh(res.name_hint or arg.name_hint, "acc")
            self.emit(f"{self.p.ctype(res.type)} {name} = {self.expr(init)};")
            self.exprs[res] = name
            slots.append(name)
        self.location_comment(op)
        self.location_stack.append(describe_location(op.location) or self.location_stack[-1])
        name = self.names.fresh(iv.name_hint, "i")
        self.exprs[iv] = name
        ct = value_ctype(iv.type)
        self.emit(f"for ({ct} {name} = {self.expr(op.lb)}; {name} < {self.expr(op.ub)}; {name} += {self.expr(op.step)}) {{")
        self.depth += 1
        for slot, arg in zip(slots, body.args[1:]):
            if slot is not None and arg in self.live.values:
                self.declare(arg, slot)
        self.block_with_yield(body, slots)
        self.depth -= 1
        self.emit("}")
        self.location_stack.pop()

    def parallel_op(self, op: parallel.ForOp) -> None:
        """A struct of the values the worker takes, the worker, and a call of
        the runtime's `pelemay_parallel_for` on the function's team."""
        sym = op.worker.root_reference.data
        worker = self.p.function_printer(self.p, self.p.functions[sym])
        fields: dict[str, str] = {}  # C name -> C type, shared by caller and worker
        for arg, v in zip(worker.fn.args, op.captures):
            if isinstance(v.type, MemRefType):
                m = self.memrefs[v]
                worker.memrefs[arg] = m
                fields[m.expr] = f"{'const ' if m.const else ''}{'unsigned char' if m.raw else storage_ctype(m.element)} *"
            else:
                worker.exprs[arg] = self.expr(v)
                fields[self.expr(v)] = self.p.ctype(v.type)
        name = f"pelemay_{self._c_name()}_parallel_{len(self.p.workers)}"
        used = worker.worker_function(name, fields)
        fields = {field: ctype for field, ctype in fields.items() if field in used}
        self.p.max_threads = max(self.p.max_threads, op.threads.value.data)
        self.uses_team = True
        self.location_comment(op)
        call = (f"{rt.PARALLEL_FOR}({rt.TEAM}, {op.threads.value.data}, {name}, "
                f"{'&pelemay_context' if fields else 'NULL'}, "
                f"{self.expr(op.lower_bound)}, {self.expr(op.upper_bound)}, {self.expr(op.step)});")
        if not fields:
            self.emit(call)
            return
        self.emit("{")
        inits = ", ".join(f".{field} = {field}" for field in fields)
        self.emit(f"    const struct {name}_context pelemay_context = {{{inits}}};")
        self.emit("    " + call)
        self.emit("}")

    def worker_function(self, name: str, fields: dict[str, str]) -> set[str]:
        """Print a parallel.for's worker as `static void name(context, lo, hi)`,
        its arguments bound to the fields of the caller's context; returns the
        fields it reads."""
        lo, hi = self.fn.args[-2:]
        self.exprs[lo], self.exprs[hi] = "pelemay_lo", "pelemay_hi"
        self.names.taken.update(fields)
        self.block(self.fn.body.blocks[0])
        used = _identifiers("\n".join(self.lines))
        fields = {field: ctype for field, ctype in fields.items() if field in used}
        text = []
        if fields:
            text += [f"struct {name}_context {{"] + [f"    {_declaration(ctype, field)};" for field, ctype in fields.items()]
            text += ["};", ""]
        text += [f"static void {name}({rt.PARALLEL_BODY_PARAMS})", "{"]
        if fields:
            text.append(f"    const struct {name}_context *const pelemay_ctx = (const struct {name}_context *)pelemay_context;")
            text += [f"    {_declaration(ctype, field, const=True)} = pelemay_ctx->{field};" for field, ctype in fields.items()]
        else:
            text.append("    (void)pelemay_context;")
        text += self.lines + ["}", ""]
        self.p.workers.append("\n".join(text))
        return set(fields)

    def _c_name(self) -> str:
        return self.p.iface.run if self.is_entry else self.p.function_names[self.fn.sym_name.data]

    def block_with_yield(self, block: Block, slots: list[str | None]) -> None:
        for op in block.ops:
            if isinstance(op, scf.YieldOp):
                for slot, v in zip(slots, op.operands):
                    if slot is not None:
                        self.emit(f"{slot} = {self.expr(v)};")
            else:
                self.op(op)

    def if_op(self, op: scf.IfOp) -> None:
        slots = []
        for k, res in enumerate(op.results):
            if (op, k) not in self.live.slots:
                slots.append(None)
                continue
            name = self.names.fresh(res.name_hint, "r")
            zero = "{0}" if isinstance(res.type, VectorType) else "0"
            self.emit(f"{self.p.ctype(res.type)} {name} = {zero};")
            self.exprs[res] = name
            slots.append(name)
        self.emit(f"if ({self.expr(op.cond)}) {{")
        self.depth += 1
        self.block_with_yield(op.true_region.blocks[0], slots)
        self.depth -= 1
        if op.false_region.blocks and (any(not isinstance(o, scf.YieldOp) for o in op.false_region.blocks[0].ops) or any(slots)):
            self.emit("} else {")
            self.depth += 1
            self.block_with_yield(op.false_region.blocks[0], slots)
            self.depth -= 1
        self.emit("}")

    def return_op(self, op: func.ReturnOp) -> None:
        if self.uses_team:
            self.emit(rt.TEAM_STOP)
        if self.is_entry:
            self.emit("return PELEMAY_OK;")
        elif op.operands:
            self.emit(f"return {self.expr(op.operands[0])};")
        elif op is not self.fn.body.blocks[0].last_op:
            self.emit("return;")

    def call_op(self, op: func.CallOp) -> None:
        sym = op.callee.root_reference.data
        written = self.p.written_params[sym]
        args = []
        for k, v in enumerate(op.arguments):
            if isinstance(v.type, MemRefType):
                m = self.memrefs[v]
                if k in written and m.const:
                    raise fail(op, f"call to @{sym} writes argument {k}, which is read-only here ({m.origin})")
                want_raw = self.p.raw_arena
                q = "" if k in written else "const "
                if want_raw and not m.raw:
                    args.append(f"({q}unsigned char *){m.expr}")
                elif m.raw and not want_raw:
                    args.append(f"({q}{storage_ctype(m.element)} *){m.expr}")
                else:
                    args.append(m.expr)
            else:
                args.append(self.expr(v))
        call = f"{self.p.function_names[sym]}({', '.join(args)})"
        if op.results and op.results[0] in self.live.values:
            self.declare(op.results[0], call)
        else:
            self.emit(call + ";")

    # -- memrefs ----------------------------------------------------------------------------

    def index(self, m: CMemRef, indices: list[SSAValue]) -> str:
        """Row-major linear index, constants folded: `i * 784 + j`."""
        const = 0
        terms = []
        stride = 1
        for d, v in reversed(list(zip(m.shape, indices))):
            if isinstance(v, OpResult) and isinstance(v.op, arith.ConstantOp) and isinstance(v.op.value, IntegerAttr):
                const += v.op.value.value.data * stride
            else:
                e = self.expr(v)
                terms.append(e if stride == 1 else f"{e} * {stride}")
            stride *= d
        terms.reverse()
        if const or not terms:
            terms.append(str(const) if const >= 0 else f"({const})")
        return " + ".join(terms)

    def load_op(self, op: memref.LoadOp) -> None:
        if not self.live.any_live(op):
            return
        m = self.memrefs[op.memref]
        idx = self.index(m, list(op.indices))
        st = storage_ctype(m.element)
        if m.raw:
            e = f"{self.p.helper(rt.load_bytes(st))}({m.expr}, {idx})"
        else:
            e = f"{m.expr}[{idx}]"
        if is_f16(m.element):
            e = f"{self.p.fixed('pl_f16_to_f32')}({e})"
        self.declare(op.res, e)

    def store_op(self, op: memref.StoreOp) -> None:
        m = self.memrefs[op.memref]
        if m.const:
            raise fail(op, f"'memref.store' into a read-only buffer ({m.origin})")
        idx = self.index(m, list(op.indices))
        v = self.expr(op.value)
        if is_f16(m.element):
            v = f"{self.p.fixed('pl_f32_to_f16')}({v})"
        if m.raw:
            self.emit(f"{self.p.helper(rt.store_bytes(storage_ctype(m.element)))}({m.expr}, {idx}, {v});")
        else:
            self.emit(f"{m.expr}[{idx}] = {v};")

    def view_op(self, op: memref.ViewOp) -> None:
        if not self.live.any_live(op):
            return
        src = self.memrefs[op.source]
        t = op.result.type
        shape = tuple(t.get_shape())
        elem = t.element_type
        st = storage_ctype(elem)
        shift = op.byte_shift
        root = self.p._view_root(op)
        size = count(shape) * numpy_dtype(elem).itemsize
        if isinstance(shift, OpResult) and isinstance(shift.op, arith.ConstantOp):
            offset = shift.op.value.value.data
            limit = src.shape[0]
            if offset < 0 or offset + size > limit:
                raise fail(op, f"'memref.view' of bytes {offset}..{offset + size} lies outside its {limit}-byte source")
            raw = self.p.raw_arena and root == "arena"
            if not raw and offset % numpy_dtype(elem).itemsize:
                raise fail(op, f"'memref.view' at byte {offset} is not aligned for {elem}")
        else:
            raw = self.p.raw_arena and root == "arena"
        q = "const " if src.const else ""
        base = src.expr if src.raw else f"({q}unsigned char *){src.expr}"
        off = self.expr(shift)
        where = f"{base} + {off}" if off != "0" else base
        name = self.names.fresh(op.result.name_hint, "buf")
        position = describe_location(op.location)
        tail = f" {comment(position)}" if position else ""
        if raw:
            self.emit(f"{q}unsigned char *const {name} = {where};{tail}")
        else:
            self.emit(f"{q}{st} *const {name} = ({q}{st} *)({where});{tail}")
        origin = root if root != "other" else src.origin
        self.memrefs[op.result] = CMemRef(name, elem, shape, raw, src.const, origin)

    def reinterpret_cast_op(self, op: memref.ReinterpretCastOp) -> None:
        """A reshape of a contiguous buffer: the same pointer, another shape."""
        src = self.memrefs[op.source]
        t = op.result.type
        shape = tuple(t.get_shape())
        static = op.static_offsets.get_values() if op.static_offsets else (0,)
        if op.offsets or op.sizes or op.strides or any(o != 0 for o in static):
            raise fail(op, "'memref.reinterpret_cast' must have a static zero offset and static sizes")
        if t.element_type != src.element or count(shape) != count(src.shape):
            raise fail(op, "'memref.reinterpret_cast' must keep the element type and count")
        strides, step = [], 1
        for d in reversed(shape):
            strides.append(step)
            step *= d
        if tuple(op.static_strides.get_values()) != tuple(reversed(strides)):
            raise fail(op, "'memref.reinterpret_cast' must use row-major strides")
        self.memrefs[op.result] = CMemRef(src.expr, src.element, shape, src.raw, src.const, src.origin)

    def get_global_op(self, op: memref.GetGlobalOp) -> None:
        sym = op.name_.root_reference.data
        g = self.p.globals.get(sym)
        if g is None:
            raise fail(op, f"'memref.get_global' names @{sym}, which is not a memref.global of this module")
        if not self.live.any_live(op):
            return
        t = op.memref.type
        st = storage_ctype(t.element_type)
        name = self.names.fresh(op.memref.name_hint, sym)
        self.emit(f"const {st} *const {name} = {self.p.global_names[sym]};")
        self.memrefs[op.memref] = CMemRef(name, t.element_type, tuple(t.get_shape()), False, True, "global")

    def alloca_op(self, op: memref.AllocaOp) -> None:
        if op.dynamic_sizes:
            raise fail(op, "'memref.alloca' with dynamic sizes is not supported")
        if not self.live.any_live(op):
            return
        t = op.memref.type
        shape = tuple(t.get_shape())
        n = count(shape)
        if n == 0:
            raise fail(op, "'memref.alloca' of zero elements cannot be a C array")
        name = self.names.fresh(op.memref.name_hint, "scratch")
        self.emit(self.alloca_declaration(t, name, n))
        self.memrefs[op.memref] = CMemRef(name, t.element_type, shape, False, False, "alloca")

    def alloca_declaration(self, t: MemRefType, name: str, n: int) -> str:
        """The C array of a `memref.alloca` of `n` elements, zeroed."""
        return f"{storage_ctype(t.element_type)} {name}[{n}] = {{0}};"

    # -- scalar ops -------------------------------------------------------------------------

    def scalar(self, op: Operation, build) -> None:
        if not self.live.any_live(op):
            return
        self.declare(op.results[0], build())

    def round16(self, t: Attribute, e: str) -> str:
        return f"{self.p.fixed('pl_f16_round')}({e})" if is_f16(t) else e


def _identifiers(code: str) -> set[str]:
    """The identifiers C code names, comments left out."""
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", re.sub(r"/\*.*?\*/", "", code, flags=re.S)))


def _declaration(ctype: str, name: str, const: bool = False) -> str:
    """`const float *a` / `ptrdiff_t n`; with const, the variable itself is
    const (`const float *const a`, `const ptrdiff_t n`)."""
    if ctype.endswith("*"):
        return f"{ctype}{'const ' if const else ''}{name}"
    return f"{'const ' if const else ''}{ctype} {name}"


# math: name -> (libm base name, exact on f16 values)


CPrinter.function_printer = CFunctionPrinter
CFunctionPrinter.handlers = {
    "func.func": nothing,
    "func.return": CFunctionPrinter.return_op,
    "func.call": CFunctionPrinter.call_op,
    "scf.for": CFunctionPrinter.for_op,
    "scf.if": CFunctionPrinter.if_op,
    "scf.yield": nothing,
    "parallel.for": CFunctionPrinter.parallel_op,
    "memref.load": CFunctionPrinter.load_op,
    "memref.store": CFunctionPrinter.store_op,
    "memref.view": CFunctionPrinter.view_op,
    "memref.reinterpret_cast": CFunctionPrinter.reinterpret_cast_op,
    "memref.get_global": CFunctionPrinter.get_global_op,
    "memref.global": nothing,
    "memref.alloca": CFunctionPrinter.alloca_op,
    **SCALAR_HANDLERS,
    **NEON_HANDLERS,
    **{name: handler for name, handler in VECTOR_HANDLERS.items() if name.startswith("vector.")},
}



# --- public API ------------------------------------------------------------------------


def emit_c(
    module: ModuleOp, header_name: str | None = None, machine: str | None = None
) -> tuple[str, str]:
    """(header, source) of the module's entry function as C99.

    arm_simd ops print as the arm_neon.h intrinsics they name, whatever the
    machine; given `machine` (or recorded on the module by the pipeline), a
    program using NEON that machine lacks is an error first (the check of
    `verify-arm-simd{target=machine}`), and the source says how to build it."""
    from pelemay_ir import machines

    recorded = module.attributes.get(machines.TARGET_ATTR)
    machine = machine or getattr(recorded, "data", None)
    if machine is not None:
        from pelemay_ir.passes.verify_arm_simd import check_machine

        check_machine(module, machine)
    printer = CPrinter(legalized(module, machines.machine(machine) if machine is not None else None), machine)
    name = header_name or f"{printer.iface.base}.h"
    source = printer.source(name)
    return printer.header(name), source


def emit_header(module: ModuleOp, header_name: str | None = None) -> str:
    """Only the header: what other printers' programs link against."""
    printer = HeaderPrinter(module)
    return printer.header(header_name or f"{printer.iface.base}.h")


def stdout_text(module: ModuleOp, machine: str | None = None) -> str:
    """What `pelemay-opt -t c` prints: the header, then the source."""
    header, source = emit_c(module, machine=machine)
    return header + "\n" + source


def split_output(text: str, target: str = "c", language: str = "C99") -> tuple[str, str]:
    """The header and source of `stdout_text`'s output (or a C dialect's, whose
    banners name its `language`)."""
    header_banner, source_banner = (b.replace("C99", language) for b in (HEADER_BANNER, SOURCE_BANNER))
    starts = [m.start() for m in re.finditer("^" + re.escape(source_banner), text, re.M)]
    if len(starts) != 1 or not text.startswith(header_banner):
        raise CompileError(
            f"-t {target} -o FILE writes one program (a header and a source); "
            "this output holds " + (f"{len(starts)} programs" if starts else f"no {language} program")
        )
    return text[: starts[0]].rstrip("\n") + "\n", text[starts[0]:]


def write(path: Path, text: str, target: str = "c", suffix: str = ".c", language: str = "C99") -> None:
    """`-t c -o out/NAME.c`: writes out/NAME.c and out/NAME.h (each atomically);
    a C dialect's source ends in its own `suffix`."""
    from pelemay_ir.files import atomic_write

    path = Path(path)
    if path.suffix != suffix:
        raise CompileError(f"-t {target} writes a {suffix} file and its .h beside it; "
                           f"'{path}' does not end in {suffix}")
    header, source = split_output(text, target, language)
    header_path = path.with_suffix(".h")
    source = re.sub(r'^#include "[^"\n]*"$', f'#include "{header_path.name}"', source, count=1, flags=re.M)
    atomic_write(header_path, header)
    atomic_write(path, source)


