"""Reports of a memory plan: JSON for tools, a text table for people, an SVG plot for both.

Every report measures the arena against the same two yardsticks, the lower
bound (most bytes alive at one op) and the naive sum of all buffers, because
"how far from the bound" is the question users ask of a plan. The plot draws
time (op index) across and arena offset up, one rectangle per buffer: that
picture is how one sees where the arena goes.
"""

from __future__ import annotations

import colorsys
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
_LABEL_FONT, _LEGEND_ROW = 11, 16
LABELLED = 8
"""How many of the largest buffers the plot always names with their size."""


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
    """A pastel fill, stable across runs (unlike hash()), as hex: SVG 1.1 renderers know no hsl()."""
    hue = zlib.crc32(name.encode()) % 360
    red, green, blue = colorsys.hls_to_rgb(hue / 360, 0.70, 0.60)
    return f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}"


def _bytes_label(value: int) -> str:
    if value >= 1 << 20:
        return f"{value / (1 << 20):.4g} MiB"
    if value >= 1 << 10:
        return f"{value / (1 << 10):.4g} KiB"
    return f"{value} B"


def _text_width(text: str, font_size: float = _LABEL_FONT) -> float:
    """A generous estimate of the width in common sans fonts (em per character class): labels must not spill."""
    ems = sum(
        0.34 if char in "il.,:;'|! " else 0.98 if char in "mwMW" else 0.75 if char.isupper() else 0.64
        for char in text
    )
    return ems * font_size


def _label_in_box(text: str, x0: float, y0: float, x1: float, y1: float) -> str | None:
    """`text` centred in the box, across or (in a tall narrow box) upwards; None when it fits neither way."""
    width, height = x1 - x0, y1 - y0
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    need, line = _text_width(text) + 4, _LABEL_FONT + 3
    if width >= need and height >= line:
        return f'<text x="{cx:.2f}" y="{cy + 4:.2f}" text-anchor="middle">{escape(text)}</text>'
    if height >= need and width >= line:
        return (
            f'<text x="{cx:.2f}" y="{cy + 4:.2f}" text-anchor="middle" '
            f'transform="rotate(-90 {cx:.2f} {cy:.2f})">{escape(text)}</text>'
        )
    return None


