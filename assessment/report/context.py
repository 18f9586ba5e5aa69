"""Turn scores, plan and responses into the template context of the report.

All wording decisions live here, not in the template: which claims the data
support (a "weakest" claim only when intervals separate, "Level 2-3 (borderline)"
when an interval crosses a band edge), which comments are quoted, how numbers are
formatted. Every number the template prints is formatted once, here, so the
summary page, the tables and the chart labels cannot disagree.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from . import appendix as plainwords
from . import charts
from .appendix import MISSING, _num

if TYPE_CHECKING:
    import pandas as pd

    from ..engagement import Engagement
    from ..planning import Plan
    from ..questionnaire import Questionnaire
    from ..responses import Responses
    from ..scoring import ScoreResult

DEFAULT_ACCENT = "#1F4E79"
GROUP_ORDER = {"leadership": 0, "oversight": 1, "practitioner": 2}


@dataclass
class ReportInputs:
    """Everything a report is rendered from, so a notebook can build it too.

    ``scores`` and ``plan`` are the scoring and planning stages' own objects
    (:func:`assessment.pipeline.evaluate` makes both); ``explain`` maps a dimension id
    to its item-level trace DataFrame; ``progress`` compares two rounds when given.
    """

    questionnaire: Questionnaire
    engagement: Engagement
    scores: ScoreResult
    plan: Plan | None = None
    explain: dict[str, pd.DataFrame] = field(default_factory=dict)
    responses: Responses | None = None
    import_log: list[dict[str, Any]] = field(default_factory=list)
    progress: dict[str, Any] | None = None
    logo_path: Path | None = None
    unit: str | None = None
    round: str | None = None
    report_date: str | None = None


# -- formatting -------------------------------------------------------------------------


def fmt_score(x: Any) -> str:
    v = _num(x)
    return MISSING if v is None else f"{v:.0f}"


def fmt_ci(lo: Any, hi: Any) -> str:
    a, b = _num(lo), _num(hi)
    return MISSING if a is None or b is None else f"{a:.0f}–{b:.0f}"


def fmt_dec(x: Any, digits: int = 2) -> str:
    v = _num(x)
    return MISSING if v is None else f"{v:.{digits}f}"


def fmt_signed(x: Any, digits: int = 0) -> str:
    v = _num(x)
    if v is None:
        return MISSING
    text = f"{v:+.{digits}f}"
    return text.replace("-", "\u2212") if not text.startswith("+0") or digits else text


def fmt_money(x: Any, currency: str) -> str:
    """``EUR 240,000``: the one money format used everywhere in the report."""
    v = _num(x)
    return MISSING if v is None else f"{currency} {v:,.0f}"


def fmt_pct(x: Any) -> str:
    v = _num(x)
    if v is None:
        return MISSING
    return f"{v * 100:.0f}%" if v <= 1 else f"{v:.0f}%"


def slug(text: str) -> str:
    s = re.sub(r"[^A-Za-z0-9]+", "-", text.lower()).strip("-")
    return s or "report"


def _first_sentence(text: str | None) -> str:
    if not text:
        return ""
    m = re.match(r"(.+?[.!?])(\s|$)", text.strip())
    return m.group(1) if m else text.strip()


# -- levels and claims -------------------------------------------------------------------


def level_text(q: Questionnaire, score: Any, lo: Any, hi: Any) -> str:
    """``Level 2 Emerging``, or ``Level 2–3 (borderline)`` when the interval crosses a band edge."""
    s = _num(score)
    if s is None:
        return "not scored"
    lvl = q.level_for(s)
    a, b = _num(lo), _num(hi)
    if a is not None and b is not None:
        la, lb = q.level_for(a), q.level_for(b)
        if la and lb and la.level != lb.level:
            return f"Level {la.level}–{lb.level} (borderline)"
    return f"Level {lvl.level} {lvl.name}" if lvl else MISSING


def _overlap(a: Mapping, b: Mapping) -> bool:
    al, ah, bl, bh = (_num(a.get("ci_low")), _num(a.get("ci_high")), _num(b.get("ci_low")), _num(b.get("ci_high")))
    if None in (al, ah, bl, bh):
        return True
    return not (ah < bl or bh < al)


_FLAG_RULES = [
    (("agree", "rwg", "contested", "disagree"), "contested", "respondents disagree (agreement rwg below the threshold): treat the score as contested"),
    (("alpha", "reliab"), "low reliability", "the items of this friction point do not hang together well (Cronbach's alpha below the threshold)"),
    (("coverage", "_na", "na_", "unanswered", "missing"), "low coverage", "many answers were blank or \"don't know\""),
    (("gap", "perception"), "perception gap", "leadership and practitioners differ by more than the gap threshold"),
    (("border", "straddle"), "borderline", "the interval crosses a level boundary"),
    (("sensitiv", "weight", "rank"), "weight-sensitive", "its rank changes under alternative weights"),
    (("small", "low_n", "sample", "few"), "small sample", "fewer respondents than the minimum group size: indicative only"),
]


_FLAG_CODES = {
    "no-consensus": ("contested", "respondents disagree (agreement rwg below the threshold): treat the score as contested"),
    "agreement-indicative": ("agreement indicative", "too few respondents to show agreement reliably: indicative only"),
    "low-coverage": ("low coverage", "many answers were blank or \"don't know\""),
    "low-reliability": ("low reliability", "the items do not hang together well (Cronbach's alpha below the threshold): "
                                           "read the item scores"),
    "reliability-unknown": ("alpha n/a", "Cronbach's alpha over all respondents cannot be computed (items asked of "
                                         "different roles, or too few items or respondents); see the within-role "
                                         "range in Appendix B"),
    "perception-gap": ("perception gap", "leadership and practitioners differ by at least the gap threshold"),
    "borderline": ("borderline", "the 95% interval crosses a level boundary: the level could be one step either way"),
    "few-respondents": ("few respondents", "fewer respondents than the minimum: indicative only"),
}


def flag_label(flag: Any) -> tuple[str, str]:
    """A short label and a plain-words explanation for a scoring flag."""
    code = str(flag.get("code") or flag.get("id") or flag) if isinstance(flag, Mapping) else str(flag)
    low = code.lower()
    if low in _FLAG_CODES:
        return _FLAG_CODES[low]
    for keys, label, text in _FLAG_RULES:
        if any(k in low for k in keys):
            return label, text
    nice = code.replace("_", " ").replace("-", " ").strip()
    return nice, (str(flag.get("message")) if isinstance(flag, Mapping) and flag.get("message") else nice)


def _hedges_words(g: Any) -> str:
    v = _num(g)
    if v is None:
        return "not assessed"
    a = abs(v)
    size = "negligible" if a < 0.2 else "small" if a < 0.5 else "medium" if a < 0.8 else "large"
    return f"{size} (g = {v:.2f})"


# -- the context -------------------------------------------------------------------------


def _thresholds(scores: Mapping) -> dict[str, float]:
    t = dict(scores.get("thresholds") or {})

    def pick(*names: str, default: float) -> float:
        for n in names:
            v = _num(t.get(n))
            if v is not None:
                return v
        return default

    return {
        "min_n": int(pick("min_group_n", "min_respondents", "min_n", default=5)),
        "rwg": pick("rwg_min", "rwg", default=0.70),
        "rwg_min_n": int(pick("rwg_min_respondents", "rwg_min_n", default=10)),
        "alpha": pick("alpha_min", "alpha", default=0.70),
        "alpha_min_n": int(pick("alpha_min_respondents", default=3)),
        "gap": pick("perception_gap_points", "gap_points", "gap", default=15.0),
        "coverage": pick("coverage_min", "coverage", default=0.6),
        "item_min_share": pick("answered_weight_min", "item_share", default=0.5),
    }


def _n_respondents(inputs: ReportInputs) -> int:
    r = inputs.scores.respondents
    if isinstance(r, int | float) and not isinstance(r, bool):
        return int(r)
    if isinstance(r, Mapping):
        for k in ("n", "total", "count", "scored"):
            if isinstance(r.get(k), int | float):
                return int(r[k])
    if isinstance(r, list):
        return len(r)
    return len(inputs.responses) if inputs.responses is not None else 0


def _role_counts(inputs: ReportInputs) -> dict[str, int]:
    if inputs.responses is not None and len(inputs.responses):
        vc = inputs.responses.respondents["role"].astype("string").value_counts()
        return {str(k): int(v) for k, v in vc.items()}
    r = inputs.scores.respondents
    if isinstance(r, Mapping) and isinstance(r.get("by_role"), Mapping):
        return {str(k): int(v) for k, v in r["by_role"].items()}
    return {}


def report_date(inputs: ReportInputs) -> dt.date:
    """SOURCE_DATE_EPOCH if set (reproducible builds), else the engagement/report date, else today."""
    if inputs.report_date:
        return dt.date.fromisoformat(str(inputs.report_date)[:10])
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date()
    if inputs.engagement.date:
        try:
            return dt.date.fromisoformat(str(inputs.engagement.date)[:10])
        except ValueError:
            pass
    return dt.date.today()


def created_timestamp(inputs: ReportInputs) -> str:
    """ISO timestamp for the PDF's created/modified metadata, fixed for reproducibility."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return report_date(inputs).strftime("%Y-%m-%dT00:00:00Z")


