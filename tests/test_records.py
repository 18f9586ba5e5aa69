"""Loaded questionnaires and engagements are read-only records; the cache of validated
files gives the very records validation gives, and never stands in for a changed file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from assessment import records
from assessment.engagement import RECORDS as ENGAGEMENT_RECORDS
from assessment.engagement import init_workspace, load_engagement
from assessment.errors import EngagementError, QuestionnaireError
from assessment.questionnaire import RECORDS as QUESTIONNAIRE_RECORDS
from assessment.questionnaire import bundled_questionnaires, load_questionnaire
from assessment.yamlsafe import load_yaml

ROOT = Path(__file__).resolve().parents[1]
DEMO_ENGAGEMENT = ROOT / "questionnaires" / "samples" / "engagement.yaml"
QUESTIONNAIRES = [*bundled_questionnaires().values(), Path(__file__).parent / "data" / "worked.yaml"]


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "assess" / "validated"


def _model_dump(path: Path, schema_class) -> dict:
    data, _ = load_yaml(path)
    if schema_class.__name__ == "Engagement" and data.get("deployments") is None:
        data["deployments"] = []
    return schema_class.model_validate(data).model_dump(mode="json")


@pytest.mark.parametrize("path", QUESTIONNAIRES, ids=lambda p: p.name)
def test_questionnaire_records_hold_what_pydantic_validated(path, cache_home):
    from assessment.questionnaire_schema import Questionnaire as Schema

    validated = load_questionnaire(path)  # validates, then caches
    assert len(list(cache_home.glob("questionnaire-*.json"))) == 1
    again = load_questionnaire(path)  # from the cache
    assert again == validated and again is not validated
    assert validated.to_dict() == again.to_dict() == _model_dump(path, Schema)
    assert again.questions.keys() == validated.questions.keys()
    assert [d.narratives for d in again.dimensions] == [d.narratives for d in validated.dimensions]


def test_engagement_records_hold_what_pydantic_validated(cache_home, tmp_path):
    from assessment.engagement_schema import Engagement as Schema

    for path in (DEMO_ENGAGEMENT, init_workspace(tmp_path / "ws", "Acme").engagement_path):
        validated = load_engagement(path)
        again = load_engagement(path)
        assert again == validated and again is not validated
        assert again.to_data() == _model_dump(path, Schema)
    demo = load_engagement(DEMO_ENGAGEMENT)
    assert demo.date.isoformat() == "2025-03-28" and demo.invited and demo.risks and demo.people
    assert all(d.value_at_stake == d.annual_value * (1 - d.realized_share) for d in demo.deployments)


def test_a_changed_file_is_validated_again(cache_home, tmp_path):
    path = tmp_path / "engagement.yaml"
    path.write_text(DEMO_ENGAGEMENT.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_engagement(path).min_group_size == 5
    path.write_text(path.read_text(encoding="utf-8") + "\nmin_group_size: 0\n", encoding="utf-8")
    with pytest.raises(EngagementError, match="min_group_size"):
        load_engagement(path)  # the old entry does not stand in for the new bytes
    bad = tmp_path / "q.yaml"
    bad.write_text(QUESTIONNAIRES[-1].read_text(encoding="utf-8").replace("reverse: true", "revese: true", 1),
                   encoding="utf-8")
    with pytest.raises(QuestionnaireError, match="revese"):
        load_questionnaire(bad)
    assert not list(cache_home.glob("questionnaire-*.json"))  # nothing cached for a failed file


def test_a_damaged_or_disabled_cache_is_not_used(cache_home, monkeypatch):
    first = load_questionnaire(QUESTIONNAIRES[-1])
    (entry,) = cache_home.glob("questionnaire-*.json")
    entry.write_text('{"$r": "Questionnaire", "v": {"id": "forged"', encoding="utf-8")  # cut short
    assert load_questionnaire(QUESTIONNAIRES[-1]) == first
    entry.unlink()
    monkeypatch.setenv("ASSESS_NO_CACHE", "1")
    assert load_questionnaire(QUESTIONNAIRES[-1]) == first
    assert not list(cache_home.glob("*.json"))


def test_records_are_read_only_and_the_cache_is_pruned(cache_home, monkeypatch):
    q = load_questionnaire(QUESTIONNAIRES[-1])
    with pytest.raises(AttributeError):
        q.id = "other"
    with pytest.raises(AttributeError):
        q.dimensions[0].weight = 2.0
    monkeypatch.setattr(records, "MAX_ENTRIES", 2)
    for size in (1, 2, 3):
        path = cache_home.parent / f"e{size}.yaml"
        path.write_text(DEMO_ENGAGEMENT.read_text(encoding="utf-8") + f"\nmin_group_size: {size}\n", encoding="utf-8")
        load_engagement(path)
    assert len(list(cache_home.glob("*.json"))) == 2


def test_records_classes_cover_every_schema_model():
    from assessment import engagement_schema, questionnaire_schema

    for module, known in ((questionnaire_schema, QUESTIONNAIRE_RECORDS), (engagement_schema, ENGAGEMENT_RECORDS)):
        models = {name for name, obj in vars(module).items()
                  if isinstance(obj, type) and hasattr(obj, "model_fields") and not name.startswith("_")
                  and obj.__module__ == module.__name__}
        assert models == set(known)


def test_a_command_on_cached_files_imports_neither_pydantic_nor_yaml(tmp_path):
    import uuid

    ws = init_workspace(tmp_path / "ws", f"Client {uuid.uuid4()}")  # bytes no earlier test cached
    code = ("import sys; from assessment.engagement import Workspace; w = Workspace(sys.argv[1]); "
            "w.questionnaire; w.engagement; print(sorted({m.split('.')[0] for m in sys.modules} & {'pydantic', 'yaml'}))")
    runs = [subprocess.run([sys.executable, "-c", code, str(ws.root)], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.strip() for _ in range(2)]
    assert runs == ["['pydantic', 'yaml']", "[]"]  # validated once, then read from the cache


def test_the_cache_size_limit_is_the_yaml_loaders():
    from assessment import yamlsafe

    assert records._MAX_BYTES == yamlsafe.MAX_BYTES


def test_the_plans_built_in_actions_are_whole_valid_actions():
    # The plan adds two actions of its own (measure the P&L baseline, a controlled go-live);
    # built in code, they must hold every field a library action has, with valid values.
    from assessment.planning.select import built_in_baseline, built_in_go_live
    from assessment.questionnaire_schema import Action as Schema

    q = load_questionnaire("ai-friction@2")
    target = load_engagement(DEMO_ENGAGEMENT).deployments[0]
    for action in (built_in_baseline(q, target), built_in_go_live(q, target)):
        assert set(action.values()) == set(q.actions[0].values())
        assert Schema.model_validate(action.to_data()).model_dump(mode="json") == action.to_data()
