"""Orchestration: file -> grid -> tool -> columns -> respondents and answers.

Nothing here stops at the first bad cell: every unreadable cell becomes a
:class:`CellProblem` so a consultant fixes a file once, not once per error.
Whole-file problems (unreadable, no question column) raise :class:`ImportFailed`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ImportFailed
from ..questionnaire import Questionnaire, normalise_text
from ..responses import asked_table
from . import tools
from .columns import Column, ColumnPlan, build_columns, plan_columns, suggest
from .detect import SOURCES, detect_source, header_rows
from .mapping import Mapping
from .reading import Grid, read_grid
from .values import parse_column, parse_number, reader_for, role_lookup

RESPONDENT_FIELDS = ["source_row", "response_key", "email", "role", "role_raw", "unit", "submitted", "duration_s"]
ANSWER_FIELDS = ["source_row", "question_id", "raw", "value", "state"]
EMPTY = "empty"


@dataclass
class CellProblem:
    """One unreadable cell, located as the user sees it in the file."""

    row: int          # 1-based file row, header rows counted
    column: str       # the column header as in the file
    value: str        # the cell text
    why: str
    letter: str = ""  # the spreadsheet column letter

    def __str__(self) -> str:
        where = f"row {self.row}, column {self.letter} {self.column!r}" if self.letter else f"row {self.row}, column {self.column!r}"
        return f"{where}: {self.value!r}: {self.why}" if self.value else f"{where}: {self.why}"


@dataclass
class ParsedFile:
    """What one response file holds, before anything is stored (see the importers contract)."""

    path: Path
    source: str
    sha256: str
    respondents: pd.DataFrame
    answers: pd.DataFrame
    problems: list[CellProblem] = field(default_factory=list)
    unmapped_columns: list[str] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    columns: dict[str, dict[str, str]] = field(default_factory=dict)   # question id -> where it was read
    row_keys: dict[int, str] = field(default_factory=dict)             # source row -> every cell, canonical
    row_times: dict[int, str] = field(default_factory=dict)            # source row -> submission time, as precise as the file


def read_responses(path: str | Path, questionnaire: Questionnaire, *, source: str = "auto",
                   mapping: Mapping | None = None) -> ParsedFile:
    """Read a survey export or our survey workbook into tidy respondents and answers.

    ``source`` forces the tool (one of :data:`SOURCES`) instead of detecting it;
    ``mapping`` (see :func:`load_mapping`) names columns the headers cannot.
    """
    path = Path(path)
    if source == "auto" and mapping is not None and mapping.source:
        source = mapping.source
    if source != "auto" and source not in SOURCES:
        raise ImportFailed(f"unknown source {source!r}; choose one of auto, {', '.join(SOURCES)}", file=path)
    grid = read_grid(path)
    return parse_grid(grid, path, questionnaire, source=source, mapping=mapping)


def parse_grid(grid: Grid, path: Path, questionnaire: Questionnaire, *, source: str = "auto",
               mapping: Mapping | None = None) -> ParsedFile:
    """The work of :func:`read_responses` once the file is a grid of text."""
    top = next(i for i, r in enumerate(grid.rows) if any(c.strip() for c in r))
    if top:
        grid = Grid(grid.rows[top:], grid.sha256, grid.sheet, grid.sheet_names, grid.encoding, grid.delimiter,
                    grid.formulas)
    detected = detect_source(grid)
    if source == "auto":
        source = detected
    else:
        _check_forced_source(grid, path, source, detected)
    n_header = header_rows(grid, source)
    rows = grid.rows
    columns = build_columns(rows, n_header, source)
    try:
        plan = plan_columns(columns, questionnaire, source, mapping, lambda c: tools.is_metadata(source, c))
    except ImportFailed as exc:
        if exc.file is None:
            raise ImportFailed(exc.message, file=path) from None
        raise
    warnings = list(plan.warnings)
    if grid.formulas:
        warnings.append(f"{grid.formulas} formula cell(s) in the workbook: their last computed values were read "
                        "(a formula never calculated in Excel reads as blank)")
    if not plan.questions:
        sample = ", ".join(repr(c.header) for c in columns[:4])
        raise ImportFailed(f"no column matches a question of questionnaire {questionnaire.id} (read as {source}; "
                           f"headers start {sample}); give a --mapping file", file=path)
    if source in ("template", "wide") and len(rows) > n_header and _is_text_row(rows[n_header], plan, questionnaire):
        n_header += 1   # the survey workbook's row of question texts
    data = rows[n_header:]
    if not data:
        raise ImportFailed("no responses below the header row" + ("s" if n_header > 1 else ""), file=path)
    first_row = top + n_header + 1

    # Columns nobody claimed, minus headerless ones that hold nothing at all.
    unmapped = [c for c in plan.unmapped if any(h for h in c.raw_headers) or any(r[c.index].strip() for r in data)]

    skipped: dict[str, int] = {}
    reasons, tool_warnings = tools.skip_reasons(source, columns, data,
                                                include_test=bool(mapping and mapping.include_test_responses))
    warnings += tool_warnings
    question_cells = itemgetter(*[c.index for c in plan.questions.values()], 0)  # (a tuple even for one)
    for i, row in enumerate(data):
        # No answer to any question (only a timestamp, metadata, role or unit): not a respondent.
        if reasons[i] is None and not any(map(str.strip, question_cells(row)[:-1])):
            reasons[i] = EMPTY
    keep = [i for i, r in enumerate(reasons) if r is None]
    for r in reasons:
        if r is not None:
            skipped[r] = skipped.get(r, 0) + 1
    kept = [data[i] for i in keep]
    source_rows = np.array([first_row + i for i in keep], dtype="int64")

    problems: list[tuple[int, int, CellProblem]] = []
    precise: list[str] = []
    respondents = _respondents(kept, source_rows, columns, plan, source, questionnaire, mapping, problems, warnings,
                               path, precise)
    # A Qualtrics export whose role answers are numbers is a numeric-codes export
    # throughout: read every scale answer as a choice position, even in a column
    # whose codes happen to look like scale values (a 0-10 scale coded 1-11).
    roles = respondents["role_raw"].dropna()
    codes_export = source == "qualtrics" and len(roles) > 0 and bool(roles.str.fullmatch(r"\d+").all())
    answers = _answers(kept, source_rows, plan, questionnaire, mapping, source, problems, codes_export, warnings)
    warnings += _unasked_answers(respondents, answers, questionnaire)
    missing = [qid for qid in questionnaire.questions if qid not in plan.questions]
    if missing:
        warnings.append(f"{len(missing)} question(s) have no column in this file: {', '.join(missing)}")
    problems.sort(key=lambda p: (p[0], p[1]))
    return ParsedFile(path=path, source=source, sha256=grid.sha256, respondents=respondents, answers=answers,
                      problems=[p[2] for p in problems], unmapped_columns=[c.header for c in unmapped],
                      skipped=skipped, warnings=warnings, columns=plan.provenance(),
                      row_keys=_row_keys(kept, source_rows, columns, spec_submitted(source, columns),
                                         _without_usable_key(respondents)),
                      row_times=dict(zip(source_rows.tolist(), precise, strict=False)))


def spec_submitted(source: str, columns: list[Column]) -> int | None:
    col = tools.find(columns, tools.SPECS[source].submitted)
    return col.index if col is not None else None


def _without_usable_key(respondents: pd.DataFrame) -> list[bool]:
    """Rows whose identity cannot be the tool's response key (none, or one Excel damaged)."""
    return [not isinstance(k, str) or bool(tools.damaged_ids([k])) for k in respondents["response_key"].tolist()]


