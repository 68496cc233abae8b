"""One arrival, from every way in: clean -> store -> score, in one transaction.

The API, the importer (and later the form, tracker and webhooks) call these
functions, so a lead or an event is treated the same whichever way it came.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet

from leadqual.core.errors import InvalidEvent, LeadqualError
from leadqual.core.events import EventType, JsonValue
from leadqual.core.hygiene import normalise_email
from leadqual.intake.cleaning import FieldInput, clean_lead_fields
from leadqual.intake.enrichment import enrich_arrival
from leadqual.integrations.outbox import emit
from leadqual.leads.accounts import rescore_account
from leadqual.leads.models import Lead
from leadqual.leads.services import (
    ConsentInput,
    LeadUpsert,
    NewEvent,
    store_events,
    upsert_lead,
)
from leadqual.privacy.consent import record_consent
from leadqual.privacy.suppression import (
    check_not_suppressed,
    normalised_or_none,
    suppressed_emails,
)
from leadqual.scoring.models import ScoringModel
from leadqual.scoring.services import (
    Rescored,
    active_scoring_model,
    rescore_lead,
)
from leadqual.triage.services import TriageResult, triage_if_band_changed

MAX_EVENTS_PER_BATCH = 1000
MAX_EVENT_PROPERTIES_BYTES = 8 * 1024
MAX_EXTERNAL_ID_LENGTH = 200
# Clocks disagree a little; an event further in the future is a client bug.
ALLOWED_CLOCK_SKEW = timedelta(minutes=5)


class InvalidLeadData(LeadqualError):
    code = "invalid_lead"


@dataclass(frozen=True, slots=True)
class LeadArrival:
    lead: Lead
    created: bool
    rescored: Rescored
    triage: TriageResult | None = None


def rescore_and_triage(
    lead: Lead,
    *,
    now: datetime,
    trigger: str,
    model_row: ScoringModel | None = None,
) -> tuple[Rescored, TriageResult | None]:
    """Rescore the lead, and triage it when its band changed, as every arrival does.

    Must run inside a transaction. Returns the score and the triage result
    (None when the band stayed the same).
    """
    rescored = rescore_lead(lead, now=now, trigger=trigger, model_row=model_row)
    return rescored, triage_if_band_changed(lead, rescored, now=now)


def submit_lead(
    email: FieldInput,
    fields: Mapping[str, FieldInput],
    *,
    consent: ConsentInput | None = None,
    now: datetime,
    trigger: str = "lead_saved",
    fill_empty_only: bool = False,
) -> LeadArrival:
    """Create or update a lead by email and rescore it, all or nothing.

    With ``fill_empty_only`` (the public form) an existing lead keeps the
    values it has. Raises InvalidLeadData with one message per bad field
    (nothing stored).
    """
    cleaned = clean_lead_fields(email, fields)
    if cleaned.errors or cleaned.email is None:
        summary = "; ".join(
            f"{name}: {message}" for name, message in cleaned.errors.items()
        )
        raise InvalidLeadData(
            f"The lead was not saved. {summary}", fields=cleaned.errors
        )
    # An erased person is not stored again (privacy.suppression).
    phone = cleaned.values.get("phone")
    check_not_suppressed(cleaned.email, str(phone) if phone else None)
    with transaction.atomic():
        saved: LeadUpsert = upsert_lead(
            cleaned.email,
            cleaned.values,
            consent=consent,
            now=now,
            fill_empty_only=fill_empty_only,
        )
        if consent is not None:
            source = cleaned.values.get("source") or saved.lead.source or trigger
            record_consent(saved.lead, consent, source=str(source), now=now)
        # Enrich, then roll the account up, then score: rules may read both.
        enrich_arrival(saved.lead, now=now)
        if saved.lead.company is not None:
            rescore_account(saved.lead.company, now=now)
        rescored = rescore_lead(saved.lead, now=now, trigger=trigger)
        if saved.created:
            emit("lead.created", saved.lead, {}, now=now)
        triaged = triage_if_band_changed(saved.lead, rescored, now=now)
    return LeadArrival(
        lead=saved.lead, created=saved.created, rescored=rescored, triage=triaged
    )


@dataclass(frozen=True, slots=True)
class RawEvent:
    """An event as a client sent it, before validation."""

    lead_email: object
    type: object
    occurred_at: object
    properties: object = None
    external_id: object = None


@dataclass(frozen=True, slots=True)
class RejectedEvent:
    index: int
    message: str
    field: str


@dataclass
class EventBatchResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[RejectedEvent] = field(default_factory=list)
    rescored: list[tuple[Lead, Rescored]] = field(default_factory=list)


def _parse_occurred_at(value: object, *, now: datetime) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                f'"{value}" is not a date and time. Use ISO 8601, e.g. 2026-11-27T10:15:00+01:00.'
            ) from None
    else:
        raise ValueError(
            "is required: when the event happened, e.g. 2026-11-27T10:15:00+01:00."
        )
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            f'"{value}" has no time zone. Add an offset, '
            "e.g. 2026-11-27T10:15:00+01:00 or ...Z for UTC."
        )
    try:
        # Stored in UTC: PostgreSQL refuses offsets beyond 15:59, and a moment
        # in year 1 or 9999 may not exist in UTC at all.
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(
            f'"{value}" lies outside the years 1 to 9999 in UTC. '
            "Send when the event happened, e.g. 2026-11-27T10:15:00+01:00."
        ) from None
    if moment > now + ALLOWED_CLOCK_SKEW:
        raise ValueError(
            f'"{value}" is in the future. Send events once they have happened.'
        )
    return moment


def _check_properties(value: object) -> Mapping[str, JsonValue]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(
            'must be an object of names and values, e.g. {"url": "/prijzen"}.'
        )
    size = len(json.dumps(value, ensure_ascii=False).encode("utf-8"))
    if size > MAX_EVENT_PROPERTIES_BYTES:
        raise ValueError(
            f"are {size:,} bytes; at most {MAX_EVENT_PROPERTIES_BYTES:,} are allowed."
        )
    return value


def _unstorable_text(text: str) -> str | None:
    """Why ``text`` cannot be stored, or None: a NUL or a lone surrogate."""
    # PostgreSQL refuses NUL; no UTF-8 text (so neither database) holds a
    # lone surrogate, such as JSON's "\ud800" without its pair.
    if "\x00" in text:
        return "contains a NUL character (\\u0000), which cannot be stored; remove it."
    for char in text:
        if "\ud800" <= char <= "\udfff":
            return (
                f"contains a lone surrogate (\\u{ord(char):04x}), half of a character "
                "pair, which cannot be stored; send the whole character or remove it."
            )
    return None


def _validate_event(
    raw: RawEvent, *, leads: Mapping[str, Lead], now: datetime, source: str
) -> NewEvent:
    """A NewEvent, or ValueError carrying (field, message)."""

    def fail(field_name: str, message: str) -> ValueError:
        return ValueError(field_name, message)

    external_id: str | None = None
    if raw.external_id is not None:
        if not isinstance(raw.external_id, (str, int)) or isinstance(
            raw.external_id, bool
        ):
            raise fail("id", "must be a text or a number that identifies the event.")
        external_id = str(raw.external_id).strip() or None
        if external_id and len(external_id) > MAX_EXTERNAL_ID_LENGTH:
            raise fail("id", f"is longer than {MAX_EXTERNAL_ID_LENGTH} characters.")
    for field_name, value in (
        ("id", external_id),
        ("type", raw.type),
        ("lead_email", raw.lead_email),
        ("occurred_at", raw.occurred_at),
    ):
        problem = _unstorable_text(value) if isinstance(value, str) else None
        if problem is not None:
            raise fail(field_name, problem)
    known = ", ".join(event_type.value for event_type in EventType)
    if raw.type is None or raw.type == "":
        raise fail("type", f"is required: what happened, one of {known}.")
    if not isinstance(raw.type, str) or raw.type not in EventType.__members__.values():
        raise fail("type", f'"{raw.type}" is not an event type. Use one of {known}.')
    try:
        occurred_at = _parse_occurred_at(raw.occurred_at, now=now)
    except ValueError as error:
        raise fail("occurred_at", str(error)) from None
    try:
        properties = _check_properties(raw.properties)
    except ValueError as error:
        raise fail("properties", str(error)) from None
    if not isinstance(raw.lead_email, str):
        raise fail(
            "lead_email", "is required: the email of the lead the event belongs to."
        )
    try:
        email = normalise_email(raw.lead_email)
    except LeadqualError as error:
        raise fail("lead_email", error.message) from None
    lead = leads.get(email)
    if lead is None:
        raise fail(
            "lead_email",
            f'no lead has the email "{email}". Create it first with POST /api/v1/leads.',
        )
    return NewEvent(
        lead=lead,
        type=EventType(raw.type),
        occurred_at=occurred_at,
        properties=properties,
        external_id=external_id,
        source=source,
    )


def _emails_of(raws: Sequence[RawEvent]) -> set[str]:
    emails = set()
    for raw in raws:
        if isinstance(raw.lead_email, str):
            try:
                emails.add(normalise_email(raw.lead_email))
            except LeadqualError:
                continue
    return emails


def submit_events(
    raws: Sequence[RawEvent],
    *,
    now: datetime,
    source: str,
    model_row: ScoringModel | None = None,
    visible: QuerySet[Lead] | None = None,
) -> EventBatchResult:
    """Validate each event on its own, store the good ones once, rescore their leads.

    A bad event is reported by its index and never rejects the good ones
    beside it; a replayed external id counts as a duplicate and stores
    nothing. With ``visible`` (the leads the sender may see), a lead outside
    it is rejected exactly as an unknown email. Raises InvalidEvent only for
    a batch that is too large.
    """
    if len(raws) > MAX_EVENTS_PER_BATCH:
        raise InvalidEvent(
            f"A batch holds at most {MAX_EVENTS_PER_BATCH:,} events, this one {len(raws):,}. "
            "Split it into several requests.",
            fields={"events": f"at most {MAX_EVENTS_PER_BATCH} items"},
        )
    result = EventBatchResult()
    leads = {
        lead.email: lead
        for lead in (Lead.objects.all() if visible is None else visible)
        .select_related("company")
        .filter(email__in=_emails_of(raws))
    }
    suppressed = suppressed_emails(_emails_of(raws))
    valid: list[NewEvent] = []
    for index, raw in enumerate(raws):
        if suppressed and normalised_or_none(raw.lead_email) in suppressed:
            continue  # An erased person's events are ignored, not stored.
        try:
            valid.append(_validate_event(raw, leads=leads, now=now, source=source))
        except ValueError as error:
            field_name, message = error.args
            result.rejected.append(
                RejectedEvent(index=index, field=field_name, message=message)
            )
    with transaction.atomic():
        stored = store_events(valid, now=now)
        result.accepted = len(stored.stored)
        result.duplicates = len(stored.duplicate_indexes)
        touched: dict[int, Lead] = {}
        for row in stored.stored:
            touched.setdefault(row.lead_id, row.lead)
        row_model = model_row or (active_scoring_model() if touched else None)
        for lead in touched.values():
            rescored = rescore_lead(lead, now=now, trigger="event", model_row=row_model)
            triage_if_band_changed(lead, rescored, now=now)
            result.rescored.append((lead, rescored))
        companies = {lead.company_id: lead.company for lead in touched.values()}
        for company in companies.values():
            if company is not None:
                rescore_account(company, now=now)
    return result
