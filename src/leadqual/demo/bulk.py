"""Demo data at any size: ``leadqual demo-data --leads N --events M``.

The realistic replay (``generator.load_plan``) sends months of history through
the intake pipeline, scoring every lead at every moment: right for the demo's
2,000 leads, far too slow for a million. Bulk mode draws the same people
(``generator._draw_person``: companies, job titles, noise, hidden fit and
intent) and their behaviour (``generator._behaviour``: visits, newsletters,
intent signals, webinars), fits each lead's events to its share of exactly
``M`` events, and writes them straight into the tables in one transaction,
chunk by chunk (COPY on PostgreSQL, executemany on SQLite). Nothing is scored
while writing; at the end every lead is scored once by the rescore service
(``triage.requalification.rescore_every_lead``), which also triages the warm
and hot leads: owners, SLA tasks and alerts, as after any rescore.

How the events are shared out: each lead's natural history has some number of
events (about 14 on average, many more for a lead with intent). A lead gets
its natural count scaled by what is left of ``M`` over what the remaining
leads would naturally make, so busy leads stay busy and the total comes out
exact. A lead with fewer events than its natural history keeps its form
submission (every lead arrives through the form, so ``M >= N``) and a random
sample of the rest; a lead with more gets extra website visits on days of its
history, as intent of that day drives them.

What bulk mode leaves out, and why: sales feedback, BANT answers, deals and
the queue clear-ups, which follow each lead's score over time (the replay's
work); enrichment (the demo's companies are invented); and webhooks about new
leads. For a demo with a sales history use the replay (up to
BULK_FROM_LEADS leads).

Memory stays bounded: one chunk of BULK_CHUNK_LEADS leads and their events
at a time. Colleagues (leads at a company already drawn) come from the same
chunk, and every company and shared-domain email carries its lead's number
(see ``generator._draw_person``), so nothing about earlier chunks is kept.
Every draw comes from one ``random.Random(seed)``: the same seed, ``now``,
``N`` and ``M`` give the same rows.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import django
from django.db import transaction
from django.db.models import Count

from leadqual.core.bands import Band
from leadqual.core.events import EventType
from leadqual.core.hygiene import email_domain, is_disposable, is_free_mail
from leadqual.core.lifecycle import LeadStatus
from leadqual.core.scoring import ScoreTrigger
from leadqual.db import copy_rows, reserve_ids
from leadqual.demo.generator import (
    CONSENT,
    EVENT_SOURCE,
    LOCAL_TIME,
    PlannedEvent,
    _behaviour,
    _Company,
    _Draft,
    _draw_person,
    _Mailbox,
    _moment_on,
    _Person,
    _session,
    external_id_prefix,
)
from leadqual.intake.cleaning import clean_lead_fields
from leadqual.leads.duplicates import KEY_FIELDS, rebuild_duplicate_candidates
from leadqual.leads.models import Company, Event, Lead
from leadqual.leads.services import LeadValue, normalise_company_name
from leadqual.privacy.models import ConsentRecord, LawfulBasis
from leadqual.triage.requalification import rescore_every_lead

# Above this many leads ``demo-data`` loads in bulk even without --events:
# the replay takes about 25 ms of CPU per lead (20,000 leads: ~8 minutes).
BULK_FROM_LEADS = 20_000
# Events per lead when bulk mode is chosen by size alone: the issue's
# 1,000,000 leads with 10,000,000 events.
BULK_EVENTS_PER_LEAD = 10
MAX_BULK_LEADS = 10_000_000
MAX_BULK_EVENTS = 100_000_000
# Leads drawn and written together: a few MB of Python objects.
BULK_CHUNK_LEADS = 2_000
# Processes planning chunks while the main one writes: one per core, up to 8
# (beyond that the single writer is the bottleneck).
DEFAULT_WORKERS = max(1, min(8, os.cpu_count() or 1))


@dataclass(frozen=True, slots=True)
class BulkLead:
    """A lead as bulk mode writes it: cleaned form answers and its events."""

    number: int
    email: str
    values: Mapping[str, LeadValue]
    arrived_at: datetime
    events: tuple[PlannedEvent, ...]


@dataclass
class BulkSummary:
    """What ``load_bulk`` stored."""

    leads: int = 0
    events: int = 0
    companies: int = 0
    write_seconds: float = 0.0
    score_seconds: float = 0.0
    # CPU of this process only: on a busy machine the fairer figure. Worker
    # processes' and a database server's CPU are not in it.
    write_cpu_seconds: float = 0.0
    score_cpu_seconds: float = 0.0
    bands_now: dict[Band, int] = field(default_factory=lambda: dict.fromkeys(Band, 0))


class _EventBudget:
    """Shares exactly ``events`` out over ``leads`` leads, in proportion to
    each lead's natural number of events (see the module docstring)."""

    def __init__(self, *, leads: int, events: int) -> None:
        self.leads_left = leads
        self.events_left = events
        self.natural_total = 0
        self.natural_seen = 0

    def take(self, natural: int) -> int:
        """The number of events of the next lead, whose history has ``natural``."""
        self.natural_total += natural
        self.natural_seen += 1
        if self.leads_left == 1:
            count = self.events_left
        else:
            mean = self.natural_total / self.natural_seen
            wanted = round(natural * self.events_left / (mean * self.leads_left))
            # Every lead left needs its form submission.
            count = max(1, min(wanted, self.events_left - (self.leads_left - 1)))
        self.leads_left -= 1
        self.events_left -= count
        return count


