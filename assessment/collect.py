"""Import response files into the workspace store: read, check, decide, write.

The rules, so that no answer is ever lost or silently dropped:

- **Each file is its own transaction.** A file is written completely or not at all;
  an interrupted or killed import leaves the store exactly as before.
- **Unreadable cells refuse the file** (every problem listed, nothing of the file
  written). With ``skip_invalid`` the bad answer cells are stored as blank (their
  text kept in ``raw``) and respondents whose role cannot be read are skipped; both
  are recorded in the import log.
- **Re-imports are safe.** A file whose bytes were already imported in the round is
  "unchanged". A respondent is recognised by the survey tool's response key, else
  the e-mail, else a fingerprint of role, unit and answers: same identity and same
  answers is a duplicate (skipped); same identity with different answers is a
  conflict that refuses the file unless ``replace`` is given.
- **Quality flags never drop anyone**: straight-lining, speeders and duplicate
  submissions are flagged in the report and stored on the respondent.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import quality
from .errors import AssessmentError, ImportFailed, Problem, StoreError
from .questionnaire import Questionnaire
from .responses import ANSWERED, BLANK, NA, asked_table
from .snapshot import ImportFollower
from .store import Store, _now, open_store

if TYPE_CHECKING:
    from .engagement import Workspace

IMPORTED, REFUSED, UNCHANGED, DRY_RUN, SKIPPED = "imported", "refused", "unchanged", "dry-run", "skipped"
POLICY = ("each file is imported in its own transaction: a file with unreadable answers or conflicts "
          "is refused before anything of it is written; files already imported stay as they are")

SKIP_UNREADABLE_ROLE = "unreadable role"
SKIP_DUPLICATE_IN_FILE = "duplicate submission in file"


@dataclass
class FileReport:
    """What happened to one file."""

    path: str
    source: str | None = None
    sha256: str | None = None
    status: str = REFUSED
    added: int = 0
    replaced: int = 0
    duplicate: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    problems: list[dict[str, Any]] = field(default_factory=list)
    invalid_cells_blanked: int = 0
    unmapped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    quality: dict[str, list[str]] = field(default_factory=dict)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    message: str | None = None
    import_id: int | None = None
    columns: dict[str, dict[str, str]] = field(default_factory=dict)   # question id -> column it came from

    @property
    def name(self) -> str:
        return Path(self.path).name

    def summary_line(self) -> str:
        counts = f"{self.added} added"
        if self.replaced:
            counts += f", {self.replaced} replaced"
        if self.duplicate:
            counts += f", {self.duplicate} already stored"
        skipped = sum(self.skipped.values())
        if skipped:
            counts += f", {skipped} skipped"
        src = f" [{self.source}]" if self.source else ""
        if self.status in (IMPORTED, DRY_RUN):
            verb = "would import" if self.status == DRY_RUN else "imported"
            return f"{self.path}{src}: {verb}: {counts}"
        if self.status == REFUSED:
            return f"{self.path}{src}: refused, nothing of it stored"
        return f"{self.path}{src}: {self.status}: {self.message or counts}"


@dataclass
class ImportReport:
    """The outcome of :func:`import_responses`, one :class:`FileReport` per file."""

    round: str
    dry_run: bool = False
    files: list[FileReport] = field(default_factory=list)
    policy: str = POLICY

    @property
    def refused(self) -> list[FileReport]:
        return [f for f in self.files if f.status == REFUSED]

    @property
    def ok(self) -> bool:
        return not self.refused

    @property
    def added(self) -> int:
        return sum(f.added for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        return {"round": self.round, "dry_run": self.dry_run, "policy": self.policy, "ok": self.ok,
                "files": [asdict(f) for f in self.files]}

    def batch_lines(self) -> list[str]:
        """For several files: which were stored, unchanged, skipped and refused."""
        if len(self.files) < 2:
            return []
        lines = []
        for status, label in ((IMPORTED, "stored"), (DRY_RUN, "would store"), (UNCHANGED, "unchanged"),
                              (SKIPPED, "skipped"), (REFUSED, "refused")):
            names = [f.path for f in self.files if f.status == status]
            if names:
                lines.append(f"{label} ({len(names)}): {', '.join(names)}")
        return lines

    def summary_lines(self, max_problems: int = 50, columns: bool = False) -> list[str]:
        """Human-readable lines: one per file, then its problems, skips and flags
        (and, with ``columns``, the column each question was read from)."""
        lines = []
        for f in self.files:
            if f.status == REFUSED and not (f.problems or f.conflicts or f.unmapped or f.skipped):
                continue  # nothing to list: the one-line refusal says it all
            lines.append(f.summary_line())
            if columns and f.columns:
                lines.append("  columns read:")
                for qid, where in f.columns.items():
                    lines.append(f"    {qid:<12} <- column {where['column']} {where['header']!r} "
                                 f"({where['matched_by']})")
            shown = f.problems[:max_problems]
            for p in shown:
                lines.append(f"  row {p['row']}, column {p['column']!r}: {p['value']!r}: {p['why']}")
            if len(f.problems) > len(shown):
                lines.append(f"  ... {len(f.problems) - len(shown)} more problems")
            if f.invalid_cells_blanked:
                lines.append(f"  {f.invalid_cells_blanked} unreadable answer(s) stored as blank")
            for c in f.conflicts[:max_problems]:
                lines.append(f"  conflict: row {c['row']}: {c['identity_kind']} {c['identity']!r} is already "
                             f"stored as {c['respondent_id']} with different answers")
            for reason, n in f.skipped.items():
                if n:
                    lines.append(f"  skipped {n}: {reason}")
            if f.unmapped:
                lines.append(f"  unmapped columns (ignored): {', '.join(f.unmapped)}")
            for flag, ids in f.quality.items():
                lines.append(f"  flagged {flag}: {len(ids)} ({', '.join(ids[:8])}{' ...' if len(ids) > 8 else ''})")
            for w in f.warnings:
                lines.append(f"  note: {w}")
        return lines


# -- preparing one parsed file ------------------------------------------------------------


def _problem_dict(p: Any) -> dict[str, Any]:
    out = {"row": int(p.row) if p.row is not None else None, "column": str(p.column), "value": str(p.value),
           "why": str(p.why)}
    if getattr(p, "letter", None):
        out["letter"] = str(p.letter)
    return out


def _text(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


@dataclass
class _Prepared:
    respondents: pd.DataFrame   # kept respondents, with identity, content_hash, respondent_id, flags
    answers: pd.DataFrame       # answers of kept respondents (source_row keyed)
    problems: list[dict[str, Any]]
    skipped: Counter
    invalid_cells: int
    enough: dict[int, bool] = field(default_factory=dict)  # source_row -> enough scale answers to compare


def _invalid_answer_mask(answers: pd.DataFrame, q: Questionnaire) -> pd.Series:
    """Cells that claim an answer but hold no valid value for a scale or numeric question.

    Worked on numpy arrays (one pass per scale, not per cell): at 100,000 respondents the
    answers are millions of rows.
    """
    questions = list(q.questions.values())
    code = _question_codes(q, answers)
    is_scale = np.array([qq.type == "scale" for qq in questions] + [False])[code]
    is_numeric = np.array([qq.type == "numeric" for qq in questions] + [False])[code]
    answered = answers["state"].to_numpy(dtype=object) == ANSWERED
    value = answers["value"].to_numpy(dtype="float64")
    missing = np.isnan(value)
    bad = answered & (is_scale | is_numeric) & missing
    scale_rows = answered & is_scale & ~missing
    if scale_rows.any():
        scale_ids = list(dict.fromkeys(qq.scale for qq in questions if qq.type == "scale"))
        scale_of = np.array([scale_ids.index(qq.scale) if qq.type == "scale" else -1 for qq in questions] + [-1])[code]
        for k, scale_id in enumerate(scale_ids):
            rows = scale_rows & (scale_of == k)
            if rows.any():
                points = [float(pt.value) for pt in q.scales[scale_id].points]
                bad |= rows & ~np.isin(value, points)
    return pd.Series(bad, index=answers.index)


#: The answers column :func:`_prepare` adds: each cell's question as its position in the questionnaire.
QUESTION_CODE = "_question"


def _question_codes(q: Questionnaire, answers: pd.DataFrame) -> np.ndarray:
    """Each cell's question as its position in the questionnaire (-1 for an unknown id):
    the column :func:`_prepare` worked out once, else one hash lookup per cell."""
    if QUESTION_CODE in answers.columns:
        return answers[QUESTION_CODE].to_numpy()
    return pd.Index(list(q.questions), dtype=object).get_indexer(answers["question_id"].to_numpy(dtype=object))


def _cell_role_codes(answers: pd.DataFrame, respondents: pd.DataFrame, q: Questionnaire) -> np.ndarray:
    """Each answer cell's respondent role as its position in the questionnaire (-1 for an
    unknown role or a row without a respondent), by array index: no object per cell."""
    at = pd.Index(respondents["source_row"].to_numpy()).get_indexer(answers["source_row"].to_numpy())
    roles = pd.Index([r.id for r in q.roles], dtype=object).get_indexer(respondents["role"].to_numpy(dtype=object))
    return np.append(roles, -1)[at]  # -1 (no respondent) picks the -1 at the end


def _not_asked(answers: pd.DataFrame, respondents: pd.DataFrame, q: Questionnaire) -> np.ndarray:
    """Cells of questions the respondent's role is not asked (an unknown question or role
    counts as asked, as in :func:`~assessment.responses.asked_table`)."""
    return ~asked_table(q)[_question_codes(q, answers), _cell_role_codes(answers, respondents, q)]


def _empty_and_not_asked(answers: pd.DataFrame, respondents: pd.DataFrame, q: Questionnaire) -> np.ndarray:
    """Empty cells of questions the respondent's role is not asked.

    They carry no information (scoring reads a missing row as blank), and in a
    role-routed questionnaire they are most of a survey row, so leaving them out
    cuts the store's writes by about two thirds. Blank cells of questions that
    *were* asked are kept: "asked and left blank" stays on record.
    """
    empty = ((answers["state"].to_numpy(dtype=object) == BLANK) & answers["raw"].isna().to_numpy())
    return empty & _not_asked(answers, respondents, q)


def _fingerprints(respondents: pd.DataFrame, answers: pd.DataFrame) -> pd.Series:
    """A stable hash of role, unit and the non-blank answers, per source_row.

    Blank cells are left out, so an export with an extra empty column still matches.
    Each row hashes ``question=answer`` texts sorted by question id; the texts are made
    once per distinct (question, answer) pair and shared by every cell that has it.
    """
    cells, rows = _answer_texts(answers)
    spans: dict[int, tuple[int, int]] = {}
    if len(rows):
        bounds = np.flatnonzero(np.diff(rows)) + 1
        starts, ends = [0, *bounds.tolist()], [*bounds.tolist(), len(rows)]
        spans = dict(zip(rows[starts].tolist(), zip(starts, ends, strict=True), strict=True))
    out = {}
    for row, role, unit in zip(respondents["source_row"].tolist(), respondents["role"].tolist(), respondents["unit"].tolist(), strict=True):
        span = spans.get(int(row))
        joined = "\x1f".join(cells[span[0]:span[1]]) if span else ""
        text = f"{role}\x1e{_text(unit) or ''}\x1e{joined}"
        out[row] = hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
    return pd.Series(out, dtype="str")


def _answer_texts(answers: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    """The non-blank cells as ``question=answer`` texts (``NA``, the number as numpy writes
    it, else the raw text), ordered by row and then question id; and each one's row."""
    state = answers["state"].to_numpy(dtype=object)
    keep = state != BLANK
    if not keep.any():
        return [], np.empty(0, dtype="int64")
    rows = answers["source_row"].to_numpy()[keep]
    na = state[keep] == NA
    val = answers["value"].to_numpy(dtype="float64")[keep]
    number = ~na & ~np.isnan(val)
    token = np.empty(len(rows), dtype=object)
    if number.any():
        distinct, at = np.unique(val[number], return_inverse=True)
        token[number] = distinct.astype(str).astype(object)[at]
    text = ~na & ~number
    token[text] = [r if isinstance(r, str) else "" for r in answers["raw"].to_numpy(dtype=object)[keep][text]]
    token[na] = "NA"
    qcode, qids = pd.factorize(answers["question_id"].to_numpy(dtype=object)[keep])
    tcode, tokens = pd.factorize(token)
    pcode, pairs = pd.factorize(qcode.astype("int64") * len(tokens) + tcode)
    texts = np.array([f"{qids[p // len(tokens)]}={tokens[p % len(tokens)]}" for p in pairs.tolist()], dtype=object)
    rank = np.argsort(np.argsort(np.array(qids, dtype=str), kind="stable"), kind="stable")
    order = np.lexsort((rank[qcode], rows))
    return texts[pcode[order]].tolist(), rows[order]


