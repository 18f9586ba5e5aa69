"""Import decisions (refuse, skip, duplicate, conflict, replace), quality flags and crash safety."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
from test_store import FakeProblem, make_parsed, person

from assessment import quality
from assessment.collect import import_parsed
from assessment.questionnaire import load_questionnaire, parse_questionnaire
from assessment.store import open_store

DATA = Path(__file__).parent / "data"
TESTS = Path(__file__).parent


@pytest.fixture
def q():
    return load_questionnaire(DATA / "worked.yaml")


def snapshot(store):
    r = store.load_responses()
    def plain(df):  # NaN != NaN, so compare missing values as None
        obj = df.astype("object")
        return obj.where(obj.notna(), None).to_dict("records")

    return plain(r.respondents), plain(r.answers), store.imports()


def test_file_with_unreadable_cells_is_refused_and_nothing_stored(tmp_path, q):
    with open_store(tmp_path / "s.sqlite") as store:
        import_parsed(store, make_parsed(tmp_path / "first.csv", [person(2)], q), q)
        before = snapshot(store)
        bad = make_parsed(tmp_path / "bad.csv", [person(2, agree="Agreee"), person(3, role=None, role_raw="Boss")], q,
                          problems=[FakeProblem(2, "GOV-1", "Agreee", "not a label of scale agree5"),
                                    FakeProblem(3, "Role", "Boss", "unknown role")])
        rep = import_parsed(store, bad, q)
        assert rep.status == "refused"
        assert "2 unreadable answers (first: row 2, column 'GOV-1': 'Agreee'); nothing was stored" in rep.message
        assert [(p["row"], p["value"]) for p in rep.problems] == [(2, "Agreee"), (3, "Boss")]
        assert snapshot(store) == before


def test_problems_the_reader_missed_are_still_caught(tmp_path, q):
    # an 'answered' scale cell without a value, reported by nobody, must not slip through as a blank
    with open_store(tmp_path / "s.sqlite") as store:
        rep = import_parsed(store, make_parsed(tmp_path / "x.csv", [person(2, agree="Agreee")], q), q)
        assert rep.status == "refused"
        assert rep.problems == [{"row": 2, "column": "GOV-1", "value": "Agreee",
                                 "why": "not a valid answer for this question"}]
        assert len(store.load_responses()) == 0


def test_skip_invalid_blanks_bad_cells_and_skips_unreadable_roles(tmp_path, q):
    bad = make_parsed(tmp_path / "bad.csv", [person(2, agree="Agreee"), person(3, role=None, role_raw="Boss"),
                                             person(4, role="ops", agree="Strongly agree")], q,
                      problems=[FakeProblem(2, "GOV-1", "Agreee", "not a label"),
                                FakeProblem(3, "Role", "Boss", "unknown role")])
    with open_store(tmp_path / "s.sqlite") as store:
        rep = import_parsed(store, bad, q, skip_invalid=True)
        assert rep.status == "imported" and rep.added == 2
        assert rep.skipped == {"unreadable role": 1}
        assert rep.invalid_cells_blanked == 1
        r = store.load_responses()
        log = store.imports()
    assert list(r.respondents["respondent_id"]) == ["bad-r2", "bad-r4"]
    cell = r.answers[(r.answers["respondent_id"] == "bad-r2") & (r.answers["question_id"] == "GOV-1")].iloc[0]
    assert cell["state"] == "blank" and pd.isna(cell["value"]) and cell["raw"] == "Agreee"
    assert len(log[0]["problems"]) == 2 and log[0]["skipped"] == {"unreadable role": 1}


def test_same_file_twice_is_unchanged(tmp_path, q):
    parsed = make_parsed(tmp_path / "a.csv", [person(2), person(3, agree="Disagree")], q)
    with open_store(tmp_path / "s.sqlite") as store:
        assert import_parsed(store, parsed, q).status == "imported"
        again = import_parsed(store, parsed, q)
        assert again.status == "unchanged" and "already imported" in again.message
        assert len(store.load_responses()) == 2 and len(store.imports()) == 1


def test_resaved_export_adds_only_new_respondents(tmp_path, q):
    # the same survey exported again a day later: old rows are duplicates, new ones are added
    first = make_parsed(tmp_path / "export.csv", [person(2, key="A1"), person(3, key="A2", agree="Disagree")], q,
                        source="qualtrics")
    later = make_parsed(tmp_path / "export (1).csv", [person(2, key="A1"), person(3, key="A2", agree="Disagree"),
                                                      person(4, key="A3", role="ds")], q, source="qualtrics")
    with open_store(tmp_path / "s.sqlite") as store:
        import_parsed(store, first, q)
        rep = import_parsed(store, later, q)
        assert (rep.status, rep.added, rep.duplicate) == ("imported", 1, 2)
        assert sorted(store.load_responses().respondents["respondent_id"]) == ["A1", "A2", "A3"]


def test_changed_answers_conflict_unless_replace(tmp_path, q):
    first = make_parsed(tmp_path / "a.csv", [person(2, email="Ann@Example.com"), person(3, email="bo@x.org")], q,
                        source="google-forms")
    changed = make_parsed(tmp_path / "b.csv", [person(5, email="ann@example.com", agree="Strongly agree")], q,
                          source="google-forms")
    with open_store(tmp_path / "s.sqlite") as store:
        import_parsed(store, first, q)
        before = snapshot(store)
        rep = import_parsed(store, changed, q)
        assert rep.status == "refused" and "use --replace" in rep.message
        assert rep.conflicts == [{"row": 5, "identity_kind": "email", "identity": "ann@example.com",
                                  "respondent_id": "a-r2"}]
        assert snapshot(store) == before
        rep = import_parsed(store, changed, q, replace=True)
        assert (rep.status, rep.added, rep.replaced) == ("imported", 0, 1)
        r = store.load_responses()
    assert sorted(r.respondents["respondent_id"]) == ["a-r2", "a-r3"]
    ann = r.respondents.set_index("respondent_id").loc["a-r2"]
    assert ann["source_file"] == "b.csv" and ann["source_row"] == 5
    gov1 = r.answers[(r.answers["respondent_id"] == "a-r2") & (r.answers["question_id"] == "GOV-1")]
    assert gov1["value"].tolist() == [5.0]
    # every question asked of each respondent's role has a row; unasked empty cells are not stored
    roles = dict(zip(r.respondents["respondent_id"], r.respondents["role"], strict=True))
    asked = sum(q.asked(question, role) for role in roles.values() for question in q.questions.values())
    assert len(r.answers) == asked


def test_double_submission_in_file(tmp_path, q):
    rows = [person(2, email="a@x.org"), person(3, email="a@x.org"),             # same answers twice: skipped
            person(4, email="b@x.org"), person(5, email="b@x.org", agree="Disagree")]  # changed mind: both flagged
    with open_store(tmp_path / "s.sqlite") as store:
        rep = import_parsed(store, make_parsed(tmp_path / "f.csv", rows, q, source="google-forms"), q)
        assert rep.added == 3 and rep.skipped == {"duplicate submission in file": 1}
        assert sorted(rep.quality[quality.DUPLICATE_EMAIL]) == ["f-r4", "f-r5"]
        r = store.load_responses()
    flags = dict(zip(r.respondents["respondent_id"], r.respondents["flags"], strict=True))
    assert flags["f-r2"] == "" and "duplicate-email" in flags["f-r5"]


def test_identical_answers_without_identity_are_kept_and_flagged(tmp_path, q):
    rows = [person(2), person(3)]  # no key, no e-mail, same answers: maybe two people, never dropped
    with open_store(tmp_path / "s.sqlite") as store:
        rep = import_parsed(store, make_parsed(tmp_path / "t.xlsx", rows, q), q)
        # too few scale answers for 'identical' to mean anything, and no time to tell them apart: not flagged
        assert rep.added == 2 and rep.quality == {}
        # the same rows in a re-saved copy are recognised as already stored
        again = make_parsed(tmp_path / "t-copy.xlsx", rows + [person(4, role="ds")], q)
        again.sha256 = "different bytes"
        rep = import_parsed(store, again, q)
        assert (rep.added, rep.duplicate) == (1, 2)


def test_damaged_duplicate_keys_are_kept_with_distinct_ids(tmp_path, q):
    rows = [person(2, key="1.14628E+11"), person(3, key="1.14628E+11", agree="Disagree")]
    with open_store(tmp_path / "s.sqlite") as store:
        rep = import_parsed(store, make_parsed(tmp_path / "sm.csv", rows, q, source="surveymonkey"), q)
        # a damaged id tells nobody apart: the rows' cells do, so both are kept and nothing is refused
        assert rep.added == 2 and rep.problems == []


def test_dry_run_reports_without_writing(tmp_path, q):
    with open_store(tmp_path / "s.sqlite") as store:
        rep = import_parsed(store, make_parsed(tmp_path / "a.csv", [person(2), person(3, role="ds")], q), q,
                            dry_run=True)
        assert rep.status == "dry-run" and rep.added == 2
        assert len(store.load_responses()) == 0 and store.imports() == []


def test_unknown_round_is_refused(tmp_path, q):
    from assessment.errors import StoreError

    with open_store(tmp_path / "s.sqlite") as store, pytest.raises(StoreError, match="no round 'day-09'"):
        import_parsed(store, make_parsed(tmp_path / "a.csv", [person(2)], q), q, round="day-09")


# -- quality -------------------------------------------------------------------------


def six_item_questionnaire():
    return parse_questionnaire({
        "id": "six", "version": "1",
        "scales": {"agree5": {"points": [{"value": v, "label": lab} for v, lab in
                                         enumerate(["SD", "D", "N", "A", "SA"], start=1)], "na_label": "NA"}},
        "roles": [{"id": "exec", "label": "Exec", "group": "leadership"},
                  {"id": "ds", "label": "DS", "group": "practitioner"}],
        "levels": [{"level": 1, "name": "Low", "min": 0}, {"level": 2, "name": "High", "min": 50}],
        "dimensions": [{"id": "d1", "title": "D1", "questions": [
            {"id": f"Q{i}", "text": f"Statement {i}", "scale": "agree5"} for i in range(1, 8)]}],
    })


def tidy(rows):
    cells = [(rid, qid, float(v) if v is not None else float("nan"), "answered" if v is not None else "blank")
             for rid, answers in rows.items() for qid, v in answers.items()]
    return pd.DataFrame(cells, columns=["respondent_id", "question_id", "value", "state"])


def test_straight_lining_needs_five_identical_answers_in_a_block():
    six = six_item_questionnaire()
    answers = tidy({
        "flat": {f"Q{i}": 4 for i in range(1, 8)},
        "varied": {f"Q{i}": 4 if i != 3 else 2 for i in range(1, 8)},
        "too-few": {**{f"Q{i}": 4 for i in range(1, 5)}, "Q5": None, "Q6": None, "Q7": None},
    })
    assert quality.straight_liners(answers, six) == {"flat"}


def test_speeders_need_five_durations():
    people = pd.DataFrame({"respondent_id": list("abcdef"), "duration_s": [600, 580, 620, 590, 150, 610]})
    assert quality.speeders(people) == {"e"}
    assert quality.speeders(people.iloc[[0, 1, 2, 4]]) == set()
    assert quality.speeders(people.assign(duration_s=float("nan"))) == set()


def test_quality_flags_are_stored_on_respondents(tmp_path):
    six = six_item_questionnaire()
    rows = [{"row": r, "role": "ds", "duration": d,
             "answers": {f"Q{i}": ("A" if r == 2 else ["SD", "D", "N", "A", "SA"][(i + r) % 5]) for i in range(1, 8)}}
            for r, d in zip(range(2, 8), [500, 520, 90, 480, 510, 530], strict=True)]
    with open_store(tmp_path / "s.sqlite") as store:
        rep = import_parsed(store, make_parsed(tmp_path / "g.csv", rows, six, source="google-forms"), six)
        assert rep.quality == {"straight-lining": ["g-r2"], "speeder": ["g-r4"]}
        r = store.load_responses()
    flags = dict(zip(r.respondents["respondent_id"], r.respondents["flags"], strict=True))
    assert flags == {"g-r2": "straight-lining", "g-r3": "", "g-r4": "speeder", "g-r5": "", "g-r6": "", "g-r7": ""}


# -- crash safety --------------------------------------------------------------------


def test_killed_import_leaves_store_as_before(tmp_path, q):
    store_path = tmp_path / "s.sqlite"
    with open_store(store_path) as store:
        import_parsed(store, make_parsed(tmp_path / "first.csv", [person(2)], q), q)
        before = snapshot(store)
    marker = tmp_path / "in-transaction"
    script = textwrap.dedent(f"""
        import sys
        import time
        sys.path.insert(0, {str(TESTS)!r})
        from pathlib import Path
        from test_store import make_parsed, person
        from assessment.collect import import_parsed
        from assessment.questionnaire import load_questionnaire
        from assessment.store import open_store
        q = load_questionnaire({str(DATA / 'worked.yaml')!r})
        rows = [person(r, role="ds", agree="Disagree", key=f"K{{r}}") for r in range(2, 300)]
        marker = Path({str(marker)!r})

        def pause_in_transaction(statement):
            # a real SQLite hook, not production code: stop once answers are being written
            if statement.startswith("INSERT INTO answers") and not marker.exists():
                marker.write_text("in transaction", encoding="utf-8")
                time.sleep(120)

        with open_store({str(store_path)!r}) as store:
            store.conn.set_trace_callback(pause_in_transaction)
            import_parsed(store, make_parsed(Path({str(tmp_path / 'second.csv')!r}), rows, q), q)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None, "the import process ended before reaching its transaction"
            assert time.monotonic() < deadline, "the import never reached its transaction"
            time.sleep(0.05)
        # the rows are written but not committed: kill without any chance to clean up
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    with open_store(store_path) as store:
        assert snapshot(store) == before
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# -- command line --------------------------------------------------------------------


