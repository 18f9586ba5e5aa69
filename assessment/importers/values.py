"""Cell text to (value, state), one whole column at a time.

A column holds few distinct texts (five labels, a blank, a typo or two), so each
distinct text is parsed once and the result is spread over the column with a
dict lookup: fast on 10,000 respondents, and every unreadable text is reported
with every row it occurs in.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from ..questionnaire import Question, Questionnaire, Scale, normalise_text
from ..responses import ANSWERED, BLANK, NA
from .mapping import Mapping, ValueSpec

NAN = math.nan
_NA_WORDS = {"n/a", "na", "not applicable", "don't know", "dont know", "do not know"}
_LEADING_NUMBER = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*(?:[-\u2013\u2014.:)=]|\s)\s*(.+?)\s*$")
_TRAILING_NUMBER = re.compile(r"^\s*(.+?)\s*[(\[]\s*(-?\d+(?:[.,]\d+)?)\s*[)\]]\s*$")
_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?$")
_THOUSANDS_SPACE = re.compile(r"(?<=\d)[\s\u00a0\u202f'](?=\d{3}(?:\D|$))")
_DATE_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}(?: 00:00:00)?$|^\d{1,2}-[A-Za-z]{3}$|^[A-Za-z]{3}-\d{2}$")

#: (value, state, why-not-readable or None)
Parsed = tuple[float, str, str | None]


def _num(text: str) -> float | None:
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return None


def parse_number(text: str, unit: str | None = None) -> float | None:
    """``12``, ``12.5``, ``12,5``, ``1 234``, ``1,234.5``, ``1.234,5`` (and ``12 days`` for unit days)."""
    t = text.strip()
    if unit and t.casefold().endswith(unit.casefold()):
        t = t[: -len(unit)].strip()
    t = _THOUSANDS_SPACE.sub("", t)
    if "," in t and "." in t:
        t = t.replace(",", "") if t.rfind(".") > t.rfind(",") else t.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"[+-]?\d{1,3}(?:,\d{3}){2,}", t):
        t = t.replace(",", "")
    elif t.count(",") == 1:
        t = t.replace(",", ".")
    if _NUMBER.match(t):
        return float(t)
    return None


@dataclass
class ScaleReader:
    """Reads one scale question's cells: labels, values, ``N - label`` forms, N/A, overrides."""

    question: Question
    scale: Scale
    overrides: dict[str, ValueSpec]
    recode: bool = False   # Qualtrics: numbers may be recode values, mapped by position

    def __post_init__(self) -> None:
        self.labels = {normalise_text(p.label): p.value for p in self.scale.points}
        self.values = {p.value for p in self.scale.points}
        self.ordered = sorted(self.values)
        self.na = normalise_text(self.scale.na_label) if self.scale.na_label else None
        self.by_position = False
        self.na_code: float | None = None

    def describe(self) -> str:
        pts = self.scale.points
        span = f"{pts[0].label} ... {pts[-1].label}" if len(pts) > 2 else f"{pts[0].label}, {pts[1].label}"
        na = f" or its N/A label {self.scale.na_label!r}" if self.scale.na_label else ""
        return f"not a label of scale {self.question.scale} ({span}){na}"

    def prepare(self, distinct: list[str]) -> None:
        """Decide, for a whole column, whether bare numbers are recode positions (1..k)."""
        if not self.recode:
            return
        nums = [_num(t) for t in (d.strip() for d in distinct) if t and normalise_text(t) not in self.labels
                and normalise_text(t) not in self.overrides]
        nums = [n for n in nums if n is not None]
        k = len(self.ordered)
        # Qualtrics numbers the choices 1..k+1 when "don't know" is the last choice.
        if self.na is not None and float(k + 1) not in self.values and float(k + 1) in nums:
            self.na_code = float(k + 1)
            nums = [n for n in nums if n != self.na_code]
        if nums and not all(n in self.values for n in nums) and all(n.is_integer() and 1 <= n <= k for n in nums):
            self.by_position = True

    def force_positions(self) -> None:
        """The whole file is a numeric-codes export: every number is a choice position."""
        self.by_position = True
        k = len(self.ordered)
        if self.na is not None and float(k + 1) not in self.values:
            self.na_code = float(k + 1)

    def parse(self, text: str) -> Parsed:
        norm = normalise_text(text)
        if norm in self.overrides:
            return _override(self.overrides[norm])
        if norm in self.labels and not (self.by_position and _NUMBER.match(norm)):
            # (in a codes export a label such as "2" on a 0-10 scale is still a code)
            return self.labels[norm], ANSWERED, None
        if (self.na is not None and norm == self.na) or norm in _NA_WORDS:
            # a scale's own N/A label, or a plain "N/A" / "don't know" typed or exported instead
            return NAN, NA, None
        n = _num(norm) if _NUMBER.match(norm.replace(",", ".")) else None
        if n is not None:
            return self._number(n, text)
        return self._numbered_label(norm) or (NAN, BLANK, self.describe())

    def _number(self, n: float, text: str) -> Parsed:
        """A bare number: a choice position in a codes export (see :meth:`prepare`), else a
        scale value; anything else is unreadable, never rounded to a neighbour."""
        if n == self.na_code:
            return NAN, NA, None
        if self.by_position:
            if n.is_integer() and 1 <= n <= len(self.ordered):
                return self.ordered[int(n) - 1], ANSWERED, None
            return NAN, BLANK, f"{text.strip()!r} is not a choice code of scale {self.question.scale} " \
                               f"(1-{len(self.ordered)})"
        if n in self.values:
            return n, ANSWERED, None
        return NAN, BLANK, f"{text.strip()!r} is not a value of scale {self.question.scale} " \
                           f"({self.ordered[0]:g}-{self.ordered[-1]:g})"

    def _numbered_label(self, norm: str) -> Parsed | None:
        """``4 - Agree`` or ``Agree (4)``: the label decides when it is one of the scale's,
        else the number when it is a scale value; None when neither reads."""
        for pattern, num_group, label_group in ((_LEADING_NUMBER, 1, 2), (_TRAILING_NUMBER, 2, 1)):
            m = pattern.match(norm)
            if m:
                label = normalise_text(m.group(label_group))
                if label in self.labels:
                    return self.labels[label], ANSWERED, None
                if self.na is not None and label == self.na:
                    return NAN, NA, None
                v = _num(m.group(num_group))
                if v is not None and v in self.values:
                    return v, ANSWERED, None
        return None


