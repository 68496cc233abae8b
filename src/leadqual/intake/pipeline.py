"""Every arrival, from every way in: clean -> store -> score -> triage, per batch.

``receive`` is the one write path. The API, the form, the tracker, the mail
webhooks, the importer and the demo generator all hand it a batch of
``Arrivals`` (leads and/or events, with their source), cleaned and validated
at their own edge. A batch of one is the real-time case; a batch of 500 is an
import chunk; the result per lead is the same. In one transaction it:

1. drops erased people (privacy.suppression) and locks the batch's existing
   leads in id order, so two batches never wait on each other in a circle;
2. creates and updates the leads in bulk (leads.services.upsert_leads) and
   records their consent;
3. enriches them from the database (an HTTP enrichment API is asked after
   the commit, never while the rows are locked);
4. stores the events in bulk, each external id once per lead and sender,
   and records an unsubscribe or a hard bounce on its lead (whichever way
   it came in: the API, a mail tool's webhook, the demo);
5. rescores the touched leads and rolls their companies up into account
   scores, once per company (scoring.services.rescore_with_accounts);
6. runs the after-rescore step on the band changes
   (triage.services.triage_band_changes): owner, SLA task, alerts, webhooks,
   all sent after the commit.

A lock conflict with a concurrent batch ("database is locked" on SQLite, a
deadlock on PostgreSQL, the same new email created twice) rolls the batch
back and runs it again, a bounded number of times: contention is never an
error for the client.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import QuerySet

from leadqual.core.errors import InvalidEvent, LeadqualError
from leadqual.core.events import EventType, JsonValue
from leadqual.core.hygiene import normalise_email
from leadqual.core.scoring import ScoreTrigger
from leadqual.intake.cleaning import CleanedLead, FieldInput, clean_lead_fields
from leadqual.intake.enrichment import (
    enrich_arrivals,
    is_looked_up_over_http,
    provider_from_settings,
)
from leadqual.intake.tasks import enrich_leads_over_http
from leadqual.integrations.outbox import Outgoing, emit_many
from leadqual.leads.duplicates import refresh_duplicate_candidates
from leadqual.leads.models import Event, Lead
from leadqual.leads.services import (
    ConsentInput,
    LeadInput,
    NewEvent,
    UpdatePolicy,
    mark_hard_bounced,
    mark_unsubscribed,
    store_events,
    upsert_leads,
)
from leadqual.modelling.services import predict_arrivals
from leadqual.privacy.consent import ConsentToRecord, record_consents
from leadqual.privacy.suppression import (
    check_not_suppressed,
    suppressed_contacts,
)
from leadqual.scoring.models import ScoringModelVersion
from leadqual.scoring.services import (
    Rescored,
    active_scoring_model,
    rescore_with_accounts,
)
from leadqual.triage.kpi_facts import refresh_kpi_facts
from leadqual.triage.services import TriageResult, triage_band_changes

logger = logging.getLogger(__name__)

MAX_EVENTS_PER_BATCH = 1000
MAX_EVENT_PROPERTIES_BYTES = 8 * 1024
MAX_EXTERNAL_ID_LENGTH = 200
# Clocks disagree a little; an event further in the future is a client bug.
ALLOWED_CLOCK_SKEW = timedelta(minutes=5)
# How often a batch that lost a lock conflict runs again before it gives up,
# and the longest pause between tries (with jitter, so two batches that
# collided do not collide again).
LOCK_CONFLICT_ATTEMPTS = 8
LOCK_CONFLICT_MAX_PAUSE_SECONDS = 0.5
# SQLite lets one transaction write at a time, and a waiting one polls until
# its busy timeout, unfairly: under load a batch can lose to newcomers past
# all its tries (8 clients posting 1,000-event batches got 500s). The threads
# of one process take turns here instead, without a time limit; only other
# processes (a worker, a command) still meet the busy timeout. Reentrant: a
# retried unit of work may call another.
_SQLITE_WRITER = threading.RLock()


class InvalidLeadData(LeadqualError):
    code = "invalid_lead"


# --- the batch -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventInput:
    """A validated event for the lead with this normalised email."""

    email: str
    type: EventType
    occurred_at: datetime
    properties: Mapping[str, JsonValue] = field(default_factory=dict)
    external_id: str | None = None


@dataclass(frozen=True, slots=True)
class Arrivals:
    """One batch from one way in: leads to create or update, events to store.

    ``source`` is where they came from (Event.source and the consent record's
    source); ``sender`` who numbered the events' external ids when the source
    does not say (Event.sender: the API token). Events may belong to leads of
    the same batch.
    """

    source: str
    trigger: ScoreTrigger
    leads: Sequence[LeadInput] = ()
    events: Sequence[EventInput] = ()
    sender: str = ""
    policy: UpdatePolicy = UpdatePolicy.OVERWRITE
    # The Lead.source of new leads that do not name one ("import", "form").
    new_lead_source: str | None = None


@dataclass(frozen=True, slots=True)
class LeadOutcome:
    """What the batch did to one lead."""

    lead: Lead
    created: bool
    rescored: Rescored
    triage: TriageResult | None


@dataclass
class Received:
    """What ``receive`` did, per lead and per event (indexes into the batch)."""

    leads: dict[str, LeadOutcome] = field(default_factory=dict)
    stored_events: list[Event] = field(default_factory=list)
    duplicate_events: list[int] = field(default_factory=list)
    # Events of a lead that neither exists nor arrives in the batch.
    events_without_lead: list[int] = field(default_factory=list)
    # Leads and events of erased people: never stored (privacy.suppression).
    suppressed_leads: list[int] = field(default_factory=list)
    suppressed_events: list[int] = field(default_factory=list)
    # Ids of the leads this batch marked unsubscribed or hard bounced.
    unsubscribed: list[int] = field(default_factory=list)
    hard_bounced: list[int] = field(default_factory=list)


T = TypeVar("T")


def _is_lock_conflict(error: Exception) -> bool:
    """True for an error that another transaction's locks caused, not this batch."""
    if isinstance(error, IntegrityError):
        # Two batches created the same new email: the retry finds the lead.
        return "email" in str(error).lower()
    cause = error.__cause__
    name = type(cause).__name__ if cause is not None else ""
    text = str(error).lower()
    return (
        name in {"DeadlockDetected", "SerializationFailure", "LockNotAvailable"}
        or "database is locked" in text
        or "database table is locked" in text
        or "deadlock detected" in text
    )


