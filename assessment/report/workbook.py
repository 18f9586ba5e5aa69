"""The results workbook: every number of the report, in sheets an analyst can check.

Written with XlsxWriter (about twice as fast as openpyxl). Every text cell goes
through :meth:`_Sheet.text`, which writes it as a string; text that a
spreadsheet would treat as a formula or DDE payload (leading ``=``, ``+``, ``-``,
``@``, tab or CR) additionally gets Excel's quote-prefix style, the file-format
equivalent of typing a leading apostrophe, so it stays inert even when someone
edits the cell or re-saves the sheet as CSV from Excel.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..fileio import atomic_write
from .basis import role_counts, scored_responses, thresholds
from .context import ReportInputs, created_timestamp, report_date
from .formatting import num

if TYPE_CHECKING:
    from ..planning import Plan

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


class _Sheet:
    def __init__(self, wb: Any, name: str, headers: Sequence[str], widths: Sequence[float], fmts: dict) -> None:
        self.ws = wb.add_worksheet(name)
        self.fmts = fmts
        self.row = 1
        self.ncols = len(headers)
        for c, (h, w) in enumerate(zip(headers, widths, strict=True)):
            self.ws.write_string(0, c, h, fmts["head"])
            self.ws.set_column(c, c, w)
        self.ws.freeze_panes(1, 0)

    def text(self, r: int, c: int, value: Any, fmt: Any = None) -> None:
        s = "" if value is None else str(value)
        if s.startswith(DANGEROUS):
            self.ws.write_string(r, c, s, self.fmts["quoted"])
        elif s:
            self.ws.write_string(r, c, s, fmt or self.fmts["wrap"])
        else:
            self.ws.write_blank(r, c, None, fmt or self.fmts["wrap"])

    def add(self, values: Sequence[Any], kinds: Sequence[str]) -> None:
        for c, (v, kind) in enumerate(zip(values, kinds, strict=True)):
            if kind == "t" or isinstance(v, str):
                self.text(self.row, c, v)
                continue
            n = num(v)
            if n is None:
                self.ws.write_blank(self.row, c, None)
            else:
                self.ws.write_number(self.row, c, n, self.fmts.get(kind))
        self.row += 1

    def finish(self) -> None:
        self.ws.autofilter(0, 0, max(self.row - 1, 1), self.ncols - 1)



#: Readable headers for the scoring-trace columns of ``scoring.explain``.
_TRACE_HEADERS = {
    "dimension": "Friction point", "question_id": "Item", "text": "Statement", "type": "Type",
    "weight": "Weight", "reverse": "Reverse-keyed", "roles": "Asked of", "asked": "Asked",
    "n": "Answered", "na": "N/A", "blank": "Blank", "raw_distribution": "Answers (value: count)",
    "raw_mean": "Mean raw answer", "keyed_mean": "Item score (0-100)", "weight_share": "Weight share",
    "contribution": "Points in the score",
}


def write_results_workbook(inputs: ReportInputs, path: str | Path, *, include_responses: bool = False) -> Path:
    """Write the results workbook atomically and return its path.

    Anonymity (``min_group_size``): no number in it comes from a role, unit or item answered
    by fewer respondents; such cells say "fewer than 5". The respondent-level Responses sheet
    is written only with ``include_responses``, with pseudonymous ids and a warning sheet first.
    """
    return atomic_write(Path(path), lambda p: _write(inputs, p, include_responses))


class _Guard:
    """The anonymity rule for the workbook: the minimum group and the small roles."""

    def __init__(self, inputs: ReportInputs) -> None:
        self.min_n = max(int(inputs.engagement.min_group_size), int(thresholds(inputs.scores.thresholds)["min_n"]))
        self.fewer = f"fewer than {self.min_n}"
        self.role_n = role_counts(scored_responses(inputs))

    def small(self, n: Any) -> bool:
        v = num(n)
        return v is not None and 0 < v < self.min_n

    def value(self, v: Any, n: Any) -> Any:
        """``v``, or "fewer than 5" when it comes from fewer than the minimum (zero: not asked, blank)."""
        return self.fewer if self.small(n) else v

    def count(self, n: Any) -> Any:
        return self.fewer if self.small(n) else n

    def role_cell(self, v: Any, role_id: str, cell_n: int) -> Any:
        """A role's score on one friction point: hidden when the role or the cell is under the minimum."""
        if cell_n and (self.small(self.role_n.get(role_id, 0)) or self.small(cell_n)):
            return self.fewer
        return v


