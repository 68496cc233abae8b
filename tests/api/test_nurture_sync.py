"""A mail tool syncs its nurture segment with GET /api/v1/leads?band=warm&changed_since=."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from tests.api.helpers import LEADS, WARM_DECISION_MAKER, body_of, post_json

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LAST_SYNC = MONDAY + timedelta(days=1)
TUESDAY_NOON = LAST_SYNC + timedelta(hours=3)


def _warm(email: str, **fields: Any) -> dict[str, Any]:
    return {**WARM_DECISION_MAKER, "email": email, **fields}


def _cold(email: str) -> dict[str, Any]:
    return {"email": email, "first_name": "Piet", "job_title": "student"}


def _ids(client: Client, **query: str) -> dict[str, str]:
    body = body_of(client.get(LEADS, query))
    assert body["count"] == len(body["items"])
    return {item["email"]: item["score"]["band"] for item in body["items"]}


def test_polling_with_the_last_sync_time_returns_exactly_the_changed_warm_leads(
    api_client: Client,
) -> None:
    with time_machine.travel(MONDAY, tick=False):
        post_json(api_client, LEADS, _warm("unchanged@bakker-ict.nl"))
        post_json(api_client, LEADS, _warm("edited@bakker-ict.nl"))
        post_json(api_client, LEADS, _cold("warms-up@gmail.com"))
        post_json(api_client, LEADS, _cold("stays-cold@gmail.com"))
    with time_machine.travel(TUESDAY_NOON, tick=False):
        post_json(
            api_client, LEADS, {"email": "edited@bakker-ict.nl", "phone": "0201234567"}
        )
        post_json(api_client, LEADS, _warm("warms-up@gmail.com"))
        post_json(
            api_client, LEADS, {"email": "stays-cold@gmail.com", "phone": "0612345678"}
        )

    changed = _ids(api_client, band="warm", changed_since=LAST_SYNC.isoformat())

    assert changed == {"edited@bakker-ict.nl": "warm", "warms-up@gmail.com": "warm"}
    everything_warm = _ids(api_client, band="warm")
    assert set(everything_warm) == {
        "unchanged@bakker-ict.nl",
        "edited@bakker-ict.nl",
        "warms-up@gmail.com",
    }


def test_a_lead_that_left_the_segment_shows_up_when_polling_without_a_band(
    api_client: Client,
) -> None:
    """A mail tool removes leads from its warm segment by polling all changes."""
    with time_machine.travel(MONDAY, tick=False):
        post_json(api_client, LEADS, _warm("cools-down@bakker-ict.nl"))
    with time_machine.travel(TUESDAY_NOON, tick=False):
        post_json(
            api_client,
            LEADS,
            {"email": "cools-down@bakker-ict.nl", "job_title": "student", "budget": 0},
        )

    since = LAST_SYNC.isoformat()
    assert _ids(api_client, band="warm", changed_since=since) == {}
    assert _ids(api_client, changed_since=since) == {"cools-down@bakker-ict.nl": "cold"}


def test_changed_since_without_an_offset_is_refused_with_the_error_shape(
    api_client: Client,
) -> None:
    response = api_client.get(
        LEADS, {"band": "warm", "changed_since": "2026-11-24T09:00"}
    )
    assert response.status_code == 422
    assert "changed_since" in str(body_of(response)["error"])
