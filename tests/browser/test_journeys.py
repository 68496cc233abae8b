"""The journeys of issue 3, as people click them in Chromium.

A Dutch visitor sends the website form; the salesperson finds the lead at the
top of the queue, qualifies and accepts it; marketing sees it in the KPIs.
Every page visited is kept as a screenshot in test-artifacts/screenshots/.
"""

from __future__ import annotations

import gettext
import re

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from leadqual.intake.pipeline import RawEvent, submit_events, submit_lead
from leadqual.leads.models import Lead
from leadqual.triage.models import Feedback, Qualification
from leadqual.users.roles import Role
from tests.browser.helpers import (
    PHONE,
    REPOSITORY,
    Site,
    fits_the_width,
    log_in,
    screenshot,
)
from tests.factories import make_user

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
VISITOR_EMAIL = "jan.devries@bakker-software.nl"
DUTCH_CATALOG = REPOSITORY / "src/leadqual/locale/nl/LC_MESSAGES/django.mo"
# The server's first rendering ("5h 20m", "1d 4h"); a hot lead's 24 working
# hours always show as days and hours.
COUNTDOWN = re.compile(r"^(\d+d \d+h|\d+h \d+m)$")


def _seller() -> User:
    return make_user("sanne", role=Role.SALES, password=PASSWORD)


def _make_hot(email: str) -> None:
    """A demo request and an email reply: the behaviour that makes a lead hot."""
    now = timezone.now()
    submit_events(
        [
            RawEvent(email, "demo_request", now.isoformat(), {}, f"{email}-demo"),
            RawEvent(email, "email_reply", now.isoformat(), {}, f"{email}-reply"),
        ],
        now=now,
        source="api",
    )


def _hot_lead(email: str) -> Lead:
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
        now=timezone.now(),
    ).lead
    _make_hot(email)
    lead.refresh_from_db()
    return lead


def _fill_intake_form(page: Page, *, email: str) -> None:
    """Answers that make a warm lead: software, 10-49 people, > € 25,000, now."""
    page.locator("#id_first_name").fill("Jan")
    page.locator("#id_last_name").fill("de Vries")
    page.locator("#id_email").fill(email)
    page.locator("#id_company").fill("Bakker Software B.V.")
    page.locator("#id_phone").fill("+31 6 12345678")
    page.locator("#id_sector").select_option("software")
    page.locator("#id_employees").select_option("10-49")
    page.locator("#id_budget").select_option("gt-25000")
    page.locator("#id_urgency").select_option("immediate")
    page.locator("#id_consent").check()


def _send(page: Page) -> None:
    page.locator("#lead-form").get_by_role("button").click()


def _kpi(page: Page, key: str) -> Locator:
    return page.locator(f"#kpi-{key} .kpi-value")


def _bant_answer(page: Page, question: str, answer: str) -> Locator:
    group = page.locator("#bant").get_by_role(
        "group", name=re.compile(rf"^{question}\b")
    )
    return group.get_by_role("button", name=answer, exact=True)


def _visitor_sends_the_form(site: Site) -> None:
    """Step 1: a Dutch visitor fills the form in and is thanked."""
    visitor = site.new_page(locale="nl-NL")
    visitor.goto("/form/")
    expect(visitor.locator("html")).to_have_attribute("lang", "nl")
    screenshot(visitor, "01-form-nl")
    _fill_intake_form(visitor, email=VISITOR_EMAIL)
    _send(visitor)
    visitor.wait_for_url("**/form/thanks/")
    thanks = visitor.get_by_role("status").get_by_role("heading", level=1)
    expect(thanks).to_be_visible()
    screenshot(visitor, "02-thanks-nl")


