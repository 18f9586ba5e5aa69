"""Dense respondents x questions matrices of a set of responses.

Everything the scoring engine computes is a matrix product over these arrays, so
10,000 respondents x 50 questions score in tens of milliseconds with no loop over
respondents.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from ..questionnaire import Questionnaire
from ..responses import ANSWERED, BLANK, NA, Responses, asked_table
from .contract import NO_UNIT

STATE_CODES = {ANSWERED: 1, NA: 2, BLANK: 3}


@dataclass(frozen=True)
class Matrices:
    """Dense respondents x questions view of a :class:`Responses`.

    ``asked`` is False where the question is not put to the respondent's role (or the
    role is unknown); ``keyed`` is the 0-100 item score, NaN where not scored.
    Respondents are in a canonical order (by id), so file row order changes nothing.
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
    role_weights: np.ndarray  # (R,)
    dim_weights: np.ndarray  # (D,)
    role_asked: np.ndarray  # (R, Q) bool: is question j asked of role r

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

    @cached_property
    def role_rows(self) -> list[np.ndarray]:
        """The rows of each questionnaire role, in row order."""
        order = np.argsort(self.role_codes, kind="stable")
        bounds = np.searchsorted(self.role_codes[order], np.arange(len(self.role_weights) + 1))
        return [order[bounds[r]:bounds[r + 1]] for r in range(len(self.role_weights))]

    def dimension_columns(self, di: int) -> np.ndarray:
        """Positions of the scored questions of dimension ``di``."""
        return np.flatnonzero((self.q_dim == di) & self.q_scored)


def _question_table(q: Questionnaire) -> dict[str, Any]:
    ids, dims, weight, scored, is_scale, points, lo, hi, rev = [], [], [], [], [], [], [], [], []
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
    return {"ids": ids, "dim_ids": [d.id for d in q.dimensions], "dim": np.array(dims, dtype=np.intp),
            "weight": np.array(weight, dtype=float), "scored": np.array(scored, dtype=bool),
            "scale": np.array(is_scale, dtype=bool), "points": np.array(points, dtype=float),
            "lo": np.array(lo, dtype=float), "hi": np.array(hi, dtype=float), "reverse": np.array(rev, dtype=bool)}


def _asked_table(q: Questionnaire, question_ids: list[str]) -> np.ndarray:
    """(R, Q) bool: is question j asked of role r (an unknown question counts as asked)."""
    rows = pd.Index(list(q.questions), dtype=object).get_indexer(question_ids)  # -1: the table's all-True last row
    return asked_table(q)[rows, :-1].T


def _people(q: Questionnaire, people: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Respondent ids, role codes and units, in canonical (id) order."""
    rid = people["respondent_id"].astype(str).to_numpy(dtype=object)
    order = np.argsort(rid, kind="stable")
    role_codes = pd.Index([r.id for r in q.roles]).get_indexer(people["role"].astype("string").fillna(""))[order]
    if "unit" in people.columns:
        unit_col = people["unit"].astype("string").str.strip()
        units = unit_col.mask(unit_col == "").fillna(NO_UNIT).to_numpy(dtype=object)[order]
    else:
        units = np.full(len(people), NO_UNIT, dtype=object)
    return rid[order], role_codes, units


def _answer_grid(responses: Responses, rid: np.ndarray, qids: list[str]) -> tuple[np.ndarray, ...]:
    """(value, state, row) matrices of the answers, respondents x questions."""
    answers = responses.answers
    n, nq = len(rid), len(qids)
    value = np.full((n, nq), np.nan)
    state = np.zeros((n, nq), dtype=np.int8)
    row = np.full((n, nq), -1, dtype=np.intp)
    if len(answers):
        ri = responses.positions("respondent_id", rid)
        qi = responses.positions("question_id", qids)
        ok = np.flatnonzero((ri >= 0) & (qi >= 0))
        cell = ri[ok] * nq + qi[ok]  # flat positions: one index computation for the three grids
        codes = (responses.positions("state", STATE_CODES) + 1).astype(np.int8)
        vals = pd.to_numeric(answers["value"], errors="coerce").to_numpy(dtype=float)
        np.put(value, cell, vals[ok])
        np.put(state, cell, codes[ok])
        np.put(row, cell, ok)
    return value, state, row


def build_matrices(q: Questionnaire, responses: Responses, people: pd.DataFrame | None = None) -> Matrices:
    """The matrices of ``responses`` scored against ``q`` (item scores keyed 0-100).

    ``people``: the respondents to score, some rows of ``responses.respondents`` (default:
    all of them); the answers of anyone else are left out, and ``row`` still points into
    ``responses.answers``. (Scoring leaves flagged respondents out this way without
    copying 300,000 answers.)
    """
    table = _question_table(q)
    qids: list[str] = table["ids"]
    rid, role_codes, units = _people(q, responses.respondents if people is None else people)
    value, state, row = _answer_grid(responses, rid, qids)
    asked_roles = _asked_table(q, qids)
    asked = np.zeros(value.shape, dtype=bool)
    known = role_codes >= 0
    asked[known] = asked_roles[role_codes[known]]

    lo, hi = table["lo"], table["hi"]
    # in place, in the order ``100 * (value - lo) / (hi - lo)`` computes: no 6 MB temporaries
    keyed = value - lo
    keyed *= 100.0
    with np.errstate(invalid="ignore", divide="ignore"):
        keyed /= hi - lo
    np.clip(keyed, 0.0, 100.0, out=keyed)
    np.subtract(100.0, keyed, out=keyed, where=table["reverse"][None, :])
    usable = asked & (state == 1) & table["scored"][None, :] & np.isfinite(value)
    keyed[~usable] = np.nan
    return Matrices(rid, role_codes, units, qids, table["dim_ids"], table["dim"], table["weight"],
                    table["scored"], table["scale"], table["points"], value, state, row, asked, keyed,
                    np.array([r.weight for r in q.roles], dtype=float),
                    np.array([d.weight for d in q.dimensions], dtype=float), asked_roles)


def canonical_order(scores: np.ndarray, role_codes: np.ndarray) -> np.ndarray:
    """An order of respondents that depends only on what they answered.

    The seeded bootstrap draws respondents by position, so positions must not come
    from file rows or from ids made of them: sorting by role, then by the scores
    themselves, makes the same answers give the same interval whatever the order of
    the file. Respondents that tie are identical rows, so their order is immaterial.
    """
    keys = [np.where(np.isnan(col), np.inf, col) for col in scores.T[::-1]]
    return np.lexsort([*keys, role_codes])
