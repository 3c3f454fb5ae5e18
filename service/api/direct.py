"""A lean route answered by the edge without FastAPI's router (ADR 0024).

Once the edge has read and parsed a JSON body for a route it knows (service/api/edge.py), a lean route
(service/api/lean.py) can answer at once: no router walk over the included routers, no second parse of the body, no
exception and exit-stack middleware, no request/response wrapper. Everything the route needs from them is done here:
the path parameters (with the route's converters), and the app's exception handlers, looked up as Starlette's
exception middleware does (a status code's handler for an HTTPException, else the nearest class in the exception's
MRO; the 500 and ``Exception`` handlers are left to the server-error middleware outside, as before). A request the
lean route does not take (the body field refuses it, a query it does not know, dependency overrides) goes on to the
router with its body intact.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

if TYPE_CHECKING:
    from service.api.route_table import RouteEntry

Handler = Any  # (request, exception) -> response, sync or async


async def answer_directly(route: RouteEntry, value: Any, scope: Scope, receive: Receive, send: Send) -> bool:
    """Answer the request with ``route``'s lean handler and return True, or return False with nothing sent (and
    nothing read from ``receive``) when the route leaves it to the router."""
    assert route.direct is not None
    if route.convertors:
        found = route.pattern.match(scope["path"])
        assert found is not None, "the edge found this route by this pattern"
        scope["path_params"] = {name: route.convertors[name].convert(raw) for name, raw in found.groupdict().items()}
    request = Request(scope, receive, send)
    try:
        response = await route.direct(request, value)
    except Exception as exc:
        handler = handler_for(scope["app"].exception_handlers, exc)
        if handler is None:
            raise
        if _is_async(handler):
            response = await handler(request, exc)
        else:
            response = await run_in_threadpool(handler, request, exc)
        if response is None:
            return True
    if response is None:
        scope.pop("path_params", None)  # the router sets its own
        return False
    await response(scope, receive, send)
    return True


def handler_for(handlers: Mapping[Any, Handler], exc: Exception) -> Handler | None:
    """The handler Starlette's exception middleware would call for ``exc``; None for those it leaves to the
    server-error middleware (500 and ``Exception``) or when there is none."""
    if isinstance(exc, HTTPException) and exc.status_code != 500 and exc.status_code in handlers:
        return handlers[exc.status_code]
    for kind in type(exc).__mro__:
        if kind is Exception:
            return None
        if kind in handlers:
            return handlers[kind]
    return None


def _is_async(handler: Handler) -> bool:
    while hasattr(handler, "func"):  # functools.partial
        handler = handler.func
    return inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(type(handler).__call__)
