"""Sales feedback and outcomes: the only code that records them."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction

from leadqual.core.lifecycle import (
    Decision,
    OutcomeKind,
    RejectionReason,
    check_feedback,
    status_after_feedback,
    status_after_outcome,
)
from leadqual.leads.models import Lead
from leadqual.triage.models import Feedback, Outcome


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
    """Store an opportunity, win or loss and move the lead's status with it."""
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
    return outcome
