"""Files uploaded on the import page: stored private, deleted when done.

An upload is stored as ``$LEADQUAL_DATA_DIR/imports/<sha256>.<csv|xlsx>``,
readable by the leadqual user only (0600). Its import runs in the worker
(``tasks.run_import_job``); when the import ends, done or failed, the file
is deleted, or kept ``LEADQUAL_IMPORT_FILE_RETENTION_HOURS`` and then
deleted by the hourly ``purge_upload_files``, which also deletes uploads
never confirmed at the mapping step after 24 hours. Until then erasure
deletes any upload that names the erased person (``personal_data.py``).
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import Max
from django.utils import translation

from leadqual.core.errors import LeadqualError
from leadqual.intake.imports import import_leads_file
from leadqual.intake.models import ImportJob

logger = logging.getLogger(__name__)

UPLOAD_FOLDER = "imports"
SUFFIXES = ("csv", "xlsx")
# Uploads whose mapping was never confirmed are deleted after this long.
ABANDONED_UPLOAD_HOURS = 24
_PARTIAL = ".part"
# The purge leaves an ended import's file this long at least: Huey retries a
# failed import task after 1, 2 and 4 minutes, and a retry resumes from it.
_RETRY_WINDOW = timedelta(hours=1)


def upload_dir() -> Path:
    """The folder of uploaded import files, made private when missing."""
    folder = Path(settings.DATA_DIR) / UPLOAD_FOLDER
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def store_upload(chunks: Iterable[bytes], *, suffix: str) -> Path:
    """Write an upload to the folder as ``<sha256>.<suffix>``, mode 0600.

    Written chunk by chunk to a private temporary file first, then renamed,
    so a half-written upload never has a name an import could use.
    """
    folder = upload_dir()
    digest = hashlib.sha256()
    partial = folder / f"{os.urandom(8).hex()}{_PARTIAL}"
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            for chunk in chunks:
                digest.update(chunk)
                file.write(chunk)
        path = folder / f"{digest.hexdigest()}.{suffix}"
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return path


def upload_of(job: ImportJob) -> Path | None:
    """The stored upload of an import job, or None when it is gone."""
    folder = upload_dir()
    for suffix in SUFFIXES:
        path = folder / f"{job.file_sha256}.{suffix}"
        if path.is_file():
            return path
    return None


def _is_in_use(digest: str) -> bool:
    return ImportJob.objects.filter(file_sha256=digest, status="running").exists()


def discard_upload(path: Path) -> None:
    """Delete an upload at once (refused, or its import ended), unless a
    running import reads the same file."""
    if not _is_in_use(path.stem):
        path.unlink(missing_ok=True)


def end_upload(job: ImportJob) -> None:
    """The import of ``job`` ended: delete its file, or keep it for the
    configured hours (the hourly purge deletes it then)."""
    path = upload_of(job)
    if path is not None and settings.IMPORT_FILE_RETENTION_HOURS == 0:
        discard_upload(path)


def run_uploaded_import(job_id: int, *, now: datetime) -> None:
    """Import the uploaded file of one job, resuming after its last committed batch.

    Safe to run twice: a done job is left alone, and a job that was
    interrupted (the worker stopped, a batch failed) goes on after its
    ``rows_done``, so no row is written twice. A file leadqual refuses ends
    the job as failed with the reason in ``ImportJob.error``; other errors
    are raised for the task's retries.
    """
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or job.status == "done":
        return
    path = upload_of(job)
    if path is None:
        _fail(
            job,
            "The uploaded file is gone (deleted or erased). Upload it again.",
            now=now,
        )
        return
    mapping = job.mapping if isinstance(job.mapping, dict) else {}
    overrides = mapping.get("overrides", {})
    # The report's messages in the language of the person who uploaded it.
    language = mapping.get("language") or settings.LANGUAGE_CODE
    try:
        with translation.override(str(language)):
            import_leads_file(
                path,
                job_id=job.pk,
                now=now,
                source=job.source or None,
                mapping=dict(overrides) if isinstance(overrides, dict) else {},
            )
    except LeadqualError as error:
        _fail(job, error.message, now=now)
    end_upload(job)


def _fail(job: ImportJob, message: str, *, now: datetime) -> None:
    logger.info("Import job %s failed: the file was refused", job.pk)
    ImportJob.objects.filter(pk=job.pk).update(
        status="failed", finished_at=now, error=message
    )


def purge_upload_files(*, now: datetime) -> int:
    """Delete uploads past their time; returns how many were deleted.

    A file whose import ended (after the file was stored) goes
    ``LEADQUAL_IMPORT_FILE_RETENTION_HOURS`` after that end, and at least an
    hour after it, so a failed import's retries (within 7 minutes) still find
    their file; a file no import used, an upload never confirmed, once it is
    24 hours old; a file a running import reads stays. Safe to run twice.
    """
    folder = upload_dir()
    files = sorted(path for path in folder.iterdir() if path.is_file())
    digests = [path.stem for path in files if not path.name.endswith(_PARTIAL)]
    running = set(
        ImportJob.objects.filter(file_sha256__in=digests, status="running")
        .values_list("file_sha256", flat=True)
        .distinct()
    )
    ended = dict(
        ImportJob.objects.filter(file_sha256__in=digests, finished_at__isnull=False)
        .values("file_sha256")
        .annotate(last=Max("finished_at"))
        .values_list("file_sha256", "last")
    )
    kept = max(timedelta(hours=settings.IMPORT_FILE_RETENTION_HOURS), _RETRY_WINDOW)
    abandoned = timedelta(hours=ABANDONED_UPLOAD_HOURS)
    deleted = 0
    for path in files:
        if path.stem in running:
            continue
        stored_at = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
        finished_at = ended.get(path.stem)
        if finished_at is not None and finished_at >= stored_at:
            is_due = now - finished_at >= kept
        else:
            is_due = now - stored_at >= abandoned
        if is_due:
            path.unlink(missing_ok=True)
            deleted += 1
    if deleted:
        logger.info("Deleted %s uploaded import files past their time", deleted)
    return deleted