def _prepare(parsed: Any, q: Questionnaire, skip_invalid: bool) -> _Prepared:
    resp = parsed.respondents.copy()
    ans = parsed.answers  # filtered (a copy) only where it must change: it is the largest object
    for col in ("response_key", "email", "role", "role_raw", "unit", "submitted", "duration_s"):
        if col not in resp.columns:
            resp[col] = pd.NA
    problems = [_problem_dict(p) for p in parsed.problems]
    problem_rows = {p["row"] for p in problems}
    skipped: Counter = Counter({k: int(v) for k, v in (parsed.skipped or {}).items() if v})

    # Respondents whose role is unreadable cannot be scored.
    bad_role = ~resp["role"].astype("object").isin(list(q.role_by_id))
    for row, raw in zip(resp.loc[bad_role, "source_row"], resp.loc[bad_role, "role_raw"], strict=True):
        if int(row) not in problem_rows:  # the reader should have said so; never stay silent
            problems.append({"row": int(row), "column": "role", "value": _text(raw) or "",
                             "why": "no readable role; roles: " + ", ".join(r.label for r in q.roles)})
    code = _question_codes(q, ans)
    ans = ans.assign(**{QUESTION_CODE: code})  # a new column; the file's columns are shared, not copied
    if (code < 0).any():
        ans = ans[code >= 0]
    bad_cells = _invalid_answer_mask(ans, q)
    for row, qid, raw in zip(ans.loc[bad_cells, "source_row"], ans.loc[bad_cells, "question_id"],
                             ans.loc[bad_cells, "raw"], strict=True):
        if int(row) not in problem_rows:
            problems.append({"row": int(row), "column": qid, "value": _text(raw) or "",
                             "why": "not a valid answer for this question"})
    invalid = 0
    if skip_invalid:
        if bad_role.any():
            skipped[SKIP_UNREADABLE_ROLE] += int(bad_role.sum())
            gone = set(resp.loc[bad_role, "source_row"])
            resp = resp[~bad_role]
            ans = ans[~ans["source_row"].isin(gone)]
            bad_cells = bad_cells.loc[ans.index]
        n_mask = int(bad_cells.sum())
        # the reader stores cells it could not read as blank already; count those too
        kept_rows = {int(r) for r in resp["source_row"].tolist()}
        cells = {(int(r), str(c)) for r, c in zip(ans.loc[bad_cells, "source_row"], ans.loc[bad_cells, "question_id"],
                                                  strict=True)}
        cells |= {(int(p.row), str(p.column)) for p in parsed.problems if p.row is not None and int(p.row) in kept_rows}
        invalid = len(cells)
        if n_mask:
            ans = ans.copy()
            ans.loc[bad_cells, "state"] = BLANK
            ans.loc[bad_cells, "value"] = float("nan")
    return _Prepared(resp.reset_index(drop=True), ans.reset_index(drop=True), problems, skipped, invalid)


