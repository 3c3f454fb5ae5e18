"""The provider-neutral form every reader produces and every writer consumes: turns, tool calls, media."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from service.datasets.schemas import Example

Role = Literal["user", "assistant", "tool"]
Problems = list[tuple[str, str]]
MEDIA_KINDS = ("image", "video", "audio", "document")


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One function call an assistant turn makes; ``arguments`` is always a parsed JSON object."""

    name: str
    arguments: dict[str, Any]
    id: str | None = None


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """One declared function: its JSON-schema parameters as the source wrote them."""

    name: str
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Media:
    """An image, video, audio clip or document referenced by a turn (``uri`` None for inline bytes)."""

    kind: str
    mime: str | None = None
    uri: str | None = None
    format: str | None = None  # Bedrock names formats ("png"), Gemini names MIME types


@dataclass(frozen=True, slots=True)
class Turn:
    """A user, assistant or tool turn. A tool turn answers ``tool_call_id`` (or ``name`` where ids don't exist)."""

    role: Role
    text: str = ""
    media: tuple[Media, ...] = ()
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None
    weight: int | None = None
    result: Any = None  # a tool result given as JSON (Gemini functionResponse, Bedrock toolResult json)


@dataclass(frozen=True, slots=True)
class Conversation:
    """One training example. ``plain`` marks raw text for language modelling (TRL ``text``): no roles."""

    system: str | None
    turns: tuple[Turn, ...]
    tools: tuple[ToolSpec, ...] | None = None  # None: no tool list at all; (): an empty one
    plain: bool = False

    @property
    def uses_tools(self) -> bool:
        return bool(self.tools) or any(t.tool_calls or t.role == "tool" for t in self.turns)

    @property
    def media(self) -> list[Media]:
        return [m for t in self.turns for m in t.media]

    def text_only(self) -> bool:
        return not self.plain and not self.uses_tools and not any(t.media for t in self.turns)


def example_of(conversation: Conversation) -> Example | None:
    """The text-only view (user/assistant turns); None when the line has tool calls, media or no roles."""
    if not conversation.text_only():
        return None
    return Example(conversation.system, tuple((t.role, t.text) for t in conversation.turns))


def canonical(conversation: Conversation) -> list[Any]:
    """A JSON-able form equal for conversations that train the same thing, whatever format they came in."""
    turns = [
        [
            t.role,
            t.text,
            [[m.kind, m.mime, m.uri] for m in t.media],
            [[c.name, c.arguments] for c in t.tool_calls],
            t.weight,
            t.result,
        ]
        for t in conversation.turns
    ]
    tools = None if conversation.tools is None else [[s.name, s.description, s.parameters] for s in conversation.tools]
    return [conversation.system, turns, tools, conversation.plain]


def digest(conversation: Conversation) -> bytes:
    """16 bytes that identify an example: the dedup key and the seed of its split share."""
    example = example_of(conversation)
    body: Any = example if example is not None else canonical(conversation)
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def media_kind(mime: str | None) -> str:
    """image/video/audio from a MIME type; PDFs and text files are documents."""
    top = (mime or "").split("/", 1)[0].lower()
    return top if top in ("image", "video", "audio") else "document"


def trimmed(conversation: Conversation) -> tuple[Conversation, int]:
    """Drop turns after the last assistant turn (no target trains on them); returns how many went."""
    last = max((i for i, t in enumerate(conversation.turns) if t.role == "assistant"), default=-1)
    dropped = len(conversation.turns) - (last + 1)
    if dropped <= 0 or last < 0:
        return conversation, 0
    return Conversation(conversation.system, conversation.turns[: last + 1], conversation.tools, conversation.plain), dropped
