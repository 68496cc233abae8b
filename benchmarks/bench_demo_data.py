"""How long ``leadqual demo-data`` takes: the replay of 2,000 leads, and a bulk load.

Run with ``.venv/bin/python benchmarks/bench_demo_data.py``. It runs once on a
fresh SQLite database and once on a fresh PostgreSQL database (see
benchmark_databases.py; ``--database`` picks one), at a fixed moment, so every
run loads the same data. Two parts (``--mode`` picks one):

- replay: the command as ``make demo`` runs it (``--leads``, default 2,000),
  through the intake pipeline;
- bulk: ``demo-data --leads N --events M`` (``--bulk-leads``, default
  100,000, and ``--bulk-events``, default 1,000,000; the issue's target is
  1,000,000 and 10,000,000), written in bulk and scored once at the end.

Prints seconds and the CPU-seconds of this process (the fairer figure on a
busy machine; the database server's and the worker processes' CPU are not
in it), for bulk also leads/s and events/s of the writing, the scoring time,
the peak resident memory of this process and of the worker processes, and
the core count.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import sys
import time

import benchmark_databases

# A fixed end of the history: the same leads, events and scores every run.
NOW = "2026-11-27T10:00:00+01:00"


def _peak_mib(who: int) -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(who).ru_maxrss / 1024


def _replay(database: str, leads: int) -> None:
    from django.core.management import call_command

    output = io.StringIO()
    started, cpu_started = time.perf_counter(), time.process_time()
    call_command("demo_data", leads=leads, now=NOW, no_progress=True, stdout=output)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    from leadqual.leads.models import Event, Lead

    print(
        f"Loaded {Lead.objects.count():,} leads and {Event.objects.count():,} "
        f"events ({database})"
    )
    print(f"demo-data seconds ({database}): {elapsed:.1f}")
    print(f"demo-data CPU-seconds of leadqual ({database}): {cpu:.1f}")


def _bulk(database: str, leads: int, events: int, workers: int | None) -> None:
    from django.utils.dateparse import parse_datetime

    from leadqual.demo.bulk import DEFAULT_WORKERS, load_bulk
    from leadqual.demo.generator import ensure_demo_users
    from leadqual.scoring.services import ensure_default_model

    now = parse_datetime(NOW)
    assert now is not None
    workers = DEFAULT_WORKERS if workers is None else workers
    ensure_demo_users()
    ensure_default_model(now=now)
    started, cpu_started = time.perf_counter(), time.process_time()
    summary = load_bulk(seed=1, now=now, leads=leads, events=events, workers=workers)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    label = f"bulk {leads:,} leads / {events:,} events, {workers} workers, {database}"
    print(
        f"Loaded {summary.leads:,} leads, {summary.events:,} events and "
        f"{summary.companies:,} companies ({label})"
    )
    print(
        f"writing ({label}): {summary.write_seconds:.1f} s, "
        f"{summary.leads / summary.write_seconds:,.0f} leads/s, "
        f"{summary.events / summary.write_seconds:,.0f} events/s; "
        f"CPU-seconds of this process {summary.write_cpu_seconds:.1f}"
    )
    print(
        f"scoring ({label}): {summary.score_seconds:.1f} s, "
        f"{summary.leads / summary.score_seconds:,.0f} leads/s; "
        f"CPU-seconds {summary.score_cpu_seconds:.1f}"
    )
    print(
        f"wall time ({label}): {elapsed:.1f} s; CPU-seconds of this process: {cpu:.1f}"
    )
    print(
        f"peak memory ({label}): this process {_peak_mib(resource.RUSAGE_SELF):,.0f} "
        f"MiB, largest worker {_peak_mib(resource.RUSAGE_CHILDREN):,.0f} MiB"
    )


def _run(database: str, arguments: argparse.Namespace) -> int:
    print(f"cores: {os.cpu_count()}")
    if arguments.mode in ("replay", "both"):
        with benchmark_databases.fresh_database(database):
            _replay(database, arguments.leads)
    if arguments.mode in ("bulk", "both"):
        with benchmark_databases.fresh_database(database):
            _bulk(
                database,
                arguments.bulk_leads,
                arguments.bulk_events,
                arguments.workers,
            )
    return 0


def main() -> int:
    """Run the benchmark; returns the process exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--mode", choices=("replay", "bulk", "both"), default="both")
    parser.add_argument("--leads", type=int, default=2_000, help="replay: leads")
    parser.add_argument("--bulk-leads", type=int, default=100_000)
    parser.add_argument("--bulk-events", type=int, default=1_000_000)
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="bulk: processes inventing leads (default: demo-data's, one per core)",
    )
    benchmark_databases.add_database_argument(parser)
    arguments = parser.parse_args()
    return benchmark_databases.run_on_each_database(
        arguments, lambda database: _run(database, arguments)
    )


if __name__ == "__main__":
    sys.exit(main())
