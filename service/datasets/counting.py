"""What a provider bills for one training example: turns, tool definitions, calls and results, media.

Text is counted with the provider's tokenizer (``service.providers.tokens``); the parts no tokenizer can see are
estimated, and the estimate says so.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import NamedTuple

from service.datasets.conversation import Conversation, ToolSpec
from service.providers.tokens import TokenCounter

# Per-medium estimates: Gemini counts an image up to 384 px as 258 tokens (https://ai.google.dev/gemini-api/docs/tokens);
# elsewhere a 1024 px image at OpenAI's high detail: 85 + 4 tiles x 170 (https://platform.openai.com/docs/guides/images-vision).
MEDIA_TOKENS = {"gemini_contents": 258}
DEFAULT_MEDIA_TOKENS = 765


# The OpenAI cookbook's constants for rendering function definitions ("How to count tokens with tiktoken", section 7).
_FUNCTION = {"o200k_base": 7, "cl100k_base": 10}
_PROPERTIES, _PROPERTY, _ENUM, _ENUM_ITEM, _FUNCTIONS_END = 3, 3, -3, 3, 12


class Count(NamedTuple):
    """One example's billed tokens, with the parts that were estimated."""

    total: int
    tool_definitions: int = 0
    media_items: int = 0
    media_tokens: int = 0
    estimated: tuple[str, ...] = ()


def tool_definition_tokens(specs: Iterable[ToolSpec], counter: TokenCounter) -> int:
    """The cookbook's estimate of the tokens OpenAI spends rendering the functions a line declares."""
    total = 0
    for spec in specs:
        total += _FUNCTION.get(counter.tokenizer, 7)
        total += counter.text(f"{spec.name}:{spec.description.removesuffix('.')}")
        properties = spec.parameters.get("properties")
        if not isinstance(properties, dict) or not properties:
            continue
        total += _PROPERTIES
        for name, schema in properties.items():
            body = schema if isinstance(schema, dict) else {}
            total += _PROPERTY
            if isinstance(body.get("enum"), list):
                total += _ENUM + sum(_ENUM_ITEM + counter.text(str(item)) for item in body["enum"])
            described = body.get("description")
            description = described if isinstance(described, str) else ""
            total += counter.text(f"{name}:{body.get('type', '')}:{description.removesuffix('.')}")
    return total + _FUNCTIONS_END


def count_conversation(conversation: Conversation, counter: TokenCounter, target: str) -> Count:
    """Everything the provider bills for one example: turns, tool definitions, calls and results, media."""
    if conversation.plain:
        return Count(counter.text(conversation.turns[0].text))
    if conversation.text_only():
        return Count(counter.turns(conversation.system, [(t.role, t.text) for t in conversation.turns]))
    total = 3 + (3 + 1 + counter.text(conversation.system) if conversation.system is not None else 0)
    estimated: list[str] = []
    for turn in conversation.turns:
        total += 3 + 1 + counter.text(turn.text)
        if turn.result is not None:
            total += counter.text(json.dumps(turn.result, ensure_ascii=False))
        for call in turn.tool_calls:
            total += 3 + counter.text(call.name) + counter.text(json.dumps(call.arguments, ensure_ascii=False))
    if any(t.tool_calls or t.role == "tool" for t in conversation.turns):
        estimated.append("tool calls and results: name + JSON arguments + 3 per call")
    definitions = tool_definition_tokens(conversation.tools, counter) if conversation.tools else 0
    if definitions:
        estimated.append("tool definitions: the OpenAI cookbook's formula (gpt-4o family)")
    items = len(conversation.media)
    per_item = MEDIA_TOKENS.get(target, DEFAULT_MEDIA_TOKENS)
    if items:
        estimated.append(f"media: {per_item} tokens per item")
    return Count(total + definitions + items * per_item, definitions, items, items * per_item, tuple(estimated))
