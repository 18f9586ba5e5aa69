"""Plain-words versions of the machine-readable parts of a result for the report's appendices.

Scores, thresholds, the weight-sensitivity check, the scoring trace and the import log
arrive as the scoring stage's dicts, the store's import log and DataFrames. A board
reader must never see a Python list, a dict, ``True`` or ``nan``: every value that
reaches the page goes through here and comes out as a sentence, a count or a
formatted number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .formatting import MISSING, count_word, fmt_dec, fmt_pct, fmt_pct_dec, fmt_plain_number, num

if TYPE_CHECKING:
    import pandas as pd

    from ..questionnaire import Questionnaire

__all__ = ["MISSING", "plain", "problem_text", "quality_text", "sensitivity_summary", "skipped_text",
           "threshold_rows", "trace_from_explain"]


def plain(v: Any, *, max_items: int = 6) -> str:
    """Any JSON-like value as readable text: lists joined, dicts as ``key: value``, no brackets or quotes."""
    if v is None:
        return MISSING
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int | float):
        f = num(v)
        return MISSING if f is None else fmt_plain_number(f)
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

#: The thresholds :func:`threshold_rows` words itself; any other key is shown as ``key: value``.
_WORDED = ("coverage_min", "answered_weight_min", "alpha_min", "alpha_min_respondents", "rwg_min",
           "rwg_min_respondents", "perception_gap_points", "min_respondents", "n_resamples", "seed", "ci_level",
           "level_boundaries")


def threshold_rows(t: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(topic, rule)`` rows stating every trust threshold in words, from ``ScoreResult.thresholds``.

    The scorer's keys become sentences; any other key is still shown, as ``key: value``,
    so a new threshold is never silently dropped.
    """
    min_n = t["min_respondents"]
    bounds = "; ".join(f"Level {k} from {fmt_plain_number(v)}" for k, v in t["level_boundaries"].items())
    rows = [
        ("Coverage", f"Coverage below {fmt_pct(t['coverage_min'])} of the questions asked flagged"),
        ("50% rule", f"A respondent's friction-point score counts only with at least "
                     f"{fmt_pct(t['answered_weight_min'])} of the question weight asked of them answered"),
        ("Reliability", f"Cronbach's alpha below {t['alpha_min']:.2f} flagged "
                        f"(needs ≥ {t['alpha_min_respondents']:.0f} respondents)"),
        ("Agreement", f"Agreement rwg below {t['rwg_min']:.2f} flagged; indicative only below "
                      f"{t['rwg_min_respondents']:.0f} respondents"),
        ("Perception gap", f"Perception gap ≥ {t['perception_gap_points']:.0f} points flagged when both groups "
                           f"have ≥ {min_n:.0f} respondents"),
        ("Minimum respondents", f"Minimum respondents {min_n:.0f}: smaller groups are not shown separately "
                                "(anonymity) and are indicative only"),
        ("Bootstrap", f"Bootstrap: {t['n_resamples']:,.0f} resamples, seed {t['seed']:.0f}, "
                      f"{fmt_pct(t['ci_level'])} percentile interval"),
    ]
    if bounds:
        rows.append(("Levels", bounds))
    rows += [(_label(k).capitalize(), plain(v)) for k, v in t.items() if k not in _WORDED]
    return rows


# -- weight sensitivity -------------------------------------------------------------------


def _sensitivity_words(sens: Mapping[str, Any], what: str, pm: str) -> tuple[str, str, str]:
    """``(sentence, short, clause)`` for a check that ran at least one perturbation."""
    n = int(sens["n"])
    one, rnd = sens["one_at_a_time"], sens["random"]
    n_one, draws, share = int(one["perturbations"]), int(rnd["draws"]), num(rnd["same_share"])
    kept_one = round(one["same_share"] * n_one)
    joint = f"{share * 100:.0f}% of {draws:,}" if draws and share is not None else ""
    tests = (f"{kept_one} of {n_one} one-at-a-time changes"
             + (f" and {joint} random joint perturbations" if joint else "") + f" keep the same {count_word(n)}")
    if sens["stable"]:
        sentence = f"The ranking of {what} holds when each question and role weight moves by {pm}: {tests}."
        short = (f"This ranking holds when question and role weights move by {pm} "
                 + (f"({kept_one} of {n_one} single changes, {joint} joint draws)." if joint else
                    f"({kept_one} of {n_one} single changes)."))
        return sentence, short, f"{pm} weight changes keep the same {count_word(n)}"
    sentence = (f"The ranking of {what} is sensitive to the weights: when each question and role weight moves "
                f"by {pm}, only {tests}.")
    short = (f"This ranking is sensitive to the weights: under {pm} weight changes only "
             f"{kept_one} of {n_one} single changes" + (f" and {joint} joint draws" if joint else "")
             + " keep the same weakest set.")
    return sentence, short, ""


