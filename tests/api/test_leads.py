"""POST/GET /api/v1/leads and GET /api/v1/leads/{id}."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from leadqual.core.scoring import ScoreTrigger
from leadqual.leads.models import Lead
from leadqual.scoring.models import Score
from leadqual.scoring.services import rescore_lead
from tests.api.helpers import LEADS, WARM_DECISION_MAKER, body_of, post_json
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def test_a_new_lead_is_created_scored_and_answered_with_201(api_client: Client) -> None:
    response = post_json(api_client, LEADS, WARM_DECISION_MAKER)
    assert response.status_code == 201
    lead = body_of(response)
    assert lead["email"] == "anna.jansen@bakker-ict.nl"
    assert lead["budget"] == 50_000
    assert lead["company"] == "Bakker ICT B.V."
    assert lead["status"] == "new"
    assert lead["score"]["band"] == "warm"
    stored = Lead.objects.get(email="anna.jansen@bakker-ict.nl")
    assert stored.budget_euros == 50_000
    assert stored.band == "warm"


def test_a_created_lead_can_be_read_back_and_listed_by_band(api_client: Client) -> None:
    created = body_of(post_json(api_client, LEADS, WARM_DECISION_MAKER))
    cold = {"email": "piet@gmail.com", "first_name": "Piet", "job_title": "student"}
    post_json(api_client, LEADS, cold)

    fetched = api_client.get(f"{LEADS}/{created['id']}")
    assert fetched.status_code == 200
    assert body_of(fetched) == created

    warm = body_of(api_client.get(LEADS, {"band": "warm"}))
    assert warm["count"] == 1
    assert [item["id"] for item in warm["items"]] == [created["id"]]
    assert warm["items"][0] == created


def test_posting_the_same_email_again_updates_with_200(api_client: Client) -> None:
    first = body_of(post_json(api_client, LEADS, WARM_DECISION_MAKER))
    response = post_json(
        api_client, LEADS, {"email": "Anna.Jansen@Bakker-ICT.nl", "phone": "0201234567"}
    )
    assert response.status_code == 200
    assert body_of(response)["id"] == first["id"]
    assert Lead.objects.count() == 1


def test_an_update_changes_only_the_fields_in_the_body(api_client: Client) -> None:
    post_json(api_client, LEADS, WARM_DECISION_MAKER)
    response = post_json(
        api_client,
        LEADS,
        {"email": WARM_DECISION_MAKER["email"], "employees": 120, "phone": None},
    )
    updated = body_of(response)
    assert updated["employees"] == 120
    for name in ("first_name", "last_name", "sector", "job_title", "urgency"):
        assert updated[name] == WARM_DECISION_MAKER[name]
    assert updated["budget"] == 50_000
    assert updated["company"] == "Bakker ICT B.V."
    lead = Lead.objects.get(email=WARM_DECISION_MAKER["email"])
    assert (lead.employees, lead.budget_euros, lead.first_name) == (120, 50_000, "Anna")


def test_null_clears_a_field_on_update(api_client: Client) -> None:
    post_json(api_client, LEADS, WARM_DECISION_MAKER)
    updated = body_of(
        post_json(
            api_client, LEADS, {"email": WARM_DECISION_MAKER["email"], "budget": None}
        )
    )
    assert updated["budget"] is None
    assert updated["sector"] == "software"


def test_consent_is_stored_with_its_text_version(api_client: Client) -> None:
    body = {
        "email": "kees@bakker-ict.nl",
        "consent": {
            "given": True,
            "text_version": "2026-01",
            "given_at": "2026-11-20T09:00:00+01:00",
        },
    }
    lead = body_of(post_json(api_client, LEADS, body))
    assert lead["consent"] == {
        "given": True,
        "text_version": "2026-01",
        "given_at": "2026-11-20T08:00:00Z",
    }
    stored = Lead.objects.get(email="kees@bakker-ict.nl")
    assert stored.consent_given and stored.consent_text_version == "2026-01"


def test_the_score_in_the_answer_is_the_stored_score(api_client: Client) -> None:
    lead = body_of(post_json(api_client, LEADS, WARM_DECISION_MAKER))
    stored = Score.objects.filter(lead_id=lead["id"]).latest("computed_at", "id")
    score = lead["score"]
    assert (score["total"], score["fit"], score["intent"], score["engagement"]) == (
        stored.total,
        stored.fit,
        stored.intent,
        stored.engagement,
    )
    assert score["band"] == stored.band
    assert score["model_version"] == stored.model_version == 1
    assert [hit["rule"] for hit in score["explanation"]] == [
        hit["rule"] for hit in stored.explanation
    ]


def test_the_explanation_points_add_up_to_the_total(api_client: Client) -> None:
    """Rule points plus cap adjustments give the total, so every point is explained."""
    score = body_of(post_json(api_client, LEADS, WARM_DECISION_MAKER))["score"]
    assert any(hit["is_adjustment"] for hit in score["explanation"])  # fit is capped
    assert sum(hit["points"] for hit in score["explanation"]) == score["total"]
    for group in ("fit", "intent", "engagement"):
        points = [h["points"] for h in score["explanation"] if h["group"] == group]
        assert sum(points) == score[group]


def test_an_unscored_lead_is_shown_without_score(api_client: Client) -> None:
    lead = LeadFactory.create()
    answer = body_of(api_client.get(f"{LEADS}/{lead.pk}"))
    assert answer["score"] is None
    assert answer["email"] == lead.email


def test_the_list_is_sorted_by_score_with_unscored_leads_last(
    api_client: Client,
) -> None:
    now = timezone.now()
    unscored = LeadFactory.create()
    low = LeadFactory.create(budget_euros=None, employees=None)
    high = LeadFactory.create(job_title="CEO", urgency="immediate")
    for lead in (low, high):
        rescore_lead(lead, now=now, trigger=ScoreTrigger.RESCORE)
    items = body_of(api_client.get(LEADS))["items"]
    assert [item["id"] for item in items] == [high.pk, low.pk, unscored.pk]
    totals = [item["score"]["total"] for item in items[:2]]
    assert totals == sorted(totals, reverse=True)


def test_the_list_is_paginated_with_limit_and_offset(api_client: Client) -> None:
    now = timezone.now()
    leads = [LeadFactory.create(employees=10 + n) for n in range(7)]
    for lead in leads:
        rescore_lead(lead, now=now, trigger=ScoreTrigger.RESCORE)
    everything = [item["id"] for item in body_of(api_client.get(LEADS))["items"]]
    page = body_of(api_client.get(LEADS, {"limit": 3, "offset": 3}))
    assert page["count"] == 7
    assert [item["id"] for item in page["items"]] == everything[3:6]
    last = body_of(api_client.get(LEADS, {"limit": 3, "offset": 6}))
    assert [item["id"] for item in last["items"]] == everything[6:]


def test_the_page_size_defaults_to_50_and_is_at_most_500(api_client: Client) -> None:
    LeadFactory.create_batch(51)
    assert len(body_of(api_client.get(LEADS))["items"]) == 50
    too_many = api_client.get(LEADS, {"limit": 501})
    assert too_many.status_code == 422
    assert "limit" in body_of(too_many)["error"]["fields"]


def test_changed_since_lists_leads_changed_or_rescored_since(
    api_client: Client,
) -> None:
    start = timezone.now()
    old = LeadFactory.create(updated_at=start - timedelta(days=3))
    rescored = LeadFactory.create(updated_at=start - timedelta(days=3))
    changed = LeadFactory.create(updated_at=start + timedelta(minutes=1))
    rescore_lead(old, now=start - timedelta(days=2), trigger=ScoreTrigger.RESCORE)
    rescore_lead(
        rescored, now=start + timedelta(minutes=2), trigger=ScoreTrigger.RESCORE
    )
    since = (start - timedelta(hours=1)).isoformat()
    # A "+" in an unencoded query string arrives as a space; both are accepted.
    for raw in (since, since.replace("+", " ")):
        answer = body_of(api_client.get(f"{LEADS}?changed_since={raw}"))
        assert {item["id"] for item in answer["items"]} == {rescored.pk, changed.pk}


def test_changed_since_without_time_zone_is_refused(api_client: Client) -> None:
    response = api_client.get(LEADS, {"changed_since": "2026-11-27T10:00:00"})
    assert response.status_code == 422
    message = body_of(response)["error"]["fields"]["changed_since"]
    assert "2026-11-27T10:00:00" in message and "time zone" in message


def test_a_page_of_leads_costs_a_fixed_number_of_queries(
    api_client: Client, django_assert_max_num_queries: Any
) -> None:
    """Scores of a page come from one query, not one per lead."""
    now = timezone.now()
    for lead in LeadFactory.create_batch(20, budget_euros=None):
        rescore_lead(lead, now=now - timedelta(days=1), trigger=ScoreTrigger.RESCORE)
        lead.budget_euros = 60_000
        lead.save()
        rescore_lead(
            lead, now=now, trigger=ScoreTrigger.RESCORE
        )  # a second, newer score row
    api_client.get(LEADS, {"limit": 1})  # token's last use is written once a minute
    with django_assert_max_num_queries(4):
        response = api_client.get(LEADS, {"limit": 20})
    items = body_of(response)["items"]
    assert len(items) == 20
    latest = {s.lead_id: s.total for s in Score.objects.filter(computed_at=now)}
    assert len(latest) == 20
    assert {item["id"]: item["score"]["total"] for item in items} == latest


def test_an_unknown_body_field_is_refused_by_name(api_client: Client) -> None:
    response = post_json(
        api_client, LEADS, {"email": "kees@bakker-ict.nl", "budget_euros": 10}
    )
    assert response.status_code == 422
    message = body_of(response)["error"]["fields"]["budget_euros"]
    assert "not a known field" in message and "budget" in message
    assert not Lead.objects.exists()


def test_a_bad_value_from_cleaning_is_reported_under_the_api_name(
    api_client: Client,
) -> None:
    response = post_json(
        api_client, LEADS, {"email": "kees@bakker-ict.nl", "urgency": "someday"}
    )
    assert response.status_code == 422
    error = body_of(response)["error"]
    assert error["code"] == "invalid_lead"
    assert '"someday" is not an urgency' in error["fields"]["urgency"]
    assert "urgency" in error["message"]


@time_machine.travel("2026-11-27 10:00 +0100", tick=False)
def test_created_and_updated_times_are_the_request_time(api_client: Client) -> None:
    lead = body_of(post_json(api_client, LEADS, WARM_DECISION_MAKER))
    assert lead["created_at"] == lead["updated_at"] == "2026-11-27T09:00:00Z"


def test_what_an_integration_does_with_a_lead_is_in_the_audit_log(
    api_client: Client,
) -> None:
    """Reads and writes through the API are audited under the token's name."""
    from leadqual.privacy.models import AuditEntry

    created = api_client.post(
        "/api/v1/leads",
        {"email": "audit@bakker-ict.nl"},
        content_type="application/json",
    )
    lead_id = created.json()["id"]
    api_client.get(f"/api/v1/leads/{lead_id}")

    entries = list(
        AuditEntry.objects.filter(lead_id=lead_id)
        .order_by("id")
        .values_list("action", "detail")
    )
    assert entries == [("changed", "API: created"), ("viewed", "API: lead read")]
    assert (
        AuditEntry.objects.filter(
            lead_id=lead_id, actor__startswith="API token "
        ).count()
        == 2
    )