@pytest.fixture
def cli_ws(tmp_path):
    from assessment.engagement import init_workspace

    return init_workspace(tmp_path / "w", "Acme", questionnaire=str(DATA / "worked.yaml"))


def filled_template(path: Path, q, rows: list[list]) -> Path:
    import openpyxl

    from assessment.template import write_survey_workbook

    write_survey_workbook(q, path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Responses"]
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            if value is not None:
                ws.cell(row=3 + i, column=1 + j, value=value)
    wb.save(path)
    return path


GOOD = [["R1", "Executive sponsor", "Retail", "Agree", "Disagree", 20, "Agree", None, None],
        ["R2", "Data scientist", "Retail", "Neutral", "Agree", 60, "Disagree", "4", "ok"]]


def test_cli_template_import_and_listing(runner, cli_ws, q, tmp_path):
    from assessment.cli import cli

    out = tmp_path / "survey.xlsx"
    res = runner.invoke(cli, ["-w", str(cli_ws.root), "template", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert out.is_file()
    path = filled_template(tmp_path / "wave1.xlsx", q, GOOD)
    res = runner.invoke(cli, ["-w", str(cli_ws.root), "import", str(path)])
    assert res.exit_code == 0, res.output
    assert "wave1.xlsx [template]: imported: 2 added" in res.output
    res = runner.invoke(cli, ["-w", str(cli_ws.root), "import", str(path)])
    assert res.exit_code == 0 and "already imported" in res.output
    res = runner.invoke(cli, ["-w", str(cli_ws.root), "responses"])
    assert res.exit_code == 0, res.output
    assert "Round baseline: 2 respondent(s)" in res.output
    lines = {line.split()[0]: line for line in res.output.splitlines() if line.startswith("  ")}
    assert "missing" in lines["IT"] and "missing" not in lines["Executive"]
    assert "wave1.xlsx [template]: 2 added" in res.output
    res = runner.invoke(cli, ["-w", str(cli_ws.root), "responses", "--json"])
    data = json.loads(res.output)
    assert data["respondents"] == 2 and data["units"] == [{"unit": "Retail", "respondents": 2}]
    assert [r["missing"] for r in data["roles"]] == [False, False, True]
    res = runner.invoke(cli, ["-w", str(cli_ws.root), "responses", "remove", "R2"])
    assert res.exit_code == 0 and "Removed 1" in res.output
    res = runner.invoke(cli, ["-w", str(cli_ws.root), "responses", "remove", "R9"])
    assert res.exit_code == 1 and "no respondent R9" in res.output


def test_cli_refused_file_lists_problems_and_exits_1(runner, cli_ws, q, tmp_path):
    from assessment.cli import cli

    bad = [row[:] for row in GOOD]
    bad[0][3] = "Agreee"  # typed over the dropdown, e.g. in LibreOffice
    bad[1][5] = "two months"
    path = filled_template(tmp_path / "bad.xlsx", q, bad)
    res = runner.invoke(cli, ["-w", str(cli_ws.root), "import", str(path)])
    assert res.exit_code == 1
    assert "row 3, column 'GOV-1': 'Agreee'" in res.output
    assert "row 4, column 'GOV-3': 'two months'" in res.output
    assert f"Error: {path}: 2 unreadable answers (first: row 3, column 'GOV-1': 'Agreee'); nothing was stored" in res.output
    assert not cli_ws.store_path.exists() or len(load_ws(cli_ws)) == 0
    res = runner.invoke(cli, ["-w", str(cli_ws.root), "import", str(path), "--skip-invalid", "--json"])
    assert res.exit_code == 0, res.output
    rep = json.loads(res.output)
    assert rep["files"][0]["status"] == "imported" and rep["files"][0]["invalid_cells_blanked"] == 2
    assert len(load_ws(cli_ws)) == 2


def load_ws(ws):
    from assessment.store import load_workspace_responses

    return load_workspace_responses(ws)


def test_cli_dry_run_creates_nothing(runner, cli_ws, q, tmp_path):
    from assessment.cli import cli

    path = filled_template(tmp_path / "wave1.xlsx", q, GOOD)
    res = runner.invoke(cli, ["-w", str(cli_ws.root), "import", "--dry-run", str(path)])
    assert res.exit_code == 0, res.output
    assert "would import: 2 added" in res.output and "nothing was stored" in res.output
    assert not cli_ws.store_path.exists()


def test_cli_rounds(runner, cli_ws, q, tmp_path):
    from assessment.cli import cli

    w = ["-w", str(cli_ws.root)]
    path = filled_template(tmp_path / "wave1.xlsx", q, GOOD)
    assert runner.invoke(cli, [*w, "import", str(path)]).exit_code == 0
    res = runner.invoke(cli, [*w, "round", "new", "day-90"])
    assert res.exit_code == 0, res.output
    later = filled_template(tmp_path / "day90.xlsx", q, GOOD[:1])
    assert runner.invoke(cli, [*w, "import", str(later)]).exit_code == 0
    res = runner.invoke(cli, [*w, "round", "list"])
    assert res.exit_code == 0
    assert [line.split()[:3] for line in res.output.splitlines()] == [["baseline", "2", "respondent(s)"],
                                                                       ["*", "day-90", "1"]]
    res = runner.invoke(cli, [*w, "responses", "--round", "baseline", "--json"])
    assert json.loads(res.output)["respondents"] == 2
    assert runner.invoke(cli, [*w, "round", "use", "baseline"]).exit_code == 0
    assert json.loads(runner.invoke(cli, [*w, "responses", "--json"]).output)["round"] == "baseline"
    res = runner.invoke(cli, [*w, "round", "use", "nope"])
    assert res.exit_code == 1 and "no round 'nope'" in res.output
    res = runner.invoke(cli, [*w, "import", str(later), "--round", "typo"])
    assert res.exit_code == 1 and "no round 'typo'" in res.output


def test_cli_unreadable_file_is_reported(runner, cli_ws, tmp_path):
    from assessment.cli import cli

    junk = tmp_path / "notes.xlsx"
    junk.write_bytes(b"not a spreadsheet")
    res = runner.invoke(cli, ["-w", str(cli_ws.root), "import", str(junk)])
    assert res.exit_code == 1
    assert "Traceback" not in res.output and "notes.xlsx" in res.output


def test_cli_module_does_not_import_heavy_libraries():
    code = ("import sys, assessment.cli.responses; "
            "print(any(m in sys.modules for m in ('pandas', 'openpyxl', 'numpy')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=TESTS.parent, check=True)
    assert out.stdout.strip() == "False"


def test_straight_lining_across_dimensions_counts_as_one_block(q):
    # three items per dimension only, but the same answer on every scale item of the survey
    two_dims = parse_questionnaire({
        **{k: v for k, v in six_item_questionnaire().to_dict().items() if k != "dimensions" and v is not None},
        "dimensions": [{"id": f"d{d}", "title": f"D{d}", "questions": [
            {"id": f"Q{d}{i}", "text": f"Statement {d}.{i}", "scale": "agree5"} for i in range(1, 4)]}
            for d in (1, 2)],
    })
    answers = tidy({"flat": {f"Q{d}{i}": 2 for d in (1, 2) for i in range(1, 4)},
                    "fine": {f"Q{d}{i}": 2 if (d, i) != (2, 3) else 3 for d in (1, 2) for i in range(1, 4)}})
    assert quality.straight_liners(answers, two_dims) == {"flat"}


def test_responses_list_shows_every_respondent_for_removal(tmp_path, runner):
    import json as _json

    from support.exports import write_export
    from support.synth import synthesize

    from assessment import init_workspace, load_questionnaire
    from assessment.cli import cli

    q = load_questionnaire("ai-friction")
    ws = init_workspace(tmp_path / "ws", "Listing Ltd", questionnaire="ai-friction")  # the export is version 1
    write_export(synthesize(q, 12, seed=4), q, "wide", tmp_path / "w.csv")
    assert runner.invoke(cli, ["-w", str(ws.root), "import", str(tmp_path / "w.csv")]).exit_code == 0
    data = _json.loads(runner.invoke(cli, ["-w", str(ws.root), "responses", "--json"]).output)
    assert data["respondents"] == 12 and len(data["list"]) == 12
    first = data["list"][0]["id"]
    listing = runner.invoke(cli, ["-w", str(ws.root), "responses", "--list"]).output
    assert first in listing and "w.csv:" in listing
    assert runner.invoke(cli, ["-w", str(ws.root), "responses", "remove", first]).exit_code == 0
    data = _json.loads(runner.invoke(cli, ["-w", str(ws.root), "responses", "--json"]).output)
    assert data["respondents"] == 11 and first not in {p["id"] for p in data["list"]}


def test_file_whose_every_row_is_skipped_stores_nothing_and_says_so(tmp_path, q):
    """Every row without an answer (or a test response): no respondent, no error."""
    from assessment.collect import import_responses

    path = tmp_path / "none.csv"
    path.write_text("Respondent ID,Role,GOV-1\nr1,Executive sponsor,\nr2,Data scientist,\n", encoding="utf-8")
    report = import_responses(tmp_path / "s.sqlite", [path], questionnaire=q)
    file = report.files[0]
    assert file.status == "unchanged" and file.added == 0 and file.skipped == {"empty": 2}
    assert "every row was skipped" in file.message
    with open_store(tmp_path / "s.sqlite") as store:
        assert len(store.load_responses()) == 0


def test_round_where_only_some_respondents_have_an_email_loads(tmp_path, q):
    """pandas reads a partly empty e-mail column as str with NaN: the identity falls back."""
    from assessment.collect import import_responses

    path = tmp_path / "mixed.csv"
    path.write_text("Respondent ID,Email,Role,GOV-1\nr1,Ann@Example.com,Executive sponsor,Agree\n"
                    "r2,,Data scientist,Agree\n", encoding="utf-8")
    import_responses(tmp_path / "s.sqlite", [path], questionnaire=q)
    with open_store(tmp_path / "s.sqlite") as store:
        people = store.load_responses().respondents.set_index("respondent_id")
    assert people.loc["r1", "identity"] == "email:ann@example.com"
    assert people.loc["r2", "identity"] == "key:r2"