def sensitivity_summary(sens: Mapping[str, Any], titles: Mapping[str, str]) -> dict[str, Any] | None:
    """The result of :func:`assessment.scoring.weight_sensitivity` for a board reader.

    Returns ``sentence`` (does the ranking of the weakest hold?), ``short`` (the same in a
    few words, for the profile page), ``stable``, ``moves`` (friction points that entered
    or left the weakest set and how often; empty when none did) and ``changes`` (the
    single weight changes that altered the set). ``None`` when the check was not run
    (``score(..., sensitivity=False)`` leaves it empty).
    """
    if not sens:
        return None
    n = int(sens["n"])
    pm = f"±{sens['delta'] * 100:.0f}%"
    what = f"the {count_word(n)} weakest friction points ({', '.join(titles.get(d, d) for d in sens['weakest'])})"
    one = sens["one_at_a_time"]
    total = int(one["perturbations"]) + int(sens["random"]["draws"])
    if total == 0:
        return {"sentence": f"The ranking of {what} cannot change: {sens['note']}.",
                "short": "The weakest set cannot change (too few scored friction points).", "stable": True,
                "moves": [], "changes": [], "changes_more": 0, "clause": ""}
    sentence, short, clause = _sensitivity_words(sens, what, pm)
    entering, leaving = sens["entering"], sens["leaving"]
    moves = [{"title": titles.get(d, d),
              "entered": f"{entering[d]:,} of {total:,}" if entering.get(d) else MISSING,
              "left": f"{leaving[d]:,} of {total:,}" if leaving.get(d) else MISSING}
             for d in dict.fromkeys([*entering, *leaving])]
    changes = [{"weight": _weight_label(c["weight"]),
                "enter": ", ".join(titles.get(x, x) for x in c["enter"]) or "none",
                "leave": ", ".join(titles.get(x, x) for x in c["leave"]) or "none"} for c in one["changes"][:8]]
    return {"sentence": sentence, "short": short, "stable": bool(sens["stable"]), "moves": moves,
            "changes": changes, "changes_more": max(len(one["changes"]) - len(changes), 0), "clause": clause}


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


def _item_row(rec: Mapping[str, Any], all_roles: set[str], text_limit: int, min_n: int = 1) -> dict[str, Any]:
    """One scored item of an explain() frame as printable cells; an item answered by fewer than
    ``min_n`` respondents shows no answers, mean or score (they would identify the people)."""
    roles = str(rec["roles"])
    role_ids = [r.strip() for r in roles.split(",") if r.strip()]
    asked_of = "all roles" if roles == "all" or set(role_ids) >= all_roles else ", ".join(role_ids)
    dist = str(rec["raw_distribution"])
    answers = " · ".join(x.replace(": ", ":\u00a0").replace(" ", "\u00a0") for x in dist.split(", ")) if dist else MISSING
    row = {
        "id": str(rec["question_id"]), "reverse": bool(rec["reverse"]),
        "text": _short_text(str(rec["text"]), text_limit), "asked_of": asked_of,
        "n": f"{int(rec['n'])}/{int(rec['asked'])}", "answers": answers,
        "raw_mean": fmt_dec(rec["raw_mean"], 2), "keyed": fmt_dec(rec["keyed_mean"], 1),
        "weight": f"{rec['weight']:g}", "share": fmt_pct_dec(rec["weight_share"]),
        "points": fmt_dec(rec["contribution"], 2),
    }
    if 0 < int(rec["n"]) < min_n:
        hidden = f"fewer than {min_n}"
        row.update({"n": hidden, "answers": hidden, "raw_mean": MISSING, "keyed": MISSING, "share": MISSING,
                    "points": MISSING})
    return row


