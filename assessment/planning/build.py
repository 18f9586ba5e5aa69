"""``build_plan``: compose the plan's rules into one :class:`~assessment.planning.model.Plan`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from ..engagement import Deployment, Engagement
from ..errors import PlanError
from ..questionnaire import Questionnaire
from . import portfolio
from .model import Milestone, Plan, PlannedAction
from .money import cents, exact, fmt, money, round_up
from .raci import Assigner
from .select import GO_LIVE_BY_DAY, LIVE_TRAFFIC, LOOP_TAGS, DimState, Selection, is_loop, priority_order, select

if TYPE_CHECKING:
    from ..scoring import ScoreResult

MILESTONE_DAYS = (30, 60, 90)


def _score_rows(scores: Any) -> list[Any]:
    """The per-dimension rows of a ScoreResult or of its JSON shape."""
    if isinstance(scores, Mapping):
        return list(scores.get("dimensions") or [])
    if hasattr(scores, "dimensions"):
        return list(scores.dimensions)
    raise PlanError("scores must be a ScoreResult or the JSON that `assess score --format json` writes")


def dimension_states(questionnaire: Questionnaire, scores: Any) -> list[DimState]:
    """Per questionnaire dimension: its score and level (None if unscored)."""
    rows = {str(r["id"]): r for r in _score_rows(scores) if isinstance(r, Mapping) and r.get("id") is not None}
    states = []
    for i, dim in enumerate(questionnaire.dimensions):
        row = rows.get(dim.id, {})
        raw = row.get("score")
        value = None if raw is None or isinstance(raw, bool) or math.isnan(float(raw)) else float(raw)
        if value is not None and not 0 <= value <= 100:
            raise PlanError(f"score of dimension `{dim.id}` is {value:g}, outside 0-100")
        found = questionnaire.level_for(value) if value is not None else None
        states.append(DimState(dim.id, dim.title, exact(dim.weight), exact(value) if value is not None else None,
                               value, found.level if found else None, i))
    return states


def _check_max_shift(value: float, *, override: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value) or not 0 <= value <= 1:
        raise PlanError("max_shift (the share of the new-model budget the plan may move) must be between 0 and 1, "
                        f"got {value!r}", file=None if override else portfolio.ENGAGEMENT_FILE)
    return float(value)


@dataclass(frozen=True)
class _Money:
    hardening: int
    new_models: int
    cap: int
    contingency: Fraction
    rounding: int

    @property
    def available(self) -> int:
        return self.hardening + self.cap


def _selection(q: Questionnaire, states: list[DimState], target: Deployment, m: _Money,
               currency: str) -> tuple[Selection, list[str], list[Any]]:
    order = priority_order(q, states, target)
    return select(order, target, m.available, m.contingency, currency), order.notes, order.actions


def _budget(sel: Selection, states: list[DimState], m: _Money, cap_share: float, currency: str) -> dict[str, Any]:
    with_contingency = math.ceil(sel.cost_cents * (1 + m.contingency))
    shift = min(round_up(with_contingency - m.hardening, m.rounding), m.cap)
    hard_after = m.hardening + shift
    by_dim: dict[str, int] = {s.id: 0 for s in states}
    for a in sel.actions.values():
        by_dim[a.dimension] = by_dim.get(a.dimension, 0) + cents(a.cost)
    by_dim = {k: v for k, v in by_dim.items() if v}
    by_dim["contingency"] = hard_after - sum(by_dim.values())
    contingency_amount = with_contingency - sel.cost_cents
    rule = (f"Shift = funded actions {fmt(currency, sel.cost_cents)} + contingency {float(m.contingency):.0%} "
            f"({fmt(currency, contingency_amount)}) - existing hardening budget {fmt(currency, m.hardening)}, "
            f"rounded up to a multiple of {fmt(currency, m.rounding)} and capped at max_shift {cap_share:g} x "
            f"new-model budget {fmt(currency, m.new_models)} = {fmt(currency, m.cap)}: {fmt(currency, shift)}.")
    return {"before": {"new_models": money(m.new_models), "hardening": money(m.hardening)},
            "after": {"new_models": money(m.new_models - shift), "hardening": money(hard_after)},
            "shift": money(shift), "max_shift": cap_share, "cap": money(m.cap), "rule": rule,
            "actions_cost": money(sel.cost_cents), "contingency": float(m.contingency),
            "contingency_amount": money(contingency_amount), "rounding": money(m.rounding),
            "unallocated": money(hard_after - with_contingency) if hard_after >= with_contingency else 0.0,
            "by_dimension": {k: money(v) for k, v in by_dim.items()}, "friction": _friction(states), "_shift": shift}


def _friction(states: list[DimState]) -> float:
    """Weighted mean of (100 - score)/100 over scored friction points: shown, no longer money."""
    scored = [s for s in states if s.score is not None]
    total = sum((s.weight for s in scored), Fraction(0))
    if not scored or total == 0:
        return 1.0
    return round(float(sum((s.weight * (100 - s.score) for s in scored), Fraction(0)) / (100 * total)), 4)


def _planned(q: Questionnaire, sel: Selection, target: Deployment, assigner: Assigner,
             order: list[Any]) -> list[PlannedAction]:
    index = {a.id: i for i, a in enumerate(q.actions)}
    rank = {a.id: i + 1 for i, a in enumerate(order)}
    planned = []
    for aid, (phase, start, end, by) in sorted(sel.funded.items(), key=lambda kv: (kv[1][1], index.get(kv[0], -1))):
        a = sel.actions[aid]
        accountable, responsible = assigner.assign(a, phase)
        loop = is_loop(a)
        planned.append(PlannedAction(
            id=a.id, title=a.title, description=a.description or "", dimension=a.dimension, phase=phase,
            library_phase=a.phase, start_day=start, end_day=end, effort_days=a.effort_days,
            accountable=accountable, responsible=responsible, kpi=a.kpi,
            measured_on=f"{target.name}'s {target.pnl_metric}" if loop else None, cost_cents=cents(a.cost),
            after=tuple(a.after), tags=tuple(a.tags), pulled_in_by=by, built_in=aid not in q.action_by_id,
            priority=rank[aid]))
    planned.sort(key=lambda p: (p.phase, p.start_day, index.get(p.id, -1)))
    return planned


def _kpi(target: Deployment) -> tuple[dict[str, Any] | None, str | None, str | None]:
    """The target's P&L KPI, why it is missing, and the day-90 commitment in words."""
    if target.kpi is None:
        return None, (f"engagement.yaml gives no `kpi` for {target.id}: the day-90 P&L target is not set; add "
                      "baseline, target_90d, unit and measured_by"), None
    k = target.kpi
    data = {"metric": target.pnl_metric, "baseline": k.baseline, "target_90d": k.target_90d,
            "target_12m": k.target_12m, "unit": k.unit, "measured_by": k.measured_by}
    unit = "" if not k.unit else k.unit if k.unit.startswith("%") and len(k.unit) == 1 else f" {k.unit}"
    how = "against a holdout group" if k.measured_by == "holdout" else "before and after"
    if k.baseline is None:
        return data, "no baseline yet: the plan's first action measures it", None
    if k.target_90d is None:
        return data, "no day-90 target given (kpi.target_90d)", None
    return data, None, (f"{target.pnl_metric} of {target.name} from {k.baseline:g}{unit} to {k.target_90d:g}{unit} "
                        f"by day 90, measured {how}")


