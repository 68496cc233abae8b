"""The lead page as a salesperson uses it (issue #12, items 3 and 7), in Chromium.

Every journey runs at desktop (1280×800) and phone (390×844) size, in English
and in Dutch. Screenshots of what is visible without scrolling are kept in
test-artifacts/screenshots/lead-page-*.png.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Locator, Page, ViewportSize, expect

from leadqual.core.lifecycle import Decision, LeadStatus, OutcomeKind
from leadqual.intake.pipeline import RawEvent, submit_events, submit_lead
from leadqual.leads.models import Lead
from leadqual.triage.models import Note
from leadqual.triage.services import record_feedback, record_outcome
from leadqual.users.roles import Role
from tests.browser.helpers import SCREENSHOTS, Site, fits_the_width
from tests.factories import make_user

pytestmark = pytest.mark.browser

DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
DUTCH_CATALOG = SCREENSHOTS.parents[1] / "src/leadqual/locale/nl/LC_MESSAGES/django.mo"
SIZES = {"desktop": DESKTOP, "phone": PHONE}
LOCALES = {"en": "en-GB", "nl": "nl-NL"}
# Every combination of size and language.
VARIANTS = [
    pytest.param(size, language, id=f"{size}-{language}")
    for size in SIZES
    for language in LOCALES
]


def _translator(language: str) -> Callable[[str], str]:
    if language == "en":
        return lambda text: text
    with DUTCH_CATALOG.open("rb") as catalog:
        translations = gettext.GNUTranslations(catalog)
    return translations.gettext


def _seller() -> User:
    return make_user("sanne", role=Role.SALES)


def _lead_with_history(email: str = "kees@bouwbedrijf.nl") -> Lead:
    """A hot lead with forty signals: a long page, as real leads have."""
    now = timezone.now() - timedelta(hours=2)
    lead = submit_lead(
        email,
        {
            "first_name": "Kees",
            "last_name": "Bakker",
            "company": "Bouwbedrijf Bakker en Zonen B.V.",
            "phone": "+31 6 12345678",
            "sector": "software",
            "employees": "25",
            "budget_euros": "40000",
            "urgency": "immediate",
        },
        now=now,
    ).lead
    events = [
        RawEvent(
            email,
            "page_view",
            (now + timedelta(minutes=index)).isoformat(),
            {"url": f"https://example.nl/pagina-{index}", "title": f"Pagina {index}"},
            f"pv-{index}",
        )
        for index in range(40)
    ]
    events.append(RawEvent(email, "demo_request", now.isoformat(), {}, "demo"))
    submit_events(events, now=now + timedelta(minutes=41), source="api")
    lead.refresh_from_db()
    return lead


def _won(lead: Lead, seller: User) -> None:
    now = timezone.now() - timedelta(minutes=30)
    record_feedback(lead, Decision.ACCEPTED, reason=None, given_by=seller, now=now)
    record_outcome(
        lead,
        OutcomeKind.WON,
        value_cents=2_500_000,
        recorded_by=seller,
        now=now + timedelta(minutes=1),
    )


def _view(page: Page, name: str) -> None:
    """Keep what a person sees without scrolling: the viewport, not the full page."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"lead-page-{name}.png")


def _in_view(page: Page, locator: Locator) -> None:
    """The element is wholly inside the viewport as the page stands."""
    box = locator.bounding_box()
    viewport = page.viewport_size
    assert box is not None and viewport is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], (
        f"{locator} is at y={box['y']:.0f}..{box['y'] + box['height']:.0f}, "
        f"outside the {viewport['height']} px viewport"
    )
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] + 1


def _scroll_to_top_of(page: Page, selector: str) -> None:
    """Scroll the element to the top, once the browser has stopped scrolling on its own.

    A form's answer loads the page again at the same address, and Chromium then
    restores the earlier scroll position when the load ends: a scroll made before
    that is undone, which made this check fail now and then.
    """
    page.wait_for_load_state("load")
    page.locator(selector).evaluate("e => e.scrollIntoView({block: 'start'})")
    # Two animation frames: any scroll still pending has been applied by then.
    page.evaluate(
        "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
    )


def _open(site: Site, user: User, lead: Lead, size: str, language: str) -> Page:
    page = site.signed_in_page(
        user,
        locale=LOCALES[language],
        viewport=SIZES[size],
        is_mobile=size == "phone",
    )
    page.goto(f"/leads/{lead.pk}/")
    return page


# --- 2. the action bar: the next action without scrolling, also after scrolling -------


@pytest.mark.parametrize(("size", "language"), VARIANTS)
def test_the_next_actions_are_on_top_and_stay_there(
    site: Site, size: str, language: str
) -> None:
    _ = _translator(language)
    seller = _seller()
    lead = _lead_with_history()
    page = _open(site, seller, lead, size, language)

    bar = page.locator("#action-bar")
    for button in ("#bar-call", "#bar-mail", "#bar-contact-made", "#bar-accept"):
        _in_view(page, page.locator(button))
    expect(page.locator("#bar-call")).to_have_attribute("href", "tel:+31612345678")
    expect(page.locator("#bar-contact-made")).to_have_text(_("Contact made"))
    expect(page.locator("#bar-accept")).to_have_text(_("Accept"))
    assert fits_the_width(page)
    _view(page, f"top-{size}-{language}")

    page.locator("#timeline").scroll_into_view_if_needed()
    page.mouse.wheel(0, 20_000)
    page.wait_for_function("() => window.scrollY > 500")
    _in_view(page, bar)
    _in_view(page, page.locator("#bar-accept"))
    _view(page, f"scrolled-{size}-{language}")

    page.locator("#bar-contact-made").click()
    expect(page.locator("#bar-contact-made")).to_have_count(0)
    expect(page.locator(".timeline-sales").first).to_contain_text(
        _("First contact made")
    )


