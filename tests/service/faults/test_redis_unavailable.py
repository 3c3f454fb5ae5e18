"""Redis is down: what needs the queue answers 503 `queue_unavailable` and stores nothing; the rest works."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text

from tests.service.scale.test_scaled import PROFILE
from tests.service.tuning_jobs.test_tuning_jobs import chat_line
from tests.service.worker.process import api_for, free_port

PROBLEM = "application/problem+json"


def count_jobs(data_dir: Path) -> int:
    engine = create_engine(f"sqlite:///{data_dir / 'advisor.db'}")
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM jobs")).scalar_one())
    finally:
        engine.dispose()


def test_ingestion_is_refused_cleanly_and_everything_else_works(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    # Nothing listens on this port: every Redis call fails at connect, as when Redis is down.
    with api_for(data_dir, redis_url=f"redis://127.0.0.1:{free_port()}/0") as client:
        assert client.post("/v1/knowledge-bases", json={"name": "manuals"}).status_code == 201
        refused = client.post("/v1/knowledge-bases/manuals/documents", files=[("files", ("a.md", b"# A\n\nText."))])
        assert refused.status_code == 503, refused.text
        assert refused.headers["content-type"] == PROBLEM
        assert refused.json()["code"] == "queue_unavailable"
        # Not accepted, so not half-stored: no job waits in `queued`, no uploaded file is kept.
        assert count_jobs(data_dir) == 0
        assert list((data_dir / "kb_uploads").iterdir()) == []
        assert client.get("/v1/knowledge-bases/manuals").json()["documents"] == 0

        advice = client.post("/v1/advice", json=PROFILE)
        assert advice.status_code == 201
        assert client.get(advice.headers["location"]).status_code == 200
        lines = "".join(chat_line(i) + "\n" for i in range(20))
        dataset = client.post("/v1/datasets", files={"file": ("train.jsonl", lines)}, data={"provider": "openai"})
        assert dataset.status_code == 201, dataset.text
        assert client.get(f"/v1/datasets/{dataset.json()['id']}/report").json()["ok"] is True
        assert client.get("/v1/questionnaire/schema").status_code == 200
        assert client.post("/v1/questionnaire/sessions", json={}).status_code == 201
        assert client.get("/readyz").status_code == 200, "Redis is not needed to serve, so the process stays ready"
