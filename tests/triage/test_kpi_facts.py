"""The KPI page's stored sums follow every write that changes a lead's facts.

Each test acts through a real write path, then checks two things: the stored
rows changed as that write should change them, and every stored row equals
what ``rebuild_kpi_facts`` computes from scratch over all leads. A write
path without its refresh leaves the old rows and fails both.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from leadqual.core.lifecycle import Decision, OutcomeKind, RejectionReason
from leadqual.core.sla import DUTCH_TIME
from leadqual.hygiene.merging import merge_leads, undo_merge
from leadqual.intake.pipeline import RawEvent, submit_events, submit_lead
from leadqual.leads.models import Lead
from leadqual.privacy.services import anonymise_lead, erase_person
from leadqual.triage.kpi_facts import rebuild_kpi_facts
from leadqual.triage.models import (
    KpiDay,
    KpiNoFitRule,
    LeadKpiFact,
    Task,
    TaskCloseReason,
)
from leadqual.triage.queries import ALL_OWNERS
from leadqual.triage.requalification import rescore_every_lead
from leadqual.triage.services import (
    close_tasks,
    correct_lead,
    rate_lead_quality,
    reassign_owner,
    record_feedback,
    record_first_contact,
    record_outcome,
    reopen_lead,
    undo_reopen,
)
from leadqual.users.roles import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db

# Thursday 26 November 2026, 10:00 in Utrecht.
THURSDAY = datetime(2026, 11, 26, 10, 0, tzinfo=DUTCH_TIME)
WARM_FIELDS = {
    "first_name": "Kees",
    "last_name": "Bakker",
    "company": "Bouwbedrijf Bakker B.V.",
    "sector": "software",
    "employees": "25",
    "budget_euros": "15000",
    "urgency": "immediate",
    "source": "website",
}


@pytest.fixture(autouse=True)
def _thursday() -> Iterator[None]:
    with time_machine.travel(THURSDAY + timedelta(hours=1), tick=False):
        yield


@pytest.fixture
def seller() -> User:
    return make_user("sanne", role=Role.SALES)


def _stored() -> tuple[list[Any], ...]:
    fact_fields = [field.attname for field in LeadKpiFact._meta.concrete_fields]
    day_fields = [
        field.attname for field in KpiDay._meta.concrete_fields if field.name != "id"
    ]
    # By lead: the rule lists and None cannot be compared with each other.
    lead = fact_fields.index("lead_id")
    facts = sorted(
        LeadKpiFact.objects.values_list(*fact_fields), key=lambda row: row[lead]
    )
    # A day row whose last lead left keeps its zeros; it counts nothing.
    days = sorted(KpiDay.objects.filter(leads_in__gt=0).values_list(*day_fields))
    rules = sorted(
        KpiNoFitRule.objects.filter(leads__gt=0).values_list(
            "day", "source", "rule", "leads", "first_lead_id"
        )
    )
    return facts, days, rules


def assert_kpi_sums_match_the_leads() -> None:
    stored = _stored()
    with transaction.atomic():
        rebuild_kpi_facts()
        expected = _stored()
        transaction.set_rollback(True)
    assert stored == expected


def _fact(lead: Lead) -> LeadKpiFact:
    return LeadKpiFact.objects.get(lead_id=lead.pk)


def _warm_lead(email: str = "kees@bouwbedrijf.nl", **fields: str) -> Lead:
    return submit_lead(email, {**WARM_FIELDS, **fields}, now=THURSDAY).lead


def _make_hot(lead: Lead, *, now: datetime = THURSDAY) -> None:
    submit_events(
        [
            RawEvent(lead.email, "demo_request", now.isoformat(), {}, f"{lead.pk}-d"),
            RawEvent(lead.email, "email_reply", now.isoformat(), {}, f"{lead.pk}-r"),
        ],
        now=now,
        source="api",
    )


def test_an_arrival_adds_its_lead_to_the_sums_of_its_day() -> None:
    lead = _warm_lead()

    day = KpiDay.objects.get(day=THURSDAY.date(), source="website")
    assert (day.leads_in, day.band, day.sla_due) == (1, "warm", 1)
    assert _fact(lead).waiting_due_at is not None
    assert_kpi_sums_match_the_leads()


def test_a_second_arrival_that_fills_in_the_source_moves_the_lead_there() -> None:
    fields = {**WARM_FIELDS, "source": ""}
    lead = submit_lead("kees@bouwbedrijf.nl", fields, now=THURSDAY).lead

    submit_lead(
        "kees@bouwbedrijf.nl",
        {**fields, "source": "event"},
        now=THURSDAY + timedelta(minutes=5),
    )

    assert _fact(lead).source == "event"
    assert_kpi_sums_match_the_leads()


def test_events_that_make_a_lead_hot_count_it_as_sales_ready() -> None:
    lead = _warm_lead()

    _make_hot(lead)

    assert (_fact(lead).sales_ready, _fact(lead).band) == (1, "hot")
    assert_kpi_sums_match_the_leads()


def test_a_rejection_as_no_fit_counts_as_an_error_and_leaves_the_sla(
    seller: User,
) -> None:
    lead = _warm_lead()

    record_feedback(
        lead,
        Decision.REJECTED,
        reason=RejectionReason.NO_FIT,
        given_by=seller,
        now=THURSDAY + timedelta(hours=1),
    )

    fact = _fact(lead)
    # Its first-contact task was closed before its due time, without contact.
    assert (fact.with_feedback, fact.rejected_no_fit, fact.sla_due) == (1, 1, 0)
    assert_kpi_sums_match_the_leads()


def _reject_as_no_fit(lead: Lead, seller: User, *, now: datetime) -> None:
    record_feedback(
        lead, Decision.REJECTED, reason=RejectionReason.NO_FIT, given_by=seller, now=now
    )


def _rules(**filters: object) -> list[tuple[str, int, int | None]]:
    return sorted(
        KpiNoFitRule.objects.filter(leads__gt=0, **filters).values_list(
            "rule", "leads", "first_lead_id"
        )
    )


def test_a_rejection_as_no_fit_counts_the_rules_of_the_score_sales_saw(
    seller: User,
) -> None:
    lead = _warm_lead()

    _reject_as_no_fit(lead, seller, now=THURSDAY + timedelta(hours=1))

    fact = _fact(lead)
    assert fact.no_fit_rules, "a warm lead has rules that gave it points"
    assert fact.no_fit_explained == 1
    assert _rules(day=THURSDAY.date(), source="website") == [
        (rule, 1, lead.pk) for rule in fact.no_fit_rules
    ]
    assert KpiDay.objects.get(leads_in__gt=0).no_fit_explained == 1
    assert_kpi_sums_match_the_leads()


def test_a_rejection_for_another_reason_counts_no_rules(seller: User) -> None:
    lead = _warm_lead()

    record_feedback(
        lead,
        Decision.REJECTED,
        reason=RejectionReason.NO_BUDGET,
        given_by=seller,
        now=THURSDAY + timedelta(hours=1),
    )

    assert (_fact(lead).no_fit_rules, _fact(lead).no_fit_explained) == (None, 0)
    assert _rules() == []
    assert_kpi_sums_match_the_leads()


def test_when_the_lowest_lead_of_a_rule_leaves_the_next_one_names_it(
    seller: User,
) -> None:
    first = _warm_lead("kees@bouwbedrijf.nl")
    second = _warm_lead("anna@bouwbedrijf.nl")
    for lead in (second, first):
        _reject_as_no_fit(lead, seller, now=THURSDAY + timedelta(hours=1))
    rules = _fact(first).no_fit_rules
    assert rules and _rules() == [(rule, 2, first.pk) for rule in rules]

    record_feedback(
        first,
        Decision.ACCEPTED,
        reason=None,
        given_by=seller,
        now=THURSDAY + timedelta(hours=2),
    )

    assert _fact(first).no_fit_rules is None
    assert _rules() == [(rule, 1, second.pk) for rule in rules]
    assert_kpi_sums_match_the_leads()

    _reject_as_no_fit(second, seller, now=THURSDAY + timedelta(hours=3))
    record_feedback(
        second,
        Decision.ACCEPTED,
        reason=None,
        given_by=seller,
        now=THURSDAY + timedelta(hours=4),
    )

    assert _rules() == []
    assert not KpiNoFitRule.objects.exclude(first_lead_id=None).exists()
    assert_kpi_sums_match_the_leads()


def test_a_second_rejection_after_new_events_counts_the_new_score_s_rules(
    seller: User,
) -> None:
    lead = _warm_lead()
    _reject_as_no_fit(lead, seller, now=THURSDAY + timedelta(hours=1))
    before = set(_fact(lead).no_fit_rules or [])

    _make_hot(lead, now=THURSDAY + timedelta(hours=2))
    _reject_as_no_fit(
        Lead.objects.get(pk=lead.pk), seller, now=THURSDAY + timedelta(hours=3)
    )

    after = set(_fact(lead).no_fit_rules or [])
    assert after > before
    assert _rules() == [(rule, 1, lead.pk) for rule in sorted(after)]
    assert_kpi_sums_match_the_leads()


def test_a_rating_counts_in_the_mean_rating(seller: User) -> None:
    lead = _warm_lead()
    record_feedback(lead, Decision.ACCEPTED, reason=None, given_by=seller, now=THURSDAY)

    rate_lead_quality(lead, 4)

    assert (_fact(lead).rated, _fact(lead).rating_total) == (1, 4)
    assert_kpi_sums_match_the_leads()


def test_a_win_counts_with_its_value(seller: User) -> None:
    lead = _warm_lead()
    record_feedback(lead, Decision.ACCEPTED, reason=None, given_by=seller, now=THURSDAY)

    record_outcome(
        lead,
        OutcomeKind.WON,
        value_cents=900_000,
        recorded_by=seller,
        now=THURSDAY + timedelta(days=2),
    )

    fact = _fact(lead)
    assert (fact.won, fact.won_accepted, fact.won_value_cents) == (1, 1, 900_000)
    assert_kpi_sums_match_the_leads()


def test_an_open_opportunity_counts_in_the_pipeline(seller: User) -> None:
    lead = _warm_lead()

    record_outcome(
        lead,
        OutcomeKind.OPPORTUNITY,
        value_cents=500_000,
        recorded_by=seller,
        now=THURSDAY + timedelta(days=1),
    )

    fact = _fact(lead)
    assert (fact.opportunities, fact.open_pipeline_value_cents) == (1, 500_000)
    assert_kpi_sums_match_the_leads()


def test_a_reopened_win_stops_counting_and_counts_again_when_undone(
    seller: User,
) -> None:
    lead = _warm_lead()
    record_outcome(
        lead, OutcomeKind.WON, value_cents=100, recorded_by=seller, now=THURSDAY
    )

    action = reopen_lead(lead, by=seller, now=THURSDAY + timedelta(hours=1))

    assert _fact(lead).won == 0
    assert_kpi_sums_match_the_leads()

    undo_reopen(lead, action.pk, by=seller, now=THURSDAY + timedelta(hours=2))

    assert _fact(lead).won == 1
    assert_kpi_sums_match_the_leads()


def test_a_first_contact_counts_its_time_and_the_sla(seller: User) -> None:
    lead = _warm_lead()

    record_first_contact(lead, by=seller, now=THURSDAY + timedelta(hours=2))

    fact = _fact(lead)
    assert (fact.contacted, fact.sla_met, fact.waiting_due_at) == (1, 1, None)
    assert fact.microseconds_to_first_contact == 2 * 3_600_000_000
    assert fact.working_hours_to_first_contact == 2.0
    assert_kpi_sums_match_the_leads()


def test_a_task_closed_from_the_queue_before_its_due_time_leaves_the_sla(
    seller: User,
) -> None:
    lead = _warm_lead()
    task = Task.objects.get(lead=lead)

    close_tasks(
        [task.pk],
        reason=TaskCloseReason.NO_RESPONSE,
        by=seller,
        may_close=ALL_OWNERS,
        now=THURSDAY + timedelta(hours=1),
    )

    assert (_fact(lead).sla_due, _fact(lead).waiting_due_at) == (0, None)
    assert_kpi_sums_match_the_leads()


def test_a_corrected_source_moves_the_lead_to_that_source(seller: User) -> None:
    lead = _warm_lead()

    correct_lead(
        lead, {"source": "event"}, by=seller, now=THURSDAY + timedelta(hours=1)
    )

    assert _fact(lead).source == "event"
    assert not KpiDay.objects.filter(source="website", leads_in__gt=0).exists()
    assert_kpi_sums_match_the_leads()


def test_a_reassigned_lead_keeps_the_sums_equal(seller: User) -> None:
    lead = _warm_lead()

    reassign_owner(lead, seller, by=seller, now=THURSDAY + timedelta(hours=1))

    assert_kpi_sums_match_the_leads()


def test_a_merge_counts_the_duplicate_in_the_survivor_and_an_undo_splits_them(
    seller: User,
) -> None:
    survivor = _warm_lead("kees@bouwbedrijf.nl")
    duplicate = _warm_lead("k.bakker@bouwbedrijf.nl")
    record_feedback(
        duplicate, Decision.ACCEPTED, reason=None, given_by=seller, now=THURSDAY
    )

    result = merge_leads(
        survivor, duplicate, by=seller, now=THURSDAY + timedelta(hours=1)
    )

    assert not LeadKpiFact.objects.filter(lead_id=duplicate.pk).exists()
    assert _fact(survivor).accepted == 1
    assert KpiDay.objects.get(day=THURSDAY.date(), leads_in__gt=0).leads_in == 1
    assert_kpi_sums_match_the_leads()

    undo_merge(result.merge, by=seller, now=THURSDAY + timedelta(hours=2))

    assert (_fact(survivor).accepted, _fact(duplicate).accepted) == (0, 1)
    assert_kpi_sums_match_the_leads()


def test_an_erased_person_stays_counted_and_their_open_task_leaves_the_sla() -> None:
    lead = _warm_lead()

    erase_person(lead, actor="test", now=THURSDAY + timedelta(hours=1))

    assert (_fact(lead).leads_in, _fact(lead).sla_due) == (1, 0)
    assert_kpi_sums_match_the_leads()


def test_an_anonymised_lead_stays_counted_and_its_open_task_leaves_the_sla() -> None:
    lead = _warm_lead()

    anonymise_lead(lead.pk, now=THURSDAY + timedelta(hours=1), reason="test")

    assert (_fact(lead).leads_in, _fact(lead).sla_due) == (1, 0)
    assert_kpi_sums_match_the_leads()


def test_an_event_that_moves_a_score_within_its_band_moves_only_its_bucket() -> None:
    """The real-time path's short cut (refresh_score_buckets): no band change,
    so only the calibration bucket moves, and the sums stay exact."""
    lead = _warm_lead()
    assert (lead.band, _fact(lead).score_bucket) == ("warm", 4)

    submit_events(
        [RawEvent(lead.email, "email_click", THURSDAY.isoformat(), {}, "click")],
        now=THURSDAY,
        source="api",
    )

    lead.refresh_from_db()
    assert (lead.band, _fact(lead).score_bucket) == ("warm", 5)
    assert_kpi_sums_match_the_leads()
    # A score that stays in its bucket writes no sums.
    with CaptureQueriesContext(connection) as queries:
        submit_events(
            [RawEvent(lead.email, "page_view", THURSDAY.isoformat(), {}, "visit")],
            now=THURSDAY,
            source="api",
        )
    assert not [
        q
        for q in queries.captured_queries
        if "kpi" in q["sql"].lower()
        and q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))
    ]
    assert_kpi_sums_match_the_leads()


def test_rescoring_every_lead_moves_a_score_that_decayed_within_its_band() -> None:
    lead = _warm_lead()
    submit_events(
        [RawEvent(lead.email, "email_click", THURSDAY.isoformat(), {}, "click")],
        now=THURSDAY,
        source="api",
    )
    assert _fact(lead).score_bucket == 5

    # Three months later the click's points have decayed; the lead stays warm,
    # so no band change (and no triage) carries the new score.
    rescore_every_lead(now=THURSDAY + timedelta(days=90))

    lead.refresh_from_db()
    assert (lead.band, _fact(lead).score_bucket) == ("warm", 4)
    assert_kpi_sums_match_the_leads()


def test_rebuild_kpis_restores_sums_that_were_lost(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _warm_lead("kees@bouwbedrijf.nl")
    _warm_lead("anna@kapsalon.nl", source="event")
    expected = _stored()
    KpiDay.objects.all().delete()
    LeadKpiFact.objects.filter(source="event").delete()

    call_command("rebuild_kpis", "--no-progress")

    assert _stored() == expected
    assert "Rebuilt the KPI sums of 2 leads" in capsys.readouterr().out