def _row_keys(kept: list[list[str]], source_rows: np.ndarray, columns: list[Column],
              submitted: int | None, wanted: list[bool]) -> dict[int, str]:
    """Every cell of each kept row but the submission time, by header (so column order does
    not matter), joined: the identity of a respondent when the file has no id. Columns
    empty in every row are left out, so an export with an extra empty column still matches.
    Only the ``wanted`` rows (those without a usable response key) need it."""
    if not any(wanted):
        return {}
    used = [j for j in range(len(columns)) if j != submitted and any(r[j].strip() for r in kept)]  # in any row
    if not all(wanted):
        kept = [cells for cells, want in zip(kept, wanted, strict=True) if want]
        source_rows = source_rows[np.array(wanted, dtype=bool)]
    order = sorted(used, key=lambda j: (normalise_text(columns[j].header), j))
    prefix = "\x1e".join(normalise_text(columns[j].header) for j in order) + "\x1d"
    if not order:
        return {int(row): prefix for row in source_rows.tolist()}
    pick = itemgetter(*order)
    if len(order) == 1:
        return {int(row): prefix + cells[order[0]] for row, cells in zip(source_rows.tolist(), kept, strict=True)}
    return {int(row): prefix + "\x1f".join(pick(cells)) for row, cells in zip(source_rows.tolist(), kept, strict=True)}


_ONE_HEADER = {"template", "wide", "google-forms", "microsoft-forms", "limesurvey", "typeform"}


