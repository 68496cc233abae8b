"""Error pages in Chromium (#12): a missing lead and a refused page keep the app.

A seller opens a lead that does not exist (404) and the imports page, which
is for marketing (403). Each time the page has the app's menu, says what
happened in the browser's language, and its button leads back to the queue.
The console shows nothing but Chromium's line for the failed page itself.
Screenshots: test-artifacts/screenshots/error-*.png.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import ConsoleMessage, ViewportSize, expect

from leadqual.users.roles import Role
from tests.browser.helpers import DESKTOP, PHONE, Site, fits_the_width, screenshot
from tests.factories import make_user

pytestmark = pytest.mark.browser

SIZES: dict[str, tuple[ViewportSize, bool]] = {
    "desktop": (DESKTOP, False),
    "phone": (PHONE, True),
}
TEXT = {
    "en-GB": {
        404: "Page not found",
        403: "You may not open this page",
        "way_on": "Go to your queue",
        "queue": "Queue",
    },
    "nl-NL": {
        404: "Pagina niet gevonden",
        403: "Je mag deze pagina niet openen",
        "way_on": "Naar je wachtrij",
        "queue": "Wachtrij",
    },
}
STATUS_TEXT = {404: "Not Found", 403: "Forbidden"}
VARIANTS = [(size, locale) for size in SIZES for locale in TEXT]


@pytest.mark.parametrize("status", [404, 403])
@pytest.mark.parametrize(("size", "locale"), VARIANTS)
def test_an_error_page_keeps_the_menu_and_leads_back_to_the_queue(
    site: Site, size: str, locale: str, status: int
) -> None:
    viewport, is_mobile = SIZES[size]
    seller = make_user("sanne", role=Role.SALES)
    page = site.signed_in_page(
        seller, locale=locale, viewport=viewport, is_mobile=is_mobile
    )
    console_errors: list[str] = []

    def note_error(message: ConsoleMessage) -> None:
        if message.type == "error":
            console_errors.append(message.text)

    page.on("console", note_error)
    url = "/leads/999999/" if status == 404 else reverse("imports:upload")

    response = page.goto(url)

    assert response is not None and response.status == status
    text = TEXT[locale]
    expect(page.get_by_role("heading", level=1)).to_have_text(str(text[status]))
    expect(page.locator("#nav-queue")).to_contain_text(str(text["queue"]))
    expect(page).to_have_title(f"{text[status]} · leadqual")
    assert fits_the_width(page), f"the {status} page scrolls sideways on a phone"
    screenshot(page, f"error-{status}-{size}-{locale}")
    assert console_errors == [
        f"Failed to load resource: the server responded with a status of {status} "
        f"({STATUS_TEXT[status]})"
    ]

    page.get_by_role("link", name=str(text["way_on"])).click()
    page.wait_for_load_state()

    assert page.url == f"{site.url}{reverse('triage:queue')}"
    site.assert_clean()


@pytest.mark.parametrize(("size", "locale"), VARIANTS)
def test_the_admins_full_menu_fits_the_screen(
    site: Site, size: str, locale: str
) -> None:
    """The longest menu (admin: fourteen links and the account) needs no sideways scroll."""
    viewport, is_mobile = SIZES[size]
    admin = make_user("admin", role=Role.ADMIN)
    page = site.signed_in_page(
        admin, locale=locale, viewport=viewport, is_mobile=is_mobile
    )

    page.goto("/")

    menu = page.locator(".mainnav a")
    expect(menu).to_have_count(14)
    expect(page.locator("#nav-account")).to_have_text("admin")
    assert fits_the_width(page), "the admin's menu scrolls sideways"
    screenshot(page, f"error-admin-menu-{size}-{locale}")
    site.assert_clean()
