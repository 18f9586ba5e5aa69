"""The ``assess`` command line: parses options, calls the library, formats output.

Each command group lives in its own module in this package; heavy libraries
(pandas, weasyprint, openpyxl) are imported inside the commands so that
``assess --help`` stays instant. Every :class:`~assessment.errors.AssessmentError`
becomes a one-line ``Error: <file>: <what>`` with exit code 1 (the first problem
first, the others below it); ``--debug`` shows the traceback instead. Usage errors
(an unknown or misplaced option) exit 2 and say where the option goes.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from .. import __version__

# Every matrix product here is small (respondents x questions times a few columns), so
# a pool of BLAS threads only adds hand-offs, and on a busy machine their spinning made
# `assess score` five times slower. One thread, unless the user chose otherwise; set
# before numpy loads (worker processes inherit it).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
# pydantic looks for third-party plugins (observers of every validation) by reading the
# metadata of every installed package, at the first model; the CLI has no use for them.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

#: The environment variable that names the workspace when -w is not given.
WORKSPACE_ENV = "ASSESS_WORKSPACE"
_SUB_WORKSPACES = "assess.workspace"


def show_path(path: str | Path) -> str:
    """``path`` as printed to the user: relative to the current folder when it lies inside
    it (and that is shorter), else absolute; never a ``../..`` walk the reader must undo."""
    text = str(path)
    try:
        absolute = Path(path).resolve()
        relative = os.path.relpath(absolute, Path.cwd())
    except (OSError, ValueError):  # another drive on Windows, a vanished cwd
        return text
    inside = relative != ".." and not relative.startswith(".." + os.sep)
    return relative if inside and len(relative) < len(str(absolute)) else str(absolute)


def _with_shown_path(text: str, file: str | None) -> str:
    return show_path(file) + text[len(file):] if file and text.startswith(file) else text


def _owners(command: click.Command, option: str, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The command paths (below ``command``) that accept ``option``."""
    found: list[tuple[str, ...]] = []
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            if any(option in (*p.opts, *p.secondary_opts) for p in sub.params if isinstance(p, click.Option)):
                found.append((*path, name))
            found += _owners(sub, option, (*path, name))
    return found


def _where_it_goes(ctx: click.Context, option: str, args: list[str] | None = None) -> str:
    """A hint for an option given in the wrong place: before or after which command it belongs."""
    here = ctx.command_path
    if option in ("-w", "--workspace") and ctx.parent is not None:
        return f" `{here}` does not use a workspace."
    parent = ctx.parent
    while parent is not None:  # an option of an enclosing command, given after a subcommand
        if any(option in (*p.opts, *p.secondary_opts) for p in parent.command.params if isinstance(p, click.Option)):
            rest = here[len(parent.command_path):].strip()
            return (f" {option} is an option of `{parent.command_path}`: put it before `{rest}`, "
                    f"e.g. `{parent.command_path} {option} ... {rest}`.")
        parent = parent.parent
    owners = _owners(ctx.command, option)
    if owners:
        # The command typed after the misplaced option, when it is one that takes it.
        typed = next((o for o in owners if args and o[0] in args and all(x in args for x in o)), owners[0])
        names = ", ".join(f"`{here} {' '.join(o)}`" for o in owners[:6]) + (", ..." if len(owners) > 6 else "")
        return (f" {option} belongs to {names}: put it after the command's name, "
                f"e.g. `{here} {' '.join(typed)} {option} ...`.")
    return ""


