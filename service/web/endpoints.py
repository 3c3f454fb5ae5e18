"""The pages people open: the questionnaire at `/`, a stored advice at `/advice/{id}`, the guide at `/guide`,
the API documentation at `/docs` and `/redoc`, and the page's static files. All left out of the OpenAPI schema."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

from service.errors import NotFound
from service.web import docs, guide_pages
from service.web.files import CONTENT_SECURITY_POLICY, INDEX, static_file

router = APIRouter(include_in_schema=False)
router.include_router(docs.router)
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


@router.get("/advice/{advice_id}")
def advice_page(advice_id: str) -> FileResponse:
    # The same page: its script reads the id from the path and shows the stored verdict (GET /v1/advice/{id}).
    return _serve(INDEX)


@router.get("/try")
def try_page() -> FileResponse:
    # The same page: its script opens "Try it on your data" (?advice= and ?experiment= restore what it showed).
    return _serve(INDEX)


@router.get("/static/{name}")
def static(name: str) -> FileResponse:
    return _serve(name)


def _html(text: str, status: int = 200) -> HTMLResponse:
    headers = {**_HEADERS, "Content-Security-Policy": guide_pages.GUIDE_CSP}
    return HTMLResponse(text, status_code=status, headers=headers)


@router.get("/guide")
def guide_index(lang: str = "en") -> HTMLResponse:
    return _html(guide_pages.index_page(guide_pages.lang_of(lang)))


@router.get("/guide/{section}")
def guide_section(section: str, lang: str = "en") -> HTMLResponse:
    language = guide_pages.lang_of(lang)
    page = guide_pages.section_page(section, language)
    if page is None:
        return _html(guide_pages.not_found_page(section, language), status=404)
    return _html(page)
