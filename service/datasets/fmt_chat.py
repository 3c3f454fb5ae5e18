"""Role/content chats: OpenAI and TRL ``messages`` (with tools), Claude on Bedrock, and the guide's author chat."""

from __future__ import annotations

import json
from typing import Any

from service.datasets import tools
from service.datasets.conversation import Conversation, Media, Problems, ToolCall, ToolSpec, Turn
from service.datasets.fmt_base import Read, Record, blank, finish, has_role, list_of, text_of, unknown_keys

OPENAI_ROLES = frozenset({"system", "user", "assistant", "tool"})
OPENAI_KEYS = frozenset({"role", "content", "name", "weight", "tool_calls", "tool_call_id", "function_call", "refusal"})
BEDROCK_KEYS = frozenset({"role", "content"})


def read_openai(obj: dict[str, Any]) -> Read:
    problems: Problems = []
    system: list[str] = []
    turns = message_turns(list_of(obj, "messages", problems), OPENAI_ROLES, OPENAI_KEYS, problems, system)
    return finish(problems, system, turns, has_role(obj.get("messages"), "role", ("assistant",)), declared_tools(obj, problems))


def read_bedrock(obj: dict[str, Any]) -> Read:
    """Claude on Bedrock: ``system`` on top, user/assistant turns, Anthropic content blocks allowed."""
    problems: Problems = []
    system: list[str] = []
    if (text := text_of(obj["system"], "system", problems)) is not None and text.strip():
        system.append(text)
    turns = message_turns(list_of(obj, "messages", problems), frozenset({"user", "assistant"}), BEDROCK_KEYS, problems, system)
    return finish(problems, system, turns, has_role(obj.get("messages"), "role", ("assistant",)), declared_tools(obj, problems))


def read_author(obj: dict[str, Any]) -> Read:
    problems: Problems = []
    system: list[str] = []
    turns: list[Turn] = []
    context = obj.get("context")
    if context is not None and (text := text_of(context, "context", problems)) and text.strip():
        system.append(text)
    for i, message in enumerate(list_of(obj, "messages", problems), 1):
        if not isinstance(message, dict):
            problems.append(("not_an_object", f"Message {i} is not an object."))
            continue
        unknown_keys(message, frozenset({"author", "content"}), f"Message {i}", problems, "the guide's format")
        author = message.get("author")
        if author not in ("user", "model"):
            problems.append(("unrecognized_role", f"Message {i} has author {author!r}; use 'user' or 'model'."))
            continue
        text = text_of(message.get("content", ""), f"Message {i}", problems)
        if text is not None and not text.strip():
            problems.append(("empty_content", f"Message {i} ({author}) has no content; write it or remove the message."))
        elif text is not None:
            turns.append(Turn("assistant" if author == "model" else "user", text))
    return finish(problems, system, turns, has_role(obj.get("messages"), "author", ("model",)))


def declared_tools(obj: dict[str, Any], problems: Problems) -> tuple[ToolSpec, ...] | None:
    """``tools`` as OpenAI/TRL write it ({"type": "function", "function": {...}}), bare specs, or Anthropic's."""
    raw = obj.get("tools", obj.get("functions"))
    if raw is None:
        return None
    if not isinstance(raw, list):
        problems.append(("tool_definition_invalid", '"tools" must be a list of function definitions.'))
        return None
    specs: list[ToolSpec] = []
    for i, item in enumerate(raw, 1):
        body = item.get("function", item) if isinstance(item, dict) else None
        if not isinstance(body, dict):
            problems.append(("tool_definition_invalid", f"Tool {i} is not an object."))
            continue
        parameters = body.get("parameters", body.get("input_schema"))
        if (found := tools.spec(body.get("name"), body.get("description"), parameters, f"Tool {i}", problems)) is not None:
            specs.append(found)
    return tuple(specs)


