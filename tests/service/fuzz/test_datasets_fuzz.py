"""The dataset validator and converter on hostile input, beyond tests/service/datasets/test_dataset_fuzz.py.

That file fuzzes one provider on in-memory streams; these add every provider and odd model names,
files on disk named .csv (the CSV hint), quoted multi-line CSV rows, OpenAI chat lines with tools
(the token counter walks them), every conversion target, and the HTTP upload itself.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.config import Settings
from service.datasets.convert import convert_file
from service.datasets.schemas import DatasetReport
from service.datasets.validate import validate_file
from service.errors import AdvisorError
from service.main import create_app
from tests.conftest import TODAY
from tests.service.fuzz.strategies import csv_row, json_values, openai_chat

FUZZ = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
PROVIDERS = ["openai", "google", "anthropic", "open_weights"]
TARGETS = ["openai_chat", "gemini_contents", "anthropic_bedrock", "prompt_completion"]
models = st.none() | st.sampled_from(["gpt-4.1-mini", "ft:gpt-4.1-mini:acme::x", "gemini-2.5-flash", ""]) | st.text(max_size=12)
lines = st.lists(
    openai_chat | csv_row | json_values.map(str) | st.binary(max_size=40).map(lambda b: b.decode("latin-1")), max_size=10
)


def check_report(report: DatasetReport, data: bytes) -> None:
    """Invariants a user relies on: line numbers point into the file and the counts add up."""
    total = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    assert report.lines == total
    assert all(f.line is None or 1 <= f.line <= report.lines for f in report.findings)
    assert report.ok == (not any(f.severity == "error" for f in report.findings))
    assert 0 <= report.examples <= report.lines
    assert sum(report.finding_counts.values()) >= len(report.findings)
    tokens = report.tokens
    if report.examples:
        assert tokens.min <= tokens.median <= tokens.max and tokens.total >= tokens.max


def validate(data: bytes, source: Path | io.BytesIO, provider: str, model: str | None) -> DatasetReport | None:
    try:
        return validate_file(source, provider=provider, model=model)
    except AdvisorError as error:  # an unknown provider or model is the user's error, with a code
        assert error.code and error.status < 500
        return None


@FUZZ
@given(lines, st.sampled_from(["\n", "\r\n", "\r"]), st.sampled_from(PROVIDERS), models)
def test_any_provider_and_model(body: list[str], eol: str, provider: str, model: str | None) -> None:
    data = eol.join(body).encode("utf-8", "surrogatepass")
    report = validate(data, io.BytesIO(data), provider, model)
    if report is not None:
        check_report(report, data)


@FUZZ
@given(st.sampled_from(["prompt,completion", "input_text,output_text", "Prompt , Completion", "a,b", ""]), lines)
def test_files_named_csv(tmp_path: Path, header: str, body: list[str]) -> None:
    data = "\n".join([header, *body]).encode("utf-8", "surrogatepass")
    path = tmp_path / "upload.csv"
    path.write_bytes(data)
    report = validate(data, path, "google", None)
    assert report is not None
    check_report(report, data)
    # The first line (never a JSON object here) decides; an empty file has no type to find.
    assert report.file_type == ("csv" if data else "jsonl")


def test_regression_bad_csv_header_still_counts_and_hashes_every_line(tmp_path: Path) -> None:
    """Found by test_files_named_csv: after a bad header the report said lines=1 and hashed only line 1."""
    data = b"question,answer\nq,a\n\xff\xfe not utf-8\nlast"
    path = tmp_path / "data.csv"
    path.write_bytes(data)
    report = validate_file(path)
    assert report.lines == 4
    assert report.sha256 == hashlib.sha256(data).hexdigest()
    assert [(f.code, f.line) for f in report.findings if f.line] == [("invalid_csv", 1)]


@FUZZ
@given(st.lists(openai_chat, min_size=1, max_size=8))
def test_openai_chat_with_tools(chats: list[str]) -> None:
    data = "\n".join(chats).encode("utf-8", "surrogatepass")
    report = validate(data, io.BytesIO(data), "openai", None)
    assert report is not None
    check_report(report, data)


@FUZZ
@given(lines, st.sampled_from(TARGETS), st.floats(0, 0.9), st.sampled_from([".jsonl", ".csv"]))
def test_every_conversion_target(tmp_path: Path, body: list[str], target: str, fraction: float, suffix: str) -> None:
    source = tmp_path / f"in{suffix}"
    source.write_bytes("\n".join(body).encode("utf-8", "surrogatepass"))
    try:
        result = convert_file(source, target, tmp_path / "out", validation_fraction=fraction)
    except AdvisorError as error:
        assert error.code and error.status < 500
        return
    assert min(result.train, result.validation, result.dropped, result.duplicates) >= 0


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("fuzz-api") / "data"), clock=lambda: TODAY)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    app.state.database.dispose()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.binary(max_size=300) | lines.map(lambda b: "\n".join(b).encode("utf-8", "surrogatepass")),
    st.text(max_size=20) | st.sampled_from(["train.jsonl", "rows.csv", ".hidden", "../../etc/passwd", "a\\b.csv"]),
    st.sampled_from([*PROVIDERS, "undecided", "bogus"]),
    models,
)
def test_http_upload_never_5xx(api: TestClient, data: bytes, filename: str, provider: str, model: str | None) -> None:
    form = {"provider": provider, **({"model": model} if model is not None else {})}
    response = api.post("/v1/datasets", files={"file": (filename, data)}, data=form)
    assert response.status_code < 500, response.text
    if response.status_code == 201:
        check_report(DatasetReport.model_validate(response.json()["report"]), data)
    else:
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"]
