"""Import speed and memory: a 10,000-respondent filled survey workbook.

Prints the time of ``pandas.read_excel(engine="openpyxl")`` (what an analyst would
do by hand, just reading) against our full import into a fresh workspace (read,
check, flag, store in SQLite), their ratio (target: ours <= 0.5x) and the peak
memory of our import (target: < 400 MB).

    python benchmarks/bench_import.py [--respondents 10000]
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def questionnaire_ref() -> str:
    bundled = ROOT / "questionnaires" / "ai-friction.yaml"
    return str(bundled if bundled.exists() else ROOT / "tests" / "data" / "worked.yaml")


def write_filled_workbook(path: Path, q, n: int, seed: int = 7) -> None:
    """The survey workbook's Responses layout, filled with n plausible respondents (XlsxWriter)."""
    import xlsxwriter

    from assessment.template import ID_HEADER, ROLE_HEADER, ROW2_LABELS, UNIT_HEADER

    rng = random.Random(seed)
    questions = list(q.questions.values())
    units = ["Retail", "Wholesale", "Operations", "Finance", "Digital"]
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("Responses")
    ws.write_row(0, 0, [ID_HEADER, ROLE_HEADER, UNIT_HEADER, *[qq.id for qq in questions]])
    ws.write_row(1, 0, [*ROW2_LABELS, *[qq.text for qq in questions]])
    for i in range(n):
        role = rng.choice(q.roles)
        row: list = [f"R{i + 1:05d}", role.label, rng.choice(units)]
        for qq in questions:
            if not q.asked(qq, role.id) or rng.random() < 0.05:
                row.append(None)
            elif qq.type == "scale":
                scale = q.scale_of(qq)
                if scale.na_label and rng.random() < 0.07:
                    row.append(scale.na_label)
                else:
                    row.append(rng.choice(scale.points).label)
            elif qq.type == "numeric":
                lo, hi = sorted((qq.worst, qq.best))
                row.append(round(rng.uniform(lo, hi)))
            else:
                row.append(rng.choice(["", "Too slow", "Nobody owns it", "Works well, mostly"]) or None)
        for col, value in enumerate(row):
            if value is not None:
                ws.write(i + 2, col, value)
    wb.add_worksheet("Instructions").write(0, 0, "Generated for the import benchmark.")
    wb.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=10_000)
    args = parser.parse_args()

    import pandas as pd

    from assessment.collect import import_responses
    from assessment.engagement import init_workspace
    from assessment.questionnaire import load_questionnaire

    ref = questionnaire_ref()
    q = load_questionnaire(ref)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "filled.xlsx"
        t0 = time.perf_counter()
        write_filled_workbook(path, q, args.respondents)
        print(f"questionnaire: {q.id} ({len(q.questions)} questions); respondents: {args.respondents:,}")
        print(f"generated workbook: {path.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - t0:.2f} s")

        ws = init_workspace(Path(tmp) / "ws", "Bench", questionnaire=ref)
        t0 = time.perf_counter()
        report = import_responses(ws, [path])
        ours = time.perf_counter() - t0
        f = report.files[0]
        assert f.status == "imported" and f.added == args.respondents, f.summary_line()
        store_mb = ws.store_path.stat().st_size / 1e6

        # Memory in a second run: tracemalloc slows Python code several times over.
        ws2 = init_workspace(Path(tmp) / "ws2", "Bench", questionnaire=ref)
        tracemalloc.start()
        import_responses(ws2, [path])
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

        t0 = time.perf_counter()
        frame = pd.read_excel(path, sheet_name="Responses", engine="openpyxl")
        theirs = time.perf_counter() - t0
        assert len(frame) == args.respondents + 1  # + the question-text row

    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    print(f"pandas.read_excel(openpyxl):   {theirs:6.2f} s (read only)")
    print(f"assess import (read+check+store): {ours:6.2f} s   ratio {ours / theirs:.2f}x (target <= 0.50x)")
    print(f"import peak Python memory (tracemalloc): {peak / 1e6:6.0f} MB (target < 400 MB)")
    print(f"process max RSS (whole run, incl. pandas read): {rss_mb:6.0f} MB; store file {store_mb:.1f} MB")


if __name__ == "__main__":
    main()