def _long_date(d: dt.date) -> str:
    return f"{d.day} {d.strftime('%B')} {d.year}"


def _all_comments(inputs: ReportInputs) -> list[dict[str, Any]]:
    """Every free-text answer, verbatim, by friction point: identical texts once, with the
    roles that wrote them and how many times. Attributed to roles, never to people."""
    resp, q = inputs.responses, inputs.questionnaire
    if resp is None or not len(resp.answers):
        return []
    role_of = dict(zip(resp.respondents["respondent_id"], resp.respondents["role"], strict=False))
    a = resp.answers[resp.answers["state"] == "answered"]
    out = []
    for d in q.dimensions:
        text_ids = [qq.id for qq in d.questions if qq.type == "text"]
        rows = a[a["question_id"].isin(text_ids)]
        grouped: dict[str, dict[str, Any]] = {}
        for rid, raw in zip(rows["respondent_id"], rows["raw"], strict=False):
            if raw is None or (isinstance(raw, float) and math.isnan(raw)):
                continue
            text = re.sub(r"\s+", " ", str(raw)).strip()
            if not text:
                continue
            entry = grouped.setdefault(text.casefold(), {"text": text, "roles": set(), "n": 0})
            role = q.role_by_id.get(str(role_of.get(rid, "")))
            entry["roles"].add(role.label if role else "Respondent")
            entry["n"] += 1
        if grouped:
            items = sorted(grouped.values(), key=lambda e: (-e["n"], e["text"].casefold()))
            out.append({"title": d.title, "items": [
                {"text": e["text"][:1000] + ("…" if len(e["text"]) > 1000 else ""),
                 "roles": ", ".join(sorted(e["roles"])), "n": e["n"]} for e in items]})
    return out


def _comments(inputs: ReportInputs, dim_id: str, limit: int = 4) -> list[dict[str, str]]:
    """Up to ``limit`` free-text answers for this dimension, attributed to a role label only."""
    resp = inputs.responses
    q = inputs.questionnaire
    if resp is None or not len(resp.answers):
        return []
    text_ids = [qq.id for qq in q.dimension_by_id[dim_id].questions if qq.type == "text"]
    if not text_ids:
        return []
    a = resp.answers
    a = a[a["question_id"].isin(text_ids) & (a["state"] == "answered")]
    if a.empty:
        return []
    roles = dict(zip(resp.respondents["respondent_id"], resp.respondents["role"], strict=False))
    rows = []
    for rid, raw in zip(a["respondent_id"], a["raw"], strict=False):
        if raw is None or (isinstance(raw, float) and math.isnan(raw)):
            continue
        text = re.sub(r"\s+", " ", str(raw)).strip()
        if len(text) < 12:
            continue
        role = q.role_by_id.get(str(roles.get(rid, "")))
        rows.append((text, role.label if role else "Respondent", str(rid)))
    # Prefer substantive comments of readable length; stable order for reproducibility.
    rows.sort(key=lambda r: (-min(len(r[0]), 280), r[2]))
    unique: dict[str, tuple[str, str, str]] = {}
    for r in rows:
        unique.setdefault(r[0].casefold(), r)
    rows = list(unique.values())
    out, seen_roles = [], set()
    for text, role, _ in rows:
        if len(out) >= limit:
            break
        if role in seen_roles and len(seen_roles) < len({r[1] for r in rows}):
            continue
        seen_roles.add(role)
        out.append({"text": text if len(text) <= 320 else text[:317].rstrip() + "…", "role": role})
    if len(out) < limit:
        for text, role, _ in rows:
            if len(out) >= limit:
                break
            t = text if len(text) <= 320 else text[:317].rstrip() + "…"
            if not any(o["text"] == t for o in out):
                out.append({"text": t, "role": role})
    return out


