"""Background jobs of intake, run by Huey (see docs/background-work.md)."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from leadqual.intake.confirmation_mail import (
    deliver_confirmation_mail,
    purge_expired_submissions,
)
from leadqual.intake.enrichment import enrich_over_http

# Daily at 02:30 UTC (Huey keeps its clock in UTC), before retention at 02:45.
PURGE_SCHEDULE = crontab(hour="2", minute="30")


@db_task(retries=3, retry_delay=60, retry_backoff=2)  # type: ignore[misc]
def enrich_leads_over_http(lead_ids: list[int]) -> None:
    """Enrich arrived leads from the HTTP enrichment API, then rescore them.

    Takes lead ids only. Safe to run twice: filled fields are not filled
    again. A failure is retried after 1, 2 and 4 minutes.
    """
    enrich_over_http(lead_ids, now=timezone.now())


@db_task(retries=4, retry_delay=60, retry_backoff=2)  # type: ignore[misc]
def send_confirmation_mail_task(submission_id: int) -> None:
    """Mail the confirmation link of one pending form submission (by id), once.

    Safe to run twice: the service claims the row, so a second run of a sent
    mail does nothing. A failed try raises, and is retried after 1, 2, 4 and
    8 minutes; after that the submission stays pending without a mail.
    """
    deliver_confirmation_mail(submission_id, now=timezone.now())


@db_periodic_task(PURGE_SCHEDULE, retries=3, retry_delay=300, retry_backoff=2)  # type: ignore[misc]
def purge_expired_submissions_task() -> None:
    """Daily: delete pending form submissions whose link expired 30 days ago.

    Safe to run twice: a second run finds nothing left to delete.
    """
    purge_expired_submissions(now=timezone.now())
