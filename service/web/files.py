"""The page's files: which names may be served from service/web/static/, and as what media type.

Only files that exist in the folder and have a known suffix are served, so a request can never
reach outside it (no path is ever joined from user input).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}
INDEX = "index.html"
# Only the page's own files run and load: no inline script, nothing from another origin (the page works offline).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


@cache
def _catalog() -> dict[str, Path]:
    # Listed once per process on first use: the files ship with the package and do not change while it runs.
    return {path.name: path for path in STATIC_DIR.iterdir() if path.is_file() and path.suffix in MEDIA_TYPES}


def static_file(name: str) -> tuple[Path, str] | None:
    """The file called ``name`` and its media type, or None when the page has no such file."""
    path = _catalog().get(name)
    return None if path is None else (path, MEDIA_TYPES[path.suffix])
