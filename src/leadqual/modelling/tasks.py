"""Background jobs of the predictive model, run by Huey (docs/predictive-in-app.md)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from leadqual.modelling.alerts import tell_admins
from leadqual.modelling.services import (
    monitor_model,
    refresh_predictions,
    train_version,
)
from leadqual.schedules import WeeklyAtLocalTime

# Daily at 03:45 UTC, after requalification (03:15): events of the day are in.
REFRESH_SCHEDULE = crontab(hour="3", minute="45")
# Mondays at 06:00 local time, an hour before the weekly report (07:00), in
# winter and summer alike.
MONITORING_SCHEDULE = WeeklyAtLocalTime(weekday=0, hour=6)


@db_task(retries=0)  # type: ignore[misc]
def train_model_task(version_id: int) -> None:
    """Train the version started from the page or the command line.

    Safe to run twice: a version already trained is left alone. Not retried:
    a failure is stored on the version for the page to show.
    """
    train_version(version_id, now=timezone.now())


@db_task(retries=3, retry_delay=300, retry_backoff=2)  # type: ignore[misc]
def refresh_predictions_task() -> None:
    """Predict every open lead with the approved model (or clear the chances
    when none is approved) and rescore those whose chance changed. Safe to
    run twice: a second run finds nothing changed."""
    refresh_predictions(now=timezone.now())


@db_periodic_task(REFRESH_SCHEDULE, retries=3, retry_delay=300, retry_backoff=2)  # type: ignore[misc]
def refresh_predictions_daily() -> None:
    """Every night: open leads' chances follow the events of the day."""
    refresh_predictions(now=timezone.now())


@db_task(retries=3, retry_delay=600, retry_backoff=2)  # type: ignore[misc]
def tell_admins_task(run_id: int) -> None:
    """Mail the admins about a monitoring run that needs attention, once."""
    tell_admins(run_id, now=timezone.now())


@db_periodic_task(MONITORING_SCHEDULE, retries=2, retry_delay=600)  # type: ignore[misc]
def monitor_model_weekly() -> None:
    """Weekly drift and bias check of the model in use; the admins are told
    when it needs attention. Safe to run twice: the week's run is replaced
    and its alert sent once."""
    run = monitor_model(now=timezone.now())
    if run is not None and run.needs_attention:
        transaction.on_commit(lambda: tell_admins_task(run.pk))
