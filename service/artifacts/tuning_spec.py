"""The tuning-job spec: per provider, the steps, hyperparameters, cost and a runnable snippet."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from knowledge.loader import Catalog, ModelEntry, ProviderEntry, default_catalog
from service.artifacts import snippets
from service.artifacts.registry import ArtifactContext, register
from service.datasets.schemas import DatasetReport

FORMAT_FOR = {
    "openai": "openai_chat",
    "google": "gemini_contents",
    "open_weights": "trl_messages",
    "anthropic": "anthropic_bedrock",
}
# Vertex adapter sizes as the google-genai enum names them.
ADAPTER_NAMES = {
    1: "ADAPTER_SIZE_ONE",
    2: "ADAPTER_SIZE_TWO",
    4: "ADAPTER_SIZE_FOUR",
    8: "ADAPTER_SIZE_EIGHT",
    16: "ADAPTER_SIZE_SIXTEEN",
}
ASSUMED_TOKENS_PER_EXAMPLE = 500


class TuningSpec(BaseModel):
    """Everything needed to start a tuning job, as data and as text."""

    kind: Literal["tuning_spec"] = "tuning_spec"
    provider: str
    supported: bool
    model: str | None
    dataset_id: str | None = None
    training_format: str | None
    examples: int | None
    hyperparameters: dict[str, Any]
    estimated_training_tokens: int | None
    estimated_cost_usd: float | None
    cost_is_estimate: bool
    steps: list[str]
    notices: list[str] = Field(default_factory=list)
    alternative: str | None = None
    snippet: str
    files: dict[str, str] = Field(default_factory=dict, description="Extra files to save, by name (e.g. axolotl.yaml).")


def default_epochs(examples: int) -> int:
    """OpenAI cookbook heuristic: aim for 3 epochs, at least ~100 example passes, at most ~25,000."""
    n = max(1, examples)
    if n * 3 < 100:
        return min(25, 100 // n)
    if n * 3 > 25_000:
        return max(1, 25_000 // n)
    return 3


def _adapter_size(examples: int) -> int:
    # Small datasets overfit a big adapter; more data can use more capacity.
    return 4 if examples < 1000 else 8 if examples < 10_000 else 16


def _notices(entry: ProviderEntry, today: dt.date) -> list[str]:
    past = [d for d in entry.deprecations if d.date < today]
    ahead = [d for d in entry.deprecations if d.date >= today]
    notices = [f"since {d.date.isoformat()}: {d.what} (source: {d.source})" for d in past]
    notices += [f"from {d.date.isoformat()}: {d.what} (source: {d.source})" for d in ahead]
    return notices + entry.fine_tuning.notes


def build_tuning_spec(
    provider: str,
    *,
    model: str | None = None,
    report: DatasetReport | None = None,
    examples_hint: int = 0,
    dataset_id: str | None = None,
    today: dt.date | None = None,
    catalog: Catalog | None = None,
) -> TuningSpec:
    """The spec for ``provider`` (undecided teams get Vertex Gemini); Anthropic gets the no-tuning path."""
    catalog = catalog or default_catalog()
    today = today or dt.date.today()
    name = "google" if provider == "undecided" else provider
    entry = catalog.provider(name)
    chosen: ModelEntry | None = entry.model(model) or entry.default_model()
    examples = report.examples if report else examples_hint
    epochs = report.epochs if report and report.epochs else default_epochs(examples)
    tokens = report.tokens.total if report else examples * ASSUMED_TOKENS_PER_EXAMPLE
    price = chosen.tuned_price.training_per_mtok if chosen and chosen.tuned_price else None
    cost = round(tokens * epochs * price / 1_000_000, 2) if price is not None and tokens else None
    common: dict[str, Any] = {
        "provider": name,
        "model": chosen.id if chosen else None,
        "dataset_id": dataset_id,
        "training_format": FORMAT_FOR[name],
        "examples": examples,
        "estimated_training_tokens": tokens * epochs if tokens else None,
        "estimated_cost_usd": cost,
        "cost_is_estimate": report is None or not report.tokens.exact,
        "notices": _notices(entry, today),
        "alternative": entry.fine_tuning.alternative,
    }
    if not entry.can_fine_tune(today):
        return _cannot_tune(entry, common)
    if name == "openai":
        hyper = {"n_epochs": epochs, "batch_size": "auto", "learning_rate_multiplier": "auto"}
        base = (chosen.tuning_id if chosen and chosen.tuning_id else None) or common["model"]
        return TuningSpec(
            supported=True,
            hyperparameters=hyper,
            steps=[
                "Convert the data to openai_chat with a 10% validation split (POST /v1/datasets/{id}/convert).",
                "Upload train.jsonl and validation.jsonl with purpose='fine-tune'.",
                f"Create a supervised job on {base} with the hyperparameters below; poll until it succeeds.",
                "Evaluate the tuned model against today's prompt on held-out questions before switching traffic.",
            ],
            snippet=snippets.openai_job(base, hyper),
            **common,
        )
    if name == "google":
        size = _adapter_size(examples)
        hyper = {"epoch_count": epochs, "learning_rate_multiplier": 1.0, "adapter_size": ADAPTER_NAMES[size]}
        return TuningSpec(
            supported=True,
            hyperparameters=hyper,
            steps=[
                "Convert the data to gemini_contents with a 10% validation split.",
                "Upload train.jsonl and validation.jsonl to a Cloud Storage bucket in the tuning region.",
                "Start the job with google-genai tunings.tune on Vertex AI (not the Gemini Developer API).",
                "Poll the job; the tuned model is served from the endpoint the job reports, no deployment step.",
            ],
            snippet=snippets.vertex_job(common["model"], hyper),
            **common,
        )
    hyper = {"num_train_epochs": epochs, "learning_rate": 2e-4, "lora_r": 16, "lora_alpha": 32, "max_length": 2048}
    return TuningSpec(
        supported=True,
        hyperparameters=hyper,
        steps=[
            "Convert the data to trl_messages with a 10% validation split.",
            "Run train.py (TRL SFTTrainer + LoRA) on a GPU machine, or axolotl with axolotl.yaml.",
            "Merge or serve the LoRA adapter (e.g. with vLLM) and evaluate on held-out questions.",
        ],
        snippet=snippets.trl_script(common["model"], hyper),
        files={
            "train.py": snippets.trl_script(common["model"], hyper),
            "axolotl.yaml": snippets.axolotl_config(common["model"], hyper),
        },
        **common,
    )


def _cannot_tune(entry: ProviderEntry, common: dict[str, Any]) -> TuningSpec:
    return TuningSpec(
        supported=False,
        hyperparameters={},
        steps=[
            f"{entry.display_name} offers no fine-tuning you can start today: {entry.fine_tuning.how}",
            "Move the behaviour into the prompt: XML-tagged instructions and an <examples> block of your best examples.",
            "Use structured outputs for strict formats, and RAG for facts the model lacks.",
            f"If tuning is still needed, the same data converts for: {entry.fine_tuning.alternative}.",
        ],
        snippet=snippets.anthropic_prompting() if entry.provider == "anthropic" else "",
        **{**common, "estimated_cost_usd": None},
    )


@register("fine_tuning")  # rag_and_fine_tuning: combined.py builds it with the RAG setup
def tuning_spec_artifact(context: ArtifactContext) -> TuningSpec:
    """The registered builder: uses a validated dataset's report when the caller sent one."""
    report = context.material.get("dataset_report")
    today = context.services.get("today")
    return build_tuning_spec(
        context.profile.provider,
        model=context.profile.model,
        report=report if isinstance(report, DatasetReport) else None,
        examples_hint=context.profile.examples,
        dataset_id=context.material.get("dataset_id"),
        today=today if isinstance(today, dt.date) else None,
    )
