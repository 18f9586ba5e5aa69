"""Report speed: `assess report` vs WeasyPrint alone, and --per-unit with 1 vs 2 jobs.

Run: python benchmarks/bench_report.py
Targets: `assess report` / WeasyPrint-alone <= 1.5 (the report layer adds little on
top of layout); --per-unit --jobs 2 at least 1.6x faster than --jobs 1 on six units.
Prints numbers and ratios; asserts nothing (timings vary by machine).
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _run(args: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "assessment", *args], check=True, capture_output=True)
    return time.perf_counter() - t


def _six_units(ws: Path) -> None:
    """Split the demo's three units into six (so --per-unit has six reports to render)."""
    con = sqlite3.connect(ws / "responses.sqlite")
    rows = con.execute("SELECT pk, unit FROM respondents ORDER BY pk").fetchall()
    with con:
        for i, (pk, unit) in enumerate(rows):
            con.execute("UPDATE respondents SET unit = ? WHERE pk = ?", (f"{unit} {'North' if i % 2 else 'South'}", pk))
    con.close()


def main() -> None:
    try:
        from assessment.demo import run_demo
    except ImportError:
        print("assessment.demo is not available; skipping the report benchmark.")
        return
    tmp = Path(tempfile.mkdtemp(prefix="bench-report-"))
    try:
        ws = tmp / "ws"
        run_demo(ws)
        html = tmp / "report.html"
        t_cli = _run(["-w", str(ws), "report", "-o", str(tmp / "report.pdf"), "--html", str(html)])

        code = ("import sys, time; t = time.perf_counter(); import weasyprint; "
                "from assessment.resources import templates_dir; "
                "weasyprint.HTML(filename=sys.argv[1], base_url=templates_dir().as_uri() + '/')"
                ".write_pdf(sys.argv[2]); print(time.perf_counter() - t)")
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", code, str(html), str(tmp / "plain.pdf")], check=True, capture_output=True)
        t_weasy = time.perf_counter() - t
        print(f"assess report (one process, end to end): {t_cli:6.2f} s")
        print(f"WeasyPrint alone on the same HTML:       {t_weasy:6.2f} s")
        print(f"ratio report / WeasyPrint:               {t_cli / t_weasy:6.2f}  (target <= 1.5)")

        _six_units(ws)
        t1 = _run(["-w", str(ws), "report", "--per-unit", "--jobs", "1", "-o", str(tmp / "j1" / "u.pdf")])
        t2 = _run(["-w", str(ws), "report", "--per-unit", "--jobs", "2", "-o", str(tmp / "j2" / "u.pdf")])
        n = len(list((tmp / "j2").glob("u-*.pdf")))
        print(f"--per-unit on {n} units, --jobs 1:        {t1:6.2f} s")
        print(f"--per-unit on {n} units, --jobs 2:        {t2:6.2f} s")
        print(f"speed-up jobs 2 vs 1:                    {t1 / t2:6.2f}x (target >= 1.6x)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
