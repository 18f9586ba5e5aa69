"""Which actions the plan funds, in what order, and when they run.

One priority order, funded as a prefix: what the plan must have (a staging
target's controlled go-live, a P&L baseline when there is none, process redesign
when its friction point is among the three weakest), then the loop-closing actions,
then the weakest friction point first, each action's missing prerequisites just
before it. An action is funded while the cumulative cost x (1 + contingency) fits
the existing hardening budget plus the cap; the first that does not fit ends the
list. A larger cap therefore never funds less.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from ..engagement import Deployment
from ..questionnaire import Action, Questionnaire
from .money import cents, fmt

LOOP_TAGS = ("feedback-loop", "decay-monitoring")
GO_LIVE, LIVE_TRAFFIC, REDESIGN, BASELINE = "go-live", "needs-live-traffic", "process-redesign", "pnl-baseline"
PHASE_DAYS = 30
PHASES = (1, 2, 3)
GO_LIVE_BY_DAY = 45


@dataclass(frozen=True)
class DimState:
    """A friction point as the plan sees it: score (None if unscored), level and order."""

    id: str
    title: str
    weight: Fraction
    score: Fraction | None
    score_float: float | None
    level: int | None
    order: int


def window(phase: int) -> tuple[int, int]:
    """First and last day of a 30-day phase (1 -> days 1..30)."""
    return PHASE_DAYS * (phase - 1) + 1, PHASE_DAYS * phase


def is_loop(action: Action) -> bool:
    return any(t in LOOP_TAGS for t in action.tags)


def _role(q: Questionnaire, *preferred: str, side: str | None = None) -> str | None:
    for rid in preferred:
        if rid in q.role_by_id:
            return rid
    for role in q.roles:
        if side and getattr(role, "side", None) == side:
            return role.id
    return q.roles[0].id if q.roles else None


def _others(q: Questionnaire, accountable: str | None, wanted: tuple[str, ...]) -> list[str]:
    """Responsible roles: the wanted ones the questionnaire has, else any other role (an action has two)."""
    found = [r for r in wanted if r in q.role_by_id and r != accountable]
    return found or [r.id for r in q.roles if r.id != accountable][:1]


def built_in_baseline(q: Questionnaire, target: Deployment) -> Action:
    """The action the plan adds when the target's P&L metric has no baseline: measure it first."""
    dim = "value" if "value" in q.dimension_by_id else q.dimensions[0].id
    accountable = _role(q, "finance", "bpo", "exec", side="business")
    responsible = _others(q, accountable, ("ds",))
    return Action(id="PNL-BASELINE", dimension=dim, title=f"Measure the baseline of {target.pnl_metric}",
                  description=(f"Agree with finance how {target.pnl_metric} is measured for {target.name} (holdout "
                               "or before/after), and record its value before any change goes live."),
                  phase=1, max_level=5, owners=[accountable, *responsible], accountable=accountable,
                  responsible=responsible, cost=0.0, effort_days=10, after=[],
                  kpi=f"Baseline of {target.pnl_metric} signed off by finance", tags=[BASELINE])


def built_in_go_live(q: Questionnaire, target: Deployment) -> Action:
    """A controlled go-live, for a staging target when the library has no action tagged go-live."""
    dim = "integration" if "integration" in q.dimension_by_id else q.dimensions[0].id
    accountable = _role(q, "mlops", "ds", side="technology")
    responsible = _others(q, accountable, ("bpo", "risk"))
    return Action(id="GO-LIVE", dimension=dim, title=f"Controlled go-live of {target.name}",
                  description=("Release to a share of live traffic with a holdout group that keeps the current "
                               "process, a named roll-back trigger and owner, then widen the share."),
                  phase=1, max_level=5, owners=[accountable, *responsible], accountable=accountable,
                  responsible=responsible, cost=0.0, effort_days=15, after=[],
                  kpi="Live on a share of traffic with a holdout and a tested roll-back", tags=[GO_LIVE])


def _applicable(q: Questionnaire, states: list[DimState]) -> set[str]:
    levels = {s.id: s.level for s in states}
    return {a.id for a in q.actions
            if a.dimension in levels and (levels[a.dimension] is None or a.max_level >= levels[a.dimension])
            and GO_LIVE not in a.tags and BASELINE not in a.tags}


def _weakest_three(states: list[DimState]) -> set[str]:
    scored = sorted((s for s in states if s.score is not None), key=lambda s: (s.score, s.order))
    return {s.id for s in scored[:3]}


def must_haves(q: Questionnaire, states: list[DimState], target: Deployment,
               applicable: set[str]) -> tuple[list[Action], list[str]]:
    """The actions the plan's rules require, in order, and notes on built-in ones."""
    notes: list[str] = []
    must: list[Action] = []

    def tagged_or_built_in(tag: str, built_in: Action, missing: str) -> list[Action]:
        found = [a for a in q.actions if tag in a.tags]
        if not found:
            notes.append(missing)
        return found or [built_in]

    if target.kpi is None or target.kpi.baseline is None:
        baseline = tagged_or_built_in(BASELINE, built_in_baseline(q, target),
                                      "The action library has no action tagged pnl-baseline: the plan adds "
                                      "PNL-BASELINE (internal effort, not costed).")
        must.extend(baseline)
        notes.append(f"{target.name} has no P&L baseline for {target.pnl_metric}: the plan starts by measuring it "
                     f"({', '.join(a.id for a in baseline)}).")
    if target.stage == "staging":
        must.extend(tagged_or_built_in(GO_LIVE, built_in_go_live(q, target),
                                       "The action library has no action tagged go-live: the plan adds GO-LIVE, "
                                       "whose cost is not in the plan; cost it before the board sees the figure."))
    weak = _weakest_three(states)
    redesign = [a for a in q.actions if REDESIGN in a.tags and a.dimension in weak and a.id in applicable]
    must.extend(redesign)
    return must, notes


