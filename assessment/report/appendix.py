"""Plain-words versions of the machine-readable parts of a result for the report's appendices.

Scores, thresholds, the weight-sensitivity check, the scoring trace and the import log
arrive as JSON-like dicts and DataFrames. A board reader must never see a Python list,
a dict, ``True`` or ``nan``: every value that reaches the page goes through here and
comes out as a sentence, a count or a formatted number.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from ..questionnaire import Questionnaire

MISSING = "–"


def _num(x: Any) -> float | None:
    """A finite float, or None for anything else (None, NaN, text, booleans)."""
    if x is None or isinstance(x, bool):
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) or math.isinf(v) else v


def _g(x: float) -> str:
    """A number without trailing zeros: 0.7 -> ``0.70`` for fractions, 2000 -> ``2,000``."""
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:.2f}"


def _pct(x: float) -> str:
    return f"{x * 100:.0f}%" if x <= 1 else f"{x:.0f}%"


def plain(v: Any, *, max_items: int = 6) -> str:
    """Any JSON-like value as readable text: lists joined, dicts as ``key: value``, no brackets or quotes."""
    if v is None:
        return MISSING
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int | float):
        f = _num(v)
        return MISSING if f is None else _g(f)
    if isinstance(v, Mapping):
        if not v:
            return "none"
        return "; ".join(f"{_label(k)}: {plain(x, max_items=max_items)}" for k, x in v.items())
    if isinstance(v, Sequence) and not isinstance(v, str):
        if not v:
            return "none"
        items = [plain(x, max_items=max_items) for x in v]
        more = len(items) - max_items
        return ", ".join(items[:max_items]) + (f" and {more} more" if more > 0 else "")
    return str(v)


def _label(key: Any) -> str:
    return str(key).replace("_", " ").strip()


# -- thresholds ---------------------------------------------------------------------------


def threshold_rows(t: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(topic, rule)`` rows stating every trust threshold in words, from ``scores["thresholds"]``.

    Known keys (and the older aliases some callers use) become sentences; anything else
    is still shown, as ``key: value``, so a new threshold is never silently dropped.
    """
    t = dict(t or {})
    used: set[str] = set()

    def get(*names: str) -> float | None:
        for n in names:
            if n in t:
                used.add(n)
                v = _num(t[n])
                if v is not None:
                    return v
        return None

    rows: list[tuple[str, str]] = []
    cov = get("coverage_min", "coverage")
    if cov is not None:
        rows.append(("Coverage", f"Coverage below {_pct(cov)} of the questions asked flagged"))
    ans = get("answered_weight_min", "item_share")
    if ans is not None:
        rows.append(("50% rule", f"A respondent's friction-point score counts only with at least {_pct(ans)} of the "
                                 "question weight asked of them answered"))
    alpha, alpha_n = get("alpha_min", "alpha"), get("alpha_min_respondents")
    if alpha is not None:
        rows.append(("Reliability", f"Cronbach's alpha below {alpha:.2f} flagged"
                     + (f" (needs ≥ {alpha_n:.0f} respondents)" if alpha_n is not None else "")))
    rwg, rwg_n = get("rwg_min", "rwg"), get("rwg_min_respondents", "rwg_min_n")
    if rwg is not None:
        rows.append(("Agreement", f"Agreement rwg below {rwg:.2f} flagged"
                     + (f"; indicative only below {rwg_n:.0f} respondents" if rwg_n is not None else "")))
    gap = get("perception_gap_points", "gap_points", "gap")
    min_n = get("min_respondents", "min_group_n", "min_n")
    if gap is not None:
        rows.append(("Perception gap", f"Perception gap ≥ {gap:.0f} points flagged"
                     + (f" when both groups have ≥ {min_n:.0f} respondents" if min_n is not None else "")))
    if min_n is not None:
        rows.append(("Minimum respondents", f"Minimum respondents {min_n:.0f}: smaller groups are not shown "
                                            "separately (anonymity) and are indicative only"))
    n_res, seed, level = get("n_resamples"), get("seed"), get("ci_level")
    if n_res is not None or level is not None:
        parts = [f"{n_res:,.0f} resamples" if n_res is not None else "",
                 f"seed {seed:.0f}" if seed is not None else "",
                 f"{_pct(level)} percentile interval" if level is not None else ""]
        rows.append(("Bootstrap", "Bootstrap: " + ", ".join(p for p in parts if p)))
    bounds = t.get("level_boundaries")
    if isinstance(bounds, Mapping) and bounds:
        used.add("level_boundaries")
        text = "; ".join(f"Level {k} from {_g(_num(v) or 0)}" for k, v in bounds.items())
        rows.append(("Levels", text))
    for k, v in t.items():
        if k not in used:
            rows.append((_label(k).capitalize(), plain(v)))
    return rows


# -- weight sensitivity -------------------------------------------------------------------


