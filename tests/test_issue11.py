"""Issue #11: imports that cannot be silently wrong.

One regression test per finding, each built from a file shaped like the one that
showed it (written here with the csv module or openpyxl, never mocked).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest

from assessment.cli import cli
from assessment.collect import import_responses
from assessment.engagement import init_workspace
from assessment.errors import ImportFailed, QuestionnaireError
from assessment.importers import Mapping, read_responses
from assessment.questionnaire import parse_questionnaire
from assessment.store import load_workspace_responses, open_store

AGREE = ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"]
TEXTS = {
    "INTERVIEW": "Users are interviewed before an AI tool is designed.",
    "REVIEW": "Model releases pass review within two weeks.",
    "DRIFT": "Production models have drift alerts.",
    "OWNER": "Every production model has a named business owner.",
    "ROLLBACK": "Models can be rolled back within an hour.",
    "DAYS": "How many days does a validated model wait before production?",
    "PCT": "What percentage of pilots reached production?",
}
SCALE_IDS = ["INTERVIEW", "REVIEW", "DRIFT", "OWNER", "ROLLBACK"]


def trap_questionnaire_data() -> dict:
    """Ordinary-word ids (INTERVIEW, REVIEW...), five scale items, a days and a percent question."""
    questions = [{"id": qid, "text": TEXTS[qid], "scale": "agree5"} for qid in SCALE_IDS]
    questions += [{"id": "DAYS", "text": TEXTS["DAYS"], "type": "numeric", "worst": 180, "best": 5,
                   "min": 0, "max": 365, "unit": "days"},
                  {"id": "PCT", "text": TEXTS["PCT"], "type": "numeric", "worst": 0, "best": 100,
                   "unit": "percent"}]
    return {
        "id": "trap", "version": "1",
        "profile": {"role": {"text": "What is your role?"}, "unit": {"text": "Which business unit?"}},
        "scales": {"agree5": {"points": [{"value": v, "label": lab} for v, lab in enumerate(AGREE, start=1)],
                              "na_label": "Don't know"}},
        "roles": [{"id": "exec", "label": "Executive", "group": "leadership"},
                  {"id": "ds", "label": "Data scientist", "group": "practitioner"}],
        "levels": [{"level": 1, "name": "Low", "min": 0}, {"level": 2, "name": "High", "min": 50}],
        "dimensions": [{"id": "d1", "title": "Delivery", "questions": questions}],
    }


@pytest.fixture
def trap():
    return parse_questionnaire(trap_questionnaire_data())


@pytest.fixture
def ws(tmp_path):
    import yaml

    qfile = tmp_path / "trap.yaml"
    qfile.write_text(yaml.safe_dump(trap_questionnaire_data(), sort_keys=False), encoding="utf-8")
    return init_workspace(tmp_path / "w", "Acme", questionnaire=str(qfile))


def write_csv(path: Path, rows: list[list], *, bom: bool = False, newline: str = "\n") -> Path:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        csv.writer(fh, lineterminator=newline).writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list]) -> Path:
    wb = openpyxl.Workbook()
    sheet = wb.active
    for row in rows:
        sheet.append(row)
    wb.save(path)
    return path


def answers_of(parsed, row: int) -> dict[str, float]:
    a = parsed.answers[parsed.answers["source_row"] == row]
    return {q: v for q, v in zip(a["question_id"], a["value"], strict=True) if v == v}


def invoke(runner, ws, *args):
    return runner.invoke(cli, ["-w", str(ws.root), *args])


def google_rows(n: int, *, start: dt.datetime, answers=None) -> list[list]:
    header = ["Timestamp", "What is your role?", *[TEXTS[q] for q in SCALE_IDS]]
    rows = [header]
    for i in range(n):
        when = start + dt.timedelta(minutes=7 * i)
        vals = answers(i) if answers else [AGREE[(i + j) % 5] for j in range(5)]
        rows.append([when.strftime("%Y/%m/%d %I:%M:%S %p") + " GMT", "Executive" if i % 2 else "Data scientist",
                     *vals])
    return rows


# -- 1. column precedence --------------------------------------------------------------


def test_ordinary_word_id_inside_a_sentence_does_not_steal_the_column(tmp_path, trap):
    rows = [["Timestamp", "What is your role?",
             "In the INTERVIEW phase, who took notes?",          # the word, not the id
             TEXTS["INTERVIEW"],                                   # the question, exact text
             "Please REVIEW your answers before sending", TEXTS["REVIEW"]],
            ["2025/01/15 9:00:00 AM GMT", "Executive", "Kim", "Agree", "ok", "Disagree"],
            ["2025/01/15 9:05:00 AM GMT", "Data scientist", "Lee", "Strongly agree", "fine", "Neutral"]]
    parsed = read_responses(write_csv(tmp_path / "trap.csv", rows), trap)
    assert answers_of(parsed, 2) == {"INTERVIEW": 4, "REVIEW": 2}
    assert answers_of(parsed, 3) == {"INTERVIEW": 5, "REVIEW": 3}
    assert parsed.columns["INTERVIEW"]["column"] == "D" and parsed.columns["INTERVIEW"]["matched_by"] == "exact text"
    assert "In the INTERVIEW phase, who took notes?" in parsed.unmapped_columns
    assert not any("repeats question" in w for w in parsed.warnings)


@pytest.mark.parametrize("header, found", [
    ("INTERVIEW", True), ("interview", True), ("[INTERVIEW] Users are asked", True), ("Title [INTERVIEW]", True),
    ("INTERVIEW - Users are asked", True), ("INTERVIEW: users", True), ("INTERVIEW. Users", True),
    ("Interview notes", False), ("Who ran the INTERVIEW?", False), ("INTERVIEWS held", False),
    ("PRE-INTERVIEW checks", False),
])
def test_id_tokens(tmp_path, trap, header, found):
    rows = [["What is your role?", header], ["Executive", "Agree"]]
    if found:
        parsed = read_responses(write_csv(tmp_path / "x.csv", rows), trap)
        assert answers_of(parsed, 2) == {"INTERVIEW": 4}
    else:
        with pytest.raises(ImportFailed, match="no column matches"):
            read_responses(write_csv(tmp_path / "x.csv", rows), trap)


def test_a_question_two_columns_could_be_is_refused_naming_both(tmp_path, trap):
    rows = [["What is your role?", "INTERVIEW", f"Delivery [{TEXTS['INTERVIEW']}]"], ["Executive", "Agree", "Disagree"]]
    path = write_csv(tmp_path / "two.csv", rows)
    with pytest.raises(ImportFailed, match=r"question INTERVIEW could be column B 'INTERVIEW' .* or column C") as info:
        read_responses(path, trap)
    assert "two.csv" in str(info.value) and "mapping" in str(info.value)
    parsed = read_responses(path, trap, mapping=Mapping(columns={"C": "INTERVIEW"}))
    assert answers_of(parsed, 2) == {"INTERVIEW": 2} and parsed.columns["INTERVIEW"]["matched_by"] == "mapping"
    parsed = read_responses(path, trap, mapping=Mapping(ignore=["INTERVIEW"]))
    assert answers_of(parsed, 2) == {"INTERVIEW": 2}


def test_dry_run_json_names_the_column_of_every_question(tmp_path, runner, ws):
    path = write_csv(tmp_path / "g.csv", google_rows(3, start=dt.datetime(2025, 1, 15, 9)))
    res = invoke(runner, ws, "import", "--dry-run", "--json", str(path))
    assert res.exit_code == 0, res.output
    cols = json.loads(res.output)["files"][0]["columns"]
    assert {q: c["column"] for q, c in cols.items()} == {"INTERVIEW": "C", "REVIEW": "D", "DRIFT": "E",
                                                         "OWNER": "F", "ROLLBACK": "G"}
    res = invoke(runner, ws, "import", "--dry-run", str(path))
    assert "INTERVIEW" in res.output and "<- column C" in res.output
    assert invoke(runner, ws, "import", str(path)).exit_code == 0
    with open_store(ws.store_path) as store:
        assert store.imports()[0]["columns"]["REVIEW"]["column"] == "D"


# -- 2. identity without an id column ----------------------------------------------------------


def test_two_files_without_ids_keep_every_new_respondent(tmp_path, ws):
    """Second file: same answers as the first file's people, other times: all new."""
    same = lambda i: [AGREE[i % 2]] * 5  # noqa: E731 -- few distinct answer patterns, as in real surveys
    first = write_csv(tmp_path / "week1.csv", google_rows(20, start=dt.datetime(2025, 1, 15, 9), answers=same))
    second = write_csv(tmp_path / "week2.csv", google_rows(30, start=dt.datetime(2025, 1, 22, 9), answers=same))
    rep = import_responses(ws, [first, second])
    assert [(f.added, f.duplicate) for f in rep.files] == [(20, 0), (30, 0)]
    assert len(load_workspace_responses(ws)) == 50
    again = import_responses(ws, [first, second])
    assert [f.status for f in again.files] == ["unchanged", "unchanged"]
    # the same rows re-saved (other bytes, CRLF): recognised, not added again
    resaved = write_csv(tmp_path / "week1-resaved.csv",
                        google_rows(20, start=dt.datetime(2025, 1, 15, 9), answers=same), newline="\r\n")
    rep = import_responses(ws, [resaved])
    assert (rep.files[0].added, rep.files[0].duplicate) == (0, 20)


