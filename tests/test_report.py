"""The executive report: a real PDF rendered with WeasyPrint and read back with pypdf,
and a real results workbook read back with openpyxl.

The inputs come from the real pipeline (:mod:`support.report_fixtures`): synthetic
respondents written as survey exports, imported, scored, planned, saved and
re-assessed, so every assertion checks what ``assess report`` renders.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
from pathlib import Path

import pandas as pd
import pytest
from support.report_fixtures import EVIL, HOSTILE_FILE, IMPROVED, UNKNOWN_ROLE, build_report_workspace

from assessment import scoring
from assessment.report import render_pdf, write_results_workbook
from assessment.report.appendix import quality_text
from assessment.report.context import build_context, fmt_money
from assessment.report.fetcher import RestrictedFetcher


@pytest.fixture(scope="module")
def report_ws(tmp_path_factory):
    return build_report_workspace(tmp_path_factory.mktemp("report-ws"))


@pytest.fixture(scope="module")
def rendered(report_ws, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    inputs = report_ws.baseline
    fetcher = RestrictedFetcher()
    pdf = render_pdf(inputs, out / "report.pdf", html_path=out / "report.html", fetcher=fetcher)
    return inputs, pdf, fetcher, out


@pytest.fixture(scope="module")
def rendered_follow_up(report_ws, tmp_path_factory):
    out = tmp_path_factory.mktemp("report-day90")
    return render_pdf(report_ws.follow_up, out / "day90.pdf", html_path=out / "day90.html")


def _text(pdf: Path) -> tuple[list[str], str]:
    return _pdf_text(str(pdf))


@functools.cache
def _pdf_text(pdf: str) -> tuple[list[str], str]:
    """The pages' text (extracted once per file: several tests read the same PDF)."""
    from pypdf import PdfReader

    pages = [p.extract_text() or "" for p in PdfReader(pdf).pages]
    return pages, "\n".join(pages)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _lowest(scores, k: int = 2) -> list[dict]:
    return sorted((d for d in scores.dimensions if d["score"] is not None), key=lambda d: d["score"])[:k]


def test_pdf_content(rendered):
    inputs, pdf, _, _ = rendered
    pages, text = _text(pdf)
    assert len(pages) >= 10
    flat = _flat(text)
    assert "Acme <Corp> & Sons" in flat
    for d in inputs.questionnaire.dimensions:
        assert d.title in flat, d.title
    assert inputs.plan.target["name"] == "Churn propensity model" and "Churn propensity model" in flat
    assert fmt_money(inputs.plan.budget["shift"], "EUR") in flat
    assert re.search(rf"Page 1 of {len(pages)}\b", pages[0])  # a discreet page number on the cover
    assert "Executive summary" not in pages[0] and "Confidential\n" not in pages[0]  # no running header/footer
    assert re.search(rf"Page 2 of {len(pages)}\b", pages[1])
    assert re.search(rf"Page {len(pages)} of {len(pages)}\b", pages[-1])
    clean = flat.replace("{{ 7*7 }}", "")
    for leak in ("{{", "}}", "undefined", "Lorem"):
        assert leak not in clean, leak
    assert not re.search(r"\b(None|nan|NaN|TBD)\b", clean)
    _assert_no_raw_data(flat.replace(EVIL, ""))


