"""A fake OpenAI files + fine-tuning API behind the SDK's own HTTP transport (httpx2.MockTransport)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx2


@dataclass
class FakeOpenAI:
    """Honours Idempotency-Key like the real API: the same key returns the same object, never a second one."""

    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_key: dict[str, str] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    fail_uploads: int = 0
    reject_jobs: bool = False
    timeouts_on_create: int = 0
    seen_keys: list[str] = field(default_factory=list)
    authorization: list[str] = field(default_factory=list)

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        path = request.url.path.removeprefix("/v1")
        self.calls.append(f"{request.method} {path}")
        self.authorization.append(request.headers.get("authorization", ""))
        key = request.headers.get("idempotency-key")
        if request.method == "POST" and path == "/files":
            if self.fail_uploads:
                self.fail_uploads -= 1
                return httpx2.Response(500, json={"error": {"message": "storage is down", "type": "server_error"}})
            return self._once(key, lambda: self._new_file(request))
        if request.method == "POST" and path == "/fine_tuning/jobs":
            self.seen_keys.append(key or "")
            if self.timeouts_on_create:
                self.timeouts_on_create -= 1
                raise httpx2.ReadTimeout("timed out", request=request)
            if self.reject_jobs:
                return httpx2.Response(
                    400,
                    json={
                        "error": {
                            "message": "training_file has 3 examples; at least 10 are required",
                            "type": "invalid_request_error",
                        }
                    },
                )
            return self._once(key, lambda: self._new_job(json.loads(request.content)))
        if request.method == "GET" and path.startswith("/fine_tuning/jobs/"):
            job = self.jobs.get(path.rsplit("/", 1)[1])
            if job is None:
                return httpx2.Response(404, json={"error": {"message": "no such job"}})
            return httpx2.Response(200, json=job)
        return httpx2.Response(404, json={"error": {"message": f"unexpected {request.method} {path}"}})

    def _once(self, key: str | None, create: Any) -> httpx2.Response:
        if key and key in self.by_key:
            existing = self.files.get(self.by_key[key]) or self.jobs[self.by_key[key]]
            return httpx2.Response(200, json=existing)
        created = create()
        if key:
            self.by_key[key] = created["id"]
        return httpx2.Response(200, json=created)

    def _new_file(self, request: httpx2.Request) -> dict[str, Any]:
        file_id = f"file-{len(self.files) + 1}"
        body = request.content
        self.files[file_id] = {
            "id": file_id,
            "object": "file",
            "bytes": len(body),
            "created_at": 1,
            "filename": "train.jsonl",
            "purpose": "fine-tune",
            "status": "processed",
        }
        return self.files[file_id]

    def _new_job(self, body: dict[str, Any]) -> dict[str, Any]:
        job_id = f"ftjob-{len(self.jobs) + 1}"
        self.jobs[job_id] = {
            "id": job_id,
            "object": "fine_tuning.job",
            "created_at": 1,
            "model": body["model"],
            "status": "validating_files",
            "training_file": body["training_file"],
            "validation_file": body.get("validation_file"),
            "fine_tuned_model": None,
            "finished_at": None,
            "hyperparameters": {"n_epochs": "auto"},
            "organization_id": "org-1",
            "result_files": [],
            "seed": 1,
            "trained_tokens": None,
            "error": None,
            "method": body.get("method"),
        }
        return self.jobs[job_id]

    def finish(self, job_id: str) -> None:
        self.jobs[job_id].update(status="succeeded", fine_tuned_model="ft:gpt-4.1-mini-2025-04-14:org::abc123")

    def client(self) -> httpx2.Client:
        return httpx2.Client(transport=httpx2.MockTransport(self.handler))
