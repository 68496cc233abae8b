"""Reopening won and lost leads, notes and calls, owners and corrections (services)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import User

from leadqual.core.errors import LeadIsClosed, NotClosed, NothingToUndo
from leadqual.core.lifecycle import (
    BantAnswer,
    BantQuestion,
    CallResult,
    Decision,
    LeadStatus,
    NoteKind,
    OutcomeKind,
    RejectionReason,
)
from leadqual.core.sla import DUTCH_TIME
from leadqual.insights.queries import lead_facts
from leadqual.intake.pipeline import submit_lead
from leadqual.leads.models import Lead
from leadqual.scoring.models import Score
from leadqual.triage.models import Note, Outcome, SalesAction, Task
from leadqual.triage.services import (
    add_note,
    answer_bant,
    correct_lead,
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

THURSDAY = datetime(2026, 11, 26, 16, 0, tzinfo=DUTCH_TIME)
WARM_FIELDS = {
    "first_name": "Kees",
    "last_name": "Bakker",
    "company": "Bouwbedrijf Bakker B.V.",
    "sector": "software",
    "employees": "25",
    "budget_euros": "15000",
    "urgency": "immediate",
}


@pytest.fixture
def seller() -> User:
    return make_user("sanne", role=Role.SALES)


def _won_lead(seller: User) -> Lead:
    lead = submit_lead("kees@bouwbedrijf.nl", WARM_FIELDS, now=THURSDAY).lead
    record_feedback(lead, Decision.ACCEPTED, reason=None, given_by=seller, now=THURSDAY)
    record_outcome(
        lead,
        OutcomeKind.WON,
        value_cents=1_250_000,
        recorded_by=seller,
        now=THURSDAY + timedelta(days=1),
    )
    lead.refresh_from_db()
    return lead


def _won_count() -> int:
    return sum(1 for facts in lead_facts(Lead.objects.all()) if facts.won_at)


# --- a won lead is reopened explicitly ---------------------------------------------------


def test_a_won_lead_cannot_be_rejected_without_reopening_it_first(
    seller: User,
) -> None:
    lead = _won_lead(seller)

    with pytest.raises(LeadIsClosed) as caught:
        record_feedback(
            lead,
            Decision.REJECTED,
            reason=RejectionReason.NO_NEED,
            given_by=seller,
            now=THURSDAY + timedelta(days=2),
        )

    assert "reopen it first" in caught.value.message
    lead.refresh_from_db()
    assert lead.status == LeadStatus.WON
    assert _won_count() == 1


def test_a_lost_lead_takes_no_new_outcome_without_reopening(seller: User) -> None:
    lead = submit_lead("kees@bouwbedrijf.nl", WARM_FIELDS, now=THURSDAY).lead
    record_outcome(lead, OutcomeKind.LOST, recorded_by=seller, now=THURSDAY)

    with pytest.raises(LeadIsClosed):
        record_outcome(lead, OutcomeKind.WON, recorded_by=seller, now=THURSDAY)

    assert list(Outcome.objects.values_list("kind", flat=True)) == ["lost"]


def test_a_stale_lead_object_cannot_slip_past_the_rule(seller: User) -> None:
    """The status is read from the locked row, not from the caller's copy."""
    lead = _won_lead(seller)
    stale = Lead.objects.get(pk=lead.pk)
    stale.status = LeadStatus.ACCEPTED.value

    with pytest.raises(LeadIsClosed):
        record_feedback(
            stale,
            Decision.REJECTED,
            reason=RejectionReason.SPAM,
            given_by=seller,
            now=THURSDAY,
        )


def test_reopening_a_won_lead_opens_the_deal_and_the_kpis_stop_counting_it(
    seller: User,
) -> None:
    lead = _won_lead(seller)
    reopened_at = THURSDAY + timedelta(days=2)

    action = reopen_lead(lead, by=seller, now=reopened_at)

    lead.refresh_from_db()
    assert lead.status == LeadStatus.ACCEPTED
    assert action.previous_status == LeadStatus.WON
    assert Outcome.objects.get(kind="won").reopened_at == reopened_at
    assert _won_count() == 0
    # Now the lead takes feedback again.
    record_feedback(
        lead,
        Decision.REJECTED,
        reason=RejectionReason.NO_NEED,
        given_by=seller,
        now=reopened_at + timedelta(minutes=5),
    )
    lead.refresh_from_db()
    assert lead.status == LeadStatus.REJECTED


def test_a_reopened_lead_with_an_opportunity_goes_back_to_opportunity(
    seller: User,
) -> None:
    lead = submit_lead("kees@bouwbedrijf.nl", WARM_FIELDS, now=THURSDAY).lead
    record_outcome(lead, OutcomeKind.OPPORTUNITY, recorded_by=seller, now=THURSDAY)
    record_outcome(lead, OutcomeKind.LOST, recorded_by=seller, now=THURSDAY)

    reopen_lead(lead, by=seller, now=THURSDAY + timedelta(hours=1))

    lead.refresh_from_db()
    assert lead.status == LeadStatus.OPPORTUNITY


def test_only_won_or_lost_leads_are_reopened(seller: User) -> None:
    lead = submit_lead("kees@bouwbedrijf.nl", WARM_FIELDS, now=THURSDAY).lead

    with pytest.raises(NotClosed):
        reopen_lead(lead, by=seller, now=THURSDAY)

    assert not SalesAction.objects.filter(kind="reopened").exists()


