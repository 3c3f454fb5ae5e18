"""OpenAI: chat-completions prompts, supervised fine-tuning jobs the advisor can submit, structured extraction.

The SDK is imported where a client is built, never at import time (reading the profile must not load it).
Errors leave here as AdvisorError subclasses whose messages never carry the key.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from knowledge.loader import Catalog
from service.errors import AdvisorError, ProviderUnavailable
from service.providers.base import ExtractionClient, Provider, ProviderJob, TuningPlan
from service.providers.redaction import redact

if TYPE_CHECKING:
    import httpx2

    from service.config import Settings


class OpenAIProvider(Provider):
    name = "openai"
    shape = "openai"
    prompt_sdk = ("openai",)
    key_env = "OPENAI_API_KEY"
    submits_jobs = True

    def tuning_plan(self, model: str, examples: int, epochs: int, catalog: Catalog | None = None) -> TuningPlan:
        hyper: dict[str, Any] = {"n_epochs": epochs, "batch_size": "auto", "learning_rate_multiplier": "auto"}
        snapshot = self.tuning_id(model, catalog)
        fmt = self.training_format(catalog)
        return TuningPlan(
            hyperparameters=hyper,
            steps=[
                f"Convert the data to {fmt} with a 10% validation split (POST /v1/datasets/{{id}}/convert).",
                "Upload train.jsonl and validation.jsonl with purpose='fine-tune'.",
                f"Create a supervised job on {snapshot} with the hyperparameters below; poll until it succeeds.",
                "Evaluate the tuned model against today's prompt on held-out questions before switching traffic.",
            ],
            snippet=self.render("tuning_job.py.j2", model=snapshot, method_json=json.dumps(hyper)),
        )

    def tuning_client(self, settings: Settings) -> OpenAITuning | None:
        if settings.openai_api_key is None:
            return None
        return OpenAITuning(settings.openai_api_key.get_secret_value(), base_url=settings.openai_base_url)

    def extraction_client(self, settings: Settings, model: str) -> ExtractionClient | None:
        if settings.openai_api_key is None:
            return None
        from service.providers.extraction import OpenAIExtraction

        return OpenAIExtraction(settings.openai_api_key.get_secret_value(), model=model)


PROVIDER = OpenAIProvider()


class ProviderRejected(AdvisorError):
    status = 422
    code = "provider_rejected"
    title = "The provider rejected the request"


class ProviderTimeout(ProviderUnavailable):
    status = 504
    code = "provider_timeout"
    title = "The provider did not answer in time"


class OpenAITuning:
    """Upload, create and poll supervised fine-tuning jobs."""

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str | None = None,
        http_client: httpx2.Client | None = None,
        max_retries: int = 2,
        timeout: float = 60.0,
    ) -> None:
        import openai

        self._sdk = openai
        self._secret = api_key
        self._client = openai.OpenAI(
            api_key=api_key, base_url=base_url, http_client=http_client, max_retries=max_retries, timeout=timeout
        )

    def upload(self, path: Path, *, idempotency_key: str) -> str:
        with path.open("rb") as handle:
            created = self._call(
                self._client.files.create,
                file=(path.name, handle),
                purpose="fine-tune",
                extra_headers={"Idempotency-Key": idempotency_key},
            )
        return str(created.id)

    def create_job(
        self,
        *,
        model: str,
        training_file: str,
        validation_file: str | None,
        hyperparameters: dict[str, Any],
        suffix: str | None,
        idempotency_key: str,
    ) -> ProviderJob:
        extra: dict[str, Any] = {}
        if validation_file:
            extra["validation_file"] = validation_file
        if suffix:
            extra["suffix"] = suffix
        job = self._call(
            self._client.fine_tuning.jobs.create,
            model=model,
            training_file=training_file,
            method={"type": "supervised", "supervised": {"hyperparameters": hyperparameters}},
            extra_headers={"Idempotency-Key": idempotency_key},
            **extra,
        )
        return _job(job, self._redact)

    def retrieve(self, job_id: str) -> ProviderJob:
        return _job(self._call(self._client.fine_tuning.jobs.retrieve, job_id), self._redact)

    def _call(self, sdk_method: Any, /, *args: Any, **kwargs: Any) -> Any:
        openai = self._sdk
        try:
            return sdk_method(*args, **kwargs)
        except openai.APITimeoutError as exc:
            raise ProviderTimeout("OpenAI did not answer in time; retry with the same Idempotency-Key.") from exc
        except openai.APIConnectionError as exc:
            raise ProviderUnavailable("OpenAI could not be reached; retry with the same Idempotency-Key.") from exc
        except openai.AuthenticationError as exc:
            raise ProviderRejected("OpenAI refused the API key; check OPENAI_API_KEY.", code="provider_auth_failed") from exc
        except openai.APIStatusError as exc:
            detail = self._redact(_message(exc))
            if exc.status_code >= 500 or exc.status_code == 429:
                raise ProviderUnavailable(
                    f"OpenAI answered {exc.status_code}: {detail}. Retry later with the same Idempotency-Key."
                ) from exc
            raise ProviderRejected(f"OpenAI rejected the request ({exc.status_code}): {detail}") from exc

    def _redact(self, text: str) -> str:
        return redact(text, self._secret)


def _message(exc: Any) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error", body) if isinstance(body, dict) else {}
    return str(error.get("message") if isinstance(error, dict) and error.get("message") else exc.message)


def _job(job: Any, redact: Callable[[str], str]) -> ProviderJob:
    # A failed job's message is stored and shown: it must not carry the key even if the provider echoes it.
    error = getattr(job, "error", None)
    message = getattr(error, "message", None) if error else None
    return ProviderJob(
        id=str(job.id), status=str(job.status), fine_tuned_model=job.fine_tuned_model, error=redact(message) if message else None
    )
