"""Workspaces: init, discovery from a sub-folder, and validation of engagement.yaml."""

from __future__ import annotations

import pytest

from assessment import EngagementError, init_workspace, load_engagement
from assessment.cli import cli


def test_init_creates_workspace_usable_by_show(tmp_path, runner):
    ws = tmp_path / "acme"
    result = runner.invoke(cli, ["init", str(ws), "--client", "Acme: Corp"])
    assert result.exit_code == 0, result.output
    assert (ws / "engagement.yaml").is_file() and (ws / "reports").is_dir()
    eng = load_engagement(ws / "engagement.yaml")
    assert eng.client == "Acme: Corp" and eng.questionnaire == "ai-friction@2"  # init pins the version
    assert eng.budget.max_shift == 0.5 and eng.deployments == []
    result = runner.invoke(cli, ["-w", str(ws), "questionnaire", "show", "--format", "json"])
    assert result.exit_code == 0
    assert '"ai-friction"' in result.output


def test_init_refuses_to_overwrite(tmp_path, runner):
    init_workspace(tmp_path / "w", "Acme")
    before = (tmp_path / "w" / "engagement.yaml").read_text()
    result = runner.invoke(cli, ["init", str(tmp_path / "w"), "--client", "Other"])
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert (tmp_path / "w" / "engagement.yaml").read_text() == before


def test_workspace_found_upward(tmp_path, runner, monkeypatch):
    init_workspace(tmp_path / "w", "Acme")
    sub = tmp_path / "w" / "reports"
    monkeypatch.chdir(sub)
    result = runner.invoke(cli, ["questionnaire", "show", "--format", "yaml"])
    assert result.exit_code == 0
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["questionnaire", "show"])
    assert result.exit_code == 1
    assert "no engagement.yaml" in result.output


@pytest.mark.parametrize("snippet,expected", [
    ("budget: {new_models: -5, hardening: 0}", "greater than or equal to 0"),
    ("budget: {new_models: 5, hardening: 0, max_shift: 1.5}", "max_shift"),
    ("deployments: [{id: a, name: A, stage: live, pnl_metric: m, annual_value: 1, business_owner: x, technology_owner: y}]",
     "stage"),
    ("deployments: [{id: a, name: A, stage: pilot, pnl_metric: m, annual_value: 1, realized_share: 2, business_owner: x, technology_owner: y}]",
     "realized_share"),
    ("deployments: [{id: a, name: A, stage: pilot, pnl_metric: m, annual_value: 1, business_owner: x, technology_owner: y},"
     " {id: a, name: B, stage: pilot, pnl_metric: m, annual_value: 1, business_owner: x, technology_owner: y}]",
     "duplicate deployment id"),
    ("budgett: {}", "unknown key `budgett`"),
    ("budget: {new_models: .inf, hardening: 0}", "finite number"),
    ('logo: "../outside.png"', "inside the workspace"),
    ("logo: logo.gif", ".png, .jpg or .svg"),
    ("date: next tuesday", "valid date"),
])
def test_engagement_validation(tmp_path, snippet, expected):
    path = tmp_path / "engagement.yaml"
    path.write_text("client: Acme\n" + snippet + "\n")
    with pytest.raises(EngagementError) as info:
        load_engagement(path)
    msg = str(info.value)
    assert expected in msg and msg.startswith(f"{path}:2")