def _seller_finds_the_lead_on_top(site: Site, lead: Lead) -> Page:
    """Step 2a: the seller logs in and opens the hot lead from the top of the queue."""
    page = site.new_page()
    page.goto("/login/")
    screenshot(page, "03-login")
    log_in(page, "sanne", PASSWORD)
    expect(page).to_have_url(f"{site.url}/queue/")
    expect(page.get_by_role("heading", name="Sales queue", level=1)).to_be_visible()
    expect(page.locator("#queue-count")).to_have_text("2 open tasks")
    mine = page.locator("#queue-list")
    top, second = mine.locator("tbody tr").first, mine.locator("tbody tr").nth(1)
    expect(top.get_by_role("link")).to_have_text("Jan de Vries")
    expect(top.locator(".band")).to_have_text("Hot")
    expect(top.locator("ul.reasons")).to_contain_text("Asked us to contact them")
    expect(top.locator(".countdown")).to_have_text(COUNTDOWN)
    expect(second.get_by_role("link")).to_have_text("Pieter Jansen")
    screenshot(page, "04-queue")

    top.get_by_role("link", name="Jan de Vries").click()
    expect(page).to_have_url(f"{site.url}/leads/{lead.pk}/")
    page.wait_for_load_state()  # htmx ready before the first answer is clicked
    expect(page.get_by_role("heading", level=1)).to_contain_text("Jan de Vries")
    expect(page.locator("#lead-header .band")).to_have_text("Hot")
    screenshot(page, "05-lead")
    return page


def _seller_qualifies_and_accepts(page: Page) -> None:
    """Step 2b: BANT answers (kept after a reload), first contact, accept."""
    for question in ("Budget", "Need"):
        yes = _bant_answer(page, question, "Yes")
        expect(yes).to_have_attribute("aria-pressed", "false")
        yes.click()
        expect(yes).to_have_attribute("aria-pressed", "true")
        expect(page.locator("#bant").get_by_role("status")).to_have_text("Saved.")
    page.reload()
    for question, answer in (("Budget", "Yes"), ("Need", "Yes"), ("Timing", "Unknown")):
        pressed = _bant_answer(page, question, answer)
        expect(pressed).to_have_attribute("aria-pressed", "true")
    screenshot(page, "06-lead-bant-saved")

    page.get_by_role("button", name="First contact made").click()
    expect(page.locator("#first-contact").get_by_role("status")).to_contain_text(
        "First contact made on"
    )
    feedback = page.get_by_role("region", name="Sales feedback")
    feedback.get_by_role("button", name="Accept", exact=True).click()
    expect(feedback).to_contain_text("Status: Accepted")
    expect(feedback.locator("#feedback-latest")).to_contain_text("Accepted on")
    expect(feedback.get_by_role("status")).to_have_text("Feedback saved.")
    screenshot(page, "07-lead-accepted")
    page.reload()
    status = page.locator("#lead-header dt:text-is('Status') + dd")
    expect(status).to_have_text("Accepted")


def _marketer_reads_the_kpis(site: Site) -> None:
    """Step 3: marketing opens the KPIs from the menu and sees the accepted lead."""
    page = site.new_page()
    log_in(page, "mirjam", PASSWORD)
    expect(page).to_have_url(f"{site.url}/leads/")
    screenshot(page, "08-leads-marketing")
    menu = page.get_by_role("navigation", name="Main")
    menu.get_by_role("link", name="KPIs").click()
    expect(page.get_by_role("heading", name="KPIs", level=1)).to_be_visible()
    # The period picker names the period the numbers are for: 13 weeks.
    expect(page.get_by_label("Period")).to_have_value("13")
    expect(_kpi(page, "leads-in")).to_have_text("2")
    expect(_kpi(page, "sales-ready")).to_have_text("50.0%")
    expect(_kpi(page, "sales-accepted")).to_have_text("100.0%")
    expect(_kpi(page, "sla-compliance")).to_have_text("100.0%")
    expect(page.locator("#kpi-sla-compliance")).to_contain_text(
        "1 of 1 first contacts on time"
    )
    screenshot(page, "09-kpis")


