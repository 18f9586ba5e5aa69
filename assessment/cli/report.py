"""``assess report``: the board PDF, optionally its HTML and the results workbook."""

from __future__ import annotations

from pathlib import Path

import click

from . import cli, workspace_from


def _one_report(root: str, unit: str | None, round_: str | None, pdf: str | None, html: str | None,
                xlsx: str | None, variant: str | None) -> list[str]:
    """Render one report; runs in worker processes for --per-unit, so it takes plain values."""
    from ..engagement import Workspace
    from ..report import default_report_path, render_pdf, report_inputs_from_workspace, write_results_workbook

    ws = Workspace(root)
    inputs = report_inputs_from_workspace(ws, unit=unit, round=round_)
    out = Path(pdf) if pdf else default_report_path(ws, inputs, unit=unit)
    written = [str(render_pdf(inputs, out, html_path=html, pdf_variant=variant))]
    if html:
        written.append(html)
    if xlsx:
        written.append(str(write_results_workbook(inputs, xlsx)))
    return written


def _unit_path(path: str | None, unit: str) -> str | None:
    if path is None:
        return None
    from ..report.context import slug

    p = Path(path)
    return str(p.with_name(f"{p.stem}-{slug(unit)}{p.suffix}"))


@cli.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="PDF file to write. Default: reports/<client>-<YYYY-MM-DD>.pdf in the workspace.")
@click.option("--html", "html", type=click.Path(dir_okay=False), default=None,
              help="Also write the report's HTML (for review or custom styling).")
@click.option("--xlsx", type=click.Path(dir_okay=False), default=None,
              help="Also write the results workbook (scores, items, roles, plan, responses).")
@click.option("--unit", default=None, help="Report on one business unit only.")
@click.option("--per-unit", is_flag=True, help="One report per business unit (written in parallel).")
@click.option("--jobs", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Worker processes for --per-unit.")
@click.option("--round", "round_", default=None, help="Assessment round to report on (default: the current one).")
@click.option("--pdf-variant", type=click.Choice(["pdf/ua-1", "pdf/a-3u"]), default=None,
              help="Write a tagged accessible PDF (pdf/ua-1) or an archival PDF (pdf/a-3u).")
@click.pass_context
def report(ctx: click.Context, output: str | None, html: str | None, xlsx: str | None, unit: str | None,
           per_unit: bool, jobs: int, round_: str | None, pdf_variant: str | None) -> None:
    """Render the board-ready PDF report (and optionally its HTML and the results workbook).

    With --per-unit, one PDF per business unit is written (file names get the unit
    appended) using --jobs worker processes. Prints every path written.
    """
    ws = workspace_from(ctx)
    if per_unit and unit:
        raise click.UsageError("use either --unit or --per-unit, not both")
    if not per_unit:
        for path in _one_report(str(ws.root), unit, round_, output, html, xlsx, pdf_variant):
            click.echo(path)
        return

    from concurrent.futures import ProcessPoolExecutor, as_completed

    from ..errors import ReportError
    from ..report.workspace import list_units

    units = list_units(ws, round_)
    if not units:
        raise ReportError("no business units in the responses; --per-unit needs a unit for each respondent",
                          file=str(ws.store_path))
    written: list[str] = []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_one_report, str(ws.root), u, round_, _unit_path(output, u), _unit_path(html, u),
                               _unit_path(xlsx, u), pdf_variant) for u in units]
        with click.progressbar(length=len(futures), label="Rendering unit reports", file=click.get_text_stream("stderr")) as bar:
            for fut in as_completed(futures):
                written.extend(fut.result())
                bar.update(1)
    for path in sorted(written):
        click.echo(path)
