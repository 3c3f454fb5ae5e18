"""ADVISOR_LOG_FORMAT=auto: readable lines for a person at a terminal, JSON lines for a file or a log collector."""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import pytest

from service.config import Settings
from service.ops.observability import JsonFormatter, TextFormatter, log_format


@pytest.fixture
def terminal() -> Iterator[TextIO]:
    leader, follower = os.openpty()
    stream = os.fdopen(follower, "w")
    try:
        yield stream
    finally:
        stream.close()
        os.close(leader)


def test_auto_is_text_on_a_terminal_and_json_elsewhere(terminal: TextIO, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.log_format == "auto"  # the default
    assert log_format(settings, terminal) == "text"
    assert log_format(settings, io.StringIO()) == "json"
    with (tmp_path / "log.txt").open("w") as file:
        assert log_format(settings, file) == "json"


@pytest.mark.parametrize("chosen", ["json", "text"])
def test_a_chosen_format_wins_over_the_terminal(terminal: TextIO, tmp_path: Path, chosen: str) -> None:
    settings = Settings(data_dir=tmp_path, log_format=chosen)  # type: ignore[arg-type]
    assert log_format(settings, terminal) == chosen
    assert log_format(settings, io.StringIO()) == chosen


def test_text_lines_read_as_sentences() -> None:
    record = logging.LogRecord("service.worker", logging.WARNING, __file__, 1, "re-queuing job %s", ("j1",), None)
    line = TextFormatter().format(record)
    assert line.endswith(" WARNING service.worker: re-queuing job j1")
    assert not line.startswith("{")
    access = logging.LogRecord(
        "service.access", logging.INFO, __file__, 1, "%s %s %d %.1f ms", ("GET", "/healthz", 200, 0.8), None
    )
    assert TextFormatter().format(access).endswith(" INFO    GET /healthz 200 0.8 ms")
    assert JsonFormatter().format(record).startswith("{")
