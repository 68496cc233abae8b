"""Lists count their rows up to a cap and say "more than" past it (#15).

Counting every lead, task or pair on each page load grows with the data; the
lists count up to ``settings.LIST_COUNT_CAP`` (10,000) and no further. Here
the cap is a few rows, in English and Dutch.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings

from leadqual.leads.duplicates import refresh_duplicate_candidates
from leadqual.users.roles import Role
from tests.factories import CompanyFactory, LeadFactory, TaskFactory, make_user

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def _client_for(user: User, language: str = "en") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["leadqual_language"] = language
    return client


def _page(client: Client, name: str, **params: str) -> str:
    response = client.get(reverse(name), params)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("language", "below", "above"),
    [("en", "3 leads", "More than 3 leads"), ("nl", "3 leads", "Meer dan 3 leads")],
)
def test_the_lead_list_counts_up_to_the_cap(
    settings: Settings, language: str, below: str, above: str
) -> None:
    settings.LIST_COUNT_CAP = 3
    client = _client_for(make_user("ada", role=Role.ADMIN), language)
    LeadFactory.create_batch(3)
    assert below in _page(client, "leads:lead-list")

    LeadFactory.create()

    html = _page(client, "leads:lead-list")
    assert above in html
    assert "4 leads" not in html


def test_a_sellers_own_and_unassigned_leads_are_counted_up_to_the_cap(
    settings: Settings,
) -> None:
    settings.LIST_COUNT_CAP = 3
    sanne = make_user("sanne")
    client = _client_for(sanne)
    LeadFactory.create_batch(2, owner=sanne)
    LeadFactory.create(owner=None)
    assert "3 leads" in _page(client, "leads:lead-list")

    LeadFactory.create(owner=None)

    assert "More than 3 leads" in _page(client, "leads:lead-list")


@pytest.mark.parametrize(
    ("language", "below", "above"),
    [
        ("en", "3 open tasks", "More than 3 open tasks"),
        ("nl", "3 open taken", "Meer dan 3 open taken"),
    ],
)
def test_the_queue_counts_its_open_tasks_up_to_the_cap(
    settings: Settings, language: str, below: str, above: str
) -> None:
    settings.LIST_COUNT_CAP = 3
    sanne = make_user("sanne")
    client = _client_for(sanne, language)
    with time_machine.travel(NOW, tick=False):
        for days in (1, 2, 3):
            TaskFactory.create(owner=sanne, due_at=NOW + timedelta(days=days))
        assert below in _page(client, "triage:queue")

        TaskFactory.create(owner=sanne, due_at=NOW + timedelta(days=4))

        assert above in _page(client, "triage:queue")


@pytest.mark.parametrize(
    ("language", "below", "above"),
    [
        ("en", "2 accounts", "More than 2 accounts"),
        ("nl", "2 accounts", "Meer dan 2 accounts"),
    ],
)
def test_the_accounts_list_counts_up_to_the_cap(
    settings: Settings, language: str, below: str, above: str
) -> None:
    settings.LIST_COUNT_CAP = 2
    client = _client_for(make_user("ada", role=Role.ADMIN), language)
    LeadFactory.create_batch(2)  # each with its own company
    assert below in _page(client, "accounts_pages:account-list")

    LeadFactory.create()

    assert above in _page(client, "accounts_pages:account-list")


# --- the data-quality page --------------------------------------------------------------


def _quality(client: Client) -> str:
    return _page(client, "leads:data-quality")


def _tile(html: str, key: str) -> str:
    start = html.index(f'id="missing-{key}"')
    value = html.index('class="kpi-value">', start) + len('class="kpi-value">')
    return html[value : html.index("<", value)]


def test_the_missing_field_counts_are_exact_up_to_the_cap(
    settings: Settings,
) -> None:
    """A lead lacking two fields is one lead lacking a key field."""
    settings.LIST_COUNT_CAP = 3
    client = _client_for(make_user("mira", role=Role.MARKETING))
    LeadFactory.create_batch(2, phone="", sector="")
    LeadFactory.create(phone="", budget_euros=None)

    html = _quality(client)

    assert [_tile(html, key) for key in ("company", "sector", "budget", "phone")] == [
        "0",
        "2",
        "1",
        "3",
    ]
    assert "3 leads lack at least one key field." in html


@pytest.mark.parametrize(
    ("language", "missing", "stale"),
    [
        (
            "en",
            "More than 2 leads lack at least one key field.",
            "More than 2 stale leads.",
        ),
        (
            "nl",
            "Meer dan 2 leads missen minstens één kernveld.",
            "Meer dan 2 verouderde leads.",
        ),
    ],
)
def test_the_data_quality_counts_stop_at_the_cap(
    settings: Settings, language: str, missing: str, stale: str
) -> None:
    settings.LIST_COUNT_CAP = 2
    client = _client_for(make_user("mira", role=Role.MARKETING), language)
    long_ago = timezone.now() - timedelta(days=200)
    LeadFactory.create_batch(3, phone="", updated_at=long_ago)

    html = _quality(client)

    assert _tile(html, "phone") == "2+"
    assert _tile(html, "sector") == "0"
    assert missing in html
    assert stale in html


@pytest.mark.parametrize(
    ("language", "count_text", "page_text"),
    [
        ("en", "More than 100 suspected pairs.", "Page 1<"),
        ("nl", "Meer dan 100 verdachte paren.", "Pagina 1<"),
    ],
)
def test_suspected_pairs_past_the_cap_are_paged_by_next_links(
    settings: Settings, language: str, count_text: str, page_text: str
) -> None:
    settings.LIST_COUNT_CAP = 100
    client = _client_for(make_user("mira", role=Role.MARKETING), language)
    company = CompanyFactory.create(name="Smit Bouw")
    leads = [
        LeadFactory.create(first_name="Anna", last_name="Smit", company=company)
        for _ in range(16)
    ]
    refresh_duplicate_candidates([lead.pk for lead in leads], now=timezone.now())

    first = _page(client, "leads:data-quality")
    second = client.get(reverse("leads:data-quality"), {"page": "2"})

    assert count_text in first
    assert page_text in first  # no "of": the number of pages is not counted
    assert "?page=2" in first
    assert len(second.context["duplicates"].rows) == 20  # 16 * 15 / 2 = 120 pairs
    assert "?page=3" not in second.content.decode()