def test_import_log_reads_as_words(rendered):
    inputs, pdf, _, _ = rendered
    flat = _flat(_text(pdf)[1])
    forms, monkey = inputs.import_log
    assert forms["file_name"] == HOSTILE_FILE and HOSTILE_FILE in flat
    # the quality flags the importer really raised, as a sentence of counts
    for entry in (forms, monkey):
        assert entry["quality"], entry
        assert quality_text(entry["quality"], with_ids=False) in flat  # counts only: no respondent id in the PDF
        assert not any(str(rid) in flat for ids in (entry["quality"] or {}).values() for rid in ids)
    assert quality_text(forms["quality"]).startswith("Straight-lining: ")
    # the row the importer set aside, located as the user sees it in the file
    problem = forms["problems"][0]
    assert f"row {problem['row']}, column {problem['column']}: “{UNKNOWN_ROLE}”: not a role" in flat
    assert "Set aside: unreadable role: 1" in flat
    # the flagged respondents the score left out are counted, and every count is of the people scored
    excluded = inputs.scores.excluded
    people = inputs.responses.respondents
    flagged = [f for f in people["flags"] if set(str(f).split(",")) & {"straight-lining", "speeder"}]
    n = len(flagged)
    assert n >= 1 and excluded["count"] == n and sum(excluded["by_flag"].values()) >= n
    why = ", ".join(f"{flag} {k}" for flag, k in excluded["by_flag"].items())
    assert f"{n} respondents with a quality flag ({why}) were left out of every score" in flat
    assert inputs.scores.respondents == len(people) - n
    assert f"Appendix B · {inputs.scores.respondents} respondents in" in flat


def test_method_appendix_states_the_real_thresholds(rendered):
    inputs, pdf, _, _ = rendered
    flat = _flat(_text(pdf)[1])
    t = inputs.scores.thresholds
    assert f"Agreement rwg below {t['rwg_min']:.2f} flagged" in flat
    assert f"Perception gap ≥ {t['perception_gap_points']:.0f} points flagged" in flat
    assert f"Minimum respondents {t['min_respondents']}" in flat
    assert f"Bootstrap: {t['n_resamples']:,} resamples, seed {t['seed']}, 95% percentile interval" in flat
    # the sensitivity check in one sentence, weakest by title
    weakest = [inputs.questionnaire.dimension_by_id[d].title for d in inputs.scores.sensitivity["weakest"]]
    assert f"The ranking of the three weakest friction points ({', '.join(weakest)})" in flat
    draws = inputs.scores.sensitivity["random"]["draws"]
    assert "one-at-a-time changes" in flat and f"of {draws:,} random joint perturbations" in flat
    # the real trace: points per item and the closing aggregation line, one per friction point
    assert flat.count("Sum of points = friction-point score") == len(inputs.questionnaire.dimensions)
    assert re.search(r"= \d+\.\d\d \(role-balanced: \(", flat)


def _assert_no_raw_data(flat: str) -> None:
    """No Python object reaches the page: no repr of a list/dict, no True/False/None/nan."""
    for leak in ("{'", "['", '{"', '["'):
        assert leak not in flat, (leak, flat[max(0, flat.find(leak) - 80):flat.find(leak) + 80])
    m = re.search(r"\b(True|False|None|nan)\b", flat)
    assert not m, flat[max(0, m.start() - 80):m.end() + 80]


def test_trace_points_add_up_to_the_score(report_ws):
    from assessment.report.appendix import trace_from_explain

    inputs = report_ws.baseline
    q = inputs.questionnaire
    frame = inputs.explain["governance"]
    t = trace_from_explain(frame, q)
    assert t is not None and t["item_rows"]
    points = sum(float(r["points"]) for r in t["item_rows"])
    assert points == pytest.approx(frame.attrs["score"], abs=0.01 * len(t["item_rows"]))
    assert frame.attrs["score"] == pytest.approx(inputs.scores.dimension("governance")["score"])
    assert t["final"].startswith(f"= {frame.attrs['score']:.2f} (role-balanced: (")
    assert {r["id"] for r in t["item_rows"]} == {qq.id for qq in q.dimension_by_id["governance"].scored_questions}
    assert all(len(r["text"]) <= 120 for r in t["item_rows"])
    assert trace_from_explain(pd.DataFrame({"question_id": ["X"]}), q) is None


