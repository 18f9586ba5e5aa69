"""The bundled demonstration engagement, and ``run_demo`` that plays it end to end.

A consultant evaluating the toolkit, or a new colleague, should see the whole
engagement — survey exports from two tools imported, scores with their
confidence, the 90-day plan, the board PDF and the analysts' workbook — in one
command, offline, without inventing data. The demo client is clearly fictional
("Northwind Mutual (fictional)", an insurer) and every answer is synthetic
and written in real survey-tool layouts, then read back through the real
importers, so the demo also proves the pipeline a real engagement uses.

The sample files and the hand-written ``engagement.yaml`` are shipped in
``questionnaires/samples/``; ``tools/make_demo_samples.py`` regenerates the exports.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import resources
from .engagement import ENGAGEMENT_FILE, Workspace
from .errors import EngagementError

if TYPE_CHECKING:
    from .planning import Plan
    from .scoring import ScoreResult

DEMO_MARKER = ".assess-demo"
DEFAULT_OUT = "assess-demo"
# The bundled survey exports, in import order (how they were generated: tools/make_demo_samples.py).
SAMPLE_FILES = ("northwind-google-forms.csv", "northwind-surveymonkey.xlsx")
REPORT_PDF = "northwind-mutual-ai-assessment.pdf"
RESULTS_XLSX = "northwind-mutual-results.xlsx"

samples_dir = resources.samples_dir  # the bundled demo files (``questionnaires/samples`` in a checkout)


@dataclass
class DemoResult:
    """What :func:`run_demo` did. ``pdf``/``xlsx`` are None when that step is unavailable."""

    workspace: Path
    files: list[Path] = field(default_factory=list)
    respondents: int = 0
    skipped: int = 0
    roles: dict[str, int] = field(default_factory=dict)
    units: dict[str, int] = field(default_factory=dict)
    scores: ScoreResult | None = None
    plan: Plan | None = None
    pdf: Path | None = None
    xlsx: Path | None = None
    steps: list[str] = field(default_factory=list)


def _prepare_folder(out: Path) -> None:
    """Create ``out`` for the demo; recreate a previous demo; refuse anything else."""
    if out.exists() and not out.is_dir():
        raise EngagementError("exists and is not a folder; choose another --out", file=str(out))
    if out.is_dir() and any(out.iterdir()):
        if not (out / DEMO_MARKER).is_file():
            raise EngagementError("the folder is not empty and is not an `assess demo` workspace; "
                                  "not touching it (choose another --out)", file=str(out))
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / DEMO_MARKER).write_text("Created by `assess demo`, which deletes and recreates this folder when run "
                                   "again. Remove this file to keep the folder.\n", encoding="utf-8")


def run_demo(out_dir: str | Path = DEFAULT_OUT, *, progress: Callable[[str], None] | None = None) -> DemoResult:
    """Play the demo engagement into ``out_dir``: workspace, imports, scores, plan, report.

    Refuses a folder that holds anything but a previous demo; a previous demo is
    deleted and recreated. ``progress`` receives one line per step.
    """
    from .collect import import_responses
    from .report import render_pdf, report_inputs_from_workspace, write_results_workbook
    from .store import load_workspace_responses

    def say(line: str) -> None:
        result.steps.append(line)
        if progress:
            progress(line)

    src = samples_dir()
    missing = [n for n in (ENGAGEMENT_FILE, *SAMPLE_FILES) if not (src / n).is_file()]
    if missing:
        raise EngagementError(f"the bundled demo files are missing ({', '.join(missing)}); reinstall the package",
                              file=str(src))
    out = Path(out_dir).expanduser()
    _prepare_folder(out)
    result = DemoResult(workspace=out.resolve())
    shutil.copyfile(src / ENGAGEMENT_FILE, out / ENGAGEMENT_FILE)
    (out / "reports").mkdir(exist_ok=True)
    returns = out / "returns"
    returns.mkdir()
    ws = Workspace(out)
    say(f"Created demo workspace {out} for {ws.engagement.client} ({len(ws.engagement.deployments)} AI deployments)")

    for name in SAMPLE_FILES:
        target = returns / name
        shutil.copyfile(src / name, target)
        result.files.append(target)
        report = import_responses(ws, target)
        for fr in report.files:
            skipped = sum((fr.skipped or {}).values())
            result.skipped += skipped
            flagged = ", ".join(f"{len(ids)} flagged {flag}" for flag, ids in sorted((fr.quality or {}).items()) if ids)
            say(f"Imported {target.relative_to(out)} [{fr.source}]: {fr.added} respondents"
                + (f", {skipped} skipped" if skipped else "") + (f" ({flagged})" if flagged else ""))

    responses = load_workspace_responses(ws)
    people = responses.respondents
    result.respondents = len(people)
    result.roles = dict(Counter(people["role"]))
    result.units = dict(Counter(people["unit"]))
    say(f"Responses: {result.respondents} respondents, {len(result.roles)} roles, {len(result.units)} business units")

    # The report's own loader scores and plans the workspace; the demo reports from the same numbers.
    inputs = report_inputs_from_workspace(ws)
    result.scores, result.plan = inputs.scores, inputs.plan
    overall = result.scores.overall
    scored = [d for d in result.scores.dimensions if d["score"] is not None]
    line = f"Scored: overall {overall['score']:.0f}/100" if overall["score"] is not None else "Scored"
    if overall["level"] is not None:
        line += f" (level {overall['level']} {overall['level_name']})"
    if scored:
        line += f"; lowest friction point: {min(scored, key=lambda d: d['score'])['title']}"
    say(line)
    if result.plan is not None:
        shift = result.plan.budget["shift"]
        say(f"Planned: harden {result.plan.target['name']}, moving {ws.engagement.currency} {shift:,.0f} from new "
            f"models; {len(result.plan.actions)} actions over 90 days")
    result.pdf = Path(render_pdf(inputs, ws.reports_dir / REPORT_PDF))
    say(f"Wrote the PDF report {result.pdf}")
    result.xlsx = Path(write_results_workbook(inputs, ws.reports_dir / RESULTS_XLSX))
    say(f"Wrote the results workbook {result.xlsx}")
    return result
