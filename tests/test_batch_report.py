"""Reports written from a workspace: ``--unit`` by name or prefix, and the per-unit batch.

Real pipeline, real PDFs read back with pypdf. The small-groups workspace has units
Claims, Commercial and Personal (about 19 respondents each) and Reinsurance (2, below
``min_group_size``), so anonymity is exercised on every path.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.report_fixtures import SMALL_UNIT, build_small_group_workspace

from assessment.cli import cli
from assessment.errors import AssessmentError, ReportError
from assessment.report import batch
from assessment.report.batch import ReportOptions, write_report, write_unit_reports

REPORTED = ("Claims", "Commercial", "Personal")


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return build_small_group_workspace(tmp_path_factory.mktemp("batch"))


@pytest.fixture(scope="module")
def claims_pdf(small, tmp_path_factory) -> Path:
    """The Claims unit's report as ``assess report --unit claims`` writes it (lower case)."""
    out = tmp_path_factory.mktemp("claims") / "claims.pdf"
    res = _invoke(small.root, "report", "--unit", "claims", "-o", str(out))
    assert res.exit_code == 0, res.output
    assert res.stdout.split() == [str(out)]
    return out


def _invoke(root: Path, *args: str):
    return CliRunner().invoke(cli, ["-w", str(root), *args])


def _text(pdf: Path) -> str:
    from pypdf import PdfReader

    return re.sub(r"\s+", " ", "\n".join(p.extract_text() or "" for p in PdfReader(pdf).pages))


def test_unit_any_case_is_the_stored_unit(claims_pdf):
    assert "Harbour Insurance · Claims" in _text(claims_pdf)  # the stored name, not the text typed


def test_unit_prefix_writes_the_same_report_under_the_unit_s_own_name(small, claims_pdf):
    res = _invoke(small.root, "report", "--unit", "CLA")
    assert res.exit_code == 0, res.output
    pdf = Path(res.stdout.split()[0])
    assert pdf.parent == small.reports_dir and pdf.name.startswith("harbour-insurance-claims-baseline-")
    assert pdf.read_bytes() == claims_pdf.read_bytes()


def test_unknown_and_ambiguous_units_list_the_choices(small):
    res = _invoke(small.root, "report", "--unit", "Nowhere")
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert f"unknown unit `Nowhere`; units: Claims, Commercial, Personal, {SMALL_UNIT}" in res.output
    res = _invoke(small.root, "report", "--unit", "c")
    assert res.exit_code == 1 and "unit `c` is ambiguous: it could be Claims, Commercial" in res.output
    assert not list(small.reports_dir.glob("*nowhere*"))


@pytest.mark.parametrize("name", [SMALL_UNIT.lower(), SMALL_UNIT[:4].upper()])
def test_the_minimum_is_checked_on_the_resolved_unit(small, tmp_path, name):
    """``--unit reinsurance`` once slipped past the minimum (the check looked the text up as typed)."""
    res = _invoke(small.root, "report", "--unit", name, "-o", str(tmp_path / "r.pdf"))
    assert res.exit_code == 1, res.output
    assert f"unit '{SMALL_UNIT}' has fewer than 5 respondents (min_group_size)" in res.output
    assert not (tmp_path / "r.pdf").exists()
    with pytest.raises(ReportError, match="fewer than 5"):
        batch.resolve_report_unit(small, name)


def test_resolve_report_unit_refuses_unknown_units(small):
    with pytest.raises(AssessmentError, match=r"unknown unit `Nowhere`; units: Claims"):
        batch.resolve_report_unit(small.root, "Nowhere")
    assert batch.resolve_report_unit(small.root, "pers") == "Personal"


@pytest.mark.parametrize("fork", [True, False], ids=["fork", "spawn"])
def test_unit_batch_in_parallel(small, claims_pdf, tmp_path, monkeypatch, fork):
    """Both ways of starting workers write what ``--unit`` writes, byte for byte, skip the small
    unit, report each unit as it finishes, and return the paths written."""
    if not fork:  # the macOS/Windows path, or a parent with threads running (a notebook kernel)
        monkeypatch.setattr(batch, "_use_fork", lambda: False)
    elif not batch._use_fork():
        pytest.skip("fork is not used on this platform")
    skipped, done = [], []
    written = write_unit_reports(small, pdf=tmp_path / "u.pdf", xlsx="", jobs=2, on_skip=skipped.append,
                                 on_done=done.append)
    names = [f"u-{u.lower()}" for u in REPORTED]
    assert written == sorted([tmp_path / f"{n}{ext}" for n in names for ext in (".pdf", ".xlsx")], key=str)
    assert [s.unit for s in skipped] == [SMALL_UNIT] and skipped[0].respondents == 2
    assert "fewer than 5 respondents" in skipped[0].message
    assert sorted(d.unit for d in done) == list(REPORTED)
    assert [d.done for d in done] == [1, 2, 3] and {d.total for d in done} == {3}
    assert all(p.is_file() for d in done for p in d.paths)
    assert (tmp_path / "u-claims.pdf").read_bytes() == claims_pdf.read_bytes()
    for unit in REPORTED[1:]:
        assert f"Harbour Insurance · {unit}" in _text(tmp_path / f"u-{unit.lower()}.pdf")
    assert not list(tmp_path.glob(f"*{SMALL_UNIT.lower()}*"))


def test_a_batch_that_would_replace_another_file_writes_nothing(small, tmp_path):
    (tmp_path / "u-personal.pdf").write_bytes(b"someone else's")
    with pytest.raises(ReportError, match="not this report's own file"), \
            pytest.warns(UserWarning, match=f"Not reporting on unit '{SMALL_UNIT}'"):  # without on_skip: a warning
        write_unit_reports(small, pdf=tmp_path / "u.pdf", jobs=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["u-personal.pdf"]
    with pytest.raises(ReportError, match=r"must end in \.pdf"):
        write_report(small, pdf=tmp_path / "r.docx", options=ReportOptions())



def test_unit_inputs_from_the_shared_state_are_what_the_store_gives(tmp_path):
    """The batch builds each unit's inputs from one store read; on a second round (with "progress
    since baseline" and the saved plan) they render the very HTML a per-unit store read renders."""
    from support.report_fixtures import FOLLOW_UP, build_report_workspace

    from assessment.report import render_html, report_inputs_from_workspace

    ws = build_report_workspace(tmp_path).workspace
    shared = batch._load_shared(ws, ReportOptions(round=FOLLOW_UP))
    units, _ = batch._units(shared)
    assert len(units) == 3 and shared.previous == ("baseline", FOLLOW_UP)
    for unit in units:
        from_shared = batch._unit_inputs(shared, unit)
        assert from_shared.progress is not None and from_shared.progress["saved_plan"] is not None
        assert render_html(from_shared) == render_html(report_inputs_from_workspace(ws, unit=unit, round=FOLLOW_UP))