@dataclass(frozen=True)
class Order:
    """Candidates in funding order; ``pulled_by`` names the action a prerequisite was pulled in for."""

    actions: list[Action]
    pulled_by: dict[str, str]
    notes: list[str]


def priority_order(q: Questionnaire, states: list[DimState], target: Deployment) -> Order:
    """Every candidate action in funding order, prerequisites just before what needs them."""
    applicable = _applicable(q, states)
    must, notes = must_haves(q, states, target, applicable)
    by_dim = {s.id: s for s in states}
    index = {a.id: i for i, a in enumerate(q.actions)}

    def severity(a: Action) -> tuple:
        s = by_dim.get(a.dimension)
        unscored = s is None or s.score is None
        return (unscored, s.score if not unscored else 0, s.order if s else 0, a.phase, index[a.id])

    loop = [a for a in q.actions if a.id in applicable and is_loop(a)]
    rest = sorted((a for a in q.actions if a.id in applicable and not is_loop(a)), key=severity)
    order: list[Action] = []
    pulled_by: dict[str, str] = {}
    seen: set[str] = set()

    def add(a: Action, for_action: Action | None = None) -> None:
        if a.id in seen:
            return
        seen.add(a.id)
        if for_action is not None:
            pulled_by[a.id] = for_action.id
        for dep_id in a.after:
            dep = q.action_by_id.get(dep_id)
            if dep is not None and dep_id in applicable:  # an outgrown prerequisite counts as in place
                add(dep, a)
        order.append(a)

    for a in [*must, *loop, *rest]:
        add(a)
    return Order(order, pulled_by, notes)


@dataclass
class Selection:
    """The funded prefix: id -> (phase, start, end, pulled in by), what was not funded and why."""

    funded: dict[str, tuple[int, int, int, str | None]] = field(default_factory=dict)
    actions: dict[str, Action] = field(default_factory=dict)
    unfunded: dict[str, str] = field(default_factory=dict)
    cost_cents: int = 0
    notes: list[str] = field(default_factory=list)
    go_live: str | None = None


def _slot(action: Action, phase: int, ready: int) -> tuple[int, int, int] | None:
    """(phase, start, end) at ``phase`` or a later one, starting no earlier than ``ready``."""
    for p in range(phase, PHASES[-1] + 1):
        first, last = window(p)
        start = max(first, ready)
        end = start + action.effort_days - 1
        if end <= last:
            return p, start, end
    return None


def _wanted_phase(a: Action, needed_by: Action | None) -> int:
    if GO_LIVE in a.tags or BASELINE in a.tags or is_loop(a):
        return 1
    if needed_by is not None and is_loop(needed_by):
        return 1
    return a.phase


def select(candidates: Order, target: Deployment, available_cents: int, contingency: Fraction,
           currency: str) -> Selection:
    """Fund the candidates as a prefix within ``available_cents`` and schedule what is funded."""
    sel = Selection()
    order = candidates.actions
    needs = {dep: a for a in reversed(order) for dep in a.after}
    for i, a in enumerate(order):
        missing = [d for d in a.after if d in sel.unfunded]
        if missing:
            sel.unfunded[a.id] = f"its prerequisite {missing[0]} is not in the plan"
            continue
        ready = max((sel.funded[d][2] + 1 for d in a.after if d in sel.funded), default=1)
        if LIVE_TRAFFIC in a.tags and target.stage == "staging" and sel.go_live:
            ready = max(ready, sel.funded[sel.go_live][2] + 1)
        slot = _slot(a, _wanted_phase(a, needs.get(a.id)), ready)
        if slot is None:
            sel.unfunded[a.id] = (f"cannot finish by day 90 ({a.effort_days} days, ready from day {ready})")
            continue
        cost = cents(a.cost)
        if (sel.cost_cents + cost) * (1 + contingency) > available_cents:
            for later in order[i:]:
                sel.unfunded.setdefault(later.id, (
                    f"beyond the money: {fmt(currency, cost)} for {a.id} would take the funded cost with "
                    f"contingency past the {fmt(currency, available_cents)} available"
                    if later is a else f"after {a.id} in the priority order, which the money does not reach"))
            break
        sel.funded[a.id] = (*slot, candidates.pulled_by.get(a.id))
        sel.actions[a.id] = a
        sel.cost_cents += cost
        if GO_LIVE in a.tags and sel.go_live is None:
            sel.go_live = a.id
        if slot[0] > a.phase and not is_loop(a):
            sel.notes.append(f"{a.id} moved from phase {a.phase} to phase {slot[0]} so that it starts after "
                             "its prerequisites finish.")
    return sel
