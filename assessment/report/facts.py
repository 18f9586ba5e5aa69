"""The numeric facts respondents gave (days waiting, share of pilots in production, ...).

A fact is reported as the median answer (as numpy computes it), the range (lowest
to highest answer) and n (the respondents who answered), from the respondents the
score kept. A fact answered by fewer people than the report's minimum group size is
not reported at all: a median of three answers identifies them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..questionnaire import Question, Questionnaire
    from ..responses import Responses

UNIT_WORDS = {"percent": "%", "%": "%", "days": "days", "weeks": "weeks", "months": "months", "hours": "hours",
              "count": "", "ratio": "×"}


@dataclass(frozen=True)
class Fact:
    """The answers to one numeric question."""

    id: str
    dimension: str
    text: str
    unit: str
    headline: bool
    n: int
    median: float | None
    low: float | None
    high: float | None

    def value(self, x: float | None) -> str:
        """``154 days``, ``27%``, ``2.5×`` (the unit the questionnaire gives)."""
        if x is None:
            return "–"
        word = UNIT_WORDS.get(self.unit, self.unit)
        number = fmt_fact_number(x)
        return f"{number}%" if word == "%" else f"{number}×" if word == "×" else f"{number} {word}".strip()

    @property
    def median_text(self) -> str:
        return self.value(self.median)

    @property
    def range_text(self) -> str:
        if self.low is None or self.high is None:
            return "–"
        span = f"{fmt_fact_number(self.low)}–{fmt_fact_number(self.high)}"
        word = UNIT_WORDS.get(self.unit, self.unit)
        return f"{span}{word}" if word in ("%", "×") else f"{span} {word}".strip()


def fmt_fact_number(x: float) -> str:
    """A median or bound as printed: whole numbers without decimals, else one decimal (``72.5``)."""
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"


def _values(responses: Responses | None, qid: str) -> np.ndarray:
    if responses is None or not len(responses.answers):
        return np.array([])
    a = responses.answers
    sel = a[(a["question_id"] == qid) & (a["state"] == "answered")]
    vals = np.asarray([float(v) for v in sel["value"] if v is not None], dtype=float)
    return vals[np.isfinite(vals)]


def _fact(q: Questionnaire, question: Question, responses: Responses | None) -> Fact:
    vals = _values(responses, question.id)
    has = bool(vals.size)
    return Fact(id=question.id, dimension=q.question_dimension[question.id], text=question.text,
                unit=(question.unit or "").strip(), headline=bool(getattr(question, "headline", False)),
                n=int(vals.size), median=float(np.median(vals)) if has else None,
                low=float(vals.min()) if has else None, high=float(vals.max()) if has else None)


def numeric_facts(q: Questionnaire, responses: Responses | None, min_n: int) -> dict[str, Fact]:
    """Every numeric question answered by at least ``min_n`` respondents, by question id (questionnaire order)."""
    out = {}
    for question in q.questions.values():
        if question.type != "numeric":
            continue
        fact = _fact(q, question, responses)
        if fact.n >= min_n:
            out[fact.id] = fact
    return out


def all_numeric_stats(q: Questionnaire, responses: Responses | None) -> dict[str, Fact]:
    """Every numeric question's answers, whatever n (for the analysts' workbook, which suppresses itself)."""
    return {question.id: _fact(q, question, responses) for question in q.questions.values()
            if question.type == "numeric"}


def key_facts(facts: dict[str, Fact]) -> list[dict[str, Any]]:
    """The questionnaire's ``headline: true`` facts, for page 2."""
    return [{"id": f.id, "text": f.text, "median": f.median_text, "range": f.range_text, "n": f.n}
            for f in facts.values() if f.headline]
