"""Provider keys never leave the process: not in answers, logs, stored rows, files or the settings' repr.

Unique fake keys are set the way an operator sets them (environment). The app then does everything that
touches a provider or stores something: dataset upload and conversion, advice with artifacts, tuning-job
submissions against a fake OpenAI (at the SDK's HTTP transport) that echoes the Authorization header back in
every error it can, and ordinary client errors. Afterwards every place a key could land is searched.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, select

from service.config import Settings
from service.experiments.runner import run_experiment
from service.main import create_app
from service.providers.chat import ChatClient
from service.providers.extraction import AnthropicExtraction
from service.providers.openai import OpenAITuning
from tests.conftest import TODAY
from tests.service.intake.fake_llm import FakeMessages
from tests.service.tuning_jobs.fake_openai import FakeOpenAI
from tests.service.tuning_jobs.test_tuning_jobs import chat_line

OPENAI_CANARY = f"sk-canary-{uuid.uuid4().hex}"
ANTHROPIC_CANARY = f"sk-ant-canary-{uuid.uuid4().hex}"
# Each whole key, and its random part alone in case something prints a key with its prefix cut off.
NEEDLES = [OPENAI_CANARY, ANTHROPIC_CANARY, OPENAI_CANARY.rsplit("-", 1)[1], ANTHROPIC_CANARY.rsplit("-", 1)[1]]


@dataclass
class EchoingOpenAI(FakeOpenAI):
    """A provider that puts the caller's Authorization header into its error messages, as some proxies do."""

    mode: str = ""

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        echoed = f"request had Authorization: {request.headers.get('authorization', '')}"
        creating = request.method == "POST" and request.url.path.endswith("/fine_tuning/jobs")
        if self.mode == "unauthorized":
            return httpx2.Response(
                401, json={"error": {"message": f"Incorrect API key. {echoed}", "type": "invalid_request_error"}}
            )
        if self.mode == "rejected" and creating:
            return httpx2.Response(
                400, json={"error": {"message": f"Bad hyperparameters. {echoed}", "type": "invalid_request_error"}}
            )
        if self.mode == "server_error" and creating:
            return httpx2.Response(500, text=f"upstream exploded; {echoed}")
        if self.mode == "timeout" and creating:
            raise httpx2.ReadTimeout(f"timed out; {echoed}", request=request)
        response = super().handler(request)
        if self.mode == "failing_job" and request.method == "GET":
            job = json.loads(response.content)
            job.update(status="failed", error={"code": "invalid_file", "message": f"File rejected. {echoed}", "param": None})
            return httpx2.Response(200, json=job)
        return response


@dataclass
class EchoingAnthropic(FakeMessages):
    """Messages API that fails with every request header (the key among them) in the message until told to answer."""

    fail_with: int = 0
    headers_seen: list[str] = field(default_factory=list)

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        sent = " ".join(f"{name}: {value}" for name, value in request.headers.items())
        self.headers_seen.append(sent)
        if self.fail_with:
            echoed = f"request had headers {sent}"
            return httpx2.Response(self.fail_with, json={"type": "error", "error": {"type": "api_error", "message": echoed}})
        return super().handler(request)


@pytest.fixture
def canary_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_CANARY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", ANTHROPIC_CANARY)
    settings = Settings(data_dir=tmp_path / "data", intake_provider="anthropic", log_level="DEBUG")
    assert settings.openai_api_key is not None and settings.openai_api_key.get_secret_value() == OPENAI_CANARY
    return settings


def _experiment(client: TestClient, key: str) -> list[httpx.Response]:
    """An experiment on OpenAI whose provider echoes the key: in one item's 400, then in 500s until the run stops."""

    def echoing(request: httpx2.Request) -> httpx2.Response:
        echoed = f"request had Authorization: {request.headers.get('authorization', '')}"
        status = 400 if "first" in request.content.decode() else 500
        return httpx2.Response(status, json={"error": {"message": f"No. {echoed}", "type": "invalid_request_error"}})

    items = [{"input": "first", "expected": "a"}, {"input": "second", "expected": "b"}]
    body = {"items": items, "target": {"provider": "openai", "model": "gpt-4.1-mini"}}
    accepted = client.post("/v1/experiments", json=body)
    assert accepted.status_code == 202, accepted.text
    provider = ChatClient(
        "openai", key, base_url="https://fake.openai.test/v1", http_client=httpx2.Client(transport=httpx2.MockTransport(echoing))
    )
    state = run_experiment(
        client.app.state.database,  # type: ignore[attr-defined]
        accepted.json()["id"],
        client.app.state.settings,  # type: ignore[attr-defined]
        client_for=lambda target: provider,
        sleep=lambda seconds: None,
        today=TODAY,
    )
    assert state == "failed"
    report = client.get(f"/v1/experiments/{accepted.json()['id']}")
    assert "No. request had Authorization" in report.json()["error"]["message"]
    assert any(r["error"] for r in report.json()["candidates"][0]["results"])
    return [accepted, report]