def test_a_form_lead_is_qualified_by_sales_and_counted_in_the_kpis(
    site: Site,
) -> None:
    """From the Dutch website form, via the top of the sales queue, to the KPIs."""
    seller = _seller()
    make_user("mirjam", role=Role.MARKETING, password=PASSWORD)
    # An earlier warm lead of the same seller: due later than a hot lead.
    submit_lead(
        "pieter@jansen-logistiek.nl",
        {
            "first_name": "Pieter",
            "last_name": "Jansen",
            "company": "Jansen Logistiek B.V.",
            "sector": "logistics",
            "employees": "25",
            "budget_euros": "15000",
            "urgency": "immediate",
        },
        now=timezone.now(),
    )

    _visitor_sends_the_form(site)
    lead = Lead.objects.get(email=VISITOR_EMAIL)
    # A hand-raiser who asks to start now, with budget and fit, is hot at once.
    assert (lead.band, lead.owner) == ("hot", seller)
    page = _seller_finds_the_lead_on_top(site, lead)
    _seller_qualifies_and_accepts(page)
    qualification = Qualification.objects.get(lead=lead)
    assert (qualification.budget, qualification.need) == ("yes", "yes")
    assert qualification.first_contact_by == seller
    assert Feedback.objects.get(lead=lead).decision == "accepted"

    _marketer_reads_the_kpis(site)
    site.assert_clean()


def test_a_bad_email_is_shown_at_the_field_and_nothing_is_stored(site: Site) -> None:
    """An email like "jan@" gets Django's Dutch message at the field; no lead is made."""
    page = site.new_page(locale="nl-NL")
    page.goto("/form/")
    _fill_intake_form(page, email="jan@")
    _send(page)

    error = page.locator("#id_email_error")
    expect(error).to_be_visible()
    expect(error).to_have_text("Voer een geldig e-mailadres in.")
    email_field = page.locator(".form-field", has=page.locator("#id_email"))
    expect(email_field.locator("#id_email_error")).to_be_visible()
    expect(page.locator("#id_email")).to_have_value("jan@")
    expect(page.locator("#lead-form").get_by_role("alert")).to_be_visible()
    expect(page).to_have_url(f"{site.url}/form/")
    screenshot(page, "10-form-nl-bad-email")
    assert not Lead.objects.exists()
    site.assert_clean()


def test_the_language_switch_changes_the_page_language(site: Site) -> None:
    """The top bar's "NL" shows the page in Dutch, and "EN" in English again."""
    page = site.new_page(locale="en-GB")
    page.goto("/form/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Contact us")
    screenshot(page, "11-form-en")

    page.locator("header").get_by_role("button", name="NL", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page).to_have_url(f"{site.url}/form/")
    if DUTCH_CATALOG.exists():
        with DUTCH_CATALOG.open("rb") as catalog:
            heading = gettext.GNUTranslations(catalog).gettext("Contact us")
        assert heading != "Contact us", "django.mo has no Dutch for 'Contact us'"
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    # Django's own Dutch, whether or not leadqual's translations are done.
    _send(page)
    expect(page.locator("#id_email_error")).to_have_text("Dit veld is verplicht.")
    screenshot(page, "12-form-nl-switched")

    page.locator("header").get_by_role("button", name="EN", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Contact us")
    site.assert_clean()


def test_queue_and_lead_page_fit_a_phone(site: Site) -> None:
    """At 390 x 844 the queue and the lead page need no sideways scrolling."""
    seller = _seller()
    lead = _hot_lead("kees@bakker-en-zonen.nl")
    page = site.signed_in_page(seller, viewport=PHONE, is_mobile=True)

    page.goto("/queue/")
    row = page.locator(f'#queue-list tr[data-lead-id="{lead.pk}"]')
    expect(row.get_by_role("link", name="Kees Bakker")).to_be_visible()
    assert fits_the_width(page), "the queue scrolls sideways on a phone"
    screenshot(page, "13-phone-queue")

    row.get_by_role("link", name="Kees Bakker").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kees Bakker")
    expect(page.get_by_role("button", name="First contact made")).to_be_visible()
    assert fits_the_width(page), "the lead page scrolls sideways on a phone"
    screenshot(page, "14-phone-lead")
    site.assert_clean()
