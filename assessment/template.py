"""The Excel survey workbook a consultant sends to stakeholders.

Layout (a contract with the ``template`` importer): sheet ``Responses`` has the
machine-readable ids in row 1 (``Respondent ID``, ``Role``, ``Business unit``, then
one column per question headed by its id), the question texts in row 2, answers
from row 3. Dropdowns refer to ranges on a hidden ``Lists`` sheet (a list formula
longer than 255 characters silently corrupts the file), and refuse other values,
so most typing mistakes are caught while filling in rather than at import.

The sheet is protected without a password: headers cannot be edited by accident,
answer cells can. Anyone who needs more rows can unprotect it (Review > Unprotect
Sheet).
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from .errors import ReportError
from .fileio import atomic_write
from .questionnaire import Dimension, Question, Questionnaire

RESPONSES_SHEET, LISTS_SHEET, INSTRUCTIONS_SHEET, QUESTIONS_SHEET = "Responses", "Lists", "Instructions", "Questions"
ID_HEADER, ROLE_HEADER, UNIT_HEADER = "Respondent ID", "Role", "Business unit"
ROW2_LABELS = ("Question →", "pick from list", "type your unit")
FIRST_DATA_ROW = 3
ANSWER_ROWS = 200
# Light fills, one per dimension (cycled), dark enough to tell apart when printed.
DIMENSION_FILLS = ("DCE6F1", "E2EFDA", "FFF2CC", "FCE4D6", "EDE1F5", "DDEBF7", "F2F2F2", "E6F4F1", "FBE5E8")
HEADER_FILL = "D9D9D9"

_THIN = Side(style="thin", color="BFBFBF")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def _range(q: Question) -> tuple[float, float]:
    """What the workbook accepts: the question's plausible range (``min``/``max``, 0-100 for a
    percentage), else its scoring anchors."""
    lo, hi = q.answer_range or (0.0, 100.0)
    b_lo, b_hi = q.bounds
    return (lo if b_lo is None else b_lo), (hi if b_hi is None else b_hi)


def _unit(q: Question) -> str:
    if q.percent:
        return " %"
    return f" {q.unit}" if q.unit else ""


def _fmt(x: float) -> str:
    return f"{x:g}"


def _answer_hint(q: Question, questionnaire: Questionnaire) -> str:
    if q.type == "scale":
        scale = questionnaire.scale_of(q)
        assert scale is not None
        return "pick from list"
    if q.type == "numeric":
        lo, hi = _range(q)
        return f"a number, {_fmt(lo)}-{_fmt(hi)}{_unit(q)}"
    return "free text"


def _instructions(ws, questionnaire: Questionnaire, client: str | None) -> None:
    title = questionnaire.title + (f" — {client}" if client else "")
    ws["A1"] = title
    ws["A1"].font = Font(size=16, bold=True)
    lines: list[tuple[str, bool]] = [
        ("How to fill in", True),
        (f"1. Go to the '{RESPONSES_SHEET}' sheet. Use one row per person, starting at row {FIRST_DATA_ROW}.", False),
        ("2. Respondent ID: optional; any short code that identifies the row (e.g. R01). Never a name.", False),
        ("3. Role: pick your role from the list. Business unit: type your unit (e.g. Retail).", False),
        ("4. Answer each question in its column (row 2 shows the question; hover over the id in row 1 "
         "for its friction point and who it is for). Pick an answer from the list or type a number.", False),
        ("5. Leave a cell empty if the question is not put to your role, or if you prefer not to answer.", False),
        ("6. Save the file and send it back as it is (.xlsx). Do not rename the sheet or change rows 1-2.", False),
        ("", False),
        ("The answer scale", True),
    ]
    used = {q.scale for q in questionnaire.questions.values() if q.type == "scale"}
    for sid in questionnaire.scales:
        if sid not in used:
            continue
        scale = questionnaire.scales[sid]
        points = ", ".join(f"{p.label}" + (f" ({_fmt(p.value)})" if p.label != _fmt(p.value) else "")
                           for p in scale.points)
        lines.append((f"{sid}: {points}", False))
        if scale.na_label:
            lines.append((f"  '{scale.na_label}' (N/A): choose it when you cannot judge the statement or it does "
                          "not apply to your work. N/A answers are left out of the score; they do not count as "
                          "a low answer.", False))
    lines += [
        ("Some statements are worded negatively on purpose; answer each as written.", False),
        ("", False),
        ("Confidentiality", True),
        ("Results are reported by role and business unit only, never for a named person. Comments are quoted "
         "attributed to roles, never to people. Do not write names in comments.", False),
        ("", False),
        ("Roles", True),
    ]
    lines += [(f"{r.label}" + (f": {r.description}" if r.description else ""), False) for r in questionnaire.roles]
    lines += [("", False), ("More than 200 people?", True),
              (f"The '{RESPONSES_SHEET}' sheet is protected without a password so headers stay intact. "
               "Review > Unprotect Sheet lets you add rows; copy a filled row's formatting down.", False)]
    for i, (text, bold) in enumerate(lines, start=3):
        cell = ws.cell(row=i, column=1, value=text or None)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if bold:
            cell.font = Font(bold=True, size=12)
    ws.column_dimensions["A"].width = 120


def _lists(ws, questionnaire: Questionnaire) -> dict[str, str]:
    """Write the dropdown lists; return list name -> absolute range reference."""
    refs: dict[str, str] = {}
    sheet = quote_sheetname(LISTS_SHEET)
    columns: list[tuple[str, list[str]]] = [("roles", [r.label for r in questionnaire.roles])]
    for sid, scale in questionnaire.scales.items():
        columns.append((f"scale:{sid}", [p.label for p in scale.points] + ([scale.na_label] if scale.na_label else [])))
    for col, (name, values) in enumerate(columns, start=1):
        letter = get_column_letter(col)
        ws.cell(row=1, column=col, value=name)
        for row, value in enumerate(values, start=2):
            ws.cell(row=row, column=col, value=value)
        refs[name] = f"{sheet}!${letter}$2:${letter}${len(values) + 1}"
    ws.sheet_state = "hidden"
    return refs


def _questions_sheet(ws, questionnaire: Questionnaire) -> None:
    headers = ["Question id", "Friction point", "Question", "Answer with", "Asked to", "Help"]
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
    roles = questionnaire.role_by_id
    for dim in questionnaire.dimensions:
        for q in dim.questions:
            answer = (", ".join(p.label for p in questionnaire.scale_of(q).points) if q.type == "scale"
                      else _answer_hint(q, questionnaire))
            asked = "everyone" if q.roles is None else ", ".join(roles[r].label for r in q.roles)
            ws.append([q.id, dim.title, q.text, answer, asked, q.help or ""])
    for letter, width in zip("ABCDEF", (12, 28, 70, 40, 30, 50), strict=True):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"


def _responses(ws, questionnaire: Questionnaire, refs: dict[str, str], rows: int) -> None:
    last_row = FIRST_DATA_ROW + rows - 1
    _profile_headers(ws)
    role_dv = DataValidation(type="list", formula1=refs["roles"], allow_blank=True, showErrorMessage=True,
                             errorTitle="Unknown role", error="Pick a role from the list.",
                             showInputMessage=True, promptTitle="Role", prompt="Pick your role from the list.")
    ws.add_data_validation(role_dv)
    role_dv.add(f"B{FIRST_DATA_ROW}:B{last_row}")
    scale_dvs: dict[str, DataValidation] = {}
    col = 4
    for di, dim in enumerate(questionnaire.dimensions):
        fill = PatternFill("solid", fgColor=DIMENSION_FILLS[di % len(DIMENSION_FILLS)])
        for q in dim.questions:
            letter = get_column_letter(col)
            _question_header(ws, col, q, dim, fill, questionnaire)
            ws.column_dimensions[letter].width = 26 if q.type != "text" else 40
            cells = f"{letter}{FIRST_DATA_ROW}:{letter}{last_row}"
            if q.type == "scale":
                dv = scale_dvs.get(q.scale)
                if dv is None:
                    dv = scale_dvs[q.scale] = _scale_validation(ws, questionnaire, q, refs)
                dv.add(cells)
            elif q.type == "numeric":
                _numeric_validation(ws, q).add(cells)
            col += 1
    _answer_cells(ws, last_row, col - 1)


def _profile_headers(ws) -> None:
    """The id, role and unit columns' two header rows."""
    for col, (head, sub) in enumerate(zip((ID_HEADER, ROLE_HEADER, UNIT_HEADER), ROW2_LABELS, strict=True), start=1):
        c1 = ws.cell(row=1, column=col, value=head)
        c2 = ws.cell(row=2, column=col, value=sub)
        for c in (c1, c2):
            c.font = Font(bold=True)
            c.fill = PatternFill("solid", fgColor=HEADER_FILL)
            c.border = _BORDER
            c.alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABC", (16, 24, 20), strict=True):
        ws.column_dimensions[letter].width = width


