"""Does the ranking of the weakest friction points survive reasonable weight changes?"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..questionnaire import Questionnaire
from ..responses import Responses
from .aggregate import combine_roles, respondent_scores, role_totals
from .contract import DEFAULT_SEED
from .matrices import Matrices, build_matrices


def _dims_for_draws(m: Matrices, q_weights: np.ndarray, role_weights: np.ndarray,
                    aggregation: str) -> np.ndarray:
    """(B, D) dimension scores for B joint draws of question weights (B, Q) and role weights (B, R).

    Works one dimension at a time (a question weighs only in its own dimension), so
    the cost is respondents x questions x draws, not x dimensions as well.
    """
    n_draws, n_dims, n_roles = q_weights.shape[0], len(m.dim_ids), role_weights.shape[1]
    chunk = max(1, 2_000_000 // max(1, len(m.respondent_ids)))
    out = np.full((n_draws, n_dims), np.nan)
    for d in range(n_dims):
        cols = m.dimension_columns(d)
        for start in range(0, n_draws, chunk):
            stop = min(start + chunk, n_draws)
            scores = respondent_scores(m, q_weights[start:stop, cols].T, cols)  # (n, b): one column per draw
            sums, counts = role_totals(scores, m.role_codes, n_roles)  # (R, b)
            out[start:stop, d] = combine_roles(sums.T[:, :, None], counts.T[:, :, None],
                                               role_weights[start:stop, :, None], aggregation)[:, 0]
    return out


def _weakest(dims: np.ndarray, n: int) -> frozenset[int]:
    ok = np.flatnonzero(~np.isnan(dims))
    order = ok[np.argsort(dims[ok], kind="stable")]
    return frozenset(order[:n].tolist())


def weight_sensitivity(questionnaire: Questionnaire, responses: Responses | Matrices, *,
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
    m = responses if isinstance(responses, Matrices) else build_matrices(q, responses)
    base = _dims_for_draws(m, m.q_weight[None, :], m.role_weights[None, :], aggregation)[0]
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

    labels, all_q, all_r = _perturbations(q, m, delta, draws, seed, aggregation)
    dims = _dims_for_draws(m, all_q, all_r, aggregation)
    result.update(_tally(m, dims, weakest, labels, n, draws, seed))
    return result


def _perturbations(q: Questionnaire, m: Matrices, delta: float, draws: int, seed: int,
                   aggregation: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Labels of the one-at-a-time changes, then question and role weights of every
    perturbation: the labelled ones first, then ``draws`` seeded joint draws."""
    q_w, r_w = m.q_weight, m.role_weights
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
    return (labels, np.vstack([np.array(qws).reshape(-1, q_w.size), rand_q]),
            np.vstack([np.array(rws).reshape(-1, r_w.size), rand_r]))


def _tally(m: Matrices, dims: np.ndarray, weakest: frozenset[int], labels: list[str], n: int, draws: int,
           seed: int) -> dict[str, Any]:
    """How often the weakest set stays the same, and which dimensions move in and out."""
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
    one, rand = same_arr[:len(labels)], same_arr[len(labels):]
    one_share = float(one.mean()) if one.size else 1.0
    rand_share = float(rand.mean()) if rand.size else 1.0
    return {"stable": bool(one_share == 1.0 and rand_share >= 0.95),
            "one_at_a_time": {"perturbations": len(labels), "same_share": one_share, "changes": changes},
            "random": {"draws": int(draws), "seed": int(seed), "same_share": rand_share},
            "entering": entering, "leaving": leaving}
