"""``leadqual worker``: run background jobs in a process of their own.

Needed with Redis (REDIS_URL), where `leadqual serve` runs no jobs; with
SQLite it adds workers beside the one inside `leadqual serve`. SIGTERM (as
sent by systemd and Docker) lets running jobs finish first, for at most 20
seconds; SIGINT (Ctrl+C) stops at once; SIGHUP restarts the worker.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from huey.contrib.djhuey import HUEY

from leadqual.config.background import (
    SHUTDOWN_TIMEOUT_SECONDS,
    default_worker_threads,
    load_tasks,
    queue_description,
)


class Command(BaseCommand):
    help = (
        "Run leadqual's background jobs (alerts, webhooks, requalification) in "
        "this process, as a separate worker."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--workers",
            default=None,
            help="jobs run at once, each in a thread (default LEADQUAL_WORKER_THREADS, 2)",
        )
        parser.add_argument(
            "--no-periodic",
            action="store_true",
            help=(
                "do not start the daily jobs here; use it on all but one worker "
                "when several share a Redis queue"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        raw = options["workers"]
        workers = default_worker_threads() if raw is None else _workers(raw)
        if HUEY.immediate:
            raise CommandError(
                "LEADQUAL_TASKS_IMMEDIATE is true, so jobs run inside the requests "
                "that start them and a worker has nothing to do. Set it to false."
            )
        periodic = not options["no_periodic"]
        load_tasks()
        consumer = HUEY.create_consumer(
            workers=workers,
            worker_type="thread",
            periodic=periodic,
            shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS,
            graceful_signal="TERM",
        )
        daily = "with" if periodic else "without"
        self.stdout.write(
            f"leadqual worker is running {workers} worker threads on "
            f"{queue_description()}, {daily} the daily jobs."
        )
        self.stdout.flush()
        consumer.run()


def _workers(raw: object) -> int:
    try:
        number = int(str(raw))
    except ValueError:
        number = 0
    if not 1 <= number <= 100:
        raise CommandError(
            f'--workers must be a whole number from 1 to 100, got "{raw}".'
        )
    return number
