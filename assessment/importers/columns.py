"""Which column holds which question (or the role, unit or respondent id).

Survey tools rename our questions on the way out: they prefix a grid title
(``Title [Statement]``, ``Title - Statement``), put the question over the first
column of a grid only (SurveyMonkey), truncate long texts, or keep only a code
(``Q5_1``). We try, per column and in this order: the explicit mapping, a
question id anywhere in a header row, then the question text in any of those
shapes. Every column ends up a question, a profile field, tool metadata, ignored
by the mapping, or *unmapped* -- never silently dropped.
"""

from __future__ import annotations

import difflib
import functools
import html
import re
from dataclasses import dataclass, field

from ..errors import ImportFailed
from ..questionnaire import Questionnaire
from ..questionnaire import normalise_text as _normalise_text
from .mapping import Mapping
from .reading import column_letter

_SM_ANSWER_ROW = {"response", "open-ended response", ""}
_LEGACY_CODE = re.compile(r"^V\d+$")
_PANDAS_DUP = re.compile(r"\.\d+$")
_BRACKET = re.compile(r"^(.*?)\s*\[([^\[\]]+)\]\s*$", re.S)
# LimeSurvey dual-scale arrays: ``Title [Statement][Scale 1]``
_DUAL = re.compile(r"^(.*?)\s*\[([^\[\]]+)\]\s*\[([^\[\]]+)\]\s*$", re.S)
_TAG = re.compile(r"</?[A-Za-z][^<>]{0,500}>")
_ROLE_NAMES = {"role", "your role", "job role"}
_UNIT_NAMES = {"business unit", "unit", "department", "your business unit", "your department"}
_ID_NAMES = {"respondent id", "respondent", "respondent_id"}


@dataclass
class Column:
    index: int
    letter: str
    header: str                 # as shown to users (problems, unmapped list)
    names: list[str]            # every header row's text, normalised (tool metadata lookup)
    raw_headers: list[str]      # every header row's text as in the file
    title: str = ""             # grid title (SurveyMonkey row 1 carried over a grid)
    keys: set[str] = field(default_factory=set)   # normalised texts the mapping may use
    repeat: int = 0             # 0 for the first column with this header, 1 for the next ('Header.1')...


@functools.lru_cache(maxsize=65536)
def normalise_text(text: str) -> str:
    """:func:`assessment.questionnaire.normalise_text`, memoised: a header is normalised
    several times (profile, id and text matching), and files can have 100,000 columns."""
    return _normalise_text(text)


def _clean(text: str) -> str:
    """Header text as matched and shown: HTML tags and entities removed (Typeform writes
    ``<strong>Question</strong>``), whitespace collapsed."""
    if "<" in text or "&" in text:
        text = html.unescape(_TAG.sub(" ", text))
    return " ".join(text.split())


def build_columns(rows: list[list[str]], n_header: int, source: str) -> list[Column]:
    """One :class:`Column` per grid column, from the ``n_header`` header rows."""
    width = len(rows[0]) if rows else 0
    heads = [rows[i] if i < len(rows) else [""] * width for i in range(n_header)]
    columns: list[Column] = []
    carry = ""
    for j in range(width):
        original = [" ".join(h[j].split()) for h in heads]
        raw = [_clean(h) for h in original]
        letter = column_letter(j)
        title = ""
        if source == "surveymonkey" and n_header == 2:
            top, item = raw
            carry = top or carry
            if item.casefold() in _SM_ANSWER_ROW:
                header = top or carry
            else:
                header, title = item, carry
        elif source == "qualtrics" and n_header >= 2:
            code, text = raw[0], raw[1]
            header = text if (not code or _LEGACY_CODE.match(code)) else code
        else:
            header = next((h for h in raw if h), "")
        column = Column(j, letter, header or f"(column {letter})", [h.casefold() for h in raw], raw, title)
        column.keys = {normalise_text(h) for h in {*raw, *original, header} if h}
        if title:
            column.keys |= {normalise_text(f"{title} - {header}"), normalise_text(f"{title} [{header}]")}
        columns.append(column)
    # Repeated headers: let a mapping say 'Header.1' as pandas would, and keep problems unambiguous.
    seen: dict[str, int] = {}
    for column in columns:
        key = normalise_text(column.header)
        n = seen.get(key, 0)
        seen[key] = n + 1
        if n:
            column.repeat = n
            column.keys.add(normalise_text(f"{column.header}.{n}"))
    return columns


