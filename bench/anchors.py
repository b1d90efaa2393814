"""Third-party anchors for the ARM benchmark: fetching them and the board sysroot they run in.

bench/arm.py sets our counts beside XNNPACK's (Debian's arm64 and armhf
packages) and onnxruntime's (the aarch64 wheel from PyPI). This module fetches
those binaries into the build cache, and lays out, per machine, the sysroot
qemu-user is given with `-L`: the cross C library, the fetched libraries, and
an ARM board's /proc/cpuinfo and /sys/devices/system/cpu, because qemu-user
shows the guest the host's own files there, and both libraries read them to
pick their kernels (onnxruntime crashes on an x86 /proc/cpuinfo).
bench/anchor_xnnpack.py and bench/anchor_ort.py drive the libraries.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

XNNPACK_VERSION = "0.0~git20220216.ae108ef-2"
"""The one XNNPACK Debian 12 (bookworm) ships, a February 2022 snapshot."""
XNNPACK_PACKAGES = ("libxnnpack0", "libxnnpack-dev", "libcpuinfo0", "libpthreadpool0",
                    "libpthreadpool-dev")
DEBIAN_MIRROR = "http://deb.debian.org/debian"
DEBIAN_SUITE = "bookworm"
PYPI_INDEX = "https://pypi.org/simple"
ORT_VERSION = "1.32.0"
ORT_PLATFORMS = ("manylinux_2_28_aarch64", "manylinux2014_aarch64")
ORT_LIBRARY = f"libonnxruntime.so.{ORT_VERSION}"


class AnchorUnavailable(Exception):
    """An anchor could not be fetched or built here (no network, no package):
    the benchmark says so in its cell instead of failing."""


@dataclass(frozen=True)
class Board:
    """What the guest sees of the board in the sysroot: its Debian
    architecture, multiarch triplet, and /proc/cpuinfo."""

    debian_arch: str
    triplet: str
    cpus: int
    cpuinfo: str
    max_khz: int


_PI4_CORE = """processor\t: {n}
BogoMIPS\t: 108.00
Features\t: fp asimd evtstrm crc32 cpuid
CPU implementer\t: 0x41
CPU architecture: 8
CPU variant\t: 0x0
CPU part\t: 0xd08
CPU revision\t: 3
"""
_PI2_CORE = """processor\t: {n}
model name\t: ARMv7 Processor rev 5 (v7l)
BogoMIPS\t: 38.40
Features\t: half thumb fastmult vfp edsp neon vfpv3 tls vfpv4 idiva idivt vfpd32 lpae evtstrm
CPU implementer\t: 0x41
CPU architecture: 7
CPU variant\t: 0x0
CPU part\t: 0xc07
CPU revision\t: 5
"""


def _cpuinfo(core: str, cpus: int, hardware: str, revision: str, model: str) -> str:
    body = "\n".join(core.format(n=n) for n in range(cpus))
    return f"{body}\nHardware\t: {hardware}\nRevision\t: {revision}\nModel\t\t: {model}\n"


BOARDS = {
    # Raspberry Pi 4 Model B: four Cortex-A72 (ARMv8.0-A, no crypto: the same
    # user-level ISA as `qemu-aarch64 -cpu cortex-a53`). The libraries pick
    # kernels by core: XNNPACK's for a Cortex-A53 run more instructions
    # (docs/bench-arm.md).
    "aarch64": Board("arm64", "aarch64-linux-gnu", 4, _cpuinfo(
        _PI4_CORE, 4, "BCM2835", "c03111", "Raspberry Pi 4 Model B Rev 1.1"), 1500000),
    # Raspberry Pi 2 Model B: four Cortex-A7, as `qemu-arm -cpu cortex-a7`.
    "armv7": Board("armhf", "arm-linux-gnueabihf", 4, _cpuinfo(
        _PI2_CORE, 4, "BCM2835", "a01041", "Raspberry Pi 2 Model B Rev 1.1"), 900000),
}


def cache_dir() -> Path:
    from pelemay_ir import cbuild

    return cbuild.cache_root() / "anchors"


def _one_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else "no message"


def _run(command: Sequence[str], what: str, **kwargs) -> None:
    try:
        done = subprocess.run(list(command), capture_output=True, text=True, **kwargs)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise AnchorUnavailable(f"{what}: {e}") from None
    if done.returncode != 0:
        raise AnchorUnavailable(f"{what}: {_one_line(done.stderr or done.stdout)}")


# --- fetching -------------------------------------------------------------------


def debian_root(arch: str) -> Path:
    """XNNPACK and the libraries it needs for a Debian architecture (arm64,
    armhf), unpacked with `dpkg -x` into one root; fetched once with
    `apt-get download` against a package list of that architecture kept
    apart from the host's own apt state."""
    root = cache_dir() / f"debian-{arch}"
    done = root / ".complete"
    if done.exists():
        return root
    for tool in ("apt-get", "dpkg"):
        if shutil.which(tool) is None:
            raise AnchorUnavailable(f"fetching Debian's {arch} XNNPACK needs {tool}")
    with tempfile.TemporaryDirectory(prefix=f"pelemay-apt-{arch}-") as tmp:
        t = Path(tmp)
        for sub in ("lists/partial", "cache/archives/partial", "debs"):
            (t / sub).mkdir(parents=True)
        keyring = "/usr/share/keyrings/debian-archive-keyring.gpg"
        signed = f" signed-by={keyring}" if Path(keyring).exists() else ""
        (t / "sources.list").write_text(
            f"deb [arch={arch}{signed}] {DEBIAN_MIRROR} {DEBIAN_SUITE} main\n")
        options = [
            "-q", "-o", f"APT::Architecture={arch}", "-o", f"APT::Architectures::={arch}",
            "-o", f"Dir::State::Lists={t / 'lists'}", "-o", f"Dir::Cache={t / 'cache'}",
            "-o", f"Dir::Etc::SourceList={t / 'sources.list'}",
            "-o", "Dir::Etc::SourceParts=/nonexistent", "-o", "Dir::State::status=/dev/null",
            "-o", "Debug::NoLocking=1", "-o", "APT::Sandbox::User=root",
        ]
        what = f"cannot fetch Debian {DEBIAN_SUITE} {arch} XNNPACK (network?)"
        _run(["apt-get", *options, "update"], what, timeout=600)
        wanted = [f"{p}={XNNPACK_VERSION}" if p.startswith("libxnnpack") else p
                  for p in XNNPACK_PACKAGES]
        _run(["apt-get", *options, "download", *wanted], what, cwd=t / "debs", timeout=600)
        staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=_ensure(cache_dir())))
        for deb in sorted((t / "debs").glob("*.deb")):
            _run(["dpkg", "-x", str(deb), str(staging)], f"cannot unpack {deb.name}")
        names = sorted(p.name for p in (t / "debs").glob("*.deb"))
        (staging / ".complete").write_text("\n".join(names) + "\n")
    if root.exists():
        shutil.rmtree(root)
    os.replace(staging, root)
    return root


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def ort_root() -> Path:
    """onnxruntime's aarch64 shared library from its PyPI wheel
    (`pip download --platform manylinux_2_28_aarch64 --only-binary=:all:
    --no-deps onnxruntime==VERSION`), unpacked once."""
    root = cache_dir() / f"onnxruntime-{ORT_VERSION}-aarch64"
    if (root / ORT_LIBRARY).exists():
        return root
    with tempfile.TemporaryDirectory(prefix="pelemay-ort-") as tmp:
        platforms = [a for p in ORT_PLATFORMS for a in ("--platform", p)]
        # Any CPython's wheel holds the same libonnxruntime.so.
        _run([sys.executable, "-m", "pip", "download", "--isolated", "--disable-pip-version-check",
              "--index-url", PYPI_INDEX, "--retries", "1", "--timeout", "60", *platforms,
              "--python-version", "3.11", "--only-binary=:all:", "--no-deps",
              "-d", tmp, f"onnxruntime=={ORT_VERSION}"],
             f"cannot fetch the onnxruntime {ORT_VERSION} aarch64 wheel from PyPI (network?)",
             timeout=900)
        wheels = sorted(Path(tmp).glob("onnxruntime-*.whl"))
        if not wheels:
            raise AnchorUnavailable(f"pip fetched no onnxruntime {ORT_VERSION} aarch64 wheel")
        staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=_ensure(cache_dir())))
        with zipfile.ZipFile(wheels[0]) as wheel:
            for name in wheel.namelist():
                if name.startswith("onnxruntime/capi/libonnxruntime"):
                    (staging / Path(name).name).write_bytes(wheel.read(name))
        (staging / "WHEEL").write_text(wheels[0].name + "\n")
    if not (staging / ORT_LIBRARY).exists():
        shutil.rmtree(staging)
        raise AnchorUnavailable(f"{wheels[0].name} holds no {ORT_LIBRARY}")
    if root.exists():
        shutil.rmtree(root)
    os.replace(staging, root)
    return root