def message_turns(
    messages: list[Any], roles: frozenset[str], keys: frozenset[str], problems: Problems, system: list[str]
) -> list[Turn]:
    turns: list[Turn] = []
    for i, message in enumerate(messages, 1):
        if not isinstance(message, dict):
            problems.append(("not_an_object", f"Message {i} is not an object."))
            continue
        unknown_keys(message, keys, f"Message {i}", problems)
        role = message.get("role")
        if not isinstance(role, str) or role not in roles:  # a list or dict role is unhashable
            problems.append(("unrecognized_role", f"Message {i} has role {role!r}; use one of {sorted(roles)}."))
            continue
        weight = message.get("weight")
        if "weight" in message and (role != "assistant" or type(weight) is not int or weight not in (0, 1)):
            problems.append(("invalid_weight", f"Message {i}: weight must be 0 or 1 and only on assistant messages."))
        calls = _calls(message, role, i, problems) + _block_calls(message, i, problems)
        content = _content(message.get("content"), f"Message {i}", problems)
        if content is None:
            continue
        text, media, blocks = content
        if role == "tool":
            if blank(text):
                problems.append(("empty_content", f"Message {i} (tool) has no content; write the result."))
                continue
            name = message.get("name")
            call_id = message.get("tool_call_id")
            turns.append(
                Turn(
                    "tool",
                    text,
                    tool_call_id=call_id if isinstance(call_id, str) else None,
                    name=name if isinstance(name, str) else None,
                )
            )
            continue
        if blank(text) and not media and not calls and not blocks and not message.get("tool_calls"):
            problems.append(("empty_content", f"Message {i} ({role}) has no content; write it or remove the message."))
            continue
        if role == "system":
            system.append(text)
            continue
        turns.extend(blocks)  # Anthropic tool_result blocks become tool turns ahead of the user's text
        if text or media or calls:
            turns.append(Turn(role, text, tuple(media), calls, weight=weight if role == "assistant" else None))  # type: ignore[arg-type]
    return turns


def _calls(message: dict[str, Any], role: str, i: int, problems: Problems) -> tuple[ToolCall, ...]:
    raw = message.get("tool_calls")
    legacy = message.get("function_call")
    if raw is None and legacy is None:
        return ()
    if role != "assistant":
        problems.append(("tool_call_invalid", f"Message {i}: only assistant messages make tool calls."))
        return ()
    found: list[ToolCall] = []
    items = raw if isinstance(raw, list) else []
    if raw is not None and not isinstance(raw, list):
        problems.append(("tool_call_invalid", f'Message {i}: "tool_calls" must be a list.'))
    for j, item in enumerate(items, 1):
        function = item.get("function") if isinstance(item, dict) else None
        if not isinstance(function, dict):
            problems.append(("tool_call_invalid", f'Message {i} call {j}: needs {{"type": "function", "function": {{...}}}}.'))
            continue
        where = f"Message {i} call {j} ({function.get('name')})"
        if (c := tools.call(function.get("name"), function.get("arguments"), item.get("id"), where, problems)) is not None:
            found.append(c)
    if isinstance(legacy, dict) and (
        c := tools.call(legacy.get("name"), legacy.get("arguments"), None, f"Message {i}", problems)
    ):
        found.append(c)
    return tuple(found)


def _block_calls(message: dict[str, Any], i: int, problems: Problems) -> tuple[ToolCall, ...]:
    """Anthropic ``tool_use`` blocks inside an assistant message's content."""
    content = message.get("content")
    if message.get("role") != "assistant" or not isinstance(content, list):
        return ()
    blocks = [b for b in content if isinstance(b, dict) and b.get("type") == "tool_use"]
    found = (tools.call(b.get("name"), b.get("input"), b.get("id"), f"Message {i}", problems) for b in blocks)
    return tuple(c for c in found if c is not None)


def _content(content: Any, where: str, problems: Problems) -> tuple[str, list[Media], list[Turn]] | None:
    """(text, media, tool-result turns) of a content value; None after a problem."""
    if content is None:
        return "", [], []
    if isinstance(content, str):
        return content, [], []
    if not isinstance(content, list):
        problems.append(
            ("content_not_text", f"{where}: content must be a string or a list of parts, not {type(content).__name__}.")
        )
        return None
    texts: list[str] = []
    media: list[Media] = []
    results: list[Turn] = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text" and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif kind == "image_url" and isinstance(part.get("image_url"), dict) and isinstance(part["image_url"].get("url"), str):
            media.append(_image(part["image_url"]["url"]))
        elif kind == "image" and isinstance(part.get("source"), dict):
            source = part["source"]
            media.append(Media("image", source.get("media_type"), source.get("url")))
        elif kind == "tool_use":
            continue  # read as a call by _block_calls
        elif kind == "tool_result":
            body = part.get("content")
            text = (
                body
                if isinstance(body, str)
                else "\n".join(b.get("text", "") for b in body if isinstance(b, dict))
                if isinstance(body, list)
                else ""
            )
            results.append(Turn("tool", text, tool_call_id=part.get("tool_use_id")))
        else:
            problems.append(
                ("content_not_text", f"{where}: a content part of type {kind!r} is not text, an image or a tool block.")
            )
            return None
    return "\n".join(texts), media, results


