"""The app's routes as (path pattern, methods, body kind): what the edge and the 405 handler need to know.

FastAPI 0.16x keeps included routers as lazy groups (``app.router.routes`` holds ``_IncludedRouter`` entries,
not the routes), so the table is read through ``fastapi.routing.iter_route_contexts``, the walk FastAPI's own
OpenAPI generator uses.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import FastAPI, params
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.convertors import Convertor
from starlette.requests import Request
from starlette.responses import Response

# A lean route's ``direct``: (request, the parsed JSON body) -> its answer, or None for FastAPI's handler.
Direct = Callable[[Request, Any], Awaitable[Response | None]]

BodyKind = Literal["json", "form", "multipart"]


@dataclass(frozen=True)
class RouteEntry:
    pattern: re.Pattern[str]
    methods: frozenset[str]
    body: BodyKind | None
    query: frozenset[str] | None  # the query parameters the route declares; None: not an API route, not checked
    route: object  # the router's own route: what scope["route"] holds once the router matched it
    direct: Direct | None = None  # a lean route's answer without the router (service/api/direct.py)
    convertors: Mapping[str, Convertor[Any]] | None = None  # the path parameters' converters, by name


def _body_kind(route: object) -> BodyKind | None:
    if not isinstance(route, APIRoute) or route.body_field is None:
        return None
    info = route.body_field.field_info
    if isinstance(info, params.File):
        return "multipart"
    if isinstance(info, params.Form):
        return "form"
    return "json"


def _query_names(route: object) -> frozenset[str] | None:
    if not isinstance(route, APIRoute):
        return None
    names: set[str] = set()
    stack = [route.dependant]
    while stack:  # the route's own parameters and those of its dependencies
        dependant = stack.pop()
        names.update(field.alias for field in dependant.query_params)
        stack.extend(dependant.dependencies)
    return frozenset(names)


class RouteTable:
    """Built on first use, when every router is included; routes do not change while the app serves."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._entries: list[RouteEntry] | None = None

    @property
    def entries(self) -> list[RouteEntry]:
        if self._entries is None:
            entries = []
            for context in iter_route_contexts(self.app.routes):
                pattern = getattr(context, "path_regex", None)
                methods = context.methods
                if pattern is not None and methods:
                    route = context.original_route
                    direct = getattr(route, "direct", None)
                    convertors = getattr(context, "param_convertors", None)
                    kind, query = _body_kind(route), _query_names(route)
                    entries.append(RouteEntry(pattern, frozenset(methods), kind, query, route, direct, convertors))
            self._entries = entries
        return self._entries

    def allowed(self, path: str) -> set[str]:
        """Every method some route answers on ``path``; HEAD wherever GET is (the edge serves it)."""
        methods: set[str] = set()
        for entry in self.entries:
            if entry.pattern.match(path):
                methods |= entry.methods
        if "GET" in methods:
            methods.add("HEAD")
        return methods

    def route_for(self, path: str, method: str) -> RouteEntry | None:
        """The route that serves ``method`` on ``path``, first match like the router."""
        for entry in self.entries:
            if method in entry.methods and entry.pattern.match(path):
                return entry
        return None
