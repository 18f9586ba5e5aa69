"""``assess report``: the board PDF, optionally its HTML and the results workbook.

Outputs never clobber another report: the default names carry the round
(``reports/<client>[-<unit>]-<round>-<date>.pdf``), an existing file is replaced
only when it has this report's own default name or with ``--force``, and an output
whose extension does not match what is written is refused.
"""

from __future__ import annotations

from pathlib import Path

import click

from . import cli, workspace_from

#: The extensions each output may have (what is written must match the name).
EXTENSIONS = {"pdf": (".pdf",), "html": (".html", ".htm"), "xlsx": (".xlsx",)}


def _check_extension(kind: str, path: str | None) -> None:
    if path and Path(path).suffix.lower() not in EXTENSIONS[kind]:
        from ..errors import ReportError

        raise ReportError(f"the {kind.upper()} output must end in {' or '.join(EXTENSIONS[kind])}, not "
                          f"{Path(path).suffix or '(no extension)'!r}; nothing was written", file=path)


def _check_replace(path: Path, own_default: Path, force: bool) -> None:
    """Refuse to replace an existing file unless it is this report's own default name, or ``force``."""
    if force or not path.exists() or path.resolve() == own_default.resolve():
        return
    from ..errors import ReportError

    raise ReportError("exists and is not this report's own file; not replacing it (choose another name, or "
                      "pass --force)", file=str(path))


def _outputs(ws, inputs, unit: str | None, pdf: str | None, html: str | None,
             xlsx: str | None, force: bool) -> tuple[Path, Path | None, Path | None]:
    from ..report import default_report_path

    default_pdf = default_report_path(ws, inputs, unit=unit)
    default_xlsx = default_pdf.with_suffix(".xlsx")
    out = Path(pdf) if pdf else default_pdf
    x_out = None if xlsx is None else (Path(xlsx) if xlsx else out.with_suffix(".xlsx"))
    h_out = Path(html) if html else None
    _check_replace(out, default_pdf, force)
    if x_out is not None:
        _check_replace(x_out, default_xlsx, force)
    if h_out is not None:
        _check_replace(h_out, default_pdf.with_suffix(".html"), force)
    return out, h_out, x_out


def _one_report(root: str, unit: str | None, round_: str | None, pdf: str | None, html: str | None,
                xlsx: str | None, variant: str | None, options: dict) -> list[str]:
    """Render one report; runs in worker processes for --per-unit, so it takes plain values.

    ``xlsx`` is None (no workbook), "" (beside the PDF) or a path.
    """
    from ..engagement import Workspace
    from ..report import render_pdf, report_inputs_from_workspace, write_results_workbook

    ws = Workspace(root)
    inputs = report_inputs_from_workspace(ws, unit=unit, round=round_, include_flagged=options["include_flagged"])
    out, h_out, x_out = _outputs(ws, inputs, unit, pdf, html, xlsx, options["force"])
    written = [str(render_pdf(inputs, out, html_path=h_out, pdf_variant=variant))]
    if h_out is not None:
        written.append(str(h_out))
    if x_out is not None:
        written.append(str(write_results_workbook(inputs, x_out,
                                                  include_responses=options["include_responses"])))
    return written


def _unit_path(path: str | None, unit: str) -> str | None:
    if not path:
        return path
    from ..report.context import slug

    p = Path(path)
    return str(p.with_name(f"{p.stem}-{slug(unit)}{p.suffix}"))


def _per_unit(ws, round_: str | None, output: str | None, html: str | None, xlsx: str | None,
              pdf_variant: str | None, jobs: int, options: dict) -> None:
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from ..errors import ReportError
    from ..report.workspace import list_units, unit_sizes

    units = list_units(ws, round_)
    if not units:
        raise ReportError("no business units in the responses; --per-unit needs a unit for each respondent",
                          file=str(ws.store_path))
    sizes, minimum = unit_sizes(ws, round_), ws.engagement.min_group_size
    for u in [u for u in units if sizes.get(u, 0) < minimum]:
        click.echo(f"Not reporting on unit {u!r}: fewer than {minimum} respondents (min_group_size), so its "
                   "report would identify them", err=True)
    units = [u for u in units if sizes.get(u, 0) >= minimum]
    written: list[str] = []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_one_report, str(ws.root), u, round_, _unit_path(output, u), _unit_path(html, u),
                               _unit_path(xlsx, u), pdf_variant, options) for u in units]
        with click.progressbar(length=len(futures), label="Rendering unit reports",
                               file=click.get_text_stream("stderr")) as bar:
            for fut in as_completed(futures):
                written.extend(fut.result())
                bar.update(1)
    for path in sorted(written):
        click.echo(path)


@cli.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="PDF file to write (must end in .pdf). Default: reports/<client>-<round>-<YYYY-MM-DD>.pdf.")
@click.option("--html", "html", type=click.Path(dir_okay=False), default=None,
              help="Also write the report's HTML (.html) for review or custom styling.")
@click.option("--xlsx", type=click.Path(dir_okay=False), default=None, is_flag=False, flag_value="",
              help="Also write the results workbook (.xlsx); without a path, beside the PDF with the same name.")
@click.option("--unit", default=None, help="Report on one business unit only (refused below min_group_size).")
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
    ws = workspace_from(ctx)
    if per_unit and unit:
        raise click.UsageError("use either --unit or --per-unit, not both")
    _check_extension("pdf", output)
    _check_extension("html", html)
    _check_extension("xlsx", xlsx)
    options = {"include_flagged": include_flagged, "include_responses": include_responses, "force": force}
    if per_unit:
        _per_unit(ws, round_, output, html, xlsx, pdf_variant, jobs, options)
        return
    if unit:
        from ..errors import ReportError
        from ..report.workspace import unit_sizes

        n, minimum = unit_sizes(ws, round_).get(unit, 0), ws.engagement.min_group_size
        if 0 < n < minimum:
            raise ReportError(f"unit {unit!r} has {'fewer than ' + str(minimum)} respondents (min_group_size); a "
                              "report on it would identify them, so none is written", file=str(ws.engagement_path))
    if click.get_text_stream("stderr").isatty():  # scoring, planning and rendering take seconds
        click.echo("Rendering the report...", err=True)
    for path in _one_report(str(ws.root), unit, round_, output, html, xlsx, pdf_variant, options):
        click.echo(path)
