"""The only door WeasyPrint has to the outside world while rendering a report.

WeasyPrint fetches every URL a document names. A report carries text typed by
respondents and consultants; even though all of it is escaped, the renderer must
not be able to read arbitrary local files or reach the network. This fetcher
serves exactly the package's template assets (CSS, fonts, images under
``templates/``) and the workspace logo file, from disk, and refuses everything
else. Every request is recorded so tests can prove nothing else was asked for.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import URLFetcher, URLFetcherResponse

from ..resources import templates_dir

_TYPES = {".css": "text/css", ".otf": "font/otf", ".ttf": "font/ttf", ".woff": "font/woff", ".woff2": "font/woff2",
          ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


class ForbiddenResource(ValueError):
    """A document asked for a URL outside the allowed assets."""


class RestrictedFetcher(URLFetcher):
    """Serve the template folder and one logo file; raise for anything else."""

    def __init__(self, logo: Path | None = None, assets: Path | None = None) -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False)
        self.assets = (assets or templates_dir()).resolve()
        self.logo = logo.resolve() if logo else None
        self.requested: list[str] = []
        self.served: list[str] = []
        self.denied: list[str] = []

    def allowed_path(self, url: str) -> Path | None:
        """The file ``url`` names if it is an allowed asset, else None."""
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            return None
        path = Path(unquote(parts.path)).resolve()
        if self.logo is not None and path == self.logo and path.is_file():
            return path
        if path.is_file() and path.is_relative_to(self.assets) and path.suffix.lower() in _TYPES:
            return path
        return None

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:  # noqa: ARG002
        self.requested.append(url)
        path = self.allowed_path(url)
        if path is None:
            self.denied.append(url)
            raise ForbiddenResource(f"report renderer refused to fetch {url[:200]!r}")
        self.served.append(url)
        ctype = _TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": ctype})
