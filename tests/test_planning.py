"""The 90-day plan: the scorecard and target, money bottom up to the cent, funding sources,
priority order and schedule, named accountability, the P&L target, and the CLI."""

from __future__ import annotations

import json
import math
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessment.engagement import Engagement, parse_engagement
from assessment.errors import PlanError
from assessment.planning import LOOP_TAGS, build_plan, compare_scenarios, window
from assessment.questionnaire import load_questionnaire, parse_questionnaire
from assessment.yamlsafe import load_yaml

# A richer action library than tests/data/worked.yaml: four dimensions, three phases,
# chains of prerequisites, loop-closing tags, an action moved by its prerequisite,
# one too expensive, one that cannot finish by day 90, one the client has outgrown.
RICH_YAML = """
id: rich
version: '2.1'
scales:
  agree5:
    points: [{value: 1, label: SD}, {value: 2, label: D}, {value: 3, label: N}, {value: 4, label: A}, {value: 5, label: SA}]
roles:
  - {id: exec, label: Executive sponsor, group: leadership}
  - {id: bpo, label: Business process owner, group: leadership}
  - {id: ds, label: Data scientist, group: practitioner}
  - {id: mlops, label: MLOps engineer, group: practitioner}
levels:
  - {level: 1, name: Ad hoc, min: 0}
  - {level: 2, name: Emerging, min: 25}
  - {level: 3, name: Defined, min: 45}
  - {level: 4, name: Managed, min: 65}
  - {level: 5, name: Optimised, min: 85}
dimensions:
  - id: governance
    title: Governance
    weight: 2
    questions: [{id: G1, text: Reviews are fast., scale: agree5}]
  - id: integration
    title: Integration
    questions: [{id: I1, text: Pilots reach production., scale: agree5}]
  - id: value
    title: Value
    weight: 1.5
    questions: [{id: V1, text: Each model has a P&L metric., scale: agree5}]
  - id: monitoring
    title: Monitoring
    questions: [{id: M1, text: Drift alerts exist., scale: agree5}]
actions:
  - {id: GOV-1, dimension: governance, title: Risk-tiered review, phase: 1, max_level: 3, owners: [exec, mlops],
     cost: 30000, effort_days: 20, kpi: Median review days}
  - {id: GOV-2, dimension: governance, title: Automated model cards, phase: 2, max_level: 3, owners: [bpo, ds],
     cost: 40000, effort_days: 25, after: [GOV-1], kpi: Share of releases with cards}
  - {id: GOV-3, dimension: governance, title: Continuous compliance, phase: 3, max_level: 4, owners: [exec, mlops],
     cost: 50000, effort_days: 30, after: [GOV-2], kpi: Days from approval to production}
  - {id: GOV-X, dimension: governance, title: Extended audit, phase: 3, max_level: 4, owners: [exec, ds],
     cost: 1000, effort_days: 10, after: [GOV-3], kpi: Audit findings closed}
  - {id: INT-1, dimension: integration, title: Model CI/CD, phase: 1, max_level: 2, owners: [exec, mlops],
     cost: 25000, effort_days: 25, kpi: Deploys per month}
  - {id: INT-2, dimension: integration, title: Environment parity, phase: 1, max_level: 2, owners: [bpo, mlops],
     cost: 10000, effort_days: 10, after: [INT-1, GOV-1], kpi: Parity defects}
  - {id: INT-3, dimension: integration, title: Feature platform, phase: 3, max_level: 5, owners: [exec, mlops],
     cost: 900000, effort_days: 30, kpi: Days to a new feature}
  - {id: INT-4, dimension: integration, title: Runbook, phase: 3, max_level: 5, owners: [bpo, mlops],
     cost: 5000, effort_days: 5, kpi: Runbook coverage}
  - {id: VAL-1, dimension: value, title: Inference-to-P&L feedback loop, phase: 1, max_level: 3, owners: [bpo, ds],
     cost: 20000, effort_days: 10, kpi: Decisions joined to outcomes, tags: [feedback-loop]}
  - {id: MON-1, dimension: monitoring, title: Decay as an incident, phase: 2, max_level: 3, owners: [exec, mlops],
     cost: 15000, effort_days: 12, after: [VAL-1], kpi: Time to detect decay, tags: [decay-monitoring]}
  - {id: MON-3, dimension: monitoring, title: Decay drill, phase: 2, max_level: 3, owners: [bpo, mlops],
     cost: 8000, effort_days: 20, after: [MON-1], kpi: Drill findings closed, tags: [decay-monitoring]}
  - {id: MON-2, dimension: monitoring, title: Basic logging, phase: 1, max_level: 1, owners: [exec, mlops],
     cost: 2000, effort_days: 5, kpi: Models logged}
"""

