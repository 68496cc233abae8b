"""One number, amount and time format per language; IDN domains in Unicode.

Amounts of whole euros show no cents (€12,500 / € 12.500), the deal value's
placeholder follows the page language, a moment under a minute old is "just
now", and an address or domain stored in punycode reads in Unicode while the
stored value stays as it is.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import translation

from leadqual.core.lifecycle import OutcomeKind
from leadqual.leads.models import Lead
from leadqual.triage.models import AlertKind, Notice
from leadqual.triage.services import record_outcome
from leadqual.users.roles import Role
from leadqual.web.helpers import ago_text, countdown, euros_text
from tests.factories import CompanyFactory, LeadFactory, make_user

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("language", "cents", "shown"),
    [
        ("en", 1_250_000, "€12,500"),
        ("nl", 1_250_000, "€ 12.500"),
        ("en", 1_250_050, "€12,500.50"),
        ("nl", 1_250_050, "€ 12.500,50"),
        ("nl", 0, "€ 0"),
    ],
)
def test_an_amount_shows_cents_only_when_it_has_them(
    language: str, cents: int, shown: str
) -> None:
    with translation.override(language):
        assert euros_text(cents) == shown


@pytest.mark.parametrize(
    ("language", "seconds", "shown"),
    [
        ("en", 0, "just now"),
        ("nl", 59, "zojuist"),
        ("en", 300, "5\xa0minutes ago"),
        ("nl", 300, "5\xa0minuten geleden"),
    ],
)
def test_a_moment_ago_reads_just_now_within_a_minute(
    language: str, seconds: int, shown: str
) -> None:
    with translation.override(language):
        assert ago_text(NOW - timedelta(seconds=seconds), now=NOW) == shown


def _signed_in(user: User, language: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(user)
    return client


@pytest.fixture
def seller() -> User:
    return make_user("sanne", role=Role.SALES)


@pytest.fixture
def idn_lead(seller: User) -> Lead:
    company = CompanyFactory.create(name="Bücher B.V.", domain="xn--bcher-kva.nl")
    return LeadFactory.create(
        owner=seller, email="kees@xn--bcher-kva.nl", company=company
    )


@pytest.mark.parametrize(
    ("language", "value", "placeholder"),
    [("en", "€12,500", "12,500"), ("nl", "€ 12.500", "12.500")],
)
def test_the_outcome_panel_formats_value_and_placeholder_per_language(
    seller: User, idn_lead: Lead, language: str, value: str, placeholder: str
) -> None:
    record_outcome(
        idn_lead,
        OutcomeKind.OPPORTUNITY,
        value_cents=1_250_000,
        recorded_by=seller,
        now=NOW,
    )

    page = _signed_in(seller, language).get(
        reverse("leads:lead-detail", args=[idn_lead.pk])
    )

    html = page.content.decode()
    assert value in html
    assert ".00" not in html and ",00" not in html
    field = re.search(r'<input[^>]*id="outcome-value"[^>]*>', html)
    assert field is not None
    assert f'placeholder="{placeholder}"' in field.group(0)


def test_punycode_addresses_and_domains_read_in_unicode(
    seller: User, idn_lead: Lead
) -> None:
    admin = make_user("ada", role=Role.ADMIN)
    assert idn_lead.company is not None
    pages = {
        "lead": reverse("leads:lead-detail", args=[idn_lead.pk]),
        "correct": reverse("triage:lead-correct", args=[idn_lead.pk]),
        "account": reverse("accounts_pages:account-detail", args=[idn_lead.company.pk]),
        "accounts": reverse("accounts_pages:account-list"),
        "privacy": reverse("privacy:lead-privacy", args=[idn_lead.pk]),
    }

    for name, url in pages.items():
        html = _signed_in(admin, "nl").get(url).content.decode()
        text = re.sub(r'href="[^"]*"', "", html)
        assert "bücher.nl" in text, name
        assert "xn--bcher-kva" not in text, name

    idn_lead.refresh_from_db()
    assert idn_lead.email == "kees@xn--bcher-kva.nl"


def test_a_lead_without_a_name_is_named_by_its_unicode_address(seller: User) -> None:
    lead = LeadFactory.create(
        first_name="", last_name="", email="info@xn--bcher-kva.nl", owner=seller
    )
    assert lead.shown_name == "info@bücher.nl"
    assert str(lead) == "info@bücher.nl"


@pytest.mark.parametrize(("language", "shown"), [("en", "just now"), ("nl", "zojuist")])
def test_a_hot_notice_of_this_minute_reads_just_now(
    seller: User, idn_lead: Lead, language: str, shown: str
) -> None:
    Notice.objects.create(
        recipient=seller, lead=idn_lead, kind=AlertKind.BECAME_HOT, created_at=NOW
    )

    with time_machine.travel(NOW + timedelta(seconds=20), tick=False):
        html = _signed_in(seller, language).get(reverse("triage:queue")).content
    text = html.decode()

    assert shown in text
    assert "0\xa0minutes" not in text and "0\xa0minuten" not in text


@pytest.mark.parametrize(
    ("language", "left", "overdue"),
    [("en", "22h 0m", "2h 10m overdue"), ("nl", "22u 0m", "2u 10m te laat")],
)
def test_countdowns_use_the_languages_unit_letters(
    language: str, left: str, overdue: str
) -> None:
    with translation.override(language):
        assert countdown(NOW + timedelta(hours=22), now=NOW).text == left
        late = countdown(NOW - timedelta(hours=2, minutes=10), now=NOW)
        assert late.text == overdue
        assert late.units == ("d h m" if language == "en" else "d u m")


@pytest.mark.parametrize(
    ("language", "sector"), [("en", "Wholesale"), ("nl", "Groothandel")]
)
def test_an_accounts_sector_reads_in_the_page_language(
    idn_lead: Lead, language: str, sector: str
) -> None:
    assert idn_lead.company is not None
    idn_lead.company.sector = "wholesale"
    idn_lead.company.save()
    admin = make_user("ada", role=Role.ADMIN)

    client = _signed_in(admin, language)
    detail = client.get(
        reverse("accounts_pages:account-detail", args=[idn_lead.company.pk])
    ).content.decode()
    listing = client.get(reverse("accounts_pages:account-list")).content.decode()

    assert f"<dd>{sector}</dd>" in detail
    assert f'<option value="wholesale">{sector}</option>' in listing


def test_the_correction_form_explains_bad_values_in_dutch(
    seller: User, idn_lead: Lead
) -> None:
    fields = {
        "first_name": "Kees",
        "phone": "12",
        "employees": "veel",
        "country": "Nederland",
    }

    response = _signed_in(seller, "nl").post(
        reverse("triage:lead-correct", args=[idn_lead.pk]), fields
    )

    html = response.content.decode().replace("&quot;", '"')
    assert response.status_code == 422
    assert (
        '"12" is geen telefoonnummer: het heeft te weinig of te veel cijfers.' in html
    )
    assert '"veel" is geen heel getal.' in html
    assert '"Nederland" is geen landcode van twee letters, zoals NL of BE.' in html
    assert "is not" not in html
