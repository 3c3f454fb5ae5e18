"""Open-weights models: prompts through any server that speaks the OpenAI chat API, LoRA tuning with TRL or axolotl."""

from __future__ import annotations

from knowledge.loader import Catalog
from service.providers.base import Provider, TuningPlan


class OpenWeightsProvider(Provider):
    name = "open_weights"
    shape = "openai"  # vLLM, TGI and Ollama serve the OpenAI chat API
    prompt_sdk = ("openai",)

    def tuning_plan(self, model: str, examples: int, epochs: int, catalog: Catalog | None = None) -> TuningPlan:
        hyper = {"num_train_epochs": epochs, "learning_rate": 2e-4, "lora_r": 16, "lora_alpha": 32, "max_length": 2048}
        script = self.render("train.py.j2", model=model, hyper=hyper)
        return TuningPlan(
            hyperparameters=hyper,
            steps=[
                f"Convert the data to {self.training_format(catalog)} with a 10% validation split.",
                "Run train.py (TRL SFTTrainer + LoRA) on a GPU machine, or axolotl with axolotl.yaml.",
                "Merge or serve the LoRA adapter (e.g. with vLLM) and evaluate on held-out questions.",
            ],
            snippet=script,
            files={"train.py": script, "axolotl.yaml": self.render("axolotl.yaml.j2", model=model, hyper=hyper)},
        )


PROVIDER = OpenWeightsProvider()
