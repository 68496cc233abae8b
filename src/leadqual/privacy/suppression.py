"""Suppressions: erased people whose email or phone must not be stored again.

The intake pipeline and the importer ask ``is_suppressed`` before they store
a lead; only keyed hashes are compared, so the plain values are never kept.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Q

from leadqual.core.errors import LeadqualError
from leadqual.privacy.models import Suppression


class SuppressedContact(LeadqualError):
    """The person asked to be erased; their data is not stored again."""

    code = "suppressed_contact"


SUPPRESSED_MESSAGE = (
    "This person asked to be erased, so leadqual does not store their data "
    "again. Remove them from the source (CRM, mailing list or import file)."
)


def contact_hash(value: str) -> str:
    """HMAC-SHA256 of a normalised email or E.164 phone, keyed with SECRET_KEY."""
    key = settings.SECRET_KEY.encode("utf-8")
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def is_suppressed(email: str | None, phone: str | None = None) -> bool:
    """True when the normalised ``email`` or E.164 ``phone`` belongs to an erased person."""
    condition = Q()
    if email:
        condition |= Q(email_hash=contact_hash(email))
    if phone:
        condition |= Q(phone_hash=contact_hash(phone))
    if not condition:
        return False
    return Suppression.objects.filter(condition).exists()


@dataclass(frozen=True, slots=True)
class SuppressionList:
    """Every suppression's hashes, loaded once, for checking many rows (imports)."""

    email_hashes: frozenset[str]
    phone_hashes: frozenset[str]

    @classmethod
    def load(cls) -> SuppressionList:
        rows = Suppression.objects.values_list("email_hash", "phone_hash")
        emails = {email for email, _phone in rows if email}
        phones = {phone for _email, phone in rows if phone}
        return cls(frozenset(emails), frozenset(phones))

    def contains(self, email: str | None, phone: str | None = None) -> bool:
        """True when the email or phone belongs to an erased person (no query)."""
        return bool(
            (email and contact_hash(email) in self.email_hashes)
            or (phone and contact_hash(phone) in self.phone_hashes)
        )


def check_not_suppressed(email: str | None, phone: str | None = None) -> None:
    """Raise SuppressedContact when the email or phone belongs to an erased person."""
    if is_suppressed(email, phone):
        raise SuppressedContact(
            SUPPRESSED_MESSAGE, fields={"email": SUPPRESSED_MESSAGE}
        )


def suppress(email: str, phone: str, *, reason: str, now: datetime) -> Suppression:
    """Store the suppression of a normalised email (and E.164 phone, when known).

    Returns the existing row when the email is suppressed already.
    """
    suppression, _created = Suppression.objects.get_or_create(
        email_hash=contact_hash(email),
        defaults={
            "phone_hash": contact_hash(phone) if phone else "",
            "reason": reason[:200],
            "created_at": now,
        },
    )
    return suppression


def suppressed_contacts(contacts: Iterable[tuple[str, str | None]]) -> set[str]:
    """Which of these (normalised email, E.164 phone or None) belong to erased
    people, as the set of their emails; one query whatever the batch size."""
    pairs = list(contacts)
    email_hashes = {contact_hash(email): email for email, _phone in pairs}
    phone_hashes: dict[str, set[str]] = {}
    for email, phone in pairs:
        if phone:
            phone_hashes.setdefault(contact_hash(phone), set()).add(email)
    if not email_hashes:
        return set()
    rows = Suppression.objects.filter(
        Q(email_hash__in=list(email_hashes)) | Q(phone_hash__in=list(phone_hashes))
    ).values_list("email_hash", "phone_hash")
    found: set[str] = set()
    for email_hash, phone_hash in rows:
        if email_hash in email_hashes:
            found.add(email_hashes[email_hash])
        found.update(phone_hashes.get(phone_hash, ()))
    return found
