"""The `cuda` target: a module after `outline-gpu-kernels` printed as one
CUDA C++ source and its header (`-t cuda -o out/M.cu` writes out/M.cu and
out/M.h).

A dialect of the C printer (targets/c.py), not a copy of it: every op prints
as in C; this module adds only what is CUDA's own. Kernels (`gpu.func`)
print as `static __global__` functions whose parameters are the pointers
and scalars their launch passes; `gpu.thread_id`/`block_id`/`block_dim`/
`grid_dim` as CUDA's built-in variables; the helpers as `__host__
__device__` functions; embedded weights (none after `pelemay-to-cuda`,
which keeps weights external) as `__device__` arrays. The entry function
is host code: its entry checks, the views of the arena and weights (pointer
arithmetic on device addresses), and one launch per kernel on the caller's
stream, each checked with cudaGetLastError. Nothing allocates, copies or
synchronises: `M_run_cuda` returns once its kernels are queued.

Launches go through the macro `PELEMAY_CUDA_LAUNCH`, defined as the
triple-chevron launch unless the includer defines it first: the CPU
emulator (pelemay_ir/cuda_emulator) runs the same file with g++ that way.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from xdsl.dialects import gpu, vector
from xdsl.dialects.builtin import MemRefType, ModuleOp, StringAttr, VectorType, f32
from xdsl.ir import Attribute, Operation

from pelemay_ir import machines
from pelemay_ir.dialects.gpu_shuffle import ShuffleOp, warp_width
from pelemay_ir.ir import CompileError
from pelemay_ir.passes.legalize import legalized
from pelemay_ir.passes.gpu_vectors import IO_ALIGN
from pelemay_ir.passes.outline_gpu_kernels import ARCH_ATTR
from pelemay_ir.targets.abi import ERROR_CODES, Interface
from pelemay_ir.targets.abi import interface as abi_interface
from pelemay_ir.targets.c import STANDARD_INCLUDES, CFunctionPrinter, CPrinter, _declaration
from pelemay_ir.targets.c import write as c_write
from pelemay_ir.targets.c_header import HEADER_BANNER, SOURCE_BANNER
from pelemay_ir.targets.c_names import Namer, describe_location, fail
from pelemay_ir.targets.c_scalar import nothing
from pelemay_ir.targets.c_vectors import vector_address
from pelemay_ir.targets.c_types import storage_ctype
from pelemay_ir.targets.printable import CUDA, WORKGROUP

CUDA_ERROR_CODES = (
    ("PELEMAY_ERR_LAUNCH", 4, "a kernel launch failed (cudaGetLastError; the stream's error state is cleared)"),
)
LAUNCH_MACRO = "PELEMAY_CUDA_LAUNCH"
LANGUAGE = "CUDA"
"""What the banners of its header and source call the language."""
_SHUFFLES = {"down": "__shfl_down_sync", "xor": "__shfl_xor_sync"}
FLOAT4 = VectorType(f32, [4])
_FLOAT4_LANES = "xyzw"
_BUILT_IN = {"gpu.thread_id": "threadIdx", "gpu.block_id": "blockIdx", "gpu.block_dim": "blockDim",
             "gpu.grid_dim": "gridDim"}


def interface(module: ModuleOp) -> Interface:
    """The run function's interface on the GPU unit (`M_run_cuda`, `M_CUDA_...`)."""
    return dataclasses.replace(abi_interface(module), unit="cuda", io_align=IO_ALIGN)


def architecture(module: ModuleOp) -> str:
    """The architecture the module was lowered for (`pelemay.cuda_arch`), else the default."""
    arch = module.attributes.get(ARCH_ATTR)
    return machines.DEVICES["cuda"].architecture(arch.data if isinstance(arch, StringAttr) else None)


