"""The KPI tables as CSV and XLSX downloads: plain numbers, the page's filters."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from openpyxl import load_workbook

from leadqual.core.lifecycle import Decision, RejectionReason
from leadqual.core.sla import DUTCH_TIME
from leadqual.insights.models import CampaignCost
from leadqual.triage.services import record_feedback
from leadqual.users.roles import Role
from tests.factories import LeadFactory, make_user

pytestmark = pytest.mark.django_db

MONDAY_NOON = datetime(2026, 11, 30, 12, 0, tzinfo=DUTCH_TIME)
ARRIVED = datetime(2026, 11, 10, 10, 0, tzinfo=DUTCH_TIME)
NOVEMBER = {"start": "2026-11-01", "end": "2026-11-30"}


@pytest.fixture(autouse=True)
def _monday_noon() -> Iterator[None]:
    with time_machine.travel(MONDAY_NOON, tick=False):
        yield


@pytest.fixture
def marketing_client(client: Client) -> Client:
    client.force_login(make_user("mirjam", role=Role.MARKETING))
    return client


def _leads() -> None:
    """Website: one lead accepted after 4 hours rated 4, one rejected; November costs €900."""
    CampaignCost.objects.create(
        source="website", month=date(2026, 11, 1), amount_cents=90_000
    )
    accepted = LeadFactory.create(
        source="website", band="hot", score_total=80, created_at=ARRIVED
    )
    rejected = LeadFactory.create(
        source="website", band="cold", score_total=10, created_at=ARRIVED
    )
    record_feedback(
        rejected,
        Decision.REJECTED,
        reason=RejectionReason.NO_BUDGET,
        given_by=None,
        now=ARRIVED + timedelta(hours=1),
    )
    record_feedback(
        accepted,
        Decision.ACCEPTED,
        reason=None,
        rating=4,
        given_by=None,
        now=ARRIVED + timedelta(hours=4),
    )


def _blocks(text: str, delimiter: str) -> dict[str, list[list[str]]]:
    blocks: dict[str, list[list[str]]] = {}
    name = ""
    for row in csv.reader(io.StringIO(text), delimiter=delimiter):
        if not row:
            name = ""
        elif not name:
            name = row[0]
            blocks[name] = []
        else:
            blocks[name].append(row)
    return blocks


def test_the_csv_holds_every_table_with_plain_numbers(marketing_client: Client) -> None:
    _leads()
    response = marketing_client.get("/kpis/export.csv", NOVEMBER)
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="kpis-2026-11-01-2026-11-30.csv"'
    )
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    blocks = _blocks(text.lstrip("\ufeff"), ",")
    assert list(blocks) == [
        "KPIs",
        "Per week",
        "Per source",
        "Per band",
        "Cost per qualified lead",
    ]
    period = dict(blocks["KPIs"][1:])
    assert period["Leads in"] == "2"
    assert period["Sales-accepted"] == "0.5"
    assert period["Time to sales-ready"] == "4"
    assert period["Lead quality (sales' rating)"] == "4"
    assert period["Error rate (no fit)"] == "0"
    assert period["SLA compliance"] == ""  # no first-contact task: no ratio
    # Header, then the weeks of 26 October (1 November is a Sunday) to 30 November.
    assert len(blocks["Per week"]) == 1 + 6
    assert [row[0] for row in blocks["Per band"][1:]] == ["Hot", "Cold"]
    assert blocks["Cost per qualified lead"] == [
        ["Source", "Costs", "Qualified leads", "Cost per qualified lead"],
        ["website", "900", "1", "900"],
        ["Total", "900", "1", "900"],
    ]


def test_the_dutch_csv_uses_semicolons_and_decimal_commas(
    marketing_client: Client,
) -> None:
    _leads()
    response = marketing_client.get(
        "/kpis/export.csv", NOVEMBER, headers={"Accept-Language": "nl"}
    )
    blocks = _blocks(response.content.decode("utf-8").lstrip("\ufeff"), ";")
    assert "Kosten per gekwalificeerde lead" in blocks
    period = dict(blocks["KPI's"][1:])
    assert period["Geaccepteerd door sales"] == "0,5"


def test_the_xlsx_has_a_sheet_per_table_with_formatted_numbers(
    marketing_client: Client,
) -> None:
    _leads()
    response = marketing_client.get("/kpis/export.xlsx", NOVEMBER)
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == [
        "KPIs",
        "Per week",
        "Per source",
        "Per band",
        "Cost per qualified lead",
    ]
    sources = workbook["Per source"]
    header = [cell.value for cell in sources[1]]
    website = [cell.value for cell in sources[2]]
    accepted = header.index("Sales-accepted")
    assert website[0] == "website"
    assert website[accepted] == 0.5
    assert sources.cell(row=2, column=accepted + 1).number_format == "0.0%"
    costs = workbook["Cost per qualified lead"]
    assert [cell.value for cell in costs[2]] == ["website", 900, 1, 900]
    assert [cell.value for cell in costs[3]] == ["Total", 900, 1, 900]


def test_bad_filters_answer_422_with_the_reason(marketing_client: Client) -> None:
    response = marketing_client.get(
        "/kpis/export.xlsx", {"start": "2026-11-30", "end": "2026-11-01"}
    )
    assert response.status_code == 422
    assert (
        "The start date must be on or before the end date." in response.content.decode()
    )


def test_the_page_links_the_exports_with_its_filters(marketing_client: Client) -> None:
    html = marketing_client.get("/kpis/", NOVEMBER).content.decode()
    assert 'href="/kpis/export.csv?start=2026-11-01&amp;end=2026-11-30"' in html
    assert 'href="/kpis/export.xlsx?start=2026-11-01&amp;end=2026-11-30"' in html
