"""The weekly mail's new KPIs: rating, time to sales-ready, cost per lead, no-fit rules."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.test import override_settings
from pytest_django import DjangoAssertNumQueries

from leadqual.core.lifecycle import Decision, RejectionReason
from leadqual.core.sla import DUTCH_TIME
from leadqual.insights.models import CampaignCost
from leadqual.insights.report import send_weekly_report, weekly_report
from leadqual.intake.pipeline import submit_lead
from leadqual.triage.services import record_feedback
from leadqual.users.models import OwnerProfile
from leadqual.users.roles import Role
from tests.factories import make_user
from tests.integrations import SmtpSink, smtp_server

pytestmark = pytest.mark.django_db

# Sent on Monday 30 November 2026 about the week of Monday 23 November.
MONDAY_7 = datetime(2026, 11, 30, 7, 0, tzinfo=DUTCH_TIME)
LAST_THURSDAY = datetime(2026, 11, 26, 10, 0, tzinfo=DUTCH_TIME)
WARM_FIELDS = {
    "sector": "software",
    "employees": "25",
    "budget_euros": "15000",
    "urgency": "immediate",
}


@pytest.fixture(autouse=True)
def _monday_morning() -> Iterator[None]:
    with time_machine.travel(MONDAY_7, tick=False):
        yield


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    found = SmtpSink()
    with (
        smtp_server(found) as url,
        override_settings(
            EMAIL_URL=url,
            EMAIL_FROM="leadqual@example.nl",
            BASE_URL="https://leads.example.nl",
        ),
    ):
        yield found


@pytest.fixture
def week() -> None:
    """Website: accepted after 6 h rated 4, rejected as no fit rated 1; €700 in November."""
    accepted = submit_lead(
        "kees@bouwbedrijf.nl", {**WARM_FIELDS, "source": "website"}, now=LAST_THURSDAY
    ).lead
    record_feedback(
        accepted,
        Decision.ACCEPTED,
        reason=None,
        rating=4,
        given_by=None,
        now=LAST_THURSDAY + timedelta(hours=6),
    )
    rejected = submit_lead(
        "anna@kapsalon.nl", {**WARM_FIELDS, "source": "website"}, now=LAST_THURSDAY
    ).lead
    record_feedback(
        rejected,
        Decision.REJECTED,
        reason=RejectionReason.NO_FIT,
        rating=1,
        given_by=None,
        now=LAST_THURSDAY + timedelta(hours=1),
    )
    # 30 days of €30 = €900; the week holds 7 of them: €210.
    CampaignCost.objects.create(
        source="website", month=date(2026, 11, 1), amount_cents=90_000
    )


@pytest.mark.usefixtures("week")
def test_the_mail_has_the_new_kpis_in_english_and_dutch(sink: SmtpSink) -> None:
    english_reader = make_user("mirjam", role=Role.MARKETING)
    dutch_reader = make_user("bram", role=Role.ADMIN)
    OwnerProfile.objects.create(user=dutch_reader, language="nl")

    send_weekly_report(now=MONDAY_7)

    mails = {tuple(mail.rcpt_tos): mail for mail in sink.messages}
    english = mails[(english_reader.email,)]
    dutch = mails[(dutch_reader.email,)]
    text = english.part("text/plain").replace("\r\n", "\n")
    assert "Lead quality (sales' rating): 2.5 of 5" in text
    assert "Time to sales-ready: 6.0 h" in text
    assert (
        "Cost per qualified lead\nwebsite: €210 (€210 / 1)\nTotal: €210 (€210 / 1)"
        in text
    )
    assert (
        "Rules behind leads rejected as no fit\nBudget of 10,000 euros or more: 1 of 1"
        in text
    )
    assert "Per band\nWarm: 2 leads, 0.0% to opportunity, rated 2.5 of 5" in text
    html = english.part("text/html")
    assert 'id="cost-per-qualified-lead"' in html
    assert "<li>Works in a sector we serve best: 1 of 1</li>" in html
    dutch_text = dutch.part("text/plain").replace("\r\n", "\n")
    assert "Kwaliteit van leads (beoordeling door sales): 2,5 van 5" in dutch_text
    assert "Tijd tot salesklaar: 6,0 u" in dutch_text
    assert "Kosten per gekwalificeerde lead\nwebsite: € 210 (€ 210 / 1)" in dutch_text
    assert (
        "Per temperatuur\nWarm: 2 leads, 0,0% naar verkoopkans, beoordeeld met 2,5 van 5"
        in dutch_text
    )
    assert "Regels achter leads die als 'past niet' zijn afgewezen" in dutch.part(
        "text/html"
    ).replace("&#x27;", "'")


def _leads_last_week(count: int) -> None:
    for number in range(count):
        lead = submit_lead(
            f"lead{number}@bouwbedrijf.nl",
            {**WARM_FIELDS, "source": "website" if number % 2 else "beurs"},
            now=LAST_THURSDAY,
        ).lead
        record_feedback(
            lead,
            Decision.REJECTED,
            reason=RejectionReason.NO_FIT,
            rating=number % 5 + 1,
            given_by=None,
            now=LAST_THURSDAY + timedelta(hours=1),
        )


@pytest.mark.parametrize("count", [3, 30])
def test_the_report_takes_the_same_queries_for_3_and_30_leads(
    count: int, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    _leads_last_week(count)
    CampaignCost.objects.create(
        source="website", month=date(2026, 11, 1), amount_cents=90_000
    )
    # The facts (6), the no-fit explanations (2) and the costs (1).
    with django_assert_max_num_queries(9):
        report = weekly_report(week_start=date(2026, 11, 23), now=MONDAY_7)
    assert report.this_week.leads_in == count
    assert len(report.no_fit_explanations) == count
