"""The 90-day plan: move budget from new models to hardening the most valuable
deployment the client already has, and spend it on the library's actions.

Everything here is a pure function of three inputs, so a consultant can defend
every number ("how did you get 86,000?") and tests need no scoring run:

* the questionnaire (dimension weights, roles, the ``actions`` library),
* the engagement (currency, budget split, deployments),
* the scores: a :class:`~assessment.scoring.ScoreResult`, or its JSON shape
  (``{"dimensions": [{"id", "score", "level", ...}], ...}``, scores 0-100 or None)
  as ``assess score --format json`` writes it.

Money is computed in integer cents with exact fractions (inputs are read through
their decimal ``repr``, so ``0.3`` is 3/10, not 0.2999...). That is what makes the
promises hold to the cent: the budget total is conserved, the shift never exceeds
the cap, the split by dimension adds up exactly, and the shift never shrinks when
a score gets worse.

The rules, in the order they are applied:

1. Only production or staging deployments can be hardened; the target is the one
   with the largest value at stake, ``annual_value x (1 - realized_share)``
   (ties: the smaller id).
2. ``friction`` = weighted mean over scored dimensions of ``(100 - score) / 100``
   (dimension weights; 1 when nothing is scored);
   ``shift = max_shift x new_models x friction``, rounded down to a whole currency unit.
3. The hardening budget after the shift is split over the scored dimensions in
   proportion to ``(100 - score) x weight`` (largest-remainder rounding to whole units).
4. Actions apply when ``max_level >=`` the dimension's level. Loop-closing actions
   (tags ``feedback-loop`` / ``decay-monitoring``) are funded first and scheduled in
   phase 1; then the rest, most severe dimension first (lowest score), by phase and
   library order. An action is funded while the cumulative cost fits the hardening
   budget after the shift; a missing prerequisite is *pulled in* with it when the
   two together fit (a prerequisite the client has outgrown, i.e. not applicable at
   its level, counts as already in place).
5. Phase ``p`` runs days ``30(p-1)+1 .. 30p``. An action starts at the later of its
   window start and the day after its last prerequisite ends; if it would end past
   its window it moves to the next phase, and past day 90 it is not funded.
6. Pilots with a ``quarterly_cost`` are proposed for pausing, lowest value at stake
   first, until the freed money covers the shift.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from .engagement import Deployment, Engagement
from .errors import PlanError
from .questionnaire import LEADERSHIP, Action, Questionnaire

if TYPE_CHECKING:
    from .scoring import ScoreResult

ENGAGEMENT_FILE = "engagement.yaml"
ELIGIBLE_STAGES = ("production", "staging")
LOOP_TAGS = ("feedback-loop", "decay-monitoring")
PHASE_DAYS = 30
PHASES = (1, 2, 3)
MILESTONE_DAYS = (30, 60, 90)


# -- exact money helpers ----------------------------------------------------------------


def _exact(value: float | int) -> Fraction:
    """The decimal a user wrote, exactly (``0.3`` -> 3/10), via the float's shortest repr."""
    if isinstance(value, int):
        return Fraction(value)
    return Fraction(repr(float(value)))


def _cents(value: float | int) -> int:
    return round(_exact(value) * 100)


def _money(cents: int) -> float:
    return round(cents / 100, 2)


def _fmt(currency: str, cents: int) -> str:
    """``EUR 580,656`` for whole amounts, ``EUR 12.50`` otherwise."""
    return f"{currency} {cents / 100:,.0f}" if cents % 100 == 0 else f"{currency} {cents / 100:,.2f}"


def window(phase: int) -> tuple[int, int]:
    """First and last day of a 30-day phase (1 -> days 1..30)."""
    return PHASE_DAYS * (phase - 1) + 1, PHASE_DAYS * phase


