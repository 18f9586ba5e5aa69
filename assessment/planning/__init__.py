"""The 90-day plan: move budget from new models to hardening the client's most valuable
existing deployment, and spend it on the action library, bottom up.

Pure functions of the questionnaire (friction points, roles, the action library),
the engagement (budget, deployments, people, plan settings) and the scores. Money
is exact (integer cents from the decimals written), so the figures hold to the cent.

The rules, in order:

1. **Target.** Every production or staging deployment gets a scorecard row:
   value at stake ``annual_value x (1 - realized_share)``, when value can start
   (production: now; staging: after a controlled go-live), the confidence of its
   value (``value_basis``), the hardening cost of what the plan would fund were it
   the target, and risk-adjusted value = value at stake x ``plan.stage_factors``
   x ``plan.basis_factors`` - hardening cost. The highest wins; ``target:`` overrides.
2. **Priority order.** What the plan must have (a staging target's go-live, tagged
   ``go-live``; measuring the P&L baseline when there is none; ``process-redesign``
   actions when their friction point is among the three weakest), then the
   loop-closing actions (``feedback-loop``, ``decay-monitoring``), then the weakest
   friction point first; an action's missing prerequisites come just before it
   (one the client has outgrown counts as in place). Actions tagged
   ``needs-live-traffic`` start after a staging target's go-live.
3. **Money, bottom up.** Actions are funded as a prefix of that order while their
   cumulative cost x (1 + ``plan.contingency``) fits the existing hardening budget
   plus the cap (``max_shift x new_models``); the first that does not fit ends the
   list, so a larger cap never funds less. The shift is that cost with contingency,
   less the existing hardening budget, rounded up to ``plan.rounding``, then capped.
   ``budget.by_dimension`` is the funded cost per friction point plus a
   ``contingency`` line for the rest of the hardening budget after the shift.
4. **Where the money comes from.** Pilots first (lowest value at stake first, each
   paused whole), then the new-model budget not tied to a listed pilot; the amounts
   add up to the shift exactly.
5. **Accountability.** Each action's accountable role (the library's) is filled with a
   person from ``people``; a role nobody holds shows "to be named" with a warning,
   as does anyone accountable for more than 4 actions in one phase.
6. **Proof.** Milestones list the measurable states (the actions' KPIs) due at days
   30, 60, 90; day 90 leads with the target's P&L KPI. The share of day 1-30 effort
   on loop-closing work is compared with ``plan.loop_effort_share``; the cost of
   inaction follows ``plan.ramp`` from the day value can start.
"""

from __future__ import annotations

from .build import MILESTONE_DAYS, build_plan, compare_scenarios, dimension_states
from .model import Milestone, Plan, PlannedAction
from .portfolio import ELIGIBLE_STAGES, eligible
from .select import LOOP_TAGS, PHASE_DAYS, PHASES, window

__all__ = ["ELIGIBLE_STAGES", "LOOP_TAGS", "MILESTONE_DAYS", "PHASES", "PHASE_DAYS", "Milestone", "Plan",
           "PlannedAction", "build_plan", "compare_scenarios", "dimension_states", "eligible", "window"]
