"""Grounded prompts: retrieved chunks as numbered sources, in each provider's own request shape.

The prompt is plain data plus a Python snippet a user can run. This module only writes the snippet's
text; it never imports a provider SDK (only ``service.providers`` may).
"""

from __future__ import annotations

import pprint
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from rules.facts import Provider
from service.knowledge_bases.fusion import no_good_match
from service.knowledge_bases.search import Hit

DEFAULT_MODELS: dict[str, str] = {  # the catalog's default models (knowledge/catalog/*.yaml)
    "openai": "gpt-4.1-mini",
    "anthropic": "claude-sonnet-4-5",
    "google": "gemini-2.5-flash",
    "open_weights": "Qwen/Qwen2.5-7B-Instruct",
}

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


def _citations(hits: Sequence[Hit]) -> list[Citation]:
    return [Citation(index=i, doc=h.doc, doc_id=h.doc_id, chunk=h.chunk, heading=h.heading) for i, h in enumerate(hits, 1)]


def _numbered_context(hits: Sequence[Hit]) -> str:
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


def _anthropic_documents(hits: Sequence[Hit]) -> str:
    parts = ["<documents>"]
    for i, hit in enumerate(hits, 1):
        source = f"{hit.doc} > {hit.heading}" if hit.heading else hit.doc
        parts.append(
            f'<document index="{i}">\n<source>{_xml_escape(source)}</source>\n'
            f"<document_content>\n{_xml_escape(hit.text)}\n</document_content>\n</document>"
        )
    parts.append("</documents>")
    return "\n".join(parts)


def grounded_prompt(q: str, hits: Sequence[Hit], provider: Provider | str, model: str | None = None) -> GroundedPrompt:
    """The grounded request for ``provider`` (a ``Provider``); open_weights, undecided and any other
    value get the OpenAI chat shape, which open-weights servers (vLLM, TGI, Ollama) also speak."""
    chosen = model or DEFAULT_MODELS.get(provider, DEFAULT_MODELS["openai"])
    unmatched = no_good_match([hit.relevance for hit in hits])
    if unmatched:
        hits = []  # citing the least bad of irrelevant chunks invites a confident wrong answer
    citations = _citations(hits)
    note = f"\n\n{NO_MATCH}" if unmatched else ""
    if provider == "anthropic":
        # Anthropic's long-context advice: documents first in XML, the question last.
        system = f"{INSTRUCTIONS} A document's number is its index attribute inside <documents>."
        messages = [{"role": "user", "content": f"{_anthropic_documents(hits)}{note}\n\nQuestion: {q}"}]
        snippet = _anthropic_snippet(chosen, system, messages)
        return GroundedPrompt(
            provider=provider,
            question=q,
            model=chosen,
            system=system,
            messages=messages,
            citations=citations,
            no_good_match=unmatched,
            snippet=snippet,
        )
    user_text = f"Documents:\n\n{_numbered_context(hits)}{note}\n\nQuestion: {q}"
    if provider == "google":
        system_instruction = {"parts": [{"text": INSTRUCTIONS}]}
        contents = [{"role": "user", "parts": [{"text": user_text}]}]
        return GroundedPrompt(
            provider=provider,
            question=q,
            model=chosen,
            system_instruction=system_instruction,
            contents=contents,
            citations=citations,
            no_good_match=unmatched,
            snippet=_google_snippet(chosen, INSTRUCTIONS, contents),
        )
    messages = [{"role": "system", "content": INSTRUCTIONS}, {"role": "user", "content": user_text}]
    return GroundedPrompt(
        provider=provider,
        question=q,
        model=chosen,
        messages=messages,
        citations=citations,
        no_good_match=unmatched,
        snippet=_openai_snippet(chosen, messages, open_weights=provider == "open_weights"),
    )


def _literal(value: Any) -> str:
    # pprint writes valid Python literals (strings stay readable, Hebrew included).
    return pprint.pformat(value, width=100, sort_dicts=False)


def _openai_snippet(model: str, messages: list[dict[str, Any]], open_weights: bool) -> str:
    if open_weights:
        # vLLM, TGI and Ollama serve the OpenAI chat API; point the SDK at that server.
        client = (
            'client = OpenAI(\n    base_url=os.environ.get("OPENAI_BASE_URL", "http://localhost:8000/v1"),\n'
            '    api_key=os.environ.get("OPENAI_API_KEY", "not-needed"),\n)'
        )
    else:
        client = 'client = OpenAI(api_key=os.environ["OPENAI_API_KEY"])'
    return (
        "import os\n\nfrom openai import OpenAI\n\n"
        f"{client}\n"
        f"messages = {_literal(messages)}\n"
        f"response = client.chat.completions.create(model={model!r}, messages=messages, temperature=0)\n"
        "print(response.choices[0].message.content)\n"
    )


def _anthropic_snippet(model: str, system: str, messages: list[dict[str, Any]]) -> str:
    # No temperature/top_p/top_k: anthropic 2.x's messages.create does not take them.
    return (
        "import os\n\nimport anthropic\n\n"
        'client = anthropic.Anthropic(api_key=os.environ["ANTHROPIC_API_KEY"])\n'
        f"system = {_literal(system)}\n"
        f"messages = {_literal(messages)}\n"
        f"response = client.messages.create(model={model!r}, max_tokens=1024, system=system, messages=messages)\n"
        'print("".join(block.text for block in response.content if block.type == "text"))\n'
    )


def _google_snippet(model: str, system: str, contents: list[dict[str, Any]]) -> str:
    return (
        "import os\n\nfrom google import genai\nfrom google.genai import types\n\n"
        'client = genai.Client(api_key=os.environ["GEMINI_API_KEY"])\n'
        f"contents = {_literal(contents)}\n"
        "response = client.models.generate_content(\n"
        f"    model={model!r},\n"
        "    contents=contents,\n"
        f"    config=types.GenerateContentConfig(system_instruction={_literal(system)}, temperature=0),\n"
        ")\n"
        "print(response.text)\n"
    )