def _fit_events(
    rng: random.Random,
    person: _Person,
    drafts: Sequence[_Draft],
    intents: Mapping[date, float],
    count: int,
    *,
    now: datetime,
) -> list[_Draft]:
    """``count`` events of the person, oldest first, from its natural ``drafts``.

    The first draft is the form submission at arrival and always stays.
    """
    if count <= len(drafts):
        kept = sorted(rng.sample(range(1, len(drafts)), count - 1))
        chosen = [drafts[0], *(drafts[index] for index in kept)]
    else:
        chosen = list(drafts)
        arrived = person.arrived_at
        first_day = arrived.astimezone(LOCAL_TIME).date()
        days = (now.astimezone(LOCAL_TIME).date() - first_day).days
        mailbox = _Mailbox()
        extra: list[_Draft] = []
        while len(chosen) + len(extra) < count:
            day = first_day + timedelta(days=rng.randrange(days + 1))
            start = _moment_on(rng, day, after=arrived, before=now)
            if start is None:
                # A lead that arrived minutes ago has no office hours left.
                start = arrived + (now - arrived) * rng.random()
            intent = intents.get(day, person.truth.intent_at_arrival)
            extra += _session(
                rng, person, intent=intent, start=start, now=now,
                mailbox=mailbox, batch="",
            )  # fmt: skip
        chosen += extra[: count - len(chosen)]
    return sorted(chosen, key=lambda draft: draft.occurred_at)


def _check_sizes(now: datetime, leads: int, events: int) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware, got {now.isoformat()}")
    if leads < 1:
        raise ValueError(f"leads must be 1 or more, got {leads}")
    if events < leads:
        raise ValueError(
            f"events must be at least leads ({leads}): every lead arrives with "
            f"its form submission, got {events}"
        )


@dataclass(frozen=True, slots=True)
class _ChunkSpec:
    """One chunk of a bulk load: which leads, how many events, its own random."""

    seed: int
    index: int
    now: datetime
    first_number: int
    leads: int
    events: int


def _chunk_specs(
    *, seed: int, now: datetime, leads: int, events: int, chunk_leads: int
) -> Iterator[_ChunkSpec]:
    for index, start in enumerate(range(0, leads, chunk_leads)):
        end = min(start + chunk_leads, leads)
        # Floors of a straight line: exact in total, and with events >= leads
        # every chunk gets at least one event per lead.
        share = events * end // leads - events * start // leads
        yield _ChunkSpec(seed, index, now, start + 1, end - start, share)


def _plan_chunk(spec: _ChunkSpec) -> list[BulkLead]:
    """The leads of one chunk. Chunks share nothing, so any process can plan one."""
    # A string seed is hashed the same way in every process and Python run.
    rng = random.Random(f"leadqual-demo-bulk-{spec.seed}-{spec.index}")
    budget = _EventBudget(leads=spec.leads, events=spec.events)
    prefix = external_id_prefix(spec.seed)
    companies: list[_Company] = []
    used_names: set[str] = set()
    used_emails: set[str] = set()
    chunk: list[BulkLead] = []
    for number in range(spec.first_number, spec.first_number + spec.leads):
        person = _draw_person(
            rng,
            now=spec.now,
            companies=companies,
            used_names=used_names,
            used_emails=used_emails,
            number=number,
        )
        drafts, intents = _behaviour(rng, person, now=spec.now)
        count = budget.take(len(drafts))
        fitted = _fit_events(rng, person, drafts, intents, count, now=spec.now)
        cleaned = clean_lead_fields(person.email, person.fields)
        if cleaned.errors or cleaned.email is None:
            raise RuntimeError(
                f"Bulk demo lead {number} was refused ({cleaned.errors}). "
                "The generator is wrong."
            )
        chunk.append(
            BulkLead(
                number=number,
                email=cleaned.email,
                values=cleaned.values,
                arrived_at=person.arrived_at,
                events=tuple(
                    PlannedEvent(
                        type=draft.type,
                        occurred_at=draft.occurred_at,
                        properties=draft.properties,
                        external_id=f"{prefix}{number:05d}-{index:03d}",
                    )
                    for index, draft in enumerate(fitted, start=1)
                ),
            )
        )
    return chunk