SKIP_CONFLICTING_ID = "same respondent id on several rows with different answers"


def _row_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _split_content(identity: str) -> tuple[str, str, int] | None:
    """``content:<hash>@<time>[#n]`` -> (hash, time, n); None for other identities."""
    if not identity.startswith("content:"):
        return None
    body = identity[len("content:"):]
    n = 1
    if "#" in body:
        body, _, tail = body.rpartition("#")
        n = int(tail) if tail.isdigit() else 1
    hash_, _, time = body.partition("@")
    return hash_, time, n


def _same_time(a: str, b: str) -> bool:
    """Times agree to the precision both carry (ISO text cut to minutes, seconds or a
    fraction): the shorter is a prefix of the longer. No time at all agrees with any."""
    if not a or not b:
        return True
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    return long_.startswith(short)


def _assign_identities(prep: _Prepared, parsed: Any, stem: str, skip_invalid: bool, q: Questionnaire) -> None:
    """Identity, content hash, in-file duplicates and candidate respondent ids.

    With a response id (or, failing that, an e-mail) the id decides. Without one, the
    identity is every cell of the row plus the submission time at the file's full
    precision; identical rows inside one file are distinct respondents (``#2``...),
    flagged, never merged. The same id twice with different answers is refused
    (``skip_invalid`` skips every row of that id instead).
    """
    resp = prep.respondents
    resp["content_hash"] = resp["source_row"].map(_fingerprints(resp, prep.answers)).astype("str")
    kinds, base = _base_identities(resp, parsed)
    resp["identity_kind"] = kinds
    resp["base_identity"] = base
    clash = _clashing_ids(resp, kinds, base, prep)
    if clash and skip_invalid:
        prep.skipped[SKIP_CONFLICTING_ID] += len(clash)
    identity, keep = _in_file_identities(kinds, base, resp["content_hash"].tolist(), clash)
    resp["identity"] = identity
    dupes = [not k and i not in clash for i, k in enumerate(keep)]
    if any(dupes):
        prep.skipped[SKIP_DUPLICATE_IN_FILE] += sum(dupes)
    if not all(keep):
        gone = set(resp.loc[[not k for k in keep], "source_row"])
        resp = resp[keep].reset_index(drop=True)
        prep.answers = prep.answers[~prep.answers["source_row"].isin(gone)].reset_index(drop=True)
    prep.enough = _enough_scale_answers(resp, prep.answers, q)
    resp["flags"] = _duplicate_flags(resp, prep.enough)
    resp["id_candidate"] = [k if k else f"{stem}-r{int(r)}" for k, r in
                            zip([_text(k) for k in resp["response_key"].tolist()], resp["source_row"].tolist(), strict=True)]
    prep.respondents = resp


