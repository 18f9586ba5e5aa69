""""What we found" on each friction-point page: two to four sentences generated from the data.

Each sentence carries its numbers from the score result (item scores, the perception
gap) or from the answers (numeric facts: median, range, n), so a reader can check it
against ``assess score --format json`` and the workbook's Items sheet. Nothing here
is generic text about the level: the level's narrative goes in a box marked as typical
of the level.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .facts import Fact
from .formatting import fmt_score, fmt_signed, num

STRENGTH_MIN = 50.0  # an item under this is never called a strength


def short(text: str, limit: int = 90) -> str:
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def item_sentence(items: Sequence[Mapping[str, Any]]) -> str:
    """The weakest one or two items, with their scores and n."""
    if not items:
        return ""
    parts = [f"{i['id']} at {fmt_score(i['score'])}/100 (n = {i['n']}: {short(i['text'], 70).rstrip('.')})"
             for i in items[:2]]
    lead = "The weakest items are" if len(parts) > 1 else "The weakest item is"
    return f"{lead} {' and '.join(parts)}."


def facts_sentence(facts: Sequence[Fact]) -> str:
    """The friction point's first numeric fact (a headline one first): median, range and n; the others are
    in the page's facts table."""
    if not facts:
        return ""
    f = facts[0]
    return (f"Asked {f.id} ({short(f.text, 95).rstrip('?.')}?), {f.n} respondents gave a median of "
            f"{f.median_text} (range {f.range_text}).")


def gap_sentence(g: Mapping[str, Any], *, min_n: int, threshold: float) -> str:
    """The perception gap on the common items, or why there is none."""
    k = len(g.get("items") or [])
    if not g.get("comparable") or not k:
        return "Leadership and practitioners were asked no statement in common here, so no perception gap is shown."
    on = f"On the {k} statement{'s' if k != 1 else ''} both groups answered"
    nl, np_ = g.get("n_leadership") or 0, g.get("n_practitioners") or 0
    if nl < min_n or np_ < min_n:
        side = "leadership" if nl < min_n else "practitioners"
        return f"{on}, {side} had fewer than {min_n} respondents, so no gap is shown."
    diff = num(g.get("difference"))
    if diff is None:
        return f"{on}, the gap could not be computed."
    verdict = (f"at least the {threshold:.0f}-point threshold" if abs(diff) >= threshold
               else f"under the {threshold:.0f}-point threshold")
    return (f"{on}, leadership scores {fmt_score(g['leadership'])} and practitioners "
            f"{fmt_score(g['practitioners'])}: a gap of {fmt_signed(diff)} points, {verdict}.")


def quote_sentence(quote: Mapping[str, str] | None) -> str:
    if not quote:
        return ""
    who = "A respondent" if quote["role"] == "Respondent" else f"A respondent ({quote['role']})"
    return f"{who} wrote: “{quote['text']}”"


def what_we_found(items: Sequence[Mapping[str, Any]], facts: Sequence[Fact], gap: Mapping[str, Any],
                  quote: Mapping[str, str] | None, *, min_n: int, threshold: float) -> list[str]:
    """Two to four sentences: weakest items, numeric facts, the perception gap, a comment that bears on them."""
    out = [item_sentence(items), facts_sentence(facts), gap_sentence(gap, min_n=min_n, threshold=threshold),
           quote_sentence(quote)]
    out = [s for s in out if s]
    if len(out) > 4:
        out = out[:4]
    return out


def strongest(items: Sequence[Mapping[str, Any]], k: int = 2) -> tuple[str, list[Mapping[str, Any]]]:
    """The items to show as the top of the friction point, and their heading.

    Only items at 50 or above are strengths; where none is, the best ones are the
    "least weak" items, and an item already listed among the weakest is not repeated.
    """
    ranked = sorted(items, key=lambda i: (-(num(i["score"]) or 0), i["id"]))
    strong = [i for i in ranked if (num(i["score"]) or 0) >= STRENGTH_MIN][:k]
    if strong:
        return "Strongest items", strong
    return "Least weak items (every item scores under 50)", ranked[:k]
