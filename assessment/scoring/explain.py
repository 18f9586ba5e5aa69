"""Traces that answer "how did you get 38?": item frames, a dimension's trace, a respondent's."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..errors import AssessmentError
from ..questionnaire import Questionnaire
from ..responses import ANSWERED, BLANK, NA, Responses
from .aggregate import aggregate, contribution_weights, respondent_scores
from .contract import THRESHOLDS, check_aggregation
from .exclusion import exclude_flagged
from .matrices import Matrices, build_matrices
from .result import num


def item_scores(questionnaire: Questionnaire, responses: Responses) -> pd.DataFrame:
    """Every cell a respondent was asked (one row per respondent x question asked of
    their role), with the 0-100 ``keyed`` score, NaN where not scored.

    A question asked but absent from the answers is a ``blank`` row, so coverage and
    the 50% rule can be read off this frame directly. Columns: ``respondent_id, role,
    unit, question_id, dimension, type, raw, value, keyed, weight, reverse, state``.
    """
    m = build_matrices(questionnaire, responses)
    ri, qi = np.nonzero(m.asked)
    questions = questionnaire.questions
    raw_all = responses.answers["raw"].astype("string").to_numpy(dtype=object) if len(responses.answers) else \
        np.array([], dtype=object)
    rows = m.row[ri, qi]
    raw = np.where(rows >= 0, raw_all[np.where(rows >= 0, rows, 0)] if raw_all.size else None, None)
    state_names = np.array(["blank", ANSWERED, NA, BLANK], dtype=object)
    role_ids = np.array([r.id for r in questionnaire.roles], dtype=object)
    qids = np.array(m.question_ids, dtype=object)
    return pd.DataFrame({
        "respondent_id": pd.array(m.respondent_ids[ri], dtype="str"),
        "role": pd.array(role_ids[m.role_codes[ri]], dtype="str"),
        "unit": pd.array(m.units[ri], dtype="str"),
        "question_id": pd.array(qids[qi], dtype="str"),
        "dimension": pd.array(np.array(m.dim_ids, dtype=object)[m.q_dim[qi]], dtype="str"),
        "type": pd.array([questions[x].type for x in qids[qi]], dtype="str"),
        "raw": pd.array(raw, dtype="str"),
        "value": np.where(m.state[ri, qi] == 1, m.value[ri, qi], np.nan),
        "keyed": m.keyed[ri, qi],
        "weight": m.q_weight[qi],
        "reverse": np.array([questions[x].reverse for x in qids[qi]], dtype=bool),
        "state": pd.array(state_names[m.state[ri, qi]], dtype="str"),
    })


def respondent_dimension_scores(questionnaire: Questionnaire, responses: Responses) -> pd.DataFrame:
    """Respondents x dimensions (index ``respondent_id``, sorted), NaN where no score.

    Respondents whose role is not in the questionnaire get no score at all.
    """
    m = build_matrices(questionnaire, responses)
    frame = pd.DataFrame(respondent_scores(m), columns=m.dim_ids,
                         index=pd.Index(m.respondent_ids, name="respondent_id", dtype="str"))
    frame.columns.name = "dimension"
    return frame


def _distribution(question_type: str, vals: np.ndarray) -> str:
    if question_type == "scale" and vals.size:
        uniq, cnt = np.unique(vals, return_counts=True)
        return ", ".join(f"{u:g}: {c}" for u, c in zip(uniq, cnt, strict=True))
    if question_type == "numeric" and vals.size:
        return f"min {vals.min():g}, median {np.median(vals):g}, max {vals.max():g}"
    return ""


def _item_rows(q: Questionnaire, m: Matrices, cols: np.ndarray, mu: np.ndarray) -> pd.DataFrame:
    """One row per question of the dimension, with its exact contribution in points."""
    w_ans = np.where(m.scored_answer, m.q_weight[None, :], 0.0)[:, cols] * m.q_scored[cols][None, :]
    den = w_ans.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share_i = np.where(den[:, None] > 0, w_ans / np.where(den > 0, den, 1.0)[:, None], 0.0)
    contribution = mu @ (share_i * np.nan_to_num(m.keyed[:, cols]))
    weight_share = mu @ share_i
    rows = []
    for k, j in enumerate(cols):
        question = q.questions[m.question_ids[j]]
        asked_j = m.asked[:, j]
        ans_j = asked_j & (m.state[:, j] == 1)
        vals = m.value[ans_j, j]
        vals = vals[np.isfinite(vals)]
        keyed = m.keyed[:, j]
        keyed = keyed[~np.isnan(keyed)]
        n_ans, n_na = int(ans_j.sum()), int((asked_j & (m.state[:, j] == 2)).sum())
        rows.append({
            "question_id": question.id, "text": question.text, "type": question.type,
            "weight": question.weight, "reverse": question.reverse,
            "roles": ", ".join(question.roles) if question.roles else "all",
            "asked": int(asked_j.sum()), "n": n_ans, "na": n_na, "blank": int(asked_j.sum()) - n_ans - n_na,
            "raw_distribution": _distribution(question.type, vals),
            "raw_mean": float(vals.mean()) if vals.size and question.scored else math.nan,
            "keyed_mean": float(keyed.mean()) if keyed.size else math.nan,
            "weight_share": float(weight_share[k]) if question.scored else math.nan,
            "contribution": float(contribution[k]) if question.scored else math.nan,
        })
    return pd.DataFrame(rows)


def _role_rows(q: Questionnaire, m: Matrices, role_means: np.ndarray, role_counts: np.ndarray, di: int,
               aggregation: str) -> pd.DataFrame:
    present = role_counts[:, di] > 0
    total_w = m.role_weights[present].sum()
    rows = []
    for ri, role in enumerate(q.roles):
        share = (m.role_weights[ri] / total_w if aggregation == "role-balanced" else role_counts[ri, di] /
                 role_counts[:, di].sum()) if present[ri] else 0.0
        rows.append({"role": role.id, "label": role.label, "group": role.group, "role_weight": role.weight,
                     "respondents": int((m.role_codes == ri).sum()), "scored": int(role_counts[ri, di]),
                     "mean": float(role_means[ri, di]), "share": float(share)})
    return pd.DataFrame(rows)


def _steps(roles: pd.DataFrame, m: Matrices, col: np.ndarray, value: float, aggregation: str) -> list[str]:
    """The aggregation of one dimension written out as arithmetic a reader can redo."""
    steps = [
        "Item score: scale answer -> 100 (x - lowest point) / (highest - lowest); numeric -> 100 (x - worst) / "
        "(best - worst), clipped to 0-100; reverse-keyed items -> 100 - score. N/A and blanks are not scored.",
        f"Respondent score: weighted mean of their item scores; none if under "
        f"{THRESHOLDS['answered_weight_min']:.0%} of the question weight asked of their role was answered "
        f"({int((~np.isnan(col)).sum())} of {int((m.role_codes >= 0).sum())} respondents have a score).",
    ]
    scored = roles[roles["scored"] > 0]
    if scored.empty:
        steps.append("Dimension score: no respondent has a score.")
    elif aggregation == "role-balanced":
        parts = [f"{r.role_weight:g} x {r.mean:.2f} ({r.role})" for r in scored.itertuples()]
        total_w = float(scored["role_weight"].sum())
        steps.append("Dimension score (role-balanced): mean per role, then the role-weighted mean of roles with a "
                     f"score: ({' + '.join(parts)}) / {total_w:g} = {value:.2f}")
    else:
        steps.append(f"Dimension score (pooled): plain mean of {int(scored['scored'].sum())} respondent scores "
                     f"= {value:.2f}")
    return steps


def explain(questionnaire: Questionnaire, responses: Responses, dimension_id: str, *,
            aggregation: str | None = None, exclude_flags: Iterable[str] = ()) -> pd.DataFrame:
    """Scoring trace of one dimension: one row per question, answering "how did you get 38?".

    Columns: ``question_id, text, type, weight, reverse, roles, asked, n, na, blank,
    raw_distribution, raw_mean, keyed_mean, weight_share, contribution``. ``contribution``
    (points) sums exactly to the dimension score: each respondent's score is split over
    their items by answered weight, then weighted the way the aggregation weights that
    respondent (role weight / respondents in the role, or 1/N pooled). ``weight_share``
    is the share of the score each item carries.

    ``frame.attrs`` holds ``roles`` (a DataFrame of per-role means, counts, weights and
    shares), ``steps`` (the aggregation written out as text) and ``score``. Respondents
    with a flag in ``exclude_flags`` are left out, as :func:`~assessment.scoring.score` does.
    """
    q = questionnaire
    if dimension_id not in q.dimension_by_id:
        raise AssessmentError(f"unknown dimension `{dimension_id}`; dimensions: "
                              f"{', '.join(d.id for d in q.dimensions)}")
    aggregation = check_aggregation(aggregation or q.aggregation)
    responses, _ = exclude_flagged(responses, exclude_flags)
    m = build_matrices(q, responses)
    di = [d.id for d in q.dimensions].index(dimension_id)
    scores = respondent_scores(m)
    agg = aggregate(scores, m.role_codes, m.role_weights, m.dim_weights, aggregation)
    col = scores[:, di]
    mu = contribution_weights(col, m.role_codes, m.role_weights, aggregation)
    frame = _item_rows(q, m, np.flatnonzero(m.q_dim == di), mu)  # text items too: they show as unscored rows
    roles = _role_rows(q, m, agg.role_means, agg.role_counts, di, aggregation)
    value = float(agg.dims[di])
    frame.attrs.update({"dimension": dimension_id, "aggregation": aggregation, "score": num(value),
                        "roles": roles, "steps": _steps(roles, m, col, value, aggregation)})
    return frame


def explain_respondent(questionnaire: Questionnaire, responses: Responses, respondent_id: str) -> pd.DataFrame:
    """One respondent's trace: each question asked of them with raw answer, state, item
    score and weight; ``attrs["scores"]`` holds their dimension scores (None = below the
    50% answered-weight rule)."""
    sub = responses.subset([respondent_id])
    if len(sub.respondents) == 0:
        raise AssessmentError(f"no respondent `{respondent_id}`")
    frame = item_scores(questionnaire, sub)
    scores = respondent_dimension_scores(questionnaire, sub).iloc[0]
    frame = frame.drop(columns=["respondent_id", "role", "unit"])
    frame.attrs["scores"] = {d: num(v) for d, v in scores.items()}
    return frame
