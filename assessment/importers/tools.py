"""What each survey tool writes besides answers: metadata columns, ids, times, skip rules.

Knowing a tool's metadata columns lets us report every *other* unmatched column as
unmapped (never silently dropped) without drowning the user in ``IP Address`` noise.
Skip rules keep test, preview and unfinished responses out of the scores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from .columns import Column
from .detect import GOOGLE_TIMESTAMP


def _n(*names: str) -> frozenset[str]:
    return frozenset(" ".join(n.split()).casefold() for n in names)


@dataclass(frozen=True)
class ToolSpec:
    """Names are normalised header texts; any header row of a column may carry them."""

    metadata: frozenset[str] = frozenset()
    metadata_prefixes: tuple[str, ...] = ()
    key: tuple[str, ...] = ()
    email: tuple[str, ...] = ()
    submitted: tuple[str, ...] = ()
    start: tuple[str, ...] = ()
    duration: tuple[str, ...] = ()


_QUALTRICS = ToolSpec(
    metadata=_n("StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished",
                "RecordedDate", "ResponseId", "ResponseSet", "RecipientLastName", "RecipientFirstName",
                "RecipientEmail", "ExternalReference", "ExternalDataReference", "LocationLatitude",
                "LocationLongitude", "LocationAccuracy", "DistributionChannel", "UserLanguage", "Name",
                "EmailAddress"),
    metadata_prefixes=("q_",),
    key=("responseid",), email=("recipientemail", "emailaddress"), submitted=("recordeddate", "enddate"),
    start=("startdate",), duration=("duration (in seconds)",))
_SURVEYMONKEY = ToolSpec(
    metadata=_n("Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address",
                "First Name", "Last Name"),
    metadata_prefixes=("custom data", "custom variable"),
    key=("respondent id",), email=("email address",), submitted=("end date",), start=("start date",))
_GOOGLE = ToolSpec(metadata=_n("Email Address", "Email address", "Score", *GOOGLE_TIMESTAMP),
                   email=("email address",), submitted=GOOGLE_TIMESTAMP)
_MS_FORMS = ToolSpec(metadata=_n("ID", "Start time", "Completion time", "Email", "Name", "Last modified time",
                                 "Total points", "Quiz feedback"),
                     metadata_prefixes=("points - ", "feedback - "),
                     key=("id",), email=("email",), submitted=("completion time",), start=("start time",))
_LIME = ToolSpec(
    metadata=_n("id", "submitdate", "lastpage", "startlanguage", "seed", "token", "startdate", "datestamp",
                "ipaddr", "refurl", "interviewtime", "Response ID", "Date submitted", "Last page",
                "Start language", "Seed", "Token", "Date started", "Date last action", "IP address",
                "Referrer URL", "Total time"),
    metadata_prefixes=("grouptime", "group time", "question time"),
    key=("id", "response id"), email=("email",), submitted=("submitdate", "date submitted"),
    start=("startdate", "date started"), duration=("interviewtime", "total time"))
_TYPEFORM = ToolSpec(metadata=_n("#", "Start Date (UTC)", "Submit Date (UTC)", "Stage Date (UTC)", "Network ID",
                                 "Tags", "Response Type", "Ending"),
                     key=("#",), submitted=("submit date (utc)",), start=("start date (utc)",))
_TEMPLATE = ToolSpec(metadata=_n("Respondent ID"), key=("respondent id",))
_WIDE = ToolSpec(metadata=_n("Respondent ID", "Respondent", "Respondent_id", "ID", "ID.", "Email", "Email address",
                             "Timestamp", "Submitted"),
                 key=("respondent id", "respondent_id", "respondent", "id", "id."), email=("email", "email address"),
                 submitted=("timestamp", "submitted"))

SPECS: dict[str, ToolSpec] = {"qualtrics": _QUALTRICS, "surveymonkey": _SURVEYMONKEY, "google-forms": _GOOGLE,
                              "microsoft-forms": _MS_FORMS, "limesurvey": _LIME, "typeform": _TYPEFORM,
                              "template": _TEMPLATE, "wide": _WIDE}


def is_metadata(source: str, column: Column) -> bool:
    spec = SPECS[source]
    return any(n in spec.metadata or n.startswith(spec.metadata_prefixes or ("\0",)) for n in column.names if n)


def find(columns: list[Column], names: tuple[str, ...]) -> Column | None:
    """The first column carrying one of ``names`` (in order of preference)."""
    for name in names:
        for col in columns:
            if name in col.names:
                return col
    return None


# -- skip rules --------------------------------------------------------------------

TEST = "test or preview"
INCOMPLETE = "incomplete"
SPAM = "spam"
_QUALTRICS_STATUS = {"0": None, "ip address": None, "4": None, "imported": None, "16": None, "offline": None,
                     "1": TEST, "survey preview": TEST, "2": TEST, "survey test": TEST, "17": TEST,
                     "offline survey preview": TEST, "8": SPAM, "spam": SPAM}
_FALSE = {"0", "false", "no"}


# The column whose blank cell marks a response never submitted, per tool.
_SUBMIT_COLUMNS = {"limesurvey": ("submitdate", "date submitted"), "typeform": ("submit date (utc)",)}


def skip_reasons(source: str, columns: list[Column], data: list[list[str]],
                 *, include_test: bool = False) -> tuple[list[str | None], list[str]]:
    """Per data row: why it must not be scored (``None`` to keep it); plus warnings."""
    reasons: list[str | None] = [None] * len(data)
    warnings: list[str] = []
    if source == "qualtrics":
        warnings += _qualtrics_skips(columns, data, reasons, include_test)
    elif source in _SUBMIT_COLUMNS:
        submitted = find(columns, _SUBMIT_COLUMNS[source])
        if submitted is not None:
            for i, value in enumerate(_cells(submitted, data)):
                if not value:
                    reasons[i] = INCOMPLETE
    return reasons, warnings


def _cells(col: Column, data: list[list[str]]) -> list[str]:
    return [row[col.index].strip() for row in data]


def _qualtrics_skips(columns: list[Column], data: list[list[str]], reasons: list[str | None],
                     include_test: bool) -> list[str]:
    """Fill ``reasons`` from Qualtrics' Status (test, preview, spam) and Finished columns;
    returns the warnings. A Status this table does not know keeps its response (and says
    so): dropping answers on a guess would be worse than scoring one stray response."""
    status = find(columns, ("status",))
    finished = find(columns, ("finished",))
    unknown: set[str] = set()
    if status is not None:
        for i, value in enumerate(_cells(status, data)):
            key = value.casefold()
            if key in _QUALTRICS_STATUS:
                reason = _QUALTRICS_STATUS[key]
                if reason and not (include_test and reason == TEST):
                    reasons[i] = reason
            elif key:
                unknown.add(value)
    warnings = []
    if unknown:
        warnings.append(f"unknown Qualtrics Status value(s) {', '.join(sorted(unknown))}; those responses were kept")
    if finished is not None:
        for i, value in enumerate(_cells(finished, data)):
            if reasons[i] is None and value.casefold() in _FALSE:
                reasons[i] = INCOMPLETE
    return warnings


# -- times -------------------------------------------------------------------------

_TZ_SUFFIX = re.compile(r"\s+(?:[A-Z]{2,5}|GMT[+-]\d{1,2}(?::?\d\d)?|UTC)$")
_FORMATS = ("ISO8601", "%m/%d/%Y %H:%M:%S", "%m/%d/%y %H:%M", "%m/%d/%Y %H:%M", "%Y/%m/%d %I:%M:%S %p",
            "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%m/%d/%Y %I:%M:%S %p")


def parse_times(values: list[str]) -> pd.Series:
    """Text timestamps to datetimes, trying one format for the whole column first (fast),
    then pandas' per-cell guessing; unreadable cells become NaT."""
    text = pd.Series([_TZ_SUFFIX.sub("", v.strip()) if v else None for v in values], dtype="object")
    present = text.notna()
    if not present.any():
        return pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
    for fmt in _FORMATS:
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
        if parsed[present].notna().all():
            return parsed
    return pd.to_datetime(text, format="mixed", errors="coerce")


