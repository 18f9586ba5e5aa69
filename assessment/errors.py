"""One exception family for every problem a user can fix.

The CLI turns :class:`AssessmentError` into a one-line ``Error: <file>: <what>``
message with exit code 1; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as we can."""

    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: tuple = field(default=())

    def __str__(self) -> str:
        where = self.file or ""
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}" if where else self.message


class AssessmentError(Exception):
    """Base class: bad input or state the user can fix (exit code 1)."""

    def __init__(self, message: str, *, file: str | Path | None = None,
                 problems: list[Problem] | None = None) -> None:
        self.file = str(file) if file is not None else None
        self.problems = list(problems or [])
        self.message = message
        super().__init__(self.one_line())

    def one_line(self) -> str:
        text = f"{self.file}: {self.message}" if self.file and not self.message.startswith(self.file) else self.message
        if len(self.problems) > 1:
            text += f" (and {len(self.problems) - 1} more problem{'s' if len(self.problems) > 2 else ''})"
        return text


class QuestionnaireError(AssessmentError):
    """The questionnaire YAML is unreadable or breaks the format's rules."""


class EngagementError(AssessmentError):
    """engagement.yaml or the workspace is missing or invalid."""


class ImportFailed(AssessmentError):
    """A response file could not be imported; nothing was stored."""


class StoreError(AssessmentError):
    """The response store is missing, damaged or in conflict with an import."""


class PlanError(AssessmentError):
    """No 90-day plan can be built from these inputs."""


class ReportError(AssessmentError):
    """A report or workbook could not be written."""


class GuideError(AssessmentError):
    """The workshop guide cannot be produced as asked (unknown role, unsupported file type)."""
