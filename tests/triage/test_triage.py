"""A lead crossing into warm or hot gets an owner and an SLA task; cooling closes it."""

from __future__ import annotations

from datetime import datetime

import pytest

from leadqual.core.sla import DUTCH_TIME
from leadqual.intake.pipeline import RawEvent, submit_events, submit_lead
from leadqual.leads.models import Lead
from leadqual.scoring.models import BandChange
from leadqual.triage.models import Task
from leadqual.users.models import OwnerProfile
from tests.factories import make_user

# Thursday 26 November 2026, 16:00 in Utrecht.
THURSDAY = datetime(2026, 11, 26, 16, 0, tzinfo=DUTCH_TIME)
pytestmark = pytest.mark.django_db

WARM_FIELDS = {
    "sector": "software",
    "employees": "25",
    "budget_euros": "15000",
    "urgency": "immediate",
}


def _make_hot(email: str, when: datetime) -> None:
    submit_events(
        [
            RawEvent(email, "demo_request", when.isoformat(), {}, f"{email}-demo"),
            RawEvent(email, "email_reply", when.isoformat(), {}, f"{email}-reply"),
        ],
        now=when,
        source="api",
    )


def test_a_warm_lead_gets_an_owner_and_a_task_due_in_three_working_days() -> None:
    seller = make_user("sanne")
    arrival = submit_lead("kees@bouwbedrijf.nl", WARM_FIELDS, now=THURSDAY)
    assert arrival.rescored.band == "warm"
    task = Task.objects.get(lead=arrival.lead)
    assert task.owner == seller and task.kind == "first_contact"
    assert task.due_at == datetime(2026, 12, 1, 16, 0, tzinfo=DUTCH_TIME)  # Thu -> Tue
    assert (
        BandChange.objects.filter(lead=arrival.lead, handled_at__isnull=True).count()
        == 0
    )


def test_a_lead_turning_hot_has_its_task_brought_forward_to_24_hours() -> None:
    make_user("sanne")
    arrival = submit_lead("kees@bouwbedrijf.nl", WARM_FIELDS, now=THURSDAY)
    _make_hot(arrival.lead.email, THURSDAY)
    task = Task.objects.get(lead=arrival.lead)
    assert task.due_at == datetime(2026, 11, 27, 16, 0, tzinfo=DUTCH_TIME)


def test_leads_are_shared_in_turn_between_two_sellers() -> None:
    make_user("sanne")
    make_user("daan")
    for number in range(4):
        submit_lead(f"lead{number}@bouwbedrijf.nl", WARM_FIELDS, now=THURSDAY)
    owners = list(Lead.objects.order_by("id").values_list("owner__username", flat=True))
    assert sorted(owners) == ["daan", "daan", "sanne", "sanne"]
    assert owners[0] != owners[1]


def test_a_seller_marked_away_gets_no_new_leads() -> None:
    away = make_user("sanne")
    OwnerProfile.objects.create(user=away, is_away=True)
    present = make_user("daan")
    arrival = submit_lead("kees@bouwbedrijf.nl", WARM_FIELDS, now=THURSDAY)
    assert arrival.lead.owner == present


def test_without_sellers_the_task_waits_unassigned() -> None:
    arrival = submit_lead("kees@bouwbedrijf.nl", WARM_FIELDS, now=THURSDAY)
    task = Task.objects.get(lead=arrival.lead)
    assert task.owner is None and arrival.lead.owner is None


def test_a_lead_that_cools_down_keeps_its_history_and_its_task_is_closed() -> None:
    make_user("sanne")
    arrival = submit_lead("kees@bouwbedrijf.nl", WARM_FIELDS, now=THURSDAY)
    submit_lead(
        "kees@bouwbedrijf.nl",
        {"budget_euros": "", "urgency": "exploring"},
        now=THURSDAY,
    )
    task = Task.objects.get(lead=arrival.lead)
    assert task.done_at == THURSDAY and task.closed_reason == "cooled down to cold"
    assert arrival.lead.scores.count() == 2


def test_a_cold_lead_gets_no_task() -> None:
    make_user("sanne")
    arrival = submit_lead("student@gmail.com", {"job_title": "student"}, now=THURSDAY)
    assert arrival.rescored.band == "cold"
    assert not Task.objects.filter(lead=arrival.lead).exists()
