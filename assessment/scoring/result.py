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

    def to_dict(self) -> dict[str, Any]:
        out = {"questionnaire": self.questionnaire, "respondents": self.respondents,
               "aggregation": self.aggregation, "overall": self.overall, "dimensions": self.dimensions,
               "items": self.items, "thresholds": self.thresholds, "sensitivity": self.sensitivity,
               "excluded": self.excluded}
        if self.breakdown is not None:
            out["breakdown"] = self.breakdown
        return clean(out)