def _question_header(ws, col: int, q: Question, dim: Dimension, fill: PatternFill,
                     questionnaire: Questionnaire) -> None:
    """A question's id over its text (the importer reads either), with a comment saying
    its friction point, who is asked and how to answer, since the sheet has no room for it."""
    head = ws.cell(row=1, column=col, value=q.id)
    text = ws.cell(row=2, column=col, value=q.text)
    for c in (head, text):
        c.fill = fill
        c.border = _BORDER
        c.alignment = Alignment(wrap_text=True, vertical="top")
    head.font = Font(bold=True)
    roles = questionnaire.role_by_id
    note = f"{dim.title}\n"
    note += "Asked to: " + ("everyone" if q.roles is None else ", ".join(roles[r].label for r in q.roles))
    note += f"\nAnswer: {_answer_hint(q, questionnaire)}"
    if q.help:
        note += f"\n{q.help}"
    head.comment = Comment(note, "assess", width=260, height=120)


def _scale_validation(ws, questionnaire: Questionnaire, q: Question, refs: dict[str, str]) -> DataValidation:
    """A drop-down of the scale's labels, shared by every question on that scale."""
    scale = questionnaire.scales[q.scale]
    na = f" or '{scale.na_label}'" if scale.na_label else ""
    dv = DataValidation(type="list", formula1=refs[f"scale:{q.scale}"], allow_blank=True,
                        showErrorMessage=True, errorTitle="Not an answer on the scale",
                        error=f"Pick an answer from the list ({scale.points[0].label} ... "
                              f"{scale.points[-1].label}{na}), or leave the cell empty.")
    ws.add_data_validation(dv)
    return dv


