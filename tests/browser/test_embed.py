"""The intake form embedded on a customer's website, as a visitor meets it, in Chromium.

A small "customer site" runs on a second local port (another origin, as a
real site would be) and holds the embed code exactly as the admin copies it
from /form/embed-code/. The iframe shows the form without leadqual's top bar
and is as tall as its content, also after field errors and on the thank-you
page; messages from anyone but that frame resize nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ElementHandle, Frame, Page, ViewportSize, expect

from leadqual.intake.views import EMBED_FALLBACK_HEIGHT
from leadqual.leads.models import Lead
from leadqual.users.roles import Role
from tests.browser.helpers import DESKTOP, PHONE, Site, screenshot
from tests.factories import make_user

pytestmark = pytest.mark.browser

HOST_PAGE = """<!doctype html>
<html lang="nl"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Contact - Bakker Software</title></head>
<body style="margin: 0; font-family: Georgia, serif; background: #fdf6e3;">
<header style="background: #7a3e00; color: #fff; padding: 1rem;">
  <strong>Bakker Software</strong> &middot; Home &middot; Prijzen &middot; Contact
</header>
<div style="padding: 1rem;">
<h1>Neem contact op</h1>
<p>Vertel ons over je bedrijf; we bellen je binnen een werkdag.</p>
{snippet}
<h2 id="below">Over Bakker Software</h2>
<p>{filler}</p>
</div>
{extra}
</body></html>
"""
FILLER = "Wij bouwen planningssoftware voor groothandels en logistiek. " * 40
# A frame of yet another origin on the customer's page (an ad, a widget) that
# posts leadqual's message shape with heights of its own.
HOSTILE_FRAME = '<iframe src="{hostile_origin}/widget" title="Widget"></iframe>'
HOSTILE_WIDGET = """<!doctype html><html><body><p>Widget</p><script>
setInterval(function () {
  parent.postMessage({type: "leadqual:form-height", height: 40, loaded: true}, "*");
  parent.postMessage({type: "leadqual:form-height", height: 9000}, "*");
}, 20);
</script></body></html>
"""
SIZES: dict[str, tuple[ViewportSize, bool]] = {
    "desktop": (DESKTOP, False),
    "phone": (PHONE, True),
}
THANK_YOU = {"en-GB": "Thank you", "nl-NL": "Bedankt"}
VISITOR_EMAIL = "jan.devries@bakker-software.nl"


@dataclass(frozen=True)
class CustomerSite:
    url: str
    # The same server under another name: another origin again.
    other_origin: str
    pages: dict[str, str]


def _handler(pages: dict[str, str]) -> type[BaseHTTPRequestHandler]:
    class Pages(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            page = pages.get(urlsplit(self.path).path)
            if page is None:
                self.send_error(404)
                return
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
    """The customer's website on its own port; pages are added by the test."""
    pages: dict[str, str] = {"/widget": HOSTILE_WIDGET}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(pages))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    customer = CustomerSite(
        url=f"http://127.0.0.1:{port}",
        other_origin=f"http://localhost:{port}",
        pages=pages,
    )
    site.allow_origin(customer.url)
    site.allow_origin(customer.other_origin)
    try:
        yield customer
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def copied_embed_code(site: Site) -> str:
    """The snippet as the admin copies it from the embed code page."""
    page = site.signed_in_page(make_user("ada", role=Role.ADMIN))
    page.goto("/form/embed-code/")
    snippet = page.locator("#embed-snippet").inner_text()
    screenshot(page, "embed-code-page")
    page.close()
    assert "data-leadqual-form" in snippet
    return snippet


def publish_host_page(customer: CustomerSite, snippet: str, *, extra: str = "") -> str:
    customer.pages["/contact"] = HOST_PAGE.format(
        snippet=snippet, filler=FILLER, extra=extra
    )
    return f"{customer.url}/contact"


def form_frame(page: Page) -> tuple[ElementHandle, Frame]:
    element = page.locator("iframe[data-leadqual-form]").element_handle()
    frame = element.content_frame()
    assert frame is not None
    return element, frame


