"""The data-quality page, its merge and undo buttons, through HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from leadqual.leads.duplicates import refresh_duplicate_candidates
from leadqual.leads.models import Lead, LeadMerge
from leadqual.users.roles import Role
from tests.factories import CompanyFactory, LeadFactory, make_user

pytestmark = pytest.mark.django_db

PAGE = reverse("leads:data-quality")
HX = {"HX-Request": "true"}


def _client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def marketer() -> Client:
    return _client_for(make_user("mira", role=Role.MARKETING))


@pytest.fixture
def twins() -> tuple[Lead, Lead]:
    """Jan de Vries at Bakker ICT, once from the form and once from an import."""
    company = CompanyFactory.create(name="Bakker ICT B.V.", domain="bakker-ict.nl")
    older = LeadFactory.create(
        first_name="Jan",
        last_name="de Vries",
        email="jan@bakker-ict.nl",
        company=company,
    )
    newer = LeadFactory.create(
        first_name="Jan",
        last_name="de Vreis",
        email="j.devries@bakker-ict.nl",
        company=None,
    )
    # Made by factories, past the pipeline: store their pair as an arrival does.
    refresh_duplicate_candidates([older.pk, newer.pk], now=timezone.now())
    return older, newer


@pytest.mark.parametrize("role", [Role.MARKETING, Role.ADMIN])
def test_marketing_and_admins_see_the_page_linked_in_the_menu(role: Role) -> None:
    client = _client_for(make_user("user", role=role))
    response = client.get(PAGE)
    assert response.status_code == 200
    assert f'href="{PAGE}"' in response.content.decode()


def test_sales_may_not_see_the_page() -> None:
    client = _client_for(make_user("sanne", role=Role.SALES))
    assert client.get(PAGE).status_code == 403


def test_a_visitor_who_is_not_signed_in_is_sent_to_log_in() -> None:
    assert Client().get(PAGE).status_code == 302


def test_the_page_counts_and_lists_leads_missing_key_fields(marketer: Client) -> None:
    lead = LeadFactory.create(sector="", phone="", budget_euros=None)
    LeadFactory.create(phone="+31612345678")
    response = marketer.get(PAGE)
    html = response.content.decode()
    counts = {item.key: item.count.value for item in response.context["missing_counts"]}
    assert counts == {"company": 0, "sector": 1, "budget": 1, "phone": 1}
    assert f'id="missing-lead-{lead.pk}"' in html
    assert response.context["missing"].total.value == 1


def test_the_page_lists_leads_not_updated_in_90_days(marketer: Client) -> None:
    now = timezone.now()
    stale = LeadFactory.create(updated_at=now - timedelta(days=91))
    fresh = LeadFactory.create(updated_at=now - timedelta(days=89))
    html = marketer.get(PAGE).content.decode()
    assert f'id="stale-lead-{stale.pk}"' in html
    assert f'id="stale-lead-{fresh.pk}"' not in html
    assert "Not updated in 90 days" in html


def test_the_page_shows_a_suspected_pair_with_similarity_and_reason(
    marketer: Client, twins: tuple[Lead, Lead]
) -> None:
    older, newer = twins
    html = marketer.get(PAGE).content.decode()
    assert f'id="pair-{older.pk}-{newer.pk}"' in html
    assert "91.7%" in html
    assert "Same name at the same company" in html
    assert "Merge into Jan de Vries" in html


def test_suspected_pairs_are_paged_and_htmx_gets_one_page_of_them(
    marketer: Client,
) -> None:
    company = CompanyFactory.create(name="Smit Bouw")
    leads = [
        LeadFactory.create(first_name="Anna", last_name="Smit", company=company)
        for _ in range(16)
    ]
    refresh_duplicate_candidates([lead.pk for lead in leads], now=timezone.now())

    first = marketer.get(PAGE)
    assert first.context["duplicates"].total.value == 120  # 16 * 15 / 2
    assert len(first.context["duplicates"].rows) == 100
    assert "Page 1 of 2" in first.content.decode()
    second = marketer.get(PAGE, {"page": "2"}, headers=HX)
    html = second.content.decode()
    assert html.lstrip().startswith('<section class="card" id="duplicates"')
    assert len(second.context["duplicates"].rows) == 20
    assert f'id="pair-{leads[-2].pk}-{leads[-1].pk}"' in html


def test_the_merge_button_merges_and_rerenders_the_section_with_undo(
    marketer: Client, twins: tuple[Lead, Lead]
) -> None:
    older, newer = twins
    url = reverse("leads:lead-merge", args=[older.pk])
    response = marketer.post(url, {"duplicate": newer.pk}, headers=HX)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card" id="duplicates"')
    assert not Lead.objects.filter(pk=newer.pk).exists()
    merge = LeadMerge.objects.get()
    assert merge.survivor == older
    assert reverse("leads:merge-undo", args=[merge.pk]) in html
    assert f'id="pair-{older.pk}-{newer.pk}"' not in html


def test_merging_without_htmx_redirects_back_to_the_page(
    marketer: Client, twins: tuple[Lead, Lead]
) -> None:
    older, newer = twins
    response = marketer.post(
        reverse("leads:lead-merge", args=[older.pk]), {"duplicate": newer.pk}
    )
    assert response.status_code == 302
    assert response["Location"] == PAGE + "#duplicates"


def test_merging_a_lead_that_is_gone_answers_422_with_a_message(
    marketer: Client, twins: tuple[Lead, Lead]
) -> None:
    older, _newer = twins
    response = marketer.post(
        reverse("leads:lead-merge", args=[older.pk]),
        {"duplicate": "999999"},
        headers=HX,
    )
    assert response.status_code == 422
    assert "no longer exists" in response.content.decode()


def test_the_undo_button_brings_the_merged_lead_back(
    marketer: Client, twins: tuple[Lead, Lead]
) -> None:
    older, newer = twins
    marketer.post(reverse("leads:lead-merge", args=[older.pk]), {"duplicate": newer.pk})
    merge = LeadMerge.objects.get()

    response = marketer.post(reverse("leads:merge-undo", args=[merge.pk]), headers=HX)

    assert response.status_code == 200
    assert Lead.objects.filter(pk=newer.pk, email=newer.email).exists()
    assert "Undone" in response.content.decode()


def test_undo_is_gone_after_30_days_and_refused(
    marketer: Client, twins: tuple[Lead, Lead]
) -> None:
    older, newer = twins
    marketer.post(reverse("leads:lead-merge", args=[older.pk]), {"duplicate": newer.pk})
    merge = LeadMerge.objects.get()
    undo = reverse("leads:merge-undo", args=[merge.pk])
    # Moved back in the row, not with the clock: the login would expire too.
    LeadMerge.objects.filter(pk=merge.pk).update(
        merged_at=timezone.now() - timedelta(days=31)
    )
    html = marketer.get(PAGE).content.decode()
    response = marketer.post(undo, headers=HX)
    assert undo not in html
    assert "Too old to undo" in html
    assert response.status_code == 422
    assert "30 days" in response.content.decode()


def test_sales_may_not_merge(twins: tuple[Lead, Lead]) -> None:
    older, newer = twins
    client = _client_for(make_user("sanne", role=Role.SALES))
    response = client.post(
        reverse("leads:lead-merge", args=[older.pk]), {"duplicate": newer.pk}
    )
    assert response.status_code == 403
    assert Lead.objects.filter(pk=newer.pk).exists()


def test_merging_needs_a_post(marketer: Client, twins: tuple[Lead, Lead]) -> None:
    older, _newer = twins
    response = marketer.get(reverse("leads:lead-merge", args=[older.pk]))
    assert response.status_code == 405
