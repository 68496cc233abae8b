"""The weekly report: the KPI page's numbers for last week, mailed once to each reader.

Leads arrive through intake.pipeline and get feedback through
triage.services; mail goes to a real local SMTP server (aiosmtpd); the clock
stands on Monday 30 November 2026, 07:00 in Amsterdam.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings
from django.utils import translation
from huey.contrib.djhuey import HUEY

from leadqual.core.lifecycle import Decision, OutcomeKind, RejectionReason
from leadqual.core.sla import DUTCH_TIME
from leadqual.insights.models import WeeklyReportSent
from leadqual.insights.report import (
    WeeklyReportDeliveryFailed,
    report_content,
    send_weekly_report,
    weekly_report,
)
from leadqual.insights.tasks import send_weekly_report_task
from leadqual.insights.views import KpiCard
from leadqual.intake.pipeline import RawEvent, submit_events, submit_lead
from leadqual.leads.models import Lead
from leadqual.triage.services import (
    record_feedback,
    record_first_contact,
    record_outcome,
)
from leadqual.users.models import OwnerProfile
from leadqual.users.roles import Role
from tests.factories import make_user
from tests.integrations import SmtpSink, smtp_server

pytestmark = pytest.mark.django_db

# The report goes out on Monday 30 November 2026 at 07:00 and covers the week
# of Monday 23 November; the week before started on 16 November.
MONDAY_7 = datetime(2026, 11, 30, 7, 0, tzinfo=DUTCH_TIME)
LAST_WEEK = date(2026, 11, 23)
LAST_THURSDAY = datetime(2026, 11, 26, 10, 0, tzinfo=DUTCH_TIME)
THURSDAY_BEFORE = datetime(2026, 11, 19, 10, 0, tzinfo=DUTCH_TIME)
WARM_FIELDS = {
    "sector": "software",
    "employees": "25",
    "budget_euros": "15000",
    "urgency": "immediate",
}
BASE_URL = "https://leads.example.nl"


@pytest.fixture(autouse=True)
def _monday_morning() -> Iterator[None]:
    with time_machine.travel(MONDAY_7, tick=False):
        yield


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    """A local SMTP server, with the settings pointing at it."""
    found = SmtpSink()
    with (
        smtp_server(found) as url,
        override_settings(
            EMAIL_URL=url, EMAIL_FROM="leadqual@example.nl", BASE_URL=BASE_URL
        ),
    ):
        yield found


def _arrive_warm(email: str, *, source: str, when: datetime) -> Lead:
    return submit_lead(email, {**WARM_FIELDS, "source": source}, now=when).lead


def _won_hot_lead(email: str, *, source: str) -> Lead:
    """Last week: turned hot, contacted within the SLA, accepted, won."""
    seller = make_user(f"seller-{email.split('@')[0]}")
    lead = _arrive_warm(email, source=source, when=LAST_THURSDAY)
    when = LAST_THURSDAY.isoformat()
    submit_events(
        [
            RawEvent(email, "demo_request", when, {}, f"{email}-demo"),
            RawEvent(email, "email_reply", when, {}, f"{email}-reply"),
        ],
        now=LAST_THURSDAY,
        source="api",
    )
    lead.refresh_from_db()
    record_first_contact(lead, by=seller, now=LAST_THURSDAY + timedelta(hours=2))
    record_feedback(
        lead,
        Decision.ACCEPTED,
        reason=None,
        given_by=seller,
        now=LAST_THURSDAY + timedelta(hours=3),
    )
    record_outcome(
        lead,
        OutcomeKind.OPPORTUNITY,
        recorded_by=seller,
        now=LAST_THURSDAY + timedelta(days=1),
    )
    record_outcome(
        lead,
        OutcomeKind.WON,
        value_cents=900_000,
        recorded_by=seller,
        now=LAST_THURSDAY + timedelta(days=2),
    )
    return lead


def _no_fit_lead(email: str, *, source: str) -> Lead:
    """Last week: stayed warm and was rejected as no fit."""
    lead = _arrive_warm(email, source=source, when=LAST_THURSDAY)
    record_feedback(
        lead,
        Decision.REJECTED,
        reason=RejectionReason.NO_FIT,
        given_by=None,
        now=LAST_THURSDAY + timedelta(hours=4),
    )
    return lead


@pytest.fixture
def history() -> None:
    """Two leads last week (a win by referral, a no-fit from the website), one before."""
    _won_hot_lead("kees@bouwbedrijf.nl", source="referral")
    _no_fit_lead("anna@kapsalon.nl", source="website")
    _arrive_warm("piet@drukkerij.nl", source="website", when=THURSDAY_BEFORE)


def _reader(username: str, *, role: Role = Role.MARKETING, language: str = "") -> User:
    user = make_user(username, role=role)
    if language:
        OwnerProfile.objects.create(user=user, language=language)
    return user


def _page_values(client: Client) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The KPI page's cards and per-source cells for last week, as shown."""
    client.force_login(make_user("page-reader", role=Role.MARKETING))
    response = client.get("/kpis/", {"start": "2026-11-23", "end": "2026-11-29"})
    assert response.status_code == 200
    cards: list[KpiCard] = response.context["cards"]
    sources = {
        row.source: [cell.value for cell in row.cells]
        for row in response.context["source_rows"]
    }
    return {card.key: card.value for card in cards}, sources


