"""The machines generated C is built for: one table of the machine vocabulary (docs/design.md).

Each machine says which C compiler builds for it, with which flags, and how a
built program runs off the board: natively (host), under qemu-user with the
board's own CPU named (so an instruction the board lacks traps instead of
passing in emulation), or, for a microcontroller, booted by qemu-system on a
board model with the same core, its file I/O and exit code passed through
semihosting. Cross programs are linked statically, so qemu needs no target
libraries at run time.
"""

from __future__ import annotations

import platform
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from pelemay_ir.errors import CompileError


@dataclass(frozen=True)
class Vectors:
    """What the vectorizer's cost model (passes/vector_cost.py) knows of a
    machine's SIMD unit and caches."""

    isa: str
    """`neon` (arm_simd intrinsics) or `portable` (GCC/Clang vector extensions)."""
    bits: int
    """Width of one vector register."""
    registers: int
    """Vector registers the allocator can use."""
    fused_multiply_add: bool
    l1d_bytes: int
    l2_bytes: int
    load_offsets: bool = True
    """Whether a vector load or store takes an immediate offset from its
    address register. ARMv7's vld1/vst1 take none, so unrolled elementwise
    loops there load and store two vectors per instruction (load2/store2)."""
    lane_multiply: bool = False
    """Whether a vector multiply-add takes one lane of another vector register
    as its scalar (AArch64's `fmla v.4s, v.4s, v.s[l]`; ARMv7's `vmla.f32 q,
    q, d[l]`, unfused), so that a matmul step may load four elements of its
    left operand in one vector and use them lane by lane instead of
    broadcasting each from memory."""
    load_x4: bool = False
    """Whether one load fills four vector registers from consecutive memory
    (A64's `ld1 {v0.4s-v3.4s}`, arm_simd.load_x4), with no limit on the
    offset between rows: the one-row matmul then reads four rows of B per
    step by lane, which with `ldp` alone costs more loads than it saves."""

    @property
    def f32_lanes(self) -> int:
        return self.bits // 32


def _cache_bytes(level: int, fallback: int) -> int:
    """The size of cpu0's level-`level` data cache from Linux's sysfs."""
    import glob

    for index in sorted(glob.glob("/sys/devices/system/cpu/cpu0/cache/index*")):
        try:
            with open(f"{index}/level") as f:
                found = int(f.read())
            with open(f"{index}/type") as f:
                kind = f.read().strip()
            with open(f"{index}/size") as f:
                size = f.read().strip()
        except (OSError, ValueError):
            continue
        if found == level and kind in ("Data", "Unified") and size.endswith("K"):
            return int(size[:-1]) * 1024
    return fallback


_X86_UNITS = {
    "avx512": (512, 32, True),
    "avx2": (256, 16, True),
    "sse": (128, 16, False),
}
"""x86 vector units: register bits, registers, fused multiply-add."""

HOST_PROBE_VARIABLE = "PELEMAY_HOST_CPU"
"""Replaces the probe of the host's vector unit and caches, e.g.
`avx2,l1=32K,l2=512K`: to tune host builds for another x86 machine, and to
run the test suite as if on one."""

MODELLED_HOSTS = {
    "intel-xeon-avx512": "avx512,l1=48K,l2=2M",
    "amd-epyc-avx2": "avx2,l1=32K,l2=512K",
}
"""Hosts the tests and docs name, as `PELEMAY_HOST_CPU` values."""


def _size(text: str) -> int:
    units = {"K": 1024, "M": 1024 * 1024}
    return int(text[:-1]) * units[text[-1]] if text[-1:] in units else int(text)


def parse_host_cpu(text: str) -> Vectors:
    """A `PELEMAY_HOST_CPU` value: an x86 unit (avx512, avx2, sse), then
    optional `l1=` and `l2=` sizes (bytes, or with K or M)."""
    unit, *fields = [f.strip() for f in text.split(",") if f.strip()]
    if unit not in _X86_UNITS:
        raise CompileError(
            f"{HOST_PROBE_VARIABLE}: unknown vector unit '{unit}'; valid units: " + ", ".join(_X86_UNITS)
        )
    sizes = {"l1": 32 * 1024, "l2": 512 * 1024}
    for field in fields:
        key, _, value = field.partition("=")
        try:
            if key not in sizes:
                raise ValueError
            sizes[key] = _size(value)
        except (ValueError, IndexError):
            raise CompileError(
                f"{HOST_PROBE_VARIABLE}: bad field '{field}'; expected l1=SIZE or l2=SIZE (e.g. l2=2M)"
            ) from None
    return Vectors("portable", *_X86_UNITS[unit], sizes["l1"], sizes["l2"])


