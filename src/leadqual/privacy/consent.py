"""Consent records: the history of a lead's consent and lawful basis per source."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from leadqual.db import bulk_insert
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


@dataclass(frozen=True, slots=True)
class ConsentToRecord:
    """A lead's answer to the consent question, as one way in received it."""

    lead: Lead
    consent: ConsentInput
    source: str


def record_consents(
    answers: Sequence[ConsentToRecord],
    *,
    now: datetime,
    lawful_basis: LawfulBasis = LawfulBasis.CONSENT,
) -> list[ConsentRecord]:
    """Add a consent record for each answer that differs from the latest one
    for its lead and source, in two queries whatever the batch size.

    A repeated answer (same answer and text version) adds no history; of two
    answers for one lead and source in a batch the later one counts. Returns
    the new records.
    """
    if not answers:
        return []
    latest: dict[tuple[int, str], ConsentRecord] = {}
    for record in ConsentRecord.objects.filter(
        lead_id__in={answer.lead.pk for answer in answers}
    ).order_by("at", "id"):
        latest[(record.lead_id, record.source)] = record
    new: dict[tuple[int, str], ConsentRecord] = {}
    for answer in answers:
        key = (answer.lead.pk, answer.source[:100])
        current = new.get(key) or latest.get(key)
        if (
            current is not None
            and current.given == answer.consent.given
            and current.text_version == answer.consent.text_version[:50]
            and current.lawful_basis == lawful_basis
        ):
            continue
        new[key] = ConsentRecord(
            lead=answer.lead,
            source=answer.source[:100],
            lawful_basis=lawful_basis,
            text_version=answer.consent.text_version[:50],
            given=answer.consent.given,
            at=answer.consent.given_at or now,
        )
    records = list(new.values())
    bulk_insert(records)
    return records
