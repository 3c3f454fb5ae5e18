"""Dataset use cases: store an upload, validate it, convert it. Files live under the data dir."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, get_args

from sqlalchemy.orm import Session

from rules.facts import Provider
from service import quotas
from service.config import Settings
from service.datasets.convert import convert_file
from service.datasets.repository import DatasetRepository, DatasetSystemQueries
from service.datasets.schemas import TARGET_FORMATS, ConversionResult, DatasetReport
from service.datasets.validate import validate_file
from service.errors import AdvisorError, NotFound, PayloadTooLarge, ValidationFailed
from service.inputs import disk_name, original_name
from service.store.db import Database
from service.store.locks import lock_tenant
from service.store.models import DatasetRow, utcnow
from service.store.orphans import ORPHAN_AFTER_SECONDS, remove_stale_folders

CHUNK = 1024 * 1024
MIB = 1024 * 1024
PROVIDERS: tuple[str, ...] = get_args(Provider)


def datasets_dir(data_dir: Path) -> Path:
    return data_dir / "datasets"


def store_upload(
    stream: BinaryIO, filename: str | None, data_dir: Path, max_bytes: int, too_large: Callable[[int], AdvisorError] | None = None
) -> tuple[Path, str, int]:
    """Stream an upload to disk (never all in memory); returns (path, sha256, size). Partial files never stay.

    Past ``max_bytes`` it stops reading and raises ``too_large(size so far)`` (default: 413 naming ADVISOR_MAX_UPLOAD_MB).
    """
    # The content decides the format (the report says what it found); the name only has to be safe on disk.
    name = disk_name(original_name(filename, "file"), "upload.jsonl")
    folder = datasets_dir(data_dir) / uuid.uuid4().hex
    folder.mkdir(parents=True)
    partial = folder / f".{name}.partial"
    digest = hashlib.sha256()
    size = 0
    try:
        with partial.open("wb") as out:
            for block in iter(lambda: stream.read(CHUNK), b""):
                size += len(block)
                if size > max_bytes:
                    raise (
                        too_large(size)
                        if too_large
                        else PayloadTooLarge(
                            f"The file is larger than {max_bytes // MIB} MiB; split it or raise ADVISOR_MAX_UPLOAD_MB."
                        )
                    )
                digest.update(block)
                out.write(block)
            out.flush()
            os.fsync(out.fileno())
        final = folder / name
        os.replace(partial, final)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return final, digest.hexdigest(), size


def create_dataset(
    session: Session,
    tenant_id: str,
    stream: BinaryIO,
    filename: str | None,
    *,
    provider: str,
    model: str | None,
    settings: Settings,
    today: dt.date | None = None,
) -> DatasetRow:
    """Store, validate and record an upload; the row exists only once the file is safely on disk.

    The tenant's stored bytes stay within ``quota_dataset_mb``: the stream stops at the first byte beyond it,
    and the bytes are counted again under the tenant's lock before the row goes in (two uploads at once
    cannot both take the last room).
    """
    if provider not in PROVIDERS:
        raise ValidationFailed(f"Unknown provider {provider!r}; use one of {', '.join(PROVIDERS)}.", field="provider")
    upload_max = settings.max_upload_mb * MIB
    used = DatasetRepository(session, tenant_id).stored_bytes()
    room = quotas.limit(settings, "dataset_mb") * MIB - used

    def too_large(size: int) -> AdvisorError:
        if size > room:
            return quotas.exceeded(settings, "dataset_mb", round((used + size) / MIB, 1), field="file")
        return PayloadTooLarge(f"The file is larger than {upload_max // MIB} MiB; split it or raise ADVISOR_MAX_UPLOAD_MB.")

    path, sha256, size = store_upload(stream, filename, settings.data_dir, max(0, min(upload_max, room)), too_large)
    try:
        report = validate_file(path, provider=provider, model=model, today=today)
    except BaseException:
        shutil.rmtree(path.parent, ignore_errors=True)
        raise
    lock_tenant(session, tenant_id)  # until the commit: a simultaneous upload counts after this one's row
    stored = DatasetRepository(session, tenant_id).stored_bytes() + size
    if stored > quotas.limit(settings, "dataset_mb") * MIB:
        session.rollback()
        shutil.rmtree(path.parent, ignore_errors=True)
        raise quotas.exceeded(settings, "dataset_mb", round(stored / MIB, 1), field="file")
    row = DatasetRow(
        id=str(uuid.uuid4()),
        created_at=utcnow(),
        filename=original_name(filename, "file") or path.name,  # as the client named it; the disk name may be cut
        sha256=sha256,
        size_bytes=size,
        path=str(path),
        provider=provider,
        model=report.model,
        report=report.model_dump(mode="json"),
    )
    DatasetRepository(session, tenant_id).add(row)
    session.commit()
    return row


def sweep_orphans(database: Database, data_dir: Path, older_than: float = ORPHAN_AFTER_SECONDS) -> list[Path]:
    """Remove upload folders no dataset row points to, once nothing in them changed for ``older_than`` seconds."""
    with database.session() as session:
        known = DatasetSystemQueries(session).all_tenants_upload_folders()
    return remove_stale_folders(datasets_dir(data_dir), known, older_than)


def sweep_abandoned(database: Database, ttl_hours: int, now: dt.datetime | None = None) -> list[str]:
    """Delete datasets no tuning job names, uploaded more than ``ttl_hours`` before ``now`` (0: keep them all).

    Uploads whose client never learned the id, or never came back, would otherwise stay forever. The rows go
    first (each only if still unused), then the folders; a folder left by a crash is the orphan sweep's.
    """
    if ttl_hours <= 0:
        return []
    cutoff = (now or utcnow()) - dt.timedelta(hours=ttl_hours)
    with database.session() as session:
        queries = DatasetSystemQueries(session)
        removed = [
            (row_id, path) for row_id, path in queries.all_tenants_abandoned(cutoff) if queries.all_tenants_delete_unused(row_id)
        ]
        session.commit()
    for _, path in removed:
        _remove_folder(Path(path))
    return [row_id for row_id, _ in removed]


def _remove_folder(path: Path) -> None:
    """The dataset's own folder (the upload and its conversions), never anything outside the datasets dir."""
    if path.parent.parent.name == "datasets":
        shutil.rmtree(path.parent, ignore_errors=True)


