"""Which survey tool wrote a file, and how many header rows it has, from content alone.

File names lie (``export (3).csv``); header fingerprints do not. See BRIEF.md section 5.
"""

from __future__ import annotations

import re

from .reading import TEMPLATE_SHEET, Grid

SOURCES = ("template", "wide", "google-forms", "microsoft-forms", "surveymonkey", "qualtrics", "limesurvey", "typeform")

#: The first header of a Google Forms response sheet, in the languages Sheets writes it in.
GOOGLE_TIMESTAMP = ("timestamp", "marca temporal", "horodateur", "zeitstempel", "informazioni cronologiche",
                    "carimbo de data/hora", "tijdstempel", "sygnatura czasowa", "отметка времени", "タイムスタンプ",
                    "时间戳", "時間戳記", "타임스탬프", "tidstämpel", "tidsstempel", "aikaleima", "zaman damgası",
                    "časová značka", "dấu thời gian")
_GOOGLE_TIMESTAMP = set(GOOGLE_TIMESTAMP)
_MS_FORMS = ["id", "start time", "completion time", "email", "name"]
_LIME_CODES = ["id", "submitdate", "lastpage", "startlanguage"]
_RESPONSE_ID = re.compile(r"^R_[A-Za-z0-9]+$")
_LIME_TEXT = ["response id", "date submitted", "last page", "start language"]


def _norm(cell: str) -> str:
    return " ".join(cell.split()).casefold()


def _row(grid: Grid, i: int) -> list[str]:
    return [_norm(c) for c in grid.rows[i]] if i < len(grid.rows) else []


def detect_source(grid: Grid) -> str:
    """The tool name (one of :data:`SOURCES`); ``wide`` when no fingerprint matches."""
    first = _row(grid, 0)
    if not first:
        return "wide"
    if first[0] == "respondent id" and grid.sheet == TEMPLATE_SHEET:
        return "template"
    if ("startdate" in first and any(c in ("responseid",) for c in first)) or first[:3] == ["v1", "v2", "v3"]:
        return "qualtrics"
    if first[0] == "respondent id" and "collector id" in first:
        return "surveymonkey"
    if first[0] == "#":
        return "typeform"
    if first[0] in _GOOGLE_TIMESTAMP:
        return "google-forms"
    if first[:5] == _MS_FORMS or first[:3] == _MS_FORMS[:3]:
        return "microsoft-forms"
    if first[:4] in (_LIME_CODES, _LIME_TEXT):
        return "limesurvey"
    return "wide"


def header_rows(grid: Grid, source: str) -> int:
    """How many rows at the top are headers for this tool (data starts after them)."""
    if source == "surveymonkey":
        second = _row(grid, 1)
        # Row 2 is empty over the metadata columns and holds "Response" or statements.
        if second and not any(second[:2]) and any(second):
            return 2
        return 1
    if source == "qualtrics":
        first, third = _row(grid, 0), grid.rows[2] if len(grid.rows) > 2 else []
        if any(c.lstrip().startswith(('{"ImportId"', "{'ImportId'")) for c in third):
            return 3
        if first[:3] == ["v1", "v2", "v3"]:
            return 2
        # Without the ImportId row: is row 2 the question-text row, or already a response
        # (a user deleted the extra header rows in Excel)?
        key = next((j for j, c in enumerate(first) if c == "responseid"), None)
        second = grid.rows[1] if len(grid.rows) > 1 else []
        if key is not None and second and _RESPONSE_ID.match(second[key].strip()):
            return 1
        return 2 if len(grid.rows) > 1 else 1
    return 1
