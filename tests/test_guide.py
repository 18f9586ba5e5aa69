"""The workshop guide: renders a real PDF in the report's styling, and lists the probes, the
evidence and (for a role) that role's statements for every friction point."""

from __future__ import annotations

import re

import pytest
from pypdf import PdfReader

from assessment import load_questionnaire
from assessment.cli import cli
from assessment.engagement import init_workspace
from assessment.errors import GuideError
from assessment.guide import guide_context, guide_markdown, write_guide


@pytest.fixture(scope="module")
def v2():
    return load_questionnaire("ai-friction@2")


def _text(path) -> str:
    return re.sub(r"\s+", " ", "\n".join(page.extract_text() for page in PdfReader(str(path)).pages))


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module")
def full_pdf(tmp_path_factory, v2):
    path = tmp_path_factory.mktemp("guide") / "guide.pdf"
    write_guide(v2, path, client="Acme Bank")
    return path


def test_pdf_lists_probes_and_evidence_per_friction_point(full_pdf, v2):
    reader = PdfReader(str(full_pdf))
    assert len(reader.pages) >= 8
    text = _text(full_pdf)
    assert "Workshop guide" in text and "Acme Bank" in text
    for d in v2.dimensions:
        assert d.title in text
        for probe in d.probes:
            assert _norm(probe)[:60] in text, (d.id, probe)
        for x in d.questions:
            if x.evidence:
                assert _norm(x.evidence)[:40] in text, (d.id, x.id)
    # every statement appears, with who is asked
    for x in v2.questions.values():
        assert x.id in text
    assert "reported, not scored" in text and "headline fact" in text
    assert "Finance business partner" in text


def test_role_guide_lists_only_that_roles_statements(tmp_path, v2):
    path = write_guide(v2, tmp_path / "finance.pdf", role="finance")
    text = _text(path)
    asked = {x.id for x in v2.questions.values() if v2.asked(x, "finance")}
    not_asked = set(v2.questions) - asked
    assert "Statements the Finance business partner is asked" in text
    for qid in asked:
        assert qid in text, qid
    # ids may still appear in the evidence table ("Verifies"); statements of other roles must not
    for qid in not_asked:
        statement = _norm(v2.questions[qid].text)
        assert statement not in text, qid
    assert "not asked about this friction point" in text  # governance has no finance items


def test_markdown_and_html_outputs(tmp_path, v2):
    md = write_guide(v2, tmp_path / "g.md", role="users").read_text()
    assert md.startswith("# Workshop guide")
    assert md.count("### Interview probes") == len(v2.dimensions)
    assert md.count("### Evidence to request") == len(v2.dimensions)
    assert "`TRU-01`" in md and "`GOV-01`" not in md  # statements are `id`-quoted; evidence ids are not
    html = write_guide(v2, tmp_path / "g.html").read_text()
    assert 'href="report.css"' in html


def test_v1_says_what_it_lacks():
    ctx = guide_context(load_questionnaire("ai-friction"))
    assert not ctx["has_probes"] and not ctx["has_evidence"]
    md = guide_markdown(ctx)
    assert "No probes in this questionnaire" in md  # never a silently empty section


def test_errors(tmp_path, v2):
    with pytest.raises(GuideError, match="unknown role `cfo`"):
        write_guide(v2, tmp_path / "g.pdf", role="cfo")
    with pytest.raises(GuideError, match="cannot write a guide as `.docx`"):
        write_guide(v2, tmp_path / "g.docx")


def test_cli(tmp_path, runner):
    out = tmp_path / "g.pdf"
    result = runner.invoke(cli, ["guide", "-o", str(out), "--role", "risk"])
    assert result.exit_code == 0, result.output
    assert "ai-friction v2.0, role risk" in result.output
    assert out.read_bytes().startswith(b"%PDF")
    result = runner.invoke(cli, ["guide", "--role", "nobody"])
    assert result.exit_code == 1 and "unknown role `nobody`" in result.output
    # in a workspace: its questionnaire and client
    ws = init_workspace(tmp_path / "ws", "Northwind Ltd", questionnaire="ai-friction")
    result = runner.invoke(cli, ["-w", str(ws.root), "guide"])
    assert result.exit_code == 0
    assert "ai-friction v1.0" in result.output and "Northwind Ltd" in result.output


def test_same_input_same_pdf(tmp_path, v2, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    a = write_guide(v2, tmp_path / "a.pdf", role="ds").read_bytes()
    b = write_guide(v2, tmp_path / "b.pdf", role="ds").read_bytes()
    assert a == b