@pytest.mark.usefixtures("history")
def test_the_report_shows_the_kpi_pages_numbers_for_last_week(client: Client) -> None:
    page, page_sources = _page_values(client)

    report = weekly_report(week_start=LAST_WEEK, zone=DUTCH_TIME, now=MONDAY_7)
    with translation.override("en"):
        content = report_content(report)

    assert {line.key: line.value for line in content.lines} == page
    assert page["leads-in"] == "2" and page["error-rate"] == "50.0%"
    cells: dict[str, list[str]] = {source: [] for source in content.sources}
    for line in content.source_lines:
        for cell in line.cells:
            cells[cell.source].append(cell.value)
    assert cells == page_sources


@pytest.mark.usefixtures("history")
def test_the_report_compares_last_week_with_the_week_before() -> None:
    report = weekly_report(week_start=LAST_WEEK, zone=DUTCH_TIME, now=MONDAY_7)
    with translation.override("en"):
        lines = {line.key: line for line in report_content(report).lines}

    assert (report.week_start, report.week_end) == (LAST_WEEK, date(2026, 11, 29))
    assert (report.this_week.leads_in, report.week_before.leads_in) == (2, 1)
    assert (lines["leads-in"].previous, lines["leads-in"].change) == ("1", "+1")
    assert lines["sales-ready"].change == "+50.0 pp"
    # Last week's only task that counts was met; the week before's was missed.
    assert lines["sla-compliance"].previous == "0.0%"
    assert lines["sla-compliance"].change == "+100.0 pp"
    # No feedback the week before: no error rate, so no change either.
    assert lines["error-rate"].change == "\N{EN DASH}"


@pytest.mark.usefixtures("history")
def test_the_report_gives_each_source_with_its_change() -> None:
    report = weekly_report(week_start=LAST_WEEK, zone=DUTCH_TIME, now=MONDAY_7)

    by_source = {row.source: row for row in report.sources}
    assert set(by_source) == {"referral", "website"}
    assert by_source["website"].this_week.leads_in == 1
    assert by_source["website"].week_before.leads_in == 1
    assert by_source["referral"].this_week.won == 1
    assert by_source["referral"].week_before.leads_in == 0


@pytest.mark.usefixtures("history")
def test_each_marketing_and_admin_user_gets_one_mail_in_their_language(
    sink: SmtpSink,
) -> None:
    mirjam = _reader("mirjam")
    bram = _reader("bram", role=Role.ADMIN, language="nl")

    result = send_weekly_report(now=MONDAY_7)

    assert (result.week_start, result.sent, result.already_sent) == (LAST_WEEK, 2, 0)
    mails = {tuple(mail.rcpt_tos): mail for mail in sink.messages}
    assert set(mails) == {(mirjam.email,), (bram.email,)}
    english = mails[(mirjam.email,)]
    dutch = mails[(bram.email,)]
    assert '<html lang="en">' in english.part("text/html")
    assert "Leads in: 2" in english.part("text/plain")
    assert "Sales-ready: 50.0%" in english.part("text/plain")
    assert '<html lang="nl">' in dutch.part("text/html")
    assert "Binnengekomen leads: 2" in dutch.part("text/plain")
    assert "Salesklaar: 50,0%" in dutch.part("text/plain")
    assert "Foutpercentage (past niet)" in dutch.part("text/html")