def _formats(wb: Any) -> dict[str, Any]:
    return {
        "head": wb.add_format({"bold": True, "bottom": 1, "bg_color": "#E9EEF4", "text_wrap": True, "valign": "top"}),
        "wrap": wb.add_format({"text_wrap": True, "valign": "top"}),
        "quoted": wb.add_format({"text_wrap": True, "valign": "top", "quote_prefix": True}),
        "score": wb.add_format({"num_format": "0.0", "valign": "top"}),
        "int": wb.add_format({"num_format": "0", "valign": "top"}),
        "dec": wb.add_format({"num_format": "0.00", "valign": "top"}),
        "pct": wb.add_format({"num_format": "0%", "valign": "top"}),
        "money": wb.add_format({"num_format": "#,##0", "valign": "top"}),
        "t": None,
    }


def _write(inputs: ReportInputs, path: Path, include_responses: bool = False) -> None:
    import datetime as dt

    import xlsxwriter

    eng = inputs.engagement
    created = dt.datetime.strptime(created_timestamp(inputs), "%Y-%m-%dT%H:%M:%SZ")
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                         "strings_to_numbers": False})
    wb.set_properties({"title": f"{eng.client} — results", "author": eng.prepared_by or "", "created": created,
                       "comments": "Generated by assess"})
    fmts = _formats(wb)
    guard = _Guard(inputs)
    currency = inputs.plan.currency if inputs.plan else eng.currency
    if include_responses:
        _warning_sheet(wb, fmts, guard)
    _summary_sheet(wb, fmts, inputs)
    for sheet in (_dimensions_sheet, _items_sheet, _roles_sheet, _units_sheet):
        sheet(wb, fmts, inputs, guard)
    _plan_sheet(wb, fmts, inputs.plan, currency)
    _actions_sheet(wb, fmts, inputs.plan, currency)
    if include_responses:
        _responses_sheet(wb, fmts, inputs)
    _trace_sheet(wb, fmts, inputs.explain, guard)
    _imports_sheet(wb, fmts, inputs.import_log, include_responses)
    wb.close()


def _warning_sheet(wb: Any, fmts: dict, guard: _Guard) -> None:
    _key_values(wb, fmts, "Warning", [30, 90], [
        ("Warning", "This workbook holds a respondent-level Responses sheet (assess report --include-responses). "
                    "Its rows can identify people in small roles or units even though the respondent ids are "
                    "replaced by pseudonyms. Do not share it with the client.", "t"),
        ("Pseudonyms", "Each respondent id is replaced by a stable pseudonym (the same person gets the same "
                       "pseudonym in every workbook of this engagement).", "t"),
        ("Other sheets", f"No number on the other sheets comes from fewer than {guard.min_n} respondents.", "t")])


def _key_values(wb: Any, fmts: dict, name: str, widths: Sequence[float], rows: Sequence[tuple[str, Any, str]]) -> None:
    sheet = _Sheet(wb, name, ["Field" if name == "Summary" else "Item", "Value"], widths, fmts)
    for k, v, kind in rows:
        sheet.add([k, v], ["t", kind])
    sheet.finish()


def _summary_sheet(wb: Any, fmts: dict, inputs: ReportInputs) -> None:
    q, scores, plan = inputs.questionnaire, inputs.scores, inputs.plan
    ov, th = scores.overall, thresholds(scores.thresholds)
    currency = plan.currency if plan else inputs.engagement.currency
    _key_values(wb, fmts, "Summary", [34, 70], [
        ("Client", inputs.engagement.client, "t"), ("Unit", inputs.unit or "all units", "t"),
        ("Report date", str(report_date(inputs)), "t"), ("Questionnaire", f"{q.title} v{q.version}", "t"),
        ("Respondents scored", scores.respondents, "int"),
        ("Respondents left out (quality flags)", scores.excluded["count"], "int"),
        ("Overall score", ov["score"], "score"), ("Overall CI low", ov["ci_low"], "score"),
        ("Overall CI high", ov["ci_high"], "score"), ("Overall level", ov["level"], "int"),
        ("Overall level name", ov["level_name"], "t"), ("Target deployment", plan.target["name"] if plan else None, "t"),
        (f"Amount moved ({currency})", plan.budget["shift"] if plan else None, "money"),
        *_response_rows(inputs),
        ("Minimum group size (anonymity)", max(th["min_n"], inputs.engagement.min_group_size), "int"),
        ("Agreement threshold (rwg)", th["rwg"], "dec"),
        ("Perception gap threshold (points)", th["gap"], "score"),
    ])


