"""The same synthetic respondents, written as every survey tool exports them, must
import unchanged and score identically.

This is the cross-format proof of the importers: each layout is written by
:mod:`assessment.exports`, imported into a fresh workspace through the real
``assessment.collect.import_responses`` (real files, real SQLite store), and
compared respondent by respondent and cell by cell with the records it came from.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pytest
import yaml
from support.exports import LAYOUTS, SUFFIX, answer_text, write_export
from support.synth import synthesize

import assessment.collect as collect  # noqa: E402
import assessment.scoring as scoring  # noqa: E402
import assessment.store as store_mod  # noqa: E402
from assessment.engagement import init_workspace
from assessment.quality import MIN_BLOCK_ITEMS
from assessment.questionnaire import load_questionnaire
from assessment.responses import Responses, from_records

N = 36
VARIANTS = [(layout, "labels") for layout in LAYOUTS] + [("qualtrics", "codes"), ("qualtrics", "codes+mapping")]
# Rows each tool writes that must not be kept, by the reason the importer gives.
EXPECTED_SKIPS = {"qualtrics": {"test or preview": 1, "incomplete": 1}, "limesurvey": {"incomplete": 1}}
# Layouts that carry both a start and an end time, so a speeder can be seen.
TIMED = {"microsoft-forms", "surveymonkey", "qualtrics", "limesurvey", "typeform"}


@pytest.fixture(scope="module", params=["ai-friction", "worked"])
def questionnaire(request):
    if request.param == "worked":
        return load_questionnaire(Path(__file__).parent / "data" / "worked.yaml")
    return load_questionnaire("ai-friction")


@pytest.fixture(scope="module")
def records(questionnaire):
    return synthesize(questionnaire, N, seed=20250303)


@pytest.fixture(scope="module")
def reference_scores(questionnaire, records):
    ordered = sorted(records, key=lambda r: r["id"])  # the order _canonical puts imports in
    return scoring.score(questionnaire, from_records(ordered, questionnaire), n_resamples=300).to_dict()


def _codes_mapping(questionnaire, path: Path) -> Path:
    """What a consultant writes for a Qualtrics numeric export: recode -> scale value
    (the choice after the last point is the N/A choice) and role codes -> role ids."""
    question_values = {}
    for q in questionnaire.questions.values():
        scale = questionnaire.scale_of(q)
        if scale is None:
            continue
        codes = {i + 1: p.value for i, p in enumerate(scale.points)}
        if scale.na_label:
            codes[len(scale.points) + 1] = "na"
        question_values[q.id] = codes
    role_values = {str(i + 1): r.id for i, r in enumerate(questionnaire.roles)}
    path.write_text(yaml.safe_dump({"source": "qualtrics", "role_values": role_values,
                                    "question_values": question_values}), encoding="utf-8")
    return path


def _import(tmp_path: Path, questionnaire, records, layout: str, values: str):
    q_file = Path(__file__).parent / "data" / "worked.yaml"
    ws = init_workspace(tmp_path / "ws", "Roundtrip Ltd", str(q_file) if questionnaire.id == "worked-example"
                        else "ai-friction")
    # Numeric codes import without a mapping (choices numbered in questionnaire order,
    # N/A the choice after the last point); a consultant's explicit mapping gives the same.
    path = write_export(records, questionnaire, layout, tmp_path / f"export{SUFFIX[layout]}",
                        values="codes" if values.startswith("codes") else values)
    mapping = _codes_mapping(questionnaire, tmp_path / "mapping.yaml") if values == "codes+mapping" else None
    report = collect.import_responses(ws, path, mapping=mapping)
    with store_mod.open_store(ws.store_path) as store:
        responses = store.load_responses()
    return report, responses


def _canonical(responses, id_of: dict[str, str], questionnaire) -> Responses:
    """The same respondents and answers under the records' ids, in record and questionnaire order."""
    people = responses.respondents.assign(respondent_id=responses.respondents["respondent_id"].map(id_of))
    people = people.sort_values("respondent_id", kind="stable").reset_index(drop=True)
    qorder = {qid: i for i, qid in enumerate(questionnaire.questions)}
    answers = responses.answers.assign(respondent_id=responses.answers["respondent_id"].map(id_of))
    answers = answers.assign(_q=answers["question_id"].map(qorder))
    answers = answers.sort_values(["respondent_id", "_q"], kind="stable").drop(columns="_q").reset_index(drop=True)
    return Responses(people, answers)


