"""The worker's loopback JSON endpoint: the API asks it to search, since it holds the store and the model."""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from service.errors import AdvisorError
from service.knowledge_bases.evaluate import evaluate
from service.worker.runtime import Runtime

log = logging.getLogger("service.worker")


def worker_file(data_dir: Path) -> Path:
    """Where a running worker publishes its address."""
    return data_dir / "worker.json"


class Operations:
    """What the API may ask: queries, evaluation, deletions. Each takes and returns JSON-able data."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def query(self, body: dict[str, Any]) -> dict[str, Any]:
        index = self.runtime.index(self.runtime.kb(body["kb_id"]))
        hits = index.query(body["q"], k=int(body.get("k", 5)), mode=body.get("mode", "hybrid"))
        return {"hits": [asdict(hit) for hit in hits]}

    def evaluate(self, body: dict[str, Any]) -> dict[str, Any]:
        index = self.runtime.index(self.runtime.kb(body["kb_id"]))
        return {"metrics": evaluate(index, body["items"], modes=tuple(body.get("modes", ("dense", "hybrid"))))}

    def delete_document(self, body: dict[str, Any]) -> dict[str, Any]:
        index = self.runtime.index(self.runtime.kb(body["kb_id"]))
        return {"removed": index.delete_document(body["doc_id"])}

    def drop(self, body: dict[str, Any]) -> dict[str, Any]:
        index = self.runtime.index(self.runtime.kb(body["kb_id"]))
        index.drop()
        return {"dropped": True}

    def stats(self, body: dict[str, Any]) -> dict[str, Any]:
        index = self.runtime.index(self.runtime.kb(body["kb_id"]))
        return {"chunks": index.count(), "documents": [asdict(doc) for doc in index.list_documents()]}

    def embed(self, body: dict[str, Any]) -> dict[str, Any]:
        """Vectors for ``texts`` (few-shot selection); repeated texts come from a per-process cache."""
        vectors = self.runtime.embed_cached(list(body["texts"]), body.get("model"))
        return {"vectors": vectors}

    def health(self, _body: dict[str, Any]) -> dict[str, Any]:
        return {"status": "ok", "pid": os.getpid()}


def _handler(operations: Operations) -> type[BaseHTTPRequestHandler]:
    routes = {
        "/query": operations.query,
        "/evaluate": operations.evaluate,
        "/documents/delete": operations.delete_document,
        "/drop": operations.drop,
        "/stats": operations.stats,
        "/embed": operations.embed,
        "/health": operations.health,
    }

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            route = routes.get(self.path)
            if route is None:
                self._send(404, {"code": "not_found", "detail": self.path})
                return
            try:
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                self._send(200, route(body))
            except AdvisorError as exc:
                self._send(exc.status, {"code": exc.code, "detail": exc.message})
            except (KeyError, ValueError, TypeError) as exc:
                self._send(400, {"code": "bad_worker_request", "detail": str(exc)})
            except Exception:
                log.exception("worker operation %s failed", self.path)
                self._send(500, {"code": "worker_error", "detail": "the worker failed; see its log"})

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("worker http: " + format, *args)

    return Handler


def serve(runtime: Runtime, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """Start the endpoint in a daemon thread and publish its address in the data dir."""
    server = ThreadingHTTPServer((host, port), _handler(Operations(runtime)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="worker-http", daemon=True).start()
    address = {"url": f"http://{host}:{server.server_address[1]}", "pid": os.getpid()}
    target = worker_file(runtime.settings.data_dir)
    partial = target.with_suffix(".partial")
    partial.write_text(json.dumps(address), encoding="utf-8")
    os.replace(partial, target)
    return server
