"""Website tracking as a visitor meets it: a customer's site with /t.js, in Chromium.

A small "customer site" runs on a second local port (another origin, as a
real site would be). Before the visitor accepts cookies nothing is sent and
nothing is stored; after, their pricing-page views follow them into the form
and show on the lead's timeline and in its intent score.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, Request, Route, expect

from leadqual.intake.models import TrackedSite, Visitor, VisitorEvent
from leadqual.leads.models import Event, Lead
from leadqual.scoring.models import Score
from leadqual.users.roles import Role
from tests.browser.helpers import Site, screenshot
from tests.factories import LeadFactory, make_user

pytestmark = pytest.mark.browser

VISITOR_EMAIL = "jan.devries@bakker-software.nl"
PAGE = """<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><title>{title}</title>
<script src="{leadqual}/t.js" defer></script></head>
<body>
<h1>{title}</h1>
<div id="cookie-banner">
  <p>Wij gebruiken cookies om ons aanbod te verbeteren.</p>
  <button id="accept" type="button" onclick="window.leadqual.consent()">Cookies accepteren</button>
</div>
<nav><a href="/">Home</a> <a href="/prijzen">Prijzen</a>
<a id="contact" href="{leadqual}/form/?source=website">Neem contact op</a></nav>
</body></html>
"""
TITLES = {"/": "Bakker Software", "/prijzen": "Prijzen - Bakker Software"}
# The customer's "my account" page: its backend knows who is logged in, signs
# an identify token over the visitor's lq_vid cookie, and the page passes it on.
ACCOUNT_PAGE = """<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><title>Mijn account</title>
<script src="{leadqual}/t.js" defer></script>
<script>window.account = {{email: "{email}", token: "{token}"}};</script>
</head><body><h1>Mijn account</h1></body></html>
"""


@dataclass(frozen=True)
class CustomerSite:
    url: str


def _signed_account_page(leadqual_url: str, secret: str, cookie: str) -> str:
    """What the customer's backend renders, signing as docs/tracking.md says."""
    cookies = dict(
        part.strip().split("=", 1) for part in cookie.split(";") if "=" in part
    )
    visitor_id = cookies.get("lq_vid", "")
    expires = int(time.time()) + 3600
    message = f"{visitor_id}|{VISITOR_EMAIL}|{expires}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return ACCOUNT_PAGE.format(
        leadqual=leadqual_url, email=VISITOR_EMAIL, token=f"{expires}.{digest}"
    )


def _handler(leadqual_url: str, secret: str) -> type[BaseHTTPRequestHandler]:
    class Pages(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            title = TITLES.get(path)
            if path == "/account":
                page = _signed_account_page(
                    leadqual_url, secret, self.headers.get("Cookie", "")
                )
            elif title is None:
                self.send_error(404)
                return
            else:
                page = PAGE.format(title=title, leadqual=leadqual_url)
            body = page.encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return  # Keep the test output quiet.

    return Pages


@pytest.fixture
def customer_site(site: Site) -> Iterator[CustomerSite]:
    """The customer's website on its own port, registered as a tracked site."""
    tracked = TrackedSite.objects.create(name="Bakker Software", origin="pending")
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), _handler(site.url, tracked.identify_secret)
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    tracked.origin = url
    tracked.save(update_fields=["origin"])
    try:
        yield CustomerSite(url=url)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _visitor_page(site: Site, customer: CustomerSite) -> tuple[Page, list[str]]:
    """A fresh browser that may also reach the customer site; and its tracker requests."""
    page = site.new_page(locale="nl-NL")
    # Page routes win over the context's "live server only" route.
    page.route(f"{customer.url}/**", lambda route: _continue(route))
    sent: list[str] = []

    def note(request: Request) -> None:
        if "/t/" in request.url:
            sent.append(request.url)

    page.on("request", note)
    return page, sent


def _continue(route: Route) -> None:
    route.continue_()


