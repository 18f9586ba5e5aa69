"""The executive report: a real PDF rendered with WeasyPrint and read back with pypdf,
and a real results workbook read back with openpyxl."""

from __future__ import annotations

import hashlib
import random
import re
from pathlib import Path

import pandas as pd
import pytest

from assessment import scoring
from assessment.engagement import Engagement
from assessment.questionnaire import load_questionnaire
from assessment.report import ReportInputs, render_html, render_pdf, write_results_workbook
from assessment.report.context import fmt_money
from assessment.report.fetcher import RestrictedFetcher
from assessment.responses import from_records

EVIL = ('Honestly <img src="file:///etc/hostname"> <script>alert(1)</script> {{ 7*7 }} '
        '=HYPERLINK("http://x","y") nobody owns the approval queue')
ROLE_UNITS = ["Retail", "Wholesale", "Corporate"]


def make_inputs(*, seed: int = 7, n: int = 48, progress: bool = False) -> ReportInputs:
    """A realistic hand-built fixture: bundled questionnaire, 48 respondents in 6 roles,
    scores/plan in the JSON shapes of scoring/planning, explain traces as DataFrames."""
    q = load_questionnaire("ai-friction")
    rng = random.Random(seed)
    roles = [r.id for r in q.roles]
    records = []
    for i in range(n):
        role = roles[i % len(roles)]
        answers: dict = {}
        for d in q.dimensions:
            bias = {"governance": -1.0, "monitoring": -0.8, "value": 0.6}.get(d.id, 0.0)
            if q.role_by_id[role].group == "leadership":
                bias += 0.7
            for qq in d.questions:
                if not q.asked(qq, role):
                    continue
                if qq.type == "scale":
                    answers[qq.id] = "NA" if rng.random() < 0.05 else max(1, min(5, round(3 + bias + rng.gauss(0, 1))))
                elif qq.type == "numeric":
                    answers[qq.id] = round(rng.uniform(qq.worst, qq.best), 1)
                elif rng.random() < 0.35:
                    answers[qq.id] = rng.choice([
                        "Validated models wait for the quarterly change board; the business has given up asking.",
                        "We have no on-call owner for the churn model and found out about drift from a customer.",
                        "The sales team ignores the scores because they sit in a separate dashboard.",
                        "Feature pipelines are rebuilt by hand for every model; it takes months per feed.",
                    ])
        if i == 3:
            answers["GOV-09"] = EVIL
        records.append({"id": f"R{i:03d}", "role": role, "unit": ROLE_UNITS[i % 3], "answers": answers})
    responses = from_records(records, q)
    base = {"governance": 31, "integration": 44, "value": 58, "legacy": 41, "skills": 47, "trust": 52, "monitoring": 36}
    dims, items, explain = [], [], {}
    for k, d in enumerate(q.dimensions):
        s = base.get(d.id, 45 + k)
        by_role = {r.id: max(0, min(100, s + (9 if r.group == "leadership" else -4) + (j % 3) * 2))
                   for j, r in enumerate(q.roles)}
        flags = []
        if d.id == "trust":
            flags.append("low_agreement")
        if d.id == "governance":
            flags.append("perception_gap")
        dims.append({"id": d.id, "title": d.title, "score": s + 0.4, "level": q.level_for(s).level,
                     "level_name": q.level_for(s).name, "ci_low": s - 6.2, "ci_high": s + 5.8,
                     "n_respondents": n - k, "coverage": 0.91 - k / 100, "alpha": 0.81 - k / 50,
                     "alpha_ci": [0.7 - k / 50, 0.88 - k / 60], "rwg": 0.62 if d.id == "trust" else 0.78,
                     "by_role": by_role, "by_group": {"leadership": s + 9, "practitioner": s - 4},
                     "perception_gap": {"leadership": s + 9, "practitioners": s - 4 - (8 if d.id == "governance" else 0),
                                        "difference": 13 + (8 if d.id == "governance" else 0),
                                        "hedges_g": 0.61, "n_leadership": 16, "n_practitioners": 24},
                     "flags": flags})
        rows = []
        for j, qq in enumerate(d.scored_questions):
            isc = max(0, min(100, s + (j - 3) * 6))
            items.append({"id": qq.id, "dimension": d.id, "text": qq.text, "score": isc, "n": 30 - j, "na": 2,
                          "blank": 1})
            rows.append({"question_id": qq.id, "reverse": qq.reverse, "weight": qq.weight, "n": 30 - j,
                         "mean_raw": 3.1, "item_score": isc})
        explain[d.id] = pd.DataFrame(rows)
    # the real scoring trace for two dimensions (the rest keep a hand-made frame: the generic fallback)
    for dim_id in ("governance", "value"):
        explain[dim_id] = scoring.explain(q, responses, dim_id)
    scores = {"questionnaire": {"id": q.id, "version": q.version}, "respondents": n,
              "overall": {"score": 43.6, "level": 3, "level_name": "Repeatable", "ci_low": 39.9, "ci_high": 47.1},
              "dimensions": dims, "items": items,
              "thresholds": {"min_group_n": 3, "rwg": 0.7, "gap_points": 10, "alpha": 0.7},
              "sensitivity": scoring.weight_sensitivity(q, responses, draws=50)}
    deployments = [
        {"id": "churn", "name": "Churn propensity model", "stage": "production", "value_at_stake": 3000000, "rank": 1,
         "eligible": True},
        {"id": "fraud", "name": "Card fraud scoring", "stage": "staging", "value_at_stake": 1800000, "rank": 2,
         "eligible": True},
        {"id": "pricing", "name": "Dynamic pricing pilot", "stage": "pilot", "value_at_stake": 1500000, "rank": 3,
         "eligible": False},
    ]
    actions = []
    for i, a in enumerate(q.actions[:12]):
        start = 1 + (a.phase - 1) * 30 + (i % 3) * 5
        actions.append({"id": a.id, "title": a.title, "description": a.description, "dimension": a.dimension,
                        "phase": a.phase, "start_day": start, "end_day": min(90, start + a.effort_days + 6),
                        "owners": [{"role": o, "role_label": q.role_by_id[o].label,
                                    "name": "Head of Customer Success" if q.role_by_id[o].group == "leadership"
                                    else "ML Platform Lead", "side": "business" if q.role_by_id[o].group == "leadership"
                                    else "technology"} for o in a.owners[:2]],
                        "kpi": a.kpi, "cost": a.cost})
    plan = {"currency": "EUR",
            "target": {"id": "churn", "name": "Churn propensity model", "stage": "production",
                       "pnl_metric": "Net revenue retention", "value_at_stake": 3000000,
                       "business_owner": "Head of Customer Success", "technology_owner": "ML Platform Lead",
                       "why": "It is in production and has the most value not yet realised (EUR 3,000,000 a year)."},
            "deployments": deployments,
            "budget": {"before": {"new_models": 800000, "hardening": 200000},
                       "after": {"new_models": 560000, "hardening": 440000}, "shift": 240000, "max_shift": 0.5,
                       "friction": 56, "rule": "shift = max_shift x friction/100 x new-model budget",
                       "by_dimension": {"governance": 120000, "monitoring": 120000}},
            "pause": ["pricing"], "actions": actions,
            "milestones": [{"day": 30, "outcome": "Approval path mapped", "measure": "Median approval days baselined"},
                           {"day": 60, "outcome": "Drift alerts live", "measure": "100% of features monitored"},
                           {"day": 90, "outcome": "Retention uplift tracked weekly", "measure": "NRR +0.5 pt vs baseline"}],
            "notes": ["Costs are estimates from the action library."]}
    eng = Engagement(client="Acme <Corp> & Sons", title="AI transformation assessment", prepared_by="North Star Advisory",
                     date="2025-03-14", currency="EUR")
    log = [{"file_name": "returns/forms.xlsx", "source": "Microsoft Forms", "counts": {"respondents": 40, "answers": 1500},
            "problems": [], "skipped": ["2 test responses"],
            "quality_flags": {"straight-lining": ["R001", "R002"], "speeder": ["R007"]}},
           {"file_name": "=cmd|' /C calc'!A0.csv", "source": "Google Forms", "counts": {"respondents": 8},
            "problems": [{"row": 5, "column": "role", "value": "Intern", "why": "unknown role"}],
            "skipped": {"unreadable role": 1}, "quality_flags": {}}]
    prog = None
    if progress:
        prog = {"baseline_round": "2024-Q4", "current_round": "2025-Q1",
                "dimensions": [{"id": d["id"], "baseline": d["score"] - 6, "current": d["score"], "change": 6,
                                "ci_low": 1, "ci_high": 11, "significant": True} for d in dims]}
    return ReportInputs(questionnaire=q, engagement=eng, scores=scores, plan=plan, explain=explain,
                        responses=responses, import_log=log, progress=prog)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    inputs = make_inputs()
    fetcher = RestrictedFetcher()
    pdf = render_pdf(inputs, out / "report.pdf", html_path=out / "report.html", fetcher=fetcher)
    return inputs, pdf, fetcher, out