def _planned_in_processes(
    specs: Iterator[_ChunkSpec], workers: int
) -> Iterator[list[BulkLead]]:
    """``_plan_chunk`` of every spec, in order, by ``workers`` processes.

    At most two chunks per worker are planned ahead of the writer, so memory
    stays bounded when writing is the slower side.
    """
    # Spawned, not forked: a forked child would share the parent's open
    # database connection. A spawned one starts bare and sets Django up from
    # the environment (DJANGO_SETTINGS_MODULE) before it unpickles any task.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=django.setup
    ) as pool:
        ahead: deque[Future[list[BulkLead]]] = deque()
        for spec in specs:
            ahead.append(pool.submit(_plan_chunk, spec))
            if len(ahead) >= 2 * workers:
                yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()


def plan_bulk_leads(
    *,
    seed: int,
    now: datetime,
    leads: int,
    events: int,
    chunk_leads: int = BULK_CHUNK_LEADS,
    workers: int = 1,
) -> Iterator[list[BulkLead]]:
    """The leads of a bulk load, ``chunk_leads`` at a time, with exactly ``events``.

    Pure: no database, no clock. Lead ``number`` runs from 1 to ``leads`` in
    the order drawn (not by arrival). Each chunk has its share of the events
    and its own random stream, derived from ``seed`` and its position, so the
    same arguments give the same leads whatever the number of ``workers``
    (processes planning chunks side by side; 1: this process alone).
    Raises ValueError for a naive ``now``, fewer than one lead, fewer events
    than leads, or fewer than one worker.
    """
    _check_sizes(now, leads, events)
    if workers < 1:
        raise ValueError(f"workers must be 1 or more, got {workers}")
    specs = _chunk_specs(
        seed=seed,
        now=now.astimezone(UTC),
        leads=leads,
        events=events,
        chunk_leads=chunk_leads,
    )
    if workers == 1 or leads <= chunk_leads:
        yield from map(_plan_chunk, specs)
    else:
        yield from _planned_in_processes(specs, workers)


_COMPANY_COLUMNS = (
    "id", "name", "normalised_name", "domain", "created_at", "sector",
    "size_band", "country", "enrichment_source", "engaged_contacts",
)  # fmt: skip
_NO_COMPANY_FACTS = ("", "", "", "", 0)
_LEAD_COLUMNS = (
    "id", "email", "first_name", "last_name", "company_id", "job_title", "phone",
    "phone_country", "sector", "employees", "budget_euros", "urgency", "country",
    "region", "source", "unsubscribed_at", "hard_bounced_at", "enriched_fields",
    "consent_given", "consent_at", "consent_text_version", "status", "band",
    "created_at", "updated_at", *KEY_FIELDS,
)  # fmt: skip
# Filled in by rebuild_duplicate_candidates once everything is written.
_NO_MATCH_KEYS = ("",) * len(KEY_FIELDS)
_CONSENT_COLUMNS = ("lead_id", "source", "lawful_basis", "text_version", "given", "at")
_EVENT_COLUMNS = (
    "lead_id", "type", "occurred_at", "received_at", "properties", "source",
    "sender", "external_id",
)  # fmt: skip


def _text(values: Mapping[str, LeadValue], name: str) -> str:
    value = values.get(name)
    return "" if value is None else str(value)


def _first_at(
    lead: BulkLead, event_type: EventType, **properties: str
) -> datetime | None:
    """When the lead first had an event of this type (and these properties)."""
    return next(
        (
            event.occurred_at
            for event in lead.events
            if event.type is event_type
            and all(event.properties.get(k) == v for k, v in properties.items())
        ),
        None,
    )


