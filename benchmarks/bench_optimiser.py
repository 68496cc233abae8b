"""How long the optimiser takes to replay 10,000 leads: read, propose, backtest.

Run with ``.venv/bin/python benchmarks/bench_optimiser.py``. It builds a fresh
SQLite database in a temporary directory (DATABASE_URL is ignored), plans the
demo's history for 10,000 leads (the generator's own process, seeded) and
writes the leads, their events, sales' feedback and outcomes straight into
the tables (set-up, not measured). Then it times ``run_optimiser`` as
``leadqual optimise`` runs it: reading every lead of the last year with its
events, replaying each at its decision moment, the proposal and the backtest
of the current and the proposed model. Prints the seconds per stage against
the one-minute target of issue #13.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

TARGET_SECONDS = 60.0
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def _configure_environment(data_dir: Path) -> None:
    os.environ["LEADQUAL_DATA_DIR"] = str(data_dir)
    os.environ["LEADQUAL_SECRET_KEY"] = "benchmark-only-secret-key-not-for-production"
    os.environ["DJANGO_SETTINGS_MODULE"] = "leadqual.config.settings"
    os.environ.setdefault("LEADQUAL_LOG_LEVEL", "WARNING")
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("LEADQUAL_SECRET_KEY_FILE", None)


def _store_plan(leads: int, seed: int) -> int:
    """Write a demo plan's leads, events, feedback and outcomes; return events."""
    from leadqual.demo.generator import plan_demo_data
    from leadqual.leads.models import Event, Lead
    from leadqual.scoring.services import ensure_default_model, parsed_model
    from leadqual.triage.models import Feedback, Outcome

    model = parsed_model(ensure_default_model(now=NOW))
    plan = plan_demo_data(seed=seed, now=NOW, leads=leads, model=model)
    rows = []
    for planned in plan.leads:
        fields = planned.fields

        def text(name: str, fields: object = fields) -> str:
            value = fields.get(name) if isinstance(fields, dict) else None
            return "" if value is None else str(value)

        def number(name: str, fields: object = fields) -> int | None:
            value = fields.get(name) if isinstance(fields, dict) else None
            return value if isinstance(value, int) else None

        rows.append(
            Lead(
                email=planned.email,
                first_name=text("first_name"),
                last_name=text("last_name"),
                job_title=text("job_title"),
                phone=text("phone"),
                sector=text("sector"),
                employees=number("employees"),
                budget_euros=number("budget_euros"),
                urgency=text("urgency"),
                country=text("country"),
                region=text("region"),
                source=text("source"),
                created_at=planned.arrived_at,
            )
        )
    stored = Lead.objects.bulk_create(rows, batch_size=2_000)
    events: list[Event] = []
    feedback: list[Feedback] = []
    outcomes: list[Outcome] = []
    for lead, planned in zip(stored, plan.leads, strict=True):
        for batch in planned.batches:
            events.extend(
                Event(
                    lead=lead,
                    type=event.type.value,
                    occurred_at=event.occurred_at,
                    received_at=batch.received_at,
                    properties=dict(event.properties),
                    source="benchmark",
                )
                for event in batch.events
            )
        if planned.feedback is not None:
            feedback.append(
                Feedback(
                    lead=lead,
                    decision=planned.feedback.decision.value,
                    reason=planned.feedback.reason.value
                    if planned.feedback.reason
                    else "",
                    given_at=planned.feedback.at,
                )
            )
        outcomes.extend(
            Outcome(lead=lead, kind=outcome.kind.value, occurred_at=outcome.at)
            for outcome in planned.outcomes
        )
    Event.objects.bulk_create(events, batch_size=5_000)
    Feedback.objects.bulk_create(feedback, batch_size=5_000)
    Outcome.objects.bulk_create(outcomes, batch_size=5_000)
    return len(events)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--capacity", type=int, default=40)
    parser.add_argument("--seed", type=int, default=13)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        _configure_environment(Path(directory))
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        event_count = _store_plan(options.leads, options.seed)
        print(
            f"set-up: {options.leads:,} leads, {event_count:,} events stored in "
            f"{time.perf_counter() - started:.1f} s (not measured)"
        )

        from leadqual.triage.optimiser import (
            TRAINING_DAYS,
            lead_histories,
            run_optimiser,
        )

        started = time.perf_counter()
        from datetime import timedelta

        histories = lead_histories(since=NOW - timedelta(days=TRAINING_DAYS), now=NOW)
        read_seconds = time.perf_counter() - started
        print(
            f"read and replay-ready: {len(histories):,} leads in {read_seconds:.1f} s"
        )

        started = time.perf_counter()
        run = run_optimiser(
            now=NOW, weeks=options.weeks, capacity_per_week=options.capacity
        )
        total = time.perf_counter() - started
        result = run.result
        print(
            f"optimise (read + propose + threshold + 3 backtests): {total:.1f} s for "
            f"{len(histories):,} leads, {result.training_leads:,} before the replayed "
            f"{options.weeks} weeks"
        )
        for name, backtest in (
            ("current", result.current),
            ("current at capacity", result.current_at_capacity),
            ("proposed", result.proposed),
        ):
            if backtest is None:
                continue
            week = backtest.total
            rate = "-" if week.won_rate is None else f"{100 * week.won_rate:.1f}%"
            print(
                f"  {name:<20} hot threshold {backtest.hot_threshold:>3}: "
                f"{week.hot:>4} hot, {week.won:>3} won ({rate} of hot), "
                f"{week.missed_won} won leads missed"
            )
        verdict = "within" if total <= TARGET_SECONDS else "OVER"
        print(f"{verdict} the {TARGET_SECONDS:.0f} s target")


if __name__ == "__main__":
    main()
