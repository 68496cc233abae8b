"""Website tracking: the script, the collect and identify endpoints, stitching."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from leadqual.intake.models import TrackedSite, Visitor, VisitorEvent
from leadqual.intake.tracker import stitch_visitor
from leadqual.leads.models import Event, Lead
from leadqual.scoring.models import Score
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

ORIGIN = "https://www.bakker-software.nl"
BROWSER = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
VISITOR_ID = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def tracked_site() -> TrackedSite:
    return TrackedSite.objects.create(name="Bakker Software", origin=ORIGIN)


@pytest.fixture
def browser() -> Client:
    """A client that sends what a browser on the tracked site sends."""
    return Client(HTTP_ORIGIN=ORIGIN, HTTP_USER_AGENT=BROWSER)


def page_view(
    path: str = "/prijzen", *, event_id: str = "event-0001"
) -> dict[str, object]:
    return {
        "id": event_id,
        "type": "page_view",
        "properties": {"url": f"{ORIGIN}{path}", "title": "Prijzen"},
    }


def payload(*events: Mapping[str, object], visitor_id: str = VISITOR_ID) -> str:
    return json.dumps(
        {
            "visitor_id": visitor_id,
            "consent": True,
            "events": list(events) or [page_view()],
        }
    )


def collect(client: Client, body: str) -> tuple[int, dict[str, object], Client]:
    response = client.post("/t/collect", body, content_type="text/plain")
    data = json.loads(response.content) if response.content else {}
    return response.status_code, data, client


def error_field(data: dict[str, object]) -> set[str]:
    error = data["error"]
    assert isinstance(error, dict)
    assert isinstance(error["message"], str) and error["message"]
    fields = error["fields"]
    assert isinstance(fields, dict)
    return set(fields)


def test_the_script_is_served_as_cacheable_javascript(client: Client) -> None:
    response = client.get("/t.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert "max-age=3600" in response["Cache-Control"]
    assert b"consent" in response.content
    again = client.get("/t.js", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_a_request_without_an_origin_is_refused_and_stores_nothing(
    tracked_site: TrackedSite,
) -> None:
    status, data, _client = collect(Client(HTTP_USER_AGENT=BROWSER), payload())
    assert status == 403
    assert data["error"] == {
        "code": "origin_not_allowed",
        "message": data["error"]["message"],  # type: ignore[index]
        "fields": {},
    }
    assert not Visitor.objects.exists()


def test_only_active_configured_origins_may_send(tracked_site: TrackedSite) -> None:
    other = Client(HTTP_ORIGIN="https://evil.example", HTTP_USER_AGENT=BROWSER)
    status, _data, _client = collect(other, payload())
    assert status == 403
    TrackedSite.objects.create(
        name="Old site", origin="https://oud.bakker.nl", is_active=False
    )
    old = Client(HTTP_ORIGIN="https://oud.bakker.nl", HTTP_USER_AGENT=BROWSER)
    status, _data, _client = collect(old, payload())
    assert status == 403
    assert not VisitorEvent.objects.exists()


def test_a_page_view_is_stored_without_its_query_string(
    tracked_site: TrackedSite, browser: Client
) -> None:
    event = page_view()
    event["properties"] = {
        "url": f"{ORIGIN}/prijzen?email=jan@example.nl#top",
        "title": "Prijzen",
        "referrer": "https://www.google.com/search?q=crm",
        "utm_source": "newsletter",
        "utm_campaign": "najaar",
    }
    response = browser.post("/t/collect", payload(event), content_type="text/plain")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert response.json() == {"stored": 1, "duplicates": 0}
    visitor = Visitor.objects.get()
    assert (visitor.visitor_id, visitor.site, visitor.lead) == (
        VISITOR_ID,
        tracked_site,
        None,
    )
    assert VisitorEvent.objects.get().properties == {
        "url": f"{ORIGIN}/prijzen",
        "title": "Prijzen",
        "referrer": "https://www.google.com/search",
        "utm_source": "newsletter",
        "utm_campaign": "najaar",
    }


def test_a_preflight_is_answered_for_a_tracked_origin_only(
    tracked_site: TrackedSite, browser: Client
) -> None:
    response = browser.options(
        "/t/collect",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert response["Access-Control-Allow-Headers"] == "Content-Type"
    stranger = Client(HTTP_ORIGIN="https://evil.example").options("/t/collect")
    assert stranger.status_code == 403
    assert "Access-Control-Allow-Origin" not in stranger


@pytest.mark.parametrize(
    "user_agent",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "facebookexternalhit/1.1",
        "curl/8.5.0",
        "",
    ],
)
def test_a_bot_gets_204_and_nothing_is_stored(
    tracked_site: TrackedSite, user_agent: str
) -> None:
    bot = Client(HTTP_ORIGIN=ORIGIN, HTTP_USER_AGENT=user_agent)
    status, _data, _client = collect(bot, payload())
    assert status == 204
    assert not Visitor.objects.exists()


def test_headless_chrome_is_not_a_bot(tracked_site: TrackedSite) -> None:
    headless = Client(
        HTTP_ORIGIN=ORIGIN, HTTP_USER_AGENT=BROWSER.replace("Chrome", "HeadlessChrome")
    )
    status, _data, _client = collect(headless, payload())
    assert status == 200


def test_over_the_address_limit_gets_429_and_stores_nothing(
    tracked_site: TrackedSite, browser: Client, settings: Settings
) -> None:
    settings.TRACKER_ADDRESS_RATE_LIMIT = 2
    for number in range(2):
        status, _data, _client = collect(
            browser, payload(page_view(event_id=f"event-000{number}"))
        )
        assert status == 200
    response = browser.post(
        "/t/collect",
        payload(page_view(event_id="event-0009")),
        content_type="text/plain",
    )
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["error"]["code"] == "rate_limited"
    assert VisitorEvent.objects.count() == 2


def test_over_the_site_limit_gets_429(
    tracked_site: TrackedSite, settings: Settings
) -> None:
    settings.TRACKER_SITE_RATE_LIMIT = 1
    first = Client(HTTP_ORIGIN=ORIGIN, HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="10.0.0.1")
    second = Client(HTTP_ORIGIN=ORIGIN, HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="10.0.0.2")
    assert collect(first, payload())[0] == 200
    status, data, _client = collect(second, payload(visitor_id="f" * 32))
    assert status == 429
    assert "site" in data["error"]["message"]  # type: ignore[index]


def test_a_payload_over_8_kb_gets_413(
    tracked_site: TrackedSite, browser: Client
) -> None:
    event = page_view()
    event["properties"] = {"url": f"{ORIGIN}/prijzen", "title": "x" * 9000}
    status, data, _client = collect(browser, payload(event))
    assert status == 413
    assert data["error"]["code"] == "payload_too_large"  # type: ignore[index]
    assert not Visitor.objects.exists()


def test_a_body_that_is_not_json_gets_400(
    tracked_site: TrackedSite, browser: Client
) -> None:
    status, data, _client = collect(browser, "visitor=1")
    assert status == 400
    assert data["error"]["code"] == "invalid_json"  # type: ignore[index]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": "email_open"}, "events[0].type"),
        ({"type": "klik"}, "events[0].type"),
        ({"id": "1"}, "events[0].id"),
        (
            {"properties": {"url": "https://elders.nl/prijzen"}},
            "events[0].properties.url",
        ),
        ({"properties": {"url": f"{ORIGIN}/{'a' * 2001}"}}, "events[0].properties.url"),
        (
            {"properties": {"url": f"{ORIGIN}/", "email": "x"}},
            "events[0].properties.email",
        ),
        (
            {"properties": {"url": f"{ORIGIN}/", "title": 5}},
            "events[0].properties.title",
        ),
    ],
)
def test_a_bad_field_gets_422_naming_it(
    tracked_site: TrackedSite,
    browser: Client,
    change: dict[str, object],
    field: str,
) -> None:
    event = page_view() | change
    status, data, _client = collect(browser, payload(event))
    assert status == 422
    assert error_field(data) == {field}
    assert not VisitorEvent.objects.exists()


def test_data_without_consent_gets_422(
    tracked_site: TrackedSite, browser: Client
) -> None:
    body = json.dumps({"visitor_id": VISITOR_ID, "events": [page_view()]})
    status, data, _client = collect(browser, body)
    assert status == 422
    assert error_field(data) == {"consent"}
    assert not Visitor.objects.exists()


def test_a_replayed_event_id_is_stored_once(
    tracked_site: TrackedSite, browser: Client
) -> None:
    assert collect(browser, payload())[1] == {"stored": 1, "duplicates": 0}
    assert collect(browser, payload())[1] == {"stored": 0, "duplicates": 1}
    assert VisitorEvent.objects.count() == 1


def test_identify_with_an_unknown_email_creates_no_lead(
    tracked_site: TrackedSite, browser: Client
) -> None:
    collect(browser, payload())
    body = {"visitor_id": VISITOR_ID, "consent": True, "email": "nieuw@bakker.nl"}
    response = browser.post("/t/identify", json.dumps(body), content_type="text/plain")
    assert response.status_code == 202
    assert not Lead.objects.exists()
    assert Visitor.objects.get().lead is None


def test_identify_stitches_the_visitor_to_the_existing_lead(
    tracked_site: TrackedSite, browser: Client
) -> None:
    lead = LeadFactory.create(email="jan@bakker-software.nl")
    collect(browser, payload())
    body = {
        "visitor_id": VISITOR_ID,
        "consent": True,
        "email": " Jan@Bakker-Software.NL",
    }
    response = browser.post("/t/identify", json.dumps(body), content_type="text/plain")
    assert response.status_code == 202
    assert response.json() == {"accepted": True}
    assert Visitor.objects.get().lead == lead
    event = Event.objects.get(lead=lead)
    assert (event.type, event.source) == ("page_view", "tracker")
    assert VisitorEvent.objects.get().stitched_event == event


def test_identify_is_rate_limited(tracked_site: TrackedSite, browser: Client) -> None:
    body = json.dumps({"visitor_id": VISITOR_ID, "consent": True, "email": "a@b.nl"})
    statuses = [
        browser.post("/t/identify", body, content_type="text/plain").status_code
        for _attempt in range(21)
    ]
    assert statuses == [202] * 20 + [429]


def test_identify_with_a_bad_email_gets_422(
    tracked_site: TrackedSite, browser: Client
) -> None:
    body = json.dumps({"visitor_id": VISITOR_ID, "consent": True, "email": "jan@"})
    response = browser.post("/t/identify", body, content_type="text/plain")
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"email"}


def test_stitching_copies_the_events_once_and_rescores_with_page_rules(
    tracked_site: TrackedSite, browser: Client
) -> None:
    """Pricing views stitched to a lead fire the model's "*/prijzen*" page rule."""
    lead = LeadFactory.create()
    collect(browser, payload(page_view("/", event_id="event-home")))
    collect(browser, payload(page_view("/prijzen", event_id="event-price-1")))
    collect(browser, payload(page_view("/prijzen/", event_id="event-price-2")))
    visitor = Visitor.objects.get()

    first = stitch_visitor(visitor, lead, now=timezone.now())
    again = stitch_visitor(visitor, lead, now=timezone.now())

    assert (first.copied, again.copied) == (3, 0)
    assert Event.objects.filter(lead=lead).count() == 3
    assert not VisitorEvent.objects.filter(stitched_event__isnull=True).exists()
    score = Score.objects.filter(lead=lead).latest("computed_at", "id")
    rules = {hit["rule"]: hit for hit in score.explanation}
    assert rules["pricing_page"]["reason"].startswith("Viewed the pricing page")
    assert score.intent >= 10
    lead.refresh_from_db()
    assert lead.score_total == score.total