def plot_svg(
    buffers: Sequence[Buffer], plan: Plan, title: str, alignment: int = 16, labelled: int = LABELLED
) -> str:
    """The plan as an SVG picture: x is op index, y is arena offset, one rectangle per buffer.

    Dashed lines mark the lower bound and the arena size; hovering a rectangle
    shows the buffer's name, size, offset and live ops. Every buffer is named
    inside its rectangle where the name fits; the `labelled` largest always
    get name and size, inside their rectangle or, when it is too small, in a
    numbered legend under the plot (the number marks the rectangle where it
    fits). Colours are hex, so that every SVG renderer draws them.
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

    def box(row: dict[str, Any]) -> tuple[float, float, float, float]:
        return x(row["first_use"]), y(row["offset"] + row["size"]), x(row["last_use"] + 1), y(row["offset"])

    # Labels first: the legend's length decides the picture's size.
    largest = sorted(rows, key=lambda row: (-row["size"], row["name"]))
    named = {row["name"] for row in largest[:labelled]}
    labels, markers, legend = [], [], []
    for row in largest:
        sized = f"{row['name']} {_bytes_label(row['size'])}"
        label = _label_in_box(sized, *box(row)) or (
            None if row["name"] in named else _label_in_box(row["name"], *box(row))
        )
        if label is not None:
            labels.append(label)
        elif row["name"] in named:
            key = str(len(legend) + 1)
            legend.append((key, row, f"{key}  {sized}, ops {row['first_use']}..{row['last_use']}"))
            x0, y0, x1, y1 = box(row)
            if x1 - x0 >= _text_width(key) + 4 and y1 - y0 >= _LABEL_FONT + 3:
                markers.append(
                    f'<text x="{(x0 + x1) / 2:.2f}" y="{(y0 + y1) / 2 + 4:.2f}" text-anchor="middle" '
                    f'font-weight="bold">{key}</text>'
                )
    legend_top = _HEIGHT + 6
    height = legend_top + _LEGEND_ROW * (len(legend) + 1) if legend else _HEIGHT
    width = max([_WIDTH] + [_LEFT + 20 + _text_width(line, 12) for _, _, line in legend])
    width = int(width + 0.999)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<path class="background" d="M0 0H{width}V{height}H0Z" fill="#ffffff"/>',
        f'<text x="{_WIDTH / 2:.1f}" y="24" text-anchor="middle" font-size="16">{escape(title)}</text>',
    ]

    # Axes, ticks and grid.
    axis = ['<g class="axes" stroke="#000000" fill="none">']
    axis.append(f'<path d="M{_LEFT} {_TOP}V{_TOP + plot_h}H{_LEFT + plot_w}"/>')
    axis.append("</g>")
    ticks = ['<g class="ticks" fill="#000000">']
    op_step = _nice_step(ops_end - ops_start, 12)
    first_tick = -(-ops_start // op_step) * op_step
    for op in range(first_tick, ops_end + 1, op_step):
        px = x(op)
        axis.insert(-1, f'<path d="M{px:.1f} {_TOP + plot_h}v5"/>')
        ticks.append(f'<text x="{px:.1f}" y="{_TOP + plot_h + 18}" text-anchor="middle">{op}</text>')
    unit = 1 if top < 4 << 10 else (1 << 10 if top < 4 << 20 else 1 << 20)  # ticks at round KiB/MiB
    byte_step = _nice_step(top / unit, 8) * unit
    for offset in range(0, top + 1, byte_step):
        py = y(offset)
        axis.insert(-1, f'<path d="M{_LEFT - 5} {py:.1f}h5"/>')
        ticks.append(f'<text x="{_LEFT - 8}" y="{py + 4:.1f}" text-anchor="end">{_bytes_label(offset)}</text>')
    ticks.append(
        f'<text x="{_LEFT + plot_w / 2:.1f}" y="{_HEIGHT - 15}" text-anchor="middle">op index</text>'
    )
    ticks.append(
        f'<text x="20" y="{_TOP + plot_h / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 20 {_TOP + plot_h / 2:.1f})">arena offset (bytes)</text>'
    )
    ticks.append("</g>")
    out += axis + ticks

    # Buffers, then their labels on top.
    out.append('<g class="buffers" stroke="#000000" stroke-width="0.5">')
    for row in rows:
        x0, y0, x1, y1 = box(row)
        tip = (
            f"{row['name']}: {row['size']} B at offset {row['offset']}, "
            f"live at ops {row['first_use']}..{row['last_use']}"
        )
        out.append(
            f'<rect x="{x0:.2f}" y="{y0:.2f}" width="{max(x1 - x0, 0.5):.2f}" height="{max(y1 - y0, 0.5):.2f}" '
            f'fill="{_colour(row["name"])}"><title>{escape(tip)}</title></rect>'
        )
    out.append("</g>")
    out.append(f'<g class="labels" fill="#000000" font-size="{_LABEL_FONT}">')
    out += labels + markers
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

    # Legend: the largest buffers too small to label in place.
    if legend:
        out.append('<g class="legend" fill="#000000">')
        out.append(f'<text x="{_LEFT}" y="{legend_top:.0f}">largest buffers too small to label in place</text>')
        for index, (_, row, line) in enumerate(legend, start=1):
            row_y = legend_top + index * _LEGEND_ROW
            out.append(
                f'<path d="M{_LEFT} {row_y - 10}h12v12h-12Z" fill="{_colour(row["name"])}" '
                f'stroke="#000000" stroke-width="0.5"/>'
                f'<text x="{_LEFT + 18}" y="{row_y:.0f}">{escape(line)}</text>'
            )
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"
