"""Background jobs of intake, run by Huey (see docs/background-work.md)."""

from __future__ import annotations

from django.utils import timezone
from huey.contrib.djhuey import db_task

from leadqual.intake.enrichment import enrich_over_http


@db_task(retries=3, retry_delay=60, retry_backoff=2)  # type: ignore[misc]
def enrich_leads_over_http(lead_ids: list[int]) -> None:
    """Enrich arrived leads from the HTTP enrichment API, then rescore them.

    Takes lead ids only. Safe to run twice: filled fields are not filled
    again. A failure is retried after 1, 2 and 4 minutes.
    """
    enrich_over_http(lead_ids, now=timezone.now())
