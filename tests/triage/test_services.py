"""Sales feedback and outcomes move a lead through its life."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError

from leadqual.core.errors import InvalidFeedback
from leadqual.core.lifecycle import (
    BantAnswer,
    BantQuestion,
    Decision,
    OutcomeKind,
    RejectionReason,
)
from leadqual.triage.models import Feedback, Task
from leadqual.triage.services import (
    answer_bant,
    record_feedback,
    record_first_contact,
    record_outcome,
)
from tests.factories import LeadFactory, make_user

NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
pytestmark = pytest.mark.django_db


def test_rejecting_a_lead_requires_a_reason() -> None:
    lead = LeadFactory.create()
    with pytest.raises(InvalidFeedback, match="needs a reason"):
        record_feedback(lead, Decision.REJECTED, reason=None, given_by=None, now=NOW)
    assert Feedback.objects.count() == 0


def test_a_rejection_with_a_reason_is_stored_and_sets_the_status() -> None:
    lead = LeadFactory.create()
    seller = make_user("sanne")
    feedback = record_feedback(
        lead,
        Decision.REJECTED,
        reason=RejectionReason.NO_FIT,
        note=" te klein ",
        given_by=seller,
        now=NOW,
    )
    lead.refresh_from_db()
    assert (feedback.reason, feedback.note, feedback.given_by) == (
        "no_fit",
        "te klein",
        seller,
    )
    assert lead.status == "rejected"


def test_the_database_refuses_a_rejection_without_reason_even_past_the_service() -> (
    None
):
    lead = LeadFactory.create()
    with pytest.raises(IntegrityError):
        Feedback.objects.create(lead=lead, decision="rejected", reason="")


def test_a_won_deal_records_its_value_and_closes_the_lead() -> None:
    lead = LeadFactory.create()
    outcome = record_outcome(
        lead, OutcomeKind.WON, value_cents=1_250_000, recorded_by=None, now=NOW
    )
    lead.refresh_from_db()
    assert (outcome.value_cents, lead.status) == (1_250_000, "won")


def test_bant_answers_are_saved_one_by_one() -> None:
    lead = LeadFactory.create()
    answer_bant(lead, BantQuestion.BUDGET, BantAnswer.YES, now=NOW)
    qualification = answer_bant(lead, BantQuestion.NEED, BantAnswer.NO, now=NOW)
    assert (qualification.budget, qualification.need, qualification.timing) == (
        "yes",
        "no",
        "unknown",
    )


def test_first_contact_closes_the_first_contact_task_and_is_kept_once() -> None:
    lead = LeadFactory.create()
    task = Task.objects.create(
        lead=lead, kind="first_contact", due_at=NOW + timedelta(days=1)
    )
    record_first_contact(lead, by=None, now=NOW)
    again = record_first_contact(lead, by=None, now=NOW + timedelta(hours=3))
    task.refresh_from_db()
    assert again.first_contact_at == NOW
    assert (task.done_at, task.closed_reason) == (NOW, "first contact made")


def test_a_rejected_lead_leaves_the_queue() -> None:
    lead = LeadFactory.create()
    task = Task.objects.create(
        lead=lead, kind="first_contact", due_at=NOW + timedelta(days=1)
    )
    record_feedback(
        lead, Decision.REJECTED, reason=RejectionReason.SPAM, given_by=None, now=NOW
    )
    task.refresh_from_db()
    assert (task.done_at, task.closed_reason) == (NOW, "rejected by sales")


def test_an_accepted_lead_keeps_its_open_task() -> None:
    lead = LeadFactory.create()
    task = Task.objects.create(
        lead=lead, kind="first_contact", due_at=NOW + timedelta(days=1)
    )
    record_feedback(lead, Decision.ACCEPTED, reason=None, given_by=None, now=NOW)
    task.refresh_from_db()
    assert task.done_at is None


def test_an_outcome_closes_the_open_tasks() -> None:
    lead = LeadFactory.create()
    task = Task.objects.create(
        lead=lead, kind="follow_up", due_at=NOW + timedelta(days=1)
    )
    record_outcome(lead, OutcomeKind.OPPORTUNITY, recorded_by=None, now=NOW)
    task.refresh_from_db()
    assert task.closed_reason == "outcome: opportunity"