SCORES = {"dimensions": [
    {"id": "governance", "score": 30.0, "level": 2},
    {"id": "integration", "score": 20.0, "level": 1},
    {"id": "value", "score": 40.0, "level": 2},
    {"id": "monitoring", "score": 35.0, "level": 2},
], "overall": {"score": 31.0}}


def dep(id_: str, stage: str, value: float, realized: float = 0.0, **extra) -> dict:
    return {"id": id_, "name": f"Model {id_}", "stage": stage, "pnl_metric": f"Metric {id_}",
            "annual_value": value, "realized_share": realized, "business_owner": f"Biz {id_}",
            "technology_owner": f"Tech {id_}", **extra}


def engagement(deployments: list[dict], new_models: float = 400000, hardening: float = 100000,
               max_shift: float = 0.5, **extra) -> Engagement:
    return parse_engagement({"client": "Acme", "currency": "EUR",
                             "budget": {"new_models": new_models, "hardening": hardening, "max_shift": max_shift},
                             "deployments": deployments, **extra})


DEPLOYMENTS = [
    dep("churn", "production", 4_000_000, 0.25),
    dep("fraud", "staging", 2_000_000, 0.0),
    dep("pricing", "pilot", 9_000_000, 0.0, quarterly_cost=90000),
    dep("chatbot", "pilot", 500_000, 0.0, quarterly_cost=60000),
    dep("ocr", "pilot", 800_000, 0.5, quarterly_cost=30000),
]


@pytest.fixture(scope="module")
def rich():
    data, positions = load_yaml_text(RICH_YAML)
    return parse_questionnaire(data, "rich.yaml", positions)


def load_yaml_text(text: str):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rich.yaml"
        path.write_text(text, encoding="utf-8")
        return load_yaml(path)


@pytest.fixture(scope="module")
def worked():
    from pathlib import Path

    return load_questionnaire(Path(__file__).parent / "data" / "worked.yaml")


def cents(x: float) -> int:
    return int(Decimal(repr(x)) * 100)


# -- target --------------------------------------------------------------------------------


def test_scorecard_ranks_production_and_staging_by_risk_adjusted_value(rich):
    plan = build_plan(rich, engagement(DEPLOYMENTS), SCORES)
    rows = {r["id"]: r for r in plan.scorecard}
    assert set(rows) == {"churn", "fraud"}  # pilots are not hardened
    churn, fraud = rows["churn"], rows["fraud"]
    assert churn["value_at_stake"] == 3_000_000.0 and churn["value_basis"] == "estimate"
    # risk-adjusted = value at stake x stage factor x basis factor - hardening cost, to the cent
    for row in (churn, fraud):
        factor = Decimal(repr(row["stage_factor"])) * Decimal(repr(row["basis_factor"]))
        want = Decimal(repr(row["value_at_stake"])) * factor - Decimal(repr(row["hardening_cost"]))
        assert Decimal(repr(row["risk_adjusted_value"])) == want
    assert plan.target["id"] == "churn" and plan.target["override"] is False
    assert [r["rank"] for r in plan.scorecard] == [1, 2]
    assert "highest risk-adjusted value" in plan.target["why"]
    assert plan.target["accountable_for_value"] == ["Biz churn", "Tech churn"]


def test_value_basis_and_override_change_the_target(rich):
    audited = [dep("churn", "production", 4_000_000, 0.25), dep("fraud", "staging", 4_000_000, 0.0,
                                                               value_basis="audited")]
    plan = build_plan(rich, engagement(audited), SCORES)
    assert plan.target["id"] == "fraud"  # 4.0M x 0.8 x 1.0 beats 3.0M x 1.0 x 0.6
    forced = engagement(audited, target="churn")
    plan = build_plan(rich, forced, SCORES)
    assert plan.target["id"] == "churn" and plan.target["override"] is True
    assert "engagement.yaml names it" in plan.target["why"]


