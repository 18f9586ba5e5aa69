"""The 90-day plan: target, budget shift, candidates, actions and owners, milestones,
what is paused and the risks. Read from the planner's :class:`~assessment.planning.Plan`
object and its structured fields; no sentence the planner wrote is parsed."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from .. import charts
from ..formatting import MISSING, fmt_money, fmt_pct, fmt_score, fmt_signed_money, long_date

if TYPE_CHECKING:
    from ...planning import Milestone, Plan, PlannedAction
    from ..basis import Basis

NOT_AGREED = "To be agreed with the client"
REASSESSMENT_MEASURE = "dimension scores of the re-assessment against this plan's baseline"


def _target(plan: Plan, currency: str) -> dict[str, Any]:
    t = plan.target
    return {"id": t["id"], "name": t["name"], "stage": t["stage"], "pnl_metric": t["pnl_metric"],
            "value_at_stake": fmt_money(t["value_at_stake"], currency),
            "quarter_value": fmt_money(t["value_at_stake"] / 4, currency),
            "business_owner": t["business_owner"], "technology_owner": t["technology_owner"], "why": t["why"]}


def _budget(plan: Plan, target: dict[str, Any], b: Basis) -> dict[str, Any]:
    """The before/after budget table, its chart, and the hardening split by friction point."""
    currency, budget = b.currency, plan.budget
    before, after = budget["before"], budget["after"]
    lines = [("New-model development", "experimental models", before["new_models"], after["new_models"]),
             (f"Hardening {target['name']}", "hardening", before["hardening"], after["hardening"])]
    rows = [{"line": name, "tag": tag, "before": fmt_money(x, currency), "after": fmt_money(y, currency),
             "delta": fmt_signed_money(y - x, currency)} for name, tag, x, y in lines]
    tb, ta = sum(x for _, _, x, _ in lines), sum(y for _, _, _, y in lines)
    total = {"before": fmt_money(tb, currency), "after": fmt_money(ta, currency),
             "delta": fmt_signed_money(ta - tb, currency),
             "note": "a pure reallocation: the changes sum to zero" if abs(ta - tb) < 0.5
             else f"net change {fmt_signed_money(ta - tb, currency)}"}
    svg = charts.budget_bars([(name, x, y) for name, _, x, y in lines], currency=currency, accent=b.accent,
                             title="Budget moves from new models to hardening")
    titles = {d.id: d.title for d in b.q.dimensions}
    by_dim = [{"title": titles.get(k, k), "amount": fmt_money(v, currency)}
              for k, v in budget["by_dimension"].items() if v]
    return {"budget_rows": rows, "budget_total": total, "budget_svg": Markup(svg), "by_dimension": by_dim}


def _scorecard(plan: Plan, currency: str) -> list[dict[str, Any]]:
    """The deployments that could be hardened, against the plan's criteria (best first)."""
    metric = {d["id"]: d["pnl_metric"] for d in plan.deployments}
    return [{"name": r["name"], "stage": r["stage"], "value": fmt_money(r["value_at_stake"], currency),
             "basis": r["value_basis"].replace("-", " "), "starts": r["value_starts"],
             "cost": fmt_money(r["hardening_cost"], currency), "adjusted": fmt_money(r["risk_adjusted_value"], currency),
             "metric": metric[r["id"]], "rank": fmt_score(r["rank"]), "target": r["id"] == plan.target["id"]}
            for r in plan.scorecard]


def _funding(plan: Plan, currency: str) -> list[dict[str, Any]]:
    """Every new-model line and what the plan does with it (amounts add up to the shift)."""
    return [{"name": f["name"], "decision": f["decision"], "amount": fmt_money(f["amount"], currency),
             "forgone": fmt_money(f["value_forgone"], currency) if f["value_forgone"] else MISSING,
             "restart": (f"{f['restart_condition']}; day {f['earliest_restart_day']} at the earliest"
                         if f["restart_condition"] else MISSING)} for f in plan.funding]


def _kpi(plan: Plan) -> dict[str, Any]:
    """The target's day-90 P&L commitment, or why there is none."""
    k = plan.kpi
    target = plan.milestones[-1].pnl_target if plan.milestones else None
    return {"target": target, "missing": plan.kpi_missing,
            "measured_by": ("a holdout group that keeps the current process" if k and k["measured_by"] == "holdout"
                            else "the same metric before and after" if k else None)}


def _action(a: PlannedAction, titles: dict[str, str], currency: str, common: str) -> dict[str, Any]:
    by_name: dict[str, list[str]] = {}
    for o in a.owners:
        by_name.setdefault(o["name"], []).append(o["role_label"])
    return {"accountable": f"{a.accountable['name']} · {a.accountable['role_label']}",
            "accountable_name": a.accountable["name"],
            "responsible": [f"{r['name']} · {r['role_label']}" for r in a.responsible],"id": a.id, "title": a.title, "description": a.description, "addresses": titles.get(a.dimension, a.dimension),
            "phase": a.phase, "days": f"{a.start_day}–{a.end_day}", "start": a.start_day, "end": a.end_day,
            "owner_names": " / ".join(dict.fromkeys(o["name"] for o in a.owners)) or NOT_AGREED,
            "owner_groups": [{"name": k, "roles": ", ".join(dict.fromkeys(v))} for k, v in by_name.items()],
            "kpi": a.kpi if not a.measured_on or a.measured_on == common else f"{a.kpi}, measured on {a.measured_on}",
            "cost": fmt_money(a.cost, currency)}


