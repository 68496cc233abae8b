"""The lead list and accounts list read per owner and per value, as before.

A seller's lead list merges two index-ordered reads (own, unassigned); the
source, sector and country choices come from a lookup per value. Each must
give the same rows, in the same order and on the same pages, as the single
queries they replace (kept here as the reference), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import random
import re

import pytest
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.test import Client
from django.urls import reverse

from leadqual.leads.accounts import account_choices, visible_accounts
from leadqual.leads.models import Company, Lead
from leadqual.leads.queries import (
    BY_SCORE,
    LeadsByScorePerOwner,
    lead_sources,
    visible_leads,
    visible_owners,
)
from leadqual.users.roles import Role
from tests.factories import CompanyFactory, LeadFactory, make_user

pytestmark = pytest.mark.django_db

# Mixed case, accents and a space: the database's order, not Python's.
SOURCES = ["website", "Beurs", "api", "Événement", "beurs", "linked in", ""]
SECTORS = ["software", "Bouw", "zorg", "Énergie", ""]
COUNTRIES = ["NL", "BE", "DE", ""]


def _old_sources(leads: QuerySet[Lead]) -> list[str]:
    return list(
        leads.exclude(source="")
        .order_by("source")
        .values_list("source", flat=True)
        .distinct()
    )


def _old_account_choices(accounts: QuerySet[Company]) -> tuple[list[str], list[str]]:
    sectors = (
        accounts.exclude(sector="").order_by("sector").values_list("sector", flat=True)
    )
    countries = (
        accounts.exclude(country="")
        .order_by("country")
        .values_list("country", flat=True)
    )
    return list(dict.fromkeys(sectors)), list(dict.fromkeys(countries))


@pytest.fixture
def team() -> dict[str, User]:
    return {
        "sanne": make_user("sanne", role=Role.SALES),
        "daan": make_user("daan", role=Role.SALES),
        "admin": make_user("admin", role=Role.ADMIN),
        "mara": make_user("mara", role=Role.MARKETING),
    }


@pytest.fixture
def many_leads(team: dict[str, User]) -> list[Lead]:
    """80 leads over three owners and none, with tied and missing scores."""
    rng = random.Random(15)
    owners = [team["sanne"], team["daan"], None, None]
    companies = [
        CompanyFactory.create(sector=rng.choice(SECTORS), country=rng.choice(COUNTRIES))
        for _ in range(12)
    ]
    # Companies of daan's leads only, and one without any lead.
    CompanyFactory.create(sector="alleen-daan", country="LU")
    CompanyFactory.create(sector="zonder-leads", country="FR")
    leads = [
        LeadFactory.create(
            owner=rng.choice(owners),
            score_total=rng.choice([None, 10, 40, 40, 40, 75, 90]),
            band=rng.choice(["", "cold", "warm", "hot"]),
            source=rng.choice(SOURCES),
            company=rng.choice([*companies, None]),
        )
        for _ in range(80)
    ]
    LeadFactory.create(
        owner=team["daan"],
        company=Company.objects.get(sector="alleen-daan"),
        source="alleen-daan",
    )
    return leads


def test_merged_owner_reads_give_every_page_as_the_single_query(
    team: dict[str, User], many_leads: list[Lead]
) -> None:
    sanne = team["sanne"]
    owners = visible_owners(sanne)
    assert owners == (sanne.pk, None)
    for band in ("", "hot"):
        leads = visible_leads(sanne)
        if band:
            leads = leads.filter(band=band)
        expected = list(leads.order_by(*BY_SCORE).values_list("id", flat=True))
        merged = LeadsByScorePerOwner(leads, owners)

        assert merged.count() == len(expected)
        for start in range(0, len(expected) + 3, 7):
            for length in (1, 7, 25):
                page = merged[start : start + length]
                assert [lead.pk for lead in page] == expected[start : start + length]


def test_merged_reads_page_like_a_query_set(
    team: dict[str, User], many_leads: list[Lead]
) -> None:
    sanne = team["sanne"]
    leads = visible_leads(sanne)
    single = Paginator(leads.order_by(*BY_SCORE), 10)
    merged = Paginator(LeadsByScorePerOwner(leads, (sanne.pk, None)), 10)

    assert merged.count == single.count and merged.num_pages == single.num_pages
    for number in single.page_range:
        assert [lead.pk for lead in merged.page(number).object_list] == [
            lead.pk for lead in single.page(number).object_list
        ]


def _names(html: str) -> list[str]:
    return re.findall(r'<a href="/leads/\d+/">([^<]+)</a>', html)


def _client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_sellers_lead_list_pages_show_the_same_leads_in_the_same_order(
    team: dict[str, User],
) -> None:
    sanne = team["sanne"]
    rng = random.Random(7)
    for number in range(120):
        LeadFactory.create(
            first_name=f"Lead{number}",
            last_name="Test",
            owner=rng.choice([sanne, team["daan"], None]),
            score_total=rng.choice([None, 30, 60, 60, 95]),
        )
    expected = [
        lead.full_name
        for lead in visible_leads(sanne).order_by(*BY_SCORE)
        if lead.full_name
    ]
    client = _client_for(sanne)

    shown = []
    for page in (1, 2):
        html = client.get(reverse("leads:lead-list"), {"page": page}).content.decode()
        shown += _names(html)

    assert len(expected) > 50
    assert shown == expected


@pytest.mark.parametrize("user_name", ["sanne", "daan", "admin", "mara"])
def test_source_choices_are_the_distinct_sources_a_user_sees_in_database_order(
    team: dict[str, User], many_leads: list[Lead], user_name: str
) -> None:
    user = team[user_name]

    assert lead_sources(visible_owners(user)) == _old_sources(visible_leads(user))


def test_a_user_without_a_role_has_no_choices() -> None:
    LeadFactory.create(source="website")
    nobody = User.objects.create_user("niemand")

    assert visible_owners(nobody) == ()
    assert lead_sources(visible_owners(nobody)) == []
    assert account_choices(visible_owners(nobody)) == ([], [])


@pytest.mark.parametrize("user_name", ["sanne", "daan", "admin", "mara"])
def test_sector_and_country_choices_are_those_of_the_accounts_a_user_sees(
    team: dict[str, User], many_leads: list[Lead], user_name: str
) -> None:
    user = team[user_name]

    assert account_choices(visible_owners(user)) == _old_account_choices(
        visible_accounts(visible_leads(user))
    )


def test_a_seller_does_not_see_the_sector_of_another_sellers_account(
    team: dict[str, User], many_leads: list[Lead]
) -> None:
    sectors, countries = account_choices(visible_owners(team["sanne"]))
    admin_sectors, admin_countries = account_choices(visible_owners(team["admin"]))

    assert "alleen-daan" not in sectors and "LU" not in countries
    assert "alleen-daan" in admin_sectors and "LU" in admin_countries
    assert "zonder-leads" not in admin_sectors and "FR" not in admin_countries


def test_the_owner_filter_offers_the_owners_of_visible_leads(
    team: dict[str, User], many_leads: list[Lead]
) -> None:
    sanne_html = _client_for(team["sanne"]).get(reverse("leads:lead-list")).content
    admin_html = _client_for(team["admin"]).get(reverse("leads:lead-list")).content

    owners_with_leads = User.objects.filter(
        Exists(Lead.objects.filter(~Q(owner=None), owner_id=OuterRef("pk")))
    )
    for owner in owners_with_leads:
        option = f'<option value="{owner.pk}"'.encode()
        assert option in admin_html
        assert (option in sanne_html) == (owner == team["sanne"])
