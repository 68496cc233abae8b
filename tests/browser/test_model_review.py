"""A marketer reviews the optimiser's draft in Chromium and publishes it (#13).

Draft -> the diff per rule and the backtest -> points changed by hand ->
approve -> the draft is the active version -> every lead carries a score of
it. On a desk and a phone, in Dutch and English. Screenshots are kept in
test-artifacts/screenshots/ (model-review-*.png).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import ViewportSize, expect

from leadqual.core.scoring import ScoreTrigger
from leadqual.insights.presentation import NONE_TEXT
from leadqual.scoring.models import Score, ScoringModelVersion
from leadqual.scoring.services import parsed_model, rescore_lead
from leadqual.users.roles import Role
from tests.browser.helpers import (
    DESKTOP,
    PHONE,
    SCREENSHOTS,
    Site,
    fits_the_width,
    screenshot,
)
from tests.factories import LeadFactory, make_user
from tests.model_drafts import optimiser_draft

pytestmark = pytest.mark.browser

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
TEXT = {
    "en-GB": {
        "menu": "Scoring model",
        "draft": "Draft, waiting for review",
        "review": "Review",
        "rules": "Points per rule",
        "backtest": "Backtest: current and proposed model, week by week",
        "total": "All weeks",
        "saved": "Points of 1 rule changed in draft version 2.",
        "note": "changed by hand (the optimiser proposed 8)",
        "confirm": "Tick the box to confirm",
        "published": "Version 2 is now the active scoring model.",
        "active": "Active",
        "retired": "Retired",
        "candidate": "Timing just exploring",
        "thresholds_saved": "Thresholds changed in draft version 2.",
        "crossed": "Warm must start below hot",
        "won": "Won",
    },
    "nl-NL": {
        "menu": "Scoremodel",
        "draft": "Concept, wacht op beoordeling",
        "review": "Beoordelen",
        "rules": "Punten per regel",
        "backtest": "Backtest: huidig en voorgesteld model, week voor week",
        "total": "Alle weken",
        "saved": "Punten van 1 regel aangepast in conceptversie 2.",
        "note": "met de hand aangepast (de optimalisatie stelde 8 voor)",
        "confirm": "Vink het vakje aan om te bevestigen",
        "published": "Versie 2 is nu het actieve scoremodel.",
        "active": "Actief",
        "retired": "Buiten gebruik",
        "candidate": "Planning oriënteert zich",
        "thresholds_saved": "Drempels aangepast in conceptversie 2.",
        "crossed": "Warm moet onder heet beginnen",
        "won": "Gewonnen",
    },
}
SIZES: dict[str, tuple[ViewportSize, bool]] = {
    "desktop": (DESKTOP, False),
    "phone": (PHONE, True),
}


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("locale", list(TEXT))
def test_a_marketer_reviews_the_draft_approves_it_and_the_leads_are_rescored(
    site: Site, locale: str, size: str
) -> None:
    text = TEXT[locale]
    viewport, is_mobile = SIZES[size]
    draft = optimiser_draft(NOW)
    assert draft.version == 2
    lead = LeadFactory.create(urgency="immediate")
    rescore_lead(lead, now=NOW, trigger=ScoreTrigger.RESCORE)
    marketer = make_user("mirjam", role=Role.MARKETING)
    page = site.signed_in_page(
        marketer, locale=locale, viewport=viewport, is_mobile=is_mobile
    )

    page.goto("/")
    page.get_by_role("link", name=text["menu"], exact=True).click()
    page.wait_for_load_state()
    draft_row = page.locator("#version-2")
    expect(draft_row).to_contain_text(text["draft"])
    # The optimiser's inputs start at the command's defaults.
    expect(page.locator("#id_weeks")).to_have_value("8")
    expect(page.locator("#id_capacity")).to_have_value("")
    assert fits_the_width(page), "the list of versions scrolls sideways"
    screenshot(page, f"model-review-list-{size}-{locale}")
    draft_row.get_by_role("link", name=text["review"]).click()
    page.wait_for_load_state()

    # The diff per rule and the backtest, from the stored proposal.
    expect(page.get_by_role("heading", name=text["rules"])).to_be_visible()
    expect(page.locator("#rule-urgency_now .col-old")).to_have_text("8")
    expect(page.get_by_role("heading", name=text["backtest"])).to_be_visible()
    # Won rate of the hot leads: the current model at its own threshold, at
    # the threshold fitted to the same capacity, and the proposal.
    won = page.locator("#backtest-totals tbody tr").nth(3)
    expect(won.locator("th")).to_have_text(text["won"])
    expect(won.locator("td")).to_have_text([NONE_TEXT, "67%", "67%"])
    expect(page.locator("#curve-marked tr.marked")).to_have_count(2)
    expect(page.locator("#candidates-left")).to_contain_text(text["candidate"])
    assert "candidate_" not in page.locator("main").inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#backtest").screenshot(
        path=SCREENSHOTS / f"model-review-backtest-{size}-{locale}.png"
    )

    # Thresholds changed by hand: a crossed pair is refused at the field.
    page.locator("#threshold-input-warm").fill("80")
    page.locator("#save-thresholds").click()
    page.wait_for_load_state()
    expect(page.locator("#threshold-error-warm")).to_contain_text(text["crossed"])
    page.locator("#thresholds").screenshot(
        path=SCREENSHOTS / f"model-review-threshold-error-{size}-{locale}.png"
    )
    page.locator("#threshold-input-warm").fill("40")
    page.locator("#threshold-input-hot").fill("72")
    page.locator("#save-thresholds").click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text(text["thresholds_saved"])
    expect(page.locator("#threshold-hot .col-change")).to_have_text("+2")

    # A point changed by hand shows as a change in the diff.
    page.locator("#points-urgency_now").fill("11")
    page.locator("#save-points").click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text(text["saved"])
    expect(page.locator("#rule-urgency_now .col-change")).to_have_text("+3")
    expect(page.locator("#rule-urgency_now .col-note")).to_contain_text(text["note"])
    assert fits_the_width(page), "the review scrolls sideways"
    screenshot(page, f"model-review-draft-{size}-{locale}")

    # Approving asks for the confirmation first.
    page.locator("#approve").click()
    page.wait_for_load_state()
    expect(page.locator("#confirm-error")).to_contain_text(text["confirm"])
    page.locator("#approve-confirm").check()
    page.locator("#approve").click()
    page.wait_for_load_state()

    expect(page.locator(".messages")).to_contain_text(text["published"])
    expect(page.locator("#version-status")).to_have_text(text["active"])
    expect(page.locator("#approve-form")).to_have_count(0)
    screenshot(page, f"model-review-approved-{size}-{locale}")
    page.get_by_role("link", name=text["menu"], exact=True).click()
    page.wait_for_load_state()
    expect(page.locator("#version-2")).to_contain_text(text["active"])
    expect(page.locator("#version-1")).to_contain_text(text["retired"])

    draft.refresh_from_db()
    assert draft.is_active
    assert ScoringModelVersion.objects.get(version=1).is_active is False
    assert parsed_model(draft).thresholds.hot == 72
    latest = Score.objects.filter(lead=lead).latest("computed_at", "pk")
    assert latest.model_version == 2
    assert Score.objects.filter(lead=lead, model_version=1).exists()
    screenshot(page, f"model-review-versions-after-{size}-{locale}")