# --- 1. a won lead is reopened explicitly, with confirmation and undo ----------------


@pytest.mark.parametrize(("size", "language"), VARIANTS)
def test_a_won_lead_is_reopened_with_confirmation_and_undo(
    site: Site, size: str, language: str
) -> None:
    _ = _translator(language)
    seller = _seller()
    lead = _lead_with_history()
    _won(lead, seller)
    page = _open(site, seller, lead, size, language)

    expect(page.locator("#action-bar-status")).to_have_text(_("Won"))
    expect(page.locator("#bar-accept")).to_have_count(0)
    expect(page.locator("#feedback button")).to_have_count(0)
    _in_view(page, page.locator("#bar-reopen"))
    _view(page, f"won-{size}-{language}")

    page.locator("#bar-reopen").click()
    page.locator("#reopen-submit").click()
    expect(page.locator("#reopen-error")).to_be_visible()
    _view(page, f"reopen-confirm-{size}-{language}")
    page.locator("#reopen-confirm").check()
    page.locator("#reopen-submit").click()

    expect(page.locator("#action-bar-status")).to_have_text(_("Accepted"))
    _in_view(page, page.locator("#bar-undo-reopen"))
    expect(page.locator("#outcome-list .reopened")).to_have_count(1)
    _view(page, f"reopened-{size}-{language}")

    page.locator("#bar-undo-reopen").click()
    expect(page.locator("#action-bar-status")).to_have_text(_("Won"))
    lead.refresh_from_db()
    assert lead.status == LeadStatus.WON


# --- 3. notes and calls on one timeline ------------------------------------------------


@pytest.mark.parametrize(("size", "language"), VARIANTS)
def test_a_note_and_a_call_come_first_on_the_timeline(
    site: Site, size: str, language: str
) -> None:
    _ = _translator(language)
    seller = _seller()
    lead = _lead_with_history()
    page = _open(site, seller, lead, size, language)

    page.locator("#bar-note").click()
    page.locator("#note-body").fill("Wil in januari een demo voor het hele team.")
    page.locator("#note-save").click()
    page.locator("#call-voicemail").click()

    items = page.locator("#timeline li")
    expect(items.nth(0)).to_contain_text(f"{_('Phone call')}: {_('Voicemail')}")
    expect(items.nth(1)).to_contain_text("Wil in januari een demo")
    assert Note.objects.filter(lead=lead).count() == 2
    # The timeline's top, just below the sticky bar (scroll-margin-top).
    _scroll_to_top_of(page, "#timeline")
    _in_view(page, items.nth(0))
    _view(page, f"timeline-{size}-{language}")

    # Accepting in the feedback panel (htmx) updates the bar on top as well.
    page.locator("#feedback .btn-ok").click()
    expect(page.locator("#action-bar-status")).to_have_text(_("Accepted"))
    expect(page.locator("#bar-accept")).to_have_count(0)


# --- 4. owner and corrections ------------------------------------------------------------


@pytest.mark.parametrize(("size", "language"), VARIANTS)
def test_an_admin_reassigns_and_a_seller_corrects_a_field(
    site: Site, size: str, language: str
) -> None:
    _ = _translator(language)
    seller = _seller()
    colleague = make_user("pieter", role=Role.SALES)
    colleague.first_name, colleague.last_name = "Pieter", "Smit"
    colleague.save()
    admin = make_user("annet", role=Role.ADMIN)
    lead = _lead_with_history()
    Lead.objects.filter(pk=lead.pk).update(owner=seller)

    page = _open(site, admin, lead, size, language)
    page.locator("#owner-select").select_option(label="Pieter Smit")
    page.locator("#owner-save").click()
    expect(page.locator("#owner-name")).to_have_text("Pieter Smit")
    _view(page, f"reassigned-{size}-{language}")
    lead.refresh_from_db()
    assert lead.owner_id == colleague.pk

    page = _open(site, colleague, lead, size, language)
    page.locator("#correct-link").click()
    page.locator("#correct-phone").fill("12")
    page.locator("#correct-employees").fill("1.200")
    page.locator("#correct-save").click()
    expect(page.locator("#correct-phone-error")).to_be_visible()
    _view(page, f"correct-error-{size}-{language}")
    page.locator("#correct-phone").fill("06 87654321")
    page.locator("#correct-save").click()
    expect(page.locator(".messages")).to_contain_text(_("Employees").lower())
    expect(page.locator("#timeline li").first).to_contain_text(_("Fields corrected"))
    lead.refresh_from_db()
    assert (lead.phone, lead.employees) == ("+31687654321", 1200)