def _numeric_validation(ws, q: Question) -> DataValidation:
    """A number within the question's plausible range (the importer refuses others)."""
    lo, hi = _range(q)
    unit = _unit(q)
    dv = DataValidation(type="decimal", operator="between", formula1=_fmt(lo), formula2=_fmt(hi),
                        allow_blank=True, showErrorMessage=True, errorTitle="Not a number in range",
                        error=f"Type a number from {_fmt(lo)} to {_fmt(hi)}{unit} "
                              f"(use {_fmt(lo)} or {_fmt(hi)} if yours is beyond), or leave it empty.",
                        showInputMessage=True, promptTitle=q.id[:32],
                        prompt=f"A number, {_fmt(lo)}-{_fmt(hi)}{unit}.")
    ws.add_data_validation(dv)
    return dv


def _answer_cells(ws, last_row: int, last_col: int) -> None:
    """Answer cells editable (id, role and unit as text), headers locked; formatting,
    sorting and filters allowed."""
    ws.row_dimensions[2].height = 120
    unlocked = Protection(locked=False)
    for row in ws.iter_rows(min_row=FIRST_DATA_ROW, max_row=last_row, max_col=last_col):
        for cell in row:
            cell.protection = unlocked
            cell.border = _BORDER
            cell.number_format = "@" if cell.column in (1, 2, 3) else "General"
    ws.freeze_panes = f"D{FIRST_DATA_ROW}"
    prot = ws.protection
    prot.sheet = True
    prot.formatCells = prot.formatColumns = prot.formatRows = False
    prot.autoFilter = prot.sort = False
    prot.selectLockedCells = prot.selectUnlockedCells = False


def build_survey_workbook(questionnaire: Questionnaire, *, client: str | None = None,
                          rows: int = ANSWER_ROWS) -> Workbook:
    """The survey workbook in memory (see module docstring for the layout)."""
    wb = Workbook()
    instructions = wb.active
    instructions.title = INSTRUCTIONS_SHEET
    responses = wb.create_sheet(RESPONSES_SHEET)
    questions = wb.create_sheet(QUESTIONS_SHEET)
    lists = wb.create_sheet(LISTS_SHEET)
    _instructions(instructions, questionnaire, client)
    refs = _lists(lists, questionnaire)
    _responses(responses, questionnaire, refs, rows)
    _questions_sheet(questions, questionnaire)
    wb.active = 1  # open on the Responses sheet
    instructions.sheet_view.tabSelected = False
    return wb


def write_survey_workbook(questionnaire: Questionnaire, path: str | Path, *, client: str | None = None,
                          rows: int = ANSWER_ROWS, force: bool = False) -> Path:
    """Write the survey workbook to ``path`` atomically (a half-written file never appears).

    An existing file is refused unless ``force``: it may be a workbook someone filled in.
    """
    target = Path(path)
    if target.suffix.lower() != ".xlsx":
        raise ReportError("the survey workbook must be an .xlsx file", file=target)
    if target.is_dir():
        raise ReportError("is a folder, not a workbook file", file=target)
    if target.exists() and not force:
        raise ReportError("already exists (it may hold answers); choose another name or use --force to "
                          "overwrite it", file=target)
    if not target.parent.is_dir():
        raise ReportError("the folder does not exist", file=target)
    wb = build_survey_workbook(questionnaire, client=client, rows=rows)
    try:
        atomic_write(target, lambda tmp: wb.save(tmp))
    except PermissionError:
        raise ReportError("cannot write (is it open in Excel?)", file=target) from None
    except OSError as exc:
        raise ReportError(f"cannot write: {exc.strerror or exc}", file=target) from None
    return target
