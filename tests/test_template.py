"""The survey workbook: layout contract, dropdowns, protection, and an exact round trip through import."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from assessment.collect import import_responses
from assessment.engagement import init_workspace
from assessment.errors import ReportError
from assessment.questionnaire import load_questionnaire
from assessment.store import load_workspace_responses
from assessment.template import write_survey_workbook

DATA = Path(__file__).parent / "data"


@pytest.fixture
def q():
    return load_questionnaire(DATA / "worked.yaml")


@pytest.fixture
def workbook(tmp_path, q):
    path = write_survey_workbook(q, tmp_path / "survey.xlsx", client="Acme")
    return path, openpyxl.load_workbook(path)


def lists_values(wb, ref: str) -> list[str]:
    sheet, cells = ref.split("!")
    ws = wb[sheet.strip("'")]
    return [c.value for row in ws[cells.replace("$", "")] for c in row]


def test_layout_matches_the_contract(workbook, q):
    path, wb = workbook
    assert {"Instructions", "Responses", "Lists", "Questions"} <= set(wb.sheetnames)
    assert wb["Lists"].sheet_state == "hidden"
    ws = wb["Responses"]
    assert [c.value for c in ws[1]] == ["Respondent ID", "Role", "Business unit", *q.questions]
    assert [c.value for c in ws[2]] == ["Question →", "pick from list", "type your unit",
                                        *(qq.text for qq in q.questions.values())]
    assert ws.freeze_panes == "D3"
    assert ws["D2"].alignment.wrap_text and ws.row_dimensions[2].height >= 60
    assert ws.column_dimensions["D"].width >= 20
    assert ws["D1"].comment is not None and "Governance" in ws["D1"].comment.text
    assert "Monitoring" in ws["G1"].comment.text and "Data scientist" in ws["H1"].comment.text
    assert ws["D1"].fill.fgColor.rgb != ws["G1"].fill.fgColor.rgb  # one colour per dimension
    assert ws["D1"].fill.fgColor.rgb == ws["F1"].fill.fgColor.rgb
    instructions = " ".join(str(c.value) for row in wb["Instructions"].iter_rows() for c in row if c.value)
    assert "Acme" in instructions and "Don't know / not applicable" in instructions
    assert "never to people" in instructions
    assert not list(path.parent.glob("*.tmp"))


def test_protection_locks_headers_only(workbook):
    _, wb = workbook
    ws = wb["Responses"]
    assert ws.protection.sheet and not ws.protection.password
    assert ws["A1"].protection.locked and ws["D2"].protection.locked
    assert not ws["A3"].protection.locked and not ws["I202"].protection.locked
    assert ws["I203"].protection.locked
    assert not ws.protection.formatRows and not ws.protection.autoFilter  # allowed


def test_dropdowns_refer_to_hidden_lists_and_refuse_other_values(workbook, q):
    _, wb = workbook
    ws = wb["Responses"]
    by_cell = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            by_cell[rng.coord.split(":")[0]] = dv
    role = by_cell["B3"]
    assert role.type == "list" and role.showErrorMessage and role.error
    assert not role.formula1.startswith("=")
    assert lists_values(wb, role.formula1) == [r.label for r in q.roles]
    gov1 = by_cell["D3"]
    assert gov1.type == "list" and gov1.showErrorMessage
    assert lists_values(wb, gov1.formula1) == ["Strongly disagree", "Disagree", "Neutral", "Agree",
                                               "Strongly agree", "Don't know / not applicable"]
    mon2 = by_cell["H3"]
    assert lists_values(wb, mon2.formula1) == [str(i) for i in range(11)]
    days = by_cell["F3"]
    assert (days.type, days.operator, days.formula1, days.formula2) == ("decimal", "between", "7", "180")
    assert days.showErrorMessage and days.prompt
    assert "I3" not in by_cell  # free text
    assert all(str(dv.sqref).endswith("202") for dv in ws.data_validations.dataValidation)


def fill(path: Path, rows: list[list]) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb["Responses"]
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            if value is not None:
                ws.cell(row=3 + i, column=1 + j, value=value)
    wb.save(path)


ROWS = [
    ["R01", "Executive sponsor", "Retail", "Agree", "Strongly disagree", 30, "Don't know / not applicable", None,
     "Nobody owns drift, see ticket #12"],
    [None, "Data scientist", "Operations", "Neutral", None, 7.5, "Strongly agree", "7", None],
    ["R03", "IT operations", None, "Disagree", "Agree", 180, "Disagree", "0", "Comma, and\nnewline"],
]


def test_filled_workbook_imports_exactly(tmp_path, q):
    ws = init_workspace(tmp_path / "w", "Acme", questionnaire=str(DATA / "worked.yaml"))
    path = write_survey_workbook(q, tmp_path / "returned.xlsx")
    fill(path, ROWS)
    report = import_responses(ws, [path])
    f = report.files[0]
    assert (f.status, f.source, f.added, f.problems, f.unmapped) == ("imported", "template", 3, [], [])
    r = load_workspace_responses(ws)
    people = r.respondents[["respondent_id", "role", "unit", "source_row"]].astype("object")
    assert people.where(people.notna(), None).values.tolist() == [
        ["R01", "exec", "Retail", 3], ["returned-r4", "ds", "Operations", 4], ["R03", "ops", None, 5]]
    got = {(a.respondent_id, a.question_id): (a.state, None if pd.isna(a.value) else a.value,
                                              None if pd.isna(a.raw) else a.raw)
           for a in r.answers.itertuples()}
    assert got[("R01", "GOV-1")] == ("answered", 4.0, "Agree")
    assert got[("R01", "GOV-2")] == ("answered", 1.0, "Strongly disagree")
    assert got[("R01", "GOV-3")] == ("answered", 30.0, "30")
    assert got[("R01", "MON-1")] == ("na", None, "Don't know / not applicable")
    assert ("R01", "MON-2") not in got  # not asked of executives and left empty: not stored
    assert got[("returned-r4", "GOV-2")][0] == "blank"  # asked and left empty: kept as blank
    assert got[("R01", "MON-3")] == ("answered", None, "Nobody owns drift, see ticket #12")
    assert got[("returned-r4", "GOV-2")][0] == "blank"
    assert got[("returned-r4", "GOV-3")][:2] == ("answered", 7.5)
    assert got[("returned-r4", "MON-2")][:2] == ("answered", 7.0)
    assert got[("R03", "GOV-3")][:2] == ("answered", 180.0)
    assert got[("R03", "MON-2")][:2] == ("answered", 0.0)
    assert got[("R03", "MON-3")][2] == "Comma, and\nnewline"
    assert len(r.answers) == 3 * len(q.questions) - 1  # all but exec's empty, unasked MON-2


def test_refuses_non_xlsx_and_missing_folder(tmp_path, q):
    with pytest.raises(ReportError, match=r"\.xlsx"):
        write_survey_workbook(q, tmp_path / "survey.csv")
    with pytest.raises(ReportError, match="folder does not exist"):
        write_survey_workbook(q, tmp_path / "nope" / "survey.xlsx")


def test_bundled_questionnaire_template_roundtrips_labels(tmp_path):
    q = load_questionnaire("ai-friction")
    path = write_survey_workbook(q, tmp_path / "s.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["Responses"]
    assert [c.value for c in ws[1]][3:] == list(q.questions)
    # every list formula stays a range reference, never an inline list (255-character limit)
    assert all("!" in dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list")
