"""``assess questionnaire list|validate|show``."""

from __future__ import annotations

from pathlib import Path

import click

from . import cli, format_option, workspace_from, workspace_option


@cli.group()
def questionnaire() -> None:
    """List, validate and show questionnaires."""


@questionnaire.command("list")
@format_option("table", "json", "csv", help="table for reading; json and csv: one record per questionnaire "
                                            "(see docs/json.md).")
def list_(fmt: str) -> None:
    """List the bundled questionnaires."""
    import json

    from ..questionnaire import bundled_questionnaires, load_questionnaire

    rows = []
    for qid, path in bundled_questionnaires().items():
        q = load_questionnaire(path)
        rows.append({"id": qid, "version": q.version, "title": q.title, "dimensions": len(q.dimensions),
                     "scored_questions": sum(len(d.scored_questions) for d in q.dimensions),
                     "actions": len(q.actions)})
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    elif fmt == "csv":
        from .score import _csv

        click.echo(_csv(list(rows[0]) if rows else [], [list(r.values()) for r in rows]))
    else:
        for r in rows:
            click.echo(f"{r['id']}\tv{r['version']}\t{r['title']} ({r['dimensions']} dimensions, "
                       f"{r['scored_questions']} scored questions, {r['actions']} actions)")


@questionnaire.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(paths: tuple[Path, ...]) -> None:
    """Check questionnaire files; print every problem as file:line:column: message.

    Exits 1 if any file has a problem.
    """
    from ..errors import QuestionnaireError
    from ..questionnaire import load_questionnaire

    failed = 0
    for path in paths:
        try:
            q = load_questionnaire(path)
        except QuestionnaireError as exc:
            failed += 1
            for problem in exc.problems or [exc.one_line()]:
                click.echo(str(problem), err=True)
            continue
        n = sum(len(d.scored_questions) for d in q.dimensions)
        click.echo(f"{path}: OK ({q.id} v{q.version}: {len(q.dimensions)} dimensions, {n} scored questions, "
                   f"{len(q.roles)} roles, {len(q.actions)} actions)")
    if failed:
        raise click.ClickException(f"{failed} of {len(paths)} file{'s' if len(paths) > 1 else ''} invalid")


@questionnaire.command()
@workspace_option
@click.argument("ident", required=False)
@click.option("--format", "fmt", type=click.Choice(["yaml", "json", "markdown"]), default="markdown",
              show_default=True, help="Output format.")
@click.pass_context
def show(ctx: click.Context, ident: str | None, fmt: str) -> None:
    """Show a questionnaire (an id, a path, or the workspace's own when omitted)."""
    import json

    from ..questionnaire import load_questionnaire

    q = load_questionnaire(ident) if ident else workspace_from(ctx).questionnaire
    data = q.to_dict()
    if fmt == "json":
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    elif fmt == "yaml":
        import yaml

        click.echo(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100))
    else:
        from ..questionnaire_markdown import to_markdown

        click.echo(to_markdown(q))
