"""Where a lead is in its life, and what sales reports back about it."""

from __future__ import annotations

from enum import StrEnum

from leadqual.core.errors import InvalidFeedback


class LeadStatus(StrEnum):
    NEW = "new"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    OPPORTUNITY = "opportunity"
    WON = "won"
    LOST = "lost"


class Decision(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class RejectionReason(StrEnum):
    NO_FIT = "no_fit"
    NO_BUDGET = "no_budget"
    NO_NEED = "no_need"
    BAD_TIMING = "bad_timing"
    UNREACHABLE = "unreachable"
    DUPLICATE = "duplicate"
    SPAM = "spam"


class OutcomeKind(StrEnum):
    OPPORTUNITY = "opportunity"
    WON = "won"
    LOST = "lost"


class BantAnswer(StrEnum):
    """A salesperson's answer to one BANT question."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class BantQuestion(StrEnum):
    BUDGET = "budget"
    AUTHORITY = "authority"
    NEED = "need"
    TIMING = "timing"


class TaskKind(StrEnum):
    FIRST_CONTACT = "first_contact"
    FOLLOW_UP = "follow_up"


FINAL_STATUSES = frozenset({LeadStatus.WON, LeadStatus.LOST})


def check_feedback(decision: Decision, reason: RejectionReason | None) -> None:
    """Raise InvalidFeedback unless a rejection has a reason and an acceptance none."""
    reasons = ", ".join(r.value for r in RejectionReason)
    if decision is Decision.REJECTED and reason is None:
        raise InvalidFeedback(
            f"A rejection needs a reason: one of {reasons}.",
            fields={"reason": "required when rejected"},
        )
    if decision is Decision.ACCEPTED and reason is not None:
        raise InvalidFeedback(
            "An accepted lead takes no rejection reason; leave the reason empty.",
            fields={"reason": "only for rejections"},
        )


def status_after_feedback(decision: Decision) -> LeadStatus:
    """The lead status that sales feedback leads to."""
    return LeadStatus.ACCEPTED if decision is Decision.ACCEPTED else LeadStatus.REJECTED


def status_after_outcome(kind: OutcomeKind) -> LeadStatus:
    """The lead status that a recorded outcome leads to."""
    return LeadStatus(kind.value)
