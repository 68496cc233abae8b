"""Background jobs of insights, run by Huey (see docs/kpis.md)."""

from __future__ import annotations

import logging

from django.utils import timezone
from huey.contrib.djhuey import db_periodic_task

from leadqual.insights.report import EmailNotConfigured, send_weekly_report
from leadqual.schedules import WeeklyAtLocalTime

logger = logging.getLogger(__name__)


# Mondays at 07:00 local time (Europe/Amsterdam by default: 06:00 UTC in
# winter, 05:00 UTC in summer), so the report is in before the week starts.
WEEKLY_REPORT_SCHEDULE = WeeklyAtLocalTime(weekday=0, hour=7)


@db_periodic_task(WEEKLY_REPORT_SCHEDULE, retries=3, retry_delay=600, retry_backoff=2)  # type: ignore[misc]
def send_weekly_report_task() -> None:
    """Mail last week's KPIs to every marketing and admin user, once each.

    Safe to run twice: a recipient who has the report gets nothing more. A
    failed mail is retried after 10, 20 and 40 minutes, sending only to the
    recipients who did not get it yet. Without LEADQUAL_EMAIL_URL nothing is
    sent and nothing is retried.
    """
    try:
        send_weekly_report(now=timezone.now())
    except EmailNotConfigured:
        logger.info("LEADQUAL_EMAIL_URL is not set: no weekly report sent")