_HOST_PROBE_ERROR: CompileError | None = None


def _host_vectors() -> Vectors | None:
    """The SIMD unit of the machine running Pelemay IR, as `gcc -march=native`
    uses it, unless PELEMAY_HOST_CPU names another."""
    import os

    if os.environ.get(HOST_PROBE_VARIABLE):
        try:
            return parse_host_cpu(os.environ[HOST_PROBE_VARIABLE])
        except CompileError as e:
            global _HOST_PROBE_ERROR
            _HOST_PROBE_ERROR = e  # reported where the host is first asked for
            return None
    arch = platform.machine().lower()
    l1, l2 = _cache_bytes(1, 32 * 1024), _cache_bytes(2, 512 * 1024)
    if arch in ("x86_64", "amd64"):
        try:
            with open("/proc/cpuinfo") as f:
                flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
        except OSError:
            flags = []
        if "avx512f" in flags:
            unit = "avx512"
        elif "avx2" in flags and "fma" in flags:
            unit = "avx2"
        else:
            unit = "sse"
        return Vectors("portable", *_X86_UNITS[unit], l1, l2)
    if arch in ("aarch64", "arm64"):
        return Vectors("portable", 128, 32, True, l1, l2)
    return None


@dataclass(frozen=True)
class LlvmTarget:
    """What the llvm target (targets/llvm.py) prints for a machine."""

    triple: str
    datalayout: str
    cpu: str
    features: str
    half_conversions: bool
    """f16 <-> f32 in hardware (else inline integer code)."""
    module_flags: tuple[str, ...] = ()
    fused_multiply_add: bool = True
    """A fused multiply-add instruction (else libm's fmaf)."""
    libm_roundeven: bool = True
    """Whether the C library has roundeven/roundevenf (C23), which `llc` calls
    where the CPU has no such instruction. Newlib, the bare-metal C library,
    lacks them: there roundeven is printed as llvm.rint (libm's rintf), the
    same value in the default rounding mode, as the C target's rint."""


_X86_64_DL = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
_AARCH64_DL = "e-m:e-i8:8:32-i16:16:32-i64:64-i128:128-n32:64-S128"
_ARM_DL = "e-m:e-p:32:32-Fi8-i64:64-v128:64:128-a:0:32-n32-S64"
_RISCV64_DL = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"


