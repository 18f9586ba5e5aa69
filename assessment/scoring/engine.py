"""``score``: dimension and overall scores with everything needed to judge them.

Each statistic has its own small function (reliability, agreement, perception gap,
group scores, items); :func:`score` composes them per dimension.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from .. import stats
from ..errors import AssessmentError
from ..questionnaire import LEADERSHIP, PRACTITIONER, Questionnaire
from ..responses import Responses
from .aggregate import Aggregate, aggregate, respondent_scores
from .contract import DEFAULT_SEED, NO_UNIT, THRESHOLDS, check_aggregation
from .exclusion import keep_mask
from .flags import dimension_flags, overall_flags
from .intervals import BootstrapResult, bootstrap_scores
from .matrices import Matrices, build_matrices, canonical_order
from .result import ScoreResult, clean, num
from .sensitivity import weight_sensitivity


def level_fields(q: Questionnaire, value: float | None) -> tuple[int | None, str | None]:
    """``(level, name)`` of a score, or ``(None, None)`` when there is no score."""
    level = q.level_for(value) if value is not None else None
    return (level.level, level.name) if level else (None, None)


def _answer_patterns(m: Matrices, cols: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Respondents grouped by the set of the dimension's scored items they were asked:
    ``(respondent rows, positions in cols)`` per pattern; roles asked the same items fall together."""
    groups: dict[tuple[bool, ...], list[int]] = {}
    for ri in np.unique(m.role_codes[m.role_codes >= 0]):
        groups.setdefault(tuple(m.role_asked[ri, cols].tolist()), []).append(int(ri))
    out = []
    for pattern, roles in groups.items():
        rows = np.sort(np.concatenate([m.role_rows[ri] for ri in roles]))
        out.append((rows, np.flatnonzero(np.array(pattern, dtype=bool))))
    return out


def _reliability(q: Questionnaire, m: Matrices, cols: np.ndarray) -> dict[str, Any]:
    """Cronbach's alpha by answer pattern, its Feldt CI (one pattern only), alpha within
    each role, and why alpha is missing when it is.

    Respondents asked different items (role routing) cannot share one covariance
    matrix: within each pattern with at least 2 items and 3 respondents who answered
    one of them, alpha is computed over that pattern's items; the dimension's alpha
    is the mean of those alphas weighted by their respondent counts. When everyone
    is asked the same items this is the classic alpha.
    """
    min_n = THRESHOLDS["alpha_min_respondents"]
    keyed = m.keyed[:, cols]  # the dimension's columns once; rows are taken from this copy
    values, weights, shapes, reasons = [], [], [], []
    for rows, items in _answer_patterns(m, cols):
        if items.size < 2:
            continue
        sub = keyed[rows][:, items]
        n = int((~np.isnan(sub)).any(axis=1).sum())
        if n < min_n:
            continue
        value = stats.cronbach_alpha(sub)
        if value is None:
            reasons.append("item-too-few" if ((~np.isnan(sub)).sum(axis=0) < 2).any() else "no-variance")
            continue
        values.append(value)
        weights.append(n)
        shapes.append((n, int((~np.isnan(sub)).any(axis=0).sum())))
    alpha = float(np.average(values, weights=weights)) if values else None
    alpha_ci = stats.feldt_ci(alpha, *shapes[0], level=THRESHOLDS["ci_level"]) if len(values) == 1 else None
    by_role = {}
    for ri, role in enumerate(q.roles):
        value = stats.cronbach_alpha(keyed[m.role_rows[ri]])
        if value is not None:
            by_role[role.id] = value
    reason = None if alpha is not None else (reasons[0] if reasons else "too-few")
    return {"alpha": alpha, "alpha_ci": list(alpha_ci) if alpha_ci else None, "alpha_by_role": by_role,
            "alpha_groups": len(values), "alpha_unknown_reason": reason}


def _agreement(m: Matrices, cols: np.ndarray) -> float | None:
    """rwg(j) over the dimension's scale items (None without scale items)."""
    scale_cols = cols[m.q_scale[cols]]
    if not scale_cols.size:
        return None
    raw = np.where(m.scored_answer[:, scale_cols], m.value[:, scale_cols], np.nan)
    return stats.rwg_j(raw, m.q_points[scale_cols])


def common_items(q: Questionnaire, m: Matrices, cols: np.ndarray) -> np.ndarray:
    """The dimension's scored items asked of at least one leadership and one practitioner role."""
    groups = np.array([r.group for r in q.roles], dtype=object)
    lead = m.role_asked[groups == LEADERSHIP][:, cols].any(axis=0)
    prac = m.role_asked[groups == PRACTITIONER][:, cols].any(axis=0)
    return cols[lead & prac]


