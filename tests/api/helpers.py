"""Small helpers for talking to the API through the Django test client."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.test import Client
from django.utils import timezone

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

LEADS = "/api/v1/leads"
EVENTS = "/api/v1/events"

# A decision maker with budget, in a core sector: fit is capped at 40 (warm),
# so a demo request and an email reply take the lead to hot.
WARM_DECISION_MAKER: dict[str, Any] = {
    "email": "anna.jansen@bakker-ict.nl",
    "first_name": "Anna",
    "last_name": "Jansen",
    "company": "Bakker ICT B.V.",
    "sector": "software",
    "employees": 25,
    "budget": 50_000,
    "urgency": "immediate",
    "job_title": "Directeur",
    "country": "NL",
    "source": "website",
}


def post_json(client: Client, path: str, body: object) -> TestResponse:
    """POST a JSON body."""
    return client.post(path, data=json.dumps(body), content_type="application/json")


def body_of(response: TestResponse) -> Any:
    """The response's JSON body."""
    return response.json()


def ago(**delta: float) -> str:
    """An ISO 8601 moment with offset, this long before now."""
    return (timezone.now() - timedelta(**delta)).isoformat()


def event(
    lead_email: str,
    type_: str = "page_view",
    *,
    event_id: str | None = None,
    occurred_at: str | datetime | None = None,
    **properties: Any,
) -> dict[str, Any]:
    """One event item as a client sends it."""
    item: dict[str, Any] = {
        "lead_email": lead_email,
        "type": type_,
        "occurred_at": str(occurred_at) if occurred_at else ago(minutes=5),
        "properties": properties,
    }
    if event_id is not None:
        item["id"] = event_id
    return item