def _check_forced_source(grid: Grid, path: Path, forced: str, detected: str) -> None:
    """A forced ``--source`` must fit the file's header shape, or rows are misread silently
    (a LimeSurvey file read as Qualtrics loses its first response as a 'header row')."""
    if forced == detected:
        return
    generic = {"wide", "template"}
    fits = (forced in generic and detected in _ONE_HEADER) or (detected == "wide" and forced in _ONE_HEADER)
    # A tool with several header rows whose row-1 names are localised or renamed: its header
    # rows themselves must be there (SurveyMonkey's row 2, Qualtrics' ImportId or V1.. rows).
    if detected == "wide" and forced == "surveymonkey":
        fits = header_rows(grid, "surveymonkey") == 2
    elif detected == "wide" and forced == "qualtrics":
        third = grid.rows[2] if len(grid.rows) > 2 else []
        first = [c.strip().casefold() for c in grid.rows[0][:3]] if grid.rows else []
        fits = first == ["v1", "v2", "v3"] or any(c.lstrip().startswith(('{"ImportId"', "{'ImportId'"))
                                                  for c in third)
    if fits:
        return
    first = ", ".join(repr(c) for c in grid.rows[0][:4]) if grid.rows else "nothing"
    if detected == "wide":
        looks = f"it has no {forced} header fingerprint (row 1 starts {first})"
    else:
        rows = header_rows(grid, detected)
        looks = f"it looks like a {detected} export with {rows} header row{'s' if rows > 1 else ''} (row 1 starts {first})"
    raise ImportFailed(f"--source {forced} does not fit this file: {looks}; drop --source to detect it", file=path)


def _unasked_answers(respondents: pd.DataFrame, answers: pd.DataFrame, questionnaire: Questionnaire) -> list[str]:
    """A note for answers to questions the respondent's role is not asked: kept, never scored."""
    if answers.empty or respondents.empty:
        return []
    # questions and roles as positions (-1 unknown: asked), one table lookup per cell
    rids = [r.id for r in questionnaire.roles]
    at = pd.Index(respondents["source_row"].to_numpy()).get_indexer(answers["source_row"].to_numpy())
    role = np.append(pd.Index(rids, dtype=object).get_indexer(respondents["role"].to_numpy(dtype=object)), -1)[at]
    question = pd.Index(list(questionnaire.questions), dtype=object).get_indexer(
        answers["question_id"].to_numpy(dtype=object))
    state = answers["state"].to_numpy(dtype=object)
    given = (state == "answered") | (state == "na")
    unasked = given & ~asked_table(questionnaire)[question, role]
    if not unasked.any():
        return []
    pairs = pd.DataFrame({"q": answers["question_id"].to_numpy()[unasked],
                          "r": np.array(rids, dtype=object)[role[unasked]]})
    counts = {(qid, rid): int(n) for (qid, rid), n in pairs.value_counts().items()}
    listed = ", ".join(f"{qid} ({rid}) x{n}" for (qid, rid), n in sorted(counts.items())[:8])
    more = f" and {len(counts) - 8} more" if len(counts) > 8 else ""
    return [f"{sum(counts.values())} answer(s) to questions not asked of the respondent's role are kept but not "
            f"scored: {listed}{more}"]


def _is_text_row(row: list[str], plan: ColumnPlan, questionnaire: Questionnaire) -> bool:
    if row and row[0].strip().startswith("Question"):
        return True
    filled = [(qid, row[c.index]) for qid, c in plan.questions.items() if row[c.index].strip()]
    return bool(filled) and all(normalise_text(t) == normalise_text(questionnaire.questions[q].text) for q, t in filled)


def _text_or_na(cells: list[str]) -> pd.Series:
    return pd.Series([" ".join(c.split()) or None for c in cells], dtype="str")


#: A column's cells in the kept rows (empty texts for no column).
_Cells = Callable[[Column | None], list[str]]