def text_candidates(text: str, *, loose_dash: bool = False) -> list[str]:
    """Normalised texts a header may stand for, most specific first."""
    return list(_text_candidates(text, loose_dash))


@functools.lru_cache(maxsize=65536)
def _text_candidates(text: str, loose_dash: bool) -> tuple[str, ...]:
    out = [text]
    base = _PANDAS_DUP.sub("", text)
    if base != text:
        out.append(base)
    dual = _DUAL.match(base)
    if dual:
        out += [dual.group(2), f"{dual.group(1)} [{dual.group(2)}]"]
    m = _BRACKET.match(base)
    if m:
        out += [m.group(2), m.group(1)]
    for sep in (" - ", "-") if loose_dash else (" - ",):
        parts = base.split(sep)
        for i in range(1, len(parts)):
            out += [sep.join(parts[i:]), sep.join(parts[:i])]
    seen: list[str] = []
    for t in out:
        n = normalise_text(t)
        if n and n not in seen:
            seen.append(n)
    return tuple(seen)


def _id_alternation(ids: list[str]) -> str:
    """Ids with optional separators, since LimeSurvey codes cannot hold ``-`` (``GOV01``)."""
    alts = []
    for qid in sorted(ids, key=len, reverse=True):
        parts = re.split(r"[-_.]", qid)
        alts.append("[-_.]?".join(re.escape(p) for p in parts))
    return "|".join(alts)


@dataclass(frozen=True)
class IdMatcher:
    """Finds question ids used *as ids* in a header, never as words inside a sentence.

    An id token is ``[ID]`` anywhere, or a header that is the id or starts with it
    followed by a space, ``-``, ``.`` or ``:`` (``GOV-01 - Our models ...``,
    ``GOV-01: ...``). The start-of-header form is case-sensitive (ids are codes;
    ``Interview the team`` is not the id ``INTERVIEW``); the whole-header and
    bracket forms are not.
    """

    bracket: re.Pattern[str]
    whole: re.Pattern[str]
    start: re.Pattern[str]
    squashed: dict[str, str]

    @classmethod
    def build(cls, ids: list[str]) -> IdMatcher:
        alt = _id_alternation(ids)
        return cls(re.compile(r"\[\s*(" + alt + r")\s*\]", re.IGNORECASE),
                   re.compile(r"^\s*(" + alt + r")\s*$", re.IGNORECASE),
                   re.compile(r"^\s*(" + alt + r")(?:\s|-|\.|:)"),
                   {_squash(q): q for q in ids})

    def find(self, header: str) -> set[str]:
        found = [m.group(1) for m in self.bracket.finditer(header)]
        for pattern in (self.whole, self.start):
            m = pattern.match(header)
            if m:
                found.append(m.group(1))
        return {self.squashed[_squash(t)] for t in found if _squash(t) in self.squashed}


# How a column was matched, best first: the exact question text beats an id token,
# which beats a grid form of the text (``Title [Statement]``), which beats a truncated text.
EXACT, ID, GRID, TRUNCATED = "exact text", "id", "grid or partial text", "truncated text"
_RANK = {EXACT: 0, ID: 1, GRID: 2, TRUNCATED: 3}


def closest_headers(name: str, columns: list[Column], n: int = 3) -> list[str]:
    """Headers that look most like ``name`` (for 'not in this file' messages).

    Cheap on very wide files: distinct headers only, cut to 200 characters; beyond a
    few hundred, only those sharing a word with ``name`` (else of similar length) go to
    difflib's full comparison.
    """
    target = normalise_text(name)[:200]
    if not target:
        return []
    by_norm: dict[str, str] = {}
    for col in columns:
        key = normalise_text(col.header)[:200]
        if key and key not in by_norm:
            by_norm[key] = col.header
    pool = list(by_norm)
    if len(pool) > 300:
        words = set(re.findall(r"\w+", target))
        scored = [(len(words & set(re.findall(r"\w+", k))), k) for k in pool]
        sharing = [k for score, k in sorted(scored, key=lambda t: -t[0])[:300] if score]
        pool = sharing or [k for k in pool if abs(len(k) - len(target)) <= 3][:300]
    hits = difflib.get_close_matches(target, pool, n=n, cutoff=0.5)
    return [by_norm[h] for h in hits]