def test_plain_words_helpers():
    from assessment.report.appendix import sensitivity_summary, threshold_rows

    assert quality_text({"straight-lining": ["114694376417", "114610365915"], "speeder": ["114692367636"]}) == \
        "Straight-lining: 2 respondents (114694376417, 114610365915); speeders: 1 (114692367636)"
    rows = dict(threshold_rows(dict(scoring.THRESHOLDS, n_resamples=2000, seed=20240501,
                                    level_boundaries={"1": 0.0, "2": 20.0})))
    assert rows["Coverage"].startswith("Coverage below 60%")
    assert rows["Reliability"] == "Cronbach's alpha below 0.70 flagged (needs ≥ 3 respondents)"
    assert rows["Agreement"] == "Agreement rwg below 0.70 flagged; indicative only below 10 respondents"
    assert rows["Bootstrap"] == "Bootstrap: 2,000 resamples, seed 20240501, 95% percentile interval"
    assert rows["Levels"] == "Level 1 from 0; Level 2 from 20"
    assert rows["Minimum respondents"].startswith("Minimum respondents 5")
    # a threshold the report does not know yet is still shown, never dropped
    assert dict(threshold_rows(dict(scoring.THRESHOLDS, n_resamples=1, seed=1, level_boundaries={},
                                    new_rule=0.4)))["New rule"] == "0.40"
    unstable = {"delta": 0.2, "n": 3, "weakest": ["a", "b", "c"], "stable": False,
                "one_at_a_time": {"perturbations": 10, "same_share": 0.9,
                                  "changes": [{"weight": "question A-01 x0.8", "enter": ["d"], "leave": ["c"]}]},
                "random": {"draws": 200, "seed": 1, "same_share": 0.8}, "entering": {"d": 41}, "leaving": {"c": 41}}
    s = sensitivity_summary(unstable, {"a": "Alpha", "b": "Beta", "c": "Gamma", "d": "Delta"})
    assert s["sentence"] == ("The ranking of the three weakest friction points (Alpha, Beta, Gamma) is sensitive to "
                             "the weights: when each question and role weight moves by ±20%, only 9 of 10 "
                             "one-at-a-time changes and 80% of 200 random joint perturbations keep the same three.")
    assert s["moves"] == [{"title": "Delta", "entered": "41 of 210", "left": "–"},
                          {"title": "Gamma", "entered": "–", "left": "41 of 210"}]
    assert s["changes"] == [{"weight": "Question A-01 weight × 0.8", "enter": "Delta", "leave": "Gamma"}]
    assert sensitivity_summary({}, {}) is None


def test_executive_summary_is_one_page_and_answers_first(rendered):
    inputs, pdf, _, _ = rendered
    pages, _ = _text(pdf)
    summary = _flat(pages[1])
    assert "For decision" in summary or "FOR DECISION" in summary
    assert "approve" in summary and fmt_money(inputs.plan.budget["shift"], "EUR") in summary
    assert f"n = {inputs.scores.respondents}" in summary
    assert "Contents" not in summary  # the TOC starts on the next page


def test_headline_is_derived_from_the_data(rendered):
    inputs, pdf, _, _ = rendered
    pages, _ = _text(pdf)
    headline = build_context(inputs)["summary"]["headline"]
    overall = inputs.scores.overall
    assert headline.startswith(f"At {overall['score']:.0f}/100 (Level {overall['level']}")
    for d in _lowest(inputs.scores):
        assert f"{d['title']} ({d['score']:.0f})" in headline
    assert fmt_money(inputs.plan.budget["shift"], "EUR") in headline
    assert inputs.plan.target["name"] in headline
    # the instrument has no model-quality items: no claim about models versus operations
    assert "not models" not in headline
    for page in pages[:2]:
        assert _flat(headline) in _flat(page)


def test_no_internal_references(rendered, rendered_follow_up):
    _, pdf, _, out = rendered
    for html in (out / "report.html", rendered_follow_up.with_suffix(".html")):
        text = html.read_text()
        for ref in ("BRIEF", "/work/shared", "section 6", "not models"):
            assert ref not in text, (html.name, ref)