def _trace_table(df: Any, q: Questionnaire, max_rows: int = 60) -> dict[str, Any]:
    """A printable version of an explain() trace: per item when it is per respondent."""
    import pandas as pd

    if df is None or not isinstance(df, pd.DataFrame) or df.empty:
        return {"columns": [], "rows": [], "note": "No trace available."}
    note = ""
    qcol = next((c for c in ("question_id", "item", "item_id", "question") if c in df.columns), None)
    data = df
    if len(df) > max_rows and qcol is not None:
        num = [c for c in df.columns if c != qcol and pd.api.types.is_numeric_dtype(df[c])
               and not pd.api.types.is_bool_dtype(df[c])]
        agg = df.groupby(qcol, sort=False)[num].mean() if num else df.groupby(qcol, sort=False).size().to_frame("rows")
        agg.insert(0, "rows", df.groupby(qcol, sort=False).size())
        data = agg.reset_index()
        note = ("Per-respondent trace summarised per item (means over respondents); the full trace is in the "
                "results workbook.")
    if len(data) > max_rows:
        note = f"First {max_rows} of {len(data)} rows; the full trace is in the results workbook."
        data = data.head(max_rows)
    cols = [str(c) for c in data.columns][:9]
    rows = []
    for rec in data[cols].itertuples(index=False):
        cells = []
        for v in rec:
            if isinstance(v, bool):
                cells.append(("yes" if v else "no", False))
            elif isinstance(v, int | float) and not isinstance(v, bool):
                fv = _num(v)
                cells.append((MISSING if fv is None else (f"{fv:.0f}" if float(fv).is_integer() else f"{fv:.2f}"), True))
            elif v is None or (hasattr(pd, "isna") and not isinstance(v, list | tuple | dict) and pd.isna(v)):
                cells.append((MISSING, False))
            else:
                s = plainwords.plain(v)
                cells.append((s if len(s) <= 60 else s[:57] + "…", False))
        rows.append(cells)
    return {"columns": [c.replace("_", " ") for c in cols], "rows": rows, "note": note}


def _alpha_text(d: Mapping, th: Mapping) -> tuple[str, bool, str]:
    """Alpha for the tables, whether it is the within-role range, and a sentence for the friction-point page.

    When items are routed to different roles, some item pairs are never answered by the
    same people and the pooled alpha is undefined; alpha within each role still says
    whether the items that role sees hang together, so its range is shown instead.
    """
    alpha = _num(d.get("alpha"))
    if alpha is not None:
        verdict = "hang together" if alpha >= th["alpha"] else "do not hang together well"
        return fmt_dec(alpha), False, f"Reliability: Cronbach's alpha {alpha:.2f}, the items {verdict}."
    by_role = [v for v in (_num(x) for x in (d.get("alpha_by_role") or {}).values()) if v is not None]
    if not by_role:
        return MISSING, False, "Reliability: Cronbach's alpha cannot be computed (too few items or respondents)."
    lo, hi = min(by_role), max(by_role)
    rng = (f"{lo:.2f}" if f"{lo:.2f}" == f"{hi:.2f}" else f"{lo:.2f} to {hi:.2f}" if lo < 0
           else f"{lo:.2f}–{hi:.2f}").replace("-", "\u2212")
    return (f"{rng} within roles", True,
            f"Reliability: Cronbach's alpha runs {rng} within roles; over all respondents it cannot be computed, "
            "because an item has fewer than two answers.")