def _gap_cells(g: dict[str, Any], guard: _Guard) -> list[Any]:
    """Leadership, practitioners, gap, Hedges' g and the common statements; none when a side is too small."""
    items = g.get("items") or []
    if not g.get("comparable"):
        return ["no common statement"] * 4 + [0]
    if guard.small(g["n_leadership"]) or guard.small(g["n_practitioners"]):
        return [guard.fewer] * 4 + [len(items)]
    return [g["leadership"], g["practitioners"], g["difference"], g["hedges_g"], len(items)]


def _response_rows(inputs: ReportInputs) -> list[tuple[str, Any, str]]:
    """People invited, respondents imported and the response rate (as the report's caveats give them)."""
    from .sections.caveats import invited_by_role

    q = inputs.questionnaire
    invited = invited_by_role(inputs.engagement.invited, {r.id for r in q.roles}, inputs.unit)
    if invited is None or inputs.responses is None:
        return [("Response rate", "unknown: engagement.yaml gives no invited counts", "t")]
    roles = inputs.responses.respondents["role"].astype("string")
    got = int(roles.isin(list(invited)).sum())
    total = sum(invited.values())
    return [("People invited", total, "int"), ("Respondents imported (invited roles)", got, "int"),
            ("Response rate", got / total if total else None, "pct")]


def _dimensions_sheet(wb: Any, fmts: dict, inputs: ReportInputs, guard: _Guard) -> None:
    q, roles = inputs.questionnaire, inputs.questionnaire.roles
    heads = ["Dimension id", "Title", "Score", "CI low", "CI high", "Level", "Level name", "n", "Coverage", "Alpha",
             "rwg", "Leadership", "Practitioners", "Gap", "Hedges g", "Gap statements (both groups asked)",
             "Flags"] + [f"Role: {r.label}" for r in roles]
    sheet = _Sheet(wb, "Dimensions", heads, [14, 32, 8, 8, 8, 7, 14, 6, 9, 7, 7, 10, 12, 7, 8, 12, 24]
                   + [12] * len(roles), fmts)
    for qd in q.dimensions:
        d = inputs.scores.dimension(qd.id)
        by_role = [guard.role_cell(d["by_role"].get(r.id), r.id, d["n_by_role"].get(r.id, 0)) for r in roles]
        sheet.add([qd.id, qd.title, d["score"], d["ci_low"], d["ci_high"], d["level"], d["level_name"],
                   d["n_respondents"], d["coverage"], d["alpha"], d["rwg"], *_gap_cells(d["perception_gap"], guard),
                   ", ".join(f["code"] for f in d["flags"])] + by_role,
                  ["t", "t", "score", "score", "score", "int", "t", "int", "pct", "dec", "dec", "score", "score",
                   "score", "dec", "int", "t"] + ["score"] * len(roles))
    sheet.finish()


def _items_sheet(wb: Any, fmts: dict, inputs: ReportInputs, guard: _Guard) -> None:
    """Every item's score and counts, and for numeric facts the median, lowest and highest answer."""
    from .facts import all_numeric_stats

    facts = all_numeric_stats(inputs.questionnaire, scored_responses(inputs))
    sheet = _Sheet(wb, "Items", ["Item id", "Dimension", "Statement", "Reverse-keyed", "Score", "n", "N/A", "Blank",
                                 "Headline fact", "Unit", "Median answer", "Lowest answer", "Highest answer"],
                   [10, 14, 70, 10, 8, 6, 6, 6, 9, 8, 10, 10, 10], fmts)
    for it in inputs.scores.items:
        f = facts.get(it["id"])
        small = guard.small(it["n"])
        stats = [f.median, f.low, f.high] if f is not None else [None] * 3
        sheet.add([it["id"], it["dimension"], it["text"], "yes" if it["reverse"] else "no",
                   guard.value(it["score"], it["n"]), guard.count(it["n"]), guard.fewer if small else it["na"],
                   guard.fewer if small else it["blank"], "yes" if f is not None and f.headline else "",
                   f.unit if f is not None else "", *([guard.fewer] * 3 if small else stats)],
                  ["t", "t", "t", "t", "score", "int", "int", "int", "t", "t", "dec", "dec", "dec"])
    sheet.finish()


def _roles_sheet(wb: Any, fmts: dict, inputs: ReportInputs, guard: _Guard) -> None:
    q = inputs.questionnaire
    counts = guard.role_n
    sheet = _Sheet(wb, "Roles", ["Role id", "Role", "Group", "Weight", "Respondents"] +
                   [f"Score: {qd.title}" for qd in q.dimensions], [10, 30, 14, 8, 12] + [14] * len(q.dimensions), fmts)
    for r in q.roles:
        dims = [inputs.scores.dimension(qd.id) for qd in q.dimensions]
        scores = [guard.role_cell(d["by_role"].get(r.id), r.id, d["n_by_role"].get(r.id, 0)) for d in dims]
        sheet.add([r.id, r.label, r.group, r.weight, guard.count(counts.get(r.id, 0))] + scores,
                  ["t", "t", "t", "dec", "int"] + ["score"] * len(q.dimensions))
    sheet.finish()


