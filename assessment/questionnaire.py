"""The questionnaire format: YAML in, validated read-only records out.

The key names are a contract other tools read (see docs/questionnaire-format.md).
Validation happens in two passes, both reporting ``file:line:column: message``:
pydantic checks shapes and types (unknown keys are refused, since a typo such as
``revese: true`` would otherwise silently score an item the wrong way round),
then :func:`_check_references` checks what pydantic cannot see: unique ids and
texts, references between sections, ascending levels, dependency cycles and dual
accountability on every action. The pydantic models live in :mod:`.questionnaire_schema`
and are imported only to validate; what every consumer reads are the records below
(:mod:`.records`), also what the cache of validated files gives back.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import resources
from .errors import Problem, QuestionnaireError
from .records import Record, cached, from_model

if TYPE_CHECKING:  # YAML is read only when a file is validated (see records.cached)
    from .yamlsafe import Positions

LEADERSHIP = "leadership"
PRACTITIONER = "practitioner"
BUSINESS = "business"
TECHNOLOGY = "technology"
# Units a numeric question may name. A small closed set, so that the survey workbook,
# importers and the report can each say the same thing ("days", "%"); ``%`` is the
# spelling version 1 of the bundled questionnaire uses and means the same as ``percent``.
UNITS = ("days", "weeks", "months", "years", "hours", "minutes", "percent", "%", "count", "ratio", "people",
         "models", "currency", "score")
#: The same set for membership tests (importers read percentages in every form survey tools write them).
NUMERIC_UNITS = frozenset(UNITS)


# -- the records every consumer reads (validation: :mod:`.questionnaire_schema`) -------------


class ScalePoint(Record):
    """A point of an answer scale: ``value`` and ``label``."""


class Scale(Record):
    """An answer scale: its ``points`` and the ``na_label`` that means not applicable."""

    @property
    def v_min(self) -> float:
        return min(p.value for p in self.points)

    @property
    def v_max(self) -> float:
        return max(p.value for p in self.points)


class Role(Record):
    """A stakeholder role: ``id``, ``label``, ``group`` (leadership, oversight, practitioner), ``weight``, ``aliases``, ``side``."""


class Level(Record):
    """A maturity level: ``level``, ``name`` and the lowest score ``min`` that reaches it."""


class Question(Record):
    """A question: ``id``, ``text``, ``type`` (scale, numeric, text), ``scale``, ``weight``, ``reverse``, ``roles`` asked, and for numbers ``worst``/``best``/``min``/``max``/``unit``."""

    _aliases = {"scored_flag": "scored"}  # `scored` is the derived property every consumer reads

    @property
    def scored(self) -> bool:
        """Does this question enter scores? Text never does; a numeric question marked
        ``scored: false`` is a fact for the report only (e.g. an override rate, where
        neither end of the range is better)."""
        return self.type != "text" and self.scored_flag is not False

    @property
    def answer_range(self) -> tuple[float, float] | None:
        """The numbers a respondent may give: ``min``..``max`` where set, else the scoring
        span ``worst``..``best`` (version 1 files); None for scale and text questions."""
        if self.type != "numeric":
            return None
        lo, hi = sorted((self.worst, self.best)) if self.worst is not None and self.best is not None else (None, None)
        lo = self.min if self.min is not None else lo
        hi = self.max if self.max is not None else hi
        return (float(lo), float(hi)) if lo is not None and hi is not None else None

    @property
    def percent(self) -> bool:
        """A percentage question: importers read ``35``, ``35%`` and Excel's 0.35."""
        return (self.unit or "").strip().casefold() in ("percent", "%")

    @property
    def bounds(self) -> tuple[float | None, float | None]:
        """The plausible range of a numeric answer (a percentage is 0-100 unless set)."""
        lo, hi = self.min, self.max
        if self.percent:
            lo = 0.0 if lo is None else lo
            hi = 100.0 if hi is None else hi
        return lo, hi


class Dimension(Record):
    """A friction point: ``id``, ``title``, ``weight``, ``narratives`` by level, ``probes`` and its ``questions``."""

    @property
    def scored_questions(self) -> list[Question]:
        return [q for q in self.questions if q.scored]


