"""Accounts: the roll-up stored by the pipeline, usable in rules, and its pages."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from leadqual.core.accounts import score_account
from leadqual.intake.pipeline import RawEvent, submit_events, submit_lead
from leadqual.leads.accounts import account_contacts, rescore_account, rescore_accounts
from leadqual.leads.models import Company, Lead
from leadqual.scoring.models import Score
from leadqual.scoring.services import default_model_source, load_scoring_model
from leadqual.users.roles import Role
from tests.factories import CompanyFactory, EventFactory, LeadFactory, make_user

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
COMPANY = "Bouwbedrijf Bakker B.V."
BUYING_GROUP_RULE = """
[[rules]]
name = "buying_group_active"
group = "fit"
points = 8
label = "Two or more engaged contacts at the company"
when = { field = "account_engaged_contacts", min = 2 }
"""


def _engaged_colleagues(*emails: str) -> None:
    """Leads at COMPANY, each with a page view an hour before NOW."""
    for email in emails:
        submit_lead(email, {"company": COMPANY}, now=NOW - timedelta(hours=2))
    submit_events(
        [
            RawEvent(email, "page_view", (NOW - timedelta(hours=1)).isoformat())
            for email in emails
        ],
        now=NOW - timedelta(hours=1),
        source="api",
    )


def _client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- the roll-up ----------------------------------------------------------------------


def test_events_of_contacts_roll_up_into_the_account() -> None:
    _engaged_colleagues("kees@bouwbedrijf.nl", "anna@bouwbedrijf.nl")

    company = Company.objects.get(name=COMPANY)
    best = max(
        score or 0 for score in Lead.objects.values_list("score_total", flat=True)
    )
    assert company.engaged_contacts == 2
    assert company.account_score == best + 5
    assert company.account_scored_at == NOW - timedelta(hours=1)


def test_a_contact_quiet_for_more_than_30_days_is_not_engaged() -> None:
    company = CompanyFactory.create()
    EventFactory.create(
        lead=LeadFactory.create(company=company, score_total=50),
        occurred_at=NOW - timedelta(days=31),
    )
    EventFactory.create(
        lead=LeadFactory.create(company=company, score_total=30),
        occurred_at=NOW - timedelta(days=2),
    )

    rolled = rescore_account(company, now=NOW)

    company.refresh_from_db()
    assert (rolled.score, company.account_score, company.engaged_contacts) == (
        50,
        50,
        1,
    )


def test_an_unsubscribe_does_not_make_a_contact_engaged() -> None:
    company = CompanyFactory.create()
    EventFactory.create(
        lead=LeadFactory.create(company=company, score_total=20),
        type="unsubscribe",
        occurred_at=NOW - timedelta(days=1),
    )

    assert rescore_account(company, now=NOW).engaged_contacts == 0


def test_a_rule_can_test_the_number_of_engaged_contacts() -> None:
    load_scoring_model(
        default_model_source() + BUYING_GROUP_RULE, activate=True, now=NOW
    )
    _engaged_colleagues("kees@bouwbedrijf.nl", "anna@bouwbedrijf.nl")

    lead = submit_lead("joris@bouwbedrijf.nl", {"company": COMPANY}, now=NOW).lead

    score = Score.objects.filter(lead=lead).latest("computed_at")
    hits = {hit["rule"]: hit["points"] for hit in score.explanation}
    assert hits["buying_group_active"] == 8
    assert "(2 engaged contacts)" in str(score.explanation)


# --- the pages ------------------------------------------------------------------------


def test_the_accounts_page_lists_accounts_by_account_score() -> None:
    low = CompanyFactory.create(name="Laag B.V.", account_score=20, engaged_contacts=1)
    high = CompanyFactory.create(name="Hoog B.V.", account_score=80, engaged_contacts=2)
    for company in (low, high, high):
        LeadFactory.create(company=company)
    client = _client_for(make_user("mila", role=Role.MARKETING))

    html = client.get(reverse("accounts_pages:account-list")).content.decode()

    assert html.index("Hoog B.V.") < html.index("Laag B.V.")
    assert "2 of 2" in html


def test_the_accounts_page_searches_by_name_or_domain() -> None:
    LeadFactory.create(company=CompanyFactory.create(name="Hoog B.V."))
    LeadFactory.create(company=CompanyFactory.create(name="Laag", domain="laag.nl"))
    client = _client_for(make_user("mila", role=Role.MARKETING))

    response = client.get(
        reverse("accounts_pages:account-list"), {"q": "laag.nl"}, HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert "Laag" in html and "Hoog B.V." not in html
    assert "<html" not in html


def test_a_seller_sees_only_accounts_with_a_lead_they_may_see() -> None:
    seller = make_user("sanne", role=Role.SALES)
    other = make_user("tom", role=Role.SALES)
    mine = CompanyFactory.create(name="Mijn Klant B.V.")
    theirs = CompanyFactory.create(name="Andere Klant B.V.")
    LeadFactory.create(company=mine, owner=seller)
    LeadFactory.create(company=mine, owner=other)
    LeadFactory.create(company=theirs, owner=other)
    client = _client_for(seller)

    listing = client.get(reverse("accounts_pages:account-list")).content.decode()
    hidden = client.get(reverse("accounts_pages:account-detail", args=[theirs.pk]))
    detail = client.get(reverse("accounts_pages:account-detail", args=[mine.pk]))

    assert "Mijn Klant B.V." in listing and "Andere Klant B.V." not in listing
    assert hidden.status_code == 404
    assert "1 more contact belongs to another owner." in detail.content.decode()


def test_the_account_page_explains_the_account_score() -> None:
    _engaged_colleagues("kees@bouwbedrijf.nl", "anna@bouwbedrijf.nl")
    company = Company.objects.get(name=COMPANY)
    client = _client_for(make_user("mila", role=Role.MARKETING))

    html = client.get(
        reverse("accounts_pages:account-detail", args=[company.pk])
    ).content.decode()

    assert "the highest score of a contact" in html
    assert "+5: 1 more engaged contact, 5 points each." in html
    assert "kees@bouwbedrijf.nl" in html and "anna@bouwbedrijf.nl" in html


def test_the_lead_page_shows_the_account() -> None:
    _engaged_colleagues("kees@bouwbedrijf.nl", "anna@bouwbedrijf.nl")
    lead = Lead.objects.get(email="kees@bouwbedrijf.nl")
    company = Company.objects.get(name=COMPANY)
    client = _client_for(make_user("mila", role=Role.MARKETING))

    html = client.get(reverse("leads:lead-detail", args=[lead.pk])).content.decode()

    assert 'id="account"' in html
    assert reverse("accounts_pages:account-detail", args=[company.pk]) in html
    assert "2 of 2 contacts engaged" in html


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_stored_roll_up_equals_score_account_over_the_contacts(seed: int) -> None:
    """The database's grouped totals and core.score_account agree, company by company."""
    rng = random.Random(seed)
    companies = CompanyFactory.create_batch(12)
    for company in companies:
        for _ in range(rng.randint(0, 5)):
            lead = LeadFactory.create(
                company=company, score_total=rng.choice([None, 0, 15, 40, 62, 97])
            )
            for _ in range(rng.randint(0, 3)):
                EventFactory.create(
                    lead=lead,
                    type=rng.choice(
                        ["page_view", "unsubscribe", "bounce", "email_click"]
                    ),
                    # Some in the 30 days, some before, some after NOW.
                    occurred_at=NOW - timedelta(days=rng.randint(-3, 45)),
                )

    # The edges of "engaged": after now, exactly 30 days back, a second before that.
    for moment in (
        NOW + timedelta(hours=1),
        NOW - timedelta(days=30),
        NOW - timedelta(days=30, seconds=1),
    ):
        edge = CompanyFactory.create()
        EventFactory.create(
            lead=LeadFactory.create(company=edge, score_total=50), occurred_at=moment
        )
        EventFactory.create(
            lead=LeadFactory.create(company=edge, score_total=20),
            occurred_at=NOW - timedelta(days=1),
        )
        companies.append(edge)

    rolled = rescore_accounts(companies, now=NOW)

    for company in companies:
        expected = score_account(account_contacts(company, now=NOW), now=NOW)
        stored = Company.objects.get(pk=company.pk)
        assert (
            rolled[company.pk].score,
            rolled[company.pk].engaged_contacts,
            rolled[company.pk].contacts,
        ) == (expected.score, expected.engaged_contacts, expected.contacts)
        assert (stored.account_score, stored.engaged_contacts) == (
            expected.score,
            expected.engaged_contacts,
        )