def _perception_gap(q: Questionnaire, m: Matrices, cols: np.ndarray, lead_mask: np.ndarray,
                    prac_mask: np.ndarray) -> dict[str, Any]:
    """Leadership minus practitioners, on the statements both groups were asked.

    Comparing group scores over different items would compare questions, not
    perceptions: each respondent's score for the gap uses the common items only
    (same keying, weights and answered-weight rule). No common item: not comparable.
    """
    common = common_items(q, m, cols)
    items = [m.question_ids[j] for j in common]
    if not common.size:
        return {"items": [], "comparable": False, "leadership": None, "practitioners": None, "difference": None,
                "hedges_g": None, "n_leadership": None, "n_practitioners": None}
    col = respondent_scores(m, m.q_weight[common][:, None], common)[:, 0]
    lead, prac = col[lead_mask], col[prac_mask]
    lead, prac = lead[~np.isnan(lead)], prac[~np.isnan(prac)]
    both = lead.size >= 2 and prac.size >= 2
    return {"items": items, "comparable": True,
            "leadership": num(lead.mean()) if lead.size else None,
            "practitioners": num(prac.mean()) if prac.size else None,
            "difference": num(lead.mean() - prac.mean()) if both else None,
            "hedges_g": stats.hedges_g(lead, prac) if both else None,
            "n_leadership": int(lead.size), "n_practitioners": int(prac.size)}


def _groups(q: Questionnaire, m: Matrices) -> tuple[np.ndarray, np.ndarray]:
    """Each role's group, and each respondent's (None for a role not in the questionnaire)."""
    groups = np.array([r.group for r in q.roles], dtype=object)
    return groups, np.where(m.role_codes >= 0, groups[np.maximum(m.role_codes, 0)], None)


def _by_group(q: Questionnaire, m: Matrices, agg: Aggregate, col: np.ndarray, di: int, aggregation: str,
              groups: np.ndarray, resp_group: np.ndarray) -> dict[str, float | None]:
    """Score of each role group (leadership, oversight, practitioner) on one dimension."""
    out = {}
    for g in dict.fromkeys(r.group for r in q.roles):
        in_group = (groups == g) & (agg.role_counts[:, di] > 0)
        if aggregation == "role-balanced":
            gw = m.role_weights[in_group]
            out[g] = num((agg.role_means[in_group, di] * gw).sum() / gw.sum()) if gw.size else None
        else:
            vals = col[resp_group == g]
            vals = vals[~np.isnan(vals)]
            out[g] = num(vals.mean()) if vals.size else None
    return out


def _coverage(m: Matrices, cols: np.ndarray) -> float:
    asked = m.asked[:, cols] & m.q_scored[cols][None, :]
    cells = int(asked.sum())
    return float((asked & (m.state[:, cols] == 1)).sum() / cells) if cells else math.nan


def _dimensions(q: Questionnaire, m: Matrices, scores: np.ndarray, agg: Aggregate, boot: BootstrapResult,
                aggregation: str) -> list[dict[str, Any]]:
    groups, resp_group = _groups(q, m)
    lead_mask, prac_mask = resp_group == LEADERSHIP, resp_group == PRACTITIONER
    boundaries = [(lv.min, f"{lv.level} ({lv.name})") for lv in q.levels[1:]]
    out = []
    for di, dim in enumerate(q.dimensions):
        cols = m.dimension_columns(di)
        col = scores[:, di]
        value = num(agg.dims[di])
        level, level_name = level_fields(q, value)
        entry: dict[str, Any] = {
            "id": dim.id, "title": dim.title, "weight": dim.weight, "score": value, "level": level,
            "level_name": level_name, "ci_low": num(boot.dim_low[di]), "ci_high": num(boot.dim_high[di]),
            "n_respondents": int((~np.isnan(col)).sum()), "coverage": num(_coverage(m, cols)),
            **_reliability(q, m, cols), "rwg": _agreement(m, cols),
            "by_role": {r.id: num(agg.role_means[ri, di]) for ri, r in enumerate(q.roles)
                        if agg.role_counts[ri, di] > 0},
            "n_by_role": {r.id: int(agg.role_counts[ri, di]) for ri, r in enumerate(q.roles)},
            "by_group": _by_group(q, m, agg, col, di, aggregation, groups, resp_group),
            "perception_gap": _perception_gap(q, m, cols, lead_mask, prac_mask),
        }
        entry["flags"] = dimension_flags(entry, boundaries)
        out.append(entry)
    return out


def _items(q: Questionnaire, m: Matrices) -> list[dict[str, Any]]:
    asked = m.asked.sum(axis=0)
    n_ans = (m.asked & (m.state == 1)).sum(axis=0)
    n_na = (m.asked & (m.state == 2)).sum(axis=0)
    by_item = np.ascontiguousarray(m.keyed.T)  # one item's scores contiguous: fast, and summed as before
    items = []
    for j, qid in enumerate(m.question_ids):
        question = q.questions[qid]
        k = by_item[j]
        k = k[~np.isnan(k)]
        items.append({"id": qid, "dimension": m.dim_ids[m.q_dim[j]], "text": question.text, "type": question.type,
                      "weight": question.weight, "reverse": question.reverse,
                      "score": num(k.mean()) if k.size else None, "n": int(n_ans[j]), "na": int(n_na[j]),
                      "blank": int(asked[j] - n_ans[j] - n_na[j]), "asked": int(asked[j])})
    return items


