"""Reports of a memory plan: JSON for tools, a text table for people, an SVG plot for both.

Every report measures the arena against the same two yardsticks, the lower
bound (most bytes alive at one op) and the naive sum of all buffers, because
"how far from the bound" is the question users ask of a plan. The plot draws
time (op index) across and arena offset up, one rectangle per buffer: that
picture is how one sees where the arena goes.
"""

from __future__ import annotations

import json
import zlib
from typing import Any, Sequence
from xml.sax.saxutils import escape, quoteattr

from pelemay_ir.memory.planner import Buffer, Plan, lower_bound, naive_bytes


def _entries(buffers: Sequence[Buffer], plan: Plan) -> list[dict[str, Any]]:
    missing = [buf.name for buf in buffers if buf.name not in plan.offsets]
    if missing:
        raise ValueError(f"the plan has no offset for buffer(s) {', '.join(repr(m) for m in missing)}")
    rows = [
        {
            "name": buf.name,
            "size": buf.size,
            "offset": plan.offsets[buf.name],
            "first_use": buf.first_use,
            "last_use": buf.last_use,
        }
        for buf in buffers
    ]
    rows.sort(key=lambda row: (row["offset"], row["name"]))
    return rows


def report_dict(buffers: Sequence[Buffer], plan: Plan, alignment: int) -> dict[str, Any]:
    """The plan and its yardsticks as plain data (buffers sorted by offset, then name)."""
    return {
        "algorithm": plan.algorithm,
        "alignment": alignment,
        "arena_bytes": plan.arena_bytes,
        "lower_bound_bytes": lower_bound(buffers, alignment),
        "naive_bytes": naive_bytes(buffers, alignment),
        "buffers": _entries(buffers, plan),
    }


def report_json(buffers: Sequence[Buffer], plan: Plan, alignment: int) -> str:
    """`report_dict` as JSON, byte-identical for the same input (sorted keys, indent 2, final newline)."""
    return json.dumps(report_dict(buffers, plan, alignment), sort_keys=True, indent=2) + "\n"


def _ratio(numerator: int, denominator: int) -> str:
    return f"{numerator / denominator:.3f}" if denominator else "n/a"


def summary_line(buffers: Sequence[Buffer], plan: Plan, alignment: int) -> str:
    """One line: arena, bound and naive sizes and how they compare."""
    bound = lower_bound(buffers, alignment)
    naive = naive_bytes(buffers, alignment)
    return (
        f"arena {plan.arena_bytes} B ({plan.algorithm}, alignment {alignment}); "
        f"lower bound {bound} B, arena/bound {_ratio(plan.arena_bytes, bound)}; "
        f"naive {naive} B, arena/naive {_ratio(plan.arena_bytes, naive)}"
    )


def report_table(buffers: Sequence[Buffer], plan: Plan, alignment: int) -> str:
    """A fixed-width table of buffers by offset, then the summary line."""
    rows = _entries(buffers, plan)
    header = ("buffer", "offset", "end", "size", "live ops")
    cells = [
        (
            row["name"],
            str(row["offset"]),
            str(row["offset"] + row["size"]),
            str(row["size"]),
            f"{row['first_use']}..{row['last_use']}",
        )
        for row in rows
    ]
    widths = [max([len(header[col])] + [len(cell[col]) for cell in cells]) for col in range(len(header))]

    def line(values: Sequence[str]) -> str:
        name = values[0].ljust(widths[0])
        numbers = [values[col].rjust(widths[col]) for col in range(1, len(values))]
        return "  ".join([name] + numbers).rstrip()

    out = [line(header), "  ".join("-" * width for width in widths)]
    out += [line(cell) for cell in cells]
    out.append(summary_line(buffers, plan, alignment))
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------
# SVG plot

_WIDTH, _HEIGHT = 960, 540
_LEFT, _RIGHT, _TOP, _BOTTOM = 90, 150, 50, 60


def _nice_step(span: float, target_ticks: int = 8) -> int:
    """A 1/2/5 x 10^k tick step giving about `target_ticks` ticks over `span`."""
    raw = max(span / target_ticks, 1)
    magnitude = 1
    while magnitude * 10 <= raw:
        magnitude *= 10
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= raw:
            return factor * magnitude
    return 10 * magnitude


def _colour(name: str) -> str:
    hue = zlib.crc32(name.encode()) % 360  # stable across runs, unlike hash()
    return f"hsl({hue},60%,70%)"


def _bytes_label(value: int) -> str:
    if value >= 1 << 20:
        return f"{value / (1 << 20):.4g} MiB"
    if value >= 1 << 10:
        return f"{value / (1 << 10):.4g} KiB"
    return f"{value} B"


