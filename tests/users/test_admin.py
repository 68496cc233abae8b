"""Admin list filters with numbers no column can hold are refused, not a 500."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from leadqual.core.scoring import ScoreTrigger
from leadqual.scoring.services import rescore_lead
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


def test_big_tables_list_their_filter_choices_without_reading_every_row(
    admin_client: Client,
) -> None:
    """No SELECT DISTINCT over every score or event: 1 to 4 s at a million leads."""
    lead = LeadFactory.create()
    rescore_lead(lead, now=timezone.now(), trigger=ScoreTrigger.RESCORE)
    for url in ("/admin/scoring/score/", "/admin/leads/event/"):
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(url)
        assert response.status_code == 200
        assert not [
            query["sql"] for query in queries if "DISTINCT" in query["sql"].upper()
        ]


def test_scores_filter_by_a_listed_model_version_and_trigger(
    admin_client: Client,
) -> None:
    lead = LeadFactory.create()
    score = rescore_lead(lead, now=timezone.now(), trigger=ScoreTrigger.RESCORE).score

    for query, expected in (
        ({"model_version": str(score.model_version)}, [score]),
        ({"model_version": "999"}, []),
        ({"trigger": ScoreTrigger.RESCORE.value}, [score]),
        ({"trigger": ScoreTrigger.FORM.value}, []),
    ):
        response = admin_client.get("/admin/scoring/score/", query)
        assert response.status_code == 200, query
        assert list(response.context["cl"].result_list) == expected, query
    for value in (HUGE, f"-{HUGE}", "1.5"):
        response = admin_client.get("/admin/scoring/score/", {"model_version": value})
        assert response.status_code < 500, value
