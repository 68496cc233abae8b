"""A lead page in the reader's language (issue #12, item 4), in Chromium.

A lead with a deal value, an address at an internationalised domain and a
score with reasons, opened at desktop and phone size, in Dutch and English:
the reasons are in the page's language, amounts and the value field's example
are written the way that language writes them, the field takes the Dutch
whole-euro notation the importer takes, and the domain reads in Unicode.
Screenshots: test-artifacts/screenshots/dutch-pages-<size>-<language>*.png.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import ViewportSize, expect

from leadqual.core.lifecycle import OutcomeKind
from leadqual.intake.pipeline import RawEvent, submit_events, submit_lead
from leadqual.leads.models import Lead
from leadqual.triage.models import Outcome
from leadqual.triage.services import record_outcome
from leadqual.users.roles import Role
from tests.browser.helpers import (
    DESKTOP,
    PHONE,
    SCREENSHOTS,
    Site,
    fits_the_width,
    screenshot,
)
from tests.factories import make_user

pytestmark = pytest.mark.browser

SIZES: dict[str, ViewportSize] = {"desktop": DESKTOP, "phone": PHONE}
LOCALES = {"en": "en-GB", "nl": "nl-NL"}
VARIANTS = [
    pytest.param(size, language, id=f"{size}-{language}")
    for size in SIZES
    for language in LOCALES
]


@dataclass(frozen=True, slots=True)
class Expected:
    """What the page shows in one language."""

    demo_reason: str
    budget_reason: str
    value: str
    placeholder: str
    typed: str
    won_value: str
    just_now: str


EXPECTED = {
    "en": Expected(
        demo_reason="Asked for a demo (1 demo request in the last 90 days",
        budget_reason="Budget of 2,500-9,999 euros (budget €8,500)",
        value="€12,500",
        placeholder="12,500",
        typed="€45,000",
        won_value="€45,000",
        just_now="last just now",
    ),
    "nl": Expected(
        demo_reason="Vroeg een demo aan (1 demo-aanvraag in de afgelopen 90 dagen",
        budget_reason="Budget van 2.500-9.999 euro (budget € 8.500)",
        value="€ 12.500",
        placeholder="12.500",
        typed="€ 45.000,-",
        won_value="€ 45.000",
        just_now="laatste zojuist",
    ),
}


def _lead_with_a_deal() -> Lead:
    """A scored lead at bücher.nl (stored as punycode) with a € 12.500 opportunity."""
    now = timezone.now()
    email = "kees@xn--bcher-kva.nl"
    lead = submit_lead(
        email,
        {
            "first_name": "Kees",
            "last_name": "Bakker",
            "company": "Bücher Groothandel B.V.",
            "sector": "wholesale",
            "employees": "25",
            "budget_euros": "8500",
            "urgency": "immediate",
        },
        now=now - timedelta(days=2),
    ).lead
    submit_events(
        [RawEvent(email, "demo_request", now.isoformat(), {}, "demo-1")],
        now=now,
        source="api",
    )
    seller = make_user("sanne", role=Role.SALES)
    Lead.objects.filter(pk=lead.pk).update(owner=seller)
    lead.refresh_from_db()
    record_outcome(
        lead,
        OutcomeKind.OPPORTUNITY,
        value_cents=1_250_000,
        recorded_by=seller,
        now=now,
    )
    return lead


@pytest.mark.parametrize(("size", "language"), VARIANTS)
def test_the_lead_page_speaks_the_readers_language(
    site: Site, size: str, language: str
) -> None:
    expected = EXPECTED[language]
    lead = _lead_with_a_deal()
    assert lead.owner is not None
    page = site.signed_in_page(
        lead.owner,
        locale=LOCALES[language],
        viewport=SIZES[size],
        is_mobile=size == "phone",
    )

    page.goto(f"/leads/{lead.pk}/")
    page.wait_for_load_state()

    reasons = page.locator("#score-breakdown")
    expect(reasons).to_contain_text(expected.demo_reason)
    expect(reasons).to_contain_text(expected.budget_reason)
    expect(reasons).to_contain_text(expected.just_now)
    expect(page.get_by_role("link", name="kees@bücher.nl")).to_be_visible()
    assert "xn--" not in page.locator("main").inner_text()
    outcome = page.locator("#outcome")
    expect(outcome.locator("#outcome-list")).to_contain_text(expected.value)
    value_field = outcome.locator("#outcome-value")
    expect(value_field).to_have_attribute("placeholder", expected.placeholder)
    assert fits_the_width(page)
    screenshot(page, f"dutch-pages-{size}-{language}")

    value_field.fill(expected.typed)
    outcome.locator('button[name="kind"][value="won"]').click()

    expect(page.locator("#outcome-list")).to_contain_text(expected.won_value)
    expect(page.locator("#outcome-value")).to_have_count(0)
    won = Outcome.objects.filter(lead=lead, kind=OutcomeKind.WON).get()
    assert won.value_cents == 4_500_000
    lead.refresh_from_db()
    assert lead.email == "kees@xn--bcher-kva.nl"
    page.locator("#outcome").scroll_into_view_if_needed()
    page.screenshot(path=SCREENSHOTS / f"dutch-pages-{size}-{language}-won.png")
