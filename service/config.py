"""The one settings object. Nothing else reads the environment."""

from __future__ import annotations

import datetime as dt
import ipaddress
import sys
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

Clock = Callable[[], dt.date]
"""Today's date as the app sees it (create_app(clock=...) and `advisor decide --today` pin it)."""


class Settings(BaseSettings):
    """Every knob has an ``ADVISOR_*`` env var and a default that works offline on one machine."""

    model_config = SettingsConfigDict(env_prefix="ADVISOR_", extra="ignore")

    data_dir: Path = Field(default=Path("./data"), description="Where SQLite, Chroma and uploads live.")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; SQLite in data_dir when unset.")
    redis_url: str | None = Field(default=None, description="Redis for jobs and rate limits; SQLite/in-memory when unset.")
    chroma_url: str | None = Field(default=None, description="Chroma server URL; a local PersistentClient when unset.")
    worker_url: str | None = Field(default=None, description="The worker's endpoint; found in the data dir when unset.")
    worker_host: str = Field(default="127.0.0.1", description="Address the worker's endpoint binds to (private network only).")
    worker_port: int = Field(default=0, ge=0, le=65535, description="Worker endpoint port; 0 picks a free one.")
    worker_secret: SecretStr | None = Field(
        default=None, description="Shared secret the API sends the worker; the worker requires it beyond loopback."
    )
    worker_wait_seconds: float = Field(
        default=10.0, ge=0, le=300, description="How long a request that needs the worker waits for it to come up (503 after)."
    )
    worker_restart_max_seconds: float = Field(
        default=30.0, gt=0, le=3600, description="`advisor serve` restarts a dead worker after 1, 2, 4 ... seconds, at most this."
    )
    worker_healthy_seconds: float = Field(
        default=60.0, gt=0, description="A worker up this long counts as healthy: the next restart waits the first delay again."
    )
    job_lease_seconds: float = Field(
        default=30.0, ge=2, le=3600, description="A running job's lease, renewed by its worker; expired, the job is queued again."
    )
    job_max_attempts: int = Field(
        default=3, ge=1, le=100, description="Starts of a job; one whose worker died this often fails (`job_attempts_exhausted`)."
    )
    ingest_slice_chunks: int = Field(
        default=256,
        ge=1,
        description="A long ingestion gives its turn to another tenant's waiting job after this many chunks "
        "(whole documents), and resumes where it stopped.",
    )
    warm_snapshot_chunks: int = Field(
        default=300_000,
        ge=0,
        description="When the worker starts, it builds the BM25 snapshots of the biggest knowledge bases, up to this "
        "many chunks in all, so their first search does not wait for it (~30 s at 100,000 chunks); 0: never.",
    )
    warm_snapshot_min_chunks: int = Field(
        default=5_000,
        ge=1,
        description="Knowledge bases smaller than this are left to their first search (their snapshot builds in about "
        "a second or less).",
    )
    failure_log_seconds: float = Field(
        default=60.0, gt=0, description="While Redis or the database is down, the worker logs one summary line per this interval."
    )
    host: str = Field(default="127.0.0.1", description="Address `advisor serve` binds to.")
    port: int = Field(default=8000, description="Port `advisor serve` binds to.")
    keep_alive_seconds: int = Field(
        default=75,
        ge=1,
        le=3600,
        description="How long `advisor serve` keeps an idle client connection open. Longer than the idle timeout of any "
        "proxy or client pool in front (60 s is common): a server that closes first can close a connection just as a "
        "client sends on it, and that request is lost (uvicorn's own default is 5 s).",
    )
    max_body_bytes: int = Field(default=1024 * 1024, description="Largest JSON request body (413 beyond).")
    max_upload_mb: int = Field(default=200, description="Largest upload in MiB (413 beyond).")
    default_tenant: str = Field(default="default", description="Tenant for open single-tenant mode.")
    embedding_backend: Literal["onnx-int8", "torch"] = Field(
        default="onnx-int8",
        description="How embeddings run: an int8 ONNX export of the model built on this machine (ADR 0014), or PyTorch.",
    )
    query_embedding_threads: int = Field(
        default=1,
        ge=0,
        description="Threads one search's question embedding uses (ONNX); 0 lets ONNX Runtime choose (one per core). "
        "A question is a few tokens: a second thread saves little and its spin-waiting takes a core from the API.",
    )
    embedding_batch_tokens: int = Field(
        default=1024,
        ge=0,
        le=65536,
        description="Word pieces per model call when the int8 export embeds documents, counted once padded (at most 64 "
        "texts a call): short texts go in big calls, long ones in small calls: 1.1-2.6x the texts per second of "
        "calls of 32 (ADR 0036). 0: calls of 32 texts, as PyTorch runs.",
    )
    models_dir: Path | None = Field(
        default=None,
        description="Where model exports are kept; inside the virtual environment when unset (make install builds it).",
    )
    embedding_model: str | None = Field(
        default=None, description="sentence-transformers name or path; bundled MiniLM when unset."
    )
    log_level: str = Field(default="INFO", description="Python log level.")
    freeze_heap: bool = Field(
        default=True,
        description="Collect once and freeze the heap when the app has started, so later garbage collections skip "
        "what start-up built (ADR 0018). Off only where one process builds many apps (the test suite).",
    )
    otel: bool = Field(
        default=False,
        description="Leave FastAPI's native OpenTelemetry on: spans, metrics and logs of each request go to the "
        "process's global OpenTelemetry providers (or those FASTAPI_OTEL_AUTO_CONFIGURE sets up). Off, requests are "
        "not traced and cost no check for a provider (ADR 0026); /metrics, request ids and access logs stay either way.",
    )
    log_format: Literal["auto", "json", "text"] = Field(
        default="auto",
        description="`auto`: readable lines when stderr is a terminal, JSON lines otherwise; or always `json` or `text`.",
    )
    auth: Literal["auto", "on", "off"] = Field(
        default="auto",
        description="API keys on /v1 routes: `auto` turns them on when serving on a non-loopback host.",
    )
    rate_limit_per_minute: int = Field(default=1200, ge=0, description="Requests per minute per API key; 0 turns limits off.")
    rate_limit_burst: int = Field(default=120, ge=1, description="Requests a key may send at once above the steady rate.")
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Proxies (addresses or CIDR networks, comma-separated) whose X-Forwarded-For names the client; "
        "none by default, so the header is ignored and a client cannot pick its own rate-limit bucket.",
    )
    quota_chunks_per_document: int = Field(
        default=2000, ge=1, description="Chunks one document may become; its ingestion job fails (quota_exceeded) beyond."
    )
    quota_chunks_per_kb: int = Field(default=20000, ge=1, description="Chunks a knowledge base may hold in all.")
    quota_pdf_pages: int = Field(default=1000, ge=1, description="Pages of one PDF, counted before any text is extracted.")
    quota_dataset_mb: int = Field(default=1024, ge=1, description="MiB of uploaded datasets one tenant may keep stored.")
    quota_evaluation_items: int = Field(
        default=200, ge=1, le=1000, description="Questions in one knowledge-base evaluation request."
    )
    quota_few_shot_examples: int = Field(
        default=1000, ge=1, le=5000, description="Candidate examples one few-shot request embeds and chooses from."
    )
    quota_concurrent_jobs: int = Field(
        default=4, ge=1, description="Background jobs (queued and running) one tenant may have at once; 429 beyond."
    )
    dataset_ttl_hours: int = Field(
        default=168, ge=0, description="Datasets no tuning job uses are deleted this many hours after upload; 0 keeps them."
    )
    metrics_token: SecretStr | None = Field(
        default=None, description="Bearer token /metrics requires; when unset and keys are on, any API key opens it."
    )
    public_url: str = Field(default="http://127.0.0.1:8000", description="Base URL used in links sent to Slack.")
    slack_signing_secret: SecretStr | None = Field(default=None, description="Slack app signing secret; Slack off when unset.")
    slack_workspaces: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description='JSON: {"T0123": {"bot_token": "xoxb-...", "tenant": "acme"}}, one entry per Slack workspace.',
    )
    slack_api_url: str = Field(default="https://slack.com/api/", description="Slack Web API base URL (tests point it at a fake).")
    intake_provider: Literal["auto", "rules", "openai", "anthropic"] = Field(
        default="auto", description="Free-text intake: rule-based, or an LLM when its key is set (`auto`)."
    )
    openai_api_key: SecretStr | None = Field(default=None, validation_alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, validation_alias="OPENAI_BASE_URL")
    anthropic_api_key: SecretStr | None = Field(default=None, validation_alias="ANTHROPIC_API_KEY")
    google_cloud_project: str | None = Field(default=None, validation_alias="GOOGLE_CLOUD_PROJECT")
    google_api_key: SecretStr | None = Field(default=None, validation_alias="GOOGLE_API_KEY")
    experiment_budget_usd: float | None = Field(
        default=None,
        ge=0,
        description="Estimated USD a tenant's experiments may spend a month (UTC); unset: no cap.",
    )
    experiment_concurrency: int = Field(default=4, ge=1, le=64, description="Calls in flight per provider in one worker.")
    experiment_retries: int = Field(default=5, ge=0, le=20, description="Retries of a call answered 429/5xx.")
    experiment_timeout_seconds: float = Field(default=60.0, gt=0, le=600, description="Longest wait for one model answer.")

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxy_list(cls, value: Any) -> Any:
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list):
            return value
        networks = [str(item).strip() for item in items if str(item).strip()]
        for network in networks:
            ipaddress.ip_network(network, strict=False)  # a typo fails at start, not as a silently open proxy list
        return networks

    @property
    def resolved_models_dir(self) -> Path:
        """One folder per install, shared by every data dir: the export is built once (``make install``), not per test."""
        return self.models_dir or Path(sys.prefix) / "share" / "tuning-advisor" / "models"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'advisor.db').resolve()}"

    @property
    def auth_enabled(self) -> bool:
        """Keys are required when asked for, or by default when the API listens beyond loopback."""
        if self.auth != "auto":
            return self.auth == "on"
        return self.host not in {"127.0.0.1", "localhost", "::1"}

    def ensure_dirs(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from the environment, read once per process."""
    return Settings()