def test_undoing_a_reopen_restores_the_win_and_its_kpi(seller: User) -> None:
    lead = _won_lead(seller)
    action = reopen_lead(lead, by=seller, now=THURSDAY + timedelta(days=2))

    restored = undo_reopen(
        lead, action.pk, by=seller, now=THURSDAY + timedelta(days=2, minutes=1)
    )

    lead.refresh_from_db()
    assert restored == LeadStatus.WON and lead.status == LeadStatus.WON
    assert Outcome.objects.get(kind="won").reopened_at is None
    assert _won_count() == 1
    action.refresh_from_db()
    assert action.undone_at is not None
    with pytest.raises(NothingToUndo):
        undo_reopen(lead, action.pk, by=seller, now=THURSDAY + timedelta(days=3))


def test_a_reopen_cannot_be_undone_after_the_lead_changed(seller: User) -> None:
    lead = _won_lead(seller)
    action = reopen_lead(lead, by=seller, now=THURSDAY + timedelta(days=2))
    record_outcome(
        lead,
        OutcomeKind.LOST,
        recorded_by=seller,
        now=THURSDAY + timedelta(days=2, minutes=1),
    )

    with pytest.raises(NothingToUndo) as caught:
        undo_reopen(lead, action.pk, by=seller, now=THURSDAY + timedelta(days=3))

    assert "changed after it was reopened" in caught.value.message
    lead.refresh_from_db()
    assert lead.status == LeadStatus.LOST


# --- notes, calls and the sales actions --------------------------------------------------


def test_notes_and_calls_are_stored_with_who_and_when(seller: User) -> None:
    lead = submit_lead("kees@bouwbedrijf.nl", WARM_FIELDS, now=THURSDAY).lead

    add_note(
        lead, NoteKind.NOTE, "  Wants a demo in January  ", by=seller, now=THURSDAY
    )
    add_note(
        lead,
        NoteKind.CALL,
        "",
        call_result=CallResult.NO_ANSWER,
        by=seller,
        now=THURSDAY + timedelta(minutes=3),
    )

    notes = list(
        Note.objects.order_by("written_at").values_list(
            "kind", "body", "call_result", "written_by__username"
        )
    )
    assert notes == [
        ("note", "Wants a demo in January", "", "sanne"),
        ("call", "", "no_answer", "sanne"),
    ]


def test_every_sales_action_is_logged_once(seller: User) -> None:
    lead = submit_lead("kees@bouwbedrijf.nl", WARM_FIELDS, now=THURSDAY).lead

    answer_bant(lead, BantQuestion.BUDGET, BantAnswer.YES, now=THURSDAY, by=seller)
    # The same answer again changes nothing and logs nothing.
    answer_bant(lead, BantQuestion.BUDGET, BantAnswer.YES, now=THURSDAY, by=seller)
    record_first_contact(lead, by=seller, now=THURSDAY)
    record_first_contact(lead, by=seller, now=THURSDAY + timedelta(hours=1))
    record_feedback(lead, Decision.ACCEPTED, reason=None, given_by=seller, now=THURSDAY)

    kinds = list(SalesAction.objects.order_by("pk").values_list("kind", "detail"))
    assert kinds == [
        ("bant_answered", "budget=yes"),
        ("first_contact", ""),
        ("accepted", ""),
    ]


# --- owner and corrections ---------------------------------------------------------------


def test_reassigning_moves_the_lead_and_its_open_tasks(seller: User) -> None:
    colleague = make_user("pieter", role=Role.SALES)
    lead = submit_lead("kees@bouwbedrijf.nl", WARM_FIELDS, now=THURSDAY).lead
    lead.refresh_from_db()
    assert lead.owner_id is not None and Task.objects.filter(lead=lead).exists()
    new_owner = colleague if lead.owner_id != colleague.pk else seller

    action = reassign_owner(lead, new_owner, by=seller, now=THURSDAY)

    lead.refresh_from_db()
    assert lead.owner_id == new_owner.pk
    assert set(Task.objects.filter(lead=lead).values_list("owner_id", flat=True)) == {
        new_owner.pk
    }
    assert action is not None and action.to_owner_id == new_owner.pk
    assert reassign_owner(lead, new_owner, by=seller, now=THURSDAY) is None


def test_a_correction_is_logged_and_rescored(seller: User) -> None:
    lead = submit_lead("kees@bouwbedrijf.nl", WARM_FIELDS, now=THURSDAY).lead
    lead.refresh_from_db()
    before = lead.score_total
    later = THURSDAY + timedelta(hours=2)

    changed = correct_lead(
        lead,
        {"employees": 2, "budget_euros": None, "company": "Bakker Bouw B.V."},
        by=seller,
        now=later,
    )

    lead.refresh_from_db()
    assert changed == ["budget_euros", "company", "employees"]
    assert (lead.employees, lead.budget_euros) == (2, None)
    assert lead.company is not None and lead.company.name == "Bakker Bouw B.V."
    latest = Score.objects.filter(lead=lead).order_by("-computed_at", "-pk").first()
    assert latest is not None and latest.computed_at == later
    assert lead.score_total != before
    assert SalesAction.objects.get(kind="corrected").detail == (
        "budget_euros, company, employees"
    )


def test_a_correction_that_changes_nothing_writes_nothing(seller: User) -> None:
    lead = submit_lead("kees@bouwbedrijf.nl", WARM_FIELDS, now=THURSDAY).lead
    lead.refresh_from_db()

    assert correct_lead(lead, {"employees": 25}, by=seller, now=THURSDAY) == []
    assert not SalesAction.objects.filter(kind="corrected").exists()