def plot_svg(buffers: Sequence[Buffer], plan: Plan, title: str, alignment: int = 16) -> str:
    """The plan as an SVG picture: x is op index, y is arena offset, one rectangle per buffer.

    Dashed lines mark the lower bound and the arena size; hovering a rectangle
    shows the buffer's name, size, offset and live ops.
    """
    rows = _entries(buffers, plan)
    bound = lower_bound(buffers, alignment)
    ops_end = max((row["last_use"] + 1 for row in rows), default=1)
    ops_start = min((row["first_use"] for row in rows), default=0)
    top = max([plan.arena_bytes, bound, 1] + [row["offset"] + row["size"] for row in rows])
    plot_w = _WIDTH - _LEFT - _RIGHT
    plot_h = _HEIGHT - _TOP - _BOTTOM

    def x(op: float) -> float:
        return _LEFT + (op - ops_start) / max(ops_end - ops_start, 1) * plot_w

    def y(offset: float) -> float:
        return _TOP + plot_h - offset / top * plot_h

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{_HEIGHT}" '
        f'viewBox="0 0 {_WIDTH} {_HEIGHT}" font-family="sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<path class="background" d="M0 0H{_WIDTH}V{_HEIGHT}H0Z" fill="white"/>',
        f'<text x="{_WIDTH / 2:.1f}" y="24" text-anchor="middle" font-size="16">{escape(title)}</text>',
    ]

    # Axes, ticks and grid.
    axis = ['<g class="axes" stroke="black" fill="none">']
    axis.append(f'<path d="M{_LEFT} {_TOP}V{_TOP + plot_h}H{_LEFT + plot_w}"/>')
    axis.append("</g>")
    labels = ['<g class="ticks" fill="black">']
    op_step = _nice_step(ops_end - ops_start, 12)
    first_tick = -(-ops_start // op_step) * op_step
    for op in range(first_tick, ops_end + 1, op_step):
        px = x(op)
        axis.insert(-1, f'<path d="M{px:.1f} {_TOP + plot_h}v5"/>')
        labels.append(f'<text x="{px:.1f}" y="{_TOP + plot_h + 18}" text-anchor="middle">{op}</text>')
    unit = 1 if top < 4 << 10 else (1 << 10 if top < 4 << 20 else 1 << 20)  # ticks at round KiB/MiB
    byte_step = _nice_step(top / unit, 8) * unit
    for offset in range(0, top + 1, byte_step):
        py = y(offset)
        axis.insert(-1, f'<path d="M{_LEFT - 5} {py:.1f}h5"/>')
        labels.append(f'<text x="{_LEFT - 8}" y="{py + 4:.1f}" text-anchor="end">{_bytes_label(offset)}</text>')
    labels.append(
        f'<text x="{_LEFT + plot_w / 2:.1f}" y="{_HEIGHT - 15}" text-anchor="middle">op index</text>'
    )
    labels.append(
        f'<text x="20" y="{_TOP + plot_h / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 20 {_TOP + plot_h / 2:.1f})">arena offset (bytes)</text>'
    )
    labels.append("</g>")
    out += axis + labels

    # Buffers.
    out.append('<g class="buffers" stroke="black" stroke-width="0.5">')
    for row in rows:
        x0, x1 = x(row["first_use"]), x(row["last_use"] + 1)
        y0, y1 = y(row["offset"] + row["size"]), y(row["offset"])
        tip = (
            f"{row['name']}: {row['size']} B at offset {row['offset']}, "
            f"live at ops {row['first_use']}..{row['last_use']}"
        )
        out.append(
            f'<rect x="{x0:.2f}" y="{y0:.2f}" width="{max(x1 - x0, 0.5):.2f}" height="{max(y1 - y0, 0.5):.2f}" '
            f'fill="{_colour(row["name"])}"><title>{escape(tip)}</title></rect>'
        )
        if x1 - x0 > 7 * len(row["name"]) + 4 and y1 - y0 > 14:
            out.append(
                f'<text x="{(x0 + x1) / 2:.2f}" y="{(y0 + y1) / 2 + 4:.2f}" text-anchor="middle" '
                f'stroke="none">{escape(row["name"])}</text>'
            )
    out.append("</g>")

    # Yardsticks.
    label_nudge = 14 if abs(y(bound) - y(plan.arena_bytes)) < 14 else 0  # keep equal lines' labels apart
    for value, label, colour, nudge in (
        (bound, "lower bound", "#1a7f37", label_nudge),
        (plan.arena_bytes, "arena", "#cf222e", 0),
    ):
        py = y(value)
        out.append(
            f'<g class="yardstick"><path d="M{_LEFT} {py:.2f}H{_LEFT + plot_w}" stroke={quoteattr(colour)} '
            f'stroke-dasharray="6 4" stroke-width="1.5"/>'
            f'<text x="{_LEFT + plot_w + 6}" y="{py + 4 + nudge:.2f}" fill={quoteattr(colour)}>'
            f"{escape(label)} {escape(_bytes_label(value))}</text></g>"
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"