def _units_sheet(wb: Any, fmts: dict, inputs: ReportInputs, guard: _Guard) -> None:
    """Scores by business unit (when the scores carry a unit breakdown); small units and cells suppressed."""
    bd = inputs.scores.breakdown
    if not bd or bd.get("by") != "unit":
        return
    q = inputs.questionnaire
    sheet = _Sheet(wb, "Units", ["Unit", "Respondents", "Overall"] + [f"Score: {qd.title}" for qd in q.dimensions],
                   [24, 12, 10] + [14] * len(q.dimensions), fmts)
    for g in bd["groups"]:
        small = guard.small(g["respondents"])
        cells = [guard.fewer if small and g["n"].get(qd.id) else guard.value(g["dimensions"].get(qd.id),
                                                                               g["n"].get(qd.id, 0))
                 for qd in q.dimensions]
        sheet.add([g["label"], guard.count(g["respondents"]), guard.fewer if small else g["overall"]] + cells,
                  ["t", "int", "score"] + ["score"] * len(q.dimensions))
    sheet.finish()


def _plan_sheet(wb: Any, fmts: dict, plan: Plan | None, currency: str) -> None:
    if plan is None:
        _key_values(wb, fmts, "Plan", [36, 70], [("Plan", "No plan was built for this report", "t")])
        return
    target, budget = plan.target, plan.budget
    before, after = budget["before"], budget["after"]
    rows = [("Target deployment", target["name"], "t"), ("Target stage", target["stage"], "t"),
            ("P&L metric", target["pnl_metric"], "t"),
            (f"Value at stake ({currency})", target["value_at_stake"], "money"),
            ("Business owner", target["business_owner"], "t"), ("Technology owner", target["technology_owner"], "t"),
            ("Why", target["why"], "t"),
            (f"New models before ({currency})", before["new_models"], "money"),
            (f"New models after ({currency})", after["new_models"], "money"),
            (f"Hardening before ({currency})", before["hardening"], "money"),
            (f"Hardening after ({currency})", after["hardening"], "money"),
            (f"Amount moved ({currency})", budget["shift"], "money"), ("Max shift", budget["max_shift"], "pct"),
            ("Rule", budget["rule"], "t"), ("Paused", ", ".join(plan.pause), "t"),
            ("Day-90 P&L target", plan.milestones[-1].pnl_target or plan.kpi_missing, "t"),
            ("Cost of inaction", plan.cost_of_inaction["rule"], "t")]
    rows += [(f"Funding: {f['name']}", f"{f['decision']}, {currency} {f['amount']:,.2f}", "t") for f in plan.funding]
    rows += [("Assumption", a, "t") for a in plan.assumptions]
    rows += [("Warning", w, "t") for w in plan.warnings]
    rows += [(f"Milestone day {m.day}", f"{m.outcome} — {m.measure}", "t") for m in plan.milestones]
    rows += [("Note", n, "t") for n in plan.notes]
    _key_values(wb, fmts, "Plan", [36, 70], rows)


def _actions_sheet(wb: Any, fmts: dict, plan: Plan | None, currency: str) -> None:
    sheet = _Sheet(wb, "Actions", ["Action id", "Title", "Dimension", "Phase", "Start day", "End day", "Accountable",
                                   "Responsible", "KPI", "Measured on", f"Cost ({currency})", "Description"],
                   [10, 40, 14, 7, 9, 9, 30, 40, 50, 30, 12, 60], fmts)
    for a in plan.actions if plan else ():
        accountable = f"{a.accountable['name']} ({a.accountable['role_label']})"
        responsible = "; ".join(f"{o['name']} ({o['role_label']})" for o in a.responsible)
        sheet.add([a.id, a.title, a.dimension, a.phase, a.start_day, a.end_day, accountable, responsible, a.kpi,
                   a.measured_on or "", a.cost, a.description],
                  ["t", "t", "t", "int", "int", "int", "t", "t", "t", "t", "money", "t"])
    sheet.finish()