def _base_identities(resp: pd.DataFrame, parsed: Any) -> tuple[list[str], list[str]]:
    """Per respondent, what identifies them and how: the tool's response key (unless
    Excel has damaged the ids), else the e-mail, else the row's content and time."""
    from .importers.tools import damaged_ids

    keys = [_text(k) for k in resp["response_key"].tolist()]
    broken = set(damaged_ids([k for k in keys if k]))
    emails = [(_text(e) or "").casefold() or None for e in resp["email"].tolist()]
    row_keys = getattr(parsed, "row_keys", None) or {}
    row_times = getattr(parsed, "row_times", None) or {}
    kinds, base = [], []
    for key, email, fp, row in zip(keys, emails, resp["content_hash"].tolist(), resp["source_row"].tolist(), strict=True):
        if key and key not in broken:
            kinds.append("key")
            base.append(f"key:{parsed.source}:{key}")
        elif email:
            kinds.append("email")
            base.append(f"email:{email}")
        else:
            kinds.append("content")
            text = row_keys.get(int(row))
            base.append(f"content:{_row_hash(text) if text is not None else fp}@{row_times.get(int(row), '')}")
    return kinds, base


def _clashing_ids(resp: pd.DataFrame, kinds: list[str], base: list[str], prep: _Prepared) -> set[int]:
    """Positions of rows sharing a response id but not their answers, one problem per id:
    which row is the respondent cannot be guessed."""
    by_key: dict[str, list[int]] = {}
    for i, (kind, ident) in enumerate(zip(kinds, base, strict=True)):
        if kind == "key":
            by_key.setdefault(ident, []).append(i)
    clash: set[int] = set()
    hashes = resp["content_hash"].tolist()
    for ident, idx in by_key.items():
        if len(idx) > 1 and len({hashes[i] for i in idx}) > 1:
            clash.update(idx)
            rows = [int(resp["source_row"].iat[i]) for i in idx]
            key = ident.split(":", 2)[-1]
            prep.problems.append({"row": rows[0], "column": "respondent id", "value": key,
                                  "why": f"respondent id {key!r} is on rows {', '.join(map(str, rows))} with "
                                         "different answers; which one counts?"})
    return clash


def _in_file_identities(kinds: list[str], base: list[str], hashes: list[str],
                        clash: set[int]) -> tuple[list[str], list[bool]]:
    """Each row's identity and whether it is kept. A clashing id drops every row of it;
    the same id or e-mail with the same answers again is one person submitting twice
    (dropped); rows without an id are never merged: the 2nd, 3rd... get ``#2``, ``#3``."""
    seen: dict[str, list[str]] = {}
    identity, keep = [], []
    for i, (kind, ident, fp) in enumerate(zip(kinds, base, hashes, strict=True)):
        if i in clash:
            keep.append(False)
            identity.append(ident)
            continue
        group = seen.setdefault(ident, [])
        if kind != "content" and fp in group:
            keep.append(False)  # the same person submitting the same answers twice
            identity.append(ident)
            continue
        group.append(fp)
        keep.append(True)
        identity.append(ident if len(group) == 1 else f"{ident}#{len(group)}")
    return identity, keep


def _duplicate_flags(resp: pd.DataFrame, enough: dict[int, bool]) -> list[list[str]]:
    """Several kept submissions under one key/e-mail, or identical rows: flag them all
    (flags never drop anyone). Identical answers count only on rows long enough to mean it."""
    multi = (resp["base_identity"].map(resp["base_identity"].value_counts()) > 1).tolist()
    same_answers = (resp["content_hash"].map(resp["content_hash"].value_counts()) > 1).tolist()
    flags: list[list[str]] = []
    for is_multi, same, kind, ident, row in zip(multi, same_answers, resp["identity_kind"].tolist(),
                                                resp["base_identity"].tolist(), resp["source_row"].tolist(),
                                                strict=True):
        mine: list[str] = []
        long_enough = enough.get(int(row), False)
        if is_multi:
            if kind == "key":
                mine.append(quality.DUPLICATE_ID)
            elif kind == "email":
                mine.append(quality.DUPLICATE_EMAIL)
            elif not ident.endswith("@") or long_enough:
                # identical to the submission time (or a long identical row): possibly one person twice
                mine.append(quality.POSSIBLE_DUPLICATE)
        if same and long_enough:
            mine.append(quality.IDENTICAL_ANSWERS)
        flags.append(mine)
    return flags


def _enough_scale_answers(resp: pd.DataFrame, answers: pd.DataFrame, q: Questionnaire) -> dict[int, bool]:
    """source_row -> whether the row has enough answered scale items for 'identical answers'
    to mean anything (a 1-question survey has identical answers everywhere)."""
    counts = pd.Series(answers["source_row"].to_numpy()[_answered_scale(answers, q)]).value_counts().to_dict()
    return {int(r): counts.get(r, 0) >= quality.MIN_IDENTICAL_ITEMS for r in resp["source_row"].tolist()}


def _answered_scale(answers: pd.DataFrame, q: Questionnaire) -> np.ndarray:
    """Cells answering a scale question with a value."""
    is_scale = np.array([qq.type == "scale" for qq in q.questions.values()] + [False])
    return ((answers["state"].to_numpy(dtype=object) == ANSWERED) & ~np.isnan(answers["value"].to_numpy("float64"))
            & is_scale[_question_codes(q, answers)])