# -- result types ----------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedAction:
    """One funded, scheduled action with named owners and a KPI on the target's P&L metric."""

    id: str
    title: str
    description: str
    dimension: str
    phase: int
    library_phase: int
    start_day: int
    end_day: int
    effort_days: int
    owners: tuple[dict[str, str], ...]
    kpi: str  # the library's KPI for the action
    measured_on: str  # where it is measured: the target deployment's P&L metric
    cost_cents: int
    after: tuple[str, ...]
    tags: tuple[str, ...]
    pulled_in_by: str | None = None

    @property
    def cost(self) -> float:
        return _money(self.cost_cents)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "title": self.title, "description": self.description,
            "dimension": self.dimension, "phase": self.phase, "library_phase": self.library_phase,
            "start_day": self.start_day, "end_day": self.end_day, "effort_days": self.effort_days,
            "owners": [dict(o) for o in self.owners], "kpi": f"{self.kpi}, measured on {self.measured_on}",
            "action_kpi": self.kpi, "measured_on": self.measured_on, "cost": self.cost,
            "after": list(self.after), "tags": list(self.tags), "pulled_in_by": self.pulled_in_by,
        }


@dataclass(frozen=True)
class Milestone:
    """A 30-day checkpoint: the actions that finish in its window and what proves them."""

    day: int
    previous_day: int
    actions: tuple[str, ...]  # ids of the funded actions that end in (previous_day, day]
    delivered: tuple[str, ...]  # their titles
    measures: tuple[str, ...]  # their KPIs, as the action library words them
    measured_on: str  # where those KPIs are measured: the target's P&L metric
    pnl_measure: str  # the target's P&L metric against its day-0 value
    reassessment: str | None = None  # the questionnaire re-run at the last milestone

    @property
    def outcome(self) -> str:
        """The milestone in one sentence (the JSON's ``outcome``)."""
        text = (f"In place: {'; '.join(self.delivered)}." if self.delivered else
                f"No funded action finishes between day {self.previous_day + 1} and day {self.day}.")
        if self.reassessment:
            text += (f" Re-assessment with the same questionnaire ({self.reassessment}) to show whether the "
                     "friction scores moved.")
        return text

    @property
    def measure(self) -> str:
        """How the milestone is checked, in one line (the JSON's ``measure``)."""
        parts = [f"{k}, measured on {self.measured_on}" for k in self.measures] or [self.pnl_measure]
        if self.reassessment:
            parts.append("dimension scores of the re-assessment against this plan's baseline")
            if self.measures:
                parts.append(self.pnl_measure)
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {"day": self.day, "outcome": self.outcome, "measure": self.measure, "actions": list(self.actions),
                "delivered": list(self.delivered), "measures": list(self.measures),
                "measured_on": self.measured_on, "pnl_measure": self.pnl_measure, "reassessment": self.reassessment}


