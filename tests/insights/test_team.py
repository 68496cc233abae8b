"""The team page at /kpis/team/: SLA, pipeline and won deals per salesperson and source.

The scene: six leads arrived on Thursday 26 November 2026 at 10:00, the
page is read on Monday 30 November at noon.

- Sanne, website: Kees turned hot, was contacted 2 h later, accepted, became
  a €10,000 opportunity and was won without a value; Anna turned hot, was
  never contacted (due Friday 10:00, missed), accepted, a €25,000 open
  opportunity since Monday.
- Sanne, referral: Joost stayed warm, was contacted Monday 09:00 (due
  Tuesday, met) and rejected as no fit.
- Pieter, website: Lies turned hot, was contacted Friday 12:00 (due 10:00,
  missed), accepted, a €5,000 opportunity, lost; Bram stayed warm, accepted,
  a €7,500.50 opportunity won on Friday for €8,000 (his task closed with the
  win before it was due, so it does not count for the SLA).
- Nobody, referral: Eva stayed warm, no feedback, her task not yet due.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from leadqual.core.lifecycle import Decision, OutcomeKind, RejectionReason
from leadqual.core.sla import DUTCH_TIME
from leadqual.insights.presentation import NONE_TEXT as DASH
from leadqual.insights.views import TeamRow
from leadqual.intake.pipeline import RawEvent, submit_events, submit_lead
from leadqual.leads.models import Lead
from leadqual.triage.services import (
    record_feedback,
    record_first_contact,
    record_outcome,
    reopen_lead,
)
from leadqual.users.roles import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db

THURSDAY = datetime(2026, 11, 26, 10, 0, tzinfo=DUTCH_TIME)
FRIDAY = THURSDAY + timedelta(days=1)
MONDAY_NOON = datetime(2026, 11, 30, 12, 0, tzinfo=DUTCH_TIME)
WARM_FIELDS = {
    "sector": "software",
    "employees": "25",
    "budget_euros": "15000",
    "urgency": "immediate",
}
URL = "/kpis/team/"
COLUMNS = (
    "Leads",
    "Hot",
    "SLA met",
    "SLA missed",
    "Median to first contact",
    "Accepted",
    "Rejected",
    "Open pipeline",
    "Won €",
    "Won",
    "Lost",
    "Lead to won",
)


@pytest.fixture(autouse=True)
def _monday_noon() -> Iterator[None]:
    with time_machine.travel(MONDAY_NOON, tick=False):
        yield


@pytest.fixture
def manager_client(client: Client) -> Client:
    client.force_login(make_user("mirjam", role=Role.ADMIN))
    return client


def _seller(username: str, first_name: str, last_name: str) -> User:
    user = make_user(username)
    user.first_name, user.last_name = first_name, last_name
    user.save(update_fields=["first_name", "last_name"])
    return user


def _arrive(email: str, *, source: str, owner: User | None, hot: bool) -> Lead:
    lead = submit_lead(email, {**WARM_FIELDS, "source": source}, now=THURSDAY).lead
    if hot:
        submit_events(
            [
                RawEvent(email, "demo_request", THURSDAY.isoformat(), {}, f"{email}-d"),
                RawEvent(email, "email_reply", THURSDAY.isoformat(), {}, f"{email}-r"),
            ],
            now=THURSDAY,
            source="api",
        )
    # The owner is the test's choice, not round robin's.
    Lead.objects.filter(pk=lead.pk).update(owner=owner)
    lead.refresh_from_db()
    return lead


def _accept(lead: Lead, by: User) -> None:
    record_feedback(
        lead,
        Decision.ACCEPTED,
        reason=None,
        given_by=by,
        now=THURSDAY + timedelta(hours=3),
    )


def _opportunity(
    lead: Lead, by: User, value_cents: int, *, when: datetime = THURSDAY
) -> None:
    record_outcome(
        lead,
        OutcomeKind.OPPORTUNITY,
        value_cents=value_cents,
        recorded_by=by,
        now=when + timedelta(hours=5),
    )


@dataclass(frozen=True, slots=True)
class Team:
    sanne: User
    pieter: User
    kees: Lead
    bram: Lead


@pytest.fixture
def team() -> Team:
    sanne = _seller("sanne", "Sanne", "de Boer")
    pieter = _seller("pieter", "Pieter", "Jansen")

    kees = _arrive("kees@bouwbedrijf.nl", source="website", owner=sanne, hot=True)
    record_first_contact(kees, by=sanne, now=THURSDAY + timedelta(hours=2))
    _accept(kees, sanne)
    _opportunity(kees, sanne, 1_000_000)
    record_outcome(kees, OutcomeKind.WON, recorded_by=sanne, now=FRIDAY)

    anna = _arrive("anna@kapsalon.nl", source="website", owner=sanne, hot=True)
    _accept(anna, sanne)
    # Her deal opened on Monday, after her first contact was due.
    _opportunity(anna, sanne, 2_500_000, when=MONDAY_NOON - timedelta(hours=8))

    joost = _arrive("joost@drukkerij.nl", source="referral", owner=sanne, hot=False)
    record_first_contact(joost, by=sanne, now=MONDAY_NOON - timedelta(hours=3))
    record_feedback(
        joost,
        Decision.REJECTED,
        reason=RejectionReason.NO_FIT,
        given_by=sanne,
        now=MONDAY_NOON - timedelta(hours=2),
    )

    lies = _arrive("lies@installatie.nl", source="website", owner=pieter, hot=True)
    record_first_contact(lies, by=pieter, now=FRIDAY + timedelta(hours=2))
    _accept(lies, pieter)
    _opportunity(lies, pieter, 500_000)
    record_outcome(
        lies, OutcomeKind.LOST, recorded_by=pieter, now=FRIDAY + timedelta(hours=3)
    )

    bram = _arrive("bram@transport.nl", source="website", owner=pieter, hot=False)
    _accept(bram, pieter)
    _opportunity(bram, pieter, 750_050)
    record_outcome(
        bram, OutcomeKind.WON, value_cents=800_000, recorded_by=pieter, now=FRIDAY
    )

    _arrive("eva@bloemist.nl", source="referral", owner=None, hot=False)
    return Team(sanne=sanne, pieter=pieter, kees=kees, bram=bram)


def _table(rows: list[TeamRow]) -> dict[str, dict[str, str]]:
    return {row.name: {cell.label: cell.value for cell in row.cells} for row in rows}


def _row(*values: str) -> dict[str, str]:
    return dict(zip(COLUMNS, values, strict=True))


def test_each_salesperson_has_their_sla_pipeline_and_won_deals(
    manager_client: Client, team: Team
) -> None:
    response = manager_client.get(URL)

    assert response.status_code == 200
    assert _table(response.context["owner_rows"]) == {
        # SLA: Kees met, Anna missed, Joost met. Median of 2 h and 47 h.
        "Pieter Jansen": _row(
            "2", "1", "0%", "1", "26.0 h", "2", "0", "€0", "€8,000", "1", "1", "50%"
        ),
        "Sanne de Boer": _row(
            "3",
            "2",
            "67%",
            "1",
            "24.5 h",
            "2",
            "1",
            "€25,000",
            "€10,000",
            "1",
            "0",
            "33%",
        ),
        "No owner": _row(
            "1", "0", DASH, "0", DASH, "0", "0", "€0", "€0", "0", "0", "0%"
        ),
    }


def test_salespeople_come_by_name_and_leads_without_owner_last(
    manager_client: Client, team: Team
) -> None:
    response = manager_client.get(URL)

    rows: list[TeamRow] = response.context["owner_rows"]
    assert [(row.name, row.is_unassigned) for row in rows] == [
        ("Pieter Jansen", False),
        ("Sanne de Boer", False),
        ("No owner", True),
    ]


def test_each_source_has_its_sla_pipeline_and_won_deals(
    manager_client: Client, team: Team
) -> None:
    response = manager_client.get(URL)

    assert _table(response.context["source_rows"]) == {
        "website": _row(
            "4",
            "3",
            "33%",
            "2",
            "14.0 h",
            "4",
            "0",
            "€25,000",
            "€18,000",
            "2",
            "1",
            "50%",
        ),
        "referral": _row(
            "2", "0", "100%", "0", "47.0 h", "0", "1", "€0", "€0", "0", "0", "0%"
        ),
    }


def test_the_totals_row_adds_up_every_lead(manager_client: Client, team: Team) -> None:
    response = manager_client.get(URL)

    total: TeamRow = response.context["total"]
    assert _table([total]) == {
        "Total": _row(
            "6",
            "3",
            "50%",
            "2",
            "26.0 h",
            "4",
            "1",
            "€25,000",
            "€18,000",
            "2",
            "1",
            "33%",
        )
    }


def test_a_reopened_win_is_pipeline_again_and_no_longer_won(
    manager_client: Client, team: Team
) -> None:
    reopen_lead(team.bram, by=team.pieter, now=MONDAY_NOON - timedelta(hours=1))

    response = manager_client.get(URL)

    pieter = _table(response.context["owner_rows"])["Pieter Jansen"]
    # Back in the pipeline at its opportunity's value, with its cents.
    assert (pieter["Open pipeline"], pieter["Won €"], pieter["Won"]) == (
        "€7,500.50",
        "€0",
        "0",
    )


def test_an_opportunity_rejected_afterwards_leaves_the_pipeline(
    manager_client: Client, team: Team
) -> None:
    anna = Lead.objects.get(email="anna@kapsalon.nl")
    record_feedback(
        anna,
        Decision.REJECTED,
        reason=RejectionReason.NO_BUDGET,
        given_by=team.sanne,
        now=MONDAY_NOON - timedelta(hours=1),
    )

    response = manager_client.get(URL)

    sanne = _table(response.context["owner_rows"])["Sanne de Boer"]
    assert (sanne["Open pipeline"], sanne["Accepted"], sanne["Rejected"]) == (
        "€0",
        "1",
        "2",
    )


def test_amounts_and_numbers_are_written_the_dutch_way_in_dutch(
    client: Client, team: Team
) -> None:
    client.force_login(make_user("mirjam", role=Role.MARKETING))

    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="nl")

    html = response.content.decode()
    assert "Per verkoper" in html
    assert "Geen eigenaar" in html
    assert '<td data-label="Open pijplijn">€ 25.000</td>' in html
    assert '<td data-label="Gewonnen €">€ 18.000</td>' in html
    assert '<td data-label="Mediaan tot eerste contact">24,5 u</td>' in (html)


def test_the_period_filter_leaves_out_leads_that_arrived_before_it(
    manager_client: Client, team: Team
) -> None:
    response = manager_client.get(URL, {"start": "2026-11-27", "end": "2026-11-30"})

    assert response.context["has_leads"] is False
    assert "No leads arrived in this period." in response.content.decode()


def test_without_leads_the_page_says_so_instead_of_empty_tables(
    manager_client: Client,
) -> None:
    response = manager_client.get(URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="team-empty"' in html
    assert 'id="team-per-owner"' not in html


def test_the_default_period_is_the_last_four_weeks(manager_client: Client) -> None:
    response = manager_client.get(URL)

    assert "Leads that arrived from 9 Nov. 2026 to 30 Nov. 2026" in (
        response.content.decode()
    )


def test_a_start_after_the_end_is_reported_with_422(manager_client: Client) -> None:
    response = manager_client.get(URL, {"start": "2026-11-30", "end": "2026-11-01"})

    assert response.status_code == 422
    assert "The start date must be on or before the end date." in (
        response.content.decode()
    )


def test_htmx_gets_only_the_section(manager_client: Client, team: Team) -> None:
    response = manager_client.get(URL, {"weeks": "13"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert html.lstrip().startswith('<section id="team-section"')
    assert "Sanne de Boer" in html


def test_sales_may_not_open_the_team_page(client: Client) -> None:
    client.force_login(make_user("sanne", role=Role.SALES))
    assert client.get(URL).status_code == 403


def test_the_kpi_page_links_to_the_team_page(manager_client: Client) -> None:
    response = manager_client.get(reverse("insights:kpis"))
    assert f'href="{URL}"' in response.content.decode()


def _many_leads(count: int) -> None:
    sellers = [_seller(f"seller{n}", "Seller", str(n)) for n in range(3)]
    for number in range(count):
        seller = sellers[number % 3]
        lead = _arrive(
            f"lead{number}@bouwbedrijf.nl",
            source=("website", "referral", "fair")[number % 3],
            owner=seller if number % 4 else None,
            hot=False,
        )
        record_first_contact(lead, by=seller, now=THURSDAY + timedelta(hours=2))
        _accept(lead, seller)
        _opportunity(lead, seller, 100_000)
        if number % 2:
            record_outcome(lead, OutcomeKind.WON, recorded_by=seller, now=FRIDAY)


@pytest.mark.parametrize("count", [3, 36])
def test_the_page_takes_the_same_few_queries_for_3_and_36_leads(
    manager_client: Client,
    count: int,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    _many_leads(count)

    # Session, user and role, then the six fact queries and the owners' names.
    with django_assert_max_num_queries(11):
        response = manager_client.get(URL)

    total: TeamRow = response.context["total"]
    assert total.cells[0].value == str(count)
