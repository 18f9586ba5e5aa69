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


class Level(_Model):
    level: int = Field(ge=0)
    name: NonEmpty
    min: float = Field(ge=0, le=100)
    description: str | None = None


#: Units a numeric question may declare; importers check answers against `min`/`max`
#: and read percentages in every form survey tools write them.
NUMERIC_UNITS = frozenset({"days", "weeks", "months", "years", "hours", "minutes", "percent", "%", "count",
                           "people", "models", "currency", "score"})


class Question(_Model):
    id: Ident
    text: NonEmpty
    type: Literal["scale", "numeric", "text"] = "scale"
    scale: Ident | None = None
    weight: float = Field(default=1.0, gt=0)
    reverse: bool = False
    roles: list[Ident] | None = None
    worst: float | None = None
    best: float | None = None
    min: float | None = None
    max: float | None = None
    unit: str | None = None
    help: str | None = None

    @model_validator(mode="after")
    def _by_type(self) -> Question:
        if self.type == "scale" and self.scale is None:
            raise ValueError("a scale question needs `scale`")
        if self.type != "scale" and self.scale is not None:
            raise ValueError(f"`scale` is only for scale questions, not type {self.type}")
        if self.type == "numeric":
            if self.worst is None or self.best is None:
                raise ValueError("a numeric question needs both `worst` and `best`")
            if self.worst == self.best:
                raise ValueError("`worst` and `best` must differ")
            if self.min is not None and self.max is not None and self.min >= self.max:
                raise ValueError("`min` must be below `max`")
            if self.unit is not None and self.unit.strip().casefold() not in NUMERIC_UNITS:
                raise ValueError(f"unknown unit `{self.unit}`; units: {', '.join(sorted(set(NUMERIC_UNITS) - {'%'}))} "
                                 "(`%` means percent)")
            for name in ("worst", "best"):
                v = getattr(self, name)
                if (self.min is not None and v < self.min) or (self.max is not None and v > self.max):
                    raise ValueError(f"`{name}` ({v:g}) lies outside `min`..`max`")
        elif self.worst is not None or self.best is not None:
            raise ValueError("`worst`/`best` are only for numeric questions")
        elif self.min is not None or self.max is not None:
            raise ValueError("`min`/`max` are only for numeric questions")
        if self.roles is not None and not self.roles:
            raise ValueError("`roles` must list at least one role (omit it to ask everyone)")
        return self

    @property
    def scored(self) -> bool:
        return self.type != "text"

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
    cost: float = Field(ge=0)
    effort_days: int = Field(ge=1, le=30)
    after: list[Ident] = Field(default_factory=list)
    kpi: NonEmpty
    tags: list[NonEmpty] = Field(default_factory=list)


class ProfileQuestion(_Model):
    text: NonEmpty


class Profile(_Model):
    role: ProfileQuestion | None = None
    unit: ProfileQuestion | None = None
    id: ProfileQuestion | None = None


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


