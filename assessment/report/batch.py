"""Write reports from a workspace: one report, or one per business unit in parallel.

``assess report`` only parses options and calls :func:`write_report` or
:func:`write_unit_reports`; a notebook can call them the same way and gets the
paths written back.

Why the per-unit batch is shaped as it is. Each unit's report costs seconds of
WeasyPrint layout, so units are rendered in worker processes. Everything the units
share (the store read, the questionnaire and engagement, the import log, the
earlier round for "progress since", the imports of pandas and WeasyPrint) is done
once in the parent: on Linux the workers are forked from it and inherit all of it,
so a worker neither re-reads the store nor re-imports anything, and a task is only
a unit name and its output paths (nothing big is pickled). Where fork is not
available or not safe (macOS, Windows, a parent already running threads, as a
notebook kernel does) workers are spawned and each loads the shared state once in
its initializer. Numeric libraries are held to one thread per worker so two
workers do not oversubscribe the cores, and the largest units go first so the last
one to finish is a small one. Every output path is checked before anything is
rendered: a batch that would replace another report's file writes nothing.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..engagement import Workspace
from ..errors import AssessmentError, ReportError
from .context import ReportInputs, slug
from .workspace import _previous_round, _saved_plan, default_report_path

if TYPE_CHECKING:
    from ..responses import Responses

__all__ = ["EXTENSIONS", "ReportOptions", "SkippedUnit", "UnitDone", "check_extension", "resolve_report_unit",
           "write_report", "write_unit_reports"]

#: The extensions each output may have (what is written must match the name).
EXTENSIONS = {"pdf": (".pdf",), "html": (".html", ".htm"), "xlsx": (".xlsx",)}

#: Thread-count variables of the numeric libraries; one thread each per worker process.
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
                "NUMEXPR_NUM_THREADS")


@dataclass(frozen=True)
class ReportOptions:
    """What every report of one invocation shares (``assess report``'s flags)."""

    round: str | None = None
    pdf_variant: str | None = None
    include_flagged: bool = False
    include_responses: bool = False
    force: bool = False


@dataclass(frozen=True)
class SkippedUnit:
    """A unit with too few respondents to report on without identifying them."""

    unit: str
    respondents: int
    minimum: int

    @property
    def message(self) -> str:
        return (f"Not reporting on unit {self.unit!r}: fewer than {self.minimum} respondents (min_group_size), "
                "so its report would identify them")


@dataclass(frozen=True)
class UnitDone:
    """One unit's report finished: which, how many so far, and the files it wrote."""

    unit: str
    done: int
    total: int
    paths: tuple[Path, ...]
    seconds: float


# ---------------------------------------------------------------------------- output names


def check_extension(kind: str, path: str | Path | None) -> None:
    """Refuse an output whose extension does not match what is written (``-o out.docx``)."""
    if path and Path(path).suffix.lower() not in EXTENSIONS[kind]:
        raise ReportError(f"the {kind.upper()} output must end in {' or '.join(EXTENSIONS[kind])}, not "
                          f"{Path(path).suffix or '(no extension)'!r}; nothing was written", file=str(path))


def _check_replace(path: Path, own_default: Path, force: bool) -> None:
    """Refuse to replace an existing file unless it is this report's own default name, or ``force``."""
    if force or not path.exists() or path.resolve() == own_default.resolve():
        return
    raise ReportError("exists and is not this report's own file; not replacing it (choose another name, or "
                      "pass --force)", file=str(path))


@dataclass(frozen=True)
class _Outputs:
    pdf: Path
    html: Path | None
    xlsx: Path | None


def _outputs(ws: Workspace, inputs: ReportInputs, unit: str | None, pdf: str | Path | None,
             html: str | Path | None, xlsx: str | Path | None, force: bool) -> _Outputs:
    """The files one report writes; ``xlsx`` is None (no workbook), "" (beside the PDF) or a path."""
    default_pdf = default_report_path(ws, inputs, unit=unit)
    out = Path(pdf) if pdf else default_pdf
    x_out = None if xlsx is None else (Path(xlsx) if xlsx else out.with_suffix(".xlsx"))
    h_out = Path(html) if html else None
    _check_replace(out, default_pdf, force)
    if x_out is not None:
        _check_replace(x_out, default_pdf.with_suffix(".xlsx"), force)
    if h_out is not None:
        _check_replace(h_out, default_pdf.with_suffix(".html"), force)
    return _Outputs(out, h_out, x_out)


def _unit_path(path: str | Path | None, unit: str) -> str | None:
    """``u.pdf`` -> ``u-<unit slug>.pdf``; None and "" (no file, beside the PDF) stay as they are."""
    if not path:
        return None if path is None else ""
    p = Path(path)
    return str(p.with_name(f"{p.stem}-{slug(unit)}{p.suffix}"))


def _write(inputs: ReportInputs, outputs: _Outputs, options: ReportOptions) -> list[Path]:
    from .render import render_pdf
    from .workbook import write_results_workbook

    written = [render_pdf(inputs, outputs.pdf, html_path=outputs.html, pdf_variant=options.pdf_variant)]
    if outputs.html is not None:
        written.append(outputs.html)
    if outputs.xlsx is not None:
        written.append(Path(write_results_workbook(inputs, outputs.xlsx,
                                                   include_responses=options.include_responses)))
    return written


# ---------------------------------------------------------------------------- one report


def resolve_report_unit(workspace: Workspace | str | Path, text: str, *, round: str | None = None) -> str:
    """The stored name of the unit ``text`` names (any case, or an unambiguous prefix), refused
    when fewer than ``min_group_size`` respondents are scored in it: its report would identify them.

    The minimum is checked on the resolved name, so ``--unit retail`` cannot slip past it
    where the store says ``Retail``.
    """
    from ..pipeline import resolve_unit
    from .workspace import unit_sizes

    ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
    unit = resolve_unit(ws, text, round=round)
    n, minimum = unit_sizes(ws, round).get(unit, 0), ws.engagement.min_group_size
    if n < minimum:
        raise ReportError(f"unit {unit!r} has fewer than {minimum} respondents (min_group_size); a report on it "
                          "would identify them, so none is written", file=str(ws.engagement_path))
    return unit


def write_report(workspace: Workspace | str | Path, *, unit: str | None = None, pdf: str | Path | None = None,
                 html: str | Path | None = None, xlsx: str | Path | None = None,
                 options: ReportOptions | None = None) -> list[Path]:
    """Write one report (the whole round, or the stored unit ``unit``): the PDF, and the HTML and
    workbook when asked (``xlsx=""``: beside the PDF). Returns the paths written, PDF first.

    ``unit`` must be a stored unit name (see :func:`resolve_report_unit`). An existing file is
    replaced only when it is this report's own default name, or with ``options.force``.
    """
    from .workspace import report_inputs_from_workspace

    ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
    options = options or ReportOptions()
    for kind, path in (("pdf", pdf), ("html", html), ("xlsx", xlsx)):
        check_extension(kind, path)
    inputs = report_inputs_from_workspace(ws, unit=unit, round=options.round,
                                          include_flagged=options.include_flagged)
    return _write(inputs, _outputs(ws, inputs, unit, pdf, html, xlsx, options.force), options)


# ---------------------------------------------------------------------------- the per-unit batch


@dataclass
class _Shared:
    """What every unit's report is built from, loaded once (inherited by forked workers)."""

    workspace: Workspace
    options: ReportOptions
    round: str
    responses: Responses
    import_log: list[dict[str, Any]]
    previous: tuple[str, str] | None
    baseline: Responses | None
    saved_plan: dict[str, Any] | None
    logo: Path | None


#: Set in the parent before workers are forked, or by a spawned worker's initializer.
_SHARED: _Shared | None = None


def _load_shared(workspace: Workspace | str | Path, options: ReportOptions) -> _Shared:
    """Read the store once: the round's responses, its import log and the earlier round, if any."""
    from ..store import current_round_name, load_workspace_responses, open_store

    ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
    ws.questionnaire, ws.engagement  # noqa: B018 -- parsed here, once, not in every worker
    responses = load_workspace_responses(ws, round=options.round)
    log: list[dict[str, Any]] = []
    if ws.store_path.exists():
        with open_store(ws.store_path, create=False) as store:
            log = store.imports(options.round)
    previous = _previous_round(ws, options.round)
    baseline = load_workspace_responses(ws, round=previous[0]) if previous else None
    logo = None
    if ws.engagement.logo:
        logo = (ws.root / ws.engagement.logo).resolve()
        if not logo.is_relative_to(ws.root):
            raise ReportError("logo must be a file inside the workspace", file=str(ws.engagement_path))
    return _Shared(workspace=ws, options=options, round=options.round or current_round_name(ws),
                   responses=responses, import_log=log, previous=previous, baseline=baseline,
                   saved_plan=_saved_plan(ws, previous[0]) if previous else None, logo=logo)


def _unit_inputs(shared: _Shared, unit: str) -> ReportInputs:
    """One unit's :class:`ReportInputs` from the shared state, exactly as
    :func:`~assessment.report.report_inputs_from_workspace` builds them from the store
    (``tests/test_batch_report.py`` checks the PDFs are byte-identical)."""
    from ..pipeline import exclude_flags
    from ..scoring import compare_rounds, explain, score

    ws, q = shared.workspace, shared.workspace.questionnaire
    responses = shared.responses.for_unit(unit)
    try:
        scores = score(q, responses, exclude_flags=exclude_flags(ws, shared.options.include_flagged), by=None)
    except AssessmentError as exc:
        raise ReportError(exc.message, file=exc.file) from None
    left_out = scores.excluded["flags"]
    traces = {d.id: explain(q, responses, d.id, exclude_flags=left_out) for d in q.dimensions}
    progress = None
    if shared.previous is not None and shared.baseline is not None:
        base = shared.baseline.for_unit(unit)
        if len(base):
            progress = compare_rounds(q, base, responses, names=("baseline", "current"), exclude_flags=left_out)
            progress["baseline_round"], progress["current_round"] = shared.previous
            progress["saved_plan"] = shared.saved_plan
    return ReportInputs(questionnaire=q, engagement=ws.engagement, scores=scores, plan=_plan(ws, scores),
                        explain=traces, responses=responses, import_log=shared.import_log, progress=progress,
                        logo_path=shared.logo, unit=unit, round=shared.round)


def _plan(ws: Workspace, scores: Any) -> Any:
    """The unit's 90-day plan, or None when none can be built (the report then shows a marked draft)."""
    from ..errors import PlanError
    from ..planning import build_plan

    try:
        return build_plan(ws.questionnaire, ws.engagement, scores)
    except PlanError:
        return None


@dataclass(frozen=True)
class _Job:
    """One worker task: small, so nothing big is pickled."""

    unit: str
    outputs: _Outputs


def _render_unit(job: _Job) -> tuple[str, list[str], float]:
    """Runs in a worker (or in-process with one job): build the unit's inputs and write its files."""
    started = time.perf_counter()
    if _SHARED is None:
        raise RuntimeError("worker started without the shared report state")
    paths = _write(_unit_inputs(_SHARED, job.unit), job.outputs, _SHARED.options)
    return job.unit, [str(p) for p in paths], time.perf_counter() - started


def _init_spawned(root: str, options: ReportOptions) -> None:
    """A spawned worker's initializer: load the shared state once for all its units."""
    global _SHARED
    _SHARED = _load_shared(root, options)
    import weasyprint  # noqa: F401 -- imported once per worker, before the first unit


def _warm_imports(xlsx: bool) -> None:
    """Import what rendering needs before forking, so no worker imports it again."""
    import pandas  # noqa: F401
    import weasyprint  # noqa: F401
    import weasyprint.layout  # noqa: F401

    from .. import planning, scoring  # noqa: F401
    from . import render  # noqa: F401

    if xlsx:
        from . import workbook  # noqa: F401


def _use_fork() -> bool:
    """Fork where it is safe and cheap: Linux, and no other thread running in this process."""
    import multiprocessing

    return (sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()
            and threading.active_count() == 1)


@contextlib.contextmanager
def _one_thread_per_worker() -> Iterator[None]:
    """Hold BLAS/OpenMP to one thread in the workers (two workers on two cores would otherwise each
    start a thread per core). Spawned workers read the variables at start; forked ones inherit the
    parent's libraries, which read them when first imported (the CLI has not imported them yet)."""
    saved = {k: os.environ.get(k) for k in _THREAD_VARS}
    for key in _THREAD_VARS:
        os.environ.setdefault(key, "1")
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _units(shared: _Shared) -> tuple[list[str], dict[str, int]]:
    """The round's units (sorted) and the respondents scored in each (as :func:`unit_sizes` counts)."""
    from ..scoring.exclusion import exclude_flagged

    def names(responses: Responses) -> Any:
        return responses.respondents["unit"].astype("string").dropna().str.strip()

    scored, _ = exclude_flagged(shared.responses, shared.workspace.engagement.exclude_flags)
    sizes = {str(k): int(v) for k, v in names(scored).value_counts().items() if k}
    return sorted({u for u in names(shared.responses) if u}), sizes


def _jobs(shared: _Shared, pdf: str | Path | None, html: str | Path | None, xlsx: str | Path | None,
          on_skip: Callable[[SkippedUnit], None]) -> list[_Job]:
    """One task per unit large enough to report on, largest first, its output paths checked now."""
    ws = shared.workspace
    units, sizes = _units(shared)
    if not units:
        raise ReportError("no business units in the responses; --per-unit needs a unit for each respondent",
                          file=str(ws.store_path))
    minimum = ws.engagement.min_group_size
    for unit in units:
        if sizes.get(unit, 0) < minimum:
            on_skip(SkippedUnit(unit, sizes.get(unit, 0), minimum))
    # Only the report date and the round name go into a default file name: the same for every unit.
    naming = ReportInputs(questionnaire=ws.questionnaire, engagement=ws.engagement, scores=None,  # type: ignore[arg-type]
                          round=shared.round)
    kept = sorted((u for u in units if sizes.get(u, 0) >= minimum), key=lambda u: (-sizes[u], u))
    return [_Job(u, _outputs(ws, naming, u, _unit_path(pdf, u), _unit_path(html, u), _unit_path(xlsx, u),
                             shared.options.force)) for u in kept]


def _warn_skip(skipped: SkippedUnit) -> None:
    warnings.warn(skipped.message, stacklevel=4)  # points at the caller of write_unit_reports


def write_unit_reports(workspace: Workspace | str | Path, *, pdf: str | Path | None = None,
                       html: str | Path | None = None, xlsx: str | Path | None = None,
                       options: ReportOptions | None = None, jobs: int = 2,
                       on_skip: Callable[[SkippedUnit], None] | None = None,
                       on_done: Callable[[UnitDone], None] | None = None) -> list[Path]:
    """One report per business unit of the round, rendered by ``jobs`` processes; the paths
    written, sorted.

    File names get the unit appended: the default ``reports/<client>-<unit>-<round>-<date>.pdf``,
    or ``pdf``/``html``/``xlsx`` with ``-<unit>`` before the extension (``xlsx=""``: the workbook
    beside each PDF). Units with fewer than ``min_group_size`` scored respondents are not
    reported on; ``on_skip`` hears of each (default: a warning). ``on_done`` is called in this
    process as each unit's files are written, for progress.
    """
    global _SHARED
    ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
    options = options or ReportOptions()
    for kind, path in (("pdf", pdf), ("html", html), ("xlsx", xlsx)):
        check_extension(kind, path)
    with _one_thread_per_worker() if jobs > 1 else contextlib.nullcontext():
        _SHARED = shared = _load_shared(ws, options)
        try:
            tasks = _jobs(shared, pdf, html, xlsx, on_skip or _warn_skip)
            if jobs == 1 or len(tasks) <= 1:
                results = map(_render_unit, tasks)
                return _collect(results, len(tasks), on_done)
            return _in_pool(shared, tasks, min(jobs, len(tasks)), on_done)
        finally:
            _SHARED = None


def _collect(results: Any, total: int, on_done: Callable[[UnitDone], None] | None) -> list[Path]:
    written: list[Path] = []
    for done, (unit, paths, seconds) in enumerate(results, start=1):
        written.extend(Path(p) for p in paths)
        if on_done is not None:
            on_done(UnitDone(unit, done, total, tuple(Path(p) for p in paths), seconds))
    return sorted(written, key=str)


def _in_pool(shared: _Shared, tasks: list[_Job], workers: int,
             on_done: Callable[[UnitDone], None] | None) -> list[Path]:
    """Render ``tasks`` in ``workers`` processes, forked (inheriting ``_SHARED``) or spawned."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    if _use_fork():
        _warm_imports(any(task.outputs.xlsx is not None for task in tasks))
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))
    else:
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_init_spawned, initargs=(str(shared.workspace.root), shared.options))
    try:
        futures = [pool.submit(_render_unit, task) for task in tasks]
        return _collect((f.result() for f in as_completed(futures)), len(tasks), on_done)
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)  # a failed unit stops the batch: no new unit starts
        raise
    finally:
        pool.shutdown(wait=True)
