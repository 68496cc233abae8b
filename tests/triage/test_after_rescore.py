"""Every way a score changes without an arrival ends in the after-rescore step.

Rescore, requalification, merge, undo of a merge and activating a new scoring
model: a lead whose band changes is triaged (owner, SLA task) and the change
is told to the CRM webhooks, exactly as for an arriving event.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import call_command

from leadqual.core.scoring import ScoreTrigger
from leadqual.core.sla import DUTCH_TIME
from leadqual.hygiene.merging import merge_leads, undo_merge
from leadqual.intake.pipeline import RawEvent, submit_events, submit_lead
from leadqual.integrations.models import WebhookDelivery, WebhookEndpoint
from leadqual.leads.accounts import rescore_account
from leadqual.leads.models import Company, Lead
from leadqual.scoring.models import BandChange, Score
from leadqual.scoring.services import default_model_source
from leadqual.triage.models import Task
from leadqual.triage.requalification import requalify_stale_leads
from tests.factories import EventFactory, make_user

pytestmark = pytest.mark.django_db

# A Monday morning, so the 24-hour SLA of a hot lead ends on Tuesday morning.
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=DUTCH_TIME)
DECISION_MAKER = {
    "sector": "software",
    "employees": "25",
    "budget_euros": "15000",
    "urgency": "immediate",
    "job_title": "Eigenaar",
    "company": "Bakker Software B.V.",
}


@pytest.fixture(autouse=True)
def seller() -> User:
    return make_user("sanne")


@pytest.fixture(autouse=True)
def crm() -> Iterator[WebhookEndpoint]:
    yield WebhookEndpoint.objects.create(name="CRM", url="https://crm.example.nl/hook")


def band_changes_told(lead: Lead) -> list[tuple[str | None, str]]:
    """The (previous, new) bands of the lead's lead.band_changed webhooks, in order."""
    deliveries = WebhookDelivery.objects.filter(
        lead_id=lead.pk, event_type="lead.band_changed"
    ).order_by("sequence")
    return [
        (delivery.payload["data"]["previous_band"], delivery.payload["data"]["band"])
        for delivery in deliveries
    ]


def assert_triaged_hot(lead: Lead, *, at: datetime, trigger: ScoreTrigger) -> None:
    lead.refresh_from_db()
    assert lead.band == "hot"
    latest = Score.objects.filter(lead=lead).latest("computed_at", "id")
    assert latest.trigger == trigger
    task = Task.objects.filter(lead=lead, done_at__isnull=True).earliest("due_at")
    assert task.owner is not None and task.owner.username == "sanne"
    assert task.due_at == at + timedelta(hours=24)
    assert band_changes_told(lead)[-1] == ("warm", "hot")
    assert not BandChange.objects.filter(lead=lead, handled_at__isnull=True).exists()


def warm_lead(email: str = "jan@bakker-software.nl") -> Lead:
    lead = submit_lead(email, DECISION_MAKER, now=MONDAY).lead
    assert lead.band == "warm"
    return lead


def test_rescore_triages_and_tells_a_band_change() -> None:
    lead = warm_lead()
    # Events stored without their lead being rescored (a restore, a bulk load).
    for kind in ("demo_request", "email_reply"):
        EventFactory.create(lead=lead, type=kind, occurred_at=MONDAY)
    at = MONDAY + timedelta(hours=1)

    with time_machine.travel(at, tick=False):
        call_command("rescore", stdout=StringIO())

    assert_triaged_hot(lead, at=at, trigger=ScoreTrigger.RESCORE)


def test_requalification_triages_and_tells_a_band_change() -> None:
    lead = warm_lead()
    submit_events(
        [
            RawEvent(lead.email, "demo_request", MONDAY.isoformat(), {}, "e-1"),
            RawEvent(lead.email, "email_reply", MONDAY.isoformat(), {}, "e-2"),
        ],
        now=MONDAY,
        source="api",
    )
    lead.refresh_from_db()
    assert lead.band == "hot"

    requalify_stale_leads(now=MONDAY + timedelta(days=40), cycle_days=30)

    lead.refresh_from_db()
    latest = Score.objects.filter(lead=lead).latest("computed_at", "id")
    assert latest.trigger == ScoreTrigger.REQUALIFY
    assert lead.band == "warm"
    assert band_changes_told(lead)[-1] == ("hot", "warm")


def test_a_merge_triages_and_tells_the_survivors_band_change(seller: User) -> None:
    survivor = warm_lead()
    duplicate = submit_lead("j.bakker@bakker-software.nl", {}, now=MONDAY).lead
    submit_events(
        [
            RawEvent(duplicate.email, "demo_request", MONDAY.isoformat(), {}, "d-1"),
            RawEvent(duplicate.email, "email_reply", MONDAY.isoformat(), {}, "d-2"),
        ],
        now=MONDAY,
        source="api",
    )
    at = MONDAY + timedelta(hours=2)

    merge_leads(survivor, duplicate, by=seller, now=at)

    assert_triaged_hot(survivor, at=at, trigger=ScoreTrigger.MERGE)


def test_undoing_a_merge_triages_and_tells_the_band_change(seller: User) -> None:
    survivor = warm_lead()
    duplicate = submit_lead("j.bakker@bakker-software.nl", {}, now=MONDAY).lead
    submit_events(
        [
            RawEvent(duplicate.email, "demo_request", MONDAY.isoformat(), {}, "d-1"),
            RawEvent(duplicate.email, "email_reply", MONDAY.isoformat(), {}, "d-2"),
        ],
        now=MONDAY,
        source="api",
    )
    merge = merge_leads(survivor, duplicate, by=seller, now=MONDAY).merge
    at = MONDAY + timedelta(hours=3)

    undo_merge(merge, by=seller, now=at)

    survivor.refresh_from_db()
    assert survivor.band == "warm"
    latest = Score.objects.filter(lead=survivor).latest("computed_at", "id")
    assert latest.trigger == ScoreTrigger.MERGE_UNDO
    assert band_changes_told(survivor)[-1] == ("hot", "warm")


def test_activating_a_new_model_triages_and_tells_the_band_changes(
    tmp_path: Path,
) -> None:
    lead = warm_lead()
    # The same model with lower thresholds: the warm lead (40) is hot.
    source = (
        default_model_source()
        .replace("warm = 40", "warm = 30")
        .replace("hot = 70", "hot = 40")
    )
    path = tmp_path / "model.toml"
    path.write_text(source, encoding="utf-8")
    at = MONDAY + timedelta(hours=4)

    with time_machine.travel(at, tick=False):
        call_command("load_scoring_model", str(path), stdout=StringIO())

    assert_triaged_hot(lead, at=at, trigger=ScoreTrigger.MODEL_ACTIVATED)


def test_rescore_rolls_the_account_up_with_the_new_score() -> None:
    lead = warm_lead()
    assert lead.company is not None
    before = Company.objects.get(pk=lead.company.pk).account_score
    for kind in ("demo_request", "email_reply"):
        EventFactory.create(lead=lead, type=kind, occurred_at=MONDAY)
    at = MONDAY + timedelta(hours=1)

    with time_machine.travel(at, tick=False):
        call_command("rescore", stdout=StringIO())

    company = Company.objects.get(pk=lead.company.pk)
    stored = company.account_score
    assert stored == rescore_account(company, now=at).score != before
