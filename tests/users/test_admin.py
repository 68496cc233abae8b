"""Admin list filters with numbers no column can hold are refused, not a 500."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib import admin
from django.test import Client

from leadqual.users.admin import CheckedLookupsAdmin
from leadqual.users.roles import Role
from tests.factories import LeadFactory, make_user

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999"
# How a list filter on a field may be spelled in the query string.
SPELLINGS = ("", "__exact", "__in", "__gt", "__lte", "__id__exact", "__id__in")


def changelist_filters() -> Iterator[tuple[str, list[str]]]:
    """(changelist URL, its lookups) for every admin page with list filters."""
    for model, model_admin in admin.site._registry.items():
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        lookups = [
            list_filter + spelling
            for list_filter in model_admin.list_filter
            if isinstance(list_filter, str)
            for spelling in SPELLINGS
        ]
        if lookups:
            yield url, lookups


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(make_user("beheer", role=Role.ADMIN))
    return client


def test_the_lead_list_filtered_by_an_owner_id_beyond_64_bits_is_not_a_500(
    admin_client: Client,
) -> None:
    LeadFactory.create()

    response = admin_client.get("/admin/leads/lead/", {"owner": HUGE})

    assert response.status_code == 302
    assert response["Location"] == "/admin/leads/lead/?e=1"


@pytest.mark.parametrize(("url", "lookups"), list(changelist_filters()))
def test_no_list_filter_answers_a_500_for_an_out_of_range_number(
    admin_client: Client, url: str, lookups: list[str]
) -> None:
    for lookup in lookups:
        for value in (HUGE, f"-{HUGE}", f"1,{HUGE}"):
            response = admin_client.get(url, {lookup: value})
            assert response.status_code < 500, (lookup, value)


def test_a_filter_by_an_existing_owner_still_works(admin_client: Client) -> None:
    lead = LeadFactory.create(owner=make_user("sanne"))
    LeadFactory.create()

    response = admin_client.get("/admin/leads/lead/", {"owner": str(lead.owner_id)})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [lead]


def test_every_admin_page_checks_its_filters() -> None:
    unchecked = [
        type(model_admin).__qualname__
        for model_admin in admin.site._registry.values()
        if not isinstance(model_admin, CheckedLookupsAdmin)
    ]
    assert unchecked == []
