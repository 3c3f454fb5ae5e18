"""Per-format structure checks of one parsed line, and its normalized :class:`Example`."""

from __future__ import annotations

from typing import Any, NamedTuple

from service.datasets.schemas import DatasetFormat, Example, Severity

WARNINGS = frozenset(
    {
        "blank_line",
        "few_examples_for_quality",
        "personal_data",
        "short_answer",
        "cannot_fine_tune",
        "fine_tuning_ending",
        "unknown_model",
        "format_needs_conversion",
    }
)
OPENAI_ROLES = frozenset({"system", "user", "assistant", "tool"})
OPENAI_KEYS = frozenset({"role", "content", "name", "weight", "tool_calls", "tool_call_id", "function_call", "refusal"})
BEDROCK_KEYS = frozenset({"role", "content"})
SHORT_ANSWER_CHARS = 3
Problems = list[tuple[str, str]]


def severity(code: str) -> Severity:
    """Every code is an error except the few that only lower quality."""
    return "warning" if code in WARNINGS else "error"


class Checked(NamedTuple):
    """One line's format, its problems and, when it has no error, its normalized example."""

    format: DatasetFormat | None
    problems: Problems
    example: Example | None = None  # None too when the target formats can't carry it (tool calls, images)
    messages: list[Any] | None = None  # OpenAI messages as written, counted as they will be billed
    short_answer: bool = False


def detect(obj: dict[str, Any]) -> DatasetFormat | None:
    """The format a line is written in, judged by its keys alone."""
    if "contents" in obj:
        return "gemini_contents"
    if "messages" in obj:
        messages = obj["messages"]
        first = messages[0] if isinstance(messages, list) and messages else None
        if "context" in obj or (isinstance(first, dict) and "author" in first and "role" not in first):
            return "author_chat"
        return "anthropic_bedrock" if "system" in obj else "openai_chat"
    if {"input_text", "output_text", "prompt", "completion"} & obj.keys():
        return "instruction"
    return None


def check(obj: Any) -> Checked:
    """Check one parsed JSON value (or CSV row) and normalize it."""
    if not isinstance(obj, dict):
        return Checked(
            None, [("not_an_object", f'Line is a JSON {type(obj).__name__}, not an object; wrap it as {{"messages": [...]}}.')]
        )
    fmt = detect(obj)
    if fmt is None:
        keys = ", ".join(sorted(map(str, obj))[:5]) or "none"
        return Checked(
            None, [("missing_messages", f'No messages, contents or input/output pair (keys: {keys}); add "messages".')]
        )
    return _CHECKERS[fmt](obj)


def _text_of(value: Any, where: str, problems: Problems) -> str | None:
    if isinstance(value, str):
        return value
    problems.append(("content_not_text", f"{where}: content must be a string, not {type(value).__name__}."))
    return None


def _list_of(obj: dict[str, Any], key: str, problems: Problems) -> list[Any]:
    value = obj.get(key)
    if not isinstance(value, list) or not value:
        problems.append(("missing_messages", f'"{key}" must be a non-empty list of turns.'))
        return []
    return value


def _finish(
    fmt: DatasetFormat,
    problems: Problems,
    system: list[str],
    turns: list[tuple[str, str]],
    answered: bool,
    representable: bool = True,
    messages: list[Any] | None = None,
) -> Checked:
    if not answered and not any(code == "missing_messages" for code, _ in problems):
        problems.append(("missing_assistant_message", "No assistant/model turn: add the answer the model should learn."))
    if any(severity(code) == "error" for code, _ in problems):
        return Checked(fmt, problems)
    last = next((text for role, text in reversed(turns) if role == "assistant"), None)
    example = Example("\n\n".join(system) if system else None, tuple(turns)) if representable else None
    short = last is not None and len(last.strip()) < SHORT_ANSWER_CHARS
    return Checked(fmt, problems, example, messages, short)


def _chat(obj: dict[str, Any], fmt: DatasetFormat, roles: frozenset[str], keys: frozenset[str]) -> Checked:
    """OpenAI chat, and Bedrock (``system`` on top, only user/assistant turns)."""
    problems: Problems = []
    system: list[str] = []
    turns: list[tuple[str, str]] = []
    representable, answered = True, False
    if fmt == "anthropic_bedrock" and (text := _text_of(obj["system"], "system", problems)) is not None and text.strip():
        system.append(text)
    for i, message in enumerate(_list_of(obj, "messages", problems), 1):
        if not isinstance(message, dict):
            problems.append(("not_an_object", f"Message {i} is not an object."))
            continue
        if unknown := message.keys() - keys:
            problems.append(
                (
                    "message_unrecognized_key",
                    f"Message {i} has unknown key(s) {sorted(unknown)} (an error: the provider rejects them); remove them.",
                )
            )
        role = message.get("role")
        if not isinstance(role, str) or role not in roles:  # a list or dict role is unhashable
            problems.append(("unrecognized_role", f"Message {i} has role {role!r}; use one of {sorted(roles)}."))
            continue
        answered |= role == "assistant"
        weight = message.get("weight")
        if "weight" in message and (role != "assistant" or type(weight) is not int or weight not in (0, 1)):
            problems.append(("invalid_weight", f"Message {i}: weight must be 0 or 1 and only on assistant messages."))
        tools = bool(message.get("tool_calls") or message.get("function_call"))
        content = message.get("content")
        if isinstance(content, list):
            texts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
            representable &= len(texts) == len(content)
            content = "\n".join(t for t in texts if isinstance(t, str)) if texts or not content else "<media>"
        if content is None or (isinstance(content, str) and not content.strip()):
            if not (role == "assistant" and tools):
                problems.append(("empty_content", f"Message {i} ({role}) has no content; write it or remove the message."))
            representable = False
            continue
        text = _text_of(content, f"Message {i}", problems)
        if text is None:
            continue
        if role == "tool" or tools:
            representable = False
        elif role == "system":
            system.append(text)
        else:
            turns.append((role, text))
    messages = obj.get("messages") if fmt == "openai_chat" else None
    return _finish(fmt, problems, system, turns, answered, representable, messages)


