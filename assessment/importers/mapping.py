"""The explicit column mapping: for exports whose headers cannot be matched automatically.

A mapping file is YAML (``assess responses import --mapping sm.yaml``)::

    source: surveymonkey           # optional: the tool, as --source
    columns:                       # column header (or letter, or 'Header.1' for a repeat) -> question id
      "Identify a scientific problem": SKL-1
      Q2_1: GOV-01
    role_column: "What is your role?"   # which column holds the role (also unit_column, id_column)
    role: ds                       # or: every respondent in this file has this role
    unit: Retail                   # every respondent in this file is in this unit
    role_values: {"Data person": ds}    # cell text -> role id
    values: {"Not at all": 1, "Can't say": na}   # label -> scale value, for every question
    question_values:               # the same, for one question (wins over `values`)
      GOV-01: {10: 1, 11: 2, 12: 3, 13: 4}
    ignore: ["Other (please specify)"]  # columns that are deliberately not imported
    include_test_responses: false  # keep Qualtrics test/preview responses (dry runs only)

Values are numbers, ``na`` (not applicable) or ``blank``. Errors name ``file:line``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from ..errors import ImportFailed
from ..yamlsafe import Positions, YamlLoadError, load_yaml, locate

ValueSpec = float | Literal["na", "blank"] | None


def _value(v: Any) -> Any:
    # `NA`, `N/A`, `Blank` as typed by people; pydantic refuses anything else with a location.
    if isinstance(v, str) and v.strip().casefold() in ("na", "n/a", "blank"):
        return "blank" if v.strip().casefold() == "blank" else "na"
    return v


def _label(k: Any) -> str:
    if isinstance(k, float) and k.is_integer():
        return str(int(k))
    return str(k)


class Mapping(BaseModel):
    """How to read one family of export files (see module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    source: str | None = None
    columns: dict[str, str] = Field(default_factory=dict)
    role_column: str | None = None
    unit_column: str | None = None
    id_column: str | None = None
    role: str | None = None
    unit: str | None = None
    role_values: dict[str, str] = Field(default_factory=dict)
    values: dict[str, ValueSpec] = Field(default_factory=dict)
    question_values: dict[str, dict[str, ValueSpec]] = Field(default_factory=dict)
    ignore: list[str] = Field(default_factory=list)
    include_test_responses: bool = False

    _file: str | None = PrivateAttr(default=None)
    _positions: Positions = PrivateAttr(default_factory=dict)

    @field_validator("columns", "role_values", mode="before")
    @classmethod
    def _text_keys(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return {_label(k): (str(x) if isinstance(x, int | float) and not isinstance(x, bool) else x)
                    for k, x in v.items()}
        return v

    @field_validator("values", mode="before")
    @classmethod
    def _values(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return {_label(k): _value(x) for k, x in v.items()}
        return v

    @field_validator("question_values", mode="before")
    @classmethod
    def _question_values(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return {str(q): ({_label(k): _value(x) for k, x in m.items()} if isinstance(m, dict) else m)
                    for q, m in v.items()}
        return v

    @property
    def file(self) -> str | None:
        return self._file

    def where(self, *path: Any) -> str:
        """``file:line`` of a key in the mapping file, for error messages."""
        pos = locate(self._positions, tuple(path))
        if self._file and pos:
            return f"{self._file}:{pos[0]}"
        return self._file or "mapping"


def load_mapping(path: str | Path) -> Mapping:
    """Load and validate a mapping YAML file; problems raise :class:`ImportFailed` with ``file:line``."""
    file = str(path)
    try:
        data, positions = load_yaml(path)
    except YamlLoadError as exc:
        raise ImportFailed(str(exc.problem), file=file) from None
    if not isinstance(data, dict):
        raise ImportFailed("a mapping file must be a YAML mapping of keys (columns:, values:, ...)", file=file)
    try:
        mapping = Mapping.model_validate(data)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = tuple(err["loc"])
        pos = locate(positions, loc)
        where = f"{file}:{pos[0]}" if pos else file
        field = ".".join(str(p) for p in loc) or "(top level)"
        if err["type"] == "extra_forbidden":
            msg = f"unknown key `{loc[-1]}` (typo?)"
        elif loc and loc[0] in ("values", "question_values") and len(loc) >= 2:
            label = loc[2] if loc[0] == "question_values" and len(loc) > 2 else loc[1]
            msg = f"the value for {label!r} must be a number, na or blank (got {err.get('input')!r})"
        else:
            msg = f"{field}: {err['msg'].removeprefix('Value error, ')}"
        raise ImportFailed(f"{where}: {msg}", file=file) from None
    mapping._file = file
    mapping._positions = positions
    return mapping