def test_target_must_be_production_or_staging(rich):
    with pytest.raises(PlanError, match="pilot"):
        build_plan(rich, engagement(DEPLOYMENTS, target="pricing"), SCORES)


@pytest.mark.parametrize("deployments,expected", [
    ([], "no deployments"),
    ([dep("a", "pilot", 100), dep("b", "pilot", 200)], "no deployment in production or staging"),
])
def test_no_eligible_deployment_is_a_plan_error(rich, deployments, expected):
    with pytest.raises(PlanError) as info:
        build_plan(rich, engagement(deployments), SCORES)
    assert expected in str(info.value)
    assert "engagement.yaml" in str(info.value)


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan")])
def test_max_shift_outside_0_1_is_a_plan_error(rich, bad):
    with pytest.raises(PlanError, match="max_shift"):
        build_plan(rich, engagement(DEPLOYMENTS), SCORES, max_shift=bad)


# -- money, bottom up ----------------------------------------------------------------------


def check_money(plan, eng) -> None:
    """Every money rule, to the cent."""
    b = plan.budget
    before = cents(b["before"]["new_models"]) + cents(b["before"]["hardening"])
    after = cents(b["after"]["new_models"]) + cents(b["after"]["hardening"])
    assert before == after  # conserved
    actions = sum(cents(a.cost) for a in plan.actions)
    assert cents(b["actions_cost"]) == actions
    with_contingency = math.ceil(Decimal(actions) * (1 + Decimal(repr(eng.plan.contingency))))
    assert cents(b["contingency_amount"]) == with_contingency - actions
    need = with_contingency - cents(eng.budget.hardening)
    step = cents(eng.plan.rounding)
    rounded = 0 if need <= 0 else math.ceil(Decimal(need) / step) * step
    cap = math.floor(Decimal(repr(b["max_shift"])) * cents(eng.budget.new_models))
    assert cents(b["shift"]) == min(rounded, cap)
    # the funded cost with contingency fits the money the plan may use
    assert with_contingency <= cents(eng.budget.hardening) + cap
    # every split line is its actions' cost; the contingency line holds the rest
    per_dim = {}
    for a in plan.actions:
        per_dim[a.dimension] = per_dim.get(a.dimension, 0) + cents(a.cost)
    lines = {k: cents(v) for k, v in b["by_dimension"].items()}
    assert {k: v for k, v in lines.items() if k != "contingency"} == {k: v for k, v in per_dim.items() if v}
    assert sum(lines.values()) == cents(b["after"]["hardening"])
    # funding sources add up to the shift exactly
    assert sum(cents(f["amount"]) for f in plan.funding) == cents(b["shift"])


def test_money_rules_on_the_rich_library(rich):
    eng = engagement(DEPLOYMENTS)
    plan = build_plan(rich, eng, SCORES)
    check_money(plan, eng)
    assert "EUR" in plan.budget["rule"] and "contingency 10%" in plan.budget["rule"]


def test_prefix_funding_stops_at_the_first_action_that_does_not_fit(rich):
    eng = engagement(DEPLOYMENTS, new_models=100_000, hardening=20_000)
    plan = build_plan(rich, eng, SCORES)
    check_money(plan, eng)
    reasons = {u["id"]: u["reason"] for u in plan.unfunded}
    stopper = next(k for k, v in reasons.items() if v.startswith("beyond the money"))
    later = [k for k, v in reasons.items() if v.startswith("after ")]
    assert later and all(stopper in reasons[k] for k in later)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scores=st.lists(st.one_of(st.none(), st.floats(0, 100)), min_size=4, max_size=4),
       new_models=st.integers(0, 2_000_000), hardening=st.integers(0, 500_000),
       caps=st.lists(st.floats(0, 1), min_size=2, max_size=4), contingency=st.sampled_from([0, 0.1, 0.25]),
       rounding=st.sampled_from([1, 1000, 5000]))