def iso(times: pd.Series) -> pd.Series:
    """ISO text to the second, with the fraction of a second when there is one."""
    out = times.dt.strftime("%Y-%m-%dT%H:%M:%S")
    micro = times.dt.microsecond
    frac = micro.notna() & (micro.fillna(0) > 0)
    if frac.any():
        digits = [f".{int(m):06d}".rstrip("0") if f else "" for m, f in zip(micro.fillna(0), frac, strict=True)]
        out = out.where(~frac, out.fillna("") + pd.Series(digits, index=out.index))
    return out.astype("str")


_FRACTION = re.compile(r"\d:\d\d:\d\d[.,](\d+)")
_WITH_SECONDS = re.compile(r"\d:\d\d:\d\d")


def precise_times(texts: list[str], times: pd.Series) -> list[str]:
    """Each time as ISO text cut to the precision its cell carries (minutes, seconds or a
    fraction), so a CSV with whole seconds and an xlsx with milliseconds compare fairly."""
    out = []
    for text, t in zip(texts, times, strict=True):
        if t is None or pd.isna(t):
            out.append("")
            continue
        full = t.strftime("%Y-%m-%dT%H:%M:%S.%f")
        m = _FRACTION.search(text)
        if m:
            out.append(full[: 20 + min(len(m.group(1)), 6)])
        elif _WITH_SECONDS.search(text):
            out.append(full[:19])
        else:
            out.append(full[:16])
    return out


_EXCEL_DAMAGED = re.compile(r"^\d(?:\.\d+)?E\+\d+$", re.IGNORECASE)


def damaged_ids(keys: list[str]) -> list[str]:
    """Ids Excel turned into scientific notation (``1.14628E+11``): the digits are lost."""
    return [k for k in keys if k and _EXCEL_DAMAGED.match(k)]
