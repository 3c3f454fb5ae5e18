"""Fixtures of the knowledge-base tests: the real bundled model (loaded once), real Chroma clients."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import chromadb
import pytest
from chromadb.api import ClientAPI
from chromadb.config import Settings as ChromaSettings
from fastapi.testclient import TestClient

from service.embeddings.model import Embedder
from service.knowledge_bases.chunking import chunk_document
from service.knowledge_bases.index import KnowledgeBaseIndex
from service.knowledge_bases.parsers import parse_file
from tests.service.worker.process import Worker, api_for

CORPUS = Path(__file__).parent / "corpus"
NO_TELEMETRY = ChromaSettings(anonymized_telemetry=False)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The bundled MiniLM, loaded once for the whole session."""
    model = Embedder(None)
    model.encode(["warm up"])
    return model


@pytest.fixture
def persistent_client(tmp_path: Path) -> ClientAPI:
    return chromadb.PersistentClient(path=str(tmp_path / "chroma"), settings=NO_TELEMETRY)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A real `chroma run` server on a free loopback port, stopped at the end of the session."""
    port = _free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    chroma = Path(sys.executable).parent / "chroma"
    log = (path / "server.log").open("wb")
    process = subprocess.Popen(
        [str(chroma), "run", "--path", str(path / "data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                chromadb.HttpClient(host="127.0.0.1", port=port, settings=NO_TELEMETRY).heartbeat()
                break
            except Exception:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"chroma run did not start: {(path / 'server.log').read_text()[-2000:]}") from None
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(params=["persistent", "http"])
def chroma_client(request: pytest.FixtureRequest, tmp_path: Path) -> ClientAPI:
    """Each index test runs against a PersistentClient and against a Chroma server over HTTP."""
    if request.param == "persistent":
        return chromadb.PersistentClient(path=str(tmp_path / "chroma"), settings=NO_TELEMETRY)
    port = request.getfixturevalue("chroma_server")
    return chromadb.HttpClient(host="127.0.0.1", port=port, settings=NO_TELEMETRY)


@pytest.fixture
def kb(chroma_client: ClientAPI, embedder: Embedder, request: pytest.FixtureRequest) -> Iterator[KnowledgeBaseIndex]:
    """An empty knowledge base, unique per test (the server is shared), dropped afterwards. On the local store the
    index is its collection's only writer, as in the worker, so searches read their hits from the BM25 snapshot."""
    sole = request.node.callspec.params.get("chroma_client") == "persistent"
    index = KnowledgeBaseIndex(chroma_client, f"test {request.node.name}", embedder, sole_writer=sole)
    index.drop()
    index.ensure()
    yield index
    index.drop()


def load_questions() -> list[dict[str, Any]]:
    lines = (CORPUS / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture(scope="session")
def bilingual(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> KnowledgeBaseIndex:
    """The 12-document English + Hebrew corpus, ingested once."""
    client = chromadb.PersistentClient(path=str(tmp_path_factory.mktemp("bilingual")), settings=NO_TELEMETRY)
    index = KnowledgeBaseIndex(client, "bilingual", embedder)
    items = []
    for path in sorted(CORPUS.glob("*.md")):
        for doc in parse_file(path.read_bytes(), path.name):
            items.append((doc, chunk_document(doc, model=embedder.model_name)))
    index.upsert_documents(items)
    return index


@pytest.fixture(scope="module")
def rag(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Worker]]:
    data_dir = tmp_path_factory.mktemp("rag")
    worker = Worker(data_dir)
    worker.start()
    client = api_for(data_dir)
    try:
        with client:
            yield client, worker
    finally:
        worker.stop()