def test_identical_rows_in_one_file_are_distinct_respondents(tmp_path, ws):
    rows = google_rows(2, start=dt.datetime(2025, 1, 15, 9))
    rows.append(list(rows[1]))          # the very same row twice: two people or one twice? never merged
    path = write_csv(tmp_path / "g.csv", rows)
    rep = import_responses(ws, [path])
    assert rep.files[0].added == 3 and rep.files[0].duplicate == 0
    assert sorted(rep.files[0].quality["possible-duplicate"]) == ["g-r2", "g-r4"]


def test_xlsx_milliseconds_are_kept_and_compared_at_the_csv_precision(tmp_path, ws):
    t0 = dt.datetime(2025, 1, 15, 9, 0, 0, 250000)
    header = ["Timestamp", "What is your role?", *[TEXTS[q] for q in SCALE_IDS]]
    same = ["Agree"] * 5
    xrows = [header, [t0, "Executive", *same], [t0 + dt.timedelta(milliseconds=500), "Executive", *same]]
    rep = import_responses(ws, [write_xlsx(tmp_path / "sheet.xlsx", xrows)])
    assert rep.files[0].added == 2  # same second, different milliseconds: two people
    # the tool's CSV of the same responses carries whole seconds only: both already stored
    crows = [header, ["1/15/2025 9:00:00", "Executive", *same], ["1/15/2025 9:00:00", "Executive", *same]]
    rep = import_responses(ws, [write_csv(tmp_path / "download.csv", crows)])
    assert (rep.files[0].added, rep.files[0].duplicate) == (0, 2)


