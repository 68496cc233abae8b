"""Issue 13's KPIs in Chromium: sales rate a lead, marketing reads and feeds the KPIs.

A seller accepts a lead and rates its quality in one more click. A marketer
reads the new KPIs on /kpis/ (rating, time to sales-ready, per band, the
calibration chart, the rules behind no-fit rejections, the 12-week
sparklines), enters a month's campaign cost, uploads a CSV with a bad row
(nothing stored, every row's problem named), then a good one, and sees the
cost per qualified lead. At desk and phone size, in English and Dutch;
screenshots in test-artifacts/screenshots/ (kpis-13-*.png).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, ViewportSize, expect

from leadqual.core.lifecycle import Decision, OutcomeKind, RejectionReason
from leadqual.core.sla import DUTCH_TIME
from leadqual.insights.models import CampaignCost
from leadqual.intake.pipeline import RawEvent, submit_events, submit_lead
from leadqual.leads.models import Lead
from leadqual.triage.models import Feedback
from leadqual.triage.services import record_feedback, record_outcome
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

TEXT = {
    "en-GB": {
        "accept": "Accept",
        "good": "4 good",
        "rated": "Lead quality: 4 of 5",
        "rating_card": "Lead quality (sales' rating)",
        "per_band": "Per band",
        "hot": "Hot",
        "calibration": "Does a higher score convert more?",
        "no_fit": "Rules behind leads rejected as no fit",
        "cost_link": "Enter campaign costs",
        "source": "Source",
        "month": "Month",
        "amount": "Amount (euros)",
        "save": "Save cost",
        "import": "Import costs",
        "bad_row": 'Row 3, column "amount": "veel" is not an amount in euros.',
        "imported": "Imported 2 campaign costs.",
        "back": "Back to the KPIs",
        "cost_title": "Cost per qualified lead",
        "website_cost": "€1,500",
        "csv": "source,month,amount\nwebsite,{month},1500\nbeurs,{month},veel\n",
        "good_csv": "source,month,amount\nwebsite,{month},1500\nbeurs,{month},450\n",
    },
    "nl-NL": {
        "accept": "Accepteren",
        "good": "4 goed",
        "rated": "Kwaliteit van de lead: 4 van 5",
        "rating_card": "Kwaliteit van leads (beoordeling door sales)",
        "per_band": "Per temperatuur",
        "hot": "Heet",
        "calibration": "Converteert een hogere score beter?",
        "no_fit": "Regels achter leads die als 'past niet' zijn afgewezen",
        "cost_link": "Campagnekosten invoeren",
        "source": "Bron",
        "month": "Maand",
        "amount": "Bedrag (euro)",
        "save": "Kosten opslaan",
        "import": "Kosten importeren",
        "bad_row": 'Rij 3, kolom "bedrag": "veel" is geen bedrag in euro\'s.',
        "imported": "2 campagnekostenposten geïmporteerd.",
        "back": "Terug naar de KPI's",
        "cost_title": "Kosten per gekwalificeerde lead",
        "website_cost": "€ 1.500",
        "csv": "bron;maand;bedrag\nwebsite;{month};1.500\nbeurs;{month};veel\n",
        "good_csv": "bron;maand;bedrag\nwebsite;{month};1.500\nbeurs;{month};450\n",
    },
}
SIZES: dict[str, tuple[ViewportSize, bool]] = {
    "desktop": (DESKTOP, False),
    "phone": (PHONE, True),
}
FIELDS = {
    "sector": "software",
    "employees": "25",
    "budget_euros": "15000",
    "urgency": "immediate",
}


def _part(page: Page, selector: str, name: str) -> None:
    """Keep one part of a long page, as it looks on screen."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(selector).screenshot(path=SCREENSHOTS / f"{name}.png")


def _open(site: Site, user: User, locale: str, size: str, path: str) -> Page:
    viewport, is_mobile = SIZES[size]
    page = site.signed_in_page(
        user, locale=locale, viewport=viewport, is_mobile=is_mobile
    )
    page.goto(path)
    page.wait_for_load_state()
    return page


