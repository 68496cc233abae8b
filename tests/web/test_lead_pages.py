"""The lead list and the lead page, through HTTP."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from leadqual.core.lifecycle import Decision
from leadqual.core.sla import DUTCH_TIME
from leadqual.intake.pipeline import RawEvent, submit_events, submit_lead
from leadqual.leads.models import Lead
from leadqual.triage.services import rate_lead_quality, record_feedback
from leadqual.users.roles import Role
from tests.factories import LeadFactory, make_user

pytestmark = pytest.mark.django_db

THURSDAY = datetime(2026, 11, 26, 16, 0, tzinfo=DUTCH_TIME)
WARM_FIELDS = {
    "first_name": "Kees",
    "last_name": "Bakker",
    "company": "Bouwbedrijf Bakker B.V.",
    "phone": "+31 6 12345678",
    "sector": "software",
    "employees": "25",
    "budget_euros": "15000",
    "urgency": "immediate",
}
HX = {"HX-Request": "true"}
SVG = "{http://www.w3.org/2000/svg}"


def _client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _hot_lead(email: str = "kees@bouwbedrijf.nl") -> Lead:
    """A lead scored twice: warm from the form, hot after a demo request."""
    lead = submit_lead(email, WARM_FIELDS, now=THURSDAY).lead
    later = THURSDAY + timedelta(hours=1)
    submit_events(
        [
            RawEvent(
                email,
                "page_view",
                later.isoformat(),
                {"url": "https://example.nl/prijzen", "title": "Prijzen"},
                "pv-1",
            ),
            RawEvent(email, "demo_request", later.isoformat(), {}, "demo-1"),
            RawEvent(
                email, "email_reply", later.isoformat(), {"campaign": "najaar"}, "r-1"
            ),
        ],
        now=later,
        source="api",
    )
    lead.refresh_from_db()
    return lead


def _names(html: str) -> list[str]:
    return re.findall(r'<a href="/leads/\d+/">([^<]+)</a>', html)


# --- access ---------------------------------------------------------------------------


def test_the_lead_page_needs_a_login() -> None:
    lead = LeadFactory.create()

    response = Client().get(reverse("leads:lead-detail", args=[lead.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_a_seller_cannot_open_another_sellers_lead() -> None:
    sanne = make_user("sanne")
    lead = LeadFactory.create(owner=make_user("daan"))

    response = _client_for(sanne).get(reverse("leads:lead-detail", args=[lead.pk]))

    assert response.status_code == 404


def test_a_seller_opens_own_and_unassigned_leads() -> None:
    sanne = make_user("sanne")
    own = LeadFactory.create(owner=sanne)
    unassigned = LeadFactory.create()
    client = _client_for(sanne)

    for lead in (own, unassigned):
        assert (
            client.get(reverse("leads:lead-detail", args=[lead.pk])).status_code == 200
        )


def test_marketing_opens_any_lead_without_the_action_buttons() -> None:
    lead = LeadFactory.create(owner=make_user("daan"))
    marketer = make_user("mara", role=Role.MARKETING)

    response = _client_for(marketer).get(reverse("leads:lead-detail", args=[lead.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "First contact made" not in html
    assert ">Accept</button>" not in html


# --- the lead page --------------------------------------------------------------------


@pytest.fixture
def hot_page() -> tuple[Lead, str]:
    seller = make_user("sanne")
    lead = _hot_lead()
    with time_machine.travel(THURSDAY + timedelta(hours=2), tick=False):
        response = _client_for(seller).get(reverse("leads:lead-detail", args=[lead.pk]))
    assert response.status_code == 200
    return lead, response.content.decode()


def test_the_lead_page_shows_who_the_lead_is(hot_page: tuple[Lead, str]) -> None:
    lead, html = hot_page

    assert "Kees Bakker" in html and "Bouwbedrijf Bakker B.V." in html
    assert "kees@bouwbedrijf.nl" in html and "+31 6 12345678" in html
    assert '<span class="band band-hot">Hot</span>' in html
    assert f'<span class="score" title="Score">{lead.score_total}</span>' in html


def test_the_lead_page_breaks_the_score_down_by_group_and_cap(
    hot_page: tuple[Lead, str],
) -> None:
    _lead, html = hot_page

    text = re.sub(r"<[^>]+>", "", html)
    assert re.search(r"Fit: \d+ / 40", text)
    assert re.search(r"Intent: \d+ / 35", text)
    assert re.search(r"Engagement: \d+ / 25", text)
    assert "+25" in text and "Asked for a demo" in text
    assert "Fit is capped at 40 points (adjustment)" in re.sub(r"\s+", " ", text)


def test_the_lead_page_draws_the_score_history(hot_page: tuple[Lead, str]) -> None:
    lead, html = hot_page

    svg_text = html[html.index("<svg") : html.index("</svg>") + len("</svg>")]
    svg = ET.fromstring(svg_text)
    polyline = svg.find(f"{SVG}polyline")
    assert polyline is not None
    assert len(polyline.attrib["points"].split()) == lead.scores.count() == 2
    assert 'id="score-history-table"' in html  # the fallback for screen readers


def test_the_timeline_lists_events_newest_first_with_their_details(
    hot_page: tuple[Lead, str],
) -> None:
    _lead, html = hot_page

    timeline = html[html.index('id="timeline"') :]
    assert "Demo request" in timeline and "Page view" in timeline
    assert "https://example.nl/prijzen" in timeline and "Prijzen" in timeline
    assert "najaar" in timeline


def test_the_lead_page_shows_times_in_the_dutch_time_zone(
    hot_page: tuple[Lead, str],
) -> None:
    _lead, html = hot_page

    assert "26-11-2026 17:00" in html  # the events at 16:00 UTC


def test_the_lead_page_has_the_sales_panels(hot_page: tuple[Lead, str]) -> None:
    _lead, html = hot_page

    for panel in ('id="bant"', 'id="first-contact"', 'id="feedback"', 'id="outcome"'):
        assert panel in html
    assert html.count('aria-pressed="true"') == 4  # every BANT answer "unknown"
    for label in ("No fit", "No budget", "No need", "Bad timing", "Unreachable"):
        assert f">{label}</button>" in html


# --- the lead list --------------------------------------------------------------------


@pytest.fixture
def marketer() -> User:
    return make_user("mara", role=Role.MARKETING)


def test_the_list_sorts_by_score_highest_first(marketer: User) -> None:
    LeadFactory.create(first_name="Laag", last_name="Een", score_total=20, band="cold")
    LeadFactory.create(first_name="Hoog", last_name="Twee", score_total=90, band="hot")
    LeadFactory.create(first_name="Geen", last_name="Score")

    html = _client_for(marketer).get(reverse("leads:lead-list")).content.decode()

    assert _names(html) == ["Hoog Twee", "Laag Een", "Geen Score"]


def test_the_list_filters_by_band_source_owner_and_status(marketer: User) -> None:
    sanne = make_user("sanne")
    LeadFactory.create(
        first_name="Alle",
        last_name="Vier",
        band="hot",
        score_total=80,
        source="beurs",
        owner=sanne,
        status="accepted",
    )
    LeadFactory.create(
        first_name="Andere",
        last_name="Band",
        band="warm",
        score_total=50,
        source="beurs",
        owner=sanne,
        status="accepted",
    )
    LeadFactory.create(
        first_name="Geen",
        last_name="Eigenaar",
        band="hot",
        score_total=75,
        source="beurs",
        status="accepted",
    )
    client = _client_for(marketer)

    query = {
        "band": "hot",
        "source": "beurs",
        "owner": str(sanne.pk),
        "status": "accepted",
    }
    html = client.get(reverse("leads:lead-list"), query).content.decode()
    assert _names(html) == ["Alle Vier"]

    html = client.get(reverse("leads:lead-list"), {"owner": "none"}).content.decode()
    assert _names(html) == ["Geen Eigenaar"]


def test_the_list_searches_name_email_and_company(marketer: User) -> None:
    elsewhere = {"company__name": "Zuid Software"}
    LeadFactory.create(first_name="Kees", last_name="Noordam", **elsewhere)
    LeadFactory.create(
        first_name="Anna", last_name="Smit", email="anna@noordzee.nl", **elsewhere
    )
    LeadFactory.create(first_name="Piet", last_name="Jansen", company__name="Noord ICT")
    LeadFactory.create(first_name="Els", last_name="Visser", **elsewhere)
    client = _client_for(marketer)

    html = client.get(reverse("leads:lead-list"), {"q": "noord"}).content.decode()
    assert sorted(_names(html)) == ["Anna Smit", "Kees Noordam", "Piet Jansen"]

    html = client.get(reverse("leads:lead-list"), {"q": "kees noord"}).content.decode()
    assert _names(html) == ["Kees Noordam"]


def test_with_htmx_the_list_renders_only_the_table(marketer: User) -> None:
    LeadFactory.create(first_name="Kees", last_name="Bakker", band="hot")

    response = _client_for(marketer).get(
        reverse("leads:lead-list"), {"band": "hot"}, headers=HX
    )

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="lead-table"')
    assert "<html" not in html and "Kees Bakker" in html


def test_a_seller_lists_only_own_and_unassigned_leads() -> None:
    sanne = make_user("sanne")
    LeadFactory.create(first_name="Van", last_name="Sanne", owner=sanne)
    LeadFactory.create(first_name="Van", last_name="Niemand")
    LeadFactory.create(first_name="Van", last_name="Daan", owner=make_user("daan"))

    html = _client_for(sanne).get(reverse("leads:lead-list")).content.decode()

    assert sorted(_names(html)) == ["Van Niemand", "Van Sanne"]


def test_the_list_shows_fifty_leads_a_page(marketer: User) -> None:
    for number in range(51):
        LeadFactory.create(score_total=number)
    client = _client_for(marketer)

    first = client.get(reverse("leads:lead-list")).content.decode()
    second = client.get(reverse("leads:lead-list"), {"page": 2}).content.decode()

    assert len(_names(first)) == 50 and len(_names(second)) == 1
    assert "Page 1 of 2" in first and "?page=2" in first


def test_the_timeline_shows_sales_rating_beside_their_decision() -> None:
    seller = make_user("sanne")
    lead = _hot_lead()
    given_at = THURSDAY + timedelta(hours=2)
    record_feedback(lead, Decision.ACCEPTED, reason=None, given_by=seller, now=given_at)
    rate_lead_quality(lead, 4)

    with time_machine.travel(given_at + timedelta(hours=1), tick=False):
        html = _client_for(seller).get(
            reverse("leads:lead-detail", args=[lead.pk]),
            headers={"accept-language": "nl"},
        )

    timeline = html.content.decode()
    timeline = timeline[timeline.index('id="timeline"') :]
    accepted = timeline[timeline.index("action-accepted") :].split("</li>", 1)[0]
    assert "Beoordeling" in accepted
    assert "4 van 5" in accepted
