"""Business units: the friction points by unit, small units suppressed, the target's unit marked."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from .. import charts
from ..formatting import fmt_score, num

if TYPE_CHECKING:
    from ..basis import Basis

NO_UNIT = "(no unit)"


def _target_unit(b: Basis) -> str | None:
    plan = b.inputs.plan
    if plan is None:
        return None
    dep = next((d for d in b.inputs.engagement.deployments if d.id == plan.target["id"]), None)
    return dep.unit if dep else None


def _largest_difference(b: Basis, dims: list[dict[str, Any]], groups: list[dict[str, Any]],
                        values: list[list[float | None]]) -> str:
    best: tuple[float, int, int, int] | None = None
    for i in range(len(dims)):
        shown = [(v, j) for j, v in enumerate(values[i]) if v is not None]
        if len(shown) < 2:
            continue
        (lo, jl), (hi, jh) = min(shown), max(shown)
        if best is None or hi - lo > best[0]:
            best = (hi - lo, i, jh, jl)
    if best is None:
        return "Fewer than two units are large enough to compare."
    diff, i, jh, jl = best
    hi, lo = values[i][jh], values[i][jl]
    return (f"The units differ most on {dims[i]['title']}: {groups[jh]['label']} scores {fmt_score(hi)} and "
            f"{groups[jl]['label']} {fmt_score(lo)}, {fmt_score(num(hi) - num(lo))} points apart; unit scores "
            f"carry no interval here, so treat a difference under {b.th['gap']:.0f} points as possibly noise.")


def units_section(b: Basis, dims: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Figure: score by friction point and business unit (None when the scores have no unit breakdown
    or there is only one unit)."""
    bd = b.scores.breakdown
    if not bd or bd.get("by") != "unit":
        return None
    groups = [g for g in bd["groups"] if g["id"] != NO_UNIT]
    if len(groups) < 2:
        return None
    target_unit = _target_unit(b)
    if target_unit not in {g["id"] for g in groups}:
        target_unit = None  # the caption marks only a unit the map shows
    small = [g["label"] for g in groups if b.small(g["respondents"])]
    cols = [charts.HeatColumn(("◆ " if g["id"] == target_unit else "") + g["label"], g["respondents"], "")
            for g in groups]
    values: list[list[float | None]] = []
    cell_ns: list[list[int]] = []
    for dd in dims:
        row, ns = [], []
        for g in groups:
            n = int(g["n"].get(dd["id"], 0))
            shown = not b.small(g["respondents"]) and not b.small(n)
            row.append(num(g["dimensions"].get(dd["id"])) if shown else None)
            ns.append(n if not b.small(g["respondents"]) else min(n, 1))
        values.append(row)
        cell_ns.append(ns)
    svg = charts.heatmap([dd["title"] for dd in dims], cols, values, min_n=b.min_n, cell_ns=cell_ns,
                         title="Scores by friction point and business unit")
    return {"svg": Markup(svg), "small": small, "target_unit": target_unit,
            "sentence": _largest_difference(b, dims, groups, values)}