class CudaPrinter(CPrinter):
    """Prints the host entry function, its kernels and the helpers both call."""

    function_printer: type  # CudaFunctionPrinter, set below it
    weights_qualifier = "static __device__ const"
    printable = CUDA

    def __init__(self, module: ModuleOp):
        self.kernel_functions = {
            k.sym_name.data: k for m in module.ops if isinstance(m, gpu.ModuleOp)
            for k in m.body.block.ops if isinstance(k, gpu.FuncOp)
        }
        super().__init__(module, None)
        self.iface = interface(module)
        if self.iface.fixed_inputs:
            raise fail(self.entry, "inputs fixed at compile time are checked on the host, which cannot read "
                                   "device memory: the cuda target does not take them")
        if self.functions.keys() - {self.iface.entry}:
            raise fail(self.entry, "the cuda target prints one entry function and its kernels; "
                                   "run pelemay-to-cuda (it inlines calls)")
        self.stream = Namer({b.name for b in (*self.iface.inputs, *self.iface.outputs)}).fresh("stream")
        self.file_scope.add(self.stream)
        self.kernels: list[str] = []
        self.arch = architecture(module)

    def outlined_calls(self):
        yield from super().outlined_calls()
        for op in self.module.walk():
            if isinstance(op, gpu.LaunchFuncOp):
                kernel = self._kernel(op)
                yield kernel.body.blocks[0].args, op.kernelOperands

    def _kernel(self, op: gpu.LaunchFuncOp) -> gpu.FuncOp:
        ref = op.kernel
        name = ref.nested_references.data[-1].data if ref.nested_references.data else ref.root_reference.data
        kernel = self.kernel_functions.get(name)
        if kernel is None:
            raise fail(op, f"'gpu.launch_func' launches {ref}, which no gpu.module of this module defines")
        return kernel

    def ctype(self, t: Attribute) -> str:
        """vector<4xf32> is CUDA's float4 (16-byte aligned: passes/gpu_vectors.py)."""
        return "float4" if t == FLOAT4 else super().ctype(t)

    def qualified(self, helper: str) -> str:
        return re.sub(r"^static inline ", "static __host__ __device__ inline ", helper, count=1)

    def _signature(self) -> str:
        return super()._signature()[:-1] + f", cudaStream_t {self.stream})"

    def header(self, header_name: str) -> str:
        text = super().header(header_name)
        text = text.replace(HEADER_BANNER, HEADER_BANNER.replace("C99", LANGUAGE), 1)
        text = text.replace("#include <stdint.h>\n", "#include <stdint.h>\n\n#include <cuda_runtime.h>\n", 1)
        codes = "".join(f"#ifndef {n}\n#define {n} {v} /* {m} */\n#endif\n" for n, v, m in CUDA_ERROR_CODES)
        last = ERROR_CODES[-1][0]
        at = text.index(f"#define {last} ")
        at = text.index("#endif\n", at) + len("#endif\n")
        text = text[:at] + codes + text[at:]
        return text.replace(" * Returns PELEMAY_OK,", f" *   {self.stream}: the stream its kernels are queued on.\n"
                            " * Every pointer is a device pointer. Returns PELEMAY_OK once the kernels are queued,"
                            " PELEMAY_ERR_LAUNCH if a launch failed,", 1)

    def source(self, header_name: str) -> str:
        entry_text = self.function_printer(self, self.entry).entry_function()
        out = [
            f"{SOURCE_BANNER.replace('C99', LANGUAGE)} of {self.iface.run}{self._origin()}. Do not edit. */",
            f"/* Build with {machines.DEVICES['cuda'].compiler} -arch={self.arch} (docs/cuda.md). */",
            f'#include "{header_name}"',
            "",
            *STANDARD_INCLUDES,
            "",
            f"#ifndef {LAUNCH_MACRO}",
            f"#define {LAUNCH_MACRO}(kernel, blocks, threads, stream, ...) "
            "kernel<<<(blocks), (threads), 0, (stream)>>>(__VA_ARGS__)",
            "#endif",
            "",
        ]
        out += self.file_scope_definitions(self._weights())
        out += ["/* Kernels, in launch order (docs/cuda.md). */", ""] if self.kernels else []
        out += self.kernels
        out += [entry_text]
        return "\n".join(out)


