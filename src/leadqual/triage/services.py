"""Sales feedback and outcomes: the only code that records them."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import assert_never

from django.contrib.auth.models import User
from django.db import transaction

from leadqual.accounts.models import OwnerProfile
from leadqual.core.assignment import Assignment, choose_owner
from leadqual.core.bands import Band
from leadqual.core.lifecycle import (
    BantAnswer,
    BantQuestion,
    Decision,
    LeadStatus,
    OutcomeKind,
    RejectionReason,
    TaskKind,
    check_feedback,
    status_after_feedback,
    status_after_outcome,
)
from leadqual.core.scoring import SlaSettings
from leadqual.core.sla import sla_due_at
from leadqual.integrations.outbox import (
    emit,
    emit_band_changed,
    feedback_data,
    outcome_data,
)
from leadqual.leads.models import Lead
from leadqual.scoring.models import BandChange
from leadqual.scoring.services import Rescored, parsed_model
from leadqual.triage.alerts import queue_band_alerts
from leadqual.triage.models import Feedback, Outcome, Qualification, Task
from leadqual.triage.queries import open_tasks_of, owner_states

logger = logging.getLogger(__name__)

# Why a task was closed, as stored in Task.closed_reason.
CLOSED_BY_FIRST_CONTACT = "first contact made"

# Leads in these states have left triage: sales decided, or a deal is open or closed.
_OUT_OF_TRIAGE = frozenset(
    {LeadStatus.REJECTED, LeadStatus.OPPORTUNITY, LeadStatus.WON, LeadStatus.LOST}
)


@dataclass(frozen=True, slots=True)
class TriageResult:
    """What triage did for one band change."""

    band: Band
    task: Task | None = None
    assignment: Assignment | None = None
    closed_tasks: int = 0


def sla_hours_for(band: Band, sla: SlaSettings) -> float | None:
    """The first-contact SLA for a band, in working-day hours; None for cold."""
    match band:
        case Band.HOT:
            return sla.hot_hours
        case Band.WARM:
            return sla.warm_hours
        case Band.COLD:
            return None
        case _:
            assert_never(band)


def _assign_owner(lead: Lead, *, now: datetime) -> Assignment | None:
    if lead.owner_id is not None:
        profile = OwnerProfile.objects.filter(user_id=lead.owner_id).first()
        if lead.owner and lead.owner.is_active and not (profile and profile.is_away):
            return None
    assignment = choose_owner(
        owner_states(), region=lead.region or None, sector=lead.sector or None
    )
    if assignment is None:
        return None
    lead.owner_id = assignment.owner_id
    lead.save(update_fields=["owner"])
    OwnerProfile.objects.update_or_create(
        user_id=assignment.owner_id, defaults={"last_assigned_at": now}
    )
    return assignment


def triage_lead(
    lead: Lead, band: Band, *, sla: SlaSettings, now: datetime
) -> TriageResult:
    """React to a lead's band: owner and SLA task for warm and hot, close tasks for cold.

    A hot or warm lead keeps its owner while that owner is available, and
    otherwise gets one by ``choose_owner``; it gets one open follow-up task
    (an existing task is kept, and brought forward when the lead heats up).
    A lead that cools to cold has its open tasks closed with the reason.
    Leads that sales rejected or that have a deal are left alone. Marks the
    lead's pending band changes handled. Must run inside a transaction.
    """
    BandChange.objects.filter(lead=lead, handled_at__isnull=True).update(handled_at=now)
    if LeadStatus(lead.status) in _OUT_OF_TRIAGE or lead.anonymised_at is not None:
        return TriageResult(band=band)
    hours = sla_hours_for(band, sla)
    if hours is None:
        closed = open_tasks_of(lead.pk).update(
            done_at=now, closed_reason="cooled down to cold"
        )
        return TriageResult(band=band, closed_tasks=closed)
    assignment = _assign_owner(lead, now=now)
    if assignment is not None:
        emit("lead.assigned", lead, {}, now=now)
    due_at = sla_due_at(now, hours)
    task = open_tasks_of(lead.pk).order_by("due_at").first()
    new_task = task is None
    if task is None:
        kind = (
            TaskKind.FOLLOW_UP
            if lead.status == LeadStatus.ACCEPTED
            else TaskKind.FIRST_CONTACT
        )
        task = Task.objects.create(
            lead=lead,
            owner_id=lead.owner_id,
            kind=kind.value,
            due_at=due_at,
            created_at=now,
        )
    elif due_at < task.due_at or task.owner_id != lead.owner_id:
        task.due_at = min(task.due_at, due_at)
        task.owner_id = lead.owner_id
        task.save(update_fields=["due_at", "owner"])
    # Pending alert rows now, in this transaction; sent after commit.
    queue_band_alerts(lead, band, task, new_task=new_task, now=now)
    logger.info(
        "Triaged lead %s as %s: owner %s, due %s",
        lead.pk,
        band,
        lead.owner_id,
        task.due_at,
    )
    return TriageResult(band=band, task=task, assignment=assignment)


def record_feedback(
    lead: Lead,
    decision: Decision,
    *,
    reason: RejectionReason | None,
    note: str = "",
    given_by: User | None,
    now: datetime,
) -> Feedback:
    """Store sales feedback and move the lead to accepted or rejected.

    Raises InvalidFeedback when a rejection has no reason or an acceptance has one.
    """
    check_feedback(decision, reason)
    with transaction.atomic():
        feedback = Feedback.objects.create(
            lead=lead,
            decision=decision.value,
            reason=reason.value if reason else "",
            note=note.strip(),
            given_by=given_by,
            given_at=now,
        )
        lead.status = status_after_feedback(decision).value
        lead.updated_at = now
        lead.save(update_fields=["status", "updated_at"])
        emit("lead.feedback", lead, {"feedback": feedback_data(feedback)}, now=now)
        if decision is Decision.REJECTED:
            # A rejected lead leaves the queue; its history stays.
            open_tasks_of(lead.pk).update(
                done_at=now, closed_reason="rejected by sales"
            )
    return feedback


def record_outcome(
    lead: Lead,
    kind: OutcomeKind,
    *,
    value_cents: int | None = None,
    note: str = "",
    recorded_by: User | None,
    now: datetime,
) -> Outcome:
    """Store an opportunity, win or loss and move the lead's status with it.

    The lead's open tasks are closed: from here the deal is followed up in
    the pipeline, not in the qualification queue.
    """
    with transaction.atomic():
        outcome = Outcome.objects.create(
            lead=lead,
            kind=kind.value,
            value_cents=value_cents,
            note=note.strip(),
            occurred_at=now,
            recorded_by=recorded_by,
        )
        lead.status = status_after_outcome(kind).value
        lead.updated_at = now
        lead.save(update_fields=["status", "updated_at"])
        emit("lead.outcome", lead, {"outcome": outcome_data(outcome)}, now=now)
        open_tasks_of(lead.pk).update(
            done_at=now, closed_reason=f"outcome: {kind.value}"
        )
    return outcome


def answer_bant(
    lead: Lead, question: BantQuestion, answer: BantAnswer, *, now: datetime
) -> Qualification:
    """Save one BANT answer for the lead (the others stay as they are)."""
    with transaction.atomic():
        qualification, _created = (
            Qualification.objects.select_for_update().get_or_create(lead=lead)
        )
        setattr(qualification, question.value, answer.value)
        qualification.updated_at = now
        qualification.save()
    return qualification


def record_first_contact(
    lead: Lead, *, by: User | None, now: datetime
) -> Qualification:
    """Record that sales reached the lead; closes the open first-contact task.

    The first contact is recorded once: a second call keeps the first moment.
    """
    with transaction.atomic():
        qualification, _created = (
            Qualification.objects.select_for_update().get_or_create(lead=lead)
        )
        if qualification.first_contact_at is None:
            qualification.first_contact_at = now
            qualification.first_contact_by = by
            qualification.updated_at = now
            qualification.save()
            open_tasks_of(lead.pk).filter(kind=TaskKind.FIRST_CONTACT.value).update(
                done_at=now, closed_reason=CLOSED_BY_FIRST_CONTACT
            )
    return qualification


def triage_if_band_changed(
    lead: Lead, rescored: Rescored, *, now: datetime
) -> TriageResult | None:
    """Triage the lead under its scoring model's SLA when its band changed, and
    tell the CRM webhooks. Every way a score changes (arrival, event,
    requalification) goes through here.

    Returns None when the band stayed the same. Must run inside a transaction.
    """
    if not rescored.band_changed:
        return None
    sla = parsed_model(rescored.score.scoring_model).sla
    triaged = triage_lead(lead, rescored.band, sla=sla, now=now)
    due_at = triaged.task.due_at if triaged.task is not None else None
    emit_band_changed(
        lead, rescored.previous_band, rescored.band, sla_due_at=due_at, now=now
    )
    return triaged
