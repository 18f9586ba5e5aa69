"""Report inputs built the way production builds them, for the report tests.

A workspace is created with :func:`assessment.init_workspace`, synthetic
respondents are written as real survey-tool exports and imported with
:func:`assessment.collect.import_responses`, the baseline plan is saved with
``assess plan --save``, a day-90 round is imported, and
:func:`assessment.report.report_inputs_from_workspace` scores and plans each round
through :func:`assessment.pipeline.evaluate`. Nothing here builds a score or a plan
by hand, so the report tests check what ``assess report`` really renders.

The baseline carries the hostile cases the report must print literally: a comment
with HTML, a template expression and a spreadsheet formula; an export whose file
name starts with ``=``; a row with an unknown role (set aside, with its problem in
the import log). In the day-90 round 40 of the same people answer again, with one
friction point moved by two scale points.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from assessment import init_workspace, load_questionnaire
from assessment.cli import cli
from assessment.collect import import_responses
from assessment.engagement import Workspace
from assessment.questionnaire import Questionnaire
from assessment.report import ReportInputs, report_inputs_from_workspace

from .exports import write_export
from .synth import synthesize

CLIENT = "Acme <Corp> & Sons"
EVIL = ('Honestly <img src="file:///etc/hostname"> <script>alert(1)</script> {{ 7*7 }} '
        '=HYPERLINK("http://x","y") nobody owns the approval queue')
HOSTILE_FILE = "=cmd|' -C calc'!A0.csv"
UNKNOWN_ROLE = "Intern"
IMPROVED = "monitoring"
BASELINE, FOLLOW_UP = "baseline", "day-90"

ENGAGEMENT = """\
client: "Acme <Corp> & Sons"
title: AI transformation assessment
questionnaire: ai-friction
currency: EUR
prepared_by: North Star Advisory
date: "2025-03-14"
budget:
  new_models: 800000
  hardening: 200000
  max_shift: 0.5
deployments:
  - {id: churn, name: Churn propensity model, stage: production, pnl_metric: Net revenue retention,
     annual_value: 4000000, realized_share: 0.25, business_owner: Head of Customer Success,
     technology_owner: ML Platform Lead}
  - {id: fraud, name: Card fraud scoring, stage: staging, pnl_metric: Fraud losses,
     annual_value: 1800000, realized_share: 0, business_owner: Head of Fraud, technology_owner: Data Science Lead}
  - {id: pricing, name: Dynamic pricing pilot, stage: pilot, pnl_metric: Gross margin, annual_value: 1500000,
     realized_share: 0, business_owner: Pricing Director, technology_owner: Data Science Lead,
     quarterly_cost: 120000}
"""


@dataclass(frozen=True)
class ReportWorkspace:
    """A two-round workspace and the report inputs of each round."""

    workspace: Workspace
    baseline: ReportInputs  # round "baseline": import log with the hostile cases, no progress section
    follow_up: ReportInputs  # round "day-90": progress since the baseline, tracking the saved plan


def _shift(records: list[dict[str, Any]], q: Questionnaire, dimension: str, steps: int) -> list[dict[str, Any]]:
    """Move every scale answer of ``dimension`` ``steps`` points towards maturity."""
    out = []
    for rec in records:
        answers = dict(rec["answers"])
        for qid, value in answers.items():
            question = q.questions[qid]
            if q.question_dimension[qid] == dimension and question.type == "scale" and isinstance(value, int | float):
                scale = q.scale_of(question)
                answers[qid] = min(scale.v_max, max(scale.v_min, value + (-steps if question.reverse else steps)))
        out.append({**rec, "answers": answers})
    return out


def _with_unknown_role(path: Path, line: int) -> None:
    """Give the respondent on ``line`` of a Google Forms CSV a role the questionnaire does not have."""
    lines = path.read_text(encoding="utf-8").splitlines()
    role = next(r.label for r in load_questionnaire("ai-friction").roles if r.label in lines[line])
    lines[line] = lines[line].replace(role, UNKNOWN_ROLE, 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _baseline_files(q: Questionnaire, root: Path) -> tuple[list[dict[str, Any]], Path, Path]:
    records = synthesize(q, 48, seed=7)
    text_q = next(x.id for x in q.dimension_by_id["governance"].questions if x.type == "text")
    records[3]["answers"][text_q] = EVIL
    forms = write_export(records[:24], q, "google-forms", root / HOSTILE_FILE)
    _with_unknown_role(forms, 6)
    # SurveyMonkey records start and end times, so the speeder is found there.
    monkey = write_export(records[24:], q, "surveymonkey", root / "returns-surveymonkey.xlsx")
    return records, forms, monkey


def build_report_workspace(root: Path) -> ReportWorkspace:
    """Create, import, plan and re-assess a workspace under ``root``; return both rounds' inputs."""
    q = load_questionnaire("ai-friction")
    ws = init_workspace(root / "ws", CLIENT, questionnaire="ai-friction")
    ws.engagement_path.write_text(ENGAGEMENT, encoding="utf-8")
    ws = Workspace(ws.root)
    records, forms, monkey = _baseline_files(q, root)
    import_responses(ws, forms, skip_invalid=True)
    import_responses(ws, monkey)
    runner = CliRunner()
    for args in (["plan", "--save"], ["round", "new", FOLLOW_UP]):
        result = runner.invoke(cli, ["-w", str(ws.root), *args])
        assert result.exit_code == 0, result.output
    # 40 of the baseline's people answer again (matched by e-mail, resampled as pairs).
    follow = _shift(records[8:], q, IMPROVED, 2)
    import_responses(ws, write_export(follow, q, "google-forms", root / "day90.csv"))
    return ReportWorkspace(workspace=ws, baseline=report_inputs_from_workspace(ws, round=BASELINE),
                           follow_up=report_inputs_from_workspace(ws))


