"""The `llvm` target: textual LLVM IR printed straight from the loop level.

Input is what `convert-pbuf-to-loops` leaves: `func`, `scf`, `memref`, `arith`
and `math` ops on static memrefs, one function marked `pelemay.entry`, the
arena and (with external weights) the weights blob as `memref<Nxi8>`
arguments. Output is one LLVM module (opaque pointers, LLVM 16 syntax) for one
machine of the vocabulary (docs/design.md), exporting what the C target exports:

    i32 @mlp_run([ptr %weights,] ptr %in0, ..., ptr %out0, ..., ptr %arena)
    @mlp_arena_bytes, @mlp_arena_align [, @mlp_weights_bytes, @mlp_weights_align]: constant i64

Why a direct printer and not xDSL's llvm dialect: xDSL 0.74 has no
func/arith/scf/math -> llvm conversions, and a printer that walks the loop
level once is smaller than writing those four conversions, keeps every op's
source position at hand for diagnostics, and gives the exact semantics of
docs/semantics.md (wrapping, guarded division, saturating casts,
NaN-propagating max/min) without a round trip through another dialect.
Vectors: the portable vector ops (`vector.load/store/broadcast/fma/reduction`
and `arith` float arithmetic on `vector<Wxf32>`) print as LLVM vector IR for
every machine; `arm_simd` ops print as the same vector IR or as the
`llvm.aarch64.neon.*` / `llvm.arm.neon.*` intrinsic of the machine's NEON, and
only for a machine that has them. docs/llvm-target.md describes the output.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects import func, memref
from xdsl.dialects.builtin import (
    DenseIntOrFPElementsAttr,
    Float16Type,
    Float32Type,
    Float64Type,
    IntegerType,
    ModuleOp,
)
from xdsl.ir import Operation

from pelemay_ir.dialects import parallel
from pelemay_ir.ir import CompileError, location_of
from pelemay_ir.machines import Machine
from pelemay_ir.passes.legalize import legalized
from pelemay_ir.passes.verify_arm_simd import check_machine
from pelemay_ir.targets import abi
from pelemay_ir.targets.llvm_function import FunctionPrinter
from pelemay_ir.targets.llvm_runtime import HELPERS, team_runtime, team_types
from pelemay_ir.targets.llvm_types import (
    float_array_literals,
    global_name,
    half_storage,
    is_float,
    machine,
    native_host,
)
from pelemay_ir.targets.printable import LLVM, check

# -- machines ---------------------------------------------------------------------


# Return codes of `<name>_run`: the C target's (docs/c-target.md).
_CODES = {name: value for name, value, _ in abi.ERROR_CODES}
RUN_OK = _CODES["PELEMAY_OK"]
RUN_NULL_POINTER = _CODES["PELEMAY_ERR_NULL"]
RUN_MISALIGNED = _CODES["PELEMAY_ERR_ALIGN"]
RUN_BAD_INPUT = _CODES["PELEMAY_ERR_INPUT"]

ENTRY_ATTR = abi.ENTRY_ATTR


# -- literals and names -------------------------------------------------------------


# -- memrefs ------------------------------------------------------------------------


# -- function printer ----------------------------------------------------------------


# -- module printer ----------------------------------------------------------------


class ModulePrinter:
    def __init__(self, module: ModuleOp, m: Machine):
        self.module_op = module
        self.machine = m
        self.declarations: set[str] = set()
        self.helpers: set[str] = set()
        self.functions: dict[str, func.FuncOp] = {}
        self.globals: dict[str, memref.GlobalOp] = {}
        self.reserved: dict[str, str] = {}
        self.worker_entries: list[str] = []
        self.max_threads = 1

    def worker_entry(self, op: parallel.ForOp, types: list[str]) -> str:
        """`@W.entry(ptr context, index lo, index hi)`: loads the captured
        values from the context and calls the worker W with them."""
        sym = op.worker.root_reference.data
        worker = self.function_name(sym, op)
        name = global_name(sym + ".entry")
        it = f"i{self.machine.pointer_bits}"
        struct = "{ " + ", ".join(types) + " }"
        lines = [f"define internal void {name}(ptr %context, {it} %lo, {it} %hi) #0 {{", "entry:"]
        args = []
        for k, t in enumerate(types):
            lines += [f"  %p{k} = getelementptr inbounds {struct}, ptr %context, i32 0, i32 {k}",
                      f"  %v{k} = load {t}, ptr %p{k}"]
            args.append(f"{t} %v{k}")
        lines += [f"  call void {worker}({', '.join([*args, f'{it} %lo', f'{it} %hi'])})", "  ret void", "}", ""]
        self.worker_entries += lines
        return name

    def declare(self, line: str) -> None:
        self.declarations.add(line)

    def use_helper(self, name: str) -> None:
        self.helpers.add(name)

    def function_name(self, sym: str, op: Operation) -> str:
        if sym not in self.functions:
            raise CompileError(f"'{op.name}' op calls '@{sym}', which the module does not define", location_of(op))
        return global_name(sym)

    def require_global(self, sym: str, op: Operation) -> None:
        if sym not in self.globals:
            raise CompileError(f"'{op.name}' op reads '@{sym}', which is not a memref.global of the module", location_of(op))

    def print(self) -> str:
        self.check_level()
        for op in self.module_op.ops:
            if isinstance(op, func.FuncOp):
                self.functions[op.sym_name.data] = op
            elif isinstance(op, memref.GlobalOp):
                self.globals[op.sym_name.data] = op
            else:
                raise CompileError(f"'{op.name}' op cannot be printed by the llvm target at the top level of "
                                   "a module: there it prints func.func and memref.global", location_of(op))
        entry = self.entry()
        exported = self.exported_names(entry)
        for sym in [*self.functions, *self.globals]:
            if sym in exported:
                raise CompileError(
                    f"the symbol '@{sym}' clashes with the exported '@{sym}' of the llvm target",
                    location_of(self.functions.get(sym) or self.globals[sym]),
                )
        m = self.machine
        out = [
            f"; Pelemay IR: entry @{entry.entry}, machine '{m.name}'",
            f'target datalayout = "{m.llvm.datalayout}"',
            f'target triple = "{m.llvm.triple}"',
            "",
        ]
        self.max_threads = max([op.threads.value.data for op in self.module_op.walk() if isinstance(op, parallel.ForOp)],
                               default=1)
        if self.max_threads > 1:
            out += team_types(self.max_threads, f"i{m.pointer_bits}")
        out += self.export_globals(entry)
        for sym, g in self.globals.items():
            out.append(self.global_line(sym, g))
        if self.globals:
            out.append("")
        for sym, fop in self.functions.items():
            # Only `<name>_run` and the sizes are exported: two programs link together.
            out += FunctionPrinter(self, fop, global_name(sym), "internal ").print()
        out += self.run_function(entry)
        out += self.worker_entries
        if self.max_threads > 1:
            out.append(team_runtime(self.max_threads, f"i{m.pointer_bits}"))
        for name in sorted(self.helpers):
            owner = self.functions.get(name) or self.globals.get(name)
            if owner is not None:
                raise CompileError(f"the symbol '@{name}' clashes with a helper of the llvm target", location_of(owner))
            out.append(HELPERS[name])
        declarations = self.external_declarations()
        if declarations:
            out += [*declarations, ""]
        if m.name == "host" and native_host():
            out.append("attributes #0 = { nounwind }")  # the CPU the build names (-march=native)
        else:
            out.append(f'attributes #0 = {{ nounwind "target-cpu"="{m.llvm.cpu}" "target-features"="{m.llvm.features}" }}')
        if m.llvm.module_flags:
            ids = ", ".join(f"!{i}" for i in range(len(m.llvm.module_flags)))
            out.append("")
            out.append(f"!llvm.module.flags = !{{{ids}}}")
            out += [f"!{i} = {flag}" for i, flag in enumerate(m.llvm.module_flags)]
        return "\n".join(out) + "\n"

    def check_level(self) -> None:
        """The ops and types of the loop level the llvm target prints (targets/printable.py),
        then the arm_simd ops the machine has."""
        check(self.module_op, LLVM)
        check_machine(self.module_op, self.machine.name)

    def external_declarations(self) -> list[str]:
        """libm functions and intrinsics used, sorted; a module symbol of the
        same name would capture the calls, so it is an error."""
        for line in sorted(self.declarations):
            sym = line.split("(")[0].split()[-1][1:]
            owner = self.functions.get(sym) or self.globals.get(sym)
            if owner is not None:
                raise CompileError(
                    f"the symbol '@{sym}' clashes with the library function of that name "
                    "the llvm target calls", location_of(owner))
        return sorted(self.declarations)

    def entry(self) -> abi.Interface:
        """The run function's convention, shared with the C target so that both
        export the same names, argument order, sizes and alignments."""
        entries = [f for f in self.functions.values() if ENTRY_ATTR in f.attributes]
        if len(entries) != 1:
            where = location_of(entries[1]) if len(entries) > 1 else location_of(self.module_op)
            what = "more than one function is" if entries else "no function is"
            raise CompileError(
                f"{what} marked '{ENTRY_ATTR}'; the llvm target exports exactly one "
                "(convert-pbuf-to-loops marks it)",
                where,
            )
        return abi.interface(self.module_op)

    @staticmethod
    def exported_sizes(entry: abi.Interface) -> dict[str, int]:
        sizes = {
            f"{entry.base}_arena_bytes": entry.arena_bytes,
            f"{entry.base}_arena_align": entry.arena_align,
        }
        if entry.weights_bytes is not None:
            sizes[f"{entry.base}_weights_bytes"] = entry.weights_bytes
            sizes[f"{entry.base}_weights_align"] = entry.weights_align
        return sizes

    def exported_names(self, entry: abi.Interface) -> set[str]:
        return {entry.run, *self.exported_sizes(entry)}

    def export_globals(self, entry: abi.Interface) -> list[str]:
        return [f"@{name} = constant i64 {value}" for name, value in self.exported_sizes(entry).items()] + [""]

    def global_line(self, sym: str, g: memref.GlobalOp) -> str:
        t = g.type
        elem = t.get_element_type()
        if g.constant is None:
            raise CompileError(
                f"'memref.global' op '@{sym}' is mutable; generated code keeps no mutable globals "
                "(intermediates live in the arena)", location_of(g))
        value = g.initial_value
        if not isinstance(value, DenseIntOrFPElementsAttr):
            raise CompileError(f"'memref.global' op '@{sym}' has no initial value", location_of(g))
        count = int(np.prod(t.get_shape(), dtype=np.int64))
        if isinstance(elem, IntegerType):
            width = elem.width.data
            if width == 1:
                items = ["1" if v else "0" for v in value.get_values()]
                et = "i8"
            else:
                items = [str(v) for v in value.get_values()]
                et = f"i{width}"
        elif is_float(elem):
            et = {Float16Type: half_storage(self.machine), Float32Type: "float", Float64Type: "double"}[type(elem)]
            items = float_array_literals(value.data.data, elem, et)
        else:
            raise CompileError(f"'memref.global' op '@{sym}' has elements of type {elem}, which the llvm target cannot print", location_of(g))
        if len(items) == 1 and count != 1:
            items = items * count
        zero = {"0", "0x0000000000000000", "0xH0000"}  # +0.0 only: -0.0 is not zero bits
        if all(i in zero for i in items):
            init = "zeroinitializer"
        else:
            init = "[" + ", ".join(f"{et} {i}" for i in items) + "]"
        visibility = g.sym_visibility.data
        linkage = "internal " if visibility == "private" else ""
        align = g.alignment.value.data if g.alignment is not None else 16
        return f"{global_name(sym)} = {linkage}constant [{count} x {et}] {init}, align {align}"

    def run_function(self, entry: abi.Interface) -> list[str]:
        """`i32 <name>_run(...)`: checks the pointers as the C target does, then runs."""
        def local(name: str) -> str:  # C names never hold a dot; labels here do, or are `entry`
            return name + "_" if name == "entry" else name

        weights = local(entry.weights_name) if entry.weights_name else None
        arena = local(entry.arena_name)
        buffers = [local(b.name) for b in (*entry.inputs, *entry.outputs)]
        params = ([weights] if weights else []) + buffers + [arena]
        required = abi.entry_checks(entry)
        lines = [f"define i32 @{entry.run}({', '.join(f'ptr %{n}' for n in params)}) #0 {{", "entry:"]
        blocks: list[tuple[str, list[str], str]] = []  # (flag, body, failure code)

        def any_of(flags: list[tuple[str, str]]) -> tuple[str, list[str]]:
            """(the last flag, the body computing them and or-ing them in order)."""
            body, result = [], ""
            for name, line in flags:
                body.append(line)
                if result:
                    body.append(f"  {name}.any = or i1 {result}, {name}")
                    result = f"{name}.any"
                else:
                    result = name
            return result, body

        if required.not_null:
            flag, body = any_of([(f"%{local(n)}.null", f"  %{local(n)}.null = icmp eq ptr %{local(n)}, null")
                                 for n in required.not_null])
            blocks.append((flag, body, str(RUN_NULL_POINTER)))
        it = f"i{self.machine.pointer_bits}"
        for name, _, align in required.aligned:
            n = local(name)
            body = [
                f"  %{n}.address = ptrtoint ptr %{n} to {it}",
                f"  %{n}.low = and {it} %{n}.address, {align - 1}",
                f"  %{n}.misaligned = icmp ne {it} %{n}.low, 0",
            ]
            blocks.append((f"%{n}.misaligned", body, str(RUN_MISALIGNED)))
        for b, values in required.fixed:
            n, et = local(b.name), f"i{np.dtype(b.dtype).itemsize * 8}"
            loads = []
            for j, v in enumerate(values):
                loads += [f"  %{n}.at{j} = getelementptr inbounds {et}, ptr %{n}, {it} {j}",
                          f"  %{n}.v{j} = load {et}, ptr %{n}.at{j}"]
            flag, body = any_of([(f"%{n}.ne{j}", f"  %{n}.ne{j} = icmp ne {et} %{n}.v{j}, {v}")
                                 for j, v in enumerate(values)])
            blocks.append((flag, loads + body, str(RUN_BAD_INPUT)))
        for k, (flag, body, code) in enumerate(blocks):
            if k:
                lines.append(f"check.{k}:")
            lines += body
            following = f"check.{k + 1}" if k + 1 < len(blocks) else "run.program"
            lines.append(f"  br i1 {flag}, label %fail.{k}, label %{following}")
            lines += [f"fail.{k}:", f"  ret i32 {code}"]
        call_args = ", ".join(f"ptr %{n}" for n in params if n != arena or entry.arena_bytes > 0)
        if blocks:
            lines.append("run.program:")
        lines += [
            f"  call void {global_name(entry.entry)}({call_args})",
            f"  ret i32 {RUN_OK}",
            "}",
            "",
        ]
        return lines


def emit_llvm(module: ModuleOp, target: str = "host") -> str:
    """The module as textual LLVM IR for the machine `target`."""
    m = machine(target)
    return ModulePrinter(legalized(module, m), m).print()
