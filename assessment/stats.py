"""Reliability, agreement, effect-size and bootstrap statistics for assessment scores.

Everything here is plain, vectorised numpy so that the numbers in a report can be
traced to a short formula and reproduced exactly:

* :func:`cronbach_alpha` tells the reader whether the items of a dimension measure
  one thing (internal consistency). Missing answers are common in surveys, so the
  default uses pairwise-complete covariances, as pingouin does, instead of
  silently throwing away every respondent with one blank.
* :func:`feldt_ci` puts an interval around alpha, because alpha from 10-30
  respondents is noisy and a bare point estimate invites over-reading.
* :func:`rwg_j` measures within-group agreement (James, Demaree & Wolf 1984)
  against a uniform "random answers" null; a dimension score is only meaningful
  as a group property if the group agrees.
* :func:`hedges_g` sizes the perception gap between leadership and practitioners
  with a small-sample correction, since groups are often fewer than 20 people.
* :func:`resample_blocks` is the bootstrap's resampler (counts of draws, within
  strata) and :func:`percentile_ci` its interval; the scoring engine applies its own
  aggregation to every resample (:mod:`assessment.scoring.intervals`).

Conventions: inputs are float arrays with ``NaN`` for a missing answer. Results
never contain NaN: anything that cannot be computed (too few respondents, zero
variance, no usable item) is returned as ``None`` so callers must handle it
explicitly instead of printing "nan" in a board report. Invalid *arguments*
(wrong shapes, a level outside (0, 1), ...) are programming errors and raise
``ValueError``.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "column_percentiles",
    "cronbach_alpha",
    "feldt_ci",
    "hedges_g",
    "percentile_ci",
    "resample_blocks",
    "rwg_j",
]

DEFAULT_SEED = 20240501
"""Fixed default seed: re-running a report on the same data must print the same interval."""

# Upper bound on the number of cells of one resample-count block. Blocks bound memory
# and, small enough, keep the draws, the counts and the products in the CPU cache:
# 2^17 cells (1 MB of counts) ran the 10,000-respondent bootstrap in 60% of the time
# 2^19 took. The stream of draws does not depend on it (see resample_blocks).
_MAX_BLOCK_CELLS = 1 << 17


# --------------------------------------------------------------------------- helpers


def _as_2d(values: ArrayLike, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (respondents x columns), got shape {arr.shape}")
    return arr


def _as_1d_finite(values: ArrayLike) -> np.ndarray:
    """Flatten to 1-D float and drop NaN/inf: missing values carry no information."""
    arr = np.asarray(values, dtype=float).ravel()
    return arr[np.isfinite(arr)]


def _check_level(level: float) -> None:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be strictly between 0 and 1, got {level!r}")


def _check_resamples(n_resamples: int) -> None:
    if int(n_resamples) < 1:
        raise ValueError(f"n_resamples must be at least 1, got {n_resamples!r}")


def _finite_or_none(value: float) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def _resample_counts(draws: np.ndarray) -> np.ndarray:
    """How often each of ``n`` units is drawn in each resample, from the ``B x n`` drawn
    indices (a row per resample).

    Drawing ``n`` indices with replacement and counting them is the ordinary
    bootstrap; keeping counts (a ``B x n`` weight matrix) instead of gathered
    values turns every resampled sum into one matrix product, which is what makes
    thousands of resamples cost milliseconds. One tally for the whole block (each
    row's indices shifted into a range of its own): blocks are small enough to stay
    in cache, and numpy tallies without holding the interpreter lock.
    """
    n_resamples, n = draws.shape
    shifted = draws + (np.arange(n_resamples) * n)[:, None]
    return np.bincount(shifted.ravel(), minlength=n_resamples * n).reshape(n_resamples, n).astype(float)


#: Fewer draws than this in all: drawn in line (a second thread would cost more than it saves).
_DRAW_AHEAD_MIN = 1 << 20


#: Every how many blocks the drawing thread tallies one itself (the rest are tallied by the
#: consumer, which also multiplies): about the split that keeps both threads equally busy.
_TALLY_SHARE = 4


def _drawn_ahead(rng: np.random.Generator, shapes: list[tuple[int, int]]) -> Iterator[np.ndarray]:
    """The counts of ``rng.integers(0, n, (B, n))`` for each shape in turn, drawn on a second thread.

    numpy draws and tallies without holding the interpreter lock, so the next
    block's indices are drawn (and one block in :data:`_TALLY_SHARE` tallied) while
    this thread tallies and multiplies the current one. The calls on ``rng`` are the
    same and in the same order as drawing in line, so are the numbers. The thread
    runs at most two blocks ahead; leaving early stops it.
    """
    import queue
    import threading

    ready: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()

    def draw() -> None:
        try:
            for i, (b, n) in enumerate(shapes):
                if stop.is_set():
                    return
                drawn = rng.integers(0, n, size=(b, n))
                tallied = i % _TALLY_SHARE == _TALLY_SHARE - 1
                ready.put((True, _resample_counts(drawn)) if tallied else (False, drawn))
        except BaseException as exc:  # re-raised in the consumer
            ready.put((None, exc))

    worker = threading.Thread(target=draw, name="bootstrap-draws", daemon=True)
    worker.start()
    try:
        for _ in shapes:
            tallied, block = ready.get()
            if tallied is None:
                raise block
            yield block if tallied else _resample_counts(block)
    finally:
        stop.set()
        while worker.is_alive():  # unblock a worker waiting on a full queue
            with contextlib.suppress(queue.Empty):
                ready.get_nowait()
            worker.join(0.01)


def _block_sizes(n_resamples: int, n_units: int) -> list[int]:
    """Split ``n_resamples`` into blocks whose weight matrices stay below the memory cap."""
    per_block = max(1, _MAX_BLOCK_CELLS // max(1, n_units))
    full, rest = divmod(n_resamples, per_block)
    return [per_block] * full + ([rest] if rest else [])


def column_percentiles(samples: np.ndarray, level: float) -> tuple[list[float | None], list[float | None]]:
    """Percentile interval of each column of a ``B x D`` bootstrap matrix.

    Resamples where the statistic is undefined (NaN) are left out; a column with
    no defined resample gets ``None``.
    """
    lows: list[float | None] = []
    highs: list[float | None] = []
    for column in samples.T:
        ci = percentile_ci(column, level)
        lows.append(None if ci is None else ci[0])
        highs.append(None if ci is None else ci[1])
    return lows, highs


# ------------------------------------------------------------------ reliability


def cronbach_alpha(items: ArrayLike, nan_policy: str = "pairwise") -> float | None:
    """Cronbach's alpha of a respondents x items matrix (NaN = missing answer).

    ``alpha = k/(k-1) * (1 - trace(C) / sum(C))`` where ``C`` is the sample
    covariance matrix of the items (ddof=1). With ``nan_policy="pairwise"``
    (default) each covariance uses the respondents who answered both items,
    exactly like ``pandas.DataFrame.cov`` and therefore ``pingouin.cronbach_alpha``;
    this keeps partially completed questionnaires in the estimate. With
    ``"listwise"`` only respondents who answered every item are used.

    Item columns that nobody answered are dropped before counting ``k``, because
    an unused question says nothing about consistency. Returns ``None`` with
    fewer than 2 items, fewer than 3 respondents (rows with at least one answer,
    or complete rows for listwise), when an item has fewer than two answers, or when
    the summed covariances are zero (everyone gave identical answers). Pairs of items
    that no respondent answered together are left out of the sum, as pingouin does.
    """
    if nan_policy not in ("pairwise", "listwise"):
        raise ValueError(f"nan_policy must be 'pairwise' or 'listwise', got {nan_policy!r}")
    x = _as_2d(items, "items")
    x = np.where(np.isfinite(x), x, np.nan)
    x = x[:, ~np.isnan(x).all(axis=0)]
    # listwise keeps complete rows only; pairwise keeps every row with an answer
    row_missing = np.isnan(x).any(axis=1) if nan_policy == "listwise" else np.isnan(x).all(axis=1)
    x = x[~row_missing]
    n, k = x.shape
    if k < 2 or n < 3:
        return None

    # Covariance is shift-invariant; centring each column first keeps the
    # one-pass sums below numerically accurate even for large score values.
    x = x - np.nanmean(x, axis=0)
    observed = (~np.isnan(x)).astype(float)
    z = np.where(np.isnan(x), 0.0, x)
    n_pair = observed.T @ observed  # respondents who answered both i and j
    sum_i = z.T @ observed  # sum of item i over those respondents
    sum_j = observed.T @ z  # sum of item j over those respondents
    sum_ij = z.T @ z
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = (sum_ij - sum_i * sum_j / n_pair) / (n_pair - 1.0)
    cov[n_pair < 2] = np.nan  # pandas also leaves such pairs undefined

    # Like pingouin (trace of the covariance frame over its NaN-skipping sum): a pair
    # of items nobody answered together drops out of the total, as in role-routed
    # questionnaires, while an item with fewer than two answers leaves the trace
    # undefined and so alpha too.
    total = np.nansum(cov)
    trace = np.trace(cov)
    # The summed covariances are floating-point sums: a total that is zero in exact
    # arithmetic comes out as ~1e-17, which would turn alpha into ~1e16. Treat
    # anything within rounding error of zero as zero (alpha undefined).
    if not np.isfinite(trace) or abs(total) <= 1e-9 * max(1.0, float(np.nansum(np.abs(cov)))):
        return None
    return _finite_or_none(k / (k - 1.0) * (1.0 - trace / total))


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz's method)."""
    tiny, eps = 1e-300, 1e-15
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        for num in (m * (b - m) * x / ((qam + m2) * (a + m2)), -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < eps:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                 + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _betacf(b, a, 1.0 - x) / b


def f_quantile(p: float, df1: float, df2: float) -> float:
    """Quantile of the F distribution (what ``scipy.stats.f.ppf`` gives).

    Written here because importing scipy costs about 0.3 s on every ``assess score``,
    more than the whole scoring; bisection on the CDF (via the regularised
    incomplete beta function) reaches double precision in ~100 steps.
    """
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be in (0, 1), got {p}")
    a, b = df1 / 2.0, df2 / 2.0

    def cdf(x: float) -> float:
        return _betainc(a, b, df1 * x / (df1 * x + df2))

    lo, hi = 0.0, 1.0
    while cdf(hi) < p:
        lo, hi = hi, hi * 2.0
        if hi > 1e12:
            return math.inf
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if cdf(mid) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-14 * max(1.0, hi):
            break
    return (lo + hi) / 2.0


def feldt_ci(alpha: float | None, n: int, k: int, level: float = 0.95) -> tuple[float, float] | None:
    """Feldt (1965) confidence interval for Cronbach's alpha, as pingouin computes it.

    ``(1 - alpha_true) / (1 - alpha)`` follows an F distribution with
    ``df1 = n - 1`` and ``df2 = (n - 1)(k - 1)``, which gives
    ``lower = 1 - (1 - alpha) * F(1 - (1-level)/2)`` and
    ``upper = 1 - (1 - alpha) * F((1-level)/2)``. ``n`` is the number of
    respondents and ``k`` the number of items. Unrounded (pingouin rounds to 3
    decimals). ``None`` when alpha is missing/non-finite or ``n < 2`` / ``k < 2``.
    """
    _check_level(level)
    if alpha is None or not np.isfinite(alpha) or n < 2 or k < 2:
        return None
    df1 = float(n - 1)
    df2 = float((n - 1) * (k - 1))
    tail = (1.0 - level) / 2.0
    lower = 1.0 - (1.0 - alpha) * f_quantile(1.0 - tail, df1, df2)
    upper = 1.0 - (1.0 - alpha) * f_quantile(tail, df1, df2)
    if not (np.isfinite(lower) and np.isfinite(upper)):
        return None
    return lower, upper


# -------------------------------------------------------------------- agreement


def rwg_j(raw: ArrayLike, n_points: ArrayLike) -> float | None:
    """Multi-item within-group agreement rwg(j) against the uniform null.

    For item ``j`` with ``A_j`` scale points, random answers would have variance
    ``(A_j^2 - 1) / 12``; ``q`` is the mean over items of the observed variance
    (ddof=1, non-missing answers) divided by that expected variance, and
    ``rwg(j) = J(1-q) / (J(1-q) + q)`` with ``J`` the number of items used.
    When the group disagrees at least as much as random answering (``q >= 1``)
    the value is set to 0, the usual convention, instead of a negative or
    exploding number.

    ``raw`` holds the *raw* answers on the response scale (respondents x items,
    NaN missing), not rescaled 0-100 scores, because the null variance is defined
    on the scale points. Items with fewer than 2 answers are skipped. Returns
    ``None`` with fewer than 3 respondents (rows with at least one answer) or no
    usable item: with 2 raters, random answers reach rwg >= .70 about half the
    time, so the number would be noise.
    """
    x = _as_2d(raw, "raw")
    x = np.where(np.isfinite(x), x, np.nan)
    points = np.asarray(n_points, dtype=float).ravel()
    if points.size != x.shape[1]:
        raise ValueError(f"n_points has {points.size} entries but raw has {x.shape[1]} items")
    if np.any(~np.isfinite(points)) or np.any(points < 2):
        raise ValueError("every item needs at least 2 scale points")

    answered = ~np.isnan(x)
    if int(answered.any(axis=1).sum()) < 3:
        return None
    n_j = answered.sum(axis=0)
    usable = n_j >= 2
    if not usable.any():
        return None
    x = x[:, usable]
    mean = np.nanmean(x, axis=0)
    var = np.nansum((x - mean) ** 2, axis=0) / (n_j[usable] - 1.0)
    null_var = (points[usable] ** 2 - 1.0) / 12.0
    q = float(np.mean(var / null_var))
    if q >= 1.0:
        return 0.0
    j = float(usable.sum())
    return _finite_or_none(j * (1.0 - q) / (j * (1.0 - q) + q))


# ------------------------------------------------------------------ effect size


def hedges_g(a: ArrayLike, b: ArrayLike) -> float | None:
    """Hedges' g for ``mean(a) - mean(b)``: Cohen's d with the small-sample correction.

    ``d = (mean(a) - mean(b)) / s_pooled`` with the pooled standard deviation
    (ddof=1), multiplied by ``J = 1 - 3 / (4(n1 + n2) - 9)``; matches
    ``pingouin.compute_effsize(a, b, eftype="hedges")``. The correction matters
    here because leadership groups are often 3-8 people, where d overstates the
    gap. NaN values are dropped. ``None`` when either side has fewer than 2 values
    or both sides are constant (pooled SD 0, so the gap has no scale).
    """
    x = _as_1d_finite(a)
    y = _as_1d_finite(b)
    n1, n2 = x.size, y.size
    if n1 < 2 or n2 < 2:
        return None
    # Test constancy exactly rather than comparing a rounded SD to 0: the mean of
    # identical floats can differ from them in the last bit.
    if np.ptp(x) == 0 and np.ptp(y) == 0:
        return None
    pooled_var = ((n1 - 1) * x.var(ddof=1) + (n2 - 1) * y.var(ddof=1)) / (n1 + n2 - 2)
    if not pooled_var > 0:  # differences so tiny that the variance underflows
        return None
    d = (x.mean() - y.mean()) / np.sqrt(pooled_var)
    correction = 1.0 - 3.0 / (4.0 * (n1 + n2) - 9.0)
    return _finite_or_none(d * correction)


# -------------------------------------------------------------------- bootstrap


def percentile_ci(values: ArrayLike, level: float = 0.95) -> tuple[float, float] | None:
    """Percentile interval of a bootstrap distribution (NaN resamples ignored).

    Returns the ``(1-level)/2`` and ``(1+level)/2`` quantiles (numpy's default
    linear interpolation), or ``None`` if no value is finite.
    """
    _check_level(level)
    v = _as_1d_finite(values)
    if v.size == 0:
        return None
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(v, [tail, 1.0 - tail])
    return float(low), float(high)


def resample_blocks(rng: np.random.Generator, strata: np.ndarray | None, n_units: int,
                    n_resamples: int) -> Iterator[tuple[slice, np.ndarray, np.ndarray]]:
    """The one bootstrap resampler: draw counts, stratum by stratum, block by block.

    Yields ``(rows, members, counts)``: for the resamples ``rows`` (a slice of
    ``0..n_resamples``), how often each unit ``members`` of one stratum is drawn
    (``counts``, shape ``(len(rows), len(members))``). Units are resampled with
    replacement *within* their stratum (``strata=None``: one stratum, the ordinary
    bootstrap), so every resample keeps the strata's sizes. Strata come in sorted
    order and blocks in resample order, so the random stream, and therefore the
    interval, does not depend on the block size that bounds memory. Large runs draw
    (and partly tally) a block or two ahead on a second thread (:func:`_drawn_ahead`):
    same numbers.
    """
    _check_resamples(n_resamples)
    labels = np.zeros(n_units, dtype=np.intp) if strata is None else np.asarray(strata)
    blocks = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        start = 0
        for size in _block_sizes(n_resamples, members.size):
            blocks.append((slice(start, start + size), members))
            start += size
    shapes = [(rows.stop - rows.start, members.size) for rows, members in blocks]
    if sum(b * n for b, n in shapes) >= _DRAW_AHEAD_MIN:
        counted: Iterator[np.ndarray] = _drawn_ahead(rng, shapes)
    else:
        counted = (_resample_counts(rng.integers(0, n, size=(b, n))) for b, n in shapes)
    try:
        for (rows, members), counts in zip(blocks, counted, strict=True):
            yield rows, members, counts
    finally:
        counted.close()  # a consumer that stops early stops the drawing thread too
