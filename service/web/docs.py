"""`/docs` (Swagger UI) and `/redoc` that work offline: their scripts and styles come from this server.

FastAPI's own pages load Swagger UI and ReDoc from a CDN, so they are blank on a machine without internet.
The same files ship in the `fastapi-offline` package (MIT; Swagger UI is Apache-2.0, ReDoc MIT): they are
served from there, and only those four files, by name.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

from service.errors import NotFound

router = APIRouter(include_in_schema=False)
ASSET_DIR = Path(str(files("fastapi_offline") / "static"))
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}
ASSET_URL = "/docs/assets/"
# The validator badge would ask validator.swagger.io about every schema: nothing leaves this server.
SWAGGER_PARAMETERS = {"validatorUrl": None, "docExpansion": "list", "defaultModelsExpandDepth": 0}
# Only this server: ReDoc's menu shows a logo from its vendor's CDN, which the browser then never asks for
# (the image hides itself). FastAPI writes the start-up script inline, and both viewers set inline styles.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def _strict(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = DOCS_CSP
    return page


def _openapi_url(request: Request) -> str:
    return f"{request.scope.get('root_path', '')}{request.app.openapi_url}"


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    return _strict(
        get_swagger_ui_html(
            openapi_url=_openapi_url(request),
            title=f"{request.app.title} · API",
            swagger_js_url=f"{root}{ASSET_URL}swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSET_URL}swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSET_URL}favicon.png",
            swagger_ui_parameters={**(request.app.swagger_ui_parameters or {}), **SWAGGER_PARAMETERS},
        )
    )


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    return _strict(
        get_redoc_html(
            openapi_url=_openapi_url(request),
            title=f"{request.app.title} · API",
            redoc_js_url=f"{root}{ASSET_URL}redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSET_URL}favicon.png",
            with_google_fonts=False,
        )
    )


@router.get(ASSET_URL + "{name}")
def asset(name: str) -> FileResponse:
    media_type = ASSETS.get(name)
    if media_type is None:
        raise NotFound(f"No documentation asset {name!r}.", code="static_file_not_found")
    # The files change only with the installed package: a day in the browser cache is safe.
    headers = {"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"}
    return FileResponse(ASSET_DIR / name, media_type=media_type, headers=headers)
