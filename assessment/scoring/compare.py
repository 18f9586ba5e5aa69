"""Change between two assessment rounds, with a bootstrap interval of the change."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import stats
from ..errors import AssessmentError
from ..questionnaire import Questionnaire, validate_questionnaire
from ..responses import Responses
from .aggregate import aggregate, combine_roles, overall_score, respondent_scores
from .contract import DEFAULT_SEED, THRESHOLDS, check_aggregation
from .exclusion import exclude_flagged
from .intervals import MIN_CI_RESPONDENTS, Sample, resampled_totals, stratify
from .matrices import build_matrices, canonical_order
from .result import clean, num


def _restrict(q: Questionnaire, keep: set[str]) -> Questionnaire:
    """The questionnaire with only the questions in ``keep`` (dimensions left empty dropped)."""
    data = q.to_dict()
    dims = []
    for dim in data["dimensions"]:
        questions = [x for x in dim["questions"] if x["id"] in keep]
        if any(q.questions[x["id"]].scored for x in questions):
            dims.append({**dim, "questions": questions})
    if not dims:
        raise AssessmentError("the two rounds have no scored question in common; nothing to compare")
    data["dimensions"] = dims
    data["actions"] = [a for a in data["actions"] if a["dimension"] in {d["id"] for d in dims}]
    for a in data["actions"]:
        a["after"] = [x for x in a["after"] if x in {b["id"] for b in data["actions"]}]
    return validate_questionnaire(data)


def _identity(responses: Responses) -> np.ndarray:
    people = responses.respondents
    key = people["respondent_id"].astype("string")
    if "identity" in people.columns:
        ident = people["identity"].astype("string").str.strip().str.casefold()
        key = ident.mask(ident == "").fillna(key)
    return key.to_numpy(dtype=object)


def _round_sample(q: Questionnaire, responses: Responses) -> tuple[Sample, np.ndarray]:
    """The round's respondents with a known role, in canonical order, and their identities."""
    m = build_matrices(q, responses)
    known = m.role_codes >= 0
    scores, roles, ids = respondent_scores(m)[known], m.role_codes[known], _identity(responses)[known]
    order = canonical_order(scores, roles)
    return Sample(scores[order], roles[order]), ids[order]


def _add(into: list[np.ndarray], more: tuple[np.ndarray, np.ndarray]) -> None:
    into[0] += more[0]
    into[1] += more[1]


