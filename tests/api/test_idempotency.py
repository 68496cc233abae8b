"""Idempotency-Key on the write operations: a retry answers as the first time."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from leadqual.intake.models import IdempotentRequest
from leadqual.leads.models import Event, Lead
from leadqual.triage.models import Feedback
from tests.api.helpers import EVENTS, LEADS, WARM_DECISION_MAKER, body_of, event
from tests.factories import ApiTokenFactory, LeadFactory

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db


def post_with_key(client: Client, path: str, body: object, key: str) -> TestResponse:
    """POST a JSON body with an Idempotency-Key header."""
    return client.post(
        path,
        data=json.dumps(body),
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )


def error_of(response: TestResponse) -> dict[str, Any]:
    error: dict[str, Any] = body_of(response)["error"]
    return error


def test_a_retried_event_batch_returns_the_first_answer_and_stores_nothing(
    api_client: Client,
) -> None:
    lead = LeadFactory.create()
    batch = {"events": [event(lead.email, "download"), event(lead.email, "webinar")]}

    first = post_with_key(api_client, EVENTS, batch, "batch-0001")
    retry = post_with_key(api_client, EVENTS, batch, "batch-0001")

    assert first.status_code == retry.status_code == 200
    assert retry.content == first.content
    assert body_of(first)["accepted"] == 2
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert retry.headers["Content-Type"] == first.headers["Content-Type"]
    # The events carry no ids: only the key keeps them from being stored twice.
    assert Event.objects.filter(lead=lead).count() == 2


def test_a_retried_lead_creation_answers_201_again(api_client: Client) -> None:
    first = post_with_key(api_client, LEADS, WARM_DECISION_MAKER, "lead-anna")
    retry = post_with_key(api_client, LEADS, WARM_DECISION_MAKER, "lead-anna")

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.content == first.content
    assert Lead.objects.count() == 1


def test_a_retried_feedback_is_recorded_once(api_client: Client) -> None:
    lead = LeadFactory.create()
    path = f"{LEADS}/{lead.pk}/feedback"
    body = {"decision": "rejected", "reason": "no_budget", "note": "Bel in mei."}

    first = post_with_key(api_client, path, body, "feedback-1")
    retry = post_with_key(api_client, path, body, "feedback-1")

    assert (first.status_code, retry.status_code) == (201, 201)
    assert body_of(retry)["id"] == body_of(first)["id"]
    assert Feedback.objects.filter(lead=lead).count() == 1


def test_the_same_key_with_another_body_is_refused(api_client: Client) -> None:
    lead = LeadFactory.create()
    post_with_key(api_client, EVENTS, {"events": [event(lead.email)]}, "k-1")

    other = {"events": [event(lead.email, "demo_request")]}
    response = post_with_key(api_client, EVENTS, other, "k-1")

    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "idempotency_key_reused"
    assert '"k-1"' in error["message"]
    assert "POST /api/v1/events" in error["message"]
    assert "Send a new key" in error["message"]
    assert error["fields"] == {"Idempotency-Key": error["message"]}
    assert Event.objects.filter(lead=lead).count() == 1


def test_the_same_key_on_another_operation_is_refused(api_client: Client) -> None:
    lead = LeadFactory.create()
    post_with_key(api_client, EVENTS, {"events": [event(lead.email)]}, "k-2")

    body = {"decision": "accepted"}
    response = post_with_key(api_client, f"{LEADS}/{lead.pk}/feedback", body, "k-2")

    assert response.status_code == 422
    assert error_of(response)["code"] == "idempotency_key_reused"
    assert not Feedback.objects.exists()


def test_keys_of_two_tokens_do_not_meet(api_client: Client) -> None:
    lead = LeadFactory.create()
    ApiTokenFactory.create(secret="lq_other-integration-token-0123456789")
    other_client = Client(
        HTTP_AUTHORIZATION="Bearer lq_other-integration-token-0123456789"
    )
    batch = {"events": [event(lead.email)]}

    first = post_with_key(api_client, EVENTS, batch, "shared-key")
    second = post_with_key(other_client, EVENTS, batch, "shared-key")

    assert "Idempotent-Replayed" not in second.headers
    assert body_of(first)["accepted"] == body_of(second)["accepted"] == 1
    assert Event.objects.filter(lead=lead).count() == 2


def test_a_key_longer_than_200_characters_is_refused(api_client: Client) -> None:
    lead = LeadFactory.create()

    response = post_with_key(
        api_client, EVENTS, {"events": [event(lead.email)]}, "k" * 201
    )

    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "invalid_idempotency_key"
    assert "201 characters long; at most 200" in error["message"]
    assert not Event.objects.exists()


def test_a_key_of_200_characters_is_accepted(api_client: Client) -> None:
    lead = LeadFactory.create()
    batch = {"events": [event(lead.email)]}

    post_with_key(api_client, EVENTS, batch, "k" * 200)
    retry = post_with_key(api_client, EVENTS, batch, "k" * 200)

    assert retry.headers["Idempotent-Replayed"] == "true"
    assert Event.objects.count() == 1


def test_a_key_expires_after_24_hours(api_client: Client) -> None:
    lead = LeadFactory.create()
    batch = {"events": [event(lead.email)]}
    post_with_key(api_client, EVENTS, batch, "daily")

    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1)):
        again = post_with_key(api_client, EVENTS, batch, "daily")

    assert "Idempotent-Replayed" not in again.headers
    assert Event.objects.filter(lead=lead).count() == 2
    (kept,) = IdempotentRequest.objects.all()
    assert kept.created_at > timezone.now()


def test_an_error_answer_is_not_stored_so_a_fixed_retry_runs(
    api_client: Client,
) -> None:
    path = f"{LEADS}/{10**9}/feedback"

    missing = post_with_key(api_client, path, {"decision": "accepted"}, "fb-unknown")

    assert missing.status_code == 404
    assert error_of(missing)["code"] == "lead_not_found"
    assert not IdempotentRequest.objects.exists()


def test_a_request_without_a_key_is_not_stored(api_client: Client) -> None:
    lead = LeadFactory.create()
    batch = {"events": [event(lead.email)]}

    api_client.post(EVENTS, data=json.dumps(batch), content_type="application/json")

    assert not IdempotentRequest.objects.exists()


def test_a_key_without_a_valid_token_answers_401(client: Client) -> None:
    response = post_with_key(client, EVENTS, {"events": []}, "no-token")

    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"
    assert not IdempotentRequest.objects.exists()


def test_the_openapi_schema_documents_the_header_on_every_write(
    api_client: Client,
) -> None:
    schema = body_of(api_client.get("/api/v1/openapi.json"))
    writes = [
        schema["paths"]["/api/v1/leads"]["post"],
        schema["paths"]["/api/v1/events"]["post"],
        schema["paths"]["/api/v1/leads/{lead_id}/feedback"]["post"],
    ]
    for operation in writes:
        (header,) = [
            parameter
            for parameter in operation["parameters"]
            if parameter["name"] == "Idempotency-Key"
        ]
        assert header["in"] == "header"
        assert header["schema"]["maxLength"] == 200
        assert "Idempotent-Replayed: true" in header["description"]
    reads = schema["paths"]["/api/v1/leads"]["get"]["parameters"]
    assert "Idempotency-Key" not in {parameter["name"] for parameter in reads}
