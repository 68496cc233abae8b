"""The public form and the tracker under a flood: refusals with a message, never a 500.

Each test sends 200 requests as fast as the test client can, from one
address and from many (``REMOTE_ADDR`` varied), and then checks that every
answer was 2xx, 3xx or 429 and that the database holds no more than the
rate limits allow.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections import Counter

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from leadqual.intake.models import FormAttempt, TrackedSite, VisitorEvent
from leadqual.leads.models import Lead

pytestmark = pytest.mark.django_db

FLOOD = 200
ALLOWED_STATUSES = {200, 202, 204, 301, 302, 303, 429}
ORIGIN = "https://www.bakker-software.nl"
BROWSER = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


def answers(number: int, **changes: str) -> dict[str, str]:
    """A complete, valid form submission with an email of its own."""
    return {
        "first_name": "Eva",
        "last_name": "de Boer",
        "email": f"eva.{number}@logistiek-partners.nl",
        "company": "Logistiek Partners B.V.",
        "sector": "logistics",
        "employees": "10-49",
        "budget": "10000-25000",
        "urgency": "within_3_months",
        "consent": "on",
        "website": "",
        **changes,
    }


def address(number: int) -> str:
    """One of many client addresses, from the documentation range 198.18.0.0/15."""
    return f"198.18.{number // 250}.{number % 250 + 1}"


def assert_only_allowed(statuses: Counter[int]) -> None:
    assert set(statuses) <= ALLOWED_STATUSES, statuses


def test_a_flood_from_one_address_stores_only_the_limit(
    client: Client, settings: Settings
) -> None:
    limit: int = settings.FORM_RATE_LIMIT
    statuses: Counter[int] = Counter()
    refusals = []
    for number in range(FLOOD):
        response = client.post("/form/", answers(number), REMOTE_ADDR="203.0.113.7")
        statuses[response.status_code] += 1
        if response.status_code == 429:
            refusals.append(response)

    assert_only_allowed(statuses)
    assert statuses == Counter({302: limit, 429: FLOOD - limit})
    assert Lead.objects.count() == limit
    refusal = refusals[-1]
    assert int(refusal["Retry-After"]) > 0
    assert "the most we accept from one address" in refusal.content.decode()


def test_a_flood_through_htmx_gets_the_message_in_the_form(
    client: Client, settings: Settings
) -> None:
    """The form posts with htmx in a browser; the 429 is the form with the message."""
    settings.FORM_RATE_LIMIT = 2
    statuses: Counter[int] = Counter()
    last = None
    for number in range(FLOOD):
        last = client.post(
            "/form/", answers(number), REMOTE_ADDR="203.0.113.8", HTTP_HX_REQUEST="true"
        )
        statuses[last.status_code] += 1

    assert_only_allowed(statuses)
    assert statuses == Counter({200: 2, 429: FLOOD - 2})
    assert last is not None
    page = last.content.decode()
    assert 'id="lead-form"' in page
    assert "Please try again in an hour" in page
    assert Lead.objects.count() == 2


def test_a_flood_from_many_addresses_stores_at_most_the_limit_of_each(
    client: Client, settings: Settings
) -> None:
    settings.FORM_RATE_LIMIT = 2
    addresses = 40
    statuses: Counter[int] = Counter()
    for number in range(FLOOD):
        response = client.post(
            "/form/", answers(number), REMOTE_ADDR=address(number % addresses)
        )
        statuses[response.status_code] += 1

    assert_only_allowed(statuses)
    assert statuses[302] == 2 * addresses
    assert statuses[429] == FLOOD - 2 * addresses
    assert Lead.objects.count() == 2 * addresses


def test_a_honeypot_flood_stores_nothing(client: Client) -> None:
    statuses: Counter[int] = Counter()
    for number in range(FLOOD):
        response = client.post(
            "/form/",
            answers(number, website="https://cheap-pills.example"),
            REMOTE_ADDR=address(number),
        )
        statuses[response.status_code] += 1

    assert_only_allowed(statuses)
    assert Lead.objects.count() == 0
    # Only salted hashes of the addresses are kept, one per attempt.
    assert FormAttempt.objects.count() == FLOOD


# --- the tracker -------------------------------------------------------------------


@pytest.fixture
def tracked_site() -> TrackedSite:
    return TrackedSite.objects.create(name="Bakker Software", origin=ORIGIN)


def collect_body(number: int) -> str:
    """One page view of visitor ``number``, with an event id of its own."""
    return json.dumps(
        {
            "visitor_id": f"{number:032x}",
            "consent": True,
            "events": [
                {
                    "id": f"event-{number:06d}",
                    "type": "page_view",
                    "properties": {"url": f"{ORIGIN}/prijzen", "title": "Prijzen"},
                }
            ],
        }
    )


def flood_collect(client: Client, *, many_addresses: bool) -> Counter[int]:
    statuses: Counter[int] = Counter()
    for number in range(FLOOD):
        response = client.post(
            "/t/collect",
            collect_body(number),
            content_type="text/plain",
            REMOTE_ADDR=address(number) if many_addresses else "203.0.113.9",
        )
        statuses[response.status_code] += 1
        if response.status_code == 429:
            assert response.json()["error"]["code"] == "rate_limited"
            assert int(response["Retry-After"]) > 0
    return statuses


def test_a_tracker_flood_from_one_address_stores_only_the_address_limit(
    tracked_site: TrackedSite, settings: Settings
) -> None:
    settings.TRACKER_ADDRESS_RATE_LIMIT = 50
    client = Client(HTTP_ORIGIN=ORIGIN, HTTP_USER_AGENT=BROWSER)

    statuses = flood_collect(client, many_addresses=False)

    assert_only_allowed(statuses)
    assert statuses == Counter({200: 50, 429: FLOOD - 50})
    assert VisitorEvent.objects.count() == 50


def test_a_tracker_flood_from_many_addresses_stores_only_the_site_limit(
    tracked_site: TrackedSite, settings: Settings
) -> None:
    settings.TRACKER_SITE_RATE_LIMIT = 60
    client = Client(HTTP_ORIGIN=ORIGIN, HTTP_USER_AGENT=BROWSER)

    statuses = flood_collect(client, many_addresses=True)

    assert_only_allowed(statuses)
    assert statuses == Counter({200: 60, 429: FLOOD - 60})
    assert VisitorEvent.objects.count() == 60


def test_an_identify_flood_is_refused_after_the_identify_limit(
    tracked_site: TrackedSite,
) -> None:
    client = Client(HTTP_ORIGIN=ORIGIN, HTTP_USER_AGENT=BROWSER)
    statuses: Counter[int] = Counter()
    # Signed as the site's backend signs them (docs/tracking.md): the limit
    # holds for valid calls too.
    expires = int(time.time()) + 3600
    for number in range(FLOOD):
        visitor_id, email = f"{number:032x}", f"visitor.{number}@example.nl"
        message = f"{visitor_id}|{email}|{expires}".encode()
        secret = tracked_site.identify_secret.encode()
        signature = hmac.new(secret, message, hashlib.sha256).hexdigest()
        body = json.dumps(
            {
                "visitor_id": visitor_id,
                "consent": True,
                "email": email,
                "token": f"{expires}.{signature}",
            }
        )
        response = client.post(
            "/t/identify", body, content_type="text/plain", REMOTE_ADDR="203.0.113.10"
        )
        statuses[response.status_code] += 1

    assert_only_allowed(statuses)
    assert statuses[429] > 0
    assert statuses[202] < FLOOD


def test_a_flood_of_oversized_tracker_bodies_is_refused_unread(
    tracked_site: TrackedSite,
) -> None:
    client = Client(HTTP_ORIGIN=ORIGIN, HTTP_USER_AGENT=BROWSER)
    body = "x" * (64 * 1024)
    statuses: Counter[int] = Counter()
    for number in range(FLOOD):
        response = client.post(
            "/t/collect", body, content_type="text/plain", REMOTE_ADDR=address(number)
        )
        statuses[response.status_code] += 1
        assert response.json()["error"]["message"]

    assert statuses == Counter({413: FLOOD})
    assert VisitorEvent.objects.count() == 0
