"""What each target format can express, and the one function check and convert both ask: can this line be written?"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import NamedTuple

from knowledge.loader import ProviderEntry
from service.datasets.conversation import Conversation, Media, Problems, trimmed
from service.datasets.fmt_base import Record
from service.datasets.fmt_chat import write_bedrock, write_openai
from service.datasets.fmt_gemini import mime_of, write_gemini
from service.datasets.fmt_nova import write_nova
from service.datasets.fmt_open import write_alpaca, write_prompt_completion, write_sharegpt, write_text
from service.providers.registry import provider_for

Writer = Callable[[Conversation], tuple[Record, list[str]]]


class Target(NamedTuple):
    """A conversion target: its writer and what it can hold."""

    label: str
    write: Writer
    tools: bool
    media: Callable[[Media, str], str | None] | None  # None when it holds no media; else why a medium can't go
    user_first: bool  # the first turn must be the user's (else only a warning when no user turn exists)
    plain: bool = False  # holds raw text, not conversations


def _openai_media(media: Media, role: str) -> str | None:
    if media.kind != "image":
        return f"OpenAI chat fine-tuning takes images only, not {media.kind}"
    if not (media.uri or "").startswith(("https://", "http://", "data:")):
        return f"OpenAI needs an http(s) or data: URL, not {(media.uri or '')[:30]!r}"
    return None if role == "user" else "OpenAI takes images in user messages only"


def _gemini_media(media: Media, role: str) -> str | None:
    if not (media.uri or "").startswith(("gs://", "https://", "http://", "data:")):
        return f"Vertex reads Cloud Storage (gs://) or http(s) URIs, not {(media.uri or '')[:30]!r}"
    return None if mime_of(media) else "Gemini needs a MIME type for it and none can be told from the URI"


def _nova_media(media: Media, role: str) -> str | None:
    if not (media.uri or "").startswith("s3://"):
        return f"Nova reads media from S3 (s3://), not {(media.uri or '')[:30]!r}"
    if media.kind not in ("image", "video", "document"):
        return f"Nova takes images, video and documents, not {media.kind}"
    return None if role == "user" else "Nova takes media in user messages only"


TARGETS: dict[str, Target] = {
    "openai_chat": Target("OpenAI chat", write_openai, True, _openai_media, False),
    "trl_messages": Target("TRL messages", lambda c: write_openai(c, trl=True), True, None, False),
    "gemini_contents": Target("Gemini (Vertex)", write_gemini, True, _gemini_media, True),
    "anthropic_bedrock": Target("Claude on Bedrock", write_bedrock, False, None, True),
    "nova_conversation": Target("Nova (bedrock-conversation-2024)", write_nova, True, _nova_media, True),
    "prompt_completion": Target("prompt/completion", write_prompt_completion, False, None, True),
    "alpaca": Target("Alpaca", write_alpaca, False, None, True),
    "sharegpt": Target("ShareGPT", write_sharegpt, True, None, True),
    "trl_text": Target("TRL text", write_text, False, None, False, plain=True),
}


def problems(conversation: Conversation, target: str) -> Problems:
    """Why ``target`` can't hold this line (errors: convert drops it), plus turn-order warnings."""
    spec = TARGETS[target]
    found: Problems = []
    if conversation.plain != spec.plain:
        what = "plain text with no prompt/answer turns" if conversation.plain else "a conversation"
        found.append(
            ("unsupported_in_target", f"{spec.label} can't hold {what}; keep the file's own format or pick another target.")
        )
        return found
    if conversation.plain:
        return found
    if conversation.uses_tools and not spec.tools:
        found.append(("unsupported_in_target", f"{spec.label} can't hold tool definitions or calls; pick a format with tools."))
    if target == "sharegpt" and any(len(t.tool_calls) > 1 for t in conversation.turns):
        found.append(("unsupported_in_target", "ShareGPT holds one function_call per turn; this line makes parallel calls."))
    for turn in conversation.turns:
        for medium in turn.media:
            why = f"{spec.label} can't hold media" if spec.media is None else spec.media(medium, turn.role)
            if why:
                found.append(("unsupported_in_target", f"A {medium.kind} in a {turn.role} turn: {why}."))
                break
    first = next((t.role for t in conversation.turns if t.role != "tool"), None)
    if spec.user_first and first != "user":
        found.append(
            ("turn_order", f"{spec.label} needs the first turn after the system prompt to be the user's; it is the {first}'s.")
        )
    elif not spec.user_first and not any(t.role == "user" for t in conversation.turns):
        found.append(("no_user_turn", "No user turn: the model learns an answer to nothing; add the user's message."))
    return found


def write(conversation: Conversation, target: str) -> tuple[Record, list[str]]:
    """The line in ``target`` (call only when ``problems`` has no error) and what it lost."""
    kept, dropped = trimmed(conversation)
    record, losses = TARGETS[target].write(kept)
    return record, (["trailing_turns_dropped"] if dropped else []) + losses


# Detected formats each target already is: no conversion needed (and none lost).
ACCEPTS: dict[str, frozenset[str]] = {
    "openai_chat": frozenset({"openai_chat"}),
    "trl_messages": frozenset({"openai_chat", "trl_messages"}),
    "gemini_contents": frozenset({"gemini_contents"}),
    "anthropic_bedrock": frozenset({"anthropic_bedrock"}),
    "nova_conversation": frozenset({"nova_conversation"}),
    "prompt_completion": frozenset({"instruction"}),
    "alpaca": frozenset({"alpaca"}),
    "sharegpt": frozenset({"sharegpt"}),
    "trl_text": frozenset({"trl_text"}),
}
_NATURAL = {
    fmt: target for target, formats in ACCEPTS.items() for fmt in formats if fmt != "openai_chat" or target == "openai_chat"
}
_NATURAL["trl_prompt_completion"] = "trl_messages"
# Tooling that reads TRL messages (TRL, axolotl, LLaMA-Factory) reads these as they are, too.
OPEN_WEIGHTS_EXTRAS = ("alpaca", "sharegpt", "trl_text")


def provider_targets(formats: list[str]) -> list[str]:
    """The targets a provider takes: its catalog formats, plus the open-weights formats where TRL is one."""
    found = [f for f in formats if f in TARGETS]
    if "trl_messages" in found:
        found += [f for f in OPEN_WEIGHTS_EXTRAS if f not in found]
    return found or ["openai_chat"]


def target_for(formats: list[str], detected: str | None) -> str:
    """The provider format a line in ``detected`` is checked against: its own where the provider takes it."""
    choices = provider_targets(formats)
    natural = _NATURAL.get(detected or "")
    if natural is not None and natural in choices:
        return natural
    if detected == "openai_chat" and "trl_messages" in choices:
        return "trl_messages"
    return choices[0]


def resolve_target(provider: str, model: str | None, today: dt.date) -> tuple[ProviderEntry, str | None]:
    """The catalog entry of ``provider`` (``undecided`` resolved for tuning) and the model to check for.

    Without a model, the provider's model to tune on ``today`` (its prompting model when it cannot tune).
    """
    target = provider_for(provider, "tuning", today)
    if model is None:
        default = target.default_model("tuning", today) or target.default_model("prompting", today)
        model = default.id if default else None
    return target.entry(), model
