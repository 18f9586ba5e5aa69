"""Wording rules: which claims the data support, and in which words.

A "weakest" claim only when intervals separate, ``Level 2–3 (borderline)`` when an
interval crosses a band edge, flag codes as short labels with a plain explanation,
and headlines built from the scores and the plan, never fixed text. The instrument
measures seven operational friction points; it has no items on model quality, so
no sentence here compares operations with models.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .formatting import MISSING, fmt_dec, fmt_score, num

if TYPE_CHECKING:
    from ..questionnaire import Questionnaire


def level_text(q: Questionnaire, score: Any, lo: Any, hi: Any) -> str:
    """``Level 2 Emerging``, or ``Level 2–3 (borderline)`` when the interval crosses a band edge."""
    s = num(score)
    if s is None:
        return "not scored"
    lvl = q.level_for(s)
    a, b = num(lo), num(hi)
    if a is not None and b is not None:
        la, lb = q.level_for(a), q.level_for(b)
        if la and lb and la.level != lb.level:
            return f"Level {la.level}–{lb.level} (borderline)"
    return f"Level {lvl.level} {lvl.name}" if lvl else MISSING


def overlap(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Do two score rows' 95% intervals overlap (or is either missing)?"""
    al, ah, bl, bh = num(a["ci_low"]), num(a["ci_high"]), num(b["ci_low"]), num(b["ci_high"])
    if None in (al, ah, bl, bh):
        return True
    return not (ah < bl or bh < al)


def standing(dim_id: str, ranked: Sequence[Mapping[str, Any]]) -> str:
    """Where a friction point stands among the scored ones (``ranked``: lowest score first)."""
    pos = next((i for i, d in enumerate(ranked) if d["id"] == dim_id), None)
    if pos is None:
        return "mid-table"
    if pos < 3:
        if pos == 0 and len(ranked) > 1 and not overlap(ranked[0], ranked[1]):
            return "the weakest friction point"
        separated = len(ranked) > 3 and not overlap(ranked[pos], ranked[3])
        return "one of the three weakest friction points" if separated else "among the weakest friction points"
    if pos >= len(ranked) - 2:
        strong = (num(ranked[pos].get("score")) or 0) >= 50
        return "among the strongest friction points" if strong else "among the least weak friction points"
    return "mid-table"


#: Scoring flag codes (:func:`assessment.scoring.score`) as a short label and a plain explanation.
FLAG_CODES = {
    "no-consensus": ("contested", "respondents disagree (agreement rwg below the threshold): treat the score as contested"),
    "agreement-indicative": ("agreement indicative", "too few respondents to show agreement reliably: indicative only"),
    "low-coverage": ("low coverage", "many answers were blank or \"don't know\""),
    "low-reliability": ("low reliability", "the items do not hang together well (Cronbach's alpha below the threshold): "
                                           "read the item scores"),
    "reliability-unknown": ("alpha n/a", "Cronbach's alpha over all respondents cannot be computed (items asked of "
                                         "different roles, or too few items or respondents); see the within-role "
                                         "range in Appendix B"),
    "perception-gap": ("perception gap", "leadership and practitioners differ by at least the gap threshold"),
    "borderline": ("borderline", "the 95% interval crosses a level boundary: the level could be one step either way"),
    "few-respondents": ("few respondents", "fewer respondents than the minimum: indicative only"),
}


def flag_label(flag: Mapping[str, str]) -> tuple[str, str]:
    """A short label and a plain-words explanation for a scoring flag (``{"code", "message"}``).

    A code this module does not know yet is shown with the scorer's own message, never dropped.
    """
    return FLAG_CODES.get(flag["code"], (flag["code"].replace("-", " "), flag["message"]))


def hedges_words(g: Any) -> str:
    v = num(g)
    if v is None:
        return "not assessed"
    a = abs(v)
    size = "negligible" if a < 0.2 else "small" if a < 0.5 else "medium" if a < 0.8 else "large"
    return f"{size} (g = {v:.2f})"


def agreement_text(rwg: Any, n: int, th: Mapping[str, Any]) -> str:
    """What the agreement index says about a friction point's score, with its threshold."""
    r = num(rwg)
    if r is None:
        text = "Agreement could not be computed for this friction point."
    elif r >= th["rwg"]:
        text = f"Respondents broadly agree (rwg {r:.2f}, threshold {th['rwg']:.2f})."
    else:
        text = (f"Respondents disagree (rwg {r:.2f}, below {th['rwg']:.2f}): treat this score as "
                "contested and discuss it with them before acting on it.")
    if n < th["rwg_min_n"]:
        text += (f" Indicative only: with fewer than {th['rwg_min_n']} respondents agreement cannot be "
                 "shown reliably.")
    return text


