"""Fact rows for the KPIs, built from leads that went through the real pipeline."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from pytest_django import DjangoAssertNumQueries

from leadqual.core.lifecycle import Decision, OutcomeKind, RejectionReason
from leadqual.core.sla import DUTCH_TIME
from leadqual.insights.queries import (
    arrived_leads,
    facts_for_period,
    lead_facts,
    lead_sources,
)
from leadqual.intake.pipeline import RawEvent, submit_events, submit_lead
from leadqual.leads.models import Lead
from leadqual.triage.models import Task
from leadqual.triage.services import (
    record_feedback,
    record_first_contact,
    record_outcome,
)
from tests.factories import LeadFactory, make_user

pytestmark = pytest.mark.django_db

# Thursday 26 November 2026, 10:00 in Utrecht.
THURSDAY = datetime(2026, 11, 26, 10, 0, tzinfo=DUTCH_TIME)
WARM_FIELDS = {
    "sector": "software",
    "employees": "25",
    "budget_euros": "15000",
    "urgency": "immediate",
}
FACT_QUERIES = 6


def _arrive_warm(
    email: str, *, when: datetime = THURSDAY, source: str = "website"
) -> Lead:
    return submit_lead(email, {**WARM_FIELDS, "source": source}, now=when).lead


def _make_hot(lead: Lead, when: datetime) -> None:
    submit_events(
        [
            RawEvent(
                lead.email, "demo_request", when.isoformat(), {}, f"{lead.pk}-demo"
            ),
            RawEvent(
                lead.email, "email_reply", when.isoformat(), {}, f"{lead.pk}-reply"
            ),
        ],
        now=when,
        source="api",
    )


def _busy_leads(count: int) -> None:
    """``count`` leads with every kind of row the facts read."""
    seller = make_user("sanne")
    for number in range(count):
        lead = _arrive_warm(f"lead{number}@bouwbedrijf.nl")
        if number % 2 == 0:
            _make_hot(lead, THURSDAY + timedelta(hours=1))
        lead.refresh_from_db()
        record_first_contact(lead, by=seller, now=THURSDAY + timedelta(hours=2))
        record_feedback(
            lead, Decision.ACCEPTED, reason=None, given_by=seller, now=THURSDAY
        )
        record_outcome(
            lead, OutcomeKind.WON, value_cents=100, recorded_by=None, now=THURSDAY
        )


@pytest.mark.parametrize("count", [5, 50])
def test_building_facts_takes_the_same_few_queries_for_5_and_50_leads(
    count: int, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    _busy_leads(count)
    with django_assert_max_num_queries(FACT_QUERIES):
        facts = lead_facts(Lead.objects.all())
    assert len(facts) == count
    assert all(fact.won_value_cents == 100 for fact in facts)


def test_a_lead_that_turned_hot_was_contacted_accepted_and_won_has_all_its_facts() -> (
    None
):
    seller = make_user("sanne")
    lead = _arrive_warm("kees@bouwbedrijf.nl")
    hot_at = THURSDAY + timedelta(hours=1)
    _make_hot(lead, hot_at)
    lead.refresh_from_db()
    record_first_contact(lead, by=seller, now=THURSDAY + timedelta(hours=3))
    record_feedback(
        lead,
        Decision.ACCEPTED,
        reason=None,
        given_by=seller,
        now=THURSDAY + timedelta(hours=4),
    )
    record_outcome(
        lead,
        OutcomeKind.OPPORTUNITY,
        recorded_by=seller,
        now=THURSDAY + timedelta(days=1),
    )
    record_outcome(
        lead,
        OutcomeKind.WON,
        value_cents=1_250_000,
        recorded_by=seller,
        now=THURSDAY + timedelta(days=8),
    )

    [fact] = lead_facts(Lead.objects.all())

    assert fact.lead_id == lead.pk
    assert fact.arrived_at == THURSDAY
    assert fact.source == "website"
    assert fact.became_sales_ready_at == hot_at
    assert (fact.accepted, fact.rejected_reason) == (True, None)
    assert fact.opportunity_at == THURSDAY + timedelta(days=1)
    assert fact.won_at == THURSDAY + timedelta(days=8)
    assert fact.lost_at is None
    assert fact.won_value_cents == 1_250_000
    assert fact.first_contact_at == THURSDAY + timedelta(hours=3)
    # Turning hot brought the first-contact task forward to 24 working hours.
    assert fact.first_contact_due_at == hot_at + timedelta(hours=24)


def test_a_warm_lead_rejected_as_no_fit_never_became_sales_ready() -> None:
    seller = make_user("sanne")
    lead = _arrive_warm("kees@bouwbedrijf.nl")
    record_feedback(
        lead,
        Decision.REJECTED,
        reason=RejectionReason.NO_FIT,
        given_by=seller,
        now=THURSDAY + timedelta(hours=5),
    )

    [fact] = lead_facts(Lead.objects.all())

    assert fact.became_sales_ready_at is None
    assert (fact.accepted, fact.rejected_reason) == (False, "no_fit")
    assert fact.first_contact_at is None
    # Rejected before its due time: the task was closed with no SLA left to miss.
    assert fact.first_contact_due_at is None
    assert (fact.opportunity_at, fact.won_at) == (None, None)


def test_the_latest_feedback_decides_accepted_or_rejected() -> None:
    lead = LeadFactory.create(created_at=THURSDAY)
    record_feedback(lead, Decision.ACCEPTED, reason=None, given_by=None, now=THURSDAY)
    record_feedback(
        lead,
        Decision.REJECTED,
        reason=RejectionReason.BAD_TIMING,
        given_by=None,
        now=THURSDAY + timedelta(days=2),
    )

    [fact] = lead_facts(Lead.objects.all())

    assert (fact.accepted, fact.rejected_reason) == (False, "bad_timing")


def test_the_due_time_comes_from_the_first_first_contact_task() -> None:
    lead = LeadFactory.create(created_at=THURSDAY)
    Task.objects.create(
        lead=lead, kind="follow_up", due_at=THURSDAY, created_at=THURSDAY
    )
    Task.objects.create(
        lead=lead,
        kind="first_contact",
        due_at=THURSDAY + timedelta(days=9),
        created_at=THURSDAY + timedelta(days=5),
    )
    Task.objects.create(
        lead=lead,
        kind="first_contact",
        due_at=THURSDAY + timedelta(days=1),
        created_at=THURSDAY,
    )

    [fact] = lead_facts(Lead.objects.all())

    assert fact.first_contact_due_at == THURSDAY + timedelta(days=1)


def test_a_lead_without_any_activity_has_empty_facts() -> None:
    lead = LeadFactory.create(created_at=THURSDAY, source="")

    [fact] = lead_facts(Lead.objects.all())

    assert fact.lead_id == lead.pk
    assert fact.source == ""
    assert fact.accepted is None
    assert fact.first_contact_due_at is None


def test_no_leads_means_no_facts_and_a_single_query(
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    with django_assert_max_num_queries(1):
        assert lead_facts(Lead.objects.all()) == []


def test_the_period_runs_from_local_midnight_to_local_midnight() -> None:
    sunday_late = LeadFactory.create(
        created_at=datetime(2026, 11, 22, 23, 59, tzinfo=DUTCH_TIME)
    )
    monday_midnight = LeadFactory.create(
        created_at=datetime(2026, 11, 23, 0, 0, tzinfo=DUTCH_TIME)
    )
    sunday_last = LeadFactory.create(
        created_at=datetime(2026, 11, 29, 23, 59, tzinfo=DUTCH_TIME)
    )
    LeadFactory.create(created_at=datetime(2026, 11, 30, 0, 0, tzinfo=DUTCH_TIME))

    leads = arrived_leads(date(2026, 11, 23), date(2026, 11, 29))

    assert set(leads) == {monday_midnight, sunday_last}
    assert sunday_late not in leads


def test_the_source_filter_keeps_only_that_source() -> None:
    LeadFactory.create(created_at=THURSDAY, source="website")
    event_lead = LeadFactory.create(created_at=THURSDAY, source="event")

    facts = facts_for_period(date(2026, 11, 23), date(2026, 11, 29), source="event")

    assert [fact.lead_id for fact in facts] == [event_lead.pk]


def test_lead_sources_lists_each_source_once() -> None:
    LeadFactory.create(source="website")
    LeadFactory.create(source="website")
    LeadFactory.create(source="event")
    assert lead_sources() == ["event", "website"]


def test_a_task_closed_as_the_lead_cooled_down_never_misses_its_sla() -> None:
    from datetime import timedelta

    from leadqual.insights.queries import lead_facts
    from leadqual.leads.models import Lead
    from leadqual.triage.models import Task
    from tests.factories import LeadFactory

    lead = LeadFactory.create()
    due = lead.created_at + timedelta(days=1)
    Task.objects.create(
        lead=lead,
        kind="first_contact",
        due_at=due,
        done_at=lead.created_at + timedelta(hours=2),
        closed_reason="cooled down to cold",
    )
    (facts,) = lead_facts(Lead.objects.filter(pk=lead.pk))
    assert facts.first_contact_due_at is None
