"""Kills and concurrent use (issue #11, "Hardening").

`assess import` is SIGKILLed at random points of a large batch import: the store must
pass `PRAGMA integrity_check` and hold exactly the imports that completed (every
respondent of a logged import, nothing of any other), and finishing the batch later
loses and doubles nothing. Two imports into one workspace at once land one after the
other. The random points come from a seeded generator (same run, same kills); how long
anything takes is never asserted.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.exports import write_export
from support.synth import synthesize

from assessment.engagement import init_workspace
from assessment.questionnaire import load_questionnaire

FILES = 3
PER_FILE = 800


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Three Google Forms exports of distinct respondents (no id column: identity by cells and time)."""
    folder = tmp_path_factory.mktemp("batch")
    q = load_questionnaire("ai-friction")
    people = synthesize(q, FILES * PER_FILE, seed=11)
    paths = []
    for i in range(FILES):
        chunk = people[i * PER_FILE:(i + 1) * PER_FILE]
        paths.append(write_export(chunk, q, "google-forms", folder / f"wave{i + 1}.csv"))
    return paths


def assess(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "assessment", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def store_facts(path: Path) -> tuple[str, dict[str, int], dict[str, int]]:
    """integrity_check, and per imported file: respondents the log says were added / actually stored."""
    conn = sqlite3.connect(path)
    try:
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        logged = {name: json.loads(counts)["added"] for name, counts in
                  conn.execute("SELECT file_name, counts FROM imports WHERE status = 'imported'")}
        stored = dict(conn.execute("SELECT source_file, COUNT(*) FROM respondents GROUP BY source_file"))
        orphans = conn.execute("SELECT COUNT(*) FROM answers WHERE respondent NOT IN "
                               "(SELECT pk FROM respondents)").fetchone()[0]
        assert orphans == 0
    finally:
        conn.close()
    return check, logged, stored


def test_sigkill_at_random_points_keeps_exactly_the_completed_imports(tmp_path, batch):
    # The kill points are fractions of how long the whole batch takes on this machine (timed
    # once here), so they land inside the import however fast it has become.
    scratch = init_workspace(tmp_path / "timing", "Acme", questionnaire="ai-friction")
    started = time.monotonic()
    assert assess("-w", str(scratch.root), "import", *map(str, batch)).wait(timeout=900) == 0
    whole = time.monotonic() - started
    rng = random.Random(11)
    kills = 0
    for attempt in range(3):
        ws = init_workspace(tmp_path / f"w{attempt}", "Acme", questionnaire="ai-friction")
        proc = assess("-w", str(ws.root), "import", *map(str, batch))
        time.sleep(rng.uniform(0.1, 0.9) * whole)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait(timeout=600)
        if ws.store_path.exists():
            check, logged, stored = store_facts(ws.store_path)
            assert check == "ok"
            assert stored == {name: n for name, n in logged.items() if n}, "a half-written import is visible"
        # finishing the batch afterwards: every respondent exactly once
        proc = assess("-w", str(ws.root), "import", *map(str, batch))
        out, err = proc.communicate(timeout=900)
        assert proc.returncode == 0, out + err
        check, logged, stored = store_facts(ws.store_path)
        assert check == "ok" and stored == {p.name: PER_FILE for p in batch}
        assert not list(ws.root.glob("*.tmp")) and not list(ws.root.glob(".*.tmp"))
    assert kills >= 2  # a kill at a fraction of the whole batch's time lands in all but a fluke


def test_killed_export_never_leaves_a_half_written_file(tmp_path, batch):
    ws = init_workspace(tmp_path / "w", "Acme", questionnaire="ai-friction")
    proc = assess("-w", str(ws.root), "import", str(batch[0]), str(batch[1]))
    assert proc.wait(timeout=900) == 0
    out = tmp_path / "tidy.csv"
    rng = random.Random(7)
    for _ in range(3):
        proc = assess("-w", str(ws.root), "responses", "export", "-o", str(out))
        time.sleep(rng.uniform(0.3, 2.5))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=300)
        if out.exists():  # complete, or not there at all
            lines = out.read_text(encoding="utf-8").splitlines()
            assert lines[0].startswith("respondent_id,") and len(lines) > 2 * PER_FILE
            conn = sqlite3.connect(ws.store_path)
            assert len(lines) - 1 == conn.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
            conn.close()
            out.unlink()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tidy.csv.")]


def test_two_imports_at_once_both_land(tmp_path, batch):
    ws = init_workspace(tmp_path / "w", "Acme", questionnaire="ai-friction")
    # different files, and the same file twice, all at the same moment into a store that does not exist yet
    procs = [assess("-w", str(ws.root), "import", str(p)) for p in (batch[0], batch[1], batch[0])]
    results = [(p.wait(timeout=900), *p.communicate()) for p in procs]
    for code, out, err in results:
        assert code in (0, 1) and "Traceback" not in err, out + err
        if code == 1:
            assert "busy" in err and len(err.strip().splitlines()) == 1
    check, logged, stored = store_facts(ws.store_path)
    assert check == "ok"
    # nothing doubled: wave1 once however many times it arrived; anything refused can simply be re-run
    proc = assess("-w", str(ws.root), "import", str(batch[0]), str(batch[1]))
    assert proc.wait(timeout=900) == 0
    check, logged, stored = store_facts(ws.store_path)
    assert stored == {batch[0].name: PER_FILE, batch[1].name: PER_FILE}
    assert list(logged.values()).count(PER_FILE) == 2