def _respondents(kept: list[list[str]], source_rows: np.ndarray, columns: list[Column], plan: ColumnPlan,
                 source: str, questionnaire: Questionnaire, mapping: Mapping | None,
                 problems: list[tuple[int, int, CellProblem]], warnings: list[str], path: Path,
                 times_out: list[str]) -> pd.DataFrame:
    """Respondent metadata per kept row; ``times_out`` receives each submission time as
    precise as the file carries it (for identities), or stays empty without a time column."""
    spec = tools.SPECS[source]
    n = len(kept)

    def cells(col: Column | None) -> list[str]:
        return [r[col.index] for r in kept] if col is not None else [""] * n

    keys = _response_keys(cells(plan.ident or tools.find(columns, spec.key)), warnings)
    # "anonymous" (Microsoft Forms) or a name is not an address: it must not make everyone one respondent
    email = _text_or_na([c if "@" in c else "" for c in cells(tools.find(columns, spec.email))])
    role_ids, role_raw = _roles(cells, n, source_rows, columns, plan, source, questionnaire, mapping, problems, path)
    if mapping is not None and mapping.unit:
        unit = pd.Series([mapping.unit] * n, dtype="str")
    else:
        unit = _text_or_na(cells(plan.unit))
    submitted, duration_s, precise = _times(cells, n, columns, spec, warnings)
    frame = pd.DataFrame({
        "source_row": source_rows,
        "response_key": keys,
        "email": email,
        "role": pd.Series(role_ids, dtype="str"),
        "role_raw": role_raw,
        "unit": unit,
        "submitted": submitted.reset_index(drop=True),
        "duration_s": duration_s,
    })
    times_out[:] = precise
    return frame


def _response_keys(texts: list[str], warnings: list[str]) -> pd.Series:
    """The survey tool's response ids, with a warning when Excel has turned them into
    rounded numbers (``1.14628E+11``): they can no longer tell respondents apart."""
    keys = _text_or_na(texts)
    damaged = tools.damaged_ids([k for k in keys.dropna()])
    if damaged:
        warnings.append(f"{len(damaged)} response id(s) look damaged by Excel (e.g. {damaged[0]}): the digits "
                        "are lost, so respondents cannot be told apart by id; kept as text")
    return keys


def _roles(cells: _Cells, n: int, source_rows: np.ndarray, columns: list[Column], plan: ColumnPlan, source: str,
           questionnaire: Questionnaire, mapping: Mapping | None, problems: list[tuple[int, int, CellProblem]],
           path: Path) -> tuple[list[str | None], pd.Series]:
    """Each row's role id and the cell it was read from: the mapping's fixed role, else the
    role column. Without either the file is refused: a respondent without a role cannot be scored."""
    fixed_role = mapping.role if mapping else None
    if fixed_role:
        if fixed_role not in questionnaire.role_by_id:
            raise ImportFailed(f"{mapping.where('role')}: unknown role id {fixed_role!r}; roles: "
                               f"{', '.join(questionnaire.role_by_id)}", file=mapping.file or "mapping")
        return [fixed_role] * n, pd.Series([None] * n, dtype="str")
    if plan.role is not None:
        return _read_role_column(cells(plan.role), plan.role, source_rows, source, questionnaire, mapping, problems)
    if n:
        names = list(dict.fromkeys([questionnaire.profile.role.text if questionnaire.profile.role else "Role",
                                    "Role"]))
        expected = " or ".join(repr(t) for t in names)
        hint = suggest(names[0], columns)
        raise ImportFailed(f"no column holds the respondent's role: expected a column headed {expected}, or "
                           f"`role_column:` / `role:` in a mapping file{hint}", file=path)
    return [None] * n, pd.Series([None] * n, dtype="str")


def _read_role_column(raw_cells: list[str], col: Column, source_rows: np.ndarray, source: str,
                      questionnaire: Questionnaire, mapping: Mapping | None,
                      problems: list[tuple[int, int, CellProblem]]) -> tuple[list[str | None], pd.Series]:
    """Role labels (or the mapping's ``role_values``) to role ids; every unreadable cell is a problem."""
    lookup = role_lookup(questionnaire, mapping)
    bad_ids = {v for v in lookup.values() if v not in questionnaire.role_by_id}
    if bad_ids and mapping is not None:
        raise ImportFailed(f"{mapping.where('role_values')}: unknown role id(s) {', '.join(sorted(bad_ids))}",
                           file=mapping.file or "mapping")
    labels = ", ".join(r.label for r in questionnaire.roles)
    memo: dict[str, str | None] = {}
    if source == "qualtrics":
        # Qualtrics' numeric export codes a choice by its position: role 1 is the
        # questionnaire's first role when the survey lists roles in its order.
        for pos, role in enumerate(questionnaire.roles, start=1):
            lookup.setdefault(str(pos), role.id)
    role_ids: list[str | None] = [None] * len(raw_cells)
    for i, text in enumerate(raw_cells):
        if text not in memo:
            memo[text] = lookup.get(normalise_text(text)) if text.strip() else None
        role_ids[i] = memo[text]
        if memo[text] is None:
            why = "role is blank; every respondent needs a role" if not text.strip() else \
                  f"not a role of this questionnaire ({labels})"
            problems.append((int(source_rows[i]), col.index,
                             CellProblem(int(source_rows[i]), col.header, text, why, col.letter)))
    return role_ids, _text_or_na(raw_cells)


