"""The questionnaire format: the bundled file is valid and rich enough, and broken
files are refused with a located one-line message and no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from assessment import QuestionnaireError, load_questionnaire
from assessment.cli import cli

GOOD = (Path(__file__).parent / "data" / "worked.yaml").read_text()


def write(tmp_path: Path, text: str, name: str = "q.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def mutate(fn) -> str:
    data = yaml.safe_load(GOOD)
    fn(data)
    return yaml.safe_dump(data, sort_keys=False)


def test_bundled_questionnaire_is_valid_and_complete():
    q = load_questionnaire("ai-friction")
    assert q.id == "ai-friction"
    assert [d.id for d in q.dimensions] == ["governance", "integration", "value", "legacy", "skills",
                                            "trust", "monitoring"]
    scored = [qq for d in q.dimensions for qq in d.scored_questions]
    assert len(scored) >= 35
    assert any(qq.reverse for qq in scored)
    assert any(qq.roles for qq in scored)
    assert any(qq.type == "numeric" for qq in scored)
    for d in q.dimensions:
        assert 5 <= len(d.scored_questions) <= 8, d.id
        assert sum(qq.type == "text" for qq in d.questions) == 1, d.id
        assert set(d.narratives) == {lv.level for lv in q.levels}, d.id
    assert len(q.levels) == 5 and all(lv.description for lv in q.levels)
    assert len(q.actions) >= 28
    groups = {r.id: r.group for r in q.roles}
    for a in q.actions:
        assert any(groups[o] == "leadership" for o in a.owners)
        assert any(groups[o] != "leadership" for o in a.owners)
    for d in q.dimensions:
        phases = {a.phase for a in q.actions if a.dimension == d.id}
        assert len([a for a in q.actions if a.dimension == d.id]) >= 4
        assert phases == {1, 2, 3}, d.id
    assert len(q.roles) >= 6


def test_validate_cli_ok(runner):
    result = runner.invoke(cli, ["questionnaire", "validate", "questionnaires/ai-friction.yaml"])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output


def test_show_json_has_contract_keys(runner):
    result = runner.invoke(cli, ["questionnaire", "show", "ai-friction", "--format", "json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    for key in ("id", "version", "title", "description", "scales", "roles", "levels", "dimensions", "actions",
                "profile", "aggregation"):
        assert key in data
    question = data["dimensions"][0]["questions"][0]
    for key in ("id", "text", "type", "weight", "reverse"):
        assert key in question
    action = data["actions"][0]
    for key in ("id", "dimension", "title", "phase", "max_level", "owners", "cost", "effort_days", "after", "kpi"):
        assert key in action


def _alias_bomb() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    prev = "a"
    for name in "bcdefghij":
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
        prev = name
    return "\n".join(lines) + "\n"


BROKEN = {
    "unknown key": (lambda d: d["dimensions"][0]["questions"][0].update(revese=True), "unknown key `revese`"),
    "duplicate question id": (lambda d: d["dimensions"][1]["questions"][0].update(id="GOV-1"), "duplicate id `GOV-1`"),
    "duplicate dimension id": (lambda d: d["dimensions"][1].update(id="governance"), "duplicate id `governance`"),
    "duplicate text": (lambda d: d["dimensions"][1]["questions"][0].update(
        text="model releases pass review within two weeks"), "duplicate question text"),
    "unknown scale": (lambda d: d["dimensions"][0]["questions"][0].update(scale="agree7"), "unknown scale `agree7`"),
    "unknown role": (lambda d: d["dimensions"][1]["questions"][1].update(roles=["ds", "cfo"]), "unknown role `cfo`"),
    "unknown dimension in action": (lambda d: d["actions"][0].update(dimension="nope"), "unknown dimension `nope`"),
    "unknown after": (lambda d: d["actions"][0].update(after=["XX"]), "unknown action `XX`"),
    "levels not ascending": (lambda d: d["levels"][2].update(min=10), "levels must ascend"),
    "after cycle": (lambda d: d["actions"][0].update(after=["MON-A"]), "cycle"),
    "single owner group": (lambda d: d["actions"][0].update(owners=["ds", "ops"]), "dual accountability"),
    "wrong type": (lambda d: d["dimensions"][0].update(weight="heavy"), "weight"),
    "numeric without bounds": (lambda d: d["dimensions"][0]["questions"][2].pop("worst"), "worst"),
    "bad phase": (lambda d: d["actions"][0].update(phase=4), "phase"),
    # format additions of version 2 (issue #13)
    "min not below max": (lambda d: d["dimensions"][0]["questions"][2].update(min=200, max=100), "`min` must be below"),
    "unknown unit": (lambda d: d["dimensions"][0]["questions"][2].update(unit="fortnights"), "unknown unit"),
    "best outside bounds": (lambda d: d["dimensions"][0]["questions"][2].update(min=10, max=365), "lies outside `min`..`max`"),
    "unscored fact with worst": (lambda d: d["dimensions"][0]["questions"][2].update(scored=False, min=0, max=400),
                                 "takes no `worst`/`best`"),
    "unscored fact without bounds": (lambda d: d["dimensions"][0]["questions"][2].update(
        scored=False, worst=None, best=None), "needs `min` and `max`"),
    "unscored scale item": (lambda d: d["dimensions"][0]["questions"][0].update(scored=False), "only for numeric"),
    "headline on a scale item": (lambda d: d["dimensions"][0]["questions"][0].update(headline=True), "only for numeric"),
    "bounds on a scale item": (lambda d: d["dimensions"][0]["questions"][0].update(min=1), "only for numeric"),
    "owners not the RACI union": (lambda d: d["actions"][0].update(accountable="exec", responsible=["ds"]),
                                  "`owners` must be exactly"),
    "responsible without accountable": (lambda d: d["actions"][0].update(responsible=["ops"]), "needs an `accountable`"),
    "unknown accountable": (lambda d: d["actions"][0].update(accountable="cfo", owners=["cfo", "ops"],
                                                              responsible=["ops"]), "unknown role `cfo`"),
    "side on some roles only": (lambda d: d["roles"][0].update(side="business"), "declare it on every role"),
    "one side only": (lambda d: [r.update(side="technology") for r in d["roles"]], "business-side and a technology-side"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_questionnaires_are_refused_with_location(tmp_path, runner, name):
    fn, expected = BROKEN[name]
    path = write(tmp_path, mutate(fn))
    with pytest.raises(QuestionnaireError) as info:
        load_questionnaire(path)
    assert expected in str(info.value)
    result = runner.invoke(cli, ["questionnaire", "validate", str(path)])
    assert result.exit_code == 1
    first = result.output.strip().splitlines()[0]
    assert first.startswith(f"{path}:")
    line = int(first.split(":")[1])
    assert line > 0
    assert "Traceback" not in result.output


def test_line_number_points_at_offending_node(tmp_path):
    text = GOOD.replace("    reverse: true\n", "    reverse: true\n    colour: red\n", 1)
    path = write(tmp_path, text)
    with pytest.raises(QuestionnaireError) as info:
        load_questionnaire(path)
    problem = info.value.problems[0]
    assert text.splitlines()[problem.line - 1].strip().startswith("colour:")


def test_alias_bomb_is_refused_fast(tmp_path):
    path = write(tmp_path, _alias_bomb())
    start = time.perf_counter()
    with pytest.raises(QuestionnaireError) as info:
        load_questionnaire(path)
    assert time.perf_counter() - start < 5  # generous: the point is it does not hang
    assert "alias bomb" in str(info.value)


@pytest.mark.parametrize("text,expected", [
    ("!!python/object/apply:os.system ['true']\n", "invalid YAML"),
    ("a: [1, 2\n", "invalid YAML"),
    ("", "empty"),
    ("- just\n- a list\n", "mapping"),
    ("id: x\nid: y\n", "duplicate key"),
])
def test_hostile_or_malformed_yaml(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(QuestionnaireError) as info:
        load_questionnaire(path)
    assert expected in str(info.value)
    assert str(path) in str(info.value)


def test_missing_file_and_unknown_id(tmp_path, runner):
    result = runner.invoke(cli, ["questionnaire", "show", "no-such-questionnaire"])
    assert result.exit_code == 1
    assert "no questionnaire file or bundled id" in result.output
    result = runner.invoke(cli, ["questionnaire", "validate", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 1
    assert "file not found" in result.output


def test_help_does_not_import_heavy_libraries():
    code = ("import sys; from assessment.cli import cli; "
            "heavy = [m for m in ('pandas', 'weasyprint', 'openpyxl', 'numpy', 'pydantic') if m in sys.modules]; "
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_markdown_and_yaml_show(runner, worked_yaml):
    result = runner.invoke(cli, ["questionnaire", "show", str(worked_yaml), "--format", "yaml"])
    assert result.exit_code == 0
    assert yaml.safe_load(result.output)["id"] == "worked-example"
    result = runner.invoke(cli, ["questionnaire", "show", str(worked_yaml)])
    assert "## Governance" in result.output


def test_show_yaml_round_trips_through_the_validator(runner, tmp_path):
    result = runner.invoke(cli, ["questionnaire", "show", "ai-friction", "--format", "yaml"])
    path = write(tmp_path, result.output, "copy.yaml")
    assert load_questionnaire(path) == load_questionnaire("ai-friction")
    question = json.loads(runner.invoke(cli, ["questionnaire", "show", "ai-friction", "--format", "json"])
                          .output)["dimensions"][0]["questions"][0]
    assert {"id", "text", "type", "scale", "weight", "reverse", "roles"} <= set(question)  # null where unset


def test_format_additions_load_and_round_trip(tmp_path, runner):
    """The version 2 keys on the worked example: an unscored headline fact, evidence, probes,
    sides and RACI; `show --format yaml` round-trips them."""
    def add(d):
        for r, side in zip(d["roles"], ("business", "technology", "technology"), strict=True):
            r["side"] = side
        d["dimensions"][0]["probes"] = ["Walk me through the last release."]
        d["dimensions"][0]["questions"][2].update(min=0, max=730, unit="days", headline=True,
                                                   evidence="Change records")
        d["dimensions"][0]["questions"].insert(3, {"id": "GOV-4", "text": "Override rate", "type": "numeric",
                                                   "scored": False, "min": 0, "max": 100, "unit": "percent"})
        d["actions"][0].update(accountable="exec", responsible=["ops"])
        d["profile"]["deployment"] = {"text": "Which AI system do you use most?"}
    path = write(tmp_path, mutate(add))
    q = load_questionnaire(path)
    assert [x.id for x in q.dimension_by_id["governance"].scored_questions] == ["GOV-1", "GOV-2", "GOV-3"]
    assert not q.questions["GOV-4"].scored and q.questions["GOV-4"].answer_range == (0.0, 100.0)
    assert q.questions["GOV-3"].answer_range == (0.0, 730.0) and q.questions["GOV-3"].headline
    assert q.action_by_id["GOV-A"].raci_roles == ["exec", "ops"]
    dumped = runner.invoke(cli, ["questionnaire", "show", str(path), "--format", "yaml"]).output
    assert "scored: false" in dumped and "scored_flag" not in dumped
    assert load_questionnaire(write(tmp_path, dumped, "copy.yaml")) == q
