"""Write respondent records the way each survey tool exports them.

These writers exist to *prove the importers*: the same synthetic respondents are
written in every layout a consultant receives (our survey workbook, a plain wide
table, Google Forms, Microsoft Forms, SurveyMonkey, Qualtrics, LimeSurvey,
Typeform), read back through :mod:`assessment.importers`, and must arrive
unchanged and score identically. They also build the bundled demo files.

Each layout follows the tool's real export as described in the brief (header
rows, metadata columns, grid headers, value coding, encodings, line endings),
including the rows the importers must *not* keep: Qualtrics preview and
unfinished responses, LimeSurvey incomplete responses.

Records are in the shape produced by :func:`support.synth.synthesize`
(``id, role, unit, email, first_name, last_name, started, submitted, answers``);
only ``id``, ``role`` and ``answers`` are required.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from assessment.questionnaire import Question, Questionnaire

LAYOUTS = ("template", "wide", "google-forms", "microsoft-forms", "surveymonkey", "qualtrics", "limesurvey",
           "typeform")
SUFFIX = {"template": ".xlsx", "wide": ".csv", "google-forms": ".csv", "microsoft-forms": ".xlsx",
          "surveymonkey": ".xlsx", "qualtrics": ".csv", "limesurvey": ".csv", "typeform": ".csv"}
DEFAULT_ROLE_TEXT = "What is your role?"
DEFAULT_UNIT_TEXT = "Which business unit do you work in?"

Record = Mapping[str, Any]


# -- what a cell holds -------------------------------------------------------------------


def _num(value: float) -> str:
    return f"{value:g}"


def answer_text(questionnaire: Questionnaire, q: Question, value: Any, *, codes: bool = False,
                numbers: bool = False) -> str | float | None:
    """The cell for one answer: scale label (or the scale's N/A label), the number,
    or the comment; ``None`` for a blank. ``codes`` writes Qualtrics-style recode
    values 1..k (N/A as k+1); ``numbers`` writes the scale point value itself
    (Typeform opinion scales), N/A still as its label."""
    if value is None:
        return None
    scale = questionnaire.scale_of(q)
    is_na = isinstance(value, str) and value.strip().upper() in ("NA", "N/A")
    if scale is not None:
        if is_na:
            if codes:
                return _num(len(scale.points) + 1)
            return scale.na_label or "N/A"
        for i, point in enumerate(scale.points):
            if point.value == float(value):
                if codes:
                    return _num(i + 1)
                return _num(point.value) if numbers else point.label
        raise ValueError(f"{value!r} is not a point of the scale of {q.id}")
    if is_na:
        return "N/A"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return str(value)


def _csv_value(cell: str | float | None) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float):
        return _num(cell)
    return cell


def _xlsx_value(cell: str | float | None) -> str | float | int | None:
    if isinstance(cell, float) and cell.is_integer():
        return int(cell)
    return cell


def _token(text: str, length: int, alphabet: str = "0123456789abcdef") -> str:
    digest = hashlib.sha256(text.encode()).digest() * 4
    return "".join(alphabet[b % len(alphabet)] for b in digest[:length])


def _when(rec: Record, key: str, fallback: datetime) -> datetime:
    text = rec.get(key)
    return datetime.fromisoformat(text) if text else fallback


def _times(rec: Record, i: int) -> tuple[datetime, datetime]:
    start = _when(rec, "started", datetime(2025, 3, 3, 9, 0) + timedelta(minutes=37 * i))
    end = _when(rec, "submitted", start + timedelta(minutes=12))
    return start, end


def role_text(questionnaire: Questionnaire, rec: Record, i: int, *, aliases: bool) -> str:
    """The role as a respondent picked it: the label, or now and then an alias
    (forms built by clients rarely use our exact wording)."""
    role = questionnaire.role_by_id[rec["role"]]
    if aliases and role.aliases and i % 7 == 3:
        return role.aliases[(i // 7) % len(role.aliases)]
    return role.label


def _profile_texts(questionnaire: Questionnaire) -> tuple[str, str]:
    p = questionnaire.profile
    return (p.role.text if p.role else DEFAULT_ROLE_TEXT), (p.unit.text if p.unit else DEFAULT_UNIT_TEXT)


@dataclass
class _Block:
    """A survey page element: a grid of scale statements sharing a scale, or one question."""

    title: str
    questions: list[Question]
    grid: bool


def _blocks(questionnaire: Questionnaire) -> list[_Block]:
    blocks: list[_Block] = []
    for dim in questionnaire.dimensions:
        for q in dim.questions:
            last = blocks[-1] if blocks else None
            if (q.type == "scale" and last is not None and last.grid and last.title == dim.title
                    and last.questions[0].scale == q.scale):
                last.questions.append(q)
            else:
                blocks.append(_Block(dim.title, [q], q.type == "scale"))
    return blocks


def _partial(rec: Record, questionnaire: Questionnaire, share: float) -> dict[str, Any]:
    """A copy of ``rec`` that stopped part-way through the survey."""
    qids = [q for q in questionnaire.questions if q in rec["answers"]]
    keep = set(qids[: int(len(qids) * share)])
    return {**rec, "answers": {k: v for k, v in rec["answers"].items() if k in keep}}


# -- layouts -----------------------------------------------------------------------------


def _write_csv(path: Path, rows: Sequence[Sequence[str]], *, newline: str = "\n", bom: bool = False,
               quote_all: bool = False) -> None:
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator=newline, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
        writer.writerows(rows)


def _write_xlsx(path: Path, sheet: str, rows: Sequence[Sequence[Any]]) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append([_xlsx_value(c) if c != "" else None for c in row])
    wb.save(path)


def _wide(records: Sequence[Record], q: Questionnaire, path: Path) -> None:
    qs = list(q.questions.values())
    rows = [["Respondent ID", "Role", "Business unit", *[x.id for x in qs]]]
    for i, rec in enumerate(records):
        rows.append([str(rec["id"]), role_text(q, rec, i, aliases=False), rec.get("unit") or "",
                     *[_csv_value(answer_text(q, x, rec["answers"].get(x.id))) for x in qs]])
    _write_csv(path, rows)


def _template(records: Sequence[Record], q: Questionnaire, path: Path) -> None:
    """Fill our survey workbook: the real one from :mod:`assessment.template` when
    available, else the same ``Responses`` layout written here."""
    from openpyxl import Workbook, load_workbook

    qs = list(q.questions.values())
    try:
        from assessment.template import write_survey_workbook
    except ImportError:
        write_survey_workbook = None
    if write_survey_workbook is not None:
        write_survey_workbook(q, path, rows=max(len(records), 1))
        wb = load_workbook(path)
        ws = wb["Responses"]
        header = [c.value for c in ws[1]]
        col = {str(h): j + 1 for j, h in enumerate(header) if h is not None}
    else:
        wb = Workbook()
        info = wb.active
        info.title = "Instructions"
        info["A1"] = f"{q.title}: one row per respondent on the Responses sheet."
        ws = wb.create_sheet("Responses")
        ws.append(["Respondent ID", "Role", "Business unit", *[x.id for x in qs]])
        ws.append(["Question →", "pick from list", "type your unit", *[x.text for x in qs]])
        lists = wb.create_sheet("Lists")
        lists.sheet_state = "hidden"
        for r, role in enumerate(q.roles, start=1):
            lists.cell(r, 1, role.label)
        col = {h: j + 1 for j, h in enumerate(["Respondent ID", "Role", "Business unit", *[x.id for x in qs]])}
    first = 3
    for i, rec in enumerate(records):
        r = first + i
        ws.cell(r, col["Respondent ID"], str(rec["id"]))
        ws.cell(r, col["Role"], role_text(q, rec, i, aliases=False))
        if rec.get("unit"):
            ws.cell(r, col["Business unit"], rec["unit"])
        for x in qs:
            cell = answer_text(q, x, rec["answers"].get(x.id))
            if cell is not None and x.id in col:
                ws.cell(r, col[x.id], _xlsx_value(cell))
    wb.save(path)


def _google(records: Sequence[Record], q: Questionnaire, path: Path) -> None:
    role_q, unit_q = _profile_texts(q)
    cols: list[tuple[str, Question]] = []
    for b in _blocks(q):
        for x in b.questions:
            cols.append((f"{b.title} [{x.text}]" if b.grid else x.text, x))
    rows = [["Timestamp", "Email Address", role_q, unit_q, *[h for h, _ in cols]]]
    for i, rec in enumerate(records):
        _, end = _times(rec, i)
        stamp = f"{end.month}/{end.day}/{end.year} {end.hour}:{end:%M:%S}"
        rows.append([stamp, rec.get("email") or "", role_text(q, rec, i, aliases=True), rec.get("unit") or "",
                     *[_csv_value(answer_text(q, x, rec["answers"].get(x.id))) for _, x in cols]])
    _write_csv(path, rows, newline="\r\n")


def _microsoft(records: Sequence[Record], q: Questionnaire, path: Path) -> None:
    role_q, unit_q = _profile_texts(q)
    blocks = _blocks(q)
    # Forms keeps columns in the order questions were *added*: a question inserted
    # after the form went live lands at the end. Move the unit question behind the
    # first block and the second-to-last dimension's questions to the very end.
    dims = [d.title for d in q.dimensions]
    moved = dims[-2] if len(dims) >= 2 else None
    ordered: list[Any] = [("role", role_q)]
    for k, b in enumerate(blocks):
        if b.title != moved:
            ordered += [("q", x) for x in b.questions]
        if k == 0:
            ordered.append(("unit", unit_q))
    ordered += [("q", x) for b in blocks if b.title == moved for x in b.questions]
    header = ["ID", "Start time", "Completion time", "Email", "Name", "Last modified time"]
    header += [c[1] if c[0] != "q" else c[1].text for c in ordered]
    rows: list[list[Any]] = [header]
    for i, rec in enumerate(records):
        start, end = _times(rec, i)
        name = " ".join(p for p in (rec.get("first_name"), rec.get("last_name")) if p)
        row: list[Any] = [i + 1, start, end, rec.get("email") or "anonymous", name or None, None]
        for kind, item in ordered:
            if kind == "role":
                row.append(role_text(q, rec, i, aliases=True))
            elif kind == "unit":
                row.append(rec.get("unit"))
            else:
                row.append(answer_text(q, item, rec["answers"].get(item.id)))
        rows.append(row)
    _write_xlsx(path, "Sheet1", rows)


def _surveymonkey(records: Sequence[Record], q: Questionnaire, path: Path) -> None:
    role_q, unit_q = _profile_texts(q)
    meta = ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address", "First Name",
            "Last Name", "Custom Data 1"]
    row1: list[Any] = [*meta, role_q, unit_q]
    row2: list[Any] = [None] * len(meta) + ["Response", "Open-Ended Response"]
    cols: list[Question] = []
    for b in _blocks(q):
        for j, x in enumerate(b.questions):
            if b.grid:
                row1.append(b.title if j == 0 else None)
                row2.append(x.text)
            else:
                row1.append(x.text)
                row2.append("Response" if x.type == "scale" else "Open-Ended Response")
            cols.append(x)
    rows: list[list[Any]] = [row1, row2]
    for i, rec in enumerate(records):
        start, end = _times(rec, i)
        rid = 114600000000 + int(_token(str(rec["id"]), 8, "0123456789"))
        rows.append([rid, 431821559, start, end, f"198.51.100.{(i * 37) % 250 + 1}", rec.get("email"),
                     rec.get("first_name"), rec.get("last_name"), None,
                     role_text(q, rec, i, aliases=True), rec.get("unit"),
                     *[answer_text(q, x, rec["answers"].get(x.id)) for x in cols]])
    _write_xlsx(path, "Sheet", rows)


_QUALTRICS_META = [
    ("StartDate", "Start Date", '{"ImportId":"startDate","timeZone":"Europe/Amsterdam"}'),
    ("EndDate", "End Date", '{"ImportId":"endDate","timeZone":"Europe/Amsterdam"}'),
    ("Status", "Response Type", '{"ImportId":"status"}'),
    ("IPAddress", "IP Address", '{"ImportId":"ipAddress"}'),
    ("Progress", "Progress", '{"ImportId":"progress"}'),
    ("Duration (in seconds)", "Duration (in seconds)", '{"ImportId":"duration"}'),
    ("Finished", "Finished", '{"ImportId":"finished"}'),
    ("RecordedDate", "Recorded Date", '{"ImportId":"recordedDate","timeZone":"Europe/Amsterdam"}'),
    ("ResponseId", "Response ID", '{"ImportId":"_recordId"}'),
    ("RecipientLastName", "Recipient Last Name", '{"ImportId":"recipientLastName"}'),
    ("RecipientFirstName", "Recipient First Name", '{"ImportId":"recipientFirstName"}'),
    ("RecipientEmail", "Recipient Email", '{"ImportId":"recipientEmail"}'),
    ("ExternalReference", "External Data Reference", '{"ImportId":"externalDataReference"}'),
    ("LocationLatitude", "Location Latitude", '{"ImportId":"locationLatitude"}'),
    ("LocationLongitude", "Location Longitude", '{"ImportId":"locationLongitude"}'),
    ("DistributionChannel", "Distribution Channel", '{"ImportId":"distributionChannel"}'),
    ("UserLanguage", "User Language", '{"ImportId":"userLanguage"}'),
]


def _qualtrics(records: Sequence[Record], q: Questionnaire, path: Path, *, codes: bool, skippable: bool) -> None:
    role_q, unit_q = _profile_texts(q)
    row1 = [m[0] for m in _QUALTRICS_META] + ["Q1", "Q2"]
    row2 = [m[1] for m in _QUALTRICS_META] + [role_q, unit_q]
    row3 = [m[2] for m in _QUALTRICS_META] + [json.dumps({"ImportId": "QID1"}, separators=(",", ":")),
                                              json.dumps({"ImportId": "QID2_TEXT"}, separators=(",", ":"))]
    cols: list[Question] = []
    for n, b in enumerate(_blocks(q), start=3):
        for j, x in enumerate(b.questions, start=1):
            if b.grid:
                row1.append(f"Q{n}_{j}")
                row2.append(f"{b.title} - {x.text}")
                row3.append(json.dumps({"ImportId": f"QID{n}_{j}"}, separators=(",", ":")))
            else:
                row1.append(f"Q{n}")
                row2.append(x.text)
                row3.append(json.dumps({"ImportId": f"QID{n}" + ("" if x.type == "scale" else "_TEXT")},
                                       separators=(",", ":")))
            cols.append(x)

    def line(rec: Record, i: int, *, status: int, finished: bool, progress: int) -> list[str]:
        start, end = _times(rec, i)
        anonymous = status == 1 or not finished  # previews and abandoned links carry no recipient
        labels = {0: "IP Address", 1: "Survey Preview"}
        meta = [f"{start:%Y-%m-%d %H:%M:%S}", f"{end:%Y-%m-%d %H:%M:%S}",
                str(status) if codes else labels[status],
                "" if status == 1 else f"203.0.113.{(i * 53) % 250 + 1}", str(progress),
                str(int((end - start).total_seconds())),
                ("1" if finished else "0") if codes else ("True" if finished else "False"),
                f"{end:%Y-%m-%d %H:%M:%S}", "R_" + _token(str(rec["id"]) + ("~" if status else ""), 15,
                                                          "0123456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"),
                *(["", "", ""] if anonymous else [rec.get("last_name") or "", rec.get("first_name") or "",
                                                  rec.get("email") or ""]), "",
                "52.3676", "4.9041", "preview" if status == 1 else "email", "EN"]
        # A numeric export codes the role question too (choice 1..k, in the
        # questionnaire's role order); reading it needs a mapping's role_values.
        role = str(list(q.role_by_id).index(rec["role"]) + 1) if codes else role_text(q, rec, i, aliases=True)
        return [*meta, role, rec.get("unit") or "",
                *[_csv_value(answer_text(q, x, rec["answers"].get(x.id), codes=codes)) for x in cols]]

    rows = [row1, row2, row3]
    if skippable and records:
        rows.append(line(records[0], len(records) + 1, status=1, finished=True, progress=100))
    for i, rec in enumerate(records):
        rows.append(line(rec, i, status=0, finished=True, progress=100))
        if skippable and i == len(records) // 2:
            rows.append(line(_partial(records[-1], q, 0.4), len(records) + 2, status=0, finished=False,
                             progress=40))
    _write_csv(path, rows)


def _limesurvey(records: Sequence[Record], q: Questionnaire, path: Path, *, skippable: bool) -> None:
    role_q, unit_q = _profile_texts(q)
    cols: list[tuple[str, Question]] = []
    for b in _blocks(q):
        for x in b.questions:
            cols.append((f"{b.title} [{x.text}]" if b.grid else x.text, x))
    pages = len(q.dimensions) + 1
    rows = [["id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp", role_q, unit_q,
             *[h for h, _ in cols]]]

    def line(rec: Record, i: int, n: int, *, complete: bool) -> list[str]:
        start, end = _times(rec, i)
        return [str(n), f"{end:%Y-%m-%d %H:%M:%S}" if complete else "", str(pages if complete else 2), "en",
                _token(str(rec["id"]), 9, "0123456789"), f"{start:%Y-%m-%d %H:%M:%S}", f"{end:%Y-%m-%d %H:%M:%S}",
                role_text(q, rec, i, aliases=True), rec.get("unit") or "",
                *[_csv_value(answer_text(q, x, rec["answers"].get(x.id))) for _, x in cols]]

    n = 0
    for i, rec in enumerate(records):
        n += 1
        rows.append(line(rec, i, n, complete=True))
        if skippable and i == len(records) // 3:
            n += 1
            rows.append(line(_partial(records[0], q, 0.3), len(records) + 1, n, complete=False))
    _write_csv(path, rows, bom=True, quote_all=True)


def _typeform(records: Sequence[Record], q: Questionnaire, path: Path) -> None:
    role_q, unit_q = _profile_texts(q)
    qs = list(q.questions.values())
    rows = [["#", role_q, unit_q, *[x.text for x in qs], "Start Date (UTC)", "Submit Date (UTC)", "Network ID"]]
    for i, rec in enumerate(records):
        start, end = _times(rec, i)
        rows.append([_token(str(rec["id"]), 32), role_text(q, rec, i, aliases=True), rec.get("unit") or "",
                     *[_csv_value(answer_text(q, x, rec["answers"].get(x.id), numbers=True)) for x in qs],
                     f"{start:%Y-%m-%d %H:%M:%S}", f"{end:%Y-%m-%d %H:%M:%S}", _token("net" + str(rec["id"]), 10)])
    _write_csv(path, rows)


def write_export(records: Sequence[Record], questionnaire: Questionnaire, layout: str, path: str | Path, *,
                 values: str = "labels", skippable: bool = True) -> Path:
    """Write ``records`` to ``path`` as ``layout`` (one of :data:`LAYOUTS`) exports them.

    ``values`` is ``"labels"`` (choice text) or ``"codes"`` (numeric recodes; Qualtrics
    only). ``skippable`` adds the rows a tool writes that must not be scored: a
    Qualtrics preview and an unfinished response, a LimeSurvey incomplete response.
    Returns the path written.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; one of {', '.join(LAYOUTS)}")
    if values not in ("labels", "codes"):
        raise ValueError("values must be 'labels' or 'codes'")
    if values == "codes" and layout != "qualtrics":
        raise ValueError("values='codes' is a Qualtrics export option")
    path = Path(path)
    if layout == "template":
        _template(records, questionnaire, path)
    elif layout == "wide":
        _wide(records, questionnaire, path)
    elif layout == "google-forms":
        _google(records, questionnaire, path)
    elif layout == "microsoft-forms":
        _microsoft(records, questionnaire, path)
    elif layout == "surveymonkey":
        _surveymonkey(records, questionnaire, path)
    elif layout == "qualtrics":
        _qualtrics(records, questionnaire, path, codes=values == "codes", skippable=skippable)
    elif layout == "limesurvey":
        _limesurvey(records, questionnaire, path, skippable=skippable)
    else:
        _typeform(records, questionnaire, path)
    return path
