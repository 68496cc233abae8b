"""Issue #12 item 2 in a browser: the form's hand-raiser is hot at once.

A visitor sends the public form with the perfect answers (software, 50-249
people, more than € 25,000, start now, consent); the owner finds the lead hot
in the top five of the queue, with a 24-hour SLA, the submission on the
timeline as a signal and no inactivity penalty in the reasons. At desktop
and phone size, in Dutch and English.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, ViewportSize, expect

from leadqual.core.bands import Band
from leadqual.core.sla import sla_due_at
from leadqual.leads.models import Lead
from leadqual.triage.models import Task
from leadqual.users.roles import Role
from tests.browser.helpers import DESKTOP, PHONE, Site, fits_the_width, screenshot
from tests.factories import LeadFactory, TaskFactory, make_user

pytestmark = pytest.mark.browser

VISITOR_EMAIL = "eva@softwarehuis.nl"
SIZES: dict[str, tuple[ViewportSize, bool]] = {
    "desktop": (DESKTOP, False),
    "phone": (PHONE, True),
}
TEXT = {
    "en-GB": {
        "hot": "Hot",
        "asked": "Asked us to contact them (contact form)",
        "start_now": "Said on the contact form they want to start now",
        "quiet": "No activity for 90 days",
        "submitted": "Form submitted",
    },
    "nl-NL": {
        "hot": "Heet",
        "asked": "Vroeg ons contact op te nemen (contactformulier)",
        "start_now": "Gaf op het contactformulier aan nu te willen starten",
        "quiet": "Geen activiteit in 90 dagen",
        "submitted": "Formulier verstuurd",
    },
}


def _sannes_other_work() -> User:
    """A seller with six warm tasks already waiting, due in the coming days."""
    seller = make_user("sanne", role=Role.SALES)
    now = timezone.now()
    for index in range(6):
        TaskFactory.create(
            lead=LeadFactory.create(
                email=f"warm{index}@voorbeeld.nl",
                first_name="Warm",
                last_name=f"Lead {index}",
                created_at=now - timedelta(days=1),
                score_total=45,
                band=Band.WARM.value,
            ),
            owner=seller,
            due_at=now + timedelta(days=1 + index % 2),
            created_at=now - timedelta(days=1),
        )
    return seller


def _send_the_perfect_form(visitor: Page) -> None:
    visitor.goto("/form/")
    visitor.locator("#id_first_name").fill("Eva")
    visitor.locator("#id_last_name").fill("de Boer")
    visitor.locator("#id_email").fill(VISITOR_EMAIL)
    visitor.locator("#id_company").fill("Softwarehuis B.V.")
    visitor.locator("#id_phone").fill("+31 6 12345678")
    visitor.locator("#id_sector").select_option("software")
    visitor.locator("#id_employees").select_option("50-249")
    visitor.locator("#id_budget").select_option("gt-25000")
    visitor.locator("#id_urgency").select_option("immediate")
    visitor.locator("#id_consent").check()
    visitor.locator("#lead-form").get_by_role("button").click()
    visitor.wait_for_url("**/form/thanks/")


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("locale", list(TEXT))
def test_a_perfect_form_is_hot_on_top_with_a_24_hour_sla(
    site: Site, locale: str, size: str
) -> None:
    seller = _sannes_other_work()
    viewport, is_mobile = SIZES[size]
    text = TEXT[locale]
    visitor = site.new_page(locale=locale, viewport=viewport, is_mobile=is_mobile)
    _send_the_perfect_form(visitor)
    screenshot(visitor, f"hand-raiser-{size}-{locale}-thanks")

    lead = Lead.objects.get(email=VISITOR_EMAIL)
    assert lead.band == Band.HOT.value
    task = Task.objects.get(lead=lead, done_at__isnull=True)
    assert task.owner_id == seller.pk
    # 24 working hours from the arrival (the task is made a moment later).
    assert abs(task.due_at - sla_due_at(lead.created_at, 24)) < timedelta(minutes=1)

    page = site.signed_in_page(
        seller, locale=locale, viewport=viewport, is_mobile=is_mobile
    )
    page.goto("/queue/")
    rows = page.locator("#queue-list tbody tr")
    top_five = [rows.nth(index).inner_text() for index in range(5)]
    position = next(
        (index for index, row in enumerate(top_five) if "Eva de Boer" in row), None
    )
    assert position is not None, f"not in the top five: {top_five}"
    expect(rows.nth(position).locator(".band")).to_have_text(text["hot"])
    assert fits_the_width(page), f"the queue scrolls sideways at {size}"
    screenshot(page, f"hand-raiser-{size}-{locale}-queue")

    rows.nth(position).get_by_role("link", name="Eva de Boer").click()
    expect(page).to_have_url(f"{site.url}/leads/{lead.pk}/")
    expect(page.locator("#lead-header .band")).to_have_text(text["hot"])
    reasons = page.locator("#score-breakdown")
    expect(reasons).to_contain_text(text["asked"])
    expect(reasons).to_contain_text(text["start_now"])
    expect(reasons).not_to_contain_text(text["quiet"])
    expect(page.locator("#timeline .event-form_submit")).to_contain_text(
        text["submitted"]
    )
    assert fits_the_width(page), f"the lead page scrolls sideways at {size}"
    screenshot(page, f"hand-raiser-{size}-{locale}-lead")
    site.assert_clean()
