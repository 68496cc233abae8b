"""In-app notices when a lead of mine turns hot (#12), on the alert path."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from leadqual.core.sla import DUTCH_TIME
from leadqual.intake.pipeline import RawEvent, submit_events, submit_lead
from leadqual.leads.models import Lead
from leadqual.triage.alerts import queue_hot_notice
from leadqual.triage.models import AlertKind, Notice
from leadqual.triage.queries import queue_badge
from tests.factories import make_user

pytestmark = pytest.mark.django_db

THURSDAY = datetime(2026, 11, 26, 16, 0, tzinfo=DUTCH_TIME)
WARM_FIELDS = {
    "first_name": "Kees",
    "last_name": "Bakker",
    "company": "Bouwbedrijf Bakker B.V.",
    "sector": "software",
    "employees": "25",
    "budget_euros": "15000",
    "urgency": "immediate",
}


@pytest.fixture(autouse=True)
def at_thursday() -> Iterator[None]:
    with time_machine.travel(THURSDAY + timedelta(hours=1), tick=False):
        yield


def _warm_lead(email: str) -> Lead:
    return submit_lead(email, WARM_FIELDS, now=THURSDAY).lead


def _make_hot(lead: Lead, *, suffix: str = "") -> None:
    submit_events(
        [
            RawEvent(
                lead.email, "demo_request", THURSDAY.isoformat(), {}, f"d{suffix}"
            ),
            RawEvent(lead.email, "email_reply", THURSDAY.isoformat(), {}, f"r{suffix}"),
        ],
        now=THURSDAY,
        source="api",
    )


def test_a_lead_turning_hot_leaves_a_notice_for_its_owner() -> None:
    sanne = make_user("sanne")
    lead = _warm_lead("kees@bouwbedrijf.nl")

    _make_hot(lead)

    notice = Notice.objects.get()
    assert (notice.recipient, notice.lead_id, notice.kind) == (
        sanne,
        lead.pk,
        AlertKind.BECAME_HOT,
    )
    assert notice.seen_at is None
    assert notice.task is not None and notice.task.owner == sanne


def test_a_warm_lead_leaves_no_notice() -> None:
    make_user("sanne")

    _warm_lead("kees@bouwbedrijf.nl")

    assert not Notice.objects.exists()


def test_a_hot_lead_without_an_owner_leaves_no_notice() -> None:
    lead = _warm_lead("kees@bouwbedrijf.nl")  # no seller exists: no owner

    _make_hot(lead)

    assert not Notice.objects.exists()


def test_the_same_task_turning_hot_twice_leaves_one_notice() -> None:
    make_user("sanne")
    lead = _warm_lead("kees@bouwbedrijf.nl")
    _make_hot(lead)
    task = Notice.objects.get().task
    assert task is not None

    assert queue_hot_notice(task, now=THURSDAY) is False
    assert Notice.objects.count() == 1


def test_the_queue_shows_a_notice_once_and_the_menu_counts_it() -> None:
    sanne = make_user("sanne")
    _make_hot(_warm_lead("kees@bouwbedrijf.nl"))
    client = Client()
    client.force_login(sanne)
    assert queue_badge(sanne.pk, now=THURSDAY).hot_notices == 1

    other_page = client.get(reverse("leads:lead-list")).content.decode()
    first = client.get(reverse("triage:queue")).content.decode()
    second = client.get(reverse("triage:queue")).content.decode()

    assert "1 new hot" in other_page
    assert "1 lead of yours turned hot" in first and "Kees Bakker" in first
    assert 'id="hot-notices"' not in second
    assert "1 new hot" not in second
    assert Notice.objects.get().seen_at is not None


def test_a_notice_is_only_for_its_recipient() -> None:
    make_user("sanne")
    daan = make_user("daan")
    lead = _warm_lead("kees@bouwbedrijf.nl")
    lead.refresh_from_db()
    client = Client()
    other = daan if lead.owner_id != daan.pk else make_user("mara")
    client.force_login(other)
    _make_hot(lead)

    html = client.get(reverse("triage:queue")).content.decode()

    assert 'id="hot-notices"' not in html
    assert Notice.objects.get().seen_at is None


def test_opening_the_lead_is_seeing_its_notice() -> None:
    sanne = make_user("sanne")
    kees = _warm_lead("kees@bouwbedrijf.nl")
    piet = _warm_lead("piet@bouwbedrijf.nl")
    _make_hot(kees, suffix="-kees")
    _make_hot(piet, suffix="-piet")
    client = Client()
    client.force_login(sanne)
    assert queue_badge(sanne.pk, now=THURSDAY).hot_notices == 2

    page = client.get(reverse("leads:lead-detail", args=[kees.pk])).content.decode()

    assert "1 new hot" in page  # the badge on this very page counts only Piet
    assert Notice.objects.get(lead=kees).seen_at is not None
    assert Notice.objects.get(lead=piet).seen_at is None
