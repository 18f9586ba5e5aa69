"""A fast, safe snapshot of loaded responses beside the store.

Re-running ``assess score`` after nothing changed should not pay for turning
600,000 SQLite rows into Python objects again (about 0.8 s for 10,000 respondents).
The snapshot holds each text column as category codes plus its distinct values in a
``.npz`` file (no pickle: a workspace may come from someone else, and loading it
must never run code). It is keyed by the store file's size and modification time,
and SQLite's change counter, so any committed change to the store makes it stale; a stale, damaged or
unwritable snapshot is simply ignored.
"""

from __future__ import annotations

import contextlib
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .fileio import atomic_write

if TYPE_CHECKING:
    import pandas as pd

    from .responses import Responses

FORMAT = "2"  # bump whenever the loaded columns change


def snapshot_key(store_path: Path, round_name: str, fd: int | None = None) -> str:
    """What identifies the store's state: size, modification time and SQLite's change counter.

    ``fd``: an open descriptor of the store file to read the header through. Inside a
    transaction it must be one opened beforehand: closing any descriptor of the file
    drops the process's POSIX locks on it, SQLite's included, and lets another writer
    corrupt the store.
    """
    import os

    from . import __version__

    st = store_path.stat()
    # SQLite's header counts every committed change (bytes 24-27, rollback-journal
    # mode), so the key changes even when two commits share a timestamp and size.
    if fd is not None:
        if hasattr(os, "pread"):
            header = os.pread(fd, 28, 0)
        else:  # Windows: no pread; this descriptor is ours alone, so seeking it is safe
            os.lseek(fd, 0, os.SEEK_SET)
            header = os.read(fd, 28)
    else:
        with open(store_path, "rb") as handle:
            header = handle.read(28)
    counter = int.from_bytes(header[24:28], "big") if len(header) == 28 else -1
    return f"{FORMAT}|{__version__}|{st.st_size}|{st.st_mtime_ns}|{counter}|{round_name}"


def _pack(frame: pd.DataFrame, prefix: str, arrays: dict[str, np.ndarray]) -> None:
    import pandas as pd

    names, kinds = [], []
    for col in frame.columns:
        series = frame[col]
        names.append(col)
        if pd.api.types.is_numeric_dtype(series.dtype):
            kinds.append("int" if isinstance(series.dtype, pd.Int64Dtype) else "float")
            arrays[f"{prefix}{col}.num"] = series.astype("float64").to_numpy(na_value=np.nan)
        else:
            kinds.append("str")
            cat = pd.Categorical(series)
            arrays[f"{prefix}{col}.codes"] = cat.codes.astype(np.int32)
            arrays[f"{prefix}{col}.cats"] = np.array([str(c) for c in cat.categories], dtype=str)
    arrays[f"{prefix}.names"] = np.array(names, dtype=str)
    arrays[f"{prefix}.kinds"] = np.array(kinds, dtype=str)


def _unpack(data, prefix: str, coded: dict | None = None) -> pd.DataFrame:
    """The frame packed under ``prefix``; its text columns' codes go into ``coded`` (name ->
    (codes, distinct texts)) when given."""
    import pandas as pd

    from .responses import text_column

    columns = {}
    for name, kind in zip(data[f"{prefix}.names"].tolist(), data[f"{prefix}.kinds"].tolist(), strict=True):
        if kind == "str":
            texts = data[f"{prefix}{name}.cats"].astype(object)
            codes = data[f"{prefix}{name}.codes"]
            if codes.size and (codes.min() < -1 or codes.max() >= texts.size):
                raise ValueError(f"snapshot column {name!r} has codes out of range")
            columns[name] = text_column(codes, texts)
            if coded is not None:
                coded[name] = (codes, texts)
        else:
            values = pd.Series(data[f"{prefix}{name}.num"])
            columns[name] = values.astype("Int64") if kind == "int" else values
    return pd.DataFrame(columns, copy=False)


def _savez(path: Path, arrays: dict[str, np.ndarray]) -> None:
    with open(path, "wb") as handle:  # a handle: np.savez would append ".npz" to a path
        np.savez(handle, **arrays)


def write_snapshot(path: Path, key: str, respondents: pd.DataFrame, answers: pd.DataFrame) -> None:
    """Write atomically; any failure leaves no snapshot (it is only a cache)."""
    arrays: dict[str, np.ndarray] = {"key": np.array([key], dtype=str)}
    _pack(respondents, "r:", arrays)
    _pack(answers, "a:", arrays)
    with contextlib.suppress(OSError):  # only a cache: a read-only workspace goes without
        atomic_write(path, lambda tmp: _savez(tmp, arrays))


