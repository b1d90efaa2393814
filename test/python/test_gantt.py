"""Gantt charts: SVG that every renderer draws (no CSS-only colour syntax)."""

import re
import xml.etree.ElementTree as ET

from pelemay_ir import gantt


def test_gantt_bars_have_hex_colours_and_each_kind_its_own():
    bars = [("u0", 0.0, 0.002, "conv", "stage"), ("u0", 0.002, 0.003, "relu", "elementwise"),
            ("u1", 0.003, 0.0032, "x", "transfer"), ("u1", 0.0032, 0.006, "part1", "stage")]
    svg = gantt.svg(["u0", "u1"], bars, "two units")
    assert "hsl(" not in svg
    rects = ET.fromstring(svg).findall(".//{http://www.w3.org/2000/svg}rect")[1:]  # after the background
    fills = [rect.get("fill") for rect in rects]
    assert len(fills) == len(bars) and all(re.fullmatch(r"#[0-9a-f]{6}", f) for f in fills), fills
    assert fills[0] == fills[3] != fills[1]  # one colour per kind
