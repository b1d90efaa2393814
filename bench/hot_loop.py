"""The hottest inner loop of gcc's AArch64 assembly, and llvm-mca's estimate of it.

llvm-mca times a straight sequence of instructions repeated back to back; run
on a whole function, its cycle count adds up code that executes once and code
that executes millions of times alike, and means nothing. An innermost loop
body is exactly such a repeated sequence, so that is what we give it.

Loops are the natural loops of the assembly's control-flow graph: basic
blocks split at labels and branches (`b`, `bne`/`b.ne`, `cbz`, `cbnz`, `tbz`,
`tbnz`), a back edge being a branch to a block that dominates it. The
innermost loops are those holding no other loop's header. The hottest is
taken among the loops on 128-bit vector registers when there are any (in
vector code a scalar loop is a tail, or gcc's fallback for overlapping
buffers, which the harness never takes), as the most deeply nested one, then
the longest (in the kernels measured here equally deep loops run equally
often, so the longest body costs most).

Limits, stated in docs/bench-arm.md: llvm-mca ignores branches, so a body with
an if inside is timed as if every instruction ran every iteration; a call
(`bl expf`) is timed as one instruction, not its callee; the choice of loop is
a static guess; memory is assumed to hit in L1.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

CORES = ("cortex-a72", "cortex-a53")
"""The AArch64 cores llvm-mca has scheduling models for that our aarch64 machine stands for."""

ITERATIONS = 500
"""Iterations llvm-mca simulates: enough for the steady state to dominate."""

_LABEL = re.compile(r"^([.\w$]+):")
_CONDITIONS = ("eq", "ne", "cs", "hs", "cc", "lo", "mi", "pl", "vs", "vc", "hi", "ls", "ge",
               "lt", "gt", "le", "al")
_BRANCHES = {"b", "cbz", "cbnz", "tbz", "tbnz", *(f"b{c}" for c in _CONDITIONS),
             *(f"b.{c}" for c in _CONDITIONS)}
"""gcc prints a conditional branch as `bne` or `b.ne`; `bl` (a call) is not a branch here."""
_ENDS = ("ret", "br")
"""Instructions after which control does not fall through (besides `b`)."""


class McaError(RuntimeError):
    """llvm-mca is missing or could not time a loop."""


@dataclass(frozen=True)
class Loop:
    """One innermost loop of an assembly file."""

    label: str
    depth: int
    """Loops enclosing it, itself included (1: not nested)."""
    body: tuple[str, ...]
    """Its instructions, in order, as gcc printed them."""

    @property
    def calls(self) -> tuple[str, ...]:
        """Functions the body calls (their cost is not in llvm-mca's figure)."""
        return tuple(line.split()[1] for line in self.body if line.split()[0] == "bl")


def _strip(line: str) -> str:
    return line.split("//", 1)[0].strip()


def _branch_target(instruction: str) -> str | None:
    mnemonic, _, operands = instruction.partition(" ")
    mnemonic = mnemonic.strip()
    if mnemonic in _BRANCHES:
        return operands.split(",")[-1].strip() or None
    return None


def _blocks(assembly: str) -> list[tuple[list[str], list[str]]]:
    """Basic blocks of an assembly file in order: (labels, instructions), split at
    every label and after every branch and return."""
    blocks: list[tuple[list[str], list[str]]] = [([], [])]
    for raw in assembly.splitlines():
        line = _strip(raw)
        found = _LABEL.match(line)
        if found:
            if blocks[-1][1]:
                blocks.append(([], []))
            blocks[-1][0].append(found.group(1))
            line = line[found.end():].strip()
        if not line or line.startswith("."):
            continue  # nothing, or a directive
        line = " ".join(line.split())
        blocks[-1][1].append(line)
        if _branch_target(line) is not None or line.split()[0] in _ENDS:
            blocks.append(([], []))
    return [b for b in blocks if b[0] or b[1]]


def _successors(blocks: list[tuple[list[str], list[str]]]) -> list[set[int]]:
    where = {label: k for k, (labels, _) in enumerate(blocks) for label in labels}
    successors = []
    for k, (_, insns) in enumerate(blocks):
        last = insns[-1] if insns else ""
        mnemonic = last.split()[0] if last else ""
        next_blocks = set()
        target = _branch_target(last) if last else None
        if target in where:
            next_blocks.add(where[target])
        if mnemonic not in ("b", *_ENDS) and k + 1 < len(blocks):
            next_blocks.add(k + 1)
        successors.append(next_blocks)
    return successors


def innermost_loops(assembly: str) -> list[Loop]:
    """Every innermost natural loop of gcc's AArch64 assembly, in file order.

    A loop is a back edge (a branch to a block that dominates the branch) and
    the blocks that reach the branch without passing the loop's header; a
    backward jump that is not a back edge (to a shared return) is no loop."""
    blocks = _blocks(assembly)
    successors = _successors(blocks)
    predecessors: list[set[int]] = [set() for _ in blocks]
    for k, after in enumerate(successors):
        for n in after:
            predecessors[n].add(k)
    everything = set(range(len(blocks)))
    roots = {k for k in everything if not predecessors[k]} | {0}
    dominators = [{k} if k in roots else set(everything) for k in everything]
    changed = True
    while changed:
        changed = False
        for k in everything - roots:
            common = set.intersection(*(dominators[p] for p in predecessors[k]))
            if common | {k} != dominators[k]:
                dominators[k], changed = common | {k}, True
    loops: dict[int, set[int]] = {}
    for tail, after in enumerate(successors):
        for header in after:
            if header in dominators[tail]:
                members, work = loops.setdefault(header, {header}), [tail]
                while work:
                    n = work.pop()
                    if n not in members:
                        members.add(n)
                        work.extend(predecessors[n])
    found = []
    for header, members in sorted(loops.items()):
        if any(other != header and other in members for other in loops):
            continue  # holds an inner loop
        depth = sum(header in other for other in loops.values())
        body = tuple(insn for k in sorted(members) for insn in blocks[k][1])
        found.append(Loop(blocks[header][0][0] if blocks[header][0] else f"block {header}",
                          depth, body))
    return found


_VECTOR_REGISTER = re.compile(r"\b(?:v\d+\.\d*[bhsd]|q\d+)\b")


def _uses_vectors(loop: Loop) -> bool:
    return any(_VECTOR_REGISTER.search(insn) for insn in loop.body)


def hottest_loop(assembly: str) -> Loop | None:
    """Of the innermost loops on vector registers (else of all), the most deeply
    nested one, then the longest. None without loops."""
    loops = innermost_loops(assembly)
    return max(loops, key=lambda loop: (_uses_vectors(loop), loop.depth, len(loop.body)),
               default=None)


def mca_tool() -> str:
    for name in ("llvm-mca-16", "llvm-mca"):
        path = shutil.which(name)
        if path:
            return path
    raise McaError("llvm-mca (LLVM >= 16) was not found on PATH; install Debian's llvm-16")


def cycles_per_iteration(loop: Loop, core: str) -> float:
    """llvm-mca's steady-state cycles for one iteration of `loop` on AArch64 `core`:
    its simulated total over many back-to-back iterations divided by their number,
    so a dependence carried from one iteration to the next (an accumulator) counts."""
    with tempfile.TemporaryDirectory(prefix="pelemay-mca-") as tmp:
        source = Path(tmp) / "loop.s"
        source.write_text("".join(f"\t{line}\n" for line in loop.body))
        command = [mca_tool(), "-mtriple=aarch64-linux-gnu", f"-mcpu={core}",
                   f"-iterations={ITERATIONS}", str(source)]
        done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise McaError(f"{' '.join(command[:-1])} failed on loop {loop.label}:\n{done.stderr}")
    fields = dict(re.findall(r"^(Iterations|Total Cycles):\s+(\d+)", done.stdout, re.M))
    if set(fields) != {"Iterations", "Total Cycles"}:
        raise McaError(f"llvm-mca printed no cycle count for loop {loop.label}")
    return int(fields["Total Cycles"]) / int(fields["Iterations"])