def _override(spec: ValueSpec) -> Parsed:
    """A cell text the mapping's ``values:`` gives a meaning: blank, N/A or a number."""
    if spec is None or spec == "blank":
        return NAN, BLANK, None
    if spec == "na":
        return NAN, NA, None
    return float(spec), ANSWERED, None


_PERCENT_SIGN = re.compile(r"^\s*(.+?)\s*%\s*$")


@dataclass
class NumberReader:
    """Reads a numeric question's cells, checking the question's plausible range.

    Percentages come as ``35`` (points), ``35%`` or Excel's ``0.35`` (a cell with a
    percent format); a column whose values all lie between 0 and 1, one at least
    strictly, is read as fractions, and the import says so.
    """

    question: Question
    na_labels: set[str]
    overrides: dict[str, ValueSpec]
    fractions: bool = False
    mixed: bool = False

    def prepare(self, distinct: list[str]) -> None:
        if not self.question.percent:
            return
        nums = []
        for text in distinct:
            t = text.strip()
            if not t or normalise_text(t) in self.overrides or normalise_text(t) in self.na_labels \
                    or normalise_text(t) in _NA_WORDS or "%" in t:
                continue
            n = parse_number(t)
            if n is None:
                continue
            nums.append(n)
        self.fractions = bool(nums) and all(0 <= n <= 1 for n in nums) and any(0 < n < 1 for n in nums)
        self.mixed = not self.fractions and any(0 < n < 1 for n in nums) and any(n > 1 for n in nums)

    def note(self) -> str | None:
        if self.fractions:
            return (f"question {self.question.id}: every value lies between 0 and 1, so they were read as "
                    "fractions (0.35 = 35%)")
        if self.mixed:
            return (f"question {self.question.id}: values between 0 and 1 next to larger ones were read as "
                    "percentage points (0.35 = 0.35%); check them if they were meant as fractions")
        return None

    def parse(self, text: str) -> Parsed:
        norm = normalise_text(text)
        if norm in self.overrides:
            return _override(self.overrides[norm])
        if norm in self.na_labels or norm in _NA_WORDS:
            return NAN, NA, None
        q = self.question
        n: float | None
        if q.percent:
            m = _PERCENT_SIGN.match(text)
            n = parse_number(m.group(1)) if m else parse_number(text, q.unit)
            if n is not None and not m and self.fractions:
                n = n * 100
        else:
            n = parse_number(text, q.unit)
        if n is not None:
            if not math.isfinite(n):
                return NAN, BLANK, "not a finite number"
            lo, hi = q.bounds
            if (lo is not None and n < lo) or (hi is not None and n > hi):
                unit = " %" if q.percent else (f" {q.unit}" if q.unit else "")
                span = (f"{lo:g}-{hi:g}" if lo is not None and hi is not None
                        else f"at least {lo:g}" if lo is not None else f"at most {hi:g}")
                read = f" (read as {n:g}{unit})" if q.percent else ""
                return NAN, BLANK, f"out of range{read}: question {q.id} takes {span}{unit}"
            return n, ANSWERED, None
        why = f"not a number (question {q.id} asks for a number"
        why += f" of {q.unit})" if q.unit else ")"
        if _DATE_LIKE.match(text.strip()):
            why += "; it looks like a date, perhaps Excel turned a range such as '6-25' into one"
        return NAN, BLANK, why


