"""Change between two assessment rounds, with a bootstrap interval of the change."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import stats
from ..errors import AssessmentError
from ..questionnaire import Questionnaire
from ..responses import Responses
from .aggregate import aggregate, combine_roles, overall_score, respondent_scores
from .contract import DEFAULT_SEED, THRESHOLDS, check_aggregation
from .intervals import Sample, resampled_totals
from .matrices import build_matrices, canonical_order
from .result import clean, num


def _restrict(q: Questionnaire, keep: set[str]) -> Questionnaire:
    """The questionnaire with only the questions in ``keep`` (dimensions left empty dropped)."""
    data = q.model_dump()
    dims = []
    for dim in data["dimensions"]:
        questions = [x for x in dim["questions"] if x["id"] in keep]
        if any(x["type"] != "text" for x in questions):
            dims.append({**dim, "questions": questions})
    if not dims:
        raise AssessmentError("the two rounds have no scored question in common; nothing to compare")
    data["dimensions"] = dims
    data["actions"] = [a for a in data["actions"] if a["dimension"] in {d["id"] for d in dims}]
    for a in data["actions"]:
        a["after"] = [x for x in a["after"] if x in {b["id"] for b in data["actions"]}]
    return Questionnaire.model_validate(data)


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
                    n_resamples: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per-role sums and counts (B, R, D) of both rounds over the same resamples.

    Matched respondents are resampled as pairs (one draw counts for both rounds),
    within their baseline role; everyone else within their own round and role.
    """
    if len(pairs) < 2:
        ta = resampled_totals(rng, a.roles, [a], n_roles, n_resamples)[0]
        tb = resampled_totals(rng, b.roles, [b], n_roles, n_resamples)[0]
        return list(ta), list(tb)
    pa, pb = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
    both = [Sample(a.scores[pa], a.roles[pa]), Sample(b.scores[pb], b.roles[pb])]
    ta, tb = (list(t) for t in resampled_totals(rng, a.roles[pa], both, n_roles, n_resamples))
    for sample, paired, totals in ((a, pa, ta), (b, pb, tb)):
        rest = np.setdiff1d(np.arange(sample.scores.shape[0]), paired)
        if rest.size:
            _add(totals, resampled_totals(rng, sample.roles[rest], [Sample(sample.scores[rest], sample.roles[rest])],
                                          n_roles, n_resamples)[0])
    return ta, tb


def _change(names: tuple[str, str], a: float, b: float, dist: np.ndarray) -> dict[str, Any]:
    ci = stats.percentile_ci(dist, THRESHOLDS["ci_level"])
    change = b - a if math.isfinite(a) and math.isfinite(b) else math.nan
    defined = ci is not None and math.isfinite(change)
    return {names[0]: num(a), names[1]: num(b), "change": num(change),
            "ci_low": ci[0] if defined else None, "ci_high": ci[1] if defined else None,
            "significant": bool(ci[0] > 0 or ci[1] < 0) if defined else None}


def compare_rounds(questionnaire: Questionnaire, baseline: Responses, current: Responses, *,
                   aggregation: str | None = None, n_resamples: int = 2000, seed: int = DEFAULT_SEED,
                   names: tuple[str, str] = ("baseline", "current")) -> dict[str, Any]:
    """Change per dimension and overall between two rounds, with a bootstrap CI of the change.

    Only questions answered (any cell) in both rounds are used, so a question added
    later does not fake a change; those left out are listed. Respondents present in
    both rounds (same ``identity`` column if any, else same ``respondent_id``) are
    resampled as pairs, keeping their within-person correlation (``method: paired``);
    everyone else, or everyone if nobody matches, is resampled independently within
    their round and role (``independent``). ``significant`` = the CI excludes 0.
    """
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
    ta, tb = _resampled_dims(np.random.default_rng(seed), a, b, pairs, role_w.size, int(n_resamples))
    dims_a, dims_b = (combine_roles(s, c, role_w[:, None], aggregation) for s, c in (ta, tb))
    dims_diff = dims_b - dims_a
    over_diff = overall_score(dims_b, dim_w) - overall_score(dims_a, dim_w)

    dimensions = []
    for di, dim in enumerate(q.dimensions):
        dimensions.append({"id": dim.id, "title": dim.title,
                           **_change(names, point_a.dims[di], point_b.dims[di], dims_diff[:, di]),
                           "n_" + names[0]: int((~np.isnan(a.scores[:, di])).sum()),
                           "n_" + names[1]: int((~np.isnan(b.scores[:, di])).sum())})
    return clean({
        "rounds": list(names), "method": "paired" if len(pairs) >= 2 else "independent",
        "matched_respondents": len(pairs),
        "respondents": {names[0]: int(len(baseline.respondents)), names[1]: int(len(current.respondents))},
        "aggregation": aggregation, "overall": _change(names, point_a.overall, point_b.overall, over_diff),
        "dimensions": dimensions, "common_questions": len(common), "left_out_questions": left_out,
        "left_out_dimensions": [d.id for d in q_all.dimensions if d.id not in q.dimension_by_id],
        "n_resamples": int(n_resamples), "seed": int(seed), "ci_level": THRESHOLDS["ci_level"],
    })