def build_context(inputs: ReportInputs, *, logo_url: str | None = None) -> dict[str, Any]:
    """The complete, pre-formatted template context for ``report.html``."""
    q, eng, scores = inputs.questionnaire, inputs.engagement, inputs.scores.to_dict()
    plan = inputs.plan.to_dict() if inputs.plan else {}
    th = _thresholds(scores)
    accent = eng.brand_colour or DEFAULT_ACCENT
    currency = plan.get("currency") or eng.currency
    rdate = report_date(inputs)
    n_total = _n_respondents(inputs)
    role_n = _role_counts(inputs)

    level_mins = [lv.min for lv in q.levels]
    level_names = [lv.name for lv in q.levels]
    levels = []
    for i, lv in enumerate(q.levels):
        hi = q.levels[i + 1].min if i + 1 < len(q.levels) else 100
        rng = f"{lv.min:.0f}–{hi:.0f}" if i + 1 == len(q.levels) else f"{lv.min:.0f} to under {hi:.0f}"
        levels.append({"level": lv.level, "name": lv.name, "range": rng, "description": lv.description or ""})

    # -- dimensions, in questionnaire order -----------------------------------------
    by_id = {d.get("id"): d for d in scores.get("dimensions", [])}
    items_by_dim: dict[str, list[dict]] = {}
    for it in scores.get("items", []):
        items_by_dim.setdefault(str(it.get("dimension")), []).append(it)
    ranked = sorted([d for d in by_id.values() if _num(d.get("score")) is not None], key=lambda d: _num(d["score"]))
    rank_of = {d["id"]: i for i, d in enumerate(ranked)}

    dims = []
    all_flags: dict[str, str] = {}
    for qd in q.dimensions:
        d = by_id.get(qd.id, {"id": qd.id})
        s = _num(d.get("score"))
        lvl = q.level_for(s) if s is not None else None
        flags = []
        for f in d.get("flags") or []:
            label, text = flag_label(f)
            if label not in flags:
                flags.append(label)
            all_flags[label] = text
        n = d.get("n_respondents")
        rwg = _num(d.get("rwg"))
        if rwg is None:
            agreement = "Agreement could not be computed for this friction point."
        elif rwg >= th["rwg"]:
            agreement = f"Respondents broadly agree (rwg {rwg:.2f}, threshold {th['rwg']:.2f})."
        else:
            agreement = (f"Respondents disagree (rwg {rwg:.2f}, below {th['rwg']:.2f}): treat this score as "
                         "contested and discuss it with them before acting on it.")
        if (_num(n) or 0) < th["rwg_min_n"]:
            agreement += (f" Indicative only: with fewer than {th['rwg_min_n']} respondents agreement cannot be "
                          "shown reliably.")
        alpha_txt, alpha_note, reliability = _alpha_text(d, th)
        its = [i for i in items_by_dim.get(qd.id, []) if _num(i.get("score")) is not None]
        its_sorted = sorted(its, key=lambda i: (_num(i["score"]), str(i.get("id"))))

        def item_row(i: Mapping) -> dict[str, str]:
            qq = q.questions.get(str(i.get("id")))
            return {"id": str(i.get("id")), "text": str(i.get("text") or (qq.text if qq else "")),
                    "score": fmt_score(i.get("score")), "n": fmt_score(i.get("n")),
                    "reverse": bool(qq and qq.reverse)}

        weakest = [item_row(i) for i in its_sorted[:2]]
        strongest = [item_row(i) for i in reversed(its_sorted[-2:])] if len(its_sorted) > 2 else []
        pos = rank_of.get(qd.id)
        if pos is not None and pos < 3:
            nxt = ranked[3] if len(ranked) > 3 else None
            separated = nxt is not None and not _overlap(d, nxt)
            standing = "the weakest friction point" if pos == 0 and len(ranked) > 1 and not _overlap(d, ranked[1]) \
                else ("one of the three weakest friction points" if separated else "among the weakest friction points")
        elif pos is not None and pos >= len(ranked) - 2:
            standing = "among the strongest friction points"
        else:
            standing = "mid-table"
        lt = level_text(q, s, d.get("ci_low"), d.get("ci_high"))
        narrative = qd.narratives.get(lvl.level, "") if lvl else ""
        title_claim = (f"{qd.title}: {lt}, {fmt_score(s)}/100 — {standing}" if s is not None
                       else f"{qd.title}: not scored, too few answers")
        gap = d.get("perception_gap") or {}
        dims.append({
            "id": qd.id, "title": qd.title, "description": qd.description or "", "score": fmt_score(s),
            "score_value": s, "level": lt, "level_short": f"L{lvl.level}" if lvl else MISSING,
            "level_name": lvl.name if lvl else MISSING, "ci": fmt_ci(d.get("ci_low"), d.get("ci_high")),
            "n": fmt_score(n), "rwg": fmt_dec(d.get("rwg")), "alpha": alpha_txt, "alpha_note": alpha_note,
            "reliability": reliability,
            "alpha_ci": fmt_ci_dec(d.get("alpha_ci")), "coverage": fmt_pct(d.get("coverage")),
            "flags": flags, "narrative": narrative, "agreement": agreement, "weakest": weakest,
            "strongest": strongest, "comments": _comments(inputs, qd.id), "title_claim": title_claim,
            "standing": standing, "k": len(qd.scored_questions),
            "gap_diff": fmt_signed(gap.get("difference")), "anchor": f"dim-{slug(qd.id)}",
        })

    # A flag raised on every friction point is stated once, not repeated in each row.
    common_flags = set.intersection(*(set(dd["flags"]) for dd in dims)) if dims and len(dims) > 1 else set()
    for dd in dims:
        dd["row_flags"] = [f for f in dd["flags"] if f not in common_flags]

    # -- charts -----------------------------------------------------------------------
    prog = _progress(inputs)
    base_by_dim = {p["id"]: p["baseline_value"] for p in prog["rows"]} if prog else {}
    points = [charts.ScorePoint(dd["title"], dd["score_value"], _num(by_id.get(dd["id"], {}).get("ci_low")),
                                _num(by_id.get(dd["id"], {}).get("ci_high")), base_by_dim.get(dd["id"]))
              for dd in dims]
    sorted_points = sorted(points, key=lambda p: (p.score is None, p.score if p.score is not None else 0))
    dot_svg = charts.dot_plot(sorted_points, level_mins, level_names, accent=accent,
                              title="Friction points sorted by score, with 95% intervals")
    radar_svg = charts.radar(points, level_mins, accent=accent, size=130)

    # heat map: dimension x role, roles ordered leadership -> oversight -> practitioners
    roles = sorted(q.roles, key=lambda r: (GROUP_ORDER.get(r.group, 9), q.roles.index(r)))
    cols = [charts.HeatColumn(r.label, role_n.get(r.id, 0), r.group) for r in roles]
    values = [[_num((by_id.get(dd["id"], {}).get("by_role") or {}).get(r.id)) for r in roles] for dd in dims]
    cell_ns = []
    for dd in dims:
        nbr = by_id.get(dd["id"], {}).get("n_by_role")
        cell_ns.append([int(_num((nbr or {}).get(r.id)) or 0) if isinstance(nbr, Mapping) else role_n.get(r.id, 0)
                        for r in roles])
    heat_svg = charts.heatmap([dd["title"] for dd in dims], cols, values, min_n=th["min_n"], cell_ns=cell_ns)
    heat_legend = charts.heat_legend(level_mins, level_names)
    cells = [(values[i][j], dims[i]["title"], roles[j].label) for i in range(len(dims)) for j in range(len(roles))
             if values[i][j] is not None and cell_ns[i][j] >= th["min_n"]]
    hotspots = [f"{r} on {t} ({v:.0f})" for v, t, r in sorted(cells, key=lambda c: (c[0], c[1], c[2]))[:3]]
    small_roles = [r.label for r, c in zip(roles, cols, strict=False) if c.n < th["min_n"]]

    # perception gap
    gap_rows, gap_table = [], []
    n_lead = n_prac = 0
    for dd in dims:
        g = by_id.get(dd["id"], {}).get("perception_gap") or {}
        lead, prac, diff = _num(g.get("leadership")), _num(g.get("practitioners")), _num(g.get("difference"))
        if diff is None and lead is not None and prac is not None:
            diff = lead - prac
        nl, np_ = int(_num(g.get("n_leadership")) or 0), int(_num(g.get("n_practitioners")) or 0)
        n_lead, n_prac = max(n_lead, nl), max(n_prac, np_)
        assessed = lead is not None and prac is not None and nl >= th["min_n"] and np_ >= th["min_n"]
        flagged = assessed and diff is not None and abs(diff) >= th["gap"]
        gap_rows.append((abs(diff) if assessed and diff is not None else -1, charts.GapRow(
            dd["title"], lead if assessed else None, prac if assessed else None, flagged)))
        gap_table.append({"title": dd["title"], "leadership": fmt_score(lead) if assessed else MISSING,
                          "practitioners": fmt_score(prac) if assessed else MISSING,
                          "difference": fmt_signed(diff) if assessed else "not assessed",
                          "g": _hedges_words(g.get("hedges_g")) if assessed else "not assessed",
                          "n": f"{nl} / {np_}", "flagged": flagged, "diff_value": diff if assessed else None})
    gap_rows.sort(key=lambda r: -r[0])
    gap_svg = charts.dumbbell([r for _, r in gap_rows], n_leadership=n_lead, n_practitioners=n_prac,
                              title="Leadership and practitioner scores per friction point, sorted by gap")
    flagged_gaps = sorted([g for g in gap_table if g["flagged"]], key=lambda g: -abs(g["diff_value"]))
    gap_sentences = []
    for g in flagged_gaps[:2]:
        who = "higher" if g["diff_value"] > 0 else "lower"
        gap_sentences.append(f"Leaders rate {g['title']} {abs(g['diff_value']):.0f} points {who} than practitioners "
                             f"(effect size {g['g']}).")

    # -- plan -------------------------------------------------------------------------
    plan_ctx = _plan_context(inputs, plan, currency, dims, flagged_gaps, small_roles, rdate, accent)

    # -- executive summary -------------------------------------------------------------
    ov = scores.get("overall") or {}
    ov_s = _num(ov.get("score"))
    ov_level = level_text(q, ov_s, ov.get("ci_low"), ov.get("ci_high"))
    ov_lvl = q.level_for(ov_s) if ov_s is not None else None
    n_levels = len(q.levels)
    weakest3 = [next(dd for dd in dims if dd["id"] == d["id"]) for d in ranked[:3]]
    hedge = len(ranked) > 3 and _overlap(ranked[2], ranked[3])
    contested = [dd["title"] for dd in dims if "contested" in dd["flags"]]
    target = plan_ctx["target"]
    shift_txt = plan_ctx["shift"]
    if target and plan_ctx["shift_value"]:
        compact = ov_level.replace(" (borderline)", ", borderline")
        headline = (f"At {fmt_score(ov_s)}/100 ({compact}), AI value is held back by operations, not models: "
                    f"move {shift_txt} into hardening {target['name']}")
    elif ov_s is not None:
        headline = f"AI operating model scores {fmt_score(ov_s)}/100, {ov_level}; friction is concentrated in " + \
            ", ".join(w["title"] for w in weakest3[:2])
    else:
        headline = "Too few answers to score the AI operating model yet"
    decision = (f"The board is asked to approve moving {shift_txt} of the next 90 days' budget from new-model "
                f"development to hardening {target['name']}, and the 90-day plan that goes with it."
                if target and plan_ctx["shift_value"] else
                "The board is asked to note the findings and agree the next steps below.")
    findings = []
    if ov_s is not None:
        findings.append(f"Overall the operating model scores {fmt_score(ov_s)}/100 (95% interval "
                        f"{fmt_ci(ov.get('ci_low'), ov.get('ci_high'))}), {ov_level} of {n_levels}, from {n_total} "
                        f"respondents in {len([r for r in role_n if role_n[r] > 0])} roles.")
    if weakest3:
        names = ", ".join(f"{w['title']} ({w['score']})" for w in weakest3)
        findings.append(("Among the weakest friction points" if hedge else "The three weakest friction points are")
                        + f": {names}" + (" — their intervals overlap with the next, so the order is indicative." if hedge else "."))
    if gap_sentences:
        findings.append(gap_sentences[0])
    if target:
        findings.append(f"{target['name']} ({target['stage']}) has the most value not yet realised: "
                        f"{target['value_at_stake']} a year, measured on {target['pnl_metric']}.")
    weak_plain = [{"title": w["title"], "score": w["score"], "level": w["level"],
                   "plain": _first_sentence(w["narrative"]) or _first_sentence(w["description"])} for w in weakest3]
    sensitivity = plainwords.sensitivity_summary(scores.get("sensitivity"), {dd["id"]: dd["title"] for dd in dims})
    caveats = []
    if sensitivity and not sensitivity["stable"]:
        caveats.append("the choice of the weakest friction points depends on the weights (Appendix A)")
    if contested:
        caveats.append("respondents disagree on " + ", ".join(contested))
    if small_roles:
        caveats.append("too few answers to show separately for " + ", ".join(small_roles))
    if hedge:
        caveats.append("the ranking of the weakest friction points is within the margin of error"
                       + (f", though it does not depend on the weights ({sensitivity['clause']})"
                          if sensitivity and sensitivity["clause"] else ""))
    caveat = ("Caveats: " + "; ".join(caveats) + ".") if caveats else \
        "No dimension is flagged for low agreement or small samples."
    draft_reason = None
    if ov_s is None or n_total < max(5, th["min_n"]):
        draft_reason = f"only {n_total} respondents: not for decision"
    elif not target:
        draft_reason = "no eligible deployment to harden: plan incomplete"

    # -- appendix ------------------------------------------------------------------------
    role_rows = []
    for r in roles:
        nr = role_n.get(r.id, 0)
        role_rows.append({"label": r.label, "group": r.group, "n": nr,
                          "share": f"{100 * nr / n_total:.0f}%" if n_total else MISSING,
                          "weight": f"{r.weight:g}", "small": nr < th["min_n"]})
    unit_rows = []
    if inputs.responses is not None and len(inputs.responses):
        units = inputs.responses.respondents["unit"].astype("string").fillna("(no unit)")
        for u, nn in sorted(units.value_counts().items(), key=lambda kv: (-kv[1], str(kv[0]))):
            unit_rows.append({"unit": str(u), "n": int(nn), "share": f"{100 * nn / max(n_total, 1):.0f}%"})
    traces = []
    for dd in dims:
        frame = inputs.explain.get(dd["id"]) if inputs.explain else None
        full = plainwords.trace_from_explain(frame, q)
        t = {"full": full, **(_trace_table(frame, q) if full is None else {"columns": [], "rows": [], "note": ""})}
        traces.append({"title": dd["title"], "anchor": "trace-" + dd["anchor"], "score": dd["score"], **t})
    imports = []
    for entry in inputs.import_log or []:
        counts = entry.get("counts") or {}
        problems = entry.get("problems") or []
        unmapped = entry.get("unmapped") or []
        imports.append({
            "file": str(entry.get("file_name") or entry.get("file") or MISSING),
            "source": str(entry.get("source") or MISSING),
            "counts": ", ".join(f"{str(k).replace('_', ' ')} {plainwords.plain(v)}" for k, v in counts.items())
            if isinstance(counts, Mapping) else plainwords.plain(counts),
            "problems": [plainwords.problem_text(p) for p in problems][:6],
            "problems_more": max(len(problems) - 6, 0),
            "unmapped": plainwords.plain(unmapped) if unmapped else "",
            "skipped": plainwords.skipped_text(entry.get("skipped")),
            "quality": plainwords.quality_text(entry.get("quality_flags") or entry.get("quality")),
        })
    thresholds_rows = plainwords.threshold_rows(scores.get("thresholds") or {})

    report_id = hashlib.sha256(json.dumps([eng.client, inputs.unit, inputs.round, str(rdate),
                                           scores.get("overall")], sort_keys=True, default=str).encode()).hexdigest()[:10].upper()
    from .. import __version__

    client = eng.client + (f" · {inputs.unit}" if inputs.unit else "")
    return {
        "meta": {"client": client, "client_name": eng.client, "unit": inputs.unit, "title": eng.title,
                 "date": _long_date(rdate), "iso_date": rdate.isoformat(), "created": created_timestamp(inputs),
                 "prepared_by": eng.prepared_by or "To be completed with the client",
                 "round": inputs.round or eng.round, "report_id": report_id, "version": __version__,
                 "questionnaire": f"{q.title} (v{q.version})", "n": n_total, "logo_url": logo_url,
                 "accent": accent, "draft": draft_reason, "currency": currency,
                 "n_roles": len([r for r in role_n if role_n[r] > 0])},
        "summary": {"headline": headline, "decision": decision, "findings": findings[:5], "weakest": weak_plain,
                    "caveat": caveat, "overall": fmt_score(ov_s), "overall_ci": fmt_ci(ov.get("ci_low"), ov.get("ci_high")),
                    "overall_level": ov_level, "overall_level_name": ov_lvl.name if ov_lvl else MISSING,
                    "n_levels": n_levels, "hedge": hedge},
        "sensitivity": sensitivity, "alpha_within": any(dd["alpha_note"] for dd in dims),
        "levels": levels, "dims": dims, "flags_legend": sorted(all_flags.items()),
        "common_flags": sorted(common_flags),
        "thresholds": th, "charts": {k: Markup(v) for k, v in {"dot": dot_svg, "radar": radar_svg, "heat": heat_svg,
                                                                  "heat_legend": heat_legend, "gap": gap_svg}.items()},
        "heat": {"hotspots": hotspots, "small_roles": small_roles},
        "gap": {"rows": gap_table, "sentences": gap_sentences, "n_leadership": n_lead, "n_practitioners": n_prac},
        "plan": plan_ctx, "progress": prog,
        "appendix": {"roles": role_rows, "units": unit_rows, "traces": traces, "imports": imports,
                     "thresholds": thresholds_rows, "sensitivity": sensitivity,
                     "comments": _all_comments(inputs),
                     "aggregation": q.aggregation},
    }