def test_money_properties_and_monotone_scenarios(rich, scores, new_models, hardening, caps, contingency, rounding):
    dims = {"dimensions": [{"id": d, "score": s} for d, s in
                           zip(["governance", "integration", "value", "monitoring"], scores, strict=True)]}
    eng = engagement(DEPLOYMENTS, new_models=new_models, hardening=hardening,
                     plan={"contingency": contingency, "rounding": rounding})
    previous = None
    for cap in sorted(caps):
        plan = build_plan(rich, eng, dims, max_shift=cap)
        check_money(plan, engagement(DEPLOYMENTS, new_models=new_models, hardening=hardening, max_shift=cap,
                                     plan={"contingency": contingency, "rounding": rounding}))
        ids = [a.id for a in plan.actions]
        if previous is not None:
            assert set(previous) <= set(ids)  # a larger cap never funds less
        previous = ids
    rows = compare_scenarios(rich, eng, dims, sorted(caps))
    for small, large in zip(rows, rows[1:], strict=False):
        assert set(small["action_ids"]) <= set(large["action_ids"])


def test_funding_pilots_lowest_value_first_then_new_model_budget(rich):
    eng = engagement(DEPLOYMENTS)
    plan = build_plan(rich, eng, SCORES)
    rows = {f["source"]: f for f in plan.funding}
    assert list(rows) == ["ocr", "chatbot", "pricing", "new-model budget"]  # 400k, 500k, 9M at stake
    shift = cents(plan.budget["shift"])
    taken = 0
    for pid in ("ocr", "chatbot", "pricing"):
        row = rows[pid]
        assert cents(row["amount"]) == min(cents(row["quarterly_cost"]), shift - taken)
        assert row["decision"] == ("pause" if row["amount"] else "continue")
        if row["amount"]:
            assert row["restart_condition"] and row["earliest_restart_day"] == 91
        taken += cents(row["amount"])
    assert cents(rows["new-model budget"]["amount"]) == shift - taken
    assert rows["ocr"]["value_forgone"] == round(800_000 * 0.5 / 4, 2) or rows["ocr"]["amount"] == 0
    assert list(plan.pause) == [p for p in ("ocr", "chatbot", "pricing") if rows[p]["amount"]]


# -- order, schedule, accountability --------------------------------------------------------


def test_loop_actions_first_and_in_phase_1(rich):
    plan = build_plan(rich, engagement(DEPLOYMENTS), SCORES)
    loop = [a for a in plan.actions if set(a.tags) & set(LOOP_TAGS)]
    assert loop and all(a.phase == 1 or a.after for a in loop)
    val = next(a for a in plan.actions if a.id == "VAL-1")
    assert (val.phase, val.start_day) == (1, 1)
    assert val.measured_on == "Model churn's Metric churn"  # a loop KPI is measured on the P&L metric
    gov = next(a for a in plan.actions if a.id == "GOV-1")
    assert gov.measured_on is None  # review lead time is not measured in the P&L metric


def test_prerequisites_come_before_and_schedule_holds(rich):
    plan = build_plan(rich, engagement(DEPLOYMENTS, new_models=2_000_000, hardening=400_000), SCORES)
    ends = {a.id: a.end_day for a in plan.actions}
    for a in plan.actions:
        first, last = window(a.phase)
        assert first <= a.start_day <= a.end_day <= last
        assert a.end_day - a.start_day + 1 == a.effort_days
        for d in a.after:
            if d in ends:
                assert a.start_day > ends[d]


def test_staging_target_goes_live_first_and_live_traffic_waits(rich):
    eng = engagement([dep("fraud", "staging", 4_000_000), dep("p", "pilot", 100_000, quarterly_cost=50_000)],
                     new_models=2_000_000, hardening=400_000)
    plan = build_plan(rich, eng, SCORES)
    go = plan.target["go_live"]
    assert go == "GO-LIVE"  # the rich library has no go-live action: the plan adds one and says so
    go_live = next(a for a in plan.actions if a.id == go)
    assert go_live.end_day <= 45 and go_live.built_in
    assert any("go-live" in n for n in plan.notes)


def test_bundled_library_go_live_precedes_live_traffic_actions():
    q = load_questionnaire("ai-friction@2")
    scores = {"dimensions": [{"id": d.id, "score": 30.0} for d in q.dimensions]}
    eng = engagement([dep("fraud", "staging", 4_000_000)], new_models=3_000_000, hardening=600_000)
    plan = build_plan(q, eng, scores)
    go = next(a for a in plan.actions if a.id == plan.target["go_live"])
    assert "go-live" in go.tags and go.end_day <= 45
    live = [a for a in plan.actions if "needs-live-traffic" in a.tags]
    assert live and all(a.start_day > go.end_day for a in live)


