"""The questionnaire format: YAML in, validated immutable model out.

The key names are a contract other tools read (see docs/questionnaire-format.md).
Validation happens in two passes, both reporting ``file:line:column: message``:
pydantic checks shapes and types (unknown keys are refused, since a typo such as
``revese: true`` would otherwise silently score an item the wrong way round),
then :func:`_check_references` checks what pydantic cannot see: unique ids and
texts, references between sections, ascending levels, dependency cycles and dual
accountability on every action.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from . import resources
from .errors import Problem, QuestionnaireError
from .yamlsafe import Positions, YamlLoadError, load_yaml, locate

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
NonEmpty = Annotated[str, Field(min_length=1)]
Ident = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, allow_inf_nan=False)


class ScalePoint(_Model):
    value: float
    label: NonEmpty

    @field_validator("label", mode="before")
    @classmethod
    def _label_text(cls, v: Any) -> Any:
        # ``label: 5`` in YAML is an int; a label is always text.
        return str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v


class Scale(_Model):
    points: list[ScalePoint] = Field(min_length=2)
    na_label: NonEmpty | None = None

    @model_validator(mode="after")
    def _unique(self) -> Scale:
        labels = [p.label.casefold() for p in self.points]
        dup = {label for label in labels if labels.count(label) > 1}
        if dup:
            raise ValueError(f"scale labels must be unique; repeated: {', '.join(sorted(dup))}")
        values = [p.value for p in self.points]
        if len(set(values)) != len(values):
            raise ValueError("scale point values must be unique")
        if self.na_label and self.na_label.casefold() in labels:
            raise ValueError("na_label must differ from every point label")
        return self

    @property
    def v_min(self) -> float:
        return min(p.value for p in self.points)

    @property
    def v_max(self) -> float:
        return max(p.value for p in self.points)


class Role(_Model):
    id: Ident
    label: NonEmpty
    group: NonEmpty
    weight: float = Field(default=1.0, gt=0)
    aliases: list[NonEmpty] = Field(default_factory=list)
    description: str | None = None
    # Which side of the business/technology divide the role sits on. The dual
    # accountability check of actions uses it when every role declares one; `group`
    # cannot serve, since frontline users are practitioners yet sit on the business side.
    side: Literal["business", "technology", "oversight"] | None = None


class Level(_Model):
    level: int = Field(ge=0)
    name: NonEmpty
    min: float = Field(ge=0, le=100)
    description: str | None = None


class Question(_Model):
    # `scored` is the YAML key; the attribute is `scored_flag` because `scored` is the
    # derived property every consumer (the scorer included) reads.
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, allow_inf_nan=False,
                              serialize_by_alias=True)

    id: Ident
    text: NonEmpty
    type: Literal["scale", "numeric", "text"] = "scale"
    scale: Ident | None = None
    weight: float = Field(default=1.0, gt=0)
    reverse: bool = False
    roles: list[Ident] | None = None
    worst: float | None = None
    best: float | None = None
    unit: str | None = None
    help: str | None = None
    min: float | None = None
    max: float | None = None
    scored_flag: bool | None = Field(default=None, alias="scored")
    headline: bool = False
    evidence: str | None = None

    @model_validator(mode="after")
    def _by_type(self) -> Question:
        if self.type == "scale" and self.scale is None:
            raise ValueError("a scale question needs `scale`")
        if self.type != "scale" and self.scale is not None:
            raise ValueError(f"`scale` is only for scale questions, not type {self.type}")
        if self.type == "numeric":
            self._check_numeric()
        else:
            if self.worst is not None or self.best is not None:
                raise ValueError("`worst`/`best` are only for numeric questions")
            for key in ("min", "max", "unit"):
                if getattr(self, key) is not None:
                    raise ValueError(f"`{key}` is only for numeric questions")
            if self.scored_flag is False:
                raise ValueError("`scored: false` is only for numeric questions (text is never scored)")
            if self.headline:
                raise ValueError("`headline` is only for numeric questions")
        if self.type == "text" and self.scored_flag:
            raise ValueError("a text question is never scored; remove `scored`")
        if self.type == "text" and self.evidence:
            raise ValueError("`evidence` is for scale and numeric questions, not comments")
        if self.roles is not None and not self.roles:
            raise ValueError("`roles` must list at least one role (omit it to ask everyone)")
        return self

    def _check_numeric(self) -> None:
        if self.unit is not None and self.unit not in UNITS:
            raise ValueError(f"unknown unit {self.unit!r}; use one of: {', '.join(UNITS)}")
        if self.min is not None and self.max is not None and not self.min < self.max:
            raise ValueError("`min` must be below `max`")
        if self.scored_flag is False:
            # A reported fact: no direction is better, so worst/best would be a lie.
            if self.worst is not None or self.best is not None:
                raise ValueError("an unscored numeric question (`scored: false`) takes no `worst`/`best`")
            if self.min is None or self.max is None:
                raise ValueError("an unscored numeric question (`scored: false`) needs `min` and `max`")
            return
        if self.worst is None or self.best is None:
            raise ValueError("a numeric question needs both `worst` and `best`")
        if self.worst == self.best:
            raise ValueError("`worst` and `best` must differ")
        for key in ("worst", "best"):
            value = getattr(self, key)
            if (self.min is not None and value < self.min) or (self.max is not None and value > self.max):
                raise ValueError(f"`{key}` ({value:g}) lies outside `min`..`max`")

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


class Dimension(_Model):
    id: Ident
    title: NonEmpty
    weight: float = Field(default=1.0, gt=0)
    description: str | None = None
    narratives: dict[int, NonEmpty] = Field(default_factory=dict)
    # Open questions a facilitator asks in a workshop (the guide lists them).
    probes: list[NonEmpty] = Field(default_factory=list)
    questions: list[Question] = Field(min_length=1)

    @property
    def scored_questions(self) -> list[Question]:
        return [q for q in self.questions if q.scored]


class Action(_Model):
    id: Ident
    dimension: Ident
    title: NonEmpty
    description: str | None = None
    phase: Literal[1, 2, 3]
    max_level: int = Field(ge=0)
    owners: list[Ident] = Field(min_length=2)
    # RACI: the one role answerable for the result, and the roles doing the work.
    # When given, `owners` must be exactly their union (kept for older readers).
    accountable: Ident | None = None
    responsible: list[Ident] = Field(default_factory=list)
    cost: float = Field(ge=0)
    effort_days: int = Field(ge=1, le=30)
    after: list[Ident] = Field(default_factory=list)
    kpi: NonEmpty
    tags: list[NonEmpty] = Field(default_factory=list)

    @model_validator(mode="after")
    def _raci(self) -> Action:
        if self.responsible and self.accountable is None:
            raise ValueError("`responsible` needs an `accountable` role")
        if self.accountable is not None:
            union = {self.accountable, *self.responsible}
            if set(self.owners) != union:
                raise ValueError("`owners` must be exactly `accountable` plus `responsible` "
                                 f"({', '.join(sorted(union))}), got {', '.join(self.owners)}")
        return self

    @property
    def raci_roles(self) -> list[str]:
        """The roles that carry the action: accountable then responsible, else the owners."""
        if self.accountable is None:
            return list(self.owners)
        return [self.accountable, *[r for r in self.responsible if r != self.accountable]]


class ProfileQuestion(_Model):
    text: NonEmpty


class Profile(_Model):
    role: ProfileQuestion | None = None
    unit: ProfileQuestion | None = None
    id: ProfileQuestion | None = None
    # The AI deployment the respondent uses or works on most; statements that say
    # "the AI system you named" refer to it, so a client with several deployments
    # does not get answers about different systems pooled as if they were one.
    deployment: ProfileQuestion | None = None


class Questionnaire(_Model):
    id: Ident
    version: NonEmpty
    title: str = ""
    description: str | None = None
    aggregation: Literal["role-balanced", "pooled"] = "role-balanced"
    profile: Profile = Field(default_factory=Profile)
    scales: dict[Ident, Scale] = Field(min_length=1)
    roles: list[Role] = Field(min_length=1)
    levels: list[Level] = Field(min_length=1)
    dimensions: list[Dimension] = Field(min_length=1)
    actions: list[Action] = Field(default_factory=list)

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v

    @model_validator(mode="after")
    def _default_title(self) -> Questionnaire:
        if not self.title:
            object.__setattr__(self, "title", self.id)
        return self

    # Lookups used everywhere; the model is frozen, so caching is safe.
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
        return self.model_dump(mode="json")


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


def _pydantic_problems(exc: ValidationError, file: str, positions: Positions) -> list[Problem]:
    problems = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        # pydantic appends the dict key then the field; keep only real path parts
        pos = locate(positions, loc)
        kind = err["type"]
        field = ".".join(str(p) for p in loc) or "(top level)"
        if kind == "extra_forbidden":
            msg = f"unknown key `{loc[-1]}` at {field} (typo?)"
        elif kind == "missing":
            msg = f"missing required key `{loc[-1]}` at {field}"
        else:
            text = err["msg"].removeprefix("Value error, ")
            msg = f"{field}: {text}"
            if "input" in err and kind not in ("model_type", "dict_type", "list_type") and not isinstance(err["input"], dict | list):
                msg += f" (got {err['input']!r})"
        problems.append(Problem(msg, file, *(pos or (None, None)), path=loc))
    return problems


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
        pos = locate(self.positions, path)
        self.problems.append(Problem(message, self.file, *(pos or (None, None)), path=path))

    def claim(self, ident: str, path: tuple, what: str) -> None:
        if ident in self.seen_ids:
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


def parse_questionnaire(data: Any, file: str = "<questionnaire>",
                        positions: Positions | None = None) -> Questionnaire:
    """Validate already-loaded data; raise :class:`QuestionnaireError` listing every problem."""
    positions = positions or {}
    if not isinstance(data, dict):
        raise QuestionnaireError("the top level must be a mapping of keys", file=file)
    try:
        q = Questionnaire.model_validate(data)
    except ValidationError as exc:
        problems = _pydantic_problems(exc, file, positions)
        raise QuestionnaireError(str(problems[0]), problems=problems) from None
    problems = _check_references(q, file, positions)
    if problems:
        raise QuestionnaireError(str(problems[0]), problems=problems)
    return q


def load_questionnaire(source: str | Path) -> Questionnaire:
    """Load a questionnaire from a path, or a bundled one by id (``ai-friction``) or by id
    and major version (``ai-friction@2``).

    A bare bundled id names the edition without a version in its file name (version 1
    of ``ai-friction``), so workspaces made before versions were pinned keep theirs. A
    pinned reference is checked against the file's own id and version: a mismatch is
    an error, never a silent switch to another edition.
    """
    path = resolve_questionnaire(source)
    try:
        data, positions = load_yaml(path)
    except YamlLoadError as exc:
        raise QuestionnaireError(str(exc.problem), problems=[exc.problem]) from None
    q = parse_questionnaire(data, str(path), positions)
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
