"""The scoring contract's constants: trust thresholds, the default seed, aggregations."""

from __future__ import annotations

from .. import stats
from ..errors import AssessmentError

DEFAULT_SEED = stats.DEFAULT_SEED
NO_UNIT = "(no unit)"
AGGREGATIONS = ("role-balanced", "pooled")

THRESHOLDS: dict[str, float] = {
    "answered_weight_min": 0.5,
    "coverage_min": 0.6,
    "alpha_min": 0.70,
    "alpha_min_respondents": 3,
    "rwg_min": 0.70,
    "rwg_min_respondents": 10,
    "perception_gap_points": 15.0,
    "min_respondents": 5,
    "ci_level": 0.95,
}
"""Trust thresholds; printed with every result so a reader can see what a flag means."""


def check_aggregation(aggregation: str) -> str:
    """``aggregation`` if it is one the contract knows, else a user-facing error."""
    if aggregation not in AGGREGATIONS:
        raise AssessmentError(f"unknown aggregation {aggregation!r}; use role-balanced or pooled")
    return aggregation
