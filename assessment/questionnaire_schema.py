"""The pydantic models that validate a questionnaire file: every key, type and range, with
each problem located as ``file:line:column``.

Imported only to validate (a file the cache has not seen, or data built in code): the
rest of the package works with the records of :mod:`assessment.questionnaire`, which
hold the same values and carry the derived properties.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import Problem
from .questionnaire import UNITS
from .yamlsafe import Positions, locate

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


class Dimension(_Model):
    id: Ident
    title: NonEmpty
    weight: float = Field(default=1.0, gt=0)
    description: str | None = None
    narratives: dict[int, NonEmpty] = Field(default_factory=dict)
    # Open questions a facilitator asks in a workshop (the guide lists them).
    probes: list[NonEmpty] = Field(default_factory=list)
    questions: list[Question] = Field(min_length=1)


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