def _check_references(q: Questionnaire, file: str, positions: Positions) -> list[Problem]:
    problems: list[Problem] = []

    def add(path: tuple, message: str) -> None:
        pos = locate(positions, path)
        problems.append(Problem(message, file, *(pos or (None, None)), path=path))

    seen_ids: dict[str, tuple] = {}

    def claim(ident: str, path: tuple, what: str) -> None:
        if ident in seen_ids:
            first = locate(positions, seen_ids[ident])
            where = f" (first used at line {first[0]})" if first else ""
            add(path, f"duplicate id `{ident}` for a {what}{where}")
        else:
            seen_ids[ident] = path

    for sid in q.scales:
        claim(sid, ("scales", sid), "scale")
    role_ids = set()
    for i, role in enumerate(q.roles):
        claim(role.id, ("roles", i, "id"), "role")
        role_ids.add(role.id)
    labels: dict[str, int] = {}
    for i, role in enumerate(q.roles):
        for j, name in enumerate([role.label, *role.aliases]):
            key = name.casefold()
            if key in labels and labels[key] != i:
                add(("roles", i, "aliases", j - 1) if j else ("roles", i, "label"),
                    f"role label or alias `{name}` is used by two roles")
            labels[key] = i
    prev = None
    seen_levels = set()
    for i, level in enumerate(q.levels):
        if level.level in seen_levels:
            add(("levels", i, "level"), f"duplicate level number {level.level}")
        seen_levels.add(level.level)
        if prev is not None and (level.min <= prev.min or level.level <= prev.level):
            add(("levels", i, "min"), f"levels must ascend: level {level.level} (min {level.min:g}) "
                                       f"follows level {prev.level} (min {prev.min:g})")
        prev = level
    if q.levels and q.levels[0].min != 0:
        add(("levels", 0, "min"), "the first level must start at min 0 so every score has a level")
    level_numbers = {lv.level for lv in q.levels}

    texts: dict[str, tuple] = {}
    for di, dim in enumerate(q.dimensions):
        claim(dim.id, ("dimensions", di, "id"), "dimension")
        if not dim.scored_questions:
            add(("dimensions", di, "questions"), f"dimension `{dim.id}` has no scored question")
        for lvl in dim.narratives:
            if lvl not in level_numbers:
                add(("dimensions", di, "narratives", lvl), f"narrative for unknown level {lvl}")
        for qi, question in enumerate(dim.questions):
            base = ("dimensions", di, "questions", qi)
            claim(question.id, base + ("id",), "question")
            norm = normalise_text(question.text)
            if norm in texts:
                add(base + ("text",), "duplicate question text (importers match columns on text): "
                                      f"{question.text!r}")
            texts[norm] = base
            if question.scale and question.scale not in q.scales:
                add(base + ("scale",), f"unknown scale `{question.scale}`; defined: {', '.join(q.scales)}")
            for ri, rid in enumerate(question.roles or []):
                if rid not in role_ids:
                    add(base + ("roles", ri), f"unknown role `{rid}`; defined: {', '.join(sorted(role_ids))}")
    for key in ("role", "unit", "id"):
        prof = getattr(q.profile, key)
        if prof and normalise_text(prof.text) in texts:
            add(("profile", key, "text"), "profile question text repeats a question's text")

    dims = {d.id for d in q.dimensions}
    action_ids = {a.id for a in q.actions}
    groups = {r.id: r.group for r in q.roles}
    for ai, action in enumerate(q.actions):
        base = ("actions", ai)
        claim(action.id, base + ("id",), "action")
        if action.dimension not in dims:
            add(base + ("dimension",), f"unknown dimension `{action.dimension}`")
        unknown = [o for o in action.owners if o not in role_ids]
        for oi, owner in enumerate(action.owners):
            if owner in unknown:
                add(base + ("owners", oi), f"unknown role `{owner}` in owners")
        known = [o for o in action.owners if o in role_ids]
        if not unknown and (not any(groups[o] == LEADERSHIP for o in known)
                            or not any(groups[o] != LEADERSHIP for o in known)):
            add(base + ("owners",), f"action `{action.id}` needs dual accountability: at least one "
                                     "leadership and one non-leadership owner")
        if level_numbers and action.max_level not in level_numbers:
            add(base + ("max_level",), f"max_level {action.max_level} is not a defined level")
        for ri, dep in enumerate(action.after):
            if dep not in action_ids:
                add(base + ("after", ri), f"unknown action `{dep}` in after")
            elif dep == action.id:
                add(base + ("after", ri), f"action `{action.id}` cannot come after itself")
            elif q.action_by_id[dep].phase > action.phase:
                add(base + ("after", ri), f"action `{action.id}` (phase {action.phase}) cannot wait for "
                                          f"`{dep}` in a later phase ({q.action_by_id[dep].phase})")
    cycle = _find_cycle({a.id: [d for d in a.after if d in action_ids] for a in q.actions})
    if cycle:
        idx = next(i for i, a in enumerate(q.actions) if a.id == cycle[0])
        add(("actions", idx, "after"), "dependency cycle in `after`: " + " -> ".join(cycle + [cycle[0]]))
    return problems


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
    """Load a questionnaire from a path, or a bundled one by id (``ai-friction``)."""
    path = resolve_questionnaire(source)
    try:
        data, positions = load_yaml(path)
    except YamlLoadError as exc:
        raise QuestionnaireError(str(exc.problem), problems=[exc.problem]) from None
    return parse_questionnaire(data, str(path), positions)


def bundled_questionnaires() -> dict[str, Path]:
    """Bundled questionnaire files by id (the file stem)."""
    folder = resources.questionnaires_dir()
    return {p.stem: p for p in sorted(folder.glob("*.yaml"))}


def resolve_questionnaire(source: str | Path) -> Path:
    """A path if it exists (or looks like one), else a bundled questionnaire id."""
    text = str(source)
    path = Path(text).expanduser()
    if path.exists() or text.endswith((".yaml", ".yml")) or "/" in text or "\\" in text:
        return path
    bundled = bundled_questionnaires()
    if text in bundled:
        return bundled[text]
    raise QuestionnaireError(f"no questionnaire file or bundled id `{text}`; bundled: "
                             f"{', '.join(bundled) or 'none'}", file=text)