def _milestones(planned: list[PlannedAction], target: Deployment, q: Questionnaire,
                pnl_target: str | None) -> list[Milestone]:
    out, prev = [], 0
    pnl = f"{target.pnl_metric} of {target.name} against its baseline"
    for day in MILESTONE_DAYS:
        done = [a for a in planned if prev < a.end_day <= day]
        last = day == MILESTONE_DAYS[-1]
        out.append(Milestone(day=day, previous_day=prev, actions=tuple(a.id for a in done),
                             delivered=tuple(a.title for a in done), measures=tuple(a.kpi for a in done),
                             measured_on=f"{target.name}'s {target.pnl_metric}", pnl_measure=pnl,
                             reassessment=f"{q.id} version {q.version}" if last else None,
                             pnl_target=pnl_target if last else None))
        prev = day
    return out


def _loop_share(planned: list[PlannedAction], q: Questionnaire, sel: Selection, target_share: float
                ) -> tuple[dict[str, Any], list[str]]:
    early = [a for a in planned if a.start_day <= 30]
    total = sum(a.effort_days for a in early)
    loop = sum(a.effort_days for a in early if any(t in LOOP_TAGS for t in a.tags))
    share = loop / total if total else 0.0
    data = {"share": round(share, 4), "target": target_share, "loop_effort_days": loop, "effort_days": total}
    if share + 1e-9 >= target_share:
        return data, []
    waiting = [a.id for a in q.actions if is_loop(a) and a.id not in sel.funded]
    fix = (f"fund the loop-closing actions not in the plan ({', '.join(waiting)})" if waiting else
           "move loop-closing work forward or phase-1 work back")
    return data, [f"Only {share:.0%} of day 1-30 effort ({loop} of {total} people-days) goes into closing loops "
                  f"between the deployed model and its P&L metric or into decay monitoring; the plan's rule aims "
                  f"at {target_share:.0%} (plan.loop_effort_share). To close the gap: {fix}."]


