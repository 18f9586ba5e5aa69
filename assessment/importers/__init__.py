"""Read survey-tool exports and our survey workbook into tidy respondents and answers.

Modules, one idea each: :mod:`.reading` (bytes to a grid of text), :mod:`.detect`
(which tool wrote it), :mod:`.columns` (which column is which question),
:mod:`.values` (cell text to values), :mod:`.tools` (each tool's metadata and
skip rules), :mod:`.mapping` (the explicit mapping file), :mod:`.parse` (the
orchestration behind :func:`read_responses`).
"""

from __future__ import annotations

from .detect import SOURCES, detect_source
from .mapping import Mapping, load_mapping
from .parse import CellProblem, ParsedFile, read_responses

__all__ = ["SOURCES", "CellProblem", "Mapping", "ParsedFile", "detect_source", "load_mapping", "read_responses"]