def _resampled_dims(rng: np.random.Generator, a: Sample, b: Sample, pairs: list[tuple[int, int]], n_roles: int,
                    n_resamples: int, within_roles: bool) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per-role sums and counts (B, R, D) of both rounds over the same resamples.

    Matched respondents are resampled as pairs (one draw counts for both rounds),
    within their baseline role when ``within_roles``; everyone else within their own
    round (and role).
    """
    def strata(roles: np.ndarray) -> np.ndarray | None:
        return roles if within_roles else None

    if not _paired(pairs):
        ta = resampled_totals(rng, strata(a.roles), [a], n_roles, n_resamples)[0]
        tb = resampled_totals(rng, strata(b.roles), [b], n_roles, n_resamples)[0]
        return list(ta), list(tb)
    pa, pb = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
    both = [Sample(a.scores[pa], a.roles[pa]), Sample(b.scores[pb], b.roles[pb])]
    ta, tb = (list(t) for t in resampled_totals(rng, strata(a.roles[pa]), both, n_roles, n_resamples))
    for sample, paired, totals in ((a, pa, ta), (b, pb, tb)):
        rest = np.setdiff1d(np.arange(sample.scores.shape[0]), paired)
        if rest.size:
            part = Sample(sample.scores[rest], sample.roles[rest])
            _add(totals, resampled_totals(rng, strata(part.roles), [part], n_roles, n_resamples)[0])
    return ta, tb


@dataclass(frozen=True)
class _Support:
    """How many respondents stand behind one compared number, and how to resample them."""

    n_baseline: int
    n_current: int
    n_matched: int
    within_roles: bool
    paired: bool

    @property
    def n_for_noise(self) -> int:
        """The count the noise rules use: matched respondents in a paired comparison."""
        return self.n_matched if self.paired else min(self.n_baseline, self.n_current)


def _support(a: Sample, b: Sample, pairs: list[tuple[int, int]], has_a: np.ndarray, has_b: np.ndarray) -> _Support:
    matched = sum(1 for i, j in pairs if has_a[i] and has_b[j])
    return _Support(int(has_a.sum()), int(has_b.sum()), matched,
                    stratify(a.roles[has_a]) and stratify(b.roles[has_b]), _paired(pairs))


MIN_FOR_NOISE = 5
"""A change is called beyond the noise only with at least this many respondents on each side."""


def _paired(pairs: list[tuple[int, int]]) -> bool:
    """Pairs are resampled together only when enough people answered both rounds: two
    accidental e-mail matches among eighty must not turn the comparison into a paired one."""
    return len(pairs) >= MIN_FOR_NOISE


def _change(names: tuple[str, str], a: float, b: float, dists: dict[bool, np.ndarray], support: _Support
            ) -> dict[str, Any]:
    """One compared number: both rounds, the change, its interval and the verdict."""
    change = b - a if math.isfinite(a) and math.isfinite(b) else math.nan
    ci = None
    if math.isfinite(change) and support.n_for_noise >= MIN_CI_RESPONDENTS:
        ci = stats.percentile_ci(dists[support.within_roles], THRESHOLDS["ci_level"])
        ci = None if ci is None else (min(ci[0], change), max(ci[1], change))
    significant, verdict = None, None
    if math.isfinite(change):
        if support.n_for_noise < MIN_FOR_NOISE or ci is None:
            verdict = "too few to tell"
        else:
            significant = bool(ci[0] > 0 or ci[1] < 0)
            verdict = ("improved" if change > 0 else "got worse") if significant else "no change beyond the noise"
    return {names[0]: num(a), names[1]: num(b), "change": num(change),
            "ci_low": ci[0] if ci else None, "ci_high": ci[1] if ci else None, "significant": significant,
            "verdict": verdict, "resampled": "within roles" if support.within_roles else "without strata",
            "n_matched": support.n_matched if support.paired else None}


def compare_rounds(questionnaire: Questionnaire, baseline: Responses, current: Responses, *,
                   aggregation: str | None = None, n_resamples: int = 2000, seed: int = DEFAULT_SEED,
                   names: tuple[str, str] = ("baseline", "current"),
                   exclude_flags: Iterable[str] = ()) -> dict[str, Any]:
    """Change per dimension and overall between two rounds, with a bootstrap CI of the change.

    Only questions answered (any cell) in both rounds are used, so a question added
    later does not fake a change; those left out are listed. Respondents present in
    both rounds (same ``identity`` column if any, else same ``respondent_id``) are
    resampled as pairs, keeping their within-person correlation (``method: paired``);
    everyone else, or everyone if nobody matches, is resampled independently within
    their round and role (``independent``). ``significant`` = the CI excludes 0.
    """
    (baseline, excl_a), (current, excl_b) = exclude_flagged(baseline, exclude_flags), \
        exclude_flagged(current, exclude_flags)
    for label, resp in zip(names, (baseline, current), strict=True):
        if len(resp.respondents) == 0:
            raise AssessmentError(f"round `{label}` has no respondents")
    q_all = questionnaire
    aggregation = check_aggregation(aggregation or q_all.aggregation)
    ids_a = set(baseline.answers["question_id"].astype(str)) & set(q_all.questions)
    ids_b = set(current.answers["question_id"].astype(str)) & set(q_all.questions)
    common = ids_a & ids_b
    left_out = sorted((ids_a | ids_b) - common, key=list(q_all.questions).index)
    q = _restrict(q_all, common) if left_out else q_all
    (a, id_a), (b, id_b) = _round_sample(q, baseline), _round_sample(q, current)
    role_w = np.array([r.weight for r in q.roles], dtype=float)
    dim_w = np.array([d.weight for d in q.dimensions], dtype=float)
    point_a = aggregate(a.scores, a.roles, role_w, dim_w, aggregation)
    point_b = aggregate(b.scores, b.roles, role_w, dim_w, aggregation)

    pos_b = {k: i for i, k in enumerate(id_b)}
    pairs = [(i, pos_b[k]) for i, k in enumerate(id_a) if k in pos_b]
    supports = [_support(a, b, pairs, ~np.isnan(a.scores[:, di]), ~np.isnan(b.scores[:, di]))
                for di in range(len(q.dimensions))]
    overall_support = _support(a, b, pairs, ~np.isnan(a.scores).all(axis=1), ~np.isnan(b.scores).all(axis=1))
    # Resample only the ways some number needs (each way from the same seed, so which
    # other ways were drawn changes nothing).
    dists = {}
    for within in {s_.within_roles for s_ in (*supports, overall_support)}:
        ta, tb = _resampled_dims(np.random.default_rng(seed), a, b, pairs, role_w.size, int(n_resamples), within)
        dims_a, dims_b = (combine_roles(s_, c_, role_w[:, None], aggregation) for s_, c_ in (ta, tb))
        dists[within] = (dims_b - dims_a, overall_score(dims_b, dim_w) - overall_score(dims_a, dim_w))

    dimensions = []
    for di, (dim, support) in enumerate(zip(q.dimensions, supports, strict=True)):
        dimensions.append({"id": dim.id, "title": dim.title,
                           **_change(names, point_a.dims[di], point_b.dims[di],
                                     {w: d[0][:, di] for w, d in dists.items()}, support),
                           "n_" + names[0]: support.n_baseline, "n_" + names[1]: support.n_current})
    overall = _change(names, point_a.overall, point_b.overall, {w: d[1] for w, d in dists.items()}, overall_support)
    return clean({
        "rounds": list(names), "method": "paired" if _paired(pairs) else "independent",
        "matched_respondents": len(pairs),
        "respondents": {names[0]: int(len(baseline.respondents)), names[1]: int(len(current.respondents))},
        "aggregation": aggregation, "overall": overall,
        "dimensions": dimensions, "common_questions": len(common), "left_out_questions": left_out,
        "left_out_dimensions": [d.id for d in q_all.dimensions if d.id not in q.dimension_by_id],
        "n_resamples": int(n_resamples), "seed": int(seed), "ci_level": THRESHOLDS["ci_level"],
        "excluded": {names[0]: excl_a, names[1]: excl_b},
    })
