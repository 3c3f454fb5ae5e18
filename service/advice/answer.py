"""An advice row's JSON columns, encoded once, and the answers made of them.

The verdict is most of a stored advice (~5 KB of JSON) and all of its response. pydantic writes a model's JSON straight
from the model (``to_json``), without the dict that ``model_dump(mode="json")`` builds and orjson then encodes; the
columns hold those bytes (``Encoded``: the JSON column stores them as they are) and the response is spliced from the
same bytes. Encoding the 12 public verdicts so took 188,000 instructions each instead of 254,000, and a cold advice
in process 1.237 M instead of 1.345 M (callgrind; docs/benchmarks.md, the section of 2026-12-07 17:11).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from rules.facts import Profile
from rules.model import Verdict
from service.advice.schemas import AdviceOut, AdviceRequest
from service.store.db import Encoded, dump_bytes
from service.store.models import AdviceRow

OnVerdict = Callable[[str], None]  # told the strategy of each stored advice (the caller's metrics count it)
_VERDICT_JSON = Verdict.__pydantic_serializer__.to_json
_PROFILE_JSON = Profile.__pydantic_serializer__.to_json
_REQUEST_JSON = AdviceRequest.__pydantic_serializer__.to_json


def columns(profile: Profile, verdict: Verdict, notes: list[str], request: AdviceRequest) -> dict[str, Encoded]:
    """The row's ``profile``, ``verdict`` (with its ``notes`` last) and ``request`` (without the profile and examples)
    columns, as ``model_dump(mode="json")`` gives them, encoded."""
    verdict_json = _VERDICT_JSON(verdict, by_alias=True)
    return {
        "profile": Encoded(_PROFILE_JSON(profile)),
        "verdict": Encoded(b'%s,"notes":%s}' % (verdict_json[:-1], dump_bytes(notes))),
        "request": Encoded(_REQUEST_JSON(request, exclude={"profile", "examples"}, exclude_none=True)),
    }


def stored(values: dict[str, Any], on_verdict: OnVerdict | None) -> dict[str, Any]:
    """After the commit: the verdict counted, and the response's JSON data."""
    if on_verdict is not None:  # here, not in a route: questionnaire and Slack advice count too
        on_verdict(values["strategy"])
    return _payload(values["id"], values["created_at"], values["verdict"].value(), values["profile"].value(), values["artifact"])


def stored_body(values: dict[str, Any], on_verdict: OnVerdict | None) -> bytes:
    """``stored``'s data as the response's JSON body, made of the bytes the row's columns were stored from: the
    verdict's keys, then ``id``, ``created_at``, ``profile`` and ``artifact``, as ``_payload`` orders them."""
    if on_verdict is not None:
        on_verdict(values["strategy"])
    verdict: bytes = values["verdict"].json
    return b'%s,"id":"%s","created_at":"%s","profile":%s,"artifact":%s}' % (
        verdict[:-1],
        values["id"].encode(),
        _stamp(values["created_at"]).encode(),
        values["profile"].json,
        dump_bytes(values["artifact"]),
    )


def _payload(
    advice_id: str, created_at: dt.datetime, verdict: dict[str, Any], profile: dict[str, Any], artifact: dict[str, Any] | None
) -> dict[str, Any]:
    return {**verdict, "id": advice_id, "created_at": _stamp(created_at), "profile": profile, "artifact": artifact}


def _stamp(created_at: dt.datetime) -> str:
    return created_at.isoformat().replace("+00:00", "Z")


def to_out(row: AdviceRow) -> AdviceOut:
    # Not from_attributes: the verdict is one JSON column whose keys are the response's top level.
    return AdviceOut.model_validate(_payload(row.id, row.created_at, row.verdict, row.profile, row.artifact))