# -- 3. the same id twice with different answers ------------------------------------------------


def lime_rows(ids: list[str]) -> list[list]:
    header = ["id", "submitdate", "lastpage", "startlanguage", "seed", "What is your role?",
              *[f"{TEXTS[q]}" for q in SCALE_IDS]]
    return [header] + [[rid, f"2025-01-15 09:0{i}:00", "3", "en", "123", "Executive",
                        *[AGREE[(i + j) % 5] for j in range(5)]] for i, rid in enumerate(ids)]


def test_same_id_twice_with_different_answers_refuses_the_file(tmp_path, ws, runner):
    path = write_csv(tmp_path / "lime.csv", lime_rows(["11", "12", "11"]), bom=True)
    res = invoke(runner, ws, "import", str(path))
    assert res.exit_code == 1
    assert "respondent id '11' is on rows 2, 4 with different answers" in res.output
    assert not ws.store_path.exists() or len(load_workspace_responses(ws)) == 0
    res = invoke(runner, ws, "import", "--skip-invalid", str(path))
    assert res.exit_code == 0, res.output
    assert "skipped 2: same respondent id on several rows with different answers" in res.output
    assert list(load_workspace_responses(ws).respondents["respondent_id"]) == ["12"]


# -- 4. a forced source that does not fit ------------------------------------------------------


def test_forced_source_that_does_not_fit_is_refused(tmp_path, trap):
    path = write_csv(tmp_path / "lime.csv", lime_rows(["1", "2", "3", "4", "5", "6", "7"]))
    with pytest.raises(ImportFailed, match="--source qualtrics does not fit this file: it looks like a limesurvey"):
        read_responses(path, trap, source="qualtrics")
    assert len(read_responses(path, trap).respondents) == 7
    with pytest.raises(ImportFailed, match="no surveymonkey header fingerprint"):
        read_responses(write_csv(tmp_path / "w.csv", [["What is your role?", "INTERVIEW"], ["Executive", "Agree"]]),
                       trap, source="surveymonkey")