def _breakdown(q: Questionnaire, m: Matrices, scores: np.ndarray, by: str, aggregation: str) -> dict[str, Any]:
    if by == "role":
        keys = [(r.id, r.label, m.role_codes == i) for i, r in enumerate(q.roles)]
    elif by == "unit":
        keys = [(u, u, m.units == u) for u in sorted(set(m.units.tolist()), key=lambda u: (u == NO_UNIT, u))]
    else:
        raise ValueError(f"by must be 'role' or 'unit', got {by!r}")
    groups: list[dict[str, Any]] = []
    for key, label, mask in keys:
        if not mask.any():
            continue
        agg = aggregate(scores[mask], m.role_codes[mask], m.role_weights, m.dim_weights, aggregation)
        groups.append({"id": key, "label": label, "respondents": int(mask.sum()), "overall": num(agg.overall),
                       "dimensions": {d: num(v) for d, v in zip(m.dim_ids, agg.dims, strict=True)},
                       "n": {d: int(c) for d, c in zip(m.dim_ids, agg.role_counts.sum(axis=0), strict=True)}})
    return {"by": by, "groups": groups}


def _matrices_to_score(q: Questionnaire, responses: Responses, people: pd.DataFrame) -> Matrices:
    if len(people) == 0:
        raise AssessmentError("no respondents to score; import some responses first")
    m = build_matrices(q, responses, people)
    if not (m.role_codes >= 0).any():
        raise AssessmentError("no respondent has a role defined in the questionnaire "
                              f"({', '.join(r.id for r in q.roles)}); nothing to score")
    return m


def score(questionnaire: Questionnaire, responses: Responses, *, aggregation: str | None = None,
          n_resamples: int = 2000, seed: int = DEFAULT_SEED, by: str | None = None,
          sensitivity: bool = True, exclude_flags: Iterable[str] = ()) -> ScoreResult:
    """Score ``responses`` against ``questionnaire``: dimension and overall scores, levels,
    bootstrap intervals, reliability, agreement, perception gap and trust flags.

    ``aggregation`` defaults to the questionnaire's own (``role-balanced`` unless it
    says ``pooled``). ``by`` adds a per-``role`` or per-``unit`` breakdown. Respondents
    with a quality flag in ``exclude_flags`` are left out of every number (the result's
    ``excluded`` says how many and why). Raises :class:`AssessmentError` when there is
    nobody to score.
    """
    q = questionnaire
    aggregation = check_aggregation(aggregation or q.aggregation)
    keep, excluded = keep_mask(responses.respondents, exclude_flags)
    people = responses.respondents if keep is None else responses.respondents[keep]
    if excluded["count"] and len(people) == 0:
        raise AssessmentError(f"all {excluded['count']} respondents carry an excluded quality flag "
                              f"({', '.join(excluded['by_flag'])}); nothing to score (--include-flagged scores them)")
    m = _matrices_to_score(q, responses, people)
    scores = respondent_scores(m)
    agg = aggregate(scores, m.role_codes, m.role_weights, m.dim_weights, aggregation)
    known = m.role_codes >= 0
    canon = canonical_order(scores[known], m.role_codes[known])
    boot = bootstrap_scores(scores[known][canon], m.role_codes[known][canon], m.role_weights, m.dim_weights,
                            aggregation=aggregation, n_resamples=n_resamples, seed=seed,
                            level=THRESHOLDS["ci_level"])
    o_value = num(agg.overall)
    o_level, o_name = level_fields(q, o_value)
    o_low, o_high = num(boot.overall_low), num(boot.overall_high)
    boundaries = [(lv.min, f"{lv.level} ({lv.name})") for lv in q.levels[1:]]
    overall = {"score": o_value, "level": o_level, "level_name": o_name, "ci_low": o_low, "ci_high": o_high,
               "flags": overall_flags(o_low, o_high, boundaries)}
    sens = weight_sensitivity(q, m, aggregation=aggregation, seed=seed) if sensitivity else {}
    thresholds = dict(THRESHOLDS, n_resamples=int(n_resamples), seed=int(seed),
                      level_boundaries={str(lv.level): lv.min for lv in q.levels})
    return ScoreResult(
        questionnaire={"id": q.id, "version": q.version, "title": q.title},
        respondents=len(people), aggregation=aggregation, overall=clean(overall),
        dimensions=clean(_dimensions(q, m, scores, agg, boot, aggregation)), items=clean(_items(q, m)),
        thresholds=clean(thresholds), sensitivity=clean(sens),
        breakdown=clean(_breakdown(q, m, scores, by, aggregation)) if by else None, excluded=clean(excluded),
        respondent_scores=pd.DataFrame(scores, columns=m.dim_ids,
                                       index=pd.Index(m.respondent_ids, name="respondent_id", dtype="str")),
    )
