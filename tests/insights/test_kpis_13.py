"""The KPIs of issue 13 on /kpis/: sales' rating, time to sales-ready, bands, calibration."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import time_machine
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from leadqual.core.lifecycle import Decision, OutcomeKind, RejectionReason
from leadqual.core.sla import DUTCH_TIME
from leadqual.leads.models import Lead
from leadqual.triage.services import record_feedback, record_outcome
from leadqual.users.roles import Role
from tests.factories import LeadFactory, make_user

pytestmark = pytest.mark.django_db

# Thursday 26 November 2026, 10:00 in Utrecht; the page is read on Monday.
THURSDAY = datetime(2026, 11, 26, 10, 0, tzinfo=DUTCH_TIME)
MONDAY_NOON = datetime(2026, 11, 30, 12, 0, tzinfo=DUTCH_TIME)
URL = "/kpis/"


@pytest.fixture(autouse=True)
def _monday_noon() -> Iterator[None]:
    with time_machine.travel(MONDAY_NOON, tick=False):
        yield


@pytest.fixture
def marketing_client(client: Client) -> Client:
    client.force_login(make_user("mirjam", role=Role.MARKETING))
    return client


def _lead(source: str, band: str, score: int) -> Lead:
    return LeadFactory.create(
        source=source, band=band, score_total=score, created_at=THURSDAY
    )


def _accept(lead: Lead, *, hours: int, rating: int | None) -> None:
    record_feedback(
        lead,
        Decision.ACCEPTED,
        reason=None,
        rating=rating,
        given_by=None,
        now=THURSDAY + timedelta(hours=hours),
    )


def _reject(lead: Lead, *, rating: int | None) -> None:
    record_feedback(
        lead,
        Decision.REJECTED,
        reason=RejectionReason.NO_FIT,
        rating=rating,
        given_by=None,
        now=THURSDAY + timedelta(hours=1),
    )


def _four_rated_leads() -> None:
    """Website: hot 92 rated 5 (won), warm 55 rated 3; beurs: hot 81 rated 4, cold 12 rated 1."""
    won = _lead("website", "hot", 92)
    _accept(won, hours=6, rating=5)
    record_outcome(
        won, OutcomeKind.WON, value_cents=500_000, recorded_by=None, now=THURSDAY
    )
    _accept(_lead("website", "warm", 55), hours=10, rating=3)
    opportunity = _lead("beurs", "hot", 81)
    _accept(opportunity, hours=2, rating=4)
    record_outcome(
        opportunity,
        OutcomeKind.OPPORTUNITY,
        value_cents=200_000,
        recorded_by=None,
        now=THURSDAY,
    )
    _reject(_lead("beurs", "cold", 12), rating=1)


def _cells(html: str, table_id: str) -> list[list[str]]:
    table = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)
        if "<td" in row
    ]


def _value(html: str, key: str) -> str:
    match = re.search(
        rf'id="kpi-{key}">.*?<p class="kpi-value">([^<]*)</p>', html, re.S
    )
    assert match is not None, key
    return match.group(1)


def test_the_average_rating_and_time_to_sales_ready_of_the_period(
    marketing_client: Client,
) -> None:
    _four_rated_leads()
    html = marketing_client.get(URL).content.decode()
    assert _value(html, "quality-rating") == "3.3 of 5"  # (5 + 3 + 4 + 1) / 4
    # Accepted after 6, 10 and 2 hours; the rejected lead never got there.
    assert _value(html, "time-to-sales-ready") == "6.0 h"
    assert "mean of 4 ratings from 1 to 5" in html
    assert "mean of 3 leads that became hot or were accepted" in html


def test_the_rating_per_source(marketing_client: Client) -> None:
    _four_rated_leads()
    html = marketing_client.get(URL).content.decode()
    rows = {row[0]: row for row in _cells(html, "kpi-per-source")}
    assert rows["beurs"][-1] == "2.5 of 5"
    assert rows["website"][-1] == "4.0 of 5"
    assert rows["beurs"][-2] == "2.0 h"
    assert rows["website"][-2] == "8.0 h"


def test_conversion_and_rating_per_band(marketing_client: Client) -> None:
    _four_rated_leads()
    html = marketing_client.get(URL).content.decode()
    assert _cells(html, "kpi-per-band") == [
        ["Hot", "2", "100.0%", "100.0%", "50.0%", "4.5 of 5", "2"],
        ["Warm", "1", "100.0%", "0.0%", "0.0%", "3.0 of 5", "1"],
        ["Cold", "1", "0.0%", "0.0%", "0.0%", "1.0 of 5", "1"],
    ]


def test_the_calibration_chart_shows_conversion_per_ten_points(
    marketing_client: Client,
) -> None:
    _four_rated_leads()
    html = marketing_client.get(URL).content.decode()
    calibration = html.split('id="kpi-calibration"', 1)[1].split("</article>", 1)[0]
    assert calibration.count("<rect") >= 10
    assert "Score 90\N{EN DASH}100: 1 of 1 leads converted" in calibration
    assert "Score 10\N{EN DASH}19: 0 of 1 leads converted" in calibration
    rows = _cells(calibration, "kpi-calibration-table")
    assert rows[8] == ["80\N{EN DASH}89", "1", "1", "100.0%"]
    assert rows[0] == ["0\N{EN DASH}9", "0", "0", "\N{EN DASH}"]


def test_the_new_kpis_are_in_dutch(marketing_client: Client) -> None:
    _four_rated_leads()
    html = marketing_client.get(URL, headers={"Accept-Language": "nl"}).content.decode()
    assert _value(html, "quality-rating") == "3,3 van 5"
    assert "Per temperatuur" in html and "Converteert een hogere score beter?" in html
    assert "Heet" in html


def _many_leads(count: int) -> None:
    for number in range(count):
        lead = _lead("website" if number % 2 else "beurs", "hot", number % 101)
        _accept(lead, hours=number % 7, rating=number % 5 + 1)


# Session and user, the sources, then a fixed set of grouped queries: the
# facts (6), no-fit explanations, costs; a period shorter than the 12-week
# trend reads the trend's facts once more.
QUERY_BUDGETS = {
    "/kpis/": 12,
    "/kpis/?weeks=4": 18,
    "/kpis/export.csv": 11,
    "/kpis/export.xlsx": 11,
}


@pytest.mark.parametrize("count", [4, 40])
@pytest.mark.parametrize("url", list(QUERY_BUDGETS))
def test_the_page_and_exports_take_the_same_queries_for_4_and_40_leads(
    marketing_client: Client,
    count: int,
    url: str,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    _many_leads(count)
    with django_assert_max_num_queries(QUERY_BUDGETS[url]):
        response = marketing_client.get(url)
    assert response.status_code == 200


def test_every_kpi_has_a_12_week_sparkline(marketing_client: Client) -> None:
    _four_rated_leads()
    # Four weeks asked for: the trend still covers 12 weeks, ending this week.
    html = marketing_client.get(URL, {"weeks": "4"}).content.decode()
    sparklines = re.findall(r'<svg[^>]*class="sparkline".*?</svg>', html, re.S)
    assert len(sparklines) == 11
    rating = next(svg for svg in sparklines if 'id="trend-quality-rating-title"' in svg)
    assert (
        "Lead quality (sales&#x27; rating), 12 weeks: \N{EN DASH} in the week of "
        "14 Sept. 2026, \N{EN DASH} in the week of 30 Nov. 2026" in rating
    )
    leads_in = next(svg for svg in sparklines if 'id="trend-leads-in-title"' in svg)
    # 11 weeks without leads, then 4 in the week of 23 November, 0 this week.
    points = re.search(r'points="([^"]+)"', leads_in)
    assert points is not None
    ys = [float(pair.split(",")[1]) for pair in points.group(1).split()]
    assert len(ys) == 12
    assert ys.count(min(ys)) == 1 and ys.index(min(ys)) == 10


def test_a_sparkline_breaks_where_a_week_has_no_data() -> None:
    from leadqual.insights.charts import sparkline

    svg = sparkline(
        chart_id="trend-x", title="x", values=[0.5, 0.6, None, 0.2, 0.4], y_max=1.0
    )
    assert svg.count("<polyline") == 2
    assert svg.count("<circle") == 1  # the last known value
    with pytest.raises(ValueError, match="y_max must be above 0"):
        sparkline(chart_id="trend-x", title="x", values=[], y_max=0)


def test_a_lead_counts_in_the_band_it_had_when_its_outcome_was_recorded(
    marketing_client: Client,
) -> None:
    """Won while hot, faded to cold since: it stays a hot lead in the KPIs."""
    won = _lead("website", "hot", 85)
    _accept(won, hours=1, rating=5)
    record_outcome(won, OutcomeKind.WON, recorded_by=None, now=THURSDAY)
    Lead.objects.filter(pk=won.pk).update(band="cold", score_total=20)

    html = marketing_client.get(URL).content.decode()

    assert _cells(html, "kpi-per-band") == [
        ["Hot", "1", "100.0%", "100.0%", "100.0%", "5.0 of 5", "1"],
    ]


def test_a_lead_sales_only_judged_counts_in_its_band_at_the_feedback(
    marketing_client: Client,
) -> None:
    rejected = _lead("website", "warm", 50)
    _reject(rejected, rating=2)
    Lead.objects.filter(pk=rejected.pk).update(band="hot", score_total=75)

    html = marketing_client.get(URL).content.decode()

    assert [row[0] for row in _cells(html, "kpi-per-band")] == ["Warm"]


def test_the_band_stored_with_feedback_is_the_band_in_the_database_then() -> None:
    """A caller holding an older copy of the lead still stores its band now."""
    lead = _lead("website", "warm", 50)
    stale = Lead.objects.get(pk=lead.pk)
    Lead.objects.filter(pk=lead.pk).update(band="hot", score_total=80)

    _accept(stale, hours=1, rating=None)
    record_outcome(stale, OutcomeKind.OPPORTUNITY, recorded_by=None, now=THURSDAY)

    assert lead.feedback.get().band == "hot"
    assert lead.outcomes.get().band == "hot"