class Action(Record):
    """A plan action of the library: its friction point, phase, owners (RACI), cost, effort, prerequisites and KPI."""

    @property
    def raci_roles(self) -> list[str]:
        """The roles that carry the action: accountable then responsible, else the owners."""
        if self.accountable is None:
            return list(self.owners)
        return [self.accountable, *[r for r in self.responsible if r != self.accountable]]


class ProfileQuestion(Record):
    """A profile question of the survey (``text``)."""


class Profile(Record):
    """The profile questions: ``role``, ``unit``, ``id`` and ``deployment``."""


class Questionnaire(Record):
    """A validated questionnaire, and the lookups every consumer uses."""

    # Lookups used everywhere; the record is read-only, so caching is safe.
    @cached_property
    def questions(self) -> dict[str, Question]:
        return {q.id: q for d in self.dimensions for q in d.questions}

    @cached_property
    def question_dimension(self) -> dict[str, str]:
        return {q.id: d.id for d in self.dimensions for q in d.questions}

    @cached_property
    def role_by_id(self) -> dict[str, Role]:
        return {r.id: r for r in self.roles}

    @cached_property
    def dimension_by_id(self) -> dict[str, Dimension]:
        return {d.id: d for d in self.dimensions}

    @cached_property
    def action_by_id(self) -> dict[str, Action]:
        return {a.id: a for a in self.actions}

    def scale_of(self, question: Question) -> Scale | None:
        return self.scales.get(question.scale) if question.scale else None

    def asked(self, question: Question, role_id: str) -> bool:
        """Is ``question`` put to respondents in ``role_id``?"""
        return question.roles is None or role_id in question.roles

    def level_for(self, score: float | None) -> Level | None:
        """The highest level whose ``min`` is at most ``score``."""
        if score is None:
            return None
        found = None
        for level in self.levels:
            if level.min <= score + 1e-9:
                found = level
        return found or self.levels[0]

    def to_dict(self) -> dict[str, Any]:
        """The questionnaire as plain data, every contract key present (null where unset)."""
        return self.to_data()


#: The record class of each validated model, by name.
RECORDS: dict[str, type[Record]] = {c.__name__: c for c in (ScalePoint, Scale, Role, Level, Question, Dimension,
                                                             Action, ProfileQuestion, Profile, Questionnaire)}


# -- length ------------------------------------------------------------------------

# Seconds a respondent needs per question, by type: reading and ticking a statement,
# looking up or estimating a number, writing a sentence or two of comment (survey-design
# rules of thumb; comments are optional, but every one is counted so the estimate errs long).
SECONDS_PER_QUESTION = {"scale": 10, "numeric": 30, "text": 45}
SECONDS_PER_PROFILE_QUESTION = 10
# The humane limits the bundled questionnaire keeps to (tests check them).
MAX_SCORED_PER_ROLE_AND_DIMENSION = 12
MAX_MINUTES_PER_ROLE = 15


def role_load(q: Questionnaire) -> dict[str, dict[str, Any]]:
    """What each role is asked: scored questions per dimension, all questions asked,
    and the estimated minutes to finish (see :data:`SECONDS_PER_QUESTION`).

    ``{role_id: {"scored": {dimension_id: n}, "asked": n, "minutes": m}}``.
    """
    n_profile = sum(1 for key in ("role", "unit", "id", "deployment") if getattr(q.profile, key))
    out: dict[str, dict[str, Any]] = {}
    for role in q.roles:
        asked = [x for d in q.dimensions for x in d.questions if q.asked(x, role.id)]
        seconds = n_profile * SECONDS_PER_PROFILE_QUESTION + sum(SECONDS_PER_QUESTION[x.type] for x in asked)
        out[role.id] = {
            "scored": {d.id: sum(1 for x in d.scored_questions if q.asked(x, role.id)) for d in q.dimensions},
            "asked": len(asked),
            "minutes": round(seconds / 60, 1),
        }
    return out


# -- loading -------------------------------------------------------------------------


