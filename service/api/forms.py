"""One value per scalar form field: a form route's guard against a field sent twice.

A multipart or url-encoded body may repeat a field (``-F model=a -F model=b``). FastAPI then keeps the last
value of a field declared as one value and drops the others without a word, so the caller does not learn which
model their file was checked against. Every form route depends on ``one_value_each`` (a test in
tests/service/api/test_forms.py holds every form route in the table to it): a field the route reads as one value
that arrives more than once is 422 ``repeated_field``, naming the field. Fields declared as lists (the documents
of an upload) may repeat.

The check reads the form FastAPI has already parsed for the route (Starlette keeps it on the request), so it
costs a look-up per field, not a second parse.
"""

from __future__ import annotations

import types
from collections.abc import Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from fastapi import Depends
from fastapi.routing import APIRoute
from starlette.requests import Request

from service.errors import ValidationFailed

_MANY = (list, tuple, set, frozenset, Sequence)


class RepeatedField(ValidationFailed):
    code = "repeated_field"
    title = "A form field was sent more than once"

    def __init__(self, name: str, times: int) -> None:
        super().__init__(f"The form field {name!r} was sent {times} times; this route reads one value: send it once.", field=name)


def _takes_many(annotation: Any) -> bool:
    """Whether a form parameter declared as ``annotation`` holds several values (a list, possibly optional)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _takes_many(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return any(_takes_many(arg) for arg in get_args(annotation) if arg is not type(None))
    return isinstance(origin, type) and issubclass(origin, _MANY)


_KEPT = "_advisor_single_form_fields"  # kept on the route: Starlette's routes compare by value and do not hash


def single_fields(route: APIRoute) -> tuple[str, ...]:
    """The names of ``route``'s form fields that hold one value (routes do not change while the app serves)."""
    names: tuple[str, ...] | None = getattr(route, _KEPT, None)
    if names is None:
        params = route.dependant.body_params
        names = tuple(field.alias for field in params if not _takes_many(field.field_info.annotation))
        setattr(route, _KEPT, names)
    return names


async def one_value_each(request: Request) -> None:
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    names = single_fields(route)
    if not names:
        return
    form = await request.form()  # the form FastAPI parsed for the route, kept on the request
    for name in names:
        if (times := len(form.getlist(name))) > 1:
            raise RepeatedField(name, times)


OneValueEach = Depends(one_value_each)