def _add_quality_flags(prep: _Prepared, q: Questionnaire) -> None:
    resp = prep.respondents
    # only the answered scale cells (all the straight-lining check reads): a far smaller frame
    scale = prep.answers.loc[_answered_scale(prep.answers, q), ["source_row", "question_id", "value", "state"]]
    found = quality.quality_flags(resp, scale, q, key="source_row")
    for i, row in zip(resp.index, resp["source_row"].tolist(), strict=True):
        for flag in found.get(row, []):
            if flag not in resp.at[i, "flags"]:
                resp.at[i, "flags"].append(flag)


def _unique_id(candidate: str, stem: str, taken: set[str]) -> str:
    rid = candidate
    if rid in taken and not rid.startswith(f"{stem}-"):
        rid = f"{stem}-{candidate}"
    n = 2
    base = rid
    while rid in taken:
        rid = f"{base}-{n}"
        n += 1
    taken.add(rid)
    return rid


def _obj(series: pd.Series) -> list:
    """Column values for sqlite: missing values as None."""
    s = series.astype("object")
    return s.where(s.notna(), None).tolist()


# -- writing ------------------------------------------------------------------------------


def _write_file(store: Store, parsed: Any, q: Questionnaire, report: FileReport, *, round: str,
                skip_invalid: bool, replace: bool, dry_run: bool, follower: ImportFollower | None = None) -> None:
    """Check, decide and write one parsed file, all in one transaction (see the module
    docstring); ``report`` says what happened. A dry run raises :class:`_DryRun` to roll back."""
    path = Path(parsed.path)
    report.source, report.sha256 = parsed.source, parsed.sha256
    report.columns = dict(getattr(parsed, "columns", None) or {})
    report.unmapped = list(parsed.unmapped_columns or [])
    report.warnings = list(parsed.warnings or [])
    prep = _prepare(parsed, q, skip_invalid)
    _assign_identities(prep, parsed, path.stem, skip_invalid, q)
    report.problems = prep.problems
    report.invalid_cells_blanked = prep.invalid_cells
    if prep.problems and not skip_invalid:
        _refuse_unreadable(report, prep)
        return
    _add_quality_flags(prep, q)

    conn = store.conn
    with store.transaction():
        if follower is not None:
            follower.begin()
        if not replace and _unchanged_file(conn, parsed.sha256, round, report):
            report.skipped = dict(prep.skipped)
            return
        stored = _StoredRound(conn, round, path.stem)
        idents, ids, keep = stored.match(prep.respondents, prep.enough, report)
        if report.conflicts and not replace:
            report.status = REFUSED
            report.skipped = dict(prep.skipped)
            report.message = (f"{len(report.conflicts)} respondent(s) already stored with different answers; "
                              "nothing was stored (use --replace to replace them)")
            report.duplicate = 0
            return
        resp = prep.respondents.assign(identity=idents).assign(respondent_id=ids)[np.array(keep, dtype=bool)]
        report.replaced = len(stored.to_replace)
        report.added = len(resp) - report.replaced
        report.skipped = dict(prep.skipped)
        report.quality = _flagged_ids(resp)
        if report.added == 0 and report.replaced == 0:
            report.status = UNCHANGED
            report.message = (f"all {report.duplicate} respondent(s) already stored; nothing changed" if report.duplicate
                              else "no respondent to store (every row was skipped); nothing changed")
            return
        import_id = _insert_import(conn, parsed, path, round, report)
        if stored.to_replace:
            pks = [(pk,) for pk in stored.to_replace]
            conn.executemany("DELETE FROM answers WHERE respondent = ?", pks)
            conn.executemany("DELETE FROM respondents WHERE pk = ?", pks)
            if follower is not None:
                follower.stop()
        people = _insert_respondents(conn, resp, path, round, import_id)
        keep = follower is not None and follower.wants(len(prep.answers))
        pk_of, chunks = _insert_answers(conn, prep.answers, resp, q, import_id, keep=keep)
        report.import_id = import_id
        if dry_run:
            report.status = DRY_RUN
            report.import_id = None
            raise _DryRun
        report.status = IMPORTED
    if follower is not None and keep:
        follower.committed(*_stored_rows(people, pk_of, chunks, q))
    elif follower is not None:
        follower.stop()  # too large to hold: the next load reads the store


def _refuse_unreadable(report: FileReport, prep: _Prepared) -> None:
    """Refuse a file with problems, naming the first: a file is never stored in part."""
    report.skipped = dict(prep.skipped)
    report.status = REFUSED
    first = prep.problems[0]
    n = len(prep.problems)
    what = "unreadable answer" if all(p["column"] != "respondent id" for p in prep.problems) else "problem"
    report.message = (f"{n} {what}{'s' if n != 1 else ''} (first: row {first['row']}, column "
                      f"{first['column']!r}: {first['value']!r}); nothing was stored (use "
                      "--skip-invalid to store unreadable answers as blank and skip respondents without a "
                      "readable role or with a conflicting id)")


def _unchanged_file(conn: Any, sha256: str, round: str, report: FileReport) -> bool:
    """Whether these bytes were imported into the round before (then nothing changes, and
    the report says so, pointing out respondents removed since and how to restore them)."""
    earlier = conn.execute("SELECT file_name, imported_at, id, counts FROM imports WHERE round = ? AND sha256 = ? "
                           "AND status = ? ORDER BY id DESC", (round, sha256, IMPORTED)).fetchone()
    if not earlier:
        return False
    report.status = UNCHANGED
    report.message = f"already imported ({earlier[0]}, {earlier[1]}); nothing changed"
    gone = _removed_since(conn, sha256, round)
    if gone:
        report.message += (f"; {gone} of its respondent(s) are no longer stored (removed or replaced "
                           "since): import it again with --replace to restore them")
    return True


