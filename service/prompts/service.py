"""The prompting path's artifact: a few-shot prompt whose examples are chosen by relevance and diversity.

Selection is maximal marginal relevance (MMR) over sentence embeddings: the query is the task and its
instructions, each candidate is an example's input and output. Examples are added greedily while the
whole rendered prompt stays within the token budget. The examples left out come back as a held-out set
with a script that compares zero-shot and few-shot on them, so a team measures on unseen data first.

``build_few_shot`` takes the embedding function as an argument: the API passes the worker's (the API
process never loads a model), the CLI and tests pass an in-process one.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence

from service.errors import ValidationFailed
from service.prompts.renderers import INPUT, Pair, Renderer, count, format_hint, output_schema
from service.prompts.schemas import Candidate, FewShotPrompt, FewShotRequest
from service.providers.lifecycle import require_model
from service.providers.registry import provider_for
from service.providers.tokens import encoding_for_model

Embed = Callable[[list[str]], list[list[float]]]
BUNDLED_EMBEDDING = "bundled all-MiniLM-L6-v2"


class BudgetTooSmall(ValidationFailed):
    code = "budget_too_small"

    def __init__(self, needed: int, budget: int) -> None:
        super().__init__(
            f"The instructions alone take {needed} tokens, over token_budget={budget}: raise token_budget to at least "
            f"{needed} (plus room for examples) or shorten the instructions.",
            field="token_budget",
        )
        self.needed = needed


def build_few_shot(
    request: FewShotRequest,
    embed: Embed,
    *,
    candidates: Sequence[Candidate] | None = None,
    embedding: str = BUNDLED_EMBEDDING,
    notes: Sequence[str] = (),
    today: dt.date,
) -> FewShotPrompt:
    """The few-shot prompt for ``request`` on ``today``, choosing from ``candidates`` (default: the request's examples)."""
    import numpy as np  # with the selection, loaded by the first few-shot prompt, not with the API

    from service.prompts.selection import LAMBDA, embedding_text, select_mmr, unit_rows

    pool = (
        list(candidates)
        if candidates is not None
        else [Candidate(i, e.input, e.output) for i, e in enumerate(request.examples or [])]
    )
    if not pool:
        raise ValidationFailed(
            'No examples to choose from: send "examples": [{"input": ..., "output": ...}] '
            "or the dataset_id of a validated dataset.",
            code="examples_missing",
            field="examples",
        )
    provider = provider_for(request.provider, "prompting", today)
    shape = provider.shape
    model = require_model(request.provider, request.model, "prompting", today)
    counter = encoding_for_model(model)
    schema = output_schema([c.output for c in pool])
    state = tuple(request.state_fields or ())
    instructions = request.instructions or request.task
    renderer = Renderer(shape, instructions, json_output=schema is not None, state_fields=state)
    pairs = [Pair(c.input, c.output) for c in pool]
    base = count(renderer.render([]), counter)
    if base > request.token_budget:
        raise BudgetTooSmall(base, request.token_budget)
    costs = np.array([renderer.example_cost(counter, pair) for pair in pairs], dtype=np.int64)
    query = request.task if request.instructions is None else f"{request.task}\n{request.instructions}"
    vectors = unit_rows(embed([query, *(embedding_text(c) for c in pool)]))
    chosen = select_mmr(vectors[1:], vectors[0], costs, request.token_budget - base, request.k)
    rendered = renderer.render([pairs[i] for i in chosen])
    total = count(rendered, counter)
    while total > request.token_budget:  # XML costs are per block: a merge across blocks could add a token
        chosen.pop()
        rendered = renderer.render([pairs[i] for i in chosen])
        total = count(rendered, counter)
    picked = {pool[i].id for i in chosen}
    held_out = [c for c in pool if c.id not in picked]
    zero_shot = Renderer(shape, instructions, json_output=schema is not None, state_fields=state, zero_shot=True).render([])
    held_lines = "".join(
        json.dumps({"id": c.id, "input": c.input, "output": c.output}, ensure_ascii=False) + "\n" for c in held_out
    )
    return FewShotPrompt(
        provider=provider.name,
        model=model,
        task=request.task,
        token_budget=request.token_budget,
        token_count=total,
        tokens_exact=counter.exact,
        tokenizer=counter.tokenizer,
        example_ids=[pool[i].id for i in chosen],
        held_out_ids=[c.id for c in held_out],
        selection=f"maximal marginal relevance (lambda={LAMBDA}) over {embedding} embeddings, {len(pool)} candidates",
        placeholders=[INPUT, *state],
        output_schema=schema,
        format_hint=format_hint(shape, schema, request.strict_format),
        snippet=provider.prompt_script("run", model=model, request=rendered.request(), state_fields=list(state), schema=schema),
        files={
            "held_out.jsonl": held_lines,
            "evaluate.py": provider.prompt_script(
                "evaluate",
                model=model,
                few_shot=rendered.request(),
                zero_shot=zero_shot.request(),
                state_fields=list(state),
                schema=schema,
            ),
        },
        notes=[*notes, *_notes(request, counter.exact, len(chosen), len(held_out), base, int(costs.min()))],
        **rendered.request(),
    )


def _notes(request: FewShotRequest, exact: bool, chosen: int, held_out: int, base: int, cheapest: int) -> list[str]:
    filled = f"{{{{{INPUT}}}}} and the state placeholders" if request.state_fields else f"{{{{{INPUT}}}}}"
    notes = [f"Fill {filled} at call time (the snippet does); the filled values' tokens come on top of token_count."]
    if not exact:
        notes.append("Token counts for this model are an o200k_base estimate, not its own tokenizer: keep about 10% headroom.")
    if chosen == 0:
        notes.append(
            f"No example fits: the instructions take {base} tokens and the smallest example {cheapest}; "
            f"raise token_budget to at least {base + cheapest}."
        )
    elif chosen < request.k and held_out:
        notes.append(f"token_budget limited the prompt to {chosen} of k={request.k} examples.")
    if held_out == 0:
        notes.append("Every example is in the prompt, so none is left to evaluate on: collect more before deciding to tune.")
    return notes
