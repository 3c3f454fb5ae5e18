"""Request and response bodies of /v1/knowledge-bases and /v1/jobs."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from rules.facts import Count, Provider
from service.knowledge_bases.defaults import DEFAULT_CHUNK_OVERLAP, DEFAULT_CHUNK_TOKENS, NO_MATCH_BELOW

Mode = Literal["dense", "lexical", "hybrid"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class KnowledgeBaseIn(_Strict):
    name: str = Field(min_length=1, max_length=128, pattern=r"^[^/\\\x00-\x1f]+$")
    embedding_model: str | None = Field(default=None, max_length=300, description="sentence-transformers name or path")
    chunk_tokens: Count = Field(
        default=DEFAULT_CHUNK_TOKENS,
        ge=50,
        le=2000,
        description="Chunk size in the embedding model's own tokens; ingestion caps it at the model's window "
        "(254 for the bundled all-MiniLM-L6-v2), so every chunk is embedded whole.",
    )
    chunk_overlap: Count = Field(
        default=DEFAULT_CHUNK_OVERLAP,
        ge=0,
        le=1000,
        description=f"Tokens shared by consecutive chunks; must be smaller than chunk_tokens (default {DEFAULT_CHUNK_TOKENS}): "
        "422 otherwise.",
    )


class KnowledgeBaseOut(BaseModel):
    id: str
    name: str
    embedding_model: str | None
    chunk_tokens: int
    chunk_overlap: int
    documents: int
    chunks: int
    created_at: dt.datetime


class JobOut(BaseModel):
    id: str
    kind: str
    state: Literal["queued", "running", "succeeded", "failed"]
    knowledge_base: str | None
    progress: dict[str, int]
    attempts: int
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    created_at: dt.datetime
    updated_at: dt.datetime


class DocumentOut(BaseModel):
    id: str = Field(description="Opaque; GET or DELETE /v1/knowledge-bases/{kb}/documents/{id} works for every document.")
    doc_id: str = Field(description="The file name, or the `id` of a .jsonl line (any text, `/` included).")
    source: str
    chunks: int
    characters: int
    updated_at: dt.datetime


class QueryIn(_Strict):
    q: str = Field(min_length=1, max_length=4000)
    k: Count = Field(default=5, ge=1, le=50)
    mode: Mode = "hybrid"


class HitOut(BaseModel):
    doc: str
    doc_id: str
    chunk: int
    score: float = Field(description="The mode's ranking score (cosine, BM25 or fused RRF): orders hits of one query only.")
    text: str
    heading: str
    start: int
    end: int
    relevance: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Estimated probability that this hit's document answers the question; comparable across questions.",
    )


class QueryOut(BaseModel):
    hits: list[HitOut]
    no_good_match: bool = Field(
        description=f"True when no hit reaches relevance {NO_MATCH_BELOW}: the knowledge base probably does not answer this."
    )


class PromptIn(_Strict):
    q: str = Field(min_length=1, max_length=4000)
    provider: Provider = "openai"
    k: Count = Field(default=5, ge=1, le=20)
    mode: Mode = "hybrid"


class EvalItem(_Strict):
    q: str = Field(min_length=1, max_length=4000)
    expected_doc: str = Field(min_length=1, max_length=300)
    lang: str | None = Field(
        default=None, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$", description="Language of q; guessed from its script if absent."
    )


class EvaluateIn(_Strict):
    items: list[EvalItem] = Field(min_length=1, max_length=1000)
    modes: list[Mode] = Field(default=["dense", "lexical", "hybrid"], min_length=1)