class _StoredRound:
    """The round's stored respondents, against which a file's respondents are matched.

    Matching one respondent changes what the next may match (a stored row is claimed
    once, an id is taken once), so the state lives here across the file's rows.
    """

    def __init__(self, conn: Any, round: str, stem: str) -> None:
        self.stem = stem
        self.stored = {ident: (pk, rid, fp) for ident, pk, rid, fp in conn.execute(
            "SELECT identity, pk, respondent_id, content_hash FROM respondents WHERE round = ?", (round,))}
        self.hashes = {fp for _, _, fp in self.stored.values()}
        self.taken = {rid for _, rid, _ in self.stored.values()}
        # Respondents without an id, by row hash: matched on time at the precision both files carry.
        # (Stores written before identities carried the row and its time hold 'content:<answers hash>':
        # those still match a respondent with the same answers.)
        self.by_hash: dict[str, list[tuple[str, str]]] = {}
        self.legacy: dict[str, list[str]] = {}
        for ident in self.stored:
            parts = _split_content(ident)
            if parts and "@" in ident:
                self.by_hash.setdefault(parts[0], []).append((parts[1], ident))
            elif parts:
                self.legacy.setdefault(parts[0], []).append(ident)
        self.used: set[str] = set()
        self.to_replace: list[int] = []   # pks of stored respondents a conflicting row replaces

    def match(self, resp: pd.DataFrame, enough: dict[int, bool],
              report: FileReport) -> tuple[list[str], list[str | None], list[bool]]:
        """Per respondent: its stored identity, its respondent id (None for one already
        stored, counted as a duplicate) and whether it is written. Conflicts go to ``report``;
        a new respondent answering exactly like a stored one is flagged."""
        idents: list[str] = []
        ids: list[str | None] = []
        keep: list[bool] = []
        for i, ident, fp, kind, row, cand in zip(resp.index, resp["identity"].tolist(), resp["content_hash"].tolist(),
                                                 resp["identity_kind"].tolist(), resp["source_row"].tolist(),
                                                 resp["id_candidate"].tolist(), strict=True):
            if kind == "content":
                ident, rid = self._match_content(ident, fp, cand)
                new = rid is not None
            else:
                rid, new = self._match_identified(ident, fp, kind, row, cand, report)
            idents.append(ident)
            ids.append(rid)
            keep.append(rid is not None)
            if rid is None:
                report.duplicate += 1
            elif new and fp in self.hashes and enough.get(int(row)) and \
                    quality.IDENTICAL_ANSWERS not in resp.at[i, "flags"]:
                resp.at[i, "flags"].append(quality.IDENTICAL_ANSWERS)
        return idents, ids, keep

    def _match_content(self, ident: str, fp: str, cand: str) -> tuple[str, str | None]:
        """A row without an id: the stored row it repeats (same cells, times agreeing), else
        a new identity (numbered past those stored) and a new respondent id."""
        hash_, time, _ = _split_content(ident)
        match = next((s_ident for s_time, s_ident in self.by_hash.get(hash_, [])
                      if s_ident not in self.used and _same_time(s_time, time)), None)
        if match is None:
            match = next((s for s in self.legacy.get(fp, []) if s not in self.used), None)
        if match is not None:
            self.used.add(match)
            return match, None
        ident = base = f"content:{hash_}@{time}"
        n = 1
        while ident in self.stored or ident in self.used:
            n += 1
            ident = f"{base}#{n}"
        self.used.add(ident)
        return ident, _unique_id(cand, self.stem, self.taken)

    def _match_identified(self, ident: str, fp: str, kind: str, row: Any, cand: str,
                          report: FileReport) -> tuple[str | None, bool]:
        """A row with a key or e-mail: (respondent id or None when already stored with these
        answers, whether the id is new). Stored with other answers is a conflict: the
        replacement keeps the stored respondent's id."""
        old = self.stored.get(ident)
        if old is None:
            return _unique_id(cand, self.stem, self.taken), True
        if old[2] == fp:
            return None, False
        report.conflicts.append({"row": int(row), "identity_kind": kind,
                                 "identity": ident.split(":", 2)[-1], "respondent_id": old[1]})
        self.to_replace.append(old[0])
        return old[1], False


def _flagged_ids(resp: pd.DataFrame) -> dict[str, list[str]]:
    """Quality flag -> the respondent ids carrying it, for the report and the import log."""
    qual: dict[str, list[str]] = {}
    for rid, flags in zip(resp["respondent_id"].tolist(), resp["flags"].tolist(), strict=True):
        for flag in flags:
            qual.setdefault(flag, []).append(rid)
    return qual


def _insert_import(conn: Any, parsed: Any, path: Path, round: str, report: FileReport) -> int:
    """The import log row (counts, problems, flags, columns read, notes); its id ties the respondents to it."""
    counts = {"added": report.added, "replaced": report.replaced, "duplicate": report.duplicate,
              "invalid_cells_blanked": report.invalid_cells_blanked}
    cur = conn.execute(
        "INSERT INTO imports(round, file_name, file_path, sha256, source, imported_at, counts, problems,"
        " unmapped, skipped, quality, status, columns, notes) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (round, path.name, str(path.resolve()), parsed.sha256, parsed.source, _now(), json.dumps(counts),
         json.dumps(report.problems), json.dumps(report.unmapped), json.dumps(report.skipped),
         json.dumps(report.quality), IMPORTED, json.dumps(report.columns), json.dumps(report.warnings)))
    return cur.lastrowid


def _insert_respondents(conn: Any, resp: pd.DataFrame, path: Path, round: str, import_id: int) -> dict[str, list]:
    """Store the kept respondents; returns the stored columns (for the snapshot follower)."""
    duration = pd.to_numeric(resp["duration_s"], errors="coerce")
    n = len(resp)
    stored = {"respondent_id": resp["respondent_id"].tolist(), "role": resp["role"].astype("str").tolist(),
              "unit": [_text(u) for u in resp["unit"].tolist()], "source_file": [path.name] * n,
              "source_row": [int(r) for r in resp["source_row"].tolist()],
              "submitted": [_text(s) for s in resp["submitted"].tolist()],
              "flags": [json.dumps(f) for f in resp["flags"].tolist()], "round": [round] * n,
              "stored_identity": resp["identity"].tolist(), "email": [_text(e) for e in resp["email"].tolist()]}
    conn.executemany(
        "INSERT INTO respondents(respondent_id, round, import_id, identity, email, role, unit, source_file,"
        " source_row, submitted, duration_s, flags, content_hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        zip(stored["respondent_id"], stored["round"], [import_id] * n, stored["stored_identity"], stored["email"],
            stored["role"], stored["unit"], stored["source_file"], stored["source_row"], stored["submitted"],
            _obj(duration), stored["flags"], resp["content_hash"].tolist(), strict=True))
    return stored


