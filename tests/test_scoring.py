"""The scoring engine against the worked example, hand-checked cases, properties and the CLI."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessment.cli import cli
from assessment.questionnaire import Questionnaire, load_questionnaire, parse_questionnaire, validate_questionnaire
from assessment.responses import Responses, from_records
from assessment.scoring import (
    THRESHOLDS,
    compare_rounds,
    explain,
    explain_respondent,
    item_scores,
    respondent_dimension_scores,
    score,
    weight_sensitivity,
)

TOL = 1e-9
FAST = 200  # bootstrap resamples where the interval itself is not under test


@pytest.fixture(scope="module")
def worked_q() -> Questionnaire:
    return load_questionnaire(Path(__file__).parent / "data" / "worked.yaml")


REFERENCE = Path(__file__).parent / "data" / "reference"


@pytest.fixture
def worked() -> dict[str, Any]:
    """The worked example. Its v2 file applies the revised statistics rules (alpha by
    answer pattern, perception gap on common items); the respondent-level scores,
    unchanged by those rules, are only in the first edition."""
    data = json.loads((REFERENCE / "worked_example_v2.json").read_text(encoding="utf-8"))
    first = json.loads((REFERENCE / "worked_example.json").read_text(encoding="utf-8"))
    assert first["respondents"] == data["respondents"]
    data["expected"]["respondent_dimension_scores"] = first["expected"]["respondent_dimension_scores"]
    return data


def close(a: float | None, b: float | None, tol: float = TOL) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= tol


# ------------------------------------------------------------------------ worked example


def test_worked_example_reproduces_every_expected_value(worked_q, worked):
    result = score(worked_q, from_records(worked["respondents"]), n_resamples=FAST)
    data = result.to_dict()
    exp = worked["expected"]
    assert data["respondents"] == exp["respondents"]
    assert close(data["overall"]["score"], exp["overall"]["score"])
    assert data["overall"]["level"] == exp["overall"]["level"]
    assert [d["id"] for d in data["dimensions"]] == [d["id"] for d in exp["dimensions"]]
    for got, want in zip(data["dimensions"], exp["dimensions"], strict=True):
        assert close(got["score"], want["score"]), got["id"]
        assert got["level"] == want["level"]
        assert got["by_role"].keys() == want["by_role"].keys()
        for role, value in want["by_role"].items():
            assert close(got["by_role"][role], value), (got["id"], role)
        for key in ("coverage", "alpha", "rwg"):
            assert close(got[key], want[key]), (got["id"], key)
        for key, value in want["perception_gap"].items():
            if isinstance(value, float):
                assert close(got["perception_gap"][key], value), (got["id"], key)
            else:
                assert got["perception_gap"][key] == value, (got["id"], key)


def test_worked_example_respondent_dimension_scores(worked_q, worked):
    frame = respondent_dimension_scores(worked_q, from_records(worked["respondents"]))
    want = worked["expected"]["respondent_dimension_scores"]
    assert sorted(frame.index) == sorted(want)
    for rid, dims in want.items():
        for dim, value in dims.items():
            got = frame.loc[rid, dim]
            if value is None:
                assert math.isnan(got), (rid, dim)
            else:
                assert abs(got - value) <= TOL, (rid, dim)


def test_pooled_aggregation_is_the_plain_mean_of_respondent_scores(worked_q, worked):
    data = score(worked_q, from_records(worked["respondents"]), aggregation="pooled", n_resamples=FAST).to_dict()
    per = worked["expected"]["respondent_dimension_scores"]
    expected = {}
    for dim in ("governance", "monitoring"):
        vals = [v[dim] for v in per.values() if v[dim] is not None]
        expected[dim] = sum(vals) / len(vals)
        assert close(data["dimensions"][[d["id"] for d in data["dimensions"]].index(dim)]["score"], expected[dim])
    assert data["aggregation"] == "pooled"
    assert close(data["overall"]["score"], (2 * expected["governance"] + expected["monitoring"]) / 3)


def test_item_scores_key_reverse_numeric_and_blanks(worked_q, worked):
    frame = item_scores(worked_q, from_records(worked["respondents"]))
    cell = frame.set_index(["respondent_id", "question_id"])
    assert cell.loc[("r1", "GOV-2"), "keyed"] == pytest.approx(75.0)  # 2 on 1-5, reverse-keyed
    assert cell.loc[("r4", "GOV-3"), "keyed"] == 0.0  # 200 days is worse than worst=180: clipped
    assert cell.loc[("r3", "GOV-3"), "keyed"] == pytest.approx(100 * (120 - 180) / (7 - 180))
    assert cell.loc[("r3", "MON-2"), "keyed"] == pytest.approx(30.0)  # 3 on 0-10
    assert cell.loc[("r2", "GOV-2"), "state"] == "na" and math.isnan(cell.loc[("r2", "GOV-2"), "keyed"])
    # MON-2 is asked of ds and ops only; MON-3 (text) has no row in the input, so it is a blank cell
    assert ("r1", "MON-2") not in cell.index
    assert cell.loc[("r1", "MON-3"), "state"] == "blank" and math.isnan(cell.loc[("r1", "MON-3"), "keyed"])
    assert len(frame) == 7 * 5 + 5  # every asked cell, MON-2 for the 5 practitioners only
    assert frame["keyed"].dropna().between(0, 100).all()


def test_items_count_answers_na_and_blanks(worked_q, worked):
    items = {i["id"]: i for i in score(worked_q, from_records(worked["respondents"]), n_resamples=FAST).items}
    assert (items["GOV-2"]["n"], items["GOV-2"]["na"], items["GOV-2"]["blank"]) == (4, 1, 2)
    assert items["GOV-2"]["score"] == pytest.approx((75 + 25 + 0 + 50) / 4)
    assert items["MON-2"]["n"] == 4 and items["MON-2"]["asked"] == 5
    assert items["MON-3"]["score"] is None  # text is never scored


def test_flags_carry_codes_sentences_and_thresholds(worked_q, worked):
    data = score(worked_q, from_records(worked["respondents"]), n_resamples=FAST).to_dict()
    gov, mon = data["dimensions"]
    codes = {f["code"] for f in gov["flags"]}
    assert {"perception-gap", "agreement-indicative"} <= codes
    assert "low-reliability" in {f["code"] for f in mon["flags"]}  # alpha 0.0
    assert all(f["message"].endswith((".", ")")) and len(f["message"]) > 20 for f in gov["flags"])
    assert "52%" in next(f["message"] for f in gov["flags"] if f["code"] == "agreement-indicative")
    assert data["thresholds"]["coverage_min"] == 0.6 and data["thresholds"]["perception_gap_points"] == 15


def test_few_respondents_and_unknown_reliability_flags(worked_q, worked):
    few = from_records([r for r in worked["respondents"] if r["id"] in ("r1", "r3")])
    data = score(worked_q, few, n_resamples=FAST).to_dict()
    for dim in data["dimensions"]:
        codes = {f["code"] for f in dim["flags"]}
        assert {"few-respondents", "reliability-unknown", "agreement-indicative"} <= codes
        assert dim["alpha"] is None and dim["rwg"] is None
        assert dim["perception_gap"]["difference"] is None and dim["perception_gap"]["hedges_g"] is None
    json.dumps(data, allow_nan=False)


def test_no_respondents_is_a_clear_error(worked_q):
    from assessment.errors import AssessmentError

    with pytest.raises(AssessmentError, match="no respondents"):
        score(worked_q, from_records([]))


def test_by_unit_and_role_breakdowns(worked_q, worked):
    records = [dict(r, unit="North" if int(r["id"][1:]) % 2 else "South") for r in worked["respondents"]]
    responses = from_records(records)
    data = score(worked_q, responses, by="unit", n_resamples=FAST).to_dict()
    groups = {g["id"]: g for g in data["breakdown"]["groups"]}
    assert set(groups) == {"North", "South"}
    for unit, group in groups.items():
        alone = score(worked_q, responses.for_unit(unit), n_resamples=FAST, sensitivity=False).to_dict()
        assert close(group["overall"], alone["overall"]["score"])
        assert group["respondents"] == alone["respondents"]
    by_role = score(worked_q, responses, by="role", n_resamples=FAST).to_dict()["breakdown"]["groups"]
    exec_group = next(g for g in by_role if g["id"] == "exec")
    assert close(exec_group["dimensions"]["governance"], worked["expected"]["dimensions"][0]["by_role"]["exec"])


# -------------------------------------------------------------------------------- explain


@pytest.mark.parametrize("aggregation", ["role-balanced", "pooled"])
def test_explain_contributions_add_up_to_the_score(worked_q, worked, aggregation):
    responses = from_records(worked["respondents"])
    data = score(worked_q, responses, aggregation=aggregation, n_resamples=FAST).to_dict()
    for dim in data["dimensions"]:
        trace = explain(worked_q, responses, dim["id"], aggregation=aggregation)
        assert trace["contribution"].sum() == pytest.approx(dim["score"], abs=TOL)
        assert trace["weight_share"].sum() == pytest.approx(1.0, abs=TOL)
        assert trace.attrs["score"] == pytest.approx(dim["score"], abs=TOL)
        roles = trace.attrs["roles"].set_index("role")
        for role, value in dim["by_role"].items():
            assert roles.loc[role, "mean"] == pytest.approx(value, abs=TOL)
        assert any(f"{dim['score']:.2f}" in step for step in trace.attrs["steps"])


def test_explain_governance_trace_content(worked_q, worked):
    trace = explain(worked_q, from_records(worked["respondents"]), "governance").set_index("question_id")
    assert trace.loc["GOV-2", "reverse"] and trace.loc["GOV-2", "na"] == 1
    assert trace.loc["GOV-1", "raw_distribution"] == "1: 1, 2: 2, 3: 1, 4: 1, 5: 1"
    assert trace.loc["GOV-1", "raw_mean"] == pytest.approx(17 / 6)
    # r7 has no governance score (below 50% answered weight), so their GOV-3 answer carries no weight
    assert trace.loc["GOV-3", "n"] == 5


def test_explain_respondent(worked_q, worked):
    trace = explain_respondent(worked_q, from_records(worked["respondents"]), "r7")
    assert trace.attrs["scores"]["governance"] is None
    assert trace.attrs["scores"]["monitoring"] == pytest.approx(17.5)
    assert set(trace["question_id"]) == {"GOV-1", "GOV-2", "GOV-3", "MON-1", "MON-2", "MON-3"}


# ---------------------------------------------------------------------------- sensitivity


def _four_dimension_q(weights: dict[str, float] | None = None) -> Questionnaire:
    weights = weights or {}
    scale = {"points": [{"value": v, "label": str(v)} for v in range(1, 6)]}
    dims = []
    for d in ("alpha", "beta", "gamma", "delta", "eps"):
        dims.append({"id": d, "title": d.title(), "questions": [
            {"id": f"{d}-{i}", "text": f"Statement {i} about {d}", "scale": "s5", "weight": weights.get(f"{d}-{i}", 1)}
            for i in (1, 2)]})
    return parse_questionnaire({
        "id": "four", "version": "1", "scales": {"s5": scale},
        "roles": [{"id": "lead", "label": "Lead", "group": "leadership"},
                  {"id": "eng", "label": "Engineer", "group": "practitioner"}],
        "levels": [{"level": 1, "name": "Low", "min": 0}, {"level": 2, "name": "High", "min": 50}],
        "dimensions": dims})


def _records(answers_by_dim: dict[str, tuple[int, int]], n: int = 6) -> list[dict[str, Any]]:
    return [{"id": f"p{i}", "role": "lead" if i % 2 else "eng", "unit": None,
             "answers": {f"{d}-{k + 1}": v[k] for d, v in answers_by_dim.items() for k in (0, 1)}}
            for i in range(n)]


def test_weight_sensitivity_stable_when_ranking_is_clear():
    q = _four_dimension_q()
    recs = _records({"alpha": (1, 1), "beta": (1, 2), "gamma": (2, 2), "delta": (5, 5), "eps": (4, 5)})
    result = weight_sensitivity(q, from_records(recs), n=3)
    assert result["weakest"] == ["alpha", "beta", "gamma"]
    assert result["stable"] is True
    assert result["one_at_a_time"]["same_share"] == 1.0 and result["random"]["same_share"] == 1.0
    assert result["one_at_a_time"]["perturbations"] == 2 * 10 + 2 * 2


def test_weight_sensitivity_detects_a_fragile_ranking():
    q = _four_dimension_q()
    # gamma (37.5 = mean of 1 and 4 on 1-5... keyed 0 and 75) vs delta (1 and 4 swapped weights): a near tie
    recs = _records({"alpha": (1, 1), "beta": (1, 2), "gamma": (1, 4), "delta": (4, 1), "eps": (5, 5)})
    recs[0]["answers"]["delta-1"] = 5  # delta a touch higher than gamma
    result = weight_sensitivity(q, from_records(recs), n=3)
    assert result["weakest"][:2] == ["alpha", "beta"]
    assert result["stable"] is False
    assert result["one_at_a_time"]["same_share"] < 1.0
    assert set(result["entering"]) | set(result["leaving"]) <= {"gamma", "delta"}
    assert result["entering"] and result["leaving"]
    changes = result["one_at_a_time"]["changes"]
    assert changes and all(c["weight"].startswith(("question", "role")) for c in changes)


# ----------------------------------------------------------------------------- compare


def test_compare_rounds_paired_shift_is_significant(worked_q, worked):
    base = from_records(worked["respondents"])
    later = []
    for r in worked["respondents"]:
        answers = {k: (min(v + 1, 5) if isinstance(v, int) and k in ("GOV-1", "MON-1") else v)
                   for k, v in r["answers"].items()}
        later.append(dict(r, answers=answers))
    data = compare_rounds(worked_q, base, from_records(later), n_resamples=500)
    assert data["method"] == "paired" and data["matched_respondents"] == 7
    mon = next(d for d in data["dimensions"] if d["id"] == "monitoring")
    assert mon["change"] > 0 and mon["significant"] is True and mon["ci_low"] > 0
    assert data["overall"]["change"] == pytest.approx(data["overall"]["current"] - data["overall"]["baseline"])
    same = compare_rounds(worked_q, base, base, n_resamples=200)
    assert same["overall"]["change"] == 0 and same["overall"]["significant"] is False
    json.dumps(data, allow_nan=False)


def test_compare_rounds_uses_common_questions_and_independent_groups(worked_q, worked):
    base = from_records(worked["respondents"])
    later = [dict(r, id=f"new-{r['id']}", answers={k: v for k, v in r["answers"].items() if k != "GOV-3"})
             for r in worked["respondents"]]
    data = compare_rounds(worked_q, base, from_records(later), n_resamples=200)
    assert data["method"] == "independent" and data["matched_respondents"] == 0
    assert data["left_out_questions"] == ["GOV-3"]
    # without GOV-3 in either round, the two rounds hold the same answers: no change
    for d in data["dimensions"]:
        assert d["change"] == pytest.approx(0.0, abs=TOL)
        assert d["ci_low"] <= 0 <= d["ci_high"]


def test_routed_alpha_reference_by_answer_pattern():
    ref = json.loads((REFERENCE / "routed_alpha.json").read_text(encoding="utf-8"))
    q = parse_questionnaire(ref["questionnaire"])
    data = score(q, from_records(ref["respondents"]), n_resamples=FAST).to_dict()
    want = ref["expected"]
    assert data["respondents"] == want["respondents"]
    assert close(data["overall"]["score"], want["overall"]["score"])
    got, exp = data["dimensions"][0], want["dimensions"][0]
    for key in ("score", "coverage", "alpha", "rwg"):
        assert close(got[key], exp[key]), key
    for role, value in exp["by_role"].items():
        assert close(got["by_role"][role], value), role
    for key, value in exp["perception_gap"].items():
        assert (close(got["perception_gap"][key], value) if isinstance(value, float)
                else got["perception_gap"][key] == value), key


def test_no_common_statement_means_no_gap():
    scale = {"points": [{"value": v, "label": str(v)} for v in range(1, 6)]}
    q = parse_questionnaire({
        "id": "apart", "version": "1", "scales": {"s5": scale},
        "roles": [{"id": "lead", "label": "Lead", "group": "leadership"},
                  {"id": "eng", "label": "Engineer", "group": "practitioner"}],
        "levels": [{"level": 1, "name": "Low", "min": 0}],
        "dimensions": [{"id": "d", "title": "D", "questions": [
            {"id": "L", "text": "Leads only", "scale": "s5", "roles": ["lead"]},
            {"id": "E", "text": "Engineers only", "scale": "s5", "roles": ["eng"]}]}]})
    recs = [{"id": f"p{i}", "role": "lead" if i < 4 else "eng", "answers": {"L" if i < 4 else "E": 1 + i % 5}}
            for i in range(8)]
    gap = score(q, from_records(recs), n_resamples=FAST).to_dict()["dimensions"][0]["perception_gap"]
    assert gap == {"items": [], "comparable": False, "leadership": None, "practitioners": None,
                   "difference": None, "hedges_g": None, "n_leadership": None, "n_practitioners": None}


def test_gap_is_leadership_minus_practitioners(worked_q, worked):
    for d in score(worked_q, from_records(worked["respondents"]), n_resamples=FAST).to_dict()["dimensions"]:
        gap = d["perception_gap"]
        assert gap["difference"] == pytest.approx(gap["leadership"] - gap["practitioners"])
        assert gap["difference"] > 0  # in the worked example leaders rate both dimensions higher


# ----------------------------------------------------------------------------- properties

ANSWER = st.one_of(st.integers(1, 5), st.just("NA"), st.none())


@st.composite
def survey(draw, min_size: int = 3, max_size: int = 25) -> list[dict[str, Any]]:
    n = draw(st.integers(min_size, max_size))
    out = []
    for i in range(n):
        role = draw(st.sampled_from(["exec", "ds", "ops"]))
        answers = {q: draw(ANSWER) for q in ("GOV-1", "GOV-2", "MON-1")}
        answers["GOV-3"] = draw(st.one_of(st.floats(0, 400, allow_nan=False), st.just("NA"), st.none()))
        if role != "exec":
            answers["MON-2"] = draw(st.one_of(st.integers(0, 10), st.none()))
        out.append({"id": f"r{i:03d}", "role": role, "unit": draw(st.sampled_from(["A", "B", None])),
                    "answers": answers})
    return out




PROPS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPS
@given(records=survey(), seed=st.integers(0, 2**16))
def test_reordering_respondents_or_answer_rows_changes_nothing(worked_q, records, seed):
    responses = from_records(records)
    rng = np.random.default_rng(seed)
    shuffled = Responses(responses.respondents.iloc[rng.permutation(len(responses.respondents))],
                         responses.answers.iloc[rng.permutation(len(responses.answers))])
    a = score(worked_q, responses, n_resamples=FAST, by="unit").to_dict()
    b = score(worked_q, shuffled, n_resamples=FAST, by="unit").to_dict()
    assert a == b


@PROPS
@given(records=survey())
def test_reverse_keying_twice_is_identity(worked_q, records):
    def flipped(q: Questionnaire) -> Questionnaire:
        data = q.to_dict()
        for dim in data["dimensions"]:
            for question in dim["questions"]:
                question["reverse"] = not question["reverse"]
        return validate_questionnaire(data)

    responses = from_records(records)
    base = item_scores(worked_q, responses)
    once = item_scores(flipped(worked_q), responses)
    twice = item_scores(flipped(flipped(worked_q)), responses)
    scored = base["keyed"].notna()
    assert np.allclose(once.loc[scored, "keyed"], 100 - base.loc[scored, "keyed"])
    pd.testing.assert_frame_equal(base, twice)


@PROPS
@given(records=survey(min_size=1))
def test_scores_are_bounded_json_is_clean_and_ci_contains_score(worked_q, records):
    result = score(worked_q, from_records(records), n_resamples=FAST)
    data = result.to_dict()
    json.dumps(data, allow_nan=False)
    with_any = int(result.respondent_scores.notna().any(axis=1).sum())
    entries = [(data["overall"], with_any), *((d, d["n_respondents"]) for d in data["dimensions"])]
    for e, n in entries:
        if e["score"] is None:
            assert e["ci_low"] is None and e["level"] is None
            continue
        assert 0 <= e["score"] <= 100
        if n < 3:  # too few to resample: no interval rather than a misleading one
            assert e["ci_low"] is None and e["ci_high"] is None
            continue
        assert e["ci_low"] - 1e-9 <= e["score"] <= e["ci_high"] + 1e-9
    for dim in data["dimensions"]:
        assert all(0 <= v <= 100 for v in dim["by_role"].values())
        assert dim["coverage"] is None or 0 <= dim["coverage"] <= 1
    for item in data["items"]:
        assert item["score"] is None or 0 <= item["score"] <= 100


@PROPS
@given(records=survey(min_size=6, max_size=15))
def test_ci_narrower_with_more_respondents(worked_q, records):
    small = score(worked_q, from_records(records), n_resamples=1000, sensitivity=False).to_dict()
    many = [dict(r, id=f"{r['id']}-{k}") for k in range(9) for r in records]
    large = score(worked_q, from_records(many), n_resamples=1000, sensitivity=False).to_dict()
    for s, b in zip([small["overall"], *small["dimensions"]], [large["overall"], *large["dimensions"]], strict=True):
        assert s["score"] == pytest.approx(b["score"], abs=1e-9) if s["score"] is not None else b["score"] is None
        if s["ci_low"] is None:
            continue
        width_small, width_large = s["ci_high"] - s["ci_low"], b["ci_high"] - b["ci_low"]
        assert width_large <= width_small + 1e-9


def test_scoring_is_vectorised_over_a_large_survey(worked_q):
    """10,000 respondents score correctly (speed itself is measured in benchmarks/bench_score.py)."""
    rng = np.random.default_rng(1)
    n = 10_000
    roles = rng.choice(["exec", "ds", "ops"], size=n)
    recs = [{"id": f"x{i}", "role": roles[i], "unit": None,
             "answers": {"GOV-1": int(rng.integers(1, 6)), "GOV-2": int(rng.integers(1, 6)), "MON-1": 3}}
            for i in range(n)]
    data = score(worked_q, from_records(recs), n_resamples=FAST, sensitivity=False).to_dict()
    mon = data["dimensions"][1]
    # MON-1 = 3 for all; MON-2 missing is half the weight asked of ds/ops: exactly 50%, still scored
    assert mon["score"] == pytest.approx(50.0)
    assert mon["by_role"] == {"exec": 50.0, "ds": 50.0, "ops": 50.0}
    assert mon["coverage"] == pytest.approx(n / (n + (roles != "exec").sum()))
    # GOV-3 (weight 1 of 4) missing: 75% answered, everyone has a governance score
    assert data["dimensions"][0]["n_respondents"] == n


# ---------------------------------------------------------------------------------- CLI

QIDS = ["GOV-1", "GOV-2", "GOV-3", "MON-1", "MON-2", "MON-3"]
NA_LABEL = "Don't know / not applicable"


def _write_template_csv(path: Path, records: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["Respondent ID", "Role", "Unit", *QIDS])
        for r in records:
            a = r["answers"]
            cells = [NA_LABEL if a.get(q) == "NA" else ("" if a.get(q) is None else a[q]) for q in QIDS]
            writer.writerow([r["id"], r["role"], r["unit"], *cells])
    return path


@pytest.fixture
def workspace(tmp_path, worked_yaml, worked):
    from assessment.collect import import_responses
    from assessment.engagement import init_workspace

    ws = init_workspace(tmp_path / "acme", "Acme", questionnaire=str(worked_yaml))
    import_responses(ws, [_write_template_csv(tmp_path / "baseline.csv", worked["respondents"])])
    return ws


def test_cli_store_round_trip_matches_library(runner, workspace, worked):
    result = runner.invoke(cli, ["-w", str(workspace.root), "score", "--format", "json", "--resamples", "200"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    exp = worked["expected"]
    assert data["respondents"] == 7
    assert close(data["overall"]["score"], exp["overall"]["score"])
    for got, want in zip(data["dimensions"], exp["dimensions"], strict=True):
        assert close(got["score"], want["score"]) and close(got["alpha"], want["alpha"])


def test_cli_table_has_footer_with_thresholds(runner, workspace):
    result = runner.invoke(cli, ["-w", str(workspace.root), "score", "--resamples", "200", "--by", "role"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Governance" in out and "Defined" in out and "perception-gap" in out
    assert "Overall: 57.7 (Defined, level 3)" in out
    assert f"low-coverage < {THRESHOLDS['coverage_min']:.0%}" in out and "rwg < 0.70" in out
    assert "By role:" in out and "Executive sponsor" in out


def test_cli_csv_is_one_row_per_dimension(runner, workspace):
    result = runner.invoke(cli, ["-w", str(workspace.root), "score", "--format", "csv", "--resamples", "200",
                                 "--by", "unit"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(result.output.splitlines()))
    assert [r["dimension"] for r in rows] == ["governance", "monitoring"]
    assert float(rows[0]["score"]) == pytest.approx(57.58670520231213)
    assert float(rows[1]["unit:Retail"]) == pytest.approx(57.8125)


def test_cli_explain(runner, workspace):
    result = runner.invoke(cli, ["-w", str(workspace.root), "score", "--explain", "governance"])
    assert result.exit_code == 0, result.output
    assert "57.59" in result.output and "GOV-2" in result.output and "2 x 88.96 (exec)" in result.output
    bad = runner.invoke(cli, ["-w", str(workspace.root), "score", "--explain", "nope"])
    assert bad.exit_code == 1 and "unknown dimension `nope`" in bad.output


def test_cli_compare_rounds(runner, workspace, worked, tmp_path):
    from assessment.collect import import_responses
    from assessment.store import open_store

    with open_store(workspace.store_path) as store:
        store.new_round("day-90")
    later = [dict(r, answers={k: (5 if k == "MON-1" and isinstance(v, int) else v) for k, v in r["answers"].items()})
             for r in worked["respondents"]]
    import_responses(workspace, [_write_template_csv(tmp_path / "day90.csv", later)], round="day-90")
    result = runner.invoke(cli, ["-w", str(workspace.root), "score", "--compare", "baseline", "day-90",
                                 "--resamples", "300", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["method"] == "paired" and data["matched_respondents"] == 7
    mon = next(d for d in data["dimensions"] if d["id"] == "monitoring")
    assert mon["change"] > 0 and mon["significant"] is True
    table = runner.invoke(cli, ["-w", str(workspace.root), "score", "--compare", "baseline", "day-90",
                                "--resamples", "300"])
    assert table.exit_code == 0 and "Verdict" in table.output and "paired" in table.output


def test_cli_no_respondents_is_a_one_line_error(runner, tmp_path, worked_yaml):
    from assessment.engagement import init_workspace

    ws = init_workspace(tmp_path / "empty", "Empty", questionnaire=str(worked_yaml))
    result = runner.invoke(cli, ["-w", str(ws.root), "score"])
    assert result.exit_code == 1
    assert "no respondents to score" in result.output and "Traceback" not in result.output


def test_cli_help_mentions_every_option(runner):
    result = runner.invoke(cli, ["score", "--help"])
    assert result.exit_code == 0
    for option in ("--by", "--format", "--unit", "--round", "--explain", "--resamples", "--compare"):
        assert option in result.output


def test_alpha_with_items_routed_to_different_roles_matches_pingouin_and_reports_within_role_alpha():
    scale = {"points": [{"value": v, "label": str(v)} for v in range(1, 6)]}
    q = parse_questionnaire({
        "id": "split", "version": "1", "scales": {"s5": scale},
        "roles": [{"id": "lead", "label": "Lead", "group": "leadership"},
                  {"id": "eng", "label": "Engineer", "group": "practitioner"}],
        "levels": [{"level": 1, "name": "Low", "min": 0}],
        "dimensions": [{"id": "d", "title": "D", "questions": [
            {"id": "all-1", "text": "Asked of all, one", "scale": "s5"},
            {"id": "all-2", "text": "Asked of all, two", "scale": "s5"},
            {"id": "lead-only", "text": "Leads only", "scale": "s5", "roles": ["lead"]},
            {"id": "eng-only", "text": "Engineers only", "scale": "s5", "roles": ["eng"]}]}]})
    rng = np.random.default_rng(3)
    recs = []
    for i in range(12):
        role = "lead" if i < 6 else "eng"
        base = int(rng.integers(1, 6))
        answers = {"all-1": base, "all-2": min(5, base + int(rng.integers(0, 2))),
                   f"{role}-only": max(1, base - int(rng.integers(0, 2)))}
        recs.append({"id": f"p{i:02d}", "role": role, "unit": None, "answers": answers})
    responses = from_records(recs)
    dim = score(q, responses, n_resamples=FAST).to_dict()["dimensions"][0]
    # Alpha by answer pattern: leads answered all-1, all-2, lead-only; engineers all-1,
    # all-2, eng-only. Each pattern's alpha is pingouin's; the dimension's is their
    # respondent-weighted mean (6 and 6 here).
    def alpha_of(rows: list[dict[str, Any]], items: list[str]) -> float:
        wide = pd.DataFrame([{k: float(r["answers"][k]) for k in items} for r in rows])
        cov = wide.cov()
        return len(items) / (len(items) - 1) * (1 - np.trace(cov.to_numpy()) / cov.sum().sum())

    leads = alpha_of(recs[:6], ["all-1", "all-2", "lead-only"])
    engineers = alpha_of(recs[6:], ["all-1", "all-2", "eng-only"])
    assert dim["alpha"] == pytest.approx((6 * leads + 6 * engineers) / 12, abs=1e-12)
    assert dim["alpha_groups"] == 2 and dim["alpha_ci"] is None
    # the gap compares the two statements both groups were asked, nothing else
    assert dim["perception_gap"]["items"] == ["all-1", "all-2"] and dim["perception_gap"]["comparable"]
    assert set(dim["alpha_by_role"]) == {"lead", "eng"}


def test_flagged_respondents_are_left_out_of_every_number(worked_q, worked):
    responses = from_records(worked["respondents"])
    people = responses.respondents.copy()
    people["flags"] = ["speeder" if rid == "r1" else "" for rid in people["respondent_id"]]
    flagged = type(responses)(people, responses.answers)
    without = responses.subset([r for r in people["respondent_id"] if r != "r1"])

    result = score(worked_q, flagged, n_resamples=FAST, exclude_flags=["speeder", "straight-lining"]).to_dict()
    assert result["excluded"] == {"count": 1, "by_flag": {"speeder": 1}, "flags": ["speeder", "straight-lining"]}
    reference = score(worked_q, without, n_resamples=FAST).to_dict()
    assert result["respondents"] == reference["respondents"] == 6
    for key in ("overall", "dimensions", "items"):
        assert result[key] == reference[key]
    # put back for a sensitivity check: everyone counts again
    assert score(worked_q, flagged, n_resamples=FAST).to_dict()["respondents"] == 7