class _References:
    """The cross-reference checks of a questionnaire that pydantic's shapes cannot express,
    each problem located in the file. One method per part of the format."""

    def __init__(self, q: Questionnaire, file: str, positions: Positions) -> None:
        self.q, self.file, self.positions = q, file, positions
        self.problems: list[Problem] = []
        self.seen_ids: dict[str, tuple] = {}
        self.role_ids = {r.id for r in q.roles}
        self.level_numbers = {lv.level for lv in q.levels}
        self.texts: dict[str, tuple] = {}

    def add(self, path: tuple, message: str) -> None:
        from .yamlsafe import locate

        pos = locate(self.positions, path)
        self.problems.append(Problem(message, self.file, *(pos or (None, None)), path=path))

    def claim(self, ident: str, path: tuple, what: str) -> None:
        if ident in self.seen_ids:
            from .yamlsafe import locate

            first = locate(self.positions, self.seen_ids[ident])
            where = f" (first used at line {first[0]})" if first else ""
            self.add(path, f"duplicate id `{ident}` for a {what}{where}")
        else:
            self.seen_ids[ident] = path

    def roles(self) -> None:
        q = self.q
        for sid in q.scales:
            self.claim(sid, ("scales", sid), "scale")
        for i, role in enumerate(q.roles):
            self.claim(role.id, ("roles", i, "id"), "role")
        sided = [r.side is not None for r in q.roles]
        if any(sided) and not all(sided):
            i = sided.index(False)
            self.add(("roles", i, "id"), f"role `{q.roles[i].id}` has no `side`: declare it on every role or on "
                                         "none (the dual accountability check depends on it)")
        labels: dict[str, int] = {}
        for i, role in enumerate(q.roles):
            for j, name in enumerate([role.label, *role.aliases]):
                key = name.casefold()
                if key in labels and labels[key] != i:
                    self.add(("roles", i, "aliases", j - 1) if j else ("roles", i, "label"),
                             f"role label or alias `{name}` is used by two roles")
                labels[key] = i

    def levels(self) -> None:
        prev, seen = None, set()
        for i, level in enumerate(self.q.levels):
            if level.level in seen:
                self.add(("levels", i, "level"), f"duplicate level number {level.level}")
            seen.add(level.level)
            if prev is not None and (level.min <= prev.min or level.level <= prev.level):
                self.add(("levels", i, "min"), f"levels must ascend: level {level.level} (min {level.min:g}) "
                                               f"follows level {prev.level} (min {prev.min:g})")
            prev = level
        if self.q.levels and self.q.levels[0].min != 0:
            self.add(("levels", 0, "min"), "the first level must start at min 0 so every score has a level")

    def question(self, question: Question, base: tuple) -> None:
        self.claim(question.id, base + ("id",), "question")
        norm = normalise_text(question.text)
        if norm in self.texts:
            self.add(base + ("text",), f"duplicate question text (importers match columns on text): {question.text!r}")
        self.texts[norm] = base
        if question.scale and question.scale not in self.q.scales:
            self.add(base + ("scale",), f"unknown scale `{question.scale}`; defined: {', '.join(self.q.scales)}")
        for ri, rid in enumerate(question.roles or []):
            if rid not in self.role_ids:
                self.add(base + ("roles", ri), f"unknown role `{rid}`; defined: {', '.join(sorted(self.role_ids))}")

    def dimensions(self) -> None:
        for di, dim in enumerate(self.q.dimensions):
            self.claim(dim.id, ("dimensions", di, "id"), "dimension")
            if not dim.scored_questions:
                self.add(("dimensions", di, "questions"), f"dimension `{dim.id}` has no scored question")
            for lvl in dim.narratives:
                if lvl not in self.level_numbers:
                    self.add(("dimensions", di, "narratives", lvl), f"narrative for unknown level {lvl}")
            for qi, question in enumerate(dim.questions):
                self.question(question, ("dimensions", di, "questions", qi))
        for key in ("role", "unit", "id", "deployment"):
            prof = getattr(self.q.profile, key)
            if prof and normalise_text(prof.text) in self.texts:
                self.add(("profile", key, "text"), "profile question text repeats a question's text")

    def action_roles(self, action: Action, base: tuple) -> None:
        unknown = [o for o in action.owners if o not in self.role_ids]
        for oi, owner in enumerate(action.owners):
            if owner in unknown:
                self.add(base + ("owners", oi), f"unknown role `{owner}` in owners")
        if action.accountable is not None and action.accountable not in self.role_ids:
            self.add(base + ("accountable",), f"unknown role `{action.accountable}` in accountable")
        for ri, rid in enumerate(action.responsible):
            if rid not in self.role_ids:
                self.add(base + ("responsible", ri), f"unknown role `{rid}` in responsible")
        if not unknown:
            problem = _dual_accountability(self.q, action)
            if problem:
                self.add(base + ("accountable" if action.accountable else "owners",), problem)

    def action_order(self, action: Action, base: tuple, action_ids: set[str]) -> None:
        for ri, dep in enumerate(action.after):
            if dep not in action_ids:
                self.add(base + ("after", ri), f"unknown action `{dep}` in after")
            elif dep == action.id:
                self.add(base + ("after", ri), f"action `{action.id}` cannot come after itself")
            elif self.q.action_by_id[dep].phase > action.phase:
                self.add(base + ("after", ri), f"action `{action.id}` (phase {action.phase}) cannot wait for "
                                               f"`{dep}` in a later phase ({self.q.action_by_id[dep].phase})")

    def actions(self) -> None:
        q = self.q
        dims, action_ids = {d.id for d in q.dimensions}, {a.id for a in q.actions}
        for ai, action in enumerate(q.actions):
            base = ("actions", ai)
            self.claim(action.id, base + ("id",), "action")
            if action.dimension not in dims:
                self.add(base + ("dimension",), f"unknown dimension `{action.dimension}`")
            self.action_roles(action, base)
            if self.level_numbers and action.max_level not in self.level_numbers:
                self.add(base + ("max_level",), f"max_level {action.max_level} is not a defined level")
            self.action_order(action, base, action_ids)
        cycle = _find_cycle({a.id: [d for d in a.after if d in action_ids] for a in q.actions})
        if cycle:
            idx = next(i for i, a in enumerate(q.actions) if a.id == cycle[0])
            self.add(("actions", idx, "after"), "dependency cycle in `after`: " + " -> ".join(cycle + [cycle[0]]))


