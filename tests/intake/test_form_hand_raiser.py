"""A hand-raiser on the public form is the hot lead the article calls within 24 hours."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from leadqual.core.bands import Band
from leadqual.core.sla import sla_due_at
from leadqual.leads.models import Lead
from leadqual.scoring.models import Score
from leadqual.triage.models import Task
from leadqual.triage.queries import today_queue
from tests.factories import LeadFactory, TaskFactory, make_user

pytestmark = pytest.mark.django_db

# A Tuesday morning in Amsterdam, no public holiday near.
NOW = datetime(2026, 11, 10, 9, 30, tzinfo=UTC)


def perfect_answers(**changes: str) -> dict[str, str]:
    data = {
        "first_name": "Eva",
        "last_name": "de Boer",
        "email": "eva@softwarehuis.nl",
        "company": "Softwarehuis B.V.",
        "phone": "+31 6 12345678",
        "sector": "software",
        "employees": "50-249",
        "budget": "gt-25000",
        "urgency": "immediate",
        "consent": "on",
        "website": "",
    }
    data.update(changes)
    return data


def test_a_perfect_form_submission_is_hot_in_the_owners_top_five_with_a_24h_sla() -> (
    None
):
    seller = make_user("sanne")
    # Other open work in the seller's queue: older warm tasks due later.
    for index in range(6):
        TaskFactory.create(
            lead=LeadFactory.create(email=f"warm{index}@example.nl", created_at=NOW),
            owner=seller,
            due_at=datetime(2026, 11, 12 + index % 2, 12, tzinfo=UTC),
            created_at=datetime(2026, 11, 9, 9, tzinfo=UTC),
        )

    with time_machine.travel(NOW, tick=False):
        response = Client().post("/form/", perfect_answers(), HTTP_ACCEPT_LANGUAGE="nl")

    assert response.status_code == 302
    lead = Lead.objects.get(email="eva@softwarehuis.nl")
    assert lead.band == Band.HOT.value
    score = Score.objects.filter(lead=lead).latest("computed_at")
    rules = {hit["rule"] for hit in score.explanation}
    assert {"form_request", "form_start_now", "recently_active"} <= rules
    assert "gone_quiet" not in rules
    task = Task.objects.get(lead=lead)
    assert task.owner_id == seller.pk
    assert task.due_at == sla_due_at(NOW, 24)
    queue = list(today_queue(seller.pk, now=NOW)[:5])
    assert lead.pk in [queued.lead_id for queued in queue]


def test_the_same_form_without_start_now_is_warm_not_hot() -> None:
    make_user("sanne")

    with time_machine.travel(NOW, tick=False):
        Client().post("/form/", perfect_answers(urgency="within_3_months"))

    lead = Lead.objects.get()
    assert lead.band == Band.WARM.value
    assert Task.objects.get(lead=lead).due_at == sla_due_at(NOW, 72)