@dataclass(frozen=True)
class Machine:
    """How to build for, and run on, one machine."""

    name: str
    board: str
    cc: str
    cflags: tuple[str, ...]
    runner: tuple[str, ...] | None
    """The emulator command a program runs under: () runs it natively, a
    qemu-user command, or for bare metal a qemu-system command (the board
    model) that boots the program; None means programs for this machine are
    built but never run here."""
    packages: tuple[str, ...]
    """Debian packages that provide `cc`, its C library and the runner."""
    hosted: bool = True
    """False for bare metal: no operating system. The model itself needs
    nothing but libm; the test harness's files and exit code go through
    semihosting to the emulator."""
    ldflags: tuple[str, ...] = ()
    flash_bytes: int | None = None
    """Flash (read-only memory) of the typical board, for bare-metal size checks."""
    ram_bytes: int | None = None
    """RAM of the typical board, for bare-metal size checks."""
    sized_board: str | None = None
    """The board flash_bytes and ram_bytes are taken from."""
    vectors: Vectors | None = None
    """The SIMD unit `vectorize` generates code for; None: scalar loops only."""
    pointer_bits: int = 64
    """Width of an address: generated C indexes with `ptrdiff_t`."""
    llvm: LlvmTarget | None = None
    scalar_minmax: bool = False
    """Whether the FPU computes maximumf/minimumf of two scalars in one
    instruction with their rule (A64's FMAX/FMIN: a NaN operand gives NaN,
    -0 < +0), so legalize leaves them to the printers instead of writing out
    compares and selects."""

    @property
    def largest_object_bytes(self) -> int:
        """PTRDIFF_MAX: the largest buffer (or arena) whose every byte offset
        the generated index arithmetic can hold without overflow."""
        return (1 << (self.pointer_bits - 1)) - 1

    @property
    def runs(self) -> bool:
        return self.runner is not None

    @property
    def emulated(self) -> bool:
        return bool(self.runner)

    @property
    def size_tool(self) -> str:
        """The binutils `size` that reads this machine's objects."""
        return self.cc[: -len("gcc")] + "size" if self.cc.endswith("-gcc") else "size"

    def command(self, program: str, args: Sequence[str] = (), plugin: str | None = None) -> list[str]:
        """The command line that runs `program args...` on this machine, with
        qemu's `plugin` (`FILE.so,arg=...`) loaded when given.

        Under qemu-user the program is a Linux process; a bare-metal program is
        the kernel the board model boots, and its arguments reach `main`
        through semihosting (QEMU's option syntax doubles a comma)."""
        if self.runner is None:
            raise ValueError(f"programs for target '{self.name}' cannot run here")
        if plugin is not None and not self.emulated:
            raise ValueError(f"target '{self.name}' runs natively: no qemu to load a plugin into")
        loads = ["-plugin", plugin] if plugin is not None else []
        if self.hosted:
            return [*self.runner[:1], *loads, *self.runner[1:], program, *args]
        command_line = ",".join(f"arg={a.replace(',', ',,')}" for a in (program, *args))
        return [*self.runner, *loads, "-semihosting-config", f"enable=on,target=native,{command_line}",
                "-kernel", program]

    def missing_tools(self) -> list[str]:
        """The commands this machine needs that are not on PATH, and the
        compiler's specs files (a bare-metal C library) it cannot find."""
        tools = [self.cc, *(self.runner[:1] if self.runner else ())]
        if not self.hosted:
            tools.append(self.size_tool)
        missing = [t for t in tools if shutil.which(t) is None]
        if self.cc not in missing:
            specs = [f.split("=", 1)[1] for f in self.ldflags if f.startswith("--specs=")]
            missing += [s for s in specs if not _compiler_finds(self.cc, s)]
        return missing

    def require_tools(self) -> None:
        missing = self.missing_tools()
        if missing:
            raise CompileError(
                f"target '{self.name}' needs {', '.join(missing)}, not found; "
                f"install the Debian packages: {' '.join(self.packages)}"
            )