def _text(pdf: Path) -> tuple[list[str], str]:
    from pypdf import PdfReader

    pages = [p.extract_text() or "" for p in PdfReader(str(pdf)).pages]
    return pages, "\n".join(pages)


def test_pdf_content(rendered):
    inputs, pdf, _, _ = rendered
    pages, text = _text(pdf)
    assert len(pages) >= 10
    flat = re.sub(r"\s+", " ", text)
    assert "Acme <Corp> & Sons" in flat
    for d in inputs.questionnaire.dimensions:
        assert d.title in flat, d.title
    assert "Churn propensity model" in flat
    assert fmt_money(240000, "EUR") in flat
    assert re.search(rf"Page 1 of {len(pages)}\b", pages[0])  # a discreet page number on the cover
    assert "Executive summary" not in pages[0] and "Confidential\n" not in pages[0]  # no running header/footer
    assert re.search(rf"Page 2 of {len(pages)}\b", pages[1])
    assert re.search(rf"Page {len(pages)} of {len(pages)}\b", pages[-1])
    clean = flat.replace("{{ 7*7 }}", "")
    for leak in ("{{", "}}", "undefined", "Lorem"):
        assert leak not in clean, leak
    assert not re.search(r"\b(None|nan|NaN|TBD)\b", clean)
    _assert_no_raw_data(flat.replace(EVIL, ""))
    # the import log reads as words, not Python lists
    assert "Straight-lining: 2 respondents (R001, R002); speeders: 1 (R007)" in flat
    assert "row 5, column role: “Intern”: unknown role" in flat
    assert "Set aside: unreadable role: 1" in flat
    # thresholds in words, from the thresholds the scores carry
    assert "Agreement rwg below 0.70 flagged" in flat and "Perception gap ≥ 10 points flagged" in flat
    # the sensitivity check in one sentence, weakest by title
    assert re.search(r"The ranking of the three weakest friction points \(Governance vs model velocity, ", flat)
    assert "one-at-a-time changes" in flat and "of 50 random joint perturbations" in flat
    # the real trace: points per item and the closing aggregation line
    assert "Sum of points = friction-point score" in flat
    assert re.search(r"= \d+\.\d\d \(role-balanced: \(", flat)