def alpha_text(d: Mapping[str, Any], th: Mapping[str, Any]) -> tuple[str, bool, str]:
    """Alpha for the tables, whether it is the within-role range, and a sentence for the friction-point page.

    When items are routed to different roles, some item pairs are never answered by the
    same people and the pooled alpha is undefined; alpha within each role still says
    whether the items that role sees hang together, so its range is shown instead.
    """
    alpha = num(d["alpha"])
    if alpha is not None:
        verdict = "hang together" if alpha >= th["alpha"] else "do not hang together well"
        return fmt_dec(alpha), False, f"Reliability: Cronbach's alpha {alpha:.2f}, the items {verdict}."
    by_role = [v for v in (num(x) for x in d["alpha_by_role"].values()) if v is not None]
    if not by_role:
        return MISSING, False, "Reliability: Cronbach's alpha cannot be computed (too few items or respondents)."
    lo, hi = min(by_role), max(by_role)
    rng = (f"{lo:.2f}" if f"{lo:.2f}" == f"{hi:.2f}" else f"{lo:.2f} to {hi:.2f}" if lo < 0
           else f"{lo:.2f}–{hi:.2f}").replace("-", "\u2212")
    return (f"{rng} within roles", True,
            f"Reliability: Cronbach's alpha runs {rng} within roles; over all respondents it cannot be computed, "
            "because an item has fewer than two answers.")


def lowest_clause(lowest: Sequence[Mapping[str, Any]]) -> str:
    """``A (18) and B (23) score lowest``: the friction points with the lowest scores, by name and score.

    A statement about the point estimates only, true whatever the intervals say; the
    summary's findings say whether the order is within the margin of error.
    """
    names = " and ".join(f"{d['title']} ({fmt_score(d['score'])})" for d in lowest[:2])
    return f"{names} score{'s' if len(lowest) == 1 else ''} lowest"


def headline(q: Questionnaire, overall: Mapping[str, Any], ranked: Sequence[Mapping[str, Any]],
             target_name: str | None, shift: str | None) -> str:
    """The report's one-sentence headline, from the overall score, the lowest friction points and the plan.

    ``shift`` is the formatted amount moved (None when no money moves).
    """
    score = num(overall["score"])
    if score is None:
        return "Too few answers to score the AI operating model yet"
    level = level_text(q, score, overall["ci_low"], overall["ci_high"]).replace(" (borderline)", ", borderline")
    if target_name and shift:
        return f"At {fmt_score(score)}/100 ({level}), {lowest_clause(ranked)}: move {shift} into hardening {target_name}"
    return f"The AI operating model scores {fmt_score(score)}/100 ({level}); {lowest_clause(ranked)}"


def profile_claim(ctx: Mapping[str, Any]) -> str:
    """The friction-profile page's title: the two weakest and the strongest, with their scores."""
    w = ctx["summary"]["weakest"]
    if not w:
        return "Friction profile: not enough answers to score"
    names = " and ".join(x["title"] for x in w[:2])
    scored = [d for d in ctx["dims"] if d["score_value"] is not None]
    top = max(scored, key=lambda d: d["score_value"])
    word = "strongest" if top["score_value"] >= 50 else "least weak"  # under 50 is never called a strength
    tail = f"; {top['title']} is the {word} at {top['score']}"
    verb = "are among the weakest" if ctx["summary"]["hedge"] else "hold the operating model back"
    return f"{names} {verb} ({w[0]['score']} and {w[1]['score'] if len(w) > 1 else ''}){tail}".replace(" and )", ")")


def who_claim(ctx: Mapping[str, Any]) -> str:
    """The "who sees what" page's title: the largest flagged perception gap, if any."""
    rows = [g for g in ctx["gap"]["rows"] if g["flagged"]]
    if rows:
        g = max(rows, key=lambda g: abs(g["diff_value"]))
        side = "more" if g["diff_value"] > 0 else "less"
        return (f"Leaders rate {g['title']} {abs(g['diff_value']):.0f} points {side} favourably than the people "
                "who run the models")
    return "Leaders and practitioners see broadly the same friction"

