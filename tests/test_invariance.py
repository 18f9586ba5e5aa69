"""Reordering respondents or columns in a file changes nothing in the scores,
the seeded confidence intervals included, even when the file carries no respondent
ids (so ids are made from row numbers)."""

from __future__ import annotations

import csv
import json
import random

import pytest
from support.exports import write_export
from support.synth import synthesize

from assessment import init_workspace, load_questionnaire
from assessment.cli import cli


def _score_json(runner, tmp_path, name, header, rows):
    path = tmp_path / f"{name}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    ws = init_workspace(tmp_path / f"ws-{name}", "Invariance", questionnaire="ai-friction")
    result = runner.invoke(cli, ["-w", str(ws.root), "import", str(path)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["-w", str(ws.root), "score", "--format", "json", "--resamples", "500"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_row_and_column_order_change_nothing(tmp_path, runner):
    q = load_questionnaire("ai-friction")
    source = write_export(synthesize(q, 40, seed=21), q, "wide", tmp_path / "source.csv")
    with source.open(newline="", encoding="utf-8") as handle:
        table = list(csv.reader(handle))
    header, rows = table[0], table[1:]
    keep = [i for i, h in enumerate(header) if h != "Respondent ID"]  # ids then come from row numbers
    header, rows = [header[i] for i in keep], [[r[i] for i in keep] for r in rows]

    baseline = _score_json(runner, tmp_path, "a", header, rows)

    rng = random.Random(5)
    shuffled_rows = rows[:]
    rng.shuffle(shuffled_rows)
    columns = list(range(len(header)))
    rng.shuffle(columns)
    shuffled = _score_json(runner, tmp_path, "b", [header[i] for i in columns],
                           [[r[i] for i in columns] for r in shuffled_rows])
    _assert_same(shuffled, baseline)


def _assert_same(a, b, path="$"):
    """Equal, floats to 1e-9 (summation order may differ in the last bits)."""
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for key in a:
            _assert_same(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-9), path
    else:
        assert a == b, path
