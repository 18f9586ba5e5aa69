"""``assess doctor``: is this machine (and this workspace) ready for an engagement?

Each check says what it found and, when something is wrong, how to fix it. Nothing
here contacts the network: the workshop checks look at this machine's own
interfaces and ports only.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = ["Check", "run_checks", "OK", "WARN", "FAIL", "SKIP"]

OK, WARN, FAIL, SKIP = "ok", "warn", "fail", "skip"

PDF_PACKAGES = ("Debian/Ubuntu: apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 "
                "fonts-dejavu-core; macOS: brew install pango; Windows: install GTK3 (MSYS2) as in "
                "WeasyPrint's installation guide")


@dataclass(frozen=True)
class Check:
    """One finding: ``status`` is ok, warn (works, with a caveat), fail (will not work) or skip."""

    area: str
    name: str
    status: str
    detail: str
    fix: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _python() -> list[Check]:
    v = sys.version_info
    text = f"Python {v.major}.{v.minor}.{v.micro} ({sys.executable})"
    if v < (3, 11):
        return [Check("system", "Python", FAIL, text, "install Python 3.11 or newer and reinstall assess with it")]
    return [Check("system", "Python", OK, text)]


def _find_library(*names: str) -> str | None:
    import ctypes.util

    for name in names:
        found = ctypes.util.find_library(name)
        if found:
            return found
    return None


def _pdf() -> list[Check]:
    out: list[Check] = []
    for label, names in (("Pango", ("pango-1.0", "libpango-1.0-0")),
                         ("HarfBuzz", ("harfbuzz", "libharfbuzz-0", "harfbuzz-subset"))):
        lib = _find_library(*names)
        out.append(Check("pdf", label, OK, f"found {lib}") if lib else
                   Check("pdf", label, WARN, "not found by name (the render test below decides)", PDF_PACKAGES))
    try:
        import weasyprint

        pdf = weasyprint.HTML(string="<p style='font-family: sans-serif'>Fähigkeit – 95 %</p>").write_pdf()
    except Exception as exc:  # OSError when Pango is missing; anything else is as fatal for reports
        out.append(Check("pdf", "PDF rendering", FAIL, f"WeasyPrint cannot render: {exc.__class__.__name__}: "
                                                      f"{str(exc).splitlines()[0] if str(exc) else ''}",
                         PDF_PACKAGES))
    else:
        ok = bytes(pdf or b"").startswith(b"%PDF")
        out.append(Check("pdf", "PDF rendering", OK if ok else FAIL,
                         f"WeasyPrint {weasyprint.__version__} rendered a test page" if ok else
                         "WeasyPrint returned no PDF", "" if ok else PDF_PACKAGES))
    out.append(_fonts())
    return out


def _fonts() -> Check:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return Check("pdf", "Fonts", SKIP if sys.platform in ("win32", "darwin") else WARN,
                     "fc-list not found, fonts not listed", "" if sys.platform in ("win32", "darwin") else
                     "install fontconfig and a font: apt-get install fontconfig fonts-dejavu-core")
    try:
        listed = subprocess.run([fc_list, ":", "family"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        return Check("pdf", "Fonts", WARN, f"fc-list failed: {exc}", "")
    families = {f.split(",")[0].strip() for f in listed.splitlines() if f.strip()}
    if not families:
        return Check("pdf", "Fonts", FAIL, "no fonts installed: the PDF would have no readable text",
                     "apt-get install fonts-dejavu-core (or any TrueType fonts)")
    return Check("pdf", "Fonts", OK, f"{len(families)} font families (e.g. {', '.join(sorted(families)[:3])})")


def _workspace(root: Path | None) -> list[Check]:
    from .engagement import ENGAGEMENT_FILE, find_workspace, open_workspace
    from .errors import AssessmentError

    try:
        ws = open_workspace(root) if root is not None else find_workspace()
    except AssessmentError as exc:
        status = FAIL if root is not None else SKIP
        return [Check("workspace", "Workspace", status, exc.one_line(),
                      "pass -w DIR (or set ASSESS_WORKSPACE), or create one with `assess init DIR --client NAME`"
                      if root is not None else "")]
    out = [Check("workspace", "Workspace", OK, str(ws.root))]
    out.append(_writable(ws.root, "Write access", "the workspace folder"))
    if ws.reports_dir.exists():
        out.append(_writable(ws.reports_dir, "Reports folder", "reports/"))
    try:
        q = ws.questionnaire
    except AssessmentError as exc:
        out.append(Check("workspace", ENGAGEMENT_FILE, FAIL, exc.one_line(),
                         f"correct {ENGAGEMENT_FILE} at the line named (`assess questionnaire validate` checks a "
                         "questionnaire file)"))
    else:
        q_path = _questionnaire_path(ws)
        inside = q_path is None or ws.root in q_path.parents
        out.append(Check("workspace", ENGAGEMENT_FILE, OK if inside else WARN,
                         f"valid; questionnaire {q.id} v{q.version}" + ("" if inside else f" read from {q_path}, "
                                                                       "outside the workspace"),
                         "" if inside else "copy the questionnaire into the workspace and name it by its relative "
                                           "path in engagement.yaml, so the folder can be moved or sent"))
    out.append(_store(ws.store_path))
    return out


def _questionnaire_path(ws: Any) -> Path | None:
    ref = ws.engagement.questionnaire
    candidate = Path(ref) if Path(ref).is_absolute() else ws.root / ref
    return candidate.resolve() if candidate.exists() else None


def _writable(folder: Path, name: str, what: str) -> Check:
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".assess-doctor-", delete=True):
            pass
    except OSError as exc:
        return Check("workspace", name, FAIL, f"cannot write in {folder}: {exc.strerror or exc}",
                     f"make {what} writable for you (or copy the workspace to a folder you own); a synced or "
                     "read-only share does not work")
    return Check("workspace", name, OK, f"can write in {folder}")


def _store(path: Path) -> Check:
    from .store import SCHEMA_VERSION

    if not path.exists():
        return Check("workspace", "Response store", SKIP, f"{path.name} not created yet (the first import creates it)")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            result = [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return Check("workspace", "Response store", FAIL, f"{path}: cannot be read as a store ({exc})",
                     "restore responses.sqlite from a backup, or move it aside and import the response files "
                     "again (they are listed in `assess responses`)")
    if result != ["ok"]:
        return Check("workspace", "Response store", FAIL, f"{path}: damaged ({'; '.join(result[:3])})",
                     "restore responses.sqlite from a backup, or move it aside and import the response files again")
    if not {"respondents", "answers"} <= tables:
        return Check("workspace", "Response store", FAIL, f"{path}: not an assess store (no respondents table)",
                     "move the file aside; the next import creates a new store")
    if version > SCHEMA_VERSION:
        return Check("workspace", "Response store", FAIL,
                     f"{path}: written by a newer assess (schema {version}, this one knows {SCHEMA_VERSION})",
                     "upgrade assess (pip install -U ...)")
    return Check("workspace", "Response store", OK, f"{path.name}: integrity ok, schema {version}")


def _workshop(interfaces: list[Any] | None) -> list[Check]:
    out: list[Check] = []
    missing = [m for m in ("starlette", "uvicorn", "segno", "ifaddr") if not _importable(m)]
    if missing:
        return [Check("workshop", "Workshop libraries", FAIL, f"missing: {', '.join(missing)}",
                      "reinstall assess with its dependencies: python -m pip install .")]
    out.append(Check("workshop", "Workshop libraries", OK, "starlette, uvicorn, segno, ifaddr"))
    from .workshop import net
    from .workshop.session import WorkshopError

    try:
        host = net.choose_bind("auto", interfaces)
    except WorkshopError as exc:
        out.append(Check("workshop", "Room network", WARN, exc.message,
                         "before the workshop: join the room's Wi-Fi or start a hotspot; or pass --bind IP"))
        host = None
    else:
        out.append(Check("workshop", "Room network", OK, f"phones would join on {host} (`assess workshop --bind auto`)"))
    out.append(_port(host or "127.0.0.1", 8765))
    out.append(_browser())
    return out


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _port(host: str, port: int) -> Check:
    """Can the workshop listen on ``host:port``? (binds and closes at once; sends nothing)"""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((host, port))
    except OSError as exc:
        return Check("workshop", "Workshop port", WARN, f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                     "another program (or a running workshop) holds the port: stop it, or use --port 0 for any "
                     "free port")
    finally:
        sock.close()
    return Check("workshop", "Workshop port", OK, f"{host}:{port} is free")


def _browser() -> Check:
    import webbrowser

    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return Check("workshop", "Browser", WARN, "no desktop here: the facilitator screen will not open by itself",
                     "open the facilitator link `assess workshop` prints in a browser on this machine")
    try:
        webbrowser.get()
    except webbrowser.Error:
        return Check("workshop", "Browser", WARN, "no web browser found",
                     "install a browser, or open the facilitator link by hand")
    return Check("workshop", "Browser", OK, "a browser can open the facilitator screen")


def run_checks(workspace: str | Path | None = None, *, pdf: bool = True, workshop: bool = True,
               interfaces: list[Any] | None = None,
               progress: Callable[[str], None] | None = None) -> list[Check]:
    """Every check, in order: the system, the PDF libraries, the workspace (``workspace``, else the
    nearest one upward, skipped when there is none) and the workshop prerequisites.

    ``interfaces`` (``assessment.workshop.net.Interface`` objects) replaces this machine's
    network interfaces, for tests.
    """
    say = progress or (lambda _: None)
    checks = _python()
    if pdf:
        say("Rendering a test PDF")
        checks += _pdf()
    say("Checking the workspace")
    checks += _workspace(Path(workspace) if workspace is not None else None)
    if workshop:
        say("Checking the workshop prerequisites")
        with contextlib.suppress(KeyboardInterrupt):
            checks += _workshop(interfaces)
    return checks
