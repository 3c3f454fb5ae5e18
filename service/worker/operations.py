"""The operations done by whoever owns the store: the worker process, or a CLI run when no worker runs."""

from __future__ import annotations

import os
from dataclasses import asdict

from service.knowledge_bases.evaluate import evaluate
from service.worker.runtime import Runtime
from service.worker.schemas import (
    DeleteResult,
    DocumentRef,
    DocumentStats,
    DropResult,
    EmbedQuery,
    EmbedResult,
    EvaluateQuery,
    EvaluateResult,
    HealthResult,
    KbRef,
    SearchHit,
    SearchQuery,
    SearchResult,
    StatsResult,
)


class StoreOperations:
    """The typed operations on an open Runtime; the worker's app serves exactly these."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def search(self, query: SearchQuery) -> SearchResult:
        index = self.runtime.index_of(query.kb_id)
        hits = index.query(query.q, k=query.k, mode=query.mode)
        # From the attributes: asdict() deep-copies every field of every hit (~0.2 ms a search, for scalars).
        return SearchResult(hits=[SearchHit.model_validate(hit, from_attributes=True) for hit in hits])

    def evaluate(self, query: EvaluateQuery) -> EvaluateResult:
        index = self.runtime.index(self.runtime.kb(query.kb_id))
        items = [item.model_dump(exclude_none=True) for item in query.items]
        return EvaluateResult(metrics=evaluate(index, items, modes=tuple(query.modes)))

    def delete_document(self, ref: DocumentRef) -> DeleteResult:
        index = self.runtime.index(self.runtime.kb(ref.kb_id))
        return DeleteResult(removed=index.delete_document(ref.doc_id))

    def drop(self, ref: KbRef) -> DropResult:
        self.runtime.forget(ref.kb_id)
        self.runtime.index(self.runtime.kb(ref.kb_id)).drop()
        return DropResult(dropped=True)

    def stats(self, ref: KbRef) -> StatsResult:
        index = self.runtime.index(self.runtime.kb(ref.kb_id))
        documents = [DocumentStats(**asdict(doc)) for doc in index.list_documents()]
        return StatsResult(chunks=index.count(), documents=documents)

    def embed(self, query: EmbedQuery) -> EmbedResult:
        """Vectors for ``texts`` (few-shot selection); repeated texts come from the runtime's cache."""
        return EmbedResult(vectors=self.runtime.embed_cached(query.texts, query.model))

    def health(self) -> HealthResult:
        return HealthResult(status="ok", pid=os.getpid())