def test_events_after_stitching_go_straight_to_the_lead(
    tracked_site: TrackedSite, browser: Client
) -> None:
    lead = LeadFactory.create()
    collect(browser, payload(page_view("/", event_id="event-home")))
    stitch_visitor(Visitor.objects.get(), lead, now=timezone.now())

    download = {
        "id": "event-download",
        "type": "download",
        "properties": {"asset": "whitepaper", "url": f"{ORIGIN}/wp.pdf"},
    }
    assert collect(browser, payload(download))[0] == 200

    event = Event.objects.get(lead=lead, type="download")
    assert event.properties == {"asset": "whitepaper", "url": f"{ORIGIN}/wp.pdf"}
    assert VisitorEvent.objects.get(type="download").stitched_event == event
    rules = {
        hit["rule"] for hit in Score.objects.latest("computed_at", "id").explanation
    }
    assert "download" in rules


def test_a_visitor_of_another_lead_is_not_restitched(
    tracked_site: TrackedSite, browser: Client
) -> None:
    first, second = LeadFactory.create(), LeadFactory.create()
    collect(browser, payload())
    body = {"visitor_id": VISITOR_ID, "consent": True, "email": second.email}
    stitch_visitor(Visitor.objects.get(), first, now=timezone.now())
    browser.post("/t/identify", json.dumps(body), content_type="text/plain")
    assert Visitor.objects.get().lead == first
    assert not Event.objects.filter(lead=second).exists()