def _write_chunk(chunk: Sequence[BulkLead]) -> tuple[int, int]:
    """Write a chunk's companies, leads, consent records and events.

    Returns (companies, events) written. Runs inside the load's transaction.
    """
    companies: dict[str, BulkLead] = {}
    for lead in chunk:
        name = lead.values.get("company")
        if name and str(name) not in companies:
            companies[str(name)] = lead
    company_ids = dict(
        zip(companies, reserve_ids(Company, len(companies)), strict=True)
    )
    copy_rows(
        Company,
        _COMPANY_COLUMNS,
        (
            (
                company_ids[name],
                name,
                normalise_company_name(name) or name.casefold(),
                _work_domain(first.email),
                first.arrived_at,
                # No sector, size band, country or enrichment source: the
                # demo's companies are invented, nothing enriches them.
                *_NO_COMPANY_FACTS,
            )
            for name, first in companies.items()
        ),
    )
    lead_ids = reserve_ids(Lead, len(chunk))
    copy_rows(
        Lead,
        _LEAD_COLUMNS,
        (
            (
                lead_id,
                lead.email,
                _text(lead.values, "first_name"),
                _text(lead.values, "last_name"),
                company_ids.get(_text(lead.values, "company")),
                _text(lead.values, "job_title"),
                _text(lead.values, "phone"),
                _text(lead.values, "phone_country"),
                _text(lead.values, "sector"),
                lead.values.get("employees"),
                lead.values.get("budget_euros"),
                _text(lead.values, "urgency"),
                _text(lead.values, "country"),
                _text(lead.values, "region"),
                _text(lead.values, "source"),
                _first_at(lead, EventType.UNSUBSCRIBE),
                _first_at(lead, EventType.BOUNCE, kind="hard"),
                {},
                CONSENT.given,
                lead.arrived_at,
                CONSENT.text_version,
                LeadStatus.NEW.value,
                "",
                lead.arrived_at,
                lead.arrived_at,
                *_NO_MATCH_KEYS,
            )
            for lead_id, lead in zip(lead_ids, chunk, strict=True)
        ),
    )
    copy_rows(
        ConsentRecord,
        _CONSENT_COLUMNS,
        (
            (
                lead_id,
                # Consent is recorded per source: where the lead came from.
                (_text(lead.values, "source") or EVENT_SOURCE)[:100],
                LawfulBasis.CONSENT.value,
                CONSENT.text_version,
                CONSENT.given,
                lead.arrived_at,
            )
            for lead_id, lead in zip(lead_ids, chunk, strict=True)
        ),
    )
    events = copy_rows(
        Event,
        _EVENT_COLUMNS,
        (
            (
                lead_id,
                event.type.value,
                event.occurred_at,
                event.occurred_at,
                dict(event.properties),
                EVENT_SOURCE,
                "",
                event.external_id,
            )
            for lead_id, lead in zip(lead_ids, chunk, strict=True)
            for event in lead.events
        ),
    )
    return len(companies), events


def _work_domain(email: str) -> str:
    # The same rule as leads.services: free mail says nothing about the employer.
    domain = email_domain(email)
    return "" if is_free_mail(domain) or is_disposable(domain) else domain


def bulk_demo_loaded(seed: int) -> bool:
    """True when an event of this seed's demo data is stored (one indexed lookup)."""
    return Event.objects.filter(
        external_id__startswith=external_id_prefix(seed)
    ).exists()


def load_bulk(
    *,
    seed: int,
    now: datetime,
    leads: int,
    events: int,
    on_write_progress: Callable[[int, int], None] | None = None,
    on_score_progress: Callable[[int, int], None] | None = None,
    chunk_leads: int = BULK_CHUNK_LEADS,
    workers: int = 1,
) -> BulkSummary:
    """Write ``leads`` demo leads with exactly ``events`` events, then score them.

    All leads, companies, consent records and events are written in one
    transaction: an interrupted load leaves nothing behind. Scoring follows
    in the rescore service's own batches (an interrupted scoring is finished
    by ``leadqual rescore``). The caller checks that the database holds no
    leads and that the scoring model is in place. ``on_write_progress(done,
    total)`` is called after every chunk, ``on_score_progress`` by the
    rescore service. ``workers`` processes plan the chunks while this one
    writes (the data is the same for any number). Raises ValueError as
    ``plan_bulk_leads`` does.
    """
    summary = BulkSummary()
    started, cpu_started = time.perf_counter(), time.process_time()
    with transaction.atomic():
        for chunk in plan_bulk_leads(
            seed=seed,
            now=now,
            leads=leads,
            events=events,
            chunk_leads=chunk_leads,
            workers=workers,
        ):
            companies, stored = _write_chunk(chunk)
            summary.leads += len(chunk)
            summary.events += stored
            summary.companies += companies
            if on_write_progress is not None:
                on_write_progress(summary.leads, leads)
    summary.write_seconds = time.perf_counter() - started
    summary.write_cpu_seconds = time.process_time() - cpu_started
    started, cpu_started = time.perf_counter(), time.process_time()
    rescore_every_lead(
        now=now.astimezone(UTC),
        trigger=ScoreTrigger.DEMO,
        on_progress=on_score_progress,
    )
    summary.score_seconds = time.perf_counter() - started
    summary.score_cpu_seconds = time.process_time() - cpu_started
    # The bulk writer bypasses the intake pipeline, which keeps the suspected
    # duplicate pairs per batch: find them once over everything written.
    rebuild_duplicate_candidates(now=now.astimezone(UTC))
    for band, count in (
        Lead.objects.exclude(band="").values_list("band").annotate(Count("id"))
    ):
        summary.bands_now[Band(band)] = count
    return summary
