"""Background jobs: the Huey consumer, and the dead-letter list of failed jobs.

The consumer runs in `leadqual serve` or `leadqual worker`. Huey's signals
keep a job that failed its last try as a ``FailedJob``, which admins retry
with ``retry_failed_job``. The config app imports this module when Django is
ready, so the signals are connected in every process, also with immediate
mode. Import it only once Django is set up: Huey's Django integration builds
its queue from ``settings.HUEY`` on import.
"""

from __future__ import annotations

import logging
import signal
import traceback
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _
from huey.contrib.djhuey import HUEY
from huey.exceptions import HueyException
from huey.signals import SIGNAL_COMPLETE, SIGNAL_ERROR

from leadqual.config.models import ERROR_MAX_LENGTH, TRACEBACK_MAX_LENGTH, FailedJob

logger = logging.getLogger(__name__)

# How long a stopping worker waits for running jobs to finish.
SHUTDOWN_TIMEOUT_SECONDS = 20.0
# Ids of tasks queued again from the dead-letter list start with this, so the
# completion signal looks them up and leaves every other task alone.
RETRY_TASK_ID_PREFIX = "retry-"


def load_tasks() -> None:
    """Import every app's ``tasks`` and ``jobs`` modules, so the worker knows
    every task: ``tasks`` send one thing after a commit, ``jobs`` run on a
    clock or run a service over many leads."""
    autodiscover_modules("tasks", "jobs")


def uses_sqlite_queue() -> bool:
    """True when jobs wait in SQLite (no REDIS_URL)."""
    return settings.REDIS_URL is None


def queue_description() -> str:
    """Where jobs wait, for one line of output; never shows a password."""
    if settings.REDIS_URL is None:
        return f"the SQLite queue at {settings.HUEY['connection']['filename']}"
    parts = urlsplit(settings.REDIS_URL)
    port = f":{parts.port}" if parts.port else ""
    return f"the Redis queue at {parts.hostname}{port}"


def default_worker_threads() -> int:
    """Worker threads per consumer, from ``settings.HUEY["consumer"]``."""
    return int(settings.HUEY["consumer"]["workers"])


def log_task_failure(
    signal_name: str, task: Any, exception: BaseException | None = None
) -> None:
    """Log a failed try; after the last one, keep the job in the dead-letter list.

    Huey has already logged the traceback. ``task.retries`` counts the tries
    left before this failure is taken off. Never raises: Huey would only log
    it, and the worker must go on.
    """
    if task.retries:
        logger.warning(
            "Task %s (%s) failed, %s tries left: %r",
            task.id,
            task.name,
            task.retries,
            exception,
        )
        return
    logger.error(
        "Task %s (%s) failed after its last try: %r",
        task.id,
        task.name,
        exception,
    )
    keep_failed_job(task, exception)


def keep_failed_job(task: Any, exception: BaseException | None) -> None:
    """Store a job that failed its last try as a ``FailedJob``, in its own transaction.

    Tasks take ids and plain values, so the arguments carry no personal data.
    A job that cannot be stored is logged, never raised.
    """
    try:
        with transaction.atomic():
            FailedJob.objects.create(
                task_name=HUEY._registry.task_to_string(type(task)),
                task_id=str(task.id),
                args=list(task.args),
                kwargs=dict(task.kwargs),
                error=_describe_error(exception),
                traceback=_format_traceback(exception),
                attempts=int(getattr(type(task), "default_retries", 0)) + 1,
                failed_at=timezone.now(),
            )
    except Exception:
        logger.exception(
            "Task %s (%s) could not be kept in the dead-letter list",
            task.id,
            task.name,
        )
    finally:
        _close_worker_connections()


def resolve_retried_job(signal_name: str, task: Any) -> None:
    """Mark a dead-letter job resolved once its retry has run without an error.

    Only retries started from the dead-letter list have ids that start with
    ``RETRY_TASK_ID_PREFIX``; other tasks cost no query.
    """
    if not str(task.id).startswith(RETRY_TASK_ID_PREFIX):
        return
    try:
        FailedJob.objects.filter(retried_task_id=task.id, resolved=False).update(
            resolved=True
        )
    except Exception:
        logger.exception(
            "Retry %s (%s) could not be marked resolved", task.id, task.name
        )
    finally:
        _close_worker_connections()


def _close_worker_connections() -> None:
    """In a worker, close the database connection the way Huey's ``db_task`` does."""
    if not HUEY.immediate:
        close_old_connections()


def _describe_error(exception: BaseException | None) -> str:
    """The exception's type and message, cut to fit ``FailedJob.error``."""
    if exception is None:
        return "unknown error"
    text = f"{type(exception).__name__}: {exception}"
    if len(text) > ERROR_MAX_LENGTH:
        text = text[: ERROR_MAX_LENGTH - 1] + "\u2026"
    return text


