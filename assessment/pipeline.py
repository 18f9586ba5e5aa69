"""One way from a workspace to its numbers: load the responses, score them, plan.

``score``, ``plan``, ``report`` and ``demo`` all call :func:`evaluate`, so the
four commands cannot load, filter or score a round differently. The stages hand
each other typed objects (:class:`~assessment.scoring.ScoreResult`,
:class:`~assessment.planning.Plan`); nothing downstream re-reads text written by
an earlier stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .engagement import Workspace
from .errors import AssessmentError, PlanError

if TYPE_CHECKING:
    from .planning import Plan
    from .responses import Responses
    from .scoring import ScoreResult

__all__ = ["Evaluation", "evaluate", "load_round", "resolve_dimension", "resolve_name", "resolve_unit"]


@dataclass(frozen=True)
class Evaluation:
    """A scored (and, where possible, planned) round of one workspace.

    ``plan`` is None when no plan can be built; ``plan_error`` then says why (the
    report shows a marked draft, ``assess plan`` reports the error).
    """

    workspace: Workspace
    round: str
    unit: str | None
    responses: Responses
    scores: ScoreResult
    plan: Plan | None = None
    plan_error: PlanError | None = None


def _workspace(workspace: Workspace | str | Path) -> Workspace:
    return workspace if isinstance(workspace, Workspace) else Workspace(workspace)


def load_round(workspace: Workspace | str | Path, *, round: str | None = None,
               unit: str | None = None) -> tuple[str, Responses]:
    """``(round name, responses)`` of one round (default: the current one), optionally one unit.

    Raises :class:`AssessmentError` when there is nobody to score, naming the store.
    """
    from .store import current_round_name, load_workspace_responses

    ws = _workspace(workspace)
    responses = load_workspace_responses(ws, round=round, unit=unit)
    if len(responses.respondents) == 0 and unit is not None:
        units = _units(ws, round)
        if units and unit.casefold() not in {u.casefold() for u in units}:
            raise AssessmentError(f"no business unit {unit!r}" + (f" in round {round!r}" if round else "")
                                  + f"; units: {', '.join(units)}", file=ws.store_path)
    if len(responses.respondents) == 0:
        where = (f" for unit {unit!r}" if unit else "") + (f" in round {round!r}" if round else "")
        raise AssessmentError(f"no respondents to score{where}; import responses first with `assess import FILE`",
                              file=ws.store_path)
    return (round or current_round_name(ws)), responses


def _units(ws: Workspace, round: str | None) -> list[str]:
    from .store import load_workspace_responses

    units = load_workspace_responses(ws, round=round).respondents["unit"].astype("string").dropna().str.strip()
    return sorted({u for u in units if u})


def resolve_name(text: str, choices: dict[str, list[str]], kind: str) -> str:
    """The key of ``choices`` (id -> its names: id, title, ...) that ``text`` names.

    Case-insensitive; an exact id or name wins, else an unambiguous prefix of one. Raises
    :class:`AssessmentError` listing the valid ones (or the ambiguous matches).
    """
    wanted = text.strip().casefold()
    for test in (lambda name: name == wanted, lambda name: name.startswith(wanted)):
        hits = [key for key, names in choices.items() if any(test(n.casefold()) for n in names)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise AssessmentError(f"{kind} `{text}` is ambiguous: it could be {', '.join(hits)}")
    raise AssessmentError(f"unknown {kind} `{text}`; {kind}s: {', '.join(choices) or 'none'}")


def resolve_dimension(questionnaire: Any, text: str) -> str:
    """The id of the dimension (friction point) ``text`` names: its id, its title or a prefix of
    either, case-insensitive (``gov``, ``Governance``)."""
    return resolve_name(text, {d.id: [d.id, d.title] for d in questionnaire.dimensions}, "dimension")


def resolve_unit(workspace: Workspace | str | Path, text: str, *, round: str | None = None) -> str:
    """The business unit of the round (default: the current one) that ``text`` names, as stored:
    exact or an unambiguous prefix, case-insensitive."""
    ws = _workspace(workspace)
    try:
        return resolve_name(text, {u: [u] for u in _units(ws, round)}, "unit")
    except AssessmentError as exc:
        raise AssessmentError(exc.message, file=ws.store_path) from None


def exclude_flags(workspace: Workspace, include_flagged: bool = False) -> list[str]:
    """The quality flags that leave a respondent out of the scores (none with ``include_flagged``)."""
    return [] if include_flagged else list(workspace.engagement.exclude_flags)


def evaluate(workspace: Workspace | str | Path, *, round: str | None = None, unit: str | None = None,
             plan: bool = True, max_shift: float | None = None, include_flagged: bool = False,
             **score_options: Any) -> Evaluation:
    """Load a round of ``workspace``, score it and (with ``plan``) build the 90-day plan.

    Respondents with a quality flag the engagement excludes (``exclude_flags``) are
    left out unless ``include_flagged``. ``score_options`` go to
    :func:`assessment.scoring.score` (``aggregation``, ``n_resamples``, ``seed``, ``by``,
    ``sensitivity``). A plan that cannot be built (no deployment to harden, say) leaves
    ``plan`` None and ``plan_error`` set; ``max_shift`` overrides the engagement's cap.
    """
    from .scoring import score

    ws = _workspace(workspace)
    name, responses = load_round(ws, round=round, unit=unit)
    scores = score(ws.questionnaire, responses, exclude_flags=exclude_flags(ws, include_flagged), **score_options)
    built, error = None, None
    if plan:
        from .planning import build_plan

        try:
            built = build_plan(ws.questionnaire, ws.engagement, scores, max_shift=max_shift)
        except PlanError as exc:
            error = PlanError(exc.message, file=ws.engagement_path if exc.file else None)
    return Evaluation(workspace=ws, round=name, unit=unit, responses=responses, scores=scores, plan=built,
                      plan_error=error)