def _longest_block(questionnaire, role_id: str) -> int:
    """Most scale items asked of the role in one dimension or on one scale: a
    straight-liner is only recognisable over that many items."""
    asked = [q for q in questionnaire.questions.values() if q.type == "scale" and questionnaire.asked(q, role_id)]
    blocks = Counter(questionnaire.question_dimension[q.id] for q in asked) + Counter(f"scale:{q.scale}" for q in asked)
    return max(blocks.values(), default=0)


def _expected_cells(questionnaire, records):
    """(record id, question id) -> (state, value or text) for every non-blank answer."""
    out = {}
    for rec in records:
        for qid, v in rec["answers"].items():
            q = questionnaire.questions[qid]
            if v is None:
                continue
            if isinstance(v, str) and v.upper() == "NA":
                out[(rec["id"], qid)] = ("na", None)
            elif q.type == "text":
                out[(rec["id"], qid)] = ("answered", v)
            else:
                out[(rec["id"], qid)] = ("answered", float(v))
    return out


@pytest.mark.parametrize(("layout", "values"), VARIANTS, ids=[f"{lay}-{v}" for lay, v in VARIANTS])
def test_every_respondent_and_answer_arrives(tmp_path, questionnaire, records, reference_scores, layout, values):
    report, responses = _import(tmp_path, questionnaire, records, layout, values)
    (file_report,) = report.files
    assert file_report.status == "imported", file_report.summary_line()
    assert file_report.added == N
    skipped = {k: v for k, v in file_report.skipped.items() if v}
    assert skipped == EXPECTED_SKIPS.get(layout, {})

    people = responses.respondents.sort_values("source_row").reset_index(drop=True)
    assert len(people) == N
    assert list(people["role"]) == [r["role"] for r in records]
    assert list(people["unit"]) == [r["unit"] for r in records]
    id_of = dict(zip(people["respondent_id"], [r["id"] for r in records], strict=True))

    got = {}
    for row in responses.answers.itertuples(index=False):
        key = (id_of[row.respondent_id], row.question_id)
        q = questionnaire.questions[row.question_id]
        if row.state == "blank":
            continue
        if row.state == "na":
            got[key] = ("na", None)
        elif q.type == "text":
            got[key] = ("answered", row.raw)
        else:
            got[key] = ("answered", float(row.value))
    expected = _expected_cells(questionnaire, records)
    missing = {k: v for k, v in expected.items() if got.get(k) != v}
    extra = {k: v for k, v in got.items() if k not in expected}
    assert not missing, f"{len(missing)} answers changed, e.g. {sorted(missing.items())[:3]} -> " \
                        f"{[got.get(k) for k in sorted(missing)[:3]]}"
    assert not extra, f"answers that were blank arrived as {sorted(extra.items())[:3]}"

    # N/A is kept distinct from blank: both kinds occur and arrive as themselves.
    states = Counter(s for s, _ in got.values())
    assert states["na"] == sum(1 for s, _ in expected.values() if s == "na") > 0

    # The planted straight-liners are flagged in every format; the speeder wherever times exist.
    flags = dict(zip(people["respondent_id"].map(id_of), people["flags"], strict=True))
    for rec in records:
        if rec["quality"] == "straight-liner" and _longest_block(questionnaire, rec["role"]) >= MIN_BLOCK_ITEMS:
            assert "straight-lining" in flags[rec["id"]]
    speeders = {rid for rid, f in flags.items() if "speeder" in f}
    planted = {r["id"] for r in records if r["quality"] == "speeder"}
    assert speeders == (planted if layout in TIMED else set())

    # Scores are identical to scoring the records directly. Respondent ids differ by
    # tool (response keys, row numbers) and the bootstrap and float sums follow row
    # order, so the imported data is put in the records' ids and order first.
    result = scoring.score(questionnaire, _canonical(responses, id_of, questionnaire), n_resamples=300).to_dict()
    assert result == reference_scores