def fmt_ci_dec(ci: Any) -> str:
    if isinstance(ci, Sequence) and not isinstance(ci, str) and len(ci) == 2:
        a, b = _num(ci[0]), _num(ci[1])
        if a is not None and b is not None:
            return f"{a:.2f}–{b:.2f}"
    return MISSING


def _progress(inputs: ReportInputs) -> dict[str, Any] | None:
    p = inputs.progress
    if not p:
        return None
    q = inputs.questionnaire
    raw = p.get("dimensions") or []
    if isinstance(raw, Mapping):
        raw = [{"id": k, **v} for k, v in raw.items()]
    by_id = {str(r.get("id")): r for r in raw}
    keys = p.get("rounds") if isinstance(p.get("rounds"), list) and len(p["rounds"]) == 2 else ["baseline", "current"]
    rows = []
    for qd in q.dimensions:
        r = by_id.get(qd.id)
        if not r:
            continue
        change = _num(r.get("change"))
        status = ("improved" if change and change > 0 else "got worse") if r.get("significant") else "stalled"
        rows.append({"id": qd.id, "title": qd.title, "status": status, "baseline": fmt_score(r.get(keys[0])),
                     "current": fmt_score(r.get(keys[1])), "change": fmt_signed(r.get("change")),
                     "ci": fmt_ci(r.get("ci_low"), r.get("ci_high")),
                     "significant": bool(r.get("significant")), "baseline_value": _num(r.get(keys[0])),
                     "change_value": _num(r.get("change"))})
    moved = [r for r in rows if r["significant"]]
    base_name = str(p.get("baseline_round") or keys[0])
    cur_name = str(p.get("current_round") or keys[1])
    if moved:
        best = max(moved, key=lambda r: abs(r["change_value"] or 0))
        lead = (f"Since {base_name}, {len(moved)} of {len(rows)} friction points moved beyond the margin of error; "
                f"the largest change is {best['title']} ({best['change']} points).")
    else:
        lead = f"Since {base_name}, no friction point has moved beyond the margin of error."
    left_out = [str(x) for x in (p.get("left_out_questions") or [])]
    note = (f"The questionnaire changed between the rounds: {len(left_out)} question(s) asked in only one round "
            f"were left out of the comparison ({', '.join(left_out)})." if left_out else "")
    tracking, milestones = _plan_tracking(p.get("saved_plan"), {r["id"]: r for r in rows}, q)
    return {"baseline_name": base_name, "current_name": cur_name, "rows": rows, "lead": lead, "note": note,
            "tracking": tracking, "milestones": milestones}


