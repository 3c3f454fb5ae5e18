"""Formats open-weights tooling reads: Alpaca, ShareGPT, TRL text and prompt/completion, and plain instruction pairs."""

from __future__ import annotations

import json
from typing import Any

from service.datasets import tools
from service.datasets.conversation import Conversation, Problems, ToolSpec, Turn
from service.datasets.fmt_base import Read, Record, blank, finish, has_role, list_of, text_of
from service.datasets.fmt_chat import OPENAI_KEYS, OPENAI_ROLES, declared_tools, message_turns, result_text

SHAREGPT_ROLES = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "model": "assistant",
    "system": "system",
    "function_call": "call",
    "observation": "tool",
    "tool": "tool",
    "function": "tool",
}
ASSISTANT_SIDE = tuple(k for k, v in SHAREGPT_ROLES.items() if v in ("assistant", "call"))
_LABELS = {"user": "User", "assistant": "Assistant"}


def read_alpaca(obj: dict[str, Any]) -> Read:
    """``instruction`` (+ optional ``input``) asks, ``output`` answers; LLaMA-Factory adds ``system`` and ``history``."""
    problems: Problems = []
    instruction = text_of(obj.get("instruction", ""), '"instruction"', problems)
    given = obj.get("input") or ""
    extra = text_of(given, '"input"', problems)
    turns = _history(obj.get("history"), problems)
    question = "\n\n".join(t for t in (instruction, extra) if t and t.strip())
    if instruction is not None and extra is not None and not question:
        problems.append(("empty_content", '"instruction" and "input" are blank; write the task.'))
    turns.append(Turn("user", question))
    if "output" not in obj:
        problems.append(("missing_assistant_message", 'No "output": add the answer the model should learn.'))
    elif (answer := text_of(obj["output"], '"output"', problems)) is not None:
        if blank(answer):
            problems.append(("empty_content", '"output" is blank; write the answer or remove the line.'))
        else:
            turns.append(Turn("assistant", answer))
    return finish(problems, _system(obj, problems), turns, "output" in obj)


def _history(raw: Any, problems: Problems) -> list[Turn]:
    if raw is None:
        return []
    pairs = raw if isinstance(raw, list) else [None]
    turns: list[Turn] = []
    for i, pair in enumerate(pairs, 1):
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
            problems.append(("content_not_text", f'"history" item {i} must be ["question", "answer"].'))
            return []
        turns += [Turn("user", pair[0]), Turn("assistant", pair[1])]
    return turns


def _system(obj: dict[str, Any], problems: Problems) -> list[str]:
    value = obj.get("system")
    if value is None:
        return []
    text = text_of(value, '"system"', problems)
    return [text] if text and text.strip() else []


def read_sharegpt(obj: dict[str, Any]) -> Read:
    """``conversations`` of ``{from, value}``; LLaMA-Factory's tool turns are function_call and observation."""
    problems: Problems = []
    system = _system(obj, problems)
    turns: list[Turn] = []
    for i, message in enumerate(list_of(obj, "conversations", problems), 1):
        if not isinstance(message, dict):
            problems.append(("not_an_object", f"Turn {i} is not an object."))
            continue
        speaker = message.get("from")
        role = SHAREGPT_ROLES.get(speaker) if isinstance(speaker, str) else None
        if role is None:
            problems.append(
                ("unrecognized_role", f"Turn {i} is from {speaker!r}; use human, gpt, system, function_call or observation.")
            )
            continue
        value = text_of(message.get("value"), f"Turn {i}", problems)
        if value is None:
            continue
        if blank(value):
            problems.append(("empty_content", f"Turn {i} ({speaker}) has no value; write it or remove the turn."))
        elif role == "system":
            system.append(value)
        elif role == "call":
            turns.append(Turn("assistant", tool_calls=_sharegpt_calls(value, f"Turn {i}", problems)))
        else:
            turns.append(Turn(role, value))  # type: ignore[arg-type]
    return finish(
        problems,
        system,
        turns,
        has_role(obj.get("conversations"), "from", ASSISTANT_SIDE),
        _sharegpt_tools(obj.get("tools"), problems),
    )


def _sharegpt_calls(value: str, where: str, problems: Problems) -> tuple[Any, ...]:
    try:
        parsed = json.loads(value)
    except ValueError:
        problems.append(("tool_call_invalid", f'{where}: a function_call must be JSON {{"name": ..., "arguments": {{...}}}}.'))
        return ()
    items = parsed if isinstance(parsed, list) else [parsed]
    found = []
    for item in items:
        body = item if isinstance(item, dict) else {}
        if (c := tools.call(body.get("name"), body.get("arguments", body.get("parameters")), None, where, problems)) is not None:
            found.append(c)
    return tuple(found)


def _sharegpt_tools(raw: Any, problems: Problems) -> tuple[ToolSpec, ...] | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else []
        except ValueError:
            problems.append(("tool_definition_invalid", '"tools" is not valid JSON; write a JSON list of functions.'))
            return None
    return declared_tools({"tools": raw}, problems)


