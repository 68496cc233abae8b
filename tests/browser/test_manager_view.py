"""The team page in Chromium (#12 item 8): money and people, on a desk and a phone.

A manager opens the KPIs, follows the link to the team page and reads, per
salesperson and per source, the SLA, the open pipeline and the won deals, in
their own language's number format. The table fits a phone (each row a card)
and scrolls inside its own box on a desk, never the page. Screenshots are kept
in test-artifacts/screenshots/ (team-*.png).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, ViewportSize, expect

from leadqual.core.lifecycle import Decision, OutcomeKind, RejectionReason
from leadqual.intake.pipeline import submit_lead
from leadqual.leads.models import Lead
from leadqual.triage.services import (
    record_feedback,
    record_first_contact,
    record_outcome,
)
from leadqual.users.roles import Role
from tests.browser.helpers import DESKTOP, PHONE, Site, fits_the_width, screenshot
from tests.factories import make_user

pytestmark = pytest.mark.browser

TEXT = {
    "en-GB": {
        "link": "Per salesperson: SLA, pipeline and won deals",
        "heading": "Team: per salesperson and per source",
        "per_owner": "Per salesperson",
        "no_owner": "No owner",
        "total": "Total",
        "sanne_pipeline": "€12,500",
        "sanne_won": "€8,750",
        "total_won": "€20,750",
        "period": "Last 13 weeks",
    },
    "nl-NL": {
        "link": "Per verkoper: SLA, pijplijn en gewonnen deals",
        "heading": "Team: per verkoper en per bron",
        "per_owner": "Per verkoper",
        "no_owner": "Geen eigenaar",
        "total": "Totaal",
        "sanne_pipeline": "€ 12.500",
        "sanne_won": "€ 8.750",
        "total_won": "€ 20.750",
        "period": "Laatste 13 weken",
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


def _seller(username: str, first_name: str, last_name: str) -> User:
    user = make_user(username)
    user.first_name, user.last_name = first_name, last_name
    user.save(update_fields=["first_name", "last_name"])
    return user


def _lead(email: str, source: str, owner: User | None, *, arrived: datetime) -> Lead:
    lead = submit_lead(email, {**FIELDS, "source": source}, now=arrived).lead
    Lead.objects.filter(pk=lead.pk).update(owner=owner)
    lead.refresh_from_db()
    return lead


def _deal(lead: Lead, by: User, value_cents: int, *, at: datetime) -> None:
    record_first_contact(lead, by=by, now=at)
    record_feedback(lead, Decision.ACCEPTED, reason=None, given_by=by, now=at)
    record_outcome(
        lead, OutcomeKind.OPPORTUNITY, value_cents=value_cents, recorded_by=by, now=at
    )


def _a_small_team(now: datetime) -> None:
    """Two sellers and a lead nobody owns, from the website, a fair and referrals."""
    sanne = _seller("sanne", "Sanne", "de Boer")
    pieter = _seller("pieter", "Pieter", "Jansen")
    arrived = now - timedelta(days=6)
    later = arrived + timedelta(hours=3)

    open_deal = _lead("kees@bouwbedrijf.nl", "website", sanne, arrived=arrived)
    _deal(open_deal, sanne, 1_250_000, at=later)
    won = _lead("anna@kapsalon.nl", "fair", sanne, arrived=arrived)
    _deal(won, sanne, 875_000, at=later)
    record_outcome(won, OutcomeKind.WON, recorded_by=sanne, now=later)
    no_fit = _lead("joost@drukkerij.nl", "website", sanne, arrived=arrived)
    record_feedback(
        no_fit,
        Decision.REJECTED,
        reason=RejectionReason.NO_FIT,
        given_by=sanne,
        now=later,
    )

    big_win = _lead("lies@installatie.nl", "referral", pieter, arrived=arrived)
    _deal(big_win, pieter, 1_200_000, at=later)
    record_outcome(big_win, OutcomeKind.WON, recorded_by=pieter, now=later)
    lost = _lead("bram@transport.nl", "website", pieter, arrived=arrived)
    _deal(lost, pieter, 300_000, at=later)
    record_outcome(lost, OutcomeKind.LOST, recorded_by=pieter, now=later)

    _lead("eva@bloemist.nl", "website", None, arrived=now - timedelta(hours=2))


def _row(page: Page, table_id: str, name: str) -> dict[str, str]:
    """The cells of the row headed ``name``, by their column label."""
    cells = page.evaluate(
        """([tableId, name]) => {
            const table = document.getElementById(tableId);
            const row = [...table.querySelectorAll("tr")].find(
                (tr) => tr.querySelector("th[scope=row]")?.textContent.trim() === name);
            return row ? [...row.querySelectorAll("td")].map(
                (td) => [td.dataset.label, td.textContent.trim()]) : [];
        }""",
        [table_id, name],
    )
    return dict(cells)


def _scrolls_inside_its_box(page: Page, table_id: str) -> bool:
    """The table is as wide as its scroll box or the box scrolls, not the page."""
    fits = page.evaluate(
        """(tableId) => {
            const box = document.getElementById(tableId).parentElement;
            return getComputedStyle(box).overflowX === "auto"
                && box.getBoundingClientRect().right <= window.innerWidth + 1;
        }""",
        table_id,
    )
    assert isinstance(fits, bool)
    return fits


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("locale", list(TEXT))
def test_a_manager_reads_sla_pipeline_and_won_deals_per_salesperson(
    site: Site, locale: str, size: str
) -> None:
    text = TEXT[locale]
    viewport, is_mobile = SIZES[size]
    _a_small_team(timezone.now())
    manager = make_user("mirjam", role=Role.ADMIN)
    page = site.signed_in_page(
        manager, locale=locale, viewport=viewport, is_mobile=is_mobile
    )

    page.goto("/kpis/")
    page.get_by_role("link", name=text["link"]).click()
    page.wait_for_load_state()

    expect(page.get_by_role("heading", level=1)).to_have_text(text["heading"])
    expect(
        page.get_by_role("heading", name=text["per_owner"], exact=True)
    ).to_be_visible()
    sanne = _row(page, "team-per-owner", "Sanne de Boer")
    values = list(sanne.values())
    # Leads, hot, SLA met, SLA missed, median, accepted, rejected, pipeline,
    # won €, won, lost, lead to won.
    assert values[0] == "3"
    assert values[5:11] == [
        "2",
        "1",
        text["sanne_pipeline"],
        text["sanne_won"],
        "1",
        "0",
    ]
    assert _row(page, "team-per-owner", text["no_owner"])
    assert (
        list(_row(page, "team-per-owner", text["total"]).values())[8]
        == (text["total_won"])
    )
    assert set(_row(page, "team-per-source", "website").values())
    expect(page.locator("#team-per-owner tbody tr")).to_have_count(3)
    assert fits_the_width(page)
    assert _scrolls_inside_its_box(page, "team-per-owner")
    screenshot(page, f"team-{size}-{locale}")

    # Another period swaps only the section, and the address keeps it.
    page.locator("#id_weeks").select_option(label=text["period"])
    expect(page).to_have_url(re.compile(r"weeks=13"))
    expect(page.locator("#team-per-owner tbody tr")).to_have_count(3)