def _scored_leads(now: datetime, seller: User) -> Lead:
    """A hot lead accepted and rated, a warm one rejected as no fit; one lead to rate."""
    arrived = now - timedelta(hours=30)
    hot = submit_lead(
        "kees@bouwbedrijf.nl", {**FIELDS, "source": "website"}, now=arrived
    ).lead
    moment = arrived.isoformat()
    submit_events(
        [
            RawEvent(hot.email, "demo_request", moment, {}, "kees-demo"),
            RawEvent(hot.email, "email_reply", moment, {}, "kees-reply"),
        ],
        now=arrived,
        source="api",
    )
    record_feedback(
        hot,
        Decision.ACCEPTED,
        reason=None,
        rating=5,
        given_by=seller,
        now=arrived + timedelta(hours=2),
    )
    record_outcome(
        hot,
        OutcomeKind.OPPORTUNITY,
        value_cents=1_000_000,
        recorded_by=seller,
        now=arrived + timedelta(hours=3),
    )
    no_fit = submit_lead(
        "anna@kapsalon.nl", {**FIELDS, "source": "beurs"}, now=arrived
    ).lead
    record_feedback(
        no_fit,
        Decision.REJECTED,
        reason=RejectionReason.NO_FIT,
        rating=2,
        given_by=seller,
        now=arrived + timedelta(hours=1),
    )
    to_rate = submit_lead(
        "piet@installatie.nl", {**FIELDS, "source": "website"}, now=arrived
    ).lead
    Lead.objects.filter(pk=to_rate.pk).update(owner=seller)
    return to_rate


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("locale", list(TEXT))
def test_a_seller_rates_a_lead_in_one_click_after_accepting(
    site: Site, locale: str, size: str
) -> None:
    text = TEXT[locale]
    seller = make_user("sanne", role=Role.SALES)
    lead = _scored_leads(timezone.now(), seller)
    page = _open(site, seller, locale, size, f"/leads/{lead.pk}/")

    expect(page.locator("#feedback-rating-form")).to_have_count(0)
    page.locator("#feedback .btn-ok").click()
    rating = page.locator("#feedback-rating-form")
    expect(rating.get_by_role("button")).to_have_count(5)
    rating.get_by_role("button", name=text["good"], exact=True).click()
    expect(page.locator("#feedback-rating")).to_have_text(text["rated"])
    expect(
        rating.get_by_role("button", name=text["good"], exact=True)
    ).to_have_attribute("aria-pressed", "true")
    assert Feedback.objects.filter(lead=lead).get().rating == 4
    assert fits_the_width(page)
    _part(page, "#feedback", f"kpis-13-rating-{size}-{locale}")
    site.assert_clean()


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("locale", list(TEXT))
def test_marketing_reads_the_new_kpis_and_enters_campaign_costs(
    site: Site, locale: str, size: str, tmp_path: Path
) -> None:
    text = TEXT[locale]
    now = timezone.now()
    _scored_leads(now, make_user("sanne", role=Role.SALES))
    marketer = make_user("mirjam", role=Role.MARKETING)
    page = _open(site, marketer, locale, size, "/kpis/")

    card = page.locator("#kpi-quality-rating")
    expect(card.get_by_role("heading")).to_have_text(text["rating_card"])
    expect(card.locator(".kpi-value")).to_contain_text("3")
    expect(card.locator("svg.sparkline")).to_have_count(1)
    expect(page.locator("svg.sparkline")).to_have_count(11)
    expect(
        page.get_by_role("heading", name=text["per_band"], exact=True)
    ).to_be_visible()
    expect(page.locator("#kpi-per-band tbody tr").first).to_contain_text(text["hot"])
    expect(page.get_by_role("heading", name=text["calibration"])).to_be_visible()
    expect(page.locator("#kpi-calibration svg.chart")).to_have_count(1)
    # The hot lead became an opportunity: its ten points of score convert 100%.
    expect(page.locator("#kpi-calibration-table")).to_contain_text("100")
    expect(page.get_by_role("heading", name=text["no_fit"])).to_be_visible()
    expect(page.locator("#kpi-no-fit-rules tbody tr").first).to_be_visible()
    assert fits_the_width(page)
    screenshot(page, f"kpis-13-overview-{size}-{locale}")
    _part(page, "#kpi-quality-rating", f"kpis-13-rating-card-{size}-{locale}")
    _part(page, "#kpi-per-band", f"kpis-13-per-band-{size}-{locale}")
    _part(page, "#kpi-calibration", f"kpis-13-calibration-{size}-{locale}")
    _part(page, "#kpi-no-fit-rules", f"kpis-13-no-fit-{size}-{locale}")

    # A month by hand, then a CSV with a bad row (nothing stored), then a good one.
    page.get_by_role("link", name=text["cost_link"]).click()
    page.wait_for_load_state()
    month = now.astimezone(DUTCH_TIME).strftime("%Y-%m")
    form = page.locator("#cost-form")
    expect(form.locator("label[for=id_source]")).to_contain_text(text["source"])
    expect(form.locator("label[for=id_month]")).to_contain_text(text["month"])
    expect(form.locator("label[for=id_amount]")).to_contain_text(text["amount"])
    page.locator("#id_source").fill("website")
    page.locator("#id_month").fill(month)
    page.locator("#id_amount").fill("900")
    page.get_by_role("button", name=text["save"]).click()
    page.wait_for_load_state()
    expect(page.locator("#campaign-costs tbody tr")).to_have_count(1)

    bad = tmp_path / "kosten.csv"
    bad.write_text(text["csv"].format(month=month), encoding="utf-8")
    page.locator("#id_cost_file").set_input_files(str(bad))
    page.get_by_role("button", name=text["import"]).click()
    page.wait_for_load_state()
    expect(page.locator("#cost-file-errors")).to_contain_text(text["bad_row"])
    assert CampaignCost.objects.count() == 1
    assert fits_the_width(page)
    screenshot(page, f"kpis-13-costs-error-{size}-{locale}")

    good = tmp_path / "kosten-goed.csv"
    good.write_text(text["good_csv"].format(month=month), encoding="utf-8")
    page.locator("#id_cost_file").set_input_files(str(good))
    page.get_by_role("button", name=text["import"]).click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text(text["imported"])
    expect(page.locator("#campaign-costs tbody tr")).to_have_count(2)
    screenshot(page, f"kpis-13-costs-{size}-{locale}")

    page.get_by_role("link", name=text["back"]).click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name=text["cost_title"])).to_be_visible()
    website = page.locator("#kpi-cost-per-source tbody tr").filter(has_text="website")
    expect(website).to_have_count(1)
    assert fits_the_width(page)
    _part(page, "#kpi-cost-per-source", f"kpis-13-cost-per-lead-{size}-{locale}")
    site.assert_clean()
