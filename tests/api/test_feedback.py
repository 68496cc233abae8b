"""POST /api/v1/leads/{id}/feedback: sales accepts or rejects a lead."""

from __future__ import annotations

import pytest
from django.test import Client

from leadqual.triage.models import Feedback
from tests.api.helpers import LEADS, body_of, post_json
from tests.factories import ApiTokenFactory, LeadFactory, make_user

pytestmark = pytest.mark.django_db


def test_accepting_a_lead_stores_feedback_and_moves_its_status(
    api_client: Client,
) -> None:
    lead = LeadFactory.create()
    response = post_json(
        api_client, f"{LEADS}/{lead.pk}/feedback", {"decision": "accepted"}
    )
    assert response.status_code == 201
    answer = body_of(response)
    feedback = Feedback.objects.get()
    assert answer["id"] == feedback.pk
    assert answer["decision"] == "accepted" and answer["reason"] is None
    assert answer["lead_status"] == "accepted"
    lead.refresh_from_db()
    assert lead.status == "accepted"
    assert feedback.given_by is None  # the fixture's token belongs to no user


def test_a_rejection_with_reason_and_note_is_stored(api_client: Client) -> None:
    lead = LeadFactory.create()
    body = {"decision": "rejected", "reason": "no_budget", "note": " Volgend jaar. "}
    answer = body_of(post_json(api_client, f"{LEADS}/{lead.pk}/feedback", body))
    assert (answer["reason"], answer["note"], answer["lead_status"]) == (
        "no_budget",
        "Volgend jaar.",
        "rejected",
    )
    assert Feedback.objects.get().reason == "no_budget"


def test_feedback_is_given_by_the_user_of_the_token() -> None:
    user = make_user("sanne")
    ApiTokenFactory.create(secret="lq_sanne-token-abcdefghijklmnop", user=user)
    client = Client(HTTP_AUTHORIZATION="Bearer lq_sanne-token-abcdefghijklmnop")
    lead = LeadFactory.create()
    post_json(client, f"{LEADS}/{lead.pk}/feedback", {"decision": "accepted"})
    assert Feedback.objects.get().given_by == user


def test_rejecting_a_lead_requires_a_reason(api_client: Client) -> None:
    lead = LeadFactory.create()
    response = post_json(
        api_client, f"{LEADS}/{lead.pk}/feedback", {"decision": "rejected"}
    )
    assert response.status_code == 422
    error = body_of(response)["error"]
    assert error["code"] == "invalid_feedback"
    assert "reason" in error["fields"]
    assert not Feedback.objects.exists()
    lead.refresh_from_db()
    assert lead.status == "new"


def test_an_acceptance_takes_no_reason(api_client: Client) -> None:
    lead = LeadFactory.create()
    body = {"decision": "accepted", "reason": "spam"}
    response = post_json(api_client, f"{LEADS}/{lead.pk}/feedback", body)
    assert response.status_code == 422
    assert body_of(response)["error"]["fields"] == {"reason": "only for rejections"}


def test_an_unknown_reason_is_refused_with_the_allowed_ones(api_client: Client) -> None:
    lead = LeadFactory.create()
    body = {"decision": "rejected", "reason": "too_expensive"}
    response = post_json(api_client, f"{LEADS}/{lead.pk}/feedback", body)
    message = body_of(response)["error"]["fields"]["reason"]
    assert '"too_expensive"' in message and "no_budget" in message


def test_feedback_on_an_unknown_lead_is_404(api_client: Client) -> None:
    response = post_json(
        api_client, f"{LEADS}/999999/feedback", {"decision": "accepted"}
    )
    assert response.status_code == 404
    assert body_of(response)["error"]["code"] == "lead_not_found"


def test_a_won_lead_cannot_be_rejected_through_the_api(api_client: Client) -> None:
    """The rule is the service's: the API refuses what the lead page refuses."""
    lead = LeadFactory.create(status="won")
    response = post_json(
        api_client,
        f"{LEADS}/{lead.pk}/feedback",
        {"decision": "rejected", "reason": "no_need"},
    )
    assert response.status_code == 422
    error = body_of(response)["error"]
    assert error["code"] == "lead_is_closed"
    assert "reopen it first" in error["message"]
    lead.refresh_from_db()
    assert lead.status == "won" and not Feedback.objects.exists()


def test_feedback_carries_sales_rating_of_lead_quality(api_client: Client) -> None:
    lead = LeadFactory.create()
    body = {"decision": "accepted", "rating": 4}
    answer = body_of(post_json(api_client, f"{LEADS}/{lead.pk}/feedback", body))
    assert answer["rating"] == 4
    assert Feedback.objects.get().rating == 4


@pytest.mark.parametrize(
    ("rating", "message"),
    [
        (0, "must be 1 or more, got 0."),
        (6, "must be 5 or less, got 6."),
        ("goed", '"goed" is not a whole number.'),
    ],
)
def test_a_rating_outside_1_to_5_is_refused_with_a_clear_error(
    api_client: Client, rating: object, message: str
) -> None:
    lead = LeadFactory.create()
    body = {"decision": "accepted", "rating": rating}
    response = post_json(api_client, f"{LEADS}/{lead.pk}/feedback", body)
    assert response.status_code == 422
    error = body_of(response)["error"]
    assert set(error["fields"]) == {"rating"}
    assert error["fields"]["rating"].startswith(message)
    assert not Feedback.objects.exists()