class _HintingCommand(click.Command):
    """A command whose unknown-option error says where the option goes."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as exc:
            exc.message += _where_it_goes(ctx, exc.option_name)
            raise


class _Group(click.Group):
    """Turns domain errors into one-line messages at the edge of the program."""

    command_class = _HintingCommand
    group_class = type  # subgroups are _Group too

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as exc:
            exc.message += _where_it_goes(ctx, exc.option_name, args)
            raise

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        from ..errors import AssessmentError

        try:
            return super().invoke(ctx)
        except AssessmentError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            # The first problem first (on the Error line), then the others in order.
            file = exc.file or (exc.problems[0].file if exc.problems else None)
            click.echo(f"Error: {_with_shown_path(exc.one_line(), file)}", err=True)
            for problem in exc.problems[1:21]:
                click.echo(f"  {_with_shown_path(str(problem), problem.file)}", err=True)
            if len(exc.problems) > 21:
                click.echo(f"  ... {len(exc.problems) - 21} more", err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo("Interrupted; nothing half-written was kept.", err=True)
            sys.exit(130)


def _remember_workspace(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        ctx.meta.setdefault(_SUB_WORKSPACES, []).append(value)


def workspace_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """``-w/--workspace DIR`` on a command, so it may also come after the command's name.

    The value is merged with the one given before the command (see :func:`chosen_workspace`).
    """
    return click.option("-w", "--workspace", "workspace_", type=click.Path(file_okay=False, path_type=Path),
                        default=None, expose_value=False, callback=_remember_workspace, is_eager=True,
                        help=f"Engagement folder (as `assess -w DIR ...`; default: ${WORKSPACE_ENV}, else "
                             "the nearest one at or above the current folder).")(f)


def chosen_workspace(ctx: click.Context) -> Path | None:
    """The workspace folder the user named, or None (then the nearest one upward is used).

    ``-w`` after the command wins over ``$ASSESS_WORKSPACE``; ``-w`` given both before and
    after the command with different folders is a usage error.
    """
    root = ctx.find_root()
    group_value = (root.obj or {}).get("workspace")
    explicit_group = root.get_parameter_source("workspace") == ParameterSource.COMMANDLINE
    subs = ctx.meta.get(_SUB_WORKSPACES, [])
    given = ([group_value] if explicit_group and group_value is not None else []) + list(subs)
    if given:
        distinct = {Path(p).resolve() for p in given}
        if len(distinct) > 1:
            raise click.UsageError("-w/--workspace names different folders ("
                                   + ", ".join(str(p) for p in dict.fromkeys(given))
                                   + "); give it once, before or after the command")
        return given[-1]
    return group_value


def format_option(*choices: str, help: str, json_alias: bool = False) -> Callable[..., Any]:
    """``--format table|json|csv`` (the first choice is the default); the command gets ``fmt``.

    With ``json_alias``, the old ``--json`` flag still works as a hidden, deprecated
    spelling of ``--format json`` (scripts written for it keep working).
    """
    choices = choices or ("table", "json", "csv")

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(f)
        def wrapper(*args: Any, fmt: str | None = None, json_flag: bool = False, **kwargs: Any) -> Any:
            if json_flag:
                if fmt not in (None, "json"):
                    raise click.UsageError(f"--json means --format json; it cannot go with --format {fmt}")
                fmt = "json"
            return f(*args, fmt=fmt or choices[0], **kwargs)

        if json_alias:
            wrapper = click.option("--json", "json_flag", is_flag=True, hidden=True,
                                   help="Deprecated: use --format json.")(wrapper)
        return click.option("--format", "fmt", type=click.Choice(choices), default=None,
                            help=f"{help} Default: {choices[0]}.")(wrapper)

    return decorate


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="assess")
@click.option("-w", "--workspace", type=click.Path(file_okay=False, path_type=Path), default=None,
              envvar=WORKSPACE_ENV, show_envvar=True,
              help="Engagement folder (holds engagement.yaml). May also follow the command "
                   "(`assess score -w DIR`). Default: the nearest one at or above the current folder.")
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
      assess -w acme plan --save                  the 90-day plan, kept for day 90
      assess -w acme report                       the PDF and results workbook
      assess -w acme guide -o guide.pdf           the workshop guide
    Try `assess demo` for a complete example, and `assess doctor` if something will not run.
    Exit codes: 0 done, 1 an error in the input or the workspace, 2 a usage error.
    """
    ctx.ensure_object(dict)
    ctx.obj["workspace"] = workspace
    ctx.obj["debug"] = debug


def workspace_from(ctx: click.Context):
    """The workspace named by -w (before or after the command) or $ASSESS_WORKSPACE, or the nearest one upward."""
    from ..engagement import open_workspace

    return open_workspace(chosen_workspace(ctx))


# Importing the command modules registers their commands on `cli`; they import
# nothing heavy at module level.
for _module in ("workspace", "questionnaire", "responses", "score", "plan", "report", "guide", "demo",
                "workshop", "doctor"):
    import_module(f"{__name__}.{_module}")

# Commands defined in modules that do not add -w themselves still accept it after their name.
for _name in ("report", "workshop"):
    _command = cli.commands.get(_name)
    if _command is not None and not any("--workspace" in p.opts for p in _command.params):
        workspace_option(_command)


def main() -> None:
    """The ``assess`` console script: run the command, then leave without a teardown."""
    try:
        cli(prog_name="assess")
    except SystemExit as exc:
        _leave(exc.code)
    _leave(0)


def _leave(code: int | str | None) -> None:
    """Exit with ``code`` without tearing the interpreter down.

    After a command, CPython frees every object one at a time (the loaded answers, pandas,
    pydantic's models): 0.2 s of a 1 s ``assess score``. The steps of a normal exit that
    matter are kept, in its order: wait for running threads (and their exit hooks), run the
    ``atexit`` handlers, flush the standard streams. Files, workbooks and store connections
    are closed by the commands themselves before this point.
    """
    import atexit
    import contextlib
    import threading

    if isinstance(code, str):  # sys.exit("message"): printed, status 1, as Python does
        click.echo(code, err=True)
        code = 1
    status = 0 if code is None else int(code)
    shutdown = getattr(threading, "_shutdown", None)
    if shutdown is None or threading.current_thread() is not threading.main_thread():
        sys.exit(status)  # an interpreter we do not know: the ordinary exit
    shutdown()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (`assess score | head`)
            stream.flush()
    os._exit(status)