def test_files_look_like_the_tools_exports(tmp_path):
    """Spot checks of the fingerprints the brief lists, so the writers stay honest."""
    q = load_questionnaire("ai-friction")
    recs = synthesize(q, 12, seed=1)
    paths = {layout: write_export(recs, q, layout, tmp_path / f"{layout}{SUFFIX[layout]}")
             for layout in LAYOUTS}
    gf = paths["google-forms"].read_bytes()
    assert gf.startswith(b"Timestamp,Email Address,") and b"\r\n" in gf
    assert "Governance vs model velocity [" in gf.decode()
    ls = paths["limesurvey"].read_bytes()
    assert ls.startswith(b'\xef\xbb\xbf"id","submitdate","lastpage","startlanguage","seed"')
    qt = paths["qualtrics"].read_text(encoding="utf-8").splitlines()
    assert qt[0].startswith("StartDate,EndDate,Status,IPAddress,Progress,Duration (in seconds),Finished")
    assert qt[2].startswith('"{""ImportId""') and "Survey Preview" in qt[3]
    tf = paths["typeform"].read_text(encoding="utf-8").splitlines()[0]
    assert tf.startswith("#,") and tf.endswith("Start Date (UTC),Submit Date (UTC),Network ID")

    from openpyxl import load_workbook

    sm = load_workbook(paths["surveymonkey"]).active
    assert [c.value for c in sm[1]][:3] == ["Respondent ID", "Collector ID", "Start Date"]
    assert sm.cell(2, 10).value == "Response"
    ms = load_workbook(paths["microsoft-forms"]).active
    header = [c.value for c in ms[1]]
    assert header[:6] == ["ID", "Start time", "Completion time", "Email", "Name", "Last modified time"]
    statement_cols = [h for h in header[6:] if h in {x.text for x in q.questions.values()}]
    in_questionnaire_order = [x.text for x in q.questions.values() if x.text in statement_cols]
    assert statement_cols != in_questionnaire_order  # Forms writes columns partly out of order
    tpl = load_workbook(paths["template"])["Responses"]
    assert tpl["A1"].value == "Respondent ID" and tpl["D1"].value == "GOV-01"


def test_synthetic_respondents_are_realistic():
    q = load_questionnaire("ai-friction")
    recs = synthesize(q, 90, seed=11)
    assert recs == synthesize(q, 90, seed=11)
    assert recs != synthesize(q, 90, seed=12)
    assert {r["role"] for r in recs} == set(q.role_by_id)
    assert len({r["unit"] for r in recs}) == 3
    assert len({r["email"] for r in recs}) == 90
    assert Counter(r["quality"] for r in recs) == Counter({None: 87, "straight-liner": 2, "speeder": 1})
    for r in recs:  # only questions asked of the role
        assert all(q.asked(q.questions[qid], r["role"]) for qid in r["answers"])

    scale_cells = [(r, qid, v) for r in recs if r["quality"] is None for qid, v in r["answers"].items()
                   if q.questions[qid].type == "scale"]
    na = sum(v == "NA" for _, _, v in scale_cells) / len(scale_cells)
    blank = sum(v is None for _, _, v in scale_cells) / len(scale_cells)
    assert 0.01 < na < 0.07 and 0.005 < blank < 0.05

    def keyed(r, qid, v):  # 0-1, high = mature, reverse items flipped
        s = q.scale_of(q.questions[qid])
        x = (v - s.v_min) / (s.v_max - s.v_min)
        return 1 - x if q.questions[qid].reverse else x

    by_group: dict[str, list[float]] = {}
    forward, reverse = [], []
    for r, qid, v in scale_cells:
        if isinstance(v, float | int):
            by_group.setdefault(q.role_by_id[r["role"]].group, []).append(keyed(r, qid, v))
            (reverse if q.questions[qid].reverse else forward).append(v)
    mean = {g: sum(x) / len(x) for g, x in by_group.items()}
    assert mean["leadership"] - mean["practitioner"] > 0.12  # a visible perception gap
    # Low maturity: people disagree with positive statements and agree with negative ones.
    assert sum(reverse) / len(reverse) > sum(forward) / len(forward) + 0.5

    for r in recs:
        for qid, v in r["answers"].items():
            qq = q.questions[qid]
            if qq.type == "numeric" and v is not None:
                assert min(qq.worst, qq.best) <= v <= max(qq.worst, qq.best)
            if qq.type == "text" and v is not None:
                assert 20 < len(v) < 140
    comments = {v for r in recs for qid, v in r["answers"].items() if q.questions[qid].type == "text" and v}
    assert len(comments) >= 25


def test_answer_text_codes_and_labels():
    q = load_questionnaire(Path(__file__).parent / "data" / "worked.yaml")
    mon2 = q.questions["MON-2"]  # zero10: values 0..10 -> recodes 1..11
    assert answer_text(q, mon2, 0) == "0" and answer_text(q, mon2, 0, codes=True) == "1"
    gov1 = q.questions["GOV-1"]
    assert answer_text(q, gov1, "NA") == "Don't know / not applicable"
    assert answer_text(q, gov1, "NA", codes=True) == "6"
    assert answer_text(q, gov1, 4, numbers=True) == "4" and answer_text(q, gov1, 4) == "Agree"
    assert answer_text(q, gov1, None) is None
    assert math.isclose(answer_text(q, q.questions["GOV-3"], 14.0), 14.0)
    with pytest.raises(ValueError):
        answer_text(q, gov1, 7)
    with pytest.raises(ValueError):
        write_export([], q, "paper", "x.csv")