def _assert_no_raw_data(flat: str) -> None:
    """No Python object reaches the page: no repr of a list/dict, no True/False/None/nan."""
    for leak in ("{'", "['", '{"', '["'):
        assert leak not in flat, (leak, flat[max(0, flat.find(leak) - 80):flat.find(leak) + 80])
    m = re.search(r"\b(True|False|None|nan)\b", flat)
    assert not m, flat[max(0, m.start() - 80):m.end() + 80]


def test_trace_points_add_up_to_the_score():
    from assessment.report.appendix import trace_from_explain

    inputs = make_inputs()
    q = inputs.questionnaire
    frame = scoring.explain(q, inputs.responses, "governance")
    t = trace_from_explain(frame, q)
    assert t is not None and t["item_rows"]
    points = sum(float(r["points"]) for r in t["item_rows"])
    assert points == pytest.approx(frame.attrs["score"], abs=0.01 * len(t["item_rows"]))
    assert t["final"].startswith(f"= {frame.attrs['score']:.2f} (role-balanced: (")
    assert {r["id"] for r in t["item_rows"]} == {qq.id for qq in q.dimension_by_id["governance"].scored_questions}
    assert all(len(r["text"]) <= 120 for r in t["item_rows"])
    assert trace_from_explain(pd.DataFrame({"question_id": ["X"]}), q) is None