# --- the board sysroot ----------------------------------------------------------


def write_board_files(root: Path, board: Board) -> None:
    """/proc/cpuinfo and the /sys/devices/system/cpu files of `board` under `root`."""
    (root / "proc").mkdir(parents=True, exist_ok=True)
    (root / "proc" / "cpuinfo").write_text(board.cpuinfo)
    cpu = root / "sys" / "devices" / "system" / "cpu"
    cpu.mkdir(parents=True, exist_ok=True)
    span = f"0-{board.cpus - 1}\n" if board.cpus > 1 else "0\n"
    for name in ("possible", "present", "online"):
        (cpu / name).write_text(span)
    (cpu / "kernel_max").write_text(f"{max(board.cpus - 1, 3)}\n")
    for n in range(board.cpus):
        topology = cpu / f"cpu{n}" / "topology"
        topology.mkdir(parents=True, exist_ok=True)
        for name, text in (("physical_package_id", "0"), ("core_id", str(n)),
                           ("core_siblings_list", span.strip()), ("package_cpus_list", span.strip()),
                           ("thread_siblings_list", str(n)), ("core_cpus_list", str(n))):
            (topology / name).write_text(text + "\n")
        freq = cpu / f"cpu{n}" / "cpufreq"
        freq.mkdir(parents=True, exist_ok=True)
        (freq / "cpuinfo_max_freq").write_text(f"{board.max_khz}\n")
        (freq / "cpuinfo_min_freq").write_text(f"{board.max_khz // 2}\n")


