"""Grounded prompts: retrieved chunks as numbered sources, in each provider's own request shape.

The prompt is plain data plus a Python snippet a user can run. The provider object (``service.providers``)
names the request shape, the model on the given day and renders the snippet from its template.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from rules.facts import Provider
from service.knowledge_bases.fusion import no_good_match
from service.providers.lifecycle import require_model
from service.providers.registry import provider_for


class CitedChunk(Protocol):
    """A retrieved chunk as the prompt cites it: the index's Hit, or the worker's SearchHit in the API."""

    @property
    def doc(self) -> str: ...
    @property
    def doc_id(self) -> str: ...
    @property
    def chunk(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def heading(self) -> str: ...
    @property
    def relevance(self) -> float | None: ...


INSTRUCTIONS = (
    "Answer the question using only the numbered documents provided. "
    "Cite every document you use with its number in square brackets, like [1] or [2]. "
    'If the documents do not contain the answer, say "I don\'t know" instead of guessing. '
    "Answer in the language of the question."
)
NO_MATCH = (
    "The knowledge base has no document relevant to this question. "
    'Reply "I don\'t know" in the language of the question, and cite nothing.'
)


class Citation(BaseModel):
    """What the marker [index] in an answer points to."""

    index: int
    doc: str
    doc_id: str
    chunk: int
    heading: str


class GroundedPrompt(BaseModel):
    """A ready request: ``messages`` (OpenAI-style), ``system`` + ``messages`` (Anthropic), or
    ``systemInstruction`` + ``contents`` (Gemini), the citations it numbers, and a runnable snippet."""

    # Gemini's REST field is systemInstruction; the JSON should read like the request it is.
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    kind: Literal["grounded_prompt"] = "grounded_prompt"
    provider: str
    question: str
    model: str
    system: str | None = None
    messages: list[dict[str, Any]] | None = None
    system_instruction: dict[str, Any] | None = Field(default=None, alias="systemInstruction")
    contents: list[dict[str, Any]] | None = None
    citations: list[Citation]
    no_good_match: bool = Field(
        default=False, description='No hit was relevant enough to ground an answer: the prompt asks for "I don\'t know".'
    )
    snippet: str


def _citations(hits: Sequence[CitedChunk]) -> list[Citation]:
    return [Citation(index=i, doc=h.doc, doc_id=h.doc_id, chunk=h.chunk, heading=h.heading) for i, h in enumerate(hits, 1)]


def _numbered_context(hits: Sequence[CitedChunk]) -> str:
    if not hits:
        return "(none)"
    blocks = []
    for i, hit in enumerate(hits, 1):
        where = f"{hit.doc} > {hit.heading}" if hit.heading else hit.doc
        blocks.append(f"[{i}] {where}\n{hit.text}")
    return "\n\n".join(blocks)


def _xml_escape(text: str) -> str:
    # A document containing "</document_content>" must not be able to close our tags.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _anthropic_documents(hits: Sequence[CitedChunk]) -> str:
    parts = ["<documents>"]
    for i, hit in enumerate(hits, 1):
        source = f"{hit.doc} > {hit.heading}" if hit.heading else hit.doc
        parts.append(
            f'<document index="{i}">\n<source>{_xml_escape(source)}</source>\n'
            f"<document_content>\n{_xml_escape(hit.text)}\n</document_content>\n</document>"
        )
    parts.append("</documents>")
    return "\n".join(parts)


def grounded_prompt(
    q: str, hits: Sequence[CitedChunk], provider: Provider | str, model: str | None = None, *, today: dt.date
) -> GroundedPrompt:
    """The grounded request for ``provider`` on ``today``, in the shape the provider names (open weights speak
    the OpenAI chat shape, which vLLM, TGI and Ollama serve); ``model`` defaults to its prompting model.

    When no hit is relevant enough (``no_good_match``) the prompt carries no documents and asks for "I don't know":
    citing the least bad of irrelevant chunks invites a confident wrong answer."""
    target = provider_for(provider, "prompting", today)
    chosen = require_model(provider, model, "prompting", today)
    unmatched = no_good_match([hit.relevance for hit in hits])
    if unmatched:
        hits = []
    citations = _citations(hits)
    note = f"\n\n{NO_MATCH}" if unmatched else ""
    if target.shape == "anthropic":
        # Anthropic's long-context advice: documents first in XML, the question last.
        system = f"{INSTRUCTIONS} A document's number is its index attribute inside <documents>."
        messages = [{"role": "user", "content": f"{_anthropic_documents(hits)}{note}\n\nQuestion: {q}"}]
        snippet = target.grounded_snippet(chosen, system=system, messages=messages)
        return GroundedPrompt(
            provider=target.name,
            question=q,
            model=chosen,
            system=system,
            messages=messages,
            citations=citations,
            no_good_match=unmatched,
            snippet=snippet,
        )
    user_text = f"Documents:\n\n{_numbered_context(hits)}{note}\n\nQuestion: {q}"
    if target.shape == "google":
        system_instruction = {"parts": [{"text": INSTRUCTIONS}]}
        contents = [{"role": "user", "parts": [{"text": user_text}]}]
        return GroundedPrompt(
            provider=target.name,
            question=q,
            model=chosen,
            system_instruction=system_instruction,
            contents=contents,
            citations=citations,
            no_good_match=unmatched,
            snippet=target.grounded_snippet(chosen, system=INSTRUCTIONS, contents=contents),
        )
    messages = [{"role": "system", "content": INSTRUCTIONS}, {"role": "user", "content": user_text}]
    return GroundedPrompt(
        provider=target.name,
        question=q,
        model=chosen,
        messages=messages,
        citations=citations,
        no_good_match=unmatched,
        snippet=target.grounded_snippet(chosen, messages=messages),
    )
