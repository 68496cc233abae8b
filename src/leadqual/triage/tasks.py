"""Jobs of triage that send one thing, queued after a commit (docs/background-work.md).

They call only code that queues nothing, so the modules that queue them
(``triage.alerts``) can import them. The jobs on a clock, and the ones that
rescore leads, are in ``triage.jobs``.
"""

from __future__ import annotations

from django.utils import timezone
from huey.contrib.djhuey import db_task

from leadqual.triage.alert_delivery import MAX_ATTEMPTS, deliver_alert


@db_task(retries=MAX_ATTEMPTS - 1, retry_delay=60, retry_backoff=2)  # type: ignore[misc]
def send_alert_task(alert_id: int) -> None:
    """Send one alert (by id), at most once.

    Safe to run twice: the service claims the row, so a second run of a sent
    alert does nothing. A failed try raises, and is retried after 1, 2, 4 and
    8 minutes; after that the alert stays failed with its last error.
    """
    deliver_alert(alert_id, now=timezone.now())
