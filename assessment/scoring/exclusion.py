"""Respondents left out of scoring because of a response-quality flag.

Speeders and straight-liners are flagged at import; a score that counts them
mixes attention with opinion. The engagement says which flags exclude
(``exclude_flags``, default speeder and straight-lining); ``--include-flagged``
puts them back for a sensitivity check.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..responses import Responses

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

DEFAULT_EXCLUDE_FLAGS = ("speeder", "straight-lining")


def keep_mask(respondents: pd.DataFrame, flags: Iterable[str]) -> tuple[np.ndarray | None, dict[str, Any]]:
    """Which respondents to keep (a boolean mask over ``respondents``' rows; None: all of
    them) and what was left out: ``{"count": N, "by_flag": {flag: n}, "flags": [...]}`` (a
    respondent with two excluding flags counts once in ``count`` and under each flag)."""
    import numpy as np

    wanted = [f for f in dict.fromkeys(flags) if f]
    info: dict[str, Any] = {"count": 0, "by_flag": {}, "flags": wanted}
    if not wanted or "flags" not in respondents.columns or respondents.empty:
        return None, info
    carried = [set(v.split(",")) if isinstance(v, str) and v else set() for v in respondents["flags"].tolist()]
    hit = [bool(c & set(wanted)) for c in carried]
    if not any(hit):
        return None, info
    info["count"] = sum(hit)
    info["by_flag"] = {f: n for f in wanted if (n := sum(f in c for c in carried))}
    return ~np.array(hit, dtype=bool), info


def exclude_flagged(responses: Responses, flags: Iterable[str]) -> tuple[Responses, dict[str, Any]]:
    """``responses`` without respondents carrying any of ``flags``, and what was left out
    (see :func:`keep_mask`)."""
    keep, info = keep_mask(responses.respondents, flags)
    if keep is None:
        return responses, info
    return responses.subset(responses.respondents.loc[keep, "respondent_id"]), info
