"""Chroma's view of our embeddings: an embedding function whose stored config is only the model's name."""

from __future__ import annotations

from typing import Any

from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

from service.embeddings.model import Embedder


@register_embedding_function
class KnowledgeBaseEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma's handle on our Embedder; its stored config is only the model name or path.

    Chroma rebuilds embedding functions from config on ``get_collection`` and elsewhere, so
    construction must stay cheap: the model itself comes from the per-process cache.
    """

    def __init__(self, model: str | None = None) -> None:
        self.embedder = Embedder(model)

    def __call__(self, input: Documents) -> Embeddings:
        return list(self.embedder.encode_array(list(input)))

    @staticmethod
    def name() -> str:
        return "tuning_advisor_sentence_transformer"

    def default_space(self) -> Space:
        return "cosine"  # vectors are normalized: cosine ranks like inner product

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "ip", "l2"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> KnowledgeBaseEmbeddingFunction:
        return KnowledgeBaseEmbeddingFunction(config.get("model") or None)

    def get_config(self) -> dict[str, Any]:
        return {"model": self.embedder.model_name}

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        # Vectors from two models are not comparable: a collection keeps the model it was built with.
        if old_config.get("model") != new_config.get("model"):
            raise ValueError("A knowledge base cannot change its embedding model; create a new one and re-ingest.")