def frame_fit(element: ElementHandle, frame: Frame) -> tuple[int, int, int]:
    """(iframe height, framed document's scrollHeight, its content height) in px."""
    iframe_height = element.evaluate("(iframe) => iframe.clientHeight")
    scroll_height, content_height = frame.evaluate(
        "() => [document.documentElement.scrollHeight,"
        " Math.ceil(document.documentElement.getBoundingClientRect().height)]"
    )
    return int(iframe_height), int(scroll_height), int(content_height)


def wait_until_fitting(element: ElementHandle, frame: Frame) -> int:
    """Wait until the iframe is exactly as tall as its content; returns that height.

    The frame reports its height by postMessage and the host script sets it:
    a few frames of delay, never more than a second in practice.
    """
    deadline = time.monotonic() + 5
    while True:
        iframe_height, scroll_height, content_height = frame_fit(element, frame)
        if iframe_height == content_height and scroll_height <= iframe_height:
            return iframe_height
        if time.monotonic() > deadline:
            pytest.fail(
                f"The iframe is {iframe_height}px tall, its content "
                f"{content_height}px (scrollHeight {scroll_height}px)."
            )
        time.sleep(0.05)


def assert_inside_the_frame(
    element: ElementHandle, frame: Frame, selector: str
) -> None:
    """The element shows within the iframe's box: nothing to scroll to inside it."""
    outer = element.bounding_box()
    inner = frame.locator(selector).bounding_box()
    assert outer is not None and inner is not None
    assert inner["y"] >= outer["y"]
    assert inner["y"] + inner["height"] <= outer["y"] + outer["height"]


def screenshot_host_page(page: Page, name: str) -> None:
    """A screenshot of the whole host page, the frame's content painted in full.

    Chromium's full-page screenshot with phone emulation paints a
    cross-origin iframe only as far as the original viewport reached, so the
    viewport is made as tall as the page for the shot.
    """
    viewport = page.viewport_size
    assert viewport is not None
    height = page.evaluate("() => document.documentElement.scrollHeight")
    page.set_viewport_size({"width": viewport["width"], "height": int(height)})
    try:
        screenshot(page, name)
    finally:
        page.set_viewport_size(viewport)


def frame_scrolls(frame: Frame) -> bool:
    scrolls = frame.evaluate(
        "() => document.documentElement.scrollHeight > window.innerHeight"
        " || document.documentElement.scrollWidth > window.innerWidth"
    )
    assert isinstance(scrolls, bool)
    return scrolls


@pytest.mark.parametrize("locale", ["nl-NL", "en-GB"])
@pytest.mark.parametrize("size", list(SIZES))
def test_the_embedded_form_fits_its_frame_through_errors_and_thanks(
    site: Site, customer_site: CustomerSite, locale: str, size: str
) -> None:
    viewport, is_mobile = SIZES[size]
    host_url = publish_host_page(customer_site, copied_embed_code(site))
    page = site.new_page(locale=locale, viewport=viewport, is_mobile=is_mobile)
    page.goto(host_url)
    element, frame = form_frame(page)
    frame.wait_for_load_state()

    empty_height = wait_until_fitting(element, frame)
    name = f"embed-{size}-{locale}"
    screenshot_host_page(page, f"{name}-1-form")
    assert frame.locator(".topbar, .mainnav, .language-switch").count() == 0
    assert frame.locator("html").get_attribute("lang") == locale.split("-")[0]
    assert not frame_scrolls(frame)
    assert_inside_the_frame(element, frame, "#id_consent")
    assert_inside_the_frame(element, frame, "button[type=submit]")
    # Without JavaScript the frame keeps the embed code's height: enough.
    assert empty_height <= EMBED_FALLBACK_HEIGHT

    frame.locator("#id_first_name").fill("Jan")
    frame.locator("#id_last_name").fill("de Vries")
    frame.locator("#id_email").fill("jan.devries@")
    frame.locator("#id_company").fill("Bakker Software B.V.")
    frame.locator("#id_sector").select_option("software")
    frame.locator("#id_employees").select_option("10-49")
    frame.locator("#id_budget").select_option("gt-25000")
    frame.locator("#id_urgency").select_option("immediate")
    frame.locator("#id_consent").check()
    frame.locator("button[type=submit]").click()

    expect(frame.locator("#id_email_error")).to_be_visible()
    error_height = wait_until_fitting(element, frame)
    screenshot_host_page(page, f"{name}-2-error")
    assert error_height > empty_height
    assert not frame_scrolls(frame)
    assert_inside_the_frame(element, frame, "button[type=submit]")
    assert not Lead.objects.exists()

    frame.locator("#id_email").fill(VISITOR_EMAIL)
    frame.locator("#id_consent").check()
    # Scrolled down the customer's page to the button, as a visitor is.
    frame.locator("button[type=submit]").scroll_into_view_if_needed()
    frame.locator("button[type=submit]").click()

    thanks = frame.get_by_role("heading", name=THANK_YOU[locale])
    expect(thanks).to_be_visible()
    thanks_height = wait_until_fitting(element, frame)
    # The visitor sent it from the bottom of the form, scrolled far past the
    # top of the much shorter thank-you page: the host script brings it back.
    expect(thanks).to_be_in_viewport()
    screenshot_host_page(page, f"{name}-3-thanks")
    assert thanks_height < empty_height / 3
    assert frame.locator(".topbar").count() == 0
    lead = Lead.objects.get()
    assert (lead.email, lead.source) == (VISITOR_EMAIL, "website")
    site.assert_clean()