# -- 5. Typeform headers with HTML --------------------------------------------------------------


def typeform_rows() -> list[list]:
    return [["#", "<strong>Are you self-employed?</strong>", "<p>What is your <em>role</em>?</p>",
             *[f"<strong>{TEXTS[q]}</strong>" for q in SCALE_IDS[:2]], "Rate &amp; review: Models can be rolled "
             "back within an hour.", "Start Date (UTC)", "Submit Date (UTC)", "Network ID"],
            ["a1b2c3", "1", "Executive", "Agree", "Disagree", "Neutral", "2025-01-15 09:00:00", "2025-01-15 09:04:00",
             "f00"],
            ["d4e5f6", "0", "Data scientist", "Neutral", "Agree", "Agree", "2025-01-15 09:10:00",
             "2025-01-15 09:15:00", "ba4"]]


def test_typeform_html_headers_match_questions_and_named_columns(tmp_path, trap):
    path = write_csv(tmp_path / "typeform.csv", typeform_rows())
    parsed = read_responses(path, trap)
    assert parsed.source == "typeform"
    assert answers_of(parsed, 2) == {"INTERVIEW": 4, "REVIEW": 2}
    assert list(parsed.respondents["role"]) == ["exec", "ds"]
    parsed = read_responses(path, trap, mapping=Mapping(unit_column="Are you self-employed?"))
    assert list(parsed.respondents["unit"]) == ["1", "0"]


def test_missing_named_column_suggests_the_closest_headers(tmp_path, trap):
    path = write_csv(tmp_path / "typeform.csv", typeform_rows())
    with pytest.raises(ImportFailed, match=r"'Are you self employed' is not in this file; closest headers: "
                                           r"'Are you self-employed\?'"):
        read_responses(path, trap, mapping=Mapping(unit_column="Are you self employed"))


# -- 6. LimeSurvey dual-scale headers -----------------------------------------------------------


def test_limesurvey_dual_scale_headers(tmp_path, trap):
    head = ["Response ID", "Date submitted", "Last page", "Start language", "What is your role?"]
    rows = [head + [f"Importance and practice [{TEXTS['INTERVIEW']}][Scale 1]",
                    f"Importance and practice [{TEXTS['REVIEW']}][Scale 1]"],
            ["1", "2025-01-15 09:00:00", "2", "en", "Executive", "Agree", "Neutral"]]
    parsed = read_responses(write_csv(tmp_path / "lime.csv", rows), trap)
    assert answers_of(parsed, 2) == {"INTERVIEW": 4, "REVIEW": 3}
    both = [head + [f"Importance and practice [{TEXTS['INTERVIEW']}][Scale 1]",
                    f"Importance and practice [{TEXTS['INTERVIEW']}][Scale 2]"],
            ["1", "2025-01-15 09:00:00", "2", "en", "Executive", "Agree", "Disagree"]]
    path = write_csv(tmp_path / "both.csv", both)
    with pytest.raises(ImportFailed, match=r"question INTERVIEW could be column F .*\[Scale 1\].* or column G"):
        read_responses(path, trap)
    parsed = read_responses(path, trap, mapping=Mapping(columns={"G": "INTERVIEW"}, ignore=["F"]))
    assert answers_of(parsed, 2) == {"INTERVIEW": 2}


# -- 7. empty rows and the identical-answers flag -------------------------------------------------


def test_rows_with_only_a_timestamp_or_role_are_skipped_and_counted(tmp_path, ws):
    rows = google_rows(3, start=dt.datetime(2025, 1, 15, 9))
    rows.insert(2, ["2025/01/15 9:01:00 AM GMT", "", "", "", "", "", ""])
    rows.insert(3, ["2025/01/15 9:02:00 AM GMT", "Executive", "", "", "", "", ""])
    rep = import_responses(ws, [write_csv(tmp_path / "g.csv", rows)])
    assert rep.files[0].added == 3 and rep.files[0].skipped == {"empty": 2}


