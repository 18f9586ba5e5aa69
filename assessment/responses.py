"""The tidy shape of collected answers, shared by importers, the store and scoring.

Two DataFrames:

``respondents`` — one row per respondent:
    ``respondent_id`` (str, unique), ``role`` (role id, str), ``unit`` (str or <NA>),
    plus optional provenance columns (``source_file``, ``source_row``, ``submitted``,
    ``round``, ``flags``).

``answers`` — one row per respondent x question that has any cell in the source:
    ``respondent_id``, ``question_id``, ``raw`` (text as read, str or <NA>),
    ``value`` (float: the scale point value, the number for numeric questions, NaN
    for N/A, blank and text answers), ``state`` (``answered`` | ``na`` | ``blank``).

Scale answers keep the *scale point value* (e.g. 4 on a 1-5 scale), not the 0-100
item score: scoring does the keying, so a trace can show every step.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from .questionnaire import Questionnaire

ANSWERED, NA, BLANK = "answered", "na", "blank"
RESPONDENT_COLUMNS = ["respondent_id", "role", "unit"]
ANSWER_COLUMNS = ["respondent_id", "question_id", "raw", "value", "state"]


@dataclass(frozen=True)
class AnswerCodes:
    """Some text columns of one answers frame as integer codes into their distinct texts.

    The store and its snapshot hold the answers' respondent, question and state columns
    this way anyway. Scoring matches every answer to its respondent and question; through
    the codes it looks up a few thousand distinct texts instead of hashing 300,000 cells
    again. The codes describe ``frame`` only, the very object they were made with:
    :meth:`Responses.positions` ignores them for any other frame.
    """

    frame: pd.DataFrame
    #: column -> (codes, distinct texts); code -1 is a missing value
    columns: dict[str, tuple[np.ndarray, np.ndarray]]

    def positions(self, column: str, keys: Iterable[str]) -> np.ndarray:
        """Position of each row's text in ``keys`` (-1: not there, or missing)."""
        import numpy as np
        import pandas as pd

        codes, texts = self.columns[column]
        found = pd.Index(list(keys), dtype="str").get_indexer(pd.Index(texts, dtype="str"))
        return np.append(found, -1)[codes]

    def take(self, mask: np.ndarray, frame: pd.DataFrame) -> AnswerCodes:
        """The codes of the rows ``mask`` keeps, for ``frame``: those rows."""
        return AnswerCodes(frame, {name: (codes[mask], texts) for name, (codes, texts) in self.columns.items()})


def text_column(codes: np.ndarray, texts: np.ndarray) -> pd.Series:
    """Codes into ``texts`` as a str column of shared text objects (code -1 as NaN, the str
    dtype's own missing value, so pandas takes the array as it is): how the store and its
    snapshot turn their coded columns into a frame's."""
    import numpy as np
    import pandas as pd

    return pd.Series(np.append(texts, np.nan)[codes], dtype="str", copy=False)


@dataclass(frozen=True)
class Responses:
    """Respondents and their answers in tidy form (see module docstring).

    ``codes`` (optional, set by the store): the answers' key columns as integer codes,
    a faster way to the same :meth:`positions`.
    """

    respondents: pd.DataFrame
    answers: pd.DataFrame
    codes: AnswerCodes | None = field(default=None, compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.respondents)

    def _codes(self, column: str) -> AnswerCodes | None:
        coded = self.codes
        return coded if coded is not None and coded.frame is self.answers and column in coded.columns else None

    def positions(self, column: str, keys: Iterable[str]) -> np.ndarray:
        """Position of each answer's ``column`` text in ``keys`` (-1: not there, or missing)."""
        coded = self._codes(column)
        if coded is not None:
            return coded.positions(column, keys)
        import pandas as pd

        return pd.Index(list(keys), dtype="str").get_indexer(self.answers[column].astype("str"))

    def subset(self, respondent_ids: Iterable[str]) -> Responses:
        """Only these respondents (e.g. one business unit)."""
        import numpy as np
        import pandas as pd

        keep = set(respondent_ids.tolist() if hasattr(respondent_ids, "tolist") else respondent_ids)
        r = self.respondents[self.respondents["respondent_id"].isin(keep)].reset_index(drop=True)
        coded = self._codes("respondent_id")
        if coded is None:
            return Responses(r, self.answers[self.answers["respondent_id"].isin(keep)].reset_index(drop=True))
        codes, texts = coded.columns["respondent_id"]
        mask = np.append(pd.Index(texts, dtype="str").isin(keep), False)[codes]
        a = self.answers[mask].reset_index(drop=True)
        return Responses(r, a, coded.take(mask, a))

    def for_unit(self, unit: str) -> Responses:
        """Only the respondents of business unit ``unit`` (case and surrounding spaces ignored,
        as unit names are listed and resolved)."""
        mask = self.respondents["unit"].astype("string").str.strip().str.casefold() == unit.strip().casefold()
        return self.subset(self.respondents.loc[mask.fillna(False), "respondent_id"])


def asked_table(questionnaire: Questionnaire) -> Any:
    """Boolean (questions + 1) x (roles + 1) array, in questionnaire order: is question i
    asked of role j? The last row and column (index -1) stand for an unknown question or
    role and are all True, so callers holding positions (-1 for unknown) index it directly."""
    import numpy as np

    qids, rids = list(questionnaire.questions), [r.id for r in questionnaire.roles]
    table = np.ones((len(qids) + 1, len(rids) + 1), dtype=bool)  # last row/column: unknown
    for i, qid in enumerate(qids):
        for j, rid in enumerate(rids):
            table[i, j] = questionnaire.asked(questionnaire.questions[qid], rid)
    return table


def empty_responses() -> Responses:
    import pandas as pd

    return Responses(pd.DataFrame({c: pd.Series(dtype="str") for c in RESPONDENT_COLUMNS}),
                     pd.DataFrame({"respondent_id": pd.Series(dtype="str"), "question_id": pd.Series(dtype="str"),
                                   "raw": pd.Series(dtype="str"), "value": pd.Series(dtype="float64"),
                                   "state": pd.Series(dtype="str")}))


def from_records(records: Iterable[Mapping[str, Any]], questionnaire: Questionnaire | None = None) -> Responses:
    """Build :class:`Responses` from plain dicts, as in ``worked_example.json``::

        {"id": "r1", "role": "exec", "unit": "Retail", "answers": {"GOV-1": 4, "GOV-2": "NA", "GOV-3": None}}

    Values: a number (scale point value or numeric answer), ``"NA"`` for not
    applicable, ``None`` for blank, any other string for a text answer.
    """
    import pandas as pd

    people, cells = [], []
    for rec in records:
        rid = str(rec["id"])
        people.append({"respondent_id": rid, "role": rec["role"], "unit": rec.get("unit")})
        for qid, value in (rec.get("answers") or {}).items():
            if value is None or (isinstance(value, float) and math.isnan(value)):
                cells.append((rid, qid, None, math.nan, BLANK))
            elif isinstance(value, str) and value.strip().upper() in ("NA", "N/A"):
                cells.append((rid, qid, value, math.nan, NA))
            elif isinstance(value, int | float) and not isinstance(value, bool):
                cells.append((rid, qid, f"{value:g}", float(value), ANSWERED))
            else:
                cells.append((rid, qid, str(value), math.nan, ANSWERED))
    respondents = pd.DataFrame(people, columns=RESPONDENT_COLUMNS)
    answers = pd.DataFrame(cells, columns=ANSWER_COLUMNS)
    answers["value"] = answers["value"].astype("float64")
    return Responses(respondents, answers)