def test_plan_pages_use_the_plans_structured_fields(rendered):
    inputs, pdf, _, _ = rendered
    flat = _flat(_text(pdf)[1])
    plan = inputs.plan
    # only loop-closing KPIs are measured on the target's P&L metric; said once when most share it
    loops = [a for a in plan.actions if a.measured_on]
    assert loops and all(set(a.tags) & {"feedback-loop", "decay-monitoring"} for a in loops)
    ctx = build_context(inputs)["plan"]
    common = ctx["kpi_common"]
    kpis = {a["id"]: a["kpi"] for a in ctx["actions"]}
    assert kpis == {a.id: a.kpi if not a.measured_on or a.measured_on == common else
                    f"{a.kpi}, measured on {a.measured_on}" for a in plan.actions}
    for m, row in zip(plan.milestones, ctx["milestones"], strict=True):
        assert row["day"] == m.day
        assert row["outcome"] == list(m.delivered[:4]) or not m.delivered
        assert row["outcome_more"] == max(len(m.delivered) - 4, 0)
        assert row["all_measures"] == (list(m.measures) or [m.pnl_measure]) + (
            ["dimension scores of the re-assessment against this plan's baseline"] if m.reassessment else []) + (
            [m.pnl_measure] if m.reassessment and m.measures else [])
    last = ctx["milestones"][-1]
    assert plan.milestones[-1].reassessment in last["outcome_tail"]
    # the scorecard, the funding table and the day-90 P&L target are on the page
    for row in plan.scorecard:
        assert row["name"] in flat
    assert "Where the money comes from" in flat
    for f in plan.funding:
        assert f["name"] in flat
    assert "Day-90 P&L target:" in flat
    assert (plan.milestones[-1].pnl_target or plan.kpi_missing).split(":")[0] in flat
    for a in plan.actions:
        assert a.accountable["name"] in flat


def test_fonts_embedded(rendered):
    from pypdf import PdfReader

    _, pdf, _, _ = rendered
    embedded, names = set(), set()
    for page in PdfReader(str(pdf)).pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            for desc in [font.get("/FontDescriptor")] + [d.get_object().get("/FontDescriptor")
                                                          for d in font.get("/DescendantFonts", [])]:
                if desc is None:
                    continue
                desc = desc.get_object()
                names.add(str(desc.get("/FontName")))
                if any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                    embedded.add(str(desc.get("/FontName")))
    assert embedded == names and names
    # only the bundled font: no glyph fell back to whatever is installed on the machine
    assert all("Inter" in n for n in names), names


def test_injection_is_literal_text(rendered):
    _, pdf, fetcher, out = rendered
    _, text = _text(pdf)
    flat = _flat(text)
    assert '<img src="file:///etc/hostname">' in flat
    assert "<script>alert(1)</script>" in flat
    assert "{{ 7*7 }}" in flat
    assert '=HYPERLINK("http://x","y")' in flat
    assert '</script> {{ 7*7 }} =HYPERLINK' in flat
    assert "</script> 49" not in flat
    html = (out / "report.html").read_text()
    assert "<script>" not in html and "&lt;script&gt;" in html
    # the fetcher was asked only for template assets
    assert fetcher.requested, "the stylesheet and fonts go through the fetcher"
    assert not fetcher.denied
    assets = Path(__file__).resolve().parents[1] / "templates"
    for url in fetcher.requested:
        assert url.startswith(assets.as_uri()), url


def test_fetcher_refuses_everything_else(tmp_path):
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"\x89PNG\r\n\x1a\n")
    f = RestrictedFetcher(logo=logo)
    assert f.fetch(logo.as_uri()).read().startswith(b"\x89PNG")
    for url in ("file:///etc/hostname", "http://example.com/x.css", "https://example.com/",
                (tmp_path / "other.png").as_uri(), "data:text/css,body{}",
                f.assets.as_uri() + "/../pyproject.toml"):
        with pytest.raises(ValueError):
            f.fetch(url)
    assert len(f.denied) == 6