def _check_references(q: Questionnaire, file: str, positions: Positions) -> list[Problem]:
    check = _References(q, file, positions)
    for part in (check.roles, check.levels, check.dimensions, check.actions):
        part()
    return check.problems


def _dual_accountability(q: Questionnaire, action: Action) -> str | None:
    """Why ``action`` lacks a business-side and a technology-side role, or None.

    When every role declares a ``side``, the action's accountable and responsible roles
    (its owners when it has no RACI) must include a ``business`` and a ``technology``
    role. Otherwise the version 1 rule applies: a leadership and a non-leadership owner.
    """
    roles = q.role_by_id
    carried = action.raci_roles
    if all(r.side for r in q.roles):
        sides = {roles[r].side for r in carried}
        if BUSINESS not in sides or TECHNOLOGY not in sides:
            return (f"action `{action.id}` needs dual accountability: its accountable and responsible roles "
                    f"({', '.join(carried)}) must include a business-side and a technology-side role")
        return None
    groups = [roles[r].group for r in action.owners]
    if LEADERSHIP not in groups or all(g == LEADERSHIP for g in groups):
        return (f"action `{action.id}` needs dual accountability: at least one leadership and one "
                "non-leadership owner")
    return None


def _find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in graph:
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


_SPACE = re.compile(r"\s+")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " ",
                         "\u2013": "-", "\u2014": "-"})


def normalise_text(text: str) -> str:
    """Fold case, whitespace, smart quotes and trailing punctuation, so that texts
    re-typed by survey tools still match the questionnaire."""
    text = _SPACE.sub(" ", str(text).translate(_QUOTES)).strip().casefold()
    return text.rstrip(" .?!:;*")


