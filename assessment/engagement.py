"""Engagements: a workspace folder holding ``engagement.yaml``, the response store
and the reports.

``engagement.yaml`` says who the client is, which questionnaire is used, the
current 90-day budget split and the client's AI deployments; the plan and the
report read it. It is validated with the same located messages as questionnaires.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path, PurePosixPath
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import EngagementError, Problem
from .fileio import atomic_write, write_text_atomic
from .questionnaire import Questionnaire, _pydantic_problems, load_questionnaire, pinned_reference
from .yamlsafe import YamlLoadError, load_yaml, locate

ENGAGEMENT_FILE = "engagement.yaml"
STORE_FILE = "responses.sqlite"
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

    @property
    def value_at_stake(self) -> float:
        return self.annual_value * (1 - self.realized_share)


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
DEFAULT_QUESTIONNAIRE = "ai-friction@2"


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


class Workspace:
    """A folder with ``engagement.yaml``; knows where everything of the engagement lives."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self._engagement: Engagement | None = None
        self._questionnaire: Questionnaire | None = None

    @property
    def engagement_path(self) -> Path:
        return self.root / ENGAGEMENT_FILE

    @property
    def store_path(self) -> Path:
        return self.root / STORE_FILE

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    def plan_path(self, round_name: str) -> Path:
        """Where ``assess plan --save`` keeps the plan made at ``round_name``."""
        return self.root / "plans" / f"{round_name}.json"

    @property
    def engagement(self) -> Engagement:
        if self._engagement is None:
            self._engagement = load_engagement(self.engagement_path)
        return self._engagement

    @property
    def questionnaire(self) -> Questionnaire:
        if self._questionnaire is None:
            ref = self.engagement.questionnaire
            candidate = (self.root / ref) if not Path(ref).is_absolute() else Path(ref)
            self._questionnaire = load_questionnaire(candidate if candidate.exists() else ref)
        return self._questionnaire

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r})"


def load_engagement(path: str | Path) -> Engagement:
    """Read and validate ``engagement.yaml``; raise :class:`EngagementError` with located problems."""
    file = str(path)
    try:
        data, positions = load_yaml(path)
    except YamlLoadError as exc:
        raise EngagementError(str(exc.problem), problems=[exc.problem]) from None
    if not isinstance(data, dict):
        raise EngagementError("the top level must be a mapping of keys", file=file)
    if data.get("deployments") is None:
        data["deployments"] = []
    try:
        return Engagement.model_validate(data)
    except ValidationError as exc:
        problems = _pydantic_problems(exc, file, positions)
        if any(p.message.startswith("(top level)") or "duplicate deployment id" in p.message for p in problems):
            pos = locate(positions, ("deployments",))
            problems = [Problem(p.message.removeprefix("(top level): "), file, *(pos or (None, None)))
                        if "duplicate deployment id" in p.message else p for p in problems]
        raise EngagementError(str(problems[0]), problems=problems) from None


def find_workspace(start: str | Path | None = None) -> Workspace:
    """The nearest folder at or above ``start`` holding ``engagement.yaml``."""
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / ENGAGEMENT_FILE).is_file():
            return Workspace(folder)
    raise EngagementError(f"no {ENGAGEMENT_FILE} here or in any parent folder; "
                          "create one with `assess init DIR --client NAME` or pass -w DIR", file=str(here))


def open_workspace(path: str | Path | None) -> Workspace:
    """Open the workspace at ``path`` (or find the nearest one); checks engagement.yaml exists."""
    if path is None:
        return find_workspace()
    root = Path(path)
    if not (root / ENGAGEMENT_FILE).is_file():
        raise EngagementError(f"not a workspace: no {ENGAGEMENT_FILE} (create one with `assess init`)",
                              file=str(root))
    return Workspace(root)


