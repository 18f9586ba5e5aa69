"""What the planning stage hands the report: typed, structured, JSON-ready via ``to_dict``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .money import money


@dataclass(frozen=True)
class PlannedAction:
    """One funded, scheduled action with its accountable person, the people doing it and its KPI."""

    id: str
    title: str
    description: str
    dimension: str
    phase: int
    library_phase: int
    start_day: int
    end_day: int
    effort_days: int
    accountable: dict[str, Any]  # {"name", "title", "role", "role_label"}; name "to be named" when unfilled
    responsible: tuple[dict[str, Any], ...]
    kpi: str  # the library's KPI: a measurable state
    measured_on: str | None  # the target's P&L metric, for actions whose KPI is measured there
    cost_cents: int
    after: tuple[str, ...]
    tags: tuple[str, ...]
    pulled_in_by: str | None = None
    built_in: bool = False  # added by the plan's rules, not taken from the action library
    priority: int = 0  # 1 = first in the funding priority order

    @property
    def cost(self) -> float:
        return money(self.cost_cents)

    @property
    def owners(self) -> tuple[dict[str, Any], ...]:
        """Accountable then responsible, as the earlier ``owners`` list (one entry per person)."""
        return (self.accountable, *self.responsible)

    def to_dict(self) -> dict[str, Any]:
        kpi = f"{self.kpi}, measured on {self.measured_on}" if self.measured_on else self.kpi
        return {
            "id": self.id, "title": self.title, "description": self.description,
            "dimension": self.dimension, "phase": self.phase, "library_phase": self.library_phase,
            "start_day": self.start_day, "end_day": self.end_day, "effort_days": self.effort_days,
            "accountable": dict(self.accountable), "responsible": [dict(r) for r in self.responsible],
            "owners": [dict(o) for o in self.owners], "kpi": kpi, "action_kpi": self.kpi,
            "measured_on": self.measured_on, "cost": self.cost, "after": list(self.after), "tags": list(self.tags),
            "pulled_in_by": self.pulled_in_by, "built_in": self.built_in, "priority": self.priority,
        }


@dataclass(frozen=True)
class Milestone:
    """A 30-day checkpoint: the measurable states the actions ending in its window deliver."""

    day: int
    previous_day: int
    actions: tuple[str, ...]  # ids of the funded actions that end in (previous_day, day]
    delivered: tuple[str, ...]  # their titles
    measures: tuple[str, ...]  # their KPIs: the measurable states to check at this milestone
    measured_on: str  # the target's P&L metric
    pnl_measure: str  # the target's P&L metric against its baseline
    reassessment: str | None = None  # the questionnaire re-run at the last milestone
    pnl_target: str | None = None  # the day-90 P&L commitment, where the engagement states one

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
        parts = list(self.measures) or [self.pnl_measure]
        if self.reassessment:
            parts.append("dimension scores of the re-assessment against this plan's baseline")
            parts.append(self.pnl_target or self.pnl_measure)
        return "; ".join(dict.fromkeys(parts))

    def to_dict(self) -> dict[str, Any]:
        return {"day": self.day, "outcome": self.outcome, "measure": self.measure, "actions": list(self.actions),
                "delivered": list(self.delivered), "measures": list(self.measures), "measured_on": self.measured_on,
                "pnl_measure": self.pnl_measure, "reassessment": self.reassessment, "pnl_target": self.pnl_target}


@dataclass(frozen=True)
class Plan:
    """The 90-day plan. Build it with :func:`~assessment.planning.build_plan`; ``to_dict()`` is the JSON."""

    currency: str
    questionnaire: dict[str, str]
    target: dict[str, Any]
    deployments: tuple[dict[str, Any], ...]
    scorecard: tuple[dict[str, Any], ...]
    budget: dict[str, Any]
    funding: tuple[dict[str, Any], ...]
    pause: tuple[str, ...]
    pause_detail: dict[str, Any]
    actions: tuple[PlannedAction, ...]
    unfunded: tuple[dict[str, str], ...]
    milestones: tuple[Milestone, ...]
    baseline: tuple[dict[str, Any], ...]
    kpi: dict[str, Any] | None
    kpi_missing: str | None
    loop_effort_share: dict[str, Any]
    cost_of_inaction: dict[str, Any]
    sponsor: dict[str, Any] | None
    assumptions: tuple[str, ...]
    warnings: tuple[str, ...] = field(default=())
    notes: tuple[str, ...] = field(default=())

    @property
    def total_cost(self) -> float:
        return money(sum(a.cost_cents for a in self.actions))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (no NaN: missing numbers are None, money has 2 decimals)."""
        return {
            "currency": self.currency, "questionnaire": dict(self.questionnaire), "target": dict(self.target),
            "deployments": [dict(d) for d in self.deployments], "scorecard": [dict(s) for s in self.scorecard],
            "budget": {**self.budget, "by_dimension": dict(self.budget["by_dimension"])},
            "funding": [dict(f) for f in self.funding], "pause": list(self.pause), "pause_detail": self.pause_detail,
            "actions": [a.to_dict() for a in self.actions], "total_cost": self.total_cost,
            "unfunded": [dict(u) for u in self.unfunded], "milestones": [m.to_dict() for m in self.milestones],
            "baseline": [dict(b) for b in self.baseline], "kpi": self.kpi, "kpi_missing": self.kpi_missing,
            "loop_effort_share": dict(self.loop_effort_share), "cost_of_inaction": dict(self.cost_of_inaction),
            "sponsor": self.sponsor, "assumptions": list(self.assumptions), "warnings": list(self.warnings),
            "notes": list(self.notes),
        }

    #: Columns of :meth:`actions_frame` (and of ``assess plan --format csv``), in order.
    ACTION_COLUMNS = ("id", "title", "dimension", "phase", "start_day", "end_day", "effort_days", "cost",
                      "accountable", "accountable_role", "responsible", "kpi", "after", "priority", "built_in")

    def action_rows(self) -> list[dict[str, Any]]:
        """One flat record per funded action (people as "Name (role)", lists joined with "; ")."""
        rows = []
        for a in self.actions:
            d = a.to_dict()
            rows.append({"id": a.id, "title": a.title, "dimension": a.dimension, "phase": a.phase,
                         "start_day": a.start_day, "end_day": a.end_day, "effort_days": a.effort_days,
                         "cost": a.cost, "accountable": a.accountable.get("name"),
                         "accountable_role": a.accountable.get("role_label"),
                         "responsible": "; ".join(f"{r.get('name')} ({r.get('role_label')})" for r in a.responsible),
                         "kpi": d["kpi"], "after": "; ".join(a.after), "priority": a.priority,
                         "built_in": a.built_in})
        return rows

    def actions_frame(self):  # -> pandas.DataFrame
        """The funded actions as a pandas DataFrame, one row each, in the plan's order
        (columns :attr:`ACTION_COLUMNS`; ``cost`` in the plan's currency)."""
        import pandas as pd

        return pd.DataFrame(self.action_rows(), columns=list(self.ACTION_COLUMNS))
