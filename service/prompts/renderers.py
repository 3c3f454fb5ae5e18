"""Few-shot prompts in each request shape, and what each one costs in tokens.

A provider names its shape (``service.providers``); this module only knows the three shapes.

OpenAI (and the open-weights servers that speak its API) get a system message and alternating
user/assistant example turns; Gemini gets ``systemInstruction`` + ``contents`` with the same turns;
Anthropic gets XML: ``<instructions>`` and ``<examples>`` in the system prompt. The user's input and
the per-user state are ``{{placeholders}}`` in the last user turn, so the long prefix (instructions
and examples) is the same for every call and every user, which is what provider prompt caching reuses.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from service.providers.base import Shape
from service.providers.tokens import TokenCounter

INPUT = "input"
STATE_TAG = "user_state"
_OUR_TAGS = re.compile(r"</(instructions|examples|example|input|output|user_state)>")
_JSON_LINE = "Answer with one JSON object only, shaped like the outputs of the examples."
_STATE_LINE = f"The {STATE_TAG} block holds what the app remembers about this user between calls; take it into account."


def placeholder(name: str) -> str:
    """How a value the app fills in at call time appears in the prompt."""
    return "{{" + name + "}}"


@dataclass(frozen=True)
class Pair:
    """One example: an input and the output expected for it."""

    input: str
    output: str


@dataclass(frozen=True)
class Rendered:
    """A rendered prompt: instruction text plus turns, the last one holding the placeholders."""

    shape: Shape
    system: str
    turns: tuple[tuple[str, str], ...]

    def view(self) -> list[dict[str, str]]:
        """The prompt as chat messages, the form the token counter reads."""
        return [{"role": "system", "content": self.system}, *({"role": role, "content": text} for role, text in self.turns)]

    def request(self) -> dict[str, Any]:
        """The provider's own request fields."""
        if self.shape == "anthropic":
            return {"system": self.system, "messages": [{"role": role, "content": text} for role, text in self.turns]}
        if self.shape == "google":
            contents = [
                {"role": "model" if role == "assistant" else "user", "parts": [{"text": text}]} for role, text in self.turns
            ]
            return {"systemInstruction": {"parts": [{"text": self.system}]}, "contents": contents}
        return {"messages": self.view()}


def _safe(text: str) -> str:
    # An example containing "</output>" must not close our tags; other markup stays as the user wrote it,
    # since the model imitates the examples (escaping "<div>" would teach it to escape).
    return _OUR_TAGS.sub(lambda match: "&lt;/" + match.group(1) + ">", text)


def _example_block(pair: Pair) -> str:
    return f"<example>\n<input>\n{_safe(pair.input)}\n</input>\n<output>\n{_safe(pair.output)}\n</output>\n</example>\n"


def _state_block(state_fields: Sequence[str]) -> str:
    if not state_fields:
        return ""
    lines = "".join(f"<{name}>{placeholder(name)}</{name}>\n" for name in state_fields)
    return f"<{STATE_TAG}>\n{lines}</{STATE_TAG}>\n\n"


@dataclass(frozen=True)
class Renderer:
    """Renders one prompt design (instructions, output kind, state) with any list of examples."""

    shape: Shape
    instructions: str
    json_output: bool = False
    state_fields: tuple[str, ...] = ()
    zero_shot: bool = False

    def system(self, pairs: Sequence[Pair]) -> str:
        lines = [self.instructions.strip()]
        if self.json_output:
            lines.append(_JSON_LINE)
        if self.state_fields:
            lines.append(_STATE_LINE)
        if self.shape == "anthropic":
            if not self.zero_shot:
                lines.append(
                    "Each example shows an input and the output expected: answer the input the same way, with the output only."
                )
            text = "<instructions>\n" + "\n".join(lines) + "\n</instructions>"
            # The wrapper is there even with no example so each example's cost is exactly its own block.
            return (
                text if self.zero_shot else text + "\n\n<examples>\n" + "".join(_example_block(p) for p in pairs) + "</examples>"
            )
        if not self.zero_shot:
            lines.append(
                "The conversation starts with worked examples: answer the last message the same way, with the output only."
            )
        return "\n".join(lines)

    def last_turn(self) -> str:
        if self.shape == "anthropic":
            return f"{_state_block(self.state_fields)}<input>\n{placeholder(INPUT)}\n</input>"
        return _state_block(self.state_fields) + placeholder(INPUT)

    def render(self, pairs: Sequence[Pair]) -> Rendered:
        """The prompt with ``pairs`` as its examples, in that order."""
        turns: list[tuple[str, str]] = []
        if self.shape != "anthropic":
            for pair in pairs:
                turns += [("user", pair.input), ("assistant", pair.output)]
        turns.append(("user", self.last_turn()))
        return Rendered(self.shape, self.system(pairs), tuple(turns))

    def example_cost(self, counter: TokenCounter, pair: Pair) -> int:
        """Tokens one more example adds; exact for chat turns, checked against a full count for XML."""
        if self.shape == "anthropic":
            return counter.text(_example_block(pair))
        return counter.messages([{"role": "user", "content": pair.input}, {"role": "assistant", "content": pair.output}]) - 3


def count(rendered: Rendered, counter: TokenCounter) -> int:
    """Tokens of the whole rendered prompt (placeholders as written), counted like OpenAI's cookbook."""
    return counter.messages(rendered.view())


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if value is None:
        return "null"
    return "object" if isinstance(value, dict) else "array" if isinstance(value, list) else "string"


def _schema(values: Sequence[Any]) -> dict[str, Any]:
    types = {_json_type(value) for value in values}
    if types == {"integer", "number"}:
        types = {"number"}
    if types == {"object"}:
        keys = list(dict.fromkeys(key for value in values for key in value))
        properties = {key: _schema([value[key] for value in values if key in value]) for key in keys}
        required = [key for key in keys if all(key in value for value in values)]
        return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}
    if types == {"array"}:
        items = [item for value in values for item in value]
        return {"type": "array", "items": _schema(items)} if items else {"type": "array"}
    if len(types) == 1:
        return {"type": types.pop()}
    return {"type": sorted(types)}


def output_schema(outputs: Sequence[str]) -> dict[str, Any] | None:
    """A JSON schema inferred from the outputs when every one is a JSON object, else None."""
    parsed: list[Any] = []
    for text in outputs:
        try:
            value = json.loads(text)
        except ValueError:
            return None
        if not isinstance(value, dict):
            return None
        parsed.append(value)
    return _schema(parsed) if parsed else None


def format_hint(shape: Shape, schema: dict[str, Any] | None, strict_format: bool) -> str | None:
    """How to hold the model to the examples' format with this provider."""
    if schema is not None:
        return {
            "anthropic": "Outputs are JSON: the snippet passes the schema inferred from the examples as "
            "output_config.format (structured outputs), so every reply parses. Prefilling the reply with '{' "
            "is refused by the newest Claude models; use structured outputs instead.",
            "google": 'Outputs are JSON: the snippet sets response_mime_type="application/json"; add response_schema '
            "(output_schema below) to enforce the fields.",
            "openai": 'Outputs are JSON: the snippet sets response_format={"type": "json_object"}; for a guaranteed '
            "shape use a json_schema response_format with output_schema below (strict mode needs every field required).",
        }[shape]
    if strict_format:
        return (
            "The format is strict but the outputs are not JSON: spell the format out in the instructions. "
            "If a program reads the replies, make the outputs JSON and use the provider's structured outputs."
        )
    return None
