"""POST /api/v1/events: batches, each event checked on its own, scored at once."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from leadqual.leads.models import Event
from leadqual.scoring.models import Score
from tests.api.helpers import (
    EVENTS,
    LEADS,
    WARM_DECISION_MAKER,
    ago,
    body_of,
    event,
    post_json,
)
from tests.factories import ApiTokenFactory, LeadFactory

pytestmark = pytest.mark.django_db

EMAIL: str = WARM_DECISION_MAKER["email"]


def test_an_event_rescores_its_lead_in_the_same_request(api_client: Client) -> None:
    lead = body_of(post_json(api_client, LEADS, WARM_DECISION_MAKER))
    assert lead["score"]["band"] == "warm"
    batch = [event(EMAIL, "demo_request"), event(EMAIL, "email_reply")]
    response = post_json(api_client, EVENTS, {"events": batch})
    assert response.status_code == 200
    answer = body_of(response)
    assert (answer["accepted"], answer["duplicates"], answer["rejected"]) == (2, 0, [])
    (rescored,) = answer["leads"]
    assert rescored["id"] == lead["id"] and rescored["email"] == EMAIL
    assert rescored["previous_band"] == "warm"
    assert rescored["score"]["band"] == "hot"
    assert rescored["score"]["total"] > lead["score"]["total"]
    rules = {hit["rule"] for hit in rescored["score"]["explanation"]}
    assert {"demo_request", "email_reply"} <= rules
    stored = Score.objects.filter(lead_id=lead["id"]).latest("computed_at", "id")
    assert (stored.total, stored.band) == (rescored["score"]["total"], "hot")
    assert body_of(api_client.get(f"{LEADS}/{lead['id']}"))["score"]["band"] == "hot"


def test_a_replayed_event_is_stored_once(api_client: Client) -> None:
    lead = LeadFactory.create()
    batch = {"events": [event(lead.email, "download", event_id="crm-1")]}
    first = body_of(post_json(api_client, EVENTS, batch))
    again = body_of(post_json(api_client, EVENTS, batch))
    assert (first["accepted"], first["duplicates"]) == (1, 0)
    assert (again["accepted"], again["duplicates"], again["leads"]) == (0, 1, [])
    assert Event.objects.count() == 1
    stored = Event.objects.get()
    assert (stored.external_id, stored.source, stored.lead_id) == (
        "crm-1",
        "api",
        lead.pk,
    )


def test_one_integration_may_use_the_same_event_id_for_two_leads(
    api_client: Client,
) -> None:
    first, second = LeadFactory.create(), LeadFactory.create()
    batch = [
        event(first.email, "download", event_id="1001"),
        event(second.email, "download", event_id="1001"),
    ]
    answer = body_of(post_json(api_client, EVENTS, {"events": batch}))
    assert (answer["accepted"], answer["duplicates"]) == (2, 0)
    assert set(Event.objects.values_list("lead_id", flat=True)) == {
        first.pk,
        second.pk,
    }


def test_two_integrations_sending_the_same_event_id_both_keep_their_event(
    api_client: Client,
) -> None:
    """Each token numbers its own events, so neither is dropped as a duplicate."""
    lead = LeadFactory.create()
    other_secret = "lq_tests-second-integration-0123456789abcd"
    ApiTokenFactory.create(secret=other_secret)
    other_client = Client(HTTP_AUTHORIZATION=f"Bearer {other_secret}")
    batch = {"events": [event(lead.email, "download", event_id="1001")]}
    first = body_of(post_json(api_client, EVENTS, batch))
    second = body_of(post_json(other_client, EVENTS, batch))
    replay = body_of(post_json(other_client, EVENTS, batch))
    assert (first["accepted"], second["accepted"]) == (1, 1)
    assert (replay["accepted"], replay["duplicates"]) == (0, 1)
    assert Event.objects.filter(lead=lead, external_id="1001").count() == 2
    assert Event.objects.values("sender").distinct().count() == 2


def test_one_bad_event_never_rejects_the_good_ones(api_client: Client) -> None:
    lead = LeadFactory.create()
    batch = [
        event(lead.email, "page_view", url="/prijzen"),
        event(lead.email, "teleport"),
        42,
        event("nobody@bakker-ict.nl"),
        {**event(lead.email), "occured_at": ago(hours=1)},
        event(lead.email, "download"),
        {"lead_email": lead.email, "occurred_at": ago(hours=1)},
    ]
    answer = body_of(post_json(api_client, EVENTS, {"events": batch}))
    assert answer["accepted"] == 2
    assert [(bad["index"], bad["field"]) for bad in answer["rejected"]] == [
        (1, "type"),
        (2, None),
        (3, "lead_email"),
        (4, "occured_at"),
        (6, "type"),
    ]
    assert '"teleport" is not an event type' in answer["rejected"][0]["error"]
    assert "got 42" in answer["rejected"][1]["error"]
    assert "POST /api/v1/leads" in answer["rejected"][2]["error"]
    assert "Known fields" in answer["rejected"][3]["error"]
    assert "is required" in answer["rejected"][4]["error"]
    assert sorted(Event.objects.values_list("type", flat=True)) == [
        "download",
        "page_view",
    ]


def test_a_naive_datetime_is_refused_naming_occurred_at_and_index(
    api_client: Client,
) -> None:
    lead = LeadFactory.create()
    naive = (timezone.now() - timedelta(hours=1)).replace(tzinfo=None).isoformat()
    batch = [event(lead.email), event(lead.email, occurred_at=naive)]
    answer = body_of(post_json(api_client, EVENTS, {"events": batch}))
    assert answer["accepted"] == 1
    (bad,) = answer["rejected"]
    assert (bad["index"], bad["field"]) == (1, "occurred_at")
    assert bad["error"].startswith("Event 1, occurred_at:")
    assert naive in bad["error"] and "time zone" in bad["error"]


def test_1001_events_are_refused_as_a_whole(api_client: Client) -> None:
    lead = LeadFactory.create()
    batch = [event(lead.email, event_id=f"e-{n}") for n in range(1001)]
    response = post_json(api_client, EVENTS, {"events": batch})
    assert response.status_code == 422
    error = body_of(response)["error"]
    assert list(error["fields"]) == ["events"]
    assert "1,001" in error["fields"]["events"] and "1,000" in error["fields"]["events"]
    assert not Event.objects.exists()


def test_1000_events_are_accepted(api_client: Client) -> None:
    leads = LeadFactory.create_batch(3)
    batch = [
        event(leads[n % 3].email, event_id=f"e-{n}", occurred_at=ago(minutes=n))
        for n in range(1000)
    ]
    answer = body_of(post_json(api_client, EVENTS, {"events": batch}))
    assert (answer["accepted"], answer["rejected"]) == (1000, [])
    assert {lead["id"] for lead in answer["leads"]} == {lead.pk for lead in leads}


def test_an_empty_batch_is_answered_with_nothing_done(api_client: Client) -> None:
    answer = body_of(post_json(api_client, EVENTS, {"events": []}))
    assert answer == {"accepted": 0, "duplicates": 0, "rejected": [], "leads": []}


def test_an_unsubscribe_or_hard_bounce_marks_the_lead_as_a_mail_tool_does(
    api_client: Client,
) -> None:
    lead = LeadFactory.create()
    first, later = ago(hours=3), ago(hours=1)
    batch = [
        event(lead.email, "unsubscribe", event_id="u-2", occurred_at=later),
        event(lead.email, "unsubscribe", event_id="u-1", occurred_at=first),
        event(lead.email, "bounce", event_id="b-1", occurred_at=first, kind="soft"),
        event(lead.email, "bounce", event_id="b-2", occurred_at=later, kind="hard"),
    ]

    assert body_of(post_json(api_client, EVENTS, {"events": batch}))["accepted"] == 4

    lead.refresh_from_db()
    # The first unsubscribe counts; a soft bounce is no hard bounce.
    assert lead.unsubscribed_at == datetime.fromisoformat(first)
    assert lead.hard_bounced_at == datetime.fromisoformat(later)


def test_a_later_unsubscribe_keeps_the_first_moment(api_client: Client) -> None:
    lead = LeadFactory.create()
    first = ago(days=2)
    for event_id, moment in (("u-1", first), ("u-2", ago(hours=1))):
        batch = [
            event(lead.email, "unsubscribe", event_id=event_id, occurred_at=moment)
        ]
        post_json(api_client, EVENTS, {"events": batch})
    lead.refresh_from_db()
    assert lead.unsubscribed_at == datetime.fromisoformat(first)
