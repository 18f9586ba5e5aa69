"""Every command and option a user can type is documented in the README or docs/."""

from __future__ import annotations

import re
from pathlib import Path

import click

from assessment.cli import cli

ROOT = Path(__file__).resolve().parents[1]


def _documentation() -> str:
    parts = [(ROOT / "README.md").read_text(encoding="utf-8")]
    parts += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").rglob("*.md"))]
    return "\n".join(parts)


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    out = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        path = (*prefix, name)
        out.append((path, command))
        if isinstance(command, click.Group):
            out.extend(_commands(command, path))
    return out


def _options(command: click.Command) -> list[list[str]]:
    """Each visible option's spellings (``["-o", "--output"]``); one of them must be documented."""
    return [[*param.opts, *param.secondary_opts] for param in command.params
            if isinstance(param, click.Option) and not param.hidden and "--help" not in param.opts]


def _mentions(docs: str, word: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", docs) is not None


def test_every_command_and_option_is_documented() -> None:
    docs = _documentation()
    missing = [f"assess {' '.join(path)}" for path, _ in _commands(cli) if f"assess {' '.join(path)}" not in docs]
    for path, command in [((), cli), *_commands(cli)]:
        missing += [f"{' '.join(('assess', *path))} {'/'.join(spellings)}" for spellings in _options(command)
                    if not any(_mentions(docs, s) for s in spellings)]
    assert not missing, "undocumented in README.md or docs/: " + "; ".join(missing)
