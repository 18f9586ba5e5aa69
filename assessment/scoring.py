"""The scoring engine: from tidy answers to dimension scores a consultant can defend.

Every rule here is the scoring contract (see ``/work/shared/reference/worked_example.json``):

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

Everything is computed on dense respondents x questions matrices (numpy), so 10,000
respondents x 50 questions score in a few tens of milliseconds; there is no loop
over respondents anywhere. Statistics (alpha, rwg, Hedges' g, bootstrap) come from
:mod:`assessment.stats`. Nothing returned ever contains NaN: what cannot be computed
is ``None`` so that JSON output and board reports never show "nan".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from . import stats
from .errors import AssessmentError
from .questionnaire import LEADERSHIP, PRACTITIONER, Questionnaire
from .responses import ANSWERED, BLANK, NA, Responses, asked_mask

__all__ = [
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

DEFAULT_SEED = stats.DEFAULT_SEED
NO_UNIT = "(no unit)"

THRESHOLDS: dict[str, float] = {
    "answered_weight_min": 0.5,
    "coverage_min": 0.6,
    "alpha_min": 0.70,
    "alpha_min_respondents": 3,
    "rwg_min": 0.70,
    "rwg_min_respondents": 10,
    "perception_gap_points": 15.0,
    "min_respondents": 5,
    "ci_level": 0.95,
}
"""Trust thresholds; printed with every result so a reader can see what a flag means."""

_STATE_CODES = {ANSWERED: 1, NA: 2, BLANK: 3}


# ----------------------------------------------------------------------------- matrices


@dataclass(frozen=True)
class _Matrices:
    """Dense respondents x questions view of a :class:`Responses` (internal).

    ``asked`` is False where the question is not put to the respondent's role (or the
    role is unknown); ``keyed`` is the 0-100 item score, NaN where not scored.
    """

    respondent_ids: np.ndarray  # (n,) object
    role_codes: np.ndarray  # (n,) int, -1 = role not in the questionnaire
    units: np.ndarray  # (n,) object, NO_UNIT where missing
    question_ids: list[str]
    dim_ids: list[str]
    q_dim: np.ndarray  # (Q,) dimension index
    q_weight: np.ndarray  # (Q,)
    q_scored: np.ndarray  # (Q,) bool
    q_scale: np.ndarray  # (Q,) bool: a scale question (rwg uses these)
    q_points: np.ndarray  # (Q,) number of scale points (NaN otherwise)
    value: np.ndarray  # (n, Q) raw numeric value
    state: np.ndarray  # (n, Q) int8: 0 no row, 1 answered, 2 na, 3 blank
    row: np.ndarray  # (n, Q) row position in responses.answers, -1 if none
    asked: np.ndarray  # (n, Q) bool
    keyed: np.ndarray  # (n, Q) float, NaN unless answered, asked and scored

    @cached_property
    def scored_answer(self) -> np.ndarray:
        return ~np.isnan(self.keyed)

    @cached_property
    def keyed_filled(self) -> np.ndarray:
        """Keyed scores with 0 for unscored cells (so weighted sums are matrix products)."""
        return np.where(self.scored_answer, self.keyed, 0.0)

    @cached_property
    def answered_float(self) -> np.ndarray:
        return self.scored_answer.astype(float)

    @cached_property
    def asked_float(self) -> np.ndarray:
        return (self.asked & self.q_scored[None, :]).astype(float)

    @cached_property
    def dim_matrix(self) -> np.ndarray:
        """(Q, D) indicator of each *scored* question's dimension."""
        m = np.zeros((len(self.question_ids), len(self.dim_ids)))
        m[np.arange(len(self.question_ids)), self.q_dim] = 1.0
        return m * self.q_scored[:, None]


def _question_table(q: Questionnaire) -> dict[str, np.ndarray | list]:
    ids, dims, weight, scored, is_scale, points, lo, hi, rev = [], [], [], [], [], [], [], [], []
    dim_ids = [d.id for d in q.dimensions]
    for di, dim in enumerate(q.dimensions):
        for question in dim.questions:
            ids.append(question.id)
            dims.append(di)
            weight.append(question.weight)
            scored.append(question.scored)
            rev.append(question.reverse)
            scale = q.scale_of(question)
            is_scale.append(question.type == "scale")
            if question.type == "scale" and scale is not None:
                points.append(len(scale.points))
                lo.append(scale.v_min)
                hi.append(scale.v_max)
            elif question.type == "numeric":
                points.append(math.nan)
                lo.append(question.worst)
                hi.append(question.best)
            else:
                points.append(math.nan)
                lo.append(math.nan)
                hi.append(math.nan)
    return {"ids": ids, "dim_ids": dim_ids, "dim": np.array(dims, dtype=np.intp),
            "weight": np.array(weight, dtype=float), "scored": np.array(scored, dtype=bool),
            "scale": np.array(is_scale, dtype=bool), "points": np.array(points, dtype=float),
            "lo": np.array(lo, dtype=float), "hi": np.array(hi, dtype=float), "reverse": np.array(rev, dtype=bool)}


def _asked_table(q: Questionnaire, question_ids: list[str]) -> np.ndarray:
    """(R, Q) bool: is question j asked of role r."""
    roles = [r.id for r in q.roles]
    mask = asked_mask(q, [qid for _ in roles for qid in question_ids], [r for r in roles for _ in question_ids])
    return mask.reshape(len(roles), len(question_ids))


def _lookup(column: pd.Series, keys: Any) -> np.ndarray:
    """Position of each value of ``column`` in ``keys`` (-1 if absent): one hash lookup per row."""
    return pd.Index(keys, dtype="str").get_indexer(column.astype("str"))


