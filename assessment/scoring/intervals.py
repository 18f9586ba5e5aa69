"""Bootstrap intervals that apply the scoring contract's own aggregation to every resample.

Respondents are resampled within strata (their roles) by the one resampler,
:func:`assessment.stats.resample_blocks`; each resample is aggregated by the one
aggregation core (:mod:`.aggregate`), so the interval describes exactly the number
it surrounds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .. import stats
from .aggregate import combine_roles, overall_score
from .contract import AGGREGATIONS, DEFAULT_SEED


@dataclass(frozen=True)
class BootstrapResult:
    """Percentile bounds for each dimension score and the overall score (None = undefined)."""

    dim_low: list[float | None]
    dim_high: list[float | None]
    overall_low: float | None
    overall_high: float | None


@dataclass(frozen=True)
class Sample:
    """Respondent scores (n, D) with each respondent's role code, as one resampling unit each."""

    scores: np.ndarray
    roles: np.ndarray


def resampled_totals(rng: np.random.Generator, strata: np.ndarray | None, samples: Sequence[Sample],
                     n_roles: int, n_resamples: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per-role sums and counts ``(B, R, D)`` of each sample over ``n_resamples`` resamples.

    Every sample has one row per resampling unit (unit ``k`` is row ``k`` of each
    sample), so a paired comparison resamples a person's two rounds together;
    ``strata`` (one label per unit, or None) fixes what is resampled within.
    """
    n_units = samples[0].scores.shape[0]
    parts = []
    for sample in samples:
        present = ~np.isnan(sample.scores)
        parts.append((np.where(present, sample.scores, 0.0), present.astype(float), sample.roles))
    out = [(np.zeros((n_resamples, n_roles, s.scores.shape[1])), np.zeros((n_resamples, n_roles, s.scores.shape[1])))
           for s in samples]
    for rows, members, counts in stats.resample_blocks(rng, strata, n_units, n_resamples):
        for (filled, presence, roles), (sums, cnts) in zip(parts, out, strict=True):
            member_roles = roles[members]
            for r in np.unique(member_roles[member_roles >= 0]):
                pick = member_roles == r
                sums[rows, r] += counts[:, pick] @ filled[members[pick]]
                cnts[rows, r] += counts[:, pick] @ presence[members[pick]]
    return out


def _validate(scores: ArrayLike, strata: ArrayLike, role_weights: ArrayLike, dim_weights: ArrayLike,
              aggregation: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    if aggregation not in AGGREGATIONS:
        raise ValueError(f"aggregation must be 'role-balanced' or 'pooled', got {aggregation!r}")
    s = np.asarray(scores, dtype=float)
    if s.ndim != 2:
        raise ValueError(f"scores must be 2-D, got shape {s.shape}")
    s = np.where(np.isfinite(s), s, np.nan)
    st = np.asarray(strata).ravel()
    rw = np.asarray(role_weights, dtype=float).ravel()
    dw = np.asarray(dim_weights, dtype=float).ravel()
    if st.size != s.shape[0]:
        raise ValueError(f"strata has {st.size} entries but scores has {s.shape[0]} respondents")
    if dw.size != s.shape[1]:
        raise ValueError(f"dim_weights has {dw.size} entries but scores has {s.shape[1]} dimensions")
    if st.size and (not np.issubdtype(st.dtype, np.integer) or st.min() < 0 or st.max() >= rw.size):
        raise ValueError(f"strata must be integers in 0..{rw.size - 1}")
    if not (np.isfinite(rw).all() and np.isfinite(dw).all() and (rw >= 0).all() and (dw >= 0).all()):
        raise ValueError("weights must be finite and non-negative")
    return s, st.astype(np.intp), rw, dw


def bootstrap_scores(scores: ArrayLike, roles: ArrayLike, role_weights: ArrayLike, dim_weights: ArrayLike,
                     aggregation: str = "role-balanced", n_resamples: int = 2000, seed: int = DEFAULT_SEED,
                     level: float = 0.95) -> BootstrapResult:
    """Stratified percentile bootstrap of dimension and overall scores.

    ``scores`` is respondents x dimensions (0-100, NaN = no score) and ``roles`` each
    respondent's role index. Respondents are resampled within their role, so every
    resample has the role mix of the data: the role-balanced score fixes each role's
    influence, and the interval reflects sampling noise within roles. Seeded, so the
    same data give the same interval.
    """
    s, st, rw, dw = _validate(scores, roles, role_weights, dim_weights, aggregation)
    rng = np.random.default_rng(seed)
    sums, counts = resampled_totals(rng, st, [Sample(s, st)], rw.size, int(n_resamples))[0]
    dims = combine_roles(sums, counts, rw[:, None], aggregation)
    overall = overall_score(dims, dw)
    dim_low, dim_high = stats.column_percentiles(dims, level)
    overall_ci = stats.percentile_ci(overall, level)
    return BootstrapResult(dim_low, dim_high, None if overall_ci is None else overall_ci[0],
                           None if overall_ci is None else overall_ci[1])
