"""The one settings object. Nothing else reads the environment."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob has an ``ADVISOR_*`` env var and a default that works offline on one machine."""

    model_config = SettingsConfigDict(env_prefix="ADVISOR_", extra="ignore")

    data_dir: Path = Field(default=Path("./data"), description="Where SQLite, Chroma and uploads live.")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; SQLite in data_dir when unset.")
    redis_url: str | None = Field(default=None, description="Redis for jobs and rate limits; SQLite/in-memory when unset.")
    chroma_url: str | None = Field(default=None, description="Chroma server URL; a local PersistentClient when unset.")
    worker_url: str | None = Field(default=None, description="The worker's endpoint; found in the data dir when unset.")
    host: str = Field(default="127.0.0.1", description="Address `advisor serve` binds to.")
    port: int = Field(default=8000, description="Port `advisor serve` binds to.")
    max_body_bytes: int = Field(default=1024 * 1024, description="Largest JSON request body (413 beyond).")
    max_upload_mb: int = Field(default=200, description="Largest upload in MiB (413 beyond).")
    default_tenant: str = Field(default="default", description="Tenant for open single-tenant mode.")
    embedding_model: str | None = Field(
        default=None, description="sentence-transformers name or path; bundled MiniLM when unset."
    )
    log_level: str = Field(default="INFO", description="Python log level.")
    openai_api_key: SecretStr | None = Field(default=None, validation_alias="OPENAI_API_KEY")
    anthropic_api_key: SecretStr | None = Field(default=None, validation_alias="ANTHROPIC_API_KEY")
    google_cloud_project: str | None = Field(default=None, validation_alias="GOOGLE_CLOUD_PROJECT")

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'advisor.db').resolve()}"

    def ensure_dirs(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from the environment, read once per process."""
    return Settings()
