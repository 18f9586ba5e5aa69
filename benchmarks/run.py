"""The performance targets of issue #17, measured end to end, as one table.

    python benchmarks/run.py [--quick] [--runs N] [--only ROW ...] [--cache DIR] [--json FILE]

Every timing is the median of whole-process runs (``python -m assessment ...`` in a
fresh child process, with fresh workspaces), candidate and baseline interleaved
(their order alternates from one run to the next); memory is the child's peak RSS
(``os.wait4`` rusage, the largest of the runs). The code measured is the checkout
this file sits in (``PYTHONPATH`` points at it), not whatever ``assess`` is installed.

The data are synthetic and deterministic: ``tests/support/synth.py`` (fixed seeds)
written by ``tests/support/exports.py`` in each tool's layout. Generated files are
cached (default ``~/.cache/assess-bench``) under a key made of the generator's
source, the questionnaire and the parameters, so a second run skips generation.

Rows (``--only`` takes these names): help, import (template xlsx, Qualtrics csv,
SurveyMonkey xlsx, and the score of each fresh import), report, per-unit, scaling,
workshop. ``--quick`` (under ~3 minutes) uses 1,000 respondents, 3 runs, a smaller
scaling series and skips --per-unit: its verdicts are indicative only. A full run
takes 20-30 minutes on a 2-core machine today, most of it the 100,000-respondent
import + score (5 runs) and the six --per-unit reports (5 x 2 runs).

Nothing is asserted: the script prints numbers (machines are noisy). Exit status 0
unless the harness itself breaks; a failing target is a row marked FAIL.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

PY = sys.executable
SEED = 17
UNITS6 = ("Retail Banking", "Commercial Lending", "Group Operations", "Wealth Management", "Insurance", "Payments")
WEASYPRINT_ALONE = ("import sys, weasyprint; "
                    "weasyprint.HTML(filename=sys.argv[1], base_url=sys.argv[2]).write_pdf(sys.argv[3])")
READ_EXCEL = ("import sys, pandas; "
              "pandas.read_excel(sys.argv[1], sheet_name='Responses', engine='openpyxl')")


# -- running children ---------------------------------------------------------------------


@dataclass
class Sample:
    seconds: float
    rss_mb: float
    code: int
    out: str = ""
    err: str = ""
    cpu: float = 0.0  # user + system seconds of the child and the children it waited for


class ChildFailed(RuntimeError):
    pass


KEEP_ENV = False  # --keep-env: measure with the environment as it is


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    if not KEEP_ENV:
        # An installed package runs from cached bytecode; with PYTHONDONTWRITEBYTECODE set (as on
        # some CI and sandbox images) every `assess` process would recompile the whole package
        # from source while the baselines' libraries load their installed .pyc files.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def run(cmd: list[str], cwd: Path, *, check: bool = True, timeout: float = 1800) -> Sample:
    """Run ``cmd`` to completion; wall time and the child's own peak RSS (os.wait4)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=child_env(), stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.002)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        sample = Sample(seconds, usage.ru_maxrss / 1024, proc.returncode,
                        out.read().decode(errors="replace"), err.read().decode(errors="replace"),
                        usage.ru_utime + usage.ru_stime)
    if check and sample.code != 0:
        tail = (sample.err.strip() or sample.out.strip()).splitlines()[-1:] or ["(no output)"]
        raise ChildFailed(f"`{' '.join(Path(c).name if c == PY else c for c in cmd[:6])} ...` "
                          f"exited {sample.code}: {tail[0][:300]}")
    return sample


def assess(*args: str | Path) -> list[str]:
    return [PY, "-m", "assessment", *map(str, args)]


def interleave(commands: dict[str, callable], runs: int, log) -> dict[str, list[Sample]]:
    """Run each named command ``runs`` times, rotating their order every run.

    ``commands`` maps a name to ``fn(i) -> Sample`` (so each run can use fresh paths)."""
    names = list(commands)
    samples: dict[str, list[Sample]] = {n: [] for n in names}
    for i in range(runs):
        k = i % len(names)
        for name in names[k:] + names[:k]:
            samples[name].append(commands[name](i))
        log(f"  run {i + 1}/{runs}: " + ", ".join(f"{n} {samples[n][-1].seconds:.2f}s "
                                                  f"(cpu {samples[n][-1].cpu:.1f}s)" for n in names))
    return samples


def med(samples: list[Sample]) -> float:
    return statistics.median(s.seconds for s in samples)


