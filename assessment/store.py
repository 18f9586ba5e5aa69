"""The response store: one SQLite file per workspace (``responses.sqlite``).

Why SQLite: answers arrive over days in many files; every import must be all or
nothing (a killed process or a bad file must leave earlier answers untouched) and
re-running scoring must read everything back in well under a second. One file in
the workspace folder also travels with the engagement (zip it, mail it).

Layout (schema version in ``PRAGMA user_version``; :data:`MIGRATIONS` upgrades old
workspaces in place, inside one transaction):

- ``meta(key, value)``: the current round and other settings;
- ``rounds(name, created_at)``: assessment rounds (``baseline``, ``day-90``...);
- ``imports``: one row per imported file, with what was read, skipped and flagged;
- ``respondents``: one row per respondent; ``identity`` (the survey tool's response
  key, else the e-mail, else a fingerprint of the answers) detects re-imports;
- ``answers``: one row per respondent x question, exactly as in
  :mod:`assessment.responses`.

The journal is the classic rollback journal with ``synchronous=FULL``: at rest the
store is a single file, and a transaction interrupted at any point is rolled back
the next time the file is opened.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import StoreError
from .responses import ANSWER_COLUMNS, AnswerCodes, Responses, empty_responses, text_column

if TYPE_CHECKING:
    import pandas as pd

    from .engagement import Workspace

DEFAULT_ROUND = "baseline"


def _cross_round_identity(pk: int, stored: str | None, email: str | None) -> str:
    """Who a respondent is across rounds: the e-mail, else an id the consultant or the
    survey tool gave (a template's Respondent ID, an external reference); never a
    file-row id, which two unrelated people in two rounds can share."""
    if isinstance(email, str) and email.strip():  # NaN where pandas reads the column as str
        return "email:" + email.strip().casefold()
    if stored and stored.startswith("key:"):
        return "key:" + stored.split(":", 2)[-1]
    return f"respondent:{pk}"


def _safe_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)


PROVENANCE_COLUMNS = ["source_file", "source_row", "submitted", "flags", "round"]
#: The columns of the tidy answer export, in order.
EXPORT_FIELDS = ["respondent_id", "role", "unit", "question_id", "raw", "value", "state", "source_file", "source_row"]

_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE rounds (name TEXT PRIMARY KEY, created_at TEXT NOT NULL);
CREATE TABLE imports (
    id INTEGER PRIMARY KEY,
    round TEXT NOT NULL REFERENCES rounds(name),
    file_name TEXT NOT NULL,
    file_path TEXT,
    sha256 TEXT NOT NULL,
    source TEXT,
    imported_at TEXT NOT NULL,
    counts TEXT NOT NULL DEFAULT '{}',
    problems TEXT NOT NULL DEFAULT '[]',
    unmapped TEXT NOT NULL DEFAULT '[]',
    skipped TEXT NOT NULL DEFAULT '{}',
    quality TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL
);
CREATE INDEX imports_round_sha ON imports(round, sha256);
CREATE TABLE respondents (
    pk INTEGER PRIMARY KEY,
    respondent_id TEXT NOT NULL,
    round TEXT NOT NULL REFERENCES rounds(name),
    import_id INTEGER REFERENCES imports(id),
    identity TEXT NOT NULL,
    email TEXT,
    role TEXT NOT NULL,
    unit TEXT,
    source_file TEXT,
    source_row INTEGER,
    submitted TEXT,
    duration_s REAL,
    flags TEXT NOT NULL DEFAULT '[]',
    UNIQUE (round, respondent_id)
);
CREATE INDEX respondents_identity ON respondents(round, identity);
CREATE TABLE answers (
    respondent INTEGER NOT NULL REFERENCES respondents(pk),
    question_id TEXT NOT NULL,
    raw TEXT,
    value REAL,
    state TEXT NOT NULL,  -- answered, na or blank: checked on import, a CHECK here slows inserts a lot
    PRIMARY KEY (respondent, question_id)
) WITHOUT ROWID;
"""

# v2: a fingerprint of role, unit and answers, so "same respondent, same answers"
# (a duplicate) and "same respondent, different answers" (a conflict) are told apart
# without reading the answers back.
_V2 = """
ALTER TABLE respondents ADD COLUMN content_hash TEXT;
"""

# v3: the import log says, for every question, the column it was read from (and the notes
# shown at import time), so "where did this number come from?" has an answer later.
_V3 = """
ALTER TABLE imports ADD COLUMN columns TEXT;
ALTER TABLE imports ADD COLUMN notes TEXT;
"""

MIGRATIONS: list[str] = [_V1, _V2, _V3]
SCHEMA_VERSION = len(MIGRATIONS)


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


class Store:
    """An open response store. Use :func:`open_store` (a context manager)."""

    def __init__(self, conn: sqlite3.Connection, path: Path | None) -> None:
        self.conn = conn
        self.path = path

    # -- lifecycle ------------------------------------------------------------------

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``; any exception (KeyboardInterrupt too) rolls back.

        A second writer waits (up to the connection's 30 s busy timeout) for the first to
        finish, so two imports at once land one after the other; past the timeout it is
        refused with a clear message and has changed nothing.
        """
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreError(f"the response store is busy ({exc}: another assess command is writing to it); "
                             "nothing was changed, try again when it has finished", file=self.path) from None
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # -- rounds ---------------------------------------------------------------------

    def rounds(self) -> list[dict[str, Any]]:
        """Every round with its respondent and import counts, oldest first."""
        rows = self.conn.execute(
            "SELECT r.name, r.created_at,"
            " (SELECT COUNT(*) FROM respondents p WHERE p.round = r.name),"
            " (SELECT COUNT(*) FROM imports i WHERE i.round = r.name)"
            " FROM rounds r ORDER BY r.created_at, r.rowid").fetchall()
        current = self.current_round()
        return [{"name": n, "created_at": c, "respondents": p, "imports": i, "current": n == current}
                for n, c, p, i in rows]

    def current_round(self) -> str:
        """The round imports go to and scoring reads by default."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'current_round'").fetchone()
        return row[0] if row else DEFAULT_ROUND

    def _round_exists(self, name: str) -> bool:
        return self.conn.execute("SELECT 1 FROM rounds WHERE name = ?", (name,)).fetchone() is not None

    def new_round(self, name: str, *, make_current: bool = True) -> None:
        """Start a new round (e.g. ``day-90``); by default it becomes the current one."""
        name = _round_name(name, self.path)
        with self.transaction() as c:
            if self._round_exists(name):
                raise StoreError(f"round {name!r} already exists", file=self.path)
            c.execute("INSERT INTO rounds(name, created_at) VALUES (?, ?)", (name, _now()))
            if make_current:
                c.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('current_round', ?)", (name,))

    def set_current_round(self, name: str) -> None:
        """Make an existing round the current one."""
        if not self._round_exists(name):
            known = ", ".join(r["name"] for r in self.rounds())
            raise StoreError(f"no round {name!r}; rounds: {known}", file=self.path)
        with self.transaction() as c:
            c.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('current_round', ?)", (name,))

    def resolve_round(self, name: str | None) -> str:
        """``name`` if given and known, else the current round."""
        if name is None:
            return self.current_round()
        if not self._round_exists(name):
            known = ", ".join(r["name"] for r in self.rounds())
            raise StoreError(f"no round {name!r}; rounds: {known} (create it with `assess round new`)",
                             file=self.path)
        return name

    # -- reading --------------------------------------------------------------------

    def imports(self, round: str | None = None) -> list[dict[str, Any]]:
        """The import log of a round (default: current), oldest first, JSON fields decoded."""
        rnd = self.resolve_round(round)
        cur = self.conn.execute(
            "SELECT id, round, file_name, file_path, sha256, source, imported_at, counts, problems,"
            " unmapped, skipped, quality, status, columns, notes FROM imports WHERE round = ? ORDER BY id", (rnd,))
        names = [d[0] for d in cur.description]
        out = []
        for row in cur.fetchall():
            rec = dict(zip(names, row, strict=True))
            for key in ("counts", "problems", "unmapped", "skipped", "quality", "columns", "notes"):
                rec[key] = json.loads(rec[key]) if rec[key] else None
            out.append(rec)
        return out

    def load_responses(self, round: str | None = None, unit: str | None = None) -> Responses:
        """The tidy :class:`~assessment.responses.Responses` of one round (default: current).

        Respondents carry provenance (``source_file``, ``source_row``, ``submitted``,
        ``flags`` as comma-joined text, ``round``); ``unit`` keeps one business unit
        (case-insensitive).
        """
        import pandas as pd

        from .snapshot import read_snapshot, snapshot_key, write_snapshot

        rnd = self.resolve_round(round)
        snap = key = None
        if self.path is not None and not self.conn.in_transaction:
            snap = self.snapshot_path(rnd)
            key = snapshot_key(self.path, rnd)
            loaded = read_snapshot(snap, key)
            if loaded is not None:
                return loaded.for_unit(unit) if unit is not None else loaded
        people = self.conn.execute(
            "SELECT r.pk, r.respondent_id, r.role, r.unit, r.source_file, r.source_row, r.submitted, r.flags,"
            " r.round, r.identity, r.email FROM respondents r WHERE r.round = ? ORDER BY r.pk", (rnd,)).fetchall()
        if not people:
            return _no_responses()
        respondents = pd.DataFrame(people, columns=STORED_RESPONDENT_COLUMNS)
        del people  # (100,000 tuples: not kept while the answers load)
        # One pass over the whole table: a page once read is not read again, so a small page
        # cache will do (the store's 64 MB one would stay in memory through scoring).
        cache = self.conn.execute("PRAGMA cache_size").fetchone()[0]
        self.conn.execute("PRAGMA cache_size = -4096")
        try:
            # No join and no ORDER BY: 620k answer rows load in half the time; scoring
            # does not depend on row order, and respondent ids are mapped by position.
            cells = self.conn.execute(
                "SELECT respondent, question_id, raw, value, state FROM answers"
                " WHERE respondent IN (SELECT pk FROM respondents WHERE round = ?)", (rnd,))
            loaded = responses_from_rows(respondents, _fetched_columns(cells))
        finally:
            self.conn.execute(f"PRAGMA cache_size = {int(cache)}")
        if snap is not None and key is not None:
            write_snapshot(snap, key, loaded.respondents, loaded.answers)
        return loaded.for_unit(unit) if unit is not None else loaded

    def snapshot_path(self, round: str) -> Path | None:
        """Where the loaded-responses snapshot of ``round`` is kept (None for an in-memory store)."""
        if self.path is None:
            return None
        return self.path.parent / ".assess-cache" / f"{self.path.stem}-{_safe_name(round)}.npz"

    def find_respondents(self, ids: Iterable[str], round: str | None = None) -> dict[str, int]:
        """respondent_id -> pk for those of ``ids`` stored in the round."""
        rnd = self.resolve_round(round)
        found = {}
        for rid in ids:
            row = self.conn.execute("SELECT pk FROM respondents WHERE round = ? AND respondent_id = ?",
                                    (rnd, rid)).fetchone()
            if row:
                found[rid] = row[0]
        return found

    def answer_rows(self, round: str | None = None, question_order: list[str] | None = None) -> list[dict[str, Any]]:
        """One dict per stored answer, with its respondent and where it came from (see
        :data:`EXPORT_FIELDS`): what ``assess responses export`` writes, so any value can be
        checked against the cell it was read from."""
        rnd = self.resolve_round(round)
        order = {qid: i for i, qid in enumerate(question_order or [])}
        rows = self.conn.execute(
            "SELECT r.pk, r.respondent_id, r.role, r.unit, a.question_id, a.raw, a.value, a.state, r.source_file,"
            " r.source_row FROM answers a JOIN respondents r ON a.respondent = r.pk WHERE r.round = ?",
            (rnd,)).fetchall()
        rows.sort(key=lambda t: (t[0], order.get(t[4], len(order)), t[4]))
        return [dict(zip(EXPORT_FIELDS, t[1:], strict=True)) for t in rows]

    # -- changing -------------------------------------------------------------------

    def remove_respondents(self, ids: Iterable[str], round: str | None = None) -> int:
        """Remove respondents (and their answers) by id; all or nothing.

        Unknown ids raise :class:`StoreError` and nothing is removed, so a typo never
        half-applies a removal.
        """
        ids = list(dict.fromkeys(ids))
        rnd = self.resolve_round(round)
        found = self.find_respondents(ids, rnd)
        missing = [i for i in ids if i not in found]
        if missing:
            raise StoreError(f"no respondent {', '.join(missing)} in round {rnd!r}; nothing was removed",
                             file=self.path)
        with self.transaction() as c:
            pks = [(pk,) for pk in found.values()]
            c.executemany("DELETE FROM answers WHERE respondent = ?", pks)
            c.executemany("DELETE FROM respondents WHERE pk = ?", pks)
        return len(found)


#: Round names also name files (plans/<round>.json), so no separators or leading dots.
ROUND_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.\-]{0,63}$")


