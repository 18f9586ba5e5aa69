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
    roles = b.roles
    cols = [charts.HeatColumn(r.label, b.role_n.get(r.id, 0), r.group) for r in roles]
    rows = [b.scores.dimension(dd["id"]) for dd in dims]
    values = [[num(d["by_role"].get(r.id)) for r in roles] for d in rows]
    cell_ns = [[int(d["n_by_role"].get(r.id, 0)) for r in roles] for d in rows]
    min_n = b.min_n
    # A role with fewer respondents than the minimum shows no number anywhere (its column is hatched).
    cell_ns = [[n if b.role_n.get(r.id, 0) >= min_n else min(n, 1) for n, r in zip(row, roles, strict=True)]
               for row in cell_ns]
    values = [[v if n >= min_n else None for v, n in zip(row, ns, strict=True)] for row, ns in zip(values, cell_ns,
                                                                                                     strict=True)]
    cells = [(values[i][j], dims[i]["title"], roles[j].label) for i in range(len(dims)) for j in range(len(roles))
             if values[i][j] is not None]
    svg = charts.heatmap([dd["title"] for dd in dims], cols, values, min_n=min_n, cell_ns=cell_ns)
    hotspots = [f"{r} on {t} ({v:.0f})" for v, t, r in sorted(cells)[:3]]
    small_roles = [r.label for r, c in zip(roles, cols, strict=True) if c.n < min_n]
    legend = charts.heat_legend([lv.min for lv in b.q.levels], [lv.name for lv in b.q.levels])
    return {"svg": Markup(svg), "legend": Markup(legend), "hotspots": hotspots, "small_roles": small_roles}


def _gap_row(d: dict[str, Any], title: str, min_n: int, threshold: float) -> dict[str, Any]:
    """One friction point's gap on the common items; neither side is shown when either has fewer than ``min_n``."""
    g = d["perception_gap"]
    lead, prac, diff = num(g["leadership"]), num(g["practitioners"]), num(g["difference"])
    nl, np_ = g["n_leadership"] or 0, g["n_practitioners"] or 0
    k = len(g.get("items") or [])
    assessed = bool(g.get("comparable")) and diff is not None and nl >= min_n and np_ >= min_n
    return {"title": title, "leadership": fmt_score(lead) if assessed else MISSING,
            "practitioners": fmt_score(prac) if assessed else MISSING,
            "difference": fmt_signed(diff) if assessed else "not assessed",
            "g": hedges_words(g["hedges_g"]) if assessed else "not assessed",
            "n": " / ".join(str(x) if x >= min_n else f"fewer than {min_n}" if x else "0" for x in (nl, np_)),
            "items": k if g.get("comparable") else 0,
            "flagged": assessed and abs(diff) >= threshold, "diff_value": diff if assessed else None,
            "lead_value": lead if assessed else None, "prac_value": prac if assessed else None,
            "n_lead": nl, "n_prac": np_}


def gap(b: Basis, dims: list[dict[str, Any]]) -> dict[str, Any]:
    """Figure 4 and its table: leadership minus practitioners, flagged at the gap threshold."""
    rows = [_gap_row(b.scores.dimension(dd["id"]), dd["title"], b.min_n, b.th["gap"]) for dd in dims]
    n_lead = max((r["n_lead"] for r in rows), default=0)
    n_prac = max((r["n_prac"] for r in rows), default=0)
    shown_lead = n_lead if n_lead >= b.min_n else b.fewer
    shown_prac = n_prac if n_prac >= b.min_n else b.fewer
    by_gap = sorted(rows, key=lambda r: -abs(r["diff_value"]) if r["diff_value"] is not None else 1)
    svg = charts.dumbbell([charts.GapRow(r["title"], r["lead_value"], r["prac_value"], r["flagged"]) for r in by_gap],
                          n_leadership=shown_lead, n_practitioners=shown_prac,
                          title="Leadership and practitioner scores per friction point, sorted by gap")
    flagged = [r for r in by_gap if r["flagged"]]
    sentences = [f"On the {g['items']} statement{'s' if g['items'] != 1 else ''} both groups answered, leaders "
                 f"rate {g['title']} {abs(g['diff_value']):.0f} points "
                 f"{'higher' if g['diff_value'] > 0 else 'lower'} than practitioners; the effect size is {g['g']}."
                 for g in flagged[:2]]
    return {"rows": rows, "flagged": flagged, "sentences": sentences, "svg": Markup(svg),
            "n_leadership": shown_lead, "n_practitioners": shown_prac,
            "not_comparable": [r["title"] for r in rows if not r["items"]]}
