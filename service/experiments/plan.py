"""From a request to the plan the worker runs: the items with their graders, and each candidate's prompt.

The plan is plain JSON stored with the experiment, so a resumed run (another worker, after a crash) runs
exactly what was accepted: the few-shot prompt as the advice had it then, the label set as it was sent.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from service.advice import service as advice
from service.datasets import service as datasets
from service.errors import ValidationFailed
from service.experiments.schemas import ExperimentRequest, GraderChoice, GraderSpec, Item, LabelGrader
from service.knowledge_bases import service as knowledge_bases
from service.prompts.candidates import candidates_from_file

_SPEC: TypeAdapter[Any] = TypeAdapter(GraderSpec)
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
INPUT = "{{input}}"


class CandidateUnavailable(ValidationFailed):
    code = "candidate_unavailable"


def spec_of(choice: GraderChoice, items: list[Item]) -> dict[str, Any]:
    """A grader as a full spec; a bare ``"label"`` takes the set's distinct expected values as its labels."""
    spec = _SPEC.validate_python({"type": choice}) if isinstance(choice, str) else choice
    if isinstance(spec, LabelGrader) and spec.labels is None:
        labels = sorted({item.expected for item in items if item.expected.strip()})
        spec = LabelGrader(labels=labels or None)
    return dict(spec.model_dump(mode="json"))


def parse_spec(data: dict[str, Any]) -> Any:
    return _SPEC.validate_python(data)


def _items(session: Session, tenant_id: str, request: ExperimentRequest) -> list[Item]:
    if request.items is not None:
        return request.items
    row = datasets.get_dataset(session, tenant_id, request.dataset_id or "")
    found, _ = candidates_from_file(row.path)
    if request.holdout is not None:  # the last fraction: an advice's few-shot examples come from the front
        found = found[len(found) - max(1, round(len(found) * request.holdout)) :]
    if not found:
        raise ValidationFailed("The dataset has no usable example (a user turn and an answer).", field="dataset_id")
    return [Item(input=c.input[:20_000], expected=c.output[:20_000]) for c in found[:1000]]


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def few_shot(artifact: dict[str, Any]) -> tuple[str | None, list[tuple[str, str]], str]:
    """(system, example turns, the last user turn with its {{input}}) of an advice's few-shot prompt, any shape."""
    parts = [p for p in artifact.get("parts", []) if p.get("kind") == "few_shot_prompt"]
    if not parts:
        raise CandidateUnavailable(
            'The advice\'s artifact has no few-shot prompt; make one with POST /v1/advice and "artifact": true.',
            field="advice_id",
        )
    prompt = parts[0]
    system: str | None = prompt.get("system")
    if prompt.get("contents") is not None:
        instruction = prompt.get("systemInstruction") or {}
        system = _text(instruction.get("parts")) or None
        turns = [("assistant" if t.get("role") == "model" else "user", _text(t.get("parts"))) for t in prompt["contents"]]
    else:
        turns = []
        for message in prompt.get("messages") or []:
            if message.get("role") == "system":
                system = "\n\n".join(filter(None, [system, _text(message.get("content"))]))
            else:
                turns.append((message.get("role", "user"), _text(message.get("content"))))
    if not turns or turns[-1][0] != "user":
        raise CandidateUnavailable("The advice's few-shot prompt does not end with a user turn.", field="advice_id")
    body = turns[:-1]
    shots = [(body[i][1], body[i + 1][1]) for i in range(0, len(body) - 1, 2)]
    return system, shots, turns[-1][1]


def fill(template: str, value: str) -> str:
    """The last user turn with the item's input in {{input}} and every other placeholder left empty."""
    return _PLACEHOLDER.sub(lambda m: value if m.group(1) == "input" else "", template)


def build(session: Session, tenant_id: str, request: ExperimentRequest) -> dict[str, Any]:
    items = _items(session, tenant_id, request)
    default = spec_of(request.grader, items)
    planned = [
        {"input": i.input, "expected": i.expected, "grader": spec_of(i.grader, items) if i.grader else default} for i in items
    ]
    model = request.target.model
    candidates: list[dict[str, Any]] = []
    for choice in request.candidates:
        if choice == "zero_shot":
            candidates.append({"name": "zero_shot", "kind": "zero_shot", "model": model, "system": request.system})
        elif choice == "few_shot":
            system, shots, template = few_shot(advice.get_artifact(session, tenant_id, request.advice_id or ""))
            candidates.append(
                {"name": "few_shot", "kind": "few_shot", "model": model, "system": system, "shots": shots, "template": template}
            )
        elif choice == "grounded":
            kb = knowledge_bases.get_kb(session, tenant_id, request.knowledge_base or "")
            candidates.append({"name": "grounded", "kind": "grounded", "model": model, "knowledge_base": kb.id})
        else:
            tuned = choice.tuned_model
            candidates.append({"name": f"tuned:{tuned}", "kind": "tuned", "model": tuned, "system": request.system})
    return {"items": planned, "candidates": candidates, "max_tokens": request.max_tokens}


def judge_of(spec: dict[str, Any], target: dict[str, Any]) -> dict[str, Any]:
    """The model a rubric grader asks: its own ``judge``, else the experiment's target (without its prices' zeros)."""
    judge = spec.get("judge")
    return {k: v for k, v in (judge or target).items() if v is not None}


def judge_key(judge: dict[str, Any]) -> str:
    return "|".join(str(judge.get(part) or "") for part in ("provider", "base_url", "model"))


def judges(planned: dict[str, Any], target: dict[str, Any]) -> list[dict[str, Any]]:
    """Every distinct judge model the plan's rubric graders ask, in the order they first appear."""
    found: dict[str, dict[str, Any]] = {}
    for item in planned["items"]:
        if item["grader"].get("type") == "rubric":
            judge = judge_of(item["grader"], target)
            found.setdefault(judge_key(judge), judge)
    return list(found.values())


def messages_for(candidate: dict[str, Any], item_input: str) -> tuple[str | None, list[dict[str, str]]]:
    """(system, turns) to send for one item, for candidates whose prompt needs no search."""
    turns: list[dict[str, str]] = []
    for user, assistant in candidate.get("shots", []):
        turns += [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    template = candidate.get("template")
    turns.append({"role": "user", "content": fill(template, item_input) if template else item_input})
    return candidate.get("system"), turns
