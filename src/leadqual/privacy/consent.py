"""Consent records: the history of a lead's consent and lawful basis per source."""

from __future__ import annotations

from datetime import datetime

from leadqual.leads.models import Lead
from leadqual.leads.services import ConsentInput
from leadqual.privacy.models import ConsentRecord, LawfulBasis


def record_consent(
    lead: Lead,
    consent: ConsentInput,
    *,
    source: str,
    now: datetime,
    lawful_basis: LawfulBasis = LawfulBasis.CONSENT,
) -> ConsentRecord | None:
    """Add a consent record when the answer differs from the latest for this source.

    Returns the new record, or None when nothing changed (a repeated form
    submission with the same answer and text version adds no history).
    """
    latest = (
        ConsentRecord.objects.filter(lead=lead, source=source)
        .order_by("-at", "-id")
        .first()
    )
    if (
        latest is not None
        and latest.given == consent.given
        and latest.text_version == consent.text_version
        and latest.lawful_basis == lawful_basis
    ):
        return None
    return ConsentRecord.objects.create(
        lead=lead,
        source=source[:100],
        lawful_basis=lawful_basis,
        text_version=consent.text_version[:50],
        given=consent.given,
        at=consent.given_at or now,
    )
