"""``assess demo``: the bundled engagement runs end to end through the real pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from support.demo_samples import write_demo_samples

from assessment.cli import cli
from assessment.demo import DEMO_MARKER, SAMPLE_FILES, samples_dir
from assessment.engagement import load_engagement, open_workspace
from assessment.store import load_workspace_responses

CLIENT = "Northwind Mutual (fictional)"


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "assess-demo"
    result = CliRunner().invoke(cli, ["demo", "--out", str(out)])
    return out, result


def test_demo_builds_a_complete_workspace(demo_run):
    out, result = demo_run
    assert result.exit_code == 0, result.output
    assert (out / DEMO_MARKER).is_file()
    ws = open_workspace(out)
    assert ws.engagement.client == CLIENT
    assert "demonstration" in ws.engagement.title
    for name in SAMPLE_FILES:
        assert (out / "returns" / name).is_file()
        assert f"Imported returns/{name}" in result.output

    responses = load_workspace_responses(ws)
    people = responses.respondents
    assert 60 <= len(people) <= 120
    assert set(people["role"]) == {r.id for r in ws.questionnaire.roles}
    assert people["unit"].nunique() == 3
    assert set(people["source_file"].map(lambda p: Path(p).name)) == set(SAMPLE_FILES)
    # The planted quality problems are found: two straight-liners, and the speeder (who
    # answered in the SurveyMonkey file, which records start and end times).
    assert people["flags"].str.contains("straight-lining").sum() >= 2
    assert people["flags"].str.contains("speeder").sum() == 1
    assert "Scored: overall" in result.output and "Planned: harden" in result.output


def test_demo_writes_a_readable_report(demo_run):
    from pypdf import PdfReader

    out, result = demo_run
    assert result.exit_code == 0, result.output
    pdfs = list((out / "reports").glob("*.pdf"))
    assert len(pdfs) == 1 and f"PDF report: {pdfs[0]}" in result.output
    reader = PdfReader(pdfs[0])
    assert len(reader.pages) >= 10
    text = "\n".join(page.extract_text() for page in reader.pages[:3])
    assert CLIENT in text


def test_demo_reruns_over_a_previous_demo_and_refuses_other_folders(tmp_path):
    runner = CliRunner()
    out = tmp_path / "demo"
    out.mkdir()
    (out / DEMO_MARKER).write_text("previous demo")
    (out / "stale.txt").write_text("left over from last time")
    result = runner.invoke(cli, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert not (out / "stale.txt").exists() and (out / "engagement.yaml").is_file()

    mine = tmp_path / "client-work"
    mine.mkdir()
    (mine / "engagement.yaml").write_text("client: Real Client\n")
    result = runner.invoke(cli, ["demo", "--out", str(mine)])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {mine}: ") and "not an `assess demo` workspace" in result.output
    assert "Traceback" not in result.output
    assert sorted(p.name for p in mine.iterdir()) == ["engagement.yaml"]
    assert (mine / "engagement.yaml").read_text() == "client: Real Client\n"

    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    result = runner.invoke(cli, ["demo", "--out", str(a_file)])
    assert result.exit_code == 1 and "not a folder" in result.output


def test_bundled_samples_are_current(tmp_path):
    """The committed sample files are exactly what tools/make_demo_samples.py writes."""
    from openpyxl import load_workbook

    fresh = {p.name: p for p in write_demo_samples(tmp_path)}
    bundled = samples_dir()
    for name, path in fresh.items():
        if name.endswith(".xlsx"):  # xlsx bytes carry a save time; compare the cells
            old = [[c.value for c in row] for row in load_workbook(bundled / name).active.iter_rows()]
            new = [[c.value for c in row] for row in load_workbook(path).active.iter_rows()]
            assert old == new, name
        else:
            assert (bundled / name).read_bytes() == path.read_bytes(), name
    eng = load_engagement(bundled / "engagement.yaml")
    assert eng.currency == "EUR" and len(eng.deployments) == 6
    assert {d.stage for d in eng.deployments} == {"production", "staging", "pilot"}
    assert all(d.quarterly_cost for d in eng.deployments if d.stage == "pilot")
    assert (eng.budget.new_models, eng.budget.hardening, eng.budget.max_shift) == (1_800_000, 600_000, 0.5)


def test_demo_findings_read_from_its_own_data(demo_run):
    """The demo runs on ai-friction@2: key facts on page 2, a 'What we found' on every friction-point page,
    comments that differ by friction point and no comment quoted twice before the appendices."""
    import re

    from pypdf import PdfReader

    out, result = demo_run
    ws = open_workspace(out)
    assert ws.questionnaire.version.startswith("2") and ws.engagement.invited and ws.engagement.risks
    pages = [re.sub(r"\s+", " ", p.extract_text()) for p in PdfReader(next((out / "reports").glob("*.pdf"))).pages]
    assert "Key facts" in pages[1] and "Response rate" in pages[1] and "Before acting on this" in pages[1]
    first_appendix = next(i for i, p in enumerate(pages) if "Appendix A · Method: how every number" in p)
    body = " ".join(pages[:first_appendix])
    assert body.count("What we found") == len(ws.questionnaire.dimensions)
    quotes = re.findall(r"“([^”]{12,})”", body)
    assert len(quotes) >= len(ws.questionnaire.dimensions) and len(quotes) == len(set(quotes))
    # each friction point's comments are its own: no text is written under two friction points
    responses = load_workspace_responses(ws)
    text_q = {qq.id: ws.questionnaire.question_dimension[qq.id] for qq in ws.questionnaire.questions.values()
              if qq.type == "text"}
    a = responses.answers[responses.answers["question_id"].isin(text_q) & (responses.answers["state"] == "answered")]
    dims_of = a.assign(dim=a["question_id"].map(text_q)).groupby("raw")["dim"].nunique()
    assert (dims_of == 1).all()
