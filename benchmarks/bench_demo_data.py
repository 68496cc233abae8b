"""How long ``leadqual demo-data`` takes to load its 2,000 leads.

Run with ``.venv/bin/python benchmarks/bench_demo_data.py``. It runs once on a
fresh SQLite database and once on a fresh PostgreSQL database (see
benchmark_databases.py; ``--database`` picks one) and runs the command as
``make demo`` does, at a fixed moment, so every run loads the same history.
Prints the seconds and the CPU-seconds of this process (the fairer figure on
a busy machine; PostgreSQL's own CPU is not in it).
"""

from __future__ import annotations

import argparse
import io
import sys
import time

import benchmark_databases

# A fixed end of the history: the same leads, events and scores every run.
NOW = "2026-11-27T10:00:00+01:00"


def _run(database: str, leads: int) -> int:
    with benchmark_databases.fresh_database(database):
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
    return 0


def main() -> int:
    """Run the benchmark; returns the process exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--leads", type=int, default=2_000)
    benchmark_databases.add_database_argument(parser)
    arguments = parser.parse_args()
    return benchmark_databases.run_on_each_database(
        arguments, lambda database: _run(database, arguments.leads)
    )


if __name__ == "__main__":
    sys.exit(main())
