"""Grounded prompts: retrieved chunks as numbered sources, per provider, with a snippet that sends it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel

from service.kb.index import Hit

Provider = Literal["openai", "anthropic", "google", "open_weights", "undecided"]
INSTRUCTION = (
    "Answer the question using only the numbered sources. Cite every claim with its source number in brackets, like [1]. "
    'If the sources do not contain the answer, say "I don\'t know" and do not guess.'
)


class Citation(BaseModel):
    index: int
    doc: str
    doc_id: str
    chunk: int
    heading: str


class GroundedPrompt(BaseModel):
    """The prompt as the provider's API takes it, the citation list, and a runnable snippet."""

    kind: Literal["grounded_prompt"] = "grounded_prompt"
    provider: str
    question: str
    system: str | None = None
    messages: list[dict[str, Any]] | None = None
    system_instruction: dict[str, Any] | None = None
    contents: list[dict[str, Any]] | None = None
    citations: list[Citation]
    snippet: str


def _citations(hits: Sequence[Hit]) -> list[Citation]:
    return [Citation(index=i, doc=h.doc, doc_id=h.doc_id, chunk=h.chunk, heading=h.heading) for i, h in enumerate(hits, 1)]


def _numbered(hits: Sequence[Hit]) -> str:
    blocks = [f"[{i}] {hit.doc}{' > ' + hit.heading if hit.heading else ''}\n{hit.text}" for i, hit in enumerate(hits, 1)]
    return "\n\n".join(blocks) if blocks else "(no sources were found)"


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _documents_xml(hits: Sequence[Hit]) -> str:
    parts = [
        f'<document index="{i}">\n<source>{_xml_escape(hit.doc)}</source>\n'
        f"<document_content>{_xml_escape(hit.text)}</document_content>\n</document>"
        for i, hit in enumerate(hits, 1)
    ]
    return "<documents>\n" + "\n".join(parts) + "\n</documents>"


def grounded_prompt(question: str, hits: Sequence[Hit], provider: str) -> GroundedPrompt:
    """The prompt for ``provider``; undecided and open-weights teams get the OpenAI chat shape."""
    citations = _citations(hits)
    if provider == "anthropic":
        system = f"{INSTRUCTION}\nThe sources are inside <documents>; their index attribute is the number to cite."
        user = f"{_documents_xml(hits)}\n\n<question>{_xml_escape(question)}</question>"
        messages = [{"role": "user", "content": user}]
        return GroundedPrompt(
            provider=provider,
            question=question,
            system=system,
            messages=messages,
            citations=citations,
            snippet=_anthropic_snippet(system, messages),
        )
    if provider == "google":
        instruction = {"parts": [{"text": INSTRUCTION}]}
        contents = [{"role": "user", "parts": [{"text": f"Sources:\n{_numbered(hits)}\n\nQuestion: {question}"}]}]
        return GroundedPrompt(
            provider=provider,
            question=question,
            system_instruction=instruction,
            contents=contents,
            citations=citations,
            snippet=_gemini_snippet(INSTRUCTION, contents),
        )
    messages = [
        {"role": "system", "content": INSTRUCTION},
        {"role": "user", "content": f"Sources:\n{_numbered(hits)}\n\nQuestion: {question}"},
    ]
    return GroundedPrompt(
        provider=provider, question=question, messages=messages, citations=citations, snippet=_openai_snippet(messages)
    )


def _openai_snippet(messages: list[dict[str, Any]]) -> str:
    return f"""from openai import OpenAI

client = OpenAI()  # reads OPENAI_API_KEY from the environment
messages = {json.dumps(messages, ensure_ascii=False, indent=4)}
response = client.chat.completions.create(model="gpt-4.1-mini", messages=messages)
print(response.choices[0].message.content)
"""


def _anthropic_snippet(system: str, messages: list[dict[str, Any]]) -> str:
    return f"""import anthropic

client = anthropic.Anthropic()  # reads ANTHROPIC_API_KEY from the environment
system = {json.dumps(system, ensure_ascii=False)}
messages = {json.dumps(messages, ensure_ascii=False, indent=4)}
message = client.messages.create(model="claude-sonnet-4-5", max_tokens=1024, system=system, messages=messages)
print(message.content[0].text)
"""


def _gemini_snippet(instruction: str, contents: list[dict[str, Any]]) -> str:
    return f"""from google import genai
from google.genai import types

client = genai.Client()  # reads GEMINI_API_KEY, or use vertexai=True with a project
contents = {json.dumps(contents, ensure_ascii=False, indent=4)}
response = client.models.generate_content(
    model="gemini-2.5-flash",
    contents=contents,
    config=types.GenerateContentConfig(system_instruction={json.dumps(instruction, ensure_ascii=False)}),
)
print(response.text)
"""
