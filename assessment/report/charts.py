"""Hand-written SVG charts for the report.

Why not matplotlib: it costs ~0.5 s to import and 70-140 ms per chart, and its
output embeds ids and timestamps. These functions are plain string templates:
a few milliseconds each, byte-identical for the same input (every number goes
through :func:`_f`, a fixed two-decimal format), vector and print-crisp.

Every chart is legible in greyscale: meaning is carried by position, labels,
marker shape or lightness, never by hue alone. All text that comes from users
(titles, names) is XML-escaped here, so the returned string is safe to inline.
Units: one SVG user unit is one typographic point, so ``font-size`` is in pt.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

FONT = "Inter, 'DejaVu Sans', sans-serif"
INK = "#1A1A1A"
MUTED = "#5A5A5A"
GRID = "#BFBFBF"
# Okabe-Ito derived, checked for greyscale separation; levels use one hue ramp.
LEADERSHIP_COLOUR = "#0072B2"
PRACTITIONER_COLOUR = "#D55E00"
BASELINE_COLOUR = "#7F7F7F"
# Light (level 1) to dark (level 5): lightness falls monotonically with maturity.
LEVEL_BANDS = ["#F4F6F9", "#E6EBF2", "#D5DDE8", "#C3CFDF", "#B0C0D6"]
# Heat ramp: darker = lower score = more friction (monotonic lightness).
HEAT_RAMP = ["#08306B", "#2171B5", "#6BAED6", "#C6DBEF", "#F2F7FB"]


def _f(x: float) -> str:
    """Fixed, locale-free number format: the same float always gives the same text."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _t(text: object) -> str:
    return escape(str(text), quote=True)


def _clip(text: str, n: int) -> str:
    text = str(text)
    return text if len(text) <= n else text[: n - 1].rstrip() + "\u2026"


def _wrap(text: str, width: int) -> list[str]:
    lines, cur = [], ""
    for word in str(text).split():
        if cur and len(cur) + 1 + len(word) > width:
            lines.append(cur)
            cur = word
        else:
            cur = f"{cur} {word}".strip()
    return lines + ([cur] if cur else [])


def _svg(width: float, height: float, body: list[str], title: str, desc: str = "") -> str:
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_f(width)} {_f(height)}" '
            f'width="{_f(width)}pt" height="{_f(height)}pt" role="img" font-family="{FONT}">'
            f"<title>{_t(title)}</title>")
    if desc:
        head += f"<desc>{_t(desc)}</desc>"
    return head + "".join(body) + "</svg>"


def _text(x: float, y: float, text: object, size: float = 7.5, anchor: str = "start", fill: str = INK,
          weight: str = "normal", extra: str = "") -> str:
    return (f'<text x="{_f(x)}" y="{_f(y)}" font-size="{_f(size)}" text-anchor="{anchor}" fill="{fill}"'
            f' font-weight="{weight}"{extra}>{_t(text)}</text>')


def _rect(x: float, y: float, w: float, h: float, fill: str, stroke: str = "none", sw: float = 0,
          extra: str = "") -> str:
    return (f'<rect x="{_f(x)}" y="{_f(y)}" width="{_f(max(w, 0))}" height="{_f(max(h, 0))}" fill="{fill}"'
            f' stroke="{stroke}" stroke-width="{_f(sw)}"{extra}/>')


def _line(x1: float, y1: float, x2: float, y2: float, stroke: str = GRID, sw: float = 0.5, extra: str = "") -> str:
    return (f'<line x1="{_f(x1)}" y1="{_f(y1)}" x2="{_f(x2)}" y2="{_f(y2)}" stroke="{stroke}"'
            f' stroke-width="{_f(sw)}"{extra}/>')


@dataclass(frozen=True)
class ScorePoint:
    """One dimension on a score chart (0-100 scale)."""

    label: str
    score: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    baseline: float | None = None