def read_text(obj: dict[str, Any]) -> Read:
    """TRL's language-modelling rows: one ``text``, trained on whole."""
    problems: Problems = []
    text = text_of(obj["text"], '"text"', problems)
    if text is not None and blank(text):
        problems.append(("empty_content", '"text" is blank; write it or remove the line.'))
    return finish(problems, [], [Turn("assistant", text or "")], True, plain=True)


def read_prompt_completion(obj: dict[str, Any]) -> Read:
    """TRL's conversational prompt/completion: two lists of messages."""
    problems: Problems = []
    system: list[str] = []
    turns: list[Turn] = []
    for key in ("prompt", "completion"):
        value = obj.get(key)
        if not isinstance(value, list) or not value:
            problems.append(("missing_messages", f'"{key}" must be a non-empty list of messages.'))
            continue
        turns += message_turns(value, OPENAI_ROLES, OPENAI_KEYS, problems, system)
    return finish(problems, system, turns, "completion" in obj, declared_tools(obj, problems))


def read_instruction(obj: dict[str, Any]) -> Read:
    problems: Problems = []
    names = ("input_text", "output_text") if {"input_text", "output_text"} & obj.keys() else ("prompt", "completion")
    turns: list[Turn] = []
    for name, role in zip(names, ("user", "assistant"), strict=True):
        if name not in obj:
            if role == "user":
                problems.append(("empty_content", f'No "{name}": add the input.'))
            continue
        text = text_of(obj[name], f'"{name}"', problems)
        if text is not None and not text.strip():
            problems.append(("empty_content", f'"{name}" is blank; write it or remove the line.'))
        elif text is not None:
            turns.append(Turn(role, text))  # type: ignore[arg-type]
    return finish(problems, [], turns, names[1] in obj)


def merged_pairs(conversation: Conversation) -> tuple[list[tuple[str, str]], list[str]]:
    """(role, text) with runs of one role joined, for formats that need strict alternation."""
    merged: list[tuple[str, str]] = []
    losses: list[str] = []
    for turn in conversation.turns:
        if merged and merged[-1][0] == turn.role:
            merged[-1] = (turn.role, merged[-1][1] + "\n\n" + turn.text)
            losses.append("turns_merged")
        else:
            merged.append((turn.role, turn.text))
    return merged, losses


def write_prompt_completion(conversation: Conversation) -> tuple[Record, list[str]]:
    """Single-turn stays as is; a system prompt and earlier turns become a labelled transcript in the prompt."""
    *history, last = conversation.turns
    if conversation.system is None and len(history) == 1:
        return {"prompt": history[0].text, "completion": last.text}, []
    losses = ["system_flattened"] if conversation.system is not None else []
    losses += ["history_flattened"] if len(history) > 1 else []
    blocks = [f"System: {conversation.system}"] if conversation.system is not None else []
    blocks += [f"{_LABELS[t.role]}: {t.text}" for t in history]
    return {"prompt": "\n\n".join([*blocks, "Assistant:"]), "completion": last.text}, losses


def write_alpaca(conversation: Conversation) -> tuple[Record, list[str]]:
    pairs, losses = merged_pairs(conversation)
    *earlier, (_, question), (_, answer) = pairs
    record: Record = {"instruction": question, "input": "", "output": answer}
    if conversation.system is not None:
        record["system"] = conversation.system
    if earlier:
        record["history"] = [[earlier[i][1], earlier[i + 1][1]] for i in range(0, len(earlier), 2)]
    return record, losses


def write_sharegpt(conversation: Conversation) -> tuple[Record, list[str]]:
    """LLaMA-Factory's ShareGPT: human/observation turns alternate with gpt/function_call turns."""
    losses: list[str] = []
    turns: list[Record] = []
    for turn in conversation.turns:
        if turn.tool_calls:
            if turn.text:
                losses.append("text_beside_tool_call_dropped")
            call = turn.tool_calls[0]
            turns.append(
                {
                    "from": "function_call",
                    "value": json.dumps({"name": call.name, "arguments": call.arguments}, ensure_ascii=False),
                }
            )
        elif turn.role == "tool":
            turns.append({"from": "observation", "value": result_text(turn)})
        elif turns and turns[-1]["from"] == ("human" if turn.role == "user" else "gpt"):
            turns[-1]["value"] += "\n\n" + turn.text
            losses.append("turns_merged")
        else:
            turns.append({"from": "human" if turn.role == "user" else "gpt", "value": turn.text})
    record: Record = {"conversations": turns}
    if conversation.system is not None:
        record["system"] = conversation.system
    if conversation.tools is not None:
        specs = [{"name": s.name, "description": s.description, "parameters": s.parameters} for s in conversation.tools]
        record["tools"] = json.dumps(specs, ensure_ascii=False)
    return record, losses


def write_text(conversation: Conversation) -> tuple[Record, list[str]]:
    return {"text": conversation.turns[0].text}, []