@dataclass
class TextReader:
    question: Question

    def prepare(self, distinct: list[str]) -> None:
        return None

    def parse(self, text: str) -> Parsed:
        return NAN, ANSWERED, None


def reader_for(questionnaire: Questionnaire, question: Question, mapping: Mapping | None, source: str):
    """The cell reader for one question, with the mapping's overrides folded in."""
    overrides: dict[str, ValueSpec] = {}
    if mapping is not None:
        overrides.update({normalise_text(k): v for k, v in mapping.values.items()})
        overrides.update({normalise_text(k): v for k, v in mapping.question_values.get(question.id, {}).items()})
    if question.type == "text":
        return TextReader(question)
    if question.type == "numeric":
        na_labels = {normalise_text(s.na_label) for s in questionnaire.scales.values() if s.na_label}
        return NumberReader(question, na_labels, overrides)
    scale = questionnaire.scale_of(question)
    assert scale is not None  # the questionnaire validator guarantees it
    return ScaleReader(question, scale, overrides, recode=source == "qualtrics")


def parse_column(reader, cells: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, str]]:
    """Parse a column: raw (NaN for blank), value, state per cell (numpy arrays), and {bad text: why}.

    Call ``reader.prepare`` first with the distinct texts of every column sharing its scale.
    Each distinct text is parsed once; the cells get its results by position (one array
    index per cell, no Python object per cell), which is what keeps 100,000 rows cheap.
    """
    position = {text: k for k, text in enumerate(dict.fromkeys(cells))}  # in order of appearance
    distinct = list(position)
    values = np.empty(len(distinct), dtype="float64")
    states = np.empty(len(distinct), dtype=object)
    raws = np.empty(len(distinct), dtype=object)
    bad: dict[str, str] = {}
    for k, text in enumerate(distinct):
        if not text.strip():
            values[k], states[k], raws[k] = NAN, BLANK, NAN
            continue
        value, state, why = reader.parse(text)
        values[k], states[k], raws[k] = value, state, text
        if why:
            bad[text] = why
    codes = np.fromiter(map(position.__getitem__, cells), dtype=np.int32, count=len(cells))
    return raws[codes], values[codes], states[codes], bad


def role_lookup(questionnaire: Questionnaire, mapping: Mapping | None) -> dict[str, str]:
    """Normalised role label, id or alias -> role id (the mapping's role_values win)."""
    table: dict[str, str] = {}
    for role in questionnaire.roles:
        for name in (role.id, role.label, *role.aliases):
            table[normalise_text(name)] = role.id
    if mapping is not None:
        table.update({normalise_text(k): v for k, v in mapping.role_values.items()})
    return table