def _role_columns(roles_df: pd.DataFrame, min_n: int = 1) -> tuple[list[dict[str, str]], list[str], int, int]:
    """The per-role columns of a trace, the ``w × mean role`` terms, and the scored/total respondents.

    A role with fewer than ``min_n`` respondents with a score shows neither its count nor its mean."""
    cols, parts, scored_n, resp_n = [], [], 0, 0
    for r in roles_df.to_dict("records"):
        scored = int(r["scored"])
        scored_n += scored
        resp_n += int(r["respondents"])
        small = 0 < scored < min_n or 0 < int(r["respondents"]) < min_n
        mean = num(r["mean"]) if scored and not small else None
        cols.append({"id": str(r["role"]), "label": str(r["label"]),
                     "scored": f"fewer than {min_n}" if small else f"{scored}",
                     "mean": fmt_dec(mean, 1), "weight": f"{r['role_weight']:g}",
                     "share": fmt_pct_dec(r["share"]) if scored else MISSING})
        if mean is not None:
            parts.append(f"{r['role_weight']:g} × {mean:.1f} {r['role']}")
        elif small:
            parts.append(f"{r['role_weight']:g} × (not shown) {r['role']}")
    return cols, parts, scored_n, resp_n


def trace_from_explain(frame: pd.DataFrame | None, q: Questionnaire, *, text_limit: int = 120,
                       min_n: int = 1) -> dict[str, Any] | None:
    """An :func:`assessment.scoring.explain` frame as rows a reader can add up.

    Per scored item: answers (raw distribution and mean), keyed score 0-100, weight,
    weight share and contribution in points (they sum to the score); then the role
    means and the aggregation that turns them into the friction-point score. ``None``
    when there is no explain() trace.
    """
    import pandas as pd

    if not isinstance(frame, pd.DataFrame) or frame.empty or "contribution" not in frame.columns:
        return None
    all_roles = {r.id for r in q.roles}
    items, unscored = [], []
    for rec in frame.to_dict("records"):
        if rec["type"] == "text" or num(rec["contribution"]) is None and num(rec["keyed_mean"]) is None:
            unscored.append(str(rec["question_id"]))
        else:
            items.append(_item_row(rec, all_roles, text_limit, min_n))
    total = sum(num(c) or 0.0 for c in frame["contribution"])
    score = num(frame.attrs["score"])
    aggregation = str(frame.attrs["aggregation"])
    role_cols, parts, scored_n, resp_n = _role_columns(frame.attrs["roles"], min_n)
    if aggregation == "role-balanced" and parts:
        weights = sum(float(c["weight"]) for c in role_cols if c["scored"] != "0")
        parts = parts if all("(not shown)" not in p for p in parts) else \
            [p for p in parts if "(not shown)" not in p] + ["the roles not shown"]
        how = f"role-balanced: ({' + '.join(parts)}) / {weights:g}"
    elif aggregation == "pooled":
        how = f"pooled: plain mean of {scored_n} respondent scores"
    else:
        how = aggregation
    final = f"= {score:.2f} ({how})" if score is not None else "= not scored (no respondent has a score)"
    return {"item_rows": items, "unscored": unscored, "total": f"{total:.2f}", "score": fmt_dec(score, 2),
            "roles": role_cols, "final": final, "aggregation": aggregation,
            "respondents": f"{scored_n} of {resp_n} respondents have a score" if resp_n else ""}


# -- import log ---------------------------------------------------------------------------


def quality_text(quality: Mapping[str, Sequence[str]] | None, *, with_ids: bool = True) -> str:
    """``Straight-lining: 2 respondents (114694376417, 114610365915); speeders: 1 (114692367636)``.

    Without ``with_ids`` only the counts (the client-facing PDF names no respondent)."""
    parts = []
    for i, (k, ids) in enumerate((quality or {}).items()):
        label = _label(k)
        if label.endswith("er"):
            label += "s"
        label = label[:1].upper() + label[1:] if i == 0 else label
        unit = (" respondent" + ("" if len(ids) == 1 else "s")) if i == 0 else ""
        shown = ", ".join(str(x) for x in ids[:6]) + (f" and {len(ids) - 6} more" if len(ids) > 6 else "")
        parts.append(f"{label}: {len(ids)}{unit}" + (f" ({shown})" if ids and with_ids else ""))
    return "; ".join(parts)


def skipped_text(skipped: Mapping[str, int] | None) -> str:
    """``unreadable role: 2; duplicate submission in file: 1`` (zero counts left out)."""
    return "; ".join(f"{_label(k)}: {plain(v)}" for k, v in (skipped or {}).items() if v)


def problem_text(p: Mapping[str, Any]) -> str:
    """One unreadable cell or row (the importer's ``row, column, value, why``), located as the user sees it."""
    where = ", ".join(x for x in (f"row {p['row']}" if p["row"] is not None else "",
                                  f"column {p['column']}" if p["column"] else "") if x)
    value = f"“{p['value']}”" if p["value"] else ""
    return ": ".join(x for x in (where, value, p["why"]) if x)