class CudaFunctionPrinter(CFunctionPrinter):
    """The host entry function, and (from its launches) each kernel."""

    handlers: dict = {}

    def launch_op(self, op: gpu.LaunchFuncOp) -> None:
        """Print the kernel it launches, then the launch and its check."""
        kernel = self.p._kernel(op)
        printer = self.p.function_printer(self.p, kernel)
        params, args = [], []
        for arg, v in zip(kernel.body.blocks[0].args, op.kernelOperands):
            if isinstance(v.type, MemRefType):
                m = self.memrefs[v]
                printer.memrefs[arg] = m
                element = "unsigned char" if m.raw else storage_ctype(m.element)
                params.append(_declaration(f"{'const ' if m.const else ''}{element} *", m.expr, const=True))
                args.append(m.expr)
            else:
                name = self.expr(v)
                if not name.isidentifier():
                    raise fail(op, f"a kernel argument must be a named value, not {name}")
                printer.exprs[arg] = name
                params.append(_declaration(self.p.ctype(v.type), name, const=True))
                args.append(name)
        printer.names.taken.update(args)
        name = f"pelemay_{kernel.sym_name.data}"
        threads = self.expr(op.blockSizeX)
        self.p.kernels.append(printer.kernel_function(name, params, threads))
        for extra in (op.gridSizeY, op.gridSizeZ, op.blockSizeY, op.blockSizeZ):
            if self.expr(extra) != "1":
                raise fail(op, "the cuda target launches one-dimensional grids of one-dimensional blocks")
        self.location_comment(op)
        self.emit(f"{LAUNCH_MACRO}({name}, {self.expr(op.gridSizeX)}, {threads}, {self.p.stream}, {', '.join(args)});")
        self.emit("if (cudaGetLastError() != cudaSuccess) {")
        self.emit("    return PELEMAY_ERR_LAUNCH;")
        self.emit("}")

    def kernel_function(self, name: str, params: list[str], threads: str) -> str:
        self.block(self.fn.body.blocks[0])
        where = describe_location(self.fn.location)
        source = self.fn.attributes.get("pelemay.source")
        what = " ".join(x for x in (source.data if isinstance(source, StringAttr) else None, where and f"at {where}") if x)
        head = [f"/* {what} */".replace("*/ */", "* / */")] if what else []
        body = "\n".join(self.lines)
        # ptxas spills some one-thread kernels under __launch_bounds__(1): bound only thread blocks
        bounds = f"__launch_bounds__({threads}) " if threads.isdigit() and int(threads) > 1 else ""
        return "\n".join(head + [f"static __global__ void {bounds}{name}({', '.join(params)})", "{", body, "}", ""])

    def built_in(self, op: Operation) -> None:
        variable = _BUILT_IN[op.name]
        self.scalar(op, lambda: f"(ptrdiff_t){variable}.{op.dimension.data.value}")  # pyright: ignore[reportAttributeAccessIssue]

    def alloca_declaration(self, t: MemRefType, name: str, n: int) -> str:
        """Workgroup memory (address space 3) is the block's `__shared__` array, uninitialised."""
        if t.memory_space != WORKGROUP:
            return super().alloca_declaration(t, name, n)
        return f"__shared__ {storage_ctype(t.element_type)} {name}[{n}];"

    def shuffle(self, op: ShuffleOp) -> None:
        """A whole warp's shuffle down or across (xor), all 32 lanes taking part."""
        function = _SHUFFLES.get(op.mode.data.value)
        if function is None or warp_width(op) != 32 or op.valid in self.live.values:
            raise fail(op, "the cuda target prints 'gpu.shuffle' down or xor over a warp of 32, its valid flag unused")
        self.scalar(op, lambda: f"{function}(0xffffffffu, {self.expr(op.value)}, {self.expr(op.offset)})")

    def float4(self, op: Operation, t: Attribute) -> None:
        """The cuda target's vectors are float4s (passes/gpu_vectors.py makes them)."""
        if t != FLOAT4:
            raise fail(op, f"the cuda target prints vector<4xf32> (float4), not {t}")

    def float4_load(self, op: vector.LoadOp) -> None:
        self.float4(op, op.result.type)
        where = vector_address(self, op, op.base, op.indices)
        self.scalar(op, lambda: f"*(const float4 *)({where})")

    def float4_store(self, op: vector.StoreOp) -> None:
        self.float4(op, op.vector.type)
        self.emit(f"*(float4 *)({vector_address(self, op, op.base, op.indices)}) = {self.expr(op.vector)};")

    def float4_extract(self, op: vector.ExtractOp) -> None:
        self.float4(op, op.vector.type)
        (lane,) = op.static_position.get_values()
        self.scalar(op, lambda: f"{self.expr(op.vector)}.{_FLOAT4_LANES[lane]}")

    def float4_broadcast(self, op: vector.BroadcastOp) -> None:
        self.float4(op, op.vector.type)
        self.scalar(op, lambda: f"make_float4({', '.join([self.expr(op.source)] * 4)})")

    def float4_insert(self, op: vector.InsertOp) -> None:
        self.float4(op, op.dest.type)
        (lane,) = op.static_position.get_values()
        dest = self.expr(op.dest)
        lanes = [self.expr(op.source) if k == lane else f"{dest}.{c}" for k, c in enumerate(_FLOAT4_LANES)]
        self.scalar(op, lambda: f"make_float4({', '.join(lanes)})")

    def gpu_return(self, op: Operation) -> None:
        if op is not self.fn.body.blocks[0].last_op:
            self.emit("return;")


