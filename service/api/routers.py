"""The HTTP API: every domain's router, assembled in one place (and the problem+json handler in problems.py)."""

from __future__ import annotations

from fastapi import APIRouter

from service.advice.endpoints import router as advice
from service.datasets.endpoints import router as datasets
from service.experiments.endpoints import router as experiments
from service.guide.endpoints import router as guide
from service.intake.endpoints import router as intake
from service.knowledge_bases.endpoints import router as knowledge_bases
from service.ops.endpoints import router as ops
from service.prompts.endpoints import router as prompts
from service.questionnaire.endpoints import router as questionnaire
from service.tuning_jobs.endpoints import router as tuning_jobs

# In the order the OpenAPI document lists them: the advice first, health last.
ROUTERS: tuple[APIRouter, ...] = (
    advice,
    questionnaire,
    intake,
    guide,
    datasets,
    tuning_jobs,
    knowledge_bases,
    prompts,
    experiments,
    ops,
)

# The groups of /docs and /redoc, in this order, each with what it is for.
TAGS: tuple[tuple[str, str], ...] = (
    (
        "advice",
        "A verdict for a use case: the strategy, its reasons with guide links, flags, what would change it, "
        "the costs, and the first artifact (a job spec or a prompt).",
    ),
    (
        "questionnaire",
        "One question at a time, only those that can still change the verdict; a finished session stores an advice.",
    ),
    ("intake", "A few sentences about the use case read into answers, with the words each answer came from."),
    ("guide", "The guide every reason cites, section by section, in English or Hebrew. People read it at /guide."),
    ("rules", "The rules as data: when each fires, what it does, and the cases it must and must not fire on."),
    ("datasets", "Training files: upload, validate, deduplicate, split and convert to a provider's format."),
    ("tuning", "Tuning jobs: a job spec for a provider, submitted when asked, and its status from the provider."),
    (
        "knowledge bases",
        "Retrieval for RAG: knowledge bases, their documents, search, grounded prompts and background ingestion jobs.",
    ),
    ("prompts", "Few-shot prompts built from your examples, within a token budget."),
    (
        "experiments",
        "Candidate strategies (zero-shot, few-shot, grounded, a tuned model) run on your own evaluation set, "
        "each with its accuracy and 95% interval, cost and latency.",
    ),
    ("health", "Liveness and readiness, for operators and load balancers."),
)

# What FastAPI(openapi_tags=...) takes: every tag an operation carries, described, in the order /docs shows them.
OPENAPI_TAGS = [{"name": name, "description": text} for name, text in TAGS]
