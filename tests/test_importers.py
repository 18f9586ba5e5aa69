"""Importers: every survey-tool layout written as the tool writes it, read back in full.

Each layout test writes the same three respondents (worked.yaml) in that tool's
shape -- header rows, metadata columns, grid titles, encodings, separators -- and
checks that every respondent, role, unit and answer arrives, N/A distinct from blank.
The real exports in ../shared/samples are read with the mappings in tests/data/samples.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import random
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessment.errors import ImportFailed
from assessment.importers import SOURCES, CellProblem, Mapping, load_mapping, read_responses
from assessment.importers.reading import read_grid, sniff_delimiter
from assessment.importers.values import parse_number
from assessment.questionnaire import load_questionnaire, parse_questionnaire

SAMPLES = Path(__file__).parent / "data" / "samples"
NA_LABEL = "Don't know / not applicable"
TEXTS = {
    "GOV-1": "Model releases pass review within two weeks.",
    "GOV-2": "Models wait in staging for documentation.",
    "GOV-3": "Days from approval to production",
    "MON-1": "Production models have drift alerts.",
    "MON-2": "How ready is retraining (0-10)?",
    "MON-3": "Comments on monitoring",
}
QIDS = list(TEXTS)
# Three respondents: (key, role label, role id, unit, answers as typed)
PEOPLE = [
    ("r1", "Executive sponsor", "exec", "Retail",
     {"GOV-1": "Agree", "GOV-2": NA_LABEL, "GOV-3": "12", "MON-1": "Strongly agree", "MON-2": "7", "MON-3": "fine"}),
    ("r2", "Data scientist", "ds", "Operations",
     {"GOV-1": "Strongly disagree", "GOV-2": "Disagree", "GOV-3": "30", "MON-1": "", "MON-2": "10", "MON-3": ""}),
    ("r3", "IT operations", "ops", "",
     {"GOV-1": "Neutral", "GOV-2": "Agree", "GOV-3": "", "MON-1": NA_LABEL, "MON-2": "0", "MON-3": "n/a, see notes"}),
]
# What must arrive: question -> (value, state) per respondent
EXPECTED = [
    {"GOV-1": (4, "answered"), "GOV-2": (None, "na"), "GOV-3": (12, "answered"), "MON-1": (5, "answered"),
     "MON-2": (7, "answered"), "MON-3": (None, "answered")},
    {"GOV-1": (1, "answered"), "GOV-2": (2, "answered"), "GOV-3": (30, "answered"), "MON-1": (None, "blank"),
     "MON-2": (10, "answered"), "MON-3": (None, "blank")},
    {"GOV-1": (3, "answered"), "GOV-2": (4, "answered"), "GOV-3": (None, "blank"), "MON-1": (None, "na"),
     "MON-2": (0, "answered"), "MON-3": (None, "answered")},
]
ROLE_Q, UNIT_Q = "What is your role?", "Which business unit?"


@pytest.fixture
def worked(worked_yaml):
    return load_questionnaire(worked_yaml)


def write_csv(path: Path, rows: list[list[str]], *, encoding: str = "utf-8", delimiter: str = ",",
              quoting: int = csv.QUOTE_MINIMAL, lineterminator: str = "\r\n") -> Path:
    buf = io.StringIO(newline="")
    csv.writer(buf, delimiter=delimiter, quoting=quoting, lineterminator=lineterminator).writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list], sheet: str = "Sheet1") -> Path:
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet(sheet)
    fmt = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            if isinstance(value, dt.datetime):
                ws.write_datetime(i, j, value, fmt)
            elif value not in ("", None):
                ws.write(i, j, value)
    book.close()
    return path


def assert_complete(parsed, source: str, *, roles: bool = True, units: bool = True) -> None:
    """Every respondent, role, unit and answer of PEOPLE arrived, in file order."""
    assert parsed.source == source
    assert parsed.problems == [], [str(p) for p in parsed.problems]
    r = parsed.respondents.sort_values("source_row").reset_index(drop=True)
    assert len(r) == len(PEOPLE)
    if roles:
        assert list(r["role"]) == [p[2] for p in PEOPLE]
    if units:
        assert [None if pd.isna(u) else u for u in r["unit"]] == [p[3] or None for p in PEOPLE]
    for i, row in r.iterrows():
        got = parsed.answers[parsed.answers["source_row"] == row["source_row"]].set_index("question_id")
        assert sorted(got.index) == sorted(QIDS)
        for qid, (value, state) in EXPECTED[i].items():
            assert got.loc[qid, "state"] == state, (i, qid)
            if value is None:
                assert math.isnan(got.loc[qid, "value"]), (i, qid)
            else:
                assert got.loc[qid, "value"] == value, (i, qid)
        typed = PEOPLE[i][4]
        for qid, text in typed.items():
            raw = got.loc[qid, "raw"]
            assert (pd.isna(raw) and not text) or raw == text, (i, qid, raw)


# -- layouts -------------------------------------------------------------------------


def template_rows(with_texts: bool = True) -> list[list[str]]:
    rows = [["Respondent ID", "Role", "Business unit", *QIDS]]
    if with_texts:
        rows.append(["Question →", "pick from list", "type your unit", *TEXTS.values()])
    rows += [[key, label, unit, *(ans[q] for q in QIDS)] for key, label, _, unit, ans in PEOPLE]
    return rows


@pytest.mark.parametrize("with_texts", [True, False], ids=["with-text-row", "text-row-deleted"])
def test_template_workbook(tmp_path, worked, with_texts):
    book = openpyxl.Workbook()
    book.active.title = "Instructions"
    book.active["A1"] = "Fill in the Responses sheet"
    ws = book.create_sheet("Responses")
    for row in template_rows(with_texts):
        ws.append([v if v != "" else None for v in row])
    book.create_sheet("Lists").sheet_state = "hidden"
    path = tmp_path / "survey.xlsx"
    book.save(path)
    parsed = read_responses(path, worked)
    assert_complete(parsed, "template")
    assert list(parsed.respondents["response_key"]) == ["r1", "r2", "r3"]
    assert list(parsed.respondents["source_row"]) == ([3, 4, 5] if with_texts else [2, 3, 4])
    assert parsed.unmapped_columns == []
    assert len(parsed.sha256) == 64


def test_wide_csv_cp1252_semicolons_with_ids_in_headers(tmp_path, worked):
    headers = ["Respondent", "Role", "Department", "GOV-1. " + TEXTS["GOV-1"], "[GOV-2] " + TEXTS["GOV-2"],
               "GOV-3 - days", "mon-1", "MON-2: " + TEXTS["MON-2"], "Remarks [MON-3]", "Notes for me"]
    rows = [headers] + [[k, label, unit, *(a[q] for q in QIDS), "é"] for k, label, _, unit, a in PEOPLE]
    rows[2][3] = "strongly  DISAGREE"  # case and spacing do not matter
    path = write_csv(tmp_path / "export.csv", rows, encoding="cp1252", delimiter=";")
    parsed = read_responses(path, worked)
    assert parsed.answers.query("source_row == 3 and question_id == 'GOV-1'")["value"].item() == 1
    assert parsed.unmapped_columns == ["Notes for me"]
    assert read_grid(path).encoding == "cp1252"
    parsed.answers.loc[(parsed.answers.source_row == 3) & (parsed.answers.question_id == "GOV-1"), "raw"] = \
        "Strongly disagree"
    assert_complete(parsed, "wide")


def google_rows(grid_title: str = "Governance") -> list[list[str]]:
    headers = ["Timestamp", "Email Address", ROLE_Q, UNIT_Q,
               f"{grid_title} [{TEXTS['GOV-1']}]", f"{grid_title} [{TEXTS['GOV-2']}]", TEXTS["GOV-3"],
               f"Monitoring [{TEXTS['MON-1']}]", TEXTS["MON-2"], TEXTS["MON-3"]]
    rows = [headers]
    for i, (_, label, _, unit, a) in enumerate(PEOPLE):
        rows.append([f"1/15/2025 21:5{i}:05", f"p{i}@client.com", label, unit, *(a[q] for q in QIDS)])
    return rows


def test_google_forms_csv(tmp_path, worked):
    path = write_csv(tmp_path / "Form Responses 1.csv", google_rows())
    parsed = read_responses(path, worked)
    assert_complete(parsed, "google-forms")
    assert list(parsed.respondents["email"]) == ["p0@client.com", "p1@client.com", "p2@client.com"]
    assert parsed.respondents["submitted"].iloc[0] == "2025-01-15T21:50:05"
    assert parsed.unmapped_columns == []


def test_google_sheets_xlsx_with_smart_quotes_and_case(tmp_path, worked):
    rows = google_rows()
    rows[1][5] = "Don\u2019t know / not applicable"   # the N/A label re-typed with a smart quote
    rows[2][4] = "  STRONGLY disagree "
    rows[1][0] = dt.datetime(2025, 1, 15, 21, 50, 5)
    path = write_xlsx(tmp_path / "responses.xlsx", rows, sheet="Form Responses 1")
    parsed = read_responses(path, worked)
    assert parsed.problems == []
    a = parsed.answers.set_index(["source_row", "question_id"])
    assert a.loc[(2, "GOV-2"), "state"] == "na"
    assert a.loc[(3, "GOV-1"), "value"] == 1
    assert parsed.respondents["submitted"].iloc[0] == "2025-01-15T21:50:05"


def test_microsoft_forms_xlsx_columns_out_of_order(tmp_path, worked):
    order = ["MON-2", "GOV-2", "MON-3", "GOV-1", "MON-1", "GOV-3"]
    rows = [["ID", "Start time", "Completion time", "Email", "Name", "Last modified time", ROLE_Q, UNIT_Q,
             *(TEXTS[q] for q in order)]]
    start = dt.datetime(2024, 3, 1, 9, 0, 0)
    for i, (_, label, _, unit, a) in enumerate(PEOPLE):
        rows.append([i + 1, start, start + dt.timedelta(seconds=90 + i), "anonymous", "", "", label, unit,
                     *(a[q] for q in order)])
    parsed = read_responses(write_xlsx(tmp_path / "Survey(1-3).xlsx", rows), worked)
    assert_complete(parsed, "microsoft-forms")
    assert list(parsed.respondents["response_key"]) == ["1", "2", "3"]
    assert list(parsed.respondents["duration_s"]) == [90.0, 91.0, 92.0]


def surveymonkey_rows() -> list[list[str]]:
    meta = ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address",
            "First Name", "Last Name", "Custom Data 1"]
    top = [*meta, ROLE_Q, UNIT_Q, "Governance: how true is each statement?", "", TEXTS["GOV-3"],
           "Monitoring: how true is each statement?", TEXTS["MON-2"], TEXTS["MON-3"]]
    second = [""] * len(meta) + ["Response", "Open-Ended Response", TEXTS["GOV-1"], TEXTS["GOV-2"],
                                 "Open-Ended Response", TEXTS["MON-1"], "Response", "Open-Ended Response"]
    rows = [top, second]
    for i, (_, label, _, unit, a) in enumerate(PEOPLE):
        rows.append([f"1146281659{i}5", "431821559", f"6/20/24 13:2{i}", f"6/20/24 13:3{i}", "97.127.8.139",
                     "", "", "", "", label, unit, *(a[q] for q in QIDS)])
    return rows


def test_surveymonkey_csv_two_header_rows(tmp_path, worked):
    parsed = read_responses(write_csv(tmp_path / "sm.csv", surveymonkey_rows()), worked)
    assert_complete(parsed, "surveymonkey")
    assert list(parsed.respondents["source_row"]) == [3, 4, 5]
    assert list(parsed.respondents["duration_s"]) == [600.0] * 3
    assert parsed.unmapped_columns == []


def qualtrics_rows(scale_recode: bool = True) -> list[list[str]]:
    meta = ["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished",
            "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName", "RecipientEmail",
            "ExternalReference", "LocationLatitude", "LocationLongitude", "DistributionChannel", "UserLanguage"]
    codes = [*meta, "Q1", "Q2", "Q5_1", "Q5_2", "Q6", "Q7_1", "Q8", "Q9"]
    texts = [*meta, ROLE_Q, UNIT_Q, f"Governance - {TEXTS['GOV-1']}", f"Governance - {TEXTS['GOV-2']}",
             TEXTS["GOV-3"], f"Monitoring - {TEXTS['MON-1']}", TEXTS["MON-2"], TEXTS["MON-3"]]
    imports = [f'{{"ImportId":"{c}"}}' for c in [*meta, "QID1", "QID2_TEXT", "QID5_1", "QID5_2", "QID6_TEXT",
                                                  "QID7_1", "QID8", "QID9_TEXT"]]
    number = {"Strongly disagree": "1", "Disagree": "2", "Neutral": "3", "Agree": "4", "Strongly agree": "5",
              NA_LABEL: NA_LABEL, "": ""}
    rows = [codes, texts, imports]

    def person(i, status, finished, label, unit, a):
        answers = [number[a[q]] if q in ("GOV-1", "GOV-2", "MON-1") and scale_recode else a[q] for q in QIDS]
        return ["2024-05-01 10:00:00", "2024-05-01 10:02:00", status, "10.0.0.1", "100", str(120 + i), finished,
                "2024-05-01 10:02:00", f"R_{i}abc", "", "", "", "", "", "", "anonymous", "EN", label, unit, *answers]

    for i, (_, label, _, unit, a) in enumerate(PEOPLE):
        rows.append(person(i, "0", "1", label, unit, a))
        if i == 0:  # test, preview and unfinished responses interleaved with real ones
            rows.append(person(7, "1", "1", label, unit, a))
            rows.append(person(8, "2", "1", label, unit, a))
            rows.append(person(9, "0", "0", label, unit, a))
    return rows


def test_qualtrics_csv_skips_test_preview_and_unfinished(tmp_path, worked):
    parsed = read_responses(write_csv(tmp_path / "qualtrics.csv", qualtrics_rows()), worked)
    parsed.answers["raw"] = parsed.answers["raw"]  # raw holds the recode numbers here
    assert parsed.skipped == {"test or preview": 2, "incomplete": 1}
    assert list(parsed.respondents["response_key"]) == ["R_0abc", "R_1abc", "R_2abc"]
    assert list(parsed.respondents["source_row"]) == [4, 8, 9]
    assert list(parsed.respondents["duration_s"]) == [120.0, 121.0, 122.0]
    assert parsed.respondents["submitted"].iloc[0] == "2024-05-01T10:02:00"
    assert parsed.unmapped_columns == []
    # recode numbers are the scale values; compare everything but the raw text
    a = parsed.answers.set_index(["source_row", "question_id"])
    assert a.loc[(4, "GOV-1"), "raw"] == "4"
    for row, expected in zip([4, 8, 9], EXPECTED, strict=True):
        for qid, (value, state) in expected.items():
            assert a.loc[(row, qid), "state"] == state
            assert (value is None and math.isnan(a.loc[(row, qid), "value"])) or a.loc[(row, qid), "value"] == value


def test_qualtrics_text_export_utf16_tab(tmp_path, worked):
    rows = qualtrics_rows(scale_recode=False)
    for row in rows[3:]:
        row[2] = {"0": "IP Address", "1": "Survey Preview", "2": "Survey Test"}[row[2]]
        row[6] = {"1": "True", "0": "False"}[row[6]]
    path = write_csv(tmp_path / "qualtrics.tsv", rows, encoding="utf-16", delimiter="\t")
    assert path.read_bytes()[:2] == b"\xff\xfe"
    parsed = read_responses(path, worked)
    assert parsed.skipped == {"test or preview": 2, "incomplete": 1}
    assert_complete(parsed, "qualtrics")


def test_qualtrics_with_extra_header_rows_deleted(tmp_path, worked):
    rows = qualtrics_rows()
    rows = [rows[1], *rows[3:]]   # only the question-text header row is left
    parsed = read_responses(write_csv(tmp_path / "qualtrics.csv", rows), worked)
    assert parsed.source == "qualtrics"
    assert list(parsed.respondents["source_row"]) == [2, 6, 7]
    assert parsed.skipped == {"test or preview": 2, "incomplete": 1}


def test_qualtrics_recode_values_by_position(tmp_path):
    q = parse_questionnaire({
        "id": "pos", "version": "1",
        "scales": {"zero4": {"points": [{"value": v, "label": lab} for v, lab in
                                        enumerate(["Never", "Rarely", "Sometimes", "Often", "Always"])]}},
        "roles": [{"id": "a", "label": "A", "group": "practitioner"}],
        "levels": [{"level": 1, "name": "x", "min": 0}],
        "dimensions": [{"id": "d", "title": "D", "questions": [
            {"id": "P-1", "text": "First item", "scale": "zero4"},
            {"id": "P-2", "text": "Second item", "scale": "zero4"}]}]})
    rows = [["StartDate", "EndDate", "Status", "Finished", "ResponseId", "Role", "Q1_1", "Q1_2"],
            ["Start Date", "End Date", "Response Type", "Finished", "Response ID", "Role",
             "Block - First item", "Block - Second item"],
            ['{"ImportId":"startDate"}'] * 8,
            ["2024-01-01 10:00:00", "2024-01-01 10:01:00", "0", "1", "R_1", "A", "1", "3"],
            ["2024-01-01 10:00:00", "2024-01-01 10:01:00", "0", "1", "R_2", "A", "5", "2"]]
    parsed = read_responses(write_csv(tmp_path / "q.csv", rows), q)
    assert parsed.problems == []
    assert list(parsed.answers["value"]) == [0.0, 2.0, 4.0, 1.0]


def test_limesurvey_bom_all_quoted_incomplete(tmp_path, worked):
    headers = ["id", "submitdate", "lastpage", "startlanguage", "seed", ROLE_Q, UNIT_Q,
               f"Governance [{TEXTS['GOV-1']}]", "governance[GOV2]", "GOV3", "MON1", "MON2", "MON3"]
    rows = [headers]
    for i, (_, label, _, unit, a) in enumerate(PEOPLE):
        rows.append([str(i + 1), f"2024-02-0{i + 1} 10:00:00", "3", "en", "12345", label, unit,
                     *(a[q] for q in QIDS)])
    rows.append(["9", "", "1", "en", "999", "Data scientist", "", "Agree", "", "", "", "", ""])
    path = write_csv(tmp_path / "results-survey123.csv", rows, encoding="utf-8-sig", quoting=csv.QUOTE_ALL,
                     lineterminator="\n")
    parsed = read_responses(path, worked)
    assert parsed.skipped == {"incomplete": 1}
    assert list(parsed.respondents["response_key"]) == ["1", "2", "3"]
    assert_complete(parsed, "limesurvey")


def test_typeform_csv_incomplete_and_hash_key(tmp_path, worked):
    headers = ["#", ROLE_Q, UNIT_Q, *TEXTS.values(), "Start Date (UTC)", "Submit Date (UTC)", "Network ID"]
    rows = [headers]
    for i, (_, label, _, unit, a) in enumerate(PEOPLE):
        rows.append([f"abc{i}def", label, unit, *(a[q] for q in QIDS), "2024-02-01 10:00:00",
                     f"2024-02-01 10:0{i + 1}:00", "f00d"])
    rows.insert(2, ["zzz", "Executive sponsor", "", "Agree", "", "", "", "", "", "2024-02-01 10:00:00", "", "f00d"])
    parsed = read_responses(write_csv(tmp_path / "typeform.csv", rows), worked)
    assert parsed.skipped == {"incomplete": 1}
    assert list(parsed.respondents["response_key"]) == ["abc0def", "abc1def", "abc2def"]
    assert list(parsed.respondents["duration_s"]) == [60.0, 120.0, 180.0]
    assert_complete(parsed, "typeform")


def test_empty_rows_are_counted_not_kept(tmp_path, worked):
    rows = google_rows()
    rows.insert(2, [""] * len(rows[0]))
    parsed = read_responses(write_csv(tmp_path / "g.csv", rows), worked)
    assert parsed.skipped == {"empty": 1}
    assert list(parsed.respondents["source_row"]) == [2, 4, 5]


# -- problems ------------------------------------------------------------------------


def test_one_bad_cell_is_exactly_one_problem(tmp_path, worked):
    rows = google_rows()
    rows[2][4] = "Agre"   # respondent 2 (file row 3), first governance column (E)
    parsed = read_responses(write_csv(tmp_path / "g.csv", rows), worked)
    assert len(parsed.problems) == 1
    p = parsed.problems[0]
    assert isinstance(p, CellProblem)
    assert (p.row, p.column, p.letter, p.value) == (3, rows[0][4], "E", "Agre")
    assert "agree5" in p.why and "Strongly disagree" in p.why
    cell = parsed.answers.query("source_row == 3 and question_id == 'GOV-1'")
    assert cell["raw"].item() == "Agre" and math.isnan(cell["value"].item())


def test_all_problems_reported_at_once(tmp_path, worked):
    rows = google_rows()
    rows[1][6] = "about 12"           # numeric question, not a number
    rows[2][2] = "Intern"             # unknown role
    rows[3][2] = ""                   # blank role
    rows[3][8] = "11"                 # outside the 0-10 scale
    rows[1][7] = "25-Jun"             # Excel turned '6-25' into a date... in a scale column
    parsed = read_responses(write_csv(tmp_path / "g.csv", rows), worked)
    found = {(p.row, p.letter) for p in parsed.problems}
    assert found == {(2, "G"), (3, "C"), (4, "C"), (4, "I"), (2, "H")}
    by_cell = {(p.row, p.letter): p for p in parsed.problems}
    assert "not a number" in by_cell[(2, "G")].why
    assert "Executive sponsor" in by_cell[(3, "C")].why
    assert "blank" in by_cell[(4, "C")].why
    assert "0-10" in by_cell[(4, "I")].why
    assert parsed.respondents["role"].isna().sum() == 2


def test_missing_role_column_refuses_the_file_once(tmp_path, worked):
    """Issue #11 item 13: not 'unreadable answers in a column that does not exist', and no
    "'Role' or 'Role'"."""
    rows = [[c for j, c in enumerate(r) if j != 2] for r in google_rows()]
    with pytest.raises(ImportFailed, match="no column holds the respondent's role") as info:
        read_responses(write_csv(tmp_path / "g.csv", rows), worked)
    assert "g.csv" in str(info.value)
    assert str(info.value).count("'Role'") <= 1


def test_number_forms():
    assert parse_number("12") == 12
    assert parse_number("12.5") == 12.5
    assert parse_number("12,5") == 12.5
    assert parse_number("1 234") == 1234
    assert parse_number("1\u00a0234,5") == 1234.5
    assert parse_number("1,234.5") == 1234.5
    assert parse_number("1.234,5") == 1234.5
    assert parse_number("14 days", "days") == 14
    assert parse_number("twelve") is None
    assert parse_number("6-25") is None


@pytest.mark.parametrize(("typed", "value", "state"), [
    ("4 - Agree", 4, "answered"), ("5. Strongly agree", 5, "answered"), ("Agree (4)", 4, "answered"),
    ("4", 4, "answered"), ("  agree  ", 4, "answered"), ("STRONGLY AGREE.", 5, "answered"),
    ("Don\u2019t know / not applicable", None, "na"), ("", None, "blank"), ("   ", None, "blank"),
])
def test_scale_label_forms(tmp_path, worked, typed, value, state):
    rows = google_rows()
    rows[1][4] = typed
    parsed = read_responses(write_csv(tmp_path / "g.csv", rows), worked)
    assert parsed.problems == []
    cell = parsed.answers.query("source_row == 2 and question_id == 'GOV-1'")
    assert cell["state"].item() == state
    assert (value is None and math.isnan(cell["value"].item())) or cell["value"].item() == value


# -- whole-file errors ---------------------------------------------------------------


def test_whole_file_errors(tmp_path, worked):
    with pytest.raises(ImportFailed, match="file not found"):
        read_responses(tmp_path / "nope.csv", worked)
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(ImportFailed, match="empty"):
        read_responses(tmp_path / "empty.csv", worked)
    other = write_csv(tmp_path / "other.csv", [["Name", "Colour"], ["Ann", "red"]])
    with pytest.raises(ImportFailed, match="no column matches a question") as err:
        read_responses(other, worked)
    assert str(other) in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(ImportFailed, match="unknown source 'excel'"):
        read_responses(other, worked, source="excel")
    header_only = write_csv(tmp_path / "h.csv", google_rows()[:1])
    with pytest.raises(ImportFailed, match="no responses"):
        read_responses(header_only, worked)
    (tmp_path / "bad.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ImportFailed, match="not a readable spreadsheet"):
        read_responses(tmp_path / "bad.xlsx", worked)


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_csv_records_whatever_the_line_endings(tmp_path, newline):
    """Records end at LF, CRLF or a bare CR (old Mac exports); a line break inside a quoted
    cell, and repeated texts read into one shared string, stay exactly as typed."""
    rows = [["Respondent ID", "Role", "Comment"], ["r1", "Executive sponsor", "two\nlines"],
            ["r2", "Executive sponsor", "a\r\nb"], ["r3", "Data scientist", ""]]
    text = newline.join(",".join(f'"{c}"' for c in row) for row in rows) + newline
    path = tmp_path / "endings.csv"
    path.write_bytes(text.encode("utf-8"))
    grid = read_grid(path)
    assert grid.rows == rows
    assert grid.rows[1][1] is grid.rows[2][1]  # one string for a repeated text


def test_grid_limits_refuse_larger_files_in_one_line(tmp_path):
    """100,000 respondents x 110 columns (a Qualtrics export) fits the cell limit; a grid
    past it, or a file with more separators than two per allowed cell, is refused with one
    line naming the file and the limit."""
    from assessment.importers.reading import MAX_CELLS

    assert MAX_CELLS >= 100_005 * 110  # header rows included
    width = 1_000
    rows = MAX_CELLS // width + 1  # empty cells: the reader's cheapest, and just past the limit
    path = tmp_path / "cells.csv"
    path.write_text("h" + "," * (width - 1) + "\n" + ("x" + "," * (width - 1) + "\n") * rows, encoding="utf-8")
    with pytest.raises(ImportFailed, match=f"more than {MAX_CELLS:,} cells") as err:
        read_grid(path)
    assert err.value.file == str(path) or str(path) in err.value.one_line()
    assert "\n" not in err.value.one_line()
    path = tmp_path / "separators.csv"
    path.write_text("a" + "," * (2 * MAX_CELLS + 1) + "\n", encoding="utf-8")
    with pytest.raises(ImportFailed, match=f"more than {2 * MAX_CELLS:,} separators") as err:
        read_grid(path)
    assert str(path) in err.value.one_line() and "\n" not in err.value.one_line()


def test_forced_source(tmp_path, worked):
    path = write_csv(tmp_path / "g.csv", google_rows())
    assert read_responses(path, worked, source="wide").source == "wide"
    assert set(SOURCES) >= {"template", "wide", "qualtrics"}


# -- mappings ------------------------------------------------------------------------


def test_mapping_columns_values_roles(tmp_path, worked):
    rows = [["Resp", "Job", "Site", "Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q7"]]
    rows += [["a", "Boss", "HQ", "Yes!", "nope", "5", "kinda", "8", "hi", "x"]]
    mapping_file = tmp_path / "m.yaml"
    mapping_file.write_text(
        "columns:\n  Q1: GOV-1\n  Q2: GOV-2\n  Q3: GOV-3\n  Q4: MON-1\n  Q5: MON-2\n  Q6: MON-3\n"
        "role_column: Job\nunit_column: Site\nid_column: Resp\n"
        "role_values: {Boss: exec}\n"
        "values: {'Yes!': 5, nope: 1, kinda: na}\n"
        "question_values: {GOV-2: {nope: 2}}\n"
        "ignore: [Q7]\n", encoding="utf-8")
    parsed = read_responses(write_csv(tmp_path / "x.csv", rows), worked, mapping=load_mapping(mapping_file))
    assert parsed.problems == [] and parsed.unmapped_columns == []
    r = parsed.respondents.iloc[0]
    assert (r["role"], r["role_raw"], r["unit"], r["response_key"]) == ("exec", "Boss", "HQ", "a")
    a = parsed.answers.set_index("question_id")
    assert a.loc["GOV-1", "value"] == 5 and a.loc["GOV-2", "value"] == 2 and a.loc["MON-1", "state"] == "na"


def test_mapping_errors_name_file_and_line(tmp_path, worked):
    bad = tmp_path / "bad.yaml"
    bad.write_text("columns:\n  Q1: GOV-1\ncolumnz:\n  Q2: GOV-2\n", encoding="utf-8")
    with pytest.raises(ImportFailed, match=r"bad\.yaml:3: unknown key `columnz`"):
        load_mapping(bad)
    bad.write_text("values:\n  Agree: lots\n", encoding="utf-8")
    with pytest.raises(ImportFailed, match=r"bad\.yaml:2: .*'Agree'.*number, na or blank"):
        load_mapping(bad)
    bad.write_text("columns:\n  Q1: GOV-1\n  Q2: NOPE-9\n", encoding="utf-8")
    rows = [["Q1", "Q2", "Role"], ["Agree", "Agree", "Data scientist"]]
    with pytest.raises(ImportFailed, match=r"bad\.yaml:3: unknown question id 'NOPE-9'"):
        read_responses(write_csv(tmp_path / "x.csv", rows), worked, mapping=load_mapping(bad))
    bad.write_text("role: boss\ncolumns: {Q1: GOV-1}\n", encoding="utf-8")
    with pytest.raises(ImportFailed, match=r"bad\.yaml:1: unknown role id 'boss'"):
        read_responses(write_csv(tmp_path / "x.csv", rows), worked, mapping=load_mapping(bad))


def test_duplicate_headers_and_pandas_suffixes(tmp_path, worked):
    rows = [["Role", "Q", "Q", TEXTS["MON-1"], TEXTS["MON-1"] + ".1"],
            ["Data scientist", "Agree", "Disagree", "Agree", "Neutral"]]
    mapping = Mapping(columns={"Q": "GOV-1", "Q.1": "GOV-2"})
    parsed = read_responses(write_csv(tmp_path / "x.csv", rows), worked, mapping=mapping)
    a = parsed.answers.set_index("question_id")
    assert a.loc["GOV-1", "value"] == 4 and a.loc["GOV-2", "value"] == 2 and a.loc["MON-1", "value"] == 4
    assert any("repeats question MON-1" in w for w in parsed.warnings)


# -- reading ------------------------------------------------------------------------


def test_quoted_newlines_and_delimiter_sniffing(tmp_path, worked):
    rows = google_rows()
    rows[0][9] = "Comments on\nmonitoring"      # a header with a line break inside
    rows[1][9] = "line one;\nline two, still one cell"
    path = write_csv(tmp_path / "g.csv", rows, delimiter=";")
    assert sniff_delimiter(path.read_text(encoding="utf-8")) == ";"
    parsed = read_responses(path, worked)
    assert list(parsed.respondents["source_row"]) == [2, 3, 4]
    cell = parsed.answers.query("source_row == 2 and question_id == 'MON-3'")
    assert cell["raw"].item() == "line one;\nline two, still one cell"


def test_ids_and_ranges_stay_text(tmp_path, worked):
    rows = template_rows(with_texts=False)
    rows[1][0] = "00123"
    rows[2][0] = "1.14628E+11"
    path = write_csv(tmp_path / "t.csv", rows)
    parsed = read_responses(path, worked)
    assert list(parsed.respondents["response_key"])[:2] == ["00123", "1.14628E+11"]
    assert any("damaged by Excel" in w for w in parsed.warnings)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.randoms(use_true_random=False))
def test_column_order_does_not_change_answers(tmp_path_factory, rnd: random.Random):
    q = load_questionnaire(Path(__file__).parent / "data" / "worked.yaml")
    rows = google_rows()
    order = list(range(len(rows[0])))
    rnd.shuffle(order)
    shuffled = [[row[j] for j in order] for row in rows]
    folder = tmp_path_factory.mktemp("order")
    base = read_responses(write_csv(folder / "a.csv", rows), q, source="google-forms")
    moved = read_responses(write_csv(folder / "b.csv", shuffled), q, source="google-forms")
    key = ["source_row", "question_id"]
    pd.testing.assert_frame_equal(base.answers.sort_values(key).reset_index(drop=True),
                                  moved.answers.sort_values(key).reset_index(drop=True))
    pd.testing.assert_frame_equal(base.respondents, moved.respondents)


# -- the real exports in ../shared/samples ---------------------------------------------


def _sample(shared_dir: Path, rel: str, questionnaire: str, mapping: str, **update):
    q = load_questionnaire(SAMPLES / f"{questionnaire}.yaml")
    m = load_mapping(SAMPLES / f"{mapping}.mapping.yaml")
    if update:
        m = m.model_copy(update=update)
    return read_responses(shared_dir / "samples" / rel, q, mapping=m)


def _values(parsed, row: int) -> dict[str, float]:
    a = parsed.answers[parsed.answers["source_row"] == row]
    return dict(zip(a["question_id"], a["value"], strict=True))


@pytest.mark.shared
def test_sample_surveymonkey_csv_resaved_by_excel(shared_dir):
    p = _sample(shared_dir, "surveymonkey/fake_sm_pre.csv", "sm_research", "sm_research")
    assert p.source == "surveymonkey" and p.problems == [] and p.unmapped_columns == []
    assert len(p.respondents) == 4 and p.skipped == {}
    assert (p.respondents["response_key"] == "1.14628E+11").all()
    assert any("damaged by Excel" in w for w in p.warnings)
    assert list(p.respondents["role"]) == ["continuing", "continuing", "continuing", "firstgen"]
    v = _values(p, 3)
    assert v["KNW-1"] == 1 and v["CNF-4"] == 2 and v["ABL-4"] == 2
    assert _values(p, 4)["ABL-1"] == 3   # Moderate
    assert len(p.answers) == 4 * 15 and (p.answers["state"] == "answered").all()


@pytest.mark.shared
def test_sample_surveymonkey_xlsx(shared_dir):
    p = _sample(shared_dir, "surveymonkey/fake_sm_post_excel.xlsx", "sm_research", "sm_research")
    assert p.source == "surveymonkey" and p.problems == [] and p.unmapped_columns == []
    assert len(p.respondents) == 4
    assert p.respondents["response_key"].iloc[0] == "114628165985"
    assert p.respondents["submitted"].iloc[0] == "2024-06-20T14:45:29"
    assert p.respondents["duration_s"].iloc[0] == 19.0
    v = _values(p, 3)
    assert v["KNW-1"] == 5 and v["CNF-1"] == 4 and v["CNF-6"] == 5 and v["ABL-2"] == 4
    assert (p.answers["state"] == "blank").sum() == 1   # the xlsx leaves one empty cell


@pytest.mark.parametrize(("rel", "mapping", "first_row"), [
    ("qualtrics/Single_Answer_Matrix_Questions (Insights).csv", "qualtrics_matrix_insights", 4),
    ("qualtrics/Single_Answer_Matrix_Questions (legacy).csv", "qualtrics_matrix_legacy", 3),
])
@pytest.mark.shared
def test_sample_qualtrics_matrix(shared_dir, rel, mapping, first_row):
    p = _sample(shared_dir, rel, "qualtrics_matrix", mapping)
    assert p.source == "qualtrics"
    assert len(p.respondents) == 0 and p.skipped == {"test or preview": 5}   # every response is a test
    p = _sample(shared_dir, rel, "qualtrics_matrix", mapping, include_test_responses=True)
    assert len(p.respondents) == 5 and p.problems == [] and p.unmapped_columns == []
    assert p.respondents["response_key"].iloc[0] == "R_9H2nlL82R9Yq21v"
    v = _values(p, first_row)
    # first response: Q2 = 3,4,4; Q4 recodes 12,10,11 -> 3,1,2; Q3 = 1,1,4; Q5 recodes 10,11,12 -> 1,2,3
    assert [v[q] for q in ("PLN-1", "PLN-2", "PLN-3")] == [3, 4, 4]
    assert [v[q] for q in ("REC-1", "REC-2", "REC-3")] == [3, 1, 2]
    assert [v[q] for q in ("TAG-1", "TAG-2", "TAG-3")] == [1, 1, 4]
    assert [v[q] for q in ("BTH-1", "BTH-2", "BTH-3")] == [1, 2, 3]


@pytest.mark.shared
def test_sample_qualtrics_insights_and_legacy_agree(shared_dir):
    folder = "qualtrics/Single_Answer_Matrix_Questions"
    a = _sample(shared_dir, f"{folder} (Insights).csv", "qualtrics_matrix", "qualtrics_matrix_insights",
                include_test_responses=True)
    b = _sample(shared_dir, f"{folder} (legacy).csv", "qualtrics_matrix", "qualtrics_matrix_legacy",
                include_test_responses=True)
    cols = ["question_id", "value"]
    assert a.answers[cols].reset_index(drop=True).equals(b.answers[cols].reset_index(drop=True))


@pytest.mark.shared
def test_sample_qualtrics_multi_select(shared_dir):
    p = _sample(shared_dir, "qualtrics/Multiple_Answer_MC_Questions (Insights).csv", "qualtrics_multi",
                "qualtrics_multi")
    assert len(p.respondents) == 5 and p.problems == []
    assert "Q3_1" in p.unmapped_columns and "mc_question_five_1" in p.unmapped_columns
    assert "Status" not in p.unmapped_columns and "LocationLatitude" not in p.unmapped_columns
    v = p.answers[p.answers["source_row"] == 4].set_index("question_id")
    assert v.loc["OPT-1", "state"] == "blank" and v.loc["OPT-2", "value"] == 1
    assert v.loc["OTHER", "raw"].startswith("Gravida pellentesque")


@pytest.mark.parametrize(("rel", "row", "duration"), [
    ("qualtrics/qualtRics_sample.csv", 4, 38.0), ("qualtrics/qualtRics_sample_legacy.csv", 3, 39.0)])
@pytest.mark.shared
def test_sample_qualtrics_basic(shared_dir, rel, row, duration):
    p = _sample(shared_dir, rel, "qualtrics_basic", "qualtrics_basic")
    assert p.source == "qualtrics" and p.problems == [] and p.skipped == {} and p.unmapped_columns == []
    r = p.respondents.iloc[0]
    assert (r["source_row"], r["response_key"], r["duration_s"]) == (row, "R_2YPOQ602ER1jkf1", duration)
    assert r["submitted"] == "2017-07-18T08:28:48"
    a = p.answers.set_index("question_id")
    assert a.loc["MC-1", "value"] == 2 and a.loc["TXT-1", "raw"] == "Hello World!"


@pytest.mark.shared
def test_sample_google_forms_rating(shared_dir):
    p = _sample(shared_dir, "google_forms/rating-options-survey.csv", "gf_rating", "gf_rating")
    assert p.source == "google-forms" and p.problems == [] and len(p.respondents) == 3
    assert list(p.respondents["submitted"]) == ["2022-03-26T23:00:19", "2022-03-26T23:01:32",
                                                "2022-03-26T23:02:36"]
    assert set(p.respondents["unit"]) == {"Community"}
    assert len(p.unmapped_columns) == 5 and "What do you DISLIKE about option 1?" in p.unmapped_columns
    assert [_values(p, r)["OPT-2"] for r in (2, 3, 4)] == [1, 4, 3]
    note = p.answers.query("question_id == 'NOTE'")
    assert list(note["state"]) == ["blank", "answered", "blank"]


@pytest.mark.shared
def test_sample_google_sheets_hotdog(shared_dir):
    p = _sample(shared_dir, "google_forms/hot_dog_survey_spring25.xlsx - Form Responses 1.csv",
                "gf_hotdog", "gf_hotdog")
    assert p.source == "google-forms" and len(p.respondents) == 64
    # nine respondents left the academic-year question (our role) blank: one problem each
    assert len(p.problems) == 9
    assert {x.letter for x in p.problems} == {"G"} and all("blank" in x.why for x in p.problems)
    hd = p.answers[p.answers["question_id"] == "HD-1"]
    assert hd["state"].eq("answered").all() and hd["value"].isin([0, 1]).all()
    assert hd["value"].sum() == 24    # every yes variant, 'Yesss' and 'Y' included
    # the answer with a line break inside stays one cell; rows are counted as records
    assert p.respondents["source_row"].iloc[-1] == 65
    assert p.unmapped_columns == ["Gender: How do you identify?",
                                  "You preferred to self-describe for gender; please, share your identity below"]


@pytest.mark.shared
def test_every_sample_file_has_a_mapping(shared_dir):
    """A new sample dropped into ../shared/samples must come with a mapping here."""
    covered = {"fake_sm_pre.csv", "fake_sm_post_excel.xlsx", "Single_Answer_Matrix_Questions (Insights).csv",
               "Single_Answer_Matrix_Questions (legacy).csv", "Multiple_Answer_MC_Questions (Insights).csv",
               "qualtRics_sample.csv", "qualtRics_sample_legacy.csv", "rating-options-survey.csv",
               "hot_dog_survey_spring25.xlsx - Form Responses 1.csv"}
    present = {p.name for p in (shared_dir / "samples").rglob("*") if p.suffix in (".csv", ".xlsx", ".tsv")}
    assert present <= covered, present - covered


def test_plain_na_words_and_unasked_answers(tmp_path):
    """A plain "N/A" counts as not applicable on any scale; an answer to a question the
    role is not asked is kept but flagged, never silently dropped."""
    from assessment import load_questionnaire, read_responses

    q = load_questionnaire(Path(__file__).parent / "data" / "worked.yaml")
    path = tmp_path / "wide.csv"
    path.write_text("Respondent ID,Role,GOV-1,GOV-2,MON-2\n"
                    "r1,Executive sponsor,N/A,Agree,7\n"
                    "r2,Data scientist,Don't know,Agree,3\n", encoding="utf-8")
    parsed = read_responses(path, q)
    assert parsed.problems == []
    states = {(r.source_row, r.question_id): r.state for r in parsed.answers.itertuples()}
    assert states[(2, "GOV-1")] == "na" and states[(3, "GOV-1")] == "na"
    assert any("not asked of the respondent's role" in w and "MON-2 (exec) x1" in w for w in parsed.warnings)
