"""The HubSpot connector: lead events become contact updates and tasks.

It runs as a delivery of an endpoint of kind "hubspot", so it shares the
outbox's ordering, retries and delivery log. For every event it creates or
updates the lead's contact (found by email) with the properties
``leadqual_score``, ``leadqual_band`` and ``leadqual_reasons``; when the lead
became hot it also creates a task for the owner, associated with the contact.
It uses HubSpot's public CRM v3 API with a private-app token
(LEADQUAL_HUBSPOT_TOKEN). Idempotent: the contact is searched before it is
created, and the ids HubSpot returned are kept on the delivery, so a retry
updates rather than duplicates.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from leadqual.core.errors import LeadqualError
from leadqual.integrations.models import WebhookDelivery
from leadqual.integrations.outbound_webhooks import (
    Response,
    Target,
    check_url,
    send_json,
)
from leadqual.leads.models import Lead
from leadqual.scoring.queries import latest_score, strongest_reasons

# HubSpot-defined association type "task to contact".
TASK_TO_CONTACT = 204
TIMEOUT_SECONDS = 20.0


class HubspotError(LeadqualError):
    """HubSpot refused a request or is not configured."""

    code = "hubspot_error"

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class HubspotClient:
    """A few CRM v3 calls with a private-app token."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token

    def call(self, method: str, path: str, body: object = None) -> Any:
        """One request; returns the decoded JSON answer or raises HubspotError."""
        # The base URL comes from the operator's settings, not from users.
        target: Target = check_url(self.base_url + path, allow_private_network=True)
        data = None if body is None else json.dumps(body).encode()
        response: Response = send_json(
            target,
            data,
            {"Authorization": f"Bearer {self.token}", "Accept": "application/json"},
            timeout_seconds=TIMEOUT_SECONDS,
            method=method,
        )
        if not response.is_success:
            answer = response.body.decode("utf-8", errors="replace")[:300]
            raise HubspotError(
                f"HubSpot answered HTTP {response.status} to {method} "
                f"{path.split('?', 1)[0]}: {answer}. Check the private app's token "
                "and scopes, and that the leadqual_* contact properties exist.",
                status_code=response.status,
            )
        return json.loads(response.body or b"{}")

    def find_contact(self, email: str) -> str | None:
        """The id of the contact with this email, or None."""
        found = self.call(
            "POST",
            "/crm/v3/objects/contacts/search",
            {
                "filterGroups": [
                    {
                        "filters": [
                            {"propertyName": "email", "operator": "EQ", "value": email}
                        ]
                    }
                ],
                "properties": ["email"],
                "limit": 1,
            },
        )
        results = found.get("results") or []
        return str(results[0]["id"]) if results else None

    def upsert_contact(
        self, email: str, properties: dict[str, str], *, contact_id: str | None
    ) -> str:
        """Update the contact (by id, or found by email) or create it; returns its id."""
        contact_id = contact_id or self.find_contact(email)
        if contact_id is not None:
            self.call(
                "PATCH",
                f"/crm/v3/objects/contacts/{contact_id}",
                {"properties": properties},
            )
            return contact_id
        created = self.call(
            "POST", "/crm/v3/objects/contacts", {"properties": properties}
        )
        return str(created["id"])

    def owner_id(self, email: str) -> str | None:
        """The HubSpot owner id of the user with this email, or None."""
        from urllib.parse import quote

        found = self.call("GET", f"/crm/v3/owners/?email={quote(email)}&limit=1")
        results = found.get("results") or []
        return str(results[0]["id"]) if results else None

    def create_task(self, contact_id: str, properties: dict[str, str]) -> str:
        """Create a task associated with the contact; returns its id."""
        created = self.call(
            "POST",
            "/crm/v3/objects/tasks",
            {
                "properties": properties,
                "associations": [
                    {
                        "to": {"id": contact_id},
                        "types": [
                            {
                                "associationCategory": "HUBSPOT_DEFINED",
                                "associationTypeId": TASK_TO_CONTACT,
                            }
                        ],
                    }
                ],
            },
        )
        return str(created["id"])


def client_from_settings() -> HubspotClient:
    """The client for LEADQUAL_HUBSPOT_API_URL and LEADQUAL_HUBSPOT_TOKEN.

    Raises HubspotError when no token is set.
    """
    token = settings.HUBSPOT_TOKEN
    if not token:
        raise HubspotError(
            "LEADQUAL_HUBSPOT_TOKEN is not set, so leadqual cannot reach HubSpot. "
            "Create a private app in HubSpot (see docs/crm-sync.md) and set its token."
        )
    return HubspotClient(settings.HUBSPOT_API_URL, token)


def _hubspot_time(moment: datetime) -> str:
    return (
        moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def contact_properties(lead: Lead) -> dict[str, str]:
    """The lead as HubSpot contact properties (HubSpot takes text values)."""
    score = latest_score(lead.pk)
    reasons = (
        strongest_reasons(score.explanation, language="en") if score is not None else []
    )
    properties = {
        "email": lead.email,
        "firstname": lead.first_name,
        "lastname": lead.last_name,
        "jobtitle": lead.job_title,
        "leadqual_score": "" if lead.score_total is None else str(lead.score_total),
        "leadqual_band": lead.band,
        "leadqual_reasons": "; ".join(
            f"{line.reason} (+{line.points})" for line in reasons
        ),
    }
    if lead.company is not None:
        properties["company"] = lead.company.name
    return properties


def _became_hot(delivery: WebhookDelivery) -> bool:
    data = (
        delivery.payload.get("data", {}) if isinstance(delivery.payload, dict) else {}
    )
    return delivery.event_type == "lead.band_changed" and data.get("band") == "hot"


def sync_delivery(delivery: WebhookDelivery, *, now: datetime) -> Response:
    """Bring HubSpot up to date for one queued event of a lead.

    Reads the lead fresh (HubSpot gets its current state); a lead that no
    longer exists is skipped. Records the contact and task ids on
    ``delivery.remote_ids``. Raises HubspotError when HubSpot refuses.
    """
    lead = (
        Lead.objects.select_related("company", "owner")
        .filter(pk=delivery.lead_id)
        .first()
    )
    if lead is None:
        return Response(status=204, body=b"")
    client = client_from_settings()
    remote = dict(delivery.remote_ids or {})
    contact_id = client.upsert_contact(
        lead.email, contact_properties(lead), contact_id=remote.get("contact")
    )
    remote["contact"] = contact_id
    delivery.remote_ids = remote
    if _became_hot(delivery) and "task" not in remote:
        data = delivery.payload.get("data", {})
        due = data.get("sla_due_at") or _hubspot_time(now)
        properties = {
            "hs_timestamp": due,
            "hs_task_subject": f"Hot lead: contact within the SLA (leadqual lead {lead.pk})",
            "hs_task_body": contact_properties(lead)["leadqual_reasons"],
            "hs_task_status": "NOT_STARTED",
            "hs_task_priority": "HIGH",
            "hs_task_type": "CALL",
        }
        owner_email = lead.owner.email if lead.owner is not None else ""
        owner_id = client.owner_id(owner_email) if owner_email else None
        if owner_id is not None:
            properties["hubspot_owner_id"] = owner_id
        remote["task"] = client.create_task(contact_id, properties)
    return Response(status=200, body=b"")
