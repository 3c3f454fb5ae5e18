"""Amazon Nova on Bedrock, ``bedrock-conversation-2024``: content blocks, toolConfig, toolUse/toolResult, S3 media."""

from __future__ import annotations

from typing import Any

from service.datasets import tools
from service.datasets.conversation import Conversation, Media, Problems, ToolSpec, Turn
from service.datasets.fmt_base import Read, Record, blank, finish, has_role, list_of, unknown_keys
from service.datasets.fmt_chat import CallIds, result_text

SCHEMA_VERSION = "bedrock-conversation-2024"
MEDIA_BLOCKS = ("image", "video", "document")
NOVA_KEYS = frozenset({"schemaVersion", "system", "messages", "toolConfig"})


def read_nova(obj: dict[str, Any]) -> Read:
    problems: Problems = []
    unknown_keys(obj, NOVA_KEYS, "The line", problems, "Bedrock")
    system: list[str] = []
    raw_system = obj.get("system", [])
    for i, block in enumerate(raw_system if isinstance(raw_system, list) else [None], 1):
        if not isinstance(block, dict) or not isinstance(block.get("text"), str):
            problems.append(("content_not_text", f'system block {i} must be {{"text": "..."}}.'))
        elif block["text"].strip():
            system.append(block["text"])
    turns: list[Turn] = []
    for i, message in enumerate(list_of(obj, "messages", problems), 1):
        if not isinstance(message, dict):
            problems.append(("not_an_object", f"Message {i} is not an object."))
            continue
        unknown_keys(message, frozenset({"role", "content"}), f"Message {i}", problems, "Bedrock")
        role = message.get("role")
        if role not in ("user", "assistant"):
            problems.append(("unrecognized_role", f"Message {i} has role {role!r}; use 'user' or 'assistant'."))
            continue
        turns.extend(_blocks(message.get("content"), role, f"Message {i} ({role})", problems))
    return finish(
        problems,
        system,
        turns,
        has_role(obj.get("messages"), "role", ("assistant",)),
        _tool_config(obj.get("toolConfig"), problems),
    )


def _blocks(content: Any, role: str, where: str, problems: Problems) -> list[Turn]:
    if not isinstance(content, list) or not content:
        problems.append(("empty_content", f'{where} needs content blocks, e.g. [{{"text": "..."}}].'))
        return []
    texts: list[str] = []
    media: list[Media] = []
    calls = []
    results: list[Turn] = []
    for j, block in enumerate(content, 1):
        key = next(iter(block), None) if isinstance(block, dict) and len(block) == 1 else None
        value = block[key] if key else None
        if key == "text" and isinstance(value, str):
            texts.append(value)
        elif key in MEDIA_BLOCKS and isinstance(value, dict):
            source = value.get("source")
            location = source.get("s3Location") if isinstance(source, dict) else None
            uri = location.get("uri") if isinstance(location, dict) else None
            if not isinstance(uri, str) or not isinstance(value.get("format"), str):
                problems.append(("media_invalid", f'{where} block {j}: {key} needs "format" and source.s3Location.uri.'))
                continue
            media.append(Media(key, None, uri, value["format"]))
        elif key == "toolUse" and isinstance(value, dict) and role == "assistant":
            if (
                c := tools.call(value.get("name"), value.get("input"), value.get("toolUseId"), f"{where} block {j}", problems)
            ) is not None:
                calls.append(c)
        elif key == "toolResult" and isinstance(value, dict) and role == "user":
            results.append(_result(value))
        else:
            problems.append(("content_not_text", f"{where} block {j} is not a text, media or (well-placed) tool block."))
            return []
    text = "\n".join(texts)
    if blank(text) and not media and not calls and not results:
        problems.append(("empty_content", f"{where} has no content; write it or remove the message."))
        return []
    turn = [Turn(role, text, tuple(media), tuple(calls))] if not blank(text) or media or calls else []  # type: ignore[arg-type]
    return results + turn


def _result(value: dict[str, Any]) -> Turn:
    content = value.get("content")
    blocks: list[Any] = content if isinstance(content, list) else []
    texts = [b["text"] for b in blocks if isinstance(b, dict) and isinstance(b.get("text"), str)]
    data = next((b["json"] for b in blocks if isinstance(b, dict) and "json" in b), None)
    call_id = value.get("toolUseId")
    return Turn("tool", "\n".join(texts), tool_call_id=call_id if isinstance(call_id, str) else None, result=data)


def _tool_config(raw: Any, problems: Problems) -> tuple[ToolSpec, ...] | None:
    if raw is None:
        return None
    entries = raw.get("tools") if isinstance(raw, dict) else None
    if not isinstance(entries, list):
        problems.append(("tool_definition_invalid", 'toolConfig needs "tools": [{"toolSpec": {...}}].'))
        return None
    specs = []
    for i, entry in enumerate(entries, 1):
        body = entry.get("toolSpec") if isinstance(entry, dict) else None
        schema = body.get("inputSchema") if isinstance(body, dict) else None
        parameters = schema.get("json") if isinstance(schema, dict) else None
        if not isinstance(body, dict):
            problems.append(("tool_definition_invalid", f"Tool {i} needs a toolSpec."))
        elif (found := tools.spec(body.get("name"), body.get("description"), parameters, f"Tool {i}", problems)) is not None:
            specs.append(found)
    return tuple(specs)


def write_nova(conversation: Conversation) -> tuple[Record, list[str]]:
    """Strictly alternating user/assistant messages; tool results travel in the user's message."""
    losses: list[str] = []
    messages: list[Record] = []
    ids = CallIds(conversation)
    for turn in conversation.turns:
        role = "assistant" if turn.role == "assistant" else "user"
        blocks: list[Record] = []
        if turn.role == "tool":
            body = {"json": turn.result} if turn.result is not None and not turn.text else {"text": result_text(turn)}
            blocks.append({"toolResult": {"toolUseId": ids.answer(turn), "content": [body]}})
        else:
            blocks += [{m.kind: {"format": m.format or _format(m), "source": {"s3Location": {"uri": m.uri}}}} for m in turn.media]
            if turn.text:
                blocks.append({"text": turn.text})
            blocks += [{"toolUse": {"toolUseId": ids.issue(c), "name": c.name, "input": c.arguments}} for c in turn.tool_calls]
        if messages and messages[-1]["role"] == role:
            if turn.role != "tool" and not any("toolResult" in b for b in messages[-1]["content"]):
                losses.append("turns_merged")
            messages[-1]["content"] += blocks
        else:
            messages.append({"role": role, "content": blocks})
    record: Record = {"schemaVersion": SCHEMA_VERSION}
    record["system"] = [{"text": conversation.system}] if conversation.system is not None else []
    record["messages"] = messages
    if conversation.tools:
        record["toolConfig"] = {
            "tools": [
                {"toolSpec": {"name": s.name, "description": s.description, "inputSchema": {"json": s.parameters}}}
                for s in conversation.tools
            ]
        }
    return record, losses


def _format(media: Media) -> str:
    """Bedrock names a format ("png"): the MIME subtype, else the file extension."""
    source = media.mime.rsplit("/", 1)[-1] if media.mime else (media.uri or "").rsplit(".", 1)[-1]
    return {"jpg": "jpeg", "quicktime": "mov"}.get(source.lower(), source.lower())
