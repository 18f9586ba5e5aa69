"""Where the bundled questionnaires, templates and fonts live.

In a source checkout (and an editable install) they are the top-level folders
``questionnaires/`` and ``templates/``; a normal install copies them into the
package as ``assessment/_bundled/`` (see ``[tool.setuptools.package-dir]``).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    for candidate in (_PACKAGE / "_bundled" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"bundled folder `{name}` is missing from the installation")


def questionnaires_dir() -> Path:
    return _find("questionnaires")


def templates_dir() -> Path:
    return _find("templates")


def fonts_dir() -> Path:
    return templates_dir() / "fonts"


def samples_dir() -> Path:
    """The bundled demo engagement and its sample survey exports."""
    return questionnaires_dir() / "samples"
