"""Bugs found by fuzzing the API (tests/api/test_schemathesis.py) and by
probing the edges it pointed at, one test each.

Each was a 500 before its fix (most only on PostgreSQL); the answer is now
documented and in the error shape, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

from leadqual.leads.models import Event, Lead
from tests.api.helpers import EVENTS, LEADS, body_of, event, post_json
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

# Valid ISO 8601, but PostgreSQL only takes offsets up to 15:59.
FAR_OFFSET = "2026-11-20T09:00:00-22:55"
# Valid ISO 8601, but before year 1 or after year 9999 once in UTC.
BEFORE_YEAR_ONE = "0001-01-01T00:00:00+01:00"
AFTER_YEAR_9999 = "9999-12-31T23:59:59-01:00"


def test_an_offset_beyond_a_64_bit_integer_is_a_422(api_client: Client) -> None:
    response = api_client.get(LEADS, {"offset": str(2**75)})
    assert response.status_code == 422
    assert body_of(response)["error"]["code"] == "invalid_request"
    assert "offset" in body_of(response)["error"]["fields"]


def test_changed_since_with_an_offset_beyond_15_59_lists_leads(
    api_client: Client,
) -> None:
    lead = LeadFactory.create()
    response = api_client.get(LEADS, {"changed_since": "2000-01-01T00:00:00-22:55"})
    assert response.status_code == 200
    assert [item["id"] for item in body_of(response)["items"]] == [lead.pk]


@pytest.mark.parametrize("moment", [BEFORE_YEAR_ONE, AFTER_YEAR_9999])
def test_changed_since_outside_the_years_1_to_9999_in_utc_is_a_422(
    api_client: Client, moment: str
) -> None:
    response = api_client.get(LEADS, {"changed_since": moment})
    assert response.status_code == 422
    fields = body_of(response)["error"]["fields"]
    assert "years 1 to 9999" in fields["changed_since"]


def test_consent_given_with_an_offset_beyond_15_59_is_stored_in_utc(
    api_client: Client,
) -> None:
    consent = {"given": True, "text_version": "v1", "given_at": FAR_OFFSET}
    response = post_json(
        api_client, LEADS, {"email": "an@bakker.nl", "consent": consent}
    )
    assert response.status_code == 201
    stored = Lead.objects.get(email="an@bakker.nl")
    assert stored.consent_at == datetime(2026, 11, 21, 7, 55, tzinfo=UTC)


@pytest.mark.parametrize("moment", [BEFORE_YEAR_ONE, AFTER_YEAR_9999])
def test_consent_given_outside_the_years_1_to_9999_in_utc_is_a_422(
    api_client: Client, moment: str
) -> None:
    consent = {"given": True, "text_version": "v1", "given_at": moment}
    response = post_json(
        api_client, LEADS, {"email": "an@bakker.nl", "consent": consent}
    )
    assert response.status_code == 422
    fields = body_of(response)["error"]["fields"]
    assert "years 1 to 9999" in fields["consent.given_at"]
    assert not Lead.objects.exists()


def test_an_event_with_an_offset_beyond_15_59_is_stored_in_utc(
    api_client: Client,
) -> None:
    lead = LeadFactory.create()
    response = post_json(
        api_client, EVENTS, {"events": [event(lead.email, occurred_at=FAR_OFFSET)]}
    )
    assert response.status_code == 200
    assert body_of(response)["accepted"] == 1
    stored = Event.objects.get(lead=lead)
    assert stored.occurred_at == datetime(2026, 11, 21, 7, 55, tzinfo=UTC)


def test_an_event_before_year_1_in_utc_is_rejected_and_the_others_kept(
    api_client: Client,
) -> None:
    lead = LeadFactory.create()
    batch = [event(lead.email), event(lead.email, occurred_at=BEFORE_YEAR_ONE)]
    response = post_json(api_client, EVENTS, {"events": batch})
    assert response.status_code == 200
    answer = body_of(response)
    assert answer["accepted"] == 1
    assert [(bad["index"], bad["field"]) for bad in answer["rejected"]] == [
        (1, "occurred_at")
    ]
    assert "years 1 to 9999" in answer["rejected"][0]["error"]
    assert Event.objects.filter(lead=lead).count() == 1


def test_a_nul_character_in_a_lead_field_is_a_422(api_client: Client) -> None:
    response = post_json(
        api_client, LEADS, {"email": "an@bakker.nl", "first_name": "An\x00na"}
    )
    assert response.status_code == 422
    assert "NUL" in body_of(response)["error"]["fields"]["first_name"]
    assert not Lead.objects.exists()


def test_a_nul_character_in_the_consent_text_version_is_a_422(
    api_client: Client,
) -> None:
    consent = {"given": True, "text_version": "v\x001"}
    response = post_json(
        api_client, LEADS, {"email": "an@bakker.nl", "consent": consent}
    )
    assert response.status_code == 422
    assert "NUL" in body_of(response)["error"]["fields"]["consent.text_version"]


def test_a_nul_character_in_a_feedback_note_is_a_422(api_client: Client) -> None:
    lead = LeadFactory.create()
    response = post_json(
        api_client,
        f"{LEADS}/{lead.pk}/feedback",
        {"decision": "accepted", "note": "Belt \x00terug"},
    )
    assert response.status_code == 422
    assert "NUL" in body_of(response)["error"]["fields"]["note"]


def test_an_event_with_a_nul_character_is_rejected_and_the_others_kept(
    api_client: Client,
) -> None:
    lead = LeadFactory.create()
    bad = event(lead.email, url="/prijzen\x00")
    response = post_json(api_client, EVENTS, {"events": [event(lead.email), bad]})
    assert response.status_code == 200
    answer = body_of(response)
    assert answer["accepted"] == 1
    assert [(bad["index"], bad["field"]) for bad in answer["rejected"]] == [
        (1, "properties")
    ]
    assert Event.objects.filter(lead=lead).count() == 1


def test_an_email_too_long_once_in_punycode_is_a_422(api_client: Client) -> None:
    """204 characters as typed, 804 in the ASCII form that is stored."""
    email = "a@" + ".".join(["ü"] * 100) + ".nl"
    response = post_json(api_client, LEADS, {"email": email})
    assert response.status_code == 422
    assert "254" in body_of(response)["error"]["fields"]["email"]
    assert not Lead.objects.exists()


# A lone surrogate: valid in JSON ("\ud800"), but no UTF-8 text can hold it, so
# neither database can store it, and json.dumps(..., ensure_ascii=False) fails.
LONE = "\ud800"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", f"evt-{LONE}"),
        ("type", LONE),
        ("lead_email", f"an{LONE}@bakker.nl"),
        ("occurred_at", f"2026-11-20T09:00:00{LONE}"),
        ("properties", {"url": f"/prijzen{LONE}"}),
        ("properties", {f"url{LONE}": "/prijzen"}),
    ],
)
def test_an_event_with_a_lone_surrogate_is_rejected_and_the_others_kept(
    api_client: Client, field: str, value: object
) -> None:
    lead = LeadFactory.create()
    bad = event(lead.email) | {field: value}
    response = post_json(api_client, EVENTS, {"events": [event(lead.email), bad]})
    assert response.status_code == 200
    answer = body_of(response)
    assert answer["accepted"] == 1
    assert [(bad["index"], bad["field"]) for bad in answer["rejected"]] == [(1, field)]
    assert "surrogate" in answer["rejected"][0]["error"]
    assert Event.objects.filter(lead=lead).count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", f"an{LONE}@bakker.nl"),
        ("first_name", f"An{LONE}"),
        ("company", f"Bakker{LONE}"),
        ("sector", LONE),
        ("urgency", LONE),
        ("country", LONE),
    ],
)
def test_a_lone_surrogate_in_a_lead_field_is_a_422(
    api_client: Client, field: str, value: str
) -> None:
    body = {"email": "an@bakker.nl", field: value}
    response = post_json(api_client, LEADS, body)
    assert response.status_code == 422
    assert "surrogate" in body_of(response)["error"]["fields"][field]
    assert not Lead.objects.exists()


def test_a_lone_surrogate_in_the_consent_text_version_is_a_422(
    api_client: Client,
) -> None:
    consent = {"given": True, "text_version": f"v{LONE}"}
    response = post_json(
        api_client, LEADS, {"email": "an@bakker.nl", "consent": consent}
    )
    assert response.status_code == 422
    fields = body_of(response)["error"]["fields"]
    assert "surrogate" in fields["consent.text_version"]


def test_a_lone_surrogate_in_a_feedback_note_is_a_422(api_client: Client) -> None:
    lead = LeadFactory.create()
    response = post_json(
        api_client,
        f"{LEADS}/{lead.pk}/feedback",
        {"decision": "rejected", "reason": "no_budget", "note": f"Belt {LONE}"},
    )
    assert response.status_code == 422
    assert "surrogate" in body_of(response)["error"]["fields"]["note"]
