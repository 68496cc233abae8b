"""Background jobs of triage, run by Huey (see docs/background-work.md)."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from leadqual.triage.requalification import requalify_stale_leads

# Daily at 03:15 UTC (Huey keeps its clock in UTC): after midnight's traffic,
# before the sales team starts its day in Europe.
REQUALIFY_SCHEDULE = crontab(hour="3", minute="15")


@db_periodic_task(REQUALIFY_SCHEDULE, retries=3, retry_delay=300, retry_backoff=2)  # type: ignore[misc]
def requalify_leads() -> None:
    """Rescore leads whose score is older than LEADQUAL_REQUALIFY_AFTER_DAYS.

    Safe to run twice, also at the same time: the service claims its leads.
    A failure is retried after 5, 10 and 20 minutes.
    """
    requalify_stale_leads(now=timezone.now(), cycle_days=settings.REQUALIFY_AFTER_DAYS)
