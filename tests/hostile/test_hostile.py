"""Hostile inputs against every command that reads files (issue #11, "Hardening").

The corpus is generated at test time (tests/hostile/corpus.py) into a temporary
folder: large files are never committed. Each case must end in exit 0 (a documented
correct import) or exit 1 with a one-line error naming the file; never a traceback,
a hang, or a changed store. Large cases run in a subprocess (so a hang or a memory
blow-up cannot take the test run with it); the timeout is a hang guard, not a
speed assertion.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from assessment.cli import cli
from assessment.engagement import init_workspace

sys.path.insert(0, str(Path(__file__).parent))
from corpus import G1, HEADER, ROW, build  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    return folder, build(folder)


@pytest.fixture(scope="module")
def stocked(tmp_path_factory):
    """A workspace with one good import already stored."""
    root = tmp_path_factory.mktemp("ws")
    ws = init_workspace(root / "w", "Acme", questionnaire=str(DATA / "worked.yaml"))
    good = root / "good.csv"
    good.write_text("\n".join(",".join(r) for r in [HEADER, ROW]) + "\n", encoding="utf-8")
    res = CliRunner().invoke(cli, ["-w", str(ws.root), "import", str(good)])
    assert res.exit_code == 0, res.output
    return ws


def store_state(ws) -> tuple[list[str], str]:
    import sqlite3

    conn = sqlite3.connect(ws.store_path)
    try:
        dump = [line for line in conn.iterdump()]
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()
    return dump, check


def run(args: list[str], *, subprocess_: bool) -> tuple[int, str]:
    if not subprocess_:
        res = CliRunner().invoke(cli, args)
        return res.exit_code, res.output
    proc = subprocess.run([sys.executable, "-m", "assessment", *args], capture_output=True, text=True, timeout=300)
    return proc.returncode, proc.stdout + proc.stderr


def assert_clean_failure(code: int, output: str, path: Path) -> None:
    assert code == 1, output
    assert "Traceback" not in output
    errors = [line for line in output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and str(path) in errors[0], output


def _names(kind: str) -> list[str]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return [n for n, c in build(Path(tmp), large=False).items() if c.kind == kind] + (
            ["cell-5mb.csv", "columns-100k.csv", "zip-bomb.xlsx", "huge-range.xlsx"] if kind == "response" else [])


@pytest.mark.parametrize("name", _names("response"))
def test_hostile_response_file(corpus, stocked, name):
    folder, cases = corpus
    case = cases[name]
    path = folder / name
    before = store_state(stocked)
    code, output = run(["-w", str(stocked.root), "import", str(path)], subprocess_=case.large)
    if case.expect == "refused":
        assert_clean_failure(code, output, path)
        assert store_state(stocked) == before
    else:
        assert code == 0 and "Traceback" not in output, output
        assert store_state(stocked)[1] == "ok"
    # the dry run reads the same way and never changes the store
    before = store_state(stocked)
    code, output = run(["-w", str(stocked.root), "import", "--dry-run", str(path)], subprocess_=case.large)
    assert code in (0, 1) and "Traceback" not in output
    if case.expect == "refused":
        assert_clean_failure(code, output, path)
    assert store_state(stocked) == before


@pytest.mark.parametrize("name", _names("mapping"))
def test_hostile_mapping_file(corpus, stocked, tmp_path, name):
    folder, _ = corpus
    good = tmp_path / "good.csv"
    good.write_text("\n".join(",".join(r) for r in [HEADER, ROW]) + "\n", encoding="utf-8")
    before = store_state(stocked)
    code, output = run(["-w", str(stocked.root), "import", "--mapping", str(folder / name), str(good)],
                       subprocess_=False)
    assert_clean_failure(code, output, folder / name)
    assert store_state(stocked) == before


@pytest.mark.parametrize("name", _names("questionnaire"))
def test_hostile_questionnaire_file(corpus, tmp_path, name):
    folder, _ = corpus
    code, output = run(["questionnaire", "validate", str(folder / name)], subprocess_=False)
    assert code == 1 and "Traceback" not in output and name in output
    code, output = run(["init", str(tmp_path / "w"), "--client", "X", "--questionnaire", str(folder / name)],
                       subprocess_=False)
    assert code == 1 and "Traceback" not in output and name in output
    assert not (tmp_path / "w" / "engagement.yaml").exists()


@pytest.mark.parametrize("text, why", [
    ("client: A\nquestionnaire: ai-friction\nlogo: ../../etc/passwd.png\n", "inside the workspace"),
    ("client: A\nquestionnaire: ai-friction\nlogo: /etc/hosts.png\n", "inside the workspace"),
    ("client: !!python/object/apply:os.system ['echo pwned']\n", "tag"),
    ("client: A\nclient: B\n", "duplicate key"),
    ("a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
     "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n", "alias bomb"),
    ("client: A\n\tquestionnaire: ai-friction\n", "invalid YAML"),
])
def test_hostile_engagement_file(tmp_path, text, why):
    ws = tmp_path / "w"
    ws.mkdir()
    (ws / "engagement.yaml").write_text(text, encoding="utf-8")
    good = tmp_path / "good.csv"
    good.write_text("\n".join(",".join(r) for r in [HEADER, ROW]) + "\n", encoding="utf-8")
    for args in (["responses"], ["import", str(good)], ["responses", "export"]):
        code, output = run(["-w", str(ws), *args], subprocess_=False)
        assert code == 1 and "Traceback" not in output, output
        assert "engagement.yaml" in output and why in output, output
    assert not (ws / "responses.sqlite").exists()


def test_documented_imports_read_the_right_values(corpus, tmp_path):
    """The 'ok' cases are correct imports, not just quiet ones."""
    folder, cases = corpus
    ws = init_workspace(tmp_path / "w", "Acme", questionnaire=str(DATA / "worked.yaml"))
    for name in ("mixed-line-endings.csv", "utf16-no-bom.tsv", "cp1252-accents.csv", "cell-5mb.csv",
                 "columns-100k.csv"):
        code, output = run(["-w", str(ws.root), "import", "--dry-run", "--json", str(folder / name)],
                           subprocess_=cases[name].large)
        assert code == 0, output
        report = json.loads(output[: output.rindex("}") + 1])
        file = report["files"][0]
        assert file["columns"]["GOV-1"]["header"] == G1
        assert file["added"] == (2 if name == "mixed-line-endings.csv" else 1), (name, file)


def test_corpus_script_runs(tmp_path):
    out = tmp_path / "c"
    proc = subprocess.run([sys.executable, str(Path(__file__).parent / "corpus.py"), str(out)], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert (out / "zip-bomb.xlsx").stat().st_size < 5 * 2**20
    shutil.rmtree(out)


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="needs FIFOs")
def test_special_files_are_refused_not_read_forever(stocked, tmp_path):
    import os

    fifo = tmp_path / "answers.csv"
    os.mkfifo(fifo)
    before = store_state(stocked)
    code, output = run(["-w", str(stocked.root), "import", str(fifo)], subprocess_=True)
    assert_clean_failure(code, output, fifo)
    assert "not a regular file" in output
    good = tmp_path / "good.csv"
    good.write_text("\n".join(",".join(r) for r in [HEADER, ROW]) + "\n", encoding="utf-8")
    code, output = run(["-w", str(stocked.root), "import", "--mapping", str(fifo), str(good)], subprocess_=True)
    assert_clean_failure(code, output, fifo)
    assert store_state(stocked) == before
    ws = tmp_path / "w"
    ws.mkdir()
    (ws / "engagement.yaml").write_text("client: A\nquestionnaire: /dev/zero\n", encoding="utf-8")
    code, output = run(["-w", str(ws), "responses"], subprocess_=True)
    assert code == 1 and "Traceback" not in output and "/dev/zero: not a regular file" in output


def test_close_header_suggestions_on_a_100k_column_file(corpus, stocked, tmp_path):
    """A mapping naming a column the file lacks: refused with the closest headers, even among 100,000."""
    folder, _ = corpus
    mapping = tmp_path / "m.yaml"
    mapping.write_text("role_column: What is your rol\n", encoding="utf-8")
    code, output = run(["-w", str(stocked.root), "import", "--dry-run", "--mapping", str(mapping),
                        str(folder / "columns-100k.csv")], subprocess_=True)
    assert code == 1 and "Traceback" not in output
    assert "closest headers: 'What is your role?'" in output
