"""``assess template``, ``assess import``, ``assess responses`` and ``assess round``."""

from __future__ import annotations

from pathlib import Path

import click

from . import cli, format_option, show_path, workspace_from, workspace_option

SOURCE_CHOICES = ("auto", "template", "wide", "google-forms", "microsoft-forms", "surveymonkey", "qualtrics",
                  "limesurvey", "typeform")


def _csv(headers: list[str], rows: list[list]) -> str:
    from .score import _csv as to_csv

    return to_csv(headers, rows)


def _progress_bar(index: int, total: int, path: Path) -> None:
    """Which file is being read, on stderr (only on a terminal, so pipes and logs stay clean):
    a large workbook takes seconds."""
    import sys

    if sys.stderr.isatty():
        click.echo(f"Reading {show_path(path)} ({index + 1}/{total})...", err=True)


@cli.command()
@workspace_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the survey workbook (.xlsx).")
@click.option("--rows", type=click.IntRange(1, 5000), default=200, show_default=True,
              help="Answer rows prepared with dropdowns.")
@click.option("--force", is_flag=True, help="Overwrite OUTPUT if it exists (it may be a filled-in workbook).")
@click.pass_context
def template(ctx: click.Context, output: Path, rows: int, force: bool) -> None:
    """Write the Excel survey workbook to send to stakeholders.

    One row per respondent; dropdowns for roles and answers; instructions and
    confidentiality note included. Import the filled workbooks with `assess import`.
    """
    from ..template import write_survey_workbook

    ws = workspace_from(ctx)
    path = write_survey_workbook(ws.questionnaire, output, client=ws.engagement.client, rows=rows, force=force)
    click.echo(f"Wrote {show_path(path)} ({len(ws.questionnaire.questions)} questions, {rows} answer rows)")


@cli.command("import")
@workspace_option
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--source", type=click.Choice(SOURCE_CHOICES), default="auto", show_default=True,
              help="The survey tool that wrote the files (auto: detect from the content). A file whose "
                   "header rows do not fit the tool is refused.")
@click.option("--mapping", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="YAML file mapping columns and answer labels to the questionnaire.")
@click.option("--dry-run", is_flag=True, help="Read and check everything, store nothing; shows the column "
                                               "each question is read from.")
@click.option("--skip-invalid", is_flag=True,
              help="Store unreadable answers as blank and skip respondents without a readable role or "
                   "whose id is on several rows with different answers (all recorded in the import log) "
                   "instead of refusing the file.")
@click.option("--replace", is_flag=True,
              help="Replace respondents already stored with different answers (default: refuse the file). "
                   "Also re-reads a file imported before: respondents removed with `responses remove` "
                   "come back.")
@click.option("--round", "round_", default=None, help="Import into this round (default: the current round).")
@format_option("table", "json", json_alias=True,
               help="table: the report for reading; json: the import report as data (see docs/json.md).")
@click.pass_context
def import_(ctx: click.Context, files: tuple[Path, ...], source: str, mapping: Path | None, dry_run: bool,
            skip_invalid: bool, replace: bool, round_: str | None, fmt: str) -> None:
    """Import survey response FILES into the workspace (each file all or nothing).

    Reads the survey workbook and exports of Google Forms, Microsoft Forms,
    SurveyMonkey, Qualtrics, LimeSurvey and Typeform (csv/tsv/xlsx). A file with
    unreadable answers is refused with every problem listed; a file already
    imported changes nothing; respondents already stored are recognised.
    Excel lock files (~$*.xlsx) are skipped.

    To bring back respondents removed with `assess responses remove`, import
    their file again with --replace.
    """
    import json

    from ..collect import import_responses

    ws = workspace_from(ctx)
    report = import_responses(ws, list(files), source=source, mapping=mapping, dry_run=dry_run,
                              skip_invalid=skip_invalid, replace=replace, round=round_, raise_on_refused=False,
                              debug=bool(ctx.obj and ctx.obj.get("debug")),
                              progress=_progress_bar if fmt == "table" else None)
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        for line in report.summary_lines(columns=dry_run):
            click.echo(line)
        for line in report.batch_lines():
            click.echo(line)
        if dry_run:
            click.echo("Dry run: nothing was stored.")
    # Each refusal once, on stderr, as one line naming the file (its rows are listed above).
    for f in report.refused:
        click.echo(f"Error: {f.path}: {f.message or 'refused'}", err=True)
    if report.refused:
        ctx.exit(1)


@cli.group(invoke_without_command=True)
@workspace_option
@click.option("--round", "round_", default=None, help="Which round (default: the current round).")
@click.option("--list", "show_list", is_flag=True, help="Also list every respondent (id, role, unit, source, flags).")
@format_option("table", "json", "csv", json_alias=True,
               help="table for reading; json: everything, always with the respondent list; csv: one row "
                    "per respondent (see docs/json.md).")