# -- a small-groups engagement (issue 12 anonymity, issue 15 findings) -------------------------

SMALL_ROLE = "finance"  # 3 respondents
SMALL_UNIT = "Reinsurance"  # 2 respondents
SMALL_ENGAGEMENT = """\
client: Harbour Insurance
questionnaire: ai-friction@2
currency: EUR
prepared_by: North Star Advisory
date: "2025-05-02"
min_group_size: 5
budget: {new_models: 900000, hardening: 300000, max_shift: 0.5}
people:
  - {name: Ada Moss, title: Chief Operating Officer, role: exec}
  - {name: Ben Ortiz, title: Head of Claims, role: bpo}
  - {name: Cleo Park, title: ML Platform Lead, role: mlops}
  - {name: Dev Rao, title: Data Science Lead, role: ds}
  - {name: Eli Stone, title: Head of Model Risk, role: risk}
sponsor: Ada Moss
invited: {exec: 8, bpo: 10, finance: 6, ds: 15, mlops: 10, risk: 8, users: 23}
risks:
  - {risk: The claims system upgrade freezes releases in month 2., likelihood: high, impact: medium,
     owner: Cleo Park, mitigation: Agree a release window with IT before day 20.}
deployments:
  - {id: claims, name: Claims triage model, stage: staging, pnl_metric: Claims leakage, annual_value: 2000000,
     realized_share: 0, business_owner: Ben Ortiz, technology_owner: Dev Rao, unit: Claims, value_basis: business-case}
  - {id: pricing, name: Pricing pilot, stage: pilot, pnl_metric: Loss ratio, annual_value: 900000,
     realized_share: 0, business_owner: Ada Moss, technology_owner: Dev Rao, quarterly_cost: 150000}
"""
SMALL_MIX = {"exec": 6, "bpo": 8, "finance": 3, "ds": 12, "mlops": 8, "risk": 6, "users": 17}


def small_group_records(q: Questionnaire) -> list[dict[str, Any]]:
    """60 respondents: a 3-person finance role, and two people (not finance) in a 2-person unit."""
    records = synthesize(q, sum(SMALL_MIX.values()), seed=11, role_mix=SMALL_MIX, units=("Claims", "Personal", "Commercial"),
                         straight_liners=0, speeders=0)
    movers = [r for r in records if r["role"] in ("users", "ds")][:2]
    for r in movers:
        r["unit"] = SMALL_UNIT
    return records


def build_small_group_workspace(root: Path) -> Workspace:
    """A workspace (baseline round) whose finance role has 3 respondents and whose Reinsurance unit has 2."""
    q = load_questionnaire("ai-friction@2")
    ws = init_workspace(root / "small", "Harbour Insurance", questionnaire="ai-friction@2")
    ws.engagement_path.write_text(SMALL_ENGAGEMENT, encoding="utf-8")
    ws = Workspace(ws.root)
    import_responses(ws, write_export(small_group_records(q), q, "google-forms", root / "harbour.csv"))
    return ws
