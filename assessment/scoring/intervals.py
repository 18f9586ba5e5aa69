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
from .aggregate import combine_roles, overall_score, role_totals
from .contract import AGGREGATIONS, DEFAULT_SEED


@dataclass(frozen=True)
class BootstrapResult:
    """Percentile bounds for each dimension score and the overall score (None = undefined)."""

    dim_low: list[float | None]
    dim_high: list[float | None]
    overall_low: float | None
    overall_high: float | None
    dim_strata: list[str] | None = None  # per dimension: "roles" (resampled within roles) or "none"
    overall_strata: str | None = None


@dataclass(frozen=True)
class Sample:
    """Respondent scores (n, D) with each respondent's role code, as one resampling unit each."""

    scores: np.ndarray
    roles: np.ndarray


def _role_runs(roles: np.ndarray) -> list[tuple[int, slice | np.ndarray]]:
    """Each role present among ``roles`` (code >= 0) with the positions that hold it:
    a slice when the role's rows are contiguous (the canonical order sorts by role), so
    the count matrix is read in place instead of copied column by column."""
    runs: list[tuple[int, slice | np.ndarray]] = []
    for r in np.unique(roles[roles >= 0]):
        where = np.flatnonzero(roles == r)
        contiguous = where[-1] - where[0] + 1 == where.size
        runs.append((int(r), slice(int(where[0]), int(where[-1]) + 1) if contiguous else where))
    return runs


def resampled_totals(rng: np.random.Generator, strata: np.ndarray | None, samples: Sequence[Sample],
                     n_roles: int, n_resamples: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per-role sums and counts ``(B, R, D)`` of each sample over ``n_resamples`` resamples.

    Every sample has one row per resampling unit (unit ``k`` is row ``k`` of each
    sample), so a paired comparison resamples a person's two rounds together;
    ``strata`` (one label per unit, or None) fixes what is resampled within.
    Sums and counts come from one product per role and block: the scores (NaN as 0)
    and their presence side by side.
    """
    n_units = samples[0].scores.shape[0]
    stacked = []
    for sample in samples:
        present = ~np.isnan(sample.scores)
        stacked.append((np.hstack([np.where(present, sample.scores, 0.0), present.astype(float)]), sample.roles))
    out = [np.zeros((n_resamples, n_roles, 2 * s.scores.shape[1])) for s in samples]
    prepared: tuple[np.ndarray, list] | None = None
    for rows, members, counts in stats.resample_blocks(rng, strata, n_units, n_resamples):
        if prepared is None or prepared[0] is not members:  # blocks of one stratum share ``members``
            prepared = (members, [(values[members], _role_runs(roles[members])) for values, roles in stacked])
        for (values, runs), totals in zip(prepared[1], out, strict=True):
            for r, cols in runs:
                totals[rows, r] += counts[:, cols] @ values[cols]
    return [(t[..., : t.shape[-1] // 2], t[..., t.shape[-1] // 2:]) for t in out]


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


MIN_CI_RESPONDENTS = 3
"""Fewer respondents with a score than this: no interval (two values resample to little but themselves)."""
MIN_STRATUM = 3
"""Resample within roles only when every role present has at least this many respondents with a score:
one respondent per role has no variance to resample, and would give a zero-width interval."""


def stratify(roles: np.ndarray) -> bool:
    """Whether respondents with these role codes (those with a score) are resampled within roles."""
    counts = np.bincount(roles[roles >= 0]) if roles.size else np.zeros(0, dtype=int)
    counts = counts[counts > 0]
    return bool(counts.size) and bool((counts >= MIN_STRATUM).all())


def _distribution(s: np.ndarray, roles: np.ndarray, rw: np.ndarray, dw: np.ndarray, aggregation: str,
                  n_resamples: int, seed: int, within_roles: bool) -> tuple[np.ndarray, np.ndarray]:
    """(B, D) dimension and (B,) overall scores over ``n_resamples`` seeded resamples."""
    rng = np.random.default_rng(seed)
    strata = roles if within_roles else None
    sums, counts = resampled_totals(rng, strata, [Sample(s, roles)], rw.size, n_resamples)[0]
    dims = combine_roles(sums, counts, rw[:, None], aggregation)
    return dims, overall_score(dims, dw)


def _bounds(dist: np.ndarray, point: float, level: float) -> tuple[float | None, float | None]:
    """Percentile bounds, widened to include ``point`` should strong skew leave it outside."""
    ci = stats.percentile_ci(dist, level)
    if ci is None or not np.isfinite(point):
        return None, None
    return min(ci[0], float(point)), max(ci[1], float(point))


def bootstrap_scores(scores: ArrayLike, roles: ArrayLike, role_weights: ArrayLike, dim_weights: ArrayLike,
                     aggregation: str = "role-balanced", n_resamples: int = 2000, seed: int = DEFAULT_SEED,
                     level: float = 0.95) -> BootstrapResult:
    """Percentile bootstrap intervals of the dimension and overall scores.

    ``scores`` is respondents x dimensions (0-100, NaN = no score) and ``roles`` each
    respondent's role index. Per dimension (and for the overall score, from the
    respondents with any score), respondents are resampled within their role when
    every role present has at least :data:`MIN_STRATUM` of them with a score (so each
    resample keeps the role mix that the role-balanced score fixes), else without
    strata. With fewer than :data:`MIN_CI_RESPONDENTS` respondents there is no
    interval. Each resample is aggregated by the core; seeded, so the same data give
    the same interval.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    if int(n_resamples) < 1:
        raise ValueError(f"n_resamples must be at least 1, got {n_resamples!r}")
    s, st, rw, dw = _validate(scores, roles, role_weights, dim_weights, aggregation)
    point_dims = combine_roles(*role_totals(s, st, rw.size), rw[:, None], aggregation)
    point_overall = float(overall_score(point_dims, dw))
    has_any = ~np.isnan(s).all(axis=1)
    columns = [~np.isnan(s[:, d]) for d in range(s.shape[1])] + [has_any]
    within = [stratify(st[c]) for c in columns]
    dists = {w: _distribution(s, st, rw, dw, aggregation, int(n_resamples), seed, w) for w in set(within)}
    lows: list[float | None] = []
    highs: list[float | None] = []
    for d, col in enumerate(columns[:-1]):
        low, high = (None, None) if col.sum() < MIN_CI_RESPONDENTS else \
            _bounds(dists[within[d]][0][:, d], point_dims[d], level)
        lows.append(low)
        highs.append(high)
    o_low, o_high = (None, None) if has_any.sum() < MIN_CI_RESPONDENTS else \
        _bounds(dists[within[-1]][1], point_overall, level)
    return BootstrapResult(lows, highs, o_low, o_high, ["roles" if w else "none" for w in within[:-1]],
                           "roles" if within[-1] else "none")


