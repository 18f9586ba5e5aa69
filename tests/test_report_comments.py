"""Every comment reaches the report verbatim (Appendix E), hostile ones included, as
literal text: not only the few quoted on the friction-point pages."""

from __future__ import annotations

import re

from pypdf import PdfReader
from support.exports import write_export
from support.synth import synthesize

from assessment import init_workspace, load_questionnaire
from assessment.cli import cli

HOSTILE = '<img src="file:///etc/hostname"> <script>alert(1)</script> {{ 7*7 }} =HYPERLINK("http://x","y")'


def test_hostile_comment_among_many_appears_literally(tmp_path, runner):
    q = load_questionnaire("ai-friction")
    records = synthesize(q, 60, seed=8)
    text_q = next(x.id for x in q.dimension_by_id["trust"].questions if x.type == "text")
    records[17]["answers"][text_q] = HOSTILE
    path = write_export(records, q, "wide", tmp_path / "wide.csv")
    ws = init_workspace(tmp_path / "ws", "Literal Ltd", questionnaire="ai-friction")
    ws.engagement_path.write_text(ws.engagement_path.read_text().replace(
        "deployments: []",
        "deployments:\n  - {id: m, name: Claims model, stage: production, pnl_metric: Leakage,"
        " annual_value: 1000000, business_owner: A B, technology_owner: C D}"))
    assert runner.invoke(cli, ["-w", str(ws.root), "import", str(path)]).exit_code == 0
    out = tmp_path / "r.pdf"
    result = runner.invoke(cli, ["-w", str(ws.root), "report", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(out).pages))
    assert "Appendix E" in text
    for part in ('<img src="file:///etc/hostname">', "<script>alert(1)</script>", "{{ 7*7 }}",
                 '=HYPERLINK("http://x","y")'):
        assert part in text, part


def test_report_without_deployments_is_a_marked_draft_without_empty_plan_pages(tmp_path, runner):
    q = load_questionnaire("ai-friction")
    path = write_export(synthesize(q, 30, seed=9), q, "wide", tmp_path / "wide.csv")
    ws = init_workspace(tmp_path / "ws", "Draft Ltd", questionnaire="ai-friction")  # no deployments listed yet
    assert runner.invoke(cli, ["-w", str(ws.root), "import", str(path)]).exit_code == 0
    out = tmp_path / "draft.pdf"
    result = runner.invoke(cli, ["-w", str(ws.root), "report", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(out).pages))
    assert "DRAFT" in text and "No deployment is eligible for hardening yet" in text
    assert "Actions, owners and KPIs" not in text and "Three 30-day phases" not in text


def test_report_on_too_few_respondents_is_marked_not_for_decision(tmp_path, runner):
    """Four people cannot carry a board decision: the report says so on every page's mark."""
    q = load_questionnaire("ai-friction")
    path = write_export(synthesize(q, 4, seed=9, straight_liners=0, speeders=0), q, "wide", tmp_path / "few.csv")
    ws = init_workspace(tmp_path / "ws", "Few Ltd", questionnaire="ai-friction")
    assert runner.invoke(cli, ["-w", str(ws.root), "import", str(path)]).exit_code == 0
    out = tmp_path / "few.pdf"
    result = runner.invoke(cli, ["-w", str(ws.root), "report", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(out).pages))
    assert "DRAFT" in text and "only 4 respondents: not for decision" in text
