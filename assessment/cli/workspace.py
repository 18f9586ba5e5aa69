"""``assess init``."""

from __future__ import annotations

from pathlib import Path

import click

from . import cli, show_path


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--client", required=True, help="Client name, shown on the report.")
@click.option("--questionnaire", "questionnaire_ref", default="ai-friction@2", show_default=True,
              help="Bundled questionnaire (id@version, e.g. ai-friction@2; a bare id is version 1) or path "
                   "to a questionnaire YAML file, which is copied into the workspace. engagement.yaml "
                   "records the version.")
@click.option("--currency", default="EUR", show_default=True, help="Currency code for budgets.")
def init(directory: Path, client: str, questionnaire_ref: str, currency: str) -> None:
    """Create an engagement workspace in DIRECTORY (engagement.yaml and reports/)."""
    from ..engagement import init_workspace

    ws = init_workspace(directory, client, questionnaire_ref, currency)
    click.echo(f"Created {show_path(ws.engagement_path)}")
    ref = ws.engagement.questionnaire
    if (ws.root / ref).is_file():
        click.echo(f"Copied the questionnaire to {show_path(ws.root / ref)} (the workspace is self-contained: "
                   "move it or zip it and send it)")
    click.echo("Next: edit its budget and deployments, then "
               f"`assess -w {directory} template -o survey.xlsx` to collect answers.")