def form_answers(**changes: str) -> dict[str, str]:
    data = {
        "first_name": "Eva",
        "last_name": "de Boer",
        "email": "eva@logistiek-partners.nl",
        "sector": "logistics",
        "employees": "10-49",
        "budget": "10000-25000",
        "consent": "on",
        "website": "",
    }
    return data | changes


def test_the_form_carries_the_visitor_id_in_a_hidden_field(client: Client) -> None:
    response = client.get(f"/form/?lq_vid={VISITOR_ID}")
    assert f'name="lq_vid" value="{VISITOR_ID}"' in response.content.decode()
    assert 'name="lq_vid"' not in client.get("/form/?lq_vid=<x>").content.decode()


def test_a_form_submit_with_the_visitor_id_stitches_the_visit(
    tracked_site: TrackedSite, browser: Client, client: Client
) -> None:
    collect(browser, payload(page_view("/prijzen", event_id="event-price-1")))

    response = client.post("/form/", form_answers(lq_vid=VISITOR_ID))

    assert response.status_code == 302
    lead = Lead.objects.get()
    assert Visitor.objects.get().lead == lead
    types = list(
        Event.objects.filter(lead=lead)
        .order_by("occurred_at")
        .values_list("type", flat=True)
    )
    # The form's own form_submit event (its answers) and the visitor's.
    assert types == ["page_view", "form_submit", "form_submit"]
    rules = {
        hit["rule"] for hit in Score.objects.filter(lead=lead).latest("id").explanation
    }
    assert "pricing_page" in rules


def test_a_form_submit_with_an_unknown_visitor_id_stores_only_the_lead(
    client: Client,
) -> None:
    response = client.post(f"/form/?lq_vid={VISITOR_ID}", form_answers())
    assert response.status_code == 302
    assert Lead.objects.count() == 1
    # Only the form's own event: no visit was stitched.
    assert list(Event.objects.values_list("source", flat=True)) == ["form"]
    assert not Visitor.objects.exists()