_TEMPLATE = """\
# Engagement settings for {client}. Edit this file, then run `assess plan` / `assess report`.
client: {client_yaml}
title: AI transformation assessment
# The questionnaire and its version (id@version for a bundled one); scores stay comparable
# only while it is unchanged. A file that names none was made with ai-friction version 1.
questionnaire: {questionnaire}
currency: {currency}
prepared_by: null          # your firm or name, shown on the report cover
# logo: logo.png           # optional, a PNG/SVG file inside this folder
# brand_colour: "#0B3D91"  # optional accent colour of the report

# Optional: how many people were invited to answer, by role id (or by unit, then role id);
# the report gives the response rate. And your own risks for the report's risk register.
# invited: {{exec: 5, bpo: 10, ds: 12, mlops: 8, risk: 4, users: 30}}
# risks:
#   - {{risk: "...", likelihood: medium, impact: high, owner: "a name from people", mitigation: "..."}}

# The client's current 90-day AI budget: what goes into building new or experimental
# models, what goes into hardening and running existing ones, and the largest share
# of new_models the plan may move to hardening (0-1).
budget:
  new_models: 0
  hardening: 0
  max_shift: 0.5

# The client's AI deployments. stage: pilot | staging | production.
# annual_value: the yearly value the deployment should bring; realized_share: the part
# already realised (0-1). quarterly_cost is optional (pilots that could be paused).
deployments: []
#  - id: churn
#    name: Churn propensity model
#    stage: production
#    pnl_metric: Net revenue retention
#    annual_value: 4000000
#    realized_share: 0.25
#    business_owner: Head of Customer Success
#    technology_owner: ML Platform Lead
#  - id: pricing-pilot
#    name: Dynamic pricing pilot
#    stage: pilot
#    pnl_metric: Gross margin
#    annual_value: 1500000
#    realized_share: 0
#    business_owner: Pricing Director
#    technology_owner: Data Science Lead
#    quarterly_cost: 120000
"""


def _yaml_str(value: str) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid YAML scalar


def _copy_questionnaire(source: Path, root: Path) -> str:
    """Copy ``source`` into ``root`` (unless it is already inside) and return its path relative to ``root``."""
    source = source.resolve()
    if root in source.parents:
        return source.relative_to(root).as_posix()
    name = source.name if source.name not in (ENGAGEMENT_FILE, STORE_FILE) else "questionnaire.yaml"
    target = root / name
    if target.exists() and target.read_bytes() != source.read_bytes():
        target = root / f"questionnaire-{source.stem}{source.suffix}"
    data = source.read_bytes()
    atomic_write(target, lambda p: p.write_bytes(data))
    return target.name


def init_workspace(root: str | Path, client: str, questionnaire: str = DEFAULT_QUESTIONNAIRE,
                   currency: str = "EUR") -> Workspace:
    """Create a workspace folder with ``engagement.yaml`` and ``reports/``.

    Refuses to overwrite an existing engagement. The questionnaire is validated first,
    so a workspace is never created around a broken one. A bundled questionnaire is
    written with its version (``ai-friction@2``), so the workspace keeps scoring with
    the edition it was made with when a later one is bundled.
    """
    root = Path(root)
    if not client.strip():
        raise EngagementError("--client must not be empty", file=str(root))
    if (root / ENGAGEMENT_FILE).exists():
        raise EngagementError(f"{ENGAGEMENT_FILE} already exists; not overwriting it", file=str(root))
    if root.exists() and not root.is_dir():
        raise EngagementError("exists and is not a folder", file=str(root))
    q = load_questionnaire(questionnaire)
    source = Path(questionnaire) if Path(questionnaire).is_file() else None
    ref = pinned_reference(q)
    if not re.fullmatch(r"[A-Za-z]{3}", currency):
        raise EngagementError(f"currency must be a 3-letter code such as EUR, got {currency!r}", file=str(root))
    root.mkdir(parents=True, exist_ok=True)
    (root / "reports").mkdir(exist_ok=True)
    if source is not None:
        # A questionnaire file is copied in and named relatively, so the workspace is
        # self-contained: it can be moved, zipped and sent, and never points outside itself.
        ref = _copy_questionnaire(source, root.resolve())
    text = _TEMPLATE.format(client=client.replace("\n", " "), client_yaml=_yaml_str(client),
                            questionnaire=_yaml_str(ref), currency=currency.upper())
    write_text_atomic(root / ENGAGEMENT_FILE, text)
    return Workspace(root)
