"""What every format reader shares: the result type, text and list checks, and the last word on a line."""

from __future__ import annotations

from typing import Any, NamedTuple

from service.datasets.codes import severity
from service.datasets.conversation import Conversation, Problems, Turn
from service.datasets.tools import check_use

Record = dict[str, Any]


class Read(NamedTuple):
    """A reader's verdict: problems, and the conversation when it has no error."""

    problems: Problems
    conversation: Conversation | None


def text_of(value: Any, where: str, problems: Problems) -> str | None:
    if isinstance(value, str):
        return value
    problems.append(("content_not_text", f"{where}: content must be a string, not {type(value).__name__}."))
    return None


def list_of(obj: dict[str, Any], key: str, problems: Problems) -> list[Any]:
    value = obj.get(key)
    if not isinstance(value, list) or not value:
        problems.append(("missing_messages", f'"{key}" must be a non-empty list of turns.'))
        return []
    return value


def unknown_keys(
    item: dict[str, Any], allowed: frozenset[str], where: str, problems: Problems, who: str = "the provider"
) -> None:
    if unknown := item.keys() - allowed:
        problems.append(
            (
                "message_unrecognized_key",
                f"{where} has unknown key(s) {sorted(map(str, unknown))} (an error: {who} rejects them); remove them.",
            )
        )


def blank(text: str | None) -> bool:
    return text is None or not text.strip()


def finish(
    problems: Problems, system: list[str], turns: list[Turn], answered: bool, tools: Any = None, plain: bool = False
) -> Read:
    """Add the checks every chat shares (an answer, tool use) and build the conversation when error-free.

    ``answered``: the line has an assistant/model turn as written, even one with its own problem.
    """
    said = {code for code, _ in problems}
    if not plain and not answered and not said & {"missing_messages", "missing_assistant_message"}:
        problems.append(("missing_assistant_message", "No assistant/model turn: add the answer the model should learn."))
    if any(not _warning(code) for code, _ in problems):
        return Read(problems, None)
    conversation = Conversation("\n\n".join(system) if system else None, tuple(turns), tools, plain)
    if conversation.uses_tools:
        problems.extend(check_use(conversation))
        if any(not _warning(code) for code, _ in problems):
            return Read(problems, None)
    return Read(problems, conversation)


def has_role(items: Any, key: str, values: tuple[str, ...]) -> bool:
    """Whether any item of a raw list has ``key`` in ``values``: an answer exists as written."""
    return isinstance(items, list) and any(isinstance(i, dict) and i.get(key) in values for i in items)


def _warning(code: str) -> bool:
    return severity(code) == "warning"