def _plan_tracking(saved: Any, rows: Mapping[str, dict], q: Any) -> tuple[list[dict], list[dict]]:
    """The baseline plan's actions and milestones next to what the re-assessment measured."""
    if not isinstance(saved, Mapping):
        return [], []
    titles = {d.id: d.title for d in q.dimensions}
    tracking = []
    for a in saved.get("actions") or []:
        row = rows.get(str(a.get("dimension")))
        tracking.append({"id": str(a.get("id")), "title": str(a.get("title") or ""),
                         "dimension": titles.get(str(a.get("dimension")), str(a.get("dimension"))),
                         "days": f"{a.get('start_day')}-{a.get('end_day')}",
                         "change": row["change"] if row else MISSING,
                         "status": row["status"] if row else "not measured"})
    milestones = []
    for m in saved.get("milestones") or []:
        day = _num(m.get("day")) or 0
        dims = sorted({str(a.get("dimension")) for a in saved.get("actions") or []
                       if (_num(a.get("end_day")) or 0) <= day})
        measured = "; ".join(f"{titles.get(d, d)} {rows[d]['change']} ({rows[d]['status']})"
                             for d in dims if d in rows)
        milestones.append({"day": int(day), "outcome": str(m.get("outcome") or ""),
                           "measure": str(m.get("measure") or ""), "measured": measured or MISSING})
    return tracking, milestones


