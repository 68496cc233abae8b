"""Jobs of intake that run an import, and the hourly purge of upload files
(docs/background-work.md).

They sit above ``intake.tasks`` (jobs the pipeline queues after a commit):
an import runs the pipeline, so it cannot live beside the tasks the
pipeline imports.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task
from huey.signals import SIGNAL_INTERRUPTED

from leadqual.intake.uploads import purge_upload_files, run_uploaded_import

# Hourly, at 20 past: uploads past their retention, uploads never confirmed.
UPLOAD_PURGE_SCHEDULE = crontab(minute="20")


@db_task(retries=3, retry_delay=60, retry_backoff=2)  # type: ignore[misc]
def run_import_job(job_id: int) -> None:
    """Import the uploaded file of one ImportJob (by id), batch by batch.

    Safe to run twice, and resumable: a done job is left alone, an
    interrupted one goes on after its last committed batch (``rows_done``),
    so a retry after 1, 2 or 4 minutes never writes a row twice. A file
    leadqual refuses ends the job as failed, without retries.
    """
    run_uploaded_import(job_id, now=timezone.now())


def queue_interrupted_import(signal_name: str, task: Any) -> None:
    """Queue an import again when the worker stopped in the middle of it.

    ``leadqual serve`` and ``leadqual worker`` wait 20 seconds for running
    jobs when they stop; an import still running then is queued again, so
    the next start resumes it after its last committed batch.
    """
    if isinstance(task, run_import_job.task_class):
        run_import_job(*task.args)


HUEY.signal(SIGNAL_INTERRUPTED)(queue_interrupted_import)


@db_periodic_task(UPLOAD_PURGE_SCHEDULE, retries=2, retry_delay=300)  # type: ignore[misc]
def purge_upload_files_task() -> None:
    """Hourly: delete uploaded import files past their time (intake.uploads).

    Safe to run twice: a second run finds nothing left to delete.
    """
    purge_upload_files(now=timezone.now())