def _times(cells: _Cells, n: int, columns: list[Column], spec: tools.ToolSpec,
           warnings: list[str]) -> tuple[pd.Series, np.ndarray, list[str]]:
    """Submission time (ISO text), duration in seconds (the tool's own, else submitted minus
    started) and each time as precise as its cell (empty without a time column)."""
    submitted_col = tools.find(columns, spec.submitted)
    start_col = tools.find(columns, spec.start)
    duration_col = tools.find(columns, spec.duration)
    submitted_t = tools.parse_times(cells(submitted_col)) if submitted_col is not None else None
    submitted = tools.iso(submitted_t) if submitted_t is not None else pd.Series([None] * n, dtype="str")
    if submitted_col is not None and submitted_t is not None:
        unread = sum(1 for c, t in zip(cells(submitted_col), submitted_t, strict=True) if c.strip() and pd.isna(t))
        if unread:
            warnings.append(f"{unread} submission time(s) in column {submitted_col.header!r} could not be read")
    if duration_col is not None:
        duration = [parse_number(c) if c.strip() else None for c in cells(duration_col)]
        duration_s = np.array([math.nan if d is None else d for d in duration], dtype="float64")
    elif start_col is not None and submitted_t is not None:
        start_t = tools.parse_times(cells(start_col))
        duration_s = ((submitted_t - start_t).dt.total_seconds()).to_numpy(dtype="float64", na_value=np.nan)
    else:
        duration_s = np.full(n, np.nan)
    precise = tools.precise_times(cells(submitted_col), submitted_t) if submitted_col is not None else []
    return submitted, duration_s, precise


def _answers(kept: list[list[str]], source_rows: np.ndarray, plan: ColumnPlan, questionnaire: Questionnaire,
             mapping: Mapping | None, source: str, problems: list[tuple[int, int, CellProblem]],
             codes_export: bool = False, notes: list[str] | None = None) -> pd.DataFrame:
    n, qids = len(kept), list(plan.questions)
    raw = np.empty((n, len(qids)), dtype=object)
    value = np.empty((n, len(qids)), dtype="float64")
    state = np.empty((n, len(qids)), dtype=object)
    columns = {qid: list(map(itemgetter(plan.questions[qid].index), kept)) for qid in qids}
    # Recode values are decided per scale over the whole file, so one column's luck
    # (only 1..3 seen) cannot read it differently from its neighbours.
    distinct_by_scale: dict[str, set[str]] = {}
    for qid in qids:
        scale_id = questionnaire.questions[qid].scale
        if scale_id:
            own = {normalise_text(k) for k in (mapping.question_values.get(qid, {}) if mapping else {})}
            distinct_by_scale.setdefault(scale_id, set()).update(
                c for c in set(columns[qid]) if normalise_text(c) not in own)
    for j, qid in enumerate(qids):
        col = plan.questions[qid]
        cells = columns.pop(qid)  # parsed: its texts live on in ``raw`` only
        question = questionnaire.questions[qid]
        reader = reader_for(questionnaire, question, mapping, source)
        reader.prepare(sorted(distinct_by_scale.get(question.scale, set())) if question.scale else sorted(set(cells)))
        note = reader.note() if hasattr(reader, "note") else None
        if note and notes is not None:
            notes.append(note)
        if codes_export and hasattr(reader, "force_positions"):
            reader.force_positions()
        r, v, s, bad = parse_column(reader, cells)
        raw[:, j], value[:, j], state[:, j] = r, v, s
        if bad:
            for i, text in enumerate(cells):
                if text in bad:
                    row = int(source_rows[i])
                    problems.append((row, col.index, CellProblem(row, col.header, text, bad[text], col.letter)))
    # Row by row, question by question. No column is copied on the way into the frame (blank
    # raw cells are already NaN, the str dtype's missing value): at 100,000 respondents each
    # column is 60 MB.
    return pd.DataFrame({
        "source_row": np.repeat(source_rows, len(qids)),
        "question_id": pd.Series(np.tile(np.array(qids, dtype=object), n), dtype="str", copy=False),
        "raw": pd.Series(raw.ravel(), dtype="str", copy=False),
        "value": value.ravel(),
        "state": pd.Series(state.ravel(), dtype="str", copy=False),
    }, copy=False)
