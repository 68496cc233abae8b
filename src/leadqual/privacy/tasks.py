"""Background jobs of privacy, run by Huey (see docs/privacy.md)."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from leadqual.privacy.services import anonymise_inactive_leads

# Daily at 02:45 UTC (Huey keeps its clock in UTC): before requalification
# (03:15), so anonymised leads are not rescored first.
RETENTION_SCHEDULE = crontab(hour="2", minute="45")


@db_periodic_task(RETENTION_SCHEDULE, retries=3, retry_delay=300, retry_backoff=2)  # type: ignore[misc]
def anonymise_inactive_leads_task() -> None:
    """Anonymise leads without activity for LEADQUAL_RETENTION_MONTHS months.

    Safe to run twice, also at the same time: each lead is checked again
    under its row lock, and an anonymised lead is never picked again.
    """
    anonymise_inactive_leads(now=timezone.now(), months=settings.RETENTION_MONTHS)
