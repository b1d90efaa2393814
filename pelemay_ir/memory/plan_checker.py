"""An independent check of a memory plan, written apart from the planner.

A wrong plan corrupts data silently at run time, so the plan is re-checked by
code that shares nothing with the code that made it. The check states what the
generated code relies on:

- every buffer has exactly one offset, and no offset names an unknown buffer;
- offsets are non-negative multiples of `alignment`;
- each buffer's bytes, its size rounded up to `alignment`, lie inside
  `[0, arena_bytes)` (the rounded size is checked so that vectorised code may
  touch the padding);
- two buffers alive at a common op (inclusive lifetimes `first_use..last_use`)
  do not share a byte of their rounded extents;
- `arena_bytes` is a multiple of `alignment`, so an arena placed at an aligned
  address ends on an aligned address and arenas or sections can be stacked.

Buffers are any objects with `.name`, `.size`, `.first_use` and `.last_use`.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping


def _rounded(size: int, alignment: int) -> int:
    remainder = size % alignment
    return size if remainder == 0 else size + alignment - remainder


def _describe(name: str, start: int, end: int, first: int, last: int) -> str:
    return f"'{name}' (bytes [{start}, {end}), live at ops {first}..{last})"


def check_plan(buffers: Iterable[Any], offsets: Mapping[str, int], arena_bytes: int, alignment: int) -> list[str]:
    """Every way the plan breaks the rules above, as readable sentences ([] when it is sound)."""
    problems: list[str] = []
    if not isinstance(alignment, int) or isinstance(alignment, bool) or alignment <= 0:
        return [f"alignment must be a positive integer, got {alignment!r}"]
    arena: int | None = arena_bytes  # None: no size to check the buffers' ends against
    if not isinstance(arena_bytes, int) or arena_bytes < 0:
        problems.append(f"arena size {arena_bytes!r} is not a non-negative integer")
        arena = None
    elif arena_bytes % alignment != 0:
        problems.append(f"arena size {arena_bytes} is not a multiple of the alignment {alignment}")

    # (name, start, end, first, last) of every buffer that can take part in the overlap check
    extents: list[tuple[str, int, int, int, int]] = []
    seen: set[str] = set()
    for buf in buffers:
        name, size, first, last = buf.name, buf.size, buf.first_use, buf.last_use
        if name in seen:
            problems.append(f"buffer '{name}' is listed twice")
            continue
        seen.add(name)
        if not isinstance(size, int) or size <= 0:
            problems.append(f"buffer '{name}' has size {size!r}; it must be a positive integer")
            continue
        if not isinstance(first, int) or not isinstance(last, int) or first > last:
            problems.append(f"buffer '{name}' has an empty or malformed lifetime {first!r}..{last!r}")
            continue
        if name not in offsets:
            problems.append(f"buffer '{name}' has no offset in the plan")
            continue
        start = offsets[name]
        if not isinstance(start, int) or isinstance(start, bool):
            problems.append(f"buffer '{name}' has offset {start!r}, which is not an integer")
            continue
        end = start + _rounded(size, alignment)
        if start < 0:
            problems.append(f"buffer '{name}' starts at offset {start}, before the arena")
        if start % alignment != 0:
            problems.append(f"buffer '{name}' is at offset {start}, which is not a multiple of the alignment {alignment}")
        if arena is not None and end > arena:
            problems.append(
                f"buffer '{name}' occupies bytes [{start}, {end}), past the end of the {arena}-byte arena"
            )
        extents.append((name, start, end, first, last))

    for name in sorted(set(offsets) - seen):
        problems.append(f"the plan gives an offset to '{name}', which is not a buffer of the program")

    # Sweep by start byte: only buffers whose byte ranges are still open can collide.
    extents.sort(key=lambda e: (e[1], e[0]))
    open_ranges: list[tuple[str, int, int, int, int]] = []
    for current in extents:
        name, start, end, first, last = current
        open_ranges = [other for other in open_ranges if other[2] > start]
        for other in open_ranges:
            o_name, o_start, o_end, o_first, o_last = other
            if o_first <= last and first <= o_last:
                problems.append(
                    f"buffers {_describe(o_name, o_start, o_end, o_first, o_last)} and "
                    f"{_describe(name, start, end, first, last)} overlap at bytes "
                    f"[{max(start, o_start)}, {min(end, o_end)}) while both are live at ops "
                    f"{max(first, o_first)}..{min(last, o_last)}"
                )
        open_ranges.append(current)
    return problems
