"""A marketer trains the predictive model in Chromium, reads its card, approves
it, and a lead's explanation then shows the AI group (#14).

Scoring model -> predictive model -> train -> card -> approve -> lead page. On
a desk and a phone, in Dutch and English. Screenshots are kept in
test-artifacts/screenshots/ (predictive-*.png).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import ViewportSize, expect

from leadqual.modelling.models import ModelStatus, PredictiveModelVersion
from leadqual.users.roles import Role
from tests.browser.helpers import DESKTOP, PHONE, Site, fits_the_width, screenshot
from tests.factories import EventFactory, LeadFactory, make_user
from tests.model_drafts import history_with_outcomes

pytestmark = pytest.mark.browser

TEXT = {
    "en-GB": {
        "menu": "Scoring model",
        "link": "Predictive model: train, review and watch the AI input",
        "train": "Train a new model",
        "card": "Model card",
        "learnt": "120 reviewed leads, of which 40 became an opportunity",
        "confirm": "Tick the box to confirm",
        "approve": "Approve",
        "in_use": "Approved, in use",
        "ai_group": "AI (predictive model)",
        "reason": "predicted chance",
    },
    "nl-NL": {
        "menu": "Scoremodel",
        "link": "Voorspellend model: trainen, beoordelen en de AI-invoer bewaken",
        "train": "Nieuw model trainen",
        "card": "Modelkaart",
        "learnt": "120 beoordeelde leads, waarvan 40 een verkoopkans werden",
        "confirm": "Vink het vakje aan om te bevestigen",
        "approve": "Goedkeuren",
        "in_use": "Goedgekeurd, in gebruik",
        "ai_group": "AI (voorspellend model)",
        "reason": "voorspelde kans",
    },
}
SIZES: dict[str, tuple[ViewportSize, bool]] = {
    "desktop": (DESKTOP, False),
    "phone": (PHONE, True),
}


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("locale", list(TEXT))
def test_a_marketer_trains_reads_the_card_approves_and_sees_the_ai_group(
    site: Site, locale: str, size: str
) -> None:
    text = TEXT[locale]
    viewport, is_mobile = SIZES[size]
    # The live server scores at its own clock, so the data is laid out before
    # the test's one clock, now: the demo request must be recent when the
    # lead page is read, whatever today is.
    now = timezone.now() - timedelta(hours=2)
    history_with_outcomes(now)
    lead = LeadFactory.create(
        created_at=now,
        sector="software",
        budget_euros=20_000,
        employees=40,
        urgency="immediate",
    )
    EventFactory.create(
        lead=lead,
        type="demo_request",
        occurred_at=now + timedelta(hours=1),
        properties={},
    )
    marketer = make_user("mirjam", role=Role.MARKETING)
    page = site.signed_in_page(
        marketer, locale=locale, viewport=viewport, is_mobile=is_mobile
    )

    page.goto("/")
    page.get_by_role("link", name=text["menu"], exact=True).click()
    page.wait_for_load_state()
    page.get_by_role("link", name=text["link"]).click()
    page.wait_for_load_state()
    screenshot(page, f"predictive-list-empty-{size}-{locale}")
    page.get_by_role("button", name=text["train"]).click()
    page.wait_for_load_state()

    # Training ran in the background (at once here): the card is there.
    expect(page.get_by_role("heading", name=text["card"])).to_be_visible()
    expect(page.locator("#facts")).to_contain_text(text["learnt"])
    expect(page.locator("#scores")).to_be_visible()
    assert fits_the_width(page), "the model card scrolls sideways"
    screenshot(page, f"predictive-card-{size}-{locale}")

    page.locator("#approve").click()
    page.wait_for_load_state()
    expect(page.locator("#confirm-error")).to_contain_text(text["confirm"])
    page.locator("#approve-confirm").check()
    page.locator("#approve").click()
    page.wait_for_load_state()
    expect(page.locator("#model-status")).to_have_text(text["in_use"])
    screenshot(page, f"predictive-approved-{size}-{locale}")
    row = PredictiveModelVersion.objects.get()
    assert row.status == ModelStatus.APPROVED

    page.goto(f"/leads/{lead.pk}/")
    page.wait_for_load_state()
    group = page.locator("#group-ai")
    expect(group).to_contain_text(text["ai_group"])
    expect(page.locator("#score-breakdown")).to_contain_text(text["reason"])
    assert fits_the_width(page), "the lead page scrolls sideways"
    group.scroll_into_view_if_needed()
    screenshot(page, f"predictive-lead-explanation-{size}-{locale}")
