"""The SQLite response store: schema, migrations, rounds, loading and removal."""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from assessment.collect import import_parsed
from assessment.engagement import init_workspace
from assessment.errors import StoreError
from assessment.questionnaire import load_questionnaire
from assessment.store import SCHEMA_VERSION, load_workspace_responses, open_store

DATA = Path(__file__).parent / "data"


@dataclass
class FakeProblem:
    row: int
    column: str
    value: str
    why: str


@dataclass
class FakeParsed:
    """The importers' ParsedFile shape, built by hand so the store is tested on its own."""

    path: Path
    source: str
    sha256: str
    respondents: pd.DataFrame
    answers: pd.DataFrame
    problems: list = field(default_factory=list)
    unmapped_columns: list = field(default_factory=list)
    skipped: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)


def make_parsed(path: Path, records: list[dict], questionnaire, *, source: str = "template",
                problems: list | None = None) -> FakeParsed:
    """Records like {"row": 3, "key": "R1", "role": "exec", "unit": "Retail", "answers": {"GOV-1": "Agree"}}.

    Scale answers are labels (or the N/A label), numeric answers numbers, text text; a
    label that is not on the scale becomes an 'answered' cell with no value, like a
    reader leaves an unreadable cell.
    """
    people, cells = [], []
    for rec in records:
        row = rec["row"]
        people.append({"source_row": row, "response_key": rec.get("key"), "email": rec.get("email"),
                       "role": rec.get("role"), "role_raw": rec.get("role_raw", rec.get("role")),
                       "unit": rec.get("unit"), "submitted": rec.get("submitted"),
                       "duration_s": rec.get("duration", float("nan"))})
        for qid, q in questionnaire.questions.items():
            v = rec.get("answers", {}).get(qid)
            if v is None:
                cells.append((row, qid, None, float("nan"), "blank"))
            elif q.type == "scale":
                scale = questionnaire.scale_of(q)
                if scale.na_label and v == scale.na_label:
                    cells.append((row, qid, v, float("nan"), "na"))
                else:
                    value = next((p.value for p in scale.points if p.label == str(v)), float("nan"))
                    cells.append((row, qid, str(v), value, "answered"))
            elif q.type == "numeric":
                try:
                    cells.append((row, qid, str(v), float(v), "answered"))
                except ValueError:
                    cells.append((row, qid, str(v), float("nan"), "answered"))
            else:
                cells.append((row, qid, str(v), float("nan"), "answered"))
    respondents = pd.DataFrame(people, columns=["source_row", "response_key", "email", "role", "role_raw", "unit",
                                                "submitted", "duration_s"])
    answers = pd.DataFrame(cells, columns=["source_row", "question_id", "raw", "value", "state"])
    answers["value"] = answers["value"].astype("float64")
    digest = hashlib.sha256(repr(records).encode()).hexdigest()
    return FakeParsed(Path(path), source, digest, respondents, answers, list(problems or []))


@pytest.fixture
def q():
    return load_questionnaire(DATA / "worked.yaml")


def person(row: int, role: str = "exec", unit: str = "Retail", agree: str = "Agree", **extra) -> dict:
    answers = {"GOV-1": agree, "GOV-2": "Disagree", "GOV-3": 30, "MON-1": "Don't know / not applicable",
               "MON-3": "Alerts go to nobody"}
    answers.update(extra.pop("answers", {}))
    return {"row": row, "role": role, "unit": unit, "answers": answers, **extra}


def test_new_store_has_schema_and_default_round(tmp_path):
    path = tmp_path / "responses.sqlite"
    with open_store(path) as store:
        assert store.current_round() == "baseline"
        assert [r["name"] for r in store.rounds()] == ["baseline"]
        assert store.imports() == []
        assert len(store.load_responses()) == 0
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"meta", "rounds", "imports", "respondents", "answers"} <= tables
    conn.close()


def test_round_trip_keeps_values_states_and_provenance(tmp_path, q):
    with open_store(tmp_path / "s.sqlite") as store:
        parsed = make_parsed(tmp_path / "wave1.xlsx", [person(3, key="R1", submitted="2024-05-01T10:00:00"),
                                                       person(4, role="ds", unit="Ops")], q)
        rep = import_parsed(store, parsed, q)
        assert rep.status == "imported" and rep.added == 2
        r = store.load_responses()
    assert list(r.respondents["respondent_id"]) == ["R1", "wave1-r4"]
    assert list(r.respondents["role"]) == ["exec", "ds"]
    assert list(r.respondents["source_file"]) == ["wave1.xlsx", "wave1.xlsx"]
    assert list(r.respondents["source_row"]) == [3, 4]
    assert r.respondents["submitted"].iloc[0] == "2024-05-01T10:00:00"
    assert set(r.respondents["round"]) == {"baseline"}
    a = r.answers.set_index(["respondent_id", "question_id"])
    assert a.loc[("R1", "GOV-1"), "value"] == 4 and a.loc[("R1", "GOV-1"), "state"] == "answered"
    assert a.loc[("R1", "GOV-1"), "raw"] == "Agree"
    assert pd.isna(a.loc[("R1", "MON-1"), "value"]) and a.loc[("R1", "MON-1"), "state"] == "na"
    assert a.loc[("R1", "GOV-3"), "value"] == 30
    assert ("R1", "MON-2") not in a.index  # an empty cell of a question exec is not asked: nothing to keep
    assert a.loc[("R1", "MON-3"), "raw"] == "Alerts go to nobody"
    roles = dict(zip(r.respondents["respondent_id"], r.respondents["role"], strict=True))
    assert len(r.answers) == sum(q.asked(question, role) for role in roles.values()
                                 for question in q.questions.values())
    assert r.answers["value"].dtype == "float64"