def run_with_retry(work: Callable[[], T], *, what: str) -> T:
    """Run ``work`` (one transaction) again when it loses a lock conflict.

    Inside an outer transaction nothing can be retried (the outer one is
    already broken), so the error is raised as it is.
    """
    for attempt in range(1, LOCK_CONFLICT_ATTEMPTS + 1):
        try:
            if connection.vendor == "sqlite" and not connection.in_atomic_block:
                with _SQLITE_WRITER:
                    return work()
            return work()
        except (OperationalError, IntegrityError) as error:
            if (
                connection.in_atomic_block
                or not _is_lock_conflict(error)
                or attempt == LOCK_CONFLICT_ATTEMPTS
            ):
                raise
            pause = min(LOCK_CONFLICT_MAX_PAUSE_SECONDS, 0.02 * 2**attempt)
            logger.info(
                "%s lost a lock conflict (try %s of %s), trying again: %s",
                what,
                attempt,
                LOCK_CONFLICT_ATTEMPTS,
                type(error.__cause__ or error).__name__,
            )
            time.sleep(pause * random.uniform(0.5, 1.0))
    raise AssertionError("unreachable: the last attempt returns or raises")


def receive(
    arrivals: Arrivals,
    *,
    now: datetime,
    scoring_model: ScoringModelVersion | None = None,
) -> Received:
    """Store a batch of arrivals and score, triage and tell others about it.

    All or nothing, in one transaction (run again on a lock conflict, see
    ``run_with_retry``). Erased people's leads and events are dropped, events
    of unknown leads are reported, replayed events are counted as duplicates.
    Returns what happened per lead (by email) and per event index.
    """
    return run_with_retry(
        lambda: _receive(arrivals, now=now, scoring_model=scoring_model),
        what=f"A batch of {len(arrivals.leads)} leads and {len(arrivals.events)} events",
    )