def _level_bands(x0: float, width: float, y0: float, height: float, level_mins: Sequence[float]) -> list[str]:
    out = []
    edges = list(level_mins) + [100.0]
    for i in range(len(level_mins)):
        a, b = edges[i], edges[i + 1]
        out.append(_rect(x0 + width * a / 100, y0, width * (b - a) / 100, height,
                         LEVEL_BANDS[min(i, len(LEVEL_BANDS) - 1)]))
    return out


def dot_plot(points: Sequence[ScorePoint], level_mins: Sequence[float], level_names: Sequence[str],
             *, width: float = 480, accent: str = "#1F4E79", title: str = "Scores by friction point") -> str:
    """Dimensions as dot + 95% interval on a fixed 0-100 axis over the level bands.

    The primary score display (a radar's shape depends on axis order; a dot on a
    common scale does not). A hollow diamond marks the previous round when given.
    """
    label_w, right = 150.0, 34.0
    row = 18.0
    top = 26.0
    plot_w = width - label_w - right
    height = top + row * len(points) + 26
    body: list[str] = []
    body += _level_bands(label_w, plot_w, top - 6, row * len(points) + 6, level_mins)
    for i, (m, name) in enumerate(zip(level_mins, level_names, strict=False)):
        nxt = level_mins[i + 1] if i + 1 < len(level_mins) else 100
        cx = label_w + plot_w * (m + nxt) / 200
        body.append(_text(cx, top - 10, f"L{i + 1} {name}", 6.5, "middle", MUTED))
    for v in range(0, 101, 20):
        x = label_w + plot_w * v / 100
        body.append(_line(x, top - 6, x, top + row * len(points), "#FFFFFF", 0.8))
        body.append(_text(x, top + row * len(points) + 11, v, 7, "middle", MUTED))
    body.append(_text(label_w + plot_w / 2, top + row * len(points) + 22,
                      "Score 0-100 (higher = less friction, more mature)", 7, "middle", MUTED))
    for i, p in enumerate(points):
        y = top + row * i + row / 2 - 3
        body.append(_text(label_w - 8, y + 2.5, _clip(p.label, 34), 8, "end"))
        if p.score is None:
            body.append(_text(label_w + 4, y + 2.5, "not scored (too few answers)", 7, fill=MUTED))
            continue
        sx = label_w + plot_w * p.score / 100
        if p.ci_low is not None and p.ci_high is not None:
            lx, hx = label_w + plot_w * p.ci_low / 100, label_w + plot_w * p.ci_high / 100
            body.append(_line(lx, y, hx, y, INK, 1.4))
            body.append(_line(lx, y - 3.5, lx, y + 3.5, INK, 1.2))
            body.append(_line(hx, y - 3.5, hx, y + 3.5, INK, 1.2))
        if p.baseline is not None:
            bx = label_w + plot_w * p.baseline / 100
            body.append(f'<path d="M{_f(bx)} {_f(y - 4)} L{_f(bx + 4)} {_f(y)} L{_f(bx)} {_f(y + 4)} '
                        f'L{_f(bx - 4)} {_f(y)} Z" fill="#FFFFFF" stroke="{BASELINE_COLOUR}" stroke-width="1.2"/>')
        body.append(f'<circle cx="{_f(sx)}" cy="{_f(y)}" r="4" fill="{accent}" stroke="#FFFFFF" stroke-width="0.8"/>')
        body.append(_text(width - right + 6, y + 2.8, f"{p.score:.0f}", 8.5, "start", INK, "600"))
    return _svg(width, height, body, title,
                "Dot: best estimate. Bar: 95% confidence interval. Shaded bands: maturity levels.")


