"""Writing files so that a crash or Ctrl-C never leaves a half-written one.

Every output of the toolkit (reports, workbooks, plans, engagement.yaml, the
response snapshot) goes through :func:`atomic_write`: the content is written to a
temporary file in the target folder, then renamed over the target in one step.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _umask() -> int:
    """The process umask (read without changing it where the system allows)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # pragma: no cover - systems without /proc
    os.umask(mask)
    return mask


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)``, then rename the temporary file onto ``path``.

    The temporary file is removed if ``write`` fails (including KeyboardInterrupt),
    so the target is either the old file or the complete new one. The file gets the
    mode a plain ``open()`` would give it (0666 less the umask), not the temporary
    file's private 0600.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(path: str | Path, text: str) -> Path:
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def dump_json(data: Any) -> str:
    """JSON as every command prints and saves it: indented, UTF-8, never NaN."""
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False)
