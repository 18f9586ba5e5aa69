"""``assess guide``: the workshop guide (probes, evidence, statements per friction point)."""

from __future__ import annotations

from pathlib import Path

import click

from . import chosen_workspace, cli, show_path, workspace_option


@cli.command()
@workspace_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="guide.pdf, guide.md or guide.html. Default: Markdown on standard output.")
@click.option("--role", default=None, help="A role id (e.g. finance): list the statements that role is asked.")
@click.option("-q", "--questionnaire", "questionnaire_ref", default=None,
              help="Questionnaire id@version or file. Default: the workspace's, else ai-friction@2.")
@click.pass_context
def guide(ctx: click.Context, output: Path | None, role: str | None, questionnaire_ref: str | None) -> None:
    """Write the workshop guide: for each friction point, the interview probes, the evidence to
    request from the client, and the statements a role will be asked."""
    from ..engagement import DEFAULT_QUESTIONNAIRE, find_workspace, open_workspace
    from ..errors import EngagementError
    from ..guide import guide_context, guide_markdown, write_guide
    from ..questionnaire import load_questionnaire

    client = None
    if questionnaire_ref:
        q = load_questionnaire(questionnaire_ref)
    else:
        chosen = chosen_workspace(ctx)
        try:
            ws = open_workspace(chosen) if chosen else find_workspace()
        except EngagementError:
            if chosen:
                raise
            ws = None
        if ws is not None:
            q, client = ws.questionnaire, ws.engagement.client
        else:
            q = load_questionnaire(DEFAULT_QUESTIONNAIRE)
    if output is None:
        click.echo(guide_markdown(guide_context(q, role, client)), nl=False)
        return
    path = write_guide(q, output, role=role, client=client)
    click.echo(f"Wrote {show_path(path)} ({q.id} v{q.version}{', role ' + role if role else ''})")