def radar(points: Sequence[ScorePoint], level_mins: Sequence[float], *, size: float = 250,
          accent: str = "#1F4E79", title: str = "Friction profile") -> str:
    """Spider chart on a fixed 0-100 radius, with interval whiskers along each spoke.

    Secondary display only (kept because clients expect it); the same data are in
    the dot plot and the table. With a previous round, its polygon is drawn dashed.
    """
    n = max(len(points), 3)
    pad_x, pad_y = 80.0, 30.0
    w, h = size + 2 * pad_x, size + 2 * pad_y
    cx, cy, r = w / 2, h / 2, size / 2

    def pt(i: int, v: float) -> tuple[float, float]:
        ang = -math.pi / 2 + 2 * math.pi * i / n
        return cx + r * v / 100 * math.cos(ang), cy + r * v / 100 * math.sin(ang)

    body: list[str] = []
    for m in list(level_mins[1:]) + [100.0]:
        ring = " ".join(f"{_f(x)},{_f(y)}" for x, y in (pt(i, m) for i in range(n)))
        body.append(f'<polygon points="{ring}" fill="none" stroke="{GRID}" stroke-width="0.5"/>')
        x, y = pt(0, m)
        body.append(_text(x + 2, y + 2, f"{m:.0f}", 6, "start", MUTED))
    for i, p in enumerate(points):
        x, y = pt(i, 100)
        body.append(_line(cx, cy, x, y, GRID, 0.5))
        lx, ly = pt(i, 110)
        anchor = "middle" if abs(lx - cx) < 5 else ("start" if lx > cx else "end")
        lines = _wrap(p.label, 18)[:3]
        y0 = ly + 3 - (len(lines) - 1) * 4.2 if abs(lx - cx) >= 5 else (ly - (len(lines) - 1) * 8.4 if ly < cy else ly + 6)
        for k, line in enumerate(lines):
            body.append(_text(lx, y0 + 8.4 * k, line, 7, anchor))
    if any(p.baseline is not None for p in points):
        base = " ".join(f"{_f(x)},{_f(y)}" for x, y in (pt(i, p.baseline or 0) for i, p in enumerate(points)))
        body.append(f'<polygon points="{base}" fill="none" stroke="{BASELINE_COLOUR}" stroke-width="1.2" '
                    f'stroke-dasharray="4 2"/>')
    poly = " ".join(f"{_f(x)},{_f(y)}" for x, y in (pt(i, p.score or 0) for i, p in enumerate(points)))
    body.append(f'<polygon points="{poly}" fill="{accent}" fill-opacity="0.12" stroke="{accent}" stroke-width="1.5"/>')
    for i, p in enumerate(points):
        if p.score is None:
            continue
        if p.ci_low is not None and p.ci_high is not None:
            (x1, y1), (x2, y2) = pt(i, p.ci_low), pt(i, p.ci_high)
            body.append(_line(x1, y1, x2, y2, INK, 1.2))
        x, y = pt(i, p.score)
        body.append(f'<circle cx="{_f(x)}" cy="{_f(y)}" r="2.8" fill="{accent}"/>')
    return _svg(w, h, body, title, "Radius 0 (centre) to 100 (edge); rings at the maturity level boundaries.")


@dataclass(frozen=True)
class HeatColumn:
    label: str
    n: int
    group: str


