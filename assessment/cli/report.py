"""``assess report``: the board PDF, optionally its HTML and the results workbook.

Option parsing and printing only: the reports are written by
:mod:`assessment.report.batch` (``write_report``, ``write_unit_reports``), which a
notebook calls the same way. Outputs never clobber another report: the default
names carry the round (``reports/<client>[-<unit>]-<round>-<date>.pdf``), an
existing file is replaced only when it has this report's own default name or with
``--force``, and an output whose extension does not match what is written is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from . import cli, show_path, workspace_from

if TYPE_CHECKING:
    from ..report.batch import UnitDone


def _progress(done: UnitDone) -> None:
    """One line per unit finished, on stderr when it is a terminal (a batch takes a minute or more)."""
    click.echo(f"[{done.done}/{done.total}] {done.unit}: {done.seconds:.0f} s", err=True)


@cli.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="PDF file to write (must end in .pdf). Default: reports/<client>-<round>-<YYYY-MM-DD>.pdf.")
@click.option("--html", "html", type=click.Path(dir_okay=False), default=None,
              help="Also write the report's HTML (.html) for review or custom styling.")
@click.option("--xlsx", type=click.Path(dir_okay=False), default=None, is_flag=False, flag_value="",
              help="Also write the results workbook (.xlsx); without a path, beside the PDF with the same name.")
@click.option("--unit", default=None, metavar="NAME",
              help="Report on one business unit only (its name or an unambiguous prefix, case-insensitive; "
                   "refused below min_group_size).")
@click.option("--per-unit", is_flag=True,
              help="One report per business unit (written in parallel); units below min_group_size are skipped.")
@click.option("--jobs", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Worker processes for --per-unit.")
@click.option("--round", "round_", default=None, help="Assessment round to report on (default: the current one).")
@click.option("--pdf-variant", type=click.Choice(["pdf/ua-1", "pdf/a-3u"]), default=None,
              help="Write a tagged accessible PDF (pdf/ua-1) or an archival PDF (pdf/a-3u).")
@click.option("--include-flagged", is_flag=True,
              help="Score the respondents engagement.yaml's exclude_flags would leave out (the report says so).")
@click.option("--include-responses", is_flag=True,
              help="Add a respondent-level Responses sheet to the workbook (pseudonymous ids, led by a warning).")
@click.option("--force", is_flag=True, help="Replace existing output files even when they are another report's.")
@click.pass_context
def report(ctx: click.Context, output: str | None, html: str | None, xlsx: str | None, unit: str | None,
           per_unit: bool, jobs: int, round_: str | None, pdf_variant: str | None, include_flagged: bool,
           include_responses: bool, force: bool) -> None:
    """Render the board-ready PDF report (and optionally its HTML and the results workbook).

    With --per-unit, one PDF per business unit is written (file names get the unit
    appended) using --jobs worker processes. Prints every path written. An existing
    file is replaced only when it is this report's own default name, or with --force.
    """
    from ..report.batch import ReportOptions, check_extension, resolve_report_unit, write_report, write_unit_reports

    ws = workspace_from(ctx)
    if per_unit and unit:
        raise click.UsageError("use either --unit or --per-unit, not both")
    check_extension("pdf", output)
    check_extension("html", html)
    check_extension("xlsx", xlsx)
    options = ReportOptions(round=round_, pdf_variant=pdf_variant, include_flagged=include_flagged,
                            include_responses=include_responses, force=force)
    tty = click.get_text_stream("stderr").isatty()
    if per_unit:
        written = write_unit_reports(ws, pdf=output, html=html, xlsx=xlsx, options=options, jobs=jobs,
                                     on_skip=lambda s: click.echo(s.message, err=True),
                                     on_done=_progress if tty else None)
    else:
        if unit:
            unit = resolve_report_unit(ws, unit, round=round_)
        if tty:  # scoring, planning and rendering take seconds
            click.echo("Rendering the report...", err=True)
        written = write_report(ws, unit=unit, pdf=output, html=html, xlsx=xlsx, options=options)
    for path in written:
        click.echo(show_path(path))
