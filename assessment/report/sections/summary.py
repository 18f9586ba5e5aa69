"""The executive summary: headline, the decision asked for, findings, the weakest friction
points in plain words, and the caveats the data impose."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..claims import headline, level_text, overlap
from ..formatting import MISSING, first_sentence, fmt_ci, fmt_score, num

if TYPE_CHECKING:
    from ..basis import Basis


def _findings(b: Basis, weakest: list[dict[str, Any]], hedge: bool, gap_sentences: list[str],
              target: dict[str, Any] | None) -> list[str]:
    ov = b.scores.overall
    out = []
    if num(ov["score"]) is not None:
        out.append(f"Overall the operating model scores {fmt_score(ov['score'])}/100 (95% interval "
                   f"{fmt_ci(ov['ci_low'], ov['ci_high'])}), "
                   f"{level_text(b.q, ov['score'], ov['ci_low'], ov['ci_high'])} of {len(b.q.levels)}, "
                   f"from {b.n_total} respondents in {b.n_roles} roles.")
    if weakest:
        names = ", ".join(f"{w['title']} ({w['score']})" for w in weakest)
        out.append(("Among the weakest friction points" if hedge else "The three weakest friction points are")
                   + f": {names}" + (" — their intervals overlap with the next, so the order is indicative."
                                     if hedge else "."))
    out += gap_sentences[:1]
    if target:
        out.append(f"{target['name']} ({target['stage']}) has the most value not yet realised: "
                   f"{target['value_at_stake']} a year, measured on {target['pnl_metric']}.")
    return out[:5]


def left_out_text(excluded: dict[str, Any]) -> str:
    """``2 respondents with a quality flag (straight-lining 2) were left out of every score``, or ""."""
    n = excluded["count"]
    if not n:
        return ""
    why = ", ".join(f"{flag} {k}" for flag, k in excluded["by_flag"].items())
    return f"{n} respondent{'s' if n != 1 else ''} with a quality flag ({why}) {'were' if n != 1 else 'was'} " \
        "left out of every score"


def _caveat(dims: list[dict[str, Any]], sensitivity: dict[str, Any] | None, small_roles: list[str],
            hedge: bool, left_out: str) -> str:
    caveats = [left_out] if left_out else []
    if sensitivity and not sensitivity["stable"]:
        caveats.append("the choice of the weakest friction points depends on the weights (Appendix A)")
    contested = [dd["title"] for dd in dims if "contested" in dd["flags"]]
    if contested:
        caveats.append("respondents disagree on " + ", ".join(contested))
    if small_roles:
        caveats.append("too few answers to show separately for " + ", ".join(small_roles))
    if hedge:
        caveats.append("the ranking of the weakest friction points is within the margin of error"
                       + (f", though it does not depend on the weights ({sensitivity['clause']})"
                          if sensitivity and sensitivity["clause"] else ""))
    return ("Caveats: " + "; ".join(caveats) + ".") if caveats else \
        "No dimension is flagged for low agreement or small samples."


def draft_reason(b: Basis, target: dict[str, Any] | None) -> str | None:
    """Why the report is a draft (too few respondents, or no plan), or None."""
    if num(b.scores.overall["score"]) is None or b.n_total < max(5, b.th["min_n"]):
        return f"only {b.n_total} respondents: not for decision"
    if not target:
        return "no eligible deployment to harden: plan incomplete"
    return None


def summary_section(b: Basis, dims: list[dict[str, Any]], plan: dict[str, Any], gap_sentences: list[str],
                    sensitivity: dict[str, Any] | None, small_roles: list[str]) -> dict[str, Any]:
    q, ov, ranked = b.q, b.scores.overall, b.ranked
    by_id = {dd["id"]: dd for dd in dims}
    weakest = [by_id[d["id"]] for d in ranked[:3]]
    hedge = len(ranked) > 3 and overlap(ranked[2], ranked[3])
    target = plan["target"]
    moves = bool(target and plan["shift_value"])
    lvl = q.level_for(ov["score"]) if num(ov["score"]) is not None else None
    decision = (f"The board is asked to approve moving {plan['shift']} of the next 90 days' budget from new-model "
                f"development to hardening {target['name']}, and the 90-day plan that goes with it." if moves else
                "The board is asked to note the findings and agree the next steps below.")
    return {"headline": headline(q, ov, ranked, target["name"] if moves else None, plan["shift"] if moves else None),
            "decision": decision, "findings": _findings(b, weakest, hedge, gap_sentences, target),
            "weakest": [{"title": w["title"], "score": w["score"], "level": w["level"],
                         "plain": first_sentence(w["narrative"]) or first_sentence(w["description"])}
                        for w in weakest],
            "caveat": _caveat(dims, sensitivity, small_roles, hedge, left_out_text(b.scores.excluded)), "overall": fmt_score(ov["score"]),
            "overall_ci": fmt_ci(ov["ci_low"], ov["ci_high"]),
            "overall_level": level_text(q, ov["score"], ov["ci_low"], ov["ci_high"]),
            "overall_level_name": lvl.name if lvl else MISSING, "n_levels": len(q.levels), "hedge": hedge}
