"""The one aggregation core: item scores -> respondent -> role -> dimension -> overall.

Scoring, the bootstrap, the weight-sensitivity check, round comparison and
``--explain`` all go through these functions, so a rule changed here changes
every number that depends on it, and nowhere else needs to know it.

* **Respondent dimension score**: the question-weighted mean of the respondent's item
  scores over the questions asked of their role; none if the answered weight is under
  half the weight asked of that role.
* **Dimension score**: ``role-balanced`` (the mean per role, then the role-weighted
  mean of the roles that have a score) or ``pooled`` (plain mean of respondents).
* **Overall**: the dimension-weighted mean of the dimensions that have a score.

The functions work on sums and counts per role, so one resample of respondents (a
row of draw counts) and the observed data (every count 1) share one code path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .contract import THRESHOLDS
from .matrices import Matrices


def respondent_scores(m: Matrices, weights: np.ndarray | None = None, cols: np.ndarray | None = None) -> np.ndarray:
    """Respondent scores for a (Q, K) matrix of per-question weights (default: the
    questionnaire's weights per dimension, K = D), NaN where the answered-weight rule fails.

    K columns may be dimensions or weight draws of one dimension (the sensitivity
    check, which passes that dimension's question positions as ``cols`` and a
    ``(len(cols), K)`` weight matrix).
    """
    wm = m.q_weight[:, None] * m.dim_matrix if weights is None else weights
    keyed, answered, asked = m.keyed_filled, m.answered_float, m.asked_float
    if cols is not None:
        keyed, answered, asked = keyed[:, cols], answered[:, cols], asked[:, cols]
    num = keyed @ wm
    den = answered @ wm
    den_asked = asked @ wm
    ok = (den > 0) & (den >= THRESHOLDS["answered_weight_min"] * den_asked - 1e-12)
    den[~ok] = np.nan
    return num / den


def role_totals(scores: np.ndarray, role_codes: np.ndarray, n_roles: int,
                draws: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-role sums and counts of respondent scores: ``(R, D)``, or ``(B, R, D)`` for
    ``draws`` (B, n) counting how often each respondent is in each resample.

    Respondents with role code -1 (not in the questionnaire) and NaN scores add nothing.
    """
    present = ~np.isnan(scores)
    filled = np.where(present, scores, 0.0)
    presence = present.astype(float)
    one_hot = (role_codes[None, :] == np.arange(n_roles)[:, None]).astype(float)  # (R, n)
    if draws is None:
        return one_hot @ filled, one_hot @ presence
    sums = np.zeros((draws.shape[0], n_roles, scores.shape[1]))
    counts = np.zeros_like(sums)
    for r in range(n_roles):
        members = np.flatnonzero(role_codes == r)
        if members.size:
            sums[:, r] = draws[:, members] @ filled[members]
            counts[:, r] = draws[:, members] @ presence[members]
    return sums, counts


def combine_roles(sums: np.ndarray, counts: np.ndarray, role_weights: np.ndarray,
                  aggregation: str) -> np.ndarray:
    """Dimension scores from per-role sums and counts, roles on axis -2: ``(..., R, D) -> (..., D)``.

    ``role_weights`` broadcasts against ``sums`` (``(R, 1)`` for fixed weights).
    ``pooled``: all scores over all counts. ``role-balanced``: each role's mean,
    weighted by role weight over the roles that have a score (NaN if none has).
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        if aggregation == "pooled":
            total = counts.sum(axis=-2)
            return np.where(total > 0, sums.sum(axis=-2) / np.where(total > 0, total, 1.0), np.nan)
        means = np.where(counts > 0, sums / np.where(counts > 0, counts, 1.0), 0.0)
        w = np.where(counts > 0, role_weights, 0.0)
        tw = w.sum(axis=-2)
        return np.where(tw > 0, (means * w).sum(axis=-2) / np.where(tw > 0, tw, 1.0), np.nan)


def overall_score(dims: np.ndarray, dim_weights: np.ndarray) -> np.ndarray:
    """Dimension-weighted mean over the last axis of the dimensions that have a score (NaN if none)."""
    ok = ~np.isnan(dims)
    w = np.where(ok, dim_weights, 0.0)
    total = w.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (np.where(ok, dims, 0.0) * w).sum(axis=-1) / np.where(total > 0, total, 1.0),
                        np.nan)


@dataclass(frozen=True)
class Aggregate:
    """Role means and counts ``(R, D)``, dimension scores ``(D,)`` and the overall score."""

    role_means: np.ndarray
    role_counts: np.ndarray
    dims: np.ndarray
    overall: float


def aggregate(scores: np.ndarray, role_codes: np.ndarray, role_weights: np.ndarray, dim_weights: np.ndarray,
              aggregation: str) -> Aggregate:
    """Point estimates from respondent scores (n, D): the contract's aggregation, once."""
    sums, counts = role_totals(scores, role_codes, role_weights.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / np.where(counts > 0, counts, 1.0), np.nan)
    dims = combine_roles(sums, counts, role_weights[:, None], aggregation)
    return Aggregate(means, counts, dims, float(overall_score(dims, dim_weights)))


def contribution_weights(scores: np.ndarray, role_codes: np.ndarray, role_weights: np.ndarray,
                         aggregation: str) -> np.ndarray:
    """Per-respondent multiplier ``mu_i`` so that a dimension score = ``sum_i mu_i * s_i``.

    The same aggregation as :func:`combine_roles`, written per respondent, so that
    ``--explain`` can split a score into exact item contributions.
    """
    has = ~np.isnan(scores) & (role_codes >= 0)
    mu = np.zeros(len(scores))
    if not has.any():
        return mu
    if aggregation == "pooled":
        mu[has] = 1.0 / has.sum()
        return mu
    counts = np.bincount(role_codes[has], minlength=role_weights.size).astype(float)
    total = np.where(counts > 0, role_weights, 0.0).sum()
    codes = role_codes[has]
    mu[has] = role_weights[codes] / total / counts[codes]
    return mu
