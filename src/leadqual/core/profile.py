"""A lead as scoring sees it: the fields rules can test.

``LEAD_FIELDS`` is the vocabulary of fields a rule may name; a scoring model
that names any other field is refused when it is loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from leadqual.core.hygiene import email_domain, is_disposable, is_free_mail

FieldValue = str | int | bool | None


class FieldKind(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    BOOLEAN = "boolean"


class Urgency(StrEnum):
    """The intake form's urgency question: when does the lead want to start."""

    IMMEDIATE = "immediate"
    WITHIN_3_MONTHS = "within_3_months"
    WITHIN_12_MONTHS = "within_12_months"
    EXPLORING = "exploring"


LEAD_FIELDS: Mapping[str, FieldKind] = {
    "sector": FieldKind.TEXT,
    "employees": FieldKind.NUMBER,
    "budget_euros": FieldKind.NUMBER,
    "urgency": FieldKind.TEXT,
    "job_title": FieldKind.TEXT,
    "country": FieldKind.TEXT,
    "region": FieldKind.TEXT,
    "source": FieldKind.TEXT,
    "company_name": FieldKind.TEXT,
    "email_domain": FieldKind.TEXT,
    "email_is_free_mail": FieldKind.BOOLEAN,
    "email_is_disposable": FieldKind.BOOLEAN,
    "has_phone": FieldKind.BOOLEAN,
    "account_score": FieldKind.NUMBER,
    "account_engaged_contacts": FieldKind.NUMBER,
    "ai_probability": FieldKind.NUMBER,
}

# The fields that describe the lead's company as an account (leads.accounts).
ACCOUNT_FIELDS = frozenset({"account_score", "account_engaged_contacts"})


@dataclass(frozen=True, slots=True)
class LeadProfile:
    """The facts about a lead that fit rules can test, as known at scoring time.

    Text values are compared case-insensitively; store them as given.
    """

    email: str
    sector: str | None = None
    employees: int | None = None
    budget_euros: int | None = None
    urgency: str | None = None
    job_title: str | None = None
    country: str | None = None
    region: str | None = None
    source: str | None = None
    company_name: str | None = None
    phone: str | None = None
    # The lead's company as an account: its score and how many of its
    # contacts are engaged (how much of the buying group is active).
    account_score: int | None = None
    account_engaged_contacts: int | None = None
    # The approved predictive model's chance that the lead converts, in whole
    # percent 0-100 (None: no approved model, or not predicted yet).
    ai_probability: int | None = None
    # When the lead arrived (Lead.created_at): inactivity is counted from
    # here when the lead has no later event. None: unknown (old callers).
    arrived_at: datetime | None = None

    def field_values(self) -> dict[str, FieldValue]:
        """Return every field of ``LEAD_FIELDS`` with its value (None if unknown)."""
        domain = email_domain(self.email)
        return {
            "sector": self.sector,
            "employees": self.employees,
            "budget_euros": self.budget_euros,
            "urgency": self.urgency,
            "job_title": self.job_title,
            "country": self.country,
            "region": self.region,
            "source": self.source,
            "company_name": self.company_name,
            "email_domain": domain,
            "email_is_free_mail": is_free_mail(domain),
            "email_is_disposable": is_disposable(domain),
            "has_phone": bool(self.phone),
            "account_score": self.account_score,
            "account_engaged_contacts": self.account_engaged_contacts,
            "ai_probability": self.ai_probability,
        }
