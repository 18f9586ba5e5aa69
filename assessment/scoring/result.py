"""The scoring stage's result, and the JSON-safe cleaning every output goes through."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd


def clean(value: Any) -> Any:
    """JSON-safe copy: numpy scalars to Python, NaN/inf to None, tuples to lists."""
    if isinstance(value, Mapping):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [clean(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def num(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class ScoreResult:
    """Scores of one set of responses, with everything needed to judge them.

    ``to_dict()`` is the JSON contract read by the report, the plan and other tools.
    ``respondent_scores`` (respondents x dimensions) is kept for drill-down.
    """

    questionnaire: dict[str, str]
    respondents: int
    aggregation: str
    overall: dict[str, Any]
    dimensions: list[dict[str, Any]]
    items: list[dict[str, Any]]
    thresholds: dict[str, Any]
    sensitivity: dict[str, Any]
    breakdown: dict[str, Any] | None = None
    excluded: dict[str, Any] = field(default_factory=lambda: {"count": 0, "by_flag": {}, "flags": []})
    respondent_scores: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    def dimension(self, dimension_id: str) -> dict[str, Any]:
        for dim in self.dimensions:
            if dim["id"] == dimension_id:
                return dim
        raise KeyError(dimension_id)

    def to_frame(self, *, items: bool = False) -> pd.DataFrame:
        """The scores as a DataFrame for notebooks: one row per dimension, indexed by its id
        (``title, weight, score, level, level_name, ci_low, ci_high, n_respondents, coverage,
        alpha, rwg, perception_gap, flags`` and a ``role:<id>`` column per role; missing numbers
        are NaN). With ``items=True``, one row per item instead (``ScoreResult.items``)."""
        if items:
            return pd.DataFrame(clean(self.items)).set_index("id") if self.items else pd.DataFrame()
        roles = list(dict.fromkeys(r for d in self.dimensions for r in d.get("by_role", {})))
        rows = []
        for d in clean(self.dimensions):
            gap = d.get("perception_gap") or {}
            rows.append({"id": d["id"], "title": d["title"], "weight": d.get("weight"), "score": d["score"],
                         "level": d["level"], "level_name": d["level_name"], "ci_low": d["ci_low"],
                         "ci_high": d["ci_high"], "n_respondents": d["n_respondents"], "coverage": d["coverage"],
                         "alpha": d["alpha"], "rwg": d["rwg"],
                         "perception_gap": gap.get("difference") if gap.get("comparable", True) else None,
                         "flags": " ".join(f["code"] for f in d.get("flags", [])),
                         **{f"role:{r}": d.get("by_role", {}).get(r) for r in roles}})
        frame = pd.DataFrame(rows).set_index("id")
        numeric = [c for c in frame.columns if c not in ("title", "level_name", "flags")]
        frame[numeric] = frame[numeric].apply(pd.to_numeric, errors="coerce")
        return frame

    def to_dict(self) -> dict[str, Any]:
        out = {"questionnaire": self.questionnaire, "respondents": self.respondents,
               "aggregation": self.aggregation, "overall": self.overall, "dimensions": self.dimensions,
               "items": self.items, "thresholds": self.thresholds, "sensitivity": self.sensitivity,
               "excluded": self.excluded}
        if self.breakdown is not None:
            out["breakdown"] = self.breakdown
        return clean(out)