def _exercise(client: TestClient, fake: EchoingOpenAI, chat: EchoingAnthropic) -> list[httpx.Response]:
    """Every flow that touches a provider key or stores something, and a few ways to fail."""
    answers = []
    lines = ("\n".join(chat_line(i) for i in range(40)) + "\n").encode()
    upload = client.post("/v1/datasets", files={"file": ("train.jsonl", lines)}, data={"provider": "openai"})
    assert upload.status_code == 201, upload.text
    dataset = upload.json()["id"]
    answers += [upload, client.get(f"/v1/datasets/{dataset}"), client.get(f"/v1/datasets/{dataset}/report")]
    answers.append(client.post(f"/v1/datasets/{dataset}/convert", json={"to": "openai_chat"}))
    answers.append(client.get(f"/v1/datasets/{dataset}/files/openai_chat/train.jsonl"))
    tuning = {"task": "Label tickets", "provider": "openai", "narrow_task": True, "prompting_status": "insufficient"}
    answers.append(client.post("/v1/advice", json={"profile": tuning, "dataset_id": dataset, "artifact": True}))
    prompting = {"task": "Answer billing questions", "provider": "anthropic"}
    examples = [{"input": f"question {i}", "output": f"answer {i}"} for i in range(6)]
    answers.append(client.post("/v1/advice", json={"profile": prompting, "examples": examples, "artifact": True}))
    answers.append(client.get(f"/v1/advice/{answers[-2].json()['id']}/artifact"))
    answers.append(client.post("/v1/tuning-jobs", json={"provider": "openai", "dataset_id": dataset}))

    statuses = {}
    for mode in ("unauthorized", "rejected", "server_error", "timeout", "failing_job"):
        fake.mode = mode
        submitted = client.post(
            "/v1/tuning-jobs",
            json={"provider": "openai", "dataset_id": dataset, "submit": True},
            headers={"Idempotency-Key": f"canary-{mode}"},
        )
        statuses[mode] = submitted.status_code
        answers.append(submitted)
        if submitted.status_code == 201:
            answers.append(client.get(f"/v1/tuning-jobs/{submitted.json()['id']}"))  # refreshed: the provider's error
    assert statuses == {"unauthorized": 422, "rejected": 422, "server_error": 502, "timeout": 504, "failing_job": 201}
    assert answers[-1].json()["status"] == "failed"

    text = {"text": "We label support tickets by team; about 3000 labelled examples; prompting was not enough."}
    for status in (401, 400, 500, 0):
        chat.fail_with = status
        answers.append(client.post("/v1/intake", json=text))
    assert len(chat.requests) >= 1 and answers[-1].status_code == 200

    answers += [
        client.get("/v1/advice/no-such-advice"),
        client.post("/v1/advice", json={"task": "x", "examples": "ten"}),
        client.post("/v1/advice", content=b"{not json", headers={"content-type": "application/json"}),
        client.post("/v1/advice", content=b"x" * (2 * 1024 * 1024), headers={"content-type": "application/json"}),
        client.post("/v1/tuning-jobs", json={"provider": "openai", "dataset_id": "missing", "submit": True}),
    ]
    return answers


def _places(
    settings: Settings, client: TestClient, answers: list[httpx.Response], records: list[logging.LogRecord], output: str
) -> dict[str, str]:
    """Everything a key could have reached, as text, by where it is."""
    places = {f"answer {r.request.method} {r.request.url.path} {r.status_code}": r.text + repr(r.headers) for r in answers}
    formatter = logging.Formatter()
    for i, record in enumerate(records):
        exception = formatter.formatException(record.exc_info) if record.exc_info else ""
        places[f"log record {i} ({record.name})"] = f"{record.getMessage()} {record.args!r} {record.__dict__!r} {exception}"
    places["stdout and stderr"] = output
    database = client.app.state.database  # type: ignore[attr-defined]
    metadata = MetaData()
    metadata.reflect(database.engine)
    with database.engine.connect() as connection:
        for table in metadata.sorted_tables:
            rows = connection.execute(select(table)).all()
            places[f"table {table.name}"] = repr(rows)
    for path in settings.data_dir.rglob("*"):
        if path.is_file():
            places[f"file {path.relative_to(settings.data_dir)}"] = path.read_bytes().decode("utf-8", "replace")
    places["settings"] = f"{settings!r} {settings!s} {settings.model_dump_json()} {settings.model_dump()!r}"
    return places


def test_no_provider_key_reaches_answers_logs_rows_or_files(
    canary_settings: Settings, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    fake, chat = EchoingOpenAI(), EchoingAnthropic()
    app = create_app(canary_settings, clock=lambda: TODAY)
    key = canary_settings.openai_api_key.get_secret_value()  # type: ignore[union-attr]
    anthropic_key = canary_settings.anthropic_api_key.get_secret_value()  # type: ignore[union-attr]
    chat_client = httpx2.Client(transport=httpx2.MockTransport(chat.handler))
    app.state.extraction_clients = lambda provider: (
        AnthropicExtraction(
            anthropic_key,
            model="claude-haiku-5-5",
            base_url="https://fake.anthropic.test",
            http_client=chat_client,
            max_retries=0,
        )
        if provider == "anthropic"
        else None
    )
    app.state.tuning_clients = lambda provider: (
        OpenAITuning(key, base_url="https://fake.openai.test/v1", http_client=fake.client(), max_retries=0, timeout=5)
        if provider == "openai"
        else None
    )
    caplog.set_level(logging.DEBUG)
    for name in ("openai", "httpx", "httpx2", "httpcore", "httpcore2", "service"):
        caplog.set_level(logging.DEBUG, logger=name)
    with TestClient(app) as client:
        answers = _exercise(client, fake, chat) + _experiment(client, key)
        captured = capfd.readouterr()
        places = _places(canary_settings, client, answers, caplog.records, captured.out + captured.err)
    app.state.database.dispose()

    # The canary did reach the provider (so the search below is not vacuous) ...
    assert any(OPENAI_CANARY in sent for sent in fake.authorization)
    assert any(ANTHROPIC_CANARY in sent for sent in chat.headers_seen)
    assert len(caplog.records) > 20 and any(name.startswith("table ") for name in places)
    # ... and nothing else.
    leaks = [where for where, text in places.items() for needle in NEEDLES if needle in text]
    assert leaks == [], leaks
