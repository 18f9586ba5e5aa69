"""Who sees what: the role heat map and the leadership-versus-practitioner perception gap."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from .. import charts
from ..claims import hedges_words
from ..formatting import MISSING, fmt_score, fmt_signed, num

if TYPE_CHECKING:
    from ..basis import Basis


def heat(b: Basis, dims: list[dict[str, Any]]) -> dict[str, Any]:
    """Figure 3: score by friction point and role; hotspots; roles too small to show."""
    roles, th = b.roles, b.th
    cols = [charts.HeatColumn(r.label, b.role_n.get(r.id, 0), r.group) for r in roles]
    rows = [b.scores.dimension(dd["id"]) for dd in dims]
    values = [[num(d["by_role"].get(r.id)) for r in roles] for d in rows]
    cell_ns = [[int(d["n_by_role"].get(r.id, 0)) for r in roles] for d in rows]
    svg = charts.heatmap([dd["title"] for dd in dims], cols, values, min_n=th["min_n"], cell_ns=cell_ns)
    cells = [(values[i][j], dims[i]["title"], roles[j].label) for i in range(len(dims)) for j in range(len(roles))
             if values[i][j] is not None and cell_ns[i][j] >= th["min_n"]]
    hotspots = [f"{r} on {t} ({v:.0f})" for v, t, r in sorted(cells)[:3]]
    small_roles = [r.label for r, c in zip(roles, cols, strict=True) if c.n < th["min_n"]]
    legend = charts.heat_legend([lv.min for lv in b.q.levels], [lv.name for lv in b.q.levels])
    return {"svg": Markup(svg), "legend": Markup(legend), "hotspots": hotspots, "small_roles": small_roles}


def _gap_row(d: dict[str, Any], title: str, min_n: int, threshold: float) -> dict[str, Any]:
    g = d["perception_gap"]
    lead, prac, diff = num(g["leadership"]), num(g["practitioners"]), num(g["difference"])
    nl, np_ = g["n_leadership"], g["n_practitioners"]
    assessed = diff is not None and nl >= min_n and np_ >= min_n
    return {"title": title, "leadership": fmt_score(lead) if assessed else MISSING,
            "practitioners": fmt_score(prac) if assessed else MISSING,
            "difference": fmt_signed(diff) if assessed else "not assessed",
            "g": hedges_words(g["hedges_g"]) if assessed else "not assessed", "n": f"{nl} / {np_}",
            "flagged": assessed and abs(diff) >= threshold, "diff_value": diff if assessed else None,
            "lead_value": lead if assessed else None, "prac_value": prac if assessed else None,
            "n_lead": nl, "n_prac": np_}


def gap(b: Basis, dims: list[dict[str, Any]]) -> dict[str, Any]:
    """Figure 4 and its table: leadership minus practitioners, flagged at the gap threshold."""
    rows = [_gap_row(b.scores.dimension(dd["id"]), dd["title"], b.th["min_n"], b.th["gap"]) for dd in dims]
    n_lead = max((r["n_lead"] for r in rows), default=0)
    n_prac = max((r["n_prac"] for r in rows), default=0)
    by_gap = sorted(rows, key=lambda r: -abs(r["diff_value"]) if r["diff_value"] is not None else 1)
    svg = charts.dumbbell([charts.GapRow(r["title"], r["lead_value"], r["prac_value"], r["flagged"]) for r in by_gap],
                          n_leadership=n_lead, n_practitioners=n_prac,
                          title="Leadership and practitioner scores per friction point, sorted by gap")
    flagged = [r for r in by_gap if r["flagged"]]
    sentences = [f"Leaders rate {g['title']} {abs(g['diff_value']):.0f} points "
                 f"{'higher' if g['diff_value'] > 0 else 'lower'} than practitioners (effect size {g['g']})."
                 for g in flagged[:2]]
    return {"rows": rows, "flagged": flagged, "sentences": sentences, "svg": Markup(svg),
            "n_leadership": n_lead, "n_practitioners": n_prac}
