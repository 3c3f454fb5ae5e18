"""The questionnaire page at `/` and its static files: served by the app itself, left out of the OpenAPI schema."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from service.errors import NotFound
from service.web.files import CONTENT_SECURITY_POLICY, INDEX, static_file

router = APIRouter(include_in_schema=False)
# Revalidate on every load (the ETag makes that a 304): a new release is picked up without a hard refresh.
_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}


def _serve(name: str) -> FileResponse:
    found = static_file(name)
    if found is None:
        raise NotFound(f"No page file {name!r}; the questionnaire is at /.", code="static_file_not_found")
    path, media_type = found
    headers = dict(_HEADERS)
    if name == INDEX:
        headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return FileResponse(path, media_type=media_type, headers=headers)


@router.get("/")
def index() -> FileResponse:
    return _serve(INDEX)


@router.get("/static/{name}")
def static(name: str) -> FileResponse:
    return _serve(name)
