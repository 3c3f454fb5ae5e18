"""POST /v1/prompts/few-shot: a few-shot prompt, its examples chosen with the worker's embeddings.

Nothing is stored: the prompt is a pure function of the request (and the dataset it names), so the
same request gives the same prompt, and the worker's embedding cache makes the repeat cheap.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from service import quotas
from service.api.problems import problem_responses
from service.datasets import service as datasets
from service.deps import ClockDep, SessionDep, SettingsDep, TenantDep, WorkerDep
from service.errors import ValidationFailed
from service.prompts.candidates import candidates_from_file
from service.prompts.schemas import FewShotPrompt, FewShotRequest
from service.prompts.service import BUNDLED_EMBEDDING, build_few_shot

router = APIRouter(tags=["prompts"], responses=problem_responses(400, 404, 413, 422, 503))


@router.post("/v1/prompts/few-shot", response_model=FewShotPrompt, summary="A few-shot prompt within a token budget")
def few_shot(
    body: FewShotRequest, session: SessionDep, tenant: TenantDep, settings: SettingsDep, clock: ClockDep, worker: WorkerDep
) -> FewShotPrompt:
    # A sync route: the worker call blocks a pool thread, never the event loop.
    if body.dataset_id is None and body.examples is None:
        raise ValidationFailed(
            'Send "examples": [{"input": ..., "output": ...}] or "dataset_id" of a validated dataset (POST /v1/datasets).',
            code="examples_missing",
            field="examples",
        )
    embedding = settings.embedding_model or BUNDLED_EMBEDDING
    if body.examples is not None:  # each candidate is embedded: refuse before any is
        quotas.check(settings, "few_shot_examples", len(body.examples), field="examples")
    if body.dataset_id is None:
        return build_few_shot(body, worker.embed_texts, embedding=embedding, today=clock())
    row = datasets.get_dataset(session, tenant, body.dataset_id)
    candidates, notes = candidates_from_file(Path(row.path), quotas.limit(settings, "few_shot_examples"))
    return build_few_shot(body, worker.embed_texts, candidates=candidates, embedding=embedding, notes=notes, today=clock())
