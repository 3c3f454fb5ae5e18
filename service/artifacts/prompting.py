"""The registered builder of the ``prompting`` strategy, and where few-shot examples come from.

Examples come from a request (``[{input, output}]``) or a file: JSONL lines of ``{input, output}``, or
any training format the dataset validator reads, where the last answer is the output and everything
before it the input.
"""

from __future__ import annotations

import datetime as dt
import re
import zlib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from rules.facts import Profile
from service.artifacts.registry import ArtifactContext, register
from service.prompts.candidates import candidates_from_file
from service.prompts.schemas import MAX_TOKEN_BUDGET, Candidate, FewShotRequest
from service.prompts.service import BudgetTooSmall, Embed, build_few_shot
from service.providers.registry import provider_for

ADVICE_BUDGET = 2000  # tokens; a profile's prompt_tokens raises it
PERSONAL_STATE = ["preferences", "history_summary"]
LEXICAL_DIM = 1024


class FewShotNeedsExamples(BaseModel):
    """What to send to get a few-shot prompt, when the advice came without examples."""

    kind: Literal["few_shot_needs_examples"] = "few_shot_needs_examples"
    detail: str
    send: dict[str, Any]


def lexical_embed(texts: list[str]) -> list[list[float]]:
    """Hashed word counts: a model-free stand-in where no embedding function is available (the advice hot path)."""
    vectors = [[0.0] * LEXICAL_DIM for _ in texts]  # plain lists: the API process never loads numpy for this
    for vector, text in zip(vectors, texts, strict=True):
        for word in re.findall(r"\w+", text.lower()):
            vector[zlib.crc32(word.encode()) % LEXICAL_DIM] += 1.0
    return vectors


def _needs_examples(profile: Profile, dataset_id: str | None) -> FewShotNeedsExamples:
    body = {"task": profile.task, "provider": profile.provider, "token_budget": max(profile.prompt_tokens, ADVICE_BUDGET)}
    if dataset_id is not None:
        return FewShotNeedsExamples(
            detail=f"Build the few-shot prompt from dataset {dataset_id}: POST /v1/prompts/few-shot with this body "
            "(add instructions, k or state_fields as needed).",
            send={**body, "dataset_id": dataset_id},
        )
    return FewShotNeedsExamples(
        detail='A few-shot prompt needs examples: POST /v1/advice again with "artifact": true and "examples" '
        "(input/output pairs from real traffic; 10 or more leave some to evaluate on), as in this body. "
        "Or upload a dataset (POST /v1/datasets) and send its dataset_id.",
        send={
            "profile": profile.model_dump(mode="json", exclude_defaults=True),
            "artifact": True,
            "examples": [{"input": "a real input", "output": "the output you want for it"}],
        },
    )


@register("prompting")
def few_shot_artifact(context: ArtifactContext) -> BaseModel:
    """The few-shot prompt from the advice's examples (or dataset file); what to send when there are none.

    ``services["embed"]`` selects with real embeddings; without it, hashed word counts stand in, since the
    advice call runs in the API process, which must not load a model.
    """
    profile = context.profile
    examples = context.material.get("examples")
    path = context.material.get("dataset_path")
    notes: list[str] = []
    candidates = None
    if not examples and isinstance(path, str | Path):
        candidates, notes = candidates_from_file(path)
    if not examples and not candidates:
        return _needs_examples(profile, context.material.get("dataset_id"))
    embed = context.services.get("embed")
    embedding = "bundled all-MiniLM-L6-v2"
    if not callable(embed):
        embed, embedding = lexical_embed, "hashed word-count (no model in the API process)"
        notes.append("For selection with sentence embeddings, POST /v1/prompts/few-shot with the same examples.")
    today = _today(context)
    # A profile's retired model is advised on, not refused: the prompt is built for its replacement, and a note says so.
    choice = provider_for(profile.provider, "prompting", today).model_for(profile.model, "prompting", today)
    if choice.problem is not None and choice.problem.code != "model_unknown":
        notes.append(choice.problem.message)
    request = FewShotRequest.model_validate(
        {
            "task": profile.task,
            "provider": profile.provider,
            "model": choice.model_id,
            "examples": examples if candidates is None else None,
            # A profile may state any prompt size; the budget is capped where a prompt request is.
            "token_budget": min(max(profile.prompt_tokens, ADVICE_BUDGET), MAX_TOKEN_BUDGET),
            "state_fields": PERSONAL_STATE if profile.personalization else None,
            "strict_format": profile.strict_format,
        }
    )
    return _build(request, embed, candidates, embedding, notes, today)


def _today(context: ArtifactContext) -> dt.date:
    today = context.services.get("today")
    if not isinstance(today, dt.date):
        raise TypeError("the artifact builders need services['today'], the caller's date")
    return today


def _build(
    request: FewShotRequest, embed: Embed, candidates: list[Candidate] | None, embedding: str, notes: list[str], today: dt.date
) -> BaseModel:
    try:
        return build_few_shot(request, embed, candidates=candidates, embedding=embedding, notes=notes, today=today)
    except BudgetTooSmall as exc:  # a long task: give the examples room next to it rather than fail the advice
        wider = request.model_copy(update={"token_budget": exc.needed + ADVICE_BUDGET})
        return build_few_shot(wider, embed, candidates=candidates, embedding=embedding, notes=notes, today=today)
