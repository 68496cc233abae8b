"""The KPI page at /kpis/: who may see it, and the numbers after real flows."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from leadqual.core.lifecycle import Decision, OutcomeKind, RejectionReason
from leadqual.core.sla import DUTCH_TIME
from leadqual.insights.presentation import NONE_TEXT as DASH
from leadqual.insights.views import KpiCard
from leadqual.intake.pipeline import RawEvent, submit_events, submit_lead
from leadqual.leads.models import Lead
from leadqual.triage.services import (
    record_feedback,
    record_first_contact,
    record_outcome,
)
from leadqual.users.roles import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db

# Thursday 26 November 2026, 10:00 in Utrecht; the page is read on Monday.
THURSDAY = datetime(2026, 11, 26, 10, 0, tzinfo=DUTCH_TIME)
MONDAY_NOON = datetime(2026, 11, 30, 12, 0, tzinfo=DUTCH_TIME)
WARM_FIELDS = {
    "sector": "software",
    "employees": "25",
    "budget_euros": "15000",
    "urgency": "immediate",
}
URL = "/kpis/"


@pytest.fixture(autouse=True)
def _monday_noon() -> Iterator[None]:
    with time_machine.travel(MONDAY_NOON, tick=False):
        yield


@pytest.fixture
def marketing_client(client: Client) -> Client:
    client.force_login(make_user("mirjam", role=Role.MARKETING))
    return client


def _arrive_warm(
    email: str, *, source: str = "website", when: datetime = THURSDAY
) -> Lead:
    return submit_lead(email, {**WARM_FIELDS, "source": source}, now=when).lead


def _won_hot_lead(email: str, *, source: str = "website") -> Lead:
    """Turned hot, contacted within the SLA, accepted, opportunity, won."""
    seller = make_user(f"seller-{email.split('@')[0]}")
    lead = _arrive_warm(email, source=source)
    submit_events(
        [
            RawEvent(email, "demo_request", THURSDAY.isoformat(), {}, f"{email}-demo"),
            RawEvent(email, "email_reply", THURSDAY.isoformat(), {}, f"{email}-reply"),
        ],
        now=THURSDAY,
        source="api",
    )
    lead.refresh_from_db()
    record_first_contact(lead, by=seller, now=THURSDAY + timedelta(hours=2))
    record_feedback(
        lead,
        Decision.ACCEPTED,
        reason=None,
        given_by=seller,
        now=THURSDAY + timedelta(hours=3),
    )
    record_outcome(
        lead,
        OutcomeKind.OPPORTUNITY,
        recorded_by=seller,
        now=THURSDAY + timedelta(days=1),
    )
    record_outcome(
        lead,
        OutcomeKind.WON,
        value_cents=900_000,
        recorded_by=seller,
        now=THURSDAY + timedelta(days=4),
    )
    return lead


def _no_fit_lead(
    email: str, *, source: str = "website", when: datetime = THURSDAY
) -> Lead:
    """Stayed warm and was rejected as no fit before its first contact was due."""
    lead = _arrive_warm(email, source=source, when=when)
    record_feedback(
        lead,
        Decision.REJECTED,
        reason=RejectionReason.NO_FIT,
        given_by=None,
        now=when + timedelta(hours=4),
    )
    return lead


def _values(response: object) -> dict[str, str]:
    cards: list[KpiCard] = response.context["cards"]  # type: ignore[attr-defined]
    return {card.key: card.value for card in cards}


def test_an_anonymous_visitor_is_sent_to_log_in(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={URL}"


def test_sales_may_not_see_the_kpis(client: Client) -> None:
    client.force_login(make_user("sanne", role=Role.SALES))
    assert client.get(URL).status_code == 403


@pytest.mark.parametrize("role", [Role.MARKETING, Role.ADMIN])
def test_marketing_and_admins_see_the_kpis(client: Client, role: Role) -> None:
    client.force_login(make_user("mirjam", role=role))
    response = client.get(reverse("insights:kpis"))
    assert response.status_code == 200
    assert "<h1>KPIs</h1>" in response.content.decode()


def test_an_empty_period_shows_dashes_not_errors(marketing_client: Client) -> None:
    response = marketing_client.get(URL)
    values = _values(response)
    assert values["leads-in"] == "0"
    assert values["sales-ready"] == values["error-rate"] == DASH
    assert values["time-to-first-contact"] == DASH
    assert "No leads arrived in this period." in response.content.decode()


def test_the_page_shows_the_kpis_after_real_flows(marketing_client: Client) -> None:
    _won_hot_lead("kees@bouwbedrijf.nl")
    _no_fit_lead("anna@kapsalon.nl")

    response = marketing_client.get(URL)

    assert _values(response) == {
        "leads-in": "2",
        "sales-ready": "50.0%",
        "sales-accepted": "50.0%",
        "lead-to-opportunity": "50.0%",
        "qualified-to-won": "100.0%",
        "time-to-first-contact": "2.0 h",
        "working-hours-to-first-contact": "2.0 h",
        # The rejected lead's task is not due until Tuesday, so it does not count.
        "sla-compliance": "100.0%",
        "error-rate": "50.0%",
        # The won lead turned hot the moment it arrived; nobody rated either lead.
        "time-to-sales-ready": "0.0 h",
        "quality-rating": DASH,
    }
    html = response.content.decode()
    assert '<p class="kpi-value">50.0%</p>' in html
    assert "1 of 2 rejected as no fit" in html
    assert "Leads that arrived from 7 Sept. 2026 to 30 Nov. 2026" in html


def test_the_table_per_source_shows_each_source(marketing_client: Client) -> None:
    _won_hot_lead("kees@bouwbedrijf.nl", source="referral")
    _no_fit_lead("anna@kapsalon.nl", source="website")

    response = marketing_client.get(URL)

    rows = {row.source: row for row in response.context["source_rows"]}
    assert set(rows) == {"referral", "website"}
    error_rate = "Error rate (no fit)"
    assert {c.label: c.value for c in rows["website"].cells}[error_rate] == "100.0%"
    assert {c.label: c.value for c in rows["referral"].cells}[error_rate] == "0.0%"


def test_the_source_filter_narrows_the_numbers(marketing_client: Client) -> None:
    _won_hot_lead("kees@bouwbedrijf.nl", source="referral")
    _no_fit_lead("anna@kapsalon.nl", source="website")

    response = marketing_client.get(URL, {"source": "website"})

    values = _values(response)
    assert (values["leads-in"], values["error-rate"], values["sales-ready"]) == (
        "1",
        "100.0%",
        "0.0%",
    )
    assert "Source: website" in response.content.decode()


def test_an_unknown_source_is_reported_and_all_sources_are_shown(
    marketing_client: Client,
) -> None:
    _no_fit_lead("anna@kapsalon.nl", source="website")

    response = marketing_client.get(URL, {"source": "fax"})

    assert response.status_code == 422
    assert _values(response)["leads-in"] == "1"
    assert "Source: Select a valid choice." in response.content.decode()


def test_a_shorter_period_leaves_out_older_leads(marketing_client: Client) -> None:
    _no_fit_lead("oud@kapsalon.nl", when=THURSDAY - timedelta(weeks=6))
    _no_fit_lead("anna@kapsalon.nl")

    assert _values(marketing_client.get(URL, {"weeks": "4"}))["leads-in"] == "1"
    assert _values(marketing_client.get(URL, {"weeks": "13"}))["leads-in"] == "2"


def test_dates_replace_the_period(marketing_client: Client) -> None:
    _no_fit_lead("anna@kapsalon.nl")

    response = marketing_client.get(
        URL, {"weeks": "4", "start": "2026-11-27", "end": "2026-11-30"}
    )

    assert _values(response)["leads-in"] == "0"
    assert len(response.context["cards"][0].rows) == 2  # two weeks: 23 and 30 Nov


def test_a_start_after_the_end_is_reported(marketing_client: Client) -> None:
    response = marketing_client.get(URL, {"start": "2026-11-30", "end": "2026-11-01"})
    assert response.status_code == 422
    assert "The start date must be on or before the end date." in (
        response.content.decode()
    )


def test_the_weekly_data_table_lists_every_week(marketing_client: Client) -> None:
    _won_hot_lead("kees@bouwbedrijf.nl")

    response = marketing_client.get(URL, {"weeks": "4"})

    card = response.context["cards"][1]
    assert [(row.week, row.value) for row in card.rows] == [
        ("9 Nov. 2026", DASH),
        ("16 Nov. 2026", DASH),
        ("23 Nov. 2026", "100.0%"),
        ("30 Nov. 2026", DASH),
    ]


def test_an_htmx_request_gets_only_the_kpi_section(marketing_client: Client) -> None:
    _no_fit_lead("anna@kapsalon.nl")

    response = marketing_client.get(URL, {"weeks": "4"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert html.lstrip().startswith('<section id="kpi-section"')
    assert "<html" not in html and "<form" not in html
    assert "Error rate (no fit)" in html


def test_the_full_page_has_the_filters_and_the_section(
    marketing_client: Client,
) -> None:
    html = marketing_client.get(URL).content.decode()
    assert 'hx-get="/kpis/"' in html and 'hx-push-url="true"' in html
    assert 'id="kpi-section"' in html
    for label in ("Period", "From", "To", "Source", "Show KPIs", "Per source"):
        assert label in html


def test_every_chart_on_the_page_is_valid_svg(marketing_client: Client) -> None:
    _won_hot_lead("kees@bouwbedrijf.nl")
    _no_fit_lead("anna@kapsalon.nl")

    html = marketing_client.get(URL).content.decode()

    svgs = [
        svg
        for svg in re.findall(r"<svg.*?</svg>", html, flags=re.DOTALL)
        if 'class="chart"' in svg
    ]
    assert len(svgs) == 11 + 1  # a chart per KPI, then the calibration chart
    for svg in svgs[:-1]:
        root = ET.fromstring(svg)
        tooltips = [
            title.text for title in root.iter("{http://www.w3.org/2000/svg}title")
        ]
        assert len(tooltips) == 1 + 13  # the chart's title, then one per week
    calibration = ET.fromstring(svgs[-1])
    titles = list(calibration.iter("{http://www.w3.org/2000/svg}title"))
    assert len(titles) == 1 + 10  # the chart's title, then one per ten points
    assert "Week of 23 Nov. 2026: 50.0%" in html


def test_numbers_follow_the_dutch_locale(marketing_client: Client) -> None:
    _won_hot_lead("kees@bouwbedrijf.nl")
    _no_fit_lead("anna@kapsalon.nl")
    marketing_client.cookies["leadqual_language"] = "nl"

    values = _values(marketing_client.get(URL))

    assert values["error-rate"] == "50,0%"


def test_qualified_to_won_says_how_many_accepted_leads_were_won(
    marketing_client: Client,
) -> None:
    """The card once read "won, of 1 accepted leads", the number of wins missing."""
    _won_hot_lead("kees@bouwbedrijf.nl")
    _arrive_warm("anna@kapsalon.nl")
    anna = Lead.objects.get(email="anna@kapsalon.nl")
    record_feedback(anna, Decision.ACCEPTED, reason=None, given_by=None, now=THURSDAY)

    english = marketing_client.get(URL).content.decode()
    dutch = marketing_client.get(URL, HTTP_ACCEPT_LANGUAGE="nl").content.decode()

    assert "1 of 2 accepted leads won" in english
    assert "1 van 2 geaccepteerde leads gewonnen" in dutch
