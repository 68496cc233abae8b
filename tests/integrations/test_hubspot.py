"""The HubSpot connector against a local server that checks HubSpot's request shapes.

The shapes follow HubSpot's CRM v3 documentation: contacts search
(POST /crm/v3/objects/contacts/search with filterGroups), create
(POST /crm/v3/objects/contacts), update (PATCH /crm/v3/objects/contacts/{id}),
owners (GET /crm/v3/owners/?email=), and tasks (POST /crm/v3/objects/tasks with
hs_timestamp and an association of type 204, task to contact).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from pytest_django.fixtures import Settings

from leadqual.core.sla import DUTCH_TIME
from leadqual.intake.pipeline import RawEvent, submit_events, submit_lead
from leadqual.integrations.models import (
    DeliveryStatus,
    EndpointKind,
    WebhookDelivery,
    WebhookEndpoint,
)
from tests.factories import make_user
from tests.integrations.http_receiver import Received, Receiver

pytestmark = pytest.mark.django_db

TOKEN = "pat-eu1-11111111-2222-3333-4444-555555555555"
THURSDAY = datetime(2026, 11, 26, 16, 0, tzinfo=DUTCH_TIME)
WARM_FIELDS = {
    "first_name": "Kees",
    "last_name": "Bakker",
    "sector": "software",
    "employees": "25",
    "budget_euros": "15000",
    "urgency": "immediate",
}
CaptureCallbacks = Callable[..., Any]


@dataclass
class FakeHubspot:
    """Answers like HubSpot and records every way a request differs from its docs."""

    contacts: dict[str, dict[str, str]] = field(default_factory=dict)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    owners: dict[str, str] = field(
        default_factory=lambda: {"sanne@example.nl": "6166860"}
    )
    problems: list[str] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)

    def answer(self, request: Received) -> tuple[int, bytes]:
        path = urlsplit(request.path).path
        self.calls.append(f"{request.method} {path}")
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return self._problem(401, "missing or wrong bearer token")
        body: Any = json.loads(request.body) if request.body else None
        if request.method == "POST" and path == "/crm/v3/objects/contacts/search":
            return self._search(body)
        if request.method == "POST" and path == "/crm/v3/objects/contacts":
            return self._create_contact(body)
        if request.method == "PATCH" and path.startswith("/crm/v3/objects/contacts/"):
            return self._update_contact(path.rsplit("/", 1)[1], body)
        if request.method == "GET" and path.rstrip("/") == "/crm/v3/owners":
            email = parse_qs(urlsplit(request.path).query).get("email", [""])[0]
            found = (
                [{"id": self.owners[email], "email": email}]
                if email in self.owners
                else []
            )
            return 200, json.dumps({"results": found}).encode()
        if request.method == "POST" and path == "/crm/v3/objects/tasks":
            return self._create_task(body)
        return self._problem(404, f"no such endpoint: {request.method} {path}")

    def _problem(self, status: int, text: str) -> tuple[int, bytes]:
        self.problems.append(text)
        return status, json.dumps({"status": "error", "message": text}).encode()

    def _properties(self, body: Any) -> dict[str, str] | None:
        if not isinstance(body, dict) or not isinstance(body.get("properties"), dict):
            return None
        properties: dict[str, str] = body["properties"]
        if not all(isinstance(value, str) for value in properties.values()):
            self.problems.append(f"property values must be strings: {properties}")
        return properties

    def _search(self, body: Any) -> tuple[int, bytes]:
        try:
            (group,) = body["filterGroups"]
            (condition,) = group["filters"]
            assert (
                condition["propertyName"] == "email" and condition["operator"] == "EQ"
            )
            email = condition["value"]
        except (KeyError, TypeError, ValueError, AssertionError):
            return self._problem(400, f"bad search body: {body}")
        found = [
            {"id": contact_id, "properties": {"email": email}}
            for contact_id, properties in self.contacts.items()
            if properties.get("email") == email
        ]
        return 200, json.dumps({"total": len(found), "results": found}).encode()

    def _create_contact(self, body: Any) -> tuple[int, bytes]:
        properties = self._properties(body)
        if properties is None or "email" not in properties:
            return self._problem(400, f"contact without properties.email: {body}")
        contact_id = str(500 + len(self.contacts))
        self.contacts[contact_id] = dict(properties)
        return 201, json.dumps({"id": contact_id, "properties": properties}).encode()

    def _update_contact(self, contact_id: str, body: Any) -> tuple[int, bytes]:
        properties = self._properties(body)
        if properties is None or contact_id not in self.contacts:
            return self._problem(404, f"update of unknown contact {contact_id}: {body}")
        self.contacts[contact_id].update(properties)
        return 200, json.dumps({"id": contact_id, "properties": properties}).encode()

    def _create_task(self, body: Any) -> tuple[int, bytes]:
        properties = self._properties(body)
        if properties is None or "hs_timestamp" not in properties:
            return self._problem(400, f"task without properties.hs_timestamp: {body}")
        if properties.get("hs_task_status") not in (None, "NOT_STARTED", "COMPLETED"):
            return self._problem(400, f"bad hs_task_status: {properties}")
        for association in body.get("associations", []):
            if association.get("to", {}).get(
                "id"
            ) not in self.contacts or association.get("types") != [
                {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 204}
            ]:
                return self._problem(400, f"bad association: {association}")
        task_id = str(900 + len(self.tasks))
        self.tasks.append({"id": task_id, **body})
        return 201, json.dumps({"id": task_id, "properties": properties}).encode()


@pytest.fixture
def hubspot(settings: Settings) -> Iterator[FakeHubspot]:
    fake = FakeHubspot()
    server = Receiver(responder=lambda request: fake.answer(request))
    server.start()
    settings.HUBSPOT_TOKEN = TOKEN
    settings.HUBSPOT_API_URL = server.url
    WebhookEndpoint.objects.create(name="HubSpot", kind=EndpointKind.HUBSPOT)
    try:
        yield fake
    finally:
        server.stop()


def _arrive_warm_then_hot(capture: CaptureCallbacks) -> None:
    email = "kees@bouwbedrijf.nl"
    with time_machine.travel(THURSDAY, tick=False), capture(execute=True):
        submit_lead(email, WARM_FIELDS, now=THURSDAY)
    with time_machine.travel(THURSDAY, tick=False), capture(execute=True):
        submit_events(
            [
                RawEvent(email, "demo_request", THURSDAY.isoformat(), {}, "demo"),
                RawEvent(email, "email_reply", THURSDAY.isoformat(), {}, "reply"),
            ],
            now=THURSDAY,
            source="api",
        )


def test_a_new_lead_becomes_a_contact_and_later_events_update_it(
    hubspot: FakeHubspot, django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    make_user("sanne")
    _arrive_warm_then_hot(django_capture_on_commit_callbacks)

    assert hubspot.problems == []
    (contact_id,) = hubspot.contacts
    contact = hubspot.contacts[contact_id]
    assert contact["email"] == "kees@bouwbedrijf.nl"
    assert contact["firstname"] == "Kees"
    assert contact["leadqual_band"] == "hot"
    assert int(contact["leadqual_score"]) >= 70
    assert "(+" in contact["leadqual_reasons"]
    # Searched first each time: created once, updated afterwards.
    assert hubspot.calls.count("POST /crm/v3/objects/contacts") == 1
    assert hubspot.calls.count("PATCH /crm/v3/objects/contacts/" + contact_id) >= 2
    assert WebhookDelivery.objects.exclude(status=DeliveryStatus.DELIVERED).count() == 0


def test_a_lead_turning_hot_gets_one_task_for_its_owner_on_the_contact(
    hubspot: FakeHubspot, django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    make_user("sanne")
    _arrive_warm_then_hot(django_capture_on_commit_callbacks)

    assert hubspot.problems == []
    (task,) = hubspot.tasks
    (contact_id,) = hubspot.contacts
    assert task["associations"][0]["to"]["id"] == contact_id
    properties = task["properties"]
    assert properties["hubspot_owner_id"] == "6166860"
    assert properties["hs_task_status"] == "NOT_STARTED"
    # Due within the hot SLA: Friday 16:00 in Utrecht is 15:00 UTC.
    assert properties["hs_timestamp"] == "2026-11-27T15:00:00Z"
    hot = WebhookDelivery.objects.get(
        event_type="lead.band_changed", payload__data__band="hot"
    )
    assert hot.remote_ids == {"contact": contact_id, "task": task["id"]}


def test_a_refused_hubspot_call_is_retried_without_creating_the_task_twice(
    hubspot: FakeHubspot, django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    from leadqual.integrations.tasks import deliver_due_webhooks

    make_user("sanne")
    original = hubspot.answer
    refused: list[str] = []

    def rate_limited_once(request: Received) -> tuple[int, bytes]:
        if request.path.startswith("/crm/v3/owners") and not refused:
            refused.append(request.path)
            return 429, b'{"status":"error","message":"rate limit"}'
        return original(request)

    hubspot.answer = rate_limited_once  # type: ignore[method-assign]
    _arrive_warm_then_hot(django_capture_on_commit_callbacks)
    hot = WebhookDelivery.objects.get(payload__data__band="hot")
    assert hot.status == DeliveryStatus.PENDING and hot.last_status_code == 429
    assert "HTTP 429" in hot.last_error and "kees" not in hot.last_error
    assert hubspot.tasks == []

    with time_machine.travel(hot.next_attempt_at, tick=False):
        deliver_due_webhooks()
    hot.refresh_from_db()
    assert hot.status == DeliveryStatus.DELIVERED
    assert len(hubspot.tasks) == 1


def test_without_a_token_hubspot_deliveries_wait_with_a_message(
    hubspot: FakeHubspot,
    settings: Settings,
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> None:
    settings.HUBSPOT_TOKEN = None
    with (
        time_machine.travel(THURSDAY, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        submit_lead("kees@bouwbedrijf.nl", WARM_FIELDS, now=THURSDAY)
    delivery = WebhookDelivery.objects.order_by("sequence").first()
    assert delivery is not None and delivery.status == DeliveryStatus.PENDING
    assert "LEADQUAL_HUBSPOT_TOKEN is not set" in delivery.last_error
    assert hubspot.calls == []
