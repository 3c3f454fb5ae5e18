"""An API process killed with SIGKILL during an upload: no dataset half-stored, nothing left where a user looks."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from scripts.run_scaled import Child, Stack
from tests.service.faults.conftest import count_rows
from tests.service.tuning_jobs.test_tuning_jobs import chat_line
from tests.service.worker.process import free_port

pytestmark = pytest.mark.postgres

BOUNDARY = "advisor-fault-boundary"
LINES = 20_000  # ~4 MB: spooled to disk by the server, and seconds of validation after it arrives
SEVEN_HOURS = 7 * 3600


def body_parts(stop_after: int | None, sent: threading.Event, release: threading.Event) -> Iterator[bytes]:
    """A multipart body, sent in pieces; with ``stop_after`` bytes sent, it stalls until ``release``."""
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="provider"\r\n\r\nopenai\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="train.jsonl"\r\n'
        "Content-Type: application/jsonl\r\n\r\n"
    ).encode()
    total = 0
    for start in range(0, LINES, 500):
        piece = "".join(chat_line(i) + "\n" for i in range(start, start + 500)).encode()
        yield piece
        total += len(piece)
        if stop_after is not None and total >= stop_after and not sent.is_set():
            sent.set()
            release.wait(timeout=120)
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def upload_in_background(url: str, stop_after: int | None = None) -> tuple[threading.Event, threading.Event, threading.Thread]:
    sent, release = threading.Event(), threading.Event()

    def run() -> None:
        # The server dies mid-request: the client sees a broken connection, which is the point.
        with contextlib.suppress(httpx.HTTPError):
            httpx.post(
                f"{url}/v1/datasets",
                content=body_parts(stop_after, sent, release),
                headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
                timeout=120,
            )

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return sent, release, thread


def spooled_files(pid: int, spool: Path) -> list[str]:
    """Files the process holds open in the spool dir (unnamed temp files show as `<dir>/#inode (deleted)`)."""
    targets = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            targets.append(os.readlink(fd))
        except OSError:
            continue
    return [target for target in targets if target.startswith(str(spool))]


def wait_for(condition: object, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def start(shared: Stack) -> tuple[str, Child]:
    port = free_port()
    child = shared.start_api(port)
    return f"http://127.0.0.1:{port}", child


def dataset_folders(shared: Stack) -> list[Path]:
    root = shared.data_dir / "datasets"
    return sorted(root.iterdir()) if root.exists() else []


def test_killed_mid_stream_leaves_no_dataset_and_no_file(shared: Stack) -> None:
    spool = Path(shared.extra_env["TMPDIR"])
    url, api = start(shared)
    assert api.process is not None
    sent, release, thread = upload_in_background(url, stop_after=2 * 1024 * 1024)
    assert sent.wait(timeout=60)
    # The server has the first megabytes in a temp file when it holds one open in the spool dir.
    pid = api.process.pid
    wait_for(lambda: spooled_files(pid, spool), "the server to spool the upload")
    api.kill()
    release.set()
    thread.join(timeout=30)

    assert count_rows(shared.database_url, "datasets") == 0
    assert dataset_folders(shared) == []
    assert list(spool.iterdir()) == [], "the spooled part had no name on disk, so the kill left nothing behind"

    url, _ = start(shared)
    small = "".join(chat_line(i) + "\n" for i in range(20))
    uploaded = httpx.post(f"{url}/v1/datasets", files={"file": ("train.jsonl", small)}, data={"provider": "openai"})
    assert uploaded.status_code == 201, uploaded.text
    assert count_rows(shared.database_url, "datasets") == 1
    (folder,) = dataset_folders(shared)
    assert [path.name for path in folder.iterdir()] == ["train.jsonl"]


def test_killed_after_the_bytes_arrived_the_orphan_folder_is_swept_at_start(shared: Stack) -> None:
    url, api = start(shared)
    _sent, release, thread = upload_in_background(url)
    release.set()
    # The handler writes the upload into its own folder, validates it (seconds), and only then records it.
    wait_for(lambda: dataset_folders(shared), "the upload to reach the datasets folder")
    api.kill()
    thread.join(timeout=30)
    assert count_rows(shared.database_url, "datasets") == 0, "the upload finished before the kill; make it bigger"
    (orphan,) = dataset_folders(shared)

    # A fresh folder may be another API process's upload in flight: a starting process leaves it alone.
    url, second = start(shared)
    assert dataset_folders(shared) == [orphan]
    second.stop()

    past = time.time() - SEVEN_HOURS
    for path in [orphan, *orphan.rglob("*")]:
        os.utime(path, (past, past))
    start(shared)
    assert dataset_folders(shared) == []
    assert count_rows(shared.database_url, "datasets") == 0
