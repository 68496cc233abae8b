"""Background jobs of integrations, run by Huey (see docs/crm-sync.md)."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from leadqual.integrations.delivery import deliver, deliver_due


@db_task()  # type: ignore[misc]
def deliver_webhooks(delivery_id: int) -> None:
    """Send a delivery (and its lead's earlier due ones) right after the commit.

    Safe to run twice: each delivery is claimed before it is sent. A failed
    attempt is not a task failure: the delivery row keeps its own retry
    schedule, which ``deliver_due_webhooks`` picks up.
    """
    deliver(delivery_id, now=timezone.now())


@db_periodic_task(crontab(minute="*"))  # type: ignore[misc]
def deliver_due_webhooks() -> None:
    """Every minute: send deliveries whose retry is due, per lead in order."""
    deliver_due(now=timezone.now())
