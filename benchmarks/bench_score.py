"""How long does `assess score --format json` take on 10,000 respondents?

Synthesises 10,000 respondents to every question of the bundled questionnaire, stores
them in a real workspace (the SQLite response store, written through the import
pipeline), then times a cold `assess score --format json` in a fresh subprocess
against a cold `python -c "import pandas"`: the ratio is what a consultant feels on
top of Python's own start-up. Target: <= 2x (issue #17; `benchmarks/run.py` measures it
with interleaved runs). This script adds the in-process breakdown: load from the store,
respondent scores, and the score with and without the bootstrap (2,000 resamples).

    python benchmarks/bench_score.py [--respondents 10000] [--repeat 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))


def build_workspace(root: Path, n: int) -> Path:
    """A workspace with ``n`` synthetic respondents imported through the store."""
    from support.synth import synthesize

    from assessment.collect import import_responses
    from assessment.engagement import init_workspace
    from assessment.questionnaire import load_questionnaire

    q = load_questionnaire("ai-friction")
    ws = init_workspace(root / "bench", "Benchmark Corp", questionnaire="ai-friction")
    records = synthesize(q, n, seed=7)
    qids = list(q.questions)
    na = {qid: (q.scale_of(question).na_label if q.scale_of(question) else None) or "N/A"
          for qid, question in q.questions.items()}
    path = root / "responses.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["Respondent ID", "Role", "Unit", *qids])
        for r in records:
            answers = r["answers"]
            cells = []
            for qid in qids:
                value = answers.get(qid)
                if value == "NA":
                    cells.append(na[qid])
                elif value is None:
                    cells.append("")
                elif isinstance(value, float) and value.is_integer():
                    cells.append(int(value))
                else:
                    cells.append(value)
            writer.writerow([r["id"], r["role"], r["unit"], *cells])
    started = time.perf_counter()
    import_responses(ws, [path], skip_invalid=True)
    print(f"setup: imported {n} respondents x {len(qids)} questions into {ws.store_path} "
          f"in {time.perf_counter() - started:.1f} s")
    return ws.root


def timed(cmd: list[str], repeat: int, **extra_env: str) -> float:
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""), **extra_env)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, env=env, cwd=REPO)
        times.append(time.perf_counter() - started)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr.decode()[-2000:]}")
    return statistics.median(times)


def in_process(ws_root: Path) -> None:
    from assessment.engagement import open_workspace
    from assessment.scoring import respondent_dimension_scores, score
    from assessment.store import load_workspace_responses

    ws = open_workspace(ws_root)
    q = ws.questionnaire
    t0 = time.perf_counter()
    responses = load_workspace_responses(ws)
    t1 = time.perf_counter()
    respondent_dimension_scores(q, responses)
    t2 = time.perf_counter()
    score(q, responses, n_resamples=1, sensitivity=False)
    t3 = time.perf_counter()
    score(q, responses)
    t4 = time.perf_counter()
    print(f"in-process, {len(responses)} respondents, {len(responses.answers)} answer rows:")
    print(f"  load from store          {t1 - t0:7.3f} s")
    print(f"  respondent scores        {t2 - t1:7.3f} s")
    print(f"  score, no bootstrap/sens {t3 - t2:7.3f} s")
    print(f"  score, full (2000 boot)  {t4 - t3:7.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None, help="Build the workspace here and keep it.")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-score-")) if args.keep is None else args.keep
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        ws_root = build_workspace(tmp, args.respondents)
        in_process(ws_root)
        score_cmd = [sys.executable, "-m", "assessment", "-w", str(ws_root), "score", "--format", "json"]
        base = timed([sys.executable, "-c", "import pandas"], args.repeat)
        cold = timed(score_cmd, args.repeat)
        print(f"cold `python -c 'import pandas'`:     {base:.3f} s (median of {args.repeat})")
        print(f"cold `assess score --format json`:    {cold:.3f} s (median of {args.repeat})")
        print(f"ratio: {cold / base:.2f}x (target <= 2x)")
        # BLAS uses every core by default; on a busy machine one thread can be faster.
        single = timed(score_cmd, args.repeat, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
        print(f"same with 1 BLAS thread:              {single:.3f} s -> {single / base:.2f}x")
        help_time = timed([sys.executable, "-m", "assessment", "--help"], args.repeat)
        print(f"cold `assess --help` (start-up only):  {help_time:.3f} s")
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
