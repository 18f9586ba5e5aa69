"""``assess doctor``: what this machine and workspace need, and how to fix what is missing."""

from __future__ import annotations

import click

from . import chosen_workspace, cli, format_option, workspace_option

_AREAS = {"system": "System", "pdf": "PDF reports", "workspace": "Workspace", "workshop": "Workshop"}
_MARK = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL", "skip": "-   "}


@cli.command()
@workspace_option
@format_option("table", "json", help="table for reading; json: a list of {area, name, status, detail, fix}.")
@click.option("--no-pdf", is_flag=True, help="Skip the PDF checks (they render a test page, about a second).")
@click.option("--no-workshop", is_flag=True, help="Skip the workshop checks (network address, port, browser).")
@click.pass_context
def doctor(ctx: click.Context, fmt: str, no_pdf: bool, no_workshop: bool) -> None:
    """Check that everything an engagement needs works here, and say how to fix what does not.

    \b
    Checks: Python; the PDF libraries (Pango, HarfBuzz, fonts) by rendering a test
    page; the workspace (-w, else the nearest one): write access, engagement.yaml
    and the response store's integrity; the workshop's prerequisites: a network
    address phones can reach, the port, a browser. Contacts no other machine.
    Exits 1 when a check fails (warnings do not).
    """
    import json
    import sys

    from ..doctor import FAIL, run_checks

    def progress(text: str) -> None:
        if fmt == "table" and sys.stderr.isatty():
            click.echo(f"{text}...", err=True)

    checks = run_checks(chosen_workspace(ctx), pdf=not no_pdf, workshop=not no_workshop, progress=progress)
    if fmt == "json":
        click.echo(json.dumps([c.to_dict() for c in checks], indent=2, ensure_ascii=False))
    else:
        area = None
        for c in checks:
            if c.area != area:
                area = c.area
                click.echo(f"{_AREAS.get(area, area)}:")
            click.echo(f"  {_MARK[c.status]} {c.name}: {c.detail}")
            if c.fix and c.status != "ok":
                click.echo(f"       fix: {c.fix}")
    failed = [c for c in checks if c.status == FAIL]
    if failed:
        click.echo(f"{len(failed)} problem(s) to fix: {', '.join(c.name for c in failed)}", err=True)
        ctx.exit(1)
    if fmt == "table":
        click.echo("Ready." if not any(c.status == "warn" for c in checks) else "Ready, with the warnings above.")
