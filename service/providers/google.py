"""Google: Gemini prompts through the Gemini API, supervised tuning on Gemini Enterprise Agent Platform (Vertex AI).

Tuning runs only on Agent Platform; the snippet copies the files to Cloud Storage with the gcloud CLI, since
google-genai has no Cloud Storage upload and google-cloud-storage would be one more package to install.
"""

from __future__ import annotations

from knowledge.loader import Catalog
from service.providers.base import Provider, TuningPlan

# google-genai's AdapterSize names (types.py of the installed google-genai 3.x).
ADAPTER_NAMES = {
    1: "ADAPTER_SIZE_ONE",
    2: "ADAPTER_SIZE_TWO",
    4: "ADAPTER_SIZE_FOUR",
    8: "ADAPTER_SIZE_EIGHT",
    16: "ADAPTER_SIZE_SIXTEEN",
    32: "ADAPTER_SIZE_THIRTY_TWO",
}


def adapter_size(examples: int, allowed: list[int]) -> int:
    """Small datasets overfit a big adapter; more data can use more capacity (within the sizes the model takes)."""
    wanted = 4 if examples < 1000 else 8 if examples < 10_000 else 16
    fitting = [size for size in sorted(allowed) if size <= wanted]
    return fitting[-1] if fitting else min(allowed)


class GoogleProvider(Provider):
    name = "google"
    shape = "google"
    prompt_sdk = ("google-genai",)
    key_env = "GEMINI_API_KEY"

    def tuning_plan(self, model: str, examples: int, epochs: int, catalog: Catalog | None = None) -> TuningPlan:
        entry = self.entry(catalog)
        found = entry.model(model)
        tuning = found.lifecycle.tuning if found else None
        allowed = (tuning.adapter_sizes if tuning else None) or entry.fine_tuning.adapter_sizes or [4]
        size = adapter_size(examples, [s for s in allowed if s in ADAPTER_NAMES])
        hyper = {"epoch_count": epochs, "learning_rate_multiplier": 1.0, "adapter_size": ADAPTER_NAMES[size]}
        return TuningPlan(
            hyperparameters=hyper,
            steps=[
                f"Convert the data to {self.training_format(catalog)} with a 10% validation split.",
                "Copy train.jsonl and validation.jsonl to a Cloud Storage bucket in the tuning region (gcloud storage cp).",
                "Start the job with google-genai tunings.tune on Agent Platform (enterprise=True), not the Gemini Developer API.",
                "Poll the job; the tuned model is served from the endpoint the job reports, no deployment step.",
            ],
            snippet=self.render("tuning_job.py.j2", model=model, hyper=hyper),
        )


PROVIDER = GoogleProvider()
