"""AI-transformation assessment toolkit.

Usable from a notebook without the CLI::

    from assessment import evaluate, open_workspace
    ev = evaluate(open_workspace("acme"), round="baseline")
    ev.scores.to_frame()            # one row per friction point
    ev.plan.actions_frame()         # one row per funded action

Every function that reads a workspace takes an explicit ``round=`` (default: the
current round).

Names are imported lazily so that ``import assessment`` (and ``assess --help``)
stays fast: pandas, pydantic and weasyprint load only when first used.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "AssessmentError": "errors",
    "QuestionnaireError": "errors",
    "EngagementError": "errors",
    "ImportFailed": "errors",
    "StoreError": "errors",
    "PlanError": "errors",
    "ReportError": "errors",
    "Questionnaire": "questionnaire",
    "load_questionnaire": "questionnaire",
    "parse_questionnaire": "questionnaire",
    "validate_questionnaire": "questionnaire",
    "bundled_questionnaires": "questionnaire",
    "Engagement": "engagement",
    "Workspace": "engagement",
    "load_engagement": "engagement",
    "parse_engagement": "engagement",
    "init_workspace": "engagement",
    "open_workspace": "engagement",
    "find_workspace": "engagement",
    "Responses": "responses",
    "from_records": "responses",
    "SOURCES": "importers",
    "read_responses": "importers",
    "load_mapping": "importers",
    "ParsedFile": "importers",
    "CellProblem": "importers",
    "open_store": "store",
    "Store": "store",
    "load_workspace_responses": "store",
    "import_responses": "collect",
    "ImportReport": "collect",
    "write_survey_workbook": "template",
    "score": "scoring",
    "ScoreResult": "scoring",
    "item_scores": "scoring",
    "respondent_dimension_scores": "scoring",
    "explain": "scoring",
    "explain_respondent": "scoring",
    "weight_sensitivity": "scoring",
    "compare_rounds": "scoring",
    "Plan": "planning",
    "build_plan": "planning",
    "compare_scenarios": "planning",
    "evaluate": "pipeline",
    "Evaluation": "pipeline",
    "load_round": "pipeline",
    "resolve_dimension": "pipeline",
    "resolve_unit": "pipeline",
    "responses_summary": "store",
    "export_answers": "store",
    "remove_respondents": "collect",
    "report_inputs_from_workspace": "report",
    "render_pdf": "report",
    "write_results_workbook": "report",
    "ReportOptions": "report.batch",
    "write_report": "report.batch",
    "write_unit_reports": "report.batch",
    "resolve_report_unit": "report.batch",
    "run_checks": "doctor",
    "run_demo": "demo",
    "DemoResult": "demo",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'assessment' has no attribute {name!r}")
    return getattr(import_module(f".{module}", __name__), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


__all__ = sorted(_EXPORTS)
