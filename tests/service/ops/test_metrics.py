"""GET /metrics: latency by route template, verdicts by strategy, and job state read from the store."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from service.config import Settings
from service.store.models import JobRow
from tests.conftest import load_scenarios
from tests.service.ops.conftest import build, samples, value
from tests.service.slack.conftest import SlackServer, slack, slack_database_url  # noqa: F401 (fixtures)
from tests.service.worker.process import Worker, wait_job

COUNT = "advisor_http_request_duration_seconds_count"
SCENARIOS = {row["id"]: row for row in load_scenarios()}


@pytest.fixture
def on_any_store(tmp_path: Path, database_url: str) -> Iterator[TestClient]:
    yield from build(Settings(data_dir=tmp_path / "data", database_url=database_url))


def test_exposition_is_open_text_and_not_in_openapi(probed: TestClient) -> None:
    response = probed.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "# TYPE advisor_http_request_duration_seconds histogram" in response.text
    assert "/metrics" not in probed.get("/openapi.json").json()["paths"]
    assert value(samples(probed), "process_resident_memory_bytes") > 0


def test_latency_is_counted_per_route_template_method_and_status_class(probed: TestClient) -> None:
    before = samples(probed)
    profile = SCENARIOS["p01"]["profile"]
    for _ in range(3):
        assert probed.post("/v1/advice", json=profile).status_code == 201
    for _ in range(2):
        assert probed.get(f"/v1/advice/{uuid.uuid4()}").status_code == 404
    assert probed.post("/v1/advice", json={"task": ""}).status_code == 422
    assert probed.get("/not/a/route").status_code == 404
    assert probed.get("/_probe/fail/1").status_code == 500
    after = samples(probed)

    def delta(**labels: str) -> float:
        return value(after, COUNT, **labels) - value(before, COUNT, **labels)

    assert delta(method="POST", route="/v1/advice", status_class="2xx") == 3
    assert delta(method="POST", route="/v1/advice", status_class="4xx") == 1
    # Two different ids, one series: the path's id never becomes a label.
    assert delta(method="GET", route="/v1/advice/{advice_id}", status_class="4xx") == 2
    assert delta(method="GET", route="unmatched", status_class="4xx") == 1
    assert delta(method="GET", route="/_probe/fail/{kind}", status_class="5xx") == 1
    routes = {dict(labels).get("route") for name, labels in after if name == COUNT}
    assert not any(route and "-" in route.rsplit("/", 1)[-1] for route in routes)  # no uuids


def test_unknown_methods_share_one_label(probed: TestClient) -> None:
    before = samples(probed)
    assert probed.request("PROPFIND", "/v1/advice").status_code in (404, 405)
    after = samples(probed)
    assert (
        value(after, COUNT, method="OTHER", route="/v1/advice", status_class="4xx")
        - value(before, COUNT, method="OTHER", route="/v1/advice", status_class="4xx")
        == 1
    )


@pytest.mark.parametrize("scenario", ["p06", "p08", "p11"])
def test_a_verdict_increments_its_strategy_only(probed: TestClient, scenario: str) -> None:
    strategy = SCENARIOS[scenario]["expect"]["strategy"]
    before = samples(probed)
    response = probed.post("/v1/advice", json=SCENARIOS[scenario]["profile"])
    assert response.status_code == 201 and response.json()["strategy"] == strategy
    after = samples(probed)
    for name in ("prompting", "rag", "fine_tuning", "rag_and_fine_tuning"):
        change = value(after, "advisor_verdicts_total", strategy=name) - value(before, "advisor_verdicts_total", strategy=name)
        assert change == (1 if name == strategy else 0), name


def test_a_questionnaire_that_finishes_counts_its_verdict(probed: TestClient) -> None:
    before = samples(probed)
    answers = {**SCENARIOS["p07"]["profile"], "knowledge_size": "large"}  # manuals too big for one prompt
    created = probed.post("/v1/questionnaire/sessions", json={"answers": answers})
    assert created.status_code == 201 and created.json()["status"] == "done"
    assert created.json()["advice"]["strategy"] == "rag"
    after = samples(probed)
    assert value(after, "advisor_verdicts_total", strategy="rag") - value(before, "advisor_verdicts_total", strategy="rag") == 1


def test_advice_made_in_slack_is_counted(slack: SlackServer) -> None:  # noqa: F811
    """The bot stores advice from a worker thread, outside any request: the app's counter still sees it."""
    text = "We have 2000 high quality labelled examples of support replies in our brand voice, using OpenAI"
    with httpx.Client(base_url=slack.url) as http:
        before = samples(http)
        assert slack.command(text, trigger="t-metrics").status_code == 200
        slack.fake.wait_for("chat.postMessage", 2)
        after = samples(http)
    (row,) = slack.advice_rows()
    for name in ("prompting", "rag", "fine_tuning", "rag_and_fine_tuning"):
        change = value(after, "advisor_verdicts_total", strategy=name) - value(before, "advisor_verdicts_total", strategy=name)
        assert change == (1 if name == row.strategy else 0), name