def _round_name(name: str, path: Path | None) -> str:
    name = name.strip()
    if not ROUND_NAME.match(name) or ".." in name:
        raise StoreError(f"round name {name!r}: use 1-64 letters, digits, spaces, '.', '_' or '-', starting with a "
                         "letter or digit (it also names the saved plan file)", file=path)
    return name


def current_round_name(workspace: Workspace) -> str:
    """The workspace's current round; ``baseline`` before anything was imported."""
    if not workspace.store_path.exists():
        return DEFAULT_ROUND
    with open_store(workspace.store_path, create=False) as store:
        return store.current_round()


def _migrate(conn: sqlite3.Connection, path: Path | None, upto: int = SCHEMA_VERSION) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StoreError(f"the store was written by a newer version of assess (schema {version}, "
                         f"this one knows {SCHEMA_VERSION}); upgrade assess", file=path)
    if version >= upto:
        return
    conn.execute("BEGIN IMMEDIATE")
    # Another process may have created or upgraded the store while we waited for the lock.
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version >= upto:
        conn.execute("COMMIT")
        return
    try:
        for number in range(version, upto):
            for statement in MIGRATIONS[number].split(";"):
                if statement.strip():
                    conn.execute(statement)
            if number == 0:
                conn.execute("INSERT INTO rounds(name, created_at) VALUES (?, ?)", (DEFAULT_ROUND, _now()))
        conn.execute(f"PRAGMA user_version = {int(upto)}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def open_store(path: str | Path | None, *, create: bool = True, _upto: int = SCHEMA_VERSION) -> Store:
    """Open (and create or upgrade) the store at ``path``; ``None`` opens a throw-away
    in-memory store (used by dry runs). Use as ``with open_store(p) as store: ...``."""
    target = Path(path) if path is not None else None
    if target is not None and not target.exists() and not create:
        raise StoreError("no responses imported yet (the response store does not exist)", file=target)
    try:
        conn = sqlite3.connect(str(target) if target else ":memory:", isolation_level=None, timeout=30)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the response store: {exc}", file=target) from None
    try:
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("PRAGMA synchronous = FULL")
        # Foreign keys stay declared but unenforced: deletions remove answers explicitly,
        # and checking every answer row on insert costs more than the import itself.
        conn.execute("PRAGMA cache_size = -65536")
        _migrate(conn, target, _upto)
    except sqlite3.OperationalError as exc:
        conn.close()
        if "locked" in str(exc) or "busy" in str(exc):
            raise StoreError("the response store is busy (another assess command is writing to it); try again "
                             "when it has finished", file=target) from None
        raise StoreError(f"not a readable response store ({exc})", file=target) from None
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(f"not a readable response store ({exc})", file=target) from None
    except BaseException:
        conn.close()
        raise
    return Store(conn, target)


#: The columns :func:`responses_from_rows` reads: the stored rows as SQLite returns them.
STORED_RESPONDENT_COLUMNS = ["pk", "respondent_id", "role", "unit", *PROVENANCE_COLUMNS, "stored_identity", "email"]
STORED_ANSWER_COLUMNS = ["pk", *ANSWER_COLUMNS[1:]]


def responses_from_rows(people: pd.DataFrame, cells: Iterable[Sequence[list]]) -> Responses:
    """:class:`Responses` from stored rows: ``people`` (:data:`STORED_RESPONDENT_COLUMNS`,
    ordered by ``pk``) and the answer rows as chunks of columns (each chunk the lists of
    :data:`STORED_ANSWER_COLUMNS`), with the values SQLite holds (``flags`` as JSON text,
    missing values as None).

    The one place stored rows become frames: loading a round and the snapshot an import
    keeps current both go through it, so the two cannot disagree.
    """
    respondents = people.copy()
    respondents["identity"] = [_cross_round_identity(p, i, e) for p, i, e in
                               zip(respondents["pk"].tolist(), respondents["stored_identity"].tolist(),
                                   respondents["email"].tolist(), strict=True)]
    pks, ids = respondents["pk"].to_numpy(dtype="int64"), respondents["respondent_id"].to_numpy(dtype=object)
    respondents = respondents.drop(columns=["pk", "stored_identity", "email"])
    respondents["flags"] = [",".join(json.loads(f)) if f else "" for f in respondents["flags"].tolist()]
    for col in ("respondent_id", "role", "unit", "source_file", "submitted", "flags", "round", "identity"):
        respondents[col] = respondents[col].astype("str")
    respondents["source_row"] = respondents["source_row"].astype("Int64")
    answers, codes = _answer_frame(cells, pks, ids)
    return Responses(respondents.reset_index(drop=True), answers, AnswerCodes(answers, codes))


def _fetched_columns(cursor: sqlite3.Cursor) -> Iterator[list[list]]:
    """The cursor's rows, a chunk at a time, as columns (one column at a time: ``zip(*rows)``
    is five times slower on 200,000 rows)."""
    while True:
        rows = cursor.fetchmany(_FETCH)
        if not rows:
            return
        columns = [list(map(itemgetter(k), rows)) for k in range(5)]
        del rows
        yield columns


#: Answer rows fetched from SQLite at a time (each is a tuple of new objects until its chunk is coded).
_FETCH = 50_000


class _Codes:
    """Distinct texts of one column, numbered in the order they are first seen."""

    def __init__(self) -> None:
        self.index: dict[Any, int] = {}

    def add(self, texts: list) -> Any:
        """The codes of a chunk of texts (-1 for NULL): one hash lookup per distinct text."""
        import numpy as np
        import pandas as pd

        codes, distinct = pd.factorize(np.array(texts, dtype=object))
        known = np.array([self.index.setdefault(t, len(self.index)) for t in distinct.tolist()] + [-1],
                         dtype="int32")
        return known[codes]  # code -1 (NULL) picks the -1 at the end

    def texts(self) -> Any:
        """The distinct texts, in code order."""
        import numpy as np

        return np.array(list(self.index), dtype=object)


def _answer_frame(chunks: Iterable[Sequence[list]], pks: Any, ids: Any) -> tuple[Any, dict[str, tuple[Any, Any]]]:
    """The answer rows (chunks of columns) as the tidy answers frame (``pks`` and ``ids``:
    the round's respondents' keys and ids), with the codes of its key columns (name ->
    (codes, distinct texts), as :class:`~assessment.responses.AnswerCodes` holds them).

    Millions of rows (100,000 respondents) never exist as Python tuples at once: each
    chunk becomes numpy arrays (texts as codes into their few distinct values) before
    the next is fetched, and every text column of the frame points at shared strings.
    """
    import numpy as np
    import pandas as pd

    text_columns = {"question_id": _Codes(), "raw": _Codes(), "state": _Codes()}
    respondent: list[Any] = []
    values: list[Any] = []
    chunked: dict[str, list[Any]] = {name: [] for name in text_columns}
    at = pd.Index(pks)
    for pk, qid, raw, value, state in chunks:
        respondent.append(at.get_indexer(np.array(pk, dtype="int64")).astype("int32"))
        values.append(np.array(value, dtype="float64"))  # NULL -> NaN
        for name, chunk in (("question_id", qid), ("raw", raw), ("state", state)):
            chunked[name].append(text_columns[name].add(chunk))
    empty = np.empty(0, dtype="int32")
    codes = {"respondent_id": (np.concatenate(respondent) if respondent else empty, np.asarray(ids, dtype=object))}
    for name, coder in text_columns.items():
        codes[name] = (np.concatenate(chunked[name]) if chunked[name] else empty, coder.texts())
    frame = pd.DataFrame({
        "respondent_id": text_column(*codes["respondent_id"]),
        "question_id": text_column(*codes["question_id"]),
        "raw": text_column(*codes.pop("raw")),
        "value": np.concatenate(values) if values else np.empty(0, dtype="float64"),
        "state": text_column(*codes["state"]),
    }, copy=False)
    return frame, codes


def _no_responses() -> Responses:
    """Empty responses with the same columns (and provenance) as a loaded round."""
    import pandas as pd

    base = empty_responses()
    extra = {c: pd.Series(dtype="Int64" if c == "source_row" else "str") for c in [*PROVENANCE_COLUMNS, "identity"]}
    return Responses(base.respondents.assign(**extra), base.answers)


def load_workspace_responses(workspace: Workspace, round: str | None = None,
                             unit: str | None = None) -> Responses:
    """The workspace's responses; empty if nothing was imported yet."""
    if not workspace.store_path.exists():
        return _no_responses()
    with open_store(workspace.store_path) as store:
        return store.load_responses(round=round, unit=unit)


def responses_summary(workspace: Workspace, round: str | None = None) -> dict[str, Any]:
    """Who has answered in a round: counts by role (roles nobody answered for are
    ``missing``) and by business unit, quality flags, every respondent, the import log."""
    q = workspace.questionnaire
    if not workspace.store_path.exists():
        responses, rnd, imports = load_workspace_responses(workspace), round or DEFAULT_ROUND, []
    else:
        with open_store(workspace.store_path) as store:
            rnd = store.resolve_round(round)
            responses, imports = store.load_responses(round=rnd), store.imports(rnd)
    people = responses.respondents
    per_role = {r.id: 0 for r in q.roles}
    for role in people["role"]:
        per_role[role] = per_role.get(role, 0) + 1
    per_unit: dict[str, int] = {}
    for unit in people["unit"]:
        key = unit if isinstance(unit, str) and unit else "(no unit)"
        per_unit[key] = per_unit.get(key, 0) + 1
    listed = [{"id": rid, "role": role, "unit": unit if isinstance(unit, str) and unit else None,
               "source_file": src, "source_row": None if row is None or row != row else int(row),
               "flags": [f for f in (flags or "").split(",") if f]}
              for rid, role, unit, src, row, flags in zip(
                  people["respondent_id"], people["role"], people["unit"],
                  people.get("source_file", [None] * len(people)), people.get("source_row", [None] * len(people)),
                  people.get("flags", [""] * len(people)), strict=True)]
    return {"round": rnd, "respondents": len(people),
            "roles": [{"role": rid, "label": q.role_by_id[rid].label if rid in q.role_by_id else rid,
                       "respondents": n, "missing": n == 0} for rid, n in per_role.items()],
            "units": [{"unit": u, "respondents": n} for u, n in sorted(per_unit.items())],
            "flagged": sum(1 for p in listed if p["flags"]),
            "list": listed, "imports": imports}


def export_answers(workspace: Workspace, path: str | Path | None, *, format: str = "csv",
                   round: str | None = None) -> tuple[str | None, int]:
    """Write every stored answer of a round, one row each (:data:`EXPORT_FIELDS`).

    ``path`` None returns the text instead of writing it. The file is written
    atomically: a half-written export never appears under its name. Returns
    (text or None, number of rows).
    """
    import csv
    import io

    from .fileio import dump_json, write_text_atomic

    if format not in ("csv", "json"):
        raise StoreError(f"unknown export format {format!r}; use csv or json", file=path)
    order = list(workspace.questionnaire.questions)  # also validates engagement.yaml before anything is read
    if not workspace.store_path.exists():
        rows: list[dict[str, Any]] = []
        if round is not None and round != DEFAULT_ROUND:
            raise StoreError(f"no round {round!r}; nothing was imported yet", file=workspace.store_path)
    else:
        with open_store(workspace.store_path, create=False) as store:
            rows = store.answer_rows(round, order)
    if format == "json":
        text = dump_json(rows) + "\n"
    else:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(EXPORT_FIELDS)
        for row in rows:
            writer.writerow(["" if row[k] is None else _csv_number(row[k]) if k == "value" else row[k]
                             for k in EXPORT_FIELDS])
        text = buf.getvalue()
    if path is None:
        return text, len(rows)
    target = Path(path)
    if target.is_dir():
        raise StoreError("is a folder; give a file name for the export", file=target)
    try:
        write_text_atomic(target, text)
    except OSError as exc:
        raise StoreError(f"cannot write the export: {exc.strerror or exc}", file=target) from None
    return None, len(rows)


def _csv_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
