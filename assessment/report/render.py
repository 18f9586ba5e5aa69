"""HTML and PDF rendering of the executive report.

Safety: Jinja2 autoescaping is on and user text never passes ``|safe`` (the only
``Markup`` values are the SVG charts, whose text :mod:`.charts` escapes itself);
WeasyPrint reads resources only through :class:`.fetcher.RestrictedFetcher` and
ignores HTML presentational hints. Reproducibility: the PDF's created/modified
dates come from ``SOURCE_DATE_EPOCH`` (else the report date), charts are
deterministic and nothing random is generated, so the same inputs give the same
bytes. Files are written atomically (temp file beside the target, then replace).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from jinja2 import Environment, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined, select_autoescape

from ..errors import ReportError
from ..fileio import atomic_write, write_text_atomic
from ..resources import templates_dir
from .context import ReportInputs, build_context

PDF_VARIANTS = ("pdf/ua-1", "pdf/a-3u")


class _QuietBytecodeCache(FileSystemBytecodeCache):
    """Jinja's own cache of compiled templates; a failure to write it only costs the next
    run a compile."""

    def dump_bytecode(self, bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def _bytecode_cache() -> FileSystemBytecodeCache | None:
    """Compiled templates kept between runs (compiling ``report.html`` is about 0.2 s of every
    report). Never in the workspace, which may come from someone else: in Jinja's default
    folder for this user, which Jinja creates private (0700) and refuses if anyone else owns
    it or can write to it. None when there is no such folder."""
    try:
        return _QuietBytecodeCache()
    except (OSError, RuntimeError):
        return None


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(templates_dir())),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      bytecode_cache=_bytecode_cache())
    return env


def _logo(inputs: ReportInputs) -> Path | None:
    path = inputs.logo_path
    if path is None:
        return None
    path = Path(path)
    if not path.is_file():
        raise ReportError("logo file not found (set `logo:` in engagement.yaml to a PNG/SVG in the workspace)",
                          file=str(path))
    if path.suffix.lower() not in (".png", ".svg", ".jpg", ".jpeg"):
        raise ReportError("logo must be a .png, .svg or .jpg file", file=str(path))
    return path.resolve()


def render_html(inputs: ReportInputs) -> str:
    """The report as one HTML document (stylesheet and fonts referenced from the template folder)."""
    logo = _logo(inputs)
    ctx = build_context(inputs, logo_url=logo.as_uri() if logo else None)
    return _environment().get_template("report.html").render(**ctx)


def html_to_pdf(html: str, path: Path | None = None, *, logo: Path | None = None, pdf_variant: str | None = None,
                fetcher=None) -> bytes:
    """Render HTML with the restricted fetcher; returns the PDF bytes (and writes them when ``path`` is given)."""
    import weasyprint

    from .fetcher import RestrictedFetcher

    if pdf_variant is not None and pdf_variant not in PDF_VARIANTS:
        raise ReportError(f"unknown PDF variant {pdf_variant!r}; use one of {', '.join(PDF_VARIANTS)}")
    fetcher = fetcher or RestrictedFetcher(logo=logo)
    doc = weasyprint.HTML(string=html, base_url=templates_dir().as_uri() + "/", url_fetcher=fetcher)
    options = {"presentational_hints": False, "pdf_variant": pdf_variant, "uncompressed_pdf": False}
    if pdf_variant == "pdf/ua-1":
        options["pdf_tags"] = True
    data = doc.write_pdf(**options)
    if path is not None:
        atomic_write(Path(path), lambda p: p.write_bytes(data))
    return data


def render_pdf(inputs: ReportInputs, path: str | Path, *, html_path: str | Path | None = None,
               pdf_variant: str | None = None, fetcher=None) -> Path:
    """Render the report to ``path`` (atomically); optionally also write the HTML to ``html_path``."""
    html = render_html(inputs)
    if html_path is not None:
        write_text_atomic(Path(html_path), html)
    try:
        html_to_pdf(html, Path(path), logo=_logo(inputs), pdf_variant=pdf_variant, fetcher=fetcher)
    except OSError as exc:
        raise ReportError(f"cannot write the PDF: {exc.strerror or exc}", file=str(path)) from None
    return Path(path)