def sensitivity_summary(sens: Mapping[str, Any] | None, titles: Mapping[str, str]) -> dict[str, Any] | None:
    """The result of :func:`assessment.scoring.weight_sensitivity` for a board reader.

    Returns ``sentence`` (does the ranking of the weakest hold?), ``short`` (the same in a
    few words, for the profile page), ``stable``, ``moves`` (friction points that entered
    or left the weakest set and how often; empty when none did) and ``changes`` (the
    single weight changes that altered the set). ``None`` when the check was not run.
    """
    if not isinstance(sens, Mapping) or "weakest" not in sens:
        return None
    n = int(_num(sens.get("n")) or len(sens.get("weakest") or []) or 3)
    delta = _num(sens.get("delta")) or 0.2
    weakest = [titles.get(str(d), str(d)) for d in sens.get("weakest") or []]
    one = sens.get("one_at_a_time") or {}
    rnd = sens.get("random") or {}
    n_one = int(_num(one.get("perturbations")) or 0)
    kept_one = round((_num(one.get("same_share")) or 0.0) * n_one)
    draws = int(_num(rnd.get("draws")) or 0)
    share = _num(rnd.get("same_share"))
    stable = bool(sens.get("stable"))
    pm = f"±{delta * 100:.0f}%"
    what = f"the {_count_word(n)} weakest friction points ({', '.join(weakest)})"
    if n_one == 0 and draws == 0:
        note = str(sens.get("note") or "too few friction points have a score for the ranking to change")
        sentence = f"The ranking of {what} cannot change: {note}."
        short = "The weakest set cannot change (too few scored friction points)."
        return {"sentence": sentence, "short": short, "stable": True, "moves": [], "changes": [], "changes_more": 0,
                "clause": ""}
    tests = (f"{kept_one} of {n_one} one-at-a-time changes"
             + (f" and {share * 100:.0f}% of {draws:,} random joint perturbations" if draws and share is not None
                else "")
             + f" keep the same {_count_word(n)}")
    if stable:
        sentence = (f"The ranking of {what} holds when each question and role weight moves by {pm}: {tests}.")
        short = (f"This ranking holds when question and role weights move by {pm} "
                 f"({kept_one} of {n_one} single changes, {share * 100:.0f}% of {draws:,} joint draws)."
                 if share is not None else f"This ranking holds when question and role weights move by {pm}.")
    else:
        sentence = (f"The ranking of {what} is sensitive to the weights: when each question and role weight moves "
                    f"by {pm}, only {tests}.")
        short = (f"This ranking is sensitive to the weights: under {pm} weight changes only "
                 f"{kept_one} of {n_one} single changes"
                 + (f" and {share * 100:.0f}% of {draws:,} joint draws" if share is not None else "")
                 + " keep the same weakest set.")
    entering, leaving = sens.get("entering") or {}, sens.get("leaving") or {}
    total = n_one + draws
    moves = []
    for d in dict.fromkeys([*entering, *leaving]):
        e, lv = int(_num(entering.get(d)) or 0), int(_num(leaving.get(d)) or 0)
        moves.append({"title": titles.get(str(d), str(d)), "entered": f"{e:,} of {total:,}" if e else MISSING,
                      "left": f"{lv:,} of {total:,}" if lv else MISSING})
    changes = []
    for c in (one.get("changes") or [])[:8]:
        if not isinstance(c, Mapping):
            continue
        enter = ", ".join(titles.get(str(x), str(x)) for x in c.get("enter") or []) or "none"
        leave = ", ".join(titles.get(str(x), str(x)) for x in c.get("leave") or []) or "none"
        changes.append({"weight": _weight_label(str(c.get("weight") or "")), "enter": enter, "leave": leave})
    more = max(len(one.get("changes") or []) - len(changes), 0)
    clause = f"{pm} weight changes keep the same {_count_word(n)}" if stable else ""
    return {"sentence": sentence, "short": short, "stable": stable, "moves": moves, "changes": changes,
            "changes_more": more, "clause": clause}


def _count_word(n: int) -> str:
    return {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}.get(n, str(n))


def _weight_label(label: str) -> str:
    """``question VAL-04 x0.8`` -> ``Question VAL-04 weight × 0.8``."""
    head, _, factor = label.rpartition(" x")
    if not head:
        return label
    return f"{head[:1].upper()}{head[1:]} weight × {factor}"


# -- scoring trace ------------------------------------------------------------------------