@lru_cache(maxsize=None)
def _compiler_finds(cc: str, file: str) -> bool:
    """Whether `cc` finds `file` in its own directories (it prints the bare
    name back when it does not)."""
    try:
        done = subprocess.run([cc, f"-print-file-name={file}"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0 and done.stdout.strip() not in ("", file)


_STATIC = ("-static",)
# Cortex-A53 (Raspberry Pi 3): 32 KiB L1D, 512 KiB L2; Cortex-A7: 32 KiB / 512 KiB;
# Cortex-A8 (BeagleBone): 32 KiB / 256 KiB; Cortex-A55: 32 KiB / 256 KiB (per core).
_A53 = Vectors("neon", 128, 32, True, 32 * 1024, 512 * 1024, lane_multiply=True, load_x4=True)
_A55 = Vectors("neon", 128, 32, True, 32 * 1024, 256 * 1024, lane_multiply=True, load_x4=True)
_A7 = Vectors("neon", 128, 16, True, 32 * 1024, 512 * 1024, load_offsets=False, lane_multiply=True)
_A8 = Vectors("neon", 128, 16, False, 32 * 1024, 256 * 1024, load_offsets=False, lane_multiply=True)
_HOST_VECTORS = _host_vectors()
AN386_PSRAM = 0x21000000
"""Start of the 16 MiB PSRAM of qemu's mps2-an386 board, where the bare-metal
heap begins (newlib's `end`); semihosting puts the stack at its top."""

MACHINES: dict[str, Machine] = {
    m.name: m
    for m in [
        Machine(
            "host", "the machine running Pelemay IR", "gcc",
            ("-march=native", "-mtune=generic", "-ffp-contract=fast") if _HOST_VECTORS is not None else (),
            (), ("gcc",),
            vectors=_HOST_VECTORS,
            llvm=LlvmTarget("x86_64-pc-linux-gnu", _X86_64_DL, "x86-64", "+cx8,+fxsr,+mmx,+sse,+sse2,+x87", False),
        ),
        Machine(
            "aarch64", "Cortex-A53/A72 (Raspberry Pi 3/4)", "aarch64-linux-gnu-gcc",
            ("-mcpu=cortex-a53",),
            ("qemu-aarch64", "-cpu", "cortex-a53", "-L", "/usr/aarch64-linux-gnu"),
            ("gcc-aarch64-linux-gnu", "qemu-user"), ldflags=_STATIC, vectors=_A53,
            # Raspberry Pi 3/4 (BCM2837/BCM2711) have no crypto extension.
            llvm=LlvmTarget("aarch64-unknown-linux-gnu", _AARCH64_DL, "cortex-a53",
                            "+v8a,+neon,+fp-armv8,+crc,-crypto,-aes,-sha2", True),
            scalar_minmax=True,
        ),
        # qemu 7.2 (Debian 12) has no cortex-a55; cortex-a76 is the ARMv8.2 core
        # with the same dot-product and fp16 extensions.
        Machine(
            "aarch64-dotprod", "Cortex-A55 (ARMv8.2 with dot product)", "aarch64-linux-gnu-gcc",
            ("-mcpu=cortex-a55+dotprod",),
            ("qemu-aarch64", "-cpu", "cortex-a76", "-L", "/usr/aarch64-linux-gnu"),
            ("gcc-aarch64-linux-gnu", "qemu-user"), ldflags=_STATIC, vectors=_A55,
            llvm=LlvmTarget("aarch64-unknown-linux-gnu", _AARCH64_DL, "cortex-a55",
                            "+v8.2a,+neon,+fp-armv8,+crc,+lse,+rdm,+rcpc,+ras,+fullfp16,+dotprod,"
                            "-crypto,-aes,-sha2", True),
            scalar_minmax=True,
        ),
        Machine(
            "armv7", "Cortex-A7/A15 (NEON with VFPv4 fused multiply-add)",
            "arm-linux-gnueabihf-gcc",
            ("-mcpu=cortex-a7", "-mfpu=neon-vfpv4", "-mfloat-abi=hard"),
            ("qemu-arm", "-cpu", "cortex-a7", "-L", "/usr/arm-linux-gnueabihf"),
            ("gcc-arm-linux-gnueabihf", "qemu-user"), ldflags=_STATIC, vectors=_A7, pointer_bits=32,
            llvm=LlvmTarget("armv7-unknown-linux-gnueabihf", _ARM_DL, "cortex-a7",
                            "+armv7-a,+neon,+vfp4,+fp16,+d32,+dsp,+hwdiv,+hwdiv-arm,-thumb-mode", True),
        ),
        Machine(
            "armv7-a8", "Cortex-A8 (BeagleBone: NEON without fused multiply-add)",
            "arm-linux-gnueabihf-gcc",
            ("-mcpu=cortex-a8", "-mfpu=neon", "-mfloat-abi=hard"),
            ("qemu-arm", "-cpu", "cortex-a8", "-L", "/usr/arm-linux-gnueabihf"),
            ("gcc-arm-linux-gnueabihf", "qemu-user"), ldflags=_STATIC, vectors=_A8, pointer_bits=32,
            # NEON and VFPv3 without the VFPv4 fused multiply-add.
            llvm=LlvmTarget("armv7-unknown-linux-gnueabihf", _ARM_DL, "cortex-a8",
                            "+armv7-a,+neon,+vfp3,+d32,+dsp,-vfp4,-vfp4d16,-vfp4d16sp,-vfp4sp,-fp16,"
                            "-hwdiv,-hwdiv-arm,-thumb-mode", False, fused_multiply_add=False),
        ),
        Machine(
            "riscv64", "RV64GC Linux boards", "riscv64-linux-gnu-gcc",
            ("-march=rv64gc", "-mabi=lp64d"),
            ("qemu-riscv64", "-cpu", "rv64", "-L", "/usr/riscv64-linux-gnu"),
            ("gcc-riscv64-linux-gnu", "qemu-user"), ldflags=_STATIC,
            llvm=LlvmTarget("riscv64-unknown-linux-gnu", _RISCV64_DL, "generic-rv64", "+64bit,+m,+a,+f,+d,+c",
                            False, ('!{i32 1, !"target-abi", !"lp64d"}',)),
        ),
        # A typical Cortex-M4F board: STM32F407VG, 1 MiB flash, 128 KiB SRAM
        # (plus 64 KiB core-coupled memory that DMA cannot reach). Programs run
        # on qemu's MPS2 board with the AN386 image, a Cortex-M4F: newlib's
        # semihosting start-up (rdimon) with our vector table at address 0
        # (cross.BOARD_STARTUP) and the heap in the board's 16 MiB PSRAM.
        Machine(
            "cortex-m4", "Cortex-M4F microcontroller (STM32F4), bare metal", "arm-none-eabi-gcc",
            ("-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16",
             "-ffreestanding"),
            ("qemu-system-arm", "-M", "mps2-an386", "-display", "none", "-monitor", "none",
             "-serial", "none"),
            ("gcc-arm-none-eabi", "libnewlib-arm-none-eabi", "qemu-system-arm"), hosted=False,
            ldflags=("--specs=rdimon.specs", "-Wl,--section-start=.vectors=0x0",
                     f"-Wl,--defsym=end={AN386_PSRAM:#x}"),
            flash_bytes=1024 * 1024, ram_bytes=128 * 1024, sized_board="STM32F407VG", pointer_bits=32,
            # single-precision FPv4-SP-D16, hard-float ABI, no NEON
            llvm=LlvmTarget("thumbv7em-none-unknown-eabihf", _ARM_DL, "cortex-m4",
                            "+armv7e-m,+thumb-mode,+dsp,+hwdiv,+vfp4d16sp,+fp16,+strict-align,"
                            "-fp64,-d32,-neon", True, libm_roundeven=False),
        ),
    ]
}


@dataclass(frozen=True)
class Device:
    """A GPU unit: the planned arena lives in its memory, kernels run on it,
    and the host launches them (targets/cuda.py)."""

    name: str
    board: str
    compiler: str
    architectures: tuple[str, ...]
    """The `-arch` values nvcc is asked for (compute capability 7.5 and up)."""
    default_architecture: str
    pointer_bits: int = 64

    @property
    def largest_object_bytes(self) -> int:
        return (1 << (self.pointer_bits - 1)) - 1

    def architecture(self, name: str | None) -> str:
        """The architecture called `name` (None: the default), or an error listing the valid ones."""
        if name is None:
            return self.default_architecture
        if name not in self.architectures:
            raise CompileError(
                f"unknown {self.name} architecture '{name}'; valid architectures: " + ", ".join(self.architectures)
            )
        return name


DEVICES: dict[str, Device] = {
    "cuda": Device("cuda", "NVIDIA GPU (CUDA 12/13, compute capability 7.5 or newer)", "nvcc",
                   ("sm_75", "sm_80", "sm_86", "sm_89", "sm_90", "sm_100", "sm_120"), "sm_90"),
}
"""The GPU units of the vocabulary: programs for them are planned like a
machine's and printed as CUDA by `-t cuda`."""


def unit(name: str) -> Machine | Device:
    """The machine or GPU unit called `name` (where a memory plan only needs its address width)."""
    if name in DEVICES:
        return DEVICES[name]
    try:
        return machine(name)
    except CompileError:
        raise CompileError(
            f"unknown target '{name}'; valid machines: " + ", ".join([*MACHINES, *DEVICES])
        ) from None


TARGET_ATTR = "pelemay.target"
"""Module attribute: the machine the module was lowered for (plan-memory
records it), so a printer prints for that machine without being told again."""


def printed_machine(module, asked: str | None, printer: str) -> str:
    """The machine printer `printer` prints `module` for: the one `asked`, else
    the one the module was lowered for, else host. Asking for another machine
    than the module was lowered for is an error."""
    recorded = module.attributes.get(TARGET_ATTR)
    lowered_for = getattr(recorded, "data", None)
    if asked is None:
        return machine(lowered_for or "host").name
    machine(asked)
    if lowered_for is not None and asked != lowered_for:
        raise CompileError(
            f"-t {printer}{{target={asked}}}: the module was lowered for target '{lowered_for}' "
            f"({TARGET_ATTR}); lower it for '{asked}', or leave the printer's target out"
        )
    return asked


def machine(name: str) -> Machine:
    """The machine called `name`, or an error listing the valid names."""
    if name == "host" and _HOST_PROBE_ERROR is not None:
        raise _HOST_PROBE_ERROR
    try:
        return MACHINES[name]
    except (KeyError, TypeError):
        raise CompileError(
            f"unknown target '{name}'; valid machines: " + ", ".join(MACHINES)
        ) from None


def vector_unit(name: str, user: str, remedy: str) -> Vectors:
    """The vector unit of the machine called `name`, for a pass (`user`) that
    works only on vector kernels; without one, an error saying so and `remedy`."""
    vectors = machine(name).vectors
    if vectors is None:
        raise CompileError(f"{user}: target '{name}' has no vector unit{remedy}")
    return vectors


def packages() -> list[str]:
    """Every Debian package the machines need, for setup scripts."""
    return sorted({p for m in MACHINES.values() for p in m.packages})
