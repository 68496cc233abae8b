"""Domain errors. Each adapter (API, web, CLI) translates them once.

Every error has a stable machine ``code`` (used in the API's error shape) and
a message that says what is wrong, where, and what to do.
"""

from __future__ import annotations

from collections.abc import Mapping


class LeadqualError(Exception):
    """Base class of every error leadqual raises on purpose."""

    code = "invalid_request"

    def __init__(self, message: str, *, fields: Mapping[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.fields: dict[str, str] = dict(fields or {})


class InvalidScoringModel(LeadqualError):
    """A scoring model file or definition cannot be used."""

    code = "invalid_scoring_model"


class UnknownRuleField(InvalidScoringModel):
    """A rule refers to a lead field that does not exist."""

    code = "unknown_rule_field"


class OverlappingThresholds(InvalidScoringModel):
    """Band thresholds are not strictly increasing within 0-100."""

    code = "overlapping_thresholds"


class InvalidEmail(LeadqualError):
    """An email address is not syntactically valid.

    ``problem`` names what is wrong and ``facts`` holds the values the
    message quotes, so that a page can say the same in its own language.
    """

    code = "invalid_email"

    def __init__(
        self,
        message: str,
        *,
        problem: str = "",
        facts: Mapping[str, object] | None = None,
    ):
        super().__init__(message)
        self.problem = problem
        self.facts: dict[str, object] = dict(facts or {})


class InvalidEvent(LeadqualError):
    """An event cannot be stored as given."""

    code = "invalid_event"


class LeadNotFound(LeadqualError):
    """No lead matches the given id or email."""

    code = "lead_not_found"


class ScoringModelInUse(LeadqualError):
    """A scoring model version that has produced scores cannot change."""

    code = "scoring_model_in_use"


class DraftScoringModel(LeadqualError):
    """A draft scoring model version was asked to score or to become active
    before a person approved it."""

    code = "draft_scoring_model"


class DraftAlreadyDecided(LeadqualError):
    """A draft scoring model version was approved or rejected already (or is
    no draft): a decision is taken once."""

    code = "draft_already_decided"


class NoActiveScoringModel(LeadqualError):
    """Scoring needs an active scoring model and there is none."""

    code = "no_active_scoring_model"


class InvalidFeedback(LeadqualError):
    """Sales feedback is incomplete or contradicts itself."""

    code = "invalid_feedback"


class ImportFileError(LeadqualError):
    """An import file cannot be read at all (as opposed to single bad rows)."""

    code = "import_file_error"


class LeadIsClosed(LeadqualError):
    """A won or lost lead was given feedback or an outcome without reopening it."""

    code = "lead_is_closed"


class NothingToUndo(LeadqualError):
    """An undo that no longer applies: it was undone, or the lead changed since."""

    code = "nothing_to_undo"


class NotClosed(LeadqualError):
    """Only a won or lost lead can be reopened."""

    code = "not_closed"
