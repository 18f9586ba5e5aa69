"""The pydantic models that validate ``engagement.yaml``: every key, type and range, with
each problem located as ``file:line:column``.

Imported only to validate (a file the cache has not seen, or data built in code): the
rest of the package works with the records of :mod:`assessment.engagement`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import PurePosixPath
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

NonEmpty = Annotated[str, Field(min_length=1)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, allow_inf_nan=False)


class Budget(_Model):
    new_models: float = Field(default=0, ge=0, description="90-day spend on new or experimental models")
    hardening: float = Field(default=0, ge=0, description="90-day spend on hardening and running existing ones")
    max_shift: float = Field(default=0.5, ge=0, le=1, description="largest share of new_models that may move")


class KPI(_Model):
    """The P&L target of a deployment: where the metric stands and where the plan takes it."""

    baseline: float | None = Field(default=None, description="the metric's value today; null = not yet measured")
    target_90d: float | None = Field(default=None, description="the value the plan commits to at day 90")
    target_12m: float | None = None
    unit: str | None = Field(default=None, max_length=32)
    measured_by: Literal["holdout", "before-after"] = Field(
        description="holdout: a control group keeps the old process; before-after: the same metric before and after")


class Deployment(_Model):
    id: Annotated[str, Field(min_length=1, max_length=64)]
    name: NonEmpty
    stage: Literal["pilot", "staging", "production"]
    pnl_metric: NonEmpty
    annual_value: float = Field(ge=0)
    realized_share: float = Field(default=0, ge=0, le=1)
    business_owner: NonEmpty
    technology_owner: NonEmpty
    quarterly_cost: float | None = Field(default=None, ge=0)
    description: str | None = None
    value_basis: Literal["audited", "business-case", "estimate"] = Field(
        default="estimate", description="how far the annual_value can be trusted")
    kpi: KPI | None = None
    unit: str | None = Field(default=None, description="the business unit the deployment serves (marked in the "
                                                        "report's business-unit heat map)")


class Person(_Model):
    """Someone at the client who can be accountable or responsible for plan actions."""

    name: NonEmpty
    title: str | None = None
    role: Annotated[str, Field(min_length=1, max_length=64)] = Field(
        description="a questionnaire role id (exec, risk, finance, ...) or `sponsor`")


class PlanSettings(_Model):
    """The plan's own rules, stated in engagement.yaml so a partner can change and defend them."""

    contingency: float = Field(default=0.10, ge=0, le=1, description="added to the funded actions' cost")
    rounding: float = Field(default=1000, gt=0, description="the shift is rounded up to a multiple of this")
    loop_effort_share: float = Field(default=0.8, ge=0, le=1,
                                     description="share of day 1-30 effort the plan aims to put on closing loops")
    stage_factors: dict[Literal["production", "staging"], Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=lambda: {"production": 1.0, "staging": 0.8})
    basis_factors: dict[Literal["audited", "business-case", "estimate"], Annotated[float, Field(ge=0, le=1)]] = \
        Field(default_factory=lambda: {"audited": 1.0, "business-case": 0.8, "estimate": 0.6})
    ramp: list[Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=lambda: [0.0, 0.5, 1.0], min_length=3, max_length=3,
        description="share of the value at stake captured in months 1-3 after value can start")


class Risk(_Model):
    """A risk the consultant adds to the report's register (beside the risks the data raise)."""

    risk: NonEmpty
    likelihood: Literal["low", "medium", "high"] = "medium"
    impact: Literal["low", "medium", "high"] = "medium"
    owner: NonEmpty = Field(description="the name of one of `people`")
    mitigation: NonEmpty


# How many people were invited to answer: role id -> count, or unit -> {role id -> count}.
Invited = dict[str, Annotated[int, Field(ge=0)] | dict[str, Annotated[int, Field(ge=0)]]]


# What `assess init` pins a new workspace to. A workspace whose engagement.yaml names
# no questionnaire was made before versions were pinned and keeps version 1.
class Engagement(_Model):
    client: NonEmpty
    title: str = "AI transformation assessment"
    questionnaire: NonEmpty = "ai-friction"
    currency: Annotated[str, Field(min_length=1, max_length=8)] = "EUR"
    prepared_by: str | None = None
    date: dt.date | None = None
    brand_colour: Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}$")] | None = None
    logo: str | None = None
    round: str | None = None
    exclude_flags: list[Literal["speeder", "straight-lining", "duplicate-email", "duplicate-id",
                                "identical-answers"]] = Field(
        default_factory=lambda: ["speeder", "straight-lining"],
        description="respondents with these quality flags are left out of every score")
    min_group_size: int = Field(default=5, ge=1, le=100,
                                description="client-facing outputs show no number from fewer respondents")
    budget: Budget = Field(default_factory=Budget)
    deployments: list[Deployment] = Field(default_factory=list)
    people: list[Person] = Field(default_factory=list)
    sponsor: str | None = Field(default=None, description="the name of one of `people`; clears escalations")
    target: str | None = Field(default=None, description="a deployment id: overrides the plan's choice")
    plan: PlanSettings = Field(default_factory=PlanSettings)
    invited: Invited | None = Field(default=None, description="people invited, by role id (or by unit, then role "
                                    "id): the report gives the response rate")
    risks: list[Risk] = Field(default_factory=list, description="the consultant's own risks for the register")

    @field_validator("logo")
    @classmethod
    def _logo_inside(cls, value: str | None) -> str | None:
        """A logo is a PNG, JPEG or SVG file named relative to the workspace folder."""
        if value is None:
            return value
        path = PurePosixPath(value.replace("\\", "/"))
        if "\0" in value or path.is_absolute() or ".." in path.parts:
            raise ValueError("logo must be a file path inside the workspace folder, e.g. logo.png")
        if path.suffix.lower() not in (".png", ".jpg", ".jpeg", ".svg"):
            raise ValueError("logo must be a .png, .jpg or .svg file")
        return value

    @model_validator(mode="after")
    def _unique_ids(self) -> Engagement:
        ids = [d.id for d in self.deployments]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"duplicate deployment id: {', '.join(dup)}")
        names = [p.name for p in self.people]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"two people share the name {', '.join(dup)}; names identify them in the plan")
        if self.sponsor is not None and self.sponsor not in names:
            raise ValueError(f"sponsor {self.sponsor!r} is not one of `people` ({', '.join(names) or 'none listed'})")
        unknown = sorted({r.owner for r in self.risks} - set(names))
        if unknown:
            raise ValueError(f"risk owner {unknown[0]!r} is not one of `people` ({', '.join(names) or 'none listed'})")
        if self.target is not None and self.target not in ids:
            raise ValueError(f"target {self.target!r} is not a deployment id ({', '.join(ids) or 'none listed'})")
        return self
