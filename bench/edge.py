"""What the request edge (service/api/edge.py) costs per request, measured on the edge alone.

Run: .venv/bin/python bench/edge.py [--requests N]

Drives ``RequestEdge`` around an ASGI app that reads the body and answers 200, in one process (no server, no
network), against the same app without the edge, interleaved in slices so background load hits both alike.
Cases: a GET with a query string, a POST /v1/advice with a profile-sized JSON body (~0.5 KB), and a POST
/v1/prompts/few-shot with 500 examples (~36 KB). The edge's route table comes from the real app. Prints µs
per request and the difference; not a pass/fail test. A whole advice request costs about 100 µs in-process
(docs/benchmarks.md), so read the difference against that.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/http.py would shadow the standard library's http package with this folder first on sys.path.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

from starlette.types import Message, Receive, Scope, Send  # noqa: E402

from service.api.edge import RequestEdge  # noqa: E402
from service.config import Settings  # noqa: E402
from service.main import create_app  # noqa: E402

PROFILE = {
    "task": "Answer policy questions in our brand voice; policies change monthly",
    "provider": "openai",
    "examples": 3000,
    "example_quality": "high",
    "knowledge_changes": "monthly",
    "knowledge_size": "large",
    "prompting_status": "insufficient",
    "needs_citations": True,
}
FEW_SHOT = {
    "task": "Label support tickets",
    "token_budget": 4000,
    "examples": [{"input": f"Ticket {i}: my invoice {i} is wrong", "output": f"billing-{i % 3}"} for i in range(500)],
}


async def sink(scope: Scope, receive: Receive, send: Send) -> None:
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def case(method: str, path: str, query: bytes = b"", body: bytes = b"") -> tuple[Scope, bytes]:
    headers = [(b"content-type", b"application/json")] if body else []
    scope = {"type": "http", "method": method, "path": path, "query_string": query, "headers": headers}
    return scope, body


async def run(app: Any, scope: Scope, body: bytes, n: int) -> float:
    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        pass

    start = time.perf_counter()
    for _ in range(n):
        await app(dict(scope), receive, send)
    return (time.perf_counter() - start) / n * 1e6


async def main(requests: int) -> None:
    fastapi = create_app(Settings(data_dir=Path(tempfile.mkdtemp(prefix="bench-edge-")), log_level="WARNING"))
    edge = RequestEdge(sink, fastapi=fastapi)
    cases = {
        "GET /v1/advice?limit=20": case("GET", "/v1/advice", b"limit=20"),
        "POST /v1/advice (0.5 KB)": case("POST", "/v1/advice", body=json.dumps(PROFILE).encode()),
        "POST /v1/prompts/few-shot (36 KB)": case("POST", "/v1/prompts/few-shot", body=json.dumps(FEW_SHOT).encode()),
    }
    print(f"{'case':36} {'without µs':>11} {'with µs':>9} {'edge µs':>8}")
    for name, (scope, body) in cases.items():
        n = max(20, requests // (1 + len(body) // 2000))
        plain, guarded = [], []
        for _ in range(5):  # interleaved slices
            plain.append(await run(sink, scope, body, n))
            guarded.append(await run(edge, scope, body, n))
        without, with_edge = statistics.median(plain), statistics.median(guarded)
        print(f"{name:36} {without:11.1f} {with_edge:9.1f} {with_edge - without:8.1f}  ({len(body):,} bytes, n={n})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    asyncio.run(main(parser.parse_args().requests))