def _validated(data: Any, file: str, positions: Positions) -> Questionnaire:
    """pydantic's checks of every key, type and range, as the records of the questionnaire."""
    from pydantic import ValidationError

    from .questionnaire_schema import Questionnaire as Schema
    from .questionnaire_schema import _pydantic_problems

    if not isinstance(data, dict):
        raise QuestionnaireError("the top level must be a mapping of keys", file=file)
    try:
        model = Schema.model_validate(data)
    except ValidationError as exc:
        problems = _pydantic_problems(exc, file, positions)
        raise QuestionnaireError(str(problems[0]), problems=problems) from None
    return from_model(model, RECORDS)


def validate_questionnaire(data: Any) -> Questionnaire:
    """Check the shape of questionnaire data built in code (every key, type and range),
    without the cross-reference checks of a file; raise :class:`QuestionnaireError`."""
    return _validated(data, "<questionnaire>", {})


def parse_questionnaire(data: Any, file: str = "<questionnaire>",
                        positions: Positions | None = None) -> Questionnaire:
    """Validate already-loaded data; raise :class:`QuestionnaireError` listing every problem."""
    positions = positions or {}
    q = _validated(data, file, positions)
    problems = _check_references(q, file, positions)
    if problems:
        raise QuestionnaireError(str(problems[0]), problems=problems)
    return q


def _read(path: Path) -> Questionnaire:
    from .yamlsafe import YamlLoadError, load_yaml

    try:
        data, positions = load_yaml(path)
    except YamlLoadError as exc:
        raise QuestionnaireError(str(exc.problem), problems=[exc.problem]) from None
    return parse_questionnaire(data, str(path), positions)


def load_questionnaire(source: str | Path) -> Questionnaire:
    """Load a questionnaire from a path, or a bundled one by id (``ai-friction``) or by id
    and major version (``ai-friction@2``).

    A bare bundled id names the edition without a version in its file name (version 1
    of ``ai-friction``), so workspaces made before versions were pinned keep theirs. A
    pinned reference is checked against the file's own id and version: a mismatch is
    an error, never a silent switch to another edition. A file validated before, byte
    for byte, by this version of the package comes from the cache (:mod:`.records`).
    """
    path = resolve_questionnaire(source)
    q = cached("questionnaire", path, RECORDS, lambda: _read(path))
    wanted = _pinned(str(source))
    if wanted and not Path(str(source)).exists():
        qid, major = wanted
        if q.id != qid or major_version(q.version) != major:
            raise QuestionnaireError(f"`{source}` names {qid} version {major}, but this file is "
                                     f"{q.id} version {q.version}", file=str(path))
    return q


def major_version(version: str) -> str:
    """``"2.0"`` -> ``"2"``: the part of a version that a workspace pins."""
    return str(version).strip().split(".")[0]


def pinned_reference(q: Questionnaire) -> str:
    """How ``engagement.yaml`` names a bundled questionnaire: ``id@major`` (``ai-friction@2``)."""
    return f"{q.id}@{major_version(q.version)}"


def _pinned(text: str) -> tuple[str, str] | None:
    base, sep, major = text.partition("@")
    if not sep or not base or not re.fullmatch(r"[0-9]+", major):
        return None
    return base, major


def bundled_questionnaires() -> dict[str, Path]:
    """Bundled questionnaire files by reference (the file stem): ``ai-friction`` is the
    first edition, later editions are files named ``<id>@<major>.yaml``."""
    folder = resources.questionnaires_dir()
    return {p.stem: p for p in sorted(folder.glob("*.yaml"))}


def resolve_questionnaire(source: str | Path) -> Path:
    """A path if it exists (or looks like one), else a bundled reference: ``id`` or ``id@major``."""
    text = str(source)
    path = Path(text).expanduser()
    if path.exists() or text.endswith((".yaml", ".yml")) or "/" in text or "\\" in text:
        return path
    bundled = bundled_questionnaires()
    if text in bundled:
        return bundled[text]
    wanted = _pinned(text)
    if wanted and wanted[0] in bundled:
        # `ai-friction@1`: the unversioned file, if that is the edition asked for
        # (load_questionnaire checks the version it declares).
        return bundled[wanted[0]]
    raise QuestionnaireError(f"no questionnaire file or bundled id `{text}`; bundled: "
                             f"{', '.join(bundled) or 'none'}", file=text)
