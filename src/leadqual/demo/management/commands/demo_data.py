"""``leadqual demo-data``: load the invented history of a Dutch software supplier.

The same ``--seed`` and ``--now`` give the same data. A second run with a seed
that is already loaded adds nothing and says so. Up to BULK_FROM_LEADS leads
without ``--events`` the history is replayed through the intake pipeline
(``generator.load_plan``); with ``--events``, or more leads, the leads and
exactly that many events are written in bulk into an empty database and
scored once at the end (``demo.bulk``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from leadqual.console import ProgressBar, add_no_progress_option
from leadqual.core.bands import Band
from leadqual.demo.bulk import (
    BULK_EVENTS_PER_LEAD,
    BULK_FROM_LEADS,
    DEFAULT_WORKERS,
    MAX_BULK_EVENTS,
    MAX_BULK_LEADS,
    BulkSummary,
    bulk_demo_loaded,
    load_bulk,
)
from leadqual.demo.generator import (
    DEFAULT_LEADS,
    DEMO_PASSWORD,
    DEMO_USERS,
    LoadSummary,
    demo_leads_loaded,
    ensure_demo_users,
    load_plan,
    plan_demo_data,
)
from leadqual.leads.models import Lead
from leadqual.scoring.services import ensure_default_model, parsed_model

DEFAULT_SEED = 1
APP_URL = "http://127.0.0.1:8000/"


class Command(BaseCommand):
    help = (
        "Load the history of a fictional Dutch software supplier: leads with their "
        "form answers, website and email events, scores, sales feedback and deals."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--leads",
            type=int,
            default=DEFAULT_LEADS,
            help=f"number of leads to invent (default {DEFAULT_LEADS:,}); above "
            f"{BULK_FROM_LEADS:,} they are loaded in bulk, as with --events",
        )
        parser.add_argument(
            "--events",
            type=int,
            default=None,
            help="load in bulk: exactly this many events over the leads (at "
            "least one per lead, its form submission), into an empty database; "
            f"default with more than {BULK_FROM_LEADS:,} leads: "
            f"{BULK_EVENTS_PER_LEAD} per lead",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=DEFAULT_WORKERS,
            help="in bulk: processes that invent leads while one writes them; the "
            f"data is the same for any number (default here {DEFAULT_WORKERS})",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"the same seed gives the same data (default {DEFAULT_SEED})",
        )
        parser.add_argument(
            "--now",
            default=None,
            help="the moment the history ends, ISO 8601 with a time zone "
            "(default: the start of the current hour)",
        )
        add_no_progress_option(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        count: int = options["leads"]
        seed: int = options["seed"]
        events: int | None = options["events"]
        if events is not None or count > BULK_FROM_LEADS:
            self._load_in_bulk(count, events, seed=seed, options=options)
            return
        if count < 1:
            raise CommandError(
                f"--leads must be a whole number from 1 to {MAX_BULK_LEADS:,}, "
                f"got {count}."
            )
        now = _parse_now(options["now"])
        users = ensure_demo_users()
        loaded = demo_leads_loaded(seed)
        if loaded:
            self.stdout.write(
                f"Demo data already loaded for seed {seed} ({loaded:,} leads); nothing "
                "added. Use another --seed to add more."
            )
            self._print_logins()
            return
        scoring_model = ensure_default_model(now=now)
        self.stdout.write(
            f"Inventing {count:,} leads of Voorbeeld Software B.V. (seed {seed}, "
            f"history until {now.astimezone(UTC):%Y-%m-%d %H:%M} UTC)..."
        )
        # Before the progress on stderr, also when stdout is a pipe.
        self.stdout.flush()
        plan = plan_demo_data(
            seed=seed, now=now, leads=count, model=parsed_model(scoring_model)
        )
        progress = ProgressBar("leads", enabled=not options["no_progress"])
        try:
            summary = load_plan(
                plan, scoring_model=scoring_model, users=users, on_progress=progress
            )
        finally:
            progress.close()
        self._print_summary(summary, seed=seed)
        self._print_logins()

    def _load_in_bulk(
        self, count: int, events: int | None, *, seed: int, options: dict[str, Any]
    ) -> None:
        if not 1 <= count <= MAX_BULK_LEADS:
            raise CommandError(
                f"--leads must be a whole number from 1 to {MAX_BULK_LEADS:,}, "
                f"got {count}."
            )
        if events is None:
            events = count * BULK_EVENTS_PER_LEAD
        if not count <= events <= MAX_BULK_EVENTS:
            raise CommandError(
                f"--events must be a whole number from --leads ({count:,}: every "
                f"lead arrives with its form submission, its first event) to "
                f"{MAX_BULK_EVENTS:,}, got {events}."
            )
        workers: int = options["workers"]
        if workers < 1:
            raise CommandError(f"--workers must be 1 or more, got {workers}.")
        now = _parse_now(options["now"])
        existing = Lead.objects.count()
        if existing and bulk_demo_loaded(seed):
            self.stdout.write(
                f"Demo data already loaded for seed {seed} ({existing:,} leads); "
                "nothing added."
            )
            self._print_logins()
            return
        if existing:
            raise CommandError(
                f"The database already holds {existing:,} leads. A bulk load "
                f"(--events, or more than {BULK_FROM_LEADS:,} leads) fills an empty "
                "database only: use a fresh one (LEADQUAL_DATA_DIR or DATABASE_URL), "
                f"or add up to {BULK_FROM_LEADS:,} demo leads without --events."
            )
        ensure_demo_users()
        ensure_default_model(now=now)
        self.stdout.write(
            f"Inventing {count:,} leads with {events:,} events in bulk (seed {seed}, "
            f"history until {now.astimezone(UTC):%Y-%m-%d %H:%M} UTC)..."
        )
        self.stdout.flush()
        writing = ProgressBar("leads written", enabled=not options["no_progress"])
        scoring = ProgressBar("leads scored", enabled=not options["no_progress"])
        try:
            summary = load_bulk(
                seed=seed,
                now=now,
                leads=count,
                events=events,
                on_write_progress=writing,
                on_score_progress=scoring,
                workers=workers,
            )
        finally:
            writing.close()
            scoring.close()
        self._print_bulk_summary(summary, seed=seed)
        self._print_logins()

    def _print_bulk_summary(self, summary: BulkSummary, *, seed: int) -> None:
        seconds = summary.write_seconds + summary.score_seconds
        per_second = (
            summary.leads / summary.write_seconds if summary.write_seconds else 0
        )
        bands = ", ".join(
            f"{band} {summary.bands_now[band]:,}" for band in reversed(Band)
        )
        self.stdout.write(
            f"Loaded {summary.leads:,} demo leads with {summary.events:,} events "
            f"(seed {seed}) in bulk in {seconds:.1f} s: written in "
            f"{summary.write_seconds:.1f} s ({per_second:,.0f} leads/s), scored in "
            f"{summary.score_seconds:.1f} s.\n"
            f"  Bands now: {bands}\n"
            f"  Companies: {summary.companies:,}"
        )

    def _print_summary(self, summary: LoadSummary, *, seed: int) -> None:
        def bands(counts: dict[Band, int]) -> str:
            return ", ".join(f"{band} {counts[band]:,}" for band in reversed(Band))

        won_euros = summary.won_value_cents // 100
        skipped = (
            f" ({summary.leads_skipped:,} skipped: their email already existed)"
            if summary.leads_skipped
            else ""
        )
        self.stdout.write(
            f"Loaded {summary.leads_created:,} demo leads (seed {seed}) in "
            f"{summary.seconds:.1f} s{skipped}.\n"
            f"  Bands now: {bands(summary.bands_now)}\n"
            f"  Highest band reached: {bands(summary.bands_reached)}\n"
            f"  Events: {summary.events:,}\n"
            f"  Feedback: {summary.accepted + summary.rejected:,} "
            f"({summary.accepted:,} accepted, {summary.rejected:,} rejected)\n"
            f"  Opportunities: {summary.opportunities:,}; won {summary.won:,} "
            f"(€ {won_euros:,}), lost {summary.lost:,}\n"
            f"  Stale tasks closed at the weekly queue clear-up: "
            f"{summary.stale_tasks_closed:,}"
        )

    def _print_logins(self) -> None:
        logins = ", ".join(f"{name} ({role})" for name, role in DEMO_USERS)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo logins (password {DEMO_PASSWORD}): {logins} — open {APP_URL}"
            )
        )


def _parse_now(raw: str | None) -> datetime:
    if raw is None:
        return timezone.now().replace(minute=0, second=0, microsecond=0)
    try:
        moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise CommandError(
            f'--now must be a date and time with a time zone, got "{raw}". '
            "For example 2026-06-01T09:00:00+02:00."
        )
    return moment