def _receive(
    arrivals: Arrivals, *, now: datetime, scoring_model: ScoringModelVersion | None
) -> Received:
    received = Received()
    suppressed = suppressed_contacts(
        [
            (item.email, str(item.values.get("phone") or "") or None)
            for item in arrivals.leads
        ]
        + [(event.email, None) for event in arrivals.events]
    )
    lead_inputs = []
    for index, item in enumerate(arrivals.leads):
        if item.email in suppressed:
            received.suppressed_leads.append(index)
        else:
            lead_inputs.append(item)
    emails = {item.email for item in lead_inputs}
    emails.update(
        event.email for event in arrivals.events if event.email not in suppressed
    )
    with transaction.atomic():
        existing = {
            lead.email: lead
            # of=("self",): PostgreSQL cannot lock the nullable side of the join.
            for lead in Lead.objects.select_for_update(of=("self",))
            .select_related("company", "owner")
            .filter(email__in=sorted(emails))
            .order_by("pk")
        }
        upserted = upsert_leads(
            lead_inputs,
            existing=existing,
            policy=arrivals.policy,
            now=now,
            new_lead_source=arrivals.new_lead_source,
        )
        leads = upserted.leads
        record_consents(
            [
                # Consent is recorded per source: where the lead came from.
                ConsentToRecord(
                    leads[item.email],
                    item.consent,
                    str(leads[item.email].source or arrivals.source),
                )
                for item in lead_inputs
                if item.consent is not None
                and (
                    item.email in upserted.created
                    or arrivals.policy is UpdatePolicy.OVERWRITE
                )
            ],
            now=now,
        )
        arrived = sorted(
            {leads[item.email].pk: leads[item.email] for item in lead_inputs}.values(),
            key=lambda lead: lead.pk,
        )
        enrich_arrivals(arrived, now=now)

        new_events: list[NewEvent] = []
        positions: list[int] = []
        for index, event in enumerate(arrivals.events):
            if event.email in suppressed:
                received.suppressed_events.append(index)
                continue
            lead = leads.get(event.email)
            if lead is None:
                received.events_without_lead.append(index)
                continue
            new_events.append(
                NewEvent(
                    lead=lead,
                    type=event.type,
                    occurred_at=event.occurred_at,
                    properties=event.properties,
                    external_id=event.external_id,
                    source=arrivals.source,
                    sender=arrivals.sender,
                )
            )
            positions.append(index)
        stored = store_events(new_events, now=now)
        received.stored_events = stored.stored
        received.duplicate_events = [positions[i] for i in stored.duplicate_indexes]
        received.unsubscribed, received.hard_bounced = record_contactability(
            stored.stored
        )

        touched = {lead.pk: lead for lead in arrived}
        touched.update({row.lead_id: row.lead for row in stored.stored})
        ordered = [touched[pk] for pk in sorted(touched)]
        version = scoring_model or active_scoring_model()
        # The approved predictive model's chance is one more fact of the lead,
        # read by the ai group's rules: set before scoring, like any field.
        predict_arrivals(ordered, scoring_model=version, now=now)
        rescored = rescore_with_accounts(
            ordered, now=now, trigger=arrivals.trigger, scoring_model=version
        )
        emit_many(
            [
                Outgoing("lead.created", leads[email])
                for email in sorted(upserted.created)
            ],
            now=now,
        )
        triaged = triage_band_changes(
            [(lead, rescored[lead.pk]) for lead in ordered], now=now
        )
        # An arrival may change a lead's source without changing its score;
        # triage refreshed the KPI facts of the others.
        refresh_kpi_facts(lead.pk for lead in arrived if not rescored[lead.pk].changed)
        for lead in ordered:
            received.leads[lead.email] = LeadOutcome(
                lead=lead,
                created=lead.email in upserted.created,
                rescored=rescored[lead.pk],
                triage=triaged.get(lead.pk),
            )
        # Last in the transaction: on PostgreSQL it waits for other batches
        # with leads of the same company or phone (leads.duplicates).
        refresh_duplicate_candidates([lead.pk for lead in arrived], now=now)
        schedule_http_enrichment([lead.pk for lead in arrived])
    return received


