"""Issue 15 (the report says what the data says) and issue 12 (anonymity), checked on real outputs.

A workspace with a 3-person role (finance) and a 2-person unit (Reinsurance) is imported
through the real importers and rendered with ``assess report``; the PDF is read back with
pypdf and the workbook with openpyxl, and every claim checked against ``score --format json``
and the answers.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from support.exports import write_export
from support.report_fixtures import SMALL_ROLE, SMALL_UNIT, build_small_group_workspace, small_group_records

from assessment import load_questionnaire
from assessment.cli import cli
from assessment.collect import import_responses
from assessment.store import load_workspace_responses


def _invoke(ws_root: Path, *args: str):
    return CliRunner().invoke(cli, ["-w", str(ws_root), *args])


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The small-groups workspace, its report and workbook (umask 022) and its scores JSON."""
    root = tmp_path_factory.mktemp("small")
    ws = build_small_group_workspace(root)
    old = os.umask(0o022)
    try:
        res = _invoke(ws.root, "report", "--xlsx")
    finally:
        os.umask(old)
    assert res.exit_code == 0, res.output
    pdf, xlsx = (Path(p) for p in res.output.split())
    scores = json.loads(_invoke(ws.root, "score", "--format", "json").output)
    return ws, pdf, xlsx, scores


def _pages(pdf: Path) -> list[str]:
    from pypdf import PdfReader

    return [re.sub(r"\s+", " ", p.extract_text() or "") for p in PdfReader(str(pdf)).pages]


def _body(pages: list[str]) -> list[str]:
    """The pages before the appendices."""
    first = next(i for i, p in enumerate(pages) if "Appendix A · Method: how every number" in p)
    return pages[:first]


def test_default_names_modes_and_no_clobbering(small, tmp_path):
    ws, pdf, xlsx, _ = small
    assert pdf.name == "harbour-insurance-baseline-2025-05-02.pdf" and xlsx == pdf.with_suffix(".xlsx")
    assert (pdf.stat().st_mode & 0o777) == 0o644 and (xlsx.stat().st_mode & 0o777) == 0o644
    # the same report name is replaced; another file is not, unless --force
    assert _invoke(ws.root, "report").exit_code == 0
    other = tmp_path / "board.pdf"
    other.write_bytes(b"not ours")
    res = _invoke(ws.root, "report", "-o", str(other))
    assert res.exit_code == 1 and "not replacing it" in res.output and other.read_bytes() == b"not ours"
    assert _invoke(ws.root, "report", "-o", str(other), "--force").exit_code == 0
    assert other.read_bytes()[:5] == b"%PDF-"
    # an output whose extension does not match what is written is refused, nothing written
    res = _invoke(ws.root, "report", "-o", str(tmp_path / "out.docx"))
    assert res.exit_code == 1 and "must end in .pdf" in res.output and not (tmp_path / "out.docx").exists()
    res = _invoke(ws.root, "report", "--xlsx", str(tmp_path / "out.csv"))
    assert res.exit_code == 1 and not (tmp_path / "out.csv").exists()


def test_a_day90_report_leaves_the_baseline_in_place(small, tmp_path):
    ws, pdf, _, _ = small
    before = pdf.read_bytes()
    assert _invoke(ws.root, "round", "new", "day-90").exit_code == 0
    q = load_questionnaire("ai-friction@2")
    records = small_group_records(q)
    import_responses(ws, write_export(records, q, "google-forms", tmp_path / "day90.csv"))
    res = _invoke(ws.root, "report")
    assert res.exit_code == 0, res.output
    day90 = Path(res.output.split()[0])
    assert "day-90" in day90.name and day90 != pdf
    assert pdf.read_bytes() == before  # the outputs read by the tests below stay the baseline's


def test_no_number_or_attribution_from_small_groups_in_the_pdf(small):
    ws, pdf, _, scores = small
    pages = _pages(pdf)
    text = " ".join(pages)
    role = load_questionnaire("ai-friction@2").role_by_id[SMALL_ROLE].label
    # no quote is attributed to the 3-person role, on the pages or in Appendix E
    assert f"— {role}" not in text and f"({role}) wrote" not in text
    appendix_e = text[text.index("Appendix E · In their own words: every comment"):]
    assert role not in appendix_e
    # the heat maps and the tables say "fewer than 5", never the small counts
    assert not re.search(r"\bn\s?=\s?[1-4]\b", text)
    unit_page = next(p for p in pages if "Figure 5. Score by friction point and business unit" in p)
    grid = unit_page[unit_page.index(f"{SMALL_UNIT} fewer than"):]
    grid = grid[:grid.index("Monitoring and decay response") + 60]
    # columns Claims, Commercial, Personal, Reinsurance: every row's last cell is suppressed, never a number
    assert grid.startswith(f"{SMALL_UNIT} fewer than 5 ")
    assert len(re.findall(r"[a-z] (?:\d+ ){3}fewer than 5", grid)) == 7 and not re.search(r"\d+ \d+ \d+ \d+", grid)
    b = text[text.index("Appendix B · 60 respondents"):]
    assert re.search(rf"{role} small leadership 1 fewer than 5 –", b)
    assert re.search(rf"{SMALL_UNIT} fewer than 5 –", b)
    # the caveats box names the suppressed groups
    assert f"roles {role}; units {SMALL_UNIT}" in pages[1]


