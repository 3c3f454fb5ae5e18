"""Every route that reaches the database is a sync route, so its blocking calls run in the thread pool (ADR 0006)."""

from __future__ import annotations

import inspect
from collections.abc import Iterator

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from service import deps
from service.api.routers import ROUTERS

DATABASE_DEPENDENCIES = {deps.get_session, deps.get_database, deps.get_served}


def _calls(dependant: Dependant) -> Iterator[object]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def test_no_route_touches_the_database_on_the_event_loop() -> None:
    routes = [route for router in ROUTERS for route in router.routes if isinstance(route, APIRoute)]
    database_routes = [route for route in routes if DATABASE_DEPENDENCIES & set(_calls(route.dependant))]
    assert len(database_routes) > 20  # the walk found the routes, not nothing
    on_the_loop = sorted(
        f"{sorted(r.methods or ())[0]} {r.path}" for r in database_routes if inspect.iscoroutinefunction(r.endpoint)
    )
    assert on_the_loop == []