def schedule_http_enrichment(lead_ids: Sequence[int]) -> None:
    """After the commit, enrich these leads from the HTTP API, when one is set."""
    provider = provider_from_settings()
    if not lead_ids or provider is None or not is_looked_up_over_http(provider):
        return
    ids = sorted(lead_ids)

    def enqueue() -> None:
        enrich_leads_over_http(ids)

    transaction.on_commit(enqueue, robust=True)


def is_hard_bounce(event_type: str, properties: Mapping[str, object]) -> bool:
    """True for a bounce event whose ``kind`` property says it was permanent."""
    return event_type == EventType.BOUNCE and properties.get("kind") == "hard"


def record_contactability(events: Sequence[Event]) -> tuple[list[int], list[int]]:
    """Mark the leads of stored unsubscribe and hard-bounce events, at their moment.

    The same for every way in: an unsubscribe sent to /api/v1/events marks
    the lead as one from a mail tool's webhook does. A lead keeps its first
    moment (leads.services.mark_unsubscribed). Returns the ids of the leads
    newly marked unsubscribed and hard bounced. Must run inside a transaction.
    """
    unsubscribes: dict[int, tuple[Lead, datetime]] = {}
    bounces: dict[int, tuple[Lead, datetime]] = {}
    for row in events:
        if row.type == EventType.UNSUBSCRIBE:
            found = unsubscribes
        elif is_hard_bounce(row.type, row.properties):
            found = bounces
        else:
            continue
        earlier = found.get(row.lead_id)
        if earlier is None or row.occurred_at < earlier[1]:
            found[row.lead_id] = (row.lead, row.occurred_at)
    unsubscribed = [
        pk
        for pk, (lead, at) in sorted(unsubscribes.items())
        if mark_unsubscribed(lead, at)
    ]
    hard_bounced = [
        pk for pk, (lead, at) in sorted(bounces.items()) if mark_hard_bounced(lead, at)
    ]
    return unsubscribed, hard_bounced


# --- one lead, from the API, the form and the demo -------------------------------


@dataclass(frozen=True, slots=True)
class LeadArrival:
    lead: Lead
    created: bool
    rescored: Rescored
    triage: TriageResult | None = None


def check_lead_input(
    email: FieldInput, fields: Mapping[str, FieldInput]
) -> CleanedLead:
    """The cleaned lead fields, checked as ``submit_lead`` checks them, storing nothing.

    Raises InvalidLeadData with one message per bad field, and
    SuppressedContact for a person who asked to be erased.
    """
    cleaned = clean_lead_fields(email, fields)
    if cleaned.errors or cleaned.email is None:
        summary = "; ".join(
            f"{name}: {message}" for name, message in cleaned.errors.items()
        )
        raise InvalidLeadData(
            f"The lead was not saved. {summary}", fields=cleaned.errors
        )
    phone = cleaned.values.get("phone")
    # An erased person is not stored again, and the caller says so.
    check_not_suppressed(cleaned.email, str(phone) if phone else None)
    return cleaned


def submit_lead(
    email: FieldInput,
    fields: Mapping[str, FieldInput],
    *,
    consent: ConsentInput | None = None,
    now: datetime,
    source: str = "api",
    trigger: ScoreTrigger = ScoreTrigger.LEAD_SAVED,
    policy: UpdatePolicy = UpdatePolicy.OVERWRITE,
    events: Sequence[EventInput] = (),
) -> LeadArrival:
    """Clean, create or update one lead by email and rescore it, all or nothing.

    ``receive`` with a batch of one lead (and its own events, such as the
    form's submission). Raises InvalidLeadData with one message per bad field
    (nothing stored) and SuppressedContact for an erased person.
    """
    cleaned = check_lead_input(email, fields)
    assert cleaned.email is not None, "check_lead_input raises without an email"
    received = receive(
        Arrivals(
            source=source,
            trigger=trigger,
            leads=[LeadInput(cleaned.email, cleaned.values, consent=consent)],
            events=events,
            policy=policy,
        ),
        now=now,
    )
    outcome = received.leads[cleaned.email]
    return LeadArrival(
        lead=outcome.lead,
        created=outcome.created,
        rescored=outcome.rescored,
        triage=outcome.triage,
    )