def _value_start(target: Deployment, planned: list[PlannedAction], go_live: str | None) -> int | None:
    if target.stage == "production":
        return 0
    ends = {a.id: a.end_day for a in planned}
    return ends.get(go_live) if go_live else None


def _cost_of_inaction(target: Deployment, start: int | None, ramp: list[float], currency: str) -> dict[str, Any]:
    monthly = Fraction(portfolio.value_cents(target), 12)
    first = 3 if start is None else math.ceil(start / 30) if start else 0
    shares = [ramp[m - first - 1] if m > first else 0.0 for m in (1, 2, 3)]
    amount = round(sum(monthly * exact(s) for s in shares))
    when = "now (in production)" if start == 0 else (f"after the go-live ends on day {start}" if start else
                                                    "not within 90 days (no go-live in the plan)")
    rule = (f"Value at stake {fmt(currency, portfolio.value_cents(target))} a year starts {when}; ramp "
            f"{' / '.join(f'{r:.0%}' for r in ramp)} of the monthly value in the months after: a quarter's delay "
            f"forgoes {fmt(currency, amount)}.")
    return {"amount": money(amount), "value_start_day": start, "ramp": list(ramp), "rule": rule}


def _money_inputs(engagement: Engagement, cap_share: float) -> _Money:
    settings = engagement.plan
    new = cents(engagement.budget.new_models)
    return _Money(hardening=cents(engagement.budget.hardening), new_models=new,
                  cap=math.floor(exact(cap_share) * new), contingency=exact(settings.contingency),
                  rounding=cents(settings.rounding))


def _assumptions(engagement: Engagement, target: Deployment) -> list[str]:
    s = engagement.plan
    return [f"Contingency {s.contingency:.0%} on the funded actions' cost; the shift is rounded up to "
            f"{engagement.currency} {s.rounding:,.0f}.",
            "Stage factors (value that can start, and its risk): " + ", ".join(
                f"{k} {v:g}" for k, v in s.stage_factors.items()) + ".",
            "Value-basis factors (how far an annual value can be trusted): " + ", ".join(
                f"{k} {v:g}" for k, v in s.basis_factors.items()) + f"; {target.name}'s value is "
            f"{target.value_basis.replace('-', ' ')}.",
            "Ramp after value can start: " + " / ".join(f"{r:.0%}" for r in s.ramp) + " of the monthly value at "
            "stake in months 1-3.",
            f"Loop-closing effort aimed at: {s.loop_effort_share:.0%} of day 1-30 people-days."]


def _deployments(engagement: Engagement) -> tuple[dict[str, Any], ...]:
    """Every deployment, largest value at stake first (``rank``; the scorecard ranks the eligible ones)."""
    ordered = sorted(engagement.deployments, key=lambda d: (-portfolio.value_cents(d), d.id))
    return tuple({"id": d.id, "name": d.name, "stage": d.stage, "pnl_metric": d.pnl_metric,
                  "annual_value": money(cents(d.annual_value)), "realized_share": float(d.realized_share),
                  "value_at_stake": money(portfolio.value_cents(d)), "value_basis": d.value_basis,
                  "rank": rank, "eligible": d.stage in portfolio.ELIGIBLE_STAGES}
                 for rank, d in enumerate(ordered, 1))


def _go_live_warnings(planned: list[PlannedAction], target: Deployment, go_live: str | None) -> list[str]:
    if target.stage != "staging":
        return []
    if go_live is None:
        return [f"{target.name} is in staging and the money does not reach its go-live: no value can start "
                "within 90 days."]
    end = next(a.end_day for a in planned if a.id == go_live)
    out = [] if end <= GO_LIVE_BY_DAY else [f"The go-live of {target.name} ends on day {end}, later than day "
                                             f"{GO_LIVE_BY_DAY}."]
    early = [a.id for a in planned if LIVE_TRAFFIC in a.tags and a.start_day <= end]
    return out + ([f"Actions needing live traffic start before the go-live ends: {', '.join(early)}."] if early else [])


