"""The optimiser runs by itself every Monday, and a week stores one proposal.

The article's step 6 is "optimise weekly": every Monday at 05:00 local time
the optimiser runs on the outcomes so far and stores its proposal as a draft,
two hours before the weekly report links to it. Running the job again (a
retry, a second worker) stores nothing more that week.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction
from huey.contrib.djhuey import HUEY

from leadqual.config.background import load_tasks
from leadqual.insights.report import weekly_report, weekly_report_email
from leadqual.scoring.models import ScoringModelVersion
from leadqual.scoring.queries import newest_open_draft
from leadqual.scoring.services import default_model_source, store_draft_scoring_model
from leadqual.triage.jobs import propose_scoring_model_weekly
from leadqual.triage.optimiser import store_weekly_proposal
from leadqual.users.models import OwnerProfile
from leadqual.users.roles import Role
from tests.factories import make_user
from tests.model_drafts import history_with_outcomes

# Monday 30 November 2026, 05:00 in Amsterdam (04:00 UTC): the job's minute.
MONDAY = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
WEEK = date(2026, 11, 30)
pytestmark = pytest.mark.django_db


def _history() -> None:
    """Twenty weeks of outcomes, and one salesperson who can take three new
    leads a week: the proposal fits the hot threshold to that capacity."""
    history_with_outcomes(MONDAY)
    OwnerProfile.objects.update_or_create(
        user=make_user("sanne", role=Role.SALES), defaults={"capacity": 3}
    )


def _weekly_drafts() -> list[ScoringModelVersion]:
    return list(ScoringModelVersion.objects.exclude(week_of=None).order_by("version"))


def _scheduled(utc_minute: datetime) -> set[str]:
    """The periodic jobs Huey starts at this minute (naive UTC, as Huey passes it)."""
    load_tasks()
    return {task.name for task in HUEY.read_periodic(utc_minute)}


def test_the_proposal_runs_on_monday_at_five_local_time_before_the_report() -> None:
    # Winter: 05:00 in Amsterdam is 04:00 UTC, the report follows at 06:00 UTC.
    assert "propose_scoring_model_weekly" in _scheduled(datetime(2026, 11, 30, 4, 0))
    assert "send_weekly_report_task" in _scheduled(datetime(2026, 11, 30, 6, 0))
    # Summer: 03:00 UTC, the report at 05:00 UTC.
    assert "propose_scoring_model_weekly" in _scheduled(datetime(2026, 6, 1, 3, 0))
    assert "send_weekly_report_task" in _scheduled(datetime(2026, 6, 1, 5, 0))
    for other in (
        datetime(2026, 11, 30, 5, 0),
        datetime(2026, 11, 30, 4, 1),
        datetime(2026, 12, 1, 4, 0),
        datetime(2026, 6, 1, 4, 0),
    ):
        assert "propose_scoring_model_weekly" not in _scheduled(other)


def test_the_model_check_runs_on_monday_an_hour_before_the_report() -> None:
    assert "monitor_model_weekly" in _scheduled(datetime(2026, 11, 30, 5, 0))
    assert "monitor_model_weekly" in _scheduled(datetime(2026, 6, 1, 4, 0))
    assert "monitor_model_weekly" not in _scheduled(datetime(2026, 6, 1, 5, 30))
    assert "monitor_model_weekly" not in _scheduled(datetime(2026, 12, 1, 5, 0))


def test_the_monday_job_stores_the_weeks_proposal_for_review() -> None:
    _history()

    with time_machine.travel(MONDAY, tick=False):
        propose_scoring_model_weekly()

    [draft] = _weekly_drafts()
    assert draft.is_draft
    assert not draft.is_active
    assert draft.week_of == WEEK
    assert draft.created_at == MONDAY
    assert draft.proposal["examples"] > 0
    assert newest_open_draft() == draft


def test_running_again_in_the_same_week_stores_nothing_more() -> None:
    _history()
    first = store_weekly_proposal(now=MONDAY)

    again = store_weekly_proposal(now=MONDAY + timedelta(hours=3))
    on_sunday = store_weekly_proposal(now=MONDAY + timedelta(days=6, hours=18))

    assert first is not None
    assert again is None
    assert on_sunday is None
    assert _weekly_drafts() == [first]


def test_next_monday_stores_next_weeks_proposal() -> None:
    _history()
    first = store_weekly_proposal(now=MONDAY)

    second = store_weekly_proposal(now=MONDAY + timedelta(weeks=1))

    assert first is not None and second is not None
    assert second.version == first.version + 1
    assert second.week_of == WEEK + timedelta(weeks=1)
    assert newest_open_draft() == second


def test_without_outcomes_no_proposal_is_stored() -> None:
    assert store_weekly_proposal(now=MONDAY) is None
    assert not ScoringModelVersion.objects.filter(is_draft=True).exists()


def test_a_second_store_of_the_same_week_returns_the_first() -> None:
    """Two workers that both ran the optimiser: the one that stores second
    gets the week's draft back instead of a second draft."""
    first = store_draft_scoring_model(
        default_model_source(), {}, now=MONDAY, week_of=WEEK
    )
    second = store_draft_scoring_model(
        default_model_source(), {}, now=MONDAY, week_of=WEEK
    )

    assert second == first
    assert ScoringModelVersion.objects.filter(is_draft=True).count() == 1


def test_the_database_refuses_two_proposals_for_one_week() -> None:
    first = store_draft_scoring_model(
        default_model_source(), {}, now=MONDAY, week_of=WEEK
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        ScoringModelVersion.objects.create(
            version=first.version + 1,
            name="copy",
            source=first.source,
            is_draft=True,
            week_of=WEEK,
        )


def test_the_weekly_report_links_to_the_mondays_proposal() -> None:
    _history()
    reader = make_user("mirjam", role=Role.MARKETING)
    OwnerProfile.objects.update_or_create(user=reader, defaults={"language": "en"})
    draft = store_weekly_proposal(now=MONDAY)
    assert draft is not None

    mail = weekly_report_email(
        weekly_report(week_start=WEEK - timedelta(weeks=1), now=MONDAY), reader
    )

    assert f"/scoring-model/v{draft.version}/" in mail.text