def _format_traceback(exception: BaseException | None) -> str:
    """The traceback, its last ``TRACEBACK_MAX_LENGTH`` characters when longer."""
    if exception is None:
        return ""
    text = "".join(traceback.format_exception(exception))
    if len(text) > TRACEBACK_MAX_LENGTH:
        text = "\u2026" + text[-(TRACEBACK_MAX_LENGTH - 1) :]
    return text


HUEY.signal(SIGNAL_ERROR)(log_task_failure)
HUEY.signal(SIGNAL_COMPLETE)(resolve_retried_job)


class RetryRefusedError(Exception):
    """A dead-letter job that cannot be retried; the message says why."""


def retry_failed_job(job: FailedJob, *, now: datetime) -> str:
    """Queue a dead-letter job again: the same task with the same arguments.

    The retry gets the task's usual retries and backoff. A job is retried at
    most once: it is claimed with a conditional update first, so two admins
    clicking at once queue it once. A retry that fails its last try again
    comes back as a new ``FailedJob``. Returns the id of the new task.

    Raises ``RetryRefusedError`` when the job was retried already or its task
    no longer exists.
    """
    if job.retried_at is not None:
        raise RetryRefusedError(_already_retried(job.retried_task_id))
    load_tasks()
    try:
        task_class = HUEY._registry.string_to_task(job.task_name)
    except HueyException:
        raise RetryRefusedError(
            _(
                "The task %(task)s no longer exists in this version of leadqual, "
                "so this job cannot be retried."
            )
            % {"task": job.task_name}
        ) from None
    task_id = f"{RETRY_TASK_ID_PREFIX}{uuid.uuid4()}"
    claimed = FailedJob.objects.filter(pk=job.pk, retried_at__isnull=True).update(
        retried_at=now, retried_task_id=task_id
    )
    if not claimed:
        job.refresh_from_db()
        raise RetryRefusedError(_already_retried(job.retried_task_id))
    task = task_class(args=tuple(job.args), kwargs=dict(job.kwargs), id=task_id)
    try:
        HUEY.enqueue(task)
    except Exception:
        # The queue is unreachable: give the job back, so it can be retried.
        FailedJob.objects.filter(pk=job.pk, retried_task_id=task_id).update(
            retried_at=None, retried_task_id=""
        )
        raise
    logger.info("Dead-letter job %s queued again as task %s", job.pk, task_id)
    # With immediate mode the retry has run already, and may be resolved.
    job.refresh_from_db()
    return task_id


def _already_retried(retried_task_id: str) -> str:
    """The refusal of a second retry, naming the first retry's task id."""
    return _(
        "This job was retried already (as task %(task_id)s). If that retry "
        "failed too, it is in this list as a new job."
    ) % {"task_id": retried_task_id}


class InProcessWorker:
    """Huey's consumer on threads inside another process (`leadqual serve`).

    Huey's own run loop owns the process's signals; here the server owns
    them, so only the scheduler and worker threads run, and ``stop()`` ends
    them when the server stops.
    """

    def __init__(self, *, threads: int) -> None:
        self.threads = threads
        self.consumer = HUEY.create_consumer(
            workers=threads,
            worker_type="thread",
            periodic=True,
            shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS,
        )

    def start(self) -> None:
        """Start the scheduler and the worker threads."""
        handled = [signal.SIGINT, signal.SIGTERM]
        if hasattr(signal, "SIGHUP"):  # not on Windows
            handled.append(signal.SIGHUP)
        previous = {number: signal.getsignal(number) for number in handled}
        self.consumer.start()
        # Consumer.start() installs handlers for its own run loop, which
        # does not run here: give the signals back to the server.
        for number, handler in previous.items():
            signal.signal(number, handler)
        logger.info(
            "In-process worker started: %s threads on %s",
            self.threads,
            queue_description(),
        )

    def stop(self) -> None:
        """Stop taking jobs and wait for running ones (at most 20 seconds)."""
        self.consumer.stop(graceful=True)
        HUEY.notify_interrupted_tasks()
        logger.info("In-process worker stopped")


def in_process_worker() -> tuple[InProcessWorker | None, str]:
    """The worker `leadqual serve` should run, if any, and one line saying what runs."""
    if HUEY.immediate:
        return None, (
            "Background jobs run at once inside each request "
            "(LEADQUAL_TASKS_IMMEDIATE is true)."
        )
    if not uses_sqlite_queue():
        return None, (
            f"Background jobs wait in {queue_description()}: "
            "run `leadqual worker` for background jobs."
        )
    if not settings.WORKER_IN_PROCESS:
        return None, (
            f"Background jobs wait in {queue_description()} "
            "(LEADQUAL_WORKER_IN_PROCESS is false): "
            "run `leadqual worker` for background jobs."
        )
    threads = default_worker_threads()
    return InProcessWorker(threads=threads), (
        f"Background jobs run in this process: {threads} worker threads "
        f"on {queue_description()}."
    )
