"""Datasets over HTTP: upload + report, convert + download, limits; advice that uses a dataset."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.config import Settings
from service.main import create_app
from tests.conftest import TODAY


def chat(i: int, answer: str | None = None) -> str:
    return json.dumps(
        {
            "messages": [
                {"role": "user", "content": f"Question number {i}?"},
                {"role": "assistant", "content": answer or f"Answer number {i}."},
            ]
        }
    )


def post(client: TestClient, lines: list[str], provider: str = "openai", name: str = "train.jsonl") -> dict[str, object]:
    body = ("\n".join(lines) + "\n").encode()
    response = client.post("/v1/datasets", files={"file": (name, body)}, data={"provider": provider})
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_upload_reports_defects_by_line(client: TestClient) -> None:
    lines = [chat(i) for i in range(12)]
    lines[3] = "{broken"
    lines[7] = chat(1)  # duplicate of line 2
    body = post(client, lines)
    report = body["report"]
    assert isinstance(report, dict)
    found = {(f["code"], f["line"]) for f in report["findings"] if f["severity"] == "error"}
    assert ("invalid_json", 4) in found and ("duplicate_example", 8) in found
    assert report["ok"] is False and report["examples"] == 10
    assert body["sha256"] and body["size_bytes"] > 0
    assert client.get(f"/v1/datasets/{body['id']}/report").json() == report


def test_convert_and_download(client: TestClient) -> None:
    dataset = post(client, [chat(i) for i in range(30)])
    converted = client.post(
        f"/v1/datasets/{dataset['id']}/convert", json={"to": "gemini_contents", "validation_fraction": 0.2}
    ).json()
    assert converted["train"] + converted["validation"] == 30 and converted["validation"] >= 1
    train = client.get(converted["files"]["train"])
    assert train.status_code == 200
    first = json.loads(train.text.splitlines()[0])
    assert [content["role"] for content in first["contents"]] == ["user", "model"]
    assert client.get(f"/v1/datasets/{dataset['id']}/files/openai_chat/train.jsonl").json()["code"] == "file_not_found"


def test_unknown_dataset_is_404(client: TestClient) -> None:
    assert client.get("/v1/datasets/nope").json()["code"] == "dataset_not_found"


@pytest.fixture
def small_uploads(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=tmp_path / "data", max_upload_mb=1), clock=lambda: TODAY)
    with TestClient(app) as client:
        yield client
    app.state.database.dispose()


def test_upload_over_the_limit_is_413_and_leaves_nothing(small_uploads: TestClient, tmp_path: Path) -> None:
    big = ("\n".join(chat(i, "x" * 500) for i in range(3000)) + "\n").encode()
    response = small_uploads.post("/v1/datasets", files={"file": ("big.jsonl", big)}, data={"provider": "openai"})
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    leftovers = [p for p in (tmp_path / "data").rglob("*.jsonl")]
    assert leftovers == []


def test_advice_uses_the_dataset_report(client: TestClient) -> None:
    dataset = post(client, [chat(i) for i in range(150)])
    profile = {
        "task": "Answer numbered questions",
        "provider": "google",
        "examples": 5,
        "example_quality": "low",
        "narrow_task": True,
        "prompting_status": "insufficient",
    }
    advice = client.post("/v1/advice", json={"profile": profile, "dataset_id": dataset["id"], "artifact": True}).json()
    assert advice["strategy"] == "fine_tuning"
    assert advice["profile"]["examples"] == 150 and advice["profile"]["example_quality"] == "high"
    assert any(dataset["id"] in note for note in advice["notes"])
    spec = advice["artifact"]["parts"][0]
    assert spec["kind"] == "tuning_spec" and spec["dataset_id"] == dataset["id"] and spec["examples"] == 150
    assert client.get(f"/v1/advice/{advice['id']}/artifact").json() == advice["artifact"]


def test_advice_with_a_broken_dataset_is_not_tuned(client: TestClient) -> None:
    lines = [chat(i) for i in range(150)]
    for i in range(0, 150, 3):
        lines[i] = "not json"
    dataset = post(client, lines)
    profile = {"task": "t", "provider": "google", "narrow_task": True, "prompting_status": "insufficient"}
    advice = client.post("/v1/advice", json={"profile": profile, "dataset_id": dataset["id"]}).json()
    assert advice["profile"]["example_quality"] == "low"
    assert advice["strategy"] == "prompting"
    assert "low_quality_training_data" in {flag["code"] for flag in advice["flags"]}


def test_advice_without_artifact_has_none(client: TestClient) -> None:
    advice = client.post("/v1/advice", json={"task": "t"}).json()
    assert advice["artifact"] is None
    assert client.get(f"/v1/advice/{advice['id']}/artifact").json()["code"] == "artifact_not_found"