def test_reproducible_bytes(report_ws, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    inputs = dataclasses.replace(report_ws.baseline, report_date=None)
    a = render_pdf(inputs, tmp_path / "a.pdf")
    b = render_pdf(inputs, tmp_path / "b.pdf")
    assert hashlib.sha256(a.read_bytes()).hexdigest() == hashlib.sha256(b.read_bytes()).hexdigest()
    from pypdf import PdfReader

    meta = PdfReader(str(a)).metadata
    assert "20231114" in str(meta.get("/CreationDate"))


def test_compiled_templates_are_cached_privately_and_give_the_same_html(report_ws, tmp_path, monkeypatch):
    # Jinja keeps compiled templates between runs in a folder of this user's own; one that
    # others can write to is refused (a planted cache would run as our code), and the
    # report is rendered without a cache.
    import os
    import stat
    import tempfile

    from assessment.report import render as render_module

    if not hasattr(os, "getuid"):
        pytest.skip("Jinja's private cache folder is a POSIX one")
    inputs = report_ws.baseline
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    first = render_module.render_html(inputs)
    cached = list((tmp_path / f"_jinja2-cache-{os.getuid()}").glob("*.cache"))
    assert cached and all(stat.S_IMODE(f.stat().st_mode) & 0o077 == 0 for f in cached)
    assert render_module.render_html(inputs) == first  # read back from the cache

    shared = tmp_path / "shared"
    (shared / f"_jinja2-cache-{os.getuid()}").mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(shared))
    monkeypatch.setattr(os, "chmod", lambda *a, **k: None)  # someone else's folder: we cannot fix its mode
    (shared / f"_jinja2-cache-{os.getuid()}").chmod(0o777)
    assert render_module._bytecode_cache() is None
    assert render_module.render_html(inputs) == first


def test_progress_section_leads_summary(report_ws, rendered_follow_up):
    inputs = report_ws.follow_up
    progress = inputs.progress
    moved = [d for d in progress["dimensions"] if d["significant"]]
    assert [d["id"] for d in moved] == [IMPROVED]
    html = rendered_follow_up.with_suffix(".html").read_text()
    assert "Progress since baseline" in html
    summary = html[html.index('id="summary"'):html.index('id="contents"')]
    assert f"Since baseline, 1 of {len(progress['dimensions'])} friction points moved" in summary
    title = inputs.questionnaire.dimension_by_id[IMPROVED].title
    assert f"the largest change is {title} (+{moved[0]['change']:.0f} points)" in summary


def test_progress_tracks_the_saved_plan(report_ws, rendered_follow_up):
    saved = report_ws.follow_up.progress["saved_plan"]
    flat = _flat(_text(rendered_follow_up)[1])
    assert "did the friction points it worked on move" in flat and "Measured at day-90" in flat
    for a in saved["actions"][:3]:
        assert a["title"] in flat
    # structured milestones: delivered titles and library KPIs, no re-parsed sentences
    first = saved["milestones"][0]
    assert first["delivered"] and first["measures"]
    ctx = build_context(report_ws.follow_up)["progress"]
    row = ctx["milestones"][0]
    assert row["promised"] == first["delivered"]
    assert row["measures"] == first["measures"]
    assert row["measured_on"] == first["measured_on"]
    titles = {d.id: d.title for d in report_ws.follow_up.questionnaire.dimensions}
    dims = {a["dimension"] for a in saved["actions"] if a["id"] in first["actions"]}
    assert row["measured"].count("(") == len(dims)
    assert all(titles[d] in row["measured"] for d in dims)


