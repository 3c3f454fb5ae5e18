"""The prompting path's artifact: a few-shot prompt whose examples are chosen by relevance and diversity.

Selection is maximal marginal relevance (MMR) over sentence embeddings: the query is the task and its
instructions, each candidate is an example's input and output. Examples are added greedily while the
whole rendered prompt stays within the token budget. The examples left out come back as a held-out set
with a script that compares zero-shot and few-shot on them, so a team measures on unseen data first.

``build_few_shot`` takes the embedding function as an argument: the API passes the worker's (the API
process never loads a model), the CLI and tests pass an in-process one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal, NamedTuple

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from knowledge.loader import default_catalog
from rules.facts import Count, Provider
from service.artifacts.prompt_snippets import evaluate_script, run_snippet
from service.artifacts.renderers import INPUT, Pair, Renderer, count, format_hint, output_schema, shape_of
from service.datasets.tokens import encoding_for_model
from service.errors import ValidationFailed
from service.schemas import FewShotExample

Embed = Callable[[list[str]], list[list[float]]]
LAMBDA = 0.7  # MMR: 1.0 is relevance only, 0.0 diversity only
DEFAULT_K = 8
MAX_CANDIDATES = 5000
MAX_TOKEN_BUDGET = 1_000_000
BUNDLED_EMBEDDING = "bundled all-MiniLM-L6-v2"
EMBED_INPUT_CHARS, EMBED_OUTPUT_CHARS = 1000, 500
StateField = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$", description="A lowercase name, like plan or language.")]


class Candidate(NamedTuple):
    """An example that may go into the prompt; ``id`` is its index in the request or its dataset line."""

    id: int
    input: str
    output: str


class BudgetTooSmall(ValidationFailed):
    code = "budget_too_small"

    def __init__(self, needed: int, budget: int) -> None:
        super().__init__(
            f"The instructions alone take {needed} tokens, over token_budget={budget}: raise token_budget to at least "
            f"{needed} (plus room for examples) or shorten the instructions.",
            field="token_budget",
        )
        self.needed = needed


class FewShotRequest(BaseModel):
    """What to build a few-shot prompt for, and from which examples."""

    model_config = ConfigDict(extra="forbid", strict=True)

    task: str = Field(min_length=1, max_length=2000, description="What the model should do; with instructions, the query.")
    provider: Provider = "openai"
    model: str | None = Field(default=None, max_length=200, description="Defaults to the catalog's model of the provider.")
    instructions: str | None = Field(
        default=None, min_length=1, max_length=20000, description="The system text; the task if unset."
    )
    examples: list[FewShotExample] | None = Field(
        default=None, min_length=1, max_length=MAX_CANDIDATES, description="The candidates; send these or dataset_id."
    )
    dataset_id: str | None = Field(default=None, max_length=64, description="A validated dataset to take the candidates from.")
    k: Count = Field(default=DEFAULT_K, ge=1, le=100, description="At most this many examples.")
    token_budget: Count = Field(ge=1, le=MAX_TOKEN_BUDGET, description="The rendered prompt never takes more tokens than this.")
    state_fields: list[StateField] | None = Field(
        default=None, max_length=20, description="Per-user values the app keeps between calls (lowercase names)."
    )
    strict_format: bool = Field(default=False, description="Answers must follow an exact format.")

    @model_validator(mode="after")
    def _one_source(self) -> FewShotRequest:
        if self.examples is not None and self.dataset_id is not None:
            raise ValueError("send either examples or dataset_id, not both")
        names = self.state_fields or []
        if len(set(names)) != len(names) or INPUT in names:
            raise ValueError(f"state_fields must be distinct and other than {INPUT!r}")
        return self


class FewShotPrompt(BaseModel):
    """The rendered prompt in the provider's request shape, what it costs, and how to run and evaluate it."""

    # Gemini's REST field is systemInstruction; the JSON should read like the request it is.
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    kind: Literal["few_shot_prompt"] = "few_shot_prompt"
    provider: str
    model: str
    task: str
    token_budget: int
    token_count: int = Field(description="Tokens of the rendered prompt with its placeholders; filled values come on top.")
    tokens_exact: bool
    tokenizer: str
    example_ids: list[int] = Field(description="The chosen examples, in prompt order: request index or dataset line.")
    held_out_ids: list[int] = Field(description="Every example not chosen: the evaluation set (held_out.jsonl).")
    selection: str
    system: str | None = None
    messages: list[dict[str, Any]] | None = None
    system_instruction: dict[str, Any] | None = Field(default=None, alias="systemInstruction")
    contents: list[dict[str, Any]] | None = None
    placeholders: list[str] = Field(description="{{name}} markers the app fills at call time.")
    output_schema: dict[str, Any] | None = None
    format_hint: str | None = None
    snippet: str
    files: dict[str, str] = Field(description="held_out.jsonl and evaluate.py (zero-shot vs few-shot with your key).")
    notes: list[str] = Field(default_factory=list)


def default_model(provider: str) -> str:
    """The catalog's model for ``provider``; undecided teams get OpenAI's."""
    entry = default_catalog().provider("openai" if provider == "undecided" else provider).default_model()
    return entry.id if entry else "gpt-4.1-mini"


def embedding_text(candidate: Candidate) -> str:
    """What is embedded for an example: the model reads ~256 word pieces, so longer text would only cost transfer."""
    return f"{candidate.input[:EMBED_INPUT_CHARS]}\n{candidate.output[:EMBED_OUTPUT_CHARS]}"


def _unit_rows(vectors: list[list[float]]) -> np.ndarray:
    matrix = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.asarray(matrix / np.where(norms == 0, 1.0, norms))


def select_mmr(vectors: np.ndarray, query: np.ndarray, costs: np.ndarray, room: int, k: int) -> list[int]:
    """Greedy MMR over unit vectors: each pick is relevant to the query and unlike the picks before; all fit ``room``."""
    relevance = vectors @ query
    redundancy = np.zeros(len(costs))
    available = costs <= room
    chosen: list[int] = []
    while len(chosen) < k and available.any():
        # Rounding makes float noise irrelevant: ties go to the earliest example, the same on every run.
        score = np.where(available, np.round(LAMBDA * relevance - (1 - LAMBDA) * redundancy, 6), -np.inf)
        best = int(np.argmax(score))
        chosen.append(best)
        room -= int(costs[best])
        available[best] = False
        available &= costs <= room
        redundancy = np.maximum(redundancy, vectors @ vectors[best])
    return chosen


def build_few_shot(
    request: FewShotRequest,
    embed: Embed,
    *,
    candidates: Sequence[Candidate] | None = None,
    embedding: str = BUNDLED_EMBEDDING,
    notes: Sequence[str] = (),
) -> FewShotPrompt:
    """The few-shot prompt for ``request``, choosing from ``candidates`` (default: the request's examples)."""
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
    shape = shape_of(request.provider)
    model = request.model or default_model(request.provider)
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
    vectors = _unit_rows(embed([query, *(embedding_text(c) for c in pool)]))
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
    open_weights = request.provider == "open_weights"
    held_lines = "".join(
        json.dumps({"id": c.id, "input": c.input, "output": c.output}, ensure_ascii=False) + "\n" for c in held_out
    )
    return FewShotPrompt(
        provider=request.provider,
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
        snippet=run_snippet(shape, model, rendered.request(), list(state), schema, open_weights),
        files={
            "held_out.jsonl": held_lines,
            "evaluate.py": evaluate_script(
                shape, model, rendered.request(), zero_shot.request(), list(state), schema, open_weights
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