def test_no_small_group_number_in_the_workbook(small):
    from openpyxl import load_workbook

    _, _, xlsx, scores = small
    wb = load_workbook(xlsx)
    assert "Responses" not in wb.sheetnames and "Warning" not in wb.sheetnames
    summary = {r[0].value: r[1].value for r in wb["Summary"].iter_rows(min_row=2)}
    assert summary["People invited"] == 80 and summary["Respondents imported (invited roles)"] == 60
    assert summary["Response rate"] == pytest.approx(0.75)
    roles = {r[0].value: [c.value for c in r] for r in wb["Roles"].iter_rows(min_row=2)}
    assert roles[SMALL_ROLE][4] == "fewer than 5"
    assert all(v in ("fewer than 5", None) for v in roles[SMALL_ROLE][5:])
    units = {r[0].value: [c.value for c in r] for r in wb["Units"].iter_rows(min_row=2)}
    assert units[SMALL_UNIT][1] == "fewer than 5" and all(v in ("fewer than 5", None) for v in units[SMALL_UNIT][2:])
    heads = [c.value for c in wb["Dimensions"][1]]
    col = heads.index("Role: Finance business partner")
    assert all(r[col].value in ("fewer than 5", None) for r in wb["Dimensions"].iter_rows(min_row=2))
    items = {r[0].value: [c.value for c in r] for r in wb["Items"].iter_rows(min_row=2)}
    for it in scores["items"]:
        if 0 < it["n"] < 5:
            assert items[it["id"]][4] == "fewer than 5" and items[it["id"]][5] == "fewer than 5"
    for ws in wb.worksheets:  # no respondent id from the import log either
        for row in ws.iter_rows(values_only=True):
            assert not any(isinstance(v, str) and re.fullmatch(r"R\d{3}", v) for v in row)


def test_key_facts_and_findings_match_the_data(small):
    ws, pdf, xlsx, scores = small
    pages = _pages(pdf)
    q = load_questionnaire("ai-friction@2")
    answers = load_workspace_responses(ws, round="baseline").answers
    items = {i["id"]: i for i in scores["items"]}
    headline = [qq for qq in q.questions.values() if qq.type == "numeric" and qq.headline]
    assert headline
    summary = pages[1]
    for qq in headline:
        vals = answers[(answers["question_id"] == qq.id) & (answers["state"] == "answered")]["value"].astype(float)
        med, n = float(np.median(vals)), len(vals)
        shown = f"{med:,.0f}" if med.is_integer() else f"{med:,.1f}"
        m = re.search(rf"\({qq.id}\) (\S+?)(%| days| weeks)? (\S+?)(%| days| weeks)? (\d+)", summary)
        assert m, qq.id
        assert m.group(1) == shown and int(m.group(5)) == n == items[qq.id]["n"]
        lo, hi = (f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}" for x in (vals.min(), vals.max()))
        assert m.group(3) == f"{lo}–{hi}"
    # every "What we found" item score and gap equals the scores JSON
    body = " ".join(_body(pages))
    for m in re.finditer(r"([A-Z]{3}-\d{2}) at (\d+)/100 \(n = (\d+)", body):
        it = items[m.group(1)]
        assert int(m.group(2)) == round(it["score"]) and int(m.group(3)) == it["n"]
    for d in scores["dimensions"]:
        g = d["perception_gap"]
        if g["comparable"] and g["n_leadership"] >= 5 and g["n_practitioners"] >= 5:
            assert (f"On the {len(g['items'])} statement{'s' if len(g['items']) != 1 else ''} both groups answered, "
                    f"leadership scores {round(g['leadership'])} and practitioners {round(g['practitioners'])}") in body


def test_response_rate_matches_invited(small):
    ws, pdf, _, _ = small
    pages = _pages(pdf)
    invited = sum(v for v in ws.engagement.invited.values())
    got = len(load_workspace_responses(ws, round="baseline").respondents)
    assert f"Response rate {100 * got / invited:.0f}%: {got} of {invited} people invited answered" in pages[1]


def test_no_quote_twice_and_no_weak_item_called_a_strength(small):
    _, pdf, _, scores = small
    body = " ".join(_body(_pages(pdf)))
    quoted = re.findall(r"“([^”]{12,})”", body)
    assert quoted and len(quoted) == len(set(quoted))
    items = {i["id"]: i for i in scores["items"]}
    for seg in re.findall(r"Strongest items(.*?)(?:The facts respondents gave|\(R\) reverse-keyed)", body):
        ids = re.findall(r"\b([A-Z]{3}-\d{2})\b", seg)
        assert ids and all(items[i]["score"] >= 50 for i in ids)
    assert "What we found" in body and "Typical of Level" in body


def test_a_unit_below_the_minimum_is_refused(small):
    ws, *_ = small
    res = _invoke(ws.root, "report", "--unit", SMALL_UNIT)
    assert res.exit_code == 1 and "fewer than 5 respondents" in res.output and "Traceback" not in res.output
    res = _invoke(ws.root, "report", "--per-unit", "--jobs", "1")
    assert res.exit_code == 0, res.output
    assert f"Not reporting on unit '{SMALL_UNIT}'" in res.output
    assert not any(SMALL_UNIT.lower() in p for p in res.output.split() if p.endswith(".pdf"))
