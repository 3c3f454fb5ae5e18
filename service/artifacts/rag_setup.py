"""The registered builder of the ``rag`` strategy: a knowledge-base setup, bound to a real KB when one is named.

Everything a team needs to stand RAG up: the knowledge-base settings (fitted to the embedding model's
window), the ingestion plan and its re-ingest schedule, the grounded prompt for the provider, an
evaluation set to fill in with the command that scores it, and ``rag_index.py``, which builds the same
kind of index outside the service.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

from pydantic import BaseModel, Field

from rules.facts import Change, Profile
from service.artifacts.rag_script import render
from service.artifacts.registry import ArtifactContext, register
from service.embeddings import BUNDLED_MODEL
from service.knowledge_bases.defaults import (
    DEFAULT_CHUNK_OVERLAP,
    DEFAULT_CHUNK_TOKENS,
    NO_MATCH_BELOW,
    RRF_K,
    SUPPORTED_EXTENSIONS,
    collection_name,
)
from service.knowledge_bases.grounding import INSTRUCTIONS, NO_MATCH, GroundedPrompt
from service.providers.lifecycle import require_model
from service.providers.registry import provider_for

BUNDLED_NAME, BUNDLED_DIMENSIONS, BUNDLED_WINDOW = "sentence-transformers/all-MiniLM-L6-v2", 384, 256
# How often to re-ingest, by how often the knowledge changes: (schedule, cron or None).
REINGEST: dict[Change, tuple[str, str | None]] = {
    "static": ("once, then only when a document is added or edited", None),
    "yearly": ("once a year, and whenever a document is edited", "0 3 1 1 *"),
    "monthly": ("monthly, on the first night of the month", "0 3 1 * *"),
    "weekly": ("weekly, on Sunday night", "0 3 * * 0"),
    "daily": ("nightly", "0 3 * * *"),
    "realtime": ("on every change: upload the changed document from the system that edits it", None),
}
FORMATS = {
    ".txt": "plain text, UTF-8",
    ".md": "Markdown: headings start sections and travel with each chunk; code fences stay whole",
    ".markdown": "as .md",
    ".html": "visible text; headings, <pre> code and table rows are kept as structure",
    ".htm": "as .html",
    ".pdf": "text layer only (a page per section); scanned pages need OCR first",
    ".jsonl": 'one document per line: {"id", "text", "metadata"}',
}


class KnowledgeBaseSettings(BaseModel):
    embedding_model: str = Field(description="What to pass as embedding_model (None/omitted means the bundled model).")
    model_name: str
    dimensions: int | None
    window_tokens: int | None = Field(description="Tokens the model reads, [CLS] and [SEP] included; the rest is dropped.")
    distance: Literal["cosine"] = "cosine"
    chunk_tokens: int = Field(description="Chunk size in the embedding model's own tokens.")
    chunk_overlap: int
    fitted: str
    search: str


class IngestionPlan(BaseModel):
    formats: dict[str, str]
    knowledge_change: Change
    reingest: str
    cron: str | None
    upsert_by_hash: str
    commands: list[str]


class PromptTemplate(BaseModel):
    provider: str
    model: str
    system: str
    user: str = Field(description="{documents} and {question} are filled per request.")
    document: str = Field(description="How each retrieved chunk is written into {documents}.")
    citation: str
    no_match: str
    request: str = Field(description="Where to get the filled request for a real question.")


class EvaluationPlan(BaseModel):
    template: str = Field(description="eval.jsonl: replace each placeholder question with a real one.")
    command: str
    http: dict[str, Any]
    reports: str
    guidance: list[str]


class BoundKnowledgeBase(BaseModel):
    id: str
    name: str
    documents: int
    chunks: int
    sources: list[str]
    last_evaluation: dict[str, Any] | None
    evaluated_at: str | None = None
    example_question: str | None = None
    grounded_prompt: GroundedPrompt | None = None


class RagSetup(BaseModel):
    """The RAG setup: settings, ingestion, prompt, evaluation and a runnable build script."""

    kind: Literal["rag_setup"] = "rag_setup"
    provider: str
    knowledge_base: BoundKnowledgeBase | None = None
    settings: KnowledgeBaseSettings
    ingestion: IngestionPlan
    prompt: PromptTemplate
    evaluation: EvaluationPlan
    steps: list[str]
    snippet: str = Field(description="rag_index.py: build, query and make training data with chromadb + sentence-transformers.")
    files: dict[str, str]
    notes: list[str] = Field(default_factory=list)


def _settings(bound: dict[str, Any] | None) -> KnowledgeBaseSettings:
    model = (bound or {}).get("embedding_model") or None
    bundled = model in (None, BUNDLED_MODEL)
    window = BUNDLED_WINDOW if bundled else None
    requested = int((bound or {}).get("chunk_tokens") or DEFAULT_CHUNK_TOKENS)
    chunk_tokens = min(requested, window - 2) if window else requested
    overlap = min(int((bound or {}).get("chunk_overlap") or DEFAULT_CHUNK_OVERLAP), chunk_tokens - 1)
    fitted = (
        f"{chunk_tokens} tokens of the model's own tokenizer fit its {window}-token window with [CLS] and [SEP]; "
        "the heading path embedded before each chunk comes out of the same budget, so every chunk is embedded whole."
        if window
        else f"{requested} tokens as set; ingestion caps chunks at this model's window (its max_seq_length minus special tokens)."
    )
    if window and requested > chunk_tokens:
        fitted += f" This knowledge base asks for {requested}: ingestion cuts chunks at {chunk_tokens}."
    return KnowledgeBaseSettings(
        embedding_model=BUNDLED_MODEL if bundled else str(model),
        model_name=BUNDLED_NAME if bundled else str(model),
        dimensions=BUNDLED_DIMENSIONS if bundled else None,
        window_tokens=window,
        chunk_tokens=chunk_tokens,
        chunk_overlap=overlap,
        fitted=fitted,
        search=(
            f"hybrid: BM25 (Hebrew prefixes folded) and dense cosine, fused by weighted RRF (k={RRF_K}); each hit has a "
            f'calibrated relevance, and below {NO_MATCH_BELOW} for every hit the answer is "I don\'t know".'
        ),
    )


def _ingestion(profile: Profile, kb: str) -> IngestionPlan:
    schedule, cron = REINGEST[profile.knowledge_change]
    formats = {ext: FORMATS.get(ext, "") for ext in SUPPORTED_EXTENSIONS}
    return IngestionPlan(
        formats=formats,
        knowledge_change=profile.knowledge_change,
        reingest=f"Re-ingest {schedule}. Upload every current document each time; unchanged ones cost nothing.",
        cron=cron,
        upsert_by_hash=(
            "Each chunk is keyed by a hash of its text, heading path and embedding model. Uploading a document again "
            "embeds only the chunks that changed, reuses the stored vectors of the rest, removes chunks that are gone, "
            "and switches the document in one step (queries see the old or the new version, never a mix). "
            "Delete a document that left the source with DELETE /v1/knowledge-bases/{kb}/documents/{doc_id}."
        ),
        commands=[
            f"advisor kb ingest {kb} docs/*.md docs/*.pdf",
            f'curl -F "files=@handbook.pdf" -F "files=@faq.md" $ADVISOR_URL/v1/knowledge-bases/{kb}/documents',
        ],
    )


def _prompt(provider: str, today: dt.date) -> PromptTemplate:
    """The grounded prompt's shape for ``provider`` (undecided: the catalog's prompting choice) and its model today."""
    target = provider_for(provider, "prompting", today)
    chosen = require_model(target.name, None, "prompting", today)
    if target.shape == "anthropic":  # documents first in XML, the question last (as grounding.py builds it)
        system = f"{INSTRUCTIONS} A document's number is its index attribute inside <documents>."
        user = "<documents>\n{documents}\n</documents>\n\nQuestion: {question}"
        document = (
            '<document index="{n}">\n<source>{source} > {heading}</source>\n'
            "<document_content>\n{chunk text}\n</document_content>\n</document>"
        )
    else:
        system, user = INSTRUCTIONS, "Documents:\n\n{documents}\n\nQuestion: {question}"
        document = "[{n}] {source} > {heading}\n{chunk text}"
    return PromptTemplate(
        provider=target.name,
        model=chosen,
        system=system,
        user=user,
        document=document,
        citation="[n], the document's number, after each claim it supports",
        no_match=f'When no hit reaches relevance {NO_MATCH_BELOW}, no document is sent and the prompt adds: "{NO_MATCH}"',
        request='POST /v1/knowledge-bases/{kb}/prompt with {"q": ..., "provider": ...} returns the filled request.',
    )


def _evaluation(kb: str, sources: list[str]) -> EvaluationPlan:
    picked = sources[:10] or ["handbook.md", "faq.md"]
    lines = [
        json.dumps({"q": f"<a question a user would ask that {source} answers>", "expected_doc": source, "lang": "en"})
        for source in picked
    ]
    items = [{"q": "How many vacation days do I get?", "expected_doc": picked[0], "lang": "en"}]
    return EvaluationPlan(
        template="\n".join(lines) + "\n",
        command=f"advisor kb eval {kb} eval.jsonl",
        http={"method": "POST", "path": f"/v1/knowledge-bases/{kb}/evaluate", "body": {"items": items}},
        reports="hit@1, hit@3, hit@5 and MRR for dense, lexical and hybrid search, overall and per language.",
        guidance=[
            "Write 30 or more questions the way users ask them, each with the file that answers it.",
            "Give each language your users write in its share (lang: en, he, ...), and include questions whose "
            "answer sits in one of several near-identical documents (versions, regions, plans).",
            "Aim for hybrid hit@3 of 0.9 or more in every language; re-run after each re-ingest or settings change.",
        ],
    )


@register("rag")
def rag_setup_artifact(context: ArtifactContext) -> RagSetup:
    """The setup for the profile's provider; with material["knowledge_base"] (resolved by the advice), bound to it."""
    profile = context.profile
    bound = context.material.get("knowledge_base")
    bound = bound if isinstance(bound, dict) else None
    kb = bound["name"] if bound else "handbook"
    settings = _settings(bound)
    prompt = _prompt(profile.provider, context.services["today"])
    sources = list(bound.get("sources", [])) if bound else []
    evaluation = _evaluation(kb, sources)
    script = render(
        model=settings.model_name,
        chunk_tokens=settings.chunk_tokens,
        overlap=settings.chunk_overlap,
        collection=collection_name(kb),
        provider=profile.provider if profile.provider != "undecided" else "openai",
        system=INSTRUCTIONS,
        no_match=NO_MATCH,
    )
    notes = list(bound.get("notes", [])) if bound else []
    create = {"name": kb, "chunk_tokens": settings.chunk_tokens, "chunk_overlap": settings.chunk_overlap}
    steps = [
        f"Create the knowledge base: POST /v1/knowledge-bases {json.dumps(create)} (or `advisor kb create {kb}`).",
        "Upload the documents (ingestion below); the job reports chunks embedded and reused.",
        "Fill eval.jsonl with real questions and score it; keep the figures to compare after each change.",
        "At answer time, POST /v1/knowledge-bases/{kb}/prompt and send the request it returns to the model.",
    ]
    if bound:
        steps = steps[2:]
    return RagSetup(
        provider=profile.provider,
        knowledge_base=BoundKnowledgeBase.model_validate({k: v for k, v in bound.items() if k != "notes"}) if bound else None,
        settings=settings,
        ingestion=_ingestion(profile, kb),
        prompt=prompt,
        evaluation=evaluation,
        steps=steps,
        snippet=script,
        files={
            "rag_index.py": script,
            "eval.jsonl": evaluation.template,
            "requirements.txt": "chromadb\nsentence-transformers\npypdf\n",
        },
        notes=notes,
    )
