"""Assessment rounds end to end: a baseline and a day-90 follow-up where one friction
point really improved and another did not; compare finds the one and not the other,
and the report gains its progress section."""

from __future__ import annotations

import json

import pytest
from pypdf import PdfReader
from support.exports import write_export
from support.synth import synthesize

from assessment import init_workspace, load_questionnaire
from assessment.cli import cli

IMPROVED, UNCHANGED = "monitoring", "legacy"


def _shift(records, questionnaire, dimension, steps):
    """Move every scale answer of ``dimension`` ``steps`` points towards maturity."""
    out = []
    for rec in records:
        rec = {**rec, "answers": dict(rec["answers"])}
        for qid, value in rec["answers"].items():
            question = questionnaire.questions[qid]
            if questionnaire.question_dimension[qid] != dimension or question.type != "scale":
                continue
            if isinstance(value, int | float):
                scale = questionnaire.scale_of(question)
                delta = -steps if question.reverse else steps
                rec["answers"][qid] = min(scale.v_max, max(scale.v_min, value + delta))
        out.append(rec)
    return out


@pytest.fixture(scope="module")
def two_rounds(tmp_path_factory):
    root = tmp_path_factory.mktemp("rounds")
    q = load_questionnaire("ai-friction")
    ws = init_workspace(root / "ws", "Rounds Ltd", questionnaire="ai-friction")
    ws.engagement_path.write_text(ws.engagement_path.read_text().replace(
        "deployments: []",
        "deployments:\n  - {id: claims, name: Claims triage model, stage: production, pnl_metric: Claims leakage,"
        " annual_value: 2000000, realized_share: 0.2, business_owner: Ana Ruiz, technology_owner: Li Wei}")
        .replace("new_models: 0", "new_models: 500000").replace("hardening: 0", "hardening: 200000"))
    baseline = synthesize(q, 80, seed=11, straight_liners=0, speeders=0)
    # Half the baseline respondents answer again (same e-mail, matched), half are new.
    again = synthesize(q, 80, seed=11, straight_liners=0, speeders=0)[:40]
    fresh = synthesize(q, 40, seed=12, straight_liners=0, speeders=0)
    for rec in fresh:
        rec["id"] = "N" + str(rec["id"])
        rec["email"] = "new." + rec["email"]
    follow_up = _shift(again + fresh, q, IMPROVED, 2)
    write_export(baseline, q, "google-forms", root / "baseline.csv")
    write_export(follow_up, q, "google-forms", root / "day90.csv")
    return ws, root


def test_compare_finds_the_improvement_and_not_the_unchanged(two_rounds, runner):
    ws, root = two_rounds
    w = ["-w", str(ws.root)]
    assert runner.invoke(cli, [*w, "import", str(root / "baseline.csv")]).exit_code == 0
    result = runner.invoke(cli, [*w, "plan", "--save"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(cli, [*w, "round", "new", "day-90"]).exit_code == 0
    result = runner.invoke(cli, [*w, "import", str(root / "day90.csv")])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, [*w, "score", "--compare", "baseline", "day-90", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    # the 40 people who answered both rounds are matched by e-mail and resampled as pairs
    assert data["method"] == "paired" and data["matched_respondents"] == 40
    dims = {d["id"]: d for d in data["dimensions"]}
    improved, unchanged = dims[IMPROVED], dims[UNCHANGED]
    assert improved["change"] > 10 and improved["ci_low"] > 0 and improved["significant"] is True
    assert unchanged["ci_low"] <= 0 <= unchanged["ci_high"] and unchanged["significant"] is False


def test_report_has_progress_section(two_rounds, runner, tmp_path):
    ws, _ = two_rounds
    out = tmp_path / "r.pdf"
    result = runner.invoke(cli, ["-w", str(ws.root), "report", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(out).pages).split())
    assert "Progress since" in text and "baseline" in text
    assert "improved" in text and "stalled" in text
    # the plan saved at baseline is tracked against what the re-assessment measured
    assert "did the friction points it worked on move" in text
    assert "Measured at day-90" in text


def test_small_groups_are_never_beyond_the_noise(worked_yaml):
    """Two people (one per role) in each round: resampling has nothing to draw, so no
    interval and no verdict beyond "too few to tell", however large the change."""
    from assessment import load_questionnaire
    from assessment.responses import from_records
    from assessment.scoring import compare_rounds

    q = load_questionnaire(worked_yaml)
    def people(answer: int) -> list[dict]:
        return [{"id": f"{role}-1", "role": role, "answers": {"GOV-1": answer, "GOV-2": 6 - answer, "MON-1": answer}}
                for role in ("exec", "ds")]
    data = compare_rounds(q, from_records(people(1)), from_records(people(5)), n_resamples=200)
    for entry in [data["overall"], *data["dimensions"]]:
        if entry["change"] is None:
            continue
        assert entry["change"] > 0
        assert entry["significant"] is None and entry["verdict"] == "too few to tell"
        assert entry["ci_low"] is None and entry["ci_high"] is None
