"""Stored duplicate pairs: kept per arriving batch, always what a full search finds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadqual.core.duplicates import find_duplicates
from leadqual.hygiene.merging import merge_leads, undo_merge
from leadqual.hygiene.quality import lead_identities
from leadqual.intake.pipeline import submit_lead
from leadqual.leads.duplicates import (
    rebuild_duplicate_candidates,
    refresh_duplicate_candidates,
)
from leadqual.leads.models import Company, DuplicateCandidate, Lead
from leadqual.privacy.services import erase_person
from leadqual.triage.services import correct_lead
from tests.factories import CompanyFactory, LeadFactory, make_user

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)

Stored = set[tuple[int, int, float, tuple[str, ...]]]


def stored_pairs() -> Stored:
    return {
        (row.first_id, row.second_id, row.similarity, tuple(row.reasons))
        for row in DuplicateCandidate.objects.all()
    }


def searched_pairs() -> Stored:
    """What find_duplicates finds over every lead, the reference."""
    return {
        (pair.first_id, pair.second_id, pair.similarity, tuple(pair.reasons))
        for pair in find_duplicates(lead_identities())
    }


# Few values, so that random leads share companies, domains and phones often.
NAMES = st.sampled_from(
    [
        ("Jan", "de Vries"),
        ("Jan", "de Vreis"),
        ("Anna", "Smit"),
        ("Anne", "Smit"),
        ("", ""),
    ]
)
COMPANIES = st.sampled_from([None, "Bakker ICT B.V.", "bakker ict", "Smit Bouw"])
DOMAINS = st.sampled_from(["bakker-ict.nl", "gmail.com", "smitbouw.nl"])
PHONES = st.sampled_from(["", "+31612345678", "06 12345678", "+31201234567", "12"])
IDENTITY = st.tuples(NAMES, COMPANIES, DOMAINS, PHONES)
# A step: a new lead, a lead whose identity changes, or a lead that goes
# (the number picks the lead).
STEP = st.tuples(
    st.sampled_from(["new", "change", "delete"]), st.integers(0, 30), IDENTITY
)


Identity = tuple[tuple[str, str], str | None, str, str]


def _apply_identity(lead: Lead, identity: Identity, number: int) -> None:
    (first, last), company, domain, phone = identity
    lead.first_name, lead.last_name = str(first), str(last)
    lead.email = f"lead{number}@{domain}"
    lead.company = (
        Company.objects.get_or_create(name=company, normalised_name=str(company))[0]
        if company
        else None
    )
    lead.phone = str(phone)
    lead.save()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batches=st.lists(st.lists(STEP, min_size=1, max_size=6), max_size=6))
def test_pairs_kept_per_batch_equal_a_search_over_all_leads(
    batches: list[list[tuple[str, int, Identity]]],
) -> None:
    Lead.objects.all().delete()
    numbers = iter(range(10_000))
    for batch in batches:
        touched: list[int] = []
        for kind, number, identity in batch:
            leads = list(Lead.objects.order_by("pk"))
            if kind == "new" or not leads:
                lead = Lead(email="placeholder")
                _apply_identity(lead, identity, next(numbers))
                touched.append(lead.pk)
            elif kind == "change":
                lead = leads[number % len(leads)]
                _apply_identity(lead, identity, next(numbers))
                touched.append(lead.pk)
            else:
                leads[number % len(leads)].delete()
        refresh_duplicate_candidates(touched, now=NOW)
    assert stored_pairs() == searched_pairs()


def _twin_arrivals() -> tuple[Lead, Lead]:
    submit_lead(
        "jan@bakker-ict.nl",
        {"first_name": "Jan", "last_name": "de Vries", "company": "Bakker ICT B.V."},
        now=NOW,
    )
    submit_lead(
        "j.devries@bakker-ict.nl",
        {"first_name": "Jan", "last_name": "de Vreis", "company": "Bakker ICT"},
        now=NOW + timedelta(minutes=5),
    )
    return (
        Lead.objects.get(email="jan@bakker-ict.nl"),
        Lead.objects.get(email="j.devries@bakker-ict.nl"),
    )


def test_a_lead_arriving_through_the_pipeline_is_paired_with_its_twin() -> None:
    older, newer = _twin_arrivals()
    pair = DuplicateCandidate.objects.get()
    assert (pair.first_id, pair.second_id) == (older.pk, newer.pk)
    assert pair.reasons == ["same_person_at_company"]
    assert pair.found_at == NOW + timedelta(minutes=5)
    assert newer.company_match_key == "bakker ict"


def test_an_arrival_again_keeps_when_the_pair_was_found() -> None:
    _twin_arrivals()
    submit_lead("jan@bakker-ict.nl", {"job_title": "Directeur"}, now=NOW + timedelta(1))
    assert DuplicateCandidate.objects.get().found_at == NOW + timedelta(minutes=5)


def test_correcting_a_name_drops_a_pair_that_no_longer_holds() -> None:
    _older, newer = _twin_arrivals()
    correct_lead(newer, {"first_name": "Piet"}, by=None, now=NOW + timedelta(1))
    assert not DuplicateCandidate.objects.exists()


def test_a_merge_removes_the_pair_and_an_undo_brings_it_back() -> None:
    older, newer = _twin_arrivals()
    result = merge_leads(older, newer, by=None, now=NOW + timedelta(1))
    assert not DuplicateCandidate.objects.exists()
    undo_merge(result.merge, by=None, now=NOW + timedelta(2))
    assert stored_pairs() == searched_pairs() != set()


def test_erasing_either_lead_removes_its_pairs() -> None:
    older, _newer = _twin_arrivals()
    erase_person(older, actor=make_user("admin"), now=NOW + timedelta(1))
    assert not DuplicateCandidate.objects.exists()
    older.refresh_from_db()
    assert older.company_match_key == older.phone_match_key == ""


def test_rebuilding_finds_pairs_of_leads_loaded_past_the_pipeline() -> None:
    company = CompanyFactory.create(name="Smit Bouw")
    first = LeadFactory.create(first_name="Anna", last_name="Smit", company=company)
    second = LeadFactory.create(first_name="Anne", last_name="Smit", company=company)
    assert not DuplicateCandidate.objects.exists()
    out = StringIO()
    call_command("rebuild_duplicates", stdout=out)
    assert "Found 1 suspected duplicate pairs" in out.getvalue()
    assert {(row[0], row[1]) for row in stored_pairs()} == {(first.pk, second.pk)}
    assert stored_pairs() == searched_pairs()


def test_a_rebuild_keeps_when_a_pair_was_first_found() -> None:
    _twin_arrivals()
    rebuild_duplicate_candidates(now=NOW + timedelta(days=3))
    assert DuplicateCandidate.objects.get().found_at == NOW + timedelta(minutes=5)


def test_the_demo_data_has_its_pairs_stored_as_a_search_finds_them() -> None:
    call_command(
        "demo_data",
        "--leads",
        "80",
        "--seed",
        "4",
        "--now",
        NOW.isoformat(),
        stdout=StringIO(),
    )
    # The generator makes no twins: two arrive beside it.
    _twin_arrivals()
    assert stored_pairs() == searched_pairs()
    assert len(stored_pairs()) >= 1
