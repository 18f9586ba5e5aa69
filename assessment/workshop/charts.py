"""Geometry for the projector's radar, drawn as inline SVG by the template.

Server-side SVG needs no JavaScript library (nothing is fetched in the room) and
looks like the PDF report's radar. Scores are 0-100; axis 0 points straight up and
the others follow clockwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Axis:
    label: str
    score: float | None  # None: hidden (too few answers) or not computable
    x: float             # the axis end (score 100)
    y: float
    px: float | None     # the score's point, None when hidden
    py: float | None
    lx: float            # where the label goes
    ly: float
    anchor: str


def radar(labels: list[str], scores: list[float | None], *, cx: float = 200, cy: float = 170,
          radius: float = 120) -> dict:
    """Axes, grid rings and the score polygon for ``scores`` (0-100, None = hidden).

    The polygon is given only when every score is shown: a polygon through a hidden
    axis would draw a number nobody may see (or a misleading zero).
    """
    n = len(labels)
    axes = []
    for i, (label, score) in enumerate(zip(labels, scores, strict=True)):
        angle = -math.pi / 2 + 2 * math.pi * i / n
        ex, ey = cx + radius * math.cos(angle), cy + radius * math.sin(angle)
        px = py = None
        if score is not None:
            r = radius * max(0.0, min(100.0, score)) / 100
            px, py = cx + r * math.cos(angle), cy + r * math.sin(angle)
        lx, ly = cx + (radius + 14) * math.cos(angle), cy + (radius + 14) * math.sin(angle)
        cos = math.cos(angle)
        anchor = "middle" if abs(cos) < 0.3 else ("start" if cos > 0 else "end")
        axes.append(Axis(label, score, round(ex, 1), round(ey, 1), None if px is None else round(px, 1),
                         None if py is None else round(py, 1), round(lx, 1), round(ly + 4, 1), anchor))
    rings = []
    for level in (20, 40, 60, 80, 100):
        pts = []
        for i in range(n):
            angle = -math.pi / 2 + 2 * math.pi * i / n
            pts.append(f"{cx + radius * level / 100 * math.cos(angle):.1f},"
                       f"{cy + radius * level / 100 * math.sin(angle):.1f}")
        rings.append(" ".join(pts))
    polygon = None
    if axes and all(a.px is not None for a in axes):
        polygon = " ".join(f"{a.px},{a.py}" for a in axes)
    return {"cx": cx, "cy": cy, "axes": axes, "rings": rings, "polygon": polygon,
            "width": 2 * cx, "height": 2 * cy}
