"""The scoring engine: from tidy answers to dimension scores a consultant can defend.

The scoring contract:

* **Item score** (0-100): a scale answer ``x`` on points ``v_min..v_max`` scores
  ``100 (x - v_min) / (v_max - v_min)``; a numeric answer scores
  ``100 (x - worst) / (best - worst)`` clipped to [0, 100]; reverse-keyed items
  score ``100 - s``. N/A, blank and text answers are never scored.
* **Respondent dimension score**: the question-weighted mean of the respondent's item
  scores over the questions asked of their role; none if the answered weight is under
  half the weight asked of that role (a respondent who skipped most of a dimension
  should not speak for it).
* **Dimension score**: ``role-balanced`` (the mean per role, then the role-weighted
  mean of the roles that have a score, so ten engineers do not drown out two
  executives) or ``pooled`` (plain mean). **Overall**: the dimension-weighted mean.

Modules, one idea each: :mod:`.matrices` (answers as dense arrays), :mod:`.aggregate`
(the one aggregation core every number goes through), :mod:`.intervals` (bootstrap),
:mod:`.flags` (trust flags), :mod:`.engine` (``score``), :mod:`.explain` (traces),
:mod:`.sensitivity` (weight changes), :mod:`.compare` (rounds), :mod:`.result`
(the result type). Nothing returned ever contains NaN: what cannot be computed is
``None``, so JSON output and board reports never show "nan".
"""

from __future__ import annotations

from .compare import compare_rounds
from .contract import DEFAULT_SEED, NO_UNIT, THRESHOLDS
from .engine import score
from .explain import explain, explain_respondent, item_scores, respondent_dimension_scores
from .result import ScoreResult
from .sensitivity import weight_sensitivity

__all__ = [
    "DEFAULT_SEED",
    "NO_UNIT",
    "THRESHOLDS",
    "ScoreResult",
    "compare_rounds",
    "explain",
    "explain_respondent",
    "item_scores",
    "respondent_dimension_scores",
    "score",
    "weight_sensitivity",
]