def _openai(obj: dict[str, Any]) -> Checked:
    return _chat(obj, "openai_chat", OPENAI_ROLES, OPENAI_KEYS)


def _bedrock(obj: dict[str, Any]) -> Checked:
    return _chat(obj, "anthropic_bedrock", frozenset({"user", "assistant"}), BEDROCK_KEYS)


def _parts_text(parts: Any, where: str, problems: Problems) -> str | None:
    if not isinstance(parts, list) or not parts:
        problems.append(("empty_content", f'{where} has no parts; add [{{"text": ...}}].'))
        return None
    texts = []
    for part in parts:
        text = part.get("text") if isinstance(part, dict) else None
        if not isinstance(text, str) or not text.strip():
            problems.append(("empty_content", f"{where} has a part without text; write the text or remove the part."))
            return None
        texts.append(text)
    return "".join(texts)


def _gemini(obj: dict[str, Any]) -> Checked:
    problems: Problems = []
    system: list[str] = []
    turns: list[tuple[str, str]] = []
    answered = False
    instruction = obj.get("systemInstruction")
    if instruction is not None:
        parts = instruction.get("parts") if isinstance(instruction, dict) else None
        if (text := _parts_text(parts, "systemInstruction", problems)) is not None:
            system.append(text)
    for i, content in enumerate(_list_of(obj, "contents", problems), 1):
        if not isinstance(content, dict):
            problems.append(("not_an_object", f"Content {i} is not an object."))
            continue
        if unknown := content.keys() - {"role", "parts"}:
            problems.append(
                (
                    "message_unrecognized_key",
                    f"Content {i} has unknown key(s) {sorted(unknown)} (an error: Vertex rejects them); remove them.",
                )
            )
        role = content.get("role")
        if role not in ("user", "model"):
            problems.append(("unrecognized_role", f"Content {i} has role {role!r}; use 'user' or 'model'."))
            continue
        answered |= role == "model"
        if (text := _parts_text(content.get("parts"), f"Content {i} ({role})", problems)) is not None:
            turns.append(("assistant" if role == "model" else "user", text))
    return _finish("gemini_contents", problems, system, turns, answered)


def _author(obj: dict[str, Any]) -> Checked:
    problems: Problems = []
    system: list[str] = []
    turns: list[tuple[str, str]] = []
    answered = False
    context = obj.get("context")
    if context is not None and (text := _text_of(context, "context", problems)) and text.strip():
        system.append(text)
    for i, message in enumerate(_list_of(obj, "messages", problems), 1):
        if not isinstance(message, dict):
            problems.append(("not_an_object", f"Message {i} is not an object."))
            continue
        if unknown := message.keys() - {"author", "content"}:
            problems.append(
                ("message_unrecognized_key", f"Message {i} has unknown key(s) {sorted(unknown)} (an error); remove them.")
            )
        author = message.get("author")
        if author not in ("user", "model"):
            problems.append(("unrecognized_role", f"Message {i} has author {author!r}; use 'user' or 'model'."))
            continue
        answered |= author == "model"
        text = _text_of(message.get("content", ""), f"Message {i}", problems)
        if text is not None and not text.strip():
            problems.append(("empty_content", f"Message {i} ({author}) has no content; write it or remove the message."))
        elif text is not None:
            turns.append(("assistant" if author == "model" else "user", text))
    return _finish("author_chat", problems, system, turns, answered)


def _instruction(obj: dict[str, Any]) -> Checked:
    problems: Problems = []
    names = ("input_text", "output_text") if {"input_text", "output_text"} & obj.keys() else ("prompt", "completion")
    turns: list[tuple[str, str]] = []
    for name, role in zip(names, ("user", "assistant"), strict=True):
        if name not in obj:
            if role == "user":
                problems.append(("empty_content", f'No "{name}": add the input.'))
            continue
        text = _text_of(obj[name], f'"{name}"', problems)
        if text is not None and not text.strip():
            problems.append(("empty_content", f'"{name}" is blank; write it or remove the line.'))
        elif text is not None:
            turns.append((role, text))
    return _finish("instruction", problems, [], turns, names[1] in obj)


_CHECKERS = {
    "openai_chat": _openai,
    "anthropic_bedrock": _bedrock,
    "gemini_contents": _gemini,
    "author_chat": _author,
    "instruction": _instruction,
}