def _open(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_function("() => window.leadqual !== undefined")


def _view_tracked(page: Page, url: str) -> None:
    """Open a page of the customer site and wait until leadqual stored its view."""
    with page.expect_response(
        lambda response: (
            response.url.endswith("/t/collect") and response.request.method == "POST"
        )
    ) as answer:
        page.goto(url)
    assert answer.value.status == 200


def _fill_form(page: Page) -> None:
    page.locator("#id_first_name").fill("Jan")
    page.locator("#id_last_name").fill("de Vries")
    page.locator("#id_email").fill(VISITOR_EMAIL)
    page.locator("#id_company").fill("Bakker Software B.V.")
    page.locator("#id_sector").select_option("software")
    page.locator("#id_employees").select_option("10-49")
    page.locator("#id_budget").select_option("gt-25000")
    page.locator("#id_urgency").select_option("immediate")
    page.locator("#id_consent").check()


def test_without_consent_nothing_is_sent_or_stored(
    site: Site, customer_site: CustomerSite
) -> None:
    """The script loads, but sends nothing and sets no cookie before consent."""
    page, sent = _visitor_page(site, customer_site)
    _open(page, f"{customer_site.url}/")
    _open(page, f"{customer_site.url}/prijzen")
    page.locator("#contact").click()
    page.wait_for_url(f"{site.url}/form/**")
    screenshot(page, "20-tracking-form-without-consent")

    assert sent == []
    assert "lq_vid" not in page.url
    assert not Visitor.objects.exists()
    assert not VisitorEvent.objects.exists()
    cookies = page.context.cookies(customer_site.url)
    assert [cookie["name"] for cookie in cookies] == []
    site.assert_clean()


def test_pricing_views_before_the_form_are_stitched_and_scored(
    site: Site, customer_site: CustomerSite
) -> None:
    """Accept cookies, view the pricing page twice, send the form: the lead has it all."""
    page, sent = _visitor_page(site, customer_site)
    _open(page, f"{customer_site.url}/")
    screenshot(page, "20-tracking-site-banner")
    assert sent == []
    with page.expect_response(lambda response: response.url.endswith("/t/collect")):
        page.locator("#accept").click()
    cookies = {c["name"]: c["value"] for c in page.context.cookies(customer_site.url)}
    visitor_id = cookies["lq_vid"]
    assert len(visitor_id) == 32

    _view_tracked(page, f"{customer_site.url}/prijzen")
    _view_tracked(page, f"{customer_site.url}/prijzen")
    screenshot(page, "21-tracking-pricing-page")

    page.locator("#contact").click()
    page.wait_for_url(f"{site.url}/form/**")
    assert parse_qs(urlsplit(page.url).query)["lq_vid"] == [visitor_id]
    _fill_form(page)
    screenshot(page, "22-tracking-form")
    page.locator("#lead-form").get_by_role("button").click()
    page.wait_for_url("**/form/thanks/")

    lead = Lead.objects.get(email=VISITOR_EMAIL)
    assert Visitor.objects.get(visitor_id=visitor_id).lead == lead
    events = list(Event.objects.filter(lead=lead).order_by("occurred_at", "id"))
    assert [(event.type, event.properties.get("url")) for event in events] == [
        ("page_view", f"{customer_site.url}/"),
        ("page_view", f"{customer_site.url}/prijzen"),
        ("page_view", f"{customer_site.url}/prijzen"),
        # The form's own event (with its answers), stored once.
        ("form_submit", None),
    ]
    score = Score.objects.filter(lead=lead).latest("computed_at", "id")
    reasons = [str(hit["reason"]) for hit in score.explanation]
    assert any(reason.startswith("Viewed the pricing page") for reason in reasons)

    admin = make_user("beheer", role=Role.ADMIN)
    lead_page = site.signed_in_page(admin)
    lead_page.goto(f"/leads/{lead.pk}/")
    items = lead_page.locator("#timeline ol.timeline > li")
    expect(items).to_have_count(4)
    expect(items.nth(0)).to_contain_text("Form submitted")
    for position in (1, 2):
        expect(items.nth(position)).to_contain_text("Page view")
        expect(items.nth(position)).to_contain_text(f"{customer_site.url}/prijzen")
    expect(lead_page.locator("#score-breakdown")).to_contain_text(
        "Viewed the pricing page"
    )
    screenshot(lead_page, "23-tracking-lead-timeline")
    site.assert_clean()


def test_a_signed_identify_from_the_sites_account_page_stitches_the_visits(
    site: Site, customer_site: CustomerSite
) -> None:
    """The customer's backend signs identify; the visits join the existing lead."""
    lead = LeadFactory.create(email=VISITOR_EMAIL)
    page, _sent = _visitor_page(site, customer_site)
    _open(page, f"{customer_site.url}/")
    with page.expect_response(lambda response: response.url.endswith("/t/collect")):
        page.locator("#accept").click()
    _view_tracked(page, f"{customer_site.url}/prijzen")

    # Django's live server shares one in-memory SQLite connection between
    # its threads, so the account page's own view is awaited first.
    _view_tracked(page, f"{customer_site.url}/account")
    with page.expect_response(
        lambda response: (
            response.url.endswith("/t/identify") and response.request.method == "POST"
        )
    ) as answer:
        page.evaluate(
            "() => window.leadqual.identify(window.account.email, window.account.token)"
        )
    assert answer.value.status == 202

    # The stitch ran after the identify's commit, before its answer (Huey
    # is immediate in the tests; a worker does it in production).
    assert Visitor.objects.get().lead == lead
    urls = set(
        Event.objects.filter(lead=lead, source="tracker").values_list(
            "properties__url", flat=True
        )
    )
    # The account page's own view may arrive before or after the identify.
    assert {f"{customer_site.url}/", f"{customer_site.url}/prijzen"} <= urls
    site.assert_clean()
