"""Tool use, whatever the format: arguments are JSON objects, functions are declared, calls are answered."""

from __future__ import annotations

import json
from typing import Any

from service.datasets.conversation import Conversation, Problems, ToolCall, ToolSpec


def parse_arguments(raw: Any, where: str, problems: Problems) -> dict[str, Any] | None:
    """A call's arguments as a dict: OpenAI writes a JSON string, Gemini/Bedrock/TRL an object."""
    if isinstance(raw, dict):
        return raw
    if raw is None:
        problems.append(("tool_arguments_invalid", f'{where}: the call has no arguments; write "{{}}" when it takes none.'))
        return None
    if not isinstance(raw, str):
        problems.append(("tool_arguments_invalid", f"{where}: arguments must be a JSON object, not {type(raw).__name__}."))
        return None
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        problems.append(("tool_arguments_invalid", f"{where}: arguments are not valid JSON ({raw[:40]!r}); write a JSON object."))
        return None
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and _is_json_object(value):
        problems.append(
            (
                "tool_arguments_invalid",
                f"{where}: arguments are double-encoded (a JSON string that holds JSON, {value[:40]!r}); encode the object once.",
            )
        )
        return None
    problems.append(("tool_arguments_invalid", f"{where}: arguments must be a JSON object, not a JSON {type(value).__name__}."))
    return None


def _is_json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except (ValueError, RecursionError):
        return False


def call(name: Any, arguments: Any, call_id: Any, where: str, problems: Problems) -> ToolCall | None:
    """A checked call, or None (with a problem) when its name or arguments are unusable."""
    if not isinstance(name, str) or not name.strip():
        problems.append(("tool_call_invalid", f"{where}: the call has no function name."))
        return None
    parsed = parse_arguments(arguments, where, problems)
    if parsed is None:
        return None
    return ToolCall(name, parsed, call_id if isinstance(call_id, str) and call_id else None)


def spec(name: Any, description: Any, parameters: Any, where: str, problems: Problems) -> ToolSpec | None:
    """A checked function declaration: a name, and parameters that are a JSON-schema object when given."""
    if not isinstance(name, str) or not name.strip():
        problems.append(("tool_definition_invalid", f"{where}: the function has no name."))
        return None
    if parameters is not None and not isinstance(parameters, dict):
        problems.append(("tool_definition_invalid", f"{where}: parameters of {name!r} must be a JSON-schema object."))
        return None
    return ToolSpec(name, description if isinstance(description, str) else "", parameters or {})


def check_use(conversation: Conversation) -> Problems:
    """Calls name declared functions, every call is answered before the conversation moves on, no stray results."""
    problems: Problems = []
    declared = None if conversation.tools is None else {s.name for s in conversation.tools}
    pending: list[ToolCall] = []
    undeclared: list[str] = []
    for i, turn in enumerate(conversation.turns):
        if turn.role == "tool":
            match = _answer(pending, turn.tool_call_id, turn.name)
            if match is None:
                problems.append(("tool_result_orphan", f"Turn {i + 1} is a tool result that answers no earlier call; remove it."))
            continue
        if pending:
            names = ", ".join(sorted({c.name for c in pending}))
            problems.append(
                (
                    "tool_call_unanswered",
                    f"Call(s) to {names} get no tool result before turn {i + 1}; add the result or end the example at the call.",
                )
            )
            pending = []
        for tool_call in turn.tool_calls:
            if declared is not None and tool_call.name not in declared:
                undeclared.append(tool_call.name)
        pending = list(turn.tool_calls)  # calls in the last turn need no answer: the example teaches the call
    if undeclared:
        shown = ", ".join(sorted(set(undeclared)))
        problems.append(
            ("tool_not_declared", f"Calls {shown}, which the line's tools do not declare; declare it or fix the name.")
        )
    elif declared is None and any(t.tool_calls for t in conversation.turns):
        problems.append(
            ("tools_not_listed", "The line calls functions but lists no tools; the model learns calls it is never shown.")
        )
    return problems


def _answer(pending: list[ToolCall], call_id: str | None, name: str | None) -> ToolCall | None:
    """Remove and return the pending call a result answers: by id, else by name, else the oldest (ShareGPT)."""
    if call_id is not None:
        for i, pending_call in enumerate(pending):
            if pending_call.id == call_id:
                return pending.pop(i)
        if any(c.id for c in pending):
            return None
    if name is not None:
        return next((pending.pop(i) for i, c in enumerate(pending) if c.name == name), None)
    return pending.pop(0) if pending else None