def _plan_context(inputs: ReportInputs, plan: Mapping, currency: str, dims: list[dict], flagged_gaps: list[dict],
                  small_roles: list[str], rdate: dt.date, accent: str) -> dict[str, Any]:
    eng = inputs.engagement
    dim_title = {d["id"]: d["title"] for d in dims}
    t = plan.get("target") or None
    target = None
    if t:
        target = {"id": t.get("id"), "name": str(t.get("name") or t.get("id")), "stage": str(t.get("stage") or MISSING),
                  "pnl_metric": str(t.get("pnl_metric") or MISSING),
                  "value_at_stake": fmt_money(t.get("value_at_stake"), currency),
                  "quarter_value": fmt_money((_num(t.get("value_at_stake")) or 0) / 4, currency),
                  "business_owner": str(t.get("business_owner") or "To be agreed with the client"),
                  "technology_owner": str(t.get("technology_owner") or "To be agreed with the client"),
                  "why": str(t.get("why") or "")}
    b = plan.get("budget") or {}
    before, after = b.get("before") or {}, b.get("after") or {}
    shift = _num(b.get("shift")) or 0.0
    bl = [("New-model development", "experimental models", _num(before.get("new_models")) or 0.0,
           _num(after.get("new_models")) or 0.0),
          (f"Hardening {target['name']}" if target else "Hardening existing models", "hardening",
           _num(before.get("hardening")) or 0.0, _num(after.get("hardening")) or 0.0)]
    budget_rows = [{"line": name, "tag": tag, "before": fmt_money(x, currency), "after": fmt_money(y, currency),
                    "delta": fmt_signed_money(y - x, currency)} for name, tag, x, y in bl]
    tb, ta = sum(x for _, _, x, _ in bl), sum(y for _, _, _, y in bl)
    budget_total = {"before": fmt_money(tb, currency), "after": fmt_money(ta, currency),
                    "delta": fmt_signed_money(ta - tb, currency),
                    "note": "a pure reallocation: the changes sum to zero" if abs(ta - tb) < 0.5
                    else f"net change {fmt_signed_money(ta - tb, currency)}"}
    budget_svg = charts.budget_bars([(name, x, y) for name, _, x, y in bl], currency=currency, accent=accent,
                                    title="Budget moves from new models to hardening")
    by_dim = [{"title": dim_title.get(k, k), "amount": fmt_money(v, currency)}
              for k, v in (b.get("by_dimension") or {}).items() if _num(v)]
    deployments = {str(d.get("id")): d for d in plan.get("deployments") or []}
    eng_dep = {d.id: d for d in eng.deployments}
    dep_rows = []
    for d in sorted(deployments.values(), key=lambda d: (_num(d.get("rank")) or 999, str(d.get("id")))):
        e = eng_dep.get(str(d.get("id")))
        dep_rows.append({"name": str(d.get("name") or d.get("id")), "stage": str(d.get("stage") or MISSING),
                         "value": fmt_money(d.get("value_at_stake"), currency),
                         "metric": str(d.get("pnl_metric") or (e.pnl_metric if e else MISSING)),
                         "rank": fmt_score(d.get("rank")), "eligible": "yes" if d.get("eligible") else "no",
                         "target": bool(target and str(d.get("id")) == str(target["id"]))})
    actions, bars = [], []
    for a in sorted(plan.get("actions") or [], key=lambda a: (_num(a.get("start_day")) or 0, str(a.get("id")))):
        owners = a.get("owners") or []
        owner_txt = "; ".join(f"{o.get('name') or 'To be named'} ({o.get('role_label') or o.get('role')})" for o in owners)
        dim = str(a.get("dimension") or "")
        start, end = int(_num(a.get("start_day")) or 1), int(_num(a.get("end_day")) or 90)
        actions.append({"id": str(a.get("id")), "title": str(a.get("title")), "description": str(a.get("description") or ""),
                        "addresses": dim_title.get(dim, dim or MISSING), "phase": int(_num(a.get("phase")) or 1),
                        "days": f"{start}–{end}", "start": start, "end": end,
                        "owners": owners, "owner_txt": owner_txt or "To be agreed with the client",
                        "owner_names": " / ".join(dict.fromkeys(str(o.get("name") or o.get("role_label") or "")
                                                                for o in owners)) or "To be agreed with the client",
                        "kpi": str(a.get("kpi") or "To be agreed with the client"),
                        "cost": fmt_money(a.get("cost"), currency)})
        bars.append(charts.GanttBar(str(a.get("title")), " / ".join(
            f"{o.get('role_label') or o.get('role')}" for o in owners[:2]) if owners else "",
            int(_num(a.get("phase")) or 1), start, end))
    gantt_svg = charts.gantt(bars, width=490, title="90-day plan: actions by day and phase") if bars else ""
    first30 = [a for a in actions if a["phase"] == 1 or a["start"] <= 30][:3]
    milestones = []
    for m in plan.get("milestones") or []:
        day = int(_num(m.get("day")) or 0)
        outcome = str(m.get("outcome") or MISSING)
        measures, common = _split_measures(str(m.get("measure") or MISSING))
        head, _, rest = outcome.partition(": ") if outcome.startswith("In place: ") else ("", "", outcome)
        delivered, tail = rest, ""
        if head:
            body, dot, tail = rest.partition(". ")
            delivered = body
        items = [x.strip().rstrip(".") for x in delivered.split("; ") if x.strip()]
        milestones.append({"day": day, "date": _long_date(rdate + dt.timedelta(days=day)),
                           "outcome": items[:4], "outcome_more": max(len(items) - 4, 0), "outcome_tail": tail.strip(),
                           "measures": measures[:3], "measures_more": max(len(measures) - 3, 0),
                           "all_measures": measures, "common": common})
    pause = []
    for pid in plan.get("pause") or []:
        d = deployments.get(str(pid)) or {}
        e = eng_dep.get(str(pid))
        pause.append({"name": str(d.get("name") or (e.name if e else pid)),
                      "stage": str(d.get("stage") or (e.stage if e else MISSING)),
                      "saving": fmt_money(e.quarterly_cost, currency) if e and e.quarterly_cost else MISSING,
                      "restart": (f"Resume when {target['name']} has met its day-90 milestone and its monitoring "
                                  "SLO has held for 4 consecutive weeks." if target else
                                  "Resume after the day-90 re-assessment.")})
    owner_b = target["business_owner"] if target else "Engagement sponsor"
    owner_t = target["technology_owner"] if target else "Technology lead"
    risks = []
    for d in dims:
        if "contested" in d["flags"]:
            risks.append({"risk": f"Respondents disagree on {d['title']} (rwg {d['rwg']}); the score may hide two camps.",
                          "mitigation": "Validate the finding in a workshop with both camps before day 30.",
                          "owner": owner_b, "source": "agreement flag"})
    for g in flagged_gaps[:2]:
        risks.append({"risk": f"Leadership and practitioners see {g['title']} differently ({g['difference']} points); "
                              "leaders may overestimate readiness.",
                      "mitigation": f"Walk through {target['name'] if target else 'the deployment'}'s failure modes "
                                    "with practitioners before the day-30 checkpoint.",
                      "owner": owner_t, "source": "perception gap"})
    if small_roles:
        risks.append({"risk": "Too few answers from " + ", ".join(small_roles) + " to show their view separately.",
                      "mitigation": "Interview these roles in phase 1 and include them in the day-90 re-survey.",
                      "owner": owner_b, "source": "small sample"})
    risks.append({"risk": "Engineers are pulled back to new-model work and hardening stalls.",
                  "mitigation": "Steering group enforces the pause list; any exception needs the business owner's sign-off.",
                  "owner": owner_b, "source": "plan"})
    total_cost = sum(_num(a.get("cost")) or 0 for a in plan.get("actions") or [])
    last = max(milestones, key=lambda m: m["day"]) if milestones else None
    success = last["measures"][:3] if last else []
    kpi_common = ""
    suffixes = [_MEASURED.search(a["kpi"]) for a in actions]
    found = [x.group(1) for x in suffixes if x]
    if found and found.count(found[0]) >= max(2, len(actions) // 2):
        kpi_common = found[0]
        for a in actions:
            if a["kpi"].endswith(kpi_common):
                a["kpi"] = _MEASURED.sub("", a["kpi"])
    for a in actions:
        by_name: dict[str, list[str]] = {}
        for o in a["owners"]:
            by_name.setdefault(str(o.get("name") or "To be named"), []).append(str(o.get("role_label") or o.get("role")))
        a["owner_groups"] = [{"name": k, "roles": ", ".join(dict.fromkeys(v))} for k, v in by_name.items()]
    return {"target": target, "shift": fmt_money(shift, currency), "shift_value": shift,
            "max_shift": fmt_pct(b.get("max_shift")), "friction": fmt_score(b.get("friction")),
            "rule": str(b.get("rule") or ""), "budget_rows": budget_rows, "budget_total": budget_total,
            "budget_svg": Markup(budget_svg), "by_dimension": by_dim, "deployments": dep_rows,
            "actions": actions, "gantt_svg": Markup(gantt_svg), "first30": first30, "milestones": milestones,
            "pause": pause, "notes": [str(n) for n in plan.get("notes") or []], "risks": risks[:6],
            "total_cost": fmt_money(total_cost, currency), "success": success, "kpi_common": kpi_common,
            "reassess": _long_date(rdate + dt.timedelta(days=90)),
            "d45": _long_date(rdate + dt.timedelta(days=45)), "present": bool(plan)}


_MEASURED = re.compile(r",? measured on (.+)$")


def _split_measures(text: str) -> tuple[list[str], str]:
    """Split a milestone's "; "-joined measures and pull out a repeated "measured on X" suffix."""
    parts = [p.strip() for p in text.split("; ") if p.strip()]
    suffixes = [_MEASURED.search(p) for p in parts]
    found = [m.group(1) for m in suffixes if m]
    common = found[0] if found and found.count(found[0]) >= 2 else ""
    if common:
        parts = [_MEASURED.sub("", p) if p.endswith(common) else p for p in parts]
    return parts, common


def fmt_signed_money(x: float, currency: str) -> str:
    if abs(x) < 0.5:
        return f"{currency} 0"
    sign = "+" if x > 0 else "\u2212"
    return f"{sign}{currency} {abs(x):,.0f}"