def sysroot(target: str, libraries: Sequence[Path] = (), tag: str = "base") -> Path:
    """The directory qemu-user is given with `-L` for `target`: `lib` is the
    cross C library's (the machine's own `-L` directory), `usr/lib/TRIPLET`
    holds `libraries`, and proc/ and sys/ describe the board. One per target
    and `tag`, rebuilt each call (it is links and small files)."""
    from pelemay_ir.machines import machine

    if target not in BOARDS:
        raise AnchorUnavailable(f"no board description for target '{target}'")
    board = BOARDS[target]
    m = machine(target)
    cross = Path(m.runner[m.runner.index("-L") + 1]) if m.runner and "-L" in m.runner else None
    if cross is None or not (cross / "lib").is_dir():
        raise AnchorUnavailable(f"target '{target}' has no cross C library directory")
    root = _ensure(cache_dir()) / f"sysroot-{target}-{tag}"
    if root.exists():
        shutil.rmtree(root)
    (root / "usr" / "lib" / board.triplet).mkdir(parents=True)
    (root / "lib").symlink_to(cross / "lib")
    for library in {p.name: p for p in libraries}.values():
        (root / "usr" / "lib" / board.triplet / library.name).symlink_to(library.resolve())
    write_board_files(root, board)
    return root


def guest_library_dir(target: str) -> str:
    """Where, inside the guest, `sysroot` puts the fetched libraries."""
    return f"/usr/lib/{BOARDS[target].triplet}"


def machine_in(target: str, root: Path):
    """The target's machine, with qemu's `-L` pointing at `root` instead."""
    from pelemay_ir.machines import machine

    m = machine(target)
    runner = list(m.runner)
    runner[runner.index("-L") + 1] = str(root)
    return dataclasses.replace(m, runner=tuple(runner))


def build_driver(source: str, name: str, cc: str, flags: Sequence[str],
                 link: Sequence[str]) -> Path:
    """A driver executable, cached by its source, flags and libraries
    (`link` comes after the source on the command line)."""
    import hashlib

    from pelemay_ir import cbuild

    key = hashlib.sha256()
    for part in (cc, cbuild.compiler_version(cc), *flags, *link, source):
        key.update(part.encode() + b"\0")
    where = _ensure(cache_dir() / "drivers" / key.hexdigest()[:32])
    exe = where / name
    if exe.exists():
        return exe
    (where / f"{name}.c").write_text(source)
    command = [cc, *flags, f"{name}.c", "-o", f".{name}.tmp", *link]
    done = subprocess.run(command, cwd=where, capture_output=True, text=True)
    if done.returncode != 0:
        raise cbuild.BuildError(f"{' '.join(command)} failed in {where}:\n{done.stderr}")
    os.replace(where / f".{name}.tmp", exe)
    return exe


def count_driver(exe: Path, target: str, root: Path, args: Sequence[str], what: str,
                 output_file: Path, output_shapes: Sequence[Sequence[int]]) -> tuple[int, list]:
    """Run an anchor's driver once under the instruction counter, counting its
    `anchor_run` call: the count, and the f32 outputs it wrote, one array per shape."""
    import numpy as np

    from pelemay_ir import icount

    try:
        n = icount.count_instructions(exe, machine_in(target, root), list(args), function="anchor_run")
    except subprocess.TimeoutExpired as e:
        raise icount.CountError(f"{what} driver timed out after {e.timeout} s") from None
    data = np.frombuffer(output_file.read_bytes(), np.float32)
    outputs, at = [], 0
    for shape in output_shapes:
        size = int(np.prod(shape, dtype=np.int64))
        outputs.append(data[at:at + size].reshape(shape))
        at += size
    return n, outputs