def test_no_kpi_means_the_plan_measures_the_baseline_first(rich):
    plan = build_plan(rich, engagement(DEPLOYMENTS), SCORES)
    assert plan.kpi is None and "no `kpi`" in plan.kpi_missing
    first = plan.actions[0]
    assert "pnl-baseline" in first.tags and first.start_day == 1
    with_kpi = [dep("churn", "production", 4_000_000, 0.25,
                    kpi={"baseline": 12.0, "target_90d": 11.0, "unit": "%", "measured_by": "holdout"})]
    plan = build_plan(rich, engagement(with_kpi), SCORES)
    assert plan.kpi["baseline"] == 12.0 and plan.kpi_missing is None
    assert not any("pnl-baseline" in a.tags for a in plan.actions)
    day90 = plan.milestones[-1].to_dict()
    assert "from 12% to 11%" in day90["pnl_target"] and "holdout" in day90["pnl_target"]


def test_every_action_has_one_accountable_person_of_the_library_role(rich):
    people = [{"name": "Eve Exec", "title": "COO", "role": "exec"}, {"name": "Bo Biz", "role": "bpo"},
              {"name": "Dee Data", "role": "ds"}, {"name": "Max Ops", "role": "mlops"},
              {"name": "Mo Ops", "role": "mlops"}]
    eng = engagement(DEPLOYMENTS, new_models=2_000_000, hardening=400_000, people=people, sponsor="Eve Exec")
    plan = build_plan(rich, eng, SCORES)
    holders = {p["name"]: p["role"] for p in people}
    for a in plan.actions:
        role = rich.action_by_id[a.id].owners[0] if a.id in rich.action_by_id else a.accountable["role"]
        assert a.accountable["role"] == role
        assert holders[a.accountable["name"]] == role
        assert all(holders[r["name"]] == r["role"] for r in a.responsible)
    assert plan.sponsor == {"name": "Eve Exec", "title": "COO"}
    # two people hold mlops: the load is shared
    mlops = {a.accountable["name"] for a in plan.actions if a.accountable["role"] == "mlops"}
    assert len(mlops) == 2 or sum(a.accountable["role"] == "mlops" for a in plan.actions) < 2


def test_unfilled_roles_are_to_be_named_and_warned(rich):
    plan = build_plan(rich, engagement(DEPLOYMENTS, people=[{"name": "Eve Exec", "role": "exec"}]), SCORES)
    named = [a for a in plan.actions if a.accountable["role"] == "exec"]
    assert named and all(a.accountable["name"] == "Eve Exec" for a in named)
    assert any(a.accountable["name"] == "to be named" for a in plan.actions)
    assert any("No one in `people` holds the role mlops" in w for w in plan.warnings)
    plan = build_plan(rich, engagement(DEPLOYMENTS), SCORES)
    assert any("lists no `people`" in w for w in plan.warnings)


def test_loop_effort_share_is_measured_and_warned(rich):
    plan = build_plan(rich, engagement(DEPLOYMENTS, new_models=2_000_000, hardening=400_000), SCORES)
    share = plan.loop_effort_share
    early = [a for a in plan.actions if a.start_day <= 30]
    loop = sum(a.effort_days for a in early if set(a.tags) & set(LOOP_TAGS))
    assert share["share"] == round(loop / sum(a.effort_days for a in early), 4)
    assert share["target"] == 0.8
    assert any("closing loops" in w for w in plan.warnings) == (share["share"] < 0.8)


def test_cost_of_inaction_follows_the_ramp(rich):
    plan = build_plan(rich, engagement(DEPLOYMENTS), SCORES)
    coi = plan.cost_of_inaction
    assert coi["value_start_day"] == 0 and coi["ramp"] == [0.0, 0.5, 1.0]
    # production: value can start now; 3.0M a year -> 250k a month x (0 + 0.5 + 1.0)
    assert coi["amount"] == 375_000.0
    assert plan.assumptions and any("Ramp" in a for a in plan.assumptions)


