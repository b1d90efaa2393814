"""Gantt charts as SVG: stages of a partitioned program on units (or Dask
workers) over time, predicted by the cost model or measured.

One drawing function for both, so a predicted and a measured chart of the
same run can be laid side by side.
"""

from __future__ import annotations

import colorsys
import hashlib
import math
from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

Bar = tuple[str, float, float, str, str]
"""(row, start s, end s, label, kind): kinds share a colour; `transfer` is drawn thin."""

_WIDTH, _LEFT, _RIGHT, _TOP, _ROW, _BOTTOM = 960, 110, 20, 44, 34, 40


def _colour(kind: str) -> str:
    if kind == "transfer":
        return "#555555"
    h = int(hashlib.sha256(kind.encode()).hexdigest()[:6], 16)
    red, green, blue = colorsys.hls_to_rgb(h % 360 / 360, (62 + h % 15) / 100, 0.60)
    return f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}"  # SVG 1.1 has no hsl()


def _tick(span: float) -> float:
    raw = span / 8 if span > 0 else 1.0
    step = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * step:
            return m * step
    return 10 * step


Mark = tuple[float, str]
"""(time s, label): an event drawn as a red line across every row (a worker killed)."""


def svg(rows: Sequence[str], bars: Sequence[Bar], title: str, marks: Sequence[Mark] = ()) -> str:
    """Rows top to bottom, time left to right in milliseconds; hover a bar for its times."""
    rows = list(dict.fromkeys([*rows, *(b[0] for b in bars)]))
    left = max(_LEFT, 16 + 7 * max((len(r) for r in rows), default=0))
    end = max([*(b[2] for b in bars), *(m[0] for m in marks)], default=1.0) or 1.0
    height = _TOP + _ROW * len(rows) + _BOTTOM
    plot_w = _WIDTH - left - _RIGHT

    def x(t: float) -> float:
        return left + plot_w * t / end

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{height}" '
        f'viewBox="0 0 {_WIDTH} {height}" font-family="sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{_WIDTH}" height="{height}" fill="white"/>',
        f'<text x="{_WIDTH / 2:.1f}" y="22" text-anchor="middle" font-size="15">{escape(title)}</text>',
    ]
    for k, row in enumerate(rows):
        y = _TOP + k * _ROW
        out.append(f'<text x="{left - 8}" y="{y + _ROW / 2 + 4:.1f}" text-anchor="end">{escape(row)}</text>')
        out.append(f'<line x1="{left}" y1="{y + _ROW}" x2="{_WIDTH - _RIGHT}" y2="{y + _ROW}" stroke="#dddddd"/>')
    step = _tick(end)
    axis_y = _TOP + _ROW * len(rows)
    t = 0.0
    while t <= end * 1.0001:
        out.append(f'<line x1="{x(t):.2f}" y1="{_TOP}" x2="{x(t):.2f}" y2="{axis_y + 4}" stroke="#bbbbbb"/>')
        out.append(f'<text x="{x(t):.2f}" y="{axis_y + 18}" text-anchor="middle">{t * 1e3:g}</text>')
        t += step
    out.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle">time (ms)</text>')
    for row, start, stop, label, kind in bars:
        k = rows.index(row)
        thin = kind == "transfer"
        y = _TOP + k * _ROW + (_ROW - 8 if thin else 4)
        h = 4 if thin else _ROW - 12
        w = max(x(stop) - x(start), 0.5)
        tip = f"{label} ({kind}): {start * 1e3:.3f}-{stop * 1e3:.3f} ms"
        out.append(
            f'<rect x="{x(start):.2f}" y="{y}" width="{w:.2f}" height="{h}" fill={quoteattr(_colour(kind))} '
            f'stroke="black" stroke-width="0.4"><title>{escape(tip)}</title></rect>'
        )
        if not thin and w > 7 * len(label):
            out.append(f'<text x="{x(start) + w / 2:.2f}" y="{y + h / 2 + 4:.1f}" text-anchor="middle" '
                       f'font-size="10">{escape(label)}</text>')
    for at, label in marks:
        out.append(f'<line x1="{x(at):.2f}" y1="{_TOP - 6}" x2="{x(at):.2f}" y2="{axis_y}" stroke="red" '
                   f'stroke-width="1.5" stroke-dasharray="4 3"><title>{escape(label)}</title></line>')
        out.append(f'<text x="{x(at) + 4:.2f}" y="{_TOP - 8}" fill="red" font-size="11">{escape(label)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
