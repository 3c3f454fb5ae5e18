"""The API process dies while OpenAI is creating the tuning job; a retry with the same key creates no second job.

The fake OpenAI (tests/service/tuning/fake_openai.py, which honours Idempotency-Key like the real API) is
served over real loopback HTTP, since the SDK-transport fake cannot reach into another process.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import httpx2
import pytest
from sqlalchemy import create_engine, text

from knowledge.loader import default_catalog
from scripts.run_scaled import Stack
from tests.service.faults.conftest import count_rows
from tests.service.tuning_jobs.fake_openai import FakeOpenAI
from tests.service.tuning_jobs.test_tuning_jobs import chat_line
from tests.service.worker.process import free_port

pytestmark = pytest.mark.postgres

KEY = "retry-after-crash-1"


class SlowOpenAI:
    """FakeOpenAI on a loopback port; the first job creation is done, then its answer is held back."""

    def __init__(self) -> None:
        self.fake = FakeOpenAI()
        self.create_seen = threading.Event()
        self.release = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                request = httpx2.Request(self.command, f"http://fake{self.path}", headers=dict(self.headers), content=body)
                response = outer.fake.handler(request)
                if request.url.path.endswith("/fine_tuning/jobs") and not outer.create_seen.is_set():
                    outer.create_seen.set()  # the job exists now; the caller dies before it hears so
                    outer.release.wait(timeout=120)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the killed caller's answer
                    self.send_response(response.status_code)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(response.content)))
                    self.end_headers()
                    self.wfile.write(response.content)

            do_GET = do_POST = _serve

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler

    def __enter__(self) -> SlowOpenAI:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def openai_fake() -> Iterator[SlowOpenAI]:
    end = default_catalog().provider("openai").fine_tuning_end()
    if end is not None and dt.date.today() >= end:
        pytest.skip(f"OpenAI took no new fine-tuning jobs after {end}; the API refuses to submit, as it should")
    with SlowOpenAI() as fake:
        yield fake


def test_retry_after_the_api_died_mid_submission_creates_one_job(shared: Stack, openai_fake: SlowOpenAI) -> None:
    shared.extra_env.update(OPENAI_API_KEY="sk-test-fault-0123456789", OPENAI_BASE_URL=openai_fake.url)
    port = free_port()
    first = shared.start_api(port)
    url = f"http://127.0.0.1:{port}"
    lines = "".join(chat_line(i) + "\n" for i in range(40))
    uploaded = httpx.post(f"{url}/v1/datasets", files={"file": ("train.jsonl", lines)}, data={"provider": "openai"})
    assert uploaded.status_code == 201, uploaded.text
    request = {"provider": "openai", "dataset_id": uploaded.json()["id"], "submit": True}

    def submit() -> None:
        with contextlib.suppress(httpx.HTTPError):  # the API is killed while this waits
            httpx.post(f"{url}/v1/tuning-jobs", json=request, headers={"Idempotency-Key": KEY}, timeout=120)

    caller = threading.Thread(target=submit, daemon=True)
    caller.start()
    assert openai_fake.create_seen.wait(timeout=120), "the API never asked OpenAI to create the job"
    first.kill()
    caller.join(timeout=30)

    assert _rows(shared.database_url) == [("submitting", None)], "the row was stored before anything was sent"

    port = free_port()
    shared.start_api(port)
    url = f"http://127.0.0.1:{port}"
    retried = httpx.post(f"{url}/v1/tuning-jobs", json=request, headers={"Idempotency-Key": KEY}, timeout=60)
    assert retried.status_code == 200, retried.text
    job = retried.json()
    assert job["status"] == "submitted" and job["provider_job_id"] == "ftjob-1"
    assert len(openai_fake.fake.jobs) == 1, "the provider holds one job"
    assert len(openai_fake.fake.files) == 2, "training and validation files were uploaded once each"
    assert openai_fake.fake.seen_keys == [f"{job['id']}-job"] * 2, "the retry reused the job's key"
    assert count_rows(shared.database_url, "tuning_jobs") == 1

    again = httpx.post(f"{url}/v1/tuning-jobs", json=request, headers={"Idempotency-Key": KEY}, timeout=60)
    assert again.status_code == 200 and again.json()["id"] == job["id"]
    assert len(openai_fake.fake.seen_keys) == 2, "a submitted job is not sent again"


def _rows(database_url: str) -> list[tuple[str, str | None]]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT status, provider_job_id FROM tuning_jobs")).all()
            return [(str(status), provider_job_id) for status, provider_job_id in rows]
    finally:
        engine.dispose()
