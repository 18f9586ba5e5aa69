"""The ``assess`` command line: parses options, calls the library, formats output.

Each command group lives in its own module in this package; heavy libraries
(pandas, weasyprint, openpyxl) are imported inside the commands so that
``assess --help`` stays instant. Every :class:`~assessment.errors.AssessmentError`
becomes a one-line ``Error: <file>: <what>`` with exit code 1; ``--debug`` shows
the traceback instead.
"""

from __future__ import annotations

import sys
from importlib import import_module
from pathlib import Path

import click

from .. import __version__


class _Group(click.Group):
    """Turns domain errors into one-line messages at the edge of the program."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        from ..errors import AssessmentError

        try:
            return super().invoke(ctx)
        except AssessmentError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            for problem in exc.problems[1:21]:
                click.echo(f"  {problem}", err=True)
            if len(exc.problems) > 21:
                click.echo(f"  ... {len(exc.problems) - 21} more", err=True)
            raise click.ClickException(exc.one_line()) from None
        except KeyboardInterrupt:
            click.echo("Interrupted; nothing half-written was kept.", err=True)
            sys.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="assess")
@click.option("-w", "--workspace", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Engagement folder (holds engagement.yaml). Default: the nearest one at or above "
                   "the current folder.")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.pass_context
def cli(ctx: click.Context, workspace: Path | None, debug: bool) -> None:
    """AI-transformation assessment toolkit: questionnaires, survey import, scoring,
    a 90-day plan and a board-ready report.

    \b
    A typical engagement:
      assess init acme --client "Acme Corp"      create a workspace
      assess -w acme template -o survey.xlsx      the workbook to send out
      assess -w acme import returns/*.xlsx        import what comes back
      assess -w acme score                        scores and how far to trust them
      assess -w acme plan                         the 90-day hardening plan
      assess -w acme report                       the PDF and results workbook
      assess -w acme guide -o guide.pdf           the workshop guide
    Try `assess demo` for a complete example.
    """
    ctx.ensure_object(dict)
    ctx.obj["workspace"] = workspace
    ctx.obj["debug"] = debug


def workspace_from(ctx: click.Context):
    """The workspace named by -w, or the nearest one upward."""
    from ..engagement import open_workspace

    return open_workspace(ctx.obj.get("workspace") if ctx.obj else None)


# Importing the command modules registers their commands on `cli`; they import
# nothing heavy at module level.
for _module in ("workspace", "questionnaire", "responses", "score", "plan", "report", "guide", "demo",
                "workshop"):
    import_module(f"{__name__}.{_module}")


def main() -> None:
    cli(prog_name="assess")