def _short_text(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def _dec(x: Any, digits: int = 2) -> str:
    v = _num(x)
    return MISSING if v is None else f"{v:.{digits}f}"


def trace_from_explain(frame: pd.DataFrame, q: Questionnaire, *, text_limit: int = 120) -> dict[str, Any] | None:
    """An :func:`assessment.scoring.explain` frame as rows a reader can add up.

    Per scored item: answers (raw distribution and mean), keyed score 0-100, weight,
    weight share and contribution in points (they sum to the score); then the role
    means and the aggregation that turns them into the friction-point score. ``None``
    when the frame is not an explain() trace.
    """
    import pandas as pd

    if not isinstance(frame, pd.DataFrame) or frame.empty or "contribution" not in frame.columns:
        return None
    all_roles = {r.id for r in q.roles}
    items, unscored = [], []
    total = 0.0
    for rec in frame.to_dict("records"):
        qid = str(rec.get("question_id"))
        contribution = _num(rec.get("contribution"))
        if str(rec.get("type")) == "text" or contribution is None and _num(rec.get("keyed_mean")) is None:
            unscored.append(qid)
            continue
        total += contribution or 0.0
        roles = str(rec.get("roles") or "")
        role_ids = [r.strip() for r in roles.split(",") if r.strip()]
        asked_of = "all roles" if roles == "all" or set(role_ids) >= all_roles else ", ".join(role_ids)
        dist = str(rec.get("raw_distribution") or "")
        raw_mean = _num(rec.get("raw_mean"))
        answers = " · ".join(x.replace(": ", ":\u00a0").replace(" ", "\u00a0") for x in dist.split(", ")) if dist else MISSING
        n, asked = int(_num(rec.get("n")) or 0), int(_num(rec.get("asked")) or 0)
        items.append({
            "id": qid, "reverse": bool(rec.get("reverse")), "text": _short_text(str(rec.get("text") or ""), text_limit),
            "asked_of": asked_of, "n": f"{n}/{asked}", "answers": answers,
            "raw_mean": _dec(raw_mean, 2), "keyed": _dec(rec.get("keyed_mean"), 1),
            "weight": f"{_num(rec.get('weight')) or 0:g}", "share": _pct_dec(rec.get("weight_share")),
            "points": _dec(contribution, 2),
        })
    score = _num(frame.attrs.get("score"))
    aggregation = str(frame.attrs.get("aggregation") or "")
    roles_df = frame.attrs.get("roles")
    role_cols, parts, scored_n, resp_n = [], [], 0, 0
    if isinstance(roles_df, pd.DataFrame) and not roles_df.empty:
        for r in roles_df.to_dict("records"):
            scored = int(_num(r.get("scored")) or 0)
            scored_n += scored
            resp_n += int(_num(r.get("respondents")) or 0)
            mean = _num(r.get("mean")) if scored else None
            role_cols.append({"id": str(r.get("role")), "label": str(r.get("label") or r.get("role")),
                              "scored": f"{scored}", "mean": _dec(mean, 1), "weight": f"{_num(r.get('role_weight')) or 0:g}",
                              "share": _pct_dec(r.get("share")) if scored else MISSING})
            if scored and mean is not None:
                parts.append(f"{_num(r.get('role_weight')) or 0:g} × {mean:.1f} {r.get('role')}")
    if aggregation == "role-balanced" and parts:
        weights = sum(float(c["weight"]) for c in role_cols if c["scored"] != "0")
        how = f"role-balanced: ({' + '.join(parts)}) / {weights:g}"
    elif aggregation == "pooled":
        how = f"pooled: plain mean of {scored_n} respondent scores"
    else:
        how = aggregation or "weighted mean"
    final = f"= {score:.2f} ({how})" if score is not None else "= not scored (no respondent has a score)"
    return {"item_rows": items, "unscored": unscored, "total": f"{total:.2f}", "score": _dec(score, 2),
            "roles": role_cols, "final": final, "aggregation": aggregation,
            "respondents": f"{scored_n} of {resp_n} respondents have a score" if resp_n else ""}


def _pct_dec(x: Any) -> str:
    v = _num(x)
    return MISSING if v is None else f"{v * 100:.1f}%"


# -- import log ---------------------------------------------------------------------------


def quality_text(quality: Any) -> str:
    """``Straight-lining: 2 respondents (114694376417, 114610365915); speeders: 1 (114692367636)``."""
    if not quality:
        return ""
    if not isinstance(quality, Mapping):
        return plain(quality)
    parts = []
    for i, (k, v) in enumerate(quality.items()):
        label = _label(k)
        if label.endswith("er"):
            label += "s"
        label = label[:1].upper() + label[1:] if i == 0 else label
        if isinstance(v, Sequence) and not isinstance(v, str):
            ids = [str(x) for x in v]
            unit = (" respondent" + ("" if len(ids) == 1 else "s")) if i == 0 else ""
            shown = ", ".join(ids[:6]) + (f" and {len(ids) - 6} more" if len(ids) > 6 else "")
            parts.append(f"{label}: {len(ids)}{unit}" + (f" ({shown})" if ids else ""))
        else:
            parts.append(f"{label}: {plain(v)}")
    return "; ".join(parts)


def skipped_text(skipped: Any) -> str:
    """``unreadable role: 2; duplicate submission in file: 1`` (zero counts left out)."""
    if not skipped:
        return ""
    if isinstance(skipped, Mapping):
        return "; ".join(f"{_label(k)}: {plain(v)}" for k, v in skipped.items() if v)
    return plain(skipped)


def problem_text(p: Any) -> str:
    """One unreadable cell or row, located as the user sees it in the file."""
    if isinstance(p, Mapping):
        where = ", ".join(x for x in (f"row {p['row']}" if p.get("row") not in (None, "") else "",
                                      f"column {p['column']}" if p.get("column") else "") if x)
        value = f"“{p['value']}”" if p.get("value") not in (None, "") else ""
        why = str(p.get("why") or p.get("message") or "")
        return ": ".join(x for x in (where, value, why) if x) or plain(p)
    return plain(p)