def _matrices(q: Questionnaire, responses: Responses) -> _Matrices:
    table = _question_table(q)
    qids: list[str] = table["ids"]  # type: ignore[assignment]
    people = responses.respondents
    answers = responses.answers
    # Respondents in a canonical order (by id): row order of the input must not change
    # anything, the seeded bootstrap intervals included.
    rid = people["respondent_id"].astype(str).to_numpy(dtype=object)
    order = np.argsort(rid, kind="stable")
    rid = rid[order]
    role_ids = [r.id for r in q.roles]
    role_codes = pd.Index(role_ids).get_indexer(people["role"].astype("string").fillna(""))[order]
    if "unit" in people.columns:
        unit_col = people["unit"].astype("string").str.strip()
        units = unit_col.mask(unit_col == "").fillna(NO_UNIT).to_numpy(dtype=object)[order]
    else:
        units = np.full(len(people), NO_UNIT, dtype=object)

    n, nq = len(rid), len(qids)
    value = np.full((n, nq), np.nan)
    state = np.zeros((n, nq), dtype=np.int8)
    row = np.full((n, nq), -1, dtype=np.intp)
    if len(answers):
        ri = _lookup(answers["respondent_id"], rid)
        qi = _lookup(answers["question_id"], qids)
        ok = (ri >= 0) & (qi >= 0)
        codes = (_lookup(answers["state"], list(_STATE_CODES)) + 1).astype(np.int8)
        vals = pd.to_numeric(answers["value"], errors="coerce").to_numpy(dtype=float)
        value[ri[ok], qi[ok]] = vals[ok]
        state[ri[ok], qi[ok]] = codes[ok]
        row[ri[ok], qi[ok]] = np.flatnonzero(ok)

    asked_roles = _asked_table(q, qids)
    asked = np.zeros((n, nq), dtype=bool)
    known = role_codes >= 0
    asked[known] = asked_roles[role_codes[known]]

    lo, hi = table["lo"], table["hi"]
    with np.errstate(invalid="ignore", divide="ignore"):
        keyed = 100.0 * (value - lo) / (hi - lo)
    keyed = np.clip(keyed, 0.0, 100.0)
    keyed = np.where(table["reverse"], 100.0 - keyed, keyed)
    usable = asked & (state == 1) & table["scored"][None, :] & np.isfinite(value)
    keyed = np.where(usable, keyed, np.nan)
    return _Matrices(rid, role_codes, units, qids, table["dim_ids"], table["dim"], table["weight"],  # type: ignore[arg-type]
                     table["scored"], table["scale"], table["points"], value, state, row, asked, keyed)


def _combine_roles(sums: np.ndarray, counts: np.ndarray, role_weights: np.ndarray, aggregation: str,
                   axis: int) -> np.ndarray:
    """Dimension scores from per-role sums and counts of respondent scores along ``axis``.

    ``pooled``: all scores over all counts. ``role-balanced``: each role's mean,
    weighted by role weight over the roles that have a score (NaN if none has).
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        if aggregation == "pooled":
            tot = counts.sum(axis=axis)
            return np.where(tot > 0, sums.sum(axis=axis) / np.where(tot > 0, tot, 1), np.nan)
        means = np.where(counts > 0, sums / np.where(counts > 0, counts, 1), 0.0)
        w = np.where(counts > 0, role_weights, 0.0)
        tw = w.sum(axis=axis)
        return np.where(tw > 0, (means * w).sum(axis=axis) / np.where(tw > 0, tw, 1), np.nan)


def _canonical_order(scores: np.ndarray, role_codes: np.ndarray) -> np.ndarray:
    """An order of respondents that depends only on what they answered.

    The seeded bootstrap draws respondents by position, so positions must not come
    from file rows or from ids made of them: sorting by role, then by the scores
    themselves, makes the same answers give the same interval whatever the order of
    the file. Respondents that tie are identical rows, so their order is immaterial.
    """
    keys = [np.where(np.isnan(col), np.inf, col) for col in scores.T[::-1]]
    return np.lexsort([*keys, role_codes])


def _respondent_scores(m: _Matrices, q_weight: np.ndarray | None = None) -> np.ndarray:
    """(n, D) respondent dimension scores, NaN where the 50% answered-weight rule fails."""
    wm = (m.q_weight if q_weight is None else q_weight)[:, None] * m.dim_matrix
    return _scores_for_weight_matrix(m, wm)


def _scores_for_weight_matrix(m: _Matrices, wm: np.ndarray) -> np.ndarray:
    """Respondent scores for a (Q, K) matrix of per-question weights (K columns = dims or draws x dims)."""
    num = m.keyed_filled @ wm
    den = m.answered_float @ wm
    den_asked = m.asked_float @ wm
    ok = (den > 0) & (den >= THRESHOLDS["answered_weight_min"] * den_asked - 1e-12)
    den[~ok] = np.nan
    num /= den
    return num


def _role_aggregate(scores: np.ndarray, role_codes: np.ndarray, role_weights: np.ndarray,
                    aggregation: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(role means (R, D), role counts (R, D), dimension scores (D,)) from respondent scores."""
    n_roles = role_weights.size
    one_hot = (role_codes[None, :] == np.arange(n_roles)[:, None]).astype(float)
    present = ~np.isnan(scores)
    sums = one_hot @ np.where(present, scores, 0.0)
    counts = one_hot @ present.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / np.where(counts > 0, counts, 1.0), np.nan)
        if aggregation == "pooled":
            total = counts.sum(axis=0)
            dims = np.where(total > 0, sums.sum(axis=0) / np.where(total > 0, total, 1.0), np.nan)
        else:
            w = np.where(counts > 0, role_weights[:, None], 0.0)
            tw = w.sum(axis=0)
            dims = np.where(tw > 0, (np.nan_to_num(means) * w).sum(axis=0) / np.where(tw > 0, tw, 1.0), np.nan)
    return means, counts, dims


def _weighted_overall(dims: np.ndarray, dim_weights: np.ndarray) -> float:
    ok = ~np.isnan(dims)
    return float((dims[ok] * dim_weights[ok]).sum() / dim_weights[ok].sum()) if ok.any() else math.nan