def test_the_mail_links_to_the_kpi_page_of_that_week(sink: SmtpSink) -> None:
    _reader("mirjam")

    send_weekly_report(now=MONDAY_7)

    (mail,) = sink.messages
    link = f"{BASE_URL}/kpis/?start=2026-11-23&end=2026-11-29"
    assert link in mail.part("text/plain")
    assert f'href="{link.replace("&", "&amp;")}"' in mail.part("text/html")
    assert "No leads arrived in this period." in mail.part("text/plain")


def test_sending_twice_in_the_same_week_sends_nothing_more(sink: SmtpSink) -> None:
    _reader("mirjam")
    _reader("bram", role=Role.ADMIN)
    send_weekly_report(now=MONDAY_7)

    with time_machine.travel(MONDAY_7 + timedelta(hours=2), tick=False):
        send_weekly_report_task()
        again = send_weekly_report(now=MONDAY_7 + timedelta(days=3))

    assert len(sink.messages) == 2
    assert (again.sent, again.already_sent) == (0, 2)
    assert WeeklyReportSent.objects.filter(sent_at__isnull=False).count() == 2


def test_sales_users_inactive_users_and_users_without_email_get_nothing(
    sink: SmtpSink,
) -> None:
    _reader("sanne", role=Role.SALES, language="nl")
    inactive = _reader("oud", role=Role.MARKETING)
    User.objects.filter(pk=inactive.pk).update(is_active=False)
    no_email = _reader("geen-adres", role=Role.MARKETING)
    User.objects.filter(pk=no_email.pk).update(email="")

    result = send_weekly_report(now=MONDAY_7)

    assert (result.sent, sink.messages) == (0, [])


def test_a_refused_mail_is_sent_by_the_next_try_and_only_that_one() -> None:
    sink = SmtpSink(fail_first=1)
    _reader("mirjam")
    _reader("bram", role=Role.ADMIN)
    with smtp_server(sink) as url, override_settings(EMAIL_URL=url):
        with pytest.raises(WeeklyReportDeliveryFailed):
            send_weekly_report(now=MONDAY_7)
        assert len(sink.messages) == 1
        retry = send_weekly_report(now=MONDAY_7 + timedelta(minutes=10))

    assert (retry.sent, retry.already_sent) == (1, 1)
    assert sorted(tuple(mail.rcpt_tos) for mail in sink.messages) == [
        ("bram@example.nl",),
        ("mirjam@example.nl",),
    ]


def test_the_weekly_job_runs_on_monday_at_seven_local_time() -> None:
    """Huey passes naive UTC minutes: 06:00 UTC in winter, 05:00 UTC in summer."""

    def scheduled(utc_minute: datetime) -> bool:
        names = {task.name for task in HUEY.read_periodic(utc_minute)}
        return "send_weekly_report_task" in names

    assert scheduled(datetime(2026, 11, 30, 6, 0))
    assert not scheduled(datetime(2026, 11, 30, 7, 0))
    assert not scheduled(datetime(2026, 11, 30, 6, 1))
    assert not scheduled(datetime(2026, 12, 1, 6, 0))
    assert scheduled(datetime(2026, 6, 1, 5, 0))
    assert not scheduled(datetime(2026, 6, 1, 6, 0))


def test_the_weekly_job_sends_nothing_without_a_mail_server() -> None:
    _reader("mirjam")
    with override_settings(EMAIL_URL=None):
        send_weekly_report_task()
    assert not WeeklyReportSent.objects.exists()


def test_the_command_sends_the_week_that_holds_the_given_day(
    sink: SmtpSink, capsys: pytest.CaptureFixture[str]
) -> None:
    _reader("mirjam")

    call_command("send_weekly_report", "--week", "2026-11-18")

    assert "week of 2026-11-16: sent to 1" in capsys.readouterr().out
    assert WeeklyReportSent.objects.get().week_start == date(2026, 11, 16)
    assert "2026-11-16" in sink.messages[0].part("text/plain")


@pytest.mark.parametrize(
    ("week", "message"),
    [
        ("next monday", '--week must be a date written YYYY-MM-DD, got "next monday"'),
        ("2026-11-30", "The week of 2026-11-30 has not ended yet"),
    ],
)
def test_the_command_refuses_a_bad_week(
    sink: SmtpSink, week: str, message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("send_weekly_report", "--week", week)


def test_the_command_says_how_to_set_up_mail() -> None:
    with (
        override_settings(EMAIL_URL=None),
        pytest.raises(CommandError, match="LEADQUAL_EMAIL_URL is not set"),
    ):
        call_command("send_weekly_report")
