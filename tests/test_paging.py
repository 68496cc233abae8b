"""Numbered pages counted up to a cap (leadqual.paging.CappedPaginator, #15).

A list counts its rows only up to the cap; past it the count says "more than"
and the pages go on by "next" while there are rows. The cap is small here
(three rows), as it is passed in; the lists use 10,000.
"""

from __future__ import annotations

import pytest
from django.db.models import QuerySet
from django.utils import translation

from leadqual.leads.models import Lead
from leadqual.leads.queries import LeadsByScorePerOwner
from leadqual.paging import CappedCount, CappedPaginator, capped_count, count_up_to
from tests.factories import LeadFactory, make_user

pytestmark = pytest.mark.django_db


def _leads(count: int) -> QuerySet[Lead]:
    LeadFactory.create_batch(count)
    return Lead.objects.order_by("pk")


def test_a_count_up_to_a_limit_stops_there() -> None:
    leads = _leads(5)
    assert count_up_to(leads, 3) == 3
    assert count_up_to(leads, 5) == 5
    assert count_up_to(leads, 9) == 5
    assert count_up_to(leads, 0) == 0


def test_a_capped_count_is_exact_up_to_the_cap() -> None:
    leads = _leads(3)
    count = capped_count(leads, cap=3)
    assert count == CappedCount(value=3, cap=3)
    assert not count.is_capped
    assert str(count) == "3"


def test_a_capped_count_past_the_cap_says_more() -> None:
    leads = _leads(5)
    count = capped_count(leads, cap=3)
    assert count == CappedCount(value=4, cap=3)
    assert count.is_capped
    assert str(count) == "3+"


@pytest.mark.parametrize(("language", "text"), [("en", "10,000+"), ("nl", "10.000+")])
def test_a_capped_count_shows_the_cap_with_the_languages_separator(
    language: str, text: str
) -> None:
    with translation.override(language):
        assert str(CappedCount(value=10_001, cap=10_000)) == text


def test_below_the_cap_the_paginator_is_djangos() -> None:
    paginator = CappedPaginator(_leads(5), 2, cap=5)
    assert paginator.count == 5
    assert not paginator.is_capped
    assert paginator.num_pages == 3
    # Out of range: the last page, as Django's Paginator gives.
    last = paginator.get_page("9")
    assert last.number == 3
    assert not last.has_next()
    assert len(last.object_list) == 1


def test_past_the_cap_pages_go_on_while_there_are_rows() -> None:
    leads = _leads(7)
    ids = list(leads.values_list("pk", flat=True))
    paginator = CappedPaginator(leads, 2, cap=3)
    assert paginator.count == 4
    assert paginator.is_capped

    pages = [paginator.get_page(str(number)) for number in (1, 2, 3, 4)]

    assert [[lead.pk for lead in page.object_list] for page in pages] == [
        ids[0:2],
        ids[2:4],
        ids[4:6],
        ids[6:7],
    ]
    assert [page.has_next() for page in pages] == [True, True, True, False]
    assert pages[3].has_previous()
    assert pages[2].next_page_number() == 4


def test_past_the_cap_a_page_after_the_last_row_is_empty() -> None:
    paginator = CappedPaginator(_leads(5), 2, cap=3)
    page = paginator.get_page("4")
    assert list(page.object_list) == []
    assert not page.has_next()
    assert page.has_previous()


@pytest.mark.parametrize("number", ["0", "-2", "two", None, "99999999999"])
def test_past_the_cap_a_page_number_out_of_range_gives_the_first(
    number: str | None,
) -> None:
    paginator = CappedPaginator(_leads(5), 2, cap=3)
    assert paginator.get_page(number).number == 1


def test_a_sellers_own_and_unassigned_leads_are_counted_up_to_the_cap() -> None:
    """Each owner's part stops at the limit, and so does their sum."""
    sanne = make_user("sanne")
    LeadFactory.create_batch(2, owner=sanne)
    LeadFactory.create_batch(2, owner=None)
    leads = LeadsByScorePerOwner(Lead.objects.all(), [sanne.pk, None])

    assert [leads.count_up_to(limit) for limit in (1, 3, 4, 5)] == [1, 3, 4, 4]
    assert CappedPaginator(leads, 2, cap=3).is_capped
    assert not CappedPaginator(leads, 2, cap=4).is_capped