def test_progress_shows_older_saved_plans_as_written(report_ws):
    """Plans saved before milestones had structured fields: their sentences are shown as they are."""
    progress = dict(report_ws.follow_up.progress)
    saved = dict(progress["saved_plan"])
    saved["milestones"] = [{"day": m["day"], "outcome": m["outcome"], "measure": m["measure"]}
                           for m in saved["milestones"]]
    progress["saved_plan"] = saved
    ctx = build_context(dataclasses.replace(report_ws.follow_up, progress=progress))["progress"]
    for m, row in zip(saved["milestones"], ctx["milestones"], strict=True):
        assert row["promised"] == [m["outcome"]] and row["measures"] == [m["measure"]]
        assert row["measured_on"] == ""
    # without action ids, the friction points of the actions due by that day are measured
    due = {a["dimension"] for a in saved["actions"] if a["end_day"] <= saved["milestones"][0]["day"]}
    assert ctx["milestones"][0]["measured"].count("(") == len(due)


def test_workbook(report_ws, tmp_path):
    from openpyxl import load_workbook

    inputs = report_ws.baseline
    path = write_results_workbook(inputs, tmp_path / "results.xlsx", include_responses=True)
    wb = load_workbook(path)
    assert wb.sheetnames[0] == "Warning"  # the respondent-level sheet is announced first
    for name in ("Summary", "Dimensions", "Items", "Roles", "Plan", "Actions", "Responses", "Trace", "Imports"):
        assert name in wb.sheetnames, name
    # without --include-responses there is no respondent-level sheet
    plain = load_workbook(write_results_workbook(inputs, tmp_path / "plain.xlsx"))
    assert "Responses" not in plain.sheetnames and "Warning" not in plain.sheetnames
    for name in ("Dimensions", "Items", "Roles", "Actions", "Responses"):
        ws = wb[name]
        assert ws.freeze_panes == "A2", name
        assert ws["A1"].font.b, name
        assert ws.auto_filter.ref, name
    found_evil = found_file = False
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                v = cell.value
                if isinstance(v, str) and "HYPERLINK" in v:
                    found_evil = True
                    assert cell.data_type == "s"
                if v == HOSTILE_FILE:
                    found_file = True
                    assert cell.data_type == "s"
                if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r"):
                    assert cell.data_type == "s", (ws.title, cell.coordinate, v)
    assert found_evil and found_file
    # the numbers agree with the scores and the plan
    dims = {r[0].value: r for r in wb["Dimensions"].iter_rows(min_row=2)}
    assert dims["governance"][2].value == pytest.approx(inputs.scores.dimension("governance")["score"])
    summary = {r[0].value: r[1].value for r in wb["Summary"].iter_rows(min_row=2)}
    assert summary["Respondents scored"] == inputs.scores.respondents
    assert summary["Respondents left out (quality flags)"] == inputs.scores.excluded["count"] >= 1
    assert summary["Target deployment"] == inputs.plan.target["name"]
    assert summary["Amount moved (EUR)"] == pytest.approx(inputs.plan.budget["shift"])
    assert summary["Perception gap threshold (points)"] == inputs.scores.thresholds["perception_gap_points"]
    actions = {r[0].value: r for r in wb["Actions"].iter_rows(min_row=2)}
    assert set(actions) == {a.id for a in inputs.plan.actions}
    first = inputs.plan.actions[0]
    assert actions[first.id][6].value == f"{first.accountable['name']} ({first.accountable['role_label']})"
    assert actions[first.id][8].value == first.kpi and actions[first.id][9].value == (first.measured_on or None)


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory):
    from assessment import demo
    out = tmp_path_factory.mktemp("demo") / "ws"
    demo.run_demo(out)
    return out


