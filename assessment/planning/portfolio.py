"""The deployments: which one to harden (a scorecard), and where the money comes from.

The target is chosen by a stated, configurable rule: risk-adjusted value =
value at stake x stage factor x value-basis factor - the hardening cost of what
the plan would fund were it the target. ``target:`` in engagement.yaml overrides.
The money moved comes from pilots first (lowest value at stake first, each paused
whole), then from the new-model budget not tied to a listed pilot.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..engagement import Deployment, Engagement
from ..errors import PlanError
from .money import cents, exact, fmt, money

ELIGIBLE_STAGES = ("production", "staging")
ENGAGEMENT_FILE = "engagement.yaml"
NEW_MODEL_BUDGET = "new-model budget"


def value_cents(d: Deployment) -> int:
    """Value at stake: the part of the annual value not yet realised."""
    return round(exact(d.annual_value) * (1 - exact(d.realized_share)) * 100)


def eligible(engagement: Engagement) -> list[Deployment]:
    """Production and staging deployments, largest value at stake first (ties: smaller id)."""
    if not engagement.deployments:
        raise PlanError("no deployments listed under `deployments:`; add the client's AI deployments "
                        "(id, name, stage, pnl_metric, annual_value, owners) to plan", file=ENGAGEMENT_FILE)
    found = sorted((d for d in engagement.deployments if d.stage in ELIGIBLE_STAGES),
                   key=lambda d: (-value_cents(d), d.id))
    if not found:
        stages = ", ".join(sorted({d.stage for d in engagement.deployments}))
        raise PlanError("no deployment in production or staging to harden (stages listed: "
                        f"{stages}); the plan hardens an existing deployment, not a pilot", file=ENGAGEMENT_FILE)
    return found


def scorecard(engagement: Engagement, hardening_cost: Callable[[Deployment], int]) -> list[dict[str, Any]]:
    """One row per production or staging deployment, best risk-adjusted value first."""
    settings = engagement.plan
    rows = []
    for d in eligible(engagement):
        stage_f, basis_f = settings.stage_factors.get(d.stage, 1.0), settings.basis_factors.get(d.value_basis, 1.0)
        cost = hardening_cost(d)
        adjusted = round(value_cents(d) * exact(stage_f) * exact(basis_f)) - cost
        rows.append({"id": d.id, "name": d.name, "stage": d.stage, "value_at_stake": money(value_cents(d)),
                     "value_basis": d.value_basis, "stage_factor": stage_f, "basis_factor": basis_f,
                     "value_starts": "now" if d.stage == "production" else "after a controlled go-live",
                     "hardening_cost": money(cost), "risk_adjusted_value": money(adjusted),
                     "_adjusted": adjusted, "_value": value_cents(d)})
    rows.sort(key=lambda r: (-r["_adjusted"], -r["_value"], r["id"]))
    for rank, row in enumerate(rows, 1):
        row["rank"] = rank
    return rows


def choose_target(engagement: Engagement, rows: list[dict[str, Any]]) -> tuple[Deployment, bool]:
    """The target deployment and whether engagement.yaml's ``target:`` chose it."""
    by_id = {d.id: d for d in engagement.deployments}
    if engagement.target is not None:
        d = by_id[engagement.target]
        if d.stage not in ELIGIBLE_STAGES:
            raise PlanError(f"target {d.id!r} is a {d.stage}; the plan hardens a deployment in production or "
                            "staging", file=ENGAGEMENT_FILE)
        return d, True
    return by_id[rows[0]["id"]], False


def target_why(target: Deployment, rows: list[dict[str, Any]], override: bool, currency: str) -> str:
    """The scorecard's verdict in one sentence."""
    row = next(r for r in rows if r["id"] == target.id)
    rule = (f"{fmt(currency, row['_value'])} at stake x stage factor {row['stage_factor']:g} ({target.stage}) x "
            f"basis factor {row['basis_factor']:g} ({target.value_basis}) - hardening cost "
            f"{fmt(currency, cents(row['hardening_cost']))} = {fmt(currency, row['_adjusted'])}")
    if override:
        return (f"{target.name} is the target because engagement.yaml names it (`target: {target.id}`); by the "
                f"scorecard it ranks {row['rank']} of {len(rows)} ({rule}).")
    text = f"{target.name} has the highest risk-adjusted value of the {len(rows)} deployment(s) in production or " \
           f"staging: {rule}"
    if len(rows) > 1:
        nxt = rows[1]
        text += f"; next is {nxt['name']} at {fmt(currency, nxt['_adjusted'])}"
        if nxt["_adjusted"] == row["_adjusted"]:
            text += (" (a tie, broken by the larger value at stake)" if nxt["_value"] != row["_value"] else
                     f" (a tie, broken by the smaller id `{target.id}`)")
    return text + "."


def public(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows]


def funding(engagement: Engagement, shift_cents: int, target: Deployment, restart_day: int,
            currency: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Every new-model line and what the plan does with it; the amounts add up to the shift."""
    pilots = sorted((d for d in engagement.deployments if d.stage == "pilot" and d.quarterly_cost is not None),
                    key=lambda d: (value_cents(d), d.id))
    remaining, rows, warnings = shift_cents, [], []
    condition = (f"{target.name} meets its day-90 milestone on {target.pnl_metric} and its monitoring holds for "
                 "4 consecutive weeks")
    for d in pilots:
        take = min(cents(d.quarterly_cost), remaining)
        remaining -= take
        forgone = round(exact(d.annual_value) * exact(d.realized_share) * 100 / 4) if take else 0
        rows.append({"source": d.id, "name": d.name, "decision": "pause" if take else "continue",
                     "quarterly_cost": money(cents(d.quarterly_cost)), "amount": money(take),
                     "value_forgone": money(forgone), "restart_condition": condition if take else None,
                     "earliest_restart_day": restart_day if take else None})
    unallocated = cents(engagement.budget.new_models) - sum(cents(d.quarterly_cost) for d in pilots)
    rows.append({"source": NEW_MODEL_BUDGET, "name": "New-model budget not tied to a listed pilot",
                 "decision": "reduce" if remaining else "continue", "quarterly_cost": money(max(unallocated, 0)),
                 "amount": money(remaining), "value_forgone": 0.0, "restart_condition": None,
                 "earliest_restart_day": None})
    if remaining > max(unallocated, 0):
        warnings.append(f"The pilots and the new-model budget not tied to a pilot "
                        f"({fmt(currency, max(unallocated, 0))}) do not cover the {fmt(currency, shift_cents)} "
                        "shift: the listed pilot costs exceed budget.new_models; check engagement.yaml.")
    return rows, warnings