def test_rejected_advice_counts_no_verdict(probed: TestClient) -> None:
    before = samples(probed)
    assert probed.post("/v1/advice", json={"task": "x", "examples": -1}).status_code == 422
    after = samples(probed)
    assert sum(v for (name, _), v in after.items() if name == "advisor_verdicts_total") == sum(
        v for (name, _), v in before.items() if name == "advisor_verdicts_total"
    )


def test_each_app_has_its_own_registry(tmp_path: Path) -> None:
    first, second = build(Settings(data_dir=tmp_path / "a")), build(Settings(data_dir=tmp_path / "b"))
    a, b = next(first), next(second)
    try:
        assert a.post("/v1/advice", json=SCENARIOS["p06"]["profile"]).status_code == 201
        assert value(samples(a), "advisor_verdicts_total", strategy="rag") == 1
        assert value(samples(b), "advisor_verdicts_total", strategy="rag") == 0
    finally:
        next(first, None)
        next(second, None)


def test_running_ingestion_progress_and_job_states_come_from_the_store(on_any_store: TestClient) -> None:
    # A real running job is over too fast to scrape reliably; its row is what the worker writes.
    before = samples(on_any_store)
    database = on_any_store.app.state.database  # type: ignore[attr-defined]
    ids = [str(uuid.uuid4()) for _ in range(3)]
    with database.session() as session:
        session.add_all(
            [
                JobRow(id=ids[0], tenant_id="t1", kind="ingest", state="running", done=3, total=10, payload={}),
                JobRow(id=ids[1], tenant_id="t2", kind="ingest", state="running", done=5, total=5, payload={}),
                JobRow(id=ids[2], tenant_id="t1", kind="ingest", state="failed", payload={}, error={"code": "x"}),
            ]
        )
        session.commit()
    try:
        after = samples(on_any_store)
    finally:
        with database.session() as session:
            for job_id in ids:
                session.delete(session.get(JobRow, job_id))
            session.commit()

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert value(after, "advisor_store_up") == 1
    assert delta("advisor_jobs", kind="ingest", state="running") == 2
    assert delta("advisor_jobs", kind="ingest", state="failed") == 1
    assert delta("advisor_jobs", kind="ingest", state="queued") == 0
    assert delta("advisor_ingestion_chunks_done") == 8
    assert delta("advisor_ingestion_chunks_total") == 15
    assert delta("advisor_job_failures_total", kind="ingest") == 1
    assert value(samples(on_any_store), "advisor_jobs", kind="ingest", state="running") == value(
        before, "advisor_jobs", kind="ingest", state="running"
    )


def test_a_real_failed_ingestion_shows_up(tmp_path: Path) -> None:
    """API queues the job, the real worker process fails it (no readable file), /metrics says so."""
    data_dir = tmp_path / "data"
    clients = build(Settings(data_dir=data_dir))
    client = next(clients)
    worker = Worker(data_dir)
    try:
        assert client.post("/v1/knowledge-bases", json={"name": "metrics-kb"}).status_code == 201
        upload = client.post(
            "/v1/knowledge-bases/metrics-kb/documents", files=[("files", ("scan.pdf", b"%PDF-1.4 not really a pdf"))]
        )
        assert upload.status_code == 202, upload.text
        queued = samples(client)
        assert value(queued, "advisor_jobs", kind="ingest", state="queued") == 1
        assert value(queued, "advisor_job_failures_total", kind="ingest") == 0
        worker.start()
        job = wait_job(client, upload.json()["id"])
        assert job["state"] == "failed"
        done = samples(client)
        assert value(done, "advisor_jobs", kind="ingest", state="queued") == 0
        assert value(done, "advisor_jobs", kind="ingest", state="failed") == 1
        assert value(done, "advisor_job_failures_total", kind="ingest") == 1
    finally:
        worker.stop()
        next(clients, None)


def test_loop_inserts_are_counted_by_where_they_were_committed(probed: TestClient) -> None:
    import sqlite3
    import threading
    import time

    def counts() -> tuple[float, float, float]:
        found = samples(probed)
        return (
            value(found, "advisor_loop_inserts_total", outcome="committed"),
            value(found, "advisor_loop_inserts_total", outcome="handed_back"),
            value(found, "advisor_loop_insert_transactions_total"),
        )

    profile = SCENARIOS["p02"]["profile"]
    before = counts()
    for _ in range(2):
        assert probed.post("/v1/advice", json=profile).status_code == 201
    other = sqlite3.connect(probed.app.state.database.engine.url.database, isolation_level=None, check_same_thread=False)  # type: ignore[attr-defined]
    other.execute("BEGIN IMMEDIATE")  # another writer holds the write lock until the row was handed back
    writer = probed.app.state.database.immediate  # type: ignore[attr-defined]
    handed_back = writer.handed_back

    def commit_once_handed_back() -> None:
        deadline = time.monotonic() + 30
        while writer.handed_back == handed_back and time.monotonic() < deadline:
            time.sleep(0.005)
        other.execute("COMMIT")

    release = threading.Thread(target=commit_once_handed_back)
    release.start()
    try:
        assert probed.post("/v1/advice", json=profile).status_code == 201
    finally:
        release.join()
        other.close()
    after = counts()
    # one after the other: each request's row in a transaction of its own; the third found the lock held and went to
    # the thread pool (ADR 0023, 0038)
    assert tuple(a - b for a, b in zip(after, before, strict=True)) == (2, 1, 2)
