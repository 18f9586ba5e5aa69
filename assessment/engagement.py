"""Engagements: a workspace folder holding ``engagement.yaml``, the response store
and the reports.

``engagement.yaml`` says who the client is, which questionnaire is used, the
current 90-day budget split and the client's AI deployments; the plan and the
report read it. It is validated with the same located messages as questionnaires.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import EngagementError, Problem
from .fileio import atomic_write, write_text_atomic
from .questionnaire import Questionnaire, load_questionnaire, pinned_reference
from .records import Record, cached, from_model

if TYPE_CHECKING:  # YAML is read only when a file is validated (see records.cached)
    from .yamlsafe import Positions

ENGAGEMENT_FILE = "engagement.yaml"
STORE_FILE = "responses.sqlite"


# -- the records every consumer reads (validation: :mod:`.engagement_schema`) ---------------


class Budget(Record):
    """The client's 90-day AI budget: ``new_models``, ``hardening`` and the ``max_shift`` share."""


class KPI(Record):
    """The P&L target of a deployment: ``baseline``, ``target_90d``, ``target_12m``, ``unit``, ``measured_by``."""


class Deployment(Record):
    """An AI deployment of the client: stage, P&L metric, annual value and how much is realised,
    owners, cost, value basis, KPI and business unit."""

    @property
    def value_at_stake(self) -> float:
        return self.annual_value * (1 - self.realized_share)


class Person(Record):
    """Someone at the client who can carry plan actions: ``name``, ``title``, ``role``."""


class PlanSettings(Record):
    """The plan's own rules: contingency, rounding, loop-effort share, stage and basis factors, ramp."""


class Risk(Record):
    """A risk the consultant adds to the report's register."""


class Engagement(Record):
    """A validated ``engagement.yaml``."""


#: The record class of each validated model, by name.
RECORDS: dict[str, type[Record]] = {c.__name__: c for c in (Budget, KPI, Deployment, Person, PlanSettings, Risk,
                                                             Engagement)}

DEFAULT_QUESTIONNAIRE = "ai-friction@2"


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


def _validated(data: Any, file: str, positions: Positions) -> Engagement:
    """pydantic's checks of every key, type and range, as the records of the engagement."""
    from pydantic import ValidationError

    from .engagement_schema import Engagement as Schema
    from .questionnaire_schema import _pydantic_problems

    if not isinstance(data, dict):
        raise EngagementError("the top level must be a mapping of keys", file=file)
    if data.get("deployments") is None:
        data["deployments"] = []
    try:
        return from_model(Schema.model_validate(data), RECORDS)
    except ValidationError as exc:
        problems = _pydantic_problems(exc, file, positions)
        if any(p.message.startswith("(top level)") or "duplicate deployment id" in p.message for p in problems):
            from .yamlsafe import locate

            pos = locate(positions, ("deployments",))
            problems = [Problem(p.message.removeprefix("(top level): "), file, *(pos or (None, None)))
                        if "duplicate deployment id" in p.message else p for p in problems]
        raise EngagementError(str(problems[0]), problems=problems) from None


def parse_engagement(data: Any, file: str = "<engagement>") -> Engagement:
    """Validate engagement data built in code; raise :class:`EngagementError` listing every problem."""
    return _validated(data, file, {})


def _read(path: str | Path) -> Engagement:
    from .yamlsafe import YamlLoadError, load_yaml

    file = str(path)
    try:
        data, positions = load_yaml(path)
    except YamlLoadError as exc:
        raise EngagementError(str(exc.problem), problems=[exc.problem]) from None
    return _validated(data, file, positions)


def load_engagement(path: str | Path) -> Engagement:
    """Read and validate ``engagement.yaml``; raise :class:`EngagementError` with located problems.
    A file validated before, byte for byte, by this version of the package comes from the cache."""
    return cached("engagement", Path(path), RECORDS, lambda: _read(path))


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