def _responses_sheet(wb: Any, fmts: dict, inputs: ReportInputs) -> None:
    """Every answer, the left-out respondents' too, each marked with why it was not scored."""
    sheet = _Sheet(wb, "Responses", ["Respondent", "Role", "Unit", "Question", "Dimension", "Raw answer", "Value",
                                     "State", "Left out of the scores"], [12, 12, 14, 10, 14, 50, 8, 10, 18], fmts)
    if inputs.responses is not None:
        rr = inputs.responses.respondents
        role_of = dict(zip(rr["respondent_id"], rr["role"], strict=True))
        unit_of = dict(zip(rr["respondent_id"], rr["unit"], strict=True))
        left_out = _left_out(rr, inputs.scores.excluded["flags"])
        qdim = inputs.questionnaire.question_dimension
        a = inputs.responses.answers
        salt = inputs.engagement.client
        for rid, qid, raw, value, state in zip(a["respondent_id"], a["question_id"], a["raw"], a["value"],
                                               a["state"], strict=True):
            unit = unit_of.get(rid)
            sheet.add([pseudonym(salt, rid), role_of.get(rid), None if _missing(unit) else unit, qid,
                       qdim.get(str(qid), ""),
                       None if _missing(raw) else raw, value, state, left_out.get(rid, "")],
                      ["t", "t", "t", "t", "t", "t", "dec", "t", "t"])
    sheet.finish()


def pseudonym(salt: str, respondent_id: Any) -> str:
    """A stable pseudonym for a respondent: the same id gets the same pseudonym in every workbook of an engagement."""
    import hashlib

    return "P-" + hashlib.sha256(f"{salt}\x00{respondent_id}".encode()).hexdigest()[:8].upper()


def _left_out(respondents: Any, flags: Sequence[str]) -> dict[str, str]:
    """Respondent id -> the excluding quality flags they carry (``flags`` is comma-joined text)."""
    if not flags or "flags" not in respondents.columns:
        return {}
    out = {}
    for rid, carried in zip(respondents["respondent_id"], respondents["flags"], strict=True):
        hit = [f for f in flags if isinstance(carried, str) and f in carried.split(",")]
        if hit:
            out[rid] = ", ".join(hit)
    return out


#: Trace columns that are computed from the answers of an item (hidden when too few answered it).
_TRACE_FROM_ANSWERS = ("na", "blank", "raw_distribution", "raw_mean", "keyed_mean", "weight_share", "contribution")


def _trace_sheet(wb: Any, fmts: dict, explain: dict[str, Any], guard: _Guard) -> None:
    if not explain:
        return
    import pandas as pd

    trace = pd.concat([df.assign(dimension=dim) for dim, df in explain.items()], ignore_index=True)
    small = trace["n"].map(guard.small)
    trace = trace.astype({c: object for c in (*_TRACE_FROM_ANSWERS, "n") if c in trace.columns})
    for c in (*_TRACE_FROM_ANSWERS, "n"):
        if c in trace.columns:
            trace.loc[small, c] = guard.fewer
    trace = trace[["dimension", *[c for c in trace.columns if c != "dimension"]]]
    cols = [_TRACE_HEADERS.get(str(c), str(c).replace("_", " ").capitalize()) for c in trace.columns]
    widths = [60 if c == "text" else 24 if c in ("dimension", "raw_distribution", "roles") else 12
              for c in trace.columns]
    sheet = _Sheet(wb, "Trace", cols, widths, fmts)
    for rec in trace.itertuples(index=False):
        vals = list(rec)
        sheet.add([None if _missing(v) else (v if isinstance(v, int | float) and not isinstance(v, bool) else str(v))
                   for v in vals],
                  ["dec" if isinstance(v, float) else "t" if not isinstance(v, int) or isinstance(v, bool) else "int"
                   for v in vals])
    sheet.finish()


def _imports_sheet(wb: Any, fmts: dict, log: list[dict[str, Any]], with_ids: bool = False) -> None:
    """The import log; quality flags as counts (the respondent ids only with --include-responses)."""
    sheet = _Sheet(wb, "Imports", ["File", "Source", "Counts", "Problems", "Skipped", "Quality flags"],
                   [36, 18, 30, 50, 30, 30], fmts)
    for e in log:
        quality = e["quality"] if with_ids else {k: f"{len(v)} respondents" for k, v in (e["quality"] or {}).items()}
        sheet.add([e["file_name"], e["source"], _flat(e["counts"]), _flat(e["problems"]), _flat(e["skipped"]),
                   _flat(quality)], ["t"] * 6)
    sheet.finish()


def _missing(v: Any) -> bool:
    if v is None:
        return True
    try:
        return bool(isinstance(v, float) and math.isnan(v)) or str(v) == "<NA>"
    except TypeError:
        return False


def _flat(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, dict):
        return ", ".join(f"{k}: {x}" for k, x in v.items())
    if isinstance(v, list | tuple):
        return "; ".join(str(x) for x in v)
    return str(v)