# --- events as clients send them ---------------------------------------------------


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
    # Leads the batch marked unsubscribed and hard bounced (Received).
    unsubscribed: int = 0
    hard_bounced: int = 0


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


def _validate_event(raw: RawEvent, *, now: datetime) -> EventInput:
    """The event checked field by field, or ValueError carrying (field, message).

    Whether its lead exists is for ``receive`` to say: the lead may arrive in
    the same batch.
    """

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
    return EventInput(
        email=email,
        type=EventType(raw.type),
        occurred_at=occurred_at,
        properties=properties,
        external_id=external_id,
    )


def no_lead_message(email: str) -> str:
    """Why an event of an unknown lead was refused, and what to do."""
    return f'no lead has the email "{email}". Create it first with POST /api/v1/leads.'


def submit_events(
    raws: Sequence[RawEvent],
    *,
    now: datetime,
    source: str,
    sender: str = "",
    trigger: ScoreTrigger = ScoreTrigger.EVENT,
    scoring_model: ScoringModelVersion | None = None,
    visible: QuerySet[Lead] | None = None,
) -> EventBatchResult:
    """Validate each event on its own, store the good ones once, rescore their leads.

    A bad event is reported by its index and never rejects the good ones
    beside it; an external id the lead already has from this source and
    ``sender`` (Event.sender) counts as a duplicate and stores nothing; an
    erased person's events are dropped without a word. With ``visible`` (the
    leads the sender may see), a lead outside it is rejected exactly as an
    unknown email. Raises InvalidEvent only for a batch that is too large.
    """
    if len(raws) > MAX_EVENTS_PER_BATCH:
        raise InvalidEvent(
            f"A batch holds at most {MAX_EVENTS_PER_BATCH:,} events, this one {len(raws):,}. "
            "Split it into several requests.",
            fields={"events": f"at most {MAX_EVENTS_PER_BATCH} items"},
        )
    result = EventBatchResult()
    valid: list[EventInput] = []
    positions: list[int] = []
    for index, raw in enumerate(raws):
        try:
            valid.append(_validate_event(raw, now=now))
        except ValueError as error:
            field_name, message = error.args
            result.rejected.append(
                RejectedEvent(index=index, field=field_name, message=message)
            )
            continue
        positions.append(index)
    if visible is not None:
        valid, positions = _drop_hidden_leads(valid, positions, visible, result)
    received = receive(
        Arrivals(source=source, trigger=trigger, events=valid, sender=sender),
        now=now,
        scoring_model=scoring_model,
    )
    result.rejected.extend(
        RejectedEvent(
            index=positions[index],
            field="lead_email",
            message=no_lead_message(valid[index].email),
        )
        for index in received.events_without_lead
    )
    result.rejected.sort(key=lambda rejected: rejected.index)
    result.accepted = len(received.stored_events)
    result.duplicates = len(received.duplicate_events)
    result.unsubscribed = len(received.unsubscribed)
    result.hard_bounced = len(received.hard_bounced)
    result.rescored = [
        (outcome.lead, outcome.rescored) for outcome in received.leads.values()
    ]
    return result


def _drop_hidden_leads(
    valid: Sequence[EventInput],
    positions: Sequence[int],
    visible: QuerySet[Lead],
    result: EventBatchResult,
) -> tuple[list[EventInput], list[int]]:
    """The events of leads in ``visible``; the others rejected as unknown emails."""
    existing = Lead.objects.filter(email__in={event.email for event in valid})
    hidden = set(
        existing.exclude(pk__in=visible.values("pk")).values_list("email", flat=True)
    )
    kept: list[tuple[EventInput, int]] = []
    for event, position in zip(valid, positions, strict=True):
        if event.email in hidden:
            result.rejected.append(
                RejectedEvent(
                    index=position,
                    field="lead_email",
                    message=no_lead_message(event.email),
                )
            )
        else:
            kept.append((event, position))
    return [event for event, _p in kept], [position for _e, position in kept]
