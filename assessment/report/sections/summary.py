"""The executive summary: headline, the decision asked for, findings, the weakest friction
points in plain words, and the caveats the data impose."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..claims import headline, level_text, overlap
from ..facts import key_facts, numeric_facts
from ..findings import short
from ..formatting import MISSING, fmt_ci, fmt_score, num
from .caveats import caveats_box

if TYPE_CHECKING:
    from ..basis import Basis


def _findings(gap_sentences: list[str]) -> list[str]:
    """Supporting findings that the headline, the key facts and the weakest list do not already say."""
    return list(gap_sentences[:1])


def _weak_line(dd: dict[str, Any]) -> str:
    """What the data say about a weak friction point: its weakest item (never the generic level text)."""
    if not dd.get("weakest"):
        return "No item was answered by enough respondents to name the weakest."
    i = dd["weakest"][0]
    text = short(i["text"], 60).rstrip(".")
    return f"Weakest item {i['id']} at {i['score']}/100 (n = {i['n']}): {text}{'' if text.endswith('…') else '.'}"


def _caveat(dims: list[dict[str, Any]], sensitivity: dict[str, Any] | None, hedge: bool) -> list[str]:
    """The caveats the scores themselves raise (weights, disagreement, a ranking within the margin of error)."""
    caveats = []
    if sensitivity and not sensitivity["stable"]:
        caveats.append("the choice of the weakest friction points depends on the weights (Appendix A)")
    contested = [dd["title"] for dd in dims if "contested" in dd["flags"]]
    if contested:
        caveats.append("respondents disagree on " + ", ".join(contested))
    if hedge:
        caveats.append("the ranking of the weakest friction points is within the margin of error"
                       + (f", though it does not depend on the weights ({sensitivity['clause']})"
                          if sensitivity and sensitivity["clause"] else ""))
    return caveats


def draft_reason(b: Basis, target: dict[str, Any] | None) -> str | None:
    """Why the report is a draft (too few respondents, or no plan), or None."""
    if num(b.scores.overall["score"]) is None or b.n_total < max(5, b.th["min_n"]):
        return f"only {b.n_total} respondents: not for decision"
    if not target:
        return "no eligible deployment to harden: plan incomplete"
    return None


def summary_section(b: Basis, dims: list[dict[str, Any]], plan: dict[str, Any], gap_sentences: list[str],
                    sensitivity: dict[str, Any] | None, units: dict[str, Any] | None) -> dict[str, Any]:
    q, ov, ranked = b.q, b.scores.overall, b.ranked
    by_id = {dd["id"]: dd for dd in dims}
    weakest = [by_id[d["id"]] for d in ranked[:3]]
    hedge = len(ranked) > 3 and overlap(ranked[2], ranked[3])
    target = plan["target"]
    moves = bool(target and plan["shift_value"])
    lvl = q.level_for(ov["score"]) if num(ov["score"]) is not None else None
    decision = ("For decision: the board is asked to approve this budget move for the next 90 days and the plan that "
                "goes with it (the ask below)." if moves else
                "The board is asked to note the findings and agree the next steps below.")
    return {"headline": headline(q, ov, ranked, target["name"] if moves else None, plan["shift"] if moves else None),
            "decision": decision, "findings": _findings(gap_sentences),
            "weakest": [{"title": w["title"], "score": w["score"], "level": w["level"], "plain": _weak_line(w)}
                        for w in weakest],
            "key_facts": key_facts(numeric_facts(q, b.responses, b.min_n)),
            "caveats": caveats_box(b, units["small"] if units else [], _caveat(dims, sensitivity, hedge)),
            "overall": fmt_score(ov["score"]),
            "overall_ci": fmt_ci(ov["ci_low"], ov["ci_high"]),
            "overall_level": level_text(q, ov["score"], ov["ci_low"], ov["ci_high"]),
            "overall_level_name": lvl.name if lvl else MISSING, "n_levels": len(q.levels), "hedge": hedge}
