"""Errors of the predictive library; each adapter translates them once."""

from __future__ import annotations

from leadqual.core.errors import LeadqualError


class PredictiveError(LeadqualError):
    """Base class of the predictive library's errors."""

    code = "predictive_error"


class UnreadableData(PredictiveError):
    """A data file is missing, empty or not a CSV/XLSX table."""

    code = "unreadable_data"


class UnknownColumn(PredictiveError):
    """A column named by the user is not in the data."""

    code = "unknown_column"


class UnusableTarget(PredictiveError):
    """The outcome column cannot be learned from (one class, bad values)."""

    code = "unusable_target"


class TooFewRows(PredictiveError):
    """Too few rows or outcomes to train or evaluate a model."""

    code = "too_few_rows"


class NotALeadqualModel(PredictiveError):
    """A model file was not written by leadqual, or was changed since."""

    code = "not_a_leadqual_model"


class IncompatibleModel(PredictiveError):
    """A model file was written by another, incompatible version of leadqual."""

    code = "incompatible_model"
