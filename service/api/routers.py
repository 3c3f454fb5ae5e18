"""The HTTP API: every domain's router, assembled in one place (and the problem+json handler in problems.py)."""

from __future__ import annotations

from fastapi import APIRouter

from service.advice.endpoints import router as advice
from service.datasets.endpoints import router as datasets
from service.guide.endpoints import router as guide
from service.intake.endpoints import router as intake
from service.knowledge_bases.endpoints import router as knowledge_bases
from service.ops.endpoints import router as ops
from service.prompts.endpoints import router as prompts
from service.questionnaire.endpoints import router as questionnaire
from service.tuning_jobs.endpoints import router as tuning_jobs

# In the order the OpenAPI document lists them.
ROUTERS: tuple[APIRouter, ...] = (
    ops,
    advice,
    questionnaire,
    intake,
    guide,
    datasets,
    tuning_jobs,
    knowledge_bases,
    prompts,
)
