"""Campaign costs: entered per source and month, imported by CSV, cost per qualified lead."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from leadqual.core.lifecycle import Decision
from leadqual.core.sla import DUTCH_TIME
from leadqual.insights.forms import parse_cost_file
from leadqual.insights.models import CampaignCost
from leadqual.triage.services import record_feedback
from leadqual.users.roles import Role
from tests.factories import LeadFactory, make_user

pytestmark = pytest.mark.django_db

MONDAY_NOON = datetime(2026, 11, 30, 12, 0, tzinfo=DUTCH_TIME)
COSTS = "/kpis/costs/"


@pytest.fixture(autouse=True)
def _monday_noon() -> Iterator[None]:
    with time_machine.travel(MONDAY_NOON, tick=False):
        yield


@pytest.fixture
def marketing_client(client: Client) -> Client:
    client.force_login(make_user("mirjam", role=Role.MARKETING))
    return client


def _stored() -> list[tuple[str, date, int]]:
    return list(
        CampaignCost.objects.order_by("source", "month").values_list(
            "source", "month", "amount_cents"
        )
    )


def _upload(client: Client, text: str) -> str:
    upload = SimpleUploadedFile("kosten.csv", text.encode(), content_type="text/csv")
    response = client.post(reverse("insights:costs-import"), {"file": upload})
    return f"{response.status_code} {response.content.decode()}"


def test_marketing_enters_a_month_and_entering_it_again_replaces_it(
    marketing_client: Client,
) -> None:
    response = marketing_client.post(
        COSTS, {"source": "website", "month": "2026-11", "amount": "1.250,50"}
    )
    assert response.status_code == 302
    marketing_client.post(
        COSTS, {"source": "website", "month": "2026-11", "amount": "1300"}
    )
    assert _stored() == [("website", date(2026, 11, 1), 130_000)]
    page = marketing_client.get(COSTS).content.decode()
    assert "Saved: €1,300 for website in November 2026." in page
    assert '<td data-label="Amount">€1,300</td>' in page


def test_a_bad_month_or_amount_is_reported_on_the_form(
    marketing_client: Client,
) -> None:
    response = marketing_client.post(
        COSTS, {"source": "website", "month": "november", "amount": "veel"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Enter a month as year and month, for example 2026-11." in html
    assert "&quot;veel&quot; is not an amount in euros." in html
    assert not CampaignCost.objects.exists()


def test_a_csv_with_semicolons_and_dutch_columns_is_imported(
    marketing_client: Client,
) -> None:
    answer = _upload(
        marketing_client,
        "bron;maand;bedrag\nwebsite;2026-10;1.000,00\nbeurs;2026-11;€ 2.500\n",
    )
    assert answer.startswith("302 ")
    assert _stored() == [
        ("beurs", date(2026, 11, 1), 250_000),
        ("website", date(2026, 10, 1), 100_000),
    ]
    assert "Imported 2 campaign costs." in marketing_client.get(COSTS).content.decode()


def test_a_csv_with_bad_rows_reports_every_row_and_stores_nothing(
    marketing_client: Client,
) -> None:
    answer = _upload(
        marketing_client,
        "source,month,amount\n"
        "website,2026-10,1000\n"
        ",2026-11,500\n"
        "beurs,11-2026,500\n"
        "website,2026-10,200\n",
    )
    assert answer.startswith("422 ")
    errors = re.findall(r"<li>(.*?)</li>", answer.split('id="cost-file-errors"')[1])
    assert errors[:3] == [
        "Row 3, column &quot;source&quot;: This field is required.",
        "Row 4, column &quot;month&quot;: Enter a month as year and month, for example 2026-11.",
        "Row 5 repeats source website and month 2026-10 of row 2.",
    ]
    assert not CampaignCost.objects.exists()


def test_a_csv_without_the_columns_says_which_are_missing() -> None:
    parsed = parse_cost_file(b"source,amount\nwebsite,100\n")
    assert parsed.costs == []
    assert parsed.errors == [
        "The first row must name the columns source, month and amount "
        "(or bron, maand, bedrag); missing: month."
    ]
    assert parse_cost_file(b"\xff\xfe").errors == [
        "The file is not UTF-8 text. Save it as CSV (UTF-8) and try again."
    ]


def test_sales_may_not_enter_costs(client: Client) -> None:
    client.force_login(make_user("sanne", role=Role.SALES))
    response = client.post(
        COSTS, {"source": "website", "month": "2026-11", "amount": "100"}
    )
    assert response.status_code == 403
    assert not CampaignCost.objects.exists()


def test_the_kpi_page_shows_the_cost_per_qualified_lead(
    marketing_client: Client,
) -> None:
    # November costs 3,000 euros on the website, 600 at the fair; the period
    # 1 to 30 November holds the whole month.
    CampaignCost.objects.create(
        source="website", month=date(2026, 11, 1), amount_cents=300_000
    )
    CampaignCost.objects.create(
        source="beurs", month=date(2026, 11, 1), amount_cents=60_000
    )
    arrived = datetime(2026, 11, 10, 10, 0, tzinfo=DUTCH_TIME)
    for number in range(4):
        lead = LeadFactory.create(
            source="website" if number < 3 else "email", created_at=arrived
        )
        record_feedback(
            lead,
            Decision.ACCEPTED,
            reason=None,
            given_by=None,
            now=arrived + timedelta(hours=1),
        )
    html = marketing_client.get(
        "/kpis/", {"start": "2026-11-01", "end": "2026-11-30"}
    ).content.decode()
    table = html.split('id="kpi-cost-per-source"', 1)[1].split("</table>", 1)[0]
    rows = [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)
        if "<td" in row
    ]
    assert rows == [
        ["beurs", "€600", "0", "\N{EN DASH}"],
        ["email", "€0", "1", "€0"],
        ["website", "€3,000", "3", "€1,000"],
        ["Total", "€3,600", "4", "€900"],
    ]


def test_without_costs_the_kpi_page_links_to_entering_them(
    marketing_client: Client,
) -> None:
    html = marketing_client.get("/kpis/").content.decode()
    assert "No campaign costs entered for this period." in html
    assert 'href="/kpis/costs/"' in html


def test_the_csv_errors_are_in_dutch_and_name_the_files_columns(client: Client) -> None:
    client.force_login(make_user("mirjam", role=Role.MARKETING))
    upload = SimpleUploadedFile(
        "kosten.csv",
        b"bron;maand;bedrag\nwebsite;2026-13;100\n",
        content_type="text/csv",
    )
    response = client.post(
        reverse("insights:costs-import"),
        {"file": upload},
        headers={"Accept-Language": "nl"},
    )
    assert response.status_code == 422
    assert (
        "Rij 2, kolom &quot;maand&quot;: Vul een maand in als jaar en maand, "
        "bijvoorbeeld 2026-11." in response.content.decode()
    )