def test_messages_from_other_frames_and_the_page_resize_nothing(
    site: Site, customer_site: CustomerSite
) -> None:
    """Only leadqual's own frame sets the height, and only a clamped number."""
    hostile = HOSTILE_FRAME.format(hostile_origin=customer_site.other_origin)
    host_url = publish_host_page(customer_site, copied_embed_code(site), extra=hostile)
    page = site.new_page(locale="nl-NL")
    page.goto(host_url)
    element, frame = form_frame(page)
    frame.wait_for_load_state()
    fitted = wait_until_fitting(element, frame)
    # The customer's page itself, or a script on it, posting the same shape.
    page.evaluate(
        "() => window.postMessage({type: 'leadqual:form-height', height: 60}, '*')"
    )
    page.wait_for_timeout(500)  # the widget posts every 20 ms meanwhile

    assert element.evaluate("(iframe) => iframe.clientHeight") == fitted

    # leadqual's frame itself: a height that is no number is ignored, an
    # absurd one is clamped.
    frame.evaluate(
        "() => parent.postMessage({type: 'leadqual:form-height', height: '60'}, '*')"
    )
    page.wait_for_timeout(200)
    assert element.evaluate("(iframe) => iframe.clientHeight") == fitted
    frame.evaluate(
        "() => parent.postMessage({type: 'leadqual:form-height', height: 1e9}, '*')"
    )
    page.wait_for_function(
        "() => document.querySelector('iframe[data-leadqual-form]').clientHeight"
        " === 8000"
    )
    site.assert_clean()


@pytest.mark.parametrize("size", list(SIZES))
def test_without_javascript_the_embed_code_still_shows_a_working_form(
    site: Site, customer_site: CustomerSite, size: str
) -> None:
    """The iframe keeps the embed code's height; the form posts as a plain page."""
    viewport, is_mobile = SIZES[size]
    host_url = publish_host_page(customer_site, copied_embed_code(site))
    page = site.new_page(
        locale="nl-NL", viewport=viewport, is_mobile=is_mobile, javascript=False
    )
    page.goto(host_url)
    element, frame = form_frame(page)
    frame.wait_for_load_state()

    iframe_height, _scroll_height, content_height = frame_fit(element, frame)
    assert iframe_height == EMBED_FALLBACK_HEIGHT
    assert content_height <= EMBED_FALLBACK_HEIGHT
    assert frame.locator(".topbar").count() == 0
    screenshot_host_page(page, f"embed-{size}-nl-NL-without-javascript")

    frame.locator("#id_email").fill(VISITOR_EMAIL)
    frame.locator("#id_budget").select_option("gt-25000")
    frame.locator("#id_consent").check()
    frame.locator("button[type=submit]").click()

    expect(frame.get_by_role("heading", name="Bedankt")).to_be_visible()
    assert frame.url.endswith("/form/embed/thanks/")
    assert frame.locator(".topbar").count() == 0
    assert Lead.objects.get().source == "website"
    site.assert_clean()
