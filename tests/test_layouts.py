"""Every real survey-tool layout quirk, from self-made fixtures in tests/data/layouts (issue #10).

The real exports in ../shared/samples are third-party files a fresh clone does not
have; these fixtures reproduce their quirks (header rows, ImportId rows, BOMs, Excel
re-saves, Sheets timestamps...) with invented content answering tests/data/worked.yaml,
so the importers are checked on every checkout. Every value is compared with the cell.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from assessment.collect import import_responses
from assessment.importers import load_mapping, read_responses
from assessment.importers.reading import read_grid
from assessment.questionnaire import load_questionnaire

DATA = Path(__file__).parent / "data"
LAYOUTS = DATA / "layouts"
NA = "na"


@pytest.fixture(scope="module")
def worked():
    return load_questionnaire(DATA / "worked.yaml")


def read(name: str, worked):
    path = LAYOUTS / name
    mapping = path.with_suffix(".mapping.yaml")
    return read_responses(path, worked, mapping=load_mapping(mapping) if mapping.exists() else None)


def table(parsed) -> dict[int, dict[str, object]]:
    """source row -> question -> value (NA for not applicable; blanks left out)."""
    out: dict[int, dict[str, object]] = {}
    for row, qid, value, state in zip(parsed.answers["source_row"], parsed.answers["question_id"],
                                      parsed.answers["value"], parsed.answers["state"], strict=True):
        if state == "na":
            out.setdefault(int(row), {})[qid] = NA
        elif not (isinstance(value, float) and math.isnan(value)):
            out.setdefault(int(row), {})[qid] = value
    return out


def people(parsed) -> list[tuple]:
    r = parsed.respondents
    return list(zip(r["source_row"].astype(int), r["role"], r["unit"].astype("object").where(r["unit"].notna(), None),
                    strict=True))


def test_google_forms_download(worked):
    p = read("google_forms_download.csv", worked)
    assert p.source == "google-forms" and p.problems == []
    assert read_grid(LAYOUTS / "google_forms_download.csv").encoding == "utf-8"
    assert people(p) == [(2, "exec", "Retail"), (3, "ds", "Operations"), (4, "ds", "Operations"), (5, "ops", None)]
    assert table(p) == {
        2: {"GOV-1": 4, "GOV-2": NA, "GOV-3": 12, "MON-1": 5, "MON-2": 7},
        3: {"GOV-1": 1, "GOV-2": 2, "GOV-3": 30, "MON-2": 10},
        4: {"GOV-1": 1, "GOV-2": 2, "GOV-3": 30, "MON-2": 10},
        5: {"GOV-1": 3, "GOV-2": 4, "MON-1": NA, "MON-2": 0},
    }
    assert list(p.respondents["submitted"]) == ["2024-05-02T22:00:19", "2024-05-02T22:03:41",
                                                "2024-05-02T22:03:41", "2024-05-03T08:15:02"]
    raw = dict(zip(zip(p.answers["source_row"], p.answers["question_id"], strict=True), p.answers["raw"], strict=True))
    assert raw[(5, "MON-3")] == 'see "notes"' and raw[(2, "MON-3")] == "fine, mostly"


def test_google_forms_identical_rows_are_two_respondents(tmp_path, worked):
    from assessment.engagement import init_workspace

    ws = init_workspace(tmp_path / "w", "Acme", questionnaire=str(DATA / "worked.yaml"))
    rep = import_responses(ws, [LAYOUTS / "google_forms_download.csv"])
    assert rep.files[0].added == 4 and rep.files[0].quality.get("possible-duplicate") == [
        "google_forms_download-r3", "google_forms_download-r4"]


def test_google_sheets_download(worked):
    p = read("google_sheets_download.csv", worked)
    assert p.source == "google-forms" and p.problems == []
    assert people(p) == [(2, "exec", None), (3, "ds", None), (4, "ops", None)]
    assert table(p) == {2: {"GOV-1": 4, "GOV-2": 2, "GOV-3": 12}, 3: {"GOV-1": 3, "GOV-2": 5, "GOV-3": 4},
                        4: {"GOV-1": 1, "GOV-3": 45}}
    assert p.columns["GOV-1"]["header"].startswith("Governance [")  # the header's own line break read as a space
    raw = dict(zip(zip(p.answers["source_row"], p.answers["question_id"], strict=True), p.answers["raw"], strict=True))
    assert raw[(2, "MON-3")] == "two lines:\nfirst, second"
    assert list(p.respondents["submitted"]) == ["2025-01-15T21:53:05", "2025-01-15T21:58:40", "2025-01-16T09:02:11"]


def test_qualtrics_three_header_rows_german(worked):
    p = read("qualtrics_three_rows.csv", worked)
    assert p.source == "qualtrics" and p.problems == []
    assert p.skipped == {"test or preview": 1, "incomplete": 1}
    assert list(p.respondents["response_key"]) == ["R_1aBcD", "R_4mNoP"]
    assert people(p) == [(4, "exec", None), (7, "ds", None)]
    assert table(p) == {4: {"GOV-1": 4, "GOV-2": 2, "GOV-3": 12}, 7: {"GOV-1": 1, "GOV-2": NA, "GOV-3": 30}}
    assert list(p.respondents["duration_s"]) == [370, 240]


def test_qualtrics_legacy_bom_trailing_comma(worked):
    assert (LAYOUTS / "qualtrics_legacy.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    p = read("qualtrics_legacy.csv", worked)
    assert p.source == "qualtrics" and p.problems == []
    assert list(p.respondents["response_key"]) == ["R_9zYxW", "R_8vUtS"]
    assert people(p) == [(3, "exec", None), (4, "ops", None)]
    assert table(p) == {3: {"GOV-1": 4, "GOV-2": 3}, 4: {"GOV-1": 2, "GOV-2": 5}}


def test_qualtrics_insights_recode_values_and_test_response(worked):
    p = read("qualtrics_insights_matrix.csv", worked)
    assert p.source == "qualtrics" and p.problems == []
    assert p.skipped == {"test or preview": 1}
    assert people(p) == [(4, "ds", None), (6, "ds", None)]
    assert table(p) == {4: {"GOV-1": 5, "GOV-2": 1, "MON-1": 3}, 6: {"GOV-1": 3, "GOV-2": 4}}


def test_qualtrics_multi_select_columns_ignored(worked):
    p = read("qualtrics_multi_select.csv", worked)
    assert p.problems == [] and p.unmapped_columns == []
    assert people(p) == [(4, "ds", None), (5, "ops", None)]
    assert table(p) == {4: {"MON-1": 4}, 5: {"MON-1": 1}}


def test_surveymonkey_csv_resaved_by_excel(worked):
    p = read("surveymonkey_resaved.csv", worked)
    assert p.source == "surveymonkey" and p.problems == []
    assert any("damaged by Excel" in w for w in p.warnings)
    assert people(p) == [(3, "exec", None), (4, "ds", None), (5, "ops", None)]
    assert table(p) == {3: {"GOV-1": 4, "GOV-2": 2, "MON-2": 7}, 4: {"GOV-1": 4, "GOV-2": 2, "MON-2": 7},
                        5: {"GOV-1": 3, "MON-2": 3}}
    assert list(p.respondents["submitted"]) == ["2024-06-20T13:31:00", "2024-06-20T14:03:00", "2024-06-21T09:52:00"]


def test_surveymonkey_csv_damaged_ids_do_not_merge_respondents(tmp_path):
    from assessment.engagement import init_workspace

    ws = init_workspace(tmp_path / "w", "Acme", questionnaire=str(DATA / "worked.yaml"))
    rep = import_responses(ws, [LAYOUTS / "surveymonkey_resaved.csv"])
    assert rep.files[0].status == "imported" and rep.files[0].added == 3


def test_surveymonkey_xlsx(worked):
    p = read("surveymonkey_export.xlsx", worked)
    assert p.source == "surveymonkey" and p.problems == []
    assert list(p.respondents["response_key"]) == ["114628000101", "114628000102"]
    assert people(p) == [(3, "ds", None), (4, "exec", None)]
    assert table(p) == {3: {"GOV-1": 5, "MON-2": 9}, 4: {"GOV-1": 2, "GOV-2": 4, "MON-2": 2}}
    assert list(p.respondents["duration_s"]) == [273, 521]


def test_every_layout_fixture_is_tested():
    names = {p.name for p in LAYOUTS.iterdir() if p.suffix in (".csv", ".xlsx")}
    source = Path(__file__).read_text(encoding="utf-8")
    assert all(f'"{n}"' in source for n in names), sorted(n for n in names if f'"{n}"' not in source)