def test_milestones_and_json_contract(rich):
    plan = build_plan(rich, engagement(DEPLOYMENTS), SCORES)
    assert [m.day for m in plan.milestones] == [30, 60, 90]
    for m in plan.milestones:
        ending = [a for a in plan.actions if m.previous_day < a.end_day <= m.day]
        assert list(m.actions) == [a.id for a in ending]
        assert list(m.measures) == [a.kpi for a in ending]
    data = json.loads(json.dumps(plan.to_dict(), allow_nan=False))
    for key in ("scorecard", "funding", "kpi", "kpi_missing", "loop_effort_share", "cost_of_inaction",
                "currency", "target", "deployments", "budget", "pause", "actions", "unfunded", "milestones"):
        assert key in data
    assert {"override", "go_live"} <= set(data["target"])
    assert {"actions_cost", "contingency", "contingency_amount", "by_dimension"} <= set(data["budget"])
    a = data["actions"][0]
    assert set(a["accountable"]) >= {"name", "role"} and isinstance(a["responsible"], list)


def test_score_outside_range_is_rejected(rich):
    with pytest.raises(PlanError, match="outside 0-100"):
        build_plan(rich, engagement(DEPLOYMENTS), {"dimensions": [{"id": "value", "score": 120}]})


# -- CLI ---------------------------------------------------------------------------------------
# These use the real importer, store and scoring: a Google Forms CSV is imported into a
# workspace that uses tests/data/worked.yaml, then `assess plan` scores it and plans.

FORMS_HEADER = ["Timestamp", "What is your role?", "Which business unit?",
                "Model releases pass review within two weeks.", "Models wait in staging for documentation.",
                "Days from approval to production", "Production models have drift alerts.",
                "How ready is retraining (0-10)?", "Comments on monitoring"]
FORMS_ROWS = [
    ["2024/05/01 10:00:00", "Executive sponsor", "Retail", "Agree", "Disagree", "30", "Neutral", "", "ok"],
    ["2024/05/01 11:00:00", "Data scientist", "Retail", "Disagree", "Agree", "90", "Disagree", "3", ""],
    ["2024/05/01 12:00:00", "IT operations", "Retail", "Strongly disagree", "Strongly agree", "120", "Disagree",
     "2", ""],
]
WORKSPACE_YAML = """\
client: Acme
questionnaire: {questionnaire}
currency: EUR
budget: {{new_models: 400000, hardening: 10000, max_shift: 0.5}}
deployments:
{deployments}
"""
GOOD_DEPLOYMENTS = """\
  - {id: churn, name: Churn model, stage: production, pnl_metric: Net revenue retention, annual_value: 4000000,
     realized_share: 0.25, business_owner: Jane Doe, technology_owner: Raj Patel}
  - {id: pp, name: Pricing pilot, stage: pilot, pnl_metric: Gross margin, annual_value: 900000,
     business_owner: Ann Lee, technology_owner: Bo Chen, quarterly_cost: 120000}
"""


def make_workspace(root, deployments: str = GOOD_DEPLOYMENTS, with_responses: bool = True):
    import csv
    from pathlib import Path

    from assessment.engagement import Workspace

    root.mkdir(parents=True, exist_ok=True)
    worked_path = Path(__file__).parent / "data" / "worked.yaml"
    (root / "engagement.yaml").write_text(
        WORKSPACE_YAML.format(questionnaire=json.dumps(str(worked_path)), deployments=deployments),
        encoding="utf-8")
    if with_responses:
        from assessment.collect import import_responses

        with (root / "forms.csv").open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([FORMS_HEADER, *FORMS_ROWS])
        import_responses(Workspace(root), [root / "forms.csv"])
    return root


@pytest.fixture
def plan_ws(tmp_path):
    return make_workspace(tmp_path / "acme")


