"""``assess demo``: the bundled demonstration engagement, end to end."""

from __future__ import annotations

from pathlib import Path

import click

from . import cli, show_path


@cli.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=True, path_type=Path), default=Path("assess-demo"),
              show_default=True,
              help="Folder for the demo workspace. A previous demo there is deleted and recreated; "
                   "any other non-empty folder is left alone (the command refuses).")
def demo(out_dir: Path) -> None:
    """Run a complete example engagement with fictional data, offline.

    Creates a workspace for "Northwind Mutual (fictional)", imports 90 synthetic
    answers from a Google Forms CSV and a SurveyMonkey workbook through the real
    importers, scores them, builds the 90-day plan and writes the PDF report and
    the results workbook. Each step is printed; the files are yours to open.

    \b
    Then try, on the demo workspace:
      assess -w assess-demo responses         who answered, by role and unit
      assess -w assess-demo score --by role   scores and the perception gap
      assess -w assess-demo plan              the 90-day plan
    """
    from ..demo import run_demo

    result = run_demo(out_dir, progress=lambda line: click.echo(f"- {line}"))
    click.echo("")
    click.echo(f"Workspace: {show_path(result.workspace)}")
    for label, path in (("PDF report", result.pdf), ("Results workbook", result.xlsx)):
        if path is not None:
            click.echo(f"{label}: {show_path(path)}")
    click.echo(f"Next: `assess -w {out_dir} score` or open the files above.")
