"""Gather a report's inputs from a workspace: responses, scores, traces, plan, import log.

Kept apart from rendering so a notebook can build :class:`ReportInputs` by hand and
the CLI, the demo and the per-unit workers all load a workspace the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..engagement import Workspace
from ..errors import AssessmentError, ReportError
from .context import ReportInputs, report_date, slug


def list_units(workspace: Workspace, round: str | None = None) -> list[str]:
    """The business units present in a round, sorted (respondents without a unit are left out)."""
    from ..store import load_workspace_responses

    resp = load_workspace_responses(workspace, round=round)
    units = resp.respondents["unit"].astype("string").dropna().str.strip()
    return sorted({u for u in units if u})


def unit_sizes(workspace: Workspace, round: str | None = None) -> dict[str, int]:
    """Respondents scored per business unit (the ones a quality flag leaves out are not counted)."""
    from ..scoring.exclusion import exclude_flagged
    from ..store import load_workspace_responses

    resp, _ = exclude_flagged(load_workspace_responses(workspace, round=round),
                              workspace.engagement.exclude_flags)
    units = resp.respondents["unit"].astype("string").dropna().str.strip()
    return {str(k): int(v) for k, v in units.value_counts().items() if k}


def _previous_round(workspace: Workspace, round: str | None) -> tuple[str, str] | None:
    from ..store import open_store

    if not workspace.store_path.exists():
        return None
    with open_store(workspace.store_path, create=False) as store:
        rounds = store.rounds()
        current = store.resolve_round(round)
    names = [r["name"] for r in rounds]
    if current not in names:
        return None
    earlier = [r for r in rounds[: names.index(current)] if r["respondents"]]
    return (earlier[-1]["name"], current) if earlier else None


def report_inputs_from_workspace(workspace: Workspace | str | Path, *, unit: str | None = None,
                                 round: str | None = None, compare: bool = True,
                                 include_flagged: bool = False) -> ReportInputs:
    """Load, score and plan a workspace (optionally one business unit or round).

    With ``compare`` (default) and an earlier round holding responses, the report
    gets a "progress since" comparison with the round before this one. With
    ``include_flagged`` the respondents ``exclude_flags`` would leave out are scored.
    """
    from ..pipeline import evaluate
    from ..scoring import compare_rounds, explain
    from ..store import load_workspace_responses, open_store

    ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
    q, eng = ws.questionnaire, ws.engagement
    try:
        ev = evaluate(ws, round=round, unit=unit, include_flagged=include_flagged, by=None if unit else "unit")
    except AssessmentError as exc:
        raise ReportError(exc.message, file=exc.file) from None
    responses = ev.responses
    # The trace and the comparison leave out the respondents the score left out.
    left_out = ev.scores.excluded["flags"]
    traces = {d.id: explain(q, responses, d.id, exclude_flags=left_out) for d in q.dimensions}
    with open_store(ws.store_path, create=False) as store:
        log = store.imports(round)
    progress = None
    pair = _previous_round(ws, round) if compare else None
    if pair is not None:
        base = load_workspace_responses(ws, round=pair[0], unit=unit)
        if len(base):
            progress = compare_rounds(q, base, responses, names=("baseline", "current"), exclude_flags=left_out)
            progress["baseline_round"], progress["current_round"] = pair
            progress["saved_plan"] = _saved_plan(ws, pair[0])
    logo = None
    if eng.logo:
        logo = (ws.root / eng.logo).resolve()
        if not logo.is_relative_to(ws.root):
            raise ReportError("logo must be a file inside the workspace", file=str(ws.engagement_path))
    return ReportInputs(questionnaire=q, engagement=eng, scores=ev.scores, plan=ev.plan, explain=traces,
                        responses=responses, import_log=log, progress=progress, logo_path=logo, unit=unit,
                        round=ev.round)


def _saved_plan(ws: Workspace, round_name: str) -> dict[str, Any] | None:
    """The plan saved with ``assess plan --save`` at ``round_name``, if any (for tracking)."""
    import json

    path = ws.plan_path(round_name)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def default_report_path(workspace: Workspace, inputs: ReportInputs | None = None, *, unit: str | None = None,
                        suffix: str = ".pdf") -> Path:
    """``reports/<client-slug>[-<unit-slug>][-<round-slug>]-<YYYY-MM-DD>.pdf`` inside the workspace.

    The round is in the name so a day-90 report never replaces the baseline's.
    """
    date = report_date(inputs) if inputs is not None else None
    if date is None:
        import datetime as dt
        import os

        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        date = dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date() if epoch and epoch.isdigit() else dt.date.today()
    round_name = inputs.round if inputs is not None else None
    name = (slug(workspace.engagement.client) + (f"-{slug(unit)}" if unit else "")
            + (f"-{slug(round_name)}" if round_name else "") + f"-{date.isoformat()}{suffix}")
    return workspace.reports_dir / name
