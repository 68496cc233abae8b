"""Leads are rescored on the cycle: silent leads cool down, band changes are triaged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from huey.contrib.djhuey import HUEY

from leadqual.core.bands import Band
from leadqual.core.scoring import ScoreTrigger
from leadqual.leads.models import Lead
from leadqual.scoring.models import BandChange, Score
from leadqual.scoring.services import (
    active_scoring_model,
    load_scoring_model,
    rescore_lead,
)
from leadqual.triage.jobs import requalify_leads
from leadqual.triage.models import Task
from leadqual.triage.requalification import (
    leads_to_requalify,
    requalify_stale_leads,
)
from leadqual.triage.services import rescore_and_triage
from tests.factories import EventFactory, LeadFactory, make_user

# A Friday at 03:15 UTC, when the daily job runs.
NOW = datetime(2026, 11, 27, 3, 15, tzinfo=UTC)
MONTH_AGO = NOW - timedelta(days=31)
pytestmark = pytest.mark.django_db


def hot_lead(when: datetime, *, status: str = "new") -> Lead:
    """A lead that asked for a demo and replied to a mail at ``when``, scored then."""
    lead = LeadFactory.create(
        budget_euros=50_000, urgency="immediate", job_title="Directeur", status=status
    )
    for kind in ("demo_request", "email_reply"):
        EventFactory.create(lead=lead, type=kind, occurred_at=when, received_at=when)
    assert score(lead, when) is Band.HOT
    return lead


def score(lead: Lead, when: datetime) -> Band:
    """Score the lead at ``when`` and triage it, as an arrival would."""
    rescored, _triaged = rescore_and_triage(
        [lead], now=when, trigger=ScoreTrigger.RESCORE
    )
    return rescored[lead.pk].band


def test_a_lead_scored_31_days_ago_is_rescored_and_cools_down() -> None:
    make_user("sanne")
    lead = hot_lead(MONTH_AGO)
    before = lead.score_total
    assert before is not None

    result = requalify_stale_leads(now=NOW, cycle_days=30)

    lead.refresh_from_db()
    latest = Score.objects.filter(lead=lead).latest("computed_at")
    assert result.checked == 1 and result.changed == 1
    assert latest.trigger == ScoreTrigger.REQUALIFY and latest.computed_at == NOW
    assert lead.score_total is not None and lead.score_total < before
    assert lead.scored_at == NOW


def test_a_hot_lead_that_cooled_to_warm_is_triaged_and_keeps_its_task() -> None:
    seller = make_user("sanne")
    lead = hot_lead(MONTH_AGO)

    result = requalify_stale_leads(now=NOW, cycle_days=30)

    lead.refresh_from_db()
    task = Task.objects.get(lead=lead)
    assert lead.band == Band.WARM and result.triaged == 1
    assert task.done_at is None and task.owner == seller
    assert not BandChange.objects.filter(lead=lead, handled_at__isnull=True).exists()


def test_a_won_lead_is_not_requalified() -> None:
    lead = hot_lead(MONTH_AGO, status="won")

    result = requalify_stale_leads(now=NOW, cycle_days=30)

    lead.refresh_from_db()
    assert result.checked == 0
    assert lead.scored_at == MONTH_AGO
    assert Score.objects.filter(lead=lead).count() == 1


@pytest.mark.parametrize("status", ["opportunity", "lost"])
def test_leads_with_an_open_deal_or_a_loss_are_not_requalified(status: str) -> None:
    hot_lead(MONTH_AGO, status=status)
    assert requalify_stale_leads(now=NOW, cycle_days=30).checked == 0


def test_a_lead_scored_within_the_cycle_is_left_alone() -> None:
    lead = hot_lead(NOW - timedelta(days=10))
    assert requalify_stale_leads(now=NOW, cycle_days=30).checked == 0
    assert Score.objects.filter(lead=lead).count() == 1


def test_all_requalifies_recent_scores_too() -> None:
    hot_lead(NOW - timedelta(days=10))
    assert requalify_stale_leads(now=NOW, cycle_days=30, include_all=True).checked == 1


def test_a_lead_crossing_a_threshold_gets_an_owner_and_a_task() -> None:
    """A new model version lowers the warm threshold: the cycle brings it into triage."""
    seller = make_user("sanne")
    lead = LeadFactory.create(budget_euros=None, urgency="", employees=3)
    assert score(lead, MONTH_AGO) is Band.COLD
    assert not Task.objects.filter(lead=lead).exists()
    active = active_scoring_model()
    load_scoring_model(
        active.source.replace("warm = 40", "warm = 5"), activate=True, now=MONTH_AGO
    )

    result = requalify_stale_leads(now=NOW, cycle_days=30)

    lead.refresh_from_db()
    task = Task.objects.get(lead=lead)
    assert result.triaged == 1 and lead.band == Band.WARM
    assert task.owner == seller and task.done_at is None
    assert lead.owner == seller


def test_running_twice_triages_once() -> None:
    make_user("sanne")
    lead = hot_lead(MONTH_AGO)

    first = requalify_stale_leads(now=NOW, cycle_days=30)
    again = requalify_stale_leads(now=NOW + timedelta(minutes=5), cycle_days=30)

    assert first.triaged == 1 and again.checked == 0
    assert BandChange.objects.filter(lead=lead).count() == 2


def test_progress_is_reported_after_every_batch() -> None:
    for _ in range(3):
        hot_lead(MONTH_AGO)
    reports: list[tuple[int, int]] = []

    requalify_stale_leads(
        now=NOW,
        cycle_days=30,
        batch_size=2,
        on_progress=lambda done, total: reports.append((done, total)),
    )

    assert reports == [(2, 3), (3, 3)]


def test_the_daily_job_is_scheduled_at_quarter_past_three_utc() -> None:
    names = {task.name for task in HUEY.read_periodic(datetime(2026, 11, 27, 3, 15))}
    later = {task.name for task in HUEY.read_periodic(datetime(2026, 11, 27, 3, 16))}
    assert "requalify_leads" in names
    assert "requalify_leads" not in later


def test_the_daily_job_runs_at_once_in_the_tests() -> None:
    """Immediate mode: calling the task runs it inside the test."""
    assert HUEY.immediate
    lead = hot_lead(MONTH_AGO)

    with time_machine.travel(NOW, tick=False):
        requalify_leads()

    lead.refresh_from_db()
    assert lead.scored_at == NOW


def test_requalify_command_reports_what_it_did() -> None:
    hot_lead(MONTH_AGO)
    hot_lead(NOW - timedelta(days=1))
    out = StringIO()

    with time_machine.travel(NOW, tick=False):
        call_command("requalify", stdout=out, stderr=StringIO())

    assert out.getvalue().startswith("Requalified 1 leads: 1 scores changed, ")


def test_requalify_all_command_includes_recent_scores() -> None:
    hot_lead(NOW - timedelta(days=1))
    out = StringIO()

    with time_machine.travel(NOW, tick=False):
        call_command("requalify", "--all", stdout=out, stderr=StringIO())

    assert out.getvalue().startswith("Requalified 1 leads: ")


def test_a_lead_whose_score_did_not_change_is_not_due_again_the_next_day() -> None:
    """A stable score keeps its scored_at; requalification remembers it looked."""
    lead = LeadFactory.create()  # fit only: nothing fades, the score stays the same
    rescore_lead(lead, now=MONTH_AGO, trigger=ScoreTrigger.RESCORE)

    first = requalify_stale_leads(now=NOW, cycle_days=30)
    next_day = requalify_stale_leads(now=NOW + timedelta(days=1), cycle_days=30)

    lead.refresh_from_db()
    assert (first.checked, first.changed) == (1, 0)
    assert next_day.checked == 0
    assert lead.scored_at == MONTH_AGO and lead.requalified_at == NOW


def test_a_band_change_found_by_requalification_reaches_the_crm_webhooks() -> None:
    """Requalification goes through the same band-change path as an arrival."""
    from leadqual.integrations.models import WebhookDelivery, WebhookEndpoint

    make_user("sanne")
    lead = hot_lead(MONTH_AGO)
    WebhookEndpoint.objects.create(name="CRM", url="https://example.nl/hook")

    requalify_stale_leads(now=NOW, cycle_days=30)

    assert WebhookDelivery.objects.filter(
        lead_id=lead.pk, event_type="lead.band_changed"
    ).exists()


def test_a_score_exactly_one_cycle_old_waits_for_the_next_run() -> None:
    lead = LeadFactory.create(scored_at=NOW - timedelta(days=30))
    due = leads_to_requalify(now=NOW, cycle_days=30)
    assert not due.filter(pk=lead.pk).exists()


def test_a_longer_cycle_keeps_a_month_and_a_half_old_score() -> None:
    lead = LeadFactory.create(scored_at=NOW - timedelta(days=45))
    assert not leads_to_requalify(now=NOW, cycle_days=90).filter(pk=lead.pk).exists()
    assert leads_to_requalify(now=NOW, cycle_days=30).filter(pk=lead.pk).exists()


def test_a_lead_never_scored_is_due_at_once() -> None:
    lead = LeadFactory.create(scored_at=None)
    assert leads_to_requalify(now=NOW, cycle_days=30).filter(pk=lead.pk).exists()


def test_a_rejected_lead_is_still_due() -> None:
    lead = LeadFactory.create(status="rejected", scored_at=NOW - timedelta(days=31))
    assert leads_to_requalify(now=NOW, cycle_days=30).filter(pk=lead.pk).exists()


def test_an_erased_lead_is_never_due() -> None:
    lead = LeadFactory.create(
        scored_at=NOW - timedelta(days=31), anonymised_at=NOW - timedelta(days=1)
    )
    assert not leads_to_requalify(now=NOW, cycle_days=30).filter(pk=lead.pk).exists()