def suggest(name: str, columns: list[Column]) -> str:
    hits = closest_headers(name, columns)
    return f"; closest headers: {', '.join(repr(h) for h in hits)}" if hits else ""


@dataclass
class ColumnPlan:
    questions: dict[str, Column]          # question id -> column, questionnaire order
    role: Column | None
    unit: Column | None
    ident: Column | None
    metadata: list[Column]
    unmapped: list[Column]
    warnings: list[str]
    how: dict[str, str] = field(default_factory=dict)   # question id -> how its column was found

    def provenance(self) -> dict[str, dict[str, str]]:
        """Question id -> the column it comes from (letter, header, how it was matched)."""
        return {qid: {"column": col.letter, "header": col.header, "matched_by": self.how.get(qid, "")}
                for qid, col in self.questions.items()}


def _squash(qid: str) -> str:
    return re.sub(r"[-_.]", "", qid).casefold()


def plan_columns(columns: list[Column], questionnaire: Questionnaire, source: str,
                 mapping: Mapping | None, is_metadata) -> ColumnPlan:
    """Assign every column a meaning (see module docstring)."""
    return _Planner(columns, questionnaire, source, mapping or Mapping(), is_metadata).plan()


class _Planner:
    """One file's column assignment, built up in the order of the module docstring.

    Each step sees what the earlier ones claimed (``assigned``, ``ignored``): an
    explicit mapping beats a header that happens to read like a profile field, which
    beats a question match. The steps share that state, hence a class.
    """

    def __init__(self, columns: list[Column], questionnaire: Questionnaire, source: str, mapping: Mapping,
                 is_metadata) -> None:
        self.columns = columns
        self.questionnaire = questionnaire
        self.source = source
        self.mapping = mapping
        self.is_metadata = is_metadata
        self.warnings: list[str] = []
        self.by_question: dict[str, Column] = {}
        self.how: dict[str, str] = {}
        self.assigned: dict[int, str] = {}
        self.ignored: set[int] = set()
        self.profile: dict[str, Column | None] = {"role": None, "unit": None, "id": None}

    def plan(self) -> ColumnPlan:
        self._apply_mapping()
        self._find_profile_columns()
        self._match_questions()
        metadata, unmapped = self._leftovers()
        ordered = {qid: self.by_question[qid] for qid in self.questionnaire.questions if qid in self.by_question}
        return ColumnPlan(ordered, self.profile["role"], self.profile["unit"], self.profile["id"], metadata,
                          unmapped, self.warnings, {qid: self.how[qid] for qid in ordered})

    def _free(self, col: Column) -> bool:
        """Not yet claimed by an earlier step, nor ignored by the mapping."""
        return col.index not in self.assigned and col.index not in self.ignored

    def _mapping_error(self, message: str) -> ImportFailed:
        return ImportFailed(message, file=self.mapping.file or "mapping")

    def _resolve(self, key: str, where: tuple) -> list[Column]:
        """The columns a mapping key names: a header (or 'Header.1'), else a column letter.

        A key naming several columns is refused: guessing would read the wrong answers.
        """
        norm = normalise_text(key)
        hits = [c for c in self.columns if norm in c.keys]
        if not hits and re.fullmatch(r"[A-Z]{1,3}", key.strip()):
            hits = [c for c in self.columns if c.letter == key.strip()]
        if len(hits) > 1:
            # a repeated header names its first occurrence, as in pandas ('X', 'X.1', 'X.2')
            first = [c for c in hits if c.repeat == 0 and normalise_text(c.header) == norm]
            if len(first) == 1 and all(normalise_text(c.header) == norm for c in hits):
                return first
            letters = ", ".join(c.letter for c in hits)
            raise self._mapping_error(f"{self.mapping.where(*where)}: column {key!r} matches several columns "
                                      f"({letters}); use '{key}.1' for the second, or the column letter")
        return hits

    # 1. the explicit mapping

    def _apply_mapping(self) -> None:
        """Question columns, profile columns and ignored columns the mapping file names."""
        mapping = self.mapping
        for key, qid in mapping.columns.items():
            if qid not in self.questionnaire.questions:
                raise self._mapping_error(f"{mapping.where('columns', key)}: unknown question id {qid!r} "
                                          f"for column {key!r}")
            hits = self._resolve(key, ("columns", key))
            if not hits:
                self.warnings.append(f"mapping column {key!r} is not in this file{suggest(key, self.columns)}")
                continue
            col = hits[0]
            if qid in self.by_question:
                raise self._mapping_error(f"{mapping.where('columns', key)}: question {qid} is mapped to two "
                                          f"columns ({self.by_question[qid].letter} and {col.letter})")
            self._take(qid, col, "mapping")
        for name in ("role", "unit", "id"):
            key = getattr(mapping, f"{name}_column")
            if key:
                hits = self._resolve(key, (f"{name}_column",))
                if not hits:
                    raise self._mapping_error(f"{mapping.where(f'{name}_column')}: {name}_column {key!r} is not "
                                              f"in this file{suggest(key, self.columns)}")
                self.profile[name] = hits[0]
                self.assigned[hits[0].index] = f"<{name}>"
        for key in mapping.ignore:
            for col in self._resolve(key, ("ignore",)):
                self.ignored.add(col.index)

    def _take(self, qid: str, col: Column, how: str) -> None:
        self.by_question[qid] = col
        self.how[qid] = how
        self.assigned[col.index] = qid

    # 2. profile fields by header text

    def _profile_texts(self) -> dict[str, set[str]]:
        """Headers that mean role, unit or respondent id: common names plus the
        questionnaire's own profile texts (generic id names only in our own layouts,
        where a tool's 'Respondent ID' cannot be mistaken for ours)."""
        profile = self.questionnaire.profile
        return {
            "role": _ROLE_NAMES | ({normalise_text(profile.role.text)} if profile.role else set()),
            "unit": _UNIT_NAMES | ({normalise_text(profile.unit.text)} if profile.unit else set()),
            "id": ({normalise_text(profile.id.text)} if profile.id else set())
            | (_ID_NAMES if self.source in ("wide", "template") else set()),
        }

    def _find_profile_columns(self) -> None:
        """The first free column whose header reads as each profile field the mapping left open."""
        prof_texts = self._profile_texts()
        for col in self.columns:
            if not self._free(col):
                continue
            cands = {c for h in {col.header, *col.raw_headers} if h for c in text_candidates(h)}
            for name, texts in prof_texts.items():
                if self.profile[name] is None and cands & texts:
                    self.profile[name] = col
                    self.assigned[col.index] = f"<{name}>"
                    break

    # 3. per column, its best match: exact question text, id token, grid text, truncated text

    def _match_questions(self) -> None:
        """Match every free column to a question, then settle questions several columns claim.

        Every candidate is collected before any is taken, so the outcome does not depend
        on column order; questions no rule can settle are refused together.
        """
        ids = IdMatcher.build(list(self.questionnaire.questions))
        texts = {normalise_text(q.text): q.id for q in self.questionnaire.questions.values()}
        loose = self.source == "qualtrics"
        auto: dict[str, list[tuple[Column, str]]] = {}
        for col in self.columns:
            if not self._free(col) or self.is_metadata(col):
                continue
            found, kind = _match_column(col, ids, texts, loose, self.warnings)
            if found:
                auto.setdefault(found, []).append((col, kind))
        ambiguous: list[str] = []
        for qid, hits in auto.items():
            if qid in self.by_question:
                for col, _ in hits:
                    self.warnings.append(f"column {col.letter} {col.header!r} also matches {qid}, which the "
                                         f"mapping assigns to column {self.by_question[qid].letter}; not imported")
                continue
            doubt = self._settle(qid, hits)
            if doubt:
                ambiguous.append(doubt)
        if ambiguous:
            raise ImportFailed(f"{ambiguous[0]}; say which in a --mapping file (`columns:` for the right one, "
                               f"`ignore:` for the other)" + (f" ({len(ambiguous) - 1} more such question(s))"
                                                              if len(ambiguous) > 1 else ""))

    def _settle(self, qid: str, hits: list[tuple[Column, str]]) -> str | None:
        """Take the one column that holds ``qid`` (the only one, or the only exact text),
        warning about those it beats; return the doubt to report when there is no such column."""
        hits.sort(key=lambda h: (_RANK[h[1]], h[0].index))
        exact = [h for h in hits if h[1] == EXACT]
        if len(exact) == 1:
            winner, losers = exact[0], hits[1:]
        elif len(hits) == 1:
            winner, losers = hits[0], []
        else:
            both = exact if exact else hits
            named = " or ".join(f"column {c.letter} {c.header!r} ({k})" for c, k in both)
            return f"question {qid} could be {named}"
        col, kind = winner
        self._take(qid, col, kind)
        if kind == TRUNCATED:
            self.warnings.append(f"column {col.letter} {col.header!r} matched {qid} by the start of its text")
        for other, other_kind in losers:
            self.warnings.append(f"column {other.letter} {other.header!r} repeats question {qid} by {other_kind} "
                                 f"(taken from column {col.letter}, which has its exact text); not imported")
        return None

    def _leftovers(self) -> tuple[list[Column], list[Column]]:
        """Columns no step claimed: the tool's metadata, else unmapped (never dropped here;
        a headerless one is dropped by the caller when it holds no data either)."""
        metadata, unmapped = [], []
        for col in self.columns:
            if not self._free(col):
                continue
            if self.is_metadata(col):
                metadata.append(col)
            else:
                unmapped.append(col)
        return metadata, unmapped


