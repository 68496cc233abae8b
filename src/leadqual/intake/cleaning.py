"""Validate and normalise lead fields at the edge, the same for every way in.

``clean_lead_fields`` takes raw values (strings from a CSV, typed values from
the API) and returns normalised values plus one message per bad field. The
messages say what is wrong and quote the value; the caller adds where (row,
index).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from leadqual.core.errors import InvalidEmail
from leadqual.core.hygiene import normalise_email, normalise_text
from leadqual.core.profile import Urgency
from leadqual.leads.services import LeadValue

# Lead fields a client may write, with their maximum text length.
WRITABLE_FIELDS: Mapping[str, int] = {
    "first_name": 100,
    "last_name": 100,
    "company": 200,
    "job_title": 150,
    "phone": 40,
    "sector": 100,
    "employees": 0,
    "budget_euros": 0,
    "urgency": 0,
    "country": 2,
    "region": 100,
    "source": 100,
}
NUMBER_FIELDS = frozenset({"employees", "budget_euros"})
_MAX_NUMBER = 2_000_000_000  # fits PositiveIntegerField on every database

# Answers people actually type, mapped to the urgency vocabulary.
URGENCY_SYNONYMS: Mapping[str, Urgency] = {
    "immediate": Urgency.IMMEDIATE,
    "now": Urgency.IMMEDIATE,
    "direct": Urgency.IMMEDIATE,
    "nu": Urgency.IMMEDIATE,
    "asap": Urgency.IMMEDIATE,
    "within_3_months": Urgency.WITHIN_3_MONTHS,
    "3 months": Urgency.WITHIN_3_MONTHS,
    "binnen 3 maanden": Urgency.WITHIN_3_MONTHS,
    "quarter": Urgency.WITHIN_3_MONTHS,
    "within_12_months": Urgency.WITHIN_12_MONTHS,
    "12 months": Urgency.WITHIN_12_MONTHS,
    "binnen 12 maanden": Urgency.WITHIN_12_MONTHS,
    "this year": Urgency.WITHIN_12_MONTHS,
    "exploring": Urgency.EXPLORING,
    "orienterend": Urgency.EXPLORING,
    "oriënterend": Urgency.EXPLORING,
    "no plans": Urgency.EXPLORING,
}

_DIGIT_GROUPS = re.compile(r"^\d{1,3}([.,\s]\d{3})+$")

FieldInput = str | int | float | bool | None
CleanValue = LeadValue


@dataclass
class CleanedLead:
    """Normalised lead values; ``errors`` maps field name to message."""

    email: str | None = None
    values: dict[str, CleanValue] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def parse_whole_number(raw: FieldInput) -> int:
    """Parse 25, "25", "1.234", "1,234", "1 234" or "10000.00"; raise ValueError."""
    if isinstance(raw, bool):
        raise ValueError
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if not raw.is_integer():
            raise ValueError
        return int(raw)
    text = str(raw).strip().replace("€", "").replace("\u00a0", " ").strip()
    if _DIGIT_GROUPS.match(text):
        return int(re.sub(r"[.,\s]", "", text))
    for decimal_mark in (".", ","):
        whole, mark, fraction = text.partition(decimal_mark)
        if mark and fraction.strip("0") == "" and whole.isdigit():
            return int(whole)
    return int(text)


def _clean_number(name: str, raw: FieldInput) -> int:
    try:
        number = parse_whole_number(raw)
    except ValueError:
        raise ValueError(
            f'"{raw}" is not a whole number. Use digits, for example 10000.'
        ) from None
    if number < 0 or number > _MAX_NUMBER:
        raise ValueError(f"{number} is out of range: use 0 to {_MAX_NUMBER:,}.")
    return number


def _clean_urgency(raw: FieldInput) -> str:
    text = str(raw).strip().casefold()
    urgency = URGENCY_SYNONYMS.get(text)
    if urgency is None:
        allowed = ", ".join(u.value for u in Urgency)
        raise ValueError(f'"{raw}" is not an urgency. Use one of {allowed}.')
    return urgency.value


def _clean_country(raw: FieldInput) -> str:
    text = str(raw).strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", text):
        raise ValueError(f'"{raw}" is not a two-letter country code such as NL or BE.')
    return text


def _clean_field(name: str, raw: FieldInput) -> CleanValue:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if name in NUMBER_FIELDS:
        return _clean_number(name, raw)
    if name == "urgency":
        return _clean_urgency(raw)
    if name == "country":
        return _clean_country(raw)
    text = normalise_text(str(raw))
    limit = WRITABLE_FIELDS[name]
    if text is not None and len(text) > limit:
        raise ValueError(
            f"is {len(text)} characters long; at most {limit} are allowed."
        )
    return text


def clean_lead_fields(email: FieldInput, raw: Mapping[str, FieldInput]) -> CleanedLead:
    """Validate the email and every given field; unknown field names are errors.

    Empty values clear a field (they become None). Never raises for bad
    input: every problem lands in ``errors``.
    """
    cleaned = CleanedLead()
    if email is None or not str(email).strip():
        cleaned.errors["email"] = "is required: every lead needs an email address."
    else:
        try:
            cleaned.email = normalise_email(str(email))
        except InvalidEmail as error:
            cleaned.errors["email"] = error.message
    for name, value in raw.items():
        if name not in WRITABLE_FIELDS:
            known = ", ".join(["email", *WRITABLE_FIELDS])
            cleaned.errors[name] = (
                f'"{name}" is not a lead field. Known fields: {known}.'
            )
            continue
        try:
            cleaned.values[name] = _clean_field(name, value)
        except ValueError as error:
            cleaned.errors[name] = str(error)
    return cleaned