@dataclass(frozen=True)
class Plan:
    """The 90-day plan. Build it with :func:`build_plan`; ``to_dict()`` is the JSON contract."""

    currency: str
    questionnaire: dict[str, str]
    target: dict[str, Any]
    deployments: tuple[dict[str, Any], ...]
    budget: dict[str, Any]
    pause: tuple[str, ...]
    pause_detail: dict[str, Any]
    actions: tuple[PlannedAction, ...]
    unfunded: tuple[dict[str, str], ...]
    milestones: tuple[Milestone, ...]
    baseline: tuple[dict[str, Any], ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def total_cost(self) -> float:
        return _money(sum(a.cost_cents for a in self.actions))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (no NaN: missing numbers are None, money has 2 decimals)."""
        return {
            "currency": self.currency,
            "questionnaire": dict(self.questionnaire),
            "target": dict(self.target),
            "deployments": [dict(d) for d in self.deployments],
            "budget": {**self.budget, "by_dimension": dict(self.budget["by_dimension"])},
            "pause": list(self.pause),
            "pause_detail": self.pause_detail,
            "actions": [a.to_dict() for a in self.actions],
            "total_cost": self.total_cost,
            "unfunded": [dict(u) for u in self.unfunded],
            "milestones": [m.to_dict() for m in self.milestones],
            "baseline": [dict(b) for b in self.baseline],
            "notes": list(self.notes),
        }


# -- inputs ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _DimState:
    id: str
    title: str
    weight: Fraction
    score: Fraction | None
    score_float: float | None
    level: int | None
    order: int


def _score_rows(scores: Any) -> list[Any]:
    """The per-dimension rows of a ScoreResult or of its JSON shape."""
    if isinstance(scores, Mapping):
        return list(scores.get("dimensions") or [])
    if hasattr(scores, "dimensions"):
        return list(scores.dimensions)
    raise PlanError("scores must be a ScoreResult or the JSON that `assess score --format json` writes")


def _dimension_states(questionnaire: Questionnaire, scores: Any) -> list[_DimState]:
    """Per questionnaire dimension: its score and level (None if unscored)."""
    rows = {}
    for row in _score_rows(scores):
        if isinstance(row, dict) and row.get("id") is not None:
            rows[str(row["id"])] = row
    states = []
    for i, dim in enumerate(questionnaire.dimensions):
        row = rows.get(dim.id, {})
        raw = row.get("score")
        value: float | None = None
        if raw is not None and not isinstance(raw, bool):
            value = float(raw)
            if math.isnan(value):
                value = None
            elif not 0 <= value <= 100:
                raise PlanError(f"score of dimension `{dim.id}` is {value:g}, outside 0-100")
        level = row.get("level")
        if value is None:
            level = None
        elif level is None or isinstance(level, bool):
            found = questionnaire.level_for(value)
            level = found.level if found else None
        else:
            level = int(level)
        states.append(_DimState(dim.id, dim.title, _exact(dim.weight),
                                _exact(value) if value is not None else None, value, level, i))
    return states


def _check_max_shift(value: float, *, override: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value) or not 0 <= value <= 1:
        where = "max_shift (the share of the new-model budget the plan may move)"
        raise PlanError(f"{where} must be between 0 and 1, got {value!r}",
                        file=None if override else ENGAGEMENT_FILE)
    return float(value)


# -- rules 1-2: target and deployments ----------------------------------------------------


def rank_deployments(engagement: Engagement) -> list[tuple[int, Deployment]]:
    """All deployments, largest value at stake first (ties: smaller id), with 1-based rank."""
    ordered = sorted(engagement.deployments, key=lambda d: (-_exact(d.annual_value) * (1 - _exact(d.realized_share)), d.id))
    return [(i + 1, d) for i, d in enumerate(ordered)]


def _value_cents(d: Deployment) -> int:
    return round(_exact(d.annual_value) * (1 - _exact(d.realized_share)) * 100)


def choose_target(engagement: Engagement) -> Deployment:
    """The eligible deployment (production or staging) with the largest value at stake."""
    if not engagement.deployments:
        raise PlanError("no deployments listed under `deployments:`; add the client's AI deployments "
                        "(id, name, stage, pnl_metric, annual_value, owners) to plan", file=ENGAGEMENT_FILE)
    for _rank, dep in rank_deployments(engagement):
        if dep.stage in ELIGIBLE_STAGES:
            return dep
    stages = ", ".join(sorted({d.stage for d in engagement.deployments}))
    raise PlanError("no deployment in production or staging to harden (stages listed: "
                    f"{stages}); the plan hardens an existing deployment, not a pilot", file=ENGAGEMENT_FILE)


def _target_why(target: Deployment, engagement: Engagement, currency: str) -> str:
    vas = _value_cents(target)
    text = (f"{target.name} ({target.stage}) has the largest value at stake among deployments in production "
            f"or staging: {_fmt(currency, _cents(target.annual_value))} a year x (1 - {target.realized_share:g} "
            f"realised) = {_fmt(currency, vas)} not yet realised")
    others = [d for _r, d in rank_deployments(engagement) if d.stage in ELIGIBLE_STAGES and d.id != target.id]
    if others:
        text += f"; next is {others[0].name} at {_fmt(currency, _value_cents(others[0]))}"
        if _value_cents(others[0]) == vas:
            text += f" (a tie, broken by the smaller id `{target.id}`)"
    return text + "."


# -- rule 3-4: shift and split -----------------------------------------------------------


def friction_of(states: list[_DimState]) -> Fraction:
    """Weighted mean of (100 - score)/100 over scored dimensions; 1 when none is scored."""
    scored = [s for s in states if s.score is not None]
    total_w = sum((s.weight for s in scored), Fraction(0))
    if not scored or total_w == 0:
        return Fraction(1)
    return sum((s.weight * (100 - s.score) for s in scored), Fraction(0)) / (100 * total_w)


def _largest_remainder(total: int, weights: list[Fraction]) -> list[int]:
    """Split ``total`` cents in proportion to ``weights`` so that the parts add up exactly.

    Ties in the remainder go to the earlier item (dimension order)."""
    wsum = sum(weights, Fraction(0))
    if total <= 0 or wsum <= 0:
        return [0] * len(weights)
    quotas = [total * w / wsum for w in weights]
    parts = [math.floor(q) for q in quotas]
    short = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - parts[i]), i))
    for i in order[:short]:
        parts[i] += 1
    return parts


def split_by_dimension(hardening_cents: int, states: list[_DimState]) -> dict[str, int]:
    """Hardening cents per dimension, in proportion to (100 - score) x weight.

    Unscored dimensions get nothing; if no dimension carries any friction (all
    unscored or all at 100) the split falls back to the dimension weights."""
    scored = [s for s in states if s.score is not None]
    weights = [(100 - s.score) * s.weight for s in scored]
    if not scored or sum(weights) == 0:
        scored = list(states)
        weights = [s.weight for s in scored]
    # Split whole currency units; any odd cents of the budget go to the largest part.
    units = _largest_remainder(hardening_cents // 100, weights)
    parts = [u * 100 for u in units]
    parts[parts.index(max(parts))] += hardening_cents % 100
    return {s.id: p for s, p in zip(scored, parts, strict=True)}


# -- rule 5-6: actions -------------------------------------------------------------------


def _is_loop(action: Action) -> bool:
    return any(t in LOOP_TAGS for t in action.tags)


def _owners(action: Action, questionnaire: Questionnaire, target: Deployment) -> tuple[dict[str, str], ...]:
    out = []
    for rid in action.owners:
        role = questionnaire.role_by_id.get(rid)
        business = role is not None and role.group == LEADERSHIP
        out.append({"role": rid, "role_label": role.label if role else rid,
                    "name": target.business_owner if business else target.technology_owner,
                    "side": "business" if business else "technology"})
    return tuple(out)


def _schedule(action: Action, phase: int, ends: dict[str, int]) -> tuple[int, int, int] | None:
    """(phase, start, end) at ``phase`` or a later one; None if it cannot finish by day 90."""
    ready = max((ends[d] + 1 for d in action.after if d in ends), default=1)
    for p in range(phase, PHASES[-1] + 1):
        first, last = window(p)
        start = max(first, ready)
        end = start + action.effort_days - 1
        if end <= last:
            return p, start, end
    return None


@dataclass
class _Selection:
    budget_left: int
    chosen: dict[str, tuple[int, int, int, str | None]] = field(default_factory=dict)  # id -> phase,start,end,by
    unfunded: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _select_actions(questionnaire: Questionnaire, states: list[_DimState], budget_cents: int,
                    currency: str) -> _Selection:
    levels = {s.id: s.level for s in states}
    by_dim = {s.id: s for s in states}
    lib = questionnaire.actions
    index = {a.id: i for i, a in enumerate(lib)}
    applicable = {a.id for a in lib
                  if a.dimension in levels and (levels[a.dimension] is None or a.max_level >= levels[a.dimension])}

    def severity(a: Action) -> tuple:
        s = by_dim.get(a.dimension)
        unscored = s is None or s.score is None
        return (unscored, s.score if not unscored else 0, s.order if s else 0, a.phase, index[a.id])

    loop = [a for a in lib if a.id in applicable and _is_loop(a)]
    rest = sorted((a for a in lib if a.id in applicable and not _is_loop(a)), key=severity)
    sel = _Selection(budget_left=budget_cents)

    def missing_prereqs(a: Action, seen: set[str]) -> list[Action] | None:
        """Applicable prerequisites not yet chosen, dependencies first; None if one is impossible."""
        out: list[Action] = []
        for dep_id in a.after:
            if dep_id in sel.chosen or dep_id in seen or dep_id not in applicable:
                continue  # chosen, already queued, or outgrown (the client is past its level)
            dep = questionnaire.action_by_id[dep_id]
            if dep_id in sel.unfunded and sel.unfunded[dep_id].startswith("cannot finish"):
                return None
            seen.add(dep_id)
            sub = missing_prereqs(dep, seen)
            if sub is None:
                return None
            out.extend(sub)
            out.append(dep)
        return out

    for a in [*loop, *rest]:
        if a.id in sel.chosen:
            continue
        bundle_pre = missing_prereqs(a, {a.id})
        if bundle_pre is None:
            sel.unfunded[a.id] = "a prerequisite cannot be scheduled within 90 days"
            continue
        bundle = [*bundle_pre, a]
        cost = sum(_cents(b.cost) for b in bundle)
        if cost > sel.budget_left:
            need = _fmt(currency, cost)
            extra = f" with its prerequisite{'s' if len(bundle_pre) > 1 else ''} " \
                    f"{', '.join(b.id for b in bundle_pre)}" if bundle_pre else ""
            sel.unfunded[a.id] = (f"does not fit the remaining hardening budget: costs {need}{extra}, "
                                  f"{_fmt(currency, sel.budget_left)} left")
            continue
        # Loop-closing actions are wanted in phase 1; whatever they wait for must come first too.
        want = 1 if _is_loop(a) else a.phase
        ends = {k: v[2] for k, v in sel.chosen.items()}
        placed: dict[str, tuple[int, int, int]] = {}
        ok = True
        for b in bundle:
            target_phase = min(b.phase, want) if b is not a else want
            slot = _schedule(b, target_phase, {**ends, **{k: v[2] for k, v in placed.items()}})
            if slot is None:
                ok = False
                sel.unfunded[a.id] = (f"cannot finish by day 90: {b.id} ({b.effort_days} days) would end after "
                                      "phase 3 once its prerequisites are done")
                break
            placed[b.id] = slot
        if not ok:
            continue
        for b in bundle:
            sel.chosen[b.id] = (*placed[b.id], a.id if b is not a else None)
            sel.unfunded.pop(b.id, None)
        sel.budget_left -= cost
        if _is_loop(a) and placed[a.id][0] != 1:
            sel.notes.append(f"Loop-closing action {a.id} (library phase {a.phase}) is brought forward as far "
                             f"as its prerequisites allow: phase {placed[a.id][0]}, days "
                             f"{placed[a.id][1]}-{placed[a.id][2]}.")
        for b in bundle:
            if not _is_loop(b) and placed[b.id][0] > b.phase:
                sel.notes.append(f"{b.id} moved from phase {b.phase} to phase {placed[b.id][0]} "
                                 "so that it starts after its prerequisites finish.")
        if bundle_pre:
            sel.notes.append(f"{', '.join(b.id for b in bundle_pre)} pulled in as prerequisite of {a.id}.")
    for a in lib:
        if a.id in applicable and a.id not in sel.chosen and a.id not in sel.unfunded:
            sel.unfunded[a.id] = "not selected"
    for a in loop:
        if a.id not in sel.chosen:
            # the thesis puts these first: say plainly when the money or the calendar cannot
            sel.notes.append(f"Warning: loop-closing action {a.id} ({a.title}) is not in the plan: "
                             f"{sel.unfunded.get(a.id, 'not selected')}. Raise the hardening budget or the "
                             "shift cap to fund it.")
    return sel


# -- rule 7: what to stop funding ----------------------------------------------------------


def _pause(engagement: Engagement, shift_cents: int, currency: str) -> tuple[list[str], dict[str, Any]]:
    pilots = sorted((d for d in engagement.deployments if d.stage == "pilot" and d.quarterly_cost is not None),
                    key=lambda d: (_value_cents(d), d.id))
    items, freed, ids = [], 0, []
    if shift_cents > 0:
        for d in pilots:
            if freed >= shift_cents:
                break
            freed += _cents(d.quarterly_cost)
            ids.append(d.id)
            items.append({"id": d.id, "name": d.name, "value_at_stake": _money(_value_cents(d)),
                          "quarterly_cost": _money(_cents(d.quarterly_cost)), "cumulative": _money(freed)})
    covers = freed >= shift_cents
    if shift_cents == 0:
        sentence = "No budget moves, so no pilot needs to be paused."
    elif not pilots:
        sentence = (f"No pilot with a quarterly_cost is listed, so the {_fmt(currency, shift_cents)} shift must "
                    "come from the new-model budget without pausing a named pilot.")
    elif covers:
        sentence = (f"Pause {', '.join(ids)} (lowest value at stake first): their quarterly cost of "
                    f"{_fmt(currency, freed)} covers the {_fmt(currency, shift_cents)} moved to hardening.")
    else:
        sentence = (f"Pausing every costed pilot ({', '.join(ids)}) frees only {_fmt(currency, freed)}, "
                    f"{_fmt(currency, shift_cents - freed)} short of the {_fmt(currency, shift_cents)} shift; "
                    "the rest must come from other new-model spending.")
    return ids, {"items": items, "freed": _money(freed), "shift": _money(shift_cents),
                 "covers_shift": covers, "sentence": sentence}


# -- rule 8: milestones -------------------------------------------------------------------


def _milestones(actions: list[PlannedAction], target: Deployment, questionnaire: Questionnaire) -> list[Milestone]:
    out = []
    prev = 0
    pnl = f"{target.pnl_metric} of {target.name} against its day-0 value"
    for day in MILESTONE_DAYS:
        done = [a for a in actions if prev < a.end_day <= day]
        last = day == MILESTONE_DAYS[-1]
        out.append(Milestone(day=day, previous_day=prev, actions=tuple(a.id for a in done),
                             delivered=tuple(a.title for a in done),
                             measures=tuple(a.kpi for a in done), measured_on=f"{target.name}'s {target.pnl_metric}",
                             pnl_measure=pnl,
                             reassessment=f"{questionnaire.id} version {questionnaire.version}" if last else None))
        prev = day
    return out


# -- the plan ----------------------------------------------------------------------------


def build_plan(questionnaire: Questionnaire, engagement: Engagement, scores: ScoreResult | Mapping[str, Any], *,
               max_shift: float | None = None) -> Plan:
    """Build the 90-day plan (see the module docstring for every rule).

    ``scores`` is a ScoreResult (or its JSON shape); ``max_shift`` overrides the
    engagement's ``budget.max_shift``. Raises :class:`PlanError` when no deployment
    can be hardened or ``max_shift`` is outside 0-1.
    """
    cap = _check_max_shift(engagement.budget.max_shift if max_shift is None else max_shift,
                           override=max_shift is not None)
    target = choose_target(engagement)
    states = _dimension_states(questionnaire, scores)
    currency = engagement.currency
    notes: list[str] = []

    new_before, hard_before = _cents(engagement.budget.new_models), _cents(engagement.budget.hardening)
    friction = friction_of(states)
    # Whole currency units: the board reads "EUR 580,656" everywhere, and it is exact.
    shift = math.floor(_exact(cap) * new_before * friction / 100) * 100
    new_after, hard_after = new_before - shift, hard_before + shift
    scored = [s for s in states if s.score is not None]
    basis = (f"weighted mean of (100 - score)/100 over {len(scored)} scored dimension"
             f"{'s' if len(scored) != 1 else ''}" if scored else "no dimension scored, so friction counts as 1")
    rule = (f"Shift = max_shift {cap:g} x new-model budget {_fmt(currency, new_before)} x friction "
            f"{float(friction):.4f} ({basis}) = {_fmt(currency, shift)}, rounded down to a whole "
            f"{currency} and never more than {_fmt(currency, math.floor(_exact(cap) * new_before))}.")
    by_dim = split_by_dimension(hard_after, states)
    if not scored:
        notes.append("No dimension has a score: the shift uses friction 1 and the split uses dimension weights.")
    unscored = [s.id for s in states if s.score is None]
    if scored and unscored:
        notes.append(f"Unscored dimensions ({', '.join(unscored)}) get no hardening share; their actions "
                     "come after those of scored dimensions.")
    known = {d.id for d in questionnaire.dimensions}
    extra = sorted({str(r.get("id")) for r in _score_rows(scores)
                    if isinstance(r, dict) and r.get("id") is not None} - known)
    if extra:
        notes.append(f"Scores for dimensions not in the questionnaire were ignored: {', '.join(extra)}.")

    sel = _select_actions(questionnaire, states, hard_after, currency)
    notes.append("Prerequisites: an action whose `after` prerequisite is not yet funded pulls it in when both "
                 "fit the budget; a prerequisite the client has outgrown counts as in place.")
    notes.extend(sel.notes)
    lib_index = {a.id: i for i, a in enumerate(questionnaire.actions)}
    planned = []
    for aid, (phase, start, end, by) in sel.chosen.items():
        a = questionnaire.action_by_id[aid]
        planned.append(PlannedAction(
            id=a.id, title=a.title, description=a.description or "", dimension=a.dimension, phase=phase,
            library_phase=a.phase, start_day=start, end_day=end, effort_days=a.effort_days,
            owners=_owners(a, questionnaire, target),
            kpi=a.kpi, measured_on=f"{target.name}'s {target.pnl_metric}",
            cost_cents=_cents(a.cost), after=tuple(a.after), tags=tuple(a.tags), pulled_in_by=by))
    planned.sort(key=lambda p: (p.phase, p.start_day, lib_index[p.id]))
    not_applicable = [a.id for a in questionnaire.actions
                      if a.id not in sel.chosen and a.id not in sel.unfunded]
    if not_applicable:
        notes.append(f"{len(not_applicable)} library action(s) are below the client's current levels and were "
                     f"left out: {', '.join(not_applicable)}.")

    pause, pause_detail = _pause(engagement, shift, currency)
    ranked = rank_deployments(engagement)
    deployments = tuple({"id": d.id, "name": d.name, "stage": d.stage, "pnl_metric": d.pnl_metric,
                         "annual_value": _money(_cents(d.annual_value)), "realized_share": float(d.realized_share),
                         "value_at_stake": _money(_value_cents(d)), "rank": r,
                         "eligible": d.stage in ELIGIBLE_STAGES} for r, d in ranked)
    target_rank = next(r for r, d in ranked if d.id == target.id)
    return Plan(
        currency=currency,
        questionnaire={"id": questionnaire.id, "version": questionnaire.version},
        target={"id": target.id, "name": target.name, "stage": target.stage, "pnl_metric": target.pnl_metric,
                "value_at_stake": _money(_value_cents(target)), "rank": target_rank,
                "business_owner": target.business_owner, "technology_owner": target.technology_owner,
                "why": _target_why(target, engagement, currency)},
        deployments=deployments,
        budget={"before": {"new_models": _money(new_before), "hardening": _money(hard_before)},
                "after": {"new_models": _money(new_after), "hardening": _money(hard_after)},
                "shift": _money(shift), "max_shift": cap, "friction": round(float(friction), 4), "rule": rule,
                "by_dimension": {k: _money(v) for k, v in by_dim.items()},
                "actions_cost": _money(hard_after - sel.budget_left),
                "unallocated": _money(sel.budget_left)},
        pause=tuple(pause), pause_detail=pause_detail,
        actions=tuple(planned),
        unfunded=tuple({"id": k, "reason": v} for k, v in sorted(sel.unfunded.items(), key=lambda kv: lib_index[kv[0]])),
        milestones=tuple(_milestones(planned, target, questionnaire)),
        baseline=tuple({"id": s.id, "title": s.title, "score": s.score_float, "level": s.level} for s in states),
        notes=tuple(notes),
    )


def compare_scenarios(questionnaire: Questionnaire, engagement: Engagement, scores: ScoreResult | Mapping[str, Any],
                      shifts: list[float]) -> list[dict[str, Any]]:
    """One row per ``max_shift`` value: what moves, what gets funded, what it covers.

    Lets a consultant show a sponsor what a bolder or more cautious cap buys."""
    rows = []
    for cap in shifts:
        plan = build_plan(questionnaire, engagement, scores, max_shift=cap)
        rows.append({
            "max_shift": plan.budget["max_shift"],
            "shift": plan.budget["shift"],
            "new_models_after": plan.budget["after"]["new_models"],
            "hardening_after": plan.budget["after"]["hardening"],
            "actions_funded": len(plan.actions),
            "action_ids": [a.id for a in plan.actions],
            "total_cost": plan.total_cost,
            "dimensions_covered": sorted({a.dimension for a in plan.actions},
                                         key=[d.id for d in questionnaire.dimensions].index),
            "unfunded": len(plan.unfunded),
            "pause": list(plan.pause),
        })
    return rows