def read_snapshot(path: Path, key: str) -> Responses | None:
    """The snapshot's responses if it exists and matches ``key``, else None; the answers'
    key columns come with their codes (:class:`~assessment.responses.AnswerCodes`)."""
    from .responses import AnswerCodes, Responses

    try:
        with np.load(path, allow_pickle=False) as data:
            if data["key"].tolist() != [key]:
                return None
            coded: dict = {}
            respondents, answers = _unpack(data, "r:"), _unpack(data, "a:", coded)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None
    keys = {name: coded[name] for name in ("respondent_id", "question_id", "state") if name in coded}
    return Responses(respondents, answers, AnswerCodes(answers, keys))


def change_counter(key: str) -> int:
    """SQLite's change counter as recorded in a :func:`snapshot_key`."""
    return int(key.split("|")[4])


class ImportFollower:
    """Keeps a round's snapshot current through an import, without reading the answers back.

    Reading 300,000 answers back from SQLite costs the first ``assess score`` after an
    import most of its time, yet the import has just held every one of them. So the
    import tells the follower what each file added, and the follower writes the
    snapshot the next load would have written, under the store's new key.

    It follows only what it can prove: it starts from an empty round or a snapshot
    that matches the store, each file's transaction must find the store as the last
    one left it (no other writer in between) and advance SQLite's change counter by
    exactly its own commit; a replacement (rows removed) or a file too large to hold
    stops it. Whatever stops it, no snapshot is written and the next load reads the
    store as usual, so the snapshot is never ahead of or behind the answers.
    """

    #: Above this many added answers the frames are not kept (memory over speed).
    MAX_ANSWERS = 2_000_000

    def __init__(self, store, round_name: str) -> None:
        """Open outside any transaction (it opens the store file; see :func:`snapshot_key`)."""
        import os

        self.store, self.round = store, round_name
        self.path = store.snapshot_path(round_name)
        self.frames: tuple[pd.DataFrame, pd.DataFrame] | None = None
        self.expected: str | None = None
        self.before: str | None = None
        self.active = self.path is not None
        self.changed = False
        self.fd = os.open(store.path, os.O_RDONLY | getattr(os, "O_BINARY", 0)) if self.active else None

    def __enter__(self) -> ImportFollower:
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the descriptor: only outside a transaction (the store's locks go with it)."""
        import os

        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def _key(self) -> str:
        return snapshot_key(self.store.path, self.round, fd=self.fd)

    def begin(self) -> None:
        """Inside the file's transaction, before it writes: where the store stands."""
        if not self.active:
            return
        key = self._key()
        if self.expected is None:  # the first file: an empty round, or a snapshot matching the store
            empty = self.store.conn.execute("SELECT 1 FROM respondents WHERE round = ? LIMIT 1",
                                            (self.round,)).fetchone() is None
            held = None if empty else read_snapshot(self.path, key)
            self.frames = None if held is None else (held.respondents, held.answers)
            if held is None and not empty:
                self.stop()
                return
        elif key != self.expected:
            self.stop()
            return
        self.before = key

    def wants(self, n_answers: int) -> bool:
        """Whether to keep a file's ``n_answers`` stored answers for the snapshot (decided before
        they are written, so a file too large is never held twice)."""
        held = 0 if self.frames is None else len(self.frames[1])
        return self.active and held + n_answers <= self.MAX_ANSWERS

    def committed(self, people: pd.DataFrame | None = None, cells: list[list] | None = None) -> None:
        """After the file's transaction ended: the stored rows it added (none if it changed
        nothing): the respondents and the answer columns, both in the store's key order."""
        if not self.active or self.before is None:
            return
        key = self._key()
        wrote = people is not None and len(people) > 0
        if change_counter(key) != change_counter(self.before) + int(wrote) or (wrote and cells is None):
            self.stop()
            return
        if wrote:
            self._add(people, cells)
        self.expected, self.before = key, None

    def _add(self, people: pd.DataFrame, cells: list[list]) -> None:
        import pandas as pd

        from .store import responses_from_rows

        added = responses_from_rows(people, [cells])
        if self.frames is not None:
            added_r = pd.concat([self.frames[0], added.respondents], ignore_index=True)
            added_a = pd.concat([self.frames[1], added.answers], ignore_index=True)
            self.frames = (added_r, added_a)
        else:
            self.frames = (added.respondents, added.answers)
        self.changed = True  # (wants() kept the held answers under MAX_ANSWERS)

    def stop(self) -> None:
        """Something this follower cannot mirror (a replacement, a file too large to hold) happened."""
        self.active, self.frames = False, None

    def finish(self) -> None:
        """Write the snapshot if every file was followed and one of them added rows."""
        if self.active and self.changed and self.frames is not None and self.expected is not None:
            write_snapshot(self.path, self.expected, *self.frames)
