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
from datetime import UTC, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext

from leadqual.core.errors import InvalidEmail
from leadqual.core.hygiene import (
    InvalidPhone,
    MxStatus,
    email_domain,
    normalise_company,
    normalise_email,
    normalise_phone,
    normalise_text,
)
from leadqual.core.profile import Urgency
from leadqual.intake.mx import mx_status
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
    """Normalised lead values; ``errors`` maps field name to message.

    ``warnings`` (field name to message) never stop a lead: for example an
    email domain without a mail server (see ``_check_mx``).
    """

    email: str | None = None
    values: dict[str, CleanValue] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, str] = field(default_factory=dict)


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


_AMOUNT_NOISE = re.compile(r"€|\beur\b|\s", re.IGNORECASE)
# "10.000,-" is Dutch for "10.000 euros, no cents".
_NO_CENTS = re.compile(r"[.,]-{1,2}$")
_PLAIN_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")
_THOUSANDS = re.compile(r"^-?\d{1,3}([.,]\d{3})+$")
_EMPLOYEE_RANGE = re.compile(r"^(\d[\d.,\s]*?)\s*[-\u2013]\s*(\d[\d.,\s]*)$")
_EMPLOYEE_AT_LEAST = re.compile(r"^(\d[\d.,\s]*?)\s*\+$")
_DAY_FIRST_DATE = re.compile(
    r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})"
    r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?$"
)


def parse_decimal(raw: str) -> Decimal:
    """Parse a number written the Dutch or the English way; raise ValueError.

    "1.234,56" and "1,234.56" are 1234.56; "1.234" and "1,234" are 1234 (one
    mark followed by exactly three digits groups thousands); "12,5" is 12.5;
    "€ 10.000,-" is 10000. Spaces and the euro sign are ignored.
    """
    text = _NO_CENTS.sub("", _AMOUNT_NOISE.sub("", raw))
    if "." in text and "," in text:
        # Both marks: the last one separates the decimals.
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
        group_mark = "." if decimal_mark == "," else ","
        text = text.replace(group_mark, "").replace(decimal_mark, ".")
    elif _THOUSANDS.match(text):
        text = text.replace(".", "").replace(",", "")
    else:
        text = text.replace(",", ".")
    if not _PLAIN_DECIMAL.match(text):
        raise ValueError(raw)
    return Decimal(text)


def parse_euros(raw: FieldInput) -> int:
    """An amount in whole euros, cents rounded half up: "1.234,50" -> 1235.

    Raises ValueError for text that is not an amount.
    """
    if isinstance(raw, bool):
        raise ValueError(raw)
    if isinstance(raw, int):
        return raw
    amount = Decimal(str(raw)) if isinstance(raw, float) else parse_decimal(str(raw))
    return _round_half_up(amount, raw)


def _round_half_up(amount: Decimal, raw: FieldInput) -> int:
    try:
        return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    except InvalidOperation:
        # More than 28 digits (Decimal's precision): no budget or head count.
        raise ValueError(raw) from None


def parse_employee_count(raw: FieldInput) -> int:
    """A number of employees; a CRM size range becomes its middle, rounded half up.

    "25" -> 25, "10-49" -> 30, "51-200" -> 126, "10.000+" -> 10000. Raises
    ValueError for anything else, fractions included.
    """
    if isinstance(raw, str):
        text = raw.strip()
        at_least = _EMPLOYEE_AT_LEAST.match(text)
        if at_least:
            return parse_whole_number(at_least.group(1))
        between = _EMPLOYEE_RANGE.match(text)
        if between:
            low = parse_whole_number(between.group(1))
            high = parse_whole_number(between.group(2))
            if low > high:
                raise ValueError(raw)
            return _round_half_up((Decimal(low) + Decimal(high)) / 2, raw)
    return parse_whole_number(raw)


def parse_date_time(raw: str, *, tz: tzinfo) -> datetime:
    """A moment from a CRM export; a value without time zone is read in ``tz``.

    Accepts ISO ("2026-11-27", "2026-11-27 10:15", "2026-11-27T10:15:00Z"),
    day first ("27-11-2026", "27/11/2026 10:15") and, only when the first
    number cannot be a month, month first as US exports write it
    ("11/27/2026 10:15 AM"). Returns the moment in UTC. Raises ValueError with
    a message quoting the value.
    """
    text = raw.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        moment = _parse_day_first(text, raw)
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=tz)
    try:
        # PostgreSQL refuses offsets beyond 15:59, and a moment in year 1 or
        # 9999 may not exist in UTC at all.
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(
            gettext(
                '"%(value)s" lies outside the years 1 to 9999. Use for example '
                "2026-11-27."
            )
            % {"value": raw}
        ) from None


def _parse_day_first(text: str, raw: str) -> datetime:
    found = _DAY_FIRST_DATE.match(text)
    problem = ValueError(
        gettext(
            '"%(value)s" is not a date. Use for example 2026-11-27, 27-11-2026 '
            "or 27/11/2026 10:15."
        )
        % {"value": raw}
    )
    if not found:
        raise problem
    day, month, year = (int(found.group(n)) for n in (1, 2, 3))
    if month > 12 >= day:
        day, month = month, day
    hour = int(found.group(4) or 0)
    minute = int(found.group(5) or 0)
    second = int(found.group(6) or 0)
    meridiem = (found.group(7) or "").casefold()
    if meridiem == "pm" and hour < 12:
        hour += 12
    elif meridiem == "am" and hour == 12:
        hour = 0
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        raise problem from None


