"""Sales feedback and outcomes move a lead through its statuses."""

from __future__ import annotations

import pytest

from leadqual.core.errors import InvalidFeedback
from leadqual.core.lifecycle import (
    FINAL_STATUSES,
    Decision,
    LeadStatus,
    OutcomeKind,
    RejectionReason,
    check_feedback,
    status_after_feedback,
    status_after_outcome,
)


def test_rejecting_a_lead_requires_a_reason() -> None:
    with pytest.raises(InvalidFeedback, match="needs a reason") as caught:
        check_feedback(Decision.REJECTED, None)
    assert "reason" in caught.value.fields


def test_the_missing_reason_message_lists_every_reason() -> None:
    with pytest.raises(InvalidFeedback) as caught:
        check_feedback(Decision.REJECTED, None)
    for reason in RejectionReason:
        assert reason.value in caught.value.message


def test_rejecting_with_a_reason_is_accepted() -> None:
    check_feedback(Decision.REJECTED, RejectionReason.NO_BUDGET)


def test_accepting_a_lead_takes_no_rejection_reason() -> None:
    with pytest.raises(InvalidFeedback, match="no rejection reason") as caught:
        check_feedback(Decision.ACCEPTED, RejectionReason.NO_FIT)
    assert "reason" in caught.value.fields


def test_accepting_without_a_reason_is_accepted() -> None:
    check_feedback(Decision.ACCEPTED, None)


def test_accepted_feedback_makes_the_lead_accepted() -> None:
    assert status_after_feedback(Decision.ACCEPTED) is LeadStatus.ACCEPTED


def test_rejected_feedback_makes_the_lead_rejected() -> None:
    assert status_after_feedback(Decision.REJECTED) is LeadStatus.REJECTED


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        (OutcomeKind.OPPORTUNITY, LeadStatus.OPPORTUNITY),
        (OutcomeKind.WON, LeadStatus.WON),
        (OutcomeKind.LOST, LeadStatus.LOST),
    ],
)
def test_an_outcome_sets_the_matching_status(
    kind: OutcomeKind, status: LeadStatus
) -> None:
    assert status_after_outcome(kind) is status


def test_only_won_and_lost_are_final() -> None:
    assert {LeadStatus.WON, LeadStatus.LOST} == FINAL_STATUSES