@click.pass_context
def responses(ctx: click.Context, round_: str | None, show_list: bool, fmt: str) -> None:
    """Who has answered: respondents by role and unit, missing roles, and the import log.

    `assess responses remove ID...` removes respondents.
    """
    import json

    if ctx.invoked_subcommand is not None:
        ctx.obj["round"] = round_
        return
    from ..store import responses_summary

    data = responses_summary(workspace_from(ctx), round_)
    if fmt == "json":
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    if fmt == "csv":
        click.echo(_csv(["id", "role", "unit", "source_file", "source_row", "flags"],
                        [[p["id"], p["role"], p["unit"], p["source_file"], p["source_row"], " ".join(p["flags"])]
                         for p in data["list"]]))
        return
    click.echo(f"Round {data['round']}: {data['respondents']} respondent(s)"
               + (f", {data['flagged']} with quality flags" if data["flagged"] else ""))
    click.echo("By role:")
    for row in data["roles"]:
        click.echo(f"  {row['label']:<32} {row['respondents']:>5}" + ("  missing" if row["missing"] else ""))
    if data["units"]:
        click.echo("By business unit:")
        for row in data["units"]:
            click.echo(f"  {row['unit']:<32} {row['respondents']:>5}")
    if show_list:
        click.echo("Respondents:")
        for p in data["list"]:
            where = f"{p['source_file']}:{p['source_row']}" if p["source_file"] else ""
            click.echo(f"  {p['id']:<24} {p['role']:<10} {p['unit'] or '(no unit)':<24} {where}"
                       + (f"  [{', '.join(p['flags'])}]" if p["flags"] else ""))
    click.echo("Imports:" if data["imports"] else "Imports: none yet (assess import FILE...)")
    for imp in data["imports"]:
        c = imp["counts"] or {}
        extra = ""
        if c.get("replaced"):
            extra += f", {c['replaced']} replaced"
        skipped = sum((imp["skipped"] or {}).values())
        if skipped:
            extra += f", {skipped} skipped"
        if imp["problems"]:
            extra += f", {len(imp['problems'])} unreadable blanked/skipped"
        click.echo(f"  #{imp['id']} {imp['imported_at']} {imp['file_name']} [{imp['source']}]: "
                   f"{c.get('added', 0)} added{extra}")


@responses.command()
@workspace_option
@click.argument("ids", nargs=-1, required=True)
@click.option("--round", "round_", default=None, help="Which round (default: the current round).")
@click.pass_context
def remove(ctx: click.Context, ids: tuple[str, ...], round_: str | None) -> None:
    """Remove respondents by ID (as listed by `assess responses --list`).

    All or nothing: if any ID is unknown, nothing is removed.
    """
    from ..collect import remove_respondents

    ws = workspace_from(ctx)
    n = remove_respondents(ws, list(ids), round=round_ or ctx.obj.get("round"))
    click.echo(f"Removed {n} respondent(s).")


@responses.command("export")
@workspace_option
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="Write to this file (default: print).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default=None,
              help="csv or json (default: from the file's suffix, else csv).")
@click.option("--round", "round_", default=None, help="Which round (default: the current round).")
@click.pass_context
def export(ctx: click.Context, output: Path | None, fmt: str | None, round_: str | None) -> None:
    """Every stored answer, one row each: respondent id, role, unit, question id, raw
    text as read, parsed value, state (answered/na/blank), source file and row.

    For analysts and notebooks: any value can be checked against the cell it came from.
    """
    from ..store import export_answers

    fmt = fmt or ("json" if output is not None and output.suffix.lower() == ".json" else "csv")
    text, n = export_answers(workspace_from(ctx), output, format=fmt, round=round_ or ctx.obj.get("round"))
    if text is not None:
        click.echo(text, nl=False)
    else:
        click.echo(f"Wrote {show_path(output)} ({n} answer rows)", err=True)


@cli.group("round")
def round_group() -> None:
    """Assessment rounds: a baseline, then a day-90 re-assessment to show progress."""


@round_group.command("new")
@workspace_option
@click.argument("name")
@click.pass_context
def round_new(ctx: click.Context, name: str) -> None:
    """Start round NAME and make it current (imports go there from now on)."""
    from ..store import open_store

    ws = workspace_from(ctx)
    with open_store(ws.store_path) as store:
        store.new_round(name)
    click.echo(f"Round {name!r} created; it is now the current round.")


@round_group.command("list")
@workspace_option
@format_option("table", "json", "csv", json_alias=True,
               help="table for reading; json and csv: one record per round (see docs/json.md).")
@click.pass_context
def round_list(ctx: click.Context, fmt: str) -> None:
    """List rounds with their respondent and import counts (* = current)."""
    import json

    from ..store import open_store

    ws = workspace_from(ctx)
    with open_store(ws.store_path) as store:
        rounds = store.rounds()
    if fmt == "json":
        click.echo(json.dumps(rounds, indent=2))
        return
    if fmt == "csv":
        keys = ["name", "current", "respondents", "imports", "created_at"]
        click.echo(_csv(keys, [[r.get(k) for k in keys] for r in rounds]))
        return
    for r in rounds:
        click.echo(f"{'*' if r['current'] else ' '} {r['name']:<20} {r['respondents']:>5} respondent(s)  "
                   f"{r['imports']:>3} import(s)  created {r['created_at']}")


@round_group.command("use")
@workspace_option
@click.argument("name")
@click.pass_context
def round_use(ctx: click.Context, name: str) -> None:
    """Make round NAME current (imports and scores use it by default)."""
    from ..store import open_store

    ws = workspace_from(ctx)
    with open_store(ws.store_path) as store:
        store.set_current_round(name)
    click.echo(f"Current round: {name}")
