"""Where a lead is in its life, and what sales reports back about it."""

from __future__ import annotations

from enum import StrEnum

from leadqual.core.errors import InvalidFeedback, LeadIsClosed


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


class MeddicQuestion(StrEnum):
    """The MEDDIC checklist, an alternative to BANT for larger deals."""

    METRICS = "metrics"
    ECONOMIC_BUYER = "economic_buyer"
    DECISION_CRITERIA = "decision_criteria"
    DECISION_PROCESS = "decision_process"
    IDENTIFY_PAIN = "identify_pain"
    CHAMPION = "champion"


class Framework(StrEnum):
    """Which qualification checklist sales uses (setting LEADQUAL_QUALIFICATION)."""

    BANT = "bant"
    MEDDIC = "meddic"


QualificationQuestion = BantQuestion | MeddicQuestion


class TaskKind(StrEnum):
    FIRST_CONTACT = "first_contact"
    FOLLOW_UP = "follow_up"


class SalesActionKind(StrEnum):
    """What sales did on a lead, as the lead's timeline shows it."""

    BANT_ANSWERED = "bant_answered"
    FIRST_CONTACT = "first_contact"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    OPPORTUNITY = "opportunity"
    WON = "won"
    LOST = "lost"
    REOPENED = "reopened"
    REOPEN_UNDONE = "reopen_undone"
    REASSIGNED = "reassigned"
    CORRECTED = "corrected"


class NoteKind(StrEnum):
    NOTE = "note"
    CALL = "call"


class CallResult(StrEnum):
    """How a logged call went."""

    REACHED = "reached"
    NO_ANSWER = "no_answer"
    VOICEMAIL = "voicemail"


FINAL_STATUSES = frozenset({LeadStatus.WON, LeadStatus.LOST})


def is_closed(status: LeadStatus) -> bool:
    """True for a won or lost lead: only reopening it changes its status."""
    return status in FINAL_STATUSES


def check_open(status: LeadStatus) -> None:
    """Raise LeadIsClosed for a won or lost lead.

    Feedback and new outcomes would silently overwrite a closed deal (a won
    lead flipped to rejected drops out of the won KPI), so they need an
    explicit reopen first.
    """
    if is_closed(status):
        raise LeadIsClosed(
            f'This lead is {status.value}: reopen it first (the "Reopen" button '
            "on the lead page), then record feedback or a new outcome.",
            fields={"status": status.value},
        )


def status_after_reopen(*, had_opportunity: bool) -> LeadStatus:
    """Where a reopened lead goes: back to its open deal, else to accepted."""
    return LeadStatus.OPPORTUNITY if had_opportunity else LeadStatus.ACCEPTED


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


# Sales' rating of lead quality, beside accept or reject: 1 poor to 5 excellent.
LOWEST_RATING = 1
HIGHEST_RATING = 5


def check_rating(rating: int | None) -> None:
    """Raise InvalidFeedback unless ``rating`` is None or a whole number from 1 to 5."""
    if rating is None:
        return
    if isinstance(rating, bool) or not LOWEST_RATING <= rating <= HIGHEST_RATING:
        raise InvalidFeedback(
            f"The rating must be a whole number from {LOWEST_RATING} to "
            f"{HIGHEST_RATING}, got {rating!r}. Leave it out to give no rating.",
            fields={"rating": f"{LOWEST_RATING} to {HIGHEST_RATING}"},
        )


def status_after_feedback(decision: Decision) -> LeadStatus:
    """The lead status that sales feedback leads to."""
    return LeadStatus.ACCEPTED if decision is Decision.ACCEPTED else LeadStatus.REJECTED


def status_after_outcome(kind: OutcomeKind) -> LeadStatus:
    """The lead status that a recorded outcome leads to."""
    return LeadStatus(kind.value)