def _match_column(col: Column, ids: IdMatcher, texts: dict[str, str], loose: bool,
                  warnings: list[str]) -> tuple[str | None, str]:
    """The question a column holds and how it was recognised (see :data:`_RANK`)."""
    headers = [col.header] + [h for h in col.raw_headers if h and h != col.header]
    for header in headers:
        qid = texts.get(normalise_text(header))
        if qid:
            return qid, EXACT
    hits = _id_hits(headers, ids)
    if len(hits) == 1:
        return hits.pop(), ID
    if hits:
        warnings.append(f"column {col.letter} {col.header!r} names several questions "
                        f"({', '.join(sorted(hits))}); not imported")
        return None, ""
    qid = _grid_match(col, headers, texts, loose)
    if qid:
        return qid, GRID
    qid = _truncated_match(headers, texts)
    if qid:
        return qid, TRUNCATED
    return None, ""


def _id_hits(headers: list[str], ids: IdMatcher) -> set[str]:
    """The question ids named by the first header row that names any: an id token
    decides before any text form, and a header naming several is not guessed at."""
    for header in headers:
        hits = ids.find(header)
        if hits:
            return hits
    return set()


def _grid_match(col: Column, headers: list[str], texts: dict[str, str], loose: bool) -> str | None:
    """A question whose text is the column's grid form: the carried grid title joined to
    the row item as tools write it, else any part of a ``Title [Statement]`` / ``Title - Statement`` header."""
    if col.title:
        for key in (f"{col.title} - {col.header}", f"{col.title} [{col.header}]"):
            qid = texts.get(normalise_text(key))
            if qid:
                return qid
    for header in headers:
        for cand in text_candidates(header, loose_dash=loose):
            if cand in texts:
                return texts[cand]
    return None


def _truncated_match(headers: list[str], texts: dict[str, str]) -> str | None:
    """The one question whose text starts with a header cut short with an ellipsis
    (Qualtrics and others cut long texts); at least 20 characters, so it cannot be a guess."""
    for header in headers:
        stripped = header.rstrip()
        if stripped.endswith(("...", "\u2026")):
            prefix = normalise_text(stripped.rstrip(".\u2026"))
            if len(prefix) >= 20:
                hits = [qid for text, qid in texts.items() if text.startswith(prefix)]
                if len(hits) == 1:
                    return hits[0]
    return None