def test_one_question_survey_raises_no_identical_answers_flag(tmp_path, ws):
    rows = [["Timestamp", "What is your role?", TEXTS["INTERVIEW"]]]
    rows += [[f"2025/01/15 9:0{i}:00 AM GMT", "Executive", "Agree"] for i in range(6)]
    rep = import_responses(ws, [write_csv(tmp_path / "one.csv", rows)])
    assert rep.files[0].added == 6 and rep.files[0].quality == {}


# -- 8. impossible numbers ----------------------------------------------------------------------


def numeric_rows(days: list[str], pct: list[str]) -> list[list]:
    rows = [["What is your role?", TEXTS["DAYS"], TEXTS["PCT"]]]
    return rows + [["Executive", d, p] for d, p in zip(days, pct, strict=True)]


def test_out_of_range_numbers_are_refused_with_row_and_column(tmp_path, trap):
    parsed = read_responses(write_csv(tmp_path / "n.csv", numeric_rows(["500", "-3", "12"], ["20", "250", "35%"])),
                            trap)
    found = {(p.row, p.letter): p.why for p in parsed.problems}
    assert set(found) == {(2, "B"), (3, "B"), (3, "C")}
    assert "out of range: question DAYS takes 0-365 days" in found[(2, "B")]
    assert "question PCT takes 0-100 %" in found[(3, "C")]
    assert answers_of(parsed, 4) == {"DAYS": 12, "PCT": 35}


def test_percent_fractions_are_read_as_fractions_and_said(tmp_path, trap):
    parsed = read_responses(write_xlsx(tmp_path / "p.xlsx", numeric_rows(["1", "2", "3"], [0.35, 0.5, 1])), trap)
    assert [answers_of(parsed, r)["PCT"] for r in (2, 3, 4)] == [35, 50, 100]
    assert any("read as fractions" in w for w in parsed.warnings)
    parsed = read_responses(write_csv(tmp_path / "p.csv", numeric_rows(["1", "2"], ["35", "1"])), trap)
    assert [answers_of(parsed, r)["PCT"] for r in (2, 3)] == [35, 1]
    assert not any("fractions" in w for w in parsed.warnings)
    parsed = read_responses(write_csv(tmp_path / "m.csv", numeric_rows(["1", "2"], ["35", "0.5"])), trap)
    assert [answers_of(parsed, r)["PCT"] for r in (2, 3)] == [35, 0.5]
    assert any("read as percentage points (0.35 = 0.35%)" in w for w in parsed.warnings)


def test_questionnaire_validates_min_max_unit():
    data = trap_questionnaire_data()
    days = data["dimensions"][0]["questions"][5]
    for change, message in [({"min": 400}, "min"), ({"unit": "parsecs"}, "unknown unit"),
                            ({"max": 100}, "outside")]:
        bad = json.loads(json.dumps(data))
        bad["dimensions"][0]["questions"][5] = {**days, **change}
        with pytest.raises(QuestionnaireError, match=message):
            parse_questionnaire(bad)


def test_bundled_questionnaire_bounds_every_numeric_question():
    from assessment.questionnaire import load_questionnaire

    q = load_questionnaire("ai-friction")
    numeric = [x for x in q.questions.values() if x.type == "numeric"]
    assert numeric and all(x.min is not None and x.max is not None and x.unit for x in numeric)


# -- 9. batches -----------------------------------------------------------------------------------


def test_batch_skips_lock_files_refuses_folders_and_lists_outcomes(tmp_path, ws, runner):
    good = write_csv(tmp_path / "good.csv", google_rows(2, start=dt.datetime(2025, 1, 15, 9)))
    lock = tmp_path / "~$survey.xlsx"
    lock.write_bytes(b"\x00" * 165)   # what Excel leaves beside an open workbook
    bad = write_csv(tmp_path / "bad.csv", [["no", "match"], ["1", "2"]])
    res = invoke(runner, ws, "import", str(lock), str(good), str(bad))
    assert res.exit_code == 1
    assert "Excel lock file" in res.output and "Traceback" not in res.output
    assert f"stored (1): {good}" in res.output and f"refused (1): {bad}" in res.output
    assert res.output.count("no column matches a question") == 1
    office = tmp_path / ".~lock.survey.xlsx#"
    office.write_text(",Kim,host,01.12.2026 10:00,file:///home/kim/.config/libreoffice/4;", encoding="utf-8")
    res = invoke(runner, ws, "import", str(office))
    assert res.exit_code == 0 and "LibreOffice lock file" in res.output
    res = invoke(runner, ws, "import", str(tmp_path))
    assert res.exit_code == 1 and "is a folder" in res.output and len(res.output.strip().splitlines()) == 1


