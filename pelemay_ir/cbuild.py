"""Building generated C and running it: a shared library called through ctypes,
and a standalone test program fed with raw bytes.

Builds are cached on disk by a hash of the sources, the flags and the
compiler's version (under $PELEMAY_CACHE, else ~/.cache/pelemay-ir), so a test
suite that compiles the same program twice pays for gcc once.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from pelemay_ir.targets import c as c_target
from pelemay_ir.targets import abi
from pelemay_ir.targets import c_harness

STRICT_FLAGS = ("-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic")
SANITIZE_FLAGS = ("-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g")

RETURN_CODES = {value: name for name, value, _ in abi.ERROR_CODES}


class BuildError(RuntimeError):
    """The C compiler rejected generated code (a bug in the C target, or bad cflags)."""


class RunError(RuntimeError):
    """The compiled program reported a failure."""


def cache_root() -> Path:
    return Path(os.environ.get("PELEMAY_CACHE") or Path.home() / ".cache" / "pelemay-ir")


@lru_cache(maxsize=None)
def compiler_version(cc: str) -> str:
    try:
        done = subprocess.run([cc, "--version"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        raise BuildError(f"C compiler '{cc}' is not usable: {e}") from None
    return done.stdout


def cached_build(files: dict[str, str], output: str, flags: Sequence[str], cc: str,
           suffix: str = ".c", libraries: Sequence[str] = ("-lm",)) -> Path:
    """Compile `files` (name -> text; those ending in `suffix` are compiled) into `output`, cached."""
    key = hashlib.sha256()
    for part in (cc, compiler_version(cc), *flags, output, *libraries):
        key.update(part.encode() + b"\0")
    for name in sorted(files):
        key.update(name.encode() + b"\0" + files[name].encode() + b"\0")
    digest = key.hexdigest()
    where = cache_root() / digest[:2] / digest
    target = where / output
    if target.exists():
        return target
    where.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (where / name).write_text(text)
    fd, tmp = tempfile.mkstemp(dir=where, prefix=f".{output}.")
    os.close(fd)
    sources = [name for name in sorted(files) if name.endswith(suffix)]
    command = [cc, *flags, *sources, "-o", tmp, *libraries]
    done = subprocess.run(command, cwd=where, capture_output=True, text=True)
    if done.returncode != 0:
        os.unlink(tmp)
        raise BuildError(f"{' '.join(command)} failed in {where}:\n{done.stderr}")
    (where / f"{output}.log").write_text(done.stderr)  # the compiler's remarks (ptxas -v's register counts)
    os.replace(tmp, target)
    return target


def build_shared(
    header: str, source: str, name: str, cflags: Sequence[str] = (), cc: str = "gcc"
) -> Path:
    """The shared library of one generated program (strict C99 warnings as errors)."""
    files = {f"{name}.h": header, f"{name}.c": source}
    return cached_build(files, f"lib{name}.so", (*STRICT_FLAGS, "-fPIC", "-shared", *cflags), cc)


def build_harness(
    header: str,
    source: str,
    harness: str,
    name: str,
    cflags: Sequence[str] = (),
    cc: str = "gcc",
    sources: Mapping[str, str] | None = None,
) -> Path:
    """A standalone executable: the program plus `c_harness.emit_harness`'s main(),
    and `sources` (file name -> C text: a bare-metal board's start-up code)."""
    files = {f"{name}.h": header, f"{name}.c": source, f"{name}_main.c": harness, **(sources or {})}
    return cached_build(files, name, (*STRICT_FLAGS, *cflags), cc)


def exit_meaning(code: int) -> str:
    """A test program's exit code, with what it means where the harness says."""
    meaning = c_harness.HARNESS_EXITS.get(code)
    return f"{code} ({meaning})" if meaning else str(code)


def check_inputs(iface: abi.Interface, inputs: Sequence[object]) -> list[np.ndarray]:
    """The inputs of one call, checked against the run function's interface,
    as C-contiguous arrays. Every way of calling a program (ctypes on the
    host, the harness under qemu) checks here, so one mistake raises one type:
    TypeError for the wrong number of inputs, a non-array or the wrong dtype,
    ValueError for the wrong shape, or for a value other than the one an
    input was compiled for (`pelemay_ir.onnx_fixed`)."""
    if len(inputs) != len(iface.inputs):
        raise TypeError(f"{iface.run} takes {len(iface.inputs)} inputs, got {len(inputs)}")
    arrays = []
    for k, (given, want) in enumerate(zip(inputs, iface.inputs)):
        if not isinstance(given, np.ndarray):
            raise TypeError(
                f"input {k} ('{want.name}') must be a NumPy array, got {type(given).__name__} "
                f"(numpy.asarray(x, dtype=numpy.{want.dtype}) makes one)"
            )
        if given.dtype != want.dtype:
            raise TypeError(f"input {k} ('{want.name}') must have dtype {want.dtype}, got {given.dtype}")
        if given.shape != want.shape:
            raise ValueError(f"input {k} ('{want.name}') must have shape {want.shape}, got {given.shape}")
        arrays.append(np.ascontiguousarray(given))
    if iface.fixed_inputs:
        from pelemay_ir import onnx_fixed

        arrays = onnx_fixed.check(iface.fixed_inputs, arrays)
    return arrays


class CompiledProgram:
    """A generated program loaded with ctypes: call it with NumPy arrays in
    argument order; it returns the outputs as a list of new arrays."""

    def __init__(self, library: Path, iface: abi.Interface, weights: bytes | None = None):
        self.interface = iface
        self.library_path = library
        self._lib = ctypes.CDLL(str(library))
        self._run = getattr(self._lib, iface.run)
        count = len(iface.inputs) + len(iface.outputs) + 1 + iface.external_weights
        self._run.argtypes = [ctypes.c_void_p] * count
        self._run.restype = ctypes.c_int
        self._weights = None
        if iface.external_weights:
            if weights is None:
                raise ValueError(f"{iface.run} takes external weights, but none were given")
            if len(weights) != iface.weights_bytes:
                raise ValueError(
                    f"{iface.run} needs {iface.weights_bytes} bytes of weights, got {len(weights)}"
                )
            self._weights = aligned(len(weights), iface.weights_align)
            self._weights[:] = np.frombuffer(bytes(weights), dtype=np.uint8)

    def __call__(self, *inputs: np.ndarray) -> list[np.ndarray]:
        iface = self.interface
        arrays = check_inputs(iface, inputs)
        outputs = [aligned_array(b.shape, b.dtype) for b in iface.outputs]
        arena = aligned(iface.arena_bytes, iface.arena_align)
        pointers = [a.ctypes.data for a in (*arrays, *outputs, arena)]
        if self._weights is not None:
            pointers.insert(0, self._weights.ctypes.data)
        rc = self._run(*pointers)
        if rc != 0:
            raise RunError(f"{iface.run} returned {rc} ({RETURN_CODES.get(rc, 'unknown code')})")
        return outputs

    @property
    def weights(self) -> np.ndarray | None:
        """The weights the run function is given (external weights), aligned as it requires."""
        return self._weights

    def call_raw(self, *pointers: int | None) -> int:
        """Call the run function with raw addresses (for testing its checks)."""
        return self._run(*pointers)


CACHE_LINE = 64
"""Buffers we allocate start on a cache line, whatever the interface asks:
a 512-bit vector access that straddles two lines costs two (measured: 20%
of MobileNet v1 on an AVX-512 host when NumPy's 16-byte alignment was used)."""


def aligned(size: int, align: int) -> np.ndarray:
    """`size` zeroed bytes starting at a multiple of `align` and of the cache
    line (never empty, so never NULL)."""
    align = max(align, CACHE_LINE)
    block = np.zeros(size + align, dtype=np.uint8)
    skip = -block.ctypes.data % align
    return block[skip:skip + size] if size else block[skip:skip + 1]


def aligned_array(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """A zeroed array of that shape starting on a cache line."""
    size = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
    return aligned(size, CACHE_LINE)[:size].view(dtype).reshape(shape)


def load(path: Path, module: ModuleOp, weights: bytes | None = None) -> CompiledProgram:
    """Load a library built from `module`; external weights come from the module's
    weights file unless given."""
    iface = abi.interface(module)
    if iface.external_weights and weights is None:
        from pelemay_ir import weights as weights_file

        weights = bytes(weights_file.blob_of(module))
    return CompiledProgram(path, iface, weights)


def compile_module(
    module: ModuleOp, cflags: Sequence[str] = (), cc: str = "gcc", weights: bytes | None = None
) -> CompiledProgram:
    """Print, build and load a loop-level module in one step."""
    header, source = c_target.emit_c(module)
    name = abi.interface(module).base
    return load(build_shared(header, source, name, cflags, cc), module, weights)


def run_harness(
    exe: Path,
    inputs: Sequence[np.ndarray],
    outputs_spec: Sequence[tuple[tuple[int, ...], np.dtype]],
    launch: Callable[[str, Sequence[str]], list[str]] | None = None,
    weights: bytes | None = None,
    timeout: float = 120,
) -> list[np.ndarray]:
    """Run a harness executable on raw bytes: natively, or with the command
    line `launch(program, args)` makes (a machine's emulator, `Machine.command`)."""
    with tempfile.TemporaryDirectory(prefix="pelemay-run-") as tmp:
        in_path, out_path = Path(tmp) / "inputs.bin", Path(tmp) / "outputs.bin"
        in_path.write_bytes(b"".join(np.ascontiguousarray(a).tobytes() for a in inputs))
        args = [str(in_path), str(out_path)]
        if weights is not None:
            w_path = Path(tmp) / "weights.bin"
            w_path.write_bytes(bytes(weights))
            args.append(str(w_path))
        command = launch(str(exe), args) if launch is not None else [str(exe), *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RunError(f"{' '.join(command)} exited with {exit_meaning(done.returncode)}:\n{done.stderr}")
        data = out_path.read_bytes()
    results, at = [], 0
    for shape, dtype in outputs_spec:
        dtype = np.dtype(dtype)
        size = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        results.append(np.frombuffer(data[at:at + size], dtype=dtype).reshape(shape).copy())
        at += size
    if at != len(data):
        raise RunError(f"{exe} wrote {len(data)} bytes of outputs; expected {at}")
    return results