def peak(samples: list[Sample]) -> float:
    return max(s.rss_mb for s in samples)


# -- deterministic data -------------------------------------------------------------------


GENERATE = """
import json, sys
from pathlib import Path
root, ws, layout, n, seed, units, out = sys.argv[1:8]
sys.path[:0] = [root, root + "/tests"]
from support.exports import write_export
from support.synth import synthesize
from assessment.engagement import open_workspace
q = open_workspace(ws).questionnaire
units = json.loads(units)
records = synthesize(q, int(n), seed=int(seed), **({"units": tuple(units)} if units else {}))
write_export(records, q, layout, Path(out))
"""


def _generator_key(*parts: object) -> str:
    h = hashlib.sha256()
    for f in sorted([ROOT / "tests" / "support" / "synth.py", ROOT / "tests" / "support" / "exports.py",
                     ROOT / "assessment" / "template.py", *(ROOT / "questionnaires").glob("*.yaml")]):
        h.update(f.read_bytes() if f.is_file() else b"-")
    h.update(repr(parts).encode())
    return h.hexdigest()[:16]


class Data:
    """Synthetic exports, generated once per key and cached.

    Generated in a child process: this process stays small, because a child's peak RSS as
    the kernel reports it can never be below the peak of the process that spawned it."""

    def __init__(self, cache: Path, workspace: Path, log) -> None:
        self.cache = cache
        self.workspace = workspace
        self.log = log
        self.cache.mkdir(parents=True, exist_ok=True)
        self.pin = (workspace / "engagement.yaml").read_text(encoding="utf-8")

    def export(self, layout: str, n: int, *, seed: int = SEED, units: tuple[str, ...] | None = None) -> Path:
        suffix = ".csv" if layout in ("wide", "google-forms", "qualtrics", "limesurvey", "typeform") else ".xlsx"
        pinned = re.search(r"^questionnaire:.*$", self.pin, re.M)
        key = _generator_key(pinned.group(0) if pinned else "", layout, n, seed, units)
        path = self.cache / f"{layout}-{n}-{key}{suffix}"
        if not path.exists():
            started = time.perf_counter()
            tmp = path.with_name(path.stem + ".part" + path.suffix)
            run([PY, "-c", GENERATE, str(ROOT), str(self.workspace), layout, str(n), str(seed),
                 json.dumps(list(units) if units else []), str(tmp)], self.cache, timeout=3600)
            tmp.replace(path)
            self.log(f"  generated {path.name} ({path.stat().st_size / 1e6:.1f} MB) in "
                     f"{time.perf_counter() - started:.0f} s")
        return path


# -- the table ----------------------------------------------------------------------------


