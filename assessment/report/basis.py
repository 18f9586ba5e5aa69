"""What every report section is built from: the inputs plus the few facts all sections share."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .formatting import num

if TYPE_CHECKING:
    from ..questionnaire import Questionnaire, Role
    from ..responses import Responses
    from ..scoring import ScoreResult
    from .context import ReportInputs

DEFAULT_ACCENT = "#1F4E79"
GROUP_ORDER = {"leadership": 0, "oversight": 1, "practitioner": 2}


def thresholds(t: Mapping[str, Any]) -> dict[str, Any]:
    """The trust thresholds the template and the wording rules use, from ``ScoreResult.thresholds``."""
    return {"min_n": int(t["min_respondents"]), "rwg": float(t["rwg_min"]),
            "rwg_min_n": int(t["rwg_min_respondents"]), "alpha": float(t["alpha_min"]),
            "alpha_min_n": int(t["alpha_min_respondents"]), "gap": float(t["perception_gap_points"])}


def scored_responses(inputs: ReportInputs) -> Responses | None:
    """The responses without the respondents the score left out for a quality flag
    (``ScoreResult.excluded``), so every count in the report is of the people scored."""
    from ..scoring.exclusion import exclude_flagged

    if inputs.responses is None:
        return None
    return exclude_flagged(inputs.responses, inputs.scores.excluded["flags"])[0]


def role_counts(responses: Responses | None) -> dict[str, int]:
    """Respondents per role id (empty without responses)."""
    if responses is None:
        return {}
    vc = responses.respondents["role"].astype("string").value_counts()
    return {str(k): int(v) for k, v in vc.items()}


@dataclass(frozen=True)
class Basis:
    """The inputs of one report and the facts every section needs."""

    inputs: ReportInputs
    responses: Responses | None  # the respondents scored (see :func:`scored_responses`)
    rdate: dt.date
    th: dict[str, Any]
    role_n: dict[str, int]
    currency: str
    accent: str

    @classmethod
    def of(cls, inputs: ReportInputs, rdate: dt.date) -> Basis:
        eng = inputs.engagement
        responses = scored_responses(inputs)
        return cls(inputs=inputs, responses=responses, rdate=rdate, th=thresholds(inputs.scores.thresholds),
                   role_n=role_counts(responses),
                   currency=inputs.plan.currency if inputs.plan else eng.currency,
                   accent=eng.brand_colour or DEFAULT_ACCENT)

    @property
    def min_n(self) -> int:
        """The smallest group a client-facing number may come from: the engagement's
        ``min_group_size`` (anonymity) or the scorer's minimum, whichever is larger."""
        return max(int(self.inputs.engagement.min_group_size), int(self.th["min_n"]))

    @property
    def fewer(self) -> str:
        """What a suppressed cell says: ``fewer than 5``."""
        return f"fewer than {self.min_n}"

    def small(self, n: Any) -> bool:
        """Is a count of people too small to show a number from (zero counts are "not asked", not small)?"""
        v = num(n)
        return v is not None and 0 < v < self.min_n

    @property
    def q(self) -> Questionnaire:
        return self.inputs.questionnaire

    @property
    def scores(self) -> ScoreResult:
        return self.inputs.scores

    @property
    def n_total(self) -> int:
        return self.inputs.scores.respondents

    @property
    def n_roles(self) -> int:
        return len([r for r, n in self.role_n.items() if n > 0])

    @property
    def roles(self) -> list[Role]:
        """Roles ordered leadership -> oversight -> practitioners, questionnaire order within a group."""
        q = self.q
        return sorted(q.roles, key=lambda r: (GROUP_ORDER.get(r.group, 9), q.roles.index(r)))

    @property
    def ranked(self) -> list[dict[str, Any]]:
        """The scored friction points' score rows, lowest score first."""
        return sorted((d for d in self.scores.dimensions if num(d["score"]) is not None), key=lambda d: d["score"])
