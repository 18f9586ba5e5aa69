"""A workshop session: its state, the devices in the room and their answers.

Why it is shaped like this:

- **The engagement's store is the only place answers live.** Every answer a phone
  saves is written, in the same transaction, to the workshop's own record
  (``workshop_answers``: one row per device and question, ``PRIMARY KEY`` on both,
  written as an upsert so a double tap or a changed mind never adds a row) and to the
  store's ordinary ``respondents``/``answers`` tables, where ``score``, ``plan`` and
  ``report`` read it exactly as they read an imported file (the workshop is one
  ``imports`` row with source ``workshop``). A revoked device leaves the ordinary
  tables but stays in the workshop record, so revoking is reversible and nothing is
  lost.
- **Answers are checked by the importers' own readers** (:func:`assessment.importers.values.reader_for`,
  :func:`~assessment.importers.values.role_lookup`): a value a phone can save is a
  value a file could import, and the other way round.
- **A reply means committed.** Writes go through one writer thread that commits
  whatever is queued in one transaction (group commit), so 150 phones tapping at once
  cost one fsync per batch, not one per answer, and a phone hears "saved" only after
  its answer is on disk.
- **Nothing identifying is kept**: a device is a random pseudonym; no names, IP
  addresses or user agents are stored. The device cookie is stored only as a hash.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import math
import queue
import secrets
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import AssessmentError
from ..importers.values import reader_for, role_lookup
from ..questionnaire import Question, Questionnaire, normalise_text
from ..responses import BLANK, NA
from ..store import open_store

if TYPE_CHECKING:
    from ..engagement import Workspace

OPEN, CLOSED, FINISHED = "open", "closed", "finished"
SOURCE = "workshop"
#: Unambiguous characters for codes people type from a projector (no 0/O, 1/I/L).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 6
TICKET_LENGTH = 8
MAX_TEXT = 2000
MAX_UNIT = 80

SCHEMA = """
CREATE TABLE IF NOT EXISTS workshops (
    id INTEGER PRIMARY KEY,
    round TEXT NOT NULL,
    import_id INTEGER NOT NULL,
    join_code TEXT NOT NULL,
    join_token TEXT NOT NULL,
    state TEXT NOT NULL,
    joining_locked INTEGER NOT NULL DEFAULT 0,
    results_shown INTEGER NOT NULL DEFAULT 0,
    tickets_only INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS workshop_devices (
    workshop INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    pseudonym TEXT NOT NULL,
    cookie_hash TEXT NOT NULL,
    csrf TEXT NOT NULL,
    role TEXT,
    unit TEXT,
    joined_at TEXT NOT NULL,
    first_answer_at TEXT,
    last_answer_at TEXT,
    revoked INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (workshop, seq),
    UNIQUE (cookie_hash)
);
CREATE TABLE IF NOT EXISTS workshop_answers (
    workshop INTEGER NOT NULL,
    device INTEGER NOT NULL,
    question_id TEXT NOT NULL,
    raw TEXT,
    value REAL,
    state TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (workshop, device, question_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS workshop_tickets (
    workshop INTEGER NOT NULL,
    code_hash TEXT NOT NULL,
    device INTEGER,
    used_at TEXT,
    PRIMARY KEY (workshop, code_hash)
);
"""


class WorkshopError(AssessmentError):
    """A workshop cannot start or a participant's request cannot be honoured.

    ``status`` is the HTTP status the server answers with (the CLI ignores it).
    """

    def __init__(self, message: str, *, status: int = 400, file: str | Path | None = None) -> None:
        super().__init__(message, file=file)
        self.status = status


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_code(length: int = JOIN_CODE_LENGTH, rng: Callable[[str], str] = secrets.choice) -> str:
    """A code people can read off a projector and type: ``length`` characters of :data:`CODE_ALPHABET`."""
    return "".join(rng(CODE_ALPHABET) for _ in range(length))


def normalise_code(text: str) -> str:
    """What a person typed, as a code: case, spaces and dashes do not matter."""
    return "".join(c for c in str(text).upper() if c.isalnum())


def _clean_text(text: str, limit: int) -> str:
    """Participant text: control characters out, whitespace folded, length capped."""
    kept = "".join(c if (c.isprintable() or c in "\n\t") else " " for c in str(text))
    return kept.strip()[:limit]


@dataclass
class Device:
    """One phone (or browser) in the room, known only by a random pseudonym."""

    seq: int
    pseudonym: str
    cookie_hash: str
    csrf: str
    joined_at: str
    role: str | None = None
    unit: str | None = None
    first_answer_at: str | None = None
    last_answer_at: str | None = None
    revoked: bool = False
    answers: dict[str, tuple[str | None, float, str]] = field(default_factory=dict)
    last_page: str | None = None  # the friction point last shown (memory only: where a reload returns)

    @property
    def locked(self) -> bool:
        """The role is fixed once an answer was saved: a device cannot pad another role."""
        return bool(self.answers)


@dataclass(frozen=True)
class Joined:
    """What a successful join hands back: the cookie value (shown once) and the device."""

    cookie: str
    device: Device
    new: bool


class _Writer:
    """One thread that owns the write connection and commits queued work in batches.

    Each job is ``fn(conn)``; all jobs waiting when a batch starts run in one
    ``BEGIN IMMEDIATE`` transaction (group commit: one disk sync for the whole batch). If
    the batch fails, each job is retried in its own transaction, so one bad job never
    takes the others down with it. Results are handed back only after the COMMIT: to a
    thread waiting in :meth:`call`, or to an event loop in one wake-up per batch
    (:meth:`submit_async`): with 150 phones saving at once, one thread-safe wake-up per
    answer cost the event loop more than the answer itself.
    """

    def __init__(self, path: Path, busy_timeout: float = 30.0) -> None:
        self.path = path
        self.busy_timeout = busy_timeout
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="workshop-writer", daemon=True)
        self.batches = 0
        self._conn: sqlite3.Connection | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread.start()
        self._ready.wait(60)
        if self._error is not None:  # never hand out a writer whose jobs would wait forever
            raise self._error

    def submit(self, fn: Callable[[sqlite3.Connection], Any]) -> Future:
        """Queue ``fn``; the returned thread-safe future holds its result once committed."""
        fut: Future = Future()
        self._queue.put((fn, fut))
        return fut

    def submit_async(self, fn: Callable[[sqlite3.Connection], Any]) -> asyncio.Future:
        """Queue ``fn`` from the running event loop; await the result (set once committed)."""
        fut = asyncio.get_running_loop().create_future()
        self._queue.put((fn, fut))
        return fut

    def call(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run ``fn`` in the writer and wait for it (for code outside the event loop)."""
        return self.submit(fn).result()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(10)

    def _run(self) -> None:
        try:
            store = open_store(self.path)  # creates or upgrades the store, same pragmas as imports
            conn = store.conn
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._conn = conn
        self._ready.set()
        stop = False
        while not stop:
            item = self._queue.get()
            batch = []
            while item is not None:
                batch.append(item)
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            else:
                stop = True
            if batch:
                _settle_all(self._commit(conn, batch))
        conn.close()

    def _commit(self, conn: sqlite3.Connection, batch: list) -> list[tuple[Any, Any, BaseException | None]]:
        """Run a batch; (future, result, exception) per job, all of them committed (or failed)."""
        results = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for fn, _ in batch:
                results.append(fn(conn))
            conn.execute("COMMIT")
            self.batches += 1
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            return [self._one(conn, fn, fut) for fn, fut in batch]
        return [(fut, result, None) for (_, fut), result in zip(batch, results, strict=True)]

    @staticmethod
    def _one(conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], Any], fut: Any) -> tuple:
        """One job in a transaction of its own (after its batch failed)."""
        try:
            conn.execute("BEGIN IMMEDIATE")
            result = fn(conn)
            conn.execute("COMMIT")
        except BaseException as exc:  # handed to the waiting request, never lost
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            return fut, None, exc
        return fut, result, None


def _settle_all(outcomes: list[tuple[Any, Any, BaseException | None]]) -> None:
    """Hand a committed batch's outcomes to their waiters: thread futures at once, each event
    loop's futures in a single ``call_soon_threadsafe``."""
    by_loop: dict[asyncio.AbstractEventLoop, list] = {}
    for outcome in outcomes:
        fut = outcome[0]
        if isinstance(fut, asyncio.Future):
            by_loop.setdefault(fut.get_loop(), []).append(outcome)
        elif outcome[2] is not None:
            fut.set_exception(outcome[2])
        else:
            fut.set_result(outcome[1])
    for loop, items in by_loop.items():
        with contextlib.suppress(RuntimeError):  # RuntimeError: the loop has closed, nobody waits any more
            loop.call_soon_threadsafe(_settle_on_loop, items)


def _settle_on_loop(items: list[tuple[asyncio.Future, Any, BaseException | None]]) -> None:
    for fut, result, exc in items:
        if fut.done():  # the request was cancelled (the phone went away); the answer is stored anyway
            continue
        if exc is not None:
            fut.set_exception(exc)
        else:
            fut.set_result(result)


class Workshop:
    """A live workshop in one round of an engagement (see the module docstring).

    Create it with :func:`open_workshop`. Reads come from memory (loaded from the
    store at start, so ``--resume`` loses nothing); writes go through the writer
    thread and update memory only once committed.
    """

    def __init__(self, workspace: Workspace, questionnaire: Questionnaire, row: dict[str, Any],
                 writer: _Writer, min_group_size: int) -> None:
        self.workspace = workspace
        self.q = questionnaire
        self.id: int = row["id"]
        self.round: str = row["round"]
        self.import_id: int = row["import_id"]
        self.join_code: str = row["join_code"]
        self.join_token: str = row["join_token"]
        self.state: str = row["state"]
        self.joining_locked: bool = bool(row["joining_locked"])
        self.results_shown: bool = bool(row["results_shown"])
        self.tickets_only: bool = bool(row["tickets_only"])
        self.created_at: str = row["created_at"]
        self.min_group_size = min_group_size
        self.devices: dict[int, Device] = {}
        self._by_cookie: dict[str, Device] = {}
        self._writer = writer
        self._lock = threading.Lock()
        self.version = 0  # bumps on every committed change; the projector redraws on it
        self._listeners: list[Callable[[], None]] = []
        self._roles = role_lookup(questionnaire, None)
        self._readers: dict[str, Any] = {}
        self.source_label = f"workshop-{self.join_code}"
        self._imported_units: set[str] = set()
        self._dims_by_role: dict[str, list[tuple[Any, list[Question]]]] = {}
        self._scored_by_role: dict[str, list[str]] = {}
        for question in questionnaire.questions.values():
            reader = reader_for(questionnaire, question, None, SOURCE)
            reader.prepare([])
            self._readers[question.id] = reader

    async def _write(self, job: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run ``job`` in the writer and wait for its commit without blocking the event loop.

        A store that stays locked (another `assess` command writing for over 30 s) or a full
        disk becomes a 503 the phone shows as "not saved", never a silent loss.
        """
        try:
            return await self._writer.submit_async(job)
        except sqlite3.Error as exc:
            raise WorkshopError(f"not saved: the response store is busy or unwritable ({exc}); try again",
                                status=503) from None

    # -- listeners ------------------------------------------------------------------

    def on_change(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` (no arguments) after every committed change."""
        self._listeners.append(callback)

    def _changed(self) -> None:
        self.version += 1
        for callback in self._listeners:
            callback()

    # -- questionnaire helpers ------------------------------------------------------

    def questions_for(self, role: str | None) -> list[Question]:
        """The questions a role is asked, in questionnaire order."""
        if role is None:
            return []
        return [qq for d in self.q.dimensions for qq in d.questions if self.q.asked(qq, role)]

    def dimensions_for(self, role: str | None) -> list[tuple[Any, list[Question]]]:
        """(dimension, its questions for the role) for every dimension that asks the role anything.

        Cached per role: it is asked on every saved answer (for the progress bar).
        """
        if role is None:
            return []
        cached = self._dims_by_role.get(role)
        if cached is None:
            cached = []
            for d in self.q.dimensions:
                asked = [qq for qq in d.questions if self.q.asked(qq, role)]
                if asked:
                    cached.append((d, asked))
            self._dims_by_role[role] = cached
        return cached

    def known_units(self) -> list[str]:
        """Business units already named in this round (imports and phones), for suggestions."""
        units = set(self._imported_units) | {d.unit for d in self.devices.values() if d.unit}
        return sorted(units, key=str.casefold)

    # -- joining ----------------------------------------------------------------------

    def device_for_cookie(self, cookie: str | None) -> Device | None:
        if not cookie or len(cookie) > 100:
            return None
        return self._by_cookie.get(_hash(cookie))

    def check_join_code(self, code: str) -> bool:
        return hmac.compare_digest(normalise_code(code).encode(), self.join_code.encode())

    def check_join_token(self, token: str) -> bool:
        return hmac.compare_digest(str(token).encode(), self.join_token.encode())

    def _may_join(self) -> None:
        if self.state == FINISHED:
            raise WorkshopError("this workshop has finished; thank you", status=410)
        if self.joining_locked:
            raise WorkshopError("joining is locked; ask the facilitator", status=403)

    async def join(self, current_cookie: str | None = None, ticket: str | None = None) -> Joined:
        """A new device, or the one this browser already is (the caller has checked the join code).

        In ticket mode ``ticket`` must be an unused ticket; this device uses it up.
        Waits for the commit without blocking the event loop.
        """

        existing = self.device_for_cookie(current_cookie)
        if existing is not None:
            if existing.revoked:  # best effort, as every cookie rule: a removed phone does not simply rejoin
                raise WorkshopError("this device was removed by the facilitator", status=403)
            return Joined(str(current_cookie), existing, False)
        self._may_join()
        if self.tickets_only and not ticket:
            raise WorkshopError("this workshop needs a personal ticket code", status=403)
        cookie = secrets.token_urlsafe(16)
        job = self._join_job(cookie, ticket)
        device = await self._write(job)
        return self._joined(cookie, device)

    def _join_job(self, cookie: str, ticket: str | None) -> Callable[[sqlite3.Connection], Device]:
        csrf = secrets.token_urlsafe(16)
        now = _now()
        ticket_hash = _hash(normalise_code(ticket)) if ticket else None
        wid, rnd = self.id, self.round

        def write(conn: sqlite3.Connection) -> Device:
            seq = conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM workshop_devices WHERE workshop = ?",
                               (wid,)).fetchone()[0]
            if ticket_hash is not None:
                row = conn.execute("SELECT device FROM workshop_tickets WHERE workshop = ? AND code_hash = ?",
                                   (wid, ticket_hash)).fetchone()
                if row is None:
                    raise WorkshopError("unknown ticket code", status=404)
                if row[0] is not None:
                    raise WorkshopError("this ticket code was already used", status=409)
                conn.execute("UPDATE workshop_tickets SET device = ?, used_at = ? WHERE workshop = ? AND code_hash = ?",
                             (seq, now, wid, ticket_hash))
            while True:  # 32 random bits: a clash is rare, but it would block that phone's answers
                pseudonym = f"ws{wid}-{secrets.token_hex(4)}"
                taken = conn.execute("SELECT 1 FROM workshop_devices WHERE pseudonym = ? UNION ALL"
                                     " SELECT 1 FROM respondents WHERE round = ? AND respondent_id = ?",
                                     (pseudonym, rnd, pseudonym)).fetchone()
                if taken is None:
                    break
            conn.execute("INSERT INTO workshop_devices(workshop, seq, pseudonym, cookie_hash, csrf, joined_at)"
                         " VALUES (?,?,?,?,?,?)", (wid, seq, pseudonym, _hash(cookie), csrf, now))
            return Device(seq=seq, pseudonym=pseudonym, cookie_hash=_hash(cookie), csrf=csrf, joined_at=now)

        return write

    def _joined(self, cookie: str, device: Device) -> Joined:
        with self._lock:
            self.devices[device.seq] = device
            self._by_cookie[device.cookie_hash] = device
        self._changed()
        return Joined(cookie, device, True)

    # -- profile and answers --------------------------------------------------------

    def _usable(self, device: Device) -> None:
        if device.revoked:
            raise WorkshopError("this device was removed by the facilitator", status=403)

    def check_profile(self, device: Device, role: str, unit: str | None) -> tuple[str, str | None]:
        """The role id and the cleaned unit, or :class:`WorkshopError` (422)."""
        self._usable(device)
        if self.state == FINISHED:
            raise WorkshopError("this workshop has finished", status=410)
        role_id = self._roles.get(normalise_text(role or ""))
        if role_id is None:
            raise WorkshopError(f"unknown role {str(role)[:40]!r}; roles: "
                                + ", ".join(r.id for r in self.q.roles), status=422)
        if device.locked and role_id != device.role:
            raise WorkshopError("your role is fixed once you have answered; ask the facilitator to change it",
                                status=409)
        unit_text = _clean_text(unit or "", MAX_UNIT) or None
        if unit_text:
            for known in self.known_units():  # "retail" joins "Retail", not a unit of its own
                if known.casefold() == unit_text.casefold():
                    unit_text = known
                    break
        if device.locked and unit_text != device.unit:
            raise WorkshopError("your business unit is fixed once you have answered", status=409)
        return role_id, unit_text

    async def set_profile(self, device: Device, role: str, unit: str | None) -> Device:

        role_id, unit_text = self.check_profile(device, role, unit)
        wid, seq = self.id, device.seq

        def write(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE workshop_devices SET role = ?, unit = ? WHERE workshop = ? AND seq = ?",
                         (role_id, unit_text, wid, seq))

        await self._write(write)
        device.role, device.unit = role_id, unit_text
        self._changed()
        return device

    def parse_answer(self, device: Device, question_id: str, value: Any) -> tuple[str | None, float, str]:
        """(raw, value, state) for one answer, read by the importers' reader for that question.

        Raises :class:`WorkshopError` 422 for an unknown question, a question this
        device's role is not asked, or a value a file import would refuse.
        """
        self._usable(device)
        if device.role is None:
            raise WorkshopError("choose your role first", status=409)
        question = self.q.questions.get(str(question_id))
        if question is None or not self.q.asked(question, device.role):
            raise WorkshopError(f"question {str(question_id)[:40]!r} is not asked of your role", status=422)
        if value is None:
            text = ""
        elif isinstance(value, bool):
            raise WorkshopError("not a valid answer", status=422)
        elif isinstance(value, int | float):
            if not math.isfinite(value):
                raise WorkshopError("not a valid answer", status=422)
            text = f"{value:g}"
        else:
            text = _clean_text(str(value), MAX_TEXT)
        if not text:
            return None, math.nan, BLANK
        if question.type == "scale" and text.casefold() == "na":
            text = "n/a"
        val, state, why = self._readers[question.id].parse(text)
        if why:
            raise WorkshopError(f"{question.id}: {why}", status=422)
        if state == BLANK:
            return None, math.nan, BLANK
        scale = self.q.scale_of(question)
        raw: str | None = text
        if scale is not None:  # stored as a file would hold it: the label people saw
            raw = (scale.na_label or "N/A") if state == NA else next(p.label for p in scale.points if p.value == val)
        elif state == NA:
            raw = "N/A"
        return raw, float(val), state

    async def save_answer(self, device: Device, question_id: str, value: Any) -> tuple[str | None, float, str]:
        """Validate and store one answer (an upsert); returns what was stored."""

        if self.state != OPEN:
            raise WorkshopError("answering is closed" if self.state == CLOSED else "this workshop has finished",
                                status=409)
        parsed = self.parse_answer(device, question_id, value)
        if device.answers.get(question_id) == parsed or (
                parsed[2] == BLANK and question_id not in device.answers):
            return parsed  # a double tap: nothing to write
        job = self._answer_job(device, str(question_id), parsed, _now())
        outcome = await self._write(job)
        first = not device.answers
        device.answers[str(question_id)] = parsed  # in the workshop's record either way
        device.last_answer_at = job.when  # type: ignore[attr-defined]
        if first:
            device.first_answer_at = job.when  # type: ignore[attr-defined]
        if outcome != "stored":
            device.revoked = True
            self._changed()
            raise WorkshopError("this device was removed from the results; your answer was not counted",
                                status=403)
        self._changed()
        return parsed

    def _answer_job(self, device: Device, qid: str, parsed: tuple[str | None, float, str], when: str):
        """The writer's part of a save: five statements in the common case, because with 150
        phones the writer's time per batch is time every one of them waits."""
        wid, seq, role, unit, rnd = self.id, device.seq, device.role, device.unit, self.round
        raw, value, state = parsed
        val = None if math.isnan(value) else value

        def write(conn: sqlite3.Connection) -> str:
            conn.execute(
                "INSERT INTO workshop_answers(workshop, device, question_id, raw, value, state, updated_at)"
                " VALUES (?,?,?,?,?,?,?) ON CONFLICT(workshop, device, question_id) DO UPDATE SET"
                " raw = excluded.raw, value = excluded.value, state = excluded.state,"
                " updated_at = excluded.updated_at", (wid, seq, qid, raw, val, state, when))
            # The device's state and its respondent row (if any) in one look-up, read inside the
            # transaction: a revoke or a removal committed before this job is always seen.
            revoked, joined_at, first_answer_at, pk = conn.execute(
                "SELECT d.revoked, d.joined_at, d.first_answer_at, r.pk FROM workshop_devices d"
                " LEFT JOIN respondents r ON r.round = ? AND r.respondent_id = d.pseudonym"
                " WHERE d.workshop = ? AND d.seq = ?", (rnd, wid, seq)).fetchone()
            conn.execute("UPDATE workshop_devices SET first_answer_at = COALESCE(first_answer_at, ?),"
                         " last_answer_at = ? WHERE workshop = ? AND seq = ?", (when, when, wid, seq))
            if revoked:
                return "revoked"
            if pk is None and first_answer_at is not None:
                # It answered before, yet its respondent is gone: the consultant removed it from the
                # store (`assess responses --remove`). Keep that decision; never re-create half of it.
                conn.execute("UPDATE workshop_devices SET revoked = 1 WHERE workshop = ? AND seq = ?", (wid, seq))
                return "removed"
            if pk is None:
                pk = self._respondent_pk(conn, device, role, unit, joined_at, when)
            else:
                conn.execute("UPDATE respondents SET submitted = ?, duration_s = ? WHERE pk = ?",
                             (when, _seconds_between(joined_at, when), pk))
            conn.execute("INSERT INTO answers(respondent, question_id, raw, value, state) VALUES (?,?,?,?,?)"
                         " ON CONFLICT(respondent, question_id) DO UPDATE SET raw = excluded.raw,"
                         " value = excluded.value, state = excluded.state", (pk, qid, raw, val, state))
            return "stored"

        write.when = when  # type: ignore[attr-defined]
        return write

    def _respondent_pk(self, conn: sqlite3.Connection, device: Device, role: str | None, unit: str | None,
                       joined_at: str, when: str) -> int:
        """The device's row in ``respondents`` (created on its first answer), kept up to date."""
        duration = _seconds_between(joined_at, when)
        row = conn.execute("SELECT pk FROM respondents WHERE round = ? AND respondent_id = ?",
                           (self.round, device.pseudonym)).fetchone()
        if row:
            conn.execute("UPDATE respondents SET submitted = ?, duration_s = ? WHERE pk = ?",
                         (when, duration, row[0]))
            return int(row[0])
        cur = conn.execute(
            "INSERT INTO respondents(respondent_id, round, import_id, identity, email, role, unit, source_file,"
            " source_row, submitted, duration_s, flags, content_hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (device.pseudonym, self.round, self.import_id, f"key:{SOURCE}:{device.pseudonym}", None, role, unit,
             self.source_label, device.seq, when, duration, "[]", None))
        self._record_counts(conn)
        return int(cur.lastrowid)

    # -- progress ---------------------------------------------------------------------

    def counts(self, device: Device) -> tuple[int, int]:
        """(statements answered, statements asked): :meth:`progress` without the detail, for every save."""
        if device.role is None:
            return 0, 0
        ids = self._scored_by_role.get(device.role)
        if ids is None:
            ids = [qq.id for _, questions in self.dimensions_for(device.role) for qq in questions if qq.scored]
            self._scored_by_role[device.role] = ids
        answers = device.answers
        return sum(1 for qid in ids if qid in answers and answers[qid][2] != BLANK), len(ids)

    def progress(self, device: Device) -> dict[str, Any]:
        """Where a device stands: statements answered of those asked, per dimension, and the first
        dimension still open.

        Comment fields are optional, so they are counted apart (``comments``) and never keep
        the bar below 100%; a "don't know / not applicable" is an answer.
        """
        dims = []
        answered_total = asked_total = comments = 0
        next_dim = None
        for d, questions in self.dimensions_for(device.role):
            scored = [qq for qq in questions if qq.scored]
            answered = sum(1 for qq in scored if device.answers.get(qq.id, (None, 0, BLANK))[2] != BLANK)
            comments += sum(1 for qq in questions if not qq.scored
                            and device.answers.get(qq.id, (None, 0, BLANK))[2] != BLANK)
            dims.append({"id": d.id, "title": d.title, "answered": answered, "asked": len(scored)})
            answered_total += answered
            asked_total += len(scored)
            if next_dim is None and answered < len(scored):
                next_dim = d.id
        return {"device": device.pseudonym, "role": device.role, "unit": device.unit, "state": self.state,
                "answered": answered_total, "asked": asked_total,
                "share": round(answered_total / asked_total, 4) if asked_total else 0.0, "comments": comments,
                "next_dimension": next_dim, "dimensions": dims, "revoked": device.revoked,
                "answers": {qid: {"raw": raw, "state": state} for qid, (raw, _, state) in device.answers.items()}}

    # -- facilitator ----------------------------------------------------------------

    async def set_state(self, *, state: str | None = None, joining_locked: bool | None = None,
                        results_shown: bool | None = None) -> None:

        await self._write(self._state_job(state, joining_locked, results_shown))
        self._apply_state(state, joining_locked, results_shown)

    def set_state_sync(self, *, state: str | None = None, joining_locked: bool | None = None,
                       results_shown: bool | None = None) -> None:
        self._writer.call(self._state_job(state, joining_locked, results_shown))
        self._apply_state(state, joining_locked, results_shown)

    def _state_job(self, state: str | None, joining_locked: bool | None, results_shown: bool | None):
        new_state = state or self.state
        locked = self.joining_locked if joining_locked is None else joining_locked
        shown = self.results_shown if results_shown is None else results_shown
        if new_state not in (OPEN, CLOSED, FINISHED):
            raise ValueError(new_state)
        wid = self.id

        def write(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE workshops SET state = ?, joining_locked = ?, results_shown = ?, updated_at = ?"
                         " WHERE id = ?", (new_state, int(locked), int(shown), _now(), wid))
            self._record_counts(conn)
            if new_state == FINISHED:
                # Forget which phone was which device: the cookie hashes go, pseudonyms and answers stay.
                conn.execute("UPDATE workshop_devices SET cookie_hash = 'forgotten:' || workshop || ':' || seq,"
                             " csrf = '' WHERE workshop = ?", (wid,))
            if new_state != OPEN:
                # Flags are a courtesy: a failure there must never stop the facilitator closing.
                conn.execute("SAVEPOINT quality")
                try:
                    self._record_quality(conn)
                except Exception:
                    conn.execute("ROLLBACK TO quality")
                conn.execute("RELEASE quality")

        return write

    def _apply_state(self, state: str | None, joining_locked: bool | None, results_shown: bool | None) -> None:
        if state is not None:
            self.state = state
            if state == FINISHED:
                with self._lock:
                    self._by_cookie.clear()
        if joining_locked is not None:
            self.joining_locked = joining_locked
        if results_shown is not None:
            self.results_shown = results_shown
        self._changed()

    def _record_counts(self, conn: sqlite3.Connection) -> None:
        """The import log's counts for this workshop, so `assess responses` shows what came in."""
        import json

        added = conn.execute("SELECT COUNT(*) FROM respondents WHERE import_id = ?", (self.import_id,)).fetchone()[0]
        revoked = conn.execute("SELECT COUNT(*) FROM workshop_devices WHERE workshop = ? AND revoked = 1",
                               (self.id,)).fetchone()[0]
        conn.execute("UPDATE imports SET counts = ?, skipped = ? WHERE id = ?",
                     (json.dumps({"added": added, "replaced": 0, "duplicate": 0, "invalid_cells_blanked": 0}),
                      json.dumps({"revoked by the facilitator": revoked} if revoked else {}), self.import_id))

    async def correct_role(self, pseudonym: str, role: str) -> Device:
        """The facilitator's fix for "I picked the wrong role": the device keeps its answers.

        Answers to statements the new role is not asked stay on record but are not scored,
        exactly as such cells of an imported file are.
        """
        device = next((d for d in self.devices.values() if d.pseudonym == pseudonym), None)
        if device is None:
            raise WorkshopError(f"no device {pseudonym[:40]!r}", status=404)
        role_id = self._roles.get(normalise_text(role or ""))
        if role_id is None:
            raise WorkshopError(f"unknown role {str(role)[:40]!r}", status=422)
        wid, seq, rnd = self.id, device.seq, self.round

        def write(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE workshop_devices SET role = ? WHERE workshop = ? AND seq = ?", (role_id, wid, seq))
            conn.execute("UPDATE respondents SET role = ? WHERE round = ? AND respondent_id = ?",
                         (role_id, rnd, pseudonym))

        await self._write(write)
        device.role = role_id
        self._changed()
        return device

    def _record_quality(self, conn: sqlite3.Connection) -> None:
        """Straight-lining and speeder flags, by the same checks imports run (:mod:`assessment.quality`).

        They flag, never drop: stored on each respondent and in the import log, as for a file.
        Run when answering closes, once people have stopped changing their answers.
        """
        import json

        import pandas as pd

        from .. import quality

        people = conn.execute("SELECT pk, respondent_id, duration_s, flags FROM respondents WHERE import_id = ?",
                              (self.import_id,)).fetchall()
        if not people:
            return
        respondents = pd.DataFrame([(p[1], p[2]) for p in people], columns=["respondent_id", "duration_s"])
        cells = conn.execute(
            "SELECT r.respondent_id, a.question_id, a.raw, a.value, a.state FROM answers a JOIN respondents r"
            " ON r.pk = a.respondent WHERE r.import_id = ?", (self.import_id,)).fetchall()
        answers = pd.DataFrame(cells, columns=["respondent_id", "question_id", "raw", "value", "state"])
        answers["value"] = answers["value"].astype("float64")
        found = quality.quality_flags(respondents, answers, self.q)
        ours = (quality.STRAIGHT_LINING, quality.SPEEDER)
        log: dict[str, list[str]] = {}
        for pk, rid, _, flags in people:
            kept = [f for f in json.loads(flags or "[]") if f not in ours]
            new = kept + [f for f in found.get(rid, []) if f in ours]
            for flag in new:
                log.setdefault(flag, []).append(rid)
            conn.execute("UPDATE respondents SET flags = ? WHERE pk = ?", (json.dumps(new), pk))
        conn.execute("UPDATE imports SET quality = ? WHERE id = ?", (json.dumps(log), self.import_id))

    async def revoke(self, pseudonym: str, revoked: bool = True) -> Device:
        """Take a device's answers out of the results (``revoked=False`` puts them back)."""

        device = next((d for d in self.devices.values() if d.pseudonym == pseudonym), None)
        if device is None:
            raise WorkshopError(f"no device {pseudonym[:40]!r}", status=404)
        wid, seq = self.id, device.seq
        rnd, role, unit = self.round, device.role, device.unit

        def write(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE workshop_devices SET revoked = ? WHERE workshop = ? AND seq = ?",
                         (int(revoked), wid, seq))
            row = conn.execute("SELECT pk FROM respondents WHERE round = ? AND respondent_id = ?",
                               (rnd, device.pseudonym)).fetchone()
            if row:
                conn.execute("DELETE FROM answers WHERE respondent = ?", (row[0],))
                conn.execute("DELETE FROM respondents WHERE pk = ?", (row[0],))
            if revoked:
                return
            cells = conn.execute("SELECT question_id, raw, value, state, updated_at FROM workshop_answers"
                                 " WHERE workshop = ? AND device = ?", (wid, seq)).fetchall()
            if not cells:
                return
            dev = conn.execute("SELECT joined_at, last_answer_at FROM workshop_devices WHERE workshop = ? AND seq = ?",
                               (wid, seq)).fetchone()
            pk = self._respondent_pk(conn, device, role, unit, dev[0], dev[1] or dev[0])
            conn.executemany("INSERT INTO answers(respondent, question_id, raw, value, state) VALUES (?,?,?,?,?)",
                             [(pk, c[0], c[1], c[2], c[3]) for c in cells])

        await self._write(write)
        device.revoked = revoked
        self._changed()
        return device

    def add_tickets(self, n: int) -> list[str]:
        """``n`` new single-use ticket codes (printed once; only their hashes are stored)."""
        codes = []
        while len(codes) < n:
            code = new_code(TICKET_LENGTH)
            if code not in codes:
                codes.append(code)
        wid = self.id

        def write(conn: sqlite3.Connection) -> None:
            conn.executemany("INSERT OR IGNORE INTO workshop_tickets(workshop, code_hash) VALUES (?, ?)",
                             [(wid, _hash(c)) for c in codes])
            conn.execute("UPDATE workshops SET tickets_only = 1 WHERE id = ?", (wid,))

        self._writer.call(write)
        self.tickets_only = True
        return codes

    def close(self) -> None:
        """Stop the writer after every queued answer is committed."""
        self._writer.close()

    # -- loading ----------------------------------------------------------------------

    def _load(self, conn: sqlite3.Connection) -> None:
        self._imported_units = {u for (u,) in conn.execute(
            "SELECT DISTINCT unit FROM respondents WHERE round = ? AND unit IS NOT NULL AND unit != ''", (self.round,))}
        for row in conn.execute("SELECT seq, pseudonym, cookie_hash, csrf, role, unit, joined_at, first_answer_at,"
                                " last_answer_at, revoked FROM workshop_devices WHERE workshop = ? ORDER BY seq",
                                (self.id,)):
            d = Device(seq=row[0], pseudonym=row[1], cookie_hash=row[2], csrf=row[3], role=row[4], unit=row[5],
                       joined_at=row[6], first_answer_at=row[7], last_answer_at=row[8], revoked=bool(row[9]))
            self.devices[d.seq] = d
            self._by_cookie[d.cookie_hash] = d
        for seq, qid, raw, value, state in conn.execute(
                "SELECT device, question_id, raw, value, state FROM workshop_answers WHERE workshop = ?", (self.id,)):
            if seq in self.devices:
                self.devices[seq].answers[qid] = (raw, math.nan if value is None else float(value), state)


def _seconds_between(start: str, end: str) -> float | None:
    try:
        return max(0.0, (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds())
    except (TypeError, ValueError):
        return None


def open_workshop(workspace: Workspace, *, round: str | None = None, resume: bool = False,
                  min_group_size: int | None = None, busy_timeout: float = 30.0) -> Workshop:
    """Start a new workshop in ``round`` (default: the current round), or resume the last one.

    Refuses to start a second workshop while one in the round is unfinished (pass
    ``resume``), so two join codes never collect into one round by accident. ``busy_timeout``
    is how long a save waits for another process writing to the store before it is refused.
    """
    q = workspace.questionnaire
    k = min_group_size if min_group_size is not None else workspace.engagement.min_group_size
    path = workspace.store_path
    with open_store(path) as store:
        rnd = store.resolve_round(round)
        conn = store.conn
        store.conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            last = conn.execute("SELECT id, state, join_code, created_at FROM workshops WHERE round = ?"
                                " ORDER BY id DESC LIMIT 1", (rnd,)).fetchone()
            if resume:
                if last is None:
                    raise WorkshopError(f"no workshop to resume in round {rnd!r}; start one without --resume",
                                        file=path)
                wid = last[0]
                if last[1] == FINISHED:  # reopened, but answering stays closed until the facilitator opens it
                    conn.execute("UPDATE workshops SET state = ?, updated_at = ? WHERE id = ?", (CLOSED, _now(), wid))
            else:
                if last is not None and last[1] != FINISHED:
                    raise WorkshopError(f"round {rnd!r} has an unfinished workshop (code {last[2]}, started "
                                        f"{last[3][:16].replace('T', ' ')} UTC); continue it with --resume, or "
                                        "finish it first", file=path)
                now = _now()
                code = new_code()
                cur = conn.execute(
                    "INSERT INTO imports(round, file_name, file_path, sha256, source, imported_at, counts, problems,"
                    " unmapped, skipped, quality, status) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (rnd, f"workshop-{code}", None, "workshop:" + secrets.token_hex(16), SOURCE, now[:19] + "+00:00",
                     '{"added": 0, "replaced": 0, "duplicate": 0, "invalid_cells_blanked": 0}', "[]",
                     "[]", "{}", "{}", "imported"))
                cur = conn.execute(
                    "INSERT INTO workshops(round, import_id, join_code, join_token, state, created_at, updated_at)"
                    " VALUES (?,?,?,?,?,?,?)", (rnd, cur.lastrowid, code, secrets.token_urlsafe(9), OPEN, now, now))
                wid = cur.lastrowid
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        cur = conn.execute("SELECT * FROM workshops WHERE id = ?", (wid,))
        row = dict(zip([d[0] for d in cur.description], cur.fetchone(), strict=True))
        writer = _Writer(path, busy_timeout)
        ws = Workshop(workspace, q, row, writer, k)
        ws._load(conn)
    return ws


__all__ = ["CLOSED", "FINISHED", "OPEN", "Device", "Joined", "Workshop", "WorkshopError", "new_code",
           "normalise_code", "open_workshop"]
