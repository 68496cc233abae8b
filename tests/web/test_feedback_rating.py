"""Sales rates a lead's quality 1-5 beside accept or reject (HTTP)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from leadqual.core.errors import InvalidFeedback
from leadqual.core.lifecycle import Decision, RejectionReason
from leadqual.core.sla import DUTCH_TIME
from leadqual.leads.models import Lead
from leadqual.triage.models import Feedback
from leadqual.triage.services import rate_lead_quality, record_feedback
from leadqual.users.roles import Role
from tests.factories import LeadFactory, make_user

pytestmark = pytest.mark.django_db

THURSDAY = datetime(2026, 11, 26, 16, 0, tzinfo=DUTCH_TIME)
HX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def clock() -> object:
    with time_machine.travel(THURSDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def seller() -> User:
    return make_user("sanne", role=Role.SALES)


def _client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _rate(client: Client, lead: Lead, rating: str) -> str:
    response = client.post(
        reverse("triage:lead-feedback-rating", args=[lead.pk]),
        {"rating": rating},
        headers=HX,
    )
    return f"{response.status_code} {response.content.decode()}"


def test_the_lead_page_offers_the_rating_once_the_lead_has_feedback(
    seller: User,
) -> None:
    lead = LeadFactory.create(owner=seller)
    client = _client_for(seller)
    page = client.get(reverse("leads:lead-detail", args=[lead.pk])).content.decode()
    assert 'id="feedback-rating-form"' not in page
    record_feedback(lead, Decision.ACCEPTED, reason=None, given_by=seller, now=THURSDAY)
    page = client.get(reverse("leads:lead-detail", args=[lead.pk])).content.decode()
    assert 'id="feedback-rating-form"' in page
    assert page.count('name="rating" value=') == 5


def test_one_click_rates_the_latest_feedback(seller: User) -> None:
    lead = LeadFactory.create(owner=seller)
    record_feedback(lead, Decision.ACCEPTED, reason=None, given_by=seller, now=THURSDAY)
    answer = _rate(_client_for(seller), lead, "4")
    assert answer.startswith("200 ")
    assert "Lead quality: 4 of 5" in answer
    assert 'aria-pressed="true">4 good</button>' in answer
    assert Feedback.objects.get().rating == 4


def test_rating_a_lead_without_feedback_says_what_to_do_first(seller: User) -> None:
    lead = LeadFactory.create(owner=seller)
    answer = _rate(_client_for(seller), lead, "3")
    assert answer.startswith("422 ")
    assert "Accept or reject the lead first, then rate it." in answer


@pytest.mark.parametrize("rating", ["0", "6", "goed", ""])
def test_a_rating_outside_1_to_5_is_refused(seller: User, rating: str) -> None:
    lead = LeadFactory.create(owner=seller)
    record_feedback(
        lead,
        Decision.REJECTED,
        reason=RejectionReason.NO_FIT,
        given_by=seller,
        now=THURSDAY,
    )
    answer = _rate(_client_for(seller), lead, rating)
    assert answer.startswith("422 ")
    assert "Choose a rating from 1 (poor) to 5 (excellent)." in answer
    assert Feedback.objects.get().rating is None


def test_the_rating_goes_on_the_latest_of_several_feedbacks(seller: User) -> None:
    lead = LeadFactory.create(owner=seller)
    record_feedback(lead, Decision.ACCEPTED, reason=None, given_by=seller, now=THURSDAY)
    later = record_feedback(
        lead,
        Decision.REJECTED,
        reason=RejectionReason.NO_FIT,
        given_by=seller,
        now=THURSDAY + timedelta(hours=1),
    )
    rate_lead_quality(lead, 2)
    assert dict(Feedback.objects.values_list("pk", "rating")) == {
        later.pk - 1: None,
        later.pk: 2,
    }


def test_the_service_refuses_a_rating_outside_1_to_5() -> None:
    lead = LeadFactory.create()
    with pytest.raises(InvalidFeedback, match="from 1 to 5, got 9"):
        record_feedback(
            lead, Decision.ACCEPTED, reason=None, rating=9, given_by=None, now=THURSDAY
        )