def _insert_answers(conn: Any, ans: pd.DataFrame, resp: pd.DataFrame, q: Questionnaire, import_id: int,
                    keep: bool = False) -> tuple[dict[Any, int], list[list[list[Any]]]]:
    """The kept respondents' answers, less empty cells of questions their role is not asked.

    Worked and written a chunk of rows at a time, so only one chunk is ever Python
    objects or temporary arrays; each chunk in the table's key order (respondent, question
    id), so the inserts append to the B-tree (the file's rows come respondent by respondent).
    Returns each source row's stored key and, with ``keep`` (for the snapshot follower), the
    stored columns of every chunk.
    """
    pk_of = dict(conn.execute("SELECT source_row, pk FROM respondents WHERE import_id = ?", (import_id,)))
    rows_index = pd.Index(list(pk_of), dtype="int64")
    pks = np.array(list(pk_of.values()), dtype="int64")
    rank = _question_rank(q)
    kept: list[list[list[Any]]] = []
    for start in range(0, len(ans), _CHUNK):
        part = ans.iloc[start:start + _CHUNK]
        at = rows_index.get_indexer(part["source_row"].to_numpy(dtype="int64"))
        where = np.flatnonzero((at >= 0) & ~_empty_and_not_asked(part, resp, q))
        pk = pks[at[where]]
        where = where[np.lexsort((rank[_question_codes(q, part)[where]], pk))]
        raw = part["raw"].to_numpy(dtype=object)[where]
        raw[part["raw"].isna().to_numpy()[where]] = None
        value = part["value"].to_numpy(dtype="float64")[where]
        cells = value.astype(object)
        cells[np.isnan(value)] = None
        columns = [pks[at[where]].tolist(), part["question_id"].to_numpy(dtype=object)[where].tolist(),
                   raw.tolist(), cells.tolist(), part["state"].to_numpy(dtype=object)[where].tolist()]
        _insert_rows(conn, columns)
        if keep:
            kept.append(columns)
    return pk_of, kept


def _question_rank(q: Questionnaire) -> np.ndarray:
    """Each question's place in SQLite's order of their ids (TEXT compares by UTF-8 bytes, which
    is code point order, as numpy and Python compare str); an unknown question last."""
    qids = list(dict.fromkeys(q.questions))
    return np.append(np.argsort(np.argsort(np.array(qids, dtype=str), kind="stable"), kind="stable"), len(qids))


#: Rows per INSERT statement: binding one statement per row cost more than SQLite's own work.
_ROWS_PER_INSERT = 64


def _insert_rows(conn: Any, columns: list[list[Any]]) -> None:
    """INSERT the answer rows given as columns, many rows per statement."""
    width, n = len(columns), len(columns[0])
    flat: list[Any] = [None] * (width * n)
    for k, column in enumerate(columns):
        flat[k::width] = column
    step = width * _ROWS_PER_INSERT
    full = n // _ROWS_PER_INSERT * step
    head = "INSERT INTO answers(respondent, question_id, raw, value, state) VALUES "
    if full:
        conn.executemany(head + ",".join(["(?,?,?,?,?)"] * _ROWS_PER_INSERT),
                         (flat[i:i + step] for i in range(0, full, step)))
    conn.executemany(head + "(?,?,?,?,?)", (flat[i:i + width] for i in range(full, len(flat), width)))


#: Answer rows worked and written at a time.
_CHUNK = 200_000


def _stored_rows(people: dict[str, list], pk_of: dict[Any, int], chunks: list[list[list[Any]]],
                 q: Questionnaire) -> tuple[pd.DataFrame, list[list[Any]]]:
    """What the store now holds for this file as a load reads it back: the respondents in key
    order and the answer columns in the table's key order (respondent, question id)."""
    from .store import STORED_RESPONDENT_COLUMNS

    people_frame = pd.DataFrame(dict(people, pk=[pk_of[r] for r in people["source_row"]]))
    people_frame = people_frame[STORED_RESPONDENT_COLUMNS].sort_values("pk", kind="stable")
    columns = [[v for chunk in chunks for v in chunk[k]] for k in range(5)]
    codes = pd.Index(list(q.questions), dtype=object).get_indexer(np.array(columns[1], dtype=object))
    order = np.lexsort((_question_rank(q)[codes], np.asarray(columns[0], dtype=np.int64))).tolist()
    return people_frame.reset_index(drop=True), [[column[i] for i in order] for column in columns]


def _removed_since(conn: Any, sha256: str, round: str) -> int:
    """How many respondents the imports of these bytes added that are no longer stored."""
    total = 0
    for import_id, counts in conn.execute("SELECT id, counts FROM imports WHERE round = ? AND sha256 = ? AND status = ?",
                                          (round, sha256, IMPORTED)):
        added = (json.loads(counts) if counts else {}).get("added", 0) + (json.loads(counts) if counts else {}).get(
            "replaced", 0)
        left = conn.execute("SELECT COUNT(*) FROM respondents WHERE import_id = ?", (import_id,)).fetchone()[0]
        total += max(0, int(added) - int(left))
    return total


class _DryRun(Exception):
    """Rolls a dry run's transaction back."""


# -- public API ---------------------------------------------------------------------------


