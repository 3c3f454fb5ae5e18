"""Request and response bodies of /v1/prompts/few-shot, and the examples it chooses from."""

from __future__ import annotations

from typing import Annotated, Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rules.facts import Count, Provider
from service.prompts.renderers import INPUT

DEFAULT_K = 8
MAX_CANDIDATES = 5000
MAX_TOKEN_BUDGET = 1_000_000
StateField = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9_]{0,39}$",
        description="A lowercase name, like plan or language (not `input`).",
        json_schema_extra={"not": {"const": INPUT}},
    ),
]
# The validator's cross-field rules, stated for clients and generators: exactly one source of candidates.
_ONE_SOURCE: dict[str, Any] = {
    "oneOf": [
        {"required": ["examples"], "properties": {"examples": {"type": "array"}}},
        {"required": ["dataset_id"], "properties": {"dataset_id": {"type": "string"}}},
    ]
}


class FewShotExample(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    input: str = Field(min_length=1, max_length=20000)
    output: str = Field(min_length=1, max_length=20000)


class Candidate(NamedTuple):
    """An example that may go into the prompt; ``id`` is its index in the request or its dataset line."""

    id: int
    input: str
    output: str


class FewShotRequest(BaseModel):
    """What to build a few-shot prompt for, and from which examples."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=_ONE_SOURCE)

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
        default=None,
        max_length=20,
        description="Per-user values the app keeps between calls (distinct lowercase names).",
        json_schema_extra={"uniqueItems": True},
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
