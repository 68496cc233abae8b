"""The Huey consumer that runs background jobs, in `leadqual serve` or `leadqual worker`.

Import this module only once Django is set up: Huey's Django integration
builds its queue from ``settings.HUEY`` on import.
"""

from __future__ import annotations

import logging
import signal
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.module_loading import autodiscover_modules
from huey.contrib.djhuey import HUEY
from huey.signals import SIGNAL_ERROR

logger = logging.getLogger(__name__)

# How long a stopping worker waits for running jobs to finish.
SHUTDOWN_TIMEOUT_SECONDS = 20.0


def load_tasks() -> None:
    """Import every app's ``tasks`` module, so the worker knows every task."""
    autodiscover_modules("tasks")


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
    """Log a failed try; after the last one, log it as failed for good.

    Huey has already logged the traceback. ``task.retries`` counts the tries
    left before this failure is taken off. TODO(#5): keep failed-for-good
    jobs in a dead-letter list that admins can see and retry.
    """
    if task.retries:
        logger.warning(
            "Task %s (%s) failed, %s tries left: %r",
            task.id,
            task.name,
            task.retries,
            exception,
        )
    else:
        logger.error(
            "Task %s (%s) failed after its last try: %r",
            task.id,
            task.name,
            exception,
        )


HUEY.signal(SIGNAL_ERROR)(log_task_failure)


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