def heatmap(rows: Sequence[str], columns: Sequence[HeatColumn], values: Sequence[Sequence[float | None]],
            *, min_n: int, cell_ns: Sequence[Sequence[int]] | None = None, width: float = 490,
            title: str = "Scores by role") -> str:
    """Dimension x role grid with the score printed in every cell.

    Lightness falls monotonically as the score falls (darker = more friction), so
    the grid survives greyscale printing; cells of groups below ``min_n`` are
    suppressed (hatched, "n<min") to protect anonymity and avoid noise.
    """
    label_w = 140.0
    head = 44.0
    cell_h = 17.0
    cell_w = (width - label_w) / max(len(columns), 1)
    height = head + cell_h * len(rows) + 4
    body: list[str] = []
    for j, col in enumerate(columns):
        x = label_w + cell_w * j + cell_w / 2
        words = _clip(col.label, 34).split()
        lines, cur = [], ""
        for word in words:
            if cur and len(cur) + len(word) > 15:
                lines.append(cur)
                cur = word
            else:
                cur = f"{cur} {word}".strip()
        lines.append(cur)
        lines = lines[:2]
        for k, line in enumerate(lines):
            body.append(_text(x, 10 + 9 * k, line, 7, "middle", INK, "600"))
        count = f"n={col.n}" if col.n >= min_n else f"fewer than {min_n}"
        if col.group:
            body.append(_text(x, 29, col.group, 6.5, "middle", MUTED))
        body.append(_text(x, 37.5 if col.group else 30, count, 6.5, "middle", MUTED))
    for i, row in enumerate(rows):
        y = head + cell_h * i
        body.append(_text(label_w - 6, y + cell_h / 2 + 3, _clip(row, 32), 7.5, "end"))
        for j, col in enumerate(columns):
            x = label_w + cell_w * j
            v = values[i][j]
            cell_n = cell_ns[i][j] if cell_ns is not None else col.n
            if v is None and cell_n == 0:
                body.append(_rect(x + 1, y + 1, cell_w - 2, cell_h - 2, "#FFFFFF", GRID, 0.6))
                body.append(_text(x + cell_w / 2, y + cell_h / 2 + 3, "not asked", 6.5, "middle", MUTED))
                continue
            if cell_n < min_n or v is None:
                body.append(_rect(x + 1, y + 1, cell_w - 2, cell_h - 2, "#FFFFFF", GRID, 0.6))
                for k in range(1, 6):
                    ox = x + 1 + (cell_w - 2) * k / 6
                    body.append(_line(ox, y + cell_h - 1, ox + 6, y + 1, "#D9D9D9", 0.5))
                body.append(_text(x + cell_w / 2, y + cell_h / 2 + 3,
                                  f"fewer than {min_n}" if cell_n < min_n else "–", 6, "middle", MUTED))
                continue
            idx = min(int(v // 20), 4)
            fill = HEAT_RAMP[idx]
            ink = "#FFFFFF" if idx <= 1 else INK
            body.append(_rect(x + 1, y + 1, cell_w - 2, cell_h - 2, fill))
            body.append(_text(x + cell_w / 2, y + cell_h / 2 + 3, f"{v:.0f}", 8, "middle", ink, "600"))
    return _svg(width, height, body, title, "Darker cells = lower score = more friction. Hatched: group too small to "
                "show. Not asked: no item for this group.")


def heat_legend(level_mins: Sequence[float], level_names: Sequence[str], *, width: float = 490) -> str:
    """The level bands of the heat map ramp, with their score ranges."""
    body = []
    n = len(level_mins)
    w = (width - 10) / max(n, 1)
    edges = list(level_mins) + [100.0]
    for i in range(n):
        idx = min(int(edges[i] // 20), 4)
        body.append(_rect(5 + w * i, 2, 16, 10, HEAT_RAMP[idx], GRID, 0.4))
        hi = edges[i + 1] - 1 if i + 1 < n else 100
        body.append(_text(5 + w * i + 20, 10, f"L{i + 1} {_clip(level_names[i], 16)} ({edges[i]:.0f}-{hi:.0f})", 6.5))
    return _svg(width, 16, body, "Heat map legend")


@dataclass(frozen=True)
class GapRow:
    label: str
    leadership: float | None
    practitioners: float | None
    flagged: bool = False


def dumbbell(rows: Sequence[GapRow], *, n_leadership: int | str, n_practitioners: int | str, width: float = 480,
             title: str = "Leadership vs practitioners") -> str:
    """Paired points per dimension joined by a line; the gap is the line's length."""
    label_w, right = 150.0, 40.0
    row = 17.0
    top = 24.0
    plot_w = width - label_w - right
    height = top + row * len(rows) + 26
    body: list[str] = []
    # legend
    body.append(_rect(label_w, 4, 7, 7, LEADERSHIP_COLOUR))
    body.append(_text(label_w + 11, 10.5, f"Leadership (n={n_leadership})", 7))
    body.append(f'<circle cx="{_f(label_w + 135)}" cy="7.5" r="3.8" fill="#FFFFFF" stroke="{PRACTITIONER_COLOUR}" '
                f'stroke-width="1.6"/>')
    body.append(_text(label_w + 143, 10.5, f"Practitioners (n={n_practitioners})", 7))
    body.append(_text(width - 2, 10.5, "Gap", 7, "end", MUTED, "600"))
    for v in range(0, 101, 20):
        x = label_w + plot_w * v / 100
        body.append(_line(x, top - 4, x, top + row * len(rows), GRID, 0.5))
        body.append(_text(x, top + row * len(rows) + 11, v, 7, "middle", MUTED))
    body.append(_text(label_w + plot_w / 2, top + row * len(rows) + 22,
                      "Score 0-100 (higher = less friction)", 7, "middle", MUTED))
    for i, r in enumerate(rows):
        y = top + row * i + row / 2
        weight = "600" if r.flagged else "normal"
        body.append(_text(label_w - 8, y + 2.5, _clip(r.label, 34), 8, "end", INK, weight))
        if r.leadership is None or r.practitioners is None:
            body.append(_text(label_w + 4, y + 2.5, "not assessed (group below minimum size)", 7, fill=MUTED))
            continue
        lx = label_w + plot_w * r.leadership / 100
        px = label_w + plot_w * r.practitioners / 100
        body.append(_line(lx, y, px, y, "#7F7F7F", 2.2))
        body.append(_rect(lx - 3.5, y - 3.5, 7, 7, LEADERSHIP_COLOUR))
        body.append(f'<circle cx="{_f(px)}" cy="{_f(y)}" r="3.8" fill="#FFFFFF" stroke="{PRACTITIONER_COLOUR}" '
                    f'stroke-width="1.6"/>')
        gap = r.leadership - r.practitioners
        body.append(_text(width - 2, y + 2.8, f"{gap:+.0f}".replace("-", "\u2212"), 8, "end", INK, weight))
    return _svg(width, height, body, title, "Square: leadership. Circle: practitioners. Line length: the gap.")


def budget_bars(lines: Sequence[tuple[str, float, float]], *, currency: str, accent: str = "#1F4E79",
                width: float = 480, title: str = "Budget before and after") -> str:
    """Paired horizontal bars (before, after) per budget line on a zero-based axis."""
    label_w, right = 150.0, 44.0
    top = 18.0
    bar_h = 13.0
    group_h = 2 * bar_h + 14
    plot_w = width - label_w - right
    vmax = max([max(b, a) for _, b, a in lines] + [1.0])
    step = _nice_step(vmax / 4)
    axis_max = step * math.ceil(vmax / step)
    height = top + group_h * len(lines) + 22
    body: list[str] = []
    body.append(_rect(label_w, 3, 9, 8, "#FFFFFF", INK, 0.6))
    body.append(_text(label_w + 13, 10, "Before (current 90 days)", 7))
    body.append(_rect(label_w + 130, 3, 9, 8, accent))
    body.append(_text(label_w + 143, 10, "After (plan)", 7))
    k = 0.0
    while k <= axis_max + 1e-9:
        x = label_w + plot_w * k / axis_max
        body.append(_line(x, top - 2, x, top + group_h * len(lines) - 8, GRID, 0.5))
        body.append(_text(x, top + group_h * len(lines) + 3, _short_money(k), 7, "middle", MUTED))
        k += step
    body.append(_text(label_w + plot_w / 2, top + group_h * len(lines) + 14, f"{currency}, 90-day budget",
                      7, "middle", MUTED))
    for i, (label, before, after) in enumerate(lines):
        y = top + group_h * i
        lines = _wrap(label, 26)[:3]
        for k, line in enumerate(lines):
            body.append(_text(label_w - 8, y + bar_h + 3 - (len(lines) - 1) * 4.5 + 9 * k, line, 8, "end", INK, "600"))
        wb, wa = plot_w * before / axis_max, plot_w * after / axis_max
        body.append(_rect(label_w, y, wb, bar_h, "#FFFFFF", INK, 0.8))
        body.append(_rect(label_w, y + bar_h + 2, wa, bar_h, accent))
        body.append(_text(label_w + wb + 4, y + bar_h - 3.5, _short_money(before), 7.5))
        body.append(_text(label_w + wa + 4, y + 2 * bar_h - 1.5, _short_money(after), 7.5, weight="600"))
    return _svg(width, height, body, title, "Outlined bar: before. Filled bar: after. Axis starts at zero.")


def _nice_step(raw: float) -> float:
    if raw <= 0:
        return 1.0
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def _short_money(v: float) -> str:
    if abs(v) >= 1e6:
        return f"{v / 1e6:.2f}".rstrip("0").rstrip(".") + "m"
    if abs(v) >= 1e3:
        return f"{v / 1e3:.0f}k"
    return f"{v:.0f}"


@dataclass(frozen=True)
class GanttBar:
    label: str
    owner: str
    phase: int
    start: int
    end: int


PHASE_FILLS = {1: "#1F4E79", 2: "#6F93B8", 3: "#C7D5E5"}
PHASE_INK = {1: "#FFFFFF", 2: "#FFFFFF", 3: INK}


def gantt(bars: Sequence[GanttBar], *, milestones: Sequence[int] = (30, 60, 90), width: float = 490,
          phase_fills: dict[int, str] | None = None, title: str = "90-day plan") -> str:
    """Actions as bars over days 1-90 with week gridlines and phase boundaries.

    Each bar is labelled with its phase (P1-P3) as well as shaded, so phases stay
    distinguishable without colour; milestones are diamonds on the day axis.
    """
    fills = phase_fills or PHASE_FILLS
    label_w = 200.0
    row = 19.0
    top = 30.0
    plot_w = width - label_w - 6
    height = top + row * len(bars) + 30
    body: list[str] = []

    def dx(day: float) -> float:
        return label_w + plot_w * (day - 1) / 90

    for p, (a, b) in enumerate(((1, 31), (31, 61), (61, 91)), start=1):
        body.append(_rect(dx(a), top - 4, dx(b) - dx(a), row * len(bars) + 4, "#F6F8FB" if p % 2 else "#FFFFFF"))
        body.append(_text((dx(a) + dx(b)) / 2, 9, f"Phase {p} · days {a}-{b - 1}", 7, "middle", INK, "600"))
    for wk in range(14):
        day = 1 + 7 * wk
        if day > 91:
            break
        x = dx(day)
        body.append(_line(x, top - 4, x, top + row * len(bars), GRID, 0.4))
        if wk < 13:
            body.append(_text(x + plot_w * 3.5 / 90, 22, f"W{wk + 1}", 6.5, "middle", MUTED))
    for i, b in enumerate(bars):
        y = top + row * i
        body.append(_text(label_w - 6, y + 8.5, _clip(b.label, 46), 7, "end", INK))
        body.append(_text(label_w - 6, y + 16, _clip(b.owner, 54), 6.3, "end", MUTED))
        x0, x1 = dx(max(b.start, 1)), dx(min(b.end, 90) + 1)
        fill = fills.get(b.phase, "#999999")
        body.append(_rect(x0, y + 3, x1 - x0, row - 6, fill, INK if b.phase == 3 else "none", 0.5 if b.phase == 3 else 0))
        if x1 - x0 > 16:
            body.append(_text(x0 + 3, y + row / 2 + 2.5, f"P{b.phase}", 6.5, "start", PHASE_INK.get(b.phase, INK), "600"))
    for m in milestones:
        x = dx(min(m, 90) + 1)
        y = top + row * len(bars) + 8
        body.append(_line(x, top - 4, x, y - 4, INK, 0.8, ' stroke-dasharray="2 2"'))
        body.append(f'<path d="M{_f(x)} {_f(y - 4)} L{_f(x + 4)} {_f(y)} L{_f(x)} {_f(y + 4)} L{_f(x - 4)} {_f(y)} Z" '
                    f'fill="{INK}"/>')
        body.append(_text(x, y + 13, f"D{m}", 7, "middle", INK, "600"))
    return _svg(width, height, body, title, "Bars: actions by day; P1-P3: phase; diamonds: day 30/60/90 milestones.")
