"""Which format a parsed line is in (and why), its per-format checks, and its normalized forms."""

from __future__ import annotations

from typing import Any, NamedTuple

from service.datasets import fmt_chat, fmt_gemini, fmt_nova, fmt_open
from service.datasets.codes import WARNINGS, severity
from service.datasets.conversation import Conversation, Problems, example_of
from service.datasets.fmt_base import Read
from service.datasets.schemas import DatasetFormat, Example

__all__ = ["WARNINGS", "Checked", "check", "detect", "severity"]
SHORT_ANSWER_CHARS = 3


class Checked(NamedTuple):
    """One line's format, its problems and, when it has no error, its normalized example."""

    format: DatasetFormat | None
    problems: Problems
    example: Example | None = None  # the text-only view; None too for tool calls, media and plain text
    messages: list[Any] | None = None  # OpenAI messages as written, counted as they will be billed
    short_answer: bool = False
    conversation: Conversation | None = None  # everything the line says, in the neutral form
    reason: str = ""  # why the line was read as ``format``


def detect(obj: dict[str, Any]) -> tuple[DatasetFormat | None, str]:
    """The format a line is written in, judged by its keys, and the reason in a few words."""
    if obj.get("schemaVersion") == fmt_nova.SCHEMA_VERSION or ("messages" in obj and isinstance(obj.get("system"), list)):
        return "nova_conversation", '"schemaVersion": "bedrock-conversation-2024" / content blocks (Amazon Nova on Bedrock)'
    if "contents" in obj:
        return "gemini_contents", '"contents" with role/parts (Gemini on Vertex)'
    if "messages" in obj:
        messages = obj["messages"]
        first = messages[0] if isinstance(messages, list) and messages else None
        if "context" in obj or (isinstance(first, dict) and "author" in first and "role" not in first):
            return "author_chat", '"messages" with author/content (the guide\'s chat format)'
        if "system" in obj:
            return "anthropic_bedrock", '"system" beside "messages" (Claude on Bedrock)'
        if _object_arguments(messages):
            return "trl_messages", '"messages" whose tool-call arguments are objects (TRL / Hugging Face chat templates)'
        return "openai_chat", '"messages" with role/content (OpenAI chat)'
    if "conversations" in obj:
        return "sharegpt", '"conversations" with from/value turns (ShareGPT)'
    if "instruction" in obj:
        return "alpaca", '"instruction"/"input"/"output" (Alpaca)'
    if isinstance(obj.get("prompt"), list) or isinstance(obj.get("completion"), list):
        return "trl_prompt_completion", '"prompt"/"completion" as message lists (TRL conversational)'
    if {"input_text", "output_text", "prompt", "completion"} & obj.keys():
        return "instruction", "an input/output text pair (input_text/output_text or prompt/completion)"
    if "text" in obj and len(obj) <= 2:
        return "trl_text", '"text" alone (TRL language modelling)'
    return None, ""


def _object_arguments(messages: Any) -> bool:
    if not isinstance(messages, list):
        return False
    for message in messages:
        calls = message.get("tool_calls") if isinstance(message, dict) else None
        if isinstance(calls, list):
            return any(
                isinstance(c, dict) and isinstance(c.get("function"), dict) and isinstance(c["function"].get("arguments"), dict)
                for c in calls
            )
    return False


def check(obj: Any) -> Checked:
    """Check one parsed JSON value (or CSV row) and normalize it."""
    if not isinstance(obj, dict):
        return Checked(
            None, [("not_an_object", f'Line is a JSON {type(obj).__name__}, not an object; wrap it as {{"messages": [...]}}.')]
        )
    fmt, reason = detect(obj)
    if fmt is None:
        keys = ", ".join(sorted(map(str, obj))[:5]) or "none"
        return Checked(
            None,
            [
                (
                    "missing_messages",
                    f'No known training format (keys: {keys}); write OpenAI/TRL "messages", Gemini "contents", '
                    'Alpaca "instruction"/"output", ShareGPT "conversations" or a prompt/completion pair.',
                )
            ],
        )
    read: Read = _READERS[fmt](obj)
    conversation = read.conversation
    if conversation is None:
        return Checked(fmt, read.problems, reason=reason)
    last = next((t.text for t in reversed(conversation.turns) if t.role == "assistant"), None)
    short = not conversation.plain and last is not None and not conversation.uses_tools and len(last.strip()) < SHORT_ANSWER_CHARS
    messages = obj.get("messages") if fmt == "openai_chat" else None
    return Checked(fmt, read.problems, example_of(conversation), messages, short, conversation, reason)


_READERS = {
    "openai_chat": fmt_chat.read_openai,
    "trl_messages": fmt_chat.read_openai,
    "anthropic_bedrock": fmt_chat.read_bedrock,
    "author_chat": fmt_chat.read_author,
    "gemini_contents": fmt_gemini.read_gemini,
    "nova_conversation": fmt_nova.read_nova,
    "alpaca": fmt_open.read_alpaca,
    "sharegpt": fmt_open.read_sharegpt,
    "trl_text": fmt_open.read_text,
    "trl_prompt_completion": fmt_open.read_prompt_completion,
    "instruction": fmt_open.read_instruction,
}
