"""Website tracking: the script, the collect and identify endpoints, stitching."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django.fixtures import Settings

from leadqual.core.scoring import ScoreTrigger
from leadqual.intake.models import TrackedSite, Visitor, VisitorEvent
from leadqual.intake.tracker import stitch_visitor
from leadqual.leads.models import Event, Lead
from leadqual.scoring.models import Score
from leadqual.triage.models import Task
from leadqual.triage.services import rescore_and_triage
from tests.factories import LeadFactory

# django_capture_on_commit_callbacks: identify stitches after the commit.
CaptureOnCommit = Callable[..., AbstractContextManager[list[Callable[[], object]]]]

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


@pytest.mark.parametrize(
    ("properties", "field"),
    [
        (
            {"url": f"{ORIGIN}/", "title": "Prijzen \ud800"},
            "events[0].properties.title",
        ),
        ({"url": f"{ORIGIN}/", "title": "Prij\x00zen"}, "events[0].properties.title"),
        ({"url": "http://[kapot/"}, "events[0].properties.url"),
        (
            {"url": f"{ORIGIN}/", "referrer": "http://[::1"},
            "events[0].properties.referrer",
        ),
    ],
)
def test_a_text_that_cannot_be_stored_gets_422_not_a_server_error(
    tracked_site: TrackedSite,
    browser: Client,
    properties: dict[str, str],
    field: str,
) -> None:
    """A lone surrogate, a NUL (PostgreSQL) or a broken URL were 500s."""
    status, data, _client = collect(
        browser, payload(page_view() | {"properties": properties})
    )
    assert status == 422
    assert error_field(data) == {field}
    assert not VisitorEvent.objects.exists()


def test_an_identify_email_that_cannot_be_signed_gets_422(
    tracked_site: TrackedSite, browser: Client
) -> None:
    body = json.loads(signed(tracked_site, "jan@bakker.nl"))
    status, data = identify(
        browser, json.dumps(body | {"email": "jan\ud800@bakker.nl"})
    )
    assert status == 422
    assert error_field(data) == {"email"}


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


def identify_token(secret: str, *, visitor_id: str, email: str, expires: int) -> str:
    """The token as docs/tracking.md tells a site's backend to compute it."""
    message = f"{visitor_id}|{email}|{expires}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"{expires}.{digest}"


def signed(
    site: TrackedSite,
    email: str,
    *,
    visitor_id: str = VISITOR_ID,
    expires_in: timedelta = timedelta(hours=1),
) -> str:
    """An identify body as the site's backend would sign it."""
    expires = int((timezone.now() + expires_in).timestamp())
    secret = getattr(site, "identify_secret", "")  # Sites had none before #10.
    token = identify_token(secret, visitor_id=visitor_id, email=email, expires=expires)
    return json.dumps(
        {"visitor_id": visitor_id, "consent": True, "email": email, "token": token}
    )


def identify(client: Client, body: str) -> tuple[int, dict[str, object]]:
    response = client.post("/t/identify", body, content_type="text/plain")
    return response.status_code, response.json()