def build_plan(questionnaire: Questionnaire, engagement: Engagement, scores: ScoreResult | Mapping[str, Any], *,
               max_shift: float | None = None) -> Plan:
    """Build the 90-day plan (the package docstring states every rule).

    ``scores`` is a ScoreResult (or its JSON shape); ``max_shift`` overrides the
    engagement's ``budget.max_shift``. Raises :class:`PlanError` when no deployment
    can be hardened or ``max_shift`` is outside 0-1.
    """
    q, currency = questionnaire, engagement.currency
    cap_share = _check_max_shift(engagement.budget.max_shift if max_shift is None else max_shift,
                                 override=max_shift is not None)
    states = dimension_states(q, scores)
    m = _money_inputs(engagement, cap_share)
    rows = portfolio.scorecard(engagement, lambda d: _selection(q, states, d, m, currency)[0].cost_cents)
    target, override = portfolio.choose_target(engagement, rows)
    sel, order_notes, order = _selection(q, states, target, m, currency)
    budget = _budget(sel, states, m, cap_share, currency)
    shift = budget.pop("_shift")
    assigner = Assigner(q, engagement)
    planned = _planned(q, sel, target, assigner, order)
    kpi, kpi_missing, pnl_target = _kpi(target)
    loop_share, loop_warnings = _loop_share(planned, q, sel, engagement.plan.loop_effort_share)
    funding, funding_warnings = portfolio.funding(engagement, shift, target, 91, currency)
    paused = [f for f in funding if f["decision"] == "pause"]
    sponsor = next(({"name": p.name, "title": p.title} for p in engagement.people if p.name == engagement.sponsor),
                   None)
    index = {a.id: i for i, a in enumerate(order)}
    return Plan(
        currency=currency, questionnaire={"id": q.id, "version": q.version},
        target={"id": target.id, "name": target.name, "stage": target.stage, "pnl_metric": target.pnl_metric,
                "value_at_stake": money(portfolio.value_cents(target)), "value_basis": target.value_basis,
                "rank": next(r["rank"] for r in rows if r["id"] == target.id), "override": override,
                "go_live": sel.go_live, "business_owner": target.business_owner,
                "technology_owner": target.technology_owner,
                "accountable_for_value": [target.business_owner, target.technology_owner],
                "why": portfolio.target_why(target, rows, override, currency)},
        deployments=_deployments(engagement), scorecard=tuple(portfolio.public(rows)), budget=budget,
        funding=tuple(funding), pause=tuple(f["source"] for f in paused),
        pause_detail=_pause_detail(paused, shift, currency),
        actions=tuple(planned),
        unfunded=tuple({"id": k, "reason": v} for k, v in sorted(sel.unfunded.items(), key=lambda kv: index[kv[0]])),
        milestones=tuple(_milestones(planned, target, q, pnl_target)),
        baseline=tuple({"id": s.id, "title": s.title, "score": s.score_float, "level": s.level} for s in states),
        kpi=kpi, kpi_missing=kpi_missing, loop_effort_share=loop_share,
        cost_of_inaction=_cost_of_inaction(target, _value_start(target, planned, sel.go_live),
                                           list(engagement.plan.ramp), currency),
        sponsor=sponsor, assumptions=tuple(_assumptions(engagement, target)),
        warnings=tuple([*assigner.warnings(engagement), *loop_warnings, *funding_warnings,
                        *_go_live_warnings(planned, target, sel.go_live)]),
        notes=tuple([*order_notes, *sel.notes]),
    )


def _pause_detail(paused: list[dict[str, Any]], shift: int, currency: str) -> dict[str, Any]:
    freed = sum(cents(f["amount"]) for f in paused)
    if shift == 0:
        sentence = "No budget moves, so no pilot is paused."
    elif not paused:
        sentence = f"No pilot with a quarterly_cost is listed: the {fmt(currency, shift)} comes from the new-model budget."
    else:
        sentence = (f"Pause {', '.join(f['source'] for f in paused)} (lowest value at stake first): "
                    f"{fmt(currency, freed)} of the {fmt(currency, shift)} moved"
                    + ("." if freed >= shift else f"; the other {fmt(currency, shift - freed)} comes from the "
                       "new-model budget not tied to a pilot."))
    return {"items": [{**f, "id": f["source"]} for f in paused], "freed": money(freed), "shift": money(shift), "covers_shift": freed >= shift,
            "sentence": sentence}


def compare_scenarios(questionnaire: Questionnaire, engagement: Engagement, scores: ScoreResult | Mapping[str, Any],
                      shifts: list[float]) -> list[dict[str, Any]]:
    """One row per ``max_shift`` value: what moves and what gets funded. Funding is a prefix of one
    priority order, so each larger cap funds every action a smaller one does."""
    rows = []
    for cap in shifts:
        plan = build_plan(questionnaire, engagement, scores, max_shift=cap)
        rows.append({
            "max_shift": plan.budget["max_shift"], "shift": plan.budget["shift"],
            "new_models_after": plan.budget["after"]["new_models"],
            "hardening_after": plan.budget["after"]["hardening"], "actions_funded": len(plan.actions),
            "action_ids": [a.id for a in plan.actions], "total_cost": plan.total_cost,
            "dimensions_covered": sorted({a.dimension for a in plan.actions},
                                         key=[d.id for d in questionnaire.dimensions].index),
            "unfunded": len(plan.unfunded), "pause": list(plan.pause),
        })
    return rows
