"""The registered builder of ``rag_and_fine_tuning``: the RAG setup, the tuning spec, and the training data
that teaches the tuned model to answer from retrieved chunks (and to say "I don't know" without them)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from service.artifacts.rag_setup import RagSetup, rag_setup_artifact
from service.artifacts.registry import ArtifactContext, register
from service.artifacts.tuning_spec import TuningSpec, tuning_spec_artifact
from service.knowledge_bases.grounding import INSTRUCTIONS, NO_MATCH

EXAMPLE_DOCUMENTS = (
    "[1] leave-policy.md > Vacation > Carry-over\n"
    "Up to 5 unused vacation days move to the next year; the rest lapse on 31 March.\n\n"
    "[2] leave-policy.md > Sick leave\nA doctor's note is needed from the third day of sick leave."
)


class RagTrainingData(BaseModel):
    """The shape of fine-tuning examples for a model that will answer from retrieved context."""

    training_format: str | None
    explanation: str
    example: dict[str, Any] = Field(description="A training record whose prompt holds retrieved chunks.")
    refusal_example: dict[str, Any] = Field(description='A record whose chunks do not answer: the target is "I don\'t know."')
    command: str = Field(description="Builds such records from a knowledge base and a dataset (rag_index.py in the RAG setup).")
    notes: list[str]


class CombinedArtifact(BaseModel):
    """RAG for the facts, fine-tuning for the behaviour: both artifacts, and the data that joins them."""

    kind: Literal["combined"] = "combined"
    detail: str
    rag_setup: RagSetup
    tuning_spec: TuningSpec
    training_data: RagTrainingData
    steps: list[str]


def record(provider: str, question: str, documents: str, answer: str) -> dict[str, Any]:
    """One training record in the provider's chat shape (the one rag_index.py training-data writes)."""
    user = f"Documents:\n\n{documents}\n\nQuestion: {question}"
    if provider == "google":
        return {
            "systemInstruction": {"role": "system", "parts": [{"text": INSTRUCTIONS}]},
            "contents": [{"role": "user", "parts": [{"text": user}]}, {"role": "model", "parts": [{"text": answer}]}],
        }
    if provider == "anthropic":
        return {"system": INSTRUCTIONS, "messages": [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]}
    messages = [{"role": "system", "content": INSTRUCTIONS}, {"role": "user", "content": user}]
    return {"messages": [*messages, {"role": "assistant", "content": answer}]}


@register("rag_and_fine_tuning")
def combined_artifact(context: ArtifactContext) -> CombinedArtifact:
    rag = rag_setup_artifact(context)
    spec = tuning_spec_artifact(context)
    provider = spec.provider
    kb = rag.knowledge_base.name if rag.knowledge_base else "handbook"
    data = RagTrainingData(
        training_format=spec.training_format,
        explanation=(
            "Tune on the prompts the model will see in production: the grounded instructions, the retrieved chunks "
            "numbered [1], [2], ..., then the question; the target answer uses only those chunks and cites them. "
            'About one example in ten gets chunks that do not answer and the target "I don\'t know.", so the tuned '
            "model keeps refusing when retrieval misses instead of answering from memory."
        ),
        example=record(provider, "How many vacation days can I carry over?", EXAMPLE_DOCUMENTS, "Up to 5 days [1]."),
        refusal_example=record(provider, "What is the parental leave policy?", f"(none)\n\n{NO_MATCH}", "I don't know."),
        command=(
            f"python rag_index.py build ./docs --db ./kb && python rag_index.py training-data dataset.jsonl --db ./kb "
            f"--provider {provider} --out rag_train.jsonl"
        ),
        notes=[
            "dataset.jsonl holds {input, output} pairs or chat records; the last user turn is the question.",
            "Validate rag_train.jsonl with POST /v1/datasets before tuning, and use it as the tuning spec's dataset.",
            f"Build the data from the same knowledge base the service answers from ({kb}) so the chunks look alike.",
        ],
    )
    return CombinedArtifact(
        detail="RAG supplies the facts; fine-tuning teaches the format and tone. Build the knowledge base first, then "
        "tune on examples whose prompts carry its retrieved chunks.",
        rag_setup=rag,
        tuning_spec=spec,
        training_data=data,
        steps=[
            "Stand up the knowledge base and score it (rag_setup).",
            "Turn your examples into grounded training data (training_data.command).",
            "Tune on that data (tuning_spec), then evaluate the tuned model with retrieval switched on.",
        ],
    )