def test_identify_with_an_unknown_email_creates_no_lead(
    tracked_site: TrackedSite,
    browser: Client,
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    collect(browser, payload())
    with django_capture_on_commit_callbacks(execute=True):
        status, data = identify(browser, signed(tracked_site, "nieuw@bakker.nl"))
    assert (status, data) == (202, {"accepted": True})
    assert not Lead.objects.exists()
    assert Visitor.objects.get().lead is None


def test_a_signed_identify_stitches_the_visitor_to_the_existing_lead(
    tracked_site: TrackedSite,
    browser: Client,
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    lead = LeadFactory.create(email="jan@bakker-software.nl")
    collect(browser, payload())
    with django_capture_on_commit_callbacks(execute=True):
        status, data = identify(
            browser, signed(tracked_site, " Jan@Bakker-Software.NL")
        )
    assert (status, data) == (202, {"accepted": True})
    assert Visitor.objects.get().lead == lead
    event = Event.objects.get(lead=lead)
    assert (event.type, event.source) == ("page_view", "tracker")
    assert VisitorEvent.objects.get().stitched_event == event


def _unsigned(site: TrackedSite, email: str) -> str:
    return json.dumps({"visitor_id": VISITOR_ID, "consent": True, "email": email})


def _signed_with_another_secret(site: TrackedSite, email: str) -> str:
    body = json.loads(signed(site, email))
    expires = body["token"].split(".")[0]
    body["token"] = identify_token(
        "not-the-site-secret", visitor_id=VISITOR_ID, email=email, expires=int(expires)
    )
    return json.dumps(body)


def _signed_for_another_email(site: TrackedSite, email: str) -> str:
    body = json.loads(signed(site, "iemand.anders@bakker.nl"))
    return json.dumps(body | {"email": email})


def _expired(site: TrackedSite, email: str) -> str:
    return signed(site, email, expires_in=timedelta(seconds=-1))


def _valid_for_too_long(site: TrackedSite, email: str) -> str:
    return signed(site, email, expires_in=timedelta(days=30))


def _garbled(site: TrackedSite, email: str) -> str:
    body = json.loads(signed(site, email))
    return json.dumps(body | {"token": "1234.abc"})


@pytest.mark.parametrize(
    ("make_body", "status", "code"),
    [
        (_unsigned, 400, "identify_not_signed"),
        (_signed_with_another_secret, 403, "invalid_identify_token"),
        (_signed_for_another_email, 403, "invalid_identify_token"),
        (_garbled, 403, "invalid_identify_token"),
        (_expired, 403, "identify_token_expired"),
        (_valid_for_too_long, 403, "identify_token_expired"),
    ],
)
def test_an_identify_not_signed_by_the_site_is_refused_and_stores_nothing(
    tracked_site: TrackedSite,
    browser: Client,
    django_capture_on_commit_callbacks: CaptureOnCommit,
    make_body: Callable[[TrackedSite, str], str],
    status: int,
    code: str,
) -> None:
    """Only the site's backend knows the secret: a script cannot link a lead."""
    lead = LeadFactory.create(email="jan@bakker-software.nl")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        answer, data = identify(browser, make_body(tracked_site, lead.email))
    assert answer == status
    error = data["error"]
    assert isinstance(error, dict)
    assert error["code"] == code
    assert "token" in error["message"] and set(error["fields"]) == {"token"}
    assert callbacks == []
    assert not Visitor.objects.exists()
    assert not Event.objects.exists()


def _query_shapes(context: CaptureQueriesContext) -> list[str]:
    """The queries with their values blanked: what was asked, not of whom."""
    shapes = []
    for query in context.captured_queries:
        sql = re.sub(r"'(?:[^']|'')*'", "?", query["sql"])
        sql = re.sub(r'SAVEPOINT "[^"]+"', "SAVEPOINT ?", sql)
        shapes.append(re.sub(r"\b\d+(\.\d+)?\b", "?", sql))
    return shapes


def test_identify_does_the_same_work_for_a_known_and_an_unknown_email(
    tracked_site: TrackedSite,
    browser: Client,
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    """The same queries, the same answer and one queued stitch either way:
    neither the answer nor its timing tells who is a lead."""
    known = LeadFactory.create(email="jan@bakker-software.nl")
    runs = []
    for visitor_id, email in (
        ("a" * 32, known.email),
        ("b" * 32, "onbekend@bakker-software.nl"),
    ):
        body = signed(tracked_site, email, visitor_id=visitor_id)
        with (
            django_capture_on_commit_callbacks(execute=False) as callbacks,
            CaptureQueriesContext(connection) as queries,
        ):
            answer = identify(browser, body)
        runs.append((answer, _query_shapes(queries), len(callbacks)))
    assert runs[0] == runs[1]
    assert runs[0][0] == (202, {"accepted": True})
    assert runs[0][2] == 1
    # The stitch happens in the background: nothing reached the lead yet.
    assert not Visitor.objects.filter(lead__isnull=False).exists()


def test_identify_is_rate_limited(tracked_site: TrackedSite, browser: Client) -> None:
    body = signed(tracked_site, "a@b.nl")
    statuses = [
        browser.post("/t/identify", body, content_type="text/plain").status_code
        for _attempt in range(21)
    ]
    assert statuses == [202] * 20 + [429]


def test_identify_with_a_bad_email_gets_422(
    tracked_site: TrackedSite, browser: Client
) -> None:
    response = browser.post(
        "/t/identify", signed(tracked_site, "jan@"), content_type="text/plain"
    )
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"email"}


@pytest.mark.parametrize(
    "event_type",
    [
        "meeting",
        "email_reply",
        "form_submit",
        "email_click",
        "unsubscribe",
        "intent_signal",
    ],
)
def test_a_type_only_a_trusted_source_may_report_gets_400_and_stores_nothing(
    tracked_site: TrackedSite, browser: Client, event_type: str
) -> None:
    """Refused whole: the page view beside it is not stored either."""
    forged = {
        "id": "event-forged",
        "type": event_type,
        "properties": {"url": f"{ORIGIN}/"},
    }
    status, data, _client = collect(browser, payload(page_view(), forged))
    assert status == 400
    error = data["error"]
    assert isinstance(error, dict)
    assert error["code"] == "trusted_source_only"
    assert error["message"].startswith('events[1] (id "event-forged"): ')
    assert f'"{event_type}"' in error["message"]
    assert set(error["fields"]) == {"events[1].type"}
    assert not Visitor.objects.exists()
    assert not VisitorEvent.objects.exists()


def test_a_forged_visitor_cannot_make_a_cold_lead_hot(
    tracked_site: TrackedSite,
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    """Issue #10: a script with a forged Origin sends a demo request and a
    meeting for a made-up visitor and identifies it as a cold lead's email.
    The lead stays cold, and nobody gets an SLA task."""
    now = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        lead = LeadFactory.create(email="cold@bakker-software.nl", urgency="")
        rescore_and_triage([lead], now=now, trigger=ScoreTrigger.RESCORE)
        lead.refresh_from_db()
        assert (lead.score_total, lead.band) == (36, "cold")
        script = Client(HTTP_ORIGIN=ORIGIN, HTTP_USER_AGENT=BROWSER)
        demo = {"id": "forged-demo-1", "type": "demo_request", "properties": {}}
        meeting = {"id": "forged-meet-1", "type": "meeting", "properties": {}}
        with django_capture_on_commit_callbacks(execute=True):
            statuses = [
                collect(script, payload(demo, meeting))[0],
                collect(script, payload(demo))[0],
                identify(script, _unsigned(tracked_site, lead.email))[0],
                identify(script, _signed_with_another_secret(tracked_site, lead.email))[
                    0
                ],
            ]
    lead.refresh_from_db()
    assert (lead.score_total, lead.band) == (36, "cold")
    assert not Task.objects.filter(lead=lead).exists()
    assert not Event.objects.filter(lead=lead).exists()
    assert Visitor.objects.get().lead is None
    assert statuses == [400, 200, 400, 403]


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


def test_a_stitched_visitors_events_go_through_the_pipeline(
    tracked_site: TrackedSite, browser: Client
) -> None:
    """As every way in: stored once, the account rolled up, the lead rescored."""
    lead = LeadFactory.create()
    assert lead.company is not None
    stitch_visitor(
        Visitor.objects.create(
            visitor_id=VISITOR_ID,
            site=tracked_site,
            consented_at=timezone.now(),
            first_seen_at=timezone.now(),
            last_seen_at=timezone.now(),
        ),
        lead,
        now=timezone.now(),
    )
    assert collect(browser, payload(page_view("/prijzen")))[0] == 200
    assert collect(browser, payload(page_view("/prijzen")))[1] == {
        "stored": 0,
        "duplicates": 1,
    }

    event = Event.objects.get(lead=lead)
    assert (event.type, event.source) == ("page_view", "tracker")
    lead.company.refresh_from_db()
    assert lead.company.account_scored_at is not None
    assert Score.objects.filter(lead=lead, trigger="tracker").count() == 1


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
    # The form's own form_submit event (its answers), stored once.
    assert types == ["page_view", "form_submit"]
    assert set(Event.objects.values_list("source", flat=True)) == {"tracker", "form"}
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


def test_the_python_snippet_in_the_docs_signs_a_token_leadqual_accepts(
    tracked_site: TrackedSite,
    browser: Client,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    """docs/tracking.md tells site owners how to sign; that recipe must work."""
    docs = (Path(__file__).resolve().parents[2] / "docs" / "tracking.md").read_text()
    snippet = re.search(r"```python\n(.*?)```", docs, re.DOTALL)
    assert snippet is not None
    namespace: dict[str, object] = {}
    exec(snippet.group(1), namespace)  # Our own documentation.
    sign = namespace["leadqual_identify_token"]
    assert callable(sign)
    monkeypatch.setenv("LEADQUAL_IDENTIFY_SECRET", tracked_site.identify_secret)
    lead = LeadFactory.create(email="jan@bakker-software.nl")
    collect(browser, payload())
    body = {
        "visitor_id": VISITOR_ID,
        "consent": True,
        "email": lead.email,
        "token": sign(VISITOR_ID, lead.email),
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert identify(browser, json.dumps(body))[0] == 202
    assert Visitor.objects.get().lead == lead


def test_each_site_has_its_own_identify_secret_shown_to_admins(
    admin_client: Client,
) -> None:
    first = TrackedSite.objects.create(name="Bakker", origin=ORIGIN)
    second = TrackedSite.objects.create(name="Oud", origin="https://oud.bakker.nl")
    assert len(first.identify_secret) >= 43
    assert first.identify_secret != second.identify_secret

    page = admin_client.get(f"/admin/intake/trackedsite/{first.pk}/change/")

    assert page.status_code == 200
    assert first.identify_secret in page.content.decode()


def test_an_admin_renews_a_leaked_identify_secret(
    tracked_site: TrackedSite,
    browser: Client,
    admin_client: Client,
) -> None:
    """Tokens signed with the old secret are refused from then on."""
    old_body = signed(tracked_site, "jan@bakker-software.nl")
    response = admin_client.post(
        "/admin/intake/trackedsite/",
        {"action": "renew_identify_secret", "_selected_action": [tracked_site.pk]},
    )
    assert response.status_code == 302
    old_secret = tracked_site.identify_secret
    tracked_site.refresh_from_db()
    assert tracked_site.identify_secret != old_secret
    assert identify(browser, old_body)[0] == 403
    assert identify(browser, signed(tracked_site, "jan@bakker-software.nl"))[0] == 202