@dataclass
class Row:
    what: str
    measured: str = ""
    baseline: str = ""
    ratio: str = ""
    target: str = ""
    result: str = ""
    notes: list[str] = field(default_factory=list)
    raw: dict = field(default_factory=dict)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def fmt_s(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds < 100 else f"{seconds:.0f} s"


def table(rows: list[Row]) -> str:
    head = ["target", "measured", "baseline", "ratio", "target", "result"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for r in rows:
        lines.append("| " + " | ".join([r.what, r.measured, r.baseline, r.ratio, r.target, r.result]) + " |")
    return "\n".join(lines)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        mem = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, AttributeError):
        pass
    return (f"{os.cpu_count()} CPUs ({cpu}), {mem} RAM, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}")


def load() -> str:
    try:
        return "/".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def commit() -> str:
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "assessment", "templates", "questionnaires"],
                               cwd=ROOT, capture_output=True, text=True).stdout.strip()
        return sha + (" + uncommitted changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return os.environ.get("ASSESS_BENCH_LABEL", "not a git checkout")


# -- the benchmarks -----------------------------------------------------------------------


class Bench:
    def __init__(self, args) -> None:
        self.args = args
        self.quick = args.quick
        self.runs = args.runs or (3 if self.quick else 5)
        self.n = 1_000 if self.quick else 10_000
        self.tmp = Path(tempfile.mkdtemp(prefix="assess-bench-"))
        self.rows: list[Row] = []
        self._empty: Path | None = None
        self._data: Data | None = None
        self._seq = 0

    def log(self, text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    def fresh(self, name: str) -> Path:
        self._seq += 1
        path = self.tmp / f"{name}-{self._seq}"
        path.mkdir()
        return path

    # workspaces ---------------------------------------------------------------------------

    def empty_workspace(self) -> Path:
        """A workspace as `assess init` makes it (copied for each run, so every import starts empty)."""
        if self._empty is None:
            self._empty = self.tmp / "empty-ws"
            run(assess("init", self._empty, "--client", "Benchmark Corp"), self.tmp)
        return self._empty

    def copy_of(self, ws: Path, name: str) -> Path:
        target = self.fresh(name) / "ws"
        shutil.copytree(ws, target)
        return target

    @property
    def data(self) -> Data:
        if self._data is None:
            cache = Path(self.args.cache).expanduser() if self.args.cache else \
                Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "assess-bench"
            self._data = Data(cache, self.empty_workspace(), self.log)
        return self._data

    # rows ----------------------------------------------------------------------------------

    def bench_help(self) -> None:
        self.log("assess --help vs python -c 'import click'")
        runs = max(self.runs, 5) * 6  # short: cheap to repeat, and the medians settle (15 runs flapped 0.93-1.22x)
        s = interleave({
            "assess --help": lambda i: run(assess("--help"), self.tmp),
            "import click": lambda i: run([PY, "-c", "import click"], self.tmp),
        }, runs, lambda m: None)
        a, b = med(s["assess --help"]), med(s["import click"])
        self.rows.append(Row("`assess --help`", fmt_s(a), f"{fmt_s(b)} (`python -c \"import click\"`)",
                             f"{a / b:.2f}x", "<= 1.2x", verdict(a / b <= 1.2),
                             raw={k: [x.seconds for x in v] for k, v in s.items()}))
        self.log(f"  {runs} runs each: {a:.3f} s vs {b:.3f} s")

    def bench_import(self) -> None:
        n = self.n
        self.log(f"import {n:,} respondents: template xlsx, Qualtrics csv, SurveyMonkey xlsx; score each import")
        files = {layout: self.data.export(layout, n) for layout in ("template", "qualtrics", "surveymonkey")}
        empty = self.empty_workspace()
        imported: dict[str, Path] = {}

        def do_import(layout: str):
            def fn(i: int) -> Sample:
                ws = self.copy_of(empty, f"import-{layout}")
                sample = run(assess("-w", ws, "import", files[layout]), self.tmp)
                if "imported" not in sample.out:
                    raise ChildFailed(f"import of {files[layout].name} did not import: {sample.out[:300]}")
                imported[layout] = ws
                return sample
            return fn

        def do_score(layout: str):
            # the first `score` after the import: the workspace the import just wrote, never scored
            return lambda i: run(assess("-w", imported[layout], "score", "--format", "json"), self.tmp)

        # One run = the read_excel baseline, each import, `import pandas` and the score of the
        # fresh template and Qualtrics workspaces; the order of the import groups rotates.
        groups = {
            "read_excel": lambda i: [("read_excel", run([PY, "-c", READ_EXCEL, files["template"]], self.tmp))],
            "template": lambda i: [("template", do_import("template")(i)),
                                   ("import pandas", run([PY, "-c", "import pandas"], self.tmp)),
                                   ("score template", do_score("template")(i))],
            "qualtrics": lambda i: [("qualtrics", do_import("qualtrics")(i)),
                                    ("score qualtrics", do_score("qualtrics")(i))],
            "surveymonkey": lambda i: [("surveymonkey", do_import("surveymonkey")(i))],
        }
        names = list(groups)
        s: dict[str, list[Sample]] = {}
        for i in range(self.runs):
            k = i % len(names)
            for g in names[k:] + names[:k]:
                for name, sample in groups[g](i):
                    s.setdefault(name, []).append(sample)
            self.log(f"  run {i + 1}/{self.runs}: " + ", ".join(f"{k2} {v[-1].seconds:.2f}s" for k2, v in s.items()))
            for ws in imported.values():  # keep the disk small: 100+ MB stores
                shutil.rmtree(ws.parent, ignore_errors=True)
            imported.clear()

        base = med(s["read_excel"])
        t = med(s["template"])
        rss = peak(s["template"])
        self.rows.append(Row(f"import {n:,}-respondent template xlsx into an empty workspace", fmt_s(t),
                             f"{fmt_s(base)} (`pandas.read_excel`)", f"{t / base:.2f}x",
                             "<= 0.35x", verdict(t / base <= 0.35)))
        self.rows.append(Row("... its peak RSS", f"{rss:.0f} MB", "", "", "<= 300 MB", verdict(rss <= 300)))
        for layout, label in (("qualtrics", "Qualtrics CSV"), ("surveymonkey", "SurveyMonkey xlsx")):
            x = med(s[layout])
            self.rows.append(Row(f"import the same as {label}", f"{fmt_s(x)}, {peak(s[layout]):.0f} MB",
                                 f"{fmt_s(base)} (`pandas.read_excel`)", f"{x / base:.2f}x", "report", "info"))
        sc, pd_ = med(s["score template"]), med(s["import pandas"])
        # The verdict is the ratio of the medians; the ratios run by run show how much one run moves it.
        paired = [a.seconds / b.seconds for a, b in zip(s["score template"], s["import pandas"], strict=True)]
        self.log("  score / import pandas, run by run: " + ", ".join(f"{r:.2f}x" for r in paired)
                 + f" (median {statistics.median(paired):.2f}x)")
        self.rows.append(Row(f"`score --format json`, {n:,} respondents, first run after the import",
                             f"{fmt_s(sc)}, {peak(s['score template']):.0f} MB",
                             f"{fmt_s(pd_)} (`python -c \"import pandas\"`)", f"{sc / pd_:.2f}x", "<= 2x",
                             verdict(sc / pd_ <= 2)))
        # import + score of the Qualtrics file: the middle point of the scaling series
        self.scaling_points = getattr(self, "scaling_points", {})
        if n == 10_000 or self.quick:
            per_run = [a.seconds + b.seconds for a, b in zip(s["qualtrics"], s["score qualtrics"], strict=True)]
            self.scaling_points[n] = (statistics.median(per_run),
                                      max(peak(s["qualtrics"]), peak(s["score qualtrics"])))
        self.import_samples = {k: [x.seconds for x in v] for k, v in s.items()}

    def bench_report(self) -> None:
        self.log("report on the demo workspace vs WeasyPrint alone on the HTML it wrote")
        demo = self.fresh("demo") / "demo"
        run(assess("demo", "--out", demo), self.tmp)
        base_url = (ROOT / "templates").as_uri() + "/"
        html = self.tmp / "demo-report.html"  # written by the first (timed) report; run 1 starts with it

        def cand(i: int) -> Sample:
            d = self.fresh("report")
            sample = run(assess("-w", demo, "report", "-o", d / "r.pdf", "--html", d / "r.html"), self.tmp)
            if not html.exists():
                shutil.copyfile(d / "r.html", html)
            return sample

        def base(i: int) -> Sample:
            d = self.fresh("weasy")
            return run([PY, "-c", WEASYPRINT_ALONE, str(html), base_url, str(d / "w.pdf")], self.tmp)

        s = interleave({"assess report": cand, "weasyprint": base}, self.runs, self.log)
        a, b = med(s["assess report"]), med(s["weasyprint"])
        self.rows.append(Row("`report` on the demo workspace", fmt_s(a), f"{fmt_s(b)} (WeasyPrint alone)",
                             f"{a / b:.2f}x", "<= 1.2x", verdict(a / b <= 1.2)))

    def per_unit_workspace(self) -> Path:
        """A workspace holding 180 synthetic respondents in six business units (30 each) and the
        demo's engagement settings (people, budget, deployments), so the plan pages are full."""
        ws = self.copy_of(self.empty_workspace(), "per-unit")
        sample = ROOT / "questionnaires" / "samples" / "engagement.yaml"
        if sample.is_file():
            pinned = re.search(r"^questionnaire:.*$", (ws / "engagement.yaml").read_text(), re.M)
            text = sample.read_text()
            if pinned:
                text = re.sub(r"^questionnaire:.*$", lambda m: pinned.group(0), text, count=1, flags=re.M)
            (ws / "engagement.yaml").write_text(text)
        csv = self.data.export("wide", 180, seed=SEED + 6, units=UNITS6)
        try:
            run(assess("-w", ws, "import", csv), self.tmp)
        except ChildFailed:  # the demo settings do not fit this questionnaire: keep the plain workspace
            shutil.rmtree(ws)
            ws = self.copy_of(self.empty_workspace(), "per-unit")
            run(assess("-w", ws, "import", csv), self.tmp)
        return ws

    def bench_per_unit(self) -> None:
        if self.quick:
            self.rows.append(Row("`report --per-unit`, 6 units, `--jobs 2` vs `--jobs 1`", "", "", "", ">= 1.7x",
                                 "full run only"))
            return
        self.log("report --per-unit on 6 units: --jobs 1 vs --jobs 2")
        ws = self.per_unit_workspace()

        def jobs(j: int):
            def fn(i: int) -> Sample:
                d = self.fresh(f"jobs{j}")
                sample = run(assess("-w", ws, "report", "--per-unit", "--jobs", j, "-o", d / "u.pdf"), self.tmp)
                made = len(list(d.glob("u-*.pdf")))
                if made != 6:
                    raise ChildFailed(f"--per-unit wrote {made} PDFs, expected 6")
                return sample
            return fn

        s = interleave({"jobs 1": jobs(1), "jobs 2": jobs(2)}, self.runs, self.log)
        a, b = med(s["jobs 1"]), med(s["jobs 2"])
        cpu1, cpu2 = (statistics.median(x.cpu for x in s[k]) for k in ("jobs 1", "jobs 2"))
        # On a shared machine the wall ratio measures the neighbours too; the CPU seconds do not.
        # Idle 2-core prediction: jobs 1 takes its CPU time, jobs 2 at best half of its own.
        row = Row("`report --per-unit`, 6 units, `--jobs 2` vs `--jobs 1`",
                  f"{fmt_s(b)} (jobs 2, {cpu2 / b:.1f} cores busy)", f"{fmt_s(a)} (jobs 1)",
                  f"{a / b:.2f}x faster", ">= 1.7x", verdict(a / b >= 1.7))
        row.notes.append(f"CPU time (children included): jobs 1 {fmt_s(cpu1)}, jobs 2 {fmt_s(cpu2)}; "
                         f"predicted on an idle 2-core machine: up to {cpu1 / (cpu2 / 2):.2f}x")
        self.rows.append(row)

    def bench_scaling(self) -> None:
        sizes = (300, 1_000, 3_000) if self.quick else (1_000, 10_000, 100_000)
        self.log(f"import (Qualtrics csv) + first score at {', '.join(f'{n:,}' for n in sizes)} respondents")
        points = dict(getattr(self, "scaling_points", {}))
        failed: dict[int, str] = {}
        empty = self.empty_workspace()
        for n in sizes:
            if n in points:
                continue
            path = self.data.export("qualtrics", n)
            totals, rss = [], 0.0
            try:
                for i in range(self.runs):
                    ws = self.copy_of(empty, f"scale-{n}")
                    a = run(assess("-w", ws, "import", path), self.tmp)
                    b = run(assess("-w", ws, "score", "--format", "json"), self.tmp)
                    totals.append(a.seconds + b.seconds)
                    rss = max(rss, a.rss_mb, b.rss_mb)
                    shutil.rmtree(ws.parent, ignore_errors=True)
                    self.log(f"  {n:,} run {i + 1}/{self.runs}: import {a.seconds:.2f}s ({a.rss_mb:.0f} MB) + "
                             f"score {b.seconds:.2f}s ({b.rss_mb:.0f} MB)")
            except ChildFailed as exc:  # e.g. the importer's size limit refuses the file
                failed[n] = str(exc).split(": ", 1)[-1][:160]
                self.log(f"  {n:,}: {failed[n]}")
                continue
            points[n] = (statistics.median(totals), rss)
        done = [n for n in sizes if n in points]
        series = ", ".join(f"{n:,}: {fmt_s(points[n][0])}" if n in points else f"{n:,}: failed ({failed[n]})"
                           for n in sizes)
        slope = last = None
        if len(done) >= 2:
            xs = [math.log(n) for n in done]
            ys = [math.log(points[n][0]) for n in done]
            mx, my = statistics.fmean(xs), statistics.fmean(ys)
            slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
            last = math.log(points[done[-1]][0] / points[done[-2]][0]) / math.log(done[-1] / done[-2])
        ratio = "" if slope is None else \
            f"exponent {slope:.2f} ({done[-2]:,}->{done[-1]:,}: {last:.2f})" + ("" if len(done) == len(sizes) else
                                                                                 f" over {len(done)} sizes")
        ok = slope is not None and slope <= 1.05 and not failed
        self.rows.append(Row(f"import + score at {' / '.join(f'{n:,}' for n in sizes)} respondents", series, "",
                             ratio, "<= 1.05", verdict(ok)))
        big = sizes[-1]
        big_rss = f"{points[big][1]:.0f} MB" if big in points else "not measured (import failed)"
        self.rows.append(Row(f"... peak RSS at {big:,}", big_rss, "", "", "<= 1 GB",
                             verdict(big in points and points[big][1] <= 1024)))

    def bench_workshop(self) -> None:
        script = ROOT / "benchmarks" / "bench_workshop.py"
        what = "workshop server: 150 phones saving answers at once"
        if not script.is_file():
            self.rows.append(Row(what, "", "", "", "p95 save < 100 ms", "not available"))
            return
        self.log("workshop server (benchmarks/bench_workshop.py)")
        try:
            # --quick: the burst only (the worst case); full: burst and room
            sample = run([PY, str(script), *(["--scenario", "burst"] if self.quick else [])], self.tmp, timeout=900)
        except ChildFailed:
            sample = run([PY, str(script)], self.tmp, timeout=900)
        text = sample.out + "\n" + sample.err
        # bench_workshop.py prints, per scenario:
        # "burst: 150 phones, N answers in X s = R answers/s; save latency ms: median M, p95 P, p99 ..."
        found = re.findall(r"^(\w+): (\d+) phones.*?=\s*([\d,.]+) answers/s.*?p95 ([\d.]+)", text, re.M)
        if not found:
            self.rows.append(Row(what, "output not understood", "", "", "p95 save < 100 ms", "?",
                                 notes=[text.strip()[-800:]]))
            return
        measured = "; ".join(f"{name}: p95 {float(p95):.0f} ms, {rate} answers/s" for name, _, rate, p95 in found)
        ok = all(float(p95) < 100 for *_, p95 in found)
        self.rows.append(Row(what, measured, "", "", "p95 save < 100 ms", verdict(ok)))

    # ------------------------------------------------------------------------------------------

    def guarded(self, name: str, fn) -> None:
        before = len(self.rows)
        try:
            fn()
        except ChildFailed as exc:
            del self.rows[before:]
            self.rows.append(Row(name, "", "", "", "", f"error: {exc}"))
            self.log(f"  ERROR: {exc}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 respondents, 3 runs, no --per-unit (~3 min)")
    parser.add_argument("--runs", type=int, default=None, help="runs per figure (default 5; 3 with --quick)")
    parser.add_argument("--only", nargs="+", choices=["help", "import", "report", "per-unit", "scaling", "workshop"])
    parser.add_argument("--cache", default=None, help="where generated survey files are kept")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows and raw samples here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary workspaces")
    parser.add_argument("--keep-env", action="store_true",
                        help="keep PYTHONDONTWRITEBYTECODE if set (default: children may cache bytecode)")
    args = parser.parse_args()

    global KEEP_ENV
    KEEP_ENV = args.keep_env
    b = Bench(args)
    if not KEEP_ENV:  # write the package's bytecode once (gitignored __pycache__), as an install would
        subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "assessment")], env=child_env(), check=False,
                       stdout=subprocess.DEVNULL)
    started = time.perf_counter()
    load_before = load()
    steps = [("help", "`assess --help`", b.bench_help),
             ("import", "imports and score", b.bench_import),
             ("report", "`report` on the demo workspace", b.bench_report),
             ("per-unit", "`report --per-unit`", b.bench_per_unit),
             ("scaling", "import + score scaling", b.bench_scaling),
             ("workshop", "workshop server", b.bench_workshop)]
    try:
        for key, name, fn in steps:
            if args.only and key not in args.only:
                continue
            b.guarded(name, fn)
            b.log(f"-- after {key} ({(time.perf_counter() - started) / 60:.1f} min):\n{table(b.rows)}")
    finally:
        if not args.keep:
            shutil.rmtree(b.tmp, ignore_errors=True)
        else:
            b.log(f"kept {b.tmp}")
    elapsed = time.perf_counter() - started
    mode = "quick (indicative: 1,000 respondents, 3 runs)" if args.quick else "full"
    print(f"assess benchmarks, {mode}; {b.runs} interleaved whole-process runs per figure (medians; "
          f"memory = child peak RSS); {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"code: {ROOT} at {commit()}; bytecode "
          f"{'as the environment says' if KEEP_ENV else 'cached (PYTHONDONTWRITEBYTECODE unset for children)'}")
    print(f"machine: {machine()}; load average {load_before} before, {load()} after; run took "
          f"{elapsed / 60:.1f} min")
    print()
    print(table(b.rows))
    for r in b.rows:
        for note in r.notes:
            print(f"\n{r.what}: {note}")
    if args.json:
        args.json.write_text(json.dumps({"rows": [r.__dict__ for r in b.rows],
                                         "import_samples": getattr(b, "import_samples", None)}, indent=1))


if __name__ == "__main__":
    main()