def test_cli_report_real_pipeline(demo_ws, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from assessment.cli import cli

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1741910400")
    res = CliRunner().invoke(cli, ["-w", str(demo_ws), "report", "--xlsx", str(tmp_path / "r.xlsx"),
                                   "--html", str(tmp_path / "r.html")])
    assert res.exit_code == 0, res.output
    pdf = demo_ws / "reports" / "northwind-mutual-fictional-baseline-2025-03-14.pdf"
    assert str(pdf) in res.output and pdf.is_file()
    pages, text = _text(pdf)
    assert len(pages) >= 10 and "Northwind Mutual" in text
    assert re.search(rf"Page 1 of {len(pages)}\b", pages[0])
    flat = _flat(text)
    _assert_no_raw_data(flat)
    # role-routed items still give a pooled alpha (pairs never answered together drop
    # out of the covariance sum, as pingouin computes it); each friction point says so
    assert len(re.findall(r"Reliability: Cronbach's alpha \d\.\d\d", flat)) == 7
    assert "Coverage below 60% of the questions asked flagged" in flat
    assert re.search(r"The ranking of the three weakest friction points \(.+?\) (holds|is sensitive)", flat)
    assert "Straight-lining: " in flat
    assert (tmp_path / "r.xlsx").is_file() and (tmp_path / "r.html").is_file()


def test_cli_per_unit_and_errors(demo_ws, tmp_path):
    from click.testing import CliRunner

    from assessment.cli import cli

    res = CliRunner().invoke(cli, ["-w", str(demo_ws), "report", "--per-unit", "--jobs", "2",
                                   "-o", str(tmp_path / "u.pdf")])
    assert res.exit_code == 0, res.output
    written = sorted(p.name for p in tmp_path.glob("u-*.pdf"))
    assert written == ["u-claims-operations.pdf", "u-commercial-insurance.pdf", "u-personal-lines.pdf"]
    assert res.stdout.split() == [str(tmp_path / name) for name in written]  # stdout: only the paths, sorted
    res = CliRunner().invoke(cli, ["-w", str(demo_ws), "report", "--unit", "Nowhere"])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "unknown unit `Nowhere`; units: Claims Operations, Commercial Insurance, Personal Lines" in res.output


def test_counts_are_of_the_people_scored(report_ws):
    inputs = report_ws.baseline
    ctx = build_context(inputs)
    assert sum(r["n_value"] for r in ctx["appendix"]["roles"]) == inputs.scores.respondents == ctx["meta"]["n"]
    assert sum(u["n_value"] for u in ctx["appendix"]["units"]) == inputs.scores.respondents


def test_progress_says_when_too_few_took_part_to_tell(report_ws):
    """A change the comparison cannot judge is never reported as 'stalled'."""
    progress = dict(report_ws.follow_up.progress)
    progress["dimensions"] = [{**d, "significant": None, "verdict": "too few to tell", "ci_low": None,
                               "ci_high": None} for d in progress["dimensions"]]
    ctx = build_context(dataclasses.replace(report_ws.follow_up, progress=progress))["progress"]
    assert {r["status"] for r in ctx["rows"]} == {"too few to tell"}
    assert ctx["lead"] == "Since baseline, too few respondents took part to tell whether any friction point moved."
    progress["dimensions"][0] = {**report_ws.follow_up.progress["dimensions"][0]}
    ctx = build_context(dataclasses.replace(report_ws.follow_up, progress=progress))["progress"]
    assert ctx["lead"].endswith(f"for {len(progress['dimensions']) - 1} of {len(progress['dimensions'])} there are "
                                "too few respondents to tell.")


def test_first_30_days_are_the_highest_priority_early_actions(report_ws):
    """'First 30 days' lists the plan's top-priority actions of days 1-30, not the first in library order."""
    inputs = report_ws.baseline
    early = [a for a in inputs.plan.actions if a.phase == 1 or a.start_day <= 30]
    expected = [a.title for a in sorted(early, key=lambda a: (a.priority or 10**6, a.start_day, a.id))][:3]
    assert [a["title"] for a in build_context(inputs)["plan"]["first30"]] == expected
    assert all(a.priority for a in early)
