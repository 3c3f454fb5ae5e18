"""The worker dies mid-ingestion and comes back; a Chroma server replaces the local store."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.service.worker.process import Worker, api_for, free_port, wait_job

DOCS = 60
PARAGRAPHS = 12


def corpus() -> list[tuple[str, bytes]]:
    files = []
    for d in range(DOCS):
        # A made-up code word per document, so lexical search has exactly one right answer.
        paragraphs = [
            f"Section {p} of handbook part {d}: requests of kind qx{d}z are filed on form {d * 100 + p}."
            for p in range(PARAGRAPHS)
        ]
        files.append((f"part-{d:02d}.md", (f"# Part {d}\n\n" + "\n\n".join(paragraphs)).encode()))
    return files


def test_killed_worker_resumes_without_duplicates(tmp_path: Path) -> None:
    # A short lease: the killed worker's job is queued again within seconds, not the default half minute.
    worker = Worker(tmp_path, {"ADVISOR_JOB_LEASE_SECONDS": "3"})
    worker.start()
    client = api_for(tmp_path)
    try:
        with client:
            client.post("/v1/knowledge-bases", json={"name": "big", "chunk_tokens": 50, "chunk_overlap": 0})
            job_id = client.post("/v1/knowledge-bases/big/documents", files=[("files", f) for f in corpus()]).json()["id"]
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                job = client.get(f"/v1/jobs/{job_id}").json()
                if job["state"] == "running" and len(client.get("/v1/knowledge-bases/big/documents").json()) >= 2:
                    break
                assert job["state"] != "succeeded", "ingestion finished before the kill; make the corpus bigger"
                time.sleep(0.05)
            worker.kill()
            finished_before = {d["doc_id"]: d["chunks"] for d in client.get("/v1/knowledge-bases/big/documents").json()}
            assert 0 < len(finished_before) < DOCS
            assert client.get(f"/v1/jobs/{job_id}").json()["state"] == "running"

            worker.start()
            job = wait_job(client, job_id)
            assert job["state"] == "succeeded", job
            assert job["attempts"] == 2, "the job ran again once: its lease ran out with the killed worker"
            assert "the lease of" in (tmp_path / "worker.log").read_text()
            result = job["result"]
            # The rerun reused every chunk of the documents finished before the kill.
            assert result["skipped"] >= sum(finished_before.values())
            assert result["embedded"] + result["skipped"] == result["chunks"]
            kb = client.get("/v1/knowledge-bases/big").json()
            assert kb["documents"] == DOCS and kb["chunks"] == result["chunks"]
            stats = _stats(tmp_path, kb["id"])
            assert stats["chunks"] == result["chunks"], "no duplicate or orphan chunks in the store"
            hits = client.post("/v1/knowledge-bases/big/query", json={"q": "how are qx17z requests filed?", "k": 3}).json()[
                "hits"
            ]
            assert hits[0]["doc"] == "part-17.md"
    finally:
        worker.stop()


def _stats(data_dir: Path, kb_id: str) -> dict[str, object]:
    import json

    url = json.loads((data_dir / "worker.json").read_text())["url"]
    return dict(httpx.post(f"{url}/stats", json={"kb_id": kb_id}, timeout=30).json())


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[str]:
    chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    port = free_port()
    log = (tmp_path / "chroma.log").open("wb")
    process = subprocess.Popen(
        [chroma, "run", "--path", str(tmp_path / "chroma-server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError("chroma run did not start: " + (tmp_path / "chroma.log").read_text()[-2000:])
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_worker_on_a_chroma_server(tmp_path: Path, chroma_server: str) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    worker = Worker(data_dir, {"ADVISOR_CHROMA_URL": chroma_server})
    worker.start()
    client = api_for(data_dir, chroma_url=chroma_server)
    try:
        with client:
            client.post("/v1/knowledge-bases", json={"name": "served"})
            job = client.post("/v1/knowledge-bases/served/documents", files=[("files", f) for f in corpus()[:3]]).json()
            assert wait_job(client, job["id"])["state"] == "succeeded"
            hits = client.post("/v1/knowledge-bases/served/query", json={"q": "how are qx2z requests filed?", "k": 1}).json()[
                "hits"
            ]
            assert hits[0]["doc"] == "part-02.md"
            assert not (data_dir / "chroma").exists(), "with a server, nothing is written to the local store"
    finally:
        worker.stop()