def test_unit_filter_is_case_insensitive(tmp_path, q):
    with open_store(tmp_path / "s.sqlite") as store:
        import_parsed(store, make_parsed(tmp_path / "a.csv", [person(2, unit="Retail"), person(3, unit="Ops", agree="Disagree")], q), q)
        r = store.load_responses(unit="retail")
    assert list(r.respondents["unit"]) == ["Retail"]
    assert set(r.answers["respondent_id"]) == {"a-r2"}


def test_rounds_separate_respondents(tmp_path, q):
    with open_store(tmp_path / "s.sqlite") as store:
        import_parsed(store, make_parsed(tmp_path / "a.csv", [person(2)], q), q)
        store.new_round("day-90")
        assert store.current_round() == "day-90"
        assert len(store.load_responses()) == 0
        import_parsed(store, make_parsed(tmp_path / "b.csv", [person(2), person(3, agree="Disagree")], q), q)
        assert len(store.load_responses()) == 2
        assert len(store.load_responses(round="baseline")) == 1
        store.set_current_round("baseline")
        assert store.current_round() == "baseline"
        with pytest.raises(StoreError, match="already exists"):
            store.new_round("day-90")
        with pytest.raises(StoreError, match="no round 'nope'"):
            store.set_current_round("nope")
        assert [(r["name"], r["respondents"]) for r in store.rounds()] == [("baseline", 1), ("day-90", 2)]
    # the current round survives reopening
    with open_store(tmp_path / "s.sqlite") as store:
        assert store.current_round() == "baseline"


def test_remove_respondents_is_all_or_nothing(tmp_path, q):
    with open_store(tmp_path / "s.sqlite") as store:
        import_parsed(store, make_parsed(tmp_path / "a.csv", [person(2), person(3, agree="Disagree")], q), q)
        with pytest.raises(StoreError, match="no respondent typo"):
            store.remove_respondents(["a-r2", "typo"])
        assert len(store.load_responses()) == 2
        assert store.remove_respondents(["a-r2"]) == 1
        r = store.load_responses()
    assert list(r.respondents["respondent_id"]) == ["a-r3"]
    assert set(r.answers["respondent_id"]) == {"a-r3"}


def test_imports_log_records_file_and_counts(tmp_path, q):
    with open_store(tmp_path / "s.sqlite") as store:
        parsed = make_parsed(tmp_path / "a.csv", [person(2), person(3, agree="Disagree")], q)
        parsed.unmapped_columns = ["Favourite colour"]
        parsed.skipped = {"test or preview": 1}
        import_parsed(store, parsed, q)
        log = store.imports()
    assert len(log) == 1
    entry = log[0]
    assert entry["file_name"] == "a.csv" and entry["status"] == "imported" and entry["sha256"] == parsed.sha256
    assert entry["counts"]["added"] == 2
    assert entry["unmapped"] == ["Favourite colour"] and entry["skipped"] == {"test or preview": 1}


def test_v1_store_is_migrated_with_its_data(tmp_path, q):
    path = tmp_path / "old.sqlite"
    with open_store(path, _upto=1) as store:  # what the first release wrote
        store.conn.execute("INSERT INTO respondents(respondent_id, round, identity, role, unit) "
                           "VALUES ('old-1', 'baseline', 'email:a@b.c', 'exec', 'Retail')")
        pk = store.conn.execute("SELECT pk FROM respondents").fetchone()[0]
        store.conn.execute("INSERT INTO answers VALUES (?, 'GOV-1', 'Agree', 4, 'answered')", (pk,))
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == 1
    with open_store(path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        cols = {r[1] for r in store.conn.execute("PRAGMA table_info(respondents)")}
        assert "content_hash" in cols
        r = store.load_responses()
    assert list(r.respondents["respondent_id"]) == ["old-1"]
    assert r.answers["value"].tolist() == [4.0]


def test_newer_or_damaged_store_is_refused(tmp_path):
    path = tmp_path / "future.sqlite"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    with pytest.raises(StoreError, match="newer version"):
        open_store(path)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StoreError, match="not a readable response store"):
        open_store(junk)


def test_workspace_responses_empty_before_first_import(tmp_path):
    ws = init_workspace(tmp_path / "w", "Acme", questionnaire=str(DATA / "worked.yaml"))
    r = load_workspace_responses(ws)
    assert len(r) == 0 and "source_file" in r.respondents.columns
    assert not ws.store_path.exists()


@pytest.mark.parametrize("name", ["../x", "a/b", ".hidden", "", "x" * 65, "day..90"])
def test_round_names_that_cannot_name_a_file_are_refused(tmp_path, name):
    from assessment.errors import StoreError

    with open_store(tmp_path / "s.sqlite") as store, pytest.raises(StoreError, match="round name"):
        store.new_round(name)


def test_for_unit_ignores_case_and_surrounding_spaces():
    """Units are listed and resolved stripped; a stored ' Retail ' must still be found by 'retail'."""
    from assessment.responses import from_records

    r = from_records([{"id": "a", "role": "exec", "unit": " Retail ", "answers": {}},
                      {"id": "b", "role": "exec", "unit": "Retail Banking", "answers": {}},
                      {"id": "c", "role": "exec", "unit": None, "answers": {}}])
    assert r.for_unit("retail").respondents["respondent_id"].tolist() == ["a"]
    assert r.for_unit(" RETAIL BANKING").respondents["respondent_id"].tolist() == ["b"]
