"""Trust flags: what a reader must know before believing a dimension score."""

from __future__ import annotations

from typing import Any

from .contract import THRESHOLDS


def dimension_flags(dim: dict[str, Any], boundaries: list[tuple[float, str]]) -> list[dict[str, str]]:
    t = THRESHOLDS
    flags: list[dict[str, str]] = []

    def add(code: str, message: str) -> None:
        flags.append({"code": code, "message": message})

    n = dim["n_respondents"]
    if dim["coverage"] is not None and dim["coverage"] < t["coverage_min"]:
        add("low-coverage", f"Only {dim['coverage']:.0%} of the questions asked were answered "
                            f"(threshold {t['coverage_min']:.0%}); many N/A or blank answers.")
    if dim["alpha"] is None:
        reason = dim.get("alpha_unknown_reason")
        by_role = dim.get("alpha_by_role") or {}
        within = (f" Within roles alpha runs from {min(by_role.values()):.2f} to {max(by_role.values()):.2f}."
                  if by_role else "")
        if reason == "item-too-few":
            text = ("Cronbach's alpha over everyone cannot be computed: an item has fewer than two answers."
                    + within)
        elif reason == "no-variance":
            text = "Cronbach's alpha cannot be computed: the answers do not vary." + within
        else:
            text = ("Cronbach's alpha cannot be computed: it needs at least 2 answered items and "
                    f"{t['alpha_min_respondents']} respondents.")
        add("reliability-unknown", text)
    elif dim["alpha"] < t["alpha_min"]:
        add("low-reliability", f"The items do not hang together (alpha {dim['alpha']:.2f} < {t['alpha_min']:.2f}); "
                               "read the item scores rather than the dimension score.")
    if n < t["rwg_min_respondents"]:
        add("agreement-indicative", f"Agreement is indicative only with {n} respondents (< "
                                    f"{t['rwg_min_respondents']}): with random answers on a 5-point scale "
                                    "rwg >= .70 happens 52% of the time with 2 raters, 23% with 3 and 10% with 4 "
                                    "(exact enumeration of the uniform null).")
    elif dim["rwg"] is not None and dim["rwg"] < t["rwg_min"]:
        add("no-consensus", f"Respondents disagree (rwg {dim['rwg']:.2f} < {t['rwg_min']:.2f}); the average hides "
                            "different realities, look at the role breakdown.")
    gap = dim["perception_gap"]["difference"]
    if gap is not None and abs(gap) >= t["perception_gap_points"]:
        side = "Leadership" if gap > 0 else "Practitioners"
        add("perception-gap", f"{side} rate this {abs(gap):.0f} points higher than "
                              f"{'practitioners' if gap > 0 else 'leadership'} (threshold "
                              f"{t['perception_gap_points']:.0f}).")
    low, high = dim["ci_low"], dim["ci_high"]
    if low is not None and high is not None:
        crossed = [name for m_, name in boundaries if low < m_ <= high]
        if crossed:
            add("borderline", f"The 95% interval ({low:.0f}-{high:.0f}) straddles the boundary of level "
                              f"{crossed[0]}; the level could be one step either way.")
    if n < t["min_respondents"]:
        add("few-respondents", f"Only {n} respondent{'s' if n != 1 else ''} scored this dimension "
                               f"(< {t['min_respondents']}).")
    return flags


def overall_flags(low: float | None, high: float | None, boundaries: list[tuple[float, str]]) -> list[dict[str, str]]:
    """The overall score's flags: only whether its interval straddles a level boundary."""
    if low is not None and high is not None and any(low < b <= high for b, _ in boundaries):
        return [{"code": "borderline", "message": "The 95% interval of the overall score straddles a level boundary."}]
    return []