# ------------------------------------------------------------------------ public frames


def item_scores(questionnaire: Questionnaire, responses: Responses) -> pd.DataFrame:
    """Every cell a respondent was asked (one row per respondent x question asked of
    their role), with the 0-100 ``keyed`` score, NaN where not scored.

    A question asked but absent from the answers is a ``blank`` row, so coverage and
    the 50% rule can be read off this frame directly. Columns: ``respondent_id, role,
    unit, question_id, dimension, type, raw, value, keyed, weight, reverse, state``.
    """
    m = _matrices(questionnaire, responses)
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
    m = _matrices(questionnaire, responses)
    frame = pd.DataFrame(_respondent_scores(m), columns=m.dim_ids,
                         index=pd.Index(m.respondent_ids, name="respondent_id", dtype="str"))
    frame.columns.name = "dimension"
    return frame


# --------------------------------------------------------------------------- the result


def _clean(value: Any) -> Any:
    """JSON-safe copy: numpy scalars to Python, NaN/inf to None, tuples to lists."""
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_clean(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _num(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class ScoreResult:
    """Scores of one set of responses, with everything needed to judge them.

    ``to_dict()`` is the JSON contract read by the report, the plan and other tools.
    ``respondent_scores`` (respondents x dimensions) is kept for drill-down.
    """

    questionnaire: dict[str, str]
    respondents: int
    aggregation: str
    overall: dict[str, Any]
    dimensions: list[dict[str, Any]]
    items: list[dict[str, Any]]
    thresholds: dict[str, Any]
    sensitivity: dict[str, Any]
    breakdown: dict[str, Any] | None = None
    respondent_scores: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    def dimension(self, dimension_id: str) -> dict[str, Any]:
        for dim in self.dimensions:
            if dim["id"] == dimension_id:
                return dim
        raise KeyError(dimension_id)

    def to_dict(self) -> dict[str, Any]:
        out = {"questionnaire": self.questionnaire, "respondents": self.respondents,
               "aggregation": self.aggregation, "overall": self.overall, "dimensions": self.dimensions,
               "items": self.items, "thresholds": self.thresholds, "sensitivity": self.sensitivity}
        if self.breakdown is not None:
            out["breakdown"] = self.breakdown
        return _clean(out)


def _flags(dim: dict[str, Any], boundaries: list[tuple[float, str]]) -> list[dict[str, str]]:
    t = THRESHOLDS
    flags: list[dict[str, str]] = []

    def add(code: str, message: str) -> None:
        flags.append({"code": code, "message": message})

    n = dim["n_respondents"]
    if dim["coverage"] is not None and dim["coverage"] < t["coverage_min"]:
        add("low-coverage", f"Only {dim['coverage']:.0%} of the questions asked were answered "
                            f"(threshold {t['coverage_min']:.0%}); many N/A or blank answers.")
    if dim["alpha"] is None:
        reason = dim.get("alpha_unknown_reason")
        by_role = dim.get("alpha_by_role") or {}
        within = (f" Within roles alpha runs from {min(by_role.values()):.2f} to {max(by_role.values()):.2f}."
                  if by_role else "")
        if reason == "item-too-few":
            text = ("Cronbach's alpha over everyone cannot be computed: an item has fewer than two answers."
                    + within)
        elif reason == "no-variance":
            text = "Cronbach's alpha cannot be computed: the answers do not vary." + within
        else:
            text = ("Cronbach's alpha cannot be computed: it needs at least 2 answered items and "
                    f"{t['alpha_min_respondents']} respondents.")
        add("reliability-unknown", text)
    elif dim["alpha"] < t["alpha_min"]:
        add("low-reliability", f"The items do not hang together (alpha {dim['alpha']:.2f} < {t['alpha_min']:.2f}); "
                               "read the item scores rather than the dimension score.")
    if n < t["rwg_min_respondents"]:
        add("agreement-indicative", f"Agreement is indicative only with {n} respondents (< "
                                    f"{t['rwg_min_respondents']}): with random answers on a 5-point scale "
                                    "rwg >= .70 happens 52% of the time with 2 raters, 23% with 3 and 10% with 4 "
                                    "(BRIEF section 6).")
    elif dim["rwg"] is not None and dim["rwg"] < t["rwg_min"]:
        add("no-consensus", f"Respondents disagree (rwg {dim['rwg']:.2f} < {t['rwg_min']:.2f}); the average hides "
                            "different realities, look at the role breakdown.")
    gap = dim["perception_gap"]["difference"]
    if gap is not None and abs(gap) >= t["perception_gap_points"]:
        side = "Leadership" if gap > 0 else "Practitioners"
        add("perception-gap", f"{side} rate this {abs(gap):.0f} points higher than "
                              f"{'practitioners' if gap > 0 else 'leadership'} (threshold "
                              f"{t['perception_gap_points']:.0f}).")
    low, high = dim["ci_low"], dim["ci_high"]
    if low is not None and high is not None:
        crossed = [name for m_, name in boundaries if low < m_ <= high]
        if crossed:
            add("borderline", f"The 95% interval ({low:.0f}-{high:.0f}) straddles the boundary of level "
                              f"{crossed[0]}; the level could be one step either way.")
    if n < t["min_respondents"]:
        add("few-respondents", f"Only {n} respondent{'s' if n != 1 else ''} scored this dimension "
                               f"(< {t['min_respondents']}).")
    return flags


def _level_fields(q: Questionnaire, value: float | None) -> tuple[int | None, str | None]:
    level = q.level_for(value) if value is not None else None
    return (level.level, level.name) if level else (None, None)


def _group_means(scores: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    sub = scores[mask]
    n = (~np.isnan(sub)).sum(axis=0)
    with np.errstate(invalid="ignore"):
        mean = np.where(n > 0, np.nansum(sub, axis=0) / np.maximum(n, 1), np.nan)
    return mean, n


def _breakdown(q: Questionnaire, m: _Matrices, scores: np.ndarray, by: str, aggregation: str) -> dict[str, Any]:
    role_w = np.array([r.weight for r in q.roles], dtype=float)
    dim_w = np.array([d.weight for d in q.dimensions], dtype=float)
    groups: list[dict[str, Any]] = []
    if by == "role":
        keys = [(r.id, r.label, m.role_codes == i) for i, r in enumerate(q.roles)]
    elif by == "unit":
        keys = [(u, u, m.units == u) for u in sorted(set(m.units.tolist()), key=lambda u: (u == NO_UNIT, u))]
    else:
        raise ValueError(f"by must be 'role' or 'unit', got {by!r}")
    for key, label, mask in keys:
        if not mask.any():
            continue
        _, counts, dims = _role_aggregate(scores[mask], m.role_codes[mask], role_w, aggregation)
        overall = _weighted_overall(dims, dim_w)
        groups.append({"id": key, "label": label, "respondents": int(mask.sum()),
                       "overall": _num(overall),
                       "dimensions": {d: _num(v) for d, v in zip(m.dim_ids, dims, strict=True)},
                       "n": {d: int(c) for d, c in zip(m.dim_ids, counts.sum(axis=0), strict=True)}})
    return {"by": by, "groups": groups}


def score(questionnaire: Questionnaire, responses: Responses, *, aggregation: str | None = None,
          n_resamples: int = 2000, seed: int = DEFAULT_SEED, by: str | None = None,
          sensitivity: bool = True) -> ScoreResult:
    """Score ``responses`` against ``questionnaire``: dimension and overall scores, levels,
    bootstrap intervals, reliability, agreement, perception gap and trust flags.

    ``aggregation`` defaults to the questionnaire's own (``role-balanced`` unless it
    says ``pooled``). ``by`` adds a per-``role`` or per-``unit`` breakdown. Raises
    :class:`AssessmentError` when there is nobody to score.
    """
    q = questionnaire
    aggregation = aggregation or q.aggregation
    if aggregation not in ("role-balanced", "pooled"):
        raise AssessmentError(f"unknown aggregation {aggregation!r}; use role-balanced or pooled")
    if len(responses.respondents) == 0:
        raise AssessmentError("no respondents to score; import some responses first")
    m = _matrices(q, responses)
    if not (m.role_codes >= 0).any():
        raise AssessmentError("no respondent has a role defined in the questionnaire "
                              f"({', '.join(r.id for r in q.roles)}); nothing to score")
    scores = _respondent_scores(m)
    role_w = np.array([r.weight for r in q.roles], dtype=float)
    dim_w = np.array([d.weight for d in q.dimensions], dtype=float)
    role_means, role_counts, dims = _role_aggregate(scores, m.role_codes, role_w, aggregation)
    overall = _weighted_overall(dims, dim_w)

    known = m.role_codes >= 0
    canon = _canonical_order(scores[known], m.role_codes[known])
    boot = stats.bootstrap_scores(scores[known][canon], m.role_codes[known][canon], role_w, dim_w,
                                  aggregation=aggregation, n_resamples=n_resamples, seed=seed,
                                  level=THRESHOLDS["ci_level"])

    groups = np.array([r.group for r in q.roles], dtype=object)
    resp_group = np.where(known, groups[np.maximum(m.role_codes, 0)], None)
    lead_mask, prac_mask = resp_group == LEADERSHIP, resp_group == PRACTITIONER
    group_names = list(dict.fromkeys(r.group for r in q.roles))
    boundaries = [(lv.min, f"{lv.level} ({lv.name})") for lv in q.levels[1:]]
    asked_scored = m.asked & m.q_scored[None, :]
    answered_state = asked_scored & (m.state == 1)
    answered = m.scored_answer

    dimensions: list[dict[str, Any]] = []
    for di, dim in enumerate(q.dimensions):
        cols = np.flatnonzero((m.q_dim == di) & m.q_scored)
        asked_cells = int(asked_scored[:, cols].sum())
        coverage = answered_state[:, cols].sum() / asked_cells if asked_cells else math.nan
        item_matrix = m.keyed[:, cols]
        alpha = stats.cronbach_alpha(item_matrix)
        alpha_ci = None
        used = item_matrix[:, ~np.isnan(item_matrix).all(axis=0)]
        n_rows = int((~np.isnan(used)).any(axis=1).sum())
        if alpha is not None:
            alpha_ci = stats.feldt_ci(alpha, n_rows, used.shape[1], level=THRESHOLDS["ci_level"])
        # Alpha within each role says whether the items that role sees hang together,
        # which the pooled alpha cannot when items are routed to different roles.
        alpha_by_role = {}
        for ri, role in enumerate(q.roles):
            value_r = stats.cronbach_alpha(item_matrix[m.role_codes == ri])
            if value_r is not None:
                alpha_by_role[role.id] = value_r
        alpha_reason = None
        if alpha is None:
            observed = (~np.isnan(used)).astype(float)
            if used.shape[1] < 2 or n_rows < THRESHOLDS["alpha_min_respondents"]:
                alpha_reason = "too-few"
            elif (observed.sum(axis=0) < 2).any():
                alpha_reason = "item-too-few"
            else:
                alpha_reason = "no-variance"
        scale_cols = cols[m.q_scale[cols]]
        rwg = None
        if scale_cols.size:
            raw = np.where(answered[:, scale_cols], m.value[:, scale_cols], np.nan)
            rwg = stats.rwg_j(raw, m.q_points[scale_cols])
        col = scores[:, di]
        lead, prac = col[lead_mask], col[prac_mask]
        lead, prac = lead[~np.isnan(lead)], prac[~np.isnan(prac)]
        both = lead.size >= 2 and prac.size >= 2
        gap = {"leadership": _num(lead.mean()) if lead.size else None,
               "practitioners": _num(prac.mean()) if prac.size else None,
               "difference": _num(lead.mean() - prac.mean()) if both else None,
               "hedges_g": stats.hedges_g(lead, prac) if both else None,
               "n_leadership": int(lead.size), "n_practitioners": int(prac.size)}
        by_group = {}
        for g in group_names:
            in_group = (groups == g) & (role_counts[:, di] > 0)
            if aggregation == "role-balanced":
                gw = role_w[in_group]
                by_group[g] = _num((role_means[in_group, di] * gw).sum() / gw.sum()) if gw.size else None
            else:
                vals = col[resp_group == g]
                vals = vals[~np.isnan(vals)]
                by_group[g] = _num(vals.mean()) if vals.size else None
        value = _num(dims[di])
        level, level_name = _level_fields(q, value)
        entry: dict[str, Any] = {
            "id": dim.id, "title": dim.title, "weight": dim.weight, "score": value, "level": level,
            "level_name": level_name, "ci_low": _num(boot.dim_low[di]), "ci_high": _num(boot.dim_high[di]),
            "n_respondents": int((~np.isnan(col)).sum()), "coverage": _num(coverage),
            "alpha": alpha, "alpha_ci": list(alpha_ci) if alpha_ci else None, "alpha_by_role": alpha_by_role,
            "alpha_unknown_reason": alpha_reason, "rwg": rwg,
            "by_role": {r.id: _num(role_means[ri, di]) for ri, r in enumerate(q.roles) if role_counts[ri, di] > 0},
            "n_by_role": {r.id: int(role_counts[ri, di]) for ri, r in enumerate(q.roles)},
            "by_group": by_group, "perception_gap": gap,
        }
        entry["flags"] = _flags(entry, boundaries)
        dimensions.append(entry)

    o_value = _num(overall)
    o_level, o_name = _level_fields(q, o_value)
    o_low, o_high = _num(boot.overall_low), _num(boot.overall_high)
    o_flags = []
    if o_low is not None and o_high is not None and any(o_low < b <= o_high for b, _ in boundaries):
        o_flags.append({"code": "borderline", "message": "The 95% interval of the overall score straddles a "
                                                         "level boundary."})
    overall_d = {"score": o_value, "level": o_level, "level_name": o_name, "ci_low": o_low, "ci_high": o_high,
                 "flags": o_flags}

    items = []
    for j, qid in enumerate(m.question_ids):
        question = q.questions[qid]
        asked_j = m.asked[:, j]
        n_ans = int((asked_j & (m.state[:, j] == 1)).sum())
        n_na = int((asked_j & (m.state[:, j] == 2)).sum())
        k = m.keyed[:, j]
        k = k[~np.isnan(k)]
        items.append({"id": qid, "dimension": m.dim_ids[m.q_dim[j]], "text": question.text, "type": question.type,
                      "weight": question.weight, "reverse": question.reverse,
                      "score": _num(k.mean()) if k.size else None, "n": n_ans, "na": n_na,
                      "blank": int(asked_j.sum()) - n_ans - n_na, "asked": int(asked_j.sum())})

    sens = weight_sensitivity(q, m, aggregation=aggregation, seed=seed) if sensitivity else {}
    thresholds = dict(THRESHOLDS, n_resamples=int(n_resamples), seed=int(seed),
                      level_boundaries={str(lv.level): lv.min for lv in q.levels})
    return ScoreResult(
        questionnaire={"id": q.id, "version": q.version, "title": q.title},
        respondents=len(responses.respondents), aggregation=aggregation, overall=_clean(overall_d),
        dimensions=_clean(dimensions), items=_clean(items), thresholds=_clean(thresholds),
        sensitivity=_clean(sens), breakdown=_clean(_breakdown(q, m, scores, by, aggregation)) if by else None,
        respondent_scores=pd.DataFrame(scores, columns=m.dim_ids,
                                       index=pd.Index(m.respondent_ids, name="respondent_id", dtype="str")),
    )


# ------------------------------------------------------------------------------ explain


def _contribution_weights(m: _Matrices, scores_col: np.ndarray, role_w: np.ndarray,
                          aggregation: str) -> np.ndarray:
    """Per-respondent multiplier mu_i so that the dimension score = sum_i mu_i * s_i."""
    has = ~np.isnan(scores_col) & (m.role_codes >= 0)
    mu = np.zeros(len(scores_col))
    if not has.any():
        return mu
    if aggregation == "pooled":
        mu[has] = 1.0 / has.sum()
        return mu
    counts = np.bincount(m.role_codes[has], minlength=role_w.size).astype(float)
    present_w = np.where(counts > 0, role_w, 0.0)
    total = present_w.sum()
    codes = m.role_codes[has]
    mu[has] = role_w[codes] / total / counts[codes]
    return mu


def explain(questionnaire: Questionnaire, responses: Responses, dimension_id: str, *,
            aggregation: str | None = None) -> pd.DataFrame:
    """Scoring trace of one dimension: one row per question, answering "how did you get 38?".

    Columns: ``question_id, text, type, weight, reverse, roles, asked, n, na, blank,
    raw_distribution, raw_mean, keyed_mean, weight_share, contribution``. ``contribution``
    (points) sums exactly to the dimension score: each respondent's score is split over
    their items by answered weight, then weighted the way the aggregation weights that
    respondent (role weight / respondents in the role, or 1/N pooled). ``weight_share``
    is the share of the score each item carries.

    ``frame.attrs`` holds ``roles`` (a DataFrame of per-role means, counts, weights and
    shares), ``steps`` (the aggregation written out as text) and ``score``.
    """
    q = questionnaire
    if dimension_id not in q.dimension_by_id:
        raise AssessmentError(f"unknown dimension `{dimension_id}`; dimensions: "
                              f"{', '.join(d.id for d in q.dimensions)}")
    aggregation = aggregation or q.aggregation
    m = _matrices(q, responses)
    di = [d.id for d in q.dimensions].index(dimension_id)
    scores = _respondent_scores(m)
    role_w = np.array([r.weight for r in q.roles], dtype=float)
    role_means, role_counts, dims = _role_aggregate(scores, m.role_codes, role_w, aggregation)
    col = scores[:, di]
    mu = _contribution_weights(m, col, role_w, aggregation)
    cols = np.flatnonzero(m.q_dim == di)
    answered = m.scored_answer
    w_ans = np.where(answered, m.q_weight[None, :], 0.0)[:, cols] * m.q_scored[cols][None, :]
    den = w_ans.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share_i = np.where(den[:, None] > 0, w_ans / np.where(den > 0, den, 1.0)[:, None], 0.0)
    term = share_i * np.nan_to_num(m.keyed[:, cols])
    contribution = mu @ term
    weight_share = mu @ share_i

    rows = []
    for k, j in enumerate(cols):
        question = q.questions[m.question_ids[j]]
        asked_j = m.asked[:, j]
        ans_j = asked_j & (m.state[:, j] == 1)
        vals = m.value[ans_j, j]
        vals = vals[np.isfinite(vals)]
        if question.type == "scale" and vals.size:
            uniq, cnt = np.unique(vals, return_counts=True)
            dist = ", ".join(f"{u:g}: {c}" for u, c in zip(uniq, cnt, strict=True))
        elif question.type == "numeric" and vals.size:
            dist = f"min {vals.min():g}, median {np.median(vals):g}, max {vals.max():g}"
        else:
            dist = ""
        keyed = m.keyed[:, j]
        keyed = keyed[~np.isnan(keyed)]
        n_ans, n_na = int(ans_j.sum()), int((asked_j & (m.state[:, j] == 2)).sum())
        rows.append({
            "question_id": question.id, "text": question.text, "type": question.type,
            "weight": question.weight, "reverse": question.reverse,
            "roles": ", ".join(question.roles) if question.roles else "all",
            "asked": int(asked_j.sum()), "n": n_ans, "na": n_na, "blank": int(asked_j.sum()) - n_ans - n_na,
            "raw_distribution": dist, "raw_mean": float(vals.mean()) if vals.size and question.scored else math.nan,
            "keyed_mean": float(keyed.mean()) if keyed.size else math.nan,
            "weight_share": float(weight_share[k]) if question.scored else math.nan,
            "contribution": float(contribution[k]) if question.scored else math.nan,
        })
    frame = pd.DataFrame(rows)

    present = role_counts[:, di] > 0
    total_w = role_w[present].sum()
    role_rows = []
    for ri, role in enumerate(q.roles):
        asked_role = (m.role_codes == ri)
        share = (role_w[ri] / total_w if aggregation == "role-balanced" else role_counts[ri, di] /
                 role_counts[:, di].sum()) if present[ri] else 0.0
        role_rows.append({"role": role.id, "label": role.label, "group": role.group, "role_weight": role.weight,
                          "respondents": int(asked_role.sum()), "scored": int(role_counts[ri, di]),
                          "mean": float(role_means[ri, di]), "share": float(share)})
    roles = pd.DataFrame(role_rows)
    value = float(dims[di])
    steps = [
        "Item score: scale answer -> 100 (x - lowest point) / (highest - lowest); numeric -> 100 (x - worst) / "
        "(best - worst), clipped to 0-100; reverse-keyed items -> 100 - score. N/A and blanks are not scored.",
        f"Respondent score: weighted mean of their item scores; none if under "
        f"{THRESHOLDS['answered_weight_min']:.0%} of the question weight asked of their role was answered "
        f"({int((~np.isnan(col)).sum())} of {int((m.role_codes >= 0).sum())} respondents have a score).",
    ]
    if aggregation == "role-balanced":
        parts = [f"{r.role_weight:g} x {r.mean:.2f} ({r.role})" for r in roles.itertuples() if r.scored > 0]
        steps.append("Dimension score (role-balanced): mean per role, then the role-weighted mean of roles with a "
                     f"score: ({' + '.join(parts)}) / {total_w:g} = {value:.2f}" if parts else
                     "Dimension score: no respondent has a score.")
    else:
        n_scored = int(role_counts[:, di].sum())
        steps.append(f"Dimension score (pooled): plain mean of {n_scored} respondent scores = {value:.2f}"
                     if n_scored else "Dimension score: no respondent has a score.")
    frame.attrs.update({"dimension": dimension_id, "aggregation": aggregation, "score": _num(value),
                        "roles": roles, "steps": steps})
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
    frame.attrs["scores"] = {d: _num(v) for d, v in scores.items()}
    return frame


# -------------------------------------------------------------------------- sensitivity


def _dims_for_draws(m: _Matrices, q_weights: np.ndarray, role_weights: np.ndarray,
                    aggregation: str) -> np.ndarray:
    """(B, D) dimension scores for B joint draws of question weights (B, Q) and role weights (B, R).

    Works one dimension at a time (a question weighs only in its own dimension), so
    the cost is respondents x questions x draws, not x dimensions as well.
    """
    n_draws = q_weights.shape[0]
    n_dims = len(m.dim_ids)
    n_roles = role_weights.shape[1]
    known = m.role_codes >= 0
    all_known = bool(known.all())
    one_hot = (m.role_codes[None, :] == np.arange(n_roles)[:, None]).astype(float)
    chunk = max(1, 2_000_000 // max(1, len(m.respondent_ids)))
    out = np.full((n_draws, n_dims), np.nan)
    for d in range(n_dims):
        cols = np.flatnonzero((m.q_dim == d) & m.q_scored)
        keyed, answered, asked = m.keyed_filled[:, cols], m.answered_float[:, cols], m.asked_float[:, cols]
        for start in range(0, n_draws, chunk):
            w = q_weights[start:start + chunk, cols].T  # (Qd, b)
            num, den = keyed @ w, answered @ w
            ok = den >= THRESHOLDS["answered_weight_min"] * (asked @ w) - 1e-12
            ok &= den > 0
            if not all_known:
                ok[~known] = False
            den[~ok] = np.inf
            num /= den  # respondent scores, 0 where none (counts below leave them out)
            sums, counts = one_hot @ num, one_hot @ ok.astype(float)  # (R, b)
            res = _combine_roles(sums, counts, role_weights[start:start + chunk].T, aggregation, axis=0)
            out[start:start + chunk, d] = res
    return out


def _weakest(dims: np.ndarray, n: int) -> frozenset[int]:
    ok = np.flatnonzero(~np.isnan(dims))
    order = ok[np.argsort(dims[ok], kind="stable")]
    return frozenset(order[:n].tolist())


def weight_sensitivity(questionnaire: Questionnaire, responses: Responses | _Matrices, *,
                       delta: float = 0.2, n: int = 3, draws: int = 200, seed: int = DEFAULT_SEED,
                       aggregation: str | None = None) -> dict[str, Any]:
    """Does the set of the ``n`` weakest dimensions survive weight changes of ±``delta``?

    Two tests: each question weight and each role weight moved alone by ``×(1-delta)``
    and ``×(1+delta)``, and ``draws`` seeded random joint perturbations (every weight
    multiplied by an independent uniform factor in ``[1-delta, 1+delta]``). ``stable``
    means every one-at-a-time change and at least 95% of the joint draws keep the same
    weakest set; ``entering``/``leaving`` count how often each dimension moved in or
    out. Dimension weights do not change a ranking of dimensions, so they are not varied.
    """
    q = questionnaire
    aggregation = aggregation or q.aggregation
    m = responses if isinstance(responses, _Matrices) else _matrices(q, responses)
    q_w = m.q_weight
    r_w = np.array([r.weight for r in q.roles], dtype=float)
    base = _dims_for_draws(m, q_w[None, :], r_w[None, :], aggregation)[0]
    weakest = _weakest(base, n)
    result: dict[str, Any] = {"delta": delta, "n": n, "weakest": [m.dim_ids[i] for i in sorted(
        weakest, key=lambda i: base[i])]}
    n_defined = int((~np.isnan(base)).sum())
    if n_defined <= n:
        result.update({"stable": True, "note": f"only {n_defined} dimensions have a score; the weakest {n} "
                                               "cannot change", "one_at_a_time": {"perturbations": 0, "same_share": 1.0,
                                                                                   "changes": []},
                       "random": {"draws": 0, "seed": seed, "same_share": 1.0}, "entering": {}, "leaving": {}})
        return result

    labels: list[str] = []
    qws, rws = [], []
    for j in np.flatnonzero(m.q_scored):
        for f in (1 - delta, 1 + delta):
            w = q_w.copy()
            w[j] *= f
            qws.append(w)
            rws.append(r_w)
            labels.append(f"question {m.question_ids[j]} x{f:g}")
    if aggregation == "role-balanced":
        for ri, role in enumerate(q.roles):
            for f in (1 - delta, 1 + delta):
                w = r_w.copy()
                w[ri] *= f
                qws.append(q_w)
                rws.append(w)
                labels.append(f"role {role.id} x{f:g}")
    rng = np.random.default_rng(seed)
    rand_q = q_w[None, :] * rng.uniform(1 - delta, 1 + delta, size=(draws, q_w.size))
    rand_r = r_w[None, :] * rng.uniform(1 - delta, 1 + delta, size=(draws, r_w.size))
    all_q = np.vstack([np.array(qws).reshape(-1, q_w.size), rand_q])
    all_r = np.vstack([np.array(rws).reshape(-1, r_w.size), rand_r])
    dims = _dims_for_draws(m, all_q, all_r, aggregation)

    entering: dict[str, int] = {}
    leaving: dict[str, int] = {}
    changes = []
    same = []
    for k in range(dims.shape[0]):
        found = _weakest(dims[k], n)
        same.append(found == weakest)
        if found != weakest:
            enter = [m.dim_ids[i] for i in sorted(found - weakest)]
            leave = [m.dim_ids[i] for i in sorted(weakest - found)]
            for d in enter:
                entering[d] = entering.get(d, 0) + 1
            for d in leave:
                leaving[d] = leaving.get(d, 0) + 1
            if k < len(labels):
                changes.append({"weight": labels[k], "enter": enter, "leave": leave})
    same_arr = np.array(same)
    one = same_arr[:len(labels)]
    rand = same_arr[len(labels):]
    one_share = float(one.mean()) if one.size else 1.0
    rand_share = float(rand.mean()) if rand.size else 1.0
    result.update({
        "stable": bool(one_share == 1.0 and rand_share >= 0.95),
        "one_at_a_time": {"perturbations": len(labels), "same_share": one_share, "changes": changes},
        "random": {"draws": int(draws), "seed": int(seed), "same_share": rand_share},
        "entering": entering, "leaving": leaving,
    })
    return result


# ---------------------------------------------------------------------------- compare


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


def _stratified_counts(rng: np.random.Generator, strata: np.ndarray, n_resamples: int) -> np.ndarray:
    """(B, n) bootstrap draw counts, resampling within each stratum."""
    counts = np.zeros((n_resamples, strata.size))
    for s in np.unique(strata):
        idx = np.flatnonzero(strata == s)
        draws = rng.integers(0, idx.size, size=(n_resamples, idx.size))
        offsets = (np.arange(n_resamples) * idx.size)[:, None]
        c = np.bincount((draws + offsets).ravel(), minlength=n_resamples * idx.size)
        counts[:, idx] = c.reshape(n_resamples, idx.size)
    return counts


def _aggregate_weighted(counts: np.ndarray, scores: np.ndarray, roles: np.ndarray, role_w: np.ndarray,
                        dim_w: np.ndarray, aggregation: str) -> tuple[np.ndarray, np.ndarray]:
    """(B, D) dimension and (B,) overall scores for resample count matrices (B, n)."""
    present = ~np.isnan(scores)
    filled = np.where(present, scores, 0.0)
    n_roles = role_w.size
    b = counts.shape[0]
    sums = np.zeros((b, n_roles, scores.shape[1]))
    cnts = np.zeros_like(sums)
    for r in range(n_roles):
        idx = np.flatnonzero(roles == r)
        if idx.size:
            sums[:, r] = counts[:, idx] @ filled[idx]
            cnts[:, r] = counts[:, idx] @ present[idx].astype(float)
    dims = _combine_roles(sums, cnts, role_w[None, :, None], aggregation, axis=1)
    ok = ~np.isnan(dims)
    dw = np.where(ok, dim_w[None, :], 0.0)
    tdw = dw.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        overall = np.where(tdw > 0, (np.nan_to_num(dims) * dw).sum(axis=1) / np.where(tdw > 0, tdw, 1), np.nan)
    return dims, overall


def _identity(responses: Responses) -> np.ndarray:
    people = responses.respondents
    key = people["respondent_id"].astype("string")
    if "identity" in people.columns:
        ident = people["identity"].astype("string").str.strip().str.casefold()
        key = ident.mask(ident == "").fillna(key)
    return key.to_numpy(dtype=object)


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
    aggregation = aggregation or q_all.aggregation
    ids_a = set(baseline.answers["question_id"].astype(str)) & set(q_all.questions)
    ids_b = set(current.answers["question_id"].astype(str)) & set(q_all.questions)
    common = ids_a & ids_b
    left_out = sorted((ids_a | ids_b) - common, key=list(q_all.questions).index)
    q = _restrict(q_all, common) if left_out else q_all
    ma, mb = _matrices(q, baseline), _matrices(q, current)
    sa, sb = _respondent_scores(ma), _respondent_scores(mb)
    role_w = np.array([r.weight for r in q.roles], dtype=float)
    dim_w = np.array([d.weight for d in q.dimensions], dtype=float)
    ka, kb = ma.role_codes >= 0, mb.role_codes >= 0
    sa, sb = sa[ka], sb[kb]
    ra, rb = ma.role_codes[ka], mb.role_codes[kb]
    ida, idb = _identity(baseline)[ka], _identity(current)[kb]
    oa, ob = _canonical_order(sa, ra), _canonical_order(sb, rb)
    sa, ra, ida, sb, rb, idb = sa[oa], ra[oa], ida[oa], sb[ob], rb[ob], idb[ob]

    _, _, dims_a = _role_aggregate(sa, ra, role_w, aggregation)
    _, _, dims_b = _role_aggregate(sb, rb, role_w, aggregation)
    over_a, over_b = _weighted_overall(dims_a, dim_w), _weighted_overall(dims_b, dim_w)

    pos_b = {k: i for i, k in enumerate(idb)}
    pairs = [(i, pos_b[k]) for i, k in enumerate(ida) if k in pos_b]
    method = "paired" if len(pairs) >= 2 else "independent"
    rng = np.random.default_rng(seed)
    dims_diff_parts, over_diff_parts = [], []
    block = max(1, 2_000_000 // max(1, sa.shape[0] + sb.shape[0]))
    for start in range(0, n_resamples, block):
        size = min(block, n_resamples - start)
        ca = np.zeros((size, sa.shape[0]))
        cb = np.zeros((size, sb.shape[0]))
        if method == "paired":
            pa = np.array([p[0] for p in pairs])
            pb = np.array([p[1] for p in pairs])
            cp = _stratified_counts(rng, ra[pa], size)
            ca[:, pa] = cp
            cb[:, pb] = cp
            ua = np.setdiff1d(np.arange(sa.shape[0]), pa)
            ub = np.setdiff1d(np.arange(sb.shape[0]), pb)
            if ua.size:
                ca[:, ua] = _stratified_counts(rng, ra[ua], size)
            if ub.size:
                cb[:, ub] = _stratified_counts(rng, rb[ub], size)
        else:
            ca = _stratified_counts(rng, ra, size)
            cb = _stratified_counts(rng, rb, size)
        da, oa = _aggregate_weighted(ca, sa, ra, role_w, dim_w, aggregation)
        db, ob = _aggregate_weighted(cb, sb, rb, role_w, dim_w, aggregation)
        dims_diff_parts.append(db - da)
        over_diff_parts.append(ob - oa)
    dims_diff = np.vstack(dims_diff_parts)
    over_diff = np.concatenate(over_diff_parts)

    def entry(a: float, b: float, dist: np.ndarray) -> dict[str, Any]:
        ci = stats.percentile_ci(dist, THRESHOLDS["ci_level"])
        change = b - a if math.isfinite(a) and math.isfinite(b) else math.nan
        sig = None if ci is None or not math.isfinite(change) else bool(ci[0] > 0 or ci[1] < 0)
        return {names[0]: _num(a), names[1]: _num(b), "change": _num(change),
                "ci_low": ci[0] if ci and math.isfinite(change) else None,
                "ci_high": ci[1] if ci and math.isfinite(change) else None, "significant": sig}

    dimensions = []
    for di, dim in enumerate(q.dimensions):
        dimensions.append({"id": dim.id, "title": dim.title, **entry(dims_a[di], dims_b[di], dims_diff[:, di]),
                           "n_" + names[0]: int((~np.isnan(sa[:, di])).sum()),
                           "n_" + names[1]: int((~np.isnan(sb[:, di])).sum())})
    dropped_dims = [d.id for d in q_all.dimensions if d.id not in q.dimension_by_id]
    return _clean({
        "rounds": list(names), "method": method, "matched_respondents": len(pairs),
        "respondents": {names[0]: int(len(baseline.respondents)), names[1]: int(len(current.respondents))},
        "aggregation": aggregation, "overall": entry(over_a, over_b, over_diff), "dimensions": dimensions,
        "common_questions": len(common), "left_out_questions": left_out, "left_out_dimensions": dropped_dims,
        "n_resamples": int(n_resamples), "seed": int(seed), "ci_level": THRESHOLDS["ci_level"],
    })

