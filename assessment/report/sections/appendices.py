"""Appendices A-E: method and thresholds, respondents, the scoring trace, data quality, comments."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import appendix as plainwords
from ..comments import all_comments
from ..formatting import MISSING
from .caveats import left_out_text, response_rates
from .dimensions import quote_role

if TYPE_CHECKING:
    from ..basis import Basis


def _roles(b: Basis) -> list[dict[str, Any]]:
    rows = []
    for r in b.roles:
        n = b.role_n.get(r.id, 0)
        small = b.small(n)
        rows.append({"label": r.label, "group": r.group, "n": b.fewer if small else n, "n_value": n,
                     "share": f"{100 * n / b.n_total:.0f}%" if b.n_total and not small else MISSING,
                     "weight": f"{r.weight:g}", "small": small})
    return rows


def _units(b: Basis) -> list[dict[str, Any]]:
    resp = b.responses
    if resp is None:
        return []
    units = resp.respondents["unit"].astype("string").fillna("(no unit)")
    return [{"unit": str(u), "n": b.fewer if b.small(n) else int(n), "n_value": int(n),
             "share": MISSING if b.small(n) else f"{100 * n / max(b.n_total, 1):.0f}%"}
            for u, n in sorted(units.value_counts().items(), key=lambda kv: (-kv[1], str(kv[0])))]


def _traces(b: Basis, dims: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"title": dd["title"], "anchor": "trace-" + dd["anchor"], "score": dd["score"],
             "full": plainwords.trace_from_explain(b.inputs.explain.get(dd["id"]), b.q, min_n=b.min_n)}
            for dd in dims]


def _import_row(entry: dict[str, Any]) -> dict[str, Any]:
    """One file of the store's import log, in words."""
    problems = entry["problems"] or []
    return {"file": entry["file_name"], "source": entry["source"],
            "counts": ", ".join(f"{str(k).replace('_', ' ')} {plainwords.plain(v)}"
                                for k, v in (entry["counts"] or {}).items()),
            "problems": [plainwords.problem_text(p) for p in problems][:6],
            "problems_more": max(len(problems) - 6, 0),
            "unmapped": plainwords.plain(entry["unmapped"]) if entry["unmapped"] else "",
            "skipped": plainwords.skipped_text(entry["skipped"]),
            "quality": plainwords.quality_text(entry["quality"], with_ids=False)}


def appendix_section(b: Basis, dims: list[dict[str, Any]], sensitivity: dict[str, Any] | None) -> dict[str, Any]:
    return {"roles": _roles(b), "units": _units(b), "traces": _traces(b, dims),
            "imports": [_import_row(e) for e in b.inputs.import_log],
            "thresholds": plainwords.threshold_rows(b.scores.thresholds), "sensitivity": sensitivity,
            "comments": all_comments(b.responses, b.q, role_label=quote_role(b)), "aggregation": b.q.aggregation,
            "left_out": left_out_text(b.scores.excluded), "rates": response_rates(b),
            "assumptions": list(b.inputs.plan.assumptions) if b.inputs.plan else []}
