"""One runner at a time: an experiment is claimed under a lease, so a second message (another thread, another
worker) calls nothing, and a dead runner's experiment is taken back and resumed without paying twice."""

from __future__ import annotations

import datetime as dt
import threading

from fastapi.testclient import TestClient
from sqlalchemy import update

from service.experiments.runner import run_experiment
from service.store import experiment_leases as leases
from service.store.models import ExperimentRow, utcnow
from tests.conftest import TODAY
from tests.service.experiments.fake_chat import FakeChat, serve
from tests.service.experiments.test_experiments import LABELS, api, body  # noqa: F401


def _run(api: TestClient, experiment_id: str, owner: str | None = None) -> str:  # noqa: F811
    app = api.app
    return run_experiment(
        app.state.database,  # type: ignore[attr-defined]
        experiment_id,
        app.state.settings,  # type: ignore[attr-defined]
        sleep=lambda _seconds: None,
        today=TODAY,
        owner=owner,
    )


def _expire(api: TestClient, experiment_id: str) -> None:  # noqa: F811
    """What a killed worker leaves: running, its lease in the past."""
    database = api.app.state.database  # type: ignore[attr-defined]
    with database.session() as session:
        past = utcnow() - dt.timedelta(seconds=5)
        session.execute(update(ExperimentRow).where(ExperimentRow.id == experiment_id).values(lease_until=past))
        session.commit()


def test_two_runners_at_once_call_each_item_once(api: TestClient) -> None:  # noqa: F811
    # Every answer takes a moment, so both runners start while the items are still unanswered.
    chat = FakeChat({text: ["slow:0.05", label] for text, label in LABELS.items()})
    with serve(chat) as url:
        experiment_id = api.post("/v1/experiments", json=body(url)).json()["id"]
        start = threading.Barrier(2)
        states: list[str] = []

        def runner() -> None:
            start.wait()
            states.append(_run(api, experiment_id))

        threads = [threading.Thread(target=runner) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert sorted(states) in (["running", "succeeded"], ["succeeded", "succeeded"])  # the second found it held, or ended
    assert set(chat.requests.values()) == {1} and len(chat.requests) == 10
    report = api.get(f"/v1/experiments/{experiment_id}").json()
    assert report["state"] == "succeeded" and report["progress"] == {"done": 10, "total": 10}
    assert report["candidates"][0]["correct"] == 10


def test_a_held_lease_is_left_alone_and_an_expired_one_is_taken_back(api: TestClient) -> None:  # noqa: F811
    database = api.app.state.database  # type: ignore[attr-defined]
    chat = FakeChat({text: [label] for text, label in LABELS.items()})
    with serve(chat) as url:
        experiment_id = api.post("/v1/experiments", json=body(url)).json()["id"]
        assert leases.claim(database, experiment_id, "worker-a", 60)  # a live worker is running it
        assert _run(api, experiment_id, owner="worker-b") == "running"
        assert sum(chat.requests.values()) == 0  # the second message called nothing

        _expire(api, experiment_id)  # worker-a died
        assert _run(api, experiment_id, owner="worker-b") == "succeeded"
    assert set(chat.requests.values()) == {1} and len(chat.requests) == 10
    assert not leases.renew(database, experiment_id, "worker-a", 60)  # the dead one cannot take it back
    assert not leases.finish(database, experiment_id, "worker-a", "failed", None)
    report = api.get(f"/v1/experiments/{experiment_id}").json()
    assert report["state"] == "succeeded" and report["error"] is None


def test_the_sweep_queues_a_dead_runners_experiment_and_resuming_pays_only_for_the_rest(
    api: TestClient,  # noqa: F811
) -> None:
    database = api.app.state.database  # type: ignore[attr-defined]
    chat = FakeChat({text: [label] for text, label in LABELS.items()})
    with serve(chat) as url:
        experiment_id = api.post("/v1/experiments", json=body(url)).json()["id"]
        chat.fail_after = 4  # four answers stored, then the provider is gone: the run stops, failed
        assert _run(api, experiment_id) == "failed"
        api.post(f"/v1/experiments/{experiment_id}/resume")
        assert leases.claim(database, experiment_id, "killed-worker", 60)  # claimed, then the worker was killed
        assert leases.release_expired(database, max_attempts=5) == []  # its lease still holds
        _expire(api, experiment_id)
        assert leases.release_expired(database, max_attempts=5) == [experiment_id]
        assert api.get(f"/v1/experiments/{experiment_id}").json()["state"] == "queued"

        chat.fail_hard, chat.fail_after = False, None
        assert _run(api, experiment_id) == "succeeded"
    assert set(chat.answered.values()) == {1} and len(chat.answered) == 10  # each item paid for once


def test_a_run_whose_worker_keeps_dying_fails_after_the_attempts(api: TestClient) -> None:  # noqa: F811
    database = api.app.state.database  # type: ignore[attr-defined]
    experiment_id = api.post("/v1/experiments", json=body("http://127.0.0.1:9/v1")).json()["id"]
    for attempt in range(3):
        assert leases.claim(database, experiment_id, f"worker-{attempt}", 60)
        _expire(api, experiment_id)
        requeued = leases.release_expired(database, max_attempts=3)
        assert requeued == ([experiment_id] if attempt < 2 else [])
    report = api.get(f"/v1/experiments/{experiment_id}").json()
    assert report["state"] == "failed" and report["error"]["code"] == "experiment_attempts_exhausted"
    assert _run(api, experiment_id) == "failed"  # a late message runs nothing
