"""Gemini tuning lines (Vertex): ``contents`` of parts — text, fileData/inlineData, functionCall/functionResponse."""

from __future__ import annotations

import mimetypes
from typing import Any

from service.datasets import tools
from service.datasets.conversation import Conversation, Media, Problems, ToolSpec, Turn, media_kind
from service.datasets.fmt_base import Read, Record, finish, has_role, list_of, unknown_keys
from service.datasets.fmt_chat import CallIds

PART_KEYS = ("text", "fileData", "inlineData", "functionCall", "functionResponse")


def read_gemini(obj: dict[str, Any]) -> Read:
    problems: Problems = []
    system: list[str] = []
    turns: list[Turn] = []
    instruction = obj.get("systemInstruction", obj.get("system_instruction"))
    if instruction is not None:
        parts = instruction.get("parts") if isinstance(instruction, dict) else None
        texts = [t for t in _parts(parts, "systemInstruction", problems, system=True) if t.text]
        if texts:
            system.append("".join(t.text for t in texts))
    for i, content in enumerate(list_of(obj, "contents", problems), 1):
        if not isinstance(content, dict):
            problems.append(("not_an_object", f"Content {i} is not an object."))
            continue
        unknown_keys(content, frozenset({"role", "parts"}), f"Content {i}", problems, "Vertex")
        role = content.get("role")
        if role not in ("user", "model", "function"):
            problems.append(("unrecognized_role", f"Content {i} has role {role!r}; use 'user' or 'model'."))
            continue
        turns.extend(_parts(content.get("parts"), f"Content {i} ({role})", problems, model=role == "model"))
    return finish(
        problems, system, turns, has_role(obj.get("contents"), "role", ("model",)), _declarations(obj.get("tools"), problems)
    )


def _parts(parts: Any, where: str, problems: Problems, model: bool = False, system: bool = False) -> list[Turn]:
    """One content's parts as turns: its text and media, its calls, and each functionResponse as a tool turn."""
    if not isinstance(parts, list) or not parts:
        problems.append(("empty_content", f'{where} has no parts; add [{{"text": ...}}].'))
        return []
    texts: list[str] = []
    media: list[Media] = []
    calls = []
    results: list[Turn] = []
    for j, part in enumerate(parts, 1):
        key = next((k for k in PART_KEYS if isinstance(part, dict) and k in part), None)
        value = part.get(key) if key and isinstance(part, dict) else None
        if key == "text" and isinstance(value, str) and value.strip():
            texts.append(value)
        elif key in ("fileData", "inlineData") and isinstance(value, dict) and not system:
            mime = value.get("mimeType")
            data = value.get("data")
            uri = value.get("fileUri") if key == "fileData" else f"data:{mime};base64,{data}" if isinstance(data, str) else None
            if not isinstance(mime, str) or not isinstance(uri, str):
                needs = "fileUri" if key == "fileData" else "data"
                problems.append(("media_invalid", f"{where} part {j}: {key} needs a mimeType and {needs}."))
                continue
            media.append(Media(media_kind(mime), mime, uri))
        elif key == "functionCall" and isinstance(value, dict) and model:
            if (
                c := tools.call(value.get("name"), value.get("args", {}), value.get("id"), f"{where} part {j}", problems)
            ) is not None:
                calls.append(c)
        elif key == "functionResponse" and isinstance(value, dict) and not model and not system:
            name = value.get("name")
            results.append(Turn("tool", name=name if isinstance(name, str) else None, result=value.get("response")))
        else:
            problems.append(
                ("empty_content", f"{where} has a part without text (or of a kind it can't hold); write it or remove it.")
            )
            return []
    turn: list[Turn] = []
    if texts or media or calls:
        turn.append(Turn("assistant" if model else "user", "".join(texts), tuple(media), tuple(calls)))
    return results + turn


def _declarations(raw: Any, problems: Problems) -> tuple[ToolSpec, ...] | None:
    if raw is None:
        return None
    specs: list[ToolSpec] = []
    groups = raw if isinstance(raw, list) else []
    if not isinstance(raw, list):
        problems.append(("tool_definition_invalid", '"tools" must be a list of {"functionDeclarations": [...]}.'))
    for group in groups:
        declarations = group.get("functionDeclarations", group.get("function_declarations")) if isinstance(group, dict) else None
        if not isinstance(declarations, list):
            problems.append(("tool_definition_invalid", 'Each entry of "tools" needs "functionDeclarations": [...].'))
            continue
        for i, d in enumerate(declarations, 1):
            if not isinstance(d, dict):
                problems.append(("tool_definition_invalid", f"Function declaration {i} is not an object."))
            elif (
                found := tools.spec(d.get("name"), d.get("description"), d.get("parameters"), f"Declaration {i}", problems)
            ) is not None:
                specs.append(found)
    return tuple(specs)


def mime_of(media: Media) -> str | None:
    return media.mime or (mimetypes.guess_type(media.uri or "")[0] if media.uri else None)


def write_gemini(conversation: Conversation) -> tuple[Record, list[str]]:
    record: Record = {}
    if conversation.system is not None:
        record["systemInstruction"] = {"role": "system", "parts": [{"text": conversation.system}]}
    contents: list[Record] = []
    ids = CallIds(conversation)
    for turn in conversation.turns:
        role = "model" if turn.role == "assistant" else "user"
        parts: list[Record] = []
        if turn.role == "tool":
            response = (
                turn.result if isinstance(turn.result, dict) else {"content": turn.text if turn.result is None else turn.result}
            )
            parts.append({"functionResponse": {"name": ids.name_of(turn), "response": response}})
        else:
            parts += [_media_part(m) for m in turn.media]
            if turn.text:
                parts.append({"text": turn.text})
            for c in turn.tool_calls:
                ids.issue(c)
                parts.append({"functionCall": {"name": c.name, "args": c.arguments}})
        if contents and contents[-1]["role"] == role:
            contents[-1]["parts"] += parts  # parallel responses, or a result then the user's text: one content
        else:
            contents.append({"role": role, "parts": parts})
    record["contents"] = contents
    if conversation.tools is not None:
        record["tools"] = [
            {
                "functionDeclarations": [
                    {"name": s.name, "description": s.description, "parameters": s.parameters} for s in conversation.tools
                ]
            }
        ]
    return record, []


def _media_part(media: Media) -> Record:
    uri = media.uri or ""
    if uri.startswith("data:"):
        return {"inlineData": {"mimeType": mime_of(media), "data": uri.split(",", 1)[-1]}}
    return {"fileData": {"mimeType": mime_of(media), "fileUri": uri}}