def list_datasets(session: Session, tenant_id: str, limit: int, cursor: str | None) -> tuple[list[DatasetRow], str | None]:
    return DatasetRepository(session, tenant_id).page(limit, cursor)


def delete_dataset(session: Session, tenant_id: str, dataset_id: str) -> None:
    """The row, then its folder: a crash in between leaves a folder the orphan sweep removes, never a dangling row."""
    row = get_dataset(session, tenant_id, dataset_id)
    path = Path(row.path)
    DatasetRepository(session, tenant_id).delete(row.id)
    session.commit()
    _remove_folder(path)


def get_dataset(session: Session, tenant_id: str, dataset_id: str) -> DatasetRow:
    row = DatasetRepository(session, tenant_id).get(dataset_id)
    if row is None:
        raise NotFound(f"No dataset {dataset_id!r}; upload one with POST /v1/datasets.", code="dataset_not_found")
    return row


def report_of(row: DatasetRow) -> DatasetReport:
    return DatasetReport.model_validate(row.report)


def conversion_dir(row: DatasetRow, to: str) -> Path:
    return Path(row.path).parent / "converted" / to


def convert_dataset(row: DatasetRow, to: str, validation_fraction: float, seed: int = 42) -> ConversionResult:
    """Convert (dedupe, seeded split) into the dataset's folder; repeated calls overwrite the same files."""
    if to not in TARGET_FORMATS:
        raise ValidationFailed(f"Unknown format {to!r}; use one of {', '.join(TARGET_FORMATS)}.", field="to")
    return convert_file(Path(row.path), to, conversion_dir(row, to), validation_fraction=validation_fraction, seed=seed)


def converted_file(row: DatasetRow, to: str, name: str) -> Path:
    """A file written by convert_dataset, or 404 when it was never converted."""
    if to not in TARGET_FORMATS or name not in ("train.jsonl", "validation.jsonl"):
        raise NotFound("Converted files are train.jsonl and validation.jsonl under a known format.", code="file_not_found")
    path = conversion_dir(row, to) / name
    if not path.is_file():
        raise NotFound(f"{name} was not converted to {to} yet; POST /v1/datasets/{row.id}/convert first.", code="file_not_found")
    return path


def iter_file(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        yield from iter(lambda: handle.read(CHUNK), b"")