def test_cli_plan_table(plan_ws, runner):
    from assessment.cli import cli

    result = runner.invoke(cli, ["-w", str(plan_ws), "plan"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "TARGET  Churn model [churn, production]" in out
    assert "Rule: Shift = funded actions EUR 60,000 + contingency 10%" in out
    for text in ("Phase 1 (days 1-30)", "Phase 2 (days 31-60)", "Phase 3 (days 61-90)", "Day 30:", "Day 60:",
                 "Day 90:", "Jane Doe (business) and Raj Patel (technology)", "SCORECARD", "pause     Pricing pilot",
                 "accountable: to be named (Executive sponsor)", "WARNINGS", "lists no `people`", "Governance",
                 "Monitoring"):
        assert text in out, text


def test_cli_plan_json_and_save(plan_ws, runner):
    from assessment.cli import cli

    result = runner.invoke(cli, ["-w", str(plan_ws), "plan", "--format", "json", "--save"])
    assert result.exit_code == 0, result.output
    saved = plan_ws / "plans" / "baseline.json"
    data = json.loads(saved.read_text(encoding="utf-8"))
    assert data["round"] == "baseline" and data["client"] == "Acme"
    assert data["target"]["id"] == "churn"
    assert data["questionnaire"] == {"id": "worked-example", "version": "1"}
    assert {a["id"] for a in data["actions"]} == {"PNL-BASELINE", "GOV-A", "MON-A", "MON-B"}
    b = data["budget"]
    assert round(b["before"]["new_models"] + b["before"]["hardening"], 2) == \
        round(b["after"]["new_models"] + b["after"]["hardening"], 2) == 410000.0
    assert b["shift"] == 56000.0  # 60,000 x 1.1 - 10,000, rounded up to a thousand
    assert [p.name for p in (plan_ws / "plans").iterdir()] == ["baseline.json"]  # no temp file left
    stdout = json.loads(result.stdout)
    assert stdout == data
    # a more cautious cap moves less
    result = runner.invoke(cli, ["-w", str(plan_ws), "plan", "--format", "json", "--max-shift", "0.2"])
    assert json.loads(result.stdout)["budget"]["shift"] <= b["shift"]


def test_cli_compare(plan_ws, runner):
    from assessment.cli import cli

    result = runner.invoke(cli, ["-w", str(plan_ws), "plan", "--compare", "0.3", "0.5", "0.7"])
    assert result.exit_code == 0, result.output
    assert "max_shift" in result.output and "actions funded" in result.output
    result = runner.invoke(cli, ["-w", str(plan_ws), "plan", "--format", "json", "--compare", "0,0.5,1"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["scenarios"]
    assert [r["max_shift"] for r in rows] == [0.0, 0.5, 1.0]
    assert rows[0]["shift"] == 0 and rows[0]["shift"] <= rows[1]["shift"] <= rows[2]["shift"]
    for small, large in zip(rows, rows[1:], strict=False):
        assert set(small["action_ids"]) <= set(large["action_ids"])


@pytest.mark.parametrize("args,expected", [
    (["--max-shift", "1.5"], "--max-shift must be a share between 0 and 1"),
    (["--compare", "0.3", "abc"], "not a share between 0 and 1"),
    (["--round", "../x"], "no round '../x'"),
])
def test_cli_bad_options(plan_ws, runner, args, expected):
    from assessment.cli import cli

    result = runner.invoke(cli, ["-w", str(plan_ws), "plan", *args])
    assert result.exit_code == 1
    assert expected in result.output and "Traceback" not in result.output
    assert not (plan_ws / "plans").exists()


@pytest.mark.parametrize("deployments,expected", [
    ("  - {id: p, name: P, stage: pilot, pnl_metric: m, annual_value: 5, business_owner: a, technology_owner: b}\n",
     "no deployment in production or staging"),
    ("  []\n", "no deployments"),
])
def test_cli_no_eligible_deployment(tmp_path, runner, deployments, expected):
    from assessment.cli import cli

    ws = make_workspace(tmp_path / "w", deployments=deployments, with_responses=False)
    result = runner.invoke(cli, ["-w", str(ws), "plan"])
    assert result.exit_code == 1
    assert expected in result.output and "engagement.yaml" in result.output
    assert "Traceback" not in result.output


def test_cli_no_responses(tmp_path, runner):
    from assessment.cli import cli

    ws = make_workspace(tmp_path / "w", with_responses=False)
    result = runner.invoke(cli, ["-w", str(ws), "plan", "--save"])
    assert result.exit_code == 1
    assert "no respondents to score" in result.output
    assert not (ws / "plans").exists()


def test_cli_help(runner):
    from assessment.cli import cli

    result = runner.invoke(cli, ["plan", "--help"])
    assert result.exit_code == 0
    assert "--compare" in result.output and "--save" in result.output and "--max-shift" in result.output