CudaPrinter.function_printer = CudaFunctionPrinter
CudaFunctionPrinter.handlers = {
    **CFunctionPrinter.handlers,
    "gpu.module": nothing,
    "gpu.func": nothing,
    "gpu.return": CudaFunctionPrinter.gpu_return,
    "gpu.barrier": lambda self, op: self.emit("__syncthreads();"),
    "gpu.shuffle": CudaFunctionPrinter.shuffle,
    "gpu.launch_func": CudaFunctionPrinter.launch_op,
    **{name: CudaFunctionPrinter.built_in for name in _BUILT_IN},
}
CudaFunctionPrinter.vector_handlers = {
    **CFunctionPrinter.vector_handlers,
    "vector.load": CudaFunctionPrinter.float4_load,
    "vector.store": CudaFunctionPrinter.float4_store,
    "vector.extract": CudaFunctionPrinter.float4_extract,
    "vector.broadcast": CudaFunctionPrinter.float4_broadcast,
    "vector.insert": CudaFunctionPrinter.float4_insert,
}


def emit_cuda(module: ModuleOp, header_name: str | None = None) -> tuple[str, str]:
    """(header, source) of a module after `pelemay-to-cuda`."""
    if not any(isinstance(op, gpu.ModuleOp) for op in module.ops):
        raise CompileError("-t cuda prints a module after outline-gpu-kernels (run pelemay-to-cuda first)")
    printer = CudaPrinter(legalized(module))
    name = header_name or f"{printer.iface.base}.h"
    source = printer.source(name)
    return printer.header(name), source


def stdout_text(module: ModuleOp) -> str:
    """What `pelemay-opt -t cuda` prints: the header, then the source."""
    header, source = emit_cuda(module)
    return header + "\n" + source


def write(path: Path, text: str) -> None:
    """`-t cuda -o out/NAME.cu`: writes out/NAME.cu and out/NAME.h (each atomically)."""
    c_write(path, text, "cuda", ".cu", LANGUAGE)
