"""Validated configuration as plain read-only objects, and the cache that skips revalidating it.

A questionnaire and an engagement are validated by pydantic models (the
``*_schema`` modules), which give every problem as ``file:line:column``. Importing
pydantic and building those models costs about 0.1 s, more than any command spends
on a small survey, and every command loads both files. So the rest of the package
works with :class:`Record` objects: the validated values, read-only, with the same
attribute names and the same derived properties (defined once, on the record classes).

:func:`cached` keeps the records of each validated file in the user's cache folder,
keyed by the file's bytes and by the code that validated it; a file that changed, or
a new version of this package, is validated again. Nothing is cached for a file that
failed. The cache holds JSON, never code, and lives outside any workspace.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: The modules whose code decides what a validated file becomes; a change to any of them
#: makes every cached file stale.
_CODE = ("records.py", "yamlsafe.py", "questionnaire.py", "questionnaire_schema.py", "engagement.py",
         "engagement_schema.py")
_FORMAT = "1"
#: Larger files are not cached: validation refuses them (the YAML loader's own limit,
#: ``yamlsafe.MAX_BYTES``, which this module does not import: it would load PyYAML).
_MAX_BYTES = 10 * 1024 * 1024


class Record:
    """A validated model's values, read-only. Equal when of the same class with equal values."""

    #: attribute -> the key it has in the file, where the two differ
    _aliases: dict[str, str] = {}

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)
        self.__dict__["_fields"] = tuple(values)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    def values(self) -> dict[str, Any]:
        """The validated fields (not the derived properties), in declaration order."""
        return {name: self.__dict__[name] for name in self.__dict__["_fields"]}

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.values() == other.values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:  # as pydantic's frozen models: by value (lists make it unhashable)
        return hash((type(self), tuple(self.values().values())))

    def to_data(self) -> dict[str, Any]:
        """The values as JSON data under the files' own key names (what pydantic's
        ``model_dump(mode="json")`` gave for the model)."""
        return {self._aliases.get(k, k): _json_data(v) for k, v in self.values().items()}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.values().items())})"


def _json_data(value: Any) -> Any:
    if isinstance(value, Record):
        return value.to_data()
    if isinstance(value, list | tuple):
        return [_json_data(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_data(v) for k, v in value.items()}
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def from_model(value: Any, classes: dict[str, type[Record]]) -> Any:
    """``value`` with every pydantic model in it turned into the record class of the same name."""
    fields = getattr(type(value), "model_fields", None)
    if fields is not None:
        return classes[type(value).__name__](**{name: from_model(getattr(value, name), classes) for name in fields})
    if isinstance(value, list):
        return [from_model(v, classes) for v in value]
    if isinstance(value, tuple):
        return tuple(from_model(v, classes) for v in value)
    if isinstance(value, dict):
        return {k: from_model(v, classes) for k, v in value.items()}
    return value


def _encode(value: Any) -> Any:
    if isinstance(value, Record):
        return {"$r": type(value).__name__, "v": {k: _encode(v) for k, v in value.values().items()}}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, tuple):
        return {"$tuple": [_encode(v) for v in value]}
    if isinstance(value, dict):
        return {"$pairs": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"cannot cache a {type(value).__name__}")


def _decode(value: Any, classes: dict[str, type[Record]]) -> Any:
    if isinstance(value, list):
        return [_decode(v, classes) for v in value]
    if not isinstance(value, dict):
        return value
    if "$r" in value:
        return classes[value["$r"]](**{k: _decode(v, classes) for k, v in value["v"].items()})
    if "$pairs" in value:
        return {_decode(k, classes): _decode(v, classes) for k, v in value["$pairs"]}
    if "$tuple" in value:
        return tuple(_decode(v, classes) for v in value["$tuple"])
    if "$date" in value:
        return dt.date.fromisoformat(value["$date"])
    if "$datetime" in value:
        return dt.datetime.fromisoformat(value["$datetime"])
    raise ValueError("unknown value in the cache")


def _folder() -> Path | None:
    base = os.environ.get("XDG_CACHE_HOME") or (Path.home() / ".cache")
    folder = Path(base) / "assess" / "validated"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return None
    return folder


def _pydantic_version() -> bytes:
    """pydantic's version file, read without importing pydantic (a new pydantic may validate
    differently, so it makes every cached file stale)."""
    from importlib.util import find_spec

    spec = find_spec("pydantic")
    if spec is None or not spec.submodule_search_locations:
        return b"?"
    return (Path(next(iter(spec.submodule_search_locations))) / "version.py").read_bytes()


@functools.cache
def _code_digest() -> bytes:
    """What the validating code is: read once per process (a command loads two files)."""
    from . import __version__

    digest = hashlib.sha256(f"{_FORMAT}\0{__version__}\0".encode())
    here = Path(__file__).parent
    for name in _CODE:
        digest.update((here / name).read_bytes())
    digest.update(_pydantic_version())
    return digest.digest()


def _key(kind: str, data: bytes) -> str:
    digest = hashlib.sha256(_code_digest())
    digest.update(f"\0{kind}\0".encode())
    digest.update(data)
    return digest.hexdigest()


#: Entries kept; beyond this the least recently written go (each edit of a file adds one).
MAX_ENTRIES = 256


def _prune(folder: Path) -> None:
    entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in entries[MAX_ENTRIES:]:
        stale.unlink(missing_ok=True)


def _regular_file_bytes(path: Path) -> bytes | None:
    """The file's bytes, or None unless it is a regular file within the YAML size limit
    (never block on a FIFO or read ``/dev/zero`` forever)."""
    import stat

    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return None
        with open(path, "rb") as handle:
            data = handle.read(_MAX_BYTES + 1)
    except OSError:
        return None
    return data if len(data) <= _MAX_BYTES else None


def cached(kind: str, path: Path, classes: dict[str, type[Record]], validate: Callable[[], Any]) -> Any:
    """The records of the file at ``path``: from the cache when this code validated these very
    bytes before, else ``validate()`` (which raises on a bad file), then kept for next time.

    ``ASSESS_NO_CACHE=1`` validates every time. A cache that cannot be read or written is
    simply not used.
    """
    if os.environ.get("ASSESS_NO_CACHE") == "1":
        return validate()
    data = _regular_file_bytes(path)
    if data is None:  # a FIFO, a device, a file too large: validation says what is wrong
        return validate()
    key = _key(kind, data)
    folder = _folder()
    entry = folder / f"{kind}-{key}.json" if folder is not None else None
    if entry is not None:
        try:
            return _decode(json.loads(entry.read_text(encoding="utf-8")), classes)
        except (OSError, ValueError, KeyError, TypeError):
            pass
    records = validate()
    if entry is not None and _regular_file_bytes(path) == data:  # not changed while it was validated
        try:
            text = json.dumps(_encode(records), ensure_ascii=False)
            from .fileio import write_text_atomic

            write_text_atomic(entry, text)
            _prune(folder)
        except (OSError, TypeError):
            pass
    return records
