"""The OpenAPI document, amended to state what the edge enforces for every operation.

FastAPI documents what each route declares; the edge (service/api/edge.py) adds answers no route declares:
415 for a body of the wrong type, 400 ``invalid_json``, 422 ``nul_character`` in a parameter. And FastAPI
spells a file part as ``contentMediaType: application/octet-stream`` only, which generators such as
schemathesis read as a JSON string; ``format: binary`` says it is bytes, whatever they are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from service import quotas
from service.api.problems import problem_responses
from service.config import Settings

_OCTETS = "application/octet-stream"


def _binary_parts(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("contentMediaType") == _OCTETS and node.get("type") == "string":
            node.setdefault("format", "binary")
        for child in node.values():
            _binary_parts(child)
    elif isinstance(node, list):
        for child in node:
            _binary_parts(child)


def amend(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the edge's answers to every operation (idempotent: safe on a cached document)."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            statuses: list[int] = []
            body = operation.get("requestBody", {}).get("content", {})
            if body:
                statuses.append(415)
            if "application/json" in body:
                statuses.append(400)
            if operation.get("parameters") or body:
                statuses.append(422)
            for status, response in problem_responses(*statuses).items():
                responses.setdefault(str(status), response)
    _binary_parts(schema.get("components", {}))
    return schema


# (schema, property) -> the quota that bounds that list: the document states this server's limits (service/quotas.py).
QUOTA_BOUNDS = {("EvaluateIn", "items"): "evaluation_items", ("FewShotRequest", "examples"): "few_shot_examples"}


def state_quotas(schema: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Bound each list a quota limits by the quota's configured value, so clients and generators see the real limit."""
    components = schema.get("components", {}).get("schemas", {})
    for (name, field), quota in QUOTA_BOUNDS.items():
        prop = components.get(name, {}).get("properties", {}).get(field)
        if prop is None:
            continue
        arrays = [option for option in prop.get("anyOf", [prop]) if option.get("type") == "array"]
        for array in arrays:
            array["maxItems"] = min(array.get("maxItems", quotas.limit(settings, quota)), quotas.limit(settings, quota))
        env = quotas.QUOTAS[quota].env
        note = f" At most {quotas.limit(settings, quota):,} here ({env}); 413 `quota_exceeded` beyond."
        if not prop.get("description", "").endswith(note):
            prop["description"] = prop.get("description", "").rstrip() + note
    return schema


def install(app: FastAPI) -> None:
    """Serve the amended document at /openapi.json (and to /docs)."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        return state_quotas(amend(generate()), app.state.settings)

    app.openapi = openapi  # type: ignore[method-assign]
