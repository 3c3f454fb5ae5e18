"""Training datasets: upload (validated line by line), list, report, convert, download, delete."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Response, UploadFile
from fastapi.responses import StreamingResponse

from rules.facts import Provider
from service.api.forms import OneValueEach
from service.api.problems import PROBLEM_RESPONSES
from service.datasets import service
from service.datasets.schemas import (
    MODEL_NAME_MAX,
    MODEL_NAME_PATTERN,
    ConvertOut,
    ConvertRequest,
    DatasetOut,
    DatasetPage,
    DatasetReport,
    DatasetSummary,
)
from service.deps import ClockDep, SessionDep, SettingsDep, TenantDep
from service.errors import ValidationFailed
from service.inputs import reject_nul
from service.store.cursors import CURSOR_DESCRIPTION, CURSOR_PATTERN

_MODEL_NAME = re.compile(MODEL_NAME_PATTERN)


def _model_name_schema(schema: dict[str, Any]) -> None:
    """A form field is text or absent, never null: the schema says a string of MODEL_NAME_PATTERN (None = absent)."""
    (text,) = [option for option in schema.pop("anyOf") if option.get("type") == "string"]
    schema.update(text, pattern=MODEL_NAME_PATTERN)


router = APIRouter(prefix="/v1/datasets", tags=["datasets"], responses=PROBLEM_RESPONSES)


@router.post(
    "",
    status_code=201,
    response_model=DatasetOut,
    summary="Upload a training file (JSONL or CSV) and validate it",
    dependencies=[OneValueEach],
)
def upload_dataset(
    file: Annotated[UploadFile, File(description="JSONL, or CSV with input_text,output_text or prompt,completion")],
    response: Response,
    session: SessionDep,
    tenant: TenantDep,
    settings: SettingsDep,
    clock: ClockDep,
    provider: Annotated[
        Provider,
        Form(description="The provider whose limits and tokenizer apply"),
    ],
    model: Annotated[
        str | None,
        Form(
            max_length=MODEL_NAME_MAX,
            description="The model to check the file against (its limits, tokenizer); the provider's default when absent.",
            json_schema_extra=_model_name_schema,
        ),
    ] = None,
) -> DatasetOut:
    reject_nul(model, "model")  # a form field: the edge reads JSON bodies only
    if model is not None and not _MODEL_NAME.fullmatch(model):
        raise ValidationFailed(
            f"model {model[:40]!r} is not a model name (letters, digits and . _ : / @ + -, not a number, true, "
            "false or null); leave it out for the provider's default.",
            field="model",
        )
    row = service.create_dataset(
        session,
        tenant,
        file.file,
        file.filename,
        provider=provider,
        model=model or None,
        settings=settings,
        today=clock(),
    )
    response.headers["Location"] = f"/v1/datasets/{row.id}"
    return DatasetOut.model_validate(row)


@router.get("", response_model=DatasetPage, summary="Your datasets, newest first (without their reports)")
def list_datasets(
    session: SessionDep,
    tenant: TenantDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(description=CURSOR_DESCRIPTION, json_schema_extra={"pattern": CURSOR_PATTERN})] = None,
) -> DatasetPage:
    rows, next_cursor = service.list_datasets(session, tenant, limit, cursor)
    return DatasetPage(items=[DatasetSummary.model_validate(row) for row in rows], next_cursor=next_cursor)


@router.delete("/{dataset_id}", status_code=204, summary="Delete a dataset: its file, its conversions and its row")
def delete_dataset(dataset_id: str, session: SessionDep, tenant: TenantDep) -> Response:
    service.delete_dataset(session, tenant, dataset_id)
    return Response(status_code=204)


@router.get("/{dataset_id}", response_model=DatasetOut, summary="A dataset and its report")
def get_dataset(dataset_id: str, session: SessionDep, tenant: TenantDep) -> DatasetOut:
    return DatasetOut.model_validate(service.get_dataset(session, tenant, dataset_id))


@router.get("/{dataset_id}/report", response_model=DatasetReport, summary="The validation report only")
def get_report(dataset_id: str, session: SessionDep, tenant: TenantDep) -> DatasetReport:
    return service.report_of(service.get_dataset(session, tenant, dataset_id))


@router.post("/{dataset_id}/convert", response_model=ConvertOut, summary="Deduplicate, split and convert to a provider format")
def convert(dataset_id: str, body: ConvertRequest, session: SessionDep, tenant: TenantDep) -> ConvertOut:
    row = service.get_dataset(session, tenant, dataset_id)
    result = service.convert_dataset(row, body.to, body.validation_fraction, body.seed)
    base = f"/v1/datasets/{row.id}/files/{body.to}"
    files = {"train": f"{base}/train.jsonl"}
    if result.validation_path is not None:
        files["validation"] = f"{base}/validation.jsonl"
    return ConvertOut(
        to=body.to,
        train=result.train,
        validation=result.validation,
        dropped=result.dropped,
        duplicates=result.duplicates,
        files=files,
        losses=result.losses,
        findings=result.findings,
        finding_counts=result.finding_counts,
    )


@router.get(
    "/{dataset_id}/files/{to}/{name}",
    response_class=StreamingResponse,
    summary="Download a converted file",
    responses={200: {"content": {"application/jsonl": {}}}},
)
def download(dataset_id: str, to: str, name: str, session: SessionDep, tenant: TenantDep) -> StreamingResponse:
    path = service.converted_file(service.get_dataset(session, tenant, dataset_id), to, name)
    headers = {"Content-Disposition": f'attachment; filename="{to}-{name}"'}
    return StreamingResponse(service.iter_file(path), media_type="application/jsonl", headers=headers)
