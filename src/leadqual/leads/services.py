"""The only code that creates or changes leads, companies and events."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.db import IntegrityError, transaction

from leadqual.core.events import EventType, JsonValue
from leadqual.core.hygiene import email_domain, is_disposable, is_free_mail
from leadqual.db import bulk_insert, bulk_update
from leadqual.leads.models import Company, Event, Lead

_LEGAL_FORMS = re.compile(
    r"\b(b\.?v\.?|n\.?v\.?|v\.?o\.?f\.?|holding|bv|nv|ltd|gmbh|inc)\b\.?", re.IGNORECASE
)
_NON_WORD = re.compile(r"[^\w]+")


def normalise_company_name(name: str) -> str:
    """Lower case, no legal form, no punctuation: "Bakker ICT B.V." -> "bakker ict"."""
    without_form = _LEGAL_FORMS.sub(" ", name.casefold())
    return _NON_WORD.sub(" ", without_form).strip()


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


class UpdatePolicy(StrEnum):
    """What an arrival may change on a lead that exists already."""

    # Every given field replaces the stored value (API, imports).
    OVERWRITE = "overwrite"
    # Only fields without a value are filled: whoever sends it may not rewrite
    # what the lead (or sales) entered before.
    FILL_EMPTY = "fill_empty"


@dataclass(frozen=True, slots=True)
class LeadInput:
    """Cleaned values for the lead with this normalised email (intake.cleaning)."""

    email: str
    values: Mapping[str, LeadValue]
    consent: ConsentInput | None = None
    # When another system first saw the lead (an import's "created" column).
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class UpsertedLeads:
    """The batch's leads by email, and which of them are new."""

    leads: dict[str, Lead]
    created: frozenset[str]


def _work_domain(email: str) -> str:
    domain = email_domain(email)
    return "" if is_free_mail(domain) or is_disposable(domain) else domain


def _company_key(name: str) -> str:
    return normalise_company_name(name) or name.casefold()


def find_or_create_companies(named: Sequence[tuple[str, str]]) -> dict[str, Company]:
    """The company for each (company name, lead email), created when new, in bulk.

    Matching is by normalised name (``normalise_company_name``). A lead's work
    domain becomes the company's domain when it has none; free-mail and
    disposable domains say nothing about the employer. Returns companies by
    normalised name, in one query plus one write per kind of change.
    """
    wanted: dict[str, tuple[str, str]] = {}
    for name, email in named:
        key = _company_key(name)
        first_name, domain = wanted.get(key, (name, ""))
        wanted[key] = (first_name, domain or _work_domain(email))
    if not wanted:
        return {}
    found: dict[str, Company] = {}
    for company in Company.objects.filter(normalised_name__in=list(wanted)).order_by(
        "id"
    ):
        found.setdefault(company.normalised_name, company)
    new = [
        Company(name=name, normalised_name=key, domain=domain)
        for key, (name, domain) in sorted(wanted.items())
        if key not in found
    ]
    bulk_insert(new)
    found.update({company.normalised_name: company for company in new})
    gained_domain = []
    for key, (_name, domain) in sorted(wanted.items()):
        company = found[key]
        if domain and not company.domain:
            company.domain = domain
            gained_domain.append(company)
    if gained_domain:
        bulk_update(sorted(gained_domain, key=lambda company: company.pk), ["domain"])
    return found


# Every Lead field an arrival may write, for bulk_update.
_ARRIVAL_FIELDS = (
    "first_name",
    "last_name",
    "job_title",
    "phone",
    "phone_country",
    "company",
    "sector",
    "employees",
    "budget_euros",
    "urgency",
    "country",
    "region",
    "source",
    "consent_given",
    "consent_at",
    "consent_text_version",
    "updated_at",
)


def upsert_leads(
    inputs: Sequence[LeadInput],
    *,
    existing: Mapping[str, Lead],
    policy: UpdatePolicy,
    now: datetime,
    new_lead_source: str | None = None,
) -> UpsertedLeads:
    """Create the leads that do not exist yet and update the others, in bulk.

    ``existing`` holds the stored leads of these emails, locked by the caller
    in id order. A field that is absent stays as it is, a None clears it;
    under ``UpdatePolicy.FILL_EMPTY`` an existing lead only gains values for
    fields it has none for, and keeps its consent. A later input with the same
    email updates the earlier one. New leads without a source get
    ``new_lead_source``. Raises IntegrityError when another transaction created
    one of the emails meanwhile (the caller retries and then finds the lead).
    Must run inside a transaction.
    """
    named = [
        (str(value), item.email)
        for item in inputs
        for name, value in item.values.items()
        if name == "company" and value
    ]
    companies = find_or_create_companies(named)
    leads: dict[str, Lead] = dict(existing)
    created: dict[str, Lead] = {}
    touched: dict[str, Lead] = {}
    for item in inputs:
        lead = leads.get(item.email)
        if lead is None:
            lead = Lead(email=item.email, created_at=now)
            if item.created_at is not None and item.created_at < now:
                lead.created_at = item.created_at
            if new_lead_source:
                lead.source = new_lead_source
            leads[item.email] = created[item.email] = lead
        may_overwrite = item.email in created or policy is UpdatePolicy.OVERWRITE
        for name, value in item.values.items():
            if not may_overwrite and _has_value(lead, name):
                continue
            if name == "company":
                lead.company = companies[_company_key(str(value))] if value else None
            elif name in ("employees", "budget_euros"):
                setattr(lead, name, value)
            elif name == "source" and not value and item.email in created:
                continue  # a new lead keeps new_lead_source
            else:
                setattr(lead, name, "" if value is None else value)
        if item.consent is not None and may_overwrite:
            lead.consent_given = item.consent.given
            lead.consent_at = item.consent.given_at or now
            lead.consent_text_version = item.consent.text_version
        lead.updated_at = now
        touched[item.email] = lead
    bulk_insert(sorted(created.values(), key=lambda lead: lead.email))
    updated = sorted(
        (lead for email, lead in touched.items() if email not in created),
        key=lambda lead: lead.pk,
    )
    if updated:
        bulk_update(updated, _ARRIVAL_FIELDS)
    return UpsertedLeads(leads=leads, created=frozenset(created))


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
    stored: list[Event]
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
        for lead_id, source, sender, external_id in Event.objects.filter(
            external_id__in=ids, lead_id__in=lead_ids
        ).values_list("lead_id", "source", "sender", "external_id")
    }
    fresh: list[tuple[int, Event]] = []
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
        row = Event(
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
            bulk_insert([row for _index, row in fresh])
        return StoredEvents(
            stored=[row for _index, row in fresh], duplicate_indexes=duplicates
        )
    except IntegrityError:
        pass
    # A concurrent request stored some of the same external ids between the
    # lookup and the insert: go one by one, each in its own savepoint.
    stored: list[Event] = []
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