def _clean_number(name: str, raw: FieldInput) -> int:
    # Budgets may have cents (rounded); employees may be a CRM size range.
    parse = parse_euros if name == "budget_euros" else parse_employee_count
    try:
        number = parse(raw)
    except ValueError:
        raise ValueError(
            gettext('"%(value)s" is not a whole number. Use digits, for example 10000.')
            % {"value": raw}
        ) from None
    if number < 0 or number > _MAX_NUMBER:
        raise ValueError(
            gettext("%(value)s is out of range: use 0 to %(maximum)s.")
            % {
                "value": number,
                "maximum": number_format(_MAX_NUMBER, force_grouping=True),
            }
        )
    return number


def _clean_urgency(raw: FieldInput) -> str:
    text = str(raw).strip().casefold()
    urgency = URGENCY_SYNONYMS.get(text)
    if urgency is None:
        allowed = ", ".join(u.value for u in Urgency)
        raise ValueError(
            gettext('"%(value)s" is not an urgency. Use one of %(allowed)s.')
            % {"value": raw, "allowed": allowed}
        )
    return urgency.value


def _clean_country(raw: FieldInput) -> str:
    text = str(raw).strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", text):
        raise ValueError(
            gettext('"%(value)s" is not a two-letter country code such as NL or BE.')
            % {"value": raw}
        )
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
    text = (
        normalise_company(str(raw)) if name == "company" else normalise_text(str(raw))
    )
    limit = WRITABLE_FIELDS[name]
    if text is not None and len(text) > limit:
        raise ValueError(
            gettext("is %(length)s characters long; at most %(limit)s are allowed.")
            % {"length": len(text), "limit": limit}
        )
    return text


def clean_lead_fields(email: FieldInput, raw: Mapping[str, FieldInput]) -> CleanedLead:
    """Validate the email and every given field; unknown field names are errors.

    Empty values clear a field (they become None). Never raises for bad
    input: every problem lands in ``errors``.
    """
    cleaned = CleanedLead()
    if email is None or not str(email).strip():
        cleaned.errors["email"] = gettext(
            "is required: every lead needs an email address."
        )
    else:
        try:
            cleaned.email = normalise_email(str(email))
        except InvalidEmail as error:
            cleaned.errors["email"] = _email_message(error)
    for name, value in raw.items():
        if name not in WRITABLE_FIELDS:
            known = ", ".join(["email", *WRITABLE_FIELDS])
            cleaned.errors[name] = gettext(
                '"%(name)s" is not a lead field. Known fields: %(known)s.'
            ) % {"name": name, "known": known}
            continue
        try:
            cleaned.values[name] = _clean_field(name, value)
        except ValueError as error:
            cleaned.errors[name] = str(error)
    _clean_phone(cleaned)
    _check_mx(cleaned)
    return cleaned


def _clean_phone(cleaned: CleanedLead) -> None:
    """Store the phone in E.164 with its country (Lead.phone_country).

    A number without country code is read as one of the lead's country in
    the same submission, else as Dutch.
    """
    phone = cleaned.values.get("phone")
    if "phone" not in cleaned.values or "phone" in cleaned.errors:
        return
    if phone is None:
        cleaned.values["phone_country"] = None
        return
    country = cleaned.values.get("country")
    try:
        number = normalise_phone(
            str(phone), region=country if isinstance(country, str) else None
        )
    except InvalidPhone as error:
        del cleaned.values["phone"]
        cleaned.errors["phone"] = _phone_message(error)
        return
    cleaned.values["phone"] = number.e164
    cleaned.values["phone_country"] = number.country or None


def _email_problems() -> dict[str, str]:
    return {
        "empty": gettext(
            "The email address is empty. Give an address like name@example.nl."
        ),
        "too_long": gettext(
            "The email address is %(length)s characters long; at most %(limit)s "
            "are allowed."
        ),
        "space": gettext(
            '"%(value)s" is not a valid email address: it contains a space.'
        ),
        "no_at": gettext(
            '"%(value)s" is not a valid email address: it needs one "@" between a '
            "name and a domain, like name@example.nl."
        ),
        "bad_local_part": gettext(
            '"%(value)s" is not a valid email address: the part before "@" is not '
            "allowed."
        ),
        "bad_domain": gettext(
            '"%(value)s" is not a valid email address: the domain "%(domain)s" is '
            "not valid."
        ),
        "no_extension": gettext(
            '"%(value)s" is not a valid email address: the domain "%(domain)s" '
            "needs a name and an extension, like example.nl."
        ),
        "bad_extension": gettext(
            '"%(value)s" is not a valid email address: the domain "%(domain)s" has '
            "no valid extension."
        ),
    }


def _email_message(error: InvalidEmail) -> str:
    """The error in the active language (the core writes it in English)."""
    template = _email_problems().get(error.problem)
    return template % error.facts if template else error.message


def _phone_message(error: InvalidPhone) -> str:
    """The error in the active language (the core writes it in English)."""
    problems = {
        "unreadable": gettext('"%(value)s" is not a phone number.'),
        "length": gettext(
            '"%(value)s" is not a phone number: it has too few or too many digits.'
        ),
    }
    template = problems.get(error.problem)
    if template is None:
        return error.message
    hint = gettext(
        "Give digits with the country code, for example +31 6 12345678, or a "
        "number of %(region)s."
    )
    return f"{template % error.facts} {hint % error.facts}"


def _check_mx(cleaned: CleanedLead) -> None:
    """Warn when the email domain has no mail server; off unless LEADQUAL_CHECK_MX.

    Never an error: DNS may be slow or absent, and the lead may still be real.
    """
    if cleaned.email is None or not getattr(settings, "CHECK_MX", False):
        return
    domain = email_domain(cleaned.email)
    status = mx_status(domain, nameservers=settings.MX_NAMESERVERS)
    if status is MxStatus.MISSING:
        cleaned.warnings["email"] = gettext(
            'the domain "%(domain)s" has no mail server; mail to this address '
            "will probably bounce."
        ) % {"domain": domain}
