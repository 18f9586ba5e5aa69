"""Trust flags: what a reader must know before believing a dimension score.

Each flag has a stable ``code`` and a sentence that states its threshold, so the
CLI, the PDF and the workbook say the same thing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .contract import THRESHOLDS

Flag = dict[str, str]


def _flag(code: str, message: str) -> Flag:
    return {"code": code, "message": message}


def _coverage(dim: dict[str, Any]) -> Flag | None:
    t = THRESHOLDS
    if dim["coverage"] is not None and dim["coverage"] < t["coverage_min"]:
        return _flag("low-coverage", f"Only {dim['coverage']:.0%} of the questions asked were answered "
                                     f"(threshold {t['coverage_min']:.0%}); many N/A or blank answers.")
    return None


def _unknown_alpha(dim: dict[str, Any]) -> Flag:
    by_role = dim["alpha_by_role"]
    within = (f" Within roles alpha runs from {min(by_role.values()):.2f} to {max(by_role.values()):.2f}."
              if by_role else "")
    reason = dim["alpha_unknown_reason"]
    if reason == "item-too-few":
        text = "Cronbach's alpha cannot be computed: an item has fewer than two answers." + within
    elif reason == "no-variance":
        text = "Cronbach's alpha cannot be computed: the answers do not vary." + within
    else:
        text = ("Cronbach's alpha cannot be computed: it needs at least 2 items asked of the same respondents "
                f"and {THRESHOLDS['alpha_min_respondents']:.0f} of them answering.")
    return _flag("reliability-unknown", text)


def _reliability(dim: dict[str, Any]) -> Flag | None:
    alpha, minimum = dim["alpha"], THRESHOLDS["alpha_min"]
    if alpha is None:
        return _unknown_alpha(dim)
    if alpha < 0:
        return _flag("not-one-construct", f"The items do not measure one thing (alpha {alpha:.2f} is negative: "
                                          "answers to some items run against the others); read the item "
                                          "scores, not the dimension score.")
    if alpha < minimum:
        return _flag("low-reliability", f"The items do not hang together (alpha {alpha:.2f} < {minimum:.2f}); "
                                        "read the item scores rather than the dimension score.")
    return None


def _agreement(dim: dict[str, Any]) -> Flag | None:
    t, n = THRESHOLDS, dim["n_respondents"]
    if n < t["rwg_min_respondents"]:
        return _flag("agreement-indicative",
                     f"Agreement is indicative only with {n} respondent{'s' if n != 1 else ''} (< {t['rwg_min_respondents']:.0f}): with "
                     "random answers on a 5-point scale rwg >= .70 happens 52% of the time with 2 raters, 23% "
                     "with 3 and 10% with 4 (exact enumeration of the uniform null).")
    if dim["rwg"] is not None and dim["rwg"] < t["rwg_min"]:
        return _flag("no-consensus", f"Respondents disagree (rwg {dim['rwg']:.2f} < {t['rwg_min']:.2f}); the "
                                     "average hides different realities, look at the role breakdown.")
    return None


def _gap(dim: dict[str, Any]) -> Flag | None:
    gap, threshold = dim["perception_gap"], THRESHOLDS["perception_gap_points"]
    diff = gap["difference"]
    if diff is None or abs(diff) < threshold:
        return None
    side, other = ("Leadership", "practitioners") if diff > 0 else ("Practitioners", "leadership")
    n_items = len(gap["items"])
    return _flag("perception-gap", f"{side} rate this {abs(diff):.0f} points higher than {other} on the "
                                   f"{n_items} statement{'s' if n_items != 1 else ''} both groups answered "
                                   f"(threshold {threshold:.0f}).")


def _borderline(boundaries: list[tuple[float, str]]) -> Callable[[dict[str, Any]], Flag | None]:
    def check(dim: dict[str, Any]) -> Flag | None:
        low, high = dim["ci_low"], dim["ci_high"]
        crossed = [name for edge, name in boundaries if low is not None and high is not None and low < edge <= high]
        if not crossed:
            return None
        return _flag("borderline", f"The 95% interval ({low:.0f}-{high:.0f}) straddles the boundary of level "
                                   f"{crossed[0]}; the level could be one step either way.")
    return check


def _few(dim: dict[str, Any]) -> Flag | None:
    n, minimum = dim["n_respondents"], THRESHOLDS["min_respondents"]
    if n < minimum:
        return _flag("few-respondents", f"Only {n} respondent{'s' if n != 1 else ''} scored this dimension "
                                        f"(< {minimum:.0f}).")
    return None


def dimension_flags(dim: dict[str, Any], boundaries: list[tuple[float, str]]) -> list[Flag]:
    """The flags of one dimension entry (as ``score`` builds it), in reading order."""
    checks = [_coverage, _reliability, _agreement, _gap, _borderline(boundaries), _few]
    return [flag for check in checks if (flag := check(dim)) is not None]


def overall_flags(low: float | None, high: float | None, boundaries: list[tuple[float, str]]) -> list[Flag]:
    """The overall score's flags: only whether its interval straddles a level boundary."""
    if low is not None and high is not None and any(low < b <= high for b, _ in boundaries):
        return [_flag("borderline", "The 95% interval of the overall score straddles a level boundary.")]
    return []