def import_parsed(store: Store, parsed: Any, questionnaire: Questionnaire, *, round: str | None = None,
                  skip_invalid: bool = False, replace: bool = False, dry_run: bool = False,
                  follower: ImportFollower | None = None) -> FileReport:
    """Store one already-read file (an importer's ``ParsedFile``) in its own transaction;
    ``follower`` (of the same round) is told what it added."""
    rnd = store.resolve_round(round)
    report = FileReport(path=str(parsed.path))
    with contextlib.suppress(_DryRun):  # the dry run's transaction was rolled back
        _write_file(store, parsed, questionnaire, report, round=rnd, skip_invalid=skip_invalid,
                    replace=replace, dry_run=dry_run, follower=follower)
    return report


def import_responses(workspace: Workspace | str | Path, paths: Sequence[str | Path] | str | Path, *,
                     source: str = "auto", mapping: Any = None, dry_run: bool = False,
                     skip_invalid: bool = False, replace: bool = False, round: str | None = None,
                     progress: Callable[[int, int, Path], None] | None = None,
                     questionnaire: Questionnaire | None = None, raise_on_refused: bool = True,
                     debug: bool = False) -> ImportReport:
    """Import response files into the store of ``workspace`` (or a store path plus ``questionnaire``).

    Returns an :class:`ImportReport`. If a file was refused and ``raise_on_refused``
    is true, raises :class:`ImportFailed` (with ``.report``) after every file was
    tried; files imported before or after a refused one stay imported. ``mapping``
    is a mapping object or a path to a mapping YAML file. A file that breaks the
    reader in a way it did not foresee is refused like any other (``debug`` re-raises).
    """
    from .importers import load_mapping

    if isinstance(paths, str | Path):
        paths = [paths]
    paths = [Path(p) for p in paths]
    folders = [p for p in paths if p.is_dir()]
    if folders:
        raise ImportFailed("is a folder; name the files in it (for example "
                           f"{folders[0] / '*.xlsx'}); nothing was imported", file=folders[0])
    if isinstance(workspace, str | Path):
        store_path = Path(workspace)
        if questionnaire is None:
            raise TypeError("import_responses with a store path needs questionnaire=")
    else:
        store_path = workspace.store_path
        questionnaire = questionnaire or workspace.questionnaire
    if isinstance(mapping, str | Path):
        mapping = load_mapping(mapping)
    # A dry run against a workspace without a store reads an in-memory one: it creates nothing.
    use_path = None if (dry_run and not store_path.exists()) else store_path
    with open_store(use_path) as store, _no_cycle_collection():
        rnd = store.resolve_round(round)
        report = ImportReport(round=rnd, dry_run=dry_run)
        with contextlib.ExitStack() as stack:
            follower = None if dry_run or use_path is None else stack.enter_context(ImportFollower(store, rnd))
            _import_files(store, paths, report, questionnaire, source=source, mapping=mapping,
                          skip_invalid=skip_invalid, replace=replace, dry_run=dry_run, progress=progress,
                          debug=debug, follower=follower)
    if report.refused and raise_on_refused:
        raise refused_error(report)
    return report


def _import_files(store: Store, paths: list[Path], report: ImportReport, questionnaire: Questionnaire, *,
                  source: str, mapping: Any, skip_invalid: bool, replace: bool, dry_run: bool,
                  progress: Callable[[int, int, Path], None] | None, debug: bool,
                  follower: ImportFollower | None) -> None:
    """Read and store each file in turn (each in its own transaction), reporting on each."""
    from .importers import read_responses

    rnd = report.round
    for index, path in enumerate(paths):
        if progress:
            progress(index, len(paths), path)
        file_report = FileReport(path=str(path))
        if path.name.startswith(("~$", ".~lock.")):
            # Excel's (or LibreOffice's) lock file for an open workbook, picked up by a glob.
            app = "Excel" if path.name.startswith("~$") else "LibreOffice"
            file_report.status = SKIPPED
            file_report.message = f"{app} lock file (the workbook is open in {app}), not a response file"
            report.files.append(file_report)
            continue
        try:
            parsed = read_responses(path, questionnaire, source=source, mapping=mapping)
        except AssessmentError as exc:
            file_report.message = exc.message if exc.file in (None, str(path)) else exc.one_line()
            file_report.problems = [{"row": p.line, "column": p.column, "value": "", "why": p.message}
                                    for p in exc.problems]
            report.files.append(file_report)
            continue
        except (Exception, RecursionError, MemoryError) as exc:
            if debug:
                raise
            text = str(exc).splitlines()[0][:200] if str(exc) else ""
            file_report.message = (f"could not be read ({type(exc).__name__}{': ' + text if text else ''}); "
                                   "nothing of it was stored (run with --debug for details)")
            report.files.append(file_report)
            continue
        report.files.append(import_parsed(store, parsed, questionnaire, round=rnd, skip_invalid=skip_invalid,
                                          replace=replace, dry_run=dry_run, follower=follower))
    if follower is not None:
        follower.finish()


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause Python's cycle collector while files are imported.

    An import makes millions of objects (cells, rows, answer tuples) that live until it
    ends, and the collector's full passes over them, which free nothing, took about 15% of
    a 10,000-respondent import. Reference counting still frees everything as usual; the
    collector runs again (as it was) when the import is done.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def refused_error(report: ImportReport) -> ImportFailed:
    """One :class:`ImportFailed` naming the first refused file, listing every problem."""
    first = report.refused[0]
    problems = []
    for f in report.refused:
        for p in f.problems:
            problems.append(Problem(f"row {p['row']}, column {p['column']!r}: {p['value']!r}: {p['why']}",
                                    file=f.path))
        if not f.problems:
            problems.append(Problem(f.message or "refused", file=f.path))
    message = first.message or "refused"
    if len(report.refused) > 1:
        message += f" ({len(report.refused)} files refused)"
    exc = ImportFailed(message, file=first.path, problems=problems)
    exc.report = report  # type: ignore[attr-defined]
    return exc


def remove_respondents(workspace: Workspace, ids: Iterable[str], round: str | None = None) -> int:
    """Remove respondents by id from the workspace store (all or nothing)."""
    if not workspace.store_path.exists():
        raise StoreError("no responses imported yet", file=workspace.store_path)
    with open_store(workspace.store_path) as store:
        return store.remove_respondents(ids, round=round)