def test_plain_words_helpers():
    from assessment.report.appendix import quality_text, sensitivity_summary, threshold_rows

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
    _, pdf, _, _ = rendered
    pages, _ = _text(pdf)
    summary = re.sub(r"\s+", " ", pages[1])
    assert "For decision" in summary or "FOR DECISION" in summary
    assert "approve" in summary and fmt_money(240000, "EUR") in summary
    assert "n = 48" in summary
    assert "Contents" not in summary  # the TOC starts on the next page


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
    flat = re.sub(r"\s+", " ", text)
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


def test_reproducible_bytes(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    a = render_pdf(make_inputs(), tmp_path / "a.pdf")
    b = render_pdf(make_inputs(), tmp_path / "b.pdf")
    assert hashlib.sha256(a.read_bytes()).hexdigest() == hashlib.sha256(b.read_bytes()).hexdigest()
    from pypdf import PdfReader

    meta = PdfReader(str(a)).metadata
    assert "20231114" in str(meta.get("/CreationDate"))


def test_progress_section_leads_summary():
    html = render_html(make_inputs(progress=True))
    assert "Progress since 2024-Q4" in html
    summary = html[html.index('id="summary"'):html.index('id="contents"')]
    assert "Since 2024-Q4, 7 of 7 friction points moved" in summary


def test_workbook(tmp_path):
    from openpyxl import load_workbook

    inputs = make_inputs()
    path = write_results_workbook(inputs, tmp_path / "results.xlsx")
    wb = load_workbook(path)
    for name in ("Summary", "Dimensions", "Items", "Roles", "Plan", "Actions", "Responses", "Imports"):
        assert name in wb.sheetnames, name
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
                if v == "=cmd|' /C calc'!A0.csv":
                    found_file = True
                    assert cell.data_type == "s"
                if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r"):
                    assert cell.data_type == "s", (ws.title, cell.coordinate, v)
    assert found_evil and found_file
    # the dimension scores agree with the input
    dims = {r[0].value: r for r in wb["Dimensions"].iter_rows(min_row=2)}
    assert dims["governance"][2].value == pytest.approx(31.4)


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory):
    demo = pytest.importorskip("assessment.demo")
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
    pdf = demo_ws / "reports" / "northwind-mutual-fictional-2025-03-14.pdf"
    assert str(pdf) in res.output and pdf.is_file()
    pages, text = _text(pdf)
    assert len(pages) >= 10 and "Northwind Mutual" in text
    assert re.search(rf"Page 1 of {len(pages)}\b", pages[0])
    flat = re.sub(r"\s+", " ", text)
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
    res = CliRunner().invoke(cli, ["-w", str(demo_ws), "report", "--unit", "Nowhere"])
    assert res.exit_code == 1 and "no responses for unit 'Nowhere'" in res.output
    assert "Traceback" not in res.output