def _image(url: str) -> Media:
    mime = url[5:].split(";", 1)[0] if url.startswith("data:") else None
    return Media("image", mime or None, url)


def write_openai(conversation: Conversation, trl: bool = False) -> tuple[Record, list[str]]:
    """OpenAI's chat format; TRL's is the same with call arguments as objects and no ``weight``."""
    losses: list[str] = []
    messages: list[Record] = [{"role": "system", "content": conversation.system}] if conversation.system is not None else []
    ids = CallIds(conversation)
    for turn in conversation.turns:
        if turn.role == "tool":
            messages.append({"role": "tool", "tool_call_id": ids.answer(turn), "content": result_text(turn)})
            continue
        message: Record = {"role": turn.role}
        if turn.media:
            parts: list[Record] = [{"type": "text", "text": turn.text}] if turn.text else []
            message["content"] = parts + [{"type": "image_url", "image_url": {"url": m.uri}} for m in turn.media]
        elif turn.text or not turn.tool_calls:
            message["content"] = turn.text
        if turn.tool_calls:
            message["tool_calls"] = [
                {
                    "id": ids.issue(c),
                    "type": "function",
                    "function": {
                        "name": c.name,
                        "arguments": c.arguments if trl else json.dumps(c.arguments, ensure_ascii=False),
                    },
                }
                for c in turn.tool_calls
            ]
        if turn.weight is not None:
            if trl:
                losses.append("weights_dropped")
            else:
                message["weight"] = turn.weight
        messages.append(message)
    record: Record = {"messages": messages}
    if conversation.tools is not None:
        record["tools"] = [
            {"type": "function", "function": {"name": s.name, "description": s.description, "parameters": s.parameters}}
            for s in conversation.tools
        ]
    return record, losses


def write_bedrock(conversation: Conversation) -> tuple[Record, list[str]]:
    """Claude on Bedrock takes text turns strictly alternating: runs of one role are merged."""
    losses: list[str] = []
    merged: list[Record] = []
    for turn in conversation.turns:
        if merged and merged[-1]["role"] == turn.role:
            merged[-1]["content"] += "\n\n" + turn.text
            losses.append("turns_merged")
        else:
            merged.append({"role": turn.role, "content": turn.text})
    record: Record = {"system": conversation.system} if conversation.system is not None else {}
    record["messages"] = merged
    return record, losses


def result_text(turn: Turn) -> str:
    return turn.text if turn.text or turn.result is None else json.dumps(turn.result, ensure_ascii=False)


class CallIds:
    """Ids for calls that came without one (Gemini, ShareGPT), and the id each tool result answers."""

    def __init__(self, conversation: Conversation) -> None:
        self.count = 0
        self.pending: list[tuple[ToolCall, str]] = []

    def issue(self, call: ToolCall) -> str:
        self.count += 1
        issued = call.id or f"call_{self.count}"
        self.pending.append((call, issued))
        return issued

    def answer(self, turn: Turn) -> str:
        for i, (call, issued) in enumerate(self.pending):
            if (turn.tool_call_id and issued == turn.tool_call_id) or (not turn.tool_call_id and turn.name in (None, call.name)):
                return self.pending.pop(i)[1]
        return turn.tool_call_id or "call_0"

    def name_of(self, turn: Turn) -> str:
        for i, (call, issued) in enumerate(self.pending):
            if (turn.tool_call_id and issued == turn.tool_call_id) or (not turn.tool_call_id and turn.name in (None, call.name)):
                return self.pending.pop(i)[0].name
        return turn.name or "function"
