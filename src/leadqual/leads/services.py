"""The only code that creates or changes leads, companies and events."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction

from leadqual.core.events import EventType, JsonValue
from leadqual.core.hygiene import email_domain, is_disposable, is_free_mail
from leadqual.leads.models import Company, Lead
from leadqual.leads.models import Event as EventRow

_LEGAL_FORMS = re.compile(
    r"\b(b\.?v\.?|n\.?v\.?|v\.?o\.?f\.?|holding|bv|nv|ltd|gmbh|inc)\b\.?", re.IGNORECASE
)
_NON_WORD = re.compile(r"[^\w]+")


def normalise_company_name(name: str) -> str:
    """Lower case, no legal form, no punctuation: "Bakker ICT B.V." -> "bakker ict"."""
    without_form = _LEGAL_FORMS.sub(" ", name.casefold())
    return _NON_WORD.sub(" ", without_form).strip()


def find_or_create_company(name: str, *, email: str) -> Company:
    """The company with this (normalised) name, created when new.

    The email's domain becomes the company domain unless it is a free-mail or
    disposable domain, which says nothing about the employer.
    """
    normalised = normalise_company_name(name) or name.casefold()
    company = Company.objects.filter(normalised_name=normalised).order_by("id").first()
    domain = email_domain(email)
    work_domain = "" if is_free_mail(domain) or is_disposable(domain) else domain
    if company is None:
        return Company.objects.create(
            name=name, normalised_name=normalised, domain=work_domain
        )
    if not company.domain and work_domain:
        company.domain = work_domain
        company.save(update_fields=["domain"])
    return company


LeadValue = str | int | None


@dataclass(frozen=True, slots=True)
class ConsentInput:
    """The lead's answer to the consent question, with the text version they saw."""

    given: bool
    text_version: str
    given_at: datetime | None = None


def _has_value(lead: Lead, name: str) -> bool:
    if name == "company":
        return lead.company_id is not None
    return getattr(lead, name) not in (None, "")


@dataclass(frozen=True, slots=True)
class LeadUpsert:
    lead: Lead
    created: bool


def upsert_lead(
    email: str,
    values: Mapping[str, LeadValue],
    *,
    consent: ConsentInput | None = None,
    now: datetime,
    fill_empty_only: bool = False,
) -> LeadUpsert:
    """Create the lead with this normalised email, or update the fields given.

    ``values`` holds cleaned values (see intake.cleaning); a field that is
    absent stays as it is, a None clears it. With ``fill_empty_only`` an
    existing lead only gains values for fields it has none for: a public form
    must not let anyone who knows an email address rewrite that lead.
    Must run inside a transaction.
    """
    lead = Lead.objects.select_for_update().filter(email=email).first()
    created = lead is None
    if lead is None:
        lead = Lead(email=email, created_at=now)
    for name, value in values.items():
        if fill_empty_only and not created and _has_value(lead, name):
            continue
        if name == "company":
            lead.company = (
                find_or_create_company(str(value), email=email) if value else None
            )
        elif name in ("employees", "budget_euros"):
            setattr(lead, name, value)
        else:
            setattr(lead, name, "" if value is None else value)
    if consent is not None:
        lead.consent_given = consent.given
        lead.consent_at = consent.given_at or now
        lead.consent_text_version = consent.text_version
    lead.updated_at = now
    if created:
        try:
            with transaction.atomic():
                lead.save()
        except IntegrityError:
            # Another request created the same email a moment ago: update that one.
            return upsert_lead(
                email, values, consent=consent, now=now, fill_empty_only=fill_empty_only
            )
    else:
        lead.save()
    return LeadUpsert(lead=lead, created=created)


@dataclass(frozen=True, slots=True)
class NewEvent:
    """A validated event for an existing lead."""

    lead: Lead
    type: EventType
    occurred_at: datetime
    properties: Mapping[str, JsonValue]
    external_id: str | None
    source: str
    # See Event.sender: who numbered external_id, when the source does not say.
    sender: str = ""


# (lead id, source, sender, external id): what makes an event a replay.
EventKey = tuple[int, str, str, str]


@dataclass(frozen=True, slots=True)
class StoredEvents:
    stored: list[EventRow]
    duplicate_indexes: list[int]


def store_events(events: Sequence[NewEvent], *, now: datetime) -> StoredEvents:
    """Store events, skipping any whose external id the same lead already has
    from the same source and sender (or that repeats within the batch).

    Returns the stored rows and the positions of the skipped duplicates. Must
    run inside a transaction.
    """

    def key(lead_id: int, source: str, sender: str, external_id: str) -> EventKey:
        return (lead_id, source, sender, external_id)

    ids = {event.external_id for event in events if event.external_id}
    lead_ids = {event.lead.pk for event in events if event.external_id}
    known: set[EventKey] = {
        key(lead_id, source, sender, external_id or "")
        for lead_id, source, sender, external_id in EventRow.objects.filter(
            external_id__in=ids, lead_id__in=lead_ids
        ).values_list("lead_id", "source", "sender", "external_id")
    }
    fresh: list[tuple[int, EventRow]] = []
    duplicates: list[int] = []
    for index, event in enumerate(events):
        if event.external_id:
            event_key = key(
                event.lead.pk, event.source, event.sender, event.external_id
            )
            # Rows stored before events had a sender match any sender.
            legacy_key = key(event.lead.pk, event.source, "", event.external_id)
            if event_key in known or legacy_key in known:
                duplicates.append(index)
                continue
            known.add(event_key)
        row = EventRow(
            lead=event.lead,
            type=event.type.value,
            occurred_at=event.occurred_at,
            received_at=now,
            properties=dict(event.properties),
            source=event.source,
            sender=event.sender,
            external_id=event.external_id or None,
        )
        fresh.append((index, row))
    try:
        with transaction.atomic():
            EventRow.objects.bulk_create([row for _index, row in fresh])
        return StoredEvents(
            stored=[row for _index, row in fresh], duplicate_indexes=duplicates
        )
    except IntegrityError:
        pass
    # A concurrent request stored some of the same external ids between the
    # lookup and the insert: go one by one, each in its own savepoint.
    stored: list[EventRow] = []
    for index, row in fresh:
        row.pk = None
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError:
            duplicates.append(index)
            continue
        stored.append(row)
    return StoredEvents(stored=stored, duplicate_indexes=sorted(duplicates))


def mark_unsubscribed(lead: Lead, at: datetime) -> bool:
    """Record that the lead unsubscribed from email at ``at``.

    The first moment is kept: a later or replayed unsubscribe changes nothing.
    Returns True when the lead changed. Must run inside a transaction.
    """
    changed = Lead.objects.filter(pk=lead.pk, unsubscribed_at__isnull=True).update(
        unsubscribed_at=at
    )
    if changed:
        lead.unsubscribed_at = at
    return bool(changed)


def mark_hard_bounced(lead: Lead, at: datetime) -> bool:
    """Record that email to the lead bounced permanently (hard) at ``at``.

    The first moment is kept: a later or replayed bounce changes nothing.
    Returns True when the lead changed. Must run inside a transaction.
    """
    changed = Lead.objects.filter(pk=lead.pk, hard_bounced_at__isnull=True).update(
        hard_bounced_at=at
    )
    if changed:
        lead.hard_bounced_at = at
    return bool(changed)
