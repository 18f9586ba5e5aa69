"""The friction profile and the one-page-per-friction-point section."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from .. import charts
from ..claims import agreement_text, alpha_text, flag_label, level_text, standing
from ..comments import quotes
from ..facts import Fact, numeric_facts
from ..findings import short, strongest, what_we_found
from ..formatting import MISSING, fmt_ci, fmt_ci_dec, fmt_dec, fmt_pct, fmt_score, num, slug

if TYPE_CHECKING:
    from ..basis import Basis


def _item_row(q: Any, item: dict[str, Any]) -> dict[str, Any]:
    return {"id": item["id"], "text": item["text"], "score": fmt_score(item["score"]), "n": fmt_score(item["n"]),
            "reverse": q.questions[item["id"]].reverse}


def quote_role(b: Basis) -> Any:
    """Role label -> what a page may print: a role with fewer respondents than the minimum is not named."""
    small = {r.label for r in b.q.roles if b.small(b.role_n.get(r.id, 0))}
    return lambda label: "Respondent" if label in small else label


def _page(b: Basis, d: dict[str, Any], items: list[dict[str, Any]], facts: list[Fact],
          used: set[str]) -> dict[str, Any]:
    """The friction-point page's evidence: what we found, the item tables and the quotes (each quoted once)."""
    facts = sorted(facts, key=lambda f: not f.headline)
    about = " ".join([*(i["text"] for i in items[:2]), *(f.text for f in facts)])
    comments = quotes(b.responses, b.q, d["id"], limit=2, used=used, about=about, role_label=quote_role(b))
    found = what_we_found(items[:2], facts, d["perception_gap"], comments[0] if comments else None,
                          min_n=b.min_n, threshold=b.th["gap"])
    heading, top = strongest([i for i in items if i not in items[:2]])
    return {"found": found, "comments": comments[1:], "strongest_heading": heading,
            "weakest": [_item_row(b.q, i) for i in items[:2]],
            "strongest": [_item_row(b.q, i) for i in top] if len(items) > 2 else [],
            "facts": [{"id": f.id, "text": short(f.text, 120), "median": f.median_text, "range": f.range_text,
                       "n": f.n} for f in facts]}


def _dimension(b: Basis, d: dict[str, Any], ranked: list[dict[str, Any]], facts: list[Fact],
               used: set[str]) -> dict[str, Any]:
    """One friction point's row for the tables and its page."""
    q, qd = b.q, b.q.dimension_by_id[d["id"]]
    s = num(d["score"])
    lvl = q.level_for(s) if s is not None else None
    labels = [flag_label(f) for f in d["flags"]]
    # An item answered by fewer people than the minimum group is not shown (it would identify them).
    items = sorted((i for i in b.scores.items if i["dimension"] == qd.id and num(i["score"]) is not None
                    and i["n"] >= b.min_n), key=lambda i: (i["score"], i["id"]))
    alpha, alpha_note, reliability = alpha_text(d, b.th)
    lt = level_text(q, s, d["ci_low"], d["ci_high"])
    where = standing(qd.id, ranked)
    return {
        "id": qd.id, "title": qd.title, "description": qd.description or "", "score": fmt_score(s),
        "score_value": s, "ci_low": num(d["ci_low"]), "ci_high": num(d["ci_high"]), "level": lt,
        "level_name": lvl.name if lvl else MISSING, "ci": fmt_ci(d["ci_low"], d["ci_high"]),
        "n": fmt_score(d["n_respondents"]), "rwg": fmt_dec(d["rwg"]), "alpha": alpha, "alpha_note": alpha_note,
        "reliability": reliability, "alpha_ci": fmt_ci_dec(d["alpha_ci"]), "coverage": fmt_pct(d["coverage"]),
        "flags": list(dict.fromkeys(label for label, _ in labels)), "flag_texts": dict(labels),
        "narrative": qd.narratives.get(lvl.level, "") if lvl else "",
        "agreement": agreement_text(d["rwg"], d["n_respondents"], b.th),
        "level_number": lvl.level if lvl else None,
        **_page(b, d, items, facts, used),
        "title_claim": (f"{qd.title}: {lt}, {fmt_score(s)}/100 — {where}" if s is not None
                        else f"{qd.title}: not scored, too few answers"),
        "k": len(qd.scored_questions), "anchor": f"dim-{slug(qd.id)}",
    }


def dimensions(b: Basis) -> tuple[list[dict[str, Any]], list[tuple[str, str]], list[str]]:
    """Friction points in questionnaire order, the flag legend, and the flags raised on every one."""
    ranked, used = b.ranked, set()
    facts = numeric_facts(b.q, b.responses, b.min_n)
    dims = [_dimension(b, b.scores.dimension(qd.id), ranked, [f for f in facts.values() if f.dimension == qd.id],
                       used) for qd in b.q.dimensions]
    legend: dict[str, str] = {}
    for dd in dims:
        legend.update(dd.pop("flag_texts"))
    # A flag raised on every friction point is stated once, not repeated in each row.
    common = set.intersection(*(set(dd["flags"]) for dd in dims)) if len(dims) > 1 else set()
    for dd in dims:
        dd["row_flags"] = [f for f in dd["flags"] if f not in common]
    return dims, sorted(legend.items()), sorted(common)


def profile_charts(b: Basis, dims: list[dict[str, Any]], baseline: dict[str, float | None]) -> dict[str, str]:
    """Figure 1 (sorted dot plot with intervals) and Figure 2 (radar); ``baseline`` marks an earlier round."""
    level_mins = [lv.min for lv in b.q.levels]
    points = [charts.ScorePoint(dd["title"], dd["score_value"], dd["ci_low"], dd["ci_high"], baseline.get(dd["id"]))
              for dd in dims]
    ordered = sorted(points, key=lambda p: (p.score is None, p.score if p.score is not None else 0))
    return {"dot": Markup(charts.dot_plot(ordered, level_mins, [lv.name for lv in b.q.levels], accent=b.accent,
                                          title="Friction points sorted by score, with 95% intervals")),
            "radar": Markup(charts.radar(points, level_mins, accent=b.accent, size=130))}