def _actions(plan: Plan, b: Basis) -> dict[str, Any]:
    """The action table, the Gantt chart, the first 30 days, and where most KPIs are measured."""
    titles = {d.id: d.title for d in b.q.dimensions}
    ordered = sorted(plan.actions, key=lambda a: (a.start_day, a.id))
    # Where (nearly) every KPI is measured is said once above the table, not after each KPI.
    places = Counter(a.measured_on for a in ordered if a.measured_on).most_common(1)
    common = places[0][0] if places and places[0][1] >= max(2, len(ordered) // 2) else ""
    actions = [_action(a, titles, b.currency, common) for a in ordered]
    bars = [charts.GanttBar(a.title, " / ".join(o["role_label"] for o in a.owners[:2]), a.phase, a.start_day,
                            a.end_day) for a in ordered]
    gantt = charts.gantt(bars, width=490, title="90-day plan: actions by day and phase") if bars else ""
    return {"actions": actions, "gantt_svg": Markup(gantt), "kpi_common": common, "first30": _first30(ordered, actions)}


def _first30(ordered: list[PlannedAction], actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The three highest-priority actions of days 1-30, in the plan's funding priority order (1 = first)."""
    early = [(a, row) for a, row in zip(ordered, actions, strict=True) if a.phase == 1 or a.start_day <= 30]
    early.sort(key=lambda p: (getattr(p[0], "priority", 0) or 10**6, p[0].start_day, p[0].id))
    return [row for _, row in early[:3]]


def milestone_measures(m: Milestone) -> list[str]:
    """How a milestone is checked: its actions' library KPIs (else the target's P&L metric),
    plus the re-assessment at the last milestone."""
    measures = list(m.measures) or [m.pnl_measure]
    if m.reassessment:
        measures.append(REASSESSMENT_MEASURE)
        if m.measures:
            measures.append(m.pnl_measure)
    return measures


def _milestone(m: Milestone, rdate: dt.date) -> dict[str, Any]:
    delivered = list(m.delivered) or [f"No funded action finishes between day {m.previous_day + 1} and day {m.day}"]
    measures = milestone_measures(m)
    tail = (f"Re-assessment with the same questionnaire ({m.reassessment}) to show whether the friction scores "
            "moved." if m.reassessment else "")
    return {"day": m.day, "date": long_date(rdate + dt.timedelta(days=m.day)), "outcome": delivered[:4],
            "outcome_more": max(len(delivered) - 4, 0), "outcome_tail": tail, "measures": measures[:3],
            "measures_more": max(len(measures) - 3, 0), "all_measures": measures,
            "measured_on": m.measured_on if m.measures else ""}


def _pause(plan: Plan, target_name: str, currency: str) -> list[dict[str, str]]:
    stage = {d["id"]: d["stage"] for d in plan.deployments}
    return [{"name": p["name"], "stage": stage[p["id"]], "saving": fmt_money(p["quarterly_cost"], currency),
             "restart": f"Resume when {target_name} has met its day-90 milestone and its monitoring SLO has held "
                        "for 4 consecutive weeks."} for p in plan.pause_detail["items"]]


def _person(b: Basis, name: str | None) -> str | None:
    """``Name · title`` of one of the engagement's ``people``."""
    p = next((p for p in b.inputs.engagement.people if p.name == name), None)
    return (f"{p.name} · {p.title}" if p.title else p.name) if p else None


def _owners(b: Basis, target: dict[str, Any] | None) -> tuple[dict[str, str], str]:
    """Who owns a risk about a friction point (the accountable of the plan's first action on it), and the fallback
    (the sponsor, else the target's business owner)."""
    plan = b.inputs.plan
    by_dim: dict[str, str] = {}
    for a in sorted(plan.actions, key=lambda a: (a.start_day, a.id)) if plan else ():
        if a.accountable.get("name") and a.accountable["name"] != "to be named":
            by_dim.setdefault(a.dimension, _person(b, a.accountable["name"]) or a.accountable["name"])
    fallback = (_person(b, b.inputs.engagement.sponsor) or (target["business_owner"] if target else None)
                or NOT_AGREED)
    return by_dim, fallback


def _risk(risk: str, likelihood: str, impact: str, mitigation: str, owner: str, source: str) -> dict[str, str]:
    return {"risk": risk, "likelihood": likelihood, "impact": impact, "mitigation": mitigation, "owner": owner,
            "source": source}


def _data_risks(b: Basis, dims: list[dict[str, Any]], flagged_gaps: list[dict[str, Any]], small_roles: list[str],
                target: dict[str, Any] | None) -> list[dict[str, str]]:
    """Risks the data raise: disagreement, perception gaps, weak friction points the plan does not fund,
    a target still in staging, groups too small to hear."""
    by_dim, fallback = _owners(b, target)
    title_id = {d["title"]: d["id"] for d in dims}
    out = [_risk(f"Respondents disagree on {d['title']} (rwg {d['rwg']}); the score may hide two camps.",
                 "medium", "medium", "Validate the finding in a workshop with both camps before day 30.",
                 by_dim.get(d["id"], fallback), "data: low agreement") for d in dims if "contested" in d["flags"]]
    out += [_risk(f"Leadership and practitioners see {g['title']} differently ({g['difference']} points on the "
                  f"{g['items']} statements both answered); leaders may overestimate readiness.", "medium", "high",
                  f"Walk through {target['name'] if target else 'the deployment'}'s failure modes with practitioners "
                  "before the day-30 checkpoint.", by_dim.get(title_id.get(g["title"], ""), fallback),
                  "data: perception gap") for g in flagged_gaps[:2]]
    funded = {a.dimension for a in b.inputs.plan.actions} if b.inputs.plan else set()
    out += [_risk(f"{d['title']} is among the weakest friction points ({d['score']}/100) and no funded action "
                  "addresses it in these 90 days.", "high", "medium",
                  "Name an owner to scope it for the next 90 days; review at the day-45 board note.", fallback,
                  "data: unfunded weak friction point")
            for d in sorted((d for d in dims if d["score_value"] is not None), key=lambda d: d["score_value"])[:3]
            if d["id"] not in funded and b.inputs.plan is not None]
    if target and target["stage"] == "staging":
        out.append(_risk(f"{target['name']} is still in staging: no value is realised until it goes live, and "
                         "the go-live can slip.", "medium", "high",
                         "Put the go-live first in phase 1 with a dated decision; escalate to the sponsor at day 15.",
                         fallback, "plan: staging target"))
    if small_roles:
        out.append(_risk("Too few answers from " + ", ".join(small_roles) + " to show their view separately.",
                         "low", "medium", "Interview these roles in phase 1 and include them in the day-90 re-survey.",
                         fallback, "data: small group"))
    return out


def risks(b: Basis, dims: list[dict[str, Any]], flagged_gaps: list[dict[str, Any]], small_roles: list[str],
          target: dict[str, Any] | None) -> list[dict[str, str]]:
    """The risk register: the risks the data and the plan raise, then the consultant's own (``risks:``)."""
    out = _data_risks(b, dims, flagged_gaps, small_roles, target)
    out += [_risk(r.risk, r.likelihood, r.impact, r.mitigation, _person(b, r.owner) or r.owner, "consultant")
            for r in b.inputs.engagement.risks]
    return out


def _dates(rdate: dt.date) -> dict[str, str]:
    return {"reassess": long_date(rdate + dt.timedelta(days=90)), "d45": long_date(rdate + dt.timedelta(days=45))}


def no_plan(b: Basis, dims: list[dict[str, Any]], flagged_gaps: list[dict[str, Any]],
            small_roles: list[str]) -> dict[str, Any]:
    """The plan context when no plan could be built: nothing moves, and the pages say so."""
    return {"target": None, "shift": MISSING, "shift_value": 0.0, "scorecard": [], "funding": [], "first30": [],
            "warnings": [], "assumptions": [], "kpi": {"target": None, "missing": None},
            "milestones": [], "measured_on": "", "pause": [], "notes": [], "success": [], "actions": [],
            "risks": risks(b, dims, flagged_gaps, small_roles, None), **_dates(b.rdate)}


def plan_section(b: Basis, dims: list[dict[str, Any]], flagged_gaps: list[dict[str, Any]],
                 small_roles: list[str]) -> dict[str, Any]:
    """The complete plan context (``no_plan`` when the inputs carry no plan)."""
    plan = b.inputs.plan
    if plan is None:
        return no_plan(b, dims, flagged_gaps, small_roles)
    currency = b.currency
    target = _target(plan, currency)
    milestones = [_milestone(m, b.rdate) for m in plan.milestones]
    budget = plan.budget
    return {"target": target, "shift": fmt_money(budget["shift"], currency), "shift_value": budget["shift"],
            "max_shift": fmt_pct(budget["max_shift"]), "rule": budget["rule"], **_budget(plan, target, b),
            "scorecard": _scorecard(plan, currency), "funding": _funding(plan, currency), "kpi": _kpi(plan),
            "cost_of_inaction": plan.cost_of_inaction["rule"], "warnings": list(plan.warnings),
            "assumptions": list(plan.assumptions), "override": plan.target["override"],
            **_actions(plan, b), "milestones": milestones,
            "measured_on": next((m["measured_on"] for m in milestones if m["measured_on"]), ""),
            "pause": _pause(plan, target["name"], currency), "notes": list(plan.notes),
            "risks": risks(b, dims, flagged_gaps, small_roles, target),
            "total_cost": fmt_money(plan.total_cost, currency),
            "success": milestones[-1]["measures"][:3] if milestones else [], **_dates(b.rdate)}