# -- 10. restoring removed respondents -------------------------------------------------------------


def test_removed_respondents_come_back_with_replace(tmp_path, ws, runner):
    path = write_csv(tmp_path / "g.csv", google_rows(3, start=dt.datetime(2025, 1, 15, 9)))
    assert invoke(runner, ws, "import", str(path)).exit_code == 0
    assert invoke(runner, ws, "responses", "remove", "g-r3").exit_code == 0
    res = invoke(runner, ws, "import", str(path))
    assert res.exit_code == 0 and "1 of its respondent(s) are no longer stored" in res.output
    assert len(load_workspace_responses(ws)) == 2
    res = invoke(runner, ws, "import", "--replace", str(path))
    assert res.exit_code == 0 and "1 added, 2 already stored" in res.output
    assert sorted(load_workspace_responses(ws).respondents["respondent_id"]) == ["g-r2", "g-r3", "g-r4"]
    assert "--replace" in invoke(runner, ws, "import", "--help").output


# -- 11. DTDs in xlsx parts -----------------------------------------------------------------------


def with_dtd(src: Path, dst: Path, part: str) -> Path:
    """A copy of ``src`` whose ``part`` declares a DTD with an entity (used, in the sheet, for a cell)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == part:
                text = data.decode("utf-8")
                decl_end = text.index("?>") + 2 if text.startswith("<?xml") else 0
                text = text[:decl_end] + '<!DOCTYPE x [<!ENTITY name "Executive">]>' + text[decl_end:]
                text = text.replace(">Executive<", ">&name;<", 1)
                data = text.encode("utf-8")
            zout.writestr(info, data)
    return dst


@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.xml", "xl/workbook.xml", "[Content_Types].xml"])
def test_xlsx_with_a_dtd_is_refused_in_one_line(tmp_path, ws, runner, part):
    src = write_xlsx(tmp_path / "plain.xlsx", [["What is your role?", TEXTS["INTERVIEW"]], ["Executive", "Agree"]])
    bad = with_dtd(src, tmp_path / "dtd.xlsx", part)
    res = invoke(runner, ws, "import", str(bad))
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output and "UnboundLocalError" not in res.output
    assert res.output.strip().splitlines() == [f"Error: {bad}: refused: the spreadsheet part {part} declares a DTD "
                                               "(<!DOCTYPE>), which no genuine Excel file has (entity expansion or "
                                               "external entities)"]
    assert not ws.store_path.exists() or len(load_workspace_responses(ws)) == 0


# -- 12. tidy export -------------------------------------------------------------------------------


def test_responses_export_csv_and_json(tmp_path, ws, runner):
    rows = [["Timestamp", "What is your role?", "Which business unit?", TEXTS["INTERVIEW"], TEXTS["REVIEW"],
             TEXTS["DAYS"], TEXTS["PCT"]],
            ["2025/01/15 9:00:00 AM GMT", "Executive", "Retail", "Agree", "Don't know", "12", "35%"],
            ["2025/01/15 9:05:00 AM GMT", "Data scientist", "", "Strongly disagree", "", "4,5", "80"]]
    path = write_csv(tmp_path / "g.csv", rows)
    assert invoke(runner, ws, "import", str(path)).exit_code == 0
    out = tmp_path / "tidy.json"
    res = invoke(runner, ws, "responses", "export", "-o", str(out))
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert all(set(d) == {"respondent_id", "role", "unit", "question_id", "raw", "value", "state", "source_file",
                          "source_row"} for d in data)
    by = {(d["source_row"], d["question_id"]): d for d in data}
    assert by[(2, "INTERVIEW")] == {"respondent_id": "g-r2", "role": "exec", "unit": "Retail",
                                    "question_id": "INTERVIEW", "raw": "Agree", "value": 4.0, "state": "answered",
                                    "source_file": "g.csv", "source_row": 2}
    assert by[(2, "REVIEW")]["state"] == "na" and by[(2, "REVIEW")]["value"] is None
    assert by[(2, "PCT")]["raw"] == "35%" and by[(2, "PCT")]["value"] == 35
    assert by[(3, "DAYS")]["value"] == 4.5 and by[(3, "REVIEW")]["state"] == "blank"
    res = invoke(runner, ws, "responses", "export", "--format", "csv")
    table = list(csv.DictReader(res.output.splitlines()))
    assert list(table[0]) == ["respondent_id", "role", "unit", "question_id", "raw", "value", "state",
                              "source_file", "source_row"]
    assert len(table) == len(data)
    assert {(r["source_row"], r["question_id"]): r["value"] for r in table}[("3", "DAYS")] == "4.5"


# -- 13. messages ---------------------------------------------------------------------------------


def test_a_refusal_is_printed_once(tmp_path, ws, runner):
    path = write_csv(tmp_path / "odd.csv", [["no", "match"], ["1", "2"]])
    res = invoke(runner, ws, "import", str(path))
    assert res.exit_code == 1
    assert res.output.count("no column matches a question") == 1


def test_template_refuses_to_overwrite_without_force(tmp_path, ws, runner):
    out = tmp_path / "survey.xlsx"
    assert invoke(runner, ws, "template", "-o", str(out)).exit_code == 0
    before = out.read_bytes()
    res = invoke(runner, ws, "template", "-o", str(out))
    assert res.exit_code == 1 and "already exists" in res.output and "--force" in res.output
    assert out.read_bytes() == before
    assert invoke(runner, ws, "template", "-o", str(out), "--force").exit_code == 0


def test_respondents_stored_with_the_old_identity_are_still_recognised(tmp_path, ws):
    """Stores written before identities carried the whole row keep 'content:<answers hash>'."""
    import sqlite3

    rows = google_rows(3, start=dt.datetime(2025, 1, 15, 9))
    assert import_responses(ws, [write_csv(tmp_path / "g.csv", rows)]).files[0].added == 3
    conn = sqlite3.connect(ws.store_path)
    conn.execute("UPDATE respondents SET identity = 'content:' || content_hash")
    conn.commit()
    conn.close()
    rep = import_responses(ws, [write_csv(tmp_path / "g-resaved.csv", rows, newline="\r\n")])
    assert (rep.files[0].added, rep.files[0].duplicate) == (0, 3)


def test_forced_source_fits_a_localised_export_with_the_tools_header_rows(tmp_path, trap):
    """SurveyMonkey in Spanish: row 1 names are not the English fingerprint, but row 2 is there."""
    rows = [["ID del encuestado", "ID del recopilador", "Fecha de inicio", "Fecha de finalización",
             "What is your role?", "Delivery", ""],
            ["", "", "", "", "Respuesta", TEXTS["INTERVIEW"], TEXTS["REVIEW"]],
            ["114000000001", "4310", "06/20/2024 13:28:00", "06/20/2024 13:31:00", "Executive", "Agree", "Neutral"]]
    path = write_csv(tmp_path / "sm-es.csv", rows)
    parsed = read_responses(path, trap, source="surveymonkey")
    assert len(parsed.respondents) == 1 and answers_of(parsed, 3) == {"INTERVIEW": 4, "REVIEW": 3}
    with pytest.raises(ImportFailed, match="no qualtrics header fingerprint"):
        read_responses(path, trap, source="qualtrics")


@pytest.mark.parametrize("stamp", ["Marca temporal", "Horodateur", "Zeitstempel", "タイムスタンプ", "Sygnatura czasowa"])
def test_google_forms_in_other_languages(tmp_path, trap, stamp):
    rows = google_rows(2, start=dt.datetime(2025, 1, 15, 9))
    rows[0][0] = stamp
    parsed = read_responses(write_csv(tmp_path / "g.csv", rows), trap)
    assert parsed.source == "google-forms" and list(parsed.respondents["submitted"].str[:10]) == ["2025-01-15"] * 2


def test_anonymous_in_the_email_column_is_not_an_identity(tmp_path, ws):
    rows = [["Timestamp", "Email Address", "What is your role?", TEXTS["INTERVIEW"]]]
    rows += [[f"2025/01/15 9:0{i}:00 AM GMT", "anonymous", "Executive", AGREE[i % 5]] for i in range(4)]
    rep = import_responses(ws, [write_csv(tmp_path / "g.csv", rows)])
    assert rep.files[0].added == 4 and rep.files[0].skipped == {} and rep.files[0].quality == {}
