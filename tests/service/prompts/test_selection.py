"""Choosing examples: the budget holds for any value, the same input gives the same prompt, MMR spreads out."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.prompts.candidates import candidates_from_file
from service.prompts.schemas import FewShotPrompt, FewShotRequest
from service.prompts.service import BudgetTooSmall, build_few_shot
from service.providers.tokens import encoding_for_model
from tests.service.prompts.conftest import DISTINCT, NEAR_DUPLICATES, TASK, TODAY, Embed, ticket_examples

PROVIDERS = ["openai", "anthropic", "google", "open_weights"]


def request(**fields: Any) -> FewShotRequest:
    return FewShotRequest.model_validate({"task": TASK, "examples": ticket_examples(), "token_budget": 2000, **fields})


def recount(prompt: FewShotPrompt) -> int:
    """Count the prompt as returned, independently of the builder's own bookkeeping."""
    counter = encoding_for_model(prompt.model)
    if prompt.contents is not None:
        assert prompt.system_instruction is not None
        view = [{"role": "system", "content": prompt.system_instruction["parts"][0]["text"]}]
        view += [
            {"role": "assistant" if c["role"] == "model" else "user", "content": c["parts"][0]["text"]} for c in prompt.contents
        ]
        return counter.messages(view)
    system = [] if prompt.system is None else [{"role": "system", "content": prompt.system}]
    return counter.messages([*system, *(prompt.messages or [])])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    budget=st.integers(min_value=1, max_value=700),
    provider=st.sampled_from(PROVIDERS),
    k=st.integers(min_value=1, max_value=10),
    state=st.sampled_from([None, ["plan"], ["plan", "language"]]),
    json_outputs=st.booleans(),
)
def test_the_rendered_prompt_never_exceeds_the_budget(
    embed: Embed, budget: int, provider: str, k: int, state: list[str] | None, json_outputs: bool
) -> None:
    body = request(provider=provider, k=k, token_budget=budget, state_fields=state, examples=ticket_examples(json_outputs))
    try:
        prompt = build_few_shot(body, embed, today=TODAY)
    except BudgetTooSmall as exc:
        assert exc.status == 422 and exc.code == "budget_too_small"
        assert exc.needed > budget
        assert f"at least {exc.needed}" in exc.message
        # The minimum it names is enough: the same request with that budget works.
        assert build_few_shot(body.model_copy(update={"token_budget": exc.needed}), embed, today=TODAY).token_count <= exc.needed
        return
    assert prompt.token_count == recount(prompt) <= budget
    assert len(prompt.example_ids) <= k


def test_a_generous_budget_takes_k_examples_and_a_tight_one_fewer(embed: Embed) -> None:
    roomy = build_few_shot(request(k=6, token_budget=5000), embed, today=TODAY)
    assert len(roomy.example_ids) == 6
    tight = build_few_shot(request(k=6, token_budget=roomy.token_count - 1), embed, today=TODAY)
    assert len(tight.example_ids) < 6
    assert tight.token_count <= roomy.token_count - 1
    assert any("limited the prompt" in note for note in tight.notes)


def test_the_same_input_gives_the_same_prompt(embedder: Any) -> None:
    # A fresh, uncached embedding function each time: the model itself must give the same choice.
    first = build_few_shot(request(provider="anthropic", k=4), embedder.encode, today=TODAY)
    second = build_few_shot(request(provider="anthropic", k=4), embedder.encode, today=TODAY)
    assert first.model_dump(mode="json") == second.model_dump(mode="json")


def test_mmr_does_not_fill_the_prompt_with_near_duplicates(embed: Embed) -> None:
    prompt = build_few_shot(request(k=4), embed, today=TODAY)
    duplicates = set(range(len(NEAR_DUPLICATES)))
    chosen = set(prompt.example_ids)
    assert len(chosen & duplicates) <= 1, prompt.example_ids
    assert len(chosen - duplicates) >= 3


def test_relevance_still_counts(embed: Embed) -> None:
    # The same examples, a billing task: the most relevant example leads.
    prompt = build_few_shot(request(task="Fix wrong amounts on customer invoices", k=3), embed, today=TODAY)
    assert prompt.example_ids[0] in range(len(NEAR_DUPLICATES))


def test_the_held_out_set_is_exactly_the_examples_not_chosen(embed: Embed) -> None:
    examples = ticket_examples()
    prompt = build_few_shot(request(k=3), embed, today=TODAY)
    assert sorted(prompt.example_ids + prompt.held_out_ids) == list(range(len(examples)))
    assert not set(prompt.example_ids) & set(prompt.held_out_ids)
    lines = [json.loads(line) for line in prompt.files["held_out.jsonl"].splitlines()]
    assert [row["id"] for row in lines] == prompt.held_out_ids
    assert all(row["input"] == examples[row["id"]]["input"] and row["output"] == examples[row["id"]]["output"] for row in lines)


def test_instructions_over_the_budget_are_budget_too_small(embed: Embed) -> None:
    with pytest.raises(BudgetTooSmall) as caught:
        build_few_shot(request(instructions="Be precise. " * 200, token_budget=100), embed, today=TODAY)
    assert caught.value.status == 422
    assert caught.value.field == "token_budget"


def test_all_examples_in_the_prompt_leaves_nothing_to_evaluate(embed: Embed) -> None:
    prompt = build_few_shot(request(k=20, token_budget=5000), embed, today=TODAY)
    assert prompt.held_out_ids == []
    assert any("none is left to evaluate" in note for note in prompt.notes)


def test_examples_from_a_file_use_line_numbers(tmp_path: Any, embed: Embed) -> None:
    path = tmp_path / "examples.jsonl"
    lines = [
        json.dumps({"input": DISTINCT[0], "output": "ops"}),
        "",
        "{not json",
        json.dumps({"messages": [{"role": "user", "content": DISTINCT[1]}, {"role": "assistant", "content": "support"}]}),
        json.dumps({"messages": [{"role": "user", "content": "no answer"}]}),
        json.dumps({"input": DISTINCT[2], "output": "product \ud800"}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    candidates, notes = candidates_from_file(path)
    assert [(c.id, c.output) for c in candidates] == [(1, "ops"), (4, "support"), (6, "product ?")]  # UTF-8 safe
    assert notes and "2 line(s)" in notes[0]
    prompt = build_few_shot(request(examples=None, k=2), embed, candidates=candidates, notes=notes, today=TODAY)
    assert set(prompt.example_ids) | set(prompt.held_out_ids) == {1, 4, 6}
    assert notes[0] in prompt.notes
