"""What the API and the worker say to each other: one request and one response model per operation.

Shared by the worker's app (service/worker/app.py) and its client (service/worker/client.py), and
import-light on purpose (pydantic only): the API process imports this, never the store or a model.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

Mode = Literal["dense", "lexical", "hybrid"]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KbRef(_Body):
    kb_id: str = Field(min_length=1)


class SearchQuery(KbRef):
    q: str = Field(min_length=1)
    k: int = Field(default=5, ge=1, le=100)
    mode: Mode = "hybrid"


class SearchHit(BaseModel):
    """One retrieved chunk; ``doc`` is the source file name shown and cited."""

    doc: str
    doc_id: str
    chunk: int
    score: float
    text: str
    heading: str
    start: int
    end: int
    relevance: float | None = None  # 0..1, comparable across questions (knowledge_bases/fusion.py)


class SearchResult(BaseModel):
    hits: list[SearchHit]


class EvalItem(_Body):
    q: str = Field(min_length=1)
    expected_doc: str = Field(min_length=1)
    lang: str | None = Field(default=None, max_length=16)  # evaluation reports each language apart


class EvaluateQuery(KbRef):
    items: list[EvalItem]
    modes: list[Mode] = Field(default=["dense", "lexical", "hybrid"], min_length=1)


class EvaluateResult(BaseModel):
    metrics: dict[str, dict[str, Any]]  # per mode: n (a count), hit@k and mrr (shares), by_language (the same per language)


class DocumentRef(KbRef):
    doc_id: str = Field(min_length=1)


class DeleteResult(BaseModel):
    removed: int


class DropResult(BaseModel):
    dropped: bool


class DocumentStats(BaseModel):
    doc_id: str
    source: str
    chunks: int


class StatsResult(BaseModel):
    chunks: int
    documents: list[DocumentStats]


class EmbedQuery(_Body):
    texts: list[str]
    model: str | None = None


class EmbedResult(BaseModel):
    vectors: list[list[float]]


class HealthResult(BaseModel):
    status: Literal["ok"]
    pid: int


class WorkerProblem(BaseModel):
    """Every non-200 answer of the worker: the AdvisorError code and message the API passes on."""

    code: str
    detail: str


class Operations(Protocol):
    """What the API (and the CLI) may ask of whoever owns the store: the worker's client, or the store itself."""

    def search(self, query: SearchQuery) -> SearchResult: ...

    def evaluate(self, query: EvaluateQuery) -> EvaluateResult: ...

    def delete_document(self, ref: DocumentRef) -> DeleteResult: ...

    def drop(self, ref: KbRef) -> DropResult: ...

    def stats(self, ref: KbRef) -> StatsResult: ...

    def embed(self, query: EmbedQuery) -> EmbedResult: ...
