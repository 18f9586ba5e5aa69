"""Respondents left out of scoring because of a response-quality flag.

Speeders and straight-liners are flagged at import; a score that counts them
mixes attention with opinion. The engagement says which flags exclude
(``exclude_flags``, default speeder and straight-lining); ``--include-flagged``
puts them back for a sensitivity check.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..responses import Responses

DEFAULT_EXCLUDE_FLAGS = ("speeder", "straight-lining")


def exclude_flagged(responses: Responses, flags: Iterable[str]) -> tuple[Responses, dict[str, Any]]:
    """``responses`` without respondents carrying any of ``flags``, and what was left out:
    ``{"count": N, "by_flag": {flag: n}, "flags": [...]}`` (a respondent with two excluding
    flags counts once in ``count`` and under each flag)."""
    wanted = [f for f in dict.fromkeys(flags) if f]
    people = responses.respondents
    info: dict[str, Any] = {"count": 0, "by_flag": {}, "flags": wanted}
    if not wanted or "flags" not in people.columns or people.empty:
        return responses, info
    carried = [set(v.split(",")) if isinstance(v, str) and v else set() for v in people["flags"].tolist()]
    hit = [bool(c & set(wanted)) for c in carried]
    if not any(hit):
        return responses, info
    info["count"] = sum(hit)
    info["by_flag"] = {f: n for f in wanted if (n := sum(f in c for c in carried))}
    keep = people.loc[[not h for h in hit], "respondent_id"]
    return responses.subset(keep), info
