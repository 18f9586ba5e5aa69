"""Tests for assessment.stats: reference oracles first, then properties.

The reference values (pingouin 0.7, an independent implementation of the scoring
contract, and published bootstrap / rwg figures) live in tests/data/reference;
see its README.md. Expected numbers are read from expected.json, not copied here.
The reference tests call the functions production calls: the statistics in
``assessment.stats`` and the aggregation core and bootstrap of ``assessment.scoring``.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from assessment.scoring.aggregate import aggregate
from assessment.scoring.intervals import BootstrapResult, bootstrap_scores
from assessment.stats import cronbach_alpha, feldt_ci, hedges_g, percentile_ci, rwg_j

NAN = float("nan")
TOL = 1e-9


# ------------------------------------------------------------------ fixtures


REFERENCE = Path(__file__).parent / "data" / "reference"


def aggregate_scores(scores, strata, role_weights, dim_weights, aggregation="role-balanced"):
    """The production aggregation core, as lists with None where undefined."""
    result = aggregate(np.asarray(scores, dtype=float), np.asarray(strata), np.asarray(role_weights, dtype=float),
                       np.asarray(dim_weights, dtype=float), aggregation)
    dims = [None if math.isnan(v) else float(v) for v in result.dims]
    return dims, None if math.isnan(result.overall) else result.overall


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    return REFERENCE


@pytest.mark.shared
def test_reference_copies_match_the_shared_set(shared_dir: Path) -> None:
    for path in REFERENCE.iterdir():
        if path.suffix in (".csv", ".json"):
            assert path.read_bytes() == (shared_dir / "reference" / path.name).read_bytes(), path.name


@pytest.fixture(scope="session")
def expected(reference_dir: Path) -> dict:
    return json.loads((reference_dir / "expected.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def alpha_items(reference_dir: Path) -> np.ndarray:
    frame = pd.read_csv(reference_dir / "alpha_with_missing.csv")
    # the first column is a respondent id, not an item
    return frame.drop(columns="respondent").to_numpy(dtype=float)


@pytest.fixture(scope="session")
def agreement_groups(reference_dir: Path) -> dict[str, np.ndarray]:
    frame = pd.read_csv(reference_dir / "agreement_groups.csv")
    return {str(name): sub.drop(columns="group").to_numpy(dtype=float) for name, sub in frame.groupby("group")}


@pytest.fixture(scope="session")
def perception_gap(reference_dir: Path) -> dict[str, np.ndarray]:
    with (reference_dir / "perception_gap.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    groups: dict[str, list[float]] = {}
    for row in rows:
        groups.setdefault(row["group"], []).append(float(row["score"]))
    return {name: np.array(values) for name, values in groups.items()}


@pytest.fixture(scope="session")
def worked_example(reference_dir: Path) -> dict:
    return json.loads((reference_dir / "worked_example.json").read_text(encoding="utf-8"))


# ------------------------------------------------------- reference: alpha


def test_alpha_pairwise_matches_pingouin(alpha_items: np.ndarray, expected: dict) -> None:
    ref = expected["alpha_with_missing.csv"]["pairwise"]["alpha"]
    assert cronbach_alpha(alpha_items) == pytest.approx(ref, abs=TOL)
    assert cronbach_alpha(alpha_items, nan_policy="pairwise") == pytest.approx(ref, abs=TOL)


def test_alpha_listwise_matches_pingouin(alpha_items: np.ndarray, expected: dict) -> None:
    ref = expected["alpha_with_missing.csv"]["listwise"]["alpha"]
    assert cronbach_alpha(alpha_items, nan_policy="listwise") == pytest.approx(ref, abs=TOL)


def test_feldt_ci_matches_pingouin(alpha_items: np.ndarray, expected: dict) -> None:
    block = expected["alpha_with_missing.csv"]
    n, k = alpha_items.shape  # n = all 14 rows, as pingouin counts them
    assert (n, k) == (14, 6)
    pairwise = feldt_ci(block["pairwise"]["alpha"], n, k)
    listwise = feldt_ci(block["listwise"]["alpha"], n, k)
    assert pairwise is not None and listwise is not None
    assert [round(v, 3) for v in pairwise] == block["pairwise"]["feldt_ci95"]
    assert [round(v, 3) for v in listwise] == block["listwise"]["feldt_ci95_n_all_rows"]


def test_feldt_ci_agrees_with_scipy_stats_f(alpha_items: np.ndarray) -> None:
    from scipy.stats import f

    alpha = cronbach_alpha(alpha_items)
    assert alpha is not None
    for level in (0.8, 0.9, 0.95, 0.99):
        low, high = feldt_ci(alpha, 14, 6, level=level)
        tail = (1 - level) / 2
        assert low == pytest.approx(1 - (1 - alpha) * f.ppf(1 - tail, 13, 65), abs=1e-12)
        assert high == pytest.approx(1 - (1 - alpha) * f.ppf(tail, 13, 65), abs=1e-12)
        assert low < alpha < high


def test_feldt_ci_none_when_not_computable() -> None:
    assert feldt_ci(NAN, 14, 6) is None
    assert feldt_ci(None, 14, 6) is None  # type: ignore[arg-type]
    assert feldt_ci(0.8, 1, 6) is None
    assert feldt_ci(0.8, 14, 1) is None
    with pytest.raises(ValueError):
        feldt_ci(0.8, 14, 6, level=1.0)


# -------------------------------------------------------- reference: rwg


def test_rwg_j_per_group(agreement_groups: dict[str, np.ndarray], expected: dict) -> None:
    ref = expected["agreement_groups.csv"]["rwg_j_uniform"]
    assert set(agreement_groups) == set(ref)
    for name, raw in agreement_groups.items():
        assert rwg_j(raw, [5] * raw.shape[1]) == pytest.approx(ref[name], abs=TOL), name


def _exact_chance_probability(n_raters: int, points: int = 5, threshold: float = 0.70) -> float:
    """P(rwg >= threshold) for one item when every rater answers uniformly at random."""
    hits = 0
    total = 0
    for combo in itertools.product(range(1, points + 1), repeat=n_raters):
        value = rwg_j(np.array(combo, dtype=float)[:, None], [points])
        total += 1
        # s^2 can hit the boundary exactly (n = 5: s^2 = 0.6); allow for rounding
        if value is not None and value >= threshold - 1e-9:
            hits += 1
    return hits / total


@pytest.mark.parametrize("n_raters", [3, 4, 5])
def test_rwg_chance_distribution_matches_published(n_raters: int, expected: dict) -> None:
    published = expected["published"]["rwg_chance_agreement_5_point"]["P(rwg>=.70) under random answers"]
    assert _exact_chance_probability(n_raters) == pytest.approx(published[f"n={n_raters}"], abs=1e-12)


def test_rwg_two_raters_is_not_reported(expected: dict) -> None:
    # With 2 raters, random answers reach rwg >= .70 about half the time (the
    # published 0.52), so rwg_j refuses to report a number at all.
    published = expected["published"]["rwg_chance_agreement_5_point"]["P(rwg>=.70) under random answers"]
    assert published["n=2"] > 0.5
    for combo in itertools.product(range(1, 6), repeat=2):
        assert rwg_j(np.array(combo, dtype=float)[:, None], [5]) is None


def test_rwg_edge_cases() -> None:
    # perfect agreement
    assert rwg_j(np.full((4, 3), 3.0), [5, 5, 5]) == 1.0
    # more spread than random answering -> 0, never negative
    assert rwg_j(np.array([[1.0], [5.0], [1.0], [5.0]]), [5]) == 0.0
    # items with fewer than 2 answers are skipped; none usable -> None
    raw = np.array([[1.0, NAN], [2.0, NAN], [2.0, 4.0]])
    assert rwg_j(raw, [5, 5]) == pytest.approx(rwg_j(raw[:, :1], [5]), abs=TOL)
    assert rwg_j(np.array([[1.0, NAN], [NAN, 2.0], [NAN, NAN], [NAN, NAN]]), [5, 5]) is None
    # fewer than 3 respondents with an answer
    assert rwg_j(np.array([[1.0, 2.0], [2.0, 2.0], [NAN, NAN]]), [5, 5]) is None
    with pytest.raises(ValueError):
        rwg_j(np.ones((4, 2)), [5])
    with pytest.raises(ValueError):
        rwg_j(np.ones((4, 1)), [1])


# ---------------------------------------------- reference: perception gap


def test_perception_gap_difference_and_hedges_g(perception_gap: dict[str, np.ndarray], expected: dict) -> None:
    ref = expected["perception_gap.csv"]
    leadership, practitioners = perception_gap["leadership"], perception_gap["practitioner"]
    assert leadership.mean() - practitioners.mean() == pytest.approx(ref["difference"], abs=TOL)
    assert hedges_g(leadership, practitioners) == pytest.approx(ref["hedges_g"], abs=TOL)
    assert hedges_g(practitioners, leadership) == pytest.approx(-ref["hedges_g"], abs=TOL)


def test_hedges_g_none_cases() -> None:
    assert hedges_g([1.0], [1.0, 2.0]) is None
    assert hedges_g([1.0, NAN], [1.0, 2.0, 3.0]) is None  # one value after dropping NaN
    assert hedges_g([0.1, 0.1, 0.1], [0.3, 0.3]) is None  # pooled SD 0
    assert hedges_g([], []) is None
    assert hedges_g([0.0, 5e-324], [0.0, 0.0]) is None  # variance underflows to 0
    g = hedges_g([1.0, 2.0, NAN], [1.0, 2.0, 3.0])
    assert g is not None and math.isfinite(g)


# ------------------------------------------------ reference: worked example


def _item_matrix(example: dict, dimension: dict, *, raw: bool) -> tuple[np.ndarray, list[int]]:
    """Respondents x items of one dimension: raw scale answers, or 0-100 item scores.

    Item scores follow the scoring contract the reference was built with: scale
    answers rescaled linearly to 0-100 (reversed if keyed so), numeric answers
    mapped from worst..best to 0..100 and clipped; N/A and blanks are missing.
    Raw matrices (for rwg) keep only scale questions, with their number of points.
    """
    scales = example["questionnaire"]["scales"]
    columns: list[list[float]] = []
    points: list[int] = []
    for question in dimension["questions"]:
        kind = question.get("type", "scale")
        if kind == "text" or (raw and kind != "scale"):
            continue
        column = []
        for respondent in example["respondents"]:
            answer = respondent["answers"].get(question["id"])
            if not isinstance(answer, (int, float)):
                column.append(NAN)
            elif raw:
                column.append(float(answer))
            elif kind == "numeric":
                score = (answer - question["worst"]) / (question["best"] - question["worst"]) * 100
                column.append(min(100.0, max(0.0, score)))
            else:
                values = [p["value"] for p in scales[question["scale"]]["points"]]
                score = (answer - min(values)) / (max(values) - min(values)) * 100
                column.append(100.0 - score if question.get("reverse") else score)
        columns.append(column)
        if kind == "scale":
            points.append(len(scales[question["scale"]]["points"]))
    return np.array(columns).T, points


def test_worked_example_alpha_and_rwg(worked_example: dict) -> None:
    expected_dims = {d["id"]: d for d in worked_example["expected"]["dimensions"]}
    for dimension in worked_example["questionnaire"]["dimensions"]:
        ref = expected_dims[dimension["id"]]
        scores, _ = _item_matrix(worked_example, dimension, raw=False)
        answers, points = _item_matrix(worked_example, dimension, raw=True)
        # alpha = 0.0 for monitoring is a genuine zero covariance, not a clamp
        assert cronbach_alpha(scores) == pytest.approx(ref["alpha"], abs=TOL), dimension["id"]
        assert rwg_j(answers, points) == pytest.approx(ref["rwg"], abs=TOL), dimension["id"]


def test_worked_example_aggregation_and_gap(worked_example: dict) -> None:
    questionnaire = worked_example["questionnaire"]
    expected_block = worked_example["expected"]
    roles = [r["id"] for r in questionnaire["roles"]]
    dims = [d["id"] for d in questionnaire["dimensions"]]
    by_id = expected_block["respondent_dimension_scores"]
    respondents = worked_example["respondents"]
    scores = np.array([[NAN if by_id[r["id"]][d] is None else by_id[r["id"]][d] for d in dims] for r in respondents])
    strata = np.array([roles.index(r["role"]) for r in respondents])
    role_weights = [r["weight"] for r in questionnaire["roles"]]
    dim_weights = [d["weight"] for d in questionnaire["dimensions"]]

    dim_scores, overall = aggregate_scores(scores, strata, role_weights, dim_weights)
    assert dim_scores == pytest.approx([d["score"] for d in expected_block["dimensions"]], abs=TOL)
    assert overall == pytest.approx(expected_block["overall"]["score"], abs=TOL)

    leaders = {r["id"] for r in questionnaire["roles"] if r["group"] == "leadership"}
    is_leader = np.array([r["role"] in leaders for r in respondents])
    for j, ref in enumerate(expected_block["dimensions"]):
        gap = ref["perception_gap"]
        assert hedges_g(scores[is_leader, j], scores[~is_leader, j]) == pytest.approx(gap["hedges_g"], abs=TOL)

    # the interval machinery runs on the same inputs and brackets the point estimates
    result = bootstrap_scores(scores, strata, role_weights, dim_weights)
    for low, high, point in zip(result.dim_low, result.dim_high, dim_scores, strict=True):
        assert low <= point + TOL and point <= high + TOL


# ---------------------------------------------------- reference: bootstrap


def test_bootstrap_mean_matches_r_boot_percentile(expected: dict) -> None:
    block = expected["published"]["bootstrap_mean_16_values"]
    data = np.array(block["data"], dtype=float)
    ref_low, ref_high = block["R_boot_ci95"]["percentile"]

    result = bootstrap_scores(data[:, None], np.zeros(data.size, dtype=int), [1.0], [1.0], n_resamples=10_000)
    assert result.dim_low[0] == pytest.approx(ref_low, abs=1.5)
    assert result.dim_high[0] == pytest.approx(ref_high, abs=1.5)
    assert (result.overall_low, result.overall_high) == (result.dim_low[0], result.dim_high[0])

    # not seed luck: other seeds land within the same tolerance
    for seed in (1, 2, 3):
        other = bootstrap_scores(data[:, None], np.zeros(data.size, dtype=int), [1.0], [1.0], n_resamples=10_000,
                                 seed=seed)
        low, high = other.dim_low[0], other.dim_high[0]
        assert low == pytest.approx(ref_low, abs=1.5)
        assert high == pytest.approx(ref_high, abs=1.5)


# ------------------------------------------------------ alpha: other checks


def _pandas_alpha(items: np.ndarray) -> float:
    cov = pd.DataFrame(items).dropna(axis=1, how="all").cov()
    k = cov.shape[0]
    # pingouin: trace of the covariance frame over its (NaN-skipping) pandas sum
    return k / (k - 1) * (1 - np.trace(cov.to_numpy()) / cov.sum().sum())


likert_matrices = st.tuples(st.integers(3, 15), st.integers(2, 6)).flatmap(
    lambda shape: arrays(np.float64, shape, elements=st.sampled_from([NAN, 1.0, 2.0, 3.0, 4.0, 5.0]))
)


@settings(max_examples=200, deadline=None)
@given(likert_matrices)
def test_alpha_pairwise_agrees_with_pandas_covariance(items: np.ndarray) -> None:
    value = cronbach_alpha(items)
    if value is not None:
        assert math.isfinite(value)
        assert value == pytest.approx(_pandas_alpha(items), rel=1e-9, abs=1e-9)


def test_alpha_is_undefined_when_covariances_cancel_to_rounding_error() -> None:
    # The summed covariances are exactly zero here; floating-point sums left ~1e-17,
    # and alpha came out as 2.16e16. pandas' covariance gives -inf: no alpha.
    items = [[4, 3, 3, NAN, 3, 3], [5, 3, 3, 3, 3, 3], [3, 3, 3, 4, 3, 3], [4, 3, 3, 3, 3, 3]]
    assert not math.isfinite(_pandas_alpha(np.array(items, dtype=float)))
    assert cronbach_alpha(items) is None


@settings(max_examples=100, deadline=None)
@given(likert_matrices, st.data())
def test_alpha_and_rwg_invariant_to_row_order(items: np.ndarray, data: st.DataObject) -> None:
    order = data.draw(st.permutations(range(items.shape[0])))
    shuffled = items[list(order)]
    points = [5] * items.shape[1]
    for policy in ("pairwise", "listwise"):
        a, b = cronbach_alpha(items, policy), cronbach_alpha(shuffled, policy)
        assert (a is None) == (b is None)
        if a is not None:
            assert a == pytest.approx(b, rel=1e-9, abs=1e-9)
    r1, r2 = rwg_j(items, points), rwg_j(shuffled, points)
    assert (r1 is None) == (r2 is None)
    if r1 is not None:
        assert r1 == pytest.approx(r2, abs=1e-12)
        assert 0.0 <= r1 <= 1.0


def test_alpha_none_cases() -> None:
    good = np.array([[1.0, 2.0], [2.0, 3.0], [3.0, 3.0], [4.0, 5.0]])
    assert cronbach_alpha(good) is not None
    assert cronbach_alpha(good[:, :1]) is None  # one item
    assert cronbach_alpha(good[:2]) is None  # two respondents
    assert cronbach_alpha(np.full((5, 3), 3.0)) is None  # no variance at all
    # an all-NaN item column is dropped before counting k
    with_empty = np.column_stack([good, np.full(4, NAN)])
    assert cronbach_alpha(with_empty) == pytest.approx(cronbach_alpha(good), abs=TOL)
    # rows without any answer do not count as respondents
    padded = np.vstack([good[:2], np.full((3, 2), NAN)])
    assert cronbach_alpha(padded) is None
    # listwise with fewer than 3 complete rows
    holes = np.array([[1.0, NAN], [NAN, 2.0], [3.0, 3.0], [4.0, 5.0], [2.0, NAN], [NAN, 1.0]])
    assert cronbach_alpha(holes, "listwise") is None
    assert cronbach_alpha(holes, "pairwise") is not None
    with pytest.raises(ValueError):
        cronbach_alpha(good, nan_policy="drop")


def test_alpha_shift_invariant_for_large_values() -> None:
    rng = np.random.default_rng(7)
    base = rng.integers(1, 6, size=(40, 5)).astype(float)
    base[rng.random(base.shape) < 0.1] = NAN
    assert cronbach_alpha(base + 1e6) == pytest.approx(cronbach_alpha(base), abs=1e-7)


# --------------------------------------------------------- None, never NaN

small_matrices = st.tuples(st.integers(0, 4), st.integers(0, 4)).flatmap(
    lambda shape: arrays(np.float64, shape, elements=st.sampled_from([NAN, 1.0, 2.0, 3.0]))
)


@settings(max_examples=200, deadline=None)
@given(small_matrices)
def test_tiny_inputs_give_none_or_finite(items: np.ndarray) -> None:
    results = [
        cronbach_alpha(items),
        cronbach_alpha(items, "listwise"),
        rwg_j(items, [3] * items.shape[1]),
        hedges_g(items[:, :1].ravel(), items[:, 1:2].ravel()) if items.shape[1] >= 2 else None,
    ]
    if items.size:
        boot = bootstrap_scores(items, np.zeros(items.shape[0], dtype=int), [1.0], [1.0] * items.shape[1],
                                n_resamples=50)
        results += [*boot.dim_low, *boot.dim_high, boot.overall_low, boot.overall_high]
    for value in results:
        if isinstance(value, tuple):
            assert all(math.isfinite(v) for v in value)
        else:
            assert value is None or math.isfinite(value)
    if items.shape[0] < 3:
        assert cronbach_alpha(items) is None
        assert rwg_j(items, [3] * items.shape[1]) is None


def test_tiny_samples_return_none() -> None:
    assert percentile_ci([NAN, NAN]) is None
    assert percentile_ci([]) is None


# ---------------------------------------------------------------- hedges_g

finite_samples = st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=0, max_size=12)


@settings(max_examples=200, deadline=None)
@given(finite_samples, finite_samples)
def test_hedges_g_antisymmetric(a: list[float], b: list[float]) -> None:
    forward, backward = hedges_g(a, b), hedges_g(b, a)
    assert (forward is None) == (backward is None)
    if forward is not None:
        assert math.isfinite(forward)
        assert forward == pytest.approx(-backward, rel=1e-12, abs=1e-12)


# --------------------------------------------------------------- bootstrap


def _survey(rng: np.random.Generator, n: int, n_roles: int, n_dims: int, missing: float = 0.05):
    """Respondent dimension scores with role-specific means, clipped to 0-100."""
    strata = np.arange(n) % n_roles  # every role represented
    role_shift = np.linspace(-15, 15, n_roles)[strata, None]
    scores = np.clip(rng.normal(55, 18, size=(n, n_dims)) + role_shift, 0, 100)
    scores[rng.random(scores.shape) < missing] = NAN
    return scores, strata


def test_bootstrap_is_deterministic_for_a_seed() -> None:
    scores, strata = _survey(np.random.default_rng(3), 60, 3, 4)
    args = (scores, strata, [2.0, 1.0, 1.0], [1.0, 2.0, 1.0, 1.0])
    first = bootstrap_scores(*args, seed=11)
    assert first == bootstrap_scores(*args, seed=11)
    assert first != bootstrap_scores(*args, seed=12)
    assert isinstance(first, BootstrapResult)
    with pytest.raises(AttributeError):
        first.overall_low = 0.0  # type: ignore[misc]


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    per_role=st.integers(8, 40),
    n_roles=st.integers(1, 4),
    n_dims=st.integers(1, 4),
    aggregation=st.sampled_from(["role-balanced", "pooled"]),
)
def test_bootstrap_interval_contains_point_estimate(
    seed: int, per_role: int, n_roles: int, n_dims: int, aggregation: str
) -> None:
    rng = np.random.default_rng(seed)
    scores, strata = _survey(rng, per_role * n_roles, n_roles, n_dims)
    role_weights = rng.uniform(0.5, 3, n_roles)
    dim_weights = rng.uniform(0.5, 3, n_dims)
    points, overall = aggregate_scores(scores, strata, role_weights, dim_weights, aggregation)
    result = bootstrap_scores(scores, strata, role_weights, dim_weights, aggregation, n_resamples=1000, seed=seed)
    for low, high, point in zip(result.dim_low, result.dim_high, points, strict=True):
        assert low <= point <= high
    assert result.overall_low <= overall <= result.overall_high


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), aggregation=st.sampled_from(["role-balanced", "pooled"]))
def test_bootstrap_interval_shrinks_with_more_respondents(seed: int, aggregation: str) -> None:
    rng = np.random.default_rng(seed)
    weights = ([2.0, 1.0, 1.0], [1.0, 1.0])
    small = bootstrap_scores(*_survey(rng, 20, 3, 2), *weights, aggregation, seed=seed)
    large = bootstrap_scores(*_survey(rng, 500, 3, 2), *weights, aggregation, seed=seed)
    for j in range(2):
        assert large.dim_high[j] - large.dim_low[j] < small.dim_high[j] - small.dim_low[j]
    assert large.overall_high - large.overall_low < small.overall_high - small.overall_low


def test_bootstrap_resamples_within_strata() -> None:
    # Role 0 scores 0, role 1 scores 100. Resampling within roles keeps the role
    # mix fixed, so every resample gives exactly the same score: a zero-width
    # interval. Resampling across roles would not.
    scores = np.array([[0.0]] * 5 + [[100.0]] * 15)
    strata = np.array([0] * 5 + [1] * 15)
    balanced = bootstrap_scores(scores, strata, [1.0, 1.0], [1.0])
    assert balanced.dim_low == balanced.dim_high == [pytest.approx(50.0)]
    pooled = bootstrap_scores(scores, strata, [1.0, 1.0], [1.0], aggregation="pooled")
    assert pooled.dim_low == pooled.dim_high == [pytest.approx(75.0)]


def test_bootstrap_undefined_scores_are_none() -> None:
    scores = np.array([[50.0, NAN], [60.0, NAN], [70.0, NAN], [40.0, NAN]])
    strata = np.array([0, 0, 1, 1])
    # a role without respondents (index 2) is ignored, not counted as zero
    result = bootstrap_scores(scores, strata, [1.0, 1.0, 5.0], [1.0, 1.0])
    assert result.dim_low[1] is None and result.dim_high[1] is None
    assert result.dim_low[0] is not None and result.overall_low is not None
    assert (result.overall_low, result.overall_high) == (result.dim_low[0], result.dim_high[0])
    assert aggregate_scores(scores, strata, [1.0, 1.0, 5.0], [1.0, 1.0]) == ([55.0, None], 55.0)

    empty = bootstrap_scores(np.full((3, 2), NAN), np.zeros(3, dtype=int), [1.0], [1.0, 1.0])
    assert (empty.dim_low, empty.dim_high, empty.overall_low, empty.overall_high) == ([None, None], [None, None],
                                                                                   None, None)


def test_bootstrap_strata_only_when_every_role_has_three() -> None:
    # two roles of 1 and 6: one respondent per role has nothing to resample, so the
    # interval resamples respondents without strata (and is not zero-width)
    scores = np.array([[10.0], [40.0], [50.0], [60.0], [70.0], [80.0], [90.0]])
    small = bootstrap_scores(scores, np.array([0, 1, 1, 1, 1, 1, 1]), [1.0, 1.0], [1.0])
    assert small.dim_strata == ["none"] and small.overall_strata == "none"
    assert small.dim_high[0] - small.dim_low[0] > 0
    both = bootstrap_scores(scores, np.array([0, 0, 0, 1, 1, 1, 1]), [1.0, 1.0], [1.0])
    assert both.dim_strata == ["roles"]
    # fewer than three respondents with a score: no interval at all
    two = bootstrap_scores(np.array([[10.0], [90.0]]), np.array([0, 1]), [1.0, 1.0], [1.0])
    assert two.dim_low == [None] and two.overall_low is None


def test_bootstrap_role_balanced_differs_from_pooled() -> None:
    scores, strata = _survey(np.random.default_rng(9), 90, 3, 1, missing=0.0)
    strata = np.where(np.arange(90) < 70, 0, strata)  # role 0 dominates by headcount
    weights = [1.0, 1.0, 1.0]
    (balanced_point,), _ = aggregate_scores(scores, strata, weights, [1.0])
    (pooled_point,), _ = aggregate_scores(scores, strata, weights, [1.0], "pooled")
    assert balanced_point != pytest.approx(pooled_point, abs=1.0)
    balanced = bootstrap_scores(scores, strata, weights, [1.0])
    pooled = bootstrap_scores(scores, strata, weights, [1.0], "pooled")
    assert balanced.dim_low[0] <= balanced_point <= balanced.dim_high[0]
    assert pooled.dim_low[0] <= pooled_point <= pooled.dim_high[0]


def test_bootstrap_level_controls_width() -> None:
    scores, strata = _survey(np.random.default_rng(4), 80, 2, 1)
    wide = bootstrap_scores(scores, strata, [1.0, 1.0], [1.0], level=0.99)
    narrow = bootstrap_scores(scores, strata, [1.0, 1.0], [1.0], level=0.80)
    assert wide.overall_high - wide.overall_low > narrow.overall_high - narrow.overall_low


def test_bootstrap_argument_validation() -> None:
    scores = np.ones((4, 2))
    strata = np.array([0, 0, 1, 1])
    with pytest.raises(ValueError):
        bootstrap_scores(scores, np.array([0, 0, 1, 2]), [1.0, 1.0], [1.0, 1.0])  # role out of range
    with pytest.raises(ValueError):
        bootstrap_scores(scores, strata.astype(float), [1.0, 1.0], [1.0, 1.0])  # not integer roles
    with pytest.raises(ValueError):
        bootstrap_scores(scores, strata, [1.0, -1.0], [1.0, 1.0])
    with pytest.raises(ValueError):
        bootstrap_scores(scores, strata, [1.0, 1.0], [1.0])  # one weight for two dimensions
    with pytest.raises(ValueError):
        bootstrap_scores(scores, strata[:3], [1.0, 1.0], [1.0, 1.0])
    with pytest.raises(ValueError):
        bootstrap_scores(scores, strata, [1.0, 1.0], [1.0, 1.0], aggregation="median")
    with pytest.raises(ValueError):
        bootstrap_scores(scores, strata, [1.0, 1.0], [1.0, 1.0], n_resamples=0)
    with pytest.raises(ValueError):
        bootstrap_scores(scores, strata, [1.0, 1.0], [1.0, 1.0], level=0.0)


def test_percentile_ci_uses_numpy_quantiles() -> None:
    values = np.arange(101.0)
    assert percentile_ci(values, 0.9) == pytest.approx((5.0, 95.0), abs=1e-12)
    assert percentile_ci(np.append(values, NAN), 0.9) == percentile_ci(values, 0.9)
    with pytest.raises(ValueError):
        percentile_ci(values, 1.5)


def test_memory_blocks_do_not_change_the_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    # Large inputs are resampled in blocks to bound memory; the random stream is
    # drawn in the same order, so the interval is the same up to float rounding.
    import assessment.stats as stats_module

    scores, strata = _survey(np.random.default_rng(8), 400, 2, 3)
    single = bootstrap_scores(scores, strata, [1.0, 2.0], [1.0, 1.0, 1.0], n_resamples=500)
    monkeypatch.setattr(stats_module, "_MAX_BLOCK_CELLS", 1000)
    blocked = bootstrap_scores(scores, strata, [1.0, 2.0], [1.0, 1.0, 1.0], n_resamples=500)
    assert blocked.dim_low == pytest.approx(single.dim_low, abs=1e-9)
    assert blocked.dim_high == pytest.approx(single.dim_high, abs=1e-9)
    assert blocked.overall_low == pytest.approx(single.overall_low, abs=1e-9)


def _blocks(strata, n_units, n_resamples, seed=3):
    import assessment.stats as stats_module

    rng = np.random.default_rng(seed)
    return [(rows, members.copy(), counts.copy())
            for rows, members, counts in stats_module.resample_blocks(rng, strata, n_units, n_resamples)], rng


def test_draws_on_a_second_thread_are_the_draws_in_line(monkeypatch: pytest.MonkeyPatch) -> None:
    # Large bootstraps draw the next block's indices on a second thread; the calls on the
    # generator are the same and in the same order, so every count and the state after are too.
    import assessment.stats as stats_module

    strata = np.repeat([0, 1, 2], [150, 40, 210])  # one stratum under 100 units (the other tally)
    monkeypatch.setattr(stats_module, "_MAX_BLOCK_CELLS", 20_000)  # many blocks per stratum
    monkeypatch.setattr(stats_module, "_DRAW_AHEAD_MIN", 10**12)
    in_line, rng_a = _blocks(strata, strata.size, 700)
    monkeypatch.setattr(stats_module, "_DRAW_AHEAD_MIN", 0)
    ahead, rng_b = _blocks(strata, strata.size, 700)
    assert len(ahead) == len(in_line) > 10
    for (rows_a, members_a, counts_a), (rows_b, members_b, counts_b) in zip(in_line, ahead, strict=True):
        assert rows_a == rows_b
        assert np.array_equal(members_a, members_b) and np.array_equal(counts_a, counts_b)
        assert (counts_b.sum(axis=1) == members_b.size).all()  # each resample draws the stratum's size
    assert rng_a.integers(0, 10**9) == rng_b.integers(0, 10**9)


def test_leaving_the_resampler_early_stops_its_drawing_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    import assessment.stats as stats_module

    monkeypatch.setattr(stats_module, "_MAX_BLOCK_CELLS", 1000)
    monkeypatch.setattr(stats_module, "_DRAW_AHEAD_MIN", 0)
    blocks = stats_module.resample_blocks(np.random.default_rng(1), None, 500, 2000)  # 1,000 blocks
    next(blocks)
    assert any(t.name == "bootstrap-draws" for t in threading.enumerate())
    blocks.close()
    assert not any(t.name == "bootstrap-draws" for t in threading.enumerate())


def test_f_quantile_matches_scipy_over_the_feldt_range() -> None:
    from scipy.stats import f

    from assessment.stats import f_quantile

    for df1 in (1, 2, 6, 13, 62, 389):
        for df2 in (df1, 4 * df1, 7 * df1, 9000):
            for p in (0.025, 0.5, 0.975):
                assert f_quantile(p, df1, df2) == pytest.approx(f.ppf(p, df1, df2), rel=1e-9)
