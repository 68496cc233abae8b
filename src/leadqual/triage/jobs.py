"""Jobs of triage on a clock, and jobs that rescore leads (docs/background-work.md).

Requalification (daily, and after a new scoring model is activated) and the
SLA check (every 15 minutes) run services that queue alerts; they sit above
``triage.tasks``, the jobs that send one alert.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from leadqual.core.scoring import ScoreTrigger
from leadqual.schedules import WeeklyAtLocalTime
from leadqual.triage.alerts import check_sla_deadlines
from leadqual.triage.optimiser import (
    DEFAULT_WEEKS,
    proposes_a_change,
    run_optimiser,
    store_proposal,
    store_weekly_proposal,
)
from leadqual.triage.requalification import requalify_stale_leads

# Daily at 03:15 UTC (Huey keeps its clock in UTC): after midnight's traffic,
# before the sales team starts its day in Europe.
REQUALIFY_SCHEDULE = crontab(hour="3", minute="15")
# SLA reminders and escalations go out at most 15 minutes late.
SLA_CHECK_SCHEDULE = crontab(minute="*/15")
# Mondays at 05:00 local time: the week's proposal is stored two hours before
# the weekly report (07:00) links to it.
WEEKLY_PROPOSAL_SCHEDULE = WeeklyAtLocalTime(weekday=0, hour=5)


@db_periodic_task(REQUALIFY_SCHEDULE, retries=3, retry_delay=300, retry_backoff=2)  # type: ignore[misc]
def requalify_leads() -> None:
    """Rescore leads whose score is older than LEADQUAL_REQUALIFY_AFTER_DAYS.

    Safe to run twice, also at the same time: the service claims its leads.
    A failure is retried after 5, 10 and 20 minutes.
    """
    requalify_stale_leads(now=timezone.now(), cycle_days=settings.REQUALIFY_AFTER_DAYS)


@db_task(retries=3, retry_delay=300, retry_backoff=2)  # type: ignore[misc]
def requalify_all_leads() -> None:
    """Rescore every lead under the active model, e.g. right after it changed.

    Band changes are triaged as on any arrival. Safe to run twice.
    """
    requalify_stale_leads(
        now=timezone.now(),
        cycle_days=settings.REQUALIFY_AFTER_DAYS,
        include_all=True,
        trigger=ScoreTrigger.MODEL_ACTIVATED,
    )


@db_task(retries=1, retry_delay=300)  # type: ignore[misc]
def propose_scoring_model(
    weeks: int = DEFAULT_WEEKS, capacity_per_week: int | None = None
) -> None:
    """Run the optimiser on the outcomes so far (as `leadqual optimise --weeks
    N --capacity N` does; no capacity: the team's) and store its proposal as
    a draft for review, unless it changes nothing.

    Safe to run twice: a second run stores a second draft to review, never
    an active version.
    """
    now = timezone.now()
    run = run_optimiser(now=now, weeks=weeks, capacity_per_week=capacity_per_week)
    if proposes_a_change(run):
        store_proposal(run, now=now)


@db_periodic_task(WEEKLY_PROPOSAL_SCHEDULE, retries=2, retry_delay=900)  # type: ignore[misc]
def propose_scoring_model_weekly() -> None:
    """Every Monday: run the optimiser on the outcomes so far (the last
    DEFAULT_WEEKS weeks replayed, the team's capacity) and store its proposal
    as this week's draft for review, unless it changes nothing.

    Safe to run twice, also at the same time: a week stores one draft. A
    failure is retried after 15 and 30 minutes, still before the report.
    """
    store_weekly_proposal(now=timezone.now())


@db_periodic_task(SLA_CHECK_SCHEDULE, retries=2, retry_delay=60)  # type: ignore[misc]
def check_sla_deadlines_task() -> None:
    """Every 15 minutes: SLA reminders to owners and escalations once overdue.

    Safe to run twice: each reminder and escalation is created once.
    """
    check_sla_deadlines(now=timezone.now())
